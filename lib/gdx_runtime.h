/*
 * gdx_runtime.h - the connector runtime.
 *
 * Loads a connector's YAML file, maps each row a connector yields onto the topic's schema,
 * encodes it as Avro and produces it; dead letters and the new source position go with the
 * batch. In exactly-once mode (the default) a batch is one Kafka transaction: records, dead
 * letters and the offset record in `_gdx.offsets` commit together, and the connector hears
 * that a position is committed only after the commit. In at-least-once mode the offset record
 * is produced after every record of the batch has its delivery report.
 */
#ifndef GDX_RUNTIME_H
#define GDX_RUNTIME_H

#include <stddef.h>
#include <stdio.h>

#include "gdx.h"

struct gdx_runtime;

/*
 * Load and validate the config at @p path: YAML, the connector kind, its `source:` keys,
 * the schema and the field mapping. Errors name `file:line:col` and return GDX_ERR_CONFIG
 * (exit 78). Nothing is started.
 */
int gdx_runtime_new(struct gdx_runtime **rtp, const char *path, char *errstr, size_t errstr_size);
void gdx_runtime_destroy(struct gdx_runtime *rt);

const char *gdx_runtime_id(const struct gdx_runtime *rt);

/*
 * Run until *stop becomes non-zero (SIGTERM) or, with @p once, until the source is drained.
 * Takes the per-host lock of the connector id first (GDX_ERR_LOCKED names the running copy's
 * pid). Returns GDX_OK after a clean stop.
 */
int gdx_runtime_run(struct gdx_runtime *rt, int once, const volatile int *stop, char *errstr,
                    size_t errstr_size);

/* `gdx connector check`: reach the source and Kafka, move no data; findings on @p out. */
int gdx_runtime_check(struct gdx_runtime *rt, FILE *out, char *errstr, size_t errstr_size);

/* Operator control over the committed position (refused while the connector runs). */
int gdx_runtime_offsets_show(struct gdx_runtime *rt, FILE *out, char *errstr, size_t errstr_size);
/* @p offset_json NULL resets to the beginning of the source. */
int gdx_runtime_offsets_set(struct gdx_runtime *rt, const char *offset_json, char *errstr,
                            size_t errstr_size);

/* Print the runtime's own keys and a connector kind's `source:` keys (`connector spec`). */
void gdx_runtime_spec(FILE *out, const struct gdx_connector *conn);

/* One key of a connector file: `gdx connector spec` and the man page print this table. */
struct gdx_runtime_doc {
    const char *key, *def, *doc; /* def NULL: required */
};
/* The runtime's keys, ending with a NULL key. */
const struct gdx_runtime_doc *gdx_runtime_docs(void);

#endif
