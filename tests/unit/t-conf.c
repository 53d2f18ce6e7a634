/*
 * t-conf.c - the strict YAML loader and property binding (lib/gdx_conf.c).
 *
 * Every refusal is checked with its full message, so a position that drifts by one line or
 * column fails here. Documents are loaded from memory under the name "hotline.yaml", except
 * where the file path itself matters (size limit, digest, open errors).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gdx_conf.h"
#include "gdx_log.h"
#include "tap.h"

static char errstr[512];
static char tmpdir[256];

static struct gdx_node *load(const char *yaml)
{
    errstr[0] = '\0';
    return gdx_conf_load_mem("hotline.yaml", yaml, strlen(yaml), errstr, sizeof(errstr));
}

/* Loading @p yaml must fail with exactly @p want */
static void refuses(const char *yaml, const char *want, const char *name)
{
    struct gdx_node *root = load(yaml);
    ok(root == NULL, "%s: refused", name);
    is_str(errstr, want, "%s: message", name);
    gdx_conf_destroy(root);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        diag("cannot write '%s': %s", path, strerror(errno));
        exit(1);
    }
}

static void test_tree(void)
{
    const char *yaml = "# 12345 市民服务热线 工单\n"
                       "unit: hotline12345\n"
                       "source:\n"
                       "  path: /data/12345/工单\n"
                       "  topics: [gov.hotline12345.workorders.workorder, \"b\"]\n"
                       "  title: '市民热线'\n"
                       "  empty:\n";
    struct gdx_node *root = load(yaml), *src, *n;
    char where[128];

    ok(root != NULL, "tree: loads (%s)", errstr);
    if (!root) {
        return;
    }
    is_int(root->type, GDX_NODE_MAP, "tree: root is a map");
    is_int(root->nkids, 2, "tree: two top-level keys");
    src = gdx_conf_get(root, "source");
    ok(src && src->type == GDX_NODE_MAP, "tree: source is a map");
    if (!src) {
        gdx_conf_destroy(root);
        return;
    }
    is_int(src->key_line, 3, "tree: source key line");
    is_int(src->key_col, 1, "tree: source key col");
    is_int(src->line, 4, "tree: source value line");
    is_int(src->col, 3, "tree: source value col");
    n = gdx_conf_get(src, "path");
    is_str(n ? n->value : NULL, "/data/12345/工单", "tree: utf-8 value kept");
    is_int(n ? n->line : 0, 4, "tree: path line");
    is_int(n ? n->col : 0, 9, "tree: path col");
    is_int(n ? n->key_col : 0, 3, "tree: path key col");
    is_str(gdx_conf_where(n, where, sizeof(where)), "hotline.yaml:4:9", "tree: where");
    n = gdx_conf_get(src, "topics");
    ok(n && n->type == GDX_NODE_SEQ && n->nkids == 2, "tree: flow sequence");
    if (n && n->nkids == 2) {
        is_str(n->kids[0]->value, "gov.hotline12345.workorders.workorder", "tree: seq item");
        is_int(n->kids[1]->quoted, 1, "tree: quoted item marked");
        is_int(n->kids[0]->quoted, 0, "tree: plain item not quoted");
        is_int(n->kids[1]->col, 51, "tree: seq item col");
        ok(n->kids[0]->key == NULL, "tree: seq items have no key");
    }
    n = gdx_conf_get(src, "title");
    is_str(n ? n->value : NULL, "市民热线", "tree: single-quoted value");
    n = gdx_conf_get(src, "empty");
    ok(n && n->type == GDX_NODE_SCALAR && n->value[0] == '\0' && !n->quoted,
       "tree: empty value is a plain empty scalar");
    ok(gdx_conf_get(src, "nope") == NULL, "tree: get of a missing key is NULL");
    ok(gdx_conf_get(n, "x") == NULL, "tree: get on a scalar is NULL");
    gdx_conf_destroy(root);
    gdx_conf_destroy(NULL);
    ok(1, "tree: destroy(NULL) is a no-op");
}

static void test_refusals(void)
{
    refuses("unit: a\nsource:\n  path: x\n  path: y\n",
            "hotline.yaml:4:3: duplicate key 'path' (first at 3:3)", "duplicate key");
    refuses("a: 1\nb: 2\na: 3\n", "hotline.yaml:3:1: duplicate key 'a' (first at 1:1)",
            "duplicate top-level key");
    refuses("m: {x: 1, y: 2, x: 3}\n", "hotline.yaml:1:17: duplicate key 'x' (first at 1:5)",
            "duplicate flow key");
    refuses("a: &x 1\n", "hotline.yaml:1:4: anchors are not allowed ('&x')", "anchor on scalar");
    refuses("a: &m\n  b: 1\n", "hotline.yaml:1:4: anchors are not allowed ('&m')", "anchor on map");
    refuses("a: 市民热线\nb: [市民, *x]\n", "hotline.yaml:2:9: aliases are not allowed ('*x')",
            "alias, columns count characters");
    refuses("a: &a [1, 2]\nb: [*a, *a, *a]\n", "hotline.yaml:1:4: anchors are not allowed ('&a')",
            "alias bomb refused at the anchor");
    refuses("a: !!str 5\n", "hotline.yaml:1:4: tags are not allowed ('tag:yaml.org,2002:str')",
            "tag");
    refuses("a:\n  - !custom x\n", "hotline.yaml:2:5: tags are not allowed ('!custom')",
            "local tag");
    refuses("a: 1\n---\nb: 2\n", "hotline.yaml:2:1: multiple documents are not allowed",
            "second document");
    refuses("? [a, b]\n: 1\n", "hotline.yaml:1:3: keys must be scalars", "complex key");
    refuses("", "hotline.yaml: file is empty", "empty file");
    refuses("# 只有注释\n\n", "hotline.yaml: file is empty", "comments only");
    refuses("---\n", "hotline.yaml: file is empty", "empty document");
    refuses("- a\n- b\n", "hotline.yaml:1:1: root must be a map", "root is a sequence");
    refuses("\n  热线\n", "hotline.yaml:2:3: root must be a map", "root is a scalar");
    refuses("a: \"x\\0y\"\n", "hotline.yaml:1:4: NUL characters are not allowed", "NUL in value");
    refuses("a: [1, 2\nb: 3\n",
            "hotline.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence "
            "at 1:4)",
            "syntax error names libyaml's problem and context");
    refuses("a: 1\n\tb: 2\n",
            "hotline.yaml:2:1: found a tab character that violates indentation (while scanning "
            "a plain scalar at 1:4)",
            "tab indentation");
    refuses("a: \xff\xfe\n", "hotline.yaml:1:4: invalid leading UTF-8 octet at byte offset 3",
            "invalid utf-8");
}

/* k: [[[...]]] with @p nseq sequences inside the root map */
static void test_depth(void)
{
    char buf[256], want[128];
    size_t o;
    struct gdx_node *root;
    int nseq;

    nseq = GDX_CONF_MAX_DEPTH - 1; /* root map + 15 sequences = 16 levels */
    o = (size_t)snprintf(buf, sizeof(buf), "k: ");
    for (int i = 0; i < nseq; i++) {
        buf[o++] = '[';
    }
    for (int i = 0; i < nseq; i++) {
        buf[o++] = ']';
    }
    buf[o++] = '\n';
    buf[o] = '\0';
    root = load(buf);
    ok(root != NULL, "depth: %d levels load (%s)", GDX_CONF_MAX_DEPTH, errstr);
    gdx_conf_destroy(root);

    nseq = GDX_CONF_MAX_DEPTH;
    o = (size_t)snprintf(buf, sizeof(buf), "k: ");
    for (int i = 0; i < nseq; i++) {
        buf[o++] = '[';
    }
    for (int i = 0; i < nseq; i++) {
        buf[o++] = ']';
    }
    buf[o++] = '\n';
    buf[o] = '\0';
    snprintf(want, sizeof(want), "hotline.yaml:1:%d: nesting deeper than %d levels",
             3 + GDX_CONF_MAX_DEPTH, GDX_CONF_MAX_DEPTH);
    refuses(buf, want, "depth: one level too deep");

    /* block maps: the position is the first key of the map that is too deep */
    o = 0;
    for (int i = 0; i < GDX_CONF_MAX_DEPTH + 1; i++) {
        for (int s = 0; s < i; s++) {
            buf[o++] = ' ';
        }
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%c:\n", 'a' + i);
    }
    snprintf(buf + o - 1, sizeof(buf) - o + 1, " x\n");
    snprintf(want, sizeof(want), "hotline.yaml:%d:%d: nesting deeper than %d levels",
             GDX_CONF_MAX_DEPTH + 1, GDX_CONF_MAX_DEPTH + 1, GDX_CONF_MAX_DEPTH);
    refuses(buf, want, "depth: nested block maps");

    /* a deep flow bomb is refused quickly, not parsed to the end */
    {
        size_t n = 200000;
        char *bomb = malloc(n * 2 + 8);
        struct timespec t0, t1;
        memcpy(bomb, "k: ", 3);
        memset(bomb + 3, '[', n);
        memset(bomb + 3 + n, ']', n);
        bomb[3 + 2 * n] = '\0';
        clock_gettime(CLOCK_MONOTONIC, &t0);
        root = gdx_conf_load_mem("hotline.yaml", bomb, 3 + 2 * n, errstr, sizeof(errstr));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ok(root == NULL && strstr(errstr, "nesting deeper than"), "depth: flow bomb refused");
        ok(t1.tv_sec - t0.tv_sec < 2, "depth: flow bomb refused in well under 2 s");
        gdx_conf_destroy(root);
        free(bomb);
    }
}

static void test_size(void)
{
    size_t n = GDX_CONF_MAX_BYTES + 1;
    char *big = malloc(n + 1), path[300], want[400];
    struct gdx_node *root;

    /* "a: xxxx...": a valid document, only too large */
    memcpy(big, "a: ", 3);
    memset(big + 3, 'x', n - 4);
    big[n - 1] = '\n';
    big[n] = '\0';
    root = gdx_conf_load_mem("hotline.yaml", big, n, errstr, sizeof(errstr));
    ok(root == NULL, "size: one byte over the limit refused from memory");
    is_str(errstr, "hotline.yaml: file is larger than 1048576 bytes", "size: message");
    gdx_conf_destroy(root);

    snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
    write_file(path, big, n);
    root = gdx_conf_load(path, errstr, sizeof(errstr));
    snprintf(want, sizeof(want), "%s: file is larger than 1048576 bytes", path);
    ok(root == NULL, "size: too large file refused");
    is_str(errstr, want, "size: file message names the path");
    gdx_conf_destroy(root);

    /* exactly at the limit loads */
    big[n - 2] = '\n';
    root = gdx_conf_load_mem("hotline.yaml", big, n - 1, errstr, sizeof(errstr));
    ok(root != NULL, "size: exactly the limit loads (%s)", errstr);
    gdx_conf_destroy(root);
    free(big);

    /* many keys: duplicate detection stays fast */
    {
        size_t cap = 60000 * 16, o = 0;
        char *many = malloc(cap);
        struct timespec t0, t1;
        size_t small = 0;
        for (int i = 0; i < 60000; i++) {
            o += (size_t)snprintf(many + o, cap - o, "k%d: %d\n", i, i);
            if (i == 5999) {
                small = o;
            }
        }
        /* linear, not quadratic: ten times the keys take about ten times as long (a
         * quadratic check would take a hundred times), whatever the machine's speed (a
         * loaded machine, valgrind); the best of three runs of each size */
        double best[2] = {1e30, 1e30};
        for (int run = 0; run < 6; run++) {
            size_t len = run % 2 ? o : small;
            struct gdx_node *r;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            r = gdx_conf_load_mem("hotline.yaml", many, len, errstr, sizeof(errstr));
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double ms =
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
            if (ms < best[run % 2]) {
                best[run % 2] = ms;
            }
            if (run == 5) {
                root = r;
            } else {
                gdx_conf_destroy(r);
            }
        }
        ok(root && root->nkids == 60000, "size: 60000 keys load (%s)", errstr);
        ok(best[1] < 40 * (best[0] > 0.05 ? best[0] : 0.05),
           "size: 60000 keys load in linear time (%.1f ms, 6000 keys %.1f ms)", best[1], best[0]);
        gdx_conf_destroy(root);
        o += (size_t)snprintf(many + o, cap - o, "k59999: again\n");
        refuses(many, "hotline.yaml:60001:1: duplicate key 'k59999' (first at 60000:1)",
                "size: duplicate among many keys");
        free(many);
    }
}

static void test_file(void)
{
    char path[300], want[400];
    struct gdx_node *root;
    const char *yaml = "source:\n  path: /data/热线\n  bach.size: 5\n";

    snprintf(path, sizeof(path), "%s/hotline.yaml", tmpdir);
    write_file(path, yaml, strlen(yaml));
    root = gdx_conf_load(path, errstr, sizeof(errstr));
    ok(root != NULL, "file: loads (%s)", errstr);
    if (root) {
        struct gdx_node *src = gdx_conf_get(root, "source");
        static const char *const allowed[] = {"path", "batch.size", NULL};
        is_str(src ? src->file : NULL, path, "file: nodes name the path");
        ok(gdx_conf_only_keys(src, allowed, errstr, sizeof(errstr)) == GDX_ERR_CONFIG,
           "file: only_keys refuses a typo");
        snprintf(want, sizeof(want),
                 "%s:3:3: unknown key 'bach.size' in 'source' (did you mean 'batch.size'?)", path);
        is_str(errstr, want, "file: only_keys message");
    }
    gdx_conf_destroy(root);

    snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
    root = gdx_conf_load(path, errstr, sizeof(errstr));
    snprintf(want, sizeof(want), "cannot open '%s': No such file or directory", path);
    ok(root == NULL, "file: missing file refused");
    is_str(errstr, want, "file: missing file message");

    root = gdx_conf_load(tmpdir, errstr, sizeof(errstr));
    snprintf(want, sizeof(want), "cannot read '%s': Is a directory", tmpdir);
    ok(root == NULL, "file: directory refused");
    is_str(errstr, want, "file: directory message");
}

static void test_env(void)
{
    struct gdx_node *root, *n;

    setenv("GDX_T_BROKERS", "10.8.0.1:9092", 1);
    setenv("GDX_T_EMPTY", "", 1);
    setenv("GDX_T_NESTED", "${GDX_T_BROKERS}", 1);
    unsetenv("GDX_T_UNSET");

    root = load("kafka:\n"
                "  bootstrap: \"${GDX_T_BROKERS},10.8.0.2:9092\"\n"
                "  plain: x${GDX_T_BROKERS}y\n"
                "  escaped: $${GDX_T_BROKERS} and $$ and $x and ${GDX_T_EMPTY}.\n"
                "  nested: ${GDX_T_NESTED}\n"
                "  ${GDX_T_BROKERS}: key\n"
                "  empty: ${GDX_T_EMPTY}\n");
    ok(root != NULL, "env: loads (%s)", errstr);
    if (root) {
        struct gdx_node *k = gdx_conf_get(root, "kafka");
        n = gdx_conf_get(k, "bootstrap");
        is_str(n ? n->value : NULL, "10.8.0.1:9092,10.8.0.2:9092", "env: substituted in quotes");
        is_int(n ? n->from_env : 0, 1, "env: from_env set");
        n = gdx_conf_get(k, "plain");
        is_str(n ? n->value : NULL, "x10.8.0.1:9092y", "env: substituted in plain text");
        n = gdx_conf_get(k, "escaped");
        is_str(n ? n->value : NULL, "${GDX_T_BROKERS} and $$ and $x and .",
               "env: $${ escapes, lone $ kept");
        n = gdx_conf_get(k, "nested");
        is_str(n ? n->value : NULL, "${GDX_T_BROKERS}", "env: values are not expanded twice");
        ok(gdx_conf_get(k, "${GDX_T_BROKERS}") != NULL, "env: keys are taken literally");
        n = gdx_conf_get(k, "empty");
        ok(n && n->value[0] == '\0' && n->from_env, "env: empty variable gives empty value");
    }
    gdx_conf_destroy(root);

    root = load("unit: hotline12345\n"
                "source:\n"
                "  password: ${GDX_T_UNSET}\n");
    ok(root == NULL, "env: unset variable refused");
    is_str(errstr, "hotline.yaml:3:13: environment variable 'GDX_T_UNSET' is not set",
           "env: unset message names the place");
    gdx_conf_destroy(root);

    refuses("a:\n  - ok\n  - \"前缀 ${GDX_T_UNSET}\"\n",
            "hotline.yaml:3:5: environment variable 'GDX_T_UNSET' is not set",
            "env: unset in a sequence item");
    refuses("a: ${GDX_T_BROKERS\n",
            "hotline.yaml:1:4: unterminated '${' in value (write '$${' for a literal '${')",
            "env: unterminated");
    refuses("a: x ${1BAD}\n",
            "hotline.yaml:1:4: invalid environment variable name '1BAD' in '${...}'",
            "env: bad name");
    refuses("a: ${}\n", "hotline.yaml:1:4: invalid environment variable name '' in '${...}'",
            "env: empty name");
    refuses("a: ${A:-default}\n",
            "hotline.yaml:1:4: invalid environment variable name 'A:-default' in '${...}'",
            "env: no shell defaults");
    unsetenv("GDX_T_BROKERS");
    unsetenv("GDX_T_EMPTY");
    unsetenv("GDX_T_NESTED");
}

struct src_inst {
    char *path;
    int64_t batch_size;
    int recursive;
    char *password;
    char **topics;
    int64_t interval_ms;
    int64_t max_bytes;
    char *mode;
    char *encoding;
    char **columns;
    int64_t offset_lag;
};

static const struct gdx_conf_prop src_props[] = {
    {"path", GDX_CONF_STR, offsetof(struct src_inst, path), NULL, NULL, "drop folder"},
    {"batch.size", GDX_CONF_INT, offsetof(struct src_inst, batch_size), "500", NULL, "rows"},
    {"recursive", GDX_CONF_BOOL, offsetof(struct src_inst, recursive), "false", NULL, "walk"},
    {"password", GDX_CONF_SECRET, offsetof(struct src_inst, password), NULL, NULL, "db pw"},
    {"topics", GDX_CONF_STRLIST, offsetof(struct src_inst, topics), "workorder, callback", NULL,
     "records"},
    {"poll.interval.ms", GDX_CONF_DURATION, offsetof(struct src_inst, interval_ms), "5s", NULL,
     "poll"},
    {"batch.max.bytes", GDX_CONF_SIZE, offsetof(struct src_inst, max_bytes), "1MiB", NULL, "bound"},
    {"mode", GDX_CONF_STR, offsetof(struct src_inst, mode), "append", "append|upsert|snapshot",
     "how"},
    {"encoding", GDX_CONF_STR, offsetof(struct src_inst, encoding), "utf-8", "utf-8|gb18030|gbk",
     "text"},
    {"columns", GDX_CONF_STRLIST, offsetof(struct src_inst, columns), "", NULL, "cols"},
    {"offset.lag", GDX_CONF_INT, offsetof(struct src_inst, offset_lag), "-3", NULL, "lag"},
    GDX_CONF_END,
};

/* Bind the `source` map of @p yaml; returns the bind result, errstr holds the message */
static int bind_src(const char *yaml, struct src_inst *inst)
{
    struct gdx_node *root = load(yaml);
    int rc;
    memset(inst, 0, sizeof(*inst));
    if (!root) {
        diag("load failed: %s", errstr);
        return -100;
    }
    rc = gdx_conf_bind(gdx_conf_get(root, "source"), "source", src_props, inst, "hotline.yaml",
                       errstr, sizeof(errstr));
    gdx_conf_destroy(root);
    return rc;
}

static int all_null(const struct src_inst *inst)
{
    return !inst->path && !inst->password && !inst->topics && !inst->mode && !inst->encoding &&
           !inst->columns;
}

static void bind_refuses(const char *yaml, const char *want, const char *name)
{
    struct src_inst inst;
    int rc = bind_src(yaml, &inst);
    is_int(rc, GDX_ERR_CONFIG, "%s: refused", name);
    is_str(errstr, want, "%s: message", name);
    ok(all_null(&inst), "%s: nothing left allocated", name);
    gdx_conf_unbind(src_props, &inst);
}

static void test_bind(void)
{
    struct src_inst inst;
    int rc;

    rc = bind_src("source:\n"
                  "  path: /data/12345/工单\n"
                  "  password: s3cr3t-口令\n",
                  &inst);
    is_int(rc, GDX_OK, "bind defaults: ok (%s)", errstr);
    is_str(inst.path, "/data/12345/工单", "bind defaults: path");
    is_int(inst.batch_size, 500, "bind defaults: int");
    is_int(inst.recursive, 0, "bind defaults: bool");
    is_str(inst.password, "s3cr3t-口令", "bind defaults: secret");
    ok(inst.topics && inst.topics[0] && inst.topics[1] && !inst.topics[2],
       "bind defaults: strlist of two");
    if (inst.topics && inst.topics[0] && inst.topics[1]) {
        is_str(inst.topics[0], "workorder", "bind defaults: strlist item 0");
        is_str(inst.topics[1], "callback", "bind defaults: strlist item 1 trimmed");
    }
    is_int(inst.interval_ms, 5000, "bind defaults: duration");
    is_int(inst.max_bytes, 1048576, "bind defaults: size");
    is_str(inst.mode, "append", "bind defaults: choice");
    ok(inst.columns && !inst.columns[0], "bind defaults: empty strlist");
    is_int(inst.offset_lag, -3, "bind defaults: negative int");
    gdx_conf_unbind(src_props, &inst);
    ok(all_null(&inst), "unbind: pointers cleared");
    gdx_conf_unbind(src_props, &inst);
    ok(1, "unbind: twice is harmless");

    rc = bind_src("source:\n"
                  "  path: /data/12345/工单\n"
                  "  password: \"${GDX_T_PW}\"\n"
                  "  batch.size: 2000\n"
                  "  recursive: yes\n"
                  "  topics:\n"
                  "    - 工单\n"
                  "    - 回访\n"
                  "    - \"督办\"\n"
                  "  poll.interval.ms: 250ms\n"
                  "  batch.max.bytes: 64KiB\n"
                  "  mode: upsert\n"
                  "  encoding: gb18030\n"
                  "  columns: []\n"
                  "  offset.lag: 9223372036854775807\n",
                  &inst);
    is_int(rc, -100, "bind: unset secret variable stops the load");
    setenv("GDX_T_PW", "Hx-2024-热线口令", 1);
    rc = bind_src("source:\n"
                  "  path: /data/12345/工单\n"
                  "  password: \"${GDX_T_PW}\"\n"
                  "  batch.size: 2000\n"
                  "  recursive: yes\n"
                  "  topics:\n"
                  "    - 工单\n"
                  "    - 回访\n"
                  "    - \"督办\"\n"
                  "  poll.interval.ms: 250ms\n"
                  "  batch.max.bytes: 64KiB\n"
                  "  mode: upsert\n"
                  "  encoding: gb18030\n"
                  "  columns: []\n"
                  "  offset.lag: 9223372036854775807\n",
                  &inst);
    is_int(rc, GDX_OK, "bind: all set (%s)", errstr);
    is_int(inst.batch_size, 2000, "bind: int");
    is_int(inst.recursive, 1, "bind: yes is true");
    is_str(inst.password, "Hx-2024-热线口令", "bind: secret from the environment");
    ok(inst.topics && inst.topics[0] && inst.topics[1] && inst.topics[2] && !inst.topics[3],
       "bind: strlist of three");
    if (inst.topics && inst.topics[2]) {
        is_str(inst.topics[2], "督办", "bind: strlist item");
    }
    is_int(inst.interval_ms, 250, "bind: duration");
    is_int(inst.max_bytes, 65536, "bind: size");
    is_str(inst.mode, "upsert", "bind: choice");
    is_str(inst.encoding, "gb18030", "bind: second choice");
    ok(inst.columns && !inst.columns[0], "bind: empty list");
    is_int(inst.offset_lag, INT64_MAX, "bind: int64 max");

    /* the secret is registered with the log: a line containing it is redacted */
    {
        char path[300], line[1024] = "";
        int fd, saved = dup(STDERR_FILENO);
        ssize_t n;
        snprintf(path, sizeof(path), "%s/log.txt", tmpdir);
        fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
        dup2(fd, STDERR_FILENO);
        gdx_logf(GDX_LOG_ERROR, "login failed with %s", inst.password);
        dup2(saved, STDERR_FILENO);
        close(saved);
        lseek(fd, 0, SEEK_SET);
        n = read(fd, line, sizeof(line) - 1);
        line[n > 0 ? n : 0] = '\0';
        close(fd);
        ok(strstr(line, "[redacted]") && !strstr(line, "Hx-2024"),
           "bind: secret redacted from the log");
    }
    gdx_conf_unbind(src_props, &inst);
    unsetenv("GDX_T_PW");

    /* `source:` with nothing under it and no section at all */
    bind_refuses("unit: x\nsource:\n", "hotline.yaml:2:1: missing required key 'path' in 'source'",
                 "bind: empty section");
    {
        struct gdx_node *root = load("unit: hotline12345\n");
        memset(&inst, 0, sizeof(inst));
        rc = gdx_conf_bind(gdx_conf_get(root, "source"), "source", src_props, &inst,
                           "hotline.yaml:1:1", errstr, sizeof(errstr));
        is_int(rc, GDX_ERR_CONFIG, "bind: absent section refused");
        is_str(errstr, "hotline.yaml:1:1: missing required key 'path' in 'source'",
               "bind: absent section reported at parent_where");
        ok(all_null(&inst), "bind: absent section leaves nothing");
        gdx_conf_destroy(root);
    }
    bind_refuses("unit: x\n\nsource:\n  password: pw-1234\n",
                 "hotline.yaml:3:1: missing required key 'path' in 'source'",
                 "bind: missing required at the section key");
    bind_refuses("unit: x\nsource: {path: /a}\n",
                 "hotline.yaml:2:1: missing required key 'password' in 'source'",
                 "bind: missing required in a flow map");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  bach.size: 5\n",
                 "hotline.yaml:4:3: unknown key 'bach.size' in 'source' "
                 "(did you mean 'batch.size'?)",
                 "bind: unknown key with a suggestion");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  poll.interval: 5s\n",
                 "hotline.yaml:4:3: unknown key 'poll.interval' in 'source' "
                 "(did you mean 'poll.interval.ms'?)",
                 "bind: unknown key missing its unit");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  batch:\n    size: 5\n",
                 "hotline.yaml:4:3: unknown key 'batch' in 'source' "
                 "(did you mean 'batch.size'?)",
                 "bind: nested instead of dotted");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  负责人: 张三\n",
                 "hotline.yaml:4:3: unknown key '负责人' in 'source' (valid keys: path, "
                 "batch.size, recursive, password, topics, poll.interval.ms, batch.max.bytes, "
                 "mode, ...)",
                 "bind: unknown key lists valid keys");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  mode: upsret\n",
                 "hotline.yaml:4:9: invalid value 'upsret' for 'mode' in 'source' (expected one "
                 "of: append, upsert, snapshot; did you mean 'upsert'?)",
                 "bind: bad choice");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  encoding: big5\n",
                 "hotline.yaml:4:13: invalid value 'big5' for 'encoding' in 'source' (expected "
                 "one of: utf-8, gb18030, gbk)",
                 "bind: bad choice without a suggestion");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  batch.size: 500x\n",
                 "hotline.yaml:4:15: invalid integer '500x' for 'batch.size' in 'source'",
                 "bind: int trailing garbage");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  batch.size: 9223372036854775808\n",
                 "hotline.yaml:4:15: integer '9223372036854775808' for 'batch.size' in "
                 "'source' is out of range",
                 "bind: int overflow");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  batch.size: \"500\"\n",
                 "hotline.yaml:4:15: 'batch.size' in 'source' must be an integer, not a quoted "
                 "string",
                 "bind: quoted int");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  batch.size: 0500\n",
                 "hotline.yaml:4:15: invalid integer '0500' for 'batch.size' in 'source'",
                 "bind: leading zero refused");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  recursive: 'yes'\n",
                 "hotline.yaml:4:14: 'recursive' in 'source' must be true or false, not a "
                 "quoted string",
                 "bind: quoted bool");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  recursive: 是\n",
                 "hotline.yaml:4:14: invalid boolean '是' for 'recursive' in 'source' (use "
                 "true/false, yes/no or on/off)",
                 "bind: bad bool");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  poll.interval.ms: 5 s\n",
                 "hotline.yaml:4:21: invalid duration '5 s' for 'poll.interval.ms' in 'source' "
                 "(use 500ms, 5s, 2m, 1h, 1d or a number of milliseconds)",
                 "bind: bad duration");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  batch.max.bytes: 1.5MiB\n",
                 "hotline.yaml:4:20: invalid size '1.5MiB' for 'batch.max.bytes' in 'source' "
                 "(use 64KiB, 1MiB, 1GiB, 10MB or a number of bytes)",
                 "bind: bad size");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  topics: 工单\n",
                 "hotline.yaml:4:11: 'topics' in 'source' must be a list, not a scalar",
                 "bind: strlist from a scalar");
    bind_refuses("source:\n  path: /a\n  password: pw-1234\n  topics: [a, [b]]\n",
                 "hotline.yaml:4:15: items of 'topics' in 'source' must be strings, not a list",
                 "bind: strlist with a nested list");
    bind_refuses("source:\n  path: [a]\n  password: pw-1234\n",
                 "hotline.yaml:2:9: 'path' in 'source' must be a scalar, not a list",
                 "bind: string from a list");
    bind_refuses("source:\n  path:\n  password: pw-1234\n",
                 "hotline.yaml:2:3: 'path' in 'source' has no value", "bind: null value");
    bind_refuses("source: [path]\n", "hotline.yaml:1:9: 'source' must be a map, not a list",
                 "bind: section not a map");

    /* a value from the environment is not echoed in messages */
    setenv("GDX_T_PW", "hunter2-口令", 1);
    bind_refuses("source:\n  path: /a\n  password: x\n  batch.size: ${GDX_T_PW}\n",
                 "hotline.yaml:4:15: invalid integer from the environment for 'batch.size' in "
                 "'source'",
                 "bind: environment value not shown");
    unsetenv("GDX_T_PW");

    /* a bad default is reported (the connector author's bug) */
    {
        struct {
            int64_t x;
        } bad;
        static const struct gdx_conf_prop bad_props[] = {
            {"x", GDX_CONF_DURATION, 0, "5 minutes", NULL, "x"},
            GDX_CONF_END,
        };
        rc = gdx_conf_bind(NULL, "source", bad_props, &bad, NULL, errstr, sizeof(errstr));
        is_int(rc, GDX_ERR_CONFIG, "bind: bad default refused");
        is_str(errstr, "invalid default '5 minutes' for 'x' in 'source'", "bind: bad default msg");
    }
}

static void test_helpers(void)
{
    struct gdx_node *root =
        load("a: 42\nb: -7\nc: on\nd: Off\ne: 1500\nf: 2m\ng: 10MB\nh: [1]\ni: 1d\nj: 1GiB\n"
             "k: \"热线\"\nl: ~\nm: 100000\n");
    int64_t v = 0;
    int b = -1;
    const char *s = NULL;

    ok(root != NULL, "helpers: loads (%s)", errstr);
    if (!root) {
        return;
    }
    is_int(gdx_conf_int(gdx_conf_get(root, "a"), 0, 100, &v, errstr, sizeof(errstr)), GDX_OK,
           "int: in range");
    is_int(v, 42, "int: value");
    is_int(gdx_conf_int(gdx_conf_get(root, "b"), -10, 10, &v, errstr, sizeof(errstr)), GDX_OK,
           "int: negative");
    is_int(v, -7, "int: negative value");
    is_int(gdx_conf_int(gdx_conf_get(root, "m"), 1, 65535, &v, errstr, sizeof(errstr)),
           GDX_ERR_CONFIG, "int: out of range");
    is_str(errstr, "hotline.yaml:13:4: 'm' must be between 1 and 65535, not 100000",
           "int: range message");
    is_int(gdx_conf_bool(gdx_conf_get(root, "c"), &b, errstr, sizeof(errstr)), GDX_OK, "bool: on");
    is_int(b, 1, "bool: on is true");
    is_int(gdx_conf_bool(gdx_conf_get(root, "d"), &b, errstr, sizeof(errstr)), GDX_OK, "bool: Off");
    is_int(b, 0, "bool: Off is false");
    is_int(gdx_conf_duration(gdx_conf_get(root, "e"), &v, errstr, sizeof(errstr)), GDX_OK,
           "duration: plain");
    is_int(v, 1500, "duration: plain number is ms");
    gdx_conf_duration(gdx_conf_get(root, "f"), &v, errstr, sizeof(errstr));
    is_int(v, 120000, "duration: minutes");
    gdx_conf_duration(gdx_conf_get(root, "i"), &v, errstr, sizeof(errstr));
    is_int(v, 86400000, "duration: days");
    gdx_conf_size(gdx_conf_get(root, "g"), &v, errstr, sizeof(errstr));
    is_int(v, 10000000, "size: MB is decimal");
    gdx_conf_size(gdx_conf_get(root, "j"), &v, errstr, sizeof(errstr));
    is_int(v, 1073741824, "size: GiB is binary");
    is_int(gdx_conf_scalar(gdx_conf_get(root, "k"), &s, errstr, sizeof(errstr)), GDX_OK,
           "scalar: ok");
    is_str(s, "热线", "scalar: value");
    is_int(gdx_conf_scalar(gdx_conf_get(root, "h"), &s, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "scalar: list refused");
    is_str(errstr, "hotline.yaml:8:4: 'h' must be a scalar, not a list", "scalar: message");
    is_int(gdx_conf_scalar(gdx_conf_get(root, "l"), &s, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "scalar: null refused");
    is_str(errstr, "hotline.yaml:12:1: 'l' has no value", "scalar: null message");
    {
        static const char *const allowed[] = {"a", "b", NULL};
        is_int(gdx_conf_only_keys(root, allowed, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
               "only_keys: refuses");
        is_str(errstr, "hotline.yaml:3:1: unknown key 'c' (valid keys: a, b)",
               "only_keys: root message");
    }
    gdx_conf_destroy(root);

    {
        static const struct {
            const char *text;
            int64_t ms;
        } durs[] = {
            {"0", 0},
            {"500ms", 500},
            {"5s", 5000},
            {"2m", 120000},
            {"1h", 3600000},
            {"1d", 86400000},
            {"-1s", -1},
            {"1.5s", -1},
            {"5S", -1},
            {"", -1},
            {"s", -1},
            {"5sec", -1},
            {" 5s", -1},
            {"99999999999999999999", -1},
            {"9223372036854776s", -1},
            {"106751991168d", -1},
            {"106751991167d", 9223372036828800000LL},
        };
        for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
            int64_t got = -1;
            int rc = gdx_parse_duration(durs[i].text, &got);
            if (durs[i].ms < 0) {
                is_int(rc, -1, "parse_duration('%s') refused", durs[i].text);
            } else {
                ok(rc == 0 && got == durs[i].ms, "parse_duration('%s') = %lld", durs[i].text,
                   (long long)durs[i].ms);
            }
        }
    }
    {
        static const struct {
            const char *text;
            int64_t bytes;
        } sizes[] = {
            {"0", 0},           {"100", 100},          {"100B", 100},
            {"64KiB", 65536},   {"1MiB", 1048576},     {"1GiB", 1073741824},
            {"10MB", 10000000}, {"2kB", 2000},         {"1TiB", 1099511627776LL},
            {"1mb", -1},        {"1 MiB", -1},         {"-1", -1},
            {"1K", -1},         {"9999999999TiB", -1}, {"", -1},
        };
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            int64_t got = -1;
            int rc = gdx_parse_size(sizes[i].text, &got);
            if (sizes[i].bytes < 0) {
                is_int(rc, -1, "parse_size('%s') refused", sizes[i].text);
            } else {
                ok(rc == 0 && got == sizes[i].bytes, "parse_size('%s') = %lld", sizes[i].text,
                   (long long)sizes[i].bytes);
            }
        }
    }
}

static void test_digest(void)
{
    char path[300], out[65], want[400];
    snprintf(path, sizeof(path), "%s/abc.yaml", tmpdir);
    write_file(path, "abc", 3);
    is_int(gdx_conf_digest(path, out, errstr, sizeof(errstr)), GDX_OK, "digest: ok");
    is_str(out, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
           "digest: SM3 test vector");
    snprintf(path, sizeof(path), "%s/none.yaml", tmpdir);
    is_int(gdx_conf_digest(path, out, errstr, sizeof(errstr)), GDX_ERR_IO, "digest: missing");
    snprintf(want, sizeof(want), "cannot open '%s': No such file or directory", path);
    is_str(errstr, want, "digest: missing message");
}

int main(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof(tmpdir), "%s/t-conf.XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        diag("mkdtemp: %s", strerror(errno));
        return 1;
    }
    test_tree();
    test_refusals();
    test_depth();
    test_size();
    test_file();
    test_env();
    test_bind();
    test_helpers();
    test_digest();

    {
        static const char *const names[] = {"big.yaml", "hotline.yaml", "log.txt", "abc.yaml"};
        char path[400];
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
            unlink(path);
        }
        rmdir(tmpdir);
    }
    gdx_log_clear_secrets();
    return done_testing();
}
