/*
 * fuzz-deploy.c - the host's deployment file (lib/gdx_deploy.c: Kafka, TLS, registry and
 * offsets settings every gdx client starts from), with the secret files it may name.
 *
 * Input: the deployment file's YAML. Its scratch folder holds secret files it can name by
 * relative path: kafka.password and registry.auth (mode 0600), open.password (0644), and
 * pipe.secret, a FIFO. Inputs naming /dev, /proc, /sys or a librdkafka plugin are skipped:
 * the loader would read or load what is there, which is the host's, not the input's.
 * Properties:
 *   - a refused file names itself (`FILE:LINE:COL: reason` or `FILE: reason`), and nothing
 *     the loader reads blocks (a FIFO named as a secret file is refused at once);
 *   - an accepted file: every scalar of its kafka map is a property of the result (a
 *     `.file` key as the secret property it names), none of them a secret written in the
 *     file itself; the registry URL and offsets topic as written; the registry's basic auth
 *     is user:password; merged into an empty client config, every property once;
 *   - gdx_deploy_expand puts the unit in place of the first {unit} only.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "gdx_conf.h"
#include "gdx_deploy.h"
#include "gdx_err.h"
#include "gdx_kafka.h"

static void secret(const char *name, const char *text, mode_t mode)
{
    char *p = fuzz_write(name, text, strlen(text));
    FUZZ_CHECK(chmod(p, mode) == 0);
    free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[512];
    (void)argc;
    (void)argv;
    fuzz_quiet();
    secret("kafka.password", "xcs-kafka-password-2026\n", 0600);
    secret("registry.auth", "gdx:registry-secret-2026\n", 0600);
    secret("registry.bad", "no-colon-here\n", 0600);
    secret("open.password", "everyone-can-read-this\n", 0644);
    snprintf(path, sizeof(path), "%s/pipe.secret", fuzz_tmpdir());
    FUZZ_CHECK(mkfifo(path, 0600) == 0);
    return 0;
}

static const char *prop(const struct gdx_kafka_conf *kc, const char *name)
{
    for (size_t i = 0; i < kc->nprops; i++) {
        if (!strcmp(kc->props[2 * i], name)) {
            return kc->props[2 * i + 1];
        }
    }
    return NULL;
}

static void check_accepted(const struct gdx_deploy *d, const char *path, const uint8_t *data,
                           size_t size)
{
    char err[512];
    struct gdx_node *root = gdx_conf_load_mem(path, (const char *)data, size, err, sizeof(err));
    const struct gdx_node *k, *n;
    struct gdx_kafka_conf merged;

    if (!root) {
        return; /* only comments: an empty deployment */
    }
    if ((k = gdx_conf_get(root, "kafka"))) {
        for (size_t i = 0; i < k->nkids; i++) {
            const struct gdx_node *kid = k->kids[i];
            size_t kl = strlen(kid->key);
            if (kl > 5 && !strcmp(kid->key + kl - 5, ".file")) {
                char *name = strndup(kid->key, kl - 5);
                if (gdx_kafka_secret_prop(name)) {
                    FUZZ_CHECK(prop(&d->kafka, name) || !strcmp(name, "bootstrap.servers"));
                    free(name);
                    continue;
                }
                free(name);
            }
            FUZZ_CHECK(!gdx_kafka_secret_prop(kid->key) || kid->from_env);
            if (!strcmp(kid->key, "bootstrap.servers")) {
                FUZZ_CHECK(d->kafka.bootstrap && !strcmp(d->kafka.bootstrap, kid->value));
            } else {
                const char *v = prop(&d->kafka, kid->key);
                FUZZ_CHECK(v && kid->type == GDX_NODE_SCALAR);
            }
        }
    }
    if ((n = gdx_conf_get(root, "schema.registry.url"))) {
        FUZZ_CHECK(d->registry_url && !strcmp(d->registry_url, n->value));
    }
    if ((n = gdx_conf_get(root, "offsets.topic"))) {
        char *e;
        const char *at;
        FUZZ_CHECK(d->offsets_topic && !strcmp(d->offsets_topic, n->value));
        e = gdx_deploy_expand(d->offsets_topic, "minzheng");
        at = strstr(d->offsets_topic, "{unit}");
        if (!at) {
            FUZZ_CHECK(!strcmp(e, d->offsets_topic));
        } else {
            size_t pre = (size_t)(at - d->offsets_topic);
            FUZZ_CHECK(!strncmp(e, d->offsets_topic, pre) && !strncmp(e + pre, "minzheng", 8) &&
                       !strcmp(e + pre + 8, at + 6));
        }
        free(e);
    }
    if (d->registry_auth) {
        FUZZ_CHECK(strchr(d->registry_auth, ':'));
    }
    memset(&merged, 0, sizeof(merged));
    gdx_deploy_kafka_merge(d, &merged);
    FUZZ_CHECK(merged.nprops == d->kafka.nprops);
    for (size_t i = 0; i < d->kafka.nprops; i++) {
        const char *v = prop(&merged, d->kafka.props[2 * i]);
        FUZZ_CHECK(v && !strcmp(v, d->kafka.props[2 * i + 1]));
    }
    FUZZ_CHECK(!d->kafka.bootstrap == !merged.bootstrap);
    gdx_kafka_conf_release(&merged);
    gdx_conf_destroy(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gdx_deploy *d = NULL;
    char err[1024] = "";
    char *path;

    if (size > 64 * 1024 || memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
        memmem(data, size, "/sys", 4) || memmem(data, size, "plugin", 6)) {
        return 0;
    }
    path = fuzz_write("deployment.yaml", data, size);
    alarm(10); /* a loader that blocks fails the input (SIGALRM) instead of hanging the run */
    if (gdx_deploy_load_file(&d, path, err, sizeof(err)) != GDX_OK) {
        alarm(0);
        FUZZ_CHECK(!d);
        if (strncmp(err, path, strlen(path)) || err[strlen(path)] != ':') {
            fprintf(stderr, "refused without naming the file: %s\n", err);
            FUZZ_CHECK(0);
        }
    } else {
        alarm(0);
        FUZZ_CHECK(d);
        check_accepted(d, path, data, size);
    }
    gdx_deploy_destroy(d);
    unlink(path);
    free(path);
    return 0;
}
