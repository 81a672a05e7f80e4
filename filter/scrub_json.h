/* scrub_json: a streaming, allocation-free JSON validator that reports every string token. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_JSON_H
#define SCRUB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "scrub_buf.h"

/*
 * One string token (an object key or a string value). Every pointer in it is
 * borrowed: it points into the input or into the walker's scratch and is only
 * valid during the callback.
 */
typedef struct scrub_json_tok {
    size_t raw_start;        /* offset of the opening quote in the input */
    size_t raw_end;          /* one past the closing quote */
    const uint8_t *dec;      /* decoded UTF-8 text: escapes decoded, a lone surrogate
                                becomes U+FFFD, raw invalid UTF-8 passed through as-is */
    size_t dec_len;          /* length of dec */
    int is_key;              /* 1 for an object key, 0 for a string value */
    const uint8_t *key;      /* value directly inside an object: its decoded key;
                                key tokens and array elements: NULL */
    size_t key_len;          /* length of key (0 when key is NULL) */
    const uint8_t *path;     /* decoded keys from the root joined by '.'; array levels
                                add nothing; for a key token the key itself is the
                                last component; never NULL (may be empty) */
    size_t path_len;         /* length of path */
    unsigned depth;          /* depth of the containing container: root object or
                                array = 1, a root-level string = 0 */
} scrub_json_tok_t;

/* Called once per string token, in input order. Return 0 to continue, non-zero to stop:
 * the walk then returns that value unchanged. */
typedef int (*scrub_json_cb)(void *ud, const scrub_json_tok_t *tok);

/* Reusable walker scratch (container stack, path, decode buffer). Not thread-safe:
 * use one per thread. */
typedef struct scrub_json scrub_json_t;

/*
 * Create a walker allowing at most max_depth nested containers (0 means 64).
 * Returns NULL on allocation failure. The caller owns the walker and releases it
 * with scrub_json_destroy().
 */
scrub_json_t *scrub_json_new(unsigned max_depth);

/* Release a walker and its scratch. Accepts NULL. */
void scrub_json_destroy(scrub_json_t *j);

/*
 * Validate and walk one JSON text: the whole input must be exactly one JSON value,
 * optionally surrounded by JSON whitespace (so a trailing "\n" or "\r\n" is fine).
 * Validation is strict RFC 8259 (numbers, literals, escapes, no raw control
 * characters in strings), except that invalid UTF-8 inside strings is accepted and
 * passed through in tok->dec unchanged. Strings without a backslash are not copied:
 * tok->dec then points into `in`.
 *
 * cb may be NULL (validation only). Tokens are reported as they are met, so a
 * callback may already have run when the walk later finds an error.
 *
 * Returns 0 when the text is valid JSON; SCRUB_EJSON when it is not, with *err_off
 * (if err_off is non-NULL) set to the offset of the first byte that cannot continue
 * a valid text (n when the text is truncated); SCRUB_EDEPTH when nesting exceeds
 * max_depth (*err_off = offset of the offending bracket); SCRUB_ENOMEM; or the
 * callback's non-zero value. The walker may be reused after any result.
 */
int scrub_json_walk(scrub_json_t *j, const uint8_t *in, size_t n, scrub_json_cb cb,
                    void *ud, size_t *err_off);

/*
 * Append s as the content of a JSON string (without quotes) to out. Escapes '"',
 * '\\', control characters (\b \f \n \r \t, others as \u00XX), U+2028 and U+2029;
 * keeps valid UTF-8 (and DEL) as-is; replaces each byte that does not start a valid
 * UTF-8 sequence by U+FFFD so the output is always valid JSON.
 * Returns 0 or the scrub_buf error (SCRUB_ENOMEM, SCRUB_ETOOBIG); on error out->len
 * is restored, so out holds exactly what it held before the call.
 */
int scrub_json_escape(scrub_buf_t *out, const uint8_t *s, size_t n);

/* Cheap format sniff: 1 when the first non-whitespace byte is '{' or '[', else 0. */
int scrub_json_looks_like(const uint8_t *in, size_t n);

#endif
