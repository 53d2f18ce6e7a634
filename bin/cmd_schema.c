/*
 * gdx schema - lint schemas and check their compatibility.
 *
 *   gdx schema lint [PATH...]              every .avsc under PATH (default schemas/)
 *   gdx schema check NEW OLD... [--mode M] can NEW replace OLD... (oldest first) at level M
 *
 * Lint reports every problem as `file:line:col: message` on stderr and exits 1 if there was
 * any; check prints `compatible` or the reason naming the old file and the field, exit 0/1.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "gdx.h"
#include "gdx_compat.h"
#include "gdx_lint.h"

struct paths {
    char **v;
    size_t n, cap;
};

static void paths_add(struct paths *p, const char *s)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        p->v = realloc(p->v, p->cap * sizeof(*p->v));
        if (!p->v) {
            abort();
        }
    }
    p->v[p->n] = strdup(s);
    if (!p->v[p->n]) {
        abort();
    }
    p->n++;
}

static void paths_free(struct paths *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i]);
    }
    free(p->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Every *.avsc under @p dir (recursively) into @p out. */
static int collect(const char *dir, struct paths *out, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) {
        fprintf(stderr, "gdx schema: cannot open '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.') {
            continue;
        }
        size_t dlen = strlen(dir);
        while (dlen > 1 && dir[dlen - 1] == '/') {
            dlen--;
        }
        snprintf(path, sizeof(path), "%.*s/%s", (int)dlen, dir, e->d_name);
        if (stat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode) && depth < 16) {
            rc = collect(path, out, depth + 1);
        } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".avsc")) {
            paths_add(out, path);
        }
    }
    closedir(d);
    return rc;
}

static void print_problem(void *opaque, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "%s\n", msg);
}

enum { O_SPEC_ONLY = CMD_LONG(1) };

static const struct cmd_opt schema_opts[] = {
    {O_SPEC_ONLY, "spec-only", 0, CMD_NONE, NULL,
     "the Avro spec only, not gdx's labels and conventions", "lint"},
    {'m', "mode", 'm', CMD_REQ, "LEVEL",
     "backward, forward, full, backward_transitive, forward_transitive, full_transitive or "
     "none (default backward_transitive, gdx's rule)",
     "check"},
    CMD_OPT_END,
};

static const struct cmd_sub schema_subs[] = {
    {"lint", "[--spec-only] [PATH...]",
     "check Avro schemas (files, or every .avsc under a directory; default schemas/) against "
     "the Avro spec and gdx's rules: gdx.level and gdx.pi on every field, gdx.owner and "
     "gdx.share on the record, docs, naming; every problem as file:line:col, exit 1 if any"},
    {"check", "[--mode LEVEL] NEW OLD...",
     "check that schema NEW may follow the versions OLD... (oldest first) under Avro's schema "
     "resolution rules; prints 'compatible' or the reason"},
    {NULL, NULL, NULL},
};

const struct cmd_doc cmd_schema_doc = {
    .name = "schema",
    .summary = "lint schemas, check compatibility with previous versions",
    .subs = schema_subs,
    .opts = schema_opts,
    .exit_status = "0 ok, 1 a problem was found (lint) or the schemas are incompatible (check), "
                   "2 usage.",
    .see_also = "gdx-catalog(1)",
};

/* Parse a subcommand's options; @p sub names it for misplaced options. */
static int schema_getopt(struct cmd_parser *p, int argc, char **argv, const char *sub)
{
    int c = cmd_getopt(p, argc, argv);
    if (c > 0 && c != 'h' && c != '?') {
        for (const struct cmd_opt *o = schema_opts; o->id; o++) {
            if (o->id == c && o->subs && strcmp(o->subs, sub)) {
                cmd_opt_misplaced(&cmd_schema_doc, sub, c);
                return '?';
            }
        }
    }
    return c;
}

static int schema_lint(int argc, char **argv)
{
    struct cmd_parser p;
    unsigned flags = 0;
    int c;
    optind = 1;
    cmd_parser_init(&p, &cmd_schema_doc, 0);
    while ((c = schema_getopt(&p, argc, argv, "lint")) != -1) {
        switch (c) {
        case O_SPEC_ONLY:
            flags |= GDX_LINT_SPEC_ONLY;
            break;
        case 'h':
            cmd_help(stdout, &cmd_schema_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    struct paths files = {0};
    int status = GDX_EXIT_OK;
    static char default_dir[] = "schemas";
    char *defaults[] = {default_dir};
    char *const *args = optind < argc ? argv + optind : defaults;
    int nargs = optind < argc ? argc - optind : 1;
    for (int i = 0; i < nargs; i++) {
        struct stat st;
        if (stat(args[i], &st) != 0) {
            fprintf(stderr, "gdx schema lint: cannot open '%s': %s\n", args[i], strerror(errno));
            status = GDX_EXIT_FAIL;
            goto out;
        }
        if (S_ISDIR(st.st_mode)) {
            struct paths sub = {0};
            if (collect(args[i], &sub, 0) != 0) {
                paths_free(&sub);
                status = GDX_EXIT_FAIL;
                goto out;
            }
            qsort(sub.v, sub.n, sizeof(*sub.v), cmp_str);
            for (size_t k = 0; k < sub.n; k++) {
                paths_add(&files, sub.v[k]);
            }
            paths_free(&sub);
        } else {
            paths_add(&files, args[i]);
        }
    }
    if (files.n == 0) {
        fprintf(stderr, "gdx schema lint: no .avsc files found\n");
        status = GDX_EXIT_FAIL;
        goto out;
    }
    int problems = 0, bad_files = 0;
    for (size_t i = 0; i < files.n; i++) {
        char err[512];
        int n = gdx_lint_file(files.v[i], flags, print_problem, NULL, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "gdx schema lint: %s\n", err);
            n = 1;
        }
        problems += n;
        bad_files += n > 0;
    }
    if (problems) {
        fprintf(stderr, "gdx schema lint: %d problem%s in %d of %zu schema%s\n", problems,
                problems == 1 ? "" : "s", bad_files, files.n, files.n == 1 ? "" : "s");
        status = GDX_EXIT_FAIL;
    } else {
        printf("%zu schema%s ok\n", files.n, files.n == 1 ? "" : "s");
    }
out:
    paths_free(&files);
    return status;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "gdx schema check: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        abort();
    }
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            if (cap >= 16 * 1024 * 1024) {
                fprintf(stderr, "gdx schema check: '%s' is too large\n", path);
                free(buf);
                fclose(fp);
                return NULL;
            }
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) {
                abort();
            }
        }
    }
    buf[len] = '\0';
    fclose(fp);
    return buf;
}

static int schema_check(int argc, char **argv)
{
    struct cmd_parser p;
    int level = GDX_COMPAT_BACKWARD_TRANSITIVE;
    int c;
    optind = 1;
    cmd_parser_init(&p, &cmd_schema_doc, 0);
    while ((c = schema_getopt(&p, argc, argv, "check")) != -1) {
        switch (c) {
        case 'm':
            level = gdx_compat_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr, "gdx schema check: unknown mode '%s'\n", optarg);
                return GDX_EXIT_USAGE;
            }
            break;
        case 'h':
            cmd_help(stdout, &cmd_schema_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (argc - optind < 2) {
        cmd_help(stderr, &cmd_schema_doc);
        return GDX_EXIT_USAGE;
    }
    const char *new_path = argv[optind];
    size_t nold = (size_t)(argc - optind - 1);
    char **olds = calloc(nold, sizeof(*olds));
    char *new_text = slurp(new_path);
    int status = GDX_EXIT_FAIL;
    char err[2048];
    if (!olds) {
        abort();
    }
    if (!new_text) {
        goto out;
    }
    for (size_t i = 0; i < nold; i++) {
        olds[i] = slurp(argv[optind + 1 + i]);
        if (!olds[i]) {
            goto out;
        }
    }
    int rc = gdx_compat_check(new_text, (const char *const *)olds, nold,
                              (enum gdx_compat_level)level, err, sizeof(err));
    if (rc == GDX_OK) {
        printf("compatible\n");
        status = GDX_EXIT_OK;
        goto out;
    }
    if (rc != GDX_ERR_SCHEMA) {
        fprintf(stderr, "gdx schema check: %s\n", err);
        goto out;
    }
    /* name the old file the reason is about: the newest one that disagrees */
    int backward = level != GDX_COMPAT_FORWARD && level != GDX_COMPAT_FORWARD_TRANSITIVE;
    int forward = level != GDX_COMPAT_BACKWARD && level != GDX_COMPAT_BACKWARD_TRANSITIVE;
    int transitive = level == GDX_COMPAT_BACKWARD_TRANSITIVE ||
                     level == GDX_COMPAT_FORWARD_TRANSITIVE || level == GDX_COMPAT_FULL_TRANSITIVE;
    for (size_t k = nold; k-- > 0;) {
        char why[1024];
        const char *old_path = argv[optind + 1 + k];
        if (!transitive && k != nold - 1) {
            break;
        }
        if (backward && gdx_compat_can_read(new_text, olds[k], why, sizeof(why)) == 0) {
            printf("incompatible (%s): '%s' cannot read data written with '%s': %s\n",
                   gdx_compat_level_name((enum gdx_compat_level)level), new_path, old_path, why);
            goto out;
        }
        if (forward && gdx_compat_can_read(olds[k], new_text, why, sizeof(why)) == 0) {
            printf("incompatible (%s): '%s' cannot read data written with '%s': %s\n",
                   gdx_compat_level_name((enum gdx_compat_level)level), old_path, new_path, why);
            goto out;
        }
    }
    printf("incompatible: %s\n", err);
out:
    for (size_t i = 0; i < nold; i++) {
        free(olds[i]);
    }
    free(olds);
    free(new_text);
    return status;
}

int cmd_schema(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(stderr, &cmd_schema_doc);
        return GDX_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "lint")) {
        return schema_lint(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "check")) {
        return schema_check(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        cmd_help(stdout, &cmd_schema_doc);
        return GDX_EXIT_OK;
    }
    fprintf(stderr, "gdx schema: unknown subcommand '%s'\n", argv[1]);
    cmd_help(stderr, &cmd_schema_doc);
    return GDX_EXIT_USAGE;
}
