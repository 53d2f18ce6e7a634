/*
 * fuzz-audit.c - the audit verifier (lib/gdx_audit_verify.c: `gdx audit verify`) on audit
 * files an attacker may have edited, and the reader behind `gdx audit show` and `report`.
 *
 * Input: byte 0 holds options, the rest is one day's audit file of the actor
 * `hotline12345.workorders`. Option bit 0 re-seals the file before it is verified: every
 * line that ends in a hash gets the right SM3 hash of its body and links to the previous
 * line's hash, so the fuzzer also reaches the checks behind the chain (seq continuity,
 * predecessor files, checkpoints, event fields) instead of stopping at the first hash.
 * Bit 1 verifies in strict mode. Properties: the verifier answers OK or FAIL (or cannot
 * check), and a FAIL names `file:line`; it never crashes, whatever the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "gdx_audit.h"
#include "gdx_audit_int.h"
#include "gdx_crypto.h"
#include "gdx_err.h"

#define AUDIT_FILE "hotline12345.workorders-20260920.jsonl"

struct sb {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        FUZZ_CHECK(b->p);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Recompute every line's hash and prev link, as a forger who knows the format would. */
static void reseal(const char *in, size_t len, struct sb *out)
{
    char prev[65] = "", hash[65], err[256];
    const char *p = in, *end = in + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), body_len;
        char old[65];
        if (gdx_audit_line_split(p, n, &body_len, old) == 0) {
            struct sb line = {0};
            const char *link = prev[0] ? memmem(p, body_len, "\"prev\":\"", 8) : NULL;
            if (link && (size_t)(link - p) + 8 + 64 <= body_len) {
                sb_add(&line, p, (size_t)(link - p) + 8);
                sb_add(&line, prev, 64);
                sb_add(&line, link + 8 + 64, body_len - (size_t)(link - p) - 8 - 64);
            } else {
                sb_add(&line, p, body_len);
            }
            FUZZ_CHECK(gdx_audit_line_hash(NULL, line.p, line.len, hash, err, sizeof(err)) ==
                       GDX_OK);
            sb_add(out, line.p, line.len);
            sb_add(out, ",\"hash\":\"", 9);
            sb_add(out, hash, 64);
            sb_add(out, "\"}", 2);
            memcpy(prev, hash, 65);
            free(line.p);
        } else {
            sb_add(out, p, n);
        }
        if (nl) {
            sb_add(out, "\n", 1);
        }
        p += n + (nl ? 1 : 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *dir;
    struct sb file = {0};
    char *path, err[512], *outbuf = NULL;
    size_t outlen = 0;
    const char *paths[1];
    struct gdx_audit_verify_opts opts;
    struct gdx_audit_filter filter;
    FILE *out;
    int rc;

    if (size < 1 || size > 256 * 1024) {
        return 0;
    }
    if (!dir) {
        fuzz_quiet();
        dir = fuzz_write("audit", "", 0);
        FUZZ_CHECK(remove(dir) == 0);
        FUZZ_CHECK(mkdir(dir, 0700) == 0);
    }
    if (data[0] & 1) {
        reseal((const char *)data + 1, size - 1, &file);
    } else {
        sb_add(&file, (const char *)data + 1, size - 1);
    }
    path = fuzz_write("audit/" AUDIT_FILE, file.p, file.len);
    paths[0] = dir;

    memset(&opts, 0, sizeof(opts));
    opts.strict = (data[0] >> 1) & 1;
    out = open_memstream(&outbuf, &outlen);
    FUZZ_CHECK(out);
    rc = gdx_audit_verify(paths, 1, &opts, out, err, sizeof(err));
    fclose(out);
    FUZZ_CHECK(rc == GDX_OK || rc == GDX_ERR_FAIL || rc == GDX_ERR_IO || rc == GDX_ERR_USAGE ||
               rc == GDX_ERR_CONFIG);
    /* one verdict: FAIL naming the file, or OK */
    if (rc == GDX_ERR_FAIL) {
        FUZZ_CHECK(outbuf && strstr(outbuf, "FAIL") && strstr(outbuf, AUDIT_FILE));
        FUZZ_CHECK(!strstr(outbuf, "\nOK: ") && strncmp(outbuf, "OK: ", 4) != 0);
    }
    if (rc == GDX_OK) {
        FUZZ_CHECK(outbuf && strstr(outbuf, "OK: ") && !strstr(outbuf, "FAIL"));
    }
    free(outbuf);

    /* the reader behind show and report */
    outbuf = NULL;
    memset(&filter, 0, sizeof(filter));
    filter.json = data[0] >> 2 & 1;
    out = open_memstream(&outbuf, &outlen);
    FUZZ_CHECK(out);
    gdx_audit_show(paths, 1, &filter, out, err, sizeof(err));
    gdx_audit_report(paths, 1, data[0] >> 3 & 1 ? "csv" : "md", out, err, sizeof(err));
    fclose(out);
    free(outbuf);

    FUZZ_CHECK(remove(path) == 0);
    free(path);
    free(file.p);
    return 0;
}
