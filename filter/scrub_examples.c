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
            (*nchecked)++;
            if (r != 1) {
                snprintf(line, sizeof(line), "%s: rule '%s': match example %zu %s: %s",
                         sp->ex_match.v[k].where, sp->id, k + 1,
                         r < 0 ? "failed closed" : "was not found", sp->ex_match.v[k].s);
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
