/*
 * idem.c - the window of committed idempotency keys.
 *
 * Digests live in a FIFO in commit order (so the oldest go first, by count or by age) and in
 * an open-addressing hash table of FIFO slots for lookups; deletion shifts the following
 * entries back (no tombstones), so lookups stay short however long the process runs.
 * Nine bytes of SM3 (72 bits) make an accidental collision among 100,000 keys a one in
 * 10^11 event; keys are chosen by the senders, who can only collide with their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gdx_crypto.h"
#include "gdx_util.h"
#include "idem.h"

struct wh_entry {
    char d[WH_DIGEST_LEN + 1];
    int64_t t;
};

struct wh_idem {
    int64_t window_s;
    size_t max_keys;
    struct wh_entry *fifo; /* ring of max_keys entries */
    size_t head, n;
    size_t *slots; /* ring index + 1, 0 = empty */
    size_t nslots;
};

static uint64_t idem_hash(const char *d)
{
    uint64_t h = 0;
    memcpy(&h, d, sizeof(h)); /* the digest is uniformly distributed already */
    return h * 0x9e3779b97f4a7c15ULL;
}

struct wh_idem *wh_idem_new(int64_t window_s, size_t max_keys)
{
    struct wh_idem *w = gdx_xcalloc(1, sizeof(*w));
    w->window_s = window_s;
    w->max_keys = max_keys ? max_keys : 1;
    w->fifo = gdx_xcalloc(w->max_keys, sizeof(*w->fifo));
    w->nslots = 16;
    while (w->nslots < w->max_keys * 2) {
        w->nslots *= 2;
    }
    w->slots = gdx_xcalloc(w->nslots, sizeof(*w->slots));
    return w;
}

void wh_idem_destroy(struct wh_idem *w)
{
    if (!w) {
        return;
    }
    free(w->fifo);
    free(w->slots);
    free(w);
}

int wh_idem_digest(const char *key, size_t len, char out[WH_DIGEST_LEN + 1])
{
    unsigned char d[GDX_SM3_LEN];
    char err[128];
    if (gdx_sm3(key, len, d, err, sizeof(err))) {
        return -1;
    }
    char *b = gdx_base64_encode(d, 9, 1);
    memcpy(out, b, WH_DIGEST_LEN);
    out[WH_DIGEST_LEN] = '\0';
    free(b);
    return 0;
}

static size_t idem_find(const struct wh_idem *w, const char *d)
{
    size_t i = (size_t)(idem_hash(d) & (w->nslots - 1));
    while (w->slots[i] && memcmp(w->fifo[w->slots[i] - 1].d, d, WH_DIGEST_LEN)) {
        i = (i + 1) & (w->nslots - 1);
    }
    return i;
}

int wh_idem_has(const struct wh_idem *w, const char *digest)
{
    return w->n && w->slots[idem_find(w, digest)] != 0;
}

/* Remove the oldest entry. */
static void idem_pop(struct wh_idem *w)
{
    size_t i = idem_find(w, w->fifo[w->head].d), j = i;
    /* backward-shift deletion for linear probing */
    w->slots[i] = 0;
    for (;;) {
        j = (j + 1) & (w->nslots - 1);
        if (!w->slots[j]) {
            break;
        }
        size_t k = (size_t)(idem_hash(w->fifo[w->slots[j] - 1].d) & (w->nslots - 1));
        /* move slot j to i if its home k is not in the cyclic range (i, j] */
        if ((i < j) ? (k <= i || k > j) : (k <= i && k > j)) {
            w->slots[i] = w->slots[j];
            w->slots[j] = 0;
            i = j;
        }
    }
    w->head = (w->head + 1) % w->max_keys;
    w->n--;
}

void wh_idem_add(struct wh_idem *w, const char *digest, int64_t now_s)
{
    if (wh_idem_has(w, digest)) {
        return;
    }
    if (w->n == w->max_keys) {
        idem_pop(w);
    }
    size_t at = (w->head + w->n) % w->max_keys;
    memcpy(w->fifo[at].d, digest, WH_DIGEST_LEN);
    w->fifo[at].d[WH_DIGEST_LEN] = '\0';
    w->fifo[at].t = now_s;
    w->n++;
    w->slots[idem_find(w, digest)] = at + 1;
}

void wh_idem_expire(struct wh_idem *w, int64_t now_s)
{
    while (w->n && w->fifo[w->head].t < now_s - w->window_s) {
        idem_pop(w);
    }
}

size_t wh_idem_count(const struct wh_idem *w)
{
    return w->n;
}

void wh_idem_clear(struct wh_idem *w)
{
    w->head = w->n = 0;
    memset(w->slots, 0, w->nslots * sizeof(*w->slots));
}

/* Append one digest of time t to the text at *len, opening a group when t changes. */
static void idem_emit(char **s, size_t *cap, size_t *len, int64_t *cur, const char *d, int64_t t)
{
    if (*len + WH_DIGEST_LEN + 32 > *cap) {
        *cap = *cap * 2 + WH_DIGEST_LEN + 32;
        *s = gdx_xrealloc(*s, *cap);
    }
    if (t != *cur) {
        *len +=
            (size_t)sprintf(*s + *len, "%s[%lld,\"", *cur == INT64_MIN ? "" : "\"],", (long long)t);
        *cur = t;
    }
    memcpy(*s + *len, d, WH_DIGEST_LEN);
    *len += WH_DIGEST_LEN;
}

char *wh_idem_text_with(const struct wh_idem *w, const char *const *extra, size_t n, int64_t now_s)
{
    size_t nx = n > w->max_keys ? w->max_keys : n, cap = (w->n + nx) * WH_DIGEST_LEN + 64;
    size_t len = 0, skip = w->n + nx > w->max_keys ? w->n + nx - w->max_keys : 0;
    char *s = gdx_xcalloc(1, cap);
    int64_t cur = INT64_MIN;

    s[len++] = '[';
    for (size_t k = skip; k < w->n; k++) {
        const struct wh_entry *e = &w->fifo[(w->head + k) % w->max_keys];
        idem_emit(&s, &cap, &len, &cur, e->d, e->t);
    }
    for (size_t i = n - nx; i < n; i++) {
        idem_emit(&s, &cap, &len, &cur, extra[i], now_s);
    }
    if (cur != INT64_MIN) {
        memcpy(s + len, "\"]", 2);
        len += 2;
    }
    s[len++] = ']';
    s[len] = '\0';
    return s;
}

char *wh_idem_text(const struct wh_idem *w)
{
    return wh_idem_text_with(w, NULL, 0, 0);
}

int wh_idem_load(struct wh_idem *w, const char *text, size_t len)
{
    json_t *doc = json_loadb(text, len, 0, NULL), *g;
    size_t i;
    int rc = 0;

    wh_idem_clear(w);
    if (!json_is_array(doc)) {
        json_decref(doc);
        return -1;
    }
    json_array_foreach(doc, i, g)
    {
        json_t *t = json_array_get(g, 0), *ds = json_array_get(g, 1);
        const char *d;
        size_t n;
        if (!json_is_integer(t) || !json_is_string(ds) ||
            (n = json_string_length(ds)) % WH_DIGEST_LEN) {
            rc = -1;
            break;
        }
        d = json_string_value(ds);
        if (strspn(d, WH_DIGEST_ALPHABET) != n) {
            /* digests are base64url: anything else (a quote, a backslash, a character
             * cut in two) would be written back into every later position as it is */
            rc = -1;
            break;
        }
        for (size_t k = 0; k < n; k += WH_DIGEST_LEN) {
            char one[WH_DIGEST_LEN + 1];
            memcpy(one, d + k, WH_DIGEST_LEN);
            one[WH_DIGEST_LEN] = '\0';
            wh_idem_add(w, one, json_integer_value(t));
        }
    }
    json_decref(doc);
    if (rc) {
        wh_idem_clear(w);
    }
    return rc;
}
