/*
 * csv.h - the file connector's RFC 4180 parser (connector-private; csv_ prefix because
 * tests/connectors/t-csv.c calls it directly).
 *
 * A push parser: the caller feeds whatever bytes it has read, in pieces of any size, and the
 * parser says how many bytes made up the next record. Structure is found on the raw bytes
 * (quote, delimiter, CR and LF are ASCII, and no GB18030/GBK multi-byte sequence contains
 * them), then each field is decoded to UTF-8. A record that cannot be parsed or decoded is
 * still returned, with `error` set and `raw` holding its bytes, so one bad row never stops
 * a file.
 */
#ifndef GDX_CSV_H
#define GDX_CSV_H

#include <stddef.h>
#include <stdint.h>

/* csv_parser_feed() / csv_parser_finish() results */
#define CSV_MORE   0 /* every byte was taken, no record completed yet */
#define CSV_RECORD 1 /* a record is ready: csv_parser_record() */
#define CSV_BLANK  2 /* an empty line was skipped (the position still advances) */

struct csv_record {
    size_t nfields;            /* 0 when error is set */
    const char *const *values; /* UTF-8, each NUL-terminated */
    const size_t *lens;
    uint64_t line;   /* physical line where the record starts, 1-based */
    const char *raw; /* the record's bytes as read (without BOM), truncated to
                      * row.max.bytes for an oversized record */
    size_t raw_len;
    const char *error; /* NULL, or `line 17: expected 12 fields, found 11` */
    size_t error_col;  /* 1-based field the error is about, 0 if none */
};

struct csv_parser;

/*
 * @brief New parser. @p delim: field delimiter byte; @p row_max: largest record in bytes
 * (larger ones come back as errors and parsing resyncs at the next record); @p encoding:
 * "utf-8", "gb18030" or "gbk". NULL with errstr on a bad encoding or delimiter.
 */
struct csv_parser *csv_parser_new(char delim, size_t row_max, const char *encoding, char *errstr,
                                  size_t errstr_size);
void csv_parser_destroy(struct csv_parser *p);

/*
 * @brief Forget any partial record and restart at physical line @p line. @p at_start: the
 * next byte is the first of the file (a byte order mark is skipped there).
 */
void csv_parser_reset(struct csv_parser *p, uint64_t line, int at_start);

/* @brief Records must have @p n fields (0: any number, e.g. while reading the header). */
void csv_parser_set_columns(struct csv_parser *p, size_t n);

/*
 * @brief Parse from @p data. Sets *consumed to the bytes taken (all of them for CSV_MORE; up
 * to and including the record's line ending otherwise). Call again with the rest.
 * @returns CSV_MORE, CSV_RECORD or CSV_BLANK.
 */
int csv_parser_feed(struct csv_parser *p, const char *data, size_t len, size_t *consumed);

/*
 * @brief End of input: completes a last record without a line ending, or reports an
 * unterminated quoted field. @returns CSV_RECORD or CSV_MORE (nothing pending).
 */
int csv_parser_finish(struct csv_parser *p);

/* @brief The record of the last CSV_RECORD, valid until the next feed/finish/reset. */
const struct csv_record *csv_parser_record(const struct csv_parser *p);

/* @brief Physical line the next byte belongs to (after blanks and records, 1-based). */
uint64_t csv_parser_line(const struct csv_parser *p);

#endif
