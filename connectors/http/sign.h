/*
 * sign.h - signed requests for government API gateways (AppKey, timestamp, nonce and an
 * HMAC-SHA256 or HMAC-SM3 signature over a canonical string).
 *
 * The canonical string, byte for byte (connectors/http/README.md, "Signed requests"):
 *
 *     METHOD "\n"
 *     PATH "\n"                 the path as sent, percent-encoded, "/" when empty
 *     QUERY "\n"                the query parameters as sent, sorted by name then value
 *                               (byte order), joined "name=value" by "&"; "" when none
 *     APPKEY "\n"
 *     TIMESTAMP "\n"            decimal, milliseconds (or seconds) since 1970-01-01 UTC
 *     NONCE "\n"                32 lowercase hex characters, new for every request
 *     BODY-DIGEST               lowercase hex SHA-256 (HMAC-SHA256) or SM3 (HMAC-SM3) of
 *                               the body bytes; of the empty string when there is no body
 *
 * SIGNATURE = base64 (or lowercase hex) of HMAC(secret, canonical string).
 */
#ifndef GDX_HTTP_SIGN_H
#define GDX_HTTP_SIGN_H

#include <stddef.h>

enum http_sign_alg { HTTP_SIGN_NONE, HTTP_SIGN_HMAC_SHA256, HTTP_SIGN_HMAC_SM3 };

/* "HMAC-SHA256" / "HMAC-SM3", the X-Signature-Method value */
const char *http_sign_alg_name(enum http_sign_alg alg);

/*
 * @brief The canonical string of a request (malloc'd, NUL-terminated; *len its length).
 * @returns NULL with @p errstr set when the digest fails.
 */
char *http_sign_canonical(enum http_sign_alg alg, const char *method, const char *url,
                          const void *body, size_t body_len, const char *app_key,
                          const char *timestamp, const char *nonce, size_t *len, char *errstr,
                          size_t errstr_size);

/*
 * @brief The signature of @p canonical under @p secret: base64 (RFC 4648, padded) or,
 * with @p hex, lowercase hex, into @p out (at least 65 bytes).
 * @returns GDX_OK or GDX_ERR_CRYPTO.
 */
int http_sign_value(enum http_sign_alg alg, const char *secret, size_t secret_len,
                    const char *canonical, size_t len, int hex, char *out, size_t out_size,
                    char *errstr, size_t errstr_size);

#endif
