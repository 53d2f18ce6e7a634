/*
 * t-csv.c - the file connector's CSV parser: RFC 4180 edge cases, errors that name line and
 * column, oversized rows, GB18030 input, and records split across reads at every byte.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/file/csv.h"
#include "tap.h"

struct out {
    char *s;
    size_t len, cap;
};

static void out_put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->s = realloc(o->s, o->cap);
    }
    memcpy(o->s + o->len, s, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static void out_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_fmt(struct out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    out_put(o, tmp, (size_t)n);
}

/*
 * Render what the parser produced: one line per record, `<line>@<end byte>:[f1][f2]...` or
 * `<line>@<end byte>!<error>`, so that a whole parse compares as one string.
 */
static void render(struct csv_parser *p, int r, uint64_t end, struct out *o)
{
    const struct csv_record *rec = csv_parser_record(p);

    if (r == CSV_BLANK) {
        out_fmt(o, "blank@%llu\n", (unsigned long long)end);
        return;
    }
    out_fmt(o, "%llu@%llu", (unsigned long long)rec->line, (unsigned long long)end);
    if (rec->error) {
        out_fmt(o, "!%s\n", rec->error);
        return;
    }
    out_put(o, ":", 1);
    for (size_t i = 0; i < rec->nfields; i++) {
        out_put(o, "[", 1);
        out_put(o, rec->values[i], rec->lens[i]);
        out_put(o, "]", 1);
    }
    out_put(o, "\n", 1);
}

/* Parse @p in fed in pieces: split at @p cut (0 = whole), or @p chunk bytes at a time. */
static char *parse(const char *in, size_t len, char delim, size_t ncols, const char *enc,
                   size_t row_max, size_t cut, size_t chunk)
{
    char errstr[256];
    struct csv_parser *p = csv_parser_new(delim, row_max, enc, errstr, sizeof(errstr));
    struct out o = {0};
    size_t pos = 0;

    if (!p) {
        return strdup(errstr);
    }
    csv_parser_set_columns(p, ncols);
    out_put(&o, "", 0);
    while (pos < len) {
        size_t end = len;
        if (chunk) {
            end = pos + chunk < len ? pos + chunk : len;
        } else if (cut && pos < cut) {
            end = cut;
        }
        /* feed [pos, end) until all of it is taken */
        while (pos < end) {
            size_t used = 0;
            int r = csv_parser_feed(p, in + pos, end - pos, &used);
            pos += used;
            if (r != CSV_MORE) {
                render(p, r, pos, &o);
            } else if (pos != end) {
                out_fmt(&o, "BUG: CSV_MORE with %zu bytes left\n", end - pos);
                pos = end;
            }
        }
    }
    int r = csv_parser_finish(p);
    if (r != CSV_MORE) {
        render(p, r, len, &o);
    }
    out_fmt(&o, "next line %llu", (unsigned long long)csv_parser_line(p));
    csv_parser_destroy(p);
    return o.s;
}

/* Parse whole, then split at every byte, then byte by byte: all must agree with @p want. */
static void check(const char *name, const char *in, size_t len, char delim, size_t ncols,
                  const char *enc, size_t row_max, const char *want)
{
    char *got = parse(in, len, delim, ncols, enc, row_max, 0, 0);
    int splits_ok = 1;

    is_str(got, want, "%s", name);
    for (size_t cut = 1; cut < len; cut++) {
        char *s = parse(in, len, delim, ncols, enc, row_max, cut, 0);
        if (strcmp(s, want) != 0) {
            diag("split at %zu differs:\n%s", cut, s);
            splits_ok = 0;
            free(s);
            break;
        }
        free(s);
    }
    ok(splits_ok, "%s: same result split at every byte", name);
    char *s = parse(in, len, delim, ncols, enc, row_max, 0, 1);
    is_str(s, want, "%s: same result fed byte by byte", name);
    free(s);
    free(got);
}

#define CHECK(name, in, delim, ncols, want)                                                        \
    check(name, in, sizeof(in) - 1, delim, ncols, "utf-8", 1024 * 1024, want)

static void test_rfc4180(void)
{
    CHECK("simple rows",
          "工单编号,来电人,诉求内容\n"
          "GD2024001,张三,路灯不亮\n",
          ',', 0,
          "1@36:[工单编号][来电人][诉求内容]\n"
          "2@66:[GD2024001][张三][路灯不亮]\n"
          "next line 3");
    CHECK("quoted fields with commas, quotes and newlines",
          "a,\"b,c\",\"他说\"\"好\"\"\"\n\"多行\n内容\",x,\"\"\n", ',', 3,
          "1@24:[a][b,c][他说\"好\"]\n"
          "2@45:[多行\n内容][x][]\n"
          "next line 4");
    CHECK("CRLF line endings", "a,b\r\nc,d\r\n", ',', 2, "1@5:[a][b]\n2@10:[c][d]\nnext line 3");
    CHECK("CRLF inside quotes is data", "\"x\r\ny\",z\r\n", ',', 2,
          "1@10:[x\r\ny][z]\nnext line 3");
    CHECK("lone CR ends a record", "a,b\rc,d\r", ',', 2, "1@4:[a][b]\n2@8:[c][d]\nnext line 3");
    CHECK("no newline at end of file", "a,b\nc,d", ',', 2, "1@4:[a][b]\n2@7:[c][d]\nnext line 2");
    CHECK("UTF-8 BOM stripped", "\xef\xbb\xbf编号,名称\n1,民政局\n", ',', 2,
          "1@17:[编号][名称]\n2@29:[1][民政局]\nnext line 3");
    CHECK("BOM-like prefix that is not a BOM is data",
          "\xef\xbb"
          "x,y\n",
          ',', 0, "1@6!line 1 col 1: invalid utf-8 byte sequence\nnext line 2");
    CHECK("empty fields", ",,\n\"\",,\"\"\n", ',', 3, "1@3:[][][]\n2@10:[][][]\nnext line 3");
    CHECK("trailing delimiter is one more empty field", "a,b,\n", ',', 0,
          "1@5:[a][b][]\nnext line 2");
    CHECK("blank lines skipped, lines still counted", "a\n\n\r\nb\n\n", ',', 1,
          "1@2:[a]\nblank@3\nblank@5\n4@7:[b]\nblank@8\nnext line 6");
    CHECK("a lone empty quoted field is not blank", "\"\"\n", ',', 1, "1@3:[]\nnext line 2");
    CHECK("tab delimiter", "姓名\t电话\n\"王\t五\"\t12345\n", '\t', 2,
          "1@14:[姓名][电话]\n2@30:[王\t五][12345]\nnext line 3");
    CHECK("semicolon delimiter, commas are data", "a,b;c\n", ';', 2, "1@6:[a,b][c]\nnext line 2");
    CHECK("quote inside an unquoted field is literal", "ab\"c,d\n", ',', 2,
          "1@7:[ab\"c][d]\nnext line 2");
    CHECK("empty input", "", ',', 0, "next line 1");
    CHECK("only a BOM", "\xef\xbb\xbf", ',', 0, "next line 1");
}

static void test_errors(void)
{
    CHECK("wrong number of fields, rest keeps flowing", "a,b,c\n1,2\n4,5,6\n7,8,9,10\n", ',', 3,
          "1@6:[a][b][c]\n"
          "2@10!line 2: expected 3 fields, found 2\n"
          "3@16:[4][5][6]\n"
          "4@25!line 4: expected 3 fields, found 4\n"
          "next line 5");
    CHECK("line numbers count newlines inside quotes", "\"a\nb\nc\",1\nx\n", ',', 2,
          "1@10:[a\nb\nc][1]\n4@12!line 4: expected 2 fields, found 1\nnext line 5");
    CHECK("unterminated quote at end of file", "a,b\nc,\"unterminated\nmore\n", ',', 2,
          "1@4:[a][b]\n"
          "2@25!line 2 col 2: unterminated quoted field at end of file\n"
          "next line 4");
    CHECK("text after a closing quote", "\"a\"b,c\nd,e\n", ',', 2,
          "1@7!line 1 col 1: unexpected text after closing quote\n2@11:[d][e]\nnext line 3");
    CHECK("invalid utf-8 names line and column", "a,b\n1,\xe5\xbc\n2,张\n", ',', 2,
          "1@4:[a][b]\n2@9!line 2 col 2: invalid utf-8 byte sequence\n3@15:[2][张]\nnext line 4");

    /* the raw bytes of a bad row go to the dead letter topic */
    char errstr[256];
    struct csv_parser *p = csv_parser_new(',', 1024, "utf-8", errstr, sizeof(errstr));
    size_t used;
    csv_parser_set_columns(p, 3);
    const char in[] = "1,2\r\n";
    int r = csv_parser_feed(p, in, sizeof(in) - 1, &used);
    const struct csv_record *rec = csv_parser_record(p);
    is_int(r, CSV_RECORD, "bad row is a record");
    is_str(rec->error, "line 1: expected 3 fields, found 2", "bad row error");
    is_int(rec->raw_len, 3, "raw row without its line ending");
    ok(rec->raw && memcmp(rec->raw, "1,2", 3) == 0, "raw row bytes");
    is_int(rec->nfields, 0, "no fields on a bad row");
    csv_parser_destroy(p);

    errstr[0] = '\0';
    ok(csv_parser_new('"', 1024, "utf-8", errstr, sizeof(errstr)) == NULL,
       "quote as delimiter refused");
    ok(csv_parser_new(',', 1024, "latin1", errstr, sizeof(errstr)) == NULL,
       "unknown encoding refused");
    ok(strstr(errstr, "latin1") != NULL, "message names the encoding: %s", errstr);
}

static void test_oversized(void)
{
    /* row.max.bytes 16: the second record is 40 bytes; reading resyncs at the third */
    const char in[] = "a,b\n"
                      "\"0123456789,0123456789\n0123456789\",xyz\n"
                      "c,d\n";
    check("oversized row reported, parsing resyncs", in, sizeof(in) - 1, ',', 2, "utf-8", 16,
          "1@4:[a][b]\n"
          "2@43!line 2: row is larger than row.max.bytes (16 bytes)\n"
          "4@47:[c][d]\n"
          "next line 5");

    char errstr[256];
    struct csv_parser *p = csv_parser_new(',', 16, "utf-8", errstr, sizeof(errstr));
    size_t used, off = 0;
    int r;
    while ((r = csv_parser_feed(p, in + off, sizeof(in) - 1 - off, &used)) != CSV_RECORD ||
           !csv_parser_record(p)->error) {
        off += used;
    }
    is_int(csv_parser_record(p)->raw_len, 16, "oversized raw row truncated to row.max.bytes");
    csv_parser_destroy(p);

    /* a huge quoted field fed in many pieces does not grow memory past the bound */
    size_t big = 5 * 1024 * 1024;
    char *buf = malloc(big + 16);
    memset(buf, 'x', big);
    buf[0] = '"';
    memcpy(buf + big, "\",1\nz,2\n", 8);
    p = csv_parser_new(',', 1024, "utf-8", errstr, sizeof(errstr));
    struct out o = {0};
    out_put(&o, "", 0);
    for (off = 0; off < big + 8;) {
        size_t n = big + 8 - off < 4096 ? big + 8 - off : 4096;
        r = csv_parser_feed(p, buf + off, n, &used);
        off += used;
        if (r != CSV_MORE) {
            render(p, r, off, &o);
        }
    }
    is_str(o.s,
           "1@5242884!line 1: row is larger than row.max.bytes (1024 bytes)\n"
           "2@5242888:[z][2]\n",
           "5 MiB quoted field skipped, next record intact");
    free(o.s);
    free(buf);
    csv_parser_destroy(p);
}

static void test_gb18030(void)
{
    /* 工单编号,来电人 / GD001,张三 / GD002,"北京市,𠀀" in GB18030 */
    const char in[] = "\xb9\xa4\xb5\xa5\xb1\xe0\xba\xc5,\xc0\xb4\xb5\xe7\xc8\xcb\r\n"
                      "GD001,\xd5\xc5\xc8\xfd\r\n"
                      "GD002,\"\xb1\xb1\xbe\xa9\xca\xd0,\x95\x32\x82\x36\"\r\n";
    check("gb18030 input decoded to utf-8", in, sizeof(in) - 1, ',', 0, "gb18030", 1024,
          "1@17:[工单编号][来电人]\n"
          "2@29:[GD001][张三]\n"
          "3@50:[GD002][北京市,𠀀]\n"
          "next line 4");
    const char bom[] = "\x84\x31\x95\x33\xd5\xc5,1\n";
    check("gb18030 byte order mark stripped", bom, sizeof(bom) - 1, ',', 0, "gb18030", 1024,
          "1@9:[张][1]\nnext line 2");
    const char bad[] = "a,b\n1,\xd5\xc5\x80\n2,\xc8\xfd\n";
    check("invalid gb18030 byte names line and column", bad, sizeof(bad) - 1, ',', 2, "gbk", 1024,
          "1@4:[a][b]\n2@10!line 2 col 2: invalid gbk byte sequence\n3@15:[2][三]\nnext line 4");
}

/* Fields of every length around the scanner's eight-byte words: each delimiter, quote, CR
 * and LF found at every offset of a word, whole and split at every byte. */
static void test_long_runs(void)
{
    char in[4096], want[8192];
    size_t n = 0, w = 0;
    for (int len = 0; len <= 19; len++) {
        char f[32];
        for (int k = 0; k < len; k++) {
            f[k] = (char)('a' + (k + len) % 26);
        }
        f[len] = '\0';
        /* unquoted, then quoted with a doubled quote and a line break inside */
        n += (size_t)snprintf(in + n, sizeof(in) - n, "%s,\"%s\"\"x\ny%s\"%s", f, f, f,
                              len % 3 == 0   ? "\r\n"
                              : len % 3 == 1 ? "\n"
                                             : "\r");
        w += (size_t)snprintf(want + w, sizeof(want) - w, "%d@%zu:[%s][%s\"x\ny%s]\n", 2 * len + 1,
                              n, f, f, f);
    }
    snprintf(want + w, sizeof(want) - w, "next line %d", 2 * 20 + 1);
    check("fields of 0 to 19 bytes, quoted and not", in, n, ',', 0, "utf-8", 1024, want);
    /* the same in GB18030: long runs of two-byte codes between the delimiters */
    const char gb[] = "\xd5\xc5\xc8\xfd\xc0\xee\xcb\xc4\xcd\xf5\xce\xe5\xd5\xc5\xc8\xfd,"
                      "\"\xb1\xb1\xbe\xa9\xca\xd0\xba\xa3\xb5\xed\xc7\xf8,\xb1\xb1\xbe\xa9\"\n";
    check("long gb18030 fields", gb, sizeof(gb) - 1, ',', 0, "gb18030", 1024,
          "1@37:[张三李四王五张三][北京市海淀区,北京]\nnext line 2");
}

int main(void)
{
    test_rfc4180();
    test_errors();
    test_oversized();
    test_gb18030();
    test_long_runs();
    return done_testing();
}
