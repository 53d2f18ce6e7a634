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

static const struct cmd_opt supervise_opts[] = {
    {'l', "listen", 0, CMD_REQ, "HOST:PORT",
     "HTTP address of the status page, /status and /metrics (default " DEFAULT_LISTEN
     "; port 0 picks one; 'none' serves nothing)",
     NULL},
    {'u', "url-file", 0, CMD_REQ, "PATH", "also write the URL to PATH (atomically) once listening",
     NULL},
    {'i', "inventory", 0, CMD_REQ, "FILE",
     "the city inventory whose units and systems the status page lists (default " DEFAULT_INVENTORY
     " when it exists)",
     NULL},
    {'I', "no-inventory", 0, CMD_NONE, NULL, "list only the configs of DIR", NULL},
    {'s', "state-dir", 0, CMD_REQ, "DIR",
     "where the lock and the children's pid file live (default $GDX_STATE_DIR or /var/lib/gdx)",
     NULL},
    {'b', "backoff-min", 0, CMD_REQ, "DURATION", "first restart delay (default 1s)", NULL},
    {'B', "backoff-max", 0, CMD_REQ, "DURATION", "longest restart delay (default 60s)", NULL},
    {'L', "log-level", 0, CMD_REQ, "LEVEL",
     "the supervisor's own log level: error, warn, info (default) or debug", NULL},
    CMD_OPT_END,
};

static const struct cmd_item supervise_env[] = {
    {"GDX_STATE_DIR", "default of --state-dir"},
    {NULL, NULL},
};

static const struct cmd_item supervise_examples[] = {
    {"gdx supervise --listen 127.0.0.1:9750 /etc/gdx/connectors.d",
     "run every connector of the host; the status page is http://127.0.0.1:9750/"},
    {"kill -HUP $(pidof -s gdx)", "reload after adding, removing or editing configs"},
    {NULL, NULL},
};

const struct cmd_doc cmd_supervise_doc = {
    .name = "supervise",
    .summary = "run every connector config of a directory, restart, serve metrics",
    .args = "[options] DIR",
    .opts = supervise_opts,
    .description =
        "Runs every connector config in DIR (*.yaml, *.yml) as its own process ('gdx connector "
        "run -c FILE'; a file whose top-level key is 'uplink:' runs 'gdx uplink -c FILE'), "
        "restarts a child that exits with exponential backoff and jitter, and serves the state "
        "of all of them over HTTP: / is the status page (every unit and system of the "
        "inventory at a glance), /status the same as JSON, /metrics the Prometheus text format "
        "(gdx_records_total{connector,unit,system}, ...).\n\n"
        "A child that exits 78 (bad config) or 2 is left stopped with its reason until its "
        "file changes. A config whose connector kind is not built into this gdx is listed and "
        "not started. Systems of the inventory without a config are listed too.\n\n"
        "SIGTERM or SIGINT stop every child within its shutdown.grace.ms (then SIGKILL) and "
        "exit 0; a second signal kills the children at once. SIGHUP re-reads DIR and the "
        "inventory: new files start, removed ones stop, changed ones (SM3 of the file) "
        "restart, the rest are left alone. Children die with the supervisor (SIGTERM); a "
        "supervisor started again waits for the previous one's children still stopping before "
        "it starts their configs. The children's output goes to the supervisor's stderr, line "
        "by line. See docs/supervise.md.",
    .exit_status = "0 stopped by a signal; 1 runtime failure (e.g. another supervisor runs "
                   "DIR); 2 usage; 78 DIR or the inventory unusable.",
    .env = supervise_env,
    .examples = supervise_examples,
    .see_also = "gdx-connector(1), gdx-uplink(1)",
};

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
    struct cmd_parser p;
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
    cmd_parser_init(&p, &cmd_supervise_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
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
            cmd_help(stdout, &cmd_supervise_doc);
            return GDX_EXIT_OK;
        default:
            fprintf(stderr, "usage: gdx supervise [options] DIR (gdx supervise --help)\n");
            return GDX_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr,
                optind >= argc ? "gdx supervise: missing DIR\n" : "gdx supervise: one DIR only\n");
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
