/*
 * gdx_deploy.c - the deployment file (see gdx_deploy.h for its keys).
 *
 * The file is read once per client configuration; nothing is kept between calls (lib/ holds
 * no process state). Invariants: a secret never comes from the file's own text, only from the
 * environment or from a secret file (gdx_secret_file_read refuses one that group or others can
 * read), and every secret is registered for log redaction as it is read; merging never
 * overrides what a client's own config says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gdx_conf.h"
#include "gdx_deploy.h"
#include "gdx_err.h"
#include "gdx_log.h"
#include "gdx_util.h"

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void gdx_deploy_destroy(struct gdx_deploy *d)
{
    if (!d) {
        return;
    }
    free(d->path);
    gdx_kafka_conf_release(&d->kafka);
    gdx_tls_release(&d->tls);
    free(d->registry_url);
    free_secret(d->registry_auth);
    free(d->offsets_topic);
    free(d);
}

/* Only comments and blank lines: an example file nobody filled in yet. */
static int only_comments(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int empty = 1;
    if (!f) {
        return 0;
    }
    while (empty && fgets(line, sizeof(line), f)) {
        const char *p = line + strspn(line, " \t\r\n");
        if (*p && *p != '#') {
            empty = 0;
        }
    }
    fclose(f);
    return empty;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : NULL;
}

static int scalar_copy(const struct gdx_node *root, const char *key, char **out, char *errstr,
                       size_t errstr_size)
{
    const struct gdx_node *n = gdx_conf_get(root, key);
    const char *v;
    int err;
    if (!n) {
        return GDX_OK;
    }
    if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
        return err;
    }
    free(*out);
    *out = gdx_xstrdup(v);
    return GDX_OK;
}

int gdx_deploy_load_file(struct gdx_deploy **out, const char *path, char *errstr,
                         size_t errstr_size)
{
    static const char *const keys[] = {"kafka",
                                       "tls",
                                       "schema.registry.url",
                                       "schema.registry.basic.auth.user.info",
                                       "schema.registry.basic.auth.user.info.file",
                                       "offsets.topic",
                                       NULL};
    struct gdx_deploy *d = gdx_xcalloc(1, sizeof(*d));
    struct gdx_node *root = NULL;
    const struct gdx_node *n;
    char *dir = NULL, where[300];
    int err = GDX_OK;

    *out = d;
    if (!path || only_comments(path)) {
        return GDX_OK;
    }
    d->path = gdx_xstrdup(path);
    dir = dir_of(path);
    if (!(root = gdx_conf_load(path, errstr, errstr_size))) {
        err = GDX_ERR_CONFIG;
        goto out;
    }
    if ((err = gdx_conf_only_keys(root, keys, errstr, errstr_size))) {
        goto out;
    }
    if ((n = gdx_conf_get(root, "kafka")) &&
        (err = gdx_kafka_conf_parse_secure(n, dir, 1, &d->kafka, errstr, errstr_size))) {
        goto out;
    }
    if ((err = gdx_tls_parse(gdx_conf_get(root, "tls"), dir, &d->tls, errstr, errstr_size)) ||
        (err = scalar_copy(root, "schema.registry.url", &d->registry_url, errstr, errstr_size)) ||
        (err = scalar_copy(root, "offsets.topic", &d->offsets_topic, errstr, errstr_size))) {
        goto out;
    }
    if ((n = gdx_conf_get(root, "schema.registry.basic.auth.user.info"))) {
        if (!n->from_env) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: schema.registry.basic.auth.user.info is a secret: take it "
                             "from the environment (${NAME}) or use "
                             "schema.registry.basic.auth.user.info.file",
                             gdx_conf_where(n, where, sizeof(where)));
            goto out;
        }
        d->registry_auth = gdx_xstrdup(n->value);
        gdx_log_add_secret(d->registry_auth);
    }
    if ((n = gdx_conf_get(root, "schema.registry.basic.auth.user.info.file"))) {
        char reason[700], *p;
        const char *v;
        if ((err = gdx_conf_scalar(n, &v, errstr, errstr_size))) {
            goto out;
        }
        p = gdx_path_join(dir, v);
        free_secret(d->registry_auth);
        d->registry_auth = NULL;
        err = gdx_secret_file_read(p, &d->registry_auth, reason, sizeof(reason));
        free(p);
        if (err) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                             gdx_conf_where(n, where, sizeof(where)), reason);
            goto out;
        }
    }
    if (d->registry_auth) {
        const char *pw = strchr(d->registry_auth, ':');
        if (!pw) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: the registry's basic auth must be 'user:password'", path);
            goto out;
        }
        if (pw[1]) {
            gdx_log_add_secret(pw + 1);
        }
    }
out:
    free(dir);
    gdx_conf_destroy(root);
    if (err) {
        gdx_deploy_destroy(d);
        *out = NULL;
    }
    return err;
}

int gdx_deploy_load(struct gdx_deploy **out, char *errstr, size_t errstr_size)
{
    const char *env = getenv("GDX_DEPLOYMENT");
    if (env) {
        return gdx_deploy_load_file(out, *env ? env : NULL, errstr, errstr_size);
    }
    return gdx_deploy_load_file(out,
                                access(GDX_DEPLOY_DEFAULT, F_OK) == 0 ? GDX_DEPLOY_DEFAULT : NULL,
                                errstr, errstr_size);
}

void gdx_deploy_kafka_merge(const struct gdx_deploy *d, struct gdx_kafka_conf *kc)
{
    size_t have = kc->nprops;
    if (!d) {
        return;
    }
    if (!kc->bootstrap && d->kafka.bootstrap) {
        kc->bootstrap = gdx_xstrdup(d->kafka.bootstrap);
    }
    kc->props = gdx_xrealloc(kc->props, (2 * (kc->nprops + d->kafka.nprops) + 1) * sizeof(char *));
    for (size_t i = 0; i < d->kafka.nprops; i++) {
        int set = 0;
        for (size_t k = 0; k < have; k++) {
            set |= !strcmp(kc->props[2 * k], d->kafka.props[2 * i]);
        }
        if (!set) {
            kc->props[2 * kc->nprops] = gdx_xstrdup(d->kafka.props[2 * i]);
            kc->props[2 * kc->nprops + 1] = gdx_xstrdup(d->kafka.props[2 * i + 1]);
            kc->nprops++;
        }
    }
    kc->props[2 * kc->nprops] = NULL;
}

int gdx_deploy_kafka_conf(struct gdx_kafka_conf *kc, const char *bootstrap, char *errstr,
                          size_t errstr_size)
{
    struct gdx_deploy *d = NULL;
    int err = gdx_deploy_load(&d, errstr, errstr_size);
    memset(kc, 0, sizeof(*kc));
    if (err) {
        return err;
    }
    kc->bootstrap = gdx_xstrdup(bootstrap);
    gdx_deploy_kafka_merge(d, kc);
    gdx_deploy_destroy(d);
    return GDX_OK;
}

void gdx_deploy_tls(const struct gdx_deploy *d, struct gdx_tls *tls)
{
    struct gdx_tls mine = *tls;
    if (!d) {
        return;
    }
    memset(tls, 0, sizeof(*tls));
    gdx_tls_merge(tls, &d->tls);
    gdx_tls_merge(tls, &mine);
    gdx_tls_release(&mine);
}

char *gdx_deploy_expand(const char *tmpl, const char *unit)
{
    const char *at = strstr(tmpl, "{unit}");
    char *out;
    if (!at) {
        return gdx_xstrdup(tmpl);
    }
    out = gdx_xcalloc(1, strlen(tmpl) + strlen(unit) + 1);
    memcpy(out, tmpl, (size_t)(at - tmpl));
    strcat(out, unit);
    strcat(out, at + 6);
    return out;
}
