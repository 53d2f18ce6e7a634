/*
 * gdx_metrics.c - the reporting side of a supervised process, and the reader of its lines.
 *
 * A connector or the uplink keeps cumulative counters here and writes a snapshot of them to
 * the pipe its supervisor gave it (gdx_metrics.h has the line format). Invariants:
 *
 *  - Reporting never slows or stops the data path: the descriptor is non-blocking, a report
 *    that does not fit in the pipe is dropped and the next one carries the same totals; after
 *    EPIPE (the supervisor is gone) reporting is off for good.
 *  - A write is at most GDX_METRICS_LINE_MAX (PIPE_BUF) bytes, which a pipe takes whole or
 *    not at all: the reader never sees half a line.
 *  - At most one report per GDX_METRICS_INTERVAL_MS, except state changes, which go at once.
 *  - Without a supervisor nothing is allocated and every call returns at its first line.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gdx_avro.h"
#include "gdx_err.h"
#include "gdx_metrics.h"
#include "gdx_util.h"

static const double metrics_bounds[GDX_METRICS_NBUCKETS] = GDX_METRICS_BUCKETS;

struct gdx_metrics {
    int fd;
    int dirty;
    int64_t last_sent_ms; /* monotonic */
    struct gdx_metrics_report r;
    uint64_t bucket[GDX_METRICS_NBUCKETS]; /* non-cumulative counts */
};

struct gdx_metrics *gdx_metrics_from_env(void)
{
    const char *v = getenv(GDX_METRICS_ENV);
    struct gdx_metrics *m;
    struct stat st;
    char *end;
    long fd;
    int fl;

    if (!v || !*v) {
        return NULL;
    }
    errno = 0;
    fd = strtol(v, &end, 10);
    unsetenv(GDX_METRICS_ENV);
    if (errno || *end || fd < 0 || fd > 65535 || fstat((int)fd, &st) || !S_ISFIFO(st.st_mode)) {
        return NULL;
    }
    fl = fcntl((int)fd, F_GETFL);
    if (fl < 0 || fcntl((int)fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
        return NULL;
    }
    m = gdx_xcalloc(1, sizeof(*m));
    m->fd = (int)fd;
    m->r.lag_s = -1;
    snprintf(m->r.state, sizeof(m->r.state), "starting");
    return m;
}

void gdx_metrics_destroy(struct gdx_metrics *m)
{
    if (!m) {
        return;
    }
    if (m->fd >= 0) {
        close(m->fd);
    }
    free(m);
}

size_t gdx_metrics_format(const struct gdx_metrics_report *r, char *buf, size_t size)
{
    json_t *doc, *commit, *le;
    char *s;
    size_t n, errlen = strlen(r->error);

    if (size > GDX_METRICS_LINE_MAX) {
        size = GDX_METRICS_LINE_MAX;
    }
    for (;;) {
        le = json_array();
        for (size_t i = 0; i < GDX_METRICS_NBUCKETS; i++) {
            json_array_append_new(le, json_integer((json_int_t)r->commit_le[i]));
        }
        commit = json_pack("{s:I,s:f,s:o}", "count", (json_int_t)r->commit_count, "sum",
                           r->commit_sum, "le", le);
        doc = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o}", "v", GDX_METRICS_VERSION,
                        "state", r->state, "records", (json_int_t)r->records, "dead",
                        (json_int_t)r->dead, "bytes", (json_int_t)r->bytes, "batches",
                        (json_int_t)r->batches, "aborts", (json_int_t)r->aborts, "lag_s",
                        r->lag_s >= 0 && isfinite(r->lag_s) ? json_real(r->lag_s) : json_null(),
                        "last_commit_ms", (json_int_t)r->last_commit_ms, "commit_s", commit);
        if (!doc) {
            abort();
        }
        if (errlen) {
            /* invalid UTF-8 in the error text (json_stringn refuses it) drops the text */
            json_t *e = json_stringn(r->error, errlen);
            if (e) {
                json_object_set_new(doc, "error", e);
            }
        }
        s = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!s) {
            abort();
        }
        n = strlen(s);
        if (n + 2 <= size || !errlen) {
            break;
        }
        free(s);
        /* shorten the error text until the line fits (never cut inside a UTF-8 sequence) */
        errlen = errlen > n + 2 - size + 16 ? errlen - (n + 2 - size + 16) : 0;
        while (errlen && ((unsigned char)r->error[errlen] & 0xc0) == 0x80) {
            errlen--;
        }
    }
    if (n + 2 > size) {
        free(s);
        buf[0] = '\0';
        return 0;
    }
    memcpy(buf, s, n);
    buf[n++] = '\n';
    buf[n] = '\0';
    free(s);
    return n;
}

static void metrics_send(struct gdx_metrics *m)
{
    char line[GDX_METRICS_LINE_MAX];
    uint64_t cum = 0;
    size_t n;
    ssize_t w;

    for (size_t i = 0; i < GDX_METRICS_NBUCKETS; i++) {
        cum += m->bucket[i];
        m->r.commit_le[i] = cum;
    }
    n = gdx_metrics_format(&m->r, line, sizeof(line));
    m->last_sent_ms = gdx_mono_ms();
    if (!n) {
        return;
    }
    do {
        w = write(m->fd, line, n);
    } while (w < 0 && errno == EINTR);
    if (w == (ssize_t)n) {
        m->dirty = 0;
    } else if (w < 0 && errno != EAGAIN) {
        /* the supervisor is gone (EPIPE) or the descriptor is broken: stop reporting */
        close(m->fd);
        m->fd = -1;
    }
}

void gdx_metrics_state(struct gdx_metrics *m, const char *state, const char *error)
{
    if (!m || m->fd < 0) {
        return;
    }
    snprintf(m->r.state, sizeof(m->r.state), "%s", state);
    snprintf(m->r.error, sizeof(m->r.error), "%s", error ? error : "");
    metrics_send(m);
}

void gdx_metrics_committed(struct gdx_metrics *m, uint64_t records, uint64_t dead, uint64_t bytes,
                           int64_t commit_ms)
{
    double s;
    size_t i;

    if (!m || m->fd < 0) {
        return;
    }
    s = commit_ms > 0 ? (double)commit_ms / 1000.0 : 0.0;
    m->r.records += records;
    m->r.dead += dead;
    m->r.bytes += bytes;
    m->r.batches++;
    m->r.last_commit_ms = gdx_now_ms();
    m->r.commit_count++;
    m->r.commit_sum += s;
    for (i = 0; i < GDX_METRICS_NBUCKETS && s > metrics_bounds[i]; i++) {
    }
    if (i < GDX_METRICS_NBUCKETS) {
        m->bucket[i]++;
    }
    m->dirty = 1;
    gdx_metrics_tick(m);
}

void gdx_metrics_aborted(struct gdx_metrics *m)
{
    if (!m || m->fd < 0) {
        return;
    }
    m->r.aborts++;
    m->dirty = 1;
}

void gdx_metrics_lag(struct gdx_metrics *m, double seconds)
{
    if (!m || m->fd < 0) {
        return;
    }
    if (!(seconds >= 0) || !isfinite(seconds)) {
        seconds = -1;
    }
    if (seconds != m->r.lag_s) {
        m->r.lag_s = seconds;
        m->dirty = 1;
    }
}

void gdx_metrics_tick(struct gdx_metrics *m)
{
    if (!m || m->fd < 0 || !m->dirty) {
        return;
    }
    if (gdx_mono_ms() - m->last_sent_ms >= GDX_METRICS_INTERVAL_MS) {
        metrics_send(m);
    }
}

/* ---------------------------------------------------------------------------------------
 * Reader
 */

static int get_u64(json_t *doc, const char *key, uint64_t *out, char *errstr, size_t errstr_size)
{
    json_t *v = json_object_get(doc, key);
    if (!v) {
        *out = 0;
        return GDX_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "'%s' must be a non-negative integer",
                          key);
    }
    *out = (uint64_t)json_integer_value(v);
    return GDX_OK;
}

int gdx_metrics_parse(const char *line, size_t len, struct gdx_metrics_report *out, char *errstr,
                      size_t errstr_size)
{
    struct gdx_metrics_report r;
    json_error_t jerr;
    json_t *doc, *v, *c;
    int err = GDX_ERR_PARSE;

    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        len--;
    }
    if (len > GDX_METRICS_LINE_MAX) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "report longer than %d bytes",
                          GDX_METRICS_LINE_MAX);
    }
    doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc || !json_is_object(doc)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "not a JSON object (col %d: %s)",
                   doc ? 1 : jerr.column, doc ? "not an object" : jerr.text);
        goto out;
    }
    memset(&r, 0, sizeof(r));
    v = json_object_get(doc, "v");
    if (!json_is_integer(v) || json_integer_value(v) != GDX_METRICS_VERSION) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "unknown report version (want \"v\":%d)",
                   GDX_METRICS_VERSION);
        goto out;
    }
    v = json_object_get(doc, "state");
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= sizeof(r.state)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "'state' must be a short string");
        goto out;
    }
    snprintf(r.state, sizeof(r.state), "%s", json_string_value(v));
    if (get_u64(doc, "records", &r.records, errstr, errstr_size) ||
        get_u64(doc, "dead", &r.dead, errstr, errstr_size) ||
        get_u64(doc, "bytes", &r.bytes, errstr, errstr_size) ||
        get_u64(doc, "batches", &r.batches, errstr, errstr_size) ||
        get_u64(doc, "aborts", &r.aborts, errstr, errstr_size)) {
        goto out;
    }
    v = json_object_get(doc, "lag_s");
    r.lag_s = json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) : -1;
    v = json_object_get(doc, "last_commit_ms");
    r.last_commit_ms = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    c = json_object_get(doc, "commit_s");
    if (c) {
        json_t *le = json_object_get(c, "le");
        if (!json_is_object(c) || get_u64(c, "count", &r.commit_count, errstr, errstr_size)) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "'commit_s' must be an object");
            goto out;
        }
        v = json_object_get(c, "sum");
        r.commit_sum = json_is_number(v) ? json_number_value(v) : 0;
        if (!json_is_array(le) || json_array_size(le) != GDX_METRICS_NBUCKETS) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                       "'commit_s.le' must hold %d cumulative counts", GDX_METRICS_NBUCKETS);
            goto out;
        }
        for (size_t i = 0; i < GDX_METRICS_NBUCKETS; i++) {
            v = json_array_get(le, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                (i && (uint64_t)json_integer_value(v) < r.commit_le[i - 1])) {
                gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                           "'commit_s.le' must hold %d non-decreasing counts",
                           GDX_METRICS_NBUCKETS);
                goto out;
            }
            r.commit_le[i] = (uint64_t)json_integer_value(v);
        }
    }
    v = json_object_get(doc, "error");
    if (json_is_string(v)) {
        /* shortened to the report's buffer, never inside a UTF-8 sequence (an error text
         * cut in a character would be dropped from /status and the next format) */
        const char *e = json_string_value(v);
        size_t n = strlen(e);
        if (n >= sizeof(r.error)) {
            n = sizeof(r.error) - 1;
            while (n && ((unsigned char)e[n] & 0xc0) == 0x80) {
                n--;
            }
        }
        memcpy(r.error, e, n);
        r.error[n] = '\0';
    }
    *out = r;
    err = GDX_OK;
out:
    json_decref(doc);
    return err;
}
