/*
 * gdx_regserver.c - the embedded schema registry: Confluent's REST API over libmicrohttpd,
 * state in the `_schemas` topic.
 *
 * The state is the fold of the `_schemas` log, exactly as in Confluent Schema Registry, and
 * with its record shapes, so either registry can read the other's topic:
 *
 *   {"keytype":"SCHEMA","subject":S,"version":V,"magic":1}
 *       -> {"subject":S,"version":V,"id":ID,"schema":TEXT,"deleted":BOOL} | null (purged)
 *   {"keytype":"CONFIG","subject":S|null,"magic":0} -> {"compatibilityLevel":L} | null
 *   {"keytype":"DELETE_SUBJECT","subject":S,"magic":0} -> {"subject":S,"version":V}
 *       (every version up to V is soft-deleted)
 *
 * Invariant: memory only ever changes by applying a record that Kafka has acknowledged
 * (acks=all, delivery report awaited), through the same apply function the start-up replay
 * uses; so what a client was told is what a restart rebuilds, with the same ids and versions.
 * A write that Kafka does not acknowledge is answered 50001 and changes nothing.
 *
 * Ids are global: a schema text already known under any subject (compared as compact JSON,
 * so whitespace does not matter) reuses its id; new ids are the highest seen plus one.
 * Versions of a subject count on past soft-deleted ones. Schemas are stored and served as
 * the original text, verbatim: Avro-C drops logicalType and defaults when it prints one.
 *
 * One lock serialises requests (libmicrohttpd serves on one internal thread anyway); the
 * tables are arrays searched linearly, sized for the dozens of subjects of a city.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <avro.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>

#include "gdx_avro.h"
#include "gdx_compat.h"
#include "gdx_err.h"
#include "gdx_kafka.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_regserver.h"
#include "gdx_text.h"

#define RS_CONTENT_TYPE  "application/vnd.schemaregistry.v1+json"
#define RS_MAX_BODY      GDX_LIMIT_REGISTRY_BODY /* a request body above this is refused */
#define RS_KAFKA_TIMEOUT 10000
#define RS_DEFAULT_LEVEL GDX_COMPAT_BACKWARD
#define RS_LEVELS_MESSAGE                                                                          \
    "Invalid compatibility level. Valid values are none, backward, forward, full, "                \
    "backward_transitive, forward_transitive, and full_transitive"

struct rs_version {
    int version;
    int32_t id;
    int deleted;
};

struct rs_subject {
    char *name;
    struct rs_version *v; /* ascending versions */
    size_t n, cap;
};

struct rs_schema {
    int32_t id;
    char *text; /* as first registered, verbatim */
    char *norm; /* compact JSON, the identity */
};

struct rs_config {
    char *subject; /* NULL: global */
    int level;
};

struct gdx_regserver {
    pthread_mutex_t lock;
    struct rs_subject *subjects;
    size_t nsubjects, cap_subjects;
    struct rs_schema *schemas;
    size_t nschemas, cap_schemas;
    struct rs_config *configs;
    size_t nconfigs, cap_configs;
    int32_t max_id;
    char *topic;
    rd_kafka_t *producer;
    struct MHD_Daemon *httpd;
    char url[96];
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        abort();
    }
    return d;
}

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? 2 * (cap) : 8;                                                         \
            (arr) = xrealloc((arr), (cap) * sizeof(*(arr)));                                       \
        }                                                                                          \
    } while (0)

/* ---------------------------------------------------------------------------------------
 * The tables */

static struct rs_subject *subject_find(struct gdx_regserver *srv, const char *name)
{
    for (size_t i = 0; i < srv->nsubjects; i++) {
        if (!strcmp(srv->subjects[i].name, name)) {
            return &srv->subjects[i];
        }
    }
    return NULL;
}

static struct rs_subject *subject_get(struct gdx_regserver *srv, const char *name)
{
    struct rs_subject *s = subject_find(srv, name);
    if (s) {
        return s;
    }
    GROW(srv->subjects, srv->nsubjects, srv->cap_subjects);
    s = &srv->subjects[srv->nsubjects++];
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    return s;
}

static struct rs_version *version_find(struct rs_subject *s, int version)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->v[i].version == version) {
            return &s->v[i];
        }
    }
    return NULL;
}

/* Newest version, live only unless @p deleted. */
static struct rs_version *version_latest(struct rs_subject *s, int deleted)
{
    for (size_t i = s ? s->n : 0; i > 0; i--) {
        if (deleted || !s->v[i - 1].deleted) {
            return &s->v[i - 1];
        }
    }
    return NULL;
}

static size_t subject_live(const struct rs_subject *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        n += !s->v[i].deleted;
    }
    return n;
}

static struct rs_schema *schema_by_id(struct gdx_regserver *srv, int32_t id)
{
    for (size_t i = 0; i < srv->nschemas; i++) {
        if (srv->schemas[i].id == id) {
            return &srv->schemas[i];
        }
    }
    return NULL;
}

static struct rs_schema *schema_by_norm(struct gdx_regserver *srv, const char *norm)
{
    for (size_t i = 0; i < srv->nschemas; i++) {
        if (!strcmp(srv->schemas[i].norm, norm)) {
            return &srv->schemas[i];
        }
    }
    return NULL;
}

/* Compact JSON of a schema text: equal for texts that differ only in whitespace. */
static char *schema_norm(const char *text)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_DECODE_ANY, &jerr);
    char *norm;

    if (!root) {
        return xstrdup(text);
    }
    norm = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(root);
    return norm ? norm : xstrdup(text);
}

static void schema_add(struct gdx_regserver *srv, int32_t id, const char *text)
{
    struct rs_schema *sc;
    if (schema_by_id(srv, id)) {
        return;
    }
    GROW(srv->schemas, srv->nschemas, srv->cap_schemas);
    sc = &srv->schemas[srv->nschemas++];
    sc->id = id;
    sc->text = xstrdup(text);
    sc->norm = schema_norm(text);
}

/* Drop an id no version refers to any more (all of them purged). */
static void schema_gc(struct gdx_regserver *srv, int32_t id)
{
    for (size_t i = 0; i < srv->nsubjects; i++) {
        for (size_t j = 0; j < srv->subjects[i].n; j++) {
            if (srv->subjects[i].v[j].id == id) {
                return;
            }
        }
    }
    for (size_t i = 0; i < srv->nschemas; i++) {
        if (srv->schemas[i].id == id) {
            free(srv->schemas[i].text);
            free(srv->schemas[i].norm);
            srv->schemas[i] = srv->schemas[--srv->nschemas];
            return;
        }
    }
}

static struct rs_config *config_find(struct gdx_regserver *srv, const char *subject)
{
    for (size_t i = 0; i < srv->nconfigs; i++) {
        const char *s = srv->configs[i].subject;
        if ((!s && !subject) || (s && subject && !strcmp(s, subject))) {
            return &srv->configs[i];
        }
    }
    return NULL;
}

static int level_global(struct gdx_regserver *srv)
{
    struct rs_config *c = config_find(srv, NULL);
    return c ? c->level : RS_DEFAULT_LEVEL;
}

static int level_of(struct gdx_regserver *srv, const char *subject)
{
    struct rs_config *c = config_find(srv, subject);
    return c ? c->level : level_global(srv);
}

/* ---------------------------------------------------------------------------------------
 * Applying `_schemas` records: the only way the state changes. */

static void apply_schema(struct gdx_regserver *srv, const char *subject, int version, json_t *val)
{
    struct rs_subject *s;
    struct rs_version *v;
    json_t *jid = json_object_get(val, "id"), *jtext = json_object_get(val, "schema");
    int32_t id;

    if (!val) {
        /* purge */
        s = subject_find(srv, subject);
        v = version_find(s, version);
        if (v) {
            id = v->id;
            memmove(v, v + 1, (size_t)(s->v + s->n - (v + 1)) * sizeof(*v));
            s->n--;
            schema_gc(srv, id);
        }
        return;
    }
    if (!json_is_integer(jid) || !json_is_string(jtext) || json_integer_value(jid) < 0 ||
        json_integer_value(jid) > INT32_MAX) {
        gdx_log(GDX_LOG_WARN, "ignoring a schema record without id or schema",
                " topic=%s version=%d", srv->topic, version);
        return;
    }
    id = (int32_t)json_integer_value(jid);
    schema_add(srv, id, json_string_value(jtext));
    if (id > srv->max_id) {
        srv->max_id = id;
    }
    s = subject_get(srv, subject);
    v = version_find(s, version);
    if (!v) {
        size_t at = s->n;
        GROW(s->v, s->n, s->cap);
        while (at > 0 && s->v[at - 1].version > version) {
            at--;
        }
        memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof(*s->v));
        s->n++;
        v = &s->v[at];
        v->version = version;
    }
    v->id = id;
    v->deleted = json_is_true(json_object_get(val, "deleted"));
}

static void apply_config(struct gdx_regserver *srv, const char *subject, json_t *val)
{
    struct rs_config *c = config_find(srv, subject);
    json_t *jl = json_object_get(val, "compatibilityLevel");
    int level = json_is_string(jl) ? gdx_compat_level_parse(json_string_value(jl)) : -1;

    if (!val || level < 0) {
        if (val) {
            gdx_log(GDX_LOG_WARN, "ignoring a config record with an unknown level", " topic=%s",
                    srv->topic);
            return;
        }
        if (c) {
            free(c->subject);
            *c = srv->configs[--srv->nconfigs];
        }
        return;
    }
    if (!c) {
        GROW(srv->configs, srv->nconfigs, srv->cap_configs);
        c = &srv->configs[srv->nconfigs++];
        c->subject = subject ? xstrdup(subject) : NULL;
    }
    c->level = level;
}

static void apply_delete_subject(struct gdx_regserver *srv, json_t *val)
{
    json_t *js = json_object_get(val, "subject"), *jv = json_object_get(val, "version");
    struct rs_subject *s;

    if (!json_is_string(js) || !json_is_integer(jv)) {
        return;
    }
    s = subject_find(srv, json_string_value(js));
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->v[i].version <= json_integer_value(jv)) {
            s->v[i].deleted = 1;
        }
    }
}

/* Apply one record; @p value NULL is a tombstone. Unknown key types (MODE, NOOP, ...) are
 * Confluent's business and are skipped. */
static void apply_record(struct gdx_regserver *srv, const char *key, size_t key_len,
                         const char *value, size_t value_len)
{
    json_error_t jerr;
    json_t *k = json_loadb(key, key_len, 0, &jerr), *v = NULL;
    const char *type, *subject;
    json_t *jsub;

    if (!k || !json_is_string(json_object_get(k, "keytype"))) {
        gdx_log(GDX_LOG_WARN, "ignoring a record with an unreadable key", " topic=%s", srv->topic);
        goto out;
    }
    if (value && !(v = json_loadb(value, value_len, 0, &jerr))) {
        gdx_log(GDX_LOG_WARN, "ignoring a record with an unreadable value", " topic=%s",
                srv->topic);
        goto out;
    }
    type = json_string_value(json_object_get(k, "keytype"));
    jsub = json_object_get(k, "subject");
    subject = json_is_string(jsub) ? json_string_value(jsub) : NULL;
    if (!strcmp(type, "SCHEMA")) {
        json_t *jver = json_object_get(k, "version");
        if (subject && json_is_integer(jver)) {
            apply_schema(srv, subject, (int)json_integer_value(jver), v);
        }
    } else if (!strcmp(type, "CONFIG")) {
        apply_config(srv, subject, v);
    } else if (!strcmp(type, "DELETE_SUBJECT")) {
        if (v) {
            apply_delete_subject(srv, v);
        }
    } else {
        gdx_log(GDX_LOG_DEBUG, "skipping a record", " topic=%s keytype=%s", srv->topic, type);
    }
out:
    json_decref(k);
    json_decref(v);
}

/* ---------------------------------------------------------------------------------------
 * Kafka */

struct rs_dr {
    int done;
    rd_kafka_resp_err_t err;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct rs_dr *dr = msg->_private;
    (void)rk;
    (void)opaque;
    dr->err = msg->err;
    dr->done = 1;
}

static void on_kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    int lvl = level <= 4 ? GDX_LOG_WARN : GDX_LOG_DEBUG;
    if (!strcmp(fac, "FAIL") || !strcmp(fac, "ERROR")) {
        lvl = GDX_LOG_DEBUG; /* librdkafka retries these itself */
    }
    gdx_log(lvl, buf, " kafka.client=%s kafka.facility=%s", rd_kafka_name(rk), fac);
}

/*
 * Write one record and, once Kafka has acknowledged it, apply it. @p value NULL writes a
 * tombstone. GDX_ERR_KAFKA (nothing applied) when the write fails.
 */
static int store_put(struct gdx_regserver *srv, json_t *key, json_t *value, char *errstr,
                     size_t errstr_size)
{
    char *k = json_dumps(key, JSON_COMPACT);
    char *v = value ? json_dumps(value, JSON_COMPACT) : NULL;
    struct rs_dr dr = {0, RD_KAFKA_RESP_ERR_NO_ERROR};
    rd_kafka_resp_err_t err;
    int ret = GDX_OK;

    if (!k || (value && !v)) {
        abort();
    }
    if (srv->producer) {
        err = rd_kafka_producev(
            srv->producer, RD_KAFKA_V_TOPIC(srv->topic), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_KEY(k, strlen(k)), RD_KAFKA_V_VALUE(v, v ? strlen(v) : 0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&dr), RD_KAFKA_V_END);
        if (err) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot write to '%s': %s",
                             srv->topic, rd_kafka_err2str(err));
            goto out;
        }
        /* message.timeout.ms bounds the wait: a delivery report always comes */
        while (!dr.done) {
            rd_kafka_poll(srv->producer, 100);
        }
        if (dr.err) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot write to '%s': %s",
                             srv->topic, rd_kafka_err2str(dr.err));
            goto out;
        }
    }
    apply_record(srv, k, strlen(k), v, v ? strlen(v) : 0);
out:
    free(k);
    free(v);
    return ret;
}

static json_t *key_schema(const char *subject, int version)
{
    return json_pack("{s:s, s:s, s:i, s:i}", "keytype", "SCHEMA", "subject", subject, "version",
                     version, "magic", 1);
}

static json_t *key_config(const char *subject)
{
    return json_pack("{s:s, s:o, s:i}", "keytype", "CONFIG", "subject",
                     subject ? json_string(subject) : json_null(), "magic", 0);
}

static json_t *key_delete_subject(const char *subject)
{
    return json_pack("{s:s, s:s, s:i}", "keytype", "DELETE_SUBJECT", "subject", subject, "magic",
                     0);
}

static int put_schema(struct gdx_regserver *srv, const char *subject, int version, int32_t id,
                      const char *text, int deleted, char *errstr, size_t errstr_size)
{
    json_t *k = key_schema(subject, version);
    json_t *v = json_pack("{s:s, s:i, s:i, s:s, s:b}", "subject", subject, "version", version, "id",
                          (int)id, "schema", text, "deleted", deleted);
    int ret = store_put(srv, k, v, errstr, errstr_size);
    json_decref(k);
    json_decref(v);
    return ret;
}

static int put_tombstone(struct gdx_regserver *srv, json_t *k, char *errstr, size_t errstr_size)
{
    int ret = store_put(srv, k, NULL, errstr, errstr_size);
    json_decref(k);
    return ret;
}

static int create_topic(rd_kafka_t *rk, const char *topic, char *errstr, size_t errstr_size)
{
    char rderr[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 1, -1, rderr, sizeof(rderr));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    int ret = GDX_OK;

    if (!nt) {
        rd_kafka_queue_destroy(q);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create topic '%s': %s",
                          topic, rderr);
    }
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, RS_KAFKA_TIMEOUT + 2000);
    if (!ev) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot create topic '%s': timed out",
                         topic);
    } else if (rd_kafka_event_error(ev)) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create topic '%s': %s", topic,
                         rd_kafka_event_error_string(ev));
    } else {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
        if (n == 1 && rd_kafka_topic_result_error(tr[0]) &&
            rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create topic '%s': %s",
                             topic, rd_kafka_topic_result_error_string(tr[0]));
        }
    }
    if (ev) {
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    return ret;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the whole topic into memory. */
static int store_load(struct gdx_regserver *srv, const struct gdx_kafka_conf *kc, char *errstr,
                      size_t errstr_size)
{
    rd_kafka_t *consumer = gdx_kafka_consumer_new(kc, "gdx-registry", errstr, errstr_size);
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t lo = 0, hi = 0, deadline, count = 0;
    int32_t cnt = 0;
    rd_kafka_resp_err_t rerr;
    int ret;

    if (!consumer) {
        return GDX_ERR_CONFIG;
    }
    ret = gdx_kafka_partition_count(consumer, srv->topic, RS_KAFKA_TIMEOUT, &cnt, errstr,
                                    errstr_size);
    if (ret == GDX_ERR_NOENT) {
        char cerr[512];
        if ((ret = create_topic(srv->producer, srv->topic, cerr, sizeof(cerr))) != GDX_OK) {
            gdx_seterr(errstr, errstr_size, ret,
                       "schema topic '%s' does not exist (create it with 1 partition, "
                       "cleanup.policy=compact): %s",
                       srv->topic, cerr);
            goto out;
        }
        ret = gdx_kafka_partition_count(consumer, srv->topic, RS_KAFKA_TIMEOUT, &cnt, errstr,
                                        errstr_size);
    }
    if (ret) {
        goto out;
    }
    if (cnt != 1) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "schema topic '%s' has %d partitions: it must have exactly 1, so "
                         "that writes keep one order",
                         srv->topic, (int)cnt);
        goto out;
    }
    rerr = rd_kafka_query_watermark_offsets(consumer, srv->topic, 0, &lo, &hi, RS_KAFKA_TIMEOUT);
    if (rerr) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "cannot read the end of schema topic '%s': %s", srv->topic,
                         rd_kafka_err2str(rerr));
        goto out;
    }
    if (hi > lo) {
        parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(parts, srv->topic, 0)->offset = lo;
        rerr = rd_kafka_assign(consumer, parts);
        if (rerr) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot assign '%s': %s",
                             srv->topic, rd_kafka_err2str(rerr));
            goto out;
        }
        deadline = mono_ms() + 6 * RS_KAFKA_TIMEOUT;
        for (;;) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(consumer, 100);
            int64_t at;
            if (!msg) {
                if (mono_ms() > deadline) {
                    ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                                     "timed out reading schema topic '%s' up to offset %" PRId64,
                                     srv->topic, hi);
                    break;
                }
                continue;
            }
            if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                at = msg->offset;
                rd_kafka_message_destroy(msg);
                if (at >= hi) {
                    break;
                }
                continue;
            }
            if (msg->err) {
                ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot read '%s': %s",
                                 srv->topic, rd_kafka_message_errstr(msg));
                rd_kafka_message_destroy(msg);
                break;
            }
            if (msg->key) {
                apply_record(srv, msg->key, msg->key_len, msg->payload, msg->len);
                count++;
            }
            at = msg->offset;
            rd_kafka_message_destroy(msg);
            if (at + 1 >= hi) {
                break;
            }
        }
        rd_kafka_assign(consumer, NULL);
    }
    if (ret == GDX_OK) {
        gdx_log(GDX_LOG_INFO, "schema registry state loaded",
                " topic=%s records=%" PRId64 " subjects=%zu schemas=%zu max.id=%d", srv->topic,
                count, srv->nsubjects, srv->nschemas, (int)srv->max_id);
    }
out:
    if (parts) {
        rd_kafka_topic_partition_list_destroy(parts);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return ret;
}

static rd_kafka_t *producer_new(const struct gdx_kafka_conf *kc, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char rderr[512];
    rd_kafka_t *rk;

    rd_kafka_conf_set_log_cb(conf, on_kafka_log);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    if (gdx_kafka_conf_apply(kc, conf, errstr, errstr_size) ||
        gdx_kafka_set(conf, "client.id", "gdx-registry", errstr, errstr_size) ||
        gdx_kafka_set(conf, "acks", "all", errstr, errstr_size) ||
        gdx_kafka_set(conf, "enable.idempotence", "false", errstr, errstr_size) ||
        gdx_kafka_set(conf, "max.in.flight", "1", errstr, errstr_size) ||
        gdx_kafka_set(conf, "linger.ms", "0", errstr, errstr_size) ||
        gdx_kafka_set(conf, "message.timeout.ms", "10000", errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof(rderr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create kafka producer: %s", rderr);
    }
    return rk;
}

/* ---------------------------------------------------------------------------------------
 * Lifecycle */

struct gdx_regserver *gdx_regserver_new(const struct gdx_kafka_conf *kc, const char *topic,
                                        int *err, char *errstr, size_t errstr_size)
{
    struct gdx_regserver *srv = calloc(1, sizeof(*srv));
    int ret = GDX_OK;

    if (!srv) {
        abort();
    }
    pthread_mutex_init(&srv->lock, NULL);
    srv->topic = xstrdup(topic ? topic : GDX_REGSERVER_TOPIC);
    if (kc) {
        if (!(srv->producer = producer_new(kc, errstr, errstr_size))) {
            ret = GDX_ERR_CONFIG;
        } else {
            ret = store_load(srv, kc, errstr, errstr_size);
        }
    }
    if (err) {
        *err = ret;
    }
    if (ret) {
        gdx_regserver_destroy(srv);
        return NULL;
    }
    return srv;
}

void gdx_regserver_destroy(struct gdx_regserver *srv)
{
    if (!srv) {
        return;
    }
    if (srv->httpd) {
        MHD_stop_daemon(srv->httpd);
    }
    if (srv->producer) {
        rd_kafka_flush(srv->producer, RS_KAFKA_TIMEOUT);
        rd_kafka_destroy(srv->producer);
    }
    for (size_t i = 0; i < srv->nsubjects; i++) {
        free(srv->subjects[i].name);
        free(srv->subjects[i].v);
    }
    free(srv->subjects);
    for (size_t i = 0; i < srv->nschemas; i++) {
        free(srv->schemas[i].text);
        free(srv->schemas[i].norm);
    }
    free(srv->schemas);
    for (size_t i = 0; i < srv->nconfigs; i++) {
        free(srv->configs[i].subject);
    }
    free(srv->configs);
    free(srv->topic);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

const char *gdx_regserver_url(const struct gdx_regserver *srv)
{
    return srv->httpd ? srv->url : NULL;
}

/* ---------------------------------------------------------------------------------------
 * Requests */

struct rs_req {
    const char *method;
    char *segs[8];
    int nseg;
    const char *query;
    const char *body;
    size_t body_len;
    char **resp;
};

static int reply(struct rs_req *r, int status, json_t *doc)
{
    *r->resp = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    if (!*r->resp) {
        abort();
    }
    return status;
}

static int reply_error(struct rs_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reply_error(struct rs_req *r, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int status = code >= 1000 ? code / 100 : code;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* the message quotes the path; a cut character or a stray byte would make the JSON
     * encoder fail, so whatever is not UTF-8 becomes '?' */
    for (size_t off = 0, len = strlen(msg), bad; !gdx_utf8_valid(msg + off, len - off, &bad);) {
        msg[off + bad] = '?';
        off += bad + 1;
    }
    return reply(r, status, json_pack("{s:i, s:s}", "error_code", code, "message", msg));
}

/* 1 if query argument @p name is "true" */
static int query_true(const struct rs_req *r, const char *name)
{
    size_t nl = strlen(name);
    const char *q = r->query;

    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len > nl && !strncmp(q, name, nl) && q[nl] == '=') {
            return len - nl - 1 == 4 && !strncasecmp(q + nl + 1, "true", 4);
        }
        q = end ? end + 1 : NULL;
    }
    return 0;
}

/* A version path argument: 1..INT_MAX, or "latest" / "-1" -> 0. -1 if invalid. */
static int parse_version(const char *s)
{
    char *end;
    long v;

    if (!strcmp(s, "latest") || !strcmp(s, "-1")) {
        return 0;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > INT_MAX) {
        return -1;
    }
    return (int)v;
}

static int reply_bad_version(struct rs_req *r, const char *s)
{
    return reply_error(r, 42202,
                       "The specified version '%s' is not a valid version id. Allowed values "
                       "are between [1, 2^31-1] and the string \"latest\"",
                       s);
}

/*
 * Check a schema the way registration does: valid JSON, an Avro schema Avro-C accepts (gdx's
 * own parser for records), and one the compatibility engine can read.
 */
static int schema_validate(const char *text, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    json_t *jt = root ? json_object_get(root, "type") : NULL;
    int ret = GDX_OK;

    if (!root) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "not JSON: line %d: %s", jerr.line,
                          jerr.text);
    }
    if (json_is_string(jt) && !strcmp(json_string_value(jt), "record")) {
        struct gdx_schema *s = gdx_schema_parse(text, strlen(text), NULL, errstr, errstr_size);
        if (!s) {
            ret = GDX_ERR_SCHEMA;
        }
        gdx_schema_destroy(s);
    } else {
        avro_schema_t as = NULL;
        if (avro_schema_from_json_length(text, strlen(text), &as)) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "%s", avro_strerror());
        }
        if (as) {
            avro_schema_decref(as);
        }
    }
    json_decref(root);
    if (ret == GDX_OK && gdx_compat_can_read(text, text, errstr, errstr_size) < 0) {
        ret = GDX_ERR_SCHEMA;
    }
    return ret;
}

/*
 * Read the request body {"schema": "...", "schemaType"?: "AVRO", "references"?: []}. On
 * failure the reply is made and its status returned; 0 on success with *text set (owned by
 * *doc).
 */
static int read_schema_body(struct rs_req *r, json_t **doc, const char **text)
{
    json_error_t jerr;
    json_t *js, *jt, *jr;
    char err[512];

    *doc = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : NULL;
    if (!*doc || !json_is_object(*doc)) {
        return reply_error(r, 400,
                           "Unrecognized request body: expected a JSON object with "
                           "\"schema\"");
    }
    js = json_object_get(*doc, "schema");
    jt = json_object_get(*doc, "schemaType");
    jr = json_object_get(*doc, "references");
    if (jt && !(json_is_string(jt) && !strcmp(json_string_value(jt), "AVRO"))) {
        return reply_error(r, 42201, "Invalid schema type %s: this registry serves AVRO only",
                           json_is_string(jt) ? json_string_value(jt) : "(not a string)");
    }
    if (jr && !(json_is_array(jr) && json_array_size(jr) == 0)) {
        return reply_error(r, 42201, "Invalid schema: schema references are not supported");
    }
    if (!json_is_string(js) || !*json_string_value(js)) {
        return reply_error(r, 42201, "Empty schema");
    }
    if (schema_validate(json_string_value(js), err, sizeof(err)) != GDX_OK) {
        return reply_error(r, 42201, "Invalid schema: %s", err);
    }
    *text = json_string_value(js);
    return 0;
}

static json_t *version_doc(struct gdx_regserver *srv, const struct rs_subject *s,
                           const struct rs_version *v)
{
    struct rs_schema *sc = schema_by_id(srv, v->id);
    return json_pack("{s:s, s:i, s:i, s:s}", "subject", s->name, "version", v->version, "id",
                     (int)v->id, "schema", sc ? sc->text : "");
}

/* Live version of @p s holding the schema @p norm (any version if @p deleted). */
static struct rs_version *version_by_norm(struct gdx_regserver *srv, struct rs_subject *s,
                                          const char *norm, int deleted)
{
    for (size_t i = s ? s->n : 0; i > 0; i--) {
        struct rs_version *v = &s->v[i - 1];
        struct rs_schema *sc = schema_by_id(srv, v->id);
        if ((deleted || !v->deleted) && sc && !strcmp(sc->norm, norm)) {
            return v;
        }
    }
    return NULL;
}

/* Compatibility of @p text with the given versions at @p level: GDX_OK, GDX_ERR_SCHEMA. */
static int check_compat(struct gdx_regserver *srv, const char *text, struct rs_version **vs,
                        size_t n, int level, char *errstr, size_t errstr_size)
{
    const char **olds;
    int ret;

    if (level == GDX_COMPAT_NONE || n == 0) {
        return GDX_OK;
    }
    olds = xrealloc(NULL, n * sizeof(*olds));
    for (size_t i = 0; i < n; i++) {
        struct rs_schema *sc = schema_by_id(srv, vs[i]->id);
        olds[i] = sc ? sc->text : "null";
    }
    ret = gdx_compat_check(text, olds, n, (enum gdx_compat_level)level, errstr, errstr_size);
    free(olds);
    return ret == GDX_OK ? GDX_OK : GDX_ERR_SCHEMA;
}

/* The live versions of a subject, oldest first (malloc'd, *n set). */
static struct rs_version **live_versions(struct rs_subject *s, size_t *n)
{
    struct rs_version **vs = xrealloc(NULL, (s ? s->n : 0) * sizeof(*vs));
    *n = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        if (!s->v[i].deleted) {
            vs[(*n)++] = &s->v[i];
        }
    }
    return vs;
}

static int h_register(struct gdx_regserver *srv, struct rs_req *r, const char *subject)
{
    struct rs_subject *s = subject_find(srv, subject);
    struct rs_version *v, **vs = NULL;
    struct rs_schema *sc;
    json_t *doc = NULL;
    const char *text = NULL;
    char *norm = NULL, err[1024];
    size_t n = 0;
    int status, version;
    int32_t id;

    if ((status = read_schema_body(r, &doc, &text))) {
        goto out;
    }
    norm = schema_norm(text);
    if ((v = version_by_norm(srv, s, norm, 0))) {
        status = reply(r, 200, json_pack("{s:i}", "id", (int)v->id));
        goto out;
    }
    vs = live_versions(s, &n);
    if (check_compat(srv, text, vs, n, level_of(srv, subject), err, sizeof(err)) != GDX_OK) {
        status = reply_error(r, 409,
                             "Schema being registered is incompatible with an earlier schema "
                             "for subject \"%s\", details: [%s]",
                             subject, err);
        goto out;
    }
    sc = schema_by_norm(srv, norm);
    id = sc ? sc->id : srv->max_id + 1;
    v = version_latest(s, 1);
    version = v ? v->version + 1 : 1;
    if (put_schema(srv, subject, version, id, sc ? sc->text : text, 0, err, sizeof(err))) {
        status = reply_error(r, 50001, "Error while registering schema: %s", err);
        goto out;
    }
    gdx_log(GDX_LOG_INFO, "schema registered", " subject=%s version=%d id=%d", subject, version,
            (int)id);
    status = reply(r, 200, json_pack("{s:i}", "id", (int)id));
out:
    free(vs);
    free(norm);
    json_decref(doc);
    return status;
}

static int h_lookup(struct gdx_regserver *srv, struct rs_req *r, const char *subject)
{
    struct rs_subject *s = subject_find(srv, subject);
    int deleted = query_true(r, "deleted");
    struct rs_version *v;
    json_t *doc = NULL;
    const char *text = NULL;
    char *norm = NULL;
    int status;

    if ((status = read_schema_body(r, &doc, &text))) {
        goto out;
    }
    if (!s || (!deleted && !subject_live(s)) || !s->n) {
        status = reply_error(r, 40401, "Subject '%s' not found.", subject);
        goto out;
    }
    norm = schema_norm(text);
    if (!(v = version_by_norm(srv, s, norm, deleted))) {
        status = reply_error(r, 40403, "Schema not found");
        goto out;
    }
    status = reply(r, 200, version_doc(srv, s, v));
out:
    free(norm);
    json_decref(doc);
    return status;
}

static int h_subjects(struct gdx_regserver *srv, struct rs_req *r)
{
    json_t *a = json_array();
    int deleted = query_true(r, "deleted");
    for (size_t i = 0; i < srv->nsubjects; i++) {
        struct rs_subject *s = &srv->subjects[i];
        if (s->n && (deleted || subject_live(s))) {
            json_array_append_new(a, json_string(s->name));
        }
    }
    return reply(r, 200, a);
}

static int h_versions(struct gdx_regserver *srv, struct rs_req *r, const char *subject)
{
    struct rs_subject *s = subject_find(srv, subject);
    int deleted = query_true(r, "deleted");
    json_t *a;

    if (!s || !s->n || (!deleted && !subject_live(s))) {
        return reply_error(r, 40401, "Subject '%s' not found.", subject);
    }
    a = json_array();
    for (size_t i = 0; i < s->n; i++) {
        if (deleted || !s->v[i].deleted) {
            json_array_append_new(a, json_integer(s->v[i].version));
        }
    }
    return reply(r, 200, a);
}

/* Resolve subject + version argument for GET/compat; replies on failure (returns status). */
static int resolve_version(struct gdx_regserver *srv, struct rs_req *r, const char *subject,
                           const char *varg, int deleted, struct rs_subject **sp,
                           struct rs_version **vp)
{
    int version = parse_version(varg);
    struct rs_subject *s;
    struct rs_version *v;

    if (version < 0) {
        return reply_bad_version(r, varg);
    }
    s = subject_find(srv, subject);
    if (!s || !s->n || (!deleted && !subject_live(s))) {
        return reply_error(r, 40401, "Subject '%s' not found.", subject);
    }
    v = version ? version_find(s, version) : version_latest(s, deleted);
    if (!v || (v->deleted && !deleted)) {
        if (version) {
            return reply_error(r, 40402, "Version %d not found.", version);
        }
        return reply_error(r, 40402, "Version latest not found.");
    }
    *sp = s;
    *vp = v;
    return 0;
}

static int h_version_get(struct gdx_regserver *srv, struct rs_req *r, const char *subject,
                         const char *varg, int raw)
{
    struct rs_subject *s = NULL;
    struct rs_version *v = NULL;
    int status = resolve_version(srv, r, subject, varg, query_true(r, "deleted"), &s, &v);
    struct rs_schema *sc;
    json_error_t jerr;
    json_t *j;

    if (status) {
        return status;
    }
    if (!raw) {
        return reply(r, 200, version_doc(srv, s, v));
    }
    /* /schema: the schema itself, as JSON */
    sc = schema_by_id(srv, v->id);
    j = sc ? json_loads(sc->text, JSON_DECODE_ANY, &jerr) : NULL;
    if (!j) {
        return reply_error(r, 50001, "Error while reading schema %d", (int)v->id);
    }
    *r->resp = xstrdup(sc->text);
    json_decref(j);
    return 200;
}

static int h_version_delete(struct gdx_regserver *srv, struct rs_req *r, const char *subject,
                            const char *varg)
{
    int permanent = query_true(r, "permanent");
    int version = parse_version(varg);
    struct rs_subject *s;
    struct rs_version *v;
    struct rs_schema *sc;
    char err[512];

    if (version < 0) {
        return reply_bad_version(r, varg);
    }
    s = subject_find(srv, subject);
    if (!s || !s->n) {
        return reply_error(r, 40401, "Subject '%s' not found.", subject);
    }
    v = version ? version_find(s, version) : version_latest(s, permanent);
    if (!v) {
        return reply_error(r, 40402, "Version %s not found.", varg);
    }
    version = v->version;
    if (!permanent) {
        if (v->deleted) {
            return reply_error(r, 40406,
                               "Subject '%s' Version %d was soft deleted.Set permanent=true to "
                               "delete permanently",
                               subject, version);
        }
        sc = schema_by_id(srv, v->id);
        if (put_schema(srv, subject, version, v->id, sc ? sc->text : "null", 1, err, sizeof(err))) {
            return reply_error(r, 50001, "Error while deleting version: %s", err);
        }
    } else {
        if (!v->deleted) {
            return reply_error(r, 40407,
                               "Subject '%s' Version %d was not deleted first before being "
                               "permanently deleted",
                               subject, version);
        }
        if (put_tombstone(srv, key_schema(subject, version), err, sizeof(err))) {
            return reply_error(r, 50001, "Error while deleting version: %s", err);
        }
    }
    gdx_log(GDX_LOG_INFO, "schema version deleted", " subject=%s version=%d permanent=%d", subject,
            version, permanent);
    return reply(r, 200, json_integer(version));
}

static int h_subject_delete(struct gdx_regserver *srv, struct rs_req *r, const char *subject)
{
    int permanent = query_true(r, "permanent");
    struct rs_subject *s = subject_find(srv, subject);
    struct rs_version *latest;
    char err[512];
    json_t *a, *k, *v;
    int *vers;
    size_t n = 0;

    if (!s || !s->n) {
        return reply_error(r, 40401, "Subject '%s' not found.", subject);
    }
    if (!permanent) {
        if (!subject_live(s)) {
            return reply_error(r, 40404,
                               "Subject '%s' was soft deleted.Set permanent=true to delete "
                               "permanently",
                               subject);
        }
        a = json_array();
        for (size_t i = 0; i < s->n; i++) {
            if (!s->v[i].deleted) {
                json_array_append_new(a, json_integer(s->v[i].version));
            }
        }
        latest = version_latest(s, 1);
        k = key_delete_subject(subject);
        v = json_pack("{s:s, s:i}", "subject", subject, "version", latest->version);
        if (store_put(srv, k, v, err, sizeof(err))) {
            json_decref(k);
            json_decref(v);
            json_decref(a);
            return reply_error(r, 50001, "Error while deleting subject: %s", err);
        }
        json_decref(k);
        json_decref(v);
        gdx_log(GDX_LOG_INFO, "subject deleted", " subject=%s permanent=0", subject);
        return reply(r, 200, a);
    }
    if (subject_live(s)) {
        return reply_error(r, 40405,
                           "Subject '%s' was not deleted first before being permanently deleted",
                           subject);
    }
    /* purge each version; the subject entry may move under us, so copy the numbers first */
    vers = xrealloc(NULL, s->n * sizeof(*vers));
    for (size_t i = 0; i < s->n; i++) {
        vers[n++] = s->v[i].version;
    }
    a = json_array();
    for (size_t i = 0; i < n; i++) {
        if (put_tombstone(srv, key_schema(subject, vers[i]), err, sizeof(err))) {
            free(vers);
            json_decref(a);
            return reply_error(r, 50001, "Error while deleting subject: %s", err);
        }
        json_array_append_new(a, json_integer(vers[i]));
    }
    free(vers);
    if (put_tombstone(srv, key_delete_subject(subject), err, sizeof(err))) {
        json_decref(a);
        return reply_error(r, 50001, "Error while deleting subject: %s", err);
    }
    gdx_log(GDX_LOG_INFO, "subject deleted", " subject=%s permanent=1", subject);
    return reply(r, 200, a);
}

static int h_schema_id(struct gdx_regserver *srv, struct rs_req *r, const char *idarg,
                       const char *what)
{
    char *end;
    long id;
    struct rs_schema *sc;
    json_t *a;
    int deleted = query_true(r, "deleted");

    errno = 0;
    id = strtol(idarg, &end, 10);
    sc = (errno || end == idarg || *end || id < 0 || id > INT32_MAX)
             ? NULL
             : schema_by_id(srv, (int32_t)id);
    if (!sc) {
        return reply_error(r, 40403, "Schema %s not found", idarg);
    }
    if (!what) {
        return reply(r, 200, json_pack("{s:s}", "schema", sc->text));
    }
    if (!strcmp(what, "schema")) {
        *r->resp = xstrdup(sc->text);
        return 200;
    }
    a = json_array();
    for (size_t i = 0; i < srv->nsubjects; i++) {
        struct rs_subject *s = &srv->subjects[i];
        for (size_t j = 0; j < s->n; j++) {
            if (s->v[j].id != sc->id || (s->v[j].deleted && !deleted)) {
                continue;
            }
            if (!strcmp(what, "versions")) {
                json_array_append_new(
                    a, json_pack("{s:s, s:i}", "subject", s->name, "version", s->v[j].version));
            } else {
                json_array_append_new(a, json_string(s->name));
                break;
            }
        }
    }
    return reply(r, 200, a);
}

static int h_compat(struct gdx_regserver *srv, struct rs_req *r, const char *subject,
                    const char *varg)
{
    struct rs_subject *s = NULL;
    struct rs_version *v = NULL, **vs = NULL;
    json_t *doc = NULL, *res;
    const char *text = NULL;
    char err[1024] = "";
    size_t n = 0;
    int status, ok;

    if (varg && parse_version(varg) < 0) {
        return reply_bad_version(r, varg);
    }
    if ((status = read_schema_body(r, &doc, &text))) {
        goto out;
    }
    if (varg) {
        if ((status = resolve_version(srv, r, subject, varg, 0, &s, &v))) {
            goto out;
        }
        ok = check_compat(srv, text, &v, 1, level_of(srv, subject), err, sizeof(err)) == GDX_OK;
    } else {
        vs = live_versions(subject_find(srv, subject), &n);
        ok = check_compat(srv, text, vs, n, level_of(srv, subject), err, sizeof(err)) == GDX_OK;
    }
    res = json_pack("{s:b}", "is_compatible", ok);
    if (query_true(r, "verbose")) {
        json_object_set_new(res, "messages", ok ? json_array() : json_pack("[s]", err));
    }
    status = reply(r, 200, res);
out:
    free(vs);
    json_decref(doc);
    return status;
}

static int h_config(struct gdx_regserver *srv, struct rs_req *r, const char *subject)
{
    struct rs_config *c = config_find(srv, subject);
    json_error_t jerr;
    json_t *doc, *jl, *k, *v;
    char err[512];
    int level, prev;

    if (!strcmp(r->method, "GET")) {
        if (!subject) {
            return reply(
                r, 200,
                json_pack("{s:s}", "compatibilityLevel", gdx_compat_level_name(level_global(srv))));
        }
        if (!c && !query_true(r, "defaultToGlobal")) {
            return reply_error(r, 40408,
                               "Subject '%s' does not have subject-level compatibility "
                               "configured",
                               subject);
        }
        return reply(r, 200,
                     json_pack("{s:s}", "compatibilityLevel",
                               gdx_compat_level_name(level_of(srv, subject))));
    }
    if (!strcmp(r->method, "DELETE")) {
        if (subject && !c) {
            return reply_error(r, 40408,
                               "Subject '%s' does not have subject-level compatibility "
                               "configured",
                               subject);
        }
        prev = subject ? c->level : level_global(srv);
        if (c && put_tombstone(srv, key_config(subject), err, sizeof(err))) {
            return reply_error(r, 50001, "Error while deleting the config: %s", err);
        }
        return reply(r, 200, json_pack("{s:s}", "compatibilityLevel", gdx_compat_level_name(prev)));
    }
    /* PUT */
    doc = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : NULL;
    jl = json_object_get(doc, "compatibility");
    if (!jl) {
        jl = json_object_get(doc, "compatibilityLevel");
    }
    level = json_is_string(jl) ? gdx_compat_level_parse(json_string_value(jl)) : -1;
    json_decref(doc);
    if (level < 0) {
        return reply_error(r, 42203, RS_LEVELS_MESSAGE);
    }
    k = key_config(subject);
    v = json_pack("{s:s}", "compatibilityLevel", gdx_compat_level_name(level));
    if (store_put(srv, k, v, err, sizeof(err))) {
        json_decref(k);
        json_decref(v);
        return reply_error(r, 50001, "Error while updating the config: %s", err);
    }
    json_decref(k);
    json_decref(v);
    gdx_log(GDX_LOG_INFO, "compatibility set", " subject=%s level=%s",
            subject ? subject : "(global)", gdx_compat_level_name(level));
    return reply(r, 200, json_pack("{s:s}", "compatibility", gdx_compat_level_name(level)));
}

static int route(struct gdx_regserver *srv, struct rs_req *r)
{
    const char *m = r->method;
    char **s = r->segs;
    int n = r->nseg;
    int get = !strcmp(m, "GET"), post = !strcmp(m, "POST"), put = !strcmp(m, "PUT");
    int del = !strcmp(m, "DELETE");

    for (int i = 0; i < n; i++) {
        size_t bad;
        /* subjects and versions become JSON strings in replies and in `_schemas` */
        if (!gdx_utf8_valid(s[i], strlen(s[i]), &bad)) {
            return reply_error(r, 404, "HTTP 404 Not Found: the path is not valid UTF-8");
        }
    }
    if (n == 0) {
        return get ? reply(r, 200, json_object())
                   : reply_error(r, 405, "HTTP 405 Method Not Allowed");
    }
    if (!strcmp(s[0], "subjects")) {
        if (n == 1) {
            return get ? h_subjects(srv, r) : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        if (n == 2) {
            return post  ? h_lookup(srv, r, s[1])
                   : del ? h_subject_delete(srv, r, s[1])
                         : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        if (strcmp(s[2], "versions") != 0) {
            return reply_error(r, 404, "HTTP 404 Not Found");
        }
        if (n == 3) {
            return get    ? h_versions(srv, r, s[1])
                   : post ? h_register(srv, r, s[1])
                          : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        if (n == 4) {
            return get   ? h_version_get(srv, r, s[1], s[3], 0)
                   : del ? h_version_delete(srv, r, s[1], s[3])
                         : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        if (n == 5 && !strcmp(s[4], "schema")) {
            return get ? h_version_get(srv, r, s[1], s[3], 1)
                       : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        return reply_error(r, 404, "HTTP 404 Not Found");
    }
    if (!strcmp(s[0], "schemas")) {
        if (n == 2 && !strcmp(s[1], "types")) {
            return get ? reply(r, 200, json_pack("[s]", "AVRO"))
                       : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        if ((n == 3 || n == 4) && !strcmp(s[1], "ids")) {
            const char *what = n == 4 ? s[3] : NULL;
            if (what && strcmp(what, "versions") && strcmp(what, "subjects") &&
                strcmp(what, "schema")) {
                return reply_error(r, 404, "HTTP 404 Not Found");
            }
            return get ? h_schema_id(srv, r, s[2], what)
                       : reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        return reply_error(r, 404, "HTTP 404 Not Found");
    }
    if (!strcmp(s[0], "compatibility") && n >= 4 && n <= 5 && !strcmp(s[1], "subjects") &&
        !strcmp(s[3], "versions")) {
        return post ? h_compat(srv, r, s[2], n == 5 ? s[4] : NULL)
                    : reply_error(r, 405, "HTTP 405 Method Not Allowed");
    }
    if (!strcmp(s[0], "config") && n <= 2) {
        if (!get && !put && !del) {
            return reply_error(r, 405, "HTTP 405 Method Not Allowed");
        }
        return h_config(srv, r, n == 2 ? s[1] : NULL);
    }
    return reply_error(r, 404, "HTTP 404 Not Found");
}

int gdx_regserver_handle(struct gdx_regserver *srv, const char *method, const char *path,
                         const char *query, const char *body, size_t body_len, char **response)
{
    struct rs_req r;
    char *copy = xstrdup(path ? path : "/"), *save = NULL, *tok;
    int status;

    memset(&r, 0, sizeof(r));
    r.method = method;
    r.query = query;
    r.body = body;
    r.body_len = body ? body_len : 0;
    r.resp = response;
    *response = NULL;
    for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (r.nseg == (int)(sizeof(r.segs) / sizeof(r.segs[0]))) {
            free(copy);
            return reply_error(&r, 404, "HTTP 404 Not Found");
        }
        r.segs[r.nseg++] = tok;
    }
    pthread_mutex_lock(&srv->lock);
    status = route(srv, &r);
    pthread_mutex_unlock(&srv->lock);
    free(copy);
    return status;
}

/* ---------------------------------------------------------------------------------------
 * HTTP (libmicrohttpd) */

struct rs_conn {
    char *body;
    size_t len, cap;
    int too_large;
};

struct rs_query {
    char *buf;
    size_t len, cap;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    struct rs_query *q = cls;
    size_t need = strlen(key) + (value ? strlen(value) : 0) + 3;
    (void)kind;
    if (q->len + need > q->cap) {
        q->cap = (q->len + need) * 2;
        q->buf = xrealloc(q->buf, q->cap);
    }
    q->len += (size_t)snprintf(q->buf + q->len, q->cap - q->len, "%s%s=%s", q->len ? "&" : "", key,
                               value ? value : "");
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct gdx_regserver *srv = cls;
    struct rs_conn *c = *req_cls;
    struct rs_query q = {NULL, 0, 0};
    struct MHD_Response *resp;
    char *body = NULL;
    int status;
    enum MHD_Result ret;
    (void)version;

    if (!c) {
        c = calloc(1, sizeof(*c));
        if (!c) {
            abort();
        }
        *req_cls = c;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!c->too_large && c->len + *upload_data_size <= RS_MAX_BODY) {
            if (c->len + *upload_data_size + 1 > c->cap) {
                c->cap = (c->len + *upload_data_size + 1) * 2;
                c->body = xrealloc(c->body, c->cap);
            }
            memcpy(c->body + c->len, upload_data, *upload_data_size);
            c->len += *upload_data_size;
            c->body[c->len] = '\0';
        } else {
            c->too_large = 1;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->too_large) {
        body = xstrdup("{\"error_code\":413,\"message\":\"request body too large\"}");
        status = 413;
    } else {
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &q);
        status = gdx_regserver_handle(srv, method, url, q.buf, c->body, c->len, &body);
    }
    gdx_log(GDX_LOG_DEBUG, "request", " method=%s path=%s status=%d", method, url, status);
    free(q.buf);
    resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, RS_CONTENT_TYPE);
    ret = MHD_queue_response(conn, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct rs_conn *c = *req_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (c) {
        free(c->body);
        free(c);
        *req_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    gdx_log(GDX_LOG_WARN, msg, NULL);
}

int gdx_regserver_listen(struct gdx_regserver *srv, const char *listen, char *errstr,
                         size_t errstr_size)
{
    struct sockaddr_in sin;
    const union MHD_DaemonInfo *info;
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char host[64];
    char *end;
    long port;

    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid listen address '%s': expected HOST:PORT", listen ? listen : "");
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (!strcmp(host, "localhost")) {
        strcpy(host, "127.0.0.1");
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, *host ? host : "0.0.0.0", &sin.sin_addr) != 1) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid listen address '%s': expected IPv4-HOST:PORT", listen);
    }
    sin.sin_port = htons((uint16_t)port);
    srv->httpd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
        NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
    if (!srv->httpd) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot listen on '%s': %s", listen,
                          errno ? strerror(errno) : "libmicrohttpd refused");
    }
    info = MHD_get_daemon_info(srv->httpd, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port) {
        port = info->port;
    }
    snprintf(srv->url, sizeof(srv->url), "http://%s:%ld", *host ? host : "0.0.0.0", port);
    return GDX_OK;
}
