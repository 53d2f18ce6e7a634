/*
 * gdx_err.c - error codes and messages.
 *
 * Errors travel as an int code plus a caller-provided message buffer (librdkafka's
 * errstr/errstr_size): no allocation on the error path and no global error state.
 */
#include <stdarg.h>
#include <stdio.h>

#include "gdx_err.h"

const char *gdx_err2str(int err)
{
    switch (err) {
    case GDX_OK:
        return "success";
    case GDX_ERR_FAIL:
        return "failure";
    case GDX_ERR_RETRY:
        return "transient failure";
    case GDX_ERR_CONFIG:
        return "invalid configuration";
    case GDX_ERR_IO:
        return "i/o error";
    case GDX_ERR_PARSE:
        return "malformed input";
    case GDX_ERR_SCHEMA:
        return "schema error";
    case GDX_ERR_NOENT:
        return "not found";
    case GDX_ERR_FULL:
        return "limit reached";
    case GDX_ERR_KAFKA:
        return "kafka error";
    case GDX_ERR_FATAL:
        return "fatal producer error";
    case GDX_ERR_LOCKED:
        return "locked by another process";
    case GDX_ERR_CRYPTO:
        return "cryptographic failure";
    case GDX_ERR_USAGE:
        return "usage error";
    case GDX_ERR_STOPPED:
        return "stopped";
    default:
        return "unknown error";
    }
}

int gdx_seterr(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
{
    va_list ap;
    if (errstr && errstr_size > 0) {
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}
