/*
 * t-crypto.c - national cryptography primitives against published and openssl-computed
 * vectors, SM2 sign/verify, key files and keyrings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gdx_crypto.h"
#include "tap.h"

static char tmpdir[] = "/tmp/t-crypto.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void hex_of(const unsigned char *p, size_t n, char *out)
{
    gdx_hex_encode(p, n, out);
}

static void test_sm3(void)
{
    char hex[GDX_SM3_HEX_LEN + 1], errstr[256];
    unsigned char d[GDX_SM3_LEN];
    struct gdx_sm3 *sm3;

    is_int(gdx_sm3_hex("abc", 3, hex, errstr, sizeof(errstr)), GDX_OK, "sm3 one-shot");
    is_str(hex, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
           "SM3(\"abc\") matches GB/T 32905");

    sm3 = gdx_sm3_new(errstr, sizeof(errstr));
    ok(sm3 != NULL, "sm3 streaming context");
    gdx_sm3_update(sm3, "a", 1, errstr, sizeof(errstr));
    gdx_sm3_update(sm3, "bc", 2, errstr, sizeof(errstr));
    is_int(gdx_sm3_final(sm3, d, errstr, sizeof(errstr)), GDX_OK, "sm3 final");
    hex_of(d, sizeof(d), hex);
    is_str(hex, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
           "streaming SM3 in two pieces equals one-shot");
    /* Reset after final: the context is reusable */
    gdx_sm3_update(sm3, "abc", 3, errstr, sizeof(errstr));
    gdx_sm3_final(sm3, d, errstr, sizeof(errstr));
    hex_of(d, sizeof(d), hex);
    is_str(hex, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
           "context resets after final");
    gdx_sm3_destroy(sm3);
    gdx_sm3_destroy(NULL);
}

static void test_hmac(void)
{
    unsigned char mac[GDX_SM3_LEN], key[16];
    char hex[GDX_SM3_HEX_LEN + 1], errstr[256];

    /* Computed with: printf 'abc' | openssl mac -digest SM3 -macopt key:key HMAC */
    is_int(gdx_hmac_sm3("key", 3, "abc", 3, mac, errstr, sizeof(errstr)), GDX_OK, "hmac-sm3");
    hex_of(mac, sizeof(mac), hex);
    is_str(hex, "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393",
           "HMAC-SM3 known answer (openssl mac)");
    for (int i = 0; i < 16; i++) {
        key[i] = (unsigned char)i;
    }
    gdx_hmac_sm3(key, sizeof(key), "政务数据", strlen("政务数据"), mac, errstr, sizeof(errstr));
    hex_of(mac, sizeof(mac), hex);
    is_str(hex, "e6c48612b8a47324258685ceb20f9e8a8775b52ba4372fbbcf5eeafafea05eb7",
           "HMAC-SM3 over UTF-8 text with a binary key");
}

static void test_sm4(void)
{
    unsigned char key[16], iv[16], out[16], *ct = NULL, *pt = NULL;
    size_t ctlen = 0, ptlen = 0;
    char hex[256], errstr[256];
    const char *plain = "周口市项城市";

    gdx_hex_decode("0123456789abcdeffedcba9876543210", 32, key, sizeof(key));
    is_int(gdx_sm4_ecb_block(key, key, out, errstr, sizeof(errstr)), GDX_OK, "sm4 ecb block");
    hex_of(out, 16, hex);
    is_str(hex, "681edf34d206965e86b3e94f536e4246", "SM4 GB/T 32907 example 1");

    gdx_hex_decode("000102030405060708090a0b0c0d0e0f", 32, iv, sizeof(iv));
    is_int(gdx_sm4_cbc_encrypt(key, iv, plain, strlen(plain), &ct, &ctlen, errstr, sizeof(errstr)),
           GDX_OK, "sm4-cbc encrypt");
    is_int(ctlen, 32, "18 bytes pad to 32");
    hex_of(ct, ctlen, hex);
    /* printf '周口市项城市' | openssl enc -sm4-cbc -K 0123..3210 -iv 0001..0e0f | xxd -p */
    is_str(hex, "0eed0293cfa6938d4096e61f266ff996b465b1dabcead7c0c033bf39d407b801",
           "SM4-CBC/PKCS#7 matches openssl enc");
    is_int(gdx_sm4_cbc_decrypt(key, iv, ct, ctlen, &pt, &ptlen, errstr, sizeof(errstr)), GDX_OK,
           "sm4-cbc decrypt");
    ok(ptlen == strlen(plain) && memcmp(pt, plain, ptlen) == 0, "sm4-cbc round trip");
    free(pt);
    pt = NULL;
    key[0] ^= 1;
    ok(gdx_sm4_cbc_decrypt(key, iv, ct, ctlen, &pt, &ptlen, errstr, sizeof(errstr)) != GDX_OK ||
           ptlen != strlen(plain) || memcmp(pt, plain, ptlen) != 0,
       "wrong key does not give the plaintext");
    free(pt);
    pt = NULL;
    is_int(gdx_sm4_cbc_decrypt(key, iv, ct, 31, &pt, &ptlen, errstr, sizeof(errstr)),
           GDX_ERR_CRYPTO, "ciphertext not a multiple of 16 refused");
    free(ct);

    key[0] ^= 1;
    gdx_sm4_cbc_encrypt(key, iv, "", 0, &ct, &ctlen, errstr, sizeof(errstr));
    hex_of(ct, ctlen, hex);
    is_str(hex, "4b910651754b5553f10cfa0c8a09e9e5", "empty plaintext is one padding block");
    free(ct);
}

static void test_encodings(void)
{
    unsigned char *dec = NULL;
    size_t declen = 0;
    char *s;
    unsigned char buf[8];

    s = gdx_base64_encode("许", 3, 0);
    is_str(s, "6K64", "base64 of 3 bytes");
    free(s);
    s = gdx_base64_encode("ab", 2, 0);
    is_str(s, "YWI=", "base64 padding");
    free(s);
    s = gdx_base64_encode("\xfb\xff", 2, 1);
    is_str(s, "-_8", "base64url without padding");
    free(s);
    is_int(gdx_base64_decode("YWI=", 4, 0, &dec, &declen), GDX_OK, "base64 decode");
    ok(declen == 2 && !memcmp(dec, "ab", 2), "base64 decoded bytes");
    free(dec);
    is_int(gdx_base64_decode("YWJ=", 4, 0, &dec, &declen), GDX_ERR_PARSE,
           "non-canonical base64 refused");
    is_int(gdx_base64_decode("YW I=", 5, 0, &dec, &declen), GDX_ERR_PARSE,
           "base64 with a space refused");
    is_int((int)gdx_hex_decode("0aFf", 4, buf, sizeof(buf)), 2, "hex decode both cases");
    ok(buf[0] == 0x0a && buf[1] == 0xff, "hex decoded bytes");
    is_int((int)gdx_hex_decode("0g", 2, buf, sizeof(buf)), -1, "bad hex refused");
    is_int((int)gdx_hex_decode("abc", 3, buf, sizeof(buf)), -1, "odd hex refused");
}

static void test_sm2(void)
{
    struct gdx_sm2_key *key = NULL, *pub = NULL, *again = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    char errstr[512], *pem = NULL, path[256];
    const char *msg = "{\"event\":\"checkpoint\",\"unit\":\"hotline12345\"}";

    is_int(gdx_sm2_generate(&key, errstr, sizeof(errstr)), GDX_OK, "sm2 keygen");
    ok(gdx_sm2_has_private(key), "generated key can sign");
    is_int(gdx_sm2_sign(key, msg, strlen(msg), &sig, &siglen, errstr, sizeof(errstr)), GDX_OK,
           "sm2 sign");
    ok(siglen > 60 && siglen <= 72 && sig[0] == 0x30, "signature is DER (%zu bytes)", siglen);
    is_int(gdx_sm2_verify(key, msg, strlen(msg), sig, siglen, errstr, sizeof(errstr)), GDX_OK,
           "sm2 verify with the key pair");

    is_int(gdx_sm2_to_pem(key, 0, &pem, errstr, sizeof(errstr)), GDX_OK, "public PEM");
    ok(strstr(pem, "BEGIN PUBLIC KEY") != NULL, "SubjectPublicKeyInfo PEM");
    is_int(gdx_sm2_load_pem(pem, strlen(pem), 0, "mem", &pub, errstr, sizeof(errstr)), GDX_OK,
           "load public PEM from memory");
    ok(!gdx_sm2_has_private(pub), "public key has no private part");
    is_int(gdx_sm2_verify(pub, msg, strlen(msg), sig, siglen, errstr, sizeof(errstr)), GDX_OK,
           "verify with the public key alone");
    unsigned char *sig2 = NULL;
    size_t sig2len = 0;
    is_int(gdx_sm2_sign(pub, msg, strlen(msg), &sig2, &sig2len, errstr, sizeof(errstr)),
           GDX_ERR_CRYPTO, "cannot sign with a public key");
    free(pem);
    pem = NULL;

    sig[siglen - 3] ^= 0x01;
    is_int(gdx_sm2_verify(pub, msg, strlen(msg), sig, siglen, errstr, sizeof(errstr)),
           GDX_ERR_CRYPTO, "flipped signature byte fails");
    sig[siglen - 3] ^= 0x01;
    is_int(gdx_sm2_verify(pub, "x", 1, sig, siglen, errstr, sizeof(errstr)), GDX_ERR_CRYPTO,
           "other message fails");
    is_int(gdx_sm2_verify(pub, msg, strlen(msg), sig, 5, errstr, sizeof(errstr)), GDX_ERR_CRYPTO,
           "truncated signature fails");

    /* Private key file: mode is checked */
    gdx_sm2_to_pem(key, 1, &pem, errstr, sizeof(errstr));
    snprintf(path, sizeof(path), "%s/audit-sm2.pem", tmpdir);
    write_file(path, pem, 0644);
    is_int(gdx_sm2_load_private_file(path, &again, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "private key file 0644 refused");
    ok(strstr(errstr, path) && strstr(errstr, "0644"), "error names path and mode: %s", errstr);
    chmod(path, 0600);
    is_int(gdx_sm2_load_private_file(path, &again, errstr, sizeof(errstr)), GDX_OK,
           "private key file 0600 loads");
    is_int(gdx_sm2_verify(again, msg, strlen(msg), sig, siglen, errstr, sizeof(errstr)), GDX_OK,
           "reloaded key verifies the old signature");
    is_int(gdx_sm2_load_pem("junk", 4, 1, "junk.pem", &pub, errstr, sizeof(errstr)), GDX_ERR_CRYPTO,
           "junk PEM refused");
    ok(strstr(errstr, "junk.pem") != NULL, "error names the source: %s", errstr);

    free(pem);
    free(sig);
    gdx_sm2_key_destroy(key);
    gdx_sm2_key_destroy(pub);
    gdx_sm2_key_destroy(again);
    gdx_sm2_key_destroy(NULL);
}

static void test_keys(void)
{
    struct gdx_key *key = NULL, *k2 = NULL;
    struct gdx_keyring *kr;
    char path[256], errstr[512];
    unsigned char d[GDX_SM3_LEN], d2[GDX_SM3_LEN];

    snprintf(path, sizeof(path), "%s/civil-2025.key", tmpdir);
    write_file(path, "# civil affairs data key, 2025\n00112233445566778899aabbccddeeff\n", 0644);
    is_int(gdx_key_load_file(path, NULL, &key, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "key file 0644 refused");
    ok(strstr(errstr, path) && strstr(errstr, "0644"), "error names path and mode: %s", errstr);
    chmod(path, 0640);
    is_int(gdx_key_load_file(path, NULL, &key, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "key file 0640 refused");
    chmod(path, 0400);
    is_int(gdx_key_load_file(path, NULL, &key, errstr, sizeof(errstr)), GDX_OK,
           "key file 0400 loads");
    is_str(gdx_key_id(key), "civil-2025", "key id from the file name");
    gdx_key_destroy(key);
    key = NULL;
    chmod(path, 0600);
    is_int(gdx_key_load_file(path, "civ1", &key, errstr, sizeof(errstr)), GDX_OK,
           "key file 0600 loads with an explicit id");
    is_str(gdx_key_id(key), "civ1", "explicit key id");

    setenv("GDX_T_KEY", "base64:ABEiM0RVZneImaq7zN3u/w==", 1);
    is_int(gdx_key_load_env("GDX_T_KEY", NULL, &k2, errstr, sizeof(errstr)), GDX_OK,
           "key from env (base64)");
    is_str(gdx_key_id(k2), "gdx_t_key", "env key id defaults to the variable name");
    gdx_key_derive(key, "gdx enc", d, errstr, sizeof(errstr));
    gdx_key_derive(k2, "gdx enc", d2, errstr, sizeof(errstr));
    ok(!memcmp(d, d2, sizeof(d)), "hex file and base64 env give the same key bytes");
    gdx_key_destroy(k2);
    k2 = NULL;

    setenv("GDX_T_KEY", "0011", 1);
    is_int(gdx_key_load_env("GDX_T_KEY", "short", &k2, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "2-byte key refused");
    ok(strstr(errstr, "0011") == NULL, "error does not quote the key text");
    setenv("GDX_T_KEY", "not a key!", 1);
    is_int(gdx_key_load_env("GDX_T_KEY", "bad", &k2, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "garbage key refused");
    unsetenv("GDX_T_KEY");
    is_int(gdx_key_load_env("GDX_T_KEY", "none", &k2, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "unset env refused");
    is_int(gdx_key_new("bad:id", "0123456789abcdef", 16, &k2, errstr, sizeof(errstr)),
           GDX_ERR_CONFIG, "key id with a colon refused");

    kr = gdx_keyring_new();
    ok(gdx_keyring_current(kr) == NULL, "empty keyring has no current key");
    is_int(gdx_keyring_add(kr, key, 0, errstr, sizeof(errstr)), GDX_OK, "add first key");
    is_str(gdx_key_id(gdx_keyring_current(kr)), "civ1", "first key becomes current");
    gdx_key_new("civ2", "0123456789abcdef0123456789abcdef", 32, &k2, errstr, sizeof(errstr));
    is_int(gdx_keyring_add(kr, k2, 1, errstr, sizeof(errstr)), GDX_OK, "add rotated key");
    is_str(gdx_key_id(gdx_keyring_current(kr)), "civ2", "rotated key is current");
    ok(gdx_keyring_find(kr, "civ1") != NULL, "old key still found");
    gdx_key_new("civ2", "0123456789abcdef", 16, &k2, errstr, sizeof(errstr));
    is_int(gdx_keyring_add(kr, k2, 0, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "duplicate key id refused");
    gdx_key_destroy(k2);
    is_int(gdx_keyring_set_current(kr, "civ1", errstr, sizeof(errstr)), GDX_OK, "set current");
    is_str(gdx_key_id(gdx_keyring_current(kr)), "civ1", "current switched back");
    is_int(gdx_keyring_set_current(kr, "civ9", errstr, sizeof(errstr)), GDX_ERR_NOENT,
           "unknown id cannot be current");
    is_int(gdx_keyring_count(kr), 2, "two keys held");
    gdx_keyring_destroy(kr);
    gdx_keyring_destroy(NULL);
    gdx_key_destroy(NULL);
    unlink(path);
}

static void test_random(void)
{
    unsigned char a[32], b[32];
    char errstr[256];
    is_int(gdx_random_bytes(a, sizeof(a), errstr, sizeof(errstr)), GDX_OK, "random bytes");
    gdx_random_bytes(b, sizeof(b), errstr, sizeof(errstr));
    ok(memcmp(a, b, sizeof(a)) != 0, "two random draws differ");
}

/* The contexts a key prepares once give what the derived subkeys give through the one-shot
 * functions, call after call, in any order; each envelope IV is fresh. */
static void test_key_prepared(void)
{
    unsigned char raw[32], sub[GDX_SM3_LEN], a[GDX_SM3_LEN], b[GDX_SM3_LEN];
    unsigned char ivs[100][GDX_SM4_BLOCK];
    struct gdx_key *key = NULL;
    char err[256];
    int same = 1, dec = 1, fresh = 1;
    for (size_t i = 0; i < sizeof(raw); i++) {
        raw[i] = (unsigned char)(i * 7 + 3);
    }
    ok(gdx_key_new("xc-411681", raw, sizeof(raw), &key, err, sizeof(err)) == GDX_OK, "key");
    for (int i = 0; i < 100 && key; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof(msg), "1381234%04d 千佛阁街道 %d", i, i * i);
        enum gdx_key_use use = i % 3 ? GDX_KEY_TOK : GDX_KEY_MAC;
        unsigned char *ct = NULL, *pt = NULL;
        size_t ctlen = 0, ptlen = 0;
        gdx_key_derive(key, use == GDX_KEY_TOK ? "gdx tok" : "gdx mac", sub, err, sizeof(err));
        gdx_hmac_sm3(sub, sizeof(sub), msg, (size_t)n, a, err, sizeof(err));
        if (gdx_key_hmac(key, use, msg, (size_t)n, b, err, sizeof(err)) != GDX_OK ||
            memcmp(a, b, sizeof(a))) {
            same = 0;
        }
        gdx_key_derive(key, "gdx enc", sub, err, sizeof(err));
        if (gdx_key_sm4_encrypt(key, ivs[i], msg, (size_t)n, &ct, &ctlen, err, sizeof(err)) ||
            gdx_sm4_cbc_decrypt(sub, ivs[i], ct, ctlen, &pt, &ptlen, err, sizeof(err)) ||
            ptlen != (size_t)n || memcmp(pt, msg, ptlen)) {
            dec = 0;
        }
        for (int k = 0; k < i; k++) {
            if (!memcmp(ivs[k], ivs[i], GDX_SM4_BLOCK)) {
                fresh = 0;
            }
        }
        free(ct);
        free(pt);
    }
    ok(same, "prepared HMAC-SM3 = HMAC-SM3 under the derived subkey, 100 calls");
    ok(dec, "prepared SM4-CBC decrypts with the derived subkey, 100 calls");
    ok(fresh, "100 envelope IVs, all different");
    gdx_key_destroy(key);
}

int main(void)
{
    char cmd[300];
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_sm3();
    test_hmac();
    test_sm4();
    test_encodings();
    test_sm2();
    test_keys();
    test_random();
    test_key_prepared();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        diag("cannot remove %s", tmpdir);
    }
    return done_testing();
}
