/*
 * gdx_policy.c - the field protection policy of one connector or uplink destination.
 *
 * A policy is compiled once from config against a schema: one rule per schema field (or
 * none: kept), the keyrings the rules need, and the text of the gdx.protect header. The
 * invariants it keeps: every spi field has a rule stated in config (PIPL Art. 28: sensitive
 * personal information is never passed on by default); a rule that needs a key has one at
 * load time, not at the first record; rules apply to string fields only, because protection
 * changes values, never schemas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_crypto.h"
#include "gdx_err.h"
#include "gdx_policy.h"
#include "gdx_util.h"

struct policy_rule {
    struct gdx_protect_rule rule;
    int has_rule;
    int validate; /* 0 none, 1 id, 2 phone, 3 uscc */
};

struct gdx_policy {
    struct policy_rule *rules; /* per schema field index */
    size_t nfields;
    struct gdx_keyring *token, *enc;
    struct gdx_protect_keys keys;
    char *header;
    int seal;
};

/* The mask format a field's name suggests; the config can always say otherwise. */
static enum gdx_mask_format format_from_name(const char *name)
{
    if (strstr(name, "id_no") || strstr(name, "idno") || strstr(name, "id_card") ||
        strstr(name, "identity")) {
        return GDX_MASK_ID;
    }
    if (strstr(name, "phone") || strstr(name, "mobile") || strstr(name, "tel")) {
        return GDX_MASK_PHONE;
    }
    if (strstr(name, "address") || strstr(name, "addr")) {
        return GDX_MASK_ADDRESS;
    }
    if (strstr(name, "name")) {
        return GDX_MASK_NAME;
    }
    return GDX_MASK_GENERIC;
}

static int load_key(const struct gdx_node *keys, const char *file_key, const char *env_key,
                    const char *base_dir, struct gdx_keyring *kr, char *errstr, size_t errstr_size)
{
    const struct gdx_node *f = gdx_conf_get(keys, file_key), *e = gdx_conf_get(keys, env_key);
    struct gdx_key *key = NULL;
    char where[256], kerr[512];
    const char *v;
    int err;

    if (f && e) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: set either '%s' or '%s', not both",
                          gdx_conf_where(e, where, sizeof(where)), file_key, env_key);
    }
    if (f) {
        if ((err = gdx_conf_scalar(f, &v, errstr, errstr_size))) {
            return err;
        }
        char *path = gdx_path_join(base_dir, v);
        err = gdx_key_load_file(path, NULL, &key, kerr, sizeof(kerr));
        free(path);
    } else if (e) {
        if ((err = gdx_conf_scalar(e, &v, errstr, errstr_size))) {
            return err;
        }
        err = gdx_key_load_env(v, NULL, &key, kerr, sizeof(kerr));
    } else {
        return GDX_ERR_NOENT;
    }
    if (err || (err = gdx_keyring_add(kr, key, 1, kerr, sizeof(kerr)))) {
        gdx_key_destroy(key);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                          gdx_conf_where(f ? f : e, where, sizeof(where)), kerr);
    }
    return GDX_OK;
}

static int load_keys(struct gdx_policy *p, const struct gdx_node *keys, const char *base_dir,
                     char *errstr, size_t errstr_size)
{
    static const char *const allowed[] = {"token.key.file",        "token.key.env",
                                          "encrypt.key.file",      "encrypt.key.env",
                                          "encrypt.old.key.files", NULL};
    char where[256];
    int err;

    if (!keys) {
        return GDX_OK;
    }
    if (keys->type != GDX_NODE_MAP) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: 'keys' must be a map",
                          gdx_conf_where(keys, where, sizeof(where)));
    }
    if ((err = gdx_conf_only_keys(keys, allowed, errstr, errstr_size))) {
        return err;
    }
    err =
        load_key(keys, "token.key.file", "token.key.env", base_dir, p->token, errstr, errstr_size);
    if (err && err != GDX_ERR_NOENT) {
        return err;
    }
    /* old keys first, so the current one (added last) is current */
    const struct gdx_node *old = gdx_conf_get(keys, "encrypt.old.key.files");
    if (old) {
        if (old->type != GDX_NODE_SEQ) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "%s: 'encrypt.old.key.files' must be a list of key files",
                              gdx_conf_where(old, where, sizeof(where)));
        }
        for (size_t i = 0; i < old->nkids; i++) {
            const char *v;
            char kerr[512];
            struct gdx_key *key = NULL;
            if ((err = gdx_conf_scalar(old->kids[i], &v, errstr, errstr_size))) {
                return err;
            }
            char *path = gdx_path_join(base_dir, v);
            err = gdx_key_load_file(path, NULL, &key, kerr, sizeof(kerr));
            free(path);
            if (err || (err = gdx_keyring_add(p->enc, key, 0, kerr, sizeof(kerr)))) {
                gdx_key_destroy(key);
                return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "%s: %s",
                                  gdx_conf_where(old->kids[i], where, sizeof(where)), kerr);
            }
        }
    }
    err = load_key(keys, "encrypt.key.file", "encrypt.key.env", base_dir, p->enc, errstr,
                   errstr_size);
    if (err && err != GDX_ERR_NOENT) {
        return err;
    }
    if (err == GDX_ERR_NOENT && old && old->nkids) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: old encryption keys given but no current 'encrypt.key.file'",
                          gdx_conf_where(old, where, sizeof(where)));
    }
    return GDX_OK;
}

static int parse_rule(struct gdx_policy *p, const struct gdx_schema *schema,
                      const struct gdx_node *n, char *errstr, size_t errstr_size)
{
    char where[256];
    const struct gdx_field *f = gdx_schema_field(schema, n->key);
    const char *action = NULL, *format = NULL, *validate = NULL;
    struct policy_rule *r;
    int a, fmt;

    snprintf(where, sizeof(where), "%s:%d:%d", n->file, n->key_line, n->key_col);
    if (!f) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: field '%s' is not in schema '%s'", where, n->key, schema->fullname);
    }
    r = &p->rules[f->index];
    if (n->type == GDX_NODE_SCALAR) {
        action = n->value;
    } else if (n->type == GDX_NODE_MAP) {
        static const char *const allowed[] = {"action", "format", "validate", NULL};
        const struct gdx_node *v;
        int err = gdx_conf_only_keys(n, allowed, errstr, errstr_size);
        if (err) {
            return err;
        }
        if ((v = gdx_conf_get(n, "action")) &&
            (err = gdx_conf_scalar(v, &action, errstr, errstr_size))) {
            return err;
        }
        if ((v = gdx_conf_get(n, "format")) &&
            (err = gdx_conf_scalar(v, &format, errstr, errstr_size))) {
            return err;
        }
        if ((v = gdx_conf_get(n, "validate")) &&
            (err = gdx_conf_scalar(v, &validate, errstr, errstr_size))) {
            return err;
        }
        if (!action) {
            action = "keep";
        }
    } else {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: protection of '%s' must be an action (keep, drop, mask, scrub, "
                          "token, encrypt) or a map {action, format, validate}",
                          where, n->key);
    }
    a = gdx_protect_action_parse(action);
    if (a < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: unknown protection '%s' for '%s' (keep, drop, mask, scrub, token, "
                          "encrypt)",
                          gdx_conf_where(n->type == GDX_NODE_MAP ? gdx_conf_get(n, "action") : n,
                                         where, sizeof(where)),
                          action, n->key);
    }
    fmt = format ? gdx_mask_format_parse(format) : (int)format_from_name(f->name);
    if (fmt < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: unknown format '%s' (generic, id, phone, name, address)",
                          gdx_conf_where(gdx_conf_get(n, "format"), where, sizeof(where)), format);
    }
    if (validate) {
        if (!strcmp(validate, "id")) {
            r->validate = 1;
        } else if (!strcmp(validate, "phone")) {
            r->validate = 2;
        } else if (!strcmp(validate, "uscc")) {
            r->validate = 3;
        } else {
            return gdx_seterr(
                errstr, errstr_size, GDX_ERR_CONFIG, "%s: unknown validator '%s' (id, phone, uscc)",
                gdx_conf_where(gdx_conf_get(n, "validate"), where, sizeof(where)), validate);
        }
    }
    if (a != GDX_PROTECT_KEEP && a != GDX_PROTECT_DROP && f->type != AVRO_STRING) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: field '%s' is not a string: only keep or drop apply "
                          "(protection changes values, never schemas)",
                          where, n->key);
    }
    if (a == GDX_PROTECT_DROP && !f->nullable) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: field '%s' is not nullable: drop writes null; mask, token or "
                          "encrypt it instead",
                          where, n->key);
    }
    if (a == GDX_PROTECT_TOKEN && !gdx_keyring_current(p->token)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: '%s: token' needs the city-wide token key: set keys.token.key.file "
                          "or keys.token.key.env",
                          where, n->key);
    }
    if (a == GDX_PROTECT_ENCRYPT && !gdx_keyring_current(p->enc)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "%s: '%s: encrypt' needs the department key: set keys.encrypt.key.file "
                          "or keys.encrypt.key.env",
                          where, n->key);
    }
    r->rule.field = f->name;
    r->rule.action = (enum gdx_protect_action)a;
    r->rule.format = (enum gdx_mask_format)fmt;
    r->has_rule = 1;
    return GDX_OK;
}

int gdx_policy_new(struct gdx_policy **out, const struct gdx_schema *schema,
                   const struct gdx_node *protect, const struct gdx_node *keys,
                   const char *base_dir, int require_spi, char *errstr, size_t errstr_size)
{
    struct gdx_policy *p = gdx_xcalloc(1, sizeof(*p));
    char where[256];
    int err;

    *out = NULL;
    p->nfields = schema->nfields;
    p->rules = gdx_xcalloc(schema->nfields, sizeof(*p->rules));
    p->token = gdx_keyring_new();
    p->enc = gdx_keyring_new();
    p->keys.token = p->token;
    p->keys.enc = p->enc;
    if ((err = load_keys(p, keys, base_dir, errstr, errstr_size))) {
        goto fail;
    }
    if (protect) {
        if (protect->type != GDX_NODE_MAP) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: 'protect' must be a map of schema field to protection",
                             gdx_conf_where(protect, where, sizeof(where)));
            goto fail;
        }
        for (size_t i = 0; i < protect->nkids; i++) {
            if ((err = parse_rule(p, schema, protect->kids[i], errstr, errstr_size))) {
                goto fail;
            }
        }
    }
    if (require_spi) {
        char missing[1024] = "";
        size_t n = 0;
        for (size_t i = 0; i < schema->nfields; i++) {
            if (schema->fields[i].pi == GDX_PI_SPI && !p->rules[i].has_rule) {
                size_t l = strlen(missing);
                snprintf(missing + l, sizeof(missing) - l, "%s%s", n++ ? ", " : "",
                         schema->fields[i].name);
            }
        }
        if (n) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "%s: schema '%s' labels %zu field%s as sensitive personal "
                             "information (spi) without a protection in 'protect': %s (say "
                             "keep, drop, mask, token or encrypt for each)",
                             protect ? gdx_conf_where(protect, where, sizeof(where))
                                     : "no 'protect' section",
                             schema->fullname, n, n > 1 ? "s" : "", missing);
            goto fail;
        }
    }
    /* dead letters hold raw rows: sealed whenever the schema has personal data */
    p->seal = schema->has_pi;
    if (p->seal && !gdx_keyring_current(p->enc)) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "schema '%s' has personal-data fields: dead letters must be encrypted; "
                         "set keys.encrypt.key.file or keys.encrypt.key.env",
                         schema->fullname);
        goto fail;
    }
    {
        size_t cap = 1, len = 0;
        for (size_t i = 0; i < p->nfields; i++) {
            if (p->rules[i].has_rule && p->rules[i].rule.action != GDX_PROTECT_KEEP) {
                cap += strlen(p->rules[i].rule.field) + 16;
            }
        }
        p->header = gdx_xcalloc(cap, 1);
        for (size_t i = 0; i < p->nfields; i++) {
            if (p->rules[i].has_rule && p->rules[i].rule.action != GDX_PROTECT_KEEP) {
                len += (size_t)snprintf(p->header + len, cap - len, "%s%s=%s", len ? "," : "",
                                        p->rules[i].rule.field,
                                        gdx_protect_action_name(p->rules[i].rule.action));
            }
        }
    }
    *out = p;
    return GDX_OK;
fail:
    gdx_policy_destroy(p);
    return err;
}

void gdx_policy_destroy(struct gdx_policy *policy)
{
    if (!policy) {
        return;
    }
    free(policy->rules);
    gdx_keyring_destroy(policy->token);
    gdx_keyring_destroy(policy->enc);
    free(policy->header);
    free(policy);
}

const struct gdx_protect_rule *gdx_policy_rule(const struct gdx_policy *policy, int field_index)
{
    if (!policy || field_index < 0 || (size_t)field_index >= policy->nfields ||
        !policy->rules[field_index].has_rule) {
        return NULL;
    }
    return &policy->rules[field_index].rule;
}

int gdx_policy_validate(const struct gdx_policy *policy, int field_index, const char *value,
                        size_t len, char *errstr, size_t errstr_size)
{
    const struct policy_rule *r;
    if (!policy || !value || field_index < 0 || (size_t)field_index >= policy->nfields) {
        return GDX_OK;
    }
    r = &policy->rules[field_index];
    switch (r->validate) {
    case 1:
        if (!gdx_resident_id_valid(value, len)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s': not a valid resident ID (GB 11643 check character "
                              "or birth date)",
                              r->rule.field);
        }
        break;
    case 2:
        if (!gdx_mobile_valid(value, len)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s': not a valid mainland mobile number", r->rule.field);
        }
        break;
    case 3:
        if (!gdx_uscc_valid(value, len)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_PARSE,
                              "field '%s': not a valid unified social credit code", r->rule.field);
        }
        break;
    default:
        break;
    }
    return GDX_OK;
}

const struct gdx_protect_keys *gdx_policy_keys(const struct gdx_policy *policy)
{
    return &policy->keys;
}

const char *gdx_policy_header(const struct gdx_policy *policy)
{
    return policy && policy->header ? policy->header : "";
}

int gdx_policy_seals_dead_letters(const struct gdx_policy *policy)
{
    return policy && policy->seal;
}

int gdx_policy_seal(const struct gdx_policy *policy, const void *raw, size_t len, char **out,
                    char *errstr, size_t errstr_size)
{
    const struct gdx_key *key = gdx_keyring_current(policy->enc);
    if (!key) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "no encryption key to seal with");
    }
    return gdx_protect_encrypt(key, raw, len, out, errstr, errstr_size);
}
