/* kfix.h: the fixture record format shared by the Kafka test producer and checker. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFIX_H
#define KFIX_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Record i of a fixture set:
 *   key        "key-<i % 97>"
 *   header     "trace" = "t<i>", and "h-bin" = 3 bytes 00 ff 0a
 *   timestamp  KFIX_TS_BASE + i (ms, create time)
 *   value      "id=<i> user=alice action=login ..." padded with 'x' to size;
 *              every secret_every-th record (i % secret_every == 1) carries
 *              " token=<kfix_secret(i)>" (a GitHub-style ghp_ token the test
 *              rules redact), every quarantine_every-th record
 *              (i % quarantine_every == 2) carries " QUARANTINE-ME-<i>".
 */
#define KFIX_TS_BASE 1700000000000LL

/* The injected secret of record i: "ghp_" + 36 characters from [A-Za-z0-9]. */
static inline void kfix_secret(uint64_t i, char out[41])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t x = i * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    int k;

    memcpy(out, "ghp_", 4);
    for (k = 0; k < 36; k++) {
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ULL;
        x ^= x >> 27;
        out[4 + k] = al[x % 62];
    }
    out[40] = '\0';
}

static inline int kfix_has_secret(uint64_t i, int every)
{
    return every > 0 && i % (uint64_t)every == 1;
}

static inline int kfix_has_quarantine(uint64_t i, int every)
{
    return every > 0 && i % (uint64_t)every == 2;
}

/* Build record i's value into buf (size >= 256 + size); returns its length. */
static inline size_t kfix_value(uint64_t i, size_t size, int secret_every, int quarantine_every,
                                char *buf)
{
    char secret[41];
    int n = sprintf(buf, "id=%llu user=alice action=login", (unsigned long long)i);

    if (kfix_has_secret(i, secret_every)) {
        kfix_secret(i, secret);
        n += sprintf(buf + n, " token=%s", secret);
    }
    if (kfix_has_quarantine(i, quarantine_every)) {
        n += sprintf(buf + n, " QUARANTINE-ME-%llu", (unsigned long long)i);
    }
    while ((size_t)n < size) {
        buf[n++] = 'x';
    }
    buf[n] = '\0';
    return (size_t)n;
}

#endif
