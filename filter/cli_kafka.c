/* cli_kafka.c: the Kafka consumer sidecar: consume, scrub, produce, commit what was delivered. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threads: the main thread runs the loop below; the scanning pool (the pipe
 * filter's scrub_pool, in record mode) scans on its worker threads and its
 * writer thread produces, in input order; librdkafka and the HTTP server have
 * their own threads. The main loop takes up to KAFKA_BATCH messages per call
 * (rd_kafka_consume_batch_queue: a consumer alone reads the mock cluster 4-6
 * times faster that way than with one rd_kafka_consumer_poll per message):
 *
 *   main:    consume batch -> per message: track its offset in the partition's
 *            watermark, a flight -> scrub_pool_records(batch)
 *   workers: scan each record
 *   writer:  in order: produce (clean/redacted/tagged: output topic;
 *            quarantined: original to the quarantine topic; dropped: nothing)
 *   any thread serving the producer: delivery report -> flight to the done list
 *   main:    done list -> watermark done -> offsets_store(commit offset);
 *            errors -> retry, reroute to quarantine or give up (main only)
 *
 * Only the main thread touches partitions, watermarks, counters and the
 * flight list. A flight goes main -> pool -> writer -> librdkafka -> done
 * list -> main and is touched by one thread at a time; the done list has a
 * mutex, the writer's counts of findings another (stats_mu).
 *
 * Offsets are committed by librdkafka's auto-commit of *stored* offsets, and
 * synchronously on revoke and at shutdown, so the committed position never
 * passes a record whose output was not acknowledged (at-least-once).
 * With `delivery: exactly-once` the records of a time slice are produced in
 * one transaction that also carries the consumer positions
 * (cli_kafka_txn.c). The /metrics page is built in cli_kafka_metrics.c; the
 * shared state is declared in cli_kafka_sc.h.
 *
 * Log lines name topic, partition and offset, never message contents.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifdef WITH_KAFKA

#include "cli_kafka_sc.h"

/* Messages taken from the consumer queue per call. */
#define KAFKA_BATCH 1024

/* SIGINT/SIGTERM count: 1 = stop consuming and drain, 2 = abandon the drain. */
static volatile sig_atomic_t kafka_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (kafka_signals < 2) {
        kafka_signals++;
    }
}

/* ==== helpers ============================================================ */

double cli_kafka_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_kafka_log(const sidecar_t *sc, int level, const char *fmt, ...)
{
    va_list ap;

    if (level > sc->kc.verbose) {
        return;
    }
    va_start(ap, fmt);
    fputs("logscrub: kafka: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Find or create the state of topic/partition; NULL on ENOMEM. */
static kpart_t *part_get(sidecar_t *sc, const char *topic, int32_t partition)
{
    kpart_t *p = sc->last_part;
    size_t i;

    if (p && p->partition == partition && strcmp(p->topic, topic) == 0) {
        return p;
    }
    for (i = 0; i < sc->nparts; i++) {
        p = sc->parts[i];
        if (p->partition == partition && strcmp(p->topic, topic) == 0) {
            sc->last_part = p;
            return p;
        }
    }
    if (sc->nparts == sc->parts_cap) {
        size_t ncap = sc->parts_cap ? sc->parts_cap * 2 : 16;
        kpart_t **np = realloc(sc->parts, ncap * sizeof(*np));
        kpart_t **nd;

        if (!np) {
            return NULL;
        }
        sc->parts = np;
        nd = realloc(sc->dirty, ncap * sizeof(*nd));
        if (!nd) {
            return NULL;
        }
        sc->dirty = nd;
        sc->parts_cap = ncap;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        return NULL;
    }
    p->topic = strdup(topic);
    /* The global in-flight bound keeps a partition far below this. */
    p->wm = cli_kafka_wm_new(sc->kc.max_in_flight * 2 + 1024);
    if (!p->topic || !p->wm) {
        free(p->topic);
        cli_kafka_wm_destroy(p->wm);
        free(p);
        return NULL;
    }
    p->partition = partition;
    p->stored = -1;
    p->position = -1;
    sc->parts[sc->nparts++] = p;
    sc->last_part = p;
    return p;
}

static void part_forget(kpart_t *p)
{
    cli_kafka_wm_reset(p->wm);
    p->stored = -1;
    p->position = -1;
    p->dirty = 0;
}

/* ==== flights ============================================================ */

static kflight_t *flight_new(sidecar_t *sc, kpart_t *part, rd_kafka_message_t *in)
{
    kflight_t *f = calloc(1, sizeof(*f));

    if (!f) {
        return NULL;
    }
    f->part = part;
    f->in = in;
    f->ticket = -1;
    f->next = sc->flights;
    if (sc->flights) {
        sc->flights->prev = f;
    }
    sc->flights = f;
    sc->inflight++;
    return f;
}

/* Release a flight and its consumed message; its ticket stays as it is. */
static void flight_free(sidecar_t *sc, kflight_t *f)
{
    if (f->prev) {
        f->prev->next = f->next;
    }
    else {
        sc->flights = f->next;
    }
    if (f->next) {
        f->next->prev = f->prev;
    }
    sc->inflight--;
    if (f->in) {
        rd_kafka_message_destroy(f->in);
    }
    free(f->rules);
    free(f);
}

/* Hand a flight with its outcome to the main thread. Any thread. */
static void done_push(sidecar_t *sc, kflight_t *f)
{
    f->done = NULL;
    pthread_mutex_lock(&sc->done_mu);
    if (sc->done_tail) {
        sc->done_tail->done = f;
    }
    else {
        sc->done_head = f;
    }
    sc->done_tail = f;
    pthread_mutex_unlock(&sc->done_mu);
}

/* The record is settled: its ticket is done, so the commit may pass it. */
static void settle(sidecar_t *sc, kpart_t *part, int64_t ticket)
{
    if (ticket >= 0 && cli_kafka_wm_done(part->wm, ticket) == 1 && !part->dirty) {
        part->dirty = 1;
        sc->dirty[sc->ndirty++] = part;
    }
}

static void retry_push(sidecar_t *sc, kflight_t *f)
{
    f->retry = NULL;
    if (sc->retry_tail) {
        sc->retry_tail->retry = f;
    }
    else {
        sc->retry_head = f;
    }
    sc->retry_tail = f;
}

/* Comma-separated ids of the rules that fired (unique), or NULL. */
static char *rules_list(const sidecar_t *sc, const scrub_result_t *res)
{
    char buf[1024];
    size_t i, j, n = 0;

    if (res->nfindings == 0) {
        return NULL;
    }
    buf[0] = '\0';
    for (i = 0; i < res->nfindings; i++) {
        uint32_t r = res->findings[i].rule;
        const char *id = scrub_ruleset_rule_id(sc->rs, r);
        size_t len = id ? strlen(id) : 0;

        for (j = 0; j < i && res->findings[j].rule != r; j++) {
        }
        if (j < i || len == 0) {
            continue;
        }
        if (n + len + 2 >= sizeof(buf)) {
            break;
        }
        if (n > 0) {
            buf[n++] = ',';
        }
        memcpy(buf + n, id, len);
        n += len;
        buf[n] = '\0';
    }
    return strdup(buf);
}

static int retriable(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
        return 1;
    default:
        return 0;
    }
}

/* ==== producing ========================================================== */

/*
 * A record could not be produced to f->dest for good. The output's records
 * go to quarantine (on_error: quarantine); otherwise the sidecar stops and
 * the record's ticket stays open, so no commit passes it.
 */
static void give_up(sidecar_t *sc, kflight_t *f, rd_kafka_resp_err_t err)
{
    const char *topic = f->dest == KDEST_OUTPUT ? sc->kc.out_topic : sc->kc.quar_topic;

    if (f->dest == KDEST_OUTPUT && sc->kc.on_error == CLI_KAFKA_ON_ERROR_QUARANTINE &&
        sc->kc.delivery == CLI_KAFKA_AT_LEAST_ONCE) {
        cli_kafka_log(sc, sc->n_rerouted++ ? 1 : 0, "%s [%d] offset %lld: cannot produce to %s (%s): "
               "quarantined (further records: -v)",
               f->part->topic, (int)f->part->partition, (long long)f->in->offset, topic,
               rd_kafka_err2str(err));
        f->dest = KDEST_QUARANTINE;
        f->reason = err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? "too-large" : "produce-error";
        retry_push(sc, f);
        return;
    }
    cli_kafka_log(sc, sc->n_undelivered ? 1 : -1, "error: %s [%d] offset %lld: cannot produce to %s: "
           "%s; stopping without committing it (further records: -v)", f->part->topic, (int)f->part->partition, (long long)f->in->offset,
           topic, rd_kafka_err2str(err));
    sc->n_undelivered++;
    sc->stop_error = 1;
    flight_free(sc, f);
}

/*
 * Headers for the produced record (owned by the caller): the input's, plus
 * logscrub-rules, plus reason and origin on quarantined records. NULL when
 * there are none. The input's headers are detached from the consumed message
 * rather than copied: that is one parse and no copy per record. A consumed
 * message keeps its serialized headers, so a later call (a retry) parses
 * them again (librdkafka 2.0.2 rdkafka_msg.c: rd_kafka_message_headers
 * re-parses when no parsed list is attached).
 */
static rd_kafka_headers_t *out_headers(const kflight_t *f)
{
    rd_kafka_headers_t *h = NULL;
    char origin[512];

    if (rd_kafka_message_detach_headers(f->in, &h) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        h = NULL;
    }
    if (!f->rules && f->dest == KDEST_OUTPUT) {
        return h;
    }
    if (!h) {
        h = rd_kafka_headers_new(4);
    }
    if (f->rules) {
        rd_kafka_header_add(h, "logscrub-rules", -1, f->rules, -1);
    }
    if (f->dest == KDEST_QUARANTINE) {
        snprintf(origin, sizeof(origin), "%s/%d/%lld", f->part->topic, (int)f->part->partition,
                 (long long)f->in->offset);
        rd_kafka_header_add(h, "logscrub-reason", -1, f->reason ? f->reason : "rule", -1);
        rd_kafka_header_add(h, "logscrub-origin", -1, origin, -1);
    }
    return h;
}

/*
 * Queue f on its destination topic (value/len for the output, the original for
 * quarantine). Waits while the producer queue is full, serving the producer
 * meanwhile, unless a second signal or a fatal error ends the wait. Returns
 * the producev error: 0 when queued (a delivery report follows), else nothing
 * was queued. Touches only f and the producer: any thread.
 */
static rd_kafka_resp_err_t produce_try(sidecar_t *sc, kflight_t *f, const void *val, size_t len,
                                       int copy)
{
    rd_kafka_headers_t *h = out_headers(f);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(f->in, &tstype);
    const char *topic = f->dest == KDEST_OUTPUT ? sc->kc.out_topic : sc->kc.quar_topic;
    int32_t partition = sc->kc.partition_by_input && f->dest == KDEST_OUTPUT
                            ? f->in->partition : RD_KAFKA_PARTITION_UA;
    rd_kafka_resp_err_t err;

    if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) {
        ts = 0;
    }
    for (;;) {
        err = rd_kafka_producev(sc->producer, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_MSGFLAGS(copy ? RD_KAFKA_MSG_F_COPY : 0),
                                RD_KAFKA_V_KEY(f->in->key, f->in->key_len),
                                RD_KAFKA_V_VALUE((void *)val, len),
                                RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(h),
                                RD_KAFKA_V_OPAQUE(f), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || kafka_signals >= 2 || sc->fatal) {
            break;
        }
        /* Delivery reports make room; consumption stops meanwhile (the
         * main thread waits for the pool, or is the caller). */
        rd_kafka_poll(sc->producer, 100);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && h) {
        rd_kafka_headers_destroy(h);
    }
    return err;
}

static int produce(sidecar_t *sc, kflight_t *f, const void *val, size_t len, int copy);

/*
 * producev refused f with err (main thread). QUEUE_FULL means the wait was
 * abandoned: the record stays unsettled. Returns 0 when f was handed on
 * (re-produced, rerouted, given up), -1 when abandoned (f freed).
 */
static int refused(sidecar_t *sc, kflight_t *f, rd_kafka_resp_err_t err)
{
    const char *topic = f->dest == KDEST_OUTPUT ? sc->kc.out_topic : sc->kc.quar_topic;

    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        sc->n_undelivered++;
        flight_free(sc, f);
        return -1;
    }
    if (sc->kc.delivery == CLI_KAFKA_EXACTLY_ONCE && err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        /* Outside the transaction's control: abort it and replay. */
        sc->txn_abort = 1;
        flight_free(sc, f);
        return 0;
    }
    if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && f->dest == KDEST_OUTPUT) {
        /* Too large for the output: hold the original back (always, whatever on_error). */
        cli_kafka_log(sc, sc->n_rerouted++ ? 1 : 0, "%s [%d] offset %lld: too large for %s: "
               "quarantined (further records: -v)", f->part->topic,
               (int)f->part->partition, (long long)f->in->offset, topic);
        f->dest = KDEST_QUARANTINE;
        f->reason = "too-large";
        return produce(sc, f, f->in->payload, f->in->len, 0);
    }
    give_up(sc, f, err);
    return 0;
}

/*
 * Produce f from the main thread (retries, reroutes). Returns 0 when queued
 * or handed on, -1 when abandoned (f freed).
 */
static int produce(sidecar_t *sc, kflight_t *f, const void *val, size_t len, int copy)
{
    rd_kafka_resp_err_t err = produce_try(sc, f, val, len, copy);

    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : refused(sc, f, err);
}

/* Produce f again (after a retriable error or a switch to quarantine). */
static void reproduce(sidecar_t *sc, kflight_t *f)
{
    scrub_result_t res;

    if (f->dest == KDEST_QUARANTINE || !f->in->payload) {
        produce(sc, f, f->in->payload, f->in->len, 0);
        return;
    }
    /* The output bytes were not kept: scanning is deterministic, redo it. */
    scrub_worker_scan(sc->worker, f->in->payload, f->in->len, &res);
    produce(sc, f, res.out, res.out_len, res.out != (const uint8_t *)f->in->payload);
}

static void process_retries(sidecar_t *sc)
{
    while (sc->retry_head && kafka_signals < 2) {
        kflight_t *f = sc->retry_head;

        sc->retry_head = f->retry;
        if (!sc->retry_head) {
            sc->retry_tail = NULL;
        }
        reproduce(sc, f);
    }
}

/*
 * Delivery report, served by rd_kafka_poll/flush on the producer from the main
 * or the writer thread: the flight goes to the done list. A delivered
 * record's consumed message is released here, off the main thread.
 */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    sidecar_t *sc = opaque;
    kflight_t *f = m->_private;

    (void)rk;
    if (!f) {
        return;
    }
    f->outcome = KOUT_DELIVERED;
    f->err = m->err;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_message_destroy(f->in);
        f->in = NULL;
    }
    else if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        sc->fatal = 1;
    }
    done_push(sc, f);
}

/* A delivery report's outcome (main thread). */
static void delivered(sidecar_t *sc, kflight_t *f)
{
    if (f->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (f->dest == KDEST_OUTPUT) {
            sc->n_out++;
        }
        else {
            sc->n_quar++;
        }
        settle(sc, f->part, f->ticket);
        flight_free(sc, f);
        return;
    }
    if (f->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || f->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        /* Abandoned (second signal), or an aborted transaction that will be
         * replayed: never committed either way. */
        if (sc->kc.delivery == CLI_KAFKA_AT_LEAST_ONCE || kafka_signals >= 2) {
            sc->n_undelivered++;
        }
        flight_free(sc, f);
        return;
    }
    if (sc->kc.delivery == CLI_KAFKA_EXACTLY_ONCE) {
        cli_kafka_log(sc, sc->txn_abort ? 1 : 0, "%s [%d] offset %lld: delivery failed (%s): the "
               "transaction will abort",
               f->part->topic, (int)f->part->partition, (long long)f->in->offset,
               rd_kafka_err2str(f->err));
        sc->txn_abort = 1;
        flight_free(sc, f);
        return;
    }
    if (f->err == RD_KAFKA_RESP_ERR__FATAL) {
        sc->fatal = 1;
        flight_free(sc, f);
        return;
    }
    if (retriable(f->err)) {
        cli_kafka_log(sc, sc->n_retry ? 1 : 0, "%s [%d] offset %lld: delivery failed (%s): retrying "
               "(further records: -v)", f->part->topic,
               (int)f->part->partition, (long long)f->in->offset, rd_kafka_err2str(f->err));
        sc->n_retry++;
        retry_push(sc, f);
        return;
    }
    give_up(sc, f, f->err);
}

/* Take every flight with an outcome off the done list and act on it (main thread). */
void cli_kafka_process_done(sidecar_t *sc)
{
    kflight_t *f, *next;

    pthread_mutex_lock(&sc->done_mu);
    f = sc->done_head;
    sc->done_head = sc->done_tail = NULL;
    pthread_mutex_unlock(&sc->done_mu);
    for (; f; f = next) {
        next = f->done;
        switch (f->outcome) {
        case KOUT_DROPPED:
            sc->n_drop++;
            settle(sc, f->part, f->ticket);
            flight_free(sc, f);
            break;
        case KOUT_REFUSED:
            refused(sc, f, f->err);
            break;
        default:
            delivered(sc, f);
            break;
        }
    }
}

/* Serve the producer (delivery reports, errors) for up to timeout_ms, then
 * act on the outcomes (main thread). */
void cli_kafka_serve_producer(sidecar_t *sc, int timeout_ms)
{
    rd_kafka_poll(sc->producer, timeout_ms);
    cli_kafka_process_done(sc);
}

/* ==== offsets, backpressure ============================================== */

/* Store the commit offset of every partition whose watermark moved. */
static void store_offsets(sidecar_t *sc)
{
    size_t i;

    for (i = 0; i < sc->ndirty; i++) {
        kpart_t *p = sc->dirty[i];
        int64_t off = cli_kafka_wm_commit_offset(p->wm);

        p->dirty = 0;
        if (p->assigned && off > p->stored) {
            rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
            rd_kafka_resp_err_t err;

            rd_kafka_topic_partition_list_add(one, p->topic, p->partition)->offset = off;
            err = rd_kafka_offsets_store(sc->consumer, one);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                err = one->elems[0].err;
            }
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                p->stored = off;
            }
            else {
                cli_kafka_log(sc, 1, "%s [%d]: offset %lld not stored: %s", p->topic, (int)p->partition,
                       (long long)off, rd_kafka_err2str(err));
            }
            rd_kafka_topic_partition_list_destroy(one);
        }
    }
    sc->ndirty = 0;
}

static void set_paused(sidecar_t *sc, int pause)
{
    rd_kafka_topic_partition_list_t *a = NULL;

    if (sc->paused == pause) {
        return;
    }
    if (rd_kafka_assignment(sc->consumer, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (pause) {
            rd_kafka_pause_partitions(sc->consumer, a);
        }
        else {
            rd_kafka_resume_partitions(sc->consumer, a);
        }
        rd_kafka_topic_partition_list_destroy(a);
    }
    sc->paused = pause;
    cli_kafka_log(sc, 2, "%s consumption (%zu records in flight)", pause ? "paused" : "resumed",
           sc->inflight);
}

/* Wait until the writer has produced (or refused) every record handed to the
 * pool. It never needs the main thread for that. */
void cli_kafka_pool_sync(sidecar_t *sc)
{
    if (scrub_pool_finish(sc->pool) != 0) {
        cli_kafka_log(sc, -1, "error: scanning pool failed");
        sc->fatal = 1;
    }
}

/*
 * Wait until every flight settled (or timeout_ms, or a second signal).
 * Returns 1 when nothing is left in flight.
 */
static int drain(sidecar_t *sc, int timeout_ms)
{
    double deadline = cli_kafka_now() + timeout_ms / 1000.0;

    cli_kafka_pool_sync(sc);
    cli_kafka_process_done(sc);
    while ((sc->inflight > 0 || sc->retry_head) && kafka_signals < 2 && cli_kafka_now() < deadline) {
        rd_kafka_flush(sc->producer, 100);
        cli_kafka_process_done(sc);
        process_retries(sc);
        store_offsets(sc);
        if (sc->fatal) {
            break;
        }
    }
    store_offsets(sc);
    return sc->inflight == 0;
}

/* ==== consumer callbacks ================================================= */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    sidecar_t *sc = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e = NULL;
    int i;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (i = 0; i < parts->cnt; i++) {
            kpart_t *p = part_get(sc, parts->elems[i].topic, parts->elems[i].partition);

            if (p) {
                part_forget(p);
                p->assigned = 1;
            }
        }
        if (coop) {
            e = rd_kafka_incremental_assign(rk, parts);
        }
        else {
            rd_kafka_assign(rk, parts);
        }
        if (sc->paused) {
            rd_kafka_pause_partitions(rk, parts);
        }
        sc->joined = 1;
        cli_kafka_log(sc, 1, "assigned %d partition(s)", parts->cnt);
    }
    else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        int lost = rd_kafka_assignment_lost(rk);

        /* Flush, commit, then release: the next owner starts after
         * everything we delivered, and re-reads what we did not. */
        if (kafka_signals < 2 && !lost) {
            drain(sc, sc->kc.flush_timeout_ms);
        }
        if (sc->kc.delivery == CLI_KAFKA_EXACTLY_ONCE) {
            if (lost || kafka_signals >= 2) {
                if (sc->txn_open) {
                    cli_kafka_txn_abort(sc, 0);
                }
            }
            else {
                cli_kafka_txn_commit(sc, 0);
            }
        }
        else if (!lost) {
            rd_kafka_resp_err_t cerr;

            store_offsets(sc);
            cerr = rd_kafka_commit(rk, NULL, 0);
            if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                cli_kafka_log(sc, 0, "commit on revoke: %s", rd_kafka_err2str(cerr));
            }
        }
        for (i = 0; i < parts->cnt; i++) {
            kpart_t *p = part_get(sc, parts->elems[i].topic, parts->elems[i].partition);

            if (p) {
                part_forget(p);
                p->assigned = 0;
            }
        }
        if (coop) {
            e = rd_kafka_incremental_unassign(rk, parts);
        }
        else {
            rd_kafka_assign(rk, NULL);
            sc->joined = 0;
        }
        cli_kafka_log(sc, 1, "revoked %d partition(s)%s", parts->cnt, lost ? " (lost)" : "");
    }
    else {
        cli_kafka_log(sc, 0, "rebalance error: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
        sc->joined = 0;
    }
    if (e) {
        cli_kafka_log(sc, -1, "error: incremental rebalance: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sidecar_t *sc = opaque;
    char buf[512];

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        cli_kafka_log(sc, -1, "error: fatal: %s", buf);
        sc->fatal = 1;
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        sc->connected = 0;
    }
    cli_kafka_log(sc, 0, "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Statistics: only used to know whether any broker connection is up. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    sidecar_t *sc = opaque;

    (void)rk;
    (void)len;
    sc->connected = strstr(json, "\"state\":\"UP\"") != NULL;
    return 0;
}

/* ==== the record path ==================================================== */

/*
 * Take up to max messages, waiting up to wait_ms for the first. Given a
 * timeout, rd_kafka_consume_batch_queue waits until the batch is full or the
 * timeout ends (librdkafka 2.0.2 rd_kafka_q_serve_rkmessages), which idled the
 * whole pipeline for 100 ms each time fewer messages had been fetched: take
 * what is there without waiting, and only when that is nothing wait for one
 * message, then take what came with it.
 */
static ssize_t take_batch(sidecar_t *sc, rd_kafka_message_t **batch, size_t max, int wait_ms)
{
    ssize_t n = rd_kafka_consume_batch_queue(sc->cq, 0, batch, max);
    ssize_t more;

    if (n != 0 || wait_ms == 0) {
        return n;
    }
    batch[0] = rd_kafka_consumer_poll(sc->consumer, wait_ms);
    if (!batch[0]) {
        return 0;
    }
    more = rd_kafka_consume_batch_queue(sc->cq, 0, batch + 1, max - 1);
    return more > 0 ? more + 1 : 1;
}

/*
 * Take one consumed message (main thread): errors are logged and released;
 * a record gets its watermark ticket and a flight, which is returned for the
 * pool. NULL when there is nothing to scan (m released).
 */
static kflight_t *admit(sidecar_t *sc, rd_kafka_message_t *m)
{
    kpart_t *part;
    kflight_t *f;
    int64_t ticket = -1;

    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            char buf[512];

            rd_kafka_fatal_error(sc->consumer, buf, sizeof(buf));
            cli_kafka_log(sc, -1, "error: fatal: %s", buf);
            sc->fatal = 1;
        }
        else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            cli_kafka_log(sc, 0, "consumer: %s", rd_kafka_err2str(m->err));
        }
        rd_kafka_message_destroy(m);
        return NULL;
    }
    part = part_get(sc, rd_kafka_topic_name(m->rkt), m->partition);
    if (!part) {
        cli_kafka_log(sc, -1, "error: out of memory");
        sc->fatal = 1;
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (!part->assigned) {
        /* Taken in the same batch call that ran the revocation of its
         * partition: not ours any more, the next owner reads it from the
         * committed offset. */
        rd_kafka_message_destroy(m);
        return NULL;
    }
    sc->connected = 1;
    part->position = m->offset + 1;
    sc->n_in++;
    if (sc->kc.delivery == CLI_KAFKA_EXACTLY_ONCE) {
        cli_kafka_txn_begin(sc);
    }
    else {
        ticket = cli_kafka_wm_track(part->wm, m->offset);
        if (ticket == -2) {
            /* Re-delivered from an earlier offset (offset reset): start over. */
            cli_kafka_log(sc, 0, "%s [%d]: consumption moved back to offset %lld", part->topic,
                   (int)part->partition, (long long)m->offset);
            cli_kafka_wm_reset(part->wm);
            ticket = cli_kafka_wm_track(part->wm, m->offset);
        }
        if (ticket < 0) {
            cli_kafka_log(sc, -1, "error: %s [%d]: too many records in flight", part->topic,
                   (int)part->partition);
            sc->fatal = 1;
            rd_kafka_message_destroy(m);
            return NULL;
        }
    }
    f = flight_new(sc, part, m);
    if (!f) {
        cli_kafka_log(sc, -1, "error: out of memory");
        sc->fatal = 1;
        rd_kafka_message_destroy(m);
        return NULL;
    }
    f->ticket = ticket;
    return f;
}

/*
 * The scan result of one record, on the pool's writer thread, in input
 * order: count it, produce it (or report it dropped). Touches only f, the
 * stats (under stats_mu) and the producer; failures go to the main thread
 * through the done list.
 */
static int on_result(void *ctx, void *tag, const uint8_t *rec, size_t len,
                     const scrub_result_t *res)
{
    sidecar_t *sc = ctx;
    kflight_t *f = tag;
    rd_kafka_resp_err_t err;

    if (!rec) {
        /* A tombstone: forwarded as a tombstone, not counted as a record scanned. */
        f->dest = KDEST_OUTPUT;
        err = produce_try(sc, f, NULL, 0, 0);
    }
    else {
        pthread_mutex_lock(&sc->stats_mu);
        scrub_stats_add(sc->stats, res, len);
        pthread_mutex_unlock(&sc->stats_mu);
        if (res->verdict == SCRUB_V_DROPPED) {
            f->outcome = KOUT_DROPPED;
            done_push(sc, f);
            return 0;
        }
        f->rules = rules_list(sc, res);
        if (res->verdict == SCRUB_V_QUARANTINED) {
            f->dest = KDEST_QUARANTINE;
            f->reason = res->failure != SCRUB_FAIL_NONE ? scrub_failure_name(res->failure)
                                                        : "rule";
            err = produce_try(sc, f, rec, len, 0);
        }
        else {
            f->dest = KDEST_OUTPUT;
            err = produce_try(sc, f, res->out, res->out_len, res->out != rec);
        }
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        f->outcome = KOUT_REFUSED;
        f->err = err;
        done_push(sc, f);
    }
    /* Serving delivery reports here too spreads their cost over two threads. */
    if (++sc->writer_n % 256 == 0) {
        rd_kafka_poll(sc->producer, 0);
    }
    return 0;
}

/* ==== setup and teardown ================================================= */

static void sidecar_destroy(sidecar_t *sc)
{
    size_t i;

    /* The pool first (its writer produces), then the producer (no more
     * delivery reports), then the flights still left. */
    if (sc->pool) {
        scrub_pool_finish(sc->pool);
        scrub_pool_destroy(sc->pool);
    }
    if (sc->producer) {
        rd_kafka_destroy(sc->producer);
    }
    while (sc->flights) {
        flight_free(sc, sc->flights);
    }
    if (sc->cq) {
        rd_kafka_queue_destroy(sc->cq);
    }
    if (sc->consumer) {
        rd_kafka_destroy(sc->consumer);
    }
    for (i = 0; i < sc->nparts; i++) {
        free(sc->parts[i]->topic);
        cli_kafka_wm_destroy(sc->parts[i]->wm);
        free(sc->parts[i]);
    }
    free(sc->parts);
    free(sc->dirty);
    cli_kafka_http_stop(sc->http);
    scrub_stats_destroy(sc->stats);
    scrub_worker_destroy(sc->worker);
    cli_kafka_conf_destroy(&sc->kc);
    if (sc->mutexes) {
        pthread_mutex_destroy(&sc->stats_mu);
        pthread_mutex_destroy(&sc->done_mu);
    }
}

static int sidecar_start(sidecar_t *sc, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *topics;
    rd_kafka_resp_err_t err;
    rd_kafka_error_t *e;
    size_t i;

    if (pthread_mutex_init(&sc->stats_mu, NULL) != 0) {
        snprintf(errstr, errstr_size, "cannot create a mutex");
        return CLI_EXIT_IO;
    }
    if (pthread_mutex_init(&sc->done_mu, NULL) != 0) {
        pthread_mutex_destroy(&sc->stats_mu);
        snprintf(errstr, errstr_size, "cannot create a mutex");
        return CLI_EXIT_IO;
    }
    sc->mutexes = 1;
    sc->worker = scrub_worker_new(sc->rs);
    sc->stats = scrub_stats_new(sc->rs);
    if (!sc->worker || !sc->stats) {
        snprintf(errstr, errstr_size, "out of memory");
        return CLI_EXIT_IO;
    }
    rd_kafka_conf_set_opaque(sc->kc.producer, sc);
    rd_kafka_conf_set_dr_msg_cb(sc->kc.producer, dr_cb);
    rd_kafka_conf_set_error_cb(sc->kc.producer, error_cb);
    rd_kafka_conf_set_opaque(sc->kc.consumer, sc);
    rd_kafka_conf_set_rebalance_cb(sc->kc.consumer, rebalance_cb);
    rd_kafka_conf_set_error_cb(sc->kc.consumer, error_cb);
    if (sc->kc.http) {
        rd_kafka_conf_set_stats_cb(sc->kc.consumer, stats_cb);
    }
    else {
        sc->connected = 1;
    }
    sc->producer = rd_kafka_new(RD_KAFKA_PRODUCER, sc->kc.producer, errstr, errstr_size);
    if (!sc->producer) {
        return CLI_EXIT_USAGE;
    }
    sc->kc.producer = NULL;
    sc->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, sc->kc.consumer, errstr, errstr_size);
    if (!sc->consumer) {
        return CLI_EXIT_USAGE;
    }
    sc->kc.consumer = NULL;
    rd_kafka_poll_set_consumer(sc->consumer);
    sc->cq = rd_kafka_queue_get_consumer(sc->consumer);
    if (!sc->cq) {
        snprintf(errstr, errstr_size, "no consumer queue");
        return CLI_EXIT_IO;
    }
    if (sc->kc.delivery == CLI_KAFKA_EXACTLY_ONCE) {
        e = rd_kafka_init_transactions(sc->producer, 60000);
        if (e) {
            snprintf(errstr, errstr_size, "init transactions: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            return CLI_EXIT_IO;
        }
    }
    sc->pool = scrub_pool_new_records(sc->rs, sc->nthreads, on_result, sc);
    if (!sc->pool) {
        snprintf(errstr, errstr_size, "cannot start %u scanning thread(s)", sc->nthreads);
        return CLI_EXIT_IO;
    }
    if (sc->kc.http) {
        sc->http = cli_kafka_http_start(sc->kc.http, errstr, errstr_size);
        if (!sc->http) {
            return CLI_EXIT_USAGE;
        }
        cli_kafka_metrics_publish(sc);
    }
    topics = rd_kafka_topic_partition_list_new((int)sc->kc.ntopics);
    for (i = 0; i < sc->kc.ntopics; i++) {
        rd_kafka_topic_partition_list_add(topics, sc->kc.topics[i], RD_KAFKA_PARTITION_UA);
    }
    err = rd_kafka_subscribe(sc->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ==== public entry points ================================================ */

void cli_kafka_describe(char *buf, size_t size)
{
    char why[300];

    if (cli_kafka_lib_load(why, sizeof(why)) != 0) {
        snprintf(buf, size, "built in but unavailable (%s)", why);
        return;
    }
    snprintf(buf, size, "yes (librdkafka %s)", rd_kafka_version_str());
}

int cli_kafka_wanted(const cli_kafka_opts_t *ko, const scrub_ruleset_t *rs)
{
    return ko->list_props || ko->group != NULL || ko->ntopics > 0 || cli_kafka_conf_has_input(rs);
}

int cli_kafka_run(const cli_kafka_opts_t *ko, scrub_ruleset_t *rs)
{
    sidecar_t sc;
    char errstr[512];
    struct sigaction sa, old_int, old_term;
    double now;
    int rc;

    if (cli_kafka_lib_load(errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "logscrub: Kafka support unavailable: %s\n", errstr);
        return CLI_EXIT_IO;
    }
    if (ko->list_props) {
        rd_kafka_conf_properties_show(stdout);
        return CLI_EXIT_OK;
    }
    memset(&sc, 0, sizeof(sc));
    sc.rs = rs;
    sc.nthreads = ko->threads ? ko->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    rc = cli_kafka_conf_load(&sc.kc, ko, rs, CLI_KAFKA_CONF_SIDECAR, errstr, sizeof(errstr));
    if (rc != 0) {
        fprintf(stderr, "logscrub: %s\n", errstr);
        cli_kafka_conf_destroy(&sc.kc);
        return CLI_EXIT_USAGE;
    }
    kafka_signals = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    rc = sidecar_start(&sc, errstr, sizeof(errstr));
    if (rc != CLI_EXIT_OK) {
        fprintf(stderr, "logscrub: kafka: %s\n", errstr);
        sidecar_destroy(&sc);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return rc;
    }
    cli_kafka_log(&sc, 1, "consuming %zu topic(s) as group %s (%s)", sc.kc.ntopics, sc.kc.group,
           sc.kc.delivery == CLI_KAFKA_EXACTLY_ONCE ? "exactly-once" : "at-least-once");

    while (!kafka_signals && !sc.fatal && !sc.stop_error) {
        rd_kafka_message_t *batch[KAFKA_BATCH];
        scrub_record_t recs[KAFKA_BATCH];
        size_t nrecs = 0;
        ssize_t n, i;

        if (sc.inflight >= sc.kc.max_in_flight) {
            if (sc.kc.delivery == CLI_KAFKA_EXACTLY_ONCE) {
                cli_kafka_txn_commit(&sc, 1);
            }
            else {
                set_paused(&sc, 1);
            }
        }
        else if (sc.paused && sc.inflight <= sc.kc.max_in_flight / 2) {
            set_paused(&sc, 0);
        }
        /* Rebalance and error callbacks are served inside this call. */
        n = take_batch(&sc, batch, KAFKA_BATCH, sc.paused ? 0 : 100);
        for (i = 0; i < n; i++) {
            kflight_t *f = NULL;

            if (sc.fatal || sc.stop_error) {
                rd_kafka_message_destroy(batch[i]); /* not settled: never committed */
            }
            else if ((f = admit(&sc, batch[i])) != NULL) {
                recs[nrecs].data = f->in->payload;
                recs[nrecs].len = f->in->len;
                recs[nrecs].tag = f;
                nrecs++;
            }
        }
        /* Waits only while every pool block is busy; the writer never
         * waits for this thread. */
        if (nrecs > 0 && scrub_pool_records(sc.pool, recs, nrecs) != 0) {
            cli_kafka_log(&sc, -1, "error: scanning pool failed");
            sc.fatal = 1;
        }
        cli_kafka_serve_producer(&sc, sc.paused && n <= 0 ? 50 : 0);
        process_retries(&sc);
        store_offsets(&sc);
        if (sc.kc.delivery == CLI_KAFKA_EXACTLY_ONCE && sc.txn_open) {
            if (sc.txn_abort) {
                cli_kafka_txn_abort(&sc, 1);
            }
            else if ((now = cli_kafka_now()) - sc.txn_started >= sc.kc.txn_interval_ms / 1000.0) {
                cli_kafka_txn_commit(&sc, 1);
            }
        }
        if (sc.http && (now = cli_kafka_now()) >= sc.next_publish) {
            cli_kafka_metrics_publish(&sc);
            sc.next_publish = now + 0.5;
        }
    }

    /* Stop consuming, flush, commit, close. A second signal abandons the
     * flush; nothing undelivered is ever committed. */
    cli_kafka_log(&sc, 1, "stopping: %zu record(s) in flight", sc.inflight);
    if (!drain(&sc, sc.kc.flush_timeout_ms)) {
        cli_kafka_log(&sc, 0, "%zu record(s) not delivered: they stay uncommitted", sc.inflight);
        rd_kafka_purge(sc.producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        cli_kafka_serve_producer(&sc, 0);
    }
    if (sc.kc.delivery == CLI_KAFKA_EXACTLY_ONCE) {
        if (sc.txn_open && (sc.inflight > 0 || kafka_signals >= 2 || sc.fatal)) {
            if (!sc.fatal) {
                cli_kafka_txn_abort(&sc, 0);
            }
        }
        else {
            cli_kafka_txn_commit(&sc, 0);
        }
    }
    else if (!sc.fatal) {
        rd_kafka_resp_err_t err;

        store_offsets(&sc);
        err = rd_kafka_commit(sc.consumer, NULL, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            cli_kafka_log(&sc, 0, "final commit: %s", rd_kafka_err2str(err));
        }
    }
    rd_kafka_consumer_close(sc.consumer);
    if (sc.http) {
        cli_kafka_metrics_publish(&sc);
    }
    if (ko->stats) {
        char *json = scrub_stats_json(sc.stats, rs);

        if (json) {
            fprintf(stderr, "%s\n", json);
            free(json);
        }
    }
    cli_kafka_log(&sc, (sc.n_undelivered || sc.n_rerouted || sc.n_retry) ? 0 : 1,
           "in %llu, out %llu, quarantined %llu (%llu after produce errors), dropped %llu, "
           "retried %llu, undelivered %llu", (unsigned long long)sc.n_in,
           (unsigned long long)sc.n_out, (unsigned long long)sc.n_quar,
           (unsigned long long)sc.n_rerouted, (unsigned long long)sc.n_drop,
           (unsigned long long)sc.n_retry, (unsigned long long)sc.n_undelivered);
    rc = sc.fatal ? CLI_EXIT_IO
         : (sc.n_undelivered > 0 || sc.stop_error) ? CLI_EXIT_FOUND : CLI_EXIT_OK;
    sidecar_destroy(&sc);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}

#else /* !WITH_KAFKA */

/* Without librdkafka: the options are recognised, and refused with a clear message. */

void cli_kafka_describe(char *buf, size_t size)
{
    snprintf(buf, size, "no");
}

int cli_kafka_wanted(const cli_kafka_opts_t *ko, const scrub_ruleset_t *rs)
{
    (void)rs;
    return ko->list_props || ko->group != NULL || ko->ntopics > 0 ||
           (rs && scrub_ruleset_setting(rs, "input.kafka.brokers") != NULL);
}

int cli_kafka_run(const cli_kafka_opts_t *ko, scrub_ruleset_t *rs)
{
    (void)ko;
    (void)rs;
    fprintf(stderr, "logscrub: built without Kafka support\n");
    return CLI_EXIT_USAGE;
}

struct cli_kafka_sink {
    int unused; /* never allocated */
};

cli_kafka_sink_t *cli_kafka_sink_new(const cli_kafka_opts_t *ko, const scrub_ruleset_t *rs,
                                     const char *topic, char *errstr, size_t errstr_size)
{
    (void)ko;
    (void)rs;
    (void)topic;
    snprintf(errstr, errstr_size, "built without Kafka support");
    return NULL;
}

int cli_kafka_sink_write(cli_kafka_sink_t *k, const uint8_t *p, size_t n)
{
    (void)k;
    (void)p;
    (void)n;
    return SCRUB_EIO;
}

int cli_kafka_sink_close(cli_kafka_sink_t *k)
{
    (void)k;
    return 0;
}

#endif /* WITH_KAFKA */
