/* scrub_sha256: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_sha256.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(scrub_sha256_t *c, const uint8_t *p)
{
    uint32_t w[64];
    uint32_t a, b, cc, d, e, f, g, h, t1, t2;
    int i;

    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = c->h[0];
    b = c->h[1];
    cc = c->h[2];
    d = c->h[3];
    e = c->h[4];
    f = c->h[5];
    g = c->h[6];
    h = c->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = cc;
        cc = b;
        b = a;
        a = t1 + t2;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
    c->h[5] += f;
    c->h[6] += g;
    c->h[7] += h;
}

void scrub_sha256_init(scrub_sha256_t *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof(iv));
    c->nbytes = 0;
    c->nblock = 0;
}

void scrub_sha256_update(scrub_sha256_t *c, const void *data, size_t n)
{
    const uint8_t *p = data;

    c->nbytes += n;
    while (n > 0) {
        size_t take = 64 - c->nblock;
        if (take > n) {
            take = n;
        }
        memcpy(c->block + c->nblock, p, take);
        c->nblock += take;
        p += take;
        n -= take;
        if (c->nblock == 64) {
            sha256_block(c, c->block);
            c->nblock = 0;
        }
    }
}

void scrub_sha256_final(scrub_sha256_t *c, uint8_t out[32])
{
    uint64_t bits = c->nbytes * 8;
    uint8_t pad = 0x80;
    uint8_t zero = 0;
    uint8_t len[8];
    int i;

    scrub_sha256_update(c, &pad, 1);
    while (c->nblock != 56) {
        scrub_sha256_update(c, &zero, 1);
    }
    for (i = 0; i < 8; i++) {
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    scrub_sha256_update(c, len, 8);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void scrub_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
                       uint8_t out[32])
{
    uint8_t k[64];
    uint8_t pad[64];
    uint8_t inner[32];
    scrub_sha256_t c;
    int i;

    memset(k, 0, sizeof(k));
    if (keylen > 64) {
        scrub_sha256_init(&c);
        scrub_sha256_update(&c, key, keylen);
        scrub_sha256_final(&c, k);
    }
    else if (keylen > 0) {
        memcpy(k, key, keylen);
    }
    for (i = 0; i < 64; i++) {
        pad[i] = k[i] ^ 0x36;
    }
    scrub_sha256_init(&c);
    scrub_sha256_update(&c, pad, 64);
    scrub_sha256_update(&c, msg, n);
    scrub_sha256_final(&c, inner);
    for (i = 0; i < 64; i++) {
        pad[i] = k[i] ^ 0x5c;
    }
    scrub_sha256_init(&c);
    scrub_sha256_update(&c, pad, 64);
    scrub_sha256_update(&c, inner, 32);
    scrub_sha256_final(&c, out);
}

void scrub_hex(const uint8_t *d, size_t hexlen, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    if (hexlen > 64) {
        hexlen = 64;
    }
    for (i = 0; i < hexlen; i++) {
        uint8_t b = d[i / 2];
        out[i] = digits[(i & 1) ? (b & 15) : (b >> 4)];
    }
    out[hexlen] = '\0';
}
