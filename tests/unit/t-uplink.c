/* t-uplink.c - the uplink's re-encoding under an egress policy: exact round trip of every
 * field not protected, protected values as the policy says, malformed bodies refused. */
#include <stdlib.h>
#include <string.h>

#include "gdx_avro.h"
#include "gdx_conf.h"
#include "gdx_policy.h"
#include "gdx_uplink.h"
#include "tap.h"

static const char *const names[] = {
    "order_no",     "channel",         "received_at",   "caller_name", "caller_phone",
    "caller_id_no", "category",        "subcategory",   "title",       "content",
    "address",      "grid_code",       "handling_unit", "deadline",    "status",
    "urgency",      "amount_involved", "satisfaction",  "reply",
};

/* One work order as text; @p phone and @p id vary per case. */
static int encode(struct gdx_encoder *enc, const struct gdx_schema *s, const char *phone,
                  const char *id, const void **body, size_t *len)
{
    const char *vals[] = {
        "GD20260920000123",
        "PHONE",
        "2026-09-20 10:30:00",
        "张三丰",
        phone,
        id,
        "城市管理",
        "噪音扰民",
        "夜间施工噪音",
        "来电人称其电话13812345678，身份证410102199001011234，请核实",
        "河南省周口市项城市千佛阁街道莲花大道12号",
        "411681005002",
        "项城市城市管理局",
        "2026-09-25 18:00:00",
        "DISPATCHED",
        "URGENT",
        "12800.50",
        "4",
        NULL,
    };
    char err[512];
    gdx_encoder_reset(enc);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct gdx_field *f = gdx_schema_field(s, names[i]);
        if (!f || gdx_encoder_set(enc, f, vals[i], vals[i] ? strlen(vals[i]) : 0, NULL, err,
                                  sizeof(err))) {
            diag("encode %s: %s", names[i], err);
            return -1;
        }
    }
    if (gdx_encoder_finish(enc, 0, body, len, err, sizeof(err))) {
        diag("finish: %s", err);
        return -1;
    }
    return 0;
}

static struct gdx_policy *policy_of(const struct gdx_schema *s, const char *yaml,
                                    struct gdx_node **root)
{
    char err[1024];
    struct gdx_policy *p = NULL;
    *root = gdx_conf_load_mem("t.yaml", yaml, strlen(yaml), err, sizeof(err));
    if (!*root) {
        diag("yaml: %s", err);
        return NULL;
    }
    if (gdx_policy_new(&p, s, gdx_conf_get(*root, "protect"), gdx_conf_get(*root, "keys"), NULL, 0,
                       err, sizeof(err))) {
        diag("policy: %s", err);
        return NULL;
    }
    return p;
}

int main(void)
{
    char err[1024];
    struct gdx_schema *s = gdx_schema_load("schemas/hotline12345/workorder.avsc", err, sizeof(err));
    struct gdx_encoder *enc;
    struct gdx_recoder *rc = NULL;
    struct gdx_policy *pol;
    struct gdx_node *root;
    const void *body, *out;
    size_t len, outlen;
    const char *stage, *field;
    unsigned char *copy;

    setenv("GDX_T_UPLINK_KEY", "hex:00112233445566778899aabbccddeeff", 1);
    if (!s) {
        diag("%s", err);
        ok(0, "schema loads");
        return done_testing();
    }
    enc = gdx_encoder_new(s, err, sizeof(err));
    ok(enc != NULL, "encoder");

    /* no rule: checked and passed through as is */
    ok(gdx_recoder_new(&rc, s, NULL, err, sizeof(err)) == GDX_OK, "recoder without a policy");
    is_int(encode(enc, s, "13812345678", "410102199001011234", &body, &len), 0, "record encodes");
    is_int((int)gdx_recoder_rules(rc), 0, "no rules");
    is_int(gdx_recoder_apply(rc, body, len, &out, &outlen, &stage, &field, err, sizeof(err)),
           GDX_OK, "a valid body passes");
    ok(out == body && outlen == len, "unchanged, not copied");
    is_int(gdx_recoder_apply(rc, body, len - 3, &out, &outlen, &stage, &field, err, sizeof(err)),
           GDX_ERR_PARSE, "a truncated body is refused");
    is_str(stage, "decode", "at the decode stage");
    copy = malloc(len + 1);
    memcpy(copy, body, len);
    copy[len] = 0;
    is_int(gdx_recoder_apply(rc, copy, len + 1, &out, &outlen, &stage, &field, err, sizeof(err)),
           GDX_ERR_PARSE, "trailing bytes are refused");
    copy[0] = 0xfe; /* order_no length: a huge varint */
    copy[1] = 0xff;
    is_int(gdx_recoder_apply(rc, copy, len, &out, &outlen, &stage, &field, err, sizeof(err)),
           GDX_ERR_PARSE, "a length beyond the body is refused before any allocation");
    free(copy);
    gdx_recoder_destroy(rc);

    /* protection: values only, every other field byte for byte */
    pol = policy_of(s,
                    "protect:\n  caller_name: mask\n  caller_phone: mask\n  caller_id_no: drop\n"
                    "  content: scrub\nkeys:\n  encrypt.key.env: GDX_T_UPLINK_KEY\n",
                    &root);
    ok(pol != NULL, "policy");
    ok(gdx_recoder_new(&rc, s, pol, err, sizeof(err)) == GDX_OK, "recoder with the policy");
    is_int((int)gdx_recoder_rules(rc), 4, "four rules");
    encode(enc, s, "13812345678", "410102199001011234", &body, &len);
    json_t *before = gdx_avro_decode_json(s, body, len, err, sizeof(err));
    is_int(gdx_recoder_apply(rc, body, len, &out, &outlen, &stage, &field, err, sizeof(err)),
           GDX_OK, "protected");
    json_t *after = gdx_avro_decode_json(s, out, outlen, err, sizeof(err));
    ok(before && after, "both decode");
    if (!after) {
        char hex[4096] = "";
        diag("%s", err);
        for (size_t i = 0; i < len && i < 60; i++) {
            sprintf(hex + strlen(hex), "%02x", ((const unsigned char *)body)[i]);
        }
        diag("in  %s", hex);
        hex[0] = 0;
        for (size_t i = 0; i < outlen && i < 60; i++) {
            sprintf(hex + strlen(hex), "%02x", ((const unsigned char *)out)[i]);
        }
        diag("out %s", hex);
    }
    if (before && after) {
        int same = 1;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *n = names[i];
            if (!strcmp(n, "caller_name") || !strcmp(n, "caller_phone") ||
                !strcmp(n, "caller_id_no") || !strcmp(n, "content")) {
                continue;
            }
            if (!json_equal(json_object_get(before, n), json_object_get(after, n))) {
                diag("field %s differs", n);
                same = 0;
            }
        }
        ok(same, "every unprotected field equal after re-encoding (timestamps, enums, decimal, "
                 "unions, Chinese text)");
        is_str(json_string_value(json_object_get(after, "caller_phone")), "138****5678",
               "phone masked");
        is_str(json_string_value(json_object_get(after, "caller_name")), "张**", "name masked");
        ok(json_is_null(json_object_get(after, "caller_id_no")), "id dropped (null)");
        const char *content = json_string_value(json_object_get(after, "content"));
        ok(content && !strstr(content, "13812345678") && !strstr(content, "410102199001011234"),
           "numbers in free text scrubbed");
    }
    json_decref(before);
    json_decref(after);

    /* a null stays null; the rest of the record is byte for byte the same */
    encode(enc, s, "13812345678", NULL, &body, &len);
    copy = malloc(len);
    memcpy(copy, body, len);
    gdx_recoder_destroy(rc);
    gdx_policy_destroy(pol);
    gdx_conf_destroy(root);
    pol = policy_of(
        s, "protect:\n  caller_id_no: mask\nkeys:\n  encrypt.key.env: GDX_T_UPLINK_KEY\n", &root);
    ok(pol && gdx_recoder_new(&rc, s, pol, err, sizeof(err)) == GDX_OK, "mask-only policy");
    is_int(gdx_recoder_apply(rc, copy, len, &out, &outlen, &stage, &field, err, sizeof(err)),
           GDX_OK, "re-encoded");
    ok(out != copy && outlen == len && !memcmp(out, copy, len),
       "decode + encode round trip is byte-exact");
    free(copy);

    /* a protection that fails names the field, never the value */
    encode(enc, s, "13812345678", "41010219900101123X", &body, &len);
    is_int(gdx_recoder_apply(rc, body, len, &out, &outlen, &stage, &field, err, sizeof(err)) != 0,
           1, "mask of an invalid resident ID fails");
    is_str(stage, "protect", "at the protect stage");
    is_str(field ? field : "", "caller_id_no", "naming the field");
    ok(!strstr(err, "41010219900101123X"), "without quoting the value: %s", err);

    gdx_recoder_destroy(rc);

    /* the planned walk of the common field shapes agrees with the general walk over Avro-C's
     * schema on every truncation and on single-byte changes at every position */
    {
        struct gdx_recoder *fast = NULL, *gen = NULL;
        static const unsigned char vals[] = {0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xfe, 0xff};
        size_t cases = 0, agree = 0;
        int okb = encode(enc, s, "13812345678", "410102199001011234", &body, &len) == 0;
        unsigned char *mut = malloc(len + 1);
        ok(okb && gdx_recoder_new(&fast, s, pol, err, sizeof(err)) == GDX_OK &&
               gdx_recoder_new(&gen, s, pol, err, sizeof(err)) == GDX_OK,
           "two recoders, one walking generically");
        gdx_recoder_set_generic(gen);
        for (size_t pos = 0; okb && fast && gen && pos <= len; pos++) {
            for (size_t v = 0; v <= sizeof(vals); v++) {
                size_t n = len;
                const void *o1, *o2;
                size_t l1 = 0, l2 = 0;
                const char *s1, *s2, *f1, *f2;
                char e1[512], e2[512];
                memcpy(mut, body, len);
                if (v == sizeof(vals)) {
                    n = pos; /* truncated at pos */
                } else if (pos < len) {
                    mut[pos] = vals[v];
                } else {
                    mut[len] = vals[v]; /* a trailing byte */
                    n = len + 1;
                }
                int r1 = gdx_recoder_apply(fast, mut, n, &o1, &l1, &s1, &f1, e1, sizeof(e1));
                unsigned char *c1 = r1 ? NULL : malloc(l1 + 1);
                if (c1) {
                    memcpy(c1, o1, l1);
                }
                int r2 = gdx_recoder_apply(gen, mut, n, &o2, &l2, &s2, &f2, e2, sizeof(e2));
                cases++;
                if (r1 == r2 && !strcmp(s1, s2) && (r1 || (l1 == l2 && !memcmp(c1, o2, l1))) &&
                    (!r1 || !strcmp(e1, e2))) {
                    agree++;
                } else if (cases - agree <= 3) {
                    diag("differs at %zu (value %zu): %d '%s' / %d '%s'", pos, v, r1, e1, r2, e2);
                }
                free(c1);
            }
        }
        ok(cases > 1000 && agree == cases, "planned and general walk agree (%zu of %zu cases)",
           agree, cases);
        free(mut);
        gdx_recoder_destroy(fast);
        gdx_recoder_destroy(gen);
    }
    gdx_policy_destroy(pol);
    gdx_conf_destroy(root);
    gdx_encoder_destroy(enc);
    gdx_schema_destroy(s);
    return done_testing();
}
