/*
 * tap.h - a minimal Test Anything Protocol producer for C tests, read by prove.
 *
 *   plan_no_plan();  ok(cond, "name %d", i);  is_int(got, want, "name");
 *   is_str(got, want, "name");  return done_testing();
 */
#ifndef GDX_TAP_H
#define GDX_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_vreport(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    tap_n++;
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
}

static inline int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vreport(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                 \
    do {                                                                                       \
        long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);                       \
        if (!tap_ok(tap_g_ == tap_w_, __FILE__, __LINE__, __VA_ARGS__)) {                      \
            printf("#   got: %lld\n#  want: %lld\n", tap_g_, tap_w_);                          \
        }                                                                                      \
    } while (0)

#define is_str(got, want, ...)                                                                 \
    do {                                                                                       \
        const char *tap_g_ = (got), *tap_w_ = (want);                                          \
        int tap_p_ = (tap_g_ && tap_w_) ? strcmp(tap_g_, tap_w_) == 0 : tap_g_ == tap_w_;      \
        if (!tap_ok(tap_p_, __FILE__, __LINE__, __VA_ARGS__)) {                                \
            printf("#   got: '%s'\n#  want: '%s'\n", tap_g_ ? tap_g_ : "(null)",               \
                   tap_w_ ? tap_w_ : "(null)");                                                \
        }                                                                                      \
    } while (0)

#define diag(...)                                                                              \
    do {                                                                                       \
        printf("# ");                                                                          \
        printf(__VA_ARGS__);                                                                   \
        printf("\n");                                                                          \
    } while (0)

static inline int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
