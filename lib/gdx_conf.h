/*
 * gdx_conf.h - strict YAML configuration.
 *
 * The loader turns a YAML file into a small tree of nodes, each remembering its file, line
 * and column, and refuses what libyaml 0.2.5 would let through: aliases and anchors,
 * duplicate keys, nesting deeper than GDX_CONF_MAX_DEPTH, files larger than
 * GDX_CONF_MAX_BYTES, tags, multi-document streams. `${NAME}` in a scalar is replaced by the
 * environment variable NAME (an unset variable is an error naming the place); `$${` escapes.
 * Binding a map against a property table (gdx.h) reports unknown keys, wrong types and
 * missing required keys as `file:line:col: message`.
 */
#ifndef GDX_CONF_H
#define GDX_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "gdx.h"

#define GDX_CONF_MAX_BYTES (1024 * 1024)
#define GDX_CONF_MAX_DEPTH 16

enum gdx_node_type { GDX_NODE_SCALAR, GDX_NODE_MAP, GDX_NODE_SEQ };

struct gdx_node {
    enum gdx_node_type type;
    const char *file;       /* shared, owned by the tree */
    int line, col;          /* 1-based position of the node's value */
    int key_line, key_col;  /* for map values: position of the key */
    char *key;              /* for map entries: the key; else NULL */
    char *value;            /* scalars: the text after ${ENV} substitution */
    int quoted;             /* scalar was quoted: never null/bool/number by style */
    int from_env;           /* the value came (partly) from ${ENV}: treat as secret in logs */
    struct gdx_node **kids; /* maps: entries (key set); seqs: items */
    size_t nkids;
};

/*
 * Load @p path. @returns the root node (a map) or NULL with `file:line:col: reason` in
 * errstr. Free with gdx_conf_destroy().
 */
struct gdx_node *gdx_conf_load(const char *path, char *errstr, size_t errstr_size);
/* Same from memory; @p name is used in messages. */
struct gdx_node *gdx_conf_load_mem(const char *name, const char *buf, size_t len, char *errstr,
                                   size_t errstr_size);
void gdx_conf_destroy(struct gdx_node *root);

/* Child of a map by key, or NULL. */
struct gdx_node *gdx_conf_get(const struct gdx_node *map, const char *key);

/* `file:line:col` of a node into buf. */
const char *gdx_conf_where(const struct gdx_node *node, char *buf, size_t size);

/*
 * Fill @p inst from map @p map using @p props: defaults first, then the map's entries.
 * Unknown keys, type errors, bad choices and missing required keys are errors naming the
 * place. @p section names the map in messages ("source"). @p map may be NULL (all defaults;
 * a missing required key is reported at @p parent_where). Returns GDX_OK or GDX_ERR_CONFIG.
 */
int gdx_conf_bind(const struct gdx_node *map, const char *section,
                  const struct gdx_conf_prop *props, void *inst, const char *parent_where,
                  char *errstr, size_t errstr_size);
/* Free heap members (STR, SECRET, STRLIST) that gdx_conf_bind set; wipes secrets. */
void gdx_conf_unbind(const struct gdx_conf_prop *props, void *inst);

/* Check that every key of @p map is in the NULL-terminated @p allowed list. */
int gdx_conf_only_keys(const struct gdx_node *map, const char *const *allowed, char *errstr,
                       size_t errstr_size);

/* Scalar helpers: errors name the node's position */
int gdx_conf_scalar(const struct gdx_node *node, const char **out, char *errstr,
                    size_t errstr_size);
int gdx_conf_int(const struct gdx_node *node, int64_t min, int64_t max, int64_t *out, char *errstr,
                 size_t errstr_size);
int gdx_conf_bool(const struct gdx_node *node, int *out, char *errstr, size_t errstr_size);
/* "500ms", "5s", "2m", "1h", "1d" or plain number of ms */
int gdx_conf_duration(const struct gdx_node *node, int64_t *ms, char *errstr, size_t errstr_size);
/* "64KiB", "1MiB", "1GiB", "10MB" or plain number of bytes */
int gdx_conf_size(const struct gdx_node *node, int64_t *bytes, char *errstr, size_t errstr_size);

/* Parse text forms directly (used for property defaults); -1 on error */
int gdx_parse_duration(const char *s, int64_t *ms);
int gdx_parse_size(const char *s, int64_t *bytes);

/* SM3 hex digest (64 chars + NUL) of the file's bytes, for the gdx.config header */
int gdx_conf_digest(const char *path, char out[65], char *errstr, size_t errstr_size);

#endif
