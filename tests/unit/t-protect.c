/*
 * t-protect.c - masks, scrubbing, validators, tokens and the enc:v1 envelope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_protect.h"
#include "tap.h"

struct mask_case {
    enum gdx_mask_format format;
    const char *in;
    const char *want; /* NULL: an error is expected */
};

static const struct mask_case mask_cases[] = {
    /* resident ID */
    {GDX_MASK_ID, "410102199003071230", "410102********1230"},
    {GDX_MASK_ID, "11010519491231002X", "110105********002X"},
    {GDX_MASK_ID, "11010519491231002x", "110105********002X"},
    {GDX_MASK_ID, "４１０１０２１９９００３０７１２３０", "410102********1230"},
    {GDX_MASK_ID, "１１０１０５１９４９１２３１００２ｘ", "110105********002X"},
    {GDX_MASK_ID, "  410102199003071230　", "410102********1230"},
    {GDX_MASK_ID, "411681200002291230", "411681********1230"},
    {GDX_MASK_ID, "410102199003071231", NULL},  /* check digit */
    {GDX_MASK_ID, "41010219900307123", NULL},   /* 17 characters */
    {GDX_MASK_ID, "4101021990030712301", NULL}, /* 19 characters */
    {GDX_MASK_ID, "41168119850229004X", NULL},  /* 1985-02-29 */
    {GDX_MASK_ID, "411681198806311233", NULL},  /* June 31st */
    {GDX_MASK_ID, "411681300001011231", NULL},  /* born in 3000 */
    {GDX_MASK_ID, "4101021990030712X0", NULL},  /* X not last */
    {GDX_MASK_ID, "身份证410102199003071230", NULL},
    {GDX_MASK_ID, "", ""},
    /* mobile */
    {GDX_MASK_PHONE, "13812345678", "138****5678"},
    {GDX_MASK_PHONE, "+8613812345678", "138****5678"},
    {GDX_MASK_PHONE, "86 138-1234-5678", "138****5678"},
    {GDX_MASK_PHONE, "+86 138 1234 5678", "138****5678"},
    {GDX_MASK_PHONE, "１３８１２３４５６７８", "138****5678"},
    {GDX_MASK_PHONE, "19912345678", "199****5678"},
    {GDX_MASK_PHONE, "12812345678", NULL},
    {GDX_MASK_PHONE, "1381234567", NULL},
    {GDX_MASK_PHONE, "138123456789", NULL},
    {GDX_MASK_PHONE, "0374-1234567", NULL},
    {GDX_MASK_PHONE, "", ""},
    /* names */
    {GDX_MASK_NAME, "张", "*"},
    {GDX_MASK_NAME, "张三", "张*"},
    {GDX_MASK_NAME, "张三丰", "张**"},
    {GDX_MASK_NAME, "欧阳娜娜", "欧***"},
    {GDX_MASK_NAME, " 李明　", "李*"},
    {GDX_MASK_NAME, "", ""},
    /* addresses */
    {GDX_MASK_ADDRESS, "河南省周口市沈丘县槐店回族镇人民路12号", "河南省周口市沈丘县"},
    {GDX_MASK_ADDRESS, "北京市朝阳区建国路88号", "北京市朝阳区"},
    {GDX_MASK_ADDRESS, "广东省广州市天河区体育西路", "广东省广州市天河区"},
    {GDX_MASK_ADDRESS, "河南省郑州市金水区花园路", "河南省郑州市金水区"},
    {GDX_MASK_ADDRESS, "河南省周口市项城市付集镇", "河南省周口市项城市"},
    {GDX_MASK_ADDRESS, "河南省周口市项城市千佛阁街道莲花大道12号", "河南省周口市项城市"},
    {GDX_MASK_ADDRESS, "新疆维吾尔自治区阿克苏地区库车市团结路",
     "新疆维吾尔自治区阿克苏地区库车市"},
    {GDX_MASK_ADDRESS, "内蒙古自治区锡林郭勒盟正镶白旗明安图镇", "内蒙古自治区锡林郭勒盟正镶白旗"},
    {GDX_MASK_ADDRESS, "湖北省恩施土家族苗族自治州恩施市舞阳坝街道",
     "湖北省恩施土家族苗族自治州恩施市"},
    {GDX_MASK_ADDRESS, "山东省济南市市中区经七路", "山东省济南市市中区"},
    {GDX_MASK_ADDRESS, "河南省周口市市辖区", "河南省周口市市辖区"},
    {GDX_MASK_ADDRESS, "广西壮族自治区南宁市青秀区民族大道", "广西壮族自治区南宁市青秀区"},
    {GDX_MASK_ADDRESS, "沈丘县槐店回族镇人民路", "沈丘县"},
    {GDX_MASK_ADDRESS, "河南省周口市", "河南省周口市"},
    {GDX_MASK_ADDRESS, "解放路12号市场", "*"},
    {GDX_MASK_ADDRESS, "", ""},
    /* generic */
    {GDX_MASK_GENERIC, "项城市第一人民医院", "项*******院"},
    {GDX_MASK_GENERIC, "ab", "a*"},
    {GDX_MASK_GENERIC, "a", "*"},
    {GDX_MASK_GENERIC, "ＡＢＣ", "A*C"},
    {GDX_MASK_GENERIC, "", ""},
};

static void test_masks(void)
{
    char errstr[256];
    for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
        const struct mask_case *c = &mask_cases[i];
        char *out = NULL;
        int err;
        errstr[0] = '\0';
        err = gdx_mask(c->format, c->in, strlen(c->in), &out, errstr, sizeof(errstr));
        if (c->want) {
            if (err) {
                ok(0, "mask %s '%s': %s", gdx_mask_format_name(c->format), c->in, errstr);
            } else {
                is_str(out, c->want, "mask %s '%s'", gdx_mask_format_name(c->format), c->in);
            }
        } else {
            is_int(err, GDX_ERR_PARSE, "mask %s '%s' is an error", gdx_mask_format_name(c->format),
                   c->in);
            ok(out == NULL && !strstr(errstr, c->in), "  no output, value not quoted (%s)", errstr);
        }
        free(out);
    }
    char *out = NULL;
    is_int(gdx_mask(GDX_MASK_NAME, "张\xff", 4, &out, errstr, sizeof(errstr)), GDX_ERR_PARSE,
           "invalid UTF-8 refused");
}

static void test_validators(void)
{
    ok(gdx_resident_id_valid("11010519491231002X", 18), "reference ID valid");
    ok(gdx_resident_id_valid("11010519491231002x", 18), "lower-case x valid");
    ok(!gdx_resident_id_valid("110105194912310021", 18), "wrong check char invalid");
    ok(!gdx_resident_id_valid("41168119850229004X", 18), "impossible birth date invalid");
    ok(gdx_mobile_valid("+86 138 1234 5678", 17), "mobile with +86 and spaces");
    ok(!gdx_mobile_valid("02112345678", 11), "Shanghai landline is not a mobile");
    ok(gdx_uscc_valid("91350100M000100Y43", 18), "USCC reference valid");
    ok(gdx_uscc_valid("91411681MA44ABCB1X", 18), "USCC with letter check valid");
    ok(!gdx_uscc_valid("91350100M000100Y44", 18), "USCC wrong check invalid");
    ok(!gdx_uscc_valid("91350100I000100Y43", 18), "USCC letter I not in alphabet");
    ok(!gdx_uscc_valid("91350100M000100Y4", 17), "USCC short invalid");
}

struct scrub_case {
    const char *in, *want;
    size_t hits;
};

static const struct scrub_case scrub_cases[] = {
    {"市民张三（身份证410102199003071230）来电反映噪音扰民，回电13812345678。",
     "市民张三（身份证410102********1230）来电反映噪音扰民，回电138****5678。", 2},
    {"身份证号11010519491231002x", "身份证号110105********002X", 1},
    {"证件４１０１０２１９９００３０７１２３０，电话１３８１２３４５６７８",
     "证件410102********1230，电话138****5678", 2},
    {"订单号4101021990030712301无个人信息", "订单号4101021990030712301无个人信息", 0},
    {"校验位错410102199003071231保持原样", "校验位错410102199003071231保持原样", 0},
    {"流水号213812345678不是手机", "流水号213812345678不是手机", 0},
    {"联系+8613912345678或138-1234-5678或138 1234 5678",
     "联系+86139****5678或138****5678或138****5678", 3},
    {"工单12345号，金额128.00元", "工单12345号，金额128.00元", 0},
    {"千佛阁街道刘祖师庙社区来电反映路灯不亮，希望尽快维修。",
     "千佛阁街道刘祖师庙社区来电反映路灯不亮，希望尽快维修。", 0},
    {"无数字\xe5\xbc", "无数字\xe5\xbc", 0},
    {"回电１３８１２３４５６７８", "回电138****5678", 1},
    {"号码11010519491231002Ｘ后", "号码110105********002X后", 1},
    {"号码11010519491231002X5", "号码11010519491231002X5", 0},
    {"电话138－1234－5678。", "电话138****5678。", 1},
    {"电话138 1234 56789", "电话138 1234 56789", 0},
    {"电话138-1234 5678", "电话138-1234 5678", 0},
    {"电话138-1234-5678", "电话138****5678", 1},
    {"长号1381234567800000000", "长号1381234567800000000", 0},
    {"\xe4"
     "13812345678\xef\xbc",
     "\xe4"
     "138****5678\xef\xbc",
     1},
    {"8613812345678", "86138****5678", 1},
    {"", "", 0},
};

static void test_scrub(void)
{
    char errstr[256];
    for (size_t i = 0; i < sizeof(scrub_cases) / sizeof(scrub_cases[0]); i++) {
        const struct scrub_case *c = &scrub_cases[i];
        char *out = NULL;
        size_t hits = 99;
        is_int(gdx_scrub(c->in, strlen(c->in), &out, &hits, errstr, sizeof(errstr)), GDX_OK,
               "scrub case %zu", i);
        is_str(out, c->want, "scrub case %zu text", i);
        is_int(hits, c->hits, "scrub case %zu count", i);
        free(out);
    }
}

static char *tok(const struct gdx_key *key, enum gdx_mask_format f, const char *v)
{
    char *out = NULL, errstr[256];
    if (gdx_protect_token(key, f, v, strlen(v), &out, errstr, sizeof(errstr)) != GDX_OK) {
        diag("token failed: %s", errstr);
        return NULL;
    }
    return out;
}

static void test_tokens(const struct gdx_key *k1, const struct gdx_key *k2)
{
    static const char *const ids[] = {"11010519491231002X", "11010519491231002x",
                                      " １１０１０５１９４９１２３１００２Ｘ　",
                                      "\t11010519491231002X\n"};
    static const char *const phones[] = {"13812345678", "+86 138-1234-5678", "8613812345678",
                                         "１３８１２３４５６７８", "138 1234 5678"};
    char *a, *b;

    /* Hard-coded from the openssl CLI recipe in docs/protection.md */
    a = tok(k1, GDX_MASK_ID, ids[0]);
    is_str(a, "tok:v1:city-2025:ae475a42ffac90a7056cc78a62e58e264b912947122c7a83af4d2396b55fe798",
           "ID token matches the openssl recipe");
    for (size_t i = 1; i < sizeof(ids) / sizeof(ids[0]); i++) {
        b = tok(k1, GDX_MASK_ID, ids[i]);
        is_str(b, a, "ID token equal across variant %zu", i);
        free(b);
    }
    b = tok(k2, GDX_MASK_ID, ids[0]);
    ok(b && a && strcmp(a, b) != 0, "another key gives another token");
    ok(b && !strncmp(b, "tok:v1:city-2026:", 17), "token names its key id");
    free(b);
    b = tok(k1, GDX_MASK_ID, "410102199003071230");
    ok(b && a && strcmp(a, b) != 0, "another ID gives another token");
    free(b);
    free(a);

    a = tok(k1, GDX_MASK_PHONE, phones[0]);
    is_str(a, "tok:v1:city-2025:995c076a28ff1e9eb86832329d5ff5099c1e6be6e903fcfceca651c091aa1353",
           "phone token matches the openssl recipe");
    for (size_t i = 1; i < sizeof(phones) / sizeof(phones[0]); i++) {
        b = tok(k1, GDX_MASK_PHONE, phones[i]);
        is_str(b, a, "phone token equal across variant %zu", i);
        free(b);
    }
    free(a);
    a = tok(k1, GDX_MASK_PHONE, "　");
    is_str(a, "", "blank value gives an empty token");
    free(a);
}

static void test_encrypt(struct gdx_key *k1, struct gdx_key *k2)
{
    struct gdx_keyring *kr = gdx_keyring_new(), *old = gdx_keyring_new();
    const char *plain = "张三，410102199003071230，河南省周口市项城市千佛阁街道莲花大道12号";
    char *env = NULL, *env2 = NULL, *out = NULL, errstr[512], id[GDX_KEY_ID_MAX + 1];
    size_t outlen = 0;
    struct gdx_key *k1copy = NULL;

    is_int(gdx_protect_encrypt(k1, plain, strlen(plain), &env, errstr, sizeof(errstr)), GDX_OK,
           "encrypt");
    ok(env && !strncmp(env, "enc:v1:city-2025:", 17), "envelope prefix: %.40s...", env);
    ok(env && !strstr(env, "410102"), "envelope does not carry the value");
    gdx_protect_encrypt(k1, plain, strlen(plain), &env2, errstr, sizeof(errstr));
    ok(env && env2 && strcmp(env, env2) != 0, "random IV: two encryptions differ");
    is_int(gdx_protect_envelope_keyid(env, strlen(env), id), GDX_OK, "envelope key id");
    is_str(id, "city-2025", "envelope key id value");

    /* Keyring with k1 only */
    gdx_key_new("city-2025", "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16,
                &k1copy, errstr, sizeof(errstr));
    gdx_keyring_add(old, k1copy, 1, errstr, sizeof(errstr));
    is_int(gdx_protect_decrypt(old, env, strlen(env), &out, &outlen, errstr, sizeof(errstr)),
           GDX_OK, "decrypt");
    is_str(out, plain, "round trip");
    is_int(outlen, strlen(plain), "plaintext length");
    free(out);
    out = NULL;

    /* Tamper: flip one character in each part */
    for (int part = 0; part < 3; part++) {
        char *t = strdup(env);
        char *p = t + strlen("enc:v1:city-2025:");
        if (part == 1) {
            p = strchr(p, ':') + 1;
        } else if (part == 2) {
            p = strrchr(t, ':') + 1;
        }
        *p = *p == '1' ? '2' : '1'; /* valid hex and base64 either way */
        int err = gdx_protect_decrypt(old, t, strlen(t), &out, NULL, errstr, sizeof(errstr));
        ok(err == GDX_ERR_CRYPTO || err == GDX_ERR_PARSE, "tampered %s refused (%s)",
           part == 0   ? "iv"
           : part == 1 ? "ciphertext"
                       : "mac",
           errstr);
        ok(out == NULL, "  nothing decrypted");
        free(t);
    }
    char *t = strdup(env);
    memcpy(t + 7, "city-2026", 9);
    gdx_keyring_add(old, k2, 0, errstr, sizeof(errstr)); /* takes ownership of k2 */
    is_int(gdx_protect_decrypt(old, t, strlen(t), &out, NULL, errstr, sizeof(errstr)),
           GDX_ERR_CRYPTO, "relabelled key id fails the MAC");
    free(t);
    is_int(gdx_protect_decrypt(old, "enc:v1:x", 8, &out, NULL, errstr, sizeof(errstr)),
           GDX_ERR_PARSE, "truncated envelope refused");
    is_int(gdx_protect_decrypt(old, "tok:v1:city-2025:00", 19, &out, NULL, errstr, sizeof(errstr)),
           GDX_ERR_PARSE, "a token is not an envelope");

    /* Missing key names the id it needs */
    gdx_keyring_add(kr, k1, 1, errstr, sizeof(errstr)); /* takes ownership of k1 */
    char *env3 = NULL;
    struct gdx_key *k3 = NULL;
    gdx_key_new("dept-old", "0123456789abcdef", 16, &k3, errstr, sizeof(errstr));
    gdx_protect_encrypt(k3, plain, strlen(plain), &env3, errstr, sizeof(errstr));
    is_int(gdx_protect_decrypt(kr, env3, strlen(env3), &out, NULL, errstr, sizeof(errstr)),
           GDX_ERR_NOENT, "unknown key id");
    ok(strstr(errstr, "dept-old") != NULL, "error names the needed key id: %s", errstr);

    /* Rotation: new key encrypts, old ciphertext still decrypts */
    gdx_keyring_add(kr, k3, 0, errstr, sizeof(errstr));
    struct gdx_key *k4 = NULL;
    gdx_key_new("city-2027", "fedcba9876543210fedcba9876543210", 32, &k4, errstr, sizeof(errstr));
    gdx_keyring_add(kr, k4, 1, errstr, sizeof(errstr));
    struct gdx_protect_rule rule = {"id_no", GDX_PROTECT_ENCRYPT, GDX_MASK_ID};
    struct gdx_protect_keys keys = {NULL, kr};
    char *env4 = NULL;
    is_int(gdx_protect_apply(&rule, &keys, "410102199003071230", 18, &env4, errstr, sizeof(errstr)),
           GDX_OK, "apply encrypt after rotation");
    ok(env4 && !strncmp(env4, "enc:v1:city-2027:", 17), "new data uses the new key id");
    is_int(gdx_protect_decrypt(kr, env4, strlen(env4), &out, NULL, errstr, sizeof(errstr)), GDX_OK,
           "new ciphertext decrypts");
    is_str(out, "410102199003071230", "new ciphertext plaintext");
    free(out);
    out = NULL;
    is_int(gdx_protect_decrypt(kr, env, strlen(env), &out, NULL, errstr, sizeof(errstr)), GDX_OK,
           "old ciphertext (city-2025) still decrypts");
    is_str(out, plain, "old ciphertext plaintext");
    free(out);
    out = NULL;
    is_int(gdx_protect_decrypt(kr, env3, strlen(env3), &out, NULL, errstr, sizeof(errstr)), GDX_OK,
           "dept-old ciphertext decrypts once its key is added");
    free(out);

    /* Empty plaintext round-trips too */
    char *env5 = NULL;
    out = NULL;
    gdx_protect_encrypt(k4, "", 0, &env5, errstr, sizeof(errstr));
    is_int(gdx_protect_decrypt(kr, env5, strlen(env5), &out, &outlen, errstr, sizeof(errstr)),
           GDX_OK, "empty plaintext decrypts");
    ok(out && outlen == 0 && out[0] == '\0', "empty plaintext round trip");
    free(out);

    free(env);
    free(env2);
    free(env3);
    free(env4);
    free(env5);
    gdx_keyring_destroy(kr);
    gdx_keyring_destroy(old);
}

static void test_apply(const struct gdx_keyring *tokkr)
{
    struct gdx_protect_keys keys = {tokkr, NULL};
    struct gdx_protect_rule r;
    char *out = (char *)1, errstr[256];

    r = (struct gdx_protect_rule){"id_no", GDX_PROTECT_MASK, GDX_MASK_ID};
    is_int(gdx_protect_apply(&r, &keys, "11010519491231002X", 18, &out, errstr, sizeof(errstr)),
           GDX_OK, "apply mask id");
    is_str(out, "110105********002X", "apply mask id value");
    free(out);
    is_int(gdx_protect_apply(&r, &keys, "110105194912310021", 18, &out, errstr, sizeof(errstr)),
           GDX_ERR_PARSE, "apply mask of an invalid ID is an error");
    ok(strstr(errstr, "'id_no'") && !strstr(errstr, "110105"),
       "error names the field, not the value: %s", errstr);
    ok(out == NULL, "no half mask on error");

    r = (struct gdx_protect_rule){"remark", GDX_PROTECT_DROP, GDX_MASK_GENERIC};
    out = (char *)1;
    is_int(gdx_protect_apply(&r, &keys, "anything", 8, &out, errstr, sizeof(errstr)), GDX_OK,
           "apply drop");
    ok(out == NULL, "drop gives NULL");

    r = (struct gdx_protect_rule){"title", GDX_PROTECT_KEEP, GDX_MASK_GENERIC};
    gdx_protect_apply(&r, &keys, "噪音扰民", strlen("噪音扰民"), &out, errstr, sizeof(errstr));
    is_str(out, "噪音扰民", "keep gives the value");
    free(out);

    r = (struct gdx_protect_rule){"phone", GDX_PROTECT_TOKEN, GDX_MASK_PHONE};
    is_int(gdx_protect_apply(&r, &keys, "13812345678", 11, &out, errstr, sizeof(errstr)), GDX_OK,
           "apply token");
    ok(out && !strncmp(out, "tok:v1:city-2025:", 17), "apply token uses the current key");
    free(out);

    r = (struct gdx_protect_rule){"content", GDX_PROTECT_SCRUB, GDX_MASK_GENERIC};
    const char *txt = "来电人电话13812345678";
    gdx_protect_apply(&r, &keys, txt, strlen(txt), &out, errstr, sizeof(errstr));
    is_str(out, "来电人电话138****5678", "apply scrub");
    free(out);

    r = (struct gdx_protect_rule){"id_no", GDX_PROTECT_ENCRYPT, GDX_MASK_ID};
    is_int(gdx_protect_apply(&r, &keys, "x", 1, &out, errstr, sizeof(errstr)), GDX_ERR_CONFIG,
           "encrypt without a key is a config error");
    ok(strstr(errstr, "'id_no'") != NULL, "names the field: %s", errstr);

    r = (struct gdx_protect_rule){"name", GDX_PROTECT_MASK, GDX_MASK_NAME};
    out = (char *)1;
    is_int(gdx_protect_apply(&r, &keys, NULL, 0, &out, errstr, sizeof(errstr)), GDX_OK,
           "null value");
    ok(out == NULL, "null stays null");

    is_int(gdx_protect_action_parse("token"), GDX_PROTECT_TOKEN, "parse action");
    is_int(gdx_protect_action_parse("hash"), -1, "unknown action");
    is_int(gdx_mask_format_parse("address"), GDX_MASK_ADDRESS, "parse format");
    is_str(gdx_protect_action_name(GDX_PROTECT_ENCRYPT), "encrypt", "action name");
}

int main(void)
{
    struct gdx_key *k1 = NULL, *k2 = NULL, *tk = NULL;
    struct gdx_keyring *tokkr = gdx_keyring_new();
    char errstr[256];

    gdx_key_from_text("city-2025", "00112233445566778899aabbccddeeff", 32, &k1, errstr,
                      sizeof(errstr));
    gdx_key_from_text("city-2026", "ffeeddccbbaa99887766554433221100", 32, &k2, errstr,
                      sizeof(errstr));
    gdx_key_from_text("city-2025", "00112233445566778899aabbccddeeff", 32, &tk, errstr,
                      sizeof(errstr));
    gdx_keyring_add(tokkr, tk, 1, errstr, sizeof(errstr));

    test_masks();
    test_validators();
    test_scrub();
    test_tokens(k1, k2);
    test_apply(tokkr);
    test_encrypt(k1, k2); /* takes k1 and k2 */
    gdx_keyring_destroy(tokkr);
    return done_testing();
}
