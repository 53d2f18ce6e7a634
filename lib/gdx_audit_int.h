/*
 * gdx_audit_int.h - helpers shared by the audit writer (gdx_audit.c) and the auditor's tools
 * (gdx_audit_verify.c). Not part of libgdx's public interface.
 */
#ifndef GDX_AUDIT_INT_H
#define GDX_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_ACTOR_MAX       128
#define AUDIT_HASH_SUFFIX_LEN (sizeof(",\"hash\":\"\"}") - 1 + 64)

/* A parsed audit file name `<actor>-YYYYMMDD[.N].jsonl[.gz]`. */
struct audit_name {
    char actor[AUDIT_ACTOR_MAX + 1];
    int day; /* YYYYMMDD */
    int seg; /* 0 for the day's first file */
    int gz;
};

/* @returns 1 if @p base (a file name without directories) is an audit file name */
int gdx_audit_name_parse(const char *base, struct audit_name *n);
/* @brief Compare by actor, day, segment (for qsort of names). */
int gdx_audit_name_cmp(const struct audit_name *a, const struct audit_name *b);
/* @brief 1 if @p actor is a valid actor name ([A-Za-z0-9._]{1,128}) */
int gdx_audit_actor_valid(const char *actor);
/* @brief Read a whole file; `.gz` files through `gzip -dc`. *buf is malloc'd, NUL-ended. */
int gdx_audit_read_file(const char *path, char **buf, size_t *len, char *errstr,
                        size_t errstr_size);
/*
 * @brief Split a line (without newline) into hashed bytes and hash: the line must end with
 * `,"hash":"<64 lowercase hex>"}`. @p *body_len is the length of the part before that
 * suffix: the hashed bytes are line[0..body_len) followed by '}'.
 * @returns 0, or -1 if the suffix is missing
 */
int gdx_audit_line_split(const char *line, size_t len, size_t *body_len, char hash[65]);
struct gdx_sm3;
/* @brief SM3 hex of line[0..body_len) + "}"; @p sm3 a context to reuse, or NULL */
int gdx_audit_line_hash(struct gdx_sm3 *sm3, const char *line, size_t body_len, char out[65],
                        char *errstr, size_t errstr_size);
/* @brief Local (+08:00) day YYYYMMDD of @p ms */
int gdx_audit_day(int64_t ms);
/* @brief UTC RFC 3339 with milliseconds and "Z" */
void gdx_audit_format_utc(int64_t ms, char out[32]);
/* @brief Parse an RFC 3339 time (Z or +hh:mm) or YYYY-MM-DD (+08:00) to ms; -1 if bad */
int gdx_audit_parse_time(const char *s, int64_t *ms);

#endif
