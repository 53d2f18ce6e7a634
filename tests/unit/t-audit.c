/*
 * t-audit.c - the audit trail writer: lines, hash chain, checkpoints, one file per day with
 * an injected clock, reopening, locking, retention refusal, fail-closed writes, digests.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gdx_audit.h"
#include "gdx_crypto.h"
#include "tap.h"

#define DAY_MS 86400000LL

static int64_t clock_ms = 1789833600000LL; /* 2026-09-20T00:00:00+08:00 */

static int64_t test_clock(void *opaque)
{
    (void)opaque;
    return clock_ms;
}

static int mirrored;

static void mirror_cb(const char *line, size_t len, void *opaque)
{
    (void)opaque;
    if (len > 0 && line[len - 1] == '}' && !memchr(line, '\n', len)) {
        mirrored++;
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        n = 0;
    }
    fclose(f);
    return buf;
}

/* Check each line of @p path: hash over the bytes without the hash member, prev links,
 * seq; checkpoint signatures with @p key. Returns the number of lines, -1 on a break. */
static int check_file(const char *path, const struct gdx_sm2_key *key, char prev[65],
                      long long *seq, int *checkpoints)
{
    char *buf = slurp(path), *p, *nl, err[256];
    int n = 0;
    if (!buf) {
        return -1;
    }
    for (p = buf; (nl = strchr(p, '\n')); p = nl + 1) {
        const char *h = strstr(p, ",\"hash\":\"");
        char *body, hex[65];
        json_t *j;
        *nl = '\0';
        if (!h || (size_t)(nl - h) != 9 + 64 + 2) {
            free(buf);
            return -1;
        }
        body = strndup(p, (size_t)(h - p) + 1);
        body[h - p] = '}';
        gdx_sm3_hex(body, strlen(body), hex, err, sizeof(err));
        j = json_loads(p, 0, NULL);
        if (strncmp(h + 9, hex, 64) || !j ||
            strcmp(json_string_value(json_object_get(j, "prev")), prev) ||
            json_integer_value(json_object_get(j, "seq")) != *seq + 1) {
            free(body);
            json_decref(j);
            free(buf);
            return -1;
        }
        if (!strcmp(json_string_value(json_object_get(j, "type")), "checkpoint")) {
            char *sigp = strstr(body, ",\"sig\":\"");
            unsigned char *sig = NULL;
            size_t siglen = 0;
            const char *b64 = json_string_value(json_object_get(j, "sig"));
            gdx_base64_decode(b64, strlen(b64), 0, &sig, &siglen);
            sigp[0] = '}';
            if (gdx_sm2_verify(key, body, (size_t)(sigp - body) + 1, sig, siglen, err,
                               sizeof(err)) != GDX_OK ||
                strcmp(json_string_value(json_object_get(j, "chain")), prev)) {
                free(sig);
                free(body);
                json_decref(j);
                free(buf);
                return -1;
            }
            free(sig);
            (*checkpoints)++;
        }
        memcpy(prev, hex, 65);
        *seq = json_integer_value(json_object_get(j, "seq"));
        free(body);
        json_decref(j);
        n++;
    }
    free(buf);
    return n;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d))) {
        n += strstr(de->d_name, ".jsonl") != NULL;
    }
    if (d) {
        closedir(d);
    }
    return n;
}

int main(void)
{
    char tmpl[] = "/tmp/t-audit.XXXXXX", err[1024], path[512], prev[65];
    char *dir = mkdtemp(tmpl);
    struct gdx_sm2_key *key = NULL;
    struct gdx_audit *audit = NULL, *other = NULL;
    struct gdx_audit_opts opts = {0};
    long long seq = 0;
    int cps = 0, rc;

    if (gdx_sm2_generate(&key, err, sizeof(err)) != GDX_OK) {
        diag("%s", err);
        return 1;
    }
    opts.clock = test_clock;
    opts.checkpoint_lines = 3;
    opts.checkpoint_secs = 3600;
    opts.key_id = "hotline-2026";
    opts.host = "gdx-test-01";

    /* retention and configuration refusals */
    opts.retention_days = 182;
    rc = gdx_audit_new(&audit, dir, "hotline12345.workorders", key, &opts, err, sizeof(err));
    is_int(rc, GDX_ERR_CONFIG, "retention of 182 days refused");
    ok(strstr(err, "below the legal minimum of 183 days") != NULL, "clear message: %s", err);
    opts.retention_days = 183;
    rc = gdx_audit_new(&audit, dir, "hotline12345.workorders", NULL, &opts, err, sizeof(err));
    is_int(rc, GDX_ERR_CONFIG, "a signing key is required");
    rc = gdx_audit_new(&audit, dir, "hotline-12345", key, &opts, err, sizeof(err));
    is_int(rc, GDX_ERR_CONFIG, "actor with '-' refused: %s", err);

    /* lines, chain and checkpoints */
    rc = gdx_audit_new(&audit, dir, "hotline12345.workorders", key, &opts, err, sizeof(err));
    is_int(rc, GDX_OK, "open: %s", rc ? err : "ok");
    if (rc) {
        return done_testing();
    }
    gdx_audit_set_mirror(audit, mirror_cb, NULL);
    is_int(gdx_audit_seq(audit), 1, "a new log starts with file_open (seq 1)");
    is_int(gdx_audit_start(audit, "0.1.0", "abc", err, sizeof(err)), GDX_OK, "start event");
    is_int(gdx_audit_event(audit, "error", json_pack("{s:s}", "seq", "x"), err, sizeof(err)),
           GDX_ERR_FAIL, "reserved member refused");
    is_int(gdx_audit_error(audit, "runtime", "source unreachable", err, sizeof(err)), GDX_OK,
           "error event");
    is_int(gdx_audit_seq(audit), 4, "checkpoint after 3 lines (seq 4)");
    is_int(mirrored, 3, "every line after set_mirror mirrored");
    is_int(gdx_audit_operator(audit, "zhangwei", "offset.reset", "hotline12345.workorders", NULL,
                              err, sizeof(err)),
           GDX_OK, "operator event");
    snprintf(path, sizeof(path), "%s/hotline12345.workorders-20260920.jsonl", dir);
    is_str(gdx_audit_path(audit), path, "file named <actor>-YYYYMMDD.jsonl");

    /* tick: nothing to do before T seconds */
    is_int(gdx_audit_tick(audit, err, sizeof(err)), GDX_OK, "tick");
    is_int(gdx_audit_seq(audit), 5, "no checkpoint before T seconds");
    clock_ms += 3600 * 1000;
    is_int(gdx_audit_tick(audit, err, sizeof(err)), GDX_OK, "tick after T seconds");
    is_int(gdx_audit_seq(audit), 6, "checkpoint written by the tick");

    /* day rollover */
    clock_ms += DAY_MS;
    is_int(gdx_audit_stop(audit, "signal", err, sizeof(err)), GDX_OK, "event on the next day");
    snprintf(path, sizeof(path), "%s/hotline12345.workorders-20260921.jsonl", dir);
    is_str(gdx_audit_path(audit), path, "a new file for the new day");
    is_int(gdx_audit_close(audit, err, sizeof(err)), GDX_OK, "close");
    audit = NULL;

    memcpy(prev, GDX_AUDIT_ZERO_HASH, 65);
    snprintf(path, sizeof(path), "%s/hotline12345.workorders-20260920.jsonl", dir);
    is_int(check_file(path, key, prev, &seq, &cps), 6, "day 1: 6 lines chained");
    {
        char *b = slurp(path);
        const char *last = b ? strrchr(b, '{') : NULL;
        ok(b && strstr(b + strlen(b) - 400, "\"type\":\"checkpoint\"") != NULL,
           "day 1 sealed by a checkpoint at rotation");
        (void)last;
        free(b);
    }
    snprintf(path, sizeof(path), "%s/hotline12345.workorders-20260921.jsonl", dir);
    is_int(check_file(path, key, prev, &seq, &cps), 3, "day 2: file_open, stop, checkpoint");
    is_int(cps, 3, "3 checkpoints, all signatures valid");
    {
        char *b = slurp(path);
        ok(b && strstr(b, "\"previous\":\"hotline12345.workorders-20260920.jsonl\"") &&
               strstr(b, "\"previous_last_seq\":6"),
           "file_open names its predecessor and its last seq");
        free(b);
    }

    /* reopen continues the chain; a second writer is locked out */
    rc = gdx_audit_new(&audit, dir, "hotline12345.workorders", key, &opts, err, sizeof(err));
    is_int(rc, GDX_OK, "reopen");
    is_int(gdx_audit_seq(audit), 9, "seq continues (no file_open appended today)");
    ok(gdx_audit_last_batch(audit) == NULL, "no batch event yet");
    {
        struct gdx_audit_batch b = {.connector = "hotline12345.workorders", .batch = "f00d-7"};
        is_int(gdx_audit_batch_committed(audit, &b, err, sizeof(err)), GDX_OK, "batch event");
        is_str(gdx_audit_last_batch(audit), "f00d-7", "last batch id");
    }
    rc = gdx_audit_new(&other, dir, "hotline12345.workorders", key, &opts, err, sizeof(err));
    is_int(rc, GDX_ERR_LOCKED, "second writer of the actor refused: %s", err);
    {
        const char *argv[1] = {dir};
        FILE *null = fopen("/dev/null", "w");
        is_int(gdx_audit_verify(argv, 1, NULL, null, err, sizeof(err)), GDX_OK,
               "gdx_audit_verify accepts the log");
        fclose(null);
    }

    /* fail-closed: after a failed fsync, nothing more is accepted */
    setenv("GDX_FAULTS", "audit.fsync", 1);
    rc = gdx_audit_error(audit, "runtime", "x", err, sizeof(err));
    is_int(rc, GDX_ERR_IO, "fsync failure is GDX_ERR_IO: %s", err);
    unsetenv("GDX_FAULTS");
    rc = gdx_audit_error(audit, "runtime", "x", err, sizeof(err));
    is_int(rc, GDX_ERR_IO, "the log stays closed after a write error: %s", err);
    gdx_audit_destroy(audit);
    audit = NULL;

    /* record digests: SM3 over (4-byte big-endian length, value) per record */
    {
        struct gdx_audit_ranges *r = gdx_audit_ranges_new();
        unsigned char buf[] = {0, 0, 0, 3, 'a', 'b', 'c', 0xff, 0xff, 0xff, 0xff};
        char want[65];
        json_t *arr;
        gdx_sm3_hex(buf, sizeof(buf), want, err, sizeof(err));
        is_int(gdx_audit_ranges_add(r, "gov.t", 0, 10, "abc", 3, err, sizeof(err)), GDX_OK,
               "range add");
        is_int(gdx_audit_ranges_add(r, "gov.t", 0, 12, NULL, 0, err, sizeof(err)), GDX_OK,
               "null value");
        is_int(gdx_audit_ranges_add(r, "gov.t", 0, 11, "x", 1, err, sizeof(err)), GDX_ERR_FAIL,
               "offsets must increase");
        arr = gdx_audit_ranges_json(r);
        is_str(json_string_value(json_object_get(json_array_get(arr, 0), "sm3")), want,
               "digest over length-prefixed values");
        is_int(json_integer_value(json_object_get(json_array_get(arr, 0), "first")), 10, "first");
        is_int(json_integer_value(json_object_get(json_array_get(arr, 0), "last")), 12, "last");
        is_int(json_integer_value(json_object_get(json_array_get(arr, 0), "count")), 2, "count");
        json_decref(arr);
        gdx_audit_ranges_destroy(r);
    }

    /* a torn tail starts a new segment recording it, without touching the old bytes */
    {
        struct stat st0, st1;
        FILE *f = fopen(path, "a");
        fputs("{\"actor\":\"hotline12", f);
        fclose(f);
        stat(path, &st0);
        rc = gdx_audit_new(&audit, dir, "hotline12345.workorders", key, &opts, err, sizeof(err));
        is_int(rc, GDX_OK, "reopen after a torn write");
        stat(path, &st1);
        is_int(st1.st_size, st0.st_size, "torn file left as it is");
        ok(audit && strstr(gdx_audit_path(audit), "-20260921.1.jsonl") != NULL,
           "new segment -20260921.1.jsonl");
        is_str(audit ? gdx_audit_last_batch(audit) : NULL, "f00d-7",
               "last batch id found again on open");
        gdx_audit_close(audit, err, sizeof(err));
        audit = NULL;
        {
            const char *argv[1] = {dir};
            FILE *null = fopen("/dev/null", "w");
            is_int(gdx_audit_verify(argv, 1, NULL, null, err, sizeof(err)), GDX_OK,
                   "the torn tail is recorded and the chain verifies: %s", err);
            fclose(null);
        }
    }
    is_int(count_files(dir), 3, "three files");

    gdx_sm2_key_destroy(key);
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            diag("cannot remove %s", dir);
        }
    }
    return done_testing();
}
