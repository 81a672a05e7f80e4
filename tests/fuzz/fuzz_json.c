/* fuzz_json: libFuzzer target for scrub_json_walk and scrub_json_escape. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Build: clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ifilter \
 *            tests/fuzz/fuzz_json.c filter/scrub_json.c filter/scrub_buf.c -o fuzz_json
 * Run:   ./fuzz_json -max_total_time=180 tests/fuzz/corpus/json
 * Replay without libFuzzer: build with -DFUZZ_JSON_MAIN (any compiler) and pass files.
 *
 * Checks, for every input:
 *  - the walk never crashes and its token spans are well-formed and in order;
 *  - each token's escaped decoded text, in quotes, is one valid JSON string that
 *    decodes to the same text (when that text is valid UTF-8);
 *  - for a valid text, replacing every string token by its re-escaped form (what
 *    the rewriter does) gives valid JSON with the same token structure.
 */

#include "scrub.h"
#include "scrub_buf.h"
#include "scrub_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz {
    const uint8_t *in;      /* the fuzz input */
    size_t n;               /* its length */
    scrub_json_t *inner;    /* walker for the single-string checks */
    scrub_buf_t esc;        /* "escaped" scratch */
    scrub_buf_t rewritten;  /* the input with every string re-escaped */
    size_t copied;          /* input bytes copied into rewritten so far */
    size_t last_end;        /* raw_end of the previous token */
    scrub_buf_t tokens;     /* is_key, depth, path and dec of each token, serialized */
    scrub_buf_t got;        /* decoded text seen by the inner walk */
    int inner_count;        /* tokens seen by the inner walk */
};

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    size_t len;
    size_t k;
    uint8_t lo;
    uint8_t hi;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        lo = 0x80;
        hi = 0xBF;
        if (s[i] >= 0xC2 && s[i] <= 0xDF) {
            len = 2;
        }
        else if (s[i] >= 0xE0 && s[i] <= 0xEF) {
            len = 3;
            lo = s[i] == 0xE0 ? 0xA0 : 0x80;
            hi = s[i] == 0xED ? 0x9F : 0xBF;
        }
        else if (s[i] >= 0xF0 && s[i] <= 0xF4) {
            len = 4;
            lo = s[i] == 0xF0 ? 0x90 : 0x80;
            hi = s[i] == 0xF4 ? 0x8F : 0xBF;
        }
        else {
            return 0;
        }
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi) {
            return 0;
        }
        for (k = 2; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
        }
        i += len;
    }
    return 1;
}

static int inner_cb(void *ud, const scrub_json_tok_t *tok)
{
    struct fz *f = ud;

    f->inner_count++;
    if (tok->is_key || tok->depth != 0 || tok->key != NULL || tok->path_len != 0) {
        abort();
    }
    scrub_buf_reset(&f->got);
    if (scrub_buf_append(&f->got, tok->dec, tok->dec_len) != 0) {
        abort();
    }
    return 0;
}

/* Pass-1 record of one token, checked against the rewritten text in pass 2:
 * kind, depth, whether the path is valid UTF-8 (then the rewrite keeps it), the
 * path in that case, and the text the re-escaped token decodes to. */
static void record(scrub_buf_t *b, const scrub_json_tok_t *tok, const scrub_buf_t *got)
{
    uint8_t hdr[3];

    hdr[0] = (uint8_t)tok->is_key;
    hdr[1] = (uint8_t)tok->depth;
    hdr[2] = (uint8_t)utf8_ok(tok->path, tok->path_len);
    scrub_buf_append(b, hdr, 3);
    scrub_buf_append(b, &got->len, sizeof(got->len));
    scrub_buf_append(b, got->data, got->len);
    if (hdr[2]) {
        scrub_buf_append(b, &tok->path_len, sizeof(tok->path_len));
        scrub_buf_append(b, tok->path, tok->path_len);
    }
}

/* Cursor over the pass-1 records. */
struct cursor {
    const scrub_buf_t *rec;  /* pass-1 records */
    size_t pos;              /* read position */
};

static void expect_bytes(struct cursor *c, const void *p, size_t n)
{
    if (c->rec->len - c->pos < n || (n != 0 && memcmp(c->rec->data + c->pos, p, n) != 0)) {
        abort();
    }
    c->pos += n;
}

static int outer_cb(void *ud, const scrub_json_tok_t *tok)
{
    struct fz *f = ud;
    size_t i;
    int has_bs = 0;
    size_t off;
    int rc;

    /* Spans: in order, quoted, inside the input. */
    if (tok->raw_start < f->last_end || tok->raw_end > f->n
        || tok->raw_end < tok->raw_start + 2 || f->in[tok->raw_start] != '"'
        || f->in[tok->raw_end - 1] != '"') {
        abort();
    }
    if (tok->path == NULL || (tok->dec == NULL && tok->dec_len != 0)) {
        abort();
    }
    if (tok->is_key && tok->key != NULL) {
        abort();
    }
    if (tok->key != NULL
        && (tok->key_len > tok->path_len
            || memcmp(tok->key, tok->path + tok->path_len - tok->key_len, tok->key_len) != 0)) {
        abort();
    }
    for (i = tok->raw_start + 1; i + 1 < tok->raw_end; i++) {
        has_bs |= f->in[i] == '\\';
    }
    /* Without a backslash the text is the raw inside, reported in place for values
     * (keys are copied into the path). */
    if (!has_bs && (tok->dec_len != tok->raw_end - tok->raw_start - 2
                    || (tok->dec_len != 0
                        && memcmp(tok->dec, f->in + tok->raw_start + 1, tok->dec_len) != 0)
                    || (!tok->is_key && tok->dec != f->in + tok->raw_start + 1))) {
        abort();
    }
    f->last_end = tok->raw_end;

    /* Escape, wrap and walk again. */
    scrub_buf_reset(&f->esc);
    if (scrub_buf_putc(&f->esc, '"') != 0 || scrub_json_escape(&f->esc, tok->dec, tok->dec_len) != 0
        || scrub_buf_putc(&f->esc, '"') != 0) {
        abort();
    }
    f->inner_count = 0;
    rc = scrub_json_walk(f->inner, f->esc.data, f->esc.len, inner_cb, f, &off);
    if (rc != 0 || f->inner_count != 1) {
        abort();
    }
    if (utf8_ok(tok->dec, tok->dec_len) && (f->got.len != tok->dec_len
                    || (tok->dec_len != 0 && memcmp(f->got.data, tok->dec, tok->dec_len) != 0))) {
        abort();
    }
    if (!utf8_ok(f->got.data, f->got.len)) {
        abort();
    }

    /* Rewrite: copy the bytes before the token, then the re-escaped token. */
    scrub_buf_append(&f->rewritten, f->in + f->copied, tok->raw_start - f->copied);
    scrub_buf_append(&f->rewritten, f->esc.data, f->esc.len);
    f->copied = tok->raw_end;
    record(&f->tokens, tok, &f->got);
    return 0;
}

/* Second pass over the rewritten text: it must match the pass-1 records. */
static int check_cb(void *ud, const scrub_json_tok_t *tok)
{
    struct cursor *c = ud;
    uint8_t hdr[2];
    int path_kept;

    hdr[0] = (uint8_t)tok->is_key;
    hdr[1] = (uint8_t)tok->depth;
    expect_bytes(c, hdr, 2);
    if (c->pos >= c->rec->len) {
        abort();
    }
    path_kept = c->rec->data[c->pos++];
    expect_bytes(c, &tok->dec_len, sizeof(tok->dec_len));
    expect_bytes(c, tok->dec, tok->dec_len);
    if (path_kept) {
        expect_bytes(c, &tok->path_len, sizeof(tok->path_len));
        expect_bytes(c, tok->path, tok->path_len);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f;
    scrub_json_t *j;
    struct cursor cur;
    size_t off = (size_t)-1;
    int rc;
    int rc2;
    unsigned depth = size > 0 ? (data[0] & 7) + 1 : 0;

    memset(&f, 0, sizeof(f));
    f.in = data;
    f.n = size;
    scrub_buf_init(&f.esc, 0);
    scrub_buf_init(&f.rewritten, 0);
    scrub_buf_init(&f.tokens, 0);
    scrub_buf_init(&f.got, 0);
    f.inner = scrub_json_new(0);
    j = scrub_json_new(0);
    if (f.inner == NULL || j == NULL) {
        abort();
    }

    rc = scrub_json_walk(j, data, size, outer_cb, &f, &off);
    if (rc != 0 && rc != SCRUB_EJSON && rc != SCRUB_EDEPTH) {
        abort();
    }
    if (rc != 0 && off > size) {
        abort();
    }
    /* Validation alone agrees with the walk with callbacks. */
    if (scrub_json_walk(j, data, size, NULL, NULL, NULL) != rc) {
        abort();
    }
    if (rc == 0) {
        scrub_buf_append(&f.rewritten, data + f.copied, size - f.copied);
        cur.rec = &f.tokens;
        cur.pos = 0;
        rc2 = scrub_json_walk(j, f.rewritten.data, f.rewritten.len, check_cb, &cur, &off);
        if (rc2 != 0 || cur.pos != f.tokens.len) {
            abort();
        }
        /* Any valid text is also valid under a tighter depth limit, or fails with
         * SCRUB_EDEPTH, never SCRUB_EJSON. */
        scrub_json_destroy(j);
        j = scrub_json_new(depth);
        rc2 = scrub_json_walk(j, data, size, NULL, NULL, &off);
        if (rc2 != 0 && rc2 != SCRUB_EDEPTH) {
            abort();
        }
    }
    scrub_json_looks_like(data, size);

    scrub_json_destroy(j);
    scrub_json_destroy(f.inner);
    scrub_buf_free(&f.esc);
    scrub_buf_free(&f.rewritten);
    scrub_buf_free(&f.tokens);
    scrub_buf_free(&f.got);
    return 0;
}

#ifdef FUZZ_JSON_MAIN
/* Replay files through the target without libFuzzer (any compiler):
 * cc -DFUZZ_JSON_MAIN -Ifilter tests/fuzz/fuzz_json.c filter/scrub_json.c filter/scrub_buf.c */
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
        if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
            fprintf(stderr, "%s: cannot size file\n", argv[i]);
            fclose(f);
            return 1;
        }
        buf = malloc(len > 0 ? (size_t)len : 1);
        if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
            fprintf(stderr, "%s: read error\n", argv[i]);
            free(buf);
            fclose(f);
            return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
        n++;
    }
    printf("fuzz_json: %d corpus files replayed\n", n);
    return 0;
}
#endif
