/* scrub_examples: check every rule's match / no_match examples against the whole rule set. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_ruleset_int.h"

#include <stdio.h>
#include <string.h>

/* 1 when scanning text yields a finding of rule idx; -1 when the scan failed closed. */
static int finds(scrub_worker_t *w, size_t idx, const char *text)
{
    scrub_result_t res;
    size_t i;

    scrub_worker_scan(w, (const uint8_t *)text, strlen(text), &res);
    if (res.failure != SCRUB_FAIL_NONE) {
        return -1;
    }
    for (i = 0; i < res.nfindings; i++) {
        if (res.findings[i].rule == idx) {
            return 1;
        }
    }
    return 0;
}

/* 1 when one of r's keywords starts at text[at] (ASCII case-insensitively). */
static int keyword_at(const scrub_rule_t *r, const char *text, size_t n, size_t at)
{
    size_t k, j;

    for (k = 0; k < r->nkeywords; k++) {
        const char *kw = r->keywords[k];
        for (j = 0; kw[j] != '\0' && at + j < n; j++) {
            char c = text[at + j];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != kw[j]) {
                break;
            }
        }
        if (kw[j] == '\0') {
            return 1;
        }
    }
    return 0;
}

/*
 * A rule with a lead (scrub_lead.h) is only tried up to that far before its
 * keywords (and its lag after them): check that every match of its regex in
 * text has a keyword starting that close to its start. Returns the start of a
 * match that does not, or -1.
 */
static long lead_breach(const scrub_rule_t *r, const char *text)
{
    pcre2_match_data *md;
    size_t n = strlen(text), off = 0;
    long bad = -1;

    if (r->lead < 0 || r->re == NULL ||
        (md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL) {
        return -1;
    }
    while (bad < 0 && off <= n && pcre2_match(r->re, (PCRE2_SPTR)text, n, off, 0, md, NULL) >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t d, ok = 0;
        for (d = 0; d <= (size_t)(r->lead + r->lag) && !ok; d++) {
            ok = ov[0] + d >= (size_t)r->lag && keyword_at(r, text, n, ov[0] + d - r->lag);
        }
        bad = ok ? -1 : (long)ov[0];
        off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        while (off < n && ((unsigned char)text[off] & 0xc0) == 0x80) {
            off++;
        }
    }
    pcre2_match_data_free(md);
    return bad;
}

int scrub_ruleset_test_examples(const scrub_ruleset_t *rs,
                                void (*report)(void *ctx, const char *line), void *ctx,
                                size_t *nchecked)
{
    scrub_worker_t *w = scrub_worker_new((scrub_ruleset_t *)rs);
    char line[1024];
    size_t i, k;
    int failures = 0;

    *nchecked = 0;
    if (w == NULL) {
        return SCRUB_ENOMEM;
    }
    for (i = 0; i < rs->ntext; i++) {
        const scrub_rule_spec_t *sp = rs->rules[i].spec;
        for (k = 0; k < sp->ex_match.n; k++) {
            int r = finds(w, i, sp->ex_match.v[k].s);
            long at = lead_breach(&rs->rules[i], sp->ex_match.v[k].s);
            (*nchecked)++;
            if (r != 1) {
                snprintf(line, sizeof(line), "%s: rule '%s': match example %zu %s: %s",
                         sp->ex_match.v[k].where, sp->id, k + 1,
                         r < 0 ? "failed closed" : "was not found", sp->ex_match.v[k].s);
                report(ctx, line);
                failures++;
            }
            if (at >= 0) {
                snprintf(line, sizeof(line), "%s: rule '%s': match example %zu: the match at "
                         "offset %ld has no keyword from %ld bytes before it to %ld after (a "
                         "bug in scrub_lead)", sp->ex_match.v[k].where, sp->id, k + 1, at,
                         rs->rules[i].lag, rs->rules[i].lead);
                report(ctx, line);
                failures++;
            }
        }
        for (k = 0; k < sp->ex_nomatch.n; k++) {
            int r = finds(w, i, sp->ex_nomatch.v[k].s);
            (*nchecked)++;
            if (r != 0) {
                snprintf(line, sizeof(line), "%s: rule '%s': no_match example %zu %s: %s",
                         sp->ex_nomatch.v[k].where, sp->id, k + 1,
                         r < 0 ? "failed closed" : "was found", sp->ex_nomatch.v[k].s);
                report(ctx, line);
                failures++;
            }
        }
    }
    scrub_worker_destroy(w);
    return failures;
}
