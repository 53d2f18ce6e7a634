/*
 * fuzz-metrics.c - the lines a supervised process writes to GDX_METRICS_FD and the
 * supervisor reads (lib/gdx_metrics.c: gdx_metrics_parse, gdx_metrics_format).
 *
 * Input: byte 0 picks the part. Part 0: the rest is a line the supervisor reads. Part 1:
 * the rest describes a report (counters, a lag, a latency histogram, an error text of any
 * bytes) that a child formats. Properties:
 *   - a line the reader accepts is an object of protocol version 1 whose counters jansson
 *     reads the same; written again it is one line of at most GDX_METRICS_LINE_MAX bytes
 *     that reads back to the same report: state, every counter, the lag, the histogram and
 *     the error text;
 *   - a report formatted is one such line, the error text shortened (never inside a UTF-8
 *     character) only to fit, and it reads back to the same counters;
 *   - a refused line says why.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_err.h"
#include "gdx_metrics.h"
#include "gdx_text.h"

static void same(const struct gdx_metrics_report *a, const struct gdx_metrics_report *b)
{
    FUZZ_CHECK(!strcmp(a->state, b->state));
    FUZZ_CHECK(a->records == b->records && a->dead == b->dead && a->bytes == b->bytes &&
               a->batches == b->batches && a->aborts == b->aborts);
    FUZZ_CHECK((a->lag_s < 0 && b->lag_s < 0) || a->lag_s == b->lag_s);
    FUZZ_CHECK(a->last_commit_ms == b->last_commit_ms);
    FUZZ_CHECK(a->commit_count == b->commit_count && a->commit_sum == b->commit_sum);
    for (int i = 0; i < GDX_METRICS_NBUCKETS; i++) {
        FUZZ_CHECK(a->commit_le[i] == b->commit_le[i]);
    }
}

/* Format @p r, check the line's shape, read it back into @p back. */
static size_t round_trip(const struct gdx_metrics_report *r, struct gdx_metrics_report *back)
{
    char line[GDX_METRICS_LINE_MAX + 16], err[256];
    size_t n = gdx_metrics_format(r, line, sizeof(line));

    FUZZ_CHECK(n > 0 && n <= GDX_METRICS_LINE_MAX && line[n - 1] == '\n' &&
               memchr(line, '\n', n) == line + n - 1 && strlen(line) == n);
    if (gdx_metrics_parse(line, n, back, err, sizeof(err)) != GDX_OK) {
        fprintf(stderr, "formatted line refused: %s: %s\n", err, line);
        FUZZ_CHECK(0);
    }
    same(r, back);
    return n;
}

static void part_line(const uint8_t *data, size_t size)
{
    struct gdx_metrics_report r, back;
    char err[256] = "";
    json_t *doc;

    memset(&r, 0, sizeof(r));
    if (gdx_metrics_parse((const char *)data, size, &r, err, sizeof(err)) != GDX_OK) {
        FUZZ_CHECK(err[0]);
        return;
    }
    doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    FUZZ_CHECK(json_is_object(doc));
    FUZZ_CHECK(json_integer_value(json_object_get(doc, "v")) == GDX_METRICS_VERSION);
    FUZZ_CHECK((json_int_t)r.records == json_integer_value(json_object_get(doc, "records")));
    FUZZ_CHECK((json_int_t)r.bytes == json_integer_value(json_object_get(doc, "bytes")));
    FUZZ_CHECK(!strcmp(r.state, json_string_value(json_object_get(doc, "state"))));
    json_decref(doc);
    round_trip(&r, &back);
    FUZZ_CHECK(!strcmp(r.error, back.error));
}

static uint64_t take(const uint8_t **p, const uint8_t *end, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes && *p < end; i++) {
        v = v << 8 | *(*p)++;
    }
    return v;
}

static void part_report(const uint8_t *data, size_t size)
{
    static const char *const states[] = {"starting", "running", "stopped", "failed"};
    const uint8_t *p = data, *end = data + size;
    struct gdx_metrics_report r, back;
    size_t elen, bad;
    uint64_t cum = 0;

    memset(&r, 0, sizeof(r));
    snprintf(r.state, sizeof(r.state), "%s", states[take(&p, end, 1) % 4]);
    r.records = take(&p, end, 8) >> 1; /* what a json_int_t holds */
    r.dead = take(&p, end, 4);
    r.bytes = take(&p, end, 8) >> 1;
    r.batches = take(&p, end, 4);
    r.aborts = take(&p, end, 2);
    r.lag_s = (double)(int64_t)take(&p, end, 4) / 1000.0;
    r.last_commit_ms = (int64_t)(take(&p, end, 8) >> 1);
    r.commit_count = take(&p, end, 4);
    r.commit_sum = (double)take(&p, end, 4) / 1024.0;
    for (int i = 0; i < GDX_METRICS_NBUCKETS; i++) {
        cum += take(&p, end, 1);
        r.commit_le[i] = cum;
    }
    /* the rest is the error text (any bytes, up to the report's buffer) */
    elen = (size_t)(end - p) < sizeof(r.error) - 1 ? (size_t)(end - p) : sizeof(r.error) - 1;
    memcpy(r.error, p, elen);
    r.error[elen] = '\0';
    elen = strlen(r.error);
    round_trip(&r, &back);
    if (gdx_utf8_valid(r.error, elen, &bad)) {
        /* shortened only to fit, at a character boundary: a prefix of the text */
        size_t bl = strlen(back.error);
        FUZZ_CHECK(bl <= elen && !memcmp(back.error, r.error, bl));
        FUZZ_CHECK(gdx_utf8_valid(back.error, bl, &bad));
    } else {
        FUZZ_CHECK(!back.error[0]); /* invalid UTF-8 is dropped, never sent */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16 * 1024) {
        return 0;
    }
    if (data[0] & 1) {
        part_report(data + 1, size - 1);
    } else {
        part_line(data + 1, size - 1);
    }
    return 0;
}
