/* scrub_lead: how far a rule's matches start before one of its keywords. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_lead.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The reader turns the leading part of a pattern into a list of
 * alternatives, each a sequence of elements: one byte position that spells a
 * known folded byte (every byte it can hold folds to it), or a gap of lo..hi
 * bytes of anything. An alternative is "done" once a keyword is spelled in
 * it: `best` is then the largest offset at which that keyword can start, and
 * what follows does not matter. Everything is bounded (LEAD_ALTS, LEAD_ELEMS):
 * past a bound, alternatives are merged into gaps or cut short, which can only
 * lose keywords, never invent one, so the answer stays sound.
 */

#define LEAD_ALTS 128
#define LEAD_ELEMS 40
#define LEAD_INF INT32_MAX
#define LEAD_SPLIT 10   /* a class of up to this many folded bytes becomes alternatives */

typedef struct elem {
    int32_t lo, hi;   /* bytes this element takes */
    int32_t at, atlo; /* the most and the fewest bytes before it in the alternative
                       * (negative: before its start, known from a lookbehind) */
    int32_t ch;       /* folded byte spelled here (lo = hi = 1), or a gap: GAP, or
                       * GAP_LOSSY when its bytes could have spelled a keyword */
} elem_t;

#define GAP (-1)
#define GAP_LOSSY (-2)

typedef struct alt {
    int n;            /* elements held */
    int npre;         /* of which the first npre lie before the start */
    int cut;          /* elements were dropped: nothing more can be spelled */
    int vague;        /* what a lookbehind required before it was left out */
    int done;         /* a keyword is spelled: it starts at best at the latest, */
    int32_t best;     /* blo at the earliest (may be negative) */
    int32_t blo;
    int32_t lo, hi;   /* total length bounds */
    elem_t e[LEAD_ELEMS];
} alt_t;

typedef struct list {
    alt_t *v;
    int n;
    int cap;
} list_t;

typedef struct rd {
    const char *p;            /* cursor */
    int utf;
    const char *const *kw;
    size_t nkw;
    size_t kwlen[64];         /* their lengths (the first 64 keywords are read) */
    size_t kwmax;             /* longest keyword */
    uint8_t kwch[32];         /* the bytes keywords hold (a bitset) */
    int zero;                 /* inside an assertion (its text is not part of the match) */
    int gaps;                 /* reading for scrub_lead_gap: go on past hopeless alternatives */
    struct list *pool[32];    /* freed lists, kept for reuse (allocations dominate otherwise) */
    int npool;
    int bad;                  /* a construct this reader does not know, or no answer */
} rd_t;

static int32_t add_sat(int32_t a, int32_t b)
{
    return (a == LEAD_INF || b == LEAD_INF || a > LEAD_INF - b) ? LEAD_INF : a + b;
}

static int32_t mul_sat(int32_t a, long k)
{
    if (k < 0) {
        return a == 0 ? 0 : LEAD_INF;
    }
    return (a == LEAD_INF || (a != 0 && k > LEAD_INF / a)) ? (a == 0 ? 0 : LEAD_INF)
                                                          : (int32_t)(a * k);
}

static int fold(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* ---- lists ----------------------------------------------------------------- */

/* The empty alternative. */
static void alt_init(alt_t *a)
{
    a->n = 0;
    a->npre = 0;
    a->cut = 0;
    a->vague = 0;
    a->done = 0;
    a->best = 0;
    a->blo = 0;
    a->lo = 0;
    a->hi = 0;
}


static list_t *list_new(rd_t *r)
{
    list_t *l;

    if (r->npool > 0) {
        l = r->pool[--r->npool];
        l->n = 0;
        return l;
    }
    l = calloc(1, sizeof(*l));
    if (l != NULL) {
        l->cap = 2;
        l->v = malloc((size_t)l->cap * sizeof(*l->v));
    }
    if (l == NULL || l->v == NULL) {
        free(l);
        r->bad = 1;
        return NULL;
    }
    return l;
}

static void list_free(rd_t *r, list_t *l)
{
    if (l == NULL) {
        return;
    }
    if (r->npool < (int)(sizeof(r->pool) / sizeof(r->pool[0]))) {
        r->pool[r->npool++] = l;
        return;
    }
    free(l->v);
    free(l);
}

/* A list holding one alternative: the empty one. */
static list_t *list_empty(rd_t *r)
{
    list_t *l = list_new(r);

    if (l != NULL) {
        alt_init(&l->v[0]);
        l->n = 1;
    }
    return l;
}

/* Copy an alternative: its header and the elements it holds. */
static void alt_copy(alt_t *d, const alt_t *s)
{
    memcpy(d, s, offsetof(alt_t, e) + (size_t)s->n * sizeof(s->e[0]));
}

static int list_push(rd_t *r, list_t *l, const alt_t *a)
{
    if (l->n == LEAD_ALTS) {
        r->bad = 1;
        return -1;
    }
    if (l->n == l->cap) {
        int cap = l->cap * 4 < LEAD_ALTS ? l->cap * 4 : LEAD_ALTS;
        alt_t *v = realloc(l->v, (size_t)cap * sizeof(*v));
        if (v == NULL) {
            r->bad = 1;
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    alt_copy(&l->v[l->n++], a);
    return 0;
}

/* ---- alternatives ---------------------------------------------------------- */

static void alt_put(alt_t *a, int32_t lo, int32_t hi, int ch)
{
    int32_t at = a->hi, atlo = a->lo;

    a->lo = add_sat(a->lo, lo);
    a->hi = add_sat(a->hi, hi);
    if (a->done || a->cut) {
        return;
    }
    if (ch < 0 && a->n > 0 && a->e[a->n - 1].ch < 0) {
        a->e[a->n - 1].lo = add_sat(a->e[a->n - 1].lo, lo);
        a->e[a->n - 1].hi = add_sat(a->e[a->n - 1].hi, hi);
        a->e[a->n - 1].ch = ch == GAP_LOSSY ? GAP_LOSSY : a->e[a->n - 1].ch;
        return;
    }
    if (a->n == LEAD_ELEMS) {
        a->cut = 1;
        return;
    }
    a->e[a->n].lo = lo;
    a->e[a->n].hi = hi;
    a->e[a->n].at = at;
    a->e[a->n].atlo = atlo;
    a->e[a->n].ch = ch;
    a->n++;
}

/* Look for a keyword that ends in elements [from, n) of a. */
static void alt_spell(const rd_t *r, alt_t *a, int from)
{
    int i, start;
    size_t k;

    if (a->done) {
        return;
    }
    start = from - (int)r->kwmax + 1;
    for (i = start < 0 ? 0 : start; i < a->n; i++) {
        if (a->e[i].ch < 0 || a->e[i].at == LEAD_INF) {
            continue;
        }
        for (k = 0; k < r->nkw; k++) {
            const char *w = r->kw[k];
            size_t m = r->kwlen[k], j;
            if ((unsigned char)w[0] != a->e[i].ch || (size_t)(a->n - i) < m) {
                continue;
            }
            for (j = 0; j < m && a->e[i + (int)j].ch == (unsigned char)w[j]; j++) {
            }
            if (j == m && i + (int)m > from) {
                a->done = 1;
                a->best = a->e[i].at;
                a->blo = a->e[i].atlo;
                a->n = 0; /* the elements are no longer read */
                a->npre = 0;
                return;
            }
        }
    }
}

/*
 * b's elements before its start (from a lookbehind) end where a ends: check
 * them against a's bytes there, and put those before a's start in front of
 * a. Only when a has one length and nothing before its start yet; otherwise
 * they are left out (less is known, which is sound). Returns 0 when they
 * contradict a (no text matches both), else 1; *again is set when a
 * changed where a keyword could already be spelled.
 */
static int alt_overlay(alt_t *a, const alt_t *b, int *again)
{
    int i, k, front = 0;

    if (a->lo != a->hi || a->cut || a->npre > 0) {
        a->vague = 1;
        return 1;
    }
    for (i = 0; i < b->npre; i++) {
        const elem_t *p = &b->e[i];
        int32_t x = a->hi + p->at;
        if (x < 0) {
            if (x + p->hi > 0) {
                a->vague = 1;
                return 1; /* a gap across a's start: left out, as a whole */
            }
            front++;
            continue;
        }
        for (k = 0; k < a->n && a->e[k].at != x; k++) {
        }
        if (k == a->n || p->ch < 0) {
            continue;
        }
        if (a->e[k].ch >= 0 && a->e[k].ch != p->ch) {
            return 0;
        }
        if (a->e[k].ch < 0 && a->e[k].lo == 1 && a->e[k].hi == 1) {
            a->e[k].ch = p->ch; /* a one-byte gap the lookbehind spells */
            *again = 1;
        }
    }
    a->vague |= front > 0 && a->n + front > LEAD_ELEMS;
    if (front > 0 && a->n + front <= LEAD_ELEMS) {
        memmove(&a->e[front], &a->e[0], (size_t)a->n * sizeof(a->e[0]));
        for (i = 0; i < front; i++) {
            a->e[i] = b->e[i];
            a->e[i].at = a->hi + b->e[i].at;
            a->e[i].atlo = a->e[i].at;
        }
        a->n += front;
        a->npre = front;
        *again = 1;
    }
    return 1;
}

/* Append b to a (open: not done, not cut), then look for keywords that end
 * in b's part. Returns 0 when the two cannot both match (see alt_overlay). */
static int alt_join(const rd_t *r, alt_t *a, const alt_t *b)
{
    int from, i, again = 0;

    if (b->done) {
        int32_t at = a->hi == LEAD_INF ? LEAD_INF : a->hi + b->best;
        a->blo = a->lo + b->blo;
        a->lo = add_sat(a->lo, b->lo);
        a->hi = add_sat(a->hi, b->hi);
        if (at != LEAD_INF) {
            a->done = 1;
            a->best = at;
            a->n = 0;
            a->npre = 0;
        }
        else {
            a->cut = 1;
        }
        return 1;
    }
    a->vague |= b->vague;
    if (b->npre > 0 && !alt_overlay(a, b, &again)) {
        return 0;
    }
    from = again ? 0 : a->n;
    for (i = b->npre; i < b->n; i++) {
        alt_put(a, b->e[i].lo, b->e[i].hi, b->e[i].ch);
    }
    /* alt_put added b's kept elements to the totals: a cut b may be longer */
    if (b->cut) {
        a->cut = 1;
        a->hi = LEAD_INF;
    }
    alt_spell(r, a, from);
    return 1;
}

/* Length bounds over the alternatives of l that are not done. */
static void open_bounds(const list_t *l, int32_t *lo, int32_t *hi, int *any)
{
    int i;

    *lo = LEAD_INF;
    *hi = 0;
    *any = 0;
    for (i = 0; i < l->n; i++) {
        if (!l->v[i].done) {
            *lo = l->v[i].lo < *lo ? l->v[i].lo : *lo;
            *hi = l->v[i].hi > *hi ? l->v[i].hi : *hi;
            *any = 1;
        }
    }
}

/* Replace the open alternatives of l by one gap of their length bounds. */
static void list_squash(list_t *l)
{
    int32_t lo, hi;
    int any, i, k = 0;

    open_bounds(l, &lo, &hi, &any);
    for (i = 0; i < l->n; i++) {
        if (l->v[i].done) {
            if (k != i) {
                alt_copy(&l->v[k], &l->v[i]);
            }
            k++;
        }
    }
    if (any) {
        alt_t *g = &l->v[k++];
        alt_init(g);
        alt_put(g, lo, hi, GAP_LOSSY);
    }
    l->n = k;
}

/* a followed by b: a new list, or NULL (r->bad set). */
static list_t *list_cat(rd_t *r, const list_t *a, list_t *b)
{
    list_t *out = list_new(r);
    int i, j, open = 0;

    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < a->n; i++) {
        open += !a->v[i].done && !a->v[i].cut;
    }
    if (open * b->n + (a->n - open) > LEAD_ALTS) {
        list_squash(b);
    }
    for (i = 0; i < a->n && !r->bad; i++) {
        const alt_t *x = &a->v[i];
        if (x->done || x->cut) {
            /* nothing more is spelled in x: only its length bounds grow */
            alt_t c;
            int32_t lo = LEAD_INF, hi = 0;
            alt_copy(&c, x);
            for (j = 0; j < b->n; j++) {
                lo = b->v[j].lo < lo ? b->v[j].lo : lo;
                hi = b->v[j].hi > hi ? b->v[j].hi : hi;
            }
            c.lo = add_sat(c.lo, lo);
            c.hi = add_sat(c.hi, hi);
            list_push(r, out, &c);
            continue;
        }
        for (j = 0; j < b->n && !r->bad; j++) {
            alt_t c;
            alt_copy(&c, x);
            if (!alt_join(r, &c, &b->v[j])) {
                continue; /* no text matches both */
            }
            if (!c.done && (c.cut || c.hi == LEAD_INF) && r->zero == 0 && !r->gaps) {
                r->bad = 1; /* no keyword can be placed in this alternative any more */
            }
            list_push(r, out, &c);
        }
    }
    if (r->bad) {
        list_free(r, out);
        return NULL;
    }
    return out;
}

/* ---- the pattern ----------------------------------------------------------- */

static list_t *read_alternation(rd_t *r, int ci);

typedef struct bset {
    uint8_t b[32];
    int wide;   /* may match a non-ASCII character (several bytes in UTF mode) */
} bset_t;

static void bs_add(bset_t *s, int c)
{
    s->b[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int bs_has(const bset_t *s, int c)
{
    return (s->b[c >> 3] >> (c & 7)) & 1;
}

static void bs_range(bset_t *s, int a, int z)
{
    int c;

    for (c = a; c <= z; c++) {
        bs_add(s, c);
    }
}

/* \d \s \w and their negations (ASCII only: no PCRE2_UCP). 0 when e is not one. */
static int bs_type(bset_t *s, char e)
{
    bset_t t;
    int c;

    memset(&t, 0, sizeof(t));
    switch (fold(e)) {
    case 'd':
        bs_range(&t, '0', '9');
        break;
    case 's':
        bs_range(&t, '\t', '\r');
        bs_add(&t, ' ');
        break;
    case 'w':
        bs_range(&t, '0', '9');
        bs_range(&t, 'a', 'z');
        bs_range(&t, 'A', 'Z');
        bs_add(&t, '_');
        break;
    default:
        return 0;
    }
    for (c = 0; c < 256; c++) {
        if (bs_has(&t, c) != (e >= 'A' && e <= 'Z')) {
            bs_add(s, c);
        }
    }
    if (e >= 'A' && e <= 'Z') {
        s->wide = 1;
    }
    return 1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = fold(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* The code point of an escape that stands for one character (after the
 * backslash), advancing r->p; -1 (r->bad) for other escapes. */
static long esc_char(rd_t *r)
{
    char c = *r->p++;
    long v = 0;
    int d;

    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'f': return '\f';
    case 'e': return 27;
    case 'a': return 7;
    case 'x':
        if (*r->p == '{') {
            r->p++;
            while ((d = hexval((unsigned char)*r->p)) >= 0 && v < 0x110000) {
                v = v * 16 + d;
                r->p++;
            }
            if (*r->p++ != '}') {
                break;
            }
            return v;
        }
        for (d = 0; d < 2 && hexval((unsigned char)*r->p) >= 0; d++) {
            v = v * 16 + hexval((unsigned char)*r->p++);
        }
        return v;
    default:
        if (c != '\0' && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9'))) {
            return (unsigned char)c;
        }
        break;
    }
    r->bad = 1;
    return -1;
}

/* A class body after '['; fills s. */
static void read_class(rd_t *r, bset_t *s)
{
    int neg = 0, first = 1, c;
    bset_t t;

    memset(&t, 0, sizeof(t));
    if (*r->p == '^') {
        neg = 1;
        r->p++;
    }
    while (!r->bad && (*r->p != ']' || first)) {
        long lo, hi;
        first = 0;
        if (*r->p == '\0' || (r->p[0] == '[' && (r->p[1] == ':' || r->p[1] == '.' ||
                                                  r->p[1] == '='))) {
            r->bad = 1;
            return;
        }
        if (*r->p == '\\') {
            r->p++;
            if (bs_type(&t, *r->p)) {
                r->p++;
                continue;
            }
            lo = *r->p == 'b' ? (r->p++, 8) : esc_char(r);
        }
        else {
            lo = (unsigned char)*r->p++;
        }
        hi = lo;
        if (r->p[0] == '-' && r->p[1] != ']' && r->p[1] != '\0') {
            r->p++;
            if (*r->p == '\\') {
                r->p++;
                hi = esc_char(r);
            }
            else {
                hi = (unsigned char)*r->p++;
            }
        }
        if (r->bad || hi < lo) {
            r->bad = 1;
            return;
        }
        if (hi >= 0x80) {
            t.wide = 1; /* a non-ASCII member: its bytes are not tracked */
            hi = 0x7f;
        }
        if (lo <= hi) {
            bs_range(&t, (int)lo, (int)hi);
        }
    }
    r->p++;
    if (neg) {
        for (c = 0; c < 256; c++) {
            if (!bs_has(&t, c)) {
                bs_add(s, c);
            }
        }
        s->wide = 1;
    }
    else {
        *s = t;
    }
}

/* One byte position holding any byte of s: when s folds to few bytes, one
 * alternative per folded byte that some keyword holds and a one-byte gap for
 * the others (they spell nothing); else one gap. A gap of 1..4 when s may
 * hold a multi-byte character. */
static list_t *set_list(rd_t *r, bset_t *s, int ci)
{
    list_t *l = list_new(r);
    uint8_t seen[32] = {0};
    int c, w, nf = 0, other = 0, all = 0;
    uint8_t any[32] = {0};
    alt_t a;

    if (l == NULL) {
        return NULL;
    }
    alt_init(&a);
    (void)ci; /* both cases of a letter fold to one byte: case does not matter */
    for (w = 0; w < 32; w++) {
        unsigned bits = s->b[w];
        while (bits != 0) {
            c = fold(w * 8 + __builtin_ctz(bits));
            bits &= bits - 1;
            if (!((any[c >> 3] >> (c & 7)) & 1)) {
                any[c >> 3] |= (uint8_t)(1u << (c & 7));
                all++;
            }
            if (!((r->kwch[c >> 3] >> (c & 7)) & 1)) {
                other = 1;
            }
            else if (!((seen[c >> 3] >> (c & 7)) & 1)) {
                seen[c >> 3] |= (uint8_t)(1u << (c & 7));
                nf++;
            }
        }
    }
    if ((s->wide && r->utf) || all > LEAD_SPLIT) {
        alt_put(&a, 1, s->wide && r->utf ? 4 : 1, nf > 0 ? GAP_LOSSY : GAP);
        list_push(r, l, &a);
        return l;
    }
    for (w = 0; w < 32 && nf > 0; w++) {
        unsigned bits = seen[w];
        while (bits != 0) {
            alt_init(&a);
            alt_put(&a, 1, 1, w * 8 + __builtin_ctz(bits));
            bits &= bits - 1;
            list_push(r, l, &a);
        }
    }
    if (other || nf == 0) {
        alt_init(&a);
        alt_put(&a, 1, 1, GAP);
        list_push(r, l, &a);
    }
    return l;
}

/* One character of code point v (a literal or an escape). */
static list_t *char_list(rd_t *r, long v, int ci)
{
    bset_t s;

    memset(&s, 0, sizeof(s));
    if (v < 0) {
        return NULL;
    }
    if (v >= 0x80 && r->utf) {
        s.wide = 1;
    }
    else {
        bs_add(&s, (int)(v & 0xff));
        if (ci && v >= 'A' && v <= 'Z') {
            bs_add(&s, (int)v + 32);
        }
    }
    return set_list(r, &s, ci);
}

/* Skip one UTF-8 character whose lead byte was just read. */
static void skip_utf8_tail(rd_t *r)
{
    while (((unsigned char)*r->p & 0xc0) == 0x80) {
        r->p++;
    }
}

/* \Q...\E: the literal run as one list (bytes as written). */
static list_t *quoted_list(rd_t *r, int ci)
{
    list_t *out = list_empty(r);

    while (out != NULL && *r->p != '\0' && !(r->p[0] == '\\' && r->p[1] == 'E')) {
        unsigned char c = (unsigned char)*r->p++;
        list_t *one = char_list(r, c >= 0x80 && r->utf && ci ? 0x100 : c, ci);
        list_t *nx = one ? list_cat(r, out, one) : NULL;
        if (c >= 0x80 && r->utf && ci) {
            skip_utf8_tail(r);
        }
        list_free(r, one);
        list_free(r, out);
        out = nx;
    }
    if (*r->p != '\0') {
        r->p += 2;
    }
    return out;
}

/* Inline option letters up to ':' or ')'; only i changes what is read
 * here, x would change the syntax. Returns the new ci, -1 (bad). */
static int read_flags(rd_t *r, int ci)
{
    int on = 1;

    if (*r->p == '^') {
        ci = 0;
        r->p++;
    }
    for (; *r->p != ':' && *r->p != ')'; r->p++) {
        switch (*r->p) {
        case '-':
            on = 0;
            break;
        case 'i':
            ci = on;
            break;
        case 'm': case 's': case 'n': case 'U': case 'J':
            break;
        default:
            r->bad = 1;
            return -1;
        }
    }
    return ci;
}

/* After '(': a group or an assertion; *ci may change for "(?i)". */
/*
 * A positive lookbehind whose alternatives in[] have one length each: the
 * bytes they spell lie just before the place of the assertion. Each becomes
 * an alternative of length 0 holding them before its start (alt_overlay puts
 * them in place); one of another kind becomes the empty alternative.
 */
static list_t *behind_list(rd_t *r, const list_t *in)
{
    list_t *out = list_new(r);
    int i, k;

    for (i = 0; out != NULL && i < in->n; i++) {
        const alt_t *b = &in->v[i];
        alt_t a;
        alt_init(&a);
        a.vague = 1; /* unless its bytes are kept below */
        if (b->lo == b->hi && b->hi != LEAD_INF && !b->cut && b->npre == 0) {
            a.vague = b->vague;
            if (b->done) {
                a.done = 1;
                a.best = b->best - b->hi;
                a.blo = b->blo - b->hi;
            }
            for (k = 0; !b->done && k < b->n; k++) {
                a.e[k] = b->e[k];
                a.e[k].at = b->e[k].at - b->hi;
                a.e[k].atlo = a.e[k].at;
                a.vague |= b->e[k].ch == GAP_LOSSY;
            }
            a.n = a.npre = b->done ? 0 : b->n;
        }
        if (list_push(r, out, &a) != 0) {
            list_free(r, out);
            return NULL;
        }
    }
    return out;
}

static list_t *read_group(rd_t *r, int *ci)
{
    list_t *in;
    int zero = 0, behind = 0, gci = *ci;

    if (r->p[0] == '?') {
        r->p++;
        if (*r->p == ':' || *r->p == '|' || *r->p == '>') {
            r->p++;
        }
        else if (*r->p == '=' || *r->p == '!') {
            r->p++;
            zero = 1;
        }
        else if (r->p[0] == '<' && (r->p[1] == '=' || r->p[1] == '!')) {
            behind = r->p[1] == '=';
            r->p += 2;
            zero = 1;
        }
        else if (*r->p == '<' || *r->p == '\'' || (r->p[0] == 'P' && r->p[1] == '<')) {
            char end = *r->p == '\'' ? '\'' : '>';
            r->p = strchr(r->p, end);
            if (r->p == NULL) {
                r->bad = 1;
                return NULL;
            }
            r->p++;
        }
        else if (*r->p == '#') {
            r->p = strchr(r->p, ')');
            if (r->p == NULL) {
                r->bad = 1;
                return NULL;
            }
            r->p++;
            return list_empty(r);
        }
        else {
            gci = read_flags(r, *ci);
            if (gci < 0) {
                return NULL;
            }
            if (*r->p++ == ')') {
                *ci = gci; /* the rest of the enclosing group */
                return list_empty(r);
            }
        }
    }
    else if (r->p[0] == '*') {
        r->bad = 1; /* verbs */
        return NULL;
    }
    r->zero += zero;
    in = read_alternation(r, gci);
    r->zero -= zero;
    if (in == NULL || *r->p != ')') {
        list_free(r, in);
        r->bad = 1;
        return NULL;
    }
    r->p++;
    if (behind && r->zero == 0) {
        list_t *out = behind_list(r, in);
        list_free(r, in);
        return out;
    }
    if (zero) {
        list_free(r, in);
        return list_empty(r);
    }
    return in;
}

/* One atom, without its quantifier; *ci may change. */
static list_t *read_atom(rd_t *r, int *ci)
{
    unsigned char c = (unsigned char)*r->p++;
    bset_t s;

    memset(&s, 0, sizeof(s));
    switch (c) {
    case '(':
        return read_group(r, ci);
    case '[':
        read_class(r, &s);
        return r->bad ? NULL : set_list(r, &s, *ci);
    case '.':
        s.wide = 1;
        bs_range(&s, 0, 255);
        return set_list(r, &s, *ci);
    case '^':
    case '$':
        return list_empty(r);
    case '\\':
        if (*r->p != '\0' && strchr("bBAzZ", *r->p) != NULL) {
            r->p++;
            return list_empty(r);
        }
        if (*r->p == 'Q') {
            r->p++;
            return quoted_list(r, *ci);
        }
        if (*r->p == 'E') {
            r->p++;
            return list_empty(r);
        }
        if (bs_type(&s, *r->p)) {
            r->p++;
            return set_list(r, &s, *ci);
        }
        return char_list(r, esc_char(r), *ci);
    default:
        if (c >= 0x80 && r->utf && *ci) {
            skip_utf8_tail(r); /* its other case may have another length */
            return char_list(r, 0x100, *ci);
        }
        if (c >= 0x80) {
            list_t *l = list_new(r); /* a byte of a character written out: itself */
            alt_t a;
            alt_init(&a);
            alt_put(&a, 1, 1, c);
            if (l != NULL) {
                list_push(r, l, &a);
            }
            return l;
        }
        return char_list(r, c, *ci);
    }
}

/* A quantifier at r->p: *lo, *hi (-1 = no limit); 0 when there is none. */
static int read_quant(rd_t *r, long *lo, long *hi)
{
    const char *q = r->p;
    char *end;

    switch (*q) {
    case '?': *lo = 0; *hi = 1; r->p++; break;
    case '*': *lo = 0; *hi = -1; r->p++; break;
    case '+': *lo = 1; *hi = -1; r->p++; break;
    case '{':
        if (q[1] < '0' || q[1] > '9') {
            return 0; /* a literal brace */
        }
        *lo = strtol(q + 1, &end, 10);
        *hi = *lo;
        if (*end == ',') {
            *hi = end[1] == '}' ? -1 : strtol(end + 1, &end, 10);
            if (*hi == -1) {
                end++;
            }
        }
        if (*end != '}') {
            return 0;
        }
        r->p = end + 1;
        break;
    default:
        return 0;
    }
    if (*r->p == '?' || *r->p == '+') {
        r->p++; /* lazy or possessive: the same matches */
    }
    return 1;
}

/* a repeated lo..hi times: a new list (a is consumed). */
static list_t *repeat(rd_t *r, list_t *a, long lo, long hi)
{
    int32_t mlo, mhi;
    int any, i, gap = GAP;
    list_t *out;
    alt_t g;

    alt_init(&g);
    if (lo == 1 && hi == 1) {
        return a;
    }
    if (lo == 0 && hi == 1) {
        if (list_push(r, a, &g) != 0) {
            list_free(r, a);
            return NULL;
        }
        return a;
    }
    /* widest and narrowest of a, done alternatives included; whether the
     * copies left out could spell anything */
    open_bounds(a, &mlo, &mhi, &any);
    for (i = 0; i < a->n; i++) {
        int k;
        mlo = a->v[i].lo < mlo ? a->v[i].lo : mlo;
        mhi = a->v[i].hi > mhi ? a->v[i].hi : mhi;
        gap = a->v[i].done || a->v[i].cut ? GAP_LOSSY : gap;
        for (k = 0; k < a->v[i].n; k++) {
            gap = a->v[i].e[k].ch != GAP ? GAP_LOSSY : gap;
        }
    }
    if (lo == 0) {
        alt_put(&g, 0, mul_sat(mhi, hi), gap);
        list_free(r, a);
        out = list_new(r);
        if (out != NULL) {
            list_push(r, out, &g);
        }
        return out;
    }
    /* one copy spelled out, the other lo-1..hi-1 as a gap */
    {
        list_t *gl = list_new(r);
        if (gl == NULL) {
            list_free(r, a);
            return NULL;
        }
        alt_put(&g, mul_sat(mlo, lo - 1), hi < 0 ? LEAD_INF : mul_sat(mhi, hi - 1), gap);
        list_push(r, gl, &g);
        out = list_cat(r, a, gl);
        list_free(r, gl);
        list_free(r, a);
        return out;
    }
}

/* At "[:" (or "[." "[=") inside a class: the ']' that ends a POSIX item, as
 * PCRE2 decides (its terminator comes before any other ']'), or NULL when
 * the '[' is a plain member. */
static const char *posix_end(const char *p)
{
    char term = p[1];
    const char *q;

    for (q = p + 2; *q != '\0'; q++) {
        if (*q == '\\' && (q[1] == ']' || q[1] == '\\')) {
            q++;
        }
        else if ((*q == '[' && q[1] == term) || *q == ']') {
            return NULL;
        }
        else if (*q == term && q[1] == ']') {
            return q + 1;
        }
    }
    return NULL;
}

/* After "(?" in skip_sequence: an inline x option (its '#' comments could
 * hold parentheses) leaves nothing certain (r->bad). */
static void skip_flags(rd_t *r)
{
    const char *q;

    for (q = r->p + 1; (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '^' ||
                       *q == '-'; q++) {
        if (*q == 'x') {
            r->bad = 1;
        }
    }
}

/* Skip to the '|' or ')' that ends the current sequence (or the end),
 * stepping over escapes, \Q..\E, classes, comments and nested groups without
 * reading them, the way PCRE2 parses them. */
static void skip_sequence(rd_t *r)
{
    int depth = 0;

    while (*r->p != '\0' && !r->bad && !(depth == 0 && (*r->p == '|' || *r->p == ')'))) {
        char c = *r->p++;
        if (c == '\\') {
            if (*r->p == 'Q') {
                const char *e = strstr(r->p, "\\E");
                r->p = e != NULL ? e + 2 : r->p + strlen(r->p);
            }
            else if (*r->p != '\0') {
                r->p++;
            }
        }
        else if (c == '[') {
            int first = 1;
            if (*r->p == '^') {
                r->p++;
            }
            while (*r->p != '\0' && (*r->p != ']' || first)) {
                const char *e;
                first = 0;
                if (r->p[0] == '\\' && r->p[1] == 'Q') {
                    e = strstr(r->p, "\\E");
                    r->p = e != NULL ? e + 1 : r->p + strlen(r->p) - 1;
                }
                else if (*r->p == '\\' && r->p[1] != '\0') {
                    r->p++;
                }
                else if (r->p[0] == '[' && (r->p[1] == ':' || r->p[1] == '.' || r->p[1] == '=') &&
                         (e = posix_end(r->p)) != NULL) {
                    r->p = e; /* its closing ']', stepped over below */
                }
                r->p++;
            }
            if (*r->p == ']') {
                r->p++;
            }
        }
        else if (c == '(' && r->p[0] == '?' && r->p[1] == '#') {
            const char *q = strchr(r->p, ')'); /* a comment ends at the first ')' */
            r->p = q != NULL ? q + 1 : r->p + strlen(r->p);
        }
        else if (c == '(') {
            if (r->p[0] == '?') {
                skip_flags(r);
            }
            depth++;
        }
        else if (c == ')') {
            depth--;
        }
    }
}

static int all_done(const list_t *l)
{
    int i;

    for (i = 0; i < l->n; i++) {
        if (!l->v[i].done) {
            return 0;
        }
    }
    return 1;
}

/* A sequence up to '|' or ')' or the end. *ci follows "(?i)" settings. Once
 * every alternative so far is done, the rest is skipped unread (except in an
 * assertion, where the whole length matters). */
static list_t *read_sequence(rd_t *r, int *ci)
{
    list_t *cur = list_empty(r);

    while (cur != NULL && *r->p != '\0' && *r->p != '|' && *r->p != ')') {
        long lo, hi;
        list_t *atom, *nx;
        if (all_done(cur) && r->zero == 0) {
            skip_sequence(r); /* not in a lookbehind: its length places its bytes */
            break;
        }
        atom = read_atom(r, ci);
        if (atom == NULL || r->bad) {
            list_free(r, atom);
            list_free(r, cur);
            return NULL;
        }
        if (read_quant(r, &lo, &hi)) {
            atom = repeat(r, atom, lo, hi);
            if (atom == NULL) {
                list_free(r, cur);
                return NULL;
            }
        }
        nx = list_cat(r, cur, atom);
        list_free(r, atom);
        list_free(r, cur);
        cur = nx;
    }
    return cur;
}

static list_t *read_alternation(rd_t *r, int ci)
{
    list_t *all = list_new(r);

    while (all != NULL) {
        list_t *seq = read_sequence(r, &ci);
        int i;
        if (seq == NULL) {
            list_free(r, all);
            return NULL;
        }
        for (i = 0; i < seq->n; i++) {
            if (all->n == LEAD_ALTS) {
                list_squash(all);
            }
            if (list_push(r, all, &seq->v[i]) != 0) {
                break;
            }
        }
        list_free(r, seq);
        if (r->bad) {
            list_free(r, all);
            return NULL;
        }
        if (*r->p != '|') {
            return all;
        }
        r->p++;
    }
    return NULL;
}

/* Free the lists kept for reuse. */
static void pool_drain(rd_t *r)
{
    while (r->npool > 0) {
        list_t *l = r->pool[--r->npool];
        free(l->v);
        free(l);
    }
}

/* Set up r for pattern pat and keywords kw; -1 when there is nothing to read. */
static int reader_init(rd_t *r, const char *pat, int utf, const char *const *kw, size_t nkw)
{
    size_t i;

    memset(r, 0, sizeof(*r));
    r->p = pat;
    r->utf = utf;
    r->kw = kw;
    r->nkw = nkw;
    if (nkw == 0 || nkw > 64) {
        return -1;
    }
    for (i = 0; i < nkw; i++) {
        size_t m = strlen(kw[i]);
        if (m == 0) {
            return -1;
        }
        r->kwlen[i] = m;
        r->kwmax = m > r->kwmax ? m : r->kwmax;
        for (; m > 0; m--) {
            uint8_t c = (uint8_t)kw[i][m - 1];
            r->kwch[c >> 3] |= (uint8_t)(1u << (c & 7));
        }
    }
    return 0;
}

long scrub_lead(const char *pat, int utf, const char *const *kw, size_t nkw, long *lag)
{
    rd_t r;
    list_t *l;
    long k = 0;
    int j;

    *lag = 0;
    if (reader_init(&r, pat, utf, kw, nkw) != 0) {
        return -1;
    }
    l = read_alternation(&r, 0);
    for (j = 0; l != NULL && !r.bad && *r.p == '\0' && j < l->n && k >= 0; j++) {
        const alt_t *a = &l->v[j];
        k = !a->done ? -1 : (a->best > k ? a->best : k);
        *lag = a->done && -(long)a->blo > *lag ? -(long)a->blo : *lag;
    }
    if (l == NULL || r.bad || *r.p != '\0' || k < 0) {
        k = -1;
        *lag = 0;
    }
    list_free(&r, l);
    pool_drain(&r);
    return k;
}

/* The text a spells from its start (lookbehind bytes included) into buf: bytes, '?' for one byte that
 * spells no keyword, up to the first longer gap (*lossy: whether that gap's
 * bytes could spell keyword bytes). Returns the bytes spelled. */
static size_t spelled_start(const alt_t *a, char *buf, size_t cap, int *lossy)
{
    size_t n = 0, letters = 0;
    int i;

    *lossy = 0;
    for (i = 0; i < a->n && n + 1 < cap; i++) {
        const elem_t *e = &a->e[i];
        if (e->ch >= 0) {
            buf[n++] = (char)e->ch;
            letters++;
        }
        else if (e->ch == GAP && e->lo == 1 && e->hi == 1) {
            buf[n++] = '?';
        }
        else {
            *lossy = e->ch == GAP_LOSSY;
            break;
        }
    }
    buf[n] = '\0';
    return letters;
}

/* 1 when a keyword of r could start inside buf's last bytes and go on past
 * its end. */
static int may_continue(const rd_t *r, const char *buf)
{
    size_t n = strlen(buf), k, i;

    for (k = 0; k < r->nkw; k++) {
        for (i = n >= r->kwlen[k] ? n - r->kwlen[k] + 1 : 0; i < n; i++) {
            if (strncmp(buf + i, r->kw[k], n - i) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

int scrub_lead_gap(const char *pat, int utf, const char *const *kw, size_t nkw, char *buf,
                   size_t cap)
{
    rd_t r;
    list_t *l;
    int j, found = 0;

    if (cap == 0 || reader_init(&r, pat, utf, kw, nkw) != 0) {
        return 0;
    }
    r.gaps = 1;
    l = read_alternation(&r, 0);
    for (j = 0; l != NULL && !r.bad && *r.p == '\0' && j < l->n && !found; j++) {
        const alt_t *a = &l->v[j];
        int lossy;
        found = !a->done && !a->cut && !a->vague && spelled_start(a, buf, cap, &lossy) >= 3 &&
                !(lossy && may_continue(&r, buf));
    }
    for (j = (int)strlen(buf); found && j > 0 && buf[j - 1] == '?'; j--) {
        buf[j - 1] = '\0'; /* '?' only between spelled bytes */
    }
    list_free(&r, l);
    pool_drain(&r);
    if (!found) {
        buf[0] = '\0';
    }
    return found;
}
