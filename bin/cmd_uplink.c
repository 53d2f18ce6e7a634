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

enum { O_ONCE = CMD_LONG(1), O_GAP, O_LOGLEVEL };

static const struct cmd_opt uplink_opts[] = {
    {'c', "config", 'c', CMD_REQ, "FILE", "the uplink's YAML file", NULL},
    {O_ONCE, "once", 0, CMD_NONE, NULL, "exit once every owned partition is forwarded", "run"},
    {O_GAP, "accept-gap", 0, CMD_REQ, "TOPIC/PARTITION",
     "continue past a retention gap of the partition (the loss is logged and recorded with "
     "the positions); repeatable",
     "run"},
    {O_LOGLEVEL, "log-level", 0, CMD_REQ, "LEVEL", "error, warn, info (default) or debug", NULL},
    CMD_OPT_END,
};

static const struct cmd_sub uplink_subs[] = {
    {"run", "-c FILE [--once] [--accept-gap TOPIC/PARTITION]...",
     "forward until SIGTERM (the default when no subcommand is given); with --once, until "
     "every owned partition is forwarded to its end"},
    {"check", "-c FILE",
     "validate the config, create the clients (TLS/SASL applied), reach both clusters, move "
     "no data"},
    {NULL, NULL, NULL},
};

static const struct cmd_item uplink_files[] = {
    {"/etc/gdx/uplink.yaml", "the uplink's configuration, run by gdx-uplink.service"},
    {NULL, NULL},
};

const struct cmd_doc cmd_uplink_doc = {
    .name = "uplink",
    .summary = "forward authorised topics to the provincial cluster, exactly once",
    .subs = uplink_subs,
    .opts = uplink_opts,
    .description = "Forwards the city topics the egress policy allows to the provincial "
                   "cluster: the forwarded records and the positions read commit in one "
                   "provincial transaction. Topics whose schema says gdx.share none never "
                   "leave; conditional ones need an approval id; field protections of the "
                   "destination are applied to the values. The city side (source) starts from "
                   "the host's deployment file like every gdx client; the provincial side is "
                   "configured in the uplink's file. Every key is in docs/uplink.md.",
    .exit_status = "0 ok, 1 runtime failure (or a partition stopped at a gap with --once), 2 "
                   "usage, 78 bad config or a policy refusal at start.",
    .files = uplink_files,
    .see_also = "gdx-connector(1), gdx-audit(1)",
};

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
    struct cmd_parser p;
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
    cmd_parser_init(&p, &cmd_uplink_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case O_ONCE:
            once = 1;
            break;
        case O_GAP:
            if (ngaps == sizeof(gaps) / sizeof(gaps[0])) {
                fprintf(stderr, "gdx uplink: too many --accept-gap options\n");
                return GDX_EXIT_USAGE;
            }
            gaps[ngaps++] = optarg;
            break;
        case O_LOGLEVEL: {
            int lvl = gdx_log_level_parse(optarg);
            if (lvl < 0) {
                fprintf(stderr, "gdx uplink: unknown log level '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            gdx_log_set_level(lvl);
            break;
        }
        case 'h':
            cmd_help(stdout, &cmd_uplink_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (!config || optind < argc) {
        cmd_help(stderr, &cmd_uplink_doc);
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
