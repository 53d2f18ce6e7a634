/*
 * gdx_protect.c - field protection: masks, scrubbing, tokens and encryption of text values.
 *
 * Every transform takes a UTF-8 value and returns a new malloc'd string; the caller's value
 * is never modified. Three invariants matter to auditors:
 *
 *  - a mask is all or nothing: an identifier that does not validate is an error (the record
 *    goes to the dead-letter queue encrypted), never half a mask that leaks the rest;
 *  - no error message or log line carries the value, only the field's name;
 *  - intermediate copies of values and derived keys are wiped before they are freed.
 *
 * Tokens are HMAC-SM3 over a normalised value (full-width folded, spaces trimmed, phone
 * prefixes removed) so the same person joins across departments whatever the input form.
 * Encryption is SM4-CBC then HMAC-SM3 over the envelope text (encrypt-then-MAC) with keys
 * derived per purpose, so the provincial side can decrypt with the openssl command line
 * (docs/protection.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gdx_protect.h"

#define ENC_PREFIX "enc:v1:"
#define TOK_PREFIX "tok:v1:"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static void free_wiped(char *p, size_t len)
{
    if (p) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

/* ---------------------------------------------------------------------------------------
 * names */

static const char *const action_names[] = {"keep", "drop", "mask", "scrub", "token", "encrypt"};
static const char *const format_names[] = {"generic", "id", "phone", "name", "address"};

int gdx_protect_action_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof(action_names) / sizeof(action_names[0]); i++) {
        if (!strcmp(name, action_names[i])) {
            return (int)i;
        }
    }
    return -1;
}

const char *gdx_protect_action_name(enum gdx_protect_action action)
{
    unsigned a = (unsigned)action;
    return a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : "?";
}

int gdx_mask_format_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (!strcmp(name, format_names[i])) {
            return (int)i;
        }
    }
    return -1;
}

const char *gdx_mask_format_name(enum gdx_mask_format format)
{
    unsigned f = (unsigned)format;
    return f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}

/* ---------------------------------------------------------------------------------------
 * UTF-8 */

/*
 * Decode the code point at s[*i]; advance *i. An invalid sequence yields its first byte as
 * U+DC00+byte (never produced by valid UTF-8) and advances one byte, so callers can copy it
 * through untouched and report it.
 */
static uint32_t u8_next(const char *str, size_t len, size_t *i)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t p = *i;
    uint32_t c = s[p], cp;
    size_t n;

    if (c < 0x80) {
        *i = p + 1;
        return c;
    }
    if (c >= 0xe1 && c <= 0xef && c != 0xed && p + 2 < len && (s[p + 1] & 0xc0) == 0x80 &&
        (s[p + 2] & 0xc0) == 0x80) {
        /* the common three-byte case (CJK): no overlong or surrogate possible */
        *i = p + 3;
        return (c & 0x0f) << 12 | (uint32_t)(s[p + 1] & 0x3f) << 6 | (s[p + 2] & 0x3f);
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        cp = c & 0x07;
    } else {
        goto bad;
    }
    for (size_t k = 1; k <= n; k++) {
        if (p + k >= len || (s[p + k] & 0xc0) != 0x80) {
            goto bad;
        }
        cp = cp << 6 | (s[p + k] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        goto bad;
    }
    *i = p + n + 1;
    return cp;
bad:
    *i = p + 1;
    return 0xdc00 + c;
}

static int is_bad_cp(uint32_t cp)
{
    return cp >= 0xdc80 && cp <= 0xdcff;
}

static size_t u8_put(char *out, uint32_t cp)
{
    if (is_bad_cp(cp)) {
        out[0] = (char)(cp - 0xdc00);
        return 1;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A decoded value: code points with the folding of full-width ASCII already applied. */
struct cps {
    uint32_t *cp;
    size_t n;
    int bad; /* an invalid UTF-8 sequence was seen */
};

static int is_space_cp(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x3000;
}

static uint32_t fold(uint32_t c)
{
    if (c >= 0xff01 && c <= 0xff5e) {
        return c - 0xfee0;
    }
    return c;
}

/* Decode, fold full-width ASCII, trim spaces at both ends */
static void cps_decode(const char *s, size_t len, struct cps *v)
{
    size_t i = 0, start = 0, end;
    v->cp = xmalloc((len + 1) * sizeof(uint32_t));
    v->n = 0;
    v->bad = 0;
    while (i < len) {
        uint32_t c = u8_next(s, len, &i);
        if (is_bad_cp(c)) {
            v->bad = 1;
        }
        v->cp[v->n++] = fold(c);
    }
    while (start < v->n && is_space_cp(v->cp[start])) {
        start++;
    }
    end = v->n;
    while (end > start && is_space_cp(v->cp[end - 1])) {
        end--;
    }
    memmove(v->cp, v->cp + start, (end - start) * sizeof(uint32_t));
    v->n = end - start;
}

static void cps_free(struct cps *v)
{
    OPENSSL_cleanse(v->cp, v->n * sizeof(uint32_t));
    free(v->cp);
    v->cp = NULL;
    v->n = 0;
}

static char *cps_encode(const uint32_t *cp, size_t n, size_t *outlen)
{
    char *out = xmalloc(n * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        o += u8_put(out + o, cp[i]);
    }
    out[o] = '\0';
    if (outlen) {
        *outlen = o;
    }
    return out;
}

/* ---------------------------------------------------------------------------------------
 * normalisation and validators */

static int is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* Drop a +86 / 0086 / 86 prefix when exactly 11 digits follow */
static void strip_cc(struct cps *v)
{
    static const char *const prefixes[] = {"+86", "0086", "86"};
    for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
        size_t pl = strlen(prefixes[k]), i;
        if (v->n != pl + 11) {
            continue;
        }
        for (i = 0; i < pl && v->cp[i] == (uint32_t)(unsigned char)prefixes[k][i]; i++) {
        }
        if (i < pl) {
            continue;
        }
        for (i = pl; i < v->n && is_digit(v->cp[i]); i++) {
        }
        if (i == v->n) {
            memmove(v->cp, v->cp + pl, 11 * sizeof(uint32_t));
            v->n = 11;
            return;
        }
    }
}

static void cps_normalise(enum gdx_mask_format format, const char *s, size_t len, struct cps *v)
{
    cps_decode(s, len, v);
    if (format == GDX_MASK_ID) {
        for (size_t i = 0; i < v->n; i++) {
            if (v->cp[i] == 'x') {
                v->cp[i] = 'X';
            }
        }
    } else if (format == GDX_MASK_PHONE) {
        size_t o = 0;
        for (size_t i = 0; i < v->n; i++) {
            if (v->cp[i] != ' ' && v->cp[i] != '-' && v->cp[i] != 0x3000) {
                v->cp[o++] = v->cp[i];
            }
        }
        v->n = o;
        strip_cc(v);
    }
}

char *gdx_protect_normalise(enum gdx_mask_format format, const char *s, size_t len, size_t *outlen)
{
    struct cps v;
    char *out;
    cps_normalise(format, s, len, &v);
    out = cps_encode(v.cp, v.n, outlen);
    cps_free(&v);
    return out;
}

static const int id_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char id_check[] = "10X98765432";

/* Check character of 17 digit values */
static char id_check_char(const int d[17])
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        sum += d[i] * id_weights[i];
    }
    return id_check[sum % 11];
}

int gdx_resident_id_check_ok(const char *s18)
{
    int d[17];
    for (int i = 0; i < 17; i++) {
        if (s18[i] < '0' || s18[i] > '9') {
            return 0;
        }
        d[i] = s18[i] - '0';
    }
    return id_check_char(d) == (s18[17] == 'x' ? 'X' : s18[17]);
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYYMMDD at @p p: a real date between 1900-01-01 and today */
static int birth_date_ok(const char *p)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, m, d, dim;
    time_t now = time(NULL);
    struct tm tm;

    for (int i = 0; i < 4; i++) {
        y = y * 10 + (p[i] - '0');
    }
    m = (p[4] - '0') * 10 + (p[5] - '0');
    d = (p[6] - '0') * 10 + (p[7] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1) {
        return 0;
    }
    dim = mdays[m - 1] + (m == 2 && leap(y));
    if (d > dim) {
        return 0;
    }
    if (localtime_r(&now, &tm)) {
        long today = (long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        if ((long)y * 10000 + m * 100 + d > today) {
            return 0;
        }
    }
    return 1;
}

/* The normalised value as an 18-char ASCII ID in @p id (19 bytes), or 0 */
static int id_from_cps(const struct cps *v, char id[19])
{
    if (v->n != 18) {
        return 0;
    }
    for (size_t i = 0; i < 18; i++) {
        uint32_t c = v->cp[i];
        if (!is_digit(c) && !(i == 17 && c == 'X')) {
            return 0;
        }
        id[i] = (char)c;
    }
    id[18] = '\0';
    return gdx_resident_id_check_ok(id) && birth_date_ok(id + 6);
}

int gdx_resident_id_valid(const char *s, size_t len)
{
    struct cps v;
    char id[19];
    int ok;
    cps_normalise(GDX_MASK_ID, s, len, &v);
    ok = id_from_cps(&v, id);
    cps_free(&v);
    OPENSSL_cleanse(id, sizeof(id));
    return ok;
}

static int mobile_from_cps(const struct cps *v, char ph[12])
{
    if (v->n != 11 || v->cp[0] != '1' || v->cp[1] < '3' || v->cp[1] > '9') {
        return 0;
    }
    for (size_t i = 0; i < 11; i++) {
        if (!is_digit(v->cp[i])) {
            return 0;
        }
        ph[i] = (char)v->cp[i];
    }
    ph[11] = '\0';
    return 1;
}

int gdx_mobile_valid(const char *s, size_t len)
{
    struct cps v;
    char ph[12];
    int ok;
    cps_normalise(GDX_MASK_PHONE, s, len, &v);
    ok = mobile_from_cps(&v, ph);
    cps_free(&v);
    return ok;
}

int gdx_uscc_valid(const char *s, size_t len)
{
    static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    struct cps v;
    int vals[18], sum = 0, ok = 1;

    cps_normalise(GDX_MASK_GENERIC, s, len, &v);
    if (v.n != 18) {
        ok = 0;
    }
    for (size_t i = 0; ok && i < 18; i++) {
        uint32_t c = v.cp[i];
        const char *p;
        if (c >= 'a' && c <= 'z') {
            c -= 32;
        }
        p = (c > 0 && c < 0x80) ? strchr(alpha, (int)c) : NULL;
        if (!p) {
            ok = 0;
        } else {
            vals[i] = (int)(p - alpha);
        }
    }
    if (ok) {
        for (int i = 0; i < 17; i++) {
            sum += vals[i] * w[i];
        }
        ok = vals[17] == (31 - sum % 31) % 31;
    }
    cps_free(&v);
    return ok;
}

/* ---------------------------------------------------------------------------------------
 * masks */

static char *mask_id_str(const char id[18])
{
    char *out = xmalloc(19);
    memcpy(out, id, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, id + 14, 4);
    out[18] = '\0';
    return out;
}

static char *mask_phone_str(const char ph[11])
{
    char *out = xmalloc(12);
    memcpy(out, ph, 3);
    memset(out + 3, '*', 4);
    memcpy(out + 7, ph + 7, 4);
    out[11] = '\0';
    return out;
}

/* Keep @p head code points and @p tail code points, one '*' per code point between */
static char *mask_keep(const struct cps *v, size_t head, size_t tail)
{
    char *out = xmalloc(v->n * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (i < head || i >= v->n - tail) {
            o += u8_put(out + o, v->cp[i]);
        } else {
            out[o++] = '*';
        }
    }
    out[o] = '\0';
    return out;
}

static int cp_at(const struct cps *v, size_t i, const char *ascii_or_utf8)
{
    /* Compare the code points at i with a UTF-8 literal */
    size_t k = 0, len = strlen(ascii_or_utf8);
    while (k < len) {
        uint32_t c = u8_next(ascii_or_utf8, len, &k);
        if (i >= v->n || v->cp[i] != c) {
            return 0;
        }
        i++;
    }
    return 1;
}

/* Characters that only appear below the county level: stop looking for divisions there */
static int below_county(uint32_t c)
{
    static const char stops[] = "路街道号巷弄村镇乡组栋楼室";
    size_t k = 0, len = sizeof(stops) - 1;
    if (is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
        return 1;
    }
    while (k < len) {
        if (u8_next(stops, len, &k) == c) {
            return 1;
        }
    }
    return 0;
}

#define ADDR_SEGMENT_MAX 16 /* longest division name, e.g. an autonomous county */

/*
 * Cut an address after its county-level division. Stages: 0 nothing seen, 1 after a
 * province (省, 自治区), 2 after a prefecture (市, 州, 盟, 地区); a district (区, 县, 旗, or
 * a county-level 市 after a prefecture) ends it. Returns the number of code points to keep;
 * 0 if no division was recognised.
 */
static size_t address_cut(const struct cps *v)
{
    size_t cut = 0, seg = 0;
    int stage = 0;

    for (size_t i = 0; i < v->n; i++, seg++) {
        uint32_t c = v->cp[i];
        if (seg >= ADDR_SEGMENT_MAX || below_county(c)) {
            break;
        }
        if (stage == 0 && cp_at(v, i, "自治区")) {
            i += 2;
            cut = i + 1;
            stage = 1;
            seg = (size_t)-1;
            continue;
        }
        if (stage == 0 && cp_at(v, i, "省")) {
            cut = i + 1;
            stage = 1;
            seg = (size_t)-1;
            continue;
        }
        if (stage < 2 && cp_at(v, i, "地区")) {
            i += 1;
            cut = i + 1;
            stage = 2;
            seg = (size_t)-1;
            continue;
        }
        if (cp_at(v, i, "区") || cp_at(v, i, "县") || cp_at(v, i, "旗")) {
            return i + 1;
        }
        if (stage < 2 && (cp_at(v, i, "市") || cp_at(v, i, "州") || cp_at(v, i, "盟"))) {
            if (cp_at(v, i + 1, "市")) {
                continue; /* 郑州市, 杭州市: part of the name */
            }
            cut = i + 1;
            stage = 2;
            seg = (size_t)-1;
            continue;
        }
        if (stage == 2 && cp_at(v, i, "市")) {
            if (cp_at(v, i + 1, "辖区") || cp_at(v, i + 1, "中区")) {
                continue; /* 市辖区, 市中区 end at their 区 */
            }
            return i + 1; /* a county-level city: 禹州市 */
        }
    }
    return cut;
}

int gdx_mask(enum gdx_mask_format format, const char *value, size_t len, char **out, char *errstr,
             size_t errstr_size)
{
    struct cps v;
    char buf[19];
    int err = GDX_OK;

    cps_normalise(format, value, len, &v);
    if (v.bad) {
        cps_free(&v);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "value is not valid UTF-8");
    }
    if (v.n == 0) {
        *out = xstrdup("");
        cps_free(&v);
        return GDX_OK;
    }
    switch (format) {
    case GDX_MASK_ID:
        if (!id_from_cps(&v, buf)) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "not a valid resident ID number");
            break;
        }
        *out = mask_id_str(buf);
        break;
    case GDX_MASK_PHONE:
        if (!mobile_from_cps(&v, buf)) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                             "not a valid mainland mobile number");
            break;
        }
        *out = mask_phone_str(buf);
        break;
    case GDX_MASK_NAME:
        *out = v.n == 1 ? xstrdup("*") : mask_keep(&v, 1, 0);
        break;
    case GDX_MASK_ADDRESS: {
        size_t keep = address_cut(&v);
        *out = keep ? cps_encode(v.cp, keep, NULL) : xstrdup("*");
        break;
    }
    case GDX_MASK_GENERIC:
    default:
        *out = v.n == 1 ? xstrdup("*") : mask_keep(&v, 1, v.n >= 3 ? 1 : 0);
        break;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    cps_free(&v);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * scrub */

static int is_x(uint32_t c)
{
    return c == 'x' || c == 'X';
}

static int mobile_digits(const uint32_t *d)
{
    return d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* Any digit as scrubbing sees them: ASCII 0-9 or full-width U+FF10..U+FF19 (EF BC 90..99),
 * the only code points that fold to a digit. The byte offset of the first at or after @p p,
 * or @p len. A digit found by bytes starts a code point of the decoding too: neither an ASCII
 * byte nor EF is ever a continuation byte, and u8_next steps one byte past a bad one. */
static size_t next_digit(const char *text, size_t p, size_t len)
{
    /* the bytes that can start a digit: 0-9 and EF */
    static const unsigned char start[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,  ['5'] = 1,
        ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, [0xef] = 1,
    };
    const unsigned char *s = (const unsigned char *)text;
    for (;; p++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* eight bytes at a time while none is a digit or EF: x ^ 0x30.. has a byte below 10
         * where the text has a digit, x ^ 0xef.. a zero byte where it has EF */
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        while (p + 8 <= len) {
            uint64_t w, d, e;
            memcpy(&w, s + p, 8);
            d = w ^ (ones * 0x30);
            e = w ^ (ones * 0xef);
            if (((d - ones * 10) & ~d & highs) | ((e - ones) & ~e & highs)) {
                break;
            }
            p += 8;
        }
#endif
        while (p < len && !start[s[p]]) {
            p++;
        }
        if (p >= len || s[p] != 0xef ||
            (p + 2 < len && s[p + 1] == 0xbc && s[p + 2] >= 0x90 && s[p + 2] <= 0x99)) {
            return p < len ? p : len;
        }
    }
}

#define SCRUB_KEEP 18 /* digits of a run kept: the longest pattern is an ID number */
#define SCRUB_LOOK 11 /* code points looked at after a run: 138-1234-5678 */

/*
 * Replace the resident ID numbers and mobile numbers in free text by their masks. Text
 * between digit runs is copied as bytes; each run (ASCII or full-width digits) is decoded
 * with the code points after it that the patterns look at, and either masked or copied:
 * an 18-digit run (or 17 digits and an X) with a valid check digit, 11 digits of a mobile
 * number (with +86/86 kept in front), or 3-4-4 digits separated by one kind of space or dash.
 */
int gdx_scrub(const char *text, size_t len, char **out, size_t *count, char *errstr,
              size_t errstr_size)
{
    uint32_t d[SCRUB_KEEP], a[SCRUB_LOOK];
    size_t doff[SCRUB_KEEP], aoff[SCRUB_LOOK + 1];
    size_t p = 0, o = 0, hits = 0;
    char *buf = xmalloc(len + 1); /* masks are never longer than what they replace */
    char tmp[19];

    while (p < len) {
        size_t q = next_digit(text, p, len), run = 0, la = 0, end;
        memcpy(buf + o, text + p, q - p);
        o += q - p;
        if ((p = q) >= len) {
            break;
        }
        /* the run, its first SCRUB_KEEP digits kept */
        for (;;) {
            size_t at = q;
            uint32_t c;
            if (q >= len || !is_digit(c = fold(u8_next(text, len, &q)))) {
                q = at;
                break;
            }
            if (run < SCRUB_KEEP) {
                doff[run] = at;
                d[run] = c;
            }
            run++;
        }
        end = q;
        /* what the patterns look at after the run: 3 digits (138 1234 5678) 11 code points,
         * 17 digits (an ID number ending in X) 2, the others none */
        for (size_t r = q, want = run == 3    ? SCRUB_LOOK
                                  : run == 17 ? 2
                                              : 0;
             la < want && r < len;) {
            aoff[la] = r;
            a[la++] = fold(u8_next(text, len, &r));
            aoff[la] = r;
        }
        if (run == 18 || (run == 17 && la >= 1 && is_x(a[0]) && (la < 2 || !is_digit(a[1])))) {
            for (size_t k = 0; k < 18; k++) {
                tmp[k] = k < run ? (char)d[k] : 'X';
            }
            tmp[18] = '\0';
            if (gdx_resident_id_check_ok(tmp)) {
                char *m = mask_id_str(tmp);
                memcpy(buf + o, m, 18);
                o += 18;
                free(m);
                hits++;
                p = run == 18 ? end : aoff[1];
                continue;
            }
        }
        if (run == 11 && mobile_digits(d)) {
            for (size_t k = 0; k < 11; k++) {
                tmp[k] = (char)d[k];
            }
            char *m = mask_phone_str(tmp);
            memcpy(buf + o, m, 11);
            o += 11;
            free(m);
            hits++;
            p = end;
            continue;
        }
        if (run == 13 && d[0] == '8' && d[1] == '6' && mobile_digits(d + 2)) {
            /* +8613812345678: keep the country code, mask the number */
            memcpy(buf + o, text + p, doff[2] - p);
            o += doff[2] - p;
            for (size_t k = 0; k < 11; k++) {
                tmp[k] = (char)d[2 + k];
            }
            char *m = mask_phone_str(tmp);
            memcpy(buf + o, m, 11);
            o += 11;
            free(m);
            hits++;
            p = end;
            continue;
        }
        if (run == 3 && mobile_digits(d) && la >= 10 && (a[0] == ' ' || a[0] == '-') &&
            is_digit(a[1]) && is_digit(a[2]) && is_digit(a[3]) && is_digit(a[4]) && a[5] == a[0] &&
            is_digit(a[6]) && is_digit(a[7]) && is_digit(a[8]) && is_digit(a[9]) &&
            (la < 11 || !is_digit(a[10]))) {
            /* 138 1234 5678, 138-1234-5678 */
            for (size_t k = 0; k < 3; k++) {
                tmp[k] = (char)d[k];
            }
            for (size_t k = 0; k < 4; k++) {
                tmp[3 + k] = (char)a[1 + k];
                tmp[7 + k] = (char)a[6 + k];
            }
            char *m = mask_phone_str(tmp);
            memcpy(buf + o, m, 11);
            o += 11;
            free(m);
            hits++;
            p = aoff[10];
            continue;
        }
        memcpy(buf + o, text + p, end - p);
        o += end - p;
        p = end;
    }
    buf[o] = '\0';
    *out = buf;
    if (count) {
        *count = hits;
    }
    OPENSSL_cleanse(d, sizeof(d));
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(tmp, sizeof(tmp));
    (void)errstr;
    (void)errstr_size;
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * token */

/* @p n bytes of @p src at @p p: the end of what was put */
static char *put(char *p, const void *src, size_t n)
{
    memcpy(p, src, n);
    return p + n;
}

int gdx_protect_token(const struct gdx_key *key, enum gdx_mask_format format, const char *value,
                      size_t len, char **out, char *errstr, size_t errstr_size)
{
    unsigned char mac[GDX_SM3_LEN];
    char hex[GDX_SM3_HEX_LEN + 1];
    size_t nlen = 0, olen;
    char *norm = gdx_protect_normalise(format, value, len, &nlen);
    int err;

    if (nlen == 0) {
        free(norm);
        *out = xstrdup("");
        return GDX_OK;
    }
    err = gdx_key_hmac(key, GDX_KEY_TOK, norm, nlen, mac, errstr, errstr_size);
    if (!err) {
        gdx_hex_encode(mac, sizeof(mac), hex);
        /* tok:v1:<key id>:<hex>, without snprintf: once per tokenised value */
        const char *id = gdx_key_id(key);
        size_t idlen = strlen(id);
        char *p;
        olen = sizeof(TOK_PREFIX) - 1 + idlen + 1 + GDX_SM3_HEX_LEN + 1;
        *out = p = xmalloc(olen);
        p = put(p, TOK_PREFIX, sizeof(TOK_PREFIX) - 1);
        p = put(p, id, idlen);
        *p++ = ':';
        memcpy(p, hex, GDX_SM3_HEX_LEN + 1);
    }
    free_wiped(norm, nlen);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * encrypt / decrypt */

static int derive_enc_mac(const struct gdx_key *key, unsigned char enc[GDX_SM3_LEN],
                          unsigned char mac[GDX_SM3_LEN], char *errstr, size_t errstr_size)
{
    int err = gdx_key_derive(key, "gdx enc", enc, errstr, errstr_size);
    if (!err) {
        err = gdx_key_derive(key, "gdx mac", mac, errstr, errstr_size);
    }
    return err;
}

int gdx_protect_encrypt(const struct gdx_key *key, const void *plain, size_t len, char **out,
                        char *errstr, size_t errstr_size)
{
    unsigned char iv[GDX_SM4_BLOCK], mac[GDX_SM3_LEN];
    char ivhex[2 * GDX_SM4_BLOCK + 1];
    unsigned char *ct = NULL;
    char *b64 = NULL, *env = NULL;
    size_t ctlen = 0, envlen, plen;
    int err;

    err = gdx_key_sm4_encrypt(key, iv, plain, len, &ct, &ctlen, errstr, errstr_size);
    if (err) {
        goto out;
    }
    gdx_hex_encode(iv, sizeof(iv), ivhex);
    b64 = gdx_base64_encode(ct, ctlen, 0);
    /* enc:v1:<key id>:<iv>:<ciphertext>, then :<mac> of all that, without snprintf */
    const char *id = gdx_key_id(key);
    size_t idlen = strlen(id), b64len = strlen(b64);
    envlen = sizeof(ENC_PREFIX) - 1 + idlen + 1 + 2 * GDX_SM4_BLOCK + 1 + b64len + 1 +
             GDX_SM3_HEX_LEN + 1;
    env = xmalloc(envlen);
    char *p = put(env, ENC_PREFIX, sizeof(ENC_PREFIX) - 1);
    p = put(p, id, idlen);
    *p++ = ':';
    p = put(p, ivhex, 2 * GDX_SM4_BLOCK);
    *p++ = ':';
    p = put(p, b64, b64len);
    plen = (size_t)(p - env);
    err = gdx_key_hmac(key, GDX_KEY_MAC, env, plen, mac, errstr, errstr_size);
    if (err) {
        free(env);
        goto out;
    }
    env[plen] = ':';
    gdx_hex_encode(mac, sizeof(mac), env + plen + 1); /* and its NUL */
    *out = env;
out:
    free(ct);
    free(b64);
    return err;
}

int gdx_protect_envelope_keyid(const char *env, size_t len, char id[GDX_KEY_ID_MAX + 1])
{
    size_t pl = strlen(ENC_PREFIX), n = 0;
    if (len < pl || (memcmp(env, ENC_PREFIX, pl) && memcmp(env, TOK_PREFIX, pl))) {
        return GDX_ERR_PARSE;
    }
    while (pl + n < len && env[pl + n] != ':' && n <= GDX_KEY_ID_MAX) {
        n++;
    }
    if (n == 0 || n > GDX_KEY_ID_MAX || pl + n >= len) {
        return GDX_ERR_PARSE;
    }
    memcpy(id, env + pl, n);
    id[n] = '\0';
    return gdx_key_id_valid(id) ? GDX_OK : GDX_ERR_PARSE;
}

int gdx_protect_decrypt(const struct gdx_keyring *kr, const char *env, size_t len, char **out,
                        size_t *outlen, char *errstr, size_t errstr_size)
{
    char id[GDX_KEY_ID_MAX + 1];
    const char *f[4]; /* keyid, iv, ciphertext, mac */
    size_t flen[4], k = 0, start;
    unsigned char ek[GDX_SM3_LEN], mk[GDX_SM3_LEN], iv[GDX_SM4_BLOCK];
    unsigned char mac[GDX_SM3_LEN], want[GDX_SM3_LEN];
    unsigned char *ct = NULL, *pt = NULL;
    size_t ctlen = 0, ptlen = 0;
    const struct gdx_key *key;
    int err;

    if (gdx_protect_envelope_keyid(env, len, id) != GDX_OK ||
        memcmp(env, ENC_PREFIX, strlen(ENC_PREFIX)) != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "not an enc:v1 envelope");
    }
    start = strlen(ENC_PREFIX);
    for (size_t i = start; i <= len && k < 4; i++) {
        if (i == len || env[i] == ':') {
            f[k] = env + start;
            flen[k] = i - start;
            k++;
            start = i + 1;
            if (i == len) {
                break;
            }
        }
    }
    if (k != 4 || f[3] + flen[3] != env + len) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "malformed enc:v1 envelope: want 6 colon-separated parts");
    }
    if (flen[1] != 2 * GDX_SM4_BLOCK ||
        gdx_hex_decode(f[1], flen[1], iv, sizeof(iv)) != GDX_SM4_BLOCK ||
        flen[3] != GDX_SM3_HEX_LEN ||
        gdx_hex_decode(f[3], flen[3], want, sizeof(want)) != GDX_SM3_LEN) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "malformed enc:v1 envelope: bad iv or mac");
    }
    key = gdx_keyring_find(kr, id);
    if (!key) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT,
                          "no key with id '%s': the envelope needs key '%s'", id, id);
    }
    err = derive_enc_mac(key, ek, mk, errstr, errstr_size);
    if (err) {
        goto out;
    }
    /* MAC over everything before the last colon, checked before any decryption */
    err = gdx_key_hmac(key, GDX_KEY_MAC, env, (size_t)(f[3] - 1 - env), mac, errstr, errstr_size);
    if (err) {
        goto out;
    }
    if (CRYPTO_memcmp(mac, want, sizeof(mac)) != 0) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                         "envelope MAC does not verify with key '%s': wrong key or tampered", id);
        goto out;
    }
    if (gdx_base64_decode(f[2], flen[2], 0, &ct, &ctlen) != GDX_OK) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                         "malformed enc:v1 envelope: bad base64 ciphertext");
        goto out;
    }
    err = gdx_sm4_cbc_decrypt(ek, iv, ct, ctlen, &pt, &ptlen, errstr, errstr_size);
    if (err) {
        goto out;
    }
    *out = xmalloc(ptlen + 1);
    memcpy(*out, pt, ptlen);
    (*out)[ptlen] = '\0';
    if (outlen) {
        *outlen = ptlen;
    }
out:
    OPENSSL_cleanse(ek, sizeof(ek));
    OPENSSL_cleanse(mk, sizeof(mk));
    free(ct);
    free_wiped((char *)pt, ptlen);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * rules */

int gdx_protect_apply(const struct gdx_protect_rule *rule, const struct gdx_protect_keys *keys,
                      const char *value, size_t len, char **out, char *errstr, size_t errstr_size)
{
    char inner[256];
    const struct gdx_key *key;
    int err = GDX_OK;

    *out = NULL;
    inner[0] = '\0';
    if (!value || rule->action == GDX_PROTECT_DROP) {
        return GDX_OK;
    }
    switch (rule->action) {
    case GDX_PROTECT_KEEP:
        *out = xmalloc(len + 1);
        memcpy(*out, value, len);
        (*out)[len] = '\0';
        return GDX_OK;
    case GDX_PROTECT_MASK:
        err = gdx_mask(rule->format, value, len, out, inner, sizeof(inner));
        break;
    case GDX_PROTECT_SCRUB:
        err = gdx_scrub(value, len, out, NULL, inner, sizeof(inner));
        break;
    case GDX_PROTECT_TOKEN:
        key = keys && keys->token ? gdx_keyring_current(keys->token) : NULL;
        if (!key) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "field '%s': token needs a token key", rule->field);
        }
        err = gdx_protect_token(key, rule->format, value, len, out, inner, sizeof(inner));
        break;
    case GDX_PROTECT_ENCRYPT:
        key = keys && keys->enc ? gdx_keyring_current(keys->enc) : NULL;
        if (!key) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "field '%s': encrypt needs an encryption key", rule->field);
        }
        err = gdx_protect_encrypt(key, value, len, out, inner, sizeof(inner));
        break;
    default:
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "field '%s': unknown protection action %d", rule->field,
                          (int)rule->action);
    }
    if (err) {
        *out = NULL;
        return gdx_seterr(errstr, errstr_size, err, "field '%s': %s %s: %s", rule->field,
                          gdx_protect_action_name(rule->action),
                          rule->action == GDX_PROTECT_MASK ? gdx_mask_format_name(rule->format)
                                                           : "failed",
                          inner);
    }
    return GDX_OK;
}
