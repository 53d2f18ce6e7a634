/*
 * gdx_limits.c - the table of input caps that `gdx connector spec` prints (gdx_limits.h).
 * The values come from the constants themselves, so the table cannot drift from the code.
 */
#include <stdio.h>

#include "gdx_conf.h"
#include "gdx_jrow.h"
#include "gdx_limits.h"
#include "gdx_metrics.h"

struct limit {
    const char *input, *cap;
    long long value; /* bytes or a count; -1: see cap */
    int bytes;
};

static const struct limit limits[] = {
    {"YAML config file", "size (file read whole)", GDX_CONF_MAX_BYTES, 1},
    {"YAML config file", "nesting depth; aliases, anchors, tags, duplicate keys refused",
     GDX_CONF_MAX_DEPTH, 0},
    {"source row (file connector)",
     "setting source.row.max.bytes (default 1MiB); a field is "
     "part of its row",
     -1, 0},
    {"encoded record (every connector)",
     "setting record.max.bytes (default 1MiB); larger rows "
     "are dead letters",
     -1, 0},
    {"JSON row (file, http, webhook, exec)",
     "nesting depth; raw NUL, invalid UTF-8, duplicate "
     "keys refused",
     GDX_JROW_MAX_DEPTH, 0},
    {"Avro schema (.avsc, registry answer)", "size", GDX_LIMIT_SCHEMA_BYTES, 1},
    {"Avro schema", "nesting depth of types", GDX_LIMIT_SCHEMA_DEPTH, 0},
    {"Avro schema", "size of a fixed", GDX_LIMIT_FIXED_SIZE, 1},
    {"Avro schema", "decimal precision (digits)", GDX_LIMIT_DECIMAL_PRECISION, 0},
    {"Avro body from Kafka (tail, uplink)", "nesting depth of a value", GDX_LIMIT_AVRO_DEPTH, 0},
    {"Avro body from Kafka (tail, uplink)", "values walked per body (empty items for tail)",
     GDX_LIMIT_AVRO_VALUES, 0},
    {"Avro body from Kafka (tail, uplink)",
     "string/bytes lengths and block counts: checked "
     "against the bytes left, never trusted",
     -1, 0},
    {"HTTP request body (gdx registry)", "size; larger is answered 413", GDX_LIMIT_REGISTRY_BODY,
     1},
    {"HTTP answer (schema registry client)", "size", GDX_LIMIT_REGISTRY_ANSWER, 1},
    {"schema file (gdx schema lint)", "size", GDX_LIMIT_LINT_BYTES, 1},
    {"audit file (gdx audit verify, show)", "size, decompressed (.gz); FIFOs refused",
     (long long)GDX_LIMIT_AUDIT_FILE_BYTES, 1},
    {"HTTP response (http)", "setting source.response.max.bytes (default 16MiB)", -1, 0},
    {"HTTP response (http)", "headers, all of one response", GDX_LIMIT_HTTP_HEADER_BYTES, 1},
    {"HTTP response (http)", "records of one page", GDX_LIMIT_HTTP_PAGE_RECORDS, 0},
    {"HTTP response (http)",
     "timeouts: settings source.connect.timeout.ms (10s, TLS handshake included), "
     "request.timeout.ms (60s); redirects are not followed; a Link to another host ends the "
     "pass",
     -1, 0},
    {"HTTP request (webhook)",
     "settings source.body.max.bytes (8MiB), record.max.bytes (1MiB), request.max.records "
     "(10000), record.max.depth (32): 413 or 400",
     -1, 0},
    {"HTTP request (webhook)", "request line and headers: 431", GDX_LIMIT_WEBHOOK_HEADER_BYTES, 1},
    {"HTTP request (webhook)", "characters of an idempotency key", GDX_LIMIT_WEBHOOK_KEY_CHARS, 0},
    {"HTTP connections (webhook)",
     "settings source.server.max.connections (1024), server.header.timeout.ms (10s) until "
     "the headers are complete, server.idle.timeout.ms (60s) after, queue.max.bytes (32MiB), "
     "queue.max.requests (2000): 503",
     -1, 0},
    {"adapter output (exec)",
     "setting source.message.max.bytes (default 1MiB): a longer line or frame is a dead "
     "letter",
     -1, 0},
    {"adapter output (exec)", "setting source.state.max.bytes (default 256KiB) for a STATE", -1, 0},
    {"adapter frames (exec)", "field tables defined at once", GDX_LIMIT_FRAME_TABLES, 0},
    {"adapter frames (exec)", "fields of a table", GDX_LIMIT_FRAME_FIELDS, 0},
    {"adapter stderr (exec)", "bytes of a line forwarded to the log", GDX_LIMIT_ADAPTER_ERR_LINE,
     0},
    {"adapter stderr (exec)", "lines forwarded a second (the rest counted)",
     GDX_LIMIT_ADAPTER_ERR_LINES, 0},
    {"metrics report (gdx supervise)", "size of a line (PIPE_BUF)", GDX_METRICS_LINE_MAX, 1},
    {"inventory, deployment file", "YAML files: the caps of a YAML config file", -1, 0},
    {NULL, NULL, 0, 0},
};

void gdx_limits_print(FILE *out)
{
    fprintf(out, "Limits on input (constants unless a setting is named):\n\n");
    for (const struct limit *l = limits; l->input; l++) {
        char v[32];
        if (l->value < 0) {
            snprintf(v, sizeof(v), "-");
        } else if (l->bytes && l->value % (1 << 20) == 0) {
            snprintf(v, sizeof(v), "%lldMiB", l->value >> 20);
        } else if (l->bytes && l->value % 1024 == 0) {
            snprintf(v, sizeof(v), "%lldKiB", l->value >> 10);
        } else {
            snprintf(v, sizeof(v), "%lld", l->value);
        }
        fprintf(out, "  %-38s %-8s %s\n", l->input, v, l->cap);
    }
}
