/* scrub_prefilter: case-insensitive keyword search over whole buffers. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_prefilter.h"
#include "scrub.h"
#include "scrub_bytes.h"

#include <stdlib.h>
#include <string.h>

#ifdef WITH_VECTORSCAN
#include <hs.h>
#endif

/*
 * Two engines answer the same questions with the same results (a property
 * test checks it). With Vectorscan: its literal matcher over the distinct
 * keywords (a keyword holding a shorter one is checked at the shorter one's
 * hits), except those holding a byte rare in logs, which a SIMD byte search
 * finds (scrub_bytes). Without it, or when it fails: the DFA below.
 *
 * DFA build: a trie over folded bytes, then BFS for failure links, then a dense
 * DFA over byte classes (bytes that occur in no keyword share class 0).
 * States are renumbered so that every state with an output has an id >=
 * first_out: the scan loop then needs one comparison per byte.
 */

#define MAX_STATES 65000

typedef struct trie_node {
    int32_t next[256];   /* child per folded byte, -1 when absent (build only) */
    int32_t fail;        /* failure link */
    uint32_t out_first;  /* index into the pending output list, or UINT32_MAX */
} trie_node_t;

typedef struct pending_out {
    uint32_t rule;       /* rule selected */
    uint32_t next;       /* next output of the same node, or UINT32_MAX */
} pending_out_t;

#define SEL_EXACT UINT32_MAX

/* One rule a database literal selects: at once (kw == SEL_EXACT: the literal
 * is the rule's keyword), or when keyword kw, which holds the literal at
 * offset off, is really there around the hit. */
typedef struct lit_sel {
    uint32_t rule;
    uint32_t kw;
    uint32_t off;
} lit_sel_t;

/* Anchor entries are grouped by the rare byte and the (folded) byte after it
 * in the literal, or ANC_END when the literal ends with the rare byte. */
#define ANC_END 256
#define ANC_KEYS (SCRUB_BYTES_MAX * 257)

/* A database literal found by its rare byte: literal id, the keyword that
 * spells it, and the offset of the rare byte in it. */
typedef struct anchor {
    uint32_t lit;
    uint32_t kw;
    uint32_t at;
} anchor_t;

struct scrub_prefilter {
    /* build-time */
    trie_node_t *nodes;       /* trie nodes */
    size_t nnodes;
    size_t nodes_cap;
    pending_out_t *pend;      /* outputs per node */
    size_t npend;
    size_t pend_cap;
    /* compiled */
    uint8_t cls[256];         /* folded byte -> class */
    uint8_t rep[256];         /* class -> one (folded) byte of it (build only) */
    size_t ncls;              /* number of classes */
    uint32_t *trans;          /* [state + class] -> state; states are premultiplied by ncls */
    uint32_t first_out;       /* states >= this have outputs */
    uint32_t *out_off;        /* per state: offset into outs */
    uint32_t *out_len;        /* per state: number of rules */
    uint32_t *outs;           /* rule ids */
    size_t nstates;
    int built;                /* build done */
    int engine;               /* SCRUB_PF_AUTO or SCRUB_PF_DFA */
    /* keywords as added, for the literal engine */
    char **kw;                /* folded copies */
    size_t *kw_len;           /* their lengths */
    uint32_t *kw_rule;        /* rule selected by each keyword */
    size_t nkw;
#ifdef WITH_VECTORSCAN
    hs_database_t *hs;        /* Vectorscan literal database, NULL when not in use */
    uint32_t *lit_off;        /* per database literal: first entry in lit_sel */
    uint32_t *lit_n;          /* per database literal: number of entries */
    uint32_t *lit_len;        /* per database literal: its length */
    lit_sel_t *lit_sel;       /* rules selected, grouped by literal */
    /* literals with a byte that is rare in logs are found by that byte instead */
    scrub_byteset_t rare;     /* their anchor bytes */
    uint8_t rare_ix[256];     /* 1 + index of a byte in `rare`, 0 for other bytes */
    anchor_t *anc;            /* those literals, grouped by anc_key */
    uint32_t anc_first[ANC_KEYS + 1]; /* per key: first entry in anc (the next key's ends it) */
#endif
};

struct scrub_pf_scratch {
#ifdef WITH_VECTORSCAN
    hs_scratch_t *hs;         /* per-thread Vectorscan scratch */
#endif
    int unused;               /* keeps the struct non-empty without Vectorscan */
};

static size_t dfa_find(const scrub_prefilter_t *pf, const uint8_t *p, size_t from, size_t n);
static size_t dfa_collect(const scrub_prefilter_t *pf, const uint8_t *p, size_t n,
                          uint64_t *bits);

static uint8_t fold(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

scrub_prefilter_t *scrub_prefilter_new(void)
{
    return calloc(1, sizeof(scrub_prefilter_t));
}

void scrub_prefilter_destroy(scrub_prefilter_t *pf)
{
    size_t i;

    if (pf == NULL) {
        return;
    }
    for (i = 0; i < pf->nkw; i++) {
        free(pf->kw[i]);
    }
    free(pf->kw);
    free(pf->kw_len);
    free(pf->kw_rule);
#ifdef WITH_VECTORSCAN
    hs_free_database(pf->hs);
    free(pf->lit_off);
    free(pf->lit_n);
    free(pf->lit_len);
    free(pf->lit_sel);
    free(pf->anc);
#endif
    free(pf->nodes);
    free(pf->pend);
    free(pf->trans);
    free(pf->out_off);
    free(pf->out_len);
    free(pf->outs);
    free(pf);
}

/* Remember the keyword for the literal engine. */
static int keep_keyword(scrub_prefilter_t *pf, const char *kw, size_t len, uint32_t rule)
{
    char **k = realloc(pf->kw, (pf->nkw + 1) * sizeof(*k));
    size_t *l;
    uint32_t *r;
    size_t i;

    if (k == NULL) {
        return -1;
    }
    pf->kw = k;
    l = realloc(pf->kw_len, (pf->nkw + 1) * sizeof(*l));
    if (l == NULL) {
        return -1;
    }
    pf->kw_len = l;
    r = realloc(pf->kw_rule, (pf->nkw + 1) * sizeof(*r));
    if (r == NULL) {
        return -1;
    }
    pf->kw_rule = r;
    pf->kw[pf->nkw] = malloc(len + 1);
    if (pf->kw[pf->nkw] == NULL) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        pf->kw[pf->nkw][i] = (char)fold((uint8_t)kw[i]);
    }
    pf->kw[pf->nkw][len] = '\0';
    pf->kw_len[pf->nkw] = len;
    pf->kw_rule[pf->nkw] = rule;
    pf->nkw++;
    return 0;
}

void scrub_prefilter_set_engine(scrub_prefilter_t *pf, int engine)
{
    pf->engine = engine;
}

const char *scrub_prefilter_engine_name(const scrub_prefilter_t *pf)
{
#ifdef WITH_VECTORSCAN
    if (pf->hs != NULL) {
        return "vectorscan";
    }
#endif
    (void)pf;
    return "dfa";
}

/* Point span i at its bit words and preset them; no keyword places yet. */
static void span_bits(scrub_span_t *sp, size_t i, uint64_t *bits, size_t nwords,
                      const uint64_t *init)
{
    sp->npos = SCRUB_POS_UNKNOWN;
    if (bits == NULL) {
        sp->bits = NULL;
        return;
    }
    sp->bits = bits + i * nwords;
    if (init != NULL) {
        memcpy(sp->bits, init, nwords * sizeof(*bits));
    }
    else {
        memset(sp->bits, 0, nwords * sizeof(*bits));
    }
}

#ifdef WITH_VECTORSCAN
static int by_len(const void *a, const void *b, void *ctx)
{
    const size_t *len = ctx;
    size_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return len[x] < len[y] ? -1 : len[x] > len[y] ? 1 : (x < y ? -1 : x > y);
}

/*
 * The kept literals of plan_literals by their first two bytes (one-byte
 * literals by their byte), so that finding the first kept literal inside a
 * keyword probes one short list per position of the keyword instead of
 * searching for every kept literal in turn (the default packs' 540 keywords:
 * 8.7 M -> 2.1 M instructions for the whole plan).
 */
#define KEPT_KEYS (65536 + 256)

typedef struct kept_index {
    int32_t *head;   /* per key: a kept literal (its place in ord), or -1 */
    int32_t *next;   /* per kept literal: the next one with the same key, or -1 */
} kept_index_t;

static size_t kept_key(const char *kw, size_t len, size_t t)
{
    return t + 1 < len ? ((size_t)(uint8_t)kw[t] << 8 | (uint8_t)kw[t + 1])
                       : 65536 + (size_t)(uint8_t)kw[t];
}

/* Among the kept literals ord[0, nlit) that occur in keyword i, the first
 * in ord (the shortest), with the offset of its first occurrence in *at;
 * -1 when none does. */
static long first_kept_in(const scrub_prefilter_t *pf, const kept_index_t *ix,
                          const uint32_t *ord, uint32_t i, uint32_t *at)
{
    const char *kw = pf->kw[i];
    size_t n = pf->kw_len[i], t;
    long best = -1;

    for (t = 0; t < n; t++) {
        size_t pass;
        /* one-byte literals, then those that start with kw[t], kw[t + 1] */
        for (pass = 0; pass < 2 && (pass == 0 || t + 1 < n); pass++) {
            int32_t j = ix->head[pass == 0 ? 65536 + (size_t)(uint8_t)kw[t] : kept_key(kw, n, t)];
            for (; j >= 0; j = ix->next[j]) {
                size_t m = pf->kw_len[ord[j]];
                if ((best < 0 || j < best) && m <= n - t &&
                    memcmp(kw + t, pf->kw[ord[j]], m) == 0) {
                    best = j;
                    *at = (uint32_t)t;
                }
            }
        }
    }
    return best;
}

/* Add rule's entry to literal k's list unless an entry already selects it unconditionally. */
static void sel_add(scrub_prefilter_t *pf, size_t k, size_t *pos, lit_sel_t e)
{
    size_t q;

    for (q = pf->lit_off[k]; q < *pos; q++) {
        lit_sel_t *o = &pf->lit_sel[q];
        if (o->rule == e.rule && (o->kw == SEL_EXACT || (o->kw == e.kw && o->off == e.off))) {
            return;
        }
        if (o->rule == e.rule && e.kw == SEL_EXACT) {
            *o = e; /* the unconditional entry replaces a conditional one */
            return;
        }
    }
    pf->lit_sel[(*pos)++] = e;
    pf->lit_n[k]++;
}

/*
 * Fewer literals make the literal matcher faster, so the database holds each
 * distinct keyword once, and a keyword that contains a shorter keyword is left
 * out: a hit of the shorter one then checks whether the longer keyword is
 * there around it (lit_bits_at) before it selects that keyword's rules, so the
 * selection is exactly what the DFA would give.
 * Returns the number of database literals written to ord[], or 0 on ENOMEM.
 */
static size_t plan_literals(scrub_prefilter_t *pf, uint32_t *ord)
{
    uint32_t *owner = malloc(pf->nkw * sizeof(*owner));
    uint32_t *at = malloc(pf->nkw * sizeof(*at));
    kept_index_t ix = {malloc(KEPT_KEYS * sizeof(*ix.head)), malloc(pf->nkw * sizeof(*ix.next))};
    size_t i, k, key, nlit = 0, pos = 0;

    if (owner == NULL || at == NULL || ix.head == NULL || ix.next == NULL) {
        free(owner);
        free(at);
        free(ix.head);
        free(ix.next);
        return 0;
    }
    memset(ix.head, 0xff, KEPT_KEYS * sizeof(*ix.head)); /* -1: no kept literal */
    for (i = 0; i < pf->nkw; i++) {
        ord[i] = (uint32_t)i;
    }
    qsort_r(ord, pf->nkw, sizeof(*ord), by_len, pf->kw_len);
    /* owner[i]: the kept keyword whose literal selects keyword i, found at offset at[i] */
    for (k = 0; k < pf->nkw; k++) {
        uint32_t i2 = ord[k];
        long j = first_kept_in(pf, &ix, ord, i2, &at[i2]);
        if (j >= 0) {
            owner[i2] = ord[j];
            continue;
        }
        /* kept: ord[0, nlit) are the database literals */
        owner[i2] = i2;
        at[i2] = 0;
        key = kept_key(pf->kw[i2], pf->kw_len[i2], 0);
        ix.next[nlit] = ix.head[key];
        ix.head[key] = (int32_t)nlit;
        ord[nlit++] = i2;
    }
    free(ix.head);
    free(ix.next);
    pf->lit_off = malloc(nlit * sizeof(*pf->lit_off));
    pf->lit_n = calloc(nlit, sizeof(*pf->lit_n));
    pf->lit_len = malloc(nlit * sizeof(*pf->lit_len));
    pf->lit_sel = malloc(pf->nkw * sizeof(*pf->lit_sel));
    if (pf->lit_off == NULL || pf->lit_n == NULL || pf->lit_len == NULL || pf->lit_sel == NULL) {
        free(owner);
        free(at);
        return 0;
    }
    for (k = 0; k < nlit; k++) {
        pf->lit_off[k] = (uint32_t)pos;
        pf->lit_len[k] = (uint32_t)pf->kw_len[ord[k]];
        for (i = 0; i < pf->nkw; i++) {
            if (owner[i] == ord[k]) {
                int same = pf->kw_len[i] == pf->kw_len[ord[k]];
                lit_sel_t e = {pf->kw_rule[i], same ? SEL_EXACT : (uint32_t)i, at[i]};
                sel_add(pf, k, &pos, e);
            }
        }
    }
    free(owner);
    free(at);
    return nlit;
}

/*
 * Bytes that are rare in log text. A literal holding one (the log4j and
 * escape triggers: "${", "%24", "\\u00", "&#"; Azure's "8q~") is short and
 * would slow the literal matcher down for every byte scanned, so it is found
 * instead by a SIMD search for its rare byte and a compare around each one.
 */
static const char RARE_BYTES[] = "$%&\\~";

/*
 * Offset of the first rare byte in literal kw, or -1 when it has none or is
 * better left to the literal matcher: a literal of 5 bytes or more whose rare
 * byte comes after 3 ordinary ones (docker's `auth\"`, `sha256~`) costs the
 * matcher nothing measurable, while its rare byte can be common in some logs
 * (`\"` in JSON lines, where every one would have to be checked).
 */
static long rare_at(const char *kw, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (kw[i] != '\0' && strchr(RARE_BYTES, kw[i]) != NULL) {
            return i >= 3 && len >= 5 ? -1 : (long)i;
        }
    }
    return -1;
}

/* The anchor group of a literal whose rare byte (rare index ri) is followed by nb. */
static size_t anc_key(size_t ri, unsigned nb)
{
    return ri * 257 + nb;
}

/* Move the literals with a rare byte out of lits[0, nlit) into the anchor
 * tables; returns the number left for the literal matcher, or SIZE_MAX on ENOMEM. */
static size_t plan_rare(scrub_prefilter_t *pf, const uint32_t *ord, size_t nlit, unsigned *ids,
                        const char **lits, size_t *lens)
{
    uint32_t *fill = calloc(ANC_KEYS + 1, sizeof(*fill));
    size_t *key = malloc((nlit + 1) * sizeof(*key));
    size_t i, k, nhs = 0, pos = 0;

    if (fill == NULL || key == NULL || (pf->anc = malloc((nlit + 1) * sizeof(*pf->anc))) == NULL) {
        free(fill);
        free(key);
        return SIZE_MAX;
    }
    scrub_bytes_init(&pf->rare);
    for (i = 0; i < nlit; i++) {
        const char *kw = pf->kw[ord[i]];
        size_t len = pf->kw_len[ord[i]];
        long a = rare_at(kw, len);
        key[i] = SIZE_MAX;
        /* RARE_BYTES has fewer bytes than a byte set holds */
        if (a >= 0 && scrub_bytes_add(&pf->rare, (uint8_t)kw[a]) == 0) {
            if (pf->rare_ix[(uint8_t)kw[a]] == 0) {
                pf->rare_ix[(uint8_t)kw[a]] = (uint8_t)pf->rare.n; /* just added */
            }
            key[i] = anc_key(pf->rare_ix[(uint8_t)kw[a]] - 1U,
                             (size_t)a + 1 < len ? (uint8_t)kw[a + 1] : ANC_END);
            fill[key[i]]++;
        }
    }
    for (k = 0; k <= ANC_KEYS; k++) {
        size_t c = fill[k];
        pf->anc_first[k] = (uint32_t)pos;
        fill[k] = (uint32_t)pos;
        pos += c;
    }
    for (i = 0; i < nlit; i++) {
        if (key[i] != SIZE_MAX) {
            anchor_t *e = &pf->anc[fill[key[i]]++];
            e->lit = (uint32_t)i;
            e->kw = ord[i];
            e->at = (uint32_t)rare_at(pf->kw[ord[i]], pf->kw_len[ord[i]]);
        }
        else {
            ids[nhs] = (unsigned)i;
            lits[nhs] = pf->kw[ord[i]];
            lens[nhs] = pf->kw_len[ord[i]];
            nhs++;
        }
    }
    free(fill);
    free(key);
    return nhs;
}

/* Compile the keywords as caseless literals. Failure is not an error: the DFA serves. */
static void hs_build(scrub_prefilter_t *pf)
{
    uint32_t *ord = malloc((pf->nkw + 1) * sizeof(*ord));
    unsigned *flags = calloc(pf->nkw + 1, sizeof(*flags));
    unsigned *ids = calloc(pf->nkw + 1, sizeof(*ids));
    const char **lits = calloc(pf->nkw + 1, sizeof(*lits));
    size_t *lens = calloc(pf->nkw + 1, sizeof(*lens));
    hs_compile_error_t *err = NULL;
    size_t i, nlit, nhs;

    if (ord != NULL && flags != NULL && ids != NULL && lits != NULL && lens != NULL &&
        pf->nkw > 0 && (nlit = plan_literals(pf, ord)) > 0 &&
        (nhs = plan_rare(pf, ord, nlit, ids, lits, lens)) != SIZE_MAX && nhs > 0) {
        for (i = 0; i < nhs; i++) {
            flags[i] = HS_FLAG_CASELESS; /* every occurrence: lines mode needs them all */
        }
        if (hs_compile_lit_multi(lits, flags, ids, lens, (unsigned)nhs, HS_MODE_BLOCK, NULL,
                                 &pf->hs, &err) != HS_SUCCESS) {
            pf->hs = NULL;
            hs_free_compile_error(err);
        }
    }
    free(ord);
    free(flags);
    free(ids);
    free(lits);
    free(lens);
}

/* p[0, m) folded equals kw[0, m) (kw is folded). */
static int folded_eq(const char *kw, const uint8_t *p, size_t m)
{
    size_t i;

    for (i = 0; i < m; i++) {
        if (fold(p[i]) != (uint8_t)kw[i]) {
            return 0;
        }
    }
    return 1;
}

/* True when folded keyword kw (length m) occurs in p[0, n) at position at. */
static int kw_at(const char *kw, size_t m, const uint8_t *p, size_t n, size_t at)
{
    return at <= n && m <= n - at && folded_eq(kw, p + at, m);
}

/* True when folded keyword kw (length m) is at p[lstart - off]: its bytes
 * [off, off + len) are known to be there (the literal found at p[lstart],
 * ending within p[0, n)), so only the bytes around them are compared. */
static int kw_around(const char *kw, size_t m, size_t off, size_t len, const uint8_t *p,
                     size_t n, size_t lstart)
{
    const uint8_t *k0 = p + lstart - off;
    size_t tail = off + len;

    /* past the literal, the keyword must still fit in the text */
    return m - tail <= n - (lstart + len) && folded_eq(kw, k0, off) &&
           folded_eq(kw + tail, k0 + tail, m - tail);
}

/* Keyword of `rule` starting at p[at] in span sp: note it in the rule's
 * entry, or in a new one while there is room (a rule without an entry is
 * matched everywhere, so one that finds no room needs nothing). */
static void span_note(scrub_span_t *sp, uint32_t rule, size_t at)
{
    size_t rel = at - sp->start;
    scrub_kwpos_t *e;
    uint32_t i;

    if (sp->npos == SCRUB_POS_UNKNOWN) {
        return;
    }
    if (rel >= UINT32_MAX) {
        sp->npos = SCRUB_POS_UNKNOWN; /* not a record that is scanned anyway */
        return;
    }
    for (i = 0; i < sp->npos && sp->pos[i].rule != rule; i++) {
    }
    e = &sp->pos[i];
    if (i == sp->npos) {
        if (i == SCRUB_SPAN_POS) {
            return;
        }
        e->rule = rule;
        e->n = 0;
        e->first = (uint32_t)rel;
        e->last = (uint32_t)rel;
        sp->npos++;
    }
    if (e->n < SCRUB_KW_AT) {
        e->at[e->n] = (uint32_t)rel;
    }
    e->n += e->n < UINT32_MAX;
    e->first = (uint32_t)rel < e->first ? (uint32_t)rel : e->first;
    e->last = (uint32_t)rel > e->last ? (uint32_t)rel : e->last;
}

/*
 * Database literal `id` ended at p[end - 1]: set in bits (may be NULL) the
 * rules it selects there, note where their keywords start in span sp (may be
 * NULL), and return how many entries held (0: no keyword of any rule is at
 * this place, the hit is only a part of a longer word's keyword that is not
 * there).
 */
static size_t lit_bits_at(const scrub_prefilter_t *pf, unsigned id, uint64_t *bits,
                          scrub_span_t *sp, const uint8_t *p, size_t n, size_t end)
{
    const lit_sel_t *e = pf->lit_sel + pf->lit_off[id];
    size_t q, held = 0, lstart = end - pf->lit_len[id];

    for (q = 0; q < pf->lit_n[id]; q++, e++) {
        size_t kstart = lstart;
        if (e->kw != SEL_EXACT) {
            if (lstart < e->off || !kw_around(pf->kw[e->kw], pf->kw_len[e->kw], e->off,
                                              pf->lit_len[id], p, n, lstart)) {
                continue;
            }
            kstart = lstart - e->off;
        }
        held++;
        if (bits != NULL) {
            bits[e->rule >> 6] |= 1ULL << (e->rule & 63);
        }
        if (sp != NULL) {
            span_note(sp, e->rule, kstart);
        }
    }
    return held;
}

/* Called for each literal found by its rare byte, with its end offset;
 * nonzero stops the walk. It may lower *limit (the walk then stops there). */
typedef int (*rare_fn)(void *ctx, unsigned id, size_t end, size_t *limit);

/* The literals anchored on the rare byte p[i]: see rare_walk. */
static int rare_at_byte(const scrub_prefilter_t *pf, const uint8_t *p, size_t base, size_t i,
                        size_t n, rare_fn fn, void *ctx, size_t *limit)
{
    size_t ri = pf->rare_ix[p[i]] - 1U, pass;
    unsigned nb = i + 1 < n ? fold(p[i + 1]) : ANC_END;

    /* the literals that continue with p[i + 1], then those that end at p[i] */
    for (pass = 0; pass < 2; pass++) {
        size_t k = anc_key(ri, pass == 0 ? nb : ANC_END);
        const anchor_t *e = pf->anc + pf->anc_first[k];
        const anchor_t *end = pf->anc + pf->anc_first[k + 1];
        for (; e < end && (pass == 0 || nb != ANC_END); e++) {
            size_t start = i - e->at;
            if (i >= base + e->at && kw_at(pf->kw[e->kw], pf->kw_len[e->kw], p, n, start) &&
                fn(ctx, e->lit, start + pf->kw_len[e->kw], limit) != 0) {
                return 1;
            }
        }
    }
    return 0;
}

/*
 * Visit the rare bytes of p[from, limit) in order, and for each, the literals
 * anchored on that byte that are really there: they may start before from,
 * down to p[base], and reach past limit, up to n. Returns the position of the
 * rare byte at which fn stopped the walk, or the limit.
 */
static size_t rare_walk(const scrub_prefilter_t *pf, const uint8_t *p, size_t base, size_t from,
                        size_t limit, size_t n, rare_fn fn, void *ctx)
{
    size_t at[64], got, q;

    do {
        got = scrub_bytes_find(&pf->rare, p, from, limit, n, at, 64);
        for (q = 0; q < got && at[q] < limit; q++) {
            if (rare_at_byte(pf, p, base, at[q], n, fn, ctx, &limit) != 0) {
                return at[q];
            }
        }
        from = got > 0 ? at[got - 1] + 1 : limit;
    } while (got == 64 && from < limit);
    return limit;
}

typedef struct hs_ctx {
    const scrub_prefilter_t *pf; /* for keyword -> rule */
    unsigned long long first;    /* end offset of the first match */
    uint64_t *bits;              /* collect: rule bitset */
    scrub_span_t *sp;            /* collect: keyword places, or NULL */
    size_t hits;                 /* collect: matches */
    const uint8_t *p;            /* the text scanned */
    size_t n;                    /* its length */
} hs_ctx_t;

static int on_first(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
    hs_ctx_t *c = ctx;

    (void)from;
    (void)flags;
    if (lit_bits_at(c->pf, id, NULL, NULL, c->p, c->n, (size_t)to) == 0) {
        return 0;
    }
    c->first = to;
    return 1; /* stop at the first keyword */
}

typedef struct rare_first_ctx {
    const scrub_prefilter_t *pf;
    const uint8_t *p;
    size_t n;
    size_t best;   /* smallest end offset so far, or SIZE_MAX */
} rare_first_ctx_t;

static int rare_first(void *ctx, unsigned id, size_t end, size_t *limit)
{
    rare_first_ctx_t *c = ctx;

    if (end < c->best && lit_bits_at(c->pf, id, NULL, NULL, c->p, c->n, end) > 0) {
        c->best = end;
        /* a literal anchored at i ends after i: rare bytes from here on end later */
        if (end < *limit) {
            *limit = end;
        }
    }
    return 0;
}

/* End offset of the literal found by a rare byte in p[from, limit) (it may
 * end past limit, up to n) that ends first and selects a rule, or SIZE_MAX. */
static size_t rare_first_end(const scrub_prefilter_t *pf, const uint8_t *p, size_t from,
                             size_t limit, size_t n)
{
    rare_first_ctx_t c = {pf, p, n, SIZE_MAX};

    rare_walk(pf, p, from, from, limit, n, rare_first, &c);
    return c.best;
}

/* The rare-byte counterpart of on_each. */
static int rare_each(void *ctx, unsigned id, size_t end, size_t *limit)
{
    hs_ctx_t *c = ctx;

    (void)limit;
    if (lit_bits_at(c->pf, id, c->bits, c->sp, c->p, c->n, end) > 0) {
        c->hits++;
    }
    return 0;
}

static int on_each(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                   void *ctx)
{
    hs_ctx_t *c = ctx;

    (void)from;
    (void)flags;
    if (lit_bits_at(c->pf, id, c->bits, c->sp, c->p, c->n, (size_t)to) > 0) {
        c->hits++;
    }
    return 0;
}

/* When the literal matcher cannot answer: every rule with a keyword (fail closed). */
static size_t all_rules(const scrub_prefilter_t *pf, uint64_t *bits)
{
    size_t i;

    for (i = 0; i < pf->nkw; i++) {
        bits[pf->kw_rule[i] >> 6] |= 1ULL << (pf->kw_rule[i] & 63);
    }
    return pf->nkw;
}

/*
 * The literal matcher stops at its first keyword (ends are reported in
 * order); a literal found by its rare byte can only end earlier if that byte
 * comes before the matcher's hit, so the rare walk stops there too: the work
 * follows the distance to the first keyword, never the rest of the buffer.
 */
static size_t hs_find(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                      size_t from, size_t n)
{
    hs_ctx_t c = {pf, 0, NULL, NULL, 0, p, n};
    size_t pos = from, hit = n, rare;

    /* hs_scan takes an unsigned int length: walk huge buffers in pieces that
     * overlap by the longest keyword. */
    while (pos < n) {
        size_t len = n - pos > (1u << 30) ? (1u << 30) : n - pos;
        hs_error_t e;
        c.p = p + pos;
        c.n = len;
        e = hs_scan(pf->hs, (const char *)p + pos, (unsigned)len, 0, sc->hs, on_first, &c);
        if (e == HS_SCAN_TERMINATED) {
            hit = pos + (size_t)c.first - 1;
            break;
        }
        if (e != HS_SUCCESS) {
            hit = pos; /* unknown: say a keyword may end here */
            break;
        }
        if (pos + len >= n) {
            break;
        }
        pos += len - 64;
    }
    rare = rare_first_end(pf, p, from, hit < n ? hit + 1 : n, n);
    return rare != SIZE_MAX && rare - 1 < hit ? rare - 1 : hit;
}

typedef struct hs_lines_ctx {
    const scrub_prefilter_t *pf; /* for keyword -> rule */
    const uint8_t *p;       /* buffer */
    size_t n;               /* its length */
    size_t skip;            /* hits before this offset are in a line already taken */
    scrub_span_t *spans;    /* output */
    size_t cap;
    size_t count;
    uint64_t *bits;         /* per-span rule bits, or NULL */
    size_t nwords;
    const uint64_t *init;   /* preset bits, or NULL */
    size_t rare_pos;        /* rare bytes before this offset have been visited */
} hs_lines_ctx_t;

/* A literal `id` ending at `to`: take its line (once) and OR in its rules.
 * Nonzero, which stops the scan, when spans[] is full and the literal is in
 * a later line: every hit of the lines taken has been seen (hits come in
 * order, and a literal never spans a line). */
static int line_hit(hs_lines_ctx_t *c, unsigned id, size_t to)
{
    size_t pos = to - 1;
    const uint8_t *nl;
    scrub_span_t *sp;
    size_t ls, le;

    if (pos < c->skip) {
        if (c->bits != NULL && c->count > 0) {
            sp = &c->spans[c->count - 1];
            lit_bits_at(c->pf, id, sp->bits, sp, c->p, c->n, (size_t)to);
        }
        return 0;
    }
    if (c->count == c->cap) {
        /* stop unless the hit is only a piece of a longer keyword that is not there */
        return lit_bits_at(c->pf, id, NULL, NULL, c->p, c->n, (size_t)to) > 0;
    }
    /* Fill the next span and take it if the hit selects a rule (one pass over
     * the literal's entries: its bits and keyword places go straight in). */
    sp = &c->spans[c->count];
    nl = pos > c->skip ? memrchr(c->p + c->skip, '\n', pos - c->skip) : NULL;
    ls = nl ? (size_t)(nl - c->p) + 1 : c->skip;
    sp->start = ls;
    span_bits(sp, c->count, c->bits, c->nwords, c->init);
    if (c->bits != NULL) {
        sp->npos = 0; /* this engine reports keyword places */
    }
    if (lit_bits_at(c->pf, id, sp->bits, c->bits != NULL ? sp : NULL, c->p, c->n, (size_t)to) ==
        0) {
        return 0; /* only a piece of a longer keyword that is not there: not taken */
    }
    nl = memchr(c->p + pos, '\n', c->n - pos);
    le = nl ? (size_t)(nl - c->p) + 1 : c->n;
    sp->end = le;
    c->count++;
    c->skip = le;
    return 0;
}

static int rare_line(void *ctx, unsigned id, size_t end, size_t *limit)
{
    (void)limit;
    return line_hit(ctx, id, end);
}

/* Vectorscan reports in order of end offset; the rare bytes before a hit are
 * visited first, so lines are taken in order (a literal never spans a line). */
static int on_line(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                   void *ctx)
{
    hs_lines_ctx_t *c = ctx;

    (void)from;
    (void)flags;
    if (c->rare_pos < (size_t)to) {
        size_t stop = rare_walk(c->pf, c->p, 0, c->rare_pos, (size_t)to, c->n, rare_line, c);
        c->rare_pos = (size_t)to;
        if (stop < (size_t)to) {
            return 1;
        }
    }
    return line_hit(c, id, (size_t)to);
}

static size_t hs_lines(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                       size_t n, scrub_span_t *spans, size_t cap, uint64_t *bits, size_t nwords,
                       const uint64_t *init)
{
    hs_lines_ctx_t c = {pf, p, n, 0, spans, cap, 0, bits, nwords, init, 0};
    hs_error_t e;

    if (n > (1u << 30)) {
        return (size_t)-1;
    }
    e = hs_scan(pf->hs, (const char *)p, (unsigned)n, 0, sc->hs, on_line, &c);
    if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED) {
        return (size_t)-1;
    }
    if (e == HS_SUCCESS && c.rare_pos < n) {
        rare_walk(pf, p, 0, c.rare_pos, n, n, rare_line, &c);
    }
    return c.count;
}

static size_t hs_collect(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                         size_t n, uint64_t *bits, scrub_span_t *sp)
{
    hs_ctx_t c = {pf, 0, bits, sp, 0, p, n};

    if (sp != NULL) {
        sp->npos = 0; /* this engine reports keyword places */
    }
    if (n > (1u << 30) ||
        hs_scan(pf->hs, (const char *)p, (unsigned)n, 0, sc->hs, on_each, &c) != HS_SUCCESS) {
        if (sp != NULL) {
            sp->npos = SCRUB_POS_UNKNOWN;
        }
        return all_rules(pf, bits);
    }
    rare_walk(pf, p, 0, 0, n, n, rare_each, &c);
    return c.hits;
}
#endif

scrub_pf_scratch_t *scrub_prefilter_scratch_new(const scrub_prefilter_t *pf)
{
    scrub_pf_scratch_t *sc = calloc(1, sizeof(*sc));

    if (sc == NULL) {
        return NULL;
    }
#ifdef WITH_VECTORSCAN
    if (pf->hs != NULL && hs_alloc_scratch(pf->hs, &sc->hs) != HS_SUCCESS) {
        free(sc);
        return NULL;
    }
#else
    (void)pf;
#endif
    return sc;
}

void scrub_prefilter_scratch_destroy(scrub_pf_scratch_t *sc)
{
    if (sc == NULL) {
        return;
    }
#ifdef WITH_VECTORSCAN
    hs_free_scratch(sc->hs);
#endif
    free(sc);
}

int scrub_prefilter_add(scrub_prefilter_t *pf, const char *kw, size_t len, uint32_t rule)
{
    if (pf->built || len == 0 || memchr(kw, '\n', len) != NULL) {
        return SCRUB_EINVAL;
    }
    return keep_keyword(pf, kw, len, rule) != 0 ? SCRUB_ENOMEM : 0;
}

/* A fresh trie node (build only); -1 when the trie is full or on ENOMEM (*rc says which). */
static int32_t trie_node(scrub_prefilter_t *pf, int *rc)
{
    trie_node_t *nd;

    if (pf->nnodes >= MAX_STATES) {
        *rc = SCRUB_ETOOBIG;
        return -1;
    }
    if (pf->nnodes == pf->nodes_cap) {
        size_t ncap = pf->nodes_cap ? 2 * pf->nodes_cap : 64;
        trie_node_t *nn = realloc(pf->nodes, ncap * sizeof(*nn));
        if (nn == NULL) {
            *rc = SCRUB_ENOMEM;
            return -1;
        }
        pf->nodes = nn;
        pf->nodes_cap = ncap;
    }
    nd = &pf->nodes[pf->nnodes];
    memset(nd->next, 0xff, sizeof(nd->next));
    nd->fail = 0;
    nd->out_first = UINT32_MAX;
    return (int32_t)pf->nnodes++;
}

/* Insert kept keyword i (already folded) into the trie. Returns 0 or an error. */
static int trie_insert(scrub_prefilter_t *pf, size_t i)
{
    const uint8_t *kw = (const uint8_t *)pf->kw[i];
    size_t k;
    int32_t s = 0;
    int rc = 0;

    for (k = 0; k < pf->kw_len[i]; k++) {
        if (pf->nodes[s].next[kw[k]] < 0) {
            int32_t ch = trie_node(pf, &rc);
            if (ch < 0) {
                return rc;
            }
            pf->nodes[s].next[kw[k]] = ch;
        }
        s = pf->nodes[s].next[kw[k]];
    }
    if (pf->npend == pf->pend_cap) {
        size_t ncap = pf->pend_cap ? pf->pend_cap * 2 : 64;
        pending_out_t *np = realloc(pf->pend, ncap * sizeof(*np));
        if (np == NULL) {
            return SCRUB_ENOMEM;
        }
        pf->pend = np;
        pf->pend_cap = ncap;
    }
    pf->pend[pf->npend].rule = pf->kw_rule[i];
    pf->pend[pf->npend].next = pf->nodes[s].out_first;
    pf->nodes[s].out_first = (uint32_t)pf->npend;
    pf->npend++;
    return 0;
}

/* Collect the rules of node s and of its failure chain (deduplicated) into buf. */
static size_t node_outputs(const scrub_prefilter_t *pf, int32_t s, uint32_t *buf, size_t cap)
{
    size_t n = 0;

    for (;;) {
        uint32_t o;
        for (o = pf->nodes[s].out_first; o != UINT32_MAX; o = pf->pend[o].next) {
            size_t k;
            for (k = 0; k < n && buf[k] != pf->pend[o].rule; k++) {
            }
            if (k == n && n < cap) {
                buf[n++] = pf->pend[o].rule;
            }
        }
        if (s == 0) {
            break;
        }
        s = pf->nodes[s].fail;
    }
    return n;
}

static int compile_dfa(scrub_prefilter_t *pf, const int32_t *order)
{
    size_t ns = pf->nnodes;
    uint32_t *newid = malloc(ns * sizeof(*newid));
    uint32_t *tmp = malloc(pf->npend * sizeof(*tmp) + sizeof(*tmp));
    size_t i, c, nout = 0, nfirst = 0, nlast, outpos = 0;
    int rc = SCRUB_ENOMEM;

    pf->trans = malloc(ns * pf->ncls * sizeof(*pf->trans));
    /* state ids are stored premultiplied by ncls: the scan loop then needs no multiply */
    pf->out_off = calloc(ns, sizeof(*pf->out_off));
    pf->out_len = calloc(ns, sizeof(*pf->out_len));
    pf->outs = malloc((ns * 4 + pf->npend + 1) * sizeof(*pf->outs));
    if (newid == NULL || tmp == NULL || pf->trans == NULL || pf->out_off == NULL ||
        pf->out_len == NULL || pf->outs == NULL) {
        goto out;
    }
    /* States without outputs first, then states with outputs. */
    for (i = 0; i < ns; i++) {
        if (node_outputs(pf, order[i], tmp, pf->npend) > 0) {
            nout++;
        }
    }
    nlast = ns - nout;
    for (i = 0; i < ns; i++) {
        int32_t s = order[i];
        size_t k = node_outputs(pf, s, tmp, pf->npend);
        if (k > 0) {
            newid[s] = (uint32_t)nlast++;
        }
        else {
            newid[s] = (uint32_t)nfirst++;
        }
    }
    pf->first_out = (uint32_t)(ns - nout);
    for (i = 0; i < ns; i++) {
        int32_t s = order[i];
        uint32_t id = newid[s];
        size_t k = node_outputs(pf, s, tmp, pf->npend);
        uint32_t *grown;
        for (c = 0; c < pf->ncls; c++) {
            pf->trans[id * pf->ncls + c] =
                (uint32_t)(newid[pf->nodes[s].next[pf->rep[c]]] * pf->ncls);
        }
        grown = realloc(pf->outs, (outpos + k + 1) * sizeof(*grown));
        if (grown == NULL) {
            goto out;
        }
        pf->outs = grown;
        memcpy(pf->outs + outpos, tmp, k * sizeof(*tmp));
        pf->out_off[id] = (uint32_t)outpos;  /* indexed by the plain state id */
        pf->out_len[id] = (uint32_t)k;
        outpos += k;
    }
    pf->nstates = ns;
    rc = 0;
out:
    free(newid);
    free(tmp);
    return rc;
}

/* The DFA: the trie of the kept keywords, its failure links, the dense table. */
static int dfa_build(scrub_prefilter_t *pf)
{
    int32_t *queue;
    size_t head = 0, tail = 0, i, k, nkb = 0;
    uint8_t kb[256];
    int c;
    int rc = 0;

    if (trie_node(pf, &rc) < 0) {
        return rc; /* the root */
    }
    for (i = 0; i < pf->nkw; i++) {
        rc = trie_insert(pf, i);
        if (rc != 0) {
            return rc;
        }
    }
    /* Byte classes: every byte that occurs in a keyword (folded) gets its own class;
     * upper-case letters share the class of their lower-case letter. Class 0
     * holds the bytes of no keyword: from every state they lead to the root,
     * so the loops below visit only the keyword bytes (kb[0, nkb)). */
    memset(pf->cls, 0, sizeof(pf->cls));
    pf->ncls = 1;
    for (i = 0; i < pf->nkw; i++) {
        for (k = 0; k < pf->kw_len[i]; k++) {
            uint8_t b = (uint8_t)pf->kw[i][k];
            if (pf->cls[b] == 0) {
                pf->rep[pf->ncls] = b;
                kb[nkb++] = b;
                pf->cls[b] = (uint8_t)pf->ncls++;
            }
        }
    }
    for (c = 0; c < 256 && pf->cls[c] != 0; c++) {
    }
    pf->rep[0] = (uint8_t)c; /* fewer than 256 keyword bytes: '\n' is never one */
    for (c = 'A'; c <= 'Z'; c++) {
        pf->cls[c] = pf->cls[c + 32];
    }
    /* BFS: failure links, and complete the goto function into a DFA. */
    queue = malloc(pf->nnodes * sizeof(*queue));
    if (queue == NULL) {
        return SCRUB_ENOMEM;
    }
    queue[tail++] = 0;
    for (c = 0; c < 256; c++) {
        int32_t ch = pf->nodes[0].next[c];
        if (ch < 0) {
            pf->nodes[0].next[c] = 0;
        }
        else {
            pf->nodes[ch].fail = 0;
            queue[tail++] = ch;
        }
    }
    head = 1;
    while (head < tail) {
        int32_t st = queue[head++];
        int32_t f = pf->nodes[st].fail;
        for (k = 0; k < nkb; k++) {
            uint8_t b = kb[k];
            int32_t ch = pf->nodes[st].next[b];
            if (ch < 0) {
                pf->nodes[st].next[b] = pf->nodes[f].next[b];
            }
            else {
                pf->nodes[ch].fail = pf->nodes[f].next[b];
                queue[tail++] = ch;
            }
        }
        pf->nodes[st].next[pf->rep[0]] = 0; /* class 0 (read by compile_dfa) */
    }
    rc = compile_dfa(pf, queue);
    free(queue);
    if (rc != 0) {
        return rc;
    }
    free(pf->nodes);
    pf->nodes = NULL;
    free(pf->pend);
    pf->pend = NULL;
    return 0;
}

int scrub_prefilter_build(scrub_prefilter_t *pf)
{
    int rc = 0;

    if (pf->built) {
        return 0;
    }
#ifdef WITH_VECTORSCAN
    if (pf->engine == SCRUB_PF_AUTO && pf->nkw > 0) {
        hs_build(pf);
    }
    if (pf->hs == NULL) {
        rc = dfa_build(pf);
    }
#else
    rc = dfa_build(pf);
#endif
    pf->built = rc == 0;
    return rc;
}

static size_t dfa_find(const scrub_prefilter_t *pf, const uint8_t *p, size_t from, size_t n)
{
    const uint32_t *t = pf->trans;
    const uint8_t *cls = pf->cls;
    const uint32_t limit = pf->first_out * (uint32_t)pf->ncls;
    uint32_t s = 0;
    size_t i;

    for (i = from; i < n; i++) {
        s = t[s + cls[p[i]]];
        if (s >= limit) {
            return i;
        }
    }
    return n;
}

static size_t dfa_collect(const scrub_prefilter_t *pf, const uint8_t *p, size_t n,
                          uint64_t *bits)
{
    const uint32_t *t = pf->trans;
    const uint32_t limit = pf->first_out * (uint32_t)pf->ncls;
    uint32_t s = 0;
    size_t i, hits = 0;

    for (i = 0; i < n; i++) {
        s = t[s + pf->cls[p[i]]];
        if (s >= limit) {
            uint32_t id = s / (uint32_t)pf->ncls, k;
            for (k = 0; k < pf->out_len[id]; k++) {
                uint32_t r = pf->outs[pf->out_off[id] + k];
                bits[r >> 6] |= 1ULL << (r & 63);
            }
            hits++;
        }
    }
    return hits;
}

size_t scrub_prefilter_find(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                            size_t from, size_t n)
{
    if (pf->nkw == 0 || from >= n) {
        return n; /* no keywords at all */
    }
#ifdef WITH_VECTORSCAN
    if (pf->hs != NULL) {
        return sc != NULL ? hs_find(pf, sc, p, from, n) : from;
    }
#else
    (void)sc;
#endif
    return dfa_find(pf, p, from, n);
}

size_t scrub_prefilter_lines(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc, const uint8_t *p,
                             size_t n, scrub_span_t *spans, size_t cap, uint64_t *bits,
                             size_t nwords, const uint64_t *init)
{
    size_t pos = 0, count = 0;

    if (pf->nkw == 0) {
        return 0;
    }
#ifdef WITH_VECTORSCAN
    if (pf->hs != NULL) {
        return sc != NULL ? hs_lines(pf, sc, p, n, spans, cap, bits, nwords, init) : (size_t)-1;
    }
#else
    (void)sc;
#endif
    while (pos < n) {
        size_t hit = dfa_find(pf, p, pos, n);
        const uint8_t *nl;
        if (hit >= n) {
            break;
        }
        if (count == cap) {
            return count; /* the caller goes on after spans[cap - 1] */
        }
        nl = hit > pos ? memrchr(p + pos, '\n', hit - pos) : NULL;
        spans[count].start = nl ? (size_t)(nl - p) + 1 : pos;
        nl = memchr(p + hit, '\n', n - hit);
        spans[count].end = nl ? (size_t)(nl - p) + 1 : n;
        span_bits(&spans[count], count, bits, nwords, init);
        if (bits != NULL) {
            dfa_collect(pf, p + spans[count].start, spans[count].end - spans[count].start,
                        spans[count].bits);
        }
        pos = spans[count].end;
        count++;
    }
    return count;
}

size_t scrub_prefilter_collect(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc,
                               const uint8_t *p, size_t n, uint64_t *bits)
{
    if (pf->nkw == 0) {
        return 0;
    }
#ifdef WITH_VECTORSCAN
    if (pf->hs != NULL) {
        return sc != NULL ? hs_collect(pf, sc, p, n, bits, NULL) : all_rules(pf, bits);
    }
#else
    (void)sc;
#endif
    return dfa_collect(pf, p, n, bits);
}

size_t scrub_prefilter_collect_at(const scrub_prefilter_t *pf, scrub_pf_scratch_t *sc,
                                  const uint8_t *p, size_t n, scrub_span_t *sp)
{
    sp->start = 0;
    sp->end = n;
    sp->npos = SCRUB_POS_UNKNOWN;
#ifdef WITH_VECTORSCAN
    if (pf->nkw > 0 && pf->hs != NULL && sc != NULL) {
        return hs_collect(pf, sc, p, n, sp->bits, sp);
    }
#endif
    return scrub_prefilter_collect(pf, sc, p, n, sp->bits);
}
