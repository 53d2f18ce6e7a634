/*
 * gdx_text.c - text encodings at the edge.
 *
 * Everything inside gdx is UTF-8. A decoder turns bytes from a department's export into
 * UTF-8: for "utf-8" it only validates (and copies), for "gb18030"/"gbk" it runs glibc's
 * iconv, whose GB18030 table covers the four-byte sequences (supplementary planes included).
 * GBK is decoded as GB18030, its superset, so a file that mixes in a few GB18030-only
 * characters is still read. The one- and two-byte part of GB18030 (ASCII and the 23,940
 * two-byte codes, where nearly all Chinese text lives) is decoded through tables that the
 * first decoder of the process fills, by asking iconv for every two-byte code, and all its
 * decoders share: the mapping stays glibc's, and a character costs a table lookup instead of
 * an iconv call (measured: iconv was a fifth of the file connector's main thread). Runs of
 * two-byte codes go through a table of 64K entries indexed by both bytes (256 KiB, one load
 * a character); the compact table by lead and trail serves the rest. Four-byte sequences go
 * to iconv one at a time. Invariants: the decoder's output is always valid UTF-8 (each table
 * entry and each four-byte result is checked once, when it is made, so the output needs no
 * second pass), an input error always reports the byte offset of the first bad sequence in
 * the caller's input, and no conversion keeps state across calls.
 *
 * The UTF-8 validator is strict (RFC 3629): no overlong forms, no UTF-16 surrogates, nothing
 * above U+10FFFF, no truncated sequences. gdx_quote() renders text as a JSON string for logs
 * and messages, truncating on a character boundary.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gdx_err.h"
#include "gdx_text.h"

#define GB_LEAD_MIN  0x81
#define GB_LEAD_CNT  126 /* 0x81..0xfe */
#define GB_TRAIL_CNT 190 /* 0x40..0x7e, 0x80..0xfe */

struct gdx_decoder {
    int utf8;   /* validate only */
    iconv_t cd; /* (iconv_t)-1 for utf-8 */
    char *buf;  /* output buffer, grown as needed */
    size_t cap;
    /* two-byte GB18030 codes as UTF-8, up to 4 bytes in memory order; 0 = invalid */
    const uint32_t *gb2;
    /* the same indexed by lead << 8 | trail, only codes of up to 3 UTF-8 bytes (their length
     * in the fourth byte); 0 = take the slow path (invalid, four UTF-8 bytes, not a lead) */
    const uint32_t *gb16;
};

static size_t utf8_seq(const unsigned char *s, size_t left);

/* gb_trail() of every byte, for the decoding loop */
#define GB_T8(b)                                                                                   \
    (b) >= 0x40 && (b) <= 0x7e ? (b)-0x40 : (b) >= 0x80 && (b) <= 0xfe ? (b)-0x80 + 63 : -1
#define GB_T16(b)                                                                                  \
    GB_T8(b), GB_T8((b) + 1), GB_T8((b) + 2), GB_T8((b) + 3), GB_T8((b) + 4), GB_T8((b) + 5),      \
        GB_T8((b) + 6), GB_T8((b) + 7), GB_T8((b) + 8), GB_T8((b) + 9), GB_T8((b) + 10),           \
        GB_T8((b) + 11), GB_T8((b) + 12), GB_T8((b) + 13), GB_T8((b) + 14), GB_T8((b) + 15)
static const int16_t gb_trail_index[256] = {
    GB_T16(0x00), GB_T16(0x10), GB_T16(0x20), GB_T16(0x30), GB_T16(0x40), GB_T16(0x50),
    GB_T16(0x60), GB_T16(0x70), GB_T16(0x80), GB_T16(0x90), GB_T16(0xa0), GB_T16(0xb0),
    GB_T16(0xc0), GB_T16(0xd0), GB_T16(0xe0), GB_T16(0xf0),
};
#undef GB_T16
#undef GB_T8

/* Index of a two-byte code's trail byte, or -1 when the byte cannot trail. */
static int gb_trail(unsigned char t)
{
    if (t >= 0x40 && t <= 0x7e) {
        return t - 0x40;
    }
    if (t >= 0x80 && t <= 0xfe) {
        return t - 0x80 + 63;
    }
    return -1;
}

/* Convert one sequence with iconv into out (at most 4 bytes of valid UTF-8); its length, or
 * 0 when iconv refuses it or makes anything but one character. */
static size_t gb_iconv_one(iconv_t cd, const unsigned char *in, size_t len, unsigned char *out)
{
    char obuf[16];
    char *src = (char *)(uintptr_t)in, *dst = obuf;
    size_t inleft = len, outleft = sizeof(obuf), n;

    iconv(cd, NULL, NULL, NULL, NULL);
    if (iconv(cd, &src, &inleft, &dst, &outleft) == (size_t)-1 || inleft != 0) {
        iconv(cd, NULL, NULL, NULL, NULL);
        return 0;
    }
    n = (size_t)(dst - obuf);
    if (n == 0 || n > 4 || utf8_seq((const unsigned char *)obuf, n) != n) {
        return 0;
    }
    memcpy(out, obuf, n);
    return n;
}

/*
 * The two tables, made once per process by the first GB18030 decoder (pthread_once) and
 * shared by all of them: they never change once made. NULL if iconv could not be opened.
 */
static uint32_t *gb2_shared, *gb16_shared;
static pthread_once_t gb_once = PTHREAD_ONCE_INIT;

static void gb_table_fill(void)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    uint32_t *gb2, *gb16;
    if (cd == (iconv_t)-1) {
        return;
    }
    gb2 = calloc((size_t)GB_LEAD_CNT * GB_TRAIL_CNT, sizeof(*gb2));
    gb16 = calloc(65536, sizeof(*gb16));
    if (!gb2 || !gb16) {
        abort();
    }
    for (int l = 0; l < GB_LEAD_CNT; l++) {
        for (int t = 0x40; t <= 0xfe; t++) {
            unsigned char in[2] = {(unsigned char)(GB_LEAD_MIN + l), (unsigned char)t}, out[4];
            int ti = gb_trail((unsigned char)t);
            uint32_t v = 0;
            size_t n;
            if (ti < 0 || !(n = gb_iconv_one(cd, in, 2, out))) {
                continue;
            }
            memcpy(&v, out, n);
            if (n <= 3) {
                ((unsigned char *)&v)[3] = (unsigned char)n; /* its length in the fourth byte */
                gb16[(GB_LEAD_MIN + l) << 8 | t] = v;
            }
            gb2[l * GB_TRAIL_CNT + ti] = v;
        }
    }
    iconv_close(cd);
    gb2_shared = gb2;
    gb16_shared = gb16;
}

static int is_utf8_name(const char *s)
{
    return strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0;
}

struct gdx_decoder *gdx_decoder_new(const char *encoding, char *errstr, size_t errstr_size)
{
    struct gdx_decoder *dec;

    if (!encoding) {
        encoding = "utf-8";
    }
    dec = calloc(1, sizeof(*dec));
    if (!dec) {
        abort();
    }
    dec->cd = (iconv_t)-1;
    if (is_utf8_name(encoding)) {
        dec->utf8 = 1;
        return dec;
    }
    if (strcasecmp(encoding, "gb18030") != 0 && strcasecmp(encoding, "gbk") != 0) {
        free(dec);
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                   "unknown encoding '%s' (expected utf-8, gb18030 or gbk)", encoding);
        return NULL;
    }
    dec->cd = iconv_open("UTF-8", "GB18030");
    if (dec->cd == (iconv_t)-1) {
        int e = errno;
        free(dec);
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot convert from '%s': %s", encoding,
                   strerror(e));
        return NULL;
    }
    pthread_once(&gb_once, gb_table_fill);
    if (!gb2_shared) {
        iconv_close(dec->cd);
        free(dec);
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot convert from '%s': %s", encoding,
                   "no GB18030 table");
        return NULL;
    }
    dec->gb2 = gb2_shared;
    dec->gb16 = gb16_shared;
    return dec;
}

void gdx_decoder_destroy(struct gdx_decoder *dec)
{
    if (!dec) {
        return;
    }
    if (dec->cd != (iconv_t)-1) {
        iconv_close(dec->cd);
    }
    free(dec->buf);
    free(dec);
}

int gdx_decoder_is_utf8(const struct gdx_decoder *dec)
{
    return dec->utf8;
}

static void reserve(struct gdx_decoder *dec, size_t need)
{
    size_t cap;

    if (need <= dec->cap) {
        return;
    }
    cap = dec->cap ? dec->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    dec->buf = realloc(dec->buf, cap);
    if (!dec->buf) {
        abort();
    }
    dec->cap = cap;
}

/* The end of the ASCII run from @p i: eight bytes at a time, the rest to the next byte with
 * its top bit set looked at by the caller */
static size_t ascii_run(const unsigned char *p, size_t i, size_t len)
{
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL) {
            break;
        }
        i += 8;
    }
    return i;
}

/*
 * GB18030 @p in to UTF-8 at @p dst (room for len * 1.5 + 8 bytes): the end of the output, or
 * NULL with *bad at the offset of the first invalid sequence. ASCII passes eight bytes at a
 * time where it runs on, runs of two-byte codes in a loop of their own (one table load
 * each), four-byte codes through iconv.
 */
static char *gb_run(const struct gdx_decoder *dec, const unsigned char *p, size_t len, char *dst,
                    size_t *bad)
{
    const uint32_t *gb2 = dec->gb2, *gb16 = dec->gb16;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            size_t j = ascii_run(p, i + 1, len);
            memcpy(dst, p + i, j - i);
            dst += j - i;
            i = j;
            continue;
        }
        /* two-byte codes, the common case of Chinese text: one load each */
        while (i + 1 < len) {
            uint32_t v = gb16[(size_t)p[i] << 8 | p[i + 1]];
            if (v == 0) {
                break;
            }
            memcpy(dst, &v, 4); /* room: 4 bytes out for 2 in is within 1.5x + 8 */
            dst += ((const unsigned char *)&v)[3];
            i += 2;
        }
        if (i >= len || p[i] < 0x80) {
            continue;
        }
        c = p[i];
        if (c >= GB_LEAD_MIN && c <= 0xfe && i + 1 < len && gb_trail_index[p[i + 1]] >= 0) {
            /* a two-byte code of four UTF-8 bytes, or one without a character */
            uint32_t v = gb2[(c - GB_LEAD_MIN) * GB_TRAIL_CNT + gb_trail_index[p[i + 1]]];
            if (v == 0) {
                goto bad;
            }
            memcpy(dst, &v, 4);
            dst += 4;
            i += 2;
            continue;
        }
        if (c >= GB_LEAD_MIN && c <= 0xfe && i + 3 < len && p[i + 1] >= 0x30 && p[i + 1] <= 0x39) {
            size_t n = gb_iconv_one(dec->cd, p + i, 4, (unsigned char *)dst);
            if (n == 0) {
                goto bad;
            }
            dst += n;
            i += 4;
            continue;
        }
        goto bad; /* 0x80, 0xff, a bad trail byte, or a sequence cut short by the end */
    }
    return dst;
bad:
    *bad = i;
    return NULL;
}

int gdx_decoder_convert(struct gdx_decoder *dec, const char *in, size_t len, const char **out,
                        size_t *out_len, size_t *bad_off)
{
    char *end;
    size_t bad = 0;

    *out = NULL;
    *out_len = 0;
    if (dec->utf8) {
        if (!gdx_utf8_valid(in, len, bad_off)) {
            return GDX_ERR_PARSE;
        }
        reserve(dec, len + 1);
        memcpy(dec->buf, in, len);
        dec->buf[len] = '\0';
        *out = dec->buf;
        *out_len = len;
        return GDX_OK;
    }

    /* GB18030 -> UTF-8 grows at most 2 bytes -> 3 and 4 bytes -> 4; 1.5x is enough. */
    reserve(dec, len + len / 2 + 8);
    end = gb_run(dec, (const unsigned char *)in, len, dec->buf, &bad);
    if (!end) {
        if (bad_off) {
            *bad_off = bad;
        }
        return GDX_ERR_PARSE;
    }
    *end = '\0';
    *out = dec->buf;
    *out_len = (size_t)(end - dec->buf);
    return GDX_OK;
}

int gdx_decoder_convert_fields(struct gdx_decoder *dec, const char *base, const size_t *starts,
                               const size_t *lens, size_t n, size_t *offs, const char **out,
                               size_t *out_len, size_t *bad_field, size_t *bad_off)
{
    size_t need = 8, used = 0, bad = 0;

    for (size_t i = 0; i < n; i++) {
        need += lens[i] + lens[i] / 2 + 9;
    }
    reserve(dec, need);
    for (size_t i = 0; i < n; i++) {
        const char *in = base + starts[i];
        char *dst = dec->buf + used, *end;
        if (dec->utf8) {
            if (!gdx_utf8_valid(in, lens[i], &bad)) {
                end = NULL;
            } else {
                memcpy(dst, in, lens[i]);
                end = dst + lens[i];
            }
        } else {
            end = gb_run(dec, (const unsigned char *)in, lens[i], dst, &bad);
        }
        if (!end) {
            *bad_field = i;
            if (bad_off) {
                *bad_off = bad;
            }
            return GDX_ERR_PARSE;
        }
        offs[i] = used;
        *end = '\0';
        used = (size_t)(end - dec->buf) + 1;
    }
    *out = dec->buf;
    *out_len = used;
    return GDX_OK;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is invalid or truncated. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];

    if (c < 0x80) {
        return 1;
    }
    if (c < 0xc2) { /* continuation byte or overlong 2-byte lead (C0, C1) */
        return 0;
    }
    if (c < 0xe0) {
        return left >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    }
    if (c < 0xf0) {
        if (left < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) {
            return 0;
        }
        if (c == 0xe0 && s[1] < 0xa0) { /* overlong */
            return 0;
        }
        if (c == 0xed && s[1] >= 0xa0) { /* U+D800..U+DFFF surrogates */
            return 0;
        }
        return 3;
    }
    if (c < 0xf5) {
        if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80) {
            return 0;
        }
        if (c == 0xf0 && s[1] < 0x90) { /* overlong */
            return 0;
        }
        if (c == 0xf4 && s[1] >= 0x90) { /* above U+10FFFF */
            return 0;
        }
        return 4;
    }
    return 0; /* F5..FF never appear */
}

int gdx_utf8_valid(const char *s, size_t len, size_t *bad_off)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i = ascii_run(p, i + 1, len);
            continue;
        }
        /* the common three-byte case (CJK): E1..EC and EE..EF take any two continuations */
        if (c >= 0xe1 && c <= 0xef && c != 0xed && i + 2 < len && (p[i + 1] & 0xc0) == 0x80 &&
            (p[i + 2] & 0xc0) == 0x80) {
            i += 3;
            continue;
        }
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0) {
            if (bad_off) {
                *bad_off = i;
            }
            return 0;
        }
        i += n;
    }
    return 1;
}

size_t gdx_utf8_len(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80) {
            n++;
        }
    }
    return n;
}

/* One character of s at i as JSON text: fills esc, returns its length, sets *n to the bytes
 * of s it stands for. */
static size_t quote_char(const unsigned char *p, size_t i, size_t len, char esc[8], size_t *n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char c = p[i];

    *n = 1;
    if (c == '"' || c == '\\') {
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
        esc[0] = '\\';
        esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        return 2;
    }
    if (c < 0x20 || c == 0x7f) {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        return 6;
    }
    if (c < 0x80) {
        esc[0] = (char)c;
        return 1;
    }
    *n = utf8_seq(p + i, len - i);
    if (*n == 0) { /* not UTF-8: show U+FFFD, never raw bytes */
        *n = 1;
        memcpy(esc, "\xef\xbf\xbd", 3);
        return 3;
    }
    memcpy(esc, p + i, *n);
    return *n;
}

const char *gdx_quote(const char *s, char *buf, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len, i = 0, off = 0, total = 2, n;
    char esc[8];

    if (!buf || size == 0) {
        return "";
    }
    if (size < 8) {
        buf[0] = '\0';
        return buf;
    }
    if (!s) {
        snprintf(buf, size, "null");
        return buf;
    }
    len = strlen(s);
    for (size_t j = 0; j < len && total < size; j += n) {
        total += quote_char(p, j, len, esc, &n);
    }
    /* room for the whole text, or else for `..."` after the part that fits */
    size_t limit = total < size ? size - 1 : size - 5;
    buf[off++] = '"';
    while (i < len) {
        size_t elen = quote_char(p, i, len, esc, &n);
        if (off + elen + (total < size ? 1 : 0) > limit) {
            break;
        }
        memcpy(buf + off, esc, elen);
        off += elen;
        i += n;
    }
    if (i < len) {
        memcpy(buf + off, "...", 3);
        off += 3;
    }
    buf[off++] = '"';
    buf[off] = '\0';
    return buf;
}
