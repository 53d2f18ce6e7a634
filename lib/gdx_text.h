/*
 * gdx_text.h - text encodings.
 *
 * Departments export CSV from Excel in GB18030/GBK more often than in UTF-8. Everything
 * inside gdx is UTF-8; this module converts at the edge (iconv) and validates UTF-8 strictly
 * (no overlongs, no surrogates, nothing above U+10FFFF), reporting the byte offset of the
 * first bad sequence.
 */
#ifndef GDX_TEXT_H
#define GDX_TEXT_H

#include <stddef.h>

struct gdx_decoder;

/* @p encoding: "utf-8", "gb18030", "gbk" (case-insensitive; gbk is read as gb18030, its
 * superset). NULL with errstr if unknown. */
struct gdx_decoder *gdx_decoder_new(const char *encoding, char *errstr, size_t errstr_size);
void gdx_decoder_destroy(struct gdx_decoder *dec);
int gdx_decoder_is_utf8(const struct gdx_decoder *dec);
/*
 * Convert @p in to UTF-8 into the decoder's buffer (valid until the next call). On an
 * invalid sequence returns GDX_ERR_PARSE with *bad_off set to its byte offset in @p in.
 */
int gdx_decoder_convert(struct gdx_decoder *dec, const char *in, size_t len, const char **out,
                        size_t *out_len, size_t *bad_off);

/*
 * Convert the @p n fields base + starts[i] (lens[i] bytes each) one after another into the
 * decoder's buffer (*out, valid until the next call), each NUL-terminated at *out + offs[i];
 * *out_len is the bytes used, the last NUL included.
 * On an invalid sequence returns GDX_ERR_PARSE with *bad_field its field and *bad_off its
 * offset in that field.
 */
int gdx_decoder_convert_fields(struct gdx_decoder *dec, const char *base, const size_t *starts,
                               const size_t *lens, size_t n, size_t *offs, const char **out,
                               size_t *out_len, size_t *bad_field, size_t *bad_off);

/* 1 if valid UTF-8; else 0 and *bad_off = offset of the first invalid byte */
int gdx_utf8_valid(const char *s, size_t len, size_t *bad_off);
/* Number of code points of valid UTF-8 */
size_t gdx_utf8_len(const char *s, size_t len);

/* JSON-quote (logfmt-safe) into buf, truncating with "..." past size */
const char *gdx_quote(const char *s, char *buf, size_t size);

#endif
