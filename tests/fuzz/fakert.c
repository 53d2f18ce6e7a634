/*
 * fakert.c - the batch and context that connector harnesses run against (fakert.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakert.h"
#include "gdx_util.h"

static char *dupn(const char *s, size_t n)
{
    char *d;
    if (!s) {
        return NULL;
    }
    d = gdx_xcalloc(1, n + 1);
    memcpy(d, s, n);
    return d;
}

static char *dups(const char *s)
{
    return s ? dupn(s, strlen(s)) : NULL;
}

void fuzz_batch_init(struct gdx_batch *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

static void rec_release(struct fuzz_rec *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->lens);
    free(r->pos);
    free(r->raw);
    free(r->error);
    free(r->error_field);
    free(r->offset_after);
    memset(r, 0, sizeof(*r));
}

void fuzz_batch_clear(struct gdx_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        rec_release(&b->recs[i]);
    }
    b->n = 0;
    free(b->offset);
    b->offset = NULL;
    b->last_dead = 0;
}

void fuzz_batch_release(struct gdx_batch *b)
{
    fuzz_batch_clear(b);
    free(b->recs);
    memset(b, 0, sizeof(*b));
}

int fuzz_batch_add(struct gdx_batch *b, const struct gdx_row *row, const char *offset_after)
{
    struct fuzz_rec *r;

    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->recs = gdx_xrealloc(b->recs, b->cap * sizeof(*b->recs));
    }
    r = &b->recs[b->n++];
    memset(r, 0, sizeof(*r));
    if (!row->error) {
        r->nfields = row->nfields;
        r->names = gdx_xcalloc(row->nfields + 1, sizeof(char *));
        r->values = gdx_xcalloc(row->nfields + 1, sizeof(char *));
        r->lens = gdx_xcalloc(row->nfields + 1, sizeof(size_t));
        for (size_t i = 0; i < row->nfields; i++) {
            r->names[i] = dups(row->names[i]);
            r->values[i] = row->values[i] ? dupn(row->values[i], row->lens[i]) : NULL;
            r->lens[i] = row->values[i] ? row->lens[i] : 0;
        }
    }
    r->pos = dups(row->pos);
    r->raw = dupn(row->raw, row->raw_len);
    r->raw_len = row->raw ? row->raw_len : 0;
    r->error = dups(row->error);
    r->error_field = dups(row->error_field);
    r->offset_after = dups(offset_after);
    if (offset_after) {
        fuzz_batch_set_offset(b, offset_after);
    }
    b->last_dead = row->error != NULL;
    return b->max && b->n >= b->max ? GDX_ERR_FULL : GDX_OK;
}

void fuzz_batch_set_offset(struct gdx_batch *b, const char *offset_json)
{
    char *d = dups(offset_json);
    free(b->offset);
    b->offset = d;
}

int fuzz_batch_last_dead(const struct gdx_batch *b, const char **stage, const char **reason,
                         const char **field)
{
    const struct fuzz_rec *r = b->n ? &b->recs[b->n - 1] : NULL;
    if (!b->last_dead || !r) {
        return 0;
    }
    *stage = "parse";
    *reason = r->error;
    *field = r->error_field;
    return 1;
}

size_t fuzz_batch_count(const struct gdx_batch *b)
{
    return b->n;
}

int fuzz_rec_equal(const struct fuzz_rec *a, const struct fuzz_rec *b)
{
    if (a->nfields != b->nfields || !a->error != !b->error || a->raw_len != b->raw_len ||
        (a->raw_len && memcmp(a->raw, b->raw, a->raw_len))) {
        return 0;
    }
    if (a->error && strcmp(a->error, b->error)) {
        return 0;
    }
    for (size_t i = 0; i < a->nfields; i++) {
        if (strcmp(a->names[i], b->names[i]) || !a->values[i] != !b->values[i] ||
            a->lens[i] != b->lens[i] ||
            (a->values[i] && memcmp(a->values[i], b->values[i], a->lens[i]))) {
            return 0;
        }
    }
    return 1;
}

void fuzz_ctx_log(struct gdx_ctx *ctx, int level, const char *fmt, ...)
{
    va_list ap;
    (void)ctx;
    if (!getenv("GDX_FUZZ_LOG")) {
        return;
    }
    va_start(ap, fmt);
    fprintf(stderr, "level=%d msg=\"", level);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\"\n");
    va_end(ap);
}

const char *fuzz_ctx_connector_id(const struct gdx_ctx *ctx)
{
    (void)ctx;
    return "fuzz.harness";
}

const char *fuzz_ctx_config_dir(const struct gdx_ctx *ctx)
{
    return ctx && ctx->dir ? ctx->dir : ".";
}

const char *fuzz_ctx_state_dir(const struct gdx_ctx *ctx)
{
    return ctx && ctx->dir ? ctx->dir : ".";
}

int fuzz_ctx_stopping(const struct gdx_ctx *ctx)
{
    return ctx ? ctx->stopping : 0;
}

void fuzz_ctx_set_lag(struct gdx_ctx *ctx, double seconds)
{
    if (ctx) {
        ctx->lag = seconds;
    }
}

void fuzz_ctx_progress(struct gdx_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
    (void)ctx;
    (void)what;
    (void)done;
    (void)total;
}

/* No deployment file in a harness: the host's TLS is libcurl's default, and the connector's
 * own keys are not set (the harnesses make no transfer). */
int fuzz_ctx_tls_curl(struct gdx_ctx *ctx, void *curl, const struct gdx_ctx_tls *own, char *errstr,
                      size_t errstr_size)
{
    (void)ctx;
    (void)curl;
    (void)own;
    (void)errstr;
    (void)errstr_size;
    return GDX_OK;
}

int fuzz_ctx_tls_explain(struct gdx_ctx *ctx, void *curl, int curl_code, const char *curlerr,
                         const struct gdx_ctx_tls *own, const char *url, char *errstr,
                         size_t errstr_size)
{
    (void)ctx;
    (void)curl;
    (void)own;
    snprintf(errstr, errstr_size, "%s: transfer failed (%d): %s", url ? url : "?", curl_code,
             curlerr ? curlerr : "");
    return GDX_ERR_RETRY;
}
