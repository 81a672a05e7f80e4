/* scrub_decode: one round of transport-escape decoding, with a map back to the raw bytes. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * The decoders of log4shell-techniques.md §5.2. Each recogniser looks at the
 * bytes from position i, and either returns 0 (not an escape: the byte is
 * copied) or the number of bytes consumed plus the 1-4 decoded bytes. Every
 * recogniser guarantees that it emits strictly fewer bytes than it consumes,
 * which is what bounds the rounds (see the table in §5.2): the smallest
 * inputs are "\\" (2 -> 1), "&#1" (3 -> 1), "&#128" (5 -> 2), "&#2048"
 * (6 -> 3), "&#65536" (7 -> 4); U+FFFD (3 bytes) is only produced from
 * inputs of at least 6 bytes.
 */
#include "scrub_decode.h"
#include "scrub.h"
#include "scrub_bytes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- storage ------------------------------------------------------------- */

void scrub_dmap_init(scrub_dmap_t *m)
{
    memset(m, 0, sizeof(*m));
}

void scrub_dmap_free(scrub_dmap_t *m)
{
    if (m == NULL) {
        return;
    }
    free(m->b);
    free(m->lo);
    free(m->hi);
    scrub_dmap_init(m);
}

int scrub_dmap_reserve(scrub_dmap_t *m, size_t cap)
{
    uint8_t *b;
    uint32_t *lo;
    uint32_t *hi;
    size_t ncap;

    if (cap <= m->cap) {
        return 0;
    }
    ncap = m->cap ? m->cap : 256;
    while (ncap < cap) {
        ncap = ncap > SIZE_MAX / 8 ? cap : ncap * 2;
    }
    if (ncap > SIZE_MAX / sizeof(uint32_t)) {
        return SCRUB_ENOMEM;
    }
    /* Grow the arrays one by one; the map stays consistent (cap only moves
     * once all three have the new size). */
    b = realloc(m->b, ncap);
    if (b == NULL) {
        return SCRUB_ENOMEM;
    }
    m->b = b;
    lo = realloc(m->lo, ncap * sizeof(uint32_t));
    if (lo == NULL) {
        return SCRUB_ENOMEM;
    }
    m->lo = lo;
    hi = realloc(m->hi, ncap * sizeof(uint32_t));
    if (hi == NULL) {
        return SCRUB_ENOMEM;
    }
    m->hi = hi;
    m->cap = ncap;
    return 0;
}

int scrub_dmap_copy(scrub_dmap_t *m, const scrub_dmap_t *src, size_t from, size_t n)
{
    int rc;

    if (n == 0) {
        return 0;
    }
    rc = scrub_dmap_reserve(m, m->len + n);
    if (rc != 0) {
        return rc;
    }
    memcpy(m->b + m->len, src->b + from, n);
    memcpy(m->lo + m->len, src->lo + from, n * sizeof(uint32_t));
    memcpy(m->hi + m->len, src->hi + from, n * sizeof(uint32_t));
    m->len += n;
    return 0;
}

int scrub_dmap_load(scrub_dmap_t *m, const uint8_t *in, size_t n)
{
    size_t i;
    int rc;

    m->len = 0;
    rc = scrub_dmap_reserve(m, n);
    if (rc != 0) {
        return rc;
    }
    if (n > 0) {
        memcpy(m->b, in, n);
    }
    for (i = 0; i < n; i++) {
        m->lo[i] = (uint32_t)i;
        m->hi[i] = (uint32_t)(i + 1);
    }
    m->len = n;
    return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* 4 hex digits at b[i..i+4) (caller checked bounds); -1 if not hex. */
static long hex4(const uint8_t *b, size_t i)
{
    long v = 0;
    size_t k;
    int h;

    for (k = 0; k < 4; k++) {
        h = hexval(b[i + k]);
        if (h < 0) {
            return -1;
        }
        v = v * 16 + h;
    }
    return v;
}

size_t scrub_decode_utf8(uint8_t *u, uint32_t cp)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        cp = 0xFFFD;
    }
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (uint8_t)(0xF0 | (cp >> 18));
    u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- recognisers --------------------------------------------------------- */

/* %XX and %uXXXX (with %uD8xx%uDCxx pairs). b[i] == '%'. */
static size_t dec_percent(const uint8_t *b, size_t i, size_t n, uint8_t *u, size_t *ulen)
{
    long cp;
    long lo;

    if (i + 2 < n && hexval(b[i + 1]) >= 0 && hexval(b[i + 2]) >= 0) {
        u[0] = (uint8_t)(hexval(b[i + 1]) * 16 + hexval(b[i + 2]));
        *ulen = 1;
        return 3;
    }
    if (i + 5 < n && (b[i + 1] == 'u' || b[i + 1] == 'U')) {
        cp = hex4(b, i + 2);
        if (cp < 0) {
            return 0;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 11 < n && b[i + 6] == '%' &&
            (b[i + 7] == 'u' || b[i + 7] == 'U')) {
            lo = hex4(b, i + 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                *ulen = scrub_decode_utf8(u, (uint32_t)(0x10000 + ((cp - 0xD800) << 10) +
                                                        (lo - 0xDC00)));
                return 12;
            }
        }
        *ulen = scrub_decode_utf8(u, (uint32_t)cp);
        return 6;
    }
    return 0;
}

/* \u+XXXX (pairs joined) and \u{1-6 hex}. b[i] == '\\', b[i + 1] == 'u'. */
static size_t dec_unicode(const uint8_t *b, size_t i, size_t n, uint8_t *u, size_t *ulen)
{
    size_t j = i + 1;
    size_t k;
    size_t m;
    long cp;
    long lo;
    uint32_t v = 0;

    while (j < n && b[j] == 'u') {
        j++;
    }
    if (j == i + 2 && j < n && b[j] == '{') {
        for (k = j + 1; k < n && k < j + 7 && hexval(b[k]) >= 0; k++) {
            v = v * 16 + (uint32_t)hexval(b[k]);
        }
        if (k == j + 1 || k >= n || b[k] != '}') {
            return 0;
        }
        *ulen = scrub_decode_utf8(u, v);
        return k + 1 - i;
    }
    if (j + 4 > n) {
        return 0;
    }
    cp = hex4(b, j);
    if (cp < 0) {
        return 0;
    }
    j += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && j + 1 < n && b[j] == '\\' && b[j + 1] == 'u') {
        m = j + 1;
        while (m < n && b[m] == 'u') {
            m++;
        }
        if (m + 4 <= n) {
            lo = hex4(b, m);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                *ulen = scrub_decode_utf8(u, (uint32_t)(0x10000 + ((cp - 0xD800) << 10) +
                                                        (lo - 0xDC00)));
                return m + 4 - i;
            }
        }
    }
    *ulen = scrub_decode_utf8(u, (uint32_t)cp);
    return j - i;
}

static int is_oct(uint8_t c)
{
    return c >= '0' && c <= '7';
}

/* Backslash escapes. b[i] == '\\'. */
static size_t dec_backslash(const uint8_t *b, size_t i, size_t n, uint8_t *u, size_t *ulen)
{
    uint8_t c;

    if (i + 1 >= n) {
        return 0;
    }
    c = b[i + 1];
    *ulen = 1;
    switch (c) {
    case 'u':
        return dec_unicode(b, i, n, u, ulen);
    case 'x':
        if (i + 3 < n && hexval(b[i + 2]) >= 0 && hexval(b[i + 3]) >= 0) {
            u[0] = (uint8_t)(hexval(b[i + 2]) * 16 + hexval(b[i + 3]));
            return 4;
        }
        return 0;
    case '\\':
    case '"':
    case '/':
    case '\'':
        u[0] = c;
        return 2;
    case 'n':
        u[0] = '\n';
        return 2;
    case 't':
        u[0] = '\t';
        return 2;
    case 'r':
        u[0] = '\r';
        return 2;
    default:
        break;
    }
    if (!is_oct(c) || i + 2 >= n || !is_oct(b[i + 2])) {
        return 0;
    }
    if (c <= '3' && i + 3 < n && is_oct(b[i + 3])) {
        u[0] = (uint8_t)((c - '0') * 64 + (b[i + 2] - '0') * 8 + (b[i + 3] - '0'));
        return 4;
    }
    u[0] = (uint8_t)((c - '0') * 8 + (b[i + 2] - '0'));
    return 3;
}

/* Named entities: the §5.2 table. `hyphen` and `dash` are mapped to ASCII
 * '-' (HTML says U+2010) on purpose: it is the character an attacker wants. */
#define ENT(name, utf8) {name, utf8, sizeof(name) - 1, sizeof(utf8) - 1}
static const struct l4j_entity {
    const char *name;  /* lower-case name without '&' and ';' */
    const char *utf8;  /* decoded bytes (1-2) */
    size_t nlen;       /* strlen(name) */
    size_t ulen;       /* strlen(utf8) */
} entities[] = {
    ENT("dollar", "$"), ENT("lbrace", "{"), ENT("lcub", "{"), ENT("rbrace", "}"),
    ENT("rcub", "}"), ENT("colon", ":"), ENT("sol", "/"), ENT("period", "."),
    ENT("amp", "&"), ENT("quot", "\""), ENT("apos", "'"), ENT("lt", "<"), ENT("gt", ">"),
    ENT("num", "#"), ENT("percnt", "%"), ENT("bsol", "\\"), ENT("lowbar", "_"),
    ENT("hyphen", "-"), ENT("dash", "-"), ENT("excl", "!"), ENT("tab", "\t"),
    ENT("newline", "\n"), ENT("nbsp", "\xC2\xA0"), ENT("commat", "@"), ENT("equals", "="),
};
#undef ENT

static uint8_t lc(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* &#N, &#xH, &name, each with optional ';'. b[i] == '&'. */
static size_t dec_amp(const uint8_t *b, size_t i, size_t n, uint8_t *u, size_t *ulen)
{
    size_t j = i + 1;
    size_t start;
    size_t best = 0;
    size_t bi = 0;
    size_t e;
    size_t k;
    size_t len;
    uint32_t v = 0;
    int base = 10;
    int over = 0;
    int d;

    if (j < n && b[j] == '#') {
        j++;
        if (j < n && (b[j] == 'x' || b[j] == 'X')) {
            base = 16;
            j++;
        }
        start = j;
        while (j < n && (d = hexval(b[j])) >= 0 && (base == 16 || d < 10)) {
            if (!over) {
                v = v * (uint32_t)base + (uint32_t)d;
                over = v > 0x10FFFF;
            }
            j++;
        }
        if (j == start) {
            return 0;
        }
        if (j < n && b[j] == ';') {
            j++;
        }
        *ulen = scrub_decode_utf8(u, over ? 0xFFFD : v);
        return j - i;
    }
    for (e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
        len = entities[e].nlen;
        if (len <= best || j + len > n) {
            continue;
        }
        for (k = 0; k < len && lc(b[j + k]) == (uint8_t)entities[e].name[k]; k++) {
        }
        if (k == len) {
            best = len;
            bi = e;
        }
    }
    if (best == 0) {
        return 0;
    }
    j += best;
    if (j < n && b[j] == ';') {
        j++;
    }
    memcpy(u, entities[bi].utf8, entities[bi].ulen);
    *ulen = entities[bi].ulen;
    return j - i;
}

/* ---- the round ----------------------------------------------------------- */

/* The bytes that start an escape (the recognisers' first bytes), set up once. */
static scrub_byteset_t intro_set;
static pthread_once_t intro_once = PTHREAD_ONCE_INIT;

static void intro_init(void)
{
    scrub_bytes_init(&intro_set);
    (void)scrub_bytes_add(&intro_set, '%');
    (void)scrub_bytes_add(&intro_set, '\\');
    (void)scrub_bytes_add(&intro_set, '&');
}

/* Append b[from, from + n) to out with its spans: lo/hi[from, from + n), or the
 * identity [i, i + 1) when lo is NULL (the raw record). out has room. */
static void copy_run(scrub_dmap_t *out, const uint8_t *b, const uint32_t *lo, const uint32_t *hi,
                     size_t from, size_t n)
{
    size_t q;

    if (n == 0) {
        return;
    }
    memcpy(out->b + out->len, b + from, n);
    if (lo != NULL) {
        memcpy(out->lo + out->len, lo + from, n * sizeof(uint32_t));
        memcpy(out->hi + out->len, hi + from, n * sizeof(uint32_t));
    }
    else {
        for (q = 0; q < n; q++) {
            out->lo[out->len + q] = (uint32_t)(from + q);
            out->hi[out->len + q] = (uint32_t)(from + q + 1);
        }
    }
    out->len += n;
}

/* The round over b[0, n) whose spans are lo/hi, or the identity when lo is NULL. */
static int decode_round(const uint8_t *b, size_t n, const uint32_t *lo_map, const uint32_t *hi_map,
                        scrub_dmap_t *out, int *changed)
{
    size_t i = 0;
    size_t done = 0;    /* b[0..done) has been written to out */
    size_t k;
    size_t ulen;
    size_t q;
    uint8_t u[4];
    uint32_t lo;
    uint32_t hi;
    int rc;

    size_t at[64], got = 0, next = 0;

    *changed = 0;
    out->len = 0;
    (void)pthread_once(&intro_once, intro_init);
    while (i < n) {
        /* the next escape introducer at or after i, found 64 at a time */
        while (next < got && at[next] < i) {
            next++; /* consumed by the rewrite before it */
        }
        if (next == got) {
            got = scrub_bytes_find(&intro_set, b, i, n, n, at, 64);
            next = 0;
            if (got == 0) {
                break;
            }
        }
        i = at[next++];
        k = 0;
        ulen = 0;
        if (b[i] == '%') {
            k = dec_percent(b, i, n, u, &ulen);
        }
        else if (b[i] == '\\') {
            k = dec_backslash(b, i, n, u, &ulen);
        }
        else {
            k = dec_amp(b, i, n, u, &ulen);
        }
        if (k == 0) {
            i++;
            continue;
        }
        if (!*changed) {
            /* first rewrite: from here on out is written (lazily, in runs); every
             * rewrite shrinks (see the file comment), so n entries are enough */
            rc = scrub_dmap_reserve(out, n);
            if (rc != 0) {
                return rc;
            }
            *changed = 1;
        }
        copy_run(out, b, lo_map, hi_map, done, i - done);
        lo = lo_map != NULL ? lo_map[i] : (uint32_t)i;
        hi = hi_map != NULL ? hi_map[i + k - 1] : (uint32_t)(i + k);
        for (q = 0; q < ulen; q++) {
            out->b[out->len] = u[q];
            out->lo[out->len] = lo;
            out->hi[out->len] = hi;
            out->len++;
        }
        i += k;
        done = i;
    }
    if (*changed) {
        copy_run(out, b, lo_map, hi_map, done, n - done);
    }
    return 0;
}

int scrub_decode_round(const scrub_dmap_t *in, scrub_dmap_t *out, int *changed)
{
    return decode_round(in->b, in->len, in->lo, in->hi, out, changed);
}

int scrub_decode_first(const uint8_t *in, size_t n, scrub_dmap_t *out, int *changed)
{
    if (n >= UINT32_MAX) {
        return SCRUB_ENOMEM; /* spans are 32-bit, as for scrub_dmap_load */
    }
    return decode_round(in, n, NULL, NULL, out, changed);
}
