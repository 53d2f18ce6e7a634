/*
 * gdx_supervise.h - `gdx supervise DIR`: every connector config in DIR as its own process.
 *
 * One child per config file (`gdx connector run -c FILE`; a file whose top-level key is
 * `uplink:` runs `gdx uplink -c FILE`), restarted with exponential backoff and jitter except
 * after exit 78 (bad config) or 2 (usage), which leave it stopped with the reason. SIGTERM or
 * SIGINT stop every child within its shutdown.grace.ms (then SIGKILL); SIGHUP re-reads DIR:
 * new files start, removed ones stop, changed ones (SM3 of the file) restart, the rest are
 * left alone. Children report their counters over a pipe (gdx_metrics.h); the supervisor
 * serves them as Prometheus text on /metrics, as JSON on /status and as a status page on /.
 * docs/supervise.md is the user's guide.
 */
#ifndef GDX_SUPERVISE_H
#define GDX_SUPERVISE_H

#include <stddef.h>
#include <stdint.h>

struct gdx_supervise_conf {
    const char *dir;        /* the connector configs (*.yaml, *.yml) */
    const char *inventory;  /* the city inventory (units and systems), NULL for none */
    int inventory_optional; /* a missing inventory file is a warning, not an error */
    const char *listen;     /* "HOST:PORT" for HTTP, NULL for none */
    const char *state_dir;  /* NULL: $GDX_STATE_DIR, else /var/lib/gdx */
    const char *exe;        /* the gdx binary the children run; NULL: this one */
    int64_t backoff_min_ms; /* first restart delay (0: 1 s) */
    int64_t backoff_max_ms; /* longest restart delay (0: 60 s) */
    int64_t stable_ms;      /* a child that ran this long starts over at backoff_min_ms
                             * (0: 60 s) */
};

struct gdx_supervisor;

/*
 * Check the directory, load the inventory, take the supervisor's lock for DIR on this host,
 * block the signals the loop reads (SIGCHLD, SIGTERM, SIGINT, SIGHUP) and start listening.
 * Nothing is started yet. Errors: GDX_ERR_USAGE (bad listen address), GDX_ERR_CONFIG (DIR
 * or the inventory unusable), GDX_ERR_LOCKED (another supervisor runs DIR), GDX_ERR_IO.
 */
int gdx_supervise_new(struct gdx_supervisor **out, const struct gdx_supervise_conf *conf,
                      char *errstr, size_t errstr_size);

/* "http://HOST:PORT" once listening, else NULL. */
const char *gdx_supervise_url(const struct gdx_supervisor *sv);

/*
 * Take over from a previous supervisor of DIR (waiting for its children that are still
 * stopping), start every config, and run the event loop until SIGTERM or SIGINT and every
 * child has exited. Returns GDX_OK after a clean stop.
 */
int gdx_supervise_run(struct gdx_supervisor *sv, char *errstr, size_t errstr_size);

/* Stop serving, release the lock and restore the signal mask; NULL is a no-op. */
void gdx_supervise_destroy(struct gdx_supervisor *sv);

#endif
