/*
 * gdx_crypto.h - national cryptography (GB/T 39786) through OpenSSL 3's EVP API.
 *
 * SM3 digests, HMAC-SM3, SM4-CBC with PKCS#7 padding, SM2 signatures over SM3 with the
 * signer ID `1234567812345678` always set explicitly, secure random, hex and base64, and
 * symmetric data keys (struct gdx_key) with key ids gathered in a keyring for rotation.
 * SHA-256 and HMAC-SHA256 are here too, for API gateways that sign requests with them.
 *
 * Every failure drains OpenSSL's error queue into errstr, so no stale error leaks into a
 * later, unrelated message. Key material is wiped with OPENSSL_cleanse before it is freed.
 */
#ifndef GDX_CRYPTO_H
#define GDX_CRYPTO_H

#include <stddef.h>

#include "gdx_err.h"

#define GDX_SM3_LEN     32 /* SM3 digest and HMAC-SM3 output, bytes */
#define GDX_SM3_HEX_LEN 64
#define GDX_SM4_KEY_LEN 16
#define GDX_SM4_BLOCK   16
#define GDX_SM2_ID      "1234567812345678" /* GM/T 0009 default signer ID */
#define GDX_KEY_ID_MAX  64                 /* key ids: [A-Za-z0-9._-]{1,64} */
#define GDX_KEY_MIN_LEN 16                 /* symmetric data key length bounds, bytes */
#define GDX_KEY_MAX_LEN 64

/*
 * @brief Fill @p errstr with the formatted message followed by ": " and every entry of
 * OpenSSL's error queue (which is emptied). Returns @p err.
 */
int gdx_crypto_seterr(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- encodings ---- */

/* @brief Lowercase hex of @p len bytes into @p out (2*len+1 bytes, NUL-terminated). */
void gdx_hex_encode(const void *in, size_t len, char *out);
/*
 * @brief Decode @p len hex characters (either case) into @p out of @p cap bytes.
 * @returns number of bytes written, or -1 if odd length, a bad character or too long.
 */
long gdx_hex_decode(const char *s, size_t len, unsigned char *out, size_t cap);
/* @brief Base64 (RFC 4648; @p url: base64url without padding). Returns a malloc'd string. */
char *gdx_base64_encode(const void *in, size_t len, int url);
/*
 * @brief Strict base64 decode (standard alphabet with padding, or base64url with or without
 * padding when @p url). @p *out is malloc'd (caller frees), *outlen set.
 * @returns GDX_OK or GDX_ERR_PARSE.
 */
int gdx_base64_decode(const char *s, size_t len, int url, unsigned char **out, size_t *outlen);

/* ---- random ---- */

/* @brief @p len bytes from OpenSSL's CSPRNG. */
int gdx_random_bytes(void *buf, size_t len, char *errstr, size_t errstr_size);

/* ---- SM3 ---- */

/* @brief One-shot SM3 of @p len bytes into @p out (32 bytes). */
int gdx_sm3(const void *data, size_t len, unsigned char out[GDX_SM3_LEN], char *errstr,
            size_t errstr_size);
/* @brief One-shot SM3 as 64 lowercase hex characters plus NUL. */
int gdx_sm3_hex(const void *data, size_t len, char out[GDX_SM3_HEX_LEN + 1], char *errstr,
                size_t errstr_size);

struct gdx_sm3;
/* @brief Streaming SM3: NULL with errstr if SM3 is unavailable. */
struct gdx_sm3 *gdx_sm3_new(char *errstr, size_t errstr_size);
int gdx_sm3_update(struct gdx_sm3 *sm3, const void *data, size_t len, char *errstr,
                   size_t errstr_size);
/* @brief Write the digest and reset the context for a new message. */
int gdx_sm3_final(struct gdx_sm3 *sm3, unsigned char out[GDX_SM3_LEN], char *errstr,
                  size_t errstr_size);
void gdx_sm3_destroy(struct gdx_sm3 *sm3);

/* ---- HMAC-SM3 ---- */

/* @brief HMAC-SM3 (EVP_MAC "HMAC", digest SM3) of @p len bytes under @p key. */
int gdx_hmac_sm3(const void *key, size_t keylen, const void *data, size_t len,
                 unsigned char out[GDX_SM3_LEN], char *errstr, size_t errstr_size);

/* ---- SHA-256, HMAC-SHA256 (request signatures of API gateways) ---- */

#define GDX_SHA256_LEN 32

/* @brief One-shot SHA-256 of @p len bytes into @p out (32 bytes). */
int gdx_sha256(const void *data, size_t len, unsigned char out[GDX_SHA256_LEN], char *errstr,
               size_t errstr_size);
/* @brief HMAC-SHA256 of @p len bytes under @p key. */
int gdx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[GDX_SHA256_LEN], char *errstr, size_t errstr_size);

/* ---- SM4 ---- */

/*
 * @brief SM4-CBC with PKCS#7 padding. @p *out is malloc'd (caller frees); for encryption
 * its length is len rounded up to the next multiple of 16 (a full block when already one).
 */
int gdx_sm4_cbc_encrypt(const unsigned char key[GDX_SM4_KEY_LEN],
                        const unsigned char iv[GDX_SM4_BLOCK], const void *in, size_t len,
                        unsigned char **out, size_t *outlen, char *errstr, size_t errstr_size);
/* @brief Inverse of gdx_sm4_cbc_encrypt; GDX_ERR_CRYPTO on bad length or padding. */
int gdx_sm4_cbc_decrypt(const unsigned char key[GDX_SM4_KEY_LEN],
                        const unsigned char iv[GDX_SM4_BLOCK], const void *in, size_t len,
                        unsigned char **out, size_t *outlen, char *errstr, size_t errstr_size);
/* @brief One raw SM4 block (ECB, no padding): for known-answer tests. */
int gdx_sm4_ecb_block(const unsigned char key[GDX_SM4_KEY_LEN],
                      const unsigned char in[GDX_SM4_BLOCK], unsigned char out[GDX_SM4_BLOCK],
                      char *errstr, size_t errstr_size);

/* ---- SM2 ---- */

struct gdx_sm2_key;

/*
 * @brief Load a PEM SM2 private key from @p path. The file must not be readable by group
 * or others (mode 0600 or 0400); the error names the path and its mode.
 */
int gdx_sm2_load_private_file(const char *path, struct gdx_sm2_key **out, char *errstr,
                              size_t errstr_size);
/* @brief Load a PEM SM2 public key (SubjectPublicKeyInfo) from @p path. */
int gdx_sm2_load_public_file(const char *path, struct gdx_sm2_key **out, char *errstr,
                             size_t errstr_size);
/*
 * @brief Load a PEM SM2 key from memory: a private key when @p private_key, else a public
 * key. @p name is used in error messages only.
 */
int gdx_sm2_load_pem(const char *pem, size_t len, int private_key, const char *name,
                     struct gdx_sm2_key **out, char *errstr, size_t errstr_size);
/* @brief A new random SM2 key pair. */
int gdx_sm2_generate(struct gdx_sm2_key **out, char *errstr, size_t errstr_size);
/* @brief 1 if the key holds a private part (can sign). */
int gdx_sm2_has_private(const struct gdx_sm2_key *key);
/* @brief PEM text of the private (PKCS#8, unencrypted) or public key; malloc'd. */
int gdx_sm2_to_pem(const struct gdx_sm2_key *key, int private_key, char **pem, char *errstr,
                   size_t errstr_size);
/*
 * @brief SM2 signature (SM3 digest, ID GDX_SM2_ID) over @p len bytes, DER-encoded;
 * @p *sig is malloc'd (caller frees).
 */
int gdx_sm2_sign(const struct gdx_sm2_key *key, const void *msg, size_t len, unsigned char **sig,
                 size_t *siglen, char *errstr, size_t errstr_size);
/* @returns GDX_OK if @p sig is a valid signature, GDX_ERR_CRYPTO if not (or on failure). */
int gdx_sm2_verify(const struct gdx_sm2_key *key, const void *msg, size_t len,
                   const unsigned char *sig, size_t siglen, char *errstr, size_t errstr_size);
void gdx_sm2_key_destroy(struct gdx_sm2_key *key);

/* ---- symmetric data keys ---- */

struct gdx_key;

/*
 * @brief Check that @p path is a regular file not readable by group or others.
 * @returns GDX_OK, GDX_ERR_IO (cannot stat) or GDX_ERR_CONFIG naming the path and mode.
 */
int gdx_key_file_check_mode(const char *path, char *errstr, size_t errstr_size);

/*
 * @brief A key from raw bytes (@p len in [GDX_KEY_MIN_LEN, GDX_KEY_MAX_LEN]) with id @p id.
 * Copies the bytes.
 */
int gdx_key_new(const char *id, const void *bytes, size_t len, struct gdx_key **out, char *errstr,
                size_t errstr_size);
/*
 * @brief Decode key text: hex or base64, optionally prefixed `hex:` or `base64:`, surrounded
 * by whitespace. Never quotes the text in errors.
 */
int gdx_key_from_text(const char *id, const char *text, size_t len, struct gdx_key **out,
                      char *errstr, size_t errstr_size);
/*
 * @brief Load a key file (key text as above; lines starting with '#' are comments). The
 * file must have mode 0600 or 0400 (no group/other bits). @p id NULL: the file's base name
 * without a trailing ".key".
 */
int gdx_key_load_file(const char *path, const char *id, struct gdx_key **out, char *errstr,
                      size_t errstr_size);
/* @brief Load a key from environment variable @p var. @p id NULL: @p var lowercased. */
int gdx_key_load_env(const char *var, const char *id, struct gdx_key **out, char *errstr,
                     size_t errstr_size);
const char *gdx_key_id(const struct gdx_key *key);
/*
 * @brief Derive a 32-byte subkey: HMAC-SM3(key bytes, @p label). gdx uses the labels
 * "gdx enc", "gdx mac" and "gdx tok" (docs/protection.md).
 */
int gdx_key_derive(const struct gdx_key *key, const char *label, unsigned char out[GDX_SM3_LEN],
                   char *errstr, size_t errstr_size);
/* The per-purpose subkeys that gdx_key_hmac keys HMAC-SM3 with. */
enum gdx_key_use {
    GDX_KEY_TOK, /* "gdx tok": tokens */
    GDX_KEY_MAC, /* "gdx mac": envelope MACs */
};
/*
 * @brief HMAC-SM3 of @p data under the subkey of @p use: the same as gdx_hmac_sm3 with
 * gdx_key_derive's subkey, through a context keyed once per key (safe across threads).
 */
int gdx_key_hmac(const struct gdx_key *key, enum gdx_key_use use, const void *data, size_t len,
                 unsigned char out[GDX_SM3_LEN], char *errstr, size_t errstr_size);
/*
 * @brief SM4-CBC (PKCS#7) of @p in under the "gdx enc" subkey with a fresh random IV, filled
 * into @p iv: the same as gdx_sm4_cbc_encrypt with gdx_key_derive's subkey, through a cipher
 * context keyed once; IVs come from OpenSSL's DRBG, drawn a few dozen at a time per key.
 */
int gdx_key_sm4_encrypt(const struct gdx_key *key, unsigned char iv[GDX_SM4_BLOCK], const void *in,
                        size_t len, unsigned char **out, size_t *outlen, char *errstr,
                        size_t errstr_size);
/* @brief Wipe and free; NULL is a no-op. */
void gdx_key_destroy(struct gdx_key *key);
/* @brief 1 if @p id is a valid key id ([A-Za-z0-9._-]{1,64}). */
int gdx_key_id_valid(const char *id);

/* ---- keyring: several key ids, one current for new data ---- */

struct gdx_keyring;

struct gdx_keyring *gdx_keyring_new(void);
/* @brief Destroys every key it holds; NULL is a no-op. */
void gdx_keyring_destroy(struct gdx_keyring *kr);
/*
 * @brief Add @p key; takes ownership of @p key on success. The first key added becomes
 * current; @p make_current makes this one current. Duplicate ids are refused.
 */
int gdx_keyring_add(struct gdx_keyring *kr, struct gdx_key *key, int make_current, char *errstr,
                    size_t errstr_size);
int gdx_keyring_set_current(struct gdx_keyring *kr, const char *id, char *errstr,
                            size_t errstr_size);
/* @brief The key for new data, NULL if empty. */
const struct gdx_key *gdx_keyring_current(const struct gdx_keyring *kr);
/* @brief The key with id @p id, NULL if absent. */
const struct gdx_key *gdx_keyring_find(const struct gdx_keyring *kr, const char *id);
size_t gdx_keyring_count(const struct gdx_keyring *kr);

#endif
