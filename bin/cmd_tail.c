/*
 * gdx tail - decode the Avro records of a topic and print them as JSON lines.
 *
 * Like kcat plus an Avro console consumer: Confluent-framed values are decoded with the
 * writer schema fetched from the registry by id; single-object-encoded values with the schema
 * found by its fingerprint among the .avsc files under a schema directory. Records that are not
 * Avro (dead letters carry the raw source row) are printed as a JSON string.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_avro.h"
#include "gdx_deploy.h"
#include "gdx_kafka.h"
#include "gdx_log.h"
#include "gdx_registry.h"
#include "gdx_text.h"
#include "gdx_util.h"

struct tail_opts {
    const char *topic;
    int64_t n;
    int from_beginning, follow, headers, meta;
    struct gdx_schema_set *schemas;
    struct gdx_registry *registry;
    /* schemas fetched from the registry, by id */
    int32_t *ids;
    struct gdx_schema **by_id;
    size_t nids;
};

static const struct gdx_schema *schema_by_id(struct tail_opts *o, int32_t id, char *errstr,
                                             size_t errstr_size)
{
    const char *text;
    struct gdx_schema *s;
    for (size_t i = 0; i < o->nids; i++) {
        if (o->ids[i] == id) {
            return o->by_id[i];
        }
    }
    if (!o->registry) {
        snprintf(errstr, errstr_size,
                 "schema id %d: no registry (use --registry or set GDX_REGISTRY_URL)", (int)id);
        return NULL;
    }
    if (gdx_registry_get(o->registry, id, &text, errstr, errstr_size)) {
        return NULL;
    }
    s = gdx_schema_parse(text, strlen(text), NULL, errstr, errstr_size);
    if (!s) {
        return NULL;
    }
    o->ids = realloc(o->ids, (o->nids + 1) * sizeof(*o->ids));
    o->by_id = realloc(o->by_id, (o->nids + 1) * sizeof(*o->by_id));
    if (!o->ids || !o->by_id) {
        abort();
    }
    o->ids[o->nids] = id;
    o->by_id[o->nids++] = s;
    return s;
}

struct tail_line {
    int64_t ts;
    int32_t part;
    int64_t off;
    char *text;
};

enum { O_FROM_BEGINNING = CMD_LONG(1) };

static const struct cmd_opt tail_opts[] = {
    {'b', "bootstrap", 'b', CMD_REQ, "LIST",
     "Kafka bootstrap servers (default: $GDX_BOOTSTRAP, else the deployment file's)", NULL},
    {'s', "schemas", 's', CMD_REQ, "DIR",
     "directory of .avsc files (default: $GDX_SCHEMAS, else ./schemas, else the schemas "
     "installed with gdx)",
     NULL},
    {'n', "lines", 'n', CMD_REQ, "N",
     "the last N records (default 10); with --from-beginning, at most N records", NULL},
    {O_FROM_BEGINNING, "from-beginning", 0, CMD_NONE, NULL, "start at the oldest record", NULL},
    {'f', "follow", 'f', CMD_NONE, NULL, "keep printing new records until interrupted", NULL},
    {'H', "headers", 'H', CMD_NONE, NULL, "print topic, partition, offset, key and headers too",
     NULL},
    {'r', "registry", 'r', CMD_REQ, "URL",
     "schema registry for Confluent-framed values (default: $GDX_REGISTRY_URL, else the "
     "deployment file's)",
     NULL},
    {'X', "property", 'X', CMD_REQ, "K=V",
     "a librdkafka property (e.g. fetch.max.bytes=1048576); secrets (passwords, keys) are "
     "refused here: they belong in the deployment file or the environment",
     NULL},
    CMD_OPT_END,
};

static const struct cmd_item tail_env[] = {
    {"GDX_BOOTSTRAP", "default bootstrap servers"},
    {"GDX_REGISTRY_URL", "default schema registry"},
    {"GDX_SCHEMAS", "default schema directory"},
    {"GDX_DEPLOYMENT", "the deployment file (TLS, SASL, registry; default "
                       "/etc/gdx/deployment.yaml when it exists)"},
    {NULL, NULL},
};

static const struct cmd_item tail_examples[] = {
    {"gdx tail -H _gdx.dlq.hotline12345.workorders",
     "The dead letters of the 12345 hotline's work orders, with their stage, reason and row:"},
    {NULL, NULL},
};

const struct cmd_doc cmd_tail_doc = {
    .name = "tail",
    .summary = "decode the Avro records of a topic to JSON lines",
    .args = "[options] TOPIC",
    .opts = tail_opts,
    .description = "Like kcat plus an Avro console consumer: Confluent-framed values are decoded "
                   "with the writer schema fetched from the registry by id, single-object "
                   "encoded values with the schema found by its fingerprint among the .avsc "
                   "files; other values (dead letters carry the raw row) are printed as JSON "
                   "strings.",
    .env = tail_env,
    .examples = tail_examples,
    .see_also = "gdx-connector(1), gdx-decrypt(1)",
};

static json_t *raw_json(const void *buf, size_t len)
{
    size_t bad;
    if (gdx_utf8_valid(buf, len, &bad)) {
        /* gdx's own JSON records (offsets, audit) are shown as JSON, not as a string */
        if (len > 1 && ((const char *)buf)[0] == '{') {
            json_t *obj = json_loadb(buf, len, 0, NULL);
            if (obj) {
                return obj;
            }
        }
        return json_stringn(buf, len);
    }
    /* not text: hex, so nothing is lost or mangled */
    char *hex = malloc(2 * len + 1);
    if (!hex) {
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)buf)[i]);
    }
    json_t *j = json_pack("{s:s}", "hex", hex);
    free(hex);
    return j;
}

static char *render(struct tail_opts *o, const rd_kafka_message_t *msg)
{
    json_t *value = NULL;
    uint64_t fp;
    char errstr[512];

    int32_t id;
    if (msg->payload && gdx_confluent_parse(msg->payload, msg->len, &id)) {
        const struct gdx_schema *s = schema_by_id(o, id, errstr, sizeof(errstr));
        if (s) {
            value =
                gdx_avro_decode_json(s, (const char *)msg->payload + GDX_CONFLUENT_HEADER_LEN,
                                     msg->len - GDX_CONFLUENT_HEADER_LEN, errstr, sizeof(errstr));
        }
        if (!value) {
            value = json_pack("{s:s}", "error", errstr);
        }
    } else if (msg->payload && gdx_soe_parse(msg->payload, msg->len, &fp)) {
        const struct gdx_schema *s = gdx_schema_set_find(o->schemas, fp);
        if (s) {
            value = gdx_avro_decode_json(s, (const char *)msg->payload + GDX_SOE_HEADER_LEN,
                                         msg->len - GDX_SOE_HEADER_LEN, errstr, sizeof(errstr));
            if (!value) {
                value = json_pack("{s:s}", "error", errstr);
            }
        } else {
            snprintf(errstr, sizeof(errstr), "no schema with fingerprint %016" PRIx64, fp);
            value = json_pack("{s:s}", "error", errstr);
        }
    } else if (msg->payload) {
        value = raw_json(msg->payload, msg->len);
    } else {
        value = json_null();
    }
    if (o->headers) {
        json_t *h = json_object();
        rd_kafka_headers_t *hdrs = NULL;
        if (!rd_kafka_message_headers(msg, &hdrs)) {
            const char *name;
            const void *val;
            size_t sz;
            for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &sz); i++) {
                json_object_set_new(h, name, val ? json_stringn(val, sz) : json_null());
            }
        }
        json_t *wrap = json_object();
        json_object_set_new(wrap, "topic", json_string(rd_kafka_topic_name(msg->rkt)));
        json_object_set_new(wrap, "partition", json_integer(msg->partition));
        json_object_set_new(wrap, "offset", json_integer(msg->offset));
        json_object_set_new(wrap, "key", msg->key ? raw_json(msg->key, msg->key_len) : json_null());
        json_object_set_new(wrap, "headers", h);
        json_object_set_new(wrap, "value", value);
        value = wrap;
    }
    char *s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    json_decref(value);
    return s;
}

static int cmp_line(const void *a, const void *b)
{
    const struct tail_line *x = a, *y = b;
    if (x->ts != y->ts) {
        return x->ts < y->ts ? -1 : 1;
    }
    if (x->part != y->part) {
        return x->part < y->part ? -1 : 1;
    }
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Print the newest n of the collected lines in time order; then, with --follow, print
 * records as they come. */
static void flush_sorted(struct tail_opts *o, struct tail_line *lines, size_t *nlines)
{
    size_t first = *nlines > (size_t)o->n ? *nlines - (size_t)o->n : 0;
    qsort(lines, *nlines, sizeof(*lines), cmp_line);
    for (size_t i = 0; i < *nlines; i++) {
        if (i >= first) {
            printf("%s\n", lines[i].text);
        }
        free(lines[i].text);
    }
    *nlines = 0;
    fflush(stdout);
    if (o->follow) {
        o->from_beginning = 1;
        o->n = INT64_MAX;
    }
}

static const char *default_schemas(void)
{
    const char *e = getenv("GDX_SCHEMAS");
    if (e && *e) {
        return e;
    }
    if (access("schemas", R_OK) == 0) {
        return "schemas";
    }
    /* next to the binary: a source tree (build/gdx) or an installation (bin/gdx) */
    static char path[PATH_MAX + 32];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof(path), "%s/../schemas", exe);
            if (access(path, R_OK) == 0) {
                return path;
            }
            snprintf(path, sizeof(path), "%s/../share/gdx/schemas", exe);
            if (access(path, R_OK) == 0) {
                return path;
            }
        }
    }
    return "/usr/local/share/gdx/schemas";
}

int cmd_tail(int argc, char **argv)
{
    struct cmd_parser parser;
    struct tail_opts o = {.n = -1};
    struct gdx_kafka_conf kc = {0};
    const char *schemas = NULL;
    char *props[64] = {0};
    size_t nprops = 0;
    char errstr[1024];
    rd_kafka_t *rk = NULL;
    int32_t cnt = 0;
    int c, ret = GDX_EXIT_FAIL;
    struct tail_line *lines = NULL;
    size_t nlines = 0, cap = 0;
    int64_t *hi = NULL;
    int *eof = NULL;
    int64_t printed = 0;

    const char *registry = getenv("GDX_REGISTRY_URL"), *registry_auth = NULL, *bootstrap = NULL;
    struct gdx_deploy *deploy = NULL;
    struct gdx_tls reg_tls = {0};
    cmd_parser_init(&parser, &cmd_tail_doc, 0);
    while ((c = cmd_getopt(&parser, argc, argv)) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 's':
            schemas = optarg;
            break;
        case 'n': {
            char *end;
            o.n = strtoll(optarg, &end, 10);
            if (*end || o.n < 0) {
                fprintf(stderr, "gdx tail: -n wants a number, not '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            break;
        }
        case 'r':
            registry = optarg;
            break;
        case O_FROM_BEGINNING:
            o.from_beginning = 1;
            break;
        case 'f':
            o.follow = 1;
            break;
        case 'H':
            o.headers = 1;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq || nprops >= 62) {
                fprintf(stderr, "gdx tail: -X wants KEY=VALUE, not '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            *eq = '\0';
            if (gdx_kafka_secret_prop(optarg)) {
                fprintf(stderr,
                        "gdx tail: '%s' is a secret: a command line is visible to every user "
                        "of the host; set it in the deployment file (as %s.file) or the "
                        "environment\n",
                        optarg, optarg);
                return GDX_EXIT_USAGE;
            }
            props[nprops++] = optarg;
            props[nprops++] = eq + 1;
            break;
        }
        case 'h':
            cmd_help(stdout, &cmd_tail_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cmd_help(stderr, &cmd_tail_doc);
        return GDX_EXIT_USAGE;
    }
    o.topic = argv[optind];
    if (gdx_deploy_load(&deploy, errstr, sizeof(errstr))) {
        fprintf(stderr, "gdx tail: %s\n", errstr);
        return GDX_EXIT_CONFIG;
    }
    if (!bootstrap) {
        bootstrap = getenv("GDX_BOOTSTRAP");
    }
    if (bootstrap && *bootstrap) {
        kc.bootstrap = gdx_xstrdup(bootstrap);
    }
    kc.props = gdx_xcalloc(nprops + 1, sizeof(char *));
    for (size_t i = 0; i < nprops; i++) {
        kc.props[i] = gdx_xstrdup(props[i]);
    }
    kc.nprops = nprops / 2;
    gdx_deploy_kafka_merge(deploy, &kc);
    if (!registry && deploy->registry_url) {
        registry = deploy->registry_url;
        registry_auth = deploy->registry_auth;
    }
    gdx_deploy_tls(deploy, &reg_tls);
    if (!kc.bootstrap || !*kc.bootstrap) {
        fprintf(stderr, "gdx tail: no bootstrap servers: use -b, set GDX_BOOTSTRAP or write a "
                        "deployment file\n");
        ret = GDX_EXIT_USAGE;
        goto out;
    }
    if (o.n < 0) {
        o.n = o.from_beginning ? INT64_MAX : 10;
    }
    o.schemas = gdx_schema_set_load(schemas ? schemas : default_schemas(), errstr, sizeof(errstr));
    if (!o.schemas) {
        fprintf(stderr, "gdx tail: %s\n", errstr);
        ret = GDX_EXIT_CONFIG;
        goto out;
    }
    if (registry && *registry) {
        o.registry = gdx_registry_new(registry, registry_auth, NULL, errstr, sizeof(errstr));
        if (!o.registry) {
            fprintf(stderr, "gdx tail: %s\n", errstr);
            ret = GDX_EXIT_CONFIG;
            goto out;
        }
        gdx_registry_set_tls(o.registry, &reg_tls);
    }
    rk = gdx_kafka_consumer_new(&kc, "gdx-tail", errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "gdx tail: %s\n", errstr);
        ret = GDX_EXIT_CONFIG;
        goto out;
    }
    if (gdx_kafka_partition_count(rk, o.topic, 10000, &cnt, errstr, sizeof(errstr))) {
        fprintf(stderr, "gdx tail: %s\n", errstr);
        goto out;
    }
    cmd_install_signals();
    hi = calloc((size_t)cnt, sizeof(*hi));
    eof = calloc((size_t)cnt, sizeof(*eof));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(cnt);
    int remaining = 0;
    for (int32_t p = 0; p < cnt; p++) {
        int64_t lo = 0;
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, o.topic, p, &lo, &hi[p], 10000);
        if (err) {
            fprintf(stderr, "gdx tail: cannot read watermarks of '%s' [%d]: %s\n", o.topic, p,
                    rd_kafka_err2str(err));
            rd_kafka_topic_partition_list_destroy(parts);
            goto out;
        }
        int64_t start = o.from_beginning ? lo : (hi[p] - o.n > lo ? hi[p] - o.n : lo);
        rd_kafka_topic_partition_list_add(parts, o.topic, p)->offset = start;
        if (start >= hi[p]) {
            eof[p] = 1;
        } else {
            remaining++;
        }
    }
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (!remaining && o.follow) {
        o.from_beginning = 1;
        o.n = INT64_MAX;
    }

    /* Phase 1: what is there now. Phase 2 (--follow): whatever comes next. */
    while (!cmd_stopping() && (remaining > 0 || o.follow)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 200);
        if (!msg) {
            continue;
        }
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (msg->partition < cnt && !eof[msg->partition] && msg->offset >= hi[msg->partition]) {
                eof[msg->partition] = 1;
                remaining--;
            }
            rd_kafka_message_destroy(msg);
            if (!remaining && !o.from_beginning) {
                flush_sorted(&o, lines, &nlines);
            }
            continue;
        }
        if (msg->err) {
            fprintf(stderr, "gdx tail: %s\n", rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
            continue;
        }
        if (o.from_beginning) {
            char *s = render(&o, msg);
            printf("%s\n", s);
            free(s);
            if (++printed >= o.n) {
                rd_kafka_message_destroy(msg);
                ret = GDX_EXIT_OK;
                goto out;
            }
        } else {
            if (nlines == cap) {
                cap = cap ? cap * 2 : 64;
                lines = realloc(lines, cap * sizeof(*lines));
                if (!lines) {
                    abort();
                }
            }
            lines[nlines].ts = rd_kafka_message_timestamp(msg, NULL);
            lines[nlines].part = msg->partition;
            lines[nlines].off = msg->offset;
            lines[nlines].text = render(&o, msg);
            nlines++;
        }
        if (msg->partition < cnt && !eof[msg->partition] && msg->offset + 1 >= hi[msg->partition]) {
            eof[msg->partition] = 1;
            remaining--;
        }
        rd_kafka_message_destroy(msg);
        if (!remaining && !o.from_beginning) {
            flush_sorted(&o, lines, &nlines);
        }
        fflush(stdout);
    }
    ret = GDX_EXIT_OK;
out:
    for (size_t i = 0; i < nlines; i++) {
        free(lines[i].text);
    }
    free(lines);
    free(hi);
    free(eof);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    gdx_schema_set_destroy(o.schemas);
    for (size_t i = 0; i < o.nids; i++) {
        gdx_schema_destroy(o.by_id[i]);
    }
    free(o.ids);
    free(o.by_id);
    gdx_registry_destroy(o.registry);
    gdx_kafka_conf_release(&kc);
    gdx_tls_release(&reg_tls);
    gdx_deploy_destroy(deploy);
    return ret;
}
