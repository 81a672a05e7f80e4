/* scrub_decode: one round of transport-escape decoding, with a map back to the raw bytes. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_DECODE_H
#define SCRUB_DECODE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A byte string plus, for every byte, the half-open span [lo, hi) of the
 * ORIGINAL input bytes that produced it. Decoding composes the maps, so after
 * any number of rounds lo/hi still point into the raw record. The struct owns
 * its three arrays. Invariant: len <= cap; all arrays hold cap entries.
 */
typedef struct scrub_dmap {
    uint8_t *b;     /* bytes */
    uint32_t *lo;   /* per byte: first raw byte that produced it */
    uint32_t *hi;   /* per byte: one past the last raw byte that produced it */
    size_t len;     /* bytes in use */
    size_t cap;     /* entries allocated in each array */
} scrub_dmap_t;

/* Initialise an empty map. Never fails. */
void scrub_dmap_init(scrub_dmap_t *m);

/* Release the storage; the map is empty and reusable. Accepts NULL. */
void scrub_dmap_free(scrub_dmap_t *m);

/* Make room for at least `cap` entries (contents kept). Returns 0 or
 * SCRUB_ENOMEM; on failure the map is unchanged. */
int scrub_dmap_reserve(scrub_dmap_t *m, size_t cap);

/* Append one byte with its raw span; grows as needed. Returns 0 or SCRUB_ENOMEM. */
static inline int scrub_dmap_put(scrub_dmap_t *m, uint8_t c, uint32_t lo, uint32_t hi)
{
    int rc;

    if (m->len == m->cap) {
        rc = scrub_dmap_reserve(m, m->len + 1);
        if (rc != 0) {
            return rc;
        }
    }
    m->b[m->len] = c;
    m->lo[m->len] = lo;
    m->hi[m->len] = hi;
    m->len++;
    return 0;
}

/* Append src[from..from+n) (bytes and spans); grows as needed. Returns 0 or
 * SCRUB_ENOMEM. src and m must differ. */
int scrub_dmap_copy(scrub_dmap_t *m, const scrub_dmap_t *src, size_t from, size_t n);

/* Replace the contents with in[0..n) and the identity map (byte i -> [i, i+1)).
 * n must be below UINT32_MAX. Returns 0 or SCRUB_ENOMEM. */
int scrub_dmap_load(scrub_dmap_t *m, const uint8_t *in, size_t n);

/*
 * One left-to-right decoding round from `in` into `out` (in and out must
 * differ; out is overwritten, and its contents are unspecified when
 * *changed is 0: the text is then `in` unchanged). Decodes, in the same pass: %XX, %uXXXX, \u+XXXX
 * (surrogate pairs joined, lone surrogates -> U+FFFD), \u{1-6 hex}, \xHH,
 * octal \[0-3][0-7][0-7] and \[0-7][0-7], \\ \" \/ \' \n \t \r, numeric HTML
 * entities (any leading zeros, optional ';', out of range -> U+FFFD) and a
 * small case-insensitive named-entity table (longest match, optional ';').
 * Other \X sequences are left alone on purpose (a grep for \$\{jndi: must not
 * turn into a lookup). Every rewrite shrinks, so out->len <= in->len, and
 * out->len < in->len whenever *changed is set to 1. Never reads past
 * in->b[in->len - 1]. Returns 0 or SCRUB_ENOMEM.
 */
int scrub_decode_round(const scrub_dmap_t *in, scrub_dmap_t *out, int *changed);

/* The same round over the raw bytes in[0, n) with the identity map, without
 * loading them into a map first (scrub_dmap_load + scrub_decode_round, but
 * nothing is copied when nothing decodes). n must be below UINT32_MAX. */
int scrub_decode_first(const uint8_t *in, size_t n, scrub_dmap_t *out, int *changed);

/* Append the UTF-8 form of cp (surrogates and values above U+10FFFF become
 * U+FFFD) to u, which must hold 4 bytes. Returns the byte count (1-4). */
size_t scrub_decode_utf8(uint8_t *u, uint32_t cp);

#endif
