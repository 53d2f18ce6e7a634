/*
 * fuzz-httptext.c - the http connector's text rules that need no response
 * (connectors/http/tmpl.c and sign.c): URL and body templates, the Link header, HTTP dates
 * and Retry-After, cursor timestamps and numbers, the URL forms in positions and messages,
 * and the canonical string of a signed request.
 *
 * Input: byte 0 picks the part (mod 7), byte 1 a variant, the rest is newline-separated
 * text (parts 2 and 3 also read it as numbers). Properties:
 *   0 templates: a placeholder is `{name}` of a known name, anything else is literal;
 *     the expansion is the template with each placeholder replaced by its value escaped for
 *     the place, and each escape is undone exactly by its decoder (percent-decoding,
 *     jansson for the inside of a JSON string); http_tmpl_check names the first unknown
 *     `{word}`; http_tmpl_uses agrees;
 *   1 Link: on any text the target found is a <...> of the text; on a header built from
 *     links with rel and decoy parameters (a quoted title holding `rel=next`, commas and
 *     brackets in quotes, other relation types, case and spacing), it is the first link
 *     whose rel has the type next;
 *   2 dates: any time from 1970 to 9999 written as an IMF-fixdate, in the RFC 850 form
 *     (1970 to 2069) or in the asctime form parses back to itself; Retry-After of a date is
 *     its distance from now (0 when past), of delay-seconds the seconds times 1000;
 *   3 cursor timestamps: SQL and ISO 8601 texts with fractions and offsets, and epoch
 *     seconds or milliseconds, give the microseconds a timegm() oracle computes (and no
 *     arithmetic overflow on any text);
 *   4 http_num_cmp orders integer texts of any length by value, and says -2 for others;
 *   5 signing: the canonical string is the 7 lines of the README (the method, the path as
 *     sent or "/", the query parameters as sent sorted by name and value with bare names
 *     written "name=", the key, the timestamp, the nonce, the body's SHA-256 or SM3 in
 *     lowercase hex computed by OpenSSL here), and the hex and base64 signatures are the same
 *     bytes;
 *   6 positions and messages: http_url_display is the URL up to its query, http_pos names
 *     the path and query without scheme and host, with the index at the end.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../../connectors/http/sign.h"
#include "../../connectors/http/tmpl.h"
#include "fuzz.h"
#include "gdx_crypto.h"
#include "gdx_err.h"
#include "gdx_text.h"
#include "gdx_util.h"

#define LINES_MAX 8

struct lines {
    char *l[LINES_MAX];
    size_t n;
    const char *rest; /* after the last line taken */
    size_t rest_len;
};

static void lines_split(const uint8_t *data, size_t size, size_t want, struct lines *ls)
{
    const char *p = (const char *)data, *end = p + size;
    memset(ls, 0, sizeof(*ls));
    while (ls->n < want && ls->n < LINES_MAX) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        ls->l[ls->n++] = strndup(p, n); /* stops at a NUL, as a C string would */
        p = nl ? nl + 1 : end;
    }
    ls->rest = p;
    ls->rest_len = (size_t)(end - p);
}

static void lines_free(struct lines *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        free(ls->l[i]);
    }
}

/* ------------------------------------------------------------------------------------- */
/* 0: templates */

static const char *const names[] = {"cursor", "page", "size", "offset", "limit", "token"};

static int unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void check_escape(const char *v, const char *esc, enum http_esc how)
{
    if (how == HTTP_ESC_RAW) {
        FUZZ_CHECK(!strcmp(esc, v));
    } else if (how == HTTP_ESC_URL) {
        size_t o = 0;
        char *dec = gdx_xcalloc(1, strlen(esc) + 1);
        for (const char *p = esc; *p;) {
            if (*p == '%') {
                unsigned char b;
                FUZZ_CHECK(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
                           gdx_hex_decode(p + 1, 2, &b, 1) == 1);
                FUZZ_CHECK(!unreserved(b)); /* unreserved characters are never encoded */
                dec[o++] = (char)b;
                p += 3;
            } else {
                FUZZ_CHECK(unreserved((unsigned char)*p));
                dec[o++] = *p++;
            }
        }
        FUZZ_CHECK(!strcmp(dec, v));
        free(dec);
    } else {
        size_t bad, n = strlen(esc);
        char *q = gdx_xcalloc(1, n + 3);
        json_t *j;
        q[0] = '"';
        memcpy(q + 1, esc, n);
        q[n + 1] = '"';
        j = json_loadb(q, n + 2, JSON_DECODE_ANY, NULL);
        if (gdx_utf8_valid(v, strlen(v), &bad)) {
            FUZZ_CHECK(j && json_is_string(j) && !strcmp(json_string_value(j), v));
        } else {
            /* invalid UTF-8 passes through as it is: jansson refuses it, nothing else does */
            FUZZ_CHECK(!j);
        }
        json_decref(j);
        free(q);
    }
}

static void part_templates(const uint8_t *data, size_t size)
{
    struct lines ls;
    struct http_vars v;
    enum http_esc how;
    char *got, bad[64], *want, *pre;
    const char *vals[6];
    size_t wl = 0, wcap;
    int unknown = 0, uses[6] = {0};
    char first_bad[300] = "";

    lines_split(data + 2, size - 2, 7, &ls);
    while (ls.n < 7) {
        ls.l[ls.n++] = gdx_xstrdup("");
    }
    how = data[1] % 3 == 0 ? HTTP_ESC_URL : data[1] % 3 == 1 ? HTTP_ESC_JSON : HTTP_ESC_RAW;
    v.cursor = ls.l[1];
    v.page = ls.l[2];
    v.size = ls.l[3];
    v.offset = ls.l[4];
    v.token = ls.l[5];
    vals[0] = v.cursor;
    vals[1] = v.page;
    vals[2] = v.size;
    vals[3] = v.offset;
    vals[4] = v.size; /* {limit} */
    vals[5] = v.token;

    /* the oracle: a placeholder is '{' [a-z]+ '}' with a known name */
    wcap = 64;
    want = gdx_xcalloc(1, wcap);
    for (const char *p = ls.l[0]; *p;) {
        size_t n = 1;
        int k = -1;
        const char *piece = p;
        size_t plen = 1;
        char *esc = NULL;
        if (*p == '{') {
            while (p[n] >= 'a' && p[n] <= 'z') {
                n++;
            }
            if (n > 1 && p[n] == '}') {
                for (int i = 0; i < 6; i++) {
                    if (strlen(names[i]) == n - 1 && !strncmp(names[i], p + 1, n - 1)) {
                        k = i;
                    }
                }
                if (k < 0 && !unknown) {
                    unknown = 1;
                    snprintf(first_bad, sizeof(first_bad), "%.*s", (int)(n + 1), p);
                }
            }
        }
        if (k >= 0) {
            uses[k] = 1;
            /* the escaped value, checked by its decoder */
            struct http_vars one = {vals[k], NULL, NULL, NULL, NULL};
            esc = http_tmpl_expand("{cursor}", &one, how);
            check_escape(vals[k], esc, how);
            piece = esc;
            plen = strlen(esc);
            p += n + 1;
        } else {
            p++;
        }
        while (wl + plen + 1 > wcap) {
            wcap *= 2;
            want = gdx_xrealloc(want, wcap);
        }
        memcpy(want + wl, piece, plen);
        wl += plen;
        want[wl] = '\0';
        free(esc);
    }
    got = http_tmpl_expand(ls.l[0], &v, how);
    FUZZ_CHECK(!strcmp(got, want));
    free(got);
    free(want);

    if (http_tmpl_check(ls.l[0], bad, sizeof(bad)) != 0) {
        FUZZ_CHECK(unknown);
        FUZZ_CHECK(!strncmp(bad, first_bad, sizeof(bad) - 1));
    } else {
        FUZZ_CHECK(!unknown);
    }
    for (int i = 0; i < 6; i++) {
        if (i == 4) {
            continue; /* {limit} is {size} */
        }
        FUZZ_CHECK(!http_tmpl_uses(ls.l[0], names[i]) == !(uses[i] || (i == 2 && uses[4])));
    }
    pre = http_url_append_encoded(ls.l[6], ls.l[1]);
    FUZZ_CHECK(!strncmp(pre, ls.l[6], strlen(ls.l[6])));
    check_escape(ls.l[1], pre + strlen(ls.l[6]), HTTP_ESC_URL);
    free(pre);
    lines_free(&ls);
}

/* ------------------------------------------------------------------------------------- */
/* 1: Link */

static void part_link(const uint8_t *data, size_t size)
{
    static const char *const params[] = {
        "; rel=\"next\"",
        "; rel=next",
        "; rel=\"prev next\"",
        "; REL = \"NEXT\"",
        "; rel=\"last\"",
        "; rel=prev",
        "; title=\"rel=next page\"",
        "; title=\"a, <https://evil.example/x>; rel=next \"",
        "; anchor=\"#p\"",
        "; hreflang=zh-CN",
        "; rel=\"nextpage\"",
        "; prerel=next",
    };
    static const int is_next[] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    char hdr[4096] = "";
    size_t hl = 0;
    int want = -1;
    char *got;

    if (data[1] & 0x80) {
        /* any text: a target found is one of its <...> */
        char *text = strndup((const char *)data + 2, size - 2);
        got = http_link_next(text);
        if (got) {
            size_t n = strlen(got);
            int found = 0;
            for (const char *p = strchr(text, '<'); p && !found; p = strchr(p + 1, '<')) {
                found = !strncmp(p + 1, got, n) && p[1 + n] == '>' && !memchr(got, '>', n);
            }
            FUZZ_CHECK(found);
        }
        free(got);
        free(text);
        return;
    }
    /* a header built from links: byte i (from 2) chooses link i's parameters */
    for (size_t i = 2; i < size && i < 18; i++) {
        int nextp = 0;
        hl += (size_t)snprintf(hdr + hl, sizeof(hdr) - hl,
                               "%s<https://api.xcs.gov.cn/v1/items?after=%zu>",
                               i > 2 ? (i & 1 ? " ,  " : ", ") : "", i);
        /* up to two parameters: the low and the high four bits, 12 to 15 for none */
        for (int b = 0; b < 2; b++) {
            int k = b == 0 ? data[i] & 15 : data[i] >> 4;
            if (k >= 12) {
                continue;
            }
            hl += (size_t)snprintf(hdr + hl, sizeof(hdr) - hl, "%s", params[k]);
            nextp |= is_next[k];
        }
        if (nextp && want < 0) {
            want = (int)i;
        }
    }
    got = http_link_next(hdr);
    if (want < 0) {
        if (got) {
            fprintf(stderr, "Link: %s\nfound %s, but no link has rel next\n", hdr, got);
        }
        FUZZ_CHECK(!got);
    } else {
        char w[128];
        snprintf(w, sizeof(w), "https://api.xcs.gov.cn/v1/items?after=%d", want);
        if (!got || strcmp(got, w)) {
            fprintf(stderr, "Link: %s\nfound %s, want %s\n", hdr, got ? got : "(none)", w);
        }
        FUZZ_CHECK(got && !strcmp(got, w));
    }
    free(got);
}

/* ------------------------------------------------------------------------------------- */
/* 2: dates and Retry-After */

static uint64_t u64_of(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void part_dates(const uint8_t *data, size_t size)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const wdl[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const time_t max = (time_t)253402300799; /* 9999-12-31T23:59:59Z */
    time_t t = (time_t)(u64_of(data + 2, size - 2) % (uint64_t)(max + 1)), got, now;
    struct tm tm;
    char buf[128], *text;
    int64_t ms;

    gmtime_r(&t, &tm);
    snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
             mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    FUZZ_CHECK(http_date_parse(buf, &got) == 0 && got == t);
    if (tm.tm_year >= 70 && tm.tm_year < 170) {
        snprintf(buf, sizeof(buf), "%s, %02d-%s-%02d %02d:%02d:%02d GMT", wdl[tm.tm_wday],
                 tm.tm_mday, mon[tm.tm_mon], tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
        FUZZ_CHECK(http_date_parse(buf, &got) == 0 && got == t);
    }
    snprintf(buf, sizeof(buf), "%s %s %2d %02d:%02d:%02d %04d", wd[tm.tm_wday], mon[tm.tm_mon],
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
    FUZZ_CHECK(http_date_parse(buf, &got) == 0 && got == t);
    /* Retry-After as a date, from a fixed now */
    now = (time_t)1789871400;
    snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
             mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    ms = http_retry_after_ms(buf, now);
    FUZZ_CHECK(ms == (t > now ? (int64_t)(t - now) * 1000 : 0));
    /* delay-seconds */
    snprintf(buf, sizeof(buf), "%s%llu", data[1] & 1 ? " " : "",
             (unsigned long long)(u64_of(data + 2, size - 2) % 100000000));
    ms = http_retry_after_ms(buf, now);
    {
        unsigned long long s = u64_of(data + 2, size - 2) % 100000000;
        FUZZ_CHECK(ms == (s <= 86400ULL * 365 ? (int64_t)s * 1000 : -1));
    }
    /* any text */
    text = strndup((const char *)data + 2, size - 2);
    http_date_parse(text, &got);
    ms = http_retry_after_ms(text, now);
    FUZZ_CHECK(ms >= -1);
    free(text);
}

/* ------------------------------------------------------------------------------------- */
/* 3: cursor timestamps */

static void part_ts(const uint8_t *data, size_t size)
{
    char buf[128], *text;
    int64_t us = 0;

    if (data[1] & 0x80) {
        /* epoch seconds or milliseconds, 1 to 20 digits */
        size_t n = 0;
        __int128 v = 0;
        for (size_t i = 2; i < size && n < 20; i++) {
            buf[n++] = (char)('0' + data[i] % 10);
            v = v * 10 + data[i] % 10;
        }
        buf[n] = '\0';
        if (n == 0) {
            return;
        }
        if (n > 16) {
            FUZZ_CHECK(http_ts_parse(buf, n, "+08:00", &us) == -1);
        } else if (http_ts_parse(buf, n, "+08:00", &us) == 0) {
            __int128 want = n >= 12 ? v * 1000 : v * 1000000;
            FUZZ_CHECK(want == us);
        } else {
            /* refused only where the microseconds do not fit */
            FUZZ_CHECK((n >= 12 ? v * 1000 : v * 1000000) > INT64_MAX);
        }
    } else if (size >= 12) {
        /* a text from fields: y-m-d, a time, a fraction, an offset or none */
        int y = (int)(u64_of(data + 2, 2) % 10000), mo = 1 + data[4] % 12, d = 1 + data[5] % 28;
        int h = data[6] % 24, mi = data[7] % 60, s = data[8] % 61, k = data[9] % 10;
        int tzh = data[10] % 15, tzm = data[11] % 60, form = data[1] & 7;
        long frac = 0;
        size_t n;
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = s;
        n = (size_t)snprintf(buf, sizeof(buf), "%04d-%02d-%02d%c%02d:%02d:%02d", y, mo, d,
                             form & 1 ? 'T' : ' ', h, mi, s);
        if (k) {
            buf[n++] = '.';
            for (int i = 0; i < k; i++) {
                int dg = (data[2 + i % 10] >> (i % 3)) % 10;
                buf[n++] = (char)('0' + dg);
                if (i < 6) {
                    frac = frac * 10 + dg;
                }
            }
            for (int i = k; i < 6; i++) {
                frac *= 10;
            }
        }
        long off = 8 * 3600;
        switch (form >> 1) {
        case 0:
            break; /* the default offset */
        case 1:
            buf[n++] = 'Z';
            off = 0;
            break;
        case 2:
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%02d:%02d", data[1] & 8 ? '-' : '+',
                                  tzh, tzm);
            off = (tzh * 3600L + tzm * 60L) * (data[1] & 8 ? -1 : 1);
            break;
        default:
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%c%02d%02d", data[1] & 8 ? '-' : '+',
                                  tzh, tzm);
            off = (tzh * 3600L + tzm * 60L) * (data[1] & 8 ? -1 : 1);
            break;
        }
        buf[n] = '\0';
        FUZZ_CHECK(http_ts_parse(buf, n, "+08:00", &us) == 0);
        FUZZ_CHECK(us == ((int64_t)timegm(&tm) - off) * 1000000 + frac);
    }
    /* any text: no overflow, no read past it */
    text = gdx_xcalloc(1, size);
    memcpy(text, data + 2, size - 2);
    http_ts_parse(text, size - 2, data[1] & 1 ? "" : "+08:00", &us);
    free(text);
}

/* ------------------------------------------------------------------------------------- */
/* 4: integer texts */

/* The digits of an integer text without sign and leading zeros, or NULL. */
static const char *int_digits(const char *s, int *neg)
{
    *neg = *s == '-';
    if (*s == '-' || *s == '+') {
        s++;
    }
    if (!*s || strspn(s, "0123456789") != strlen(s)) {
        return NULL;
    }
    while (*s == '0' && s[1]) {
        s++;
    }
    if (!strcmp(s, "0")) {
        *neg = 0;
    }
    return s;
}

static void part_num(const uint8_t *data, size_t size)
{
    struct lines ls;
    const char *da, *db;
    int na, nb, c, want;

    lines_split(data + 2, size - 2, 2, &ls);
    if (ls.n < 2) {
        lines_free(&ls);
        return;
    }
    c = http_num_cmp(ls.l[0], ls.l[1]);
    da = int_digits(ls.l[0], &na);
    db = int_digits(ls.l[1], &nb);
    if (!da || !db) {
        FUZZ_CHECK(c == -2);
    } else {
        size_t la = strlen(da), lb = strlen(db);
        int mag = la != lb ? (la < lb ? -1 : 1) : (strcmp(da, db) > 0) - (strcmp(da, db) < 0);
        want = na != nb ? (na ? -1 : 1) : (na ? -mag : mag);
        FUZZ_CHECK(c == want);
        FUZZ_CHECK(http_num_cmp(ls.l[1], ls.l[0]) == -want);
    }
    lines_free(&ls);
}

/* ------------------------------------------------------------------------------------- */
/* 5: signing */

static int pcmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t xn = strcspn(x, "="), yn = strcspn(y, "="), n = xn < yn ? xn : yn;
    int c = memcmp(x, y, n);
    if (c || xn != yn) {
        return c ? c : (xn < yn ? -1 : 1);
    }
    return strcmp(x + xn, y + yn);
}

static void part_sign(const uint8_t *data, size_t size)
{
    struct lines ls;
    enum http_sign_alg alg = data[1] & 1 ? HTTP_SIGN_HMAC_SM3 : HTTP_SIGN_HMAC_SHA256;
    char err[256], hex[96], b64[96], dig_hex[65];
    unsigned char dig[EVP_MAX_MD_SIZE], *raw = NULL;
    unsigned int dl = 0;
    size_t clen, rawlen = 0;
    char *canon, *line[8], *copy, *q;
    const char *path;
    size_t nl = 0;
    const char *url, *after;
    char **params = NULL;
    size_t np = 0;

    lines_split(data + 2, size - 2, 5, &ls);
    if (ls.n < 5) {
        lines_free(&ls);
        return;
    }
    url = ls.l[1];
    canon = http_sign_canonical(alg, ls.l[0], url, ls.rest, ls.rest_len, ls.l[2], ls.l[3], ls.l[4],
                                &clen, err, sizeof(err));
    FUZZ_CHECK(canon && strlen(canon) == clen);
    FUZZ_CHECK(EVP_Digest(ls.rest, ls.rest_len, dig, &dl,
                          alg == HTTP_SIGN_HMAC_SM3 ? EVP_sm3() : EVP_sha256(), NULL) == 1);
    gdx_hex_encode(dig, dl, dig_hex);
    /* the expected lines */
    after = strstr(url, "://");
    after = after ? after + 3 : url;
    path = after + strcspn(after, "/?#");
    copy = strndup(path, strcspn(path, "?#"));
    q = path[strlen(copy)] == '?'
            ? strndup(path + strlen(copy) + 1, strcspn(path + strlen(copy) + 1, "#"))
            : gdx_xstrdup("");
    for (char *save = NULL, *p = strtok_r(q, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        params = gdx_xrealloc(params, (np + 1) * sizeof(*params));
        if (strchr(p, '=')) {
            params[np++] = gdx_xstrdup(p);
        } else {
            params[np] = gdx_xcalloc(1, strlen(p) + 2);
            memcpy(params[np], p, strlen(p));
            params[np++][strlen(p)] = '=';
        }
    }
    if (np > 1) {
        qsort(params, np, sizeof(*params), pcmp);
    }
    if (!strpbrk(ls.l[0], "\n") && !strpbrk(url, "\n") && !strpbrk(ls.l[2], "\n") &&
        !strpbrk(ls.l[3], "\n") && !strpbrk(ls.l[4], "\n")) {
        char *c2 = gdx_xstrdup(canon), *save = NULL;
        for (char *p = c2, *e; p && nl < 8; p = e ? e + 1 : NULL) {
            e = strchr(p, '\n');
            if (e) {
                *e = '\0';
            }
            line[nl++] = p;
        }
        FUZZ_CHECK(nl == 7);
        FUZZ_CHECK(!strcmp(line[0], ls.l[0]));
        FUZZ_CHECK(!strcmp(line[1], copy[0] ? copy : "/"));
        {
            size_t k = 0;
            char *lq = gdx_xstrdup(line[2]);
            for (char *p = strtok_r(lq, "&", &save); p; p = strtok_r(NULL, "&", &save), k++) {
                FUZZ_CHECK(k < np && !strcmp(p, params[k]));
            }
            FUZZ_CHECK(k == np);
            free(lq);
        }
        FUZZ_CHECK(!strcmp(line[3], ls.l[2]) && !strcmp(line[4], ls.l[3]) &&
                   !strcmp(line[5], ls.l[4]) && !strcmp(line[6], dig_hex));
        free(c2);
    }
    /* hex and base64 are the same signature */
    FUZZ_CHECK(http_sign_value(alg, ls.l[2], strlen(ls.l[2]), canon, clen, 1, hex, sizeof(hex), err,
                               sizeof(err)) == GDX_OK);
    FUZZ_CHECK(http_sign_value(alg, ls.l[2], strlen(ls.l[2]), canon, clen, 0, b64, sizeof(b64), err,
                               sizeof(err)) == GDX_OK);
    FUZZ_CHECK(gdx_base64_decode(b64, strlen(b64), 0, &raw, &rawlen) == 0 && rawlen == 32);
    FUZZ_CHECK(strlen(hex) == 64);
    {
        char h2[65];
        gdx_hex_encode(raw, 32, h2);
        FUZZ_CHECK(!strcmp(h2, hex));
    }
    free(raw);
    for (size_t i = 0; i < np; i++) {
        free(params[i]);
    }
    free(params);
    free(copy);
    free(q);
    free(canon);
    lines_free(&ls);
}

/* ------------------------------------------------------------------------------------- */
/* 6: URL forms */

static void part_urls(const uint8_t *data, size_t size)
{
    char *url = strndup((const char *)data + 2, size - 2), *disp, *pos, *want;
    const char *after = strstr(url, "://"), *path;
    size_t idx = data[1], n;

    /* the path starts after scheme://authority (the whole text without "://") */
    path = after ? after + 3 + strcspn(after + 3, "/?#") : url;
    disp = http_url_display(url);
    FUZZ_CHECK(strlen(disp) == (size_t)(path - url) + strcspn(path, "?#") &&
               !strncmp(url, disp, strlen(disp)));
    pos = http_pos(url, idx);
    n = strcspn(path, "#");
    if (asprintf(&want, "http:%s%.*s:%zu", n && path[0] == '/' ? "" : "/", (int)n, path, idx) < 0) {
        abort();
    }
    FUZZ_CHECK(!strcmp(pos, want));
    free(want);
    free(pos);
    free(disp);
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 16 * 1024) {
        return 0;
    }
    switch (data[0] % 7) {
    case 0:
        part_templates(data, size);
        break;
    case 1:
        part_link(data, size);
        break;
    case 2:
        part_dates(data, size);
        break;
    case 3:
        part_ts(data, size);
        break;
    case 4:
        part_num(data, size);
        break;
    case 5:
        part_sign(data, size);
        break;
    default:
        part_urls(data, size);
        break;
    }
    return 0;
}
