/*
 * gdx.h - the connector interface.
 *
 * A connector adapts one kind of departmental source (a drop folder, a database table, a
 * REST API, a program) into rows of named text fields. It never touches Kafka, Avro,
 * OpenSSL or the audit log: the runtime maps each row onto the topic's schema, validates,
 * protects and encodes it, and produces it in one transaction with the source offset.
 *
 * Positions are opaque to the runtime: a connector describes where it is as a short JSON
 * text (struct gdx_offset). The runtime stores the position of the last committed batch in
 * the `_gdx.offsets` topic and hands it back after a start or an aborted transaction, so a
 * connector keeps no state of its own that matters.
 */
#ifndef GDX_H
#define GDX_H

#include <stddef.h>
#include <stdint.h>

#include "gdx_err.h"

#define GDX_CONNECTOR_ABI 1
#define GDX_VERSION       "0.1.0"

struct gdx_ctx;
struct gdx_batch;

/* Config property types of a connector's `source:` section. */
enum gdx_conf_type {
    GDX_CONF_STR,      /* char *, heap copy owned by the instance, freed by the runtime */
    GDX_CONF_INT,      /* int64_t */
    GDX_CONF_BOOL,     /* int */
    GDX_CONF_SECRET,   /* char *, like STR but redacted in logs; ${ENV} substitution usual */
    GDX_CONF_STRLIST,  /* char ** NULL-terminated, owned by the instance, freed by runtime */
    GDX_CONF_DURATION, /* int64_t milliseconds; accepts 500ms, 5s, 2m, 1h or a plain number */
    GDX_CONF_SIZE,     /* int64_t bytes; accepts 64KiB, 1MiB, 1GiB or a plain number */
};

/*
 * One config property: the runtime parses the connector's section with this table, so
 * `gdx connector spec KIND` and the docs come from the same place as the parser.
 */
struct gdx_conf_prop {
    const char *name; /* dotted lowercase key, units in the name: "poll.interval.ms" */
    enum gdx_conf_type type;
    size_t offset;       /* offsetof() into the instance struct */
    const char *defval;  /* default as text, NULL if required */
    const char *choices; /* "a|b|c" for enumerated strings, or NULL */
    const char *doc;     /* one or two sentences for `gdx connector spec` */
};

#define GDX_CONF_END                                                                               \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, NULL                                                               \
    }

/* A source position: JSON text owned by whoever holds the struct. */
struct gdx_offset {
    char *json; /* NULL means "from the very beginning" */
};

/* One source row as text fields. Names and values are borrowed for the call only. */
struct gdx_row {
    size_t nfields;
    const char *const *names;  /* field (column) names, UTF-8 */
    const char *const *values; /* text values after decoding to UTF-8; NULL = SQL NULL */
    const size_t *lens;        /* byte lengths of values */
    const char *pos;           /* source coordinates: "file:<name>:<line>", "table:..." */
    const char *raw;           /* the raw source row (for dead letters), may be NULL */
    size_t raw_len;
    const char *error;       /* set when the connector could not parse the row: the row
                              * goes to the dead letter topic with this reason */
    const char *error_field; /* field named by the error, or NULL */
    int raw_is_values;       /* 1 (with raw NULL): the raw row is the row's names and values
                              * as one JSON object, {"name":"text",...} (null for NULL), made
                              * by the runtime only when the row becomes a dead letter */
    int utf8_valid;          /* 1: the connector has checked (or produced) every value as
                              * valid UTF-8, so the runtime does not check the values again
                              * (0, what a zeroed row says: they are checked) */
    uint64_t names_gen;      /* nonzero, from gdx_names_gen(): rows with the same names array
                              * and the same number carry the same names, so the runtime
                              * looks their columns up once (0: it compares the names of
                              * every row with the last row's) */
};

/* A number no other names array of this process has: a connector takes one each time it
 * builds names anew (a file's header, a query's columns) and passes it as names_gen. */
uint64_t gdx_names_gen(void);

/*
 * Add a row to the batch. @p offset_after is the source position just after this row:
 * when the batch ends after this row, that is the position committed.
 * @returns GDX_OK, or GDX_ERR_FULL when the batch reached its record, byte or time bound:
 * the connector must stop adding (the row was still taken) and return from poll.
 */
int gdx_batch_add(struct gdx_batch *batch, const struct gdx_row *row, const char *offset_after);

/* Advance the batch's end position without a row (e.g. a skipped blank line or a file
 * finished). */
void gdx_batch_set_offset(struct gdx_batch *batch, const char *offset_json);

/*
 * After gdx_batch_add: non-zero when that row went to the dead letter topic instead of the
 * data topic (bad parse, mapping, validation, protection or encoding), with the stage,
 * reason and field (NULL when none) it carries; the texts stay valid until the next add.
 * For push sources that answer their clients per record.
 */
int gdx_batch_last_dead(const struct gdx_batch *batch, const char **stage, const char **reason,
                        const char **field);

/* Rows added so far in this batch. */
size_t gdx_batch_count(const struct gdx_batch *batch);

/* Logging for connectors: logfmt on stderr with the connector id; never pass the value of a
 * personal-data field. */
void gdx_ctx_log(struct gdx_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *gdx_ctx_connector_id(const struct gdx_ctx *ctx);
/* The path of the config file (for resolving relative paths). */
const char *gdx_ctx_config_dir(const struct gdx_ctx *ctx);
/* The folder of the connector's files on this host (state.dir, where its lock lives): it
 * exists and is writable once the connector runs. Nothing in it may matter for correctness:
 * positions live in Kafka. */
const char *gdx_ctx_state_dir(const struct gdx_ctx *ctx);
/* Non-zero once the process was asked to stop (SIGTERM/SIGINT). */
int gdx_ctx_stopping(const struct gdx_ctx *ctx);
/*
 * TLS of an HTTPS client (libcurl): the deployment's settings (the `tls:` section of the
 * host's deployment file, gdx_tls.h), with the connector's own keys over them. Certificate
 * and host name verification are always on. Members of @p own may be NULL (not set); paths
 * are absolute or relative to the working directory.
 */
struct gdx_ctx_tls {
    const char *ca_file, *ca_path, *cert_file, *key_file, *key_password;
};
/* Set them on the CURL easy handle @p curl before a transfer; GDX_ERR_CONFIG if libcurl
 * refuses one. */
int gdx_ctx_tls_curl(struct gdx_ctx *ctx, void *curl, const struct gdx_ctx_tls *own, char *errstr,
                     size_t errstr_size);
/* After a failed transfer (@p curl_code a CURLcode, @p curlerr its error buffer): a message
 * naming the cause (untrusted, expired, wrong host name, unusable client key) and which CA
 * was used; GDX_ERR_CONFIG for a local setting that cannot work, else GDX_ERR_RETRY. */
int gdx_ctx_tls_explain(struct gdx_ctx *ctx, void *curl, int curl_code, const char *curlerr,
                        const struct gdx_ctx_tls *own, const char *url, char *errstr,
                        size_t errstr_size);

/* How far behind its source the connector is, in seconds (the age of the oldest data not yet
 * read: files waiting in the folder, rows newer than the cursor, pages not yet fetched), or
 * -1 when unknown. Reported with the connector's metrics; call it whenever it changes. */
void gdx_ctx_set_lag(struct gdx_ctx *ctx, double seconds);
/* Report progress of long work (snapshots): shown on a terminal and logged periodically. */
void gdx_ctx_progress(struct gdx_ctx *ctx, const char *what, uint64_t done, uint64_t total);

/* Return codes of poll() besides GDX_OK and errors */
#define GDX_POLL_IDLE 1 /* nothing new; the runtime sleeps poll.interval.ms */
#define GDX_POLL_DRAINED                                                                           \
    2 /* nothing ready and nothing pending: `--once` exits here (data                              \
       * not yet complete, e.g. a file still being written, waits) */

struct gdx_connector {
    int abi;                           /* GDX_CONNECTOR_ABI */
    const char *name;                  /* "file", "sql", ... */
    const char *description;           /* one line, shown by `gdx connector spec` */
    const struct gdx_conf_prop *props; /* the `source:` section */
    size_t inst_size;                  /* the runtime allocates, fills and frees the instance */
    int (*init)(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size);
    /* Reach the source without moving data; print findings with gdx_ctx_log. */
    int (*check)(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size);
    /*
     * Fill @p batch with rows. When @p from is not NULL the connector first repositions to
     * it (after a start or an aborted transaction); from->json NULL means the beginning.
     * Returns GDX_OK when rows were added (or the position moved), GDX_POLL_IDLE,
     * GDX_POLL_DRAINED, GDX_ERR_RETRY for a transient source failure (errstr says why), or
     * another negative error, which stops the connector.
     */
    int (*poll)(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *from,
                struct gdx_batch *batch, int timeout_ms, char *errstr, size_t errstr_size);
    /*
     * The batch ending at @p upto is committed in Kafka: acknowledge, move files, ...
     *
     * Order of calls (the runtime pipelines its batches): poll() for the next batch may run
     * before committed() of the batch before it, while that batch is being committed, and its
     * rows are taken (and encoded) meanwhile. So committed(upto) acknowledges exactly the
     * rows up to and including position @p upto, never "everything read so far": rows added
     * after it belong to a batch not yet committed (a push source answers those clients at a
     * later committed()). committed() is never called from within poll(), always in batch
     * order, and only after the batch's transaction committed. After a failed commit the
     * runtime calls poll() with @p from set to the committed position read back from
     * `_gdx.offsets`: every row after it is read again, including rows taken by a poll()
     * that ran during the failed commit. A connector that cannot read ahead returns
     * GDX_POLL_IDLE from poll() until it hears committed() (as the file connector does at
     * the end of a file): the runtime then polls again right after the commit, without
     * sleeping poll.interval.ms.
     */
    int (*committed)(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *upto, char *errstr,
                     size_t errstr_size);
    void (*fini)(struct gdx_ctx *ctx, void *inst); /* also after a failed init */
};

/* The table the Makefile generates from connectors/ */
extern const struct gdx_connector *const gdx_connectors[];
const struct gdx_connector *gdx_connector_find(const char *name);

#endif
