/*
 * gdx_crypto.c - SM2/SM3/SM4 and HMAC-SM3 over OpenSSL 3's EVP API, plus data keys.
 *
 * Everything goes through EVP (EVP_MD, EVP_MAC, EVP_CIPHER, EVP_PKEY) and the default
 * provider, which carries the SM algorithms in OpenSSL 3.0. Two rules hold throughout:
 * every failure path drains OpenSSL's error queue into errstr (gdx_crypto_seterr), and the
 * SM2 signer ID is set explicitly on every sign and verify, because OpenSSL 3.0 otherwise
 * signs with an empty ID that other GM/T 0009 implementations reject.
 *
 * Symmetric keys are opaque bytes with an id; the bytes live in one heap buffer that is
 * wiped with OPENSSL_cleanse before it is freed. A key file that group or others can read
 * is refused rather than warned about: a leaked data key exposes every record it protected.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "gdx_crypto.h"

#define KEY_FILE_MAX (64 * 1024)

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

int gdx_crypto_seterr(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
{
    va_list ap;
    size_t off;
    unsigned long e;
    char buf[256];

    if (!errstr || errstr_size == 0) {
        ERR_clear_error();
        return err;
    }
    va_start(ap, fmt);
    vsnprintf(errstr, errstr_size, fmt, ap);
    va_end(ap);
    off = strlen(errstr);
    /* Oldest first: the first entry is usually the root cause */
    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        if (off + 3 < errstr_size) {
            int n = snprintf(errstr + off, errstr_size - off, "%s%s", off ? ": " : "", buf);
            if (n > 0) {
                off += (size_t)n;
            }
            if (off >= errstr_size) {
                off = errstr_size - 1;
            }
        }
    }
    return err;
}

/* ---------------------------------------------------------------------------------------
 * encodings */

void gdx_hex_encode(const void *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

long gdx_hex_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    if (len % 2 || len / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < len; i += 2) {
        int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(len / 2);
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *gdx_base64_encode(const void *in, size_t len, int url)
{
    const unsigned char *p = in;
    const char *alpha = url ? b64_url : b64_std;
    char *out = xmalloc((len + 2) / 3 * 4 + 1);
    size_t o = 0, i = 0;

    for (; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        out[o++] = alpha[v >> 6 & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        if (!url) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = alpha[v >> 18 & 63];
        out[o++] = alpha[v >> 12 & 63];
        out[o++] = alpha[v >> 6 & 63];
        if (!url) {
            out[o++] = '=';
        }
    }
    out[o] = '\0';
    return out;
}

static int b64val(int c, int url)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == (url ? '-' : '+')) {
        return 62;
    }
    if (c == (url ? '_' : '/')) {
        return 63;
    }
    return -1;
}

int gdx_base64_decode(const char *s, size_t len, int url, unsigned char **out, size_t *outlen)
{
    size_t pad = 0, n, o = 0;
    unsigned char *buf;
    unsigned acc = 0;
    int bits = 0;

    while (pad < 2 && len > pad && s[len - 1 - pad] == '=') {
        pad++;
    }
    if (!url && (len % 4 != 0)) {
        return GDX_ERR_PARSE;
    }
    if (url && pad && len % 4 != 0) {
        return GDX_ERR_PARSE;
    }
    n = len - pad;
    if (n % 4 == 1) {
        return GDX_ERR_PARSE;
    }
    buf = xmalloc(n * 3 / 4 + 1);
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i], url);
        if (v < 0) {
            free(buf);
            return GDX_ERR_PARSE;
        }
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero: one canonical text per byte string */
    if (bits && (acc & ((1u << bits) - 1))) {
        OPENSSL_cleanse(buf, o);
        free(buf);
        return GDX_ERR_PARSE;
    }
    *out = buf;
    *outlen = o;
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * random, SM3, HMAC-SM3 */

int gdx_random_bytes(void *buf, size_t len, char *errstr, size_t errstr_size)
{
    if (len > 0x7fffffff || RAND_bytes(buf, (int)len) != 1) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot get random bytes");
    }
    return GDX_OK;
}

struct gdx_sm3 {
    EVP_MD_CTX *mdctx;
    EVP_MD *md;
};

struct gdx_sm3 *gdx_sm3_new(char *errstr, size_t errstr_size)
{
    struct gdx_sm3 *sm3 = xmalloc(sizeof(*sm3));
    sm3->md = EVP_MD_fetch(NULL, "SM3", NULL);
    sm3->mdctx = EVP_MD_CTX_new();
    if (!sm3->md || !sm3->mdctx || EVP_DigestInit_ex2(sm3->mdctx, sm3->md, NULL) != 1) {
        gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot initialise SM3");
        gdx_sm3_destroy(sm3);
        return NULL;
    }
    return sm3;
}

int gdx_sm3_update(struct gdx_sm3 *sm3, const void *data, size_t len, char *errstr,
                   size_t errstr_size)
{
    if (EVP_DigestUpdate(sm3->mdctx, data, len) != 1) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SM3 update failed");
    }
    return GDX_OK;
}

int gdx_sm3_final(struct gdx_sm3 *sm3, unsigned char out[GDX_SM3_LEN], char *errstr,
                  size_t errstr_size)
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(sm3->mdctx, out, &n) != 1 || n != GDX_SM3_LEN ||
        EVP_DigestInit_ex2(sm3->mdctx, sm3->md, NULL) != 1) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SM3 final failed");
    }
    return GDX_OK;
}

void gdx_sm3_destroy(struct gdx_sm3 *sm3)
{
    if (!sm3) {
        return;
    }
    EVP_MD_CTX_free(sm3->mdctx);
    EVP_MD_free(sm3->md);
    free(sm3);
}

int gdx_sm3(const void *data, size_t len, unsigned char out[GDX_SM3_LEN], char *errstr,
            size_t errstr_size)
{
    unsigned int n = 0;
    EVP_MD *md = EVP_MD_fetch(NULL, "SM3", NULL);
    int ok = md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == GDX_SM3_LEN;
    EVP_MD_free(md);
    if (!ok) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SM3 digest failed");
    }
    return GDX_OK;
}

int gdx_sm3_hex(const void *data, size_t len, char out[GDX_SM3_HEX_LEN + 1], char *errstr,
                size_t errstr_size)
{
    unsigned char d[GDX_SM3_LEN];
    int err = gdx_sm3(data, len, d, errstr, errstr_size);
    if (err) {
        return err;
    }
    gdx_hex_encode(d, sizeof(d), out);
    return GDX_OK;
}

/*
 * Fetching an algorithm in OpenSSL 3 takes locks and a method-store lookup, which cost more
 * than HMAC-SM3 over a phone number; the fetched HMAC with its digest set is kept as a
 * template made once per process (immutable after pthread_once) and duplicated per call.
 */
static EVP_MAC_CTX *hmac_sm3_template;
static pthread_once_t hmac_sm3_once = PTHREAD_ONCE_INIT;

static void hmac_sm3_init_template(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SM3", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (mac) {
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        if (ctx && EVP_MAC_CTX_set_params(ctx, params) == 1) {
            hmac_sm3_template = ctx;
        } else {
            EVP_MAC_CTX_free(ctx);
        }
        EVP_MAC_free(mac);
    }
}

int gdx_hmac_sm3(const void *key, size_t keylen, const void *data, size_t len,
                 unsigned char out[GDX_SM3_LEN], char *errstr, size_t errstr_size)
{
    EVP_MAC_CTX *mctx = NULL;
    size_t n = 0;
    int err = GDX_OK;

    pthread_once(&hmac_sm3_once, hmac_sm3_init_template);
    if (!hmac_sm3_template || !(mctx = EVP_MAC_CTX_dup(hmac_sm3_template)) ||
        EVP_MAC_init(mctx, key, keylen, NULL) != 1 || EVP_MAC_update(mctx, data, len) != 1 ||
        EVP_MAC_final(mctx, out, &n, GDX_SM3_LEN) != 1 || n != GDX_SM3_LEN) {
        err = gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "HMAC-SM3 failed");
    }
    EVP_MAC_CTX_free(mctx);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * SHA-256 and HMAC-SHA256: not national crypto, but what API gateways outside the GB/T
 * 39786 scope sign requests with (the http connector offers HMAC-SM3 beside it). A request
 * is signed once per HTTP call, so the algorithms are fetched per call. */

int gdx_sha256(const void *data, size_t len, unsigned char out[GDX_SHA256_LEN], char *errstr,
               size_t errstr_size)
{
    unsigned int n = 0;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    int ok = md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == GDX_SHA256_LEN;
    EVP_MD_free(md);
    if (!ok) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SHA-256 digest failed");
    }
    return GDX_OK;
}

int gdx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    unsigned char out[GDX_SHA256_LEN], char *errstr, size_t errstr_size)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];
    size_t n = 0;
    int err = GDX_OK;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!mctx || EVP_MAC_init(mctx, key, keylen, params) != 1 ||
        EVP_MAC_update(mctx, data, len) != 1 || EVP_MAC_final(mctx, out, &n, GDX_SHA256_LEN) != 1 ||
        n != GDX_SHA256_LEN) {
        err = gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "HMAC-SHA256 failed");
    }
    EVP_MAC_CTX_free(mctx);
    EVP_MAC_free(mac);
    return err;
}

/* ---------------------------------------------------------------------------------------
 * SM4 */

/* SM4 ciphers are fetched once per process for the same reason as HMAC-SM3 above. */
static EVP_CIPHER *sm4_cbc_alg, *sm4_ecb_alg;
static pthread_once_t sm4_once = PTHREAD_ONCE_INIT;

static void sm4_fetch(void)
{
    sm4_cbc_alg = EVP_CIPHER_fetch(NULL, "SM4-CBC", NULL);
    sm4_ecb_alg = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
}

static int sm4_run(const char *name, int enc, int pad, const unsigned char *key,
                   const unsigned char *iv, const void *in, size_t len, unsigned char **out,
                   size_t *outlen, char *errstr, size_t errstr_size)
{
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *cctx = NULL;
    unsigned char *buf = NULL;
    int n1 = 0, n2 = 0;
    int err = GDX_OK;

    if (len > 0x7fffffff - 2 * GDX_SM4_BLOCK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "input too long for SM4");
    }
    buf = xmalloc(len + GDX_SM4_BLOCK);
    pthread_once(&sm4_once, sm4_fetch);
    cipher = !strcmp(name, "SM4-CBC") ? sm4_cbc_alg : !strcmp(name, "SM4-ECB") ? sm4_ecb_alg : NULL;
    if (!cipher || !(cctx = EVP_CIPHER_CTX_new()) ||
        EVP_CipherInit_ex2(cctx, cipher, key, iv, enc, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(cctx, pad) != 1) {
        err = gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot initialise %s", name);
        goto out;
    }
    if (EVP_CipherUpdate(cctx, buf, &n1, in, (int)len) != 1 ||
        EVP_CipherFinal_ex(cctx, buf + n1, &n2) != 1) {
        err = gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "%s %s failed", name,
                                enc ? "encryption" : "decryption (bad key or padding)");
        goto out;
    }
    *out = buf;
    *outlen = (size_t)n1 + (size_t)n2;
    buf = NULL;
out:
    if (buf) {
        OPENSSL_cleanse(buf, len + GDX_SM4_BLOCK);
        free(buf);
    }
    EVP_CIPHER_CTX_free(cctx);

    return err;
}

int gdx_sm4_cbc_encrypt(const unsigned char key[GDX_SM4_KEY_LEN],
                        const unsigned char iv[GDX_SM4_BLOCK], const void *in, size_t len,
                        unsigned char **out, size_t *outlen, char *errstr, size_t errstr_size)
{
    return sm4_run("SM4-CBC", 1, 1, key, iv, in, len, out, outlen, errstr, errstr_size);
}

int gdx_sm4_cbc_decrypt(const unsigned char key[GDX_SM4_KEY_LEN],
                        const unsigned char iv[GDX_SM4_BLOCK], const void *in, size_t len,
                        unsigned char **out, size_t *outlen, char *errstr, size_t errstr_size)
{
    if (len == 0 || len % GDX_SM4_BLOCK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                          "SM4-CBC ciphertext length %zu is not a positive multiple of 16", len);
    }
    return sm4_run("SM4-CBC", 0, 1, key, iv, in, len, out, outlen, errstr, errstr_size);
}

int gdx_sm4_ecb_block(const unsigned char key[GDX_SM4_KEY_LEN],
                      const unsigned char in[GDX_SM4_BLOCK], unsigned char out[GDX_SM4_BLOCK],
                      char *errstr, size_t errstr_size)
{
    unsigned char *buf = NULL;
    size_t n = 0;
    int err = sm4_run("SM4-ECB", 1, 0, key, NULL, in, GDX_SM4_BLOCK, &buf, &n, errstr, errstr_size);
    if (err) {
        return err;
    }
    memcpy(out, buf, GDX_SM4_BLOCK);
    OPENSSL_cleanse(buf, n);
    free(buf);
    return GDX_OK;
}

/* ---------------------------------------------------------------------------------------
 * files */

int gdx_key_file_check_mode(const char *path, char *errstr, size_t errstr_size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot stat '%s': %s", path,
                          strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "key file '%s' is not a file", path);
    }
    if (st.st_mode & 077) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "key file '%s' has mode %04o: group or others may read it "
                          "(chmod 600 '%s')",
                          path, (unsigned)(st.st_mode & 07777), path);
    }
    return GDX_OK;
}

/*
 * Read a whole (small) file. With @p secret, refuse group/other-accessible files, checked
 * on the open descriptor so the file checked is the file read.
 */
static int read_small_file(const char *path, int secret, char **out, size_t *outlen, char *errstr,
                           size_t errstr_size)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd, err = GDX_OK;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot open '%s': %s", path,
                          strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot stat '%s': %s", path,
                         strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "'%s' is not a file", path);
        goto out;
    }
    if (secret && (st.st_mode & 077)) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                         "key file '%s' has mode %04o: group or others may read it "
                         "(chmod 600 '%s')",
                         path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    if (st.st_size > KEY_FILE_MAX) {
        err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "'%s' is too large for a key", path);
        goto out;
    }
    buf = xmalloc(KEY_FILE_MAX + 1);
    for (;;) {
        ssize_t r = read(fd, buf + n, KEY_FILE_MAX - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_IO, "cannot read '%s': %s", path,
                             strerror(errno));
            goto out;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
        if (n == KEY_FILE_MAX) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "'%s' is too large for a key",
                             path);
            goto out;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    buf = NULL;
out:
    if (buf) {
        OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
        free(buf);
    }
    close(fd);
    return err;
}

static void free_secret(char *p, size_t len)
{
    if (p) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

/* ---------------------------------------------------------------------------------------
 * SM2 */

struct gdx_sm2_key {
    EVP_PKEY *pkey;
    int has_private;
};

static int sm2_wrap(EVP_PKEY *pkey, int priv, const char *name, struct gdx_sm2_key **out,
                    char *errstr, size_t errstr_size)
{
    struct gdx_sm2_key *key;
    if (!EVP_PKEY_is_a(pkey, "SM2")) {
        EVP_PKEY_free(pkey);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "'%s' is not an SM2 key", name);
    }
    key = xmalloc(sizeof(*key));
    key->pkey = pkey;
    key->has_private = priv;
    *out = key;
    return GDX_OK;
}

/* Encrypted PEM keys are refused rather than prompting on a terminal from a daemon */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

int gdx_sm2_load_pem(const char *pem, size_t len, int private_key, const char *name,
                     struct gdx_sm2_key **out, char *errstr, size_t errstr_size)
{
    BIO *bio;
    EVP_PKEY *pkey;

    if (len > 0x7fffffff) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "'%s' is too large", name);
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot read '%s'", name);
    }
    ERR_clear_error();
    if (private_key) {
        pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    } else {
        pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    }
    BIO_free(bio);
    if (!pkey) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                                 "cannot load %s key from '%s'",
                                 private_key ? "a PEM private" : "a PEM public", name);
    }
    return sm2_wrap(pkey, private_key, name, out, errstr, errstr_size);
}

static int sm2_load_file(const char *path, int private_key, struct gdx_sm2_key **out, char *errstr,
                         size_t errstr_size)
{
    char *text = NULL;
    size_t len = 0;
    int err = read_small_file(path, private_key, &text, &len, errstr, errstr_size);
    if (err) {
        return err;
    }
    err = gdx_sm2_load_pem(text, len, private_key, path, out, errstr, errstr_size);
    free_secret(text, KEY_FILE_MAX + 1);
    return err;
}

int gdx_sm2_load_private_file(const char *path, struct gdx_sm2_key **out, char *errstr,
                              size_t errstr_size)
{
    return sm2_load_file(path, 1, out, errstr, errstr_size);
}

int gdx_sm2_load_public_file(const char *path, struct gdx_sm2_key **out, char *errstr,
                             size_t errstr_size)
{
    return sm2_load_file(path, 0, out, errstr, errstr_size);
}

int gdx_sm2_generate(struct gdx_sm2_key **out, char *errstr, size_t errstr_size)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    EVP_PKEY *pkey = NULL;

    if (!pctx || EVP_PKEY_keygen_init(pctx) != 1 || EVP_PKEY_generate(pctx, &pkey) != 1) {
        EVP_PKEY_CTX_free(pctx);
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot generate an SM2 key");
    }
    EVP_PKEY_CTX_free(pctx);
    return sm2_wrap(pkey, 1, "generated key", out, errstr, errstr_size);
}

int gdx_sm2_has_private(const struct gdx_sm2_key *key)
{
    return key->has_private;
}

int gdx_sm2_to_pem(const struct gdx_sm2_key *key, int private_key, char **pem, char *errstr,
                   size_t errstr_size)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    BUF_MEM *mem = NULL;
    int ok;

    if (private_key && !key->has_private) {
        BIO_free(bio);
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "the key has no private part");
    }
    if (!bio) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot write PEM");
    }
    if (private_key) {
        ok = PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL);
    } else {
        ok = PEM_write_bio_PUBKEY(bio, key->pkey);
    }
    if (ok != 1 || BIO_get_mem_ptr(bio, &mem) != 1 || !mem) {
        BIO_free(bio);
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot write PEM");
    }
    *pem = xmalloc(mem->length + 1);
    memcpy(*pem, mem->data, mem->length);
    (*pem)[mem->length] = '\0';
    BIO_free(bio);
    return GDX_OK;
}

/* A digest-sign/verify context with SM3 and the SM2 ID set explicitly. */
static EVP_MD_CTX *sm2_md_ctx(const struct gdx_sm2_key *key, int sign)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (!mctx) {
        return NULL;
    }
    if (sign) {
        ok = EVP_DigestSignInit_ex(mctx, &pctx, "SM3", NULL, NULL, key->pkey, NULL);
    } else {
        ok = EVP_DigestVerifyInit_ex(mctx, &pctx, "SM3", NULL, NULL, key->pkey, NULL);
    }
    /* pctx belongs to mctx; the ID must be set before the first update (Z digest) */
    if (ok != 1 || !pctx || EVP_PKEY_CTX_set1_id(pctx, GDX_SM2_ID, sizeof(GDX_SM2_ID) - 1) <= 0) {
        EVP_MD_CTX_free(mctx);
        return NULL;
    }
    return mctx;
}

int gdx_sm2_sign(const struct gdx_sm2_key *key, const void *msg, size_t len, unsigned char **sig,
                 size_t *siglen, char *errstr, size_t errstr_size)
{
    EVP_MD_CTX *mctx;
    unsigned char *buf = NULL;
    size_t n = 0;
    int err = GDX_OK;

    if (!key->has_private) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "cannot sign with a public SM2 key");
    }
    mctx = sm2_md_ctx(key, 1);
    if (!mctx) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                                 "cannot initialise SM2 signing");
    }
    if (EVP_DigestSignUpdate(mctx, msg, len) != 1 || EVP_DigestSignFinal(mctx, NULL, &n) != 1) {
        err = gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SM2 signing failed");
        goto out;
    }
    buf = xmalloc(n);
    if (EVP_DigestSignFinal(mctx, buf, &n) != 1) {
        err = gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SM2 signing failed");
        free(buf);
        goto out;
    }
    *sig = buf;
    *siglen = n;
out:
    EVP_MD_CTX_free(mctx);
    return err;
}

int gdx_sm2_verify(const struct gdx_sm2_key *key, const void *msg, size_t len,
                   const unsigned char *sig, size_t siglen, char *errstr, size_t errstr_size)
{
    EVP_MD_CTX *mctx = sm2_md_ctx(key, 0);
    int r;

    if (!mctx) {
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                                 "cannot initialise SM2 verification");
    }
    r = EVP_DigestVerifyUpdate(mctx, msg, len);
    if (r == 1) {
        r = EVP_DigestVerifyFinal(mctx, sig, siglen);
    }
    EVP_MD_CTX_free(mctx);
    if (r != 1) {
        /* A mismatch and a malformed DER signature are the same to the caller */
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                                 "SM2 signature does not verify");
    }
    return GDX_OK;
}

void gdx_sm2_key_destroy(struct gdx_sm2_key *key)
{
    if (!key) {
        return;
    }
    EVP_PKEY_free(key->pkey);
    free(key);
}

/* ---------------------------------------------------------------------------------------
 * symmetric data keys */

/* The subkeys gdx derives from a data key ("gdx tok", "gdx enc", "gdx mac") are computed once
 * when the key is made: deriving them per record cost two HMAC-SM3 runs a value. */
#define KEY_DERIVED_MAX 3
static const char *const key_derived_labels[KEY_DERIVED_MAX] = {"gdx tok", "gdx enc", "gdx mac"};

/*
 * Contexts prepared once per key, for the per-value work of tokens and envelopes: HMAC-SM3
 * keyed with the "gdx tok" and "gdx mac" subkeys (re-initialised per value without a key,
 * which restarts from the hashed ipad/opad blocks instead of hashing them again), and SM4-CBC
 * with the "gdx enc" subkey's schedule (only the IV is set per value). A key is shared by
 * threads (an uplink's partitions), so each context has its lock; the bytes out are the
 * same as from gdx_hmac_sm3 and gdx_sm4_cbc_encrypt with the derived subkeys.
 */
#define KEY_IV_POOL 32 /* IVs drawn from the DRBG at a time */

struct key_prep {
    pthread_mutex_t lock;
    EVP_MAC_CTX *mac[2]; /* GDX_KEY_TOK, GDX_KEY_MAC */
    EVP_CIPHER_CTX *enc;
    unsigned char ivs[KEY_IV_POOL][GDX_SM4_BLOCK]; /* fresh IVs, each used once */
    int ivs_left;
    pid_t ivs_pid; /* a forked child draws its own */
};

struct gdx_key {
    char id[GDX_KEY_ID_MAX + 1];
    size_t len;
    unsigned char *bytes;
    int derived_ok;
    unsigned char derived[KEY_DERIVED_MAX][GDX_SM3_LEN];
    struct key_prep *prep; /* NULL when OpenSSL could not prepare them: the slow path */
};

static void key_prep_free(struct key_prep *kp)
{
    if (!kp) {
        return;
    }
    EVP_MAC_CTX_free(kp->mac[0]);
    EVP_MAC_CTX_free(kp->mac[1]);
    EVP_CIPHER_CTX_free(kp->enc);
    pthread_mutex_destroy(&kp->lock);
    OPENSSL_cleanse(kp, sizeof(*kp));
    free(kp);
}

static struct key_prep *key_prepare(const struct gdx_key *key)
{
    static const int sub[2] = {0, 2}; /* "gdx tok", "gdx mac" */
    struct key_prep *kp = xmalloc(sizeof(*kp));
    int good = 1;
    memset(kp, 0, sizeof(*kp));
    pthread_mutex_init(&kp->lock, NULL);
    pthread_once(&hmac_sm3_once, hmac_sm3_init_template);
    pthread_once(&sm4_once, sm4_fetch);
    for (int i = 0; i < 2 && good; i++) {
        good = hmac_sm3_template && (kp->mac[i] = EVP_MAC_CTX_dup(hmac_sm3_template)) &&
               EVP_MAC_init(kp->mac[i], key->derived[sub[i]], GDX_SM3_LEN, NULL) == 1;
    }
    good = good && sm4_cbc_alg && (kp->enc = EVP_CIPHER_CTX_new()) &&
           EVP_CipherInit_ex2(kp->enc, sm4_cbc_alg, key->derived[1], NULL, 1, NULL) == 1 &&
           EVP_CIPHER_CTX_set_padding(kp->enc, 1) == 1;
    if (!good) {
        ERR_clear_error();
        key_prep_free(kp);
        return NULL;
    }
    return kp;
}

int gdx_key_hmac(const struct gdx_key *key, enum gdx_key_use use, const void *data, size_t len,
                 unsigned char out[GDX_SM3_LEN], char *errstr, size_t errstr_size)
{
    unsigned char sk[GDX_SM3_LEN];
    size_t n = 0;
    int err;
    if (key->prep) {
        EVP_MAC_CTX *m = key->prep->mac[use == GDX_KEY_MAC ? 1 : 0];
        pthread_mutex_lock(&key->prep->lock);
        err = EVP_MAC_init(m, NULL, 0, NULL) == 1 && EVP_MAC_update(m, data, len) == 1 &&
                      EVP_MAC_final(m, out, &n, GDX_SM3_LEN) == 1 && n == GDX_SM3_LEN
                  ? GDX_OK
                  : gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "HMAC-SM3 failed");
        pthread_mutex_unlock(&key->prep->lock);
        return err;
    }
    err = gdx_key_derive(key, use == GDX_KEY_MAC ? "gdx mac" : "gdx tok", sk, errstr, errstr_size);
    if (!err) {
        err = gdx_hmac_sm3(sk, sizeof(sk), data, len, out, errstr, errstr_size);
    }
    OPENSSL_cleanse(sk, sizeof(sk));
    return err;
}

int gdx_key_sm4_encrypt(const struct gdx_key *key, unsigned char iv[GDX_SM4_BLOCK], const void *in,
                        size_t len, unsigned char **out, size_t *outlen, char *errstr,
                        size_t errstr_size)
{
    unsigned char ek[GDX_SM3_LEN], *buf;
    int n1 = 0, n2 = 0, good;
    if (!key->prep) {
        int err = gdx_random_bytes(iv, GDX_SM4_BLOCK, errstr, errstr_size);
        if (!err) {
            err = gdx_key_derive(key, "gdx enc", ek, errstr, errstr_size);
        }
        if (!err) {
            err = gdx_sm4_cbc_encrypt(ek, iv, in, len, out, outlen, errstr, errstr_size);
        }
        OPENSSL_cleanse(ek, sizeof(ek));
        return err;
    }
    if (len > 0x7fffffff - 2 * GDX_SM4_BLOCK) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "input too long for SM4");
    }
    buf = xmalloc(len + GDX_SM4_BLOCK);
    pthread_mutex_lock(&key->prep->lock);
    if (key->prep->ivs_left == 0 || key->prep->ivs_pid != getpid()) {
        if (RAND_bytes(&key->prep->ivs[0][0], (int)sizeof(key->prep->ivs)) != 1) {
            pthread_mutex_unlock(&key->prep->lock);
            free(buf);
            return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO,
                                     "cannot get random bytes");
        }
        key->prep->ivs_left = KEY_IV_POOL;
        key->prep->ivs_pid = getpid();
    }
    key->prep->ivs_left--;
    memcpy(iv, key->prep->ivs[key->prep->ivs_left], GDX_SM4_BLOCK);
    OPENSSL_cleanse(key->prep->ivs[key->prep->ivs_left], GDX_SM4_BLOCK);
    good = EVP_CipherInit_ex2(key->prep->enc, NULL, NULL, iv, 1, NULL) == 1 &&
           EVP_CipherUpdate(key->prep->enc, buf, &n1, in, (int)len) == 1 &&
           EVP_CipherFinal_ex(key->prep->enc, buf + n1, &n2) == 1;
    pthread_mutex_unlock(&key->prep->lock);
    if (!good) {
        OPENSSL_cleanse(buf, len + GDX_SM4_BLOCK);
        free(buf);
        return gdx_crypto_seterr(errstr, errstr_size, GDX_ERR_CRYPTO, "SM4-CBC failed");
    }
    *out = buf;
    *outlen = (size_t)(n1 + n2);
    return GDX_OK;
}

int gdx_key_id_valid(const char *id)
{
    size_t n = 0;
    if (!id) {
        return 0;
    }
    for (; id[n]; n++) {
        unsigned char c = (unsigned char)id[n];
        if (!(isalnum(c) || c == '.' || c == '_' || c == '-') || c >= 0x80) {
            return 0;
        }
    }
    return n >= 1 && n <= GDX_KEY_ID_MAX;
}

int gdx_key_new(const char *id, const void *bytes, size_t len, struct gdx_key **out, char *errstr,
                size_t errstr_size)
{
    struct gdx_key *key;
    if (!gdx_key_id_valid(id)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "invalid key id '%.64s': use 1-64 of [A-Za-z0-9._-]", id ? id : "");
    }
    if (len < GDX_KEY_MIN_LEN || len > GDX_KEY_MAX_LEN) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "key '%s' is %zu bytes long: want %d to %d bytes", id, len,
                          GDX_KEY_MIN_LEN, GDX_KEY_MAX_LEN);
    }
    key = xmalloc(sizeof(*key));
    memset(key, 0, sizeof(*key));
    snprintf(key->id, sizeof(key->id), "%s", id);
    key->len = len;
    key->bytes = xmalloc(len);
    memcpy(key->bytes, bytes, len);
    key->derived_ok = 1;
    for (int i = 0; i < KEY_DERIVED_MAX; i++) {
        if (gdx_hmac_sm3(key->bytes, key->len, key_derived_labels[i], strlen(key_derived_labels[i]),
                         key->derived[i], NULL, 0)) {
            key->derived_ok = 0; /* derived on demand instead */
        }
    }
    if (key->derived_ok) {
        key->prep = key_prepare(key);
    }
    *out = key;
    return GDX_OK;
}

int gdx_key_from_text(const char *id, const char *text, size_t len, struct gdx_key **out,
                      char *errstr, size_t errstr_size)
{
    char *clean = xmalloc(len + 1);
    unsigned char raw[GDX_KEY_MAX_LEN + 1];
    unsigned char *dec = NULL;
    size_t n = 0, declen = 0;
    int err, is_hex = 1, force = 0; /* force: 1 hex, 2 base64 */
    const char *p;
    long r;

    /* Drop whitespace and comment lines; the key text is the rest, concatenated */
    for (size_t i = 0; i < len;) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n') {
            eol++;
        }
        size_t s = i;
        while (s < eol && isspace((unsigned char)text[s])) {
            s++;
        }
        if (s < eol && text[s] != '#') {
            for (size_t j = s; j < eol; j++) {
                if (!isspace((unsigned char)text[j])) {
                    clean[n++] = text[j];
                }
            }
        }
        i = eol + 1;
    }
    clean[n] = '\0';
    p = clean;
    if (n >= 4 && !strncmp(p, "hex:", 4)) {
        force = 1;
        p += 4;
    } else if (n >= 7 && !strncmp(p, "base64:", 7)) {
        force = 2;
        p += 7;
    }
    for (const char *q = p; *q; q++) {
        if (hexval((unsigned char)*q) < 0) {
            is_hex = 0;
        }
    }
    if (force == 1 || (force == 0 && is_hex && strlen(p) % 2 == 0)) {
        r = gdx_hex_decode(p, strlen(p), raw, sizeof(raw));
        if (r < 0) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "key '%s' is not valid hex or too long", id ? id : "");
            goto out;
        }
        err = gdx_key_new(id, raw, (size_t)r, out, errstr, errstr_size);
    } else {
        if (gdx_base64_decode(p, strlen(p), 0, &dec, &declen) != GDX_OK &&
            gdx_base64_decode(p, strlen(p), 1, &dec, &declen) != GDX_OK) {
            err = gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                             "key '%s' is neither hex nor base64", id ? id : "");
            goto out;
        }
        err = gdx_key_new(id, dec, declen, out, errstr, errstr_size);
    }
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    if (dec) {
        free_secret((char *)dec, declen);
    }
    free_secret(clean, len + 1);
    return err;
}

int gdx_key_load_file(const char *path, const char *id, struct gdx_key **out, char *errstr,
                      size_t errstr_size)
{
    char defid[GDX_KEY_ID_MAX + 8];
    char *text = NULL;
    size_t len = 0;
    int err;

    if (!id) {
        const char *base = strrchr(path, '/');
        size_t n;
        base = base ? base + 1 : path;
        snprintf(defid, sizeof(defid), "%s", base);
        n = strlen(defid);
        if (n > 4 && !strcmp(defid + n - 4, ".key")) {
            defid[n - 4] = '\0';
        }
        id = defid;
        if (!gdx_key_id_valid(id)) {
            return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                              "cannot use the name of key file '%s' as a key id: give one", path);
        }
    }
    err = read_small_file(path, 1, &text, &len, errstr, errstr_size);
    if (err) {
        return err;
    }
    err = gdx_key_from_text(id, text, len, out, errstr, errstr_size);
    free_secret(text, KEY_FILE_MAX + 1);
    if (err == GDX_ERR_CONFIG && errstr && errstr_size) {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s", errstr);
        gdx_seterr(errstr, errstr_size, err, "'%s': %s", path, tmp);
    }
    return err;
}

int gdx_key_load_env(const char *var, const char *id, struct gdx_key **out, char *errstr,
                     size_t errstr_size)
{
    char defid[GDX_KEY_ID_MAX + 1];
    const char *val = getenv(var);

    if (!val || !*val) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG,
                          "environment variable '%s' is not set", var);
    }
    if (!id) {
        size_t i = 0;
        for (; var[i] && i < GDX_KEY_ID_MAX; i++) {
            defid[i] = (char)tolower((unsigned char)var[i]);
        }
        defid[i] = '\0';
        id = defid;
    }
    return gdx_key_from_text(id, val, strlen(val), out, errstr, errstr_size);
}

const char *gdx_key_id(const struct gdx_key *key)
{
    return key->id;
}

int gdx_key_derive(const struct gdx_key *key, const char *label, unsigned char out[GDX_SM3_LEN],
                   char *errstr, size_t errstr_size)
{
    for (int i = 0; key->derived_ok && i < KEY_DERIVED_MAX; i++) {
        if (!strcmp(label, key_derived_labels[i])) {
            memcpy(out, key->derived[i], GDX_SM3_LEN);
            return GDX_OK;
        }
    }
    return gdx_hmac_sm3(key->bytes, key->len, label, strlen(label), out, errstr, errstr_size);
}

void gdx_key_destroy(struct gdx_key *key)
{
    if (!key) {
        return;
    }
    key_prep_free(key->prep);
    OPENSSL_cleanse(key->bytes, key->len);
    free(key->bytes);
    OPENSSL_cleanse(key, sizeof(*key));
    free(key);
}

/* ---------------------------------------------------------------------------------------
 * keyring */

struct gdx_keyring {
    struct gdx_key **keys;
    size_t count, cap;
    size_t current;
};

struct gdx_keyring *gdx_keyring_new(void)
{
    struct gdx_keyring *kr = xmalloc(sizeof(*kr));
    memset(kr, 0, sizeof(*kr));
    return kr;
}

void gdx_keyring_destroy(struct gdx_keyring *kr)
{
    if (!kr) {
        return;
    }
    for (size_t i = 0; i < kr->count; i++) {
        gdx_key_destroy(kr->keys[i]);
    }
    free(kr->keys);
    free(kr);
}

const struct gdx_key *gdx_keyring_find(const struct gdx_keyring *kr, const char *id)
{
    for (size_t i = 0; kr && id && i < kr->count; i++) {
        if (!strcmp(kr->keys[i]->id, id)) {
            return kr->keys[i];
        }
    }
    return NULL;
}

int gdx_keyring_add(struct gdx_keyring *kr, struct gdx_key *key, int make_current, char *errstr,
                    size_t errstr_size)
{
    if (gdx_keyring_find(kr, key->id)) {
        return gdx_seterr(errstr, errstr_size, GDX_ERR_CONFIG, "duplicate key id '%s'", key->id);
    }
    if (kr->count == kr->cap) {
        size_t cap = kr->cap ? kr->cap * 2 : 4;
        struct gdx_key **keys = realloc(kr->keys, cap * sizeof(*keys));
        if (!keys) {
            abort();
        }
        kr->keys = keys;
        kr->cap = cap;
    }
    kr->keys[kr->count] = key;
    if (make_current || kr->count == 0) {
        kr->current = kr->count;
    }
    kr->count++;
    return GDX_OK;
}

int gdx_keyring_set_current(struct gdx_keyring *kr, const char *id, char *errstr,
                            size_t errstr_size)
{
    for (size_t i = 0; i < kr->count; i++) {
        if (!strcmp(kr->keys[i]->id, id)) {
            kr->current = i;
            return GDX_OK;
        }
    }
    return gdx_seterr(errstr, errstr_size, GDX_ERR_NOENT, "no key with id '%s'", id);
}

const struct gdx_key *gdx_keyring_current(const struct gdx_keyring *kr)
{
    return kr && kr->count ? kr->keys[kr->current] : NULL;
}

size_t gdx_keyring_count(const struct gdx_keyring *kr)
{
    return kr ? kr->count : 0;
}
