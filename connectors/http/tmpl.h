/*
 * tmpl.h - the text work of the http connector that needs no network: URL and body
 * templates, the Link header, Retry-After and Date, cursor values.
 *
 * Kept apart from http.c so that tests/connectors/t-http.c reaches every rule directly.
 */
#ifndef GDX_HTTP_TMPL_H
#define GDX_HTTP_TMPL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How a substituted value is escaped in its place. */
enum http_esc {
    HTTP_ESC_URL,  /* percent-encoding of everything but RFC 3986 unreserved characters */
    HTTP_ESC_JSON, /* the inside of a JSON string: quote, backslash and control characters */
    HTTP_ESC_RAW,  /* as it is */
};

/* Values of the placeholders; NULL ones expand to the empty string. */
struct http_vars {
    const char *cursor; /* {cursor}: the incremental cursor, as the API wrote it */
    const char *page;   /* {page} */
    const char *size;   /* {size} (= {limit}) */
    const char *offset; /* {offset} */
    const char *token;  /* {token}: the next-page token */
};

/*
 * @brief Check that every `{name}` in @p tmpl names a known placeholder (cursor, page, size,
 * offset, limit, token). Braces around anything else (JSON text) are literal.
 * @returns 0, or -1 with the unknown name in @p bad.
 */
int http_tmpl_check(const char *tmpl, char *bad, size_t bad_size);

/* @brief Non-zero when @p tmpl uses the placeholder @p name ("cursor", "token", ...). */
int http_tmpl_uses(const char *tmpl, const char *name);

/* @brief Expand @p tmpl with @p vars escaped as @p esc. Returns a malloc'd string. */
char *http_tmpl_expand(const char *tmpl, const struct http_vars *vars, enum http_esc esc);

/* @brief Append @p s percent-encoded (RFC 3986 unreserved characters kept) to a malloc'd
 * copy of @p prefix. */
char *http_url_append_encoded(const char *prefix, const char *s);

/*
 * @brief The target of the first link with relation "next" in a Link header value
 * (RFC 8288: `<https://a/b?page=2>; rel="next", <...>; rel="last"`).
 * @returns a malloc'd URL (as written, possibly relative) or NULL when there is none.
 */
char *http_link_next(const char *value);

/* @brief Parse an HTTP-date (IMF-fixdate, RFC 850 or asctime form) into @p out (UTC).
 * @returns 0 or -1. */
int http_date_parse(const char *s, time_t *out);

/*
 * @brief Retry-After (delay-seconds or an HTTP-date) as milliseconds from @p now.
 * @returns the delay (0 for a date in the past) or -1 when @p s is neither form.
 */
int64_t http_retry_after_ms(const char *s, time_t now);

/*
 * @brief A cursor timestamp as microseconds since 1970 UTC: ISO 8601 / SQL text
 * (`2026-09-20 10:30:00`, `2026-09-20T10:30:00.123+08:00`, `...Z`, `...+0800`) where a value
 * without an offset is in @p default_tz (`+08:00`), or a number of epoch seconds, or of
 * milliseconds when it is 12 digits or more.
 * @returns 0 or -1.
 */
int http_ts_parse(const char *s, size_t len, const char *default_tz, int64_t *us);

/* @brief Compare two integer texts (optional '-', digits) by value: <0, 0, >0; -2 when
 * either is not an integer. */
int http_num_cmp(const char *a, const char *b);

/*
 * @brief The source coordinates of record @p index of the page fetched from @p url:
 * `http:<path>[?<query>]:<index>` (scheme, host and fragment left out). Malloc'd.
 */
char *http_pos(const char *url, size_t index);

/* @brief `scheme://host[:port]/path` of @p url, for messages (the query is left out: it
 * may carry values that are nobody's business in a log). Malloc'd. */
char *http_url_display(const char *url);

#endif
