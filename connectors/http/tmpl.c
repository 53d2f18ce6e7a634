/*
 * tmpl.c - templates, Link, Retry-After, HTTP dates and cursor values for the http
 * connector.
 *
 * Placeholders are `{name}` with a name of lowercase letters; only the known names are
 * placeholders, so the braces of a JSON body template (`{"since":"{cursor}"}`) stay as they
 * are. Every substituted value is escaped for its place (URL, JSON string, raw), so a cursor
 * value with `&`, `"` or Chinese text never changes the shape of the request.
 *
 * Parsers here never read past the text they are given and accept only what they
 * understand: an unknown Retry-After or date is -1, never a guess.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gdx_util.h"
#include "tmpl.h"

static const char *const tmpl_names[] = {"cursor", "page",  "size", "offset",
                                         "limit",  "token", NULL};

/* The placeholder at s ("{name}"), or -1; *len its length with braces. */
static int tmpl_at(const char *s, size_t *len)
{
    size_t n = 1;
    if (s[0] != '{') {
        return -1;
    }
    while (s[n] >= 'a' && s[n] <= 'z') {
        n++;
    }
    if (n == 1 || s[n] != '}') {
        return -1;
    }
    for (int i = 0; tmpl_names[i]; i++) {
        if (strlen(tmpl_names[i]) == n - 1 && !strncmp(tmpl_names[i], s + 1, n - 1)) {
            *len = n + 1;
            return i;
        }
    }
    *len = n + 1;
    return -2; /* a {word} that is not known */
}

int http_tmpl_check(const char *tmpl, char *bad, size_t bad_size)
{
    for (const char *p = tmpl; *p; p++) {
        size_t len;
        if (*p == '{' && tmpl_at(p, &len) == -2) {
            snprintf(bad, bad_size, "%.*s", (int)len, p);
            return -1;
        }
    }
    return 0;
}

int http_tmpl_uses(const char *tmpl, const char *name)
{
    for (const char *p = tmpl; p && *p; p++) {
        size_t len;
        int i = *p == '{' ? tmpl_at(p, &len) : -1;
        if (i >= 0 && !strcmp(tmpl_names[i], name)) {
            return 1;
        }
        if (i == 4 && !strcmp(name, "size")) {
            return 1; /* {limit} is {size} */
        }
    }
    return 0;
}

struct tbuf {
    char *s;
    size_t len, cap;
};

static void tb_put(struct tbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = gdx_xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void tb_esc(struct tbuf *b, const char *v, enum http_esc esc)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char tmp[8];
        if (esc == HTTP_ESC_URL) {
            if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
                tb_put(b, (const char *)p, 1);
            } else {
                tmp[0] = '%';
                tmp[1] = hexd[*p >> 4];
                tmp[2] = hexd[*p & 15];
                tb_put(b, tmp, 3);
            }
        } else if (esc == HTTP_ESC_JSON) {
            if (*p == '"' || *p == '\\') {
                tmp[0] = '\\';
                tmp[1] = (char)*p;
                tb_put(b, tmp, 2);
            } else if (*p < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
                tb_put(b, tmp, 6);
            } else {
                tb_put(b, (const char *)p, 1);
            }
        } else {
            tb_put(b, (const char *)p, 1);
        }
    }
}

char *http_tmpl_expand(const char *tmpl, const struct http_vars *vars, enum http_esc esc)
{
    struct tbuf b = {NULL, 0, 0};
    tb_put(&b, "", 0);
    for (const char *p = tmpl; *p;) {
        size_t len;
        int i = *p == '{' ? tmpl_at(p, &len) : -1;
        if (i < 0) {
            tb_put(&b, p, 1);
            p++;
            continue;
        }
        const char *v = i == 0   ? vars->cursor
                        : i == 1 ? vars->page
                        : i == 2 ? vars->size
                        : i == 3 ? vars->offset
                        : i == 4 ? vars->size
                                 : vars->token;
        tb_esc(&b, v ? v : "", esc);
        p += len;
    }
    return b.s;
}

char *http_url_append_encoded(const char *prefix, const char *s)
{
    struct tbuf b = {NULL, 0, 0};
    tb_put(&b, prefix, strlen(prefix));
    tb_esc(&b, s, HTTP_ESC_URL);
    return b.s;
}

/* ------------------------------------------------------------------------------------- */
/* Link (RFC 8288) */

static const char *link_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/*
 * Link header value: link-value *( OWS "," OWS link-value ), link-value = "<" URI-Reference
 * ">" *( OWS ";" OWS link-param ), link-param = token BWS [ "=" BWS ( token /
 * quoted-string ) ]. Parameters are read one by one, so a quoted title holding `rel=next`,
 * a comma or a bracket, or a parameter merely ending in "rel", never names the next page.
 */
char *http_link_next(const char *value)
{
    const char *p = value;
    while (p && *p) {
        const char *lt, *gt;
        int next = 0;
        p = link_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p != '<' || !(gt = strchr(p, '>'))) {
            return NULL; /* not a link-value: nothing more can be trusted */
        }
        lt = p;
        p = gt + 1;
        for (;;) {
            const char *name, *v, *ve;
            size_t nl;
            p = link_ows(p);
            if (*p != ';') {
                break;
            }
            p = link_ows(p + 1);
            name = p;
            while (*p && !strchr(" \t=;,", *p)) {
                p++;
            }
            nl = (size_t)(p - name);
            p = link_ows(p);
            v = ve = p;
            if (*p == '=') {
                p = link_ows(p + 1);
                if (*p == '"') {
                    v = ++p;
                    while (*p && *p != '"') {
                        p += p[0] == '\\' && p[1] ? 2 : 1;
                    }
                    ve = p;
                    if (*p == '"') {
                        p++;
                    }
                } else {
                    v = p;
                    while (*p && !strchr(" \t;,", *p)) {
                        p++;
                    }
                    ve = p;
                }
            }
            if (nl == 3 && !strncasecmp(name, "rel", 3)) {
                /* a space-separated list of relation types (a backslash escape is no type) */
                for (const char *w = v; w < ve;) {
                    const char *we = w;
                    while (we < ve && *we != ' ') {
                        we++;
                    }
                    next |= we - w == 4 && !strncasecmp(w, "next", 4);
                    w = we + 1;
                }
            }
        }
        if (next) {
            return strndup(lt + 1, (size_t)(gt - lt - 1));
        }
        /* on to the comma that ends this link-value */
        p = link_ows(p);
        if (*p && *p != ',') {
            return NULL;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------- */
/* dates */

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_of(const char *s)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; i++) {
        if (!strncasecmp(s, mon[i], 3)) {
            return i + 1;
        }
    }
    return 0;
}

int http_date_parse(const char *s, time_t *out)
{
    int d, y, h, mi, sec, n = 0;
    char mon[4];
    const char *comma = strchr(s, ',');

    if (comma) {
        /* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850 "Sunday, 06-Nov-94 ..." */
        const char *p = comma + 1;
        if (sscanf(p, " %2d %3s %4d %2d:%2d:%2d GMT%n", &d, mon, &y, &h, &mi, &sec, &n) == 6 &&
            n > 0) {
        } else if (sscanf(p, " %2d-%3s-%2d %2d:%2d:%2d GMT%n", &d, mon, &y, &h, &mi, &sec, &n) ==
                       6 &&
                   n > 0) {
            y += y < 70 ? 2000 : 1900;
        } else {
            return -1;
        }
    } else {
        /* asctime "Sun Nov  6 08:49:37 1994" */
        char wd[4];
        if (sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wd, mon, &d, &h, &mi, &sec, &y, &n) != 7) {
            return -1;
        }
    }
    int m = month_of(mon);
    if (!m || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        return -1;
    }
    *out = (time_t)(days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec);
    return 0;
}

int64_t http_retry_after_ms(const char *s, time_t now)
{
    time_t t;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (isdigit((unsigned char)*s)) {
        char *end;
        long long v = strtoll(s, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') {
            end++;
        }
        if (*end || v < 0 || v > 86400 * 365) {
            return -1;
        }
        return (int64_t)v * 1000;
    }
    if (http_date_parse(s, &t)) {
        return -1;
    }
    return t > now ? (int64_t)(t - now) * 1000 : 0;
}

/* "+08:00", "+0800", "+08", "Z": seconds east of UTC; -1 on anything else */
static int tz_parse(const char *s, size_t n, long *secs)
{
    int h = 0, m = 0;
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *secs = 0;
        return 0;
    }
    if (n < 3 || (s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2])) {
        return -1;
    }
    h = (s[1] - '0') * 10 + (s[2] - '0');
    if (n == 6 && s[3] == ':' && isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5])) {
        m = (s[4] - '0') * 10 + (s[5] - '0');
    } else if (n == 5 && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4])) {
        m = (s[3] - '0') * 10 + (s[4] - '0');
    } else if (n != 3) {
        return -1;
    }
    if (h > 14 || m > 59) {
        return -1;
    }
    *secs = (h * 3600L + m * 60L) * (s[0] == '-' ? -1 : 1);
    return 0;
}

static int digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return -1;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int http_ts_parse(const char *s, size_t len, const char *default_tz, int64_t *us)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    long frac = 0, tz = 0;
    size_t i;

    if (len == 0) {
        return -1;
    }
    /* a number: epoch seconds, or milliseconds from 12 digits on */
    for (i = 0; i < len && isdigit((unsigned char)s[i]); i++) {
    }
    if (i == len) {
        if (len > 16) {
            return -1;
        }
        int64_t v = 0, unit = len >= 12 ? 1000 : 1000000;
        for (i = 0; i < len; i++) {
            v = v * 10 + (s[i] - '0');
        }
        if (v > INT64_MAX / unit) {
            return -1; /* 16 digits of milliseconds: beyond what microseconds hold */
        }
        *us = v * unit;
        return 0;
    }
    if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
        return -1;
    }
    i = 10;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        if (len < i + 9 || digits(s + i + 1, 2, &h) || s[i + 3] != ':' ||
            digits(s + i + 4, 2, &mi) || s[i + 6] != ':' || digits(s + i + 7, 2, &sec) || h > 23 ||
            mi > 59 || sec > 60) {
            return -1;
        }
        i += 9;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            int k = 0;
            for (i++; i < len && isdigit((unsigned char)s[i]); i++, k++) {
                if (k < 6) {
                    frac = frac * 10 + (s[i] - '0');
                }
            }
            if (k == 0) {
                return -1;
            }
            for (; k < 6; k++) {
                frac *= 10;
            }
        }
    }
    if (i < len) {
        if (tz_parse(s + i, len - i, &tz)) {
            return -1;
        }
    } else if (default_tz && *default_tz) {
        if (tz_parse(default_tz, strlen(default_tz), &tz)) {
            return -1;
        }
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - tz;
    *us = t * 1000000 + frac;
    return 0;
}

/* Skip the sign and leading zeros; returns the digits' start or NULL if not an integer. */
static const char *num_digits(const char *s, int *neg)
{
    *neg = *s == '-';
    if (*s == '-' || *s == '+') {
        s++;
    }
    if (!*s) {
        return NULL;
    }
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            return NULL;
        }
    }
    while (s[0] == '0' && s[1]) {
        s++;
    }
    return s;
}

int http_num_cmp(const char *a, const char *b)
{
    int na, nb, c;
    const char *da = num_digits(a, &na), *db = num_digits(b, &nb);
    if (!da || !db) {
        return -2;
    }
    if (!strcmp(da, "0")) {
        na = 0;
    }
    if (!strcmp(db, "0")) {
        nb = 0;
    }
    if (na != nb) {
        return na ? -1 : 1;
    }
    size_t la = strlen(da), lb = strlen(db);
    c = la != lb ? (la < lb ? -1 : 1) : strcmp(da, db);
    c = c < 0 ? -1 : c > 0;
    return na ? -c : c;
}

/* ------------------------------------------------------------------------------------- */
/* URLs in positions and messages */

/* The start of the path in @p url (after scheme://authority), or the URL itself. */
static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p) {
        return url;
    }
    p += 3;
    p += strcspn(p, "/?#");
    return p;
}

char *http_pos(const char *url, size_t index)
{
    const char *path = url_path(url);
    size_t n = strcspn(path, "#");
    char *out = NULL;
    if (asprintf(&out, "http:%s%.*s:%zu", n && path[0] != '/' ? "/" : (n ? "" : "/"), (int)n, path,
                 index) < 0) {
        abort();
    }
    return out;
}

char *http_url_display(const char *url)
{
    const char *path = url_path(url);
    size_t n = (size_t)(path - url) + strcspn(path, "?#");
    return strndup(url, n);
}
