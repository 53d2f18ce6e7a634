/*
 * t-compat.c - Avro schema resolution (the spec's "Schema Resolution" rules, case by case)
 * and the registry's compatibility levels.
 */
#include <stdio.h>
#include <string.h>

#include "gdx_compat.h"
#include "gdx_err.h"
#include "tap.h"

struct rcase {
    const char *name;
    const char *reader;
    const char *writer;
    int can_read;
    const char *reason; /* substring of the reason when can_read == 0, or NULL */
};

#define REC(fields)                                                                                \
    "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"gov.t\",\"fields\":[" fields "]}"
#define F(n, t)     "{\"name\":\"" n "\",\"type\":" t "}"
#define FD(n, t, d) "{\"name\":\"" n "\",\"type\":" t ",\"default\":" d "}"
#define ENUM(syms)  "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[" syms "]}"
#define ENUMD(syms, d)                                                                             \
    "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[" syms "],\"default\":\"" d "\"}"
#define DEC(p, s)                                                                                  \
    "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":" #p ",\"scale\":" #s "}"

static const struct rcase cases[] = {
    /* primitives: identity and the spec's promotions */
    {"int reads int", "\"int\"", "\"int\"", 1, NULL},
    {"long reads int", "\"long\"", "\"int\"", 1, NULL},
    {"float reads int", "\"float\"", "\"int\"", 1, NULL},
    {"double reads int", "\"double\"", "\"int\"", 1, NULL},
    {"float reads long", "\"float\"", "\"long\"", 1, NULL},
    {"double reads long", "\"double\"", "\"long\"", 1, NULL},
    {"double reads float", "\"double\"", "\"float\"", 1, NULL},
    {"bytes reads string", "\"bytes\"", "\"string\"", 1, NULL},
    {"string reads bytes", "\"string\"", "\"bytes\"", 1, NULL},
    {"int cannot read long", "\"int\"", "\"long\"", 0, "type long cannot be read as int"},
    {"long cannot read float", "\"long\"", "\"float\"", 0, "float cannot be read as long"},
    {"float cannot read double", "\"float\"", "\"double\"", 0, NULL},
    {"int cannot read string", "\"int\"", "\"string\"", 0, NULL},
    {"boolean cannot read int", "\"boolean\"", "\"int\"", 0, NULL},
    {"null reads null", "\"null\"", "\"null\"", 1, NULL},
    {"string cannot read null", "\"string\"", "\"null\"", 0, NULL},
    /* records: fields matched by name; added need defaults; removed are ignored */
    {"record: same fields", REC(F("a", "\"int\"")), REC(F("a", "\"int\"")), 1, NULL},
    {"record: field added with default", REC(F("a", "\"int\"") "," FD("b", "\"string\"", "\"x\"")),
     REC(F("a", "\"int\"")), 1, NULL},
    {"record: field added without default", REC(F("a", "\"int\"") "," F("b", "\"string\"")),
     REC(F("a", "\"int\"")), 0, "field 'b'"},
    {"record: field removed", REC(F("a", "\"int\"")), REC(F("a", "\"int\"") "," F("b", "\"long\"")),
     1, NULL},
    {"record: field promoted int to long", REC(F("a", "\"long\"")), REC(F("a", "\"int\"")), 1,
     NULL},
    {"record: field narrowed long to int", REC(F("a", "\"int\"")), REC(F("a", "\"long\"")), 0,
     "field 'a': type long cannot be read as int"},
    {"record: field order does not matter", REC(F("b", "\"int\"") "," F("a", "\"int\"")),
     REC(F("a", "\"int\"") "," F("b", "\"int\"")), 1, NULL},
    {"record: reader field alias matches writer name",
     REC("{\"name\":\"new_a\",\"aliases\":[\"a\"],\"type\":\"int\"}"), REC(F("a", "\"int\"")), 1,
     NULL},
    {"record: renamed field without alias or default", REC(F("new_a", "\"int\"")),
     REC(F("a", "\"int\"")), 0, "field 'new_a'"},
    {"record: names differ", "{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}", 0, "names differ"},
    {"record: reader alias matches writer name",
     "{\"type\":\"record\",\"name\":\"S\",\"aliases\":[\"old.R\"],\"fields\":[]}",
     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}", 1, NULL},
    {"record: unqualified names match across namespaces",
     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":[]}",
     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"b\",\"fields\":[]}", 1, NULL},
    {"record: nested field path in reason",
     REC(F("addr", "{\"type\":\"record\",\"name\":\"A\",\"fields\":[" F("city", "\"int\"") "]}")),
     REC(F("addr",
           "{\"type\":\"record\",\"name\":\"A\",\"fields\":[" F("city", "\"string\"") "]}")),
     0, "field 'addr.city'"},
    /* enums */
    {"enum: same symbols", ENUM("\"A\",\"B\""), ENUM("\"A\",\"B\""), 1, NULL},
    {"enum: reader adds a symbol", ENUM("\"A\",\"B\",\"C\""), ENUM("\"A\",\"B\""), 1, NULL},
    {"enum: writer symbol missing in reader", ENUM("\"A\""), ENUM("\"A\",\"B\""), 0, "symbol 'B'"},
    {"enum: writer symbol missing, reader has default", ENUMD("\"A\",\"Z\"", "Z"),
     ENUM("\"A\",\"B\""), 1, NULL},
    /* fixed */
    {"fixed: same size", "{\"type\":\"fixed\",\"name\":\"X\",\"size\":16}",
     "{\"type\":\"fixed\",\"name\":\"X\",\"size\":16}", 1, NULL},
    {"fixed: size differs", "{\"type\":\"fixed\",\"name\":\"X\",\"size\":8}",
     "{\"type\":\"fixed\",\"name\":\"X\",\"size\":16}", 0, "size"},
    /* arrays and maps resolve their items and values */
    {"array: items promoted", "{\"type\":\"array\",\"items\":\"long\"}",
     "{\"type\":\"array\",\"items\":\"int\"}", 1, NULL},
    {"array: items narrowed", "{\"type\":\"array\",\"items\":\"int\"}",
     "{\"type\":\"array\",\"items\":\"long\"}", 0, NULL},
    {"map: values promoted", "{\"type\":\"map\",\"values\":\"double\"}",
     "{\"type\":\"map\",\"values\":\"float\"}", 1, NULL},
    {"map cannot read array", "{\"type\":\"map\",\"values\":\"int\"}",
     "{\"type\":\"array\",\"items\":\"int\"}", 0, NULL},
    /* unions */
    {"union reads a branch", "[\"null\",\"string\"]", "\"string\"", 1, NULL},
    {"union reads by promotion", "[\"null\",\"long\"]", "\"int\"", 1, NULL},
    {"union without a matching branch", "[\"null\",\"string\"]", "\"int\"", 0, "branch"},
    {"non-union reads union: every branch must resolve", "\"string\"", "[\"null\",\"string\"]", 0,
     "null"},
    {"non-union reads union of promotable branches", "\"double\"", "[\"int\",\"float\"]", 1, NULL},
    {"union reads union: superset", "[\"null\",\"string\",\"int\"]", "[\"null\",\"string\"]", 1,
     NULL},
    {"union reads union: branch removed", "[\"null\",\"string\"]", "[\"null\",\"string\",\"int\"]",
     0, NULL},
    {"record: field made nullable with default", REC(FD("a", "[\"null\",\"string\"]", "null")),
     REC(F("a", "\"string\"")), 1, NULL},
    {"record: nullable field made required", REC(F("a", "\"string\"")),
     REC(FD("a", "[\"null\",\"string\"]", "null")), 0, "field 'a'"},
    /* logical types: resolved as the underlying type; decimal precision/scale must agree */
    {"timestamp-millis reads plain long",
     "{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "\"long\"", 1, NULL},
    {"date (int) read as long", "\"long\"", "{\"type\":\"int\",\"logicalType\":\"date\"}", 1, NULL},
    {"decimal same precision and scale", DEC(12, 2), DEC(12, 2), 1, NULL},
    {"decimal precision changed", DEC(14, 2), DEC(12, 2), 0, "precision or scale"},
    {"decimal scale changed", DEC(12, 3), DEC(12, 2), 0, "decimal"},
    /* named type references and recursion */
    {"recursive list resolves",
     "{\"type\":\"record\",\"name\":\"Node\",\"fields\":[" F("v", "\"long\"") "," FD(
         "next", "[\"null\",\"Node\"]", "null") "]}",
     "{\"type\":\"record\",\"name\":\"Node\",\"fields\":[" F("v", "\"int\"") "," FD(
         "next", "[\"null\",\"Node\"]", "null") "]}",
     1, NULL},
};

static void test_matrix(void)
{
    char err[1024];
    size_t n = sizeof(cases) / sizeof(cases[0]);
    ok(n >= 30, "matrix has at least 30 cases (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        const struct rcase *c = &cases[i];
        err[0] = '\0';
        int got = gdx_compat_can_read(c->reader, c->writer, err, sizeof(err));
        is_int(got, c->can_read, "%s", c->name);
        if (got != c->can_read) {
            diag("reason: %s", err);
        }
        if (c->can_read == 0 && c->reason) {
            ok(strstr(err, c->reason) != NULL, "%s: reason names '%s'", c->name, c->reason);
            if (!strstr(err, c->reason)) {
                diag("reason: %s", err);
            }
        }
    }
}

static void test_invalid(void)
{
    char err[512];
    ok(gdx_compat_can_read("{", "\"int\"", err, sizeof(err)) < 0, "invalid JSON is an error");
    ok(strstr(err, "reader") != NULL, "error names the reader: %s", err);
    ok(gdx_compat_can_read("\"int\"", "\"Nope\"", err, sizeof(err)) < 0,
       "unknown type is an error");
    ok(strstr(err, "unknown type 'Nope'") != NULL, "error names the type: %s", err);
    ok(gdx_compat_can_read("{\"type\":\"fixed\",\"name\":\"X\",\"size\":-1}", "\"int\"", err,
                           sizeof(err)) < 0,
       "negative fixed size is an error");
    ok(gdx_compat_can_read(REC(FD("a", "[\"null\",\"int\"]", "1")), REC(F("a", "\"int\"")), err,
                           sizeof(err)) < 0,
       "a default that does not match the union's first branch is an error");
    ok(strstr(err, "first branch") != NULL, "error names the rule: %s", err);
    ok(gdx_compat_can_read(REC(F("a", "\"int\"") "," F("a", "\"long\"")), "\"int\"", err,
                           sizeof(err)) < 0,
       "duplicate field names are an error");
}

static void test_levels(void)
{
    char err[1024];
    /* v1: a; v2: a + b (default); v3: b only with a removed (b has default) */
    const char *v1 = REC(F("a", "\"int\""));
    const char *v2 = REC(F("a", "\"int\"") "," FD("b", "\"string\"", "\"\""));
    const char *v3 = REC(FD("b", "\"string\"", "\"\"") "," F("c", "\"long\""));
    const char *v3_ok = REC(F("a", "\"long\"") "," FD("b", "\"string\"", "\"\""));
    const char *olds[] = {v1, v2};

    is_int(gdx_compat_level_parse("backward"), GDX_COMPAT_BACKWARD, "parse backward");
    is_int(gdx_compat_level_parse("FULL_TRANSITIVE"), GDX_COMPAT_FULL_TRANSITIVE,
           "parse FULL_TRANSITIVE");
    is_int(gdx_compat_level_parse("none"), GDX_COMPAT_NONE, "parse none");
    is_int(gdx_compat_level_parse("sideways"), -1, "unknown level");
    is_str(gdx_compat_level_name(GDX_COMPAT_FORWARD_TRANSITIVE), "FORWARD_TRANSITIVE",
           "level name");

    /* adding b with a default: backward vs v1 ok; forward: v1 reads v2 ignoring b */
    is_int(gdx_compat_check(v2, olds, 1, GDX_COMPAT_BACKWARD, err, sizeof(err)), GDX_OK,
           "add field with default: BACKWARD");
    is_int(gdx_compat_check(v2, olds, 1, GDX_COMPAT_FULL, err, sizeof(err)), GDX_OK,
           "add field with default: FULL");
    /* v3 adds c without default: cannot read v2 */
    is_int(gdx_compat_check(v3, olds, 2, GDX_COMPAT_BACKWARD, err, sizeof(err)), GDX_ERR_SCHEMA,
           "add required field: not BACKWARD");
    ok(strstr(err, "field 'c'") && strstr(err, "version 2"), "reason names version and field: %s",
       err);
    /* v3 forward: v2 reads v3: a missing in v3 and v2's a has no default */
    is_int(gdx_compat_check(v3, olds, 2, GDX_COMPAT_FORWARD, err, sizeof(err)), GDX_ERR_SCHEMA,
           "remove required field: not FORWARD");
    ok(strstr(err, "field 'a'") != NULL, "forward reason names the field: %s", err);
    is_int(gdx_compat_check(v3, olds, 2, GDX_COMPAT_NONE, err, sizeof(err)), GDX_OK,
           "NONE accepts anything");

    /* transitive vs not: an enum evolution that is fine against the latest only */
    const char *e1 = REC(F("s", ENUM("\"A\",\"B\",\"C\"")));
    const char *e2 = REC(F("s", ENUM("\"A\",\"B\"")));
    const char *e3 = REC(F("s", ENUM("\"A\",\"B\",\"D\"")));
    const char *eolds[] = {e1, e2};
    is_int(gdx_compat_check(e3, eolds, 2, GDX_COMPAT_BACKWARD, err, sizeof(err)), GDX_OK,
           "BACKWARD compares with the latest only");
    is_int(gdx_compat_check(e3, eolds, 2, GDX_COMPAT_BACKWARD_TRANSITIVE, err, sizeof(err)),
           GDX_ERR_SCHEMA, "BACKWARD_TRANSITIVE compares with every version");
    ok(strstr(err, "version 1 of 2") && strstr(err, "symbol 'C'"),
       "transitive reason names version 1 and the symbol: %s", err);
    is_int(gdx_compat_check(e2, eolds, 1, GDX_COMPAT_FORWARD, err, sizeof(err)), GDX_OK,
           "FORWARD: the old reader knows every new symbol");
    is_int(gdx_compat_check(e1, &eolds[1], 1, GDX_COMPAT_FORWARD, err, sizeof(err)), GDX_ERR_SCHEMA,
           "FORWARD: a symbol added without default breaks old readers");
    is_int(gdx_compat_check(e3, eolds, 2, GDX_COMPAT_FULL, err, sizeof(err)), GDX_ERR_SCHEMA,
           "FULL fails when forward fails");
    is_int(gdx_compat_check(v3_ok, olds, 2, GDX_COMPAT_BACKWARD_TRANSITIVE, err, sizeof(err)),
           GDX_OK, "promotion int to long: BACKWARD_TRANSITIVE");
    is_int(gdx_compat_check(v3_ok, olds, 2, GDX_COMPAT_FULL_TRANSITIVE, err, sizeof(err)),
           GDX_ERR_SCHEMA, "promotion int to long is not FORWARD");
    is_int(gdx_compat_check(v2, olds, 2, GDX_COMPAT_FORWARD_TRANSITIVE, err, sizeof(err)), GDX_OK,
           "FORWARD_TRANSITIVE: identical and added field");
    is_int(gdx_compat_check(v1, NULL, 0, GDX_COMPAT_FULL_TRANSITIVE, err, sizeof(err)), GDX_OK,
           "no previous version: compatible");
    const char *bad[] = {"{"};
    is_int(gdx_compat_check(v1, bad, 1, GDX_COMPAT_BACKWARD, err, sizeof(err)), GDX_ERR_PARSE,
           "an invalid old version is a parse error");
    ok(strstr(err, "version 1") != NULL, "parse error names the version: %s", err);
}

int main(void)
{
    test_matrix();
    test_invalid();
    test_levels();
    return done_testing();
}
