/*
 * http.c - the http connector: records from a REST API, page by page (libcurl + jansson).
 *
 * Each request is built from the `url` (and `body`) template with the cursor and paging
 * values substituted; the records are the elements of the array at `records.pointer` in the
 * JSON response, each turned into a row by lib/gdx_jrow. Paging is page/size, offset/limit,
 * a next-page token found in the response, or the `Link: <...>; rel="next"` header.
 *
 * Incremental reading (cursor.field set) keeps the position the way the sql connector does,
 * so every record is sent once even when the API repeats pages, goes backwards or holds
 * many records with one timestamp:
 *
 *  - The position is the largest cursor value taken, T, and the set S of the records taken
 *    at exactly T (their id.field, or a digest of the record's text). A record is taken
 *    when its cursor is newer than T, or equal to T and not in S; older ones and members of
 *    S are skipped as already sent. The position only moves forward.
 *  - A record whose timestamp is newer than the server's clock (its Date header) minus
 *    cursor.lag.ms is not taken yet: it ends the pass and is read on a later one, so a
 *    record committed late by the department's system, with an earlier timestamp than
 *    records already served, is still seen while the lag covers it.
 *  - When the template uses {cursor}, every page that moved T starts a new query from T
 *    (keyset paging): a record inserted or deleted while paging never shifts a page over a
 *    record. Page numbers advance only among records sharing one cursor value.
 *
 * Without a cursor field the API is read whole (a pass), once or every bulk.repeat.ms; the
 * position is the page request and the records of it already taken.
 *
 * Transient trouble (connection errors, timeouts, 429 and 5xx honouring Retry-After, a
 * response cut short, an HTML error page instead of JSON, an error envelope) is retried
 * with backoff inside poll, then handed to the runtime as GDX_ERR_RETRY, which resumes from
 * the committed position. A record the schema refuses goes to the dead letter topic with
 * `gdx.src.pos` = `http:<path>?<query>:<index>`.
 *
 * Fault point for the tests (lib/gdx_fault.h): `http.fetch` fails a request as a connection
 * that cannot be made.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "gdx.h"
#include "gdx_crypto.h"
#include "gdx_fault.h"
#include "gdx_jrow.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_util.h"

#include "sign.h"
#include "tmpl.h"

enum http_pagination {
    HTTP_PAGE_NONE,
    HTTP_PAGE_PAGE,
    HTTP_PAGE_OFFSET,
    HTTP_PAGE_TOKEN,
    HTTP_PAGE_LINK
};
enum http_ctype { HTTP_CUR_TIMESTAMP, HTTP_CUR_NUMBER, HTTP_CUR_STRING };

/* dead letters without a usable cursor remembered in the position (http_dead_seen) */
#define HTTP_DEAD_KEYS_MAX 256

/* A set of strings in insertion order (the records taken at the cursor value, tokens). */
struct http_sset {
    char **items; /* insertion order */
    size_t n, cap;
    size_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
};

/* One page request of a pass. */
struct http_req {
    char *q;        /* {cursor} of the pass */
    int64_t page;   /* {page} */
    int64_t offset; /* {offset} */
    char *token;    /* {token}; NULL on the first page */
    char *link;     /* the URL to fetch instead of the template (Link paging) */
};

struct http_resp {
    char *body;
    size_t len, cap, max;
    int too_big;
    size_t header_bytes; /* of this response, bounded by GDX_LIMIT_HTTP_HEADER_BYTES */
    int headers_too_big;
    char *link;
    char retry_after[64];
    char date[64];
};

struct http_inst {
    /* the `source:` section */
    char *url;
    char *method;
    char *body;
    char *body_ctype;
    char **headers;
    char *records_ptr;
    char *ok_ptr;
    char **ok_values;
    char *msg_ptr;
    char *pagination_name;
    int64_t page_start;
    int64_t page_size;
    char *token_ptr;
    char *token_param;
    char *cursor_field;
    char *cursor_type_name;
    char *cursor_initial;
    int64_t cursor_lag_ms;
    char *cursor_tz;
    int64_t cursor_keys_max;
    char *id_field;
    int64_t bulk_repeat_ms;
    char *auth_name;
    char *auth_token;
    char *auth_token_file;
    char *auth_token_header;
    char *auth_token_prefix;
    char *auth_user;
    char *auth_password;
    char *auth_password_file;
    char *sign_name;
    char *sign_app_key;
    char *sign_secret;
    char *sign_secret_file;
    char *sign_h_key, *sign_h_ts, *sign_h_nonce, *sign_h_sig, *sign_h_method;
    char *sign_ts_unit;
    char *sign_encoding;
    char *tls_ca_file;
    char *tls_ca_path;
    char *tls_cert_file;
    char *tls_key_file;
    char *tls_key_password;
    char *proxy;
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    int64_t rate_requests;
    int64_t rate_period_ms;
    int64_t retry_max;
    int64_t retry_backoff_ms;
    int64_t retry_backoff_max_ms;
    int64_t retry_after_max_ms;
    int64_t response_max_bytes;
    int64_t record_max_depth;
    char *user_agent;

    /* resolved by init */
    enum http_pagination pagination;
    enum http_ctype ctype;
    enum http_sign_alg sign;
    enum http_esc body_esc;
    int incremental;
    int uses_cursor;
    int post;
    char *token; /* bearer token (from auth.token or auth.token.file) */
    int64_t token_mtime;
    char *password; /* basic */
    char *secret;   /* signing secret */
    CURL *curl;
    int curl_global;
    char curl_err[CURL_ERROR_SIZE];
    struct gdx_jrow *jrow;
    struct gdx_sm3 *sm3;
    char *cursor_ptr; /* cursor.field as a JSON pointer: a.b -> /a/b */

    /* position */
    char *cur_text;        /* T as the API wrote it; NULL before the first record */
    int64_t cur_us;        /* T as a time (timestamp cursors) */
    struct http_sset keys; /* S: records taken at T */
    struct http_sset dead; /* records without a usable cursor already sent as dead letters */
    int64_t bulk_pass;
    int bulk_done;
    int64_t bulk_done_at;

    /* the pass */
    int in_pass;
    struct http_req req;
    struct http_sset seen; /* tokens and links of this pass: a loop ends it */
    int pass_end, held;

    /* the page in hand */
    struct http_resp resp;
    int have_page;
    char *page_url;
    size_t *rec_start, *rec_len;
    size_t page_n, page_i, rec_cap;
    int64_t page_date_us;
    char page_digest[GDX_SM3_HEX_LEN + 1], prev_digest[GDX_SM3_HEX_LEN + 1];

    /* retries and rate */
    int64_t fails;
    int64_t retry_at;
    int64_t next_request_at;
    int64_t skipped_behind, skipped_seen;
    int warned_date;
    size_t resume_i; /* records of the first page fetched to skip (bulk resume), or SIZE_MAX */
    char *last_pos;  /* the position last handed to a batch or received */
};

#define OFF(f) offsetof(struct http_inst, f)

static const struct gdx_conf_prop http_props[] = {
    {"url", GDX_CONF_STR, OFF(url), NULL, NULL,
     "Request URL template: {cursor}, {page}, {size}, {offset}, {limit} and {token} are "
     "replaced (percent-encoded), e.g. https://api.example.gov.cn/v1/items?since={cursor}"
     "&page={page}&size={size}."},
    {"method", GDX_CONF_STR, OFF(method), "GET", "GET|POST", "HTTP method."},
    {"body", GDX_CONF_STR, OFF(body), "", NULL,
     "POST body template with the same placeholders, escaped for the body's content type "
     "(JSON string text for JSON bodies, percent-encoding for forms)."},
    {"body.content.type", GDX_CONF_STR, OFF(body_ctype), "application/json", NULL,
     "Content-Type of the POST body."},
    {"headers", GDX_CONF_STRLIST, OFF(headers), "", NULL,
     "Extra request headers, [\"X-Region: 411681\", \"Accept-Language: zh-CN\"]."},
    {"records.pointer", GDX_CONF_STR, OFF(records_ptr), "", NULL,
     "JSON pointer (RFC 6901) of the records array in a response, e.g. /data/list; \"\" when "
     "the response is the array. An object there is one record, null no record."},
    {"ok.pointer", GDX_CONF_STR, OFF(ok_ptr), "", NULL,
     "JSON pointer of the response's status code (e.g. /code), for APIs that answer errors "
     "with HTTP 200 and an error envelope; \"\" does not check."},
    {"ok.values", GDX_CONF_STRLIST, OFF(ok_values), "0", NULL,
     "Values at ok.pointer that mean success, e.g. [0, 200, \"00000\"]."},
    {"message.pointer", GDX_CONF_STR, OFF(msg_ptr), "", NULL,
     "JSON pointer of the error message in an error envelope (e.g. /msg), quoted in logs."},
    {"pagination", GDX_CONF_STR, OFF(pagination_name), "none", "none|page|offset|token|link",
     "How the next page is asked for: {page}/{size}, {offset}/{limit}, a next-page token "
     "found at token.pointer, or the Link header's rel=\"next\"."},
    {"page.start", GDX_CONF_INT, OFF(page_start), "1", NULL, "Number of the first page."},
    {"page.size", GDX_CONF_INT, OFF(page_size), "100", NULL,
     "Records per page ({size}, {limit}); a shorter page is the last one."},
    {"token.pointer", GDX_CONF_STR, OFF(token_ptr), "", NULL,
     "token paging: JSON pointer of the next-page token in a response (e.g. /data/next); "
     "absent, null or \"\" ends the pass."},
    {"token.param", GDX_CONF_STR, OFF(token_param), "", NULL,
     "token paging: query parameter carrying the token when the templates have no {token}."},
    {"cursor.field", GDX_CONF_STR, OFF(cursor_field), "", NULL,
     "Record member (a.b for a nested one) whose value orders the records: a last-modified "
     "time or an increasing id. Empty reads the whole API every pass (bulk)."},
    {"cursor.type", GDX_CONF_STR, OFF(cursor_type_name), "timestamp", "timestamp|number|string",
     "How cursor values compare: as times (ISO 8601, 'YYYY-MM-DD HH:MM:SS', epoch seconds or "
     "milliseconds), as integers, or as byte strings."},
    {"cursor.initial", GDX_CONF_STR, OFF(cursor_initial), "", NULL,
     "{cursor} of the very first pass, e.g. 2026-01-01 00:00:00 (\"\" asks from the start)."},
    {"cursor.lag.ms", GDX_CONF_DURATION, OFF(cursor_lag_ms), "5s", NULL,
     "timestamp cursors: a record is read only once its time is this much older than the "
     "server's clock (Date header), so records committed late are not skipped."},
    {"cursor.timezone", GDX_CONF_STR, OFF(cursor_tz), "+08:00", NULL,
     "UTC offset of cursor timestamps written without one."},
    {"cursor.keys.max", GDX_CONF_INT, OFF(cursor_keys_max), "10000", NULL,
     "Most records that may share one cursor value (they are remembered in the position)."},
    {"id.field", GDX_CONF_STR, OFF(id_field), "", NULL,
     "Record member that names a record uniquely (application number); remembers the records "
     "at the cursor value by it instead of by a digest of their text."},
    {"bulk.repeat.ms", GDX_CONF_DURATION, OFF(bulk_repeat_ms), "0", NULL,
     "Without cursor.field: read the whole API again this long after a pass; 0 reads it once."},
    {"auth", GDX_CONF_STR, OFF(auth_name), "none", "none|bearer|basic",
     "Authentication: a token in a header (bearer), or user and password (basic)."},
    {"auth.token", GDX_CONF_SECRET, OFF(auth_token), "", NULL,
     "bearer: the token; write ${ENV_NAME}. Never logged."},
    {"auth.token.file", GDX_CONF_STR, OFF(auth_token_file), "", NULL,
     "bearer: file whose first line is the token; read again when it changes or on HTTP 401."},
    {"auth.token.header", GDX_CONF_STR, OFF(auth_token_header), "Authorization", NULL,
     "bearer: the header carrying the token."},
    {"auth.token.prefix", GDX_CONF_STR, OFF(auth_token_prefix), "Bearer ", NULL,
     "bearer: text before the token in that header (\"\" for a bare token)."},
    {"auth.user", GDX_CONF_STR, OFF(auth_user), "", NULL, "basic: the account."},
    {"auth.password", GDX_CONF_SECRET, OFF(auth_password), "", NULL,
     "basic: the password; write ${ENV_NAME}."},
    {"auth.password.file", GDX_CONF_STR, OFF(auth_password_file), "", NULL,
     "basic: file whose first line is the password; wins over auth.password."},
    {"sign", GDX_CONF_STR, OFF(sign_name), "none", "none|hmac-sha256|hmac-sm3",
     "Gateway signature over the canonical string of every request (README)."},
    {"sign.app.key", GDX_CONF_STR, OFF(sign_app_key), "", NULL, "The AppKey the gateway issued."},
    {"sign.secret", GDX_CONF_SECRET, OFF(sign_secret), "", NULL,
     "The AppSecret; write ${ENV_NAME}. Never logged."},
    {"sign.secret.file", GDX_CONF_STR, OFF(sign_secret_file), "", NULL,
     "File whose first line is the AppSecret; wins over sign.secret."},
    {"sign.header.app.key", GDX_CONF_STR, OFF(sign_h_key), "X-App-Key", NULL,
     "Header carrying the AppKey."},
    {"sign.header.timestamp", GDX_CONF_STR, OFF(sign_h_ts), "X-Timestamp", NULL,
     "Header carrying the timestamp."},
    {"sign.header.nonce", GDX_CONF_STR, OFF(sign_h_nonce), "X-Nonce", NULL,
     "Header carrying the nonce."},
    {"sign.header.signature", GDX_CONF_STR, OFF(sign_h_sig), "X-Signature", NULL,
     "Header carrying the signature."},
    {"sign.header.method", GDX_CONF_STR, OFF(sign_h_method), "X-Signature-Method", NULL,
     "Header naming the algorithm (HMAC-SHA256 or HMAC-SM3); \"\" sends none."},
    {"sign.timestamp.unit", GDX_CONF_STR, OFF(sign_ts_unit), "ms", "ms|s",
     "Timestamp in milliseconds or seconds since 1970."},
    {"sign.encoding", GDX_CONF_STR, OFF(sign_encoding), "base64", "base64|hex",
     "Encoding of the signature bytes."},
    {"tls.ca.file", GDX_CONF_STR, OFF(tls_ca_file), "", NULL,
     "CA certificates (PEM) that the server's certificate must chain to; \"\" uses the "
     "deployment file's tls.ca.file, else the system's. Verification of the certificate and "
     "host name is always on."},
    {"tls.ca.path", GDX_CONF_STR, OFF(tls_ca_path), "", NULL,
     "Directory of hashed CA certificates, instead of or beside tls.ca.file."},
    {"tls.cert.file", GDX_CONF_STR, OFF(tls_cert_file), "", NULL,
     "Client certificate (PEM) for mutual TLS."},
    {"tls.key.file", GDX_CONF_STR, OFF(tls_key_file), "", NULL,
     "Private key (PEM) of the client certificate; mode 0600."},
    {"tls.key.password", GDX_CONF_SECRET, OFF(tls_key_password), "", NULL,
     "Passphrase of tls.key.file, if it is encrypted."},
    {"proxy", GDX_CONF_STR, OFF(proxy), "", NULL,
     "HTTP proxy, http://host:port (\"\" uses the environment's https_proxy, if any)."},
    {"connect.timeout.ms", GDX_CONF_DURATION, OFF(connect_timeout_ms), "10s", NULL,
     "Longest a connection attempt may take."},
    {"request.timeout.ms", GDX_CONF_DURATION, OFF(request_timeout_ms), "60s", NULL,
     "Longest one request may take, connecting and reading included."},
    {"rate.limit.requests", GDX_CONF_INT, OFF(rate_requests), "0", NULL,
     "At most this many requests per rate.limit.period.ms, evenly spaced; 0 = no limit."},
    {"rate.limit.period.ms", GDX_CONF_DURATION, OFF(rate_period_ms), "1s", NULL,
     "The period of rate.limit.requests."},
    {"retry.max", GDX_CONF_INT, OFF(retry_max), "8", NULL,
     "Retries of a failing request inside one poll before the runtime backs off and resumes "
     "from the committed position."},
    {"retry.backoff.ms", GDX_CONF_DURATION, OFF(retry_backoff_ms), "500ms", NULL,
     "First retry delay; doubled on every failure."},
    {"retry.backoff.max.ms", GDX_CONF_DURATION, OFF(retry_backoff_max_ms), "30s", NULL,
     "Longest retry delay."},
    {"retry.after.max.ms", GDX_CONF_DURATION, OFF(retry_after_max_ms), "10m", NULL,
     "Longest Retry-After (of a 429 or 503) that is honoured as it is."},
    {"response.max.bytes", GDX_CONF_SIZE, OFF(response_max_bytes), "16MiB", NULL,
     "Largest response body; a larger one is an error."},
    {"record.max.depth", GDX_CONF_INT, OFF(record_max_depth), "32", NULL,
     "Deepest nesting of a record; deeper records are dead letters."},
    {"user.agent", GDX_CONF_STR, OFF(user_agent), "gdx/" GDX_VERSION, NULL, "User-Agent header."},
    GDX_CONF_END,
};

/* ------------------------------------------------------------------------------------- */
/* string sets */

static uint64_t sset_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static void sset_clear(struct http_sset *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        free(ss->items[i]);
    }
    ss->n = 0;
    if (ss->slots) {
        memset(ss->slots, 0, ss->nslots * sizeof(*ss->slots));
    }
}

static void sset_release(struct http_sset *ss)
{
    sset_clear(ss);
    free(ss->items);
    free(ss->slots);
    memset(ss, 0, sizeof(*ss));
}

static size_t sset_find(const struct http_sset *ss, const char *s, uint64_t h)
{
    size_t i = (size_t)(h % ss->nslots);
    while (ss->slots[i] && strcmp(ss->items[ss->slots[i] - 1], s)) {
        i = (i + 1) % ss->nslots;
    }
    return i;
}

static int sset_has(const struct http_sset *ss, const char *s)
{
    return ss->n && ss->slots[sset_find(ss, s, sset_hash(s))] != 0;
}

static void sset_add(struct http_sset *ss, const char *s)
{
    if ((ss->n + 1) * 2 > ss->nslots) {
        size_t ns = ss->nslots ? ss->nslots * 2 : 64;
        free(ss->slots);
        ss->slots = gdx_xcalloc(ns, sizeof(*ss->slots));
        ss->nslots = ns;
        for (size_t k = 0; k < ss->n; k++) {
            ss->slots[sset_find(ss, ss->items[k], sset_hash(ss->items[k]))] = k + 1;
        }
    }
    size_t i = sset_find(ss, s, sset_hash(s));
    if (ss->slots[i]) {
        return;
    }
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? ss->cap * 2 : 64;
        ss->items = gdx_xrealloc(ss->items, ss->cap * sizeof(*ss->items));
    }
    ss->items[ss->n] = gdx_xstrdup(s);
    ss->slots[i] = ++ss->n;
}

/* ------------------------------------------------------------------------------------- */
/* helpers */

static void http_req_clear(struct http_req *r)
{
    free(r->q);
    free(r->token);
    free(r->link);
    memset(r, 0, sizeof(*r));
}

static void set_str(char **slot, const char *v)
{
    char *d = v ? gdx_xstrdup(v) : NULL;
    free(*slot);
    *slot = d;
}

static char *http_resolve(struct gdx_ctx *ctx, const char *p)
{
    return gdx_path_join(gdx_ctx_config_dir(ctx), p);
}

/* This file's tls.* keys as paths from the working directory; p[] holds what it resolved. */
static void http_tls_own(struct gdx_ctx *ctx, struct http_inst *hi, struct gdx_ctx_tls *own,
                         char *p[4])
{
    memset(own, 0, sizeof(*own));
    p[0] = hi->tls_ca_file[0] ? http_resolve(ctx, hi->tls_ca_file) : NULL;
    p[1] = hi->tls_ca_path[0] ? http_resolve(ctx, hi->tls_ca_path) : NULL;
    p[2] = hi->tls_cert_file[0] ? http_resolve(ctx, hi->tls_cert_file) : NULL;
    p[3] = hi->tls_key_file[0] ? http_resolve(ctx, hi->tls_key_file) : NULL;
    own->ca_file = p[0];
    own->ca_path = p[1];
    own->cert_file = p[2];
    own->key_file = p[3];
    own->key_password = hi->tls_key_password[0] ? hi->tls_key_password : NULL;
}

static int http_tls(struct gdx_ctx *ctx, struct http_inst *hi, CURL *c, char *errstr,
                    size_t errstr_size)
{
    struct gdx_ctx_tls own;
    char *p[4];
    int err;

    http_tls_own(ctx, hi, &own, p);
    err = gdx_ctx_tls_curl(ctx, c, &own, errstr, errstr_size);
    for (int i = 0; i < 4; i++) {
        free(p[i]);
    }
    return err;
}

/* The first line of @p path (a secret): heap, registered with the log's redaction. */
static int http_read_secret(struct gdx_ctx *ctx, const char *key, const char *file, char **out,
                            int64_t *mtime, char *errstr, size_t errstr_size)
{
    char *path = http_resolve(ctx, file);
    FILE *f = fopen(path, "r");
    char buf[4096];
    size_t n;
    struct stat st;

    if (!f) {
        int err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot read %s '%s': %s", key,
                             path, strerror(errno));
        free(path);
        return err;
    }
    if (mtime && fstat(fileno(f), &st) == 0) {
        *mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    free(path);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (*out) {
        memset(*out, 0, strlen(*out));
        free(*out);
    }
    *out = gdx_xstrdup(buf);
    memset(buf, 0, sizeof(buf));
    if ((*out)[0]) {
        gdx_log_add_secret(*out);
    }
    return GDX_OK;
}

/* Decode the JSON scalar at text[0..len) into @p out as text: strings unescaped, numbers
 * as written, true/false; returns 0, 1 for null, -1 for anything else. */
static int http_scalar(const char *text, size_t len, char *out, size_t out_size)
{
    while (len && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')) {
        text++;
        len--;
    }
    if (len && text[0] == '"') {
        json_t *j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
        if (!j || !json_is_string(j)) {
            json_decref(j);
            return -1;
        }
        snprintf(out, out_size, "%s", json_string_value(j));
        json_decref(j);
        return 0;
    }
    if (len == 4 && !memcmp(text, "null", 4)) {
        out[0] = '\0';
        return 1;
    }
    if (len == 0 || text[0] == '{' || text[0] == '[') {
        return -1;
    }
    snprintf(out, out_size, "%.*s", (int)len, text);
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* position */

static void http_pass_reset(struct http_inst *hi)
{
    hi->in_pass = 0;
    hi->pass_end = 0;
    hi->held = 0;
    http_req_clear(&hi->req);
    sset_clear(&hi->seen);
    hi->have_page = 0;
    hi->prev_digest[0] = '\0';
}

static json_t *http_req_json(const struct http_req *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "q", json_string(r->q ? r->q : ""));
    json_object_set_new(o, "page", json_integer(r->page));
    json_object_set_new(o, "offset", json_integer(r->offset));
    if (r->token) {
        json_object_set_new(o, "token", json_string(r->token));
    }
    if (r->link) {
        json_object_set_new(o, "link", json_string(r->link));
    }
    return o;
}

/* The position as JSON text (malloc'd). */
static char *http_pos_json(struct http_inst *hi)
{
    json_t *o = json_object();
    char *s;
    if (hi->incremental) {
        if (hi->cur_text) {
            json_t *keys = json_array();
            json_object_set_new(o, "cursor", json_string(hi->cur_text));
            for (size_t i = 0; i < hi->keys.n; i++) {
                json_array_append_new(keys, json_string(hi->keys.items[i]));
            }
            json_object_set_new(o, "keys", keys);
        }
        if (hi->dead.n) {
            json_t *dead = json_array();
            for (size_t i = 0; i < hi->dead.n; i++) {
                json_array_append_new(dead, json_string(hi->dead.items[i]));
            }
            json_object_set_new(o, "dead", dead);
        }
        if (hi->in_pass && !hi->pass_end && !hi->uses_cursor) {
            /* without {cursor} a restart resumes at this page; with it, from T */
            json_object_set_new(o, "next", http_req_json(&hi->req));
        }
    } else {
        json_object_set_new(o, "pass", json_integer(hi->bulk_pass));
        if (hi->bulk_done) {
            json_object_set_new(o, "done", json_true());
        } else if (hi->in_pass) {
            json_object_set_new(o, "next", http_req_json(&hi->req));
            json_object_set_new(o, "index",
                                json_integer(hi->have_page ? (json_int_t)hi->page_i : 0));
        }
    }
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) {
        abort();
    }
    return s;
}

static int http_cursor_value(struct http_inst *hi, const char *text, int64_t *us)
{
    if (hi->ctype == HTTP_CUR_TIMESTAMP) {
        return http_ts_parse(text, strlen(text), hi->cursor_tz, us);
    }
    if (hi->ctype == HTTP_CUR_NUMBER) {
        return http_num_cmp(text, "0") == -2 ? -1 : 0;
    }
    return 0;
}

static int http_pos_load(struct http_inst *hi, const char *json, char *errstr, size_t errstr_size)
{
    json_t *doc, *v, *next;
    json_error_t jerr;
    int64_t us = 0;

    free(hi->cur_text);
    hi->cur_text = NULL;
    sset_clear(&hi->keys);
    sset_clear(&hi->dead);
    hi->bulk_pass = 1;
    hi->bulk_done = 0;
    http_pass_reset(hi);
    hi->resume_i = SIZE_MAX;
    if (!json) {
        return GDX_OK;
    }
    doc = json_loads(json, 0, &jerr);
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "position '%.200s' is not an http position", json);
    }
    if (hi->incremental) {
        if ((v = json_object_get(doc, "cursor")) && json_is_string(v)) {
            if (http_cursor_value(hi, json_string_value(v), &us)) {
                json_decref(doc);
                return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                                  "position cursor '%.100s' is not a %s", json_string_value(v),
                                  hi->cursor_type_name);
            }
            hi->cur_text = gdx_xstrdup(json_string_value(v));
            hi->cur_us = us;
            size_t i;
            json_t *k;
            json_array_foreach(json_object_get(doc, "keys"), i, k)
            {
                if (json_is_string(k)) {
                    sset_add(&hi->keys, json_string_value(k));
                }
            }
        }
        size_t i;
        json_t *k;
        json_array_foreach(json_object_get(doc, "dead"), i, k)
        {
            if (json_is_string(k) && hi->dead.n < HTTP_DEAD_KEYS_MAX) {
                sset_add(&hi->dead, json_string_value(k));
            }
        }
    } else {
        if ((v = json_object_get(doc, "pass")) && json_is_integer(v)) {
            hi->bulk_pass = json_integer_value(v);
        }
        if (json_is_true(json_object_get(doc, "done"))) {
            hi->bulk_done = 1;
            hi->bulk_done_at = gdx_mono_ms();
        }
    }
    next = json_object_get(doc, "next");
    /* resume inside a pass: always in bulk mode; incremental only when the template cannot
     * restart from the cursor (keyset paging restarts from T instead) */
    if (json_is_object(next) && (!hi->incremental || !hi->uses_cursor)) {
        hi->in_pass = 1;
        set_str(&hi->req.q, json_string_value(json_object_get(next, "q")));
        hi->req.page = json_integer_value(json_object_get(next, "page"));
        hi->req.offset = json_integer_value(json_object_get(next, "offset"));
        set_str(&hi->req.token, json_string_value(json_object_get(next, "token")));
        set_str(&hi->req.link, json_string_value(json_object_get(next, "link")));
        /* applied once the page is fetched again */
        hi->resume_i = (size_t)json_integer_value(json_object_get(doc, "index"));
    }
    json_decref(doc);
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* requests */

static size_t http_write_cb(char *p, size_t size, size_t n, void *opaque)
{
    struct http_resp *r = opaque;
    size_t len = size * n;
    if (r->len + len > r->max) {
        r->too_big = 1;
        return 0;
    }
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < r->len + len + 1) {
            cap *= 2;
        }
        r->body = gdx_xrealloc(r->body, cap);
        r->cap = cap;
    }
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

/* "Name: value\r\n" -> copies of the headers the connector reads */
static size_t http_header_cb(char *p, size_t size, size_t n, void *opaque)
{
    struct http_resp *r = opaque;
    size_t len = size * n, vl;
    const char *colon = memchr(p, ':', len), *v;
    r->header_bytes += len;
    if (r->header_bytes > GDX_LIMIT_HTTP_HEADER_BYTES) {
        r->headers_too_big = 1; /* a server sending headers without end: the transfer stops */
        return 0;
    }
    if (!colon) {
        return len;
    }
    v = colon + 1;
    while (v < p + len && (*v == ' ' || *v == '\t')) {
        v++;
    }
    vl = (size_t)(p + len - v);
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) {
        vl--;
    }
    size_t nl = (size_t)(colon - p);
    if (nl == 4 && !strncasecmp(p, "link", 4)) {
        /* several Link headers are one list */
        size_t old = r->link ? strlen(r->link) : 0;
        r->link = gdx_xrealloc(r->link, old + vl + 3);
        if (old) {
            memcpy(r->link + old, ", ", 2);
            old += 2;
        }
        memcpy(r->link + old, v, vl);
        r->link[old + vl] = '\0';
    } else if (nl == 11 && !strncasecmp(p, "retry-after", 11)) {
        snprintf(r->retry_after, sizeof(r->retry_after), "%.*s", (int)vl, v);
    } else if (nl == 4 && !strncasecmp(p, "date", 4)) {
        snprintf(r->date, sizeof(r->date), "%.*s", (int)vl, v);
    }
    return len;
}

static int http_progress_cb(void *opaque, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                            curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return gdx_ctx_stopping(opaque) ? 1 : 0;
}

/* The URL and body of the current request (malloc'd). */
static void http_build(struct http_inst *hi, char **url, char **body)
{
    char page[32], size[32], offset[32];
    struct http_vars v;

    snprintf(page, sizeof(page), "%" PRId64, hi->req.page);
    snprintf(size, sizeof(size), "%" PRId64, hi->page_size);
    snprintf(offset, sizeof(offset), "%" PRId64, hi->req.offset);
    v.cursor = hi->req.q;
    v.page = page;
    v.size = size;
    v.offset = offset;
    v.token = hi->req.token;
    if (hi->req.link) {
        *url = gdx_xstrdup(hi->req.link);
    } else {
        *url = http_tmpl_expand(hi->url, &v, HTTP_ESC_URL);
        if (hi->req.token && hi->token_param[0] && !http_tmpl_uses(hi->url, "token") &&
            !http_tmpl_uses(hi->body, "token")) {
            char *pfx = NULL;
            if (asprintf(&pfx, "%s%s%s=", *url, strchr(*url, '?') ? "&" : "?", hi->token_param) <
                0) {
                abort();
            }
            free(*url);
            *url = http_url_append_encoded(pfx, hi->req.token);
            free(pfx);
        }
    }
    *body = hi->post ? http_tmpl_expand(hi->body, &v, hi->body_esc) : NULL;
}

/* Signature headers of one request, appended to @p hdrs. */
static int http_sign_headers(struct http_inst *hi, const char *url, const char *body,
                             struct curl_slist **hdrs, char *errstr, size_t errstr_size)
{
    unsigned char rnd[16];
    char nonce[33], ts[32], sig[96], line[512];
    size_t clen;
    struct timespec now;
    char *canon;
    int err;

    if ((err = gdx_random_bytes(rnd, sizeof(rnd), errstr, errstr_size))) {
        return err;
    }
    gdx_hex_encode(rnd, sizeof(rnd), nonce);
    clock_gettime(CLOCK_REALTIME, &now);
    if (!strcmp(hi->sign_ts_unit, "s")) {
        snprintf(ts, sizeof(ts), "%lld", (long long)now.tv_sec);
    } else {
        snprintf(ts, sizeof(ts), "%lld",
                 (long long)now.tv_sec * 1000 + (long long)(now.tv_nsec / 1000000));
    }
    canon = http_sign_canonical(hi->sign, hi->method, url, body, body ? strlen(body) : 0,
                                hi->sign_app_key, ts, nonce, &clen, errstr, errstr_size);
    if (!canon) {
        return GDX_ERR_CRYPTO;
    }
    err = http_sign_value(hi->sign, hi->secret, strlen(hi->secret), canon, clen,
                          !strcmp(hi->sign_encoding, "hex"), sig, sizeof(sig), errstr, errstr_size);
    free(canon);
    if (err) {
        return err;
    }
    snprintf(line, sizeof(line), "%s: %s", hi->sign_h_key, hi->sign_app_key);
    *hdrs = curl_slist_append(*hdrs, line);
    snprintf(line, sizeof(line), "%s: %s", hi->sign_h_ts, ts);
    *hdrs = curl_slist_append(*hdrs, line);
    snprintf(line, sizeof(line), "%s: %s", hi->sign_h_nonce, nonce);
    *hdrs = curl_slist_append(*hdrs, line);
    snprintf(line, sizeof(line), "%s: %s", hi->sign_h_sig, sig);
    *hdrs = curl_slist_append(*hdrs, line);
    if (hi->sign_h_method[0]) {
        snprintf(line, sizeof(line), "%s: %s", hi->sign_h_method, http_sign_alg_name(hi->sign));
        *hdrs = curl_slist_append(*hdrs, line);
    }
    return GDX_OK;
}

/* Re-read auth.token.file when it changed (a rotated token) or when @p force. */
static void http_token_refresh(struct gdx_ctx *ctx, struct http_inst *hi, int force)
{
    struct stat st;
    char err[256];
    char *path;
    if (!hi->auth_token_file[0]) {
        return;
    }
    path = http_resolve(ctx, hi->auth_token_file);
    if (stat(path, &st) == 0 &&
        (force ||
         (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != hi->token_mtime)) {
        if (http_read_secret(ctx, "auth.token.file", hi->auth_token_file, &hi->token,
                             &hi->token_mtime, err, sizeof(err))) {
            gdx_ctx_log(ctx, GDX_LOG_WARN, "%s", err);
        }
    }
    free(path);
}

static int http_ctype_json(const char *ct)
{
    return !ct || strcasestr(ct, "json") != NULL;
}

/* Empty the response buffer for the next request (its body is kept allocated). */
static void http_resp_reset(struct http_inst *hi)
{
    free(hi->resp.link);
    hi->resp.link = NULL;
    hi->resp.len = 0;
    hi->resp.too_big = 0;
    hi->resp.header_bytes = 0;
    hi->resp.headers_too_big = 0;
    hi->resp.retry_after[0] = hi->resp.date[0] = '\0';
    hi->resp.max = (size_t)hi->response_max_bytes;
    if (hi->resp.body) {
        hi->resp.body[0] = '\0';
    }
}

/*
 * Perform one request (the current page request, or @p url_override). On success the body
 * is in hi->resp and *code the HTTP status. GDX_ERR_RETRY for transient trouble, with
 * *retry_ms from Retry-After (-1 when none); GDX_ERR_STOPPED on a stop request.
 */
static int http_perform(struct gdx_ctx *ctx, struct http_inst *hi, const char *url,
                        const char *body, long *code, int64_t *retry_ms, char *errstr,
                        size_t errstr_size)
{
    struct curl_slist *hdrs = NULL;
    char line[8192], *disp = http_url_display(url);
    const char *ct = NULL;
    CURLcode cc;
    int have_accept = 0, err = GDX_OK;

    *retry_ms = -1;
    *code = 0;
    http_resp_reset(hi);

    for (char **h = hi->headers; h && *h; h++) {
        hdrs = curl_slist_append(hdrs, *h);
        have_accept |= !strncasecmp(*h, "accept:", 7);
    }
    if (!have_accept) {
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
    }
    if (hi->post) {
        snprintf(line, sizeof(line), "Content-Type: %s", hi->body_ctype);
        hdrs = curl_slist_append(hdrs, line);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (!strcmp(hi->auth_name, "bearer")) {
        http_token_refresh(ctx, hi, 0);
        snprintf(line, sizeof(line), "%s: %s%s", hi->auth_token_header, hi->auth_token_prefix,
                 hi->token ? hi->token : "");
        hdrs = curl_slist_append(hdrs, line);
        explicit_bzero(line, sizeof(line));
    }
    if (hi->sign != HTTP_SIGN_NONE &&
        (err = http_sign_headers(hi, url, body, &hdrs, errstr, errstr_size))) {
        goto out;
    }
    curl_easy_setopt(hi->curl, CURLOPT_URL, url);
    curl_easy_setopt(hi->curl, CURLOPT_HTTPHEADER, hdrs);
    if (hi->post) {
        curl_easy_setopt(hi->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(hi->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(hi->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(hi->curl, CURLOPT_HTTPGET, 1L);
    }
    hi->curl_err[0] = '\0';
    /* fault point: a request that cannot connect (tests/it/0912) */
    cc = GDX_FAULT("http.fetch") ? CURLE_COULDNT_CONNECT : curl_easy_perform(hi->curl);
    curl_easy_setopt(hi->curl, CURLOPT_HTTPHEADER, NULL);
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        err = GDX_ERR_STOPPED;
        goto out;
    }
    if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
        cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CONNECT_ERROR) {
        /* TLS: say which certificate, why, and which CA was asked */
        struct gdx_ctx_tls own;
        char *p[4], why[1024];
        http_tls_own(ctx, hi, &own, p);
        err =
            gdx_ctx_tls_explain(ctx, hi->curl, (int)cc, hi->curl_err, &own, url, why, sizeof(why));
        for (int i = 0; i < 4; i++) {
            free(p[i]);
        }
        err = gdx_seterr(errstr, errstr_size, err, "%s %s: %s", hi->method, disp, why);
        goto out;
    }
    if (cc != CURLE_OK) {
        const char *what = cc == CURLE_OPERATION_TIMEDOUT ? "timed out"
                           : cc == CURLE_PARTIAL_FILE     ? "response cut short"
                           : hi->resp.too_big ? "response larger than response.max.bytes"
                           : hi->resp.headers_too_big
                               ? "response headers larger than " GDX_LIMIT_HTTP_HEADER_TEXT
                               : "request failed";
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "%s %s: %s: %s", hi->method, disp,
                         what, hi->curl_err[0] ? hi->curl_err : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(hi->curl, CURLINFO_RESPONSE_CODE, code);
    curl_easy_getinfo(hi->curl, CURLINFO_CONTENT_TYPE, &ct);
    if (hi->resp.retry_after[0]) {
        *retry_ms = http_retry_after_ms(hi->resp.retry_after, time(NULL));
    }
    if (*code == 401 && hi->auth_token_file[0]) {
        http_token_refresh(ctx, hi, 1);
    }
    if (*code < 200 || *code > 299) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY, "%s %s: HTTP %ld%s", hi->method, disp,
                         *code,
                         *code == 429                  ? " (too many requests)"
                         : *code == 401                ? " (unauthorized: check the credentials)"
                         : *code == 403                ? " (forbidden)"
                         : *code >= 300 && *code < 400 ? " (redirected: set url to the new address)"
                                                       : "");
        goto out;
    }
    if (*code != 204 && hi->resp.len && !http_ctype_json(ct)) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "%s %s: content type '%s' is not JSON (an error page of a proxy or "
                         "gateway?)",
                         hi->method, disp, ct);
        goto out;
    }
out:
    curl_slist_free_all(hdrs);
    free(disp);
    return err;
}

/* ------------------------------------------------------------------------------------- */
/* pages */

static int http_ok_value(struct http_inst *hi, const char *v)
{
    for (char **o = hi->ok_values; o && *o; o++) {
        if (!strcmp(*o, v)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Check a fetched page and find its records. GDX_ERR_RETRY (with the reason) when the page
 * is not complete JSON, carries an error envelope, has no records where they should be, or
 * (bulk) repeats the previous page.
 */
static int http_page_parse(struct http_inst *hi, const char *url, long code, char *errstr,
                           size_t errstr_size)
{
    const char *text = hi->resp.body ? hi->resp.body : "";
    size_t len = hi->resp.len, rs, rl, pos = 0, es, el;
    char *disp = http_url_display(url);
    char buf[512] = ""; /* shown in messages even when nothing was found at ok.pointer */
    int rc, err = GDX_OK;
    time_t date;

    hi->page_n = 0;
    if (code == 204 || len == 0) {
        goto done;
    }
    if (gdx_json_depth(text, len) < 0) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "%s %s: the response is not complete JSON (%zu bytes; truncated?)",
                         hi->method, disp, len);
        goto out;
    }
    if (hi->ok_ptr[0]) {
        if (gdx_json_find(text, len, hi->ok_ptr, &es, &el) != GDX_OK ||
            http_scalar(text + es, el, buf, sizeof(buf)) != 0 || !http_ok_value(hi, buf)) {
            char msg[256] = "";
            if (hi->msg_ptr[0] && gdx_json_find(text, len, hi->msg_ptr, &es, &el) == GDX_OK) {
                http_scalar(text + es, el < 600 ? el : 600, msg, sizeof(msg));
            }
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                             "%s %s: the response reports an error at '%s' ('%s'): %s", hi->method,
                             disp, hi->ok_ptr, buf, msg[0] ? msg : "(no message)");
            goto out;
        }
    }
    rc = gdx_json_find(text, len, hi->records_ptr, &rs, &rl);
    if (rc == GDX_ERR_NOENT) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "%s %s: the response has no records at '%s'", hi->method, disp,
                         hi->records_ptr);
        goto out;
    }
    if (rc != GDX_OK) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "%s %s: the response is not valid JSON", hi->method, disp);
        goto out;
    }
    if (text[rs] == '{') {
        hi->rec_cap = hi->rec_cap ? hi->rec_cap : 64;
        hi->rec_start = gdx_xrealloc(hi->rec_start, hi->rec_cap * sizeof(size_t));
        hi->rec_len = gdx_xrealloc(hi->rec_len, hi->rec_cap * sizeof(size_t));
        hi->rec_start[0] = rs;
        hi->rec_len[0] = rl;
        hi->page_n = 1;
    } else if (text[rs] == '[') {
        while ((rc = gdx_json_array_next(text + rs, rl, &pos, &es, &el)) == 1) {
            if (hi->page_n == GDX_LIMIT_HTTP_PAGE_RECORDS) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                                 "%s %s: more than %d records in one page at '%s': ask for "
                                 "smaller pages (page.size)",
                                 hi->method, disp, GDX_LIMIT_HTTP_PAGE_RECORDS, hi->records_ptr);
                goto out;
            }
            if (hi->page_n == hi->rec_cap) {
                hi->rec_cap = hi->rec_cap ? hi->rec_cap * 2 : 256;
                hi->rec_start = gdx_xrealloc(hi->rec_start, hi->rec_cap * sizeof(size_t));
                hi->rec_len = gdx_xrealloc(hi->rec_len, hi->rec_cap * sizeof(size_t));
            }
            hi->rec_start[hi->page_n] = rs + es;
            hi->rec_len[hi->page_n] = el;
            hi->page_n++;
        }
        if (rc < 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                             "%s %s: the records array at '%s' is not valid JSON", hi->method, disp,
                             hi->records_ptr);
            goto out;
        }
    } else if (!(rl == 4 && !memcmp(text + rs, "null", 4))) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "%s %s: the value at records.pointer '%s' is not an array", hi->method,
                         disp, hi->records_ptr);
        goto out;
    }
    if (hi->incremental && hi->uses_cursor && hi->req.q && hi->req.q[0] && !hi->req.link) {
        /* every record was asked to be at or after the cursor: an older one means the page
         * is not the one asked for (an earlier page served again, a cursor gone backwards),
         * and paging on from it could step over records */
        int64_t qus = 0;
        int qok = http_cursor_value(hi, hi->req.q, &qus) == 0;
        for (size_t i = 0; qok && i < hi->page_n; i++) {
            size_t vs, vl;
            int64_t us = 0;
            if (gdx_json_find(text + hi->rec_start[i], hi->rec_len[i], hi->cursor_ptr, &vs, &vl) ||
                http_scalar(text + hi->rec_start[i] + vs, vl, buf, sizeof(buf)) ||
                http_cursor_value(hi, buf, &us)) {
                continue;
            }
            int older = hi->ctype == HTTP_CUR_TIMESTAMP ? us < qus
                        : hi->ctype == HTTP_CUR_NUMBER  ? http_num_cmp(buf, hi->req.q) < 0
                                                        : strcmp(buf, hi->req.q) < 0;
            if (older) {
                err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                                 "%s %s: record %zu of the page is older than the cursor it was "
                                 "asked for ('%s' < '%s'): not the page asked for",
                                 hi->method, disp, i, buf, hi->req.q);
                goto out;
            }
        }
    }
    if (hi->page_n) {
        /* a page identical to the previous one is the server's fault, never data */
        char e2[64];
        gdx_sm3_update(hi->sm3, text + rs, rl, e2, sizeof(e2));
        unsigned char d[GDX_SM3_LEN];
        gdx_sm3_final(hi->sm3, d, e2, sizeof(e2));
        gdx_hex_encode(d, sizeof(d), hi->page_digest);
        if (hi->prev_digest[0] && !strcmp(hi->prev_digest, hi->page_digest)) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                             "%s %s: the page repeats the previous page", hi->method, disp);
            goto out;
        }
    }
done:
    hi->page_date_us = 0;
    if (hi->resp.date[0] && http_date_parse(hi->resp.date, &date) == 0) {
        hi->page_date_us = (int64_t)date * 1000000;
    } else {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        hi->page_date_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
        hi->warned_date++;
    }
out:
    free(disp);
    return err;
}

/* A field of @p row by name, or NULL (also for a null value). */
static const char *http_row_get(const struct gdx_row *row, const char *name, size_t *len)
{
    for (size_t i = 0; i < row->nfields; i++) {
        if (!strcmp(row->names[i], name)) {
            *len = row->values[i] ? row->lens[i] : 0;
            return row->values[i];
        }
    }
    return NULL;
}

/* Compare a cursor value with T: <0 older, 0 same, >0 newer; T unset is older than all. */
static int http_cursor_cmp(const struct http_inst *hi, const char *text, int64_t us)
{
    if (!hi->cur_text) {
        return 1;
    }
    if (hi->ctype == HTTP_CUR_TIMESTAMP) {
        return us < hi->cur_us ? -1 : us > hi->cur_us;
    }
    if (hi->ctype == HTTP_CUR_NUMBER) {
        return http_num_cmp(text, hi->cur_text);
    }
    int c = strcmp(text, hi->cur_text);
    return c < 0 ? -1 : c > 0;
}

/* The key of a record in S: its id.field, or a digest of its text. */
static void http_record_key(struct http_inst *hi, const struct gdx_row *row, const char *raw,
                            size_t raw_len, char *out, size_t out_size)
{
    size_t l;
    const char *id = hi->id_field[0] ? http_row_get(row, hi->id_field, &l) : NULL;
    if (id) {
        snprintf(out, out_size, "%.*s", (int)(l < out_size - 1 ? l : out_size - 1), id);
        return;
    }
    unsigned char d[GDX_SM3_LEN];
    char e2[64], hex[GDX_SM3_HEX_LEN + 1];
    gdx_sm3_update(hi->sm3, raw, raw_len, e2, sizeof(e2));
    gdx_sm3_final(hi->sm3, d, e2, sizeof(e2));
    gdx_hex_encode(d, 12, hex);
    snprintf(out, out_size, "~%s", hex);
}

/*
 * A record without a usable cursor (not a JSON object, the cursor missing or unreadable) has
 * no place before or after T, so T and S cannot say whether it was sent: every pass asks
 * from T again, and an API whose filter lets it through (a text cursor '未知' sorts after
 * every time) serves it again and again. Such records are remembered by the digest of their
 * text in the position, the newest HTTP_DEAD_KEYS_MAX of them. Returns 1 when @p raw was
 * sent as a dead letter already; else remembers it and returns 0.
 */
static int http_dead_seen(struct http_inst *hi, const char *raw, size_t raw_len)
{
    static const struct gdx_row none;
    char key[GDX_SM3_HEX_LEN + 2];

    http_record_key(hi, &none, raw, raw_len, key, sizeof(key));
    if (sset_has(&hi->dead, key)) {
        hi->skipped_seen++;
        return 1;
    }
    if (hi->dead.n >= HTTP_DEAD_KEYS_MAX) {
        /* the older half goes */
        struct http_sset keep;
        memset(&keep, 0, sizeof(keep));
        for (size_t i = hi->dead.n / 2; i < hi->dead.n; i++) {
            sset_add(&keep, hi->dead.items[i]);
        }
        sset_release(&hi->dead);
        hi->dead = keep;
    }
    sset_add(&hi->dead, key);
    return 0;
}

/*
 * Hand the records of the page in hand to the batch, from page_i on. Returns 1 when the
 * batch is full, 0 when the page is done (or a held record ended it), GDX_ERR_FAIL when
 * too many records share one cursor value.
 */
static int http_page_take(struct gdx_ctx *ctx, struct http_inst *hi, struct gdx_batch *batch,
                          uint64_t *added, char *errstr, size_t errstr_size)
{
    const char *text = hi->resp.body;
    int64_t until = hi->page_date_us - hi->cursor_lag_ms * 1000;
    char jerr[300], reason[400], cval[256], key[300];

    while (hi->page_i < hi->page_n) {
        size_t i = hi->page_i;
        const char *raw = text + hi->rec_start[i];
        size_t raw_len = hi->rec_len[i];
        char *pos = http_pos(hi->page_url, i);
        struct gdx_row row;
        int take = 1, rc;

        memset(&row, 0, sizeof(row));
        if (gdx_jrow_parse(hi->jrow, raw, raw_len, &row, jerr, sizeof(jerr)) != GDX_OK) {
            snprintf(reason, sizeof(reason), "record %zu of the page: %s", i, jerr);
            row.nfields = 0;
            row.error = reason;
            if (hi->incremental && http_dead_seen(hi, raw, raw_len)) {
                take = 0; /* sent as a dead letter before this restart or pass */
            }
        } else if (hi->incremental) {
            size_t cl = 0;
            int64_t us = 0;
            const char *cv = http_row_get(&row, hi->cursor_field, &cl);
            if (!cv || cl == 0 || cl >= sizeof(cval)) {
                snprintf(reason, sizeof(reason), "cursor field '%s' is missing, null or empty",
                         hi->cursor_field);
                row.error = reason;
                row.error_field = hi->cursor_field;
            } else {
                memcpy(cval, cv, cl);
                cval[cl] = '\0';
                if (http_cursor_value(hi, cval, &us)) {
                    snprintf(reason, sizeof(reason), "cursor field '%s' is not a %s",
                             hi->cursor_field, hi->cursor_type_name);
                    row.error = reason;
                    row.error_field = hi->cursor_field;
                }
            }
            if (row.error && http_dead_seen(hi, raw, raw_len)) {
                take = 0; /* sent as a dead letter before this restart or pass */
            }
            if (!row.error) {
                int c = http_cursor_cmp(hi, cval, us);
                if (c > 0 && hi->ctype == HTTP_CUR_TIMESTAMP && us > until) {
                    /* too new for now: the pass ends here, a later one takes it */
                    hi->held = 1;
                    free(pos);
                    hi->page_i = hi->page_n;
                    return 0;
                }
                if (c < 0) {
                    hi->skipped_behind++;
                    take = 0;
                } else {
                    http_record_key(hi, &row, raw, raw_len, key, sizeof(key));
                    if (c == 0 && sset_has(&hi->keys, key)) {
                        hi->skipped_seen++;
                        take = 0;
                    } else {
                        if (c > 0) {
                            set_str(&hi->cur_text, cval);
                            hi->cur_us = us;
                            sset_clear(&hi->keys);
                        } else if ((int64_t)hi->keys.n >= hi->cursor_keys_max) {
                            free(pos);
                            return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                                              "more than cursor.keys.max (%" PRId64
                                              ") records share the "
                                              "cursor value '%s' of '%s': raise cursor.keys.max",
                                              hi->cursor_keys_max, hi->cur_text, hi->cursor_field);
                        }
                        sset_add(&hi->keys, key);
                    }
                }
            }
        }
        hi->page_i++;
        if (!take) {
            free(pos);
            continue;
        }
        row.pos = pos;
        row.raw = raw;
        row.raw_len = raw_len;
        if (row.error) {
            row.nfields = 0;
        }
        rc = gdx_batch_add(batch, &row, NULL);
        free(pos);
        (*added)++;
        if (rc == GDX_ERR_FULL) {
            return 1;
        }
    }
    (void)ctx;
    return 0;
}

/* Scheme, host and port of @p a and @p b are the same (default ports filled in). */
static int http_same_origin(const char *a, const char *b)
{
    static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
    CURLU *ua = curl_url(), *ub = curl_url();
    int same = ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
               curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
    for (size_t i = 0; same && i < sizeof(parts) / sizeof(*parts); i++) {
        char *x = NULL, *y = NULL;
        same = curl_url_get(ua, parts[i], &x, CURLU_DEFAULT_PORT) == CURLUE_OK &&
               curl_url_get(ub, parts[i], &y, CURLU_DEFAULT_PORT) == CURLUE_OK && !strcasecmp(x, y);
        curl_free(x);
        curl_free(y);
    }
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

/* After a page is done: what comes next in this pass, or its end. */
static void http_page_next(struct gdx_ctx *ctx, struct http_inst *hi)
{
    size_t n = hi->page_n;
    const char *text = hi->resp.body;
    char *tok = NULL;
    size_t ts, tl;

    hi->have_page = 0;
    memcpy(hi->prev_digest, n ? hi->page_digest : "", n ? sizeof(hi->prev_digest) : 1);
    if (hi->held || hi->pagination == HTTP_PAGE_NONE || n == 0) {
        hi->pass_end = 1;
        return;
    }
    if ((hi->pagination == HTTP_PAGE_PAGE || hi->pagination == HTTP_PAGE_OFFSET) &&
        (int64_t)n < hi->page_size) {
        hi->pass_end = 1;
        return;
    }
    char *next_token = NULL, *next_link = NULL;
    if (hi->pagination == HTTP_PAGE_TOKEN) {
        /* a token is as long as the API makes it (scroll ids run to kilobytes): never cut */
        if (gdx_json_find(text, hi->resp.len, hi->token_ptr, &ts, &tl) == GDX_OK) {
            tok = gdx_xcalloc(1, tl + 1);
        }
        if (!tok || http_scalar(text + ts, tl, tok, tl + 1) != 0 || !tok[0]) {
            free(tok);
            hi->pass_end = 1;
            return;
        }
        if (sset_has(&hi->seen, tok)) {
            gdx_ctx_log(ctx, GDX_LOG_WARN,
                        "the next-page token repeats an earlier one of this pass: the pass ends "
                        "here");
            free(tok);
            hi->pass_end = 1;
            return;
        }
        next_token = tok;
    } else if (hi->pagination == HTTP_PAGE_LINK) {
        char *rel = hi->resp.link ? http_link_next(hi->resp.link) : NULL;
        CURLU *u;
        char *abs = NULL;
        if (!rel) {
            hi->pass_end = 1;
            return;
        }
        u = curl_url();
        if (u && curl_url_set(u, CURLUPART_URL, hi->page_url, 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_URL, rel, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_URL, &abs, 0) == CURLUE_OK) {
            next_link = gdx_xstrdup(abs);
        }
        curl_free(abs);
        curl_url_cleanup(u);
        if (next_link && !http_same_origin(hi->page_url, next_link)) {
            /* the credentials (a token, a password, a signature) go with every request: a
             * Link to another scheme, host or port would hand them to it */
            char *disp = http_url_display(next_link);
            gdx_ctx_log(ctx, GDX_LOG_WARN,
                        "the Link header's next page '%s' is not on the API's host: the pass "
                        "ends here (use pagination page, offset or token for this API)",
                        disp);
            free(disp);
            free(next_link);
            free(rel);
            hi->pass_end = 1;
            return;
        }
        free(rel);
        if (!next_link || sset_has(&hi->seen, next_link)) {
            if (next_link) {
                gdx_ctx_log(ctx, GDX_LOG_WARN,
                            "the Link header's next page repeats an earlier one of this pass: the "
                            "pass ends here");
            }
            free(next_link);
            hi->pass_end = 1;
            return;
        }
    }
    if (hi->incremental && hi->uses_cursor && hi->cur_text &&
        (!hi->req.q || strcmp(hi->req.q, hi->cur_text))) {
        /* keyset paging: the next query starts from the new cursor. Its first page may be
         * this one again (more records share the new cursor than a page holds): that is the
         * answer to another query, not a page served twice */
        free(next_token);
        free(next_link);
        hi->prev_digest[0] = '\0';
        hi->in_pass = 0;
        return;
    }
    if (next_token) {
        sset_add(&hi->seen, next_token);
        free(hi->req.token);
        hi->req.token = next_token;
    } else if (next_link) {
        sset_add(&hi->seen, next_link);
        free(hi->req.link);
        hi->req.link = next_link;
    } else if (hi->pagination == HTTP_PAGE_PAGE) {
        hi->req.page++;
    } else {
        hi->req.offset += (int64_t)n;
    }
}

/* Start a pass (or the next query of one): from T, or cursor.initial at the very start. */
static void http_pass_start(struct http_inst *hi)
{
    http_req_clear(&hi->req);
    hi->req.q = gdx_xstrdup(hi->cur_text ? hi->cur_text : hi->cursor_initial);
    hi->req.page = hi->page_start;
    hi->req.offset = 0;
    hi->in_pass = 1;
    hi->pass_end = 0;
    hi->held = 0;
    sset_clear(&hi->seen);
}

/* Sleep until @p until (monotonic ms), waking on a stop request. */
static void http_sleep_until(struct gdx_ctx *ctx, int64_t until)
{
    while (!gdx_ctx_stopping(ctx)) {
        int64_t left = until - gdx_mono_ms();
        if (left <= 0) {
            return;
        }
        struct timespec ts = {0, (left < 100 ? left : 100) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int64_t http_backoff(const struct http_inst *hi, int64_t fails)
{
    int64_t b = hi->retry_backoff_ms;
    for (int64_t i = 1; i < fails && b < hi->retry_backoff_max_ms; i++) {
        b *= 2;
    }
    return b < hi->retry_backoff_max_ms ? b : hi->retry_backoff_max_ms;
}

/* The response in hi->resp, fetched from @p url, as the page in hand (or GDX_ERR_RETRY).
 * Everything after the transfer, so that tests/fuzz/fuzz-http.c drives it without a socket. */
static int http_page_load(struct http_inst *hi, const char *url, long code, char *errstr,
                          size_t errstr_size)
{
    int err = http_page_parse(hi, url, code, errstr, errstr_size);
    if (err) {
        return err;
    }
    set_str(&hi->page_url, url);
    hi->have_page = 1;
    hi->page_i = 0;
    if (hi->resume_i != SIZE_MAX) {
        hi->page_i = hi->resume_i < hi->page_n ? hi->resume_i : hi->page_n;
        hi->resume_i = SIZE_MAX;
    }
    return GDX_OK;
}

/* Fetch the current page request: GDX_OK with the page in hand, GDX_ERR_RETRY, STOPPED. */
static int http_fetch_page(struct gdx_ctx *ctx, struct http_inst *hi, int64_t *retry_ms,
                           char *errstr, size_t errstr_size)
{
    char *url = NULL, *body = NULL;
    long code = 0;
    int err;

    http_build(hi, &url, &body);
    if (hi->rate_requests > 0) {
        hi->next_request_at = gdx_mono_ms() + hi->rate_period_ms / hi->rate_requests;
    }
    err = http_perform(ctx, hi, url, body, &code, retry_ms, errstr, errstr_size);
    if (!err) {
        err = http_page_load(hi, url, code, errstr, errstr_size);
    }
    free(url);
    free(body);
    return err;
}

/* ------------------------------------------------------------------------------------- */
/* the interface */

static void http_fini(struct gdx_ctx *ctx, void *inst);

static int http_config(struct gdx_ctx *ctx, struct http_inst *hi, char *errstr, size_t errstr_size)
{
    char bad[64];
    int err;

    hi->pagination = !strcmp(hi->pagination_name, "page")     ? HTTP_PAGE_PAGE
                     : !strcmp(hi->pagination_name, "offset") ? HTTP_PAGE_OFFSET
                     : !strcmp(hi->pagination_name, "token")  ? HTTP_PAGE_TOKEN
                     : !strcmp(hi->pagination_name, "link")   ? HTTP_PAGE_LINK
                                                              : HTTP_PAGE_NONE;
    hi->ctype = !strcmp(hi->cursor_type_name, "number")   ? HTTP_CUR_NUMBER
                : !strcmp(hi->cursor_type_name, "string") ? HTTP_CUR_STRING
                                                          : HTTP_CUR_TIMESTAMP;
    hi->sign = !strcmp(hi->sign_name, "hmac-sha256") ? HTTP_SIGN_HMAC_SHA256
               : !strcmp(hi->sign_name, "hmac-sm3")  ? HTTP_SIGN_HMAC_SM3
                                                     : HTTP_SIGN_NONE;
    hi->post = !strcmp(hi->method, "POST");
    hi->body_esc = strcasestr(hi->body_ctype, "json")                    ? HTTP_ESC_JSON
                   : strcasestr(hi->body_ctype, "x-www-form-urlencoded") ? HTTP_ESC_URL
                                                                         : HTTP_ESC_RAW;
    hi->incremental = hi->cursor_field[0] != '\0';
    hi->uses_cursor = http_tmpl_uses(hi->url, "cursor") || http_tmpl_uses(hi->body, "cursor");
    if (strncmp(hi->url, "http://", 7) && strncmp(hi->url, "https://", 8)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: url must start with http:// or https://");
    }
    if (http_tmpl_check(hi->url, bad, sizeof(bad)) || http_tmpl_check(hi->body, bad, sizeof(bad))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: unknown placeholder '%s' (known: {cursor}, {page}, {size}, "
                          "{offset}, {limit}, {token})",
                          bad);
    }
    if (hi->body[0] && !hi->post) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "source: a body needs method: POST");
    }
    if (hi->records_ptr[0] && hi->records_ptr[0] != '/') {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: records.pointer '%s' must be \"\" or start with '/' (RFC 6901)",
                          hi->records_ptr);
    }
    if ((hi->ok_ptr[0] && hi->ok_ptr[0] != '/') || (hi->msg_ptr[0] && hi->msg_ptr[0] != '/') ||
        (hi->token_ptr[0] && hi->token_ptr[0] != '/')) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: ok.pointer, message.pointer and token.pointer must start "
                          "with '/'");
    }
    if (hi->page_size < 1 || hi->page_size > 1000000) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: page.size must be between 1 and 1000000");
    }
    if (hi->pagination == HTTP_PAGE_PAGE && !http_tmpl_uses(hi->url, "page") &&
        !http_tmpl_uses(hi->body, "page")) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: pagination 'page' needs {page} in url or body");
    }
    if (hi->pagination == HTTP_PAGE_OFFSET && !http_tmpl_uses(hi->url, "offset") &&
        !http_tmpl_uses(hi->body, "offset")) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: pagination 'offset' needs {offset} in url or body");
    }
    if (hi->pagination == HTTP_PAGE_TOKEN &&
        (!hi->token_ptr[0] || (!hi->token_param[0] && !http_tmpl_uses(hi->url, "token") &&
                               !http_tmpl_uses(hi->body, "token")))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: pagination 'token' needs token.pointer, and {token} in url "
                          "or body or token.param");
    }
    if (hi->cursor_lag_ms < 0 || hi->cursor_keys_max < 1 || hi->retry_max < 0 ||
        hi->rate_requests < 0 || hi->rate_period_ms < 1 || hi->record_max_depth < 1 ||
        hi->record_max_depth > 1000 || hi->response_max_bytes < 1024) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: cursor.lag.ms, retry.max and rate.limit.requests must not be "
                          "negative; cursor.keys.max, rate.limit.period.ms at least 1; "
                          "record.max.depth 1 to 1000; response.max.bytes at least 1KiB");
    }
    if (hi->cursor_initial[0] && hi->incremental) {
        int64_t us;
        if (http_cursor_value(hi, hi->cursor_initial, &us)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: cursor.initial '%s' is not a %s", hi->cursor_initial,
                              hi->cursor_type_name);
        }
    }
    if (hi->incremental && hi->ctype == HTTP_CUR_TIMESTAMP && hi->cursor_tz[0]) {
        int64_t us;
        char probe[64];
        snprintf(probe, sizeof(probe), "2026-01-01 00:00:00%s", hi->cursor_tz);
        if (http_ts_parse(probe, strlen(probe), NULL, &us)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: cursor.timezone '%s' must be an offset like +08:00",
                              hi->cursor_tz);
        }
    }
    for (char **h = hi->headers; h && *h; h++) {
        if (!strchr(*h, ':') || strpbrk(*h, "\r\n")) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: headers item '%s' must be 'Name: value'", *h);
        }
    }
    if (!strcmp(hi->auth_name, "bearer")) {
        if (hi->auth_token_file[0]) {
            if ((err = http_read_secret(ctx, "auth.token.file", hi->auth_token_file, &hi->token,
                                        &hi->token_mtime, errstr, errstr_size))) {
                return err;
            }
        } else {
            hi->token = gdx_xstrdup(hi->auth_token);
        }
        if (!hi->token[0]) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: auth 'bearer' needs auth.token or auth.token.file");
        }
    } else if (!strcmp(hi->auth_name, "basic")) {
        if (hi->auth_password_file[0]) {
            if ((err = http_read_secret(ctx, "auth.password.file", hi->auth_password_file,
                                        &hi->password, NULL, errstr, errstr_size))) {
                return err;
            }
        } else {
            hi->password = gdx_xstrdup(hi->auth_password);
        }
        if (!hi->auth_user[0]) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: auth 'basic' needs auth.user");
        }
    }
    if (hi->sign != HTTP_SIGN_NONE) {
        if (hi->sign_secret_file[0]) {
            if ((err = http_read_secret(ctx, "sign.secret.file", hi->sign_secret_file, &hi->secret,
                                        NULL, errstr, errstr_size))) {
                return err;
            }
        } else {
            hi->secret = gdx_xstrdup(hi->sign_secret);
        }
        if (!hi->sign_app_key[0] || !hi->secret[0]) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: sign '%s' needs sign.app.key and sign.secret (or "
                              "sign.secret.file)",
                              hi->sign_name);
        }
    }
    if (!hi->tls_cert_file[0] != !hi->tls_key_file[0]) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: tls.cert.file and tls.key.file go together");
    }
    return GDX_OK;
}

static int http_curl_setup(struct gdx_ctx *ctx, struct http_inst *hi, char *errstr,
                           size_t errstr_size)
{
    CURL *c;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot initialise libcurl");
    }
    hi->curl_global = 1;
    c = hi->curl = curl_easy_init();
    if (!c) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot create a libcurl handle");
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, hi->curl_err);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)hi->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)hi->request_timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &hi->resp);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hi->resp);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, http_progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, ctx);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, hi->user_agent);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* the host's deployment TLS, with this file's tls.* keys over it; verification is on */
    {
        int err = http_tls(ctx, hi, c, errstr, errstr_size);
        if (err) {
            return err;
        }
    }
    if (hi->proxy[0]) {
        curl_easy_setopt(c, CURLOPT_PROXY, hi->proxy);
    }
    if (!strcmp(hi->auth_name, "basic")) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, hi->auth_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, hi->password);
    }
    return GDX_OK;
}

/* A field name of a flattened row (a.b) as the JSON pointer of its value (/a/b). */
static char *http_field_pointer(const char *name)
{
    char *out = gdx_xcalloc(1, 2 * strlen(name) + 2), *o = out;
    *o++ = '/';
    for (const char *p = name; *p; p++) {
        if (*p == '.') {
            *o++ = '/';
        } else if (*p == '~') {
            *o++ = '~';
            *o++ = '0';
        } else if (*p == '/') {
            *o++ = '~';
            *o++ = '1';
        } else {
            *o++ = *p;
        }
    }
    return out;
}

static int http_init(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct http_inst *hi = inst;
    int err;

    hi->bulk_pass = 1;
    hi->resume_i = SIZE_MAX;
    if ((err = http_config(ctx, hi, errstr, errstr_size)) ||
        (err = http_curl_setup(ctx, hi, errstr, errstr_size))) {
        http_fini(ctx, hi);
        return err;
    }
    hi->jrow = gdx_jrow_new(GDX_JROW_FLATTEN, (int)hi->record_max_depth);
    hi->cursor_ptr = http_field_pointer(hi->cursor_field);
    hi->sm3 = gdx_sm3_new(errstr, errstr_size);
    if (!hi->sm3) {
        http_fini(ctx, hi);
        return GDX_ERR_CRYPTO;
    }
    return GDX_OK;
}

static int http_check(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct http_inst *hi = inst;
    int64_t retry_ms;
    char *disp;
    int err;

    http_pass_start(hi);
    err = http_fetch_page(ctx, hi, &retry_ms, errstr, errstr_size);
    if (err) {
        return err;
    }
    disp = http_url_display(hi->page_url);
    gdx_ctx_log(ctx, GDX_LOG_INFO, "%s %s: ok, %zu records at '%s'%s", hi->method, disp, hi->page_n,
                hi->records_ptr[0] ? hi->records_ptr : "(the response)",
                hi->resp.date[0] ? "" : "; no Date header: this host's clock is used for the lag");
    free(disp);
    if (hi->incremental && hi->page_n) {
        struct gdx_row row;
        char jerr[256];
        size_t l;
        memset(&row, 0, sizeof(row));
        if (gdx_jrow_parse(hi->jrow, hi->resp.body + hi->rec_start[0], hi->rec_len[0], &row, jerr,
                           sizeof(jerr)) != GDX_OK) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "the first record: %s", jerr);
        }
        const char *cv = http_row_get(&row, hi->cursor_field, &l);
        char cval[256];
        int64_t us;
        if (!cv || !l || l >= sizeof(cval)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "the first record has no cursor field '%s' (members of nested "
                              "objects are named a.b)",
                              hi->cursor_field);
        }
        memcpy(cval, cv, l);
        cval[l] = '\0';
        if (http_cursor_value(hi, cval, &us)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "cursor field '%s' of the first record ('%s') is not a %s",
                              hi->cursor_field, cval, hi->cursor_type_name);
        }
        gdx_ctx_log(ctx, GDX_LOG_INFO, "cursor field '%s' of the first record: '%s'",
                    hi->cursor_field, cval);
    }
    http_pass_reset(hi);
    return GDX_OK;
}

static int http_poll(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *from,
                     struct gdx_batch *batch, int timeout_ms, char *errstr, size_t errstr_size)
{
    struct http_inst *hi = inst;
    int64_t deadline = gdx_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
    uint64_t added = 0;
    int progress = 0, err = GDX_OK, idle = GDX_POLL_IDLE, rc;
    char *pos;

    if (from) {
        if ((err = http_pos_load(hi, from->json, errstr, errstr_size))) {
            return err;
        }
        set_str(&hi->last_pos, from->json);
        hi->fails = 0;
        hi->retry_at = 0;
    }
    if (!hi->incremental && hi->bulk_done) {
        if (hi->bulk_repeat_ms <= 0) {
            return GDX_POLL_DRAINED;
        }
        if (gdx_mono_ms() - hi->bulk_done_at < hi->bulk_repeat_ms) {
            return GDX_POLL_IDLE;
        }
        hi->bulk_pass++;
        hi->bulk_done = 0;
        http_pass_reset(hi);
    }
    for (;;) {
        if (gdx_ctx_stopping(ctx)) {
            break;
        }
        if (hi->have_page) {
            rc = http_page_take(ctx, hi, batch, &added, errstr, errstr_size);
            if (rc < 0) {
                err = rc;
                break;
            }
            if (rc == 1) {
                break; /* the batch is full; the page stays in hand */
            }
            http_page_next(ctx, hi);
            progress = 1;
            if (hi->incremental && hi->ctype == HTTP_CUR_TIMESTAMP && hi->cur_text) {
                double lag = (double)(hi->page_date_us - hi->cur_us) / 1e6;
                gdx_ctx_set_lag(ctx, hi->pass_end ? 0 : (lag > 0 ? lag : 0));
            } else if (hi->pass_end) {
                gdx_ctx_set_lag(ctx, 0);
            }
            continue;
        }
        if (hi->pass_end) {
            if (hi->skipped_behind) {
                gdx_ctx_log(ctx, GDX_LOG_INFO,
                            "skipped %" PRId64 " records older than the cursor (already sent)",
                            hi->skipped_behind);
                hi->skipped_behind = 0;
            }
            idle = hi->held ? GDX_POLL_IDLE : GDX_POLL_DRAINED;
            if (!hi->incremental) {
                hi->bulk_done = 1;
                hi->bulk_done_at = gdx_mono_ms();
                hi->in_pass = 0;
                gdx_ctx_log(ctx, GDX_LOG_INFO, "pass %" PRId64 " over the API complete",
                            hi->bulk_pass);
                idle = hi->bulk_repeat_ms > 0 ? GDX_POLL_IDLE : GDX_POLL_DRAINED;
            } else {
                http_pass_reset(hi);
            }
            break;
        }
        if (progress && gdx_mono_ms() >= deadline) {
            break;
        }
        if (!hi->in_pass) {
            http_pass_start(hi);
        }
        int64_t wait = hi->retry_at > hi->next_request_at ? hi->retry_at : hi->next_request_at;
        if (wait > gdx_mono_ms()) {
            if (wait > deadline && progress) {
                break;
            }
            http_sleep_until(ctx, wait < deadline ? wait : deadline);
            if (gdx_mono_ms() < wait) {
                break; /* not yet: the next poll waits on */
            }
        }
        int64_t retry_ms = -1;
        rc = http_fetch_page(ctx, hi, &retry_ms, errstr, errstr_size);
        if (rc == GDX_ERR_STOPPED) {
            break;
        }
        if (rc) {
            hi->fails++;
            if (hi->fails > hi->retry_max) {
                hi->fails = 0;
                hi->retry_at = 0;
                err = GDX_ERR_RETRY;
                break;
            }
            int64_t d = retry_ms >= 0 ? (retry_ms < hi->retry_after_max_ms ? retry_ms
                                                                           : hi->retry_after_max_ms)
                                      : http_backoff(hi, hi->fails);
            hi->retry_at = gdx_mono_ms() + d;
            gdx_ctx_log(ctx, GDX_LOG_WARN,
                        "request failed, retrying in %" PRId64 " ms (%" PRId64 " of %" PRId64
                        "): %s",
                        d, hi->fails, hi->retry_max, errstr);
            continue;
        }
        hi->fails = 0;
        hi->retry_at = 0;
        if (hi->warned_date == 1) {
            gdx_ctx_log(ctx, GDX_LOG_WARN,
                        "the server sends no Date header: this host's clock is used for "
                        "cursor.lag.ms");
            hi->warned_date++;
        }
    }
    /* hand the position over when rows were added or it moved (a pass over pages that were
     * all sent already moves nothing: no empty transaction per poll) */
    pos = http_pos_json(hi);
    if (added || !hi->last_pos || strcmp(pos, hi->last_pos)) {
        gdx_batch_set_offset(batch, pos);
        free(hi->last_pos);
        hi->last_pos = pos;
        return err ? err : GDX_OK;
    }
    free(pos);
    return err ? err : idle;
}

static int http_committed(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *upto,
                          char *errstr, size_t errstr_size)
{
    (void)ctx;
    (void)inst;
    (void)upto;
    (void)errstr;
    (void)errstr_size;
    return GDX_OK; /* nothing to acknowledge: the API keeps its records */
}

static void wipe(char **p)
{
    if (*p) {
        memset(*p, 0, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

static void http_fini(struct gdx_ctx *ctx, void *inst)
{
    struct http_inst *hi = inst;
    (void)ctx;
    if (hi->curl) {
        curl_easy_cleanup(hi->curl);
        hi->curl = NULL;
    }
    if (hi->curl_global) {
        curl_global_cleanup();
        hi->curl_global = 0;
    }
    wipe(&hi->token);
    wipe(&hi->password);
    wipe(&hi->secret);
    gdx_jrow_destroy(hi->jrow);
    hi->jrow = NULL;
    free(hi->cursor_ptr);
    hi->cursor_ptr = NULL;
    gdx_sm3_destroy(hi->sm3);
    hi->sm3 = NULL;
    free(hi->cur_text);
    hi->cur_text = NULL;
    sset_release(&hi->keys);
    sset_release(&hi->dead);
    sset_release(&hi->seen);
    http_req_clear(&hi->req);
    free(hi->resp.body);
    free(hi->resp.link);
    memset(&hi->resp, 0, sizeof(hi->resp));
    free(hi->page_url);
    hi->page_url = NULL;
    free(hi->last_pos);
    hi->last_pos = NULL;
    free(hi->rec_start);
    free(hi->rec_len);
    hi->rec_start = hi->rec_len = NULL;
    hi->rec_cap = hi->page_n = 0;
}

const struct gdx_connector gdx_connector_http = {
    .abi = GDX_CONNECTOR_ABI,
    .name = "http",
    .description = "records from a REST API, page by page, with an incremental cursor "
                   "(libcurl; bearer, basic, mTLS and gateway signatures)",
    .props = http_props,
    .inst_size = sizeof(struct http_inst),
    .init = http_init,
    .check = http_check,
    .poll = http_poll,
    .committed = http_committed,
    .fini = http_fini,
};
