/* cli_kafka_sink.c: a Kafka producer as the clean or quarantine sink of the pipe filter. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifdef WITH_KAFKA

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kafka.h"
#include "scrub_buf.h"

struct cli_kafka_sink {
    rd_kafka_t *rk;          /* producer */
    char *topic;             /* destination topic (owned) */
    uint64_t failed;         /* deliveries that failed for good */
    scrub_buf_t partial;     /* a record whose newline has not arrived yet */
};

static void sink_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    cli_kafka_sink_t *k = opaque;

    (void)rk;
    if (m->err) {
        /* Never the payload: topic, partition and the error only. */
        fprintf(stderr, "logscrub: kafka: %s [%d]: delivery failed: %s\n", k->topic,
                (int)m->partition, rd_kafka_err2str(m->err));
        k->failed++;
    }
}

cli_kafka_sink_t *cli_kafka_sink_new(const cli_kafka_opts_t *ko, const scrub_ruleset_t *rs,
                                     const char *topic, char *errstr, size_t errstr_size)
{
    cli_kafka_conf_t kc;
    cli_kafka_sink_t *k;
    char why[300];

    if (!topic || !*topic) {
        snprintf(errstr, errstr_size, "a Kafka sink needs a topic (kafka:TOPIC)");
        return NULL;
    }
    if (cli_kafka_lib_load(why, sizeof(why)) != 0) {
        snprintf(errstr, errstr_size, "Kafka support unavailable: %s", why);
        return NULL;
    }
    memset(&kc, 0, sizeof(kc));
    if (cli_kafka_conf_load(&kc, ko, rs, CLI_KAFKA_CONF_SINK, errstr, errstr_size) != 0) {
        cli_kafka_conf_destroy(&kc);
        return NULL;
    }
    k = calloc(1, sizeof(*k));
    if (!k || !(k->topic = strdup(topic))) {
        snprintf(errstr, errstr_size, "out of memory");
        free(k);
        cli_kafka_conf_destroy(&kc);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(kc.producer, sink_dr_cb);
    rd_kafka_conf_set_opaque(kc.producer, k);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc.producer, errstr, errstr_size);
    if (k->rk) {
        kc.producer = NULL; /* owned by the handle now */
    }
    cli_kafka_conf_destroy(&kc);
    if (!k->rk) {
        free(k->topic);
        free(k);
        return NULL;
    }
    return k;
}

/* Produce one record, waiting (polling) while the queue is full. */
static int sink_produce(cli_kafka_sink_t *k, const uint8_t *p, size_t n)
{
    rd_kafka_resp_err_t err;

    for (;;) {
        err = rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(k->topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE((void *)p, n), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break;
        }
        rd_kafka_poll(k->rk, 100);
    }
    rd_kafka_poll(k->rk, 0);
    if (err) {
        fprintf(stderr, "logscrub: kafka: %s: produce failed: %s\n", k->topic,
                rd_kafka_err2str(err));
        k->failed++;
        return SCRUB_EIO;
    }
    return 0;
}

/* The stream hands over whole records, sometimes in two calls (a rewritten
 * record, then its newline): bytes before a newline wait in `partial`. */
int cli_kafka_sink_write(cli_kafka_sink_t *k, const uint8_t *p, size_t n)
{
    while (n > 0) {
        const uint8_t *nl = memchr(p, '\n', n);
        size_t len;
        int rc;

        if (nl == NULL) {
            return scrub_buf_append(&k->partial, p, n) == 0 ? 0 : SCRUB_EIO;
        }
        len = (size_t)(nl - p);
        if (k->partial.len > 0) {
            rc = scrub_buf_append(&k->partial, p, len);
            rc = rc ? rc : sink_produce(k, k->partial.data, k->partial.len);
            scrub_buf_reset(&k->partial);
        }
        else {
            rc = sink_produce(k, p, len);
        }
        if (rc != 0) {
            return SCRUB_EIO;
        }
        p += len + 1;
        n -= len + 1;
    }
    return 0;
}

int cli_kafka_sink_close(cli_kafka_sink_t *k)
{
    int rc;

    if (!k) {
        return 0;
    }
    if (k->partial.len > 0 && sink_produce(k, k->partial.data, k->partial.len) != 0) {
        k->failed++; /* a final record without newline */
    }
    scrub_buf_free(&k->partial);
    /* message.timeout.ms bounds this: every message is delivered or fails. */
    while (rd_kafka_outq_len(k->rk) > 0) {
        rd_kafka_flush(k->rk, 1000);
    }
    rc = k->failed ? SCRUB_EIO : 0;
    rd_kafka_destroy(k->rk);
    free(k->topic);
    free(k);
    return rc;
}

#else
/* Built without Kafka: nothing here (keeps the translation unit non-empty). */
typedef int cli_kafka_sink_unused_t;
#endif /* WITH_KAFKA */
