/* scrub_scan: one record -> findings -> verdict; internal entry points for the stream. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_SCAN_H
#define SCRUB_SCAN_H

#include "scrub_ruleset_int.h"

/*
 * Scan rec with the worker. bits, when not NULL, are the candidate rules (and
 * view triggers) of rec already found by a whole-buffer prefilter pass (the
 * stream's); NULL runs the prefilter over rec. Never fails: problems fail
 * closed in res.
 */
void scrub_scan_with(scrub_worker_t *w, const uint8_t *rec, size_t len, const uint64_t *bits,
                     scrub_result_t *res);

/*
 * scrub_scan_with, told also where the keywords of the candidate rules start
 * in rec (pos[0, npos), one entry per rule, offsets from rec, as the stream's
 * prefilter pass found them): a rule whose matches start at most a known
 * distance before a keyword (scrub_lead.h) is then tried only around them.
 * Every keyword occurrence of a rule in bits must be within its entry's
 * first..last; a rule without an entry is tried everywhere.
 */
void scrub_scan_at(scrub_worker_t *w, const uint8_t *rec, size_t len, const uint64_t *bits,
                   const scrub_kwpos_t *pos, size_t npos, scrub_result_t *res);

/* The worker's candidate bitset (rs->nwords words), for callers of scrub_scan_with. */
uint64_t *scrub_scan_candidates(scrub_worker_t *w);

/* The worker's prefilter scratch, for whole-buffer prefilter passes. */
scrub_pf_scratch_t *scrub_scan_pf_scratch(scrub_worker_t *w);

/* Mark res as failed closed (verdict per the config's failure_action). */
void scrub_scan_fail(scrub_worker_t *w, scrub_result_t *res, scrub_failure_t why, int rule,
                     const uint8_t *rec, size_t len);

#endif
