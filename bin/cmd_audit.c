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

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gdx audit verify [--trust FILE] [--checkpoint LINE|FILE]\n"
            "                        [--kafka BOOTSTRAP [--topic _gdx.audit]] [--strict] PATH...\n"
            "   or: gdx audit show [--unit U] [--system S] [--since T] [--until T] [--type E]\n"
            "                      [--json] PATH...\n"
            "   or: gdx audit report [--format csv|md] PATH...\n"
            "   or: gdx audit reconcile --bootstrap SERVERS PATH...\n"
            "   or: gdx audit prune --days N [--dry-run] DIR\n\n"
            "PATH is an audit file (<actor>-YYYYMMDD[.N].jsonl[.gz]) or a directory of them.\n"
            "verify prints OK or the first broken place (exit 1); an unsealed tail is a\n"
            "warning unless --strict. The trust file has lines 'key_id public-key.pem'.\n"
            "Times are RFC 3339 or YYYY-MM-DD (+08:00). The format: docs/audit.md.\n");
}

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
    enum {
        O_TRUST = 256,
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
    static const struct option longopts[] = {
        {"trust", required_argument, NULL, O_TRUST},
        {"checkpoint", required_argument, NULL, O_CP},
        {"kafka", required_argument, NULL, O_KAFKA},
        {"topic", required_argument, NULL, O_TOPIC},
        {"strict", no_argument, NULL, O_STRICT},
        {"unit", required_argument, NULL, O_UNIT},
        {"system", required_argument, NULL, O_SYSTEM},
        {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL},
        {"type", required_argument, NULL, O_TYPE},
        {"json", no_argument, NULL, O_JSON},
        {"format", required_argument, NULL, O_FORMAT},
        {"bootstrap", required_argument, NULL, O_BOOT},
        {"days", required_argument, NULL, O_DAYS},
        {"dry-run", no_argument, NULL, O_DRY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct gdx_audit_verify_opts vo = {0};
    struct gdx_audit_filter flt = {0};
    const char *format = "csv", *bootstrap = NULL, *sub;
    long days = 0;
    int dry = 0, c, err;
    char errstr[1024] = "";

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GDX_EXIT_USAGE : GDX_EXIT_OK;
    }
    sub = argv[1];
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
            usage(stdout);
            return GDX_EXIT_OK;
        default:
            usage(stderr);
            return GDX_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "gdx audit %s: no PATH given\n", sub);
        usage(stderr);
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
        usage(stderr);
        return GDX_EXIT_USAGE;
    }
    fflush(stdout);
    return exit_code(err, errstr);
}
