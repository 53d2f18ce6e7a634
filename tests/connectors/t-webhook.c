/*
 * t-webhook.c - the webhook's key window (digests, bounds by count and age, the text form that
 * travels in positions and its round trip, the window an attempt carries before its commit,
 * many insertions and deletions against a reference) and its body splitting (object, array,
 * JSON Lines, and every refusal with its status and reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/webhook/body.h"
#include "../../connectors/webhook/idem.h"
#include "tap.h"

static void digest_of(int i, char d[WH_DIGEST_LEN + 1])
{
    char key[64];
    snprintf(key, sizeof(key), "xcs-%08d-1b4e28ba-2fa1-11d2-883f", i);
    wh_idem_digest(key, strlen(key), d);
}

static void test_window(void)
{
    struct wh_idem *w = wh_idem_new(3600, 5);
    char d[10][WH_DIGEST_LEN + 1];
    char *t;

    for (int i = 0; i < 10; i++) {
        digest_of(i, d[i]);
    }
    is_int(strlen(d[0]), WH_DIGEST_LEN, "a digest is 12 characters");
    ok(strcmp(d[0], d[1]) != 0, "different keys, different digests");
    ok(strspn(d[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
           WH_DIGEST_LEN,
       "base64url characters");
    t = wh_idem_text(w);
    is_str(t, "[]", "an empty window");
    free(t);
    for (int i = 0; i < 3; i++) {
        wh_idem_add(w, d[i], 1000);
    }
    wh_idem_add(w, d[3], 1005);
    wh_idem_add(w, d[3], 1006);
    is_int(wh_idem_count(w), 4, "adding a digest twice keeps one");
    ok(wh_idem_has(w, d[0]) && wh_idem_has(w, d[3]) && !wh_idem_has(w, d[4]), "lookups");
    char want[256];
    snprintf(want, sizeof(want), "[[1000,\"%s%s%s\"],[1005,\"%s\"]]", d[0], d[1], d[2], d[3]);
    t = wh_idem_text(w);
    is_str(t, want, "text: groups per commit second, oldest first");
    free(t);

    const char *extra[] = {d[4], d[5]};
    snprintf(want, sizeof(want), "[[1000,\"%s%s\"],[1005,\"%s\"],[1010,\"%s%s\"]]", d[1], d[2],
             d[3], d[4], d[5]);
    t = wh_idem_text_with(w, extra, 2, 1010);
    is_str(t, want, "an attempt's window: the oldest make room for its keys");
    is_int(wh_idem_count(w), 4, "without changing the window");

    struct wh_idem *w2 = wh_idem_new(3600, 5);
    is_int(wh_idem_load(w2, t, strlen(t)), 0, "the text loads");
    ok(!wh_idem_has(w2, d[0]) && wh_idem_has(w2, d[1]) && wh_idem_has(w2, d[5]),
       "loaded: what the attempt would commit");
    char *t2 = wh_idem_text(w2);
    is_str(t2, t, "round trip");
    free(t2);
    free(t);

    wh_idem_add(w2, d[6], 1011);
    ok(!wh_idem_has(w2, d[1]) && wh_idem_has(w2, d[6]), "full: the oldest goes");
    wh_idem_expire(w2, 1005 + 3600);
    is_int(wh_idem_count(w2), 4, "expiry keeps what is younger than the window");
    wh_idem_expire(w2, 1006 + 3600);
    is_int(wh_idem_count(w2), 3, "and drops what is older");
    is_int(wh_idem_load(w2, "[[1,\"short\"]]", 13), -1, "a bad window is refused");
    is_int(wh_idem_count(w2), 0, "and leaves it empty");
    is_int(wh_idem_load(w2, "{}", 2), -1, "not an array");
    {
        /* a digest is base64url: a quote or a backslash would be written back as it is,
         * making every later position invalid JSON */
        static const char *const bad[] = {"[[1,\"AbCdEfGhIj\\\"l\"]]", "[[1,\"AbCdEfGhIj\\\\l\"]]",
                                          "[[1,\"\u9879\u57ce\u5e02\u6c11\"]]"};
        for (size_t i = 0; i < 3; i++) {
            char *t3;
            is_int(wh_idem_load(w2, bad[i], strlen(bad[i])), -1, "window %s refused", bad[i]);
            t3 = wh_idem_text(w2);
            is_str(t3, "[]", "and left empty");
            free(t3);
        }
    }
    wh_idem_destroy(w);
    wh_idem_destroy(w2);

    /* many adds and evictions against a plain reference: deletion keeps every lookup right */
    enum { N = 20000, CAP = 700 };
    struct wh_idem *big = wh_idem_new(1000000, CAP);
    static char all[N][WH_DIGEST_LEN + 1];
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        digest_of(i, all[i]);
        wh_idem_add(big, all[i], i / 10);
        if (i % 97 == 0) {
            for (int j = 0; j <= i; j += 13) {
                int should = j > i - CAP;
                wrong += !!wh_idem_has(big, all[j]) != should;
            }
        }
    }
    is_int(wrong, 0, "20,000 keys through a window of 700: every lookup right");
    is_int(wh_idem_count(big), CAP, "the window stays at its bound");
    wh_idem_destroy(big);
}

static int split(const char *body, enum wh_fmt fmt, struct wh_span **sp, size_t *n, char *err,
                 size_t errn)
{
    struct wh_limits lim = {8, 5, 200};
    return wh_body_split(body, strlen(body), fmt, &lim, sp, n, err, errn);
}

static void test_body(void)
{
    struct wh_span *sp = NULL;
    size_t n = 0;
    char err[256];
    const char *b;

    b = "  {\"seq\":1,\"v\":\"项城市\"}\n";
    is_int(split(b, WH_FMT_JSON, &sp, &n, err, sizeof(err)), 0, "one object");
    is_int(n, 1, "one record");
    ok(sp && !strncmp(b + sp[0].start, "{\"seq\":1", 8) && b[sp[0].start + sp[0].len - 1] == '}',
       "its span");
    free(sp);
    b = "[ {\"a\":1} , {\"a\":[1,2]},\n{\"a\":{\"b\":2}} ]";
    is_int(split(b, WH_FMT_JSON, &sp, &n, err, sizeof(err)), 0, "an array");
    is_int(n, 3, "three records");
    ok(sp && !strncmp(b + sp[2].start, "{\"a\":{\"b\":2}}", sp[2].len), "the third span");
    free(sp);
    b = "[1, \"x\", {\"a\":tru}]";
    is_int(split(b, WH_FMT_JSON, &sp, &n, err, sizeof(err)), 0,
           "elements that are not valid objects are records too (dead letters later)");
    is_int(n, 3, "three records");
    free(sp);
    b = "{\"seq\":1}\r\n\n  \n{\"seq\":2,\"v\":\n{\"seq\":3}";
    is_int(split(b, WH_FMT_JSONL, &sp, &n, err, sizeof(err)), 0, "JSON Lines");
    is_int(n, 3, "blank lines skipped");
    is_int(sp ? (long long)sp[0].line : -1, 1, "line 1");
    is_int(sp ? (long long)sp[1].line : -1, 4, "line 4 (a malformed line is still a record)");
    is_int(sp ? (long long)sp[0].len : -1, 9, "CR stripped");
    free(sp);

    static const struct {
        const char *body;
        enum wh_fmt fmt;
        int status;
        const char *why;
    } bad[] = {
        {"", WH_FMT_JSON, 400, "empty body"},
        {"[{\"a\":1},{\"a\":", WH_FMT_JSON, 400, "not complete JSON"},
        {"{\"a\":1} {\"a\":2}", WH_FMT_JSON, 400, "text after the JSON object"},
        {"[{\"a\":1}] x", WH_FMT_JSON, 400, "text after the JSON array"},
        {"\"just a string\"", WH_FMT_JSON, 400, "expected a JSON object or an array"},
        {"{\"a\":[[[[[[[[[1]]]]]]]]]}", WH_FMT_JSON, 400, "nested deeper than 8 levels"},
        {"[{\"a\":[[[[[[[1]]]]]]]}]", WH_FMT_JSON, 0, NULL},
        {"[{},{},{},{},{},{}]", WH_FMT_JSON, 413, "more than 5 records"},
        {"{\"ok\":1}\n{\"a\":[[[[[[[[[1]]]]]]]]]}", WH_FMT_JSONL, 400,
         "line 2: JSON nested deeper"},
        {"{}\n{}\n{}\n{}\n{}\n{}", WH_FMT_JSONL, 413, "more than 5 records"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        int rc = split(bad[i].body, bad[i].fmt, &sp, &n, err, sizeof(err));
        is_int(rc, bad[i].status, "body %zu: status %d", i, bad[i].status);
        if (bad[i].why) {
            ok(strstr(err, bad[i].why) != NULL, "body %zu: '%s' (%s)", i, bad[i].why, err);
            ok(sp == NULL && n == 0, "body %zu: nothing kept", i);
        }
        free(sp);
        sp = NULL;
    }
    char big[512];
    snprintf(big, sizeof(big), "{\"v\":\"%0300d\"}", 7);
    is_int(split(big, WH_FMT_JSON, &sp, &n, err, sizeof(err)), 413, "a record over the limit");
    ok(strstr(err, "record 0 is 308 bytes, more than record.max.bytes (200)") != NULL,
       "names the record and sizes (%s)", err);
    snprintf(big, sizeof(big), "{}\n{\"v\":\"%0300d\"}", 7);
    is_int(split(big, WH_FMT_JSONL, &sp, &n, err, sizeof(err)), 413, "a long line");
    ok(strstr(err, "record 1 (line 2)") != NULL, "names the record and line (%s)", err);

    /* a million opening brackets: one pass, refused by depth, no recursion */
    size_t hn = 1000000;
    char *hostile = malloc(hn + 1);
    memset(hostile, '[', hn);
    hostile[hn] = '\0';
    struct wh_limits lim = {32, 10000, 1 << 20};
    is_int(wh_body_split(hostile, hn, WH_FMT_JSON, &lim, &sp, &n, err, sizeof(err)), 400,
           "a million '[': refused");
    free(hostile);
}

int main(void)
{
    test_window();
    test_body();
    return done_testing();
}
