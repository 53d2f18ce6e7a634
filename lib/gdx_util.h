/*
 * gdx_util.h - small helpers every module needs: allocation that aborts on out-of-memory
 * (nothing is acknowledged before Kafka commits, so a crashed process replays from its
 * offset), a monotonic clock, and joining a path to a config file's directory.
 */
#ifndef GDX_UTIL_H
#define GDX_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *gdx_xcalloc(size_t n, size_t size);
void *gdx_xrealloc(void *p, size_t size);
/* NULL stays NULL */
char *gdx_xstrdup(const char *s);
/* Milliseconds of CLOCK_MONOTONIC */
int64_t gdx_mono_ms(void);
/* @p p itself when absolute or @p dir is NULL, else "dir/p"; malloc'd */
char *gdx_path_join(const char *dir, const char *p);

#endif
