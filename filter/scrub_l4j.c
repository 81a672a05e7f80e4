/* scrub_l4j: bounded Log4Shell (CVE-2021-44228/45046) lookup detector with raw-byte spans. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Pipeline (log4shell-techniques.md §5.1): up to L4J_PASSES passes of
 * { up to L4J_ROUNDS decoding rounds (scrub_decode.c) until a fixpoint;
 *   stop if no "${"; evaluate ${...} with a frame stack; the evaluator
 *   output is the next pass's input }. Every byte carries the raw span that
 * produced it, so hits are reported in original offsets.
 *
 * Policy decisions (§5.7), all deliberate and tested:
 *  - "$${" escaping is ignored: the first '$' is copied as text and the
 *    "${" is evaluated (2.14.1 undoes the escape through default recursion and
 *    the %m re-scan anyway; a "$${ctx:x}" config line still yields no jndi).
 *  - Lookup prefixes are ASCII case-insensitive (log4j lowercases them with
 *    Locale.US): ${JnDi:ldap://h} is a hit. Shell ${JNDI_URL:-ldap://h} is
 *    not, because its name "JNDI_URL" has no ':' (no prefix at all), and
 *    ${JNDI:=ldap://h} is not, because its key "=ldap://h" has no scheme.
 *  - Whitespace around the prefix is tolerated: ${ jndi:ldap://h} is flagged
 *    although log4j would not resolve it.
 *  - A hit needs a key matching \s*[A-Za-z][A-Za-z0-9+.-]{0,31}\s*: whose
 *    scheme is not "java" (case-insensitive). The java: scheme and scheme-less
 *    JNDI names (${jndi:logging/context-name}) are not flagged.
 *  - Unknown and unresolvable lookups (and names without ':') become their
 *    default, else the empty string; log4j would leave some of them literal,
 *    so this over-approximates (${j${env:X}ndi:ldap://h} is a hit).
 *    java:, which throws in log4j on unknown keys, is treated as unknown.
 *  - lower/upper: ASCII mapping plus Java's U+0131 -> I and U+017F -> S
 *    (upper) and U+212A -> k (lower); other non-ASCII is left unchanged so a
 *    value never grows. date: quoted text literally, pattern letters -> '0',
 *    an invalid pattern -> "0". sys: file/path/line.separator constants.
 *  - base64 is decoded although 2.x has no such lookup (attempt only).
 *  - Values containing "${" are evaluated again (2.14.1 recursion), and the
 *    output is re-scanned (second pass) to catch split-dollar assembly.
 *  - Closed frames inside an unclosed frame are still evaluated (log4j would
 *    leave the whole tail inert); a jndi frame that is itself unclosed (a SQL
 *    hunting query '%${jndi:%') is never a hit.
 *  - Spans: a hit is reported for the outermost closed frame containing the
 *    jndi frame; inside an unclosed frame, for the union of its closed hit
 *    children. Values produced by a lookup map to the whole frame's span, so
 *    second-pass hits cover every frame that helped assemble them.
 *  - Budget and depth: exceeding either returns SCRUB_EBUDGET (fail closed).
 *    Depth counts open frames plus value-recursion levels.
 *  - CVE-2021-45105 recursion strings and exploitation-evidence lines are out
 *    of scope here (no rule), as are date letters that print month names.
 */
#include "scrub_l4j.h"
#include "scrub_bytes.h"
#include "scrub.h"
#include "scrub_buf.h"
#include "scrub_decode.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define L4J_PASSES 3         /* evaluator passes (§5.3 step 4) */
#define L4J_ROUNDS 6         /* decoding rounds per pass; §5 says 4, more is cheap */
#define L4J_DEPTH 32         /* default max_depth */
#define L4J_DEPTH_MAX 1024   /* clamp: value recursion uses the C stack */

/* ---- types ---------------------------------------------------------------- */

typedef struct l4j_frame {
    size_t start;        /* offset of the frame's "${" in the evaluator output */
    uint32_t lo;         /* raw offset of the first byte that produced its '$' */
    uint32_t hlo, hhi;   /* union of real-hit spans of closed children (hhi 0: none) */
    uint32_t plo, phi;   /* union of paranoid spans of closed children (phi 0: none) */
    uint8_t hit;         /* 1: a jndi hit below (own or child) */
    uint8_t para;        /* 1: paranoid mode saw a nested "${" below */
} l4j_frame_t;

typedef struct l4j_span {
    uint32_t lo, hi;     /* raw span [lo, hi) */
    int para;            /* paranoid-only */
} l4j_span_t;

/* What eval_run reads: the pass input, or a value stored in l->vs. */
typedef struct l4j_src {
    const scrub_dmap_t *map; /* pass input, or NULL for a value in l->vs */
    size_t off;              /* value: first byte in l->vs */
    size_t len;              /* bytes to evaluate */
    uint32_t lo, hi;         /* value: the raw span every byte maps to */
} l4j_src_t;

struct scrub_l4j {
    scrub_l4j_opts_t opts;   /* copied options, defaults filled in */
    scrub_dmap_t m[2];       /* pass input and output, swapped per round/pass */
    int cur;                 /* index of the current text in m */
    scrub_buf_t vs;          /* resolved values, used as a stack */
    l4j_frame_t *frames;     /* opts.max_depth + 1 entries */
    size_t nframes;          /* open frames */
    l4j_span_t *spans;       /* hits found so far */
    size_t nspans, capspans; /* count and capacity of spans */
    size_t work, budget;     /* work done and allowed for this record */
    int view_rounds;         /* rounds that changed the last text in its first pass (its
                              * result in m[view_cur]), or -1: not kept (evaluated over) */
    int view_cur;
};

/* ---- object ----------------------------------------------------------------- */

scrub_l4j_t *scrub_l4j_new(const scrub_l4j_opts_t *opts)
{
    scrub_l4j_t *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        return NULL;
    }
    if (opts != NULL) {
        l->opts = *opts;
    }
    l->view_rounds = -1;
    if (l->opts.max_depth == 0) {
        l->opts.max_depth = L4J_DEPTH;
    }
    if (l->opts.max_depth > L4J_DEPTH_MAX) {
        l->opts.max_depth = L4J_DEPTH_MAX;
    }
    scrub_dmap_init(&l->m[0]);
    scrub_dmap_init(&l->m[1]);
    scrub_buf_init(&l->vs, 0);
    l->frames = calloc((size_t)l->opts.max_depth + 1, sizeof(*l->frames));
    if (l->frames == NULL) {
        scrub_l4j_destroy(l);
        return NULL;
    }
    return l;
}

void scrub_l4j_destroy(scrub_l4j_t *l)
{
    if (l == NULL) {
        return;
    }
    scrub_dmap_free(&l->m[0]);
    scrub_dmap_free(&l->m[1]);
    scrub_buf_free(&l->vs);
    free(l->frames);
    free(l->spans);
    free(l);
}

/* ---- small helpers ------------------------------------------------------------ */

static uint8_t lc(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_alpha(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* p[0..n) equals the lower-case literal s, ASCII case-insensitively. */
static int eq_ci(const uint8_t *p, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '\0' || lc(p[i]) != (uint8_t)s[i]) {
            return 0;
        }
    }
    return s[n] == '\0';
}

static int has_open(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if (p[i] == '$' && p[i + 1] == '{') {
            return 1;
        }
    }
    return 0;
}

static int charge(scrub_l4j_t *l, size_t units)
{
    if (units > l->budget - l->work) {
        l->work = l->budget;
        return SCRUB_EBUDGET;
    }
    l->work += units;
    return 0;
}

/* ---- hit bookkeeping --------------------------------------------------------- */

static int span_emit(scrub_l4j_t *l, uint32_t lo, uint32_t hi, int para)
{
    l4j_span_t *p;
    size_t ncap;

    if (l->nspans == l->capspans) {
        ncap = l->capspans ? l->capspans * 2 : 16;
        p = realloc(l->spans, ncap * sizeof(*p));
        if (p == NULL) {
            return SCRUB_ENOMEM;
        }
        l->spans = p;
        l->capspans = ncap;
    }
    l->spans[l->nspans].lo = lo;
    l->spans[l->nspans].hi = hi;
    l->spans[l->nspans].para = para;
    l->nspans++;
    return 0;
}

static void span_union(uint32_t *ulo, uint32_t *uhi, uint32_t lo, uint32_t hi)
{
    if (*uhi == 0) {
        *ulo = lo;
        *uhi = hi;
        return;
    }
    if (lo < *ulo) {
        *ulo = lo;
    }
    if (hi > *uhi) {
        *uhi = hi;
    }
}

/* A (real or paranoid) hit covering [lo, hi): hand it to the enclosing open
 * frame, so that the outermost frame is reported, or emit it at top level. */
static int span_report(scrub_l4j_t *l, uint32_t lo, uint32_t hi, int para)
{
    l4j_frame_t *p;

    if (l->nframes == 0) {
        return span_emit(l, lo, hi, para);
    }
    p = &l->frames[l->nframes - 1];
    if (para) {
        p->para = 1;
        span_union(&p->plo, &p->phi, lo, hi);
    }
    else {
        p->hit = 1;
        span_union(&p->hlo, &p->hhi, lo, hi);
    }
    return 0;
}

static int span_cmp(const void *a, const void *b)
{
    const l4j_span_t *x = a;
    const l4j_span_t *y = b;

    if (x->lo != y->lo) {
        return x->lo < y->lo ? -1 : 1;
    }
    return (x->hi > y->hi) - (x->hi < y->hi);
}

/* ---- lookups ------------------------------------------------------------------ */

/* The key of a jndi lookup names a remote (non-java:) URL scheme. */
static int key_is_remote(const uint8_t *k, size_t n)
{
    size_t i = 0;
    size_t s;
    size_t e;

    while (i < n && is_space(k[i])) {
        i++;
    }
    if (i >= n || !is_alpha(k[i])) {
        return 0;
    }
    s = i++;
    while (i < n && i - s < 32 &&
           (is_alpha(k[i]) || (k[i] >= '0' && k[i] <= '9') || k[i] == '+' || k[i] == '.' ||
            k[i] == '-')) {
        i++;
    }
    e = i;
    while (i < n && is_space(k[i])) {
        i++;
    }
    if (i >= n || k[i] != ':') {
        return 0;
    }
    return !eq_ci(k + s, e - s, "java");
}

/* String.toUpperCase / toLowerCase, restricted to what cannot grow. */
static int case_map(scrub_buf_t *v, const uint8_t *k, size_t n, int upper)
{
    size_t i = 0;
    uint8_t c;
    int rc = 0;

    while (i < n && rc == 0) {
        c = k[i];
        if (upper && i + 1 < n && c == 0xC4 && k[i + 1] == 0xB1) {          /* U+0131 */
            rc = scrub_buf_putc(v, 'I');
            i += 2;
        }
        else if (upper && i + 1 < n && c == 0xC5 && k[i + 1] == 0xBF) {     /* U+017F */
            rc = scrub_buf_putc(v, 'S');
            i += 2;
        }
        else if (!upper && i + 2 < n && c == 0xE2 && k[i + 1] == 0x84 &&
                 k[i + 2] == 0xAA) {                                         /* U+212A */
            rc = scrub_buf_putc(v, 'k');
            i += 3;
        }
        else {
            if (upper && c >= 'a' && c <= 'z') {
                c = (uint8_t)(c - 32);
            }
            else if (!upper) {
                c = lc(c);
            }
            rc = scrub_buf_putc(v, c);
            i++;
        }
    }
    return rc;
}

/* SimpleDateFormat with the clock frozen: quoted text verbatim, letters '0'. */
static int date_fmt(scrub_buf_t *v, const uint8_t *k, size_t n)
{
    size_t mark = v->len;
    size_t i = 0;
    int rc = 0;

    while (i < n && rc == 0) {
        if (k[i] == '\'') {
            if (i + 1 < n && k[i + 1] == '\'') {
                rc = scrub_buf_putc(v, '\'');
                i += 2;
                continue;
            }
            for (i++; i < n && rc == 0; i++) {
                if (k[i] == '\'' && i + 1 < n && k[i + 1] == '\'') {
                    rc = scrub_buf_putc(v, '\'');
                    i++;
                }
                else if (k[i] == '\'') {
                    break;
                }
                else {
                    rc = scrub_buf_putc(v, k[i]);
                }
            }
            if (i >= n) {
                goto invalid; /* unterminated quote */
            }
            i++;
        }
        else if (is_alpha(k[i])) {
            if (strchr("GyYMLwWDdFEuaHkKhmsSzZX", k[i]) == NULL) {
                goto invalid;
            }
            rc = scrub_buf_putc(v, '0');
            i++;
        }
        else {
            rc = scrub_buf_putc(v, k[i]);
            i++;
        }
    }
    return rc;
invalid:
    /* log4j falls back to the default date format: digits and punctuation. */
    v->len = mark;
    return scrub_buf_putc(v, '0');
}

static int b64val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
        return 62;
    }
    if (c == '/' || c == '_') {
        return 63;
    }
    return -1;
}

/* Decode base64 (standard or URL alphabet, padding optional). 1 if valid. */
static int b64_decode(scrub_buf_t *v, const uint8_t *k, size_t n, int *rc)
{
    size_t mark = v->len;
    size_t i;
    size_t cnt = 0;
    uint32_t acc = 0;
    int d;

    while (n > 0 && k[n - 1] == '=') {
        n--;
    }
    for (i = 0; i < n; i++) {
        d = b64val(k[i]);
        if (d < 0) {
            v->len = mark;
            return 0;
        }
        acc = (acc << 6) | (uint32_t)d;
        if (++cnt % 4 == 0) {
            *rc = scrub_buf_putc(v, (uint8_t)(acc >> 16));
            *rc = *rc ? *rc : scrub_buf_putc(v, (uint8_t)(acc >> 8));
            *rc = *rc ? *rc : scrub_buf_putc(v, (uint8_t)acc);
            if (*rc != 0) {
                return 1;
            }
        }
    }
    if (cnt % 4 == 1) {
        v->len = mark;
        return 0;
    }
    if (cnt % 4 == 2) {
        *rc = scrub_buf_putc(v, (uint8_t)(acc >> 4));
    }
    else if (cnt % 4 == 3) {
        *rc = scrub_buf_putc(v, (uint8_t)(acc >> 10));
        *rc = *rc ? *rc : scrub_buf_putc(v, (uint8_t)(acc >> 2));
    }
    return 1;
}

/*
 * Resolve the content c[0..n) of a closed frame (inner frames already
 * substituted) and append its value to l->vs. Sets *hit for a remote jndi
 * lookup. The value is never longer than the content.
 */
static int resolve(scrub_l4j_t *l, const uint8_t *c, size_t n, int *hit)
{
    const uint8_t *dflt = NULL;
    const uint8_t *colon;
    const uint8_t *key;
    size_t nlen = n;
    size_t dlen = 0;
    size_t klen;
    size_t ps = 0;
    size_t pe;
    size_t i;
    int rc = 0;

    for (i = 0; i + 1 < n; i++) {
        if (c[i] == ':' && c[i + 1] == '-') {
            nlen = i;
            dflt = c + i + 2;
            dlen = n - i - 2;
            break;
        }
    }
    colon = nlen ? memchr(c, ':', nlen) : NULL;
    if (colon == NULL) {
        return scrub_buf_append(&l->vs, dflt, dlen); /* no prefix: properties map */
    }
    pe = (size_t)(colon - c);
    key = colon + 1;
    klen = nlen - pe - 1;
    while (ps < pe && is_space(c[ps])) {
        ps++;
    }
    while (pe > ps && is_space(c[pe - 1])) {
        pe--;
    }
    if (eq_ci(c + ps, pe - ps, "jndi")) {
        *hit = key_is_remote(key, klen);
    }
    else if (eq_ci(c + ps, pe - ps, "lower") || eq_ci(c + ps, pe - ps, "upper")) {
        return case_map(&l->vs, key, klen, lc(c[ps]) == 'u');
    }
    else if (eq_ci(c + ps, pe - ps, "date")) {
        return date_fmt(&l->vs, key, klen);
    }
    else if (eq_ci(c + ps, pe - ps, "sys")) {
        if (klen == 14 && memcmp(key, "file.separator", 14) == 0) {
            return scrub_buf_putc(&l->vs, '/');
        }
        if (klen == 14 && memcmp(key, "path.separator", 14) == 0) {
            return scrub_buf_putc(&l->vs, ':');
        }
        if (klen == 14 && memcmp(key, "line.separator", 14) == 0) {
            return scrub_buf_putc(&l->vs, '\n');
        }
    }
    else if (eq_ci(c + ps, pe - ps, "base64")) {
        if (b64_decode(&l->vs, key, klen, &rc)) {
            return rc;
        }
    }
    return scrub_buf_append(&l->vs, dflt, dlen);
}

/* ---- evaluator ------------------------------------------------------------------ */

static uint8_t src_at(const scrub_l4j_t *l, const l4j_src_t *s, size_t i)
{
    return s->map ? s->map->b[i] : l->vs.data[s->off + i];
}

static uint32_t src_lo(const l4j_src_t *s, size_t i)
{
    return s->map ? s->map->lo[i] : s->lo;
}

static uint32_t src_hi(const l4j_src_t *s, size_t i)
{
    return s->map ? s->map->hi[i] : s->hi;
}

static int eval_run(scrub_l4j_t *l, const l4j_src_t *s, unsigned level);

static int frame_push(scrub_l4j_t *l, const l4j_src_t *s, size_t i, unsigned level)
{
    scrub_dmap_t *out = &l->m[!l->cur];
    l4j_frame_t *f;
    int rc;

    if (l->nframes + level >= l->opts.max_depth) {
        return SCRUB_EBUDGET;
    }
    if (l->opts.paranoid) {
        if (l->nframes > 0) {
            l->frames[l->nframes - 1].para = 1;
        }
        else if (s->map == NULL) {
            /* a value's frames are nested in the frame that produced it */
            rc = span_emit(l, s->lo, s->hi, 1);
            if (rc != 0) {
                return rc;
            }
        }
    }
    f = &l->frames[l->nframes++];
    memset(f, 0, sizeof(*f));
    f->start = out->len;
    f->lo = src_lo(s, i);
    rc = scrub_dmap_put(out, '$', src_lo(s, i), src_hi(s, i));
    if (rc == 0) {
        rc = scrub_dmap_put(out, '{', src_lo(s, i + 1), src_hi(s, i + 1));
    }
    return rc;
}

static int frame_close(scrub_l4j_t *l, const l4j_src_t *s, size_t i, unsigned level)
{
    scrub_dmap_t *out = &l->m[!l->cur];
    l4j_frame_t f = l->frames[--l->nframes];
    size_t cstart = f.start + 2;
    size_t clen = out->len - cstart;
    size_t voff = l->vs.len;
    size_t vlen;
    size_t k;
    uint32_t hi = src_hi(s, i);
    l4j_src_t v;
    int hit = 0;
    int rc;

    rc = charge(l, clen);
    if (rc == 0) {
        rc = resolve(l, out->b + cstart, clen, &hit);
    }
    if (rc != 0) {
        return rc;
    }
    out->len = f.start;
    if (hit || f.hit) {
        rc = span_report(l, f.lo, hi, 0);
    }
    else if (f.para) {
        rc = span_report(l, f.lo, hi, 1);
    }
    vlen = l->vs.len - voff;
    if (rc == 0) {
        rc = charge(l, vlen);
    }
    if (rc == 0 && vlen > 1 && has_open(l->vs.data + voff, vlen)) {
        /* log4j substitutes a resolved value (defaults included) again */
        v.map = NULL;
        v.off = voff;
        v.len = vlen;
        v.lo = f.lo;
        v.hi = hi;
        rc = eval_run(l, &v, level + 1);
    }
    else {
        for (k = 0; k < vlen && rc == 0; k++) {
            rc = scrub_dmap_put(out, l->vs.data[voff + k], f.lo, hi);
        }
    }
    l->vs.len = voff;
    return rc;
}

/* Frames left open at the end of a run stay literal; pass their hits up. */
static int frames_unclosed(scrub_l4j_t *l, size_t base)
{
    const scrub_dmap_t *out = &l->m[!l->cur];
    l4j_frame_t f;
    uint32_t last;
    int rc = 0;

    while (l->nframes > base && rc == 0) {
        f = l->frames[--l->nframes];
        if (f.hit) {
            rc = span_report(l, f.hlo, f.hhi, 0);
        }
        if (f.para && rc == 0) {
            if (f.phi != 0) {
                rc = span_report(l, f.plo, f.phi, 1);
            }
            else {
                last = out->len > f.start ? out->hi[out->len - 1] : f.lo + 1;
                rc = span_report(l, f.lo, last, 1);
            }
        }
    }
    return rc;
}

static int eval_run(scrub_l4j_t *l, const l4j_src_t *s, unsigned level)
{
    size_t base = l->nframes;
    size_t i = 0;
    uint8_t c;
    int rc = 0;

    if (level >= l->opts.max_depth) {
        return SCRUB_EBUDGET;
    }
    while (i < s->len && rc == 0) {
        if (s->map != NULL) {
            /* plain run: copy bytes and spans in bulk */
            size_t j = i;

            while (j < s->len && s->map->b[j] != '$' && s->map->b[j] != '}') {
                j++;
            }
            if (j > i) {
                rc = charge(l, j - i);
                if (rc == 0) {
                    rc = scrub_dmap_copy(&l->m[!l->cur], s->map, i, j - i);
                }
                i = j;
                continue;
            }
        }
        rc = charge(l, 1);
        if (rc != 0) {
            break;
        }
        c = src_at(l, s, i);
        if (c == '$' && i + 1 < s->len && src_at(l, s, i + 1) == '{') {
            rc = frame_push(l, s, i, level);
            i += 2;
        }
        else if (c == '}' && l->nframes > base) {
            rc = frame_close(l, s, i, level);
            i++;
        }
        else {
            rc = scrub_dmap_put(&l->m[!l->cur], c, src_lo(s, i), src_hi(s, i));
            i++;
        }
    }
    if (rc == 0) {
        rc = frames_unclosed(l, base);
    }
    return rc;
}

/* ---- scan ---------------------------------------------------------------------- */

static int scan_passes(scrub_l4j_t *l, const uint8_t *in, size_t n)
{
    l4j_src_t src;
    unsigned pass;
    unsigned round;
    int changed;
    int raw = 1; /* the text is still in[0, n), not loaded into l->m[l->cur] */
    int rc;

    l->cur = 0;
    rc = charge(l, n); /* n < UINT32_MAX: scrub_l4j_scan checked */
    for (pass = 0; pass < L4J_PASSES && rc == 0; pass++) {
        int changes = 0;
        for (round = 0; round < L4J_ROUNDS && rc == 0; round++) {
            rc = charge(l, raw ? n : l->m[l->cur].len);
            if (rc == 0) {
                /* the first round reads the record itself, unless it has to be loaded */
                rc = raw ? scrub_decode_first(in, n, &l->m[!l->cur], &changed)
                         : scrub_decode_round(&l->m[l->cur], &l->m[!l->cur], &changed);
            }
            if (rc != 0 || !changed) {
                break;
            }
            l->cur = !l->cur;
            raw = 0;
            changes++;
        }
        if (rc != 0 || !has_open(raw ? in : l->m[l->cur].b, raw ? n : l->m[l->cur].len)) {
            if (rc == 0 && pass == 0) {
                l->view_rounds = changes; /* nothing to evaluate: the decoding stays */
                l->view_cur = l->cur;
            }
            break;
        }
        if (raw) {
            /* nothing decoded, but a lookup to evaluate: the evaluator reads a map */
            rc = scrub_dmap_load(&l->m[l->cur], in, n);
            raw = 0;
            if (rc != 0) {
                break;
            }
        }
        memset(&src, 0, sizeof(src));
        src.map = &l->m[l->cur];
        src.len = src.map->len;
        l->m[!l->cur].len = 0;
        l->nframes = 0;
        rc = scrub_dmap_reserve(&l->m[!l->cur], src.len);
        if (rc == 0) {
            rc = eval_run(l, &src, 0);
        }
        l->cur = !l->cur;
    }
    return rc;
}

int scrub_l4j_scan(scrub_l4j_t *l, const uint8_t *in, size_t n, scrub_l4j_hit_t *hits,
                   size_t max_hits)
{
    size_t i;
    size_t k;
    int rc;

    if (l == NULL || (in == NULL && n > 0) || (hits == NULL && max_hits > 0)) {
        return SCRUB_EINVAL;
    }
    if (n >= UINT32_MAX) {
        return SCRUB_EBUDGET;
    }
    l->nspans = 0;
    l->nframes = 0;
    l->work = 0;
    l->view_rounds = -1;
    scrub_buf_reset(&l->vs);
    l->budget = l->opts.budget;
    if (l->budget == 0) {
        l->budget = n > (SIZE_MAX - 4096) / 64 ? SIZE_MAX : 64 * n + 4096;
    }
    if (n == 0) {
        return 0;
    }
    rc = scan_passes(l, in, n);
    if (rc != 0) {
        return rc;
    }
    /* sort, then merge overlapping spans (paranoid_only only if all parts are) */
    if (l->nspans > 1) {
        qsort(l->spans, l->nspans, sizeof(*l->spans), span_cmp);
    }
    k = 0;
    for (i = 0; i < l->nspans; i++) {
        if (k > 0 && l->spans[i].lo < l->spans[k - 1].hi) {
            if (l->spans[i].hi > l->spans[k - 1].hi) {
                l->spans[k - 1].hi = l->spans[i].hi;
            }
            l->spans[k - 1].para &= l->spans[i].para;
        }
        else {
            l->spans[k++] = l->spans[i];
        }
    }
    for (i = 0; i < k && i < max_hits; i++) {
        hits[i].start = l->spans[i].lo;
        hits[i].end = l->spans[i].hi;
        hits[i].paranoid_only = l->spans[i].para;
    }
    return (int)(k < max_hits ? k : max_hits);
}

/* ---- prefilter ------------------------------------------------------------------- */

/*
 * Soundness argument for the list. A hit needs "${" in the decoded text of
 * the first pass. Take the decoded '$': either it is a raw '$', and the '{'
 * after it is a raw '{' or comes from an escape whose first raw byte is an
 * introducer ('%', '\', '&') - hence "${", "$%", "$\", "$&". Or it comes
 * from an escape whose first byte, traced back to the raw text, is an
 * introducer that either decodes in round one to '$' or to another
 * introducer (%24 %25 %26 %5c, %u00.., \u0.., \uu, \u{, \x2., \x5., octal
 * \0.. \1.. \4.., \\, &#.., &dollar/&percnt/&bsol/&amp), or stays literal in
 * round one because the next byte is itself produced by an escape (so the
 * next raw byte is an introducer: "%%", "%2\", "\u&", "&d%", ...). Every
 * such root starts with one of the keywords below.
 */
static const char *const l4j_keywords[] = {
    "${", "$%", "$\\", "$&",
    "%24", "%25", "%26", "%5c", "%2%", "%2\\", "%2&", "%5%", "%5\\", "%5&",
    "%u0", "%u%", "%u\\", "%u&", "%%", "%\\", "%&",
    "\\u0", "\\uu", "\\u{", "\\u%", "\\u\\", "\\u&",
    "\\x2", "\\x5", "\\x%", "\\x\\", "\\x&",
    "\\0", "\\1", "\\4", "\\\\", "\\%", "\\&",
    "&#", "&%", "&\\", "&&",
    "&do", "&d%", "&d\\", "&d&", "&pe", "&p%", "&p\\", "&p&",
    "&bs", "&b%", "&b\\", "&b&", "&am", "&a%", "&a\\", "&a&",
    NULL};

const char *const *scrub_l4j_keywords(void)
{
    return l4j_keywords;
}

/* The first bytes of the keywords above, and for each first byte the
 * (lower-case) second bytes that follow it in some keyword; set up once. */
static scrub_byteset_t maybe_set;
static uint32_t maybe_pair[256][8]; /* bit (second & 31) of word second >> 5 */
static pthread_once_t maybe_once = PTHREAD_ONCE_INIT;

static void maybe_init(void)
{
    const char *const *kw;

    scrub_bytes_init(&maybe_set);
    for (kw = l4j_keywords; *kw != NULL; kw++) {
        (void)scrub_bytes_add(&maybe_set, (uint8_t)(*kw)[0]); /* four distinct bytes */
        maybe_pair[(uint8_t)(*kw)[0]][(uint8_t)(*kw)[1] >> 5] |= 1u << ((uint8_t)(*kw)[1] & 31);
    }
}

/* A keyword of l4j_keywords starts at in[i] (in[i] is one of their first bytes). */
static int keyword_at(const uint8_t *in, size_t n, size_t i)
{
    const char *const *kw;
    size_t j;

    for (kw = l4j_keywords; *kw != NULL; kw++) {
        if ((uint8_t)(*kw)[0] != in[i]) {
            continue;
        }
        for (j = 1; (*kw)[j] != '\0' && i + j < n && lc(in[i + j]) == (uint8_t)(*kw)[j]; j++) {
        }
        if ((*kw)[j] == '\0') {
            return 1;
        }
    }
    return 0;
}

int scrub_l4j_decoded(const scrub_l4j_t *l, const scrub_dmap_t **out)
{
    *out = l->view_rounds > 0 ? &l->m[l->view_cur] : NULL;
    return l->view_rounds;
}

int scrub_l4j_maybe(const uint8_t *in, size_t n)
{
    size_t at[64], got, q, from = 0;

    if (in == NULL || n < 2) {
        return 0;
    }
    (void)pthread_once(&maybe_once, maybe_init);
    do {
        /* the keywords' first bytes, 64 at a time (a keyword has two bytes or more) */
        got = scrub_bytes_find(&maybe_set, in, from, n - 1, n, at, 64);
        for (q = 0; q < got; q++) {
            uint8_t c2 = lc(in[at[q] + 1]);
            if ((maybe_pair[in[at[q]]][c2 >> 5] >> (c2 & 31) & 1) && keyword_at(in, n, at[q])) {
                return 1;
            }
        }
        from = got > 0 ? at[got - 1] + 1 : n;
    } while (got == 64 && from < n - 1);
    return 0;
}
