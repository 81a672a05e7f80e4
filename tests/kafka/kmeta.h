/* kmeta.h: topic metadata helpers shared by the Kafka test programs. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KMETA_H
#define KMETA_H

#include <librdkafka/rdkafka.h>

/* Number of partitions of topic (metadata request, 10 s), or -1. */
static inline int kmeta_partition_count(rd_kafka_t *rk, const char *topic)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int n = -1;

    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err) {
            n = md->topics[0].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return n;
}

#endif
