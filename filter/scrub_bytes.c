/* scrub_bytes: find the next byte of a small set (up to 8 values), with AVX2 if the CPU has it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_bytes.h"

#include <string.h>

static scrub_bytes_fn pick(void);

void scrub_bytes_init(scrub_byteset_t *bs)
{
    memset(bs, 0, sizeof(*bs));
    bs->next = pick();
}

int scrub_bytes_add(scrub_byteset_t *bs, uint8_t b)
{
    if (bs->member[b]) {
        return 0;
    }
    if (bs->n == SCRUB_BYTES_MAX) {
        return -1;
    }
    bs->v[bs->n++] = b;
    bs->member[b] = 1;
    return 0;
}

static size_t next_plain(const scrub_byteset_t *bs, const uint8_t *p, size_t from, size_t n)
{
    size_t i;

    for (i = from; i < n && !bs->member[p[i]]; i++) {
    }
    return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* 32 bytes per step: one compare per set member, OR-ed, then the lowest set bit. */
__attribute__((target("avx2,bmi"))) static size_t next_avx2(const scrub_byteset_t *bs,
                                                          const uint8_t *p, size_t from, size_t n)
{
    __m256i want[SCRUB_BYTES_MAX];
    size_t i = from, k;

    if (bs->n == 0) {
        return n;
    }
    for (k = 0; k < bs->n; k++) {
        want[k] = _mm256_set1_epi8((char)bs->v[k]);
    }
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        __m256i hit = _mm256_cmpeq_epi8(x, want[0]);
        uint32_t m;
        for (k = 1; k < bs->n; k++) {
            hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(x, want[k]));
        }
        m = (uint32_t)_mm256_movemask_epi8(hit);
        if (m != 0) {
            return i + (size_t)_tzcnt_u32(m);
        }
    }
    return next_plain(bs, p, i, n);
}

static scrub_bytes_fn pick(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi")) {
        return next_avx2;
    }
    return next_plain;
}
#else
static scrub_bytes_fn pick(void)
{
    return next_plain;
}
#endif

size_t scrub_bytes_next(const scrub_byteset_t *bs, const uint8_t *p, size_t from, size_t n)
{
    return from >= n ? n : bs->next(bs, p, from, n);
}
