/* scrub_prefilter: case-insensitive keyword automaton (Aho-Corasick DFA) over whole buffers. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_PREFILTER_H
#define SCRUB_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct scrub_prefilter scrub_prefilter_t;

/* An empty automaton builder. NULL on ENOMEM. */
scrub_prefilter_t *scrub_prefilter_new(void);

/* Free; accepts NULL. */
void scrub_prefilter_destroy(scrub_prefilter_t *pf);

/*
 * Register keyword kw (ASCII letters are folded to lower case; it must not
 * contain '\n') as selecting rule `rule`. Only before scrub_prefilter_build.
 * Returns 0, SCRUB_EINVAL (empty, contains a newline) or SCRUB_ENOMEM.
 */
int scrub_prefilter_add(scrub_prefilter_t *pf, const char *kw, size_t len, uint32_t rule);

/* Compile the DFA. Returns 0, SCRUB_ENOMEM or SCRUB_ETOOBIG (too many states). */
int scrub_prefilter_build(scrub_prefilter_t *pf);

/*
 * Position of the first byte in p[from, n) at which some keyword ends, or n
 * when none does. Keywords never span a newline, so the caller can start
 * from any line start. Thread-safe after build.
 */
size_t scrub_prefilter_find(const scrub_prefilter_t *pf, const uint8_t *p, size_t from, size_t n);

/*
 * Set bit r in bits (an array of ceil(nrules/64) words, not cleared here) for
 * every rule r with a keyword in p[0, n). Returns the number of keyword hits.
 */
size_t scrub_prefilter_collect(const scrub_prefilter_t *pf, const uint8_t *p, size_t n,
                               uint64_t *bits);

#endif
