/* fb_json: JSON text for msgpack values (strings escaped with scrub_json_escape). */
/* SPDX-License-Identifier: Apache-2.0 */

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "scrub_json.h"

#include "fb_json.h"

int fb_json_str(scrub_buf_t *b, const uint8_t *s, size_t n)
{
    int rc = scrub_buf_putc(b, '"');

    if (rc == 0) {
        rc = scrub_json_escape(b, s, n);
    }
    if (rc == 0) {
        rc = scrub_buf_putc(b, '"');
    }
    return rc;
}

int fb_json_cstr(scrub_buf_t *b, const char *s)
{
    return fb_json_str(b, (const uint8_t *)s, strlen(s));
}

int fb_json_time(scrub_buf_t *b, uint64_t sec, uint32_t nsec)
{
    return scrub_buf_printf(b, "%" PRIu64 ".%09" PRIu32, sec, nsec);
}

int fb_json_number(scrub_buf_t *b, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return scrub_buf_printf(b, "%" PRIu64, o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return scrub_buf_printf(b, "%" PRId64, o->via.i64);
    default:
        if (!isfinite(o->via.f64)) {
            return scrub_buf_puts(b, "null");
        }
        return scrub_buf_printf(b, "%.17g", o->via.f64);
    }
}

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int fb_json_base64(scrub_buf_t *b, const uint8_t *p, size_t n)
{
    size_t i;
    uint32_t v;
    int rc;

    rc = scrub_buf_reserve(b, (n + 2) / 3 * 4 + 2);
    if (rc != 0) {
        return rc;
    }
    b->data[b->len++] = '"';
    for (i = 0; i + 2 < n; i += 3) {
        v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        b->data[b->len++] = (uint8_t)b64tab[(v >> 18) & 63];
        b->data[b->len++] = (uint8_t)b64tab[(v >> 12) & 63];
        b->data[b->len++] = (uint8_t)b64tab[(v >> 6) & 63];
        b->data[b->len++] = (uint8_t)b64tab[v & 63];
    }
    if (i < n) {
        v = (uint32_t)p[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        b->data[b->len++] = (uint8_t)b64tab[(v >> 18) & 63];
        b->data[b->len++] = (uint8_t)b64tab[(v >> 12) & 63];
        b->data[b->len++] = i + 1 < n ? (uint8_t)b64tab[(v >> 6) & 63] : '=';
        b->data[b->len++] = '=';
    }
    b->data[b->len++] = '"';
    return 0;
}

int fb_json_scalar_bytes(const msgpack_object *o, const uint8_t **p, size_t *n)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        *p = (const uint8_t *)o->via.str.ptr;
        *n = o->via.str.size;
        return 1;
    case MSGPACK_OBJECT_BIN:
        *p = (const uint8_t *)o->via.bin.ptr;
        *n = o->via.bin.size;
        return 1;
    case MSGPACK_OBJECT_EXT:
        *p = (const uint8_t *)o->via.ext.ptr;
        *n = o->via.ext.size;
        return 1;
    default:
        return 0;
    }
}

int fb_json_raw(scrub_buf_t *b, const msgpack_object *o)
{
    const uint8_t *p;
    size_t n;
    uint32_t i;
    int rc = 0;

    if (fb_json_scalar_bytes(o, &p, &n)) {
        return fb_json_str(b, p, n);
    }
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return scrub_buf_puts(b, "null");
    case MSGPACK_OBJECT_BOOLEAN:
        return scrub_buf_puts(b, o->via.boolean ? "true" : "false");
    case MSGPACK_OBJECT_ARRAY:
        rc = scrub_buf_putc(b, '[');
        for (i = 0; rc == 0 && i < o->via.array.size; i++) {
            if (i > 0) {
                rc = scrub_buf_putc(b, ',');
            }
            if (rc == 0) {
                rc = fb_json_raw(b, &o->via.array.ptr[i]);
            }
        }
        return rc != 0 ? rc : scrub_buf_putc(b, ']');
    case MSGPACK_OBJECT_MAP:
        rc = scrub_buf_putc(b, '{');
        for (i = 0; rc == 0 && i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;

            if (i > 0) {
                rc = scrub_buf_putc(b, ',');
            }
            if (rc == 0 && fb_json_scalar_bytes(k, &p, &n)) {
                rc = fb_json_str(b, p, n);
            }
            else if (rc == 0) {
                /* non-string key: its JSON text, as a string */
                scrub_buf_t tmp;

                scrub_buf_init(&tmp, 0);
                rc = fb_json_raw(&tmp, k);
                if (rc == 0) {
                    rc = fb_json_str(b, tmp.data, tmp.len);
                }
                scrub_buf_free(&tmp);
            }
            if (rc == 0) {
                rc = scrub_buf_putc(b, ':');
            }
            if (rc == 0) {
                rc = fb_json_raw(b, &o->via.map.ptr[i].val);
            }
        }
        return rc != 0 ? rc : scrub_buf_putc(b, '}');
    default:
        return fb_json_number(b, o);
    }
}
