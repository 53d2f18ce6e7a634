/*
 * fuzz-inventory.c - the city inventory (examples/xiangcheng/inventory.yaml) as the two
 * readers load it: `gdx topics` (gdx_inventory_load, lib/gdx_topics.c), strict, and the
 * supervisor's status page (sv_inventory_load, lib/gdx_supervise_http.c), lenient.
 *
 * Input: the inventory's YAML. Properties:
 *   - a refused file names itself and the place: `FILE:LINE:COL: reason` (or `FILE:LINE:`);
 *   - an inventory `gdx topics` accepts: unit ids and system ids of each unit valid and
 *     distinct, every topic <prefix>.<unit>.<system>.<record>, a share of unconditional,
 *     conditional or none, consumers that are units of the inventory, nothing marked for the
 *     uplink that is not shared;
 *   - what `gdx topics` accepts the supervisor accepts too, with the same units and systems
 *     in the same order, each system named <unit>.<system>;
 *   - the supervisor's systems are its units' systems, each named <unit>.<system>.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "gdx_err.h"
#include "gdx_supervise_int.h"
#include "gdx_topics.h"

static void check_where(const char *path, const char *err)
{
    size_t n = strlen(path);
    if (!strncmp(err, path, n) && !strcmp(err + n, ": file is empty")) {
        return; /* nothing but comments or blank lines: no place to name */
    }
    if (strncmp(err, path, n) || err[n] != ':' || !strchr("0123456789", err[n + 1])) {
        fprintf(stderr, "refused without naming the place: %s\n", err);
        FUZZ_CHECK(0);
    }
}

static int valid_id(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gdx_inventory *inv = NULL;
    struct sv_inventory *sv = NULL;
    char err[1024] = "", err2[1024] = "";
    char *path;
    int rc, rc2;

    if (size > 64 * 1024) {
        return 0;
    }
    path = fuzz_write("inventory.yaml", data, size);
    rc = gdx_inventory_load(&inv, path, NULL, err, sizeof(err));
    rc2 = sv_inventory_load(path, &sv, err2, sizeof(err2));
    if (rc != GDX_OK) {
        FUZZ_CHECK(!inv);
        check_where(path, err);
    }
    if (rc2 != GDX_OK) {
        FUZZ_CHECK(!sv);
        check_where(path, err2);
    }
    if (rc == GDX_OK) {
        size_t k = 0;
        FUZZ_CHECK(inv && inv->nunits > 0);
        if (rc2 != GDX_OK) {
            fprintf(stderr, "gdx topics reads it, the supervisor does not: %s\n", err2);
            FUZZ_CHECK(0);
        }
        FUZZ_CHECK(sv->nunits == inv->nunits);
        for (size_t u = 0; u < inv->nunits; u++) {
            const struct gdx_inv_unit *unit = &inv->units[u];
            FUZZ_CHECK(valid_id(unit->id) && !strcmp(sv->units[u].id, unit->id));
            FUZZ_CHECK(sv->units[u].n == unit->nsystems && sv->units[u].first == k);
            for (size_t v = 0; v < u; v++) {
                FUZZ_CHECK(strcmp(inv->units[v].id, unit->id));
            }
            for (size_t i = 0; i < unit->nsystems; i++, k++) {
                const struct gdx_inv_system *s = &unit->systems[i];
                char want[600];
                FUZZ_CHECK(valid_id(s->id) && s->unit == unit);
                for (size_t j = 0; j < i; j++) {
                    FUZZ_CHECK(strcmp(unit->systems[j].id, s->id));
                }
                snprintf(want, sizeof(want), "%s.%s", unit->id, s->id);
                FUZZ_CHECK(!strcmp(sv->systems[k].id, want));
                /* <prefix>.<unit>.<system>.<record> */
                snprintf(want, sizeof(want), ".%s.%s.", unit->id, s->id);
                {
                    const char *at = s->topic ? strstr(s->topic, want) : NULL;
                    FUZZ_CHECK(at && at > s->topic);
                    FUZZ_CHECK(at[strlen(want)] && !strchr(at + strlen(want), '.'));
                }
                FUZZ_CHECK(!strcmp(s->share, "unconditional") || !strcmp(s->share, "conditional") ||
                           !strcmp(s->share, "none"));
                FUZZ_CHECK(!(s->uplink && !strcmp(s->share, "none")));
                FUZZ_CHECK(!(s->nconsumers && !strcmp(s->share, "none")));
                for (size_t c = 0; c < s->nconsumers; c++) {
                    FUZZ_CHECK(gdx_inventory_unit(inv, s->consumers[c]) != NULL);
                }
            }
        }
        FUZZ_CHECK(sv->nsystems == k);
    }
    if (rc2 == GDX_OK) {
        size_t k = 0;
        for (size_t u = 0; u < sv->nunits; u++) {
            FUZZ_CHECK(sv->units[u].first == k && sv->units[u].id[0]);
            for (size_t i = 0; i < sv->units[u].n; i++, k++) {
                const struct sv_inv_system *s = &sv->systems[k];
                size_t ul = strlen(s->unit);
                FUZZ_CHECK(!strcmp(s->unit, sv->units[u].id) && s->system[0]);
                FUZZ_CHECK(!strncmp(s->id, s->unit, ul) && s->id[ul] == '.' &&
                           !strcmp(s->id + ul + 1, s->system));
            }
        }
        FUZZ_CHECK(k == sv->nsystems);
    }
    gdx_inventory_destroy(inv);
    sv_inventory_destroy(sv);
    unlink(path);
    free(path);
    return 0;
}
