/* fuzz_stream: libFuzzer target for scrub_stream_feed/finish: framing, routing, accounting. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Build: make fuzz-stream  (clang -fsanitize=fuzzer,address,undefined, core in build-fuzz/)
 * Run:   build-fuzz/fuzz_stream -max_len=4096 -max_total_time=60 <scratch copy of corpus/stream>
 * Replay without libFuzzer: build with -DFUZZ_REPLAY_MAIN (any compiler) and pass files.
 *
 * Input layout: byte 0 picks the rule set (bits 6-7: 0 or 3 keyword rules on
 * raw records, 2 a keyword-less rule so every line is scanned, 1 JSON/logfmt
 * records with `format: auto`) and the chunking (bits 0-2); byte 1 seeds the
 * chunk sizes; the rest is the log stream.
 *
 * The stream runs three times: fed whole (the reference), fed in the chosen
 * chunks, and fed whole without a quarantine sink (quarantined records then
 * become marker lines in the clean output). The same bytes then go through a
 * scrub_pool (two scanning threads, the CLI's default path), committed in two
 * pieces split where byte 1 says. abort() when:
 *  - records_in != clean + quarantined + dropped, or records_in differs from
 *    the number of newline-framed records in the input, or bytes_in != length;
 *  - clean output, quarantine stream, audit stream or counters differ between
 *    the whole feed, the chunked feed and the pool (counters: stream feeds only);
 *  - FUZZ_SECRET (which the "secret" rule matches) appears in a clean output
 *    (for JSON/logfmt records: not right after a backslash, where a JSON
 *    escape such as \t consumes its first letter);
 *  - the clean output does not hold one line per forwarded record;
 *  - an audit finding lies outside its record or names no rule.
 * Nothing here prints input bytes.
 */

#include "scrub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_SECRET "tok_FUZZSECRET012345"

/* abort() naming the broken invariant (never the input bytes). */
#define FZ_CHECK(cond, what)                                                    \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "fuzz_stream: invariant broken: %s (line %d)\n", what, \
                    __LINE__);                                                  \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* Rule set A: every rule has keywords, so the prefilter picks the lines. */
static const char rules_keyword[] =
    "limits:\n"
    "  max_record: 256\n"
    "  match_limit: 20000\n"
    "hash:\n"
    "  key: fuzz-hash-key\n"
    "  length: 12\n"
    "rules:\n"
    "  - id: secret\n"
    "    regex: 'tok_[A-Za-z0-9]{16}'\n"
    "    keywords: [tok_]\n"
    "    action: redact\n"
    "    replacement: '[R:{id}]'\n"
    "  - id: pin\n"
    "    regex: '(?i)pin[=:]\\s*(\\w{4,})'\n"
    "    keywords: [pin]\n"
    "    secret_group: 1\n"
    "    action: mask\n"
    "    mask: {keep_start: 1, keep_end: 1, char: '#'}\n"
    "  - id: user\n"
    "    regex: 'user=(\\S+)'\n"
    "    keywords: [user=]\n"
    "    secret_group: 1\n"
    "    action: hash\n"
    "    replacement: '<u:{hash}>'\n"
    "  - id: ip\n"
    "    regex: '\\b(\\d{1,3}(?:\\.\\d{1,3}){3})\\b'\n"
    "    keywords: [from]\n"
    "    secret_group: 1\n"
    "    action: tag\n"
    "  - id: jndi\n"
    "    regex: '\\$\\{jndi:'\n"
    "    keywords: ['${jndi:']\n"
    "    action: quarantine\n"
    "  - id: l4j\n"
    "    detector: log4shell\n"
    "    action: quarantine\n"
    "  - id: health\n"
    "    regex: 'GET /healthz'\n"
    "    keywords: [healthz]\n"
    "    action: drop\n"
    "  - id: evil\n"
    "    regex: '^(a+)+b'\n"
    "    keywords: [aaaa]\n"
    "    action: redact\n";

/* Rule set B: a rule without keywords makes the stream scan every line. */
static const char rules_every_line[] =
    "limits:\n"
    "  max_record: 256\n"
    "  match_limit: 20000\n"
    "hash:\n"
    "  key: fuzz-hash-key\n"
    "rules:\n"
    "  - id: secret\n"
    "    regex: 'tok_[A-Za-z0-9]{16}'\n"
    "    action: redact\n"
    "  - id: kv\n"
    "    regex: '(?:password|passwd)=(\\S*)'\n"
    "    secret_group: 1\n"
    "    action: mask\n"
    "    mask: {keep_start: 2, keep_end: 0}\n"
    "  - id: drop-debug\n"
    "    regex: '^DEBUG '\n"
    "    action: drop\n"
    "  - id: jndi\n"
    "    regex: '\\$\\{jndi:'\n"
    "    action: quarantine\n";

/* Rule set C: structured records (JSON and logfmt found per record), key rules on. */
static const char rules_structured[] =
    "format: auto\n"
    "limits:\n"
    "  max_record: 256\n"
    "  max_depth: 8\n"
    "hash:\n"
    "  key: fuzz-hash-key\n"
    "rules:\n"
    "  - id: secret\n"
    "    regex: 'tok_[A-Za-z0-9]{16}'\n"
    "    keywords: [tok_]\n"
    "    action: redact\n"
    "  - id: user\n"
    "    regex: 'user=(\\S+)'\n"
    "    keywords: [user=]\n"
    "    secret_group: 1\n"
    "    action: hash\n"
    "  - id: l4j\n"
    "    detector: log4shell\n"
    "    action: quarantine\n"
    "  - id: health\n"
    "    regex: 'GET /healthz'\n"
    "    keywords: [healthz]\n"
    "    action: drop\n";

/* Harness state built once in LLVMFuzzerInitialize (test code: globals are fine here). */
static scrub_worker_t *workers[3];
static struct fz_pool *pools[3];

/* ---- a growable byte buffer --------------------------------------------------- */

typedef struct fz_buf {
    uint8_t *p;     /* bytes */
    size_t n;       /* used */
    size_t cap;     /* allocated */
} fz_buf_t;

static void buf_add(fz_buf_t *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) {
            cap *= 2;
        }
        b->p = realloc(b->p, cap);
        if (b->p == NULL) {
            abort();
        }
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->p + b->n, p, n);
        b->n += n;
    }
}

static void buf_addf(fz_buf_t *b, const char *fmt, unsigned long long a, unsigned long long c,
                     unsigned long long d, unsigned long long e)
{
    char tmp[160];
    int k = snprintf(tmp, sizeof(tmp), fmt, a, c, d, e);

    buf_add(b, tmp, (size_t)k);
}

static int buf_eq(const fz_buf_t *a, const fz_buf_t *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static int contains(const fz_buf_t *b, const char *needle)
{
    size_t k = strlen(needle);

    return b->n >= k && memmem(b->p, b->n, needle, k) != NULL;
}

/* Like contains(), but ignores occurrences right after a backslash: in a JSON
 * string "\\tok_..." is a tab and "ok_...", so the secret is not in the value. */
static int contains_unescaped(const fz_buf_t *b, const char *needle)
{
    size_t k = strlen(needle);
    const uint8_t *p = b->p;
    size_t left = b->n;
    const uint8_t *hit;

    while (left >= k && (hit = memmem(p, left, needle, k)) != NULL) {
        if (hit == b->p || hit[-1] != '\\') {
            return 1;
        }
        left -= (size_t)(hit + 1 - p);
        p = hit + 1;
    }
    return 0;
}

/* ---- sinks ------------------------------------------------------------------------ */

/* What one run produced. */
typedef struct fz_run {
    const scrub_ruleset_t *rs;  /* for rule counts */
    fz_buf_t clean;             /* clean output */
    fz_buf_t quar;              /* quarantine stream, normalised so pieces concatenate */
    fz_buf_t audit;             /* audit records */
    int in_piece;               /* between PART_FIRST and PART_LAST */
    uint64_t oversized;         /* records that arrived in pieces */
} fz_run_t;

static int on_clean(void *ctx, const uint8_t *p, size_t n)
{
    fz_run_t *r = ctx;

    buf_add(&r->clean, p, n);
    return 0;
}

static int on_quarantine(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                         const uint8_t *rec, size_t len)
{
    fz_run_t *r = ctx;

    FZ_CHECK(res->verdict == SCRUB_V_QUARANTINED, "quarantine sink got a non-quarantined record");
    switch (o->part) {
    case SCRUB_PART_WHOLE:
        FZ_CHECK(!r->in_piece, "whole record inside an oversized one");
        buf_addf(&r->quar, "W %llu %llu %llu %llu\n", o->record, o->offset,
                 (unsigned long long)res->failure, (unsigned long long)(res->failed_rule + 1));
        buf_add(&r->quar, rec, len);
        buf_add(&r->quar, "\n.\n", 3);
        break;
    case SCRUB_PART_FIRST:
        FZ_CHECK(!r->in_piece, "first piece inside an oversized record");
        FZ_CHECK(res->failure == SCRUB_FAIL_OVERSIZE, "pieces without an oversize failure");
        r->in_piece = 1;
        r->oversized++;
        buf_addf(&r->quar, "P %llu %llu %llu %llu\n", o->record, o->offset,
                 (unsigned long long)res->failure, 0);
        buf_add(&r->quar, rec, len);
        break;
    case SCRUB_PART_MIDDLE:
    case SCRUB_PART_LAST:
        FZ_CHECK(r->in_piece, "piece without a first piece");
        buf_add(&r->quar, rec, len);
        if (o->part == SCRUB_PART_LAST) {
            r->in_piece = 0;
            buf_add(&r->quar, "\n.\n", 3);
        }
        break;
    default:
        FZ_CHECK(0, "unknown origin part");
    }
    return 0;
}

static int on_audit(void *ctx, const scrub_origin_t *o, const scrub_finding_t *f,
                    const uint8_t *rec, size_t len)
{
    fz_run_t *r = ctx;

    (void)rec;
    FZ_CHECK(f->start <= f->end && f->end <= len, "audit finding outside its record");
    FZ_CHECK(f->rule < scrub_ruleset_count(r->rs), "audit finding names no rule");
    buf_addf(&r->audit, "%llu %llu %llu-%llu\n", o->record, f->rule, f->start, f->end);
    return 0;
}

/* ---- the pool ------------------------------------------------------------------------ */

/* A pool per rule set, made once: its sinks write into `run`, reset for every input. */
typedef struct fz_pool {
    scrub_pool_t *pl;        /* two scanning threads and the writer */
    scrub_stats_t *stats;    /* cumulative counts (merge_stats adds to them) */
    fz_run_t run;            /* the current input's outputs */
} fz_pool_t;

static fz_pool_t *pool_new(scrub_worker_t *w)
{
    fz_pool_t *p = calloc(1, sizeof(*p));
    scrub_sink_ops_t ops;

    FZ_CHECK(p != NULL, "pool allocation");
    memset(&ops, 0, sizeof(ops));
    ops.clean = on_clean;
    ops.quarantine = on_quarantine;
    ops.audit = on_audit;
    ops.ctx = &p->run;
    p->run.rs = scrub_worker_ruleset(w);
    p->stats = scrub_stats_new(p->run.rs);
    p->pl = p->stats ? scrub_pool_new(scrub_worker_ruleset(w), 2, &ops, p->stats) : NULL;
    FZ_CHECK(p->pl != NULL, "pool creation");
    return p;
}

/*
 * Commit in[0, n) to the pool in two pieces split at `split`. The pool's
 * counters are not compared: scrub_pool_merge_stats() replaces the threads'
 * stats blocks while their recorder streams keep the old pointers, so a pool
 * cannot take more input after it (use after free); the pool is only merged
 * and destroyed at exit, as the CLI does.
 */
static void run_pool(fz_pool_t *p, const uint8_t *in, size_t n, size_t split)
{
    size_t pos = 0;

    p->run.clean.n = 0;
    p->run.quar.n = 0;
    p->run.audit.n = 0;
    p->run.in_piece = 0;
    p->run.oversized = 0;
    scrub_pool_set_origin(p->pl, "fuzz");
    while (pos < n) {
        size_t cap, k;
        uint8_t *buf = scrub_pool_buffer(p->pl, &cap);
        k = (pos < split ? split : n) - pos;
        k = k < cap ? k : cap;
        FZ_CHECK(buf != NULL && cap > 0, "pool buffer");
        memcpy(buf, in + pos, k);
        FZ_CHECK(scrub_pool_commit(p->pl, k) == 0, "pool commit failed");
        pos += k;
    }
    FZ_CHECK(scrub_pool_finish(p->pl) == 0, "pool finish failed");
    FZ_CHECK(!p->run.in_piece, "oversized record never ended (pool)");
}

/* ---- one run ------------------------------------------------------------------------ */

/* Next chunk length for mode `mode` (seeded by *seed), at least 1. */
static size_t chunk_len(int mode, unsigned *seed, size_t left)
{
    size_t k;

    *seed = *seed * 1103515245u + 12345u;
    switch (mode) {
    case 0:
        k = 1;                                    /* byte by byte */
        break;
    case 1:
        k = 2;
        break;
    case 2:
        k = 1 + (*seed >> 16) % 7;                /* small random */
        break;
    case 3:
        k = 1 + (*seed >> 16) % 300;              /* around max_record */
        break;
    case 4:
        k = 255 + (*seed >> 16) % 5;              /* just below/above max_record + 2 */
        break;
    case 5:
        k = (*seed >> 16) % 2 ? 1 : 64;           /* mixed */
        break;
    default:
        k = 1 + (*seed >> 16) % 1024;
        break;
    }
    return k < left ? k : left;
}

/* Feed in[0, n) to a fresh stream; mode < 0 feeds it in one call. */
static void run(scrub_worker_t *w, const uint8_t *in, size_t n, int mode, unsigned seed,
                int with_quarantine, fz_run_t *r, scrub_counts_t *counts)
{
    scrub_sink_ops_t ops;
    scrub_stats_t *st;
    scrub_stream_t *s;
    size_t pos = 0;

    memset(r, 0, sizeof(*r));
    r->rs = scrub_worker_ruleset(w);
    memset(&ops, 0, sizeof(ops));
    ops.clean = on_clean;
    ops.quarantine = with_quarantine ? on_quarantine : NULL;
    ops.audit = on_audit;
    ops.ctx = r;
    st = scrub_stats_new(r->rs);
    s = st ? scrub_stream_new(w, &ops, st, "fuzz") : NULL;
    FZ_CHECK(s != NULL, "stream allocation");
    if (mode < 0) {
        FZ_CHECK(scrub_stream_feed(s, in, n) == 0, "feed failed");
    }
    else {
        while (pos < n) {
            size_t k = chunk_len(mode, &seed, n - pos);
            FZ_CHECK(scrub_stream_feed(s, in + pos, k) == 0, "chunked feed failed");
            pos += k;
        }
    }
    FZ_CHECK(scrub_stream_finish(s) == 0, "finish failed");
    FZ_CHECK(!r->in_piece, "oversized record never ended");
    *counts = *scrub_stats_counts(st);
    scrub_stream_destroy(s);
    scrub_stats_destroy(st);
}

static void run_free(fz_run_t *r)
{
    free(r->clean.p);
    free(r->quar.p);
    free(r->audit.p);
}

/* Lines in a clean output: newlines, plus a final unterminated line. */
static uint64_t lines(const fz_buf_t *b)
{
    uint64_t k = 0;
    size_t i;

    for (i = 0; i < b->n; i++) {
        k += b->p[i] == '\n';
    }
    return k + (b->n > 0 && b->p[b->n - 1] != '\n');
}

/* Records in in[0, n) whose content (without "\n" or "\r\n") exceeds max. */
static uint64_t oversized(const uint8_t *in, size_t n, size_t max)
{
    uint64_t k = 0;
    size_t pos = 0;

    while (pos < n) {
        const uint8_t *nl = memchr(in + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - in) : n;
        size_t c = end - pos;
        if (nl != NULL && c > 0 && in[end - 1] == '\r') {
            c--;
        }
        k += c > max;
        pos = end + 1;
    }
    return k;
}

static void check_counts(const scrub_counts_t *c, const uint8_t *in, size_t n)
{
    uint64_t records = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        records += in[i] == '\n';
    }
    records += n > 0 && in[n - 1] != '\n';
    FZ_CHECK(c->records_in == c->clean + c->quarantined + c->dropped,
             "records_in != clean + quarantined + dropped");
    FZ_CHECK(c->records_in == records, "records_in != newline-framed records");
    FZ_CHECK(c->bytes_in == n, "bytes_in != input length");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static scrub_worker_t *load(const char *yaml)
{
    char path[] = "/tmp/fuzz_stream_XXXXXX";
    char err[512];
    scrub_load_opts_t lo;
    scrub_ruleset_t *rs = NULL;
    scrub_worker_t *w;
    size_t len = strlen(yaml);
    int fd = mkstemp(path);

    if (fd < 0 || write(fd, yaml, len) != (ssize_t)len || close(fd) != 0) {
        fprintf(stderr, "fuzz_stream: cannot write %s\n", path);
        abort();
    }
    memset(&lo, 0, sizeof(lo));
    if (scrub_ruleset_load(path, &lo, &rs, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_stream: built-in rules: %s\n", err);
        abort();
    }
    unlink(path);
    w = scrub_worker_new(rs);
    scrub_ruleset_unref(rs); /* the worker holds its own reference */
    if (w == NULL) {
        abort();
    }
    return w;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    workers[0] = load(rules_keyword);
    workers[1] = load(rules_structured);
    workers[2] = load(rules_every_line);
    pools[0] = pool_new(workers[0]);
    pools[1] = pool_new(workers[1]);
    pools[2] = pool_new(workers[2]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scrub_counts_t c_whole, c_chunk, c_marker;
    fz_pool_t *pool;
    fz_run_t whole, chunk, marker;
    scrub_worker_t *w;
    const uint8_t *in;
    size_t n;
    int mode;

    if (size < 2) {
        return 0;
    }
    w = workers[(data[0] >> 6) % 3];
    pool = pools[(data[0] >> 6) % 3];
    mode = data[0] & 7;
    in = data + 2;
    n = size - 2;

    run(w, in, n, -1, 0, 1, &whole, &c_whole);
    run(w, in, n, mode, data[1], 1, &chunk, &c_chunk);
    run(w, in, n, -1, 0, 0, &marker, &c_marker);
    run_pool(pool, in, n, n * data[1] / 256);

    check_counts(&c_whole, in, n);
    check_counts(&c_chunk, in, n);
    check_counts(&c_marker, in, n);
    FZ_CHECK(whole.oversized == oversized(in, n, scrub_ruleset_max_record(whole.rs)),
             "a record longer than max_record was not quarantined whole-feed");
    FZ_CHECK(buf_eq(&whole.clean, &chunk.clean), "clean output depends on chunking");
    FZ_CHECK(buf_eq(&whole.quar, &chunk.quar), "quarantine depends on chunking");
    FZ_CHECK(buf_eq(&whole.audit, &chunk.audit), "audit depends on chunking");
    FZ_CHECK(memcmp(&c_whole, &c_chunk, sizeof(c_whole)) == 0, "counters depend on chunking");
    FZ_CHECK(buf_eq(&whole.clean, &pool->run.clean), "pool clean output differs from the stream");
    FZ_CHECK(buf_eq(&whole.quar, &pool->run.quar), "pool quarantine differs from the stream");
    FZ_CHECK(buf_eq(&whole.audit, &pool->run.audit), "pool audit differs from the stream");
    FZ_CHECK(pool->run.oversized == whole.oversized, "pool and stream split records differently");
    if (w == workers[1]) {
        FZ_CHECK(!contains_unescaped(&whole.clean, FUZZ_SECRET) &&
                 !contains_unescaped(&marker.clean, FUZZ_SECRET),
                 "the test secret reached the clean output");
    }
    else {
        FZ_CHECK(!contains(&whole.clean, FUZZ_SECRET) && !contains(&marker.clean, FUZZ_SECRET),
                 "the test secret reached the clean output");
    }
    FZ_CHECK(lines(&whole.clean) == c_whole.clean, "clean output lines != clean records");
    FZ_CHECK(lines(&marker.clean) == c_marker.clean + c_marker.quarantined,
             "clean output lines != clean + quarantined records (marker mode)");
    run_free(&whole);
    run_free(&chunk);
    run_free(&marker);
    return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Replay files through the target (no libFuzzer). */
int main(int argc, char **argv)
{
    int i;

    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        fz_buf_t b = {NULL, 0, 0};
        uint8_t tmp[4096];
        size_t k;

        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0) {
            buf_add(&b, tmp, k);
        }
        fclose(f);
        LLVMFuzzerTestOneInput(b.p ? b.p : (const uint8_t *)"", b.n);
        free(b.p);
    }
    for (i = 0; i < 3; i++) {
        scrub_pool_merge_stats(pools[i]->pl);
        scrub_pool_destroy(pools[i]->pl);
        scrub_stats_destroy(pools[i]->stats);
        free(pools[i]->run.clean.p);
        free(pools[i]->run.quar.p);
        free(pools[i]->run.audit.p);
        free(pools[i]);
    }
    scrub_worker_destroy(workers[0]);
    scrub_worker_destroy(workers[1]);
    scrub_worker_destroy(workers[2]);
    printf("fuzz_stream: %d inputs replayed\n", argc - 1);
    return 0;
}
#endif
