/*
 * idem.h - the webhook's window of committed idempotency keys.
 *
 * A key is remembered as a digest (12 base64url characters: the first 9 bytes of its SM3),
 * with the second it was committed in. The window keeps at most max_keys digests and none
 * older than window_s; it travels in the connector's position, so it is committed in the same
 * transaction as the records it vouches for and survives a crash or a move to another host.
 *
 * Text form (inside the position): an array of groups, oldest first, each the commit time
 * in seconds since 1970 and the digests committed in that second, concatenated:
 *     [[1790000000,"AbCdEfGhIjKlMnOpQrStUvWx"],[1790000003,"..."]]
 */
#ifndef GDX_WEBHOOK_IDEM_H
#define GDX_WEBHOOK_IDEM_H

#include <stddef.h>
#include <stdint.h>

#define WH_DIGEST_LEN      12
#define WH_DIGEST_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

struct wh_idem;

struct wh_idem *wh_idem_new(int64_t window_s, size_t max_keys);
void wh_idem_destroy(struct wh_idem *w);

/* @brief The digest of key[0..len) into @p out (WH_DIGEST_LEN + 1 bytes). */
int wh_idem_digest(const char *key, size_t len, char out[WH_DIGEST_LEN + 1]);

/* @brief Non-zero when @p digest is in the window. */
int wh_idem_has(const struct wh_idem *w, const char *digest);
/* @brief Remember @p digest as committed at @p now_s (the oldest go when the window is full). */
void wh_idem_add(struct wh_idem *w, const char *digest, int64_t now_s);
/* @brief Forget digests committed before @p now_s - window_s. */
void wh_idem_expire(struct wh_idem *w, int64_t now_s);
size_t wh_idem_count(const struct wh_idem *w);
/* @brief Forget everything. */
void wh_idem_clear(struct wh_idem *w);

/* @brief The text form (malloc'd). */
char *wh_idem_text(const struct wh_idem *w);
/*
 * @brief The text form of the window as it will be once the @p n digests @p extra (distinct,
 * none of them in the window) are added at @p now_s, without changing it: what an attempt's
 * position carries before the attempt is committed. Bounded by max_keys like the window.
 */
char *wh_idem_text_with(const struct wh_idem *w, const char *const *extra, size_t n, int64_t now_s);
/*
 * @brief Replace the window by the text form in text[0..len) (a JSON array as above).
 * @returns 0, or -1 when the text is not such an array, or holds a digest that is not 12
 *          base64url characters (the window is then empty).
 */
int wh_idem_load(struct wh_idem *w, const char *text, size_t len);

#endif
