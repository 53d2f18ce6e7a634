/*
 * gdx_conf.c - strict YAML configuration over libyaml's event parser.
 *
 * The loader reads the whole file (at most GDX_CONF_MAX_BYTES) and walks libyaml's events,
 * building a tree of gdx_node in one pass. Every node keeps the 1-based line and column of
 * its value (and, for map entries, of its key), so every later error, from the loader or
 * from binding against a connector's property table, names `file:line:col`.
 *
 * What libyaml 0.2.5 accepts but gdx refuses, at the event where it shows up: aliases and
 * anchors (alias bombs, cycles), explicit tags, a second document, nesting deeper than
 * GDX_CONF_MAX_DEPTH (open collections live on a fixed stack, and the parse stops at the
 * first level too deep, before libyaml slows down), and duplicate keys (checked through a
 * small hash per open map, so a hostile file of many keys stays linear). Keys are taken
 * literally; `${NAME}` is substituted in values only, and once: a variable's value is
 * never expanded again.
 *
 * The tree owns every string; the file name is shared by all nodes and freed with the root.
 * Values that came from the environment are wiped before they are freed, as are SECRET
 * members on gdx_conf_unbind(). Out of memory aborts, like the rest of lib/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "gdx_conf.h"
#include "gdx_log.h"

/* How much of a user-written key or value an error message shows */
#define CONF_SHOW_MAX 48
/* How many valid keys an "unknown key" message lists before "..." */
#define CONF_LIST_MAX 8

/* ---------------------------------------------------------------------------------------
 * Memory: out of memory aborts */

static void *conf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static void *conf_xrealloc(void *old, size_t n, size_t size)
{
    void *p;
    if (size && n > SIZE_MAX / size) {
        abort();
    }
    p = realloc(old, (n && size) ? n * size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static char *conf_xstrndup(const char *s, size_t len)
{
    char *p = conf_xcalloc(1, len + 1);
    memcpy(p, s, len);
    return p;
}

static char *conf_xstrdup(const char *s)
{
    return conf_xstrndup(s, strlen(s));
}

static void conf_free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* ---------------------------------------------------------------------------------------
 * Messages */

/*
 * Copy user text for a message: at most CONF_SHOW_MAX bytes, cut on a UTF-8 boundary,
 * control characters shown as '?', "..." when cut.
 */
static const char *conf_show(const char *s, char *buf, size_t size)
{
    size_t n = strlen(s), lim = CONF_SHOW_MAX, i;
    int cut = 0;
    if (lim > size - 4) {
        lim = size - 4;
    }
    if (n > lim) {
        n = lim;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
        cut = 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (cut) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

/* `file:line:col: message` */
static int conf_err_at(const char *file, int line, int col, char *errstr, size_t errstr_size,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int conf_err_at(const char *file, int line, int col, char *errstr, size_t errstr_size,
                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s:%d:%d: %s", file, line, col, msg);
}

#define conf_err_node(node, errstr, errstr_size, ...)                                              \
    conf_err_at((node)->file, (node)->line, (node)->col, errstr, errstr_size, __VA_ARGS__)

/* "'key' in 'section'", "'key'" or "value" for messages about a node's value */
static const char *conf_what(const struct gdx_node *node, const char *section, char *buf,
                             size_t size)
{
    char k[CONF_SHOW_MAX + 8], s[CONF_SHOW_MAX + 8];
    if (node->key && section) {
        snprintf(buf, size, "'%s' in '%s'", conf_show(node->key, k, sizeof(k)),
                 conf_show(section, s, sizeof(s)));
    } else if (node->key) {
        snprintf(buf, size, "'%s'", conf_show(node->key, k, sizeof(k)));
    } else {
        snprintf(buf, size, "value");
    }
    return buf;
}

/* The offending value, quoted, unless it came from the environment (may be a secret) */
static const char *conf_shown_value(const struct gdx_node *node, char *buf, size_t size)
{
    char v[CONF_SHOW_MAX + 8];
    if (node->from_env) {
        snprintf(buf, size, "from the environment");
    } else {
        snprintf(buf, size, "'%s'", conf_show(node->value, v, sizeof(v)));
    }
    return buf;
}

/* ---------------------------------------------------------------------------------------
 * Tree */

static void conf_node_free(struct gdx_node *node)
{
    if (!node) {
        return;
    }
    for (size_t i = 0; i < node->nkids; i++) {
        conf_node_free(node->kids[i]);
    }
    free(node->kids);
    free(node->key);
    if (node->value && node->from_env) {
        conf_free_secret(node->value);
    } else {
        free(node->value);
    }
    free(node);
}

void gdx_conf_destroy(struct gdx_node *root)
{
    char *file;
    if (!root) {
        return;
    }
    file = (char *)(uintptr_t)root->file;
    conf_node_free(root);
    free(file);
}

struct gdx_node *gdx_conf_get(const struct gdx_node *map, const char *key)
{
    if (!map || map->type != GDX_NODE_MAP || !key) {
        return NULL;
    }
    for (size_t i = 0; i < map->nkids; i++) {
        if (strcmp(map->kids[i]->key, key) == 0) {
            return map->kids[i];
        }
    }
    return NULL;
}

const char *gdx_conf_where(const struct gdx_node *node, char *buf, size_t size)
{
    if (!node) {
        snprintf(buf, size, "?");
    } else {
        snprintf(buf, size, "%s:%d:%d", node->file, node->line, node->col);
    }
    return buf;
}

static void conf_add_kid(struct gdx_node *parent, struct gdx_node *kid)
{
    if ((parent->nkids & (parent->nkids - 1)) == 0) {
        /* grow at powers of two: 0, 1, 2, 4, ... */
        size_t cap = parent->nkids ? parent->nkids * 2 : 1;
        parent->kids = conf_xrealloc(parent->kids, cap, sizeof(*parent->kids));
    }
    parent->kids[parent->nkids++] = kid;
}

/* ---------------------------------------------------------------------------------------
 * ${ENV} substitution */

/*
 * Expand @p in (length @p len) into @p out (NULL: only measure). Returns the output length,
 * or -1 with a message (naming the scalar's position) on a bad or unset reference.
 */
static long conf_subst_pass(const char *in, size_t len, char *out, int *from_env,
                            const struct gdx_node *pos, char *errstr, size_t errstr_size)
{
    size_t i = 0, o = 0;
    char show[CONF_SHOW_MAX + 8];
    while (i < len) {
        if (in[i] == '$' && i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{') {
            if (out) {
                memcpy(out + o, "${", 2);
            }
            o += 2;
            i += 3;
        } else if (in[i] == '$' && i + 1 < len && in[i + 1] == '{') {
            const char *name = in + i + 2, *end = memchr(name, '}', len - i - 2), *val;
            char var[256];
            size_t n, vlen;
            if (!end) {
                conf_err_node(pos, errstr, errstr_size,
                              "unterminated '${' in value (write '$${' for a literal '${')");
                return -1;
            }
            n = (size_t)(end - name);
            int bad = n == 0 || n >= sizeof(var) || (name[0] >= '0' && name[0] <= '9');
            for (size_t k = 0; k < n && !bad; k++) {
                char c = name[k];
                bad = !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_');
            }
            if (bad) {
                char tmp[CONF_SHOW_MAX + 1];
                size_t m = n < CONF_SHOW_MAX ? n : CONF_SHOW_MAX;
                memcpy(tmp, name, m);
                tmp[m] = '\0';
                conf_err_node(pos, errstr, errstr_size,
                              "invalid environment variable name '%s' in '${...}'",
                              conf_show(tmp, show, sizeof(show)));
                return -1;
            }
            memcpy(var, name, n);
            var[n] = '\0';
            val = getenv(var);
            if (!val) {
                conf_err_node(pos, errstr, errstr_size, "environment variable '%s' is not set",
                              var);
                return -1;
            }
            vlen = strlen(val);
            if (out) {
                memcpy(out + o, val, vlen);
            }
            o += vlen;
            i += n + 3;
            *from_env = 1;
        } else {
            if (out) {
                out[o] = in[i];
            }
            o++;
            i++;
        }
        if (o > GDX_CONF_MAX_BYTES * 4) {
            conf_err_node(pos, errstr, errstr_size, "value too long after substitution");
            return -1;
        }
    }
    return (long)o;
}

/* Two passes, so a secret from the environment is never left behind by a realloc */
static int conf_subst(struct gdx_node *node, const char *in, size_t len, char *errstr,
                      size_t errstr_size)
{
    int from_env = 0;
    long n = conf_subst_pass(in, len, NULL, &from_env, node, errstr, errstr_size);
    if (n < 0) {
        return GDX_ERR_CONFIG;
    }
    node->value = conf_xcalloc(1, (size_t)n + 1);
    conf_subst_pass(in, len, node->value, &from_env, node, errstr, errstr_size);
    node->from_env = from_env;
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Loader */

struct conf_frame {
    struct gdx_node *node;
    char *key; /* maps: the key waiting for its value, or NULL */
    int key_line, key_col;
    size_t *slots; /* maps: open-addressing hash of kid index + 1, 0 = empty */
    size_t nslots;
};

struct conf_loader {
    char *file;
    const char *buf; /* the text being loaded (for positions of reader errors) */
    size_t len;
    struct gdx_node *root;
    struct conf_frame stack[GDX_CONF_MAX_DEPTH];
    int depth;
    int ndocs;
    char *errstr;
    size_t errstr_size;
};

static size_t conf_hash(const char *s)
{
    size_t h = 1469598103934665603ULL & SIZE_MAX;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static struct gdx_node *conf_frame_lookup(const struct conf_frame *f, const char *key)
{
    size_t mask, i;
    if (!f->nslots) {
        return NULL;
    }
    mask = f->nslots - 1;
    for (i = conf_hash(key) & mask; f->slots[i]; i = (i + 1) & mask) {
        struct gdx_node *kid = f->node->kids[f->slots[i] - 1];
        if (strcmp(kid->key, key) == 0) {
            return kid;
        }
    }
    return NULL;
}

static void conf_frame_insert(struct conf_frame *f, size_t idx)
{
    size_t mask, i;
    if ((f->node->nkids + 1) * 2 > f->nslots) {
        size_t n = f->nslots ? f->nslots * 2 : 16;
        free(f->slots);
        f->slots = conf_xcalloc(n, sizeof(*f->slots));
        f->nslots = n;
        /* rehash everything before idx */
        for (size_t k = 0; k < idx; k++) {
            mask = n - 1;
            for (i = conf_hash(f->node->kids[k]->key) & mask; f->slots[i]; i = (i + 1) & mask) {
            }
            f->slots[i] = k + 1;
        }
    }
    mask = f->nslots - 1;
    for (i = conf_hash(f->node->kids[idx]->key) & mask; f->slots[i]; i = (i + 1) & mask) {
    }
    f->slots[i] = idx + 1;
}

static void conf_frame_release(struct conf_frame *f)
{
    free(f->key);
    free(f->slots);
    memset(f, 0, sizeof(*f));
}

static int conf_mark_line(const yaml_mark_t *m)
{
    return (int)m->line + 1;
}

static int conf_mark_col(const yaml_mark_t *m)
{
    return (int)m->column + 1;
}

#define conf_err_mark(l, mark, ...)                                                                \
    conf_err_at((l)->file, conf_mark_line(mark), conf_mark_col(mark), (l)->errstr,                 \
                (l)->errstr_size, __VA_ARGS__)

/* The next node is the key of an entry of the innermost open map */
static int conf_expect_key(const struct conf_loader *l)
{
    const struct conf_frame *f;
    if (l->depth == 0) {
        return 0;
    }
    f = &l->stack[l->depth - 1];
    return f->node->type == GDX_NODE_MAP && !f->key;
}

/* Hang a new value node under the innermost open collection (or make it the root) */
static void conf_attach(struct conf_loader *l, struct gdx_node *node)
{
    struct conf_frame *f;
    if (l->depth == 0) {
        l->root = node;
        return;
    }
    f = &l->stack[l->depth - 1];
    if (f->node->type == GDX_NODE_SEQ) {
        conf_add_kid(f->node, node);
        return;
    }
    node->key = f->key;
    node->key_line = f->key_line;
    node->key_col = f->key_col;
    f->key = NULL;
    conf_add_kid(f->node, node);
    conf_frame_insert(f, f->node->nkids - 1);
}

static struct gdx_node *conf_node_new(struct conf_loader *l, enum gdx_node_type type,
                                      const yaml_mark_t *mark)
{
    struct gdx_node *node = conf_xcalloc(1, sizeof(*node));
    node->type = type;
    node->file = l->file;
    node->line = conf_mark_line(mark);
    node->col = conf_mark_col(mark);
    return node;
}

static int conf_check_props(struct conf_loader *l, const yaml_event_t *ev,
                            const yaml_char_t *anchor, const yaml_char_t *tag)
{
    char show[CONF_SHOW_MAX + 8];
    if (anchor) {
        return conf_err_mark(l, &ev->start_mark, "anchors are not allowed ('&%s')",
                             conf_show((const char *)anchor, show, sizeof(show)));
    }
    if (tag) {
        return conf_err_mark(l, &ev->start_mark, "tags are not allowed ('%s')",
                             conf_show((const char *)tag, show, sizeof(show)));
    }
    return GDX_OK;
}

static int conf_on_scalar(struct conf_loader *l, const yaml_event_t *ev)
{
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    struct gdx_node *node;
    char show[CONF_SHOW_MAX + 8];
    int rc = conf_check_props(l, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
    if (rc) {
        return rc;
    }
    if (memchr(text, '\0', len)) {
        return conf_err_mark(l, &ev->start_mark, "NUL characters are not allowed");
    }
    if (conf_expect_key(l)) {
        struct conf_frame *f = &l->stack[l->depth - 1];
        const struct gdx_node *prev = conf_frame_lookup(f, text);
        if (prev) {
            return conf_err_mark(l, &ev->start_mark, "duplicate key '%s' (first at %d:%d)",
                                 conf_show(text, show, sizeof(show)), prev->key_line,
                                 prev->key_col);
        }
        f->key = conf_xstrndup(text, len);
        f->key_line = conf_mark_line(&ev->start_mark);
        f->key_col = conf_mark_col(&ev->start_mark);
        return GDX_OK;
    }
    node = conf_node_new(l, GDX_NODE_SCALAR, &ev->start_mark);
    node->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    rc = conf_subst(node, text, len, l->errstr, l->errstr_size);
    if (rc) {
        conf_node_free(node);
        return rc;
    }
    conf_attach(l, node);
    return GDX_OK;
}

static int conf_on_collection(struct conf_loader *l, const yaml_event_t *ev,
                              enum gdx_node_type type)
{
    const yaml_char_t *anchor, *tag;
    struct gdx_node *node;
    int rc;
    if (type == GDX_NODE_MAP) {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    } else {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    }
    rc = conf_check_props(l, ev, anchor, tag);
    if (rc) {
        return rc;
    }
    if (conf_expect_key(l)) {
        return conf_err_mark(l, &ev->start_mark, "keys must be scalars");
    }
    if (l->depth >= GDX_CONF_MAX_DEPTH) {
        return conf_err_mark(l, &ev->start_mark, "nesting deeper than %d levels",
                             GDX_CONF_MAX_DEPTH);
    }
    node = conf_node_new(l, type, &ev->start_mark);
    conf_attach(l, node);
    l->stack[l->depth++].node = node;
    return GDX_OK;
}

static int conf_on_event(struct conf_loader *l, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++l->ndocs > 1) {
            return conf_err_mark(l, &ev->start_mark, "multiple documents are not allowed");
        }
        return GDX_OK;
    case YAML_ALIAS_EVENT: {
        char show[CONF_SHOW_MAX + 8];
        return conf_err_mark(l, &ev->start_mark, "aliases are not allowed ('*%s')",
                             conf_show((const char *)ev->data.alias.anchor, show, sizeof(show)));
    }
    case YAML_SCALAR_EVENT:
        return conf_on_scalar(l, ev);
    case YAML_MAPPING_START_EVENT:
        return conf_on_collection(l, ev, GDX_NODE_MAP);
    case YAML_SEQUENCE_START_EVENT:
        return conf_on_collection(l, ev, GDX_NODE_SEQ);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        if (l->depth > 0) {
            conf_frame_release(&l->stack[--l->depth]);
        }
        return GDX_OK;
    default:
        return GDX_OK;
    }
}

static int conf_yaml_error(struct conf_loader *l, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR) {
        abort();
    }
    if (parser->error == YAML_READER_ERROR) {
        /* libyaml gives a byte offset only: the line and column (in bytes) are counted here */
        size_t off = parser->problem_offset < l->len ? parser->problem_offset : l->len;
        size_t line = 1, bol = 0;
        for (size_t i = 0; i < off; i++) {
            if (l->buf[i] == '\n') {
                line++;
                bol = i + 1;
            }
        }
        return gdx_seterr(l->errstr, l->errstr_size, GDX_ERR_CONFIG,
                          "%s:%zu:%zu: %s at byte offset %zu", l->file, line, off - bol + 1,
                          parser->problem ? parser->problem : "cannot read input",
                          parser->problem_offset);
    }
    if (parser->context) {
        return conf_err_mark(l, &parser->problem_mark, "%s (%s at %d:%d)",
                             parser->problem ? parser->problem : "syntax error", parser->context,
                             conf_mark_line(&parser->context_mark),
                             conf_mark_col(&parser->context_mark));
    }
    return conf_err_mark(l, &parser->problem_mark, "%s",
                         parser->problem ? parser->problem : "syntax error");
}

struct gdx_node *gdx_conf_load_mem(const char *name, const char *buf, size_t len, char *errstr,
                                   size_t errstr_size)
{
    struct conf_loader l;
    yaml_parser_t parser;
    yaml_event_t ev;
    int rc = GDX_OK, done = 0;

    memset(&l, 0, sizeof(l));
    l.errstr = errstr;
    l.errstr_size = errstr_size;
    if (len > GDX_CONF_MAX_BYTES) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: file is larger than %d bytes", name,
                   GDX_CONF_MAX_BYTES);
        return NULL;
    }
    l.file = conf_xstrdup(name);
    l.buf = buf;
    l.len = len;
    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    while (!done && rc == GDX_OK) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = conf_yaml_error(&l, &parser);
            break;
        }
        rc = conf_on_event(&l, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    if (rc == GDX_OK) {
        if (!l.root || (l.root->type == GDX_NODE_SCALAR && !l.root->quoted && !l.root->from_env &&
                        l.root->value[0] == '\0')) {
            rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: file is empty", name);
        } else if (l.root->type != GDX_NODE_MAP) {
            rc = conf_err_node(l.root, errstr, errstr_size, "root must be a map");
        }
    }
    for (int i = 0; i < l.depth; i++) {
        conf_frame_release(&l.stack[i]);
    }
    if (rc != GDX_OK) {
        conf_node_free(l.root);
        free(l.file);
        return NULL;
    }
    return l.root;
}

struct gdx_node *gdx_conf_load(const char *path, char *errstr, size_t errstr_size)
{
    FILE *fp = NULL;
    char *buf = NULL;
    size_t len = 0;
    struct stat st;
    struct gdx_node *root = NULL;

    fp = fopen(path, "rb");
    if (!fp) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot open '%s': %s", path,
                   strerror(errno));
        goto out;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > GDX_CONF_MAX_BYTES) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: file is larger than %d bytes", path,
                   GDX_CONF_MAX_BYTES);
        goto out;
    }
    /* Read one byte past the limit so pipes and growing files are bounded too */
    buf = conf_xcalloc(1, GDX_CONF_MAX_BYTES + 1);
    len = fread(buf, 1, GDX_CONF_MAX_BYTES + 1, fp);
    if (ferror(fp)) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "cannot read '%s': %s", path,
                   strerror(errno));
        goto out;
    }
    if (len > GDX_CONF_MAX_BYTES) {
        gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: file is larger than %d bytes", path,
                   GDX_CONF_MAX_BYTES);
        goto out;
    }
    root = gdx_conf_load_mem(path, buf, len, errstr, errstr_size);
out:
    if (buf) {
        /* the file may hold secrets written inline */
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
    if (fp) {
        fclose(fp);
    }
    return root;
}

/* ---------------------------------------------------------------------------------------
 * Text parsers */

/*
 * Decimal digits, no sign, no leading zeros (010 is 8 in YAML 1.1 and 10 in 1.2: refuse the
 * ambiguity), at most @p limit. Returns 0 with *end after the digits, -1 bad, -2 too large.
 */
static int conf_parse_digits(const char *s, uint64_t limit, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) {
        return -1;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10) {
            return -2;
        }
        v = v * 10 + d;
    }
    *out = v;
    *end = p;
    return 0;
}

/* Signed decimal integer, the whole string; 0, -1 bad, -2 out of range */
static int conf_parse_int(const char *s, int64_t *out)
{
    int neg = 0, rc;
    uint64_t v;
    const char *end;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    rc = conf_parse_digits(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v, &end);
    if (rc == -2) {
        /* only if the rest is digits too; "99999999999999999999x" is simply invalid */
        while (*s >= '0' && *s <= '9') {
            s++;
        }
        return *s ? -1 : -2;
    }
    if (rc || *end) {
        return -1;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return 0;
}

/* Unsigned number with a unit from @p units (a "" entry allows a plain number) */
struct conf_unit {
    const char *name;
    int64_t scale;
};

static int conf_parse_unit(const char *s, const struct conf_unit *units, size_t n, int64_t *out)
{
    uint64_t v;
    const char *end;
    if (!s || conf_parse_digits(s, INT64_MAX, &v, &end) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(end, units[i].name) == 0) {
            if ((int64_t)v > INT64_MAX / units[i].scale) {
                return -1;
            }
            *out = (int64_t)v * units[i].scale;
            return 0;
        }
    }
    return -1;
}

int gdx_parse_duration(const char *s, int64_t *ms)
{
    static const struct conf_unit units[] = {
        {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    return conf_parse_unit(s, units, sizeof(units) / sizeof(units[0]), ms);
}

int gdx_parse_size(const char *s, int64_t *bytes)
{
    static const struct conf_unit units[] = {
        {"", 1},
        {"B", 1},
        {"KiB", 1024LL},
        {"MiB", 1024LL * 1024},
        {"GiB", 1024LL * 1024 * 1024},
        {"TiB", 1024LL * 1024 * 1024 * 1024},
        {"kB", 1000LL},
        {"KB", 1000LL},
        {"MB", 1000LL * 1000},
        {"GB", 1000LL * 1000 * 1000},
        {"TB", 1000LL * 1000 * 1000 * 1000},
    };
    return conf_parse_unit(s, units, sizeof(units) / sizeof(units[0]), bytes);
}

static int conf_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------------------------
 * Scalar helpers */

/* A plain empty, `~` or `null` scalar: the key is there but has no value */
static int conf_is_null(const struct gdx_node *node)
{
    return node->type == GDX_NODE_SCALAR && !node->quoted && !node->from_env &&
           (node->value[0] == '\0' || strcmp(node->value, "~") == 0 ||
            strcasecmp(node->value, "null") == 0);
}

static const char *conf_type_name(enum gdx_node_type type)
{
    return type == GDX_NODE_MAP ? "a map" : type == GDX_NODE_SEQ ? "a list" : "a scalar";
}

/* An empty value has no place of its own worth showing: name its key's */
static int conf_err_null(const struct gdx_node *node, const char *section, char *errstr,
                         size_t errstr_size)
{
    char what[160];
    int line = node->key ? node->key_line : node->line, col = node->key ? node->key_col : node->col;
    return conf_err_at(node->file, line, col, errstr, errstr_size, "%s has no value",
                       conf_what(node, section, what, sizeof(what)));
}

static int conf_scalar_in(const struct gdx_node *node, const char *section, const char **out,
                          char *errstr, size_t errstr_size)
{
    char what[160];
    if (node->type != GDX_NODE_SCALAR) {
        return conf_err_node(node, errstr, errstr_size, "%s must be a scalar, not %s",
                             conf_what(node, section, what, sizeof(what)),
                             conf_type_name(node->type));
    }
    if (conf_is_null(node)) {
        return conf_err_null(node, section, errstr, errstr_size);
    }
    *out = node->value;
    return GDX_OK;
}

int gdx_conf_scalar(const struct gdx_node *node, const char **out, char *errstr, size_t errstr_size)
{
    return conf_scalar_in(node, NULL, out, errstr, errstr_size);
}

static int conf_int_in(const struct gdx_node *node, const char *section, int64_t min, int64_t max,
                       int64_t *out, char *errstr, size_t errstr_size)
{
    char what[160], val[CONF_SHOW_MAX + 32];
    const char *s;
    int64_t v;
    int rc = conf_scalar_in(node, section, &s, errstr, errstr_size);
    if (rc) {
        return rc;
    }
    if (node->quoted) {
        return conf_err_node(node, errstr, errstr_size,
                             "%s must be an integer, not a quoted string",
                             conf_what(node, section, what, sizeof(what)));
    }
    rc = conf_parse_int(s, &v);
    if (rc == -2) {
        return conf_err_node(node, errstr, errstr_size, "integer %s for %s is out of range",
                             conf_shown_value(node, val, sizeof(val)),
                             conf_what(node, section, what, sizeof(what)));
    }
    if (rc) {
        return conf_err_node(node, errstr, errstr_size, "invalid integer %s for %s",
                             conf_shown_value(node, val, sizeof(val)),
                             conf_what(node, section, what, sizeof(what)));
    }
    if (v < min || v > max) {
        return conf_err_node(node, errstr, errstr_size, "%s must be between %lld and %lld, not %s",
                             conf_what(node, section, what, sizeof(what)), (long long)min,
                             (long long)max, node->from_env ? "the value given" : s);
    }
    *out = v;
    return GDX_OK;
}

int gdx_conf_int(const struct gdx_node *node, int64_t min, int64_t max, int64_t *out, char *errstr,
                 size_t errstr_size)
{
    return conf_int_in(node, NULL, min, max, out, errstr, errstr_size);
}

static int conf_bool_in(const struct gdx_node *node, const char *section, int *out, char *errstr,
                        size_t errstr_size)
{
    char what[160], val[CONF_SHOW_MAX + 32];
    const char *s;
    int rc = conf_scalar_in(node, section, &s, errstr, errstr_size);
    if (rc) {
        return rc;
    }
    if (node->quoted) {
        return conf_err_node(node, errstr, errstr_size,
                             "%s must be true or false, not a quoted string",
                             conf_what(node, section, what, sizeof(what)));
    }
    if (conf_parse_bool(s, out) != 0) {
        return conf_err_node(node, errstr, errstr_size,
                             "invalid boolean %s for %s (use true/false, yes/no or on/off)",
                             conf_shown_value(node, val, sizeof(val)),
                             conf_what(node, section, what, sizeof(what)));
    }
    return GDX_OK;
}

int gdx_conf_bool(const struct gdx_node *node, int *out, char *errstr, size_t errstr_size)
{
    return conf_bool_in(node, NULL, out, errstr, errstr_size);
}

static int conf_duration_in(const struct gdx_node *node, const char *section, int64_t *ms,
                            char *errstr, size_t errstr_size)
{
    char what[160], val[CONF_SHOW_MAX + 32];
    const char *s;
    int rc = conf_scalar_in(node, section, &s, errstr, errstr_size);
    if (rc) {
        return rc;
    }
    if (gdx_parse_duration(s, ms) != 0) {
        return conf_err_node(node, errstr, errstr_size,
                             "invalid duration %s for %s (use 500ms, 5s, 2m, 1h, 1d or a "
                             "number of milliseconds)",
                             conf_shown_value(node, val, sizeof(val)),
                             conf_what(node, section, what, sizeof(what)));
    }
    return GDX_OK;
}

int gdx_conf_duration(const struct gdx_node *node, int64_t *ms, char *errstr, size_t errstr_size)
{
    return conf_duration_in(node, NULL, ms, errstr, errstr_size);
}

static int conf_size_in(const struct gdx_node *node, const char *section, int64_t *bytes,
                        char *errstr, size_t errstr_size)
{
    char what[160], val[CONF_SHOW_MAX + 32];
    const char *s;
    int rc = conf_scalar_in(node, section, &s, errstr, errstr_size);
    if (rc) {
        return rc;
    }
    if (gdx_parse_size(s, bytes) != 0) {
        return conf_err_node(node, errstr, errstr_size,
                             "invalid size %s for %s (use 64KiB, 1MiB, 1GiB, 10MB or a number "
                             "of bytes)",
                             conf_shown_value(node, val, sizeof(val)),
                             conf_what(node, section, what, sizeof(what)));
    }
    return GDX_OK;
}

int gdx_conf_size(const struct gdx_node *node, int64_t *bytes, char *errstr, size_t errstr_size)
{
    return conf_size_in(node, NULL, bytes, errstr, errstr_size);
}

/* ---------------------------------------------------------------------------------------
 * Unknown keys and suggestions */

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions) */
static size_t conf_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), *d, r;
    if (la > 64 || lb > 64) {
        return SIZE_MAX;
    }
    d = conf_xcalloc((la + 1) * (lb + 1), sizeof(*d));
#define D(i, j) d[(i) * (lb + 1) + (j)]
    for (size_t i = 0; i <= la; i++) {
        D(i, 0) = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        D(0, j) = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], best = D(i - 1, j) + 1;
            if (D(i, j - 1) + 1 < best) {
                best = D(i, j - 1) + 1;
            }
            if (D(i - 1, j - 1) + cost < best) {
                best = D(i - 1, j - 1) + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                D(i - 2, j - 2) + 1 < best) {
                best = D(i - 2, j - 2) + 1;
            }
            D(i, j) = best;
        }
    }
    r = D(la, lb);
#undef D
    free(d);
    return r;
}

/* The candidate closest to @p word if close enough to be a typo, else NULL */
static const char *conf_closest(const char *word, const char *const *cands, size_t n)
{
    size_t best = SIZE_MAX, len = strlen(word), limit;
    const char *pick = NULL;
    /* a third of the word may be wrong: 'bach.size', not 'c' for 'a' */
    limit = len / 3;
    if (limit > 3) {
        limit = 3;
    }
    for (size_t i = 0; i < n; i++) {
        size_t d = conf_distance(word, cands[i]);
        if (d < best) {
            best = d;
            pick = cands[i];
        }
    }
    if (pick && best <= limit) {
        return pick;
    }
    /* `batch:` nested where the key is dotted `batch.size` */
    for (size_t i = 0; i < n; i++) {
        if (strncmp(cands[i], word, len) == 0 && cands[i][len] == '.') {
            return cands[i];
        }
    }
    return NULL;
}

/* Unknown key error at the key's position, with a suggestion or a short list */
static int conf_unknown_key(const struct gdx_node *kid, const char *section,
                            const char *const *cands, size_t n, char *errstr, size_t errstr_size)
{
    char key[CONF_SHOW_MAX + 8], sec[CONF_SHOW_MAX + 8], in[CONF_SHOW_MAX + 16], hint[400];
    const char *close = conf_closest(kid->key, cands, n);
    size_t off = 0;
    in[0] = '\0';
    if (section) {
        snprintf(in, sizeof(in), " in '%s'", conf_show(section, sec, sizeof(sec)));
    }
    if (close) {
        snprintf(hint, sizeof(hint), " (did you mean '%s'?)", close);
    } else if (n == 0) {
        snprintf(hint, sizeof(hint), " (no keys are allowed here)");
    } else {
        off = (size_t)snprintf(hint, sizeof(hint), " (valid keys:");
        for (size_t i = 0; i < n && i < CONF_LIST_MAX && off < sizeof(hint); i++) {
            off +=
                (size_t)snprintf(hint + off, sizeof(hint) - off, "%s %s", i ? "," : "", cands[i]);
        }
        if (off < sizeof(hint)) {
            snprintf(hint + off, sizeof(hint) - off, "%s)", n > CONF_LIST_MAX ? ", ..." : "");
        }
    }
    return conf_err_at(kid->file, kid->key_line, kid->key_col, errstr, errstr_size,
                       "unknown key '%s'%s%s", conf_show(kid->key, key, sizeof(key)), in, hint);
}

int gdx_conf_only_keys(const struct gdx_node *map, const char *const *allowed, char *errstr,
                       size_t errstr_size)
{
    size_t n = 0;
    if (!map || map->type != GDX_NODE_MAP) {
        return GDX_OK;
    }
    while (allowed && allowed[n]) {
        n++;
    }
    for (size_t i = 0; i < map->nkids; i++) {
        const struct gdx_node *kid = map->kids[i];
        size_t k;
        for (k = 0; k < n; k++) {
            if (strcmp(kid->key, allowed[k]) == 0) {
                break;
            }
        }
        if (k == n) {
            return conf_unknown_key(kid, map->key, allowed, n, errstr, errstr_size);
        }
    }
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Binding */

static void *conf_field(void *inst, const struct gdx_conf_prop *p)
{
    return (char *)inst + p->offset;
}

static void conf_strlist_free(char **list)
{
    if (list) {
        for (size_t i = 0; list[i]; i++) {
            free(list[i]);
        }
        free(list);
    }
}

void gdx_conf_unbind(const struct gdx_conf_prop *props, void *inst)
{
    if (!props || !inst) {
        return;
    }
    for (const struct gdx_conf_prop *p = props; p->name; p++) {
        void *f = conf_field(inst, p);
        switch (p->type) {
        case GDX_CONF_STR:
            free(*(char **)f);
            *(char **)f = NULL;
            break;
        case GDX_CONF_SECRET:
            conf_free_secret(*(char **)f);
            *(char **)f = NULL;
            break;
        case GDX_CONF_STRLIST:
            conf_strlist_free(*(char ***)f);
            *(char ***)f = NULL;
            break;
        default:
            break;
        }
    }
}

/* Is @p value one of "a|b|c"? */
static int conf_in_choices(const char *choices, const char *value)
{
    size_t len = strlen(value);
    const char *p = choices;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, value, n) == 0) {
            return 1;
        }
        if (!bar) {
            return 0;
        }
        p = bar + 1;
    }
}

static int conf_bad_choice(const struct gdx_node *node, const char *section,
                           const struct gdx_conf_prop *p, const char *value, char *errstr,
                           size_t errstr_size)
{
    char what[160], val[CONF_SHOW_MAX + 8], list[256], hint[CONF_SHOW_MAX + 32], shown[300];
    const char *cands[32], *close;
    size_t n = 0, o = 0;
    /* split "a|b|c" into the list shown and the candidates for a suggestion */
    snprintf(list, sizeof(list), "%s", p->choices);
    for (char *q = list; n < 32;) {
        char *bar = strchr(q, '|');
        cands[n++] = q;
        if (!bar) {
            break;
        }
        *bar = '\0';
        q = bar + 1;
    }
    close = node->from_env ? NULL : conf_closest(value, cands, n);
    hint[0] = '\0';
    if (close) {
        snprintf(hint, sizeof(hint), "; did you mean '%s'?", close);
    }
    shown[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof(shown); i++) {
        o += (size_t)snprintf(shown + o, sizeof(shown) - o, "%s%s", i ? ", " : "", cands[i]);
    }
    if (node->from_env) {
        return conf_err_node(node, errstr, errstr_size,
                             "invalid value from the environment for %s (expected one of: %s)",
                             conf_what(node, section, what, sizeof(what)), shown);
    }
    return conf_err_node(node, errstr, errstr_size,
                         "invalid value '%s' for %s (expected one of: %s%s)",
                         conf_show(value, val, sizeof(val)),
                         conf_what(node, section, what, sizeof(what)), shown, hint);
}

/* A STRLIST default: comma-separated items, blanks trimmed; "" is the empty list */
static char **conf_split_list(const char *d)
{
    size_t n = 0, cap = 1;
    char **list;
    for (const char *c = d; *c; c++) {
        cap += *c == ',';
    }
    list = conf_xcalloc(cap + 1, sizeof(*list));
    for (const char *c = d; *c;) {
        const char *comma = strchr(c, ','), *e = comma ? comma : c + strlen(c);
        while (c < e && *c == ' ') {
            c++;
        }
        while (e > c && e[-1] == ' ') {
            e--;
        }
        if (e > c) {
            list[n++] = conf_xstrndup(c, (size_t)(e - c));
        }
        if (!comma) {
            break;
        }
        c = comma + 1;
    }
    return list;
}

/* Set a property from its default text; a bad default is the connector author's bug */
static int conf_set_default(const struct gdx_conf_prop *p, void *inst, const char *section,
                            char *errstr, size_t errstr_size)
{
    void *f = conf_field(inst, p);
    const char *d = p->defval;
    int rc = 0;
    switch (p->type) {
    case GDX_CONF_STR:
    case GDX_CONF_SECRET:
        *(char **)f = d ? conf_xstrdup(d) : NULL;
        if (d && p->type == GDX_CONF_SECRET) {
            gdx_log_add_secret(d);
        }
        break;
    case GDX_CONF_INT:
        *(int64_t *)f = 0;
        rc = d ? conf_parse_int(d, (int64_t *)f) : 0;
        break;
    case GDX_CONF_BOOL:
        *(int *)f = 0;
        rc = d ? conf_parse_bool(d, (int *)f) : 0;
        break;
    case GDX_CONF_DURATION:
        *(int64_t *)f = 0;
        rc = d ? gdx_parse_duration(d, (int64_t *)f) : 0;
        break;
    case GDX_CONF_SIZE:
        *(int64_t *)f = 0;
        rc = d ? gdx_parse_size(d, (int64_t *)f) : 0;
        break;
    case GDX_CONF_STRLIST:
        *(char ***)f = d ? conf_split_list(d) : NULL;
        break;
    }
    if (rc != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "invalid default '%s' for '%s'%s%s%s", d, p->name, section ? " in '" : "",
                          section ? section : "", section ? "'" : "");
    }
    return GDX_OK;
}

static int conf_set_node(const struct gdx_conf_prop *p, void *inst, const struct gdx_node *node,
                         const char *section, char *errstr, size_t errstr_size)
{
    void *f = conf_field(inst, p);
    const char *s;
    char what[160];
    int rc;
    switch (p->type) {
    case GDX_CONF_STR:
    case GDX_CONF_SECRET:
        rc = conf_scalar_in(node, section, &s, errstr, errstr_size);
        if (rc) {
            return rc;
        }
        if (p->choices && !conf_in_choices(p->choices, s)) {
            return conf_bad_choice(node, section, p, s, errstr, errstr_size);
        }
        if (p->type == GDX_CONF_SECRET) {
            conf_free_secret(*(char **)f);
            gdx_log_add_secret(s);
        } else {
            free(*(char **)f);
        }
        *(char **)f = conf_xstrdup(s);
        return GDX_OK;
    case GDX_CONF_INT:
        return conf_int_in(node, section, INT64_MIN, INT64_MAX, (int64_t *)f, errstr, errstr_size);
    case GDX_CONF_BOOL:
        return conf_bool_in(node, section, (int *)f, errstr, errstr_size);
    case GDX_CONF_DURATION:
        return conf_duration_in(node, section, (int64_t *)f, errstr, errstr_size);
    case GDX_CONF_SIZE:
        return conf_size_in(node, section, (int64_t *)f, errstr, errstr_size);
    case GDX_CONF_STRLIST: {
        char **list;
        if (node->type != GDX_NODE_SEQ) {
            if (conf_is_null(node)) {
                return conf_err_null(node, section, errstr, errstr_size);
            }
            return conf_err_node(node, errstr, errstr_size, "%s must be a list, not %s",
                                 conf_what(node, section, what, sizeof(what)),
                                 conf_type_name(node->type));
        }
        for (size_t i = 0; i < node->nkids; i++) {
            const struct gdx_node *item = node->kids[i];
            if (item->type != GDX_NODE_SCALAR || conf_is_null(item)) {
                return conf_err_node(
                    item, errstr, errstr_size, "items of %s must be strings, not %s",
                    conf_what(node, section, what, sizeof(what)),
                    item->type == GDX_NODE_SCALAR ? "null" : conf_type_name(item->type));
            }
            if (p->choices && !conf_in_choices(p->choices, item->value)) {
                return conf_bad_choice(item, section, p, item->value, errstr, errstr_size);
            }
        }
        list = conf_xcalloc(node->nkids + 1, sizeof(*list));
        for (size_t i = 0; i < node->nkids; i++) {
            list[i] = conf_xstrdup(node->kids[i]->value);
        }
        conf_strlist_free(*(char ***)f);
        *(char ***)f = list;
        return GDX_OK;
    }
    }
    return GDX_OK;
}

int gdx_conf_bind(const struct gdx_node *map, const char *section,
                  const struct gdx_conf_prop *props, void *inst, const char *parent_where,
                  char *errstr, size_t errstr_size)
{
    const char **names = NULL;
    const struct gdx_node *pos = map; /* where a missing required key is reported */
    size_t nprops = 0;
    int rc = GDX_OK;

    for (const struct gdx_conf_prop *p = props; p->name; p++) {
        nprops++;
    }
    for (size_t i = 0; i < nprops && rc == GDX_OK; i++) {
        rc = conf_set_default(&props[i], inst, section, errstr, errstr_size);
    }
    if (rc) {
        goto out;
    }
    if (map && conf_is_null(map)) {
        /* `source:` with nothing under it: all defaults, errors at the key */
        pos = map;
        map = NULL;
    }
    if (map && map->type != GDX_NODE_MAP) {
        char what[160];
        if (map->key) {
            conf_what(map, NULL, what, sizeof(what));
        } else {
            snprintf(what, sizeof(what), "'%s'", section ? section : "section");
        }
        rc = conf_err_node(map, errstr, errstr_size, "%s must be a map, not %s", what,
                           conf_type_name(map->type));
        goto out;
    }
    names = conf_xcalloc(nprops + 1, sizeof(*names));
    for (size_t i = 0; i < nprops; i++) {
        names[i] = props[i].name;
    }
    for (size_t i = 0; map && i < map->nkids && rc == GDX_OK; i++) {
        const struct gdx_node *kid = map->kids[i];
        size_t k;
        for (k = 0; k < nprops; k++) {
            if (strcmp(kid->key, props[k].name) == 0) {
                break;
            }
        }
        if (k == nprops) {
            rc = conf_unknown_key(kid, section, names, nprops, errstr, errstr_size);
        } else {
            rc = conf_set_node(&props[k], inst, kid, section, errstr, errstr_size);
        }
    }
    for (size_t i = 0; i < nprops && rc == GDX_OK; i++) {
        char in[CONF_SHOW_MAX + 16], where[300];
        if (props[i].defval || gdx_conf_get(map, props[i].name)) {
            continue;
        }
        in[0] = '\0';
        if (section) {
            snprintf(in, sizeof(in), " in '%s'", section);
        }
        if (pos && pos->key) {
            snprintf(where, sizeof(where), "%s:%d:%d: ", pos->file, pos->key_line, pos->key_col);
        } else if (pos) {
            snprintf(where, sizeof(where), "%s:%d:%d: ", pos->file, pos->line, pos->col);
        } else if (parent_where) {
            snprintf(where, sizeof(where), "%s: ", parent_where);
        } else {
            where[0] = '\0';
        }
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%smissing required key '%s'%s", where,
                        props[i].name, in);
    }
out:
    free(names);
    if (rc != GDX_OK) {
        /* leave nothing behind: the caller may still call unbind, which finds NULLs */
        gdx_conf_unbind(props, inst);
        return GDX_ERR_CONFIG;
    }
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * Digest */

int gdx_conf_digest(const char *path, char out[65], char *errstr, size_t errstr_size)
{
    static const char hex[] = "0123456789abcdef";
    FILE *fp = NULL;
    EVP_MD_CTX *md = NULL;
    unsigned char buf[8192], dig[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    size_t n;
    int rc = GDX_OK;

    out[0] = '\0';
    fp = fopen(path, "rb");
    if (!fp) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", path,
                        strerror(errno));
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sm3(), NULL)) {
        goto crypto_err;
    }
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        if (!EVP_DigestUpdate(md, buf, n)) {
            goto crypto_err;
        }
    }
    if (ferror(fp)) {
        rc = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot read '%s': %s", path,
                        strerror(errno));
        goto out;
    }
    if (!EVP_DigestFinal_ex(md, dig, &dlen) || dlen != 32) {
        goto crypto_err;
    }
    for (unsigned int i = 0; i < dlen; i++) {
        out[2 * i] = hex[dig[i] >> 4];
        out[2 * i + 1] = hex[dig[i] & 15];
    }
    out[64] = '\0';
    goto out;

crypto_err : {
    char ossl[256] = "unknown error";
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0) {
        last = e;
    }
    if (last) {
        ERR_error_string_n(last, ossl, sizeof(ossl));
    }
    rc = gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot compute sm3 of '%s': %s", path,
                    ossl);
}
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    EVP_MD_CTX_free(md);
    if (fp) {
        fclose(fp);
    }
    return rc;
}
