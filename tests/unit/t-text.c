/*
 * t-text.c - text decoding (GB18030/GBK to UTF-8), the strict UTF-8 validator, gdx_quote.
 */
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_err.h"
#include "gdx_text.h"
#include "tap.h"

static void test_utf8_decoder(void)
{
    char errstr[256];
    struct gdx_decoder *dec = gdx_decoder_new("UTF-8", errstr, sizeof(errstr));
    const char *out;
    size_t out_len, bad = 99;

    ok(dec != NULL, "utf-8 decoder");
    ok(gdx_decoder_is_utf8(dec), "utf-8 decoder says so");
    const char *text = "张三,北京市";
    is_int(gdx_decoder_convert(dec, text, strlen(text), &out, &out_len, &bad), GDX_OK,
           "valid utf-8 passes");
    is_str(out, "张三,北京市", "utf-8 text unchanged");
    is_int(out_len, strlen("张三,北京市"), "length unchanged");
    is_int(gdx_decoder_convert(dec, "ab\xe5\xbc", 4, &out, &out_len, &bad), GDX_ERR_PARSE,
           "truncated utf-8 refused");
    is_int(bad, 2, "offset of the truncated sequence");
    gdx_decoder_destroy(dec);
}

static void test_gb18030(void)
{
    char errstr[256];
    struct gdx_decoder *dec = gdx_decoder_new("gb18030", errstr, sizeof(errstr));
    const char *out;
    size_t out_len, bad = 99;

    ok(dec != NULL, "gb18030 decoder");
    ok(!gdx_decoder_is_utf8(dec), "gb18030 decoder is not utf-8");
    /* 张三,北京市 */
    const char gb[] = "\xd5\xc5\xc8\xfd,\xb1\xb1\xbe\xa9\xca\xd0";
    is_int(gdx_decoder_convert(dec, gb, sizeof(gb) - 1, &out, &out_len, &bad), GDX_OK,
           "two-byte gb18030 decodes");
    is_str(out, "张三,北京市", "two-byte gb18030 text");
    is_int(out_len, strlen("张三,北京市"), "decoded length");

    /* four-byte sequences: U+20000 (plane 2), U+3400 (Ext A), U+2A6A5 */
    const char gb4[] = "\x95\x32\x82\x36\x81\x39\xee\x39\x98\x35\xee\x37";
    is_int(gdx_decoder_convert(dec, gb4, sizeof(gb4) - 1, &out, &out_len, &bad), GDX_OK,
           "four-byte gb18030 decodes");
    is_str(out, "𠀀㐀𪚥", "four-byte gb18030 text (supplementary planes)");

    /* a rare name character, the euro sign, ASCII digits */
    const char mix[] = "\xfe\x9f\xa2\xe3"
                       "12345\xc8\xc8\xcf\xdf";
    is_int(gdx_decoder_convert(dec, mix, sizeof(mix) - 1, &out, &out_len, &bad), GDX_OK,
           "mixed gb18030 decodes");
    is_str(out, "䶮€12345热线", "mixed gb18030 text");

    /* invalid bytes, with offsets */
    const char b1[] = "\xd5\xc5\x80\xc8\xfd"; /* 0x80 is never valid */
    bad = 99;
    is_int(gdx_decoder_convert(dec, b1, sizeof(b1) - 1, &out, &out_len, &bad), GDX_ERR_PARSE,
           "0x80 refused");
    is_int(bad, 2, "offset of 0x80");
    const char b2[] = "ab\xff";
    bad = 99;
    is_int(gdx_decoder_convert(dec, b2, sizeof(b2) - 1, &out, &out_len, &bad), GDX_ERR_PARSE,
           "0xff refused");
    is_int(bad, 2, "offset of 0xff");
    const char b3[] = "\xd5\xc5\xc8"; /* cut in the middle of 三 */
    bad = 99;
    is_int(gdx_decoder_convert(dec, b3, sizeof(b3) - 1, &out, &out_len, &bad), GDX_ERR_PARSE,
           "truncated two-byte sequence refused");
    is_int(bad, 2, "offset of the truncated sequence");
    const char b4[] = "x\x95\x32\x82"; /* four-byte sequence cut short */
    bad = 99;
    is_int(gdx_decoder_convert(dec, b4, sizeof(b4) - 1, &out, &out_len, &bad), GDX_ERR_PARSE,
           "truncated four-byte sequence refused");
    is_int(bad, 1, "offset of the truncated four-byte sequence");
    const char b5[] = "\x84\x31\xa5\x30"; /* beyond the BMP mapping range */
    bad = 99;
    is_int(gdx_decoder_convert(dec, b5, sizeof(b5) - 1, &out, &out_len, &bad), GDX_ERR_PARSE,
           "unassigned four-byte sequence refused");
    is_int(bad, 0, "offset of the unassigned sequence");

    /* an error does not poison the next conversion */
    is_int(gdx_decoder_convert(dec, gb, sizeof(gb) - 1, &out, &out_len, &bad), GDX_OK,
           "decoder usable after an error");
    is_str(out, "张三,北京市", "same text after an error");
    is_int(gdx_decoder_convert(dec, "", 0, &out, &out_len, &bad), GDX_OK, "empty input");
    is_int(out_len, 0, "empty output");

    /* long input grows the buffer */
    char big[30000];
    for (size_t i = 0; i + 2 <= sizeof(big); i += 2) {
        big[i] = '\xd5';
        big[i + 1] = '\xc5';
    }
    is_int(gdx_decoder_convert(dec, big, sizeof(big), &out, &out_len, &bad), GDX_OK,
           "long input decodes");
    is_int(out_len, sizeof(big) / 2 * 3, "long input: 15000 characters of 3 bytes");
    ok(gdx_utf8_valid(out, out_len, NULL), "long output is valid utf-8");
    gdx_decoder_destroy(dec);

    dec = gdx_decoder_new("GBK", errstr, sizeof(errstr));
    ok(dec != NULL, "gbk decoder (read as gb18030)");
    is_int(gdx_decoder_convert(dec, gb4, sizeof(gb4) - 1, &out, &out_len, &bad), GDX_OK,
           "gbk decoder accepts gb18030 four-byte sequences");
    gdx_decoder_destroy(dec);

    errstr[0] = '\0';
    ok(gdx_decoder_new("big5", errstr, sizeof(errstr)) == NULL, "unknown encoding refused");
    ok(strstr(errstr, "'big5'") != NULL, "message names the encoding: %s", errstr);
    gdx_decoder_destroy(NULL);
}

static void valid(const char *s, size_t len, const char *what)
{
    size_t bad = 99;
    ok(gdx_utf8_valid(s, len, &bad), "valid: %s", what);
}

static void invalid(const char *s, size_t len, size_t want_off, const char *what)
{
    size_t bad = 99;
    ok(!gdx_utf8_valid(s, len, &bad), "invalid: %s", what);
    is_int(bad, want_off, "offset: %s", what);
}

static void test_utf8_valid(void)
{
    valid("", 0, "empty");
    valid("hello, world 12345", 18, "ascii");
    valid("民政局婚姻登记", strlen("民政局婚姻登记"), "chinese");
    valid("\x00", 1, "NUL is a character");
    valid("\xc2\x80", 2, "U+0080");
    valid("\xdf\xbf", 2, "U+07FF");
    valid("\xe0\xa0\x80", 3, "U+0800");
    valid("\xed\x9f\xbf", 3, "U+D7FF");
    valid("\xee\x80\x80", 3, "U+E000");
    valid("\xef\xbf\xbf", 3, "U+FFFF");
    valid("\xf0\x90\x80\x80", 4, "U+10000");
    valid("\xf4\x8f\xbf\xbf", 4, "U+10FFFF");
    valid("𠀀𪚥", strlen("𠀀𪚥"), "supplementary ideographs");

    invalid("\xc0\x80", 2, 0, "overlong NUL (C0 80)");
    invalid("\xc1\xbf", 2, 0, "overlong 2-byte (C1)");
    invalid("ab\xe0\x80\x80", 5, 2, "overlong 3-byte");
    invalid("\xe0\x9f\xbf", 3, 0, "overlong U+07FF in 3 bytes");
    invalid("\xf0\x80\x80\x80", 4, 0, "overlong 4-byte");
    invalid("\xf0\x8f\xbf\xbf", 4, 0, "overlong U+FFFF in 4 bytes");
    invalid("x\xed\xa0\x80", 4, 1, "surrogate U+D800");
    invalid("\xed\xbf\xbf", 3, 0, "surrogate U+DFFF");
    invalid("\xed\xa0\xbd\xed\xb8\x80", 6, 0, "CESU-8 surrogate pair");
    invalid("\xf4\x90\x80\x80", 4, 0, "U+110000");
    invalid("\xf5\x80\x80\x80", 4, 0, "F5 lead");
    invalid("\xff", 1, 0, "FF");
    invalid("\xfe", 1, 0, "FE");
    invalid("abc\x80", 4, 3, "lone continuation");
    invalid("张\xe4\xb8", strlen("张") + 2, 3, "truncated 3-byte at end");
    invalid("\xf0\x9f\x98", 3, 0, "truncated 4-byte at end");
    invalid("\xe4\xb8x", 3, 0, "3-byte interrupted by ascii");
    invalid("\xc3", 1, 0, "truncated 2-byte");
    /* the fast path must not skip an error that follows eight ASCII bytes */
    invalid("abcdefgh\x80", 9, 8, "error after an 8-byte ASCII run");
    invalid("abcdefghijklmnop\xc0\xaf", 18, 16, "overlong after 16 ASCII bytes");
    ok(!gdx_utf8_valid("\xc0\x80", 2, NULL), "bad_off may be NULL");

    is_int(gdx_utf8_len("", 0), 0, "length of empty");
    is_int(gdx_utf8_len("abc", 3), 3, "length of ascii");
    is_int(gdx_utf8_len("张三abc", strlen("张三abc")), 5, "length of mixed");
    is_int(gdx_utf8_len("𠀀", 4), 1, "length of a 4-byte character");
}

static void test_quote(void)
{
    char buf[64];

    is_str(gdx_quote("abc", buf, sizeof(buf)), "\"abc\"", "plain text quoted");
    is_str(gdx_quote("a\"b\\c", buf, sizeof(buf)), "\"a\\\"b\\\\c\"", "quote and backslash");
    is_str(gdx_quote("a\nb\tc\r", buf, sizeof(buf)), "\"a\\nb\\tc\\r\"", "control escapes");
    is_str(gdx_quote("\x01", buf, sizeof(buf)), "\"\\u0001\"", "other controls as \\u");
    is_str(gdx_quote("张三", buf, sizeof(buf)), "\"张三\"", "utf-8 kept");
    is_str(gdx_quote("a\xff", buf, sizeof(buf)), "\"a\xef\xbf\xbd\"", "invalid byte as U+FFFD");
    is_str(gdx_quote("", buf, sizeof(buf)), "\"\"", "empty");
    is_str(gdx_quote(NULL, buf, sizeof(buf)), "null", "NULL is null");

    char small[12];
    is_str(gdx_quote("0123456789abcdef", small, sizeof(small)), "\"012345...\"",
           "truncated with ...");
    is_int(strlen(small), sizeof(small) - 1, "truncation fills the buffer");
    is_str(gdx_quote("012345678", small, sizeof(small)), "\"012345678\"",
           "exact fit not truncated");
    is_str(gdx_quote("张三李四王五", small, sizeof(small)), "\"张三...\"",
           "truncation does not split a character");
    ok(gdx_utf8_valid(small, strlen(small), NULL), "truncated text is valid utf-8");
    is_str(gdx_quote("张三李四", small, 10), "\"张...\"",
           "a character that does not fit is left out");
    is_str(gdx_quote("ab\n\n\n\n\n", small, sizeof(small)), "\"ab\\n\\n...\"",
           "truncation does not split an escape");
}

/* The decoder's table agrees with glibc's iconv on every two-byte code and on a run of
 * four-byte ones, all in one buffer (the table path and the per-sequence iconv path). */
static void test_gb18030_table(void)
{
    char errstr[256];
    struct gdx_decoder *dec = gdx_decoder_new("gb18030", errstr, sizeof(errstr));
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    size_t cap = 200000, n = 0, valid = 0, mismatches = 0;
    char *in = malloc(cap), *ref = malloc(cap * 2);
    ok(dec && cd != (iconv_t)-1 && in && ref, "decoder and iconv");
    if (!dec || cd == (iconv_t)-1 || !in || !ref) {
        return;
    }
    for (int l = 0x81; l <= 0xfe; l++) {
        for (int t = 0x40; t <= 0xfe; t++) {
            char one[2] = {(char)l, (char)t}, o[8], *src = one, *dst = o;
            size_t il = 2, ol = sizeof(o);
            const char *out;
            size_t out_len, bad;
            if (t == 0x7f) {
                continue;
            }
            iconv(cd, NULL, NULL, NULL, NULL);
            int ref_ok = iconv(cd, &src, &il, &dst, &ol) != (size_t)-1 && il == 0;
            int dec_ok = gdx_decoder_convert(dec, one, 2, &out, &out_len, &bad) == GDX_OK;
            if (ref_ok != dec_ok ||
                (ref_ok && (out_len != (size_t)(dst - o) || memcmp(out, o, out_len)))) {
                mismatches++;
            }
            if (ref_ok) {
                memcpy(in + n, one, 2);
                n += 2;
                valid++;
            }
        }
    }
    is_int((long)mismatches, 0, "every two-byte code decodes as iconv does");
    ok(valid > 21000, "over 21,000 valid two-byte codes (%zu)", valid);
    /* four-byte codes: 0x81 0x30 0x81 0x30 onwards, mixed with ASCII */
    for (int b2 = 0x30; b2 <= 0x39; b2++) {
        for (int b3 = 0x81; b3 <= 0x90; b3++) {
            in[n++] = (char)0x81;
            in[n++] = (char)b2;
            in[n++] = (char)b3;
            in[n++] = (char)0x35;
            in[n++] = 'a';
        }
    }
    {
        char *src = in, *dst = ref;
        size_t il = n, ol = cap * 2;
        const char *out;
        size_t out_len, bad;
        iconv(cd, NULL, NULL, NULL, NULL);
        ok(iconv(cd, &src, &il, &dst, &ol) != (size_t)-1, "iconv converts the whole buffer");
        ok(gdx_decoder_convert(dec, in, n, &out, &out_len, &bad) == GDX_OK,
           "the decoder converts the whole buffer");
        ok(out_len == (size_t)(dst - ref) && !memcmp(out, ref, out_len),
           "and both give the same UTF-8 (%zu bytes)", out_len);
        ok(gdx_utf8_valid(out, out_len, NULL), "which is valid UTF-8");
    }
    {
        const char *out;
        size_t out_len, bad = 99;
        ok(gdx_decoder_convert(dec, "ab\x81\x30\x81", 5, &out, &out_len, &bad) == GDX_ERR_PARSE &&
               bad == 2,
           "a four-byte code cut short is an error at its first byte");
        bad = 99;
        ok(gdx_decoder_convert(dec, "x\xb0\x7f", 3, &out, &out_len, &bad) == GDX_ERR_PARSE &&
               bad == 1,
           "a bad trail byte is an error at the lead byte");
    }
    iconv_close(cd);
    free(in);
    free(ref);
    gdx_decoder_destroy(dec);
}

/* Several fields into one buffer: offsets, lengths with a NUL inside a field, empty fields,
 * and the field and offset of an invalid sequence. */
static void test_convert_fields(void)
{
    char errstr[256];
    const char *encs[] = {"gb18030", "utf-8"};
    for (int e = 0; e < 2; e++) {
        struct gdx_decoder *dec = gdx_decoder_new(encs[e], errstr, sizeof(errstr));
        /* 张三 | (empty) | a NUL b | 北京 */
        const char *gb = e == 0 ? "\xd5\xc5\xc8\xfd"
                                  "a\0b"
                                  "\xb1\xb1\xbe\xa9"
                                : "\xe5\xbc\xa0\xe4\xb8\x89"
                                  "a\0b"
                                  "\xe5\x8c\x97\xe4\xba\xac";
        size_t l0 = e == 0 ? 4 : 6;
        size_t starts[4] = {0, l0, l0, l0 + 3}, lens[4] = {l0, 0, 3, l0}, offs[4];
        size_t used = 0, bad_field = 99, bad = 99;
        const char *out = NULL;
        ok(dec != NULL, "%s decoder", encs[e]);
        if (!dec) {
            continue;
        }
        is_int(gdx_decoder_convert_fields(dec, gb, starts, lens, 4, offs, &out, &used, &bad_field,
                                          &bad),
               GDX_OK, "%s: four fields converted", encs[e]);
        ok(offs[0] == 0 && !strcmp(out, "张三"), "%s: field 1", encs[e]);
        ok(offs[1] == 7 && out[offs[1]] == '\0', "%s: field 2 empty", encs[e]);
        ok(offs[2] == 8 && !memcmp(out + offs[2], "a\0b", 4), "%s: field 3 keeps its NUL", encs[e]);
        ok(offs[3] == 12 && !strcmp(out + offs[3], "北京") && used == 19,
           "%s: field 4, 19 bytes used (%zu)", encs[e], used);
        /* the third field turns invalid */
        const char *badin = e == 0 ? "\xd5\xc5\xc8\xfd"
                                     "a\x80"
                                     "b"
                                     "\xb1\xb1\xbe\xa9"
                                   : "\xe5\xbc\xa0\xe4\xb8\x89"
                                     "a\x80"
                                     "b"
                                     "\xe5\x8c\x97\xe4\xba\xac";
        is_int(gdx_decoder_convert_fields(dec, badin, starts, lens, 4, offs, &out, &used,
                                          &bad_field, &bad),
               GDX_ERR_PARSE, "%s: an invalid byte fails", encs[e]);
        ok(bad_field == 2 && bad == 1, "%s: in field 3 at offset 1 (%zu, %zu)", encs[e], bad_field,
           bad);
        gdx_decoder_destroy(dec);
    }
}

int main(void)
{
    test_utf8_decoder();
    test_gb18030();
    test_gb18030_table();
    test_convert_fields();
    test_utf8_valid();
    test_quote();
    return done_testing();
}
