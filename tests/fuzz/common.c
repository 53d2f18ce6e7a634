/*
 * common.c - helpers for the fuzz harnesses (see fuzz.h): a per-process scratch folder,
 * removed at exit, and a quiet log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "gdx_log.h"

static char fuzz_dir[64];

static void fuzz_cleanup(void)
{
    char cmd[128];
    if (fuzz_dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "cannot remove '%s'\n", fuzz_dir);
        }
    }
}

const char *fuzz_tmpdir(void)
{
    if (!fuzz_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/gdx-fuzz.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
            abort();
        }
        atexit(fuzz_cleanup);
    }
    return fuzz_dir;
}

char *fuzz_write(const char *name, const void *buf, size_t len)
{
    size_t n = strlen(fuzz_tmpdir()) + strlen(name) + 2;
    char *path = malloc(n);
    FILE *f;
    if (!path) {
        abort();
    }
    snprintf(path, n, "%s/%s", fuzz_tmpdir(), name);
    f = fopen(path, "wb");
    if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f)) {
        fprintf(stderr, "cannot write '%s': %s\n", path, strerror(errno));
        abort();
    }
    return path;
}

void fuzz_quiet(void)
{
    if (!getenv("GDX_FUZZ_LOG")) {
        gdx_log_set_level(0);
    }
}
