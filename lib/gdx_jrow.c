/*
 * gdx_jrow.c - JSON objects as connector rows, and spans of JSON documents.
 *
 * jansson validates and decodes (strings, escapes, UTF-8, duplicate keys); a small scanner
 * over the same text gives the span of every member value, so numbers and nested values are
 * passed on exactly as written instead of being re-printed from a double. jansson keeps an
 * object's members in text order and duplicates are refused, so the n-th member jansson
 * yields is the n-th span the scanner finds.
 *
 * The scanner is bounded: every loop checks the end of the text, and nesting is counted, so
 * it is safe on text jansson has not seen (gdx_json_find on a page, the depth pre-check that
 * refuses hostile nesting before jansson recurses into it).
 *
 * Field names and values live in one arena per row: offsets while it grows, pointers once
 * the row is complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gdx_jrow.h"
#include "gdx_util.h"

struct jrow_field {
    size_t name_off, name_len; /* in the arena */
    size_t val_off, val_len;   /* in the arena; val_off == SIZE_MAX for NULL */
};

struct gdx_jrow {
    int flags, max_depth;
    json_t *doc; /* the last row's document: string values point into it */
    char *arena;
    size_t arena_len, arena_cap;
    struct jrow_field *fields;
    size_t nfields, fields_cap;
    const char **names, **values;
    size_t *lens;
    size_t ptr_cap;
    size_t span_start, span_len; /* the object of the last row, in its text */
};

/* ------------------------------------------------------------------------------------- */
/* the scanner */

static size_t js_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
        i++;
    }
    return i;
}

/* @p i at the opening quote; returns the index after the closing quote, or n */
static size_t js_skip_str(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return n;
}

/*
 * Skip one value starting at @p i; returns the index after it. *depth_out receives the
 * deepest nesting seen (0 for a scalar); stops early, returning SIZE_MAX, when it exceeds
 * @p max_depth or the text ends inside a container.
 */
static size_t js_skip_value(const char *s, size_t i, size_t n, int max_depth, int *depth_out)
{
    int depth = 0, deepest = 0;

    if (i >= n) {
        return SIZE_MAX;
    }
    if (s[i] == '"') {
        size_t e = js_skip_str(s, i, n);
        *depth_out = 0;
        return e <= n && e > i && s[e - 1] == '"' ? e : SIZE_MAX;
    }
    if (s[i] != '{' && s[i] != '[') {
        size_t st = i;
        /* memchr, not strchr: a NUL byte is not a delimiter (strchr finds the terminator) */
        while (i < n && !memchr(",}] \t\r\n", s[i], 7)) {
            i++;
        }
        *depth_out = 0;
        return i > st ? i : SIZE_MAX;
    }
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            i = js_skip_str(s, i, n);
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > deepest) {
                deepest = depth;
                if (max_depth >= 0 && deepest > max_depth) {
                    *depth_out = deepest;
                    return SIZE_MAX;
                }
            }
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                *depth_out = deepest;
                return i + 1;
            }
        }
        i++;
    }
    *depth_out = deepest;
    return SIZE_MAX;
}

int gdx_json_depth(const char *text, size_t len)
{
    int d = 0;
    size_t i = js_ws(text, 0, len);

    if (js_skip_value(text, i, len, -1, &d) == SIZE_MAX) {
        return -1;
    }
    return d;
}

/*
 * The next member of the object whose members start at *pos: key span (inside the quotes)
 * and value span. Returns 1, 0 at the closing brace, -1 on malformed text.
 */
static int js_member_next(const char *s, size_t n, size_t *pos, size_t *kstart, size_t *klen,
                          size_t *vstart, size_t *vlen)
{
    size_t i = js_ws(s, *pos, n), e;
    int d;

    if (i < n && s[i] == ',') {
        i = js_ws(s, i + 1, n);
    }
    if (i < n && s[i] == '}') {
        *pos = i + 1;
        return 0;
    }
    if (i >= n || s[i] != '"') {
        return -1;
    }
    e = js_skip_str(s, i, n);
    if (e >= n) {
        return -1;
    }
    *kstart = i + 1;
    *klen = e - i - 2;
    i = js_ws(s, e, n);
    if (i >= n || s[i] != ':') {
        return -1;
    }
    i = js_ws(s, i + 1, n);
    e = js_skip_value(s, i, n, -1, &d);
    if (e == SIZE_MAX) {
        return -1;
    }
    *vstart = i;
    *vlen = e - i;
    *pos = e;
    return 1;
}

int gdx_json_array_next(const char *text, size_t len, size_t *pos, size_t *start, size_t *elen)
{
    size_t i, e;
    int d;

    if (*pos == 0) {
        i = js_ws(text, 0, len);
        if (i >= len || text[i] != '[') {
            return GDX_ERR_PARSE;
        }
        i = js_ws(text, i + 1, len);
        if (i < len && text[i] == ']') {
            *pos = len;
            return 0;
        }
    } else {
        i = js_ws(text, *pos, len);
        if (i >= len || text[i] == ']') {
            *pos = len;
            return 0;
        }
        if (text[i] != ',') {
            return GDX_ERR_PARSE;
        }
        i = js_ws(text, i + 1, len);
    }
    e = js_skip_value(text, i, len, -1, &d);
    if (e == SIZE_MAX) {
        return GDX_ERR_PARSE;
    }
    *start = i;
    *elen = e - i;
    *pos = e;
    return 1;
}

/* Does the JSON string key s[0..klen) (escapes allowed) equal the pointer token t? */
static int js_key_eq(const char *s, size_t klen, const char *t, size_t tlen)
{
    if (!memchr(s, '\\', klen)) {
        return klen == tlen && memcmp(s, t, tlen) == 0;
    }
    /* rare: an escaped key; decode it with jansson */
    char *q = malloc(klen + 3);
    json_t *j;
    int eq = 0;
    if (!q) {
        abort();
    }
    q[0] = '"';
    memcpy(q + 1, s, klen);
    q[klen + 1] = '"';
    j = json_loadb(q, klen + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (j && json_is_string(j)) {
        eq = json_string_length(j) == tlen && memcmp(json_string_value(j), t, tlen) == 0;
    }
    json_decref(j);
    free(q);
    return eq;
}

int gdx_json_find(const char *text, size_t len, const char *ptr, size_t *start, size_t *vlen)
{
    size_t vs = js_ws(text, 0, len), ve;
    int d;
    char tok[512];

    ve = js_skip_value(text, vs, len, -1, &d);
    if (ve == SIZE_MAX) {
        return GDX_ERR_PARSE;
    }
    if (ptr[0] != '\0' && ptr[0] != '/') {
        return GDX_ERR_NOENT;
    }
    while (*ptr == '/') {
        /* the next reference token, with ~1 -> / and ~0 -> ~ */
        size_t tl = 0;
        ptr++;
        while (*ptr && *ptr != '/') {
            char c = *ptr++;
            if (c == '~' && (*ptr == '0' || *ptr == '1')) {
                c = *ptr++ == '0' ? '~' : '/';
            }
            if (tl + 1 >= sizeof(tok)) {
                return GDX_ERR_NOENT;
            }
            tok[tl++] = c;
        }
        tok[tl] = '\0';
        if (text[vs] == '{') {
            size_t pos = vs + 1, ks, kl, s2, l2;
            int r, found = 0;
            while ((r = js_member_next(text, ve, &pos, &ks, &kl, &s2, &l2)) == 1) {
                if (js_key_eq(text + ks, kl, tok, tl)) {
                    vs = s2;
                    ve = s2 + l2;
                    found = 1;
                    break;
                }
            }
            if (r < 0) {
                return GDX_ERR_PARSE;
            }
            if (!found) {
                return GDX_ERR_NOENT;
            }
        } else if (text[vs] == '[') {
            char *endp;
            unsigned long idx;
            size_t pos = 0, s2 = 0, l2 = 0;
            int r = 0;
            if (tl == 0 || (tl > 1 && tok[0] == '0') || tok[0] < '0' || tok[0] > '9') {
                return GDX_ERR_NOENT;
            }
            idx = strtoul(tok, &endp, 10);
            if (*endp) {
                return GDX_ERR_NOENT;
            }
            for (unsigned long k = 0; k <= idx; k++) {
                r = gdx_json_array_next(text + vs, ve - vs, &pos, &s2, &l2);
                if (r <= 0) {
                    break;
                }
            }
            if (r < 0) {
                return GDX_ERR_PARSE;
            }
            if (r == 0) {
                return GDX_ERR_NOENT;
            }
            vs += s2;
            ve = vs + l2;
        } else {
            return GDX_ERR_NOENT;
        }
    }
    *start = vs;
    *vlen = ve - vs;
    return GDX_OK;
}

/* ------------------------------------------------------------------------------------- */
/* rows */

struct gdx_jrow *gdx_jrow_new(int flags, int max_depth)
{
    struct gdx_jrow *jr = gdx_xcalloc(1, sizeof(*jr));
    jr->flags = flags;
    jr->max_depth = max_depth > 0 ? max_depth : GDX_JROW_MAX_DEPTH;
    return jr;
}

void gdx_jrow_destroy(struct gdx_jrow *jr)
{
    if (!jr) {
        return;
    }
    json_decref(jr->doc);
    free(jr->arena);
    free(jr->fields);
    free(jr->names);
    free(jr->values);
    free(jr->lens);
    free(jr);
}

/* Room for @p n more bytes in the arena; returns the offset where they go. */
static size_t jr_reserve(struct gdx_jrow *jr, size_t n)
{
    if (jr->arena_len + n > jr->arena_cap) {
        size_t cap = jr->arena_cap ? jr->arena_cap : 1024;
        while (cap < jr->arena_len + n) {
            cap *= 2;
        }
        jr->arena = gdx_xrealloc(jr->arena, cap);
        jr->arena_cap = cap;
    }
    return jr->arena_len;
}

/* Append bytes and a NUL to the arena; returns their offset. */
static size_t jr_put(struct gdx_jrow *jr, const char *p, size_t n)
{
    size_t off = jr_reserve(jr, n + 1);
    if (n) {
        memcpy(jr->arena + off, p, n);
    }
    jr->arena[off + n] = '\0';
    jr->arena_len += n + 1;
    return off;
}

/* The value's text without whitespace outside strings (compact JSON, numbers as written)
 * and a NUL; returns its offset, *olen its length. */
static size_t jr_put_compact(struct gdx_jrow *jr, const char *s, size_t n, size_t *olen)
{
    size_t off = jr_reserve(jr, n + 1), o = off;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"') {
            size_t e = js_skip_str(s, i, n);
            memcpy(jr->arena + o, s + i, e - i);
            o += e - i;
            i = e - 1;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        jr->arena[o++] = c;
    }
    jr->arena[o] = '\0';
    *olen = o - off;
    jr->arena_len = o + 1;
    return off;
}

static struct jrow_field *jr_field(struct gdx_jrow *jr)
{
    if (jr->nfields == jr->fields_cap) {
        jr->fields_cap = jr->fields_cap ? jr->fields_cap * 2 : 32;
        jr->fields = gdx_xrealloc(jr->fields, jr->fields_cap * sizeof(*jr->fields));
    }
    return &jr->fields[jr->nfields++];
}

/*
 * Fields of the object @p obj whose text is s[0..n), names prefixed with @p pfx (arena
 * offset, or SIZE_MAX for none) when flattening.
 */
static int jr_object(struct gdx_jrow *jr, json_t *obj, const char *s, size_t n, size_t pfx,
                     size_t pfx_len, int depth)
{
    size_t pos = js_ws(s, 0, n) + 1, ks, kl, vs, vl;
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        struct jrow_field *f;
        size_t klen = strlen(key);
        if (js_member_next(s, n, &pos, &ks, &kl, &vs, &vl) != 1) {
            return GDX_ERR_PARSE; /* cannot happen on text jansson accepted */
        }
        f = jr_field(jr);
        if (pfx == SIZE_MAX) {
            f->name_off = jr_put(jr, key, klen);
            f->name_len = klen;
        } else {
            /* prefix + "." + key; the prefix is in the arena, which may move */
            f->name_off = jr_reserve(jr, pfx_len + 2 + klen);
            jr->arena_len += pfx_len + 2 + klen;
            memcpy(jr->arena + f->name_off, jr->arena + pfx, pfx_len);
            jr->arena[f->name_off + pfx_len] = '.';
            memcpy(jr->arena + f->name_off + pfx_len + 1, key, klen);
            jr->arena[f->name_off + pfx_len + 1 + klen] = '\0';
            f->name_len = pfx_len + 1 + klen;
        }
        switch (json_typeof(v)) {
        case JSON_STRING:
            f->val_off = jr_put(jr, json_string_value(v), json_string_length(v));
            f->val_len = json_string_length(v);
            break;
        case JSON_INTEGER:
        case JSON_REAL:
            f->val_off = jr_put(jr, s + vs, vl);
            f->val_len = vl;
            break;
        case JSON_TRUE:
            f->val_off = jr_put(jr, "true", 4);
            f->val_len = 4;
            break;
        case JSON_FALSE:
            f->val_off = jr_put(jr, "false", 5);
            f->val_len = 5;
            break;
        case JSON_NULL:
            f->val_off = SIZE_MAX;
            f->val_len = 0;
            break;
        default: {
            size_t name_off = f->name_off, name_len = f->name_len;
            f->val_off = jr_put_compact(jr, s + vs, vl, &f->val_len);
            if ((jr->flags & GDX_JROW_FLATTEN) && json_is_object(v) && depth < jr->max_depth) {
                int rc = jr_object(jr, v, s + vs, vl, name_off, name_len, depth + 1);
                if (rc) {
                    return rc;
                }
            }
            break;
        }
        }
    }
    return GDX_OK;
}

/* The value at JSON pointer @p ptr in @p doc, or NULL. */
static json_t *jr_ptr_get(json_t *doc, const char *ptr)
{
    char tok[512];

    while (doc && *ptr == '/') {
        size_t tl = 0;
        ptr++;
        while (*ptr && *ptr != '/') {
            char c = *ptr++;
            if (c == '~' && (*ptr == '0' || *ptr == '1')) {
                c = *ptr++ == '0' ? '~' : '/';
            }
            if (tl + 1 >= sizeof(tok)) {
                return NULL;
            }
            tok[tl++] = c;
        }
        tok[tl] = '\0';
        if (json_is_object(doc)) {
            doc = json_object_getn(doc, tok, tl);
        } else if (json_is_array(doc)) {
            char *endp;
            unsigned long idx;
            if (tl == 0 || (tl > 1 && tok[0] == '0') || tok[0] < '0' || tok[0] > '9') {
                return NULL;
            }
            idx = strtoul(tok, &endp, 10);
            doc = *endp ? NULL : json_array_get(doc, idx);
        } else {
            return NULL;
        }
    }
    return *ptr ? NULL : doc;
}

int gdx_jrow_parse_at(struct gdx_jrow *jr, const char *text, size_t len, const char *ptr,
                      struct gdx_row *row, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *obj;
    size_t i = js_ws(text, 0, len), e, vs = 0, vl = 0;
    const char *nul;
    int depth = 0;

    json_decref(jr->doc);
    jr->doc = NULL;
    jr->arena_len = 0;
    jr->nfields = 0;
    row->nfields = 0;
    if (!ptr) {
        ptr = "";
    }

    if (!*ptr && (i >= len || text[i] != '{')) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "col %zu: expected a JSON object",
                          i + 1);
    }
    /* jansson 2.14 skips a raw NUL between tokens; JSON has none (\u0000 is the escape) */
    if ((nul = memchr(text, '\0', len))) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "col %zu: NUL byte in JSON text",
                          (size_t)(nul - text) + 1);
    }
    /* refuse hostile nesting before jansson recurses into it */
    e = js_skip_value(text, i, len, jr->max_depth, &depth);
    if (e == SIZE_MAX && depth > jr->max_depth) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                          "col %zu: JSON nested deeper than %d levels", i + 1, jr->max_depth);
    }
    jr->doc = json_loadb(text, len,
                         JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!jr->doc) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "col %d: %s",
                          jerr.column > 0 ? jerr.column : (int)jerr.position + 1, jerr.text);
    }
    obj = jr_ptr_get(jr->doc, ptr);
    if (!obj) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "no member '%s'", ptr);
    }
    if (!json_is_object(obj)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "col %zu: expected a JSON object",
                          i + 1);
    }
    if (!*ptr) {
        vs = i;
        vl = e == SIZE_MAX ? 0 : e - i;
    } else if (gdx_json_find(text, len, ptr, &vs, &vl) != GDX_OK) {
        e = SIZE_MAX;
    }
    if (e == SIZE_MAX || jr_object(jr, obj, text + vs, vl, SIZE_MAX, 0, 1) != GDX_OK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "col %zu: malformed object", i + 1);
    }

    if (jr->nfields > jr->ptr_cap) {
        jr->ptr_cap = jr->nfields * 2;
        jr->names = gdx_xrealloc(jr->names, jr->ptr_cap * sizeof(*jr->names));
        jr->values = gdx_xrealloc(jr->values, jr->ptr_cap * sizeof(*jr->values));
        jr->lens = gdx_xrealloc(jr->lens, jr->ptr_cap * sizeof(*jr->lens));
    }
    for (size_t k = 0; k < jr->nfields; k++) {
        const struct jrow_field *f = &jr->fields[k];
        jr->names[k] = jr->arena + f->name_off;
        jr->values[k] = f->val_off == SIZE_MAX ? NULL : jr->arena + f->val_off;
        jr->lens[k] = f->val_len;
    }
    row->nfields = jr->nfields;
    row->names = jr->names;
    row->values = jr->values;
    row->lens = jr->lens;
    jr->span_start = vs;
    jr->span_len = vl;
    return GDX_OK;
}

void gdx_jrow_span(const struct gdx_jrow *jr, size_t *start, size_t *len)
{
    *start = jr->span_start;
    *len = jr->span_len;
}

int gdx_jrow_parse(struct gdx_jrow *jr, const char *text, size_t len, struct gdx_row *row,
                   char *errstr, size_t errstr_size)
{
    return gdx_jrow_parse_at(jr, text, len, "", row, errstr, errstr_size);
}

const char *gdx_jrow_str(const struct gdx_jrow *jr, const char *ptr, size_t *len)
{
    json_t *v = jr->doc ? jr_ptr_get(jr->doc, ptr) : NULL;

    if (!json_is_string(v)) {
        return NULL;
    }
    if (len) {
        *len = json_string_length(v);
    }
    return json_string_value(v);
}
