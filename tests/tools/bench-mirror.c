/*
 * bench-mirror - the raw consume -> produce baseline for the uplink benchmark.
 *
 * Reads every record of a topic on one cluster (read_committed, partitions assigned, no
 * group, up to the high watermarks seen at start) and produces it to a topic of another
 * cluster with its key, value and headers, partitioned by key like the uplink (murmur2,
 * idempotent, acks=all, linger 5 ms), without transactions, policy or schema work. This is
 * what a plain mirror costs on the same machine; `tests/bench/uplink.sh` prints the uplink's
 * rate beside it. (A `kcat | kcat` pipe is no baseline: it splits binary Avro on newlines
 * and drops headers.)
 *
 *   bench-mirror -s SRC_BOOTSTRAP -t SRC_TOPIC -d DST_BOOTSTRAP -o DST_TOPIC
 *
 * Prints `records=N seconds=S rate=R mbps=M value_avg=B key_avg=B headers_avg=H
 * header_bytes_avg=B`: the clock runs from the first record consumed to the last delivery
 * report; MB/s counts value bytes.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static uint64_t delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (msg->err) {
        failed++;
    } else {
        delivered++;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "bench-mirror: %s: %s\n", k, err);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    const char *src = NULL, *topic = NULL, *dst = NULL, *out = NULL;
    char errstr[512];
    int c;

    while ((c = getopt(argc, argv, "s:t:d:o:")) != -1) {
        switch (c) {
        case 's':
            src = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'd':
            dst = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        default:
            fprintf(stderr, "usage: bench-mirror -s SRC -t TOPIC -d DST -o TOPIC\n");
            return 2;
        }
    }
    if (!src || !topic || !dst || !out) {
        fprintf(stderr, "usage: bench-mirror -s SRC -t TOPIC -d DST -o TOPIC\n");
        return 2;
    }

    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    set(cc, "bootstrap.servers", src);
    set(cc, "group.id", "bench-mirror");
    set(cc, "isolation.level", "read_committed");
    set(cc, "enable.auto.commit", "false");
    set(cc, "enable.partition.eof", "true");
    set(cc, "fetch.wait.max.ms", "50");
    rd_kafka_t *cons = rd_kafka_new(RD_KAFKA_CONSUMER, cc, errstr, sizeof(errstr));
    if (!cons) {
        fprintf(stderr, "bench-mirror: %s\n", errstr);
        return 1;
    }
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    set(pc, "bootstrap.servers", dst);
    set(pc, "enable.idempotence", "true");
    set(pc, "acks", "all");
    set(pc, "partitioner", "murmur2_random");
    set(pc, "linger.ms", "5");
    set(pc, "queue.buffering.max.kbytes", "65536");
    set(pc, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
    rd_kafka_t *prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof(errstr));
    if (!prod) {
        fprintf(stderr, "bench-mirror: %s\n", errstr);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod, out, NULL);

    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *srkt = rd_kafka_topic_new(cons, topic, NULL);
    if (rd_kafka_metadata(cons, 0, srkt, &md, 10000) || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt <= 0) {
        fprintf(stderr, "bench-mirror: no topic '%s'\n", topic);
        return 1;
    }
    int np = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(srkt);
    int64_t *hi = calloc((size_t)np, sizeof(*hi));
    int left = 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++) {
        int64_t lo = 0;
        if (rd_kafka_query_watermark_offsets(cons, topic, p, &lo, &hi[p], 10000)) {
            fprintf(stderr, "bench-mirror: cannot read watermarks\n");
            return 1;
        }
        if (hi[p] > lo) {
            rd_kafka_topic_partition_list_add(l, topic, p)->offset = lo;
            left++;
        } else {
            hi[p] = -1;
        }
    }
    rd_kafka_assign(cons, l);
    rd_kafka_topic_partition_list_destroy(l);

    uint64_t n = 0, vbytes = 0, kbytes = 0, hcount = 0, hbytes = 0;
    double t0 = 0;
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 1000);
        if (!m) {
            continue;
        }
        int p = m->partition;
        int64_t at = m->offset;
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && hi[p] >= 0 && at >= hi[p]) {
                hi[p] = -1;
                left--;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (!t0) {
            t0 = now_s();
        }
        rd_kafka_headers_t *h = NULL;
        if (rd_kafka_message_detach_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
            size_t cnt = rd_kafka_header_cnt(h);
            hcount += cnt;
            for (size_t i = 0; i < cnt; i++) {
                const char *name;
                const void *val;
                size_t len;
                if (!rd_kafka_header_get_all(h, i, &name, &val, &len)) {
                    hbytes += strlen(name) + len;
                }
            }
        }
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                prod, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(prod, 10);
                continue;
            }
            if (err) {
                fprintf(stderr, "bench-mirror: %s\n", rd_kafka_err2str(err));
                return 1;
            }
            break;
        }
        rd_kafka_poll(prod, 0);
        n++;
        vbytes += m->len;
        kbytes += m->key_len;
        rd_kafka_message_destroy(m);
        if (hi[p] >= 0 && at + 1 >= hi[p]) {
            hi[p] = -1;
            left--;
        }
    }
    rd_kafka_flush(prod, 120000);
    double secs = now_s() - t0;
    printf("records=%" PRIu64 " seconds=%.3f rate=%.0f mbps=%.2f value_avg=%.0f key_avg=%.0f "
           "headers_avg=%.0f header_bytes_avg=%.0f failed=%" PRIu64 "\n",
           n, secs, (double)n / secs, (double)vbytes / secs / 1e6,
           n ? (double)vbytes / (double)n : 0.0, n ? (double)kbytes / (double)n : 0.0,
           n ? (double)hcount / (double)n : 0.0, n ? (double)hbytes / (double)n : 0.0, failed);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(cons, NULL);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);
    free(hi);
    return failed || delivered != n ? 1 : 0;
}
