/*
 * gdx_kafka.h - Kafka clients configured the gdx way.
 *
 * Producers are idempotent with acks=all and the Java client's key placement
 * (murmur2_random), so Java, Flink and Spark consumers agree with gdx on a key's partition.
 * Consumers never join a group here: gdx assigns partitions itself and keeps its positions in
 * its own topics, read read_committed.
 */
#ifndef GDX_KAFKA_H
#define GDX_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "gdx_conf.h"

/* Client settings from a `kafka:` config section. */
struct gdx_kafka_conf {
    char *bootstrap; /* bootstrap.servers */
    char **props;    /* extra librdkafka properties: name, value, name, value, ..., NULL */
    size_t nprops;   /* number of pairs */
};

/* Parse a `kafka:` map: `bootstrap.servers` plus any librdkafka property (passed through,
 * validated by librdkafka at client creation). A secret property may be read from a file:
 * `sasl.password.file: PATH` sets sasl.password (gdx_kafka_secret_file). */
int gdx_kafka_conf_parse(const struct gdx_node *map, struct gdx_kafka_conf *kc, char *errstr,
                         size_t errstr_size);
/* The same; with @p strict, a secret property written in the file itself (not from ${ENV}
 * or a `.file`) is refused (the deployment file). @p dir is unused (paths of `.file` keys are
 * relative to the file that names them). */
int gdx_kafka_conf_parse_secure(const struct gdx_node *map, const char *dir, int strict,
                                struct gdx_kafka_conf *kc, char *errstr, size_t errstr_size);

/* Is @p name a secret librdkafka property (a password, a secret, a private key in PEM)? */
int gdx_kafka_secret_prop(const char *name);
/*
 * `<secret property>.file: PATH` (sasl.password.file, ssl.key.password.file, ...): @returns 0
 * when @p kid is not such a key; 1 with *prop (the property) and *value (the file's one line,
 * registered for log redaction) malloc'd; GDX_ERR_CONFIG naming the place when the file
 * cannot be read or group or others may read it. PATH is relative to the file naming it.
 */
int gdx_kafka_secret_file(const struct gdx_node *kid, char **prop, char **value, char *errstr,
                          size_t errstr_size);
void gdx_kafka_conf_release(struct gdx_kafka_conf *kc);

/* Apply bootstrap + props to an rd_kafka_conf_t; errors name the property. */
int gdx_kafka_conf_apply(const struct gdx_kafka_conf *kc, rd_kafka_conf_t *conf, char *errstr,
                         size_t errstr_size);
int gdx_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                  size_t errstr_size);

/* A read_committed consumer without a group (assign only). */
rd_kafka_t *gdx_kafka_consumer_new(const struct gdx_kafka_conf *kc, const char *client_id,
                                   char *errstr, size_t errstr_size);

/*
 * Classify an error of librdkafka's transactional API and log it: GDX_ERR_RETRY (call
 * again), GDX_ERR_FAIL (abort the transaction) or GDX_ERR_FATAL (recreate the producer).
 * Destroys @p error.
 */
int gdx_kafka_txn_error(const char *what, rd_kafka_error_t *error);

/* Java-compatible murmur2 partition of a key: (murmur2(key) & 0x7fffffff) % n */
int32_t gdx_murmur2_partition(const void *key, size_t len, int32_t partition_cnt);

/* Partition count of a topic, GDX_ERR_NOENT if it does not exist, GDX_ERR_RETRY if the
 * cluster cannot be reached in @p timeout_ms. */
int gdx_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t *cnt,
                              char *errstr, size_t errstr_size);

/*
 * Low and high watermarks of every partition in @p parts (their offsets are ignored), in one
 * ListOffsets request per broker for each end instead of two round trips per partition:
 * lo[i] and hi[i] follow the list's order (hi is the last stable offset for a read_committed
 * consumer). GDX_ERR_RETRY, naming the first partition not answered, otherwise.
 */
int gdx_kafka_watermarks(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts,
                         int timeout_ms, int64_t *lo, int64_t *hi, char *errstr,
                         size_t errstr_size);

/*
 * Ask the cluster for retention.ms of @p n topics (Admin API, DescribeConfigs), without
 * waiting: the answer arrives on @p q as one event for gdx_kafka_retention_read().
 */
void gdx_kafka_retention_ask(rd_kafka_t *rk, const char *const *topics, size_t n, int timeout_ms,
                             rd_kafka_queue_t *q);
/*
 * Read that answer: @p cb(opaque, topic, ms) for each topic the cluster gave retention.ms of
 * (-1: unlimited). GDX_ERR_NOENT with the reason when it did not answer (no Admin API or no
 * DescribeConfigs permission); destroys @p ev.
 */
int gdx_kafka_retention_read(rd_kafka_event_t *ev, void (*cb)(void *, const char *, int64_t),
                             void *opaque, char *errstr, size_t errstr_size);

/*
 * Read the newest value of @p key in compacted topic @p topic as a read_committed consumer
 * sees it: consumes the key's partition up to its high watermark. *value is malloc'd and
 * NUL-terminated, NULL when the key has no record. GDX_ERR_RETRY when the cluster is
 * unreachable. @p partition_out (may be NULL) receives the key's partition and
 * @p offset_out the record's offset (-1 if none).
 */
int gdx_kafka_read_last(rd_kafka_t *consumer, const char *topic, const char *key, int timeout_ms,
                        char **value, int64_t *offset_out, char *errstr, size_t errstr_size);

#endif
