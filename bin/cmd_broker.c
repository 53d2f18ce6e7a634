/*
 * cmd_broker.c - `gdx broker`: embedded Kafka for demos and tests, and `gdx broker ctl`,
 * its control client.
 *
 * The server starts librdkafka's mock cluster (lib/gdx_broker.c), pre-creates the topics
 * of a topics file and of --topic flags, opens the control socket, and only then publishes
 * the bootstrap list (stdout and --bootstrap-file, written atomically): a test that sees the
 * file can use both Kafka and the control socket at once. The main thread serves the socket
 * with poll(2) on a 200 ms tick and checks for SIGTERM/SIGINT on every tick; the mock runs
 * on its own thread. On the way out it removes the socket and the bootstrap file (they would
 * point at nothing) and destroys the cluster before its rd_kafka_t.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "gdx_broker.h"
#include "gdx_err.h"
#include "gdx_log.h"

#define DEFAULT_TOPICS  "broker-config/topics.yaml"
#define DEFAULT_BROKERS 3
#define MAX_CLIENTS     16
#define TICK_MS         200
#define CTL_TIMEOUT_MS  10000
#define REPLY_MAX       2048

struct client {
    int fd;
    size_t len;
    char buf[GDX_BROKER_LINE_MAX + 1];
};

#define XSTR(x) #x
#define STR(x)  XSTR(x)

static const struct cmd_opt broker_opts[] = {
    {'b', "brokers", 0, CMD_REQ, "N",
     "number of brokers, ids 1..N (default " STR(DEFAULT_BROKERS) ", max " STR(
         GDX_BROKER_MAX_BROKERS) ")",
     "run"},
    {'f', "bootstrap-file", 0, CMD_REQ, "PATH",
     "also write the bootstrap list to PATH (atomically)", "run"},
    {'t', "topics", 0, CMD_REQ, "PATH",
     "topics file to pre-create (default " DEFAULT_TOPICS " when it exists)", "run"},
    {'N', "no-topics", 0, CMD_NONE, NULL, "do not read the default topics file", "run"},
    {'T', "topic", 0, CMD_REQ, "NAME:PARTITIONS", "pre-create one more topic (repeatable)", "run"},
    {'c', "control", 0, CMD_REQ, "PATH",
     "run: serve fault commands on a UNIX socket (mode 0600); ctl: the broker's control socket",
     NULL},
    {'l', "log-level", 0, CMD_REQ, "LEVEL", "error, warn, info (default) or debug", "run"},
    {'w', "timeout", 0, CMD_REQ, "MS",
     "wait this long for the reply (default " STR(CTL_TIMEOUT_MS) ")", "ctl"},
    CMD_OPT_END,
};

static const struct cmd_sub broker_subs[] = {
    {"run", "[options]",
     "run the embedded cluster (the default when no subcommand is given): prints "
     "'bootstrap=HOST:PORT,...' on stdout once ready and runs until SIGTERM, SIGINT or the "
     "control command 'stop'"},
    {"ctl", "--control PATH COMMAND [ARGS...]",
     "send one control command; exits 0 on 'ok', 1 on 'error' or no answer, 2 on usage"},
    {NULL, NULL, NULL},
};

const struct cmd_doc cmd_broker_doc = {
    .name = "broker",
    .summary = "embedded Kafka for demos and tests (librdkafka mock cluster)",
    .subs = broker_subs,
    .opts = broker_opts,
    .description =
        "librdkafka's mock cluster speaking the Kafka protocol on 127.0.0.1 (no TLS, SASL, ACLs "
        "or admin requests; production uses a real Kafka 3.x cluster configured from "
        "broker-config/). Topics that are not pre-created are created by the mock on first use "
        "with " STR(
            GDX_BROKER_AUTO_PARTS) " partitions (fixed by librdkafka 2.0.2; it has no "
                                   "setting for it). A partition keeps only its newest ~5 MiB.\n\n"
                                   "Control commands (one per line; reply 'ok ...' or 'error "
                                   "<reason>'):\n"
                                   "ping | bootstrap | help | stop\n"
                                   "down <broker-id|all>; up <broker-id|all>\n"
                                   "rtt <broker-id|all> <ms>\n"
                                   "errors <ApiName|ApiKey> <count> <ErrName>, e.g. errors Produce "
                                   "3 "
                                   "NOT_LEADER_OR_FOLLOWER\n"
                                   "errors-rtt <broker-id> <ApiName> <ErrName> <rtt-ms> [<ErrName> "
                                   "<rtt-ms>...]\n"
                                   "clear <ApiName|ApiKey>\n"
                                   "create-topic <name> <partitions> [<replication>]\n"
                                   "leader <topic> <partition> <broker-id> (on a topic the mock "
                                   "does not know, it creates "
                                   "the topic)\n"
                                   "coordinator <transaction|group> <key> <broker-id>\n\n"
                                   "ApiName: Produce, Fetch, ListOffsets, Metadata, OffsetCommit, "
                                   "OffsetFetch, "
                                   "FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup, "
                                   "InitProducerId, "
                                   "AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, "
                                   "ApiVersions. ErrName: as "
                                   "librdkafka names them (NOT_LEADER_FOR_PARTITION, "
                                   "REQUEST_TIMED_OUT, _TRANSPORT, ...) or "
                                   "a number.",
    .see_also = "gdx-registry(1), gdx-topics(1)",
};

/* Copy @p s into @p buf as a logfmt-safe quoted value. */
static const char *quote(const char *s, char *buf, size_t size)
{
    size_t o = 0;

    if (size < 3) {
        return "\"\"";
    }
    buf[o++] = '"';
    for (; *s && o + 3 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20) {
            buf[o++] = ' ';
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static int parse_count(const char *s, int min, int max, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int make_sockaddr(const char *path, struct sockaddr_un *sun, char *errstr,
                         size_t errstr_size)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE,
                          "control socket path '%s' is too long (max %zu bytes)", path,
                          sizeof(sun->sun_path) - 1);
    }
    memcpy(sun->sun_path, path, strlen(path) + 1);
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Server side */

static int write_bootstrap_file(const char *path, const char *list, char *errstr,
                                size_t errstr_size)
{
    char tmp[4096];
    size_t len = strlen(list);
    int fd;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_USAGE, "path '%s' is too long", path);
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", tmp,
                          strerror(errno));
    }
    if (write(fd, list, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot write '%s': %s", tmp,
                          strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot rename '%s' to '%s': %s", tmp,
                          path, strerror(e));
    }
    return GDX_OK;
}

/*
 * Bind the control socket. A socket file left by a dead broker is replaced; one that still
 * answers belongs to a running broker and is an error; any other file is left alone.
 */
static int control_listen(const char *path, int *fdp, char *errstr, size_t errstr_size)
{
    struct sockaddr_un sun;
    struct stat st;
    mode_t old_umask;
    int fd, err;

    if ((err = make_sockaddr(path, &sun, errstr, errstr_size)) != GDX_OK) {
        return err;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                              "cannot use '%s' as control socket: file exists", path);
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            close(fd);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_LOCKED, "another broker is serving '%s'",
                              path);
        }
        if (fd >= 0) {
            close(fd);
        }
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot create socket: %s",
                          strerror(errno));
    }
    old_umask = umask(077);
    err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old_umask);
    if (err != 0 || chmod(path, 0600) != 0 || listen(fd, MAX_CLIENTS) != 0) {
        int e = errno;
        close(fd);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot listen on '%s': %s", path,
                          strerror(e));
    }
    *fdp = fd;
    return GDX_OK;
}

static void client_close(struct client *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
    c->len = 0;
}

static void client_reply(struct client *c, const char *reply)
{
    size_t len = strlen(reply);
    char line[REPLY_MAX + 1];

    memcpy(line, reply, len);
    line[len] = '\n';
    /* Replies are short and clients read them at once; one that does not is dropped. */
    if (send(c->fd, line, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1)) {
        client_close(c);
    }
}

/* Execute one line; sets *stop on `stop`. */
static void client_line(struct gdx_broker *broker, struct client *c, const char *line, int *stop)
{
    struct gdx_broker_cmd cmd;
    char reply[REPLY_MAX], errbuf[256], q1[GDX_BROKER_LINE_MAX + 3], q2[REPLY_MAX + 3];
    int err;

    if ((err = gdx_broker_cmd_parse(line, &cmd, errbuf, sizeof(errbuf))) != GDX_OK) {
        snprintf(reply, sizeof(reply), "error %s", errbuf);
    } else {
        err = gdx_broker_exec(broker, &cmd, reply, sizeof(reply));
        if (err == GDX_OK && cmd.op == GDX_BROKER_OP_STOP) {
            *stop = 1;
        }
    }
    gdx_log(err == GDX_OK ? GDX_LOG_INFO : GDX_LOG_WARN, "control command", " cmd=%s reply=%s",
            quote(line, q1, sizeof(q1)), quote(reply, q2, sizeof(q2)));
    client_reply(c, reply);
}

static void client_read(struct gdx_broker *broker, struct client *c, int *stop)
{
    char *nl;
    ssize_t n;

    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        /* A last line without a newline still gets its answer. */
        if (c->len > 0) {
            c->buf[c->len] = '\0';
            client_line(broker, c, c->buf, stop);
        }
        client_close(c);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    if (memchr(c->buf, '\0', c->len)) {
        client_reply(c, "error NUL byte in command");
        client_close(c);
        return;
    }
    while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len))) {
        size_t used = (size_t)(nl - c->buf) + 1;
        *nl = '\0';
        client_line(broker, c, c->buf, stop);
        if (c->fd < 0) {
            return;
        }
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        c->buf[c->len] = '\0';
    }
    if (c->len >= sizeof(c->buf) - 1) {
        client_reply(c, "error line too long");
        client_close(c);
    }
}

static void control_accept(int lfd, struct client *clients)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0) {
        return;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i].fd < 0) {
            clients[i].fd = fd;
            clients[i].len = 0;
            return;
        }
    }
    /* Every slot is taken: refuse rather than queue behind a stuck client. */
    (void)!send(fd, "error too many control connections\n", 35, MSG_NOSIGNAL);
    close(fd);
}

/* Serve until a signal or `stop`. Without a control socket, just wait for the signal. */
static void serve(struct gdx_broker *broker, int lfd)
{
    struct client clients[MAX_CLIENTS];
    struct pollfd pfd[MAX_CLIENTS + 1];
    int map[MAX_CLIENTS + 1];
    int stop = 0;

    for (int i = 0; i < MAX_CLIENTS; i++) {
        clients[i].fd = -1;
        clients[i].len = 0;
    }
    while (!stop && !cmd_stopping()) {
        nfds_t n = 0;
        if (lfd >= 0) {
            pfd[n].fd = lfd;
            pfd[n].events = POLLIN;
            map[n++] = -1;
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i].fd >= 0) {
                pfd[n].fd = clients[i].fd;
                pfd[n].events = POLLIN;
                map[n++] = i;
            }
        }
        if (poll(pfd, n, TICK_MS) <= 0) {
            continue;
        }
        for (nfds_t i = 0; i < n && !stop; i++) {
            if (!pfd[i].revents) {
                continue;
            }
            if (map[i] < 0) {
                control_accept(lfd, clients);
            } else {
                client_read(broker, &clients[map[i]], &stop);
            }
        }
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
        client_close(&clients[i]);
    }
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int broker_run(int argc, char **argv)
{
    struct cmd_parser p;
    struct gdx_broker_topics topics = {NULL, 0};
    struct gdx_broker_topics extra = {NULL, 0};
    struct gdx_broker *broker = NULL;
    const char *bootstrap_file = NULL, *topics_path = NULL, *control = NULL;
    int nbrokers = DEFAULT_BROKERS, no_topics = 0, lfd = -1, opt, ret = GDX_EXIT_FAIL;
    int published = 0;
    char errstr[512], q[4096 + 3];

    optind = 1;
    cmd_parser_init(&p, &cmd_broker_doc, 0);
    while ((opt = cmd_getopt(&p, argc, argv)) != -1) {
        switch (opt) {
        case 'b':
            if (parse_count(optarg, 1, GDX_BROKER_MAX_BROKERS, &nbrokers) != 0) {
                fprintf(stderr, "gdx broker: invalid --brokers '%s': expected 1..%d\n", optarg,
                        GDX_BROKER_MAX_BROKERS);
                ret = GDX_EXIT_USAGE;
                goto out;
            }
            break;
        case 'f':
            bootstrap_file = optarg;
            break;
        case 't':
            topics_path = optarg;
            break;
        case 'N':
            no_topics = 1;
            break;
        case 'T':
            if (gdx_broker_topics_add_spec(&extra, optarg, errstr, sizeof(errstr)) != GDX_OK) {
                fprintf(stderr, "gdx broker: %s\n", errstr);
                ret = GDX_EXIT_USAGE;
                goto out;
            }
            break;
        case 'c':
            control = optarg;
            break;
        case 'l':
            if (gdx_log_level_parse(optarg) < 0) {
                fprintf(stderr, "gdx broker: invalid --log-level '%s'\n", optarg);
                ret = GDX_EXIT_USAGE;
                goto out;
            }
            gdx_log_set_level(gdx_log_level_parse(optarg));
            break;
        case 'h':
            cmd_help(stdout, &cmd_broker_doc);
            ret = GDX_EXIT_OK;
            goto out;
        default:
            cmd_help(stderr, &cmd_broker_doc);
            ret = GDX_EXIT_USAGE;
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gdx broker: unexpected argument '%s'\n", argv[optind]);
        ret = GDX_EXIT_USAGE;
        goto out;
    }
    if (!topics_path && !no_topics && file_exists(DEFAULT_TOPICS)) {
        topics_path = DEFAULT_TOPICS;
    }
    if (topics_path && !no_topics &&
        gdx_broker_topics_load(&topics, topics_path, errstr, sizeof(errstr)) != GDX_OK) {
        gdx_log(GDX_LOG_ERROR, "bad topics file", " error=%s", quote(errstr, q, sizeof(q)));
        ret = GDX_EXIT_CONFIG;
        goto out;
    }
    for (size_t i = 0; i < extra.n; i++) {
        gdx_broker_topics_add(&topics, extra.v[i].name, extra.v[i].partitions, 0, errstr,
                              sizeof(errstr));
    }

    cmd_install_signals();
    if (!(broker = gdx_broker_new(nbrokers, errstr, sizeof(errstr)))) {
        gdx_log(GDX_LOG_ERROR, "cannot start the mock cluster", " error=%s",
                quote(errstr, q, sizeof(q)));
        goto out;
    }
    gdx_broker_poke_start(broker);
    for (size_t i = 0; i < topics.n; i++) {
        int repl = topics.v[i].replication;
        if (repl > nbrokers) {
            gdx_log(GDX_LOG_WARN, "replication factor above broker count, lowered",
                    " topic=%s replication.factor=%d brokers=%d", topics.v[i].name, repl, nbrokers);
            repl = nbrokers;
        }
        if (gdx_broker_topic_create(broker, topics.v[i].name, topics.v[i].partitions, repl, errstr,
                                    sizeof(errstr)) != GDX_OK) {
            gdx_broker_poke_stop(broker);
            gdx_log(GDX_LOG_ERROR, "cannot create topic", " error=%s", quote(errstr, q, sizeof(q)));
            goto out;
        }
        gdx_log(GDX_LOG_DEBUG, "topic created", " topic=%s partitions=%d", topics.v[i].name,
                topics.v[i].partitions);
    }
    gdx_broker_poke_stop(broker);
    if (control && control_listen(control, &lfd, errstr, sizeof(errstr)) != GDX_OK) {
        gdx_log(GDX_LOG_ERROR, "cannot open the control socket", " error=%s",
                quote(errstr, q, sizeof(q)));
        goto out;
    }
    if (bootstrap_file && write_bootstrap_file(bootstrap_file, gdx_broker_bootstraps(broker),
                                               errstr, sizeof(errstr)) != GDX_OK) {
        gdx_log(GDX_LOG_ERROR, "cannot write the bootstrap file", " error=%s",
                quote(errstr, q, sizeof(q)));
        goto out;
    }
    published = 1;
    printf("bootstrap=%s\n", gdx_broker_bootstraps(broker));
    fflush(stdout);
    gdx_log(GDX_LOG_INFO, "broker ready", " brokers=%d topics=%zu bootstrap=%s control=%s",
            nbrokers, topics.n, gdx_broker_bootstraps(broker),
            control ? quote(control, q, sizeof(q)) : "none");

    serve(broker, lfd);
    gdx_log(GDX_LOG_INFO, "broker stopping", NULL);
    ret = GDX_EXIT_OK;

out:
    if (lfd >= 0) {
        close(lfd);
        unlink(control);
    }
    if (published && bootstrap_file) {
        unlink(bootstrap_file);
    }
    gdx_broker_destroy(broker);
    gdx_broker_topics_release(&topics);
    gdx_broker_topics_release(&extra);
    if (ret == GDX_EXIT_OK && published) {
        gdx_log(GDX_LOG_INFO, "broker stopped", NULL);
    }
    return ret;
}

/* ---------------------------------------------------------------------------------------
 * Client side: gdx broker ctl */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int broker_ctl(int argc, char **argv)
{
    struct cmd_parser p;
    struct sockaddr_un sun;
    const char *control = NULL;
    char line[GDX_BROKER_LINE_MAX + 2], reply[REPLY_MAX + 1], errstr[512];
    size_t len = 0, rlen = 0;
    int timeout_ms = CTL_TIMEOUT_MS, opt, fd = -1, ret = GDX_EXIT_FAIL;
    long long deadline;

    optind = 1;
    /* '+': stop at the first word, so a command argument like "-185" is not an option */
    cmd_parser_init(&p, &cmd_broker_doc, 1);
    while ((opt = cmd_getopt(&p, argc, argv)) != -1) {
        switch (opt) {
        case 'c':
            control = optarg;
            break;
        case 'w':
            if (parse_count(optarg, 1, 3600 * 1000, &timeout_ms) != 0) {
                fprintf(stderr, "gdx broker ctl: invalid --timeout '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            break;
        case 'h':
            cmd_help(stdout, &cmd_broker_doc);
            return GDX_EXIT_OK;
        default:
            cmd_help(stderr, &cmd_broker_doc);
            return GDX_EXIT_USAGE;
        }
    }
    if (!control || optind >= argc) {
        fprintf(stderr, "usage: gdx broker ctl --control PATH COMMAND [ARGS...]\n");
        return GDX_EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        size_t wl = strlen(argv[i]);
        if (len + wl + 2 > GDX_BROKER_LINE_MAX || strpbrk(argv[i], "\n\r")) {
            fprintf(stderr, "gdx broker ctl: command too long or has a newline\n");
            return GDX_EXIT_USAGE;
        }
        if (i > optind) {
            line[len++] = ' ';
        }
        memcpy(line + len, argv[i], wl);
        len += wl;
    }
    line[len++] = '\n';

    if (make_sockaddr(control, &sun, errstr, sizeof(errstr)) != GDX_OK) {
        fprintf(stderr, "gdx broker ctl: %s\n", errstr);
        return GDX_EXIT_USAGE;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        fprintf(stderr, "gdx broker ctl: cannot connect to '%s': %s\n", control, strerror(errno));
        goto out;
    }
    if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
        fprintf(stderr, "gdx broker ctl: cannot send to '%s': %s\n", control, strerror(errno));
        goto out;
    }
    shutdown(fd, SHUT_WR);
    deadline = now_ms() + timeout_ms;
    while (rlen < sizeof(reply) - 1 && !memchr(reply, '\n', rlen)) {
        struct pollfd pfd = {fd, POLLIN, 0};
        long long left = deadline - now_ms();
        ssize_t n;
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            fprintf(stderr, "gdx broker ctl: no answer from '%s' within %d ms\n", control,
                    timeout_ms);
            goto out;
        }
        n = recv(fd, reply + rlen, sizeof(reply) - 1 - rlen, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        rlen += (size_t)n;
    }
    reply[rlen] = '\0';
    reply[strcspn(reply, "\n")] = '\0';
    if (!*reply) {
        fprintf(stderr, "gdx broker ctl: '%s' closed without an answer\n", control);
        goto out;
    }
    printf("%s\n", reply);
    ret =
        (!strncmp(reply, "ok", 2) && (reply[2] == ' ' || !reply[2])) ? GDX_EXIT_OK : GDX_EXIT_FAIL;
out:
    if (fd >= 0) {
        close(fd);
    }
    return ret;
}

int cmd_broker(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "ctl")) {
        return broker_ctl(argc - 1, argv + 1);
    }
    if (argc >= 2 && !strcmp(argv[1], "run")) {
        return broker_run(argc - 1, argv + 1);
    }
    return broker_run(argc, argv);
}
