/*
 * gdx_jrow.h - JSON objects as connector rows, and spans of JSON documents.
 *
 * The file connector's JSON Lines, the http connector's pages, the webhook's bodies and the
 * exec connector's RECORD lines all turn one JSON object into one struct gdx_row. This is
 * the one place that does it, so every connector reads JSON the same way:
 *
 *  - one field per top-level member; strings decoded to UTF-8, numbers passed on exactly
 *    as written (a decimal "0.10" stays "0.10", an id beyond 2^53 keeps every digit),
 *    true/false as text, null as a NULL value, objects and arrays as compact JSON text;
 *  - with GDX_JROW_FLATTEN, members of nested objects also appear as "a.b" fields, so a
 *    config can map `caller.phone` without a transform;
 *  - duplicate keys, invalid UTF-8 and nesting deeper than the limit are refused with the
 *    byte column of the problem.
 *
 * The span functions find a value by JSON pointer (RFC 6901) and walk the elements of an
 * array without copying, for documents that hold records inside an envelope
 * (`{"data":{"list":[...]}}`). They expect text that a JSON parser has accepted; on other
 * text they stop with GDX_ERR_PARSE, never read out of bounds.
 */
#ifndef GDX_JROW_H
#define GDX_JROW_H

#include <stddef.h>

#include "gdx.h"

#define GDX_JROW_FLATTEN   0x1 /* nested objects' members as "a.b" fields too */
#define GDX_JROW_MAX_DEPTH 64  /* default nesting limit */

struct gdx_jrow;

/** @brief A reusable converter; @p flags GDX_JROW_*; @p max_depth 0 means the default. */
struct gdx_jrow *gdx_jrow_new(int flags, int max_depth);
void gdx_jrow_destroy(struct gdx_jrow *jr);

/**
 * @brief Parse the JSON object in @p text[0..len) into @p row's fields.
 *
 * Sets row->nfields, names, values and lens, which point into @p jr and stay valid until the
 * next call on @p jr; the caller sets pos, raw and the rest.
 * @returns GDX_OK, or GDX_ERR_PARSE with @p errstr "col N: reason" (N the 1-based byte
 *          column in @p text).
 */
int gdx_jrow_parse(struct gdx_jrow *jr, const char *text, size_t len, struct gdx_row *row,
                   char *errstr, size_t errstr_size);

/**
 * @brief Like gdx_jrow_parse, but the row is the object at JSON pointer @p ptr ("" is the
 *        whole document) of the document @p text, which is validated whole in the same
 *        single pass, e.g. "/record" of a Singer RECORD line. The depth limit counts from
 *        the top of @p text.
 *
 * The document stays loaded for gdx_jrow_str() until the next call, also when @p ptr names
 * nothing.
 * @returns GDX_OK, GDX_ERR_PARSE ("col N: reason"; also when the value at @p ptr is not an
 *          object), or GDX_ERR_NOENT when @p ptr names nothing in a valid document.
 */
int gdx_jrow_parse_at(struct gdx_jrow *jr, const char *text, size_t len, const char *ptr,
                      struct gdx_row *row, char *errstr, size_t errstr_size);

/** @brief Where the object of the last successful parse lies in its text: *start, *len. */
void gdx_jrow_span(const struct gdx_jrow *jr, size_t *start, size_t *len);

/**
 * @brief The string at JSON pointer @p ptr of the document last loaded by @p jr (decoded
 *        UTF-8, borrowed until the next parse), with its length in *len; NULL when there is no
 *        such member, it is not a string, or the last parse failed before loading.
 */
const char *gdx_jrow_str(const struct gdx_jrow *jr, const char *ptr, size_t *len);

/** @brief Nesting depth of the JSON value in @p text (0 for a scalar), or -1 if malformed. */
int gdx_json_depth(const char *text, size_t len);

/**
 * @brief Locate the value at JSON pointer @p ptr ("" is the whole document, "/data/list",
 *        "/items/0") in @p text.
 * @returns GDX_OK with *start and *vlen set, GDX_ERR_NOENT when the pointer names nothing,
 *          GDX_ERR_PARSE on malformed text.
 */
int gdx_json_find(const char *text, size_t len, const char *ptr, size_t *start, size_t *vlen);

/**
 * @brief Walk the elements of the JSON array @p text[0..len) (the span of the array value).
 *        Set *pos to 0 before the first call.
 * @returns 1 with *start and *elen set to the next element, 0 after the last one,
 *          GDX_ERR_PARSE when @p text is not an array.
 */
int gdx_json_array_next(const char *text, size_t len, size_t *pos, size_t *start, size_t *elen);

#endif
