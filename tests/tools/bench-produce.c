/*
 * bench-produce - the raw librdkafka baseline for `make bench`.
 *
 * Produces N pre-encoded records of a given size with the same producer settings as the
 * connector runtime (idempotent, acks=all, murmur2_random, linger 5 ms), optionally in
 * transactions of B records, and prints the rate. The connector's rate is printed beside
 * this one as a ratio, so both are measured on the same machine in the same run.
 *
 *   bench-produce -b BOOTSTRAP -t TOPIC -n COUNT -s SIZE [-x BATCH] [-k KEYS]
 *                 [-H COUNT:BYTES] [-i TRANSACTIONAL_ID] [-S BATCH] [-X KEY=VALUE]...
 *
 * -X sets (or overrides) any librdkafka property, to try a tuning before proposing it.
 * -S waits, without transactions, for every delivery report after each BATCH records, as the
 * connector runtime does before it writes a batch's offset record in at-least-once mode: the
 * gap between -S and the free-running rate is the cost of the batch boundary itself.
 * -H adds COUNT headers of BYTES in total (names and values) to every record, so the baseline
 * carries as many header bytes as the connector's gdx.* headers. Keys look like work order
 * numbers (16 bytes). The rate counts from the first produce to the last delivery report
 * (or commit). Before the clock starts, one warm-up record (in its own transaction with -x) is
 * produced and flushed, so that the producer id, the topic's metadata and the partition
 * leaders are known, as they are for a connector that has read its committed position.
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
        fprintf(stderr, "bench-produce: %s: %s\n", k, err);
        exit(2);
    }
}

static void check(rd_kafka_error_t *error, const char *what)
{
    if (error) {
        fprintf(stderr, "bench-produce: %s: %s\n", what, rd_kafka_error_string(error));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL;
    long long count = 100000, size = 500, batch = 0, keys = 100000;
    long long hcount = 0, hbytes = 0, sync = 0;
    char *props[32];
    int nprops = 0;
    const char *txn_id = "gdx-bench-raw";
    int c;
    char errstr[512];

    while ((c = getopt(argc, argv, "b:t:n:s:x:k:H:i:S:X:")) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'n':
            count = atoll(optarg);
            break;
        case 's':
            size = atoll(optarg);
            break;
        case 'x':
            batch = atoll(optarg);
            break;
        case 'k':
            keys = atoll(optarg);
            break;
        case 'H':
            if (sscanf(optarg, "%lld:%lld", &hcount, &hbytes) != 2 || hcount < 0 || hbytes < 0 ||
                hcount > 64 || hbytes > 65536) {
                fprintf(stderr, "bench-produce: -H wants COUNT:BYTES, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'i':
            txn_id = optarg;
            break;
        case 'S':
            sync = atoll(optarg);
            break;
        case 'X':
            if (nprops == 32 || !strchr(optarg, '=')) {
                fprintf(stderr, "bench-produce: -X wants KEY=VALUE (at most 32)\n");
                return 2;
            }
            props[nprops++] = optarg;
            break;
        default:
            fprintf(stderr, "usage: bench-produce -b BOOTSTRAP -t TOPIC -n COUNT -s SIZE "
                            "[-x BATCH] [-k KEYS] [-H COUNT:BYTES] [-i TRANSACTIONAL_ID] [-S "
                            "BATCH] [-X K=V]\n");
            return 2;
        }
    }
    if (!bootstrap || !topic || count <= 0 || size <= 0 || keys <= 0) {
        fprintf(stderr, "bench-produce: -b and -t are required\n");
        return 2;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "partitioner", "murmur2_random");
    set(conf, "linger.ms", "5");
    set(conf, "queue.buffering.max.kbytes", "65536");
    set(conf, "queue.buffering.max.messages", "1000000");
    if (batch > 0) {
        set(conf, "transactional.id", txn_id);
    }
    for (int i = 0; i < nprops; i++) {
        char *eq = strchr(props[i], '=');
        *eq = '\0';
        set(conf, props[i], eq + 1);
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "bench-produce: %s\n", errstr);
        return 1;
    }
    if (batch > 0) {
        check(rd_kafka_init_transactions(rk, 30000), "init_transactions");
    }
    char *payload = malloc((size_t)size);
    for (long long i = 0; i < size; i++) {
        payload[i] = (char)('a' + i % 26);
    }
    /* header names like the connector's (gdx.h0 ...), values padded to the byte budget */
    char hname[64][16];
    size_t hval_len[64];
    char *hval = calloc(1, (size_t)hbytes + 1);
    memset(hval, 'v', (size_t)hbytes);
    for (long long h = 0; h < hcount; h++) {
        long long share = hbytes / hcount + (h < hbytes % hcount ? 1 : 0);
        int nlen = snprintf(hname[h], sizeof(hname[h]), "gdx.h%lld", h);
        hval_len[h] = share > nlen ? (size_t)(share - nlen) : 0;
    }
    char key[32];
    if (batch > 0) {
        check(rd_kafka_begin_transaction(rk), "begin_transaction");
    }
    if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_KEY("warm-up", 7), RD_KAFKA_V_VALUE(payload, (size_t)size),
                          RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "bench-produce: cannot produce the warm-up record\n");
        return 1;
    }
    if (batch > 0) {
        check(rd_kafka_commit_transaction(rk, 60000), "commit_transaction");
    }
    rd_kafka_flush(rk, 60000);
    if (failed || delivered != 1) {
        fprintf(stderr, "bench-produce: the warm-up record was not delivered\n");
        return 1;
    }
    delivered = 0;
    double t0 = now_s();
    long long in_txn = 0;
    for (long long i = 0; i < count; i++) {
        if (batch > 0 && in_txn == 0) {
            check(rd_kafka_begin_transaction(rk), "begin_transaction");
        }
        int klen = snprintf(key, sizeof(key), "GD2026%010lld", i % keys);
        for (;;) {
            rd_kafka_headers_t *hdrs = NULL;
            if (hcount > 0) {
                hdrs = rd_kafka_headers_new((size_t)hcount);
                for (long long h = 0; h < hcount; h++) {
                    rd_kafka_header_add(hdrs, hname[h], -1, hval, (ssize_t)hval_len[h]);
                }
            }
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(payload, (size_t)size),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (err && hdrs) {
                rd_kafka_headers_destroy(hdrs); /* ownership passes only on success */
            }
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (err) {
                fprintf(stderr, "bench-produce: %s\n", rd_kafka_err2str(err));
                return 1;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
        if (sync > 0 && (i + 1) % sync == 0) {
            while (rd_kafka_outq_len(rk) > 0) {
                rd_kafka_poll(rk, 100);
            }
        }
        if (batch > 0 && ++in_txn == batch) {
            check(rd_kafka_commit_transaction(rk, 60000), "commit_transaction");
            in_txn = 0;
        }
    }
    if (batch > 0 && in_txn > 0) {
        check(rd_kafka_commit_transaction(rk, 60000), "commit_transaction");
    }
    rd_kafka_flush(rk, 60000);
    double secs = now_s() - t0;
    printf("records=%lld delivered=%" PRIu64 " failed=%" PRIu64 " seconds=%.3f rate=%.0f "
           "mbps=%.2f\n",
           count, delivered, failed, secs, (double)count / secs,
           (double)count * (double)size / secs / 1e6);
    free(payload);
    free(hval);
    rd_kafka_destroy(rk);
    return failed ? 1 : 0;
}
