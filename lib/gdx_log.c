/*
 * gdx_log.c - logfmt logging to stderr.
 *
 * One line per event, written with a single write(2) so lines from concurrent processes
 * sharing a journal never interleave. The level, component and secret list are the only
 * process state in lib/: set once by bin/ before threads start; the secret list is guarded
 * by a mutex because librdkafka threads log too. Secrets are redacted from the finished line,
 * so a secret can never leak through a message someone forgot to sanitise.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gdx_log.h"

#define LOG_LINE_MAX   4096
#define LOG_SECRET_MAX 32

static int log_level = GDX_LOG_INFO;
static char log_component[128] = "gdx";
static char *log_secrets[LOG_SECRET_MAX];
static int log_nsecrets;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void gdx_log_set_level(int level)
{
    log_level = level;
}

int gdx_log_get_level(void)
{
    return log_level;
}

int gdx_log_level_parse(const char *name)
{
    if (!strcasecmp(name, "error")) {
        return GDX_LOG_ERROR;
    }
    if (!strcasecmp(name, "warn") || !strcasecmp(name, "warning")) {
        return GDX_LOG_WARN;
    }
    if (!strcasecmp(name, "info")) {
        return GDX_LOG_INFO;
    }
    if (!strcasecmp(name, "debug")) {
        return GDX_LOG_DEBUG;
    }
    return -1;
}

void gdx_log_set_component(const char *component)
{
    snprintf(log_component, sizeof(log_component), "%s", component ? component : "gdx");
}

void gdx_log_add_secret(const char *secret)
{
    /* Short secrets would redact ordinary words; nobody should use them anyway. */
    if (!secret || strlen(secret) < 4) {
        return;
    }
    pthread_mutex_lock(&log_lock);
    for (int i = 0; i < log_nsecrets; i++) {
        if (!strcmp(log_secrets[i], secret)) {
            pthread_mutex_unlock(&log_lock);
            return;
        }
    }
    if (log_nsecrets < LOG_SECRET_MAX) {
        log_secrets[log_nsecrets++] = strdup(secret);
    }
    pthread_mutex_unlock(&log_lock);
}

void gdx_log_clear_secrets(void)
{
    pthread_mutex_lock(&log_lock);
    for (int i = 0; i < log_nsecrets; i++) {
        OPENSSL_cleanse(log_secrets[i], strlen(log_secrets[i]));
        free(log_secrets[i]);
        log_secrets[i] = NULL;
    }
    log_nsecrets = 0;
    pthread_mutex_unlock(&log_lock);
}

static const char *level_name(int level)
{
    switch (level) {
    case GDX_LOG_ERROR:
        return "error";
    case GDX_LOG_WARN:
        return "warn";
    case GDX_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

/* Replace each registered secret in line (in place, the result is never longer). */
static void redact(char *line, size_t *len)
{
    static const char mark[] = "[redacted]";
    pthread_mutex_lock(&log_lock);
    for (int i = 0; i < log_nsecrets; i++) {
        size_t slen = strlen(log_secrets[i]);
        char *p;
        while ((p = strstr(line, log_secrets[i])) != NULL) {
            size_t mlen = slen < sizeof(mark) - 1 ? slen : sizeof(mark) - 1;
            memcpy(p, mark, mlen);
            memmove(p + mlen, p + slen, strlen(p + slen) + 1);
            *len -= slen - mlen;
        }
    }
    pthread_mutex_unlock(&log_lock);
}

/* Append msg as a logfmt value: quoted when it contains a space, quote, = or control. */
static size_t put_value(char *buf, size_t off, size_t size, const char *s)
{
    int needq = *s == '\0';
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20) {
            needq = 1;
            break;
        }
    }
    if (!needq) {
        int n = snprintf(buf + off, size - off, "%s", s);
        return n < 0 ? off : off + (size_t)n < size ? off + (size_t)n : size - 1;
    }
    if (off < size - 1) {
        buf[off++] = '"';
    }
    for (const char *p = s; *p && off < size - 3; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[off++] = '\\';
            buf[off++] = (char)c;
        } else if (c == '\n') {
            buf[off++] = '\\';
            buf[off++] = 'n';
        } else if (c < 0x20) {
            buf[off++] = ' ';
        } else {
            buf[off++] = (char)c;
        }
    }
    if (off < size - 1) {
        buf[off++] = '"';
    }
    buf[off] = '\0';
    return off;
}

void gdx_logv(int level, const char *msg, const char *kvfmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;
    size_t off;
    int n;

    if (level > log_level) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t secs = ts.tv_sec + 8 * 3600; /* Asia/Shanghai, no DST */
    gmtime_r(&secs, &tm);
    n = snprintf(line, sizeof(line),
                 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ld+08:00 level=%s connector=%s msg=",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000, level_name(level), log_component);
    off = n > 0 ? (size_t)n : 0;
    off = put_value(line, off, sizeof(line) - 2, msg);
    if (kvfmt && off < sizeof(line) - 2) {
        n = vsnprintf(line + off, sizeof(line) - 2 - off, kvfmt, ap);
        if (n > 0) {
            off += (size_t)n;
            if (off > sizeof(line) - 3) {
                off = sizeof(line) - 3;
            }
        }
    }
    line[off] = '\0';
    redact(line, &off);
    line[off++] = '\n';
    line[off] = '\0';
    ssize_t w = write(STDERR_FILENO, line, off);
    (void)w;
}

void gdx_log(int level, const char *msg, const char *kvfmt, ...)
{
    va_list ap;
    va_start(ap, kvfmt);
    gdx_logv(level, msg, kvfmt, ap);
    va_end(ap);
}

void gdx_logf(int level, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX];
    va_list ap;
    if (level > log_level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gdx_log(level, msg, NULL);
}
