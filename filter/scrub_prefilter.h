/* scrub_prefilter: case-insensitive keyword automaton (Aho-Corasick DFA) over whole buffers. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_PREFILTER_H
#define SCRUB_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct scrub_prefilter scrub_prefilter_t;

/* Per-thread scratch for scanning (Vectorscan needs one per thread). */
typedef struct scrub_pf_scratch scrub_pf_scratch_t;

#define SCRUB_PF_AUTO 0  /* Vectorscan's literal matcher when built in, else the DFA */
#define SCRUB_PF_DFA 1   /* always the hand-written automaton */

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

/* Choose the engine before build (default SCRUB_PF_AUTO). */
void scrub_prefilter_set_engine(scrub_prefilter_t *pf, int engine);

/* "vectorscan" or "dfa": the engine in use after build. */
const char *scrub_prefilter_engine_name(const scrub_prefilter_t *pf);

/* Scratch for one thread; NULL on ENOMEM. Destroy accepts NULL. */
scrub_pf_scratch_t *scrub_prefilter_scratch_new(const scrub_prefilter_t *pf);
void scrub_prefilter_scratch_destroy(scrub_pf_scratch_t *sc);

/*
 * Compile: Vectorscan's literal database when built with it and the engine is
 * SCRUB_PF_AUTO, else (or when that fails) the DFA, which alone is then built.
 * Returns 0, SCRUB_ENOMEM or SCRUB_ETOOBIG (too many DFA states).
 */
int scrub_prefilter_build(scrub_prefilter_t *pf);

/*
 * Position of the first byte in p[from, n) at which some keyword ends, or n
 * when none does. Keywords never span a newline, so the caller can start
 * from any line start. Thread-safe after build with one scratch per thread.
 * sc may be NULL only with the DFA engine; with Vectorscan, a NULL scratch
 * (or a scan error) gets the conservative answer: `from` here, (size_t)-1
 * from scrub_prefilter_lines, every rule with a keyword from _collect.
 */
size_t scrub_prefilter_find(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                            size_t from, size_t n);

/* Where the keywords of one rule start in a line, as offsets from the line
 * start: the first SCRUB_KW_AT starts in the order found (n counts them
 * all), and the smallest and the largest. */
#define SCRUB_KW_AT 3
typedef struct scrub_kwpos {
    uint32_t rule;
    uint32_t n;
    uint32_t at[SCRUB_KW_AT];
    uint32_t first;
    uint32_t last;
} scrub_kwpos_t;

#define SCRUB_SPAN_POS 6            /* rules whose keyword places a span keeps */
#define SCRUB_POS_UNKNOWN UINT32_MAX

/* A line [start, end) of a buffer; end includes the newline when there is one.
 * bits: the rules whose keywords occur in the line (nwords words, owned by the
 * caller's array), or NULL when the caller did not ask for them. pos[0, npos):
 * where the keywords of those rules start, one entry per rule holding every
 * start, for the first SCRUB_SPAN_POS rules found (the others have no entry),
 * when bits is set and the engine reports places; npos is SCRUB_POS_UNKNOWN
 * otherwise. */
typedef struct scrub_span {
    size_t start;
    size_t end;
    uint64_t *bits;
    scrub_kwpos_t pos[SCRUB_SPAN_POS];
    uint32_t npos;
} scrub_span_t;

/*
 * Append to spans[] (capacity cap) the lines of p[0, n) that contain a
 * keyword, in order, each once. Lines end at '\n'. One pass over the whole
 * buffer. When bits is not NULL (cap * nwords words), span i gets
 * bits + i * nwords, filled with the rules selected by the line's keywords
 * (OR-ed into whatever the caller preset there, see `init`), so the scan
 * needs no second prefilter pass. init (nwords words, may be NULL) is copied
 * into each span's bits first. Returns the number of spans written; cap
 * when they filled spans[] (more lines may hit after spans[cap - 1].end: call
 * again from there), or (size_t)-1 when the engine cannot answer (the caller
 * then falls back to scrub_prefilter_find).
 */
size_t scrub_prefilter_lines(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                             size_t n, scrub_span_t *spans, size_t cap, uint64_t *bits,
                             size_t nwords, const uint64_t *init);

/*
 * Set bit r in bits (an array of ceil(nrules/64) words, not cleared here) for
 * every rule r with a keyword in p[0, n). Returns the number of keyword hits.
 */
size_t scrub_prefilter_collect(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc,
                               const uint8_t *p, size_t n, uint64_t *bits);

/*
 * scrub_prefilter_collect into sp->bits, and where the keywords of the rules
 * start (sp->pos, as scrub_prefilter_lines gives them for a span; sp->start
 * and sp->end are set to 0 and n).
 */
size_t scrub_prefilter_collect_at(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc,
                                  const uint8_t *p, size_t n, scrub_span_t *sp);

#endif
