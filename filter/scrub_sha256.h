/* scrub_sha256: SHA-256 and HMAC-SHA256 for keyed fingerprints and the hash action. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_SHA256_H
#define SCRUB_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct scrub_sha256 {
    uint32_t h[8];      /* chaining state */
    uint64_t nbytes;    /* total bytes hashed */
    uint8_t block[64];  /* pending partial block */
    size_t nblock;      /* bytes in block */
} scrub_sha256_t;

void scrub_sha256_init(scrub_sha256_t *c);
void scrub_sha256_update(scrub_sha256_t *c, const void *p, size_t n);
void scrub_sha256_final(scrub_sha256_t *c, uint8_t out[32]);

/* HMAC-SHA256 (RFC 2104) of msg under key. Pure and thread-safe. */
void scrub_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
                       uint8_t out[32]);

/* Lower-case hex of the first hexlen/2 bytes of a digest; out holds hexlen + 1. */
void scrub_hex(const uint8_t *d, size_t hexlen, char *out);

#endif
