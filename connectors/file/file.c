/*
 * file.c - the file connector: CSV and JSON Lines exports dropped into a folder.
 *
 * Departments export a file per day (or per run) into a drop folder and mark it complete
 * with a marker file (`X.csv.ok`) or by leaving it alone for complete.quiet.ms. The
 * connector takes files strictly in name order, one at a time, and turns each record into a
 * row of named text fields (CSV header names or JSON keys); the runtime does the rest.
 *
 * Invariants:
 * - A position is {file, size, head digest, byte, line}; byte always sits on a record
 *   boundary. A file's identity is its name, size and the SM3 of its first 4 KiB, not its
 *   inode, so a connector moved to another host with the folder resumes correctly and a
 *   replaced file is noticed.
 * - Only `size` bytes (the size when the file was opened) are read: bytes appended later
 *   are not part of the file's identity and are never half-read.
 * - A file moves to done/ only after Kafka committed its final position (byte == size);
 *   the next file is not started before that, so after a crash at most one file is in
 *   flight and a restart never reads a finished file twice.
 * - Rows the connector cannot parse (wrong field count, bad quoting, bad encoding, bad JSON,
 *   oversized) are rows with `error` set: they go to the dead letter topic and the file
 *   keeps flowing. A file that cannot be read at all goes to failed/ with a `.error` note;
 *   transient trouble (a lock held by the exporter, EAGAIN) is GDX_ERR_RETRY.
 * - Reading is buffered (read.buffer.bytes per pread), never a syscall per line.
 *
 * Fault points for the tests (lib/gdx_fault.h): `file.open` fails opening a file with
 * ETIMEDOUT (a network share that does not answer: transient, unlike EACCES, which sends the
 * file to failed/), `file.read` fails a read with EIO, `file.move` fails moving a file to
 * done/ or failed/ with ENOSPC. All three are GDX_ERR_RETRY with the reason in errstr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gdx.h"
#include "gdx_crypto.h"
#include "gdx_fault.h"
#include "gdx_jrow.h"
#include "gdx_log.h"
#include "gdx_text.h"

#include "csv.h"

#define FILE_HEAD_BYTES 4096
#define FILE_MOVE_TRIES 1000

enum file_fmt { FILE_FMT_AUTO, FILE_FMT_CSV, FILE_FMT_JSONL };

enum file_phase {
    FILE_NONE,     /* no file open: pick the next one */
    FILE_READING,  /* rows flowing */
    FILE_FINISHED, /* final position handed to the batch; waiting for committed() */
};

struct file_cur {
    enum file_phase phase;
    int fd;
    char *name;
    enum file_fmt fmt;
    uint64_t size;
    char head[GDX_SM3_HEX_LEN + 1];
    char *offpfx;        /* `{"file":"<name>","size":N,"head":"<hex>"` */
    char *pospfx;        /* `file:<name>:` */
    uint64_t byte, line; /* position after the last complete record */
    uint64_t reported;   /* last byte handed to the batch (row or offset) */
    uint64_t rd_off;     /* file offset of buf[0] */
    size_t buf_len, buf_pos;
    int header_done;               /* csv: header parsed (or not wanted) */
    uint64_t seek_byte, seek_line; /* resume target once the header is read */
    char **names;                  /* csv header names */
    size_t ncols;
    uint64_t names_gen; /* gdx_names_gen() of names */
    /* jsonl: a line longer than the buffer */
    char *lbuf;
    size_t llen, lcap;
    int lskip; /* the line outgrew row.max.bytes: drop bytes until its end */
};

struct file_inst {
    /* the `source:` section, bound by the runtime */
    char *path;
    char *pattern;
    char *format;
    char *encoding;
    char *csv_delimiter;
    int csv_header;
    char **csv_columns;
    char *complete_marker;
    int64_t complete_quiet_ms;
    char *done_dir;
    char *failed_dir;
    int64_t poll_interval_ms;
    int64_t row_max_bytes;
    int64_t read_buffer_bytes;

    /* resolved by init */
    char *dir, *done, *failed;
    char **pats;
    size_t npats;
    enum file_fmt fmt;
    char delim;
    size_t ncolumns;
    uint64_t columns_gen; /* gdx_names_gen() of csv_columns */
    char *buf;
    size_t buf_cap;
    struct csv_parser *csv;
    struct gdx_decoder *dec;

    struct file_cur cur;
    char *waiting;        /* name of the incomplete file last logged as awaited */
    int64_t next_scan_ms; /* monotonic: do not list the folder again before this */
    int last_incomplete;  /* the last listing found an incomplete file */

    struct gdx_jrow *jrow; /* JSON Lines rows */
    char *offbuf, *posbuf;
    size_t offcap, poscap;
};

#define OFF(f) offsetof(struct file_inst, f)

static const struct gdx_conf_prop file_props[] = {
    {"path", GDX_CONF_STR, OFF(path), NULL, NULL,
     "Drop folder the department exports into. Relative paths are resolved against the "
     "folder of the config file."},
    {"pattern", GDX_CONF_STR, OFF(pattern), "*.csv,*.jsonl", NULL,
     "Comma-separated shell patterns of the files to read; names starting with a dot are "
     "never read."},
    {"format", GDX_CONF_STR, OFF(format), "auto", "auto|csv|jsonl",
     "File format; auto chooses by extension (.jsonl/.ndjson/.json are JSON Lines, the rest CSV)."},
    {"encoding", GDX_CONF_STR, OFF(encoding), "utf-8", "utf-8|gb18030|gbk",
     "Text encoding of the files; gbk is read as gb18030, its superset."},
    {"csv.delimiter", GDX_CONF_STR, OFF(csv_delimiter), ",", NULL,
     "Field delimiter: one character, or \\t (or tab) for tab-separated files."},
    {"csv.header", GDX_CONF_BOOL, OFF(csv_header), "true", NULL,
     "The first record holds the column names. When false, csv.columns names them."},
    {"csv.columns", GDX_CONF_STRLIST, OFF(csv_columns), "", NULL,
     "Column names in file order, for files without a header line (csv.header: false)."},
    {"complete.marker", GDX_CONF_STR, OFF(complete_marker), ".ok", NULL,
     "File X is complete when X plus this suffix exists (X.csv.ok). Empty: no marker."},
    {"complete.quiet.ms", GDX_CONF_DURATION, OFF(complete_quiet_ms), "0", NULL,
     "If above 0, a file is also complete once it has not been modified for this long."},
    {"done.dir", GDX_CONF_STR, OFF(done_dir), "", NULL,
     "Where fully committed files (and their markers) are moved; default <path>/done."},
    {"failed.dir", GDX_CONF_STR, OFF(failed_dir), "", NULL,
     "Where unreadable files are moved, with a <name>.error note; default <path>/failed."},
    {"poll.interval.ms", GDX_CONF_DURATION, OFF(poll_interval_ms), "1s", NULL,
     "Least time between two listings of the folder while no complete file is waiting."},
    {"row.max.bytes", GDX_CONF_SIZE, OFF(row_max_bytes), "1MiB", NULL,
     "Largest record; a larger one goes to the dead letter topic and reading goes on."},
    {"read.buffer.bytes", GDX_CONF_SIZE, OFF(read_buffer_bytes), "256KiB", NULL,
     "Bytes read from the file per system call."},
    GDX_CONF_END,
};

/* ------------------------------------------------------------------------------------- */
/* small helpers */

static void *file_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

static char *file_xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        abort();
    }
    return d;
}

static char *file_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *file_xasprintf(const char *fmt, ...)
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

static int64_t file_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* JSON string literal of s (quotes included), heap. */
static char *file_json_str(const char *s)
{
    json_t *j = json_string(s);
    char *out;

    if (!j) { /* not UTF-8: escape byte-wise through a lossless-enough fallback */
        j = json_stringn_nocheck(s, strlen(s));
    }
    out = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    if (!out) {
        abort();
    }
    return out;
}

static int file_is_transient(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == EBUSY || e == ETXTBSY ||
           e == ENFILE || e == EMFILE || e == ENOMEM || e == ESTALE || e == ETIMEDOUT;
}

static char *file_join(const char *dir, const char *name)
{
    return file_xasprintf("%s/%s", dir, name);
}

/* Resolve @p p against the config file's folder. */
static char *file_resolve(struct gdx_ctx *ctx, const char *p)
{
    const char *base = gdx_ctx_config_dir(ctx);
    struct stat st;
    char *b, *slash, *out;

    if (p[0] == '/' || !base || !*base) {
        return file_xstrdup(p);
    }
    /* the runtime may give the folder or the config file itself */
    if (stat(base, &st) == 0 && S_ISDIR(st.st_mode)) {
        return file_join(base, p);
    }
    b = file_xstrdup(base);
    slash = strrchr(b, '/');
    if (!slash) {
        free(b);
        return file_xstrdup(p);
    }
    *slash = '\0';
    out = file_join(*b ? b : "/", p);
    free(b);
    return out;
}

static void file_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

/* ------------------------------------------------------------------------------------- */
/* the folder */

static enum file_fmt file_fmt_of(const struct file_inst *fi, const char *name)
{
    const char *dot;

    if (fi->fmt != FILE_FMT_AUTO) {
        return fi->fmt;
    }
    dot = strrchr(name, '.');
    if (dot && (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0 ||
                strcasecmp(dot, ".json") == 0)) {
        return FILE_FMT_JSONL;
    }
    return FILE_FMT_CSV;
}

static int file_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return m > 0 && n >= m && strcmp(s + n - m, suf) == 0;
}

static int file_wanted(const struct file_inst *fi, const char *name)
{
    if (name[0] == '.') {
        return 0;
    }
    if (file_has_suffix(name, fi->complete_marker) || file_has_suffix(name, ".error")) {
        return 0;
    }
    for (size_t i = 0; i < fi->npats; i++) {
        if (fnmatch(fi->pats[i], name, FNM_PERIOD) == 0) {
            return 1;
        }
    }
    return 0;
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the folder's candidate files, sorted. */
static int file_list(struct file_inst *fi, char ***out, size_t *nout, char *errstr,
                     size_t errstr_size)
{
    DIR *d;
    struct dirent *de;
    char **v = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *nout = 0;
    d = opendir(fi->dir);
    if (!d) {
        int e = errno;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot open folder '%s': %s",
                          fi->dir, strerror(e));
    }
    while ((de = readdir(d)) != NULL) {
        if (!file_wanted(fi, de->d_name)) {
            continue;
        }
        char *full = file_join(fi->dir, de->d_name);
        int own = strcmp(full, fi->done) == 0 || strcmp(full, fi->failed) == 0;
        free(full);
        if (own) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = file_xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = file_xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1) {
        qsort(v, n, sizeof(*v), file_cmp);
    }
    *out = v;
    *nout = n;
    return GDX_OK;
}

/* 1 if complete, 0 if still being written. */
static int file_complete(const struct file_inst *fi, const char *name, const struct stat *st)
{
    if (fi->complete_marker[0]) {
        char *m = file_xasprintf("%s/%s%s", fi->dir, name, fi->complete_marker);
        int ok = access(m, F_OK) == 0;
        free(m);
        if (ok) {
            return 1;
        }
    }
    if (fi->complete_quiet_ms > 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t age = ((int64_t)now.tv_sec - (int64_t)st->st_mtim.tv_sec) * 1000 +
                      ((int64_t)now.tv_nsec - (int64_t)st->st_mtim.tv_nsec) / 1000000;
        return age >= fi->complete_quiet_ms;
    }
    return 0;
}

static int file_mkdirs(const char *path, char *errstr, size_t errstr_size)
{
    char *p = file_xstrdup(path);
    int rc = GDX_OK;

    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST) {
                int e = errno;
                rc = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot create folder '%s': %s",
                                p, strerror(e));
                break;
            }
            *s = c;
            if (c == '\0') {
                break;
            }
        }
    }
    free(p);
    return rc;
}

/*
 * Move dir/name (and its marker) into @p todir without overwriting: a name already there
 * gets `.1`, `.2`, ... appended. On success *dst is the new path (heap) if dst is not NULL.
 */
static int file_move(struct gdx_ctx *ctx, struct file_inst *fi, const char *name, const char *todir,
                     char **dst, char *errstr, size_t errstr_size)
{
    char *src = file_join(fi->dir, name), *to = NULL;
    int rc;

    rc = file_mkdirs(todir, errstr, errstr_size);
    if (rc != GDX_OK) {
        goto out;
    }
    for (int i = 0; i < FILE_MOVE_TRIES; i++) {
        free(to);
        to = i == 0 ? file_join(todir, name) : file_xasprintf("%s/%s.%d", todir, name, i);
        if (GDX_FAULT("file.move")) {
            errno = ENOSPC;
        } else if (renameat2(AT_FDCWD, src, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
            break;
        }
        if (errno == EEXIST) {
            continue;
        }
        if (errno == EINVAL) { /* file system without RENAME_NOREPLACE */
            if (access(to, F_OK) == 0) {
                continue;
            }
            if (rename(src, to) == 0) {
                break;
            }
        }
        int e = errno;
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot move '%s' to '%s': %s", src,
                        todir, strerror(e));
        goto out;
    }
    if (fi->complete_marker[0]) {
        char *msrc = file_xasprintf("%s%s", src, fi->complete_marker);
        char *mdst = file_xasprintf("%s%s", to, fi->complete_marker);
        /* best effort: a quiet-complete file has no marker */
        if (rename(msrc, mdst) != 0 && errno != ENOENT) {
            gdx_ctx_log(ctx, GDX_LOG_WARN, "cannot move marker '%s': %s", msrc, strerror(errno));
        }
        free(msrc);
        free(mdst);
    }
    if (dst) {
        *dst = to;
        to = NULL;
    }
out:
    free(src);
    free(to);
    return rc;
}

/* Move an unreadable file to failed/ with a note saying why. */
static int file_fail(struct gdx_ctx *ctx, struct file_inst *fi, const char *name, const char *why,
                     char *errstr, size_t errstr_size)
{
    char *dst = NULL, *note;
    FILE *f;
    int rc;

    rc = file_move(ctx, fi, name, fi->failed, &dst, errstr, errstr_size);
    if (rc != GDX_OK) {
        return rc;
    }
    gdx_ctx_log(ctx, GDX_LOG_ERROR, "moved '%s' to '%s': %s", name, fi->failed, why);
    note = file_xasprintf("%s.error", dst);
    f = fopen(note, "w");
    if (f) {
        fprintf(f, "%s\n", why);
        if (fclose(f) != 0) {
            gdx_ctx_log(ctx, GDX_LOG_WARN, "cannot write '%s': %s", note, strerror(errno));
        }
    } else {
        gdx_ctx_log(ctx, GDX_LOG_WARN, "cannot write '%s': %s", note, strerror(errno));
    }
    free(note);
    free(dst);
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* the current file */

static void file_cur_close(struct file_inst *fi)
{
    struct file_cur *c = &fi->cur;

    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->name);
    free(c->offpfx);
    free(c->pospfx);
    file_strv_free(c->names, c->ncols);
    free(c->lbuf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->phase = FILE_NONE;
}

/* Size and head digest of an open file. */
static int file_identity(int fd, const char *path, uint64_t *size, char head[GDX_SM3_HEX_LEN + 1],
                         char *errstr, size_t errstr_size)
{
    unsigned char h[FILE_HEAD_BYTES];
    struct stat st;
    size_t want, got = 0;

    if (fstat(fd, &st) != 0) {
        int e = errno;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot stat '%s': %s", path,
                          strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "'%s' is not a regular file", path);
    }
    *size = (uint64_t)st.st_size;
    want = *size < FILE_HEAD_BYTES ? (size_t)*size : FILE_HEAD_BYTES;
    while (got < want) {
        ssize_t n = pread(fd, h + got, want - got, (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int e = errno;
            return gdx_seterr(errstr, errstr_size,
                              file_is_transient(e) ? GDX_ERR_RETRY : GDX_ERR_IO,
                              "cannot read '%s': %s", path, strerror(e));
        }
        if (n == 0) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "'%s' shrank while opening",
                              path);
        }
        got += (size_t)n;
    }
    return gdx_sm3_hex(h, want, head, errstr, errstr_size);
}

/*
 * Open dir/name. GDX_OK; GDX_ERR_NOENT if it vanished; GDX_ERR_RETRY if it is busy; GDX_ERR_IO
 * with the reason if it can never be read (the caller moves it to failed/).
 */
static int file_open(struct file_inst *fi, const char *name, char *errstr, size_t errstr_size)
{
    struct file_cur *c = &fi->cur;
    char *path = file_join(fi->dir, name), *jname;
    struct flock lk;
    int fd, rc;

    file_cur_close(fi);
    if (GDX_FAULT("file.open")) {
        fd = -1;
        errno = ETIMEDOUT;
    } else {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    }
    if (fd < 0) {
        int e = errno;
        rc = e == ENOENT ? GDX_ERR_NOENT : file_is_transient(e) ? GDX_ERR_RETRY : GDX_ERR_IO;
        gdx_seterr(errstr, errstr_size, rc, "cannot open '%s': %s", path, strerror(e));
        free(path);
        return rc;
    }
    c->fd = fd;
    rc = file_identity(fd, path, &c->size, c->head, errstr, errstr_size);
    if (rc != GDX_OK) {
        goto fail;
    }
    /* an exporter holding a write lock is still writing */
    memset(&lk, 0, sizeof(lk));
    lk.l_type = F_RDLCK;
    lk.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                        "'%s' is locked by process %ld (still being written?)", path,
                        (long)lk.l_pid);
        goto fail;
    }
    c->name = file_xstrdup(name);
    c->fmt = file_fmt_of(fi, name);
    jname = file_json_str(name);
    c->offpfx = file_xasprintf("{\"file\":%s,\"size\":%llu,\"head\":\"%s\"", jname,
                               (unsigned long long)c->size, c->head);
    free(jname);
    c->pospfx = file_xasprintf("file:%s:", name);
    c->line = 1;
    c->reported = UINT64_MAX; /* even an empty file reports its final position */
    c->phase = FILE_READING;
    c->header_done = !(c->fmt == FILE_FMT_CSV && fi->csv_header);
    if (c->fmt == FILE_FMT_CSV) {
        csv_parser_reset(fi->csv, 1, 1);
        csv_parser_set_columns(fi->csv, c->header_done ? fi->ncolumns : 0);
    }
    free(path);
    return GDX_OK;
fail:
    file_cur_close(fi);
    free(path);
    return rc;
}

/* Continue the open file at byte/line (a record boundary). */
static void file_seek(struct file_inst *fi, uint64_t byte, uint64_t line)
{
    struct file_cur *c = &fi->cur;

    if (!c->header_done) { /* the header is read first, then we jump */
        c->seek_byte = byte;
        c->seek_line = line;
        return;
    }
    c->rd_off = byte;
    c->buf_len = c->buf_pos = 0;
    c->byte = c->reported = byte;
    c->line = line ? line : 1;
    c->llen = 0;
    c->lskip = 0;
    if (c->fmt == FILE_FMT_CSV) {
        csv_parser_reset(fi->csv, c->line, byte == 0);
    }
}

/* Read the next chunk. GDX_OK (possibly nothing left), or an error. */
static int file_fill(struct file_inst *fi, char *errstr, size_t errstr_size)
{
    struct file_cur *c = &fi->cur;
    uint64_t at = c->rd_off + c->buf_len;
    size_t want;
    ssize_t n;

    c->rd_off = at;
    c->buf_len = c->buf_pos = 0;
    if (at >= c->size) {
        return GDX_OK;
    }
    want = c->size - at < fi->buf_cap ? (size_t)(c->size - at) : fi->buf_cap;
    do {
        if (GDX_FAULT("file.read")) {
            n = -1;
            errno = EIO;
            break;
        }
        n = pread(c->fd, fi->buf, want, (off_t)at);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot read '%s/%s': %s", fi->dir,
                          c->name, strerror(e));
    }
    if (n == 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                          "'%s/%s' shrank while being read (expected %llu bytes, found %llu)",
                          fi->dir, c->name, (unsigned long long)c->size, (unsigned long long)at);
    }
    c->buf_len = (size_t)n;
    return GDX_OK;
}

static int file_at_eof(const struct file_inst *fi)
{
    const struct file_cur *c = &fi->cur;
    return c->buf_pos == c->buf_len && c->rd_off + c->buf_len >= c->size;
}

/* The offset JSON of the current position into fi->offbuf. */
/* Decimal digits of @p v at @p p; returns the end. */
static char *file_put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        *p++ = tmp[--n];
    }
    return p;
}

/* The position after the current row, formatted per row: by hand (snprintf was a tenth of
 * the connector's own time). */
static const char *file_offset_json(struct file_inst *fi)
{
    struct file_cur *c = &fi->cur;
    size_t plen = strlen(c->offpfx);
    size_t need = plen + 64;
    char *p;
    if (need > fi->offcap) {
        fi->offcap = need * 2;
        fi->offbuf = file_xrealloc(fi->offbuf, fi->offcap);
    }
    p = fi->offbuf;
    memcpy(p, c->offpfx, plen);
    p += plen;
    memcpy(p, ",\"byte\":", 8);
    p = file_put_u64(p + 8, c->byte);
    memcpy(p, ",\"line\":", 8);
    p = file_put_u64(p + 8, c->line);
    *p++ = '}';
    *p = '\0';
    return fi->offbuf;
}

static const char *file_pos(struct file_inst *fi, uint64_t line)
{
    struct file_cur *c = &fi->cur;
    size_t plen = strlen(c->pospfx);
    size_t need = plen + 24;
    if (need > fi->poscap) {
        fi->poscap = need * 2;
        fi->posbuf = file_xrealloc(fi->posbuf, fi->poscap);
    }
    memcpy(fi->posbuf, c->pospfx, plen);
    *file_put_u64(fi->posbuf + plen, line) = '\0';
    return fi->posbuf;
}

/* Hand a row to the batch; *full set when the batch is full. */
static int file_add(struct file_inst *fi, struct gdx_batch *batch, struct gdx_row *row, int *full,
                    char *errstr, size_t errstr_size)
{
    int rc = gdx_batch_add(batch, row, file_offset_json(fi));

    fi->cur.reported = fi->cur.byte;
    if (rc == GDX_ERR_FULL) {
        *full = 1;
        return GDX_OK;
    }
    if (rc != GDX_OK) {
        return gdx_seterr(errstr, errstr_size, rc, "cannot add row %s to the batch",
                          row->pos ? row->pos : "");
    }
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* CSV */

/* Take the header record's names. GDX_OK, or GDX_ERR_PARSE with why the file is unusable. */
static int file_csv_header(struct file_inst *fi, const struct csv_record *rec, char *errstr,
                           size_t errstr_size)
{
    struct file_cur *c = &fi->cur;

    if (rec->error) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "header: %s", rec->error);
    }
    c->names = file_xrealloc(NULL, rec->nfields * sizeof(*c->names));
    for (size_t i = 0; i < rec->nfields; i++) {
        c->names[i] = file_xstrdup(rec->values[i]);
        c->ncols = i + 1;
        if (!rec->values[i][0]) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "header line %llu: column %zu has no name",
                              (unsigned long long)rec->line, i + 1);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->names[j], c->names[i]) == 0) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                                  "header line %llu: column '%s' appears twice",
                                  (unsigned long long)rec->line, c->names[i]);
            }
        }
    }
    csv_parser_set_columns(fi->csv, c->ncols);
    c->names_gen = gdx_names_gen();
    c->header_done = 1;
    if (c->seek_byte > c->byte) {
        file_seek(fi, c->seek_byte, c->seek_line);
    }
    return GDX_OK;
}

static int file_csv_record(struct file_inst *fi, struct gdx_batch *batch,
                           const struct csv_record *rec, int *full, char *errstr,
                           size_t errstr_size)
{
    struct file_cur *c = &fi->cur;
    struct gdx_row row;

    if (!c->header_done) {
        return file_csv_header(fi, rec, errstr, errstr_size);
    }
    memset(&row, 0, sizeof(row));
    row.pos = file_pos(fi, rec->line);
    row.raw = rec->raw;
    row.raw_len = rec->raw_len;
    if (rec->error) {
        const char *const *names =
            fi->csv_header ? (const char *const *)c->names : (const char *const *)fi->csv_columns;
        size_t n = fi->csv_header ? c->ncols : fi->ncolumns;
        row.error = rec->error;
        if (rec->error_col > 0 && rec->error_col <= n) {
            row.error_field = names[rec->error_col - 1];
        }
    } else {
        row.nfields = rec->nfields;
        row.names =
            fi->csv_header ? (const char *const *)c->names : (const char *const *)fi->csv_columns;
        row.names_gen = fi->csv_header ? c->names_gen : fi->columns_gen;
        row.values = rec->values;
        row.lens = rec->lens;
        row.utf8_valid = 1; /* csv_decode checked every field, or decoded it to UTF-8 */
    }
    return file_add(fi, batch, &row, full, errstr, errstr_size);
}

static int file_csv_rows(struct file_inst *fi, struct gdx_batch *batch, int *full, char *errstr,
                         size_t errstr_size)
{
    struct file_cur *c = &fi->cur;
    int rc, r;

    while (!*full) {
        if (c->buf_pos == c->buf_len) {
            if (file_at_eof(fi)) {
                r = csv_parser_finish(fi->csv);
                c->byte = c->size;
                c->line = csv_parser_line(fi->csv);
                if (r == CSV_RECORD) {
                    rc = file_csv_record(fi, batch, csv_parser_record(fi->csv), full, errstr,
                                         errstr_size);
                    if (rc != GDX_OK) {
                        return rc;
                    }
                }
                return GDX_OK;
            }
            rc = file_fill(fi, errstr, errstr_size);
            if (rc != GDX_OK) {
                return rc;
            }
            continue;
        }
        size_t used = 0;
        r = csv_parser_feed(fi->csv, fi->buf + c->buf_pos, c->buf_len - c->buf_pos, &used);
        c->buf_pos += used;
        if (r == CSV_MORE) {
            continue;
        }
        c->byte = c->rd_off + c->buf_pos;
        c->line = csv_parser_line(fi->csv);
        if (r == CSV_BLANK) {
            continue;
        }
        rc = file_csv_record(fi, batch, csv_parser_record(fi->csv), full, errstr, errstr_size);
        if (rc != GDX_OK) {
            return rc;
        }
    }
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* JSON Lines */

static int file_jsonl_line(struct file_inst *fi, struct gdx_batch *batch, const char *data,
                           size_t n, uint64_t line, int oversized, int *full, char *errstr,
                           size_t errstr_size)
{
    struct gdx_row row;
    char err[320], jerr[256];
    const char *text = data;
    size_t tlen = n, bad = 0, i = 0;

    while (n > 0 && data[n - 1] == '\r') {
        n--;
    }
    tlen = n;
    while (i < n && (data[i] == ' ' || data[i] == '\t')) {
        i++;
    }
    if (!oversized && i == n) {
        return GDX_OK; /* blank line */
    }
    memset(&row, 0, sizeof(row));
    row.pos = file_pos(fi, line);
    row.raw = data;
    row.raw_len = n;
    if (oversized) {
        snprintf(err, sizeof(err), "line %llu: row is larger than row.max.bytes (%lld bytes)",
                 (unsigned long long)line, (long long)fi->row_max_bytes);
        row.error = err;
        return file_add(fi, batch, &row, full, errstr, errstr_size);
    }
    if (gdx_decoder_convert(fi->dec, text, tlen, &text, &tlen, &bad) != GDX_OK) {
        snprintf(err, sizeof(err), "line %llu col %zu: invalid %s byte sequence",
                 (unsigned long long)line, bad + 1, fi->encoding);
        row.error = err;
        return file_add(fi, batch, &row, full, errstr, errstr_size);
    }
    if (line == 1 && tlen >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3; /* a byte order mark (GB18030's decodes to U+FEFF too) */
        tlen -= 3;
    }
    if (gdx_jrow_parse(fi->jrow, text, tlen, &row, jerr, sizeof(jerr)) != GDX_OK) {
        snprintf(err, sizeof(err), "line %llu %s", (unsigned long long)line, jerr);
        row.error = err;
        row.nfields = 0;
        return file_add(fi, batch, &row, full, errstr, errstr_size);
    }
    return file_add(fi, batch, &row, full, errstr, errstr_size);
}

static int file_jsonl_rows(struct file_inst *fi, struct gdx_batch *batch, int *full, char *errstr,
                           size_t errstr_size)
{
    struct file_cur *c = &fi->cur;
    size_t max = (size_t)fi->row_max_bytes;
    int rc;

    while (!*full) {
        if (c->buf_pos == c->buf_len) {
            if (file_at_eof(fi)) {
                c->byte = c->size;
                if (c->llen > 0 || c->lskip) { /* a last line without a newline */
                    uint64_t line = c->line++;
                    int skipped = c->lskip;
                    size_t llen = c->llen;
                    c->lskip = 0;
                    c->llen = 0;
                    rc = file_jsonl_line(fi, batch, c->lbuf, llen, line, skipped, full, errstr,
                                         errstr_size);
                    if (rc != GDX_OK) {
                        return rc;
                    }
                }
                return GDX_OK;
            }
            rc = file_fill(fi, errstr, errstr_size);
            if (rc != GDX_OK) {
                return rc;
            }
            continue;
        }
        const char *p = fi->buf + c->buf_pos;
        size_t avail = c->buf_len - c->buf_pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;

        if (!c->lskip && c->llen + take > max) {
            c->lskip = 1;
            /* keep the first row.max.bytes for the dead letter */
            size_t keep = max > c->llen ? max - c->llen : 0;
            if (c->llen + keep > c->lcap) {
                c->lcap = c->llen + keep + 1;
                c->lbuf = file_xrealloc(c->lbuf, c->lcap);
            }
            memcpy(c->lbuf + c->llen, p, keep);
            c->llen += keep;
        } else if (!c->lskip && (!nl || c->llen > 0)) {
            if (c->llen + take > c->lcap) {
                c->lcap = (c->llen + take) * 2;
                c->lbuf = file_xrealloc(c->lbuf, c->lcap);
            }
            memcpy(c->lbuf + c->llen, p, take);
            c->llen += take;
        }
        if (!nl) {
            c->buf_pos = c->buf_len;
            continue;
        }
        c->buf_pos += take + 1;
        c->byte = c->rd_off + c->buf_pos;
        uint64_t line = c->line++;
        if (c->lskip) {
            rc = file_jsonl_line(fi, batch, c->lbuf, c->llen, line, 1, full, errstr, errstr_size);
        } else if (c->llen > 0) {
            rc = file_jsonl_line(fi, batch, c->lbuf, c->llen, line, 0, full, errstr, errstr_size);
        } else {
            rc = file_jsonl_line(fi, batch, p, take, line, 0, full, errstr, errstr_size);
        }
        c->llen = 0;
        c->lskip = 0;
        if (rc != GDX_OK) {
            return rc;
        }
    }
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* positions */

struct file_off {
    const char *file;
    uint64_t size, byte, line;
    const char *head;
};

static int file_off_parse(const char *jsontext, json_t **root, struct file_off *o)
{
    json_error_t jerr;
    json_int_t size, byte, line;

    memset(o, 0, sizeof(*o));
    *root = json_loads(jsontext, 0, &jerr);
    if (!*root ||
        json_unpack(*root, "{s:s, s:I, s:s, s:I, s:I}", "file", &o->file, "size", &size, "head",
                    &o->head, "byte", &byte, "line", &line) != 0 ||
        size < 0 || byte < 0 || line < 0 || byte > size) {
        json_decref(*root);
        *root = NULL;
        return GDX_ERR_PARSE;
    }
    o->size = (uint64_t)size;
    o->byte = (uint64_t)byte;
    o->line = (uint64_t)line;
    return GDX_OK;
}

/* Is dir/name still the file @p o describes? 1 yes, 0 no/gone; errors are transient. */
static int file_same(struct file_inst *fi, const struct file_off *o, int *gone, char *errstr,
                     size_t errstr_size)
{
    char *path = file_join(fi->dir, o->file);
    char head[GDX_SM3_HEX_LEN + 1];
    uint64_t size;
    int fd, rc, same = 0;

    *gone = 0;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        free(path);
        if (e == ENOENT) {
            *gone = 1;
            return 0;
        }
        return gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "cannot open '%s/%s': %s", fi->dir,
                          o->file, strerror(e));
    }
    rc = file_identity(fd, path, &size, head, errstr, errstr_size);
    close(fd);
    free(path);
    if (rc != GDX_OK) {
        return rc == GDX_ERR_IO ? 0 : rc;
    }
    same = size == o->size && strcmp(head, o->head) == 0;
    return same;
}

/* Reposition to @p from (after a start or an aborted transaction). */
static int file_reposition(struct gdx_ctx *ctx, struct file_inst *fi, const struct gdx_offset *from,
                           char *errstr, size_t errstr_size)
{
    struct file_off o;
    json_t *root = NULL;
    int rc, gone = 0, same;

    file_cur_close(fi);
    fi->next_scan_ms = 0;
    if (!from->json) {
        return GDX_OK; /* the first complete file, from its start */
    }
    if (file_off_parse(from->json, &root, &o) != GDX_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "stored position is not a file position: %.200s", from->json);
    }
    same = file_same(fi, &o, &gone, errstr, errstr_size);
    if (same < 0) {
        rc = same;
        goto out;
    }
    rc = GDX_OK;
    if (gone) {
        gdx_ctx_log(ctx, GDX_LOG_INFO, "'%s' is no longer in the folder, going on with the next",
                    o.file);
        goto out;
    }
    if (!same) {
        gdx_ctx_log(ctx, GDX_LOG_WARN,
                    "'%s' was replaced since its position was stored (size or content "
                    "differs): reading it again from the start",
                    o.file);
        goto out; /* it sorts where it did and is picked up from byte 0 */
    }
    if (o.byte == o.size) {
        rc = file_move(ctx, fi, o.file, fi->done, NULL, errstr, errstr_size);
        if (rc == GDX_OK) {
            gdx_ctx_log(ctx, GDX_LOG_INFO, "'%s' was fully committed: moved to '%s'", o.file,
                        fi->done);
        }
        goto out;
    }
    rc = file_open(fi, o.file, errstr, errstr_size);
    if (rc == GDX_ERR_NOENT) {
        rc = GDX_OK;
        goto out;
    }
    if (rc != GDX_OK) {
        goto out;
    }
    if (fi->cur.size != o.size || strcmp(fi->cur.head, o.head) != 0) {
        gdx_ctx_log(ctx, GDX_LOG_WARN, "'%s' changed while reopening: reading it from the start",
                    o.file);
        goto out;
    }
    file_seek(fi, o.byte, o.line);
    gdx_ctx_log(ctx, GDX_LOG_INFO, "resuming '%s' at line %llu (byte %llu of %llu)", o.file,
                (unsigned long long)o.line, (unsigned long long)o.byte, (unsigned long long)o.size);
out:
    json_decref(root);
    return rc;
}

/*
 * Open the first file of the folder in name order. GDX_OK with cur open; GDX_POLL_IDLE if
 * the first file is still being written; GDX_POLL_DRAINED if there is none.
 */
static int file_next(struct gdx_ctx *ctx, struct file_inst *fi, char *errstr, size_t errstr_size)
{
    char **names = NULL;
    size_t n = 0;
    int rc, ret = GDX_POLL_DRAINED;
    int64_t now = file_now_ms();

    if (now < fi->next_scan_ms) {
        return fi->last_incomplete ? GDX_POLL_IDLE : GDX_POLL_DRAINED;
    }
    rc = file_list(fi, &names, &n, errstr, errstr_size);
    if (rc != GDX_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        char *path = file_join(fi->dir, names[i]);
        struct stat st;
        int src = lstat(path, &st), e = errno;
        free(path);
        if (src != 0) {
            if (e == ENOENT) {
                continue;
            }
            char why[256];
            snprintf(why, sizeof(why), "cannot stat: %s", strerror(e));
            ret = file_fail(ctx, fi, names[i], why, errstr, errstr_size);
            if (ret != GDX_OK) {
                break;
            }
            ret = GDX_POLL_DRAINED;
            continue;
        }
        if (!gdx_utf8_valid(names[i], strlen(names[i]), NULL)) {
            ret = file_fail(ctx, fi, names[i],
                            "file name is not valid UTF-8 (rename it, e.g. by date)", errstr,
                            errstr_size);
            if (ret != GDX_OK) {
                break;
            }
            ret = GDX_POLL_DRAINED;
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            /* never followed: a link could publish any file the connector can read */
            ret = file_fail(ctx, fi, names[i],
                            "is a symbolic link, not followed (drop the file itself)", errstr,
                            errstr_size);
            if (ret != GDX_OK) {
                break;
            }
            ret = GDX_POLL_DRAINED;
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            ret = file_fail(ctx, fi, names[i], "not a regular file", errstr, errstr_size);
            if (ret != GDX_OK) {
                break;
            }
            ret = GDX_POLL_DRAINED;
            continue;
        }
        if (!file_complete(fi, names[i], &st)) {
            if (!fi->waiting || strcmp(fi->waiting, names[i]) != 0) {
                free(fi->waiting);
                fi->waiting = file_xstrdup(names[i]);
                if (fi->complete_marker[0]) {
                    gdx_ctx_log(ctx, GDX_LOG_INFO,
                                "waiting for '%s' to be complete (no '%s%s' yet); later files "
                                "wait too",
                                names[i], names[i], fi->complete_marker);
                } else {
                    gdx_ctx_log(ctx, GDX_LOG_INFO,
                                "waiting for '%s' to be unchanged for %lld ms; later files "
                                "wait too",
                                names[i], (long long)fi->complete_quiet_ms);
                }
            }
            ret = GDX_POLL_IDLE;
            break;
        }
        rc = file_open(fi, names[i], errstr, errstr_size);
        if (rc == GDX_ERR_NOENT) {
            continue;
        }
        if (rc == GDX_ERR_IO) {
            char why[512];
            snprintf(why, sizeof(why), "%s", errstr);
            ret = file_fail(ctx, fi, names[i], why, errstr, errstr_size);
            if (ret != GDX_OK) {
                break;
            }
            ret = GDX_POLL_DRAINED;
            continue;
        }
        ret = rc; /* GDX_OK or a transient error */
        if (rc == GDX_OK) {
            free(fi->waiting);
            fi->waiting = NULL;
            gdx_ctx_log(ctx, GDX_LOG_INFO, "reading '%s' (%llu bytes)", names[i],
                        (unsigned long long)fi->cur.size);
        }
        break;
    }
    file_strv_free(names, n);
    fi->last_incomplete = ret == GDX_POLL_IDLE;
    if (ret == GDX_POLL_IDLE || ret == GDX_POLL_DRAINED) {
        /* 3/4: the runtime sleeps its own poll.interval.ms between polls; do not miss a
         * listing by a few milliseconds and double the delay */
        fi->next_scan_ms = now + fi->poll_interval_ms * 3 / 4;
    }
    return ret;
}

/* ------------------------------------------------------------------------------------- */
/* the interface */

static int file_init(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct file_inst *fi = inst;
    const char *d;
    char *pat, *save = NULL, *tok;

    fi->cur.fd = -1;
    if (!fi->path || !*fi->path) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "source.path is required");
    }
    fi->dir = file_resolve(ctx, fi->path);
    fi->done = fi->done_dir && *fi->done_dir ? file_resolve(ctx, fi->done_dir)
                                             : file_join(fi->dir, "done");
    fi->failed = fi->failed_dir && *fi->failed_dir ? file_resolve(ctx, fi->failed_dir)
                                                   : file_join(fi->dir, "failed");
    if (!fi->complete_marker) {
        fi->complete_marker = file_xstrdup("");
    }
    if (!fi->complete_marker[0] && fi->complete_quiet_ms <= 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: with no complete.marker, complete.quiet.ms must be above 0 "
                          "(else no file is ever complete)");
    }

    pat = file_xstrdup(fi->pattern ? fi->pattern : "*.csv,*.jsonl");
    for (tok = strtok_r(pat, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') {
            tok++;
        }
        size_t l = strlen(tok);
        while (l > 0 && (tok[l - 1] == ' ' || tok[l - 1] == '\t')) {
            tok[--l] = '\0';
        }
        if (!l) {
            continue;
        }
        fi->pats = file_xrealloc(fi->pats, (fi->npats + 1) * sizeof(*fi->pats));
        fi->pats[fi->npats++] = file_xstrdup(tok);
    }
    free(pat);
    if (fi->npats == 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "source.pattern is empty");
    }

    if (!fi->format || strcmp(fi->format, "auto") == 0) {
        fi->fmt = FILE_FMT_AUTO;
    } else if (strcmp(fi->format, "csv") == 0) {
        fi->fmt = FILE_FMT_CSV;
    } else if (strcmp(fi->format, "jsonl") == 0) {
        fi->fmt = FILE_FMT_JSONL;
    } else {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source.format '%s' is not one of auto, csv, jsonl", fi->format);
    }

    d = fi->csv_delimiter ? fi->csv_delimiter : ",";
    if (strcmp(d, "\\t") == 0 || strcasecmp(d, "tab") == 0 || strcmp(d, "\t") == 0) {
        fi->delim = '\t';
    } else if (strlen(d) == 1 && d[0] != '"' && d[0] != '\r' && d[0] != '\n') {
        fi->delim = d[0];
    } else {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source.csv.delimiter '%s' must be one character other than a quote "
                          "(or \\t)",
                          d);
    }
    for (char **c = fi->csv_columns; c && *c; c++) {
        fi->ncolumns++;
    }
    if (fi->ncolumns == 1 && !fi->csv_columns[0][0]) {
        fi->ncolumns = 0; /* the empty default */
    }
    fi->columns_gen = gdx_names_gen();
    if (!fi->csv_header && fi->ncolumns == 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source.csv.columns is required when source.csv.header is false");
    }
    if (fi->row_max_bytes < 16) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source.row.max.bytes must be at least 16");
    }
    if (fi->read_buffer_bytes < 4096 || fi->read_buffer_bytes > 64 * 1024 * 1024) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source.read.buffer.bytes must be between 4KiB and 64MiB");
    }
    if (fi->poll_interval_ms < 0) {
        fi->poll_interval_ms = 0;
    }
    fi->csv =
        csv_parser_new(fi->delim, (size_t)fi->row_max_bytes, fi->encoding, errstr, errstr_size);
    if (!fi->csv) {
        return GDX_ERR_CONFIG;
    }
    fi->dec = gdx_decoder_new(fi->encoding, errstr, errstr_size);
    if (!fi->dec) {
        return GDX_ERR_CONFIG;
    }
    fi->jrow = gdx_jrow_new(GDX_JROW_FLATTEN, 0);
    fi->buf_cap = (size_t)fi->read_buffer_bytes;
    fi->buf = file_xrealloc(NULL, fi->buf_cap);
    return GDX_OK;
}

/* Can the done/failed folder be used (exists and writable, or can be created)? */
static int file_check_dir(struct gdx_ctx *ctx, struct file_inst *fi, const char *what,
                          const char *path, const struct stat *src, char *errstr,
                          size_t errstr_size)
{
    struct stat st;

    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s '%s' is not a folder", what,
                              path);
        }
        if (access(path, W_OK | X_OK) != 0) {
            int e = errno;
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s '%s' is not writable: %s",
                              what, path, strerror(e));
        }
        if (st.st_dev != src->st_dev) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s '%s' is on another file system than '%s': files are moved by "
                              "rename, keep them on one",
                              what, path, fi->dir);
        }
        gdx_ctx_log(ctx, GDX_LOG_INFO, "%s '%s' is usable", what, path);
        return GDX_OK;
    }
    /* the nearest existing parent must let us create it */
    char *p = file_xstrdup(path);
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash || slash == p) {
            strcpy(p, slash == p ? "/" : ".");
        } else {
            *slash = '\0';
        }
        if (stat(p, &st) == 0) {
            break;
        }
        if (strcmp(p, "/") == 0 || strcmp(p, ".") == 0) {
            break;
        }
    }
    int ok = access(p, W_OK | X_OK) == 0;
    int e = errno;
    if (!ok) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s '%s' cannot be created in '%s': %s",
                   what, path, p, strerror(e));
        free(p);
        return GDX_ERR_CONFIG;
    }
    gdx_ctx_log(ctx, GDX_LOG_INFO, "%s '%s' will be created on first use", what, path);
    free(p);
    return GDX_OK;
}

static int file_check(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct file_inst *fi = inst;
    struct stat st;
    char **names = NULL;
    size_t n = 0, ncomplete = 0, nincomplete = 0, nother = 0;
    int rc;

    if (stat(fi->dir, &st) != 0) {
        int e = errno;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot use folder '%s': %s",
                          fi->dir, strerror(e));
    }
    if (!S_ISDIR(st.st_mode)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "'%s' is not a folder", fi->dir);
    }
    if (access(fi->dir, R_OK | W_OK | X_OK) != 0) {
        int e = errno;
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "folder '%s' must be readable and writable: %s", fi->dir, strerror(e));
    }
    rc = file_check_dir(ctx, fi, "done.dir", fi->done, &st, errstr, errstr_size);
    if (rc != GDX_OK) {
        return rc;
    }
    rc = file_check_dir(ctx, fi, "failed.dir", fi->failed, &st, errstr, errstr_size);
    if (rc != GDX_OK) {
        return rc;
    }
    rc = file_list(fi, &names, &n, errstr, errstr_size);
    if (rc != GDX_OK) {
        return GDX_ERR_CONFIG;
    }
    for (size_t i = 0; i < n; i++) {
        char *path = file_join(fi->dir, names[i]);
        struct stat fst;
        if (lstat(path, &fst) != 0 || !S_ISREG(fst.st_mode)) {
            nother++;
        } else if (file_complete(fi, names[i], &fst)) {
            ncomplete++;
        } else {
            nincomplete++;
        }
        free(path);
    }
    gdx_ctx_log(ctx, GDX_LOG_INFO,
                "folder '%s': %zu complete file(s) waiting, %zu still being written, %zu not "
                "readable as files%s%s",
                fi->dir, ncomplete, nincomplete, nother, n ? ", first: " : "", n ? names[0] : "");
    file_strv_free(names, n);
    return GDX_OK;
}

static int file_poll(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *from,
                     struct gdx_batch *batch, int timeout_ms, char *errstr, size_t errstr_size)
{
    struct file_inst *fi = inst;
    struct file_cur *c = &fi->cur;
    int rc, full = 0, moved = 0;

    if (from) {
        rc = file_reposition(ctx, fi, from, errstr, errstr_size);
        if (rc != GDX_OK) {
            return rc;
        }
    }
    while (!full && !gdx_ctx_stopping(ctx)) {
        if (c->phase == FILE_FINISHED) {
            break; /* the next file starts once this one is committed and moved */
        }
        if (c->phase == FILE_NONE) {
            rc = file_next(ctx, fi, errstr, errstr_size);
            if (rc != GDX_OK) {
                if (rc < 0) {
                    return rc;
                }
                /* a file still being written is not pending work: `--once` may exit and
                 * pick it up next time */
                return moved ? GDX_OK : rc == GDX_POLL_IDLE ? GDX_POLL_DRAINED : rc;
            }
        }
        rc = c->fmt == FILE_FMT_JSONL ? file_jsonl_rows(fi, batch, &full, errstr, errstr_size)
                                      : file_csv_rows(fi, batch, &full, errstr, errstr_size);
        if (rc == GDX_ERR_PARSE && !c->header_done) {
            /* an unusable header: the whole file cannot be read */
            char why[512], *name = file_xstrdup(c->name);
            snprintf(why, sizeof(why), "%s", errstr);
            file_cur_close(fi);
            rc = file_fail(ctx, fi, name, why, errstr, errstr_size);
            free(name);
            if (rc != GDX_OK) {
                return rc;
            }
            continue;
        }
        if (rc != GDX_OK) {
            return rc;
        }
        if (c->reported != c->byte) {
            gdx_batch_set_offset(batch, file_offset_json(fi));
            c->reported = c->byte;
        }
        moved = 1;
        if (!full && c->byte == c->size) {
            close(c->fd);
            c->fd = -1;
            c->phase = FILE_FINISHED;
            gdx_ctx_log(ctx, GDX_LOG_INFO, "finished reading '%s' (%llu lines)", c->name,
                        (unsigned long long)(c->line > 0 ? c->line - 1 : 0));
        }
    }
    if (moved) {
        return GDX_OK;
    }
    return GDX_POLL_IDLE; /* waiting for committed() of the finished file */
}

static int file_committed(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *upto,
                          char *errstr, size_t errstr_size)
{
    struct file_inst *fi = inst;
    struct file_off o;
    json_t *root = NULL;
    int rc = GDX_OK, gone = 0, same;

    if (!upto || !upto->json) {
        return GDX_OK;
    }
    if (file_off_parse(upto->json, &root, &o) != GDX_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "committed position is not a file position: %.200s", upto->json);
    }
    if (o.byte != o.size) {
        goto out; /* mid-file: nothing to do until the end is committed */
    }
    same = file_same(fi, &o, &gone, errstr, errstr_size);
    if (same < 0) {
        rc = same;
        goto out;
    }
    if (same) {
        rc = file_move(ctx, fi, o.file, fi->done, NULL, errstr, errstr_size);
        if (rc != GDX_OK) {
            goto out;
        }
        gdx_ctx_log(ctx, GDX_LOG_INFO, "'%s' committed: moved to '%s'", o.file, fi->done);
    } else if (!gone) {
        gdx_ctx_log(ctx, GDX_LOG_WARN, "'%s' was replaced after it was read: left in place",
                    o.file);
    }
    /* The end of the file is committed: it is done, whether or not the reader has noticed
     * end-of-file yet (a batch can fill up exactly at the last row). */
    if (fi->cur.name && strcmp(fi->cur.name, o.file) == 0) {
        file_cur_close(fi);
        fi->next_scan_ms = 0;
    }
out:
    json_decref(root);
    return rc;
}

static void file_fini(struct gdx_ctx *ctx, void *inst)
{
    struct file_inst *fi = inst;

    file_cur_close(fi);
    free(fi->dir);
    free(fi->done);
    free(fi->failed);
    file_strv_free(fi->pats, fi->npats);
    free(fi->buf);
    csv_parser_destroy(fi->csv);
    gdx_decoder_destroy(fi->dec);
    gdx_jrow_destroy(fi->jrow);
    free(fi->waiting);
    free(fi->offbuf);
    free(fi->posbuf);
}

const struct gdx_connector gdx_connector_file = {
    .abi = GDX_CONNECTOR_ABI,
    .name = "file",
    .description = "CSV and JSON Lines files dropped into a folder (UTF-8, GB18030, GBK)",
    .props = file_props,
    .inst_size = sizeof(struct file_inst),
    .init = file_init,
    .check = file_check,
    .poll = file_poll,
    .committed = file_committed,
    .fini = file_fini,
};
