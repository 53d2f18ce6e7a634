/*
 * fuzz-jsonl.c - JSON Lines rows: lib/gdx_jrow.c turning one JSON object into a row (as the
 * file connector does for each line, and the http, webhook and exec connectors for theirs),
 * and the mapping of the row onto Avro.
 *
 * Input: JSON Lines text; byte 0 picks the flags (flatten or not) and the depth limit.
 * Properties, per line:
 *   - a line jansson accepts as an object within the depth limit is accepted by gdx_jrow;
 *     without flattening, one field per member in text order, every string byte for byte,
 *     null as NULL;
 *   - a line gdx_jrow accepts is valid JSON (jansson accepts it);
 *   - every accepted row passes the round trip of rowcheck.h.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_err.h"
#include "gdx_jrow.h"
#include "rowcheck.h"

static void check_line(struct gdx_jrow *jr, int flatten, int max_depth, const char *line,
                       size_t len)
{
    struct gdx_row row;
    char err[256];
    json_error_t jerr;
    json_t *doc;
    int rc, depth;

    memset(&row, 0, sizeof(row));
    rc = gdx_jrow_parse(jr, line, len, &row, err, sizeof(err));
    doc = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
                     &jerr);
    depth = gdx_json_depth(line, len);
    /* jansson 2.14 skips a raw NUL byte between tokens; JSON (RFC 8259) does not, nor does
     * gdx_jrow's scanner: such text is refused, and jansson's word does not count */
    if (doc && rc != GDX_OK && memchr(line, '\0', len)) {
        json_decref(doc);
        doc = NULL;
    }
    if (rc == GDX_OK) {
        FUZZ_CHECK(doc && json_is_object(doc));
        FUZZ_CHECK(depth >= 1 && depth <= max_depth);
        FUZZ_CHECK(row.nfields >= json_object_size(doc));
        if (!flatten) {
            /* one field per member, in text order */
            const char *key;
            json_t *v;
            size_t i = 0;
            FUZZ_CHECK(row.nfields == json_object_size(doc));
            json_object_foreach(doc, key, v)
            {
                FUZZ_CHECK(strcmp(row.names[i], key) == 0);
                if (json_is_null(v)) {
                    FUZZ_CHECK(row.values[i] == NULL);
                } else {
                    FUZZ_CHECK(row.values[i] != NULL && row.values[i][row.lens[i]] == '\0');
                }
                if (json_is_string(v)) {
                    FUZZ_CHECK(row.lens[i] == json_string_length(v) &&
                               memcmp(row.values[i], json_string_value(v), row.lens[i]) == 0);
                }
                i++;
            }
        }
        rowcheck_row(&row);
    } else {
        FUZZ_CHECK(strncmp(err, "col ", 4) == 0);
        if (doc && json_is_object(doc) && depth >= 0 && depth <= max_depth) {
            fprintf(stderr, "valid object refused: %s\n", err);
            FUZZ_CHECK(0);
        }
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gdx_jrow *jr;
    const char *p, *end;
    int flags, max_depth;

    if (size < 1 || size > 64 * 1024) {
        return 0;
    }
    flags = data[0] & 1 ? GDX_JROW_FLATTEN : 0;
    max_depth = (data[0] >> 1) & 1 ? 3 + ((data[0] >> 2) & 7) : GDX_JROW_MAX_DEPTH;
    jr = gdx_jrow_new(flags, max_depth == GDX_JROW_MAX_DEPTH ? 0 : max_depth);
    p = (const char *)data + 1;
    end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t m = n;
        while (m > 0 && p[m - 1] == '\r') {
            m--;
        }
        check_line(jr, flags != 0, max_depth, p, m);
        p += n + (nl ? 1 : 0);
    }
    gdx_jrow_destroy(jr);
    return 0;
}
