/*
 * t-http.c - the http connector's text rules: templates and escaping, Link, Retry-After and
 * HTTP dates, cursor timestamps and numbers, positions; and the gateway signature, whose
 * canonical string is checked byte for byte and whose HMAC-SHA256 and HMAC-SM3 values are
 * checked against the openssl command line (an independent implementation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../connectors/http/sign.h"
#include "../../connectors/http/tmpl.h"
#include "tap.h"

static void test_templates(void)
{
    struct http_vars v = {"2026-09-20 10:30:00+08:00", "3", "100", "200", "a/b&c=d"};
    char bad[64];
    char *s;

    s = http_tmpl_expand("https://h/api?since={cursor}&page={page}&size={size}&t={token}", &v,
                         HTTP_ESC_URL);
    is_str(
        s,
        "https://h/api?since=2026-09-20%2010%3A30%3A00%2B08%3A00&page=3&size=100&t=a%2Fb%26c%3Dd",
        "URL placeholders are percent-encoded");
    free(s);
    s = http_tmpl_expand("{\"since\":\"{cursor}\",\"pageNo\":{page},\"limit\":{limit},"
                         "\"offset\":{offset}}",
                         &v, HTTP_ESC_JSON);
    is_str(s, "{\"since\":\"2026-09-20 10:30:00+08:00\",\"pageNo\":3,\"limit\":100,\"offset\":200}",
           "JSON braces stay; {limit} is {size}");
    free(s);
    struct http_vars q = {"项城\"市\\", NULL, NULL, NULL, NULL};
    s = http_tmpl_expand("{\"q\":\"{cursor}\",\"t\":\"{token}\"}", &q, HTTP_ESC_JSON);
    is_str(s, "{\"q\":\"项城\\\"市\\\\\",\"t\":\"\"}", "JSON escaping; NULL is empty");
    free(s);
    s = http_tmpl_expand("x={cursor}", &q, HTTP_ESC_URL);
    is_str(s, "x=%E9%A1%B9%E5%9F%8E%22%E5%B8%82%5C", "UTF-8 percent-encoded byte by byte");
    free(s);
    is_int(http_tmpl_check("https://h/{cursor}/{pages}", bad, sizeof(bad)), -1,
           "an unknown placeholder is refused");
    is_str(bad, "{pages}", "and named");
    is_int(http_tmpl_check("{\"a\":{\"b\":\"{cursor}\"}}", bad, sizeof(bad)), 0,
           "JSON text is not a placeholder");
    ok(http_tmpl_uses("u?l={limit}", "size"), "{limit} counts as {size}");
    ok(!http_tmpl_uses("u?l={limit}", "cursor"), "no {cursor}");
    s = http_url_append_encoded("https://h/p?tok=", "a b+c");
    is_str(s, "https://h/p?tok=a%20b%2Bc", "token appended encoded");
    free(s);
}

static void test_link(void)
{
    char *s = http_link_next("<https://h/items?page=2>; rel=\"next\", <https://h/items?page=9>; "
                             "rel=\"last\"");
    is_str(s, "https://h/items?page=2", "rel=next");
    free(s);
    s = http_link_next("<https://h/a>; rel=\"prev\", </b?after=100&x=1>; title=\"x, y\"; "
                       "rel=\"start next\"");
    is_str(s, "/b?after=100&x=1", "quoted comma, relation list, relative target");
    free(s);
    s = http_link_next("<https://h/a>; rel=next");
    is_str(s, "https://h/a", "unquoted rel");
    free(s);
    ok(http_link_next("<https://h/a>; rel=\"last\"") == NULL, "no next");
    ok(http_link_next("garbage") == NULL, "garbage");
    /* parameters are read one by one: what a quoted value or another name holds is no rel */
    s = http_link_next("<https://h/1>; title=\"rel=next page\", <https://h/2>; rel=next");
    is_str(s, "https://h/2", "rel=next inside a quoted title names nothing");
    free(s);
    s = http_link_next("<https://h/1>; title=\"a, <https://evil.example/x>; rel=next \", "
                       "<https://h/2>; REL = \"prev NEXT\"");
    is_str(s, "https://h/2", "a quoted comma and bracket; case and spaces around '='");
    free(s);
    s = http_link_next("<https://h/1>; prerel=next, <https://h/2>; rel=\"next\"");
    is_str(s, "https://h/2", "a parameter ending in rel is not rel");
    free(s);
}

static void test_dates(void)
{
    time_t t;
    is_int(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0, "IMF-fixdate");
    is_int(t, 784111777, "IMF-fixdate value");
    is_int(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0, "RFC 850");
    is_int(t, 784111777, "RFC 850 value");
    is_int(http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0, "asctime");
    is_int(t, 784111777, "asctime value");
    is_int(http_date_parse("yesterday", &t), -1, "not a date");
    is_int(http_retry_after_ms("120", 0), 120000, "Retry-After seconds");
    is_int(http_retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", 784111777), 10000,
           "Retry-After date");
    is_int(http_retry_after_ms("Sun, 06 Nov 1994 08:49:27 GMT", 784111777), 0, "a date passed");
    is_int(http_retry_after_ms("soon", 0), -1, "unknown Retry-After");
    is_int(http_retry_after_ms("-5", 0), -1, "negative Retry-After");
}

static void test_cursor(void)
{
    int64_t a, b;
    is_int(http_ts_parse("2026-09-20 10:30:00", 19, "+08:00", &a), 0, "SQL text");
    is_int(http_ts_parse("2026-09-20T02:30:00Z", 20, "+08:00", &b), 0, "ISO with Z");
    is_int(a, b, "the default zone applies to text without one");
    is_int(http_ts_parse("2026-09-20T10:30:00.25+0800", 27, NULL, &b), 0, "+0800, fraction");
    is_int(b - a, 250000, "fraction in microseconds");
    is_int(http_ts_parse("1789871400", 10, NULL, &a), 0, "epoch seconds");
    is_int(a, 1789871400LL * 1000000, "seconds value");
    is_int(http_ts_parse("1789871400123", 13, NULL, &a), 0, "epoch milliseconds");
    is_int(a, 1789871400123LL * 1000, "milliseconds value");
    is_int(http_ts_parse("2026-13-01 00:00:00", 19, NULL, &a), -1, "month 13");
    is_int(http_ts_parse("2026-09-20 10:30", 16, NULL, &a), -1, "no seconds");
    is_int(http_ts_parse("2026-09-20 10:30:00 +08:00", 26, NULL, &a), -1, "junk before the zone");
    is_int(http_ts_parse("2026-09-20", 10, "+08:00", &a), 0, "a date alone");
    is_int(http_ts_parse("999999999999999", 15, NULL, &a), 0, "15 digits of milliseconds");
    is_int(a, 999999999999999LL * 1000, "their value");
    is_int(http_ts_parse("9999999999999999", 16, NULL, &a), -1,
           "16 digits of milliseconds do not fit in microseconds: refused, not overflowed");
    is_int(http_num_cmp("123456789012345678901", "123456789012345678900"), 1,
           "ids beyond 2^64 compare by value");
    is_int(http_num_cmp("007", "7"), 0, "leading zeros");
    is_int(http_num_cmp("-5", "3"), -1, "negative");
    is_int(http_num_cmp("-5", "-30"), 1, "two negatives");
    is_int(http_num_cmp("-0", "0"), 0, "minus zero");
    is_int(http_num_cmp("1e3", "1"), -2, "not an integer");
}

static void test_pos(void)
{
    char *s = http_pos("https://api.gov.cn:8443/v1/items?since=a%20b&page=3#frag", 17);
    is_str(s, "http:/v1/items?since=a%20b&page=3:17", "path and query, index");
    free(s);
    s = http_pos("http://h", 0);
    is_str(s, "http:/:0", "empty path");
    free(s);
    s = http_url_display("https://api.gov.cn/v1/items?token=secret");
    is_str(s, "https://api.gov.cn/v1/items", "messages leave the query out");
    free(s);
}

/* The openssl command line's HMAC of @p msg: base64 of the raw MAC. */
static char *openssl_hmac(const char *digest, const char *key, const char *msg, size_t len)
{
    char path[] = "/tmp/gdx-t-http-XXXXXX", cmd[512], out[256];
    int fd = mkstemp(path);
    FILE *p;
    char *r = NULL;
    if (fd < 0 || write(fd, msg, len) != (ssize_t)len) {
        return NULL;
    }
    close(fd);
    snprintf(cmd, sizeof(cmd),
             "openssl mac -digest %s -macopt key:%s -binary HMAC < %s | openssl base64 -A", digest,
             key, path);
    if ((p = popen(cmd, "r")) && fgets(out, sizeof(out), p)) {
        out[strcspn(out, "\r\n")] = '\0';
        r = strdup(out);
    }
    if (p) {
        pclose(p);
    }
    unlink(path);
    return r;
}

static void test_sign(void)
{
    char err[256], sig[96];
    size_t len;
    const char *body = "{\"since\":\"2026-09-20 10:30:00\",\"pageNo\":1}";
    char *c =
        http_sign_canonical(HTTP_SIGN_HMAC_SHA256, "POST",
                            "https://gw.zk.gov.cn/api/v1/apply?size=100&page=2&flag&a=%E9%A1%B9",
                            body, strlen(body), "411681-govservice", "1789871400123",
                            "0123456789abcdef0123456789abcdef", &len, err, sizeof(err));
    /* the body digest from the openssl command line too */
    char cmd[512], dig[128] = "";
    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | openssl dgst -sha256 -r", body);
    FILE *p = popen(cmd, "r");
    if (p && fgets(dig, sizeof(dig), p)) {
        dig[strcspn(dig, " \r\n")] = '\0';
    }
    if (p) {
        pclose(p);
    }
    char want[1024];
    snprintf(want, sizeof(want),
             "POST\n/api/v1/apply\na=%%E9%%A1%%B9&flag=&page=2&size=100\n411681-govservice\n"
             "1789871400123\n0123456789abcdef0123456789abcdef\n%s",
             dig);
    is_str(c, want, "canonical string: method, path, sorted query, key, time, nonce, body SHA-256");
    is_int(len, strlen(want), "its length");
    is_int(http_sign_value(HTTP_SIGN_HMAC_SHA256, "s3cret-of-411681", 16, c, len, 0, sig,
                           sizeof(sig), err, sizeof(err)),
           0, "HMAC-SHA256");
    char *o = openssl_hmac("SHA256", "s3cret-of-411681", c, len);
    is_str(sig, o, "HMAC-SHA256 equals openssl mac -digest SHA256");
    free(o);
    free(c);

    c = http_sign_canonical(HTTP_SIGN_HMAC_SM3, "GET", "http://h", NULL, 0, "k", "1", "n", &len,
                            err, sizeof(err));
    is_str(c, "GET\n/\n\nk\n1\nn\n1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b",
           "GET without a query: '/', empty query, SM3 of the empty body");
    is_int(http_sign_value(HTTP_SIGN_HMAC_SM3, "s3cret-of-411681", 16, c, len, 0, sig, sizeof(sig),
                           err, sizeof(err)),
           0, "HMAC-SM3");
    o = openssl_hmac("SM3", "s3cret-of-411681", c, len);
    is_str(sig, o, "HMAC-SM3 equals openssl mac -digest SM3");
    free(o);
    is_int(http_sign_value(HTTP_SIGN_HMAC_SM3, "s3cret-of-411681", 16, c, len, 1, sig, sizeof(sig),
                           err, sizeof(err)),
           0, "hex encoding");
    is_int(strlen(sig), 64, "64 hex characters");
    free(c);

    c = http_sign_canonical(HTTP_SIGN_HMAC_SHA256, "GET", "https://h/p?b=2&a=2&a=1&b=10#x", NULL, 0,
                            "k", "1", "n", &len, err, sizeof(err));
    ok(c && strstr(c, "\na=1&a=2&b=10&b=2\n") != NULL,
       "same names sort by value, byte order; the fragment is left out");
    free(c);
}

int main(void)
{
    test_templates();
    test_link();
    test_dates();
    test_cursor();
    test_pos();
    test_sign();
    return done_testing();
}
