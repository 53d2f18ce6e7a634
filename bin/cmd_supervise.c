/*
 * cmd_supervise.c - `gdx supervise DIR`: run every connector config in DIR as its own
 * process, restart with backoff, serve status and metrics (lib/gdx_supervise.c).
 *
 * Publishes its URL (stdout and --url-file, written atomically) once it listens, before the
 * children start, so that a test or an operator can watch them come up. SIGTERM or SIGINT
 * stop every child and then the supervisor (exit 0); a second one kills what is left.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "gdx_conf.h"
#include "gdx_err.h"
#include "gdx_log.h"
#include "gdx_supervise.h"

#define DEFAULT_LISTEN    "127.0.0.1:9750"
#define DEFAULT_INVENTORY "examples/xiangcheng/inventory.yaml"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gdx supervise [options] DIR\n"
            "\n"
            "Run every connector config in DIR (*.yaml, *.yml) as its own process\n"
            "('gdx connector run -c FILE'; a file whose top-level key is 'uplink:' runs\n"
            "'gdx uplink -c FILE'), restart a child that exits with exponential backoff and\n"
            "jitter, and serve the state of all of them over HTTP:\n"
            "  /          status page: every unit and system of the inventory at a glance\n"
            "  /status    the same as JSON\n"
            "  /metrics   Prometheus text format (gdx_records_total{connector,unit,system}, ...)\n"
            "\n"
            "A child that exits 78 (bad config) or 2 is left stopped with its reason until its\n"
            "file changes. A config whose connector kind is not built into this gdx is listed\n"
            "and not started. Systems of the inventory without a config are listed too.\n"
            "\n"
            "signals:\n"
            "  SIGTERM, SIGINT  stop every child within its shutdown.grace.ms (then SIGKILL),\n"
            "                   then exit 0; a second signal kills the children at once\n"
            "  SIGHUP           re-read DIR and the inventory: start new files, stop removed\n"
            "                   ones, restart changed ones (SM3 of the file), leave the rest\n"
            "Children die with the supervisor (SIGTERM); a supervisor started again waits for\n"
            "the previous one's children still stopping before it starts their configs.\n"
            "\n"
            "options:\n"
            "  --listen HOST:PORT     HTTP address (default " DEFAULT_LISTEN "; port 0 picks one;\n"
            "                         'none' serves nothing)\n"
            "  --url-file PATH        also write the URL to PATH (atomically) once listening\n"
            "  --inventory FILE       the city inventory (default " DEFAULT_INVENTORY "\n"
            "                         when it exists)\n"
            "  --no-inventory         list only the configs of DIR\n"
            "  --state-dir DIR        lock and pid file (default $GDX_STATE_DIR or /var/lib/gdx)\n"
            "  --backoff-min DURATION first restart delay (default 1s)\n"
            "  --backoff-max DURATION longest restart delay (default 60s)\n"
            "  --log-level LEVEL      the supervisor's own: error, warn, info (default), debug\n"
            "  -h, --help             this help\n"
            "\n"
            "The children's output goes to the supervisor's stderr, line by line.\n"
            "exit codes: 0 stopped by a signal, 1 runtime failure (e.g. another supervisor\n"
            "runs DIR), 2 usage, 78 DIR or the inventory unusable. See docs/supervise.md.\n");
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

int cmd_supervise(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"url-file", required_argument, NULL, 'u'},
        {"inventory", required_argument, NULL, 'i'},
        {"no-inventory", no_argument, NULL, 'I'},
        {"state-dir", required_argument, NULL, 's'},
        {"backoff-min", required_argument, NULL, 'b'},
        {"backoff-max", required_argument, NULL, 'B'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct gdx_supervise_conf conf;
    struct gdx_supervisor *sv = NULL;
    const char *url_file = NULL;
    char errstr[2048];
    int c, err, published = 0, ret;

    memset(&conf, 0, sizeof(conf));
    conf.listen = DEFAULT_LISTEN;
    conf.inventory = DEFAULT_INVENTORY;
    conf.inventory_optional = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            conf.listen = strcmp(optarg, "none") ? optarg : NULL;
            break;
        case 'u':
            url_file = optarg;
            break;
        case 'i':
            conf.inventory = optarg;
            conf.inventory_optional = 0;
            break;
        case 'I':
            conf.inventory = NULL;
            break;
        case 's':
            conf.state_dir = optarg;
            break;
        case 'b':
        case 'B': {
            int64_t ms;
            if (gdx_parse_duration(optarg, &ms) < 0 || ms <= 0) {
                fprintf(stderr, "gdx supervise: invalid duration '%s' (e.g. 500ms, 2s, 1m)\n",
                        optarg);
                return GDX_EXIT_USAGE;
            }
            if (c == 'b') {
                conf.backoff_min_ms = ms;
            } else {
                conf.backoff_max_ms = ms;
            }
            break;
        }
        case 'L': {
            int lvl = gdx_log_level_parse(optarg);
            if (lvl < 0) {
                fprintf(stderr, "gdx supervise: unknown log level '%s'\n", optarg);
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
    if (optind != argc - 1) {
        fprintf(stderr,
                optind >= argc ? "gdx supervise: missing DIR\n" : "gdx supervise: one DIR only\n");
        usage(stderr);
        return GDX_EXIT_USAGE;
    }
    if (url_file && !conf.listen) {
        fprintf(stderr, "gdx supervise: --url-file needs --listen\n");
        return GDX_EXIT_USAGE;
    }
    conf.dir = argv[optind];
    signal(SIGPIPE, SIG_IGN);
    if ((err = gdx_supervise_new(&sv, &conf, errstr, sizeof(errstr)))) {
        fprintf(stderr, "gdx supervise: %s\n", errstr);
        return exit_code(err);
    }
    if (gdx_supervise_url(sv)) {
        if (url_file && cmd_write_url_file(url_file, gdx_supervise_url(sv)) < 0) {
            fprintf(stderr, "gdx supervise: cannot write the url file '%s'\n", url_file);
            gdx_supervise_destroy(sv);
            return GDX_EXIT_FAIL;
        }
        published = url_file != NULL;
        printf("url=%s\n", gdx_supervise_url(sv));
        fflush(stdout);
    }
    err = gdx_supervise_run(sv, errstr, sizeof(errstr));
    if (err) {
        gdx_log(GDX_LOG_ERROR, "supervisor failed", " reason=\"%s\"", errstr);
        fprintf(stderr, "gdx supervise: %s\n", errstr);
    }
    ret = exit_code(err);
    if (published) {
        unlink(url_file);
    }
    gdx_supervise_destroy(sv);
    return ret;
}
