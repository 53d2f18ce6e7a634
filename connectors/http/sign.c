/*
 * sign.c - the canonical string and the signature of a signed gateway request.
 *
 * The query is taken from the URL exactly as it goes on the wire (already percent-encoded
 * by the templates), split at '&', sorted by name and then value in byte order and joined
 * again, so the gateway can rebuild the same string from its request line without knowing
 * how the client encoded it. The body is represented by its digest, so a large POST body
 * does not have to be copied into the string that is signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_crypto.h"
#include "gdx_err.h"
#include "gdx_util.h"
#include "sign.h"

const char *http_sign_alg_name(enum http_sign_alg alg)
{
    return alg == HTTP_SIGN_HMAC_SM3 ? "HMAC-SM3" : "HMAC-SHA256";
}

struct sign_param {
    const char *s;
    size_t n;    /* whole "name=value" */
    size_t nlen; /* name part */
};

static int param_cmp(const void *a, const void *b)
{
    const struct sign_param *x = a, *y = b;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->s, y->s, n);
    if (c || x->nlen != y->nlen) {
        return c ? c : (x->nlen < y->nlen ? -1 : 1);
    }
    /* same name: by value */
    const char *xv = x->s + x->nlen, *yv = y->s + y->nlen;
    size_t xl = x->n - x->nlen, yl = y->n - y->nlen;
    n = xl < yl ? xl : yl;
    c = memcmp(xv, yv, n);
    return c ? c : (xl < yl ? -1 : xl > yl);
}

char *http_sign_canonical(enum http_sign_alg alg, const char *method, const char *url,
                          const void *body, size_t body_len, const char *app_key,
                          const char *timestamp, const char *nonce, size_t *len, char *errstr,
                          size_t errstr_size)
{
    const char *p = strstr(url, "://"), *path, *q;
    size_t plen, qlen, np = 0, cap = 0;
    struct sign_param *params = NULL;
    unsigned char dig[32];
    char hex[65];
    char *out, *o;

    p = p ? p + 3 : url;
    path = p + strcspn(p, "/?#");
    plen = strcspn(path, "?#");
    q = path[plen] == '?' ? path + plen + 1 : "";
    qlen = strcspn(q, "#");

    if ((alg == HTTP_SIGN_HMAC_SM3
             ? gdx_sm3(body ? body : "", body_len, dig, errstr, errstr_size)
             : gdx_sha256(body ? body : "", body_len, dig, errstr, errstr_size)) != GDX_OK) {
        return NULL;
    }
    gdx_hex_encode(dig, sizeof(dig), hex);

    for (size_t i = 0; i < qlen;) {
        size_t e = i;
        while (e < qlen && q[e] != '&') {
            e++;
        }
        if (e > i) {
            if (np == cap) {
                cap = cap ? cap * 2 : 16;
                params = gdx_xrealloc(params, cap * sizeof(*params));
            }
            params[np].s = q + i;
            params[np].n = e - i;
            const char *eq = memchr(q + i, '=', e - i);
            params[np].nlen = eq ? (size_t)(eq - (q + i)) : e - i;
            np++;
        }
        i = e + 1;
    }
    if (np > 1) {
        qsort(params, np, sizeof(*params), param_cmp);
    }

    size_t total = strlen(method) + (plen ? plen : 1) + qlen + np + strlen(app_key) +
                   strlen(timestamp) + strlen(nonce) + 64 + 8;
    out = o = gdx_xcalloc(1, total + 1);
    o += sprintf(o, "%s\n", method);
    if (plen) {
        memcpy(o, path, plen);
        o += plen;
    } else {
        *o++ = '/';
    }
    *o++ = '\n';
    for (size_t i = 0; i < np; i++) {
        if (i) {
            *o++ = '&';
        }
        memcpy(o, params[i].s, params[i].n);
        o += params[i].n;
        if (params[i].nlen == params[i].n) {
            *o++ = '='; /* a bare name signs as "name=" */
        }
    }
    o += sprintf(o, "\n%s\n%s\n%s\n%s", app_key, timestamp, nonce, hex);
    *len = (size_t)(o - out);
    free(params);
    return out;
}

int http_sign_value(enum http_sign_alg alg, const char *secret, size_t secret_len,
                    const char *canonical, size_t len, int hex, char *out, size_t out_size,
                    char *errstr, size_t errstr_size)
{
    unsigned char mac[32];
    int err = alg == HTTP_SIGN_HMAC_SM3
                  ? gdx_hmac_sm3(secret, secret_len, canonical, len, mac, errstr, errstr_size)
                  : gdx_hmac_sha256(secret, secret_len, canonical, len, mac, errstr, errstr_size);
    if (err) {
        return err;
    }
    if (out_size < 65) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "signature buffer too small");
    }
    if (hex) {
        gdx_hex_encode(mac, sizeof(mac), out);
    } else {
        char *b = gdx_base64_encode(mac, sizeof(mac), 0);
        snprintf(out, out_size, "%s", b);
        free(b);
    }
    return GDX_OK;
}
