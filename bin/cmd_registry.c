/*
 * cmd_registry.c - `gdx registry`: the embedded schema registry for demos and tests.
 *
 * Rebuilds its state from the `_schemas` topic (lib/gdx_regserver.c), then serves the
 * Confluent REST API and publishes its URL (stdout and --url-file, written atomically) only
 * once it answers, so a test that sees the file can use it. While Kafka cannot be reached at
 * start it retries every second until stopped. SIGTERM or SIGINT stop it with exit 0; the
 * URL file is removed on the way out.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "gdx_err.h"
#include "gdx_kafka.h"
#include "gdx_log.h"
#include "gdx_regserver.h"

static const struct cmd_opt registry_opts[] = {
    {'l', "listen", 0, CMD_REQ, "HOST:PORT",
     "address to serve (default 127.0.0.1:8081; port 0 picks one)", NULL},
    {'u', "url-file", 0, CMD_REQ, "PATH", "also write the URL to PATH (atomically)", NULL},
    {'b', "bootstrap", 0, CMD_REQ, "LIST", "Kafka bootstrap servers (default $GDX_BOOTSTRAP)",
     NULL},
    {'t', "topic", 0, CMD_REQ, "NAME", "storage topic (default _schemas)", NULL},
    {'X', NULL, 'X', CMD_REQ, "NAME=VALUE", "extra librdkafka property (repeatable)", NULL},
    {'L', "log-level", 0, CMD_REQ, "LEVEL", "error, warn, info (default) or debug", NULL},
    CMD_OPT_END,
};

const struct cmd_doc cmd_registry_doc = {
    .name = "registry",
    .summary = "embedded schema registry for demos and tests (Confluent API)",
    .args = "[options]",
    .opts = registry_opts,
    .description = "Speaks the Confluent Schema Registry REST API (subjects, versions, ids, "
                   "lookup, compatibility, config, delete) and stores its state in the "
                   "one-partition compacted topic _schemas exactly as Confluent's does, so a "
                   "restart keeps every id. Global compatibility default: BACKWARD. Prints "
                   "'url=http://HOST:PORT' once ready; runs until SIGTERM or SIGINT. Production "
                   "uses Confluent Schema Registry, Apicurio or Karapace "
                   "(broker-config/registry/ has their settings).",
    .see_also = "gdx-broker(1)",
};

/* a logfmt value in quotes */
static const char *quote(const char *s, char *buf, size_t size)
{
    size_t o = 0;

    buf[o++] = '"';
    for (; *s && o + 3 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
        }
        buf[o++] = c < 0x20 ? ' ' : (char)c;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

int cmd_registry(int argc, char **argv)
{
    struct cmd_parser p;
    const char *listen = "127.0.0.1:8081", *url_file = NULL, *topic = GDX_REGSERVER_TOPIC;
    const char *bootstrap = getenv("GDX_BOOTSTRAP");
    struct gdx_kafka_conf kc;
    struct gdx_regserver *srv = NULL;
    char **props = NULL, *bootstrap_copy = NULL, errstr[1024], q[1100];
    size_t nprops = 0;
    int opt, err = GDX_OK, ret = GDX_EXIT_FAIL, published = 0, warned = 0;

    optind = 1;
    cmd_parser_init(&p, &cmd_registry_doc, 0);
    while ((opt = cmd_getopt(&p, argc, argv)) != -1) {
        switch (opt) {
        case 'l':
            listen = optarg;
            break;
        case 'u':
            url_file = optarg;
            break;
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'X': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                fprintf(stderr, "gdx registry: invalid -X '%s': expected NAME=VALUE\n", optarg);
                ret = GDX_EXIT_USAGE;
                goto out;
            }
            props = realloc(props, (2 * nprops + 2) * sizeof(*props));
            if (!props) {
                abort();
            }
            props[2 * nprops] = strndup(optarg, (size_t)(eq - optarg));
            props[2 * nprops + 1] = strdup(eq + 1);
            nprops++;
            break;
        }
        case 'L':
            if (gdx_log_level_parse(optarg) < 0) {
                fprintf(stderr, "gdx registry: invalid --log-level '%s'\n", optarg);
                ret = GDX_EXIT_USAGE;
                goto out;
            }
            gdx_log_set_level(gdx_log_level_parse(optarg));
            break;
        case 'h':
            cmd_help(stdout, &cmd_registry_doc);
            ret = GDX_EXIT_OK;
            goto out;
        default:
            cmd_help(stderr, &cmd_registry_doc);
            ret = GDX_EXIT_USAGE;
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gdx registry: unexpected argument '%s'\n", argv[optind]);
        ret = GDX_EXIT_USAGE;
        goto out;
    }
    if (!bootstrap || !*bootstrap) {
        fprintf(stderr, "gdx registry: no Kafka: give --bootstrap or set GDX_BOOTSTRAP\n");
        ret = GDX_EXIT_USAGE;
        goto out;
    }
    kc.bootstrap = bootstrap_copy = strdup(bootstrap);
    kc.props = props;
    kc.nprops = nprops;

    cmd_install_signals();
    while (!cmd_stopping()) {
        srv = gdx_regserver_new(&kc, topic, &err, errstr, sizeof(errstr));
        if (srv || err != GDX_ERR_RETRY) {
            break;
        }
        if (!warned) {
            gdx_log(GDX_LOG_WARN, "kafka not reachable yet, retrying", " error=%s",
                    quote(errstr, q, sizeof(q)));
            warned = 1;
        }
        sleep(1);
    }
    if (!srv) {
        if (cmd_stopping()) {
            ret = GDX_EXIT_OK;
            goto out;
        }
        gdx_log(GDX_LOG_ERROR, "cannot load the registry state", " error=%s",
                quote(errstr, q, sizeof(q)));
        ret = err == GDX_ERR_CONFIG ? GDX_EXIT_CONFIG : GDX_EXIT_FAIL;
        goto out;
    }
    if ((err = gdx_regserver_listen(srv, listen, errstr, sizeof(errstr))) != GDX_OK) {
        gdx_log(GDX_LOG_ERROR, "cannot serve", " error=%s", quote(errstr, q, sizeof(q)));
        ret = err == GDX_ERR_USAGE ? GDX_EXIT_USAGE : GDX_EXIT_FAIL;
        goto out;
    }
    if (url_file && cmd_write_url_file(url_file, gdx_regserver_url(srv)) != 0) {
        gdx_log(GDX_LOG_ERROR, "cannot write the url file", " path=%s error=%s",
                quote(url_file, q, sizeof(q)), strerror(errno));
        goto out;
    }
    published = 1;
    printf("url=%s\n", gdx_regserver_url(srv));
    fflush(stdout);
    gdx_log(GDX_LOG_INFO, "registry ready", " url=%s topic=%s", gdx_regserver_url(srv), topic);
    while (!cmd_stopping()) {
        usleep(200 * 1000);
    }
    gdx_log(GDX_LOG_INFO, "registry stopping", NULL);
    ret = GDX_EXIT_OK;
out:
    if (published && url_file) {
        unlink(url_file);
    }
    gdx_regserver_destroy(srv);
    for (size_t i = 0; i < 2 * nprops; i++) {
        free(props[i]);
    }
    free(props);
    free(bootstrap_copy);
    return ret;
}
