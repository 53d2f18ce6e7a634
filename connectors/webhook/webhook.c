/*
 * webhook.c - the webhook connector: an HTTP(S) endpoint (libmicrohttpd) that departments'
 * systems POST records to.
 *
 * A request is answered only once its fate is known:
 *
 *  - 200 after its records are committed to Kafka (the runtime's committed() for the batch
 *    that carried them); 422 after commit when some of its records went to the dead letter
 *    topic instead, naming each by index (and line) with its reason; the rest are committed;
 *  - 4xx at once for what cannot be accepted at all (auth, method, content type, size and
 *    record limits, a body that is not JSON or is nested too deep); nothing of it is kept;
 *  - 503 with Retry-After while the pipeline is stalled (Kafka away: no batch has finished
 *    for unavailable.after.ms), when the bounded queue is full, and for requests that were
 *    queued but not yet in any transaction when the connector stops. A request is never
 *    acknowledged before its records are committed.
 *
 * Threads: libmicrohttpd's pool reads and splits bodies (body.c) and suspends each complete
 * request; the runtime's thread feeds queued requests into its batch in poll(), whole
 * requests only (the records of one request are in one transaction), and resumes them in
 * committed(). One mutex guards the queue, the in-flight list and the key window; a request
 * is suspended while its lock is held, so it cannot be resumed before it is suspended.
 *
 * Idempotency: a request may carry a key (Idempotency-Key header). The keys of committed
 * requests are kept in a window (idem.c) that is part of the position, committed in the same
 * transaction as the records: a retry after a lost response is answered 200 "duplicate" and
 * not written again, also after a SIGKILL and a restart on another host. A retry while the
 * first attempt is still in flight waits for that attempt's answer. Each batch's position
 * also names the attempt ("a"): after an aborted transaction the runtime hands back the
 * committed position, and the requests fed into an attempt it does not name are fed again
 * (their clients are still waiting); those of the named attempt were committed after all.
 *
 * Fault point for the tests (lib/gdx_fault.h): `webhook.answer` breaks the connection as the
 * answer of a waiting request goes out (after its commit, or a 503 when it was not written).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>

#include "gdx.h"
#include "gdx_crypto.h"
#include "gdx_fault.h"
#include "gdx_jrow.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_util.h"

#include "body.h"
#include "idem.h"

#define WH_KEY_MAX      GDX_LIMIT_WEBHOOK_KEY_CHARS /* characters of an idempotency key */
#define WH_REJECTED_MAX 100                         /* rejected records named in one answer */

enum wh_state {
    WH_UPLOADING, /* the body is arriving */
    WH_PENDING,   /* queued for the next batch */
    WH_WAITING,   /* a retry waiting for the answer of the same key's first attempt */
    WH_FED,       /* in an open (or aborted, not yet reconciled) attempt */
    WH_DONE,      /* answer ready */
};

struct wh_req {
    struct wh_req *next; /* in the pending queue, the fed list or a waiters list */
    struct wh_req *waiters;
    struct MHD_Connection *conn; /* NULL once the connection is gone */
    int refs;                    /* the connection's and the queue's */
    enum wh_state state;
    int suspended;
    int64_t queued_ms;
    char id[WH_KEY_MAX + 32];       /* in positions: the key, or one made up */
    char digest[WH_DIGEST_LEN + 1]; /* of the key, "" without one */
    char *body;
    size_t len, cap, reserved;
    int too_big, overflow;
    enum wh_fmt fmt;
    struct wh_span *spans;
    size_t nspans;
    uint64_t attempt;
    /* the answer */
    int status;
    char *answer;
    int replayed;
    int64_t retry_after_s;
    /* the outcome as fed: its answer once committed */
    int fed_status;
    char *fed_answer;
};

struct wh_inst {
    /* the `source:` section */
    char *listen;
    char *path;
    char *health_path;
    char *url_file;
    char *auth_name;
    char *auth_token;
    char *auth_token_file;
    char **tls_client_names;
    char *tls_cert_file;
    char *tls_key_file;
    char *tls_key_password;
    char *tls_client_ca_file;
    char *key_header;
    int64_t body_max_bytes;
    int64_t record_max_bytes;
    int64_t request_max_records;
    int64_t record_max_depth;
    int64_t queue_max_bytes;
    int64_t queue_max_requests;
    int64_t queue_timeout_ms;
    int64_t unavailable_after_ms;
    int64_t retry_after_ms;
    int64_t window_ms;
    int64_t window_keys;
    int64_t threads;
    int64_t max_connections;
    int64_t idle_timeout_ms;
    int64_t header_timeout_ms;

    /* resolved by init */
    int tls, need_token, need_cert;
    char **tokens;
    size_t ntokens;
    char *cert_pem, *key_pem, *ca_pem;
    struct wh_limits lim;
    struct MHD_Daemon *d;
    uint16_t port;
    struct gdx_ctx *ctx;
    pthread_t watchdog;
    int watchdog_started;
    struct gdx_jrow *jrow; /* the runtime's thread only */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int mu_ready;
    struct wh_req *pend_head, *pend_tail;
    struct wh_req *fed_head;
    size_t queued_bytes, queued_reqs;
    struct wh_idem *window; /* written by the runtime's thread, under mu */
    int ready;              /* the first position is known */
    int in_poll;
    int64_t last_poll_ms;
    int stalled_logged;
    int stopping;
    int quit_watchdog;
    size_t open_conns;
    uint64_t attempt_seq;
    char boot[16];
    char url[512];
    char attempt_tok[48];
    uint64_t req_seq;
    /* counters */
    uint64_t n_ok, n_dup, n_refused, n_unavail;
};

#define OFF(f) offsetof(struct wh_inst, f)

static const struct gdx_conf_prop wh_props[] = {
    {"listen", GDX_CONF_STR, OFF(listen), "127.0.0.1:8080", NULL,
     "Address and port to listen on, HOST:PORT (0.0.0.0:8443 for every interface; port 0 "
     "picks a free one and logs it)."},
    {"path", GDX_CONF_STR, OFF(path), "/records", NULL, "URL path the records are POSTed to."},
    {"health.path", GDX_CONF_STR, OFF(health_path), "/healthz", NULL,
     "GET here answers 200 while records can be accepted, 503 while not (for load balancers)."},
    {"url.file", GDX_CONF_STR, OFF(url_file), "", NULL,
     "Write the endpoint's URL to this file once it takes records (for supervisors and tests)."},
    {"auth", GDX_CONF_STR, OFF(auth_name), "token", "token|mtls|token+mtls|none",
     "How senders prove who they are: a token (Authorization: Bearer ...), a client "
     "certificate (mutual TLS), both, or nothing (refused unless listening on loopback)."},
    {"auth.token", GDX_CONF_SECRET, OFF(auth_token), "", NULL,
     "The token senders present; write ${ENV_NAME}. Never logged."},
    {"auth.token.file", GDX_CONF_STR, OFF(auth_token_file), "", NULL,
     "File with one accepted token per line (one per sending system); mode 0600."},
    {"tls.cert.file", GDX_CONF_STR, OFF(tls_cert_file), "", NULL,
     "Server certificate (PEM); with tls.key.file the endpoint speaks HTTPS."},
    {"tls.key.file", GDX_CONF_STR, OFF(tls_key_file), "", NULL, "Server private key (PEM)."},
    {"tls.key.password", GDX_CONF_SECRET, OFF(tls_key_password), "", NULL,
     "Passphrase of tls.key.file, if it is encrypted."},
    {"tls.client.ca.file", GDX_CONF_STR, OFF(tls_client_ca_file), "", NULL,
     "mtls: CA certificates (PEM) that client certificates must chain to."},
    {"tls.client.names", GDX_CONF_STRLIST, OFF(tls_client_names), "", NULL,
     "mtls: accepted certificate common names (CN); empty accepts any the CA signed."},
    {"idempotency.header", GDX_CONF_STR, OFF(key_header), "Idempotency-Key", NULL,
     "Request header carrying the sender's idempotency key (1-128 visible ASCII characters)."},
    {"idempotency.window.ms", GDX_CONF_DURATION, OFF(window_ms), "1h", NULL,
     "How long the key of a committed request is remembered: a retry within it is answered "
     "200 duplicate and not written again."},
    {"idempotency.window.keys", GDX_CONF_INT, OFF(window_keys), "10000", NULL,
     "Most keys remembered (the oldest go first); each costs 12 bytes in every committed "
     "position."},
    {"body.max.bytes", GDX_CONF_SIZE, OFF(body_max_bytes), "8MiB", NULL,
     "Largest request body; a larger one is refused with 413."},
    {"record.max.bytes", GDX_CONF_SIZE, OFF(record_max_bytes), "1MiB", NULL,
     "Largest record in a body; a body with a larger one is refused with 413."},
    {"request.max.records", GDX_CONF_INT, OFF(request_max_records), "10000", NULL,
     "Most records in one request; more are refused with 413."},
    {"record.max.depth", GDX_CONF_INT, OFF(record_max_depth), "32", NULL,
     "Deepest nesting of a record; a body nested deeper is refused with 400."},
    {"queue.max.bytes", GDX_CONF_SIZE, OFF(queue_max_bytes), "32MiB", NULL,
     "Bodies held in memory at most (arriving, queued and in flight); beyond it requests are "
     "answered 503 with Retry-After."},
    {"queue.max.requests", GDX_CONF_INT, OFF(queue_max_requests), "2000", NULL,
     "Requests held at most; beyond it 503 with Retry-After."},
    {"queue.timeout.ms", GDX_CONF_DURATION, OFF(queue_timeout_ms), "30s", NULL,
     "A request queued this long without being in a batch is answered 503 (never written)."},
    {"unavailable.after.ms", GDX_CONF_DURATION, OFF(unavailable_after_ms), "5s", NULL,
     "When no batch has finished for this long (Kafka away), new requests are answered 503 "
     "and queued ones are released with 503."},
    {"retry.after.ms", GDX_CONF_DURATION, OFF(retry_after_ms), "5s", NULL,
     "Retry-After of 503 answers (rounded up to seconds)."},
    {"server.threads", GDX_CONF_INT, OFF(threads), "2", NULL,
     "Threads reading requests (connections are multiplexed; waiting requests hold none)."},
    {"server.max.connections", GDX_CONF_INT, OFF(max_connections), "1024", NULL,
     "Most connections at once."},
    {"server.idle.timeout.ms", GDX_CONF_DURATION, OFF(idle_timeout_ms), "60s", NULL,
     "An idle or slow connection is closed after this long (a request waiting for its commit "
     "is not idle)."},
    {"server.header.timeout.ms", GDX_CONF_DURATION, OFF(header_timeout_ms), "10s", NULL,
     "A connection that sends nothing for this long before its request's headers are complete "
     "(a new one, or one kept alive between requests) is closed: idle connections cannot hold "
     "every one of server.max.connections."},
    GDX_CONF_END,
};

/* ------------------------------------------------------------------------------------- */
/* answers */

static char *wh_json_answer(const char *status, const char *id, const char *error)
{
    json_t *o = json_object();
    char *s;
    json_object_set_new(o, "status", json_string(status));
    if (id && id[0]) {
        json_object_set_new(o, "request", json_string(id));
    }
    if (error) {
        json_object_set_new(o, "error", json_string(error));
    }
    s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    return s;
}

static enum MHD_Result wh_respond(struct MHD_Connection *c, int status, const char *body,
                                  int64_t retry_after_s, int replayed)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                                             MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    char ra[32];
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after_s > 0) {
        snprintf(ra, sizeof(ra), "%" PRId64, retry_after_s);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    if (replayed) {
        MHD_add_response_header(r, "Idempotent-Replayed", "true");
    }
    if (status == 405) {
        MHD_add_response_header(r, "Allow", "POST");
    }
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result wh_refuse(struct wh_inst *wi, struct MHD_Connection *c, int status,
                                 const char *id, const char *why)
{
    char *body = wh_json_answer(status == 503 ? "unavailable" : "refused", id, why);
    enum MHD_Result ret =
        wh_respond(c, status, body, status == 503 ? (wi->retry_after_ms + 999) / 1000 : 0, 0);
    free(body);
    pthread_mutex_lock(&wi->mu);
    if (status == 503) {
        wi->n_unavail++;
    } else {
        wi->n_refused++;
    }
    pthread_mutex_unlock(&wi->mu);
    return ret;
}

/* ------------------------------------------------------------------------------------- */
/* request lifetime (under wi->mu) */

static void wh_release_body(struct wh_inst *wi, struct wh_req *r)
{
    wi->queued_bytes -= r->reserved;
    r->reserved = 0;
    free(r->body);
    r->body = NULL;
    r->len = r->cap = 0;
    free(r->spans);
    r->spans = NULL;
    r->nspans = 0;
}

static void wh_unref(struct wh_inst *wi, struct wh_req *r)
{
    if (--r->refs > 0) {
        return;
    }
    wh_release_body(wi, r);
    free(r->answer);
    free(r->fed_answer);
    free(r);
}

/* Give @p r (and the retries waiting on it) its answer and wake its connection. */
static void wh_finish(struct wh_inst *wi, struct wh_req *r, int status, const char *answer,
                      int64_t retry_after_s, int replayed)
{
    struct wh_req *w = r->waiters;
    r->waiters = NULL;
    if (r->state == WH_PENDING || r->state == WH_FED || r->state == WH_WAITING) {
        wi->queued_reqs--;
    }
    r->state = WH_DONE;
    r->status = status;
    free(r->answer);
    r->answer = gdx_xstrdup(answer);
    r->retry_after_s = retry_after_s;
    r->replayed = replayed;
    if (status == 200 && !replayed) {
        wi->n_ok++;
    } else if (replayed) {
        wi->n_dup++;
    } else if (status == 503) {
        wi->n_unavail++;
    }
    wh_release_body(wi, r);
    if (r->suspended && r->conn) {
        r->suspended = 0;
        MHD_resume_connection(r->conn);
    }
    while (w) {
        struct wh_req *nx = w->next;
        w->next = NULL;
        wh_finish(wi, w, status, answer, retry_after_s, status == 200 || status == 422);
        w = nx;
    }
    wh_unref(wi, r); /* the queue's reference */
}

/* A request still in flight with the same key, or NULL. */
static struct wh_req *wh_inflight(struct wh_inst *wi, const char *digest)
{
    for (struct wh_req *q = wi->pend_head; q; q = q->next) {
        if (!strcmp(q->digest, digest)) {
            return q;
        }
    }
    for (struct wh_req *q = wi->fed_head; q; q = q->next) {
        if (!strcmp(q->digest, digest)) {
            return q;
        }
    }
    return NULL;
}

/* Answer every queued (not yet fed) request with 503: they are in no transaction. */
static void wh_release_pending(struct wh_inst *wi, const char *why, int only_old)
{
    struct wh_req **pp = &wi->pend_head, *r;
    int64_t now = gdx_mono_ms();
    char *body = wh_json_answer("unavailable", NULL, why);
    int64_t ra = (wi->retry_after_ms + 999) / 1000;
    wi->pend_tail = NULL;
    while ((r = *pp)) {
        if (only_old && now - r->queued_ms < wi->queue_timeout_ms) {
            wi->pend_tail = r;
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        r->next = NULL;
        wh_finish(wi, r, 503, body, ra, 0);
    }
    free(body);
}

/* The pipeline is stalled: nothing has come back from the runtime for too long. */
static int wh_stalled(const struct wh_inst *wi)
{
    return !wi->ready ||
           (!wi->in_poll && gdx_mono_ms() - wi->last_poll_ms > wi->unavailable_after_ms);
}

/* ------------------------------------------------------------------------------------- */
/* the HTTP side (libmicrohttpd's threads) */

static int wh_ct_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++) {
        d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    }
    return d == 0;
}

static int wh_token_ok(struct wh_inst *wi, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    int ok = 0;
    if (!h || strncasecmp(h, "Bearer ", 7)) {
        return 0;
    }
    h += 7;
    for (size_t i = 0; i < wi->ntokens; i++) {
        ok |= wh_ct_eq(h, wi->tokens[i]);
    }
    return ok;
}

/* 0 when the client certificate is valid (and named, if names are listed), else a reason */
static const char *wh_cert_check(struct wh_inst *wi, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s;
    const gnutls_datum_t *peers;
    unsigned int status = 0, np = 0;
    gnutls_x509_crt_t crt;
    char cn[256];
    size_t cnl = sizeof(cn);
    int named = 0;

    if (!ci || !(s = (gnutls_session_t)ci->tls_session)) {
        return "client certificate required (the endpoint speaks HTTPS only with mtls)";
    }
    peers = gnutls_certificate_get_peers(s, &np);
    if (!peers || !np) {
        return "client certificate required";
    }
    if (gnutls_certificate_verify_peers2(s, &status) < 0 || status) {
        return "client certificate not valid for tls.client.ca.file";
    }
    if (!wi->tls_client_names || !wi->tls_client_names[0]) {
        return NULL;
    }
    if (gnutls_x509_crt_init(&crt) < 0) {
        return "cannot read the client certificate";
    }
    if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0 &&
        gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cnl) >= 0) {
        for (char **n = wi->tls_client_names; *n; n++) {
            named |= !strcmp(*n, cn);
        }
    }
    gnutls_x509_crt_deinit(crt);
    return named ? NULL : "client certificate name not in tls.client.names";
}

static int wh_key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n < 1 || n > WH_KEY_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (k[i] < 0x21 || k[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static enum MHD_Result wh_health(struct wh_inst *wi, struct MHD_Connection *c)
{
    char body[256];
    int ok;
    pthread_mutex_lock(&wi->mu);
    ok = !wh_stalled(wi) && !wi->stopping;
    snprintf(body, sizeof(body),
             "{\"status\":\"%s\",\"queued\":%zu,\"queued_bytes\":%zu,\"committed_keys\":%zu,"
             "\"answered_ok\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"refused\":%" PRIu64
             ",\"unavailable\":%" PRIu64 "}",
             ok ? "ok" : "unavailable", wi->queued_reqs, wi->queued_bytes,
             wh_idem_count(wi->window), wi->n_ok, wi->n_dup, wi->n_refused, wi->n_unavail);
    pthread_mutex_unlock(&wi->mu);
    return wh_respond(c, ok ? 200 : 503, body, ok ? 0 : (wi->retry_after_ms + 999) / 1000, 0);
}

/*
 * The headers that decide whether a body is taken at all: its format (Content-Type), its
 * encoding, its idempotency key and its declared length (which may be absent or wrong: the
 * body is measured as it arrives). 0 with *fmt and *clen (-1 when not declared), or the
 * status that refuses the request with the reason in @p why.
 */
static int wh_headers(const struct wh_inst *wi, const char *ct, const char *ce, const char *key,
                      const char *cl, enum wh_fmt *fmt, int64_t *clen, char *why, size_t why_size)
{
    *clen = -1;
    if (ct &&
        (strcasestr(ct, "ndjson") || strcasestr(ct, "jsonl") || strcasestr(ct, "json-lines") ||
         strcasestr(ct, "jsonlines") || strcasestr(ct, "json-seq"))) {
        *fmt = WH_FMT_JSONL;
    } else if (ct && strcasestr(ct, "json")) {
        *fmt = WH_FMT_JSON;
    } else {
        snprintf(why, why_size,
                 "Content-Type must be application/json (an object or an array "
                 "of objects) or application/x-ndjson (JSON Lines)");
        return 415;
    }
    if (ce && strcasecmp(ce, "identity")) {
        snprintf(why, why_size, "Content-Encoding is not supported: send plain JSON");
        return 415;
    }
    if (key && !wh_key_valid(key)) {
        snprintf(why, why_size, "the idempotency key must be 1 to 128 visible ASCII characters");
        return 400;
    }
    if (cl) {
        *clen = strtoll(cl, NULL, 10);
        if (*clen > wi->body_max_bytes) {
            snprintf(why, why_size,
                     "body of %" PRId64 " bytes, more than body.max.bytes (%" PRId64 ")", *clen,
                     wi->body_max_bytes);
            return 413;
        }
    }
    return 0;
}

/* The first call of a request (headers only): refuse early or admit. */
static enum MHD_Result wh_begin(struct wh_inst *wi, struct MHD_Connection *c, const char *url,
                                const char *method, void **con_cls)
{
    const char *ct, *cl, *ce, *key, *cert_why;
    char why[160];
    enum wh_fmt fmt;
    struct wh_req *r;
    int64_t clen = -1;
    int stalled, status;

    if (!strcmp(url, wi->health_path) && !strcmp(method, "GET")) {
        return wh_health(wi, c);
    }
    if (strcmp(url, wi->path)) {
        return wh_refuse(wi, c, 404, NULL, "no such path");
    }
    if (strcmp(method, "POST")) {
        return wh_refuse(wi, c, 405, NULL, "records are sent with POST");
    }
    if (wi->need_cert && (cert_why = wh_cert_check(wi, c))) {
        return wh_refuse(wi, c, 403, NULL, cert_why);
    }
    if (wi->need_token && !wh_token_ok(wi, c)) {
        return wh_refuse(wi, c, 401, NULL, "missing or wrong token (Authorization: Bearer ...)");
    }
    ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
    key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, wi->key_header);
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if ((status = wh_headers(wi, ct, ce, key, cl, &fmt, &clen, why, sizeof(why)))) {
        return wh_refuse(wi, c, status, status == 413 ? key : NULL, why);
    }
    pthread_mutex_lock(&wi->mu);
    stalled = wh_stalled(wi) || wi->stopping;
    if (stalled || wi->queued_reqs >= (size_t)wi->queue_max_requests ||
        wi->queued_bytes + (size_t)(clen > 0 ? clen : 0) > (size_t)wi->queue_max_bytes) {
        const char *why503 = wi->stopping ? "the connector is stopping"
                             : !wi->ready ? "the connector is starting"
                             : stalled    ? "kafka is not reachable: the records could not be "
                                            "committed now"
                                          : "the queue is full";
        pthread_mutex_unlock(&wi->mu);
        return wh_refuse(wi, c, 503, key, why503);
    }
    r = gdx_xcalloc(1, sizeof(*r));
    r->refs = 1;
    r->conn = c;
    r->fmt = fmt;
    r->state = WH_UPLOADING;
    r->reserved = clen > 0 ? (size_t)clen : 0;
    wi->queued_bytes += r->reserved;
    wi->queued_reqs++;
    if (key) {
        snprintf(r->id, sizeof(r->id), "%s", key);
        wh_idem_digest(key, strlen(key), r->digest);
    } else {
        snprintf(r->id, sizeof(r->id), "gdx-%s-%" PRIu64, wi->boot, ++wi->req_seq);
    }
    pthread_mutex_unlock(&wi->mu);
    *con_cls = r;
    return MHD_YES;
}

/* Body data: kept while it fits; the answer comes at the end. */
static void wh_upload(struct wh_inst *wi, struct wh_req *r, const char *data, size_t n)
{
    if (r->too_big || r->overflow) {
        return;
    }
    if (r->len + n > (size_t)wi->body_max_bytes) {
        r->too_big = 1;
        return;
    }
    if (r->len + n > r->reserved) {
        /* no or a wrong Content-Length: reserve as it arrives */
        size_t more = r->len + n - r->reserved;
        pthread_mutex_lock(&wi->mu);
        if (wi->queued_bytes + more > (size_t)wi->queue_max_bytes) {
            r->overflow = 1;
        } else {
            wi->queued_bytes += more;
            r->reserved += more;
        }
        pthread_mutex_unlock(&wi->mu);
        if (r->overflow) {
            return;
        }
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1) {
            cap *= 2;
        }
        r->body = gdx_xrealloc(r->body, cap);
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
}

/* The body is complete: refuse, answer a duplicate, or queue it and wait. */
static enum MHD_Result wh_complete(struct wh_inst *wi, struct MHD_Connection *c, struct wh_req *r)
{
    char why[512];
    int rc = 0;

    if (r->too_big) {
        snprintf(why, sizeof(why), "body larger than body.max.bytes (%" PRId64 ")",
                 wi->body_max_bytes);
        rc = 413;
    } else if (r->overflow) {
        rc = 503;
        snprintf(why, sizeof(why), "the queue is full");
    } else {
        rc = wh_body_split(r->body ? r->body : "", r->len, r->fmt, &wi->lim, &r->spans, &r->nspans,
                           why, sizeof(why));
    }
    pthread_mutex_lock(&wi->mu);
    if (rc || r->nspans == 0) {
        /* refused, or nothing to commit */
        r->state = WH_DONE;
        wi->queued_reqs--;
        wh_release_body(wi, r);
        pthread_mutex_unlock(&wi->mu);
        if (rc) {
            return wh_refuse(wi, c, rc, r->id, why);
        }
        char *body = wh_json_answer("committed", r->id, NULL);
        enum MHD_Result ret = wh_respond(c, 200, body, 0, 0);
        free(body);
        return ret;
    }
    if (r->digest[0] && wh_idem_has(wi->window, r->digest)) {
        /* a retry of a committed request: its records are in Kafka already */
        r->state = WH_DONE;
        wi->queued_reqs--;
        wi->n_dup++;
        wh_release_body(wi, r);
        pthread_mutex_unlock(&wi->mu);
        char *body = wh_json_answer("duplicate", r->id, NULL);
        enum MHD_Result ret = wh_respond(c, 200, body, 0, 1);
        free(body);
        return ret;
    }
    struct wh_req *first = r->digest[0] ? wh_inflight(wi, r->digest) : NULL;
    r->refs++; /* the queue's */
    r->queued_ms = gdx_mono_ms();
    if (first) {
        /* the same request again while its first attempt is in flight: wait for that one */
        r->state = WH_WAITING;
        wh_release_body(wi, r);
        r->next = first->waiters;
        first->waiters = r;
    } else {
        r->state = WH_PENDING;
        if (wi->pend_tail) {
            wi->pend_tail->next = r;
        } else {
            wi->pend_head = r;
        }
        wi->pend_tail = r;
        pthread_cond_signal(&wi->cv);
    }
    r->suspended = 1;
    MHD_suspend_connection(c);
    pthread_mutex_unlock(&wi->mu);
    return MHD_YES;
}

/* A timeout for libmicrohttpd, which counts in seconds (rounded up). */
static unsigned int wh_secs(int64_t ms)
{
    return (unsigned int)((ms + 999) / 1000);
}

static enum MHD_Result wh_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    struct wh_inst *wi = cls;
    struct wh_req *r = *con_cls;
    (void)version;

    if (!r) {
        /* the headers are complete: from here on the connection may idle for longer */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, wh_secs(wi->idle_timeout_ms));
        return wh_begin(wi, c, url, method, con_cls);
    }
    if (r->state == WH_UPLOADING) {
        if (*upload_size) {
            wh_upload(wi, r, upload, *upload_size);
            *upload_size = 0;
            return MHD_YES;
        }
        return wh_complete(wi, c, r);
    }
    if (r->state == WH_DONE) {
        /* resumed with the answer */
        char *answer;
        int status;
        int64_t ra;
        int rep;
        /* fault point: the connection breaks as the answer goes out (tests/it/0913) */
        if (GDX_FAULT("webhook.answer")) {
            return MHD_NO;
        }
        pthread_mutex_lock(&wi->mu);
        answer = gdx_xstrdup(r->answer ? r->answer : "{}");
        status = r->status;
        ra = r->retry_after_s;
        rep = r->replayed;
        pthread_mutex_unlock(&wi->mu);
        enum MHD_Result ret = wh_respond(c, status, answer, ra, rep);
        free(answer);
        return ret;
    }
    return MHD_YES; /* resumed spuriously: wait on */
}

static void wh_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct wh_inst *wi = cls;
    struct wh_req *r = *con_cls;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        /* kept alive: the next request's headers are due within the header timeout */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, wh_secs(wi->header_timeout_ms));
    }
    if (!r) {
        return;
    }
    pthread_mutex_lock(&wi->mu);
    r->conn = NULL;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->state == WH_DONE &&
        (r->status == 200 || r->status == 422) && !r->replayed) {
        /* committed, but the client never heard: it retries, and its key makes the retry a
         * duplicate (without a key the records are sent again) */
        gdx_log(GDX_LOG_WARN, "the answer to a committed request was not delivered",
                " request=%s reason=\"%s\" retry=\"%s\"", r->id,
                toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED   ? "the connection timed out"
                : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "the endpoint stopped"
                                                                : "the connection broke",
                r->digest[0] ? "answered as a duplicate" : "written again (no idempotency key)");
    }
    if (r->state == WH_UPLOADING) {
        /* the client went away before its body was complete */
        wi->queued_reqs--;
        r->state = WH_DONE;
        wh_release_body(wi, r);
    }
    wh_unref(wi, r);
    pthread_mutex_unlock(&wi->mu);
    *con_cls = NULL;
}

static void wh_conn_cb(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
    struct wh_inst *wi = cls;
    (void)c;
    (void)socket_context;
    pthread_mutex_lock(&wi->mu);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        wi->open_conns++;
    } else {
        wi->open_conns--;
    }
    pthread_mutex_unlock(&wi->mu);
}

static void wh_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    gdx_log(GDX_LOG_DEBUG, "http server", " detail=\"%s\"", msg);
}

/* The watchdog: queued requests that waited too long, and a stalled pipeline, get 503. */
static void *wh_watchdog(void *arg)
{
    struct wh_inst *wi = arg;
    pthread_mutex_lock(&wi->mu);
    while (!wi->quit_watchdog) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wi->cv, &wi->mu, &ts);
        if (wi->quit_watchdog || !wi->ready) {
            continue;
        }
        if (wh_stalled(wi)) {
            if (!wi->stalled_logged) {
                wi->stalled_logged = 1;
                gdx_log(GDX_LOG_WARN,
                        "no batch finished for a while: answering 503 until Kafka "
                        "takes records again",
                        " unavailable_after_ms=%" PRId64, wi->unavailable_after_ms);
            }
            if (wi->pend_head) {
                wh_release_pending(wi, "kafka is not reachable: the records were not written", 0);
            }
        } else {
            if (wi->stalled_logged) {
                wi->stalled_logged = 0;
                gdx_log(GDX_LOG_INFO, "batches finish again: accepting records", NULL);
            }
            if (wi->pend_head && gdx_mono_ms() - wi->pend_head->queued_ms > wi->queue_timeout_ms) {
                wh_release_pending(wi, "queued too long: the records were not written", 1);
            }
        }
    }
    pthread_mutex_unlock(&wi->mu);
    return NULL;
}

/* ------------------------------------------------------------------------------------- */
/* the runtime side */

static char *wh_read_file(struct gdx_ctx *ctx, const char *key, const char *file, size_t *len,
                          char *errstr, size_t errstr_size)
{
    char *path = gdx_path_join(gdx_ctx_config_dir(ctx), file);
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    if (!f) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot read %s '%s': %s", key, path,
                   strerror(errno));
        free(path);
        return NULL;
    }
    do {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = gdx_xrealloc(buf, cap);
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0 && n < (1u << 22));
    fclose(f);
    free(path);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int wh_parse_listen(const char *listen, struct sockaddr_in *sa)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    char *end;
    long port;
    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        return -1;
    }
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!host[0] || !strcmp(host, "*")) {
        sa->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (!strcmp(host, "localhost")) {
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        return -1;
    }
    return 0;
}

static void wh_fini(struct gdx_ctx *ctx, void *inst);

static int wh_config(struct gdx_ctx *ctx, struct wh_inst *wi, struct sockaddr_in *sa, char *errstr,
                     size_t errstr_size)
{
    size_t len;

    if (wh_parse_listen(wi->listen, sa)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: listen '%s' must be IPV4-ADDRESS:PORT, e.g. 0.0.0.0:8443",
                          wi->listen);
    }
    if (wi->path[0] != '/' || wi->health_path[0] != '/') {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: path and health.path must start with '/'");
    }
    wi->need_token = !strcmp(wi->auth_name, "token") || !strcmp(wi->auth_name, "token+mtls");
    wi->need_cert = !strcmp(wi->auth_name, "mtls") || !strcmp(wi->auth_name, "token+mtls");
    wi->tls = wi->tls_cert_file[0] != '\0';
    if (!wi->tls_cert_file[0] != !wi->tls_key_file[0]) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: tls.cert.file and tls.key.file go together");
    }
    if (wi->need_cert && (!wi->tls || !wi->tls_client_ca_file[0])) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: auth '%s' needs tls.cert.file, tls.key.file and "
                          "tls.client.ca.file",
                          wi->auth_name);
    }
    if (!strcmp(wi->auth_name, "none") && ntohl(sa->sin_addr.s_addr) >> 24 != 127) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: auth 'none' is refused on '%s': anyone on the network could "
                          "write records; use token or mtls (none is for loopback only)",
                          wi->listen);
    }
    if (wi->need_token) {
        if (wi->auth_token_file[0]) {
            char *text = wh_read_file(ctx, "auth.token.file", wi->auth_token_file, &len, errstr,
                                      errstr_size);
            if (!text) {
                return GDX_ERR_CONFIG;
            }
            for (char *save = NULL, *line = strtok_r(text, "\r\n", &save); line;
                 line = strtok_r(NULL, "\r\n", &save)) {
                while (*line == ' ' || *line == '\t') {
                    line++;
                }
                if (!*line || *line == '#') {
                    continue;
                }
                wi->tokens = gdx_xrealloc(wi->tokens, (wi->ntokens + 1) * sizeof(char *));
                wi->tokens[wi->ntokens++] = gdx_xstrdup(line);
                gdx_log_add_secret(line);
            }
            explicit_bzero(text, len);
            free(text);
        } else if (wi->auth_token[0]) {
            wi->tokens = gdx_xcalloc(1, sizeof(char *));
            wi->tokens[wi->ntokens++] = gdx_xstrdup(wi->auth_token);
        }
        if (!wi->ntokens) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "source: auth '%s' needs auth.token or auth.token.file",
                              wi->auth_name);
        }
        for (size_t i = 0; i < wi->ntokens; i++) {
            if (strlen(wi->tokens[i]) < 16) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                                  "source: a token must be at least 16 characters (make one "
                                  "with `openssl rand -hex 32`)");
            }
        }
    }
    if (wi->tls) {
        if (!(wi->cert_pem = wh_read_file(ctx, "tls.cert.file", wi->tls_cert_file, &len, errstr,
                                          errstr_size)) ||
            !(wi->key_pem =
                  wh_read_file(ctx, "tls.key.file", wi->tls_key_file, &len, errstr, errstr_size))) {
            return GDX_ERR_CONFIG;
        }
        if (wi->tls_client_ca_file[0] &&
            !(wi->ca_pem = wh_read_file(ctx, "tls.client.ca.file", wi->tls_client_ca_file, &len,
                                        errstr, errstr_size))) {
            return GDX_ERR_CONFIG;
        }
    }
    if (wi->window_keys < 1 || wi->window_keys > 100000 || wi->window_ms < 1000) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "source: idempotency.window.keys must be 1 to 100000 and "
                          "idempotency.window.ms at least 1s");
    }
    if (wi->record_max_depth < 1 || wi->record_max_depth > 1000 || wi->request_max_records < 1 ||
        wi->body_max_bytes < 1024 || wi->record_max_bytes < 64 || wi->threads < 1 ||
        wi->threads > 64 || wi->max_connections < 1 || wi->queue_max_requests < 1 ||
        wi->queue_max_bytes < wi->body_max_bytes || wi->header_timeout_ms < 1000) {
        return gdx_seterr(
            errstr, errstr_size, GDX_ERR_CONFIG,
            "source: record.max.depth 1 to 1000, server.threads 1 to 64, "
            "queue.max.bytes at least body.max.bytes, server.header.timeout.ms at least "
            "1s, and the other limits positive");
    }
    wi->lim.max_depth = (int)wi->record_max_depth;
    wi->lim.max_records = (size_t)wi->request_max_records;
    wi->lim.max_record_bytes = (size_t)wi->record_max_bytes;
    return GDX_OK;
}

static int wh_init(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct wh_inst *wi = inst;
    struct sockaddr_in sa;
    unsigned char rnd[6];
    unsigned int flags;
    int err;

    wi->ctx = ctx;
    pthread_mutex_init(&wi->mu, NULL);
    pthread_cond_init(&wi->cv, NULL);
    wi->mu_ready = 1;
    if ((err = wh_config(ctx, wi, &sa, errstr, errstr_size))) {
        wh_fini(ctx, wi);
        return err;
    }
    if (gdx_random_bytes(rnd, sizeof(rnd), errstr, errstr_size)) {
        wh_fini(ctx, wi);
        return GDX_ERR_CRYPTO;
    }
    gdx_hex_encode(rnd, sizeof(rnd), wi->boot);
    wi->window = wh_idem_new(wi->window_ms / 1000, (size_t)wi->window_keys);
    wi->jrow = gdx_jrow_new(GDX_JROW_FLATTEN, (int)wi->record_max_depth);

    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG | (wi->tls ? MHD_USE_TLS : 0);
    wi->d = MHD_start_daemon(
        flags, ntohs(sa.sin_port), NULL, NULL, wh_access, wi, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)wi->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)wi->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GDX_LIMIT_WEBHOOK_HEADER_BYTES,
        MHD_OPTION_CONNECTION_TIMEOUT, wh_secs(wi->header_timeout_ms), MHD_OPTION_NOTIFY_COMPLETED,
        wh_completed, wi, MHD_OPTION_NOTIFY_CONNECTION, wh_conn_cb, wi, MHD_OPTION_EXTERNAL_LOGGER,
        wh_mhd_log, wi, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1U,
        wi->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, wi->cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, wi->key_pem, MHD_OPTION_HTTPS_KEY_PASSWORD,
        wi->tls_key_password && wi->tls_key_password[0] ? wi->tls_key_password : NULL,
        wi->ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, wi->ca_pem, MHD_OPTION_END);
    if (!wi->d) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "cannot listen on '%s'%s: %s (is another copy running, or the port "
                         "taken?)",
                         wi->listen, wi->tls ? " with TLS (check the certificate and key)" : "",
                         strerror(errno));
        wh_fini(ctx, wi);
        return err;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(wi->d, MHD_DAEMON_INFO_BIND_PORT);
    wi->port = di ? di->port : ntohs(sa.sin_port);
    char host[64], url[512];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
    snprintf(url, sizeof(url), "%s://%s:%u%s", wi->tls ? "https" : "http", host, (unsigned)wi->port,
             wi->path);
    gdx_ctx_log(ctx, GDX_LOG_INFO, "listening on %s (auth %s)", url, wi->auth_name);
    snprintf(wi->url, sizeof(wi->url), "%s", url);
    wi->last_poll_ms = gdx_mono_ms();
    if (pthread_create(&wi->watchdog, NULL, wh_watchdog, wi) == 0) {
        wi->watchdog_started = 1;
    }
    return GDX_OK;
}

static int wh_check(struct gdx_ctx *ctx, void *inst, char *errstr, size_t errstr_size)
{
    struct wh_inst *wi = inst;
    (void)errstr;
    (void)errstr_size;
    gdx_ctx_log(ctx, GDX_LOG_INFO,
                "endpoint can listen on %s%s; %zu token(s); body.max.bytes %" PRId64
                ", request.max.records %" PRId64,
                wi->listen, wi->tls ? " with TLS" : " (plain HTTP: put it behind TLS)", wi->ntokens,
                wi->body_max_bytes, wi->request_max_records);
    return GDX_OK;
}

/* The attempt named by a position ("a"), into @p out. */
static void wh_pos_attempt(const char *json, char *out, size_t out_size)
{
    const char *p = json ? strstr(json, "\"a\":\"") : NULL;
    out[0] = '\0';
    if (p) {
        p += 5;
        size_t n = strcspn(p, "\"");
        snprintf(out, out_size, "%.*s", (int)(n < out_size - 1 ? n : out_size - 1), p);
    }
}

/* The attempt number of token @p tok ("<boot>-<seq>") if this process made it, else 0. */
static uint64_t wh_tok_seq(const struct wh_inst *wi, const char *tok)
{
    size_t n = strlen(wi->boot);
    if (strncmp(tok, wi->boot, n) != 0 || tok[n] != '-') {
        return 0;
    }
    return strtoull(tok + n + 1, NULL, 10);
}

/* The endpoint's URL to url.file, once it takes records (not in `gdx connector check`). */
static void wh_write_url(struct wh_inst *wi)
{
    char *p, *tmp = NULL;
    FILE *f;
    if (!wi->url_file[0]) {
        return;
    }
    p = gdx_path_join(gdx_ctx_config_dir(wi->ctx), wi->url_file);
    if (asprintf(&tmp, "%s.tmp", p) < 0) {
        abort();
    }
    if ((f = fopen(tmp, "w"))) {
        fprintf(f, "%s\n", wi->url);
        if (fclose(f) == 0 && rename(tmp, p) == 0) {
            free(tmp);
            free(p);
            return;
        }
    }
    gdx_log(GDX_LOG_WARN, "cannot write url.file", " path=%s error=\"%s\"", p, strerror(errno));
    free(tmp);
    free(p);
}

/* After a start or an aborted attempt: the window from the committed position, and the
 * requests fed into attempts it does not name fed again. Under wi->mu. */
static int wh_reconcile(struct wh_inst *wi, const char *json, char *errstr, size_t errstr_size)
{
    char committed[48];
    struct wh_req *r, *refeed = NULL, *last = NULL;
    uint64_t upto;

    wh_idem_clear(wi->window);
    if (json) {
        json_t *doc = json_loads(json, 0, NULL), *w;
        if (!json_is_object(doc)) {
            json_decref(doc);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "position '%.100s' is not a webhook position", json);
        }
        w = json_object_get(doc, "w");
        if (w) {
            char *text = json_dumps(w, JSON_COMPACT);
            if (!text || wh_idem_load(wi->window, text, strlen(text))) {
                gdx_log(GDX_LOG_WARN,
                        "the committed key window is not readable: starting without it", NULL);
            }
            free(text);
        }
        json_decref(doc);
    }
    wh_idem_expire(wi->window, (int64_t)time(NULL));
    wh_pos_attempt(json, committed, sizeof(committed));
    upto = wh_tok_seq(wi, committed);
    /* the fed requests: committed after all (attempts commit in order: every attempt up to
     * the committed one is in Kafka), or back to the front of the queue in order */
    while ((r = wi->fed_head)) {
        wi->fed_head = r->next;
        r->next = NULL;
        if (r->attempt <= upto) {
            wh_finish(wi, r, r->fed_status, r->fed_answer, 0, 0);
            continue;
        }
        r->state = WH_PENDING;
        if (last) {
            last->next = r;
        } else {
            refeed = r;
        }
        last = r;
    }
    if (refeed) {
        last->next = wi->pend_head;
        if (!wi->pend_head) {
            wi->pend_tail = last;
        }
        wi->pend_head = refeed;
    }
    if (!wi->ready) {
        wi->ready = 1;
        wh_write_url(wi);
    }
    return GDX_OK;
}

/* Feed one request's records into the batch and prepare its answer; non-zero when the batch
 * is full. */
static int wh_feed(struct wh_inst *wi, struct wh_req *r, struct gdx_batch *batch)
{
    json_t *rejected = json_array();
    size_t accepted = 0, nrej = 0;
    int full = 0;
    char pos[WH_KEY_MAX + 64], jerr[300], reason[400];

    for (size_t i = 0; i < r->nspans; i++) {
        const struct wh_span *sp = &r->spans[i];
        struct gdx_row row;
        const char *stage, *why, *field;
        memset(&row, 0, sizeof(row));
        if (gdx_jrow_parse(wi->jrow, r->body + sp->start, sp->len, &row, jerr, sizeof(jerr))) {
            if (sp->line) {
                snprintf(reason, sizeof(reason), "line %zu: %s", sp->line, jerr);
            } else {
                snprintf(reason, sizeof(reason), "record %zu: %s", i, jerr);
            }
            row.nfields = 0;
            row.error = reason;
        }
        snprintf(pos, sizeof(pos), "webhook:%s:%zu", r->id, i);
        row.pos = pos;
        row.raw = r->body + sp->start;
        row.raw_len = sp->len;
        full |= gdx_batch_add(batch, &row, NULL) == GDX_ERR_FULL;
        if (gdx_batch_last_dead(batch, &stage, &why, &field)) {
            if (nrej < WH_REJECTED_MAX) {
                json_t *o = json_object();
                json_object_set_new(o, "index", json_integer((json_int_t)i));
                if (sp->line) {
                    json_object_set_new(o, "line", json_integer((json_int_t)sp->line));
                }
                json_object_set_new(o, "stage", json_string(stage));
                if (field) {
                    json_object_set_new(o, "field", json_string(field));
                }
                json_object_set_new(o, "reason", json_string(why));
                json_array_append_new(rejected, o);
            }
            nrej++;
        } else {
            accepted++;
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(nrej ? "partial" : "committed"));
    json_object_set_new(o, "request", json_string(r->id));
    json_object_set_new(o, "records", json_integer((json_int_t)r->nspans));
    if (nrej) {
        json_object_set_new(o, "accepted", json_integer((json_int_t)accepted));
        json_object_set_new(o, "rejected", json_integer((json_int_t)nrej));
        json_object_set_new(o, "errors", rejected);
        char dlq[300];
        snprintf(dlq, sizeof(dlq), "_gdx.dlq.%s", gdx_ctx_connector_id(wi->ctx));
        json_object_set_new(o, "dead_letter_topic", json_string(dlq));
    } else {
        json_decref(rejected);
    }
    free(r->fed_answer);
    r->fed_answer = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    r->fed_status = nrej ? 422 : 200;
    json_decref(o);
    return full;
}

static int wh_poll(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *from,
                   struct gdx_batch *batch, int timeout_ms, char *errstr, size_t errstr_size)
{
    struct wh_inst *wi = inst;
    int64_t deadline = gdx_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1000);
    struct wh_req *r, *rest = NULL, *last_fed = NULL, *old_tail = NULL, *seg;
    const char **digests = NULL;
    size_t nfed = 0, nd = 0, ninflight = 0;
    int err = GDX_OK;

    pthread_mutex_lock(&wi->mu);
    wi->in_poll = 1;
    wi->last_poll_ms = gdx_mono_ms();
    if (from && (err = wh_reconcile(wi, from->json, errstr, errstr_size))) {
        wi->in_poll = 0;
        pthread_mutex_unlock(&wi->mu);
        return err;
    }
    while (!wi->pend_head && !gdx_ctx_stopping(ctx) && gdx_mono_ms() < deadline) {
        struct timespec ts;
        int64_t left = deadline - gdx_mono_ms();
        clock_gettime(CLOCK_REALTIME, &ts);
        left = left < 100 ? left : 100;
        ts.tv_nsec += left * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wi->cv, &wi->mu, &ts);
    }
    if (gdx_ctx_stopping(ctx) || !wi->pend_head) {
        wi->in_poll = 0;
        wi->last_poll_ms = gdx_mono_ms();
        pthread_mutex_unlock(&wi->mu);
        gdx_ctx_set_lag(ctx, 0);
        return GDX_OK; /* waited the whole timeout: nothing to commit */
    }
    /* the lag: how long the oldest request waiting for this batch has waited */
    gdx_ctx_set_lag(ctx, (double)(gdx_mono_ms() - wi->pend_head->queued_ms) / 1000.0);
    /* The queue becomes this attempt's in-flight list at once, so a retry arriving while
     * the records are fed finds its first attempt and waits for it. (After a commit or a
     * reconcile nothing else is in flight.) */
    wi->attempt_seq++;
    snprintf(wi->attempt_tok, sizeof(wi->attempt_tok), "%s-%" PRIu64, wi->boot, wi->attempt_seq);
    /* Appended to the requests of earlier attempts still being committed (the runtime polls
     * the next batch while the one before commits). */
    for (r = wi->fed_head; r; r = r->next) {
        old_tail = r;
    }
    seg = wi->pend_head;
    if (old_tail) {
        old_tail->next = seg;
    } else {
        wi->fed_head = seg;
    }
    wi->pend_head = wi->pend_tail = NULL;
    for (r = seg; r; r = r->next) {
        r->state = WH_FED;
        r->attempt = wi->attempt_seq;
    }
    pthread_mutex_unlock(&wi->mu);

    /* whole requests only: the batch bounds are looked at between requests */
    for (r = seg; r; r = r->next) {
        size_t before = gdx_batch_count(batch);
        int full = wh_feed(wi, r, batch);
        if (gdx_batch_count(batch) == before) {
            rest = r; /* the batch took nothing (it is failing): r and the rest go back */
            break;
        }
        last_fed = r;
        nfed++;
        if (full || gdx_ctx_stopping(ctx)) {
            rest = r->next;
            break;
        }
    }

    pthread_mutex_lock(&wi->mu);
    if (rest) {
        /* back to the front of the queue, in order */
        struct wh_req *tail = rest;
        if (last_fed) {
            last_fed->next = NULL;
        } else if (old_tail) {
            old_tail->next = NULL;
        } else {
            wi->fed_head = NULL;
        }
        for (r = rest; r; r = r->next) {
            r->state = WH_PENDING;
            tail = r;
        }
        tail->next = wi->pend_head;
        if (!wi->pend_head) {
            wi->pend_tail = tail;
        }
        wi->pend_head = rest;
    }
    /* the window this position carries: the committed keys, the keys of the attempts before
     * this one (they commit first, or this one is aborted with them) and this one's */
    for (r = wi->fed_head; r; r = r->next) {
        ninflight++;
    }
    digests = gdx_xcalloc(ninflight + 1, sizeof(*digests));
    for (r = wi->fed_head; r; r = r->next) {
        if (r->digest[0]) {
            digests[nd++] = r->digest;
        }
    }
    int64_t now_s = (int64_t)time(NULL);
    wh_idem_expire(wi->window, now_s);
    char *wtext = nfed ? wh_idem_text_with(wi->window, digests, nd, now_s) : NULL;
    wi->in_poll = 0;
    wi->last_poll_ms = gdx_mono_ms();
    pthread_mutex_unlock(&wi->mu);
    free(digests);

    if (nfed) {
        size_t n = strlen(wtext) + 96;
        char *pos = gdx_xcalloc(1, n);
        snprintf(pos, n, "{\"a\":\"%s\",\"w\":%s}", wi->attempt_tok, wtext);
        gdx_batch_set_offset(batch, pos);
        free(pos);
        free(wtext);
    }
    return GDX_OK;
}

static int wh_committed(struct gdx_ctx *ctx, void *inst, const struct gdx_offset *upto,
                        char *errstr, size_t errstr_size)
{
    struct wh_inst *wi = inst;
    char committed[48];
    struct wh_req **pp, *r;
    int64_t now_s = (int64_t)time(NULL);
    uint64_t seq;
    (void)ctx;
    (void)errstr;
    (void)errstr_size;

    wh_pos_attempt(upto->json, committed, sizeof(committed));
    seq = wh_tok_seq(wi, committed);
    pthread_mutex_lock(&wi->mu);
    wi->last_poll_ms = gdx_mono_ms();
    /* attempts commit in order: every request fed up to the committed attempt is in Kafka;
     * requests of later attempts (fed while this one was being committed) wait for theirs */
    pp = &wi->fed_head;
    while ((r = *pp)) {
        if (r->attempt <= seq) {
            *pp = r->next;
            r->next = NULL;
            if (r->digest[0]) {
                wh_idem_add(wi->window, r->digest, now_s);
            }
            wh_finish(wi, r, r->fed_status, r->fed_answer, 0, 0);
        } else {
            pp = &r->next;
        }
    }
    pthread_mutex_unlock(&wi->mu);
    return GDX_OK;
}

static void wh_fini(struct gdx_ctx *ctx, void *inst)
{
    struct wh_inst *wi = inst;
    (void)ctx;
    if (!wi->mu_ready) {
        return;
    }
    pthread_mutex_lock(&wi->mu);
    wi->stopping = 1;
    wi->quit_watchdog = 1;
    pthread_cond_broadcast(&wi->cv);
    /* never acknowledged: whatever was not committed is released with 503 */
    wh_release_pending(wi, "the connector is stopping: the records were not written", 0);
    while ((wi->fed_head)) {
        struct wh_req *r = wi->fed_head;
        char *body = wh_json_answer("unavailable", r->id,
                                    "the connector is stopping: the records were not committed");
        wi->fed_head = r->next;
        r->next = NULL;
        wh_finish(wi, r, 503, body, (wi->retry_after_ms + 999) / 1000, 0);
        free(body);
    }
    pthread_mutex_unlock(&wi->mu);
    if (wi->watchdog_started) {
        pthread_join(wi->watchdog, NULL);
        wi->watchdog_started = 0;
    }
    if (wi->d) {
        /* let the resumed requests get their answers out, then stop */
        int64_t until = gdx_mono_ms() + 2000;
        MHD_quiesce_daemon(wi->d);
        for (;;) {
            size_t open;
            pthread_mutex_lock(&wi->mu);
            open = wi->open_conns;
            pthread_mutex_unlock(&wi->mu);
            if (!open || gdx_mono_ms() > until) {
                break;
            }
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(wi->d);
        wi->d = NULL;
    }
    for (size_t i = 0; i < wi->ntokens; i++) {
        explicit_bzero(wi->tokens[i], strlen(wi->tokens[i]));
        free(wi->tokens[i]);
    }
    free(wi->tokens);
    wi->tokens = NULL;
    wi->ntokens = 0;
    free(wi->cert_pem);
    if (wi->key_pem) {
        explicit_bzero(wi->key_pem, strlen(wi->key_pem));
    }
    free(wi->key_pem);
    free(wi->ca_pem);
    wi->cert_pem = wi->key_pem = wi->ca_pem = NULL;
    wh_idem_destroy(wi->window);
    wi->window = NULL;
    gdx_jrow_destroy(wi->jrow);
    wi->jrow = NULL;
    pthread_cond_destroy(&wi->cv);
    pthread_mutex_destroy(&wi->mu);
    wi->mu_ready = 0;
}

const struct gdx_connector gdx_connector_webhook = {
    .abi = GDX_CONNECTOR_ABI,
    .name = "webhook",
    .description = "records POSTed by departments' systems (JSON, arrays, JSON Lines), answered "
                   "only after they are committed; idempotency keys survive restarts",
    .props = wh_props,
    .inst_size = sizeof(struct wh_inst),
    .init = wh_init,
    .check = wh_check,
    .poll = wh_poll,
    .committed = wh_committed,
    .fini = wh_fini,
};
