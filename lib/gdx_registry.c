/*
 * gdx_registry.c - schema registry client: the Confluent REST API over libcurl.
 *
 * A connector registers its schema once at start and then frames every record with the id,
 * so the client keeps two caches: (subject, schema text) -> id for registration and lookup,
 * and id -> schema text for decoders. Entries never expire: in the Confluent model an id
 * names one schema forever, and a subject's id for a given text never changes. The caches
 * are plain arrays searched linearly; a process sees a handful of schemas.
 *
 * Failures are classified where they happen: a connection failure, a timeout or a 5xx
 * answer is GDX_ERR_RETRY (the registry may come back), a refusal of the schema (409
 * incompatible, 422 invalid) is GDX_ERR_SCHEMA carrying the registry's own message, so a
 * connector stops with the registry's reason. The password of basic auth is registered as
 * a log secret and never appears in messages: the URL is shown without its user info. HTTPS
 * takes its settings from a struct gdx_tls (the deployment file's, normally): verification is
 * always on, and a refused certificate is reported by cause (expired, wrong host, untrusted).
 *
 * One CURL handle is reused (keep-alive); the client is not thread-safe.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "gdx_err.h"
#include "gdx_fault.h"
#include "gdx_limits.h"
#include "gdx_log.h"
#include "gdx_registry.h"
#include "gdx_tls.h"

#define REG_CONNECT_TIMEOUT_MS 5000
#define REG_TIMEOUT_MS         10000
#define REG_MAX_RESPONSE       GDX_LIMIT_REGISTRY_ANSWER /* no answer of ours is bigger */
#define REG_CONTENT_TYPE       "application/vnd.schemaregistry.v1+json"

struct reg_subject_ent {
    char *subject;
    char *schema;
    int32_t id;
};

struct reg_id_ent {
    int32_t id;
    char *schema;
};

struct gdx_registry {
    char *url;          /* base URL without a trailing slash */
    char *display;      /* the URL without user info, for messages */
    char *auth;         /* "user:password" or NULL */
    struct gdx_tls tls; /* https: CA, client certificate; verification always on */
    CURL *curl;
    struct curl_slist *headers;
    struct reg_subject_ent *subjects;
    size_t nsubjects, cap_subjects;
    struct reg_id_ent *ids;
    size_t nids, cap_ids;
};

struct reg_buf {
    char *data;
    size_t len, cap;
    int overflow;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        abort();
    }
    return d;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* "http://user:pw@host:8081/x/" -> "http://host:8081/x" for messages */
static char *display_url(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *slash = strchr(host, '/');
    const char *at = strchr(host, '@');
    char *out;

    if (at && (!slash || at < slash)) {
        size_t pre = (size_t)(host - url);
        out = xrealloc(NULL, strlen(url) + 1);
        memcpy(out, url, pre);
        strcpy(out + pre, at + 1);
    } else {
        out = xstrdup(url);
    }
    return out;
}

struct gdx_registry *gdx_registry_new(const char *url, const char *basic_auth, const char *ca_file,
                                      char *errstr, size_t errstr_size)
{
    struct gdx_registry *reg;
    size_t len;

    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                   "invalid schema registry url '%s': expected http:// or https://",
                   url ? url : "");
        return NULL;
    }
    if (basic_auth && !strchr(basic_auth, ':')) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                   "invalid schema registry basic auth: expected 'user:password'");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot initialise libcurl");
        return NULL;
    }
    reg = calloc(1, sizeof(*reg));
    if (!reg) {
        abort();
    }
    reg->url = xstrdup(url);
    len = strlen(reg->url);
    while (len > 0 && reg->url[len - 1] == '/') {
        reg->url[--len] = '\0';
    }
    reg->display = display_url(reg->url);
    if (basic_auth) {
        const char *pw = strchr(basic_auth, ':') + 1;
        reg->auth = xstrdup(basic_auth);
        if (*pw) {
            gdx_log_add_secret(pw);
        }
    }
    reg->tls.ca_file = ca_file ? xstrdup(ca_file) : NULL;
    reg->curl = curl_easy_init();
    if (!reg->curl) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot create a libcurl handle");
        gdx_registry_destroy(reg);
        return NULL;
    }
    reg->headers = curl_slist_append(NULL, "Content-Type: " REG_CONTENT_TYPE);
    reg->headers =
        curl_slist_append(reg->headers, "Accept: " REG_CONTENT_TYPE ", application/json");
    if (!reg->headers) {
        abort();
    }
    return reg;
}

void gdx_registry_destroy(struct gdx_registry *reg)
{
    if (!reg) {
        return;
    }
    for (size_t i = 0; i < reg->nsubjects; i++) {
        free(reg->subjects[i].subject);
        free(reg->subjects[i].schema);
    }
    free(reg->subjects);
    for (size_t i = 0; i < reg->nids; i++) {
        free(reg->ids[i].schema);
    }
    free(reg->ids);
    if (reg->curl) {
        curl_easy_cleanup(reg->curl);
    }
    curl_global_cleanup(); /* reference counted: pairs with the init in _new */
    curl_slist_free_all(reg->headers);
    free(reg->url);
    free(reg->display);
    free_secret(reg->auth);
    gdx_tls_release(&reg->tls);
    free(reg);
}

/* ---------------------------------------------------------------------------------------
 * Caches */

static int cache_subject_find(const struct gdx_registry *reg, const char *subject,
                              const char *schema, int32_t *id)
{
    for (size_t i = 0; i < reg->nsubjects; i++) {
        if (!strcmp(reg->subjects[i].subject, subject) &&
            !strcmp(reg->subjects[i].schema, schema)) {
            *id = reg->subjects[i].id;
            return 1;
        }
    }
    return 0;
}

static const char *cache_id_find(const struct gdx_registry *reg, int32_t id)
{
    for (size_t i = 0; i < reg->nids; i++) {
        if (reg->ids[i].id == id) {
            return reg->ids[i].schema;
        }
    }
    return NULL;
}

static const char *cache_id_add(struct gdx_registry *reg, int32_t id, const char *schema)
{
    const char *have = cache_id_find(reg, id);
    if (have) {
        return have;
    }
    if (reg->nids == reg->cap_ids) {
        reg->cap_ids = reg->cap_ids ? 2 * reg->cap_ids : 8;
        reg->ids = xrealloc(reg->ids, reg->cap_ids * sizeof(*reg->ids));
    }
    reg->ids[reg->nids].id = id;
    reg->ids[reg->nids].schema = xstrdup(schema);
    return reg->ids[reg->nids++].schema;
}

static void cache_subject_add(struct gdx_registry *reg, const char *subject, const char *schema,
                              int32_t id)
{
    int32_t have;
    if (cache_subject_find(reg, subject, schema, &have)) {
        return;
    }
    if (reg->nsubjects == reg->cap_subjects) {
        reg->cap_subjects = reg->cap_subjects ? 2 * reg->cap_subjects : 8;
        reg->subjects = xrealloc(reg->subjects, reg->cap_subjects * sizeof(*reg->subjects));
    }
    reg->subjects[reg->nsubjects].subject = xstrdup(subject);
    reg->subjects[reg->nsubjects].schema = xstrdup(schema);
    reg->subjects[reg->nsubjects].id = id;
    reg->nsubjects++;
    cache_id_add(reg, id, schema);
}

/* ---------------------------------------------------------------------------------------
 * HTTP */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct reg_buf *b = userdata;
    size_t n = size * nmemb;

    if (b->len + n > REG_MAX_RESPONSE) {
        b->overflow = 1;
        return 0; /* makes libcurl fail the transfer */
    }
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* The registry's `message` of an error answer, or a short excerpt of the body. */
static void error_message(json_t *root, const struct reg_buf *b, char *out, size_t out_size,
                          long *code)
{
    json_t *m = root ? json_object_get(root, "message") : NULL;
    json_t *c = root ? json_object_get(root, "error_code") : NULL;

    *code = json_is_integer(c) ? (long)json_integer_value(c) : 0;
    if (json_is_string(m)) {
        snprintf(out, out_size, "%s", json_string_value(m));
    } else if (b->len) {
        snprintf(out, out_size, "%.200s", b->data);
    } else {
        snprintf(out, out_size, "empty answer");
    }
}

/*
 * One request. @p path is already escaped. On a 2xx answer *root holds the parsed JSON (an
 * array, object, or for bare numbers a JSON integer). Other answers are mapped to errors:
 * 5xx and transport errors GDX_ERR_RETRY, 404 GDX_ERR_NOENT, 409/422 GDX_ERR_SCHEMA, 401/403
 * GDX_ERR_CONFIG; *http_code and *api_code get the HTTP status and the registry's code.
 */
static int reg_request(struct gdx_registry *reg, const char *method, const char *path,
                       const char *body, json_t **root, long *api_code, char *errstr,
                       size_t errstr_size)
{
    struct reg_buf b = {NULL, 0, 0, 0};
    char curlerr[CURL_ERROR_SIZE] = "", msg[512];
    char *url;
    long status = 0, code = 0;
    json_error_t jerr;
    json_t *doc = NULL;
    CURLcode cc;
    int ret;
    size_t ulen = strlen(reg->url) + strlen(path) + 1;

    *root = NULL;
    *api_code = 0;
    url = xrealloc(NULL, ulen);
    snprintf(url, ulen, "%s%s", reg->url, path);

    curl_easy_reset(reg->curl);
    curl_easy_setopt(reg->curl, CURLOPT_URL, url);
    curl_easy_setopt(reg->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(reg->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)REG_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(reg->curl, CURLOPT_TIMEOUT_MS, (long)REG_TIMEOUT_MS);
    curl_easy_setopt(reg->curl, CURLOPT_HTTPHEADER, reg->headers);
    curl_easy_setopt(reg->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(reg->curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(reg->curl, CURLOPT_ERRORBUFFER, curlerr);
    curl_easy_setopt(reg->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(reg->curl, CURLOPT_USERAGENT, "gdx-registry-client");
    if (reg->auth) {
        curl_easy_setopt(reg->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(reg->curl, CURLOPT_USERPWD, reg->auth);
    }
    if ((ret = gdx_tls_curl(&reg->tls, reg->curl, errstr, errstr_size))) {
        goto out;
    }
    if (body) {
        curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(reg->curl, CURLOPT_CUSTOMREQUEST, method);

    cc = GDX_FAULT("registry.call") ? CURLE_COULDNT_CONNECT : curl_easy_perform(reg->curl);
    if (cc != CURLE_OK) {
        char why[1024];
        if (b.overflow) {
            snprintf(why, sizeof(why), "answer too large");
            ret = GDX_ERR_RETRY;
        } else {
            ret =
                gdx_tls_curl_explain(reg->curl, cc, curlerr, &reg->tls, reg->url, why, sizeof(why));
        }
        gdx_seterr(errstr, errstr_size, ret, "cannot reach schema registry '%s': %s", reg->display,
                   why);
        goto out;
    }
    curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, &status);
    if (b.len) {
        doc = json_loadb(b.data, b.len, JSON_DECODE_ANY, &jerr);
    }
    if (status >= 200 && status < 300) {
        if (!doc) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                             "schema registry '%s' answered %s %s with invalid JSON", reg->display,
                             method, path);
            goto out;
        }
        *root = doc;
        doc = NULL;
        ret = GDX_OK;
        goto out;
    }
    error_message(doc, &b, msg, sizeof(msg), &code);
    *api_code = code;
    if (status >= 500) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_RETRY,
                         "schema registry '%s' failed (HTTP %ld, error code %ld): %s", reg->display,
                         status, code, msg);
    } else if (status == 404) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "%s (error code %ld)", msg, code);
    } else if (status == 409 || status == 422) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "%s (error code %ld)", msg, code);
    } else if (status == 401 || status == 403) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "schema registry '%s' refused the credentials (HTTP %ld): %s",
                         reg->display, status, msg);
    } else {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                         "schema registry '%s' answered %s %s with HTTP %ld: %s", reg->display,
                         method, path, status, msg);
    }
out:
    json_decref(doc);
    free(b.data);
    free(url);
    return ret;
}

/* "/subjects/<escaped subject><suffix>" */
static char *subject_path(struct gdx_registry *reg, const char *prefix, const char *subject,
                          const char *suffix)
{
    char *esc = curl_easy_escape(reg->curl, subject, 0);
    size_t n;
    char *p;

    if (!esc) {
        abort();
    }
    n = strlen(prefix) + strlen(esc) + strlen(suffix) + 1;
    p = xrealloc(NULL, n);
    snprintf(p, n, "%s%s%s", prefix, esc, suffix);
    curl_free(esc);
    return p;
}

static char *schema_body(const char *schema_text)
{
    json_t *o = json_pack("{s:s}", "schema", schema_text);
    char *s;
    if (!o) {
        return NULL;
    }
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static int get_id(json_t *root, int32_t *id)
{
    json_t *j = json_object_get(root, "id");
    if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > INT32_MAX) {
        return -1;
    }
    *id = (int32_t)json_integer_value(j);
    return 0;
}

void gdx_registry_set_tls(struct gdx_registry *reg, const struct gdx_tls *tls)
{
    gdx_tls_release(&reg->tls);
    gdx_tls_merge(&reg->tls, tls);
}

int gdx_registry_register(struct gdx_registry *reg, const char *subject, const char *schema_text,
                          int32_t *id, char *errstr, size_t errstr_size)
{
    json_t *root = NULL;
    char *path, *body, inner[512];
    long code;
    int ret;

    if (cache_subject_find(reg, subject, schema_text, id)) {
        return GDX_OK;
    }
    body = schema_body(schema_text);
    if (!body) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                          "cannot register schema under subject '%s': text is not valid UTF-8",
                          subject);
    }
    path = subject_path(reg, "/subjects/", subject, "/versions");
    ret = reg_request(reg, "POST", path, body, &root, &code, inner, sizeof(inner));
    if (ret == GDX_OK) {
        if (get_id(root, id)) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                             "schema registry '%s' answered the registration under subject "
                             "'%s' without an id",
                             reg->display, subject);
        } else {
            cache_subject_add(reg, subject, schema_text, *id);
        }
    } else if (ret == GDX_ERR_NOENT) {
        /* not an answer of a schema registry: a wrong base URL, most likely */
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                         "cannot register schema under subject '%s' at '%s': %s", subject,
                         reg->display, inner);
    } else if (ret == GDX_ERR_SCHEMA) {
        ret = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                         "schema registry refused the schema for subject '%s': %s", subject, inner);
    } else {
        gdx_seterr(errstr, errstr_size, ret, "cannot register schema under subject '%s': %s",
                   subject, inner);
    }
    json_decref(root);
    free(path);
    free(body);
    return ret;
}

int gdx_registry_lookup(struct gdx_registry *reg, const char *subject, const char *schema_text,
                        int32_t *id, char *errstr, size_t errstr_size)
{
    json_t *root = NULL;
    char *path, *body, inner[512];
    long code;
    int ret;

    if (cache_subject_find(reg, subject, schema_text, id)) {
        return GDX_OK;
    }
    body = schema_body(schema_text);
    if (!body) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                          "cannot look up schema under subject '%s': text is not valid UTF-8",
                          subject);
    }
    path = subject_path(reg, "/subjects/", subject, "");
    ret = reg_request(reg, "POST", path, body, &root, &code, inner, sizeof(inner));
    if (ret == GDX_OK) {
        if (get_id(root, id)) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                             "schema registry '%s' answered the lookup under subject '%s' "
                             "without an id",
                             reg->display, subject);
        } else {
            cache_subject_add(reg, subject, schema_text, *id);
        }
    } else if (ret == GDX_ERR_NOENT) {
        gdx_seterr(errstr, errstr_size, ret, "schema not registered under subject '%s': %s",
                   subject, inner);
    } else {
        gdx_seterr(errstr, errstr_size, ret, "cannot look up schema under subject '%s': %s",
                   subject, inner);
    }
    json_decref(root);
    free(path);
    free(body);
    return ret;
}

int gdx_registry_get(struct gdx_registry *reg, int32_t id, const char **schema_text, char *errstr,
                     size_t errstr_size)
{
    json_t *root = NULL, *js;
    char path[64], inner[512];
    long code;
    int ret;

    if ((*schema_text = cache_id_find(reg, id))) {
        return GDX_OK;
    }
    if (id < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "invalid schema id %d", (int)id);
    }
    snprintf(path, sizeof(path), "/schemas/ids/%d", (int)id);
    ret = reg_request(reg, "GET", path, NULL, &root, &code, inner, sizeof(inner));
    if (ret == GDX_OK) {
        js = json_object_get(root, "schema");
        if (!json_is_string(js)) {
            ret = gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL,
                             "schema registry '%s' answered schema id %d without a schema",
                             reg->display, (int)id);
        } else {
            *schema_text = cache_id_add(reg, id, json_string_value(js));
        }
    } else if (ret == GDX_ERR_NOENT) {
        gdx_seterr(errstr, errstr_size, ret, "schema id %d not found in registry '%s': %s", (int)id,
                   reg->display, inner);
    } else {
        gdx_seterr(errstr, errstr_size, ret, "cannot fetch schema id %d: %s", (int)id, inner);
    }
    json_decref(root);
    return ret;
}

int gdx_registry_set_compat(struct gdx_registry *reg, const char *subject, const char *level,
                            char *errstr, size_t errstr_size)
{
    json_t *root = NULL, *o;
    char *path, *body, inner[512];
    long code;
    int ret;

    o = json_pack("{s:s}", "compatibility", level);
    body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "invalid compatibility level for subject '%s'", subject);
    }
    path = subject_path(reg, "/config/", subject, "");
    ret = reg_request(reg, "PUT", path, body, &root, &code, inner, sizeof(inner));
    if (ret == GDX_ERR_SCHEMA) {
        ret =
            gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                       "cannot set compatibility '%s' on subject '%s': %s", level, subject, inner);
    } else if (ret != GDX_OK) {
        gdx_seterr(errstr, errstr_size, ret, "cannot set compatibility of subject '%s': %s",
                   subject, inner);
    }
    json_decref(root);
    free(path);
    free(body);
    return ret;
}
