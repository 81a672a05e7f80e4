/* scrub_stats: record and finding counters, per rule, and their JSON summary. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "scrub_buf.h"

#include <stdlib.h>
#include <string.h>

struct scrub_stats {
    scrub_counts_t c;       /* totals */
    scrub_ruleset_t *rs;    /* referenced: the rule set per_rule is indexed by */
    size_t nrules;          /* length of per_rule */
    uint64_t *per_rule;     /* findings per rule index */
    uint64_t fail[8];       /* failed-closed records per scrub_failure_t */
    char **gone_id;         /* rules dropped by a hot reload: their ids (owned) */
    uint64_t *gone_n;       /* and their counts */
    size_t ngone;
};

/* Keep the count of a rule that a reload removed, so totals still add up. */
static int keep_gone(scrub_stats_t *st, const char *id, uint64_t n)
{
    size_t i, len = strlen(id);
    char **ni;
    uint64_t *nn;

    for (i = 0; i < st->ngone; i++) {
        if (strcmp(st->gone_id[i], id) == 0) {
            st->gone_n[i] += n;
            return 0;
        }
    }
    ni = realloc(st->gone_id, (st->ngone + 1) * sizeof(*ni));
    if (ni == NULL) {
        return SCRUB_ENOMEM;
    }
    st->gone_id = ni;
    nn = realloc(st->gone_n, (st->ngone + 1) * sizeof(*nn));
    if (nn == NULL) {
        return SCRUB_ENOMEM;
    }
    st->gone_n = nn;
    st->gone_id[st->ngone] = malloc(len + 1);
    if (st->gone_id[st->ngone] == NULL) {
        return SCRUB_ENOMEM;
    }
    memcpy(st->gone_id[st->ngone], id, len + 1);
    st->gone_n[st->ngone++] = n;
    return 0;
}

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
    /* Counters outlive hot reloads: they keep their own rule set for the ids. */
    st->rs = scrub_ruleset_ref((scrub_ruleset_t *)rs);
    return st;
}

void scrub_stats_clear(scrub_stats_t *st)
{
    memset(&st->c, 0, sizeof(st->c));
    memset(st->per_rule, 0, st->nrules * sizeof(*st->per_rule));
    memset(st->fail, 0, sizeof(st->fail));
    while (st->ngone > 0) {
        free(st->gone_id[--st->ngone]);
    }
}

/* Index of rule `id` in st's rule set, or -1. */
static long find_rule(const scrub_stats_t *st, const char *id)
{
    size_t i;

    for (i = 0; i < st->nrules; i++) {
        if (strcmp(scrub_ruleset_rule_id(st->rs, i), id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

int scrub_stats_rebind(scrub_stats_t *st, const scrub_ruleset_t *rs)
{
    size_t n = scrub_ruleset_count(rs), i;
    uint64_t *pr;

    if (rs == st->rs) {
        return 0;
    }
    pr = calloc(n + 1, sizeof(*pr));
    if (pr == NULL) {
        return SCRUB_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        long k = find_rule(st, scrub_ruleset_rule_id(rs, i));
        pr[i] = k >= 0 ? st->per_rule[k] : 0;
    }
    for (i = 0; i < st->nrules; i++) {
        const char *id = scrub_ruleset_rule_id(st->rs, i);
        size_t k;
        for (k = 0; k < n && strcmp(scrub_ruleset_rule_id(rs, k), id) != 0; k++) {
        }
        if (k == n && st->per_rule[i] > 0 && keep_gone(st, id, st->per_rule[i]) != 0) {
            free(pr);
            return SCRUB_ENOMEM;
        }
    }
    free(st->per_rule);
    st->per_rule = pr;
    st->nrules = n;
    scrub_ruleset_unref(st->rs);
    st->rs = scrub_ruleset_ref((scrub_ruleset_t *)rs);
    return 0;
}

void scrub_stats_destroy(scrub_stats_t *st)
{
    if (st == NULL) {
        return;
    }
    scrub_ruleset_unref(st->rs);
    free(st->per_rule);
    while (st->ngone > 0) {
        free(st->gone_id[--st->ngone]);
    }
    free(st->gone_id);
    free(st->gone_n);
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
    for (i = 0; i < src->nrules; i++) {
        if (src->per_rule[i] == 0) {
            continue;
        }
        if (src->rs == dst->rs) {
            dst->per_rule[i] += src->per_rule[i];
        }
        else {
            /* counted under another rule set (hot reload): match by id */
            long k = find_rule(dst, scrub_ruleset_rule_id(src->rs, i));
            if (k >= 0) {
                dst->per_rule[k] += src->per_rule[i];
            }
            else {
                (void)keep_gone(dst, scrub_ruleset_rule_id(src->rs, i), src->per_rule[i]);
            }
        }
    }
    for (i = 0; i < 8; i++) {
        dst->fail[i] += src->fail[i];
    }
    for (i = 0; i < src->ngone; i++) {
        (void)keep_gone(dst, src->gone_id[i], src->gone_n[i]);
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

char *scrub_stats_json(const scrub_stats_t *st, const scrub_ruleset_t *rs_unused)
{
    const scrub_ruleset_t *rs = st->rs;
    scrub_buf_t b;
    size_t i;
    int first = 1;
    int rc;

    (void)rs_unused;
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
    for (i = 0; rc == 0 && i < st->ngone; i++) {
        rc = scrub_buf_printf(&b, "%s\"%s\":%llu", first ? "" : ",", st->gone_id[i],
                              (unsigned long long)st->gone_n[i]);
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
