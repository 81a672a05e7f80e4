/* scrub_rewrite: findings -> output bytes (redact, mask, hash, defang). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_REWRITE_H
#define SCRUB_REWRITE_H

#include "scrub_ruleset_int.h"
#include "scrub_buf.h"

/*
 * Append rec with every rewriting finding applied to out. f is sorted by
 * start (then longest first); overlapping spans merge and the strongest
 * action among them decides the replacement. Tag findings leave bytes alone.
 * Returns 0 or a scrub_buf error (out is then partial and must be discarded).
 */
int scrub_rewrite_raw(const scrub_ruleset_t *rs, const scrub_finding_t *f, size_t nf,
                      const uint8_t *rec, size_t len, scrub_buf_t *out);

/* Append the replacement of one span (rule r's action) to out. */
int scrub_rewrite_span(const scrub_ruleset_t *rs, const scrub_rule_t *r, const uint8_t *s,
                       size_t n, scrub_buf_t *out);

#endif
