/* scrub_scan: one record -> findings -> verdict; internal entry points for the stream. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_SCAN_H
#define SCRUB_SCAN_H

#include "scrub_ruleset_int.h"

/*
 * Scan rec with the worker. When collect is 1 the candidate rules are chosen
 * by running the prefilter over rec; when 0 the caller has already filled
 * the bitset returned by scrub_scan_candidates (the stream does, from its
 * whole-buffer prefilter pass). Never fails: problems fail closed in res.
 */
void scrub_scan_with(scrub_worker_t *w, const uint8_t *rec, size_t len, int collect,
                     scrub_result_t *res);

/* The worker's candidate bitset (rs->nwords words), for callers of scrub_scan_with. */
uint64_t *scrub_scan_candidates(scrub_worker_t *w);

/* The worker's prefilter scratch, for whole-buffer prefilter passes. */
scrub_pf_scratch_t *scrub_scan_pf_scratch(scrub_worker_t *w);

/* Mark res as failed closed (verdict per the config's failure_action). */
void scrub_scan_fail(scrub_worker_t *w, scrub_result_t *res, scrub_failure_t why, int rule,
                     const uint8_t *rec, size_t len);

#endif
