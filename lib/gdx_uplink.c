/*
 * gdx_uplink.c - exactly-once forwarding from the city cluster to the provincial cluster.
 *
 * A Kafka transaction cannot span two clusters, so the uplink keeps its read positions on
 * the destination: each batch is one provincial transaction holding the forwarded records
 * and one record per source partition read in `_gdx.uplink.offsets` (key
 * `<city id>/<topic>/<partition>`, value {next, batch, ...}). Invariants:
 *
 *  - After a start and after every aborted attempt the positions come from
 *    `_gdx.uplink.offsets` as a read_committed consumer of the provincial cluster sees them,
 *    never from memory. librdkafka 2.0.2's mock cluster shows aborted records to such
 *    consumers and does not fence; resuming from what the topic shows keeps the uplink and a
 *    checker consistent, and every attempt carries its own uplink batch id (header
 *    gdx.uplink.batch, recorded in the offset records).
 *  - The offset records of a batch are produced only after every forwarded record has its
 *    delivery report, and every dead letter (city cluster, outside the transaction) has its
 *    delivery report before the commit: the uplink DLQ is at least once.
 *  - Nothing leaves that the policy does not allow: a topic whose schema shares `none` is
 *    never read; a record that cannot be decoded, has an unknown schema, or fails a
 *    protection goes to the city's `_gdx.dlq.uplink.<destination>`.
 *  - A retention gap (stored position below the low watermark) is never skipped silently:
 *    the partition stops until an operator accepts the gap (`--accept-gap`).
 *
 *  - Batches are pipelined: batch N is committed on a thread of its own (commit_main) while
 *    batch N+1 is read, checked and protected into a stash, since its transaction cannot
 *    begin before N's ends. N+1 begins, and its stash goes to librdkafka, only once N is
 *    settled (its audit event written, its positions moved on); only one batch's messages
 *    are ever with librdkafka. While the committer runs it alone calls the producers; the
 *    main thread neither produces nor polls them, nor writes audit lines. A failure of
 *    either batch aborts the open transaction, drops the stash, and resumes from the
 *    offsets topic on a new producer and a new city consumer.
 *
 * Records are re-encoded only when their schema has a protection rule: the body is checked
 * by a bounded walk over Avro-C's schema (lengths against the bytes left) that notes where
 * each field starts; the output is the body with the protected string fields' encodings
 * replaced, every other byte copied as it was. Protection changes values, never schemas, so the
 * same schema (registered in the provincial registry under `<provincial topic>-value`) describes
 * the result.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <avro.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gdx.h"
#include "gdx_audit.h"
#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_deploy.h"
#include "gdx_fault.h"
#include "gdx_kafka.h"
#include "gdx_limits.h"
#include "gdx_lock.h"
#include "gdx_log.h"
#include "gdx_metrics.h"
#include "gdx_policy.h"
#include "gdx_protect.h"
#include "gdx_registry.h"
#include "gdx_uplink.h"
#include "gdx_util.h"

#define UP_OFFSETS_TOPIC  "_gdx.uplink.offsets"
#define UP_KAFKA_TIMEOUT  10000
#define UP_BACKOFF_MAX_MS 30000
#define UP_ALARM_EVERY_MS 60000
#define UP_PROGRESS_MS    10000
#define UP_STALL_MS       10000 /* no delivery progress: the destination is taken as down */
#define UP_SKIP_BUDGET    GDX_LIMIT_AVRO_VALUES
#define UP_SKIP_DEPTH     GDX_LIMIT_AVRO_DEPTH

/* ---------------------------------------------------------------------------------------
 * Types
 */

struct up_topic;

struct up_part {
    struct up_topic *topic;
    int32_t partition;
    char *key;              /* <city id>/<topic>/<partition> */
    int64_t next;           /* committed next offset as the offsets topic shows it, -1 none */
    int64_t pos;            /* next offset to forward in this attempt */
    int stopped;            /* a gap: not consumed */
    int accept_gap;         /* operator accepted a gap here */
    json_t *gap;            /* gap note for the next offset record */
    int touched;            /* read in this attempt */
    int eof;                /* at the end in this attempt */
    uint64_t records, dead; /* of this attempt */
    int64_t lag_warned_ms;
    int64_t first, last; /* offsets read in this attempt */
    /* the newest offset record as read at start: its batch, commit time and counts */
    char *cbatch, *cat;
    int64_t cfirst, clast;
    uint64_t crecords;
};

struct up_topic {
    char *name; /* city topic */
    char *dest; /* provincial topic */
    int32_t npart;
    int skip;              /* not shared: never read */
    int64_t retention_ms;  /* from the cluster, else source.retention.ms; 0 unknown, -1 none */
    const char *approval;  /* approval id (borrowed from config) or NULL */
    rd_kafka_topic_t *rkt; /* provincial topic handle */
    struct up_part **byp;  /* owned partitions by number (NULL: not ours) */
};

struct up_destid {
    char *topic;
    int32_t id;
};

/* A message of a batch whose transaction cannot begin yet (the batch before is being
 * committed): key and value in the stash's buffer, headers ready for rd_kafka_producev. */
struct up_smsg {
    struct up_topic *topic; /* NULL: a dead letter for the city's DLQ */
    size_t koff, klen, voff, vlen;
    int has_key, has_val;
    int64_t ts;
    rd_kafka_headers_t *hdrs;
};

struct up_stash {
    struct up_smsg *msgs;
    size_t n, cap;
    unsigned char *buf;
    size_t len, size;
};

/* What a committed batch moves on, per source partition it read. */
struct up_mark {
    struct up_part *part;
    int64_t from, pos;      /* the committed position before it, the next offset after it */
    uint64_t records, dead; /* forwarded and dead-lettered from this partition */
    int64_t first, last;    /* offsets read, -1 none */
    json_t *gap;            /* an accepted gap recorded by this batch (owned) */
};

/* The batch handed to the committer thread: everything it and the settling after it need,
 * so that the main thread fills the next batch meanwhile without sharing its state. */
struct up_closing {
    char batch[48];
    uint64_t records, dead, bytes;
    int64_t t_fill, t_deliver, t_commit;
    struct up_mark *marks;
    size_t n, cap;
    int err;
    char errstr[1024];
};

/* A source schema, known by fingerprint (single-object) or by city registry id. */
struct up_schema {
    int confluent;
    uint64_t fp;
    int32_t src_id;
    struct gdx_schema *schema; /* borrowed from the set, or owned when @owned */
    int owned;
    struct gdx_policy *policy;
    struct gdx_recoder *rc;
    char *policy_err;  /* the policy cannot be built: every record is a dead letter */
    char *protect_hdr; /* gdx.protect of the uplink's rules ("" none) */
    struct up_destid *ids;
    size_t nids;
    struct up_schema *next;
};

/* How the walk steps over one top-level field: the common shapes (a primitive, an enum, a
 * fixed, a union of null and one of those) without asking Avro-C's schema per value; any
 * other shape through skip_value. The same checks and the same budget either way. */
enum {
    UPW_GENERIC,
    UPW_NULL,
    UPW_BOOL,
    UPW_INT,
    UPW_LONG,
    UPW_FLOAT,
    UPW_DOUBLE,
    UPW_BYTES,
    UPW_FIXED,
    UPW_ENUM
};

struct up_walk {
    int kind;
    int opt;         /* a union of two branches, one of them null */
    int64_t null_br; /* the null branch's index */
    int64_t n;       /* fixed size, enum symbol count */
    avro_schema_t s; /* the field's schema (UPW_GENERIC) */
};

struct gdx_recoder {
    const struct gdx_schema *schema;
    const struct gdx_policy *policy;
    struct up_walk *walk; /* per field */
    int *idx;             /* field index of each rule, ascending */
    const struct gdx_protect_rule **rules;
    size_t n;
    size_t *start;      /* byte offset of each field in the body, + end */
    unsigned char *buf; /* the output */
    size_t len, cap;
};

struct gdx_uplink {
    /* config */
    struct gdx_node *root;
    char *path, *dir;
    char config_sm3[65];
    char *city, *destination;
    int64_t instance, instances;
    struct gdx_kafka_conf src_kc, dst_kc;
    char *src_reg_url, *src_reg_auth, *src_reg_ca;
    char *dst_reg_url, *dst_reg_auth, *dst_reg_ca;
    struct gdx_tls src_tls, dst_tls; /* registries: the city's from the deployment file */
    char **topics;
    size_t ntopics_conf;
    char *pattern;
    char *schemas_dir;
    int64_t retention_ms;
    char *topic_prefix;
    const struct gdx_node *topic_map;
    int share_unconditional, share_conditional;
    const struct gdx_node *approvals, *protect, *keys;
    int require_spi;
    int64_t batch_max_records, batch_max_bytes, batch_max_ms, grace_ms;
    char *state_dir;
    char *dlq_topic;
    char **accepted; /* --accept-gap TOPIC/PARTITION */
    size_t naccepted;

    /* resources */
    struct gdx_schema_set *set;
    struct gdx_registry *src_reg, *dst_reg;
    struct up_schema *schemas, *last_schema;
    struct up_topic *tv;
    size_t nt;
    struct up_part **parts;
    size_t nparts;
    rd_kafka_t *consumer;      /* city, read_committed, assign only */
    rd_kafka_t *off_consumer;  /* provincial, reads _gdx.uplink.offsets */
    rd_kafka_t *rk;            /* provincial transactional producer */
    rd_kafka_t *dlq;           /* city producer for dead letters */
    rd_kafka_queue_t *admin_q; /* the city cluster's answer about retention, until read */
    rd_kafka_topic_t *rkt_off, *rkt_dlq;
    char tid[300];
    int lock_fd;
    const volatile int *stop;
    struct gdx_metrics *metrics; /* reports to a supervisor (gdx_metrics.h), NULL when none */

    /* attempt */
    uint64_t gen;
    uint64_t dr_failed, dlq_failed;
    rd_kafka_resp_err_t dr_err, dlq_err;
    int64_t last_dr_ms;
    int fatal;
    int open;    /* the current batch has something to commit (records, dead letters, a gap) */
    int started; /* its transaction is begun: its messages go to librdkafka, not the stash */
    int txn;     /* a transaction is open on up->rk (the current batch's or the closing one's) */
    int error;
    char batch[48];
    char batch_prefix[24];
    uint64_t batch_seq;
    uint64_t b_records, b_dead, b_bytes;
    int64_t b_started;
    int64_t t_fill, t_deliver, t_commit; /* ms spent in the phases of the last attempt */
    unsigned char *valbuf;
    size_t valcap;

    /* the pipeline: the batch before is committed on its own thread (commit_main) while
     * this one is read, checked and protected into the stash */
    struct up_stash stash;
    struct up_closing closing;
    pthread_t commit_thread;
    int commit_running; /* commit_main started on closing and not joined */
    int commit_pending; /* joined; its result not yet acted on */
    atomic_int commit_done;
    int audit_broken; /* the audit trail cannot be written: stop */

    /* audit trail */
    struct gdx_audit_conf auditc;
    struct gdx_audit *audit;
    struct gdx_audit_ranges *dranges; /* destination offsets and digests of the attempt */
    char actor[200];

    /* outage alarm */
    int down;
    int64_t down_since, down_alarm;

    /* counters */
    struct gdx_uplink_stats st;
    int64_t started_ms, last_progress_ms;
    uint64_t progress_records;
};

/* ---------------------------------------------------------------------------------------
 * Small helpers
 */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return s;
}

static int stopping(const struct gdx_uplink *up)
{
    return up->stop && *up->stop;
}

static void nap(struct gdx_uplink *up, int64_t ms)
{
    int64_t end = gdx_mono_ms() + ms;
    while (!stopping(up) && gdx_mono_ms() < end) {
        int64_t left = end - gdx_mono_ms();
        int t = (int)(left < 100 ? left : 100);
        if (up->rk) {
            rd_kafka_poll(up->rk, t);
        } else {
            struct timespec ts = {0, (long)t * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (up->dlq) {
            rd_kafka_poll(up->dlq, 0);
        }
    }
}

static int64_t backoff_next(int64_t b)
{
    return b * 2 > UP_BACKOFF_MAX_MS ? UP_BACKOFF_MAX_MS : b * 2;
}

/* ---------------------------------------------------------------------------------------
 * Bounded walk over an Avro body, following Avro-C's schema: every length and count is
 * checked against the bytes left before anything relies on it.
 */

static int read_long(const unsigned char **p, const unsigned char *end, int64_t *out)
{
    uint64_t u = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) {
            return -1;
        }
        unsigned char b = *(*p)++;
        u |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return -1;
}

static int skip_value(avro_schema_t s, const unsigned char **p, const unsigned char *end,
                      long *budget, int depth)
{
    int64_t n;
    if (depth > UP_SKIP_DEPTH || --*budget < 0) {
        return -1;
    }
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (*p >= end || **p > 1) {
            return -1;
        }
        (*p)++;
        return 0;
    case AVRO_INT32:
        return read_long(p, end, &n) || n < INT32_MIN || n > INT32_MAX ? -1 : 0;
    case AVRO_INT64:
        return read_long(p, end, &n);
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        size_t w = avro_typeof(s) == AVRO_FLOAT ? 4 : 8;
        if ((size_t)(end - *p) < w) {
            return -1;
        }
        *p += w;
        return 0;
    }
    case AVRO_STRING:
    case AVRO_BYTES:
        if (read_long(p, end, &n) || n < 0 || n > end - *p) {
            return -1;
        }
        *p += n;
        return 0;
    case AVRO_FIXED:
        n = avro_schema_fixed_size(s);
        if (n < 0 || n > end - *p) {
            return -1;
        }
        *p += n;
        return 0;
    case AVRO_ENUM:
        return read_long(p, end, &n) || n < 0 || n >= avro_schema_enum_number_of_symbols(s) ? -1
                                                                                            : 0;
    case AVRO_ARRAY:
    case AVRO_MAP: {
        int map = avro_typeof(s) == AVRO_MAP;
        avro_schema_t item = map ? avro_schema_map_values(s) : avro_schema_array_items(s);
        for (;;) {
            int64_t count, bytes = -1;
            const unsigned char *items;
            if (read_long(p, end, &count)) {
                return -1;
            }
            if (count == 0) {
                return 0;
            }
            if (count < 0) {
                if (count == INT64_MIN || read_long(p, end, &bytes) || bytes < 0 ||
                    bytes > end - *p) {
                    return -1;
                }
                count = -count;
            }
            if (count > *budget) {
                return -1;
            }
            items = *p;
            for (int64_t i = 0; i < count; i++) {
                if (map && (read_long(p, end, &n) || n < 0 || n > end - *p)) {
                    return -1;
                }
                if (map) {
                    *p += n;
                }
                if (skip_value(item, p, end, budget, depth + 1)) {
                    return -1;
                }
            }
            if (bytes >= 0 && *p - items != bytes) {
                return -1; /* a block that gives its size must be exactly that size */
            }
        }
    }
    case AVRO_UNION:
        if (read_long(p, end, &n) || n < 0 || (size_t)n >= avro_schema_union_size(s)) {
            return -1;
        }
        return skip_value(avro_schema_union_branch(s, (int)n), p, end, budget, depth + 1);
    case AVRO_RECORD: {
        size_t nf = avro_schema_record_size(s);
        for (size_t i = 0; i < nf; i++) {
            if (skip_value(avro_schema_record_field_get_by_index(s, (int)i), p, end, budget,
                           depth + 1)) {
                return -1;
            }
        }
        return 0;
    }
    case AVRO_LINK:
        return skip_value(avro_schema_link_target(s), p, end, budget, depth + 1);
    default:
        return -1;
    }
}

static avro_schema_t walk_resolve(avro_schema_t s)
{
    for (int i = 0; i < UP_SKIP_DEPTH && s && avro_typeof(s) == AVRO_LINK; i++) {
        s = avro_schema_link_target(s);
    }
    return s;
}

static int walk_kind(avro_schema_t s, int64_t *n)
{
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return UPW_NULL;
    case AVRO_BOOLEAN:
        return UPW_BOOL;
    case AVRO_INT32:
        return UPW_INT;
    case AVRO_INT64:
        return UPW_LONG;
    case AVRO_FLOAT:
        return UPW_FLOAT;
    case AVRO_DOUBLE:
        return UPW_DOUBLE;
    case AVRO_STRING:
    case AVRO_BYTES:
        return UPW_BYTES;
    case AVRO_FIXED:
        *n = avro_schema_fixed_size(s);
        return *n < 0 ? UPW_GENERIC : UPW_FIXED;
    case AVRO_ENUM:
        *n = avro_schema_enum_number_of_symbols(s);
        return UPW_ENUM;
    default:
        return UPW_GENERIC;
    }
}

static void walk_plan(struct up_walk *w, avro_schema_t s)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    s = walk_resolve(s);
    if (s && avro_typeof(s) == AVRO_UNION && avro_schema_union_size(s) == 2) {
        avro_schema_t b0 = walk_resolve(avro_schema_union_branch(s, 0));
        avro_schema_t b1 = walk_resolve(avro_schema_union_branch(s, 1));
        int nul = b0 && avro_typeof(b0) == AVRO_NULL   ? 0
                  : b1 && avro_typeof(b1) == AVRO_NULL ? 1
                                                       : -1;
        avro_schema_t other = nul == 0 ? b1 : b0;
        if (nul >= 0 && other && avro_typeof(other) != AVRO_NULL &&
            (w->kind = walk_kind(other, &w->n)) != UPW_GENERIC) {
            w->opt = 1;
            w->null_br = nul;
            return;
        }
        w->kind = UPW_GENERIC;
        return;
    }
    w->kind = s ? walk_kind(s, &w->n) : UPW_GENERIC;
}

/* Step over one top-level field as skip_value would (depth 1): -1 when the bytes do not
 * encode a value of the field's type. */
static int walk_field(const struct up_walk *w, const unsigned char **p, const unsigned char *end,
                      long *budget)
{
    int64_t n;
    if (w->kind == UPW_GENERIC) {
        return skip_value(w->s, p, end, budget, 1);
    }
    if (--*budget < 0) {
        return -1;
    }
    if (w->opt) {
        if (read_long(p, end, &n) || n < 0 || n > 1 || --*budget < 0) {
            return -1;
        }
        if (n == w->null_br) {
            return 0;
        }
    }
    switch (w->kind) {
    case UPW_NULL:
        return 0;
    case UPW_BOOL:
        if (*p >= end || **p > 1) {
            return -1;
        }
        (*p)++;
        return 0;
    case UPW_INT:
        return read_long(p, end, &n) || n < INT32_MIN || n > INT32_MAX ? -1 : 0;
    case UPW_LONG:
        return read_long(p, end, &n);
    case UPW_FLOAT:
    case UPW_DOUBLE: {
        size_t width = w->kind == UPW_FLOAT ? 4 : 8;
        if ((size_t)(end - *p) < width) {
            return -1;
        }
        *p += width;
        return 0;
    }
    case UPW_BYTES:
        if (read_long(p, end, &n) || n < 0 || n > end - *p) {
            return -1;
        }
        *p += n;
        return 0;
    case UPW_FIXED:
        if (w->n > end - *p) {
            return -1;
        }
        *p += w->n;
        return 0;
    case UPW_ENUM:
        return read_long(p, end, &n) || n < 0 || n >= w->n ? -1 : 0;
    default:
        return -1;
    }
}

int gdx_recoder_new(struct gdx_recoder **out, const struct gdx_schema *schema,
                    const struct gdx_policy *policy, char *errstr, size_t errstr_size)
{
    struct gdx_recoder *rc = gdx_xcalloc(1, sizeof(*rc));
    rc->schema = schema;
    rc->policy = policy;
    rc->walk = gdx_xcalloc(schema->nfields + 1, sizeof(*rc->walk));
    for (size_t i = 0; i < schema->nfields; i++) {
        walk_plan(&rc->walk[i], avro_schema_record_field_get_by_index(schema->avro, (int)i));
    }
    rc->idx = gdx_xcalloc(schema->nfields, sizeof(int));
    rc->rules = gdx_xcalloc(schema->nfields, sizeof(*rc->rules));
    rc->start = gdx_xcalloc(schema->nfields + 1, sizeof(*rc->start));
    for (size_t i = 0; policy && i < schema->nfields; i++) {
        const struct gdx_protect_rule *r = gdx_policy_rule(policy, (int)i);
        const struct gdx_field *f = &schema->fields[i];
        if (!r || r->action == GDX_PROTECT_KEEP) {
            continue;
        }
        if ((r->action == GDX_PROTECT_DROP && !f->nullable) ||
            (r->action != GDX_PROTECT_DROP && f->type != AVRO_STRING)) {
            int err = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                                 "field '%s' of '%s': '%s' needs a %s field", f->name,
                                 schema->fullname, gdx_protect_action_name(r->action),
                                 r->action == GDX_PROTECT_DROP ? "nullable" : "string");
            gdx_recoder_destroy(rc);
            return err;
        }
        rc->idx[rc->n] = (int)i; /* ascending: the output is spliced in field order */
        rc->rules[rc->n] = r;
        rc->n++;
    }
    (void)errstr;
    *out = rc;
    return GDX_OK;
}

void gdx_recoder_destroy(struct gdx_recoder *rc)
{
    if (!rc) {
        return;
    }
    free(rc->buf);
    free(rc->walk);
    free(rc->idx);
    free(rc->rules);
    free(rc->start);
    free(rc);
}

size_t gdx_recoder_rules(const struct gdx_recoder *rc)
{
    return rc->n;
}

void gdx_recoder_set_generic(struct gdx_recoder *rc)
{
    for (size_t i = 0; i < rc->schema->nfields; i++) {
        rc->walk[i].kind = UPW_GENERIC;
    }
}

static void out_reserve(struct gdx_recoder *rc, size_t add)
{
    if (rc->len + add > rc->cap) {
        size_t cap = rc->cap ? rc->cap : 1024;
        while (cap < rc->len + add) {
            cap *= 2;
        }
        rc->buf = gdx_xrealloc(rc->buf, cap);
        rc->cap = cap;
    }
}

static void out_bytes(struct gdx_recoder *rc, const void *p, size_t n)
{
    if (!n) {
        return; /* rc->buf may still be NULL: no pointer arithmetic on it */
    }
    out_reserve(rc, n);
    memcpy(rc->buf + rc->len, p, n);
    rc->len += n;
}

static void out_long(struct gdx_recoder *rc, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    out_reserve(rc, 10);
    while (u >= 0x80) {
        rc->buf[rc->len++] = (unsigned char)(u | 0x80);
        u >>= 7;
    }
    rc->buf[rc->len++] = (unsigned char)u;
}

/*
 * The body is walked once (bounded), remembering where each top-level field starts; the
 * output is the input with the protected fields' encodings replaced, every other byte copied
 * as it was, so re-encoding can never alter a field it does not protect.
 */
int gdx_recoder_apply(struct gdx_recoder *rc, const void *body, size_t len, const void **out,
                      size_t *out_len, const char **stage, const char **field, char *errstr,
                      size_t errstr_size)
{
    const unsigned char *p = body, *end = p + len, *copied = p;
    const struct gdx_schema *s = rc->schema;
    long budget = UP_SKIP_BUDGET;

    *stage = "decode";
    *field = NULL;
    for (size_t i = 0; i < s->nfields; i++) {
        rc->start[i] = (size_t)(p - (const unsigned char *)body);
        if (walk_field(&rc->walk[i], &p, end, &budget)) {
            *field = s->fields[i].name;
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "body is not a valid '%s' record (%zu bytes): field '%s'",
                              s->fullname, len, s->fields[i].name);
        }
    }
    rc->start[s->nfields] = (size_t)(p - (const unsigned char *)body);
    if (p != end) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "body is not a valid '%s' record: %zu trailing bytes", s->fullname,
                          (size_t)(end - p));
    }
    if (!rc->n) {
        *out = body;
        *out_len = len;
        return GDX_OK;
    }
    *stage = "protect";
    rc->len = 0;
    for (size_t r = 0; r < rc->n; r++) {
        const struct gdx_field *f = &s->fields[rc->idx[r]];
        const unsigned char *fp = (const unsigned char *)body + rc->start[f->index];
        const unsigned char *fend = (const unsigned char *)body + rc->start[f->index + 1];
        const char *val = NULL;
        int64_t n = 0, branch = -1;
        char *res = NULL;
        int err;

        *field = f->name;
        out_bytes(rc, copied, (size_t)(fp - copied));
        copied = fend;
        if (rc->rules[r]->action == GDX_PROTECT_DROP) {
            out_long(rc, f->null_branch);
            continue;
        }
        /* a string or a nullable string: the walk above checked every length */
        if (f->nullable && read_long(&fp, fend, &branch)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': bad union", f->name);
        }
        if (!f->nullable || branch != f->null_branch) {
            if (read_long(&fp, fend, &n) || n < 0 || n > fend - fp) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': bad string",
                                  f->name);
            }
            val = (const char *)fp;
        }
        if (!val) {
            out_long(rc, f->null_branch); /* null stays null under every action */
            continue;
        }
        err = gdx_protect_apply(rc->rules[r], gdx_policy_keys(rc->policy), val, (size_t)n, &res,
                                errstr, errstr_size);
        if (err) {
            return err;
        }
        if (!res) {
            if (!f->nullable) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                                  "field '%s' is not nullable: cannot write null", f->name);
            }
            out_long(rc, f->null_branch);
            continue;
        }
        size_t rlen = strlen(res);
        if (f->nullable) {
            out_long(rc, f->value_branch);
        }
        out_long(rc, (int64_t)rlen);
        out_bytes(rc, res, rlen);
        OPENSSL_cleanse(res, rlen);
        free(res);
    }
    out_bytes(rc, copied, (size_t)(end - copied));
    *stage = "encode";
    *field = NULL;
    *out = rc->buf;
    *out_len = rc->len;
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Config
 */

static int conf_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));
static int conf_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *fmt,
                    ...)
{
    char where[256], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                      gdx_conf_where(n, where, sizeof(where)), msg);
}

static int conf_key_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
static int conf_key_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *fmt,
                        ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s:%d:%d: %s", n->file, n->key_line,
                      n->key_col, msg);
}

static int conf_map(const struct gdx_node *root, const char *key, int required,
                    const struct gdx_node **out, char *errstr, size_t errstr_size)
{
    const struct gdx_node *n = gdx_conf_get(root, key);
    *out = NULL;
    if (!n) {
        return required ? conf_err(errstr, errstr_size, root, "missing required map '%s'", key)
                        : GDX_OK;
    }
    if (n->type != GDX_NODE_MAP) {
        return conf_err(errstr, errstr_size, n, "'%s' must be a map", key);
    }
    *out = n;
    return GDX_OK;
}

static int conf_str(const struct gdx_node *map, const char *key, int required, char **out,
                    char *errstr, size_t errstr_size)
{
    const struct gdx_node *n = gdx_conf_get(map, key);
    const char *v;
    int err;
    if (!n) {
        return required ? conf_err(errstr, errstr_size, map, "missing required key '%s'", key)
                        : GDX_OK;
    }
    if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
        return err;
    }
    if (!*v && required) {
        return conf_err(errstr, errstr_size, n, "'%s' must not be empty", key);
    }
    free(*out);
    *out = gdx_xstrdup(v);
    return GDX_OK;
}

static int name_ok(const char *s, int allow_dot)
{
    if (!*s) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || (allow_dot && *p == '.'))) {
            return 0;
        }
    }
    return 1;
}

static const char *const sasl_mechs[] = {"PLAIN",  "SCRAM-SHA-256", "SCRAM-SHA-512",
                                         "GSSAPI", "OAUTHBEARER",   NULL};

/*
 * One cluster section: gdx keys (@p own, handled by the caller), bootstrap.servers, and the
 * TLS/SASL settings passed through to librdkafka after validation. Anything else is an error.
 */
static int kafka_section(const struct gdx_uplink *up, const struct gdx_node *map,
                         const char *section, const char *const *own, struct gdx_kafka_conf *kc,
                         char *errstr, size_t errstr_size)
{
    const char *proto = "plaintext";
    const struct gdx_node *sasl_node = NULL, *ssl_node = NULL, *proto_node = NULL;

    memset(kc, 0, sizeof(*kc));
    kc->props = gdx_xcalloc(2 * map->nkids + 1, sizeof(char *));
    for (size_t i = 0; i < map->nkids; i++) {
        const struct gdx_node *kid = map->kids[i];
        const char *k = kid->key, *v;
        char *val = NULL;
        int mine = 0, err;
        for (const char *const *o = own; *o; o++) {
            mine |= !strcmp(*o, k);
        }
        if (mine) {
            continue;
        }
        if (strcmp(k, "bootstrap.servers") && strcmp(k, "security.protocol") &&
            strncmp(k, "ssl.", 4) && strncmp(k, "sasl.", 5)) {
            char known[512] = "";
            for (const char *const *o = own; *o; o++) {
                size_t l = strlen(known);
                snprintf(known + l, sizeof(known) - l, "%s, ", *o);
            }
            return conf_key_err(errstr, errstr_size, kid,
                                "unknown key '%s' in '%s' (known: %sbootstrap.servers, "
                                "security.protocol, ssl.*, sasl.*)",
                                k, section, known);
        }
        char *fprop = NULL, *fval = NULL;
        if ((err = gdx_kafka_secret_file(kid, &fprop, &fval, errstr, errstr_size)) < 0) {
            return err;
        }
        if (err == 1) {
            /* `sasl.password.file: PATH`: the secret property, read from the file */
            kc->props[2 * kc->nprops] = fprop;
            kc->props[2 * kc->nprops + 1] = fval;
            kc->nprops++;
            sasl_node = !strncmp(fprop, "sasl.", 5) ? kid : sasl_node;
            ssl_node = !strncmp(fprop, "ssl.", 4) ? kid : ssl_node;
            continue;
        }
        if ((err = gdx_conf_scalar(kid, &v, errstr, errstr_size))) {
            return err;
        }
        if (!strcmp(k, "bootstrap.servers")) {
            free(kc->bootstrap);
            kc->bootstrap = gdx_xstrdup(v);
            continue;
        }
        if (!strcmp(k, "security.protocol")) {
            static const char *const protos[] = {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl",
                                                 NULL};
            int known = 0;
            for (const char *const *p = protos; *p; p++) {
                known |= !strcasecmp(*p, v);
            }
            if (!known) {
                return conf_err(errstr, errstr_size, kid,
                                "unknown security.protocol '%s' (plaintext, ssl, sasl_plaintext, "
                                "sasl_ssl)",
                                v);
            }
            proto = v;
            proto_node = kid;
        } else if (!strcmp(k, "sasl.mechanism") || !strcmp(k, "sasl.mechanisms")) {
            int known = 0;
            for (const char *const *p = sasl_mechs; *p; p++) {
                known |= !strcmp(*p, v);
            }
            if (!known) {
                return conf_err(errstr, errstr_size, kid,
                                "unknown sasl mechanism '%s' (PLAIN, SCRAM-SHA-256, "
                                "SCRAM-SHA-512, GSSAPI, OAUTHBEARER)",
                                v);
            }
        }
        if (!strncmp(k, "sasl.", 5)) {
            sasl_node = kid;
        }
        if (!strncmp(k, "ssl.", 4)) {
            ssl_node = kid;
        }
        size_t kl = strlen(k);
        if (kl > 9 && !strcmp(k + kl - 9, ".location") && strcmp(v, "probe")) {
            struct stat sb;
            val = gdx_path_join(up->dir, v);
            if (stat(val, &sb) || access(val, R_OK)) {
                int e = errno;
                conf_err(errstr, errstr_size, kid, "%s: cannot read '%s': %s", k, val, strerror(e));
                free(val);
                return GDX_ERR_CONFIG;
            }
            if (!S_ISREG(sb.st_mode) && !(S_ISDIR(sb.st_mode) && !strcmp(k, "ssl.ca.location"))) {
                conf_err(errstr, errstr_size, kid, "%s: '%s' is not a regular file", k, val);
                free(val);
                return GDX_ERR_CONFIG;
            }
        }
        if (strstr(k, "password") || strstr(k, "secret") || !strcmp(k, "ssl.key.pem") ||
            !strcmp(k, "sasl.oauthbearer.config")) {
            gdx_log_add_secret(v);
        }
        /* librdkafka's own check, so a bad value names its place now */
        rd_kafka_conf_t *probe = rd_kafka_conf_new();
        char rderr[256];
        rd_kafka_conf_res_t res = rd_kafka_conf_set(probe, k, val ? val : v, rderr, sizeof(rderr));
        rd_kafka_conf_destroy(probe);
        if (res != RD_KAFKA_CONF_OK) {
            free(val);
            return conf_key_err(errstr, errstr_size, kid, "kafka property '%s': %s", k, rderr);
        }
        kc->props[2 * kc->nprops] = gdx_xstrdup(k);
        kc->props[2 * kc->nprops + 1] = val ? val : gdx_xstrdup(v);
        kc->nprops++;
    }
    if (!kc->bootstrap && strcmp(section, "source")) { /* the source's may come from the
                                                        * deployment file */
        return conf_err(errstr, errstr_size, map, "missing required key '%s.bootstrap.servers'",
                        section);
    }
    if (sasl_node && strncasecmp(proto, "sasl_", 5)) {
        return conf_key_err(errstr, errstr_size, sasl_node,
                            "'%s' needs security.protocol sasl_ssl or sasl_plaintext, not '%s'",
                            sasl_node->key, proto);
    }
    if (ssl_node && strcasecmp(proto, "ssl") && strcasecmp(proto, "sasl_ssl")) {
        return conf_key_err(errstr, errstr_size, ssl_node,
                            "'%s' needs security.protocol ssl or sasl_ssl, not '%s'", ssl_node->key,
                            proto);
    }
    (void)proto_node;
    return GDX_OK;
}

static int parse_config(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    const struct gdx_node *root = up->root, *u, *src, *dst, *pol, *n;
    char *loglevel = NULL, *dest_name = NULL;
    int err;

    static const char *const top[] = {
        "uplink",    "source",    "destination",       "policy", "batch", "state.dir",
        "log.level", "dlq.topic", "shutdown.grace.ms", "audit",  NULL};
    if ((err = gdx_conf_only_keys(root, top, errstr, errstr_size)) ||
        (err = conf_map(root, "uplink", 1, &u, errstr, errstr_size)) ||
        (err = conf_map(root, "source", 1, &src, errstr, errstr_size)) ||
        (err = conf_map(root, "destination", 1, &dst, errstr, errstr_size)) ||
        (err = conf_map(root, "policy", 0, &pol, errstr, errstr_size))) {
        return err;
    }

    static const char *const ukeys[] = {"city.id", "destination", "instance", "instances", NULL};
    if ((err = gdx_conf_only_keys(u, ukeys, errstr, errstr_size)) ||
        (err = conf_str(u, "city.id", 1, &up->city, errstr, errstr_size)) ||
        (err = conf_str(u, "destination", 1, &dest_name, errstr, errstr_size))) {
        free(dest_name);
        return err;
    }
    up->destination = dest_name;
    if (!name_ok(up->city, 0)) {
        return conf_err(errstr, errstr_size, gdx_conf_get(u, "city.id"),
                        "city.id '%s' must be letters, digits, '_' or '-' (a region code)",
                        up->city);
    }
    if (!name_ok(up->destination, 1)) {
        return conf_err(errstr, errstr_size, gdx_conf_get(u, "destination"),
                        "destination '%s' must be letters, digits, '.', '_' or '-'",
                        up->destination);
    }
    up->instance = 0;
    up->instances = 1;
    if (((n = gdx_conf_get(u, "instances")) &&
         (err = gdx_conf_int(n, 1, 1024, &up->instances, errstr, errstr_size))) ||
        ((n = gdx_conf_get(u, "instance")) &&
         (err = gdx_conf_int(n, 0, 1023, &up->instance, errstr, errstr_size)))) {
        return err;
    }
    if (up->instance >= up->instances) {
        return conf_err(errstr, errstr_size, gdx_conf_get(u, "instance"),
                        "instance %" PRId64 " must be below instances (%" PRId64 ")", up->instance,
                        up->instances);
    }

    /* source */
    static const char *const sown[] = {"topics",
                                       "topics.pattern",
                                       "schemas",
                                       "retention.ms",
                                       "schema.registry.url",
                                       "schema.registry.basic.auth.user.info",
                                       "schema.registry.ssl.ca.location",
                                       NULL};
    if ((err = kafka_section(up, src, "source", sown, &up->src_kc, errstr, errstr_size))) {
        return err;
    }
    {
        /* the city side starts from the host's deployment file, like every city client */
        struct gdx_deploy *deploy = NULL;
        if ((err = gdx_deploy_load(&deploy, errstr, errstr_size))) {
            return err;
        }
        gdx_deploy_kafka_merge(deploy, &up->src_kc);
        if (!gdx_conf_get(src, "schema.registry.url") && deploy->registry_url) {
            up->src_reg_url = gdx_xstrdup(deploy->registry_url);
            up->src_reg_auth = gdx_xstrdup(deploy->registry_auth);
        }
        gdx_deploy_tls(deploy, &up->src_tls);
        gdx_deploy_destroy(deploy);
        if (!up->src_kc.bootstrap) {
            return conf_err(errstr, errstr_size, src,
                            "missing required key 'source.bootstrap.servers' (here or in the "
                            "deployment file)");
        }
    }
    if ((err = conf_str(src, "schema.registry.url", 0, &up->src_reg_url, errstr, errstr_size)) ||
        (err = conf_str(src, "schema.registry.basic.auth.user.info", 0, &up->src_reg_auth, errstr,
                        errstr_size)) ||
        (err = conf_str(src, "schema.registry.ssl.ca.location", 0, &up->src_reg_ca, errstr,
                        errstr_size)) ||
        (err = conf_str(src, "topics.pattern", 0, &up->pattern, errstr, errstr_size)) ||
        (err = conf_str(src, "schemas", 0, &up->schemas_dir, errstr, errstr_size))) {
        return err;
    }
    if ((n = gdx_conf_get(src, "retention.ms")) &&
        (err = gdx_conf_duration(n, &up->retention_ms, errstr, errstr_size))) {
        return err;
    }
    if ((n = gdx_conf_get(src, "topics"))) {
        if (n->type != GDX_NODE_SEQ) {
            return conf_err(errstr, errstr_size, n, "'topics' must be a list of topic names");
        }
        up->topics = gdx_xcalloc(n->nkids + 1, sizeof(char *));
        for (size_t i = 0; i < n->nkids; i++) {
            const char *v;
            if ((err = gdx_conf_scalar(n->kids[i], &v, errstr, errstr_size))) {
                return err;
            }
            if (!name_ok(v, 1)) {
                return conf_err(errstr, errstr_size, n->kids[i], "invalid topic name '%s'", v);
            }
            up->topics[up->ntopics_conf++] = gdx_xstrdup(v);
        }
    }
    if (up->pattern) {
        regex_t re;
        int rc = regcomp(&re, up->pattern, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[256];
            regerror(rc, &re, msg, sizeof(msg));
            return conf_err(errstr, errstr_size, gdx_conf_get(src, "topics.pattern"),
                            "topics.pattern is not a valid regular expression: %s", msg);
        }
        regfree(&re);
    }
    if (!up->ntopics_conf && !up->pattern) {
        return conf_err(errstr, errstr_size, src,
                        "'source' needs 'topics' (a list) or 'topics.pattern' (a regex)");
    }
    if (up->schemas_dir) {
        char *p = gdx_path_join(up->dir, up->schemas_dir);
        free(up->schemas_dir);
        up->schemas_dir = p;
    } else if (!up->src_reg_url) {
        return conf_err(errstr, errstr_size, src,
                        "'source' needs 'schemas' (a directory of .avsc) or "
                        "'schema.registry.url' to read the city's records");
    }

    /* destination */
    static const char *const down[] = {"topic.prefix",
                                       "topic.map",
                                       "schema.registry.url",
                                       "schema.registry.basic.auth.user.info",
                                       "schema.registry.ssl.ca.location",
                                       NULL};
    if ((err = kafka_section(up, dst, "destination", down, &up->dst_kc, errstr, errstr_size)) ||
        (err = conf_str(dst, "schema.registry.url", 0, &up->dst_reg_url, errstr, errstr_size)) ||
        (err = conf_str(dst, "schema.registry.basic.auth.user.info", 0, &up->dst_reg_auth, errstr,
                        errstr_size)) ||
        (err = conf_str(dst, "schema.registry.ssl.ca.location", 0, &up->dst_reg_ca, errstr,
                        errstr_size)) ||
        (err = conf_str(dst, "topic.prefix", 0, &up->topic_prefix, errstr, errstr_size)) ||
        (err = conf_map(dst, "topic.map", 0, &up->topic_map, errstr, errstr_size))) {
        return err;
    }
    if (up->topic_prefix && *up->topic_prefix && !name_ok(up->topic_prefix, 1)) {
        return conf_err(errstr, errstr_size, gdx_conf_get(dst, "topic.prefix"),
                        "invalid topic.prefix '%s'", up->topic_prefix);
    }
    for (size_t i = 0; up->topic_map && i < up->topic_map->nkids; i++) {
        const struct gdx_node *m = up->topic_map->kids[i];
        const char *v;
        if ((err = gdx_conf_scalar(m, &v, errstr, errstr_size))) {
            return err;
        }
        if (!name_ok(v, 1)) {
            return conf_err(errstr, errstr_size, m, "invalid provincial topic name '%s'", v);
        }
    }
    if (up->src_reg_ca) {
        free(up->src_tls.ca_file);
        up->src_tls.ca_file = gdx_xstrdup(up->src_reg_ca);
    }
    up->dst_tls.ca_file = gdx_xstrdup(up->dst_reg_ca);
    if (up->src_reg_auth) {
        gdx_log_add_secret(up->src_reg_auth);
    }
    if (up->dst_reg_auth) {
        gdx_log_add_secret(up->dst_reg_auth);
    }

    /* policy */
    up->share_unconditional = 1;
    up->require_spi = 1;
    if (pol) {
        static const char *const pkeys[] = {"share", "approvals",   "protect",
                                            "keys",  "require.spi", NULL};
        if ((err = gdx_conf_only_keys(pol, pkeys, errstr, errstr_size))) {
            return err;
        }
        if ((n = gdx_conf_get(pol, "share"))) {
            if (n->type != GDX_NODE_SEQ) {
                return conf_err(errstr, errstr_size, n,
                                "'share' must be a list: [unconditional] or [unconditional, "
                                "conditional]");
            }
            up->share_unconditional = 0;
            for (size_t i = 0; i < n->nkids; i++) {
                const char *v;
                if ((err = gdx_conf_scalar(n->kids[i], &v, errstr, errstr_size))) {
                    return err;
                }
                if (!strcmp(v, "unconditional")) {
                    up->share_unconditional = 1;
                } else if (!strcmp(v, "conditional")) {
                    up->share_conditional = 1;
                } else if (!strcmp(v, "none")) {
                    return conf_err(errstr, errstr_size, n->kids[i],
                                    "share 'none' (不予共享) never leaves the city");
                } else {
                    return conf_err(errstr, errstr_size, n->kids[i],
                                    "unknown share '%s' (unconditional, conditional)", v);
                }
            }
        }
        if ((err = conf_map(pol, "approvals", 0, &up->approvals, errstr, errstr_size)) ||
            (err = conf_map(pol, "protect", 0, &up->protect, errstr, errstr_size)) ||
            (err = conf_map(pol, "keys", 0, &up->keys, errstr, errstr_size))) {
            return err;
        }
        for (size_t i = 0; up->approvals && i < up->approvals->nkids; i++) {
            const char *v;
            if ((err = gdx_conf_scalar(up->approvals->kids[i], &v, errstr, errstr_size))) {
                return err;
            }
            if (!*v) {
                return conf_err(errstr, errstr_size, up->approvals->kids[i],
                                "approval id of '%s' must not be empty",
                                up->approvals->kids[i]->key);
            }
        }
        if ((n = gdx_conf_get(pol, "require.spi")) &&
            (err = gdx_conf_bool(n, &up->require_spi, errstr, errstr_size))) {
            return err;
        }
    }

    /* batch */
    up->batch_max_records = 5000;
    up->batch_max_bytes = 8 << 20;
    up->batch_max_ms = 1000;
    up->grace_ms = 10000;
    if ((err = conf_map(root, "batch", 0, &n, errstr, errstr_size))) {
        return err;
    }
    if (n) {
        static const char *const bkeys[] = {"max.records", "max.bytes", "max.ms", NULL};
        const struct gdx_node *v;
        if ((err = gdx_conf_only_keys(n, bkeys, errstr, errstr_size)) ||
            ((v = gdx_conf_get(n, "max.records")) &&
             (err = gdx_conf_int(v, 1, 1000000, &up->batch_max_records, errstr, errstr_size))) ||
            ((v = gdx_conf_get(n, "max.bytes")) &&
             (err = gdx_conf_size(v, &up->batch_max_bytes, errstr, errstr_size))) ||
            ((v = gdx_conf_get(n, "max.ms")) &&
             (err = gdx_conf_duration(v, &up->batch_max_ms, errstr, errstr_size)))) {
            return err;
        }
    }
    if ((n = gdx_conf_get(root, "shutdown.grace.ms")) &&
        (err = gdx_conf_duration(n, &up->grace_ms, errstr, errstr_size))) {
        return err;
    }
    if ((err = conf_str(root, "state.dir", 0, &up->state_dir, errstr, errstr_size)) ||
        (err = conf_str(root, "dlq.topic", 0, &up->dlq_topic, errstr, errstr_size)) ||
        (err = conf_str(root, "log.level", 0, &loglevel, errstr, errstr_size))) {
        free(loglevel);
        return err;
    }
    if (loglevel) {
        int lvl = gdx_log_level_parse(loglevel);
        free(loglevel);
        if (lvl < 0) {
            return conf_err(errstr, errstr_size, gdx_conf_get(root, "log.level"),
                            "log.level must be error, warn, info or debug");
        }
        gdx_log_set_level(lvl);
    }
    if (!up->state_dir) {
        const char *e = getenv("GDX_STATE_DIR");
        up->state_dir = gdx_xstrdup(e && *e ? e : "/var/lib/gdx");
    } else {
        char *p = gdx_path_join(up->dir, up->state_dir);
        free(up->state_dir);
        up->state_dir = p;
    }
    if (!up->dlq_topic) {
        up->dlq_topic = xasprintf("_gdx.dlq.uplink.%s", up->destination);
    }
    if ((err = gdx_audit_conf_parse(gdx_conf_get(root, "audit"), up->dir, &up->auditc, errstr,
                                    errstr_size))) {
        return err;
    }
    /* audit actors are [A-Za-z0-9._] */
    snprintf(up->actor, sizeof(up->actor), "uplink.%s.%s.%" PRId64, up->city, up->destination,
             up->instance);
    for (char *c = up->actor; *c; c++) {
        if (*c == '-') {
            *c = '_';
        }
    }
    snprintf(up->tid, sizeof(up->tid), "gdx-uplink-%s-%s-%" PRId64, up->city, up->destination,
             up->instance);
    return GDX_OK;
}

int gdx_uplink_new(struct gdx_uplink **out, const char *path, char *errstr, size_t errstr_size)
{
    struct gdx_uplink *up = gdx_xcalloc(1, sizeof(*up));
    int err;
    const char *slash;

    *out = NULL;
    up->lock_fd = -1;
    up->path = gdx_xstrdup(path);
    slash = strrchr(path, '/');
    up->dir = slash ? strndup(path, (size_t)(slash - path)) : gdx_xstrdup(".");
    up->root = gdx_conf_load(path, errstr, errstr_size);
    if (!up->root) {
        gdx_uplink_destroy(up);
        return GDX_ERR_CONFIG;
    }
    if ((err = gdx_conf_digest(path, up->config_sm3, errstr, errstr_size)) ||
        (err = parse_config(up, errstr, errstr_size))) {
        gdx_uplink_destroy(up);
        return err == GDX_ERR_IO ? GDX_ERR_CONFIG : err;
    }
    if (up->schemas_dir) {
        up->set = gdx_schema_set_load(up->schemas_dir, errstr, errstr_size);
        if (!up->set) {
            gdx_uplink_destroy(up);
            return GDX_ERR_CONFIG;
        }
    }
    *out = up;
    return GDX_OK;
}

static void schemas_free(struct gdx_uplink *up)
{
    struct up_schema *e = up->schemas;
    while (e) {
        struct up_schema *nx = e->next;
        gdx_recoder_destroy(e->rc);
        gdx_policy_destroy(e->policy);
        if (e->owned) {
            gdx_schema_destroy(e->schema);
        }
        for (size_t i = 0; i < e->nids; i++) {
            free(e->ids[i].topic);
        }
        free(e->ids);
        free(e->policy_err);
        free(e->protect_hdr);
        free(e);
        e = nx;
    }
    up->schemas = up->last_schema = NULL;
}

static void dest_close(struct gdx_uplink *up);

static void topics_free(struct gdx_uplink *up)
{
    for (size_t i = 0; i < up->nparts; i++) {
        free(up->parts[i]->key);
        free(up->parts[i]->cbatch);
        free(up->parts[i]->cat);
        json_decref(up->parts[i]->gap);
        free(up->parts[i]);
    }
    free(up->parts);
    up->parts = NULL;
    up->nparts = 0;
    for (size_t i = 0; i < up->nt; i++) {
        free(up->tv[i].name);
        free(up->tv[i].dest);
        free(up->tv[i].byp);
    }
    free(up->tv);
    up->tv = NULL;
    up->nt = 0;
}

void gdx_uplink_destroy(struct gdx_uplink *up)
{
    if (!up) {
        return;
    }
    gdx_metrics_destroy(up->metrics);
    if (up->audit) {
        char aerr[256];
        gdx_audit_close(up->audit, aerr, sizeof(aerr));
        up->audit = NULL;
    }
    gdx_audit_conf_release(&up->auditc);
    gdx_audit_ranges_destroy(up->dranges);
    dest_close(up);
    if (up->dlq) {
        if (up->rkt_dlq) {
            rd_kafka_topic_destroy(up->rkt_dlq);
        }
        if (up->admin_q) {
            rd_kafka_queue_destroy(up->admin_q);
            up->admin_q = NULL;
        }
        rd_kafka_flush(up->dlq, 5000);
        rd_kafka_destroy(up->dlq);
    }
    if (up->consumer) {
        rd_kafka_assign(up->consumer, NULL);
        rd_kafka_destroy(up->consumer);
    }
    if (up->off_consumer) {
        rd_kafka_assign(up->off_consumer, NULL);
        rd_kafka_destroy(up->off_consumer);
    }
    topics_free(up);
    schemas_free(up);
    gdx_registry_destroy(up->src_reg);
    gdx_registry_destroy(up->dst_reg);
    gdx_schema_set_destroy(up->set);
    if (up->lock_fd >= 0) {
        close(up->lock_fd); /* never unlinked (gdx_lock.h) */
    }
    gdx_kafka_conf_release(&up->src_kc);
    gdx_kafka_conf_release(&up->dst_kc);
    for (size_t i = 0; i < up->ntopics_conf; i++) {
        free(up->topics[i]);
    }
    free(up->topics);
    for (size_t i = 0; i < up->naccepted; i++) {
        free(up->accepted[i]);
    }
    free(up->accepted);
    free(up->valbuf);
    for (size_t i = 0; i < up->stash.n; i++) {
        if (up->stash.msgs[i].hdrs) {
            rd_kafka_headers_destroy(up->stash.msgs[i].hdrs);
        }
    }
    free(up->stash.msgs);
    free(up->stash.buf);
    for (size_t i = 0; i < up->closing.n; i++) {
        json_decref(up->closing.marks[i].gap);
    }
    free(up->closing.marks);
    free(up->path);
    free(up->dir);
    free(up->city);
    free(up->destination);
    free(up->src_reg_url);
    free(up->src_reg_auth);
    free(up->src_reg_ca);
    gdx_tls_release(&up->src_tls);
    gdx_tls_release(&up->dst_tls);
    free(up->dst_reg_url);
    free(up->dst_reg_auth);
    free(up->dst_reg_ca);
    free(up->pattern);
    free(up->schemas_dir);
    free(up->topic_prefix);
    free(up->state_dir);
    free(up->dlq_topic);
    gdx_conf_destroy(up->root);
    free(up);
}

int gdx_uplink_accept_gap(struct gdx_uplink *up, const char *tp, char *errstr, size_t errstr_size)
{
    const char *slash = strrchr(tp, '/');
    char *end;
    if (!slash || slash == tp || !slash[1] || (strtol(slash + 1, &end, 10), *end)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "--accept-gap wants TOPIC/PARTITION, not '%s'", tp);
    }
    up->accepted = gdx_xrealloc(up->accepted, (up->naccepted + 1) * sizeof(char *));
    up->accepted[up->naccepted++] = gdx_xstrdup(tp);
    return GDX_OK;
}

void gdx_uplink_stats(const struct gdx_uplink *up, struct gdx_uplink_stats *stats)
{
    *stats = up->st;
}

char *gdx_uplink_dest_topic(const struct gdx_uplink *up, const char *city_topic)
{
    const struct gdx_node *m = up->topic_map ? gdx_conf_get(up->topic_map, city_topic) : NULL;
    if (m && m->value) {
        return gdx_xstrdup(m->value);
    }
    if (up->topic_prefix && *up->topic_prefix) {
        return xasprintf("%s.%s.%s", up->topic_prefix, up->city, city_topic);
    }
    return xasprintf("%s.%s", up->city, city_topic);
}

/* ---------------------------------------------------------------------------------------
 * Per-host lock, one per instance (as for connectors)
 */

static int lock_take(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    char what[300], name[300];
    snprintf(what, sizeof(what), "uplink instance %" PRId64 " of '%s' to '%s'", up->instance,
             up->city, up->destination);
    snprintf(name, sizeof(name), "uplink-%s-%s-%" PRId64, up->city, up->destination, up->instance);
    return gdx_lock_take(up->state_dir, name, what, &up->lock_fd, errstr, errstr_size);
}

/* ---------------------------------------------------------------------------------------
 * Kafka clients
 */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    int lvl = level <= 3   ? GDX_LOG_ERROR
              : level <= 4 ? GDX_LOG_WARN
              : level <= 6 ? GDX_LOG_INFO
                           : GDX_LOG_DEBUG;
    if (lvl < GDX_LOG_DEBUG && (!strcmp(fac, "FAIL") || !strcmp(fac, "ERROR"))) {
        lvl = GDX_LOG_DEBUG; /* outages are reported once by the uplink itself */
    }
    gdx_log(lvl, buf, " kafka.client=%s kafka.facility=%s", rd_kafka_name(rk), fac);
}

/* The audit trail: lines are fsynced locally and mirrored to the city's _gdx.audit with the
 * city producer of the dead letters (not in the provincial transaction). */
static void uplink_audit_mirror(const char *line, size_t len, void *opaque)
{
    struct gdx_uplink *up = opaque;
    if (up->dlq) {
        rd_kafka_producev(up->dlq, RD_KAFKA_V_TOPIC(up->auditc.topic),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_KEY(up->actor, strlen(up->actor)),
                          RD_KAFKA_V_VALUE((void *)(uintptr_t)line, len), RD_KAFKA_V_END);
    }
}

static void uplink_audit_outage(struct gdx_uplink *up, const char *state)
{
    char aerr[256];
    if (up->audit && gdx_audit_outage(up->audit, "province", state, 0, aerr, sizeof(aerr))) {
        gdx_log(GDX_LOG_ERROR, "cannot audit the outage", " reason=\"%s\"", aerr);
    }
}

/* The provincial link is down: pause and alarm (once, then every minute). */
static void dest_alarm(struct gdx_uplink *up, const char *why)
{
    int64_t now = gdx_mono_ms();
    if (!up->down) {
        up->down = 1;
        up->down_since = up->down_alarm = now;
        gdx_log(GDX_LOG_WARN, "provincial cluster unreachable, forwarding paused",
                " destination=%s reason=\"%s\"", up->destination, why);
        uplink_audit_outage(up, "start");
    } else if (now - up->down_alarm >= UP_ALARM_EVERY_MS) {
        up->down_alarm = now;
        gdx_log(GDX_LOG_WARN, "provincial cluster still unreachable, forwarding paused",
                " destination=%s outage_s=%" PRId64 " reason=\"%s\"", up->destination,
                (now - up->down_since) / 1000, why);
    }
}

static void dest_ok(struct gdx_uplink *up)
{
    if (up->down) {
        gdx_log(GDX_LOG_INFO, "provincial cluster reachable again, forwarding resumed",
                " destination=%s outage_ms=%" PRId64, up->destination,
                gdx_mono_ms() - up->down_since);
        up->down = 0;
        uplink_audit_outage(up, "end");
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct gdx_uplink *up = opaque;
    (void)rk;
    if ((uint64_t)(uintptr_t)msg->_private != up->gen) {
        return;
    }
    up->last_dr_ms = gdx_mono_ms();
    if (msg->err) {
        up->dr_failed++;
        if (!up->dr_err) {
            up->dr_err = msg->err;
        }
    } else if (up->dranges && msg->rkt != up->rkt_off) {
        char aerr[256];
        if (gdx_audit_ranges_add(up->dranges, rd_kafka_topic_name(msg->rkt), msg->partition,
                                 msg->offset, msg->payload, msg->len, aerr, sizeof(aerr))) {
            gdx_log(GDX_LOG_WARN, "audit range", " reason=\"%s\"", aerr);
        }
    }
}

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct gdx_uplink *up = opaque;
    (void)rk;
    if (msg->err && (uint64_t)(uintptr_t)msg->_private == up->gen) {
        up->dlq_failed++;
        if (!up->dlq_err) {
            up->dlq_err = msg->err;
        }
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct gdx_uplink *up = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, buf, sizeof(buf));
        gdx_log(GDX_LOG_ERROR, "provincial producer fatal error, recreating it",
                " error=%s reason=\"%s\"", rd_kafka_err2name(ferr), buf);
        up->fatal = 1;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        dest_alarm(up, reason);
        return;
    }
    gdx_log(GDX_LOG_DEBUG, "kafka error", " error=%s reason=\"%s\"",
            rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void dlq_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    (void)opaque;
    gdx_log(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? GDX_LOG_WARN : GDX_LOG_DEBUG,
            "city cluster error (dead letters)", " error=%s reason=\"%s\"",
            rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static rd_kafka_t *producer_new(struct gdx_uplink *up, const struct gdx_kafka_conf *kc,
                                const char *client_id, const char *tid,
                                void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                                void (*ecb)(rd_kafka_t *, int, const char *, void *), char *errstr,
                                size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char rderr[512];
    rd_kafka_t *rk;

    rd_kafka_conf_set_opaque(conf, up);
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
    rd_kafka_conf_set_error_cb(conf, ecb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (gdx_kafka_set(conf, "client.id", client_id, errstr, errstr_size) ||
        gdx_kafka_set(conf, "enable.idempotence", "true", errstr, errstr_size) ||
        gdx_kafka_set(conf, "acks", "all", errstr, errstr_size) ||
        gdx_kafka_set(conf, "partitioner", "murmur2_random", errstr, errstr_size) ||
        gdx_kafka_set(conf, "queue.buffering.max.kbytes", "65536", errstr, errstr_size) ||
        gdx_kafka_set(conf, "queue.buffering.max.messages", "1000000", errstr, errstr_size) ||
        gdx_kafka_set(conf, "linger.ms", "5", errstr, errstr_size) ||
        gdx_kafka_set(conf, "message.timeout.ms", "120000", errstr, errstr_size) ||
        gdx_kafka_conf_apply(kc, conf, errstr, errstr_size) ||
        (tid && (gdx_kafka_set(conf, "transactional.id", tid, errstr, errstr_size) ||
                 gdx_kafka_set(conf, "transaction.timeout.ms", "300000", errstr, errstr_size)))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof(rderr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create producer '%s': %s",
                   client_id, rderr);
    }
    return rk;
}

static void dest_close(struct gdx_uplink *up)
{
    for (size_t i = 0; i < up->nt; i++) {
        if (up->tv[i].rkt) {
            rd_kafka_topic_destroy(up->tv[i].rkt);
            up->tv[i].rkt = NULL;
        }
    }
    if (up->rkt_off) {
        rd_kafka_topic_destroy(up->rkt_off);
        up->rkt_off = NULL;
    }
    if (up->rk) {
        rd_kafka_purge(up->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(up->rk, 1000);
        rd_kafka_destroy(up->rk);
        up->rk = NULL;
    }
    up->txn = 0;
}

static int dest_open(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    up->rk = producer_new(up, &up->dst_kc, up->tid, up->tid, dr_cb, error_cb, errstr, errstr_size);
    if (!up->rk) {
        return GDX_ERR_CONFIG;
    }
    up->fatal = 0;
    up->rkt_off = rd_kafka_topic_new(up->rk, UP_OFFSETS_TOPIC, NULL);
    for (size_t i = 0; i < up->nt; i++) {
        if (!up->tv[i].skip) {
            up->tv[i].rkt = rd_kafka_topic_new(up->rk, up->tv[i].dest, NULL);
        }
    }
    return GDX_OK;
}

static int txn_error(const char *what, rd_kafka_error_t *error)
{
    return gdx_kafka_txn_error(what, error);
}

/* Bring the provincial producer up (init transactions), pausing while the link is down. */
static int dest_up(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    int64_t backoff = 500;
    int err;
    for (;;) {
        if (!up->rk && (err = dest_open(up, errstr, errstr_size))) {
            return err;
        }
        rd_kafka_error_t *error = rd_kafka_init_transactions(up->rk, UP_KAFKA_TIMEOUT);
        if (!error) {
            dest_ok(up);
            return GDX_OK;
        }
        dest_alarm(up, rd_kafka_error_string(error));
        err = txn_error("cannot initialise transactions", error);
        if (err != GDX_ERR_RETRY) {
            dest_close(up);
        }
        if (stopping(up)) {
            return GDX_ERR_STOPPED;
        }
        nap(up, backoff);
        backoff = backoff_next(backoff);
    }
}

/* ---------------------------------------------------------------------------------------
 * Schemas of the city's records and their provincial ids
 */

/* Resolve the schema of a framed value: GDX_OK with *entry and *hdrlen; GDX_ERR_NOENT or
 * GDX_ERR_PARSE (dead letter, reason in errstr); GDX_ERR_RETRY (registry unreachable). */
static int schema_of(struct gdx_uplink *up, const void *val, size_t len, struct up_schema **entry,
                     size_t *hdrlen, char *errstr, size_t errstr_size)
{
    uint64_t fp = 0;
    int32_t id = -1;
    int confluent;
    struct up_schema *e;

    if (gdx_soe_parse(val, len, &fp)) {
        confluent = 0;
        *hdrlen = GDX_SOE_HEADER_LEN;
    } else if (gdx_confluent_parse(val, len, &id)) {
        confluent = 1;
        *hdrlen = GDX_CONFLUENT_HEADER_LEN;
    } else {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "value has neither Confluent nor single-object Avro framing");
    }
    e = up->last_schema;
    if (!e || e->confluent != confluent || (confluent ? e->src_id != id : e->fp != fp)) {
        for (e = up->schemas; e; e = e->next) {
            if (e->confluent == confluent && (confluent ? e->src_id == id : e->fp == fp)) {
                break;
            }
        }
    }
    if (!e) {
        struct gdx_schema *s = NULL;
        int owned = 0;
        if (confluent) {
            const char *text;
            int err;
            if (!up->src_reg) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT,
                                  "Confluent-framed record (schema id %d) but "
                                  "source.schema.registry.url is not set",
                                  id);
            }
            err = gdx_registry_get(up->src_reg, id, &text, errstr, errstr_size);
            if (err == GDX_ERR_RETRY) {
                return err;
            }
            if (err) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT,
                                  "schema id %d is not in the city registry", id);
            }
            char name[64];
            snprintf(name, sizeof(name), "city registry id %d", id);
            char serr[512];
            s = gdx_schema_parse(text, strlen(text), name, serr, sizeof(serr));
            if (!s) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT,
                                  "schema id %d of the city registry is not usable: %s", id, serr);
            }
            owned = 1;
        } else {
            const struct gdx_schema *cs = up->set ? gdx_schema_set_find(up->set, fp) : NULL;
            if (!cs) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT,
                                  "unknown schema fingerprint %016" PRIx64 " (not in '%s')", fp,
                                  up->schemas_dir ? up->schemas_dir : "no schemas dir");
            }
            s = (struct gdx_schema *)(uintptr_t)cs;
        }
        e = gdx_xcalloc(1, sizeof(*e));
        e->confluent = confluent;
        e->fp = fp;
        e->src_id = id;
        e->schema = s;
        e->owned = owned;

        /* the uplink's rules for the fields this schema has */
        struct gdx_node fm;
        struct gdx_node **kids = NULL;
        char perr[1024];
        int err;
        memset(&fm, 0, sizeof(fm));
        if (up->protect) {
            fm = *up->protect;
            kids = gdx_xcalloc(up->protect->nkids, sizeof(*kids));
            fm.kids = kids;
            fm.nkids = 0;
            for (size_t i = 0; i < up->protect->nkids; i++) {
                if (gdx_schema_field(s, up->protect->kids[i]->key)) {
                    kids[fm.nkids++] = up->protect->kids[i];
                }
            }
        }
        err = gdx_policy_new(&e->policy, s, up->protect ? &fm : NULL, up->keys, up->dir,
                             up->require_spi, perr, sizeof(perr));
        free(kids);
        if (!err) {
            err = gdx_recoder_new(&e->rc, s, e->policy, perr, sizeof(perr));
        }
        if (err) {
            e->policy_err = gdx_xstrdup(perr);
        } else {
            e->protect_hdr = gdx_xstrdup(gdx_policy_header(e->policy));
        }
        e->next = up->schemas;
        up->schemas = e;
    }
    up->last_schema = e;
    *entry = e;
    return GDX_OK;
}

/* The provincial id of @p e under `<dest>-value`: GDX_OK, GDX_ERR_RETRY or GDX_ERR_SCHEMA. */
static int dest_id(struct gdx_uplink *up, struct up_schema *e, const char *dest, int32_t *id,
                   char *errstr, size_t errstr_size)
{
    char subject[512];
    int err;
    for (size_t i = 0; i < e->nids; i++) {
        if (!strcmp(e->ids[i].topic, dest)) {
            *id = e->ids[i].id;
            return GDX_OK;
        }
    }
    snprintf(subject, sizeof(subject), "%s-value", dest);
    err = gdx_registry_register(up->dst_reg, subject, e->schema->text, id, errstr, errstr_size);
    if (err) {
        return err == GDX_ERR_RETRY ? err : GDX_ERR_SCHEMA;
    }
    gdx_log(GDX_LOG_INFO, "schema registered in the provincial registry",
            " subject=%s id=%d schema=%s", subject, *id, e->schema->fullname);
    e->ids = gdx_xrealloc(e->ids, (e->nids + 1) * sizeof(*e->ids));
    e->ids[e->nids].topic = gdx_xstrdup(dest);
    e->ids[e->nids].id = *id;
    e->nids++;
    return GDX_OK;
}

/* 1 when records of @p share may leave to this destination */
static int share_allowed(const struct gdx_uplink *up, const char *share)
{
    if (!share) {
        return 0;
    }
    if (!strcmp(share, "unconditional")) {
        return up->share_unconditional;
    }
    if (!strcmp(share, "conditional")) {
        return up->share_conditional;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Topics and owned partitions
 */

static int topic_wanted(const struct gdx_uplink *up, const char *name, regex_t *re)
{
    for (size_t i = 0; i < up->ntopics_conf; i++) {
        if (!strcmp(up->topics[i], name)) {
            return 1;
        }
    }
    if (re && name[0] != '_' && regexec(re, name, 0, NULL, 0) == 0) {
        return 1;
    }
    return 0;
}

static int topics_resolve(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr;
    regex_t re;
    int have_re = 0;

    rerr = rd_kafka_metadata(up->consumer, 1, NULL, &md, UP_KAFKA_TIMEOUT);
    if (rerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "cannot read the topics of the city cluster '%s': %s",
                          up->src_kc.bootstrap, rd_kafka_err2str(rerr));
    }
    if (up->pattern && regcomp(&re, up->pattern, REG_EXTENDED | REG_NOSUB) == 0) {
        have_re = 1;
    }
    topics_free(up);
    up->tv = gdx_xcalloc((size_t)md->topic_cnt + up->ntopics_conf, sizeof(*up->tv));
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[i];
        if (mt->err || mt->partition_cnt <= 0 ||
            !topic_wanted(up, mt->topic, have_re ? &re : NULL)) {
            continue;
        }
        struct up_topic *t = &up->tv[up->nt++];
        t->name = gdx_xstrdup(mt->topic);
        t->dest = gdx_uplink_dest_topic(up, t->name);
        t->npart = mt->partition_cnt;
        t->byp = gdx_xcalloc((size_t)t->npart, sizeof(*t->byp));
        const struct gdx_node *a = up->approvals ? gdx_conf_get(up->approvals, t->name) : NULL;
        t->approval = a ? a->value : NULL;
    }
    if (have_re) {
        regfree(&re);
    }
    rd_kafka_metadata_destroy(md);
    for (size_t i = 0; i < up->ntopics_conf; i++) {
        size_t j;
        for (j = 0; j < up->nt && strcmp(up->tv[j].name, up->topics[i]); j++) {
        }
        if (j == up->nt) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "topic '%s' does not exist in the city cluster", up->topics[i]);
        }
    }
    return GDX_OK;
}

/* The source retention the lag is measured against: source.retention.ms from the config
 * until the city cluster's Admin API says otherwise. The question is asked once at start
 * and its answer read between records (retention_poll), so a cluster without the Admin API
 * (or without DescribeConfigs permission) never delays forwarding. */
static void retention_ask(struct gdx_uplink *up)
{
    const char **names = gdx_xcalloc(up->nt + 1, sizeof(*names));
    size_t n = 0;
    for (size_t i = 0; i < up->nt; i++) {
        up->tv[i].retention_ms = up->retention_ms;
        if (!up->tv[i].skip) {
            names[n++] = up->tv[i].name;
        }
    }
    if (n && up->dlq && !up->admin_q) {
        up->admin_q = rd_kafka_queue_new(up->dlq);
        gdx_kafka_retention_ask(up->dlq, names, n, UP_KAFKA_TIMEOUT, up->admin_q);
    }
    free(names);
}

static void retention_set(void *opaque, const char *topic, int64_t ms)
{
    struct gdx_uplink *up = opaque;
    for (size_t i = 0; i < up->nt; i++) {
        if (!strcmp(up->tv[i].name, topic)) {
            up->tv[i].retention_ms = ms;
            gdx_log(GDX_LOG_INFO, "source retention read from the city cluster",
                    " topic=%s retention_ms=%" PRId64, topic, ms);
        }
    }
}

static void retention_poll(struct gdx_uplink *up)
{
    char why[512];
    rd_kafka_event_t *ev;
    if (!up->admin_q || !(ev = rd_kafka_queue_poll(up->admin_q, 0))) {
        return;
    }
    if (gdx_kafka_retention_read(ev, retention_set, up, why, sizeof(why))) {
        gdx_log(up->retention_ms ? GDX_LOG_INFO : GDX_LOG_WARN,
                up->retention_ms ? "source retention from the config: the city cluster did not say"
                                 : "source retention unknown: the city cluster did not say and "
                                   "source.retention.ms is not set, so lag is not checked",
                " retention_ms=%" PRId64 " reason=\"%s\"", up->retention_ms, why);
    }
    rd_kafka_queue_destroy(up->admin_q);
    up->admin_q = NULL;
}

/* Read one record of the topic (the newest of the first non-empty partition) to learn its
 * schema. 1 with *e set, 0 when the topic is empty or the schema unknown, <0 retry. */
static int topic_probe(struct gdx_uplink *up, struct up_topic *t, struct up_schema **e,
                       char *errstr, size_t errstr_size)
{
    for (int32_t p = 0; p < t->npart; p++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t rerr =
            rd_kafka_query_watermark_offsets(up->consumer, t->name, p, &lo, &hi, UP_KAFKA_TIMEOUT);
        if (rerr) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "cannot read watermarks of '%s' [%d]: %s", t->name, p,
                              rd_kafka_err2str(rerr));
        }
        if (hi <= lo) {
            continue;
        }
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, t->name, p)->offset = hi - 1;
        rd_kafka_assign(up->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
        int64_t deadline = gdx_mono_ms() + UP_KAFKA_TIMEOUT;
        int ret = 0;
        while (gdx_mono_ms() < deadline) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(up->consumer, 100);
            if (!m) {
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                rd_kafka_message_destroy(m);
                break; /* only aborted or control records at the end: try the next */
            }
            if (m->err || !m->payload) {
                int failed = m->err != 0;
                rd_kafka_message_destroy(m);
                if (failed) {
                    break;
                }
                continue;
            }
            size_t hl;
            char serr[512];
            int err = schema_of(up, m->payload, m->len, e, &hl, serr, sizeof(serr));
            rd_kafka_message_destroy(m);
            if (err == GDX_ERR_RETRY) {
                rd_kafka_assign(up->consumer, NULL);
                return gdx_seterr(errstr, errstr_size, err, "%s", serr);
            }
            if (err) {
                gdx_log(GDX_LOG_WARN, "cannot learn the schema of a topic at start",
                        " topic=%s reason=\"%s\"", t->name, serr);
            }
            ret = err ? 0 : 1;
            break;
        }
        rd_kafka_assign(up->consumer, NULL);
        return ret;
    }
    return 0;
}

/* Apply the share policy per topic at subscription time; own the partitions. */
static int topics_subscribe(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < up->nt; i++) {
        struct up_topic *t = &up->tv[i];
        struct up_schema *e = NULL;
        int r = topic_probe(up, t, &e, errstr, errstr_size);
        if (r < 0) {
            return r;
        }
        if (r == 1) {
            const char *share = e->schema->share;
            if (!share_allowed(up, share)) {
                t->skip = 1;
                up->st.skipped_topics++;
                gdx_log(GDX_LOG_INFO, "topic not shared with this destination, never read",
                        " topic=%s schema=%s share=%s destination=%s", t->name, e->schema->fullname,
                        share ? share : "unset", up->destination);
                continue;
            }
            if (!strcmp(share, "conditional") && !t->approval) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "topic '%s' shares conditionally (有条件): set "
                                  "policy.approvals.\"%s\" to the approval id",
                                  t->name, t->name);
            }
            if (e->policy_err) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "egress policy for topic '%s' (schema '%s'): %s", t->name,
                                  e->schema->fullname, e->policy_err);
            }
        }
        gdx_log(GDX_LOG_INFO, "forwarding topic",
                " topic=%s to=%s partitions=%d schema=%s approval=%s", t->name, t->dest, t->npart,
                r == 1 ? e->schema->fullname : "unknown-yet", t->approval ? t->approval : "-");
        for (int32_t p = 0; p < t->npart; p++) {
            if (p % up->instances != up->instance) {
                continue;
            }
            struct up_part *part = gdx_xcalloc(1, sizeof(*part));
            part->topic = t;
            part->partition = p;
            part->key = xasprintf("%s/%s/%d", up->city, t->name, p);
            part->next = -1;
            char tp[600];
            snprintf(tp, sizeof(tp), "%s/%d", t->name, p);
            for (size_t a = 0; a < up->naccepted; a++) {
                part->accept_gap |= !strcmp(up->accepted[a], tp);
            }
            t->byp[p] = part;
            up->parts = gdx_xrealloc(up->parts, (up->nparts + 1) * sizeof(*up->parts));
            up->parts[up->nparts++] = part;
        }
    }
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Positions: `_gdx.uplink.offsets` as the provincial cluster shows it
 */

static struct up_part *part_by_key(struct gdx_uplink *up, const void *key, size_t len)
{
    for (size_t i = 0; i < up->nparts; i++) {
        if (strlen(up->parts[i]->key) == len && !memcmp(up->parts[i]->key, key, len)) {
            return up->parts[i];
        }
    }
    return NULL;
}

static int positions_scan(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    int32_t cnt = 0;
    int err;
    rd_kafka_topic_partition_list_t *l;
    int64_t *hi, *lo;
    int *done, left = 0;
    size_t plen = strlen(up->city);

    err = gdx_kafka_partition_count(up->off_consumer, UP_OFFSETS_TOPIC, UP_KAFKA_TIMEOUT, &cnt,
                                    errstr, errstr_size);
    if (err) {
        return err;
    }
    hi = gdx_xcalloc((size_t)cnt, sizeof(*hi));
    lo = gdx_xcalloc((size_t)cnt, sizeof(*lo));
    done = gdx_xcalloc((size_t)cnt, sizeof(*done));
    l = rd_kafka_topic_partition_list_new(cnt);
    for (int32_t p = 0; p < cnt; p++) {
        rd_kafka_topic_partition_list_add(l, UP_OFFSETS_TOPIC, p);
    }
    if ((err = gdx_kafka_watermarks(up->off_consumer, l, UP_KAFKA_TIMEOUT, lo, hi, errstr,
                                    errstr_size))) {
        goto out;
    }
    rd_kafka_topic_partition_list_destroy(l);
    l = rd_kafka_topic_partition_list_new(cnt);
    for (int32_t p = 0; p < cnt; p++) {
        if (hi[p] > lo[p]) {
            rd_kafka_topic_partition_list_add(l, UP_OFFSETS_TOPIC, p)->offset = lo[p];
            left++;
        } else {
            done[p] = 1;
        }
    }
    for (size_t i = 0; i < up->nparts; i++) {
        up->parts[i]->next = -1;
    }
    if (!left) {
        goto out;
    }
    if (rd_kafka_assign(up->off_consumer, l)) {
        err =
            gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot assign '%s'", UP_OFFSETS_TOPIC);
        goto out;
    }
    int64_t deadline = gdx_mono_ms() + 6 * UP_KAFKA_TIMEOUT;
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(up->off_consumer, 100);
        if (!m) {
            if (gdx_mono_ms() > deadline || stopping(up)) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "timed out reading '%s'",
                                 UP_OFFSETS_TOPIC);
                break;
            }
            continue;
        }
        int32_t p = m->partition;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot read '%s': %s",
                             UP_OFFSETS_TOPIC, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            break;
        }
        if (!m->err && m->key && m->key_len > plen && !memcmp(m->key, up->city, plen) &&
            ((const char *)m->key)[plen] == '/') {
            struct up_part *part = part_by_key(up, m->key, m->key_len);
            if (part) {
                json_t *doc = m->payload ? json_loadb(m->payload, m->len, 0, NULL) : NULL;
                json_t *nx = doc ? json_object_get(doc, "next") : NULL;
                free(part->cbatch);
                free(part->cat);
                part->cbatch = part->cat = NULL;
                if (json_is_integer(nx)) {
                    const char *b = json_string_value(json_object_get(doc, "batch"));
                    const char *at = json_string_value(json_object_get(doc, "committed.at"));
                    json_t *first = json_object_get(doc, "first");
                    part->next = json_integer_value(nx);
                    part->cbatch = b && at ? gdx_xstrdup(b) : NULL;
                    part->cat = b && at ? gdx_xstrdup(at) : NULL;
                    part->cfirst = json_is_integer(first) ? json_integer_value(first) : -1;
                    part->clast = json_integer_value(json_object_get(doc, "last"));
                    part->crecords = (uint64_t)json_integer_value(json_object_get(doc, "records"));
                } else if (!m->payload) {
                    part->next = -1; /* tombstone: operator reset */
                } else {
                    gdx_log(GDX_LOG_WARN, "ignoring a malformed uplink offset record",
                            " key=%s offset=%" PRId64, part->key, m->offset);
                }
                json_decref(doc);
            }
        }
        int64_t at = m->err ? m->offset : m->offset + 1;
        rd_kafka_message_destroy(m);
        if (p >= 0 && p < cnt && !done[p] && at >= hi[p]) {
            done[p] = 1;
            left--;
        }
    }
    rd_kafka_assign(up->off_consumer, NULL);
out:
    rd_kafka_topic_partition_list_destroy(l);
    free(hi);
    free(lo);
    free(done);
    return err;
}

static void gap_alarm(struct gdx_uplink *up, struct up_part *part, int64_t lo, int accepted)
{
    up->st.gaps++;
    if (!accepted) {
        gdx_log(GDX_LOG_ERROR,
                "retention gap: the city topic lost records before they were forwarded; "
                "partition stopped (restart with --accept-gap to continue past it)",
                " topic=%s partition=%d next=%" PRId64 " low_watermark=%" PRId64 " lost=%" PRId64,
                part->topic->name, part->partition, part->next, lo, lo - part->next);
    } else {
        gdx_log(GDX_LOG_WARN, "retention gap accepted by the operator, continuing after it",
                " topic=%s partition=%d next=%" PRId64 " low_watermark=%" PRId64 " lost=%" PRId64
                " user=%s",
                part->topic->name, part->partition, part->next, lo, lo - part->next,
                getenv("USER") ? getenv("USER") : "unknown");
    }
    if (up->audit) {
        char aerr[256];
        json_t *f = json_pack("{s:s,s:i,s:I,s:I,s:I,s:b}", "topic", part->topic->name, "partition",
                              (int)part->partition, "from", (json_int_t)part->next, "to",
                              (json_int_t)(lo - 1), "lost", (json_int_t)(lo - part->next),
                              "accepted", accepted);
        if (gdx_audit_event(up->audit, "uplink_gap", f, aerr, sizeof(aerr))) {
            gdx_log(GDX_LOG_ERROR, "cannot audit the gap", " reason=\"%s\"", aerr);
        }
    }
}

/* Read positions, check for gaps, assign the city partitions at them. Pauses (retrying)
 * while either cluster is unreachable. */
static int positions_apply(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    int64_t backoff = 500;
    int err;
    for (;;) {
        err = positions_scan(up, errstr, errstr_size);
        if (!err) {
            break;
        }
        if (err == GDX_ERR_NOENT) {
            gdx_log(GDX_LOG_WARN,
                    "the positions topic is missing on the provincial cluster: "
                    "create it (compacted), retrying",
                    " topic=%s", UP_OFFSETS_TOPIC);
        } else if (err != GDX_ERR_RETRY) {
            return err;
        } else {
            dest_alarm(up, errstr);
        }
        if (stopping(up)) {
            return GDX_ERR_STOPPED;
        }
        nap(up, backoff);
        backoff = backoff_next(backoff);
    }
    /* the city watermarks of every partition forwarded, in one request per broker */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)up->nparts + 1);
    int64_t *los = gdx_xcalloc(up->nparts + 1, sizeof(*los));
    int64_t *his = gdx_xcalloc(up->nparts + 1, sizeof(*his));
    for (size_t i = 0; i < up->nparts; i++) {
        rd_kafka_topic_partition_list_add(l, up->parts[i]->topic->name, up->parts[i]->partition);
    }
    backoff = 500;
    while (l->cnt &&
           gdx_kafka_watermarks(up->consumer, l, UP_KAFKA_TIMEOUT, los, his, errstr, errstr_size)) {
        gdx_log(GDX_LOG_WARN, "cannot read city watermarks, retrying", " reason=\"%s\"", errstr);
        if (stopping(up)) {
            rd_kafka_topic_partition_list_destroy(l);
            free(los);
            free(his);
            return GDX_ERR_STOPPED;
        }
        nap(up, backoff);
        backoff = backoff_next(backoff);
    }
    rd_kafka_topic_partition_list_destroy(l);
    l = rd_kafka_topic_partition_list_new((int)up->nparts + 1);
    for (size_t i = 0; i < up->nparts; i++) {
        struct up_part *part = up->parts[i];
        int64_t lo = los[i], hi = his[i];
        part->eof = 0;
        part->touched = 0;
        part->records = part->dead = 0;
        if (part->stopped) {
            continue;
        }
        if (part->next < 0) {
            part->pos = lo;
        } else if (part->next < lo) {
            json_decref(part->gap);
            part->gap = NULL;
            gap_alarm(up, part, lo, part->accept_gap);
            if (!part->accept_gap) {
                part->stopped = 1;
                continue;
            }
            part->gap = json_pack("{sIsIss}", "from", (json_int_t)part->next, "to", (json_int_t)lo,
                                  "accepted.by", getenv("USER") ? getenv("USER") : "unknown");
            part->pos = lo;
            part->touched = 1; /* the next batch records the accepted gap */
        } else {
            part->pos = part->next;
        }
        if (part->pos >= hi) {
            part->eof = 1;
        }
        rd_kafka_topic_partition_list_add(l, part->topic->name, part->partition)->offset =
            part->pos;
    }
    free(los);
    free(his);
    rd_kafka_assign(up->consumer, NULL);
    rd_kafka_resp_err_t rerr = rd_kafka_assign(up->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (rerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "cannot assign the city partitions: %s", rd_kafka_err2str(rerr));
    }
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Batches
 */

static void batch_new(struct gdx_uplink *up)
{
    if (!up->batch_prefix[0]) {
        unsigned char r[6];
        if (RAND_bytes(r, sizeof(r)) != 1) {
            memset(r, 0, sizeof(r));
        }
        snprintf(up->batch_prefix, sizeof(up->batch_prefix), "u%02x%02x%02x%02x%02x%02x", r[0],
                 r[1], r[2], r[3], r[4], r[5]);
    }
    snprintf(up->batch, sizeof(up->batch), "%s-%" PRIu64, up->batch_prefix, ++up->batch_seq);
    up->b_records = up->b_dead = up->b_bytes = 0;
    up->b_started = gdx_mono_ms();
    up->error = 0;
    up->open = up->started = 0;
    for (size_t i = 0; i < up->nparts; i++) {
        struct up_part *part = up->parts[i];
        part->records = part->dead = 0;
        part->first = part->last = -1;
        if (!part->gap) {
            part->touched = 0;
        }
    }
}

static void stash_clear(struct up_stash *st)
{
    for (size_t i = 0; i < st->n; i++) {
        if (st->msgs[i].hdrs) {
            rd_kafka_headers_destroy(st->msgs[i].hdrs);
        }
    }
    st->n = 0;
    st->len = 0;
}

/* Keep a message of a batch that cannot begin yet. Takes ownership of @p hdrs. */
static void stash_add(struct up_stash *st, struct up_topic *t, const void *key, size_t klen,
                      const void *val, size_t vlen, rd_kafka_headers_t *hdrs, int64_t ts)
{
    struct up_smsg *m;
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 1024;
        st->msgs = gdx_xrealloc(st->msgs, st->cap * sizeof(*st->msgs));
    }
    if (st->len + klen + vlen > st->size) {
        size_t size = st->size ? st->size : 1 << 20;
        while (size < st->len + klen + vlen) {
            size *= 2;
        }
        st->buf = gdx_xrealloc(st->buf, size);
        st->size = size;
    }
    m = &st->msgs[st->n++];
    m->topic = t;
    m->has_key = key != NULL;
    m->has_val = val != NULL;
    m->koff = st->len;
    m->klen = klen;
    if (klen) {
        memcpy(st->buf + st->len, key, klen);
    }
    st->len += klen;
    m->voff = st->len;
    m->vlen = vlen;
    if (vlen) {
        memcpy(st->buf + st->len, val, vlen);
    }
    st->len += vlen;
    m->ts = ts;
    m->hdrs = hdrs;
}

/* Produce one forwarded record to the province, a full queue blocking (with the stall limit
 * of an outage). Takes ownership of @p h. */
static int send_provincial(struct gdx_uplink *up, struct up_topic *t, const void *key, size_t klen,
                           const void *val, size_t vlen, rd_kafka_headers_t *h, int64_t ts,
                           char *errstr, size_t errstr_size)
{
    for (;;) {
        rd_kafka_resp_err_t rerr = rd_kafka_producev(
            up->rk, RD_KAFKA_V_RKT(t->rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, klen),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)val, vlen), RD_KAFKA_V_HEADERS(h),
            RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)up->gen),
            RD_KAFKA_V_END);
        if (!rerr) {
            return GDX_OK;
        }
        if (rerr == RD_KAFKA_RESP_ERR__QUEUE_FULL && !up->fatal) {
            rd_kafka_poll(up->rk, 50);
            if (gdx_mono_ms() - up->last_dr_ms > UP_STALL_MS) {
                rd_kafka_headers_destroy(h);
                up->error = 1;
                dest_alarm(up, "producer queue full, no delivery report");
                return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                                  "no delivery report from the provincial cluster for %d s",
                                  UP_STALL_MS / 1000);
            }
            continue;
        }
        rd_kafka_headers_destroy(h);
        up->error = 1;
        return gdx_seterr(errstr, errstr_size,
                          rerr == RD_KAFKA_RESP_ERR__FATAL ? GDX_ERR_FATAL : GDX_ERR_KAFKA,
                          "cannot produce to '%s': %s", t->dest, rd_kafka_err2str(rerr));
    }
}

/* Produce one dead letter to the city's DLQ. Takes ownership of @p h. */
static int send_dlq(struct gdx_uplink *up, const void *key, size_t klen, const void *val,
                    size_t vlen, rd_kafka_headers_t *h)
{
    rd_kafka_resp_err_t err;
    for (;;) {
        err = rd_kafka_producev(
            up->dlq, RD_KAFKA_V_RKT(up->rkt_dlq), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)(uintptr_t)val, vlen),
            RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)up->gen), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break;
        }
        rd_kafka_poll(up->dlq, 50);
    }
    if (err) {
        rd_kafka_headers_destroy(h);
        gdx_log(GDX_LOG_ERROR, "cannot produce a dead letter", " topic=%s error=%s", up->dlq_topic,
                rd_kafka_err2name(err));
        up->error = 1;
        return GDX_ERR_KAFKA;
    }
    return GDX_OK;
}

/*
 * Begin the current batch's transaction, once the batch before is committed, and hand
 * librdkafka what was stashed meanwhile. Reports of earlier attempts no longer count from
 * here on: only one batch's messages are ever with librdkafka.
 */
static int batch_begin(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    struct up_stash *st = &up->stash;
    int err = GDX_OK;
    rd_kafka_error_t *error = rd_kafka_begin_transaction(up->rk);
    if (error) {
        up->error = 1;
        err = txn_error("cannot begin transaction", error);
        return gdx_seterr(errstr, errstr_size, err, "cannot begin a transaction");
    }
    up->txn = up->started = 1;
    up->gen++;
    up->dr_failed = up->dlq_failed = 0;
    up->dr_err = up->dlq_err = 0;
    up->last_dr_ms = gdx_mono_ms();
    if (up->dranges) {
        gdx_audit_ranges_reset(up->dranges);
    }
    for (size_t i = 0; i < st->n && !err; i++) {
        struct up_smsg *m = &st->msgs[i];
        rd_kafka_headers_t *h = m->hdrs;
        const void *key = m->has_key ? st->buf + m->koff : NULL;
        const void *val = m->has_val ? st->buf + m->voff : NULL;
        m->hdrs = NULL;
        err = m->topic ? send_provincial(up, m->topic, key, m->klen, val, m->vlen, h, m->ts, errstr,
                                         errstr_size)
                       : send_dlq(up, key, m->klen, val, m->vlen, h);
        if (err && !m->topic) {
            gdx_seterr(errstr, errstr_size, err, "cannot produce a dead letter");
        }
    }
    stash_clear(st);
    return err;
}

/* @p v in decimal at @p out (room for 20 characters), without a NUL: its length */
static size_t fmt_i64(char *out, int64_t v)
{
    char tmp[20];
    size_t n = 0, k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        out[k++] = '-';
    }
    while (n) {
        out[k++] = tmp[--n];
    }
    return k;
}

/* "TOPIC/PARTITION/OFFSET": formatted by hand, as snprintf once a record cost more than the
 * header it makes */
static void pos_header(char *buf, size_t size, const struct up_part *part, int64_t offset)
{
    const char *name = part->topic->name;
    size_t n = strlen(name);
    if (n + 44 > size) {
        snprintf(buf, size, "%s/%d/%" PRId64, name, part->partition, offset);
        return;
    }
    memcpy(buf, name, n);
    buf[n++] = '/';
    n += fmt_i64(buf + n, part->partition);
    buf[n++] = '/';
    n += fmt_i64(buf + n, offset);
    buf[n] = '\0';
}

/* Send a record that fails the policy to the city's dead-letter topic (at least once: its
 * delivery report is awaited before the provincial commit). */
static int dead_letter(struct gdx_uplink *up, const rd_kafka_message_t *m, struct up_part *part,
                       const struct up_schema *e, const char *stage, const char *reason,
                       const char *field)
{
    rd_kafka_headers_t *h = NULL, *orig = NULL;
    char pos[600];
    int err;
    const struct gdx_policy *sealer = NULL;
    char *sealed = NULL;
    const void *val = m->payload;
    size_t vlen = m->len;

    /* The dead-letter topic never holds personal data in clear: the record is sealed with the
     * encryption key when its schema has pi/spi fields, or when its schema is unknown (then
     * with the key of any policy that has one). */
    if (e && e->policy) {
        sealer = gdx_policy_seals_dead_letters(e->policy) ? e->policy : NULL;
    } else {
        for (const struct up_schema *s = up->schemas; s && !sealer; s = s->next) {
            if (s->policy && gdx_policy_seals_dead_letters(s->policy)) {
                sealer = s->policy;
            }
        }
    }
    if (sealer && m->payload) {
        char serr[256];
        if (gdx_policy_seal(sealer, m->payload, m->len, &sealed, serr, sizeof(serr)) == GDX_OK) {
            val = sealed;
            vlen = strlen(sealed);
        } else {
            gdx_log(GDX_LOG_WARN, "cannot seal a dead letter, sending it as read", " reason=\"%s\"",
                    serr);
        }
    }

    if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig) {
        h = rd_kafka_headers_copy(orig);
    } else {
        h = rd_kafka_headers_new(8);
    }
    pos_header(pos, sizeof(pos), part, m->offset);
    rd_kafka_header_add(h, "gdx.error.stage", -1, stage, -1);
    rd_kafka_header_add(h, "gdx.error.reason", -1, reason, -1);
    rd_kafka_header_add(h, "gdx.error.field", -1, field ? field : "", -1);
    rd_kafka_header_add(h, "gdx.error.topic", -1, part->topic->name, -1);
    rd_kafka_header_add(h, "gdx.error.destination", -1, up->destination, -1);
    rd_kafka_header_add(h, "gdx.city.pos", -1, pos, -1);
    rd_kafka_header_add(h, "gdx.uplink.batch", -1, up->batch, -1);
    rd_kafka_header_add(h, "gdx.error.sealed", -1, sealed ? "enc:v1" : "no", -1);
    gdx_log(GDX_LOG_WARN, "record refused by the egress policy, sent to the dead letter topic",
            " pos=%s stage=%s field=%s reason=\"%s\" dlq=%s", pos, stage, field ? field : "-",
            reason, up->dlq_topic);
    if (up->started) {
        err = send_dlq(up, m->key, m->key_len, val, vlen, h);
    } else {
        stash_add(&up->stash, NULL, m->key, m->key_len, val, vlen, h, 0);
        err = GDX_OK;
    }
    free(sealed);
    if (err) {
        return err;
    }
    part->dead++;
    up->b_dead++;
    return GDX_OK;
}

/*
 * The provincial headers of a record: the city's as they came, less any gdx.city.pos,
 * gdx.uplink.batch (and, where it sets one, gdx.approval) a city record may bring, since only
 * the uplink sets them; then the uplink's own, and gdx.protect extended with its rules. The
 * headers are looked at in one pass: a removal by name walks the whole list and allocates,
 * so only names actually present are removed.
 */
static void headers_set(struct gdx_uplink *up, rd_kafka_headers_t *h, const struct up_schema *e,
                        const struct up_topic *t, const char *pos)
{
    const char *name;
    const void *val;
    size_t size, plen = 0;
    int has_pos = 0, has_batch = 0, has_appr = 0, has_prot = 0;
    int conditional = e && !strcmp(e->schema->share, "conditional");
    const char *rules = e && e->protect_hdr ? e->protect_hdr : "";
    char small[512], *merged = NULL;

    for (size_t i = 0; !rd_kafka_header_get_all(h, i, &name, &val, &size); i++) {
        /* by the first letter after "gdx." first: a record brings nine or so gdx.* headers */
        if (strncmp(name, "gdx.", 4) || !strchr("cuap", name[4]) || !name[4]) {
            continue;
        }
        if (name[4] == 'c' && !strcmp(name + 4, "city.pos")) {
            has_pos = 1;
        } else if (name[4] == 'u' && !strcmp(name + 4, "uplink.batch")) {
            has_batch = 1;
        } else if (name[4] == 'a' && !strcmp(name + 4, "approval")) {
            has_appr = 1;
        } else if (name[4] == 'p' && !strcmp(name + 4, "protect")) {
            has_prot = 1;
            plen = val ? size : 0; /* the last one counts, as rd_kafka_header_get_last */
            if (*rules && plen) {
                size_t need = plen + 1 + strlen(rules) + 1;
                if (merged && merged != small) {
                    free(merged);
                }
                merged = need <= sizeof(small) ? small : gdx_xrealloc(NULL, need);
                memcpy(merged, val, plen);
                merged[plen] = ',';
                memcpy(merged + plen + 1, rules, need - plen - 1);
            }
        }
    }
    if (has_pos) {
        rd_kafka_header_remove(h, "gdx.city.pos");
    }
    if (has_batch) {
        rd_kafka_header_remove(h, "gdx.uplink.batch");
    }
    rd_kafka_header_add(h, "gdx.city.pos", 12, pos, -1);
    rd_kafka_header_add(h, "gdx.uplink.batch", 16, up->batch, -1);
    if (conditional) {
        if (has_appr) {
            rd_kafka_header_remove(h, "gdx.approval");
        }
        rd_kafka_header_add(h, "gdx.approval", 12, t->approval, -1);
    }
    if (*rules) {
        if (has_prot) {
            rd_kafka_header_remove(h, "gdx.protect");
        }
        rd_kafka_header_add(h, "gdx.protect", 11, merged && plen ? merged : rules, -1);
    }
    if (merged && merged != small) {
        free(merged);
    }
}

/* Forward one city record: GDX_OK (produced or dead-lettered), GDX_ERR_RETRY (a registry is
 * unreachable: the attempt fails), another error (produce failed). */
static int forward(struct gdx_uplink *up, rd_kafka_message_t *m, struct up_part *part, char *errstr,
                   size_t errstr_size)
{
    struct up_topic *t = part->topic;
    struct up_schema *e = NULL;
    const void *body = NULL;
    size_t hl = 0, blen = 0, need;
    char reason[1024], pos[600];
    const char *stage, *field;
    uint8_t hdr[GDX_SOE_HEADER_LEN];
    size_t hdrlen = 0;
    int err;

    if (m->payload) {
        err = schema_of(up, m->payload, m->len, &e, &hl, reason, sizeof(reason));
        if (err == GDX_ERR_RETRY) {
            return gdx_seterr(errstr, errstr_size, err, "%s", reason);
        }
        if (err) {
            return dead_letter(up, m, part, NULL, "schema", reason, NULL);
        }
        if (e->policy_err) {
            return dead_letter(up, m, part, e, "policy", e->policy_err, NULL);
        }
        if (!share_allowed(up, e->schema->share)) {
            snprintf(reason, sizeof(reason), "schema '%s' shares '%s': not with '%s'",
                     e->schema->fullname, e->schema->share ? e->schema->share : "unset",
                     up->destination);
            return dead_letter(up, m, part, e, "policy", reason, NULL);
        }
        if (!strcmp(e->schema->share, "conditional") && !t->approval) {
            snprintf(reason, sizeof(reason),
                     "schema '%s' shares conditionally and topic '%s' has no approval id",
                     e->schema->fullname, t->name);
            return dead_letter(up, m, part, e, "policy", reason, NULL);
        }
        err = gdx_recoder_apply(e->rc, (const char *)m->payload + hl, m->len - hl, &body, &blen,
                                &stage, &field, reason, sizeof(reason));
        if (err) {
            return dead_letter(up, m, part, e, stage, reason, field);
        }
        if (up->dst_reg) {
            int32_t id;
            err = dest_id(up, e, t->dest, &id, reason, sizeof(reason));
            if (err == GDX_ERR_RETRY) {
                return gdx_seterr(errstr, errstr_size, err, "provincial registry: %s", reason);
            }
            if (err) {
                return dead_letter(up, m, part, e, "register", reason, NULL);
            }
            gdx_confluent_header(hdr, id);
            hdrlen = GDX_CONFLUENT_HEADER_LEN;
        } else {
            gdx_soe_header(hdr, e->schema->fingerprint);
            hdrlen = GDX_SOE_HEADER_LEN;
        }
    }

    need = hdrlen + blen;
    if (need > up->valcap) {
        up->valcap = need * 2;
        free(up->valbuf);
        up->valbuf = gdx_xcalloc(1, up->valcap);
    }
    if (m->payload) {
        memcpy(up->valbuf, hdr, hdrlen);
        memcpy(up->valbuf + hdrlen, body, blen);
    }

    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_detach_headers(m, &h) || !h) {
        h = rd_kafka_headers_new(4);
    }
    pos_header(pos, sizeof(pos), part, m->offset);
    headers_set(up, h, e, t, pos);
    int64_t ts = rd_kafka_message_timestamp(m, NULL);
    const void *val = m->payload ? up->valbuf : NULL;
    size_t vlen = m->payload ? need : 0;
    if (up->started) {
        if ((err = send_provincial(up, t, m->key, m->key_len, val, vlen, h, ts, errstr,
                                   errstr_size))) {
            return err;
        }
    } else {
        stash_add(&up->stash, t, m->key, m->key_len, val, vlen, h, ts); /* the batch before
                                                                         * is committing */
    }
    part->records++;
    up->b_records++;
    up->b_bytes += need;
    return GDX_OK;
}

/* Wait for the delivery reports of the attempt (dead letters on the city cluster, records on
 * the provincial one). A stop request bounds the wait by the grace period; a destination
 * that is down with no progress for UP_STALL_MS gives the attempt up. */
static int wait_delivered(struct gdx_uplink *up, int64_t deadline, char *errstr, size_t errstr_size)
{
    up->last_dr_ms = gdx_mono_ms();
    while (rd_kafka_outq_len(up->dlq) > 0) {
        rd_kafka_poll(up->dlq, 100);
        if (up->dlq_failed) {
            break;
        }
        if (deadline && gdx_mono_ms() > deadline) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_STOPPED,
                              "dead letters not delivered within the grace period");
        }
    }
    rd_kafka_poll(up->dlq, 0);
    if (up->dlq_failed) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                          "%" PRIu64 " dead letters not delivered to '%s': %s", up->dlq_failed,
                          up->dlq_topic, rd_kafka_err2str(up->dlq_err));
    }
    while (rd_kafka_outq_len(up->rk) > 0) {
        rd_kafka_poll(up->rk, 100);
        if (up->fatal) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_FATAL, "producer fatal error");
        }
        if (up->dr_failed) {
            break;
        }
        if (deadline && gdx_mono_ms() > deadline) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_STOPPED,
                              "records not delivered within the grace period");
        }
        if (gdx_mono_ms() - up->last_dr_ms > UP_STALL_MS) {
            /* the link may hang rather than fail: no delivery report for this long is an
             * outage either way */
            dest_alarm(up, "no delivery report");
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "no delivery report from the provincial cluster for %d s",
                              UP_STALL_MS / 1000);
        }
    }
    rd_kafka_poll(up->rk, 0);
    if (up->dr_failed) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                          "%" PRIu64 " records not delivered: %s", up->dr_failed,
                          rd_kafka_err2str(up->dr_err));
    }
    return GDX_OK;
}

static char *offset_value(const struct gdx_uplink *up, const struct up_closing *c,
                          const struct up_mark *mk)
{
    char at[32];
    json_t *doc = json_object();
    const struct up_part *part = mk->part;
    gdx_time_format_ms(gdx_now_ms(), at);
    json_object_set_new(doc, "city", json_string(up->city));
    json_object_set_new(doc, "topic", json_string(part->topic->name));
    json_object_set_new(doc, "partition", json_integer(part->partition));
    json_object_set_new(doc, "next", json_integer((json_int_t)mk->pos));
    json_object_set_new(doc, "batch", json_string(c->batch));
    json_object_set_new(doc, "records", json_integer((json_int_t)mk->records));
    json_object_set_new(doc, "dead", json_integer((json_int_t)mk->dead));
    if (mk->first >= 0) {
        json_object_set_new(doc, "first", json_integer((json_int_t)mk->first));
        json_object_set_new(doc, "last", json_integer((json_int_t)mk->last));
    }
    json_object_set_new(doc, "to", json_string(part->topic->dest));
    json_object_set_new(doc, "destination", json_string(up->destination));
    json_object_set_new(doc, "instance", json_integer((json_int_t)up->instance));
    json_object_set_new(doc, "config", json_string(up->config_sm3));
    json_object_set_new(doc, "committed.at", json_string(at));
    if (mk->gap) {
        json_object_set(doc, "gap", mk->gap);
    }
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

/* Deliver, write the positions read, commit the batch @p c. GDX_OK when committed. On the
 * committer's thread, which alone calls librdkafka meanwhile. */
static int batch_commit(struct gdx_uplink *up, struct up_closing *c, char *errstr,
                        size_t errstr_size)
{
    int64_t deadline = stopping(up) ? gdx_mono_ms() + up->grace_ms : 0;
    int err;

    int64_t t0 = gdx_mono_ms();
    if ((err = wait_delivered(up, deadline, errstr, errstr_size))) {
        return err;
    }
    c->t_deliver = gdx_mono_ms() - t0;
    t0 = gdx_mono_ms();
    if (GDX_FAULT("uplink.fatal")) {
        rd_kafka_test_fatal_error(up->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                  "injected by GDX_FAULTS=uplink.fatal");
        rd_kafka_poll(up->rk, 100);
    }
    for (size_t i = 0; i < c->n; i++) {
        const struct up_mark *mk = &c->marks[i];
        char *v = offset_value(up, c, mk);
        rd_kafka_headers_t *h = rd_kafka_headers_new(1);
        rd_kafka_header_add(h, "gdx.uplink.batch", -1, c->batch, -1);
        rd_kafka_resp_err_t rerr = rd_kafka_producev(
            up->rk, RD_KAFKA_V_RKT(up->rkt_off), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(mk->part->key, strlen(mk->part->key)), RD_KAFKA_V_VALUE(v, strlen(v)),
            RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)up->gen), RD_KAFKA_V_END);
        free(v);
        if (rerr) {
            rd_kafka_headers_destroy(h);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                              "cannot produce the offset record of '%s': %s", mk->part->key,
                              rd_kafka_err2str(rerr));
        }
    }
    int64_t commit_start = gdx_mono_ms();
    for (;;) {
        int64_t left = deadline ? deadline - gdx_mono_ms() : UP_STALL_MS;
        rd_kafka_error_t *error =
            GDX_FAULT("uplink.commit")
                ? rd_kafka_error_new(RD_KAFKA_RESP_ERR__TRANSPORT, "injected by GDX_FAULTS")
                : rd_kafka_commit_transaction(up->rk, (int)(left > 1000 ? left : 1000));
        if (!error) {
            break;
        }
        err = txn_error("cannot commit transaction", error);
        if (err != GDX_ERR_RETRY || (deadline && gdx_mono_ms() > deadline)) {
            return gdx_seterr(errstr, errstr_size, err, "commit failed");
        }
        if (gdx_mono_ms() - commit_start > UP_STALL_MS) {
            dest_alarm(up, "commit does not complete");
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "commit failed: provincial cluster unreachable for %d s",
                              UP_STALL_MS / 1000);
        }
        nap(up, 500);
        if (stopping(up) && !deadline) {
            deadline = gdx_mono_ms() + up->grace_ms;
        }
    }
    up->txn = 0;
    c->t_commit = gdx_mono_ms() - t0;
    dest_ok(up);
    return GDX_OK;
}

/*
 * The committer: closes up->closing (delivery reports, offset records, commit) on its own
 * thread while the main thread reads, checks and protects the next batch into the stash.
 * While it runs it alone calls librdkafka's provincial producer and the dead-letter
 * producer (so the delivery and error callbacks run here, and so do outage alarms and their
 * audit events); the main thread writes no audit line until it has joined.
 */
static void *commit_main(void *arg)
{
    struct gdx_uplink *up = arg;
    struct up_closing *c = &up->closing;
    c->err = up->fatal ? GDX_ERR_FATAL : batch_commit(up, c, c->errstr, sizeof(c->errstr));
    if (c->err && !c->errstr[0]) {
        snprintf(c->errstr, sizeof(c->errstr), "%s",
                 up->fatal ? "producer fatal error" : "commit failed");
    }
    atomic_store(&up->commit_done, 1);
    return NULL;
}

/* Hand the current batch to the committer: what it moves on, per partition, in marks. */
static void commit_start(struct gdx_uplink *up, int inline_commit)
{
    struct up_closing *c = &up->closing;
    for (size_t i = 0; i < c->n; i++) {
        json_decref(c->marks[i].gap);
    }
    c->n = 0;
    if (c->cap < up->nparts) {
        c->cap = up->nparts;
        c->marks = gdx_xrealloc(c->marks, c->cap * sizeof(*c->marks));
    }
    for (size_t i = 0; i < up->nparts; i++) {
        struct up_part *part = up->parts[i];
        if (!part->touched) {
            continue;
        }
        struct up_mark *mk = &c->marks[c->n++];
        mk->part = part;
        mk->from = part->next;
        mk->pos = part->pos;
        mk->records = part->records;
        mk->dead = part->dead;
        mk->first = part->first;
        mk->last = part->last;
        mk->gap = part->gap; /* recorded by this batch: the next one does not repeat it */
        part->gap = NULL;
    }
    snprintf(c->batch, sizeof(c->batch), "%s", up->batch);
    c->records = up->b_records;
    c->dead = up->b_dead;
    c->bytes = up->b_bytes;
    c->t_fill = up->t_fill;
    c->t_deliver = c->t_commit = 0;
    c->err = 0;
    c->errstr[0] = '\0';
    up->open = up->started = 0;
    atomic_store(&up->commit_done, 0);
    if (inline_commit || pthread_create(&up->commit_thread, NULL, commit_main, up)) {
        commit_main(up); /* stopping (within the grace period), or no thread to be had */
        up->commit_pending = 1;
        return;
    }
    up->commit_running = 1;
}

/* Wait for the committer. Its result stays pending until commit_settle acts on it. */
static void commit_join(struct gdx_uplink *up)
{
    if (!up->commit_running) {
        return;
    }
    pthread_join(up->commit_thread, NULL);
    up->commit_running = 0;
    up->commit_pending = 1;
}

/*
 * Act on the committer's result, waiting for it first. A committed batch leaves its
 * evidence (fsynced) before its positions count as done; GDX_ERR_IO (up->audit_broken) when
 * the trail cannot be written. A failed one returns its error with the reason in @p errstr:
 * the caller aborts and re-reads the positions from the provincial side.
 */
static int commit_settle(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    struct up_closing *c = &up->closing;
    commit_join(up);
    if (!up->commit_pending) {
        return GDX_OK;
    }
    up->commit_pending = 0;
    if (c->err) {
        return gdx_seterr(errstr, errstr_size, c->err, "%s", c->errstr);
    }
    if (GDX_FAULT("uplink.crash.after.commit")) {
        raise(SIGKILL); /* a crash between the provincial commit and its audit event */
    }
    if (up->audit) {
        /* the evidence of the forwarded batch, before the positions count as done */
        json_t *src = json_array(), *dst = gdx_audit_ranges_json(up->dranges);
        char aerr[512];
        int any = 0;
        for (size_t i = 0; i < c->n; i++) {
            const struct up_mark *mk = &c->marks[i];
            if (mk->pos > mk->from) {
                int64_t from = mk->from < 0 ? 0 : mk->from;
                json_array_append_new(
                    src,
                    json_pack("{s:s,s:i,s:I,s:I,s:I}", "topic", mk->part->topic->name, "partition",
                              (int)mk->part->partition, "first", (json_int_t)from, "last",
                              (json_int_t)(mk->pos - 1), "count", (json_int_t)(mk->pos - from)));
                any = 1;
            }
        }
        int aret = any ? gdx_audit_uplink_batch(up->audit, up->actor, c->batch, c->records, src,
                                                dst, 0, aerr, sizeof(aerr))
                       : 0;
        json_decref(src);
        json_decref(dst);
        if (aret) {
            up->audit_broken = 1;
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                              "cannot write the audit trail in '%s': %s; stopping", up->auditc.dir,
                              aerr);
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        struct up_mark *mk = &c->marks[i];
        mk->part->next = mk->pos;
        json_decref(mk->gap);
        mk->gap = NULL;
    }
    if (c->n) {
        up->st.records += c->records;
        up->st.dead += c->dead;
        up->st.batches++;
        gdx_metrics_committed(up->metrics, c->records, c->dead, c->bytes,
                              c->t_deliver + c->t_commit);
        gdx_log(GDX_LOG_DEBUG, "uplink batch committed",
                " batch=%s records=%" PRIu64 " dead=%" PRIu64 " fill_ms=%" PRId64
                " deliver_ms=%" PRId64 " commit_ms=%" PRId64,
                c->batch, c->records, c->dead, c->t_fill, c->t_deliver, c->t_commit);
    }
    c->n = 0;
    return GDX_OK;
}

/* Give the attempt up: the transaction open on the producer (the current batch's or, when
 * @p closing, the one the committer failed to commit) is aborted, and the stash of the batch
 * that waited behind it dropped; the positions are re-read from the provincial side next. */
static void batch_abort(struct gdx_uplink *up, int closing, const char *why)
{
    struct up_closing *c = &up->closing;
    up->st.aborts++;
    gdx_metrics_aborted(up->metrics);
    gdx_log(GDX_LOG_WARN, "uplink batch aborted, resuming from the committed positions",
            " batch=%s records=%" PRIu64 " dead=%" PRIu64 " reason=\"%s\"",
            closing ? c->batch : up->batch, closing ? c->records : up->b_records,
            closing ? c->dead : up->b_dead, why);
    up->gen++;
    if (up->rk && !up->fatal && up->txn) {
        rd_kafka_error_t *error = rd_kafka_abort_transaction(up->rk, UP_KAFKA_TIMEOUT);
        if (error) {
            txn_error("cannot abort transaction", error);
        }
        /* A new producer (a new producer id) for the next attempt, aborted or not: after
         * an attempt given up with records in flight librdkafka bumps the epoch and
         * restarts the sequence numbers, and librdkafka 2.0.2's mock cluster, which keeps
         * sequences per producer id rather than per epoch, would acknowledge the re-sent
         * records as duplicates without writing them (DESIGN.md, mock limits). */
        dest_close(up);
    } else if (up->fatal) {
        dest_close(up);
    }
    for (size_t i = 0; i < c->n; i++) {
        json_decref(c->marks[i].gap);
    }
    c->n = 0;
    stash_clear(&up->stash);
    up->txn = up->open = up->started = 0;
}

static int recover(struct gdx_uplink *up, int closing, const char *why, char *errstr,
                   size_t errstr_size)
{
    int err;
    batch_abort(up, closing, why);
    if (up->fatal) {
        dest_close(up);
    }
    if (!up->rk && (err = dest_up(up, errstr, errstr_size))) {
        return err;
    }
    /* A new city consumer: records and end-of-partition events fetched for the given-up
     * attempt must not reach the next one (a stale record past the new position would make
     * the records before it look already read). */
    rd_kafka_t *old = up->consumer;
    char cid[400];
    snprintf(cid, sizeof(cid), "%s-city", up->tid);
    up->consumer = gdx_kafka_consumer_new(&up->src_kc, cid, errstr, errstr_size);
    if (!up->consumer) {
        up->consumer = old;
        return GDX_ERR_CONFIG;
    }
    rd_kafka_assign(old, NULL);
    rd_kafka_destroy(old);
    return positions_apply(up, errstr, errstr_size);
}

static void progress(struct gdx_uplink *up, int force)
{
    int64_t now = gdx_mono_ms();
    if (!force && now - up->last_progress_ms < UP_PROGRESS_MS) {
        return;
    }
    double secs = (double)(now - up->last_progress_ms) / 1000.0;
    uint64_t delta = up->st.records - up->progress_records;
    if (delta || force) {
        gdx_log(GDX_LOG_INFO, "progress",
                " records=%" PRIu64 " dead=%" PRIu64 " batches=%" PRIu64 " aborts=%" PRIu64
                " gaps=%" PRIu64 " rate=%.0f/s",
                up->st.records, up->st.dead, up->st.batches, up->st.aborts, up->st.gaps,
                secs > 0 ? (double)delta / secs : 0.0);
    }
    up->last_progress_ms = now;
    up->progress_records = up->st.records;
}

static struct up_part *part_of(struct gdx_uplink *up, const rd_kafka_message_t *m)
{
    const char *name = rd_kafka_topic_name(m->rkt);
    for (size_t i = 0; i < up->nt; i++) {
        struct up_topic *t = &up->tv[i];
        if (!strcmp(t->name, name)) {
            return m->partition >= 0 && m->partition < t->npart ? t->byp[m->partition] : NULL;
        }
    }
    return NULL;
}

static void lag_check(struct gdx_uplink *up, struct up_part *part, const rd_kafka_message_t *m)
{
    int64_t ts = rd_kafka_message_timestamp(m, NULL), now;
    if (ts <= 0) {
        return;
    }
    now = gdx_now_ms();
    if (now - ts > part->topic->retention_ms * 8 / 10 &&
        (!part->lag_warned_ms || gdx_mono_ms() - part->lag_warned_ms > UP_ALARM_EVERY_MS)) {
        part->lag_warned_ms = gdx_mono_ms();
        gdx_log(GDX_LOG_WARN,
                "uplink lag approaches the source retention: records may be lost to a gap",
                " topic=%s partition=%d offset=%" PRId64 " lag_ms=%" PRId64
                " retention_ms=%" PRId64,
                part->topic->name, part->partition, m->offset, now - ts, part->topic->retention_ms);
    }
}

/* 1 when every partition being forwarded is at its end and nothing is open */
static int all_done(const struct gdx_uplink *up)
{
    for (size_t i = 0; i < up->nparts; i++) {
        if (!up->parts[i]->stopped && !up->parts[i]->eof) {
            return 0;
        }
    }
    return 1;
}

/*
 * Fill one batch from the city consumer. While the batch before is being committed, its
 * records are checked, protected and stashed; as soon as that commit is settled, the
 * batch's transaction begins, the stash goes out, and reading produces directly. GDX_OK, or
 * an error that fails the attempt (@p closing set when it is the batch before that failed).
 */
static int batch_fill(struct gdx_uplink *up, int once, int *closing, char *errstr,
                      size_t errstr_size)
{
    int64_t end = up->b_started + up->batch_max_ms, now = gdx_mono_ms();
    uint64_t iter = 0;
    int idle = 1, err;
    *closing = 0;
    while (!stopping(up)) {
        if (up->commit_running && atomic_load(&up->commit_done)) {
            if ((err = commit_settle(up, errstr, errstr_size))) {
                *closing = 1;
                return err;
            }
            if (up->open && (err = batch_begin(up, errstr, errstr_size))) {
                return err;
            }
        }
        /* the clock and the producer's callbacks every 32 records, or when idle (while the
         * committer runs, it alone serves the producers) */
        if (idle || (++iter & 31) == 0) {
            now = gdx_mono_ms();
            if (!up->commit_running) {
                rd_kafka_poll(up->rk, 0);
            }
            retention_poll(up);
        }
        if (now >= end || up->b_records + up->b_dead >= (uint64_t)up->batch_max_records ||
            up->b_bytes >= (uint64_t)up->batch_max_bytes ||
            (!up->commit_running && ((up->down && up->open) || up->fatal))) {
            break;
        }
        /* caught up: commit what is open now rather than at max.ms; with --once, stop */
        if (idle && (up->open || once) && all_done(up)) {
            break;
        }
        idle = 0;
        rd_kafka_message_t *m =
            rd_kafka_consumer_poll(up->consumer, (int)(end - now < 100 ? end - now : 100));
        if (!m) {
            idle = 1;
            continue;
        }
        struct up_part *part = part_of(up, m);
        if (m->err) {
            idle = 1;
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (part && m->offset >= part->pos) {
                    part->eof = 1;
                }
            } else {
                gdx_log(GDX_LOG_WARN, "city consumer error", " error=%s reason=\"%s\"",
                        rd_kafka_err2name(m->err), rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (!part || part->stopped || m->offset < part->pos) {
            rd_kafka_message_destroy(m);
            continue; /* not ours, or fetched before a re-seek */
        }
        up->open = 1;
        if (!up->started && !up->commit_running && (err = batch_begin(up, errstr, errstr_size))) {
            rd_kafka_message_destroy(m);
            return err;
        }
        if (part->topic->retention_ms > 0) {
            lag_check(up, part, m);
        }
        err = forward(up, m, part, errstr, errstr_size);
        if (err) {
            rd_kafka_message_destroy(m);
            return err;
        }
        if (part->first < 0) {
            part->first = m->offset;
        }
        part->last = m->offset;
        part->pos = m->offset + 1;
        part->touched = 1;
        part->eof = 0;
        rd_kafka_message_destroy(m);
    }
    /* an accepted gap is recorded even when nothing follows it */
    for (size_t i = 0; !up->open && i < up->nparts; i++) {
        if (up->parts[i]->gap) {
            up->open = 1;
        }
    }
    return GDX_OK;
}

static int clients_up(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    char cid[400];
    snprintf(cid, sizeof(cid), "%s-city", up->tid);
    up->consumer = gdx_kafka_consumer_new(&up->src_kc, cid, errstr, errstr_size);
    if (!up->consumer) {
        return GDX_ERR_CONFIG;
    }
    snprintf(cid, sizeof(cid), "%s-offsets", up->tid);
    up->off_consumer = gdx_kafka_consumer_new(&up->dst_kc, cid, errstr, errstr_size);
    if (!up->off_consumer) {
        return GDX_ERR_CONFIG;
    }
    snprintf(cid, sizeof(cid), "%s-dlq", up->tid);
    up->dlq =
        producer_new(up, &up->src_kc, cid, NULL, dlq_dr_cb, dlq_error_cb, errstr, errstr_size);
    if (!up->dlq) {
        return GDX_ERR_CONFIG;
    }
    up->rkt_dlq = rd_kafka_topic_new(up->dlq, up->dlq_topic, NULL);
    if (up->src_reg_url) {
        up->src_reg = gdx_registry_new(up->src_reg_url, up->src_reg_auth, up->src_reg_ca, errstr,
                                       errstr_size);
        if (!up->src_reg) {
            return GDX_ERR_CONFIG;
        }
        gdx_registry_set_tls(up->src_reg, &up->src_tls);
    }
    if (up->dst_reg_url) {
        up->dst_reg = gdx_registry_new(up->dst_reg_url, up->dst_reg_auth, up->dst_reg_ca, errstr,
                                       errstr_size);
        if (!up->dst_reg) {
            return GDX_ERR_CONFIG;
        }
        gdx_registry_set_tls(up->dst_reg, &up->dst_tls);
    }
    return GDX_OK;
}

/* A crash between a provincial commit and its audit event: the newest batch in the offset
 * records read at start has no event in the trail. Write it now, marked recovered, with the
 * source ranges its offset records name (destination offsets are not known any more). */
static int audit_recover(struct gdx_uplink *up, char *errstr, size_t errstr_size)
{
    const struct up_part *newest = NULL;
    const char *last;
    char aerr[512];
    uint64_t records = 0;
    json_t *src, *dst;
    int err;

    if (!up->audit) {
        return GDX_OK;
    }
    for (size_t i = 0; i < up->nparts; i++) {
        const struct up_part *p = up->parts[i];
        if (p->cbatch && (!newest || strcmp(p->cat, newest->cat) > 0)) {
            newest = p;
        }
    }
    last = gdx_audit_last_batch(up->audit);
    if (!newest || (last && !strcmp(last, newest->cbatch))) {
        return GDX_OK;
    }
    src = json_array();
    for (size_t i = 0; i < up->nparts; i++) {
        const struct up_part *p = up->parts[i];
        if (p->cbatch && !strcmp(p->cbatch, newest->cbatch) && p->cfirst >= 0) {
            json_array_append_new(src,
                                  json_pack("{s:s,s:i,s:I,s:I,s:I}", "topic", p->topic->name,
                                            "partition", (int)p->partition, "first",
                                            (json_int_t)p->cfirst, "last", (json_int_t)p->clast,
                                            "count", (json_int_t)(p->clast - p->cfirst + 1)));
            records += p->crecords;
        }
    }
    gdx_log(GDX_LOG_WARN, "the last committed uplink batch has no audit event: writing it now",
            " batch=%s records=%" PRIu64, newest->cbatch, records);
    dst = json_array();
    err = gdx_audit_uplink_batch(up->audit, up->actor, newest->cbatch, records, src, dst, 1, aerr,
                                 sizeof(aerr));
    json_decref(src);
    json_decref(dst);
    if (err) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                          "cannot write the audit trail in '%s': %s; stopping", up->auditc.dir,
                          aerr);
    }
    return GDX_OK;
}

int gdx_uplink_run(struct gdx_uplink *up, int once, const volatile int *stop, char *errstr,
                   size_t errstr_size)
{
    char berr[1024];
    int err;
    int64_t backoff = 500, fail_backoff = 0;

    up->stop = stop;
    up->metrics = gdx_metrics_from_env();
    if ((err = lock_take(up, errstr, errstr_size)) || (err = clients_up(up, errstr, errstr_size))) {
        return err;
    }
    if (up->auditc.dir && !up->audit) {
        char aerr[512];
        if ((err = gdx_audit_conf_open(&up->auditc, up->actor, &up->audit, aerr, sizeof(aerr))) ||
            (gdx_audit_set_mirror(up->audit, uplink_audit_mirror, up), 0) ||
            (err = gdx_audit_start(up->audit, GDX_VERSION, up->config_sm3, aerr, sizeof(aerr)))) {
            return gdx_seterr(errstr, errstr_size, err ? err : GDX_ERR_IO,
                              "cannot write the audit trail in '%s': %s", up->auditc.dir, aerr);
        }
        up->dranges = gdx_audit_ranges_new();
    }
    gdx_log(GDX_LOG_INFO, "starting",
            " city=%s destination=%s instance=%" PRId64 "/%" PRId64
            " transactional.id=%s config=%s config.sm3=%s version=%s pid=%ld",
            up->city, up->destination, up->instance, up->instances, up->tid, up->path,
            up->config_sm3, GDX_VERSION, (long)getpid());
    while ((err = topics_resolve(up, errstr, errstr_size)) ||
           (err = topics_subscribe(up, errstr, errstr_size))) {
        if (err != GDX_ERR_RETRY) {
            return err;
        }
        gdx_log(GDX_LOG_WARN, "city cluster not ready, retrying", " reason=\"%s\"", errstr);
        if (stopping(up)) {
            return GDX_OK;
        }
        nap(up, backoff);
        backoff = backoff_next(backoff);
    }
    retention_ask(up);
    if (!up->nparts) {
        gdx_log(GDX_LOG_WARN,
                "no partition to forward (no shared topic, or none owned by this "
                "instance)",
                " topics=%zu", up->nt);
    }
    if ((err = dest_up(up, errstr, errstr_size)) ||
        (err = positions_apply(up, errstr, errstr_size))) {
        return err == GDX_ERR_STOPPED ? GDX_OK : err;
    }
    if ((err = audit_recover(up, errstr, errstr_size))) {
        goto out;
    }
    dest_ok(up);
    up->started_ms = up->last_progress_ms = gdx_mono_ms();
    gdx_metrics_state(up->metrics, "running", NULL);

    /*
     * The pipeline: batch N is committed on the committer's thread while batch N+1 is read,
     * checked and protected into the stash (a transaction cannot begin before the one before
     * it ends); N+1 begins, and its stash goes out, as soon as N is settled: its audit event
     * written and its positions moved on. Any failure, N's or N+1's, aborts and re-reads the
     * positions from the provincial side on a new producer.
     */
    while (!stopping(up)) {
        int closing = 0;
        batch_new(up);
        err = batch_fill(up, once, &closing, berr, sizeof(berr));
        up->t_fill = gdx_mono_ms() - up->b_started;
        if (!err && (up->commit_running || up->commit_pending)) {
            closing = 1;
            err = commit_settle(up, berr, sizeof(berr));
            closing = err != 0;
        }
        if (!err && up->fatal) {
            err = gdx_seterr(berr, sizeof(berr), GDX_ERR_FATAL, "producer fatal error");
        } else if (!err && up->open) {
            if (!up->started) {
                err = batch_begin(up, berr, sizeof(berr));
            }
            if (!err && up->error) {
                err =
                    gdx_seterr(berr, sizeof(berr), GDX_ERR_FAIL, "a record could not be produced");
            }
            if (!err) {
                /* on the committer's thread, and on to the next batch; stopping, here and
                 * within the grace period */
                int now = stopping(up);
                commit_start(up, now);
                if (now && (err = commit_settle(up, berr, sizeof(berr)))) {
                    closing = 1;
                }
            }
        }
        if (err && !closing && (up->commit_running || up->commit_pending)) {
            /* this batch failed while the one before was committing: that one ends first */
            char cerr[1024];
            if (commit_settle(up, cerr, sizeof(cerr))) {
                closing = 1;
                if (up->audit_broken) {
                    snprintf(berr, sizeof(berr), "%s", cerr);
                }
            }
        }
        if (err) {
            if (up->audit_broken) {
                snprintf(errstr, errstr_size, "%s", berr);
                goto out;
            }
            if (up->down) {
                dest_alarm(up, berr);
            }
            if ((err = recover(up, closing, berr, errstr, errstr_size))) {
                if (err == GDX_ERR_STOPPED) {
                    err = GDX_OK;
                }
                goto out;
            }
            /* failing again and again (a registry away, ...): back off, up to 30 s */
            if (fail_backoff) {
                nap(up, fail_backoff);
            }
            fail_backoff = fail_backoff ? backoff_next(fail_backoff) : 500;
            continue;
        }
        fail_backoff = 0;
        progress(up, 0);
        gdx_metrics_tick(up->metrics);
        if (once && !up->commit_running && !up->commit_pending && all_done(up)) {
            break;
        }
    }
    /* stopped: the batch in commit ends first (committed within the grace period, or
     * aborted), then whatever the last fill left open */
    if ((err = commit_settle(up, berr, sizeof(berr)))) {
        if (up->audit_broken) {
            snprintf(errstr, errstr_size, "%s", berr);
            goto out;
        }
        batch_abort(up, 1, berr);
    }
    err = GDX_OK;
    if (up->open || up->txn) {
        batch_abort(up, 0, "stopping");
    }
out:
    if (up->commit_running || up->commit_pending) {
        /* leaving on an error: a batch the committer got through still gets its evidence */
        char serr[1024];
        if (commit_settle(up, serr, sizeof(serr)) && !up->audit_broken) {
            batch_abort(up, 1, serr);
        }
    }
    gdx_metrics_state(up->metrics, err ? "failed" : "stopped", err ? errstr : NULL);
    progress(up, 1);
    if (up->audit) {
        char aerr[512];
        if (gdx_audit_stop(up->audit,
                           err            ? "error"
                           : stopping(up) ? "signal"
                                          : "drained",
                           aerr, sizeof(aerr)) ||
            gdx_audit_close(up->audit, aerr, sizeof(aerr))) {
            gdx_log(GDX_LOG_ERROR, "cannot close the audit trail", " reason=\"%s\"", aerr);
        }
        up->audit = NULL;
        if (up->dlq) {
            rd_kafka_flush(up->dlq, 5000);
        }
    }
    gdx_log(GDX_LOG_INFO, "stopped",
            " records=%" PRIu64 " dead=%" PRIu64 " batches=%" PRIu64 " aborts=%" PRIu64
            " gaps=%" PRIu64 " elapsed_ms=%" PRId64,
            up->st.records, up->st.dead, up->st.batches, up->st.aborts, up->st.gaps,
            gdx_mono_ms() - up->started_ms);
    if (!err && once) {
        size_t stopped = 0;
        char first[600] = "";
        for (size_t i = 0; i < up->nparts; i++) {
            if (up->parts[i]->stopped) {
                if (!stopped++) {
                    snprintf(first, sizeof(first), "%s/%d", up->parts[i]->topic->name,
                             up->parts[i]->partition);
                }
            }
        }
        if (stopped) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                             "%zu partition(s) stopped at a retention gap (first: '%s'); "
                             "see the error log, then restart with --accept-gap %s",
                             stopped, first, first);
        }
    }
    return err;
}

/* ---------------------------------------------------------------------------------------
 * check
 */

int gdx_uplink_check(struct gdx_uplink *up, FILE *out, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr;
    int err, failed = 0;
    rd_kafka_t *rk;

    fprintf(out, "config       %s: ok (sm3 %.16s...)\n", up->path, up->config_sm3);
    fprintf(out,
            "uplink       city %s to %s, instance %" PRId64 " of %" PRId64
            ", transactional.id %s\n",
            up->city, up->destination, up->instance, up->instances, up->tid);
    if ((err = clients_up(up, errstr, errstr_size))) {
        fprintf(out, "clients      FAILED: %s\n", errstr);
        return err;
    }
    rk = producer_new(up, &up->dst_kc, "gdx-uplink-check", NULL, dr_cb, error_cb, errstr,
                      errstr_size);
    if (!rk) {
        fprintf(out, "destination  FAILED: %s\n", errstr);
        return GDX_ERR_CONFIG;
    }
    fprintf(out, "clients      ok (TLS/SASL settings accepted by librdkafka)\n");
    rerr = rd_kafka_metadata(up->consumer, 1, NULL, &md, 5000);
    if (rerr) {
        fprintf(out, "source       FAILED: cannot reach '%s': %s\n", up->src_kc.bootstrap,
                rd_kafka_err2str(rerr));
        failed = 1;
    } else {
        fprintf(out, "source       %s: %d topics\n", up->src_kc.bootstrap, md->topic_cnt);
        rd_kafka_metadata_destroy(md);
    }
    rerr = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
    if (rerr) {
        fprintf(out, "destination  FAILED: cannot reach '%s': %s\n", up->dst_kc.bootstrap,
                rd_kafka_err2str(rerr));
        failed = 1;
    } else {
        fprintf(out, "destination  %s: %d topics\n", up->dst_kc.bootstrap, md->topic_cnt);
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
    if (failed) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "a cluster is not reachable");
    }
    /* the share policy per topic, as a start would apply it */
    if ((err = topics_resolve(up, errstr, errstr_size)) ||
        (err = topics_subscribe(up, errstr, errstr_size))) {
        fprintf(out, "policy       FAILED: %s\n", errstr);
        return err;
    }
    for (size_t i = 0; i < up->nt; i++) {
        fprintf(out, "topic        %s: %s%s%s\n", up->tv[i].name,
                up->tv[i].skip ? "not shared with this destination, never read" : "to ",
                up->tv[i].skip ? "" : up->tv[i].dest,
                up->tv[i].approval && !up->tv[i].skip ? " (approval on every record)" : "");
    }
    fprintf(out, "result       ok: the uplink can run (%zu partitions owned)\n", up->nparts);
    return GDX_OK;
}
