/*
 * rowcheck.c - the round-trip property of rowcheck.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_avro.h"
#include "gdx_err.h"
#include "gdx_uplink.h"
#include "rowcheck.h"
#include "schemas.h"

struct rc_schema {
    struct gdx_schema *schema;
    struct gdx_encoder *enc, *enc2;
    struct gdx_recoder *rec;
};

static struct rc_schema rc_schemas[2];
static int rc_ready;

static void rc_fini(void)
{
    for (int i = 0; i < 2; i++) {
        gdx_recoder_destroy(rc_schemas[i].rec);
        gdx_encoder_destroy(rc_schemas[i].enc);
        gdx_encoder_destroy(rc_schemas[i].enc2);
        gdx_schema_destroy(rc_schemas[i].schema);
    }
}

static void rc_init(void)
{
    const char *texts[2] = {fuzz_workorder_avsc, fuzz_event_avsc};
    char err[512];
    for (int i = 0; i < 2; i++) {
        struct rc_schema *s = &rc_schemas[i];
        s->schema = gdx_schema_parse(texts[i], strlen(texts[i]), "harness", err, sizeof(err));
        if (!s->schema) {
            fprintf(stderr, "harness schema: %s\n", err);
            abort();
        }
        s->enc = gdx_encoder_new(s->schema, err, sizeof(err));
        s->enc2 = gdx_encoder_new(s->schema, err, sizeof(err));
        FUZZ_CHECK(s->enc && s->enc2);
        FUZZ_CHECK(gdx_recoder_new(&s->rec, s->schema, NULL, err, sizeof(err)) == GDX_OK);
    }
    rc_ready = 1;
    atexit(rc_fini);
}

/* The text of a decoded field value, as a row would carry it; NULL for null. */
static char *rc_text(const struct gdx_field *f, json_t *v, size_t *len)
{
    char *s;
    switch (json_typeof(v)) {
    case JSON_NULL:
        *len = 0;
        return NULL;
    case JSON_STRING:
        if (f->type == AVRO_BYTES || f->type == AVRO_FIXED) {
            if (f->logical == GDX_LT_DECIMAL) {
                break;
            }
            /* code points U+0000..U+00FF back to bytes */
            const unsigned char *p = (const unsigned char *)json_string_value(v);
            size_t n = json_string_length(v), o = 0;
            s = malloc(n + 1);
            FUZZ_CHECK(s);
            for (size_t i = 0; i < n; i++) {
                if (p[i] < 0x80) {
                    s[o++] = (char)p[i];
                } else {
                    FUZZ_CHECK(i + 1 < n && (p[i] == 0xc2 || p[i] == 0xc3));
                    s[o++] = (char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3f));
                    i++;
                }
            }
            s[o] = '\0';
            *len = o;
            return s;
        }
        break;
    case JSON_INTEGER:
        s = malloc(32);
        FUZZ_CHECK(s);
        *len = (size_t)snprintf(s, 32, "%" PRId64, (int64_t)json_integer_value(v));
        return s;
    case JSON_REAL:
        s = malloc(40);
        FUZZ_CHECK(s);
        *len = (size_t)snprintf(s, 40, "%.17g", json_real_value(v));
        return s;
    case JSON_TRUE:
    case JSON_FALSE:
        s = strdup(json_is_true(v) ? "true" : "false");
        FUZZ_CHECK(s);
        *len = strlen(s);
        return s;
    default:
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        FUZZ_CHECK(s);
        *len = strlen(s);
        return s;
    }
    *len = json_string_length(v);
    s = malloc(*len + 1);
    FUZZ_CHECK(s);
    memcpy(s, json_string_value(v), *len + 1);
    return s;
}

/*
 * GDX_FUZZ_DUMP_AVRO=DIR: write every accepted body, framed as it would be on Kafka, into DIR
 * (Confluent id 1 or 2, and single-object encoding): how the Avro harness's seeds are made.
 */
static void rc_dump(const struct rc_schema *s, const void *body, size_t len)
{
    const char *dir = getenv("GDX_FUZZ_DUMP_AVRO");
    uint8_t hdr[GDX_SOE_HEADER_LEN];
    char path[4096];
    FILE *f;
    if (!dir) {
        return;
    }
    for (int framing = 0; framing < 2; framing++) {
        size_t hlen = framing ? GDX_SOE_HEADER_LEN : GDX_CONFLUENT_HEADER_LEN;
        if (framing) {
            gdx_soe_header(hdr, s->schema->fingerprint);
        } else {
            gdx_confluent_header(hdr, s == &rc_schemas[0] ? 1 : 2);
        }
        snprintf(path, sizeof(path), "%s/%s-%s-%016llx", dir, s == &rc_schemas[0] ? "wo" : "ev",
                 framing ? "soe" : "cf", (unsigned long long)gdx_avro_crc64(body, len));
        f = fopen(path, "wb");
        FUZZ_CHECK(f && fwrite(hdr, 1, hlen, f) == hlen && fwrite(body, 1, len, f) == len);
        fclose(f);
    }
}

static int rc_one(struct rc_schema *s, const struct gdx_row *row)
{
    const struct gdx_schema *sc = s->schema;
    const void *body, *body2, *out;
    size_t len, len2, out_len;
    const char *stage, *field;
    char err[512];
    json_t *doc;
    ssize_t from[64];

    FUZZ_CHECK(sc->nfields <= 64);
    for (size_t i = 0; i < sc->nfields; i++) {
        from[i] = -1;
    }
    gdx_encoder_reset(s->enc);
    for (size_t i = 0; i < row->nfields; i++) {
        const struct gdx_field *f = gdx_schema_field(sc, row->names[i]);
        if (!f) {
            continue;
        }
        if (gdx_encoder_set(s->enc, f, row->values[i], row->values[i] ? row->lens[i] : 0, NULL, err,
                            sizeof(err)) != GDX_OK) {
            return 0; /* a dead letter: nothing to check */
        }
        from[f->index] = (ssize_t)i;
    }
    if (gdx_encoder_finish(s->enc, 0, &body, &len, err, sizeof(err)) != GDX_OK) {
        return 0;
    }

    rc_dump(s, body, len);

    /* 1. it decodes */
    doc = gdx_avro_decode_json(sc, body, len, err, sizeof(err));
    if (!doc) {
        fprintf(stderr, "accepted row does not decode: %s\n", err);
    }
    FUZZ_CHECK(doc && json_is_object(doc));

    /* 2. strings and bytes come back as they went in */
    for (size_t i = 0; i < sc->nfields; i++) {
        const struct gdx_field *f = &sc->fields[i];
        json_t *v = json_object_get(doc, f->name);
        FUZZ_CHECK(v);
        if (from[i] < 0 || f->logical != GDX_LT_NONE) {
            continue;
        }
        const char *text = row->values[from[i]];
        size_t tlen = text ? row->lens[from[i]] : 0;
        if (!text || (tlen == 0 && f->nullable)) {
            FUZZ_CHECK(json_is_null(v));
            continue;
        }
        if (f->type == AVRO_STRING) {
            FUZZ_CHECK(json_is_string(v) && json_string_length(v) == tlen &&
                       memcmp(json_string_value(v), text, tlen) == 0);
        } else if (f->type == AVRO_BYTES || f->type == AVRO_FIXED) {
            size_t blen;
            char *b = rc_text(f, v, &blen);
            FUZZ_CHECK(b && blen == tlen && memcmp(b, text, tlen) == 0);
            free(b);
        }
    }

    /* 3. the uplink's walker takes the body */
    FUZZ_CHECK(gdx_recoder_apply(s->rec, body, len, &out, &out_len, &stage, &field, err,
                                 sizeof(err)) == GDX_OK);
    FUZZ_CHECK(out_len == len && memcmp(out, body, len) == 0);

    /* 4. what tail prints encodes to the same body */
    gdx_encoder_reset(s->enc2);
    for (size_t i = 0; i < sc->nfields; i++) {
        const struct gdx_field *f = &sc->fields[i];
        size_t tlen;
        char *text = rc_text(f, json_object_get(doc, f->name), &tlen);
        int rc = gdx_encoder_set(s->enc2, f, text, tlen, NULL, err, sizeof(err));
        if (rc != GDX_OK) {
            fprintf(stderr, "field '%s': decoded text not accepted again: %s\n", f->name, err);
        }
        FUZZ_CHECK(rc == GDX_OK);
        free(text);
    }
    FUZZ_CHECK(gdx_encoder_finish(s->enc2, 0, &body2, &len2, err, sizeof(err)) == GDX_OK);
    if (len2 != len || memcmp(body, body2, len) != 0) {
        char *t = json_dumps(doc, JSON_COMPACT);
        fprintf(stderr, "re-encoded body differs (%zu vs %zu bytes) for %s\n", len, len2,
                t ? t : "?");
        free(t);
    }
    FUZZ_CHECK(len2 == len && memcmp(body, body2, len) == 0);
    json_decref(doc);
    return 1;
}

int rowcheck_row(const struct gdx_row *row)
{
    int n = 0;
    if (!rc_ready) {
        rc_init();
    }
    if (row->error) {
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        n += rc_one(&rc_schemas[i], row);
    }
    return n;
}
