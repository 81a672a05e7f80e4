/* scrub_logfmt: recognise logfmt lines and report every key=value pair with its spans. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_LOGFMT_H
#define SCRUB_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "scrub_buf.h"

/*
 * The accepted grammar (go-logfmt's, made lenient where real logs need it):
 *
 *   line   = *sep [pair *(1*sep pair)] *sep
 *   sep    = SP / HTAB / CR / LF
 *   pair   = key ["=" [value]]           ; "flag" alone is a bare key
 *   key    = 1*(byte > 0x20 except '=' and '"')
 *   value  = quoted / plain
 *   plain  = (byte > 0x20 except '"') *(byte > 0x20)   ; may contain '=' and '"'
 *   quoted = '"' *(escape / byte except '"' and '\') '"'   ; must be followed by sep or end
 *   escape = '\' byte        ; \" \\ \n \r \t decode, any other pair is kept as-is
 *
 * Bytes below 0x20 other than separators are only allowed inside quoted values.
 */

/* One pair. Pointers are borrowed and only valid during the callback. */
typedef struct scrub_logfmt_tok {
    size_t key_start;      /* offset of the key's first byte */
    size_t key_end;        /* one past the key */
    size_t val_start;      /* offset of the value (its opening quote when quoted);
                              for a bare key val_start == val_end == key_end */
    size_t val_end;        /* one past the value (past the closing quote when quoted) */
    const uint8_t *val;    /* decoded value (quotes removed, escapes decoded);
                              NULL for a bare key, non-NULL (length 0) for "key=" */
    size_t val_len;        /* length of val */
    int quoted;            /* 1 when the value was quoted */
} scrub_logfmt_tok_t;

/* Called once per pair, in order. Return 0 to continue, non-zero to stop: the walk
 * then returns that value unchanged. */
typedef int (*scrub_logfmt_cb)(void *ud, const scrub_logfmt_tok_t *tok);

/*
 * Walk one logfmt line. The whole line is checked first, so the callback runs
 * only for lines that are logfmt: at least one key=value pair, and every token a
 * pair or a bare key. cb may be NULL (detection only).
 *
 * scratch is a caller-owned buffer, reset and reused for values that need
 * decoding (quoted values with a backslash); other values point into `in`.
 *
 * Returns 0 for a logfmt line, SCRUB_EINVAL for any other line (no callback has
 * run then), SCRUB_ENOMEM / SCRUB_ETOOBIG from the scratch buffer, or the
 * callback's non-zero value.
 */
int scrub_logfmt_walk(scrub_buf_t *scratch, const uint8_t *in, size_t n, scrub_logfmt_cb cb,
                      void *ud);

/*
 * Append v as a logfmt value to out. The value is quoted when it is empty or
 * contains a byte <= 0x20, '=' or '"'; inside quotes '"', '\\', LF, CR and TAB
 * are escaped, other bytes are copied. Walking the result yields v again.
 * Returns 0 or the scrub_buf error; on error out is unchanged.
 */
int scrub_logfmt_quote(scrub_buf_t *out, const uint8_t *v, size_t n);

#endif
