/* scrub_logfmt: recognise logfmt lines and report every key=value pair with its spans. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * A line is tokenised twice: once to decide whether it is logfmt at all, then
 * again to report pairs. Lines are short and the first pass touches no memory
 * but the input, so this is cheaper than making every caller undo findings
 * from a line that turns out not to be logfmt halfway through.
 */

#include "scrub_logfmt.h"
#include "scrub.h"

#include <string.h>

/* Raw spans of one token. */
struct lf_raw {
    size_t ks;       /* key start */
    size_t ke;       /* key end */
    size_t vs;       /* value start (== ke for a bare key) */
    size_t ve;       /* value end */
    int has_eq;      /* the key was followed by '=' */
    int quoted;      /* the value is quoted */
    int has_esc;     /* the quoted value holds a backslash */
};

static inline int lf_is_sep(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Run scanners: the first byte in [p, end) that ends a plain value (<= 0x20) or
 * stops a quoted one ('"' or '\\'); end if none. SSE2 where available (x86-64),
 * bytewise otherwise.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

static inline const uint8_t *lf_scan_plain(const uint8_t *p, const uint8_t *end)
{
    const __m128i space = _mm_set1_epi8(0x20);
    __m128i v;
    unsigned mask;

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *)(const void *)p);
        mask = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_subs_epu8(v, space), _mm_setzero_si128()));
        if (mask != 0) {
            return p + __builtin_ctz(mask);
        }
        p += 16;
    }
    while (p < end && *p > 0x20) {
        p++;
    }
    return p;
}

static inline const uint8_t *lf_scan_quoted(const uint8_t *p, const uint8_t *end)
{
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    __m128i v;
    unsigned mask;

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *)(const void *)p);
        mask = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        if (mask != 0) {
            return p + __builtin_ctz(mask);
        }
        p += 16;
    }
    while (p < end && *p != '"' && *p != '\\') {
        p++;
    }
    return p;
}
#else
static inline const uint8_t *lf_scan_plain(const uint8_t *p, const uint8_t *end)
{
    while (p < end && *p > 0x20) {
        p++;
    }
    return p;
}

static inline const uint8_t *lf_scan_quoted(const uint8_t *p, const uint8_t *end)
{
    while (p < end && *p != '"' && *p != '\\') {
        p++;
    }
    return p;
}
#endif

/*
 * Read the token at *pos. Returns 1 with *t filled and *pos past the token, 0 at
 * the end of the line, -1 when the line is not logfmt.
 */
static int lf_next(const uint8_t *in, size_t n, size_t *pos, struct lf_raw *t)
{
    size_t p = *pos;

    while (p < n && lf_is_sep(in[p])) {
        p++;
    }
    if (p == n) {
        *pos = p;
        return 0;
    }
    memset(t, 0, sizeof(*t));
    t->ks = p;
    while (p < n && in[p] > 0x20 && in[p] != '=' && in[p] != '"') {
        p++;
    }
    t->ke = p;
    if (t->ke == t->ks) {
        return -1;
    }
    if (p == n || lf_is_sep(in[p])) {
        t->vs = t->ve = p;
        *pos = p;
        return 1;
    }
    if (in[p] != '=') {
        return -1;
    }
    p++;
    t->has_eq = 1;
    t->vs = p;
    if (p < n && in[p] == '"') {
        t->quoted = 1;
        p++;
        for (;;) {
            p = (size_t)(lf_scan_quoted(in + p, in + n) - in);
            if (p == n) {
                return -1;
            }
            if (in[p] == '"') {
                p++;
                break;
            }
            /* A backslash: it escapes the next byte, whatever it is. */
            t->has_esc = 1;
            p += 2;
            if (p > n) {
                return -1;
            }
        }
    }
    else {
        p = (size_t)(lf_scan_plain(in + p, in + n) - in);
    }
    t->ve = p;
    if (p < n && !lf_is_sep(in[p])) {
        return -1;
    }
    *pos = p;
    return 1;
}

/* Decode the inside of a quoted value with escapes into scratch. */
static int lf_unescape(scrub_buf_t *scratch, const uint8_t *s, size_t n)
{
    size_t i = 0;
    size_t run;
    uint8_t c;
    int rc;

    scrub_buf_reset(scratch);
    rc = scrub_buf_reserve(scratch, n);
    if (rc != 0) {
        return rc;
    }
    while (i < n) {
        run = i;
        while (i < n && s[i] != '\\') {
            i++;
        }
        memcpy(scratch->data + scratch->len, s + run, i - run);
        scratch->len += i - run;
        if (i == n) {
            break;
        }
        /* The tokenizer guarantees a byte after every backslash. */
        c = s[i + 1];
        switch (c) {
        case '"':
        case '\\':
            scratch->data[scratch->len++] = c;
            break;
        case 'n':
            scratch->data[scratch->len++] = '\n';
            break;
        case 'r':
            scratch->data[scratch->len++] = '\r';
            break;
        case 't':
            scratch->data[scratch->len++] = '\t';
            break;
        default:
            scratch->data[scratch->len++] = '\\';
            scratch->data[scratch->len++] = c;
            break;
        }
        i += 2;
    }
    return 0;
}

int scrub_logfmt_walk(scrub_buf_t *scratch, const uint8_t *in, size_t n, scrub_logfmt_cb cb,
                      void *ud)
{
    struct lf_raw t;
    scrub_logfmt_tok_t tok;
    size_t pos = 0;
    size_t pairs = 0;
    int r;
    int rc;

    while ((r = lf_next(in, n, &pos, &t)) == 1) {
        pairs += (size_t)t.has_eq;
    }
    if (r < 0 || pairs == 0) {
        return SCRUB_EINVAL;
    }
    if (cb == NULL) {
        return 0;
    }

    pos = 0;
    while (lf_next(in, n, &pos, &t) == 1) {
        tok.key_start = t.ks;
        tok.key_end = t.ke;
        tok.val_start = t.vs;
        tok.val_end = t.ve;
        tok.quoted = t.quoted;
        if (!t.has_eq) {
            tok.val = NULL;
            tok.val_len = 0;
        }
        else if (!t.quoted) {
            tok.val = in + t.vs;
            tok.val_len = t.ve - t.vs;
        }
        else if (!t.has_esc) {
            tok.val = in + t.vs + 1;
            tok.val_len = t.ve - t.vs - 2;
        }
        else {
            rc = lf_unescape(scratch, in + t.vs + 1, t.ve - t.vs - 2);
            if (rc != 0) {
                return rc;
            }
            tok.val = scratch->data;
            tok.val_len = scratch->len;
        }
        rc = cb(ud, &tok);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int scrub_logfmt_quote(scrub_buf_t *out, const uint8_t *v, size_t n)
{
    size_t old_len = out->len;
    size_t i;
    size_t run;
    int need = n == 0;
    uint8_t e[2];
    int rc;

    for (i = 0; i < n && !need; i++) {
        need = v[i] <= 0x20 || v[i] == '=' || v[i] == '"';
    }
    if (!need) {
        return scrub_buf_append(out, v, n);
    }
    rc = scrub_buf_putc(out, '"');
    i = 0;
    while (rc == 0 && i < n) {
        run = i;
        while (i < n && v[i] != '"' && v[i] != '\\' && v[i] != '\n' && v[i] != '\r'
               && v[i] != '\t') {
            i++;
        }
        rc = scrub_buf_append(out, v + run, i - run);
        if (rc != 0 || i == n) {
            break;
        }
        e[0] = '\\';
        switch (v[i]) {
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        default:
            e[1] = v[i];
            break;
        }
        rc = scrub_buf_append(out, e, 2);
        i++;
    }
    if (rc == 0) {
        rc = scrub_buf_putc(out, '"');
    }
    if (rc != 0) {
        out->len = old_len;
    }
    return rc;
}
