/* fb_chunk: splits a Fluent Bit msgpack chunk into log records (v1 and v2 formats). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FB_CHUNK_H
#define FB_CHUNK_H

/*
 * A chunk is a concatenation of msgpack objects, one per record, no outer
 * array. Two record layouts exist:
 *   v1 (Fluent Bit <= 2.0.x, forward): [ts, {body}]
 *   v2 (Fluent Bit >= 2.1.0):          [[ts, {metadata}], {body}]
 * ts is ext type 0 with 8 bytes (BE u32 seconds, BE u32 nanoseconds), a
 * non-negative integer (seconds) or a float (seconds.fraction). Group markers
 * (3.1.0+) carry seconds 0xFFFFFFFF (start) or 0xFFFFFFFE (end); an integer
 * timestamp of -1 / -2 is read the same way.
 *
 * Decoding runs in two steps per record:
 *  1. framing: fb_chunk_frame() measures one msgpack object without
 *     recursion or allocation (one pending-items counter). A framing failure
 *     means the rest of the chunk cannot be split into records.
 *  2. structure: msgpack-c unpacks the framed bytes into a tree allocated in
 *     the decoder's zone. Because the object was framed first, every count
 *     in it is bounded by its byte length, so a hostile header (map32 with
 *     4G entries) cannot make msgpack-c allocate more than ~32 bytes per
 *     input byte. msgpack-c nests at most 32 levels; a deeper record and any
 *     record of the wrong shape come back as FB_REC_INVALID with its raw span,
 *     so the caller can fail that record closed and continue.
 *
 * Stack use is bounded (msgpack-c's parse context, ~1.6 KiB); nothing
 * recurses. A decoder is used by one thread at a time.
 */

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* Record kinds returned by fb_chunk_next(). */
typedef enum fb_rec_kind {
    FB_REC_LOG = 0,          /* a log record: ts, meta (v2) and body are set */
    FB_REC_GROUP_START,      /* group marker (ts -1): skip */
    FB_REC_GROUP_END,        /* group marker (ts -2): skip */
    FB_REC_INVALID           /* framed but not a log record: fail it closed */
} fb_rec_kind_t;

/* One record. Pointers borrow the chunk bytes and the decoder's zone; they
 * are valid until the next fb_chunk_next()/fb_chunk_reset() on the decoder. */
typedef struct fb_rec {
    fb_rec_kind_t kind;          /* see above */
    int format;                  /* 1 = [ts, body], 2 = [[ts, meta], body]; 0 if unknown */
    uint64_t sec;                /* timestamp seconds */
    uint32_t nsec;               /* timestamp nanoseconds (< 1e9) */
    const msgpack_object *meta;  /* metadata map (v2), or NULL */
    const msgpack_object *body;  /* body map; NULL for FB_REC_INVALID */
    size_t off;                  /* offset of the record in the chunk */
    size_t len;                  /* length of the record's bytes */
    const char *why;             /* FB_REC_INVALID: static reason, never data */
} fb_rec_t;

/* Return values of fb_chunk_next(). */
#define FB_CHUNK_END 0           /* no more records */
#define FB_CHUNK_REC 1           /* *rec filled */
#define FB_CHUNK_EFRAME (-1)     /* bytes at fb_chunk_offset() are not msgpack,
                                    or the chunk ends inside an object */

typedef struct fb_chunk fb_chunk_t;

/* A decoder with its own msgpack zone. NULL on allocation failure. The caller
 * owns it and releases it with fb_chunk_destroy(). */
fb_chunk_t *fb_chunk_new(void);

/* Release a decoder. Accepts NULL. */
void fb_chunk_destroy(fb_chunk_t *c);

/* Start decoding a new chunk. data is borrowed and must stay valid while
 * records are read. */
void fb_chunk_reset(fb_chunk_t *c, const void *data, size_t len);

/*
 * Decode the next record into *rec. Returns FB_CHUNK_REC, FB_CHUNK_END or
 * FB_CHUNK_EFRAME (the decoder then stays at the offending offset: every
 * further call returns FB_CHUNK_EFRAME). An allocation failure inside
 * msgpack-c cannot be told apart from its nesting limit, so both give an
 * FB_REC_INVALID record (fail closed) rather than an error.
 */
int fb_chunk_next(fb_chunk_t *c, fb_rec_t *rec);

/* Offset of the next undecoded byte (after EFRAME: the start of the bad object). */
size_t fb_chunk_offset(const fb_chunk_t *c);

/*
 * Measure the msgpack object at p[0..n): on success returns 0 and sets *len to
 * its length; returns -1 if the bytes are not a complete object (truncated or
 * the reserved byte 0xc1). No allocation, no recursion; O(len) time.
 */
int fb_chunk_frame(const uint8_t *p, size_t n, size_t *len);

#endif
