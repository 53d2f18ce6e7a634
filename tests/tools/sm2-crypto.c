/*
 * sm2-crypto - test tool over lib/gdx_crypto and lib/gdx_protect, so process-level tests
 * can check gdx's SM2 signatures and enc:v1/tok:v1 envelopes against the openssl command
 * line without going through a running connector.
 *
 *   sm2-crypto keygen PRIV.pem PUB.pem      new SM2 key pair (private file mode 0600)
 *   sm2-crypto sign PRIV.pem MSG SIG        DER signature, SM3, ID 1234567812345678
 *   sm2-crypto verify PUB.pem MSG SIG       exit 0 if valid, 1 if not
 *   sm2-crypto encrypt KEYFILE KEYID        stdin -> enc:v1 envelope on stdout
 *   sm2-crypto decrypt KEYFILE KEYID        envelope on stdin -> plaintext on stdout
 *   sm2-crypto token KEYFILE KEYID FORMAT VALUE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdx_crypto.h"
#include "gdx_protect.h"

static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0, r;
    char *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    if (!buf) {
        abort();
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static char *read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *s;
    if (!f) {
        perror(path);
        exit(2);
    }
    s = slurp(f, len);
    fclose(f);
    return s;
}

static int write_path(const char *path, const void *data, size_t len, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int die(const char *what, const char *errstr)
{
    fprintf(stderr, "sm2-crypto: %s: %s\n", what, errstr);
    return 1;
}

int main(int argc, char **argv)
{
    char errstr[512];
    struct gdx_sm2_key *key = NULL;
    struct gdx_key *dk = NULL;
    size_t len = 0, siglen = 0;
    char *msg, *sig, *pem = NULL, *out = NULL;
    unsigned char *s = NULL;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: sm2-crypto keygen|sign|verify|encrypt|decrypt|token ...\n");
        return 2;
    }
    if (!strcmp(argv[1], "keygen") && argc == 4) {
        if (gdx_sm2_generate(&key, errstr, sizeof(errstr)) ||
            gdx_sm2_to_pem(key, 1, &pem, errstr, sizeof(errstr))) {
            return die("keygen", errstr);
        }
        rc = write_path(argv[2], pem, strlen(pem), 0600);
        free(pem);
        if (gdx_sm2_to_pem(key, 0, &pem, errstr, sizeof(errstr))) {
            return die("keygen", errstr);
        }
        rc |= write_path(argv[3], pem, strlen(pem), 0644);
        free(pem);
        gdx_sm2_key_destroy(key);
        return rc;
    }
    if (!strcmp(argv[1], "sign") && argc == 5) {
        if (gdx_sm2_load_private_file(argv[2], &key, errstr, sizeof(errstr))) {
            return die("sign", errstr);
        }
        msg = read_path(argv[3], &len);
        if (gdx_sm2_sign(key, msg, len, &s, &siglen, errstr, sizeof(errstr))) {
            return die("sign", errstr);
        }
        rc = write_path(argv[4], s, siglen, 0644);
        free(s);
        free(msg);
        gdx_sm2_key_destroy(key);
        return rc;
    }
    if (!strcmp(argv[1], "verify") && argc == 5) {
        if (gdx_sm2_load_public_file(argv[2], &key, errstr, sizeof(errstr))) {
            return die("verify", errstr);
        }
        msg = read_path(argv[3], &len);
        sig = read_path(argv[4], &siglen);
        rc = gdx_sm2_verify(key, msg, len, (unsigned char *)sig, siglen, errstr, sizeof(errstr));
        if (rc) {
            die("verify", errstr);
        }
        free(msg);
        free(sig);
        gdx_sm2_key_destroy(key);
        return rc ? 1 : 0;
    }
    if ((!strcmp(argv[1], "encrypt") || !strcmp(argv[1], "decrypt")) && argc == 4) {
        if (gdx_key_load_file(argv[2], argv[3], &dk, errstr, sizeof(errstr))) {
            return die(argv[1], errstr);
        }
        msg = slurp(stdin, &len);
        if (!strcmp(argv[1], "encrypt")) {
            rc = gdx_protect_encrypt(dk, msg, len, &out, errstr, sizeof(errstr));
            gdx_key_destroy(dk);
            if (rc) {
                free(msg);
                return die("encrypt", errstr);
            }
            printf("%s\n", out);
        } else {
            struct gdx_keyring *kr = gdx_keyring_new();
            size_t olen = 0;
            while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r')) {
                msg[--len] = '\0';
            }
            gdx_keyring_add(kr, dk, 1, errstr, sizeof(errstr));
            rc = gdx_protect_decrypt(kr, msg, len, &out, &olen, errstr, sizeof(errstr));
            gdx_keyring_destroy(kr);
            if (rc) {
                free(msg);
                return die("decrypt", errstr);
            }
            fwrite(out, 1, olen, stdout);
        }
        free(out);
        free(msg);
        return 0;
    }
    if (!strcmp(argv[1], "token") && argc == 6) {
        int f = gdx_mask_format_parse(argv[4]);
        if (f < 0 || gdx_key_load_file(argv[2], argv[3], &dk, errstr, sizeof(errstr))) {
            return die("token", f < 0 ? "unknown format" : errstr);
        }
        rc = gdx_protect_token(dk, (enum gdx_mask_format)f, argv[5], strlen(argv[5]), &out, errstr,
                               sizeof(errstr));
        gdx_key_destroy(dk);
        if (rc) {
            return die("token", errstr);
        }
        printf("%s\n", out);
        free(out);
        return 0;
    }
    fprintf(stderr, "sm2-crypto: bad arguments\n");
    return 2;
}
