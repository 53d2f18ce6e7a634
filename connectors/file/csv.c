/*
 * csv.c - RFC 4180 push parser for the file connector.
 *
 * A state machine over raw bytes, resumable at any byte (a field's runs of ordinary bytes
 * are found eight bytes at a time, csv_scan): the state, the fields parsed so far and the
 * record's raw bytes live in the parser, so a record split across read buffers (or across a
 * byte order mark) parses exactly as if it came whole.
 * Structure is found before decoding, which is sound for UTF-8, GB18030 and GBK alike: the
 * quote, delimiter, CR and LF bytes never occur inside their multi-byte sequences.
 *
 * Invariants: a record ends at LF, CRLF or a lone CR outside quotes; line numbers count
 * physical lines (LF inside quotes included) so every message points at the place an editor
 * shows; memory per record is bounded by row.max.bytes plus one feed, and an oversized
 * record is skipped to its real end (quotes still honoured) and reported as an error with
 * its first row.max.bytes bytes. The record handed out stays valid until the next call.
 *
 * Leniency where RFC 4180 is strict but real exports are not: a quote inside an unquoted
 * field is taken literally. Text after a closing quote (`"a"b`) is an error for that row.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gdx_err.h"
#include "gdx_text.h"

#include "csv.h"

enum csv_state {
    CSV_S_START, /* at the start of a field */
    CSV_S_UNQ,   /* inside an unquoted field */
    CSV_S_QUO,   /* inside a quoted field */
    CSV_S_QQ,    /* a quote inside a quoted field: closing, or the first of a doubled pair */
    CSV_S_CR,    /* CR outside quotes: the record ended, LF may follow */
};

struct csv_parser {
    char delim;
    size_t row_max;
    char encname[16];
    struct gdx_decoder *dec; /* NULL for utf-8: validate in place */

    size_t ncols; /* expected fields, 0 = any */
    enum csv_state state;
    int at_start; /* before the first byte of the file: a BOM may come */
    const unsigned char *bom;
    size_t bom_len, bom_seen;
    uint64_t line;        /* physical line of the next byte */
    uint64_t rec_line;    /* first line of the current record */
    int in_record;        /* a byte of the current record was seen */
    int nonblank;         /* the record is more than an empty line */
    int skip;             /* oversized: stop storing, find the record's end */
    size_t bad_quote_col; /* 1-based field with text after its closing quote */
    int pending_reset;    /* the last record was handed out: clear before parsing on */

    char *raw; /* the record's bytes, at most row_max */
    size_t raw_len, raw_cap;
    size_t rec_bytes; /* all bytes of the record, stored or not */

    char *fb; /* field bytes, each field NUL-terminated */
    size_t fb_len, fb_cap, cur_start;
    size_t *fstart, *flen;
    size_t nf, fcap;

    const char **vals;
    size_t *lens;
    size_t vcap;

    struct csv_record rec;
    char err[256];
};

static const unsigned char csv_bom_utf8[] = {0xef, 0xbb, 0xbf};
static const unsigned char csv_bom_gb18030[] = {0x84, 0x31, 0x95, 0x33};

static void csv_grow(char **buf, size_t *cap, size_t need)
{
    size_t ncap;

    if (need <= *cap) {
        return;
    }
    ncap = *cap ? *cap : 1024;
    while (ncap < need) {
        ncap *= 2;
    }
    *buf = realloc(*buf, ncap);
    if (!*buf) {
        abort();
    }
    *cap = ncap;
}

struct csv_parser *csv_parser_new(char delim, size_t row_max, const char *encoding, char *errstr,
                                  size_t errstr_size)
{
    struct csv_parser *p;
    struct gdx_decoder *dec;

    if (delim == '"' || delim == '\r' || delim == '\n' || delim == '\0') {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                   "csv delimiter cannot be a quote, a line ending or NUL");
        return NULL;
    }
    dec = gdx_decoder_new(encoding ? encoding : "utf-8", errstr, errstr_size);
    if (!dec) {
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        abort();
    }
    p->delim = delim;
    p->row_max = row_max ? row_max : 1024 * 1024;
    if (gdx_decoder_is_utf8(dec)) {
        gdx_decoder_destroy(dec);
        snprintf(p->encname, sizeof(p->encname), "utf-8");
        p->bom = csv_bom_utf8;
        p->bom_len = sizeof(csv_bom_utf8);
    } else {
        p->dec = dec;
        snprintf(p->encname, sizeof(p->encname), "%s",
                 strcasecmp(encoding, "gbk") == 0 ? "gbk" : "gb18030");
        p->bom = csv_bom_gb18030;
        p->bom_len = sizeof(csv_bom_gb18030);
    }
    csv_parser_reset(p, 1, 1);
    return p;
}

void csv_parser_destroy(struct csv_parser *p)
{
    if (!p) {
        return;
    }
    gdx_decoder_destroy(p->dec);
    free(p->raw);
    free(p->fb);
    free(p->fstart);
    free(p->flen);
    free(p->vals);
    free(p->lens);
    free(p);
}

/* Clear the current record; the next byte starts a new one. */
static void csv_record_clear(struct csv_parser *p)
{
    p->state = CSV_S_START;
    p->rec_line = p->line;
    p->in_record = 0;
    p->nonblank = 0;
    p->skip = 0;
    p->bad_quote_col = 0;
    p->raw_len = 0;
    p->rec_bytes = 0;
    p->fb_len = 0;
    p->cur_start = 0;
    p->nf = 0;
    p->pending_reset = 0;
    memset(&p->rec, 0, sizeof(p->rec));
}

void csv_parser_reset(struct csv_parser *p, uint64_t line, int at_start)
{
    p->line = line ? line : 1;
    p->at_start = at_start;
    p->bom_seen = 0;
    csv_record_clear(p);
}

void csv_parser_set_columns(struct csv_parser *p, size_t n)
{
    p->ncols = n;
}

uint64_t csv_parser_line(const struct csv_parser *p)
{
    return p->line;
}

const struct csv_record *csv_parser_record(const struct csv_parser *p)
{
    return &p->rec;
}

static void csv_end_field(struct csv_parser *p)
{
    if (p->nf == p->fcap) {
        size_t ncap = p->fcap ? p->fcap * 2 : 32;
        p->fstart = realloc(p->fstart, ncap * sizeof(*p->fstart));
        p->flen = realloc(p->flen, ncap * sizeof(*p->flen));
        if (!p->fstart || !p->flen) {
            abort();
        }
        p->fcap = ncap;
    }
    if (p->skip) {
        p->nf++;
        return;
    }
    p->fstart[p->nf] = p->cur_start;
    p->flen[p->nf] = p->fb_len - p->cur_start;
    p->nf++;
    p->fb[p->fb_len++] = '\0';
    p->cur_start = p->fb_len;
}

static void csv_vals_reserve(struct csv_parser *p, size_t n)
{
    if (n <= p->vcap) {
        return;
    }
    p->vals = realloc(p->vals, n * sizeof(*p->vals));
    p->lens = realloc(p->lens, n * sizeof(*p->lens));
    if (!p->vals || !p->lens) {
        abort();
    }
    p->vcap = n;
}

static int csv_error(struct csv_parser *p, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int csv_error(struct csv_parser *p, size_t col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->err, sizeof(p->err), fmt, ap);
    va_end(ap);
    p->rec.error = p->err;
    p->rec.error_col = col;
    p->rec.nfields = 0;
    return CSV_RECORD;
}

/* Decode every field to UTF-8 and point the record at the results. */
static int csv_decode(struct csv_parser *p)
{
    size_t bad = 0;

    csv_vals_reserve(p, p->nf ? p->nf : 1);
    if (!p->dec) {
        for (size_t i = 0; i < p->nf; i++) {
            const char *v = p->fb + p->fstart[i];
            if (!gdx_utf8_valid(v, p->flen[i], &bad)) {
                return csv_error(p, i + 1, "line %llu col %zu: invalid utf-8 byte sequence",
                                 (unsigned long long)p->rec_line, i + 1);
            }
            p->vals[i] = v;
            p->lens[i] = p->flen[i];
        }
    } else {
        /* one table-driven conversion of all the fields (gdx_text.c), into one buffer */
        const char *ob;
        size_t *offs = p->lens, used = 0, bad_field = 0; /* offsets first, then lengths */
        if (gdx_decoder_convert_fields(p->dec, p->fb, p->fstart, p->flen, p->nf, offs, &ob, &used,
                                       &bad_field, &bad) != GDX_OK) {
            return csv_error(p, bad_field + 1, "line %llu col %zu: invalid %s byte sequence",
                             (unsigned long long)p->rec_line, bad_field + 1, p->encname);
        }
        for (size_t i = 0; i < p->nf; i++) {
            p->vals[i] = ob + offs[i];
        }
        for (size_t i = 0; i < p->nf; i++) {
            size_t end = i + 1 < p->nf ? offs[i + 1] : used; /* offs[i + 1]: still an offset */
            p->lens[i] = end - offs[i] - 1;
        }
    }
    p->rec.nfields = p->nf;
    p->rec.values = p->vals;
    p->rec.lens = p->lens;
    return CSV_RECORD;
}

/* The current record is complete: build it, or report a skipped blank line. */
static int csv_emit(struct csv_parser *p)
{
    size_t rl = p->raw_len;

    p->pending_reset = 1;
    p->state = CSV_S_START;
    if (!p->nonblank && !p->skip) {
        return CSV_BLANK;
    }
    memset(&p->rec, 0, sizeof(p->rec));
    p->rec.line = p->rec_line;
    if (!p->skip) {
        /* raw row for dead letters, without its line ending */
        while (rl > 0 && (p->raw[rl - 1] == '\n' || p->raw[rl - 1] == '\r')) {
            rl--;
        }
    }
    p->rec.raw = p->raw ? p->raw : "";
    p->rec.raw_len = rl;
    if (p->skip) {
        return csv_error(p, 0, "line %llu: row is larger than row.max.bytes (%zu bytes)",
                         (unsigned long long)p->rec_line, p->row_max);
    }
    if (p->bad_quote_col) {
        return csv_error(p, p->bad_quote_col,
                         "line %llu col %zu: unexpected text after closing quote",
                         (unsigned long long)p->rec_line, p->bad_quote_col);
    }
    if (p->ncols && p->nf != p->ncols) {
        return csv_error(p, 0, "line %llu: expected %zu fields, found %zu",
                         (unsigned long long)p->rec_line, p->ncols, p->nf);
    }
    return csv_decode(p);
}

/* Keep the raw bytes of the record (bounded) and switch to skipping when it grows too big. */
static void csv_take_raw(struct csv_parser *p, const char *data, size_t n)
{
    p->rec_bytes += n;
    if (!p->skip && p->raw_len < p->row_max) {
        size_t take = n;
        if (take > p->row_max - p->raw_len) {
            take = p->row_max - p->raw_len;
        }
        csv_grow(&p->raw, &p->raw_cap, p->raw_len + take + 1);
        memcpy(p->raw + p->raw_len, data, take);
        p->raw_len += take;
    }
    if (!p->skip && p->rec_bytes > p->row_max) {
        p->skip = 1;
    }
}

#define CSV_PUT(c)                                                                                 \
    do {                                                                                           \
        if (!p->skip) {                                                                            \
            fb[p->fb_len++] = (char)(c);                                                           \
        }                                                                                          \
    } while (0)

/*
 * The first index from @p j below @p len whose byte is @p a, @p b or @p c (or @p len): eight
 * bytes at a time where it runs on. A byte equal to a pattern is a zero byte of the word XOR
 * the pattern; (x - 0x01..) & ~x & 0x80.. marks the lowest zero byte of x exactly (a borrow
 * only runs upwards, so the marks above it may be wrong but none below it is), and on a
 * little-endian word the lowest mark is the first byte.
 */
static inline size_t csv_scan(const unsigned char *d, size_t j, size_t len, unsigned char a,
                              unsigned char b, unsigned char c)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t pa = ones * a, pb = ones * b, pc = ones * c;
    while (j + 8 <= len) {
        uint64_t w, xa, xb, xc, m;
        memcpy(&w, d + j, 8);
        xa = w ^ pa;
        xb = w ^ pb;
        xc = w ^ pc;
        m = (((xa - ones) & ~xa) | ((xb - ones) & ~xb) | ((xc - ones) & ~xc)) & highs;
        if (m) {
            return j + ((size_t)__builtin_ctzll(m) >> 3);
        }
        j += 8;
    }
#endif
    while (j < len && d[j] != a && d[j] != b && d[j] != c) {
        j++;
    }
    return j;
}

/* Run the state machine over data; stop after a record ends. */
static int csv_run(struct csv_parser *p, const char *data, size_t len, size_t *used)
{
    const unsigned char *d = (const unsigned char *)data;
    const unsigned char delim = (unsigned char)p->delim;
    enum csv_state st = p->state;
    size_t i = 0;
    int ret = CSV_MORE;
    char *fb;

    if (len == 0) {
        *used = 0;
        return CSV_MORE;
    }
    p->in_record = 1;
    /* each byte adds at most one byte or one NUL */
    csv_grow(&p->fb, &p->fb_cap, p->fb_len + len + 2);
    fb = p->fb;
    for (; i < len; i++) {
        unsigned char c = d[i];
        switch (st) {
        case CSV_S_START:
            if (c == '"') {
                p->nonblank = 1;
                st = CSV_S_QUO;
                break;
            }
            /* not a quote: an unquoted field, possibly empty */
            __attribute__((fallthrough));
        case CSV_S_UNQ:
            if (c == delim) {
                p->nonblank = 1;
                csv_end_field(p);
                st = CSV_S_START;
            } else if (c == '\n') {
                csv_end_field(p);
                p->line++;
                i++;
                goto record;
            } else if (c == '\r') {
                csv_end_field(p);
                st = CSV_S_CR;
            } else {
                /* the rest of the unquoted run in one piece */
                size_t j = csv_scan(d, i + 1, len, delim, '\n', '\r');
                p->nonblank = 1;
                if (!p->skip) {
                    memcpy(fb + p->fb_len, d + i, j - i);
                    p->fb_len += j - i;
                }
                i = j - 1;
                st = CSV_S_UNQ;
            }
            break;
        case CSV_S_QUO:
            if (c == '"') {
                st = CSV_S_QQ;
            } else if (c == '\n') {
                p->line++;
                CSV_PUT(c);
            } else {
                /* the quoted run up to the next quote or line end in one piece */
                size_t j = csv_scan(d, i + 1, len, '"', '\n', '\n');
                if (!p->skip) {
                    memcpy(fb + p->fb_len, d + i, j - i);
                    p->fb_len += j - i;
                }
                i = j - 1;
            }
            break;
        case CSV_S_QQ:
            if (c == '"') {
                CSV_PUT('"');
                st = CSV_S_QUO;
            } else if (c == delim) {
                csv_end_field(p);
                st = CSV_S_START;
            } else if (c == '\n') {
                csv_end_field(p);
                p->line++;
                i++;
                goto record;
            } else if (c == '\r') {
                csv_end_field(p);
                st = CSV_S_CR;
            } else {
                if (!p->bad_quote_col) {
                    p->bad_quote_col = p->nf + 1;
                }
                CSV_PUT(c);
                st = CSV_S_UNQ;
            }
            break;
        case CSV_S_CR:
            p->line++;
            if (c == '\n') {
                i++;
            }
            goto record; /* a lone CR ends the record before this byte */
        }
    }
    p->state = st;
    csv_take_raw(p, data, i);
    *used = i;
    return CSV_MORE;

record:
    csv_take_raw(p, data, i);
    *used = i;
    ret = csv_emit(p);
    return ret;
}

static void csv_prepare(struct csv_parser *p)
{
    if (p->pending_reset) {
        csv_record_clear(p);
    }
}

int csv_parser_feed(struct csv_parser *p, const char *data, size_t len, size_t *consumed)
{
    size_t off = 0, used = 0;
    int ret;

    csv_prepare(p);
    if (p->at_start) {
        while (off < len && p->bom_seen < p->bom_len &&
               (unsigned char)data[off] == p->bom[p->bom_seen]) {
            p->bom_seen++;
            off++;
        }
        if (p->bom_seen < p->bom_len && off == len) {
            *consumed = len; /* could still be a BOM */
            return CSV_MORE;
        }
        p->at_start = 0;
        if (p->bom_seen < p->bom_len && p->bom_seen > 0) {
            /* not a BOM after all: its first bytes were data (no structural byte among them) */
            csv_run(p, (const char *)p->bom, p->bom_seen, &used);
        }
    }
    ret = csv_run(p, data + off, len - off, &used);
    *consumed = off + used;
    return ret;
}

int csv_parser_finish(struct csv_parser *p)
{
    size_t used;

    csv_prepare(p);
    if (p->at_start) {
        p->at_start = 0;
        if (p->bom_seen > 0 && p->bom_seen < p->bom_len) {
            csv_run(p, (const char *)p->bom, p->bom_seen, &used);
        }
    }
    if (!p->in_record) {
        return CSV_MORE;
    }
    switch (p->state) {
    case CSV_S_QUO:
        p->pending_reset = 1;
        memset(&p->rec, 0, sizeof(p->rec));
        p->rec.line = p->rec_line;
        p->rec.raw = p->raw ? p->raw : "";
        p->rec.raw_len = p->raw_len;
        return csv_error(p, p->nf + 1,
                         "line %llu col %zu: unterminated quoted field at end of file",
                         (unsigned long long)p->rec_line, p->nf + 1);
    case CSV_S_CR:
        p->line++;
        break;
    case CSV_S_START:
    case CSV_S_UNQ:
    case CSV_S_QQ:
        csv_grow(&p->fb, &p->fb_cap, p->fb_len + 1);
        csv_end_field(p);
        break;
    }
    return csv_emit(p);
}
