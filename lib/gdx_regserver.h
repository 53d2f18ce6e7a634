/*
 * gdx_regserver.h - the embedded schema registry of `gdx registry`.
 *
 * Speaks a subset of Confluent Schema Registry's REST API (subjects, versions, ids, lookup,
 * compatibility, config, soft and permanent delete) with Confluent's error codes, and keeps
 * its state where Confluent keeps it: the one-partition compacted topic `_schemas`, with the
 * same JSON keys and values, so a restart (or Confluent itself) rebuilds the same ids.
 * Compatibility is decided by lib/gdx_compat.c, the engine of `gdx schema check`.
 */
#ifndef GDX_REGSERVER_H
#define GDX_REGSERVER_H

#include <stddef.h>

#include "gdx_kafka.h"

#define GDX_REGSERVER_TOPIC "_schemas"

struct gdx_regserver;

/*
 * Connect to Kafka and rebuild the registry's state by reading @p topic (NULL:
 * "_schemas") from the beginning to its end. The topic must have exactly one partition; it
 * is created (1 partition, compacted) when the cluster allows it. @p kc NULL keeps the state
 * in memory only (for tests). Returns NULL with errstr; *err (may be NULL) receives
 * GDX_ERR_RETRY when Kafka cannot be reached, GDX_ERR_CONFIG for a bad topic.
 */
struct gdx_regserver *gdx_regserver_new(const struct gdx_kafka_conf *kc, const char *topic,
                                        int *err, char *errstr, size_t errstr_size);

/*
 * Serve HTTP on @p listen, "HOST:PORT" with an IPv4 HOST (port 0 picks a free port), on a
 * thread of libmicrohttpd's. gdx_regserver_url() tells the resulting base URL.
 */
int gdx_regserver_listen(struct gdx_regserver *srv, const char *listen, char *errstr,
                         size_t errstr_size);

/* "http://127.0.0.1:PORT" once listening, else NULL. */
const char *gdx_regserver_url(const struct gdx_regserver *srv);

/*
 * Handle one request without HTTP: @p path is the decoded path ("/subjects/x/versions"),
 * @p query the decoded arguments "a=b&c=d" (may be NULL), @p body the request body (may be
 * NULL). *response receives a malloc'd JSON text. Returns the HTTP status. Serialised with
 * the HTTP thread by a lock.
 */
int gdx_regserver_handle(struct gdx_regserver *srv, const char *method, const char *path,
                         const char *query, const char *body, size_t body_len, char **response);

/* Stop serving and disconnect; NULL is a no-op. */
void gdx_regserver_destroy(struct gdx_regserver *srv);

#endif
