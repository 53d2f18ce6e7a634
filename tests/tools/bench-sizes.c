/*
 * bench-sizes - measure what a producer actually wrote to a topic, for `make bench`.
 *
 * Reads the newest N records of a topic (N / partitions from the end of every partition;
 * read_uncommitted: the mock cluster has no last stable offset anyway) and prints the average
 * key, value and header sizes. `make bench` uses the averages to make the raw librdkafka
 * baseline send records of the same size as the connector did, and to turn the connector's
 * record rate into produced bytes per second. Reading from the end means the sample is what
 * the last producer wrote, even when other producers wrote the same topic before (and the mock
 * keeps only the newest ~5 MiB of each partition anyway).
 *
 *   bench-sizes -b BOOTSTRAP -t TOPIC [-n MAX] [-T TIMEOUT_MS]
 *
 * Prints `records=N key_avg=K value_avg=V value_min=.. value_max=.. headers_avg=H
 * header_count_avg=C`. Exits 0 when at least one record was read, 1 otherwise, 2 on usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "bench-sizes: %s: %s\n", k, err);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL;
    long long max = 20000, timeout_ms = 30000;
    char errstr[512];
    int c;

    while ((c = getopt(argc, argv, "b:t:n:T:")) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'n':
            max = atoll(optarg);
            break;
        case 'T':
            timeout_ms = atoll(optarg);
            break;
        default:
            fprintf(stderr, "usage: bench-sizes -b BOOTSTRAP -t TOPIC [-n MAX] [-T TIMEOUT_MS]\n");
            return 2;
        }
    }
    if (!bootstrap || !topic || max <= 0) {
        fprintf(stderr, "bench-sizes: -b and -t are required\n");
        return 2;
    }

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", "gdx-bench-sizes");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "true");
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "bench-sizes: %s\n", errstr);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "bench-sizes: no metadata for '%s': %s\n", topic,
                rd_kafka_err2str(err             ? err
                                 : md->topic_cnt ? md->topics[0].err
                                                 : err));
        if (md) {
            rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return 1;
    }
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
    long long tail = (max + nparts - 1) / nparts;
    for (int i = 0; i < nparts; i++) {
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_TAIL(tail);
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    err = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        fprintf(stderr, "bench-sizes: cannot assign '%s': %s\n", topic, rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return 1;
    }

    long long n = 0, eofs = 0, deadline = now_ms() + timeout_ms;
    uint64_t key_sum = 0, value_sum = 0, hdr_sum = 0, hdr_cnt = 0;
    size_t vmin = SIZE_MAX, vmax = 0;
    while (n < max && eofs < nparts && now_ms() < deadline) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 500);
        if (!msg) {
            continue;
        }
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (!msg->err) {
            rd_kafka_headers_t *hdrs = NULL;
            n++;
            key_sum += msg->key_len;
            value_sum += msg->len;
            vmin = msg->len < vmin ? msg->len : vmin;
            vmax = msg->len > vmax ? msg->len : vmax;
            if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char *name;
                const void *val;
                size_t size;
                for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++) {
                    hdr_sum += strlen(name) + size;
                    hdr_cnt++;
                }
            }
        }
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (n == 0) {
        fprintf(stderr, "bench-sizes: no records in '%s'\n", topic);
        return 1;
    }
    printf("records=%lld key_avg=%.1f value_avg=%.1f value_min=%zu value_max=%zu "
           "headers_avg=%.1f header_count_avg=%.1f\n",
           n, (double)key_sum / (double)n, (double)value_sum / (double)n, vmin, vmax,
           (double)hdr_sum / (double)n, (double)hdr_cnt / (double)n);
    return 0;
}
