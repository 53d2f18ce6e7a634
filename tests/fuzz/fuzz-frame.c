/*
 * fuzz-frame.c - the exec connector's binary frames (connectors/exec/frame.c, read by
 * exec.c compiled in with fakert.h) against the reference encoder adapters use
 * (connectors/exec/gdxframe.h).
 *
 * Input: byte 0 picks the mode (bits 0-1; bit 7 in mode 1: format binary and a 1MiB
 * message.max.bytes), byte 1 where a batch ends and how small the reads are.
 *   mode 0, round trip: the rest describes tables, records, STATEs and ancillary frames,
 *     which gdxframe.h writes; the connector's rows are exactly the records written (names,
 *     values byte for byte, nulls), its state the last STATE in compact JSON;
 *   mode 1, any stream: the rest, after a preamble, is the connector's stdout;
 *   mode 2, payloads: the rest is 'F' and 'R' payloads handed to exec_frames_table and
 *     exec_frames_record directly: a decoded record's values fill its payload exactly and
 *     lie inside it, names are distinct and valid UTF-8.
 * In modes 0 and 1 the reads do not matter, and a batch that ends anywhere followed by a
 * restart from its position gives the same records and position as one run (execrun.h).
 */
#include "fakert.h"

#include "../../connectors/exec/exec.c"

#include "execrun.h"
#include "gdx_text.h"

static const char *const fnames[] = {"cert_id",  "name", "age",  "town",
                                     "证件号码", "姓名", "乡镇", "update_time"};
static const char *const streams[] = {"gaoling", "dibao", "canji"};
static const char *const states[] = {"{\"last\":\"GL2026000001\"}", "42", "[1, 2, {\"a\": null}]",
                                     "\"2026-09-20 10:30:00\"", "{\"bookmarks\":{\"gaoling\":7}}"};

struct want {
    struct fuzz_rec *recs;
    size_t n;
    const char *state; /* text written, or NULL */
};

/* Mode 0: write frames from the description; *w gets what the connector must read. */
static unsigned char *encode(const uint8_t *p, size_t n, size_t *len, struct want *w)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    size_t tn[4] = {0}; /* fields of table id 0..3, 0 = undefined */
    size_t tname[4][8]; /* their names */
    int tstream[4] = {0};
    size_t i = 0;

    FUZZ_CHECK(f && gdxf_preamble(f) == 0);
    memset(w, 0, sizeof(*w));
    while (i < n) {
        uint8_t op = p[i++];
        unsigned id = op >> 6 & 3;
        switch (op & 3) {
        case 0: { /* a table: up to 8 distinct names */
            const char *names[8];
            size_t k = 1 + (op >> 2 & 7);
            for (size_t j = 0; j < k; j++) {
                tname[id][j] = (j + (op >> 5 & 1) * 3) % 8;
                names[j] = fnames[tname[id][j]];
            }
            tstream[id] = 0;
            FUZZ_CHECK(gdxf_table(f, (uint16_t)id, streams[0], k, names) == 0);
            tn[id] = k;
            break;
        }
        case 1: { /* a record of a defined table: values from the input */
            const char *vals[8];
            size_t lens[8];
            struct fuzz_rec *r;
            if (!tn[id]) {
                break;
            }
            for (size_t j = 0; j < tn[id]; j++) {
                size_t l = i < n ? p[i++] % 24 : 0;
                if (l == 23) {
                    vals[j] = NULL; /* null */
                    lens[j] = 0;
                    continue;
                }
                l = l < n - i ? l : n - i;
                vals[j] = (const char *)p + i;
                lens[j] = l;
                i += l;
            }
            FUZZ_CHECK(gdxf_record(f, (uint16_t)id, tn[id], vals, lens) == 0);
            w->recs = gdx_xrealloc(w->recs, (w->n + 1) * sizeof(*w->recs));
            r = &w->recs[w->n++];
            memset(r, 0, sizeof(*r));
            r->nfields = tn[id];
            r->names = gdx_xcalloc(tn[id], sizeof(char *));
            r->values = gdx_xcalloc(tn[id], sizeof(char *));
            r->lens = gdx_xcalloc(tn[id], sizeof(size_t));
            for (size_t j = 0; j < tn[id]; j++) {
                r->names[j] = gdx_xstrdup(fnames[tname[id][j]]);
                if (vals[j]) {
                    r->values[j] = gdx_xcalloc(1, lens[j] + 1);
                    memcpy(r->values[j], vals[j], lens[j]);
                    r->lens[j] = lens[j];
                }
            }
            (void)tstream;
            break;
        }
        case 2: /* a STATE */
            w->state = states[(op >> 2) % 5];
            FUZZ_CHECK(gdxf_state(f, w->state) == 0);
            break;
        default: { /* an ancillary frame: skipped */
            unsigned char h[5];
            size_t l = (op >> 2) % 16;
            l = l < n - i ? l : n - i;
            h[0] = (unsigned char)('a' + (op >> 2) % 26);
            gdxf_put32(h + 1, (uint32_t)l);
            FUZZ_CHECK(gdxf_write(f, h, 5) == 0 && gdxf_write(f, p + i, l) == 0);
            i += l;
            break;
        }
        }
    }
    FUZZ_CHECK(fclose(f) == 0);
    *len = blen;
    return (unsigned char *)buf;
}

static void want_free(struct want *w)
{
    for (size_t i = 0; i < w->n; i++) {
        for (size_t j = 0; j < w->recs[i].nfields; j++) {
            free(w->recs[i].names[j]);
            free(w->recs[i].values[j]);
        }
        free(w->recs[i].names);
        free(w->recs[i].values);
        free(w->recs[i].lens);
    }
    free(w->recs);
}

/* A restarted adapter writes its preamble and the tables it defined before its STATE (the
 * frames read up to @p upto, as the connector reads them; tables it refused are no tables),
 * then what follows the STATE. */
static size_t frame_max; /* message.max.bytes of the run */

static unsigned char *restart_prefix(const unsigned char *out, size_t upto, size_t *len)
{
    unsigned char *pre = gdx_xcalloc(1, upto + 1);
    size_t n = EXEC_FRAME_PREAMBLE_LEN, i = EXEC_FRAME_PREAMBLE_LEN;
    struct exec_frames *fr = exec_frames_new();
    char err[256];
    memcpy(pre, out, EXEC_FRAME_PREAMBLE_LEN);
    while (i + GDXF_HEADER_LEN <= upto) {
        uint32_t flen = (uint32_t)out[i + 1] << 24 | (uint32_t)out[i + 2] << 16 |
                        (uint32_t)out[i + 3] << 8 | out[i + 4];
        size_t end = i + GDXF_HEADER_LEN + (size_t)flen;
        if (end > upto) {
            break;
        }
        if (out[i] == GDXF_TYPE_FIELDS && flen <= frame_max &&
            exec_frames_table(fr, out + i + GDXF_HEADER_LEN, flen, err, sizeof(err)) == GDX_OK) {
            memcpy(pre + n, out + i, end - i);
            n += end - i;
        }
        i = end;
    }
    exec_frames_destroy(fr);
    *len = n;
    return pre;
}

static void check_round_trip(struct xr *c, const struct want *w)
{
    FUZZ_CHECK(!c->fatal && c->batch.n == w->n);
    for (size_t i = 0; i < w->n; i++) {
        const struct fuzz_rec *r = &c->batch.recs[i], *e = &w->recs[i];
        if (r->error) {
            fprintf(stderr, "record %zu: %s\n", i, r->error);
        }
        FUZZ_CHECK(!r->error && r->nfields == e->nfields);
        for (size_t j = 0; j < e->nfields; j++) {
            FUZZ_CHECK(!strcmp(r->names[j], e->names[j]));
            FUZZ_CHECK(!r->values[j] == !e->values[j]);
            FUZZ_CHECK(!e->values[j] || (r->lens[j] == e->lens[j] &&
                                         !memcmp(r->values[j], e->values[j], e->lens[j])));
        }
    }
    if (w->state) {
        json_t *j = json_loads(w->state, JSON_DECODE_ANY, NULL);
        char *canon = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        FUZZ_CHECK(c->ei->state && !strcmp(c->ei->state, canon));
        free(canon);
        json_decref(j);
    } else {
        FUZZ_CHECK(!c->ei->state);
    }
}

static void payloads(const uint8_t *p, size_t n)
{
    struct exec_frames *fr = exec_frames_new();
    char err[512];
    size_t i = 0;

    while (i + 3 <= n) {
        int type = p[i] & 1 ? GDXF_TYPE_RECORD : GDXF_TYPE_FIELDS;
        size_t l = (size_t)p[i + 1] << 8 | p[i + 2], bad;
        i += 3;
        l = l < n - i ? l : n - i;
        if (type == GDXF_TYPE_FIELDS) {
            if (exec_frames_table(fr, p + i, l, err, sizeof(err)) == GDX_OK) {
                /* read the table back through a record of nulls */
                size_t slen = (size_t)p[i + 2] << 8 | p[i + 3];
                size_t nf = (size_t)p[i + 4 + slen] << 8 | p[i + 5 + slen];
                unsigned char *rec = gdx_xcalloc(1, 2 + 4 * nf);
                struct gdx_row row;
                const char *stream = NULL;
                memcpy(rec, p + i, 2);
                memset(rec + 2, 0xff, 4 * nf);
                memset(&row, 0, sizeof(row));
                FUZZ_CHECK(exec_frames_record(fr, rec, 2 + 4 * nf, &row, &stream, err,
                                              sizeof(err)) == GDX_OK);
                FUZZ_CHECK(row.nfields == nf && nf >= 1 && nf <= EXEC_FRAME_MAX_FIELDS);
                FUZZ_CHECK(strlen(stream) == slen && !memcmp(stream, p + i + 4, slen) &&
                           gdx_utf8_valid(stream, slen, &bad));
                for (size_t a = 0; a < nf; a++) {
                    FUZZ_CHECK(row.names[a][0] &&
                               gdx_utf8_valid(row.names[a], strlen(row.names[a]), &bad) &&
                               !row.values[a]);
                    for (size_t b = 0; b < a; b++) {
                        FUZZ_CHECK(strcmp(row.names[a], row.names[b]));
                    }
                }
                free(rec);
            } else {
                FUZZ_CHECK(!strncmp(err, "field table", 11));
            }
        } else {
            struct gdx_row row;
            const char *stream = NULL;
            memset(&row, 0, sizeof(row));
            if (exec_frames_record(fr, p + i, l, &row, &stream, err, sizeof(err)) == GDX_OK) {
                size_t sum = 2;
                FUZZ_CHECK(stream && row.nfields >= 1);
                for (size_t a = 0; a < row.nfields; a++) {
                    sum += 4 + (row.values[a] ? row.lens[a] : 0);
                    FUZZ_CHECK(!row.values[a] || row.values[a][row.lens[a]] == '\0');
                }
                FUZZ_CHECK(sum == l);
            } else {
                FUZZ_CHECK(!strncmp(err, "record", 6) && row.nfields == 0);
            }
        }
        i += l;
    }
    exec_frames_destroy(fr);
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
    const char *settings = "format: auto\nmessage.max.bytes: 1KiB\nstate.max.bytes: 64\n";
    size_t cut, piece;
    struct xr *c;

    if (size < 2 || size > 64 * 1024) {
        return 0;
    }
    cut = 1 + data[1] % 16;
    frame_max = (data[0] & 3) == 1 && (data[0] & 0x80) ? 1 << 20 : 1024;
    piece = 1 + (data[1] >> 4) * 7;
    switch (data[0] & 3) {
    case 0: {
        struct want w;
        size_t len;
        unsigned char *out = encode(data + 2, size - 2, &len, &w);
        c = xr_check_restart(settings, out, len, cut, piece, 0, restart_prefix);
        check_round_trip(c, &w);
        xr_release(c);
        want_free(&w);
        free(out);
        break;
    }
    case 1: {
        unsigned char *out = gdx_xcalloc(1, size + EXEC_FRAME_PREAMBLE_LEN);
        memcpy(out, GDXF_MAGIC, GDXF_MAGIC_LEN);
        out[GDXF_MAGIC_LEN] = GDXF_VERSION;
        memcpy(out + EXEC_FRAME_PREAMBLE_LEN, data + 2, size - 2);
        c = xr_check_restart(data[0] & 0x80 ? "format: binary\n" : settings, out,
                             size - 2 + EXEC_FRAME_PREAMBLE_LEN, cut, piece, 0, restart_prefix);
        xr_release(c);
        free(out);
        break;
    }
    default:
        payloads(data + 2, size - 2);
        break;
    }
    return 0;
}
