/*
 * t-kafka - key placement must agree with the Java client (and so with librdkafka's
 * murmur2 partitioner), or a Flink job keyed by work order would look in the wrong place.
 */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "gdx_kafka.h"
#include "tap.h"

int main(void)
{
    /* Kafka's own test vectors for Utils.murmur2 (signed 32-bit results) */
    static const struct {
        const char *key;
        int32_t hash;
    } java[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    for (size_t i = 0; i < sizeof(java) / sizeof(java[0]); i++) {
        int32_t n = 1000003; /* a prime larger than any partition count */
        int32_t want = (int32_t)(((uint32_t)java[i].hash & 0x7fffffffu) % (uint32_t)n);
        is_int(gdx_murmur2_partition(java[i].key, strlen(java[i].key), n), want,
               "Java murmur2 vector '%s'", java[i].key);
    }

    /* and librdkafka's murmur2 partitioner, on keys like the exchange's */
    char key[64];
    int agree = 1;
    for (int i = 0; i < 20000 && agree; i++) {
        int len = snprintf(key, sizeof(key), "GD2026092%07d", i * 7919);
        int32_t cnt = 1 + i % 64;
        int32_t ours = gdx_murmur2_partition(key, (size_t)len, cnt);
        int32_t theirs = rd_kafka_msg_partitioner_murmur2(NULL, key, (size_t)len, cnt, NULL, NULL);
        if (ours != theirs) {
            diag("key %s cnt %d: ours %d librdkafka %d", key, cnt, ours, theirs);
            agree = 0;
        }
    }
    ok(agree, "20000 keys: same partition as librdkafka's murmur2 partitioner");
    /* Chinese keys are bytes like any other */
    const char *zh = "项城市-网格-411681005001";
    ok(gdx_murmur2_partition(zh, strlen(zh), 12) ==
           rd_kafka_msg_partitioner_murmur2(NULL, zh, strlen(zh), 12, NULL, NULL),
       "UTF-8 key places like librdkafka");
    return done_testing();
}
