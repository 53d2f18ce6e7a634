/*
 * audit-gen - write audit events through lib/gdx_audit for the audit tests.
 *
 *   audit-gen --dir D --actor A --key KEY.pem [--key-id ID] [--events N] [--every N]
 *             [--start-ms MS --step-ms MS] [--crash] [--retention DAYS] [--mirror FILE]
 *
 * Writes N events (start, batch_committed, dead_letters, policy_applied, ... in turn), then
 * closes the log with a final checkpoint; --crash leaves without it, as a killed process
 * would. --start-ms/--step-ms give a fake clock advancing step ms per reading, so tests can
 * cross days. Prints the seq of the last line on stdout. --mirror appends each finished line
 * to FILE (stands in for the _gdx.audit mirror).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gdx_audit.h"
#include "gdx_crypto.h"

static int64_t fake_now, fake_step;

static int64_t fake_clock(void *opaque)
{
    (void)opaque;
    int64_t t = fake_now;
    fake_now += fake_step;
    return t;
}

static void mirror_cb(const char *line, size_t len, void *opaque)
{
    FILE *f = opaque;
    fwrite(line, 1, len, f);
    fputc('\n', f);
    fflush(f);
}

static int one_event(struct gdx_audit *audit, long i, char *err, size_t errsz)
{
    char batch[64];
    snprintf(batch, sizeof(batch), "a1b2c3d4e5f6-%ld", i);
    switch (i % 5) {
    case 0: {
        struct gdx_audit_ranges *r = gdx_audit_ranges_new();
        struct gdx_audit_batch b = {0};
        char val[64];
        int rc = GDX_OK;
        for (int k = 0; k < 3 && !rc; k++) {
            snprintf(val, sizeof(val), "工单-%ld-%d", i, k);
            rc = gdx_audit_ranges_add(r, "gov.hotline12345.workorders.workorder", k % 2, i * 10 + k,
                                      val, strlen(val), err, errsz);
        }
        b.connector = "hotline12345.workorders";
        b.batch = batch;
        b.records = 3;
        b.dead = 1;
        b.src_from = "file:workorders-20260920.csv:2";
        b.src_to = "file:workorders-20260920.csv:5";
        b.ranges = gdx_audit_ranges_json(r);
        if (!rc) {
            rc = gdx_audit_batch_committed(audit, &b, err, errsz);
        }
        json_decref(b.ranges);
        gdx_audit_ranges_destroy(r);
        return rc;
    }
    case 1: {
        json_t *reasons = json_pack("{s:i}", "validate: 'phone' is not a mobile number", 1);
        int rc =
            gdx_audit_dead_letters(audit, "hotline12345.workorders", batch, 1, reasons, err, errsz);
        json_decref(reasons);
        return rc;
    }
    case 2: {
        json_t *fields = json_pack("{s:s,s:s}", "id_no", "mask", "phone", "token");
        int rc =
            gdx_audit_policy_applied(audit, "hotline12345.workorders", batch, fields, err, errsz);
        json_decref(fields);
        return rc;
    }
    case 3:
        return gdx_audit_operator(audit, "zhangwei", "offset.reset", "hotline12345.workorders",
                                  NULL, err, errsz);
    default:
        return gdx_audit_outage(audit, "kafka", i % 10 == 4 ? "start" : "end", 1790000000000LL, err,
                                errsz);
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},      {"actor", required_argument, NULL, 'a'},
        {"key", required_argument, NULL, 'k'},      {"key-id", required_argument, NULL, 'i'},
        {"events", required_argument, NULL, 'n'},   {"every", required_argument, NULL, 'e'},
        {"start-ms", required_argument, NULL, 's'}, {"step-ms", required_argument, NULL, 't'},
        {"crash", no_argument, NULL, 'c'},          {"retention", required_argument, NULL, 'r'},
        {"mirror", required_argument, NULL, 'm'},   {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *actor = NULL, *keyp = NULL, *mirror = NULL;
    struct gdx_audit_opts opts = {0};
    struct gdx_sm2_key *key = NULL;
    struct gdx_audit *audit = NULL;
    long events = 10;
    int crash = 0, c, rc;
    char err[1024];
    FILE *mf = NULL;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'a':
            actor = optarg;
            break;
        case 'k':
            keyp = optarg;
            break;
        case 'i':
            opts.key_id = optarg;
            break;
        case 'n':
            events = strtol(optarg, NULL, 10);
            break;
        case 'e':
            opts.checkpoint_lines = strtol(optarg, NULL, 10);
            break;
        case 's':
            fake_now = strtoll(optarg, NULL, 10);
            opts.clock = fake_clock;
            break;
        case 't':
            fake_step = strtoll(optarg, NULL, 10);
            break;
        case 'c':
            crash = 1;
            break;
        case 'r':
            opts.retention_days = strtol(optarg, NULL, 10);
            break;
        case 'm':
            mirror = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!dir || !actor || !keyp) {
        fprintf(stderr, "usage: audit-gen --dir D --actor A --key KEY.pem [options]\n");
        return 2;
    }
    opts.host = "gdx-test-01";
    opts.checkpoint_secs = 1000000; /* only line-count checkpoints: deterministic tests */
    if (gdx_sm2_load_private_file(keyp, &key, err, sizeof(err)) != GDX_OK) {
        fprintf(stderr, "audit-gen: %s\n", err);
        return 1;
    }
    rc = gdx_audit_new(&audit, dir, actor, key, &opts, err, sizeof(err));
    if (rc != GDX_OK) {
        fprintf(stderr, "audit-gen: %s\n", err);
        gdx_sm2_key_destroy(key);
        return rc == GDX_ERR_CONFIG ? 78 : 1;
    }
    if (mirror) {
        mf = fopen(mirror, "a");
        if (mf) {
            gdx_audit_set_mirror(audit, mirror_cb, mf);
        }
    }
    rc = gdx_audit_start(audit, "0.1.0", "5d41402abc4b2a76b9719d911017c592", err, sizeof(err));
    for (long i = 0; !rc && i < events; i++) {
        rc = one_event(audit, i, err, sizeof(err));
    }
    if (!rc && !crash) {
        rc = gdx_audit_stop(audit, "done", err, sizeof(err));
    }
    printf("%" PRIu64 "\n", gdx_audit_seq(audit));
    if (crash) {
        gdx_audit_destroy(audit);
    } else if (!rc) {
        rc = gdx_audit_close(audit, err, sizeof(err));
    } else {
        gdx_audit_destroy(audit);
    }
    if (mf) {
        fclose(mf);
    }
    gdx_sm2_key_destroy(key);
    if (rc) {
        fprintf(stderr, "audit-gen: %s\n", err);
        return 1;
    }
    return 0;
}
