/*
 * gdx_avro.c - Avro schemas with gdx labels, text-to-Avro coercion, framings, and a bounded
 * decoder.
 *
 * A schema is parsed twice: by jansson into a small type tree of our own (logical types,
 * defaults, labels, names resolved with namespace inheritance) and by Avro-C, whose generic
 * value class encodes defaults and complex fields. The original text is kept verbatim because
 * Avro-C 1.11.1 forgets logicalType and defaults when it prints a schema. The public struct
 * gdx_schema is the first member of a private struct, so the type tree travels with it
 * without a header change; every gdx_schema is made and destroyed here.
 *
 * The encoder writes Avro binary directly from the text, field by field (see struct
 * gdx_encoder); the reference encoder, kept for the tests, holds one Avro-C generic record
 * value reset per record (the value API is 8-16x faster than datums). There strings are
 * copied into a NUL-terminated scratch buffer because Avro-C's set_string_len wants the
 * length including the NUL and otherwise cuts the last byte, which turns Chinese text into
 * invalid UTF-8. Both name the field in errors and quote a truncated value only when the
 * field is not pi/spi.
 *
 * Decoding does not use Avro-C: its reader trusts lengths from the wire. Our decoder walks
 * the type tree over the body and checks every length and count against the bytes left
 * before allocating anything, with a depth limit for recursive schemas.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gdx_avro.h"
#include "gdx_err.h"
#include "gdx_limits.h"
#include "gdx_text.h"
#include "gdx_util.h"

#define SCHEMA_MAX_BYTES   GDX_LIMIT_SCHEMA_BYTES
#define DECIMAL_MAX_DIGITS GDX_LIMIT_DECIMAL_PRECISION /* 10^128 fits in DEC_BUF bytes */
#define DEC_BUF            64
#define FIXED_MAX_SIZE     GDX_LIMIT_FIXED_SIZE
#define DECODE_MAX_DEPTH   GDX_LIMIT_AVRO_DEPTH
#define QUOTE_MAX          40 /* bytes of a value quoted in an error message */

/* ---------------------------------------------------------------------------------------- */
/* Small helpers */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_grow(struct sbuf *sb, size_t add)
{
    if (sb->len + add + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + add + 1) {
            cap *= 2;
        }
        sb->p = gdx_xrealloc(sb->p, cap);
        sb->cap = cap;
    }
}

static void sb_addn(struct sbuf *sb, const char *s, size_t n)
{
    sb_grow(sb, n);
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

static void sb_adds(struct sbuf *sb, const char *s)
{
    sb_addn(sb, s, strlen(s));
}

static void sb_addc(struct sbuf *sb, char c)
{
    sb_addn(sb, &c, 1);
}

/* A JSON string literal; names and symbols are plain ASCII, other text passes as UTF-8. */
static void sb_addq(struct sbuf *sb, const char *s)
{
    sb_addc(sb, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            sb_addc(sb, '\\');
            sb_addc(sb, (char)c);
        } else if (c < 0x20) {
            char tmp[8];
            snprintf(tmp, sizeof(tmp), "\\u%04x", c);
            sb_adds(sb, tmp);
        } else {
            sb_addc(sb, (char)c);
        }
    }
    sb_addc(sb, '"');
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF (gdx_text's validator,
 * eight ASCII bytes at a time). */
static int utf8_check(const char *str, size_t len, size_t *bad_off)
{
    return gdx_utf8_valid(str, len, bad_off);
}

/* ---------------------------------------------------------------------------------------- */
/* CRC-64-AVRO (Rabin), bitwise: fingerprints are computed once per schema. */

#define CRC64_EMPTY 0xc15d213aa4d7a795ULL

uint64_t gdx_avro_crc64(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint64_t fp = CRC64_EMPTY;
    for (size_t i = 0; i < len; i++) {
        fp ^= p[i];
        for (int j = 0; j < 8; j++) {
            fp = (fp >> 1) ^ (CRC64_EMPTY & (0 - (fp & 1)));
        }
    }
    return fp;
}

/* ---------------------------------------------------------------------------------------- */
/* Names */

static const char *const primitives[] = {"null",  "boolean", "int",   "long",
                                         "float", "double",  "bytes", "string"};

static int is_primitive(const char *s)
{
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++) {
        if (strcmp(s, primitives[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Full name and new enclosing namespace of a named type's definition: a dotted name is
 * already full; else the "namespace" attribute (possibly "", the null namespace); else the
 * enclosing namespace. *ns_out points into *full_out (malloc'd) or is "".
 */
static void named_fullname(json_t *obj, const char *name, const char *ns, char **full_out,
                           char **ns_out)
{
    const char *dot = strrchr(name, '.');
    json_t *jns = json_object_get(obj, "namespace");
    if (dot) {
        *full_out = gdx_xstrdup(name);
        *ns_out = xmalloc((size_t)(dot - name) + 1);
        memcpy(*ns_out, name, (size_t)(dot - name));
        (*ns_out)[dot - name] = '\0';
        return;
    }
    if (json_is_string(jns)) {
        ns = json_string_value(jns);
    }
    if (ns && *ns) {
        size_t n = strlen(ns) + strlen(name) + 2;
        *full_out = xmalloc(n);
        snprintf(*full_out, n, "%s.%s", ns, name);
        *ns_out = gdx_xstrdup(ns);
    } else {
        *full_out = gdx_xstrdup(name);
        *ns_out = gdx_xstrdup("");
    }
}

struct namelist {
    char **names;
    void **vals;
    size_t n, cap;
};

static int names_find(const struct namelist *nl, const char *full, void **val)
{
    for (size_t i = 0; i < nl->n; i++) {
        if (strcmp(nl->names[i], full) == 0) {
            if (val) {
                *val = nl->vals[i];
            }
            return 1;
        }
    }
    return 0;
}

static void names_add(struct namelist *nl, const char *full, void *val)
{
    if (nl->n == nl->cap) {
        nl->cap = nl->cap ? nl->cap * 2 : 8;
        nl->names = gdx_xrealloc(nl->names, nl->cap * sizeof(*nl->names));
        nl->vals = gdx_xrealloc(nl->vals, nl->cap * sizeof(*nl->vals));
    }
    nl->names[nl->n] = gdx_xstrdup(full);
    nl->vals[nl->n] = val;
    nl->n++;
}

static void names_release(struct namelist *nl)
{
    for (size_t i = 0; i < nl->n; i++) {
        free(nl->names[i]);
    }
    free(nl->names);
    free(nl->vals);
    memset(nl, 0, sizeof(*nl));
}

/* Resolve a reference: in the enclosing namespace, falling back to the null namespace. */
static char *resolve_ref(const struct namelist *nl, const char *name, const char *ns)
{
    if (!strchr(name, '.') && ns && *ns) {
        size_t n = strlen(ns) + strlen(name) + 2;
        char *full = xmalloc(n);
        snprintf(full, n, "%s.%s", ns, name);
        if (names_find(nl, full, NULL) || !names_find(nl, name, NULL)) {
            return full;
        }
        free(full);
    }
    return gdx_xstrdup(name);
}

/* ---------------------------------------------------------------------------------------- */
/* Parsing Canonical Form */

static int canon_node(json_t *j, const char *ns, struct namelist *nl, struct sbuf *out,
                      char *errstr, size_t errstr_size, int depth);

static int canon_named(json_t *j, const char *type, const char *ns, struct namelist *nl,
                       struct sbuf *out, char *errstr, size_t errstr_size, int depth)
{
    json_t *jname = json_object_get(j, "name");
    char *full = NULL, *newns = NULL;
    int rc = GDX_OK;
    if (!json_is_string(jname) || !*json_string_value(jname)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "%s without a name", type);
    }
    named_fullname(j, json_string_value(jname), ns, &full, &newns);
    names_add(nl, full, NULL);
    sb_adds(out, "{\"name\":");
    sb_addq(out, full);
    sb_adds(out, ",\"type\":");
    sb_addq(out, type);
    if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
        json_t *fields = json_object_get(j, "fields");
        size_t i;
        json_t *f;
        if (!json_is_array(fields)) {
            rc =
                gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "record '%s' without fields", full);
            goto out;
        }
        sb_adds(out, ",\"fields\":[");
        json_array_foreach(fields, i, f)
        {
            json_t *fname = json_object_get(f, "name");
            if (!json_is_string(fname) || !json_object_get(f, "type")) {
                rc = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                                "record '%s': field %zu without a name or type", full, i);
                goto out;
            }
            sb_adds(out, i ? ",{\"name\":" : "{\"name\":");
            sb_addq(out, json_string_value(fname));
            sb_adds(out, ",\"type\":");
            rc = canon_node(json_object_get(f, "type"), newns, nl, out, errstr, errstr_size,
                            depth + 1);
            if (rc) {
                goto out;
            }
            sb_addc(out, '}');
        }
        sb_addc(out, ']');
    } else if (strcmp(type, "enum") == 0) {
        json_t *syms = json_object_get(j, "symbols");
        size_t i;
        json_t *s;
        if (!json_is_array(syms)) {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "enum '%s' without symbols", full);
            goto out;
        }
        sb_adds(out, ",\"symbols\":[");
        json_array_foreach(syms, i, s)
        {
            if (!json_is_string(s)) {
                rc = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                                "enum '%s': symbol %zu is not a string", full, i);
                goto out;
            }
            if (i) {
                sb_addc(out, ',');
            }
            sb_addq(out, json_string_value(s));
        }
        sb_addc(out, ']');
    } else {
        json_t *size = json_object_get(j, "size");
        char tmp[32];
        if (!json_is_integer(size)) {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "fixed '%s' without a size", full);
            goto out;
        }
        snprintf(tmp, sizeof(tmp), ",\"size\":%lld", (long long)json_integer_value(size));
        sb_adds(out, tmp);
    }
    sb_addc(out, '}');
out:
    free(full);
    free(newns);
    return rc;
}

static int canon_node(json_t *j, const char *ns, struct namelist *nl, struct sbuf *out,
                      char *errstr, size_t errstr_size, int depth)
{
    if (depth > 256) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "schema nested too deeply");
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *full;
        if (is_primitive(s)) {
            sb_addq(out, s);
            return GDX_OK;
        }
        full = resolve_ref(nl, s, ns);
        sb_addq(out, full);
        free(full);
        return GDX_OK;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *b;
        sb_addc(out, '[');
        json_array_foreach(j, i, b)
        {
            int rc;
            if (i) {
                sb_addc(out, ',');
            }
            rc = canon_node(b, ns, nl, out, errstr, errstr_size, depth + 1);
            if (rc) {
                return rc;
            }
        }
        sb_addc(out, ']');
        return GDX_OK;
    }
    if (json_is_object(j)) {
        json_t *type = json_object_get(j, "type");
        const char *t;
        int rc;
        if (json_is_object(type) || json_is_array(type)) {
            return canon_node(type, ns, nl, out, errstr, errstr_size, depth + 1);
        }
        if (!json_is_string(type)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "schema object without a type");
        }
        t = json_string_value(type);
        if (is_primitive(t)) {
            sb_addq(out, t);
            return GDX_OK;
        }
        if (!strcmp(t, "record") || !strcmp(t, "error") || !strcmp(t, "enum") ||
            !strcmp(t, "fixed")) {
            return canon_named(j, t, ns, nl, out, errstr, errstr_size, depth);
        }
        if (!strcmp(t, "array") || !strcmp(t, "map")) {
            int arr = !strcmp(t, "array");
            json_t *sub = json_object_get(j, arr ? "items" : "values");
            if (!sub) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "%s without %s", t,
                                  arr ? "items" : "values");
            }
            sb_adds(out, arr ? "{\"type\":\"array\",\"items\":" : "{\"type\":\"map\",\"values\":");
            rc = canon_node(sub, ns, nl, out, errstr, errstr_size, depth + 1);
            if (rc) {
                return rc;
            }
            sb_addc(out, '}');
            return GDX_OK;
        }
        /* {"type": "some.Named"} is a reference */
        return canon_node(type, ns, nl, out, errstr, errstr_size, depth + 1);
    }
    return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "invalid schema element");
}

static char *canonical_of(json_t *root, char *errstr, size_t errstr_size)
{
    struct namelist nl = {0};
    struct sbuf sb = {0};
    int rc = canon_node(root, "", &nl, &sb, errstr, errstr_size, 0);
    names_release(&nl);
    if (rc) {
        free(sb.p);
        return NULL;
    }
    return sb.p;
}

char *gdx_avro_canonical(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    char *res;
    if (!root) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "invalid schema JSON at line %d: %s",
                   jerr.line, jerr.text);
        return NULL;
    }
    res = canonical_of(root, errstr, errstr_size);
    json_decref(root);
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Type tree */

struct atype;

struct afield {
    char *name;
    struct atype *type;
    json_t *def; /* borrowed from the schema's JSON root, or NULL */
};

struct atype {
    avro_type_t kind;
    enum gdx_logical logical;
    int precision, scale;
    char *fullname;
    size_t size; /* fixed */
    char **symbols;
    size_t nsymbols;
    struct atype *sub; /* array items, map values */
    struct afield *fields;
    size_t nfields;
    struct atype **branches;
    size_t nbranches;
    size_t min_size; /* fewest bytes a value takes on the wire */
    int min_done;
};

struct schema_priv {
    struct gdx_schema pub; /* first: a gdx_schema pointer is a schema_priv pointer */
    json_t *root;
    struct atype **all;
    size_t nall, capall;
    struct atype *rec;
    struct atype **ftypes; /* per top-level field: the value (non-null) type */
};

static const struct schema_priv *cpriv(const struct gdx_schema *schema)
{
    return (const struct schema_priv *)schema;
}

static struct atype *type_new(struct schema_priv *sp, avro_type_t kind)
{
    struct atype *t = gdx_xcalloc(1, sizeof(*t));
    t->kind = kind;
    if (sp->nall == sp->capall) {
        sp->capall = sp->capall ? sp->capall * 2 : 16;
        sp->all = gdx_xrealloc(sp->all, sp->capall * sizeof(*sp->all));
    }
    sp->all[sp->nall++] = t;
    return t;
}

static void type_free(struct atype *t)
{
    free(t->fullname);
    for (size_t i = 0; i < t->nsymbols; i++) {
        free(t->symbols[i]);
    }
    free(t->symbols);
    for (size_t i = 0; i < t->nfields; i++) {
        free(t->fields[i].name);
    }
    free(t->fields);
    free(t->branches);
    free(t);
}

struct compile_ctx {
    struct schema_priv *sp;
    struct namelist names;
    const char *what; /* schema name for messages */
    char *errstr;
    size_t errstr_size;
};

static int compile(struct compile_ctx *cc, json_t *j, const char *ns, struct atype **out,
                   int depth);

static avro_type_t prim_kind(const char *s)
{
    if (!strcmp(s, "null")) {
        return AVRO_NULL;
    } else if (!strcmp(s, "boolean")) {
        return AVRO_BOOLEAN;
    } else if (!strcmp(s, "int")) {
        return AVRO_INT32;
    } else if (!strcmp(s, "long")) {
        return AVRO_INT64;
    } else if (!strcmp(s, "float")) {
        return AVRO_FLOAT;
    } else if (!strcmp(s, "double")) {
        return AVRO_DOUBLE;
    } else if (!strcmp(s, "bytes")) {
        return AVRO_BYTES;
    }
    return AVRO_STRING;
}

static int max_digits_for_fixed(size_t size)
{
    double d = floor((double)(8 * size - 1) * log10(2.0));
    return d > DECIMAL_MAX_DIGITS ? DECIMAL_MAX_DIGITS : (int)d;
}

/* Logical type of an object schema; unknown logical types are ignored (Avro spec). */
static int compile_logical(struct compile_ctx *cc, json_t *j, struct atype *t)
{
    json_t *lt = json_object_get(j, "logicalType");
    const char *l;
    avro_type_t want;
    enum gdx_logical lg;
    if (!json_is_string(lt)) {
        return GDX_OK;
    }
    l = json_string_value(lt);
    if (!strcmp(l, "date")) {
        lg = GDX_LT_DATE, want = AVRO_INT32;
    } else if (!strcmp(l, "time-millis")) {
        lg = GDX_LT_TIME_MILLIS, want = AVRO_INT32;
    } else if (!strcmp(l, "timestamp-millis")) {
        lg = GDX_LT_TIMESTAMP_MILLIS, want = AVRO_INT64;
    } else if (!strcmp(l, "timestamp-micros")) {
        lg = GDX_LT_TIMESTAMP_MICROS, want = AVRO_INT64;
    } else if (!strcmp(l, "uuid")) {
        lg = GDX_LT_UUID, want = AVRO_STRING;
    } else if (!strcmp(l, "decimal")) {
        json_t *p = json_object_get(j, "precision"), *s = json_object_get(j, "scale");
        int maxp = t->kind == AVRO_FIXED ? max_digits_for_fixed(t->size) : DECIMAL_MAX_DIGITS;
        if (t->kind != AVRO_BYTES && t->kind != AVRO_FIXED) {
            return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': logicalType 'decimal' needs bytes or fixed", cc->what);
        }
        if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > maxp) {
            return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': decimal precision must be 1 to %d", cc->what, maxp);
        }
        if (s && (!json_is_integer(s) || json_integer_value(s) < 0 ||
                  json_integer_value(s) > json_integer_value(p))) {
            return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': decimal scale must be 0 to the precision", cc->what);
        }
        t->logical = GDX_LT_DECIMAL;
        t->precision = (int)json_integer_value(p);
        t->scale = s ? (int)json_integer_value(s) : 0;
        return GDX_OK;
    } else {
        return GDX_OK;
    }
    if (t->kind != want) {
        return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                          "schema '%s': logicalType '%s' on the wrong base type", cc->what, l);
    }
    t->logical = lg;
    return GDX_OK;
}

static int compile_named(struct compile_ctx *cc, json_t *j, const char *type, const char *ns,
                         struct atype **out, int depth)
{
    json_t *jname = json_object_get(j, "name");
    char *full = NULL, *newns = NULL;
    struct atype *t;
    int rc = GDX_OK;
    if (!json_is_string(jname) || !*json_string_value(jname)) {
        return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                          "schema '%s': %s without a name", cc->what, type);
    }
    named_fullname(j, json_string_value(jname), ns, &full, &newns);
    if (names_find(&cc->names, full, NULL)) {
        rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                        "schema '%s': type '%s' defined twice", cc->what, full);
        goto out;
    }
    if (!strcmp(type, "record") || !strcmp(type, "error")) {
        json_t *fields = json_object_get(j, "fields"), *f;
        size_t i;
        t = type_new(cc->sp, AVRO_RECORD);
        t->fullname = gdx_xstrdup(full);
        names_add(&cc->names, full, t);
        if (!json_is_array(fields)) {
            rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                            "schema '%s': record '%s' without fields", cc->what, full);
            goto out;
        }
        t->fields = gdx_xcalloc(json_array_size(fields), sizeof(*t->fields));
        json_array_foreach(fields, i, f)
        {
            json_t *fname = json_object_get(f, "name");
            const char *fn;
            if (!json_is_string(fname) || !json_object_get(f, "type")) {
                rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                                "schema '%s': record '%s': field %zu without a name or type",
                                cc->what, full, i);
                goto out;
            }
            fn = json_string_value(fname);
            for (size_t k = 0; k < t->nfields; k++) {
                if (!strcmp(t->fields[k].name, fn)) {
                    rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                                    "schema '%s': record '%s': field '%s' defined twice", cc->what,
                                    full, fn);
                    goto out;
                }
            }
            t->fields[i].name = gdx_xstrdup(fn);
            t->fields[i].def = json_object_get(f, "default");
            t->nfields = i + 1;
            rc = compile(cc, json_object_get(f, "type"), newns, &t->fields[i].type, depth + 1);
            if (rc) {
                goto out;
            }
        }
    } else if (!strcmp(type, "enum")) {
        json_t *syms = json_object_get(j, "symbols"), *s;
        size_t i;
        t = type_new(cc->sp, AVRO_ENUM);
        t->fullname = gdx_xstrdup(full);
        names_add(&cc->names, full, t);
        if (!json_is_array(syms) || json_array_size(syms) == 0) {
            rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                            "schema '%s': enum '%s' without symbols", cc->what, full);
            goto out;
        }
        t->symbols = gdx_xcalloc(json_array_size(syms), sizeof(char *));
        json_array_foreach(syms, i, s)
        {
            if (!json_is_string(s) || !*json_string_value(s)) {
                rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                                "schema '%s': enum '%s': symbol %zu is not a name", cc->what, full,
                                i);
                goto out;
            }
            t->symbols[i] = gdx_xstrdup(json_string_value(s));
            t->nsymbols = i + 1;
        }
    } else {
        json_t *size = json_object_get(j, "size");
        t = type_new(cc->sp, AVRO_FIXED);
        t->fullname = gdx_xstrdup(full);
        names_add(&cc->names, full, t);
        if (!json_is_integer(size) || json_integer_value(size) < 1 ||
            json_integer_value(size) > FIXED_MAX_SIZE) {
            rc = gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                            "schema '%s': fixed '%s' needs a size of 1 to %d", cc->what, full,
                            FIXED_MAX_SIZE);
            goto out;
        }
        t->size = (size_t)json_integer_value(size);
        rc = compile_logical(cc, j, t);
    }
    *out = t;
out:
    free(full);
    free(newns);
    return rc;
}

static int compile(struct compile_ctx *cc, json_t *j, const char *ns, struct atype **out, int depth)
{
    if (depth > GDX_LIMIT_SCHEMA_DEPTH) {
        return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                          "schema '%s': nested too deeply", cc->what);
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *full;
        void *t = NULL;
        if (is_primitive(s)) {
            *out = type_new(cc->sp, prim_kind(s));
            return GDX_OK;
        }
        full = resolve_ref(&cc->names, s, ns);
        if (!names_find(&cc->names, full, &t) || !t) {
            gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                       "schema '%s': unknown type '%s'", cc->what, full);
            free(full);
            return GDX_ERR_SCHEMA;
        }
        free(full);
        *out = t;
        return GDX_OK;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *b;
        struct atype *t = type_new(cc->sp, AVRO_UNION);
        if (json_array_size(j) == 0) {
            return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': empty union", cc->what);
        }
        t->branches = gdx_xcalloc(json_array_size(j), sizeof(*t->branches));
        json_array_foreach(j, i, b)
        {
            int rc;
            if (json_is_array(b)) {
                return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                                  "schema '%s': union inside a union", cc->what);
            }
            rc = compile(cc, b, ns, &t->branches[i], depth + 1);
            if (rc) {
                return rc;
            }
            t->nbranches = i + 1;
        }
        *out = t;
        return GDX_OK;
    }
    if (json_is_object(j)) {
        json_t *type = json_object_get(j, "type");
        const char *ts;
        if (json_is_object(type) || json_is_array(type)) {
            return compile(cc, type, ns, out, depth + 1);
        }
        if (!json_is_string(type)) {
            return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': schema object without a type", cc->what);
        }
        ts = json_string_value(type);
        if (is_primitive(ts)) {
            struct atype *t = type_new(cc->sp, prim_kind(ts));
            *out = t;
            return compile_logical(cc, j, t);
        }
        if (!strcmp(ts, "record") || !strcmp(ts, "error") || !strcmp(ts, "enum") ||
            !strcmp(ts, "fixed")) {
            return compile_named(cc, j, ts, ns, out, depth);
        }
        if (!strcmp(ts, "array") || !strcmp(ts, "map")) {
            int arr = !strcmp(ts, "array");
            json_t *sub = json_object_get(j, arr ? "items" : "values");
            struct atype *t = type_new(cc->sp, arr ? AVRO_ARRAY : AVRO_MAP);
            if (!sub) {
                return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                                  "schema '%s': %s without %s", cc->what, ts,
                                  arr ? "items" : "values");
            }
            *out = t;
            return compile(cc, sub, ns, &t->sub, depth + 1);
        }
        return compile(cc, type, ns, out, depth + 1);
    }
    return gdx_seterr(cc->errstr, cc->errstr_size, GDX_ERR_SCHEMA,
                      "schema '%s': invalid schema element", cc->what);
}

/* Fewest bytes a value of @p t takes; 0 for nulls and empty records. Cycles count as 0. */
static size_t min_size(struct atype *t)
{
    size_t n = 0;
    if (t->min_done == 1) {
        return t->min_size;
    }
    if (t->min_done == 2) {
        return 0;
    }
    t->min_done = 2;
    switch (t->kind) {
    case AVRO_NULL:
        n = 0;
        break;
    case AVRO_FLOAT:
        n = 4;
        break;
    case AVRO_DOUBLE:
        n = 8;
        break;
    case AVRO_FIXED:
        n = t->size;
        break;
    case AVRO_RECORD:
        for (size_t i = 0; i < t->nfields; i++) {
            n += min_size(t->fields[i].type);
        }
        break;
    default:
        n = 1;
        break;
    }
    t->min_size = n;
    t->min_done = 1;
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Schemas */

static int label_level(const char *s, enum gdx_level *out)
{
    if (!strcmp(s, "general")) {
        *out = GDX_LEVEL_GENERAL;
    } else if (!strcmp(s, "important")) {
        *out = GDX_LEVEL_IMPORTANT;
    } else if (!strcmp(s, "core")) {
        *out = GDX_LEVEL_CORE;
    } else {
        return -1;
    }
    return 0;
}

static int label_pi(const char *s, enum gdx_pi *out)
{
    if (!strcmp(s, "none")) {
        *out = GDX_PI_NONE;
    } else if (!strcmp(s, "pi")) {
        *out = GDX_PI_PI;
    } else if (!strcmp(s, "spi")) {
        *out = GDX_PI_SPI;
    } else {
        return -1;
    }
    return 0;
}

static char *opt_string(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? gdx_xstrdup(json_string_value(v)) : NULL;
}

static int fill_fields(struct schema_priv *sp, const char *what, char *errstr, size_t errstr_size)
{
    struct gdx_schema *s = &sp->pub;
    json_t *jfields = json_object_get(sp->root, "fields");
    struct atype *rec = sp->rec;
    s->nfields = rec->nfields;
    s->fields = gdx_xcalloc(rec->nfields, sizeof(*s->fields));
    sp->ftypes = gdx_xcalloc(rec->nfields, sizeof(*sp->ftypes));
    for (size_t i = 0; i < rec->nfields; i++) {
        struct gdx_field *f = &s->fields[i];
        json_t *jf = json_array_get(jfields, i);
        struct atype *t = rec->fields[i].type;
        json_t *lv = json_object_get(jf, "gdx.level"), *lp = json_object_get(jf, "gdx.pi");
        f->name = gdx_xstrdup(rec->fields[i].name);
        f->index = (int)i;
        f->null_branch = -1;
        f->value_branch = -1;
        if (t->kind == AVRO_UNION && t->nbranches == 2 &&
            (t->branches[0]->kind == AVRO_NULL) != (t->branches[1]->kind == AVRO_NULL)) {
            f->nullable = 1;
            f->null_branch = t->branches[0]->kind == AVRO_NULL ? 0 : 1;
            f->value_branch = 1 - f->null_branch;
            t = t->branches[f->value_branch];
        }
        sp->ftypes[i] = t;
        f->type = t->kind;
        f->logical = t->logical;
        f->precision = t->precision;
        f->scale = t->scale;
        f->fixed_size = (int)t->size;
        f->symbols = t->symbols; /* owned by the type tree */
        f->nsymbols = t->nsymbols;
        f->doc = opt_string(jf, "doc");
        f->has_default = rec->fields[i].def != NULL;
        if (lv && (!json_is_string(lv) || label_level(json_string_value(lv), &f->level))) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': field '%s': gdx.level must be general, important "
                              "or core",
                              what, f->name);
        }
        if (lp && (!json_is_string(lp) || label_pi(json_string_value(lp), &f->pi))) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                              "schema '%s': field '%s': gdx.pi must be none, pi or spi", what,
                              f->name);
        }
        if (f->level > s->max_level) {
            s->max_level = f->level;
        }
        if (f->pi != GDX_PI_NONE) {
            s->has_pi = 1;
        }
    }
    return GDX_OK;
}

struct gdx_schema *gdx_schema_parse(const char *text, size_t len, const char *name, char *errstr,
                                    size_t errstr_size)
{
    struct schema_priv *sp = gdx_xcalloc(1, sizeof(*sp));
    struct gdx_schema *s = &sp->pub;
    struct compile_ctx cc = {0};
    json_error_t jerr;
    json_t *jt;
    const char *what = name ? name : "<text>";
    int rc;

    s->registry_id = -1;
    if (len > SCHEMA_MAX_BYTES) {
        /* a registry's answer can be up to GDX_LIMIT_REGISTRY_ANSWER bytes */
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "schema '%s' is too large (%zu bytes)",
                   what, len);
        free(sp);
        return NULL;
    }
    s->text = xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    sp->root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!sp->root) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "cannot parse schema '%s': line %d: %s",
                   what, jerr.line, jerr.text);
        goto fail;
    }
    jt = json_object_get(sp->root, "type");
    if (!json_is_string(jt) || strcmp(json_string_value(jt), "record") != 0) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "schema '%s' is not a record schema", what);
        goto fail;
    }
    cc.sp = sp;
    cc.what = what;
    cc.errstr = errstr;
    cc.errstr_size = errstr_size;
    rc = compile(&cc, sp->root, "", &sp->rec, 0);
    names_release(&cc.names);
    if (rc) {
        goto fail;
    }
    for (size_t i = 0; i < sp->nall; i++) {
        min_size(sp->all[i]);
    }
    s->canonical = canonical_of(sp->root, errstr, errstr_size);
    if (!s->canonical) {
        goto fail;
    }
    /* Avro-C gets the canonical form: it needs only the structure (defaults are applied
     * here), and its JSON parser refuses the \u0000 that bytes defaults often hold */
    if (avro_schema_from_json_length(s->canonical, strlen(s->canonical), &s->avro)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "schema '%s' rejected by avro-c: %s", what,
                   avro_strerror());
        s->avro = NULL;
        goto fail;
    }
    s->fingerprint = gdx_avro_crc64(s->canonical, strlen(s->canonical));
    s->fullname = gdx_xstrdup(sp->rec->fullname);
    s->owner = opt_string(sp->root, "gdx.owner");
    s->share = opt_string(sp->root, "gdx.share");
    s->doc = opt_string(sp->root, "doc");
    if (s->share && strcmp(s->share, "unconditional") && strcmp(s->share, "conditional") &&
        strcmp(s->share, "none")) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                   "schema '%s': gdx.share must be unconditional, conditional or none", what);
        goto fail;
    }
    if (fill_fields(sp, what, errstr, errstr_size)) {
        goto fail;
    }
    return s;
fail:
    gdx_schema_destroy(s);
    return NULL;
}

struct gdx_schema *gdx_schema_load(const char *path, char *errstr, size_t errstr_size)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;
    size_t n;
    struct gdx_schema *s = NULL;
    if (!fp) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(fp), &st) || st.st_size > SCHEMA_MAX_BYTES) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "schema '%s' is too large", path);
        goto out;
    }
    buf = xmalloc((size_t)st.st_size + 1);
    n = fread(buf, 1, (size_t)st.st_size + 1, fp);
    if (ferror(fp)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    s = gdx_schema_parse(buf, n, path, errstr, errstr_size);
    if (s) {
        s->path = gdx_xstrdup(path);
    }
out:
    free(buf);
    fclose(fp);
    return s;
}

void gdx_schema_destroy(struct gdx_schema *schema)
{
    struct schema_priv *sp = (struct schema_priv *)schema;
    if (!schema) {
        return;
    }
    for (size_t i = 0; i < schema->nfields; i++) {
        free(schema->fields[i].name);
        free(schema->fields[i].doc);
    }
    free(schema->fields);
    free(schema->text);
    free(schema->path);
    free(schema->fullname);
    free(schema->canonical);
    free(schema->owner);
    free(schema->share);
    free(schema->doc);
    if (schema->avro) {
        avro_schema_decref(schema->avro);
    }
    for (size_t i = 0; i < sp->nall; i++) {
        type_free(sp->all[i]);
    }
    free(sp->all);
    free(sp->ftypes);
    json_decref(sp->root);
    free(sp);
}

const struct gdx_field *gdx_schema_field(const struct gdx_schema *schema, const char *name)
{
    for (size_t i = 0; i < schema->nfields; i++) {
        if (strcmp(schema->fields[i].name, name) == 0) {
            return &schema->fields[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Time. Asia/Shanghai is UTC+8 all year; civil dates use the proleptic Gregorian calendar. */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return dm[m - 1];
}

/* Read 1..maxd digits; returns count read. */
static int read_num(const char *s, size_t len, size_t *pos, int maxd, int *out)
{
    int n = 0, v = 0;
    while (*pos < len && n < maxd && s[*pos] >= '0' && s[*pos] <= '9') {
        v = v * 10 + (s[*pos] - '0');
        (*pos)++;
        n++;
    }
    *out = v;
    return n;
}

static int all_digits(const char *s, size_t len)
{
    size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
    if (i == len) {
        return 0;
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[32];
    char *end;
    long long v;
    trim(&s, &len);
    if (len == 0 || len >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!(buf[0] == '-' || buf[0] == '+' || (buf[0] >= '0' && buf[0] <= '9'))) {
        return -1;
    }
    if ((buf[0] == '-' || buf[0] == '+') && !(buf[1] >= '0' && buf[1] <= '9')) {
        return -1;
    }
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || *end) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Seconds east of UTC from a strptime-filled tm, or the +08:00 default. */
static int tm_to_us(const struct tm *tm, long gmtoff, int64_t *us)
{
    int64_t y = (int64_t)tm->tm_year + 1900;
    int m = tm->tm_mon + 1;
    if (m < 1 || m > 12 || tm->tm_mday < 1 || tm->tm_mday > days_in_month(y, m) ||
        tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
        tm->tm_sec < 0 || tm->tm_sec > 59 || y < 0 || y > 9999) {
        return -1;
    }
    *us = ((days_from_civil(y, m, tm->tm_mday) * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
            tm->tm_sec) -
           gmtoff) *
          1000000;
    return 0;
}

static int ascii_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int parse_with_format(const char *s, size_t len, const char *format, int64_t *us)
{
    char buf[256];
    struct tm tm;
    const char *end;
    long sentinel = LONG_MIN;
    if (len >= sizeof(buf)) {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_mday = 1;
    tm.tm_year = 70;
    if (len == 19 && !strcmp(format, "%Y-%m-%d %H:%M:%S") && s[4] == '-' && s[7] == '-' &&
        s[10] == ' ' && s[13] == ':' && s[16] == ':' && ascii_digits(s, 4) &&
        ascii_digits(s + 5, 2) && ascii_digits(s + 8, 2) && ascii_digits(s + 11, 2) &&
        ascii_digits(s + 14, 2) && ascii_digits(s + 17, 2)) {
        /* the common format in its full width, without strptime: what strptime accepts
         * there, tm_to_us checks again (month, day of the month, hour, minute, second) */
#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
        tm.tm_year = D2(s) * 100 + D2(s + 2) - 1900;
        tm.tm_mon = D2(s + 5) - 1;
        tm.tm_mday = D2(s + 8);
        tm.tm_hour = D2(s + 11);
        tm.tm_min = D2(s + 14);
        tm.tm_sec = D2(s + 17);
#undef D2
        return tm_to_us(&tm, GDX_TZ_OFFSET_S, us);
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    tm.tm_gmtoff = sentinel;
    end = strptime(buf, format, &tm);
    if (!end) {
        return -1;
    }
    while (is_space(*end)) {
        end++;
    }
    if (*end) {
        return -1;
    }
    return tm_to_us(&tm, tm.tm_gmtoff == sentinel ? GDX_TZ_OFFSET_S : tm.tm_gmtoff, us);
}

/*
 * "YYYY-MM-DD", "YYYY/MM/DD", then optionally [ T]HH:MM[:SS[.frac]] and a zone (Z, +hh:mm,
 * +hhmm, +hh); no zone means +08:00. Result in microseconds since the epoch.
 */
static int parse_datetime(const char *s, size_t len, int64_t *us, int *has_time)
{
    size_t pos = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_us = 0;
    long off = GDX_TZ_OFFSET_S;
    char sep;
    *has_time = 0;
    if (read_num(s, len, &pos, 4, &y) != 4 || pos >= len || (s[pos] != '-' && s[pos] != '/')) {
        return -1;
    }
    sep = s[pos++];
    if (read_num(s, len, &pos, 2, &mo) < 1 || pos >= len || s[pos] != sep) {
        return -1;
    }
    pos++;
    if (read_num(s, len, &pos, 2, &d) < 1) {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return -1;
    }
    if (pos < len && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
        pos++;
        while (pos < len && s[pos] == ' ') {
            pos++;
        }
        *has_time = 1;
        if (read_num(s, len, &pos, 2, &h) < 1 || pos >= len || s[pos] != ':') {
            return -1;
        }
        pos++;
        if (read_num(s, len, &pos, 2, &mi) != 2) {
            return -1;
        }
        if (pos < len && s[pos] == ':') {
            pos++;
            if (read_num(s, len, &pos, 2, &sec) != 2) {
                return -1;
            }
            if (pos < len && (s[pos] == '.' || s[pos] == ',')) {
                int nd = 0;
                pos++;
                while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
                    if (nd < 6) {
                        frac_us = frac_us * 10 + (s[pos] - '0');
                    }
                    nd++;
                    pos++;
                }
                if (nd == 0) {
                    return -1;
                }
                for (int k = nd; k < 6; k++) {
                    frac_us *= 10;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 59) {
            return -1;
        }
        while (pos < len && s[pos] == ' ') {
            pos++;
        }
        if (pos < len && (s[pos] == 'Z' || s[pos] == 'z')) {
            off = 0;
            pos++;
        } else if (pos < len && (s[pos] == '+' || s[pos] == '-')) {
            int sign = s[pos] == '-' ? -1 : 1, oh, om = 0;
            pos++;
            if (read_num(s, len, &pos, 2, &oh) != 2) {
                return -1;
            }
            if (pos < len && s[pos] == ':') {
                pos++;
            }
            if (pos < len && read_num(s, len, &pos, 2, &om) != 2) {
                return -1;
            }
            if (oh > 23 || om > 59) {
                return -1;
            }
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (pos != len) {
        return -1;
    }
    *us = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) * 1000000 + frac_us;
    return 0;
}

/* A timestamp in units of @p unit_us microseconds (1000 = ms, 1 = us). Bare digits are
 * already in that unit. */
static int time_parse_unit(const char *s, size_t len, const char *format, int64_t unit_us,
                           int64_t *out)
{
    int64_t us;
    int has_time;
    trim(&s, &len);
    if (len == 0) {
        return GDX_ERR_PARSE;
    }
    if (format && *format) {
        if (parse_with_format(s, len, format, &us)) {
            return GDX_ERR_PARSE;
        }
    } else if (all_digits(s, len)) {
        return parse_i64(s, len, out) ? GDX_ERR_PARSE : GDX_OK;
    } else if (parse_datetime(s, len, &us, &has_time)) {
        return GDX_ERR_PARSE;
    }
    *out = floor_div(us, unit_us);
    return GDX_OK;
}

int gdx_time_parse_ms(const char *s, size_t len, const char *format, int64_t *ms)
{
    return time_parse_unit(s, len, format, 1000, ms);
}

int gdx_date_parse_days(const char *s, size_t len, const char *format, int32_t *days)
{
    int64_t us;
    int has_time;
    trim(&s, &len);
    if (len == 0) {
        return GDX_ERR_PARSE;
    }
    if (format && *format) {
        if (parse_with_format(s, len, format, &us)) {
            return GDX_ERR_PARSE;
        }
    } else if (len == 8 && all_digits(s, len)) {
        /* compact YYYYMMDD, common in departmental exports */
        size_t pos = 0;
        int y, m, d;
        read_num(s, len, &pos, 4, &y);
        read_num(s, len, &pos, 2, &m);
        read_num(s, len, &pos, 2, &d);
        if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
            return GDX_ERR_PARSE;
        }
        *days = (int32_t)days_from_civil(y, m, d);
        return GDX_OK;
    } else if (parse_datetime(s, len, &us, &has_time)) {
        return GDX_ERR_PARSE;
    }
    /* the calendar day in +08:00 */
    *days = (int32_t)floor_div(us + (int64_t)GDX_TZ_OFFSET_S * 1000000, 86400LL * 1000000);
    return GDX_OK;
}

/* "HH:MM[:SS[.fff]]" or digits (milliseconds since midnight) */
static int time_of_day_parse(const char *s, size_t len, const char *format, int32_t *ms)
{
    size_t pos = 0;
    int h, mi, sec = 0, frac = 0;
    trim(&s, &len);
    if (len == 0) {
        return GDX_ERR_PARSE;
    }
    if (format && *format) {
        char buf[64];
        struct tm tm;
        const char *end;
        if (len >= sizeof(buf)) {
            return GDX_ERR_PARSE;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        memset(&tm, 0, sizeof(tm));
        end = strptime(buf, format, &tm);
        if (!end || *end || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) {
            return GDX_ERR_PARSE;
        }
        *ms = (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000;
        return GDX_OK;
    }
    if (all_digits(s, len)) {
        int64_t v;
        if (parse_i64(s, len, &v) || v < 0 || v >= 86400000) {
            return GDX_ERR_PARSE;
        }
        *ms = (int32_t)v;
        return GDX_OK;
    }
    if (read_num(s, len, &pos, 2, &h) < 1 || pos >= len || s[pos] != ':') {
        return GDX_ERR_PARSE;
    }
    pos++;
    if (read_num(s, len, &pos, 2, &mi) != 2) {
        return GDX_ERR_PARSE;
    }
    if (pos < len && s[pos] == ':') {
        pos++;
        if (read_num(s, len, &pos, 2, &sec) != 2) {
            return GDX_ERR_PARSE;
        }
        if (pos < len && s[pos] == '.') {
            int nd = 0;
            pos++;
            while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
                if (nd < 3) {
                    frac = frac * 10 + (s[pos] - '0');
                }
                nd++;
                pos++;
            }
            if (nd == 0) {
                return GDX_ERR_PARSE;
            }
            for (int k = nd; k < 3; k++) {
                frac *= 10;
            }
        }
    }
    if (pos != len || h > 23 || mi > 59 || sec > 59) {
        return GDX_ERR_PARSE;
    }
    *ms = (h * 3600 + mi * 60 + sec) * 1000 + frac;
    return GDX_OK;
}

/* Split epoch microseconds into +08:00 civil fields; -1 outside years 0000..9999. */
static int split_us(int64_t us, int64_t *y, int *mo, int *d, int *h, int *mi, int *s,
                    int64_t *frac_us)
{
    int64_t local, days, rem;
    if (us > INT64_MAX - (int64_t)GDX_TZ_OFFSET_S * 1000000) {
        return -1;
    }
    local = us + (int64_t)GDX_TZ_OFFSET_S * 1000000;
    days = floor_div(local, 86400LL * 1000000);
    rem = local - days * 86400LL * 1000000;
    civil_from_days(days, y, mo, d);
    if (*y < 0 || *y > 9999) {
        return -1;
    }
    *h = (int)(rem / 3600000000LL);
    *mi = (int)(rem / 60000000LL % 60);
    *s = (int)(rem / 1000000 % 60);
    *frac_us = rem % 1000000;
    return 0;
}

void gdx_time_format_ms(int64_t ms, char out[32])
{
    int64_t y, frac;
    int mo, d, h, mi, s;
    if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000 ||
        split_us(ms * 1000, &y, &mo, &d, &h, &mi, &s, &frac)) {
        /* years outside 0000..9999: the plain number */
        snprintf(out, 32, "%lld", (long long)ms);
        return;
    }
    {
        /* fields are in range (checked above): fixed widths, by hand (once per millisecond
         * for the gdx.extracted.at header) */
        static const char tmpl[] = "0000-00-00T00:00:00.000+08:00";
        int ms3 = (int)(frac / 1000);
        memcpy(out, tmpl, sizeof(tmpl));
        out[0] = (char)('0' + (int)(y / 1000) % 10);
        out[1] = (char)('0' + (int)(y / 100) % 10);
        out[2] = (char)('0' + (int)(y / 10) % 10);
        out[3] = (char)('0' + (int)y % 10);
        out[5] = (char)('0' + mo / 10);
        out[6] = (char)('0' + mo % 10);
        out[8] = (char)('0' + d / 10);
        out[9] = (char)('0' + d % 10);
        out[11] = (char)('0' + h / 10);
        out[12] = (char)('0' + h % 10);
        out[14] = (char)('0' + mi / 10);
        out[15] = (char)('0' + mi % 10);
        out[17] = (char)('0' + s / 10);
        out[18] = (char)('0' + s % 10);
        out[20] = (char)('0' + ms3 / 100);
        out[21] = (char)('0' + ms3 / 10 % 10);
        out[22] = (char)('0' + ms3 % 10);
    }
}

int64_t gdx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------------------- */
/* Decimals: two's complement big-endian, exact */

/*
 * Text "-123.45" to the unscaled integer in @p out (DEC_BUF bytes, two's complement,
 * big-endian). Returns 0, or -1 malformed, -2 too many fractional digits, -3 precision.
 */
static int decimal_from_text(const char *s, size_t len, int precision, int scale,
                             unsigned char out[DEC_BUF])
{
    char digits[DECIMAL_MAX_DIGITS * 2 + 2];
    size_t nd = 0, i = 0, nint = 0, nfrac = 0;
    int neg = 0;
    trim(&s, &len);
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (nd == 0 && s[i] == '0') {
            nint++; /* leading zero: not significant */
            continue;
        }
        if (nd >= (size_t)precision) {
            return -3;
        }
        digits[nd++] = s[i];
        nint++;
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (nfrac >= (size_t)scale) {
                if (s[i] != '0') {
                    return -2;
                }
                nfrac++;
                continue;
            }
            if (nd < sizeof(digits) - 1) {
                digits[nd++] = s[i];
            }
            nfrac++;
        }
    }
    if (i != len || nint + nfrac == 0) {
        return -1;
    }
    for (size_t k = nfrac; k < (size_t)scale; k++) {
        digits[nd++] = '0';
    }
    /* drop leading zeros (e.g. "0.05"), then check precision */
    {
        size_t lead = 0;
        while (lead < nd && digits[lead] == '0') {
            lead++;
        }
        if (nd - lead > (size_t)precision) {
            return -3;
        }
    }
    if (nd <= 18) {
        /* fits in an int64 (10^18 < 2^63): the two's complement, sign-extended */
        uint64_t u = 0;
        int64_t v;
        for (size_t k = 0; k < nd; k++) {
            u = u * 10 + (uint64_t)(digits[k] - '0');
        }
        v = neg ? -(int64_t)u : (int64_t)u;
        memset(out, v < 0 ? 0xff : 0x00, DEC_BUF - 8);
        for (int b = 0; b < 8; b++) {
            out[DEC_BUF - 1 - b] = (unsigned char)((uint64_t)v >> (8 * b));
        }
        return 0;
    }
    memset(out, 0, DEC_BUF);
    for (size_t k = 0; k < nd; k++) {
        unsigned carry = (unsigned)(digits[k] - '0');
        for (int b = DEC_BUF - 1; b >= 0; b--) {
            unsigned v = out[b] * 10u + carry;
            out[b] = (unsigned char)(v & 0xff);
            carry = v >> 8;
        }
    }
    if (neg) {
        unsigned carry = 1;
        for (int b = DEC_BUF - 1; b >= 0; b--) {
            unsigned v = (unsigned)(unsigned char)~out[b] + carry;
            out[b] = (unsigned char)(v & 0xff);
            carry = v >> 8;
        }
    }
    return 0;
}

/* Shortest two's complement representation inside @p buf: returns the offset of its start. */
static size_t decimal_trim(const unsigned char *buf, size_t n)
{
    size_t i = 0;
    while (i + 1 < n &&
           ((buf[i] == 0x00 && !(buf[i + 1] & 0x80)) || (buf[i] == 0xff && (buf[i + 1] & 0x80)))) {
        i++;
    }
    return i;
}

/* Two's complement big-endian bytes to "-123.45". -1 if too large to render. */
static int decimal_to_text(const unsigned char *in, size_t n, int scale, struct sbuf *out)
{
    unsigned char mag[DEC_BUF];
    char digits[DEC_BUF * 3 + 4];
    size_t nd = 0, off, m;
    int neg;
    if (n == 0) {
        sb_addc(out, '0');
        return 0;
    }
    off = decimal_trim(in, n);
    m = n - off;
    if (m > DEC_BUF) {
        return -1;
    }
    neg = (in[off] & 0x80) != 0;
    memcpy(mag, in + off, m);
    if (neg) {
        unsigned carry = 1;
        for (size_t b = m; b-- > 0;) {
            unsigned v = (unsigned)(unsigned char)~mag[b] + carry;
            mag[b] = (unsigned char)(v & 0xff);
            carry = v >> 8;
        }
    }
    for (;;) {
        unsigned rem = 0;
        int nonzero = 0;
        for (size_t b = 0; b < m; b++) {
            unsigned v = (rem << 8) | mag[b];
            mag[b] = (unsigned char)(v / 10);
            rem = v % 10;
            nonzero |= mag[b] != 0;
        }
        digits[nd++] = (char)('0' + rem);
        if (!nonzero) {
            break;
        }
    }
    while (nd <= (size_t)scale) {
        digits[nd++] = '0';
    }
    if (neg) {
        sb_addc(out, '-');
    }
    for (size_t k = nd; k-- > 0;) {
        sb_addc(out, digits[k]);
        if (k == (size_t)scale && scale > 0) {
            sb_addc(out, '.');
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Encoder */

/*
 * Two encoders behind one API. The direct encoder (the default) writes each field's Avro
 * binary as it is set, straight from the text, into a per-record arena (zigzag varints,
 * length-prefixed strings, the union branch index, the enum index, logical types), and
 * finish() concatenates the fields in schema order: a record is the concatenation of its
 * fields' encodings, so fields may be set in any order and set again. Defaults are encoded
 * once, when the encoder is made. Only fields of complex types (records, arrays, maps,
 * general unions, given as JSON text) go through Avro-C's value API, one value per field.
 * The reference encoder (gdx_encoder_new_avroc) builds the whole record with Avro-C's value
 * API; the unit tests hold the direct encoder byte-identical to it, errors included.
 */
struct enc_slot {
    size_t off, len; /* the field's bytes in the arena */
};

struct enc_default {
    int state; /* 0 no default, 1 encoded below, -1 does not match the field's type */
    unsigned char *bytes;
    size_t len;
};

struct enc_complex {
    avro_value_iface_t *iface;
    avro_value_t value;
    avro_writer_t writer;
};

struct gdx_encoder {
    const struct gdx_schema *schema;
    int avroc; /* the reference encoder: Avro-C's value API for the whole record */
    avro_value_iface_t *iface;
    avro_value_t rec;
    unsigned char *isset;
    char *scratch;
    size_t scratch_cap;
    char *buf;
    size_t cap;
    avro_writer_t writer;
    /* the direct encoder */
    struct enc_slot *slots;
    struct enc_default *defs;
    struct enc_complex *cx; /* per field, made at first use */
    unsigned char *arena;
    size_t alen, acap;
    int trust_utf8; /* gdx_encoder_trust_utf8() */
};

static char *scratch_reserve(struct gdx_encoder *enc, size_t len)
{
    if (len + 1 > enc->scratch_cap) {
        size_t cap = enc->scratch_cap ? enc->scratch_cap : 256;
        while (cap < len + 1) {
            cap *= 2;
        }
        enc->scratch = gdx_xrealloc(enc->scratch, cap);
        enc->scratch_cap = cap;
    }
    return enc->scratch;
}

/* A NUL-terminated copy in the scratch buffer (valid until the next call). */
static char *scratch_copy(struct gdx_encoder *enc, const char *s, size_t len)
{
    char *d = scratch_reserve(enc, len);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static int set_from_json(struct gdx_encoder *enc, avro_value_t *v, const struct atype *t, json_t *j,
                         int depth);

/* Avro-C's schema of field @p i's value type (the non-null branch of a nullable field). */
static avro_schema_t field_avro_schema(const struct gdx_schema *s, size_t i, int value_only)
{
    avro_schema_t fs = avro_schema_record_field_get_by_index(s->avro, (int)i);
    if (fs && value_only && s->fields[i].nullable) {
        fs = avro_schema_union_branch(fs, s->fields[i].value_branch);
    }
    return fs;
}

static int cx_init(struct enc_complex *cx, avro_schema_t as)
{
    if (!as || !(cx->iface = avro_generic_class_from_schema(as))) {
        return -1;
    }
    if (avro_generic_value_new(cx->iface, &cx->value)) {
        avro_value_iface_decref(cx->iface);
        cx->iface = NULL;
        return -1;
    }
    return 0;
}

static void cx_release(struct enc_complex *cx)
{
    if (cx->iface) {
        avro_value_decref(&cx->value);
        avro_value_iface_decref(cx->iface);
    }
    if (cx->writer) {
        avro_writer_free(cx->writer);
    }
    memset(cx, 0, sizeof(*cx));
}

/* Write a value with Avro-C into a malloc'd buffer. */
static int cx_write(struct enc_complex *cx, unsigned char **out, size_t *len)
{
    size_t size = 0;
    if (avro_value_sizeof(&cx->value, &size)) {
        return -1;
    }
    *out = xmalloc(size ? size : 1);
    *len = size;
    if (size == 0) {
        return 0;
    }
    if (!cx->writer) {
        cx->writer = avro_writer_memory((const char *)*out, (int64_t)size);
        if (!cx->writer) {
            abort();
        }
    } else {
        avro_writer_memory_set_dest(cx->writer, (const char *)*out, (int64_t)size);
    }
    if (avro_value_write(cx->writer, &cx->value) || avro_writer_tell(cx->writer) != (int64_t)size) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* The schema defaults, encoded once: finish() copies them. */
static void encode_defaults(struct gdx_encoder *enc)
{
    const struct gdx_schema *s = enc->schema;
    const struct schema_priv *sp = cpriv(s);
    for (size_t i = 0; i < s->nfields; i++) {
        struct enc_complex cx = {0};
        struct enc_default *d = &enc->defs[i];
        if (!sp->rec->fields[i].def) {
            continue;
        }
        d->state = -1;
        if (cx_init(&cx, field_avro_schema(s, i, 0)) == 0 &&
            set_from_json(enc, &cx.value, sp->rec->fields[i].type, sp->rec->fields[i].def, 0) ==
                0 &&
            cx_write(&cx, &d->bytes, &d->len) == 0) {
            d->state = 1;
        }
        cx_release(&cx);
    }
}

static struct gdx_encoder *encoder_new(const struct gdx_schema *schema, int avroc, char *errstr,
                                       size_t errstr_size)
{
    struct gdx_encoder *enc = gdx_xcalloc(1, sizeof(*enc));
    enc->schema = schema;
    enc->avroc = avroc;
    enc->isset = gdx_xcalloc(schema->nfields ? schema->nfields : 1, 1);
    if (!avroc) {
        enc->slots = gdx_xcalloc(schema->nfields ? schema->nfields : 1, sizeof(*enc->slots));
        enc->defs = gdx_xcalloc(schema->nfields ? schema->nfields : 1, sizeof(*enc->defs));
        enc->cx = gdx_xcalloc(schema->nfields ? schema->nfields : 1, sizeof(*enc->cx));
        encode_defaults(enc);
        return enc;
    }
    enc->iface = avro_generic_class_from_schema(schema->avro);
    if (!enc->iface) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "cannot build encoder for '%s': %s",
                   schema->fullname, avro_strerror());
        free(enc->isset);
        free(enc);
        return NULL;
    }
    if (avro_generic_value_new(enc->iface, &enc->rec)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA, "cannot build encoder for '%s': %s",
                   schema->fullname, avro_strerror());
        avro_value_iface_decref(enc->iface);
        free(enc->isset);
        free(enc);
        return NULL;
    }
    return enc;
}

struct gdx_encoder *gdx_encoder_new(const struct gdx_schema *schema, char *errstr,
                                    size_t errstr_size)
{
    return encoder_new(schema, 0, errstr, errstr_size);
}

struct gdx_encoder *gdx_encoder_new_avroc(const struct gdx_schema *schema, char *errstr,
                                          size_t errstr_size)
{
    return encoder_new(schema, 1, errstr, errstr_size);
}

void gdx_encoder_destroy(struct gdx_encoder *enc)
{
    if (!enc) {
        return;
    }
    if (enc->avroc) {
        avro_value_decref(&enc->rec);
        avro_value_iface_decref(enc->iface);
    }
    if (enc->writer) {
        avro_writer_free(enc->writer);
    }
    for (size_t i = 0; enc->defs && i < enc->schema->nfields; i++) {
        free(enc->defs[i].bytes);
        cx_release(&enc->cx[i]);
    }
    free(enc->defs);
    free(enc->cx);
    free(enc->slots);
    if (enc->arena) {
        OPENSSL_cleanse(enc->arena, enc->acap);
    }
    free(enc->arena);
    free(enc->isset);
    free(enc->scratch);
    free(enc->buf);
    free(enc);
}

void gdx_encoder_trust_utf8(struct gdx_encoder *enc, int trusted)
{
    enc->trust_utf8 = trusted;
}

void gdx_encoder_reset(struct gdx_encoder *enc)
{
    if (enc->avroc) {
        avro_value_reset(&enc->rec);
    }
    enc->alen = 0;
    memset(enc->isset, 0, enc->schema->nfields);
}

/* Quote at most QUOTE_MAX bytes of a value for an error message, cut at a character. */
static void quote_value(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0, i = 0, bad;
    int valid = utf8_check(s, len, &bad);
    size_t lim = len > QUOTE_MAX ? QUOTE_MAX : len;
    while (valid && lim < len && lim > 0 && ((unsigned char)s[lim] & 0xc0) == 0x80) {
        lim--;
    }
    for (; i < lim && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\' || (!valid && c >= 0x80)) {
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    if (i < len && o + 4 < size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < size ? o : size - 1] = '\0';
}

static int bad_value(const struct gdx_field *f, const char *what, const char *s, size_t len,
                     char *errstr, size_t errstr_size)
{
    char q[QUOTE_MAX * 4 + 8];
    if (f->pi != GDX_PI_NONE) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "field '%s': %s (value of %s field not shown)", f->name, what,
                          f->pi == GDX_PI_SPI ? "spi" : "pi");
    }
    quote_value(s, len, q, sizeof(q));
    return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': %s '%s'", f->name, what, q);
}

static int avro_fail(const struct gdx_field *f, char *errstr, size_t errstr_size)
{
    return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': avro-c: %s", f->name,
                      avro_strerror());
}

static int parse_bool(const char *s, size_t len, int *out)
{
    static const char *const yes[] = {"true", "1", "yes", "y", "t", "是"};
    static const char *const no[] = {"false", "0", "no", "n", "f", "否"};
    trim(&s, &len);
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0) {
            *out = 1;
            return 0;
        }
        if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int parse_double(const char *s, size_t len, double *out)
{
    char buf[128];
    char *end;
    trim(&s, &len);
    if (len == 0 || len >= sizeof(buf)) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        /* plain decimal notation only: no nan, inf or hex floats */
        if (!strchr("0123456789+-.eE", s[i])) {
            return -1;
        }
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (*end || end == buf || !isfinite(*out) || (errno == ERANGE && fabs(*out) > 1.0)) {
        return -1;
    }
    return 0;
}

static int uuid_valid(const char *s, size_t len)
{
    if (len != 36) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int set_from_json(struct gdx_encoder *enc, avro_value_t *v, const struct atype *t, json_t *j,
                         int depth);

static int json_matches(const struct atype *t, json_t *j)
{
    switch (t->kind) {
    case AVRO_NULL:
        return json_is_null(j);
    case AVRO_BOOLEAN:
        return json_is_boolean(j);
    case AVRO_INT32:
    case AVRO_INT64:
        return json_is_integer(j);
    case AVRO_FLOAT:
    case AVRO_DOUBLE:
        return json_is_number(j);
    case AVRO_STRING:
    case AVRO_BYTES:
    case AVRO_ENUM:
    case AVRO_FIXED:
        return json_is_string(j);
    case AVRO_ARRAY:
        return json_is_array(j);
    case AVRO_MAP:
    case AVRO_RECORD:
        return json_is_object(j);
    default:
        return 0;
    }
}

/* Avro's JSON for bytes: a string of code points U+0000..U+00FF, one per byte. */
static int json_bytes(json_t *j, unsigned char **out, size_t *n)
{
    const unsigned char *s = (const unsigned char *)json_string_value(j);
    size_t len = json_string_length(j), o = 0;
    unsigned char *b = xmalloc(len);
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80) {
            b[o++] = s[i++];
        } else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < len) {
            b[o++] = (unsigned char)(((s[i] & 0x03) << 6) | (s[i + 1] & 0x3f));
            i += 2;
        } else {
            free(b);
            return -1;
        }
    }
    *out = b;
    *n = o;
    return 0;
}

static int set_from_json(struct gdx_encoder *enc, avro_value_t *v, const struct atype *t, json_t *j,
                         int depth)
{
    int rc = 0;
    if (depth > 64) {
        return -1;
    }
    switch (t->kind) {
    case AVRO_NULL:
        return json_is_null(j) ? avro_value_set_null(v) : -1;
    case AVRO_BOOLEAN:
        return json_is_boolean(j) ? avro_value_set_boolean(v, json_is_true(j)) : -1;
    case AVRO_INT32:
        if (!json_is_integer(j) || json_integer_value(j) < INT32_MIN ||
            json_integer_value(j) > INT32_MAX) {
            return -1;
        }
        return avro_value_set_int(v, (int32_t)json_integer_value(j));
    case AVRO_INT64:
        return json_is_integer(j) ? avro_value_set_long(v, json_integer_value(j)) : -1;
    case AVRO_FLOAT:
        return json_is_number(j) ? avro_value_set_float(v, (float)json_number_value(j)) : -1;
    case AVRO_DOUBLE:
        return json_is_number(j) ? avro_value_set_double(v, json_number_value(j)) : -1;
    case AVRO_STRING: {
        char *s;
        if (!json_is_string(j)) {
            return -1;
        }
        s = scratch_copy(enc, json_string_value(j), json_string_length(j));
        return avro_value_set_string_len(v, s, json_string_length(j) + 1);
    }
    case AVRO_BYTES:
    case AVRO_FIXED: {
        unsigned char *b;
        size_t n;
        if (!json_is_string(j) || json_bytes(j, &b, &n)) {
            return -1;
        }
        if (t->kind == AVRO_FIXED && n != t->size) {
            rc = -1;
        } else {
            rc = t->kind == AVRO_BYTES ? avro_value_set_bytes(v, b, n)
                                       : avro_value_set_fixed(v, b, n);
        }
        free(b);
        return rc;
    }
    case AVRO_ENUM:
        if (json_is_string(j)) {
            for (size_t i = 0; i < t->nsymbols; i++) {
                if (!strcmp(t->symbols[i], json_string_value(j))) {
                    return avro_value_set_enum(v, (int)i);
                }
            }
        }
        return -1;
    case AVRO_ARRAY: {
        size_t i;
        json_t *e;
        if (!json_is_array(j)) {
            return -1;
        }
        json_array_foreach(j, i, e)
        {
            avro_value_t child;
            if (avro_value_append(v, &child, NULL) ||
                set_from_json(enc, &child, t->sub, e, depth + 1)) {
                return -1;
            }
        }
        return 0;
    }
    case AVRO_MAP: {
        const char *k;
        json_t *e;
        if (!json_is_object(j)) {
            return -1;
        }
        json_object_foreach(j, k, e)
        {
            avro_value_t child;
            if (avro_value_add(v, k, &child, NULL, NULL) ||
                set_from_json(enc, &child, t->sub, e, depth + 1)) {
                return -1;
            }
        }
        return 0;
    }
    case AVRO_RECORD:
        if (!json_is_object(j)) {
            return -1;
        }
        for (size_t i = 0; i < t->nfields; i++) {
            avro_value_t child;
            json_t *e = json_object_get(j, t->fields[i].name);
            if (!e) {
                e = t->fields[i].def;
            }
            if (!e || avro_value_get_by_index(v, i, &child, NULL) ||
                set_from_json(enc, &child, t->fields[i].type, e, depth + 1)) {
                return -1;
            }
        }
        return 0;
    case AVRO_UNION:
        /* the first branch the JSON value fits (Avro defaults use the first branch) */
        for (size_t i = 0; i < t->nbranches; i++) {
            avro_value_t branch;
            if (!json_matches(t->branches[i], j)) {
                continue;
            }
            if (avro_value_set_branch(v, (int)i, &branch) == 0 &&
                set_from_json(enc, &branch, t->branches[i], j, depth + 1) == 0) {
                return 0;
            }
        }
        return -1;
    default:
        return -1;
    }
}

static int set_decimal(struct gdx_encoder *enc, avro_value_t *v, const struct gdx_field *f,
                       const struct atype *t, const char *text, size_t len, char *errstr,
                       size_t errstr_size)
{
    unsigned char buf[DEC_BUF];
    int rc = decimal_from_text(text, len, t->precision, t->scale, buf);
    if (rc == -2) {
        char what[64];
        snprintf(what, sizeof(what), "decimal has more than %d fractional digits", t->scale);
        return bad_value(f, what, text, len, errstr, errstr_size);
    } else if (rc == -3) {
        char what[64];
        snprintf(what, sizeof(what), "decimal exceeds precision %d", t->precision);
        return bad_value(f, what, text, len, errstr, errstr_size);
    } else if (rc) {
        return bad_value(f, "invalid decimal", text, len, errstr, errstr_size);
    }
    if (t->kind == AVRO_BYTES) {
        size_t off = decimal_trim(buf, DEC_BUF);
        char *s = scratch_copy(enc, (const char *)buf + off, DEC_BUF - off);
        rc = avro_value_set_bytes(v, s, DEC_BUF - off);
    } else {
        char *s;
        if (t->size <= DEC_BUF) {
            s = scratch_copy(enc, (const char *)buf + DEC_BUF - t->size, t->size);
        } else {
            /* sign-extend into a wider fixed */
            s = scratch_reserve(enc, t->size);
            memset(s, (buf[0] & 0x80) ? 0xff : 0x00, t->size - DEC_BUF);
            memcpy(s + t->size - DEC_BUF, buf, DEC_BUF);
        }
        rc = avro_value_set_fixed(v, s, t->size);
    }
    return rc ? avro_fail(f, errstr, errstr_size) : GDX_OK;
}

static int coerce(struct gdx_encoder *enc, avro_value_t *v, const struct gdx_field *f,
                  const struct atype *t, const char *text, size_t len, const char *format,
                  char *errstr, size_t errstr_size)
{
    int rc = 0;
    size_t bad;
    switch (t->kind) {
    case AVRO_STRING: {
        char *s;
        if (!utf8_check(text, len, &bad)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s': invalid UTF-8 at byte %zu", f->name, bad);
        }
        if (t->logical == GDX_LT_UUID && !uuid_valid(text, len)) {
            return bad_value(f, "invalid uuid", text, len, errstr, errstr_size);
        }
        /* Avro-C wants the size including the NUL, or it cuts the last byte */
        s = scratch_copy(enc, text, len);
        rc = avro_value_set_string_len(v, s, len + 1);
        break;
    }
    case AVRO_BYTES:
        if (t->logical == GDX_LT_DECIMAL) {
            return set_decimal(enc, v, f, t, text, len, errstr, errstr_size);
        }
        rc = avro_value_set_bytes(v, scratch_copy(enc, text, len), len);
        break;
    case AVRO_FIXED:
        if (t->logical == GDX_LT_DECIMAL) {
            return set_decimal(enc, v, f, t, text, len, errstr, errstr_size);
        }
        if (len != t->size) {
            char what[64];
            snprintf(what, sizeof(what), "fixed needs %zu bytes, got %zu", t->size, len);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': %s", f->name, what);
        }
        rc = avro_value_set_fixed(v, scratch_copy(enc, text, len), len);
        break;
    case AVRO_INT32: {
        int64_t i64;
        int32_t i32;
        if (t->logical == GDX_LT_DATE) {
            if (gdx_date_parse_days(text, len, format, &i32)) {
                return bad_value(f, "invalid date", text, len, errstr, errstr_size);
            }
        } else if (t->logical == GDX_LT_TIME_MILLIS) {
            if (time_of_day_parse(text, len, format, &i32)) {
                return bad_value(f, "invalid time", text, len, errstr, errstr_size);
            }
        } else {
            if (parse_i64(text, len, &i64) || i64 < INT32_MIN || i64 > INT32_MAX) {
                return bad_value(f, "invalid int", text, len, errstr, errstr_size);
            }
            i32 = (int32_t)i64;
        }
        rc = avro_value_set_int(v, i32);
        break;
    }
    case AVRO_INT64: {
        int64_t i64;
        if (t->logical == GDX_LT_TIMESTAMP_MILLIS || t->logical == GDX_LT_TIMESTAMP_MICROS) {
            int64_t unit = t->logical == GDX_LT_TIMESTAMP_MILLIS ? 1000 : 1;
            if (time_parse_unit(text, len, format, unit, &i64)) {
                return bad_value(f, "invalid timestamp", text, len, errstr, errstr_size);
            }
        } else if (parse_i64(text, len, &i64)) {
            return bad_value(f, "invalid long", text, len, errstr, errstr_size);
        }
        rc = avro_value_set_long(v, i64);
        break;
    }
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        double d;
        if (parse_double(text, len, &d) || (t->kind == AVRO_FLOAT && fabs(d) > FLT_MAX)) {
            return bad_value(f, t->kind == AVRO_FLOAT ? "invalid float" : "invalid double", text,
                             len, errstr, errstr_size);
        }
        rc =
            t->kind == AVRO_FLOAT ? avro_value_set_float(v, (float)d) : avro_value_set_double(v, d);
        break;
    }
    case AVRO_BOOLEAN: {
        int b;
        if (parse_bool(text, len, &b)) {
            return bad_value(f, "invalid boolean", text, len, errstr, errstr_size);
        }
        rc = avro_value_set_boolean(v, b);
        break;
    }
    case AVRO_ENUM: {
        const char *s = text;
        size_t n = len;
        trim(&s, &n);
        for (size_t i = 0; i < t->nsymbols; i++) {
            if (strlen(t->symbols[i]) == n && memcmp(t->symbols[i], s, n) == 0) {
                rc = avro_value_set_enum(v, (int)i);
                return rc ? avro_fail(f, errstr, errstr_size) : GDX_OK;
            }
        }
        return bad_value(f, "unknown enum symbol", text, len, errstr, errstr_size);
    }
    case AVRO_NULL:
        return bad_value(f, "null field takes no value", text, len, errstr, errstr_size);
    default: {
        /* records, arrays, maps and general unions: from JSON text */
        json_error_t jerr;
        json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
        if (!j) {
            return bad_value(f, "invalid JSON", text, len, errstr, errstr_size);
        }
        avro_value_reset(v);
        rc = set_from_json(enc, v, t, j, 0);
        json_decref(j);
        if (rc) {
            return bad_value(f, "JSON does not match the schema", text, len, errstr, errstr_size);
        }
        return GDX_OK;
    }
    }
    return rc ? avro_fail(f, errstr, errstr_size) : GDX_OK;
}

static int field_is_text(const struct atype *t)
{
    return t->kind == AVRO_STRING || (t->kind == AVRO_BYTES && t->logical != GDX_LT_DECIMAL);
}

/*
 * Null and empty text: NULL text, or empty text of a nullable field (strings included: an
 * empty string cannot be told from a missing value in CSV or most exports), is null. For a
 * required field it leaves the field unset so finish() writes the schema's default, and is an
 * error when there is none; a required string or bytes field takes empty text as "".
 * Bare digits for a timestamp are epoch time in the field's own unit (ms or us), for a date
 * eight digits are YYYYMMDD, for time-millis milliseconds since midnight.
 */
static int avroc_set(struct gdx_encoder *enc, const struct gdx_field *f, const char *text,
                     size_t len, const char *format, char *errstr, size_t errstr_size)
{
    const struct gdx_schema *s = enc->schema;
    const struct atype *t;
    avro_value_t fv, bv, *target = &fv;
    int rc;
    if (f < s->fields || f >= s->fields + s->nfields) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "field '%s' is not a field of '%s'",
                          f ? f->name : "?", s->fullname);
    }
    t = cpriv(s)->ftypes[f->index];
    enc->isset[f->index] = 0;
    if (avro_value_get_by_index(&enc->rec, (size_t)f->index, &fv, NULL)) {
        return avro_fail(f, errstr, errstr_size);
    }
    if (!text || (len == 0 && (f->nullable || !field_is_text(t)))) {
        /* NULL, or empty text of a nullable field (strings too) or of a non-text field */
        if (f->nullable) {
            if (avro_value_set_branch(&fv, f->null_branch, &bv) || avro_value_set_null(&bv)) {
                return avro_fail(f, errstr, errstr_size);
            }
            enc->isset[f->index] = 1;
            return GDX_OK;
        }
        if (f->has_default) {
            return GDX_OK; /* finish() writes the default */
        }
        if (t->kind == AVRO_NULL) {
            enc->isset[f->index] = avro_value_set_null(&fv) == 0;
            return GDX_OK;
        }
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "field '%s' is required but the value is %s", f->name,
                          text ? "empty" : "null");
    }
    if (f->nullable) {
        if (avro_value_set_branch(&fv, f->value_branch, &bv)) {
            return avro_fail(f, errstr, errstr_size);
        }
        target = &bv;
    }
    rc = coerce(enc, target, f, t, text, len, format, errstr, errstr_size);
    if (rc == GDX_OK) {
        enc->isset[f->index] = 1;
    }
    return rc;
}

static int avroc_finish(struct gdx_encoder *enc, size_t max_bytes, const void **out,
                        size_t *out_len, char *errstr, size_t errstr_size)
{
    const struct gdx_schema *s = enc->schema;
    const struct schema_priv *sp = cpriv(s);
    size_t size = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct gdx_field *f = &s->fields[i];
        avro_value_t fv, bv;
        if (enc->isset[i]) {
            continue;
        }
        if (avro_value_get_by_index(&enc->rec, i, &fv, NULL)) {
            return avro_fail(f, errstr, errstr_size);
        }
        if (sp->rec->fields[i].def) {
            avro_value_reset(&fv);
            if (set_from_json(enc, &fv, sp->rec->fields[i].type, sp->rec->fields[i].def, 0)) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                                  "field '%s': default in schema '%s' does not match its type",
                                  f->name, s->fullname);
            }
        } else if (f->nullable) {
            if (avro_value_set_branch(&fv, f->null_branch, &bv) || avro_value_set_null(&bv)) {
                return avro_fail(f, errstr, errstr_size);
            }
        } else {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s' is required but not set", f->name);
        }
        enc->isset[i] = 1;
    }
    if (avro_value_sizeof(&enc->rec, &size)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot size record '%s': %s",
                          s->fullname, avro_strerror());
    }
    if (max_bytes && size > max_bytes) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FULL,
                          "record '%s' is %zu bytes, more than the limit of %zu", s->fullname, size,
                          max_bytes);
    }
    if (size > enc->cap || !enc->buf) {
        size_t cap = enc->cap ? enc->cap : 256;
        while (cap < size) {
            cap *= 2;
        }
        enc->buf = gdx_xrealloc(enc->buf, cap);
        enc->cap = cap;
    }
    if (size > 0) {
        if (!enc->writer) {
            enc->writer = avro_writer_memory(enc->buf, (int64_t)size);
            if (!enc->writer) {
                abort();
            }
        } else {
            avro_writer_memory_set_dest(enc->writer, enc->buf, (int64_t)size);
        }
        if (avro_value_write(enc->writer, &enc->rec) ||
            avro_writer_tell(enc->writer) != (int64_t)size) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "cannot write record '%s': %s",
                              s->fullname, avro_strerror());
        }
    }
    *out = enc->buf;
    *out_len = size;
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* The direct encoder: Avro binary from text */

static unsigned char *arena_reserve(struct gdx_encoder *enc, size_t add)
{
    if (enc->alen + add > enc->acap) {
        size_t cap = enc->acap ? enc->acap : 1024;
        while (cap < enc->alen + add) {
            cap *= 2;
        }
        enc->arena = gdx_xrealloc(enc->arena, cap);
        enc->acap = cap;
    }
    return enc->arena + enc->alen;
}

/* Avro's long (and int): zigzag, then 7 bits a byte, low first. At most 10 bytes. */
static size_t put_long(unsigned char *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z > 0x7f) {
        p[n++] = (unsigned char)((z & 0x7f) | 0x80);
        z >>= 7;
    }
    p[n++] = (unsigned char)z;
    return n;
}

static void emit_long(struct gdx_encoder *enc, int64_t v)
{
    enc->alen += put_long(arena_reserve(enc, 10), v);
}

/* Length-prefixed bytes (string, bytes). */
static void emit_lenbytes(struct gdx_encoder *enc, const void *b, size_t len)
{
    unsigned char *p = arena_reserve(enc, len + 10);
    size_t n = put_long(p, (int64_t)len);
    if (len) {
        memcpy(p + n, b, len);
    }
    enc->alen += n + len;
}

static void emit_raw(struct gdx_encoder *enc, const void *b, size_t len)
{
    unsigned char *p = arena_reserve(enc, len);
    if (len) {
        memcpy(p, b, len);
    }
    enc->alen += len;
}

static int direct_decimal(struct gdx_encoder *enc, const struct gdx_field *f, const struct atype *t,
                          const char *text, size_t len, char *errstr, size_t errstr_size)
{
    unsigned char buf[DEC_BUF];
    int rc = decimal_from_text(text, len, t->precision, t->scale, buf);
    if (rc == -2) {
        char what[64];
        snprintf(what, sizeof(what), "decimal has more than %d fractional digits", t->scale);
        return bad_value(f, what, text, len, errstr, errstr_size);
    } else if (rc == -3) {
        char what[64];
        snprintf(what, sizeof(what), "decimal exceeds precision %d", t->precision);
        return bad_value(f, what, text, len, errstr, errstr_size);
    } else if (rc) {
        return bad_value(f, "invalid decimal", text, len, errstr, errstr_size);
    }
    if (t->kind == AVRO_BYTES) {
        size_t off = decimal_trim(buf, DEC_BUF);
        emit_lenbytes(enc, buf + off, DEC_BUF - off);
    } else if (t->size <= DEC_BUF) {
        emit_raw(enc, buf + DEC_BUF - t->size, t->size);
    } else {
        /* sign-extend into a wider fixed */
        unsigned char *p = arena_reserve(enc, t->size);
        memset(p, (buf[0] & 0x80) ? 0xff : 0x00, t->size - DEC_BUF);
        memcpy(p + t->size - DEC_BUF, buf, DEC_BUF);
        enc->alen += t->size;
    }
    return GDX_OK;
}

/* A complex-typed field from JSON text, through Avro-C's value API (one value per field). */
static int direct_json(struct gdx_encoder *enc, const struct gdx_field *f, const struct atype *t,
                       const char *text, size_t len, char *errstr, size_t errstr_size)
{
    struct enc_complex *cx = &enc->cx[f->index];
    json_error_t jerr;
    unsigned char *bytes = NULL;
    size_t n = 0;
    int rc;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    if (!j) {
        return bad_value(f, "invalid JSON", text, len, errstr, errstr_size);
    }
    if (!cx->iface && cx_init(cx, field_avro_schema(enc->schema, (size_t)f->index, 1))) {
        json_decref(j);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "field '%s': avro-c: %s", f->name,
                          avro_strerror());
    }
    avro_value_reset(&cx->value);
    rc = set_from_json(enc, &cx->value, t, j, 0);
    json_decref(j);
    if (rc) {
        return bad_value(f, "JSON does not match the schema", text, len, errstr, errstr_size);
    }
    if (cx_write(cx, &bytes, &n)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "field '%s': avro-c: %s", f->name,
                          avro_strerror());
    }
    emit_raw(enc, bytes, n);
    free(bytes);
    return GDX_OK;
}

/* coerce() of the reference encoder, writing the value's binary into the arena. */
static int direct_coerce(struct gdx_encoder *enc, const struct gdx_field *f, const struct atype *t,
                         const char *text, size_t len, const char *format, char *errstr,
                         size_t errstr_size)
{
    size_t bad;
    switch (t->kind) {
    case AVRO_STRING:
        if (!enc->trust_utf8 && !utf8_check(text, len, &bad)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s': invalid UTF-8 at byte %zu", f->name, bad);
        }
        if (t->logical == GDX_LT_UUID && !uuid_valid(text, len)) {
            return bad_value(f, "invalid uuid", text, len, errstr, errstr_size);
        }
        emit_lenbytes(enc, text, len);
        return GDX_OK;
    case AVRO_BYTES:
        if (t->logical == GDX_LT_DECIMAL) {
            return direct_decimal(enc, f, t, text, len, errstr, errstr_size);
        }
        emit_lenbytes(enc, text, len);
        return GDX_OK;
    case AVRO_FIXED:
        if (t->logical == GDX_LT_DECIMAL) {
            return direct_decimal(enc, f, t, text, len, errstr, errstr_size);
        }
        if (len != t->size) {
            char what[64];
            snprintf(what, sizeof(what), "fixed needs %zu bytes, got %zu", t->size, len);
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': %s", f->name, what);
        }
        emit_raw(enc, text, len);
        return GDX_OK;
    case AVRO_INT32: {
        int64_t i64;
        int32_t i32;
        if (t->logical == GDX_LT_DATE) {
            if (gdx_date_parse_days(text, len, format, &i32)) {
                return bad_value(f, "invalid date", text, len, errstr, errstr_size);
            }
        } else if (t->logical == GDX_LT_TIME_MILLIS) {
            if (time_of_day_parse(text, len, format, &i32)) {
                return bad_value(f, "invalid time", text, len, errstr, errstr_size);
            }
        } else {
            if (parse_i64(text, len, &i64) || i64 < INT32_MIN || i64 > INT32_MAX) {
                return bad_value(f, "invalid int", text, len, errstr, errstr_size);
            }
            i32 = (int32_t)i64;
        }
        emit_long(enc, i32);
        return GDX_OK;
    }
    case AVRO_INT64: {
        int64_t i64;
        if (t->logical == GDX_LT_TIMESTAMP_MILLIS || t->logical == GDX_LT_TIMESTAMP_MICROS) {
            int64_t unit = t->logical == GDX_LT_TIMESTAMP_MILLIS ? 1000 : 1;
            if (time_parse_unit(text, len, format, unit, &i64)) {
                return bad_value(f, "invalid timestamp", text, len, errstr, errstr_size);
            }
        } else if (parse_i64(text, len, &i64)) {
            return bad_value(f, "invalid long", text, len, errstr, errstr_size);
        }
        emit_long(enc, i64);
        return GDX_OK;
    }
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        double d;
        unsigned char b[8];
        if (parse_double(text, len, &d) || (t->kind == AVRO_FLOAT && fabs(d) > FLT_MAX)) {
            return bad_value(f, t->kind == AVRO_FLOAT ? "invalid float" : "invalid double", text,
                             len, errstr, errstr_size);
        }
        if (t->kind == AVRO_FLOAT) {
            float fl = (float)d;
            uint32_t u;
            memcpy(&u, &fl, 4);
            for (int i = 0; i < 4; i++) {
                b[i] = (unsigned char)(u >> (8 * i));
            }
            emit_raw(enc, b, 4);
        } else {
            uint64_t u;
            memcpy(&u, &d, 8);
            for (int i = 0; i < 8; i++) {
                b[i] = (unsigned char)(u >> (8 * i));
            }
            emit_raw(enc, b, 8);
        }
        return GDX_OK;
    }
    case AVRO_BOOLEAN: {
        int b;
        unsigned char c;
        if (parse_bool(text, len, &b)) {
            return bad_value(f, "invalid boolean", text, len, errstr, errstr_size);
        }
        c = b ? 1 : 0;
        emit_raw(enc, &c, 1);
        return GDX_OK;
    }
    case AVRO_ENUM: {
        const char *sym = text;
        size_t n = len;
        trim(&sym, &n);
        for (size_t i = 0; i < t->nsymbols; i++) {
            if (strlen(t->symbols[i]) == n && memcmp(t->symbols[i], sym, n) == 0) {
                emit_long(enc, (int64_t)i);
                return GDX_OK;
            }
        }
        return bad_value(f, "unknown enum symbol", text, len, errstr, errstr_size);
    }
    case AVRO_NULL:
        return bad_value(f, "null field takes no value", text, len, errstr, errstr_size);
    default:
        /* records, arrays, maps and general unions: from JSON text */
        return direct_json(enc, f, t, text, len, errstr, errstr_size);
    }
}

static int direct_set(struct gdx_encoder *enc, const struct gdx_field *f, const char *text,
                      size_t len, const char *format, char *errstr, size_t errstr_size)
{
    const struct gdx_schema *s = enc->schema;
    const struct atype *t;
    struct enc_slot *slot;
    size_t start;
    int rc;
    if (f < s->fields || f >= s->fields + s->nfields) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FAIL, "field '%s' is not a field of '%s'",
                          f ? f->name : "?", s->fullname);
    }
    t = cpriv(s)->ftypes[f->index];
    slot = &enc->slots[f->index];
    enc->isset[f->index] = 0;
    start = enc->alen;
    if (!text || (len == 0 && (f->nullable || !field_is_text(t)))) {
        /* NULL, or empty text of a nullable field (strings too) or of a non-text field */
        if (f->nullable) {
            emit_long(enc, f->null_branch);
        } else if (f->has_default) {
            return GDX_OK; /* finish() writes the default */
        } else if (t->kind != AVRO_NULL) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s' is required but the value is %s", f->name,
                              text ? "empty" : "null");
        }
        slot->off = start;
        slot->len = enc->alen - start;
        enc->isset[f->index] = 1;
        return GDX_OK;
    }
    if (f->nullable) {
        emit_long(enc, f->value_branch);
    }
    rc = direct_coerce(enc, f, t, text, len, format, errstr, errstr_size);
    if (rc != GDX_OK) {
        enc->alen = start;
        return rc;
    }
    slot->off = start;
    slot->len = enc->alen - start;
    enc->isset[f->index] = 1;
    return GDX_OK;
}

static int direct_finish(struct gdx_encoder *enc, size_t max_bytes, const void **out,
                         size_t *out_len, char *errstr, size_t errstr_size)
{
    const struct gdx_schema *s = enc->schema;
    size_t size = 0, o = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct gdx_field *f = &s->fields[i];
        if (enc->isset[i]) {
            size += enc->slots[i].len;
            continue;
        }
        if (enc->defs[i].state == -1) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                              "field '%s': default in schema '%s' does not match its type", f->name,
                              s->fullname);
        } else if (enc->defs[i].state == 1) {
            size += enc->defs[i].len;
        } else if (f->nullable) {
            enc->slots[i].off = enc->alen;
            emit_long(enc, f->null_branch);
            enc->slots[i].len = enc->alen - enc->slots[i].off;
            enc->isset[i] = 1;
            size += enc->slots[i].len;
        } else {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s' is required but not set", f->name);
        }
    }
    if (max_bytes && size > max_bytes) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_FULL,
                          "record '%s' is %zu bytes, more than the limit of %zu", s->fullname, size,
                          max_bytes);
    }
    if (size > enc->cap || !enc->buf) {
        size_t cap = enc->cap ? enc->cap : 256;
        while (cap < size) {
            cap *= 2;
        }
        enc->buf = gdx_xrealloc(enc->buf, cap);
        enc->cap = cap;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const unsigned char *src;
        size_t n;
        if (enc->isset[i]) {
            src = enc->arena + enc->slots[i].off;
            n = enc->slots[i].len;
        } else {
            src = enc->defs[i].bytes;
            n = enc->defs[i].len;
        }
        if (n) {
            memcpy(enc->buf + o, src, n);
            o += n;
        }
    }
    *out = enc->buf;
    *out_len = size;
    return GDX_OK;
}

int gdx_encoder_set(struct gdx_encoder *enc, const struct gdx_field *f, const char *text,
                    size_t len, const char *format, char *errstr, size_t errstr_size)
{
    return enc->avroc ? avroc_set(enc, f, text, len, format, errstr, errstr_size)
                      : direct_set(enc, f, text, len, format, errstr, errstr_size);
}

int gdx_encoder_finish(struct gdx_encoder *enc, size_t max_bytes, const void **out, size_t *out_len,
                       char *errstr, size_t errstr_size)
{
    return enc->avroc ? avroc_finish(enc, max_bytes, out, out_len, errstr, errstr_size)
                      : direct_finish(enc, max_bytes, out, out_len, errstr, errstr_size);
}

/* ---------------------------------------------------------------------------------------- */
/* Framings */

void gdx_soe_header(uint8_t out[GDX_SOE_HEADER_LEN], uint64_t fingerprint)
{
    out[0] = 0xc3;
    out[1] = 0x01;
    for (int i = 0; i < 8; i++) {
        out[2 + i] = (uint8_t)(fingerprint >> (8 * i));
    }
}

int gdx_soe_parse(const void *buf, size_t len, uint64_t *fingerprint)
{
    const uint8_t *p = buf;
    uint64_t fp = 0;
    if (len < GDX_SOE_HEADER_LEN || p[0] != 0xc3 || p[1] != 0x01) {
        return 0;
    }
    for (int i = 0; i < 8; i++) {
        fp |= (uint64_t)p[2 + i] << (8 * i);
    }
    *fingerprint = fp;
    return 1;
}

void gdx_confluent_header(uint8_t out[GDX_CONFLUENT_HEADER_LEN], int32_t id)
{
    uint32_t u = (uint32_t)id;
    out[0] = 0;
    out[1] = (uint8_t)(u >> 24);
    out[2] = (uint8_t)(u >> 16);
    out[3] = (uint8_t)(u >> 8);
    out[4] = (uint8_t)u;
}

/* 1 if buf starts with a Confluent header (fills id), else 0 */
int gdx_confluent_parse(const void *buf, size_t len, int32_t *id)
{
    const uint8_t *p = buf;
    if (len < GDX_CONFLUENT_HEADER_LEN || p[0] != 0) {
        return 0;
    }
    *id = (int32_t)(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 8) |
                    (uint32_t)p[4]);
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Bounded decoder */

struct reader {
    const uint8_t *start, *p, *end;
    size_t budget; /* elements of zero-size types we still accept */
    char *errstr;
    size_t errstr_size;
};

static int rd_fail(struct reader *rd, const char *what)
{
    return gdx_seterr(rd->errstr, rd->errstr_size, GDX_ERR_PARSE,
                      "malformed avro body at byte %zu: %s", (size_t)(rd->p - rd->start), what);
}

static int rd_long(struct reader *rd, int64_t *out)
{
    uint64_t u = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t b;
        if (rd->p >= rd->end) {
            return rd_fail(rd, "truncated varint");
        }
        b = *rd->p++;
        if (shift == 63 && (b & 0x7e)) {
            return rd_fail(rd, "varint overflows a long");
        }
        u |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return rd_fail(rd, "varint too long");
}

static int rd_len(struct reader *rd, size_t *n)
{
    int64_t v;
    if (rd_long(rd, &v)) {
        return -1;
    }
    if (v < 0 || (uint64_t)v > (uint64_t)(rd->end - rd->p)) {
        return rd_fail(rd, "length beyond the end of the body");
    }
    *n = (size_t)v;
    return 0;
}

static json_t *bytes_json(const uint8_t *p, size_t n)
{
    /* each byte is the code point U+00XX, as in Avro's JSON encoding */
    struct sbuf sb = {0};
    json_t *j;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80) {
            sb_addc(&sb, (char)p[i]);
        } else {
            sb_addc(&sb, (char)(0xc0 | (p[i] >> 6)));
            sb_addc(&sb, (char)(0x80 | (p[i] & 0x3f)));
        }
    }
    j = json_stringn(sb.p ? sb.p : "", sb.len);
    free(sb.p);
    return j;
}

static json_t *real_json(double d)
{
    if (isnan(d)) {
        return json_string("NaN");
    }
    if (isinf(d)) {
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    }
    return json_real(d);
}

static json_t *decode_value(struct reader *rd, const struct atype *t, int depth);

static json_t *decode_blocks(struct reader *rd, const struct atype *t, int depth)
{
    int is_map = t->kind == AVRO_MAP;
    json_t *res = is_map ? json_object() : json_array();
    size_t unit = is_map ? 1 + t->sub->min_size : t->sub->min_size;
    for (;;) {
        int64_t count, bytes = -1;
        const uint8_t *items;
        if (rd_long(rd, &count)) {
            goto fail;
        }
        if (count == 0) {
            return res;
        }
        if (count < 0) {
            if (count == INT64_MIN) {
                rd_fail(rd, "invalid block count");
                goto fail;
            }
            count = -count;
            if (rd_long(rd, &bytes)) {
                goto fail;
            }
            if (bytes < 0 || (uint64_t)bytes > (uint64_t)(rd->end - rd->p)) {
                rd_fail(rd, "block size beyond the end of the body");
                goto fail;
            }
        }
        if (unit > 0 && (uint64_t)count > (uint64_t)(rd->end - rd->p) / unit) {
            rd_fail(rd, "block count beyond the end of the body");
            goto fail;
        }
        if (unit == 0) {
            if ((uint64_t)count > rd->budget) {
                rd_fail(rd, "too many elements");
                goto fail;
            }
            rd->budget -= (size_t)count;
        }
        items = rd->p;
        for (int64_t i = 0; i < count; i++) {
            json_t *v;
            if (is_map) {
                size_t n = 0, bad;
                char *key;
                if (rd_len(rd, &n)) {
                    goto fail;
                }
                if (!utf8_check((const char *)rd->p, n, &bad) || memchr(rd->p, 0, n)) {
                    rd_fail(rd, "map key is not valid UTF-8");
                    goto fail;
                }
                key = xmalloc(n + 1);
                memcpy(key, rd->p, n);
                key[n] = '\0';
                rd->p += n;
                v = decode_value(rd, t->sub, depth + 1);
                if (!v) {
                    free(key);
                    goto fail;
                }
                json_object_set_new(res, key, v);
                free(key);
            } else {
                v = decode_value(rd, t->sub, depth + 1);
                if (!v) {
                    goto fail;
                }
                json_array_append_new(res, v);
            }
        }
        /* a block that gives its size must be exactly that size: a reader may skip it by
         * the size alone, and a protected record after it must still decode */
        if (bytes >= 0 && rd->p - items != bytes) {
            rd_fail(rd, "block size does not match its items");
            goto fail;
        }
    }
fail:
    json_decref(res);
    return NULL;
}

static json_t *decode_value(struct reader *rd, const struct atype *t, int depth)
{
    int64_t v;
    size_t n, bad;
    if (depth > DECODE_MAX_DEPTH) {
        rd_fail(rd, "nested too deeply");
        return NULL;
    }
    switch (t->kind) {
    case AVRO_NULL:
        return json_null();
    case AVRO_BOOLEAN:
        if (rd->p >= rd->end || *rd->p > 1) {
            rd_fail(rd, "invalid boolean");
            return NULL;
        }
        return json_boolean(*rd->p++);
    case AVRO_INT32:
    case AVRO_INT64:
        if (rd_long(rd, &v)) {
            return NULL;
        }
        if (t->kind == AVRO_INT32 && (v < INT32_MIN || v > INT32_MAX)) {
            rd_fail(rd, "int out of range");
            return NULL;
        }
        if (t->logical == GDX_LT_DATE) {
            int64_t y;
            int m, d;
            char buf[32];
            civil_from_days(v, &y, &m, &d);
            if (y < 0 || y > 9999) {
                return json_integer(v);
            }
            snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int)y, m, d);
            return json_string(buf);
        } else if (t->logical == GDX_LT_TIME_MILLIS) {
            char buf[32];
            if (v < 0 || v >= 86400000) {
                return json_integer(v);
            }
            snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%03d", (int)(v / 3600000),
                     (int)(v / 60000 % 60), (int)(v / 1000 % 60), (int)(v % 1000));
            return json_string(buf);
        } else if (t->logical == GDX_LT_TIMESTAMP_MILLIS) {
            char buf[32];
            gdx_time_format_ms(v, buf);
            return all_digits(buf, strlen(buf)) ? json_integer(v) : json_string(buf);
        } else if (t->logical == GDX_LT_TIMESTAMP_MICROS) {
            int64_t y, frac;
            int mo, d, h, mi, s;
            char buf[96];
            if (split_us(v, &y, &mo, &d, &h, &mi, &s, &frac)) {
                return json_integer(v);
            }
            snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06d+08:00", (int)y, mo, d, h,
                     mi, s, (int)frac);
            return json_string(buf);
        }
        return json_integer(v);
    case AVRO_FLOAT: {
        float f;
        if (rd->end - rd->p < 4) {
            rd_fail(rd, "truncated float");
            return NULL;
        }
        {
            uint32_t u = (uint32_t)rd->p[0] | ((uint32_t)rd->p[1] << 8) |
                         ((uint32_t)rd->p[2] << 16) | ((uint32_t)rd->p[3] << 24);
            memcpy(&f, &u, 4);
        }
        rd->p += 4;
        return real_json((double)f);
    }
    case AVRO_DOUBLE: {
        double d;
        uint64_t u = 0;
        if (rd->end - rd->p < 8) {
            rd_fail(rd, "truncated double");
            return NULL;
        }
        for (int i = 0; i < 8; i++) {
            u |= (uint64_t)rd->p[i] << (8 * i);
        }
        memcpy(&d, &u, 8);
        rd->p += 8;
        return real_json(d);
    }
    case AVRO_STRING: {
        json_t *j;
        if (rd_len(rd, &n)) {
            return NULL;
        }
        if (!utf8_check((const char *)rd->p, n, &bad)) {
            rd_fail(rd, "string is not valid UTF-8");
            return NULL;
        }
        j = json_stringn((const char *)rd->p, n);
        rd->p += n;
        return j;
    }
    case AVRO_BYTES:
    case AVRO_FIXED: {
        const uint8_t *p;
        if (t->kind == AVRO_BYTES) {
            if (rd_len(rd, &n)) {
                return NULL;
            }
        } else {
            n = t->size;
            if ((size_t)(rd->end - rd->p) < n) {
                rd_fail(rd, "truncated fixed");
                return NULL;
            }
        }
        p = rd->p;
        rd->p += n;
        if (t->logical == GDX_LT_DECIMAL) {
            struct sbuf sb = {0};
            json_t *j;
            if (decimal_to_text(p, n, t->scale, &sb)) {
                free(sb.p);
                rd_fail(rd, "decimal too large");
                return NULL;
            }
            j = json_string(sb.p);
            free(sb.p);
            return j;
        }
        return bytes_json(p, n);
    }
    case AVRO_ENUM:
        if (rd_long(rd, &v)) {
            return NULL;
        }
        if (v < 0 || (uint64_t)v >= t->nsymbols) {
            rd_fail(rd, "enum index out of range");
            return NULL;
        }
        return json_string(t->symbols[v]);
    case AVRO_UNION:
        if (rd_long(rd, &v)) {
            return NULL;
        }
        if (v < 0 || (uint64_t)v >= t->nbranches) {
            rd_fail(rd, "union branch out of range");
            return NULL;
        }
        return decode_value(rd, t->branches[v], depth + 1);
    case AVRO_ARRAY:
    case AVRO_MAP:
        return decode_blocks(rd, t, depth);
    case AVRO_RECORD: {
        json_t *obj = json_object();
        for (size_t i = 0; i < t->nfields; i++) {
            json_t *fv = decode_value(rd, t->fields[i].type, depth + 1);
            if (!fv) {
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, t->fields[i].name, fv);
        }
        return obj;
    }
    default:
        rd_fail(rd, "unsupported type");
        return NULL;
    }
}

json_t *gdx_avro_decode_json(const struct gdx_schema *schema, const void *body, size_t len,
                             char *errstr, size_t errstr_size)
{
    struct reader rd;
    json_t *res;
    rd.start = rd.p = body;
    rd.end = rd.p + len;
    rd.budget = GDX_LIMIT_AVRO_VALUES;
    rd.errstr = errstr;
    rd.errstr_size = errstr_size;
    res = decode_value(&rd, cpriv(schema)->rec, 0);
    if (res && rd.p != rd.end) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                   "malformed avro body: %zu trailing bytes after the record",
                   (size_t)(rd.end - rd.p));
        json_decref(res);
        return NULL;
    }
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Schema sets */

struct gdx_schema_set {
    struct gdx_schema **v;
    size_t n, cap;
};

void gdx_schema_set_add(struct gdx_schema_set *set, struct gdx_schema *schema)
{
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->v = gdx_xrealloc(set->v, set->cap * sizeof(*set->v));
    }
    set->v[set->n++] = schema;
}

const struct gdx_schema *gdx_schema_set_find(const struct gdx_schema_set *set, uint64_t fp)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->v[i]->fingerprint == fp) {
            return set->v[i];
        }
    }
    return NULL;
}

void gdx_schema_set_destroy(struct gdx_schema_set *set)
{
    if (!set) {
        return;
    }
    for (size_t i = 0; i < set->n; i++) {
        gdx_schema_destroy(set->v[i]);
    }
    free(set->v);
    free(set);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int set_walk(struct gdx_schema_set *set, const char *dir, int depth, char *errstr,
                    size_t errstr_size)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = GDX_OK;
    if (depth > 16) {
        return GDX_OK;
    }
    d = opendir(dir);
    if (!d) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", dir,
                          strerror(errno));
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = gdx_xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = gdx_xstrdup(de->d_name);
    }
    closedir(d);
    if (n) {
        qsort(names, n, sizeof(*names), cmp_str);
    }
    for (size_t i = 0; i < n && rc == GDX_OK; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2, nl = strlen(names[i]);
        char *path = xmalloc(plen);
        struct stat st;
        snprintf(path, plen, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                rc = set_walk(set, path, depth + 1, errstr, errstr_size);
            } else if (S_ISREG(st.st_mode) && nl > 5 && !strcmp(names[i] + nl - 5, ".avsc")) {
                struct gdx_schema *s = gdx_schema_load(path, errstr, errstr_size);
                if (s) {
                    gdx_schema_set_add(set, s);
                } else {
                    rc = GDX_ERR_SCHEMA;
                }
            }
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return rc;
}

struct gdx_schema_set *gdx_schema_set_load(const char *dir, char *errstr, size_t errstr_size)
{
    struct gdx_schema_set *set = gdx_xcalloc(1, sizeof(*set));
    if (dir && set_walk(set, dir, 0, errstr, errstr_size)) {
        gdx_schema_set_destroy(set);
        return NULL;
    }
    return set;
}
