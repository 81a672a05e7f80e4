/* kprod.c: produce Kafka test fixtures (see kfix.h) to a topic. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage: kprod -b BROKERS -t TOPIC -n COUNT [-f FIRST] [-s SIZE] [-S EVERY] [-Q EVERY]
 * Produces records FIRST .. FIRST+COUNT-1, waits for every delivery, prints
 * "produced N" and exits 0, or 1 when any delivery failed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define KRD_PROG "kprod"
#include "krd.h"

#include "kfix.h"

/* Delivery report: count failures through the handle's opaque. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err) {
        (*(long *)opaque)++;
    }
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *topic = NULL;
    unsigned long long first = 0, count = 0, i;
    size_t size = 200;
    int secret_every = 0, quarantine_every = 0, c;
    long failed = 0;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    char errstr[512];
    char *buf;

    while ((c = getopt(argc, argv, "b:t:n:f:s:S:Q:")) != -1) {
        switch (c) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 'f': first = strtoull(optarg, NULL, 10); break;
        case 's': size = strtoul(optarg, NULL, 10); break;
        case 'S': secret_every = atoi(optarg); break;
        case 'Q': quarantine_every = atoi(optarg); break;
        default: return 2;
        }
    }
    if (!brokers || !topic) {
        fprintf(stderr, "usage: kprod -b BROKERS -t TOPIC -n COUNT [-f FIRST] [-s SIZE] "
                        "[-S EVERY] [-Q EVERY]\n");
        return 2;
    }
    buf = malloc(size + 256);
    conf = rd_kafka_conf_new();
    if (krd_set(conf, "bootstrap.servers", brokers) || krd_set(conf, "linger.ms", "20") ||
        krd_set(conf, "batch.num.messages", "10000") || krd_set(conf, "enable.idempotence", "true") ||
        krd_set(conf, "queue.buffering.max.messages", "1000000")) {
        return 2;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, &failed);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kprod: %s\n", errstr);
        return 2;
    }
    for (i = first; i < first + count; i++) {
        char key[32], trace[32];
        size_t len = kfix_value(i, size, secret_every, quarantine_every, buf);
        rd_kafka_resp_err_t err;

        snprintf(key, sizeof(key), "key-%llu", i % 97);
        snprintf(trace, sizeof(trace), "t%llu", i);
        do {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY(key, strlen(key)),
                                    RD_KAFKA_V_VALUE(buf, len),
                                    RD_KAFKA_V_HEADER("trace", trace, (ssize_t)strlen(trace)),
                                    RD_KAFKA_V_HEADER("h-bin", "\0\xff\n", 3),
                                    RD_KAFKA_V_TIMESTAMP(KFIX_TS_BASE + (int64_t)i),
                                    RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 100);
            }
        } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (err) {
            fprintf(stderr, "kprod: produce %llu: %s\n", i, rd_kafka_err2str(err));
            failed++;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60 * 1000);
    if (rd_kafka_outq_len(rk) > 0) {
        failed += rd_kafka_outq_len(rk);
    }
    rd_kafka_destroy(rk);
    free(buf);
    printf("produced %llu\n", count);
    if (failed) {
        fprintf(stderr, "kprod: %ld deliveries failed\n", failed);
        return 1;
    }
    return 0;
}
