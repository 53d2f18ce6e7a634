/*
 * gdx_audit.c - the audit trail writer: hash-chained JSON Lines sealed by SM2 checkpoints.
 *
 * Each line is the compact JSON of the event with sorted keys, with `,"hash":"H"}` spliced
 * in place of its closing brace, where H = SM3 of the bytes before the splice plus "}".
 * prev is the previous line's hash (64 zeros for the first line of an actor), so any edit,
 * deletion or reordering breaks the chain at a place a verifier can name. Checkpoints add
 * `,"sig":"..."` (SM2 over the checkpoint's bytes up to there plus "}") before the hash.
 * Verifiers work on the bytes on disk, never on a re-serialisation (docs/audit.md).
 *
 * Invariants: a line is written with one write(2) and fsynced before the call returns; after
 * any write or fsync failure the writer refuses every later event (fail-closed), so a caller
 * never believes an unrecorded event was recorded. Existing bytes are never modified: a torn
 * tail left by a crash is recorded by a `recovered_tail` event in a new segment, and the
 * chain continues from the last complete line. One writer per actor (flock).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gdx_audit.h"
#include "gdx_conf.h"
#include "gdx_audit_int.h"
#include "gdx_avro.h"
#include "gdx_crypto.h"
#include "gdx_fault.h"
#include "gdx_limits.h"
#include "gdx_util.h"

#define CST_OFFSET_MS (8LL * 3600 * 1000) /* China Standard Time, no daylight saving */

struct gdx_audit {
    char *dir, *actor;
    char host[256];
    char key_id[GDX_KEY_ID_MAX + 1];
    const struct gdx_sm2_key *key;
    long cp_lines, cp_secs;
    gdx_audit_clock_cb clock;
    void *clock_opaque;
    gdx_audit_mirror_cb mirror;
    void *mirror_opaque;

    int fd, lock_fd;
    char *path;           /* current file */
    int day, seg;         /* of the current file */
    uint64_t seq;         /* last written */
    char prev[65];        /* hash of the last line */
    uint64_t sealed;      /* last seq covered by a checkpoint (or a checkpoint itself) */
    char last_batch[128]; /* batch id of the newest batch_committed event */
    int64_t last_cp_ms;
    int broken;
};

static const char *const reserved[] = {"seq",  "ts",   "ts_local", "host", "actor",
                                       "type", "prev", "hash",     "sig",  "tsa"};

/* ---------------------------------------------------------------------------------------
 * Helpers shared with the verifier (gdx_audit_int.h)
 */

int gdx_audit_actor_valid(const char *actor)
{
    size_t n = actor ? strlen(actor) : 0;
    if (n == 0 || n > AUDIT_ACTOR_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = actor[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

int gdx_audit_name_parse(const char *base, struct audit_name *n)
{
    const char *dash = strrchr(base, '-');
    const char *p;
    size_t alen;
    if (!dash) {
        return 0;
    }
    alen = (size_t)(dash - base);
    if (alen == 0 || alen > AUDIT_ACTOR_MAX) {
        return 0;
    }
    memcpy(n->actor, base, alen);
    n->actor[alen] = '\0';
    if (!gdx_audit_actor_valid(n->actor)) {
        return 0;
    }
    p = dash + 1;
    n->day = 0;
    for (int i = 0; i < 8; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        n->day = n->day * 10 + (p[i] - '0');
    }
    p += 8;
    n->seg = 0;
    if (*p == '.' && p[1] >= '1' && p[1] <= '9') {
        p++;
        while (*p >= '0' && *p <= '9') {
            n->seg = n->seg * 10 + (*p - '0');
            if (n->seg > 99999) {
                return 0;
            }
            p++;
        }
    }
    if (!strcmp(p, ".jsonl")) {
        n->gz = 0;
        return 1;
    }
    if (!strcmp(p, ".jsonl.gz")) {
        n->gz = 1;
        return 1;
    }
    return 0;
}

int gdx_audit_name_cmp(const struct audit_name *a, const struct audit_name *b)
{
    int c = strcmp(a->actor, b->actor);
    if (c) {
        return c;
    }
    if (a->day != b->day) {
        return a->day < b->day ? -1 : 1;
    }
    if (a->seg != b->seg) {
        return a->seg < b->seg ? -1 : 1;
    }
    return 0;
}

/* -1 with errno set; EFBIG past GDX_LIMIT_AUDIT_FILE_BYTES (a gzip bomb among archives) */
static int read_fd_all(int fd, char **buf, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    if (!b) {
        abort();
    }
    for (;;) {
        ssize_t r;
        if (n > GDX_LIMIT_AUDIT_FILE_BYTES) {
            free(b);
            errno = EFBIG;
            return -1;
        }
        if (n + 1 >= cap) {
            cap *= 2;
            b = realloc(b, cap);
            if (!b) {
                abort();
            }
        }
        r = read(fd, b + n, cap - n - 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            free(b);
            return -1;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int gdx_audit_read_file(const char *path, char **buf, size_t *len, char *errstr, size_t errstr_size)
{
    size_t pl = strlen(path);
    int fd, rc;
    if (pl > 3 && !strcmp(path + pl - 3, ".gz")) {
        int pfd[2], status;
        pid_t pid;
        if (pipe(pfd) != 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot create a pipe: %s",
                              strerror(errno));
        }
        pid = fork();
        if (pid < 0) {
            close(pfd[0]);
            close(pfd[1]);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot fork: %s", strerror(errno));
        }
        if (pid == 0) {
            dup2(pfd[1], 1);
            close(pfd[0]);
            close(pfd[1]);
            execlp("gzip", "gzip", "-dc", "--", path, (char *)NULL);
            _exit(127);
        }
        close(pfd[1]);
        rc = read_fd_all(pfd[0], buf, len);
        if (rc != 0) {
            int e = errno;
            kill(pid, SIGKILL); /* gzip may be blocked writing the rest */
            close(pfd[0]);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot decompress '%s': %s", path,
                              e == EFBIG ? "larger than the audit file limit" : strerror(e));
        }
        close(pfd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (rc == 0) {
                free(*buf);
                *buf = NULL;
            }
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot decompress '%s'", path);
        }
        return GDX_OK;
    }
    /* O_NONBLOCK: a FIFO named like an audit file must not hang the verifier */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", path,
                          strerror(errno));
    }
    {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "'%s' is not a regular file", path);
        }
    }
    rc = read_fd_all(fd, buf, len);
    close(fd);
    if (rc != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot read '%s': %s", path,
                          errno == EFBIG ? "larger than the audit file limit" : strerror(errno));
    }
    return GDX_OK;
}

int gdx_audit_line_split(const char *line, size_t len, size_t *body_len, char hash[65])
{
    static const char pre[] = ",\"hash\":\"";
    size_t prelen = sizeof(pre) - 1;
    const char *h;
    if (len < AUDIT_HASH_SUFFIX_LEN + 1 || line[len - 1] != '}' || line[len - 2] != '"') {
        return -1;
    }
    h = line + len - 2 - 64;
    if (memcmp(h - prelen, pre, prelen) != 0) {
        return -1;
    }
    for (int i = 0; i < 64; i++) {
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))) {
            return -1;
        }
    }
    memcpy(hash, h, 64);
    hash[64] = '\0';
    *body_len = (size_t)(h - prelen - line);
    return 0;
}

int gdx_audit_line_hash(struct gdx_sm3 *sm3, const char *line, size_t body_len, char out[65],
                        char *errstr, size_t errstr_size)
{
    struct gdx_sm3 *own = NULL;
    unsigned char md[GDX_SM3_LEN];
    int err;
    if (!sm3 && !(sm3 = own = gdx_sm3_new(errstr, errstr_size))) {
        return GDX_ERR_CRYPTO;
    }
    err = gdx_sm3_update(sm3, line, body_len, errstr, errstr_size);
    if (!err) {
        err = gdx_sm3_update(sm3, "}", 1, errstr, errstr_size);
    }
    if (!err) {
        err = gdx_sm3_final(sm3, md, errstr, errstr_size);
    }
    gdx_sm3_destroy(own);
    if (!err) {
        gdx_hex_encode(md, sizeof(md), out);
    }
    return err;
}

static void civil(int64_t ms, int *y, int *mo, int *d, int *h, int *mi, int *s, int *milli)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    /* days since 1970-01-01 to civil date (Howard Hinnant's algorithm) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *mo = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*mo <= 2));
    *h = (int)(rem / 3600000);
    *mi = (int)(rem / 60000 % 60);
    *s = (int)(rem / 1000 % 60);
    *milli = (int)(rem % 1000);
}

int gdx_audit_day(int64_t ms)
{
    int y, mo, d, h, mi, s, milli;
    civil(ms + CST_OFFSET_MS, &y, &mo, &d, &h, &mi, &s, &milli);
    return y * 10000 + mo * 100 + d;
}

void gdx_audit_format_utc(int64_t ms, char out[32])
{
    int y, mo, d, h, mi, s, milli;
    char tmp[96];
    civil(ms, &y, &mo, &d, &h, &mi, &s, &milli);
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y % 10000, mo, d, h, mi, s,
             milli);
    memcpy(out, tmp, 25);
    out[24] = '\0';
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int gdx_audit_parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, milli = 0;
    int64_t off = CST_OFFSET_MS;
    const char *p;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) {
        return -1;
    }
    p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8) {
            return -1;
        }
        p += 9;
        if (*p == '.') {
            int digits = 0;
            p++;
            while (*p >= '0' && *p <= '9') {
                if (digits < 3) {
                    milli = milli * 10 + (*p - '0');
                }
                digits++;
                p++;
            }
            for (; digits < 3; digits++) {
                milli *= 10;
            }
        }
        if (*p == 'Z') {
            off = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) {
                return -1;
            }
            off = (*p == '-' ? -1 : 1) * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
            p += 6;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        return -1;
    }
    *ms = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 + milli - off;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Writer
 */

static int64_t now_ms(const struct gdx_audit *audit)
{
    struct timeval tv;
    if (audit->clock) {
        return audit->clock(audit->clock_opaque);
    }
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void file_name(const struct gdx_audit *audit, int day, int seg, char *out, size_t cap)
{
    if (seg) {
        snprintf(out, cap, "%s-%08d.%d.jsonl", audit->actor, day, seg);
    } else {
        snprintf(out, cap, "%s-%08d.jsonl", audit->actor, day);
    }
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;
    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write @p len bytes with one write(2) and fsync. Any failure breaks the writer. */
static int write_durable(struct gdx_audit *audit, const char *buf, size_t len, char *errstr,
                         size_t errstr_size)
{
    ssize_t n;
    int fe = 0;
    if (GDX_FAULT("audit.write")) {
        errno = ENOSPC;
        n = -1;
    } else {
        n = write(audit->fd, buf, len);
    }
    if (n < 0 || (size_t)n != len) {
        audit->broken = 1;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot write audit log '%s': %s",
                          audit->path, n < 0 ? strerror(errno) : "short write");
    }
    if (GDX_FAULT("audit.fsync")) {
        fe = EIO;
    } else if (fsync(audit->fd) != 0) {
        fe = errno;
    }
    if (fe) {
        audit->broken = 1;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot fsync audit log '%s': %s",
                          audit->path, strerror(fe));
    }
    return GDX_OK;
}

/* Fill the common members, serialise, splice the hash, write. Takes @p obj. */
static int write_line(struct gdx_audit *audit, const char *type, json_t *obj,
                      const struct gdx_sm2_key *sign, char *errstr, size_t errstr_size)
{
    int64_t ms = now_ms(audit);
    char ts[32], local[32], hash[65];
    char *body = NULL, *line = NULL, *b64 = NULL;
    unsigned char *sig = NULL;
    size_t blen, siglen = 0, llen;
    int err;

    if (audit->broken) {
        json_decref(obj);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                          "audit log '%s' is unusable after an earlier write error", audit->path);
    }
    gdx_audit_format_utc(ms, ts);
    gdx_time_format_ms(ms, local);
    json_object_set_new(obj, "seq", json_integer((json_int_t)(audit->seq + 1)));
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "ts_local", json_string(local));
    json_object_set_new(obj, "host", json_string(audit->host));
    json_object_set_new(obj, "actor", json_string(audit->actor));
    json_object_set_new(obj, "type", json_string(type));
    json_object_set_new(obj, "prev", json_string(audit->prev));
    body = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    if (!body) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                          "cannot serialise audit event '%s' (invalid UTF-8?)", type);
    }
    blen = strlen(body);
    if (blen < 2 || body[blen - 1] != '}') {
        free(body);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot serialise audit event");
    }
    blen--; /* drop the closing brace: members are appended after it */
    if (sign) {
        char *tmp;
        size_t n;
        body[blen] = '}';
        err = gdx_sm2_sign(sign, body, blen + 1, &sig, &siglen, errstr, errstr_size);
        if (err) {
            free(body);
            return err;
        }
        b64 = gdx_base64_encode(sig, siglen, 0);
        free(sig);
        n = blen + strlen(b64) + 16;
        tmp = malloc(n);
        if (!tmp) {
            abort();
        }
        blen = (size_t)snprintf(tmp, n, "%.*s,\"sig\":\"%s\"", (int)blen, body, b64);
        free(b64);
        free(body);
        body = tmp;
    }
    err = gdx_audit_line_hash(NULL, body, blen, hash, errstr, errstr_size);
    if (err) {
        free(body);
        return err;
    }
    llen = blen + AUDIT_HASH_SUFFIX_LEN + 1;
    line = malloc(llen + 1);
    if (!line) {
        abort();
    }
    memcpy(line, body, blen);
    snprintf(line + blen, llen + 1 - blen, ",\"hash\":\"%s\"}\n", hash);
    free(body);
    err = write_durable(audit, line, llen, errstr, errstr_size);
    if (!err) {
        audit->seq++;
        memcpy(audit->prev, hash, sizeof(audit->prev));
        if (audit->mirror) {
            audit->mirror(line, llen - 1, audit->mirror_opaque);
        }
    }
    free(line);
    return err;
}

static int write_checkpoint(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    json_t *obj;
    int err;
    if (audit->seq == 0 || audit->sealed >= audit->seq) {
        return GDX_OK;
    }
    obj = json_pack("{s:[I,I],s:s,s:s}", "covers", (json_int_t)(audit->sealed + 1),
                    (json_int_t)audit->seq, "chain", audit->prev, "key_id", audit->key_id);
    err = write_line(audit, "checkpoint", obj, audit->key, errstr, errstr_size);
    if (!err) {
        audit->sealed = audit->seq;
        audit->last_cp_ms = now_ms(audit);
    }
    return err;
}

/* Open a new file of the current day for writing (O_EXCL: never reuse one). */
static int open_new_file(struct gdx_audit *audit, int day, char *errstr, size_t errstr_size)
{
    char name[AUDIT_ACTOR_MAX + 40];
    for (int seg = 0; seg < 100000; seg++) {
        char *path;
        int fd;
        file_name(audit, day, seg, name, sizeof(name));
        path = gdx_path_join(audit->dir, name);
        {
            /* an archived (gzipped) file of the same name also counts as taken */
            struct stat st;
            char gz[PATH_MAX];
            snprintf(gz, sizeof(gz), "%s.gz", path);
            if (stat(gz, &st) == 0) {
                free(path);
                continue;
            }
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0 && errno == EEXIST) {
            free(path);
            continue;
        }
        if (fd < 0) {
            int e = errno;
            gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot create audit log '%s': %s", path,
                       strerror(e));
            free(path);
            return GDX_ERR_IO;
        }
        if (audit->fd >= 0) {
            close(audit->fd);
        }
        free(audit->path);
        audit->fd = fd;
        audit->path = path;
        audit->day = day;
        audit->seg = seg;
        if (fsync_dir(audit->dir) != 0) {
            audit->broken = 1;
            return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot fsync directory '%s': %s",
                              audit->dir, strerror(errno));
        }
        return GDX_OK;
    }
    return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "too many audit segments for one day");
}

/* Rotate at a day change: seal the old file, then open the new day's with file_open. */
static int maybe_rotate(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    int today = gdx_audit_day(now_ms(audit));
    char *prev_name;
    uint64_t last;
    int err;
    if (today <= audit->day) {
        return GDX_OK;
    }
    err = write_checkpoint(audit, errstr, errstr_size);
    if (err) {
        return err;
    }
    prev_name = gdx_xstrdup(strrchr(audit->path, '/') + 1);
    last = audit->seq;
    err = open_new_file(audit, today, errstr, errstr_size);
    if (!err) {
        err = write_line(
            audit, "file_open",
            json_pack("{s:s,s:I}", "previous", prev_name, "previous_last_seq", (json_int_t)last),
            NULL, errstr, errstr_size);
    }
    free(prev_name);
    return err;
}

/* State of the newest existing file of the actor. */
struct tail_state {
    char name[256];
    int found, day, seg, gz;
    uint64_t seq, sealed;
    char hash[65];
    size_t torn_len;
    char torn_sm3[65];
    char last_batch[128]; /* batch of the newest batch_committed event, "" if none seen */
};

/* Read one file: chain state of its complete lines and its torn tail. */
static int scan_file(struct gdx_audit *audit, const char *name, struct tail_state *ts, int *lines,
                     char *errstr, size_t errstr_size)
{
    char *path = gdx_path_join(audit->dir, name), *buf = NULL, *p, *end;
    size_t len;
    int err = gdx_audit_read_file(path, &buf, &len, errstr, errstr_size);
    free(path);
    *lines = 0;
    if (err) {
        return err;
    }
    end = buf + len;
    p = buf;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        json_t *j, *seq;
        size_t body;
        char hash[65];
        const char *type;
        if (!nl) {
            ts->torn_len = (size_t)(end - p);
            err = gdx_sm3_hex(p, ts->torn_len, ts->torn_sm3, errstr, errstr_size);
            break;
        }
        j = json_loadb(p, (size_t)(nl - p), 0, NULL);
        seq = j ? json_object_get(j, "seq") : NULL;
        if (!j || !json_is_integer(seq) || json_integer_value(seq) <= 0 ||
            gdx_audit_line_split(p, (size_t)(nl - p), &body, hash) != 0) {
            json_decref(j);
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                             "audit log '%s/%s' has a damaged line at byte %zu; run "
                             "'gdx audit verify' before writing to it",
                             audit->dir, name, (size_t)(p - buf));
            break;
        }
        (*lines)++;
        ts->seq = (uint64_t)json_integer_value(seq);
        memcpy(ts->hash, hash, sizeof(hash));
        type = json_string_value(json_object_get(j, "type"));
        if (type && !strcmp(type, "checkpoint")) {
            ts->sealed = ts->seq;
        }
        if (type && (!strcmp(type, "batch_committed") || !strcmp(type, "uplink_batch"))) {
            const char *bid = json_string_value(json_object_get(j, "batch"));
            snprintf(ts->last_batch, sizeof(ts->last_batch), "%s", bid ? bid : "");
        }
        json_decref(j);
        p = nl + 1;
    }
    free(buf);
    return err;
}

static int name_cmp_q(const void *a, const void *b)
{
    return gdx_audit_name_cmp(a, b);
}

/*
 * Find the newest non-empty file of the actor (the one a restart continues) and the chain
 * state: from it, or, when it holds only a torn line, from the newest file before it with a
 * complete line. Empty files (a crash right after creating one) hold no evidence: skipped.
 */
static int scan_newest(struct gdx_audit *audit, struct tail_state *ts, char *errstr,
                       size_t errstr_size)
{
    DIR *d = opendir(audit->dir);
    struct dirent *de;
    struct audit_name *v = NULL, n;
    size_t cnt = 0;
    int err = GDX_OK;

    memset(ts, 0, sizeof(*ts));
    if (!d) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open directory '%s': %s",
                          audit->dir, strerror(errno));
    }
    while ((de = readdir(d))) {
        struct stat st;
        char *path;
        if (!gdx_audit_name_parse(de->d_name, &n) || strcmp(n.actor, audit->actor)) {
            continue;
        }
        path = gdx_path_join(audit->dir, de->d_name);
        if (stat(path, &st) == 0 && st.st_size == 0) {
            free(path);
            continue;
        }
        free(path);
        v = realloc(v, (cnt + 1) * sizeof(*v));
        if (!v) {
            abort();
        }
        v[cnt++] = n;
    }
    closedir(d);
    if (cnt) {
        qsort(v, cnt, sizeof(*v), name_cmp_q);
    }
    int chain_found = 0;
    for (size_t i = cnt; i-- > 0;) {
        struct tail_state tmp;
        char name[256];
        int lines;
        memset(&tmp, 0, sizeof(tmp));
        if (v[i].seg) {
            snprintf(name, sizeof(name), "%s-%08d.%d.jsonl%s", v[i].actor, v[i].day, v[i].seg,
                     v[i].gz ? ".gz" : "");
        } else {
            snprintf(name, sizeof(name), "%s-%08d.jsonl%s", v[i].actor, v[i].day,
                     v[i].gz ? ".gz" : "");
        }
        if ((err = scan_file(audit, name, &tmp, &lines, errstr, errstr_size))) {
            break;
        }
        if (i + 1 == cnt) {
            /* the newest: the file to continue */
            *ts = tmp;
            ts->found = 1;
            snprintf(ts->name, sizeof(ts->name), "%s", name);
            ts->day = v[i].day;
            ts->seg = v[i].seg;
            ts->gz = v[i].gz;
        } else if (!chain_found) {
            ts->seq = tmp.seq;
            ts->sealed = tmp.sealed;
            memcpy(ts->hash, tmp.hash, sizeof(ts->hash));
        }
        if (!ts->last_batch[0]) {
            memcpy(ts->last_batch, tmp.last_batch, sizeof(ts->last_batch));
        }
        chain_found |= lines > 0;
        /* the chain state comes from the newest file with a line; the last batch may be a
         * few files back (days without batches): looked for in at most 7 files */
        if (chain_found && (ts->last_batch[0] || cnt - i >= 7)) {
            break;
        }
    }
    free(v);
    return err;
}

static int lock_actor(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    char name[AUDIT_ACTOR_MAX + 16];
    char *path;
    snprintf(name, sizeof(name), ".%s.lock", audit->actor);
    path = gdx_path_join(audit->dir, name);
    audit->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (audit->lock_fd < 0) {
        int e = errno;
        gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", path, strerror(e));
        free(path);
        return GDX_ERR_IO;
    }
    if (flock(audit->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_LOCKED,
                   "audit log of '%s' is in use by another process (lock '%s')", audit->actor,
                   path);
        free(path);
        return GDX_ERR_LOCKED;
    }
    free(path);
    return GDX_OK;
}

static int default_key_id(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    char *pem = NULL, hex[65];
    int err = gdx_sm2_to_pem(audit->key, 0, &pem, errstr, errstr_size);
    if (!err) {
        err = gdx_sm3_hex(pem, strlen(pem), hex, errstr, errstr_size);
        free(pem);
    }
    if (!err) {
        snprintf(audit->key_id, sizeof(audit->key_id), "sm2-%.16s", hex);
    }
    return err;
}

int gdx_audit_new(struct gdx_audit **out, const char *dir, const char *actor,
                  const struct gdx_sm2_key *key, const struct gdx_audit_opts *opts, char *errstr,
                  size_t errstr_size)
{
    struct gdx_audit_opts def = {0};
    struct gdx_audit *audit;
    struct tail_state ts;
    int err, today;

    *out = NULL;
    if (!opts) {
        opts = &def;
    }
    if (opts->retention_days && opts->retention_days < GDX_AUDIT_RETENTION_MIN_DAYS) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "audit retention of %ld days is below the legal minimum of %d days "
                          "(Cybersecurity Law: network logs are kept at least six months)",
                          opts->retention_days, GDX_AUDIT_RETENTION_MIN_DAYS);
    }
    if (opts->retention_days < 0 || opts->checkpoint_lines < 0 || opts->checkpoint_secs < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "negative audit setting");
    }
    if (!gdx_audit_actor_valid(actor)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "invalid audit actor '%s' (allowed: letters, digits, '.', '_')",
                          actor ? actor : "");
    }
    if (!key || !gdx_sm2_has_private(key)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "the audit log needs an SM2 private key to sign checkpoints");
    }
    if (opts->key_id && !gdx_key_id_valid(opts->key_id)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "invalid key id '%s'", opts->key_id);
    }
    audit = calloc(1, sizeof(*audit));
    if (!audit) {
        abort();
    }
    audit->fd = audit->lock_fd = -1;
    audit->dir = gdx_xstrdup(dir);
    audit->actor = gdx_xstrdup(actor);
    audit->key = key;
    audit->cp_lines = opts->checkpoint_lines ? opts->checkpoint_lines : GDX_AUDIT_CHECKPOINT_LINES;
    audit->cp_secs = opts->checkpoint_secs ? opts->checkpoint_secs : GDX_AUDIT_CHECKPOINT_SECS;
    audit->clock = opts->clock;
    audit->clock_opaque = opts->clock_opaque;
    if (opts->host) {
        snprintf(audit->host, sizeof(audit->host), "%s", opts->host);
    } else if (gethostname(audit->host, sizeof(audit->host) - 1) != 0) {
        snprintf(audit->host, sizeof(audit->host), "unknown");
    }
    memcpy(audit->prev, GDX_AUDIT_ZERO_HASH, sizeof(audit->prev));
    if (opts->key_id) {
        snprintf(audit->key_id, sizeof(audit->key_id), "%s", opts->key_id);
    } else if ((err = default_key_id(audit, errstr, errstr_size))) {
        goto fail;
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot create directory '%s': %s", dir,
                         strerror(errno));
        goto fail;
    }
    if ((err = lock_actor(audit, errstr, errstr_size)) ||
        (err = scan_newest(audit, &ts, errstr, errstr_size))) {
        goto fail;
    }
    audit->last_cp_ms = now_ms(audit);
    today = gdx_audit_day(audit->last_cp_ms);
    if (ts.found) {
        audit->seq = ts.seq;
        audit->sealed = ts.sealed;
        memcpy(audit->last_batch, ts.last_batch, sizeof(audit->last_batch));
        if (ts.seq) {
            memcpy(audit->prev, ts.hash, sizeof(audit->prev));
        }
    }
    if (ts.found && !ts.gz && !ts.torn_len && ts.day >= today) {
        /* continue today's file */
        audit->path = gdx_path_join(dir, ts.name);
        audit->fd = open(audit->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        audit->day = ts.day;
        audit->seg = ts.seg;
        if (audit->fd < 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open audit log '%s': %s",
                             audit->path, strerror(errno));
            goto fail;
        }
    } else {
        json_t *obj;
        const char *type = "file_open";
        if ((err = open_new_file(audit, ts.day > today ? ts.day : today, errstr, errstr_size))) {
            goto fail;
        }
        obj = json_pack("{s:s?,s:I}", "previous", ts.found ? ts.name : NULL, "previous_last_seq",
                        (json_int_t)audit->seq);
        if (ts.torn_len) {
            type = "recovered_tail";
            json_object_set_new(obj, "torn_bytes", json_integer((json_int_t)ts.torn_len));
            json_object_set_new(obj, "torn_sm3", json_string(ts.torn_sm3));
        }
        if ((err = write_line(audit, type, obj, NULL, errstr, errstr_size))) {
            goto fail;
        }
    }
    *out = audit;
    return GDX_OK;
fail:
    gdx_audit_destroy(audit);
    return err;
}

int gdx_audit_event(struct gdx_audit *audit, const char *type, json_t *fields, char *errstr,
                    size_t errstr_size)
{
    int err;
    if (!fields) {
        fields = json_object();
    }
    if (!json_is_object(fields) || !type || !*type || !strcmp(type, "checkpoint")) {
        json_decref(fields);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "invalid audit event '%s'",
                          type ? type : "");
    }
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (json_object_get(fields, reserved[i])) {
            json_decref(fields);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                              "audit event '%s' uses the reserved member '%s'", type, reserved[i]);
        }
    }
    if (audit->broken) {
        json_decref(fields);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                          "audit log '%s' is unusable after an earlier write error", audit->path);
    }
    if ((err = maybe_rotate(audit, errstr, errstr_size))) {
        json_decref(fields);
        return err;
    }
    if ((err = write_line(audit, type, fields, NULL, errstr, errstr_size))) {
        return err;
    }
    if ((long)(audit->seq - audit->sealed) >= audit->cp_lines ||
        now_ms(audit) - audit->last_cp_ms >= (int64_t)audit->cp_secs * 1000) {
        return write_checkpoint(audit, errstr, errstr_size);
    }
    return GDX_OK;
}

int gdx_audit_checkpoint(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    return write_checkpoint(audit, errstr, errstr_size);
}

int gdx_audit_tick(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    int err;
    if (audit->broken) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO,
                          "audit log '%s' is unusable after an earlier write error", audit->path);
    }
    /* a day change seals yesterday's file even when no event comes */
    if ((err = maybe_rotate(audit, errstr, errstr_size))) {
        return err;
    }
    if (now_ms(audit) - audit->last_cp_ms >= (int64_t)audit->cp_secs * 1000) {
        return write_checkpoint(audit, errstr, errstr_size);
    }
    return GDX_OK;
}

void gdx_audit_set_mirror(struct gdx_audit *audit, gdx_audit_mirror_cb cb, void *opaque)
{
    audit->mirror = cb;
    audit->mirror_opaque = opaque;
}

uint64_t gdx_audit_seq(const struct gdx_audit *audit)
{
    return audit->seq;
}

const char *gdx_audit_path(const struct gdx_audit *audit)
{
    return audit->path;
}

const char *gdx_audit_last_batch(const struct gdx_audit *audit)
{
    return audit->last_batch[0] ? audit->last_batch : NULL;
}

int gdx_audit_close(struct gdx_audit *audit, char *errstr, size_t errstr_size)
{
    int err;
    if (!audit) {
        return GDX_OK;
    }
    err = audit->broken ? GDX_OK : write_checkpoint(audit, errstr, errstr_size);
    gdx_audit_destroy(audit);
    return err;
}

void gdx_audit_destroy(struct gdx_audit *audit)
{
    if (!audit) {
        return;
    }
    if (audit->fd >= 0) {
        close(audit->fd);
    }
    if (audit->lock_fd >= 0) {
        close(audit->lock_fd);
    }
    free(audit->path);
    free(audit->dir);
    free(audit->actor);
    free(audit);
}

/* ---------------------------------------------------------------------------------------
 * Offset ranges and record digests
 */

struct audit_range {
    char *topic;
    int32_t partition;
    int64_t first, last;
    uint64_t count;
    struct gdx_sm3 *sm3;
};

struct gdx_audit_ranges {
    struct audit_range *v;
    size_t n, cap;
};

struct gdx_audit_ranges *gdx_audit_ranges_new(void)
{
    struct gdx_audit_ranges *r = calloc(1, sizeof(*r));
    if (!r) {
        abort();
    }
    return r;
}

int gdx_audit_digest_add(struct gdx_sm3 *sm3, const void *value, size_t len, char *errstr,
                         size_t errstr_size)
{
    unsigned char be[4];
    uint32_t l = value ? (uint32_t)len : 0xFFFFFFFFu;
    if (value && len >= 0xFFFFFFFFu) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "record value too large");
    }
    be[0] = (unsigned char)(l >> 24);
    be[1] = (unsigned char)(l >> 16);
    be[2] = (unsigned char)(l >> 8);
    be[3] = (unsigned char)l;
    int err = gdx_sm3_update(sm3, be, 4, errstr, errstr_size);
    if (!err && value && len) {
        err = gdx_sm3_update(sm3, value, len, errstr, errstr_size);
    }
    return err;
}

int gdx_audit_ranges_add(struct gdx_audit_ranges *ranges, const char *topic, int32_t partition,
                         int64_t offset, const void *value, size_t len, char *errstr,
                         size_t errstr_size)
{
    struct audit_range *r = NULL;
    for (size_t i = 0; i < ranges->n; i++) {
        if (ranges->v[i].partition == partition && !strcmp(ranges->v[i].topic, topic)) {
            r = &ranges->v[i];
            break;
        }
    }
    if (!r) {
        if (ranges->n == ranges->cap) {
            ranges->cap = ranges->cap ? ranges->cap * 2 : 8;
            ranges->v = realloc(ranges->v, ranges->cap * sizeof(*ranges->v));
            if (!ranges->v) {
                abort();
            }
        }
        r = &ranges->v[ranges->n];
        memset(r, 0, sizeof(*r));
        r->sm3 = gdx_sm3_new(errstr, errstr_size);
        if (!r->sm3) {
            return GDX_ERR_CRYPTO;
        }
        r->topic = gdx_xstrdup(topic);
        r->partition = partition;
        r->first = offset;
        ranges->n++;
    } else if (offset <= r->last) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                          "offset %" PRId64 " of '%s' [%" PRId32 "] is not after %" PRId64, offset,
                          topic, partition, r->last);
    }
    r->last = offset;
    r->count++;
    return gdx_audit_digest_add(r->sm3, value, len, errstr, errstr_size);
}

static int range_cmp(const void *a, const void *b)
{
    const struct audit_range *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

json_t *gdx_audit_ranges_json(struct gdx_audit_ranges *ranges)
{
    json_t *arr = json_array();
    char err[256];
    if (ranges->n) {
        qsort(ranges->v, ranges->n, sizeof(*ranges->v), range_cmp);
    }
    for (size_t i = 0; i < ranges->n; i++) {
        struct audit_range *r = &ranges->v[i];
        unsigned char md[GDX_SM3_LEN];
        char hex[65] = "";
        if (gdx_sm3_final(r->sm3, md, err, sizeof(err)) == GDX_OK) {
            gdx_hex_encode(md, sizeof(md), hex);
        }
        json_array_append_new(arr, json_pack("{s:s,s:i,s:I,s:I,s:I,s:s}", "topic", r->topic,
                                             "partition", (int)r->partition, "first",
                                             (json_int_t)r->first, "last", (json_int_t)r->last,
                                             "count", (json_int_t)r->count, "sm3", hex));
    }
    gdx_audit_ranges_reset(ranges);
    return arr;
}

void gdx_audit_ranges_reset(struct gdx_audit_ranges *ranges)
{
    for (size_t i = 0; i < ranges->n; i++) {
        free(ranges->v[i].topic);
        gdx_sm3_destroy(ranges->v[i].sm3);
    }
    ranges->n = 0;
}

void gdx_audit_ranges_destroy(struct gdx_audit_ranges *ranges)
{
    if (!ranges) {
        return;
    }
    gdx_audit_ranges_reset(ranges);
    free(ranges->v);
    free(ranges);
}

/* ---------------------------------------------------------------------------------------
 * Event helpers
 */

int gdx_audit_start(struct gdx_audit *audit, const char *version, const char *config_sm3,
                    char *errstr, size_t errstr_size)
{
    struct passwd pw, *res = NULL;
    char buf[1024], who[64];
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res) {
        snprintf(who, sizeof(who), "%s", pw.pw_name);
    } else {
        snprintf(who, sizeof(who), "uid:%u", (unsigned)getuid());
    }
    return gdx_audit_event(audit, "start",
                           json_pack("{s:s,s:i,s:s,s:s?,s:s?}", "who", who, "pid", (int)getpid(),
                                     "outcome", "ok", "version", version, "config", config_sm3),
                           errstr, errstr_size);
}

int gdx_audit_stop(struct gdx_audit *audit, const char *reason, char *errstr, size_t errstr_size)
{
    return gdx_audit_event(audit, "stop", json_pack("{s:s?}", "reason", reason), errstr,
                           errstr_size);
}

int gdx_audit_batch_committed(struct gdx_audit *audit, const struct gdx_audit_batch *batch,
                              char *errstr, size_t errstr_size)
{
    int err;
    json_t *f = json_pack("{s:s,s:s,s:I,s:I,s:s?,s:s?,s:s?,s:b,s:o}", "connector", batch->connector,
                          "batch", batch->batch, "records", (json_int_t)batch->records, "dead",
                          (json_int_t)batch->dead, "src.from", batch->src_from, "src.to",
                          batch->src_to, "config", batch->config, "recovered", batch->recovered,
                          "ranges", batch->ranges ? json_incref(batch->ranges) : json_array());
    if (!f) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "invalid batch_committed event");
    }
    err = gdx_audit_event(audit, "batch_committed", f, errstr, errstr_size);
    if (!err) {
        snprintf(audit->last_batch, sizeof(audit->last_batch), "%s", batch->batch);
    }
    return err;
}

int gdx_audit_dead_letters(struct gdx_audit *audit, const char *connector, const char *batch,
                           uint64_t count, json_t *reasons, char *errstr, size_t errstr_size)
{
    return gdx_audit_event(audit, "dead_letters",
                           json_pack("{s:s,s:s?,s:I,s:O?}", "connector", connector, "batch", batch,
                                     "count", (json_int_t)count, "reasons", reasons),
                           errstr, errstr_size);
}

int gdx_audit_policy_applied(struct gdx_audit *audit, const char *connector, const char *batch,
                             json_t *fields, char *errstr, size_t errstr_size)
{
    return gdx_audit_event(
        audit, "policy_applied",
        json_pack("{s:s,s:s?,s:O?}", "connector", connector, "batch", batch, "fields", fields),
        errstr, errstr_size);
}

int gdx_audit_operator(struct gdx_audit *audit, const char *user, const char *action,
                       const char *connector, const char *detail, char *errstr, size_t errstr_size)
{
    return gdx_audit_event(audit, "operator",
                           json_pack("{s:s,s:s,s:s?,s:s?,s:s}", "user", user, "action", action,
                                     "connector", connector, "detail", detail, "outcome", "ok"),
                           errstr, errstr_size);
}

int gdx_audit_error(struct gdx_audit *audit, const char *component, const char *message,
                    char *errstr, size_t errstr_size)
{
    return gdx_audit_event(audit, "error",
                           json_pack("{s:s?,s:s}", "component", component, "message", message),
                           errstr, errstr_size);
}

int gdx_audit_outage(struct gdx_audit *audit, const char *what, const char *state, int64_t since_ms,
                     char *errstr, size_t errstr_size)
{
    char since[32];
    gdx_audit_format_utc(since_ms, since);
    return gdx_audit_event(audit, "outage",
                           json_pack("{s:s,s:s,s:s}", "what", what, "state", state, "since", since),
                           errstr, errstr_size);
}

int gdx_audit_uplink_batch(struct gdx_audit *audit, const char *connector, const char *batch,
                           uint64_t records, json_t *source, json_t *dest, int recovered,
                           char *errstr, size_t errstr_size)
{
    json_t *f = json_pack("{s:s,s:s,s:I,s:O?,s:O?}", "connector", connector, "batch", batch,
                          "records", (json_int_t)records, "source", source, "dest", dest);
    int err;
    if (recovered) {
        json_object_set_new(f, "recovered", json_true());
    }
    err = gdx_audit_event(audit, "uplink_batch", f, errstr, errstr_size);
    if (!err) {
        snprintf(audit->last_batch, sizeof(audit->last_batch), "%s", batch);
    }
    return err;
}

/* ---------------------------------------------------------------------------------------
 * The `audit:` config section, shared by connectors and the uplink
 */

int gdx_audit_conf_parse(const struct gdx_node *node, const char *base_dir,
                         struct gdx_audit_conf *ac, char *errstr, size_t errstr_size)
{
    static const char *const keys[] = {
        "dir",   "key.file", "key.id", "checkpoint.lines", "checkpoint.secs", "retention.days",
        "topic", NULL};
    const struct gdx_node *v;
    const char *s;
    int64_t n;
    char where[256], kerr[512];
    int err;

    memset(ac, 0, sizeof(*ac));
    if (!node) {
        return GDX_OK;
    }
    if (node->type != GDX_NODE_MAP) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: 'audit' must be a map",
                          gdx_conf_where(node, where, sizeof(where)));
    }
    if ((err = gdx_conf_only_keys(node, keys, errstr, errstr_size))) {
        return err;
    }
    ac->checkpoint_lines = GDX_AUDIT_CHECKPOINT_LINES;
    ac->checkpoint_secs = GDX_AUDIT_CHECKPOINT_SECS;
    ac->retention_days = GDX_AUDIT_RETENTION_MIN_DAYS;
    static const char *const req[] = {"dir", "key.file"};
    for (int i = 0; i < 2; i++) {
        if (!gdx_conf_get(node, req[i])) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s: missing required key '%s' in 'audit'",
                              gdx_conf_where(node, where, sizeof(where)), req[i]);
        }
    }
    if ((err = gdx_conf_scalar(gdx_conf_get(node, "dir"), &s, errstr, errstr_size))) {
        goto fail;
    }
    ac->dir = gdx_path_join(base_dir, s);
    if ((err = gdx_conf_scalar(gdx_conf_get(node, "key.file"), &s, errstr, errstr_size))) {
        goto fail;
    }
    ac->key_file = gdx_path_join(base_dir, s);
    if ((v = gdx_conf_get(node, "key.id"))) {
        if ((err = gdx_conf_scalar(v, &s, errstr, errstr_size))) {
            goto fail;
        }
        ac->key_id = strdup(s);
    }
    if ((v = gdx_conf_get(node, "topic"))) {
        if ((err = gdx_conf_scalar(v, &s, errstr, errstr_size))) {
            goto fail;
        }
        ac->topic = strdup(s);
    } else {
        ac->topic = strdup("_gdx.audit");
    }
    if ((v = gdx_conf_get(node, "checkpoint.lines"))) {
        if ((err = gdx_conf_int(v, 1, 1000000, &n, errstr, errstr_size))) {
            goto fail;
        }
        ac->checkpoint_lines = (long)n;
    }
    if ((v = gdx_conf_get(node, "checkpoint.secs"))) {
        if ((err = gdx_conf_int(v, 1, 86400, &n, errstr, errstr_size))) {
            goto fail;
        }
        ac->checkpoint_secs = (long)n;
    }
    if ((v = gdx_conf_get(node, "retention.days"))) {
        if ((err = gdx_conf_int(v, 0, 100000, &n, errstr, errstr_size))) {
            goto fail;
        }
        if (n < GDX_AUDIT_RETENTION_MIN_DAYS) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: audit retention of %lld days is below the legal minimum of %d "
                             "days (Cybersecurity Law: network logs are kept at least six "
                             "months)",
                             gdx_conf_where(v, where, sizeof(where)), (long long)n,
                             GDX_AUDIT_RETENTION_MIN_DAYS);
            goto fail;
        }
        ac->retention_days = (long)n;
    }
    if (gdx_sm2_load_private_file(ac->key_file, &ac->key, kerr, sizeof(kerr))) {
        err =
            gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                       gdx_conf_where(gdx_conf_get(node, "key.file"), where, sizeof(where)), kerr);
        goto fail;
    }
    return GDX_OK;
fail:
    gdx_audit_conf_release(ac);
    return err;
}

void gdx_audit_conf_release(struct gdx_audit_conf *ac)
{
    if (!ac) {
        return;
    }
    free(ac->dir);
    free(ac->key_file);
    free(ac->key_id);
    free(ac->topic);
    gdx_sm2_key_destroy(ac->key);
    memset(ac, 0, sizeof(*ac));
}

int gdx_audit_conf_open(const struct gdx_audit_conf *ac, const char *actor, struct gdx_audit **out,
                        char *errstr, size_t errstr_size)
{
    struct gdx_audit_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.checkpoint_lines = ac->checkpoint_lines;
    opts.checkpoint_secs = ac->checkpoint_secs;
    opts.retention_days = ac->retention_days;
    opts.key_id = ac->key_id;
    return gdx_audit_new(out, ac->dir, actor, ac->key, &opts, errstr, errstr_size);
}
