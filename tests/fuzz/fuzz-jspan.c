/*
 * fuzz-jspan.c - the span functions of lib/gdx_jrow.c: gdx_json_find (JSON pointer, RFC
 * 6901), gdx_json_array_next and gdx_json_depth, which the http connector runs on pages it
 * fetched before any JSON parser has seen them.
 *
 * Input: the first line is a JSON pointer, the rest a document. Properties:
 *   - on any text: no read outside it, spans inside it;
 *   - on a document jansson accepts: the depth equals the document's nesting; the pointer
 *     resolves exactly where a straightforward resolver over jansson's tree says, and the
 *     span parses to an equal value; walking an array span yields its elements in order.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_err.h"
#include "gdx_jrow.h"
#include "jtree.h"

static void check_array(const char *text, size_t len, json_t *arr)
{
    size_t pos = 0, start, elen, i = 0;
    int r;
    json_error_t jerr;
    while ((r = gdx_json_array_next(text, len, &pos, &start, &elen)) == 1) {
        json_t *e;
        FUZZ_CHECK(start + elen <= len);
        e = json_loadb(text + start, elen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        FUZZ_CHECK(e && i < json_array_size(arr) && json_equal(e, json_array_get(arr, i)));
        json_decref(e);
        i++;
    }
    FUZZ_CHECK(r == 0 && i == json_array_size(arr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    const char *text;
    size_t len, start = 0, vlen = 0, pos = 0, es, el;
    char *ptr;
    json_error_t jerr;
    json_t *doc, *want;
    int rc, depth, skip = 0, guard = 0;

    if (!nl || size > 64 * 1024) {
        return 0;
    }
    ptr = strndup((const char *)data, (size_t)(nl - (const char *)data));
    FUZZ_CHECK(ptr);
    text = nl + 1;
    len = size - (size_t)(text - (const char *)data);

    /* on any text: bounded */
    depth = gdx_json_depth(text, len);
    rc = gdx_json_find(text, len, ptr, &start, &vlen);
    FUZZ_CHECK(rc == GDX_OK || rc == GDX_ERR_NOENT || rc == GDX_ERR_PARSE);
    if (rc == GDX_OK) {
        FUZZ_CHECK(start <= len && vlen <= len - start && vlen > 0);
    }
    while ((rc = gdx_json_array_next(text, len, &pos, &es, &el)) == 1 && guard++ < 100000) {
        FUZZ_CHECK(es <= len && el <= len - es && pos <= len);
    }

    /* jansson 2.14 skips a raw NUL byte between tokens, JSON (RFC 8259) does not: no oracle */
    doc = memchr(text, '\0', len)
              ? NULL
              : json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                           &jerr);
    if (doc) {
        FUZZ_CHECK(depth == jtree_depth(doc));
        want = jtree_find(doc, ptr, &skip);
        rc = gdx_json_find(text, len, ptr, &start, &vlen);
        if (!skip) {
            if (want) {
                json_t *got = NULL;
                FUZZ_CHECK(rc == GDX_OK);
                got = json_loadb(text + start, vlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
                FUZZ_CHECK(got && json_equal(got, want));
                json_decref(got);
                if (json_is_array(want)) {
                    check_array(text + start, vlen, want);
                }
            } else {
                FUZZ_CHECK(rc == GDX_ERR_NOENT);
            }
        }
        if (json_is_array(doc)) {
            check_array(text, len, doc);
        }
        json_decref(doc);
    }
    free(ptr);
    return 0;
}
