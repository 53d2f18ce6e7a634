/*
 * gdx catalog - the data-resource catalog (政务信息资源目录) generated from the schemas, the
 * topic definitions and the city's inventory of units and systems.
 *
 * Each inventory system that names a schema is one data resource: its topic, the unit and
 * system that provide it (Chinese names from the inventory), the share attribute, the record's
 * doc, and every field with its type, level and personal-information class. Schemas that no
 * system names are listed too, so nothing in schemas/ is missing from the catalog. Output is
 * Markdown, or one self-contained HTML page (inline CSS, no scripts, no external assets).
 * Everything is read-only; the order follows the inventory, so the output is reproducible.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_conf.h"

struct cat_field {
    char *name, *type, *level, *pi, *doc;
};

struct cat_schema {
    char *path; /* relative to the schema directory */
    char *fullname, *doc, *owner, *share;
    struct cat_field *fields;
    size_t nfields;
    int used;
};

struct cat_entry {
    const char *topic;
    const char *unit_id, *unit_name;
    const char *system_id, *system_name, *system_owner, *kind;
    const struct gdx_node *topic_def; /* from topics.yaml, or NULL */
    struct cat_schema *schema;
};

struct catalog {
    const char *city;
    struct cat_schema *schemas;
    size_t nschemas, capschemas;
    struct cat_entry *entries;
    size_t nentries, capentries;
};

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q) {
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p) {
        abort();
    }
    return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return out;
}

static const char *jstr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- type text ------------------------------------------------------------------------ */

static char *type_text(json_t *t, int depth);

static char *type_text(json_t *t, int depth)
{
    if (depth > 16) {
        return xstrdup("...");
    }
    if (json_is_string(t)) {
        return xstrdup(json_string_value(t));
    }
    if (json_is_array(t)) {
        char *acc = xstrdup("");
        for (size_t i = 0; i < json_array_size(t); i++) {
            char *b = type_text(json_array_get(t, i), depth + 1);
            char *n = xasprintf("%s%s%s", acc, i ? " | " : "", b);
            free(acc);
            free(b);
            acc = n;
        }
        return acc;
    }
    if (!json_is_object(t)) {
        return xstrdup("?");
    }
    const char *type = jstr(t, "type");
    const char *logical = jstr(t, "logicalType");
    if (!type) {
        return type_text(json_object_get(t, "type"), depth + 1);
    }
    if (logical && !strcmp(logical, "decimal")) {
        return xasprintf("decimal(%lld,%lld)",
                         (long long)json_integer_value(json_object_get(t, "precision")),
                         (long long)json_integer_value(json_object_get(t, "scale")));
    }
    if (logical) {
        return xasprintf("%s (%s)", type, logical);
    }
    if (!strcmp(type, "enum")) {
        json_t *syms = json_object_get(t, "symbols");
        char *acc = xasprintf("enum %s: ", jstr(t, "name") ? jstr(t, "name") : "?");
        for (size_t i = 0; i < json_array_size(syms); i++) {
            json_t *s = json_array_get(syms, i);
            char *n = xasprintf("%s%s%s", acc, i ? ", " : "",
                                json_is_string(s) ? json_string_value(s) : "?");
            free(acc);
            acc = n;
        }
        return acc;
    }
    if (!strcmp(type, "fixed")) {
        return xasprintf("fixed %s(%lld)", jstr(t, "name") ? jstr(t, "name") : "?",
                         (long long)json_integer_value(json_object_get(t, "size")));
    }
    if (!strcmp(type, "array") || !strcmp(type, "map")) {
        char *in = type_text(json_object_get(t, type[0] == 'a' ? "items" : "values"), depth + 1);
        char *out = xasprintf("%s<%s>", type, in);
        free(in);
        return out;
    }
    if (!strcmp(type, "record") || !strcmp(type, "error")) {
        return xasprintf("record %s", jstr(t, "name") ? jstr(t, "name") : "?");
    }
    return xstrdup(type);
}

/* ---- loading -------------------------------------------------------------------------- */

static int load_schema(struct catalog *cat, const char *dir, const char *rel)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "gdx catalog: %s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(root) || !jstr(root, "name")) {
        fprintf(stderr, "gdx catalog: '%s' is not a record schema\n", path);
        json_decref(root);
        return -1;
    }
    if (cat->nschemas == cat->capschemas) {
        cat->capschemas = cat->capschemas ? cat->capschemas * 2 : 16;
        cat->schemas = xrealloc(cat->schemas, cat->capschemas * sizeof(*cat->schemas));
    }
    struct cat_schema *s = &cat->schemas[cat->nschemas++];
    memset(s, 0, sizeof(*s));
    s->path = xstrdup(rel);
    const char *ns = jstr(root, "namespace");
    const char *name = jstr(root, "name");
    s->fullname = ns && *ns && !strchr(name, '.') ? xasprintf("%s.%s", ns, name) : xstrdup(name);
    s->doc = xstrdup(jstr(root, "doc"));
    s->owner = xstrdup(jstr(root, "gdx.owner"));
    s->share = xstrdup(jstr(root, "gdx.share"));
    json_t *fields = json_object_get(root, "fields");
    s->fields = calloc(json_array_size(fields) + 1, sizeof(*s->fields));
    if (!s->fields) {
        abort();
    }
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        struct cat_field *cf = &s->fields[s->nfields++];
        cf->name = xstrdup(jstr(f, "name"));
        cf->type = type_text(json_object_get(f, "type"), 0);
        cf->level = xstrdup(jstr(f, "gdx.level"));
        cf->pi = xstrdup(jstr(f, "gdx.pi"));
        cf->doc = xstrdup(jstr(f, "doc"));
    }
    json_decref(root);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .avsc under dir/rel, paths relative to @p dir, sorted. */
static int collect(const char *dir, const char *rel, char ***out, size_t *n, int depth)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    struct dirent *e;
    if (!d) {
        fprintf(stderr, "gdx catalog: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        struct stat st;
        char sub[4096], full[8192];
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof(full), "%s/%s", dir, sub);
        if (stat(full, &st) != 0) {
            continue;
        }
        size_t len = strlen(e->d_name);
        if (S_ISDIR(st.st_mode) && depth < 16) {
            rc = collect(dir, sub, out, n, depth + 1);
        } else if (S_ISREG(st.st_mode) && len > 5 && !strcmp(e->d_name + len - 5, ".avsc")) {
            *out = xrealloc(*out, (*n + 1) * sizeof(**out));
            (*out)[(*n)++] = xstrdup(sub);
        }
    }
    closedir(d);
    return rc;
}

static const char *node_str(const struct gdx_node *map, const char *key)
{
    const struct gdx_node *n = map ? gdx_conf_get(map, key) : NULL;
    return n && n->type == GDX_NODE_SCALAR ? n->value : NULL;
}

static const struct gdx_node *find_topic(const struct gdx_node *topics, const char *name)
{
    const struct gdx_node *list = topics ? gdx_conf_get(topics, "topics") : NULL;
    for (size_t i = 0; list && list->type == GDX_NODE_SEQ && i < list->nkids; i++) {
        const char *n = node_str(list->kids[i], "name");
        if (n && !strcmp(n, name)) {
            return list->kids[i];
        }
    }
    return NULL;
}

static struct cat_schema *find_schema(struct catalog *cat, const char *rel)
{
    for (size_t i = 0; i < cat->nschemas; i++) {
        if (!strcmp(cat->schemas[i].path, rel)) {
            return &cat->schemas[i];
        }
    }
    return NULL;
}

static void add_entry(struct catalog *cat, const struct cat_entry *e)
{
    if (cat->nentries == cat->capentries) {
        cat->capentries = cat->capentries ? cat->capentries * 2 : 16;
        cat->entries = xrealloc(cat->entries, cat->capentries * sizeof(*cat->entries));
    }
    cat->entries[cat->nentries++] = *e;
}

static int map_inventory(struct catalog *cat, const struct gdx_node *inv,
                         const struct gdx_node *topics)
{
    const struct gdx_node *units = gdx_conf_get(inv, "units");
    cat->city = node_str(gdx_conf_get(inv, "city"), "name");
    for (size_t u = 0; units && units->type == GDX_NODE_SEQ && u < units->nkids; u++) {
        const struct gdx_node *unit = units->kids[u];
        const struct gdx_node *systems = gdx_conf_get(unit, "systems");
        for (size_t k = 0; systems && systems->type == GDX_NODE_SEQ && k < systems->nkids; k++) {
            const struct gdx_node *sys = systems->kids[k];
            const char *rel = node_str(sys, "schema");
            if (!rel) {
                continue; /* planned, no schema yet */
            }
            struct cat_entry e = {
                .topic = node_str(sys, "topic"),
                .unit_id = node_str(unit, "id"),
                .unit_name = node_str(unit, "name"),
                .system_id = node_str(sys, "id"),
                .system_name = node_str(sys, "name"),
                .system_owner = node_str(sys, "owner"),
                .kind = node_str(sys, "kind"),
            };
            e.schema = find_schema(cat, rel);
            if (!e.schema) {
                char where[256];
                fprintf(stderr, "gdx catalog: %s: schema '%s' is not in the schema directory\n",
                        gdx_conf_where(gdx_conf_get(sys, "schema"), where, sizeof(where)), rel);
                return -1;
            }
            e.schema->used = 1;
            e.topic_def = e.topic ? find_topic(topics, e.topic) : NULL;
            add_entry(cat, &e);
        }
    }
    /* schemas no system names yet: listed too, without a topic */
    for (size_t i = 0; i < cat->nschemas; i++) {
        if (!cat->schemas[i].used) {
            struct cat_entry e = {.schema = &cat->schemas[i]};
            add_entry(cat, &e);
        }
    }
    return 0;
}

/* ---- labels --------------------------------------------------------------------------- */

static const char *share_zh(const char *s)
{
    if (!s || !*s) {
        return "未标注";
    }
    if (!strcmp(s, "unconditional")) {
        return "无条件共享";
    }
    if (!strcmp(s, "conditional")) {
        return "有条件共享";
    }
    if (!strcmp(s, "none")) {
        return "不予共享";
    }
    return s;
}

static const char *level_zh(const char *s)
{
    if (!s || !*s) {
        return "未标注";
    }
    if (!strcmp(s, "general")) {
        return "一般";
    }
    if (!strcmp(s, "important")) {
        return "重要";
    }
    if (!strcmp(s, "core")) {
        return "核心";
    }
    return s;
}

static const char *pi_zh(const char *s)
{
    if (!s || !*s) {
        return "未标注";
    }
    if (!strcmp(s, "none")) {
        return "无";
    }
    if (!strcmp(s, "pi")) {
        return "个人信息";
    }
    if (!strcmp(s, "spi")) {
        return "敏感个人信息";
    }
    return s;
}

static int level_rank(const char *s)
{
    return !s ? 0 : !strcmp(s, "core") ? 3 : !strcmp(s, "important") ? 2 : 1;
}

static const char *max_level(const struct cat_schema *s)
{
    const char *best = "general";
    for (size_t i = 0; i < s->nfields; i++) {
        if (level_rank(s->fields[i].level) > level_rank(best)) {
            best = s->fields[i].level;
        }
    }
    return best;
}

static const char *pi_summary(const struct cat_schema *s)
{
    int pi = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        if (!strcmp(s->fields[i].pi, "spi")) {
            pi = 2;
        } else if (!strcmp(s->fields[i].pi, "pi") && pi < 1) {
            pi = 1;
        }
    }
    return pi == 2 ? "含敏感个人信息" : pi == 1 ? "含个人信息" : "不含个人信息";
}

static char *retention_text(const struct cat_entry *e)
{
    if (!e->topic_def) {
        return xstrdup("");
    }
    const char *parts = node_str(e->topic_def, "partitions");
    const char *ret = node_str(gdx_conf_get(e->topic_def, "config"), "retention.ms");
    const char *cleanup = node_str(gdx_conf_get(e->topic_def, "config"), "cleanup.policy");
    char rbuf[64] = "";
    if (ret) {
        long long ms = atoll(ret);
        snprintf(rbuf, sizeof(rbuf), "，保留 %lld 天 / retention %lld days", ms / 86400000LL,
                 ms / 86400000LL);
    }
    return xasprintf("%s 个分区 / partitions%s%s%s", parts ? parts : "?", rbuf,
                     cleanup ? "，cleanup.policy=" : "", cleanup ? cleanup : "");
}

/* ---- Markdown ------------------------------------------------------------------------- */

static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|') {
            fputs("\\|", out);
        } else if (*s == '\n' || *s == '\r') {
            fputc(' ', out);
        } else {
            fputc(*s, out);
        }
    }
}

static const char *title_of(const struct catalog *cat, char *buf, size_t size)
{
    snprintf(buf, size, "%s政务信息资源目录", cat->city ? cat->city : "");
    return buf;
}

static void write_md(FILE *out, const struct catalog *cat, const char *sources)
{
    char title[256];
    fprintf(out, "# %s / government data-resource catalog\n\n",
            title_of(cat, title, sizeof(title)));
    fprintf(out, "由 `gdx catalog` 生成，来源：%s。共 %zu 个数据资源。\n\n", sources,
            cat->nentries);
    fprintf(out, "共享属性（政务数据共享条例）：无条件共享 / 有条件共享 / 不予共享；"
                 "分级（数据安全法第二十一条）：一般 / 重要 / 核心；"
                 "个人信息（个人信息保护法）：无 / 个人信息 / 敏感个人信息。\n\n");
    fprintf(out, "## 资源清单 / index\n\n");
    fprintf(out,
            "| 主题 topic | 资源 record | 提供单位 owner unit | 信息系统 system | 共享属性 share "
            "| 最高分级 level |\n|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < cat->nentries; i++) {
        const struct cat_entry *e = &cat->entries[i];
        fprintf(out, "| %s | `%s` | ", e->topic ? e->topic : "（未接入 / no topic yet）",
                e->schema->fullname);
        md_cell(out, e->unit_name ? e->unit_name : e->schema->owner);
        fputs(" | ", out);
        md_cell(out, e->system_name ? e->system_name : "—");
        fprintf(out, " | %s | %s |\n", share_zh(e->schema->share), level_zh(max_level(e->schema)));
    }
    for (size_t i = 0; i < cat->nentries; i++) {
        const struct cat_entry *e = &cat->entries[i];
        const struct cat_schema *s = e->schema;
        fprintf(out, "\n## %s\n\n", e->topic ? e->topic : s->fullname);
        fprintf(out, "- 资源 record: `%s`（schemas/%s）\n", s->fullname, s->path);
        fputs("- 提供单位 owner unit: ", out);
        md_cell(out, e->unit_name ? e->unit_name : "（清单未列出 / not in the inventory）");
        fprintf(out, "（gdx.owner `%s`）\n", s->owner);
        if (e->system_name) {
            fputs("- 信息系统 system: ", out);
            md_cell(out, e->system_name);
            fprintf(out, "（`%s.%s`，%s 连接器", e->unit_id ? e->unit_id : "?",
                    e->system_id ? e->system_id : "?", e->kind ? e->kind : "?");
            if (e->system_owner) {
                fputs("，责任人 ", out);
                md_cell(out, e->system_owner);
            }
            fputs("）\n", out);
        }
        fprintf(out, "- 共享属性 share: %s（%s）\n", share_zh(s->share), s->share);
        fprintf(out, "- 最高分级 highest level: %s；%s\n", level_zh(max_level(s)), pi_summary(s));
        char *ret = retention_text(e);
        if (*ret) {
            fprintf(out, "- 主题配置 topic: %s\n", ret);
        }
        free(ret);
        fputs("\n", out);
        md_cell(out, s->doc);
        fprintf(out, "\n\n| 字段 field | 类型 type | 分级 level | 个人信息 PI | 说明 doc |\n"
                     "|---|---|---|---|---|\n");
        for (size_t k = 0; k < s->nfields; k++) {
            const struct cat_field *f = &s->fields[k];
            fprintf(out, "| `%s` | ", f->name);
            md_cell(out, f->type);
            fprintf(out, " | %s | %s | ", level_zh(f->level), pi_zh(f->pi));
            md_cell(out, f->doc);
            fputs(" |\n", out);
        }
    }
}

/* ---- HTML ----------------------------------------------------------------------------- */

static void html_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* an id for anchors: the topic or record name, which are [A-Za-z0-9._-] */
static void html_anchor(FILE *out, const struct cat_entry *e)
{
    const char *s = e->topic ? e->topic : e->schema->fullname;
    fputs("r-", out);
    for (; *s; s++) {
        fputc((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
                  ? *s
                  : '-',
              out);
    }
}

static const char *share_class(const char *s)
{
    return !s                            ? ""
           : !strcmp(s, "unconditional") ? "s-u"
           : !strcmp(s, "conditional")   ? "s-c"
                                         : "s-n";
}

static void write_html(FILE *out, const struct catalog *cat, const char *sources)
{
    char title[256];
    title_of(cat, title, sizeof(title));
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    html_text(out, title);
    fputs("</title>\n<style>\n"
          "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;"
          "margin:0 auto;max-width:1200px;padding:1em 2em;color:#1f2328;line-height:1.5}\n"
          "h1{border-bottom:3px solid #b22222;padding-bottom:.3em}\n"
          "h2{margin-top:2em;border-bottom:1px solid #d0d7de;font-family:monospace}\n"
          "table{border-collapse:collapse;width:100%;margin:.5em 0 1em}\n"
          "th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}\n"
          "th{background:#f6f8fa}\n"
          "code{font-family:monospace;background:#f6f8fa;padding:0 .2em}\n"
          ".meta{list-style:none;padding:0}\n"
          ".tag{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.9em}\n"
          ".s-u{background:#dafbe1}.s-c{background:#fff8c5}.s-n{background:#ffebe9}\n"
          ".l-important{background:#fff8c5}.l-core{background:#ffebe9}\n"
          ".p-pi{background:#ddf4ff}.p-spi{background:#ffd8b5}\n"
          ".doc{color:#444}\n"
          "footer{margin-top:3em;color:#656d76;font-size:.9em}\n"
          "</style>\n</head>\n<body>\n<h1>",
          out);
    html_text(out, title);
    fputs(" <small>government data-resource catalog</small></h1>\n<p>由 <code>gdx catalog</code> "
          "生成，来源：",
          out);
    html_text(out, sources);
    fprintf(out, "。共 %zu 个数据资源。</p>\n", cat->nentries);
    fputs("<p>共享属性（政务数据共享条例）：无条件共享 / 有条件共享 / 不予共享；"
          "分级（数据安全法第二十一条）：一般 / 重要 / 核心；"
          "个人信息（个人信息保护法）：无 / 个人信息 / 敏感个人信息。</p>\n",
          out);
    fputs("<h2>资源清单 / index</h2>\n<table>\n<tr><th>主题 topic</th><th>资源 record</th>"
          "<th>提供单位 owner unit</th><th>信息系统 system</th><th>共享属性 share</th>"
          "<th>最高分级 level</th></tr>\n",
          out);
    for (size_t i = 0; i < cat->nentries; i++) {
        const struct cat_entry *e = &cat->entries[i];
        fputs("<tr><td><a href=\"#", out);
        html_anchor(out, e);
        fputs("\"><code>", out);
        html_text(out, e->topic ? e->topic : "（未接入 / no topic yet）");
        fputs("</code></a></td><td><code>", out);
        html_text(out, e->schema->fullname);
        fputs("</code></td><td>", out);
        html_text(out, e->unit_name ? e->unit_name : e->schema->owner);
        fputs("</td><td>", out);
        html_text(out, e->system_name ? e->system_name : "—");
        fprintf(out, "</td><td><span class=\"tag %s\">%s</span></td><td>%s</td></tr>\n",
                share_class(e->schema->share), share_zh(e->schema->share),
                level_zh(max_level(e->schema)));
    }
    fputs("</table>\n", out);
    for (size_t i = 0; i < cat->nentries; i++) {
        const struct cat_entry *e = &cat->entries[i];
        const struct cat_schema *s = e->schema;
        fputs("<section>\n<h2 id=\"", out);
        html_anchor(out, e);
        fputs("\">", out);
        html_text(out, e->topic ? e->topic : s->fullname);
        fputs("</h2>\n<ul class=\"meta\">\n<li>资源 record: <code>", out);
        html_text(out, s->fullname);
        fputs("</code>（schemas/", out);
        html_text(out, s->path);
        fputs("）</li>\n<li>提供单位 owner unit: ", out);
        html_text(out, e->unit_name ? e->unit_name : "（清单未列出 / not in the inventory）");
        fputs("（gdx.owner <code>", out);
        html_text(out, s->owner);
        fputs("</code>）</li>\n", out);
        if (e->system_name) {
            fputs("<li>信息系统 system: ", out);
            html_text(out, e->system_name);
            fputs("（<code>", out);
            html_text(out, e->unit_id);
            fputs(".", out);
            html_text(out, e->system_id);
            fputs("</code>，", out);
            html_text(out, e->kind);
            fputs(" 连接器", out);
            if (e->system_owner) {
                fputs("，责任人 ", out);
                html_text(out, e->system_owner);
            }
            fputs("）</li>\n", out);
        }
        fprintf(out, "<li>共享属性 share: <span class=\"tag %s\">%s</span>（",
                share_class(s->share), share_zh(s->share));
        html_text(out, s->share);
        fprintf(out, "）</li>\n<li>最高分级 highest level: %s；%s</li>\n", level_zh(max_level(s)),
                pi_summary(s));
        char *ret = retention_text(e);
        if (*ret) {
            fputs("<li>主题配置 topic: ", out);
            html_text(out, ret);
            fputs("</li>\n", out);
        }
        free(ret);
        fputs("</ul>\n<p class=\"doc\">", out);
        html_text(out, s->doc);
        fputs("</p>\n<table>\n<tr><th>字段 field</th><th>类型 type</th><th>分级 level</th>"
              "<th>个人信息 PI</th><th>说明 doc</th></tr>\n",
              out);
        for (size_t k = 0; k < s->nfields; k++) {
            const struct cat_field *f = &s->fields[k];
            fputs("<tr><td><code>", out);
            html_text(out, f->name);
            fputs("</code></td><td><code>", out);
            html_text(out, f->type);
            fprintf(out, "</code></td><td><span class=\"tag l-%s\">%s</span></td>", f->level,
                    level_zh(f->level));
            fprintf(out, "<td><span class=\"tag p-%s\">%s</span></td><td>", f->pi, pi_zh(f->pi));
            html_text(out, f->doc);
            fputs("</td></tr>\n", out);
        }
        fputs("</table>\n</section>\n", out);
    }
    fputs("<footer>gdx ", out);
    html_text(out, GDX_VERSION);
    fputs("</footer>\n</body>\n</html>\n", out);
}

/* ---- command -------------------------------------------------------------------------- */

static const struct cmd_opt catalog_opts[] = {
    {'s', "schemas", 's', CMD_REQ, "DIR", "schema directory (default schemas)", NULL},
    {'t', "topics", 't', CMD_REQ, "FILE", "topic definitions (default broker-config/topics.yaml)",
     NULL},
    {'i', "inventory", 'i', CMD_REQ, "FILE",
     "units and systems (default examples/xiangcheng/inventory.yaml)", NULL},
    {'f', "format", 'f', CMD_REQ, "md|html", "output format (default md)", NULL},
    {'o', "output", 'o', CMD_REQ, "FILE", "write to FILE instead of stdout", NULL},
    CMD_OPT_END,
};

const struct cmd_doc cmd_catalog_doc = {
    .name = "catalog",
    .summary = "generate the data-resource catalog (Markdown or HTML)",
    .args = "[options]",
    .opts = catalog_opts,
    .description = "Generate the data-resource catalog (政务信息资源目录): every topic with its "
                   "owner unit and system, share attribute, record doc and fields (type, level, "
                   "PI class). The HTML form is one self-contained page.",
    .see_also = "gdx-schema(1), gdx-topics(1)",
};

static void catalog_free(struct catalog *cat)
{
    for (size_t i = 0; i < cat->nschemas; i++) {
        struct cat_schema *s = &cat->schemas[i];
        for (size_t k = 0; k < s->nfields; k++) {
            free(s->fields[k].name);
            free(s->fields[k].type);
            free(s->fields[k].level);
            free(s->fields[k].pi);
            free(s->fields[k].doc);
        }
        free(s->fields);
        free(s->path);
        free(s->fullname);
        free(s->doc);
        free(s->owner);
        free(s->share);
    }
    free(cat->schemas);
    free(cat->entries);
}

int cmd_catalog(int argc, char **argv)
{
    struct cmd_parser p;
    const char *dir = "schemas", *topics_path = "broker-config/topics.yaml";
    const char *inv_path = "examples/xiangcheng/inventory.yaml", *format = "md", *out_path = NULL;
    struct catalog cat = {0};
    struct gdx_node *inv = NULL, *topics = NULL;
    char **rels = NULL;
    size_t nrels = 0;
    FILE *out = NULL;
    char err[1024];
    int status = GDX_EXIT_FAIL;
    int c;

    cmd_parser_init(&p, &cmd_catalog_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        switch (c) {
        case 's':
            dir = optarg;
            break;
        case 't':
            topics_path = optarg;
            break;
        case 'i':
            inv_path = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            cmd_help(stdout, &cmd_catalog_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (optind != argc || (strcmp(format, "md") != 0 && strcmp(format, "html") != 0)) {
        cmd_help(stderr, &cmd_catalog_doc);
        return GDX_EXIT_USAGE;
    }
    if (collect(dir, "", &rels, &nrels, 0) != 0) {
        goto out;
    }
    qsort(rels, nrels, sizeof(*rels), cmp_str);
    for (size_t i = 0; i < nrels; i++) {
        if (load_schema(&cat, dir, rels[i]) != 0) {
            goto out;
        }
    }
    inv = gdx_conf_load(inv_path, err, sizeof(err));
    if (!inv) {
        fprintf(stderr, "gdx catalog: %s\n", err);
        status = GDX_EXIT_CONFIG;
        goto out;
    }
    topics = gdx_conf_load(topics_path, err, sizeof(err));
    if (!topics) {
        fprintf(stderr, "gdx catalog: %s\n", err);
        status = GDX_EXIT_CONFIG;
        goto out;
    }
    if (map_inventory(&cat, inv, topics) != 0) {
        status = GDX_EXIT_CONFIG;
        goto out;
    }
    out = out_path ? fopen(out_path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "gdx catalog: cannot open '%s': %s\n", out_path, strerror(errno));
        goto out;
    }
    char *sources = xasprintf("%s/、%s、%s", dir, topics_path, inv_path);
    if (!strcmp(format, "html")) {
        write_html(out, &cat, sources);
    } else {
        write_md(out, &cat, sources);
    }
    free(sources);
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "gdx catalog: cannot write '%s': %s\n", out_path ? out_path : "stdout",
                strerror(errno));
        goto out;
    }
    status = GDX_EXIT_OK;
out:
    if (out && out != stdout && fclose(out) != 0 && status == GDX_EXIT_OK) {
        fprintf(stderr, "gdx catalog: cannot write '%s': %s\n", out_path, strerror(errno));
        status = GDX_EXIT_FAIL;
    }
    for (size_t i = 0; i < nrels; i++) {
        free(rels[i]);
    }
    free(rels);
    gdx_conf_destroy(inv);
    gdx_conf_destroy(topics);
    catalog_free(&cat);
    return status;
}
