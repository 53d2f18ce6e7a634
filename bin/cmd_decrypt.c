/*
 * gdx decrypt - turn enc:v1 envelopes back into plaintext, for the holders of the key.
 *
 * Envelopes come from the arguments or, without any, one per line on standard input; each
 * plaintext is printed on its own line in the same order. A failing envelope (unknown key
 * id, MAC mismatch, malformed) is reported on stderr by its position, never by its content,
 * and the others are still printed; the exit status is then 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmd.h"
#include "gdx_crypto.h"
#include "gdx_err.h"
#include "gdx_protect.h"

#define MAX_KEYS 32

struct key_src {
    const char *file; /* or NULL with env set */
    const char *env;
    const char *id;
};

static const struct cmd_opt decrypt_opts[] = {
    {'k', "key-file", 'k', CMD_REQ, "FILE",
     "data key file (hex or base64, mode 0600 or 0400); repeat for several key ids", NULL},
    {'e', "key-env", 'e', CMD_REQ, "VAR", "data key from environment variable VAR", NULL},
    {'i', "key-id", 'i', CMD_REQ, "ID",
     "id of the key given just before (default: the file name without .key, or VAR in lower "
     "case)",
     NULL},
    CMD_OPT_END,
};

const struct cmd_doc cmd_decrypt_doc = {
    .name = "decrypt",
    .summary = "print the plaintext of enc:v1 envelopes (for key holders)",
    .args = "(--key-file FILE | --key-env VAR) [--key-id ID]... [ENVELOPE...]",
    .opts = decrypt_opts,
    .description = "Print the plaintext of enc:v1 envelopes (one per line on stdin without "
                   "arguments), one per line. The envelope format and an openssl recipe are in "
                   "docs/protection.md.",
    .see_also = "gdx-keygen(1), gdx-tail(1)",
};

static int decrypt_one(const struct gdx_keyring *kr, const char *env, size_t len, size_t pos)
{
    char errstr[512], *out = NULL;
    size_t outlen = 0;
    int err = gdx_protect_decrypt(kr, env, len, &out, &outlen, errstr, sizeof(errstr));
    if (err) {
        fprintf(stderr, "gdx decrypt: envelope %zu: %s\n", pos, errstr);
        return 1;
    }
    fwrite(out, 1, outlen, stdout);
    fputc('\n', stdout);
    OPENSSL_cleanse(out, outlen);
    free(out);
    return 0;
}

int cmd_decrypt(int argc, char **argv)
{
    struct cmd_parser p;
    struct key_src srcs[MAX_KEYS];
    size_t nsrcs = 0, pos = 0;
    const char *pending_id = NULL;
    struct gdx_keyring *kr = NULL;
    char errstr[512];
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int c, failed = 0, ret = GDX_EXIT_FAIL;

    memset(srcs, 0, sizeof(srcs));
    cmd_parser_init(&p, &cmd_decrypt_doc, 0);
    while ((c = cmd_getopt(&p, argc, argv)) != -1) {
        switch (c) {
        case 'k':
        case 'e':
            if (nsrcs == MAX_KEYS) {
                fprintf(stderr, "gdx decrypt: at most %d keys\n", MAX_KEYS);
                return GDX_EXIT_USAGE;
            }
            srcs[nsrcs].file = c == 'k' ? optarg : NULL;
            srcs[nsrcs].env = c == 'e' ? optarg : NULL;
            srcs[nsrcs].id = pending_id;
            pending_id = NULL;
            nsrcs++;
            break;
        case 'i':
            if (nsrcs > 0 && !srcs[nsrcs - 1].id) {
                srcs[nsrcs - 1].id = optarg;
            } else {
                pending_id = optarg;
            }
            break;
        case 'h':
            cmd_help(stdout, &cmd_decrypt_doc);
            return GDX_EXIT_OK;
        default:
            cmd_help(stderr, &cmd_decrypt_doc);
            return GDX_EXIT_USAGE;
        }
    }
    if (nsrcs == 0 || pending_id) {
        fprintf(stderr, "gdx decrypt: %s\n",
                nsrcs == 0 ? "no key: give --key-file or --key-env"
                           : "--key-id must follow a --key-file or --key-env");
        cmd_help(stderr, &cmd_decrypt_doc);
        return GDX_EXIT_USAGE;
    }

    kr = gdx_keyring_new();
    for (size_t i = 0; i < nsrcs; i++) {
        struct gdx_key *key = NULL;
        int err = srcs[i].file
                      ? gdx_key_load_file(srcs[i].file, srcs[i].id, &key, errstr, sizeof(errstr))
                      : gdx_key_load_env(srcs[i].env, srcs[i].id, &key, errstr, sizeof(errstr));
        if (!err) {
            err = gdx_keyring_add(kr, key, 0, errstr, sizeof(errstr));
            if (err) {
                gdx_key_destroy(key);
            }
        }
        if (err) {
            fprintf(stderr, "gdx decrypt: %s\n", errstr);
            ret = err == GDX_ERR_IO ? GDX_EXIT_FAIL : GDX_EXIT_CONFIG;
            goto out;
        }
    }

    if (optind < argc) {
        for (int i = optind; i < argc; i++) {
            failed |= decrypt_one(kr, argv[i], strlen(argv[i]), ++pos);
        }
    } else {
        while ((n = getline(&line, &cap, stdin)) >= 0) {
            size_t len = (size_t)n;
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
                len--;
            }
            pos++;
            if (len == 0) {
                continue;
            }
            failed |= decrypt_one(kr, line, len, pos);
        }
    }
    if (fflush(stdout) != 0) {
        perror("gdx decrypt: stdout");
        failed = 1;
    }
    ret = failed ? GDX_EXIT_FAIL : GDX_EXIT_OK;
out:
    free(line);
    gdx_keyring_destroy(kr);
    return ret;
}
