/*
 * fuzz-scrub.c - gdx_scrub (lib/gdx_protect.c), which masks resident ID numbers and mobile
 * numbers in the free text of records on their way to a topic or to the province.
 *
 * Input: the text (inputs with a NUL byte are skipped: the text of a field has none).
 * Properties:
 *   - the result is no longer than the text, and valid UTF-8 when the text was;
 *   - scrubbing is idempotent: the result scrubbed again is the same, with no hits (a mask
 *     never looks like a number to mask);
 *   - on ASCII text, no mobile number is left: no run of exactly 11 digits 1[3-9]...
 *     remains in the result.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gdx_err.h"
#include "gdx_protect.h"
#include "gdx_text.h"

static int is_ascii(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

static int has_mobile(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9') {
            j++;
        }
        if (j - i == 11 && s[i] == '1' && s[i + 1] >= '3' && s[i + 1] <= '9') {
            return 1;
        }
        i = j > i ? j : i + 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *out = NULL, *again = NULL, errstr[256];
    size_t hits = 0, hits2 = 99;

    if (size > 64 * 1024 || memchr(data, 0, size)) {
        return 0;
    }
    FUZZ_CHECK(gdx_scrub((const char *)data, size, &out, &hits, errstr, sizeof(errstr)) == GDX_OK);
    FUZZ_CHECK(out && strlen(out) <= size);
    if (gdx_utf8_valid((const char *)data, size, NULL)) {
        FUZZ_CHECK(gdx_utf8_valid(out, strlen(out), NULL));
    }
    FUZZ_CHECK(gdx_scrub(out, strlen(out), &again, &hits2, errstr, sizeof(errstr)) == GDX_OK);
    FUZZ_CHECK(hits2 == 0 && !strcmp(again, out));
    if (is_ascii(data, size)) {
        FUZZ_CHECK(!has_mobile(out));
    }
    free(out);
    free(again);
    return 0;
}
