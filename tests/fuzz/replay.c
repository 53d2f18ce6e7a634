/*
 * replay.c - the plain main() of a fuzz harness: runs every input file once, so the seed
 * corpora and the regression inputs of fixed crashes are replayed by `make test` on any
 * compiler, with or without sanitizers, and without libFuzzer.
 *
 *   replay-<name> FILE|DIR...
 *
 * Folders are read in name order (regular files only). Before each input its path goes to
 * stderr, so a crash names the input that caused it. Exits 0 after the last input, 2 on a
 * usage error or a file it cannot read; a failed property aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int replay_file(const char *path, unsigned long *count)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        fprintf(stderr, "cannot open '%s': %s\n", path, strerror(errno));
        return 2;
    }
    for (;;) {
        size_t n;
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            if (!buf) {
                abort();
            }
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "cannot read '%s': %s\n", path, strerror(errno));
        fclose(f);
        free(buf);
        return 2;
    }
    fclose(f);
    fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
    /* an exact-size copy, so ASan sees a read past the end as libFuzzer's runs would */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        abort();
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, unsigned long *count)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (stat(path, &st)) {
        fprintf(stderr, "cannot stat '%s': %s\n", path, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
        return replay_file(path, count);
    }
    if (!(d = opendir(path))) {
        fprintf(stderr, "cannot open '%s': %s\n", path, strerror(errno));
        return 2;
    }
    while ((de = readdir(d))) {
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        char *p;
        if (de->d_name[0] == '.') {
            continue;
        }
        p = malloc(len);
        if (!p) {
            abort();
        }
        snprintf(p, len, "%s/%s", path, de->d_name);
        if (stat(p, &st) || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            if (!names) {
                abort();
            }
        }
        names[n++] = p;
    }
    closedir(d);
    if (n) {
        qsort(names, n, sizeof(*names), name_cmp);
    }
    for (size_t i = 0; i < n; i++) {
        if (!rc) {
            rc = replay_file(names[i], count);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        int rc = replay_path(argv[i], &count);
        if (rc) {
            return rc;
        }
    }
    printf("replayed %lu inputs\n", count);
    return 0;
}
