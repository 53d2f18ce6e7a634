/*
 * gdx connector - run, check or describe one connector.
 *
 *   gdx connector run -c FILE [--once]
 *   gdx connector check -c FILE
 *   gdx connector spec [KIND]
 *   gdx connector offsets show|reset|set -c FILE [--offset JSON]
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_runtime.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: gdx connector run -c FILE [--once] [--log-level LEVEL]\n"
                 "       gdx connector check -c FILE\n"
                 "       gdx connector spec [KIND]\n"
                 "       gdx connector offsets show|reset|set -c FILE [--offset JSON]\n\n"
                 "  run      run the connector until SIGTERM; with --once, until the source is "
                 "drained\n"
                 "  check    validate the config, reach the source and Kafka, move no data\n"
                 "  spec     print the config keys of every connector file, or of KIND's source\n"
                 "  offsets  show, reset (to the start) or set the committed source position;\n"
                 "           refused while the connector runs\n\n"
                 "options:\n"
                 "  -c, --config FILE    connector YAML file\n"
                 "      --once           exit 0 once the source is drained\n"
                 "      --offset JSON    the position for 'offsets set'\n"
                 "      --log-level L    error, warn, info (default) or debug\n"
                 "  -h, --help           this help\n\n"
                 "exit codes: 0 ok, 1 runtime failure, 2 usage, 78 bad config\n");
}

static int exit_code(int err)
{
    switch (err) {
    case GDX_OK:
        return GDX_EXIT_OK;
    case GDX_ERR_CONFIG:
    case GDX_ERR_SCHEMA:
        return GDX_EXIT_CONFIG;
    case GDX_ERR_USAGE:
        return GDX_EXIT_USAGE;
    default:
        return GDX_EXIT_FAIL;
    }
}

int cmd_connector(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"once", no_argument, NULL, 'o'},
        {"offset", required_argument, NULL, 'O'}, {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *offset = NULL, *sub, *verb = NULL;
    int once = 0, c;
    char errstr[2048] = "";
    struct gdx_runtime *rt = NULL;
    int err;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? GDX_EXIT_USAGE : GDX_EXIT_OK;
    }
    sub = argv[1];
    argc--;
    argv++;
    if (!strcmp(sub, "offsets")) {
        if (argc < 2 || argv[1][0] == '-') {
            fprintf(stderr, "gdx connector offsets: expected show, reset or set\n");
            return GDX_EXIT_USAGE;
        }
        verb = argv[1];
        argc--;
        argv++;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'o':
            once = 1;
            break;
        case 'O':
            offset = optarg;
            break;
        case 'l': {
            int lvl = gdx_log_level_parse(optarg);
            if (lvl < 0) {
                fprintf(stderr, "gdx connector: unknown log level '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            gdx_log_set_level(lvl);
            break;
        }
        case 'h':
            usage(stdout);
            return GDX_EXIT_OK;
        default:
            usage(stderr);
            return GDX_EXIT_USAGE;
        }
    }

    if (!strcmp(sub, "spec")) {
        if (optind < argc) {
            const struct gdx_connector *conn = gdx_connector_find(argv[optind]);
            if (!conn) {
                fprintf(stderr, "gdx connector spec: unknown kind '%s'\n", argv[optind]);
                return GDX_EXIT_USAGE;
            }
            gdx_runtime_spec(stdout, conn);
            printf("\n");
            gdx_limits_print(stdout);
        } else {
            gdx_runtime_spec(stdout, NULL);
            printf("\nconnector kinds:\n");
            for (size_t i = 0; gdx_connectors[i]; i++) {
                printf("  %-10s %s\n", gdx_connectors[i]->name, gdx_connectors[i]->description);
            }
            printf("\n");
            gdx_limits_print(stdout);
        }
        return GDX_EXIT_OK;
    }
    if (strcmp(sub, "run") && strcmp(sub, "check") && strcmp(sub, "offsets")) {
        fprintf(stderr, "gdx connector: unknown subcommand '%s'\n", sub);
        usage(stderr);
        return GDX_EXIT_USAGE;
    }
    if (!config) {
        fprintf(stderr, "gdx connector %s: missing -c FILE\n", sub);
        return GDX_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "gdx connector %s: unexpected argument '%s'\n", sub, argv[optind]);
        return GDX_EXIT_USAGE;
    }
    err = gdx_runtime_new(&rt, config, errstr, sizeof(errstr));
    if (err) {
        fprintf(stderr, "gdx: %s\n", errstr);
        return exit_code(err);
    }
    if (!strcmp(sub, "run")) {
        cmd_install_signals();
        err = gdx_runtime_run(rt, once, cmd_stop_flag(), errstr, sizeof(errstr));
    } else if (!strcmp(sub, "check")) {
        err = gdx_runtime_check(rt, stdout, errstr, sizeof(errstr));
    } else if (!strcmp(verb, "show")) {
        err = gdx_runtime_offsets_show(rt, stdout, errstr, sizeof(errstr));
    } else if (!strcmp(verb, "reset")) {
        err = gdx_runtime_offsets_set(rt, NULL, errstr, sizeof(errstr));
    } else if (!strcmp(verb, "set")) {
        if (!offset) {
            fprintf(stderr, "gdx connector offsets set: missing --offset JSON\n");
            gdx_runtime_destroy(rt);
            return GDX_EXIT_USAGE;
        }
        err = gdx_runtime_offsets_set(rt, offset, errstr, sizeof(errstr));
    } else {
        fprintf(stderr, "gdx connector offsets: unknown action '%s'\n", verb);
        gdx_runtime_destroy(rt);
        return GDX_EXIT_USAGE;
    }
    if (err) {
        gdx_log(GDX_LOG_ERROR, errstr, NULL);
        if (!strcmp(sub, "check") || !strcmp(sub, "offsets")) {
            fprintf(stderr, "gdx: %s\n", errstr);
        }
    }
    gdx_runtime_destroy(rt);
    return exit_code(err);
}
