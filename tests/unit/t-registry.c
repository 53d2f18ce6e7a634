/*
 * t-registry.c - the schema registry client (lib/gdx_registry.c) against the embedded
 * registry (lib/gdx_regserver.c) served in-process over an in-process mock cluster; the
 * registry's request handling without HTTP; its rebuild from `_schemas`; and the client's
 * error mapping against a scripted HTTP server (5xx, 401, 409, unreachable).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "gdx_broker.h"
#include "gdx_err.h"
#include "gdx_kafka.h"
#include "gdx_log.h"
#include "gdx_registry.h"
#include "gdx_regserver.h"
#include "tap.h"

static char errstr[1024];

/* 12345 hotline work order: logicalType and a default, which Avro-C would drop on printing */
static const char *WO_V1 =
    "{\"type\": \"record\", \"name\": \"WorkOrder\", \"namespace\": \"gov.hotline12345\",\n"
    " \"doc\": \"12345热线工单\", \"fields\": [\n"
    "  {\"name\": \"order_no\", \"type\": \"string\", \"doc\": \"工单编号\"},\n"
    "  {\"name\": \"received_at\", \"type\": {\"type\": \"long\", \"logicalType\": "
    "\"timestamp-millis\"}, \"doc\": \"受理时间\"},\n"
    "  {\"name\": \"channel\", \"type\": \"string\", \"default\": \"电话\"}]}";

/* v2 adds a field with a default: BACKWARD compatible */
static const char *WO_V2 =
    "{\"type\": \"record\", \"name\": \"WorkOrder\", \"namespace\": \"gov.hotline12345\",\n"
    " \"fields\": [\n"
    "  {\"name\": \"order_no\", \"type\": \"string\"},\n"
    "  {\"name\": \"received_at\", \"type\": {\"type\": \"long\", \"logicalType\": "
    "\"timestamp-millis\"}},\n"
    "  {\"name\": \"channel\", \"type\": \"string\", \"default\": \"电话\"},\n"
    "  {\"name\": \"street\", \"type\": [\"null\", \"string\"], \"default\": null}]}";

/* v3 adds a field without a default: refused under BACKWARD */
static const char *WO_BAD =
    "{\"type\": \"record\", \"name\": \"WorkOrder\", \"namespace\": \"gov.hotline12345\",\n"
    " \"fields\": [\n"
    "  {\"name\": \"order_no\", \"type\": \"string\"},\n"
    "  {\"name\": \"received_at\", \"type\": {\"type\": \"long\", \"logicalType\": "
    "\"timestamp-millis\"}},\n"
    "  {\"name\": \"channel\", \"type\": \"string\", \"default\": \"电话\"},\n"
    "  {\"name\": \"street\", \"type\": [\"null\", \"string\"], \"default\": null},\n"
    "  {\"name\": \"handler_unit\", \"type\": \"string\"}]}";

static const char *GRID =
    "{\"type\":\"record\",\"name\":\"GridIncident\",\"namespace\":\"gov.grid\",\"fields\":["
    "{\"name\":\"incident_id\",\"type\":\"string\",\"doc\":\"事件编号\"},"
    "{\"name\":\"grid_code\",\"type\":\"string\",\"doc\":\"网格编码\"}]}";

static int handle(struct gdx_regserver *srv, const char *method, const char *path,
                  const char *query, const char *body, char **resp)
{
    free(*resp);
    *resp = NULL;
    return gdx_regserver_handle(srv, method, path, query, body, body ? strlen(body) : 0, resp);
}

static char *schema_body(const char *text)
{
    json_t *o = json_pack("{s:s}", "schema", text);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static long long jint(const char *doc, const char *key)
{
    json_t *j = json_loads(doc ? doc : "", 0, NULL);
    json_t *v = j ? json_object_get(j, key) : NULL;
    long long n = json_is_integer(v) ? json_integer_value(v) : -999;
    json_decref(j);
    return n;
}

/* ---------------------------------------------------------------------------------------
 * Request handling, memory only */

static void test_handler(void)
{
    struct gdx_regserver *srv = gdx_regserver_new(NULL, NULL, NULL, errstr, sizeof(errstr));
    char *resp = NULL, *b1 = schema_body(WO_V1), *b2 = schema_body(WO_V2);
    char *bbad = schema_body(WO_BAD), *bgrid = schema_body(GRID);
    char *bprim = schema_body("\"string\"");
    char *binvalid = schema_body("{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"a\","
                                 "\"type\":\"no_such_type\"}]}");

    ok(srv != NULL, "memory-only registry");
    is_int(handle(srv, "GET", "/subjects", NULL, NULL, &resp), 200, "GET /subjects");
    is_str(resp, "[]", "no subjects yet");
    is_int(handle(srv, "GET", "/config", NULL, NULL, &resp), 200, "GET /config");
    is_str(resp, "{\"compatibilityLevel\":\"BACKWARD\"}", "global default BACKWARD");

    is_int(handle(srv, "POST", "/subjects/wo-value/versions", NULL, b1, &resp), 200, "register");
    is_int(jint(resp, "id"), 1, "first id is 1");
    is_int(handle(srv, "POST", "/subjects/wo-value/versions", NULL, b1, &resp), 200,
           "register again");
    is_int(jint(resp, "id"), 1, "same schema, same id");
    is_int(handle(srv, "POST", "/subjects/other-value/versions", NULL, b1, &resp), 200,
           "same schema under another subject");
    is_int(jint(resp, "id"), 1, "reuses the global id");
    is_int(handle(srv, "GET", "/schemas/ids/1", NULL, NULL, &resp), 200, "GET /schemas/ids/1");
    {
        json_t *j = json_loads(resp, 0, NULL);
        is_str(json_string_value(json_object_get(j, "schema")), WO_V1,
               "schema text served verbatim (logicalType, default, Chinese docs)");
        json_decref(j);
    }
    is_int(handle(srv, "POST", "/subjects/wo-value/versions", NULL, bbad, &resp), 409,
           "field without default refused under BACKWARD");
    is_int(jint(resp, "error_code"), 409, "error_code 409");
    is_int(
        handle(srv, "POST", "/compatibility/subjects/wo-value/versions/latest", NULL, bbad, &resp),
        200, "compatibility check answers 200");
    is_str(resp, "{\"is_compatible\":false}", "is_compatible false");
    is_int(handle(srv, "POST", "/compatibility/subjects/wo-value/versions/1", NULL, b2, &resp), 200,
           "compatibility of v2");
    is_str(resp, "{\"is_compatible\":true}", "is_compatible true");
    is_int(handle(srv, "POST", "/subjects/wo-value/versions", NULL, b2, &resp), 200, "v2");
    is_int(jint(resp, "id"), 2, "v2 gets id 2");
    is_int(handle(srv, "GET", "/subjects/wo-value/versions", NULL, NULL, &resp), 200, "versions");
    is_str(resp, "[1,2]", "versions 1 and 2");
    is_int(handle(srv, "GET", "/subjects/wo-value/versions/latest", NULL, NULL, &resp), 200,
           "latest");
    is_int(jint(resp, "version"), 2, "latest is version 2");
    is_int(handle(srv, "GET", "/subjects/wo-value/versions/7", NULL, NULL, &resp), 404,
           "missing version");
    is_int(jint(resp, "error_code"), 40402, "40402");
    is_int(handle(srv, "GET", "/subjects/wo-value/versions/zero", NULL, NULL, &resp), 422,
           "bad version");
    is_int(jint(resp, "error_code"), 42202, "42202");
    is_int(handle(srv, "GET", "/subjects/nope/versions", NULL, NULL, &resp), 404,
           "unknown subject");
    is_int(jint(resp, "error_code"), 40401, "40401");
    is_int(handle(srv, "POST", "/subjects/wo-value", NULL, b2, &resp), 200, "lookup");
    is_int(jint(resp, "version"), 2, "lookup finds version 2");
    is_int(handle(srv, "POST", "/subjects/wo-value", NULL, bgrid, &resp), 404,
           "lookup of another schema");
    is_int(jint(resp, "error_code"), 40403, "40403");
    is_int(handle(srv, "POST", "/subjects/grid-value/versions", NULL, binvalid, &resp), 422,
           "invalid schema");
    is_int(jint(resp, "error_code"), 42201, "42201");
    is_int(handle(srv, "POST", "/subjects/s-value/versions", NULL, bprim, &resp), 200,
           "a primitive schema is valid Avro");
    is_int(jint(resp, "id"), 3, "id 3");

    is_int(handle(srv, "PUT", "/config/wo-value", NULL, "{\"compatibility\":\"none\"}", &resp), 200,
           "PUT /config/wo-value");
    is_str(resp, "{\"compatibility\":\"NONE\"}", "level echoed in capitals");
    is_int(handle(srv, "PUT", "/config", NULL, "{\"compatibility\":\"SIDEWAYS\"}", &resp), 422,
           "unknown level");
    is_int(jint(resp, "error_code"), 42203, "42203");
    is_int(handle(srv, "GET", "/config/grid-value", NULL, NULL, &resp), 404,
           "no subject-level config");
    is_int(jint(resp, "error_code"), 40408, "40408");
    is_int(handle(srv, "GET", "/config/grid-value", "defaultToGlobal=true", NULL, &resp), 200,
           "defaultToGlobal");
    is_int(handle(srv, "POST", "/subjects/wo-value/versions", NULL, bbad, &resp), 200,
           "NONE lets the field without default in");

    is_int(handle(srv, "DELETE", "/subjects/wo-value/versions/3", NULL, NULL, &resp), 200,
           "soft delete of version 3");
    is_str(resp, "3", "answers the version");
    is_int(handle(srv, "DELETE", "/subjects/wo-value/versions/3", NULL, NULL, &resp), 404,
           "second soft delete");
    is_int(jint(resp, "error_code"), 40406, "40406");
    is_int(handle(srv, "GET", "/schemas/ids/4", NULL, NULL, &resp), 200,
           "a soft-deleted schema still resolves by id");
    is_int(handle(srv, "DELETE", "/subjects/other-value", NULL, NULL, &resp), 200,
           "soft delete of a subject");
    is_str(resp, "[1]", "answers its versions");
    is_int(handle(srv, "GET", "/subjects", NULL, NULL, &resp), 200, "subjects");
    is_str(resp, "[\"wo-value\",\"s-value\"]", "deleted subject hidden");
    is_int(handle(srv, "GET", "/subjects", "deleted=true", NULL, &resp), 200, "subjects");
    is_str(resp, "[\"wo-value\",\"other-value\",\"s-value\"]", "shown with deleted=true");
    is_int(handle(srv, "DELETE", "/subjects/s-value", "permanent=true", NULL, &resp), 404,
           "permanent delete needs a soft delete first");
    is_int(jint(resp, "error_code"), 40405, "40405");
    is_int(handle(srv, "GET", "/nothing/here", NULL, NULL, &resp), 404, "unknown path");

    free(resp);
    free(b1);
    free(b2);
    free(bbad);
    free(bgrid);
    free(bprim);
    free(binvalid);
    gdx_regserver_destroy(srv);
}

/* ---------------------------------------------------------------------------------------
 * Client against the registry, over HTTP and the mock cluster */

static void test_client(struct gdx_broker *broker)
{
    struct gdx_kafka_conf kc = {(char *)(uintptr_t)gdx_broker_bootstraps(broker), NULL, 0};
    struct gdx_regserver *srv;
    struct gdx_registry *reg;
    const char *text = NULL;
    int32_t id = -1, id2 = -1, id3 = -1;
    int err = 0;
    char url[128];

    srv = gdx_regserver_new(&kc, NULL, &err, errstr, sizeof(errstr));
    ok(srv != NULL, "registry loads an empty _schemas: %s", srv ? "ok" : errstr);
    if (!srv) {
        return;
    }
    is_int(gdx_regserver_listen(srv, "127.0.0.1:0", errstr, sizeof(errstr)), GDX_OK,
           "listen on a free port");
    snprintf(url, sizeof(url), "%s/", gdx_regserver_url(srv));
    reg = gdx_registry_new(url, NULL, NULL, errstr, sizeof(errstr));
    ok(reg != NULL, "client for %s", url);

    is_int(gdx_registry_set_compat(reg, "gov.hotline12345.workorders.workorder-value",
                                   "BACKWARD_TRANSITIVE", errstr, sizeof(errstr)),
           GDX_OK, "set BACKWARD_TRANSITIVE: %s", errstr);
    is_int(gdx_registry_set_compat(reg, "x-value", "SOMETIMES", errstr, sizeof(errstr)),
           GDX_ERR_CONFIG, "unknown level refused: %s", errstr);
    is_int(gdx_registry_register(reg, "gov.hotline12345.workorders.workorder-value", WO_V1, &id,
                                 errstr, sizeof(errstr)),
           GDX_OK, "register: %s", errstr);
    ok(id > 0, "got id %d", (int)id);
    is_int(gdx_registry_register(reg, "gov.grid.incidents.incident-value", GRID, &id2, errstr,
                                 sizeof(errstr)),
           GDX_OK, "register a second subject");
    ok(id2 != id, "a different schema gets a different id");
    is_int(gdx_registry_register(reg, "gov.hotline12345.workorders.workorder-value", WO_BAD, &id3,
                                 errstr, sizeof(errstr)),
           GDX_ERR_SCHEMA, "incompatible schema refused");
    ok(strstr(errstr, "incompatible") && strstr(errstr, "409"), "the reason is the registry's: %s",
       errstr);
    is_int(gdx_registry_register(reg, "y-value", "{\"type\":\"fixed\",\"name\":\"F\"}", &id3,
                                 errstr, sizeof(errstr)),
           GDX_ERR_SCHEMA, "invalid schema refused: %s", errstr);
    is_int(gdx_registry_lookup(reg, "gov.grid.incidents.incident-value", WO_V1, &id3, errstr,
                               sizeof(errstr)),
           GDX_ERR_NOENT, "lookup of an unregistered schema: %s", errstr);
    is_int(gdx_registry_get(reg, 9999, &text, errstr, sizeof(errstr)), GDX_ERR_NOENT,
           "unknown id: %s", errstr);

    /* a second client, cold cache: lookup and get go to the server */
    {
        struct gdx_registry *reg2 = gdx_registry_new(url, NULL, NULL, errstr, sizeof(errstr));
        int32_t lid = -1;
        is_int(gdx_registry_lookup(reg2, "gov.hotline12345.workorders.workorder-value", WO_V1, &lid,
                                   errstr, sizeof(errstr)),
               GDX_OK, "lookup: %s", errstr);
        is_int(lid, id, "lookup finds the registered id");
        is_int(gdx_registry_get(reg2, id, &text, errstr, sizeof(errstr)), GDX_OK, "get by id");
        is_str(text, WO_V1, "schema text round-trips verbatim");
        gdx_registry_destroy(reg2);
    }

    /* restart: a new registry over the same topic has the same state */
    gdx_regserver_destroy(srv);
    srv = gdx_regserver_new(&kc, NULL, &err, errstr, sizeof(errstr));
    ok(srv != NULL, "registry rebuilds from _schemas");
    if (srv) {
        char *resp = NULL;
        is_int(handle(srv, "GET", "/config/gov.hotline12345.workorders.workorder-value", NULL, NULL,
                      &resp),
               200, "subject config survives");
        is_str(resp, "{\"compatibilityLevel\":\"BACKWARD_TRANSITIVE\"}",
               "still BACKWARD_TRANSITIVE");
        is_int(handle(srv, "GET", "/subjects/gov.grid.incidents.incident-value/versions/1", NULL,
                      NULL, &resp),
               200, "version survives");
        is_int(jint(resp, "id"), id2, "with the same id");
        free(resp);
        gdx_regserver_destroy(srv);
        srv = NULL;
    }

    /* cached answers need no server */
    id3 = -1;
    is_int(gdx_registry_register(reg, "gov.hotline12345.workorders.workorder-value", WO_V1, &id3,
                                 errstr, sizeof(errstr)),
           GDX_OK, "cached registration works with the registry down");
    is_int(id3, id, "same id from the cache");
    is_int(gdx_registry_get(reg, id2, &text, errstr, sizeof(errstr)), GDX_OK,
           "cached id works with the registry down");
    is_int(gdx_registry_get(reg, 4242, &text, errstr, sizeof(errstr)), GDX_ERR_RETRY,
           "unreachable registry is transient: %s", errstr);
    gdx_registry_destroy(reg);
    gdx_regserver_destroy(srv);
}

/* ---------------------------------------------------------------------------------------
 * Error mapping against a scripted server */

struct script {
    unsigned int status;
    const char *body;
    int saw_auth;
    int saw_type;
};

static enum MHD_Result scripted(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **req_cls)
{
    struct script *s = cls;
    struct MHD_Response *resp;
    const char *auth, *ct;
    enum MHD_Result ret;
    static int marker;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;

    if (*req_cls == NULL) {
        *req_cls = &marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    s->saw_auth = auth && !strcmp(auth, "Basic Z2R4OnMzY3JldC3lr4bnoIE="); /* gdx:s3cret-密码 */
    s->saw_type = ct && !strcmp(ct, "application/vnd.schemaregistry.v1+json");
    resp = MHD_create_response_from_buffer(strlen(s->body), (void *)(uintptr_t)s->body,
                                           MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(conn, s->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void test_errors(void)
{
    struct script s = {503, "{\"error_code\":50001,\"message\":\"Error in the backend\"}", 0, 0};
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL,
                                            NULL, scripted, &s, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    struct gdx_registry *reg;
    int32_t id;
    char url[128];

    ok(d && info, "scripted server");
    if (!d || !info) {
        return;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)info->port);
    reg = gdx_registry_new(url, "gdx:s3cret-密码", NULL, errstr, sizeof(errstr));
    is_int(gdx_registry_register(reg, "a-value", GRID, &id, errstr, sizeof(errstr)), GDX_ERR_RETRY,
           "503 is transient: %s", errstr);
    ok(s.saw_auth, "basic auth sent");
    ok(s.saw_type, "content type application/vnd.schemaregistry.v1+json");
    ok(!strstr(errstr, "s3cret"), "the password is not in the message");

    s.status = 409;
    s.body = "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}";
    is_int(gdx_registry_register(reg, "a-value", GRID, &id, errstr, sizeof(errstr)), GDX_ERR_SCHEMA,
           "409 is a schema refusal");
    ok(strstr(errstr, "Schema being registered is incompatible") != NULL,
       "with the registry's message: %s", errstr);
    s.status = 422;
    s.body = "{\"error_code\":42201,\"message\":\"Invalid schema\"}";
    is_int(gdx_registry_register(reg, "a-value", GRID, &id, errstr, sizeof(errstr)), GDX_ERR_SCHEMA,
           "422 is a schema refusal: %s", errstr);
    s.status = 401;
    s.body = "{\"error_code\":401,\"message\":\"Unauthorized\"}";
    is_int(gdx_registry_get(reg, 1, &(const char *){NULL}, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "401 is a configuration error: %s", errstr);
    s.status = 200;
    s.body = "not json";
    is_int(gdx_registry_get(reg, 1, &(const char *){NULL}, errstr, sizeof(errstr)), GDX_ERR_FAIL,
           "garbage answer: %s", errstr);
    gdx_registry_destroy(reg);
    MHD_stop_daemon(d);

    reg = gdx_registry_new("http://gdx:pw-xyz@127.0.0.1:1", NULL, NULL, errstr, sizeof(errstr));
    is_int(gdx_registry_get(reg, 1, &(const char *){NULL}, errstr, sizeof(errstr)), GDX_ERR_RETRY,
           "connection refused is transient");
    ok(!strstr(errstr, "pw-xyz"), "user info of the URL not in the message: %s", errstr);
    gdx_registry_destroy(reg);
    ok(gdx_registry_new("ftp://x", NULL, NULL, errstr, sizeof(errstr)) == NULL,
       "non-HTTP URL refused: %s", errstr);
    ok(gdx_registry_new("http://x", "nocolon", NULL, errstr, sizeof(errstr)) == NULL,
       "basic auth without ':' refused");
}

int main(void)
{
    struct gdx_broker *broker;

    gdx_log_set_level(GDX_LOG_WARN);
    test_handler();
    broker = gdx_broker_new(1, errstr, sizeof(errstr));
    ok(broker != NULL, "mock cluster: %s", broker ? "ok" : errstr);
    if (broker) {
        is_int(gdx_broker_topic_create(broker, "_schemas", 1, 1, errstr, sizeof(errstr)), GDX_OK,
               "create _schemas with 1 partition");
        test_client(broker);
        gdx_broker_destroy(broker);
    }
    test_errors();
    return done_testing();
}
