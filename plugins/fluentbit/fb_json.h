/* fb_json: JSON text for msgpack values (strings escaped with scrub_json_escape). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FB_JSON_H
#define FB_JSON_H

/*
 * Every function appends to a scrub_buf and returns 0 or the scrub_buf error
 * (SCRUB_ENOMEM, SCRUB_ETOOBIG). On error the buffer may hold a partial
 * value: callers roll back to a mark they took before the line.
 */

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "scrub_buf.h"

/* A JSON string ("..." included) holding s[0..n): escapes per
 * scrub_json_escape (invalid UTF-8 becomes U+FFFD, so the result is valid). */
int fb_json_str(scrub_buf_t *b, const uint8_t *s, size_t n);

/* fb_json_str of a NUL-terminated string. */
int fb_json_cstr(scrub_buf_t *b, const char *s);

/* A timestamp as an exact JSON number: seconds "." nine digits of nanoseconds. */
int fb_json_time(scrub_buf_t *b, uint64_t sec, uint32_t nsec);

/* A number (positive/negative integer exactly, float with 17 significant
 * digits); NaN and infinities have no JSON form and become null. Any other
 * type is treated as a float: call it for numbers only. */
int fb_json_number(scrub_buf_t *b, const msgpack_object *o);

/* A JSON string holding the base64 (RFC 4648, padded) of p[0..n). */
int fb_json_base64(scrub_buf_t *b, const uint8_t *p, size_t n);

/* 1 and the bytes when o is a str, bin or ext (its data), else 0. *p may be
 * NULL when *n is 0. */
int fb_json_scalar_bytes(const msgpack_object *o, const uint8_t **p, size_t *n);

/*
 * Plain JSON rendering of a value, without scanning: str/bin/ext become
 * strings, nil/bool/numbers their JSON forms, maps objects (a non-string key
 * becomes the JSON text of the key, as a string), arrays arrays. Recursion is
 * bounded by msgpack-c's 32-level nesting limit (~100 bytes of stack a level).
 */
int fb_json_raw(scrub_buf_t *b, const msgpack_object *o);

#endif
