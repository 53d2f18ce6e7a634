/*
 * bench-protect - the cost per record of field protection beside plain Avro encoding,
 * measured in the same run: encode a work order (19 fields) N times as is, then with each
 * protection applied to the fields a department would protect. Prints ns per record and the
 * ratio to plain encoding.
 *
 *   bench-protect SCHEMA.avsc [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gdx_avro.h"
#include "gdx_crypto.h"
#include "gdx_protect.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const names[] = {
    "order_no",     "channel",         "received_at",   "caller_name", "caller_phone",
    "caller_id_no", "category",        "subcategory",   "title",       "content",
    "address",      "grid_code",       "handling_unit", "deadline",    "status",
    "urgency",      "amount_involved", "satisfaction",  "reply",
};
static const char *const values[] = {
    "GD20260920000123",
    "PHONE",
    "2026-09-20 10:30:00",
    "张建国",
    "13812345678",
    "11010519491231002X",
    "城市管理",
    "噪音扰民",
    "反映小区夜间施工噪音",
    "来电人称小区工地夜间施工，联系电话13812345678，身份证号11010519491231002X，要求处理。",
    "河南省周口市项城市千佛阁街道莲花大道68号",
    "411681005016",
    "市城市管理局",
    "2026-09-25 10:30:00",
    "RECEIVED",
    "NORMAL",
    "1280.00",
    "5",
    "已处理",
};

/* One record: protect the configured fields, encode everything. */
static int one(struct gdx_encoder *enc, const struct gdx_schema *s,
               const struct gdx_protect_rule *rules, const struct gdx_protect_keys *keys)
{
    char errstr[256];
    const void *body;
    size_t len;
    gdx_encoder_reset(enc);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct gdx_field *f = gdx_schema_field(s, names[i]);
        const char *v = values[i];
        char *out = NULL;
        if (!f) {
            continue;
        }
        if (rules && rules[f->index].field) {
            if (gdx_protect_apply(&rules[f->index], keys, v, strlen(v), &out, errstr,
                                  sizeof(errstr))) {
                fprintf(stderr, "bench-protect: %s\n", errstr);
                return -1;
            }
            v = out;
        }
        if (gdx_encoder_set(enc, f, v, v ? strlen(v) : 0, NULL, errstr, sizeof(errstr))) {
            fprintf(stderr, "bench-protect: %s\n", errstr);
            free(out);
            return -1;
        }
        free(out);
    }
    return gdx_encoder_finish(enc, 0, &body, &len, errstr, sizeof(errstr));
}

int main(int argc, char **argv)
{
    char errstr[512];
    long n = argc > 2 ? atol(argv[2]) : 200000;
    if (argc < 2) {
        fprintf(stderr, "usage: bench-protect SCHEMA.avsc [N]\n");
        return 2;
    }
    struct gdx_schema *s = gdx_schema_load(argv[1], errstr, sizeof(errstr));
    if (!s) {
        fprintf(stderr, "bench-protect: %s\n", errstr);
        return 1;
    }
    struct gdx_encoder *enc = gdx_encoder_new(s, errstr, sizeof(errstr));
    struct gdx_key *tk = NULL, *ek = NULL;
    unsigned char raw[32];
    memset(raw, 7, sizeof(raw));
    gdx_key_new("city-token", raw, sizeof(raw), &tk, errstr, sizeof(errstr));
    memset(raw, 9, sizeof(raw));
    gdx_key_new("hotline12345", raw, sizeof(raw), &ek, errstr, sizeof(errstr));
    struct gdx_keyring *tkr = gdx_keyring_new(), *ekr = gdx_keyring_new();
    gdx_keyring_add(tkr, tk, 1, errstr, sizeof(errstr));
    gdx_keyring_add(ekr, ek, 1, errstr, sizeof(errstr));
    struct gdx_protect_keys keys = {tkr, ekr};

    static const struct {
        const char *name;
        enum gdx_protect_action action;
    } modes[] = {
        {"mask (name, phone, id)", GDX_PROTECT_MASK},
        {"token (name, phone, id)", GDX_PROTECT_TOKEN},
        {"encrypt (name, phone, id)", GDX_PROTECT_ENCRYPT},
        {"scrub (content)", GDX_PROTECT_SCRUB},
    };
    struct gdx_protect_rule *rules = calloc(s->nfields, sizeof(*rules));
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (one(enc, s, NULL, &keys)) {
            return 1;
        }
    }
    double plain = (now_s() - t0) / (double)n * 1e9;
    printf("%-28s %8.0f ns/record  %6.2fx\n", "plain encoding (19 fields)", plain, 1.0);
    printf("bench: protect.plain_ns=%.0f\n", plain);
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        memset(rules, 0, s->nfields * sizeof(*rules));
        static const char *const pfields[] = {"caller_name", "caller_phone", "caller_id_no"};
        static const enum gdx_mask_format pfmt[] = {GDX_MASK_NAME, GDX_MASK_PHONE, GDX_MASK_ID};
        if (modes[m].action == GDX_PROTECT_SCRUB) {
            const struct gdx_field *f = gdx_schema_field(s, "content");
            rules[f->index] = (struct gdx_protect_rule){f->name, GDX_PROTECT_SCRUB, 0};
        } else {
            for (int k = 0; k < 3; k++) {
                const struct gdx_field *f = gdx_schema_field(s, pfields[k]);
                rules[f->index] = (struct gdx_protect_rule){f->name, modes[m].action, pfmt[k]};
            }
        }
        t0 = now_s();
        for (long i = 0; i < n; i++) {
            if (one(enc, s, rules, &keys)) {
                return 1;
            }
        }
        double ns = (now_s() - t0) / (double)n * 1e9;
        printf("%-28s %8.0f ns/record  %6.2fx  (+%.0f ns)\n", modes[m].name, ns, ns / plain,
               ns - plain);
        printf("bench: protect.%.*s_ns=%.0f ratio=%.2f\n", (int)strcspn(modes[m].name, " "),
               modes[m].name, ns, ns / plain);
    }
    free(rules);
    gdx_keyring_destroy(tkr);
    gdx_keyring_destroy(ekr);
    gdx_encoder_destroy(enc);
    gdx_schema_destroy(s);
    return 0;
}
