/* scrub_scan: one record -> findings -> verdict, with per-thread scratch (scrub_worker). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_scan.h"
#include "scrub_decode.h"
#include "scrub_json.h"
#include "scrub_l4j.h"
#include "scrub_logfmt.h"
#include "scrub_rewrite.h"

#include <stdlib.h>
#include <string.h>

#define L4J_MAX_HITS 64
#define JSON_NEST 2          /* JSON inside JSON string values: levels scanned */
#define DECODE_ROUNDS 2      /* transport-decoding rounds for the decoded view */

/* A growable list of findings. */
typedef struct fvec {
    scrub_finding_t *v;      /* findings */
    size_t n;                /* in use */
    size_t cap;              /* allocated */
} fvec_t;

/* Per-level scratch for structured records (a JSON value may hold JSON). */
typedef struct level {
    scrub_json_t *json;      /* walker */
    scrub_buf_t out;         /* rewritten text of this level */
    size_t copied;           /* input bytes already copied to out */
    int changed;             /* out differs from the input */
    const uint8_t *text;     /* the text being walked */
    size_t text_len;
    int rc;                  /* first error inside a callback */
} level_t;

struct scrub_worker {
    scrub_ruleset_t *rs;            /* referenced rule set */
    pcre2_match_data *md;           /* sized for the largest capture count */
    pcre2_match_context *mctx;      /* match/depth/heap limits */
    pcre2_jit_stack *jit_stack;     /* JIT stack, 32 KiB growing to 1 MiB */
    uint64_t *cand;                 /* candidate rule bitset */
    scrub_pf_scratch_t *pf_scratch; /* prefilter scratch for this thread */
    fvec_t f;                       /* findings of the current record (record offsets) */
    fvec_t tf;                      /* findings of one text (field or view), its offsets */
    fvec_t df;                      /* findings of a decoded view, decoded offsets */
    scrub_buf_t out;                /* rewritten record */
    scrub_buf_t val;                /* rewritten field value */
    scrub_buf_t lf;                 /* logfmt decoding scratch */
    scrub_buf_t b64;                /* base64 view: decoded bytes */
    scrub_dmap_t dv[2];             /* decoded views (ping-pong) */
    level_t lv[JSON_NEST];          /* structured-record levels */
    int failed_rule;                /* rule that failed the current record, or -1 */
    const uint64_t *preset;         /* candidate bits of the record from the caller, or NULL */
    const scrub_kwpos_t *preset_pos; /* where their keywords start in the record, or NULL */
    size_t preset_npos;
    const scrub_kwpos_t *pos;       /* the same for the text being scanned, or NULL */
    size_t npos;
    pcre2_match_context *wctx;      /* mctx with an offset limit: rules matched in a window */
    scrub_span_t cspan;             /* keyword places found by select_rules' own pass */
    scrub_span_t rspan;             /* structured records: the same for the whole record */
    const scrub_kwpos_t *rec_pos;   /* structured records: the record's keyword places, or NULL */
    size_t rec_npos;
    const uint8_t *rec_base;        /* ... and the record they are offsets in */
    size_t rec_len;
    scrub_kwpos_t fpos[SCRUB_SPAN_POS]; /* those places moved to the field being scanned */
    uint64_t *rec_bits;             /* structured records: the record's candidate bits */
    const uint64_t *field_cand;     /* bound for every field's candidates, or NULL (exact) */
    scrub_l4j_t *l4j;               /* log4shell evaluator scratch, created on first use */
    const uint8_t *l4j_text;        /* the text l4j last scanned in this scan_text call, or NULL */
    size_t l4j_len;
    scrub_l4j_hit_t hits[L4J_MAX_HITS]; /* evaluator results */
};

scrub_worker_t *scrub_worker_new(scrub_ruleset_t *rs)
{
    scrub_worker_t *w = calloc(1, sizeof(*w));
    const scrub_limits_t *l = &rs->cfg->limits;
    int i;

    if (w == NULL) {
        return NULL;
    }
    w->rs = scrub_ruleset_ref(rs);
    scrub_buf_init(&w->out, 0);
    scrub_buf_init(&w->val, 0);
    scrub_buf_init(&w->lf, 0);
    scrub_buf_init(&w->b64, 0);
    scrub_dmap_init(&w->dv[0]);
    scrub_dmap_init(&w->dv[1]);
    w->md = pcre2_match_data_create(rs->max_ovector, NULL);
    w->mctx = pcre2_match_context_create(NULL);
    w->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    w->cand = calloc(rs->nwords, sizeof(*w->cand));
    w->rec_bits = calloc(rs->nwords, sizeof(*w->rec_bits));
    w->pf_scratch = scrub_prefilter_scratch_new(rs->pf);
    for (i = 0; i < JSON_NEST; i++) {
        scrub_buf_init(&w->lv[i].out, 0);
        w->lv[i].json = scrub_json_new(l->max_depth);
        if (w->lv[i].json == NULL) {
            scrub_worker_destroy(w);
            return NULL;
        }
    }
    if (w->md == NULL || w->mctx == NULL || w->jit_stack == NULL || w->cand == NULL ||
        w->rec_bits == NULL || w->pf_scratch == NULL) {
        scrub_worker_destroy(w);
        return NULL;
    }
    pcre2_set_match_limit(w->mctx, l->match_limit);
    pcre2_set_depth_limit(w->mctx, l->depth_limit);
    pcre2_set_heap_limit(w->mctx, l->heap_limit_kb);
    pcre2_jit_stack_assign(w->mctx, NULL, w->jit_stack);
    w->wctx = pcre2_match_context_copy(w->mctx);
    if (w->wctx == NULL) {
        scrub_worker_destroy(w);
        return NULL;
    }
    return w;
}

void scrub_worker_destroy(scrub_worker_t *w)
{
    int i;

    if (w == NULL) {
        return;
    }
    pcre2_match_data_free(w->md);
    pcre2_match_context_free(w->mctx);
    pcre2_match_context_free(w->wctx);
    pcre2_jit_stack_free(w->jit_stack);
    free(w->cand);
    free(w->rec_bits);
    scrub_prefilter_scratch_destroy(w->pf_scratch);
    free(w->f.v);
    free(w->tf.v);
    free(w->df.v);
    scrub_buf_free(&w->out);
    scrub_buf_free(&w->val);
    scrub_buf_free(&w->lf);
    scrub_buf_free(&w->b64);
    scrub_dmap_free(&w->dv[0]);
    scrub_dmap_free(&w->dv[1]);
    for (i = 0; i < JSON_NEST; i++) {
        scrub_json_destroy(w->lv[i].json);
        scrub_buf_free(&w->lv[i].out);
    }
    scrub_l4j_destroy(w->l4j);
    scrub_ruleset_unref(w->rs);
    free(w);
}

scrub_ruleset_t *scrub_worker_ruleset(const scrub_worker_t *w)
{
    return w->rs;
}

/* ---- findings --------------------------------------------------------------- */

/* Append a finding; the per-record cap makes a flood of findings fail closed. */
static int fvec_add(scrub_worker_t *w, fvec_t *fv, uint32_t rule, size_t start, size_t end)
{
    if (w->f.n + fv->n >= w->rs->cfg->limits.max_findings) {
        return SCRUB_ELIMIT;
    }
    if (fv->n == fv->cap) {
        size_t ncap = fv->cap ? fv->cap * 2 : 32;
        scrub_finding_t *nv = realloc(fv->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            return SCRUB_ENOMEM;
        }
        fv->v = nv;
        fv->cap = ncap;
    }
    fv->v[fv->n].rule = rule;
    fv->v[fv->n].action = w->rs->rules[rule].action;
    fv->v[fv->n].start = start;
    fv->v[fv->n].end = end;
    fv->n++;
    return 0;
}

/* pcre2_match through the JIT fast path (no per-call argument checks; every
 * pattern here is non-UTF or compiled with MATCH_INVALID_UTF, which the JIT
 * code handles; s may be NULL only with len 0); a pattern the JIT did not
 * compile answers JIT_BADOPTION there and goes to pcre2_match. */
static int fast_match(const pcre2_code *re, const uint8_t *s, size_t len, size_t off,
                      pcre2_match_data *md, pcre2_match_context *mc)
{
    int rc;

    if (s == NULL) {
        s = (const uint8_t *)""; /* a missing key (array element): the empty subject */
        len = 0;
    }
    rc = pcre2_jit_match(re, s, len, off, 0, md, mc);

    return rc == PCRE2_ERROR_JIT_BADOPTION ? pcre2_match(re, s, len, off, 0, md, mc) : rc;
}

/* 1 when any allow pattern matches the secret: the finding is cancelled. */
static int allowed(scrub_worker_t *w, pcre2_code **allow, size_t n, const uint8_t *s,
                   size_t len, int *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int rc = fast_match(allow[i], s, len, 0, w->md, w->mctx);
        if (rc >= 0) {
            return 1;
        }
        if (rc != PCRE2_ERROR_NOMATCH) {
            *err = SCRUB_ELIMIT;
            return 0;
        }
    }
    return 0;
}

/* Validators, then the rule's and the global allow lists. 1 = keep. */
static int confirm(scrub_worker_t *w, const scrub_rule_t *r, const uint8_t *s, size_t len,
                   int *err)
{
    size_t i;

    for (i = 0; i < r->nvalidators; i++) {
        if (!scrub_validator_check(&r->validators[i], s, len)) {
            return 0;
        }
    }
    if (allowed(w, r->allow, r->nallow, s, len, err) ||
        allowed(w, w->rs->allow, w->rs->nallow, s, len, err)) {
        return 0;
    }
    return *err == 0;
}

/*
 * The single global-iteration routine (pre-10.47 algorithm of pcre2demo),
 * from *from, with match context mc (which may carry an offset limit): after
 * an empty match retry at the same offset with NOTEMPTY_ATSTART | ANCHORED,
 * else advance one character (a whole UTF-8 sequence in UTF mode, two bytes
 * over CRLF). *from becomes the end of the last match (unchanged when none).
 * Returns 0 or SCRUB_ELIMIT / SCRUB_ENOMEM.
 */
static int match_from(scrub_worker_t *w, uint32_t idx, const uint8_t *rec, size_t len,
                      pcre2_match_context *mc, size_t *from, fvec_t *fv)
{
    const scrub_rule_t *r = &w->rs->rules[idx];
    PCRE2_SIZE *ov;
    size_t off = *from;
    uint32_t opts = 0;
    int rc;

    for (;;) {
        size_t s, e, m0, m1;
        /* the retry with ANCHORED after an empty match needs pcre2_match */
        rc = opts == 0 ? fast_match(r->re, rec, len, off, w->md, mc)
                       : pcre2_match(r->re, rec, len, off, opts, w->md, mc);
        if (rc == PCRE2_ERROR_NOMATCH) {
            if (opts == 0 || off >= len) {
                return 0;
            }
            /* Advance one character after a failed non-empty retry. */
            if (rec[off] == '\r' && off + 1 < len && rec[off + 1] == '\n') {
                off += 2;
            }
            else {
                off++;
                if (r->spec->utf) {
                    while (off < len && (rec[off] & 0xc0) == 0x80) {
                        off++;
                    }
                }
            }
            opts = 0;
            continue;
        }
        if (rc < 0) {
            return rc == PCRE2_ERROR_NOMEMORY ? SCRUB_ENOMEM : SCRUB_ELIMIT;
        }
        ov = pcre2_get_ovector_pointer(w->md);
        m0 = ov[0];
        m1 = ov[1];
        s = ov[2 * r->group];
        e = ov[2 * r->group + 1];
        /* confirm() reuses the match data, so nothing below reads ov. */
        if (s != PCRE2_UNSET && e > s) {
            int err = 0;
            if (confirm(w, r, rec + s, e - s, &err)) {
                rc = fvec_add(w, fv, idx, s, e);
                if (rc != 0) {
                    return rc;
                }
            }
            else if (err != 0) {
                return err;
            }
        }
        off = m1;
        *from = m1;
        opts = m0 == m1 ? (PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) : 0;
        if (off > len) {
            return 0;
        }
    }
}

/* Starts [a, b] of a text where a rule's matches may begin. */
typedef struct win {
    size_t a;
    size_t b;
} win_t;

/*
 * The windows where rule idx's matches can start in the current text, in
 * order and disjoint: from its lead before each place where its keywords
 * start to its lag after that place (scrub_lead.h); one window from the first
 * place to the last when there were more places than the entry keeps.
 * Returns their number (0: no start can match, the text holds none of the
 * rule's keywords), or ALL_STARTS when every start must be tried (no lead,
 * no places known).
 */
#define ALL_STARTS SIZE_MAX
static size_t windows_of(const scrub_worker_t *w, uint32_t idx, const uint8_t *rec, size_t len,
                         win_t *v)
{
    const scrub_rule_t *r = &w->rs->rules[idx];
    const scrub_kwpos_t *e;
    size_t i, k, n = 0, lead = (size_t)r->lead, lag = (size_t)r->lag;

    if (r->lead < 0 || w->pos == NULL) {
        return ALL_STARTS;
    }
    for (i = 0; i < w->npos && w->pos[i].rule != idx; i++) {
    }
    if (i == w->npos) {
        return ALL_STARTS;
    }
    e = &w->pos[i];
    if (e->n > SCRUB_KW_AT) {
        v[n++] = (win_t){e->first, e->last};
    }
    for (k = 0; e->n <= SCRUB_KW_AT && k < e->n; k++) {
        size_t j = n++;
        for (; j > 0 && v[j - 1].b > e->at[k]; j--) { /* insertion sort */
            v[j] = v[j - 1];
        }
        v[j] = (win_t){e->at[k], e->at[k]};
    }
    for (i = 0, k = 0; i < n; i++) {
        size_t a = v[i].a > lead ? v[i].a - lead : 0;
        a = a < len ? a : len;
        while (r->spec->utf && a > 0 && a < len && (rec[a] & 0xc0) == 0x80) {
            a--; /* a character boundary */
        }
        if (k > 0 && a <= v[k - 1].b + 1) {
            v[k - 1].b = v[i].b + lag; /* overlaps the previous window */
        }
        else {
            v[k++] = (win_t){a, v[i].b + lag};
        }
    }
    return k;
}

static int run_regex(scrub_worker_t *w, uint32_t idx, const uint8_t *rec, size_t len, fvec_t *fv)
{
    win_t v[SCRUB_KW_AT];
    size_t n = windows_of(w, idx, rec, len, v), off = 0, i;
    int rc = 0;

    if (n == ALL_STARTS) {
        return match_from(w, idx, rec, len, w->mctx, &off, fv);
    }
    for (i = 0; i < n && rc == 0; i++) {
        off = off > v[i].a ? off : v[i].a;
        if (off > len) {
            break;
        }
        pcre2_set_offset_limit(w->wctx, v[i].b);
        rc = match_from(w, idx, rec, len, w->wctx, &off, fv);
    }
    return rc;
}

static int run_log4shell(scrub_worker_t *w, uint32_t idx, const uint8_t *rec, size_t len,
                         fvec_t *fv)
{
    const scrub_rule_t *r = &w->rs->rules[idx];
    int n, i, rc;

    if (!scrub_l4j_maybe(rec, len)) {
        return 0;
    }
    if (w->l4j == NULL) {
        scrub_l4j_opts_t o;
        memset(&o, 0, sizeof(o));
        o.paranoid = w->rs->cfg->paranoid;
        w->l4j = scrub_l4j_new(&o);
        if (w->l4j == NULL) {
            return SCRUB_ENOMEM;
        }
    }
    n = scrub_l4j_scan(w->l4j, rec, len, w->hits, L4J_MAX_HITS);
    if (n < 0) {
        return n; /* SCRUB_EBUDGET and friends fail closed */
    }
    w->l4j_text = rec; /* its decoding may serve the decoded view (scan_decoded) */
    w->l4j_len = len;
    if (n >= L4J_MAX_HITS) {
        return SCRUB_ELIMIT; /* more hits than we can hold: fail closed */
    }
    for (i = 0; i < n; i++) {
        size_t s = w->hits[i].start, e = w->hits[i].end;
        int err = 0;
        /* A rule regex, when present, must also match inside the span. */
        if (r->re != NULL && fast_match(r->re, rec + s, e - s, 0, w->md, w->mctx) < 0) {
            continue;
        }
        if (allowed(w, r->allow, r->nallow, rec + s, e - s, &err) || err != 0) {
            if (err != 0) {
                return err;
            }
            continue;
        }
        rc = fvec_add(w, fv, idx, s, e);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Run the text rules whose bits are set in cand over text; findings go to fv. */
static int run_candidates(scrub_worker_t *w, const uint8_t *text, size_t len, int detectors,
                          fvec_t *fv)
{
    const scrub_ruleset_t *rs = w->rs;
    size_t word;
    int rc;

    for (word = 0; word < rs->nwords; word++) {
        uint64_t bits = w->cand[word];
        while (bits != 0) {
            uint32_t idx = (uint32_t)(word * 64 + (size_t)__builtin_ctzll(bits));
            const scrub_rule_t *r;
            bits &= bits - 1;
            if (idx >= rs->ntext) {
                return 0; /* key rules and trigger bits are not text rules */
            }
            r = &rs->rules[idx];
            if (r->detector == SCRUB_DET_LOG4SHELL) {
                rc = detectors ? run_log4shell(w, idx, text, len, fv) : 0;
            }
            else if (len < r->minlen) {
                rc = 0; /* pcre2_match would say no match at once; short fields skip the call */
            }
            else {
                rc = run_regex(w, idx, text, len, fv);
            }
            if (rc != 0) {
                w->failed_rule = (int)idx;
                return rc;
            }
        }
    }
    return 0;
}

#define VIEW_DECODE 1   /* escape introducers: a decoded view is worth scanning */
#define VIEW_B64 2      /* base64 of a secret marker: a base64 view is worth scanning */

static int take_bit(uint64_t *bits, uint32_t b)
{
    int on = (int)((bits[b >> 6] >> (b & 63)) & 1);

    bits[b >> 6] &= ~(1ULL << (b & 63));
    return on;
}

/*
 * A field that is a slice of its record (no escapes were decoded) holds
 * exactly the record's keyword places that fall inside it: move them to the
 * field's offsets (w->pos). A rule with no place inside gets an empty entry
 * (nothing to try); one whose places past the third are not kept gets the
 * part of its first..last range inside the field.
 */
static void field_places(scrub_worker_t *w, const uint8_t *text, size_t len)
{
    size_t i, k, fo;

    if (w->rec_pos == NULL || (uintptr_t)text < (uintptr_t)w->rec_base || len > w->rec_len ||
        (size_t)(text - w->rec_base) > w->rec_len - len) {
        return;
    }
    fo = (size_t)(text - w->rec_base);
    for (i = 0; i < w->rec_npos; i++) {
        const scrub_kwpos_t *e = &w->rec_pos[i];
        scrub_kwpos_t *f = &w->fpos[i];
        f->rule = e->rule;
        f->n = 0;
        f->first = UINT32_MAX;
        f->last = 0;
        if (e->n > SCRUB_KW_AT) {
            if (e->last >= fo && e->first < fo + len) {
                f->n = SCRUB_KW_AT + 1;
                f->first = (uint32_t)((e->first > fo ? e->first : fo) - fo);
                f->last = (uint32_t)((e->last < fo + len ? e->last : fo + len - 1) - fo);
            }
            continue;
        }
        for (k = 0; k < e->n; k++) {
            if (e->at[k] >= fo && e->at[k] < fo + len) {
                uint32_t at = (uint32_t)(e->at[k] - fo);
                f->at[f->n++] = at;
                f->first = at < f->first ? at : f->first;
                f->last = at > f->last ? at : f->last;
            }
        }
    }
    w->pos = w->fpos;
    w->npos = w->rec_npos;
}

/* Fill w->cand from the prefilter over text, or from the caller's preset bits
 * for the record itself (once), or, for a field of a structured record, from
 * the record's own bits (a field holds no keyword its record lacks, unless
 * escapes hid it: then field_cand is NULL). exact forces the prefilter
 * (decoded views). Returns VIEW_* flags. */
static int select_rules(scrub_worker_t *w, const uint8_t *text, size_t len, int exact)
{
    const scrub_ruleset_t *rs = w->rs;
    int views = 0;

    w->pos = NULL;
    if (w->preset != NULL) {
        memcpy(w->cand, w->preset, rs->nwords * sizeof(*w->cand));
        w->preset = NULL;
        w->pos = w->preset_pos; /* the record itself: its keyword places hold */
        w->npos = w->preset_npos;
    }
    else if (!exact && w->field_cand != NULL) {
        memcpy(w->cand, w->field_cand, rs->nwords * sizeof(*w->cand));
        field_places(w, text, len);
    }
    else {
        memcpy(w->cand, rs->always, rs->nwords * sizeof(*w->cand));
        w->cspan.bits = w->cand;
        scrub_prefilter_collect_at(rs->pf, w->pf_scratch, text, len, &w->cspan);
        if (w->cspan.npos != SCRUB_POS_UNKNOWN) {
            w->pos = w->cspan.pos;
            w->npos = w->cspan.npos;
        }
    }
    views |= take_bit(w->cand, rs->decode_bit) ? VIEW_DECODE : 0;
    views |= take_bit(w->cand, rs->b64_bit) ? VIEW_B64 : 0;
    return views;
}

/* The text after up to DECODE_ROUNDS rounds of decoding into *view, or NULL
 * when nothing decodes. The log4j detector's decoding of the same text is
 * taken when it stopped changing within those rounds (it is then the same
 * text and map); otherwise the rounds run here. */
static int decode_view(scrub_worker_t *w, const uint8_t *text, size_t len,
                       const scrub_dmap_t **view)
{
    scrub_dmap_t *cur = &w->dv[0], *nxt = &w->dv[1], *t;
    int round, changed, any = 0, rc;

    if (w->l4j_text == text && w->l4j_len == len) {
        int r = scrub_l4j_decoded(w->l4j, view);
        if (r >= 0 && r <= DECODE_ROUNDS) {
            return 0;
        }
    }
    *view = NULL;
    rc = scrub_decode_first(text, len, cur, &any);
    if (rc != 0 || !any) {
        return rc;
    }
    for (round = 1; round < DECODE_ROUNDS; round++) {
        rc = scrub_decode_round(cur, nxt, &changed);
        if (rc != 0) {
            return rc;
        }
        if (!changed) {
            break;
        }
        t = cur;
        cur = nxt;
        nxt = t;
    }
    *view = cur;
    return 0;
}

/*
 * The decoded view: up to DECODE_ROUNDS rounds of transport decoding
 * (percent, \u, \x, \/, entities), then the regex rules again on the decoded
 * text; each finding is mapped back to the raw bytes that encode it, so the
 * redaction covers the encoded span.
 */
static int scan_decoded(scrub_worker_t *w, const uint8_t *text, size_t len, fvec_t *fv)
{
    const scrub_dmap_t *cur;
    size_t i, k;
    int rc = decode_view(w, text, len, &cur);

    if (rc != 0 || cur == NULL) {
        return rc;
    }
    select_rules(w, cur->b, cur->len, 1);
    w->df.n = 0;
    rc = run_candidates(w, cur->b, cur->len, 0, &w->df);
    for (i = 0; rc == 0 && i < w->df.n; i++) {
        const scrub_finding_t *f = &w->df.v[i];
        size_t s = cur->lo[f->start], e = cur->hi[f->end - 1];
        /* Skip what the raw view already found at the same place. */
        for (k = 0; k < fv->n && !(fv->v[k].rule == f->rule && fv->v[k].start <= s &&
                                   fv->v[k].end >= e); k++) {
        }
        if (k == fv->n) {
            rc = fvec_add(w, fv, f->rule, s, e);
        }
    }
    return rc;
}

#define B64_MIN 16                /* shortest run worth decoding */
#define B64_MAX (64 * 1024)       /* longest run decoded; longer ones are left alone */
#define B64_BUDGET (256 * 1024)   /* encoded bytes decoded per text at most */

static int is_b64(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '-' || c == '_';
}

/* Mostly printable text: a decoding that can hold a readable secret. */
static int printable(const uint8_t *p, size_t n)
{
    size_t i, bad = 0;

    for (i = 0; i < n; i++) {
        bad += (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t') || p[i] == 0x7f;
    }
    return n > 0 && bad * 20 <= n;
}

/*
 * The base64 view: runs of base64 text are decoded (bounded) and the regex
 * rules run on the decoding; a finding there redacts the whole encoded run.
 */
static int scan_b64(scrub_worker_t *w, const uint8_t *text, size_t len, fvec_t *fv)
{
    size_t pos = 0, budget = B64_BUDGET;
    int rc = 0;

    while (pos < len && rc == 0) {
        size_t s, e, i;
        long dn;
        while (pos < len && !is_b64(text[pos])) {
            pos++;
        }
        s = pos;
        while (pos < len && is_b64(text[pos])) {
            pos++;
        }
        e = pos;
        while (pos < len && pos - e < 2 && text[pos] == '=') {
            pos++;
        }
        if (e - s < B64_MIN || e - s > B64_MAX || e - s > budget) {
            continue;
        }
        budget -= e - s;
        scrub_buf_reset(&w->b64);
        if (scrub_buf_reserve(&w->b64, (e - s) * 3 / 4 + 3) != 0) {
            return SCRUB_ENOMEM;
        }
        dn = scrub_base64_decode(text + s, pos - s, w->b64.data, w->b64.cap);
        if (dn <= 0 || !printable(w->b64.data, (size_t)dn)) {
            continue;
        }
        select_rules(w, w->b64.data, (size_t)dn, 1);
        w->df.n = 0;
        rc = run_candidates(w, w->b64.data, (size_t)dn, 0, &w->df);
        for (i = 0; rc == 0 && i < w->df.n; i++) {
            size_t k;
            for (k = 0; k < fv->n && !(fv->v[k].rule == w->df.v[i].rule && fv->v[k].start == s);
                 k++) {
            }
            if (k == fv->n) {
                rc = fvec_add(w, fv, w->df.v[i].rule, s, pos);
            }
        }
    }
    return rc;
}

/* Scan one text (a raw record or a field value): findings in its offsets go to fv. */
static int scan_text(scrub_worker_t *w, const uint8_t *text, size_t len, fvec_t *fv)
{
    int views = select_rules(w, text, len, 0);
    int rc;

    w->l4j_text = NULL; /* set by the log4j rule when it scans this text */
    rc = run_candidates(w, text, len, 1, fv);

    if (rc == 0 && (views & VIEW_DECODE)) {
        rc = scan_decoded(w, text, len, fv);
    }
    if (rc == 0 && (views & VIEW_B64)) {
        rc = scan_b64(w, text, len, fv);
    }
    return rc;
}

static int cmp_finding(const void *a, const void *b)
{
    const scrub_finding_t *x = a, *y = b;

    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end > y->end ? -1 : 1;
    }
    return (int)x->action - (int)y->action;
}

static scrub_action_t strongest(const fvec_t *fv)
{
    scrub_action_t a = SCRUB_ACT_NONE;
    size_t i;

    for (i = 0; i < fv->n; i++) {
        if (fv->v[i].action > a) {
            a = fv->v[i].action;
        }
    }
    return a;
}

static int is_rewrite(scrub_action_t a)
{
    return a >= SCRUB_ACT_DEFANG && a <= SCRUB_ACT_REDACT;
}

/* ---- structured records: key rules ---------------------------------------- */

static int eq_fold(const uint8_t *a, size_t n, const char *b)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t c = a[i];
        if (c >= 'A' && c <= 'Z') {
            c = (uint8_t)(c + 32);
        }
        if (b[i] == '\0' || c != (uint8_t)b[i]) {
            return 0;
        }
    }
    return b[n] == '\0';
}

static int key_exempt(scrub_worker_t *w, const uint8_t *key, size_t klen, const uint8_t *path,
                      size_t plen)
{
    const scrub_config_t *c = w->rs->cfg;
    size_t i;

    for (i = 0; i < c->keys_exempt.n; i++) {
        const char *e = c->keys_exempt.v[i].s;
        if (e[0] != '/' && (eq_fold(key, klen, e) || eq_fold(path, plen, e))) {
            return 1;
        }
    }
    for (i = 0; i < w->rs->nkey_exempt_re; i++) {
        if (fast_match(w->rs->key_exempt_re[i], key, klen, 0, w->md, w->mctx) >= 0) {
            return 1;
        }
    }
    return 0;
}

/* Index of the key rule that claims this key/path, or -1. */
static int key_rule(scrub_worker_t *w, const uint8_t *key, size_t klen, const uint8_t *path,
                    size_t plen)
{
    const scrub_ruleset_t *rs = w->rs;
    size_t i;

    if (key == NULL && plen == 0) {
        return -1;
    }
    /* Most keys have a length no key name has: then only a regex key can hit. */
    if (rs->nkey_re == 0 && !(key != NULL && ((rs->key_lens >> (klen < 63 ? klen : 63)) & 1)) &&
        !(plen > 0 && ((rs->path_lens >> (plen < 63 ? plen : 63)) & 1))) {
        return -1;
    }
    for (i = rs->ntext; i < rs->nrules; i++) {
        const scrub_rule_t *r = &rs->rules[i];
        int hit;
        if (r->key_re != NULL) {
            hit = key != NULL && fast_match(r->key_re, key, klen, 0, w->md, w->mctx) >= 0;
        }
        else if (r->key_is_path) {
            hit = plen == r->key_len && eq_fold(path, plen, r->key_name);
        }
        else {
            hit = key != NULL && klen == r->key_len && eq_fold(key, klen, r->key_name);
        }
        if (hit) {
            return key_exempt(w, key ? key : path, key ? klen : plen, path, plen) ? -1 : (int)i;
        }
    }
    return -1;
}

/*
 * Scan one field value: the key rule first (the whole value is replaced),
 * else the text rules on the value. Findings are recorded on the record at
 * [raw_s, raw_e). On return *repl is the new value (in w->val) when the value
 * must change, else NULL. Returns 0 or an error (fail closed).
 */
static int scan_value(scrub_worker_t *w, const uint8_t *key, size_t klen, const uint8_t *path,
                      size_t plen, const uint8_t *v, size_t n, size_t raw_s, size_t raw_e,
                      const scrub_buf_t **repl)
{
    int kr = key_rule(w, key, klen, path, plen);
    size_t i;
    int rc;

    *repl = NULL;
    w->tf.n = 0;
    if (kr >= 0) {
        rc = fvec_add(w, &w->tf, (uint32_t)kr, 0, n);
    }
    else {
        rc = scan_text(w, v, n, &w->tf);
    }
    if (rc != 0 || w->tf.n == 0) {
        return rc;
    }
    for (i = 0; i < w->tf.n; i++) {
        rc = fvec_add(w, &w->f, w->tf.v[i].rule, raw_s, raw_e);
        if (rc != 0) {
            return rc;
        }
    }
    if (!is_rewrite(strongest(&w->tf)) && strongest(&w->tf) < SCRUB_ACT_DROP) {
        /* tags only; drop/quarantine decide the record, no rewrite needed either */
        return 0;
    }
    qsort(w->tf.v, w->tf.n, sizeof(*w->tf.v), cmp_finding);
    scrub_buf_reset(&w->val);
    rc = scrub_rewrite_raw(w->rs, w->tf.v, w->tf.n, v, n, &w->val);
    if (rc == 0) {
        *repl = &w->val;
    }
    return rc;
}

/* ---- JSON records ------------------------------------------------------------ */

static int scan_json(scrub_worker_t *w, int lvl, const uint8_t *text, size_t n, size_t base,
                     size_t *err_off);

/* Start rewriting text at one level: nothing copied, nothing changed yet. */
static void level_begin(level_t *L, const uint8_t *text, size_t n)
{
    scrub_buf_reset(&L->out);
    L->copied = 0;
    L->changed = 0;
    L->text = text;
    L->text_len = n;
}

/* After a walk that returned rc: complete the rewritten text with the rest of
 * the input when something changed. Returns rc or a scrub_buf error. */
static int level_end(level_t *L, int rc)
{
    if (rc == 0 && L->changed) {
        rc = scrub_buf_append(&L->out, L->text + L->copied, L->text_len - L->copied);
    }
    return rc;
}

/* Copy input up to `upto`, then `repl` escaped, and skip the input to `resume`. */
static int splice(level_t *L, size_t upto, const uint8_t *repl, size_t rn, size_t resume,
                  int json)
{
    int rc = scrub_buf_append(&L->out, L->text + L->copied, upto - L->copied);

    if (rc == 0) {
        rc = json ? scrub_json_escape(&L->out, repl, rn) : scrub_logfmt_quote(&L->out, repl, rn);
    }
    L->copied = resume;
    L->changed = 1;
    return rc;
}

typedef struct json_ctx {
    scrub_worker_t *w;     /* the worker */
    int lvl;               /* nesting level */
    size_t base;           /* record offset of this text (level 0: 0) */
} json_ctx_t;

static int on_json_token(void *ud, const scrub_json_tok_t *t)
{
    json_ctx_t *c = ud;
    scrub_worker_t *w = c->w;
    level_t *L = &w->lv[c->lvl];
    const scrub_buf_t *repl = NULL;
    size_t rs = c->base + t->raw_start, re = c->base + t->raw_end;
    int rc;

    /* A string value that is itself JSON (docker's "log", audit payloads): scan both levels. */
    if (!t->is_key && c->lvl + 1 < JSON_NEST && t->dec_len > 1 &&
        scrub_json_looks_like(t->dec, t->dec_len) &&
        key_rule(w, t->key, t->key_len, t->path, t->path_len) < 0) {
        size_t eo;
        rc = scan_json(w, c->lvl + 1, t->dec, t->dec_len, rs, &eo);
        if (rc == 0) {
            level_t *in = &w->lv[c->lvl + 1];
            if (in->changed) {
                rc = splice(L, t->raw_start + 1, in->out.data, in->out.len, t->raw_end - 1, 1);
            }
            return rc;
        }
        if (rc != SCRUB_EJSON) {
            return rc;
        }
        /* not JSON after all: scan it as text below */
    }
    rc = t->is_key ? (w->tf.n = 0, scan_value(w, NULL, 0, NULL, 0, t->dec, t->dec_len, rs, re,
                                               &repl))
                   : scan_value(w, t->key, t->key_len, t->path, t->path_len, t->dec, t->dec_len,
                                rs, re, &repl);
    if (rc == 0 && repl != NULL) {
        rc = splice(L, t->raw_start + 1, repl->data, repl->len, t->raw_end - 1, 1);
    }
    return rc;
}

/* Walk text as JSON at level lvl; on success lv[lvl].out holds the rewritten
 * text when lv[lvl].changed. Returns 0, SCRUB_EJSON, SCRUB_EDEPTH or an error. */
static int scan_json(scrub_worker_t *w, int lvl, const uint8_t *text, size_t n, size_t base,
                     size_t *err_off)
{
    level_t *L = &w->lv[lvl];
    json_ctx_t c = {w, lvl, base};

    level_begin(L, text, n);
    return level_end(L, scrub_json_walk(L->json, text, n, on_json_token, &c, err_off));
}

/* ---- logfmt records -------------------------------------------------------- */

static int on_logfmt_pair(void *ud, const scrub_logfmt_tok_t *t)
{
    scrub_worker_t *w = ud;
    level_t *L = &w->lv[0];
    const scrub_buf_t *repl = NULL;
    const uint8_t *key = L->text + t->key_start;
    size_t klen = t->key_end - t->key_start;
    int rc;

    /* The key is text too: a secret written as a key is redacted in place. */
    rc = scan_value(w, NULL, 0, NULL, 0, key, klen, t->key_start, t->key_end, &repl);
    if (rc == 0 && repl != NULL) {
        rc = splice(L, t->key_start, repl->data, repl->len, t->key_end, 0);
    }
    if (rc != 0 || t->val == NULL) {
        return rc; /* an error, or a bare key */
    }
    repl = NULL;
    rc = scan_value(w, key, klen, key, klen, t->val, t->val_len, t->val_start, t->val_end, &repl);
    if (rc == 0 && repl != NULL) {
        rc = splice(L, t->val_start, repl->data, repl->len, t->val_end, 0);
    }
    return rc;
}

static int scan_logfmt(scrub_worker_t *w, const uint8_t *text, size_t n)
{
    level_t *L = &w->lv[0];

    level_begin(L, text, n);
    return level_end(L, scrub_logfmt_walk(&w->lf, text, n, on_logfmt_pair, w));
}

/* ---- verdicts --------------------------------------------------------------------- */

static scrub_failure_t failure_of(int rc)
{
    switch (rc) {
    case SCRUB_ELIMIT:
        return SCRUB_FAIL_LIMIT;
    case SCRUB_EBUDGET:
        return SCRUB_FAIL_BUDGET;
    case SCRUB_ENOMEM:
        return SCRUB_FAIL_NOMEM;
    case SCRUB_EDEPTH:
        return SCRUB_FAIL_DEPTH;
    default:
        return SCRUB_FAIL_INTERNAL;
    }
}

void scrub_scan_fail(scrub_worker_t *w, scrub_result_t *res, scrub_failure_t why, int rule,
                     const uint8_t *rec, size_t len)
{
    res->verdict = w->rs->cfg->failure_action == SCRUB_ACT_DROP ? SCRUB_V_DROPPED
                                                                 : SCRUB_V_QUARANTINED;
    res->failure = why;
    res->failed_rule = rule;
    res->in_len = len;
    res->out = rec;
    res->out_len = len;
    res->nfindings = w->f.n;
    res->findings = w->f.v;
}

/*
 * Structured records: one prefilter pass over the whole record bounds the
 * rules of every field, so fields need no pass of their own. Escapes in the
 * record (the decode trigger) can hide a keyword from that pass: then every
 * field is selected exactly.
 */
static void bound_fields(scrub_worker_t *w, const uint8_t *rec, size_t len)
{
    const scrub_ruleset_t *rs = w->rs;
    uint32_t d = rs->decode_bit;

    w->rec_pos = NULL;
    w->rec_base = rec;
    w->rec_len = len;
    if (w->preset != NULL) {
        memcpy(w->rec_bits, w->preset, rs->nwords * sizeof(*w->rec_bits));
        w->preset = NULL;
        w->rec_pos = w->preset_pos;
        w->rec_npos = w->preset_npos;
    }
    else {
        memcpy(w->rec_bits, rs->always, rs->nwords * sizeof(*w->rec_bits));
        w->rspan.bits = w->rec_bits;
        scrub_prefilter_collect_at(rs->pf, w->pf_scratch, rec, len, &w->rspan);
        if (w->rspan.npos != SCRUB_POS_UNKNOWN) {
            w->rec_pos = w->rspan.pos;
            w->rec_npos = w->rspan.npos;
        }
    }
    w->field_cand = ((w->rec_bits[d >> 6] >> (d & 63)) & 1) ? NULL : w->rec_bits;
}

/* Scan as the rule set's format says; fills w->f and, for structured records,
 * w->lv[0] (*structured = 1). */
static int scan_record(scrub_worker_t *w, const uint8_t *rec, size_t len, int *structured,
                       int *fallback)
{
    scrub_format_t fmt = w->rs->format;
    size_t eo;
    int rc;

    *structured = 0;
    *fallback = 0;
    w->field_cand = NULL;
    w->rec_pos = NULL;
    if (fmt != SCRUB_FMT_RAW) {
        bound_fields(w, rec, len);
    }
    if ((fmt == SCRUB_FMT_JSON || fmt == SCRUB_FMT_AUTO) && scrub_json_looks_like(rec, len)) {
        rc = scan_json(w, 0, rec, len, 0, &eo);
        if (rc != SCRUB_EJSON) {
            *structured = 1;
            return rc;
        }
        *fallback = 1; /* invalid JSON is scanned raw: never dropped, never unscanned */
        w->f.n = 0;
        w->field_cand = NULL;
    }
    else if (fmt == SCRUB_FMT_LOGFMT || fmt == SCRUB_FMT_AUTO) {
        rc = scan_logfmt(w, rec, len);
        if (rc == 0) {
            *structured = 1;
            return 0;
        }
        if (rc != SCRUB_EINVAL) {
            return rc;
        }
        w->f.n = 0; /* not logfmt: raw */
        w->field_cand = NULL;
    }
    return scan_text(w, rec, len, &w->f);
}

/* A clean result for rec (nothing found yet) and empty findings. */
static void start_result(scrub_worker_t *w, scrub_result_t *res, const uint8_t *rec, size_t len)
{
    memset(res, 0, sizeof(res[0]));
    res->failed_rule = -1;
    res->in_len = len;
    res->out = rec;
    res->out_len = len;
    w->f.n = 0;
    w->failed_rule = -1;
}

/* Hand the findings to res; when they decide the verdict without a rewrite
 * (quarantine, drop, tags only) set it and return 1. */
static int settle(fvec_t *f, scrub_result_t *res)
{
    res->nfindings = f->n;
    res->findings = f->v;
    switch (strongest(f)) {
    case SCRUB_ACT_QUARANTINE:
        res->verdict = SCRUB_V_QUARANTINED;
        return 1;
    case SCRUB_ACT_DROP:
        res->verdict = SCRUB_V_DROPPED;
        return 1;
    case SCRUB_ACT_TAG:
        res->verdict = SCRUB_V_TAGGED;
        return 1;
    default:
        return 0;
    }
}

void scrub_scan_with(scrub_worker_t *w, const uint8_t *rec, size_t len, const uint64_t *bits,
                     scrub_result_t *res)
{
    scrub_scan_at(w, rec, len, bits, NULL, 0, res);
}

void scrub_scan_at(scrub_worker_t *w, const uint8_t *rec, size_t len, const uint64_t *bits,
                   const scrub_kwpos_t *pos, size_t npos, scrub_result_t *res)
{
    const scrub_ruleset_t *rs = w->rs;
    int structured = 0, fallback = 0;
    int rc;

    w->preset = bits;
    w->preset_pos = bits != NULL ? pos : NULL;
    w->preset_npos = npos;
    start_result(w, res, rec, len);
    if (len > rs->cfg->limits.max_record) {
        scrub_scan_fail(w, res, SCRUB_FAIL_OVERSIZE, -1, rec, len);
        return;
    }
    rc = scan_record(w, rec, len, &structured, &fallback);
    w->preset = NULL;
    w->preset_pos = NULL;
    w->pos = NULL;
    res->fallback = fallback;
    if (rc != 0) {
        scrub_scan_fail(w, res, failure_of(rc), w->failed_rule, rec, len);
        return;
    }
    if (w->f.n == 0) {
        return;
    }
    qsort(w->f.v, w->f.n, sizeof(*w->f.v), cmp_finding);
    if (settle(&w->f, res)) {
        return;
    }
    if (structured) {
        if (!w->lv[0].changed) {
            res->verdict = SCRUB_V_TAGGED;
            return;
        }
        res->verdict = SCRUB_V_REDACTED;
        res->out = w->lv[0].out.data;
        res->out_len = w->lv[0].out.len;
        return;
    }
    scrub_buf_reset(&w->out);
    rc = scrub_rewrite_raw(rs, w->f.v, w->f.n, rec, len, &w->out);
    if (rc != 0) {
        scrub_scan_fail(w, res, failure_of(rc), -1, rec, len);
        return;
    }
    res->verdict = SCRUB_V_REDACTED;
    res->out = w->out.data;
    res->out_len = w->out.len;
}

uint64_t *scrub_scan_candidates(scrub_worker_t *w)
{
    return w->cand;
}

scrub_pf_scratch_t *scrub_scan_pf_scratch(scrub_worker_t *w)
{
    return w->pf_scratch;
}

void scrub_worker_scan(scrub_worker_t *w, const uint8_t *rec, size_t len, scrub_result_t *res)
{
    scrub_scan_with(w, rec, len, NULL, res);
}

void scrub_worker_scan_field(scrub_worker_t *w, const uint8_t *path, size_t path_len,
                             const uint8_t *val, size_t len, scrub_result_t *res)
{
    const uint8_t *key = path;
    size_t klen = path_len, i;
    const scrub_buf_t *repl = NULL;
    int rc;

    for (i = path_len; i > 0; i--) {
        if (path[i - 1] == '.') {
            key = path + i;
            klen = path_len - i;
            break;
        }
    }
    start_result(w, res, val, len);
    if (len > w->rs->cfg->limits.max_record) {
        scrub_scan_fail(w, res, SCRUB_FAIL_OVERSIZE, -1, val, len);
        return;
    }
    rc = scan_value(w, path_len ? key : NULL, klen, path, path_len, val, len, 0, len, &repl);
    if (rc != 0) {
        scrub_scan_fail(w, res, failure_of(rc), w->failed_rule, val, len);
        return;
    }
    if (w->f.n == 0) {
        return;
    }
    /* field findings carry the value's own offsets */
    for (i = 0; i < w->f.n && i < w->tf.n; i++) {
        w->f.v[i] = w->tf.v[i];
    }
    if (settle(&w->f, res)) {
        return;
    }
    if (repl == NULL) {
        res->verdict = SCRUB_V_TAGGED;
        return;
    }
    res->verdict = SCRUB_V_REDACTED;
    res->out = repl->data;
    res->out_len = repl->len;
}
