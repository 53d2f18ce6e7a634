/*
 * fuzz-schema.c - the schema loader (lib/gdx_avro.c: gdx_schema_parse, the Parsing Canonical
 * Form) and the linter (lib/gdx_lint.c), on .avsc text written by hand or registered by
 * anyone who can reach the registry.
 *
 * Avro-C 1.11.1 accepts invalid schemas (a fixed of size -1 crashes it later): gdx checks a
 * schema itself before Avro-C sees it. Properties:
 *   - the linter and the loader never crash, whatever the text; every problem the linter
 *     reports is `NAME:LINE:COL: message` with a line and column inside the text;
 *   - the canonical form is a fixed point: canonical(canonical(s)) == canonical(s);
 *   - a loaded schema builds an encoder, and a record of its defaults (when every field has
 *     one) encodes and decodes, and passes the uplink's walk.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_avro.h"
#include "gdx_err.h"
#include "gdx_lint.h"
#include "gdx_uplink.h"

struct lint_ctx {
    size_t lines;
    int n;
};

static void on_problem(void *opaque, const char *msg)
{
    struct lint_ctx *lc = opaque;
    const char *p = strncmp(msg, "fuzz.avsc:", 10) == 0 ? msg + 10 : NULL;
    char *end;
    long line, col;
    FUZZ_CHECK(p);
    line = strtol(p, &end, 10);
    FUZZ_CHECK(*end == ':');
    col = strtol(end + 1, &end, 10);
    FUZZ_CHECK(*end == ':' && end[1] == ' ');
    FUZZ_CHECK(line >= 1 && (size_t)line <= lc->lines && col >= 1);
    lc->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct lint_ctx lc = {1, 0};
    char err[512];
    struct gdx_schema *s;
    char *c1, *c2;
    int n;

    if (size > 256 * 1024) {
        return 0;
    }
    for (size_t i = 0; i < size; i++) {
        lc.lines += text[i] == '\n';
    }
    n = gdx_lint_text("fuzz.avsc", text, size, 0, on_problem, &lc);
    FUZZ_CHECK(n == lc.n);
    lc.n = 0;
    n = gdx_lint_text("fuzz.avsc", text, size, GDX_LINT_SPEC_ONLY, on_problem, &lc);
    FUZZ_CHECK(n == lc.n);

    c1 = gdx_avro_canonical(text, size, err, sizeof(err));
    if (c1) {
        c2 = gdx_avro_canonical(c1, strlen(c1), err, sizeof(err));
        FUZZ_CHECK(c2 && strcmp(c1, c2) == 0);
        free(c2);
    }
    free(c1);

    s = gdx_schema_parse(text, size, "fuzz.avsc", err, sizeof(err));
    if (s) {
        struct gdx_encoder *enc = gdx_encoder_new(s, err, sizeof(err));
        struct gdx_recoder *rc = NULL;
        const void *body, *out;
        size_t len, out_len;
        const char *stage, *field;
        FUZZ_CHECK(enc);
        FUZZ_CHECK(s->canonical && s->fullname);
        FUZZ_CHECK(gdx_recoder_new(&rc, s, NULL, err, sizeof(err)) == GDX_OK);
        gdx_encoder_reset(enc);
        if (gdx_encoder_finish(enc, 1 << 20, &body, &len, err, sizeof(err)) == GDX_OK) {
            json_t *doc = gdx_avro_decode_json(s, body, len, err, sizeof(err));
            if (!doc) {
                fprintf(stderr, "record of defaults does not decode: %s\n", err);
            }
            FUZZ_CHECK(doc);
            json_decref(doc);
            FUZZ_CHECK(gdx_recoder_apply(rc, body, len, &out, &out_len, &stage, &field, err,
                                         sizeof(err)) == GDX_OK);
        }
        gdx_recoder_destroy(rc);
        gdx_encoder_destroy(enc);
        gdx_schema_destroy(s);
    }
    return 0;
}
