/*
 * exec.c - the exec connector: any program as the adapter, speaking the Singer protocol.
 *
 * The connector runs the department's program (a Singer tap, a Python or shell script, a
 * Java jar) as `PROGRAM ARGS [--config FILE] [--state FILE] [--catalog FILE]` and reads
 * its stdout: Singer's JSON lines (SCHEMA / RECORD / STATE) or, for high rates, the binary
 * frames of gdxframe.h. RECORD objects of the chosen stream become rows (lib/gdx_jrow.h);
 * the adapter's stderr lines go to the log, tagged with the connector id.
 *
 * Position, and why it is exactly once. The source offset is
 *     {"state": <the last STATE value, or null>, "records": N, "digest": "<hex>"}
 * : the last STATE the adapter wrote, plus the N messages of the stream it wrote after that
 * STATE, which are in Kafka too (N = 0 whenever a batch ends at a STATE). A batch can end
 * anywhere, when the runtime's batch bounds are reached or poll returns; messages already
 * read but not yet in a batch stay in the connector's buffer for the next batch, so batch
 * boundaries alone never cost a replay. When the adapter has to be started again (a crash,
 * a restart of the connector, a transaction aborted after the records were read), it gets
 * the STATE with --state FILE and the connector skips the first N messages of the stream it
 * writes: they are the N already committed. This assumes that an adapter started from a
 * STATE writes the same messages after it again, in the same order (deterministic replay,
 * as a tap reading by a bookmark column in key order does). The digest (a hash over those N
 * records' JSON text or frame payloads) checks the assumption on every replay and the log
 * says when it did not hold. A STATE is stored only in the batch that holds, or follows,
 * every record written before it: the Singer rule.
 *
 * The adapter runs as a child in its own process group (child.c). Exit 0 after its output
 * ends is the end of its stream: `--once` exits, otherwise it runs again after
 * rerun.interval.ms. Any other end is a failure: it is restarted from the committed
 * position after a backoff that doubles up to restart.backoff.max.ms. On stop it gets
 * SIGTERM, then SIGKILL after stop.grace.ms.
 *
 * Hostile output is bounded: a line or frame longer than message.max.bytes is refused
 * (dead letter with its first bytes) without being buffered whole, nesting deeper than
 * json.max.depth is refused before jansson sees it, a STATE larger than state.max.bytes is
 * refused. Malformed lines and frames go to the dead letter topic with `exec:<stream>:<n>`
 * (line or frame number of the adapter's current run) and the stream continues.
 *
 * Fault points for the tests (lib/gdx_fault.h): `exec.read` fails a read of the adapter's
 * stdout with EIO, `exec.spawn` fails starting it with EAGAIN (in child.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gdx.h"
#include "gdx_fault.h"
#include "gdx_jrow.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_text.h"
#include "gdx_util.h"

#include "child.h"
#include "frame.h"

/* bytes kept of a refused overlong line or frame */
#define EXEC_DLQ_RAW_MAX 4096
/* bytes of one stderr line forwarded, and lines forwarded a second (the rest counted) */
#define EXEC_ERRLINE_MAX     GDX_LIMIT_ADAPTER_ERR_LINE
#define EXEC_ERR_LINES_PER_S GDX_LIMIT_ADAPTER_ERR_LINES
/* stderr bytes read at a time: stdout gets its turn */
#define EXEC_ERR_READ_MAX 65536
#define EXEC_HASH_SEED    0xcbf29ce484222325ULL
#define EXEC_HASH_K1      0x9e3779b97f4a7c15ULL
#define EXEC_HASH_K2      0xff51afd7ed558ccdULL
#define EXEC_WARNED_MAX   16

enum exec_fmt { EXEC_FMT_AUTO, EXEC_FMT_SINGER, EXEC_FMT_BINARY };

extern char **environ;

struct exec_inst {
    /* the `source:` section, bound by the runtime */
    char **command;
    char *config;
    char *catalog;
    char *catalog_arg;
    char **env;
    char *working_dir;
    char *format;
    char *stream;
    char *lag_field;
    int64_t message_max_bytes;
    int64_t state_max_bytes;
    int64_t read_buffer_bytes;
    int64_t json_max_depth;
    int64_t stop_grace_ms;
    int64_t restart_backoff_ms;
    int64_t restart_backoff_max_ms;
    int64_t rerun_interval_ms;

    /* resolved by init */
    enum exec_fmt fmt;
    char **argv; /* program (resolved), arguments, --config, --catalog; --state per run */
    size_t argc;
    char **envp;
    char *cwd;
    char *state_path;
    struct gdx_jrow *jrow;
    struct exec_frames *frames;

    /* the current run */
    struct exec_child child;
    int running;  /* a child was started and its output is not finished */
    int binary;   /* this run's output is frames */
    int detected; /* the first byte decided the format */
    unsigned char *buf;
    size_t cap, len, pos;
    uint64_t lineno;  /* lines (or frames) of this run */
    int discard_line; /* inside a refused overlong line: drop bytes until its newline */
    uint64_t discard; /* bytes still to drop of a refused overlong frame */
    char errline[EXEC_ERRLINE_MAX + 8];
    int64_t err_window_ms; /* the second whose stderr lines are counted */
    uint64_t err_lines, err_dropped;
    size_t errlen;
    int errskip;
    int run_moved;   /* this run added something */
    int read_failed; /* its output could not be read whole */
    uint64_t run_items, runs;

    /* position: the last STATE (canonical JSON) and the messages after it */
    char *state;
    uint64_t count;
    uint64_t digest;
    /* replay after a start from a STATE: messages to skip and their expected digest */
    uint64_t skip, rcount, rdigest, want_digest;
    int digest_known; /* the position's digest can be checked */

    /* supervision */
    int finished;        /* the last run ended with exit 0 and all of its output was read */
    int64_t finished_ms; /* when (monotonic) */
    int64_t restart_at;  /* no run before this (monotonic) */
    int failures;        /* consecutive failed runs */
    char *first_stream;  /* without source.stream: the one stream the adapter writes */
    char *warned[EXEC_WARNED_MAX];
    size_t nwarned;

    /* per poll */
    struct gdx_ctx *ctx;
    struct gdx_batch *batch;
    int moved, full, fatal;
    char fatal_msg[512];
    char *posbuf, *offbuf;
    size_t poscap, offcap;
};

#define OFF(f) offsetof(struct exec_inst, f)

static const struct gdx_conf_prop exec_props[] = {
    {"command", GDX_CONF_STRLIST, OFF(command), NULL, NULL,
     "The adapter: program and arguments, e.g. [/usr/bin/python3, tap_gaoling.py]. A program "
     "without a slash is looked up in PATH; a relative path is relative to the config file."},
    {"config", GDX_CONF_STR, OFF(config), "", NULL,
     "The adapter's own JSON config file, passed as --config FILE (Singer taps require one). "
     "Relative to the config file."},
    {"catalog", GDX_CONF_STR, OFF(catalog), "", NULL,
     "A Singer catalog file passed with catalog.arg, to select the tap's streams."},
    {"catalog.arg", GDX_CONF_STR, OFF(catalog_arg), "--catalog", "--catalog|--properties",
     "How the catalog is passed: --catalog (current taps) or --properties (older taps)."},
    {"env", GDX_CONF_STRLIST, OFF(env), "", NULL,
     "NAME=value entries added to the adapter's environment (it inherits the connector's, and "
     "gets GDX_CONNECTOR_ID). Values are never logged."},
    {"working.dir", GDX_CONF_STR, OFF(working_dir), "", NULL,
     "Folder the adapter runs in; default the folder of the config file."},
    {"format", GDX_CONF_STR, OFF(format), "auto", "auto|singer|binary",
     "What the adapter writes on stdout: Singer JSON lines, the binary frames of "
     "connectors/exec/gdxframe.h, or auto (frames when the output starts with their preamble)."},
    {"stream", GDX_CONF_STR, OFF(stream), "", NULL,
     "The Singer stream this connector sends (one connector writes one topic); records of "
     "other streams are ignored. Empty: the adapter must write a single stream."},
    {"lag.field", GDX_CONF_STR, OFF(lag_field), "", NULL,
     "A record field holding the source's change time (RFC 3339, 'YYYY-MM-DD HH:MM:SS' at "
     "+08:00, or Unix seconds): the connector reports now minus it as its source lag."},
    {"message.max.bytes", GDX_CONF_SIZE, OFF(message_max_bytes), "1MiB", NULL,
     "Longest line (or frame); a longer one goes to the dead letter topic with its first 4 KiB "
     "and the stream goes on."},
    {"state.max.bytes", GDX_CONF_SIZE, OFF(state_max_bytes), "256KiB", NULL,
     "Largest STATE value; a larger one is refused (dead letter) and the previous STATE kept."},
    {"read.buffer.bytes", GDX_CONF_SIZE, OFF(read_buffer_bytes), "256KiB", NULL,
     "Bytes read from the adapter's stdout per system call."},
    {"json.max.depth", GDX_CONF_INT, OFF(json_max_depth), "64", NULL,
     "Deepest JSON nesting accepted in a line; deeper lines are refused before parsing."},
    {"stop.grace.ms", GDX_CONF_DURATION, OFF(stop_grace_ms), "5s", NULL,
     "On stop (or before a restart) the adapter gets SIGTERM, then SIGKILL after this long."},
    {"restart.backoff.ms", GDX_CONF_DURATION, OFF(restart_backoff_ms), "1s", NULL,
     "Wait before restarting an adapter that failed (non-zero exit, killed); doubles with each "
     "failure in a row."},
    {"restart.backoff.max.ms", GDX_CONF_DURATION, OFF(restart_backoff_max_ms), "1m", NULL,
     "Longest wait between restarts of a failing adapter."},
    {"rerun.interval.ms", GDX_CONF_DURATION, OFF(rerun_interval_ms), "5m", NULL,
     "After the adapter exits 0 (its stream is complete), run it again after this long from "
     "its last STATE, like a schedule. 0: do not run it again (until the connector restarts)."},
    GDX_CONF_END,
};

/* ------------------------------------------------------------------------------------- */
/* small helpers */

static char *exec_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *exec_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return s;
}

/*
 * The replay digest: a 64-bit multiply-and-xorshift hash over 8-byte words (not FNV's byte
 * loop: it runs over every record), chained from message to message. It detects an adapter
 * that writes other messages after a STATE than before; it is no protection against anyone.
 */
static uint64_t exec_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t w;

    h ^= (uint64_t)n * EXEC_HASH_K1;
    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * EXEC_HASH_K2;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * EXEC_HASH_K2;
    h ^= h >> 32;
    return h;
}

/* The folder of the config file, for relative paths. */
static char *exec_base_dir(struct gdx_ctx *ctx)
{
    const char *base = gdx_ctx_config_dir(ctx);
    struct stat st;
    char *b, *slash;

    if (!base || !*base) {
        return gdx_xstrdup(".");
    }
    if (stat(base, &st) == 0 && S_ISDIR(st.st_mode)) {
        return gdx_xstrdup(base);
    }
    b = gdx_xstrdup(base);
    slash = strrchr(b, '/');
    if (!slash) {
        free(b);
        return gdx_xstrdup(".");
    }
    if (slash == b) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    return b;
}

static char *exec_resolve(const char *base, const char *p)
{
    return p[0] == '/' ? gdx_xstrdup(p) : exec_xasprintf("%s/%s", base, p);
}

/* argv[0] as an absolute path: PATH lookup for a bare name, like execvp, done before fork. */
static int exec_find_program(const char *base, const char *name, char **out, char *errstr,
                             size_t errstr_size)
{
    const char *path;
    char *dirs, *save = NULL, *d;

    *out = NULL;
    if (!*name) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "source.command[0] is empty");
    }
    if (strchr(name, '/')) {
        *out = exec_resolve(base, name);
    } else {
        path = getenv("PATH");
        dirs = gdx_xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
        for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char *cand = exec_xasprintf("%s/%s", *d ? d : ".", name);
            if (access(cand, X_OK) == 0) {
                *out = cand;
                break;
            }
            free(cand);
        }
        free(dirs);
        if (!*out) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source.command: program '%s' is not in PATH", name);
        }
    }
    if (access(*out, X_OK) != 0) {
        int e = errno;
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "source.command: cannot run '%s': %s", *out,
                   strerror(e));
        free(*out);
        *out = NULL;
        return GDX_ERR_CONFIG;
    }
    return GDX_OK;
}

static void exec_strv_push(char ***v, size_t *n, char *s)
{
    *v = gdx_xrealloc(*v, (*n + 2) * sizeof(**v));
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

static void exec_strv_free(char **v)
{
    for (char **p = v; p && *p; p++) {
        free(*p);
    }
    free(v);
}

/* Warn once per key (an unknown message type, an ignored stream). */
static int exec_first_time(struct exec_inst *ei, const char *what, const char *name)
{
    char *key = exec_xasprintf("%s:%s", what, name);
    for (size_t i = 0; i < ei->nwarned; i++) {
        if (strcmp(ei->warned[i], key) == 0) {
            free(key);
            return 0;
        }
    }
    if (ei->nwarned < EXEC_WARNED_MAX) {
        ei->warned[ei->nwarned++] = key;
    } else {
        free(key);
    }
    return 1;
}

/* Seconds since the epoch of an RFC 3339 or 'YYYY-MM-DD HH:MM:SS' (+08:00) text, or of
 * Unix seconds (milliseconds when above 1e11); -1 when it is neither. */
static double exec_parse_time(const char *s, size_t n)
{
    struct tm tm;
    char buf[64];
    const char *p;
    double frac = 0;
    long off = 8 * 3600;
    int y, mo, d, h, mi, sec, used = 0;

    if (n == 0 || n >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strspn(buf, "0123456789.") == n) {
        double v = strtod(buf, NULL);
        return v > 1e11 ? v / 1000.0 : v;
    }
    if (sscanf(buf, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6) {
        return -1;
    }
    p = buf + used;
    if (*p == '.') {
        char *e;
        frac = strtod(p, &e);
        p = e;
    }
    if (*p == 'Z' || *p == 'z') {
        off = 0;
    } else if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1) {
            return -1;
        }
        off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
    } else if (*p) {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (double)timegm(&tm) - (double)off + frac;
}

/* ------------------------------------------------------------------------------------- */
/* position */

static const char *exec_offset_json(struct exec_inst *ei)
{
    size_t need = (ei->state ? strlen(ei->state) : 4) + 96;
    if (need > ei->offcap) {
        ei->offcap = need * 2;
        ei->offbuf = gdx_xrealloc(ei->offbuf, ei->offcap);
    }
    snprintf(ei->offbuf, ei->offcap,
             "{\"state\":%s,\"records\":%" PRIu64 ",\"digest\":\"%016" PRIx64 "\"}",
             ei->state ? ei->state : "null", ei->count, ei->digest);
    return ei->offbuf;
}

/* Canonical (compact) JSON of @p text, or NULL with a reason. */
static char *exec_canonical(const char *text, size_t len, size_t max, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *v;
    char *s;

    if (gdx_json_depth(text, len) > GDX_JROW_MAX_DEPTH) {
        snprintf(why, why_size, "STATE value nested deeper than %d levels", GDX_JROW_MAX_DEPTH);
        return NULL;
    }
    v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        snprintf(why, why_size, "STATE value is not valid JSON: col %d: %s", jerr.column,
                 jerr.text);
        return NULL;
    }
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (!s) {
        abort();
    }
    if (strlen(s) > max) {
        snprintf(why, why_size, "STATE value of %zu bytes is larger than state.max.bytes (%zu)",
                 strlen(s), max);
        free(s);
        return NULL;
    }
    return s;
}

/* Parse a committed position. */
static int exec_offset_parse(const char *json, char **state, uint64_t *count, uint64_t *digest,
                             int *has_digest, char *errstr, size_t errstr_size)
{
    json_t *root, *st, *n, *dg;

    *has_digest = 1;
    *state = NULL;
    *count = 0;
    *digest = EXEC_HASH_SEED;
    if (!json) {
        return GDX_OK;
    }
    root = json_loads(json, 0, NULL);
    st = root ? json_object_get(root, "state") : NULL;
    n = root ? json_object_get(root, "records") : NULL;
    dg = root ? json_object_get(root, "digest") : NULL;
    if (!root || !json_is_object(root) || !st || (n && !json_is_integer(n)) ||
        (n && json_integer_value(n) < 0) || (dg && !json_is_string(dg))) {
        json_decref(root);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "committed position is not an exec position: %.200s", json);
    }
    if (!json_is_null(st)) {
        *state = json_dumps(st, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    *count = n ? (uint64_t)json_integer_value(n) : 0;
    *has_digest = dg != NULL;
    if (dg) {
        *digest = strtoull(json_string_value(dg), NULL, 16);
    }
    json_decref(root);
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* items: records and dead letters of the stream, counted for the position */

static const char *exec_pos(struct exec_inst *ei, const char *stream)
{
    size_t need = strlen(stream) + 40;
    if (need > ei->poscap) {
        ei->poscap = need * 2;
        ei->posbuf = gdx_xrealloc(ei->posbuf, ei->poscap);
    }
    snprintf(ei->posbuf, ei->poscap, "exec:%s:%" PRIu64, stream, ei->lineno);
    return ei->posbuf;
}

static const char *exec_stream_name(const struct exec_inst *ei)
{
    if (ei->stream && *ei->stream) {
        return ei->stream;
    }
    return ei->first_stream ? ei->first_stream : "-";
}

/*
 * One message of the stream: counted into the position; skipped while replaying what is
 * already committed, else added to the batch. @p h[0..hn) is what the digest covers.
 */
static void exec_item(struct exec_inst *ei, struct gdx_row *row, const void *h, size_t hn)
{
    if (ei->skip) {
        ei->rcount++;
        ei->rdigest = exec_hash(ei->rdigest, h, hn);
        if (--ei->skip == 0 && ei->digest_known && ei->rdigest != ei->want_digest) {
            gdx_log(GDX_LOG_ERROR,
                    "the adapter did not write the same messages after its STATE as before: "
                    "it must replay deterministically from a STATE, or records may be lost or "
                    "duplicated",
                    " replayed=%" PRIu64 " digest=%016" PRIx64 " committed.digest=%016" PRIx64
                    " pos=%s",
                    ei->rcount, ei->rdigest, ei->want_digest, row->pos ? row->pos : "-");
        } else if (ei->skip == 0) {
            gdx_log(GDX_LOG_INFO, "replay reached the committed position", " skipped=%" PRIu64,
                    ei->rcount);
        }
        if (ei->skip == 0) {
            ei->digest = ei->rdigest; /* the same, or the one of what was replayed */
            ei->digest_known = 1;
        }
        return;
    }
    ei->count++;
    ei->digest = exec_hash(ei->digest, h, hn);
    ei->moved = ei->run_moved = 1;
    ei->run_items++;
    if (gdx_batch_add(ei->batch, row, NULL) == GDX_ERR_FULL) {
        ei->full = 1;
    }
}

/* A message the connector refuses: a dead letter with its coordinates, counted like a
 * record so that a replay skips it too. */
static void exec_dead(struct exec_inst *ei, const char *stream, const char *raw, size_t rawlen,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void exec_dead(struct exec_inst *ei, const char *stream, const char *raw, size_t rawlen,
                      const char *fmt, ...)
{
    struct gdx_row row;
    char reason[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    memset(&row, 0, sizeof(row));
    row.pos = exec_pos(ei, stream ? stream : exec_stream_name(ei));
    row.raw = raw;
    row.raw_len = rawlen;
    row.error = reason;
    exec_item(ei, &row, raw, rawlen);
}

/* A new STATE: everything before it is in this batch or committed. */
static void exec_state(struct exec_inst *ei, const char *text, size_t len, const char *raw,
                       size_t rawlen)
{
    char why[512];
    char *canon = exec_canonical(text, len, (size_t)ei->state_max_bytes, why, sizeof(why));

    if (!canon) {
        exec_dead(ei, NULL, raw, rawlen, "%s %" PRIu64 ": %s", ei->binary ? "frame" : "line",
                  ei->lineno, why);
        return;
    }
    if (ei->skip) {
        gdx_log(GDX_LOG_WARN,
                "the adapter wrote a STATE before replaying every message committed after its "
                "previous one: it does not replay deterministically",
                " replayed=%" PRIu64 " expected=%" PRIu64, ei->rcount, ei->rcount + ei->skip);
        ei->skip = 0;
    }
    free(ei->state);
    ei->state = canon;
    ei->count = 0;
    ei->digest = EXEC_HASH_SEED;
    ei->digest_known = 1;
    ei->moved = ei->run_moved = 1;
}

/* Is @p stream the one this connector sends? Sets fatal when a second one appears without
 * source.stream. */
static int exec_selected(struct exec_inst *ei, const char *stream)
{
    if (ei->stream && *ei->stream) {
        if (strcmp(stream, ei->stream) == 0) {
            return 1;
        }
        if (exec_first_time(ei, "stream", stream)) {
            gdx_log(GDX_LOG_INFO, "ignoring records of another stream",
                    " stream=%s source.stream=%s", stream, ei->stream);
        }
        return 0;
    }
    if (!ei->first_stream) {
        ei->first_stream = gdx_xstrdup(stream);
        return 1;
    }
    if (strcmp(ei->first_stream, stream) == 0) {
        return 1;
    }
    ei->fatal = GDX_ERR_CONFIG;
    snprintf(ei->fatal_msg, sizeof(ei->fatal_msg),
             "the adapter writes records of streams '%s' and '%s': set source.stream to the one "
             "this connector sends (one connector writes one topic)",
             ei->first_stream, stream);
    return 0;
}

static void exec_lag(struct exec_inst *ei, const struct gdx_row *row)
{
    for (size_t i = 0; i < row->nfields; i++) {
        if (row->values[i] && strcmp(row->names[i], ei->lag_field) == 0) {
            double t = exec_parse_time(row->values[i], row->lens[i]);
            if (t > 0) {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                double lag = (double)now.tv_sec + now.tv_nsec / 1e9 - t;
                gdx_ctx_set_lag(ei->ctx, lag > 0 ? lag : 0);
            }
            return;
        }
    }
}

/* ------------------------------------------------------------------------------------- */
/* Singer JSON lines */

static void exec_singer_line(struct exec_inst *ei, const char *text, size_t len)
{
    struct gdx_row row;
    char jerr[512];
    const char *type, *stream;
    size_t tlen = 0, vs, vl;
    int rc;

    memset(&row, 0, sizeof(row));
    rc = gdx_jrow_parse_at(ei->jrow, text, len, "/record", &row, jerr, sizeof(jerr));
    /* after a parse error the document is loaded only when the line itself was valid JSON
     * (the "record" member was not an object) */
    type = gdx_jrow_str(ei->jrow, "/type", &tlen);
    if (rc == GDX_ERR_PARSE && !type) {
        /* hostile nesting is refused unparsed: keep only its first bytes, as for a line
         * over message.max.bytes */
        size_t keep =
            strstr(jerr, "nested deeper") && len > EXEC_DLQ_RAW_MAX ? EXEC_DLQ_RAW_MAX : len;
        exec_dead(ei, NULL, text, keep, "line %" PRIu64 " %s", ei->lineno, jerr);
        return;
    }
    if (!type) {
        exec_dead(ei, NULL, text, len, "line %" PRIu64 ": not a Singer message (no \"type\")",
                  ei->lineno);
        return;
    }
    /* types are case-insensitive (Singer spec) */
    if (strcasecmp(type, "RECORD") == 0) {
        stream = gdx_jrow_str(ei->jrow, "/stream", NULL);
        if (!stream || !*stream) {
            exec_dead(ei, NULL, text, len, "line %" PRIu64 ": RECORD without a \"stream\"",
                      ei->lineno);
            return;
        }
        if (!exec_selected(ei, stream)) {
            return;
        }
        if (rc != GDX_OK) {
            exec_dead(ei, stream, text, len, "line %" PRIu64 ": RECORD %s", ei->lineno,
                      rc == GDX_ERR_NOENT ? "without a \"record\" object"
                                          : "whose \"record\" is not a JSON object");
            return;
        }
        gdx_jrow_span(ei->jrow, &vs, &vl);
        row.pos = exec_pos(ei, stream);
        row.raw = text;
        row.raw_len = len;
        if (ei->lag_field && *ei->lag_field && !ei->skip) {
            exec_lag(ei, &row);
        }
        exec_item(ei, &row, text + vs, vl);
    } else if (strcasecmp(type, "STATE") == 0) {
        if (gdx_json_find(text, len, "/value", &vs, &vl) != GDX_OK) {
            exec_dead(ei, NULL, text, len, "line %" PRIu64 ": STATE without a \"value\"",
                      ei->lineno);
            return;
        }
        exec_state(ei, text + vs, vl, text, len);
    } else if (strcasecmp(type, "SCHEMA") == 0) {
        stream = gdx_jrow_str(ei->jrow, "/stream", NULL);
        if (stream && exec_first_time(ei, "schema", stream)) {
            char keys[256] = "[]";
            if (gdx_json_find(text, len, "/key_properties", &vs, &vl) == GDX_OK &&
                vl < sizeof(keys)) {
                memcpy(keys, text + vs, vl);
                keys[vl] = '\0';
            }
            gdx_log(GDX_LOG_INFO, "adapter stream", " stream=%s key_properties=%s", stream, keys);
        }
    } else if (strcasecmp(type, "BATCH") == 0) {
        stream = gdx_jrow_str(ei->jrow, "/stream", NULL);
        if (stream && !exec_selected(ei, stream)) {
            return;
        }
        exec_dead(ei, stream, text, len,
                  "line %" PRIu64 ": BATCH messages (records in files) are not supported: "
                  "configure the tap to write RECORD messages",
                  ei->lineno);
    } else if (strcasecmp(type, "ACTIVATE_VERSION") != 0) {
        char t[64];
        snprintf(t, sizeof(t), "%.*s", (int)(tlen < 60 ? tlen : 60), type);
        if (exec_first_time(ei, "type", t)) {
            gdx_log(GDX_LOG_WARN, "ignoring messages of an unknown type", " type=%s line=%" PRIu64,
                    t, ei->lineno);
        }
    }
}

/* Complete lines in the buffer. @p eof: the output ended; a last line without a newline
 * counts only when the adapter ended well (@p clean). */
static void exec_singer_lines(struct exec_inst *ei, int eof, int clean)
{
    size_t max = (size_t)ei->message_max_bytes;
    /* what a dead letter keeps of an overlong line: the same however the line was read */
    size_t keep = max + 1 < EXEC_DLQ_RAW_MAX ? max + 1 : EXEC_DLQ_RAW_MAX;

    while (ei->pos < ei->len && !ei->full && !ei->fatal) {
        char *s = (char *)ei->buf + ei->pos, *nl;
        size_t avail = ei->len - ei->pos, n;

        if (ei->discard_line) {
            nl = memchr(s, '\n', avail);
            ei->pos = nl ? (size_t)(nl - (char *)ei->buf) + 1 : ei->len;
            ei->discard_line = !nl;
            continue;
        }
        /* a UTF-8 byte order mark starts no line's text, wherever it comes: a program that
         * writes one at its start writes it again when it is started from a STATE, and the
         * messages after the STATE must read the same both times */
        if (avail < 3 && !eof && memcmp(s, "\xef\xbb\xbf", avail) == 0) {
            return; /* perhaps a byte order mark: wait for its end */
        }
        if (avail >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
            ei->pos += 3;
            continue;
        }
        nl = memchr(s, '\n', avail);
        if (!nl) {
            /* (a CR at the end may be the line's own, before its newline) */
            if (avail > max + 1 || (avail == max + 1 && s[max] != '\r')) {
                ei->lineno++;
                exec_dead(ei, NULL, s, keep,
                          "line %" PRIu64 ": longer than message.max.bytes (%zu bytes): refused, "
                          "its first %zu bytes kept",
                          ei->lineno, max, keep);
                ei->discard_line = 1;
                ei->pos = ei->len;
                continue;
            }
            if (!eof) {
                return; /* wait for the rest of the line */
            }
            if (!clean) {
                gdx_log(GDX_LOG_WARN,
                        "the adapter's last line has no newline and it failed: "
                        "line dropped (a restart writes it again)",
                        " bytes=%zu", avail);
                ei->pos = ei->len;
                return;
            }
            nl = s + avail; /* the last line of a clean end */
        }
        n = (size_t)(nl - s);
        ei->pos += n + (nl < (char *)ei->buf + ei->len ? 1 : 0);
        ei->lineno++;
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        if (n > max) {
            exec_dead(ei, NULL, s, keep,
                      "line %" PRIu64 ": longer than message.max.bytes (%zu bytes): refused, its "
                      "first %zu bytes kept",
                      ei->lineno, max, keep);
            continue;
        }
        size_t b = 0;
        while (b < n && (s[b] == ' ' || s[b] == '\t')) {
            b++; /* (the buffer is not NUL-terminated: strspn could run past the line) */
        }
        if (b == n) {
            continue; /* blank */
        }
        exec_singer_line(ei, s, n);
    }
}

/* ------------------------------------------------------------------------------------- */
/* binary frames */

static void exec_frame(struct exec_inst *ei, int type, const unsigned char *p, size_t len,
                       const unsigned char *raw, size_t rawlen)
{
    struct gdx_row row;
    char err[512];
    const char *stream = NULL;

    memset(&row, 0, sizeof(row));
    switch (type) {
    case GDXF_TYPE_FIELDS:
        if (exec_frames_table(ei->frames, p, len, err, sizeof(err)) != GDX_OK) {
            exec_dead(ei, NULL, (const char *)raw, rawlen, "frame %" PRIu64 ": %s", ei->lineno,
                      err);
        }
        return;
    case GDXF_TYPE_RECORD:
        if (exec_frames_record(ei->frames, p, len, &row, &stream, err, sizeof(err)) != GDX_OK) {
            exec_dead(ei, NULL, (const char *)raw, rawlen, "frame %" PRIu64 ": %s", ei->lineno,
                      err);
            return;
        }
        if (!exec_selected(ei, stream)) {
            return;
        }
        row.pos = exec_pos(ei, stream);
        row.raw = (const char *)raw;
        row.raw_len = rawlen;
        if (ei->lag_field && *ei->lag_field && !ei->skip) {
            exec_lag(ei, &row);
        }
        exec_item(ei, &row, p, len);
        return;
    case GDXF_TYPE_STATE:
        exec_state(ei, (const char *)p, len, (const char *)raw, rawlen);
        return;
    default:
        if (type >= 'a' && type <= 'z') {
            return; /* ancillary: skipped by design */
        }
        exec_dead(ei, NULL, (const char *)raw,
                  rawlen < EXEC_DLQ_RAW_MAX ? rawlen : EXEC_DLQ_RAW_MAX,
                  "frame %" PRIu64 ": unknown frame type 0x%02x", ei->lineno, type & 0xff);
    }
}

static void exec_frames_read(struct exec_inst *ei, int eof)
{
    size_t max = (size_t)ei->message_max_bytes;

    while (ei->pos < ei->len && !ei->full && !ei->fatal) {
        const unsigned char *s = ei->buf + ei->pos;
        size_t avail = ei->len - ei->pos;
        uint32_t flen;
        int type;

        if (ei->discard) {
            size_t d = avail < ei->discard ? avail : (size_t)ei->discard;
            ei->discard -= d;
            ei->pos += d;
            continue;
        }
        if (!exec_frame_header(s, avail, &type, &flen)) {
            break;
        }
        if (flen > max) {
            /* the dead letter keeps its first bytes: the same however the frame was read */
            size_t keep = GDXF_HEADER_LEN + (size_t)flen;
            keep = keep < EXEC_DLQ_RAW_MAX ? keep : EXEC_DLQ_RAW_MAX;
            if (avail < keep && !eof) {
                break;
            }
            keep = avail < keep ? avail : keep;
            ei->lineno++;
            exec_dead(ei, NULL, (const char *)s, keep,
                      "frame %" PRIu64 ": %u bytes, longer than message.max.bytes (%zu): refused, "
                      "its first %zu bytes kept",
                      ei->lineno, flen, max, keep);
            ei->pos += GDXF_HEADER_LEN;
            ei->discard = flen;
            continue;
        }
        if (avail < GDXF_HEADER_LEN + (size_t)flen) {
            break;
        }
        ei->lineno++;
        ei->pos += GDXF_HEADER_LEN + flen;
        exec_frame(ei, type, s + GDXF_HEADER_LEN, flen, s, GDXF_HEADER_LEN + flen);
    }
    if (eof && ei->pos < ei->len && !ei->full && !ei->fatal && !ei->discard) {
        gdx_log(GDX_LOG_WARN, "the adapter's output ended inside a frame: frame dropped",
                " frame=%" PRIu64 " bytes=%zu", ei->lineno + 1, ei->len - ei->pos);
        ei->pos = ei->len;
    }
}

/* Decide the format from the first byte, check the preamble. 1 when reading can go on. */
static int exec_detect(struct exec_inst *ei)
{
    char err[256];
    int rc;

    if (ei->detected || ei->len == 0) {
        return ei->detected;
    }
    ei->binary = ei->fmt == EXEC_FMT_BINARY || (ei->fmt == EXEC_FMT_AUTO && ei->buf[0] == 0x89);
    if (!ei->binary) {
        /* (a UTF-8 byte order mark, as some Windows programs write, is skipped by the line
         * reader, at the start of the output as at the start of any line) */
        ei->detected = 1;
        return 1;
    }
    rc = exec_frame_preamble(ei->buf, ei->len, err, sizeof(err));
    if (rc == 0) {
        return 0;
    }
    if (rc < 0) {
        ei->fatal = GDX_ERR_CONFIG;
        snprintf(ei->fatal_msg, sizeof(ei->fatal_msg), "adapter output: %s", err);
        return 0;
    }
    ei->pos = EXEC_FRAME_PREAMBLE_LEN;
    ei->detected = 1;
    return 1;
}

static void exec_process(struct exec_inst *ei, int eof, int clean)
{
    if (!exec_detect(ei)) {
        return;
    }
    if (ei->binary) {
        exec_frames_read(ei, eof);
    } else {
        exec_singer_lines(ei, eof, clean);
    }
}

/* ------------------------------------------------------------------------------------- */
/* the adapter's pipes */

static int exec_level_of(const char *s)
{
    while (*s == ' ' || *s == '[') {
        s++;
    }
    if (!strncasecmp(s, "ERROR", 5) || !strncasecmp(s, "CRITICAL", 8) ||
        !strncasecmp(s, "FATAL", 5)) {
        return GDX_LOG_ERROR;
    }
    if (!strncasecmp(s, "WARN", 4)) {
        return GDX_LOG_WARN;
    }
    if (!strncasecmp(s, "DEBUG", 5) || !strncasecmp(s, "TRACE", 5)) {
        return GDX_LOG_DEBUG;
    }
    return GDX_LOG_INFO;
}

/* Say how many stderr lines were not forwarded in the second that ended (or at its end). */
static void exec_errlines_dropped(struct exec_inst *ei)
{
    if (ei->err_dropped) {
        gdx_log(GDX_LOG_WARN,
                "the adapter writes more to stderr than is forwarded: lines left out of the log",
                " adapter.pid=%ld dropped=%" PRIu64 " forwarded.per.s=%d", (long)ei->child.pid,
                ei->err_dropped, EXEC_ERR_LINES_PER_S);
        ei->err_dropped = 0;
    }
}

static void exec_errline_emit(struct exec_inst *ei)
{
    int64_t now = gdx_mono_ms();
    if (ei->errlen > 0 && ei->errline[ei->errlen - 1] == '\r') {
        ei->errlen--;
    }
    ei->errline[ei->errlen] = '\0';
    if (now - ei->err_window_ms >= 1000) {
        exec_errlines_dropped(ei);
        ei->err_window_ms = now;
        ei->err_lines = 0;
    }
    if (ei->errlen && ei->err_lines >= EXEC_ERR_LINES_PER_S) {
        ei->err_dropped++; /* a flood of stderr must not become a flood of the log */
    } else if (ei->errlen) {
        ei->err_lines++;
        gdx_log(exec_level_of(ei->errline), ei->errline, " source=adapter adapter.pid=%ld",
                (long)ei->child.pid);
    }
    ei->errlen = 0;
}

/* Forward the adapter's stderr lines. Returns 0 at EOF or error, else 1. */
static int exec_read_stderr(struct exec_inst *ei)
{
    char tmp[4096];
    ssize_t n;
    size_t got = 0;

    if (ei->child.err_fd < 0) {
        return 0;
    }
    for (;;) {
        if (got >= EXEC_ERR_READ_MAX) {
            return 1; /* more later: an adapter flooding stderr must not starve its stdout */
        }
        n = read(ei->child.err_fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        }
        if (n <= 0) {
            exec_errline_emit(ei);
            exec_errlines_dropped(ei);
            close(ei->child.err_fd);
            ei->child.err_fd = -1;
            return 0;
        }
        got += (size_t)n;
        for (ssize_t i = 0; i < n; i++) {
            char c = tmp[i];
            if (c == '\n') {
                if (!ei->errskip) {
                    exec_errline_emit(ei);
                }
                ei->errskip = 0;
                ei->errlen = 0;
            } else if (ei->errskip) {
                continue;
            } else if (ei->errlen < EXEC_ERRLINE_MAX) {
                ei->errline[ei->errlen++] = c;
            } else {
                memcpy(ei->errline + ei->errlen, "...", 3);
                ei->errlen += 3;
                exec_errline_emit(ei);
                ei->errskip = 1;
            }
        }
    }
}

/* Read what stdout has. Returns 1 if bytes came, 0 if none now, -1 at EOF. */
static int exec_read_stdout(struct exec_inst *ei)
{
    ssize_t n;

    if (ei->child.out_fd < 0) {
        return -1;
    }
    if (ei->pos > 0) {
        memmove(ei->buf, ei->buf + ei->pos, ei->len - ei->pos);
        ei->len -= ei->pos;
        ei->pos = 0;
    }
    if (ei->len == ei->cap) {
        return 0; /* cannot happen: a full buffer is always consumed or refused */
    }
    do {
        size_t room = ei->cap - ei->len;
        if (room > (size_t)ei->read_buffer_bytes) {
            room = (size_t)ei->read_buffer_bytes;
        }
        /* fault point: the pipe cannot be read (tests/it/0914) */
        if (GDX_FAULT("exec.read")) {
            errno = EIO;
            n = -1;
        } else {
            n = read(ei->child.out_fd, ei->buf + ei->len, room);
        }
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        ei->len += (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    if (n < 0) {
        /* what the pipe still held is lost: the run cannot end well, the adapter is started
         * again from the committed position */
        gdx_log(GDX_LOG_ERROR, "cannot read the adapter's output, restarting it",
                " adapter.pid=%ld error=\"%s\"", (long)ei->child.pid, strerror(errno));
        ei->read_failed = 1;
        exec_child_term(&ei->child);
    }
    close(ei->child.out_fd);
    ei->child.out_fd = -1;
    return -1;
}

/* Wait until the adapter has exited, forwarding stderr and discarding stdout; SIGTERM after
 * @p term_after_ms (if >= 0), SIGKILL stop.grace.ms after the SIGTERM. */
static void exec_wait_exit(struct exec_inst *ei, int64_t term_after_ms)
{
    int64_t start = gdx_mono_ms();
    int killed = 0;

    while (!exec_child_reap(&ei->child)) {
        struct pollfd pfd[2];
        int nfd = 0;
        int64_t now = gdx_mono_ms();

        if (!ei->child.term_ms && ((term_after_ms >= 0 && now - start >= term_after_ms) ||
                                   (ei->ctx && gdx_ctx_stopping(ei->ctx)))) {
            if (term_after_ms > 0 && ei->child.out_fd < 0) {
                gdx_log(GDX_LOG_WARN,
                        "the adapter closed its output but did not exit within stop.grace.ms: "
                        "sending SIGTERM",
                        " adapter.pid=%ld stop.grace.ms=%" PRId64, (long)ei->child.pid,
                        ei->stop_grace_ms);
            }
            exec_child_term(&ei->child);
        }
        if (ei->child.term_ms && !killed && now - ei->child.term_ms >= ei->stop_grace_ms) {
            gdx_log(GDX_LOG_WARN,
                    "the adapter did not exit within stop.grace.ms of SIGTERM: "
                    "sending SIGKILL",
                    " adapter.pid=%ld stop.grace.ms=%" PRId64, (long)ei->child.pid,
                    ei->stop_grace_ms);
            exec_child_kill(&ei->child);
            killed = 1;
        }
        if (ei->child.err_fd >= 0) {
            pfd[nfd].fd = ei->child.err_fd;
            pfd[nfd++].events = POLLIN;
        }
        if (ei->child.out_fd >= 0) {
            pfd[nfd].fd = ei->child.out_fd;
            pfd[nfd++].events = POLLIN;
        }
        if (nfd) {
            poll(pfd, (nfds_t)nfd, 20);
        } else {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        exec_read_stderr(ei);
        if (ei->child.out_fd >= 0) {
            char sink[65536];
            ssize_t n = read(ei->child.out_fd, sink, sizeof(sink));
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                close(ei->child.out_fd);
                ei->child.out_fd = -1;
            }
        }
    }
    /* whatever it left on stderr, and stragglers of its group that hold the pipes (for a
     * second at most: one that floods stderr is killed with the group below) */
    for (int64_t until = gdx_mono_ms() + 1000; exec_read_stderr(ei) && gdx_mono_ms() < until;) {
        struct pollfd pfd = {ei->child.err_fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0) {
            break;
        }
    }
    if (!ei->child.group_killed) {
        exec_child_kill(&ei->child);
        ei->child.group_killed = 1;
    }
    exec_child_close(&ei->child);
}

/* Stop the running adapter (SIGTERM, grace, SIGKILL) and forget its unread output. */
static void exec_stop_run(struct exec_inst *ei, const char *why)
{
    char how[128];

    if (!ei->child.pid) {
        ei->running = 0;
        return;
    }
    if (!ei->child.reaped) {
        gdx_log(GDX_LOG_INFO, "stopping the adapter", " adapter.pid=%ld reason=\"%s\"",
                (long)ei->child.pid, why);
    }
    exec_wait_exit(ei, 0);
    exec_child_describe(&ei->child, how, sizeof(how));
    gdx_log(GDX_LOG_INFO, "adapter stopped", " adapter.pid=%ld how=\"%s\"", (long)ei->child.pid,
            how);
    memset(&ei->child, 0, sizeof(ei->child));
    ei->child.out_fd = ei->child.err_fd = -1;
    ei->running = 0;
    ei->len = ei->pos = 0;
}

/* ------------------------------------------------------------------------------------- */
/* runs */

static int exec_write_state(struct exec_inst *ei, char *errstr, size_t errstr_size)
{
    char *tmp = exec_xasprintf("%s.tmp", ei->state_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600), rc = GDX_OK;
    size_t n = strlen(ei->state);

    if (fd < 0 || write(fd, ei->state, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
        close(fd) != 0 || rename(tmp, ei->state_path) != 0) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot write the state file '%s': %s",
                        ei->state_path, strerror(e));
    }
    free(tmp);
    return rc;
}

/* A run starts: its output is read from the beginning, the committed messages after the
 * STATE it was given skipped. (Apart from the child, so tests/fuzz/ feeds runs without one.) */
static void exec_run_begin(struct exec_inst *ei)
{
    ei->running = 1;
    ei->finished = 0;
    ei->detected = ei->binary = 0;
    ei->len = ei->pos = 0;
    ei->lineno = 0;
    ei->discard_line = 0;
    ei->discard = 0;
    ei->errlen = 0;
    ei->errskip = 0;
    ei->run_moved = 0;
    ei->read_failed = 0;
    ei->run_items = 0;
    ei->runs++;
    /* the committed messages after the STATE are written again: skip them */
    ei->skip = ei->count;
    ei->rcount = 0;
    ei->rdigest = EXEC_HASH_SEED;
    ei->want_digest = ei->digest;
}

static int exec_start_run(struct exec_inst *ei, char *errstr, size_t errstr_size)
{
    char **argv = gdx_xcalloc(ei->argc + 3, sizeof(*argv));
    int rc;

    memcpy(argv, ei->argv, ei->argc * sizeof(*argv));
    if (ei->state) {
        if ((rc = exec_write_state(ei, errstr, errstr_size)) != GDX_OK) {
            free(argv);
            return rc;
        }
        argv[ei->argc] = "--state";
        argv[ei->argc + 1] = ei->state_path;
    }
    rc = exec_child_start(&ei->child, argv, ei->envp, ei->cwd, errstr, errstr_size);
    free(argv);
    if (rc != GDX_OK) {
        return rc;
    }
    exec_run_begin(ei);
    gdx_log(GDX_LOG_INFO, "adapter started",
            " adapter.pid=%ld run=%" PRIu64 " from=%s skip=%" PRIu64, (long)ei->child.pid, ei->runs,
            ei->state ? "state" : "beginning", ei->skip);
    return GDX_OK;
}

static int64_t exec_backoff(const struct exec_inst *ei)
{
    int64_t b = ei->restart_backoff_ms > 0 ? ei->restart_backoff_ms : 0;
    for (int i = 1; i < ei->failures && b < ei->restart_backoff_max_ms; i++) {
        b *= 2;
    }
    return b < ei->restart_backoff_max_ms ? b : ei->restart_backoff_max_ms;
}

/* The output ended (EOF on stdout, all of it processed): reap and decide. */
static void exec_end_run(struct exec_inst *ei)
{
    char how[128];
    int clean;

    if (!ei->child.reaped) {
        exec_wait_exit(ei, ei->stop_grace_ms); /* a program that closed stdout but lingers */
    }
    exec_child_describe(&ei->child, how, sizeof(how));
    clean = WIFEXITED(ei->child.status) && WEXITSTATUS(ei->child.status) == 0 && !ei->read_failed;
    if (ei->skip) {
        /* it wrote fewer messages than were committed after its STATE: the position stays */
        gdx_log(GDX_LOG_WARN,
                "the adapter ended before replaying every message committed after "
                "its STATE: it does not replay deterministically",
                " replayed=%" PRIu64 " expected=%" PRIu64, ei->rcount, ei->rcount + ei->skip);
        ei->skip = 0;
    }
    if (clean) {
        gdx_log(GDX_LOG_INFO, "adapter finished its stream",
                " adapter.pid=%ld run=%" PRIu64 " lines=%" PRIu64 " sent=%" PRIu64,
                (long)ei->child.pid, ei->runs, ei->lineno, ei->run_items);
        ei->finished = 1;
        ei->finished_ms = gdx_mono_ms();
        ei->failures = 0;
    } else {
        ei->failures = ei->run_moved ? 1 : ei->failures + 1;
        ei->restart_at = gdx_mono_ms() + exec_backoff(ei);
        gdx_log(GDX_LOG_ERROR, "adapter failed, restarting it from the committed position",
                " adapter.pid=%ld how=\"%s\" run=%" PRIu64 " lines=%" PRIu64 " sent=%" PRIu64
                " retry_ms=%" PRId64,
                (long)ei->child.pid, how, ei->runs, ei->lineno, ei->run_items, exec_backoff(ei));
    }
    memset(&ei->child, 0, sizeof(ei->child));
    ei->child.out_fd = ei->child.err_fd = -1;
    ei->running = 0;
    ei->len = ei->pos = 0;
}

/* ------------------------------------------------------------------------------------- */
/* the interface */

static int exec_init(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct exec_inst *ei = inst;
    char *base = exec_base_dir(ctx), *prog = NULL;
    int rc = GDX_OK;
    size_t nenv = 0;

    ei->child.out_fd = ei->child.err_fd = -1;
    if (!ei->command || !ei->command[0]) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                        "source.command is required: the program and its arguments");
        goto out;
    }
    if (!ei->format || strcmp(ei->format, "auto") == 0) {
        ei->fmt = EXEC_FMT_AUTO;
    } else if (strcmp(ei->format, "singer") == 0) {
        ei->fmt = EXEC_FMT_SINGER;
    } else {
        ei->fmt = EXEC_FMT_BINARY;
    }
    if (ei->message_max_bytes < 1024 || ei->message_max_bytes > 256 * 1024 * 1024) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                        "source.message.max.bytes must be between 1KiB and 256MiB");
        goto out;
    }
    if (ei->read_buffer_bytes < 4096 || ei->read_buffer_bytes > 64 * 1024 * 1024) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                        "source.read.buffer.bytes must be between 4KiB and 64MiB");
        goto out;
    }
    if (ei->state_max_bytes < 64) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                        "source.state.max.bytes must be at least 64");
        goto out;
    }
    if (ei->json_max_depth < 2 || ei->json_max_depth > 1000) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                        "source.json.max.depth must be between 2 and 1000");
        goto out;
    }
    if (ei->restart_backoff_max_ms < ei->restart_backoff_ms) {
        ei->restart_backoff_max_ms = ei->restart_backoff_ms;
    }
    if ((rc = exec_find_program(base, ei->command[0], &prog, errstr, errstr_size)) != GDX_OK) {
        goto out;
    }
    exec_strv_push(&ei->argv, &ei->argc, prog);
    for (char **a = ei->command + 1; *a; a++) {
        exec_strv_push(&ei->argv, &ei->argc, gdx_xstrdup(*a));
    }
    if (ei->config && *ei->config) {
        exec_strv_push(&ei->argv, &ei->argc, gdx_xstrdup("--config"));
        exec_strv_push(&ei->argv, &ei->argc, exec_resolve(base, ei->config));
        if (access(ei->argv[ei->argc - 1], R_OK) != 0) {
            int e = errno;
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                            "source.config: cannot read '%s': %s", ei->argv[ei->argc - 1],
                            strerror(e));
            goto out;
        }
    }
    if (ei->catalog && *ei->catalog) {
        exec_strv_push(&ei->argv, &ei->argc, gdx_xstrdup(ei->catalog_arg));
        exec_strv_push(&ei->argv, &ei->argc, exec_resolve(base, ei->catalog));
        if (access(ei->argv[ei->argc - 1], R_OK) != 0) {
            int e = errno;
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                            "source.catalog: cannot read '%s': %s", ei->argv[ei->argc - 1],
                            strerror(e));
            goto out;
        }
    }
    ei->cwd = ei->working_dir && *ei->working_dir ? exec_resolve(base, ei->working_dir)
                                                  : gdx_xstrdup(base);
    /* the environment: the connector's, then GDX_CONNECTOR_ID, then source.env */
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "GDX_CONNECTOR_ID=", 17) != 0) {
            exec_strv_push(&ei->envp, &nenv, gdx_xstrdup(*e));
        }
    }
    exec_strv_push(&ei->envp, &nenv,
                   exec_xasprintf("GDX_CONNECTOR_ID=%s", gdx_ctx_connector_id(ctx)));
    for (char **e = ei->env; e && *e; e++) {
        if (!**e) {
            continue; /* the empty default */
        }
        if (!strchr(*e, '=') || **e == '=') {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                            "source.env: entries are NAME=value, not '%.40s'", *e);
            goto out;
        }
        exec_strv_push(&ei->envp, &nenv, gdx_xstrdup(*e));
    }
    /* the --state file, rewritten before every start: in state.dir, so that a killed
     * connector leaves nothing behind but this one file, which its next start overwrites */
    ei->state_path =
        exec_xasprintf("%s/%s.exec-state.json", gdx_ctx_state_dir(ctx), gdx_ctx_connector_id(ctx));
    ei->jrow = gdx_jrow_new(GDX_JROW_FLATTEN, (int)ei->json_max_depth);
    ei->frames = exec_frames_new();
    ei->cap = (size_t)ei->message_max_bytes + (size_t)ei->read_buffer_bytes + 16;
    ei->buf = gdx_xcalloc(1, ei->cap);
    ei->digest = EXEC_HASH_SEED;
    ei->digest_known = 1;
out:
    free(base);
    return rc;
}

static int exec_check(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct exec_inst *ei = inst;
    struct stat st;

    if (stat(ei->cwd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source.working.dir '%s' is not a folder", ei->cwd);
    }
    for (size_t i = 1; i + 1 < ei->argc; i++) {
        if (strcmp(ei->argv[i], "--config") == 0 || strcmp(ei->argv[i], ei->catalog_arg) == 0) {
            json_error_t jerr;
            json_t *j = json_load_file(ei->argv[i + 1], 0, &jerr);
            int isobj = json_is_object(j);
            json_decref(j); /* only tested for NULL below */
            if (!j) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s '%s':%d:%d: %s",
                                  ei->argv[i], ei->argv[i + 1], jerr.line, jerr.column, jerr.text);
            }
            if (!isobj) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "%s '%s' is not a JSON object", ei->argv[i], ei->argv[i + 1]);
            }
        }
    }
    gdx_ctx_log(ctx, GDX_LOG_INFO, "adapter '%s' is executable; it runs in '%s'%s%s", ei->argv[0],
                ei->cwd, ei->stream && *ei->stream ? " and sends stream " : "",
                ei->stream && *ei->stream ? ei->stream : "");
    return GDX_OK;
}

/* Take the committed position after a start or an aborted transaction. */
static int exec_reposition(struct exec_inst *ei, const struct gdx_offset *from, char *errstr,
                           size_t errstr_size)
{
    char *state = NULL;
    uint64_t count, digest;
    int has_digest;
    int rc =
        exec_offset_parse(from->json, &state, &count, &digest, &has_digest, errstr, errstr_size);

    if (rc != GDX_OK) {
        return rc;
    }
    if (count == ei->count && digest == ei->digest &&
        ((!state && !ei->state) || (state && ei->state && strcmp(state, ei->state) == 0))) {
        free(state); /* where we are: nothing was lost (a start, or a retry after a commit) */
        return GDX_OK;
    }
    if (ei->running || ei->child.pid) {
        exec_stop_run(ei, "the runtime repositioned the connector to its committed position");
    }
    free(ei->state);
    ei->state = state;
    ei->count = count;
    ei->digest = digest;
    ei->digest_known = has_digest; /* an operator's position may name no digest */
    ei->skip = 0;
    ei->finished = 0;
    ei->restart_at = 0;
    return GDX_OK;
}

static int exec_poll(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *from,
                     struct gdx_batch *batch, int timeout_ms, char *errstr, size_t errstr_size)
{
    struct exec_inst *ei = inst;
    int64_t deadline = gdx_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
    int rc;

    ei->ctx = ctx;
    ei->batch = batch;
    ei->moved = ei->full = 0;
    if (from && (rc = exec_reposition(ei, from, errstr, errstr_size)) != GDX_OK) {
        return rc;
    }
    if (gdx_ctx_stopping(ctx)) {
        exec_child_term(&ei->child);
        return GDX_POLL_IDLE;
    }
    if (!ei->running) {
        int64_t now = gdx_mono_ms();
        if (ei->finished) {
            if (ei->lag_field && *ei->lag_field) {
                gdx_ctx_set_lag(ctx, (double)(now - ei->finished_ms) / 1000.0);
            }
            if (ei->rerun_interval_ms <= 0 || now < ei->finished_ms + ei->rerun_interval_ms) {
                return GDX_POLL_DRAINED;
            }
        } else if (now < ei->restart_at) {
            return GDX_POLL_IDLE;
        }
        rc = exec_start_run(ei, errstr, errstr_size);
        if (rc == GDX_ERR_RETRY) {
            ei->failures++;
            ei->restart_at = now + exec_backoff(ei);
            gdx_ctx_log(ctx, GDX_LOG_WARN, "%s; retrying in %" PRId64 " ms", errstr,
                        exec_backoff(ei));
            return GDX_POLL_IDLE;
        }
        if (rc != GDX_OK) {
            return rc;
        }
    }

    for (;;) {
        struct pollfd pfd[2];
        int nfd = 0, r, wait;

        exec_process(ei, 0, 0);
        if (ei->fatal || ei->full) {
            break;
        }
        if (gdx_ctx_stopping(ctx)) {
            exec_child_term(&ei->child);
            break;
        }
        if (ei->child.out_fd < 0) {
            /* the output ended: the last partial line or frame, then the exit status */
            int clean;
            exec_wait_exit(ei, ei->stop_grace_ms);
            clean = WIFEXITED(ei->child.status) && WEXITSTATUS(ei->child.status) == 0 &&
                    !ei->read_failed;
            exec_process(ei, 1, clean);
            if (ei->full && ei->pos < ei->len) {
                break; /* the rest in the next batch */
            }
            exec_end_run(ei);
            break;
        }
        /* read all that is there before waiting */
        r = exec_read_stdout(ei);
        if (r != 0) {
            continue;
        }
        exec_read_stderr(ei);
        if (exec_child_reap(&ei->child)) {
            /* it exited, yet stdout is open: a process it started holds it */
            int64_t now = gdx_mono_ms();
            if (!ei->child.exit_ms) {
                ei->child.exit_ms = now;
            } else if (now - ei->child.exit_ms >= ei->stop_grace_ms) {
                gdx_log(GDX_LOG_WARN,
                        "the adapter exited but a process it started keeps its output open: "
                        "stopping it",
                        " adapter.pid=%ld", (long)ei->child.pid);
                exec_child_kill(&ei->child);
                ei->child.group_killed = 1;
                close(ei->child.out_fd);
                ei->child.out_fd = -1;
                continue;
            }
        }
        wait = (int)(deadline - gdx_mono_ms());
        if (wait <= 0) {
            break;
        }
        pfd[nfd].fd = ei->child.out_fd;
        pfd[nfd++].events = POLLIN;
        if (ei->child.err_fd >= 0) {
            pfd[nfd].fd = ei->child.err_fd;
            pfd[nfd++].events = POLLIN;
        }
        if (poll(pfd, (nfds_t)nfd, wait > 200 ? 200 : wait) < 0 && errno != EINTR) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "poll: %s", strerror(errno));
        }
    }
    if (ei->moved) {
        gdx_batch_set_offset(batch, exec_offset_json(ei));
    }
    if (ei->fatal) {
        exec_stop_run(ei, ei->fatal_msg);
        return gdx_seterr(errstr, errstr_size, ei->fatal, "%s", ei->fatal_msg);
    }
    if (ei->moved) {
        return GDX_OK;
    }
    if (!ei->running && ei->finished) {
        return GDX_POLL_DRAINED;
    }
    /* a running adapter that wrote nothing was already waited for timeout_ms on its pipe:
     * poll again at once rather than nap, so a slow stream is not delayed further */
    return ei->running ? GDX_OK : GDX_POLL_IDLE;
}

static int exec_committed(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *upto,
                          char *errstr, size_t errstr_size)
{
    (void)ctx;
    (void)inst;
    (void)upto;
    (void)errstr;
    (void)errstr_size;
    return GDX_OK; /* nothing to acknowledge: the adapter reads its STATE at its next start */
}

static void exec_fini(struct gdx_ctx *ctx, void *inst)
{
    struct exec_inst *ei = inst;

    (void)ctx;
    if (ei->child.pid) {
        exec_child_term(&ei->child);
        exec_wait_exit(ei, 0);
        if (ei->child.reaped) {
            char how[128];
            exec_child_describe(&ei->child, how, sizeof(how));
            gdx_log(GDX_LOG_INFO, "adapter stopped", " adapter.pid=%ld how=\"%s\"",
                    (long)ei->child.pid, how);
        }
    }
    exec_child_close(&ei->child);
    if (ei->state_path) {
        char *tmp = exec_xasprintf("%s.tmp", ei->state_path);
        unlink(ei->state_path);
        unlink(tmp);
        free(tmp);
    }
    exec_strv_free(ei->argv);
    exec_strv_free(ei->envp);
    free(ei->cwd);
    free(ei->state_path);
    gdx_jrow_destroy(ei->jrow);
    exec_frames_destroy(ei->frames);
    free(ei->buf);
    free(ei->state);
    free(ei->first_stream);
    for (size_t i = 0; i < ei->nwarned; i++) {
        free(ei->warned[i]);
    }
    free(ei->posbuf);
    free(ei->offbuf);
}

const struct gdx_connector gdx_connector_exec = {
    .abi = GDX_CONNECTOR_ABI,
    .name = "exec",
    .description = "any program as the adapter: Singer taps and scripts (JSON lines) or binary "
                   "frames on its stdout",
    .props = exec_props,
    .inst_size = sizeof(struct exec_inst),
    .init = exec_init,
    .check = exec_check,
    .poll = exec_poll,
    .committed = exec_committed,
    .fini = exec_fini,
};
