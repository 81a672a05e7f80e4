/* scrub_buf: a growable byte buffer with an optional hard maximum. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_BUF_H
#define SCRUB_BUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * A plain struct (not opaque) because it is embedded in other modules'
 * structs and used on the hot path. The buffer owns `data`.
 * Invariant: len <= cap; data is NULL when cap == 0.
 */
typedef struct scrub_buf {
    uint8_t *data;   /* owned storage, NULL until the first append */
    size_t len;      /* bytes in use */
    size_t cap;      /* bytes allocated */
    size_t max;      /* hard limit on len; 0 means unlimited */
} scrub_buf_t;

/* Initialise an empty buffer with a maximum (0 = unlimited). Never fails. */
void scrub_buf_init(scrub_buf_t *b, size_t max);

/* Release the storage; the buffer is empty and reusable afterwards. Accepts NULL. */
void scrub_buf_free(scrub_buf_t *b);

/* Make room for `extra` more bytes. Returns 0, SCRUB_ENOMEM, or SCRUB_ETOOBIG
 * when len + extra would exceed max. On failure the buffer is unchanged. */
int scrub_buf_reserve(scrub_buf_t *b, size_t extra);

/* Append bytes. Returns 0 or the scrub_buf_reserve error; unchanged on failure. */
int scrub_buf_append(scrub_buf_t *b, const void *p, size_t n);

/* Append one byte. Same contract as scrub_buf_append. */
int scrub_buf_putc(scrub_buf_t *b, uint8_t c);

/* Append a NUL-terminated C string (without the NUL). */
int scrub_buf_puts(scrub_buf_t *b, const char *s);

/* printf-style append (for diagnostics and envelopes, not for log bytes). */
int scrub_buf_printf(scrub_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Drop the contents but keep the storage. */
static inline void scrub_buf_reset(scrub_buf_t *b)
{
    b->len = 0;
}

#endif
