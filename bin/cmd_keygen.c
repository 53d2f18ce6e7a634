/*
 * gdx keygen - create key files: an SM2 key pair for signing (audit checkpoints) or a
 * symmetric data key for tokens and SM4 encryption.
 *
 * Secret files are created with mode 0600 and O_EXCL: an existing key is never overwritten,
 * since the data it protected would become unreadable. The data key is 32 random bytes in
 * hex; gdx derives the SM4 and HMAC-SM3 keys from it (docs/protection.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gdx_crypto.h"
#include "gdx_err.h"

int cmd_keygen(int argc, char **argv);

#define DATA_KEY_LEN 32

static void usage(FILE *out)
{
    fprintf(out, "usage: gdx keygen --sm2 OUT.pem [--pub OUT.pub.pem]\n"
                 "   or: gdx keygen --sm4 OUT.key\n\n"
                 "Create a new key file (mode 0600; an existing file is never overwritten).\n\n"
                 "options:\n"
                 "      --sm2 FILE   SM2 private key (PKCS#8 PEM); the public key goes to\n"
                 "                   --pub FILE, or to stdout\n"
                 "      --pub FILE   where to write the SM2 public key (mode 0644)\n"
                 "      --sm4 FILE   data key for token and encrypt: 32 random bytes in hex;\n"
                 "                   its key id is the file name without .key\n"
                 "  -h, --help       this help\n");
}

/* Write a new file, failing if it exists; fsync so a key is never half on disk */
static int write_new(const char *path, const char *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    size_t off = 0;

    if (fd < 0) {
        fprintf(stderr, "gdx keygen: cannot create '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        fprintf(stderr, "gdx keygen: cannot chmod '%s': %s\n", path, strerror(errno));
        goto fail;
    }
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fprintf(stderr, "gdx keygen: cannot write '%s': %s\n", path, strerror(errno));
            goto fail;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "gdx keygen: cannot write '%s': %s\n", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
fail:
    close(fd);
    unlink(path);
    return -1;
}

static int gen_sm2(const char *path, const char *pubpath)
{
    struct gdx_sm2_key *key = NULL;
    char errstr[512], *pem = NULL, *pub = NULL;
    int ret = GDX_EXIT_FAIL;

    if (gdx_sm2_generate(&key, errstr, sizeof(errstr)) ||
        gdx_sm2_to_pem(key, 1, &pem, errstr, sizeof(errstr)) ||
        gdx_sm2_to_pem(key, 0, &pub, errstr, sizeof(errstr))) {
        fprintf(stderr, "gdx keygen: %s\n", errstr);
        goto out;
    }
    if (write_new(path, pem, strlen(pem), 0600) != 0) {
        goto out;
    }
    if (pubpath) {
        if (write_new(pubpath, pub, strlen(pub), 0644) != 0) {
            goto out;
        }
    } else {
        fputs(pub, stdout);
    }
    fprintf(stderr, "gdx keygen: wrote SM2 private key '%s'%s%s%s\n", path,
            pubpath ? " and public key '" : "", pubpath ? pubpath : "", pubpath ? "'" : "");
    ret = GDX_EXIT_OK;
out:
    if (pem) {
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
    }
    free(pub);
    gdx_sm2_key_destroy(key);
    return ret;
}

static int gen_sm4(const char *path)
{
    unsigned char raw[DATA_KEY_LEN];
    char hex[2 * DATA_KEY_LEN + 1], text[2 * DATA_KEY_LEN + 128], errstr[256];
    int n, ret = GDX_EXIT_FAIL;

    if (gdx_random_bytes(raw, sizeof(raw), errstr, sizeof(errstr)) != GDX_OK) {
        fprintf(stderr, "gdx keygen: %s\n", errstr);
        return GDX_EXIT_FAIL;
    }
    gdx_hex_encode(raw, sizeof(raw), hex);
    n = snprintf(text, sizeof(text), "# gdx data key (%d bytes, hex)\n%s\n", DATA_KEY_LEN, hex);
    if (write_new(path, text, (size_t)n, 0600) == 0) {
        fprintf(stderr, "gdx keygen: wrote data key '%s'\n", path);
        ret = GDX_EXIT_OK;
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(hex, sizeof(hex));
    OPENSSL_cleanse(text, sizeof(text));
    return ret;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sm2", required_argument, NULL, '2'},
        {"sm4", required_argument, NULL, '4'},
        {"pub", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sm2 = NULL, *sm4 = NULL, *pub = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case '2':
            sm2 = optarg;
            break;
        case '4':
            sm4 = optarg;
            break;
        case 'p':
            pub = optarg;
            break;
        case 'h':
            usage(stdout);
            return GDX_EXIT_OK;
        default:
            usage(stderr);
            return GDX_EXIT_USAGE;
        }
    }
    if (optind < argc || !!sm2 == !!sm4 || (pub && !sm2)) {
        usage(stderr);
        return GDX_EXIT_USAGE;
    }
    return sm2 ? gen_sm2(sm2, pub) : gen_sm4(sm4);
}
