/* scrub_stats: record and finding counters, per rule, and their JSON summary. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "scrub_buf.h"

#include <stdlib.h>
#include <string.h>

struct scrub_stats {
    scrub_counts_t c;       /* totals */
    size_t nrules;          /* length of per_rule */
    uint64_t *per_rule;     /* findings per rule index */
    uint64_t fail[8];       /* failed-closed records per scrub_failure_t */
};

scrub_stats_t *scrub_stats_new(const scrub_ruleset_t *rs)
{
    scrub_stats_t *st = calloc(1, sizeof(*st));

    if (st == NULL) {
        return NULL;
    }
    st->nrules = scrub_ruleset_count(rs);
    st->per_rule = calloc(st->nrules + 1, sizeof(*st->per_rule));
    if (st->per_rule == NULL) {
        free(st);
        return NULL;
    }
    return st;
}

void scrub_stats_destroy(scrub_stats_t *st)
{
    if (st == NULL) {
        return;
    }
    free(st->per_rule);
    free(st);
}

void scrub_stats_merge(scrub_stats_t *dst, const scrub_stats_t *src)
{
    size_t i;
    uint64_t *d = (uint64_t *)&dst->c;
    const uint64_t *s = (const uint64_t *)&src->c;

    for (i = 0; i < sizeof(dst->c) / sizeof(uint64_t); i++) {
        d[i] += s[i];
    }
    for (i = 0; i < dst->nrules && i < src->nrules; i++) {
        dst->per_rule[i] += src->per_rule[i];
    }
    for (i = 0; i < 8; i++) {
        dst->fail[i] += src->fail[i];
    }
}

const scrub_counts_t *scrub_stats_counts(const scrub_stats_t *st)
{
    return &st->c;
}

uint64_t scrub_stats_rule_findings(const scrub_stats_t *st, size_t rule)
{
    return rule < st->nrules ? st->per_rule[rule] : 0;
}

void scrub_stats_add(scrub_stats_t *st, const scrub_result_t *res, size_t in_len)
{
    size_t i;

    st->c.records_in++;
    st->c.bytes_in += in_len;
    switch (res->verdict) {
    case SCRUB_V_CLEAN:
        st->c.clean++;
        st->c.bytes_out += in_len;
        break;
    case SCRUB_V_TAGGED:
        st->c.clean++;
        st->c.tagged++;
        st->c.bytes_out += in_len;
        break;
    case SCRUB_V_REDACTED:
        /* in_len may exceed the scanned bytes by a line terminator the caller kept */
        st->c.clean++;
        st->c.redacted++;
        st->c.bytes_out += res->out_len + (in_len > res->in_len ? in_len - res->in_len : 0);
        break;
    case SCRUB_V_QUARANTINED:
        st->c.quarantined++;
        break;
    case SCRUB_V_DROPPED:
        st->c.dropped++;
        break;
    }
    st->c.format_fallback += res->fallback != 0;
    if (res->failure != SCRUB_FAIL_NONE) {
        st->c.failed_closed++;
        st->fail[(unsigned)res->failure & 7]++;
        return; /* findings of a record that failed closed are not counted */
    }
    st->c.findings += res->nfindings;
    for (i = 0; i < res->nfindings; i++) {
        if (res->findings[i].rule < st->nrules) {
            st->per_rule[res->findings[i].rule]++;
        }
    }
}

/* Clean records passed through in bulk by the stream: count without a result. */
void scrub_stats_add_clean(scrub_stats_t *st, uint64_t records, uint64_t bytes)
{
    st->c.records_in += records;
    st->c.clean += records;
    st->c.bytes_in += bytes;
    st->c.bytes_out += bytes;
}

char *scrub_stats_json(const scrub_stats_t *st, const scrub_ruleset_t *rs)
{
    scrub_buf_t b;
    size_t i;
    int first = 1;
    int rc;

    scrub_buf_init(&b, 0);
    rc = scrub_buf_printf(&b,
                          "{\"records_in\":%llu,\"clean\":%llu,\"redacted\":%llu,"
                          "\"tagged\":%llu,\"quarantined\":%llu,\"dropped\":%llu,"
                          "\"failed_closed\":%llu,\"findings\":%llu,\"format_fallback\":%llu,"
                          "\"bytes_in\":%llu,\"bytes_out\":%llu,\"failures\":{",
                          (unsigned long long)st->c.records_in, (unsigned long long)st->c.clean,
                          (unsigned long long)st->c.redacted, (unsigned long long)st->c.tagged,
                          (unsigned long long)st->c.quarantined,
                          (unsigned long long)st->c.dropped,
                          (unsigned long long)st->c.failed_closed,
                          (unsigned long long)st->c.findings,
                          (unsigned long long)st->c.format_fallback,
                          (unsigned long long)st->c.bytes_in,
                          (unsigned long long)st->c.bytes_out);
    for (i = 1; rc == 0 && i < 7; i++) {
        if (st->fail[i] == 0) {
            continue;
        }
        rc = scrub_buf_printf(&b, "%s\"%s\":%llu", first ? "" : ",",
                              scrub_failure_name((scrub_failure_t)i),
                              (unsigned long long)st->fail[i]);
        first = 0;
    }
    if (rc == 0) {
        rc = scrub_buf_puts(&b, "},\"rules\":{");
    }
    first = 1;
    for (i = 0; rc == 0 && i < st->nrules; i++) {
        if (st->per_rule[i] == 0) {
            continue;
        }
        /* Rule ids come from the config and are plain identifiers. */
        rc = scrub_buf_printf(&b, "%s\"%s\":%llu", first ? "" : ",",
                              scrub_ruleset_rule_id(rs, i),
                              (unsigned long long)st->per_rule[i]);
        first = 0;
    }
    if (rc == 0) {
        rc = scrub_buf_append(&b, "}}", 3);
    }
    if (rc != 0) {
        scrub_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}
