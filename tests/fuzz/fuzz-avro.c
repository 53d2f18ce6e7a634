/*
 * fuzz-avro.c - Avro values as they come from Kafka: the framing (Confluent or single-object
 * encoding), then the body, through both readers of bytes gdx did not write:
 *
 *   - gdx_avro_decode_json, which `gdx tail` and the dead-letter tools use;
 *   - gdx_recoder_apply, the uplink's bounded walk and field protection (mask, token and
 *     encrypt rules on the string fields).
 *
 * Neither hands a length or count from the wire to Avro-C or to an allocation before checking
 * it against the bytes left. Input: a framed record value; Confluent ids 1 and 2 stand for
 * the two harness schemas, as a registry would resolve them. Properties:
 *   - a body the tail decoder accepts is accepted by the uplink's walk (the uplink forwards
 *     everything that can be read), and with no rule passes through unchanged;
 *   - a protected body is again a valid body of the same schema, with the protected fields
 *     changed and every other field decoded equal.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_err.h"
#include "gdx_policy.h"
#include "gdx_uplink.h"
#include "schemas.h"

struct av_schema {
    struct gdx_schema *schema;
    struct gdx_policy *policy;
    struct gdx_recoder *plain, *protect;
};

static struct av_schema av[2];

static const char *const av_policy_yaml[2] = {
    "protect:\n"
    "  caller_name: mask\n"
    "  id_no: encrypt\n"
    "  phone: token\n"
    "  street: {action: mask, format: address}\n"
    "keys:\n"
    "  token.key.env: GDX_FUZZ_TOKEN_KEY\n"
    "  encrypt.key.env: GDX_FUZZ_ENCRYPT_KEY\n",
    "protect:\n"
    "  event_no: token\n"
    "  street: drop\n"
    "keys:\n"
    "  token.key.env: GDX_FUZZ_TOKEN_KEY\n",
};

static void av_fini(void)
{
    for (int i = 0; i < 2; i++) {
        gdx_recoder_destroy(av[i].plain);
        gdx_recoder_destroy(av[i].protect);
        gdx_policy_destroy(av[i].policy);
        gdx_schema_destroy(av[i].schema);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *texts[2] = {fuzz_workorder_avsc, fuzz_event_avsc};
    char err[512];
    (void)argc;
    (void)argv;
    fuzz_quiet();
    setenv("GDX_FUZZ_TOKEN_KEY", "00112233445566778899aabbccddeeff", 1);
    setenv("GDX_FUZZ_ENCRYPT_KEY", "ffeeddccbbaa99887766554433221100", 1);
    for (int i = 0; i < 2; i++) {
        struct gdx_node *root;
        av[i].schema = gdx_schema_parse(texts[i], strlen(texts[i]), "harness", err, sizeof(err));
        FUZZ_CHECK(av[i].schema);
        root = gdx_conf_load_mem("policy.yaml", av_policy_yaml[i], strlen(av_policy_yaml[i]), err,
                                 sizeof(err));
        FUZZ_CHECK(root);
        if (gdx_policy_new(&av[i].policy, av[i].schema, gdx_conf_get(root, "protect"),
                           gdx_conf_get(root, "keys"), NULL, 1, err, sizeof(err)) != GDX_OK) {
            fprintf(stderr, "harness policy: %s\n", err);
            abort();
        }
        gdx_conf_destroy(root);
        FUZZ_CHECK(gdx_recoder_new(&av[i].plain, av[i].schema, NULL, err, sizeof(err)) == GDX_OK);
        FUZZ_CHECK(gdx_recoder_new(&av[i].protect, av[i].schema, av[i].policy, err, sizeof(err)) ==
                   GDX_OK);
        FUZZ_CHECK(gdx_recoder_rules(av[i].protect) > 0);
    }
    atexit(av_fini);
    return 0;
}

static void check_body(struct av_schema *s, const uint8_t *body, size_t len)
{
    char err[512];
    const void *out;
    size_t out_len;
    const char *stage, *field;
    json_t *doc = gdx_avro_decode_json(s->schema, body, len, err, sizeof(err));
    int walk =
        gdx_recoder_apply(s->plain, body, len, &out, &out_len, &stage, &field, err, sizeof(err));
    if (walk == GDX_OK) {
        FUZZ_CHECK(out_len == len && memcmp(out, body, len) == 0);
    } else {
        FUZZ_CHECK(walk == GDX_ERR_PARSE && !strcmp(stage, "decode"));
    }
    if (doc) {
        FUZZ_CHECK(walk == GDX_OK);
    }
    if (gdx_recoder_apply(s->protect, body, len, &out, &out_len, &stage, &field, err,
                          sizeof(err)) == GDX_OK &&
        doc) {
        /* the protected body is a body of the same schema; unprotected fields are equal */
        uint8_t *copy = malloc(out_len ? out_len : 1);
        json_t *pdoc;
        FUZZ_CHECK(copy);
        memcpy(copy, out, out_len);
        pdoc = gdx_avro_decode_json(s->schema, copy, out_len, err, sizeof(err));
        if (!pdoc) {
            fprintf(stderr, "protected body does not decode: %s\n", err);
        }
        FUZZ_CHECK(pdoc);
        for (size_t i = 0; i < s->schema->nfields; i++) {
            const struct gdx_field *f = &s->schema->fields[i];
            if (gdx_policy_rule(s->policy, f->index)) {
                continue;
            }
            FUZZ_CHECK(json_equal(json_object_get(doc, f->name), json_object_get(pdoc, f->name)));
        }
        json_decref(pdoc);
        free(copy);
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t fp;
    int32_t id;

    if (size > 256 * 1024) {
        return 0;
    }
    if (gdx_confluent_parse(data, size, &id)) {
        if (id == 1 || id == 2) {
            check_body(&av[id - 1], data + GDX_CONFLUENT_HEADER_LEN,
                       size - GDX_CONFLUENT_HEADER_LEN);
        }
    } else if (gdx_soe_parse(data, size, &fp)) {
        for (int i = 0; i < 2; i++) {
            if (av[i].schema->fingerprint == fp) {
                check_body(&av[i], data + GDX_SOE_HEADER_LEN, size - GDX_SOE_HEADER_LEN);
            }
        }
    } else if (size > 0) {
        /* an unframed body: try it as both, as a tool would that was told the schema */
        check_body(&av[data[0] & 1], data + 1, size - 1);
    }
    return 0;
}
