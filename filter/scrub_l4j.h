/* scrub_l4j: bounded Log4Shell (CVE-2021-44228/45046) lookup detector with raw-byte spans. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_L4J_H
#define SCRUB_L4J_H

#include "scrub_decode.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes transport escapes (percent, %u, \u, \x, octal, HTML entities,
 * doubled JSON escapes), then evaluates ${...} with log4j 2.14.1 lookup
 * semantics, and reports every jndi lookup whose evaluated key carries a URL
 * scheme other than java:. See log4shell-techniques.md §5 and the policy
 * block at the top of scrub_l4j.c.
 *
 * Threads: a scrub_l4j_t is scratch space for one thread at a time; the
 * functions without one (maybe, keywords) are thread-safe.
 */

typedef struct scrub_l4j_opts {
    size_t budget;      /* work units per input (0 = default, 64 * n + 4096) */
    unsigned max_depth; /* nested ${ depth (0 = default 32; clamped to 1024) */
    int paranoid;       /* 1: any nested ${ inside ${...} is a hit */
} scrub_l4j_opts_t;

typedef struct scrub_l4j_hit {
    size_t start, end;   /* byte span in the ORIGINAL input covering the whole outermost
                            lookup expression that produced the hit (including any encoded form) */
    int paranoid_only;   /* 1 when flagged only because of paranoid mode */
} scrub_l4j_hit_t;

typedef struct scrub_l4j scrub_l4j_t;   /* opaque per-thread scratch, reusable */

/*
 * Create a detector. opts is copied (may be NULL for the defaults). The
 * caller owns the result and releases it with scrub_l4j_destroy.
 * Returns NULL on ENOMEM.
 */
scrub_l4j_t *scrub_l4j_new(const scrub_l4j_opts_t *opts);

/* Release a detector and its scratch. Accepts NULL. */
void scrub_l4j_destroy(scrub_l4j_t *l);

/*
 * Scan one record in[0..n) (borrowed; NUL bytes are legal; never read past
 * in[n-1]). Writes up to max_hits hits, sorted by start and non-overlapping
 * (overlapping spans are merged; a merged span is paranoid_only only when all
 * its parts were), into the caller's array.
 *
 * Returns the number of hits written (<= max_hits; more hits than max_hits
 * still return max_hits), 0 for none, SCRUB_EBUDGET when the work budget or
 * the depth limit was exceeded (the caller must fail closed; no hits are
 * reported then), SCRUB_ENOMEM, or SCRUB_EINVAL for a NULL l, a NULL in with
 * n > 0, or NULL hits with max_hits > 0. Inputs of 2^32 - 1 bytes or more
 * return SCRUB_EBUDGET. Note: with max_hits == 0 the result is 0 even for a
 * hit; callers that need a verdict pass at least one slot.
 *
 * Reuses the scratch in l; allocates only when a record is larger than any
 * before it (or on an unusually large number of hits).
 */
int scrub_l4j_scan(scrub_l4j_t *l, const uint8_t *in, size_t n, scrub_l4j_hit_t *hits,
                   size_t max_hits);

/*
 * The transport decoding of the text the last successful scrub_l4j_scan read,
 * done before its first evaluation (scrub_decode_first, then
 * scrub_decode_round until nothing changes, at most 6 rounds), when no
 * lookup had to be evaluated so it is still held: returns the number of
 * rounds that changed the text (0: nothing decodes; *out is then NULL) and
 * sets *out to the result (valid until the next scan), or returns -1 when it
 * is not held. The spans point into that text. Which text it was is the
 * caller's to know.
 */
int scrub_l4j_decoded(const scrub_l4j_t *l, const scrub_dmap_t **out);

/*
 * Cheap prefilter: 1 if in[0..n) contains one of scrub_l4j_keywords()
 * (ASCII case-insensitive), 0 otherwise. It is sound: when it returns 0,
 * scrub_l4j_scan finds no hit and no budget failure is possible from a
 * lookup. The keywords are the raw roots from which a decoded "${" can come:
 * a literal '$' followed by '{' or an escape introducer, or an escape (at any
 * layer) that decodes to '$' or to another introducer ('%', '\', '&').
 */
int scrub_l4j_maybe(const uint8_t *in, size_t n);

/*
 * The literal keywords (lower-case, matched ASCII case-insensitively) that
 * scrub_l4j_maybe uses, for the engine's Aho-Corasick prefilter: a record is
 * selected by a keyword exactly when scrub_l4j_maybe returns 1.
 * NULL-terminated static array; never NULL.
 */
const char *const *scrub_l4j_keywords(void);

#endif
