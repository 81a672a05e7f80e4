/* scrub_buf: a growable byte buffer with an optional hard maximum. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_buf.h"
#include "scrub.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scrub_buf_init(scrub_buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void scrub_buf_free(scrub_buf_t *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int scrub_buf_reserve(scrub_buf_t *b, size_t extra)
{
    size_t need;
    size_t ncap;
    uint8_t *p;

    if (extra > SIZE_MAX - b->len) {
        return SCRUB_ETOOBIG;
    }
    need = b->len + extra;
    if (b->max != 0 && need > b->max) {
        return SCRUB_ETOOBIG;
    }
    if (need <= b->cap) {
        return 0;
    }
    ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    }
    p = realloc(b->data, ncap);
    if (p == NULL) {
        return SCRUB_ENOMEM;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

int scrub_buf_append(scrub_buf_t *b, const void *p, size_t n)
{
    int rc;

    if (n == 0) {
        return 0;
    }
    rc = scrub_buf_reserve(b, n);
    if (rc != 0) {
        return rc;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int scrub_buf_putc(scrub_buf_t *b, uint8_t c)
{
    int rc;

    if (b->len < b->cap) {
        b->data[b->len++] = c;
        return 0;
    }
    rc = scrub_buf_reserve(b, 1);
    if (rc != 0) {
        return rc;
    }
    b->data[b->len++] = c;
    return 0;
}

int scrub_buf_puts(scrub_buf_t *b, const char *s)
{
    return scrub_buf_append(b, s, strlen(s));
}

int scrub_buf_printf(scrub_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return SCRUB_EINVAL;
    }
    rc = scrub_buf_reserve(b, (size_t)n + 1);
    if (rc != 0) {
        return rc;
    }
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}
