/*
 * gdx_topics.h - topics and ACLs as code: generated from the city inventory, compared with a
 * cluster, applied through librdkafka's Admin API, exported as Kafka's own commands.
 *
 * One model, struct gdx_topics, holds a whole state: the desired one (read from
 * broker-config/topics.yaml and acls.yaml, or generated from the inventory) or an observed one
 * (read from a cluster, or from a recorded JSON description of one). The diff between two
 * states (gdx_topics_plan) is pure: it never touches the network, so it is tested in full
 * against recorded cluster descriptions.
 */
#ifndef GDX_TOPICS_H
#define GDX_TOPICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

/* ---------------------------------------------------------------------------------------
 * The model */

struct gdx_topic {
    char *name;
    int32_t partitions;
    int replication; /* desired: 0 = the cluster's default; observed: replicas of partition 0 */
    char **conf;     /* topic configs: name, value, name, value, ... sorted by name */
    size_t nconf;
    char *note; /* one-line comment written above the topic (generated files), or NULL */
};

enum gdx_acl_res {
    GDX_ACL_RES_TOPIC = 1,
    GDX_ACL_RES_GROUP,
    GDX_ACL_RES_TXN,     /* transactional.id */
    GDX_ACL_RES_CLUSTER, /* the name is always "kafka-cluster" */
    GDX_ACL_RES_UNKNOWN, /* observed only: a type librdkafka 2.0.2 cannot name (see .c) */
};

enum gdx_acl_pattern {
    GDX_ACL_LITERAL = 1,
    GDX_ACL_PREFIXED,
};

/* Kafka's ACL operations (names as kafka-acls.sh spells them) */
enum gdx_acl_op {
    GDX_ACL_OP_ALL = 1,
    GDX_ACL_OP_READ,
    GDX_ACL_OP_WRITE,
    GDX_ACL_OP_CREATE,
    GDX_ACL_OP_DELETE,
    GDX_ACL_OP_ALTER,
    GDX_ACL_OP_DESCRIBE,
    GDX_ACL_OP_CLUSTER_ACTION,
    GDX_ACL_OP_DESCRIBE_CONFIGS,
    GDX_ACL_OP_ALTER_CONFIGS,
    GDX_ACL_OP_IDEMPOTENT_WRITE,
};

/* One ACL binding: (principal, host, resource, pattern, name, operation, allow|deny). */
struct gdx_acl {
    char *principal; /* "User:hotline12345" */
    char *host;      /* "*" */
    int res;         /* enum gdx_acl_res */
    int pattern;     /* enum gdx_acl_pattern; a literal "*" name matches every resource */
    char *name;
    int op;    /* enum gdx_acl_op */
    int allow; /* 1 allow, 0 deny (files hold only allows: the cluster denies by default) */
};

struct gdx_topics {
    struct gdx_topic *topics;
    size_t ntopics, cap_topics;
    struct gdx_acl *acls;
    size_t nacls, cap_acls;
    int acls_known; /* observed: the cluster answered DescribeAcls (it has an authorizer) */
    char **pnotes;  /* principal, comment, principal, comment, ... (generated files) */
    size_t npnotes;
    char *header; /* comment block of a generated file, or NULL */
};

struct gdx_topics *gdx_topics_new(void);
void gdx_topics_destroy(struct gdx_topics *t);

/* Add or replace a topic; takes copies. @returns the stored topic. */
struct gdx_topic *gdx_topics_add(struct gdx_topics *t, const char *name, int32_t partitions,
                                 int replication);
/* Set (or replace) one config of @p topic; keeps the list sorted. */
void gdx_topic_set_conf(struct gdx_topic *topic, const char *name, const char *value);
/* A config's value, or NULL. */
const char *gdx_topic_conf(const struct gdx_topic *topic, const char *name);
const struct gdx_topic *gdx_topics_find(const struct gdx_topics *t, const char *name);
/* Add an ACL binding unless an identical one is there; takes copies. */
void gdx_topics_add_acl(struct gdx_topics *t, const char *principal, const char *host, int res,
                        int pattern, const char *name, int op, int allow);
/* Sort topics by name and ACLs by principal, resource, name, operation (stable output). */
void gdx_topics_sort(struct gdx_topics *t);

/* Names as Kafka's tools spell them ("Read", "Topic", "Literal"); -1 / NULL if unknown. */
const char *gdx_acl_op_name(int op);
int gdx_acl_op_parse(const char *s);
const char *gdx_acl_res_name(int res); /* "topic", "group", "transactional.id", "cluster" */
int gdx_acl_res_parse(const char *s);

/*
 * Would the ACLs of @p t let @p principal do @p op on the resource (@p res, @p name)? Kafka's
 * rules: a deny wins over any allow; nothing allowed means denied; ALL grants every operation;
 * READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS;
 * principal "User:*" and host "*" match everyone; a literal "*" name matches every resource,
 * a prefixed name every resource that starts with it.
 */
int gdx_acl_allowed(const struct gdx_topics *t, const char *principal, int res, const char *name,
                    int op);

/* ---------------------------------------------------------------------------------------
 * Files */

/*
 * Read topics.yaml (the format `gdx broker` reads too: `topics:` list of {name, partitions,
 * replication.factor, config}) into @p t. Errors name `file:line:col`; GDX_ERR_CONFIG.
 */
int gdx_topics_load_topics(struct gdx_topics *t, const char *path, char *errstr,
                           size_t errstr_size);
/*
 * Read acls.yaml: `principals:` list of {principal, allow: [{resource, name, pattern?,
 * host?, operations: [..]}]}. Errors name `file:line:col`; GDX_ERR_CONFIG.
 */
int gdx_topics_load_acls(struct gdx_topics *t, const char *path, char *errstr, size_t errstr_size);
/* Write the topics (with the header and notes as comments) in the topics.yaml format. */
void gdx_topics_write_topics(const struct gdx_topics *t, FILE *out);
/* Write the ACLs in the acls.yaml format, one principal at a time. */
void gdx_topics_write_acls(const struct gdx_topics *t, FILE *out);

/*
 * A recorded cluster description (JSON, as `gdx topics describe` prints it):
 * {"topics": [{"name", "partitions", "replication.factor", "config": {..}}],
 *  "acls": [{"principal", "host", "resource", "pattern", "name", "operation", "permission"}]}
 * "acls" absent means the cluster was read without ACLs (no authorizer).
 */
int gdx_topics_load_state(struct gdx_topics *t, const char *path, char *errstr, size_t errstr_size);
void gdx_topics_write_state(const struct gdx_topics *t, FILE *out);

/* ---------------------------------------------------------------------------------------
 * The inventory and the generator */

struct gdx_inv_unit;

struct gdx_inv_system {
    char *id, *name, *kind, *topic, *schema, *cycle;
    char *share;      /* unconditional | conditional | none */
    int share_from;   /* where share came from: 0 inventory, 1 schema, 2 not given (none) */
    char **consumers; /* unit ids (conditional shares) */
    size_t nconsumers;
    int64_t per_day; /* records per day; -1 not given */
    int uplink;      /* forwarded to the province */
    int line;        /* line of the system in the inventory, for messages */
    const struct gdx_inv_unit *unit;
};

struct gdx_inv_unit {
    char *id, *name;
    struct gdx_inv_system *systems;
    size_t nsystems;
};

struct gdx_inventory {
    char *path;
    char *city_id, *city_name, *region_code;
    struct gdx_inv_unit *units;
    size_t nunits;
};

/*
 * Load the inventory (units with their systems; keys per system: id, name, kind, owner,
 * topic, schema, share, consumers, cycle, per_day, uplink, config). A system without `share`
 * takes its schema's `gdx.share` (read from @p schemas_dir, may be NULL), else counts as
 * `none`: nothing is shared that nobody decided to share. Other keys are left to the tools
 * that use them. Errors name `file:line:col`: duplicate ids, a topic that does not start
 * with `gov.<unit>.<system>.`, unknown consumers, `uplink: true` on a `none` share.
 */
int gdx_inventory_load(struct gdx_inventory **out, const char *path, const char *schemas_dir,
                       char *errstr, size_t errstr_size);
void gdx_inventory_destroy(struct gdx_inventory *inv);
const struct gdx_inv_unit *gdx_inventory_unit(const struct gdx_inventory *inv, const char *id);

struct gdx_topics_gen {
    const char *source;             /* inventory path as named in the headers */
    int replication;                /* 3 */
    int min_insync;                 /* 2 */
    int min_partitions;             /* 6 */
    int max_partitions;             /* 60 */
    int64_t record_bytes;           /* 1024: bytes a record takes on a partition */
    int64_t default_per_day;        /* 10000 when the inventory gives no per_day */
    int retention_days;             /* data topics: 30 (at least 7) */
    int dlq_retention_days;         /* 183 */
    int audit_retention_days;       /* 183 (at least 183) */
    const char *principal_prefix;   /* "User:" + unit id */
    const char *uplink_principal;   /* "User:gdx-uplink" */
    const char *uplink_destination; /* "province": the uplink's DLQ _gdx.dlq.uplink.<dest> */
    const char *registry_principal; /* "User:schema-registry" */
    const char *auditor_principal;  /* "User:gdx-auditor" */
};

/* The defaults above. */
void gdx_topics_gen_defaults(struct gdx_topics_gen *gen);

/* Partitions of a system's topic: max(min, ceil(day's bytes / 4 MiB)), a multiple of 3. */
int32_t gdx_topics_partitions(const struct gdx_topics_gen *gen, int64_t per_day);

/*
 * The city's desired state from the inventory: for every system its topic and DLQ, per unit
 * an offsets topic `_gdx.offsets.<unit>`, and the internal topics; the ACLs of every unit's
 * principal, the uplink, the registry and the auditor. GDX_ERR_CONFIG for bad options.
 */
int gdx_topics_generate(const struct gdx_inventory *inv, const struct gdx_topics_gen *gen,
                        struct gdx_topics *out, char *errstr, size_t errstr_size);

/* Per-system and total sizing (partitions, records and bytes a day, disk with replicas). */
void gdx_topics_sizing(const struct gdx_inventory *inv, const struct gdx_topics_gen *gen,
                       FILE *out);

/* ---------------------------------------------------------------------------------------
 * Plan, apply, export */

enum gdx_change_kind {
    GDX_CH_CREATE = 1, /* topic to create */
    GDX_CH_PARTITIONS, /* partitions to add */
    GDX_CH_CONFIG,     /* a config to set, change or reset */
    GDX_CH_ACL_ADD,
    GDX_CH_ACL_DEL,
    GDX_CH_CANNOT,    /* a difference the Admin API cannot resolve */
    GDX_CH_UNMANAGED, /* on the cluster, not in the files: left alone */
};

struct gdx_change {
    int kind;
    int destructive;              /* apply needs --allow-destructive */
    const char *topic;            /* the topic concerned, or NULL */
    const struct gdx_topic *want; /* desired topic (CREATE, PARTITIONS, CONFIG) */
    const struct gdx_acl *acl;    /* ACL_ADD (desired) or ACL_DEL (observed) */
    char *text;                   /* one line, as printed */
};

struct gdx_plan {
    struct gdx_change *v;
    size_t n;
    size_t ncreate, nchange, nacl_add, nacl_del, ndestructive, ncannot, nunmanaged;
};

/*
 * The changes that make @p have (observed) into @p want (desired). Kafka-internal topics
 * (`__consumer_offsets`, `__transaction_state`, ...) are ignored. ACLs of principals that
 * @p want does not name are reported as unmanaged and left alone; when @p have->acls_known
 * is 0 no ACL is compared. The plan borrows from both states.
 */
struct gdx_plan *gdx_topics_plan(struct gdx_topics *want, struct gdx_topics *have);
void gdx_plan_destroy(struct gdx_plan *plan);
/* One line per change, then a summary line. */
void gdx_plan_print(const struct gdx_plan *plan, FILE *out);
/* GDX_OK when apply may go ahead; GDX_ERR_USAGE naming the first destructive change when
 * there are some and @p allow_destructive is 0. */
int gdx_plan_check(const struct gdx_plan *plan, int allow_destructive, char *errstr,
                   size_t errstr_size);

/*
 * Read a cluster's state through the Admin API: metadata (partitions, replicas),
 * DescribeConfigs (configs set on each topic) and DescribeAcls (every binding; when the
 * cluster has no authorizer, acls_known stays 0). GDX_ERR_RETRY when the cluster does not
 * answer, GDX_ERR_FAIL when it refuses a request (the reason in errstr).
 */
int gdx_topics_describe(rd_kafka_t *rk, struct gdx_topics *out, int timeout_ms, char *errstr,
                        size_t errstr_size);
/*
 * Carry out @p plan: CreateTopics, CreatePartitions, AlterConfigs (the whole desired set of a
 * topic: the Admin API of librdkafka 2.0.2 has no incremental form), CreateAcls, DeleteAcls.
 * One line per step on @p out. transactional.id ACLs cannot be expressed through librdkafka
 * 2.0.2: their kafka-acls.sh commands are printed instead and the call fails, so nothing is
 * taken as applied that was not. GDX_OK only when every change was made.
 */
int gdx_topics_apply(rd_kafka_t *rk, const struct gdx_plan *plan, int timeout_ms, FILE *out,
                     char *errstr, size_t errstr_size);

/*
 * The desired state as kafka-topics.sh / kafka-acls.sh commands (idempotent: topics with
 * --if-not-exists, then topic configs with kafka-configs.sh, then the ACLs), for operators
 * who use Kafka's own tools. @p bootstrap and @p command_config are written as given (e.g.
 * "$BOOTSTRAP", "$ADMIN_CONFIG").
 */
void gdx_topics_export(const struct gdx_topics *t, const char *bootstrap,
                       const char *command_config, FILE *out);

#endif
