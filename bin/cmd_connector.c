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
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_runtime.h"

enum { O_ONCE = CMD_LONG(1), O_OFFSET, O_LOGLEVEL };

static const struct cmd_opt connector_opts[] = {
    {'c', "config", 'c', CMD_REQ, "FILE", "the connector's YAML file", "run check offsets"},
    {O_ONCE, "once", 0, CMD_NONE, NULL, "exit 0 once the source is drained", "run"},
    {O_OFFSET, "offset", 0, CMD_REQ, "JSON", "the position for 'offsets set'", "offsets"},
    {O_LOGLEVEL, "log-level", 0, CMD_REQ, "LEVEL", "error, warn, info (default) or debug", NULL},
    CMD_OPT_END,
};

static const struct cmd_sub connector_subs[] = {
    {"run", "-c FILE [--once] [--log-level LEVEL]",
     "run the connector until SIGTERM; with --once, until the source is drained"},
    {"check", "-c FILE", "validate the config, reach the source and Kafka, move no data"},
    {"spec", "[KIND]", "print the config keys of every connector file, or of KIND's source"},
    {"offsets", "show|reset|set -c FILE [--offset JSON]",
     "show, reset (to the start) or set the committed source position; refused while the "
     "connector runs"},
    {NULL, NULL, NULL},
};

static const struct cmd_item connector_env[] = {
    {"GDX_DEPLOYMENT", "the deployment file whose kafka, tls, schema.registry and offsets.topic "
                       "settings every connector file starts from (default "
                       "/etc/gdx/deployment.yaml when it exists)"},
    {"GDX_STATE_DIR", "where the per-host lock of a connector id lives (default /var/lib/gdx)"},
    {NULL, NULL},
};

static const struct cmd_item connector_files[] = {
    {"/etc/gdx/connectors.d/<unit>.<system>.yaml",
     "one connector file per system, run by gdx-connector@<unit>.<system>.service or by "
     "gdx-supervise.service"},
    {"/etc/gdx/deployment.yaml", "the host's Kafka, TLS and registry settings"},
    {NULL, NULL},
};

static const struct cmd_item connector_examples[] = {
    {"gdx connector check -c /etc/gdx/connectors.d/hotline12345.workorders.yaml",
     "Validate a connector file and reach its source and Kafka:"},
    {"gdx connector spec file", "The keys of the file connector's source section:"},
    {NULL, NULL},
};

/* CONFIGURATION: the same tables as `gdx connector spec` */
static void connector_man_extra(FILE *out)
{
    fputs(".SH CONFIGURATION\n", out);
    cmd_man_text(out, "Keys of every connector file (the runtime's table, as `gdx connector "
                      "spec` prints it):");
    for (const struct gdx_runtime_doc *d = gdx_runtime_docs(); d->key; d++) {
        char *text = NULL;
        if (asprintf(&text, "%s%s%s", d->doc, d->def ? "; default: " : " (required)",
                     d->def ? d->def : "") < 0) {
            abort();
        }
        fputs(".TP\n.B ", out);
        cmd_man_text(out, d->key);
        cmd_man_text(out, text);
        free(text);
    }
    for (size_t i = 0; gdx_connectors[i]; i++) {
        const struct gdx_connector *conn = gdx_connectors[i];
        char *title = NULL;
        if (asprintf(&title, "kind: %s", conn->name) < 0) {
            abort();
        }
        fputs(".SS ", out);
        cmd_man_text(out, title);
        free(title);
        cmd_man_text(out, conn->description);
        for (const struct gdx_conf_prop *p = conn->props; p && p->name; p++) {
            static const char *const tn[] = {"string", "integer",  "boolean", "secret",
                                             "list",   "duration", "size"};
            char *text = NULL;
            if (asprintf(&text, "%s (%s%s%s)%s%s", p->doc, tn[p->type],
                         p->defval ? ", default: " : ", required", p->defval ? p->defval : "",
                         p->choices ? "; one of: " : "", p->choices ? p->choices : "") < 0) {
                abort();
            }
            fputs(".TP\n.B source.", out);
            cmd_man_text(out, p->name);
            cmd_man_text(out, text);
            free(text);
        }
    }
}

const struct cmd_doc cmd_connector_doc = {
    .name = "connector",
    .summary = "run, check or describe one connector: one departmental system to one topic",
    .subs = connector_subs,
    .opts = connector_opts,
    .description = "A connector reads one departmental system (a drop folder, a database table, "
                   "a REST API, a program), maps each row onto the topic's Avro schema, protects "
                   "personal data as the schema labels it, and produces the records, dead "
                   "letters and the new source position in one Kafka transaction.",
    .env = connector_env,
    .files = connector_files,
    .examples = connector_examples,
    .see_also = "gdx-tail(1), gdx-audit(1), gdx-topics(1)",
    .man_extra = connector_man_extra,
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

int cmd_connector(int argc, char **argv)
{
    struct cmd_parser p;
    const char *config = NULL, *offset = NULL, *sub, *verb = NULL;
    int once = 0, c;
    char errstr[2048] = "";
    struct gdx_runtime *rt = NULL;
    int err;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cmd_help(argc < 2 ? stderr : stdout, &cmd_connector_doc);
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
    cmd_parser_init(&p, &cmd_connector_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case O_ONCE:
            once = 1;
            break;
        case O_OFFSET:
            offset = optarg;
            break;
        case O_LOGLEVEL: {
            int lvl = gdx_log_level_parse(optarg);
            if (lvl < 0) {
                fprintf(stderr, "gdx connector: unknown log level '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            gdx_log_set_level(lvl);
            break;
        }
        case 'h':
            cmd_help(stdout, &cmd_connector_doc);
            return GDX_EXIT_OK;
        default:
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
        cmd_help(stderr, &cmd_connector_doc);
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
