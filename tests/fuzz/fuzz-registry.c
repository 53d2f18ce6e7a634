/*
 * fuzz-registry.c - the embedded schema registry's request handling (lib/gdx_regserver.c),
 * driven without sockets through gdx_regserver_handle(), the function the libmicrohttpd
 * callback calls with the decoded path, the decoded query and the body. State is kept in
 * memory (no Kafka), through the same apply function the start-up replay uses.
 *
 * Input: up to 16 requests separated by NUL bytes, each `METHOD PATH[?QUERY]\n` and a body.
 * Properties:
 *   - every response is a JSON document; an error is {"error_code": N, "message": "..."}
 *     whose code agrees with the HTTP status (Confluent's NNNxx codes, or the status itself);
 *   - a schema registered under a subject (200 {"id": N}) is then served by GET
 *     /schemas/ids/N, and looking it up under its subject finds that id.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_err.h"
#include "gdx_regserver.h"

#define REQ_MAX 16

static json_t *call(struct gdx_regserver *srv, const char *method, const char *path,
                    const char *query, const char *body, size_t body_len, int *status)
{
    char *resp = NULL;
    json_error_t jerr;
    json_t *doc;

    *status = gdx_regserver_handle(srv, method, path, query, body, body_len, &resp);
    FUZZ_CHECK(resp);
    doc = json_loads(resp, JSON_DECODE_ANY, &jerr);
    if (!doc) {
        fprintf(stderr, "response is not JSON: %s\n", resp);
    }
    FUZZ_CHECK(doc);
    FUZZ_CHECK(*status >= 200 && *status <= 599);
    if (*status != 200) {
        json_t *code = json_object_get(doc, "error_code");
        FUZZ_CHECK(json_is_integer(code) && json_is_string(json_object_get(doc, "message")));
        json_int_t c = json_integer_value(code);
        FUZZ_CHECK(c == *status || c / 100 == *status);
    }
    free(resp);
    return doc;
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
    struct gdx_regserver *srv;
    char err[512];
    int e = 0;
    char *buf;
    size_t off = 0;

    if (size > 64 * 1024) {
        return 0;
    }
    srv = gdx_regserver_new(NULL, NULL, &e, err, sizeof(err));
    FUZZ_CHECK(srv);
    /* a NUL-terminated copy, so each piece can be used as a C string */
    buf = malloc(size + 1);
    FUZZ_CHECK(buf);
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (int n = 0; n < REQ_MAX && off < size; n++) {
        char *req = buf + off, *nl, *sp, *path, *query = NULL, *body;
        size_t rlen = strlen(req), body_len;
        int status;
        json_t *doc;

        off += rlen + 1;
        nl = strchr(req, '\n');
        if (!nl) {
            continue;
        }
        *nl = '\0';
        body = nl + 1;
        body_len = rlen - (size_t)(body - req);
        sp = strchr(req, ' ');
        if (!sp) {
            continue;
        }
        *sp = '\0';
        path = sp + 1;
        if ((query = strchr(path, '?'))) {
            *query++ = '\0';
        }
        doc = call(srv, req, path, query, body_len ? body : NULL, body_len, &status);
        if (status == 200 && !strcmp(req, "POST") && json_is_object(doc) &&
            json_is_integer(json_object_get(doc, "id")) && json_object_size(doc) == 1) {
            /* registered: served by id, and found by lookup under the subject */
            char idpath[64], lpath[1100], *copy = strdup(path), *save = NULL, *segs[4];
            json_int_t id = json_integer_value(json_object_get(doc, "id"));
            json_t *got;
            int st, nseg = 0;
            FUZZ_CHECK(copy);
            for (char *t = strtok_r(copy, "/", &save); t && nseg < 4;
                 t = strtok_r(NULL, "/", &save)) {
                segs[nseg++] = t;
            }
            FUZZ_CHECK(nseg == 3 && !strcmp(segs[0], "subjects") && !strcmp(segs[2], "versions"));
            snprintf(idpath, sizeof(idpath), "/schemas/ids/%lld", (long long)id);
            got = call(srv, "GET", idpath, NULL, NULL, 0, &st);
            FUZZ_CHECK(st == 200 && json_is_string(json_object_get(got, "schema")));
            json_decref(got);
            if (strlen(segs[1]) < 1000) {
                snprintf(lpath, sizeof(lpath), "/subjects/%s", segs[1]);
                got = call(srv, "POST", lpath, NULL, body, body_len, &st);
                FUZZ_CHECK(st == 200 && json_integer_value(json_object_get(got, "id")) == id);
                json_decref(got);
            }
            free(copy);
        }
        json_decref(doc);
    }
    free(buf);
    gdx_regserver_destroy(srv);
    return 0;
}
