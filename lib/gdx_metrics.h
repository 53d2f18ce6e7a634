/*
 * gdx_metrics.h - what a connector (or the uplink) tells its supervisor.
 *
 * `gdx supervise` starts each child with an inherited pipe named by the environment variable
 * GDX_METRICS_FD. The child writes one line of JSON per report to it: at most one a second
 * while batches commit, and at once on a state change. Every report is a full snapshot of
 * cumulative counters since the process started, so a report that is lost (the pipe full, the
 * supervisor busy) costs freshness, never a count. A process run without a supervisor has no
 * such variable: gdx_metrics_from_env() returns NULL and every call below is a no-op on NULL.
 *
 * The line (protocol version 1, one object, no newline inside, at most GDX_METRICS_LINE_MAX
 * bytes so that a pipe write is atomic):
 *
 *   {"v":1,"state":"running","records":1200,"dead":3,"bytes":456789,"batches":12,
 *    "aborts":0,"lag_s":2.5,"last_commit_ms":1764300000123,
 *    "commit_s":{"count":12,"sum":0.84,"le":[0,0,3,9,12,12,12,12,12,12,12]},"error":"..."}
 *
 *   state           "running" (ready and moving data), "stopped" (clean exit) or "failed"
 *                   (exiting with the error in "error")
 *   records         records committed to Kafka (the uplink: forwarded and committed)
 *   dead            dead letters committed
 *   bytes           encoded value bytes of the committed records
 *   batches         committed batches (transactions)
 *   aborts          batch attempts given up and re-read from the committed position
 *   lag_s           source lag in seconds (gdx_ctx_set_lag), null when unknown
 *   last_commit_ms  wall clock (ms since the epoch) of the newest commit, 0 before the first
 *   commit_s        commit latency: count, sum (seconds) and cumulative counts per bucket
 *                   bound GDX_METRICS_BUCKETS (the +Inf bucket is count)
 *   error           only with "failed"
 *
 * Unknown keys are ignored by the reader, so later versions may add some.
 */
#ifndef GDX_METRICS_H
#define GDX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define GDX_METRICS_ENV      "GDX_METRICS_FD"
#define GDX_METRICS_VERSION  1
#define GDX_METRICS_LINE_MAX 4096 /* PIPE_BUF on Linux: a write of this size is atomic */
#define GDX_METRICS_NBUCKETS 11
/* Commit latency bucket bounds in seconds (Prometheus' default buckets) */
#define GDX_METRICS_BUCKETS                                                                        \
    {                                                                                              \
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10                                    \
    }
#define GDX_METRICS_INTERVAL_MS 1000

/* One report as the supervisor reads it. */
struct gdx_metrics_report {
    char state[16];
    uint64_t records, dead, bytes, batches, aborts;
    double lag_s; /* < 0: unknown */
    int64_t last_commit_ms;
    uint64_t commit_count;
    double commit_sum;
    uint64_t commit_le[GDX_METRICS_NBUCKETS]; /* cumulative */
    char error[1024];
};

struct gdx_metrics;

/*
 * The reporting side for this process, or NULL when GDX_METRICS_FD is not set (not
 * supervised) or names no open descriptor. Takes the descriptor over: it is made
 * close-on-exec and non-blocking, and the variable is removed from the environment, so
 * programs the process starts neither inherit nor misuse it. The process must ignore SIGPIPE
 * (every gdx command does): a supervisor that went away only disables reporting.
 */
struct gdx_metrics *gdx_metrics_from_env(void);
/* Close the descriptor; NULL is a no-op. Send a final state first. */
void gdx_metrics_destroy(struct gdx_metrics *m);

/* Report a state at once: "running", "stopped", or "failed" with @p error (may be NULL). */
void gdx_metrics_state(struct gdx_metrics *m, const char *state, const char *error);
/* A batch committed: its counts and how long closing it took (ms). */
void gdx_metrics_committed(struct gdx_metrics *m, uint64_t records, uint64_t dead, uint64_t bytes,
                           int64_t commit_ms);
/* A batch attempt was given up. */
void gdx_metrics_aborted(struct gdx_metrics *m);
/* The source lag in seconds, < 0 unknown. */
void gdx_metrics_lag(struct gdx_metrics *m, double seconds);
/* Send what changed if the last report is GDX_METRICS_INTERVAL_MS old; call it from the
 * loop. Costs a clock read when nothing changed. */
void gdx_metrics_tick(struct gdx_metrics *m);

/*
 * Format @p r as a report line with its newline into @p buf (at most GDX_METRICS_LINE_MAX
 * bytes; the error text is shortened to fit). Returns the length.
 */
size_t gdx_metrics_format(const struct gdx_metrics_report *r, char *buf, size_t size);

/*
 * Parse one report line (without or with its newline). Returns GDX_OK or GDX_ERR_PARSE with
 * the reason in errstr; @p out is filled only on success.
 */
int gdx_metrics_parse(const char *line, size_t len, struct gdx_metrics_report *out, char *errstr,
                      size_t errstr_size);

#endif
