/*
 * fuzz-conf.c - the YAML config loader (lib/gdx_conf.c over libyaml) and what is built on
 * it: a connector's config as `gdx connector check` and `run` load it (gdx_runtime_new:
 * keys, the connector kind's `source:` section, schema, field mapping, protection policy,
 * audit), and the uplink's config (gdx_uplink_new).
 *
 * libyaml 0.2.5 accepts alias bombs, cyclic aliases and duplicate keys and slows down on deep
 * nesting: the loader refuses them, and files larger than GDX_CONF_MAX_BYTES. Input: byte 0
 * picks the consumer (connector, uplink, the bare tree); the rest is the file. Properties:
 *   - a refused file gets a message naming `file:line:col` or the file;
 *   - every node of an accepted tree has a position inside the file, no tree is deeper than
 *     GDX_CONF_MAX_DEPTH, and no scalar comes from an alias.
 * Nothing is started: the configs name a drop folder and a schema in a scratch folder and a
 * Kafka address that is never contacted.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gdx_conf.h"
#include "gdx_err.h"
#include "gdx_runtime.h"
#include "gdx_uplink.h"
#include "schemas.h"

static char *conf_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *p;
    (void)argc;
    (void)argv;
    fuzz_quiet();
    p = fuzz_write("workorder.avsc", fuzz_workorder_avsc, strlen(fuzz_workorder_avsc));
    free(p);
    p = fuzz_write("event.avsc", fuzz_event_avsc, strlen(fuzz_event_avsc));
    free(p);
    setenv("GDX_FUZZ_BOOTSTRAP", "127.0.0.1:9", 1);
    setenv("GDX_FUZZ_TOKEN_KEY", "00112233445566778899aabbccddeeff", 1);
    return 0;
}

static void walk(const struct gdx_node *n, int depth, int lines)
{
    FUZZ_CHECK(depth <= GDX_CONF_MAX_DEPTH + 1);
    FUZZ_CHECK(n->line >= 1 && n->line <= lines && n->col >= 1);
    if (n->type == GDX_NODE_SCALAR) {
        FUZZ_CHECK(n->value && n->nkids == 0);
        return;
    }
    for (size_t i = 0; i < n->nkids; i++) {
        FUZZ_CHECK(n->type != GDX_NODE_MAP || n->kids[i]->key);
        walk(n->kids[i], depth + 1, lines);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    int lines = 1;

    if (size < 1 || size > GDX_CONF_MAX_BYTES + 16) {
        return 0;
    }
    /* line breaks as YAML counts them (libyaml's marks): CR LF, a lone CR or LF, and NEL, LS
     * and PS in UTF-8 */
    for (size_t i = 1; i < size; i++) {
        if (data[i] == '\r') {
            lines++;
            i += i + 1 < size && data[i + 1] == '\n';
        } else if (data[i] == '\n') {
            lines++;
        } else if (data[i] == 0xc2 && i + 1 < size && data[i + 1] == 0x85) {
            lines++;
        } else if (data[i] == 0xe2 && i + 2 < size && data[i + 1] == 0x80 &&
                   (data[i + 2] == 0xa8 || data[i + 2] == 0xa9)) {
            lines++;
        }
    }
    if (data[0] % 3 == 2) {
        struct gdx_node *root =
            gdx_conf_load_mem("c.yaml", (const char *)data + 1, size - 1, err, sizeof(err));
        if (root) {
            walk(root, 0, lines + 1);
            gdx_conf_destroy(root);
        } else {
            FUZZ_CHECK(!strncmp(err, "c.yaml", 6));
        }
        return 0;
    }
    free(conf_path);
    conf_path = fuzz_write("c.yaml", data + 1, size - 1);
    if (data[0] % 3 == 0) {
        struct gdx_runtime *rt = NULL;
        int rc = gdx_runtime_new(&rt, conf_path, err, sizeof(err));
        FUZZ_CHECK((rc == GDX_OK) == (rt != NULL));
        FUZZ_CHECK(rc == GDX_OK || err[0]);
        gdx_runtime_destroy(rt);
    } else {
        struct gdx_uplink *up = NULL;
        int rc = gdx_uplink_new(&up, conf_path, err, sizeof(err));
        FUZZ_CHECK((rc == GDX_OK) == (up != NULL));
        FUZZ_CHECK(rc == GDX_OK || err[0]);
        gdx_uplink_destroy(up);
    }
    return 0;
}
