/* kcheck.c: consume the sidecar's output and quarantine topics and verify them against the fixtures. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage:
 *   kcheck -b BROKERS -o OUT [-q QUAR] -n COUNT [-f FIRST] [-s SIZE] [-S EVERY] [-Q EVERY]
 *          [-r] [-d] [-O] [-T SECONDS]
 *     Reads OUT and QUAR from the beginning (-r: read_committed) until every
 *     record FIRST..FIRST+COUNT-1 was seen and every partition is at its end,
 *     or until -T seconds passed. Checks: nothing missing; no injected secret
 *     and no quarantine marker in OUT; keys, headers and timestamps preserved;
 *     a logscrub-rules header on redacted records; quarantined records
 *     byte-identical; with -O, order per key in each partition. Duplicates are
 *     reported, and are a failure unless -d. Prints one summary line.
 *     -R: records quarantined for other reasons (produce errors) are reported,
 *     not failures.
 *   kcheck -b BROKERS -o TOPIC -C GROUP
 *     Checks that GROUP's committed offsets on TOPIC equal the high watermarks
 *     (everything consumed was committed); prints the committed total.
 *   kcheck -b BROKERS -o OUT -W COUNT [-T SECONDS]
 *     Waits until the partitions of OUT hold COUNT records; prints the
 *     throughput from the first record to the COUNT-th (bench mode).
 * Exit 0 when every check passed, 1 otherwise, 2 on usage or setup errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define KRD_PROG "kcheck"
#include "krd.h"

#include "kfix.h"

#define MAX_PARTS 64

typedef struct check {
    unsigned long long first;   /* first fixture id */
    unsigned long long count;   /* number of fixture ids */
    size_t size;                /* fixture value size */
    int secret_every;           /* kfix secret frequency */
    int quarantine_every;       /* kfix quarantine frequency */
    unsigned *seen;             /* occurrences per id (both topics) */
    long long *last_id;         /* last id per (partition, key) for order checks */
    unsigned long long consumed, unique, dups, missing;
    unsigned long long leaked, marker, badkey, badhdr, badts, norules, badquar, strayquar,
        order, garbage;
} check_t;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int header_is(rd_kafka_headers_t *h, const char *name, const void *val, size_t len)
{
    const void *v;
    size_t n;

    if (!h || rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return 0;
    }
    return n == len && memcmp(v, val, len) == 0;
}

/* Check one consumed message of the output (quar == 0) or quarantine topic. */
static void check_message(check_t *c, rd_kafka_message_t *m, int quar)
{
    unsigned long long id;
    char want[1024], key[32], trace[32], secret[41];
    size_t wlen;
    rd_kafka_headers_t *h = NULL;
    rd_kafka_timestamp_type_t tstype;
    const char *v = m->payload;
    char tmp[32];
    size_t k;
    const void *hv;
    size_t hn;

    c->consumed++;
    if (!v || m->len < 4 || memcmp(v, "id=", 3) != 0) {
        c->garbage++;
        return;
    }
    for (k = 3; k < m->len && k < 30 && v[k] >= '0' && v[k] <= '9'; k++) {
        tmp[k - 3] = v[k];
    }
    tmp[k - 3] = '\0';
    id = strtoull(tmp, NULL, 10);
    if (id < c->first || id >= c->first + c->count) {
        c->garbage++;
        return;
    }
    if (c->seen[id - c->first]++ == 0) {
        c->unique++;
    }
    else {
        c->dups++;
    }
    snprintf(key, sizeof(key), "key-%llu", id % 97);
    snprintf(trace, sizeof(trace), "t%llu", id);
    if (m->key_len != strlen(key) || memcmp(m->key, key, m->key_len) != 0) {
        c->badkey++;
    }
    rd_kafka_message_headers(m, &h);
    if (!header_is(h, "trace", trace, strlen(trace)) || !header_is(h, "h-bin", "\0\xff\n", 3)) {
        c->badhdr++;
    }
    if (rd_kafka_message_timestamp(m, &tstype) != KFIX_TS_BASE + (int64_t)id) {
        c->badts++;
    }
    if (kfix_has_secret(id, c->secret_every)) {
        kfix_secret(id, secret);
        if (!quar && memmem(m->payload, m->len, secret, 40)) {
            c->leaked++;
        }
        if (!quar && !(h && rd_kafka_header_get_last(h, "logscrub-rules", &hv, &hn) == 0)) {
            c->norules++;
        }
    }
    if (quar) {
        wlen = kfix_value(id, c->size, c->secret_every, c->quarantine_every, want);
        if (!kfix_has_quarantine(id, c->quarantine_every)) {
            c->strayquar++;
        }
        else if (m->len != wlen || memcmp(m->payload, want, wlen) != 0) {
            c->badquar++;
        }
    }
    else {
        if (memmem(m->payload, m->len, "QUARANTINE-ME", 13)) {
            c->marker++;
        }
        if (c->last_id && m->partition < MAX_PARTS) {
            long long *last = &c->last_id[m->partition * 97 + id % 97];

            if ((long long)id <= *last) {
                c->order++;
            }
            *last = (long long)id;
        }
    }
}

/* Committed-offsets mode: GROUP's commits on topic against the high watermarks. */
static int check_committed(const char *brokers, const char *topic, const char *group)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *parts;
    char errstr[512];
    int n, p, behind = 0;
    long long total = 0, hwm_total = 0;

    if (krd_set(conf, "bootstrap.servers", brokers) || krd_set(conf, "group.id", group)) {
        return 2;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kcheck: %s\n", errstr);
        return 2;
    }
    n = krd_partition_count(rk, topic);
    parts = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (p = 0; p < n; p++) {
        rd_kafka_topic_partition_list_add(parts, topic, p);
    }
    if (n <= 0 || rd_kafka_committed(rk, parts, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kcheck: cannot read committed offsets of %s\n", group);
        rd_kafka_destroy(rk);
        return 2;
    }
    for (p = 0; p < n; p++) {
        int64_t lo = 0, hi = 0;

        rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000);
        hwm_total += hi;
        total += parts->elems[p].offset > 0 ? parts->elems[p].offset : 0;
        if (parts->elems[p].offset != hi) {
            behind++;
        }
    }
    printf("kcheck: group %s committed %lld of %lld on %s (%d partition(s) behind)\n", group,
           total, hwm_total, topic, behind);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
    return behind ? 1 : 0;
}

/*
 * Bench mode: wait for COUNT records in OUT, print the rate. The end offsets of
 * all partitions come from one rd_kafka_offsets_for_times call (timestamp -1 =
 * latest: one ListOffsets request per leader) rather than a
 * query_watermark_offsets per partition (two requests each), so that polling
 * every 20 ms does not load the mock cluster it measures.
 */
static int wait_count(rd_kafka_t *rk, const char *topic, unsigned long long want, int timeout)
{
    int n = krd_partition_count(rk, topic), p;
    double t0 = now_s(), tfirst = 0, t;
    unsigned long long total = 0, first_total = 0;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    rd_kafka_topic_partition_list_t *parts;

    if (n <= 0) {
        fprintf(stderr, "kcheck: no metadata for %s\n", topic);
        return 2;
    }
    parts = rd_kafka_topic_partition_list_new(n);
    for (p = 0; p < n; p++) {
        rd_kafka_topic_partition_list_add(parts, topic, p);
    }
    while ((t = now_s()) - t0 < timeout) {
        total = 0;
        for (p = 0; p < n; p++) {
            parts->elems[p].offset = RD_KAFKA_OFFSET_END;
        }
        if (rd_kafka_offsets_for_times(rk, parts, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (p = 0; p < n; p++) {
                if (!parts->elems[p].err && parts->elems[p].offset > 0) {
                    total += (unsigned long long)parts->elems[p].offset;
                }
            }
        }
        if (total > 0 && tfirst == 0) {
            tfirst = t;
            first_total = total;
        }
        if (total >= want) {
            double secs = t - tfirst;

            printf("bench: %llu records in %.2f s after the first output = %.0f records/s "
                   "(%.2f s including start-up)\n",
                   total - first_total, secs, secs > 0 ? (total - first_total) / secs : 0.0,
                   t - t0);
            rd_kafka_topic_partition_list_destroy(parts);
            return 0;
        }
        nanosleep(&ts, NULL);
    }
    printf("bench: timed out with %llu of %llu records\n", total, want);
    rd_kafka_topic_partition_list_destroy(parts);
    return 1;
}

int main(int argc, char **argv)
{
    const char *brokers = NULL, *out = NULL, *quar = NULL, *group = NULL;
    int allow_stray = 0;
    int read_committed = 0, allow_dups = 0, check_order = 0, timeout = 60, c, i, p;
    unsigned long long wait_for = 0, id;
    check_t chk;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *parts;
    char errstr[512];
    int nparts[2] = { 0, 0 }, neof = 0, total_parts;
    char *eof;
    double t0;
    int failed;

    memset(&chk, 0, sizeof(chk));
    chk.size = 200;
    while ((c = getopt(argc, argv, "b:o:q:n:f:s:S:Q:rdOT:W:C:R")) != -1) {
        switch (c) {
        case 'b': brokers = optarg; break;
        case 'o': out = optarg; break;
        case 'q': quar = optarg; break;
        case 'n': chk.count = strtoull(optarg, NULL, 10); break;
        case 'f': chk.first = strtoull(optarg, NULL, 10); break;
        case 's': chk.size = strtoul(optarg, NULL, 10); break;
        case 'S': chk.secret_every = atoi(optarg); break;
        case 'Q': chk.quarantine_every = atoi(optarg); break;
        case 'r': read_committed = 1; break;
        case 'd': allow_dups = 1; break;
        case 'O': check_order = 1; break;
        case 'T': timeout = atoi(optarg); break;
        case 'W': wait_for = strtoull(optarg, NULL, 10); break;
        case 'C': group = optarg; break;
        case 'R': allow_stray = 1; break;
        default: return 2;
        }
    }
    if (brokers && out && group) {
        return check_committed(brokers, out, group);
    }
    if (!brokers || !out || (!wait_for && !chk.count)) {
        fprintf(stderr, "usage: see the comment at the top of kcheck.c\n");
        return 2;
    }
    conf = rd_kafka_conf_new();
    if (krd_set(conf, "bootstrap.servers", brokers) || krd_set(conf, "group.id", "kcheck") ||
        krd_set(conf, "enable.partition.eof", "true") || krd_set(conf, "enable.auto.commit", "false") ||
        krd_set(conf, "isolation.level", read_committed ? "read_committed" : "read_uncommitted")) {
        return 2;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "kcheck: %s\n", errstr);
        return 2;
    }
    if (wait_for) {
        int rc = wait_count(rk, out, wait_for, timeout);

        rd_kafka_destroy(rk);
        return rc;
    }
    chk.seen = calloc(chk.count, sizeof(*chk.seen));
    if (check_order) {
        chk.last_id = malloc(MAX_PARTS * 97 * sizeof(*chk.last_id));
        for (i = 0; i < MAX_PARTS * 97; i++) {
            chk.last_id[i] = -1;
        }
    }
    parts = rd_kafka_topic_partition_list_new(8);
    for (i = 0; i < (quar ? 2 : 1); i++) {
        const char *t = i ? quar : out;

        nparts[i] = krd_partition_count(rk, t);
        if (nparts[i] <= 0 || nparts[i] > MAX_PARTS) {
            fprintf(stderr, "kcheck: no metadata for topic %s\n", t);
            return 2;
        }
        for (p = 0; p < nparts[i]; p++) {
            rd_kafka_topic_partition_list_add(parts, t, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        }
    }
    total_parts = nparts[0] + nparts[1];
    eof = calloc((size_t)total_parts, 1);
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);

    t0 = now_s();
    while (now_s() - t0 < timeout) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        int q, idx;

        if (!m) {
            continue;
        }
        q = quar && strcmp(rd_kafka_topic_name(m->rkt), quar) == 0;
        idx = (q ? nparts[0] : 0) + m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!eof[idx]) {
                eof[idx] = 1;
                neof++;
            }
        }
        else if (m->err) {
            fprintf(stderr, "kcheck: %s\n", rd_kafka_message_errstr(m));
        }
        else {
            if (eof[idx]) {
                eof[idx] = 0;
                neof--;
            }
            check_message(&chk, m, q);
        }
        rd_kafka_message_destroy(m);
        if (neof == total_parts && chk.unique == chk.count) {
            break;
        }
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    for (id = 0; id < chk.count; id++) {
        if (!chk.seen[id]) {
            chk.missing++;
        }
    }
    failed = chk.missing || chk.leaked || chk.marker || chk.badkey || chk.badhdr || chk.badts ||
             chk.norules || chk.badquar || (!allow_stray && chk.strayquar) || chk.order || chk.garbage ||
             (!allow_dups && chk.dups);
    printf("kcheck: consumed=%llu unique=%llu missing=%llu duplicates=%llu leaked=%llu "
           "marker=%llu badkey=%llu badheader=%llu badts=%llu norulesheader=%llu "
           "badquarantine=%llu strayquarantine=%llu order=%llu garbage=%llu\n",
           chk.consumed, chk.unique, chk.missing, chk.dups, chk.leaked, chk.marker, chk.badkey,
           chk.badhdr, chk.badts, chk.norules, chk.badquar, chk.strayquar, chk.order,
           chk.garbage);
    free(chk.seen);
    free(chk.last_id);
    free(eof);
    return failed ? 1 : 0;
}
