/*
 * gdx_broker.h - the embedded Kafka of `gdx broker`: librdkafka's mock cluster, the topics
 * file that pre-creates its topics, and the line protocol of its control socket.
 *
 * The mock's fault API (request errors, latency, broker down/up) works only inside the
 * process that owns the cluster, so tests drive it through a control socket with one
 * command per line; each command gets one reply line, `ok ...` or `error <reason>`.
 */
#ifndef GDX_BROKER_H
#define GDX_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "gdx_conf.h"

#define GDX_BROKER_MAX_BROKERS 32   /* --brokers upper bound */
#define GDX_BROKER_MAX_PARTS   1000 /* partitions per topic upper bound */
#define GDX_BROKER_LINE_MAX    1024 /* longest control line, newline included */
#define GDX_BROKER_MAX_ERRS    100000
#define GDX_BROKER_MAX_RTTS    64   /* (error, rtt) pairs of one errors-rtt command */
#define GDX_BROKER_ALL         (-1) /* broker id meaning every broker */
/* Partitions of a topic the mock creates on its own (metadata or produce for an unknown
 * topic): fixed by librdkafka 2.0.2's mock, which has no setting for it. */
#define GDX_BROKER_AUTO_PARTS 4

/* ---------------------------------------------------------------------------------------
 * Topics to pre-create */

struct gdx_broker_topic {
    char *name;
    int partitions;
    int replication; /* 0: min(3, number of brokers) */
};

struct gdx_broker_topics {
    struct gdx_broker_topic *v;
    size_t n;
};

/*
 * Read a topics file: a map with key `topics:` holding a sequence of maps with keys `name`
 * (required), `partitions` (required, 1..GDX_BROKER_MAX_PARTS), `replication.factor`
 * (optional) and `config` (optional map of scalars, which the mock ignores). Appends to
 * @p topics, replacing an earlier entry with the same name. Errors name `file:line:col`.
 * @returns GDX_OK, GDX_ERR_CONFIG or GDX_ERR_IO.
 */
int gdx_broker_topics_load(struct gdx_broker_topics *topics, const char *path, char *errstr,
                           size_t errstr_size);
/* Same from an already loaded tree (the root map). */
int gdx_broker_topics_from_node(struct gdx_broker_topics *topics, const struct gdx_node *root,
                                char *errstr, size_t errstr_size);
/* Add one topic from `NAME:PARTITIONS` (the --topic flag). @returns GDX_OK or GDX_ERR_USAGE. */
int gdx_broker_topics_add_spec(struct gdx_broker_topics *topics, const char *spec, char *errstr,
                               size_t errstr_size);
/* Add or replace @p name. @returns GDX_OK or GDX_ERR_USAGE for a bad name or count. */
int gdx_broker_topics_add(struct gdx_broker_topics *topics, const char *name, int partitions,
                          int replication, char *errstr, size_t errstr_size);
/* Free the entries; @p topics may be reused afterwards (it is empty). */
void gdx_broker_topics_release(struct gdx_broker_topics *topics);

/* A Kafka topic name: 1..249 characters of [a-zA-Z0-9._-], not "." or "..". */
int gdx_broker_topic_name_valid(const char *name);

/* ---------------------------------------------------------------------------------------
 * Control protocol */

enum gdx_broker_op {
    GDX_BROKER_OP_PING,
    GDX_BROKER_OP_BOOTSTRAP,
    GDX_BROKER_OP_STOP,
    GDX_BROKER_OP_DOWN,         /* broker_id */
    GDX_BROKER_OP_UP,           /* broker_id */
    GDX_BROKER_OP_RTT,          /* broker_id, rtt_ms */
    GDX_BROKER_OP_ERRORS,       /* api_key, count, err */
    GDX_BROKER_OP_ERRORS_RTT,   /* broker_id, api_key, nrtts x (errs[i], rtts[i]) */
    GDX_BROKER_OP_CLEAR,        /* api_key */
    GDX_BROKER_OP_CREATE_TOPIC, /* topic, partitions, replication (0 = default) */
    GDX_BROKER_OP_LEADER,       /* topic, partition, broker_id */
    GDX_BROKER_OP_COORDINATOR,  /* key_type, key, broker_id */
    GDX_BROKER_OP_HELP,
};

struct gdx_broker_cmd {
    enum gdx_broker_op op;
    int32_t broker_id; /* GDX_BROKER_ALL for `all` */
    int api_key;
    int count;
    int err; /* rd_kafka_resp_err_t */
    int rtt_ms;
    int partition;
    int partitions;
    int replication;
    size_t nrtts;
    int errs[GDX_BROKER_MAX_RTTS];
    int rtts[GDX_BROKER_MAX_RTTS];
    char topic[256];
    char key_type[16]; /* "transaction" or "group" */
    char key[256];
};

/*
 * Parse one control line (without or with its trailing newline). Words are separated by
 * spaces or tabs. @returns GDX_OK or GDX_ERR_USAGE with the reason in errstr.
 */
int gdx_broker_cmd_parse(const char *line, struct gdx_broker_cmd *cmd, char *errstr,
                         size_t errstr_size);

/* Kafka ApiKey of a request name ("Produce", case-insensitive) or number; -1 if unknown. */
int gdx_broker_api_key(const char *name);
/* Name of an ApiKey, or NULL. */
const char *gdx_broker_api_name(int api_key);
/*
 * Kafka error code of a name as librdkafka spells it (rd_kafka_get_err_descs:
 * "NOT_LEADER_FOR_PARTITION", "_TRANSPORT"), case-insensitive, with or without the
 * "RD_KAFKA_RESP_ERR_" prefix, the newer Kafka spelling NOT_LEADER_OR_FOLLOWER, or a number.
 * @returns GDX_OK or GDX_ERR_NOENT.
 */
int gdx_broker_err_parse(const char *name, int *err);

/* ---------------------------------------------------------------------------------------
 * The mock cluster */

struct gdx_broker;

/*
 * Start a mock cluster of @p nbrokers brokers listening on 127.0.0.1 (ports chosen by the
 * mock). @returns the broker or NULL with the reason in errstr.
 */
struct gdx_broker *gdx_broker_new(int nbrokers, char *errstr, size_t errstr_size);
/* Stop the cluster, then its rd_kafka_t. NULL is a no-op. */
void gdx_broker_destroy(struct gdx_broker *broker);

/* Around a bulk topic creation: keep the mock thread awake (librdkafka 2.0.2 loses the
 * wake-up of back-to-back ops and then sleeps up to a second per op). */
void gdx_broker_poke_start(struct gdx_broker *broker);
void gdx_broker_poke_stop(struct gdx_broker *broker);

/* `127.0.0.1:port,...`, owned by @p broker. */
const char *gdx_broker_bootstraps(const struct gdx_broker *broker);
int gdx_broker_count(const struct gdx_broker *broker);

/* Create a topic; replication 0 means min(3, brokers). GDX_ERR_KAFKA if the mock refuses. */
int gdx_broker_topic_create(struct gdx_broker *broker, const char *name, int partitions,
                            int replication, char *errstr, size_t errstr_size);

/*
 * Carry out a parsed command and write the reply line (without newline) into @p reply:
 * `ok ...` or `error <reason>`. GDX_BROKER_OP_STOP only replies: the caller stops.
 * @returns GDX_OK when the reply is `ok`, else a negative error.
 */
int gdx_broker_exec(struct gdx_broker *broker, const struct gdx_broker_cmd *cmd, char *reply,
                    size_t reply_size);

/* Parse and execute one line: the whole server side of the protocol for one line. */
int gdx_broker_exec_line(struct gdx_broker *broker, const char *line, char *reply,
                         size_t reply_size);

#endif
