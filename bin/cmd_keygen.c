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

#include "cmd.h"
#include "gdx_crypto.h"
#include "gdx_err.h"

#define DATA_KEY_LEN 32

enum { O_SM2 = CMD_LONG(1), O_SM4, O_PUB };

static const struct cmd_opt keygen_opts[] = {
    {O_SM2, "sm2", 0, CMD_REQ, "FILE",
     "SM2 private key (PKCS#8 PEM); the public key goes to --pub FILE, or to stdout", NULL},
    {O_PUB, "pub", 0, CMD_REQ, "FILE", "where to write the SM2 public key (mode 0644)", NULL},
    {O_SM4, "sm4", 0, CMD_REQ, "FILE",
     "data key for token and encrypt: 32 random bytes in hex; its key id is the file name "
     "without .key",
     NULL},
    CMD_OPT_END,
};

static const struct cmd_item keygen_examples[] = {
    {"gdx keygen --sm4 /etc/gdx/keys/hotline12345.key", "A department's data key:"},
    {"gdx keygen --sm2 /etc/gdx/keys/audit-hotline12345.pem --pub "
     "/etc/gdx/keys/audit-hotline12345.pub.pem",
     "An audit signing key and its public half for the auditors' trust file:"},
    {NULL, NULL},
};

const struct cmd_doc cmd_keygen_doc = {
    .name = "keygen",
    .summary = "create an SM2 key pair or a data key file (mode 0600)",
    .args = "--sm2 OUT.pem [--pub OUT.pub.pem] | --sm4 OUT.key",
    .opts = keygen_opts,
    .description = "Create a new key file (mode 0600; an existing file is never overwritten). "
                   "Key rotation is described in docs/operations.md and docs/protection.md.",
    .examples = keygen_examples,
    .see_also = "gdx-decrypt(1)",
};

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
    struct cmd_parser p;
    const char *sm2 = NULL, *sm4 = NULL, *pub = NULL;
    int c;

    cmd_parser_init(&p, &cmd_keygen_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        switch (c) {
        case O_SM2:
            sm2 = optarg;
            break;
        case O_SM4:
            sm4 = optarg;
            break;
        case O_PUB:
            pub = optarg;
            break;
        case 'h':
            cmd_help(stdout, &cmd_keygen_doc);
            return GDX_EXIT_OK;
        default:
            return GDX_EXIT_USAGE;
        }
    }
    if (optind < argc || !!sm2 == !!sm4 || (pub && !sm2)) {
        cmd_help(stderr, &cmd_keygen_doc);
        return GDX_EXIT_USAGE;
    }
    return sm2 ? gen_sm2(sm2, pub) : gen_sm4(sm4);
}
