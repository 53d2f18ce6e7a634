/*
 * gdx_supervise_int.h - the supervisor's state, shared by its process side
 * (gdx_supervise.c) and its HTTP side (gdx_supervise_http.c: inventory, /status, /metrics
 * and the status page). Both run on the one thread of the event loop.
 */
#ifndef GDX_SUPERVISE_INT_H
#define GDX_SUPERVISE_INT_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "gdx_httpd.h"
#include "gdx_metrics.h"
#include "gdx_supervise.h"

#define SV_HISTORY       10 /* exits kept per child */
#define SV_SLOTS         64 /* throughput ring: slots of SV_SLOT_MS */
#define SV_SLOT_MS       2000
#define SV_SPARK         60   /* slots shown in the sparkline (two minutes) */
#define SV_KILL_SLACK_MS 3000 /* after a child's grace period, before SIGKILL */

enum sv_state {
    SV_STARTING, /* spawned, not yet reported running */
    SV_RUNNING,  /* reported running */
    SV_STOPPING, /* SIGTERM sent */
    SV_BACKOFF,  /* exited; restart at next_try_ms */
    SV_STOPPED,  /* not restarted: bad config, duplicate id, or removed */
    SV_WAITING,  /* waiting for the previous supervisor's child of this config to exit */
    SV_UNBUILT,  /* its connector kind is not built into this gdx */
};

/* What an epoll event belongs to */
enum sv_watch_kind { SV_W_SIGNAL, SV_W_HTTP, SV_W_LOG, SV_W_METRICS, SV_W_ORPHAN };

struct sv_child;

struct sv_watch {
    enum sv_watch_kind kind;
    struct sv_child *child;
};

struct sv_exit {
    int64_t at_ms; /* wall clock */
    int code;      /* exit code, or -1 when killed by a signal */
    int sig;       /* the signal, or 0 */
    int64_t ran_ms;
    int64_t backoff_ms; /* the delay chosen before the next start, 0 none */
    int requested;      /* the supervisor asked it to stop */
    char why[320];
};

/* Totals over every process of a config: the finished ones plus the current one */
struct sv_totals {
    uint64_t records, dead, bytes, batches, aborts, commit_count;
    double commit_sum;
    uint64_t commit_le[GDX_METRICS_NBUCKETS];
};

struct sv_child {
    /* the config */
    char *file; /* name in DIR */
    char *path; /* DIR/file */
    char digest[65];
    int uplink;
    char *id, *unit, *system, *kind;
    int64_t grace_ms;
    char *load_error; /* the supervisor could not read the file (the child will say why) */

    /* the process */
    enum sv_state state;
    pid_t pid;
    int64_t started_ms, started_wall_ms, since_wall_ms;
    int log_fd, met_fd;
    struct sv_watch w_log, w_met, w_orphan;
    char logbuf[4096];
    size_t loglen;
    char *metbuf;
    size_t metlen;
    char last_log[512];   /* the newest line it wrote */
    char last_error[512]; /* the newest line at level error (or the child's "error") */
    int64_t kill_at_ms;   /* SIGKILL deadline while stopping, 0 none */
    int restart_pending;  /* config changed: start again once it exited */
    int removed;          /* config removed: forget once it exited */
    int forget;

    /* restarts */
    int streak;          /* failures in a row */
    int64_t next_try_ms; /* monotonic */
    uint64_t starts, restarts, exits_total;
    struct sv_exit hist[SV_HISTORY];
    size_t nhist, hist_next;
    char why[512]; /* why it is stopped or backing off */
    int last_code; /* last exit code (128+signal when killed), -1 none */

    /* an earlier supervisor's child still running this config */
    pid_t orphan_pid;
    int orphan_fd;
    int64_t orphan_kill_at_ms;

    /* what it reported */
    struct gdx_metrics_report cur;
    int reported;
    struct sv_totals base;
    int64_t last_commit_ms;
    uint64_t ring[SV_SLOTS];
    int64_t ring_slot; /* absolute slot of the newest value, -1 none */
};

struct sv_inv_system {
    char *id, *unit, *system, *name, *kind, *config, *topic, *share, *cycle;
    int uplink;
};

struct sv_inv_unit {
    char *id, *name;
    size_t first, n; /* its systems in the inventory's array */
};

struct sv_inventory {
    char *path;
    char *city_id, *city_name, *parent, *region_code;
    int64_t units_declared, systems_declared;
    struct sv_inv_unit *units;
    size_t nunits;
    struct sv_inv_system *systems;
    size_t nsystems;
};

struct gdx_supervisor {
    struct gdx_supervise_conf conf;
    char *dir, *state_dir, *exe, *inventory_path;
    char key[17]; /* SM3 of the directory's real path, 16 hex: names the lock and pid file */
    char *pid_file;
    int lock_fd;
    int epfd, sigfd;
    struct sv_watch w_sig, w_http;
    sigset_t oldmask;
    struct rlimit nofile; /* the limit as found: the children's */
    int mask_set;
    struct gdx_httpd *httpd;
    char **envp;
    char metrics_env[32];
    pid_t self;
    uint64_t rng;
    int64_t started_ms, started_wall_ms;
    int stopping, kill_all;
    int pids_dirty;
    uint64_t reloads;
    char reload_error[512];
    struct sv_inventory *inv;
    char inv_error[512];

    struct sv_child **kids;
    size_t nkids, capkids;
    /* an earlier supervisor's children whose configs are gone */
    struct sv_child **strays;
    size_t nstrays;
};

/* gdx_supervise_http.c */
int sv_inventory_load(const char *path, struct sv_inventory **out, char *errstr,
                      size_t errstr_size);
void sv_inventory_destroy(struct sv_inventory *inv);
void sv_http_handle(void *opaque, const char *path, struct gdx_httpd_reply *reply);
char *sv_status_json(struct gdx_supervisor *sv);
char *sv_metrics_text(struct gdx_supervisor *sv, size_t *len);

/* gdx_supervise.c, for the HTTP side */
const char *sv_state_name(enum sv_state s);
void sv_totals(const struct sv_child *c, struct sv_totals *t);
/* Records committed at the end of slot @p slot (absolute), from the ring. */
uint64_t sv_ring_at(const struct sv_child *c, int64_t slot);
int sv_kind_built(const char *kind);

#endif
