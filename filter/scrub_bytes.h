/* scrub_bytes: find the next byte of a small set (up to 8 values), count newlines; SIMD when the CPU has it. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_BYTES_H
#define SCRUB_BYTES_H

#include <stddef.h>
#include <stdint.h>

#define SCRUB_BYTES_MAX 8

typedef struct scrub_byteset scrub_byteset_t;
typedef size_t (*scrub_bytes_fn)(const scrub_byteset_t *bs, const uint8_t *p, size_t from,
                                 size_t limit, size_t n, size_t *out, size_t cap);

/* A set of byte values; plain data, owned by the caller. */
struct scrub_byteset {
    uint8_t v[SCRUB_BYTES_MAX]; /* the values, v[0, n) */
    size_t n;
    uint8_t member[256];        /* member[b] != 0 when b is in the set */
    uint8_t lo[16];             /* per low nibble: bit j set when v[j] has it */
    uint8_t hi[16];             /* per high nibble: likewise */
    scrub_bytes_fn find;        /* the search this CPU runs fastest */
};

/* Empty the set and pick the search for this CPU (call before threads share it). */
void scrub_bytes_init(scrub_byteset_t *bs);

/* Add b; returns 0, or -1 when the set is full (b is then not added). Adding a member
 * again is a no-op that returns 0. */
int scrub_bytes_add(scrub_byteset_t *bs, uint8_t b);

/*
 * Write to out[] (cap >= 1 entries) the positions of the set's bytes in
 * p[from, limit), in order, at most cap of them; returns how many. Fewer than
 * cap means there are no more; otherwise continue from out[cap - 1] + 1.
 * p[0, n) is readable (n >= limit): whole blocks past limit may be loaded.
 */
size_t scrub_bytes_find(const scrub_byteset_t *bs, const uint8_t *p, size_t from, size_t limit,
                        size_t n, size_t *out, size_t cap);

/* Every search this CPU runs (plain, AVX2, AVX-512BW), fastest last; scrub_bytes_init
 * picks the last. For tests, which set bs->find to each. Returns how many. */
size_t scrub_bytes_finders(scrub_bytes_fn *out, size_t cap);

/* Number of '\n' bytes in p[0, n). */
typedef uint64_t (*scrub_count_fn)(const uint8_t *p, size_t n);

/* The fastest newline counter this CPU runs (SWAR, AVX2 or AVX-512BW). */
scrub_count_fn scrub_bytes_newline_counter(void);

/* Every newline counter this CPU runs, fastest last (for tests); returns how many. */
size_t scrub_bytes_newline_counters(scrub_count_fn *out, size_t cap);

#endif
