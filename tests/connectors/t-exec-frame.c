/*
 * t-exec-frame.c - the exec connector's binary framing: what the C reference encoder
 * (gdxframe.h) writes decodes to the same rows, and malformed frames are refused with a
 * reason, never read past their payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/exec/frame.h"
#include "tap.h"

struct frame {
    int type;
    uint32_t len;
    const unsigned char *p;
};

/* Split an encoded stream (after the preamble) into frames. */
static size_t split(const unsigned char *buf, size_t n, struct frame *out, size_t max)
{
    size_t off = EXEC_FRAME_PREAMBLE_LEN, k = 0;
    while (k < max && exec_frame_header(buf + off, n - off, &out[k].type, &out[k].len) &&
           off + GDXF_HEADER_LEN + out[k].len <= n) {
        out[k].p = buf + off + GDXF_HEADER_LEN;
        off += GDXF_HEADER_LEN + out[k].len;
        k++;
    }
    return off == n ? k : (size_t)-1;
}

static void test_round_trip(void)
{
    static const char *const names[] = {"cert_id", "name", "age", "township", "agent_name"};
    const char *v1[] = {"GL2026411681000123", "张桂兰", "91", "王明口镇", NULL};
    const char *v2[] = {"GL2026411681000124", "李德胜", "100", "千佛阁街道", ""};
    char *buf = NULL, err[256];
    size_t n = 0, k;
    FILE *f = open_memstream(&buf, &n);
    struct frame fr[8];
    struct exec_frames *dec = exec_frames_new();
    struct gdx_row row;
    const char *stream = NULL;
    char bin[3] = {'a', '\0', 'b'};
    const char *v3[] = {"x", "y", "1", bin, "z"};
    size_t l3[] = {1, 1, 1, 3, 1};

    ok(gdxf_preamble(f) == 0, "preamble written");
    ok(gdxf_table(f, 7, "gaoling", 5, names) == 0, "table written");
    ok(gdxf_record(f, 7, 5, v1, NULL) == 0, "record written");
    ok(gdxf_record(f, 7, 5, v2, NULL) == 0, "another record");
    ok(gdxf_state(f, "{\"last\":\"GL2026411681000124\"}") == 0, "state written");
    ok(gdxf_record(f, 7, 5, v3, l3) == 0, "a record with explicit lengths");
    fclose(f);

    is_int(exec_frame_preamble((unsigned char *)buf, n, err, sizeof(err)), 1, "preamble read");
    is_int(exec_frame_preamble((unsigned char *)buf, 5, err, sizeof(err)), 0,
           "a partial preamble asks for more");
    k = split((unsigned char *)buf, n, fr, 8);
    is_int(k, 5, "five frames, nothing left over");
    is_int(fr[0].type, 'F', "a field table first");
    is_int(exec_frames_table(dec, fr[0].p, fr[0].len, err, sizeof(err)), GDX_OK, "table decoded");
    memset(&row, 0, sizeof(row));
    is_int(exec_frames_record(dec, fr[1].p, fr[1].len, &row, &stream, err, sizeof(err)), GDX_OK,
           "record decoded");
    is_str(stream, "gaoling", "its stream");
    is_int(row.nfields, 5, "every field");
    is_str(row.names[1], "name", "names in table order");
    is_str(row.values[1], "张桂兰", "UTF-8 value");
    is_int(row.lens[1], strlen("张桂兰"), "its length");
    ok(row.values[4] == NULL, "a null value");
    is_int(exec_frames_record(dec, fr[2].p, fr[2].len, &row, &stream, err, sizeof(err)), GDX_OK,
           "second record");
    is_str(row.values[3], "千佛阁街道", "second record's value");
    ok(row.values[4] && row.lens[4] == 0, "an empty value is not null");
    is_int(fr[3].type, 'S', "state frame");
    ok(fr[3].len == strlen("{\"last\":\"GL2026411681000124\"}") &&
           memcmp(fr[3].p, "{\"last\":\"GL2026411681000124\"}", fr[3].len) == 0,
       "state payload is the JSON text");
    is_int(exec_frames_record(dec, fr[4].p, fr[4].len, &row, &stream, err, sizeof(err)), GDX_OK,
           "a value with a NUL byte in it");
    ok(row.lens[3] == 3 && memcmp(row.values[3], bin, 3) == 0 && row.values[3][3] == '\0',
       "kept whole by its length, and NUL-terminated");
    exec_frames_destroy(dec);
    free(buf);
}

/* An 'F' payload from parts: id, stream, names. */
static size_t table_payload(unsigned char *p, uint16_t id, const char *stream, size_t n,
                            const char *const *names)
{
    size_t off = 0, sl = strlen(stream);
    gdxf_put16(p, id);
    gdxf_put16(p + 2, (uint16_t)sl);
    memcpy(p + 4, stream, sl);
    off = 4 + sl;
    gdxf_put16(p + off, (uint16_t)n);
    off += 2;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        gdxf_put16(p + off, (uint16_t)l);
        memcpy(p + off + 2, names[i], l);
        off += 2 + l;
    }
    return off;
}

static void test_malformed(void)
{
    static const char *const two[] = {"a", "b"};
    static const char *const dup[] = {"a", "a"};
    static const char *const bad[] = {"a", "\xff\xfe"};
    struct exec_frames *dec = exec_frames_new();
    unsigned char p[256];
    char err[256];
    struct gdx_row row;
    const char *stream;
    size_t n;

    memset(&row, 0, sizeof(row));
    is_int(exec_frame_preamble((const unsigned char *)"{\"type\"", 7, err, sizeof(err)),
           GDX_ERR_PARSE, "JSON is not the preamble");
    is_int(exec_frame_preamble((const unsigned char *)"\x89GDXF\r\n\x1a\x02", 9, err, sizeof(err)),
           GDX_ERR_CONFIG, "an unknown version is a config error");
    ok(strstr(err, "version 2") != NULL, "naming the version: %s", err);
    is_int(exec_frame_preamble((const unsigned char *)"\x89GDXF\n\x1a\x01", 8, err, sizeof(err)),
           GDX_ERR_PARSE, "a preamble mangled by newline conversion");

    n = table_payload(p, 1, "s", 2, dup);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_ERR_PARSE, "duplicate names");
    ok(strstr(err, "'a' appears twice") != NULL, "named: %s", err);
    n = table_payload(p, 1, "s", 2, bad);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_ERR_PARSE, "invalid UTF-8 name");
    ok(strstr(err, "field table 1: the name of field 2 is not valid UTF-8 (byte ") != NULL,
       "named with its table and field: %s", err);
    n = table_payload(p, 7, "s", 2, two);
    p[4 + 1 + 2 + (2 + 1) + 2] = 0; /* the second name, "b" */
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_ERR_PARSE, "a NUL in a name");
    ok(strstr(err, "field table 7: the name of field 2 holds a NUL byte (byte 0)") != NULL,
       "said so, not that it is invalid UTF-8: %s", err);
    n = table_payload(p, 1, "", 2, two);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_ERR_PARSE, "empty stream name");
    n = table_payload(p, 1, "s", 0, two);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_ERR_PARSE, "no fields");
    n = table_payload(p, 1, "s", 2, two);
    is_int(exec_frames_table(dec, p, n - 1, err, sizeof(err)), GDX_ERR_PARSE, "a table cut short");
    p[n] = 'x';
    is_int(exec_frames_table(dec, p, n + 1, err, sizeof(err)), GDX_ERR_PARSE,
           "bytes after the last name");
    gdxf_put16(p + 2, 200);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_ERR_PARSE,
           "a stream name longer than the frame");
    n = table_payload(p, 1, "s", 2, two);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_OK, "a good table");

    /* records of table 1 (a, b) */
    gdxf_put16(p, 2);
    is_int(exec_frames_record(dec, p, 2, &row, &stream, err, sizeof(err)), GDX_ERR_PARSE,
           "a record of an undefined table");
    ok(strstr(err, "table 2") != NULL, "named: %s", err);
    gdxf_put16(p, 1);
    gdxf_put32(p + 2, 1);
    p[6] = 'x';
    is_int(exec_frames_record(dec, p, 7, &row, &stream, err, sizeof(err)), GDX_ERR_PARSE,
           "fewer values than fields");
    ok(strstr(err, "field 2 ('b')") != NULL, "names the missing field: %s", err);
    gdxf_put32(p + 7, 0x7fffffff);
    is_int(exec_frames_record(dec, p, 11, &row, &stream, err, sizeof(err)), GDX_ERR_PARSE,
           "a value length beyond the frame");
    ok(strstr(err, "'b'") != NULL, "named: %s", err);
    gdxf_put32(p + 7, GDXF_NULL);
    p[11] = 'z';
    is_int(exec_frames_record(dec, p, 12, &row, &stream, err, sizeof(err)), GDX_ERR_PARSE,
           "bytes after the last value");
    is_int(exec_frames_record(dec, p, 11, &row, &stream, err, sizeof(err)), GDX_OK,
           "the same record without them");
    ok(row.values[0] && row.values[0][0] == 'x' && row.values[1] == NULL, "decoded right");
    is_int(exec_frames_record(dec, p, 1, &row, &stream, err, sizeof(err)), GDX_ERR_PARSE,
           "a record without its table id");

    for (int i = 0; i < EXEC_FRAME_MAX_TABLES; i++) {
        n = table_payload(p, (uint16_t)(100 + i), "s", 2, two);
        if (exec_frames_table(dec, p, n, err, sizeof(err)) != GDX_OK) {
            ok(i == EXEC_FRAME_MAX_TABLES - 1, "tables are bounded (refused at %d): %s", i, err);
            break;
        }
    }
    n = table_payload(p, 1, "s2", 2, two);
    is_int(exec_frames_table(dec, p, n, err, sizeof(err)), GDX_OK,
           "an existing table can still be redefined");
    gdxf_put16(p, 1);
    gdxf_put32(p + 2, GDXF_NULL);
    gdxf_put32(p + 6, GDXF_NULL);
    is_int(exec_frames_record(dec, p, 10, &row, &stream, err, sizeof(err)), GDX_OK,
           "record of the redefined table");
    is_str(stream, "s2", "with the new stream");
    exec_frames_destroy(dec);
}

int main(void)
{
    test_round_trip();
    test_malformed();
    return done_testing();
}
