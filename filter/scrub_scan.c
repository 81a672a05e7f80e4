/* scrub_scan: one record -> findings -> verdict, with per-thread scratch (scrub_worker). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_scan.h"
#include "scrub_l4j.h"
#include "scrub_rewrite.h"

#include <stdlib.h>
#include <string.h>

#define L4J_MAX_HITS 64

struct scrub_worker {
    scrub_ruleset_t *rs;            /* referenced rule set */
    pcre2_match_data *md;           /* sized for the largest capture count */
    pcre2_match_context *mctx;      /* match/depth/heap limits */
    pcre2_jit_stack *jit_stack;     /* JIT stack, 32 KiB growing to 1 MiB */
    uint64_t *cand;                 /* candidate rule bitset */
    scrub_pf_scratch_t *pf_scratch; /* prefilter scratch for this thread */
    scrub_finding_t *f;             /* findings of the current record */
    size_t nf;
    size_t fcap;
    scrub_buf_t out;                /* rewritten record */
    scrub_l4j_t *l4j;               /* log4shell evaluator scratch, created on first use */
    scrub_l4j_hit_t hits[L4J_MAX_HITS]; /* evaluator results */
};

scrub_worker_t *scrub_worker_new(scrub_ruleset_t *rs)
{
    scrub_worker_t *w = calloc(1, sizeof(*w));
    const scrub_limits_t *l = &rs->cfg->limits;

    if (w == NULL) {
        return NULL;
    }
    w->rs = scrub_ruleset_ref(rs);
    scrub_buf_init(&w->out, 0);
    w->md = pcre2_match_data_create(rs->max_ovector, NULL);
    w->mctx = pcre2_match_context_create(NULL);
    w->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    w->cand = calloc(rs->nwords, sizeof(*w->cand));
    w->pf_scratch = scrub_prefilter_scratch_new(rs->pf);
    w->fcap = 64;
    w->f = malloc(w->fcap * sizeof(*w->f));
    if (w->md == NULL || w->mctx == NULL || w->jit_stack == NULL || w->cand == NULL ||
        w->f == NULL || w->pf_scratch == NULL) {
        scrub_worker_destroy(w);
        return NULL;
    }
    pcre2_set_match_limit(w->mctx, l->match_limit);
    pcre2_set_depth_limit(w->mctx, l->depth_limit);
    pcre2_set_heap_limit(w->mctx, l->heap_limit_kb);
    pcre2_jit_stack_assign(w->mctx, NULL, w->jit_stack);
    return w;
}

void scrub_worker_destroy(scrub_worker_t *w)
{
    if (w == NULL) {
        return;
    }
    pcre2_match_data_free(w->md);
    pcre2_match_context_free(w->mctx);
    pcre2_jit_stack_free(w->jit_stack);
    free(w->cand);
    scrub_prefilter_scratch_destroy(w->pf_scratch);
    free(w->f);
    scrub_buf_free(&w->out);
    scrub_l4j_destroy(w->l4j);
    scrub_ruleset_unref(w->rs);
    free(w);
}

scrub_ruleset_t *scrub_worker_ruleset(const scrub_worker_t *w)
{
    return w->rs;
}

/* ---- findings --------------------------------------------------------------- */

static int add_finding(scrub_worker_t *w, uint32_t rule, size_t start, size_t end)
{
    if (w->nf >= w->rs->cfg->limits.max_findings) {
        return SCRUB_ELIMIT;
    }
    if (w->nf == w->fcap) {
        scrub_finding_t *nf = realloc(w->f, 2 * w->fcap * sizeof(*nf));
        if (nf == NULL) {
            return SCRUB_ENOMEM;
        }
        w->f = nf;
        w->fcap *= 2;
    }
    w->f[w->nf].rule = rule;
    w->f[w->nf].action = w->rs->rules[rule].action;
    w->f[w->nf].start = start;
    w->f[w->nf].end = end;
    w->nf++;
    return 0;
}

/* 1 when any allow pattern matches the secret: the finding is cancelled. */
static int allowed(scrub_worker_t *w, pcre2_code **allow, size_t n, const uint8_t *s,
                   size_t len, int *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int rc = pcre2_match(allow[i], s, len, 0, 0, w->md, w->mctx);
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
 * The single global-iteration routine (pre-10.47 algorithm of pcre2demo):
 * after an empty match retry at the same offset with NOTEMPTY_ATSTART |
 * ANCHORED, else advance one character (a whole UTF-8 sequence in UTF mode,
 * two bytes over CRLF). Returns 0 or SCRUB_ELIMIT / SCRUB_ENOMEM.
 */
static int run_regex(scrub_worker_t *w, uint32_t idx, const uint8_t *rec, size_t len)
{
    const scrub_rule_t *r = &w->rs->rules[idx];
    PCRE2_SIZE *ov;
    size_t off = 0;
    uint32_t opts = 0;
    int rc;

    for (;;) {
        size_t s, e, m0, m1;
        rc = pcre2_match(r->re, rec, len, off, opts, w->md, w->mctx);
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
                rc = add_finding(w, idx, s, e);
                if (rc != 0) {
                    return rc;
                }
            }
            else if (err != 0) {
                return err;
            }
        }
        off = m1;
        opts = m0 == m1 ? (PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) : 0;
        if (off > len) {
            return 0;
        }
    }
}

static int run_log4shell(scrub_worker_t *w, uint32_t idx, const uint8_t *rec, size_t len)
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
    if (n == SCRUB_EBUDGET) {
        return SCRUB_EBUDGET;
    }
    if (n < 0) {
        return n;
    }
    if (n >= L4J_MAX_HITS) {
        return SCRUB_ELIMIT; /* more hits than we can hold: fail closed */
    }
    for (i = 0; i < n; i++) {
        size_t s = w->hits[i].start, e = w->hits[i].end;
        int err = 0;
        /* A rule regex, when present, must also match inside the span. */
        if (r->re != NULL && pcre2_match(r->re, rec + s, e - s, 0, 0, w->md, w->mctx) < 0) {
            continue;
        }
        if (allowed(w, r->allow, r->nallow, rec + s, e - s, &err) || err != 0) {
            if (err != 0) {
                return err;
            }
            continue;
        }
        rc = add_finding(w, idx, s, e);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
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
    res->nfindings = w->nf;
    res->findings = w->f;
}

/* Run the candidate rules in w->cand over rec; fills w->f. Returns 0 or an error. */
static int run_candidates(scrub_worker_t *w, const uint8_t *rec, size_t len, int *failed_rule)
{
    const scrub_ruleset_t *rs = w->rs;
    size_t word;
    int rc;

    for (word = 0; word < rs->nwords; word++) {
        uint64_t bits = w->cand[word];
        while (bits != 0) {
            uint32_t idx = (uint32_t)(word * 64 + (size_t)__builtin_ctzll(bits));
            const scrub_rule_t *r = &rs->rules[idx];
            bits &= bits - 1;
            if (idx >= rs->nrules) {
                break;
            }
            rc = r->detector == SCRUB_DET_LOG4SHELL ? run_log4shell(w, idx, rec, len)
                                                    : run_regex(w, idx, rec, len);
            if (rc != 0) {
                *failed_rule = (int)idx;
                return rc;
            }
        }
    }
    return 0;
}

void scrub_scan_with(scrub_worker_t *w, const uint8_t *rec, size_t len, int collect,
                     scrub_result_t *res)
{
    const scrub_ruleset_t *rs = w->rs;
    scrub_action_t strongest = SCRUB_ACT_NONE;
    int failed_rule = -1;
    size_t i;
    int rc;

    memset(res, 0, sizeof(*res));
    res->failed_rule = -1;
    res->in_len = len;
    res->out = rec;
    res->out_len = len;
    w->nf = 0;
    if (len > rs->cfg->limits.max_record) {
        scrub_scan_fail(w, res, SCRUB_FAIL_OVERSIZE, -1, rec, len);
        return;
    }
    if (collect) {
        memcpy(w->cand, rs->always, rs->nwords * sizeof(*w->cand));
        scrub_prefilter_collect(rs->pf, w->pf_scratch, rec, len, w->cand);
    }
    rc = run_candidates(w, rec, len, &failed_rule);
    if (rc != 0) {
        scrub_scan_fail(w, res, failure_of(rc), failed_rule, rec, len);
        return;
    }
    if (w->nf == 0) {
        return;
    }
    qsort(w->f, w->nf, sizeof(*w->f), cmp_finding);
    for (i = 0; i < w->nf; i++) {
        if (w->f[i].action > strongest) {
            strongest = w->f[i].action;
        }
    }
    res->nfindings = w->nf;
    res->findings = w->f;
    switch (strongest) {
    case SCRUB_ACT_QUARANTINE:
        res->verdict = SCRUB_V_QUARANTINED;
        return;
    case SCRUB_ACT_DROP:
        res->verdict = SCRUB_V_DROPPED;
        return;
    case SCRUB_ACT_TAG:
        res->verdict = SCRUB_V_TAGGED;
        return;
    default:
        break;
    }
    scrub_buf_reset(&w->out);
    rc = scrub_rewrite_raw(rs, w->f, w->nf, rec, len, &w->out);
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
    scrub_scan_with(w, rec, len, 1, res);
}

void scrub_worker_scan_field(scrub_worker_t *w, const uint8_t *path, size_t path_len,
                             const uint8_t *val, size_t len, scrub_result_t *res)
{
    (void)path;
    (void)path_len;
    scrub_scan_with(w, val, len, 1, res);
}
