/*
 * gdx_supervise.c - the supervisor's processes: start, watch, restart, reload, stop.
 *
 * One thread, one epoll loop: a signalfd for SIGCHLD, SIGTERM, SIGINT and SIGHUP, the HTTP
 * server's epoll descriptor, two pipes per child (its stderr and stdout, relayed line by line
 * to the supervisor's stderr, and its metrics reports), and a pidfd per child of an earlier
 * supervisor that is still stopping. The loop sleeps until one of them is ready or the next
 * deadline (a backoff ending, a grace period running out): an idle city costs no wake-ups.
 * Invariants:
 *
 *  - A child dies with the supervisor: PR_SET_PDEATHSIG(SIGTERM) is set in the child, which
 *    then checks that its parent is still the process that forked it (the supervisor may
 *    have died before the call). SIGTERM lets it commit or abort its batch within its grace
 *    period, as a stop always does.
 *  - A restarted supervisor never runs a second copy beside a stopping one: the pids and
 *    start times of the children are kept in `<state dir>/supervise-<key>.pids`; at start the
 *    ones still alive (same pid and start time, so never a reused pid) are waited for by
 *    pidfd and killed after their grace period, and only then is their config started, so
 *    the new child never finds its per-host lock (lib/gdx_lock.c) taken.
 *  - Exit 78 (bad config) and 2 (usage) are not retried: an unchanged file would fail the
 *    same way. Every other exit is retried after min(max, min * 2^n) halved and jittered
 *    ("equal jitter"), n the failures in a row; a child that ran `stable_ms` starts over.
 *  - A config is started only after its file was read, its digest is that of the file the
 *    child reads (a reload compares digests), and its kind is built into this gdx; one that
 *    is not is listed as such and never started.
 *  - Counters are cumulative per config across its processes: a restart adds to them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gdx.h"
#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_crypto.h"
#include "gdx_err.h"
#include "gdx_lock.h"
#include "gdx_log.h"
#include "gdx_metrics.h"
#include "gdx_supervise_int.h"
#include "gdx_util.h"

extern char **environ;

#define SV_BACKOFF_MIN_MS 1000
#define SV_BACKOFF_MAX_MS 60000
#define SV_STABLE_MS      60000
#define SV_GRACE_MS       10000 /* shutdown.grace.ms default of the runtime and the uplink */
#define SV_POLL_ORPHAN_MS 200   /* without pidfds: how often a previous child is checked */
#define SV_METBUF_MAX     (2 * GDX_METRICS_LINE_MAX)

static void child_spawn(struct gdx_supervisor *sv, struct sv_child *c);

/* ---------------------------------------------------------------------------------------
 * Small helpers
 */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* snprintf for messages that may be cut short (the cut is intended) */
static void say(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

static uint64_t rng_next(struct gdx_supervisor *sv)
{
    /* xorshift64*: jitter needs no more */
    sv->rng ^= sv->rng >> 12;
    sv->rng ^= sv->rng << 25;
    sv->rng ^= sv->rng >> 27;
    return sv->rng * 2685821657736338717ULL;
}

const char *sv_state_name(enum sv_state s)
{
    static const char *const names[] = {"starting", "running", "stopping",      "backoff",
                                        "stopped",  "waiting", "kind_not_built"};
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

int sv_kind_built(const char *kind)
{
    return kind && gdx_connector_find(kind) != NULL;
}

static const char *signame(int sig)
{
    const char *s = sigabbrev_np(sig);
    return s ? s : "?";
}

/* The start time of @p pid (clock ticks since boot, /proc/PID/stat field 22), 0 if gone. */
static unsigned long long proc_start_time(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long start = 0;
    ssize_t n;
    int fd, field;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (!p) {
        return 0;
    }
    p++; /* at the space before field 3, the state */
    if (p[0] == ' ' && (p[1] == 'Z' || p[1] == 'X')) {
        return 0; /* exited, not yet reaped by its new parent: gone for us */
    }
    for (field = 3; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    if (p && sscanf(p, " %llu", &start) != 1) {
        start = 0;
    }
    return start;
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

static int pidfd_kill(int fd, pid_t pid, unsigned long long start, int sig)
{
#ifdef SYS_pidfd_send_signal
    if (fd >= 0) {
        return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
    }
#endif
    (void)fd;
    /* no pidfd: the start time proves the pid is still the same process */
    if (proc_start_time(pid) != start) {
        errno = ESRCH;
        return -1;
    }
    return kill(pid, sig);
}

static void watch_add(struct gdx_supervisor *sv, int fd, struct sv_watch *w)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = w;
    if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        gdx_log(GDX_LOG_ERROR, "cannot watch a descriptor", " fd=%d reason=\"%s\"", fd,
                strerror(errno));
    }
}

static void watch_close(struct gdx_supervisor *sv, int *fd)
{
    if (*fd >= 0) {
        epoll_ctl(sv->epfd, EPOLL_CTL_DEL, *fd, NULL);
        close(*fd);
        *fd = -1;
    }
}

/* ---------------------------------------------------------------------------------------
 * Throughput ring and totals
 */

void sv_totals(const struct sv_child *c, struct sv_totals *t)
{
    *t = c->base;
    t->records += c->cur.records;
    t->dead += c->cur.dead;
    t->bytes += c->cur.bytes;
    t->batches += c->cur.batches;
    t->aborts += c->cur.aborts;
    t->commit_count += c->cur.commit_count;
    t->commit_sum += c->cur.commit_sum;
    for (size_t i = 0; i < GDX_METRICS_NBUCKETS; i++) {
        t->commit_le[i] += c->cur.commit_le[i];
    }
}

static void ring_put(struct sv_child *c, uint64_t total)
{
    int64_t slot = gdx_mono_ms() / SV_SLOT_MS;
    if (c->ring_slot < 0) {
        for (size_t i = 0; i < SV_SLOTS; i++) {
            c->ring[i] = total;
        }
    } else {
        uint64_t last = c->ring[c->ring_slot % SV_SLOTS];
        for (int64_t s = c->ring_slot + 1, n = 0; s < slot && n < SV_SLOTS; s++, n++) {
            c->ring[s % SV_SLOTS] = last;
        }
    }
    if (slot >= c->ring_slot) {
        c->ring[slot % SV_SLOTS] = total;
        c->ring_slot = slot;
    }
}

uint64_t sv_ring_at(const struct sv_child *c, int64_t slot)
{
    if (c->ring_slot < 0) {
        return 0;
    }
    if (slot >= c->ring_slot) {
        return c->ring[c->ring_slot % SV_SLOTS];
    }
    if (slot <= c->ring_slot - SV_SLOTS) {
        slot = c->ring_slot - SV_SLOTS + 1; /* the oldest value kept */
    }
    return c->ring[slot % SV_SLOTS];
}

/* ---------------------------------------------------------------------------------------
 * Configs
 */

static const char *scalar_of(const struct gdx_node *map, const char *key)
{
    const struct gdx_node *n = map ? gdx_conf_get(map, key) : NULL;
    return n && n->type == GDX_NODE_SCALAR ? n->value : NULL;
}

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? gdx_xstrdup(src) : NULL;
}

/* A file the loader refused may still be an uplink's: look for the top-level key. */
static int text_is_uplink(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int yes = 0;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "uplink:", 7)) {
            yes = 1;
            break;
        }
    }
    fclose(f);
    return yes;
}

/* Read what the supervisor needs of a config: digest, id, kind, grace. Never fails: a file
 * it cannot read is still started, and its child says what is wrong (exit 78). */
static void child_load(struct sv_child *c)
{
    char errstr[1024], stem[256];
    struct gdx_node *root;
    const char *v;
    size_t l;

    free(c->load_error);
    c->load_error = NULL;
    c->uplink = 0;
    c->grace_ms = SV_GRACE_MS;
    set_str(&c->id, NULL);
    set_str(&c->unit, NULL);
    set_str(&c->system, NULL);
    set_str(&c->kind, NULL);
    if (gdx_conf_digest(c->path, c->digest, errstr, sizeof(errstr))) {
        c->digest[0] = '\0';
    }
    root = gdx_conf_load(c->path, errstr, sizeof(errstr));
    if (!root) {
        c->load_error = gdx_xstrdup(errstr);
        c->uplink = text_is_uplink(c->path);
    } else if (gdx_conf_get(root, "uplink")) {
        const struct gdx_node *up = gdx_conf_get(root, "uplink");
        const char *dest = scalar_of(up, "destination"), *inst = scalar_of(up, "instance");
        const char *insts = scalar_of(up, "instances");
        char id[300];
        c->uplink = 1;
        if (insts && strcmp(insts, "1") && inst) {
            snprintf(id, sizeof(id), "uplink.%s.%s", dest ? dest : "province", inst);
        } else {
            snprintf(id, sizeof(id), "uplink.%s", dest ? dest : "province");
        }
        set_str(&c->id, id);
        set_str(&c->unit, "uplink");
        set_str(&c->system, id + 7);
        set_str(&c->kind, "uplink");
    } else {
        const struct gdx_node *conn = gdx_conf_get(root, "connector");
        set_str(&c->id, scalar_of(conn, "id"));
        set_str(&c->kind, scalar_of(conn, "kind"));
        set_str(&c->unit, scalar_of(conn, "unit"));
        set_str(&c->system, scalar_of(conn, "system"));
    }
    if (root) {
        const struct gdx_node *g = gdx_conf_get(root, "shutdown.grace.ms");
        int64_t ms;
        if (g && gdx_conf_duration(g, &ms, errstr, sizeof(errstr)) == GDX_OK && ms >= 0) {
            c->grace_ms = ms;
        }
        gdx_conf_destroy(root);
    }
    if (!c->id || !*c->id) {
        /* the file's name, which the inventory gives as <unit>.<system>.yaml */
        snprintf(stem, sizeof(stem), "%s", c->file);
        l = strlen(stem);
        if (l > 5 && !strcmp(stem + l - 5, ".yaml")) {
            stem[l - 5] = '\0';
        } else if (l > 4 && !strcmp(stem + l - 4, ".yml")) {
            stem[l - 4] = '\0';
        }
        set_str(&c->id, stem);
    }
    v = strchr(c->id, '.');
    if (!c->unit) {
        c->unit = v ? strndup(c->id, (size_t)(v - c->id)) : gdx_xstrdup(c->id);
        if (!c->unit) {
            abort();
        }
    }
    if (!c->system) {
        set_str(&c->system, v ? v + 1 : "");
    }
}

static struct sv_child *child_new(struct gdx_supervisor *sv, const char *file)
{
    struct sv_child *c = gdx_xcalloc(1, sizeof(*c));
    c->file = gdx_xstrdup(file);
    c->path = gdx_path_join(sv->dir, file);
    c->pid = 0;
    c->log_fd = c->met_fd = c->orphan_fd = -1;
    c->w_log.kind = SV_W_LOG;
    c->w_met.kind = SV_W_METRICS;
    c->w_orphan.kind = SV_W_ORPHAN;
    c->w_log.child = c->w_met.child = c->w_orphan.child = c;
    c->last_code = -1;
    c->cur.lag_s = -1;
    c->ring_slot = -1;
    c->state = SV_BACKOFF; /* due at once */
    c->next_try_ms = 0;
    c->since_wall_ms = wall_ms();
    ring_put(c, 0);
    if (sv->nkids == sv->capkids) {
        sv->capkids = sv->capkids ? 2 * sv->capkids : 128;
        sv->kids = gdx_xrealloc(sv->kids, sv->capkids * sizeof(*sv->kids));
    }
    sv->kids[sv->nkids++] = c;
    return c;
}

static void child_free(struct gdx_supervisor *sv, struct sv_child *c)
{
    watch_close(sv, &c->log_fd);
    watch_close(sv, &c->met_fd);
    watch_close(sv, &c->orphan_fd);
    free(c->file);
    free(c->path);
    free(c->id);
    free(c->unit);
    free(c->system);
    free(c->kind);
    free(c->load_error);
    free(c->metbuf);
    free(c);
}

static int yaml_name(const char *name)
{
    size_t l = strlen(name);
    if (name[0] == '.') {
        return 0;
    }
    return (l > 5 && !strcmp(name + l - 5, ".yaml")) || (l > 4 && !strcmp(name + l - 4, ".yml"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The config files of DIR, sorted (the first of two files with one connector id wins). */
static int dir_list(struct gdx_supervisor *sv, char ***out, size_t *n, char *errstr,
                    size_t errstr_size)
{
    DIR *d = opendir(sv->dir);
    struct dirent *de;
    char **v = NULL;
    size_t cnt = 0, cap = 0;

    *out = NULL;
    *n = 0;
    if (!d) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot read directory '%s': %s",
                          sv->dir, strerror(errno));
    }
    while ((de = readdir(d))) {
        struct stat st;
        char *p;
        if (!yaml_name(de->d_name)) {
            continue;
        }
        p = gdx_path_join(sv->dir, de->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            if (cnt == cap) {
                cap = cap ? 2 * cap : 128;
                v = gdx_xrealloc(v, cap * sizeof(*v));
            }
            v[cnt++] = gdx_xstrdup(de->d_name);
        }
        free(p);
    }
    closedir(d);
    if (cnt) {
        qsort(v, cnt, sizeof(*v), cmp_str);
    }
    *out = v;
    *n = cnt;
    return GDX_OK;
}

static void list_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static struct sv_child *child_by_file(struct gdx_supervisor *sv, const char *file)
{
    for (size_t i = 0; i < sv->nkids; i++) {
        if (!strcmp(sv->kids[i]->file, file)) {
            return sv->kids[i];
        }
    }
    return NULL;
}

/* Another config already running (or due to run) under @p c's connector id */
static struct sv_child *child_dup(struct gdx_supervisor *sv, const struct sv_child *c)
{
    for (size_t i = 0; i < sv->nkids; i++) {
        struct sv_child *o = sv->kids[i];
        if (o != c && !o->removed && !o->forget && o->id && !strcmp(o->id, c->id) &&
            (o->pid > 0 || o->state == SV_BACKOFF || o->state == SV_WAITING)) {
            return o;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------
 * Starting a child
 */

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child_exec(const struct gdx_supervisor *sv, char *const argv[], int logw, int metw,
                       const struct rlimit *nofile)
{
    static const char msg[] = "gdx supervise: cannot start the child process\n";
    struct sigaction sa;
    sigset_t none;
    int nul, lw, mw;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != sv->self) {
        _exit(127); /* the supervisor died before the child could follow it */
    }
    setpgid(0, 0); /* a terminal's ^C goes to the supervisor, which stops the children */
    nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    /* above the target numbers first, so that no dup2 below overwrites a source */
    lw = fcntl(logw, F_DUPFD_CLOEXEC, 10);
    mw = fcntl(metw, F_DUPFD_CLOEXEC, 10);
    nul = nul >= 0 ? fcntl(nul, F_DUPFD_CLOEXEC, 10) : -1;
    if (lw < 0 || mw < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(lw, 1) < 0 || dup2(lw, 2) < 0 ||
        dup2(mw, 3) < 0) {
        _exit(127);
    }
    setrlimit(RLIMIT_NOFILE, nofile);
    execve(sv->exe, argv, sv->envp);
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* nothing more to say */
    }
    _exit(127);
}

static void child_failed_start(struct gdx_supervisor *sv, struct sv_child *c, const char *why);

static void child_spawn(struct gdx_supervisor *sv, struct sv_child *c)
{
    char *argv[8];
    int logp[2] = {-1, -1}, metp[2] = {-1, -1};
    struct sv_child *dup;
    pid_t pid;

    child_load(c);
    c->restart_pending = 0;
    if (!c->uplink && c->kind && !c->load_error && !sv_kind_built(c->kind)) {
        char kinds[256] = "";
        for (size_t i = 0; gdx_connectors[i]; i++) {
            size_t l = strlen(kinds);
            snprintf(kinds + l, sizeof(kinds) - l, "%s%s", l ? ", " : "", gdx_connectors[i]->name);
        }
        if (c->state != SV_UNBUILT) {
            gdx_log(GDX_LOG_WARN, "connector kind not built into this gdx: not started",
                    " connector=%s kind=%s file=%s built=\"%s\"", c->id, c->kind, c->file, kinds);
        }
        c->state = SV_UNBUILT;
        c->since_wall_ms = wall_ms();
        say(c->why, sizeof(c->why), "connector kind '%s' is not built into this gdx (%s)", c->kind,
            kinds);
        return;
    }
    if ((dup = child_dup(sv, c))) {
        c->state = SV_STOPPED;
        c->since_wall_ms = wall_ms();
        say(c->why, sizeof(c->why), "duplicate connector id '%s': '%s' runs it", c->id, dup->file);
        gdx_log(GDX_LOG_ERROR, "duplicate connector id: not started",
                " connector=%s file=%s running=%s", c->id, c->file, dup->file);
        return;
    }
    argv[0] = (char *)"gdx";
    if (c->uplink) {
        argv[1] = (char *)"uplink";
        argv[2] = (char *)"-c";
        argv[3] = c->path;
        argv[4] = NULL;
    } else {
        argv[1] = (char *)"connector";
        argv[2] = (char *)"run";
        argv[3] = (char *)"-c";
        argv[4] = c->path;
        argv[5] = NULL;
    }
    if (pipe2(logp, O_CLOEXEC) < 0 || pipe2(metp, O_CLOEXEC) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (logp[i] >= 0) {
                close(logp[i]);
            }
            if (metp[i] >= 0) {
                close(metp[i]);
            }
        }
        child_failed_start(sv, c, strerror(e));
        return;
    }
    pid = fork();
    if (pid == 0) {
        child_exec(sv, argv, logp[1], metp[1], &sv->nofile);
    }
    close(logp[1]);
    close(metp[1]);
    if (pid < 0) {
        int e = errno;
        close(logp[0]);
        close(metp[0]);
        child_failed_start(sv, c, strerror(e));
        return;
    }
    fcntl(logp[0], F_SETFL, O_NONBLOCK);
    fcntl(metp[0], F_SETFL, O_NONBLOCK);
    c->log_fd = logp[0];
    c->met_fd = metp[0];
    watch_add(sv, c->log_fd, &c->w_log);
    watch_add(sv, c->met_fd, &c->w_met);
    c->pid = pid;
    c->state = SV_STARTING;
    c->started_ms = gdx_mono_ms();
    c->started_wall_ms = c->since_wall_ms = wall_ms();
    c->kill_at_ms = 0;
    c->loglen = c->metlen = 0;
    c->last_log[0] = c->last_error[0] = '\0';
    memset(&c->cur, 0, sizeof(c->cur));
    c->cur.lag_s = -1;
    c->reported = 0;
    c->why[0] = '\0';
    if (c->starts++) {
        c->restarts++;
    }
    sv->pids_dirty = 1;
    gdx_log(GDX_LOG_INFO, c->starts > 1 ? "restarting" : "starting",
            " connector=%s pid=%ld file=%s config.sm3=%s", c->id, (long)pid, c->file, c->digest);
}

static int64_t backoff_delay(struct gdx_supervisor *sv, int streak)
{
    int64_t d = sv->conf.backoff_min_ms;
    for (int i = 0; i < streak && d < sv->conf.backoff_max_ms; i++) {
        d *= 2;
    }
    if (d > sv->conf.backoff_max_ms) {
        d = sv->conf.backoff_max_ms;
    }
    return d / 2 + (int64_t)(rng_next(sv) % (uint64_t)(d / 2 + 1));
}

static void child_backoff(struct gdx_supervisor *sv, struct sv_child *c, int64_t ran_ms,
                          int64_t *chosen)
{
    int64_t d;
    if (ran_ms >= sv->conf.stable_ms) {
        c->streak = 0;
    }
    d = backoff_delay(sv, c->streak);
    c->streak++;
    c->state = SV_BACKOFF;
    c->next_try_ms = gdx_mono_ms() + d;
    *chosen = d;
}

static void child_failed_start(struct gdx_supervisor *sv, struct sv_child *c, const char *why)
{
    int64_t d;
    child_backoff(sv, c, 0, &d);
    c->since_wall_ms = wall_ms();
    say(c->why, sizeof(c->why), "cannot start the process: %s", why);
    gdx_log(GDX_LOG_ERROR, "cannot start the process",
            " connector=%s reason=\"%s\" retry_ms=%" PRId64, c->id, why, d);
}

/* ---------------------------------------------------------------------------------------
 * Reading the children
 */

static void copy_line(char *dst, size_t size, const char *line, size_t len)
{
    if (len >= size) {
        len = size - 1;
        while (len && ((unsigned char)line[len] & 0xc0) == 0x80) {
            len--; /* never cut inside a UTF-8 sequence */
        }
    }
    memcpy(dst, line, len);
    dst[len] = '\0';
}

static void log_line(struct sv_child *c, char *line, size_t len)
{
    const char *lvl;
    line[len] = '\n';
    if (write(STDERR_FILENO, line, len + 1) < 0) {
        /* the supervisor's own stderr is gone: nothing to relay to */
    }
    line[len] = '\0';
    if (!len) {
        return;
    }
    copy_line(c->last_log, sizeof(c->last_log), line, len);
    lvl = strstr(line, " level=");
    if (lvl && lvl - line < 64 && !strncmp(lvl + 7, "error", 5)) {
        /* the message onwards: the timestamp and level are known */
        const char *msg = strstr(line, " msg=");
        msg = msg ? msg + 1 : line;
        copy_line(c->last_error, sizeof(c->last_error), msg, len - (size_t)(msg - line));
    }
}

/* Read what the child wrote to stdout and stderr; relay whole lines. Returns 0 at EOF. */
static int log_read(struct gdx_supervisor *sv, struct sv_child *c)
{
    for (;;) {
        ssize_t n = read(c->log_fd, c->logbuf + c->loglen, sizeof(c->logbuf) - 1 - c->loglen);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return 1;
        }
        if (n <= 0) {
            if (c->loglen) {
                log_line(c, c->logbuf, c->loglen);
                c->loglen = 0;
            }
            watch_close(sv, &c->log_fd);
            return 0;
        }
        c->loglen += (size_t)n;
        char *start = c->logbuf, *nl;
        while ((nl = memchr(start, '\n', c->loglen - (size_t)(start - c->logbuf)))) {
            log_line(c, start, (size_t)(nl - start));
            start = nl + 1;
        }
        c->loglen -= (size_t)(start - c->logbuf);
        memmove(c->logbuf, start, c->loglen);
        if (c->loglen == sizeof(c->logbuf) - 1) {
            log_line(c, c->logbuf, c->loglen); /* a line too long for the buffer: in parts */
            c->loglen = 0;
        }
    }
}

static void report_apply(struct gdx_supervisor *sv, struct sv_child *c,
                         const struct gdx_metrics_report *r)
{
    struct sv_totals t;
    (void)sv;
    c->cur = *r;
    c->reported = 1;
    if (r->last_commit_ms > c->last_commit_ms) {
        c->last_commit_ms = r->last_commit_ms;
    }
    if (!strcmp(r->state, "running") && c->state == SV_STARTING) {
        c->state = SV_RUNNING;
        c->since_wall_ms = wall_ms();
        gdx_log(GDX_LOG_INFO, "running", " connector=%s pid=%ld startup_ms=%" PRId64, c->id,
                (long)c->pid, gdx_mono_ms() - c->started_ms);
    }
    if (!strcmp(r->state, "failed") && r->error[0]) {
        copy_line(c->last_error, sizeof(c->last_error), r->error, strlen(r->error));
    }
    sv_totals(c, &t);
    ring_put(c, t.records);
}

/* Read the child's reports. Returns 0 at EOF. */
static int metrics_read(struct gdx_supervisor *sv, struct sv_child *c)
{
    char buf[GDX_METRICS_LINE_MAX];
    if (!c->metbuf) {
        c->metbuf = gdx_xcalloc(1, SV_METBUF_MAX);
    }
    for (;;) {
        ssize_t n = read(c->met_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return 1;
        }
        if (n <= 0) {
            watch_close(sv, &c->met_fd);
            return 0;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (c->metlen < SV_METBUF_MAX) {
                    c->metbuf[c->metlen] = buf[i];
                }
                c->metlen++;
                continue;
            }
            if (c->metlen <= GDX_METRICS_LINE_MAX) {
                struct gdx_metrics_report r;
                char err[256];
                if (gdx_metrics_parse(c->metbuf, c->metlen, &r, err, sizeof(err)) == GDX_OK) {
                    report_apply(sv, c, &r);
                } else {
                    gdx_log(GDX_LOG_WARN, "bad metrics report ignored",
                            " connector=%s pid=%ld reason=\"%s\"", c->id, (long)c->pid, err);
                }
            } else {
                gdx_log(GDX_LOG_WARN, "metrics report too long, ignored",
                        " connector=%s pid=%ld bytes=%zu", c->id, (long)c->pid, c->metlen);
            }
            c->metlen = 0;
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Exits
 */

static void child_exited(struct gdx_supervisor *sv, struct sv_child *c, int status)
{
    struct sv_exit *e;
    int64_t ran = gdx_mono_ms() - c->started_ms, delay = 0;
    int requested = c->state == SV_STOPPING, code = -1, sig = 0;
    const char *why;
    char text[400];

    /* what it wrote before it went */
    if (c->log_fd >= 0) {
        log_read(sv, c);
    }
    if (c->met_fd >= 0) {
        metrics_read(sv, c);
    }
    /* a program the child started may hold the pipes open: do not wait for EOF */
    watch_close(sv, &c->log_fd);
    watch_close(sv, &c->met_fd);
    if (WIFEXITED(status)) {
        code = WEXITSTATUS(status);
        c->last_code = code;
    } else if (WIFSIGNALED(status)) {
        sig = WTERMSIG(status);
        c->last_code = 128 + sig;
    }
    why = c->last_error[0] ? c->last_error : c->last_log;
    if (sig) {
        say(text, sizeof(text), "killed by SIG%s%s%s", signame(sig), *why ? ": " : "", why);
    } else if (code == 0) {
        say(text, sizeof(text), "exit 0%s", requested ? "" : " (stopped by someone else)");
    } else {
        say(text, sizeof(text), "exit %d%s%s", code, *why ? ": " : "", why);
    }
    /* counters carry over to the next process of this config */
    {
        struct sv_totals t;
        sv_totals(c, &t);
        c->base = t;
        memset(&c->cur, 0, sizeof(c->cur));
        c->cur.lag_s = -1;
        ring_put(c, t.records);
    }
    c->pid = 0;
    c->kill_at_ms = 0;
    c->exits_total++;
    sv->pids_dirty = 1;

    if (c->removed) {
        c->forget = 1;
        gdx_log(GDX_LOG_INFO, "stopped: config removed", " connector=%s file=%s", c->id, c->file);
    } else if (c->restart_pending && !sv->stopping) {
        c->streak = 0;
        gdx_log(GDX_LOG_INFO, "config changed: starting it again", " connector=%s file=%s", c->id,
                c->file);
    } else if (sv->stopping) {
        c->state = SV_STOPPED;
        say(c->why, sizeof(c->why), "the supervisor stopped");
    } else if (code == GDX_EXIT_CONFIG || code == GDX_EXIT_USAGE) {
        c->state = SV_STOPPED;
        say(c->why, sizeof(c->why), "%s (exit %d, not restarted until the file changes)",
            code == GDX_EXIT_CONFIG ? "bad config" : "usage error", code);
        if (*why) {
            size_t l = strlen(c->why);
            say(c->why + l, sizeof(c->why) - l, ": %s", why);
        }
        gdx_log(GDX_LOG_ERROR, "stopped: bad config, not restarted",
                " connector=%s file=%s exit=%d reason=\"%s\"", c->id, c->file, code, why);
    } else {
        child_backoff(sv, c, ran, &delay);
        say(c->why, sizeof(c->why), "%s", text);
        gdx_log(GDX_LOG_WARN, "exited, restarting after a delay",
                " connector=%s exit=%d signal=%s ran_ms=%" PRId64 " retry_ms=%" PRId64, c->id, code,
                sig ? signame(sig) : "none", ran, delay);
    }
    c->since_wall_ms = wall_ms();

    e = &c->hist[c->hist_next];
    c->hist_next = (c->hist_next + 1) % SV_HISTORY;
    if (c->nhist < SV_HISTORY) {
        c->nhist++;
    }
    memset(e, 0, sizeof(*e));
    e->at_ms = wall_ms();
    e->code = code;
    e->sig = sig;
    e->ran_ms = ran;
    e->backoff_ms = delay;
    e->requested = requested;
    say(e->why, sizeof(e->why), "%s", text);

    if (!c->forget && c->restart_pending && !sv->stopping) {
        child_spawn(sv, c);
    }
}

static void reap(struct gdx_supervisor *sv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < sv->nkids; i++) {
            if (sv->kids[i]->pid == pid) {
                child_exited(sv, sv->kids[i], status);
                break;
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Stopping
 */

static void child_stop(struct gdx_supervisor *sv, struct sv_child *c, const char *why)
{
    if (c->pid > 0) {
        if (c->state != SV_STOPPING) {
            kill(c->pid, SIGTERM);
            c->state = SV_STOPPING;
            c->since_wall_ms = wall_ms();
            c->kill_at_ms = gdx_mono_ms() + c->grace_ms + SV_KILL_SLACK_MS;
            gdx_log(GDX_LOG_INFO, "stopping", " connector=%s pid=%ld why=\"%s\" grace_ms=%" PRId64,
                    c->id, (long)c->pid, why, c->grace_ms);
        }
        return;
    }
    if (c->state == SV_BACKOFF || c->state == SV_STARTING) {
        c->state = SV_STOPPED;
        c->since_wall_ms = wall_ms();
        say(c->why, sizeof(c->why), "%s", why);
    }
}

static void stop_all(struct gdx_supervisor *sv, int sig)
{
    if (sv->stopping) {
        /* a second request: no more waiting */
        sv->kill_all = 1;
        gdx_log(GDX_LOG_WARN, "second stop request: killing every child", " signal=SIG%s",
                signame(sig));
        for (size_t i = 0; i < sv->nkids; i++) {
            struct sv_child *c = sv->kids[i];
            if (c->pid > 0) {
                kill(c->pid, SIGKILL);
            }
        }
        return;
    }
    sv->stopping = 1;
    gdx_log(GDX_LOG_INFO, "stopping every child", " signal=SIG%s", signame(sig));
    for (size_t i = 0; i < sv->nkids; i++) {
        child_stop(sv, sv->kids[i], "the supervisor stops");
        if (sv->kids[i]->state == SV_WAITING) {
            sv->kids[i]->state = SV_STOPPED;
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * The pid file and taking over from an earlier supervisor
 */

static void pids_write(struct gdx_supervisor *sv)
{
    char *tmp;
    FILE *f;
    int ok = 1;

    sv->pids_dirty = 0;
    if (asprintf(&tmp, "%s.tmp", sv->pid_file) < 0) {
        abort();
    }
    f = fopen(tmp, "w");
    if (!f) {
        gdx_log(GDX_LOG_WARN, "cannot write the pid file", " path=%s reason=\"%s\"", tmp,
                strerror(errno));
        free(tmp);
        return;
    }
    fprintf(f, "# gdx supervise %s: pid start-time grace-ms file\n", sv->dir);
    for (size_t i = 0; i < sv->nkids; i++) {
        struct sv_child *c = sv->kids[i];
        if (c->pid > 0) {
            fprintf(f, "%ld %llu %" PRId64 " %s\n", (long)c->pid, proc_start_time(c->pid),
                    c->grace_ms, c->file);
        }
        if (c->orphan_pid > 0) {
            fprintf(f, "%ld %llu %" PRId64 " %s\n", (long)c->orphan_pid,
                    proc_start_time(c->orphan_pid), c->grace_ms, c->file);
        }
    }
    for (size_t i = 0; i < sv->nstrays; i++) {
        struct sv_child *c = sv->strays[i];
        if (c->orphan_pid > 0) {
            fprintf(f, "%ld %llu %" PRId64 " %s\n", (long)c->orphan_pid,
                    proc_start_time(c->orphan_pid), c->grace_ms, c->file);
        }
    }
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, sv->pid_file) < 0) {
        gdx_log(GDX_LOG_WARN, "cannot write the pid file", " path=%s reason=\"%s\"", sv->pid_file,
                strerror(errno));
        unlink(tmp);
    }
    free(tmp);
}

static void orphan_gone(struct gdx_supervisor *sv, struct sv_child *c)
{
    gdx_log(GDX_LOG_INFO, "the previous supervisor's child has exited",
            " connector=%s pid=%ld file=%s", c->id ? c->id : c->file, (long)c->orphan_pid, c->file);
    watch_close(sv, &c->orphan_fd);
    c->orphan_pid = 0;
    c->orphan_kill_at_ms = 0;
    sv->pids_dirty = 1;
    if (c->state == SV_WAITING && !sv->stopping) {
        c->state = SV_BACKOFF;
        c->next_try_ms = 0; /* start it now */
    }
}

/* Children of an earlier supervisor of DIR that are still alive: wait for each (it got
 * SIGTERM when that supervisor died) before its config starts again. */
static void takeover(struct gdx_supervisor *sv)
{
    FILE *f = fopen(sv->pid_file, "r");
    char line[1200];
    size_t found = 0;

    if (!f) {
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        long pid;
        unsigned long long start;
        long long grace;
        char file[1024];
        struct sv_child *c;
        if (line[0] == '#' ||
            sscanf(line, "%ld %llu %lld %1023[^\n]", &pid, &start, &grace, file) != 4) {
            continue;
        }
        if (pid <= 1 || !start || proc_start_time((pid_t)pid) != start) {
            continue; /* gone, or the pid is another process's now */
        }
        c = child_by_file(sv, file);
        if (!c) {
            c = gdx_xcalloc(1, sizeof(*c));
            c->file = gdx_xstrdup(file);
            c->path = gdx_path_join(sv->dir, file);
            c->log_fd = c->met_fd = c->orphan_fd = -1;
            c->w_orphan.kind = SV_W_ORPHAN;
            c->w_orphan.child = c;
            c->state = SV_STOPPED;
            sv->strays = gdx_xrealloc(sv->strays, (sv->nstrays + 1) * sizeof(*sv->strays));
            sv->strays[sv->nstrays++] = c;
        } else {
            c->state = SV_WAITING;
            c->since_wall_ms = wall_ms();
            say(c->why, sizeof(c->why), "waiting for pid %ld of the previous supervisor to exit",
                pid);
        }
        c->orphan_pid = (pid_t)pid;
        c->grace_ms = grace;
        c->orphan_fd = pidfd_open_((pid_t)pid);
        c->orphan_kill_at_ms = gdx_mono_ms() + grace + SV_KILL_SLACK_MS;
        /* it should have had SIGTERM from its parent's death; once more does no harm */
        pidfd_kill(c->orphan_fd, c->orphan_pid, start, SIGTERM);
        if (c->orphan_fd >= 0) {
            watch_add(sv, c->orphan_fd, &c->w_orphan);
        }
        found++;
        gdx_log(GDX_LOG_INFO, "waiting for the previous supervisor's child to exit",
                " pid=%ld file=%s grace_ms=%lld", pid, file, grace);
    }
    fclose(f);
    if (found) {
        sv->pids_dirty = 1;
    }
}

static void orphan_check(struct gdx_supervisor *sv, struct sv_child *c, int64_t now)
{
    if (c->orphan_pid <= 0) {
        return;
    }
    if (c->orphan_fd < 0 && kill(c->orphan_pid, 0) < 0 && errno == ESRCH) {
        orphan_gone(sv, c);
        return;
    }
    if (c->orphan_kill_at_ms && now >= c->orphan_kill_at_ms) {
        gdx_log(GDX_LOG_WARN, "the previous supervisor's child outlived its grace period: killed",
                " pid=%ld file=%s", (long)c->orphan_pid, c->file);
        pidfd_kill(c->orphan_fd, c->orphan_pid, proc_start_time(c->orphan_pid), SIGKILL);
        c->orphan_kill_at_ms = 0;
    }
}

/* ---------------------------------------------------------------------------------------
 * Reload
 */

static void inventory_reload(struct gdx_supervisor *sv)
{
    struct sv_inventory *inv = NULL;
    char errstr[512];
    if (!sv->inventory_path) {
        return;
    }
    if (sv_inventory_load(sv->inventory_path, &inv, errstr, sizeof(errstr)) == GDX_OK) {
        sv_inventory_destroy(sv->inv);
        sv->inv = inv;
        sv->inv_error[0] = '\0';
    } else {
        snprintf(sv->inv_error, sizeof(sv->inv_error), "%s", errstr);
        gdx_log(GDX_LOG_ERROR, "cannot read the inventory, keeping the previous one",
                " reason=\"%s\"", errstr);
    }
}

static void forget_compact(struct gdx_supervisor *sv)
{
    size_t j = 0;
    for (size_t i = 0; i < sv->nkids; i++) {
        struct sv_child *c = sv->kids[i];
        if (c->forget && c->pid <= 0 && c->orphan_pid <= 0) {
            child_free(sv, c);
            continue;
        }
        sv->kids[j++] = c;
    }
    sv->nkids = j;
    j = 0;
    for (size_t i = 0; i < sv->nstrays; i++) {
        if (sv->strays[i]->orphan_pid <= 0) {
            child_free(sv, sv->strays[i]);
            continue;
        }
        sv->strays[j++] = sv->strays[i];
    }
    sv->nstrays = j;
}

static void scan(struct gdx_supervisor *sv, int initial)
{
    char **files, errstr[512];
    size_t n, started = 0, stopped = 0, restarted = 0, same = 0;

    if (dir_list(sv, &files, &n, errstr, sizeof(errstr))) {
        snprintf(sv->reload_error, sizeof(sv->reload_error), "%s", errstr);
        gdx_log(GDX_LOG_ERROR, "cannot read the config directory, nothing changed",
                " reason=\"%s\"", errstr);
        return;
    }
    sv->reload_error[0] = '\0';
    /* removed and changed files */
    for (size_t i = 0; i < sv->nkids; i++) {
        struct sv_child *c = sv->kids[i];
        char digest[65] = "";
        int present = bsearch(&c->file, files, n, sizeof(*files), cmp_str) != NULL;
        if (c->removed || c->forget) {
            continue;
        }
        if (!present) {
            c->removed = 1;
            stopped++;
            if (c->pid > 0) {
                child_stop(sv, c, "config removed");
            } else {
                c->forget = 1;
            }
            continue;
        }
        if (gdx_conf_digest(c->path, digest, errstr, sizeof(errstr))) {
            digest[0] = '\0';
        }
        if (!strcmp(digest, c->digest)) {
            same++;
            continue;
        }
        restarted++;
        gdx_log(GDX_LOG_INFO, "config changed", " connector=%s file=%s config.sm3=%s", c->id,
                c->file, digest);
        if (c->pid > 0) {
            c->restart_pending = 1;
            child_stop(sv, c, "config changed");
        } else if (c->state != SV_WAITING) {
            c->streak = 0;
            c->state = SV_BACKOFF;
            c->next_try_ms = 0;
        }
    }
    /* new files */
    for (size_t i = 0; i < n; i++) {
        struct sv_child *c = child_by_file(sv, files[i]);
        if (c && c->removed && c->pid > 0) {
            /* back before its process exited: start it again once it has */
            c->removed = 0;
            c->restart_pending = 1;
            continue;
        }
        if (c && !c->removed && !c->forget) {
            continue;
        }
        c = child_new(sv, files[i]);
        child_load(c);
        started++;
    }
    /* configs stopped as duplicates may run now that the other one is gone */
    for (size_t i = 0; i < sv->nkids; i++) {
        struct sv_child *c = sv->kids[i];
        if (c->state == SV_STOPPED && !c->removed && !strncmp(c->why, "duplicate", 9) &&
            !child_dup(sv, c)) {
            c->state = SV_BACKOFF;
            c->next_try_ms = 0;
        }
    }
    list_free(files, n);
    forget_compact(sv);
    if (initial) {
        gdx_log(GDX_LOG_INFO, "configs found", " dir=%s configs=%zu", sv->dir, started);
    } else {
        gdx_log(GDX_LOG_INFO, "reloaded", " dir=%s new=%zu removed=%zu changed=%zu unchanged=%zu",
                sv->dir, started, stopped, restarted, same);
    }
}

/* ---------------------------------------------------------------------------------------
 * The loop
 */

static int64_t timers(struct gdx_supervisor *sv)
{
    int64_t now = gdx_mono_ms(), next = -1;
#define SV_NEXT(t)                                                                                 \
    do {                                                                                           \
        if ((t) > 0 && (next < 0 || (t) < next)) {                                                 \
            next = (t);                                                                            \
        }                                                                                          \
    } while (0)
    for (size_t i = 0; i < sv->nkids; i++) {
        struct sv_child *c = sv->kids[i];
        if (c->state == SV_BACKOFF && !sv->stopping && !c->forget) {
            if (now >= c->next_try_ms) {
                child_spawn(sv, c);
            } else {
                SV_NEXT(c->next_try_ms);
            }
        }
        if (c->pid > 0 && c->kill_at_ms) {
            if (now >= c->kill_at_ms) {
                gdx_log(GDX_LOG_WARN, "grace period over: killed", " connector=%s pid=%ld", c->id,
                        (long)c->pid);
                kill(c->pid, SIGKILL);
                c->kill_at_ms = 0;
            } else {
                SV_NEXT(c->kill_at_ms);
            }
        }
        if (c->orphan_pid > 0) {
            orphan_check(sv, c, now);
            SV_NEXT(c->orphan_kill_at_ms);
            if (c->orphan_fd < 0 && c->orphan_pid > 0) {
                SV_NEXT(now + SV_POLL_ORPHAN_MS);
            }
        }
    }
    for (size_t i = 0; i < sv->nstrays; i++) {
        struct sv_child *c = sv->strays[i];
        orphan_check(sv, c, now);
        SV_NEXT(c->orphan_kill_at_ms);
        if (c->orphan_fd < 0 && c->orphan_pid > 0) {
            SV_NEXT(now + SV_POLL_ORPHAN_MS);
        }
    }
#undef SV_NEXT
    return next;
}

static int alive(const struct gdx_supervisor *sv)
{
    for (size_t i = 0; i < sv->nkids; i++) {
        if (sv->kids[i]->pid > 0 || sv->kids[i]->orphan_pid > 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < sv->nstrays; i++) {
        if (sv->strays[i]->orphan_pid > 0) {
            return 1;
        }
    }
    return 0;
}

static void on_signals(struct gdx_supervisor *sv)
{
    struct signalfd_siginfo si;
    while (read(sv->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            reap(sv);
            break;
        case SIGTERM:
        case SIGINT:
            stop_all(sv, (int)si.ssi_signo);
            break;
        case SIGHUP:
            if (!sv->stopping) {
                sv->reloads++;
                gdx_log(GDX_LOG_INFO, "SIGHUP: reloading", " dir=%s", sv->dir);
                inventory_reload(sv);
                scan(sv, 0);
            }
            break;
        default:
            break;
        }
    }
    reap(sv); /* SIGCHLDs coalesce: never leave a zombie behind */
}

int gdx_supervise_run(struct gdx_supervisor *sv, char *errstr, size_t errstr_size)
{
    struct epoll_event evs[64];
    (void)errstr;
    (void)errstr_size;

    sv->started_ms = gdx_mono_ms();
    sv->started_wall_ms = wall_ms();
    scan(sv, 1);
    takeover(sv);
    gdx_log(GDX_LOG_INFO, "supervising", " dir=%s configs=%zu url=%s pid=%ld", sv->dir, sv->nkids,
            sv->httpd ? gdx_httpd_url(sv->httpd) : "none", (long)sv->self);
    for (;;) {
        int64_t next = timers(sv), now;
        int timeout = -1, n;
        if (sv->pids_dirty) {
            pids_write(sv);
        }
        forget_compact(sv);
        if (sv->stopping && !alive(sv)) {
            break;
        }
        now = gdx_mono_ms();
        if (next >= 0) {
            timeout = next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
        }
        if (sv->httpd) {
            int ht = gdx_httpd_timeout_ms(sv->httpd);
            if (ht >= 0 && (timeout < 0 || ht < timeout)) {
                timeout = ht;
            }
        }
        n = epoll_wait(sv->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout);
        if (n < 0 && errno != EINTR) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            struct sv_watch *w = evs[i].data.ptr;
            switch (w->kind) {
            case SV_W_SIGNAL:
                on_signals(sv);
                break;
            case SV_W_HTTP:
                break; /* served below */
            case SV_W_LOG:
                if (w->child->log_fd >= 0) {
                    log_read(sv, w->child);
                }
                break;
            case SV_W_METRICS:
                if (w->child->met_fd >= 0) {
                    metrics_read(sv, w->child);
                }
                break;
            case SV_W_ORPHAN:
                if (w->child->orphan_fd >= 0) {
                    orphan_gone(sv, w->child);
                }
                break;
            }
        }
        if (sv->httpd) {
            gdx_httpd_run(sv->httpd);
        }
    }
    unlink(sv->pid_file);
    gdx_log(GDX_LOG_INFO, "stopped", " dir=%s", sv->dir);
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Life cycle
 */

const char *gdx_supervise_url(const struct gdx_supervisor *sv)
{
    return sv->httpd ? gdx_httpd_url(sv->httpd) : NULL;
}

int gdx_supervise_new(struct gdx_supervisor **out, const struct gdx_supervise_conf *conf,
                      char *errstr, size_t errstr_size)
{
    struct gdx_supervisor *sv;
    char real[PATH_MAX], hex[GDX_SM3_HEX_LEN + 1], lockname[64], what[PATH_MAX + 32];
    struct stat st;
    struct rlimit rl;
    sigset_t mask;
    const char *sd;
    size_t nenv = 0;
    int err;

    *out = NULL;
    if (!conf->dir || stat(conf->dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
        !realpath(conf->dir, real)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "'%s' is not a directory%s%s",
                          conf->dir ? conf->dir : "", errno ? ": " : "",
                          errno ? strerror(errno) : "");
    }
    sv = gdx_xcalloc(1, sizeof(*sv));
    sv->conf = *conf;
    sv->lock_fd = sv->epfd = sv->sigfd = -1;
    sv->self = getpid();
    if (!sv->conf.backoff_min_ms) {
        sv->conf.backoff_min_ms = SV_BACKOFF_MIN_MS;
    }
    if (!sv->conf.backoff_max_ms) {
        sv->conf.backoff_max_ms = SV_BACKOFF_MAX_MS;
    }
    if (sv->conf.backoff_max_ms < sv->conf.backoff_min_ms) {
        sv->conf.backoff_max_ms = sv->conf.backoff_min_ms;
    }
    if (!sv->conf.stable_ms) {
        sv->conf.stable_ms = SV_STABLE_MS;
    }
    sv->dir = gdx_xstrdup(real);
    sd = conf->state_dir ? conf->state_dir : getenv("GDX_STATE_DIR");
    sv->state_dir = gdx_xstrdup(sd && *sd ? sd : "/var/lib/gdx");
    if ((err = gdx_sm3_hex(real, strlen(real), hex, errstr, errstr_size))) {
        goto fail;
    }
    memcpy(sv->key, hex, 16);
    sv->key[16] = '\0';
    snprintf(lockname, sizeof(lockname), "supervise-%s", sv->key);
    snprintf(what, sizeof(what), "a supervisor of '%s'", real);
    if ((err = gdx_lock_take(sv->state_dir, lockname, what, &sv->lock_fd, errstr, errstr_size))) {
        goto fail;
    }
    if (asprintf(&sv->pid_file, "%s/%s.pids", sv->state_dir, lockname) < 0) {
        abort();
    }

    if (conf->inventory) {
        if (access(conf->inventory, F_OK) == 0 || !conf->inventory_optional) {
            sv->inventory_path = gdx_xstrdup(conf->inventory);
            if ((err = sv_inventory_load(conf->inventory, &sv->inv, errstr, errstr_size))) {
                goto fail;
            }
        } else {
            gdx_log(GDX_LOG_WARN, "no inventory: systems without a config are not listed",
                    " path=%s", conf->inventory);
        }
    }

    if (conf->exe) {
        sv->exe = gdx_xstrdup(conf->exe);
    } else {
        ssize_t n = readlink("/proc/self/exe", real, sizeof(real) - 1);
        if (n <= 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                             "cannot find the gdx binary (/proc/self/exe): %s", strerror(errno));
            goto fail;
        }
        real[n] = '\0';
        sv->exe = gdx_xstrdup(real);
    }

    /* the children's environment: ours, with the metrics descriptor named */
    for (char **e = environ; e && *e; e++) {
        nenv++;
    }
    sv->envp = gdx_xcalloc(nenv + 2, sizeof(*sv->envp));
    nenv = 0;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, GDX_METRICS_ENV "=", sizeof(GDX_METRICS_ENV))) {
            sv->envp[nenv++] = *e;
        }
    }
    snprintf(sv->metrics_env, sizeof(sv->metrics_env), "%s=3", GDX_METRICS_ENV);
    sv->envp[nenv++] = sv->metrics_env;
    sv->envp[nenv] = NULL;

    /* 113 children hold two pipes each, plus HTTP connections: lift the soft limit (the
     * children get the original back) */
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        rl.rlim_cur = rl.rlim_max = 1024;
    }
    sv->nofile = rl;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        if (up.rlim_cur > rl.rlim_cur) {
            setrlimit(RLIMIT_NOFILE, &up);
        }
    }

    if (getrandom(&sv->rng, sizeof(sv->rng), GRND_NONBLOCK) != (ssize_t)sizeof(sv->rng)) {
        sv->rng = (uint64_t)wall_ms() ^ ((uint64_t)sv->self << 32);
    }
    sv->rng |= 1;

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, &sv->oldmask) < 0) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "sigprocmask: %s", strerror(errno));
        goto fail;
    }
    sv->mask_set = 1;
    sv->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    sv->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sv->sigfd < 0 || sv->epfd < 0) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot set up the event loop: %s",
                         strerror(errno));
        goto fail;
    }
    sv->w_sig.kind = SV_W_SIGNAL;
    watch_add(sv, sv->sigfd, &sv->w_sig);
    if (conf->listen) {
        sv->httpd = gdx_httpd_new(conf->listen, sv_http_handle, sv, &err, errstr, errstr_size);
        if (!sv->httpd) {
            goto fail;
        }
        sv->w_http.kind = SV_W_HTTP;
        watch_add(sv, gdx_httpd_fd(sv->httpd), &sv->w_http);
    }
    *out = sv;
    return GDX_OK;
fail:
    gdx_supervise_destroy(sv);
    return err;
}

void gdx_supervise_destroy(struct gdx_supervisor *sv)
{
    if (!sv) {
        return;
    }
    gdx_httpd_destroy(sv->httpd);
    for (size_t i = 0; i < sv->nkids; i++) {
        child_free(sv, sv->kids[i]);
    }
    free(sv->kids);
    for (size_t i = 0; i < sv->nstrays; i++) {
        child_free(sv, sv->strays[i]);
    }
    free(sv->strays);
    if (sv->sigfd >= 0) {
        close(sv->sigfd);
    }
    if (sv->epfd >= 0) {
        close(sv->epfd);
    }
    if (sv->mask_set) {
        sigprocmask(SIG_SETMASK, &sv->oldmask, NULL);
    }
    if (sv->lock_fd >= 0) {
        close(sv->lock_fd); /* never unlinked (gdx_lock.h) */
    }
    sv_inventory_destroy(sv->inv);
    free(sv->inventory_path);
    free(sv->envp);
    free(sv->exe);
    free(sv->pid_file);
    free(sv->dir);
    free(sv->state_dir);
    free(sv);
}
