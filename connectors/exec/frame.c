/*
 * frame.c - decoding the exec connector's binary frames.
 *
 * JSON over a pipe costs a parse of every key and value; a high-rate adapter can instead
 * send length-prefixed frames: the field names once per table, then records as lengths
 * and bytes. Decoding a record is a bounds-checked walk over its payload and one copy of
 * the values (NUL-terminated, as the runtime's coercions expect).
 *
 * Invariants: every length is checked against what is left of the payload before it is
 * used; a record must fill its payload exactly; a table's names are non-empty, valid UTF-8
 * and distinct, so a record maps onto the schema the same way a JSON object does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_text.h"
#include "gdx_util.h"

#include "frame.h"

struct frame_table {
    uint16_t id;
    char *stream;
    size_t nfields;
    char **names;
};

struct exec_frames {
    struct frame_table tables[EXEC_FRAME_MAX_TABLES];
    size_t ntables;
    size_t last; /* index of the table of the last record */
    char *arena;
    size_t arena_cap;
    const char **values;
    size_t *lens;
    size_t vcap;
};

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

struct exec_frames *exec_frames_new(void)
{
    return gdx_xcalloc(1, sizeof(struct exec_frames));
}

static void table_release(struct frame_table *t)
{
    for (size_t i = 0; i < t->nfields; i++) {
        free(t->names[i]);
    }
    free(t->names);
    free(t->stream);
    memset(t, 0, sizeof(*t));
}

void exec_frames_destroy(struct exec_frames *fr)
{
    if (!fr) {
        return;
    }
    for (size_t i = 0; i < fr->ntables; i++) {
        table_release(&fr->tables[i]);
    }
    free(fr->arena);
    free(fr->values);
    free(fr->lens);
    free(fr);
}

int exec_frame_preamble(const unsigned char *buf, size_t avail, char *errstr, size_t errstr_size)
{
    size_t n = avail < GDXF_MAGIC_LEN ? avail : GDXF_MAGIC_LEN;

    if (memcmp(buf, GDXF_MAGIC, n) != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "output starts with byte 0x%02x but is not the frame preamble "
                          "(89 47 44 58 46 0D 0A 1A)",
                          buf[0]);
    }
    if (avail < EXEC_FRAME_PREAMBLE_LEN) {
        return 0;
    }
    if (buf[GDXF_MAGIC_LEN] != GDXF_VERSION) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "the adapter writes frame version %u; this gdx reads version %d",
                          buf[GDXF_MAGIC_LEN], GDXF_VERSION);
    }
    return 1;
}

int exec_frame_header(const unsigned char *buf, size_t avail, int *type, uint32_t *len)
{
    if (avail < GDXF_HEADER_LEN) {
        return 0;
    }
    *type = buf[0];
    *len = get32(buf + 1);
    return 1;
}

/* A UTF-8 name of @p n bytes at @p p, heap, or NULL with errstr set ("field table T: the
 * name of field 3 is ..."). */
static char *frame_name(const unsigned char *p, size_t n, unsigned table, const char *what,
                        char *errstr, size_t errstr_size)
{
    const unsigned char *nul = memchr(p, 0, n);
    size_t bad = 0;
    char *s;

    if (nul) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                   "field table %u: %s holds a NUL byte (byte %zu)", table, what,
                   (size_t)(nul - p));
        return NULL;
    }
    if (!gdx_utf8_valid((const char *)p, n, &bad)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                   "field table %u: %s is not valid UTF-8 (byte %zu)", table, what, bad);
        return NULL;
    }
    s = gdx_xcalloc(1, n + 1);
    memcpy(s, p, n);
    return s;
}

int exec_frames_table(struct exec_frames *fr, const unsigned char *p, size_t len, char *errstr,
                      size_t errstr_size)
{
    struct frame_table t, *slot = NULL;
    char what[48];
    size_t off, slen;
    int rc = GDX_ERR_PARSE;

    memset(&t, 0, sizeof(t));
    if (len < 6) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "field table of %zu bytes is too short", len);
    }
    t.id = get16(p);
    slen = get16(p + 2);
    if (4 + slen + 2 > len) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "field table %u: stream name of %zu bytes overruns the frame", t.id,
                          slen);
    }
    if (slen == 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field table %u: empty stream name",
                          t.id);
    }
    t.stream = frame_name(p + 4, slen, t.id, "the stream name", errstr, errstr_size);
    if (!t.stream) {
        goto out;
    }
    off = 4 + slen;
    t.nfields = get16(p + off);
    off += 2;
    if (t.nfields == 0 || t.nfields > EXEC_FRAME_MAX_FIELDS) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                   "field table %u: %zu fields (1 to %d allowed)", t.id, t.nfields,
                   EXEC_FRAME_MAX_FIELDS);
        t.nfields = 0;
        goto out;
    }
    t.names = gdx_xcalloc(t.nfields, sizeof(*t.names));
    for (size_t i = 0; i < t.nfields; i++) {
        size_t nl;
        if (off + 2 > len) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                       "field table %u: ends before field %zu of %zu", t.id, i + 1, t.nfields);
            goto out;
        }
        nl = get16(p + off);
        off += 2;
        if (nl == 0 || off + nl > len) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field table %u: field %zu has %s name",
                       t.id, i + 1, nl ? "an overrunning" : "an empty");
            goto out;
        }
        snprintf(what, sizeof(what), "the name of field %zu", i + 1);
        t.names[i] = frame_name(p + off, nl, t.id, what, errstr, errstr_size);
        if (!t.names[i]) {
            goto out;
        }
        off += nl;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(t.names[j], t.names[i]) == 0) {
                gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                           "field table %u: field '%s' appears twice", t.id, t.names[i]);
                goto out;
            }
        }
    }
    if (off != len) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                   "field table %u: %zu bytes left after the last field", t.id, len - off);
        goto out;
    }
    for (size_t i = 0; i < fr->ntables; i++) {
        if (fr->tables[i].id == t.id) {
            slot = &fr->tables[i];
            table_release(slot);
            break;
        }
    }
    if (!slot) {
        if (fr->ntables == EXEC_FRAME_MAX_TABLES) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                       "field table %u: more than %d tables defined", t.id, EXEC_FRAME_MAX_TABLES);
            goto out;
        }
        slot = &fr->tables[fr->ntables++];
    }
    *slot = t;
    memset(&t, 0, sizeof(t));
    rc = GDX_OK;
out:
    table_release(&t);
    return rc;
}

int exec_frames_record(struct exec_frames *fr, const unsigned char *p, size_t len,
                       struct gdx_row *row, const char **stream, char *errstr, size_t errstr_size)
{
    const struct frame_table *t = NULL;
    uint16_t id;
    size_t off = 2, aoff = 0;

    row->nfields = 0;
    if (len < 2) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "record of %zu bytes is too short",
                          len);
    }
    id = get16(p);
    if (fr->last < fr->ntables && fr->tables[fr->last].id == id) {
        t = &fr->tables[fr->last];
    } else {
        for (size_t i = 0; i < fr->ntables; i++) {
            if (fr->tables[i].id == id) {
                t = &fr->tables[i];
                fr->last = i;
                break;
            }
        }
    }
    if (!t) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "record of field table %u, which is not defined", id);
    }
    /* the values, NUL-terminated, fit in the payload's size plus one byte per field */
    if (len + t->nfields > fr->arena_cap) {
        fr->arena_cap = (len + t->nfields) * 2;
        fr->arena = gdx_xrealloc(fr->arena, fr->arena_cap);
    }
    if (t->nfields > fr->vcap) {
        fr->vcap = t->nfields;
        fr->values = gdx_xrealloc(fr->values, fr->vcap * sizeof(*fr->values));
        fr->lens = gdx_xrealloc(fr->lens, fr->vcap * sizeof(*fr->lens));
    }
    for (size_t i = 0; i < t->nfields; i++) {
        uint32_t vl;
        if (off + 4 > len) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "record of table %u ends before field %zu ('%s') of %zu", id, i + 1,
                              t->names[i], t->nfields);
        }
        vl = get32(p + off);
        off += 4;
        if (vl == GDXF_NULL) {
            fr->values[i] = NULL;
            fr->lens[i] = 0;
            continue;
        }
        if (vl > len - off) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "record of table %u: value of field '%s' (%u bytes) overruns the "
                              "frame",
                              id, t->names[i], vl);
        }
        memcpy(fr->arena + aoff, p + off, vl);
        fr->arena[aoff + vl] = '\0';
        fr->values[i] = fr->arena + aoff;
        fr->lens[i] = vl;
        aoff += vl + 1;
        off += vl;
    }
    if (off != len) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "record of table %u: %zu bytes left after the last field", id, len - off);
    }
    row->nfields = t->nfields;
    row->names = (const char *const *)t->names;
    row->values = fr->values;
    row->lens = fr->lens;
    *stream = t->stream;
    return GDX_OK;
}
