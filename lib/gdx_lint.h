/*
 * gdx_lint.h - schema lint: valid Avro per the 1.11 spec (stricter than Avro-C 1.11.1), and
 * gdx's own rules for the schemas of exchanged records (labels, docs, naming conventions).
 *
 * Problems are reported one by one as `NAME:LINE:COL: message`, e.g.
 * `schemas/civil/resident.avsc:24:7: field 'id_no': missing gdx.pi`. Positions of fields and
 * named types are found by searching the text for their `"name": "x"` member.
 */
#ifndef GDX_LINT_H
#define GDX_LINT_H

#include <stddef.h>

/* Check the Avro spec only, not gdx's labels and conventions (for a registry). */
#define GDX_LINT_SPEC_ONLY 0x1

/* Receives one problem, already formatted as `NAME:LINE:COL: message` (no newline). */
typedef void(gdx_lint_report_cb)(void *opaque, const char *msg);

/*
 * Lint the schema @p text of @p len bytes; @p name is used in messages (a path).
 * @p flags: 0 or GDX_LINT_SPEC_ONLY. @p report may be NULL.
 * @returns the number of problems found (0 = clean).
 */
int gdx_lint_text(const char *name, const char *text, size_t len, unsigned flags,
                  gdx_lint_report_cb *report, void *opaque);

/*
 * Lint the file @p path (messages name it as given).
 * @returns the number of problems (>= 0), or GDX_ERR_IO with errstr if it cannot be read.
 */
int gdx_lint_file(const char *path, unsigned flags, gdx_lint_report_cb *report, void *opaque,
                  char *errstr, size_t errstr_size);

#endif
