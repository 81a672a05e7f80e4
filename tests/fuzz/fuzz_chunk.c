/* fuzz_chunk: libFuzzer target for the Fluent Bit chunk decoder (plugins/fluentbit/fb_chunk). */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Build: make fuzz-chunk   (clang -fsanitize=fuzzer,address,undefined; static msgpack-c)
 * Run:   make fuzz FUZZ_ONLY=chunk   (on a scratch copy of tests/fuzz/corpus/chunk)
 * Replay without libFuzzer (any compiler, part of make test-plugin):
 *        cc -DFUZZ_CHUNK_MAIN ... -o build/fuzz_chunk_run; build/fuzz_chunk_run FILE...
 *
 * Checks, for every input:
 *  - decoding terminates, never reads outside the input, and never crashes;
 *  - records are contiguous: each starts where the previous one ended, and
 *    their lengths are what fb_chunk_frame() measures;
 *  - after FB_CHUNK_END every byte was consumed; after FB_CHUNK_EFRAME the
 *    offset points inside the input and fb_chunk_frame() fails there;
 *  - a log record has a body map, a v2 record a metadata map, a v1 record none;
 *    nanoseconds are below 1e9.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_chunk.h"

static fb_chunk_t *dec;

#define FZ_ASSERT(c)                                                          \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_chunk: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fb_rec_t rec;
    size_t expect = 0;
    size_t flen;
    int r;

    if (dec == NULL) {
        dec = fb_chunk_new();
        FZ_ASSERT(dec != NULL);
    }
    fb_chunk_reset(dec, data, size);
    for (;;) {
        r = fb_chunk_next(dec, &rec);
        if (r == FB_CHUNK_END) {
            FZ_ASSERT(fb_chunk_offset(dec) == size);
            FZ_ASSERT(expect == size);
            break;
        }
        if (r == FB_CHUNK_EFRAME) {
            FZ_ASSERT(fb_chunk_offset(dec) == expect);
            FZ_ASSERT(expect < size);
            FZ_ASSERT(fb_chunk_frame(data + expect, size - expect, &flen) != 0);
            FZ_ASSERT(fb_chunk_next(dec, &rec) == FB_CHUNK_EFRAME);
            break;
        }
        FZ_ASSERT(r == FB_CHUNK_REC);
        FZ_ASSERT(rec.off == expect);
        FZ_ASSERT(rec.len > 0 && rec.len <= size - rec.off);
        FZ_ASSERT(fb_chunk_frame(data + rec.off, size - rec.off, &flen) == 0 && flen == rec.len);
        expect = rec.off + rec.len;
        FZ_ASSERT(fb_chunk_offset(dec) == expect);
        switch (rec.kind) {
        case FB_REC_LOG:
            FZ_ASSERT(rec.body != NULL && rec.body->type == MSGPACK_OBJECT_MAP);
            FZ_ASSERT(rec.nsec < 1000000000u);
            FZ_ASSERT(rec.format == 1 || rec.format == 2);
            FZ_ASSERT(rec.format == 2 ? (rec.meta != NULL && rec.meta->type == MSGPACK_OBJECT_MAP)
                                      : rec.meta == NULL);
            break;
        case FB_REC_GROUP_START:
        case FB_REC_GROUP_END:
            FZ_ASSERT(rec.body != NULL);
            break;
        case FB_REC_INVALID:
            FZ_ASSERT(rec.why != NULL && rec.body == NULL);
            break;
        default:
            FZ_ASSERT(!"unknown record kind");
        }
    }
    return 0;
}

#ifdef FUZZ_CHUNK_MAIN
/* Replay files through the target (no libFuzzer). */
int main(int argc, char **argv)
{
    int i;
    int n = 0;

    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf;
        long len;

        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(len > 0 ? (size_t)len : 1);
        if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
            fprintf(stderr, "%s: read error\n", argv[i]);
            return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
        n++;
    }
    fb_chunk_destroy(dec);
    printf("fuzz_chunk: %d corpus files replayed\n", n);
    return 0;
}
#endif
