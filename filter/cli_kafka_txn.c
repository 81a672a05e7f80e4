/* cli_kafka_txn.c: the sidecar's exactly-once mode: transactions that carry the consumer positions. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The records of a time slice (transaction_interval_ms, or until
 * max_in_flight) are produced in one transaction that also carries the
 * positions of the records handled (send_offsets_to_transaction); an
 * aborted transaction rewinds the consumer to the committed offsets.
 */
#ifdef WITH_KAFKA

#include <stdio.h>
#include <string.h>

#include "cli_kafka_sc.h"

void cli_kafka_txn_begin(sidecar_t *sc)
{
    rd_kafka_error_t *e;

    if (sc->txn_open) {
        return;
    }
    e = rd_kafka_begin_transaction(sc->producer);
    if (e) {
        cli_kafka_log(sc, -1, "error: begin transaction: %s", rd_kafka_error_string(e));
        sc->fatal = 1;
        rd_kafka_error_destroy(e);
        return;
    }
    sc->txn_open = 1;
    sc->txn_abort = 0;
    sc->txn_started = cli_kafka_now();
}

/* Move the consumer back to the committed offsets (after an abort). */
static void rewind_consumer(sidecar_t *sc)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    rd_kafka_error_t *e;
    char reset[32];
    size_t n = sizeof(reset);
    int i, latest;

    if (rd_kafka_assignment(sc->consumer, &a) != RD_KAFKA_RESP_ERR_NO_ERROR || !a) {
        return;
    }
    latest = rd_kafka_conf_get(rd_kafka_conf(sc->consumer), "auto.offset.reset", reset, &n) ==
                 RD_KAFKA_CONF_OK && strcmp(reset, "latest") == 0;
    if (a->cnt > 0 && rd_kafka_committed(sc->consumer, a, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (i = 0; i < a->cnt; i++) {
            if (a->elems[i].offset < 0) {
                a->elems[i].offset = latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
            }
        }
        e = rd_kafka_seek_partitions(sc->consumer, a, 10000);
        if (e) {
            cli_kafka_log(sc, -1, "error: rewinding after an aborted transaction: %s",
                   rd_kafka_error_string(e));
            sc->fatal = 1;
            rd_kafka_error_destroy(e);
        }
    }
    else if (a->cnt > 0) {
        cli_kafka_log(sc, -1, "error: cannot read committed offsets to rewind");
        sc->fatal = 1;
    }
    rd_kafka_topic_partition_list_destroy(a);
}

void cli_kafka_txn_abort(sidecar_t *sc, int rewind)
{
    rd_kafka_error_t *e;
    int tries;

    sc->n_aborts++;
    cli_kafka_log(sc, 0, "aborting a transaction%s", rewind ? " and rewinding" : "");
    /* Every record of the transaction is produced first; aborting purges the
     * outstanding ones and their delivery reports free the flights. */
    cli_kafka_pool_sync(sc);
    e = rd_kafka_abort_transaction(sc->producer, 60000);
    for (tries = 0; sc->inflight > 0 && tries < 100; tries++) {
        cli_kafka_serve_producer(sc, 100);
    }
    if (e) {
        cli_kafka_log(sc, -1, "error: abort transaction: %s", rd_kafka_error_string(e));
        sc->fatal = 1;
        rd_kafka_error_destroy(e);
    }
    sc->txn_open = 0;
    sc->txn_abort = 0;
    if (rewind && !sc->fatal) {
        rewind_consumer(sc);
    }
}

/* Commit the open transaction with the consumer positions. On an abortable
 * error aborts (rewinding when rewind is set). Returns 0 when committed. */
int cli_kafka_txn_commit(sidecar_t *sc, int rewind)
{
    rd_kafka_topic_partition_list_t *pos;
    rd_kafka_consumer_group_metadata_t *md;
    rd_kafka_error_t *e = NULL;
    size_t i;
    int tries;

    if (!sc->txn_open) {
        return 0;
    }
    cli_kafka_pool_sync(sc); /* the transaction covers every record taken so far */
    cli_kafka_process_done(sc);
    if (sc->txn_abort) {
        cli_kafka_txn_abort(sc, rewind);
        return -1;
    }
    /* The positions of the records handled (all produced in this
     * transaction), not rd_kafka_position(): with batch consumption that also
     * counts messages taken in a batch whose rebalance callback runs this. */
    pos = rd_kafka_topic_partition_list_new(16);
    for (i = 0; i < sc->nparts; i++) {
        kpart_t *p = sc->parts[i];

        if (p->assigned && p->position >= 0) {
            rd_kafka_topic_partition_list_add(pos, p->topic, p->partition)->offset = p->position;
        }
    }
    if (pos->cnt > 0) {
        md = rd_kafka_consumer_group_metadata(sc->consumer);
        e = rd_kafka_send_offsets_to_transaction(sc->producer, pos, md, -1);
        rd_kafka_consumer_group_metadata_destroy(md);
    }
    rd_kafka_topic_partition_list_destroy(pos);
    for (tries = 0; !e || (rd_kafka_error_is_retriable(e) && tries < 10); tries++) {
        if (e) {
            rd_kafka_error_destroy(e);
        }
        e = rd_kafka_commit_transaction(sc->producer, -1);
        if (!e) {
            sc->txn_open = 0;
            cli_kafka_serve_producer(sc, 0);
            return 0;
        }
        if (!rd_kafka_error_is_retriable(e)) {
            break;
        }
    }
    if (rd_kafka_error_is_fatal(e) || !rd_kafka_error_txn_requires_abort(e)) {
        cli_kafka_log(sc, -1, "error: commit transaction: %s", rd_kafka_error_string(e));
        sc->fatal = 1;
        rd_kafka_error_destroy(e);
        return -1;
    }
    cli_kafka_log(sc, 0, "commit transaction: %s", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    cli_kafka_txn_abort(sc, rewind);
    return -1;
}

#else
/* Built without Kafka: nothing here (keeps the translation unit non-empty). */
typedef int cli_kafka_txn_unused_t;
#endif /* WITH_KAFKA */
