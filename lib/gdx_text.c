/*
 * gdx_text.c - text encodings at the edge.
 *
 * Everything inside gdx is UTF-8. A decoder turns bytes from a department's export into
 * UTF-8: for "utf-8" it only validates (and copies), for "gb18030"/"gbk" it runs glibc's
 * iconv, whose GB18030 table covers the four-byte sequences (supplementary planes included).
 * GBK is decoded as GB18030, its superset, so a file that mixes in a few GB18030-only
 * characters is still read. Invariants: the decoder's output is always valid UTF-8 (iconv's
 * output is re-validated, it is cheap and guards against table surprises), an input error
 * always reports the byte offset of the first bad sequence in the caller's input, and the
 * iconv state is reset before every conversion so one bad row cannot poison the next.
 *
 * The UTF-8 validator is strict (RFC 3629): no overlong forms, no UTF-16 surrogates, nothing
 * above U+10FFFF, no truncated sequences. gdx_quote() renders text as a JSON string for logs
 * and messages, truncating on a character boundary.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gdx_err.h"
#include "gdx_text.h"

struct gdx_decoder {
    int utf8;   /* validate only */
    iconv_t cd; /* (iconv_t)-1 for utf-8 */
    char *buf;  /* output buffer, grown as needed */
    size_t cap;
};

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

int gdx_decoder_convert(struct gdx_decoder *dec, const char *in, size_t len, const char **out,
                        size_t *out_len, size_t *bad_off)
{
    char *src, *dst;
    size_t inleft, outleft, used;

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

    /* GB18030 → UTF-8 grows at most 2 bytes → 3 and 4 bytes → 4; 1.5x is enough. */
    reserve(dec, len + len / 2 + 8);
    iconv(dec->cd, NULL, NULL, NULL, NULL);
    src = (char *)(uintptr_t)in; /* iconv's prototype is not const-correct */
    inleft = len;
    dst = dec->buf;
    outleft = dec->cap - 1;
    while (inleft > 0) {
        if (iconv(dec->cd, &src, &inleft, &dst, &outleft) != (size_t)-1) {
            continue;
        }
        if (errno == E2BIG) {
            used = (size_t)(dst - dec->buf);
            reserve(dec, dec->cap * 2);
            dst = dec->buf + used;
            outleft = dec->cap - 1 - used;
            continue;
        }
        /* EILSEQ: an invalid sequence; EINVAL: a sequence cut short by the end of input */
        if (bad_off) {
            *bad_off = (size_t)(src - in);
        }
        iconv(dec->cd, NULL, NULL, NULL, NULL);
        return GDX_ERR_PARSE;
    }
    used = (size_t)(dst - dec->buf);
    dec->buf[used] = '\0';
    if (!gdx_utf8_valid(dec->buf, used, NULL)) {
        /* Should not happen with glibc's table; report the start rather than lie. */
        if (bad_off) {
            *bad_off = 0;
        }
        return GDX_ERR_PARSE;
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
        /* ASCII fast path, eight bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL) {
                break;
            }
            i += 8;
        }
        if (i >= len) {
            break;
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
