/*
 * gdx_runtime.c - the connector runtime: config, mapping, batches, transactions, positions.
 *
 * One process runs one connector. The loop is: poll the connector for a batch of rows;
 * map each row onto the schema, encode it and produce it as it arrives (rows are never held
 * in memory beyond the encode thread's queue of 256 rows and the stash of the batch waiting
 * for the one before it to commit: librdkafka's bounded queue is the buffer, and a full
 * queue blocks the source); then close the batch. With encode.thread the mapping, protection,
 * encoding and producing run on a thread of their own while the connector reads, in row
 * order; the batch is the main thread's alone again once poll() returned and the queue
 * drained. Invariants:
 *
 *  - A position is written to `_gdx.offsets` only after every record and dead letter of its
 *    batch has a successful delivery report; in exactly-once mode the position is in the same
 *    transaction as the records.
 *  - The connector's committed() runs only after the commit (or, at least once, after the
 *    offset record's delivery report).
 *  - After a start, an aborted transaction or a recreated producer, the position comes from
 *    `_gdx.offsets` as a read_committed consumer sees it, never from memory. librdkafka
 *    2.0.2's mock cluster shows aborted records to such consumers; resuming from what the
 *    offsets topic shows keeps the two views consistent, and every attempt carries its own
 *    batch id (header gdx.batch, recorded in the offset record) so a checker can tell them
 *    apart.
 *  - Nothing is dropped: a failed batch is re-read from the committed position.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gdx.h"
#include "gdx_audit.h"
#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_crypto.h"
#include "gdx_deploy.h"
#include "gdx_fault.h"
#include "gdx_kafka.h"
#include "gdx_lock.h"
#include "gdx_log.h"
#include "gdx_metrics.h"
#include "gdx_policy.h"
#include "gdx_registry.h"
#include "gdx_runtime.h"
#include "gdx_util.h"

#define RT_OFFSETS_TOPIC   "_gdx.offsets"
#define RT_BACKOFF_MAX_MS  30000
#define RT_KAFKA_TIMEOUT   10000
#define RT_PROGRESS_MS     10000
#define RT_OVERLAP_POLL_MS 10 /* poll timeout while a batch commits */

struct rt_map {
    const struct gdx_field *field;
    char *column; /* source column name */
    char *format; /* strptime format or NULL */
    char *defval; /* text used when the column is absent or empty, or NULL */
};

struct gdx_batch {
    struct gdx_runtime *rt;
    uint64_t records; /* records produced in this attempt */
    uint64_t dead;    /* dead letters produced */
    uint64_t bytes;   /* value bytes produced */
    int64_t started_ms;
    int64_t commit_ms; /* time batch_commit() took: the commit latency metric */
    char *offset;      /* end position (JSON), malloc'd, NULL if unchanged */
    size_t offset_cap; /* bytes allocated at offset (set per row: reused, not reallocated) */
    int open;          /* the batch has rows or a position to commit */
    int txn;           /* its transaction is open (at least once: its produce started); before
                        * that, while the batch before is being committed, its messages wait in
                        * the runtime's stash */
    int full;
    int error; /* a produce failed synchronously, or the batch before failed */
    struct gdx_audit_ranges *ranges; /* Kafka offsets of its records, for the audit event */
    json_t *dead_reasons;            /* "stage:field" -> count */
    size_t mirror_sent;              /* audit lines carried by its transaction */
    char id[48];                     /* attempt id: header gdx.batch */
    char first_pos[160];             /* source coordinates of the first row */
    char last_pos[160];
    const char *operator_action; /* "set" or "reset" when an operator wrote the position */
    /* the last row added became a dead letter: gdx_batch_last_dead() */
    int last_dead;
    char last_stage[16], last_field[128], last_reason[512];
};

struct gdx_ctx {
    struct gdx_runtime *rt;
};

/* A message of a batch whose transaction cannot begin yet: key and value in the stash's
 * buffer, headers ready for rd_kafka_producev. */
struct rt_msg {
    int dlq; /* the dead letter topic, else the data topic */
    size_t koff, klen, voff, vlen;
    int has_key;
    rd_kafka_headers_t *hdrs;
};

struct rt_stash {
    struct rt_msg *msgs;
    size_t n, cap;
    unsigned char *buf;
    size_t len, size;
};

/*
 * A row (or a position without a row) queued for the encode worker: the mapped columns'
 * values, in map order, and everything else gdx_batch_add reads of the row, copied, since the
 * connector's row is borrowed for the call only.
 */
enum { RT_ITEM_ROW, RT_ITEM_OFFSET };

struct rt_item {
    int kind;
    char *buf; /* owns every string below */
    size_t cap;
    const char **values; /* per map */
    size_t *lens;
    int *idx; /* per map: its own index, or -1 when the row lacks the column */
    size_t nmaps;
    const char *pos, *raw, *error, *error_field, *offset;
    size_t raw_len;
    int utf8_valid;
};

#define RT_QUEUE       256        /* rows between the connector and the encode worker */
#define RT_QUEUE_BYTES (4 << 20)  /* and bytes of them: wide rows queue fewer */
#define RT_ITEM_KEEP   (64 << 10) /* a slot keeps a buffer up to this size between rows */
#define RT_WAKE        32         /* a sleeping worker is woken for this many rows (or a drain) */

struct rt_worker {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more, room, idle;
    struct rt_item items[RT_QUEUE];
    size_t head, tail; /* items [tail, head) are queued */
    size_t qbytes;     /* their buffers' bytes */
    int busy;          /* the worker holds an item */
    int sleeping;      /* the worker waits for rows */
    int waiting;       /* the connector waits for room (or for the queue to drain) */
    int quit;
    /* the batch as the worker sees it, for the connector's side (gdx_batch_add's answer) */
    atomic_int error;
    atomic_uint_least64_t bytes;
    uint64_t queued; /* rows queued in this batch (main thread only) */
};

struct gdx_runtime {
    /* config */
    struct gdx_node *root;
    char *path, *dir;
    char config_sm3[65];
    size_t hdr_len[4];          /* lengths of gdx.unit, .system, .connector, .config */
    const char *protect_header; /* gdx_policy_header(), once */
    size_t protect_header_len;
    char *id, *unit, *system, *kind;
    struct gdx_kafka_conf kafka;
    char *topic, *dlq_topic, *offsets_topic;
    char *schema_path;
    char *key_field;
    int exactly_once;
    int64_t batch_max_records, batch_max_bytes, batch_max_ms;
    int64_t record_max_bytes, inflight_max_bytes, poll_interval_ms, grace_ms;
    char *state_dir;
    struct rt_map *maps;
    size_t nmaps;
    const struct rt_map *key_map;
    char *keybuf;
    size_t keybuf_size;
    char *rawbuf; /* a row's raw JSON, made from its values (gdx_row.raw_is_values) */
    size_t rawbuf_cap;

    /* connector */
    const struct gdx_connector *conn;
    void *inst;
    int inst_inited;
    struct gdx_ctx ctx;

    /* schema, protection and encoding */
    struct gdx_schema *schema;
    struct gdx_policy *policy;
    struct gdx_encoder *enc;
    uint8_t frame[GDX_SOE_HEADER_LEN];
    size_t frame_len;
    char *registry_url, *registry_auth, *registry_ca, *wire_format;
    struct gdx_tls registry_tls; /* the deployment's tls, schema.registry.ssl.ca.location over it */
    struct gdx_tls deploy_tls;   /* the deployment's tls alone: gdx_ctx_tls_curl() */
    struct gdx_registry *registry;
    unsigned char *valbuf;
    size_t valbuf_size;

    /* the encode worker (encode.thread): rows queued by gdx_batch_add, in order */
    int encode_thread; /* 1, 0, or -1: auto */
    struct rt_worker *worker;

    /* column lookup cache: keyed by the row's names array */
    const char *const *cache_names;
    size_t cache_nfields;
    uint64_t cache_gen; /* the names_gen the lookup was made for (0: none) */
    int *cache_idx;     /* per map: column index or -1 */
    char *cache_copy;   /* the names the lookup was made for, NUL-separated */
    size_t cache_copy_len, cache_copy_cap;

    /* kafka */
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq; /* rk's main queue, which writes to wake_fd[1] when it fills */
    int wake_fd[2];          /* a non-blocking pipe that an idle nap sleeps on */
    rd_kafka_t *consumer;    /* only while a position is read (see position_read) */
    rd_kafka_topic_t *rkt, *rkt_dlq, *rkt_off;
    int32_t offsets_partition;
    int kafka_down; /* an outage is being reported */
    int64_t kafka_down_since;

    /* delivery reports of the current attempt */
    uint64_t gen;
    uint64_t dr_ok, dr_failed;
    unsigned produced_unpolled; /* messages produced since the last rd_kafka_poll */
    rd_kafka_resp_err_t dr_err;
    int fatal;

    /* state: the batch being filled and the batch being committed (by commit_main on its
     * own thread, while the next one is read, mapped, protected and encoded) */
    struct gdx_batch slots[2];
    struct gdx_batch *cur, *closing;
    struct gdx_batch *kb; /* the batch whose messages librdkafka holds (dr_cb) */
    struct rt_stash stash;
    pthread_t commit_thread;
    int commit_running; /* commit_main started on closing and not joined */
    int commit_pending; /* joined; its result not yet acted on */
    atomic_int commit_done;
    int commit_err;
    char commit_errstr[512];
    int offsets_after_delivery; /* 1, 0, or -1: decided by the cluster (producer_up) */
    char *committed;            /* last committed position as read or written, NULL = start */
    int reposition;
    const volatile int *stop;
    int lock_fd;
    uint64_t batch_seq;
    char batch_prefix[24];

    /* audit trail */
    struct gdx_audit_conf auditc;
    struct gdx_audit *audit;
    char **mirror_q; /* audit lines waiting to be mirrored to _gdx.audit */
    size_t mirror_n, mirror_cap;
    rd_kafka_topic_t *rkt_audit;
    char *committed_batch; /* batch id of the committed offset record */
    json_t *committed_doc; /* the committed offset record */

    /* counters */
    uint64_t total_records, total_dead, total_batches, total_aborts;
    double source_lag_s;         /* gdx_ctx_set_lag(); -1 unknown */
    struct gdx_metrics *metrics; /* reports to a supervisor (gdx_metrics.h), NULL when none */
    int64_t started_ms, last_progress_ms;
    uint64_t progress_records;
    char extracted_at[32];
    int64_t extracted_ms;
    char conn_header[200];
};

static int stopping(const struct gdx_runtime *rt)
{
    return rt->stop && *rt->stop;
}

/*
 * Sleep up to @p ms, waking early on a stop request. An idle connector spends its life here,
 * so the sleep is one poll(2) on the pipe that librdkafka's main queue writes to when an
 * event arrives (a delivery report, an error): it costs no wake-up until there is something
 * to serve, and a SIGTERM, which librdkafka's threads block, interrupts it at once (EINTR).
 * The slice bounds what a stop request delivered to another thread of the process waits.
 */
#define RT_NAP_SLICE_MS 1000
static void nap(struct gdx_runtime *rt, int64_t ms)
{
    int64_t end = gdx_mono_ms() + ms;
    while (!stopping(rt)) {
        int64_t left = end - gdx_mono_ms();
        if (left <= 0) {
            break;
        }
        if (left > RT_NAP_SLICE_MS) {
            left = RT_NAP_SLICE_MS;
        }
        if (rt->rk && rt->mainq) {
            struct pollfd pfd = {rt->wake_fd[0], POLLIN, 0};
            rd_kafka_poll(rt->rk, 0);
            if (poll(&pfd, 1, (int)left) > 0) {
                char drain[64];
                while (read(rt->wake_fd[0], drain, sizeof(drain)) > 0) {
                }
            }
        } else if (rt->rk) {
            rd_kafka_poll(rt->rk, (int)(left < 100 ? left : 100));
        } else {
            struct timespec ts = {left / 1000, (left % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (rt->rk) {
        rd_kafka_poll(rt->rk, 0);
    }
}

/* ---------------------------------------------------------------------------------------
 * Connector-facing context
 */

void gdx_ctx_log(struct gdx_ctx *ctx, int level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    (void)ctx;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gdx_log(level, msg, NULL);
}

const char *gdx_ctx_connector_id(const struct gdx_ctx *ctx)
{
    return ctx->rt->id;
}

const char *gdx_ctx_config_dir(const struct gdx_ctx *ctx)
{
    return ctx->rt->dir;
}

const char *gdx_ctx_state_dir(const struct gdx_ctx *ctx)
{
    return ctx->rt->state_dir;
}

int gdx_ctx_stopping(const struct gdx_ctx *ctx)
{
    return stopping(ctx->rt);
}

int gdx_ctx_tls_curl(struct gdx_ctx *ctx, void *curl, const struct gdx_ctx_tls *own, char *errstr,
                     size_t errstr_size)
{
    struct gdx_tls tls, mine;
    int err;

    memset(&tls, 0, sizeof(tls));
    memset(&mine, 0, sizeof(mine));
    gdx_tls_merge(&tls, &ctx->rt->deploy_tls);
    if (own) {
        /* the connector's keys override the host's (gdx_tls_merge copies) */
        mine.ca_file = (char *)(uintptr_t)own->ca_file;
        mine.ca_path = (char *)(uintptr_t)own->ca_path;
        mine.cert_file = (char *)(uintptr_t)own->cert_file;
        mine.key_file = (char *)(uintptr_t)own->key_file;
        mine.key_password = (char *)(uintptr_t)own->key_password;
        gdx_tls_merge(&tls, &mine);
    }
    err = gdx_tls_curl(&tls, curl, errstr, errstr_size);
    gdx_tls_release(&tls);
    return err;
}

int gdx_ctx_tls_explain(struct gdx_ctx *ctx, void *curl, int curl_code, const char *curlerr,
                        const struct gdx_ctx_tls *own, const char *url, char *errstr,
                        size_t errstr_size)
{
    struct gdx_tls tls;
    int err;

    memset(&tls, 0, sizeof(tls));
    gdx_tls_merge(&tls, &ctx->rt->deploy_tls);
    if (own && own->ca_file) {
        free(tls.ca_file);
        tls.ca_file = gdx_xstrdup(own->ca_file);
    }
    if (own && own->ca_path) {
        free(tls.ca_path);
        tls.ca_path = gdx_xstrdup(own->ca_path);
    }
    err = gdx_tls_curl_explain(curl, (CURLcode)curl_code, curlerr, &tls, url, errstr, errstr_size);
    gdx_tls_release(&tls);
    return err;
}

void gdx_ctx_set_lag(struct gdx_ctx *ctx, double seconds)
{
    ctx->rt->source_lag_s = seconds;
    gdx_metrics_lag(ctx->rt->metrics, seconds);
}

void gdx_ctx_progress(struct gdx_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
    static int64_t last;
    int64_t now = gdx_mono_ms();
    if (now - last < 5000 && done < total) {
        return;
    }
    last = now;
    gdx_log(GDX_LOG_INFO, "progress", " what=%s done=%" PRIu64 " total=%" PRIu64, what, done,
            total);
    (void)ctx;
}

/* ---------------------------------------------------------------------------------------
 * Config
 */

static const char *const rt_top_keys[] = {
    "connector",
    "kafka",
    "topic",
    "schema",
    "key",
    "delivery",
    "batch",
    "fields",
    "source",
    "state.dir",
    "log.level",
    "record.max.bytes",
    "inflight.max.bytes",
    "dlq.topic",
    "offsets.topic",
    "poll.interval.ms",
    "shutdown.grace.ms",
    "offsets.after.delivery",
    "encode.thread",
    "protect",
    "keys",
    "schema.registry.url",
    "schema.registry.basic.auth.user.info",
    "schema.registry.ssl.ca.location",
    "wire.format",
    "audit",
    NULL,
};

static const struct gdx_runtime_doc rt_docs[] = {
    {"connector.id", NULL,
     "<unit>.<system> from the inventory, lowercase ASCII; unique in the city"},
    {"connector.kind", NULL, "connector kind: one of the compiled-in kinds (gdx connector spec)"},
    {"connector.unit", "from id", "owning unit id"},
    {"connector.system", "from id", "system id within the unit"},
    {"kafka.bootstrap.servers", NULL,
     "city Kafka bootstrap servers; any other librdkafka "
     "property may be set under kafka: too"},
    {"topic", NULL, "data topic, gov.<unit>.<system>.<record>"},
    {"schema", NULL, "path of the record's .avsc (relative to the config file)"},
    {"key", "none", "schema field whose source text is the Kafka key (business key)"},
    {"delivery", "exactly-once", "exactly-once (transactions) or at-least-once"},
    {"batch.max.records", "10000", "records per batch (one transaction)"},
    {"batch.max.bytes", "8MiB", "encoded bytes per batch"},
    {"batch.max.ms", "1s", "longest time a batch stays open"},
    {"schema.registry.url", "none",
     "schema registry (Confluent API); when set, values use the "
     "Confluent wire format and the schema is registered under "
     "<topic>-value"},
    {"schema.registry.basic.auth.user.info", "none", "user:password for the registry (secret)"},
    {"schema.registry.ssl.ca.location", "system", "CA file for an https registry"},
    {"wire.format", "confluent with a registry",
     "confluent or single-object (C3 01 + "
     "fingerprint, no registry needed)"},
    {"audit.dir", "none",
     "directory of the audit trail (hash-chained, SM2-sealed JSON Lines); "
     "without an audit section the connector runs with a warning"},
    {"audit.key.file", NULL, "SM2 private key (PEM, mode 0600) that signs checkpoints"},
    {"audit.key.id", "from the key", "key id named in checkpoints and the trust file"},
    {"audit.checkpoint.lines", "1000", "a signed checkpoint every N lines"},
    {"audit.checkpoint.secs", "60", "and at least every T seconds"},
    {"audit.retention.days", "183", "retention; less than 183 days is refused"},
    {"audit.topic", "_gdx.audit", "topic the audit lines are mirrored to"},
    {"protect.<field>", "keep",
     "keep, drop, mask, scrub, token or encrypt, or a map {action, "
     "format, validate}; every spi field must be listed"},
    {"keys.token.key.file", "none", "city-wide token key (or keys.token.key.env)"},
    {"keys.encrypt.key.file", "none",
     "department key for encrypt and for sealing dead letters "
     "(or keys.encrypt.key.env; keys.encrypt.old.key.files "
     "for rotation)"},
    {"fields.<field>", "same name",
     "source column of a schema field, or a map {column, format, "
     "default}"},
    {"source", NULL, "the connector kind's own keys (gdx connector spec KIND)"},
    {"state.dir", "$GDX_STATE_DIR or /var/lib/gdx", "where the per-host lock lives"},
    {"log.level", "info", "error, warn, info or debug"},
    {"record.max.bytes", "1MiB", "largest encoded record; larger rows become dead letters"},
    {"inflight.max.bytes", "64MiB", "cap on bytes waiting for Kafka; reading pauses at the cap"},
    {"dlq.topic", "_gdx.dlq.<connector id>", "dead letter topic"},
    {"offsets.topic", "_gdx.offsets", "where source positions are committed"},
    {"poll.interval.ms", "1s", "sleep between polls when the source is idle"},
    {"shutdown.grace.ms", "10s", "time to commit the open batch on SIGTERM before aborting it"},
    {"offsets.after.delivery", "auto",
     "exactly once: produce the offset record only after every record of the batch has its "
     "delivery report (one more round trip per transaction) rather than with the batch, the "
     "commit flushing both; needed where read_committed readers see open or aborted "
     "transactions, as on librdkafka's mock cluster (gdx broker); auto: true on the mock "
     "(known by its cluster id), false on a real cluster"},
    {"encode.thread", "auto",
     "map, protect, encode and produce rows on a thread of their own while the connector "
     "reads the next ones (rows keep their order); auto: when the host has 2 CPUs or more"},
    {NULL, NULL, NULL},
};

const struct gdx_runtime_doc *gdx_runtime_docs(void)
{
    return rt_docs;
}

void gdx_runtime_spec(FILE *out, const struct gdx_connector *conn)
{
    if (!conn) {
        fprintf(out, "Keys of every connector file:\n\n");
        for (const struct gdx_runtime_doc *d = rt_docs; d->key; d++) {
            fprintf(out, "  %-26s %s%s%s\n", d->key, d->doc, d->def ? "; default: " : "",
                    d->def ? d->def : " (required)");
        }
        return;
    }
    fprintf(out, "connector kind '%s': %s\n\nKeys of its 'source:' section:\n\n", conn->name,
            conn->description);
    for (const struct gdx_conf_prop *p = conn->props; p && p->name; p++) {
        static const char *const tn[] = {"string", "integer",  "boolean", "secret",
                                         "list",   "duration", "size"};
        fprintf(out, "  %s (%s%s%s)\n      %s\n", p->name, tn[p->type],
                p->defval ? ", default: " : ", required", p->defval ? p->defval : "", p->doc);
        if (p->choices) {
            fprintf(out, "      one of: %s\n", p->choices);
        }
    }
}

static int id_valid(const char *id)
{
    const char *dot = strchr(id, '.');
    if (!dot || dot == id || !dot[1]) {
        return 0;
    }
    for (const char *p = id; *p; p++) {
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '_' ||
              *p == '-')) {
            return 0;
        }
    }
    return 1;
}

static int conf_str(const struct gdx_node *root, const char *key, int required, char **out,
                    char *errstr, size_t errstr_size)
{
    const struct gdx_node *n = gdx_conf_get(root, key);
    const char *v;
    char where[256];
    if (!n) {
        if (required) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: missing required key '%s'",
                              gdx_conf_where(root, where, sizeof(where)), key);
        }
        return GDX_OK;
    }
    int err = gdx_conf_scalar(n, &v, errstr, errstr_size);
    if (err) {
        return err;
    }
    if (!*v && required) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: '%s' must not be empty",
                          gdx_conf_where(n, where, sizeof(where)), key);
    }
    free(*out);
    *out = gdx_xstrdup(v);
    return GDX_OK;
}

static int parse_fields(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    const struct gdx_node *fields = gdx_conf_get(rt->root, "fields");
    char where[256];

    rt->maps = gdx_xcalloc(rt->schema->nfields, sizeof(*rt->maps));
    rt->nmaps = rt->schema->nfields;
    for (size_t i = 0; i < rt->schema->nfields; i++) {
        rt->maps[i].field = &rt->schema->fields[i];
    }
    if (fields) {
        if (fields->type != GDX_NODE_MAP) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s: 'fields' must be a map of schema field to source column",
                              gdx_conf_where(fields, where, sizeof(where)));
        }
        for (size_t k = 0; k < fields->nkids; k++) {
            const struct gdx_node *n = fields->kids[k];
            const struct gdx_field *f = gdx_schema_field(rt->schema, n->key);
            struct rt_map *m;
            if (!f) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "%s:%d:%d: field '%s' is not in schema '%s'", n->file,
                                  n->key_line, n->key_col, n->key, rt->schema->fullname);
            }
            m = &rt->maps[f->index];
            if (n->type == GDX_NODE_SCALAR) {
                m->column = gdx_xstrdup(n->value);
                continue;
            }
            if (n->type != GDX_NODE_MAP) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "%s: field '%s' must map to a column name or to a map with "
                                  "'column', 'format' and 'default'",
                                  gdx_conf_where(n, where, sizeof(where)), n->key);
            }
            static const char *const allowed[] = {"column", "format", "default", NULL};
            int err = gdx_conf_only_keys(n, allowed, errstr, errstr_size);
            if (err || (err = conf_str(n, "column", 0, &m->column, errstr, errstr_size)) ||
                (err = conf_str(n, "format", 0, &m->format, errstr, errstr_size)) ||
                (err = conf_str(n, "default", 0, &m->defval, errstr, errstr_size))) {
                return err;
            }
        }
    }
    for (size_t i = 0; i < rt->nmaps; i++) {
        if (!rt->maps[i].column) {
            rt->maps[i].column = gdx_xstrdup(rt->maps[i].field->name);
        }
    }
    rt->cache_idx = gdx_xcalloc(rt->nmaps, sizeof(int));
    return GDX_OK;
}

static int parse_config(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    const struct gdx_node *root = rt->root, *n, *conn;
    char where[256];
    char *delivery = NULL, *loglevel = NULL;
    struct gdx_deploy *deploy = NULL;
    int err;

    if ((err = gdx_conf_only_keys(root, rt_top_keys, errstr, errstr_size))) {
        return err;
    }

    conn = gdx_conf_get(root, "connector");
    if (!conn || conn->type != GDX_NODE_MAP) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: missing required map 'connector' (id, kind)",
                          gdx_conf_where(conn ? conn : root, where, sizeof(where)));
    }
    static const char *const conn_keys[] = {"id", "kind", "unit", "system", NULL};
    if ((err = gdx_conf_only_keys(conn, conn_keys, errstr, errstr_size)) ||
        (err = conf_str(conn, "id", 1, &rt->id, errstr, errstr_size)) ||
        (err = conf_str(conn, "kind", 1, &rt->kind, errstr, errstr_size)) ||
        (err = conf_str(conn, "unit", 0, &rt->unit, errstr, errstr_size)) ||
        (err = conf_str(conn, "system", 0, &rt->system, errstr, errstr_size))) {
        return err;
    }
    if (!id_valid(rt->id)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: connector id '%s' must be <unit>.<system> in lowercase ASCII "
                          "(letters, digits, '_', '-')",
                          gdx_conf_where(gdx_conf_get(conn, "id"), where, sizeof(where)), rt->id);
    }
    if (!rt->unit) {
        rt->unit = strndup(rt->id, (size_t)(strchr(rt->id, '.') - rt->id));
    }
    if (!rt->system) {
        rt->system = gdx_xstrdup(strchr(rt->id, '.') + 1);
    }
    rt->conn = gdx_connector_find(rt->kind);
    if (!rt->conn) {
        char kinds[256] = "";
        for (size_t i = 0; gdx_connectors[i]; i++) {
            size_t l = strlen(kinds);
            snprintf(kinds + l, sizeof(kinds) - l, "%s%s", l ? ", " : "", gdx_connectors[i]->name);
        }
        return gdx_seterr(
            errstr, errstr_size, GDX_ERR_CONFIG, "%s: unknown connector kind '%s' (known: %s)",
            gdx_conf_where(gdx_conf_get(conn, "kind"), where, sizeof(where)), rt->kind, kinds);
    }

    /* the host's deployment file: what this file does not set comes from there */
    if ((err = gdx_deploy_load(&deploy, errstr, errstr_size))) {
        return err;
    }
    n = gdx_conf_get(root, "kafka");
    if ((err = gdx_kafka_conf_parse(n, &rt->kafka, errstr, errstr_size))) {
        goto out;
    }
    gdx_deploy_kafka_merge(deploy, &rt->kafka);
    if (!rt->kafka.bootstrap) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "%s: missing required key 'kafka.bootstrap.servers' (here or in the "
                         "deployment file)",
                         gdx_conf_where(n ? n : root, where, sizeof(where)));
        goto out;
    }
    if ((err = conf_str(root, "topic", 1, &rt->topic, errstr, errstr_size)) ||
        (err = conf_str(root, "schema", 1, &rt->schema_path, errstr, errstr_size)) ||
        (err = conf_str(root, "key", 0, &rt->key_field, errstr, errstr_size)) ||
        (err = conf_str(root, "delivery", 0, &delivery, errstr, errstr_size)) ||
        (err = conf_str(root, "dlq.topic", 0, &rt->dlq_topic, errstr, errstr_size)) ||
        (err = conf_str(root, "offsets.topic", 0, &rt->offsets_topic, errstr, errstr_size)) ||
        (err = conf_str(root, "state.dir", 0, &rt->state_dir, errstr, errstr_size)) ||
        (err = conf_str(root, "log.level", 0, &loglevel, errstr, errstr_size))) {
        goto out;
    }
    rt->exactly_once = 1;
    if (delivery) {
        if (!strcmp(delivery, "at-least-once")) {
            rt->exactly_once = 0;
        } else if (strcmp(delivery, "exactly-once")) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: delivery must be 'exactly-once' or 'at-least-once', not '%s'",
                             gdx_conf_where(gdx_conf_get(root, "delivery"), where, sizeof(where)),
                             delivery);
            goto out;
        }
    }
    if (loglevel) {
        int lvl = gdx_log_level_parse(loglevel);
        if (lvl < 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: log.level must be error, warn, info or debug",
                             gdx_conf_where(gdx_conf_get(root, "log.level"), where, sizeof(where)));
            goto out;
        }
        gdx_log_set_level(lvl);
    }

    /* batch bounds */
    rt->batch_max_records = 10000;
    rt->batch_max_bytes = 8 << 20;
    rt->batch_max_ms = 1000;
    n = gdx_conf_get(root, "batch");
    if (n) {
        static const char *const bkeys[] = {"max.records", "max.bytes", "max.ms", NULL};
        if (n->type != GDX_NODE_MAP) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: 'batch' must be a map",
                             gdx_conf_where(n, where, sizeof(where)));
            goto out;
        }
        const struct gdx_node *v;
        if ((err = gdx_conf_only_keys(n, bkeys, errstr, errstr_size)) ||
            ((v = gdx_conf_get(n, "max.records")) &&
             (err = gdx_conf_int(v, 1, 10000000, &rt->batch_max_records, errstr, errstr_size))) ||
            ((v = gdx_conf_get(n, "max.bytes")) &&
             (err = gdx_conf_size(v, &rt->batch_max_bytes, errstr, errstr_size))) ||
            ((v = gdx_conf_get(n, "max.ms")) &&
             (err = gdx_conf_duration(v, &rt->batch_max_ms, errstr, errstr_size)))) {
            goto out;
        }
    }
    rt->record_max_bytes = 1 << 20;
    rt->inflight_max_bytes = 64 << 20;
    rt->poll_interval_ms = 1000;
    rt->grace_ms = 10000;
    rt->encode_thread = -1;
    if ((n = gdx_conf_get(root, "encode.thread"))) {
        const char *v;
        if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
            goto out;
        }
        if (strcmp(v, "auto") &&
            (err = gdx_conf_bool(n, &rt->encode_thread, errstr, errstr_size))) {
            goto out;
        }
    }
    rt->offsets_after_delivery = -1;
    if ((n = gdx_conf_get(root, "offsets.after.delivery"))) {
        const char *v;
        if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
            goto out;
        }
        if (strcmp(v, "auto") &&
            (err = gdx_conf_bool(n, &rt->offsets_after_delivery, errstr, errstr_size))) {
            goto out;
        }
    }
    if (((n = gdx_conf_get(root, "record.max.bytes")) &&
         (err = gdx_conf_size(n, &rt->record_max_bytes, errstr, errstr_size))) ||
        ((n = gdx_conf_get(root, "inflight.max.bytes")) &&
         (err = gdx_conf_size(n, &rt->inflight_max_bytes, errstr, errstr_size))) ||
        ((n = gdx_conf_get(root, "poll.interval.ms")) &&
         (err = gdx_conf_duration(n, &rt->poll_interval_ms, errstr, errstr_size))) ||
        ((n = gdx_conf_get(root, "shutdown.grace.ms")) &&
         (err = gdx_conf_duration(n, &rt->grace_ms, errstr, errstr_size)))) {
        goto out;
    }
    if (rt->inflight_max_bytes < (1 << 20)) {
        err = gdx_seterr(
            errstr, errstr_size, GDX_ERR_CONFIG, "%s: inflight.max.bytes must be at least 1MiB",
            gdx_conf_where(gdx_conf_get(root, "inflight.max.bytes"), where, sizeof(where)));
        goto out;
    }
    if (!rt->dlq_topic && asprintf(&rt->dlq_topic, "_gdx.dlq.%s", rt->id) < 0) {
        abort();
    }
    if (!rt->offsets_topic) {
        rt->offsets_topic =
            gdx_xstrdup(deploy->offsets_topic ? deploy->offsets_topic : RT_OFFSETS_TOPIC);
    }
    {
        /* `_gdx.offsets.{unit}`: one offsets topic per unit, which only its principal may
         * write (Kafka ACLs cannot restrict the keys of a shared topic) */
        char *t = gdx_deploy_expand(rt->offsets_topic, rt->unit);
        free(rt->offsets_topic);
        rt->offsets_topic = t;
    }
    if (!rt->state_dir) {
        const char *e = getenv("GDX_STATE_DIR");
        rt->state_dir = gdx_xstrdup(e && *e ? e : "/var/lib/gdx");
    } else {
        char *p = gdx_path_join(rt->dir, rt->state_dir);
        free(rt->state_dir);
        rt->state_dir = p;
    }

    /* schema and mapping */
    {
        char *sp = gdx_path_join(rt->dir, rt->schema_path);
        char serr[512];
        rt->schema = gdx_schema_load(sp, serr, sizeof(serr));
        free(sp);
        if (!rt->schema) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                             gdx_conf_where(gdx_conf_get(root, "schema"), where, sizeof(where)),
                             serr);
            goto out;
        }
    }
    if ((err = parse_fields(rt, errstr, errstr_size))) {
        goto out;
    }
    if (rt->key_field) {
        const struct gdx_field *f = gdx_schema_field(rt->schema, rt->key_field);
        if (!f) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: key field '%s' is not in schema '%s'",
                             gdx_conf_where(gdx_conf_get(root, "key"), where, sizeof(where)),
                             rt->key_field, rt->schema->fullname);
            goto out;
        }
        rt->key_map = &rt->maps[f->index];
    }

    /* the connector's own section */
    rt->inst = gdx_xcalloc(1, rt->conn->inst_size);
    n = gdx_conf_get(root, "source");
    if (n && n->type != GDX_NODE_MAP) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: 'source' must be a map",
                         gdx_conf_where(n, where, sizeof(where)));
        goto out;
    }
    if ((err = gdx_conf_bind(n, "source", rt->conn->props, rt->inst,
                             gdx_conf_where(root, where, sizeof(where)), errstr, errstr_size))) {
        goto out;
    }
    /* registry and wire format */
    if ((err = conf_str(root, "schema.registry.url", 0, &rt->registry_url, errstr, errstr_size)) ||
        (err = conf_str(root, "schema.registry.basic.auth.user.info", 0, &rt->registry_auth, errstr,
                        errstr_size)) ||
        (err = conf_str(root, "schema.registry.ssl.ca.location", 0, &rt->registry_ca, errstr,
                        errstr_size)) ||
        (err = conf_str(root, "wire.format", 0, &rt->wire_format, errstr, errstr_size))) {
        goto out;
    }
    if (!rt->registry_url && deploy->registry_url) {
        rt->registry_url = gdx_xstrdup(deploy->registry_url);
        if (!rt->registry_auth && deploy->registry_auth) {
            rt->registry_auth = gdx_xstrdup(deploy->registry_auth);
        }
    }
    if (rt->registry_auth) {
        gdx_log_add_secret(rt->registry_auth);
    }
    rt->registry_tls.ca_file = gdx_xstrdup(rt->registry_ca);
    gdx_deploy_tls(deploy, &rt->registry_tls);
    gdx_deploy_tls(deploy, &rt->deploy_tls);
    if (!rt->wire_format) {
        rt->wire_format = gdx_xstrdup(rt->registry_url ? "confluent" : "single-object");
    }
    if (strcmp(rt->wire_format, "confluent") && strcmp(rt->wire_format, "single-object")) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "%s: wire.format must be 'confluent' or 'single-object', not '%s'",
                         gdx_conf_where(gdx_conf_get(root, "wire.format"), where, sizeof(where)),
                         rt->wire_format);
        goto out;
    }
    if (!strcmp(rt->wire_format, "confluent") && !rt->registry_url) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "%s: wire.format 'confluent' needs schema.registry.url",
                         gdx_conf_where(gdx_conf_get(root, "wire.format"), where, sizeof(where)));
        goto out;
    }

    /* audit trail */
    if ((err = gdx_audit_conf_parse(gdx_conf_get(root, "audit"), rt->dir, &rt->auditc, errstr,
                                    errstr_size))) {
        goto out;
    }

    /* field protection: every spi field must be stated, dead letters sealed */
    if ((err = gdx_policy_new(&rt->policy, rt->schema, gdx_conf_get(root, "protect"),
                              gdx_conf_get(root, "keys"), rt->dir, 1, errstr, errstr_size))) {
        if (strncmp(errstr, root->file, strlen(root->file)) != 0) {
            /* name the file when the section to add is missing altogether */
            char tmp[1024];
            snprintf(tmp, sizeof(tmp), "%s", errstr);
            snprintf(errstr, errstr_size, "%s: %s", rt->path, tmp);
        }
        goto out;
    }
    err = GDX_OK;
out:
    gdx_deploy_destroy(deploy);
    free(delivery);
    free(loglevel);
    return err;
}

int gdx_runtime_new(struct gdx_runtime **rtp, const char *path, char *errstr, size_t errstr_size)
{
    struct gdx_runtime *rt = gdx_xcalloc(1, sizeof(*rt));
    char *slash;
    int err;

    rt->source_lag_s = -1;

    *rtp = NULL;
    rt->lock_fd = -1;
    rt->wake_fd[0] = rt->wake_fd[1] = -1;
    rt->ctx.rt = rt;
    rt->cur = &rt->slots[0];
    rt->closing = &rt->slots[1];
    rt->slots[0].rt = rt->slots[1].rt = rt;
    rt->path = gdx_xstrdup(path);
    rt->dir = gdx_xstrdup(path);
    slash = strrchr(rt->dir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        free(rt->dir);
        rt->dir = gdx_xstrdup(".");
    }
    rt->root = gdx_conf_load(path, errstr, errstr_size);
    if (!rt->root) {
        gdx_runtime_destroy(rt);
        return GDX_ERR_CONFIG;
    }
    if ((err = gdx_conf_digest(path, rt->config_sm3, errstr, errstr_size)) ||
        (err = parse_config(rt, errstr, errstr_size))) {
        gdx_runtime_destroy(rt);
        return err == GDX_ERR_IO ? GDX_ERR_CONFIG : err;
    }
    gdx_log_set_component(rt->id);
    gdx_soe_header(rt->frame, rt->schema->fingerprint);
    rt->frame_len = GDX_SOE_HEADER_LEN; /* until the registry gives an id (run) */
    rt->enc = gdx_encoder_new(rt->schema, errstr, errstr_size);
    if (!rt->enc) {
        gdx_runtime_destroy(rt);
        return GDX_ERR_SCHEMA;
    }
    *rtp = rt;
    return GDX_OK;
}

const char *gdx_runtime_id(const struct gdx_runtime *rt)
{
    return rt->id;
}

static void kafka_close(struct gdx_runtime *rt);
static void position_reader_close(struct gdx_runtime *rt);

static void stash_clear(struct rt_stash *st)
{
    for (size_t i = 0; i < st->n; i++) {
        if (st->msgs[i].hdrs) {
            rd_kafka_headers_destroy(st->msgs[i].hdrs);
        }
    }
    st->n = st->len = 0;
}

void gdx_runtime_destroy(struct gdx_runtime *rt)
{
    if (!rt) {
        return;
    }
    kafka_close(rt);
    position_reader_close(rt);
    for (int i = 0; i < 2; i++) {
        if (rt->wake_fd[i] >= 0) {
            close(rt->wake_fd[i]);
        }
    }
    if (rt->conn && rt->inst) {
        if (rt->inst_inited) {
            rt->conn->fini(&rt->ctx, rt->inst);
        }
        gdx_conf_unbind(rt->conn->props, rt->inst);
    }
    free(rt->inst);
    for (size_t i = 0; i < rt->nmaps; i++) {
        free(rt->maps[i].column);
        free(rt->maps[i].format);
        free(rt->maps[i].defval);
    }
    free(rt->maps);
    free(rt->cache_idx);
    free(rt->cache_copy);
    gdx_encoder_destroy(rt->enc);
    gdx_policy_destroy(rt->policy);
    gdx_schema_destroy(rt->schema);
    gdx_kafka_conf_release(&rt->kafka);
    free(rt->valbuf);
    free(rt->keybuf);
    if (rt->rawbuf) {
        OPENSSL_cleanse(rt->rawbuf, rt->rawbuf_cap);
    }
    free(rt->rawbuf);
    for (int i = 0; i < 2; i++) {
        free(rt->slots[i].offset);
        gdx_audit_ranges_destroy(rt->slots[i].ranges);
        json_decref(rt->slots[i].dead_reasons);
    }
    stash_clear(&rt->stash);
    free(rt->stash.msgs);
    free(rt->stash.buf);
    free(rt->committed);
    if (rt->lock_fd >= 0) {
        /* never unlink the lock file: a copy that opened it a moment ago would lock an
         * orphaned inode while the next one creates and locks a new file */
        close(rt->lock_fd);
    }
    free(rt->id);
    free(rt->unit);
    free(rt->system);
    free(rt->kind);
    free(rt->topic);
    free(rt->dlq_topic);
    free(rt->offsets_topic);
    free(rt->schema_path);
    free(rt->key_field);
    free(rt->state_dir);
    gdx_registry_destroy(rt->registry);
    free(rt->registry_url);
    if (rt->registry_auth) {
        OPENSSL_cleanse(rt->registry_auth, strlen(rt->registry_auth));
    }
    free(rt->registry_auth);
    free(rt->registry_ca);
    gdx_tls_release(&rt->registry_tls);
    gdx_tls_release(&rt->deploy_tls);
    free(rt->wire_format);
    if (rt->audit) {
        char aerr[256];
        gdx_audit_close(rt->audit, aerr, sizeof(aerr));
    }
    gdx_audit_conf_release(&rt->auditc);
    for (size_t i = 0; i < rt->mirror_n; i++) {
        free(rt->mirror_q[i]);
    }
    free(rt->mirror_q);
    free(rt->committed_batch);
    json_decref(rt->committed_doc);
    gdx_metrics_destroy(rt->metrics);
    free(rt->path);
    free(rt->dir);
    gdx_conf_destroy(rt->root);
    free(rt);
}

/* ---------------------------------------------------------------------------------------
 * Per-host lock: a second copy of a connector on one host is refused at start. Across hosts
 * the cluster fences it by transactional.id.
 */

static int lock_take(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    char what[300];
    snprintf(what, sizeof(what), "connector '%s'", rt->id);
    return gdx_lock_take(rt->state_dir, rt->id, what, &rt->lock_fd, errstr, errstr_size);
}

/* ---------------------------------------------------------------------------------------
 * Kafka
 */

/* ---------------------------------------------------------------------------------------
 * Audit trail: events are fsynced in the connector's own log first; the lines are mirrored
 * to the audit topic inside the next transaction (a transactional producer cannot produce
 * outside one), and kept queued until a commit carried them.
 */

static void audit_mirror_cb(const char *line, size_t len, void *opaque)
{
    struct gdx_runtime *rt = opaque;
    if (rt->mirror_n == rt->mirror_cap) {
        rt->mirror_cap = rt->mirror_cap ? 2 * rt->mirror_cap : 16;
        rt->mirror_q = realloc(rt->mirror_q, rt->mirror_cap * sizeof(*rt->mirror_q));
        if (!rt->mirror_q) {
            abort();
        }
    }
    rt->mirror_q[rt->mirror_n] = strndup(line, len);
    if (!rt->mirror_q[rt->mirror_n]) {
        abort();
    }
    rt->mirror_n++;
}

/* The audit log cannot be written: fail closed. */
static int audit_failed(struct gdx_runtime *rt, const char *what, const char *aerr, char *errstr,
                        size_t errstr_size)
{
    return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                      "cannot write the audit trail in '%s' (%s): %s; stopping: no record is "
                      "produced without its evidence",
                      rt->auditc.dir, what, aerr);
}

static void audit_outage(struct gdx_runtime *rt, const char *state)
{
    char aerr[256];
    if (rt->audit && gdx_audit_outage(rt->audit, "kafka", state, 0, aerr, sizeof(aerr))) {
        gdx_log(GDX_LOG_ERROR, "cannot audit the outage", " reason=\"%s\"", aerr);
    }
}

/* Opening the trail may itself write lines (file_open, recovered_tail) before the mirror
 * is registered: queue those from the end of the current file. */
static void audit_mirror_opening(struct gdx_runtime *rt)
{
    uint64_t seq = gdx_audit_seq(rt->audit);
    FILE *f = fopen(gdx_audit_path(rt->audit), "r");
    char *line = NULL, *tail[3] = {NULL, NULL, NULL};
    size_t cap = 0;
    ssize_t n;
    if (!f) {
        return;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        free(tail[0]);
        tail[0] = tail[1];
        tail[1] = tail[2];
        tail[2] = strndup(line, (size_t)n - (line[n - 1] == '\n'));
    }
    free(line);
    fclose(f);
    for (int i = 0; i < 3; i++) {
        json_t *ev = tail[i] ? json_loads(tail[i], 0, NULL) : NULL;
        const char *type = json_string_value(json_object_get(ev, "type"));
        uint64_t s = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
        if (type && (!strcmp(type, "file_open") || !strcmp(type, "recovered_tail")) &&
            s + 2 >= seq) {
            audit_mirror_cb(tail[i], strlen(tail[i]), rt);
        }
        json_decref(ev);
        free(tail[i]);
    }
}

static int audit_open(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    char aerr[512];
    int err;

    if (!rt->auditc.dir || rt->audit) {
        return GDX_OK;
    }
    err = gdx_audit_conf_open(&rt->auditc, rt->id, &rt->audit, aerr, sizeof(aerr));
    if (err) {
        return gdx_seterr(errstr, errstr_size, err, "cannot open the audit trail in '%s': %s",
                          rt->auditc.dir, aerr);
    }
    gdx_audit_set_mirror(rt->audit, audit_mirror_cb, rt);
    rt->slots[0].ranges = gdx_audit_ranges_new();
    rt->slots[1].ranges = gdx_audit_ranges_new();
    audit_mirror_opening(rt);
    return GDX_OK;
}

/* Produce the queued audit lines inside the open transaction. */
static void audit_mirror_send(struct gdx_runtime *rt, struct gdx_batch *b)
{
    if (!rt->rkt_audit) {
        return;
    }
    for (size_t i = 0; i < rt->mirror_n; i++) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rt->rk, RD_KAFKA_V_RKT(rt->rkt_audit), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(rt->id, strlen(rt->id)),
            RD_KAFKA_V_VALUE(rt->mirror_q[i], strlen(rt->mirror_q[i])),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)rt->gen), RD_KAFKA_V_END);
        if (err) {
            break; /* stays queued: sent with a later batch */
        }
        b->mirror_sent = i + 1;
    }
}

/* The transaction of @p b, which carried the first mirror_sent lines, committed: drop them. */
static void audit_mirror_done(struct gdx_runtime *rt, struct gdx_batch *b)
{
    if (!b->mirror_sent) {
        return;
    }
    for (size_t i = 0; i < b->mirror_sent; i++) {
        free(rt->mirror_q[i]);
    }
    memmove(rt->mirror_q, rt->mirror_q + b->mirror_sent,
            (rt->mirror_n - b->mirror_sent) * sizeof(*rt->mirror_q));
    rt->mirror_n -= b->mirror_sent;
    b->mirror_sent = 0;
}

static void dead_reason(struct gdx_runtime *rt, const char *stage, const char *field)
{
    struct gdx_batch *b = rt->cur;
    char k[256];
    if (!rt->audit) {
        return;
    }
    if (!b->dead_reasons) {
        b->dead_reasons = json_object();
    }
    snprintf(k, sizeof(k), "%s:%s", stage, field ? field : "-");
    json_t *v = json_object_get(b->dead_reasons, k);
    json_object_set_new(b->dead_reasons, k, json_integer(v ? json_integer_value(v) + 1 : 1));
}

/* The committed batch's evidence: written and fsynced before the source hears of it. */
static int audit_batch(struct gdx_runtime *rt, struct gdx_batch *b, int recovered, char *errstr,
                       size_t errstr_size)
{
    struct gdx_audit_batch ab;
    char aerr[512];
    json_t *ranges = NULL;
    int err;

    if (!rt->audit) {
        return GDX_OK;
    }
    memset(&ab, 0, sizeof(ab));
    ab.connector = rt->id;
    ab.config = rt->config_sm3;
    ab.recovered = recovered;
    if (recovered) {
        json_t *d = rt->committed_doc;
        ab.batch = rt->committed_batch;
        ab.records = (uint64_t)json_integer_value(json_object_get(d, "records"));
        ab.dead = (uint64_t)json_integer_value(json_object_get(d, "dead"));
        ab.src_from = json_string_value(json_object_get(d, "src.from"));
        ab.src_to = json_string_value(json_object_get(d, "src.to"));
        ranges = json_array(); /* offsets of a batch committed before a crash are not known */
    } else {
        ab.batch = b->id;
        ab.records = b->records;
        ab.dead = b->dead;
        ab.src_from = b->first_pos;
        ab.src_to = b->last_pos;
        ranges = gdx_audit_ranges_json(b->ranges);
    }
    ab.ranges = ranges;
    err = gdx_audit_batch_committed(rt->audit, &ab, aerr, sizeof(aerr));
    json_decref(ranges);
    if (err) {
        return audit_failed(rt, "batch_committed", aerr, errstr, errstr_size);
    }
    if (!recovered && b->dead && b->dead_reasons &&
        gdx_audit_dead_letters(rt->audit, rt->id, b->id, b->dead, b->dead_reasons, aerr,
                               sizeof(aerr))) {
        return audit_failed(rt, "dead_letters", aerr, errstr, errstr_size);
    }
    if (!recovered && b->records && gdx_policy_header(rt->policy)[0]) {
        json_t *fields = json_object();
        for (size_t i = 0; i < rt->schema->nfields; i++) {
            const struct gdx_protect_rule *r = gdx_policy_rule(rt->policy, (int)i);
            if (r && r->action != GDX_PROTECT_KEEP) {
                json_object_set_new(fields, r->field,
                                    json_string(gdx_protect_action_name(r->action)));
            }
        }
        err = gdx_audit_policy_applied(rt->audit, rt->id, b->id, fields, aerr, sizeof(aerr));
        json_decref(fields);
        if (err) {
            return audit_failed(rt, "policy_applied", aerr, errstr, errstr_size);
        }
    }
    return GDX_OK;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct gdx_runtime *rt = opaque;
    (void)rk;
    if ((uint64_t)(uintptr_t)msg->_private != rt->gen) {
        return; /* a report from an attempt already given up */
    }
    if (msg->err) {
        rt->dr_failed++;
        if (!rt->dr_err) {
            rt->dr_err = msg->err;
        }
    } else {
        rt->dr_ok++;
        if (rt->kb && rt->kb->ranges && msg->rkt == rt->rkt) {
            char aerr[256];
            if (gdx_audit_ranges_add(rt->kb->ranges, rd_kafka_topic_name(msg->rkt), msg->partition,
                                     msg->offset, msg->payload, msg->len, aerr, sizeof(aerr))) {
                gdx_log(GDX_LOG_WARN, "audit range", " reason=\"%s\"", aerr);
            }
        }
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct gdx_runtime *rt = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, buf, sizeof(buf));
        gdx_log(GDX_LOG_ERROR, "kafka producer fatal error, recreating the producer",
                " error=%s reason=\"%s\"", rd_kafka_err2name(ferr), buf);
        rt->fatal = 1;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
        err == RD_KAFKA_RESP_ERR__RESOLVE) {
        if (!rt->kafka_down) {
            rt->kafka_down = 1;
            rt->kafka_down_since = gdx_mono_ms();
            gdx_log(GDX_LOG_WARN, "kafka unreachable, holding the batch and retrying", " error=%s",
                    rd_kafka_err2name(err));
            audit_outage(rt, "start");
        }
        return;
    }
    gdx_log(GDX_LOG_DEBUG, "kafka error", " error=%s reason=\"%s\"", rd_kafka_err2name(err),
            reason);
}

static void kafka_up(struct gdx_runtime *rt)
{
    if (rt->kafka_down) {
        gdx_log(GDX_LOG_INFO, "kafka reachable again", " outage_ms=%" PRId64,
                gdx_mono_ms() - rt->kafka_down_since);
        rt->kafka_down = 0;
        audit_outage(rt, "end");
    }
}

static void kafka_close(struct gdx_runtime *rt)
{
    if (rt->rkt) {
        rd_kafka_topic_destroy(rt->rkt);
    }
    if (rt->rkt_dlq) {
        rd_kafka_topic_destroy(rt->rkt_dlq);
    }
    if (rt->rkt_off) {
        rd_kafka_topic_destroy(rt->rkt_off);
    }
    if (rt->rkt_audit) {
        rd_kafka_topic_destroy(rt->rkt_audit);
    }
    rt->rkt = rt->rkt_dlq = rt->rkt_off = rt->rkt_audit = NULL;
    if (rt->mainq) {
        rd_kafka_queue_io_event_enable(rt->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(rt->mainq);
        rt->mainq = NULL;
    }
    if (rt->rk) {
        /* Outstanding messages belong to an attempt that is being given up or already
         * committed: purge instead of waiting, so close never hangs on a dead cluster. */
        rd_kafka_purge(rt->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(rt->rk, 1000);
        rd_kafka_destroy(rt->rk);
        rt->rk = NULL;
    }
}

static int kafka_open(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char rderr[512], buf[64], tid[300];
    int err;

    rd_kafka_conf_set_opaque(conf, rt);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    snprintf(buf, sizeof(buf), "%" PRId64, rt->inflight_max_bytes / 1024);
    snprintf(tid, sizeof(tid), "gdx-%s", rt->id);
    if ((err = gdx_kafka_set(conf, "client.id", tid, errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "enable.idempotence", "true", errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "acks", "all", errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "partitioner", "murmur2_random", errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "queue.buffering.max.kbytes", buf, errstr, errstr_size)) ||
        (err =
             gdx_kafka_set(conf, "queue.buffering.max.messages", "1000000", errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "linger.ms", "5", errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "message.timeout.ms", "300000", errstr, errstr_size)) ||
        (err = gdx_kafka_conf_apply(&rt->kafka, conf, errstr, errstr_size))) {
        rd_kafka_conf_destroy(conf);
        return err;
    }
    if (rt->exactly_once &&
        ((err = gdx_kafka_set(conf, "transactional.id", tid, errstr, errstr_size)) ||
         (err = gdx_kafka_set(conf, "transaction.timeout.ms", "300000", errstr, errstr_size)))) {
        rd_kafka_conf_destroy(conf);
        return err;
    }
    rt->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof(rderr));
    if (!rt->rk) {
        rd_kafka_conf_destroy(conf);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create producer: %s", rderr);
    }
    if (rt->wake_fd[0] < 0 && pipe2(rt->wake_fd, O_NONBLOCK | O_CLOEXEC)) {
        rt->wake_fd[0] = rt->wake_fd[1] = -1; /* nap() then polls in slices */
    }
    if (rt->wake_fd[1] >= 0) {
        rt->mainq = rd_kafka_queue_get_main(rt->rk);
        rd_kafka_queue_io_event_enable(rt->mainq, rt->wake_fd[1], "1", 1);
    }
    rt->rkt = rd_kafka_topic_new(rt->rk, rt->topic, NULL);
    rt->rkt_dlq = rd_kafka_topic_new(rt->rk, rt->dlq_topic, NULL);
    rt->rkt_off = rd_kafka_topic_new(rt->rk, rt->offsets_topic, NULL);
    if (rt->auditc.topic) {
        rt->rkt_audit = rd_kafka_topic_new(rt->rk, rt->auditc.topic, NULL);
    }
    rt->fatal = 0;
    return GDX_OK;
}

static int txn_error(struct gdx_runtime *rt, const char *what, rd_kafka_error_t *error)
{
    (void)rt;
    return gdx_kafka_txn_error(what, error);
}

/* Bring a producer up: create it and, exactly once, init transactions; retries with
 * backoff while the cluster is unreachable. */
static int producer_up(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    int64_t backoff = 500;
    int err;
    for (;;) {
        if (!rt->rk && (err = kafka_open(rt, errstr, errstr_size))) {
            return err;
        }
        if (!rt->exactly_once) {
            return GDX_OK;
        }
        /* one second at a time so that a stop request is seen; a timed-out call is
         * resumed by calling again */
        int64_t give_up = gdx_mono_ms() + RT_KAFKA_TIMEOUT;
        rd_kafka_error_t *error;
        while ((error = rd_kafka_init_transactions(rt->rk, 1000)) &&
               rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__TIMED_OUT &&
               rd_kafka_error_is_retriable(error) && !stopping(rt) && gdx_mono_ms() < give_up) {
            rd_kafka_error_destroy(error);
        }
        if (!error) {
            kafka_up(rt);
            return GDX_OK;
        }
        if (stopping(rt)) {
            rd_kafka_error_destroy(error);
            return GDX_ERR_STOPPED;
        }
        err = txn_error(rt, "cannot initialise transactions", error);
        if (err != GDX_ERR_RETRY) {
            kafka_close(rt);
        }
        if (stopping(rt)) {
            return GDX_ERR_STOPPED;
        }
        nap(rt, backoff);
        backoff = backoff * 2 > RT_BACKOFF_MAX_MS ? RT_BACKOFF_MAX_MS : backoff * 2;
    }
}

/* The consumer of the offsets topic lives only while a position is read: between reads
 * (at the start and after an aborted attempt) it would hold a librdkafka instance, its six
 * threads and their timers for nothing. */
static void position_reader_close(struct gdx_runtime *rt)
{
    if (rt->consumer) {
        rd_kafka_consumer_close(rt->consumer);
        rd_kafka_destroy(rt->consumer);
        rt->consumer = NULL;
    }
}

/* Read the committed position from the offsets topic, retrying while Kafka is away. */
static int position_read(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    int64_t backoff = 500;
    for (;;) {
        char *value = NULL;
        int err;
        if (!rt->consumer) {
            char cid[300];
            snprintf(cid, sizeof(cid), "gdx-%s-offsets", rt->id);
            rt->consumer = gdx_kafka_consumer_new(&rt->kafka, cid, errstr, errstr_size);
            if (!rt->consumer) {
                return GDX_ERR_CONFIG;
            }
        }
        err = gdx_kafka_read_last(rt->consumer, rt->offsets_topic, rt->id, RT_KAFKA_TIMEOUT, &value,
                                  NULL, errstr, errstr_size);
        if (err == GDX_OK) {
            json_error_t jerr;
            json_t *doc = NULL, *off;
            free(rt->committed);
            rt->committed = NULL;
            if (value) {
                doc = json_loads(value, 0, &jerr);
                off = doc ? json_object_get(doc, "offset") : NULL;
                if (!off) {
                    gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                               "offset record of '%s' in '%s' is not valid: %s", rt->id,
                               rt->offsets_topic, doc ? "no 'offset' member" : jerr.text);
                    json_decref(doc);
                    free(value);
                    return GDX_ERR_PARSE;
                }
                if (!json_is_null(off)) {
                    rt->committed = json_dumps(off, JSON_COMPACT | JSON_ENCODE_ANY);
                }
                free(rt->committed_batch);
                rt->committed_batch =
                    json_is_string(json_object_get(doc, "batch"))
                        ? gdx_xstrdup(json_string_value(json_object_get(doc, "batch")))
                        : NULL;
                json_decref(rt->committed_doc);
                rt->committed_doc = doc;
                doc = NULL;
            } else {
                free(rt->committed_batch);
                rt->committed_batch = NULL;
                json_decref(rt->committed_doc);
                rt->committed_doc = NULL;
            }
            free(value);
            position_reader_close(rt);
            kafka_up(rt);
            rt->reposition = 1;
            return GDX_OK;
        }
        if (err != GDX_ERR_RETRY && err != GDX_ERR_NOENT) {
            return err;
        }
        if (!rt->kafka_down) {
            rt->kafka_down = 1;
            rt->kafka_down_since = gdx_mono_ms();
            gdx_log(GDX_LOG_WARN, "cannot read the committed position, retrying", " reason=\"%s\"",
                    errstr);
            audit_outage(rt, "start");
        }
        if (stopping(rt)) {
            return GDX_ERR_STOPPED;
        }
        nap(rt, backoff);
        backoff = backoff * 2 > RT_BACKOFF_MAX_MS ? RT_BACKOFF_MAX_MS : backoff * 2;
    }
}

/* ---------------------------------------------------------------------------------------
 * Batches
 */

static void batch_new_id(struct gdx_runtime *rt)
{
    if (!rt->batch_prefix[0]) {
        unsigned char r[6];
        if (RAND_bytes(r, sizeof(r)) != 1) {
            memset(r, 0, sizeof(r));
        }
        snprintf(rt->batch_prefix, sizeof(rt->batch_prefix), "%02x%02x%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3], r[4], r[5]);
    }
    snprintf(rt->cur->id, sizeof(rt->cur->id), "%s-%" PRIu64, rt->batch_prefix, ++rt->batch_seq);
}

static int produce(struct gdx_runtime *rt, struct gdx_batch *b, rd_kafka_topic_t *rkt,
                   int32_t partition, const void *key, size_t keylen, const void *val, size_t vlen,
                   rd_kafka_headers_t *hdrs);
static void commit_join(struct gdx_runtime *rt);

/* The batch before is still being committed on its own thread. */
static int commit_busy(struct gdx_runtime *rt)
{
    return rt->commit_running && !atomic_load(&rt->commit_done);
}

/*
 * Begin the transaction of the current batch (at least once: let its messages go) once the
 * batch before is committed, and hand librdkafka the messages stashed meanwhile. A batch
 * whose predecessor failed is failing too: it is re-read from the committed position.
 */
static int batch_start(struct gdx_runtime *rt)
{
    struct gdx_batch *b = rt->cur;
    struct rt_stash *st = &rt->stash;
    commit_join(rt);
    if ((rt->commit_pending && rt->commit_err) || !rt->rk || rt->fatal) {
        b->error = 1;
        return GDX_ERR_FAIL;
    }
    if (rt->exactly_once) {
        rd_kafka_error_t *error = rd_kafka_begin_transaction(rt->rk);
        if (error) {
            int err = txn_error(rt, "cannot begin transaction", error);
            b->error = 1;
            return err;
        }
    }
    /* reports of earlier attempts no longer count */
    rt->gen++;
    rt->dr_ok = rt->dr_failed = 0;
    rt->dr_err = 0;
    rt->kb = b;
    b->txn = 1;
    audit_mirror_send(rt, b);
    for (size_t i = 0; i < st->n && !b->error; i++) {
        struct rt_msg *m = &st->msgs[i];
        rd_kafka_headers_t *h = m->hdrs;
        m->hdrs = NULL;
        produce(rt, b, m->dlq ? rt->rkt_dlq : rt->rkt, RD_KAFKA_PARTITION_UA,
                m->has_key ? st->buf + m->koff : NULL, m->klen, st->buf + m->voff, m->vlen, h);
    }
    stash_clear(st);
    return b->error ? GDX_ERR_FAIL : GDX_OK;
}

/* Open the batch (lazily, at its first record or position). */
static int batch_open(struct gdx_runtime *rt)
{
    struct gdx_batch *b = rt->cur;
    if (b->error) {
        return GDX_ERR_FAIL;
    }
    b->open = 1;
    if (b->txn || commit_busy(rt)) {
        return GDX_OK; /* open, or stashing until the batch before is committed */
    }
    return batch_start(rt);
}

static void worker_reset(struct gdx_runtime *rt);

static void batch_reset(struct gdx_runtime *rt)
{
    struct gdx_batch *b = rt->cur;
    struct gdx_audit_ranges *ranges = b->ranges;
    json_t *dead_reasons = b->dead_reasons;
    free(b->offset);
    memset(b, 0, sizeof(*b));
    b->rt = rt;
    b->started_ms = gdx_mono_ms();
    b->ranges = ranges;
    b->dead_reasons = dead_reasons;
    if (ranges) {
        gdx_audit_ranges_reset(ranges);
    }
    if (dead_reasons) {
        json_object_clear(dead_reasons);
    }
    stash_clear(&rt->stash);
    batch_new_id(rt);
    worker_reset(rt);
}

/* Keep a message of a batch that cannot begin yet. Takes ownership of @p hdrs. */
static void stash_add(struct rt_stash *st, int dlq, const void *key, size_t keylen, const void *val,
                      size_t vlen, rd_kafka_headers_t *hdrs)
{
    struct rt_msg *m;
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 1024;
        st->msgs = gdx_xrealloc(st->msgs, st->cap * sizeof(*st->msgs));
    }
    if (st->len + keylen + vlen > st->size) {
        size_t size = st->size ? st->size : 1 << 20;
        while (size < st->len + keylen + vlen) {
            size *= 2;
        }
        st->buf = gdx_xrealloc(st->buf, size);
        st->size = size;
    }
    m = &st->msgs[st->n++];
    m->dlq = dlq;
    m->has_key = key != NULL;
    m->koff = st->len;
    m->klen = keylen;
    if (keylen) {
        memcpy(st->buf + st->len, key, keylen);
    }
    st->len += keylen;
    m->voff = st->len;
    m->vlen = vlen;
    if (vlen) {
        memcpy(st->buf + st->len, val, vlen);
    }
    st->len += vlen;
    m->hdrs = hdrs;
}

static void update_extracted_at(struct gdx_runtime *rt)
{
    int64_t now = gdx_now_ms();
    if (now != rt->extracted_ms) {
        rt->extracted_ms = now;
        gdx_time_format_ms(now, rt->extracted_at);
    }
}

/*
 * Delivery reports are served on the producing thread while it produces, every
 * RT_POLL_EVERY messages: librdkafka frees a message and its headers in the report's
 * callback, and glibc recycles a chunk cheaply only on the thread that allocated it (its
 * per-thread cache). Left to the committer, every header was allocated on one thread and
 * freed on another.
 */
#define RT_POLL_EVERY 64

/* Produce one message of batch @p b with backpressure: a full queue blocks (the source
 * pauses) rather than growing memory; before the batch can begin, the message is stashed.
 * Takes ownership of @p hdrs. */
static int produce(struct gdx_runtime *rt, struct gdx_batch *b, rd_kafka_topic_t *rkt,
                   int32_t partition, const void *key, size_t keylen, const void *val, size_t vlen,
                   rd_kafka_headers_t *hdrs)
{
    if (!b->txn) {
        stash_add(&rt->stash, rkt == rt->rkt_dlq, key, keylen, val, vlen, hdrs);
        return GDX_OK;
    }
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rt->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, keylen),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)val, vlen), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)rt->gen), RD_KAFKA_V_END);
        if (!err) {
            if (++rt->produced_unpolled == RT_POLL_EVERY) {
                rt->produced_unpolled = 0;
                rd_kafka_poll(rt->rk, 0);
            }
            return GDX_OK;
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !rt->fatal) {
            rd_kafka_poll(rt->rk, 50);
            continue;
        }
        rd_kafka_headers_destroy(hdrs);
        gdx_log(GDX_LOG_ERROR, "cannot produce", " topic=%s error=%s", rd_kafka_topic_name(rkt),
                rd_kafka_err2name(err));
        b->error = 1;
        return err == RD_KAFKA_RESP_ERR__FATAL ? GDX_ERR_FATAL : GDX_ERR_KAFKA;
    }
}

#define HDR(h, name, val, len)                                                                     \
    rd_kafka_header_add((h), name, sizeof(name) - 1, (val), (ssize_t)(len))

/* The lineage headers of every record; the lengths of the constant ones are taken once. */
static rd_kafka_headers_t *lineage_headers(struct gdx_runtime *rt, const char *pos)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(10);
    if (!rt->conn_header[0]) {
        snprintf(rt->conn_header, sizeof(rt->conn_header), "%s@%s", rt->id, GDX_VERSION);
        rt->hdr_len[0] = strlen(rt->unit);
        rt->hdr_len[1] = strlen(rt->system);
        rt->hdr_len[2] = strlen(rt->conn_header);
        rt->hdr_len[3] = strlen(rt->config_sm3);
    }
    update_extracted_at(rt);
    HDR(h, "gdx.unit", rt->unit, rt->hdr_len[0]);
    HDR(h, "gdx.system", rt->system, rt->hdr_len[1]);
    HDR(h, "gdx.connector", rt->conn_header, rt->hdr_len[2]);
    HDR(h, "gdx.config", rt->config_sm3, rt->hdr_len[3]);
    HDR(h, "gdx.src.pos", pos ? pos : "", pos ? strlen(pos) : 0);
    HDR(h, "gdx.extracted.at", rt->extracted_at, strlen(rt->extracted_at));
    HDR(h, "gdx.batch", rt->cur->id, strlen(rt->cur->id));
    return h;
}

static const char *level_name(enum gdx_level l)
{
    return l == GDX_LEVEL_CORE ? "core" : l == GDX_LEVEL_IMPORTANT ? "important" : "general";
}

/* A JSON string of @p s at @p *len of rt->rawbuf: '"' and '\\' escaped, control characters
 * and DEL as \u00XX, everything else as it is. */
static void raw_quote(struct gdx_runtime *rt, size_t *len, const char *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    if (*len + n * 6 + 3 > rt->rawbuf_cap) {
        rt->rawbuf_cap = (*len + n * 6 + 3) * 2;
        rt->rawbuf = gdx_xrealloc(rt->rawbuf, rt->rawbuf_cap);
    }
    char *o = rt->rawbuf + *len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hexd[ch >> 4];
            *o++ = hexd[ch & 15];
        } else {
            *o++ = (char)ch;
        }
    }
    *o++ = '"';
    *len = (size_t)(o - rt->rawbuf);
}

static void raw_cat(struct gdx_runtime *rt, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > rt->rawbuf_cap) {
        rt->rawbuf_cap = (*len + n + 1) * 2;
        rt->rawbuf = gdx_xrealloc(rt->rawbuf, rt->rawbuf_cap);
    }
    memcpy(rt->rawbuf + *len, s, n);
    *len += n;
    rt->rawbuf[*len] = '\0';
}

/* The raw row of a row that gives its names and values instead (gdx_row.raw_is_values), in
 * rt->rawbuf: made only for a dead letter, or for the encode worker's copy of the row. */
static const char *raw_of_values(struct gdx_runtime *rt, const struct gdx_row *row, size_t *out)
{
    size_t len = 0;
    raw_cat(rt, &len, "{", 1);
    for (size_t i = 0; row->names && i < row->nfields; i++) {
        const char *name = row->names[i] ? row->names[i] : "";
        if (i) {
            raw_cat(rt, &len, ",", 1);
        }
        raw_quote(rt, &len, name, strlen(name));
        raw_cat(rt, &len, ":", 1);
        if (!row->values[i]) {
            raw_cat(rt, &len, "null", 4);
        } else {
            raw_quote(rt, &len, row->values[i], row->lens[i]);
        }
    }
    raw_cat(rt, &len, "}", 1);
    *out = len;
    return rt->rawbuf;
}

/* Send a row to the dead letter topic with its context, inside the open batch. */
static int dead_letter(struct gdx_runtime *rt, const struct gdx_row *row, const char *stage,
                       const char *reason, const char *field)
{
    rd_kafka_headers_t *h = lineage_headers(rt, row->pos);
    const char *raw = row->raw ? row->raw : "";
    size_t rawlen = row->raw ? row->raw_len : 0;
    if (!row->raw && row->raw_is_values) {
        raw = raw_of_values(rt, row, &rawlen);
    }
    char *sealed = NULL;
    int err;

    /* the raw row of a schema with personal data never rests in the DLQ in clear */
    if (gdx_policy_seals_dead_letters(rt->policy) && rawlen) {
        char serr[256];
        if (gdx_policy_seal(rt->policy, raw, rawlen, &sealed, serr, sizeof(serr))) {
            gdx_log(GDX_LOG_ERROR, "cannot seal a dead letter, its raw row is left out",
                    " pos=%s reason=\"%s\"", row->pos ? row->pos : "-", serr);
            raw = "";
            rawlen = 0;
        } else {
            raw = sealed;
            rawlen = strlen(sealed);
            rd_kafka_header_add(h, "gdx.protect", -1, "raw=encrypt", -1);
        }
    }

    rd_kafka_header_add(h, "gdx.error.stage", -1, stage, -1);
    rd_kafka_header_add(h, "gdx.error.reason", -1, reason, -1);
    rd_kafka_header_add(h, "gdx.error.field", -1, field ? field : "", -1);
    rd_kafka_header_add(h, "gdx.error.topic", -1, rt->topic, -1);
    rd_kafka_header_add(h, "gdx.error.schema", -1, rt->schema->fullname, -1);
    rt->cur->dead++;
    rt->cur->last_dead = 1;
    snprintf(rt->cur->last_stage, sizeof(rt->cur->last_stage), "%s", stage);
    snprintf(rt->cur->last_reason, sizeof(rt->cur->last_reason), "%s", reason);
    snprintf(rt->cur->last_field, sizeof(rt->cur->last_field), "%s", field ? field : "");
    dead_reason(rt, stage, field);
    gdx_log(GDX_LOG_WARN, "dead letter", " pos=%s stage=%s field=%s reason=\"%s\"",
            row->pos ? row->pos : "-", stage, field ? field : "-", reason);
    err = produce(rt, rt->cur, rt->rkt_dlq, RD_KAFKA_PARTITION_UA, row->pos,
                  row->pos ? strlen(row->pos) : 0, raw, rawlen, h);
    free(sealed);
    return err;
}

uint64_t gdx_names_gen(void)
{
    static atomic_uint_least64_t gen;
    return atomic_fetch_add(&gen, 1) + 1;
}

/*
 * The column of each mapped field in @p row. The lookup is kept while rows come with the
 * same names array and the same names in it: a connector may reuse one array for rows whose
 * names differ (JSON objects with other keys, or the same keys in another order: gdx_jrow),
 * so a hit is confirmed against a copy of the names the lookup was made for, unless the
 * connector numbered the array (names_gen) and the number is the lookup's.
 */
static void cache_columns(struct gdx_runtime *rt, const struct gdx_row *row)
{
    size_t off = 0;

    if (rt->cache_names == row->names && rt->cache_nfields == row->nfields) {
        if (row->names_gen && row->names_gen == rt->cache_gen) {
            return; /* the connector vouches: the same names */
        }
        size_t c;
        for (c = 0; c < row->nfields; c++) {
            const char *n = row->names[c] ? row->names[c] : "";
            size_t l = strlen(n) + 1;
            if (off + l > rt->cache_copy_len || memcmp(rt->cache_copy + off, n, l)) {
                break;
            }
            off += l;
        }
        if (c == row->nfields) {
            rt->cache_gen = row->names_gen;
            return;
        }
        off = 0;
    }
    for (size_t c = 0; c < row->nfields; c++) {
        const char *n = row->names[c] ? row->names[c] : "";
        size_t l = strlen(n) + 1;
        if (off + l > rt->cache_copy_cap) {
            rt->cache_copy_cap = (off + l) * 2;
            rt->cache_copy = gdx_xrealloc(rt->cache_copy, rt->cache_copy_cap);
        }
        memcpy(rt->cache_copy + off, n, l);
        off += l;
    }
    rt->cache_copy_len = off;
    for (size_t i = 0; i < rt->nmaps; i++) {
        rt->cache_idx[i] = -1;
        for (size_t c = 0; c < row->nfields; c++) {
            if (row->names[c] && !strcmp(row->names[c], rt->maps[i].column)) {
                rt->cache_idx[i] = (int)c;
                break;
            }
        }
    }
    rt->cache_names = row->names;
    rt->cache_nfields = row->nfields;
    rt->cache_gen = row->names_gen;
}

static int batch_full(struct gdx_runtime *rt)
{
    struct gdx_batch *b = rt->cur;
    if (b->records + b->dead >= (uint64_t)rt->batch_max_records ||
        b->bytes >= (uint64_t)rt->batch_max_bytes ||
        gdx_mono_ms() - b->started_ms >= rt->batch_max_ms || stopping(rt)) {
        b->full = 1;
    }
    return b->full;
}

static void set_offset(struct gdx_batch *batch, const char *offset_json)
{
    size_t n = strlen(offset_json);
    if (n + 1 > batch->offset_cap) {
        size_t cap = n + 1 > 2 * batch->offset_cap ? n + 1 : 2 * batch->offset_cap;
        char *p = realloc(batch->offset, cap);
        if (!p) {
            abort();
        }
        batch->offset = p;
        batch->offset_cap = cap;
    }
    memcpy(batch->offset, offset_json, n + 1);
}

/* Keep source coordinates, cut at the buffer's size (snprintf("%s") per row cost more than
 * the rest of the bookkeeping). */
static void copy_pos(char *dst, size_t size, const char *pos)
{
    size_t n = strnlen(pos, size - 1);
    memcpy(dst, pos, n);
    dst[n] = '\0';
}

static void worker_queue(struct gdx_runtime *rt, int kind, const struct gdx_row *row,
                         const char *offset);

static void batch_set_offset(struct gdx_batch *batch, const char *offset_json)
{
    if (batch_open(batch->rt) == GDX_OK) {
        set_offset(batch, offset_json);
    }
}

void gdx_batch_set_offset(struct gdx_batch *batch, const char *offset_json)
{
    if (batch->rt->worker) {
        worker_queue(batch->rt, RT_ITEM_OFFSET, NULL, offset_json);
        return;
    }
    batch_set_offset(batch, offset_json);
}

size_t gdx_batch_count(const struct gdx_batch *batch)
{
    if (batch->rt->worker) {
        return (size_t)batch->rt->worker->queued;
    }
    return (size_t)(batch->records + batch->dead);
}

static void worker_drain(struct gdx_runtime *rt);

int gdx_batch_last_dead(const struct gdx_batch *batch, const char **stage, const char **reason,
                        const char **field)
{
    /* with the encode thread the row may still be in its queue: its fate is known after */
    worker_drain(batch->rt);
    if (!batch->last_dead) {
        return 0;
    }
    *stage = batch->last_stage;
    *reason = batch->last_reason;
    *field = batch->last_field[0] ? batch->last_field : NULL;
    return 1;
}

/* Map, validate, protect, encode and produce one row; @p idx gives each map's column in the
 * row, or -1. On the encode worker's thread when there is one, else the connector's. */
static int batch_add_row(struct gdx_batch *batch, const struct gdx_row *row,
                         const char *offset_after, const int *idx)
{
    struct gdx_runtime *rt = batch->rt;
    char reason[512];
    const void *body;
    size_t body_len;
    enum gdx_level level = GDX_LEVEL_GENERAL;
    const char *key = NULL;
    size_t keylen = 0;
    int err;

    batch->last_dead = 0;
    if (batch->error || batch_open(rt) != GDX_OK) {
        return GDX_ERR_FULL; /* the batch is failing: stop reading, it will be re-read */
    }
    if (offset_after) {
        set_offset(batch, offset_after);
    }
    if (row->pos) {
        if (!batch->first_pos[0]) {
            copy_pos(batch->first_pos, sizeof(batch->first_pos), row->pos);
        }
        copy_pos(batch->last_pos, sizeof(batch->last_pos), row->pos);
    }
    if (row->error) {
        dead_letter(rt, row, "parse", row->error, row->error_field);
        return batch_full(rt) ? GDX_ERR_FULL : GDX_OK;
    }

    gdx_encoder_reset(rt->enc);
    for (size_t i = 0; i < rt->nmaps; i++) {
        const struct rt_map *m = &rt->maps[i];
        int c = idx[i];
        const char *text = NULL;
        size_t len = 0;
        if (c >= 0) {
            text = row->values[c];
            len = text ? row->lens[c] : 0;
        }
        if ((!text || len == 0) && m->defval) {
            text = m->defval;
            len = strlen(text);
        }
        if (c < 0 && !text) {
            continue; /* absent: default or an error at finish */
        }
        if (text && len == 0 && m->field->nullable) {
            text = NULL; /* an empty cell is null: never protect or tokenise "nothing" */
        }
        if (text &&
            gdx_policy_validate(rt->policy, m->field->index, text, len, reason, sizeof(reason))) {
            dead_letter(rt, row, "validate", reason, m->field->name);
            return batch_full(rt) ? GDX_ERR_FULL : GDX_OK;
        }
        const struct gdx_protect_rule *rule = gdx_policy_rule(rt->policy, m->field->index);
        char *protected = NULL;
        /* the row's own text, when its connector vouches for its UTF-8 */
        int trusted = row->utf8_valid && c >= 0 && text == row->values[c];
        if (rule && rule->action != GDX_PROTECT_KEEP && text) {
            err = gdx_protect_apply(rule, gdx_policy_keys(rt->policy), text, len, &protected,
                                    reason, sizeof(reason));
            if (err) {
                dead_letter(rt, row, "protect", reason, m->field->name);
                return batch_full(rt) ? GDX_ERR_FULL : GDX_OK;
            }
            text = protected;
            len = protected ? strlen(protected) : 0;
            /* a token and an envelope are ASCII; scrub makes UTF-8 of UTF-8 (fuzz-scrub);
             * masked values and defaults are checked as always */
            trusted = rule->action == GDX_PROTECT_TOKEN || rule->action == GDX_PROTECT_ENCRYPT ||
                      (trusted && rule->action == GDX_PROTECT_SCRUB);
        }
        gdx_encoder_trust_utf8(rt->enc, trusted);
        err = gdx_encoder_set(rt->enc, m->field, text, len, m->format, reason, sizeof(reason));
        if (!err && text && m->field->level > level) {
            level = m->field->level;
        }
        if (!err && m == rt->key_map && text) {
            /* the key is the value as published: a protected key field keys by its token */
            if (len + 1 > rt->keybuf_size) {
                free(rt->keybuf);
                rt->keybuf_size = len + 64;
                rt->keybuf = malloc(rt->keybuf_size);
                if (!rt->keybuf) {
                    abort();
                }
            }
            memcpy(rt->keybuf, text, len);
            key = rt->keybuf;
            keylen = len;
        }
        if (protected) {
            OPENSSL_cleanse(protected, len);
            free(protected);
        }
        if (err) {
            dead_letter(rt, row, "validate", reason, m->field->name);
            return batch_full(rt) ? GDX_ERR_FULL : GDX_OK;
        }
    }
    err = gdx_encoder_finish(rt->enc, (size_t)rt->record_max_bytes, &body, &body_len, reason,
                             sizeof(reason));
    if (err) {
        dead_letter(rt, row, err == GDX_ERR_FULL ? "encode" : "map", reason, NULL);
        return batch_full(rt) ? GDX_ERR_FULL : GDX_OK;
    }

    size_t need = rt->frame_len + body_len;
    if (need > rt->valbuf_size) {
        size_t sz = need * 2;
        unsigned char *p = realloc(rt->valbuf, sz);
        if (!p) {
            abort();
        }
        rt->valbuf = p;
        rt->valbuf_size = sz;
    }
    memcpy(rt->valbuf, rt->frame, rt->frame_len);
    memcpy(rt->valbuf + rt->frame_len, body, body_len);

    rd_kafka_headers_t *h = lineage_headers(rt, row->pos);
    HDR(h, "gdx.level", level_name(level), -1);
    if (!rt->protect_header) {
        rt->protect_header = gdx_policy_header(rt->policy);
        rt->protect_header_len = strlen(rt->protect_header);
    }
    HDR(h, "gdx.protect", rt->protect_header, rt->protect_header_len);
    err = produce(rt, batch, rt->rkt, RD_KAFKA_PARTITION_UA, key, keylen, rt->valbuf, need, h);
    if (err) {
        return GDX_ERR_FULL;
    }
    batch->records++;
    batch->bytes += need;
    return batch_full(rt) ? GDX_ERR_FULL : GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * The encode worker. gdx_batch_add queues a copy of the row (the mapped columns only, the
 * column lookup done here) and answers from what it counted; the worker runs batch_add_row
 * on the rows in order, so everything the batch does to Kafka happens on one thread as
 * before, only not the connector's. The runtime waits for the queue to drain when poll()
 * returns (worker_drain), before it closes, aborts or re-reads a batch: from then on the
 * batch is the main thread's alone again. A batch that fails in the worker is told to the
 * connector at its next row; rows it adds meanwhile are dropped with the failing batch,
 * which is re-read from the committed position like any failed batch. batch.max.bytes is
 * checked against the bytes encoded so far, at most RT_QUEUE rows behind.
 */

static void item_copy(struct rt_item *it, const struct gdx_runtime *rt, const struct gdx_row *row,
                      const char *offset)
{
    size_t need = 0, o = 0;
    const int *ci = rt->cache_idx;
#define ITEM_STR(s) ((s) ? strlen(s) + 1 : 0)
    if (it->nmaps < rt->nmaps) {
        it->values = gdx_xrealloc(it->values, rt->nmaps * sizeof(*it->values));
        it->lens = gdx_xrealloc(it->lens, rt->nmaps * sizeof(*it->lens));
        it->idx = gdx_xrealloc(it->idx, rt->nmaps * sizeof(*it->idx));
        it->nmaps = rt->nmaps;
    }
    need += ITEM_STR(offset);
    if (row) {
        need += ITEM_STR(row->pos) + ITEM_STR(row->error) + ITEM_STR(row->error_field);
        need += (row->raw ? row->raw_len : 0) + 1;
        for (size_t i = 0; !row->error && i < rt->nmaps; i++) {
            if (ci[i] >= 0 && row->values[ci[i]]) {
                need += row->lens[ci[i]] + 1;
            }
        }
    }
    if (need > it->cap || (it->cap > RT_ITEM_KEEP && need <= RT_ITEM_KEEP)) {
        if (it->buf) {
            OPENSSL_cleanse(it->buf, it->cap);
        }
        free(it->buf);
        if (need > RT_ITEM_KEEP) {
            it->cap = need; /* a wide row: the buffer goes with the next narrow one */
        } else {
            it->cap = 2 * need < 256 ? 256 : 2 * need > RT_ITEM_KEEP ? RT_ITEM_KEEP : 2 * need;
        }
        it->buf = gdx_xrealloc(NULL, it->cap);
    }
#define ITEM_PUT(dst, src, n)                                                                      \
    do {                                                                                           \
        memcpy(it->buf + o, (src), (n));                                                           \
        it->buf[o + (n)] = '\0';                                                                   \
        (dst) = it->buf + o;                                                                       \
        o += (n) + 1;                                                                              \
    } while (0)
    it->offset = it->pos = it->raw = it->error = it->error_field = NULL;
    it->raw_len = 0;
    it->utf8_valid = row ? row->utf8_valid : 0;
    if (offset) {
        ITEM_PUT(it->offset, offset, strlen(offset));
    }
    if (!row) {
        return;
    }
    if (row->pos) {
        ITEM_PUT(it->pos, row->pos, strlen(row->pos));
    }
    if (row->error) {
        ITEM_PUT(it->error, row->error, strlen(row->error));
    }
    if (row->error_field) {
        ITEM_PUT(it->error_field, row->error_field, strlen(row->error_field));
    }
    if (row->raw) {
        ITEM_PUT(it->raw, row->raw, row->raw_len);
        it->raw_len = row->raw_len;
    }
    for (size_t i = 0; i < rt->nmaps; i++) {
        int c = row->error ? -1 : ci[i];
        it->idx[i] = c >= 0 ? (int)i : -1;
        it->values[i] = NULL;
        it->lens[i] = 0;
        if (c >= 0 && row->values[c]) {
            ITEM_PUT(it->values[i], row->values[c], row->lens[c]);
            it->lens[i] = row->lens[c];
        }
    }
#undef ITEM_PUT
#undef ITEM_STR
}

static void *worker_main(void *arg)
{
    struct gdx_runtime *rt = arg;
    struct rt_worker *w = rt->worker;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->tail == w->head && !w->quit) {
            w->sleeping = 1;
            pthread_cond_wait(&w->more, &w->lock);
            w->sleeping = 0;
        }
        if (w->tail == w->head) {
            break; /* quit, and nothing left */
        }
        struct rt_item *it = &w->items[w->tail % RT_QUEUE];
        w->busy = 1;
        pthread_mutex_unlock(&w->lock);

        struct gdx_batch *b = rt->cur;
        if (it->kind == RT_ITEM_OFFSET) {
            batch_set_offset(b, it->offset);
        } else {
            struct gdx_row row = {
                .nfields = it->nmaps,
                .values = it->values,
                .lens = it->lens,
                .pos = it->pos,
                .raw = it->raw,
                .raw_len = it->raw_len,
                .error = it->error,
                .error_field = it->error_field,
                .utf8_valid = it->utf8_valid,
            };
            batch_add_row(b, &row, it->offset, it->idx);
        }
        atomic_store(&w->bytes, b->bytes);
        atomic_store(&w->error, b->error);

        pthread_mutex_lock(&w->lock);
        w->busy = 0;
        w->qbytes -= it->cap;
        w->tail++;
        /* the connector, when it waits, is woken once half the queue is free, not per row */
        if (w->waiting && (w->tail == w->head || (w->head - w->tail <= RT_QUEUE / 2 &&
                                                  w->qbytes <= RT_QUEUE_BYTES / 2))) {
            pthread_cond_signal(&w->room);
        }
        if (w->tail == w->head) {
            pthread_cond_signal(&w->idle);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void worker_queue(struct gdx_runtime *rt, int kind, const struct gdx_row *row,
                         const char *offset)
{
    struct rt_worker *w = rt->worker;
    struct rt_item *it;
    if (row && !row->error) {
        cache_columns(rt, row);
    }
    pthread_mutex_lock(&w->lock);
    if (w->head - w->tail == RT_QUEUE || (w->head != w->tail && w->qbytes > RT_QUEUE_BYTES)) {
        if (w->sleeping) {
            pthread_cond_signal(&w->more);
        }
        w->waiting = 1;
        while (w->head != w->tail &&
               (w->head - w->tail > RT_QUEUE / 2 || w->qbytes > RT_QUEUE_BYTES / 2)) {
            pthread_cond_wait(&w->room, &w->lock);
        }
        w->waiting = 0;
    }
    it = &w->items[w->head % RT_QUEUE];
    pthread_mutex_unlock(&w->lock);
    /* the slot is the connector's alone until head moves past it */
    it->kind = kind;
    item_copy(it, rt, row, offset);
    pthread_mutex_lock(&w->lock);
    w->qbytes += it->cap;
    w->head++;
    /* woken for a few rows at a time, not one: a wake-up per row cost a futex call and a
     * context switch each (a tenth of the samples) */
    if (w->sleeping && (w->head - w->tail >= RT_WAKE || w->qbytes > RT_QUEUE_BYTES / 2)) {
        pthread_cond_signal(&w->more);
    }
    pthread_mutex_unlock(&w->lock);
}

/* Wait until the worker has taken every queued row: the batch is the main thread's again. */
static void worker_drain(struct gdx_runtime *rt)
{
    struct rt_worker *w = rt->worker;
    if (!w) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    if (w->sleeping && w->tail != w->head) {
        pthread_cond_signal(&w->more);
    }
    while (w->tail != w->head || w->busy) {
        pthread_cond_wait(&w->idle, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
}

/* A new batch begins (main thread, worker idle). */
static void worker_reset(struct gdx_runtime *rt)
{
    if (rt->worker) {
        rt->worker->queued = 0;
        atomic_store(&rt->worker->bytes, 0);
        atomic_store(&rt->worker->error, 0);
    }
}

static void worker_start(struct gdx_runtime *rt)
{
    struct rt_worker *w;
    int on = rt->encode_thread;
    if (on < 0) {
        /* a second core is enough: on a quiet 2-core machine the thread made the file
         * connector 13-34 % faster (docs/performance.md); on one core it only adds
         * hand-offs */
        on = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    }
    if (!on) {
        return;
    }
    w = gdx_xcalloc(1, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->more, NULL);
    pthread_cond_init(&w->room, NULL);
    pthread_cond_init(&w->idle, NULL);
    rt->worker = w;
    if (pthread_create(&w->thread, NULL, worker_main, rt)) {
        rt->worker = NULL; /* no thread to be had: rows are encoded by the connector's */
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->more);
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->idle);
        free(w);
        return;
    }
    gdx_log(GDX_LOG_DEBUG, "encode thread started", NULL);
}

static void worker_stop(struct gdx_runtime *rt)
{
    struct rt_worker *w = rt->worker;
    if (!w) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->quit = 1;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    rt->worker = NULL;
    for (size_t i = 0; i < RT_QUEUE; i++) {
        if (w->items[i].buf) {
            OPENSSL_cleanse(w->items[i].buf, w->items[i].cap); /* rows with personal data */
        }
        free(w->items[i].buf);
        free(w->items[i].values);
        free(w->items[i].lens);
        free(w->items[i].idx);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->more);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->idle);
    free(w);
}

int gdx_batch_add(struct gdx_batch *batch, const struct gdx_row *row, const char *offset_after)
{
    struct gdx_runtime *rt = batch->rt;
    struct rt_worker *w = rt->worker;
    if (!w) {
        if (!row->error) {
            cache_columns(rt, row);
        }
        return batch_add_row(batch, row, offset_after, rt->cache_idx);
    }
    if (atomic_load(&w->error)) {
        return GDX_ERR_FULL; /* the batch is failing: stop reading, it will be re-read */
    }
    struct gdx_row copy;
    if (!row->raw && row->raw_is_values) {
        /* the worker sees the mapped columns only: the raw row is made here */
        copy = *row;
        copy.raw = raw_of_values(rt, row, &copy.raw_len);
        copy.raw_is_values = 0;
        row = &copy;
    }
    worker_queue(rt, RT_ITEM_ROW, row, offset_after);
    w->queued++;
    if (w->queued >= (uint64_t)rt->batch_max_records ||
        atomic_load(&w->bytes) >= (uint64_t)rt->batch_max_bytes ||
        gdx_mono_ms() - batch->started_ms >= rt->batch_max_ms || stopping(rt)) {
        return GDX_ERR_FULL;
    }
    return GDX_OK;
}

/* Start the grace period at the first sight of a stop request (it may arrive while a batch
 * is already being closed). */
static void grace_start(struct gdx_runtime *rt, int64_t *deadline)
{
    if (!*deadline && stopping(rt)) {
        *deadline = gdx_mono_ms() + rt->grace_ms;
    }
}

/* Wait for every delivery report of the attempt; a stop request, even one arriving during
 * the wait, bounds the wait by the grace period. */
static int wait_delivered(struct gdx_runtime *rt, struct gdx_batch *b, int64_t *deadline)
{
    while (rd_kafka_outq_len(rt->rk) > 0) {
        rd_kafka_poll(rt->rk, 100);
        if (rt->fatal) {
            return GDX_ERR_FATAL;
        }
        if (rt->dr_failed) {
            return GDX_ERR_FAIL;
        }
        grace_start(rt, deadline);
        if (*deadline && gdx_mono_ms() > *deadline) {
            return GDX_ERR_STOPPED;
        }
    }
    rd_kafka_poll(rt->rk, 0);
    if (rt->dr_failed) {
        gdx_log(GDX_LOG_WARN, "batch not delivered, it will be re-sent from the committed position",
                " batch=%s failed=%" PRIu64 " error=%s", b->id, rt->dr_failed,
                rd_kafka_err2name(rt->dr_err));
        return GDX_ERR_FAIL;
    }
    return rt->fatal ? GDX_ERR_FATAL : GDX_OK;
}

static char *offset_record(struct gdx_runtime *rt, const struct gdx_batch *b)
{
    json_t *doc = json_object(), *off = NULL;
    char at[32];
    char *s;
    if (b->offset) {
        off = json_loads(b->offset, JSON_DECODE_ANY, NULL);
    }
    gdx_time_format_ms(gdx_now_ms(), at);
    json_object_set_new(doc, "connector", json_string(rt->id));
    json_object_set_new(doc, "batch", json_string(b->id));
    json_object_set_new(doc, "offset", off ? off : json_null());
    json_object_set_new(doc, "records", json_integer((json_int_t)b->records));
    json_object_set_new(doc, "dead", json_integer((json_int_t)b->dead));
    json_object_set_new(doc, "src.from", json_string(b->first_pos));
    json_object_set_new(doc, "src.to", json_string(b->last_pos));
    json_object_set_new(doc, "topic", json_string(rt->topic));
    json_object_set_new(doc, "config", json_string(rt->config_sm3));
    json_object_set_new(doc, "committed.at", json_string(at));
    if (b->operator_action) {
        json_object_set_new(doc, "operator", json_string(b->operator_action));
    }
    s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

static int produce_offset(struct gdx_runtime *rt, struct gdx_batch *b, const char *value)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    rd_kafka_header_add(h, "gdx.batch", -1, b->id, -1);
    return produce(rt, b, rt->rkt_off, rt->offsets_partition, rt->id, strlen(rt->id), value,
                   value ? strlen(value) : 0, h);
}

/* Abort the open attempt. The position is re-read from the offsets topic afterwards. */
static void batch_abort(struct gdx_runtime *rt, struct gdx_batch *b, const char *why)
{
    rt->total_aborts++;
    gdx_metrics_aborted(rt->metrics);
    gdx_log(GDX_LOG_WARN, "batch aborted, resuming from the committed position",
            " batch=%s records=%" PRIu64 " reason=\"%s\"", b->id, b->records, why);
    rt->gen++; /* reports of the given-up attempt no longer count */
    if (b == rt->cur) {
        stash_clear(&rt->stash);
    }
    if (rt->exactly_once && rt->rk && b->txn && stopping(rt)) {
        /* stopping, perhaps because Kafka is away: abort briefly (an open transaction holds
         * back read_committed consumers until transaction.timeout.ms) but never let it
         * block the exit; the next start's init_transactions aborts whatever is left */
        if (!rt->fatal) {
            rd_kafka_error_t *error = rd_kafka_abort_transaction(rt->rk, 1000);
            if (error) {
                rd_kafka_error_destroy(error);
            }
        }
        kafka_close(rt);
    } else if (rt->exactly_once && rt->rk && !rt->fatal && b->txn) {
        rd_kafka_error_t *error = rd_kafka_abort_transaction(rt->rk, RT_KAFKA_TIMEOUT);
        if (error) {
            txn_error(rt, "cannot abort transaction", error);
        }
        /* The next attempt gets a new producer (a new producer id), aborted or not. When an
         * attempt is given up with records in flight, librdkafka bumps the producer epoch
         * and restarts the sequence numbers; a real broker keeps sequences per epoch, but
         * librdkafka 2.0.2's mock cluster keeps them per producer id and acknowledges the
         * re-sent records as duplicates without writing them (DESIGN.md, mock limits).
         * One InitProducerId per aborted attempt is the whole cost. */
        kafka_close(rt);
    } else if (rt->fatal || !rt->exactly_once) {
        if (rt->fatal) {
            kafka_close(rt);
        } else if (rt->rk) {
            rd_kafka_purge(rt->rk, RD_KAFKA_PURGE_F_QUEUE);
        }
    }
    b->open = b->txn = 0;
}

/* Close the batch: deliver, write the position, commit. GDX_OK when committed. */
static int batch_commit_txn(struct gdx_runtime *rt, struct gdx_batch *b, char *errstr,
                            size_t errstr_size)
{
    int64_t deadline = stopping(rt) ? gdx_mono_ms() + rt->grace_ms : 0;
    char *value;
    int err;

    if (!b->txn) {
        return GDX_OK;
    }
    if (b->error) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "a record could not be produced");
    }
    /*
     * At least once, every record and dead letter must have its delivery report before the
     * offset record is produced (KIP-618). Exactly once on a real cluster the transaction
     * makes them one unit: the offset record goes right after the batch and the commit
     * flushes both, one round trip less. librdkafka 2.0.2's mock cluster, though, shows the
     * records of open and aborted transactions: a process killed after its offset record
     * landed but before all its records did would leave a visible position past records
     * that never arrived (measured: ~1000 rows lost in 2 of 4 chaos runs without this wait),
     * hence offsets.after.delivery (on by itself on the mock).
     */
    err =
        !rt->exactly_once || rt->offsets_after_delivery ? wait_delivered(rt, b, &deadline) : GDX_OK;
    if (err) {
        return gdx_seterr(errstr, errstr_size, err, "records not delivered: %s",
                          err == GDX_ERR_STOPPED ? "grace period over"
                                                 : rd_kafka_err2str(rt->dr_err));
    }
    if (GDX_FAULT("kafka.fatal")) {
        /* librdkafka 2.0.2 turns an idempotent producer fatal after a lost response; this
         * provokes the same state so the recovery path is tested */
        rd_kafka_test_fatal_error(rt->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                  "injected by GDX_FAULTS=kafka.fatal");
        rd_kafka_poll(rt->rk, 100);
    }
    value = offset_record(rt, b);
    err = produce_offset(rt, b, value);
    free(value);
    if (err) {
        return gdx_seterr(errstr, errstr_size, err, "cannot produce the offset record");
    }
    if (rt->exactly_once) {
        int64_t quiet_until = gdx_mono_ms() + RT_KAFKA_TIMEOUT * 6;
        for (;;) {
            /* one second at a time: librdkafka cannot be interrupted, and a timed-out
             * commit is resumed by calling it again */
            rd_kafka_error_t *error =
                GDX_FAULT("kafka.commit")
                    ? rd_kafka_error_new(RD_KAFKA_RESP_ERR__TRANSPORT, "injected by GDX_FAULTS")
                    : rd_kafka_commit_transaction(rt->rk, 1000);
            if (!error) {
                break;
            }
            grace_start(rt, &deadline);
            if (rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__TIMED_OUT &&
                !rd_kafka_error_is_fatal(error) && !rd_kafka_error_txn_requires_abort(error) &&
                (deadline ? gdx_mono_ms() <= deadline : gdx_mono_ms() < quiet_until)) {
                rd_kafka_error_destroy(error);
                continue;
            }
            quiet_until = gdx_mono_ms() + RT_KAFKA_TIMEOUT * 6;
            err = txn_error(rt, "cannot commit transaction", error);
            if (err != GDX_ERR_RETRY || (deadline && gdx_mono_ms() > deadline)) {
                return gdx_seterr(errstr, errstr_size, err, "commit failed");
            }
            nap(rt, 500);
            if (stopping(rt) && !deadline) {
                deadline = gdx_mono_ms() + rt->grace_ms;
            }
        }
        /* serve the delivery reports of the batch (audit ranges) before it counts */
        int64_t until = gdx_mono_ms() + RT_KAFKA_TIMEOUT;
        do {
            rd_kafka_poll(rt->rk, 0); /* outq_len counts reports not yet served */
        } while (rd_kafka_outq_len(rt->rk) > 0 && gdx_mono_ms() < until);
    } else {
        err = wait_delivered(rt, b, &deadline);
        if (err) {
            return gdx_seterr(errstr, errstr_size, err, "offset record not delivered");
        }
    }
    b->open = b->txn = 0;
    kafka_up(rt);
    return GDX_OK;
}

/* Close the batch's transaction (or, at least once, its offset record), timed for the commit
 * latency metric. */
static int batch_commit(struct gdx_runtime *rt, struct gdx_batch *b, char *errstr,
                        size_t errstr_size)
{
    int64_t t0 = gdx_mono_ms();
    int err = batch_commit_txn(rt, b, errstr, errstr_size);
    b->commit_ms = gdx_mono_ms() - t0;
    return err;
}

/*
 * The committer: closes rt->closing (delivery, offset record, commit) on its own thread
 * while the main thread reads, maps, protects and encodes the next batch into the stash.
 * While it runs it alone calls librdkafka (the main thread produces nothing, polls nothing,
 * and writes no audit line), so the delivery and error callbacks run here.
 */
static void *commit_main(void *arg)
{
    struct gdx_runtime *rt = arg;
    rt->commit_err =
        rt->fatal ? GDX_ERR_FATAL
                  : batch_commit(rt, rt->closing, rt->commit_errstr, sizeof(rt->commit_errstr));
    if (rt->commit_err && !rt->commit_errstr[0]) {
        snprintf(rt->commit_errstr, sizeof(rt->commit_errstr), "%s",
                 rt->fatal ? "producer fatal error" : "commit failed");
    }
    atomic_store(&rt->commit_done, 1);
    return NULL;
}

/* Hand the current batch to the committer; the next batch fills the other slot. */
static void commit_start(struct gdx_runtime *rt)
{
    struct gdx_batch *b = rt->cur;
    rt->cur = rt->closing;
    rt->closing = b;
    rt->commit_err = 0;
    rt->commit_errstr[0] = '\0';
    atomic_store(&rt->commit_done, 0);
    if (pthread_create(&rt->commit_thread, NULL, commit_main, rt)) {
        commit_main(rt); /* no thread to be had: commit here */
        rt->commit_running = 0;
        rt->commit_pending = 1;
        if (!rt->commit_err) {
            audit_mirror_done(rt, rt->closing);
        }
        return;
    }
    rt->commit_running = 1;
}

/* Wait for the committer. Its result stays pending until the main loop acts on it. */
static void commit_join(struct gdx_runtime *rt)
{
    if (!rt->commit_running) {
        return;
    }
    pthread_join(rt->commit_thread, NULL);
    rt->commit_running = 0;
    rt->commit_pending = 1;
    if (!rt->commit_err) {
        audit_mirror_done(rt, rt->closing); /* Kafka holds the lines its transaction carried */
    }
}

/* Tell the connector, retrying transient failures (disk full in done/, ...). */
static int notify_committed(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    struct gdx_offset upto = {rt->committed};
    int64_t backoff = 500;
    for (;;) {
        int err = rt->conn->committed(&rt->ctx, rt->inst, &upto, errstr, errstr_size);
        if (err != GDX_ERR_RETRY) {
            return err;
        }
        gdx_log(GDX_LOG_WARN, "source cannot acknowledge the committed position, retrying",
                " reason=\"%s\" retry_ms=%" PRId64, errstr, backoff);
        if (stopping(rt)) {
            return GDX_OK; /* re-done at the next start: the position is committed */
        }
        nap(rt, backoff);
        backoff = backoff * 2 > RT_BACKOFF_MAX_MS ? RT_BACKOFF_MAX_MS : backoff * 2;
    }
}

static void progress(struct gdx_runtime *rt, int force)
{
    int64_t now = gdx_mono_ms();
    if (!force && now - rt->last_progress_ms < RT_PROGRESS_MS) {
        return;
    }
    double secs = (double)(now - rt->last_progress_ms) / 1000.0;
    uint64_t delta = rt->total_records - rt->progress_records;
    if (delta || force) {
        gdx_log(GDX_LOG_INFO, "progress",
                " records=%" PRIu64 " dead=%" PRIu64 " batches=%" PRIu64 " aborts=%" PRIu64
                " rate=%.0f/s",
                rt->total_records, rt->total_dead, rt->total_batches, rt->total_aborts,
                secs > 0 ? (double)delta / secs : 0.0);
    }
    rt->last_progress_ms = now;
    rt->progress_records = rt->total_records;
}

/* Recover from a failed attempt: abort, recreate if needed, re-read the position. */
static int recover(struct gdx_runtime *rt, struct gdx_batch *b, const char *why, char *errstr,
                   size_t errstr_size)
{
    int err;
    batch_abort(rt, b, why);
    if (rt->fatal) {
        kafka_close(rt);
    }
    if (!rt->rk && (err = producer_up(rt, errstr, errstr_size))) {
        return err;
    }
    return position_read(rt, errstr, errstr_size);
}

/*
 * A batch is committed: its evidence first (fsynced), then the position moves on and the
 * connector hears of it. The place where a batch counts as committed.
 */
static int batch_finish(struct gdx_runtime *rt, struct gdx_batch *b, char *errstr,
                        size_t errstr_size)
{
    int err;
    if ((err = audit_batch(rt, b, 0, errstr, errstr_size))) {
        return err; /* fail closed: the batch is in Kafka, its evidence is not */
    }
    free(rt->committed);
    rt->committed = b->offset;
    b->offset = NULL;
    b->offset_cap = 0;
    free(rt->committed_batch);
    rt->committed_batch = gdx_xstrdup(b->id);
    rt->total_records += b->records;
    rt->total_dead += b->dead;
    rt->total_batches++;
    gdx_metrics_committed(rt->metrics, b->records, b->dead, b->bytes, b->commit_ms);
    gdx_log(GDX_LOG_DEBUG, "batch committed",
            " batch=%s records=%" PRIu64 " dead=%" PRIu64 " from=%s to=%s", b->id, b->records,
            b->dead, b->first_pos, b->last_pos);
    if ((err = notify_committed(rt, errstr, errstr_size))) {
        return err;
    }
    progress(rt, 0);
    return GDX_OK;
}

/*
 * Act on the committer's result, waiting for it first: a committed batch is finished; a
 * failed one is aborted and the position re-read from the offsets topic (rt->reposition),
 * unless @p no_recover (the process is on its way out).
 */
static int commit_settle(struct gdx_runtime *rt, int no_recover, char *errstr, size_t errstr_size)
{
    struct gdx_batch *b = rt->closing;
    commit_join(rt);
    if (!rt->commit_pending) {
        return GDX_OK;
    }
    rt->commit_pending = 0;
    if (!rt->commit_err) {
        if (GDX_FAULT("runtime.crash.after.commit")) {
            raise(SIGKILL); /* a crash between the commit and its audit event */
        }
        return batch_finish(rt, b, errstr, errstr_size);
    }
    if (stopping(rt) || no_recover) {
        batch_abort(rt, b, rt->commit_errstr);
        return stopping(rt) ? GDX_ERR_STOPPED : GDX_OK;
    }
    return recover(rt, b, rt->commit_errstr, errstr, errstr_size);
}

/* Stop event, a sealing checkpoint, and one last small transaction that mirrors them. */
static void audit_finish(struct gdx_runtime *rt, int err, const char *why)
{
    char aerr[512];
    if (!rt->audit) {
        return;
    }
    if (err && why && *why && gdx_audit_error(rt->audit, rt->id, why, aerr, sizeof(aerr))) {
        gdx_log(GDX_LOG_ERROR, "cannot audit the error", " reason=\"%s\"", aerr);
    }
    if (gdx_audit_stop(rt->audit,
                       err            ? "error"
                       : stopping(rt) ? "signal"
                                      : "drained",
                       aerr, sizeof(aerr)) ||
        gdx_audit_checkpoint(rt->audit, aerr, sizeof(aerr))) {
        gdx_log(GDX_LOG_ERROR, "cannot write the audit stop event", " reason=\"%s\"", aerr);
    }
    if (rt->mirror_n && rt->rk && !rt->fatal && !rt->commit_running && !rt->cur->txn) {
        batch_reset(rt);
        if (batch_open(rt) == GDX_OK) {
            int ok = 1;
            if (rt->exactly_once) {
                rd_kafka_error_t *error = rd_kafka_commit_transaction(rt->rk, 5000);
                if (error) {
                    ok = 0;
                    rd_kafka_error_destroy(error);
                    error = rd_kafka_abort_transaction(rt->rk, 5000);
                    if (error) {
                        rd_kafka_error_destroy(error);
                    }
                }
            } else {
                ok = rd_kafka_flush(rt->rk, 5000) == 0 && !rt->dr_failed;
            }
            rt->cur->open = rt->cur->txn = 0;
            if (ok) {
                audit_mirror_done(rt, rt->cur);
            } else {
                gdx_log(GDX_LOG_WARN,
                        "audit lines not mirrored at stop; they are in the local "
                        "trail",
                        " lines=%zu", rt->mirror_n);
            }
        }
    }
    if (gdx_audit_close(rt->audit, aerr, sizeof(aerr))) {
        gdx_log(GDX_LOG_ERROR, "cannot close the audit trail", " reason=\"%s\"", aerr);
    }
    rt->audit = NULL;
}

/*
 * With a registry: register the schema's original text under <topic>-value (gdx's own
 * subjects are BACKWARD_TRANSITIVE) and switch to the Confluent framing. A schema the
 * registry refuses stops the connector with the registry's reason: no record is ever
 * produced with it. An unreachable registry is waited for.
 */
static int schema_register(struct gdx_runtime *rt, char *errstr, size_t errstr_size)
{
    char subject[512];
    int32_t id = -1;
    int64_t backoff = 500;
    int err, warned = 0;

    if (strcmp(rt->wire_format, "confluent")) {
        return GDX_OK;
    }
    if (!rt->registry) {
        rt->registry = gdx_registry_new(rt->registry_url, rt->registry_auth, rt->registry_ca,
                                        errstr, errstr_size);
        if (!rt->registry) {
            return GDX_ERR_CONFIG;
        }
        gdx_registry_set_tls(rt->registry, &rt->registry_tls);
    }
    snprintf(subject, sizeof(subject), "%s-value", rt->topic);
    for (;;) {
        err = gdx_registry_set_compat(rt->registry, subject, "BACKWARD_TRANSITIVE", errstr,
                                      errstr_size);
        if (err == GDX_OK) {
            err = gdx_registry_register(rt->registry, subject, rt->schema->text, &id, errstr,
                                        errstr_size);
        }
        if (err == GDX_OK) {
            break;
        }
        if (err != GDX_ERR_RETRY) {
            char tmp[1024];
            snprintf(tmp, sizeof(tmp), "%s", errstr);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                              "schema registry refused '%s' under subject '%s': %s",
                              rt->schema->path ? rt->schema->path : rt->schema->fullname, subject,
                              tmp);
        }
        if (!warned++) {
            gdx_log(GDX_LOG_WARN, "schema registry unreachable, retrying", " url=%s reason=\"%s\"",
                    rt->registry_url, errstr);
        }
        if (stopping(rt)) {
            return GDX_ERR_STOPPED;
        }
        nap(rt, backoff);
        backoff = backoff * 2 > RT_BACKOFF_MAX_MS ? RT_BACKOFF_MAX_MS : backoff * 2;
    }
    rt->schema->registry_id = id;
    gdx_confluent_header(rt->frame, id);
    rt->frame_len = GDX_CONFLUENT_HEADER_LEN;
    gdx_log(GDX_LOG_INFO, "schema registered", " subject=%s id=%d", subject, (int)id);
    return GDX_OK;
}

int gdx_runtime_run(struct gdx_runtime *rt, int once, const volatile int *stop, char *errstr,
                    size_t errstr_size)
{
    char perr[1024];
    int err, polled;
    int64_t backoff = 500;

    rt->stop = stop;
    rt->metrics = gdx_metrics_from_env();
    if ((err = lock_take(rt, errstr, errstr_size))) {
        return err;
    }
    if ((err = audit_open(rt, errstr, errstr_size))) {
        return err;
    }
    rt->inst_inited = 1; /* fini runs after a failed init too (gdx.h) */
    if ((err = rt->conn->init(&rt->ctx, rt->inst, errstr, errstr_size))) {
        return err;
    }
    gdx_log(GDX_LOG_INFO, "starting",
            " kind=%s topic=%s delivery=%s config=%s config.sm3=%s version=%s pid=%ld", rt->kind,
            rt->topic, rt->exactly_once ? "exactly-once" : "at-least-once", rt->path,
            rt->config_sm3, GDX_VERSION, (long)getpid());
    if (rt->audit) {
        char aerr[512];
        if (gdx_audit_start(rt->audit, GDX_VERSION, rt->config_sm3, aerr, sizeof(aerr))) {
            return audit_failed(rt, "start", aerr, errstr, errstr_size);
        }
    } else {
        gdx_log(GDX_LOG_WARN,
                "no audit trail configured: batches leave no evidence (add an "
                "'audit' section)",
                NULL);
    }
    if ((err = schema_register(rt, errstr, errstr_size))) {
        return err == GDX_ERR_STOPPED ? GDX_OK : err;
    }
    if ((err = producer_up(rt, errstr, errstr_size))) {
        return err == GDX_ERR_STOPPED ? GDX_OK : err;
    }
    if (rt->exactly_once && rt->offsets_after_delivery < 0) {
        /* auto: librdkafka's mock cluster names itself mockCluster<hex>; unknown is safe */
        char *cid = rd_kafka_clusterid(rt->rk, RT_KAFKA_TIMEOUT);
        rt->offsets_after_delivery = !cid || !strncmp(cid, "mockCluster", 11);
        gdx_log(GDX_LOG_INFO, "offset record placement",
                " offsets.after.delivery=%s cluster=%s (auto)",
                rt->offsets_after_delivery ? "true" : "false", cid ? cid : "unknown");
        if (cid) {
            rd_kafka_mem_free(rt->rk, cid);
        }
    } else if (rt->exactly_once) {
        gdx_log(GDX_LOG_INFO, "offset record placement", " offsets.after.delivery=%s",
                rt->offsets_after_delivery ? "true" : "false");
    }
    {
        int32_t cnt = 0;
        int64_t bo = 500;
        while ((err = gdx_kafka_partition_count(rt->rk, rt->offsets_topic, RT_KAFKA_TIMEOUT, &cnt,
                                                errstr, errstr_size))) {
            if (stopping(rt)) {
                return GDX_OK;
            }
            gdx_log(GDX_LOG_WARN, "offsets topic not available, retrying", " reason=\"%s\"",
                    errstr);
            nap(rt, bo);
            bo = bo * 2 > RT_BACKOFF_MAX_MS ? RT_BACKOFF_MAX_MS : bo * 2;
        }
        rt->offsets_partition = gdx_murmur2_partition(rt->id, strlen(rt->id), cnt);
    }
    if ((err = position_read(rt, errstr, errstr_size))) {
        return err == GDX_ERR_STOPPED ? GDX_OK : err;
    }
    gdx_log(GDX_LOG_INFO, "resuming", " offset=%s", rt->committed ? rt->committed : "start");
    /* A crash between a commit and its audit event: the committed batch gets its event now,
     * marked recovered (operator changes are audited when they are made). */
    if (rt->audit && rt->committed_batch && rt->committed_doc &&
        !json_object_get(rt->committed_doc, "operator")) {
        const char *last = gdx_audit_last_batch(rt->audit);
        if (!last || strcmp(last, rt->committed_batch)) {
            gdx_log(GDX_LOG_WARN, "the last committed batch has no audit event: writing it now",
                    " batch=%s", rt->committed_batch);
            if ((err = audit_batch(rt, NULL, 1, errstr, errstr_size))) {
                return err;
            }
        }
    }
    rt->started_ms = rt->last_progress_ms = gdx_mono_ms();
    worker_start(rt);
    gdx_metrics_state(rt->metrics, "running", NULL);

    /*
     * The pipeline: batch N is closed on the committer's thread while poll() fills batch
     * N+1, whose messages wait in the stash until N is committed (a transaction cannot begin
     * before the one before it ends) and then go to librdkafka while reading goes on. N's
     * audit event and the connector's committed() follow poll()'s return, never a call into
     * the connector from within poll(). N+1 is closed only after them.
     */
    while (!stopping(rt)) {
        struct gdx_offset from = {rt->committed};
        int reposition = rt->reposition, overlapped = rt->commit_running;
        batch_reset(rt);
        rt->reposition = 0;
        /* While a batch commits, a source that waits for rows (a push source whose clients
         * wait for the answer to the batch being committed) must not wait long: its
         * committed() follows this poll's return. */
        polled = rt->conn->poll(&rt->ctx, rt->inst, reposition ? &from : NULL, rt->cur,
                                overlapped && rt->batch_max_ms > RT_OVERLAP_POLL_MS
                                    ? RT_OVERLAP_POLL_MS
                                    : (int)rt->batch_max_ms,
                                perr, sizeof(perr));
        worker_drain(rt); /* the batch is this thread's again */
        err = polled;     /* err is reused below; polled keeps what the source said */
        if ((err = commit_settle(rt, polled < 0 && polled != GDX_ERR_RETRY, errstr, errstr_size))) {
            if (err == GDX_ERR_STOPPED) {
                err = GDX_OK; /* stopped while recovering: resumes next start */
            }
            goto out;
        }
        if (rt->reposition) {
            batch_abort(rt, rt->cur, "the batch before it failed");
            rt->total_aborts--; /* counted once, with the batch that failed */
            if (polled < 0 && polled != GDX_ERR_RETRY) {
                err = gdx_seterr(errstr, errstr_size, polled, "%s", perr);
                goto out;
            }
            continue; /* re-read from the committed position */
        }
        if (polled < 0 && polled != GDX_ERR_RETRY) {
            batch_abort(rt, rt->cur, perr);
            err = gdx_seterr(errstr, errstr_size, polled, "%s", perr);
            goto out;
        }
        if (rt->cur->open && !rt->cur->txn) {
            batch_start(rt); /* the batch before is committed: its stash goes out now */
        }
        if (rt->cur->open) {
            if (!stopping(rt) && !rt->fatal && !rt->cur->error) {
                commit_start(rt); /* and on to the next batch */
            } else {
                /* a stop (within the grace period) or a failed batch: close it here */
                char cerr[512] = "";
                int cret = rt->fatal        ? GDX_ERR_FATAL
                           : rt->cur->error ? GDX_ERR_FAIL
                                            : batch_commit(rt, rt->cur, cerr, sizeof(cerr));
                if (cret && !cerr[0]) {
                    snprintf(cerr, sizeof(cerr), "%s",
                             rt->fatal ? "producer fatal error" : "a record could not be produced");
                }
                if (cret && stopping(rt)) {
                    batch_abort(rt, rt->cur, cerr);
                    break; /* the batch is re-read at the next start */
                }
                if (cret) {
                    if ((err = recover(rt, rt->cur, cerr, errstr, errstr_size))) {
                        if (err == GDX_ERR_STOPPED) {
                            err = GDX_OK;
                        }
                        goto out;
                    }
                    continue;
                }
                if (GDX_FAULT("runtime.crash.after.commit")) {
                    raise(SIGKILL); /* a crash between the commit and its audit event */
                }
                audit_mirror_done(rt, rt->cur);
                if ((err = batch_finish(rt, rt->cur, errstr, errstr_size))) {
                    goto out;
                }
            }
            backoff = 500;
        }
        if (polled == GDX_ERR_RETRY) {
            gdx_log(GDX_LOG_WARN, "source temporarily failing, retrying",
                    " reason=\"%s\" retry_ms=%" PRId64, perr, backoff);
            /* the connector's read position is unreliable after a failure: it restarts
             * from the committed position, so the batch in commit must have ended first */
            if ((err = commit_settle(rt, 0, errstr, errstr_size))) {
                if (err == GDX_ERR_STOPPED) {
                    err = GDX_OK;
                }
                goto out;
            }
            rt->reposition = 1;
            nap(rt, backoff);
            backoff = backoff * 2 > RT_BACKOFF_MAX_MS ? RT_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        if (overlapped || rt->commit_running) {
            /* a batch was committed or is being committed meanwhile: the source may have
             * more now (a file moves to done/ at its commit), so no sleep and no end yet */
            progress(rt, 0);
            continue;
        }
        if (polled == GDX_POLL_DRAINED && once) {
            break;
        }
        if (polled == GDX_POLL_IDLE || polled == GDX_POLL_DRAINED) {
            nap(rt, rt->poll_interval_ms);
        }
        if (rt->audit) {
            char aerr[512];
            if (gdx_audit_tick(rt->audit, aerr, sizeof(aerr))) {
                err = audit_failed(rt, "checkpoint", aerr, errstr, errstr_size);
                goto out;
            }
        }
        progress(rt, 0);
        gdx_metrics_tick(rt->metrics);
    }
    /* stopped: the batch in commit ends first (committed within the grace period, or
     * aborted), then whatever the last poll left open */
    if ((err = commit_settle(rt, 0, errstr, errstr_size)) == GDX_ERR_STOPPED) {
        err = GDX_OK;
    }
    if (!err && rt->cur->open) {
        batch_abort(rt, rt->cur, "stopping");
    }
out:
    worker_stop(rt);
    if (rt->commit_running || rt->commit_pending) {
        char serr[512];
        commit_settle(rt, 1, serr, sizeof(serr));
    }
    gdx_metrics_state(rt->metrics, err ? "failed" : "stopped", err ? errstr : NULL);
    audit_finish(rt, err, errstr);
    progress(rt, 1);
    gdx_log(GDX_LOG_INFO, "stopped",
            " records=%" PRIu64 " dead=%" PRIu64 " batches=%" PRIu64 " aborts=%" PRIu64
            " elapsed_ms=%" PRId64,
            rt->total_records, rt->total_dead, rt->total_batches, rt->total_aborts,
            gdx_mono_ms() - rt->started_ms);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * check, offsets
 */

int gdx_runtime_check(struct gdx_runtime *rt, FILE *out, char *errstr, size_t errstr_size)
{
    int err;
    int32_t cnt;
    rd_kafka_t *rk;
    const char *topics[3] = {rt->topic, rt->offsets_topic, rt->dlq_topic};
    int failed = 0;

    fprintf(out, "config     %s: ok (sm3 %.16s...)\n", rt->path, rt->config_sm3);
    fprintf(out, "connector  %s (kind %s, unit %s, system %s)\n", rt->id, rt->kind, rt->unit,
            rt->system);
    fprintf(out, "schema     %s: %zu fields, fingerprint %016" PRIx64 "\n", rt->schema->fullname,
            rt->schema->nfields, rt->schema->fingerprint);
    rt->inst_inited = 1;
    if ((err = rt->conn->init(&rt->ctx, rt->inst, errstr, errstr_size))) {
        fprintf(out, "source     FAILED: %s\n", errstr);
        return err;
    }
    if ((err = rt->conn->check(&rt->ctx, rt->inst, errstr, errstr_size))) {
        fprintf(out, "source     FAILED: %s\n", errstr);
        return err;
    }
    fprintf(out, "source     ok\n");
    if (rt->policy && gdx_policy_header(rt->policy)[0]) {
        fprintf(out, "protect    %s%s\n", gdx_policy_header(rt->policy),
                gdx_policy_seals_dead_letters(rt->policy) ? " (dead letters sealed)" : "");
    }
    if (rt->auditc.dir) {
        if (mkdir(rt->auditc.dir, 0750) && errno != EEXIST) {
            fprintf(out, "audit      FAILED: cannot create '%s': %s\n", rt->auditc.dir,
                    strerror(errno));
            failed = 1;
        } else if (access(rt->auditc.dir, W_OK) != 0) {
            fprintf(out, "audit      FAILED: '%s' is not writable: %s\n", rt->auditc.dir,
                    strerror(errno));
            failed = 1;
        } else {
            fprintf(out, "audit      %s: writable, checkpoints signed with '%s'\n", rt->auditc.dir,
                    rt->auditc.key_file);
        }
    } else {
        fprintf(out, "audit      none configured (batches leave no evidence)\n");
    }
    if (rt->registry_url) {
        char rerr[512], subject[512];
        int32_t id;
        struct gdx_registry *reg = gdx_registry_new(rt->registry_url, rt->registry_auth,
                                                    rt->registry_ca, rerr, sizeof(rerr));
        if (reg) {
            gdx_registry_set_tls(reg, &rt->registry_tls);
        }
        snprintf(subject, sizeof(subject), "%s-value", rt->topic);
        int rc = reg ? gdx_registry_lookup(reg, subject, rt->schema->text, &id, rerr, sizeof(rerr))
                     : GDX_ERR_CONFIG;
        if (rc == GDX_OK) {
            fprintf(out, "registry   %s: schema registered under '%s' as id %d\n", rt->registry_url,
                    subject, (int)id);
        } else if (rc == GDX_ERR_NOENT) {
            fprintf(out, "registry   %s: reachable; '%s' will be registered at the first run\n",
                    rt->registry_url, subject);
        } else {
            fprintf(out, "registry   FAILED: %s\n", rerr);
            failed = 1;
        }
        gdx_registry_destroy(reg);
    }
    rk = gdx_kafka_consumer_new(&rt->kafka, "gdx-check", errstr, errstr_size);
    if (!rk) {
        return GDX_ERR_CONFIG;
    }
    for (int i = 0; i < 3; i++) {
        err = gdx_kafka_partition_count(rk, topics[i], 5000, &cnt, errstr, errstr_size);
        if (err) {
            fprintf(out, "kafka      topic %s: FAILED: %s\n", topics[i], errstr);
            failed = 1;
        } else {
            fprintf(out, "kafka      topic %s: %d partitions\n", topics[i], cnt);
        }
    }
    rd_kafka_destroy(rk);
    if (failed) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "kafka at '%s' is not ready",
                          rt->kafka.bootstrap);
    }
    fprintf(out, "result     ok: the connector can run\n");
    return GDX_OK;
}

int gdx_runtime_offsets_show(struct gdx_runtime *rt, FILE *out, char *errstr, size_t errstr_size)
{
    char *value = NULL;
    int64_t off = -1;
    int err;
    rd_kafka_t *rk = gdx_kafka_consumer_new(&rt->kafka, "gdx-offsets-show", errstr, errstr_size);
    if (!rk) {
        return GDX_ERR_CONFIG;
    }
    err = gdx_kafka_read_last(rk, rt->offsets_topic, rt->id, RT_KAFKA_TIMEOUT, &value, &off, errstr,
                              errstr_size);
    rd_kafka_destroy(rk);
    if (err) {
        return err;
    }
    if (!value) {
        fprintf(out, "{\"connector\":\"%s\",\"offset\":null}\n", rt->id);
    } else {
        fprintf(out, "%s\n", value);
    }
    free(value);
    return GDX_OK;
}

int gdx_runtime_offsets_set(struct gdx_runtime *rt, const char *offset_json, char *errstr,
                            size_t errstr_size)
{
    int err;
    char *value;
    json_t *off = NULL;

    if (offset_json) {
        json_error_t jerr;
        off = json_loads(offset_json, JSON_DECODE_ANY, &jerr);
        if (!off) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "offset is not valid JSON: %s (column %d)", jerr.text, jerr.column);
        }
    }
    if ((err = lock_take(rt, errstr, errstr_size))) {
        json_decref(off);
        return err;
    }
    if ((err = audit_open(rt, errstr, errstr_size))) {
        json_decref(off);
        return err;
    }
    if (rt->audit) {
        char aerr[512];
        const char *user = getenv("SUDO_USER") ? getenv("SUDO_USER")
                           : getenv("USER")    ? getenv("USER")
                                               : "unknown";
        if (gdx_audit_operator(rt->audit, user, offset_json ? "offset.set" : "offset.reset", rt->id,
                               offset_json, aerr, sizeof(aerr))) {
            json_decref(off);
            return audit_failed(rt, "operator", aerr, errstr, errstr_size);
        }
    }
    if ((err = producer_up(rt, errstr, errstr_size))) {
        json_decref(off);
        return err;
    }
    int32_t cnt = 0;
    if ((err = gdx_kafka_partition_count(rt->rk, rt->offsets_topic, RT_KAFKA_TIMEOUT, &cnt, errstr,
                                         errstr_size))) {
        json_decref(off);
        return err;
    }
    rt->offsets_partition = gdx_murmur2_partition(rt->id, strlen(rt->id), cnt);
    batch_reset(rt);
    /* the batch's own offset record carries the position: exactly one record per action */
    rt->cur->operator_action = offset_json ? "set" : "reset";
    value = off ? json_dumps(off, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(off);
    if (value) {
        set_offset(rt->cur, value);
    }
    if ((err = batch_open(rt)) == GDX_OK) {
        err = batch_commit(rt, rt->cur, errstr, errstr_size);
    }
    if (err) {
        batch_abort(rt, rt->cur, errstr);
    } else {
        audit_mirror_done(rt, rt->cur);
        gdx_log(GDX_LOG_INFO, offset_json ? "operator set the offset" : "operator reset the offset",
                " offset=%s user=%s", offset_json ? offset_json : "start",
                getenv("USER") ? getenv("USER") : "unknown");
    }
    free(value);
    return err;
}
