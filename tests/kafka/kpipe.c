/* kpipe.c: a bare librdkafka consume -> produce pipe, the ceiling the sidecar's bench figure lives under. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage: kpipe -b BROKERS -i IN -o OUT -n COUNT [-X key=value]...
 * Reads every partition of IN from the beginning (assign, no group, no
 * commits) and produces each message to OUT with its key, value, headers and
 * timestamp, the way the sidecar does (batch consumption, headers detached,
 * the sidecar's defaults: queued.min.messages=1000000 and an idempotent
 * producer with linger.ms=5, at most 50,000 records in flight), without
 * scanning and without offset bookkeeping. Stops after COUNT
 * deliveries; prints "kpipe: N delivered" and exits 0, or 1 on a failed
 * delivery, 2 on usage or setup errors. -X applies to both handles.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define KRD_PROG "kpipe"
#include "krd.h"

#define KPIPE_BATCH 1024
#define KPIPE_MAX_IN_FLIGHT 50000

typedef struct pipe_state {
    long inflight;   /* produced, not yet reported */
    long delivered;  /* delivery reports without error */
    long failed;     /* delivery reports with an error */
} pipe_state_t;

/* Delivery report: release the consumed message the value pointed into. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    pipe_state_t *st = opaque;

    (void)rk;
    if (m->err) {
        st->failed++;
    }
    else {
        st->delivered++;
    }
    st->inflight--;
    rd_kafka_message_destroy(m->_private);
}

/* -X key=value on a configuration. */
static int set_prop(rd_kafka_conf_t *conf, const char *prop)
{
    const char *eq = strchr(prop, '=');
    char name[256];

    if (!eq || eq == prop || (size_t)(eq - prop) >= sizeof(name)) {
        fprintf(stderr, "kpipe: -X %s: expected key=value\n", prop);
        return -1;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(eq - prop), prop);
    return krd_set(conf, name, eq + 1);
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *in = NULL, *out = NULL;
    const char *props[32];
    int nprops = 0, c, i, n;
    long count = 0;
    pipe_state_t st = { 0, 0, 0 };
    rd_kafka_conf_t *cconf, *pconf;
    rd_kafka_t *consumer, *producer;
    rd_kafka_queue_t *q;
    rd_kafka_topic_partition_list_t *parts;
    rd_kafka_message_t *batch[KPIPE_BATCH];
    char errstr[512];

    while ((c = getopt(argc, argv, "b:i:o:n:X:")) != -1) {
        switch (c) {
        case 'b': brokers = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'X':
            if (nprops == 32) {
                return 2;
            }
            props[nprops++] = optarg;
            break;
        default: return 2;
        }
    }
    if (!brokers || !in || !out || count <= 0) {
        fprintf(stderr, "usage: kpipe -b BROKERS -i IN -o OUT -n COUNT [-X key=value]...\n");
        return 2;
    }
    cconf = rd_kafka_conf_new();
    pconf = rd_kafka_conf_new();
    if (krd_set(cconf, "bootstrap.servers", brokers) || krd_set(cconf, "group.id", "kpipe") ||
        krd_set(cconf, "enable.auto.commit", "false") || krd_set(cconf, "queued.min.messages", "1000000") ||
        krd_set(pconf, "bootstrap.servers", brokers) ||
        krd_set(pconf, "enable.idempotence", "true") || krd_set(pconf, "linger.ms", "5")) {
        return 2;
    }
    for (i = 0; i < nprops; i++) {
        if (set_prop(cconf, props[i]) || set_prop(pconf, props[i])) {
            return 2;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(pconf, dr_cb);
    rd_kafka_conf_set_opaque(pconf, &st);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof(errstr));
    if (!producer) {
        fprintf(stderr, "kpipe: %s\n", errstr);
        return 2;
    }
    consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr));
    if (!consumer) {
        fprintf(stderr, "kpipe: %s\n", errstr);
        return 2;
    }
    rd_kafka_poll_set_consumer(consumer);
    n = krd_partition_count(consumer, in);
    if (n <= 0) {
        fprintf(stderr, "kpipe: no metadata for %s\n", in);
        return 2;
    }
    parts = rd_kafka_topic_partition_list_new(n);
    for (i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_add(parts, in, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    q = rd_kafka_queue_get_consumer(consumer);

    while (st.delivered + st.failed < count) {
        ssize_t got, k;

        if (st.inflight >= KPIPE_MAX_IN_FLIGHT) {
            rd_kafka_poll(producer, 10);
            continue;
        }
        got = rd_kafka_consume_batch_queue(q, 100, batch, KPIPE_BATCH);
        for (k = 0; k < got; k++) {
            rd_kafka_message_t *m = batch[k];
            rd_kafka_headers_t *h = NULL;
            rd_kafka_timestamp_type_t tstype;
            int64_t ts = rd_kafka_message_timestamp(m, &tstype);
            rd_kafka_resp_err_t err;

            if (m->err) {
                rd_kafka_message_destroy(m);
                continue;
            }
            if (rd_kafka_message_detach_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                h = NULL;
            }
            while ((err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(out),
                                            RD_KAFKA_V_KEY(m->key, m->key_len),
                                            RD_KAFKA_V_VALUE(m->payload, m->len),
                                            RD_KAFKA_V_TIMESTAMP(ts < 0 ? 0 : ts),
                                            RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(m),
                                            RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(producer, 10);
            }
            if (err) {
                fprintf(stderr, "kpipe: produce: %s\n", rd_kafka_err2str(err));
                if (h) {
                    rd_kafka_headers_destroy(h);
                }
                rd_kafka_message_destroy(m);
                st.failed++;
                continue;
            }
            st.inflight++;
        }
        rd_kafka_poll(producer, 0);
    }
    rd_kafka_flush(producer, 10000);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(producer);
    rd_kafka_destroy(consumer);
    printf("kpipe: %ld delivered\n", st.delivered);
    return st.failed ? 1 : 0;
}
