/*
 * gdx_broker.c - the embedded Kafka of `gdx broker`.
 *
 * A thin wrapper over librdkafka 2.0.2's mock cluster, which speaks the real protocol on
 * 127.0.0.1 from its own thread. The wrapper owns one rd_kafka_t (a producer that never
 * produces: the mock needs a handle to live in) and the cluster created from it; it destroys
 * them in that order, cluster first, so the mock thread never outlives its handle.
 *
 * The mock's functions post operations to the mock thread and wait for them, so any thread
 * may call gdx_broker_exec(). The control protocol is parsed into a struct first
 * (gdx_broker_cmd_parse, pure and unit-tested) and executed second, so a malformed line
 * never reaches the cluster. Broker ids of the mock are 1..N.
 *
 * Topics files are read through gdx_conf (strict YAML); the `config:` map of a topic is
 * checked for shape only: the mock has no topic configs, production templates use them.
 *
 * The mock accepts its connections without TCP_NODELAY (Kafka's own broker sets it), so a
 * response sent while the previous one is unacknowledged waits for the client's delayed ACK:
 * ~40 ms at every flush, delivery wait and commit. The mock has no hook for its sockets;
 * this module therefore defines accept() for the gdx program, which the mock's thread calls
 * through the dynamic linker (the way an LD_PRELOAD shim would), and sets TCP_NODELAY on
 * every connection before the mock sees it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "gdx_broker.h"
#include "gdx_err.h"
#include "gdx_log.h"

struct gdx_broker {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    int nbrokers;
    char *bootstraps;
    pthread_t poker;
    int poking;
    volatile int poke_stop;
};

/* ---------------------------------------------------------------------------------------
 * Sockets */

/*
 * accept() of the whole gdx program: librdkafka's mock cluster is its caller (the control
 * socket and the HTTP servers use accept4). A TCP connection gets TCP_NODELAY, as a Kafka
 * broker's would; on a UNIX socket setsockopt fails harmlessly. The system call is made
 * directly, since libc's accept is the symbol this one replaces.
 */
int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict addrlen)
{
    int cfd = (int)syscall(SYS_accept4, fd, addr.__sockaddr__, addrlen, 0);
    if (cfd >= 0) {
        int one = 1;
        (void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return cfd;
}

/* ---------------------------------------------------------------------------------------
 * Waking the mock thread
 *
 * librdkafka 2.0.2's mock thread serves its op queue after poll() returns and only then
 * drains its wake-up pipe: an op queued in between (the next topic of a bulk creation) has
 * its wake-up byte thrown away, and waits for the next timer, up to a second. 250 topics
 * took 30-40 s to pre-create. While a bulk creation runs, a thread connects to the first
 * broker's listener every 2 ms: the accept wakes poll(), which serves the queue. */

static void *poke_main(void *arg)
{
    struct gdx_broker *b = arg;
    struct sockaddr_in sa;
    const char *colon = strrchr(b->bootstraps, ':');
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)atoi(colon ? colon + 1 : "0"));
    if (strchr(b->bootstraps, ',')) {
        /* the first broker of the list */
        char first[64];
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(b->bootstraps, ","), b->bootstraps);
        colon = strrchr(first, ':');
        sa.sin_port = htons((uint16_t)atoi(colon ? colon + 1 : "0"));
    }
    while (!b->poke_stop) {
        struct timespec ts = {0, 2000000};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            (void)!connect(fd, (struct sockaddr *)&sa, sizeof(sa));
            close(fd);
        }
        nanosleep(&ts, NULL);
    }
    return NULL;
}

void gdx_broker_poke_start(struct gdx_broker *broker)
{
    broker->poke_stop = 0;
    broker->poking = pthread_create(&broker->poker, NULL, poke_main, broker) == 0;
}

void gdx_broker_poke_stop(struct gdx_broker *broker)
{
    if (broker->poking) {
        broker->poke_stop = 1;
        pthread_join(broker->poker, NULL);
        broker->poking = 0;
    }
}

/* ---------------------------------------------------------------------------------------
 * Names */

static const struct {
    const char *name;
    int key;
} api_names[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"SaslHandshake", 17},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"DeleteTopics", 20},
    {"InitProducerId", 22},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

#define API_NAMES_CNT (sizeof(api_names) / sizeof(api_names[0]))
#define API_KEY_MAX   100 /* numeric ApiKeys accepted: 0..API_KEY_MAX */

/* Parse a whole decimal integer in [min, max]; -1 when not one. */
static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || !*s || isspace((unsigned char)*s)) {
        return -1;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

int gdx_broker_api_key(const char *name)
{
    long v;

    for (size_t i = 0; i < API_NAMES_CNT; i++) {
        if (!strcasecmp(name, api_names[i].name)) {
            return api_names[i].key;
        }
    }
    if (parse_int(name, 0, API_KEY_MAX, &v) == 0) {
        return (int)v;
    }
    return -1;
}

const char *gdx_broker_api_name(int api_key)
{
    for (size_t i = 0; i < API_NAMES_CNT; i++) {
        if (api_names[i].key == api_key) {
            return api_names[i].name;
        }
    }
    return NULL;
}

int gdx_broker_err_parse(const char *name, int *err)
{
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    long v;
    static const char prefix[] = "RD_KAFKA_RESP_ERR_";

    if (parse_int(name, INT_MIN, INT_MAX, &v) == 0) {
        *err = (int)v;
        return GDX_OK;
    }
    if (!strncasecmp(name, prefix, sizeof(prefix) - 1)) {
        name += sizeof(prefix) - 1;
    }
    /* Kafka renamed error 6 in KIP-392; librdkafka 2.0.2 still uses the old name. */
    if (!strcasecmp(name, "NOT_LEADER_OR_FOLLOWER")) {
        *err = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
        return GDX_OK;
    }
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        if (descs[i].name && !strcasecmp(name, descs[i].name)) {
            *err = (int)descs[i].code;
            return GDX_OK;
        }
    }
    return GDX_ERR_NOENT;
}

int gdx_broker_topic_name_valid(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 249 || !strcmp(name, ".") || !strcmp(name, "..")) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-') {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------
 * Topics */

int gdx_broker_topics_add(struct gdx_broker_topics *topics, const char *name, int partitions,
                          int replication, char *errstr, size_t errstr_size)
{
    struct gdx_broker_topic *v;
    char *copy;

    if (!gdx_broker_topic_name_valid(name)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid topic name '%s': use 1-249 of [a-zA-Z0-9._-]", name);
    }
    if (partitions < 1 || partitions > GDX_BROKER_MAX_PARTS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "topic '%s': partitions must be 1..%d", name, GDX_BROKER_MAX_PARTS);
    }
    if (replication < 0 || replication > GDX_BROKER_MAX_BROKERS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "topic '%s': replication factor must be 1..%d", name,
                          GDX_BROKER_MAX_BROKERS);
    }
    for (size_t i = 0; i < topics->n; i++) {
        if (!strcmp(topics->v[i].name, name)) {
            topics->v[i].partitions = partitions;
            topics->v[i].replication = replication;
            return GDX_OK;
        }
    }
    copy = strdup(name);
    v = realloc(topics->v, (topics->n + 1) * sizeof(*v));
    if (!copy || !v) {
        abort(); /* out of memory: see STYLE.md */
    }
    topics->v = v;
    topics->v[topics->n].name = copy;
    topics->v[topics->n].partitions = partitions;
    topics->v[topics->n].replication = replication;
    topics->n++;
    return GDX_OK;
}

int gdx_broker_topics_add_spec(struct gdx_broker_topics *topics, const char *spec, char *errstr,
                               size_t errstr_size)
{
    const char *colon = strrchr(spec, ':');
    char name[256];
    long parts;

    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(name) ||
        parse_int(colon + 1, 1, GDX_BROKER_MAX_PARTS, &parts) != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid topic '%s': expected NAME:PARTITIONS (1..%d)", spec,
                          GDX_BROKER_MAX_PARTS);
    }
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    return gdx_broker_topics_add(topics, name, (int)parts, 0, errstr, errstr_size);
}

void gdx_broker_topics_release(struct gdx_broker_topics *topics)
{
    if (!topics) {
        return;
    }
    for (size_t i = 0; i < topics->n; i++) {
        free(topics->v[i].name);
    }
    free(topics->v);
    topics->v = NULL;
    topics->n = 0;
}

static int topic_from_node(struct gdx_broker_topics *topics, const struct gdx_node *item,
                           char *errstr, size_t errstr_size)
{
    static const char *const keys[] = {"name", "partitions", "replication.factor", "config", NULL};
    const struct gdx_node *node;
    const char *name;
    char where[256];
    int64_t parts, repl = 0;
    int err;

    gdx_conf_where(item, where, sizeof(where));
    if (item->type != GDX_NODE_MAP) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: a topic must be a map with 'name' and 'partitions'", where);
    }
    if ((err = gdx_conf_only_keys(item, keys, errstr, errstr_size)) != GDX_OK) {
        return GDX_ERR_CONFIG;
    }
    if (!(node = gdx_conf_get(item, "name"))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: topic has no 'name'", where);
    }
    if (gdx_conf_scalar(node, &name, errstr, errstr_size) != GDX_OK) {
        return GDX_ERR_CONFIG;
    }
    gdx_conf_where(node, where, sizeof(where));
    if (!gdx_broker_topic_name_valid(name)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: invalid topic name '%s': use 1-249 of [a-zA-Z0-9._-]", where, name);
    }
    for (size_t i = 0; i < topics->n; i++) {
        if (!strcmp(topics->v[i].name, name)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: topic '%s' is listed twice",
                              where, name);
        }
    }
    if (!(node = gdx_conf_get(item, "partitions"))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: topic '%s' has no 'partitions'",
                          where, name);
    }
    if (gdx_conf_int(node, 1, GDX_BROKER_MAX_PARTS, &parts, errstr, errstr_size) != GDX_OK) {
        return GDX_ERR_CONFIG;
    }
    if ((node = gdx_conf_get(item, "replication.factor")) &&
        gdx_conf_int(node, 1, GDX_BROKER_MAX_BROKERS, &repl, errstr, errstr_size) != GDX_OK) {
        return GDX_ERR_CONFIG;
    }
    if ((node = gdx_conf_get(item, "config"))) {
        gdx_conf_where(node, where, sizeof(where));
        if (node->type != GDX_NODE_MAP) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s: 'config' of topic '%s' must be a map of settings", where, name);
        }
        for (size_t i = 0; i < node->nkids; i++) {
            const char *value;
            if (gdx_conf_scalar(node->kids[i], &value, errstr, errstr_size) != GDX_OK) {
                return GDX_ERR_CONFIG;
            }
        }
    }
    return gdx_broker_topics_add(topics, name, (int)parts, (int)repl, errstr, errstr_size) == GDX_OK
               ? GDX_OK
               : GDX_ERR_CONFIG;
}

int gdx_broker_topics_from_node(struct gdx_broker_topics *topics, const struct gdx_node *root,
                                char *errstr, size_t errstr_size)
{
    static const char *const keys[] = {"topics", NULL};
    const struct gdx_node *seq;
    char where[256];
    int err;

    gdx_conf_where(root, where, sizeof(where));
    if (root->type != GDX_NODE_MAP) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: expected a map with a 'topics' list", where);
    }
    if (gdx_conf_only_keys(root, keys, errstr, errstr_size) != GDX_OK) {
        return GDX_ERR_CONFIG;
    }
    if (!(seq = gdx_conf_get(root, "topics"))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: no 'topics' list", where);
    }
    if (seq->type != GDX_NODE_SEQ) {
        gdx_conf_where(seq, where, sizeof(where));
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: 'topics' must be a list",
                          where);
    }
    for (size_t i = 0; i < seq->nkids; i++) {
        if ((err = topic_from_node(topics, seq->kids[i], errstr, errstr_size)) != GDX_OK) {
            return err;
        }
    }
    return GDX_OK;
}

int gdx_broker_topics_load(struct gdx_broker_topics *topics, const char *path, char *errstr,
                           size_t errstr_size)
{
    struct gdx_node *root;
    int err;

    if (!(root = gdx_conf_load(path, errstr, errstr_size))) {
        return GDX_ERR_CONFIG;
    }
    err = gdx_broker_topics_from_node(topics, root, errstr, errstr_size);
    gdx_conf_destroy(root);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * Control protocol: parsing */

#define MAX_WORDS (4 + 2 * GDX_BROKER_MAX_RTTS)

/* Split @p buf in place into words; @returns the count or -1 when there are too many. */
static int split_words(char *buf, char **words, int max)
{
    int n = 0;
    char *p = buf;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        if (!*p) {
            return n;
        }
        if (n == max) {
            return -1;
        }
        words[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            p++;
        }
        if (*p) {
            *p++ = '\0';
        }
    }
}

static int parse_broker_id(const char *word, int allow_all, int32_t *id, char *errstr,
                           size_t errstr_size)
{
    long v;

    if (allow_all && !strcmp(word, "all")) {
        *id = GDX_BROKER_ALL;
        return GDX_OK;
    }
    if (parse_int(word, 1, GDX_BROKER_MAX_BROKERS, &v) != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "invalid broker id '%s'%s", word,
                          allow_all ? ": expected a number or 'all'" : "");
    }
    *id = (int32_t)v;
    return GDX_OK;
}

static int parse_api(const char *word, int *key, char *errstr, size_t errstr_size)
{
    if ((*key = gdx_broker_api_key(word)) < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "unknown request type '%s'", word);
    }
    return GDX_OK;
}

static int parse_err(const char *word, int *err, char *errstr, size_t errstr_size)
{
    if (gdx_broker_err_parse(word, err) != GDX_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "unknown error name '%s'", word);
    }
    return GDX_OK;
}

static int parse_ms(const char *word, int *ms, char *errstr, size_t errstr_size)
{
    long v;

    if (parse_int(word, 0, 3600 * 1000, &v) != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "invalid milliseconds '%s': expected 0..3600000", word);
    }
    *ms = (int)v;
    return GDX_OK;
}

static int copy_word(char *dst, size_t size, const char *word, const char *what, char *errstr,
                     size_t errstr_size)
{
    if (strlen(word) >= size) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "%s too long", what);
    }
    memcpy(dst, word, strlen(word) + 1);
    return GDX_OK;
}

static const struct {
    const char *name;
    enum gdx_broker_op op;
    int min_args, max_args; /* words after the command name */
    const char *usage;
} ops[] = {
    {"ping", GDX_BROKER_OP_PING, 0, 0, "ping"},
    {"bootstrap", GDX_BROKER_OP_BOOTSTRAP, 0, 0, "bootstrap"},
    {"stop", GDX_BROKER_OP_STOP, 0, 0, "stop"},
    {"help", GDX_BROKER_OP_HELP, 0, 0, "help"},
    {"down", GDX_BROKER_OP_DOWN, 1, 1, "down <broker-id|all>"},
    {"up", GDX_BROKER_OP_UP, 1, 1, "up <broker-id|all>"},
    {"rtt", GDX_BROKER_OP_RTT, 2, 2, "rtt <broker-id|all> <ms>"},
    {"errors", GDX_BROKER_OP_ERRORS, 3, 3, "errors <ApiName|ApiKey> <count> <ErrName>"},
    {"errors-rtt", GDX_BROKER_OP_ERRORS_RTT, 4, 2 + 2 * GDX_BROKER_MAX_RTTS,
     "errors-rtt <broker-id> <ApiName> <ErrName> <rtt-ms> [<ErrName> <rtt-ms>...]"},
    {"clear", GDX_BROKER_OP_CLEAR, 1, 1, "clear <ApiName|ApiKey>"},
    {"create-topic", GDX_BROKER_OP_CREATE_TOPIC, 2, 3,
     "create-topic <name> <partitions> [<replication>]"},
    {"leader", GDX_BROKER_OP_LEADER, 3, 3, "leader <topic> <partition> <broker-id>"},
    {"coordinator", GDX_BROKER_OP_COORDINATOR, 3, 3,
     "coordinator <transaction|group> <key> <broker-id>"},
};

#define OPS_CNT (sizeof(ops) / sizeof(ops[0]))

int gdx_broker_cmd_parse(const char *line, struct gdx_broker_cmd *cmd, char *errstr,
                         size_t errstr_size)
{
    char buf[GDX_BROKER_LINE_MAX + 1];
    char *w[MAX_WORDS];
    size_t len = strlen(line);
    size_t oi;
    int n, nargs, err;
    long v;

    memset(cmd, 0, sizeof(*cmd));
    if (len > GDX_BROKER_LINE_MAX) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "line too long (max %d bytes)",
                          GDX_BROKER_LINE_MAX);
    }
    memcpy(buf, line, len + 1);
    if ((n = split_words(buf, w, MAX_WORDS)) < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "too many words");
    }
    if (n == 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "empty command");
    }
    for (oi = 0; oi < OPS_CNT; oi++) {
        if (!strcmp(w[0], ops[oi].name)) {
            break;
        }
    }
    if (oi == OPS_CNT) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "unknown command '%.64s' (try 'help')", w[0]);
    }
    nargs = n - 1;
    if (nargs < ops[oi].min_args || nargs > ops[oi].max_args) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "usage: %s", ops[oi].usage);
    }
    cmd->op = ops[oi].op;

    switch (cmd->op) {
    case GDX_BROKER_OP_PING:
    case GDX_BROKER_OP_BOOTSTRAP:
    case GDX_BROKER_OP_STOP:
    case GDX_BROKER_OP_HELP:
        return GDX_OK;

    case GDX_BROKER_OP_DOWN:
    case GDX_BROKER_OP_UP:
        return parse_broker_id(w[1], 1, &cmd->broker_id, errstr, errstr_size);

    case GDX_BROKER_OP_RTT:
        if ((err = parse_broker_id(w[1], 1, &cmd->broker_id, errstr, errstr_size)) != GDX_OK) {
            return err;
        }
        return parse_ms(w[2], &cmd->rtt_ms, errstr, errstr_size);

    case GDX_BROKER_OP_ERRORS:
        if ((err = parse_api(w[1], &cmd->api_key, errstr, errstr_size)) != GDX_OK) {
            return err;
        }
        if (parse_int(w[2], 1, GDX_BROKER_MAX_ERRS, &v) != 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "invalid count '%s': expected 1..%d", w[2], GDX_BROKER_MAX_ERRS);
        }
        cmd->count = (int)v;
        return parse_err(w[3], &cmd->err, errstr, errstr_size);

    case GDX_BROKER_OP_ERRORS_RTT:
        if (nargs % 2 != 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "usage: %s", ops[oi].usage);
        }
        if ((err = parse_broker_id(w[1], 0, &cmd->broker_id, errstr, errstr_size)) != GDX_OK) {
            return err;
        }
        if ((err = parse_api(w[2], &cmd->api_key, errstr, errstr_size)) != GDX_OK) {
            return err;
        }
        for (int i = 3; i + 1 < n; i += 2) {
            if ((err = parse_err(w[i], &cmd->errs[cmd->nrtts], errstr, errstr_size)) != GDX_OK ||
                (err = parse_ms(w[i + 1], &cmd->rtts[cmd->nrtts], errstr, errstr_size)) != GDX_OK) {
                return err;
            }
            cmd->nrtts++;
        }
        return GDX_OK;

    case GDX_BROKER_OP_CLEAR:
        return parse_api(w[1], &cmd->api_key, errstr, errstr_size);

    case GDX_BROKER_OP_CREATE_TOPIC:
        if (!gdx_broker_topic_name_valid(w[1])) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "invalid topic name '%.64s': use 1-249 of [a-zA-Z0-9._-]", w[1]);
        }
        if ((err = copy_word(cmd->topic, sizeof(cmd->topic), w[1], "topic name", errstr,
                             errstr_size)) != GDX_OK) {
            return err;
        }
        if (parse_int(w[2], 1, GDX_BROKER_MAX_PARTS, &v) != 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "invalid partition count '%s': expected 1..%d", w[2],
                              GDX_BROKER_MAX_PARTS);
        }
        cmd->partitions = (int)v;
        if (nargs == 3) {
            if (parse_int(w[3], 1, GDX_BROKER_MAX_BROKERS, &v) != 0) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                                  "invalid replication factor '%s'", w[3]);
            }
            cmd->replication = (int)v;
        }
        return GDX_OK;

    case GDX_BROKER_OP_LEADER:
        if ((err = copy_word(cmd->topic, sizeof(cmd->topic), w[1], "topic name", errstr,
                             errstr_size)) != GDX_OK) {
            return err;
        }
        if (parse_int(w[2], 0, GDX_BROKER_MAX_PARTS - 1, &v) != 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "invalid partition '%s'", w[2]);
        }
        cmd->partition = (int)v;
        return parse_broker_id(w[3], 0, &cmd->broker_id, errstr, errstr_size);

    case GDX_BROKER_OP_COORDINATOR:
        if (strcmp(w[1], "transaction") && strcmp(w[1], "group")) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "invalid coordinator type '%.64s': expected 'transaction' or "
                              "'group'",
                              w[1]);
        }
        memcpy(cmd->key_type, w[1], strlen(w[1]) + 1);
        if ((err = copy_word(cmd->key, sizeof(cmd->key), w[2], "coordinator key", errstr,
                             errstr_size)) != GDX_OK) {
            return err;
        }
        return parse_broker_id(w[3], 0, &cmd->broker_id, errstr, errstr_size);
    }
    return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "unknown command");
}

/* ---------------------------------------------------------------------------------------
 * The mock cluster */

static void broker_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    int lvl = level <= 3   ? GDX_LOG_ERROR
              : level == 4 ? GDX_LOG_WARN
              : level <= 6 ? GDX_LOG_INFO
                           : GDX_LOG_DEBUG;
    (void)rk;
    gdx_log(lvl, buf, " source=librdkafka facility=%s", fac);
}

struct gdx_broker *gdx_broker_new(int nbrokers, char *errstr, size_t errstr_size)
{
    struct gdx_broker *broker;
    rd_kafka_conf_t *conf;
    const char *bs;
    char kerr[256];

    if (nbrokers < 1 || nbrokers > GDX_BROKER_MAX_BROKERS) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "number of brokers must be 1..%d",
                   GDX_BROKER_MAX_BROKERS);
        return NULL;
    }
    if (!(broker = calloc(1, sizeof(*broker)))) {
        abort();
    }
    broker->nbrokers = nbrokers;
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, broker_log_cb);
    /* The handle only hosts the mock; it connects nowhere, so keep its chatter down. */
    if (rd_kafka_conf_set(conf, "log_level", "4", kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot configure the mock: %s", kerr);
        goto fail;
    }
    broker->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
    if (!broker->rk) {
        rd_kafka_conf_destroy(conf);
        gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot create the mock's handle: %s", kerr);
        goto fail;
    }
    broker->mcluster = rd_kafka_mock_cluster_new(broker->rk, nbrokers);
    if (!broker->mcluster) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA,
                   "cannot start the mock cluster of %d brokers", nbrokers);
        goto fail;
    }
    bs = rd_kafka_mock_cluster_bootstraps(broker->mcluster);
    if (!bs || !(broker->bootstraps = strdup(bs))) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "the mock cluster has no listeners");
        goto fail;
    }
    return broker;

fail:
    gdx_broker_destroy(broker);
    return NULL;
}

void gdx_broker_destroy(struct gdx_broker *broker)
{
    if (!broker) {
        return;
    }
    gdx_broker_poke_stop(broker);
    if (broker->mcluster) {
        rd_kafka_mock_cluster_destroy(broker->mcluster);
    }
    if (broker->rk) {
        rd_kafka_destroy(broker->rk);
    }
    free(broker->bootstraps);
    free(broker);
}

const char *gdx_broker_bootstraps(const struct gdx_broker *broker)
{
    return broker->bootstraps;
}

int gdx_broker_count(const struct gdx_broker *broker)
{
    return broker->nbrokers;
}

int gdx_broker_topic_create(struct gdx_broker *broker, const char *name, int partitions,
                            int replication, char *errstr, size_t errstr_size)
{
    rd_kafka_resp_err_t kerr;

    if (replication == 0) {
        replication = broker->nbrokers < 3 ? broker->nbrokers : 3;
    }
    if (replication > broker->nbrokers) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "topic '%s': replication factor %d exceeds the %d brokers", name,
                          replication, broker->nbrokers);
    }
    if (partitions < 1 || partitions > GDX_BROKER_MAX_PARTS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "topic '%s': partitions must be 1..%d", name, GDX_BROKER_MAX_PARTS);
    }
    kerr = rd_kafka_mock_topic_create(broker->mcluster, name, partitions, replication);
    if (kerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_KAFKA, "cannot create topic '%s': %s", name,
                          rd_kafka_err2name(kerr));
    }
    return GDX_OK;
}

static int broker_exists(const struct gdx_broker *broker, int32_t id)
{
    return id == GDX_BROKER_ALL || (id >= 1 && id <= broker->nbrokers);
}

/* Reply helpers: both return the code gdx_broker_exec returns. */
static int reply_ok(char *reply, size_t reply_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reply_ok(char *reply, size_t reply_size, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(reply, reply_size, "ok ");

    if (n > 0 && (size_t)n < reply_size) {
        va_start(ap, fmt);
        vsnprintf(reply + n, reply_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return GDX_OK;
}

static int reply_kafka(char *reply, size_t reply_size, rd_kafka_resp_err_t kerr, const char *what)
{
    snprintf(reply, reply_size, "error %s: %s", what, rd_kafka_err2name(kerr));
    return GDX_ERR_KAFKA;
}

static void id_text(int32_t id, char *buf, size_t size)
{
    if (id == GDX_BROKER_ALL) {
        snprintf(buf, size, "all");
    } else {
        snprintf(buf, size, "%d", (int)id);
    }
}

/* Apply down/up/rtt to one broker or all. */
static rd_kafka_resp_err_t each_broker(struct gdx_broker *broker, const struct gdx_broker_cmd *cmd)
{
    int32_t first = cmd->broker_id == GDX_BROKER_ALL ? 1 : cmd->broker_id;
    int32_t last = cmd->broker_id == GDX_BROKER_ALL ? broker->nbrokers : cmd->broker_id;
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    for (int32_t id = first; id <= last && !kerr; id++) {
        switch (cmd->op) {
        case GDX_BROKER_OP_DOWN:
            kerr = rd_kafka_mock_broker_set_down(broker->mcluster, id);
            break;
        case GDX_BROKER_OP_UP:
            kerr = rd_kafka_mock_broker_set_up(broker->mcluster, id);
            break;
        case GDX_BROKER_OP_RTT:
            kerr = rd_kafka_mock_broker_set_rtt(broker->mcluster, id, cmd->rtt_ms);
            break;
        default:
            kerr = RD_KAFKA_RESP_ERR__INVALID_ARG;
            break;
        }
    }
    return kerr;
}

static const char *api_text(int api_key, char *buf, size_t size)
{
    const char *name = gdx_broker_api_name(api_key);

    if (name) {
        return name;
    }
    snprintf(buf, size, "ApiKey %d", api_key);
    return buf;
}

int gdx_broker_exec(struct gdx_broker *broker, const struct gdx_broker_cmd *cmd, char *reply,
                    size_t reply_size)
{
    rd_kafka_resp_err_t kerr;
    rd_kafka_resp_err_t *errs;
    char idbuf[16], apibuf[32], errbuf[256];
    const char *api;

    if (cmd->op == GDX_BROKER_OP_DOWN || cmd->op == GDX_BROKER_OP_UP ||
        cmd->op == GDX_BROKER_OP_RTT || cmd->op == GDX_BROKER_OP_ERRORS_RTT ||
        cmd->op == GDX_BROKER_OP_LEADER || cmd->op == GDX_BROKER_OP_COORDINATOR) {
        if (!broker_exists(broker, cmd->broker_id)) {
            snprintf(reply, reply_size, "error no broker %d: brokers are 1..%d",
                     (int)cmd->broker_id, broker->nbrokers);
            return GDX_ERR_NOENT;
        }
    }
    id_text(cmd->broker_id, idbuf, sizeof(idbuf));
    api = api_text(cmd->api_key, apibuf, sizeof(apibuf));

    switch (cmd->op) {
    case GDX_BROKER_OP_PING:
        return reply_ok(reply, reply_size, "pong");
    case GDX_BROKER_OP_BOOTSTRAP:
        return reply_ok(reply, reply_size, "%s", broker->bootstraps);
    case GDX_BROKER_OP_STOP:
        return reply_ok(reply, reply_size, "stopping");
    case GDX_BROKER_OP_HELP: {
        size_t off = 0;
        off += (size_t)snprintf(reply, reply_size, "ok commands:");
        for (size_t i = 0; i < OPS_CNT && off < reply_size; i++) {
            off += (size_t)snprintf(reply + off, reply_size - off, "%s %s", i ? ";" : "",
                                    ops[i].usage);
        }
        return GDX_OK;
    }

    case GDX_BROKER_OP_DOWN:
    case GDX_BROKER_OP_UP:
    case GDX_BROKER_OP_RTT:
        if ((kerr = each_broker(broker, cmd))) {
            return reply_kafka(reply, reply_size, kerr, "mock refused");
        }
        if (cmd->op == GDX_BROKER_OP_RTT) {
            return reply_ok(reply, reply_size, "rtt %s %dms", idbuf, cmd->rtt_ms);
        }
        return reply_ok(reply, reply_size, "%s %s", cmd->op == GDX_BROKER_OP_DOWN ? "down" : "up",
                        idbuf);

    case GDX_BROKER_OP_ERRORS:
        if (!(errs = malloc((size_t)cmd->count * sizeof(*errs)))) {
            abort();
        }
        for (int i = 0; i < cmd->count; i++) {
            errs[i] = (rd_kafka_resp_err_t)cmd->err;
        }
        rd_kafka_mock_push_request_errors_array(broker->mcluster, (int16_t)cmd->api_key,
                                                (size_t)cmd->count, errs);
        free(errs);
        return reply_ok(reply, reply_size, "errors %s %d %s", api, cmd->count,
                        rd_kafka_err2name((rd_kafka_resp_err_t)cmd->err));

    case GDX_BROKER_OP_ERRORS_RTT:
        /* The mock's call is variadic; pushing one pair at a time appends in order. */
        for (size_t i = 0; i < cmd->nrtts; i++) {
            kerr = rd_kafka_mock_broker_push_request_error_rtts(
                broker->mcluster, cmd->broker_id, (int16_t)cmd->api_key, 1,
                (rd_kafka_resp_err_t)cmd->errs[i], cmd->rtts[i]);
            if (kerr) {
                return reply_kafka(reply, reply_size, kerr, "mock refused");
            }
        }
        return reply_ok(reply, reply_size, "errors-rtt %s %s %zu", idbuf, api, cmd->nrtts);

    case GDX_BROKER_OP_CLEAR:
        rd_kafka_mock_clear_request_errors(broker->mcluster, (int16_t)cmd->api_key);
        return reply_ok(reply, reply_size, "clear %s", api);

    case GDX_BROKER_OP_CREATE_TOPIC:
        if (gdx_broker_topic_create(broker, cmd->topic, cmd->partitions, cmd->replication, errbuf,
                                    sizeof(errbuf)) != GDX_OK) {
            snprintf(reply, reply_size, "error %s", errbuf);
            return GDX_ERR_KAFKA;
        }
        return reply_ok(reply, reply_size, "create-topic %s %d", cmd->topic, cmd->partitions);

    case GDX_BROKER_OP_LEADER:
        kerr = rd_kafka_mock_partition_set_leader(broker->mcluster, cmd->topic, cmd->partition,
                                                  cmd->broker_id);
        if (kerr) {
            return reply_kafka(reply, reply_size, kerr, "cannot set leader");
        }
        return reply_ok(reply, reply_size, "leader %s %d %s", cmd->topic, cmd->partition, idbuf);

    case GDX_BROKER_OP_COORDINATOR:
        kerr = rd_kafka_mock_coordinator_set(broker->mcluster, cmd->key_type, cmd->key,
                                             cmd->broker_id);
        if (kerr) {
            return reply_kafka(reply, reply_size, kerr, "cannot set coordinator");
        }
        return reply_ok(reply, reply_size, "coordinator %s %s %s", cmd->key_type, cmd->key, idbuf);
    }
    snprintf(reply, reply_size, "error unknown command");
    return GDX_ERR_USAGE;
}

int gdx_broker_exec_line(struct gdx_broker *broker, const char *line, char *reply,
                         size_t reply_size)
{
    struct gdx_broker_cmd cmd;
    char errbuf[256];
    int err;

    if ((err = gdx_broker_cmd_parse(line, &cmd, errbuf, sizeof(errbuf))) != GDX_OK) {
        snprintf(reply, reply_size, "error %s", errbuf);
        return err;
    }
    return gdx_broker_exec(broker, &cmd, reply, reply_size);
}
