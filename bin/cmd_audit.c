/*
 * gdx audit - the auditor's tools: verify, show, report, reconcile, prune. Thin: the logic
 * is in lib/gdx_audit_verify.c; this file parses arguments and maps errors to exit codes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cmd.h"
#include "gdx_audit.h"
#include "gdx_err.h"

enum {
    O_TRUST = CMD_LONG(1),
    O_CP,
    O_KAFKA,
    O_TOPIC,
    O_STRICT,
    O_UNIT,
    O_SYSTEM,
    O_SINCE,
    O_UNTIL,
    O_TYPE,
    O_JSON,
    O_FORMAT,
    O_BOOT,
    O_DAYS,
    O_DRY
};

static const struct cmd_opt audit_opts[] = {
    {O_TRUST, "trust", 0, CMD_REQ, "FILE",
     "the trust file: lines 'key_id public-key.pem' of the keys that may seal checkpoints",
     "verify"},
    {O_CP, "checkpoint", 0, CMD_REQ, "LINE|FILE",
     "a checkpoint held elsewhere (printed by an earlier verify): the trail must extend it",
     "verify"},
    {O_KAFKA, "kafka", 0, CMD_REQ, "BOOTSTRAP", "also compare the trail with its mirror on Kafka",
     "verify"},
    {O_TOPIC, "topic", 0, CMD_REQ, "TOPIC", "the mirror topic (default _gdx.audit)", "verify"},
    {O_STRICT, "strict", 0, CMD_NONE, NULL, "an unsealed tail is an error, not a warning",
     "verify"},
    {O_UNIT, "unit", 0, CMD_REQ, "UNIT", "only events of this unit", "show"},
    {O_SYSTEM, "system", 0, CMD_REQ, "SYSTEM", "only events of this system", "show"},
    {O_SINCE, "since", 0, CMD_REQ, "TIME",
     "events at or after TIME (RFC 3339 or YYYY-MM-DD, "
     "+08:00)",
     "show"},
    {O_UNTIL, "until", 0, CMD_REQ, "TIME", "events before TIME", "show"},
    {O_TYPE, "type", 0, CMD_REQ, "EVENT", "only events of this type", "show"},
    {O_JSON, "json", 0, CMD_NONE, NULL, "print the events as JSON lines", "show"},
    {O_FORMAT, "format", 0, CMD_REQ, "csv|md", "report format (default csv)", "report"},
    {O_BOOT, "bootstrap", 0, CMD_REQ, "SERVERS", "the city cluster to recount the topics on",
     "reconcile"},
    {O_DAYS, "days", 0, CMD_REQ, "N", "keep the files of the last N days (at least 183)", "prune"},
    {O_DRY, "dry-run", 0, CMD_NONE, NULL, "print what would be removed, remove nothing", "prune"},
    CMD_OPT_END,
};

static const struct cmd_sub audit_subs[] = {
    {"verify",
     "[--trust FILE] [--checkpoint LINE|FILE] [--kafka BOOTSTRAP [--topic _gdx.audit]] "
     "[--strict] PATH...",
     "check the hash chain and the SM2-signed checkpoints: prints OK or the first broken place "
     "(exit 1); an unsealed tail is a warning unless --strict"},
    {"show", "[--unit U] [--system S] [--since T] [--until T] [--type E] [--json] PATH...",
     "print the events that match"},
    {"report", "[--format csv|md] PATH...", "records in, dead letters, per unit, system and day"},
    {"reconcile", "--bootstrap SERVERS PATH...",
     "recount and re-digest the topics and compare them with the trail"},
    {"prune", "--days N [--dry-run] DIR",
     "remove files older than the retention (at least 183 "
     "days)"},
    {NULL, NULL, NULL},
};

static const struct cmd_item audit_files[] = {
    {"/var/lib/gdx/audit/", "the audit trail of the connectors on this host (mode 0750, owned by "
                            "the gdx user); back it up as described in docs/operations.md"},
    {NULL, NULL},
};

const struct cmd_doc cmd_audit_doc = {
    .name = "audit",
    .summary = "verify, show, report and reconcile the audit trail",
    .subs = audit_subs,
    .opts = audit_opts,
    .description = "PATH is an audit file (<actor>-YYYYMMDD[.N].jsonl[.gz]) or a directory of "
                   "them. Times are RFC 3339 or YYYY-MM-DD (+08:00). The format is in "
                   "docs/audit.md, with an independent verifier (docs/audit-verify.py).",
    .exit_status = "0 ok; 1 the trail is broken (verify), the topics disagree with it "
                   "(reconcile) or a runtime failure; 2 usage; 78 bad config.",
    .files = audit_files,
    .see_also = "gdx-connector(1), gdx-uplink(1)",
};

static int exit_code(int err, const char *errstr)
{
    if (err == GDX_OK) {
        return GDX_EXIT_OK;
    }
    if (err != GDX_ERR_FAIL || errstr[0]) {
        fprintf(stderr, "gdx audit: %s\n", errstr);
    }
    if (err == GDX_ERR_USAGE) {
        return GDX_EXIT_USAGE;
    }
    if (err == GDX_ERR_CONFIG) {
        return GDX_EXIT_CONFIG;
    }
    return GDX_EXIT_FAIL;
}

int cmd_audit(int argc, char **argv)
{
    struct cmd_parser p;
    struct gdx_audit_verify_opts vo = {0};
    struct gdx_audit_filter flt = {0};
    const char *format = "csv", *bootstrap = NULL, *sub;
    long days = 0;
    int dry = 0, c, err;
    char errstr[1024] = "";

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cmd_help(argc < 2 ? stderr : stdout, &cmd_audit_doc);
        return argc < 2 ? GDX_EXIT_USAGE : GDX_EXIT_OK;
    }
    sub = argv[1];
    argc--;
    argv++;
    optind = 1;
    cmd_parser_init(&p, &cmd_audit_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        switch (c) {
        case O_TRUST:
            vo.trust = optarg;
            break;
        case O_CP:
            vo.checkpoint = optarg;
            break;
        case O_KAFKA:
            vo.kafka = optarg;
            break;
        case O_TOPIC:
            vo.topic = optarg;
            break;
        case O_STRICT:
            vo.strict = 1;
            break;
        case O_UNIT:
            flt.unit = optarg;
            break;
        case O_SYSTEM:
            flt.system = optarg;
            break;
        case O_SINCE:
            flt.since = optarg;
            break;
        case O_UNTIL:
            flt.until = optarg;
            break;
        case O_TYPE:
            flt.type = optarg;
            break;
        case O_JSON:
            flt.json = 1;
            break;
        case O_FORMAT:
            format = optarg;
            break;
        case O_BOOT:
            bootstrap = optarg;
            break;
        case O_DAYS:
            days = strtol(optarg, NULL, 10);
            break;
        case O_DRY:
            dry = 1;
            break;
        case 'h':
            cmd_help(stdout, &cmd_audit_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "gdx audit %s: no PATH given\n", sub);
        cmd_help(stderr, &cmd_audit_doc);
        return GDX_EXIT_USAGE;
    }
    const char *const *paths = (const char *const *)(argv + optind);
    size_t npaths = (size_t)(argc - optind);
    if (!strcmp(sub, "verify")) {
        err = gdx_audit_verify(paths, npaths, &vo, stdout, errstr, sizeof(errstr));
        if (err == GDX_ERR_FAIL) {
            return GDX_EXIT_FAIL; /* the FAIL line is on stdout */
        }
    } else if (!strcmp(sub, "show")) {
        err = gdx_audit_show(paths, npaths, &flt, stdout, errstr, sizeof(errstr));
    } else if (!strcmp(sub, "report")) {
        err = gdx_audit_report(paths, npaths, format, stdout, errstr, sizeof(errstr));
    } else if (!strcmp(sub, "reconcile")) {
        if (!bootstrap) {
            fprintf(stderr, "gdx audit reconcile: --bootstrap is required\n");
            return GDX_EXIT_USAGE;
        }
        err = gdx_audit_reconcile(paths, npaths, bootstrap, stdout, errstr, sizeof(errstr));
        if (err == GDX_ERR_FAIL) {
            return GDX_EXIT_FAIL;
        }
    } else if (!strcmp(sub, "prune")) {
        struct timeval tv;
        if (!days || npaths != 1) {
            fprintf(stderr, "gdx audit prune: --days N and one DIR are required\n");
            return GDX_EXIT_USAGE;
        }
        gettimeofday(&tv, NULL);
        err = gdx_audit_prune(paths[0], days, (int64_t)tv.tv_sec * 1000, dry, stdout, errstr,
                              sizeof(errstr));
    } else {
        fprintf(stderr, "gdx audit: unknown subcommand '%s'\n", sub);
        cmd_help(stderr, &cmd_audit_doc);
        return GDX_EXIT_USAGE;
    }
    fflush(stdout);
    return exit_code(err, errstr);
}
