/* scrub_pool: blocks of whole records scanned by N threads, written in order by one writer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_buf.h"
#include "scrub_ruleset_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Shape: the caller (reader) fills a block through scrub_pool_buffer/commit;
 * complete lines are queued, the unfinished tail moves to the next block.
 * Worker threads each run an ordinary scrub_stream over a block with
 * "recorder" sinks that note what to write (clean spans point into the
 * block: no copy) and the writer thread replays the notes through the
 * caller's sinks in block order. A fixed set of blocks bounds memory: the
 * reader waits for a free block when the writer or the workers lag.
 * Lines longer than max_record never need a whole block: the reader sends
 * them to the writer as quarantine pieces.
 *
 * Record mode (scrub_pool_new_records) uses the same blocks, threads and
 * writer for whole records that the caller owns (Kafka messages): a block
 * holds up to POOL_BLOCK_RECORDS borrowed records instead of bytes, a worker
 * scans each with scrub_worker_scan (no framing), and the writer hands every
 * result to the caller's record callback in submission order.
 */

enum { B_FREE, B_FILLING, B_QUEUED, B_WORKING, B_DONE };
enum { POOL_BLOCK_RECORDS = 256 }; /* record mode: records per block */
enum { SEG_CLEAN, SEG_CLEAN_COPY, SEG_QUAR, SEG_AUDIT };

typedef struct seg {
    int kind;                /* SEG_* */
    size_t off;              /* CLEAN: offset in block data; COPY/QUAR/AUDIT: in block copy buf */
    size_t len;              /* bytes */
    int in_block;            /* QUAR/AUDIT: off refers to block data rather than the copy buf */
    scrub_origin_t origin;   /* QUAR/AUDIT: record-relative origin (name set by the writer) */
    scrub_verdict_t verdict; /* QUAR */
    scrub_failure_t failure; /* QUAR */
    int failed_rule;         /* QUAR */
    size_t f_first;          /* QUAR/AUDIT: first finding in the block's finding list */
    size_t f_count;          /* QUAR: number of findings; AUDIT: 1 */
} seg_t;

/* Record mode: one borrowed record and its result. */
typedef struct rec {
    scrub_record_t in;       /* the caller's record (bytes borrowed) */
    scrub_verdict_t verdict; /* result fields, see scrub_result_t */
    scrub_failure_t failure;
    int failed_rule;
    int fallback;
    int out_copied;          /* out lives in the block's copy buffer at out_off (else it is in.data) */
    size_t out_off;
    size_t out_len;
    size_t f_first;          /* findings in the block's finding list */
    size_t f_count;
} rec_t;

typedef struct block {
    int state;               /* B_* */
    uint64_t seq;            /* order of submission */
    uint8_t *data;           /* bytes: own, or the caller's while lent (scrub_pool_lend) */
    uint8_t *own;            /* the block's buffer, capacity pool->cap */
    size_t len;              /* bytes filled */
    size_t work_len;         /* bytes handed to the workers (whole lines, or all when final) */
    int final;               /* last block of an input: may end without newline */
    const char *origin;      /* input name (borrowed from the caller) */
    int new_input;           /* first block of a new input: numbering restarts */
    scrub_ruleset_t *rs;     /* rule set for this block (referenced while queued) */
    /* oversized record pieces, handled by the writer */
    int piece;               /* 0 or SCRUB_PART_FIRST/MIDDLE/LAST for data[0, piece_len) */
    size_t piece_len;
    /* results */
    seg_t *segs;
    size_t nsegs, segs_cap;
    scrub_buf_t copy;        /* bytes that do not live in data */
    scrub_finding_t *f;      /* findings referenced by segs */
    size_t nf, f_cap;
    uint64_t records;        /* records counted by the worker */
    int err;                 /* recorder allocation failure */
    rec_t *recs;             /* record mode: POOL_BLOCK_RECORDS slots, else NULL */
    size_t nrecs;            /* records in this block (0: a block of bytes) */
} block_t;

typedef struct pthr {
    struct scrub_pool *pool; /* back pointer */
    pthread_t tid;
    scrub_worker_t *w;       /* this thread's scanning state */
    scrub_stats_t *stats;    /* this thread's counters */
    scrub_stream_t *s;       /* stream with recorder sinks */
    block_t *cur;            /* block being processed */
} pthr_t;

struct scrub_pool {
    scrub_ruleset_t *rs;     /* referenced */
    scrub_sink_ops_t ops;    /* caller's sinks, called by the writer only */
    scrub_record_fn rec_fn;  /* record mode: the result callback (writer only), else NULL */
    void *rec_ctx;           /* its context */
    scrub_stats_t *stats;    /* caller's counters (merged at finish); NULL in record mode */
    scrub_stats_t *wstats;   /* writer's counters (oversized records) */
    size_t max_record;
    size_t cap;              /* block size */
    block_t *blocks;
    size_t nblocks;
    pthr_t *thr;
    unsigned nthreads;
    pthread_t writer;
    int writer_started;      /* the writer thread runs */
    int dirty;               /* the writer wrote since its last flush */
    int flushing;            /* the writer is inside ops.flush (sinks busy) */
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* any state change */
    block_t *fill;           /* block being filled by the reader, or NULL */
    uint64_t next_seq;       /* next submission number */
    uint64_t next_write;     /* next block the writer emits */
    int stop;                /* shut down threads */
    int err;                 /* first sink error (sticky) */
    const char *origin;      /* current input name */
    int new_input;           /* next block starts a new input */
    int in_oversize;         /* the reader is inside an oversized record */
    /* writer-side numbering */
    uint64_t w_records;      /* records written before the current block, this input */
    uint64_t w_offset;       /* bytes before the current block, this input */
    uint64_t over_len;       /* bytes of the oversized record so far */
};

/* ---- recorder sinks (worker threads) ------------------------------------------ */

static seg_t *add_seg(block_t *b)
{
    if (b->nsegs == b->segs_cap) {
        size_t ncap = b->segs_cap ? b->segs_cap * 2 : 64;
        seg_t *ns = realloc(b->segs, ncap * sizeof(*ns));
        if (ns == NULL) {
            b->err = SCRUB_ENOMEM;
            return NULL;
        }
        b->segs = ns;
        b->segs_cap = ncap;
    }
    memset(&b->segs[b->nsegs], 0, sizeof(seg_t));
    return &b->segs[b->nsegs++];
}

static int in_data(const block_t *b, const uint8_t *p)
{
    return p >= b->data && p < b->data + b->len;
}

/* Reference bytes in the block, or copy them; fills off/in_block. */
static int keep_bytes(block_t *b, seg_t *sg, const uint8_t *p, size_t n)
{
    if (n == 0 || in_data(b, p)) {
        sg->off = n ? (size_t)(p - b->data) : 0;
        sg->in_block = 1;
        return 0;
    }
    sg->off = b->copy.len;
    sg->in_block = 0;
    return scrub_buf_append(&b->copy, p, n);
}

static int add_findings(block_t *b, const scrub_finding_t *f, size_t n)
{
    if (n == 0) {
        return 0;
    }
    if (b->nf + n > b->f_cap) {
        size_t ncap = (b->nf + n) * 2 + 16;
        scrub_finding_t *nf = realloc(b->f, ncap * sizeof(*nf));
        if (nf == NULL) {
            return SCRUB_ENOMEM;
        }
        b->f = nf;
        b->f_cap = ncap;
    }
    memcpy(b->f + b->nf, f, n * sizeof(*f));
    b->nf += n;
    return 0;
}

static int rec_clean(void *ctx, const uint8_t *p, size_t n)
{
    block_t *b = ((pthr_t *)ctx)->cur;
    seg_t *sg = add_seg(b);
    int rc;

    if (sg == NULL) {
        return SCRUB_ENOMEM;
    }
    sg->len = n;
    rc = keep_bytes(b, sg, p, n);
    sg->kind = sg->in_block ? SEG_CLEAN : SEG_CLEAN_COPY;
    return rc;
}

/* Note a record for the writer: its origin, its bytes (referenced or copied)
 * and its findings. *out is the new segment (NULL on ENOMEM). */
static int rec_record(void *ctx, int kind, const scrub_origin_t *o, const uint8_t *rec,
                      size_t len, const scrub_finding_t *f, size_t nf, seg_t **out)
{
    block_t *b = ((pthr_t *)ctx)->cur;
    seg_t *sg = add_seg(b);
    int rc;

    *out = sg;
    if (sg == NULL) {
        return SCRUB_ENOMEM;
    }
    sg->kind = kind;
    sg->origin = *o;
    sg->len = len;
    sg->f_first = b->nf;
    sg->f_count = nf;
    rc = keep_bytes(b, sg, rec, len);
    return rc ? rc : add_findings(b, f, nf);
}

static int rec_quarantine(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                          const uint8_t *rec, size_t len)
{
    seg_t *sg;
    int rc = rec_record(ctx, SEG_QUAR, o, rec, len, res->findings, res->nfindings, &sg);

    if (sg != NULL) {
        sg->verdict = res->verdict;
        sg->failure = res->failure;
        sg->failed_rule = res->failed_rule;
    }
    return rc;
}

static int rec_audit(void *ctx, const scrub_origin_t *o, const scrub_finding_t *f,
                     const uint8_t *rec, size_t len)
{
    seg_t *sg;

    return rec_record(ctx, SEG_AUDIT, o, rec, len, f, 1, &sg);
}

/* ---- worker threads --------------------------------------------------------------- */

/* A stream whose sinks record into the thread's current block. Without a
 * quarantine (or audit) sink the caller's choice is kept: markers go inline. */
static scrub_stream_t *new_recorder_stream(pthr_t *t)
{
    scrub_sink_ops_t rops;

    memset(&rops, 0, sizeof(rops));
    rops.clean = rec_clean;
    rops.quarantine = t->pool->ops.quarantine ? rec_quarantine : NULL;
    rops.audit = t->pool->ops.audit ? rec_audit : NULL;
    rops.ctx = t;
    return scrub_stream_new(t->w, &rops, t->stats, "");
}

/* Hot reload: this thread moves to the block's rule set. Its counters so far go
 * to the caller's stats under the lock. Returns 0 or SCRUB_ENOMEM. */
static int switch_ruleset(pthr_t *t, scrub_ruleset_t *rs)
{
    scrub_worker_t *w = scrub_worker_new(rs);
    scrub_stats_t *st = scrub_stats_new(rs);

    if (w == NULL || st == NULL) {
        scrub_worker_destroy(w);
        scrub_stats_destroy(st);
        return SCRUB_ENOMEM;
    }
    pthread_mutex_lock(&t->pool->mu);
    if (t->pool->stats != NULL) {
        scrub_stats_merge(t->pool->stats, t->stats);
    }
    pthread_mutex_unlock(&t->pool->mu);
    scrub_stats_destroy(t->stats);
    t->stats = st;
    scrub_stream_destroy(t->s);
    scrub_worker_destroy(t->w);
    t->w = w;
    t->s = new_recorder_stream(t);
    return t->s ? 0 : SCRUB_ENOMEM;
}

/* Record mode: scan each record on its own (no framing) and note the result.
 * A result that cannot be noted (no memory) fails closed: the record is
 * quarantined whole, without findings. */
static void process_records(pthr_t *t, block_t *b)
{
    static const uint8_t empty[1];
    size_t i;

    for (i = 0; i < b->nrecs; i++) {
        rec_t *r = &b->recs[i];
        const uint8_t *p = r->in.data != NULL ? r->in.data : empty;
        scrub_result_t res;

        scrub_worker_scan(t->w, p, r->in.len, &res);
        r->verdict = res.verdict;
        r->failure = res.failure;
        r->failed_rule = res.failed_rule;
        r->fallback = res.fallback;
        r->out_copied = res.out != p;
        r->out_off = b->copy.len;
        r->out_len = res.out_len;
        r->f_first = b->nf;
        r->f_count = res.nfindings;
        if ((r->out_copied && scrub_buf_append(&b->copy, res.out, res.out_len) != 0) ||
            add_findings(b, res.findings, res.nfindings) != 0) {
            r->verdict = SCRUB_V_QUARANTINED;
            r->failure = SCRUB_FAIL_NOMEM;
            r->failed_rule = -1;
            r->out_copied = 0;
            r->out_len = r->in.len;
            r->f_count = 0;
            b->nf = r->f_first;
        }
    }
}

static void process_block(pthr_t *t, block_t *b)
{
    size_t start = b->piece ? b->piece_len : 0;
    int rc;

    if (b->rs != NULL && b->rs != scrub_worker_ruleset(t->w) && switch_ruleset(t, b->rs) != 0) {
        b->err = SCRUB_ENOMEM;
        return;
    }
    if (b->nrecs > 0) {
        process_records(t, b);
        return;
    }
    t->cur = b;
    scrub_stream_set_origin(t->s, "");
    rc = scrub_stream_feed(t->s, b->data + start, b->work_len - start);
    if (rc == 0) {
        rc = scrub_stream_finish(t->s);
    }
    b->records = scrub_stream_records(t->s);
    if (rc != 0 && b->err == 0) {
        b->err = rc;
    }
    /* A failed recorder leaves the stream dead: start a fresh one for the next block. */
    if (rc != 0) {
        scrub_stream_destroy(t->s);
        t->s = new_recorder_stream(t);
    }
}

static void *worker_main(void *arg)
{
    pthr_t *t = arg;
    scrub_pool_t *pl = t->pool;

    pthread_mutex_lock(&pl->mu);
    for (;;) {
        block_t *b = NULL;
        size_t i;
        uint64_t best = UINT64_MAX;
        for (i = 0; i < pl->nblocks; i++) {
            if (pl->blocks[i].state == B_QUEUED && pl->blocks[i].seq < best) {
                best = pl->blocks[i].seq;
                b = &pl->blocks[i];
            }
        }
        if (b == NULL) {
            if (pl->stop) {
                break;
            }
            pthread_cond_wait(&pl->cv, &pl->mu);
            continue;
        }
        b->state = B_WORKING;
        pthread_mutex_unlock(&pl->mu);
        if (t->s == NULL) {
            b->err = SCRUB_ENOMEM;
        }
        else {
            process_block(t, b);
        }
        pthread_mutex_lock(&pl->mu);
        b->state = B_DONE;
        pthread_cond_broadcast(&pl->cv);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* ---- writer thread ------------------------------------------------------------------ */

/* Emit one piece of an oversized record through the quarantine sink. */
static int write_piece(scrub_pool_t *pl, block_t *b)
{
    scrub_result_t res;
    scrub_origin_t o;
    int rc = 0;

    memset(&res, 0, sizeof(res));
    res.verdict = SCRUB_V_QUARANTINED;
    res.failure = SCRUB_FAIL_OVERSIZE;
    res.failed_rule = -1;
    if (b->piece == SCRUB_PART_FIRST) {
        pl->over_len = 0;
    }
    o.name = b->origin;
    o.rs = b->rs ? b->rs : pl->rs;
    o.record = pl->w_records + 1;
    o.offset = pl->w_offset - pl->over_len;
    o.part = b->piece;
    pl->over_len += b->piece_len;
    pl->w_offset += b->piece_len;
    if (pl->ops.quarantine != NULL) {
        rc = pl->ops.quarantine(pl->ops.ctx, &o, &res, b->data, b->piece_len);
    }
    else if (b->piece == SCRUB_PART_LAST) {
        const char *m = pl->rs->format == SCRUB_FMT_JSON || pl->rs->format == SCRUB_FMT_AUTO
                            ? "{\"logscrub_quarantined\":\"oversize\"}\n"
                            : "[QUARANTINED:oversize]\n";
        rc = pl->ops.clean(pl->ops.ctx, (const uint8_t *)m, strlen(m));
    }
    if (b->piece == SCRUB_PART_LAST) {
        pl->w_records++;
        scrub_stats_add(pl->wstats, &res, (size_t)pl->over_len);
    }
    return rc;
}

/* Record mode: every result to the caller's callback, in order; stops at its first error. */
static int write_records(scrub_pool_t *pl, block_t *b)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < b->nrecs; i++) {
        const rec_t *r = &b->recs[i];
        scrub_result_t res;

        memset(&res, 0, sizeof(res));
        res.verdict = r->verdict;
        res.failure = r->failure;
        res.failed_rule = r->failed_rule;
        res.fallback = r->fallback;
        res.in_len = r->in.len;
        res.out = !r->out_copied ? r->in.data
                  : r->out_len > 0 ? b->copy.data + r->out_off : (const uint8_t *)"";
        res.out_len = r->out_len;
        res.nfindings = r->f_count;
        res.findings = r->f_count > 0 ? b->f + r->f_first : NULL;
        rc = pl->rec_fn(pl->rec_ctx, r->in.tag, r->in.data, r->in.len, &res);
    }
    return rc;
}

static int write_block(scrub_pool_t *pl, block_t *b)
{
    size_t i;
    int rc = 0, refs = 0;

    if (b->nrecs > 0) {
        return write_records(pl, b);
    }
    if (b->new_input) {
        pl->w_records = 0;
        pl->w_offset = 0;
    }
    if (b->piece) {
        rc = write_piece(pl, b);
    }
    for (i = 0; rc == 0 && i < b->nsegs; i++) {
        seg_t *sg = &b->segs[i];
        const uint8_t *p = sg->in_block || sg->kind == SEG_CLEAN ? b->data + sg->off
                                                                 : b->copy.data + sg->off;
        scrub_origin_t o = sg->origin;
        o.name = b->origin;
        o.record += pl->w_records;
        o.offset += pl->w_offset;
        switch (sg->kind) {
        case SEG_CLEAN:
            /* block bytes live until the block is reused: after the flush below */
            if (pl->ops.clean_ref != NULL && pl->ops.flush != NULL) {
                rc = pl->ops.clean_ref(pl->ops.ctx, p, sg->len);
                refs = 1;
                break;
            }
            rc = pl->ops.clean(pl->ops.ctx, p, sg->len);
            break;
        case SEG_CLEAN_COPY:
            rc = pl->ops.clean(pl->ops.ctx, p, sg->len);
            break;
        case SEG_QUAR: {
            scrub_result_t res;
            memset(&res, 0, sizeof(res));
            res.verdict = sg->verdict;
            res.failure = sg->failure;
            res.failed_rule = sg->failed_rule;
            res.findings = b->f != NULL ? b->f + sg->f_first : NULL;
            res.nfindings = sg->f_count;
            res.out = p;
            res.out_len = sg->len;
            res.in_len = sg->len;
            rc = pl->ops.quarantine(pl->ops.ctx, &o, &res, p, sg->len);
            break;
        }
        case SEG_AUDIT:
            rc = b->f != NULL ? pl->ops.audit(pl->ops.ctx, &o, b->f + sg->f_first, p, sg->len)
                              : 0;
            break;
        default:
            break;
        }
    }
    pl->w_records += b->records;
    pl->w_offset += b->work_len - (b->piece ? b->piece_len : 0);
    if (rc == 0 && refs) {
        rc = pl->ops.flush(pl->ops.ctx); /* before the block (or lent bytes) can be reused */
    }
    return rc ? rc : b->err;
}

static void *writer_main(void *arg)
{
    scrub_pool_t *pl = arg;

    pthread_mutex_lock(&pl->mu);
    for (;;) {
        block_t *b = NULL;
        size_t i;
        for (i = 0; i < pl->nblocks; i++) {
            if (pl->blocks[i].state == B_DONE && pl->blocks[i].seq == pl->next_write) {
                b = &pl->blocks[i];
            }
        }
        if (b == NULL) {
            if (pl->stop) {
                break;
            }
            if (pl->dirty && pl->ops.flush != NULL) {
                /* caught up: push what was written to the reader downstream */
                int rc = 0;
                pl->dirty = 0;
                pl->flushing = 1;
                pthread_mutex_unlock(&pl->mu);
                if (pl->err == 0) {
                    rc = pl->ops.flush(pl->ops.ctx);
                }
                pthread_mutex_lock(&pl->mu);
                pl->flushing = 0;
                if (rc != 0 && pl->err == 0) {
                    pl->err = rc;
                }
                pthread_cond_broadcast(&pl->cv);
                continue;
            }
            pthread_cond_wait(&pl->cv, &pl->mu);
            continue;
        }
        pl->dirty = 1;
        pthread_mutex_unlock(&pl->mu);
        if (pl->err == 0) {
            int rc = write_block(pl, b);
            if (rc != 0) {
                pl->err = rc;
            }
        }
        b->nsegs = 0;
        b->nf = 0;
        b->err = 0;
        b->records = 0;
        b->nrecs = 0;
        scrub_ruleset_unref(b->rs);
        b->rs = NULL;
        scrub_buf_reset(&b->copy);
        b->data = b->own; /* a lent block gives the caller's bytes back */
        pthread_mutex_lock(&pl->mu);
        b->state = B_FREE;
        pl->next_write++;
        pthread_cond_broadcast(&pl->cv);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* ---- reader side ------------------------------------------------------------------- */

/* Take a free block (waiting for one); called with the lock held. */
static block_t *take_free(scrub_pool_t *pl)
{
    for (;;) {
        size_t i;
        for (i = 0; i < pl->nblocks; i++) {
            if (pl->blocks[i].state == B_FREE) {
                block_t *b = &pl->blocks[i];
                b->state = B_FILLING;
                b->len = 0;
                b->work_len = 0;
                b->piece = 0;
                b->piece_len = 0;
                b->final = 0;
                b->origin = pl->origin;
                b->new_input = 0;
                return b;
            }
        }
        pthread_cond_wait(&pl->cv, &pl->mu);
    }
}

/* Queue the filling block (lock held). Oversize-only blocks skip the workers. */
static void submit(scrub_pool_t *pl, block_t *b)
{
    b->seq = pl->next_seq++;
    b->rs = scrub_ruleset_ref(pl->rs);
    b->new_input = pl->new_input;
    pl->new_input = 0;
    b->state = b->work_len > (b->piece ? b->piece_len : 0) || b->final || b->nrecs > 0 ? B_QUEUED
                                                                                     : B_DONE;
    pthread_cond_broadcast(&pl->cv);
}

uint8_t *scrub_pool_buffer(scrub_pool_t *pl, size_t *cap)
{
    pthread_mutex_lock(&pl->mu);
    if (pl->fill == NULL) {
        pl->fill = take_free(pl);
    }
    pthread_mutex_unlock(&pl->mu);
    *cap = pl->cap - pl->fill->len;
    return pl->fill->data + pl->fill->len;
}

/*
 * A private key whose BEGIN line is in the last 64 KiB of the lines handed to
 * the workers and whose END is not: end the block before the BEGIN line, so
 * the stream that sees the BEGIN line also sees the body (its PEM state does
 * not cross blocks). Returns the new split point (never below start + 1 line).
 */
static size_t keep_pem_whole(const uint8_t *d, size_t start, size_t split)
{
    size_t from = split - start > 65536 ? split - 65536 : start;
    const uint8_t *b = NULL, *q = d + from;
    const uint8_t *ls;

    for (;;) {
        const uint8_t *h = memmem(q, (size_t)(d + split - q), "-----BEGIN ", 11);
        if (h == NULL) {
            break;
        }
        b = h;
        q = h + 11;
    }
    if (b == NULL || memmem(b, (size_t)(d + split - b), "PRIVATE KEY", 11) == NULL ||
        memmem(b, (size_t)(d + split - b), "-----END", 8) != NULL) {
        return split;
    }
    ls = memrchr(d + start, '\n', (size_t)(b - (d + start)));
    if (ls == NULL) {
        return split; /* the BEGIN line is the block's first line: nothing to gain */
    }
    return (size_t)(ls - d) + 1;
}

/* Split the filled block: whole lines go to the workers, the tail moves on. */
static void split_block(scrub_pool_t *pl, int final)
{
    block_t *b = pl->fill;
    size_t start = 0;
    const uint8_t *nl;
    block_t *nb;

    if (pl->in_oversize) {
        nl = memchr(b->data, '\n', b->len);
        if (nl == NULL && !final) {
            if (b->len < pl->cap) {
                return; /* keep filling */
            }
            b->piece = SCRUB_PART_MIDDLE;
            b->piece_len = b->len;
            b->work_len = b->len;
            submit(pl, b);
            pl->fill = NULL;
            return;
        }
        b->piece = SCRUB_PART_LAST;
        b->piece_len = nl ? (size_t)(nl - b->data) + 1 : b->len;
        start = b->piece_len;
        pl->in_oversize = 0;
    }
    nl = b->len > start ? memrchr(b->data + start, '\n', b->len - start) : NULL;
    if (final) {
        b->work_len = b->len;
        b->final = 1;
        submit(pl, b);
        pl->fill = NULL;
        return;
    }
    if (nl == NULL) {
        if (b->len - start <= pl->max_record + 2 || b->len < pl->cap) {
            if (b->piece) {
                /* the oversized record ended; the next line waits for more bytes */
                b->work_len = start;
                nb = take_free(pl);
                memcpy(nb->data, b->data + start, b->len - start);
                nb->len = b->len - start;
                submit(pl, b);
                pl->fill = nb;
            }
            return;
        }
        /* a line longer than max_record: quarantine it in pieces */
        if (start > 0) {
            b->work_len = start;
            nb = take_free(pl);
            memcpy(nb->data, b->data + start, b->len - start);
            nb->len = b->len - start;
            submit(pl, b);
            b = nb;
        }
        b->piece = SCRUB_PART_FIRST;
        b->piece_len = b->len;
        b->work_len = b->len;
        pl->in_oversize = 1;
        submit(pl, b);
        pl->fill = NULL;
        return;
    }
    b->work_len = (size_t)(nl - b->data) + 1;
    b->work_len = keep_pem_whole(b->data, start, b->work_len);
    if (b->work_len < b->len) {
        nb = take_free(pl);
        memcpy(nb->data, b->data + b->work_len, b->len - b->work_len);
        nb->len = b->len - b->work_len;
        submit(pl, b);
        pl->fill = nb;
    }
    else {
        submit(pl, b);
        pl->fill = NULL;
    }
}

int scrub_pool_commit(scrub_pool_t *pl, size_t n)
{
    int rc;

    pthread_mutex_lock(&pl->mu);
    pl->fill->len += n;
    split_block(pl, 0);
    rc = pl->err;
    pthread_mutex_unlock(&pl->mu);
    return rc;
}

/*
 * One block over the caller's bytes p[0, n), n capped at the block size:
 * the same cuts as split_block makes (whole lines, a private key kept whole,
 * oversized records in pieces), but nothing is copied and no tail moves on:
 * the caller lends again from where this block ended.
 */
int scrub_pool_lend(scrub_pool_t *pl, const uint8_t *p, size_t n, int final, size_t *took)
{
    block_t *b;
    const uint8_t *nl;
    size_t start = 0;
    int rc;

    pthread_mutex_lock(&pl->mu);
    b = take_free(pl);
    b->data = (uint8_t *)(uintptr_t)p; /* read only: workers and writer never write data */
    b->len = n < pl->cap ? n : pl->cap;
    final = final && n <= pl->cap;
    if (pl->in_oversize) {
        nl = memchr(p, '\n', b->len);
        b->piece = nl != NULL || final ? SCRUB_PART_LAST : SCRUB_PART_MIDDLE;
        b->piece_len = nl ? (size_t)(nl - p) + 1 : b->len;
        start = b->piece_len;
        pl->in_oversize = b->piece == SCRUB_PART_MIDDLE;
    }
    nl = b->len > start ? memrchr(p + start, '\n', b->len - start) : NULL;
    if (final || pl->in_oversize) {
        b->work_len = b->len; /* the rest of the input, or a middle piece */
        b->final = final;
    }
    else if (nl != NULL) {
        b->work_len = keep_pem_whole(p, start, (size_t)(nl - p) + 1);
    }
    else if (start > 0) {
        b->work_len = start; /* an oversized record ended; the next line in the next block */
    }
    else {
        /* no newline in a whole block: a record longer than max_record, in pieces */
        b->piece = SCRUB_PART_FIRST;
        b->piece_len = b->len;
        b->work_len = b->len;
        pl->in_oversize = 1;
    }
    b->len = b->work_len;
    *took = b->work_len;
    submit(pl, b);
    rc = pl->err;
    pthread_mutex_unlock(&pl->mu);
    return rc;
}

size_t scrub_pool_lent_bound(const scrub_pool_t *pl)
{
    return pl->nblocks * pl->cap;
}

int scrub_pool_finish(scrub_pool_t *pl)
{
    int rc;

    pthread_mutex_lock(&pl->mu);
    if (pl->fill != NULL && (pl->fill->len > 0 || pl->in_oversize)) {
        split_block(pl, 1);
    }
    else if (pl->fill != NULL) {
        pl->fill->state = B_FREE;
        pl->fill = NULL;
    }
    /* Wait until every submitted block is written and flushed: after this the
     * caller owns the sinks again (the writer thread no longer touches them). */
    while (pl->next_write < pl->next_seq ||
           (pl->ops.flush != NULL && (pl->dirty || pl->flushing))) {
        pthread_cond_wait(&pl->cv, &pl->mu);
    }
    rc = pl->err;
    pthread_mutex_unlock(&pl->mu);
    return rc;
}

void scrub_pool_set_origin(scrub_pool_t *pl, const char *name)
{
    pthread_mutex_lock(&pl->mu);
    pl->origin = name ? name : "-";
    pl->new_input = 1;
    pl->in_oversize = 0;
    pthread_mutex_unlock(&pl->mu);
}

void scrub_pool_set_ruleset(scrub_pool_t *pl, scrub_ruleset_t *rs)
{
    pthread_mutex_lock(&pl->mu);
    scrub_ruleset_ref(rs);
    scrub_ruleset_unref(pl->rs);
    pl->rs = rs;
    (void)scrub_stats_rebind(pl->stats, rs); /* on ENOMEM counts stay matched by id */
    pthread_mutex_unlock(&pl->mu);
}

void scrub_pool_merge_stats(scrub_pool_t *pl)
{
    unsigned i;

    if (pl->stats == NULL) {
        return; /* record mode: the callback counts */
    }
    /* Counters are merged and cleared in place: the threads' streams keep
     * pointing at their blocks. */
    for (i = 0; i < pl->nthreads; i++) {
        scrub_stats_merge(pl->stats, pl->thr[i].stats);
        scrub_stats_clear(pl->thr[i].stats);
    }
    scrub_stats_merge(pl->stats, pl->wstats);
    scrub_stats_clear(pl->wstats);
}

/* ---- record mode ------------------------------------------------------------------- */

int scrub_pool_records(scrub_pool_t *pl, const scrub_record_t *recs, size_t n)
{
    int rc;

    pthread_mutex_lock(&pl->mu);
    while (n > 0 && pl->err == 0) {
        block_t *b = take_free(pl);
        size_t k = n < POOL_BLOCK_RECORDS ? n : POOL_BLOCK_RECORDS;
        size_t i;

        for (i = 0; i < k; i++) {
            b->recs[i].in = recs[i];
        }
        b->nrecs = k;
        submit(pl, b);
        recs += k;
        n -= k;
    }
    rc = pl->err;
    pthread_mutex_unlock(&pl->mu);
    return rc;
}

/* ---- life cycle --------------------------------------------------------------------- */

/* Both modes: fn == NULL for a byte-stream pool (ops, stats), else record mode. */
static scrub_pool_t *pool_new(scrub_ruleset_t *rs, unsigned nthreads, const scrub_sink_ops_t *ops,
                              scrub_stats_t *stats, scrub_record_fn fn, void *ctx)
{
    scrub_pool_t *pl = calloc(1, sizeof(*pl));
    unsigned i;

    if (pl == NULL) {
        return NULL;
    }
    pl->rs = scrub_ruleset_ref(rs);
    pl->ops = *ops;
    pl->stats = stats;
    pl->rec_fn = fn;
    pl->rec_ctx = ctx;
    pl->max_record = scrub_ruleset_max_record(rs);
    pl->cap = 2 * (pl->max_record + 2) > 1024 * 1024 ? 2 * (pl->max_record + 2) : 1024 * 1024;
    pl->nthreads = nthreads ? nthreads : 1;
    pl->nblocks = 2 * pl->nthreads + 2;
    pl->origin = "-";
    pl->new_input = 1;
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    pl->blocks = calloc(pl->nblocks, sizeof(*pl->blocks));
    pl->thr = calloc(pl->nthreads, sizeof(*pl->thr));
    pl->wstats = scrub_stats_new(rs);
    if (pl->blocks == NULL || pl->thr == NULL || pl->wstats == NULL) {
        scrub_pool_destroy(pl);
        return NULL;
    }
    for (i = 0; i < pl->nblocks; i++) {
        /* A record-mode block holds descriptors, not bytes. */
        pl->blocks[i].own = fn == NULL ? malloc(pl->cap) : NULL;
        pl->blocks[i].data = pl->blocks[i].own;
        pl->blocks[i].recs = fn != NULL ? calloc(POOL_BLOCK_RECORDS, sizeof(rec_t)) : NULL;
        scrub_buf_init(&pl->blocks[i].copy, 0);
        if (fn == NULL ? pl->blocks[i].data == NULL : pl->blocks[i].recs == NULL) {
            scrub_pool_destroy(pl);
            return NULL;
        }
    }
    for (i = 0; i < pl->nthreads; i++) {
        pthr_t *t = &pl->thr[i];
        t->pool = pl;
        t->w = scrub_worker_new(rs);
        t->stats = scrub_stats_new(rs);
        t->s = t->w && t->stats ? new_recorder_stream(t) : NULL;
        if (t->s == NULL || pthread_create(&t->tid, NULL, worker_main, t) != 0) {
            scrub_pool_destroy(pl);
            return NULL;
        }
    }
    if (pthread_create(&pl->writer, NULL, writer_main, pl) != 0) {
        scrub_pool_destroy(pl);
        return NULL;
    }
    pl->writer_started = 1;
    return pl;
}

scrub_pool_t *scrub_pool_new(scrub_ruleset_t *rs, unsigned nthreads, const scrub_sink_ops_t *ops,
                             scrub_stats_t *stats)
{
    return pool_new(rs, nthreads, ops, stats, NULL, NULL);
}

scrub_pool_t *scrub_pool_new_records(scrub_ruleset_t *rs, unsigned nthreads, scrub_record_fn fn,
                                     void *ctx)
{
    scrub_sink_ops_t none;

    memset(&none, 0, sizeof(none));
    return pool_new(rs, nthreads, &none, NULL, fn, ctx);
}

void scrub_pool_destroy(scrub_pool_t *pl)
{
    size_t i;

    if (pl == NULL) {
        return;
    }
    pthread_mutex_lock(&pl->mu);
    pl->stop = 1;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    for (i = 0; pl->thr != NULL && i < pl->nthreads; i++) {
        if (pl->thr[i].tid) {
            pthread_join(pl->thr[i].tid, NULL);
        }
        scrub_stream_destroy(pl->thr[i].s);
        scrub_worker_destroy(pl->thr[i].w);
        scrub_stats_destroy(pl->thr[i].stats);
    }
    if (pl->writer_started) {
        pthread_join(pl->writer, NULL);
    }
    for (i = 0; pl->blocks != NULL && i < pl->nblocks; i++) {
        scrub_ruleset_unref(pl->blocks[i].rs);
        free(pl->blocks[i].own);
        free(pl->blocks[i].segs);
        free(pl->blocks[i].f);
        free(pl->blocks[i].recs);
        scrub_buf_free(&pl->blocks[i].copy);
    }
    free(pl->blocks);
    free(pl->thr);
    scrub_stats_destroy(pl->wstats);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv);
    scrub_ruleset_unref(pl->rs);
    free(pl);
}
