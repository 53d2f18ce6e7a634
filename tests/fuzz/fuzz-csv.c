/*
 * fuzz-csv.c - the file connector's CSV parser (connectors/file/csv.c) and the mapping of its
 * records onto Avro.
 *
 * Input: byte 0 picks the delimiter, the encoding and the size of the pieces the parser is fed
 * (as file.c feeds it whatever one read() returned); the rest is the file. The first record is
 * the header, as with csv.header: true. Properties:
 *   - records do not depend on how the bytes were cut into pieces (fed whole vs in pieces);
 *   - every field is valid UTF-8 of the length reported, NUL-terminated;
 *   - every accepted row passes the round trip of rowcheck.h.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"
#include "gdx_err.h"
#include "rowcheck.h"

#define ROW_MAX 4096

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sbuf *sb, const void *p, size_t n)
{
    if (sb->len + n + 1 > sb->cap) {
        sb->cap = (sb->len + n + 1) * 2;
        sb->p = realloc(sb->p, sb->cap);
        FUZZ_CHECK(sb->p);
    }
    memcpy(sb->p + sb->len, p, n);
    sb->len += n;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

/* One record, checked and appended to @p log in a form that compares exactly. */
static void on_record(const struct csv_record *rec, struct sbuf *log, char **names, size_t *nnames,
                      int check_rows)
{
    char hdr[96];
    int n = snprintf(hdr, sizeof(hdr), "R%llu:%zu:%zu:%zu|", (unsigned long long)rec->line,
                     rec->nfields, rec->raw_len, rec->error_col);
    sb_add(log, hdr, (size_t)n);
    FUZZ_CHECK(rec->raw_len <= ROW_MAX);
    if (rec->error) {
        FUZZ_CHECK(rec->nfields == 0);
        sb_add(log, rec->error, strlen(rec->error) + 1);
        return;
    }
    for (size_t i = 0; i < rec->nfields; i++) {
        FUZZ_CHECK(rec->values[i][rec->lens[i]] == '\0');
        FUZZ_CHECK(utf8_valid((const unsigned char *)rec->values[i], rec->lens[i]));
        sb_add(log, rec->values[i], rec->lens[i] + 1);
    }
    if (!*nnames) {
        /* the header: keep the names for the rows that follow */
        for (size_t i = 0; i < rec->nfields && i < 64; i++) {
            names[i] = strdup(rec->values[i]);
            FUZZ_CHECK(names[i]);
        }
        *nnames = rec->nfields < 64 ? rec->nfields : 64;
        if (!*nnames) {
            *nnames = (size_t)-1; /* an empty header still counts as read */
        }
        return;
    }
    if (check_rows && *nnames != (size_t)-1 && rec->nfields == *nnames) {
        struct gdx_row row;
        memset(&row, 0, sizeof(row));
        row.nfields = rec->nfields;
        row.names = (const char *const *)names;
        row.values = rec->values;
        row.lens = rec->lens;
        rowcheck_row(&row);
    }
}

static void parse(const char *data, size_t len, char delim, const char *enc, size_t piece,
                  struct sbuf *log, int check_rows)
{
    char err[256];
    struct csv_parser *p = csv_parser_new(delim, ROW_MAX, enc, err, sizeof(err));
    char *names[64];
    size_t nnames = 0, off = 0;
    int r, stalled = 0;

    FUZZ_CHECK(p);
    csv_parser_reset(p, 1, 1);
    csv_parser_set_columns(p, 0);
    while (off < len) {
        size_t end = piece && off + piece < len ? off + piece : len, pos = off;
        while (pos < end) {
            size_t used = 0;
            r = csv_parser_feed(p, data + pos, end - pos, &used);
            FUZZ_CHECK(used <= end - pos);
            pos += used;
            if (r == CSV_MORE) {
                FUZZ_CHECK(pos == end);
                stalled = 0;
                break;
            }
            /* a record ended by a CR at the end of the last piece completes on the next
             * byte without taking it; twice in a row would be a parser that never moves */
            FUZZ_CHECK(used > 0 || !stalled);
            stalled = used == 0;
            if (r == CSV_RECORD) {
                int was_header = nnames == 0;
                on_record(csv_parser_record(p), log, names, &nnames, check_rows);
                if (was_header && nnames) {
                    csv_parser_set_columns(p, nnames == (size_t)-1 ? 0 : nnames);
                }
            } else {
                FUZZ_CHECK(r == CSV_BLANK);
                sb_add(log, "B", 1);
            }
        }
        off = end;
    }
    r = csv_parser_finish(p);
    if (r == CSV_RECORD) {
        on_record(csv_parser_record(p), log, names, &nnames, check_rows);
    }
    {
        char tail[32];
        int n = snprintf(tail, sizeof(tail), "L%llu", (unsigned long long)csv_parser_line(p));
        sb_add(log, tail, (size_t)n);
    }
    if (nnames != (size_t)-1) {
        for (size_t i = 0; i < nnames; i++) {
            free(names[i]);
        }
    }
    csv_parser_destroy(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[4] = {',', '\t', ';', '|'};
    static const char *const encs[4] = {"utf-8", "gb18030", "gbk", "utf-8"};
    struct sbuf whole = {0}, pieces = {0};
    size_t piece;

    if (size < 1 || size > 64 * 1024) {
        return 0;
    }
    piece = 1 + (data[0] >> 4);
    parse((const char *)data + 1, size - 1, delims[data[0] & 3], encs[(data[0] >> 2) & 3], 0,
          &whole, 1);
    parse((const char *)data + 1, size - 1, delims[data[0] & 3], encs[(data[0] >> 2) & 3], piece,
          &pieces, 0);
    if (whole.len != pieces.len || memcmp(whole.p, pieces.p, whole.len) != 0) {
        fprintf(stderr, "records differ when fed in pieces of %zu bytes\n", piece);
    }
    FUZZ_CHECK(whole.len == pieces.len && memcmp(whole.p, pieces.p, whole.len) == 0);
    free(whole.p);
    free(pieces.p);
    return 0;
}
