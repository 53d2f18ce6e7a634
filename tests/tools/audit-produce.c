/*
 * audit-produce - produce one batch of records and write its batch_committed audit event,
 * computing the ranges and SM3 digest from the delivery reports as the runtime does.
 *
 *   audit-produce --bootstrap B --topic T [--partition P] --records N --batch ID
 *                 [--value-size BYTES] [--dir D --actor A --key KEY.pem --key-id ID]
 *                 [--shift K]
 *
 * Without --dir no audit event is written (another producer, for injection tests).
 * --shift K moves the audited ranges by K offsets: an event whose records are gone.
 * --lines FILE produces each line of FILE as one record instead (mirrored audit lines).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "gdx_audit.h"
#include "gdx_crypto.h"

static struct gdx_audit_ranges *ranges;
static int dr_failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    char err[256];
    (void)rk;
    (void)opaque;
    if (m->err) {
        dr_failed++;
        return;
    }
    if (gdx_audit_ranges_add(ranges, rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                             m->payload, m->len, err, sizeof(err)) != GDX_OK) {
        fprintf(stderr, "audit-produce: %s\n", err);
        dr_failed++;
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"partition", required_argument, NULL, 'p'},
        {"records", required_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'B'},
        {"value-size", required_argument, NULL, 'v'},
        {"dir", required_argument, NULL, 'd'},
        {"actor", required_argument, NULL, 'a'},
        {"key", required_argument, NULL, 'k'},
        {"key-id", required_argument, NULL, 'i'},
        {"shift", required_argument, NULL, 's'},
        {"lines", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    const char *bootstrap = NULL, *topic = NULL, *batch = NULL, *dir = NULL, *actor = NULL;
    const char *keyp = NULL, *key_id = NULL, *lines = NULL;
    long records = 10, vsize = 0, shift = 0;
    int32_t partition = 0;
    char err[1024];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'p':
            partition = (int32_t)strtol(optarg, NULL, 10);
            break;
        case 'n':
            records = strtol(optarg, NULL, 10);
            break;
        case 'B':
            batch = optarg;
            break;
        case 'v':
            vsize = strtol(optarg, NULL, 10);
            break;
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
            key_id = optarg;
            break;
        case 's':
            shift = strtol(optarg, NULL, 10);
            break;
        case 'l':
            lines = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!bootstrap || !topic || !batch) {
        fprintf(stderr, "usage: audit-produce --bootstrap B --topic T --records N --batch ID\n");
        return 2;
    }
    ranges = gdx_audit_ranges_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "message.max.bytes", "2000000", err, sizeof(err))) {
        fprintf(stderr, "audit-produce: %s\n", err);
        return 1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "audit-produce: %s\n", err);
        return 1;
    }
    if (lines) {
        FILE *f = fopen(lines, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        records = 0;
        while (f && (n = getline(&line, &cap, f)) > 0) {
            if (line[n - 1] == '\n') {
                n--;
            }
            if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE(line, (size_t)n), RD_KAFKA_V_END)) {
                rc = 1;
            }
            rd_kafka_poll(rk, 0);
        }
        free(line);
        if (f) {
            fclose(f);
        } else {
            rc = 1;
        }
    }
    for (long i = 0; i < records && !lines; i++) {
        char head[200];
        char *val;
        size_t len;
        rd_kafka_headers_t *h = rd_kafka_headers_new(2);
        int n =
            snprintf(head, sizeof(head),
                     "{\"no\":\"GD2026%06ld\",\"title\":\"噪音扰民投诉 第%ld件\",\"pad\":\"", i, i);
        len = (size_t)n + (size_t)vsize + 2;
        val = malloc(len + 1);
        memcpy(val, head, (size_t)n);
        memset(val + n, 'x', (size_t)vsize);
        memcpy(val + n + vsize, "\"}", 3);
        rd_kafka_header_add(h, "gdx.batch", -1, batch, -1);
        if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(val, len),
                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END)) {
            rd_kafka_headers_destroy(h);
            rc = 1;
        }
        free(val);
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 30000);
    if (rc || dr_failed || rd_kafka_outq_len(rk) > 0) {
        fprintf(stderr, "audit-produce: records not delivered\n");
        rc = 1;
    }
    rd_kafka_destroy(rk);
    if (!rc && dir && !lines) {
        struct gdx_sm2_key *key = NULL;
        struct gdx_audit *audit = NULL;
        struct gdx_audit_opts opts = {0};
        struct gdx_audit_batch b = {0};
        json_t *arr = gdx_audit_ranges_json(ranges), *r;
        size_t i;
        json_array_foreach(arr, i, r)
        {
            json_int_t f = json_integer_value(json_object_get(r, "first"));
            json_int_t l = json_integer_value(json_object_get(r, "last"));
            json_object_set_new(r, "first", json_integer(f + shift));
            json_object_set_new(r, "last", json_integer(l + shift));
        }
        opts.key_id = key_id;
        b.connector = actor;
        b.batch = batch;
        b.records = (uint64_t)records;
        b.src_from = "file:workorders-20260920.csv:2";
        b.src_to = "file:workorders-20260920.csv:999";
        b.ranges = arr;
        if (gdx_sm2_load_private_file(keyp, &key, err, sizeof(err)) ||
            gdx_audit_new(&audit, dir, actor, key, &opts, err, sizeof(err)) ||
            gdx_audit_batch_committed(audit, &b, err, sizeof(err)) ||
            gdx_audit_close(audit, err, sizeof(err))) {
            fprintf(stderr, "audit-produce: %s\n", err);
            rc = 1;
        }
        json_decref(arr);
        gdx_sm2_key_destroy(key);
    }
    gdx_audit_ranges_destroy(ranges);
    return rc;
}
