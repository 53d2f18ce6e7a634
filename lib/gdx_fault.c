/*
 * gdx_fault.c - named fault points for tests.
 *
 * The list is read from GDX_FAULTS at every hit (cheap: tests only), and hit counters are
 * kept per name in a small table guarded by a mutex, since librdkafka threads may call back
 * into code with fault points. A point is counted only while GDX_FAULTS names it, so the
 * Nth hit is the Nth time the code passed the point in this process.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_fault.h"
#include "gdx_log.h"

#if defined(GDX_TEST_BUILD) && GDX_TEST_BUILD

#define FAULT_MAX 64

static struct {
    char name[64];
    unsigned long hits;
} fault_counts[FAULT_MAX];
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned long fault_count(const char *name)
{
    unsigned long n = 0;
    pthread_mutex_lock(&fault_lock);
    for (int i = 0; i < FAULT_MAX; i++) {
        if (!fault_counts[i].name[0]) {
            strncpy(fault_counts[i].name, name, sizeof(fault_counts[i].name) - 1);
        }
        if (!strcmp(fault_counts[i].name, name)) {
            n = ++fault_counts[i].hits;
            break;
        }
    }
    pthread_mutex_unlock(&fault_lock);
    return n;
}

static int fault_fire(const char *name, unsigned long hit)
{
    gdx_log(GDX_LOG_WARN, "fault injected", " point=%s hit=%lu", name, hit);
    return 1;
}

int gdx_fault_hit(const char *name)
{
    const char *spec = getenv("GDX_FAULTS");
    size_t len = strlen(name);
    if (!spec || !*spec) {
        return 0;
    }
    for (const char *p = spec; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= len && !strncmp(p, name, len) && (n == len || p[len] == '@')) {
            unsigned long hit = fault_count(name);
            if (n == len) {
                return fault_fire(name, hit);
            }
            char *rest;
            unsigned long want = strtoul(p + len + 1, &rest, 10);
            if (*rest == '+' ? hit >= want : hit == want) {
                return fault_fire(name, hit);
            }
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

#endif
