/*
 * gdx_policy.h - field protection policy of one connector or one uplink destination.
 *
 * Built from two config maps:
 *
 *   protect:                      # schema field: action, or {action, format}
 *     caller_name: mask           # format defaults from the field (name, phone, id, address)
 *     caller_phone: token
 *     caller_id_no: encrypt
 *     content: scrub
 *     address: {action: mask, format: address}
 *   keys:
 *     token.key.file: /etc/gdx/keys/city-token.key     # or token.key.env: GDX_TOKEN_KEY
 *     encrypt.key.file: /etc/gdx/keys/hotline-2026.key # or encrypt.key.env: ...
 *     encrypt.old.key.files: [/etc/gdx/keys/hotline-2025.key]   # rotation: still decrypt
 *
 * Every `spi` field of the schema must have a rule (keep is a rule, stated on purpose), or
 * the policy is refused naming the missing fields. Dead letters of a schema with any pi/spi
 * field are sealed with the encryption key, so the dead letter topic never holds personal
 * data in clear.
 */
#ifndef GDX_POLICY_H
#define GDX_POLICY_H

#include <stddef.h>

#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_protect.h"

struct gdx_policy;

/*
 * @p protect and @p keys may be NULL. @p base_dir resolves relative key paths.
 * @p require_spi: refuse when an spi field has no rule. GDX_ERR_CONFIG with file:line:col.
 */
int gdx_policy_new(struct gdx_policy **out, const struct gdx_schema *schema,
                   const struct gdx_node *protect, const struct gdx_node *keys,
                   const char *base_dir, int require_spi, char *errstr, size_t errstr_size);
void gdx_policy_destroy(struct gdx_policy *policy);

/* The rule of a field by its index in the schema, or NULL when the value is kept as is. */
const struct gdx_protect_rule *gdx_policy_rule(const struct gdx_policy *policy, int field_index);
const struct gdx_protect_keys *gdx_policy_keys(const struct gdx_policy *policy);

/* Run the field's validator (`validate: id|phone|uscc`), if any: GDX_ERR_PARSE naming the
 * field (never the value) when the value is invalid. */
int gdx_policy_validate(const struct gdx_policy *policy, int field_index, const char *value,
                        size_t len, char *errstr, size_t errstr_size);

/* "caller_id_no=encrypt,caller_name=mask" for the gdx.protect header ("" when none) */
const char *gdx_policy_header(const struct gdx_policy *policy);

/* 1 when dead letters must be sealed (the schema has pi/spi fields) */
int gdx_policy_seals_dead_letters(const struct gdx_policy *policy);
/* Seal a raw source row into an enc:v1 envelope with the encryption key. */
int gdx_policy_seal(const struct gdx_policy *policy, const void *raw, size_t len, char **out,
                    char *errstr, size_t errstr_size);

#endif
