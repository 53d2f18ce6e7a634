/*
 * fakert.h - a connector's own source compiled into a harness, with the runtime's batch and
 * context replaced, so the connector's page, body and line handling runs as it does in
 * production, without sockets, Kafka or a runtime.
 *
 * A connector harness includes this header first and then the connector's .c file:
 *
 *     #include "fakert.h"
 *     #include "../../connectors/http/http.c"
 *
 * The defines below rename the runtime's functions that gdx.h declares (gdx_batch_*,
 * gdx_ctx_*) in that translation unit only, so the connector's calls reach the fakes of
 * fakert.c and the real runtime is never linked in. The harness defines nothing else of the
 * connector: every other function is the connector's own (its statics included), so a
 * harness stops compiling rather than testing stale copies when the connector changes.
 *
 * The fake batch keeps a deep copy of every row added (struct fuzz_rec), becomes full after
 * `max` rows like the runtime's batch bounds, and records the last end position set.
 */
#ifndef GDX_FUZZ_FAKERT_H
#define GDX_FUZZ_FAKERT_H

#define gdx_batch_add        fuzz_batch_add
#define gdx_batch_set_offset fuzz_batch_set_offset
#define gdx_batch_last_dead  fuzz_batch_last_dead
#define gdx_batch_count      fuzz_batch_count
#define gdx_ctx_log          fuzz_ctx_log
#define gdx_ctx_connector_id fuzz_ctx_connector_id
#define gdx_ctx_config_dir   fuzz_ctx_config_dir
#define gdx_ctx_state_dir    fuzz_ctx_state_dir
#define gdx_ctx_stopping     fuzz_ctx_stopping
#define gdx_ctx_set_lag      fuzz_ctx_set_lag
#define gdx_ctx_progress     fuzz_ctx_progress
#define gdx_ctx_tls_curl     fuzz_ctx_tls_curl
#define gdx_ctx_tls_explain  fuzz_ctx_tls_explain

#include "gdx.h"

/* One row as the connector handed it over: every member copied. */
struct fuzz_rec {
    size_t nfields;
    char **names;
    char **values; /* NULL for a null value */
    size_t *lens;
    char *pos;
    char *raw;
    size_t raw_len;
    char *error; /* a dead letter: the connector's reason */
    char *error_field;
    char *offset_after;
};

struct gdx_batch {
    struct fuzz_rec *recs;
    size_t n, cap;
    size_t max;   /* full once this many rows are in; 0: never */
    char *offset; /* the last gdx_batch_set_offset(), or NULL */
    int last_dead;
};

struct gdx_ctx {
    int stopping;
    double lag;
    const char *dir; /* config and state folder */
};

void fuzz_batch_init(struct gdx_batch *b, size_t max);
/* Forget the rows and the position (the batch is committed or aborted). */
void fuzz_batch_clear(struct gdx_batch *b);
void fuzz_batch_release(struct gdx_batch *b);

/* Equal rows: the same fields, values, error and raw bytes (positions are not compared). */
int fuzz_rec_equal(const struct fuzz_rec *a, const struct fuzz_rec *b);

#endif
