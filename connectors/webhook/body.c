/*
 * body.c - splitting a webhook body into record spans.
 *
 * The scanner of lib/gdx_jrow walks the text without recursion, so a hostile body of a
 * million opening brackets costs one pass and is refused by its depth, never by a stack
 * overflow in a parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "gdx_jrow.h"
#include "gdx_util.h"

static size_t ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
        i++;
    }
    return i;
}

static int add(struct wh_span **spans, size_t *n, size_t *cap, size_t start, size_t len,
               size_t line, const struct wh_limits *lim, char *errstr, size_t errstr_size)
{
    if (*n >= lim->max_records) {
        snprintf(errstr, errstr_size, "more than %zu records in one request (request.max.records)",
                 lim->max_records);
        return 413;
    }
    if (len > lim->max_record_bytes) {
        if (line) {
            snprintf(errstr, errstr_size,
                     "record %zu (line %zu) is %zu bytes, more than record.max.bytes (%zu)", *n,
                     line, len, lim->max_record_bytes);
        } else {
            snprintf(errstr, errstr_size,
                     "record %zu is %zu bytes, more than record.max.bytes (%zu)", *n, len,
                     lim->max_record_bytes);
        }
        return 413;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *spans = gdx_xrealloc(*spans, *cap * sizeof(**spans));
    }
    (*spans)[*n].start = start;
    (*spans)[*n].len = len;
    (*spans)[*n].line = line;
    (*n)++;
    return 0;
}

int wh_body_split(const char *body, size_t len, enum wh_fmt fmt, const struct wh_limits *lim,
                  struct wh_span **spans, size_t *n, char *errstr, size_t errstr_size)
{
    size_t cap = 0;
    int rc = 0;

    *spans = NULL;
    *n = 0;
    if (fmt == WH_FMT_JSONL) {
        size_t line = 0;
        for (size_t i = 0; i < len;) {
            size_t e = i;
            while (e < len && body[e] != '\n') {
                e++;
            }
            line++;
            size_t s = ws(body, i, e), t = e;
            while (t > s && (body[t - 1] == '\r' || body[t - 1] == ' ' || body[t - 1] == '\t')) {
                t--;
            }
            if (t > s) {
                int d = gdx_json_depth(body + s, t - s);
                if (d > lim->max_depth) {
                    snprintf(errstr, errstr_size, "line %zu: JSON nested deeper than %d levels",
                             line, lim->max_depth);
                    rc = 400;
                    break;
                }
                if ((rc = add(spans, n, &cap, s, t - s, line, lim, errstr, errstr_size))) {
                    break;
                }
            }
            i = e + 1;
        }
    } else {
        size_t i = ws(body, 0, len), end;
        int d = gdx_json_depth(body, len);
        if (i >= len) {
            snprintf(errstr, errstr_size, "empty body: send a JSON object or an array of objects");
            rc = 400;
        } else if (d < 0) {
            snprintf(errstr, errstr_size, "the body is not complete JSON (%zu bytes; cut short?)",
                     len);
            rc = 400;
        } else if (d > lim->max_depth + (body[i] == '[')) {
            snprintf(errstr, errstr_size, "JSON nested deeper than %d levels", lim->max_depth);
            rc = 400;
        } else if (body[i] == '{') {
            size_t s0, l0;
            /* the span of the one value, and nothing after it */
            if (gdx_json_find(body, len, "", &s0, &l0) != 0 || ws(body, s0 + l0, len) != len) {
                snprintf(errstr, errstr_size,
                         "text after the JSON object (for several records "
                         "send an array, or JSON Lines as "
                         "application/x-ndjson)");
                rc = 400;
            } else {
                rc = add(spans, n, &cap, s0, l0, 0, lim, errstr, errstr_size);
            }
        } else if (body[i] == '[') {
            size_t pos = 0, es, el, s0, l0;
            int r;
            if (gdx_json_find(body, len, "", &s0, &l0) != 0 ||
                (end = ws(body, s0 + l0, len)) != len) {
                snprintf(errstr, errstr_size, "text after the JSON array");
                rc = 400;
            } else {
                while ((r = gdx_json_array_next(body + s0, l0, &pos, &es, &el)) == 1) {
                    if ((rc = add(spans, n, &cap, s0 + es, el, 0, lim, errstr, errstr_size))) {
                        break;
                    }
                }
                if (!rc && r < 0) {
                    snprintf(errstr, errstr_size, "the array is not valid JSON near byte %zu",
                             s0 + pos + 1);
                    rc = 400;
                }
            }
        } else {
            snprintf(errstr, errstr_size, "expected a JSON object or an array of objects");
            rc = 400;
        }
    }
    if (rc) {
        free(*spans);
        *spans = NULL;
        *n = 0;
    }
    return rc;
}
