/*
 * kafka-meta - print what a Kafka cluster's metadata says, for process-level tests.
 *
 *   kafka-meta -b BOOTSTRAP [-t TOPIC]... [-T TIMEOUT_MS] [-B] [-v]
 *
 * Prints one `topic partitions` line per topic, sorted by name: every topic of the cluster,
 * or only those named with -t (a request for a named topic lets the cluster auto-create it).
 * -B adds `broker <id> <host>:<port>` lines first. Exits 0 when the metadata arrived, 1 when
 * it did not within the timeout or a named topic has an error, 2 on usage. librdkafka's own
 * log lines (connection refused and the like) are shown only with -v.
 *
 * -L ID prints instead, per named topic, `TOPIC high=N`: the sum of the high watermarks of
 * the partitions whose leader is broker ID, asked of that leader only. A test that slows the
 * other brokers down (`gdx broker ctl rtt`) can so see records land without waiting for them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static int verbose;

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (verbose) {
        fprintf(stderr, "kafka-meta: %d %s %s\n", level, fac, buf);
    }
}

static int cmp_topic(const void *a, const void *b)
{
    const rd_kafka_metadata_topic_t *x = a, *y = b;
    return strcmp(x->topic, y->topic);
}

static int cmp_broker(const void *a, const void *b)
{
    const rd_kafka_metadata_broker_t *x = a, *y = b;
    return x->id - y->id;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kafka-meta -b BOOTSTRAP [-t TOPIC]... [-T TIMEOUT_MS] [-B] [-L BROKER_ID] [-v]\n");
}

/* Print the topics of @p md (sorted); @returns the number of topics with an error. */
static int print_topics(const rd_kafka_metadata_t *md);

/* -L: the summed high watermarks of the partitions of @p md's topic led by @p leader. */
static int print_led(rd_kafka_t *rk, const rd_kafka_metadata_t *md, int leader, int timeout_ms)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        int64_t sum = 0;
        if (t->err) {
            fprintf(stderr, "kafka-meta: topic '%s': %s\n", t->topic, rd_kafka_err2name(t->err));
            return 1;
        }
        for (int p = 0; p < t->partition_cnt; p++) {
            int64_t lo, hi;
            rd_kafka_resp_err_t err;
            if (t->partitions[p].leader != leader) {
                continue;
            }
            err = rd_kafka_query_watermark_offsets(rk, t->topic, t->partitions[p].id, &lo, &hi,
                                                   timeout_ms);
            if (err) {
                fprintf(stderr, "kafka-meta: watermarks of '%s' [%d]: %s\n", t->topic,
                        (int)t->partitions[p].id, rd_kafka_err2str(err));
                return 1;
            }
            sum += hi;
        }
        printf("%s high=%lld\n", t->topic, (long long)sum);
    }
    return 0;
}

static int print_topics(const rd_kafka_metadata_t *md)
{
    rd_kafka_metadata_topic_t *topics;
    int nerr = 0;

    if (md->topic_cnt == 0) {
        return 0;
    }
    topics = malloc((size_t)md->topic_cnt * sizeof(*topics));
    if (!topics) {
        abort();
    }
    memcpy(topics, md->topics, (size_t)md->topic_cnt * sizeof(*topics));
    qsort(topics, (size_t)md->topic_cnt, sizeof(*topics), cmp_topic);
    for (int i = 0; i < md->topic_cnt; i++) {
        if (topics[i].err) {
            fprintf(stderr, "kafka-meta: topic '%s': %s\n", topics[i].topic,
                    rd_kafka_err2name(topics[i].err));
            nerr++;
            continue;
        }
        printf("%s %d\n", topics[i].topic, topics[i].partition_cnt);
    }
    free(topics);
    return nerr;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL;
    const char **names = NULL;
    int nnames = 0, timeout_ms = 5000, brokers = 0, leader = -1, opt, ret = 1;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t err;
    char errstr[512];

    names = calloc((size_t)argc, sizeof(*names));
    if (!names) {
        abort();
    }
    while ((opt = getopt(argc, argv, "b:t:T:BL:vh")) != -1) {
        switch (opt) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            names[nnames++] = optarg;
            break;
        case 'T':
            timeout_ms = atoi(optarg);
            break;
        case 'B':
            brokers = 1;
            break;
        case 'L':
            leader = atoi(optarg);
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            free(names);
            return 0;
        default:
            usage(stderr);
            free(names);
            return 2;
        }
    }
    if (!bootstrap || optind < argc || timeout_ms <= 0) {
        usage(stderr);
        free(names);
        return 2;
    }

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "reconnect.backoff.ms", "50", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "200", errstr, sizeof(errstr)) ||
        rd_kafka_conf_set(conf, "socket.connection.setup.timeout.ms", "1000", errstr,
                          sizeof(errstr))) {
        fprintf(stderr, "kafka-meta: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        goto out;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
        fprintf(stderr, "kafka-meta: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        goto out;
    }

    if (nnames == 0) {
        err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
        if (err) {
            fprintf(stderr, "kafka-meta: metadata from '%s': %s\n", bootstrap,
                    rd_kafka_err2str(err));
            goto out;
        }
        if (brokers) {
            rd_kafka_metadata_broker_t *b = malloc((size_t)md->broker_cnt * sizeof(*b) + 1);
            if (!b) {
                abort();
            }
            memcpy(b, md->brokers, (size_t)md->broker_cnt * sizeof(*b));
            qsort(b, (size_t)md->broker_cnt, sizeof(*b), cmp_broker);
            for (int i = 0; i < md->broker_cnt; i++) {
                printf("broker %d %s:%d\n", (int)b[i].id, b[i].host, b[i].port);
            }
            free(b);
        }
        ret = print_topics(md) ? 1 : 0;
        rd_kafka_metadata_destroy(md);
        goto out;
    }

    /* Named topics: one request each, in the order given. */
    ret = 0;
    for (int i = 0; i < nnames; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, names[i], NULL);
        if (!rkt) {
            fprintf(stderr, "kafka-meta: topic '%s': %s\n", names[i],
                    rd_kafka_err2str(rd_kafka_last_error()));
            ret = 1;
            continue;
        }
        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        rd_kafka_topic_destroy(rkt);
        if (err) {
            fprintf(stderr, "kafka-meta: metadata for '%s' from '%s': %s\n", names[i], bootstrap,
                    rd_kafka_err2str(err));
            ret = 1;
            continue;
        }
        if (leader >= 0 ? print_led(rk, md, leader, timeout_ms) : print_topics(md)) {
            ret = 1;
        }
        rd_kafka_metadata_destroy(md);
    }

out:
    if (rk) {
        rd_kafka_destroy(rk);
    }
    free(names);
    return ret;
}
