/*
 * gdx_registry.h - schema registry client (Confluent REST API, over libcurl).
 *
 * Registers a schema under a subject (TopicNameStrategy: `<topic>-value`) and looks ids up,
 * caching both directions, so the hot path never touches the network. Works against
 * Confluent Schema Registry, Apicurio (ccompat API), Karapace and `gdx registry`.
 */
#ifndef GDX_REGISTRY_H
#define GDX_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

struct gdx_registry;

/*
 * @p url: base URL, e.g. "http://127.0.0.1:8081". Optional basic auth "user:password"
 * (may be NULL; registered as a log secret) and TLS CA file (may be NULL).
 */
struct gdx_registry *gdx_registry_new(const char *url, const char *basic_auth, const char *ca_file,
                                      char *errstr, size_t errstr_size);
void gdx_registry_destroy(struct gdx_registry *reg);

struct gdx_tls;
/* Use @p tls (copied) for https: CA, client certificate, minimum version; it replaces the
 * CA file given to gdx_registry_new. */
void gdx_registry_set_tls(struct gdx_registry *reg, const struct gdx_tls *tls);

/*
 * Register @p schema_text (verbatim .avsc text) under @p subject; *id receives the global id.
 * Re-registering the same schema returns the same id. Errors: GDX_ERR_SCHEMA when the
 * registry refuses the schema (409 incompatible, 42201 invalid) with its reason in errstr;
 * GDX_ERR_RETRY when the registry is unreachable or answers 5xx.
 */
int gdx_registry_register(struct gdx_registry *reg, const char *subject, const char *schema_text,
                          int32_t *id, char *errstr, size_t errstr_size);

/* Look up the id of an already registered schema (POST /subjects/{s}); GDX_ERR_NOENT if not
 * registered. */
int gdx_registry_lookup(struct gdx_registry *reg, const char *subject, const char *schema_text,
                        int32_t *id, char *errstr, size_t errstr_size);

/* Fetch the schema text of @p id (GET /schemas/ids/{id}); the returned string is owned by the
 * client's cache and lives as long as @p reg. */
int gdx_registry_get(struct gdx_registry *reg, int32_t id, const char **schema_text, char *errstr,
                     size_t errstr_size);

/* Set the compatibility level of a subject (PUT /config/{s}), e.g. "BACKWARD_TRANSITIVE". */
int gdx_registry_set_compat(struct gdx_registry *reg, const char *subject, const char *level,
                            char *errstr, size_t errstr_size);

#endif
