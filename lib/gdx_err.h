/*
 * gdx_err.h - error codes shared by every module.
 *
 * A function that can fail returns int: GDX_OK or a negative gdx_err_t, and fills
 * `char *errstr, size_t errstr_size` with a lowercase message naming what failed and where.
 * GDX_ERR_RETRY marks a transient failure: callers back off and try again instead of dying.
 */
#ifndef GDX_ERR_H
#define GDX_ERR_H

#include <stddef.h>

typedef enum {
    GDX_OK = 0,
    GDX_ERR_FAIL = -1,     /* generic runtime failure */
    GDX_ERR_RETRY = -2,    /* transient: back off and retry */
    GDX_ERR_CONFIG = -3,   /* invalid configuration (exit 78) */
    GDX_ERR_IO = -4,       /* file or socket I/O */
    GDX_ERR_PARSE = -5,    /* malformed input data */
    GDX_ERR_SCHEMA = -6,   /* schema problem */
    GDX_ERR_NOENT = -7,    /* not found */
    GDX_ERR_FULL = -8,     /* a bound was reached (batch full, buffer full) */
    GDX_ERR_KAFKA = -9,    /* Kafka error not otherwise classified */
    GDX_ERR_FATAL = -10,   /* unrecoverable producer state: recreate */
    GDX_ERR_LOCKED = -11,  /* resource held by another process */
    GDX_ERR_CRYPTO = -12,  /* cryptographic failure (bad MAC, bad key) */
    GDX_ERR_USAGE = -13,   /* bad command-line usage (exit 2) */
    GDX_ERR_STOPPED = -14, /* interrupted by a stop request */
} gdx_err_t;

/* Exit codes of the gdx binary */
#define GDX_EXIT_OK     0
#define GDX_EXIT_FAIL   1
#define GDX_EXIT_USAGE  2
#define GDX_EXIT_CONFIG 78

const char *gdx_err2str(int err);

/* snprintf into errstr, never overflowing; returns @p err for `return gdx_seterr(...)` */
int gdx_seterr(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
