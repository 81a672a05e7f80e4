/* krd.h: small librdkafka helpers shared by the Kafka test programs. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KRD_H
#define KRD_H

#include <stdio.h>

#include <librdkafka/rdkafka.h>

#ifndef KRD_PROG
#error "define KRD_PROG (the program's name, for messages) before including krd.h"
#endif

/* Set property k to v; on failure print "KRD_PROG: reason" and return -1. */
static inline int krd_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char errstr[512];

    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, KRD_PROG ": %s\n", errstr);
        return -1;
    }
    return 0;
}

/* Number of partitions of topic (metadata request, 10 s), or -1. */
static inline int krd_partition_count(rd_kafka_t *rk, const char *topic)
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
