/*
 * fuzz-http.c - the http connector's handling of a response (connectors/http/http.c,
 * compiled in with fakert.h): the headers through its libcurl header callback (Link,
 * Retry-After, Date), the body through its write callback, the page as the connector loads
 * it (http_page_load: complete JSON, the ok.pointer envelope, the records at
 * records.pointer), takes it (http_page_take: the cursor, the records already sent, the
 * safety lag) and asks for the next one (http_page_next: the token, the Link header).
 *
 * Input: byte 0 picks the mode (bits 0-1 cursor type none/timestamp/number/string, bits 2-4
 * pagination none/page/offset/token/link, bit 5 {cursor} in the URL, bit 6 cursor.keys.max
 * 2, bit 7 response.max.bytes 4KiB), byte 1 where a batch ends; then one line of settings
 *     RECORDS-POINTER OK-POINTER MESSAGE-POINTER TOKEN-POINTER CURSOR-FIELD ID-FIELD
 * separated by spaces ("-" for empty), the response's header lines, an empty line, and the
 * body. Properties, on a body jansson accepts (without a raw NUL byte):
 *   - with ok.pointer, the page is refused iff the value there is not a scalar listed in
 *     ok.values, with an error naming the pointer;
 *   - otherwise its records are exactly jansson's: the elements of the array at
 *     records.pointer in order, or the one object there, none for null; an absent pointer
 *     or any other value is refused;
 *   - token paging: the next request carries jansson's text of the value at token.pointer,
 *     however long;
 * and on any input:
 *   - Link paging: the next page is on the API's own scheme, host and port;
 *   - every record span is inside the body; every row taken names its index on the page in
 *     gdx.src.pos and carries that record's text as its raw source;
 *   - exactly once across a restart: a run whose batch ends after k records, whose position
 *     is written and read back by a new instance (http_pos_json, http_pos_load) which is then
 *     served the same page, takes the same records in the same order as one run without a
 *     restart: nothing lost, nothing twice (without {cursor} in the URL: with it, the API is
 *     asked for the cursor's page, which a fixed answer is not).
 */
#include "fakert.h"

#include "../../connectors/http/http.c"

#include "fuzz.h"
#include "gdx_conf.h"
#include "jtree.h"

#define DATE_HEADER "Date: Sun, 20 Sep 2026 02:30:00 GMT"

struct input {
    int ctype, pag, use_cursor, small_keys, small_resp;
    size_t cut;
    char *set[6]; /* records, ok, message, token pointers; cursor and id fields */
    char **headers;
    size_t nheaders;
    const char *body;
    size_t blen;
};

static void input_release(struct input *in)
{
    for (int i = 0; i < 6; i++) {
        free(in->set[i]);
    }
    for (size_t i = 0; i < in->nheaders; i++) {
        free(in->headers[i]);
    }
    free(in->headers);
}

/* Split the input; 0 when it has no settings line. */
static int input_parse(const uint8_t *data, size_t size, struct input *in)
{
    const char *p, *end = (const char *)data + size, *nl;
    int have_date = 0;

    memset(in, 0, sizeof(*in));
    if (size < 3) {
        return 0;
    }
    in->ctype = data[0] & 3;
    in->pag = (data[0] >> 2) & 7;
    in->pag = in->pag > 4 ? in->pag - 4 : in->pag;
    in->use_cursor = (data[0] >> 5) & 1;
    in->small_keys = (data[0] >> 6) & 1;
    in->small_resp = (data[0] >> 7) & 1;
    in->cut = (size_t)data[1] % 16 + 1;
    p = (const char *)data + 2;
    if (!(nl = memchr(p, '\n', (size_t)(end - p)))) {
        return 0;
    }
    /* the settings line */
    for (int i = 0; i < 6; i++) {
        const char *t;
        while (p < nl && *p == ' ') {
            p++;
        }
        t = p;
        while (p < nl && *p != ' ') {
            p++;
        }
        in->set[i] = strndup(t, (size_t)(p - t));
        if (!strcmp(in->set[i], "-")) {
            in->set[i][0] = '\0';
        }
    }
    p = nl + 1;
    /* header lines up to an empty line */
    while (p < end) {
        size_t n;
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && p[n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            p = nl ? nl + 1 : end;
            break;
        }
        in->headers = gdx_xrealloc(in->headers, (in->nheaders + 2) * sizeof(char *));
        in->headers[in->nheaders++] = strndup(p, n);
        have_date |= n >= 5 && !strncasecmp(p, "date:", 5);
        p = nl ? nl + 1 : end;
    }
    if (!have_date) {
        /* the lag is measured against the server's clock: a fixed one, so runs agree */
        in->headers = gdx_xrealloc(in->headers, (in->nheaders + 2) * sizeof(char *));
        in->headers[in->nheaders++] = gdx_xstrdup(DATE_HEADER);
    }
    in->body = p;
    in->blen = (size_t)(end - p);
    return 1;
}

static const char *const pag_names[] = {"none", "page", "offset", "token", "link"};
static const char *const ctype_names[] = {"timestamp", "timestamp", "number", "string"};

static void set_field(char **slot, const char *v)
{
    free(*slot);
    *slot = gdx_xstrdup(v);
}

/* A configured instance, or NULL when the connector refuses the settings. */
static struct http_inst *inst_new(const struct input *in, struct gdx_ctx *ctx)
{
    static const char *const urls[] = {
        "http://api.xcs.gov.cn/v1/items",
        "http://api.xcs.gov.cn/v1/items?page={page}&size={size}",
        "http://api.xcs.gov.cn/v1/items?offset={offset}&limit={limit}",
        "http://api.xcs.gov.cn/v1/items?size={size}",
        "http://api.xcs.gov.cn/v1/items?size={size}",
    };
    char yaml[1024], err[512];
    struct gdx_node *root;
    struct http_inst *hi;
    int rc;

    snprintf(yaml, sizeof(yaml),
             "url: \"%s%s\"\n"
             "pagination: %s\n"
             "page.size: 3\n"
             "token.param: token\n"
             "cursor.type: %s\n"
             "cursor.keys.max: %d\n"
             "ok.values: [\"0\", \"00000\", \"200\", \"true\"]\n"
             "response.max.bytes: %s\n",
             urls[in->pag],
             in->use_cursor ? (in->pag == 0 ? "?since={cursor}" : "&since={cursor}") : "",
             pag_names[in->pag], ctype_names[in->ctype], in->small_keys ? 2 : 10000,
             in->small_resp ? "4KiB" : "16MiB");
    root = gdx_conf_load_mem("fuzz.yaml", yaml, strlen(yaml), err, sizeof(err));
    FUZZ_CHECK(root);
    hi = gdx_xcalloc(1, sizeof(*hi));
    rc = gdx_conf_bind(root, "source", http_props, hi, "fuzz.yaml", err, sizeof(err));
    gdx_conf_destroy(root);
    FUZZ_CHECK(rc == GDX_OK);
    set_field(&hi->records_ptr, in->set[0]);
    set_field(&hi->ok_ptr, in->set[1]);
    set_field(&hi->msg_ptr, in->set[2]);
    set_field(&hi->token_ptr, in->pag == HTTP_PAGE_TOKEN && !in->set[3][0] ? "/next" : in->set[3]);
    set_field(&hi->cursor_field, in->ctype ? (in->set[4][0] ? in->set[4] : "t") : "");
    set_field(&hi->id_field, in->set[5]);
    if (http_init(ctx, hi, err, sizeof(err)) != GDX_OK) {
        gdx_conf_unbind(http_props, hi);
        free(hi);
        return NULL;
    }
    return hi;
}

static void inst_destroy(struct gdx_ctx *ctx, struct http_inst *hi)
{
    if (hi) {
        http_fini(ctx, hi);
        gdx_conf_unbind(http_props, hi);
        free(hi);
    }
}

/* The response as libcurl hands it over: header lines, then the body in pieces. 0 when the
 * body is larger than response.max.bytes (the transfer fails there). */
static int feed(struct http_inst *hi, const struct input *in)
{
    http_resp_reset(hi);
    for (size_t i = 0; i < in->nheaders; i++) {
        size_t n = strlen(in->headers[i]);
        char *line = gdx_xcalloc(1, n + 3);
        memcpy(line, in->headers[i], n);
        memcpy(line + n, "\r\n", 2);
        size_t took = http_header_cb(line, 1, n + 2, &hi->resp);
        free(line);
        if (took != n + 2) {
            FUZZ_CHECK(took == 0 && hi->resp.headers_too_big &&
                       hi->resp.header_bytes > GDX_LIMIT_HTTP_HEADER_BYTES);
            return 0; /* the transfer stops there */
        }
    }
    for (size_t off = 0; off < in->blen;) {
        size_t n = in->blen - off < 4000 ? in->blen - off : 4000;
        char *piece = gdx_xcalloc(1, n);
        size_t took;
        memcpy(piece, in->body + off, n);
        took = http_write_cb(piece, 1, n, &hi->resp);
        free(piece);
        if (took != n) {
            FUZZ_CHECK(hi->resp.too_big && took == 0);
            return 0;
        }
        off += n;
    }
    FUZZ_CHECK(hi->resp.len == in->blen &&
               !memcmp(hi->resp.body ? hi->resp.body : "", in->body, in->blen));
    return 1;
}

/* Load the page as a fetch does; returns http_page_load's code. */
static int load(struct http_inst *hi, const struct input *in, char *err, size_t err_size)
{
    char *url = NULL, *body = NULL;
    int rc;
    if (!feed(hi, in)) {
        return GDX_ERR_RETRY;
    }
    http_build(hi, &url, &body);
    rc = http_page_load(hi, url, 200, err, err_size);
    free(url);
    free(body);
    return rc;
}

/* Take the page in hand into @p batch. 1 when the batch became full, 0 when the page is done,
 * < 0 on an error. */
static int take(struct gdx_ctx *ctx, struct http_inst *hi, struct gdx_batch *batch)
{
    uint64_t added = 0;
    char err[512];
    return http_page_take(ctx, hi, batch, &added, err, sizeof(err));
}

/* The text of a scalar as the connector means it: a string decoded, other scalars as
 * written (the span), null as NULL; *ok 0 for an object, an array or a string with NUL. */
static char *scalar_text(const char *text, size_t len, const char *ptr, json_t *v, int *ok)
{
    size_t s, l;
    *ok = 1;
    if (json_is_string(v)) {
        if (memchr(json_string_value(v), '\0', json_string_length(v))) {
            *ok = 0;
            return NULL;
        }
        return gdx_xstrdup(json_string_value(v));
    }
    if (json_is_null(v) || json_is_object(v) || json_is_array(v)) {
        *ok = !json_is_object(v) && !json_is_array(v);
        return NULL;
    }
    FUZZ_CHECK(gdx_json_find(text, len, ptr, &s, &l) == GDX_OK);
    while (l && strchr(" \t\r\n", text[s])) {
        s++;
        l--;
    }
    return strndup(text + s, l);
}

static void check_page(struct http_inst *hi, const struct input *in, int rc, const char *err)
{
    json_error_t jerr;
    json_t *doc, *want;
    int skip = 0;

    FUZZ_CHECK(rc == GDX_OK || rc == GDX_ERR_RETRY);
    if (in->blen > (size_t)hi->response_max_bytes) {
        FUZZ_CHECK(rc == GDX_ERR_RETRY); /* the transfer stopped at response.max.bytes */
        return;
    }
    for (size_t i = 0; rc == GDX_OK && i < hi->page_n; i++) {
        FUZZ_CHECK(hi->rec_start[i] <= in->blen && hi->rec_len[i] <= in->blen - hi->rec_start[i]);
    }
    doc = memchr(in->body, '\0', in->blen)
              ? NULL
              : json_loadb(in->body, in->blen,
                           JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!doc) {
        return;
    }
    if (hi->ok_ptr[0]) {
        json_t *v = jtree_find(doc, hi->ok_ptr, &skip);
        int ok = 0, isok;
        char *t = v ? scalar_text(in->body, in->blen, hi->ok_ptr, v, &isok) : NULL;
        if (t && isok && strlen(t) < 512) {
            ok = http_ok_value(hi, t);
        }
        free(t);
        if (skip) {
            goto out;
        }
        if (!ok) {
            FUZZ_CHECK(rc == GDX_ERR_RETRY && strstr(err, "reports an error at"));
            goto out;
        }
        FUZZ_CHECK(!strstr(err, "reports an error at") || rc == GDX_OK);
    }
    want = jtree_find(doc, hi->records_ptr, &skip);
    if (skip) {
        goto out;
    }
    if (!want || !(json_is_array(want) || json_is_object(want) || json_is_null(want))) {
        FUZZ_CHECK(rc == GDX_ERR_RETRY);
        goto out;
    }
    if (rc != GDX_OK) {
        /* the only other refusals: a page from before the cursor asked for */
        FUZZ_CHECK(strstr(err, "older than the cursor"));
        goto out;
    }
    FUZZ_CHECK(hi->page_n == (json_is_array(want) ? json_array_size(want) : !json_is_null(want)));
    for (size_t i = 0; i < hi->page_n; i++) {
        json_t *got = json_loadb(in->body + hi->rec_start[i], hi->rec_len[i],
                                 JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        FUZZ_CHECK(got && json_equal(got, json_is_array(want) ? json_array_get(want, i) : want));
        json_decref(got);
    }
out:
    json_decref(doc);
}

/* Every row names its record: pos ends with ":<index>", raw is that record's text. */
static void check_rows(const struct http_inst *hi, const struct gdx_batch *b,
                       const struct input *in)
{
    for (size_t k = 0; k < b->n; k++) {
        const struct fuzz_rec *r = &b->recs[k];
        const char *colon = strrchr(r->pos, ':');
        char *end;
        unsigned long i;
        FUZZ_CHECK(colon && !strncmp(r->pos, "http:/", 6));
        i = strtoul(colon + 1, &end, 10);
        FUZZ_CHECK(!*end && i < hi->page_n);
        FUZZ_CHECK(r->raw_len == hi->rec_len[i] &&
                   !memcmp(r->raw, in->body + hi->rec_start[i], r->raw_len));
        if (r->error) {
            char want[64];
            snprintf(want, sizeof(want), "record %lu of the page: ", i);
            FUZZ_CHECK(!strncmp(r->error, want, strlen(want)) || strstr(r->error, "cursor field"));
        }
    }
}

/* The next request after the whole page was taken (token paging). */
static void check_next(struct gdx_ctx *ctx, struct http_inst *hi, const struct input *in)
{
    json_error_t jerr;
    json_t *doc, *v;
    int skip = 0, isok = 0;
    char *want = NULL;

    http_page_next(ctx, hi);
    if (hi->pagination == HTTP_PAGE_LINK && hi->req.link) {
        /* the next page is on the API's own host: the credentials go nowhere else */
        FUZZ_CHECK(http_same_origin(hi->req.link, "http://api.xcs.gov.cn:80/"));
        FUZZ_CHECK(!strncmp(hi->req.link, "http://api.xcs.gov.cn/", 22));
    }
    if (hi->pagination != HTTP_PAGE_TOKEN || hi->uses_cursor || hi->held) {
        return;
    }
    doc = memchr(in->body, '\0', in->blen)
              ? NULL
              : json_loadb(in->body, in->blen,
                           JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!doc) {
        return;
    }
    v = jtree_find(doc, hi->token_ptr, &skip);
    if (v && !skip) {
        want = scalar_text(in->body, in->blen, hi->token_ptr, v, &isok);
    }
    if (!skip) {
        if (hi->page_n == 0 || !want || !want[0]) {
            FUZZ_CHECK(hi->pass_end);
        } else {
            FUZZ_CHECK(!hi->pass_end && hi->req.token && !strcmp(hi->req.token, want));
        }
    }
    free(want);
    json_decref(doc);
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
    struct gdx_batch bc, ba, bb;
    struct http_inst *c = NULL, *a = NULL, *b = NULL;
    struct input in;
    char err[1024] = "", *pos = NULL;
    int rc, rc_a;

    if (size > 64 * 1024) {
        return 0;
    }
    if (!input_parse(data, size, &in)) {
        input_release(&in);
        return 0;
    }
    fuzz_batch_init(&bc, 0);
    fuzz_batch_init(&ba, in.cut);
    fuzz_batch_init(&bb, 0);
    if (!(c = inst_new(&in, &ctx))) {
        goto out;
    }
    /* one run: the whole page */
    http_pass_start(c);
    rc = load(c, &in, err, sizeof(err));
    check_page(c, &in, rc, err);
    if (rc != GDX_OK) {
        goto out;
    }
    if (take(&ctx, c, &bc) < 0) {
        goto out; /* too many records share one cursor value: the run stops */
    }
    check_rows(c, &bc, &in);

    /* a run cut after in.cut records, restarted from its position */
    a = inst_new(&in, &ctx);
    FUZZ_CHECK(a);
    http_pass_start(a);
    FUZZ_CHECK(load(a, &in, err, sizeof(err)) == GDX_OK);
    rc_a = take(&ctx, a, &ba);
    FUZZ_CHECK(rc_a >= 0);
    if (rc_a == 1 && !c->uses_cursor) {
        pos = http_pos_json(a);
        b = inst_new(&in, &ctx);
        FUZZ_CHECK(b);
        FUZZ_CHECK(http_pos_load(b, pos, err, sizeof(err)) == GDX_OK);
        if (!b->in_pass) {
            http_pass_start(b);
        }
        FUZZ_CHECK(load(b, &in, err, sizeof(err)) == GDX_OK);
        FUZZ_CHECK(take(&ctx, b, &bb) == 0);
        if (ba.n + bb.n != bc.n) {
            fprintf(stderr, "one run took %zu records; cut at %zu, restarted from %s: %zu + %zu\n",
                    bc.n, in.cut, pos, ba.n, bb.n);
            FUZZ_CHECK(0);
        }
        for (size_t i = 0; i < bc.n; i++) {
            const struct fuzz_rec *r = i < ba.n ? &ba.recs[i] : &bb.recs[i - ba.n];
            if (!fuzz_rec_equal(r, &bc.recs[i])) {
                fprintf(stderr, "record %zu differs after the restart from %s\n", i, pos);
                FUZZ_CHECK(0);
            }
        }
    }
    check_next(&ctx, c, &in);
out:
    free(pos);
    inst_destroy(&ctx, a);
    inst_destroy(&ctx, b);
    inst_destroy(&ctx, c);
    fuzz_batch_release(&ba);
    fuzz_batch_release(&bb);
    fuzz_batch_release(&bc);
    input_release(&in);
    return 0;
}
