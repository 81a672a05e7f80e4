/* cli_kafka_metrics.c: the sidecar's /metrics page (Prometheus text) and /healthz state. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifdef WITH_KAFKA

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_kafka_sc.h"

/* A growable text buffer for the metrics page. */
typedef struct mbuf {
    char *p;      /* text, NUL-terminated */
    size_t len;   /* bytes used */
    size_t cap;   /* bytes allocated */
    int oom;      /* an allocation failed */
} mbuf_t;

static void mb_printf(mbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->oom) {
        return;
    }
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        {
            size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
            char *np = realloc(b->p, ncap);

            if (!np) {
                b->oom = 1;
                return;
            }
            b->p = np;
            b->cap = ncap;
        }
    }
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void mb_label(mbuf_t *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            mb_printf(b, "\\%c", *s);
        }
        else if (*s == '\n') {
            mb_printf(b, "\\n");
        }
        else {
            mb_printf(b, "%c", *s);
        }
    }
}

static void mb_counter(mbuf_t *b, const char *name, const char *help, uint64_t v)
{
    mb_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
              (unsigned long long)v);
}

void cli_kafka_metrics_publish(sidecar_t *sc)
{
    mbuf_t b = { NULL, 0, 0, 0 };
    size_t i, nrules = scrub_ruleset_count(sc->rs), nassigned = 0;
    uint64_t findings;

    mb_counter(&b, "logscrub_records_in_total", "Records consumed from the input topics.",
               sc->n_in);
    mb_counter(&b, "logscrub_records_out_total",
               "Records acknowledged on the output topic (clean, redacted or tagged).", sc->n_out);
    mb_counter(&b, "logscrub_records_quarantined_total",
               "Records acknowledged on the quarantine topic.", sc->n_quar);
    mb_counter(&b, "logscrub_records_dropped_total", "Records dropped by rules.", sc->n_drop);
    mb_counter(&b, "logscrub_records_undelivered_total",
               "Records given up (not committed; re-read after a restart).", sc->n_undelivered);
    mb_counter(&b, "logscrub_records_rerouted_total",
               "Records sent to quarantine because the output refused them.", sc->n_rerouted);
    mb_counter(&b, "logscrub_produce_retries_total", "Produce attempts repeated after an error.",
               sc->n_retry);
    mb_counter(&b, "logscrub_transactions_aborted_total", "Aborted transactions (exactly-once).",
               sc->n_aborts);
    mb_printf(&b, "# HELP logscrub_findings_total Findings kept, per rule and action.\n"
                  "# TYPE logscrub_findings_total counter\n");
    for (i = 0; i < nrules; i++) {
        scrub_rule_info_t info;

        if (scrub_ruleset_rule(sc->rs, i, &info) != 0) {
            continue;
        }
        pthread_mutex_lock(&sc->stats_mu);
        findings = scrub_stats_rule_findings(sc->stats, i);
        pthread_mutex_unlock(&sc->stats_mu);
        mb_printf(&b, "logscrub_findings_total{rule=\"");
        mb_label(&b, info.id);
        mb_printf(&b, "\",action=\"%s\"} %llu\n", scrub_action_name(info.action),
                  (unsigned long long)findings);
    }
    mb_printf(&b, "# HELP logscrub_consumer_lag Records behind the partition's high watermark.\n"
                  "# TYPE logscrub_consumer_lag gauge\n");
    for (i = 0; i < sc->nparts; i++) {
        kpart_t *p = sc->parts[i];
        int64_t lo = -1, hi = -1, lag;

        if (!p->assigned) {
            continue;
        }
        nassigned++;
        if (rd_kafka_get_watermark_offsets(sc->consumer, p->topic, p->partition, &lo, &hi) != 0 ||
            hi < 0) {
            continue;
        }
        lag = p->position >= 0 ? hi - p->position : (lo >= 0 ? hi - lo : hi);
        mb_printf(&b, "logscrub_consumer_lag{topic=\"");
        mb_label(&b, p->topic);
        mb_printf(&b, "\",partition=\"%d\"} %lld\n", (int)p->partition,
                  (long long)(lag < 0 ? 0 : lag));
    }
    mb_printf(&b, "# HELP logscrub_in_flight Records consumed and not yet acknowledged.\n"
                  "# TYPE logscrub_in_flight gauge\nlogscrub_in_flight %zu\n", sc->inflight);
    mb_printf(&b, "# HELP logscrub_assigned_partitions Input partitions assigned.\n"
                  "# TYPE logscrub_assigned_partitions gauge\nlogscrub_assigned_partitions %zu\n",
              nassigned);
    mb_printf(&b, "# HELP logscrub_paused 1 while consumption is paused for backpressure.\n"
                  "# TYPE logscrub_paused gauge\nlogscrub_paused %d\n", sc->paused);
    mb_printf(&b, "# HELP logscrub_ready 1 when assigned and connected (/healthz 200).\n"
                  "# TYPE logscrub_ready gauge\nlogscrub_ready %d\n", sc->joined && sc->connected);
    if (b.oom) {
        free(b.p);
        b.p = NULL;
    }
    cli_kafka_http_publish(sc->http, b.p, b.len, sc->joined && sc->connected);
}

#else
/* Built without Kafka: nothing here (keeps the translation unit non-empty). */
typedef int cli_kafka_metrics_unused_t;
#endif /* WITH_KAFKA */
