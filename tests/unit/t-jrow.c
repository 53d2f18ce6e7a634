/*
 * t-jrow.c - JSON objects as rows: exact numbers, nested values, flattening, limits, and the
 * span helpers that find records inside a page.
 */
#include <string.h>

#include "gdx_jrow.h"
#include "tap.h"

static const char *field(const struct gdx_row *row, const char *name)
{
    for (size_t i = 0; i < row->nfields; i++) {
        if (strcmp(row->names[i], name) == 0) {
            return row->values[i] ? row->values[i] : "(null)";
        }
    }
    return "(absent)";
}

static void test_row(void)
{
    struct gdx_jrow *jr = gdx_jrow_new(0, 0);
    struct gdx_row row;
    char err[256];
    const char *doc = "{ \"order_no\": \"GD20260920000123\", \"amount\": 0.10, \"big\": "
                      "123456789012345678901, \"ok\": true, \"no\": false, \"gone\": null,"
                      " \"content\": \"项城市莲花街道\\u5218祖师庙社区\\n路灯不亮\","
                      " \"caller\": { \"name\": \"张三\", \"phone\": \"13800001234\" },"
                      " \"tags\": [ 1, 2.50 , \"a b\" ] }";

    memset(&row, 0, sizeof(row));
    is_int(gdx_jrow_parse(jr, doc, strlen(doc), &row, err, sizeof(err)), GDX_OK, "parses");
    is_int(row.nfields, 9, "one field per top-level member");
    is_str(field(&row, "order_no"), "GD20260920000123", "string");
    is_str(field(&row, "amount"), "0.10", "a decimal keeps its text");
    is_str(field(&row, "big"), "123456789012345678901", "a big integer keeps every digit");
    is_str(field(&row, "ok"), "true", "true");
    is_str(field(&row, "no"), "false", "false");
    is_str(field(&row, "gone"), "(null)", "null is a NULL value");
    is_str(field(&row, "content"), "项城市莲花街道刘祖师庙社区\n路灯不亮", "escapes decoded");
    is_str(field(&row, "caller"), "{\"name\":\"张三\",\"phone\":\"13800001234\"}",
           "an object is compact JSON text");
    is_str(field(&row, "tags"), "[1,2.50,\"a b\"]", "an array keeps numbers and string spaces");
    is_str(field(&row, "caller.name"), "(absent)", "no flattening unless asked");
    for (size_t i = 0; i < row.nfields; i++) {
        if (row.values[i]) {
            is_int(strlen(row.values[i]), row.lens[i], "length of %s", row.names[i]);
        }
    }
    gdx_jrow_destroy(jr);

    jr = gdx_jrow_new(GDX_JROW_FLATTEN, 0);
    is_int(gdx_jrow_parse(jr, doc, strlen(doc), &row, err, sizeof(err)), GDX_OK, "flatten");
    is_str(field(&row, "caller.name"), "张三", "nested member as a.b");
    is_str(field(&row, "caller.phone"), "13800001234", "nested member as a.b (2)");
    is_str(field(&row, "caller"), "{\"name\":\"张三\",\"phone\":\"13800001234\"}",
           "the object itself is still a field");
    const char *deep = "{\"a\":{\"b\":{\"c\":7.0}},\"d\":1}";
    is_int(gdx_jrow_parse(jr, deep, strlen(deep), &row, err, sizeof(err)), GDX_OK, "deep");
    is_str(field(&row, "a.b.c"), "7.0", "two levels down");
    is_str(field(&row, "d"), "1", "member after a nested object");
    gdx_jrow_destroy(jr);
}

static void test_errors(void)
{
    struct gdx_jrow *jr = gdx_jrow_new(0, 8);
    struct gdx_row row;
    char err[256], deep[200];
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[1,2]", "expected a JSON object"},
        {"\"x\"", "expected a JSON object"},
        {"{\"a\":1,\"a\":2}", "duplicate"},
        {"{\"a\":\"\xff\"}", "unable to decode byte"},
        {"{\"a\":1", "col"},
        {"{\"a\":1} x", "end of file expected"},
        {"", "expected a JSON object"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = gdx_jrow_parse(jr, bad[i].text, strlen(bad[i].text), &row, err, sizeof(err));
        ok(rc == GDX_ERR_PARSE && strstr(err, bad[i].want), "refused: %s (%s)", bad[i].want, err);
    }
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"a\":", 4);
    n += 4;
    for (int i = 0; i < 20; i++) {
        deep[n++] = '[';
    }
    for (int i = 0; i < 20; i++) {
        deep[n++] = ']';
    }
    deep[n++] = '}';
    is_int(gdx_jrow_parse(jr, deep, n, &row, err, sizeof(err)), GDX_ERR_PARSE, "deep nesting");
    ok(strstr(err, "nested deeper than 8 levels") != NULL, "names the limit: %s", err);
    is_int(gdx_json_depth(deep, n), 21, "depth counted");
    is_int(gdx_json_depth("{\"a\":[1,", 8), -1, "depth of truncated text");
    gdx_jrow_destroy(jr);
}

static void test_spans(void)
{
    const char *page = "{\"code\":0,\"data\":{\"total\":3,\"list\":[{\"id\":1},"
                       "{\"id\":2,\"t\":\"a]b\"} , {\"id\":3}]},\"a/b\":{\"~k\":5}}";
    size_t s, l, pos = 0, es, el;
    int n = 0;
    char buf[64];

    is_int(gdx_json_find(page, strlen(page), "/data/list", &s, &l), GDX_OK, "find /data/list");
    while (gdx_json_array_next(page + s, l, &pos, &es, &el) == 1) {
        n++;
        if (n == 2) {
            snprintf(buf, sizeof(buf), "%.*s", (int)el, page + s + es);
            is_str(buf, "{\"id\":2,\"t\":\"a]b\"}", "second element's span");
        }
    }
    is_int(n, 3, "three elements");
    is_int(gdx_json_find(page, strlen(page), "/data/list/2/id", &s, &l), GDX_OK, "array index");
    snprintf(buf, sizeof(buf), "%.*s", (int)l, page + s);
    is_str(buf, "3", "value by index");
    is_int(gdx_json_find(page, strlen(page), "/a~1b/~0k", &s, &l), GDX_OK, "escaped tokens");
    snprintf(buf, sizeof(buf), "%.*s", (int)l, page + s);
    is_str(buf, "5", "~1 and ~0");
    is_int(gdx_json_find(page, strlen(page), "", &s, &l), GDX_OK, "empty pointer");
    is_int(l, strlen(page), "is the whole document");
    is_int(gdx_json_find(page, strlen(page), "/data/nope", &s, &l), GDX_ERR_NOENT, "absent");
    is_int(gdx_json_find(page, strlen(page), "/data/list/3", &s, &l), GDX_ERR_NOENT,
           "index past the end");
    is_int(gdx_json_find(page, strlen(page), "/code/x", &s, &l), GDX_ERR_NOENT, "into a scalar");
    is_int(gdx_json_find("{\"a\":[1,2", 9, "/a", &s, &l), GDX_ERR_PARSE, "truncated page");
    pos = 0;
    is_int(gdx_json_array_next("[]", 2, &pos, &es, &el), 0, "empty array");
    pos = 0;
    is_int(gdx_json_array_next("{}", 2, &pos, &es, &el), GDX_ERR_PARSE, "not an array");
}

/* A member of an envelope as the row, the envelope validated in the same pass. */
static void test_member(void)
{
    struct gdx_jrow *jr = gdx_jrow_new(GDX_JROW_FLATTEN, 4);
    struct gdx_row row;
    char err[256];
    size_t n = 0;
    const char *line = "{\"type\": \"RECORD\", \"stream\": \"gaoling\", \"record\": {\"cert_id\": "
                       "\"GL2026000001\", \"age\": 91, \"addr\": {\"town\": \"王明口镇\"}}, "
                       "\"time_extracted\": \"2017-11-20T16:45:33.000Z\"}";
    const char *state = "{\"type\": \"STATE\", \"value\": {\"users\": 2}}";
    const char *junk = "{\"type\": \"RECORD\", \"record\": {\"a\": 1}, \"x\": tru}";
    const char *notobj = "{\"type\": \"RECORD\", \"record\": [1, 2]}";
    const char *deep = "{\"type\": \"RECORD\", \"record\": {\"a\": {\"b\": {\"c\": {\"d\": 1}}}}}";

    memset(&row, 0, sizeof(row));
    is_int(gdx_jrow_parse_at(jr, line, strlen(line), "/record", &row, err, sizeof(err)), GDX_OK,
           "a member as the row");
    is_int(row.nfields, 4, "its members, flattened");
    is_str(field(&row, "cert_id"), "GL2026000001", "member string");
    is_str(field(&row, "age"), "91", "member number as written");
    is_str(field(&row, "addr.town"), "王明口镇", "nested member flattened");
    is_str(field(&row, "type"), "(absent)", "envelope members are not fields");
    is_str(gdx_jrow_str(jr, "/type", &n), "RECORD", "envelope string by pointer");
    is_int(n, 6, "its length");
    is_str(gdx_jrow_str(jr, "/stream", NULL), "gaoling", "another envelope string");
    ok(gdx_jrow_str(jr, "/record", NULL) == NULL, "an object is not a string");
    ok(gdx_jrow_str(jr, "/nothing", NULL) == NULL, "an absent member");

    is_int(gdx_jrow_parse_at(jr, state, strlen(state), "/record", &row, err, sizeof(err)),
           GDX_ERR_NOENT, "no such member: NOENT");
    is_str(gdx_jrow_str(jr, "/type", NULL), "STATE", "the document stays loaded after NOENT");
    is_int(gdx_jrow_parse_at(jr, junk, strlen(junk), "/record", &row, err, sizeof(err)),
           GDX_ERR_PARSE, "a bad token outside the member is refused too");
    ok(strncmp(err, "col ", 4) == 0, "with its column: %s", err);
    ok(gdx_jrow_str(jr, "/type", NULL) == NULL, "nothing loaded after a parse error");
    is_int(gdx_jrow_parse_at(jr, notobj, strlen(notobj), "/record", &row, err, sizeof(err)),
           GDX_ERR_PARSE, "the member must be an object");
    is_int(gdx_jrow_parse_at(jr, deep, strlen(deep), "/record", &row, err, sizeof(err)),
           GDX_ERR_PARSE, "the depth limit counts from the top of the line");
    ok(strstr(err, "deeper than 4") != NULL, "and says so: %s", err);
    is_int(gdx_jrow_parse_at(jr, "[1]", 3, "", &row, err, sizeof(err)), GDX_ERR_PARSE,
           "the whole document must be an object with an empty pointer");
    gdx_jrow_destroy(jr);
}

int main(void)
{
    test_row();
    test_errors();
    test_spans();
    test_member();
    return done_testing();
}
