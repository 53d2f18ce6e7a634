/*
 * fuzz-singer.c - the exec connector's reader of Singer JSON lines (connectors/exec/exec.c,
 * compiled in with fakert.h): SCHEMA, RECORD and STATE messages, blank and overlong lines,
 * and the position {"state","records","digest"} it stores and reloads.
 *
 * Input (format: singer, so that output starting with the frames' first byte is still read
 * as lines; fuzz-frame.c covers frames): byte 0 picks the settings (bit 0 source.stream
 * "users", bit 1 message.max.bytes 1KiB, bit 2 state.max.bytes 64, bits 3-5 json.max.depth),
 * byte 1 where a batch ends and how small the reads are; the rest is the adapter's stdout.
 * Properties:
 *   - the rows are exactly the RECORD lines that jansson reads as a Singer message of the
 *     stream sent (the configured one, or the first one seen) with a "record" object within
 *     the depth limit and without duplicate keys, in order, each with the record's members;
 *     every other line of the stream that is not a STATE, a SCHEMA, an ACTIVATE_VERSION, a
 *     blank line or a message of an unknown type is a dead letter naming its line;
 *   - the state kept is the value of the last STATE jansson reads (within the limits), in
 *     compact JSON;
 *   - the position reads back to itself (exec_offset_json, exec_offset_parse);
 *   - the reads do not matter, and a batch that ends anywhere followed by a restart from its
 *     position (a deterministic adapter writing again what follows its STATE) gives the same
 *     records and position as one run (execrun.h).
 */
#include "fakert.h"

#include "../../connectors/exec/exec.c"

#include "execrun.h"
#include "jtree.h"

static int ieq(const char *a, const char *b)
{
    return a && !strcasecmp(a, b);
}

enum verdict { V_NONE, V_ROW, V_DEAD, V_STATE, V_FATAL, V_UNKNOWN };

/* What the reader must make of one line (without its newline), from jansson's reading. */
static enum verdict judge(const struct exec_inst *ei, const char *line, size_t m, char **first,
                          char **state)
{
    json_error_t jerr;
    json_t *doc, *v;
    const char *type, *stream;
    enum verdict out;

    doc = json_loadb(line, m, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!doc && (strstr(jerr.text, "overflow") || strstr(jerr.text, "too big"))) {
        return V_UNKNOWN; /* a number jansson cannot hold, which the reader passes as text */
    }
    if (!doc || !json_is_object(doc) || jtree_depth(doc) > ei->json_max_depth ||
        !json_is_string(json_object_get(doc, "type"))) {
        json_decref(doc);
        return V_DEAD; /* not a Singer message */
    }
    type = json_string_value(json_object_get(doc, "type"));
    stream = json_string_value(json_object_get(doc, "stream"));
    out = V_NONE;
    if (ieq(type, "RECORD") || ieq(type, "BATCH")) {
        if (ieq(type, "RECORD") && (!stream || !*stream)) {
            out = V_DEAD;
        } else if (stream && ei->stream && *ei->stream && strcmp(stream, ei->stream)) {
            out = V_NONE; /* another stream */
        } else if (stream && !(ei->stream && *ei->stream) && *first && strcmp(stream, *first)) {
            out = V_FATAL; /* a second stream without source.stream */
        } else {
            if (stream && !(ei->stream && *ei->stream) && !*first) {
                *first = gdx_xstrdup(stream);
            }
            out = ieq(type, "BATCH")                               ? V_DEAD
                  : json_is_object(json_object_get(doc, "record")) ? V_ROW
                                                                   : V_DEAD;
        }
    } else if (ieq(type, "STATE")) {
        if (!(v = json_object_get(doc, "value"))) {
            out = V_DEAD;
        } else {
            char *canon = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            json_t *again = json_loads(canon, JSON_DECODE_ANY, NULL); /* the reader: no NUL */
            if (!again || strlen(canon) > (size_t)ei->state_max_bytes ||
                jtree_depth(v) > GDX_JROW_MAX_DEPTH) {
                free(canon);
                out = V_DEAD;
            } else {
                free(*state);
                *state = canon;
                out = V_STATE;
            }
            json_decref(again);
        }
    }
    json_decref(doc);
    return out;
}

/* The batch and the state against the lines of the output. */
static void check_lines(struct xr *c, const unsigned char *out, size_t len)
{
    struct exec_inst *ei = c->ei;
    size_t max = (size_t)ei->message_max_bytes, k = 0, start = 0;
    char *first = NULL, *state = NULL;

    if (len >= 3 && !memcmp(out, "\xef\xbb\xbf", 3)) {
        start = 3; /* a byte order mark */
    }
    for (size_t i = start; i < len;) {
        const unsigned char *nl = memchr(out + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (out + i)) : len - i, m, b = 0;
        const char *line = (const char *)out + i;
        enum verdict v;

        i += n + (nl ? 1 : 0);
        while (n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
            line += 3; /* a byte order mark starts no line */
            n -= 3;
        }
        m = n;
        if (m && line[m - 1] == '\r') {
            m--;
        }
        if (m > max) {
            v = V_DEAD; /* refused for its length */
        } else {
            while (b < m && (line[b] == ' ' || line[b] == '\t')) {
                b++;
            }
            if (b == m) {
                continue; /* blank */
            }
            v = memchr(line, '\0', m) ? V_DEAD : judge(ei, line, m, &first, &state);
        }
        if (v == V_UNKNOWN) {
            goto out; /* no oracle for the rest */
        }
        if (v == V_FATAL) {
            FUZZ_CHECK(c->fatal);
            goto out;
        }
        if (v == V_ROW || v == V_DEAD) {
            const struct fuzz_rec *r = k < c->batch.n ? &c->batch.recs[k] : NULL;
            if (!r || !r->error != (v == V_ROW)) {
                fprintf(stderr, "line %.*s: want %s, got %s\n", (int)(m < 200 ? m : 200), line,
                        v == V_ROW ? "a row" : "a dead letter",
                        !r         ? "nothing"
                        : r->error ? r->error
                                   : "a row");
                FUZZ_CHECK(0);
            }
            if (v == V_ROW) {
                FUZZ_CHECK(r->raw_len == m && !memcmp(r->raw, line, m));
            } else {
                FUZZ_CHECK(!strncmp(r->error, "line ", 5));
            }
            k++;
        }
    }
    FUZZ_CHECK(!c->fatal && k == c->batch.n);
    if ((!state) != (!ei->state) || (state && strcmp(state, ei->state))) {
        fprintf(stderr, "state %s, want %s\n", ei->state ? ei->state : "null",
                state ? state : "null");
        FUZZ_CHECK(0);
    }
out:
    free(first);
    free(state);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char settings[256];
    struct xr *c;

    if (size < 2 || size > 64 * 1024) {
        return 0;
    }
    snprintf(settings, sizeof(settings),
             "format: singer\nstream: \"%s\"\nmessage.max.bytes: %s\nstate.max.bytes: %s\n"
             "json.max.depth: %d\n",
             data[0] & 1 ? "users" : "", data[0] & 2 ? "1KiB" : "1MiB",
             data[0] & 4 ? "64" : "256KiB", data[0] & 0x38 ? 2 + (data[0] >> 3 & 7) : 64);
    c = xr_check_restart(settings, data + 2, size - 2, 1 + data[1] % 16, 1 + (data[1] >> 4) * 5, 1,
                         NULL);
    check_lines(c, data + 2, size - 2);
    xr_release(c);
    return 0;
}
