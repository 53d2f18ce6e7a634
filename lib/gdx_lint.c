/*
 * gdx_lint.c - schema lint for `gdx schema lint` (and the registry's validity check).
 *
 * The schema text is parsed with jansson and walked once, in document order, reporting every
 * problem rather than stopping at the first. Two sets of rules: the Avro 1.11 spec, enforced
 * strictly where Avro-C 1.11.1 is lax (fixed sizes, names, duplicate fields and symbols,
 * defaults of the wrong type - a union's default must match its first branch - and unknown
 * types); and gdx's rules for exchanged records (DESIGN.md): `gdx.level` and `gdx.pi` on every
 * field, `gdx.owner` and `gdx.share` on the top-level record, `doc` everywhere, pi/spi fields
 * are strings (protection changes values, never schemas), PascalCase type names, snake_case
 * field names, namespace `gov.<owner>`, nullable fields with null first and default null.
 *
 * jansson gives positions only for parse errors, so a field or named type is located by
 * searching the text for its `"name": "x"` member, moving forward from the previous hit
 * (document order), which is exact for the usual layouts and close enough otherwise.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gdx_err.h"
#include "gdx_limits.h"
#include "gdx_lint.h"

#define LINT_MAX_BYTES GDX_LIMIT_LINT_BYTES
#define LINT_MAX_DEPTH 64

struct named {
    char *fullname;
    json_t *def; /* borrowed from the document */
    char *ns;    /* namespace the definition's body is in */
};

struct lint {
    const char *name;
    const char *text;
    size_t len;
    size_t cursor; /* where the next name search starts */
    unsigned flags;
    gdx_lint_report_cb *report;
    void *opaque;
    int problems;
    struct named *named;
    size_t nnamed, capnamed;
};

static const char *const primitives[] = {"null",  "boolean", "int",   "long",
                                         "float", "double",  "bytes", "string"};

static int is_primitive(const char *s)
{
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++) {
        if (!strcmp(s, primitives[i])) {
            return 1;
        }
    }
    return 0;
}

/* ---- positions ------------------------------------------------------------------------ */

static size_t skip_ws(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
        i++;
    }
    return i;
}

/* Offset of the `"name": "<value>"` member at or after @p from, or (size_t)-1. */
static size_t find_name_from(const struct lint *lt, const char *value, size_t from)
{
    size_t vlen = strlen(value);
    const char *s = lt->text;
    for (size_t i = from; i + 6 <= lt->len; i++) {
        if (memcmp(s + i, "\"name\"", 6) != 0) {
            continue;
        }
        size_t j = skip_ws(s, i + 6, lt->len);
        if (j >= lt->len || s[j] != ':') {
            continue;
        }
        j = skip_ws(s, j + 1, lt->len);
        if (j + vlen + 2 <= lt->len && s[j] == '"' && memcmp(s + j + 1, value, vlen) == 0 &&
            s[j + 1 + vlen] == '"') {
            return i;
        }
    }
    return (size_t)-1;
}

static size_t locate(struct lint *lt, const char *value)
{
    if (!value) {
        return lt->cursor;
    }
    size_t at = find_name_from(lt, value, lt->cursor);
    if (at == (size_t)-1) {
        at = find_name_from(lt, value, 0);
    }
    if (at == (size_t)-1) {
        return lt->cursor;
    }
    lt->cursor = at + 1;
    return at;
}

static void line_col(const struct lint *lt, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < lt->len; i++) {
        unsigned char c = (unsigned char)lt->text[i];
        if (c == '\n') {
            (*line)++;
            *col = 1;
        } else if ((c & 0xC0) != 0x80) {
            (*col)++; /* count characters, not UTF-8 continuation bytes */
        }
    }
}

static void problem(struct lint *lt, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct lint *lt, size_t off, const char *fmt, ...)
{
    char msg[1024], line[1400];
    int l, c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    line_col(lt, off, &l, &c);
    snprintf(line, sizeof(line), "%s:%d:%d: %s", lt->name, l, c, msg);
    lt->problems++;
    if (lt->report) {
        lt->report(lt->opaque, line);
    }
}

/* ---- names ---------------------------------------------------------------------------- */

static int valid_name(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) {
        return 0;
    }
    for (s++; *s; s++) {
        if (!(isalnum((unsigned char)*s) || *s == '_')) {
            return 0;
        }
    }
    return 1;
}

/* A dotted name: every component a valid name (an empty namespace is allowed by the caller) */
static int valid_dotted(const char *s)
{
    char buf[512];
    if (strlen(s) >= sizeof(buf)) {
        return 0;
    }
    strcpy(buf, s);
    char *save = NULL;
    int n = 0;
    if (buf[0] == '.' || (buf[0] && buf[strlen(buf) - 1] == '.') || strstr(buf, "..")) {
        return 0;
    }
    for (char *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save)) {
        if (!valid_name(p)) {
            return 0;
        }
        n++;
    }
    return n > 0;
}

static int pascal_case(const char *s)
{
    if (!isupper((unsigned char)*s)) {
        return 0;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}

static int snake_case(const char *s)
{
    if (!islower((unsigned char)*s)) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')) {
            return 0;
        }
        if (*p == '_' && (p[1] == '_' || p[1] == '\0')) {
            return 0;
        }
    }
    return 1;
}

static const char *unqualified(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p) {
        abort();
    }
    return p;
}

static char *fullname_of(const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns) {
        return xstrdup(name);
    }
    size_t len = strlen(ns) + strlen(name) + 2;
    char *p = malloc(len);
    if (!p) {
        abort();
    }
    snprintf(p, len, "%s.%s", ns, name);
    return p;
}

static const struct named *lookup(const struct lint *lt, const char *name, const char *ns)
{
    char *full = fullname_of(name, ns);
    const struct named *hit = NULL;
    for (size_t i = 0; i < lt->nnamed && !hit; i++) {
        if (!strcmp(lt->named[i].fullname, full)) {
            hit = &lt->named[i];
        }
    }
    for (size_t i = 0; i < lt->nnamed && !hit; i++) {
        if (!strcmp(lt->named[i].fullname, name)) {
            hit = &lt->named[i];
        }
    }
    free(full);
    return hit;
}

/* ---- defaults ------------------------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

/* Does JSON value @p v fit Avro type @p type (defined in namespace @p ns)? */
static int default_fits(struct lint *lt, json_t *type, const char *ns, json_t *v, int depth)
{
    if (depth > LINT_MAX_DEPTH) {
        return 0;
    }
    if (json_is_array(type)) {
        /* a union's default is a value of its first branch */
        return json_array_size(type) > 0 &&
               default_fits(lt, json_array_get(type, 0), ns, v, depth + 1);
    }
    const char *t = NULL;
    json_t *def = type;
    const char *def_ns = ns;
    if (json_is_string(type)) {
        t = json_string_value(type);
        if (!is_primitive(t)) {
            const struct named *n = lookup(lt, t, ns);
            if (!n) {
                return 1; /* reported elsewhere as an unknown type */
            }
            def = n->def;
            def_ns = n->ns;
            t = json_string_value(json_object_get(def, "type"));
        }
    } else if (json_is_object(type)) {
        json_t *inner = json_object_get(type, "type");
        if (!json_is_string(inner)) {
            return default_fits(lt, inner, ns, v, depth + 1);
        }
        t = json_string_value(inner);
        if (!is_primitive(t) && strcmp(t, "record") && strcmp(t, "error") && strcmp(t, "enum") &&
            strcmp(t, "fixed") && strcmp(t, "array") && strcmp(t, "map")) {
            return default_fits(lt, inner, ns, v, depth + 1);
        }
    }
    if (!t) {
        return 1;
    }
    if (!strcmp(t, "null")) {
        return json_is_null(v);
    }
    if (!strcmp(t, "boolean")) {
        return json_is_boolean(v);
    }
    if (!strcmp(t, "int")) {
        return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
               json_integer_value(v) <= INT32_MAX;
    }
    if (!strcmp(t, "long")) {
        return json_is_integer(v);
    }
    if (!strcmp(t, "float") || !strcmp(t, "double")) {
        return json_is_number(v);
    }
    if (!strcmp(t, "string")) {
        return json_is_string(v);
    }
    if (!strcmp(t, "bytes")) {
        if (!json_is_string(v)) {
            return 0;
        }
        for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++) {
            if (*p >= 0xC4) { /* code points above U+00FF are not bytes */
                return 0;
            }
        }
        return 1;
    }
    if (!strcmp(t, "fixed")) {
        json_t *size = json_object_get(def, "size");
        return json_is_string(v) && json_is_integer(size) &&
               (json_int_t)utf8_chars(json_string_value(v)) == json_integer_value(size);
    }
    if (!strcmp(t, "enum")) {
        json_t *syms = json_object_get(def, "symbols");
        if (!json_is_string(v)) {
            return 0;
        }
        for (size_t i = 0; i < json_array_size(syms); i++) {
            if (json_equal(json_array_get(syms, i), v)) {
                return 1;
            }
        }
        return 0;
    }
    if (!strcmp(t, "array")) {
        if (!json_is_array(v)) {
            return 0;
        }
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (!default_fits(lt, json_object_get(def, "items"), def_ns, json_array_get(v, i),
                              depth + 1)) {
                return 0;
            }
        }
        return 1;
    }
    if (!strcmp(t, "map")) {
        const char *k;
        json_t *mv;
        if (!json_is_object(v)) {
            return 0;
        }
        json_object_foreach(v, k, mv)
        {
            if (!default_fits(lt, json_object_get(def, "values"), def_ns, mv, depth + 1)) {
                return 0;
            }
        }
        return 1;
    }
    if (!strcmp(t, "record") || !strcmp(t, "error")) {
        if (!json_is_object(v)) {
            return 0;
        }
        json_t *name = json_object_get(def, "name");
        json_t *jns = json_object_get(def, "namespace");
        char *full = fullname_of(json_is_string(name) ? json_string_value(name) : "",
                                 json_is_string(jns) ? json_string_value(jns) : def_ns);
        const char *dot = strrchr(full, '.');
        if (dot) {
            full[dot - full] = '\0';
        } else {
            full[0] = '\0';
        }
        json_t *fields = json_object_get(def, "fields");
        int fits = 1;
        for (size_t i = 0; i < json_array_size(fields) && fits; i++) {
            json_t *f = json_array_get(fields, i);
            json_t *fname = json_object_get(f, "name");
            if (!json_is_string(fname)) {
                continue;
            }
            json_t *fv = json_object_get(v, json_string_value(fname));
            if (fv) {
                fits = default_fits(lt, json_object_get(f, "type"), full, fv, depth + 1);
            } else {
                fits = json_object_get(f, "default") != NULL;
            }
        }
        free(full);
        return fits;
    }
    return 1;
}

/* ---- the walk ------------------------------------------------------------------------- */

struct where {
    const char *what; /* "field 'x'", "record 'R'" */
    size_t off;
};

static void check_type(struct lint *lt, json_t *t, const char *ns, const struct where *w,
                       int depth);

static void add_named(struct lint *lt, const char *full, json_t *def, const char *ns)
{
    if (lt->nnamed == lt->capnamed) {
        lt->capnamed = lt->capnamed ? lt->capnamed * 2 : 16;
        lt->named = realloc(lt->named, lt->capnamed * sizeof(*lt->named));
        if (!lt->named) {
            abort();
        }
    }
    lt->named[lt->nnamed].fullname = xstrdup(full);
    lt->named[lt->nnamed].def = def;
    lt->named[lt->nnamed].ns = xstrdup(ns);
    lt->nnamed++;
}

static int gdx_rules(const struct lint *lt)
{
    return !(lt->flags & GDX_LINT_SPEC_ONLY);
}

static int is_string_type(json_t *t)
{
    if (json_is_string(t)) {
        return !strcmp(json_string_value(t), "string");
    }
    if (json_is_object(t)) {
        json_t *in = json_object_get(t, "type");
        return json_is_string(in) && !strcmp(json_string_value(in), "string");
    }
    return 0;
}

static int is_null_type(json_t *t)
{
    if (json_is_object(t)) {
        t = json_object_get(t, "type");
    }
    return json_is_string(t) && !strcmp(json_string_value(t), "null");
}

static void check_labels(struct lint *lt, json_t *f, const struct where *w)
{
    static const char *const levels[] = {"general", "important", "core", NULL};
    static const char *const pis[] = {"none", "pi", "spi", NULL};
    struct {
        const char *key;
        const char *const *allowed;
    } labels[] = {{"gdx.level", levels}, {"gdx.pi", pis}};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(f, labels[i].key);
        if (!v) {
            problem(lt, w->off, "%s: missing %s", w->what, labels[i].key);
            continue;
        }
        int good = 0;
        for (size_t k = 0; json_is_string(v) && labels[i].allowed[k]; k++) {
            good |= !strcmp(json_string_value(v), labels[i].allowed[k]);
        }
        if (!good) {
            problem(lt, w->off, "%s: %s must be one of %s", w->what, labels[i].key,
                    i == 0 ? "general, important, core" : "none, pi, spi");
        }
    }
    json_t *doc = json_object_get(f, "doc");
    if (!json_is_string(doc) || !*json_string_value(doc)) {
        problem(lt, w->off, "%s: missing doc", w->what);
    }
}

static void check_field(struct lint *lt, json_t *f, size_t idx, const char *ns,
                        const struct where *rec, int dup, int depth)
{
    char what[300];
    if (!json_is_object(f)) {
        problem(lt, rec->off, "%s: field %zu is not an object", rec->what, idx + 1);
        return;
    }
    json_t *name = json_object_get(f, "name");
    if (!json_is_string(name)) {
        problem(lt, rec->off, "%s: field %zu has no name", rec->what, idx + 1);
        return;
    }
    const char *fname = json_string_value(name);
    snprintf(what, sizeof(what), "field '%s'", fname);
    struct where w = {what, locate(lt, fname)};
    if (dup) {
        problem(lt, w.off, "%s: duplicate field '%s'", rec->what, fname);
    }

    if (!valid_name(fname)) {
        problem(lt, w.off, "%s: invalid name (must match [A-Za-z_][A-Za-z0-9_]*)", what);
    } else if (gdx_rules(lt) && !snake_case(fname)) {
        problem(lt, w.off, "%s: field names are snake_case", what);
    }
    json_t *aliases = json_object_get(f, "aliases");
    if (aliases && !json_is_array(aliases)) {
        problem(lt, w.off, "%s: aliases must be an array of names", what);
    }
    for (size_t i = 0; i < json_array_size(aliases); i++) {
        json_t *a = json_array_get(aliases, i);
        if (!json_is_string(a) || !valid_name(json_string_value(a))) {
            problem(lt, w.off, "%s: invalid alias", what);
        }
    }
    json_t *order = json_object_get(f, "order");
    if (order && !(json_is_string(order) && (!strcmp(json_string_value(order), "ascending") ||
                                             !strcmp(json_string_value(order), "descending") ||
                                             !strcmp(json_string_value(order), "ignore")))) {
        problem(lt, w.off, "%s: order must be ascending, descending or ignore", what);
    }
    json_t *type = json_object_get(f, "type");
    if (!type) {
        problem(lt, w.off, "%s: missing type", what);
        return;
    }
    check_type(lt, type, ns, &w, depth + 1);

    json_t *dflt = json_object_get(f, "default");
    if (dflt && !default_fits(lt, type, ns, dflt, 0)) {
        problem(lt, w.off, "%s: default does not match the field's type%s", what,
                json_is_array(type) ? " (a union's default must match its first branch)" : "");
    }
    if (!gdx_rules(lt)) {
        return;
    }
    check_labels(lt, f, &w);
    json_t *pi = json_object_get(f, "gdx.pi");
    if (json_is_string(pi) && strcmp(json_string_value(pi), "none") != 0) {
        int str = is_string_type(type) || (json_is_array(type) && json_array_size(type) == 2 &&
                                           is_null_type(json_array_get(type, 0)) &&
                                           is_string_type(json_array_get(type, 1)));
        if (!str) {
            problem(lt, w.off,
                    "%s: a %s field must be string or [\"null\", \"string\"] "
                    "(protection changes values, never schemas)",
                    what, json_string_value(pi));
        }
    }
    if (json_is_array(type)) {
        int has_null = 0;
        for (size_t i = 0; i < json_array_size(type); i++) {
            has_null |= is_null_type(json_array_get(type, i));
        }
        if (has_null && !is_null_type(json_array_get(type, 0))) {
            problem(lt, w.off, "%s: a nullable field has null as its first branch", what);
        } else if (has_null && !json_is_null(dflt)) {
            problem(lt, w.off, "%s: a nullable field has default null", what);
        }
    }
}

/* Common to record, enum and fixed: name, namespace, aliases, definition. */
static char *define(struct lint *lt, json_t *t, const char *kind, const char *ns,
                    const struct where *outer, struct where *self, char *what, size_t what_size)
{
    json_t *name = json_object_get(t, "name");
    json_t *jns = json_object_get(t, "namespace");
    if (!json_is_string(name)) {
        problem(lt, outer->off, "%s: %s without a name", outer->what, kind);
        return NULL;
    }
    const char *n = json_string_value(name);
    snprintf(what, what_size, "%s '%s'", kind, n);
    self->what = what;
    self->off = locate(lt, n);
    if (!valid_dotted(n)) {
        problem(lt, self->off, "%s: invalid name (must match [A-Za-z_][A-Za-z0-9_]*)", what);
    } else if (gdx_rules(lt) && !pascal_case(unqualified(n))) {
        problem(lt, self->off, "%s: type names are PascalCase", what);
    }
    if (jns && !json_is_null(jns) &&
        !(json_is_string(jns) &&
          (!*json_string_value(jns) || valid_dotted(json_string_value(jns))))) {
        problem(lt, self->off, "%s: invalid namespace", what);
        jns = NULL;
    }
    json_t *aliases = json_object_get(t, "aliases");
    if (aliases && !json_is_array(aliases)) {
        problem(lt, self->off, "%s: aliases must be an array of names", what);
    }
    for (size_t i = 0; i < json_array_size(aliases); i++) {
        json_t *a = json_array_get(aliases, i);
        if (!json_is_string(a) || !valid_dotted(json_string_value(a))) {
            problem(lt, self->off, "%s: invalid alias", what);
        }
    }
    char *full = fullname_of(n, json_is_string(jns) ? json_string_value(jns) : ns);
    for (size_t i = 0; i < lt->nnamed; i++) {
        if (!strcmp(lt->named[i].fullname, full)) {
            problem(lt, self->off, "%s: type '%s' is defined twice", what, full);
            break;
        }
    }
    /* the namespace of the body: the part of the full name before its last dot */
    char *inner = xstrdup(full);
    char *dot = strrchr(inner, '.');
    if (dot) {
        *dot = '\0';
    } else {
        inner[0] = '\0';
    }
    add_named(lt, full, t, inner);
    free(full);
    return inner;
}

static void check_record(struct lint *lt, json_t *t, const char *ns, const struct where *outer,
                         int depth)
{
    char what[300];
    struct where self = *outer;
    char *inner = define(lt, t, "record", ns, outer, &self, what, sizeof(what));
    if (!inner) {
        return;
    }
    if (gdx_rules(lt)) {
        json_t *doc = json_object_get(t, "doc");
        if (!json_is_string(doc) || !*json_string_value(doc)) {
            problem(lt, self.off, "%s: missing doc", what);
        }
    }
    json_t *fields = json_object_get(t, "fields");
    if (!json_is_array(fields)) {
        problem(lt, self.off, "%s: 'fields' must be an array", what);
        free(inner);
        return;
    }
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        json_t *fname = json_object_get(f, "name");
        int dup = 0;
        for (size_t k = 0; k < i && json_is_string(fname) && !dup; k++) {
            dup = json_equal(json_object_get(json_array_get(fields, k), "name"), fname);
        }
        check_field(lt, f, i, inner, &self, dup, depth);
    }
    free(inner);
}

static void check_enum(struct lint *lt, json_t *t, const char *ns, const struct where *outer)
{
    char what[300];
    struct where self = *outer;
    char *inner = define(lt, t, "enum", ns, outer, &self, what, sizeof(what));
    if (!inner) {
        return;
    }
    free(inner);
    json_t *syms = json_object_get(t, "symbols");
    if (!json_is_array(syms)) {
        problem(lt, self.off, "%s: 'symbols' must be an array", what);
        return;
    }
    for (size_t i = 0; i < json_array_size(syms); i++) {
        json_t *s = json_array_get(syms, i);
        if (!json_is_string(s) || !valid_name(json_string_value(s))) {
            problem(lt, self.off, "%s: invalid symbol %zu (must match [A-Za-z_][A-Za-z0-9_]*)",
                    what, i + 1);
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            if (json_equal(json_array_get(syms, k), s)) {
                problem(lt, self.off, "%s: duplicate symbol '%s'", what, json_string_value(s));
                break;
            }
        }
    }
    json_t *d = json_object_get(t, "default");
    if (d) {
        int found = 0;
        for (size_t i = 0; i < json_array_size(syms) && !found; i++) {
            found = json_equal(json_array_get(syms, i), d);
        }
        if (!found) {
            problem(lt, self.off, "%s: default is not one of the symbols", what);
        }
    }
}

static void check_fixed(struct lint *lt, json_t *t, const char *ns, const struct where *outer)
{
    char what[300];
    struct where self = *outer;
    char *inner = define(lt, t, "fixed", ns, outer, &self, what, sizeof(what));
    if (!inner) {
        return;
    }
    free(inner);
    json_t *size = json_object_get(t, "size");
    if (!json_is_integer(size) || json_integer_value(size) <= 0 ||
        json_integer_value(size) > INT32_MAX) {
        problem(lt, self.off, "%s: size must be a positive integer", what);
    }
}

static void check_logical(struct lint *lt, json_t *t, const char *base, const struct where *w)
{
    json_t *lt_name = json_object_get(t, "logicalType");
    if (!json_is_string(lt_name) || strcmp(json_string_value(lt_name), "decimal") != 0) {
        return;
    }
    if (strcmp(base, "bytes") != 0 && strcmp(base, "fixed") != 0) {
        problem(lt, w->off, "%s: decimal must annotate bytes or fixed", w->what);
        return;
    }
    json_t *p = json_object_get(t, "precision");
    json_t *s = json_object_get(t, "scale");
    if (!json_is_integer(p) || json_integer_value(p) <= 0) {
        problem(lt, w->off, "%s: decimal precision must be a positive integer", w->what);
        return;
    }
    if (s && (!json_is_integer(s) || json_integer_value(s) < 0 ||
              json_integer_value(s) > json_integer_value(p))) {
        problem(lt, w->off, "%s: decimal scale must be between 0 and the precision", w->what);
    }
    json_t *size = json_object_get(t, "size");
    if (!strcmp(base, "fixed") && json_is_integer(size) && json_integer_value(size) > 0 &&
        json_integer_value(size) < 64) {
        double digits = floor(log10(pow(2.0, 8.0 * (double)json_integer_value(size) - 1) - 1));
        if ((double)json_integer_value(p) > digits) {
            problem(lt, w->off, "%s: decimal precision %lld does not fit fixed size %lld", w->what,
                    (long long)json_integer_value(p), (long long)json_integer_value(size));
        }
    }
}

/* Identity of a union branch for the no-duplicates rule: the kind, or the named type */
static void branch_key(struct lint *lt, json_t *b, const char *ns, char *out, size_t size)
{
    json_t *t = json_is_object(b) ? json_object_get(b, "type") : b;
    const char *s = json_is_string(t) ? json_string_value(t) : "?";
    if (json_is_object(b) && (!strcmp(s, "record") || !strcmp(s, "error") || !strcmp(s, "enum") ||
                              !strcmp(s, "fixed"))) {
        json_t *name = json_object_get(b, "name");
        json_t *jns = json_object_get(b, "namespace");
        char *full = fullname_of(json_is_string(name) ? json_string_value(name) : "?",
                                 json_is_string(jns) ? json_string_value(jns) : ns);
        snprintf(out, size, "%s", full);
        free(full);
    } else if (is_primitive(s) || !strcmp(s, "array") || !strcmp(s, "map")) {
        snprintf(out, size, "%s", s);
    } else {
        const struct named *n = lookup(lt, s, ns);
        snprintf(out, size, "%s", n ? n->fullname : s);
    }
}

static void check_type(struct lint *lt, json_t *t, const char *ns, const struct where *w, int depth)
{
    if (depth > LINT_MAX_DEPTH) {
        problem(lt, w->off, "%s: schema nested too deeply", w->what);
        return;
    }
    if (json_is_string(t)) {
        const char *s = json_string_value(t);
        if (!is_primitive(s) && !lookup(lt, s, ns)) {
            problem(lt, w->off, "%s: unknown type '%s'", w->what, s);
        }
        return;
    }
    if (json_is_array(t)) {
        if (json_array_size(t) == 0) {
            problem(lt, w->off, "%s: empty union", w->what);
        }
        char(*keys)[256] = calloc(json_array_size(t) + 1, sizeof(*keys));
        if (!keys) {
            abort();
        }
        for (size_t i = 0; i < json_array_size(t); i++) {
            json_t *b = json_array_get(t, i);
            if (json_is_array(b)) {
                problem(lt, w->off, "%s: a union may not directly contain a union", w->what);
                continue;
            }
            check_type(lt, b, ns, w, depth + 1);
            branch_key(lt, b, ns, keys[i], sizeof(keys[i]));
            for (size_t k = 0; k < i; k++) {
                if (!strcmp(keys[k], keys[i])) {
                    problem(lt, w->off, "%s: union has two branches of type '%s'", w->what,
                            keys[i]);
                    break;
                }
            }
        }
        free(keys);
        return;
    }
    if (!json_is_object(t)) {
        problem(lt, w->off, "%s: a type must be a name, a union or an object", w->what);
        return;
    }
    json_t *type = json_object_get(t, "type");
    if (!type) {
        problem(lt, w->off, "%s: type object without 'type'", w->what);
        return;
    }
    if (!json_is_string(type)) {
        check_type(lt, type, ns, w, depth + 1);
        return;
    }
    const char *s = json_string_value(type);
    if (is_primitive(s)) {
        check_logical(lt, t, s, w);
    } else if (!strcmp(s, "record") || !strcmp(s, "error")) {
        check_record(lt, t, ns, w, depth);
    } else if (!strcmp(s, "enum")) {
        check_enum(lt, t, ns, w);
    } else if (!strcmp(s, "fixed")) {
        check_fixed(lt, t, ns, w);
        check_logical(lt, t, s, w);
    } else if (!strcmp(s, "array") || !strcmp(s, "map")) {
        const char *key = s[0] == 'a' ? "items" : "values";
        json_t *items = json_object_get(t, key);
        if (!items) {
            problem(lt, w->off, "%s: %s without '%s'", w->what, s, key);
        } else {
            check_type(lt, items, ns, w, depth + 1);
        }
    } else if (!lookup(lt, s, ns)) {
        problem(lt, w->off, "%s: unknown type '%s'", w->what, s);
    }
}

static void check_top(struct lint *lt, json_t *root)
{
    struct where top = {"schema", 0};
    if (gdx_rules(lt)) {
        json_t *type = json_is_object(root) ? json_object_get(root, "type") : NULL;
        if (!json_is_string(type) || strcmp(json_string_value(type), "record") != 0) {
            problem(lt, 0, "schema: the top-level type of a gdx schema is a record");
            check_type(lt, root, NULL, &top, 0);
            return;
        }
        json_t *name = json_object_get(root, "name");
        size_t save = lt->cursor;
        size_t off = locate(lt, json_is_string(name) ? json_string_value(name) : NULL);
        lt->cursor = save;
        char what[300];
        snprintf(what, sizeof(what), "record '%s'",
                 json_is_string(name) ? json_string_value(name) : "?");
        json_t *owner = json_object_get(root, "gdx.owner");
        json_t *share = json_object_get(root, "gdx.share");
        json_t *ns = json_object_get(root, "namespace");
        if (!json_is_string(owner) || !*json_string_value(owner)) {
            problem(lt, off, "%s: missing gdx.owner", what);
        } else if (!json_is_string(ns) || strncmp(json_string_value(ns), "gov.", 4) != 0 ||
                   strcmp(json_string_value(ns) + 4, json_string_value(owner)) != 0) {
            problem(lt, off, "%s: namespace must be 'gov.%s' (gov.<gdx.owner>)", what,
                    json_string_value(owner));
        }
        if (!share) {
            problem(lt, off, "%s: missing gdx.share", what);
        } else if (!json_is_string(share) ||
                   (strcmp(json_string_value(share), "unconditional") != 0 &&
                    strcmp(json_string_value(share), "conditional") != 0 &&
                    strcmp(json_string_value(share), "none") != 0)) {
            problem(lt, off, "%s: gdx.share must be one of unconditional, conditional, none", what);
        }
    }
    check_type(lt, root, NULL, &top, 0);
}

int gdx_lint_text(const char *name, const char *text, size_t len, unsigned flags,
                  gdx_lint_report_cb *report, void *opaque)
{
    struct lint lt = {
        .name = name ? name : "schema",
        .text = text,
        .len = len,
        .flags = flags,
        .report = report,
        .opaque = opaque,
    };
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char msg[1400];
        /* jansson says column 0 (or -1) at the end of an empty text: positions are 1-based */
        snprintf(msg, sizeof(msg), "%s:%d:%d: invalid JSON: %s", lt.name,
                 jerr.line > 0 ? jerr.line : 1, jerr.column > 0 ? jerr.column : 1, jerr.text);
        if (report) {
            report(opaque, msg);
        }
        return 1;
    }
    check_top(&lt, root);
    for (size_t i = 0; i < lt.nnamed; i++) {
        free(lt.named[i].fullname);
        free(lt.named[i].ns);
    }
    free(lt.named);
    json_decref(root);
    return lt.problems;
}

int gdx_lint_file(const char *path, unsigned flags, gdx_lint_report_cb *report, void *opaque,
                  char *errstr, size_t errstr_size)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    int rc;
    if (!fp) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", path,
                          strerror(errno));
    }
    buf = malloc(LINT_MAX_BYTES + 1);
    if (!buf) {
        abort();
    }
    len = fread(buf, 1, LINT_MAX_BYTES + 1, fp);
    if (ferror(fp)) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot read '%s': %s", path,
                        strerror(errno));
    } else if (len > LINT_MAX_BYTES) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "'%s' is larger than %d bytes", path,
                        LINT_MAX_BYTES);
    } else {
        rc = gdx_lint_text(path, buf, len, flags, report, opaque);
    }
    free(buf);
    fclose(fp);
    return rc;
}
