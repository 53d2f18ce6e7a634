/*
 * exec-emit.c - write what an exec adapter would write, for the bench and the tests.
 *
 *   exec-emit --format singer|binary --stream NAME [--state-every K] [--from N]
 *             [--in RECORDS.jsonl] [--out FILE]
 *
 * Reads JSON Lines of flat objects (one record per line) and writes them as Singer RECORD
 * messages or as binary frames (connectors/exec/gdxframe.h, the C reference encoder), with a
 * STATE {"offset": N} after every K records and at the end. --from N skips the first N
 * records (an adapter resuming from the STATE {"offset": N}). Values of binary records are
 * the same texts the connector makes of the JSON (lib/gdx_jrow.h: numbers as written).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../connectors/exec/gdxframe.h"
#include "gdx_jrow.h"

static void usage(void)
{
    fprintf(stderr, "usage: exec-emit --format singer|binary --stream NAME [--state-every K] "
                    "[--from N] [--in FILE] [--out FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"stream", required_argument, NULL, 's'},
        {"state-every", required_argument, NULL, 'k'},
        {"from", required_argument, NULL, 'F'},
        {"in", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *stream = NULL, *in = NULL, *outp = NULL;
    long long every = 0, from = 0, n = 0;
    FILE *fin = stdin, *out = stdout;
    char *line = NULL, err[256];
    size_t cap = 0;
    ssize_t len;
    int c, binary, table;
    struct gdx_jrow *jr = gdx_jrow_new(0, 0);
    struct {
        size_t n;
        char **names;
    } tables[64];
    size_t ntables = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 's':
            stream = optarg;
            break;
        case 'k':
            every = atoll(optarg);
            break;
        case 'F':
            from = atoll(optarg);
            break;
        case 'i':
            in = optarg;
            break;
        case 'o':
            outp = optarg;
            break;
        default:
            usage();
        }
    }
    if (!format || !stream || (strcmp(format, "singer") && strcmp(format, "binary"))) {
        usage();
    }
    binary = strcmp(format, "binary") == 0;
    if (in && !(fin = fopen(in, "r"))) {
        perror(in);
        return 1;
    }
    if (outp && !(out = fopen(outp, "w"))) {
        perror(outp);
        return 1;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    if (binary && gdxf_preamble(out)) {
        return 1;
    }
    while ((len = getline(&line, &cap, fin)) > 0) {
        struct gdx_row row;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (++n <= from) {
            continue;
        }
        if (!binary) {
            fprintf(out, "{\"type\":\"RECORD\",\"stream\":\"%s\",\"record\":%s}\n", stream, line);
        } else {
            memset(&row, 0, sizeof(row));
            if (gdx_jrow_parse(jr, line, (size_t)len, &row, err, sizeof(err)) != GDX_OK) {
                fprintf(stderr, "exec-emit: record %lld: %s\n", n, err);
                return 1;
            }
            /* a table per distinct list of names (their order too), defined once */
            table = -1;
            for (size_t t = 0; t < ntables && table < 0; t++) {
                int same = tables[t].n == row.nfields;
                for (size_t i = 0; same && i < row.nfields; i++) {
                    same = strcmp(tables[t].names[i], row.names[i]) == 0;
                }
                if (same) {
                    table = (int)t + 1;
                }
            }
            if (table < 0) {
                if (ntables == 64) {
                    fprintf(stderr, "exec-emit: more than 64 lists of field names\n");
                    return 1;
                }
                tables[ntables].n = row.nfields;
                tables[ntables].names = calloc(row.nfields, sizeof(char *));
                for (size_t i = 0; i < row.nfields; i++) {
                    tables[ntables].names[i] = strdup(row.names[i]);
                }
                table = (int)++ntables;
                if (gdxf_table(out, (uint16_t)table, stream, row.nfields,
                               (const char *const *)tables[ntables - 1].names)) {
                    return 1;
                }
            }
            if (gdxf_record(out, (uint16_t)table, row.nfields, row.values, row.lens)) {
                return 1;
            }
        }
        if (every > 0 && n % every == 0) {
            if (binary) {
                char st[64];
                snprintf(st, sizeof(st), "{\"offset\":%lld}", n);
                gdxf_state(out, st);
            } else {
                fprintf(out, "{\"type\":\"STATE\",\"value\":{\"offset\":%lld}}\n", n);
            }
        }
    }
    if (binary) {
        char st[64];
        snprintf(st, sizeof(st), "{\"offset\":%lld}", n);
        gdxf_state(out, st);
    } else {
        fprintf(out, "{\"type\":\"STATE\",\"value\":{\"offset\":%lld}}\n", n);
    }
    if (fflush(out) != 0) {
        return 1;
    }
    for (size_t t = 0; t < ntables; t++) {
        for (size_t i = 0; i < tables[t].n; i++) {
            free(tables[t].names[i]);
        }
        free(tables[t].names);
    }
    free(line);
    gdx_jrow_destroy(jr);
    return 0;
}
