/* fb_chunk: splits a Fluent Bit msgpack chunk into log records (v1 and v2 formats). */
/* SPDX-License-Identifier: Apache-2.0 */

#include <stdlib.h>
#include <string.h>

#include "fb_chunk.h"

/* Group marker seconds (Fluent Bit 3.1.0+): (uint32_t)-1 and (uint32_t)-2. */
#define FB_GROUP_START_SEC 0xFFFFFFFFu
#define FB_GROUP_END_SEC 0xFFFFFFFEu

/* First zone chunk; msgpack-c grows the zone as needed. */
#define FB_ZONE_CHUNK 8192

struct fb_chunk {
    const uint8_t *data;       /* borrowed chunk bytes */
    size_t len;                /* chunk length */
    size_t off;                /* next undecoded byte */
    int broken;                /* 1 after a framing error */
    msgpack_zone *zone;        /* owned; cleared before each record */
};

/* ---- framing -------------------------------------------------------------- */

static uint32_t be16(const uint8_t *p)
{
    return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*
 * Header of one msgpack object at p (n >= 1 bytes available): *hdr = header
 * length, *payload = bytes of data that follow the header, *items = number of
 * child objects (arrays: n, maps: 2n). Returns -1 for 0xc1 or when the header
 * itself is truncated.
 */
static int frame_header(const uint8_t *p, size_t n, size_t *hdr, uint64_t *payload,
                        uint64_t *items)
{
    uint8_t b = p[0];
    size_t w;

    *hdr = 1;
    *payload = 0;
    *items = 0;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        return 0;
    }
    if (b >= 0x80 && b <= 0x8f) {
        *items = 2u * (b & 0x0f);
        return 0;
    }
    if (b >= 0x90 && b <= 0x9f) {
        *items = b & 0x0f;
        return 0;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        *payload = b & 0x1f;
        return 0;
    }
    switch (b) {
    case 0xcc: case 0xd0: *payload = 1; return 0;
    case 0xcd: case 0xd1: *payload = 2; return 0;
    case 0xca: case 0xce: case 0xd2: *payload = 4; return 0;
    case 0xcb: case 0xcf: case 0xd3: *payload = 8; return 0;
    case 0xd4: *payload = 2; return 0;   /* fixext1: type + 1 */
    case 0xd5: *payload = 3; return 0;
    case 0xd6: *payload = 5; return 0;
    case 0xd7: *payload = 9; return 0;
    case 0xd8: *payload = 17; return 0;
    default:
        break;
    }
    /* variable-length forms: width of the length field */
    switch (b) {
    case 0xc4: case 0xc7: case 0xd9: w = 1; break;
    case 0xc5: case 0xc8: case 0xda: case 0xdc: case 0xde: w = 2; break;
    case 0xc6: case 0xc9: case 0xdb: case 0xdd: case 0xdf: w = 4; break;
    default:
        return -1;   /* 0xc1: never used */
    }
    if (n < 1 + w) {
        return -1;
    }
    *hdr = 1 + w;
    {
        uint64_t v = w == 1 ? p[1] : (w == 2 ? be16(p + 1) : be32(p + 1));

        if (b == 0xdc || b == 0xdd) {
            *items = v;
        }
        else if (b == 0xde || b == 0xdf) {
            *items = 2 * v;
        }
        else if (b >= 0xc7 && b <= 0xc9) {
            *payload = v + 1;   /* ext: type byte + data */
        }
        else {
            *payload = v;
        }
    }
    return 0;
}

int fb_chunk_frame(const uint8_t *p, size_t n, size_t *len)
{
    size_t pos = 0;
    uint64_t pending = 1;   /* objects still to read */
    size_t hdr;
    uint64_t payload;
    uint64_t items;

    while (pending > 0) {
        if (pos >= n) {
            return -1;
        }
        if (frame_header(p + pos, n - pos, &hdr, &payload, &items) != 0) {
            return -1;
        }
        if (payload > (uint64_t)(n - pos - hdr)) {
            return -1;
        }
        pos += hdr + (size_t)payload;
        pending = pending - 1 + items;
        /* every pending object needs at least one byte: stop early on a
         * header that claims more than the data can hold (and keeps
         * `pending` far from overflow) */
        if (pending > (uint64_t)(n - pos)) {
            return -1;
        }
    }
    *len = pos;
    return 0;
}

/* ---- decoder -------------------------------------------------------------- */

fb_chunk_t *fb_chunk_new(void)
{
    fb_chunk_t *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    c->zone = msgpack_zone_new(FB_ZONE_CHUNK);
    if (c->zone == NULL) {
        fb_chunk_destroy(c);
        return NULL;
    }
    return c;
}

void fb_chunk_destroy(fb_chunk_t *c)
{
    if (c == NULL) {
        return;
    }
    if (c->zone != NULL) {
        msgpack_zone_free(c->zone);
    }
    free(c);
}

void fb_chunk_reset(fb_chunk_t *c, const void *data, size_t len)
{
    c->data = data;
    c->len = data != NULL ? len : 0;
    c->off = 0;
    c->broken = 0;
}

size_t fb_chunk_offset(const fb_chunk_t *c)
{
    return c->off;
}

/* Read a timestamp object. Returns 0 and fills sec/nsec, or -1. Group
 * markers keep their (uint32) marker seconds. */
static int read_time(const msgpack_object *o, uint64_t *sec, uint32_t *nsec)
{
    const uint8_t *p;
    double d;
    uint32_t ns;

    switch (o->type) {
    case MSGPACK_OBJECT_EXT:
        if (o->via.ext.type != 0 || o->via.ext.size != 8) {
            return -1;
        }
        p = (const uint8_t *)o->via.ext.ptr;
        *sec = be32(p);
        ns = be32(p + 4);
        if (ns >= 1000000000u) {
            return -1;
        }
        *nsec = ns;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *sec = o->via.u64;
        *nsec = 0;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        /* only the group-marker values -1 and -2 */
        if (o->via.i64 == -1 || o->via.i64 == -2) {
            *sec = (uint32_t)(int32_t)o->via.i64;
            *nsec = 0;
            return 0;
        }
        return -1;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        d = o->via.f64;
        /* reject NaN, negatives and values past 2^63 */
        if (!(d >= 0.0) || d >= 9223372036854775808.0) {
            return -1;
        }
        *sec = (uint64_t)d;
        ns = (uint32_t)((d - (double)*sec) * 1e9);
        *nsec = ns >= 1000000000u ? 999999999u : ns;
        return 0;
    default:
        return -1;
    }
}

static int invalid(fb_rec_t *rec, const char *why)
{
    rec->kind = FB_REC_INVALID;
    rec->meta = NULL;
    rec->body = NULL;
    rec->why = why;
    return FB_CHUNK_REC;
}

int fb_chunk_next(fb_chunk_t *c, fb_rec_t *rec)
{
    size_t len;
    size_t off = 0;
    msgpack_object root;
    const msgpack_object *hdr;
    const msgpack_object *ts;
    msgpack_unpack_return ur;

    if (c->broken) {
        return FB_CHUNK_EFRAME;
    }
    if (c->off >= c->len) {
        return FB_CHUNK_END;
    }
    if (fb_chunk_frame(c->data + c->off, c->len - c->off, &len) != 0) {
        c->broken = 1;
        return FB_CHUNK_EFRAME;
    }

    memset(rec, 0, sizeof(*rec));
    rec->off = c->off;
    rec->len = len;

    msgpack_zone_clear(c->zone);
    ur = msgpack_unpack((const char *)c->data + c->off, len, &off, c->zone, &root);
    c->off += len;
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
        /* msgpack-c reports its 32-level nesting limit as NOMEM; a framed
         * record cannot make it allocate more than ~32 bytes per input byte,
         * so either way the record fails closed and decoding goes on */
        return invalid(rec, "nesting deeper than 32 levels (or out of memory)");
    }
    if (ur != MSGPACK_UNPACK_SUCCESS || off != len) {
        return invalid(rec, "msgpack-c rejected the record");
    }

    if (root.type != MSGPACK_OBJECT_ARRAY || root.via.array.size != 2) {
        return invalid(rec, "record is not an array of 2");
    }
    hdr = &root.via.array.ptr[0];
    if (hdr->type == MSGPACK_OBJECT_ARRAY) {
        rec->format = 2;
        if (hdr->via.array.size != 2) {
            return invalid(rec, "record header is not [ts, metadata]");
        }
        ts = &hdr->via.array.ptr[0];
        if (hdr->via.array.ptr[1].type != MSGPACK_OBJECT_MAP) {
            return invalid(rec, "record metadata is not a map");
        }
        rec->meta = &hdr->via.array.ptr[1];
    }
    else {
        rec->format = 1;
        ts = hdr;
    }
    if (read_time(ts, &rec->sec, &rec->nsec) != 0) {
        rec->meta = NULL;
        return invalid(rec, "record timestamp is not EventTime, integer or float");
    }
    if (rec->sec == FB_GROUP_START_SEC || rec->sec == FB_GROUP_END_SEC) {
        rec->kind = rec->sec == FB_GROUP_START_SEC ? FB_REC_GROUP_START : FB_REC_GROUP_END;
        rec->body = &root.via.array.ptr[1];
        return FB_CHUNK_REC;
    }
    if (root.via.array.ptr[1].type != MSGPACK_OBJECT_MAP) {
        rec->meta = NULL;
        return invalid(rec, "record body is not a map");
    }
    rec->kind = FB_REC_LOG;
    rec->body = &root.via.array.ptr[1];
    return FB_CHUNK_REC;
}
