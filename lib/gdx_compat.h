/*
 * gdx_compat.h - Avro schema resolution and compatibility (the Avro spec's rules).
 *
 * Used by `gdx schema check`, by `gdx registry` and by the git-history check of `make test`.
 */
#ifndef GDX_COMPAT_H
#define GDX_COMPAT_H

#include <stddef.h>

enum gdx_compat_level {
    GDX_COMPAT_NONE = 0,
    GDX_COMPAT_BACKWARD,
    GDX_COMPAT_BACKWARD_TRANSITIVE,
    GDX_COMPAT_FORWARD,
    GDX_COMPAT_FORWARD_TRANSITIVE,
    GDX_COMPAT_FULL,
    GDX_COMPAT_FULL_TRANSITIVE,
};

/* "BACKWARD", "backward", "full_transitive", ... -> level; -1 if unknown */
int gdx_compat_level_parse(const char *name);
const char *gdx_compat_level_name(enum gdx_compat_level level);

/*
 * 1 if data written with @p writer_text can be read with @p reader_text (Avro schema
 * resolution), 0 if not (errstr says where: "field 'x': type long cannot be read as int"),
 * negative if a schema is invalid.
 */
int gdx_compat_can_read(const char *reader_text, const char *writer_text, char *errstr,
                        size_t errstr_size);

/*
 * Check @p new_text against previous versions @p old_texts (oldest first) at @p level:
 * non-transitive levels compare with the latest only. GDX_OK if compatible, GDX_ERR_SCHEMA
 * with the reason naming the version and place if not, GDX_ERR_PARSE if a schema is invalid.
 */
int gdx_compat_check(const char *new_text, const char *const *old_texts, size_t nold,
                     enum gdx_compat_level level, char *errstr, size_t errstr_size);

#endif
