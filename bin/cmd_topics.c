/*
 * gdx topics - topics and ACLs as code: generate them from the inventory, compare them with a
 * cluster, apply them through the Admin API, or print Kafka's own commands. Thin: the model,
 * the generator, the diff and the Admin API calls live in lib/gdx_topics.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <librdkafka/rdkafka.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_conf.h"
#include "gdx_deploy.h"
#include "gdx_kafka.h"
#include "gdx_topics.h"

#define DEF_INVENTORY "examples/xiangcheng/inventory.yaml"
#define DEF_TOPICS    "broker-config/topics.yaml"
#define DEF_ACLS      "broker-config/acls.yaml"

enum {
    O_PRINT = CMD_LONG(1),
    O_RETENTION,
    O_DLQ_RETENTION,
    O_AUDIT_RETENTION,
    O_REPLICATION,
    O_MIN_INSYNC,
    O_MIN_PARTS,
    O_RECORD_BYTES,
    O_PER_DAY,
    O_PRINCIPAL_PREFIX,
    O_UPLINK_DEST,
    O_NO_ACLS,
    O_STATE,
    O_DESTRUCTIVE,
    O_TIMEOUT,
    O_BOOT_VAR,
    O_CMD_CONFIG,
    O_FORMAT,
};

static const struct cmd_opt topics_opts[] = {
    {'i', "inventory", 'i', CMD_REQ, "FILE", "the city inventory (default " DEF_INVENTORY ")",
     "generate sizing"},
    {'s', "schemas", 's', CMD_REQ, "DIR",
     "schemas, for the share of systems whose inventory entry has none (default schemas)",
     "generate sizing"},
    {'o', "out", 'o', CMD_REQ, "DIR",
     "write DIR/topics.yaml and DIR/acls.yaml (default "
     "broker-config)",
     "generate"},
    {O_PRINT, "print", 0, CMD_REQ, "topics|acls", "print one of the files instead of writing",
     "generate"},
    {O_RETENTION, "retention-days", 0, CMD_REQ, "N",
     "retention of the city topics (default 30, "
     "at least 7)",
     "generate sizing"},
    {O_DLQ_RETENTION, "dlq-retention-days", 0, CMD_REQ, "N",
     "retention of the dead letter topics (default 183)", "generate"},
    {O_AUDIT_RETENTION, "audit-retention-days", 0, CMD_REQ, "N",
     "retention of _gdx.audit (default 183, at least 183)", "generate"},
    {O_REPLICATION, "replication", 0, CMD_REQ, "N", "replication factor (default 3)",
     "generate sizing"},
    {O_MIN_INSYNC, "min-insync", 0, CMD_REQ, "N", "min.insync.replicas (default 2)", "generate"},
    {O_MIN_PARTS, "min-partitions", 0, CMD_REQ, "N",
     "partitions of a city topic at least (default 6)", "generate sizing"},
    {O_RECORD_BYTES, "record-bytes", 0, CMD_REQ, "N",
     "bytes a record takes on a partition, headers included (default 1024; measured figures in "
     "docs/operations.md)",
     "generate sizing"},
    {O_PER_DAY, "per-day", 0, CMD_REQ, "N",
     "records a day assumed for systems without per_day (default 10000)", "generate sizing"},
    {O_PRINCIPAL_PREFIX, "principal-prefix", 0, CMD_REQ, "P",
     "a unit's principal is P<unit id> (default User:)", "generate"},
    {O_UPLINK_DEST, "uplink-destination", 0, CMD_REQ, "NAME",
     "the uplink's destination: its dead letters go to _gdx.dlq.uplink.NAME (default "
     "province)",
     "generate"},
    {'t', "topics", 't', CMD_REQ, "FILE", "desired topics (default " DEF_TOPICS ")",
     "plan apply export access"},
    {'a', "acls", 'a', CMD_REQ, "FILE", "desired ACLs (default " DEF_ACLS ")",
     "plan apply export access"},
    {O_NO_ACLS, "no-acls", 0, CMD_NONE, NULL, "topics only: leave ACLs out", "plan apply export"},
    {O_STATE, "state", 0, CMD_REQ, "FILE",
     "compare with a recorded cluster description (the JSON of 'describe') instead of a "
     "cluster",
     "plan"},
    {'b', "bootstrap", 'b', CMD_REQ, "LIST",
     "the cluster (default: the admin config's, else the deployment file's)",
     "plan apply describe"},
    {'c', "admin-config", 'c', CMD_REQ, "FILE",
     "a YAML file whose 'kafka:' map configures the admin client (an admin principal; secrets "
     "as '<property>.file' or ${ENV}); default: the deployment file",
     "plan apply describe"},
    {O_DESTRUCTIVE, "allow-destructive", 0, CMD_NONE, NULL,
     "also make the changes marked destructive (shorter retention, a new cleanup policy, more "
     "partitions on a keyed topic, ACLs taken away)",
     "apply"},
    {O_TIMEOUT, "timeout", 0, CMD_REQ, "MS", "wait this long for each request (default 30000)",
     "plan apply describe"},
    {O_BOOT_VAR, "bootstrap-arg", 0, CMD_REQ, "TEXT",
     "what the commands pass as --bootstrap-server (default $BOOTSTRAP)", "export"},
    {O_CMD_CONFIG, "command-config", 0, CMD_REQ, "TEXT",
     "what the commands pass as --command-config (default $ADMIN_CONFIG)", "export"},
    {O_FORMAT, "format", 0, CMD_REQ, "sh|json",
     "sh: Kafka's commands (default); json: the state a matching cluster describes, in the "
     "format of 'describe' and --state",
     "export"},
    CMD_OPT_END,
};

static const struct cmd_sub topics_subs[] = {
    {"generate", "[-i INVENTORY] [-s SCHEMAS] [-o DIR | --print topics|acls] [sizing options]",
     "write topics.yaml and acls.yaml from the inventory: every system's topic and dead letter "
     "topic, an offsets topic per unit, the internal topics, and each principal's ACLs"},
    {"sizing", "[-i INVENTORY] [sizing options]",
     "per-system partitions, records and bytes a day, disk with replicas, and the totals"},
    {"plan", "[-t TOPICS] [-a ACLS] [--no-acls] (--state FILE | [-b LIST] [-c ADMIN.yaml])",
     "print the changes that would make the cluster match the files"},
    {"apply", "[-t TOPICS] [-a ACLS] [--no-acls] [-b LIST] [-c ADMIN.yaml] [--allow-destructive]",
     "make the changes through the Admin API (CreateTopics, CreatePartitions, AlterConfigs, "
     "CreateAcls, DeleteAcls); destructive ones only with --allow-destructive"},
    {"describe", "[-b LIST] [-c ADMIN.yaml]",
     "print the cluster's topics, configs and ACLs as JSON (the format --state reads)"},
    {"export", "[-t TOPICS] [-a ACLS] [--no-acls] [--format sh|json]",
     "print the same state as kafka-topics.sh, kafka-configs.sh and kafka-acls.sh commands"},
    {"access", "[-t TOPICS] [-a ACLS] TOPIC...",
     "who may read, write or describe each TOPIC under the ACLs"},
    {NULL, NULL, NULL},
};

static const struct cmd_item topics_examples[] = {
    {"gdx topics generate -i examples/xiangcheng/inventory.yaml -o broker-config",
     "Regenerate the files after the inventory changed (make broker-config does this):"},
    {"gdx topics plan -c /etc/gdx/admin.yaml", "What would change on the city cluster:"},
    {"gdx topics access gov.police.video_alerts.alert", "Who may read a topic:"},
    {NULL, NULL},
};

const struct cmd_doc cmd_topics_doc = {
    .name = "topics",
    .summary = "provision topics and ACLs from broker-config/ (generate, plan, apply, export)",
    .subs = topics_subs,
    .opts = topics_opts,
    .description =
        "The city's permissions follow its data-sharing catalogue, default deny: each unit's "
        "principal writes only its systems' topics and dead letter topics, uses only its own "
        "transactional ids (gdx-<connector id>) and its own offsets topic _gdx.offsets.<unit>, "
        "and reads only what the inventory shares with it; the uplink reads only shareable "
        "topics marked for the province; topics that are not shared (share: none, 不予共享) are "
        "readable by nobody outside their unit.\n\n"
        "plan never changes anything; apply makes no change marked destructive without "
        "--allow-destructive, never deletes a topic, and leaves alone topics and principals "
        "that the files do not name. librdkafka 2.0.2 cannot create transactional-id ACLs: "
        "apply prints their kafka-acls.sh commands and exits 1 until they are made.",
    .exit_status = "0 ok; 1 the cluster refused or did not answer, or apply left changes "
                   "undone; 2 usage (or destructive changes without --allow-destructive); 78 a "
                   "bad file.",
    .examples = topics_examples,
    .see_also = "gdx-broker(1), gdx-catalog(1)",
};

struct topics_args {
    const char *inventory, *schemas, *out, *print, *topics, *acls, *state, *bootstrap;
    const char *admin_config, *boot_arg, *cmd_config, *format;
    int no_acls, destructive, timeout_ms;
    struct gdx_topics_gen gen;
};

static int int_arg(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "gdx topics: --%s wants a number in %ld..%ld, not '%s'\n", opt, min, max,
                s);
        return -1;
    }
    *out = v;
    return 0;
}

static int exit_code(int err)
{
    switch (err) {
    case GDX_OK:
        return GDX_EXIT_OK;
    case GDX_ERR_CONFIG:
        return GDX_EXIT_CONFIG;
    case GDX_ERR_USAGE:
        return GDX_EXIT_USAGE;
    default:
        return GDX_EXIT_FAIL;
    }
}

static int load_desired(const struct topics_args *a, struct gdx_topics *want, char *errstr,
                        size_t errstr_size)
{
    int err = gdx_topics_load_topics(want, a->topics, errstr, errstr_size);
    if (!err && !a->no_acls) {
        err = gdx_topics_load_acls(want, a->acls, errstr, errstr_size);
    }
    return err;
}

/* The admin client: the admin config's kafka map (or the deployment's), then -b. */
static rd_kafka_t *admin_client(const struct topics_args *a, char *errstr, size_t errstr_size)
{
    struct gdx_kafka_conf kc = {0};
    struct gdx_deploy *d = NULL;
    struct gdx_node *root = NULL;
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    char rderr[512];
    int err;

    if (a->admin_config) {
        static const char *const keys[] = {"kafka", NULL};
        if (!(root = gdx_conf_load(a->admin_config, errstr, errstr_size)) ||
            gdx_conf_only_keys(root, keys, errstr, errstr_size) ||
            gdx_kafka_conf_parse_secure(gdx_conf_get(root, "kafka"), NULL, 1, &kc, errstr,
                                        errstr_size)) {
            goto out;
        }
    } else {
        if (gdx_deploy_load(&d, errstr, errstr_size)) {
            goto out;
        }
        gdx_deploy_kafka_merge(d, &kc);
    }
    if (a->bootstrap) {
        free(kc.bootstrap);
        kc.bootstrap = strdup(a->bootstrap);
    }
    if (!kc.bootstrap) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                   "no cluster: give -b LIST, -c ADMIN.yaml or a deployment file");
        goto out;
    }
    conf = rd_kafka_conf_new();
    if ((err = gdx_kafka_conf_apply(&kc, conf, errstr, errstr_size)) ||
        (err = gdx_kafka_set(conf, "client.id", "gdx-topics", errstr, errstr_size))) {
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof(rderr));
    if (!rk) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot create the admin client: %s",
                   rderr);
        goto out;
    }
    conf = NULL;
out:
    if (conf) {
        rd_kafka_conf_destroy(conf);
    }
    gdx_kafka_conf_release(&kc);
    gdx_deploy_destroy(d);
    gdx_conf_destroy(root);
    return rk;
}

static int write_file(const char *dir, const char *name, const struct gdx_topics *t, int acls,
                      char *errstr, size_t errstr_size)
{
    char path[4096], tmp[4200];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w"))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot write '%s': %s", tmp,
                          strerror(errno));
    }
    if (acls) {
        gdx_topics_write_acls(t, f);
    } else {
        gdx_topics_write_topics(t, f);
    }
    if (fclose(f) || rename(tmp, path)) {
        remove(tmp);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot write '%s': %s", path,
                          strerror(errno));
    }
    fprintf(stderr, "gdx topics: wrote %s\n", path);
    return GDX_OK;
}

static int do_generate(struct topics_args *a, int sizing, char *errstr, size_t errstr_size)
{
    struct gdx_inventory *inv = NULL;
    struct gdx_topics *t = gdx_topics_new();
    int err;

    a->gen.source = a->inventory;
    if ((err = gdx_inventory_load(&inv, a->inventory, a->schemas, errstr, errstr_size))) {
        goto out;
    }
    if (sizing) {
        gdx_topics_sizing(inv, &a->gen, stdout);
        goto out;
    }
    if ((err = gdx_topics_generate(inv, &a->gen, t, errstr, errstr_size))) {
        goto out;
    }
    if (a->print) {
        if (!strcmp(a->print, "topics")) {
            gdx_topics_write_topics(t, stdout);
        } else if (!strcmp(a->print, "acls")) {
            gdx_topics_write_acls(t, stdout);
        } else {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                             "--print wants topics or acls, not '%s'", a->print);
        }
        goto out;
    }
    if (!(err = write_file(a->out, "topics.yaml", t, 0, errstr, errstr_size))) {
        err = write_file(a->out, "acls.yaml", t, 1, errstr, errstr_size);
    }
out:
    gdx_topics_destroy(t);
    gdx_inventory_destroy(inv);
    return err;
}

static int do_plan(struct topics_args *a, int apply, char *errstr, size_t errstr_size)
{
    struct gdx_topics *want = gdx_topics_new(), *have = gdx_topics_new();
    struct gdx_plan *plan = NULL;
    rd_kafka_t *rk = NULL;
    int err;

    if ((err = load_desired(a, want, errstr, errstr_size))) {
        goto out;
    }
    if (a->state && !apply) {
        err = gdx_topics_load_state(have, a->state, errstr, errstr_size);
    } else if (!(rk = admin_client(a, errstr, errstr_size))) {
        err = strstr(errstr, "no cluster") ? GDX_ERR_USAGE : GDX_ERR_CONFIG;
    } else {
        err = gdx_topics_describe(rk, have, a->timeout_ms, errstr, errstr_size);
    }
    if (err) {
        goto out;
    }
    if (a->no_acls) {
        have->acls_known = 0;
    }
    plan = gdx_topics_plan(want, have);
    gdx_plan_print(plan, stdout);
    fflush(stdout);
    if (apply && !(err = gdx_plan_check(plan, a->destructive, errstr, errstr_size))) {
        err = gdx_topics_apply(rk, plan, a->timeout_ms, stdout, errstr, errstr_size);
    }
out:
    gdx_plan_destroy(plan);
    gdx_topics_destroy(want);
    gdx_topics_destroy(have);
    if (rk) {
        rd_kafka_destroy(rk);
    }
    return err;
}

static int do_describe(struct topics_args *a, char *errstr, size_t errstr_size)
{
    struct gdx_topics *have = gdx_topics_new();
    rd_kafka_t *rk = admin_client(a, errstr, errstr_size);
    int err = rk ? gdx_topics_describe(rk, have, a->timeout_ms, errstr, errstr_size)
                 : (strstr(errstr, "no cluster") ? GDX_ERR_USAGE : GDX_ERR_CONFIG);
    if (!err) {
        gdx_topics_write_state(have, stdout);
    }
    gdx_topics_destroy(have);
    if (rk) {
        rd_kafka_destroy(rk);
    }
    return err;
}

static int do_access(struct topics_args *a, int argc, char **argv, char *errstr, size_t errstr_size)
{
    static const int ops[] = {GDX_ACL_OP_READ, GDX_ACL_OP_WRITE, GDX_ACL_OP_DESCRIBE,
                              GDX_ACL_OP_DESCRIBE_CONFIGS};
    struct gdx_topics *want = gdx_topics_new();
    int err = load_desired(a, want, errstr, errstr_size);

    for (int i = 0; !err && i < argc; i++) {
        size_t nwho = 0;
        if (!gdx_topics_find(want, argv[i])) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "topic '%s' is not in '%s'",
                             argv[i], a->topics);
            break;
        }
        printf("%s\n", argv[i]);
        for (size_t k = 0; k < want->nacls; k++) {
            const char *p = want->acls[k].principal;
            char line[256] = "";
            if (k && !strcmp(p, want->acls[k - 1].principal)) {
                continue;
            }
            for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
                if (gdx_acl_allowed(want, p, GDX_ACL_RES_TOPIC, argv[i], ops[o])) {
                    size_t l = strlen(line);
                    snprintf(line + l, sizeof(line) - l, " %s", gdx_acl_op_name(ops[o]));
                }
            }
            if (*line) {
                printf("  %s:%s\n", p, line);
                nwho++;
            }
        }
        printf("  (%zu principal%s; every other principal: nothing)\n", nwho, nwho == 1 ? "" : "s");
    }
    gdx_topics_destroy(want);
    return err;
}

int cmd_topics(int argc, char **argv)
{
    struct topics_args a = {
        .inventory = DEF_INVENTORY,
        .schemas = "schemas",
        .out = "broker-config",
        .topics = DEF_TOPICS,
        .acls = DEF_ACLS,
        .boot_arg = "$BOOTSTRAP",
        .cmd_config = "$ADMIN_CONFIG",
        .timeout_ms = 30000,
    };
    struct cmd_parser p;
    const char *sub;
    char errstr[2048] = "";
    long v;
    int c, err;

    gdx_topics_gen_defaults(&a.gen);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cmd_help(argc < 2 ? stderr : stdout, &cmd_topics_doc);
        return argc < 2 ? GDX_EXIT_USAGE : GDX_EXIT_OK;
    }
    sub = argv[1];
    argc--;
    argv++;
    optind = 1;
    cmd_parser_init(&p, &cmd_topics_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        const char *name = NULL;
        for (const struct cmd_opt *o = cmd_topics_doc.opts; o->id; o++) {
            if (o->id == c) {
                name = o->lng;
                if (o->subs && !strstr(o->subs, sub)) {
                    return cmd_opt_misplaced(&cmd_topics_doc, sub, c) ? GDX_EXIT_USAGE : 0;
                }
            }
        }
        switch (c) {
        case 'i':
            a.inventory = optarg;
            break;
        case 's':
            a.schemas = optarg;
            break;
        case 'o':
            a.out = optarg;
            break;
        case O_PRINT:
            a.print = optarg;
            break;
        case O_RETENTION:
        case O_DLQ_RETENTION:
        case O_AUDIT_RETENTION:
        case O_REPLICATION:
        case O_MIN_INSYNC:
        case O_MIN_PARTS:
        case O_TIMEOUT:
            if (int_arg(name, optarg, 1, 100000000, &v)) {
                return GDX_EXIT_USAGE;
            }
            if (c == O_RETENTION) {
                a.gen.retention_days = (int)v;
            } else if (c == O_DLQ_RETENTION) {
                a.gen.dlq_retention_days = (int)v;
            } else if (c == O_AUDIT_RETENTION) {
                a.gen.audit_retention_days = (int)v;
            } else if (c == O_REPLICATION) {
                a.gen.replication = (int)v;
            } else if (c == O_MIN_INSYNC) {
                a.gen.min_insync = (int)v;
            } else if (c == O_MIN_PARTS) {
                a.gen.min_partitions = (int)v;
            } else {
                a.timeout_ms = (int)v;
            }
            break;
        case O_RECORD_BYTES:
        case O_PER_DAY:
            if (int_arg(name, optarg, 1, 1L << 40, &v)) {
                return GDX_EXIT_USAGE;
            }
            *(c == O_RECORD_BYTES ? &a.gen.record_bytes : &a.gen.default_per_day) = v;
            break;
        case O_PRINCIPAL_PREFIX:
            a.gen.principal_prefix = optarg;
            break;
        case O_UPLINK_DEST:
            a.gen.uplink_destination = optarg;
            break;
        case 't':
            a.topics = optarg;
            break;
        case 'a':
            a.acls = optarg;
            break;
        case O_NO_ACLS:
            a.no_acls = 1;
            break;
        case O_STATE:
            a.state = optarg;
            break;
        case 'b':
            a.bootstrap = optarg;
            break;
        case 'c':
            a.admin_config = optarg;
            break;
        case O_DESTRUCTIVE:
            a.destructive = 1;
            break;
        case O_BOOT_VAR:
            a.boot_arg = optarg;
            break;
        case O_CMD_CONFIG:
            a.cmd_config = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "sh") && strcmp(optarg, "json")) {
                fprintf(stderr, "gdx topics: --format wants sh or json, not '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            a.format = optarg;
            break;
        case 'h':
            cmd_help(stdout, &cmd_topics_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (strcmp(sub, "access") && optind < argc) {
        fprintf(stderr, "gdx topics %s: unexpected argument '%s'\n", sub, argv[optind]);
        return GDX_EXIT_USAGE;
    }
    if (!strcmp(sub, "generate") || !strcmp(sub, "sizing")) {
        err = do_generate(&a, !strcmp(sub, "sizing"), errstr, sizeof(errstr));
    } else if (!strcmp(sub, "plan") || !strcmp(sub, "apply")) {
        err = do_plan(&a, !strcmp(sub, "apply"), errstr, sizeof(errstr));
    } else if (!strcmp(sub, "describe")) {
        err = do_describe(&a, errstr, sizeof(errstr));
    } else if (!strcmp(sub, "export")) {
        struct gdx_topics *want = gdx_topics_new();
        if (!(err = load_desired(&a, want, errstr, sizeof(errstr)))) {
            if (a.format && !strcmp(a.format, "json")) {
                gdx_topics_sort(want);
                want->acls_known = !a.no_acls;
                gdx_topics_write_state(want, stdout);
            } else {
                gdx_topics_export(want, a.boot_arg, a.cmd_config, stdout);
            }
        }
        gdx_topics_destroy(want);
    } else if (!strcmp(sub, "access")) {
        if (optind >= argc) {
            fprintf(stderr, "gdx topics access: name at least one TOPIC\n");
            return GDX_EXIT_USAGE;
        }
        err = do_access(&a, argc - optind, argv + optind, errstr, sizeof(errstr));
    } else {
        fprintf(stderr, "gdx topics: unknown subcommand '%s'\n", sub);
        cmd_help(stderr, &cmd_topics_doc);
        return GDX_EXIT_USAGE;
    }
    if (err) {
        fprintf(stderr, "gdx topics %s: %s\n", sub, errstr);
    }
    return exit_code(err);
}
