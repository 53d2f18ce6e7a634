/*
 * t-limits.c - every input cap of gdx_limits.h holds, with a message that says which, and
 * is printed by `gdx connector spec`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdx_audit.h"
#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_err.h"
#include "gdx_jrow.h"
#include "gdx_limits.h"
#include "gdx_metrics.h"
#include "gdx_tls.h"
#include "gdx_uplink.h"
#include "tap.h"

#include "../../connectors/exec/frame.h"
#include "../../connectors/webhook/body.h"

static const char *const seq_avsc =
    "{\"type\":\"record\",\"name\":\"Seq\",\"namespace\":\"gdx.test\",\"fields\":["
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"n\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}";

int main(void)
{
    char err[512], *buf, *out = NULL;
    size_t n, outlen = 0;
    struct gdx_schema *s;
    struct gdx_node *root;
    struct gdx_jrow *jr;
    struct gdx_row row;
    FILE *f;

    /* a schema text beyond the cap (a registry answer may be that large) */
    n = GDX_LIMIT_SCHEMA_BYTES + 1;
    buf = malloc(n);
    memset(buf, ' ', n);
    memcpy(buf, "\"string\"", 8);
    s = gdx_schema_parse(buf, n, "big.avsc", err, sizeof(err));
    ok(!s && strstr(err, "'big.avsc' is too large"), "schema over %d bytes refused: %s",
       GDX_LIMIT_SCHEMA_BYTES, err);
    free(buf);

    /* YAML beyond its size and depth caps */
    n = GDX_CONF_MAX_BYTES + 1;
    buf = malloc(n);
    memset(buf, '#', n);
    root = gdx_conf_load_mem("big.yaml", buf, n, err, sizeof(err));
    ok(!root && strstr(err, "big.yaml: file is larger than"), "YAML over the cap: %s", err);
    free(buf);
    buf = malloc(4096);
    n = 0;
    for (int i = 0; i <= GDX_CONF_MAX_DEPTH + 1; i++) {
        n += (size_t)snprintf(buf + n, 4096 - n, "%*sk%d:\n", 2 * i, "", i);
    }
    n += (size_t)snprintf(buf + n, 4096 - n, "%*sv: 1\n", 2 * (GDX_CONF_MAX_DEPTH + 2), "");
    root = gdx_conf_load_mem("deep.yaml", buf, n, err, sizeof(err));
    ok(!root && strstr(err, "deep.yaml:"), "YAML deeper than %d refused: %s", GDX_CONF_MAX_DEPTH,
       err);
    gdx_conf_destroy(root);
    free(buf);

    /* JSON rows deeper than the cap, before jansson recurses */
    jr = gdx_jrow_new(0, 0);
    buf = malloc(2 * GDX_JROW_MAX_DEPTH + 16);
    n = 0;
    buf[n++] = '{';
    memcpy(buf + n, "\"a\":", 4);
    n += 4;
    for (int i = 0; i < GDX_JROW_MAX_DEPTH; i++) {
        buf[n++] = '[';
    }
    for (int i = 0; i < GDX_JROW_MAX_DEPTH; i++) {
        buf[n++] = ']';
    }
    buf[n++] = '}';
    memset(&row, 0, sizeof(row));
    is_int(gdx_jrow_parse(jr, buf, n, &row, err, sizeof(err)), GDX_ERR_PARSE,
           "JSON row deeper than %d refused: %s", GDX_JROW_MAX_DEPTH, err);
    ok(strstr(err, "nested deeper than"), "the message says so");
    free(buf);
    gdx_jrow_destroy(jr);

    /* Avro from the wire: a length or a count beyond the body is never trusted */
    s = gdx_schema_parse(seq_avsc, strlen(seq_avsc), "seq", err, sizeof(err));
    ok(s != NULL, "schema: %s", s ? "ok" : err);
    if (s) {
        /* string of 2^62 bytes claimed by a 10-byte body */
        static const unsigned char huge[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
        /* "" then an array block of 2^21 nulls (zero bytes each): over the value budget */
        static const unsigned char empties[] = {0x00, 0x80, 0x80, 0x80, 0x02, 0x00};
        struct gdx_recoder *rc = NULL;
        const void *o;
        size_t olen;
        const char *stage, *field;
        json_t *j = gdx_avro_decode_json(s, huge, sizeof(huge), err, sizeof(err));
        ok(!j && strstr(err, "length beyond the end of the body"), "huge length refused: %s", err);
        j = gdx_avro_decode_json(s, empties, sizeof(empties), err, sizeof(err));
        ok(!j && strstr(err, "too many elements"), "%d empty items refused: %s",
           GDX_LIMIT_AVRO_VALUES * 2, err);
        is_int(gdx_recoder_new(&rc, s, NULL, err, sizeof(err)), GDX_OK, "recoder");
        is_int(
            gdx_recoder_apply(rc, huge, sizeof(huge), &o, &olen, &stage, &field, err, sizeof(err)),
            GDX_ERR_PARSE, "the uplink's walk refuses the huge length: %s", err);
        is_int(gdx_recoder_apply(rc, empties, sizeof(empties), &o, &olen, &stage, &field, err,
                                 sizeof(err)),
               GDX_ERR_PARSE, "and the block of empty items: %s", err);
        gdx_recoder_destroy(rc);
        gdx_schema_destroy(s);
    }

    /* an audit "file" that is a FIFO does not hang the verifier */
    {
        char dir[] = "/tmp/t-limits.XXXXXX", fifo[96];
        const char *paths[1] = {dir};
        FILE *null = fopen("/dev/null", "w");
        int rc;
        ok(mkdtemp(dir) != NULL, "scratch folder");
        snprintf(fifo, sizeof(fifo), "%s/hotline12345.workorders-20260920.jsonl", dir);
        ok(mkfifo(fifo, 0600) == 0, "a FIFO named like an audit file");
        alarm(20); /* a hang fails the test instead of blocking it */
        rc = gdx_audit_verify(paths, 1, NULL, null, err, sizeof(err));
        alarm(0);
        ok(rc != GDX_OK && strstr(err, "is not a regular file"), "verify refuses it: %s", err);
        fclose(null);
        unlink(fifo);
        rmdir(dir);
    }

    /* a FIFO named as a secret file (a Kafka password, the registry's auth) is refused at
     * once: opening it used to block until someone wrote to it */
    {
        char dir[] = "/tmp/t-limits.XXXXXX", fifo[96], *secret = NULL;
        int rc;
        ok(mkdtemp(dir) != NULL, "scratch folder");
        snprintf(fifo, sizeof(fifo), "%s/kafka.password", dir);
        ok(mkfifo(fifo, 0600) == 0, "a FIFO named like a secret file");
        alarm(20);
        rc = gdx_secret_file_read(fifo, &secret, err, sizeof(err));
        alarm(0);
        ok(rc != GDX_OK && !secret && strstr(err, "is not a file"), "refused at once: %s", err);
        unlink(fifo);
        rmdir(dir);
    }

    /* the supervisor's reader refuses a report longer than a pipe write */
    {
        struct gdx_metrics_report r;
        n = GDX_METRICS_LINE_MAX + 2;
        buf = malloc(n);
        memset(buf, ' ', n);
        memcpy(buf, "{\"v\":1,\"state\":\"running\"}", 26);
        is_int(gdx_metrics_parse(buf, n, &r, err, sizeof(err)), GDX_ERR_PARSE,
               "a metrics line over %d bytes refused", GDX_METRICS_LINE_MAX);
        ok(strstr(err, "longer than 4096 bytes") != NULL, "saying so: %s", err);
        free(buf);
    }

    /* the webhook's body limits (settings): records per request, bytes per record, depth */
    {
        struct wh_limits lim = {3, 2, 64};
        struct wh_span *spans = NULL;
        size_t ns = 0;
        static const char three[] = "[{\"seq\":1},{\"seq\":2},{\"seq\":3}]";
        static const char big[] =
            "{\"v\":\"0123456789012345678901234567890123456789012345678901234567\"}";
        static const char deep[] = "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}";
        is_int(
            wh_body_split(three, strlen(three), WH_FMT_JSON, &lim, &spans, &ns, err, sizeof(err)),
            413, "3 records over request.max.records 2: 413");
        ok(strstr(err, "more than 2 records in one request (request.max.records)") != NULL, "%s",
           err);
        is_int(wh_body_split(big, strlen(big), WH_FMT_JSONL, &lim, &spans, &ns, err, sizeof(err)),
               413, "a record over record.max.bytes: 413");
        ok(strstr(err, "more than record.max.bytes (64)") != NULL, "%s", err);
        is_int(wh_body_split(deep, strlen(deep), WH_FMT_JSON, &lim, &spans, &ns, err, sizeof(err)),
               400, "nested deeper than record.max.depth: 400");
        ok(strstr(err, "nested deeper than 3 levels") != NULL, "%s", err);
        ok(spans == NULL && ns == 0, "nothing of a refused body is kept");
    }

    /* the exec connector's frames: fields per table, tables at once */
    {
        struct exec_frames *fr = exec_frames_new();
        unsigned char *p = calloc(1, 8 + 3 * (GDX_LIMIT_FRAME_FIELDS + 1));
        size_t off = 0;
        gdxf_put16(p, 1);
        gdxf_put16(p + 2, 1);
        p[4] = 's';
        gdxf_put16(p + 5, GDX_LIMIT_FRAME_FIELDS + 1);
        off = 7;
        for (int i = 0; i <= GDX_LIMIT_FRAME_FIELDS; i++) {
            gdxf_put16(p + off, 1);
            p[off + 2] = 'a';
            off += 3;
        }
        is_int(exec_frames_table(fr, p, off, err, sizeof(err)), GDX_ERR_PARSE,
               "a table of %d fields refused", GDX_LIMIT_FRAME_FIELDS + 1);
        ok(strstr(err, "(1 to 4096 allowed)") != NULL, "%s", err);
        for (int t = 0; t <= GDX_LIMIT_FRAME_TABLES; t++) {
            gdxf_put16(p, (uint16_t)t);
            gdxf_put16(p + 5, 1);
            if (exec_frames_table(fr, p, 10, err, sizeof(err)) != GDX_OK) {
                is_int(t, GDX_LIMIT_FRAME_TABLES, "table %d refused: %s", t, err);
            }
        }
        free(p);
        exec_frames_destroy(fr);
    }

    /* the table `gdx connector spec` prints */
    f = open_memstream(&out, &outlen);
    gdx_limits_print(f);
    fclose(f);
    ok(out && strstr(out, "YAML config file") && strstr(out, "16MiB") &&
           strstr(out, "record.max.bytes") && strstr(out, "never trusted"),
       "the limits table names every input");
    {
        static const char *const rows[] = {
            "HTTP response (http)                   64KiB    headers",
            "HTTP response (http)                   1000000  records of one page",
            "source.response.max.bytes",
            "connect.timeout.ms",
            "HTTP request (webhook)                 32KiB    request line and headers",
            "HTTP request (webhook)                 128      characters of an idempotency key",
            "source.body.max.bytes (8MiB), record.max.bytes (1MiB), request.max.records",
            "source.server.max.connections",
            "source.message.max.bytes (default 1MiB)",
            "source.state.max.bytes (default 256KiB)",
            "adapter frames (exec)                  64       field tables",
            "adapter frames (exec)                  4096     fields of a table",
            "adapter stderr (exec)                  2000     bytes of a line",
            "adapter stderr (exec)                  100      lines forwarded a second",
            "metrics report (gdx supervise)         4KiB     size of a line",
            "inventory, deployment file",
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
            ok(out && strstr(out, rows[i]), "printed: %s", rows[i]);
        }
    }
    free(out);
    return done_testing();
}
