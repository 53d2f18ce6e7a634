/*
 * gdx_compat.c - Avro schema resolution (Avro 1.11 spec, "Schema Resolution") and the
 * compatibility levels of a schema registry built on it.
 *
 * A schema text is parsed with jansson into a small tree of struct cnode owned by one arena
 * (struct cschema): named types are defined once and referenced by pointer, so recursive
 * schemas are graphs. A schema the spec forbids (gdx_lint's spec-only rules: names, fixed
 * sizes, duplicates, defaults of the wrong type) is an error, not a verdict. Resolution walks
 * the reader and writer trees together; a stack of (reader, writer) pairs in progress breaks
 * cycles (a pair met again is assumed to resolve, the usual coinductive reading). Named types
 * match by unqualified name or by one of the reader's aliases. Logical types resolve as their
 * underlying type, except that a decimal whose precision or scale changed is refused, as
 * Confluent's registry does. The first reason found is reported, with a path such as
 * "field 'address.city'".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "gdx_compat.h"
#include "gdx_err.h"
#include "gdx_lint.h"
#include "gdx_util.h"

enum ckind {
    CK_NULL,
    CK_BOOLEAN,
    CK_INT,
    CK_LONG,
    CK_FLOAT,
    CK_DOUBLE,
    CK_BYTES,
    CK_STRING,
    CK_RECORD,
    CK_ENUM,
    CK_FIXED,
    CK_ARRAY,
    CK_MAP,
    CK_UNION,
};

static const char *const kind_names[] = {
    "null",   "boolean", "int",  "long",  "float", "double", "bytes",
    "string", "record",  "enum", "fixed", "array", "map",    "union",
};

struct cnode;

struct cfield {
    const char *name;
    const char **aliases;
    size_t naliases;
    struct cnode *type;
    int has_default;
};

struct cnode {
    enum ckind kind;
    const char *name;     /* unqualified, named types only */
    const char *fullname; /* named types only */
    const char **aliases; /* unqualified */
    size_t naliases;
    struct cfield *fields;
    size_t nfields;
    const char **symbols;
    size_t nsymbols;
    const char *enum_default;
    struct cnode *items; /* array items, map values */
    struct cnode **branches;
    size_t nbranches;
    int64_t size; /* fixed */
    int decimal;  /* logicalType decimal */
    int64_t precision, scale;
};

/* Everything a parsed schema owns: one list of allocations freed together. */
struct cschema {
    json_t *json;
    void **allocs;
    size_t nallocs, capallocs;
    struct cnode **named;
    size_t nnamed, capnamed;
    struct cnode *root;
};

static void *cs_alloc(struct cschema *cs, size_t n, size_t size)
{
    void *p = gdx_xcalloc(n, size);
    if (cs->nallocs == cs->capallocs) {
        cs->capallocs = cs->capallocs ? cs->capallocs * 2 : 32;
        cs->allocs = gdx_xrealloc(cs->allocs, cs->capallocs * sizeof(*cs->allocs));
    }
    cs->allocs[cs->nallocs++] = p;
    return p;
}

static const char *cs_strdup(struct cschema *cs, const char *s)
{
    size_t len = strlen(s);
    char *p = cs_alloc(cs, len + 1, 1);
    memcpy(p, s, len + 1);
    return p;
}

static void cs_free(struct cschema *cs)
{
    if (!cs) {
        return;
    }
    for (size_t i = 0; i < cs->nallocs; i++) {
        free(cs->allocs[i]);
    }
    free(cs->allocs);
    free(cs->named);
    json_decref(cs->json);
    free(cs);
}

static const char *unqualified(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

static int primitive_kind(const char *s)
{
    for (int k = CK_NULL; k <= CK_STRING; k++) {
        if (!strcmp(s, kind_names[k])) {
            return k;
        }
    }
    return -1;
}

static struct cnode *cs_lookup(struct cschema *cs, const char *fullname)
{
    for (size_t i = 0; i < cs->nnamed; i++) {
        if (!strcmp(cs->named[i]->fullname, fullname)) {
            return cs->named[i];
        }
    }
    return NULL;
}

/* fullname of @p name in namespace @p ns (NULL or "" for none) into an arena string */
static const char *make_fullname(struct cschema *cs, const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns) {
        return cs_strdup(cs, name);
    }
    size_t len = strlen(ns) + 1 + strlen(name) + 1;
    char *p = cs_alloc(cs, len, 1);
    snprintf(p, len, "%s.%s", ns, name);
    return p;
}

static struct cnode *parse_node(struct cschema *cs, json_t *j, const char *ns, int depth,
                                char *errstr, size_t errstr_size);

static int parse_aliases(struct cschema *cs, json_t *obj, const char ***out, size_t *nout,
                         char *errstr, size_t errstr_size)
{
    json_t *al = json_object_get(obj, "aliases");
    *out = NULL;
    *nout = 0;
    if (!al) {
        return GDX_OK;
    }
    if (!json_is_array(al)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "'aliases' must be an array");
    }
    *out = cs_alloc(cs, json_array_size(al), sizeof(char *));
    for (size_t i = 0; i < json_array_size(al); i++) {
        json_t *a = json_array_get(al, i);
        if (!json_is_string(a)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "alias must be a string");
        }
        (*out)[(*nout)++] = cs_strdup(cs, unqualified(json_string_value(a)));
    }
    return GDX_OK;
}

static int64_t int_member(json_t *obj, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* Register a named type before its body is parsed, so the body may refer to it. */
static struct cnode *define_named(struct cschema *cs, json_t *j, enum ckind kind, const char *ns,
                                  const char **inner_ns, char *errstr, size_t errstr_size)
{
    json_t *name = json_object_get(j, "name");
    json_t *jns = json_object_get(j, "namespace");
    if (!json_is_string(name) || !*json_string_value(name)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "%s without a name", kind_names[kind]);
        return NULL;
    }
    if (jns && !json_is_string(jns) && !json_is_null(jns)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "'namespace' must be a string");
        return NULL;
    }
    const char *use_ns = json_is_string(jns) ? json_string_value(jns) : ns;
    const char *full = make_fullname(cs, json_string_value(name), use_ns);
    if (cs_lookup(cs, full)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "type '%s' defined twice", full);
        return NULL;
    }
    struct cnode *n = cs_alloc(cs, 1, sizeof(*n));
    n->kind = kind;
    n->fullname = full;
    n->name = unqualified(full);
    if (parse_aliases(cs, j, &n->aliases, &n->naliases, errstr, errstr_size) != GDX_OK) {
        return NULL;
    }
    if (cs->nnamed == cs->capnamed) {
        cs->capnamed = cs->capnamed ? cs->capnamed * 2 : 16;
        cs->named = gdx_xrealloc(cs->named, cs->capnamed * sizeof(*cs->named));
    }
    cs->named[cs->nnamed++] = n;
    /* the namespace of a name with dots is the part before the last dot */
    const char *dot = strrchr(full, '.');
    if (dot) {
        size_t len = (size_t)(dot - full);
        char *p = cs_alloc(cs, len + 1, 1);
        memcpy(p, full, len);
        *inner_ns = p;
    } else {
        *inner_ns = NULL;
    }
    return n;
}

static int parse_record(struct cschema *cs, struct cnode *n, json_t *j, const char *ns, int depth,
                        char *errstr, size_t errstr_size)
{
    json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "record '%s' without 'fields'",
                          n->fullname);
    }
    n->fields = cs_alloc(cs, json_array_size(fields), sizeof(*n->fields));
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        json_t *name = json_object_get(f, "name");
        if (!json_is_object(f) || !json_is_string(name)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "record '%s': field %zu without a name", n->fullname, i + 1);
        }
        struct cfield *cf = &n->fields[n->nfields];
        cf->name = cs_strdup(cs, json_string_value(name));
        for (size_t k = 0; k < n->nfields; k++) {
            if (!strcmp(n->fields[k].name, cf->name)) {
                return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                                  "record '%s': duplicate field '%s'", n->fullname, cf->name);
            }
        }
        if (parse_aliases(cs, f, &cf->aliases, &cf->naliases, errstr, errstr_size) != GDX_OK) {
            return GDX_ERR_PARSE;
        }
        cf->has_default = json_object_get(f, "default") != NULL;
        json_t *type = json_object_get(f, "type");
        if (!type) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s' without a type",
                              cf->name);
        }
        char sub[512];
        cf->type = parse_node(cs, type, ns, depth + 1, sub, sizeof(sub));
        if (!cf->type) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "field '%s': %s", cf->name, sub);
        }
        n->nfields++;
    }
    return GDX_OK;
}

static int parse_enum(struct cschema *cs, struct cnode *n, json_t *j, char *errstr,
                      size_t errstr_size)
{
    json_t *syms = json_object_get(j, "symbols");
    if (!json_is_array(syms)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "enum '%s' without 'symbols'",
                          n->fullname);
    }
    n->symbols = cs_alloc(cs, json_array_size(syms), sizeof(char *));
    for (size_t i = 0; i < json_array_size(syms); i++) {
        json_t *s = json_array_get(syms, i);
        if (!json_is_string(s)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "enum '%s': symbol must be a string", n->fullname);
        }
        n->symbols[n->nsymbols++] = cs_strdup(cs, json_string_value(s));
    }
    json_t *d = json_object_get(j, "default");
    if (d) {
        if (!json_is_string(d)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "enum '%s': default must be a symbol", n->fullname);
        }
        n->enum_default = cs_strdup(cs, json_string_value(d));
    }
    return GDX_OK;
}

static struct cnode *parse_node(struct cschema *cs, json_t *j, const char *ns, int depth,
                                char *errstr, size_t errstr_size)
{
    if (depth > 64) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "schema nested too deeply");
        return NULL;
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        int k = primitive_kind(s);
        if (k >= 0) {
            struct cnode *n = cs_alloc(cs, 1, sizeof(*n));
            n->kind = (enum ckind)k;
            return n;
        }
        struct cnode *n = NULL;
        if (!strchr(s, '.') && ns && *ns) {
            char full[512];
            snprintf(full, sizeof(full), "%s.%s", ns, s);
            n = cs_lookup(cs, full);
        }
        if (!n) {
            n = cs_lookup(cs, s);
        }
        if (!n) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "unknown type '%s'", s);
        }
        return n;
    }
    if (json_is_array(j)) {
        struct cnode *n = cs_alloc(cs, 1, sizeof(*n));
        n->kind = CK_UNION;
        n->branches = cs_alloc(cs, json_array_size(j), sizeof(*n->branches));
        for (size_t i = 0; i < json_array_size(j); i++) {
            struct cnode *b =
                parse_node(cs, json_array_get(j, i), ns, depth + 1, errstr, errstr_size);
            if (!b) {
                return NULL;
            }
            if (b->kind == CK_UNION) {
                gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "union inside a union");
                return NULL;
            }
            n->branches[n->nbranches++] = b;
        }
        return n;
    }
    if (!json_is_object(j)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                   "a type must be a string, array or "
                   "object");
        return NULL;
    }
    json_t *type = json_object_get(j, "type");
    if (!json_is_string(type)) {
        if (json_is_object(type) || json_is_array(type)) {
            /* {"type": {...}} wraps a type, as some tools write it */
            return parse_node(cs, type, ns, depth + 1, errstr, errstr_size);
        }
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "type object without 'type'");
        return NULL;
    }
    const char *t = json_string_value(type);
    struct cnode *n = NULL;
    const char *inner_ns = NULL;
    int k = primitive_kind(t);
    if (k >= 0) {
        n = cs_alloc(cs, 1, sizeof(*n));
        n->kind = (enum ckind)k;
    } else if (!strcmp(t, "record") || !strcmp(t, "error")) {
        n = define_named(cs, j, CK_RECORD, ns, &inner_ns, errstr, errstr_size);
        if (!n || parse_record(cs, n, j, inner_ns, depth, errstr, errstr_size) != GDX_OK) {
            return NULL;
        }
    } else if (!strcmp(t, "enum")) {
        n = define_named(cs, j, CK_ENUM, ns, &inner_ns, errstr, errstr_size);
        if (!n || parse_enum(cs, n, j, errstr, errstr_size) != GDX_OK) {
            return NULL;
        }
    } else if (!strcmp(t, "fixed")) {
        n = define_named(cs, j, CK_FIXED, ns, &inner_ns, errstr, errstr_size);
        if (!n) {
            return NULL;
        }
        n->size = int_member(j, "size", -1);
        if (n->size <= 0) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                       "fixed '%s': size must be a positive integer", n->fullname);
            return NULL;
        }
    } else if (!strcmp(t, "array") || !strcmp(t, "map")) {
        n = cs_alloc(cs, 1, sizeof(*n));
        n->kind = t[0] == 'a' ? CK_ARRAY : CK_MAP;
        json_t *items = json_object_get(j, n->kind == CK_ARRAY ? "items" : "values");
        if (!items) {
            gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "%s without '%s'", t,
                       n->kind == CK_ARRAY ? "items" : "values");
            return NULL;
        }
        n->items = parse_node(cs, items, ns, depth + 1, errstr, errstr_size);
        if (!n->items) {
            return NULL;
        }
    } else {
        /* {"type": "Name"}: a reference to a named type */
        return parse_node(cs, type, ns, depth + 1, errstr, errstr_size);
    }
    json_t *lt = json_object_get(j, "logicalType");
    if (json_is_string(lt) && !strcmp(json_string_value(lt), "decimal") &&
        (n->kind == CK_BYTES || n->kind == CK_FIXED)) {
        n->decimal = 1;
        n->precision = int_member(j, "precision", 0);
        n->scale = int_member(j, "scale", 0);
    }
    return n;
}

/* Keeps the first problem the spec-only lint reports, without its "schema:" prefix. */
static void first_problem(void *opaque, const char *msg)
{
    char *buf = opaque;
    if (!buf[0]) {
        snprintf(buf, 512, "%s", strncmp(msg, "schema:", 7) ? msg : msg + 7);
    }
}

static struct cschema *cs_parse(const char *text, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    struct cschema *cs = gdx_xcalloc(1, sizeof(*cs));
    if (!text) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "no schema text");
        goto fail;
    }
    cs->json = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!cs->json) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "invalid JSON at line %d column %d: %s",
                   jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    /* what the spec forbids and the walk below does not look at (defaults, names) */
    char problem[512] = "";
    if (gdx_lint_text("schema", text, strlen(text), GDX_LINT_SPEC_ONLY, first_problem, problem) >
        0) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "%s", problem);
        goto fail;
    }
    cs->root = parse_node(cs, cs->json, NULL, 0, errstr, errstr_size);
    if (!cs->root) {
        goto fail;
    }
    return cs;
fail:
    cs_free(cs);
    return NULL;
}

/* ---- resolution ----------------------------------------------------------------------- */

struct pair {
    const struct cnode *r, *w;
};

struct resolver {
    struct pair *stack;
    size_t n, cap;
    char *errstr;
    size_t errstr_size;
};

static int fail_at(struct resolver *rs, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct resolver *rs, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (path && *path) {
        snprintf(rs->errstr, rs->errstr_size, "field '%s': %s", path, msg);
    } else {
        snprintf(rs->errstr, rs->errstr_size, "%s", msg);
    }
    return 0;
}

/* Human name of a type in messages: "long", "record 'Address'" */
static const char *describe(const struct cnode *n, char *buf, size_t size)
{
    if (n->name) {
        snprintf(buf, size, "%s '%s'", kind_names[n->kind], n->name);
    } else {
        snprintf(buf, size, "%s", kind_names[n->kind]);
    }
    return buf;
}

static int names_match(const struct cnode *r, const struct cnode *w)
{
    if (!strcmp(r->name, w->name)) {
        return 1;
    }
    for (size_t i = 0; i < r->naliases; i++) {
        if (!strcmp(r->aliases[i], w->name)) {
            return 1;
        }
    }
    return 0;
}

/* Can a value of primitive kind @p w be read as @p r (identity or promotion)? */
static int promotes(enum ckind r, enum ckind w)
{
    if (r == w) {
        return 1;
    }
    switch (w) {
    case CK_INT:
        return r == CK_LONG || r == CK_FLOAT || r == CK_DOUBLE;
    case CK_LONG:
        return r == CK_FLOAT || r == CK_DOUBLE;
    case CK_FLOAT:
        return r == CK_DOUBLE;
    case CK_STRING:
        return r == CK_BYTES;
    case CK_BYTES:
        return r == CK_STRING;
    default:
        return 0;
    }
}

/* Do @p r and @p w "match" in the spec's sense (before recursing)? @p exact: no promotion */
static int matches(const struct cnode *r, const struct cnode *w, int exact)
{
    if (r->kind <= CK_STRING && w->kind <= CK_STRING) {
        return exact ? r->kind == w->kind : promotes(r->kind, w->kind);
    }
    if (r->kind != w->kind) {
        return 0;
    }
    switch (r->kind) {
    case CK_RECORD:
    case CK_ENUM:
    case CK_FIXED:
        return names_match(r, w);
    default:
        return 1;
    }
}

static void join_path(char *out, size_t size, const char *path, const char *name)
{
    if (path && *path) {
        snprintf(out, size, "%s.%s", path, name);
    } else {
        snprintf(out, size, "%s", name);
    }
}

static int resolve(struct resolver *rs, const struct cnode *r, const struct cnode *w,
                   const char *path);

static int resolve_record(struct resolver *rs, const struct cnode *r, const struct cnode *w,
                          const char *path)
{
    for (size_t i = 0; i < r->nfields; i++) {
        const struct cfield *rf = &r->fields[i];
        const struct cfield *wf = NULL;
        for (size_t k = 0; k < w->nfields && !wf; k++) {
            if (!strcmp(w->fields[k].name, rf->name)) {
                wf = &w->fields[k];
            }
        }
        for (size_t a = 0; a < rf->naliases && !wf; a++) {
            for (size_t k = 0; k < w->nfields && !wf; k++) {
                if (!strcmp(w->fields[k].name, rf->aliases[a])) {
                    wf = &w->fields[k];
                }
            }
        }
        char sub[512];
        join_path(sub, sizeof(sub), path, rf->name);
        if (!wf) {
            if (!rf->has_default) {
                return fail_at(rs, sub,
                               "the reader's field is missing in the writer's record '%s' and "
                               "has no default",
                               w->name);
            }
            continue;
        }
        if (!resolve(rs, rf->type, wf->type, sub)) {
            return 0;
        }
    }
    return 1;
}

static int resolve_inner(struct resolver *rs, const struct cnode *r, const struct cnode *w,
                         const char *path)
{
    char rb[300], wb[300];

    if (w->kind == CK_UNION) {
        /* every branch the writer may have chosen must resolve */
        for (size_t i = 0; i < w->nbranches; i++) {
            if (!resolve(rs, r, w->branches[i], path)) {
                return 0;
            }
        }
        return 1;
    }
    if (r->kind == CK_UNION) {
        const struct cnode *pick = NULL;
        for (size_t i = 0; i < r->nbranches && !pick; i++) {
            if (matches(r->branches[i], w, 1)) {
                pick = r->branches[i];
            }
        }
        for (size_t i = 0; i < r->nbranches && !pick; i++) {
            if (matches(r->branches[i], w, 0)) {
                pick = r->branches[i];
            }
        }
        if (!pick) {
            return fail_at(rs, path, "type %s cannot be read as any branch of the reader's union",
                           describe(w, wb, sizeof(wb)));
        }
        return resolve(rs, pick, w, path);
    }
    if (!matches(r, w, 0)) {
        if (r->kind == w->kind) {
            return fail_at(rs, path, "type %s cannot be read as %s (names differ)",
                           describe(w, wb, sizeof(wb)), describe(r, rb, sizeof(rb)));
        }
        return fail_at(rs, path, "type %s cannot be read as %s", describe(w, wb, sizeof(wb)),
                       describe(r, rb, sizeof(rb)));
    }
    if (r->decimal && w->decimal && (r->precision != w->precision || r->scale != w->scale)) {
        return fail_at(rs, path,
                       "decimal(%lld,%lld) cannot be read as decimal(%lld,%lld): precision or "
                       "scale changed",
                       (long long)w->precision, (long long)w->scale, (long long)r->precision,
                       (long long)r->scale);
    }
    switch (r->kind) {
    case CK_RECORD:
        return resolve_record(rs, r, w, path);
    case CK_ENUM:
        for (size_t i = 0; i < w->nsymbols; i++) {
            int found = 0;
            for (size_t k = 0; k < r->nsymbols && !found; k++) {
                found = !strcmp(r->symbols[k], w->symbols[i]);
            }
            if (!found && !r->enum_default) {
                return fail_at(rs, path,
                               "enum '%s': the writer's symbol '%s' is missing in the reader's "
                               "enum, which has no default",
                               r->name, w->symbols[i]);
            }
        }
        return 1;
    case CK_FIXED:
        if (r->size != w->size) {
            return fail_at(rs, path, "fixed '%s': size %lld cannot be read as size %lld", r->name,
                           (long long)w->size, (long long)r->size);
        }
        return 1;
    case CK_ARRAY: {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s[]", path && *path ? path : "");
        return resolve(rs, r->items, w->items, sub);
    }
    case CK_MAP: {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s{}", path && *path ? path : "");
        return resolve(rs, r->items, w->items, sub);
    }
    default:
        return 1;
    }
}

static int resolve(struct resolver *rs, const struct cnode *r, const struct cnode *w,
                   const char *path)
{
    for (size_t i = 0; i < rs->n; i++) {
        if (rs->stack[i].r == r && rs->stack[i].w == w) {
            return 1; /* a cycle through recursive types: assume it resolves */
        }
    }
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 32;
        rs->stack = gdx_xrealloc(rs->stack, rs->cap * sizeof(*rs->stack));
    }
    rs->stack[rs->n].r = r;
    rs->stack[rs->n].w = w;
    rs->n++;
    int ok = resolve_inner(rs, r, w, path);
    rs->n--;
    return ok;
}

static int can_read_parsed(const struct cschema *reader, const struct cschema *writer, char *errstr,
                           size_t errstr_size)
{
    struct resolver rs = {.errstr = errstr, .errstr_size = errstr_size};
    if (errstr && errstr_size) {
        errstr[0] = '\0';
    }
    int ok = resolve(&rs, reader->root, writer->root, "");
    free(rs.stack);
    return ok;
}

int gdx_compat_can_read(const char *reader_text, const char *writer_text, char *errstr,
                        size_t errstr_size)
{
    char sub[512];
    struct cschema *r = cs_parse(reader_text, sub, sizeof(sub));
    if (!r) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "reader's schema: %s", sub);
    }
    struct cschema *w = cs_parse(writer_text, sub, sizeof(sub));
    if (!w) {
        cs_free(r);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "writer's schema: %s", sub);
    }
    int ok = can_read_parsed(r, w, errstr, errstr_size);
    cs_free(r);
    cs_free(w);
    return ok;
}

static const char *const level_names[] = {
    "NONE", "BACKWARD",        "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
    "FULL", "FULL_TRANSITIVE",
};

int gdx_compat_level_parse(const char *name)
{
    if (!name) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (!strcasecmp(name, level_names[i])) {
            return (int)i;
        }
    }
    return -1;
}

const char *gdx_compat_level_name(enum gdx_compat_level level)
{
    if ((int)level < 0 || (size_t)level >= sizeof(level_names) / sizeof(level_names[0])) {
        return "UNKNOWN";
    }
    return level_names[level];
}

int gdx_compat_check(const char *new_text, const char *const *old_texts, size_t nold,
                     enum gdx_compat_level level, char *errstr, size_t errstr_size)
{
    char sub[768];
    int rc = GDX_OK;
    struct cschema *news = NULL;
    struct cschema **olds = NULL;

    if (errstr && errstr_size) {
        errstr[0] = '\0';
    }
    news = cs_parse(new_text, sub, sizeof(sub));
    if (!news) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "new schema: %s", sub);
    }
    olds = gdx_xcalloc(nold, sizeof(*olds));
    for (size_t i = 0; i < nold; i++) {
        olds[i] = cs_parse(old_texts[i], sub, sizeof(sub));
        if (!olds[i]) {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE, "version %zu: %s", i + 1, sub);
            goto out;
        }
    }
    int backward = level == GDX_COMPAT_BACKWARD || level == GDX_COMPAT_BACKWARD_TRANSITIVE ||
                   level == GDX_COMPAT_FULL || level == GDX_COMPAT_FULL_TRANSITIVE;
    int forward = level == GDX_COMPAT_FORWARD || level == GDX_COMPAT_FORWARD_TRANSITIVE ||
                  level == GDX_COMPAT_FULL || level == GDX_COMPAT_FULL_TRANSITIVE;
    int transitive = level == GDX_COMPAT_BACKWARD_TRANSITIVE ||
                     level == GDX_COMPAT_FORWARD_TRANSITIVE || level == GDX_COMPAT_FULL_TRANSITIVE;
    if (nold == 0) {
        goto out;
    }
    /* newest first, so the reason names the most recent version that disagrees */
    for (size_t k = nold; k-- > 0;) {
        if (!transitive && k != nold - 1) {
            break;
        }
        if (backward && !can_read_parsed(news, olds[k], sub, sizeof(sub))) {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                            "the new schema cannot read data written with version %zu of %zu "
                            "(%s): %s",
                            k + 1, nold, gdx_compat_level_name(level), sub);
            goto out;
        }
        if (forward && !can_read_parsed(olds[k], news, sub, sizeof(sub))) {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_SCHEMA,
                            "version %zu of %zu cannot read data written with the new schema "
                            "(%s): %s",
                            k + 1, nold, gdx_compat_level_name(level), sub);
            goto out;
        }
    }
out:
    for (size_t i = 0; olds && i < nold; i++) {
        cs_free(olds[i]);
    }
    free(olds);
    cs_free(news);
    return rc;
}
