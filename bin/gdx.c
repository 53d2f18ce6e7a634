/*
 * gdx - the multi-call binary. Each command is a thin entry point in bin/cmd_<name>.c that
 * parses its arguments, wires lib/ calls and returns an exit status: 0 ok, 1 runtime
 * failure, 2 usage, 78 bad config.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_log.h"

static const struct gdx_cmd commands[] = {
    {"connector", cmd_connector, "run, check or describe a connector (gdx connector --help)"},
    {"tail", cmd_tail, "decode the Avro records of a topic to JSON lines"},
    {"broker", cmd_broker, "embedded Kafka for demos and tests (librdkafka mock cluster)"},
    {"decrypt", cmd_decrypt, "print the plaintext of enc:v1 envelopes (for key holders)"},
    {"keygen", cmd_keygen, "create an SM2 key pair or a data key file (mode 0600)"},
    {"schema", cmd_schema, "lint schemas, check compatibility with previous versions"},
    {"catalog", cmd_catalog, "generate the data-resource catalog (Markdown or HTML)"},
    {"registry", cmd_registry, "embedded schema registry for demos and tests (Confluent API)"},
    {"uplink", cmd_uplink, "forward authorised topics to the provincial cluster, exactly once"},
    {"audit", cmd_audit, "verify, show, report and reconcile the audit trail"},
};

static volatile sig_atomic_t stop_requested;
static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    stop_flag = 1;
}

void cmd_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cmd_stopping(void)
{
    return stop_requested != 0;
}

const volatile int *cmd_stop_flag(void)
{
    return &stop_flag;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: gdx <command> [<args>]\n\n"
                 "gdx connects departmental systems to Kafka as Avro records.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
    }
    fprintf(out, "\nRun 'gdx <command> --help' for a command's options.\n"
                 "Exit codes: 0 ok, 1 runtime failure, 2 usage, 78 bad config.\n");
}

int main(int argc, char **argv)
{
    /*
     * No glibc fastbins. librdkafka allocates every message and each of its headers on the
     * producing thread and frees them on another (the delivery report's), and its large
     * buffers make glibc consolidate the fastbins again and again: with fastbins, a
     * connector spent a quarter of its samples in _int_malloc, free, unlink_chunk and
     * malloc_consolidate. Without them (tcache and the small bins remain) the connector
     * needs about 30 % less CPU per record and the raw producer about 45 % less
     * (docs/performance.md).
     */
    mallopt(M_MXFAST, 0);
    if (argc < 2) {
        usage(stderr);
        return GDX_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return GDX_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("gdx %s\n", GDX_VERSION);
        return GDX_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(argv[1], commands[i].name)) {
            gdx_log_set_component(commands[i].name);
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "gdx: '%s' is not a gdx command. See 'gdx --help'.\n", argv[1]);
    return GDX_EXIT_USAGE;
}
