/*
 * gdxframe.h - the reference encoder of the exec connector's binary framing, for adapters
 * written in C (header only, C99 and libc only: copy it into your adapter's tree).
 *
 * The format (connectors/exec/README.md, "Binary framing", is the full description):
 *
 *   preamble  8 bytes  89 47 44 58 46 0D 0A 1A   ("\x89GDXF\r\n\x1a")
 *             1 byte   version, 01
 *   frame     1 byte   type
 *             4 bytes  payload length, unsigned big-endian
 *             payload
 *
 *   'F' field table  u16 table id, u16 stream name length, stream name (UTF-8),
 *                    u16 field count, then per field: u16 name length, name (UTF-8)
 *   'R' record       u16 table id, then per field of that table: u32 value length and the
 *                    value's bytes (UTF-8 text as in a CSV cell: numbers as decimal text);
 *                    length 0xFFFFFFFF is a null value without bytes
 *   'S' state        the STATE value as JSON text (what a Singer STATE message's "value"
 *                    holds; the connector hands it back with --state FILE)
 *
 * Every integer is big-endian. A table is defined before the records that use it and may be
 * redefined. Frame types 'a'..'z' are ancillary: the connector skips them, so later versions
 * can add optional frames; an unknown type 'A'..'Z' is an error.
 *
 * Usage:
 *     static const char *names[] = {"cert_id", "name", "age"};
 *     gdxf_preamble(stdout);
 *     gdxf_table(stdout, 1, "gaoling", 3, names);
 *     const char *vals[] = {"GL2026000001", "张桂兰", "91"};
 *     gdxf_record(stdout, 1, 3, vals, NULL);          (NULL lens: strlen of each value)
 *     gdxf_state(stdout, "{\"last\":\"GL2026000001\"}");
 *     fflush(stdout);
 * Each function returns 0, or -1 when the stream failed or a size does not fit its field.
 */
#ifndef GDXFRAME_H
#define GDXFRAME_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define GDXF_MAGIC       "\x89GDXF\r\n\x1a"
#define GDXF_MAGIC_LEN   8
#define GDXF_VERSION     1
#define GDXF_HEADER_LEN  5 /* type + u32 length */
#define GDXF_NULL        0xFFFFFFFFu
#define GDXF_TYPE_FIELDS 'F'
#define GDXF_TYPE_RECORD 'R'
#define GDXF_TYPE_STATE  'S'

static inline void gdxf_put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static inline void gdxf_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline int gdxf_write(FILE *out, const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, out) == n ? 0 : -1;
}

static inline int gdxf_header(FILE *out, int type, uint64_t len)
{
    unsigned char h[GDXF_HEADER_LEN];
    if (len > 0xFFFFFFFEu) {
        return -1;
    }
    h[0] = (unsigned char)type;
    gdxf_put32(h + 1, (uint32_t)len);
    return gdxf_write(out, h, sizeof(h));
}

/* The preamble: once, before the first frame. */
static inline int gdxf_preamble(FILE *out)
{
    unsigned char v = GDXF_VERSION;
    if (gdxf_write(out, GDXF_MAGIC, GDXF_MAGIC_LEN) || gdxf_write(out, &v, 1)) {
        return -1;
    }
    return 0;
}

/* Define table @p id: the stream it belongs to and its @p n field names. */
static inline int gdxf_table(FILE *out, uint16_t id, const char *stream, size_t n,
                             const char *const *names)
{
    unsigned char b[4];
    size_t slen = strlen(stream);
    uint64_t len = 2 + 2 + slen + 2;

    if (slen > 0xFFFF || n > 0xFFFF) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        if (l > 0xFFFF) {
            return -1;
        }
        len += 2 + l;
    }
    if (gdxf_header(out, GDXF_TYPE_FIELDS, len)) {
        return -1;
    }
    gdxf_put16(b, id);
    gdxf_put16(b + 2, (uint16_t)slen);
    if (gdxf_write(out, b, 4) || gdxf_write(out, stream, slen)) {
        return -1;
    }
    gdxf_put16(b, (uint16_t)n);
    if (gdxf_write(out, b, 2)) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        gdxf_put16(b, (uint16_t)l);
        if (gdxf_write(out, b, 2) || gdxf_write(out, names[i], l)) {
            return -1;
        }
    }
    return 0;
}

/* One record of table @p id: @p n values in the table's field order; a NULL value is null.
 * @p lens may be NULL when every value is a NUL-terminated string. */
static inline int gdxf_record(FILE *out, uint16_t id, size_t n, const char *const *vals,
                              const size_t *lens)
{
    unsigned char b[4];
    uint64_t len = 2;

    for (size_t i = 0; i < n; i++) {
        size_t l = vals[i] ? (lens ? lens[i] : strlen(vals[i])) : 0;
        if (l >= GDXF_NULL) {
            return -1;
        }
        len += 4 + l;
    }
    if (gdxf_header(out, GDXF_TYPE_RECORD, len)) {
        return -1;
    }
    gdxf_put16(b, id);
    if (gdxf_write(out, b, 2)) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = vals[i] ? (lens ? lens[i] : strlen(vals[i])) : 0;
        gdxf_put32(b, vals[i] ? (uint32_t)l : GDXF_NULL);
        if (gdxf_write(out, b, 4) || (vals[i] && gdxf_write(out, vals[i], l))) {
            return -1;
        }
    }
    return 0;
}

/* A STATE: @p json is the state value as JSON text. */
static inline int gdxf_state(FILE *out, const char *json)
{
    size_t l = strlen(json);
    if (gdxf_header(out, GDXF_TYPE_STATE, l) || gdxf_write(out, json, l)) {
        return -1;
    }
    return 0;
}

#endif
