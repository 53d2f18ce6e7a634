/*
 * gdx_kafka.c - Kafka clients configured the gdx way, and reading positions back.
 *
 * gdx keeps every position it needs in Kafka itself (`_gdx.offsets`, keyed by connector
 * id). Reading one back is a plain scan of the key's partition up to the high watermark
 * with isolation.level=read_committed: on a real cluster that hides aborted transactions; on
 * librdkafka 2.0.2's mock cluster, which shows them, the caller stays consistent because it
 * always resumes from what this scan returns, never from memory. The key's partition is
 * computed with the Java client's murmur2 so offsets written by gdx and by any Java tool
 * land in the same place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdx_err.h"
#include "gdx_kafka.h"
#include "gdx_log.h"
#include "gdx_tls.h"
#include "gdx_util.h"

#include <openssl/crypto.h>

int gdx_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                  size_t errstr_size)
{
    char rderr[256];
    if (rd_kafka_conf_set(conf, name, value, rderr, sizeof(rderr)) != RD_KAFKA_CONF_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "kafka property '%s': %s", name,
                          rderr);
    }
    return GDX_OK;
}

int gdx_kafka_secret_prop(const char *name)
{
    return strstr(name, "password") || strstr(name, "secret") || !strcmp(name, "ssl.key.pem") ||
           !strcmp(name, "sasl.oauthbearer.config");
}

int gdx_kafka_secret_file(const struct gdx_node *kid, char **prop, char **value, char *errstr,
                          size_t errstr_size)
{
    size_t kl = strlen(kid->key);
    char where[300], reason[700], *path, *dir = NULL;
    const char *slash;
    int err;

    *prop = *value = NULL;
    if (kl <= 5 || strcmp(kid->key + kl - 5, ".file")) {
        return 0;
    }
    *prop = strndup(kid->key, kl - 5);
    if (!*prop) {
        abort();
    }
    if (!gdx_kafka_secret_prop(*prop) || kid->type != GDX_NODE_SCALAR) {
        free(*prop);
        *prop = NULL;
        return 0;
    }
    slash = kid->file ? strrchr(kid->file, '/') : NULL;
    if (slash) {
        dir = strndup(kid->file, (size_t)(slash - kid->file) + (slash == kid->file));
    }
    path = gdx_path_join(dir, kid->value);
    free(dir);
    err = gdx_secret_file_read(path, value, reason, sizeof(reason));
    free(path);
    if (err) {
        free(*prop);
        *prop = NULL;
        snprintf(where, sizeof(where), "%s:%d:%d", kid->file, kid->key_line, kid->key_col);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s: %s", where, kid->key,
                          reason);
    }
    return 1;
}

int gdx_kafka_conf_parse(const struct gdx_node *map, struct gdx_kafka_conf *kc, char *errstr,
                         size_t errstr_size)
{
    return gdx_kafka_conf_parse_secure(map, NULL, 0, kc, errstr, errstr_size);
}

int gdx_kafka_conf_parse_secure(const struct gdx_node *map, const char *dir, int strict,
                                struct gdx_kafka_conf *kc, char *errstr, size_t errstr_size)
{
    char where[256];
    memset(kc, 0, sizeof(*kc));
    if (!map) {
        return GDX_OK;
    }
    if (map->type != GDX_NODE_MAP) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: 'kafka' must be a map",
                          gdx_conf_where(map, where, sizeof(where)));
    }
    kc->props = calloc(2 * map->nkids + 1, sizeof(char *));
    if (!kc->props) {
        abort();
    }
    (void)dir;
    for (size_t i = 0; i < map->nkids; i++) {
        const struct gdx_node *kid = map->kids[i];
        const char *v, *key = kid->key;
        char *fprop = NULL, *fval = NULL;
        int err = gdx_kafka_secret_file(kid, &fprop, &fval, errstr, errstr_size);
        if (err < 0) {
            gdx_kafka_conf_release(kc);
            return err;
        }
        if (err == 1) {
            key = fprop;
            v = fval;
        } else if ((err = gdx_conf_scalar(kid, &v, errstr, errstr_size))) {
            gdx_kafka_conf_release(kc);
            return err;
        }
        if (!fprop && strict && gdx_kafka_secret_prop(key) && !kid->from_env) {
            snprintf(where, sizeof(where), "%s:%d:%d", kid->file, kid->key_line, kid->key_col);
            gdx_kafka_conf_release(kc);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s: '%s' is a secret: take it from the environment (${NAME}) or "
                              "from a file ('%s.file: PATH'), not from this file",
                              where, key, key);
        }
        if (!strcmp(key, "bootstrap.servers")) {
            free(kc->bootstrap);
            kc->bootstrap = strdup(v);
            continue;
        }
        /* Validate the property name now so the error carries the position. */
        rd_kafka_conf_t *probe = rd_kafka_conf_new();
        char rderr[256];
        rd_kafka_conf_res_t res = rd_kafka_conf_set(probe, key, v, rderr, sizeof(rderr));
        rd_kafka_conf_destroy(probe);
        if (res != RD_KAFKA_CONF_OK) {
            snprintf(where, sizeof(where), "%s:%d:%d", kid->file, kid->key_line, kid->key_col);
            gdx_kafka_conf_release(kc);
            if (fval) {
                OPENSSL_cleanse(fval, strlen(fval));
            }
            free(fval);
            /* key may be fprop: the message is made before it is freed */
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: kafka property '%s': %s",
                             where, key, rderr);
            free(fprop);
            return err;
        }
        if (gdx_kafka_secret_prop(key)) {
            gdx_log_add_secret(v);
        }
        kc->props[2 * kc->nprops] = gdx_xstrdup(key);
        kc->props[2 * kc->nprops + 1] = gdx_xstrdup(v);
        kc->nprops++;
        if (fval) {
            OPENSSL_cleanse(fval, strlen(fval));
        }
        free(fval);
        free(fprop);
    }
    return GDX_OK;
}

void gdx_kafka_conf_release(struct gdx_kafka_conf *kc)
{
    if (!kc) {
        return;
    }
    free(kc->bootstrap);
    if (kc->props) {
        for (size_t i = 0; i < kc->nprops; i++) {
            char *name = kc->props[2 * i], *value = kc->props[2 * i + 1];
            if (value && name && gdx_kafka_secret_prop(name)) {
                OPENSSL_cleanse(value, strlen(value));
            }
            free(name);
            free(value);
        }
        free(kc->props);
    }
    memset(kc, 0, sizeof(*kc));
}

int gdx_kafka_conf_apply(const struct gdx_kafka_conf *kc, rd_kafka_conf_t *conf, char *errstr,
                         size_t errstr_size)
{
    int err;
    if (kc->bootstrap &&
        (err = gdx_kafka_set(conf, "bootstrap.servers", kc->bootstrap, errstr, errstr_size))) {
        return err;
    }
    for (size_t i = 0; i < kc->nprops; i++) {
        err = gdx_kafka_set(conf, kc->props[2 * i], kc->props[2 * i + 1], errstr, errstr_size);
        if (err) {
            return err;
        }
    }
    return GDX_OK;
}

/* librdkafka logs through here, so its lines are logfmt like ours. */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    int lvl = level <= 3   ? GDX_LOG_ERROR
              : level <= 4 ? GDX_LOG_WARN
              : level <= 6 ? GDX_LOG_INFO
                           : GDX_LOG_DEBUG;
    /* librdkafka reports transport failures at error level while it retries them itself;
     * the runtime reports outages once, so keep these at debug unless asked. */
    if (lvl < GDX_LOG_DEBUG && (!strcmp(fac, "FAIL") || !strcmp(fac, "ERROR"))) {
        /* ... except a refused certificate or credential: no retry mends that, and the
         * operator must read it (e.g. "SSL handshake failed: ... certificate verify failed") */
        lvl = strstr(buf, "SSL") || strstr(buf, "certificate") || strstr(buf, "SASL") ||
                      strstr(buf, "uthenticat")
                  ? GDX_LOG_WARN
                  : GDX_LOG_DEBUG;
    }
    gdx_log(lvl, buf, " kafka.client=%s kafka.facility=%s", rd_kafka_name(rk), fac);
}

rd_kafka_t *gdx_kafka_consumer_new(const struct gdx_kafka_conf *kc, const char *client_id,
                                   char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char rderr[512];
    rd_kafka_t *rk;

    rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
    if (gdx_kafka_conf_apply(kc, conf, errstr, errstr_size) ||
        gdx_kafka_set(conf, "client.id", client_id, errstr, errstr_size) ||
        gdx_kafka_set(conf, "group.id", client_id, errstr, errstr_size) ||
        gdx_kafka_set(conf, "isolation.level", "read_committed", errstr, errstr_size) ||
        gdx_kafka_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
        gdx_kafka_set(conf, "enable.auto.offset.store", "false", errstr, errstr_size) ||
        gdx_kafka_set(conf, "enable.partition.eof", "true", errstr, errstr_size) ||
        gdx_kafka_set(conf, "auto.offset.reset", "earliest", errstr, errstr_size) ||
        gdx_kafka_set(conf, "fetch.wait.max.ms", "50", errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, rderr, sizeof(rderr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create kafka consumer: %s", rderr);
        return NULL;
    }
    return rk;
}

int gdx_kafka_txn_error(const char *what, rd_kafka_error_t *error)
{
    int ret;
    if (rd_kafka_error_is_fatal(error)) {
        ret = GDX_ERR_FATAL;
    } else if (rd_kafka_error_txn_requires_abort(error)) {
        ret = GDX_ERR_FAIL;
    } else if (rd_kafka_error_is_retriable(error)) {
        ret = GDX_ERR_RETRY;
    } else {
        ret = GDX_ERR_FAIL;
    }
    gdx_log(ret == GDX_ERR_RETRY ? GDX_LOG_WARN : GDX_LOG_ERROR, what,
            " error=%s reason=\"%s\" action=%s", rd_kafka_error_name(error),
            rd_kafka_error_string(error),
            ret == GDX_ERR_RETRY   ? "retry"
            : ret == GDX_ERR_FATAL ? "recreate-producer"
                                   : "abort");
    rd_kafka_error_destroy(error);
    return ret;
}

/* Kafka's Java client murmur2 (seed 0x9747b28c), so keys land where Java puts them. */
int32_t gdx_murmur2_partition(const void *key, size_t len, int32_t partition_cnt)
{
    const uint32_t m = 0x5bd1e995;
    const int r = 24;
    const unsigned char *data = key;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;

    for (size_t i = 0; i < n4; i++) {
        uint32_t k = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 |
                     (uint32_t)data[4 * i + 2] << 16 | (uint32_t)data[4 * i + 3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const unsigned char *tail = data + 4 * n4;
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= tail[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    if (partition_cnt <= 0) {
        return 0;
    }
    return (int32_t)((h & 0x7fffffffu) % (uint32_t)partition_cnt);
}

int gdx_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t *cnt,
                              char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    int ret = GDX_OK;

    rd_kafka_topic_destroy(rkt);
    if (err) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "cannot read metadata of topic '%s': %s", topic, rd_kafka_err2str(err));
    }
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        rd_kafka_resp_err_t terr = md->topic_cnt == 1 ? md->topics[0].err : err;
        ret = gdx_seterr(errstr, errstr_size,
                         terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? GDX_ERR_NOENT
                                                                         : GDX_ERR_RETRY,
                         "topic '%s' is not available: %s", topic, rd_kafka_err2str(terr));
    } else {
        *cnt = md->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
    return ret;
}

int gdx_kafka_watermarks(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts,
                         int timeout_ms, int64_t *lo, int64_t *hi, char *errstr, size_t errstr_size)
{
    for (int end = 0; end < 2; end++) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(parts);
        rd_kafka_resp_err_t err;
        for (int i = 0; i < l->cnt; i++) {
            l->elems[i].offset = end ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
        }
        err = rd_kafka_offsets_for_times(rk, l, timeout_ms);
        for (int i = 0; !err && i < l->cnt; i++) {
            if (l->elems[i].err || l->elems[i].offset < 0) {
                gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                           "cannot read the %s offset of '%s' [%d]: %s", end ? "end" : "start",
                           l->elems[i].topic, l->elems[i].partition,
                           rd_kafka_err2str(l->elems[i].err));
                rd_kafka_topic_partition_list_destroy(l);
                return GDX_ERR_RETRY;
            }
            (end ? hi : lo)[i] = l->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(l);
        if (err) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                              "cannot read the %s offsets of %d partitions: %s",
                              end ? "end" : "start", parts->cnt, rd_kafka_err2str(err));
        }
    }
    return GDX_OK;
}

void gdx_kafka_retention_ask(rd_kafka_t *rk, const char *const *topics, size_t n, int timeout_ms,
                             rd_kafka_queue_t *q)
{
    rd_kafka_ConfigResource_t **res = gdx_xcalloc(n + 1, sizeof(*res));
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    char rderr[256];

    for (size_t i = 0; i < n; i++) {
        res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]);
    }
    rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, rderr, sizeof(rderr));
    rd_kafka_DescribeConfigs(rk, res, n, opt, q);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_ConfigResource_destroy_array(res, n);
    free(res);
}

int gdx_kafka_retention_read(rd_kafka_event_t *ev, void (*cb)(void *, const char *, int64_t),
                             void *opaque, char *errstr, size_t errstr_size)
{
    const rd_kafka_DescribeConfigs_result_t *r = rd_kafka_event_DescribeConfigs_result(ev);
    const rd_kafka_ConfigResource_t **rv;
    size_t nres = 0;
    int ret = GDX_OK;

    if (!r || rd_kafka_event_error(ev)) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "DescribeConfigs: %s",
                         r ? rd_kafka_event_error_string(ev) : "unexpected event");
        rd_kafka_event_destroy(ev);
        return ret;
    }
    rv = rd_kafka_DescribeConfigs_result_resources(r, &nres);
    for (size_t i = 0; i < nres; i++) {
        const rd_kafka_ConfigEntry_t **ents;
        size_t nent = 0;
        if (rd_kafka_ConfigResource_error(rv[i])) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "DescribeConfigs '%s': %s",
                             rd_kafka_ConfigResource_name(rv[i]),
                             rd_kafka_ConfigResource_error_string(rv[i]));
            continue;
        }
        ents = rd_kafka_ConfigResource_configs(rv[i], &nent);
        for (size_t k = 0; k < nent; k++) {
            const char *v = rd_kafka_ConfigEntry_value(ents[k]);
            char *end = NULL;
            long long x;
            if (strcmp(rd_kafka_ConfigEntry_name(ents[k]), "retention.ms") || !v) {
                continue;
            }
            x = strtoll(v, &end, 10);
            if (end != v && !*end) {
                cb(opaque, rd_kafka_ConfigResource_name(rv[i]), x < 0 ? -1 : (int64_t)x);
            }
            break;
        }
    }
    rd_kafka_event_destroy(ev);
    return ret;
}

int gdx_kafka_read_last(rd_kafka_t *consumer, const char *topic, const char *key, int timeout_ms,
                        char **value, int64_t *offset_out, char *errstr, size_t errstr_size)
{
    int32_t cnt = 0, part;
    int64_t lo = 0, hi = 0;
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t rerr;
    int ret = GDX_OK;
    size_t keylen = strlen(key);

    *value = NULL;
    if (offset_out) {
        *offset_out = -1;
    }
    ret = gdx_kafka_partition_count(consumer, topic, timeout_ms, &cnt, errstr, errstr_size);
    if (ret) {
        return ret;
    }
    part = gdx_murmur2_partition(key, keylen, cnt);
    rerr = rd_kafka_query_watermark_offsets(consumer, topic, part, &lo, &hi, timeout_ms);
    if (rerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "cannot read watermarks of '%s' [%d]: %s", topic, part,
                          rd_kafka_err2str(rerr));
    }
    if (hi <= lo) {
        return GDX_OK;
    }
    parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, part)->offset = lo;
    rerr = rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (rerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot assign '%s' [%d]: %s", topic,
                          part, rd_kafka_err2str(rerr));
    }

    int64_t deadline = gdx_mono_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    for (;;) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(consumer, 100);
        if (!msg) {
            if (gdx_mono_ms() > deadline) {
                ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                                 "timed out reading '%s' [%d] up to offset %" PRId64, topic, part,
                                 hi);
                break;
            }
            continue;
        }
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            int64_t at = msg->offset;
            rd_kafka_message_destroy(msg);
            if (at >= hi) {
                break;
            }
            continue;
        }
        if (msg->err) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot read '%s' [%d]: %s", topic,
                             part, rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
            break;
        }
        if (msg->key_len == keylen && !memcmp(msg->key, key, keylen)) {
            free(*value);
            *value = NULL;
            if (msg->payload) { /* a tombstone resets the key */
                *value = malloc(msg->len + 1);
                if (!*value) {
                    abort();
                }
                memcpy(*value, msg->payload, msg->len);
                (*value)[msg->len] = '\0';
            }
            if (offset_out) {
                *offset_out = msg->offset;
            }
        }
        int64_t at = msg->offset;
        rd_kafka_message_destroy(msg);
        if (at + 1 >= hi) {
            break;
        }
    }
    rd_kafka_assign(consumer, NULL);
    if (ret) {
        free(*value);
        *value = NULL;
    }
    return ret;
}
