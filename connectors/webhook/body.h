/*
 * body.h - the records in a webhook request body: one JSON object, a JSON array of them, or
 * JSON Lines (one object per line).
 *
 * Splitting finds the span of every record without parsing it (each is parsed into a row
 * later, and a record that is not a valid JSON object becomes a dead letter there). What makes
 * the whole body unacceptable is refused here, before anything is kept: a body that is not
 * JSON at all or is cut short, nesting deeper than the limit anywhere, a record larger than
 * the record limit, more records than the request limit.
 */
#ifndef GDX_WEBHOOK_BODY_H
#define GDX_WEBHOOK_BODY_H

#include <stddef.h>

enum wh_fmt { WH_FMT_JSON, WH_FMT_JSONL };

struct wh_span {
    size_t start, len;
    size_t line; /* JSON Lines: the 1-based line; JSON: 0 */
};

struct wh_limits {
    int max_depth;           /* deepest nesting of a record */
    size_t max_records;      /* records per request */
    size_t max_record_bytes; /* bytes per record */
};

/*
 * @brief Find the records of @p body. *spans is malloc'd (caller frees), *n their number.
 * @returns 0, or the HTTP status that refuses the body (400 malformed or too deep, 413 too
 *          many records or a record too large) with the reason in @p errstr.
 */
int wh_body_split(const char *body, size_t len, enum wh_fmt fmt, const struct wh_limits *lim,
                  struct wh_span **spans, size_t *n, char *errstr, size_t errstr_size);

#endif
