/*
 * gdx_topics.c - topics and ACLs as code.
 *
 * The city's Kafka permissions follow its data-sharing catalogue, default deny as X-Road
 * does: a unit's principal writes only its own systems' topics and dead letter topics, uses
 * only its own transactional ids (gdx-<connector id>) and its own offsets topic, and reads
 * only what is shared with it: `unconditional` topics every unit reads, `conditional` ones the
 * units the inventory lists as consumers, and `none` (不予共享) nobody outside the owning unit.
 * The uplink's principal reads only the topics marked for the province whose share is not
 * `none`.
 *
 * Kafka ACLs cannot restrict the keys a principal writes to a compacted topic, so one shared
 * `_gdx.offsets` (key = connector id) would let any unit overwrite another's source position
 * and make it skip or replay data. Each unit therefore gets its own offsets topic,
 * `_gdx.offsets.<unit>`, which only its principal reads and writes (a connector selects it with
 * `offsets.topic: _gdx.offsets.{unit}`, which the deployment file sets once for the host). The
 * shared `_gdx.offsets` stays for the embedded demo broker and is granted to nobody.
 *
 * Invariants: the diff (gdx_topics_plan) is a pure function of two states, so everything it
 * decides is tested against recorded cluster descriptions; every generated or printed list is
 * sorted, so files and plans are reproducible; nothing here deletes a topic.
 *
 * librdkafka 2.0.2 knows the ACL resource types Topic, Group and Cluster (its "Broker") but not
 * TransactionalId: it refuses to build such a binding and reports one it reads back as an
 * unknown type. apply therefore prints the kafka-acls.sh command for each transactional-id ACL
 * it cannot create, and describe keeps unknown-type bindings so that the plan can match them.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "gdx_conf.h"
#include "gdx_err.h"
#include "gdx_topics.h"
#include "gdx_util.h"

#define DAY_MS           86400000LL
#define PART_HOLD_BYTES  (4LL << 20) /* a day of a system per partition in the demo broker */
#define MIN_DATA_DAYS    7
#define MIN_AUDIT_DAYS   183
#define CLUSTER_RESOURCE "kafka-cluster"

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return out;
}

/* ---------------------------------------------------------------------------------------
 * The model */

struct gdx_topics *gdx_topics_new(void)
{
    return gdx_xcalloc(1, sizeof(struct gdx_topics));
}

static void topic_release(struct gdx_topic *tp)
{
    free(tp->name);
    for (size_t i = 0; i < 2 * tp->nconf; i++) {
        free(tp->conf[i]);
    }
    free(tp->conf);
    free(tp->note);
}

static void acl_release(struct gdx_acl *a)
{
    free(a->principal);
    free(a->host);
    free(a->name);
}

void gdx_topics_destroy(struct gdx_topics *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->ntopics; i++) {
        topic_release(&t->topics[i]);
    }
    free(t->topics);
    for (size_t i = 0; i < t->nacls; i++) {
        acl_release(&t->acls[i]);
    }
    free(t->acls);
    for (size_t i = 0; i < 2 * t->npnotes; i++) {
        free(t->pnotes[i]);
    }
    free(t->pnotes);
    free(t->header);
    free(t);
}

static struct gdx_topic *topic_find(struct gdx_topics *t, const char *name)
{
    for (size_t i = 0; i < t->ntopics; i++) {
        if (!strcmp(t->topics[i].name, name)) {
            return &t->topics[i];
        }
    }
    return NULL;
}

const struct gdx_topic *gdx_topics_find(const struct gdx_topics *t, const char *name)
{
    for (size_t i = 0; i < t->ntopics; i++) {
        if (!strcmp(t->topics[i].name, name)) {
            return &t->topics[i];
        }
    }
    return NULL;
}

struct gdx_topic *gdx_topics_add(struct gdx_topics *t, const char *name, int32_t partitions,
                                 int replication)
{
    struct gdx_topic *tp = topic_find(t, name);
    if (!tp) {
        if (t->ntopics == t->cap_topics) {
            t->cap_topics = t->cap_topics ? 2 * t->cap_topics : 32;
            t->topics = gdx_xrealloc(t->topics, t->cap_topics * sizeof(*t->topics));
        }
        tp = &t->topics[t->ntopics++];
        memset(tp, 0, sizeof(*tp));
        tp->name = gdx_xstrdup(name);
    }
    tp->partitions = partitions;
    tp->replication = replication;
    return tp;
}

void gdx_topic_set_conf(struct gdx_topic *tp, const char *name, const char *value)
{
    size_t i = 0;
    while (i < tp->nconf && strcmp(tp->conf[2 * i], name) < 0) {
        i++;
    }
    if (i < tp->nconf && !strcmp(tp->conf[2 * i], name)) {
        free(tp->conf[2 * i + 1]);
        tp->conf[2 * i + 1] = gdx_xstrdup(value);
        return;
    }
    tp->conf = gdx_xrealloc(tp->conf, 2 * (tp->nconf + 1) * sizeof(char *));
    memmove(tp->conf + 2 * i + 2, tp->conf + 2 * i, 2 * (tp->nconf - i) * sizeof(char *));
    tp->conf[2 * i] = gdx_xstrdup(name);
    tp->conf[2 * i + 1] = gdx_xstrdup(value);
    tp->nconf++;
}

const char *gdx_topic_conf(const struct gdx_topic *tp, const char *name)
{
    for (size_t i = 0; i < tp->nconf; i++) {
        if (!strcmp(tp->conf[2 * i], name)) {
            return tp->conf[2 * i + 1];
        }
    }
    return NULL;
}

static int acl_is(const struct gdx_acl *a, const char *principal, const char *host, int res,
                  int pattern, const char *name, int op, int allow)
{
    return a->res == res && a->pattern == pattern && a->op == op && a->allow == allow &&
           !strcmp(a->principal, principal) && !strcmp(a->host, host) && !strcmp(a->name, name);
}

static int acl_same(const struct gdx_acl *a, const struct gdx_acl *b)
{
    return acl_is(a, b->principal, b->host, b->res, b->pattern, b->name, b->op, b->allow);
}

void gdx_topics_add_acl(struct gdx_topics *t, const char *principal, const char *host, int res,
                        int pattern, const char *name, int op, int allow)
{
    struct gdx_acl *a;
    if (!host) {
        host = "*";
    }
    if (res == GDX_ACL_RES_CLUSTER) {
        name = CLUSTER_RESOURCE;
    }
    for (size_t i = 0; i < t->nacls; i++) {
        if (acl_is(&t->acls[i], principal, host, res, pattern, name, op, allow)) {
            return;
        }
    }
    if (t->nacls == t->cap_acls) {
        t->cap_acls = t->cap_acls ? 2 * t->cap_acls : 64;
        t->acls = gdx_xrealloc(t->acls, t->cap_acls * sizeof(*t->acls));
    }
    a = &t->acls[t->nacls++];
    a->principal = gdx_xstrdup(principal);
    a->host = gdx_xstrdup(host);
    a->name = gdx_xstrdup(name);
    a->res = res;
    a->pattern = pattern;
    a->op = op;
    a->allow = allow;
}

static void pnote_set(struct gdx_topics *t, const char *principal, const char *note)
{
    for (size_t i = 0; i < t->npnotes; i++) {
        if (!strcmp(t->pnotes[2 * i], principal)) {
            free(t->pnotes[2 * i + 1]);
            t->pnotes[2 * i + 1] = gdx_xstrdup(note);
            return;
        }
    }
    t->pnotes = gdx_xrealloc(t->pnotes, 2 * (t->npnotes + 1) * sizeof(char *));
    t->pnotes[2 * t->npnotes] = gdx_xstrdup(principal);
    t->pnotes[2 * t->npnotes + 1] = gdx_xstrdup(note);
    t->npnotes++;
}

static const char *pnote_get(const struct gdx_topics *t, const char *principal)
{
    for (size_t i = 0; i < t->npnotes; i++) {
        if (!strcmp(t->pnotes[2 * i], principal)) {
            return t->pnotes[2 * i + 1];
        }
    }
    return NULL;
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp(((const struct gdx_topic *)a)->name, ((const struct gdx_topic *)b)->name);
}

static int cmp_acl(const void *pa, const void *pb)
{
    const struct gdx_acl *a = pa, *b = pb;
    int c;
    if ((c = strcmp(a->principal, b->principal))) {
        return c;
    }
    if (a->res != b->res) {
        return a->res - b->res;
    }
    if ((c = strcmp(a->name, b->name))) {
        return c;
    }
    if (a->pattern != b->pattern) {
        return a->pattern - b->pattern;
    }
    if ((c = strcmp(a->host, b->host))) {
        return c;
    }
    if (a->allow != b->allow) {
        return b->allow - a->allow;
    }
    return a->op - b->op;
}

void gdx_topics_sort(struct gdx_topics *t)
{
    if (t->ntopics) {
        qsort(t->topics, t->ntopics, sizeof(*t->topics), cmp_topic);
    }
    if (t->nacls) {
        qsort(t->acls, t->nacls, sizeof(*t->acls), cmp_acl);
    }
}

/* Kafka's spelling of operations (AclOperation in the Java client and kafka-acls.sh) */
static const char *const op_names[] = {
    NULL,    "All",      "Read",          "Write",           "Create",       "Delete",
    "Alter", "Describe", "ClusterAction", "DescribeConfigs", "AlterConfigs", "IdempotentWrite",
};

const char *gdx_acl_op_name(int op)
{
    if (op < GDX_ACL_OP_ALL || op > GDX_ACL_OP_IDEMPOTENT_WRITE) {
        return NULL;
    }
    return op_names[op];
}

int gdx_acl_op_parse(const char *s)
{
    for (int op = GDX_ACL_OP_ALL; op <= GDX_ACL_OP_IDEMPOTENT_WRITE; op++) {
        if (!strcasecmp(s, op_names[op])) {
            return op;
        }
    }
    return -1;
}

static const char *const res_names[] = {NULL,      "topic",  "group", "transactional.id",
                                        "cluster", "unknown"};

const char *gdx_acl_res_name(int res)
{
    if (res < GDX_ACL_RES_TOPIC || res > GDX_ACL_RES_UNKNOWN) {
        return NULL;
    }
    return res_names[res];
}

int gdx_acl_res_parse(const char *s)
{
    for (int r = GDX_ACL_RES_TOPIC; r <= GDX_ACL_RES_CLUSTER; r++) {
        if (!strcmp(s, res_names[r])) {
            return r;
        }
    }
    return -1;
}

/* Does a binding for @p have grant (or deny) @p want? Kafka's implied operations. */
static int op_covers(int have, int want)
{
    if (have == want || have == GDX_ACL_OP_ALL) {
        return 1;
    }
    if (want == GDX_ACL_OP_DESCRIBE) {
        return have == GDX_ACL_OP_READ || have == GDX_ACL_OP_WRITE || have == GDX_ACL_OP_DELETE ||
               have == GDX_ACL_OP_ALTER;
    }
    if (want == GDX_ACL_OP_DESCRIBE_CONFIGS) {
        return have == GDX_ACL_OP_ALTER_CONFIGS;
    }
    return 0;
}

static int acl_matches(const struct gdx_acl *a, const char *principal, int res, const char *name,
                       int op)
{
    if (a->res != res || (strcmp(a->principal, principal) && strcmp(a->principal, "User:*"))) {
        return 0;
    }
    if (a->pattern == GDX_ACL_PREFIXED) {
        if (strncmp(name, a->name, strlen(a->name))) {
            return 0;
        }
    } else if (strcmp(a->name, "*") && strcmp(a->name, name)) {
        return 0;
    }
    /* Kafka implies operations for allows only: a deny matches its own operation or ALL. The
     * host is not compared: an answer holds for every host, so checks err on the safe side. */
    return a->allow ? op_covers(a->op, op) : (a->op == op || a->op == GDX_ACL_OP_ALL);
}

int gdx_acl_allowed(const struct gdx_topics *t, const char *principal, int res, const char *name,
                    int op)
{
    int allowed = 0;
    for (size_t i = 0; i < t->nacls; i++) {
        const struct gdx_acl *a = &t->acls[i];
        if (!acl_matches(a, principal, res, name, op)) {
            continue;
        }
        if (!a->allow) {
            return 0;
        }
        allowed = 1;
    }
    return allowed;
}

/* ---------------------------------------------------------------------------------------
 * Files */

static int node_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

static int node_err(char *errstr, size_t errstr_size, const struct gdx_node *n, const char *fmt,
                    ...)
{
    char where[300], msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                      gdx_conf_where(n, where, sizeof(where)), msg);
}

/* A Kafka topic name: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
static int topic_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 249 || !strcmp(s, ".") || !strcmp(s, "..")) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-') {
            return 0;
        }
    }
    return 1;
}

static int seq_of(const struct gdx_node *root, const char *key, const struct gdx_node **seq,
                  char *errstr, size_t errstr_size)
{
    const char *const keys[] = {key, NULL};
    if (!root || root->type != GDX_NODE_MAP) {
        return node_err(errstr, errstr_size, root, "expected a map with a '%s' list", key);
    }
    int err = gdx_conf_only_keys(root, keys, errstr, errstr_size);
    if (err) {
        return err;
    }
    *seq = gdx_conf_get(root, key);
    if (!*seq || (*seq)->type != GDX_NODE_SEQ) {
        return node_err(errstr, errstr_size, *seq ? *seq : root, "'%s' must be a list", key);
    }
    return GDX_OK;
}

static int load_topic(struct gdx_topics *t, const struct gdx_node *item, char *errstr,
                      size_t errstr_size)
{
    static const char *const keys[] = {"name", "partitions", "replication.factor", "config", NULL};
    const struct gdx_node *n;
    const char *name;
    int64_t parts, repl = 0;
    struct gdx_topic *tp;
    int err;

    if (item->type != GDX_NODE_MAP) {
        return node_err(errstr, errstr_size, item,
                        "a topic must be a map with 'name' and 'partitions'");
    }
    if ((err = gdx_conf_only_keys(item, keys, errstr, errstr_size))) {
        return err;
    }
    if (!(n = gdx_conf_get(item, "name"))) {
        return node_err(errstr, errstr_size, item, "a topic needs a 'name'");
    }
    if ((err = gdx_conf_scalar(n, &name, errstr, errstr_size))) {
        return err;
    }
    if (!topic_name_ok(name)) {
        return node_err(errstr, errstr_size, n,
                        "invalid topic name '%s': 1-249 characters of [a-zA-Z0-9._-]", name);
    }
    if (gdx_topics_find(t, name)) {
        return node_err(errstr, errstr_size, n, "topic '%s' is listed twice", name);
    }
    if (!(n = gdx_conf_get(item, "partitions"))) {
        return node_err(errstr, errstr_size, item, "topic '%s' has no 'partitions'", name);
    }
    if ((err = gdx_conf_int(n, 1, 100000, &parts, errstr, errstr_size))) {
        return err;
    }
    if ((n = gdx_conf_get(item, "replication.factor")) &&
        (err = gdx_conf_int(n, 1, 32, &repl, errstr, errstr_size))) {
        return err;
    }
    tp = gdx_topics_add(t, name, (int32_t)parts, (int)repl);
    if ((n = gdx_conf_get(item, "config"))) {
        if (n->type != GDX_NODE_MAP) {
            return node_err(errstr, errstr_size, n, "'config' of topic '%s' must be a map", name);
        }
        for (size_t i = 0; i < n->nkids; i++) {
            const char *v;
            if ((err = gdx_conf_scalar(n->kids[i], &v, errstr, errstr_size))) {
                return err;
            }
            gdx_topic_set_conf(tp, n->kids[i]->key, v);
        }
    }
    return GDX_OK;
}

int gdx_topics_load_topics(struct gdx_topics *t, const char *path, char *errstr, size_t errstr_size)
{
    struct gdx_node *root = gdx_conf_load(path, errstr, errstr_size);
    const struct gdx_node *seq;
    int err;
    if (!root) {
        return GDX_ERR_CONFIG;
    }
    err = seq_of(root, "topics", &seq, errstr, errstr_size);
    for (size_t i = 0; !err && i < seq->nkids; i++) {
        err = load_topic(t, seq->kids[i], errstr, errstr_size);
    }
    gdx_conf_destroy(root);
    return err;
}

static int load_grant(struct gdx_topics *t, const char *principal, const struct gdx_node *g,
                      char *errstr, size_t errstr_size)
{
    static const char *const keys[] = {"resource", "name", "pattern", "host", "operations", NULL};
    const struct gdx_node *n, *ops;
    const char *v, *name = CLUSTER_RESOURCE, *host = "*";
    int res, pattern = GDX_ACL_LITERAL, err;

    if (g->type != GDX_NODE_MAP) {
        return node_err(errstr, errstr_size, g,
                        "a grant must be a map {resource, name, operations}");
    }
    if ((err = gdx_conf_only_keys(g, keys, errstr, errstr_size))) {
        return err;
    }
    if (!(n = gdx_conf_get(g, "resource"))) {
        return node_err(errstr, errstr_size, g, "a grant needs a 'resource'");
    }
    if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
        return err;
    }
    if ((res = gdx_acl_res_parse(v)) < 0) {
        return node_err(errstr, errstr_size, n,
                        "unknown resource '%s' (topic, group, transactional.id, cluster)", v);
    }
    if ((n = gdx_conf_get(g, "name"))) {
        if ((err = gdx_conf_scalar(n, &name, errstr, errstr_size))) {
            return err;
        }
        if (!*name || (res == GDX_ACL_RES_CLUSTER && strcmp(name, CLUSTER_RESOURCE))) {
            return node_err(errstr, errstr_size, n, "invalid resource name '%s'", name);
        }
    } else if (res != GDX_ACL_RES_CLUSTER) {
        return node_err(errstr, errstr_size, g, "a %s grant needs a 'name'", v);
    }
    if ((n = gdx_conf_get(g, "pattern"))) {
        const char *p;
        if ((err = gdx_conf_scalar(n, &p, errstr, errstr_size))) {
            return err;
        }
        if (!strcmp(p, "prefixed")) {
            pattern = GDX_ACL_PREFIXED;
        } else if (strcmp(p, "literal")) {
            return node_err(errstr, errstr_size, n, "pattern must be literal or prefixed, not '%s'",
                            p);
        }
    }
    if ((n = gdx_conf_get(g, "host")) && (err = gdx_conf_scalar(n, &host, errstr, errstr_size))) {
        return err;
    }
    ops = gdx_conf_get(g, "operations");
    if (!ops || ops->type != GDX_NODE_SEQ || !ops->nkids) {
        return node_err(errstr, errstr_size, ops ? ops : g,
                        "'operations' must be a non-empty list (Read, Write, Describe, ...)");
    }
    for (size_t i = 0; i < ops->nkids; i++) {
        int op;
        if ((err = gdx_conf_scalar(ops->kids[i], &v, errstr, errstr_size))) {
            return err;
        }
        if ((op = gdx_acl_op_parse(v)) < 0) {
            return node_err(errstr, errstr_size, ops->kids[i], "unknown operation '%s'", v);
        }
        gdx_topics_add_acl(t, principal, host, res, pattern, name, op, 1);
    }
    return GDX_OK;
}

int gdx_topics_load_acls(struct gdx_topics *t, const char *path, char *errstr, size_t errstr_size)
{
    static const char *const keys[] = {"principal", "allow", NULL};
    struct gdx_node *root = gdx_conf_load(path, errstr, errstr_size);
    const struct gdx_node *seq, *n, *allow;
    const char *principal;
    int err;

    if (!root) {
        return GDX_ERR_CONFIG;
    }
    err = seq_of(root, "principals", &seq, errstr, errstr_size);
    for (size_t i = 0; !err && i < seq->nkids; i++) {
        const struct gdx_node *item = seq->kids[i];
        if (item->type != GDX_NODE_MAP) {
            err =
                node_err(errstr, errstr_size, item, "a principal must be a map {principal, allow}");
            break;
        }
        if ((err = gdx_conf_only_keys(item, keys, errstr, errstr_size))) {
            break;
        }
        if (!(n = gdx_conf_get(item, "principal"))) {
            err = node_err(errstr, errstr_size, item, "missing 'principal' (User:<name>)");
            break;
        }
        if ((err = gdx_conf_scalar(n, &principal, errstr, errstr_size))) {
            break;
        }
        if (!strchr(principal, ':') || principal[strlen(principal) - 1] == ':') {
            err =
                node_err(errstr, errstr_size, n,
                         "principal '%s' must be <type>:<name>, e.g. User:hotline12345", principal);
            break;
        }
        allow = gdx_conf_get(item, "allow");
        if (!allow || allow->type != GDX_NODE_SEQ) {
            err = node_err(errstr, errstr_size, allow ? allow : item,
                           "'allow' of '%s' must be a list of grants", principal);
            break;
        }
        for (size_t k = 0; !err && k < allow->nkids; k++) {
            err = load_grant(t, principal, allow->kids[k], errstr, errstr_size);
        }
    }
    t->acls_known = 1;
    gdx_conf_destroy(root);
    return err;
}

/* A YAML scalar for a config value: quoted so it stays a string. */
static void yaml_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', out);
        }
        fputc(*p, out);
    }
    fputc('"', out);
}

static void write_comment_block(FILE *out, const char *text)
{
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "#%s%.*s\n", len ? " " : "", (int)len, p);
        p = nl ? nl + 1 : NULL;
    }
}

/* "2592000000" -> " # 30 days" for retention values */
static void retention_note(FILE *out, const char *name, const char *value)
{
    char *end;
    long long v;
    if (strcmp(name, "retention.ms")) {
        return;
    }
    v = strtoll(value, &end, 10);
    if (*end || v <= 0 || v % DAY_MS) {
        return;
    }
    fprintf(out, "  # %lld days", v / DAY_MS);
}

void gdx_topics_write_topics(const struct gdx_topics *t, FILE *out)
{
    if (t->header) {
        write_comment_block(out, t->header);
        fputc('\n', out);
    }
    fprintf(out, "topics:\n");
    for (size_t i = 0; i < t->ntopics; i++) {
        const struct gdx_topic *tp = &t->topics[i];
        if (tp->note) {
            fprintf(out, "  # %s\n", tp->note);
        }
        fprintf(out, "  - name: %s\n    partitions: %d\n", tp->name, (int)tp->partitions);
        if (tp->replication) {
            fprintf(out, "    replication.factor: %d\n", tp->replication);
        }
        if (tp->nconf) {
            fprintf(out, "    config:\n");
        }
        for (size_t k = 0; k < tp->nconf; k++) {
            fprintf(out, "      %s: ", tp->conf[2 * k]);
            yaml_quoted(out, tp->conf[2 * k + 1]);
            retention_note(out, tp->conf[2 * k], tp->conf[2 * k + 1]);
            fputc('\n', out);
        }
    }
}

/* The operations of consecutive bindings that differ only in the operation, written as one
 * grant; returns the index after the group. */
static size_t write_grant(const struct gdx_topics *t, size_t i, FILE *out)
{
    const struct gdx_acl *a = &t->acls[i];
    size_t j = i;
    fprintf(out, "      - {resource: %s", gdx_acl_res_name(a->res));
    if (a->res != GDX_ACL_RES_CLUSTER) {
        fprintf(out, ", name: ");
        if (!strcmp(a->name, "*")) {
            fputs("\"*\"", out);
        } else {
            fputs(a->name, out);
        }
    }
    if (a->pattern == GDX_ACL_PREFIXED) {
        fprintf(out, ", pattern: prefixed");
    }
    if (strcmp(a->host, "*")) {
        fprintf(out, ", host: \"%s\"", a->host);
    }
    fprintf(out, ", operations: [");
    while (j < t->nacls) {
        const struct gdx_acl *b = &t->acls[j];
        if (b->res != a->res || b->pattern != a->pattern || strcmp(b->name, a->name) ||
            strcmp(b->host, a->host) || strcmp(b->principal, a->principal) || !b->allow) {
            break;
        }
        fprintf(out, "%s%s", j > i ? ", " : "", gdx_acl_op_name(b->op));
        j++;
    }
    fprintf(out, "]}\n");
    return j;
}

void gdx_topics_write_acls(const struct gdx_topics *t, FILE *out)
{
    if (t->header) {
        write_comment_block(out, t->header);
        fputc('\n', out);
    }
    fprintf(out, "principals:\n");
    for (size_t i = 0; i < t->nacls;) {
        const char *p = t->acls[i].principal;
        const char *note = pnote_get(t, p);
        if (!t->acls[i].allow) {
            i++; /* deny bindings have no place in a default-deny file */
            continue;
        }
        if (note) {
            fprintf(out, "  # %s\n", note);
        }
        fprintf(out, "  - principal: %s\n    allow:\n", p);
        while (i < t->nacls && !strcmp(t->acls[i].principal, p)) {
            i = t->acls[i].allow ? write_grant(t, i, out) : i + 1;
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Recorded cluster descriptions (JSON) */

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int gdx_topics_load_state(struct gdx_topics *t, const char *path, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *topics, *acls, *it;
    size_t i;
    int err = GDX_OK;

    if (!root) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s:%d:%d: %s", path, jerr.line,
                          jerr.column, jerr.text);
    }
    topics = json_object_get(root, "topics");
    if (!json_is_array(topics)) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: no \"topics\" array", path);
        goto out;
    }
    json_array_foreach(topics, i, it)
    {
        const char *name = jstr(it, "name"), *k;
        json_t *parts = json_object_get(it, "partitions"), *conf, *v;
        json_t *repl = json_object_get(it, "replication.factor");
        struct gdx_topic *tp;
        if (!name || !json_is_integer(parts) || (repl && !json_is_integer(repl))) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: topic %zu needs \"name\", \"partitions\" (and an integer "
                             "\"replication.factor\")",
                             path, i);
            goto out;
        }
        tp = gdx_topics_add(t, name, (int32_t)json_integer_value(parts),
                            repl ? (int)json_integer_value(repl) : 0);
        conf = json_object_get(it, "config");
        json_object_foreach(conf, k, v)
        {
            if (!json_is_string(v)) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                 "%s: config '%s' of topic '%s' must be a string", path, k, name);
                goto out;
            }
            gdx_topic_set_conf(tp, k, json_string_value(v));
        }
    }
    acls = json_object_get(root, "acls");
    t->acls_known = json_is_array(acls);
    json_array_foreach(acls, i, it)
    {
        const char *p = jstr(it, "principal"), *host = jstr(it, "host"), *r = jstr(it, "resource");
        const char *pat = jstr(it, "pattern"), *name = jstr(it, "name");
        const char *op = jstr(it, "operation"), *perm = jstr(it, "permission");
        int res = r ? (!strcmp(r, "unknown") ? GDX_ACL_RES_UNKNOWN : gdx_acl_res_parse(r)) : -1;
        int o = op ? gdx_acl_op_parse(op) : -1;
        if (!p || !name || res < 0 || o < 0 || !pat ||
            (strcmp(pat, "literal") && strcmp(pat, "prefixed")) || !perm ||
            (strcmp(perm, "allow") && strcmp(perm, "deny"))) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: acl %zu needs principal, resource, pattern (literal|prefixed), "
                             "name, operation and permission (allow|deny)",
                             path, i);
            goto out;
        }
        gdx_topics_add_acl(t, p, host ? host : "*", res,
                           !strcmp(pat, "prefixed") ? GDX_ACL_PREFIXED : GDX_ACL_LITERAL, name, o,
                           !strcmp(perm, "allow"));
    }
out:
    json_decref(root);
    return err;
}

void gdx_topics_write_state(const struct gdx_topics *t, FILE *out)
{
    json_t *root = json_object(), *topics = json_array();
    char *s;
    for (size_t i = 0; i < t->ntopics; i++) {
        const struct gdx_topic *tp = &t->topics[i];
        json_t *o = json_object(), *conf = json_object();
        json_object_set_new(o, "name", json_string(tp->name));
        json_object_set_new(o, "partitions", json_integer(tp->partitions));
        if (tp->replication) {
            json_object_set_new(o, "replication.factor", json_integer(tp->replication));
        }
        for (size_t k = 0; k < tp->nconf; k++) {
            json_object_set_new(conf, tp->conf[2 * k], json_string(tp->conf[2 * k + 1]));
        }
        json_object_set_new(o, "config", conf);
        json_array_append_new(topics, o);
    }
    json_object_set_new(root, "topics", topics);
    if (t->acls_known) {
        json_t *acls = json_array();
        for (size_t i = 0; i < t->nacls; i++) {
            const struct gdx_acl *a = &t->acls[i];
            json_array_append_new(
                acls, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "principal", a->principal, "host",
                                a->host, "resource", gdx_acl_res_name(a->res), "pattern",
                                a->pattern == GDX_ACL_PREFIXED ? "prefixed" : "literal", "name",
                                a->name, "operation", gdx_acl_op_name(a->op), "permission",
                                a->allow ? "allow" : "deny"));
        }
        json_object_set_new(root, "acls", acls);
    }
    s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fprintf(out, "%s\n", s);
    free(s);
    json_decref(root);
}

/* ---------------------------------------------------------------------------------------
 * The inventory */

static int id_ok(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' && *p != '-') {
            return 0;
        }
    }
    return 1;
}

static int share_ok(const char *s)
{
    return !strcmp(s, "unconditional") || !strcmp(s, "conditional") || !strcmp(s, "none");
}

static char *opt_str(const struct gdx_node *map, const char *key)
{
    const struct gdx_node *n = gdx_conf_get(map, key);
    return n && n->type == GDX_NODE_SCALAR ? gdx_xstrdup(n->value) : NULL;
}

/* gdx.share of a schema file, malloc'd, or NULL with the reason in errstr. */
static char *schema_share(const char *dir, const char *rel, char *errstr, size_t errstr_size)
{
    char *path = gdx_path_join(dir, rel);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    char *share = NULL;
    if (!root) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot read schema '%s': %s", path,
                   jerr.text);
    } else if (!jstr(root, "gdx.share")) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "schema '%s' has no gdx.share", path);
    } else {
        share = gdx_xstrdup(jstr(root, "gdx.share"));
    }
    json_decref(root);
    free(path);
    return share;
}

static void system_release(struct gdx_inv_system *s)
{
    free(s->id);
    free(s->name);
    free(s->kind);
    free(s->topic);
    free(s->schema);
    free(s->cycle);
    free(s->share);
    for (size_t i = 0; i < s->nconsumers; i++) {
        free(s->consumers[i]);
    }
    free(s->consumers);
}

void gdx_inventory_destroy(struct gdx_inventory *inv)
{
    if (!inv) {
        return;
    }
    for (size_t u = 0; u < inv->nunits; u++) {
        for (size_t i = 0; i < inv->units[u].nsystems; i++) {
            system_release(&inv->units[u].systems[i]);
        }
        free(inv->units[u].systems);
        free(inv->units[u].id);
        free(inv->units[u].name);
    }
    free(inv->units);
    free(inv->path);
    free(inv->city_id);
    free(inv->city_name);
    free(inv->region_code);
    free(inv);
}

const struct gdx_inv_unit *gdx_inventory_unit(const struct gdx_inventory *inv, const char *id)
{
    for (size_t u = 0; u < inv->nunits; u++) {
        if (!strcmp(inv->units[u].id, id)) {
            return &inv->units[u];
        }
    }
    return NULL;
}

static int load_system(struct gdx_inventory *inv, struct gdx_inv_unit *unit,
                       struct gdx_inv_system *s, const struct gdx_node *n, const char *prefix,
                       const char *schemas_dir, char *errstr, size_t errstr_size)
{
    const struct gdx_node *v;
    char want[300];
    int err;

    if (n->type != GDX_NODE_MAP) {
        return node_err(errstr, errstr_size, n, "a system must be a map (id, name, topic, ...)");
    }
    s->unit = unit;
    s->line = n->line;
    s->per_day = -1;
    s->id = opt_str(n, "id");
    if (!s->id || !id_ok(s->id)) {
        return node_err(errstr, errstr_size, gdx_conf_get(n, "id") ? gdx_conf_get(n, "id") : n,
                        "system id '%s' of unit '%s' must be lowercase letters, digits, '_' or "
                        "'-'",
                        s->id ? s->id : "", unit->id);
    }
    s->name = opt_str(n, "name");
    s->kind = opt_str(n, "kind");
    s->schema = opt_str(n, "schema");
    s->cycle = opt_str(n, "cycle");
    s->topic = opt_str(n, "topic");
    snprintf(want, sizeof(want), "%s.%s.%s.", prefix, unit->id, s->id);
    if (!s->topic || !topic_name_ok(s->topic) || strncmp(s->topic, want, strlen(want)) ||
        !s->topic[strlen(want)] || strchr(s->topic + strlen(want), '.')) {
        return node_err(errstr, errstr_size,
                        gdx_conf_get(n, "topic") ? gdx_conf_get(n, "topic") : n,
                        "topic '%s' of system '%s.%s' must be %s<record>", s->topic ? s->topic : "",
                        unit->id, s->id, want);
    }
    if ((v = gdx_conf_get(n, "share"))) {
        s->share = opt_str(n, "share");
        if (!s->share || !share_ok(s->share)) {
            return node_err(errstr, errstr_size, v,
                            "share of '%s.%s' must be unconditional, conditional or none", unit->id,
                            s->id);
        }
    }
    if (s->schema && schemas_dir) {
        char reason[512];
        char *from_schema = schema_share(schemas_dir, s->schema, reason, sizeof(reason));
        if (!from_schema) {
            return node_err(errstr, errstr_size, gdx_conf_get(n, "schema"), "%s", reason);
        }
        if (s->share && strcmp(s->share, from_schema)) {
            node_err(errstr, errstr_size, v,
                     "share '%s' of '%s.%s' disagrees with gdx.share '%s' of its schema '%s'",
                     s->share, unit->id, s->id, from_schema, s->schema);
            free(from_schema);
            return GDX_ERR_CONFIG;
        }
        if (!s->share) {
            s->share = from_schema;
            s->share_from = 1;
        } else {
            free(from_schema);
        }
    }
    if (!s->share) {
        s->share = gdx_xstrdup("none");
        s->share_from = 2;
    }
    if ((v = gdx_conf_get(n, "consumers"))) {
        if (v->type != GDX_NODE_SEQ) {
            return node_err(errstr, errstr_size, v, "consumers must be a list of unit ids");
        }
        if (!strcmp(s->share, "none") && v->nkids) {
            return node_err(errstr, errstr_size, v,
                            "'%s.%s' is not shared (share: none) but lists consumers", unit->id,
                            s->id);
        }
        s->consumers = gdx_xcalloc(v->nkids + 1, sizeof(char *));
        for (size_t i = 0; i < v->nkids; i++) {
            const char *c;
            if ((err = gdx_conf_scalar(v->kids[i], &c, errstr, errstr_size))) {
                return err;
            }
            s->consumers[s->nconsumers++] = gdx_xstrdup(c);
        }
    }
    if ((v = gdx_conf_get(n, "per_day")) &&
        (err = gdx_conf_int(v, 0, INT64_C(1) << 40, &s->per_day, errstr, errstr_size))) {
        return err;
    }
    if ((v = gdx_conf_get(n, "uplink"))) {
        if ((err = gdx_conf_bool(v, &s->uplink, errstr, errstr_size))) {
            return err;
        }
        if (s->uplink && !strcmp(s->share, "none")) {
            return node_err(errstr, errstr_size, v,
                            "'%s.%s' is marked for the uplink but its share is none "
                            "(不予共享): it may not leave the unit",
                            unit->id, s->id);
        }
    }
    (void)inv;
    return GDX_OK;
}

int gdx_inventory_load(struct gdx_inventory **out, const char *path, const char *schemas_dir,
                       char *errstr, size_t errstr_size)
{
    struct gdx_node *root = gdx_conf_load(path, errstr, errstr_size);
    struct gdx_inventory *inv;
    const struct gdx_node *city, *units;
    char *prefix = NULL;
    int err = GDX_OK;

    *out = NULL;
    if (!root) {
        return GDX_ERR_CONFIG;
    }
    inv = gdx_xcalloc(1, sizeof(*inv));
    inv->path = gdx_xstrdup(path);
    city = gdx_conf_get(root, "city");
    inv->city_id = opt_str(city, "id");
    inv->city_name = opt_str(city, "name");
    inv->region_code = opt_str(city, "region_code");
    prefix = opt_str(city, "topic_prefix");
    if (!prefix) {
        prefix = gdx_xstrdup("gov");
    }
    units = gdx_conf_get(root, "units");
    if (!units || units->type != GDX_NODE_SEQ || !units->nkids) {
        err = node_err(errstr, errstr_size, units ? units : root, "'units' must be a list");
        goto out;
    }
    inv->units = gdx_xcalloc(units->nkids, sizeof(*inv->units));
    for (size_t u = 0; u < units->nkids; u++) {
        const struct gdx_node *un = units->kids[u], *systems;
        struct gdx_inv_unit *unit = &inv->units[u];
        if (un->type != GDX_NODE_MAP) {
            err = node_err(errstr, errstr_size, un, "a unit must be a map (id, name, systems)");
            goto out;
        }
        unit->id = opt_str(un, "id");
        unit->name = opt_str(un, "name");
        inv->nunits++;
        if (!unit->id || !id_ok(unit->id)) {
            err =
                node_err(errstr, errstr_size, gdx_conf_get(un, "id") ? gdx_conf_get(un, "id") : un,
                         "unit id '%s' must be lowercase letters, digits, '_' or '-'",
                         unit->id ? unit->id : "");
            goto out;
        }
        for (size_t k = 0; k < u; k++) {
            if (!strcmp(inv->units[k].id, unit->id)) {
                err = node_err(errstr, errstr_size, gdx_conf_get(un, "id"),
                               "unit '%s' is listed twice", unit->id);
                goto out;
            }
        }
        systems = gdx_conf_get(un, "systems");
        if (!systems || systems->type != GDX_NODE_SEQ) {
            err = node_err(errstr, errstr_size, systems ? systems : un,
                           "'systems' of unit '%s' must be a list", unit->id);
            goto out;
        }
        unit->systems = gdx_xcalloc(systems->nkids + 1, sizeof(*unit->systems));
        for (size_t i = 0; i < systems->nkids; i++) {
            struct gdx_inv_system *s = &unit->systems[unit->nsystems++];
            if ((err = load_system(inv, unit, s, systems->kids[i], prefix, schemas_dir, errstr,
                                   errstr_size))) {
                goto out;
            }
            for (size_t k = 0; k + 1 < unit->nsystems; k++) {
                if (!strcmp(unit->systems[k].id, s->id)) {
                    err = node_err(errstr, errstr_size, gdx_conf_get(systems->kids[i], "id"),
                                   "system '%s.%s' is listed twice", unit->id, s->id);
                    goto out;
                }
            }
        }
    }
    /* consumers name units of the inventory, never the owner itself */
    for (size_t u = 0; u < inv->nunits; u++) {
        for (size_t i = 0; i < inv->units[u].nsystems; i++) {
            const struct gdx_inv_system *s = &inv->units[u].systems[i];
            for (size_t c = 0; c < s->nconsumers; c++) {
                if (!gdx_inventory_unit(inv, s->consumers[c])) {
                    err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                     "%s:%d: consumer '%s' of '%s.%s' is not a unit of the "
                                     "inventory",
                                     path, s->line, s->consumers[c], s->unit->id, s->id);
                    goto out;
                }
            }
        }
    }
out:
    free(prefix);
    gdx_conf_destroy(root);
    if (err) {
        gdx_inventory_destroy(inv);
        return err;
    }
    *out = inv;
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * The generator */

void gdx_topics_gen_defaults(struct gdx_topics_gen *gen)
{
    memset(gen, 0, sizeof(*gen));
    gen->replication = 3;
    gen->min_insync = 2;
    gen->min_partitions = 6;
    gen->max_partitions = 60;
    gen->record_bytes = 1024;
    gen->default_per_day = 10000;
    gen->retention_days = 30;
    gen->dlq_retention_days = 183;
    gen->audit_retention_days = 183;
    gen->principal_prefix = "User:";
    gen->uplink_principal = "User:gdx-uplink";
    gen->uplink_destination = "province";
    gen->registry_principal = "User:schema-registry";
    gen->auditor_principal = "User:gdx-auditor";
}

int32_t gdx_topics_partitions(const struct gdx_topics_gen *gen, int64_t per_day)
{
    int64_t bytes = (per_day < 0 ? gen->default_per_day : per_day) * gen->record_bytes;
    int64_t p = (bytes + PART_HOLD_BYTES - 1) / PART_HOLD_BYTES;
    if (p < gen->min_partitions) {
        p = gen->min_partitions;
    }
    p = (p + 2) / 3 * 3; /* even over three brokers */
    if (p > gen->max_partitions) {
        p = gen->max_partitions;
    }
    return (int32_t)p;
}

static void set_conf_int(struct gdx_topic *tp, const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    gdx_topic_set_conf(tp, name, buf);
}

static struct gdx_topic *gen_topic(struct gdx_topics *t, const struct gdx_topics_gen *gen,
                                   const char *name, int32_t parts, const char *policy,
                                   int retention_days)
{
    struct gdx_topic *tp = gdx_topics_add(t, name, parts, gen->replication);
    gdx_topic_set_conf(tp, "cleanup.policy", policy);
    set_conf_int(tp, "min.insync.replicas", gen->min_insync);
    if (retention_days > 0) {
        set_conf_int(tp, "retention.ms", (long long)retention_days * DAY_MS);
    }
    return tp;
}

static void set_note(struct gdx_topic *tp, char *note)
{
    free(tp->note);
    tp->note = note;
}

/* Who reads a system's topic besides its own unit, as text for the comments. */
static char *readers_text(const struct gdx_inv_system *s)
{
    if (!strcmp(s->share, "unconditional")) {
        return gdx_xstrdup("every unit");
    }
    if (!strcmp(s->share, "none") || !s->nconsumers) {
        return gdx_xstrdup("its own unit only");
    }
    size_t len = 1;
    for (size_t i = 0; i < s->nconsumers; i++) {
        len += strlen(s->consumers[i]) + 2;
    }
    char *out = gdx_xcalloc(1, len);
    for (size_t i = 0; i < s->nconsumers; i++) {
        if (i) {
            strcat(out, ", ");
        }
        strcat(out, s->consumers[i]);
    }
    return out;
}

static int reads(const struct gdx_inv_system *s, const char *unit)
{
    if (!strcmp(s->unit->id, unit) || !strcmp(s->share, "unconditional")) {
        return 1;
    }
    if (!strcmp(s->share, "conditional")) {
        for (size_t i = 0; i < s->nconsumers; i++) {
            if (!strcmp(s->consumers[i], unit)) {
                return 1;
            }
        }
    }
    return 0;
}

int gdx_topics_generate(const struct gdx_inventory *inv, const struct gdx_topics_gen *gen,
                        struct gdx_topics *out, char *errstr, size_t errstr_size)
{
    const struct gdx_topics_gen *g = gen;
    char name[400], principal[300];
    size_t nsys = 0, noshare = 0, noday = 0;
    const char *service[] = {g->uplink_principal, g->registry_principal, g->auditor_principal};

    if (g->retention_days < MIN_DATA_DAYS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "retention of the city topics must be at least %d days, not %d",
                          MIN_DATA_DAYS, g->retention_days);
    }
    if (g->audit_retention_days < MIN_AUDIT_DAYS || g->dlq_retention_days < MIN_DATA_DAYS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "retention of _gdx.audit must be at least %d days (Cybersecurity Law: "
                          "six months) and of dead letters at least %d days",
                          MIN_AUDIT_DAYS, MIN_DATA_DAYS);
    }
    if (g->replication < 1 || g->min_insync < 1 || g->min_insync > g->replication ||
        g->min_partitions < 1 || g->max_partitions < g->min_partitions || g->record_bytes < 1) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "invalid sizing: replication %d, min.insync.replicas %d, partitions "
                          "%d..%d, record bytes %" PRId64,
                          g->replication, g->min_insync, g->min_partitions, g->max_partitions,
                          g->record_bytes);
    }
    for (size_t u = 0; u < inv->nunits; u++) {
        snprintf(principal, sizeof(principal), "%s%s", g->principal_prefix, inv->units[u].id);
        for (size_t k = 0; k < 3; k++) {
            if (!strcmp(principal, service[k])) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "the principal of unit '%s' would be '%s', the principal of a "
                                  "gdx service",
                                  inv->units[u].id, principal);
            }
        }
        if (!strcmp(inv->units[u].id, "uplink")) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "unit id 'uplink' is reserved: _gdx.dlq.uplink.* are the uplink's");
        }
    }

    /* topics */
    for (size_t u = 0; u < inv->nunits; u++) {
        const struct gdx_inv_unit *unit = &inv->units[u];
        for (size_t i = 0; i < unit->nsystems; i++) {
            const struct gdx_inv_system *s = &unit->systems[i];
            int32_t parts = gdx_topics_partitions(g, s->per_day);
            char *readers = readers_text(s);
            struct gdx_topic *tp = gen_topic(out, g, s->topic, parts, "delete", g->retention_days);
            set_note(tp, xasprintf("%s %s / %s: share %s%s, %" PRId64 " records a day%s; "
                                   "read by %s%s",
                                   unit->id, unit->name ? unit->name : "",
                                   s->name ? s->name : s->id, s->share,
                                   s->share_from == 1   ? " (from its schema)"
                                   : s->share_from == 2 ? " (not given)"
                                                        : "",
                                   s->per_day < 0 ? g->default_per_day : s->per_day,
                                   s->per_day < 0 ? " (not given)" : "", readers,
                                   s->uplink ? "; forwarded to the province" : ""));
            free(readers);
            snprintf(name, sizeof(name), "_gdx.dlq.%s.%s", unit->id, s->id);
            tp = gen_topic(out, g, name, 1, "delete", g->dlq_retention_days);
            set_note(tp, xasprintf("dead letters of %s.%s (raw rows sealed with the unit's key)",
                                   unit->id, s->id));
            nsys++;
            noshare += s->share_from == 2;
            noday += s->per_day < 0;
        }
        snprintf(name, sizeof(name), "_gdx.offsets.%s", unit->id);
        set_note(gen_topic(out, g, name, 1, "compact", 0),
                 xasprintf("source positions of %s's connectors (key = connector id)", unit->id));
    }
    set_note(gen_topic(out, g, "_gdx.offsets", 1, "compact", 0),
             xasprintf("shared source positions of the embedded demo broker; no principal may "
                       "use it (per-unit _gdx.offsets.<unit> instead)"));
    set_note(gen_topic(out, g, "_gdx.audit", 1, "delete", g->audit_retention_days),
             xasprintf("mirror of every process's audit trail; at least %d days", MIN_AUDIT_DAYS));
    snprintf(name, sizeof(name), "_gdx.dlq.uplink.%s", g->uplink_destination);
    set_note(gen_topic(out, g, name, 1, "delete", g->dlq_retention_days),
             xasprintf("records the uplink's egress policy refused"));
    set_note(gen_topic(out, g, "_schemas", 1, "compact", 0),
             xasprintf("schema registry storage (Confluent layout)"));

    /* ACLs */
    for (size_t u = 0; u < inv->nunits; u++) {
        const struct gdx_inv_unit *unit = &inv->units[u];
        size_t nread = 0;
        snprintf(principal, sizeof(principal), "%s%s", g->principal_prefix, unit->id);
        for (size_t i = 0; i < unit->nsystems; i++) {
            const struct gdx_inv_system *s = &unit->systems[i];
            gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, s->topic,
                               GDX_ACL_OP_WRITE, 1);
            gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, s->topic,
                               GDX_ACL_OP_READ, 1);
            snprintf(name, sizeof(name), "_gdx.dlq.%s.%s", unit->id, s->id);
            gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, name,
                               GDX_ACL_OP_WRITE, 1);
            gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, name,
                               GDX_ACL_OP_READ, 1);
            snprintf(name, sizeof(name), "gdx-%s.%s", unit->id, s->id);
            gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TXN, GDX_ACL_LITERAL, name,
                               GDX_ACL_OP_WRITE, 1);
        }
        snprintf(name, sizeof(name), "_gdx.offsets.%s", unit->id);
        gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, name,
                           GDX_ACL_OP_WRITE, 1);
        gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, name,
                           GDX_ACL_OP_READ, 1);
        gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, "_gdx.audit",
                           GDX_ACL_OP_WRITE, 1);
        gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_GROUP, GDX_ACL_PREFIXED, "gdx-",
                           GDX_ACL_OP_DESCRIBE, 1);
        snprintf(name, sizeof(name), "%s.", unit->id);
        gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_GROUP, GDX_ACL_PREFIXED, name,
                           GDX_ACL_OP_READ, 1);
        for (size_t o = 0; o < inv->nunits; o++) {
            for (size_t i = 0; o != u && i < inv->units[o].nsystems; i++) {
                const struct gdx_inv_system *s = &inv->units[o].systems[i];
                if (reads(s, unit->id)) {
                    gdx_topics_add_acl(out, principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL,
                                       s->topic, GDX_ACL_OP_READ, 1);
                    nread++;
                }
            }
        }
        char *note = xasprintf("%s %s: writes its %zu system%s, reads %zu topic%s shared with it",
                               unit->id, unit->name ? unit->name : "", unit->nsystems,
                               unit->nsystems == 1 ? "" : "s", nread, nread == 1 ? "" : "s");
        pnote_set(out, principal, note);
        free(note);
    }

    size_t nup = 0;
    for (size_t u = 0; u < inv->nunits; u++) {
        for (size_t i = 0; i < inv->units[u].nsystems; i++) {
            const struct gdx_inv_system *s = &inv->units[u].systems[i];
            if (s->uplink && strcmp(s->share, "none")) {
                gdx_topics_add_acl(out, g->uplink_principal, "*", GDX_ACL_RES_TOPIC,
                                   GDX_ACL_LITERAL, s->topic, GDX_ACL_OP_READ, 1);
                gdx_topics_add_acl(out, g->uplink_principal, "*", GDX_ACL_RES_TOPIC,
                                   GDX_ACL_LITERAL, s->topic, GDX_ACL_OP_DESCRIBE_CONFIGS, 1);
                nup++;
            }
        }
    }
    snprintf(name, sizeof(name), "_gdx.dlq.uplink.%s", g->uplink_destination);
    gdx_topics_add_acl(out, g->uplink_principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, name,
                       GDX_ACL_OP_WRITE, 1);
    gdx_topics_add_acl(out, g->uplink_principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL,
                       "_gdx.audit", GDX_ACL_OP_WRITE, 1);
    gdx_topics_add_acl(out, g->uplink_principal, "*", GDX_ACL_RES_GROUP, GDX_ACL_PREFIXED, "gdx-",
                       GDX_ACL_OP_DESCRIBE, 1);
    {
        char *note = xasprintf("the uplink: reads the %zu topic%s marked for the province whose "
                               "share is not none",
                               nup, nup == 1 ? "" : "s");
        pnote_set(out, g->uplink_principal, note);
        free(note);
    }
    gdx_topics_add_acl(out, g->registry_principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL,
                       "_schemas", GDX_ACL_OP_READ, 1);
    gdx_topics_add_acl(out, g->registry_principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL,
                       "_schemas", GDX_ACL_OP_WRITE, 1);
    gdx_topics_add_acl(out, g->registry_principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL,
                       "_schemas", GDX_ACL_OP_DESCRIBE_CONFIGS, 1);
    gdx_topics_add_acl(out, g->registry_principal, "*", GDX_ACL_RES_GROUP, GDX_ACL_PREFIXED,
                       "schema-registry", GDX_ACL_OP_READ, 1);
    pnote_set(out, g->registry_principal,
              "the schema registry (Confluent, Apicurio or Karapace): its storage topic _schemas");
    gdx_topics_add_acl(out, g->auditor_principal, "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL,
                       "_gdx.audit", GDX_ACL_OP_READ, 1);
    gdx_topics_add_acl(out, g->auditor_principal, "*", GDX_ACL_RES_GROUP, GDX_ACL_PREFIXED, "gdx-",
                       GDX_ACL_OP_DESCRIBE, 1);
    pnote_set(out, g->auditor_principal,
              "auditors: read the audit trail mirror (gdx audit verify --kafka); data topics are "
              "reconciled under each unit's own principal");
    out->acls_known = 1;
    gdx_topics_sort(out);

    free(out->header);
    out->header = xasprintf(
        "Generated by `gdx topics generate` from %s\n"
        "(%s%s%s: %zu units, %zu systems). Do not edit: change the inventory, then run\n"
        "`make broker-config`. Parameters: replication %d, min.insync.replicas %d, city topics\n"
        "%d days, dead letters %d days, _gdx.audit %d days; partitions = max(%d, a day's\n"
        "records x %" PRId64 " bytes / 4 MiB), a multiple of 3, at most %d.%s%s",
        g->source ? g->source : inv->path, inv->city_name ? inv->city_name : "the city",
        inv->region_code ? " " : "", inv->region_code ? inv->region_code : "", inv->nunits, nsys,
        g->replication, g->min_insync, g->retention_days, g->dlq_retention_days,
        g->audit_retention_days, g->min_partitions, g->record_bytes, g->max_partitions,
        noshare ? "\nSystems whose share the inventory and schema leave open are not shared "
                  "(default deny)."
                : "",
        noday ? "\nSystems without per_day are sized as the default volume." : "");
    if (noshare || noday) {
        char *h = xasprintf("%s\nOpen in the inventory: %zu system%s without a share, %zu "
                            "without per_day.",
                            out->header, noshare, noshare == 1 ? "" : "s", noday);
        free(out->header);
        out->header = h;
    }
    return GDX_OK;
}

void gdx_topics_sizing(const struct gdx_inventory *inv, const struct gdx_topics_gen *g, FILE *out)
{
    int64_t tot_rec = 0, tot_bytes = 0, tot_parts = 0, tot_disk = 0;
    size_t nsys = 0;
    fprintf(out, "%-44s %10s %10s %6s %12s\n", "topic", "records/d", "MiB/day", "parts",
            "disk GiB");
    for (size_t u = 0; u < inv->nunits; u++) {
        for (size_t i = 0; i < inv->units[u].nsystems; i++) {
            const struct gdx_inv_system *s = &inv->units[u].systems[i];
            int64_t rec = s->per_day < 0 ? g->default_per_day : s->per_day;
            int64_t bytes = rec * g->record_bytes;
            int64_t disk = bytes * g->retention_days * g->replication;
            int32_t parts = gdx_topics_partitions(g, s->per_day);
            fprintf(out, "%-44s %10" PRId64 "%s %10.1f %6d %12.2f\n", s->topic, rec,
                    s->per_day < 0 ? "*" : " ", (double)bytes / (1 << 20), (int)parts,
                    (double)disk / (1 << 30));
            tot_rec += rec;
            tot_bytes += bytes;
            tot_parts += parts;
            tot_disk += disk;
            nsys++;
        }
    }
    fprintf(out,
            "%-44s %10" PRId64 "  %10.1f %6" PRId64 " %12.2f\n"
            "(%zu systems; records of %" PRId64 " bytes; %d days kept, %d replicas; * per_day "
            "not in the inventory, %" PRId64 " assumed; the internal topics and dead letters "
            "add %zu partitions)\n",
            "total", tot_rec, (double)tot_bytes / (1 << 20), tot_parts,
            (double)tot_disk / (1 << 30), nsys, g->record_bytes, g->retention_days, g->replication,
            g->default_per_day, nsys + inv->nunits + 4);
}

/* ---------------------------------------------------------------------------------------
 * Plan */

static struct gdx_change *plan_add(struct gdx_plan *plan, int kind, int destructive,
                                   const char *topic, char *text)
{
    struct gdx_change *c;
    plan->v = gdx_xrealloc(plan->v, (plan->n + 1) * sizeof(*plan->v));
    c = &plan->v[plan->n++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->destructive = destructive;
    c->topic = topic;
    c->text = text;
    switch (kind) {
    case GDX_CH_CREATE:
        plan->ncreate++;
        break;
    case GDX_CH_PARTITIONS:
    case GDX_CH_CONFIG:
        plan->nchange++;
        break;
    case GDX_CH_ACL_ADD:
        plan->nacl_add++;
        break;
    case GDX_CH_ACL_DEL:
        plan->nacl_del++;
        break;
    case GDX_CH_CANNOT:
        plan->ncannot++;
        break;
    default:
        plan->nunmanaged++;
        break;
    }
    plan->ndestructive += destructive != 0;
    return c;
}

/* retention values: -1 is forever */
static long long retention_value(const char *v)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    return (*end || x < 0) ? LLONG_MAX : x;
}

/* Can setting @p name from @p old (NULL: the broker default) to @p new (NULL: reset to the
 * default) lose data? */
static const char *config_risk(const char *name, const char *old, const char *new)
{
    if (!new) {
        return "not in topics.yaml: reset to the broker default";
    }
    if (!strcmp(name, "cleanup.policy") && strcmp(old ? old : "delete", new)) {
        return "a new cleanup policy deletes records the old one kept";
    }
    if ((!strcmp(name, "retention.ms") || !strcmp(name, "retention.bytes")) && old &&
        retention_value(new) < retention_value(old)) {
        return "shorter retention: older records are deleted";
    }
    return NULL;
}

static int internal_topic(const char *name)
{
    return !strncmp(name, "__", 2);
}

static int acl_equal_observed(const struct gdx_acl *want, const struct gdx_acl *have)
{
    /* librdkafka 2.0.2 reads transactional-id bindings back as an unknown resource type */
    if (want->res == GDX_ACL_RES_TXN && have->res == GDX_ACL_RES_UNKNOWN) {
        struct gdx_acl w = *want;
        w.res = GDX_ACL_RES_UNKNOWN;
        return acl_same(&w, have);
    }
    return acl_same(want, have);
}

static int acl_in(const struct gdx_acl *a, const struct gdx_topics *t, int a_is_want)
{
    for (size_t i = 0; i < t->nacls; i++) {
        if (a_is_want ? acl_equal_observed(a, &t->acls[i]) : acl_equal_observed(&t->acls[i], a)) {
            return 1;
        }
    }
    return 0;
}

static int principal_in(const char *p, const struct gdx_topics *t)
{
    for (size_t i = 0; i < t->nacls; i++) {
        if (!strcmp(t->acls[i].principal, p)) {
            return 1;
        }
    }
    return 0;
}

static char *acl_text(char sign, const struct gdx_acl *a)
{
    return xasprintf("%c acl %s %s%s %s %s%s%s%s", sign, a->principal, a->allow ? "" : "DENY ",
                     gdx_acl_op_name(a->op), gdx_acl_res_name(a->res), a->name,
                     a->pattern == GDX_ACL_PREFIXED ? " (prefixed)" : "",
                     strcmp(a->host, "*") ? " from " : "", strcmp(a->host, "*") ? a->host : "");
}

static char *conf_text(const struct gdx_topic *tp)
{
    char *s = xasprintf("partitions=%d", (int)tp->partitions);
    if (tp->replication) {
        char *n = xasprintf("%s replication.factor=%d", s, tp->replication);
        free(s);
        s = n;
    }
    for (size_t i = 0; i < tp->nconf; i++) {
        char *n = xasprintf("%s %s=%s", s, tp->conf[2 * i], tp->conf[2 * i + 1]);
        free(s);
        s = n;
    }
    return s;
}

static void plan_topic(struct gdx_plan *plan, const struct gdx_topic *w, const struct gdx_topic *h)
{
    struct gdx_change *c;
    size_t i = 0, k = 0;

    if (!h) {
        char *conf = conf_text(w);
        c = plan_add(plan, GDX_CH_CREATE, 0, w->name, xasprintf("+ topic %s: %s", w->name, conf));
        c->want = w;
        free(conf);
        return;
    }
    if (w->partitions > h->partitions) {
        c = plan_add(plan, GDX_CH_PARTITIONS, 1, w->name,
                     xasprintf("~ topic %s: partitions %d -> %d (destructive: keys move to other "
                               "partitions, so one key's records are no longer in one order)",
                               w->name, (int)h->partitions, (int)w->partitions));
        c->want = w;
    } else if (w->partitions < h->partitions) {
        plan_add(plan, GDX_CH_CANNOT, 0, w->name,
                 xasprintf("! topic %s: partitions %d -> %d (cannot: Kafka never removes "
                           "partitions; recreate the topic or keep %d)",
                           w->name, (int)h->partitions, (int)w->partitions, (int)h->partitions));
    }
    if (w->replication && h->replication && w->replication != h->replication) {
        plan_add(plan, GDX_CH_CANNOT, 0, w->name,
                 xasprintf("! topic %s: replication.factor %d -> %d (cannot: needs a partition "
                           "reassignment with kafka-reassign-partitions.sh)",
                           w->name, h->replication, w->replication));
    }
    while (i < w->nconf || k < h->nconf) {
        int cmp = i >= w->nconf ? 1 : k >= h->nconf ? -1 : strcmp(w->conf[2 * i], h->conf[2 * k]);
        const char *name = cmp <= 0 ? w->conf[2 * i] : h->conf[2 * k];
        const char *new = cmp <= 0 ? w->conf[2 * i + 1] : NULL;
        const char *old = cmp >= 0 ? h->conf[2 * k + 1] : NULL;
        if (cmp <= 0) {
            i++;
        }
        if (cmp >= 0) {
            k++;
        }
        if (old && new && !strcmp(old, new)) {
            continue;
        }
        const char *risk = config_risk(name, old, new);
        c = plan_add(plan, GDX_CH_CONFIG, risk != NULL, w->name,
                     xasprintf("~ topic %s: %s %s -> %s%s%s%s", w->name, name,
                               old ? old : "(broker default)", new ? new : "(broker default)",
                               risk ? " (destructive: " : "", risk ? risk : "", risk ? ")" : ""));
        c->want = w;
    }
}

struct gdx_plan *gdx_topics_plan(struct gdx_topics *want, struct gdx_topics *have)
{
    struct gdx_plan *plan = gdx_xcalloc(1, sizeof(*plan));

    gdx_topics_sort(want);
    gdx_topics_sort(have);
    for (size_t i = 0; i < want->ntopics; i++) {
        plan_topic(plan, &want->topics[i], gdx_topics_find(have, want->topics[i].name));
    }
    for (size_t i = 0; i < have->ntopics; i++) {
        const char *name = have->topics[i].name;
        if (!internal_topic(name) && !gdx_topics_find(want, name)) {
            plan_add(
                plan, GDX_CH_UNMANAGED, 0, name,
                xasprintf("? topic %s: on the cluster, not in topics.yaml (left alone)", name));
        }
    }
    if (!want->nacls) {
        return plan;
    }
    if (!have->acls_known) {
        plan_add(plan, GDX_CH_CANNOT, 0, NULL,
                 xasprintf("! acls: the cluster reports no ACLs (no authorizer configured): the "
                           "%zu bindings of acls.yaml cannot be enforced",
                           want->nacls));
        return plan;
    }
    for (size_t i = 0; i < want->nacls; i++) {
        if (!acl_in(&want->acls[i], have, 1)) {
            struct gdx_change *c =
                plan_add(plan, GDX_CH_ACL_ADD, 0, NULL, acl_text('+', &want->acls[i]));
            c->acl = &want->acls[i];
        }
    }
    for (size_t i = 0; i < have->nacls; i++) {
        const struct gdx_acl *a = &have->acls[i];
        if (principal_in(a->principal, want) && !acl_in(a, want, 0)) {
            char *t = acl_text('-', a);
            char *text = xasprintf("%s (destructive: access is taken away)", t);
            free(t);
            struct gdx_change *c = plan_add(plan, GDX_CH_ACL_DEL, 1, NULL, text);
            c->acl = a;
        }
    }
    for (size_t i = 0; i < have->nacls;) {
        const char *p = have->acls[i].principal;
        size_t n = 0;
        while (i < have->nacls && !strcmp(have->acls[i].principal, p)) {
            n++;
            i++;
        }
        if (!principal_in(p, want)) {
            plan_add(plan, GDX_CH_UNMANAGED, 0, NULL,
                     xasprintf("? acl %s: %zu binding%s, principal not in acls.yaml (left alone)",
                               p, n, n == 1 ? "" : "s"));
        }
    }
    return plan;
}

void gdx_plan_destroy(struct gdx_plan *plan)
{
    if (!plan) {
        return;
    }
    for (size_t i = 0; i < plan->n; i++) {
        free(plan->v[i].text);
    }
    free(plan->v);
    free(plan);
}

void gdx_plan_print(const struct gdx_plan *plan, FILE *out)
{
    for (size_t i = 0; i < plan->n; i++) {
        fprintf(out, "%s\n", plan->v[i].text);
    }
    if (plan->ncreate + plan->nchange + plan->nacl_add + plan->nacl_del + plan->ncannot == 0) {
        fprintf(out, "plan: no changes, the cluster matches the files%s\n",
                plan->nunmanaged ? " (unmanaged entries above are left alone)" : "");
        return;
    }
    fprintf(out,
            "plan: %zu topic%s to create, %zu change%s, %zu ACL%s to add, %zu to remove; %zu "
            "destructive%s; %zu cannot be applied\n",
            plan->ncreate, plan->ncreate == 1 ? "" : "s", plan->nchange,
            plan->nchange == 1 ? "" : "s", plan->nacl_add, plan->nacl_add == 1 ? "" : "s",
            plan->nacl_del, plan->ndestructive,
            plan->ndestructive ? " (apply needs --allow-destructive)" : "", plan->ncannot);
}

int gdx_plan_check(const struct gdx_plan *plan, int allow_destructive, char *errstr,
                   size_t errstr_size)
{
    if (allow_destructive) {
        return GDX_OK;
    }
    for (size_t i = 0; i < plan->n; i++) {
        if (plan->v[i].destructive) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                              "%zu destructive change%s, the first: '%s'; nothing was applied "
                              "(review the plan, then apply with --allow-destructive)",
                              plan->ndestructive, plan->ndestructive == 1 ? "" : "s",
                              plan->v[i].text);
        }
    }
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * The cluster: describe and apply through the Admin API */

/* Wait for the result event of one admin request on @p q. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, int timeout_ms, const char *what,
                                    char *errstr, size_t errstr_size)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    if (!ev) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "%s: no answer from the cluster in %d ms",
                   what, timeout_ms + 5000);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
        gdx_seterr(errstr, errstr_size,
                   e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TRANSPORT
                       ? GDX_ERR_RETRY
                       : GDX_ERR_FAIL,
                   "%s: %s", what, rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op,
                                              int timeout_ms)
{
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, op);
    char rderr[256];
    rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, rderr, sizeof(rderr));
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS) {
        rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, rderr, sizeof(rderr));
    }
    return opt;
}

static int res_from_rd(rd_kafka_ResourceType_t r)
{
    switch (r) {
    case RD_KAFKA_RESOURCE_TOPIC:
        return GDX_ACL_RES_TOPIC;
    case RD_KAFKA_RESOURCE_GROUP:
        return GDX_ACL_RES_GROUP;
    case RD_KAFKA_RESOURCE_BROKER: /* Kafka's CLUSTER resource (type 4) */
        return GDX_ACL_RES_CLUSTER;
    default:
        return GDX_ACL_RES_UNKNOWN;
    }
}

static rd_kafka_ResourceType_t res_to_rd(int res)
{
    return res == GDX_ACL_RES_TOPIC     ? RD_KAFKA_RESOURCE_TOPIC
           : res == GDX_ACL_RES_GROUP   ? RD_KAFKA_RESOURCE_GROUP
           : res == GDX_ACL_RES_CLUSTER ? RD_KAFKA_RESOURCE_BROKER
                                        : RD_KAFKA_RESOURCE_UNKNOWN;
}

/* Our operation numbers are librdkafka's minus one (ALL = 2 there). */
static rd_kafka_AclOperation_t op_to_rd(int op)
{
    return (rd_kafka_AclOperation_t)(op + 1);
}

static int op_from_rd(rd_kafka_AclOperation_t op)
{
    int o = (int)op - 1;
    return o >= GDX_ACL_OP_ALL && o <= GDX_ACL_OP_IDEMPOTENT_WRITE ? o : -1;
}

static int describe_configs(rd_kafka_t *rk, struct gdx_topics *out, rd_kafka_queue_t *q,
                            int timeout_ms, char *errstr, size_t errstr_size)
{
    const size_t batch = 200;
    for (size_t from = 0; from < out->ntopics; from += batch) {
        size_t n = out->ntopics - from < batch ? out->ntopics - from : batch;
        rd_kafka_ConfigResource_t **res = gdx_xcalloc(n, sizeof(*res));
        rd_kafka_AdminOptions_t *opt =
            admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
        const rd_kafka_ConfigResource_t **rv;
        rd_kafka_event_t *ev;
        size_t nres = 0;

        for (size_t i = 0; i < n; i++) {
            res[i] =
                rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, out->topics[from + i].name);
        }
        rd_kafka_DescribeConfigs(rk, res, n, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        rd_kafka_ConfigResource_destroy_array(res, n);
        free(res);
        if (!(ev = admin_wait(q, timeout_ms, "DescribeConfigs", errstr, errstr_size))) {
            return GDX_ERR_FAIL;
        }
        rv = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
                                                       &nres);
        for (size_t i = 0; i < nres; i++) {
            const rd_kafka_ConfigEntry_t **ents;
            size_t nent = 0;
            struct gdx_topic *tp = topic_find(out, rd_kafka_ConfigResource_name(rv[i]));
            if (rd_kafka_ConfigResource_error(rv[i])) {
                gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "DescribeConfigs of topic '%s': %s",
                           rd_kafka_ConfigResource_name(rv[i]),
                           rd_kafka_ConfigResource_error_string(rv[i]));
                rd_kafka_event_destroy(ev);
                return GDX_ERR_FAIL;
            }
            ents = rd_kafka_ConfigResource_configs(rv[i], &nent);
            for (size_t k = 0; tp && k < nent; k++) {
                const char *v = rd_kafka_ConfigEntry_value(ents[k]);
                if (rd_kafka_ConfigEntry_source(ents[k]) ==
                        RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG &&
                    v && !rd_kafka_ConfigEntry_is_sensitive(ents[k])) {
                    gdx_topic_set_conf(tp, rd_kafka_ConfigEntry_name(ents[k]), v);
                }
            }
        }
        rd_kafka_event_destroy(ev);
    }
    return GDX_OK;
}

static int describe_acls(rd_kafka_t *rk, struct gdx_topics *out, rd_kafka_queue_t *q,
                         int timeout_ms, char *errstr, size_t errstr_size)
{
    char rderr[256];
    rd_kafka_AclBindingFilter_t *f = rd_kafka_AclBindingFilter_new(
        RD_KAFKA_RESOURCE_ANY, NULL, RD_KAFKA_RESOURCE_PATTERN_ANY, NULL, NULL,
        RD_KAFKA_ACL_OPERATION_ANY, RD_KAFKA_ACL_PERMISSION_TYPE_ANY, rderr, sizeof(rderr));
    rd_kafka_AdminOptions_t *opt = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS, timeout_ms);
    const rd_kafka_AclBinding_t **bv;
    rd_kafka_event_t *ev;
    size_t n = 0;

    rd_kafka_DescribeAcls(rk, f, opt, q);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_AclBinding_destroy(f);
    ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    if (!ev) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "DescribeAcls: no answer from the cluster");
    }
    if (rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_SECURITY_DISABLED) {
        out->acls_known = 0; /* no authorizer: nothing to compare */
        rd_kafka_event_destroy(ev);
        return GDX_OK;
    }
    if (rd_kafka_event_error(ev)) {
        int e = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "DescribeAcls: %s",
                           rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return e;
    }
    bv = rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_AclBinding_t *b = bv[i];
        int op = op_from_rd(rd_kafka_AclBinding_operation(b));
        if (op < 0) {
            continue;
        }
        gdx_topics_add_acl(
            out, rd_kafka_AclBinding_principal(b), rd_kafka_AclBinding_host(b),
            res_from_rd(rd_kafka_AclBinding_restype(b)),
            rd_kafka_AclBinding_resource_pattern_type(b) == RD_KAFKA_RESOURCE_PATTERN_PREFIXED
                ? GDX_ACL_PREFIXED
                : GDX_ACL_LITERAL,
            rd_kafka_AclBinding_name(b), op,
            rd_kafka_AclBinding_permission_type(b) == RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW);
    }
    out->acls_known = 1;
    rd_kafka_event_destroy(ev);
    return GDX_OK;
}

int gdx_topics_describe(rd_kafka_t *rk, struct gdx_topics *out, int timeout_ms, char *errstr,
                        size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    rd_kafka_queue_t *q;
    int err;

    if (rerr) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "cannot read the cluster's metadata: %s", rd_kafka_err2str(rerr));
    }
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[i];
        if (mt->err || internal_topic(mt->topic)) {
            continue;
        }
        gdx_topics_add(out, mt->topic, mt->partition_cnt,
                       mt->partition_cnt ? mt->partitions[0].replica_cnt : 0);
    }
    rd_kafka_metadata_destroy(md);
    q = rd_kafka_queue_new(rk);
    err = describe_configs(rk, out, q, timeout_ms, errstr, errstr_size);
    if (!err) {
        err = describe_acls(rk, out, q, timeout_ms, errstr, errstr_size);
    }
    rd_kafka_queue_destroy(q);
    gdx_topics_sort(out);
    return err;
}

/* ---- export --------------------------------------------------------------------------- */

/* A shell word: as is when safe, else single-quoted. */
static void sh_word(FILE *out, const char *s)
{
    int safe = *s != '\0';
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("._:/=,-+@", *p)) {
            safe = 0;
        }
    }
    if (safe) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            fputs("'\\''", out);
        } else {
            fputc(*p, out);
        }
    }
    fputc('\'', out);
}

static const char *acl_res_flag(int res)
{
    return res == GDX_ACL_RES_TOPIC   ? "--topic"
           : res == GDX_ACL_RES_GROUP ? "--group"
           : res == GDX_ACL_RES_TXN   ? "--transactional-id"
                                      : "--cluster";
}

/* kafka-acls.sh for the bindings i..j-1, which differ only in operation */
static void export_acl_group(const struct gdx_acl *v, size_t i, size_t j, const char *bootstrap,
                             const char *command_config, const char *verb, FILE *out)
{
    const struct gdx_acl *a = &v[i];
    fprintf(out, "kafka-acls.sh --bootstrap-server \"%s\" --command-config \"%s\" %s %s ",
            bootstrap, command_config, verb, a->allow ? "--allow-principal" : "--deny-principal");
    sh_word(out, a->principal);
    if (strcmp(a->host, "*")) {
        fprintf(out, " %s ", a->allow ? "--allow-host" : "--deny-host");
        sh_word(out, a->host);
    }
    for (size_t k = i; k < j; k++) {
        fprintf(out, " --operation %s", gdx_acl_op_name(v[k].op));
    }
    fprintf(out, " %s", acl_res_flag(a->res));
    if (a->res != GDX_ACL_RES_CLUSTER) {
        fputc(' ', out);
        sh_word(out, a->name);
    }
    if (a->pattern == GDX_ACL_PREFIXED) {
        fprintf(out, " --resource-pattern-type prefixed");
    }
    if (!strcmp(verb, "--remove")) {
        fprintf(out, " --force");
    }
    fputc('\n', out);
}

static size_t acl_group_end(const struct gdx_topics *t, size_t i)
{
    const struct gdx_acl *a = &t->acls[i];
    size_t j = i + 1;
    while (j < t->nacls && t->acls[j].res == a->res && t->acls[j].pattern == a->pattern &&
           t->acls[j].allow == a->allow && !strcmp(t->acls[j].name, a->name) &&
           !strcmp(t->acls[j].host, a->host) && !strcmp(t->acls[j].principal, a->principal)) {
        j++;
    }
    return j;
}

void gdx_topics_export(const struct gdx_topics *t, const char *bootstrap,
                       const char *command_config, FILE *out)
{
    fprintf(out, "#!/bin/sh\n"
                 "# The topics and ACLs of broker-config/ as Kafka's own commands (Kafka 3.x).\n"
                 "# BOOTSTRAP: the cluster; ADMIN_CONFIG: a client properties file of an admin\n"
                 "# principal (a super user), e.g. broker-config/kafka/admin-client.properties.\n"
                 "# Safe to run again: topics are created only when missing, configs and ACLs\n"
                 "# are set to the same values.\n"
                 "set -e\n\n");
    for (size_t i = 0; i < t->ntopics; i++) {
        const struct gdx_topic *tp = &t->topics[i];
        fprintf(out,
                "kafka-topics.sh --bootstrap-server \"%s\" --command-config \"%s\" --create "
                "--if-not-exists --topic ",
                bootstrap, command_config);
        sh_word(out, tp->name);
        fprintf(out, " --partitions %d", (int)tp->partitions);
        if (tp->replication) {
            fprintf(out, " --replication-factor %d", tp->replication);
        }
        for (size_t k = 0; k < tp->nconf; k++) {
            char *kv = xasprintf("%s=%s", tp->conf[2 * k], tp->conf[2 * k + 1]);
            fprintf(out, " --config ");
            sh_word(out, kv);
            free(kv);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    for (size_t i = 0; i < t->ntopics; i++) {
        const struct gdx_topic *tp = &t->topics[i];
        if (!tp->nconf) {
            continue;
        }
        size_t len = 1;
        for (size_t k = 0; k < tp->nconf; k++) {
            len += strlen(tp->conf[2 * k]) + strlen(tp->conf[2 * k + 1]) + 4;
        }
        char *all = gdx_xcalloc(1, len);
        for (size_t k = 0; k < tp->nconf; k++) {
            const char *v = tp->conf[2 * k + 1];
            /* kafka-configs.sh separates entries with commas: a list value goes in brackets */
            int list = strchr(v, ',') != NULL;
            snprintf(all + strlen(all), len - strlen(all), "%s%s=%s%s%s", k ? "," : "",
                     tp->conf[2 * k], list ? "[" : "", v, list ? "]" : "");
        }
        fprintf(out,
                "kafka-configs.sh --bootstrap-server \"%s\" --command-config \"%s\" --alter "
                "--entity-type topics --entity-name ",
                bootstrap, command_config);
        sh_word(out, tp->name);
        fprintf(out, " --add-config ");
        sh_word(out, all);
        fputc('\n', out);
        free(all);
    }
    fputc('\n', out);
    for (size_t i = 0; i < t->nacls;) {
        size_t j = acl_group_end(t, i);
        export_acl_group(t->acls, i, j, bootstrap, command_config, "--add", out);
        i = j;
    }
}

/* ---- apply ---------------------------------------------------------------------------- */

static int apply_topics(rd_kafka_t *rk, const struct gdx_plan *plan, rd_kafka_queue_t *q,
                        int timeout_ms, FILE *out, char *errstr, size_t errstr_size)
{
    rd_kafka_NewTopic_t **nt = gdx_xcalloc(plan->n + 1, sizeof(*nt));
    rd_kafka_NewPartitions_t **np = gdx_xcalloc(plan->n + 1, sizeof(*np));
    size_t nnt = 0, nnp = 0, failed = 0;
    char rderr[512];
    int err = GDX_OK;

    for (size_t i = 0; i < plan->n; i++) {
        const struct gdx_change *c = &plan->v[i];
        if (c->kind == GDX_CH_CREATE) {
            rd_kafka_NewTopic_t *t = rd_kafka_NewTopic_new(
                c->want->name, c->want->partitions,
                c->want->replication ? c->want->replication : -1, rderr, sizeof(rderr));
            if (!t) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "topic '%s': %s", c->want->name,
                                 rderr);
                goto out;
            }
            for (size_t k = 0; k < c->want->nconf; k++) {
                rd_kafka_NewTopic_set_config(t, c->want->conf[2 * k], c->want->conf[2 * k + 1]);
            }
            nt[nnt++] = t;
        } else if (c->kind == GDX_CH_PARTITIONS) {
            rd_kafka_NewPartitions_t *p = rd_kafka_NewPartitions_new(
                c->want->name, (size_t)c->want->partitions, rderr, sizeof(rderr));
            if (!p) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "topic '%s': %s", c->want->name,
                                 rderr);
                goto out;
            }
            np[nnp++] = p;
        }
    }
    if (nnt) {
        rd_kafka_AdminOptions_t *opt =
            admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
        const rd_kafka_topic_result_t **rv;
        rd_kafka_event_t *ev;
        size_t nr = 0;
        rd_kafka_CreateTopics(rk, nt, nnt, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        if (!(ev = admin_wait(q, timeout_ms, "CreateTopics", errstr, errstr_size))) {
            err = GDX_ERR_FAIL;
            goto out;
        }
        rv = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &nr);
        for (size_t i = 0; i < nr; i++) {
            if (rd_kafka_topic_result_error(rv[i])) {
                fprintf(out, "error: cannot create topic %s: %s\n",
                        rd_kafka_topic_result_name(rv[i]),
                        rd_kafka_topic_result_error_string(rv[i]));
                failed++;
            } else {
                fprintf(out, "created topic %s\n", rd_kafka_topic_result_name(rv[i]));
            }
        }
        rd_kafka_event_destroy(ev);
    }
    if (nnp) {
        rd_kafka_AdminOptions_t *opt =
            admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout_ms);
        const rd_kafka_topic_result_t **rv;
        rd_kafka_event_t *ev;
        size_t nr = 0;
        rd_kafka_CreatePartitions(rk, np, nnp, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        if (!(ev = admin_wait(q, timeout_ms, "CreatePartitions", errstr, errstr_size))) {
            err = GDX_ERR_FAIL;
            goto out;
        }
        rv = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev),
                                                     &nr);
        for (size_t i = 0; i < nr; i++) {
            if (rd_kafka_topic_result_error(rv[i])) {
                fprintf(out, "error: cannot add partitions to %s: %s\n",
                        rd_kafka_topic_result_name(rv[i]),
                        rd_kafka_topic_result_error_string(rv[i]));
                failed++;
            } else {
                fprintf(out, "added partitions to %s\n", rd_kafka_topic_result_name(rv[i]));
            }
        }
        rd_kafka_event_destroy(ev);
    }
    if (failed) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "%zu topic change%s failed", failed,
                         failed == 1 ? "" : "s");
    }
out:
    rd_kafka_NewTopic_destroy_array(nt, nnt);
    rd_kafka_NewPartitions_destroy_array(np, nnp);
    free(nt);
    free(np);
    return err;
}

static int apply_configs(rd_kafka_t *rk, const struct gdx_plan *plan, rd_kafka_queue_t *q,
                         int timeout_ms, FILE *out, char *errstr, size_t errstr_size)
{
    rd_kafka_ConfigResource_t **res = gdx_xcalloc(plan->n + 1, sizeof(*res));
    size_t nres = 0, failed = 0;
    int err = GDX_OK;

    for (size_t i = 0; i < plan->n; i++) {
        const struct gdx_change *c = &plan->v[i];
        int seen = 0;
        if (c->kind != GDX_CH_CONFIG) {
            continue;
        }
        for (size_t k = 0; k < nres; k++) {
            seen |= !strcmp(rd_kafka_ConfigResource_name(res[k]), c->want->name);
        }
        if (seen) {
            continue;
        }
        /* AlterConfigs replaces the topic's whole set: send every desired config */
        res[nres] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, c->want->name);
        for (size_t k = 0; k < c->want->nconf; k++) {
            rd_kafka_ConfigResource_set_config(res[nres], c->want->conf[2 * k],
                                               c->want->conf[2 * k + 1]);
        }
        nres++;
    }
    if (nres) {
        rd_kafka_AdminOptions_t *opt =
            admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout_ms);
        const rd_kafka_ConfigResource_t **rv;
        rd_kafka_event_t *ev;
        size_t nr = 0;
        rd_kafka_AlterConfigs(rk, res, nres, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        if ((ev = admin_wait(q, timeout_ms, "AlterConfigs", errstr, errstr_size))) {
            rv =
                rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &nr);
            for (size_t i = 0; i < nr; i++) {
                if (rd_kafka_ConfigResource_error(rv[i])) {
                    fprintf(out, "error: cannot set the configs of %s: %s\n",
                            rd_kafka_ConfigResource_name(rv[i]),
                            rd_kafka_ConfigResource_error_string(rv[i]));
                    failed++;
                } else {
                    fprintf(out, "set the configs of %s\n", rd_kafka_ConfigResource_name(rv[i]));
                }
            }
            rd_kafka_event_destroy(ev);
        } else {
            err = GDX_ERR_FAIL;
        }
    }
    rd_kafka_ConfigResource_destroy_array(res, nres);
    free(res);
    if (!err && failed) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "%zu config change%s failed", failed,
                         failed == 1 ? "" : "s");
    }
    return err;
}

static int apply_acls(rd_kafka_t *rk, const struct gdx_plan *plan, rd_kafka_queue_t *q,
                      int timeout_ms, FILE *out, size_t *manual, char *errstr, size_t errstr_size)
{
    rd_kafka_AclBinding_t **add = gdx_xcalloc(plan->n + 1, sizeof(*add));
    rd_kafka_AclBindingFilter_t **del = gdx_xcalloc(plan->n + 1, sizeof(*del));
    size_t nadd = 0, ndel = 0, failed = 0;
    char rderr[256];
    int err = GDX_OK;

    for (size_t i = 0; i < plan->n; i++) {
        const struct gdx_change *c = &plan->v[i];
        const struct gdx_acl *a = c->acl;
        if (c->kind != GDX_CH_ACL_ADD && c->kind != GDX_CH_ACL_DEL) {
            continue;
        }
        rd_kafka_ResourcePatternType_t pat = a->pattern == GDX_ACL_PREFIXED
                                                 ? RD_KAFKA_RESOURCE_PATTERN_PREFIXED
                                                 : RD_KAFKA_RESOURCE_PATTERN_LITERAL;
        rd_kafka_AclPermissionType_t perm =
            a->allow ? RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW : RD_KAFKA_ACL_PERMISSION_TYPE_DENY;
        if (a->res == GDX_ACL_RES_TXN || a->res == GDX_ACL_RES_UNKNOWN) {
            /* librdkafka 2.0.2 has no TransactionalId resource type: Kafka's tool does it */
            if (a->res == GDX_ACL_RES_UNKNOWN) {
                fprintf(out,
                        "manual: remove with kafka-acls.sh (resource type unknown to "
                        "librdkafka 2.0.2): %s\n",
                        c->text);
            } else {
                fprintf(out, "manual: ");
                export_acl_group(a, 0, 1, "$BOOTSTRAP", "$ADMIN_CONFIG",
                                 c->kind == GDX_CH_ACL_ADD ? "--add" : "--remove", out);
            }
            (*manual)++;
            continue;
        }
        if (c->kind == GDX_CH_ACL_ADD) {
            add[nadd] =
                rd_kafka_AclBinding_new(res_to_rd(a->res), a->name, pat, a->principal, a->host,
                                        op_to_rd(a->op), perm, rderr, sizeof(rderr));
            if (!add[nadd]) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "%s: %s", c->text, rderr);
                goto out;
            }
            nadd++;
        } else {
            del[ndel] =
                rd_kafka_AclBindingFilter_new(res_to_rd(a->res), a->name, pat, a->principal,
                                              a->host, op_to_rd(a->op), perm, rderr, sizeof(rderr));
            if (!del[ndel]) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "%s: %s", c->text, rderr);
                goto out;
            }
            ndel++;
        }
    }
    if (nadd) {
        rd_kafka_AdminOptions_t *opt = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEACLS, timeout_ms);
        const rd_kafka_acl_result_t **rv;
        rd_kafka_event_t *ev;
        size_t nr = 0;
        rd_kafka_CreateAcls(rk, add, nadd, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        if (!(ev = admin_wait(q, timeout_ms, "CreateAcls", errstr, errstr_size))) {
            err = GDX_ERR_FAIL;
            goto out;
        }
        rv = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &nr);
        for (size_t i = 0; i < nr; i++) {
            const rd_kafka_error_t *e = rd_kafka_acl_result_error(rv[i]);
            if (e) {
                fprintf(out, "error: cannot create ACL %zu: %s\n", i + 1, rd_kafka_error_string(e));
                failed++;
            }
        }
        fprintf(out, "created %zu ACL%s\n", nr - failed, nr - failed == 1 ? "" : "s");
        rd_kafka_event_destroy(ev);
    }
    if (ndel) {
        rd_kafka_AdminOptions_t *opt = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETEACLS, timeout_ms);
        const rd_kafka_DeleteAcls_result_response_t **rv;
        rd_kafka_event_t *ev;
        size_t nr = 0;
        rd_kafka_DeleteAcls(rk, del, ndel, opt, q);
        rd_kafka_AdminOptions_destroy(opt);
        if (!(ev = admin_wait(q, timeout_ms, "DeleteAcls", errstr, errstr_size))) {
            err = GDX_ERR_FAIL;
            goto out;
        }
        rv = rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev), &nr);
        for (size_t i = 0; i < nr; i++) {
            const rd_kafka_error_t *e = rd_kafka_DeleteAcls_result_response_error(rv[i]);
            if (e) {
                fprintf(out, "error: cannot delete ACL %zu: %s\n", i + 1, rd_kafka_error_string(e));
                failed++;
            }
        }
        fprintf(out, "removed %zu ACL%s\n", nr - failed, nr - failed == 1 ? "" : "s");
        rd_kafka_event_destroy(ev);
    }
    if (failed) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "%zu ACL change%s failed", failed,
                         failed == 1 ? "" : "s");
    }
out:
    rd_kafka_AclBinding_destroy_array(add, nadd);
    rd_kafka_AclBinding_destroy_array(del, ndel);
    free(add);
    free(del);
    return err;
}

int gdx_topics_apply(rd_kafka_t *rk, const struct gdx_plan *plan, int timeout_ms, FILE *out,
                     char *errstr, size_t errstr_size)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    size_t manual = 0;
    int err;

    err = apply_topics(rk, plan, q, timeout_ms, out, errstr, errstr_size);
    if (!err) {
        err = apply_configs(rk, plan, q, timeout_ms, out, errstr, errstr_size);
    }
    if (!err) {
        err = apply_acls(rk, plan, q, timeout_ms, out, &manual, errstr, errstr_size);
    }
    rd_kafka_queue_destroy(q);
    if (!err && manual) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                         "%zu ACL change%s must be made with kafka-acls.sh (printed above): "
                         "librdkafka 2.0.2 cannot express transactional-id ACLs",
                         manual, manual == 1 ? "" : "s");
    }
    if (!err && plan->ncannot) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                         "%zu difference%s cannot be applied (the plan lines starting with '!')",
                         plan->ncannot, plan->ncannot == 1 ? "" : "s");
    }
    return err;
}
