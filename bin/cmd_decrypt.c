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

#include "gdx_crypto.h"
#include "gdx_err.h"
#include "gdx_protect.h"

int cmd_decrypt(int argc, char **argv);

#define MAX_KEYS 32

struct key_src {
    const char *file; /* or NULL with env set */
    const char *env;
    const char *id;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: gdx decrypt (--key-file FILE | --key-env VAR) [--key-id ID]... "
                 "[ENVELOPE...]\n\n"
                 "Print the plaintext of enc:v1 envelopes (one per line on stdin without\n"
                 "arguments), one per line.\n\n"
                 "options:\n"
                 "  -k, --key-file FILE  data key file (hex or base64, mode 0600 or 0400);\n"
                 "                       repeat for several key ids\n"
                 "  -e, --key-env VAR    data key from environment variable VAR\n"
                 "  -i, --key-id ID      id of the key given just before (default: the file\n"
                 "                       name without .key, or VAR in lower case)\n"
                 "  -h, --help           this help\n\n"
                 "The envelope format and an openssl recipe are in docs/protection.md.\n");
}

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
    static const struct option opts[] = {
        {"key-file", required_argument, NULL, 'k'},
        {"key-env", required_argument, NULL, 'e'},
        {"key-id", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
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
    while ((c = getopt_long(argc, argv, "k:e:i:h", opts, NULL)) != -1) {
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
            usage(stdout);
            return GDX_EXIT_OK;
        default:
            usage(stderr);
            return GDX_EXIT_USAGE;
        }
    }
    if (nsrcs == 0 || pending_id) {
        fprintf(stderr, "gdx decrypt: %s\n",
                nsrcs == 0 ? "no key: give --key-file or --key-env"
                           : "--key-id must follow a --key-file or --key-env");
        usage(stderr);
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
