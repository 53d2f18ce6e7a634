/*
 * fuzz-webhook.c - what the webhook connector does with a request once libmicrohttpd has
 * read it (connectors/webhook/webhook.c, compiled in with fakert.h): the headers that decide
 * whether a body is taken (wh_headers: Content-Type, Content-Encoding, the idempotency key,
 * Content-Length; the bearer token's comparison), the body split into records
 * (connectors/webhook/body.c: one object, an array, JSON Lines) and the records fed into a
 * batch with the answer the client gets (wh_feed).
 *
 * Input: byte 0 picks the limits (record.max.depth, request.max.records, record.max.bytes),
 * then header lines `Name: value`, an empty line, and the body. Properties:
 *   - headers: a Content-Type without "json" is 415, JSON Lines only for the JSON Lines
 *     types; an encoding other than identity 415; a key that is not 1 to 128 visible ASCII
 *     characters 400; a declared length over body.max.bytes 413; the token comparison is
 *     equality;
 *   - a JSON body jansson reads: an object is one record, an array one record per element in
 *     order, each span parsing to that value; it is refused only for what the limits say
 *     (depth, count, record size) or for not being an object or an array;
 *   - JSON Lines: one record per non-blank line, its text the line's, its line number right;
 *   - on any body: spans inside it; every record in the batch in order with its raw text and
 *     its position webhook:<request>:<index>; one jansson reads as an object within the depth
 *     limit and without duplicate keys is a row, anything else a dead letter naming its index
 *     (and line); the answer is JSON whose counts add up: 200 committed without dead letters,
 *     422 partial naming each refused record once, in order.
 */
#include "fakert.h"

#include "../../connectors/webhook/webhook.c"

#include "fuzz.h"
#include "gdx_conf.h"
#include "jtree.h"

#define TOKEN "xcs-webhook-test-token-0001"

struct input {
    const char *ct, *ce, *key, *cl, *auth;
    char *hdrs[16];
    size_t nh;
    const char *body;
    size_t blen;
};

static const char *hvalue(struct input *in, const char *line, size_t n, const char *name)
{
    size_t nl = strlen(name);
    if (n > nl && !strncasecmp(line, name, nl) && line[nl] == ':' && in->nh < 16) {
        const char *v = line + nl + 1;
        while (v < line + n && (*v == ' ' || *v == '\t')) {
            v++;
        }
        in->hdrs[in->nh] = strndup(v, n - (size_t)(v - line));
        return in->hdrs[in->nh++];
    }
    return NULL;
}

static void input_parse(const uint8_t *data, size_t size, struct input *in)
{
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    memset(in, 0, sizeof(*in));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *v;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && p[n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            p = nl ? nl + 1 : end;
            break;
        }
        if ((v = hvalue(in, p, n, "content-type"))) {
            in->ct = v;
        } else if ((v = hvalue(in, p, n, "content-encoding"))) {
            in->ce = v;
        } else if ((v = hvalue(in, p, n, "idempotency-key"))) {
            in->key = v;
        } else if ((v = hvalue(in, p, n, "content-length"))) {
            in->cl = v;
        } else if ((v = hvalue(in, p, n, "authorization"))) {
            in->auth = v;
        }
        p = nl ? nl + 1 : end;
    }
    in->body = p;
    in->blen = (size_t)(end - p);
}

static struct wh_inst *inst_new(uint8_t mode, struct gdx_ctx *ctx)
{
    char yaml[512], err[512];
    struct gdx_node *root;
    struct wh_inst *wi = gdx_xcalloc(1, sizeof(*wi));
    struct sockaddr_in sa;

    snprintf(yaml, sizeof(yaml),
             "listen: 127.0.0.1:0\n"
             "auth: none\n"
             "record.max.depth: %d\n"
             "request.max.records: %d\n"
             "record.max.bytes: %d\n"
             "body.max.bytes: 64KiB\n",
             mode & 1 ? 3 + (mode >> 1 & 7) : 32, mode & 0x10 ? 1 + (mode >> 5) : 10000,
             mode & 0x80 ? 64 + (mode & 0x3f) * 4 : 1 << 20);
    root = gdx_conf_load_mem("fuzz.yaml", yaml, strlen(yaml), err, sizeof(err));
    FUZZ_CHECK(root);
    FUZZ_CHECK(gdx_conf_bind(root, "source", wh_props, wi, "fuzz.yaml", err, sizeof(err)) ==
               GDX_OK);
    gdx_conf_destroy(root);
    wi->ctx = ctx;
    FUZZ_CHECK(wh_config(ctx, wi, &sa, err, sizeof(err)) == GDX_OK);
    wi->jrow = gdx_jrow_new(GDX_JROW_FLATTEN, (int)wi->record_max_depth);
    return wi;
}

static void inst_destroy(struct wh_inst *wi)
{
    gdx_jrow_destroy(wi->jrow);
    gdx_conf_unbind(wh_props, wi);
    free(wi);
}

static void check_headers(struct wh_inst *wi, const struct input *in, int status, enum wh_fmt fmt,
                          int64_t clen, const char *why)
{
    int json = in->ct && strcasestr(in->ct, "json");
    if (!json) {
        FUZZ_CHECK(status == 415 && strstr(why, "Content-Type"));
        return;
    }
    if (fmt == WH_FMT_JSONL || status) {
        /* decided by Content-Type first */
    }
    if (in->ce && strcasecmp(in->ce, "identity")) {
        FUZZ_CHECK(status == 415 && strstr(why, "Content-Encoding"));
        return;
    }
    if (in->key) {
        size_t n = strlen(in->key), bad = 0;
        for (size_t i = 0; i < n; i++) {
            bad |= (unsigned char)in->key[i] < 0x21 || (unsigned char)in->key[i] > 0x7e;
        }
        if (n == 0 || n > WH_KEY_MAX || bad) {
            FUZZ_CHECK(status == 400 && strstr(why, "idempotency key"));
            return;
        }
    }
    if (in->cl && strtoll(in->cl, NULL, 10) > wi->body_max_bytes) {
        FUZZ_CHECK(status == 413 && clen > wi->body_max_bytes);
        return;
    }
    FUZZ_CHECK(status == 0 && clen == (in->cl ? strtoll(in->cl, NULL, 10) : -1));
    if (fmt == WH_FMT_JSONL) {
        FUZZ_CHECK(strcasestr(in->ct, "ndjson") || strcasestr(in->ct, "jsonl") ||
                   strcasestr(in->ct, "json-lines") || strcasestr(in->ct, "json-seq"));
    }
}

static size_t ws_end(const char *s, size_t i, size_t n)
{
    while (i < n && strchr(" \t\r\n", s[i]) && s[i]) {
        i++;
    }
    return i;
}

static void check_split(struct wh_inst *wi, const struct input *in, enum wh_fmt fmt, int rc,
                        const struct wh_span *sp, size_t n, const char *why)
{
    json_error_t jerr;
    FUZZ_CHECK(rc == 0 || rc == 400 || rc == 413);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        FUZZ_CHECK(sp[i].start <= in->blen && sp[i].len <= in->blen - sp[i].start && sp[i].len);
    }
    if (fmt == WH_FMT_JSONL) {
        size_t line = 0, k = 0, over = 0, toobig = 0;
        for (size_t i = 0; i < in->blen;) {
            const char *nl = memchr(in->body + i, '\n', in->blen - i);
            size_t e = nl ? (size_t)(nl - in->body) : in->blen, s = ws_end(in->body, i, e), t = e;
            line++;
            while (t > s && strchr("\r \t", in->body[t - 1]) && in->body[t - 1]) {
                t--;
            }
            if (t > s) {
                if (rc == 0) {
                    FUZZ_CHECK(k < n && sp[k].start == s && sp[k].len == t - s &&
                               sp[k].line == line);
                }
                toobig |= t - s > wi->lim.max_record_bytes;
                k++;
            }
            i = e + 1;
        }
        over = k > wi->lim.max_records;
        if (rc == 0) {
            FUZZ_CHECK(k == n && !over && !toobig);
        } else if (rc == 413) {
            FUZZ_CHECK(over || toobig);
        } else {
            FUZZ_CHECK(strstr(why, "nested deeper"));
        }
        return;
    }
    /* JSON: jansson's reading, where it has one */
    json_t *doc = memchr(in->body, '\0', in->blen)
                      ? NULL
                      : json_loadb(in->body, in->blen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc) {
        return;
    }
    if (rc == 0) {
        FUZZ_CHECK(json_is_object(doc) || json_is_array(doc));
        FUZZ_CHECK(n == (json_is_array(doc) ? json_array_size(doc) : 1));
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_loadb(in->body + sp[i].start, sp[i].len,
                                   JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
            FUZZ_CHECK(e && json_equal(e, json_is_array(doc) ? json_array_get(doc, i) : doc));
            FUZZ_CHECK(sp[i].line == 0);
            json_decref(e);
        }
    } else if (!json_is_object(doc) && !json_is_array(doc)) {
        FUZZ_CHECK(rc == 400 && strstr(why, "expected a JSON object"));
    } else if (rc == 413) {
        FUZZ_CHECK((json_is_array(doc) && json_array_size(doc) > wi->lim.max_records) ||
                   strstr(why, "more than record.max.bytes"));
    } else {
        /* a valid object or array is refused only for its depth */
        FUZZ_CHECK(strstr(why, "nested deeper") &&
                   jtree_depth(doc) > wi->lim.max_depth + json_is_array(doc));
    }
    json_decref(doc);
}

static void check_feed(struct wh_inst *wi, struct wh_req *r, const struct gdx_batch *b)
{
    json_error_t jerr;
    json_t *ans = json_loads(r->fed_answer, 0, &jerr), *errs;
    size_t dead = 0, k = 0;
    long long last = -1;

    FUZZ_CHECK(b->n == r->nspans);
    for (size_t i = 0; i < b->n; i++) {
        const struct fuzz_rec *rec = &b->recs[i];
        const struct wh_span *sp = &r->spans[i];
        char pos[WH_KEY_MAX + 64];
        json_t *obj;
        snprintf(pos, sizeof(pos), "webhook:%s:%zu", r->id, i);
        FUZZ_CHECK(!strcmp(rec->pos, pos));
        FUZZ_CHECK(rec->raw_len == sp->len && !memcmp(rec->raw, r->body + sp->start, sp->len));
        jerr.text[0] = '\0';
        obj = memchr(rec->raw, '\0', rec->raw_len)
                  ? NULL
                  : json_loadb(rec->raw, rec->raw_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                               &jerr);
        if (obj && json_is_object(obj) && jtree_depth(obj) <= wi->record_max_depth && !rec->error) {
            FUZZ_CHECK(rec->nfields >= json_object_size(obj));
        } else if (obj && json_is_object(obj) && jtree_depth(obj) <= wi->record_max_depth) {
            /* a flattened member colliding with a dotted key: refused as a duplicate */
            FUZZ_CHECK(strstr(rec->error, "duplicate"));
        }
        if (!obj && (strstr(jerr.text, "overflow") || strstr(jerr.text, "too big")) &&
            !rec->error) {
            /* a number jansson cannot hold, which the reader passes on as its text */
            continue;
        }
        if (rec->error) {
            char want[64];
            if (sp->line) {
                snprintf(want, sizeof(want), "line %zu: col ", sp->line);
            } else {
                snprintf(want, sizeof(want), "record %zu: col ", i);
            }
            FUZZ_CHECK(!strncmp(rec->error, want, strlen(want)));
            dead++;
        } else {
            FUZZ_CHECK(obj && json_is_object(obj));
        }
        json_decref(obj);
    }
    FUZZ_CHECK(ans && json_is_object(ans));
    FUZZ_CHECK(json_integer_value(json_object_get(ans, "records")) == (json_int_t)r->nspans);
    FUZZ_CHECK(!strcmp(json_string_value(json_object_get(ans, "request")), r->id));
    if (!dead) {
        FUZZ_CHECK(r->fed_status == 200 &&
                   !strcmp(json_string_value(json_object_get(ans, "status")), "committed"));
    } else {
        FUZZ_CHECK(r->fed_status == 422 &&
                   !strcmp(json_string_value(json_object_get(ans, "status")), "partial"));
        FUZZ_CHECK(json_integer_value(json_object_get(ans, "rejected")) == (json_int_t)dead &&
                   json_integer_value(json_object_get(ans, "accepted")) ==
                       (json_int_t)(r->nspans - dead));
        errs = json_object_get(ans, "errors");
        FUZZ_CHECK(json_array_size(errs) == (dead < WH_REJECTED_MAX ? dead : WH_REJECTED_MAX));
        for (k = 0; k < json_array_size(errs); k++) {
            json_t *e = json_array_get(errs, k);
            long long idx = json_integer_value(json_object_get(e, "index"));
            FUZZ_CHECK(idx > last && idx < (long long)r->nspans && b->recs[idx].error);
            FUZZ_CHECK(!json_object_get(e, "line") == !r->spans[idx].line);
            last = idx;
        }
    }
    json_decref(ans);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gdx_ctx ctx = {0, 0, NULL};
    struct gdx_batch batch;
    struct wh_inst *wi;
    struct input in;
    struct wh_req r;
    char why[512] = "";
    enum wh_fmt fmt = WH_FMT_JSON;
    int64_t clen;
    int status, rc;

    if (size < 1 || size > 64 * 1024) {
        return 0;
    }
    input_parse(data, size, &in);
    wi = inst_new(data[0], &ctx);
    status = wh_headers(wi, in.ct, in.ce, in.key, in.cl, &fmt, &clen, why, sizeof(why));
    check_headers(wi, &in, status, fmt, clen, why);
    if (in.auth) {
        FUZZ_CHECK(wh_ct_eq(in.auth, TOKEN) == !strcmp(in.auth, TOKEN));
        FUZZ_CHECK(wh_ct_eq(in.auth, in.auth));
    }
    if (status == 415 && !(in.ct && strcasestr(in.ct, "json"))) {
        fmt = data[0] & 0x40 ? WH_FMT_JSONL : WH_FMT_JSON; /* the body is still worth reading */
    }
    memset(&r, 0, sizeof(r));
    r.body = gdx_xcalloc(1, in.blen + 1);
    memcpy(r.body, in.body, in.blen);
    r.len = in.blen;
    r.fmt = fmt;
    snprintf(r.id, sizeof(r.id), "%s", in.key && wh_key_valid(in.key) ? in.key : "gdx-fuzz-1");
    why[0] = '\0';
    rc = wh_body_split(r.body, r.len, fmt, &wi->lim, &r.spans, &r.nspans, why, sizeof(why));
    check_split(wi, &in, fmt, rc, r.spans, r.nspans, why);
    if (rc == 0 && r.nspans) {
        fuzz_batch_init(&batch, 0);
        wh_feed(wi, &r, &batch);
        check_feed(wi, &r, &batch);
        fuzz_batch_release(&batch);
    }
    free(r.fed_answer);
    free(r.spans);
    free(r.body);
    inst_destroy(wi);
    for (size_t i = 0; i < in.nh; i++) {
        free(in.hdrs[i]);
    }
    return 0;
}
