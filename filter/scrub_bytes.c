/* scrub_bytes: find the next byte of a small set (up to 8 values), with AVX2 if the CPU has it. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_bytes.h"

#include <string.h>

static scrub_bytes_fn pick(void);

void scrub_bytes_init(scrub_byteset_t *bs)
{
    memset(bs, 0, sizeof(*bs));
    bs->find = pick();
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

static size_t find_plain(const scrub_byteset_t *bs, const uint8_t *p, size_t from, size_t limit,
                         size_t n, size_t *out, size_t cap)
{
    size_t i, k = 0;

    (void)n;
    for (i = from; i < limit && k < cap; i++) {
        if (bs->member[p[i]]) {
            out[k++] = i;
        }
    }
    return k;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* 32 bytes per step: eight compares, OR-ed, then every set bit. The last
 * block may reach past limit (not past n): its bits from limit on are cleared. */
__attribute__((target("avx2,bmi"))) static size_t find_avx2(const scrub_byteset_t *bs,
                                                          const uint8_t *p, size_t from,
                                                          size_t limit, size_t n, size_t *out,
                                                          size_t cap)
{
    __m256i w[SCRUB_BYTES_MAX];
    size_t i = from, k = 0, j;

    if (bs->n == 0) {
        return 0;
    }
    /* unused slots repeat the first byte: eight compares, no inner loop */
    for (j = 0; j < SCRUB_BYTES_MAX; j++) {
        w[j] = _mm256_set1_epi8((char)bs->v[j < bs->n ? j : 0]);
    }
    for (; i < limit && i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        __m256i a = _mm256_or_si256(_mm256_cmpeq_epi8(x, w[0]), _mm256_cmpeq_epi8(x, w[1]));
        __m256i b = _mm256_or_si256(_mm256_cmpeq_epi8(x, w[2]), _mm256_cmpeq_epi8(x, w[3]));
        __m256i c = _mm256_or_si256(_mm256_cmpeq_epi8(x, w[4]), _mm256_cmpeq_epi8(x, w[5]));
        __m256i d = _mm256_or_si256(_mm256_cmpeq_epi8(x, w[6]), _mm256_cmpeq_epi8(x, w[7]));
        __m256i hit = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
        uint32_t m = (uint32_t)_mm256_movemask_epi8(hit);
        if (limit - i < 32) {
            m &= (1u << (limit - i)) - 1;
        }
        for (; m != 0; m &= m - 1) {
            out[k++] = i + (size_t)_tzcnt_u32(m);
            if (k == cap) {
                return k;
            }
        }
    }
    return i >= limit ? k : k + find_plain(bs, p, i, limit, n, out + k, cap - k);
}

static scrub_bytes_fn pick(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi")) {
        return find_avx2;
    }
    return find_plain;
}
#else
static scrub_bytes_fn pick(void)
{
    return find_plain;
}
#endif

size_t scrub_bytes_find(const scrub_byteset_t *bs, const uint8_t *p, size_t from, size_t limit,
                        size_t n, size_t *out, size_t cap)
{
    if (limit > n) {
        limit = n;
    }
    return from >= limit || cap == 0 ? 0 : bs->find(bs, p, from, limit, n, out, cap);
}
