/*
 * gdx_protect.h - field protection of UTF-8 text values: keep, drop, mask, scrub, token,
 * encrypt, plus validators of Chinese identifiers.
 *
 * Protection changes values, never schemas: every output is a string (or NULL for drop) in
 * a documented text envelope (docs/protection.md):
 *
 *   tok:v1:<keyid>:<64 hex>                               HMAC-SM3 token
 *   enc:v1:<keyid>:<iv hex>:<ciphertext base64>:<mac hex>  SM4-CBC + HMAC-SM3
 *
 * Errors never quote the value: gdx_protect_apply names the field only.
 */
#ifndef GDX_PROTECT_H
#define GDX_PROTECT_H

#include <stddef.h>

#include "gdx_crypto.h"

enum gdx_protect_action {
    GDX_PROTECT_KEEP = 0, /* unchanged */
    GDX_PROTECT_DROP,     /* NULL */
    GDX_PROTECT_MASK,     /* mask by format (id, phone, name, address, generic) */
    GDX_PROTECT_SCRUB,    /* free text: mask every embedded resident ID and mobile number */
    GDX_PROTECT_TOKEN,    /* tok:v1 envelope, city-wide token key */
    GDX_PROTECT_ENCRYPT,  /* enc:v1 envelope, current encryption key */
};

enum gdx_mask_format {
    GDX_MASK_GENERIC = 0, /* keep the first and last character: 张*丰 */
    GDX_MASK_ID,          /* resident ID: 410102********1234 (invalid ID is an error) */
    GDX_MASK_PHONE,       /* mainland mobile: 138****5678 (invalid number is an error) */
    GDX_MASK_NAME,        /* first character kept: 张*, 张**; one character: * */
    GDX_MASK_ADDRESS,     /* cut after the district/county: 河南省周口市项城市 */
};

struct gdx_protect_rule {
    const char *field;              /* the field's name, for messages */
    enum gdx_protect_action action; /* what to do */
    enum gdx_mask_format format;    /* for MASK, and the normalisation of TOKEN */
};

/* Keys used by gdx_protect_apply; either may be NULL when no rule needs it. */
struct gdx_protect_keys {
    const struct gdx_keyring *token; /* city-wide token key (current one is used) */
    const struct gdx_keyring *enc;   /* encryption keys (current encrypts) */
};

/* "keep|drop|mask|scrub|token|encrypt" -> action; -1 if unknown */
int gdx_protect_action_parse(const char *name);
const char *gdx_protect_action_name(enum gdx_protect_action action);
/* "generic|id|phone|name|address" -> format; -1 if unknown */
int gdx_mask_format_parse(const char *name);
const char *gdx_mask_format_name(enum gdx_mask_format format);

/* ---- validators (they normalise first: trim, full-width to ASCII) ---- */

/* @brief 1 if a GB 11643 resident ID: 18 characters, valid birth date and check char. */
int gdx_resident_id_valid(const char *s, size_t len);
/* @brief 1 if the 17 digits + check char at @p s are consistent (no date check). */
int gdx_resident_id_check_ok(const char *s18);
/* @brief 1 if a mainland mobile number: 1[3-9] + 9 digits, optional +86/86, spaces/dashes. */
int gdx_mobile_valid(const char *s, size_t len);
/* @brief 1 if a GB 32100 unified social credit code with a valid check character. */
int gdx_uscc_valid(const char *s, size_t len);

/*
 * @brief Normalise a value for tokens and validation: trim ASCII whitespace and U+3000,
 * fold full-width ASCII (U+FF01..U+FF5E) to ASCII; for GDX_MASK_ID upper-case x; for
 * GDX_MASK_PHONE drop spaces and dashes and a +86/86 prefix in front of 11 digits.
 * @returns a malloc'd string (*outlen set).
 */
char *gdx_protect_normalise(enum gdx_mask_format format, const char *s, size_t len, size_t *outlen);

/*
 * @brief Mask @p value by @p format into a malloc'd @p *out. An empty (or all-space)
 * value gives "".
 * @returns GDX_OK, or GDX_ERR_PARSE (invalid ID or phone, invalid UTF-8) with errstr
 * naming the problem, never the value.
 */
int gdx_mask(enum gdx_mask_format format, const char *value, size_t len, char **out, char *errstr,
             size_t errstr_size);

/*
 * @brief Replace in free text every valid resident ID (check character valid, not inside
 * a longer digit run) and every mobile number (not inside a longer digit run; 3-4-4 groups
 * with spaces or dashes and a +86 prefix included) by its mask. Full-width digits count.
 * @p *count (may be NULL) receives the number of replacements.
 */
int gdx_scrub(const char *text, size_t len, char **out, size_t *count, char *errstr,
              size_t errstr_size);

/*
 * @brief Token: `tok:v1:<keyid>:<hex HMAC-SM3(HMAC-SM3(K,"gdx tok"), normalised)>`.
 * An empty normalised value gives "".
 */
int gdx_protect_token(const struct gdx_key *key, enum gdx_mask_format format, const char *value,
                      size_t len, char **out, char *errstr, size_t errstr_size);

/*
 * @brief Encrypt @p len bytes into an `enc:v1` envelope (malloc'd, caller frees):
 * SM4-CBC/PKCS#7 under HMAC-SM3(K,"gdx enc")[0..16) with a random IV, then HMAC-SM3 under
 * HMAC-SM3(K,"gdx mac") over the envelope text before the last colon.
 */
int gdx_protect_encrypt(const struct gdx_key *key, const void *plain, size_t len, char **out,
                        char *errstr, size_t errstr_size);

/*
 * @brief Decrypt an `enc:v1` envelope with the key of its id from @p kr. The MAC is
 * verified (constant time) before anything is decrypted. @p *out is malloc'd and
 * NUL-terminated, *outlen (may be NULL) its length.
 * @returns GDX_OK; GDX_ERR_PARSE (not an envelope); GDX_ERR_NOENT (the message names the
 * missing key id); GDX_ERR_CRYPTO (MAC mismatch: wrong key or tampered).
 */
int gdx_protect_decrypt(const struct gdx_keyring *kr, const char *env, size_t len, char **out,
                        size_t *outlen, char *errstr, size_t errstr_size);

/* @brief The key id named by an `enc:v1` or `tok:v1` envelope into @p id; GDX_ERR_PARSE. */
int gdx_protect_envelope_keyid(const char *env, size_t len, char id[GDX_KEY_ID_MAX + 1]);

/*
 * @brief Apply one rule to one value. @p value NULL (a null field) gives NULL for every
 * action. @p *out is a malloc'd string, or NULL for drop.
 * @returns GDX_OK or an error whose message names @p rule->field, never the value.
 */
int gdx_protect_apply(const struct gdx_protect_rule *rule, const struct gdx_protect_keys *keys,
                      const char *value, size_t len, char **out, char *errstr, size_t errstr_size);

#endif
