/*
 * gdx_log.h - logfmt logging to stderr.
 *
 * Every line: `ts=... level=... connector=<id> msg="..." key=value...`. lib/ code logs
 * through here only. Values of personal-data fields are never passed to these functions:
 * callers name the field and the row instead. Registered secrets are redacted from every
 * line as a second line of defence.
 */
#ifndef GDX_LOG_H
#define GDX_LOG_H

#include <stdarg.h>

enum gdx_log_level {
    GDX_LOG_ERROR = 3,
    GDX_LOG_WARN = 4,
    GDX_LOG_INFO = 6,
    GDX_LOG_DEBUG = 7,
};

/* Process-wide settings, set once by bin/ at start (the only process state lib keeps). */
void gdx_log_set_level(int level);
int gdx_log_get_level(void);
int gdx_log_level_parse(const char *name);         /* "error|warn|info|debug" -> level, -1 if bad */
void gdx_log_set_component(const char *component); /* connector id or command name */
/* Register a secret: any later log line containing it has it replaced by "[redacted]". */
void gdx_log_add_secret(const char *secret);
void gdx_log_clear_secrets(void);

/*
 * Log @p msg with optional logfmt key/values. @p kvfmt may be NULL; it is a printf format
 * producing ` key=value key2=value2` pairs (values quoted with gdx_log_quote as needed).
 */
void gdx_log(int level, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));
void gdx_logv(int level, const char *msg, const char *kvfmt, va_list ap);

/* Simple form: printf-style message, no extra keys */
void gdx_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gdx_error(...) gdx_logf(GDX_LOG_ERROR, __VA_ARGS__)
#define gdx_warn(...)  gdx_logf(GDX_LOG_WARN, __VA_ARGS__)
#define gdx_info(...)  gdx_logf(GDX_LOG_INFO, __VA_ARGS__)
#define gdx_debug(...) gdx_logf(GDX_LOG_DEBUG, __VA_ARGS__)

#endif
