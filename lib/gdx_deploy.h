/*
 * gdx_deploy.h - the deployment file: the host's Kafka, TLS and registry settings, set once.
 *
 * Every client gdx makes (connector, uplink source, tail, audit, topics) starts from the
 * deployment file, so a host's bootstrap servers, SASL_SSL settings, CA, registry and
 * offsets topic are written in one place instead of in each of its connector files. The
 * file is $GDX_DEPLOYMENT (empty: none), else GDX_DEPLOY_DEFAULT when it exists; a missing
 * default file or one holding only comments is an empty deployment (demos and tests).
 *
 *   kafka:                      # any librdkafka property of the city cluster
 *     bootstrap.servers: kafka1.example:9093,kafka2.example:9093,kafka3.example:9093
 *     security.protocol: SASL_SSL
 *     sasl.mechanism: SCRAM-SHA-512
 *     sasl.username: hotline12345
 *     sasl.password.file: /etc/gdx/secrets/kafka.password   # <secret property>.file
 *     ssl.ca.location: /etc/gdx/tls/ca.pem
 *   tls:                        # every HTTPS client (gdx_tls.h)
 *     ca.file: /etc/gdx/tls/ca.pem
 *   schema.registry.url: https://registry.example:8081
 *   schema.registry.basic.auth.user.info.file: /etc/gdx/secrets/registry.auth
 *   offsets.topic: _gdx.offsets.{unit}
 *
 * Secrets are never written in the file itself: a secret property comes from ${ENV} or from
 * a `.file` (mode 0600/0400, one line). A connector's own file overrides any key.
 */
#ifndef GDX_DEPLOY_H
#define GDX_DEPLOY_H

#include <stddef.h>

#include "gdx_kafka.h"
#include "gdx_tls.h"

#ifndef GDX_DEPLOY_DEFAULT
#define GDX_DEPLOY_DEFAULT "/etc/gdx/deployment.yaml"
#endif

struct gdx_deploy {
    char *path;                  /* the file read, NULL when there is none */
    struct gdx_kafka_conf kafka; /* the city cluster (secrets resolved) */
    struct gdx_tls tls;          /* HTTPS clients */
    char *registry_url;          /* or NULL */
    char *registry_auth;         /* "user:password" (secret) or NULL */
    char *offsets_topic;         /* template ({unit}) or NULL */
};

/* Load the host's deployment file (see above). Errors name `file:line:col`: GDX_ERR_CONFIG.
 * *out is never NULL on success. */
int gdx_deploy_load(struct gdx_deploy **out, char *errstr, size_t errstr_size);
/* Load @p path (NULL: none). */
int gdx_deploy_load_file(struct gdx_deploy **out, const char *path, char *errstr,
                         size_t errstr_size);
void gdx_deploy_destroy(struct gdx_deploy *d);

/* Add to @p kc every deployment property it does not set itself (bootstrap included). */
void gdx_deploy_kafka_merge(const struct gdx_deploy *d, struct gdx_kafka_conf *kc);
/* A city client's config from the deployment alone: @p bootstrap (may be NULL) and the
 * deployment's properties. Release @p kc with gdx_kafka_conf_release. */
int gdx_deploy_kafka_conf(struct gdx_kafka_conf *kc, const char *bootstrap, char *errstr,
                          size_t errstr_size);
/* The deployment's TLS settings merged into @p tls (members @p tls already has are kept). */
void gdx_deploy_tls(const struct gdx_deploy *d, struct gdx_tls *tls);

/* "_gdx.offsets.{unit}" with @p unit put in; malloc'd. Only {unit} is known. */
char *gdx_deploy_expand(const char *tmpl, const char *unit);

#endif
