/*
 * gdx_uplink.h - exactly-once forwarding from the city cluster to the provincial cluster
 * with an egress policy (`gdx uplink -c uplink.yaml`, docs/uplink.md).
 *
 * One uplink instance owns a static set of source partitions (p % instances == instance),
 * reads them read_committed without a consumer group, applies the egress policy (share
 * attribute, approval, field protection) and writes the forwarded records plus the positions
 * read (`_gdx.uplink.offsets` on the provincial cluster, key `<city id>/<topic>/<partition>`)
 * in one provincial transaction. Records that fail the policy go to the city's dead-letter
 * topic `_gdx.dlq.uplink.<destination>`, never out.
 */
#ifndef GDX_UPLINK_H
#define GDX_UPLINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gdx_avro.h"
#include "gdx_policy.h"

struct gdx_uplink;

/*
 * @brief Load and validate the uplink config at @p path (strict: unknown keys are errors
 * naming file:line:col; TLS files must exist and be readable; SASL mechanism known). Nothing
 * is started. @returns GDX_OK or GDX_ERR_CONFIG.
 */
int gdx_uplink_new(struct gdx_uplink **out, const char *path, char *errstr, size_t errstr_size);
/* @brief Free; NULL is a no-op. Releases the per-host lock. */
void gdx_uplink_destroy(struct gdx_uplink *up);

/*
 * @brief Let the uplink continue past a retention gap of "TOPIC/PARTITION" (operator flag
 * `--accept-gap`): the gap is logged, audited and recorded in the next offset record.
 * @returns GDX_OK or GDX_ERR_USAGE for a malformed argument.
 */
int gdx_uplink_accept_gap(struct gdx_uplink *up, const char *topic_partition, char *errstr,
                          size_t errstr_size);

/*
 * @brief Run until *stop becomes non-zero or, with @p once, until every owned partition is
 * forwarded up to its end. Takes the per-host lock of the instance first (GDX_ERR_LOCKED).
 * @returns GDX_OK after a clean stop; GDX_ERR_CONFIG for a policy refusal found at start
 * (e.g. a conditional topic without an approval id).
 */
int gdx_uplink_run(struct gdx_uplink *up, int once, const volatile int *stop, char *errstr,
                   size_t errstr_size);

/*
 * @brief `gdx uplink check`: validate, create the clients (TLS/SASL settings applied), reach
 * both clusters and registries; findings on @p out. Moves no data.
 */
int gdx_uplink_check(struct gdx_uplink *up, FILE *out, char *errstr, size_t errstr_size);

/* Counters of the run, for tests and the final log line. */
struct gdx_uplink_stats {
    uint64_t records, dead, batches, aborts, gaps, skipped_topics;
};
void gdx_uplink_stats(const struct gdx_uplink *up, struct gdx_uplink_stats *stats);

/*
 * Re-encoding of one Avro body under a protection policy: the body is checked by a bounded
 * walk (every length against the bytes left) that notes where each field starts, and the
 * string fields with a rule have their encodings replaced (values only; the schema never
 * changes), every other byte copied as it was. A body whose schema has no active rule is only
 * checked and passed through unchanged.
 */
struct gdx_recoder;

/*
 * @brief @p schema and @p policy (may be NULL: no rules) are borrowed and must outlive the
 * recoder.
 */
int gdx_recoder_new(struct gdx_recoder **out, const struct gdx_schema *schema,
                    const struct gdx_policy *policy, char *errstr, size_t errstr_size);
void gdx_recoder_destroy(struct gdx_recoder *rc);
/* @brief Number of fields the recoder rewrites (0: bodies pass through after the check). */
size_t gdx_recoder_rules(const struct gdx_recoder *rc);
/* @brief Walk every field through the general walk over Avro-C's schema instead of the
 * planned steps of the common field shapes (a reference for tests: both must agree). */
void gdx_recoder_set_generic(struct gdx_recoder *rc);
/*
 * @brief Check and protect @p body. *out points to the result (the input itself when no rule
 * applies, else the recoder's buffer, valid until the next call). On failure *stage is
 * "decode" or "protect" and *field the field concerned (or NULL); errstr never quotes a value.
 * @returns GDX_OK, GDX_ERR_PARSE (malformed body) or the protection's error.
 */
int gdx_recoder_apply(struct gdx_recoder *rc, const void *body, size_t len, const void **out,
                      size_t *out_len, const char **stage, const char **field, char *errstr,
                      size_t errstr_size);

/* @brief Provincial topic name of a city topic: the explicit map, else
 * `<prefix>.<city id>.<topic>` (`<city id>.<topic>` without a prefix). malloc'd. */
char *gdx_uplink_dest_topic(const struct gdx_uplink *up, const char *city_topic);

#endif
