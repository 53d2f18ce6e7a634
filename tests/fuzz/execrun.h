/*
 * execrun.h - running the exec connector's reader (connectors/exec/exec.c, compiled into the
 * harness with fakert.h) on an adapter's output given as bytes, for fuzz-singer.c and
 * fuzz-frame.c. Include it after exec.c.
 *
 * A run is fed the way exec_poll feeds it: reads of at most read.buffer.bytes (or a smaller
 * piece) appended to the connector's buffer after it moved what it consumed, the buffer
 * processed after every read, then the end of the output (a clean exit). Three runs check
 * that the reader is exactly once however its batches end (xr_check_restart):
 *   C  the whole output in one run, in large reads;
 *   C2 the same in small reads: the same records and the same final position;
 *   A  a run whose batch ends after k records; its position written and read back by a new
 *      instance B (exec_offset_json, exec_reposition), which is fed what a deterministic
 *      adapter started from the position's STATE writes: everything after that STATE
 *      message (frames: after its preamble and the tables defined before the STATE). A's
 *      records then B's are C's records, and B ends at C's position.
 */
#ifndef GDX_FUZZ_EXECRUN_H
#define GDX_FUZZ_EXECRUN_H

#include "fuzz.h"
#include "gdx_conf.h"

struct xr {
    struct exec_inst *ei;
    struct gdx_ctx ctx;
    struct gdx_batch batch;
    size_t state_end; /* bytes of the output up to the end of the message that set the state */
    const char *last_state;
    int fatal;
};

static void xr_init(struct xr *x, const char *settings, size_t batch_max)
{
    char yaml[1024], err[512];
    struct gdx_node *root;

    memset(x, 0, sizeof(*x));
    x->ctx.dir = fuzz_tmpdir();
    snprintf(yaml, sizeof(yaml), "command: [/bin/true]\nread.buffer.bytes: 4KiB\n%s", settings);
    root = gdx_conf_load_mem("fuzz.yaml", yaml, strlen(yaml), err, sizeof(err));
    if (!root) {
        fprintf(stderr, "%s\n", err);
    }
    FUZZ_CHECK(root);
    x->ei = gdx_xcalloc(1, sizeof(*x->ei));
    FUZZ_CHECK(gdx_conf_bind(root, "source", exec_props, x->ei, "fuzz.yaml", err, sizeof(err)) ==
               GDX_OK);
    gdx_conf_destroy(root);
    if (exec_init(&x->ctx, x->ei, err, sizeof(err)) != GDX_OK) {
        fprintf(stderr, "exec_init: %s\n", err);
        FUZZ_CHECK(0);
    }
    fuzz_batch_init(&x->batch, batch_max);
    x->ei->ctx = &x->ctx;
    x->ei->batch = &x->batch;
}

static void xr_release(struct xr *x)
{
    exec_fini(&x->ctx, x->ei);
    gdx_conf_unbind(exec_props, x->ei);
    free(x->ei);
    fuzz_batch_release(&x->batch);
}

/*
 * Feed @p out[0..len) as one run's output in reads of at most @p piece bytes (ending early
 * at each newline when @p at_lines), then its clean end. Returns 0 when all of it was read,
 * 1 when the batch became full first, 2 on a fatal error (a second stream).
 */
static int xr_feed(struct xr *x, const unsigned char *out, size_t len, size_t piece, int at_lines)
{
    struct exec_inst *ei = x->ei;
    size_t off = 0;

    exec_run_begin(ei);
    x->last_state = ei->state;
    for (;;) {
        size_t room;
        exec_process(ei, 0, 0);
        if (ei->state != x->last_state) {
            x->last_state = ei->state;
            x->state_end = off;
        }
        if (ei->fatal) {
            return 2;
        }
        if (ei->full) {
            return 1;
        }
        if (off == len) {
            break;
        }
        /* exec_read_stdout: move what was consumed, then read */
        if (ei->pos > 0) {
            memmove(ei->buf, ei->buf + ei->pos, ei->len - ei->pos);
            ei->len -= ei->pos;
            ei->pos = 0;
        }
        room = ei->cap - ei->len;
        FUZZ_CHECK(room > 0); /* a full buffer is always consumed or refused */
        room = room < (size_t)ei->read_buffer_bytes ? room : (size_t)ei->read_buffer_bytes;
        room = room < piece ? room : piece;
        room = room < len - off ? room : len - off;
        if (at_lines) {
            const unsigned char *nl = memchr(out + off, '\n', room);
            room = nl ? (size_t)(nl - (out + off)) + 1 : room;
        }
        memcpy(ei->buf + ei->len, out + off, room);
        ei->len += room;
        off += room;
    }
    exec_process(ei, 1, 1);
    if (ei->state != x->last_state) {
        x->last_state = ei->state;
        x->state_end = len;
    }
    if (ei->fatal) {
        return 2;
    }
    return ei->full && ei->pos < ei->len ? 1 : 0;
}

/* The same record: both rows with equal fields, or both dead letters, with equal raw bytes
 * (a reason names the line of its own run, which a restart counts anew). */
static int xr_same(const struct fuzz_rec *a, const struct fuzz_rec *b)
{
    struct fuzz_rec x = *a, y = *b;
    x.error = y.error = NULL;
    return !a->error == !b->error && fuzz_rec_equal(&x, &y);
}

static void xr_check_offset(struct exec_inst *ei)
{
    char *state = NULL, err[256];
    uint64_t count, digest;
    int has;
    FUZZ_CHECK(exec_offset_parse(exec_offset_json(ei), &state, &count, &digest, &has, err,
                                 sizeof(err)) == GDX_OK);
    FUZZ_CHECK(has && count == ei->count && digest == ei->digest);
    FUZZ_CHECK((!state && !ei->state) || (state && ei->state && !strcmp(state, ei->state)));
    free(state);
}

/*
 * The properties of the header comment for @p out under @p settings; @p cut is where A's
 * batch ends, @p piece the small reads, @p at_lines whether reads end at newlines (Singer:
 * a STATE is then always the last message of a read; frames: A reads a byte at a time). Returns run
 * C, for more checks by the caller (xr_release it).
 */
typedef unsigned char *(*xr_prefix_fn)(const unsigned char *out, size_t upto, size_t *len);

static struct xr *xr_check_restart(const char *settings, const unsigned char *out, size_t len,
                                   size_t cut, size_t piece, int at_lines, xr_prefix_fn prefix)
{
    static struct xr c;
    struct xr c2, a, b;
    int rc, rc2, rca;
    char *pos_c = NULL;

    xr_init(&c, settings, 0);
    rc = xr_feed(&c, out, len, 1 << 20, 0);
    FUZZ_CHECK(rc == 0 || rc == 2);
    c.fatal = rc == 2;
    xr_check_offset(c.ei);
    pos_c = gdx_xstrdup(exec_offset_json(c.ei));

    /* small reads: the same */
    xr_init(&c2, settings, 0);
    rc2 = xr_feed(&c2, out, len, piece, 0);
    FUZZ_CHECK(rc2 == rc);
    if (!c.fatal) {
        FUZZ_CHECK(c2.batch.n == c.batch.n);
        for (size_t i = 0; i < c.batch.n; i++) {
            if (!xr_same(&c.batch.recs[i], &c2.batch.recs[i])) {
                fprintf(stderr, "record %zu differs when the output is read %zu bytes at a time\n",
                        i, piece);
                FUZZ_CHECK(0);
            }
        }
        FUZZ_CHECK(!strcmp(exec_offset_json(c2.ei), pos_c));
    }
    xr_release(&c2);

    /* a batch ends after cut records; a new instance resumes from its position */
    xr_init(&a, settings, cut);
    rca = xr_feed(&a, out, len, at_lines ? 1 << 20 : 1, at_lines);
    if (rca == 1 && !c.fatal) {
        struct gdx_offset from;
        char err[512];
        const unsigned char *rest = a.ei->state ? out + a.state_end : out;
        size_t rest_len = a.ei->state ? len - a.state_end : len, plen = 0;
        unsigned char *restart = NULL;

        if (prefix && a.ei->state) {
            /* what a started adapter writes before the messages after its STATE */
            unsigned char *pre = prefix(out, a.state_end, &plen);
            restart = gdx_xcalloc(1, plen + rest_len + 1);
            memcpy(restart, pre, plen);
            memcpy(restart + plen, rest, rest_len);
            free(pre);
            rest = restart;
            rest_len += plen;
        }

        from.json = gdx_xstrdup(exec_offset_json(a.ei));
        xr_init(&b, settings, 0);
        FUZZ_CHECK(exec_reposition(b.ei, &from, err, sizeof(err)) == GDX_OK);
        FUZZ_CHECK(xr_feed(&b, rest, rest_len, 1 << 20, 0) == 0);
        if (a.batch.n + b.batch.n != c.batch.n) {
            fprintf(stderr, "one run: %zu records; cut after %zu at %s, then %zu\n", c.batch.n,
                    a.batch.n, from.json, b.batch.n);
            FUZZ_CHECK(0);
        }
        for (size_t i = 0; i < c.batch.n; i++) {
            const struct fuzz_rec *r =
                i < a.batch.n ? &a.batch.recs[i] : &b.batch.recs[i - a.batch.n];
            if (!xr_same(r, &c.batch.recs[i])) {
                fprintf(stderr, "record %zu differs after the restart from %s\n", i, from.json);
                FUZZ_CHECK(0);
            }
        }
        if (strcmp(exec_offset_json(b.ei), pos_c)) {
            fprintf(stderr, "restarted run ends at %s, one run at %s\n", exec_offset_json(b.ei),
                    pos_c);
            FUZZ_CHECK(0);
        }
        free(from.json);
        free(restart);
        xr_release(&b);
    }
    xr_release(&a);
    free(pos_c);
    return &c;
}

#endif
