/*
 * fuzz-idem.c - the webhook's window of committed idempotency keys
 * (connectors/webhook/idem.c): the text form it keeps in the connector's position, read back
 * after every restart, and the window's behaviour under adds and expiry.
 *
 * Input: byte 0 picks the window (max_keys 1 to 64, window 1 to 256 s); then the text form
 * to load, up to a NUL byte; then operations of 3 bytes (kind, argument, time step).
 * Properties:
 *   - a text the window refuses leaves it empty; a text it loads is written back as valid
 *     JSON that loads again to the same text (a fixed point), with at most max_keys digests,
 *     each of them found;
 *   - under adds, expiry, lookups and the text an attempt carries (wh_idem_text_with), the
 *     window agrees with a plain list kept in commit order: the same digests, the oldest
 *     going first by count or by age, and the same text.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../connectors/webhook/idem.h"
#include "fuzz.h"
#include "gdx_util.h"

#define MODEL_MAX 64

struct model {
    char d[MODEL_MAX][WH_DIGEST_LEN + 1];
    int64_t t[MODEL_MAX];
    size_t n, max;
    int64_t window;
};

static int model_find(const struct model *m, const char *d)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!strcmp(m->d[i], d)) {
            return (int)i;
        }
    }
    return -1;
}

static void model_pop(struct model *m)
{
    memmove(m->d, m->d + 1, (m->n - 1) * sizeof(m->d[0]));
    memmove(m->t, m->t + 1, (m->n - 1) * sizeof(m->t[0]));
    m->n--;
}

static void model_add(struct model *m, const char *d, int64_t t)
{
    if (model_find(m, d) >= 0) {
        return;
    }
    if (m->n == m->max) {
        model_pop(m);
    }
    snprintf(m->d[m->n], sizeof(m->d[0]), "%s", d);
    m->t[m->n++] = t;
}

/* The text form of the model: groups of digests committed in the same second, oldest first */
static char *model_text(const struct model *m)
{
    size_t cap = m->n * (WH_DIGEST_LEN + 32) + 8, len = 0;
    char *s = gdx_xcalloc(1, cap);
    s[len++] = '[';
    for (size_t i = 0; i < m->n; i++) {
        if (i == 0 || m->t[i] != m->t[i - 1]) {
            len += (size_t)snprintf(s + len, cap - len, "%s[%lld,\"", i ? "\"]," : "",
                                    (long long)m->t[i]);
        }
        len += (size_t)snprintf(s + len, cap - len, "%s", m->d[i]);
    }
    if (m->n) {
        len += (size_t)snprintf(s + len, cap - len, "\"]");
    }
    snprintf(s + len, cap - len, "]");
    return s;
}

static void digest_of(unsigned k, char out[WH_DIGEST_LEN + 1])
{
    /* digests sharing their first 8 characters put the table's probing to work */
    snprintf(out, WH_DIGEST_LEN + 1, "%s%04u", k & 1 ? "AbCdEfGh" : "Zz-_0912", k % 97);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wh_idem *w, *w2;
    struct model m;
    const uint8_t *nul, *ops;
    size_t tlen;
    char *t1, *t2, *tm;
    int64_t now = 1790000000;

    if (size < 1 || size > 64 * 1024) {
        return 0;
    }
    memset(&m, 0, sizeof(m));
    m.max = 1 + data[0] % MODEL_MAX;
    m.window = 1 + (data[0] >> 2);
    w = wh_idem_new(m.window, m.max);
    nul = memchr(data + 1, '\0', size - 1);
    tlen = nul ? (size_t)(nul - data - 1) : size - 1;
    ops = nul ? nul + 1 : data + size;

    /* the text form */
    if (wh_idem_load(w, (const char *)data + 1, tlen) == 0) {
        json_error_t jerr;
        json_t *j;
        t1 = wh_idem_text(w);
        j = json_loads(t1, 0, &jerr);
        if (!j) {
            fprintf(stderr, "loaded window written as '%s': not JSON (%s)\n", t1, jerr.text);
        }
        FUZZ_CHECK(j && json_is_array(j));
        json_decref(j);
        FUZZ_CHECK(wh_idem_count(w) <= m.max);
        w2 = wh_idem_new(m.window, m.max);
        FUZZ_CHECK(wh_idem_load(w2, t1, strlen(t1)) == 0);
        t2 = wh_idem_text(w2);
        FUZZ_CHECK(!strcmp(t1, t2));
        FUZZ_CHECK(wh_idem_count(w2) == wh_idem_count(w));
        free(t2);
        wh_idem_destroy(w2);
        /* the model starts from what was loaded (digests in text order) */
        j = json_loads(t1, 0, &jerr);
        {
            size_t i;
            json_t *g;
            json_array_foreach(j, i, g)
            {
                const char *ds = json_string_value(json_array_get(g, 1));
                for (size_t k = 0; ds && k + WH_DIGEST_LEN <= strlen(ds); k += WH_DIGEST_LEN) {
                    char one[WH_DIGEST_LEN + 1];
                    memcpy(one, ds + k, WH_DIGEST_LEN);
                    one[WH_DIGEST_LEN] = '\0';
                    FUZZ_CHECK(wh_idem_has(w, one));
                    model_add(&m, one, json_integer_value(json_array_get(g, 0)));
                }
            }
        }
        json_decref(j);
        free(t1);
    } else {
        FUZZ_CHECK(wh_idem_count(w) == 0);
    }

    /* operations against the model */
    for (const uint8_t *p = ops; p + 3 <= data + size; p += 3) {
        char d[WH_DIGEST_LEN + 1];
        now += p[2] % 8;
        digest_of(p[1], d);
        switch (p[0] % 5) {
        case 0:
        case 1:
            wh_idem_add(w, d, now);
            model_add(&m, d, now);
            break;
        case 2:
            wh_idem_expire(w, now);
            while (m.n && m.t[0] < now - m.window) {
                model_pop(&m);
            }
            break;
        case 3: {
            /* the text of an attempt with up to 3 new keys, without changing the window */
            const char *extra[3];
            char ex[3][WH_DIGEST_LEN + 1];
            struct model m2 = m;
            size_t n = 0;
            for (int i = 0; i < 3 && i <= p[1] % 4; i++) {
                digest_of(p[1] + 101u * (unsigned)(i + 1), ex[n]);
                if (model_find(&m, ex[n]) < 0 && (n == 0 || strcmp(ex[n], ex[n - 1])) &&
                    (n < 2 || strcmp(ex[n], ex[0]))) {
                    extra[n] = ex[n];
                    model_add(&m2, ex[n], now);
                    n++;
                }
            }
            t1 = wh_idem_text_with(w, extra, n, now);
            tm = model_text(&m2);
            if (strcmp(t1, tm)) {
                fprintf(stderr, "attempt window '%s', want '%s'\n", t1, tm);
            }
            FUZZ_CHECK(!strcmp(t1, tm));
            free(t1);
            free(tm);
            break;
        }
        default:
            FUZZ_CHECK(!wh_idem_has(w, d) == (model_find(&m, d) < 0));
            break;
        }
        FUZZ_CHECK(wh_idem_count(w) == m.n);
    }
    t1 = wh_idem_text(w);
    tm = model_text(&m);
    if (strcmp(t1, tm)) {
        fprintf(stderr, "window '%s', want '%s'\n", t1, tm);
    }
    FUZZ_CHECK(!strcmp(t1, tm));
    free(t1);
    free(tm);
    wh_idem_destroy(w);
    return 0;
}
