/* Unit tests for scrub_bytes: the SIMD byte-set search against a plain loop. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_bytes.h"
#include "ut.h"
#include <stdlib.h>
#include <string.h>

/* A byte for round `round`: even rounds draw from multiples of 16, odd rounds
 * from the 16 bytes made of the nibbles 2, 5, 7 and c, so that non-members
 * share their low nibble with one member and their high nibble with another
 * (the AVX2 search looks the two nibbles up separately). */
static uint8_t pick_byte(unsigned *seed, int round)
{
    static const uint8_t nib[4] = {0x2, 0x5, 0x7, 0xc};

    if (round % 2 == 0) {
        return (uint8_t)(rand_r(seed) % 16 * 16);
    }
    return (uint8_t)(nib[rand_r(seed) % 4] << 4 | nib[rand_r(seed) % 4]);
}

/* Every search this CPU runs (plain, AVX2, AVX-512BW); every length around the
 * 32- and 64-byte steps, every start, small and large caps. */
UT_TEST(bytes_find_matches_plain_loop)
{
    unsigned seed = 7;
    uint8_t text[200];
    size_t out[300], i, n, from, cap;
    int round;

    scrub_bytes_fn fn[3];
    size_t nfn = scrub_bytes_finders(fn, 3);

    UT_CHECK(nfn >= 1);
    for (round = 0; round < 40 * (int)nfn; round++) {
        scrub_byteset_t bs;
        size_t nset = 1 + (size_t)(rand_r(&seed) % SCRUB_BYTES_MAX);
        scrub_bytes_init(&bs);
        UT_CHECK(round > 0 || bs.find == fn[nfn - 1]); /* init picks the fastest */
        bs.find = fn[(size_t)round % nfn];              /* each search in turn */
        for (i = 0; i < nset; i++) {
            UT_CHECK(scrub_bytes_add(&bs, pick_byte(&seed, round)) == 0);
        }
        for (i = 0; i < sizeof(text); i++) {
            text[i] = (uint8_t)(rand_r(&seed) % 2 ? pick_byte(&seed, round) : rand_r(&seed));
        }
        for (n = 0; n <= sizeof(text); n += 1 + (size_t)(rand_r(&seed) % 9)) {
            for (from = 0; from <= n; from += 1 + (size_t)(rand_r(&seed) % 13)) {
                for (cap = 1; cap <= 300; cap = cap * 3 + 1) {
                    /* the search ends at n; the buffer may go on (up to 200 bytes) */
                    size_t got = scrub_bytes_find(&bs, text, from, n, n + (size_t)(rand_r(&seed) %
                                                  (sizeof(text) - n + 1)), out, cap), k = 0;
                    for (i = from; i < n && k < cap; i++) {
                        if (bs.member[text[i]]) {
                            UT_CHECK(k < got && out[k] == i);
                            k++;
                        }
                    }
                    UT_CHECK_INT(got, k);
                }
            }
        }
    }
}

/* A full set refuses a new byte; a member added again is fine. */
UT_TEST(bytes_set_is_bounded)
{
    scrub_byteset_t bs;
    int i;

    scrub_bytes_init(&bs);
    for (i = 0; i < SCRUB_BYTES_MAX; i++) {
        UT_CHECK(scrub_bytes_add(&bs, (uint8_t)('a' + i)) == 0);
    }
    UT_CHECK(scrub_bytes_add(&bs, 'a') == 0);
    UT_CHECK(scrub_bytes_add(&bs, 'z') == -1);
    UT_CHECK(bs.member['z'] == 0);
    UT_CHECK_INT(bs.n, SCRUB_BYTES_MAX);
}

/* Every newline counter this CPU runs (SWAR, AVX2, AVX-512BW) against a plain
 * loop: every length across the 8-, 32- and 64-byte steps and the masked
 * tail, every alignment, bytes that differ from '\n' in one bit. */
UT_TEST(bytes_newline_counters_match_plain_loop)
{
    static const uint8_t near[] = {'\n', '\n', 0x0b, 0x08, 0x8a, 0x1a, 0x4a, 0x00, 0xff, 'x'};
    scrub_count_fn fn[3];
    size_t nfn = scrub_bytes_newline_counters(fn, 3), f, i, n, off;
    unsigned seed = 11;
    uint8_t text[400];

    UT_CHECK(nfn >= 1);
    UT_CHECK(scrub_bytes_newline_counter() == fn[nfn - 1]);
    for (i = 0; i < sizeof(text); i++) {
        text[i] = near[rand_r(&seed) % sizeof(near)];
    }
    for (off = 0; off < 70; off += 1 + (size_t)(rand_r(&seed) % 5)) {
        for (n = 0; off + n <= sizeof(text); n += 1 + (size_t)(rand_r(&seed) % 7)) {
            uint64_t want = 0;
            for (i = 0; i < n; i++) {
                want += text[off + i] == '\n';
            }
            for (f = 0; f < nfn; f++) {
                UT_CHECK_INT(fn[f](text + off, n), want);
            }
        }
    }
}
