/*
 * t-lint.c - schema lint through the library: problems counted and reported with positions,
 * the spec-only mode, and the rules Avro-C 1.11.1 does not enforce.
 */
#include <stdio.h>
#include <string.h>

#include "gdx_err.h"
#include "gdx_lint.h"
#include "tap.h"

struct collected {
    char text[4096];
    int n;
};

static void collect(void *opaque, const char *msg)
{
    struct collected *c = opaque;
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof(c->text) - len, "%s%s", len ? "; " : "", msg);
    c->n++;
}

static int lint(const char *text, unsigned flags, struct collected *c)
{
    memset(c, 0, sizeof(*c));
    return gdx_lint_text("t.avsc", text, strlen(text), flags, collect, c);
}

#define GOOD_FIELD                                                                                 \
    "{\"name\": \"case_no\", \"type\": \"string\", \"doc\": \"案件编号 / case number\",\n"     \
    "  \"gdx.level\": \"general\", \"gdx.pi\": \"none\"}"

static const char *const good =
    "{\"type\": \"record\", \"name\": \"Case\", \"namespace\": \"gov.mediation\",\n"
    " \"doc\": \"调解案件 / a mediation case\", \"gdx.owner\": \"mediation\",\n"
    " \"gdx.share\": \"conditional\",\n"
    " \"fields\": [\n" GOOD_FIELD "]}";

int main(void)
{
    struct collected c;

    is_int(lint(good, 0, &c), 0, "a good schema has no problems");
    is_int(c.n, 0, "nothing reported");

    const char *no_pi =
        "{\"type\": \"record\", \"name\": \"Case\", \"namespace\": \"gov.mediation\",\n"
        " \"doc\": \"d\", \"gdx.owner\": \"mediation\", \"gdx.share\": \"none\",\n"
        " \"fields\": [\n"
        "  {\"name\": \"party_name\", \"type\": \"long\", \"doc\": \"当事人 / party\",\n"
        "   \"gdx.level\": \"important\"}]}";
    is_int(lint(no_pi, 0, &c), 1, "missing gdx.pi: one problem");
    ok(strstr(c.text, "t.avsc:4:4: field 'party_name': missing gdx.pi") != NULL,
       "position and message: %s", c.text);
    is_int(lint(no_pi, GDX_LINT_SPEC_ONLY, &c), 0, "spec-only: labels are not required");

    const char *spi_long =
        "{\"type\": \"record\", \"name\": \"Case\", \"namespace\": \"gov.mediation\",\n"
        " \"doc\": \"d\", \"gdx.owner\": \"mediation\", \"gdx.share\": \"none\",\n"
        " \"fields\": [{\"name\": \"id_no\", \"type\": \"long\", \"doc\": \"身份证 / id\",\n"
        "   \"gdx.level\": \"important\", \"gdx.pi\": \"spi\"}]}";
    is_int(lint(spi_long, 0, &c), 1, "spi field as long: one problem");
    ok(strstr(c.text, "a spi field must be string") != NULL, "names the rule: %s", c.text);

    /* what Avro-C 1.11.1 accepts and the spec does not */
    const char *spec_bad[][2] = {
        {"{\"type\": \"fixed\", \"name\": \"F\", \"size\": -1}", "size must be a positive"},
        {"{\"type\": \"fixed\", \"name\": \"F\", \"size\": 0}", "size must be a positive"},
        {"{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"A\", \"A\"]}", "duplicate symbol"},
        {"{\"type\": \"enum\", \"name\": \"E-1\", \"symbols\": [\"A\"]}", "invalid name"},
        {"{\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"a-b\"]}", "invalid symbol"},
        {"{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": "
         "\"int\"}, {\"name\": \"a\", \"type\": \"int\"}]}",
         "duplicate field 'a'"},
        {"{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": "
         "[\"null\", \"int\"], \"default\": 1}]}",
         "first branch"},
        {"{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": "
         "\"float\", \"default\": \"1.5\"}]}",
         "default does not match"},
        {"{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": "
         "\"Missing\"}]}",
         "unknown type 'Missing'"},
        {"{\"type\": \"array\"}", "array without 'items'"},
        {"[\"int\", [\"null\"]]", "union may not directly contain a union"},
        {"{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": "
         "{\"type\": \"fixed\", \"name\": \"D\", \"size\": 2, \"logicalType\": \"decimal\", "
         "\"precision\": 9}}]}",
         "does not fit fixed size"},
    };
    for (size_t i = 0; i < sizeof(spec_bad) / sizeof(spec_bad[0]); i++) {
        int n = lint(spec_bad[i][0], GDX_LINT_SPEC_ONLY, &c);
        ok(n >= 1 && strstr(c.text, spec_bad[i][1]) != NULL, "spec: %s", spec_bad[i][1]);
        if (!strstr(c.text, spec_bad[i][1])) {
            diag("got: %s", c.text);
        }
    }
    const char *spec_good[] = {
        "\"string\"",
        "{\"type\": \"record\", \"name\": \"Node\", \"fields\": [{\"name\": \"next\", "
        "\"type\": [\"null\", \"Node\"], \"default\": null}]}",
        "{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"m\", \"type\": "
        "{\"type\": \"map\", \"values\": \"long\"}, \"default\": {\"a\": 1}}, {\"name\": \"f\", "
        "\"type\": {\"type\": \"fixed\", \"name\": \"F2\", \"size\": 2}, \"default\": \"ab\"}]}",
        "{\"type\": \"record\", \"name\": \"R\", \"namespace\": \"a.b\", \"fields\": [{\"name\": "
        "\"e\", \"type\": {\"type\": \"enum\", \"name\": \"E\", \"symbols\": [\"X\"]}}, "
        "{\"name\": \"e2\", \"type\": \"a.b.E\"}, {\"name\": \"e3\", \"type\": \"E\", "
        "\"default\": \"X\"}]}",
    };
    for (size_t i = 0; i < sizeof(spec_good) / sizeof(spec_good[0]); i++) {
        is_int(lint(spec_good[i], GDX_LINT_SPEC_ONLY, &c), 0, "spec: valid schema %zu", i + 1);
        if (c.n) {
            diag("got: %s", c.text);
        }
    }
    is_int(lint("{\"type\": \"record\",\n \"name\": }", 0, &c), 1, "invalid JSON: one problem");
    ok(strstr(c.text, "t.avsc:2:") && strstr(c.text, "invalid JSON"), "JSON error position: %s",
       c.text);
    char err[256];
    is_int(gdx_lint_file("/nonexistent/x.avsc", 0, NULL, NULL, err, sizeof(err)), GDX_ERR_IO,
           "missing file: GDX_ERR_IO");
    ok(strstr(err, "cannot open '/nonexistent/x.avsc'") != NULL, "names the file: %s", err);
    return done_testing();
}
