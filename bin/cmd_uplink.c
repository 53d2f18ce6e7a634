/*
 * gdx uplink - forward authorised city topics to the provincial cluster, exactly once.
 *
 *   gdx uplink -c FILE [--once] [--accept-gap TOPIC/PARTITION]... [--log-level LEVEL]
 *   gdx uplink check -c FILE
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_log.h"
#include "gdx_uplink.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gdx uplink [run] -c FILE [--once] [--accept-gap TOPIC/PARTITION]...\n"
            "       gdx uplink check -c FILE\n\n"
            "Forward the city topics the egress policy allows to the provincial cluster,\n"
            "exactly once (docs/uplink.md).\n\n"
            "  run      forward until SIGTERM (the default); with --once, until every owned\n"
            "           partition is forwarded to its end\n"
            "  check    validate the config, create the clients (TLS/SASL applied), reach both\n"
            "           clusters, move no data\n\n"
            "options:\n"
            "  -c, --config FILE          uplink YAML file\n"
            "      --once                 exit once every owned partition is forwarded\n"
            "      --accept-gap T/P       continue past a retention gap of topic T partition P\n"
            "                             (the loss is logged and recorded with the positions)\n"
            "      --log-level L          error, warn, info (default) or debug\n"
            "  -h, --help                 this help\n\n"
            "exit codes: 0 ok, 1 runtime failure (or a partition stopped at a gap with --once),\n"
            "2 usage, 78 bad config or a policy refusal at start\n");
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

int cmd_uplink(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, 'o'},
        {"accept-gap", required_argument, NULL, 'g'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *gaps[64];
    size_t ngaps = 0;
    int once = 0, check = 0, c, err;
    char errstr[2048] = "";
    struct gdx_uplink *up = NULL;

    if (argc >= 2 && (!strcmp(argv[1], "check") || !strcmp(argv[1], "run"))) {
        check = !strcmp(argv[1], "check");
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
        case 'g':
            if (ngaps == sizeof(gaps) / sizeof(gaps[0])) {
                fprintf(stderr, "gdx uplink: too many --accept-gap options\n");
                return GDX_EXIT_USAGE;
            }
            gaps[ngaps++] = optarg;
            break;
        case 'l': {
            int lvl = gdx_log_level_parse(optarg);
            if (lvl < 0) {
                fprintf(stderr, "gdx uplink: unknown log level '%s'\n", optarg);
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
    if (!config || optind < argc) {
        usage(stderr);
        return GDX_EXIT_USAGE;
    }
    if ((err = gdx_uplink_new(&up, config, errstr, sizeof(errstr)))) {
        fprintf(stderr, "gdx uplink: %s\n", errstr);
        return exit_code(err);
    }
    for (size_t i = 0; i < ngaps; i++) {
        if ((err = gdx_uplink_accept_gap(up, gaps[i], errstr, sizeof(errstr)))) {
            fprintf(stderr, "gdx uplink: %s\n", errstr);
            gdx_uplink_destroy(up);
            return exit_code(err);
        }
    }
    if (check) {
        err = gdx_uplink_check(up, stdout, errstr, sizeof(errstr));
    } else {
        cmd_install_signals();
        err = gdx_uplink_run(up, once, cmd_stop_flag(), errstr, sizeof(errstr));
    }
    if (err) {
        gdx_log(GDX_LOG_ERROR, "uplink failed", " reason=\"%s\"", errstr);
        fprintf(stderr, "gdx uplink: %s\n", errstr);
    }
    gdx_uplink_destroy(up);
    return exit_code(err);
}
