/*
 * gdx_util.c - allocation that aborts on out-of-memory, a monotonic clock, path joining.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdx_util.h"

void *gdx_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

void *gdx_xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

char *gdx_xstrdup(const char *s)
{
    char *p = s ? strdup(s) : NULL;
    if (s && !p) {
        abort();
    }
    return p;
}

int64_t gdx_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *gdx_path_join(const char *dir, const char *p)
{
    char *out;
    if (p[0] == '/' || !dir) {
        return gdx_xstrdup(p);
    }
    if (asprintf(&out, "%s/%s", dir, p) < 0) {
        abort();
    }
    return out;
}
