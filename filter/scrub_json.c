/* scrub_json: a streaming, allocation-free JSON validator that reports every string token. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * The walker is an iterative state machine over an explicit container stack, so
 * hostile nesting costs a bounded stack (max_depth frames) and never recursion.
 * Per token it allocates nothing: strings without a backslash are reported in
 * place, strings with escapes are decoded into one reusable scratch buffer, and
 * the dotted key path lives in a second reusable buffer that is truncated as
 * containers close. Both buffers only grow, so a walker that has seen its
 * largest record allocates nothing more.
 *
 * The string scanner looks at 16 bytes at a time (SSE2, or 8 with SWAR) for the
 * three bytes that end a plain run: '"', '\\' and a control character.
 */

#include "scrub_json.h"
#include "scrub.h"

#include <stdlib.h>
#include <string.h>

#define JSON_DEFAULT_DEPTH 64

/* One open container. */
struct json_frame {
    uint8_t is_obj;        /* 1 object, 0 array */
    uint8_t base_comp;     /* path had a component when the container opened */
    size_t path_base;      /* path length when the container opened */
    size_t key_off;        /* objects: offset of the current key in the path */
};

struct scrub_json {
    unsigned max_depth;        /* deepest nesting allowed */
    struct json_frame *stack;  /* open containers, grown on demand */
    unsigned stack_cap;        /* frames allocated */
    unsigned depth;            /* frames in use */
    int has_comp;              /* path holds at least one component */
    scrub_buf_t path;          /* dotted decoded key path */
    scrub_buf_t dec;           /* decoded text of the current escaped string */
};

/* ---- lifecycle ----------------------------------------------------------- */

scrub_json_t *scrub_json_new(unsigned max_depth)
{
    scrub_json_t *j;

    j = calloc(1, sizeof(*j));
    if (j == NULL) {
        return NULL;
    }
    j->max_depth = max_depth == 0 ? JSON_DEFAULT_DEPTH : max_depth;
    scrub_buf_init(&j->path, 0);
    scrub_buf_init(&j->dec, 0);
    return j;
}

void scrub_json_destroy(scrub_json_t *j)
{
    if (j == NULL) {
        return;
    }
    free(j->stack);
    scrub_buf_free(&j->path);
    scrub_buf_free(&j->dec);
    free(j);
}

/* ---- scanning helpers ---------------------------------------------------- */

/*
 * First byte in [p, end) that is '"', '\\' or below 0x20; end if none. Strings in
 * logs are mostly short, so the exact position of a hit matters as much as the
 * bulk speed: SSE2 (always present on x86-64) tests 16 bytes and finds the hit
 * with one bit scan; elsewhere an 8-byte SWAR test narrows it down.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

static inline const uint8_t *scan_plain(const uint8_t *p, const uint8_t *end)
{
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);
    __m128i v;
    __m128i hit;
    unsigned mask;

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *)(const void *)p);
        hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                           _mm_cmpeq_epi8(_mm_subs_epu8(v, ctl), _mm_setzero_si128()));
        mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask != 0) {
            return p + __builtin_ctz(mask);
        }
        p += 16;
    }
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20) {
        p++;
    }
    return p;
}
#else
#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

/* Non-zero when some byte of v is zero (exact as a yes/no answer). */
static inline uint64_t swar_has_zero(uint64_t v)
{
    return (v - SWAR_ONES) & ~v & SWAR_HIGH;
}

static inline const uint8_t *scan_plain(const uint8_t *p, const uint8_t *end)
{
    uint64_t v;
    uint64_t hit;

    while (end - p >= 8) {
        memcpy(&v, p, 8);
        hit = swar_has_zero(v ^ (SWAR_ONES * '"'))
              | swar_has_zero(v ^ (SWAR_ONES * '\\'))
              | ((v - SWAR_ONES * 0x20) & ~v & SWAR_HIGH);
        if (hit != 0) {
            break;
        }
        p += 8;
    }
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20) {
        p++;
    }
    return p;
}
#endif

static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
    }
    return p;
}

static inline int hex_val(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c |= 0x20;
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Parse 4 hex digits at p. Returns the value, or -1 with *bad at the first
 * byte that is not a hex digit (end when truncated). */
static long hex4(const uint8_t *p, const uint8_t *end, const uint8_t **bad)
{
    long v = 0;
    int i;
    int h;

    for (i = 0; i < 4; i++) {
        if (p + i >= end) {
            *bad = end;
            return -1;
        }
        h = hex_val(p[i]);
        if (h < 0) {
            *bad = p + i;
            return -1;
        }
        v = (v << 4) | h;
    }
    return v;
}

/* Encode a code point (<= 0x10FFFF, not a surrogate) as UTF-8 into o; returns length. */
static size_t utf8_put(uint8_t *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- strings ------------------------------------------------------------- */

#if defined(__GNUC__)
#define JSON_COLD __attribute__((noinline, cold))
#else
#define JSON_COLD
#endif

/*
 * The slow half of json_string: p is the first byte after `start` that is not
 * plain (a backslash, a control character, or end). Kept out of line so that the
 * common, escape-free string costs a scan and a compare.
 */
static JSON_COLD int json_string_slow(scrub_json_t *j, const uint8_t *start, const uint8_t *p,
                                      const uint8_t **pp, const uint8_t *end,
                                      const uint8_t **dec, size_t *dec_len,
                                      const uint8_t **bad)
{
    const uint8_t *run;
    uint8_t u8[8];
    long cp;
    long lo;
    size_t k;
    int rc;

    scrub_buf_reset(&j->dec);
    run = start;
    for (;;) {
        rc = scrub_buf_append(&j->dec, run, (size_t)(p - run));
        if (rc != 0) {
            return rc;
        }
        if (p == end) {
            *bad = end;
            return SCRUB_EJSON;
        }
        if (*p == '"') {
            break;
        }
        if (*p < 0x20) {
            *bad = p;
            return SCRUB_EJSON;
        }
        /* A backslash. */
        p++;
        if (p == end) {
            *bad = end;
            return SCRUB_EJSON;
        }
        k = 1;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
            u8[0] = *p;
            break;
        case 'b':
            u8[0] = '\b';
            break;
        case 'f':
            u8[0] = '\f';
            break;
        case 'n':
            u8[0] = '\n';
            break;
        case 'r':
            u8[0] = '\r';
            break;
        case 't':
            u8[0] = '\t';
            break;
        case 'u':
            cp = hex4(p + 1, end, bad);
            if (cp < 0) {
                return SCRUB_EJSON;
            }
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* A high surrogate pairs only with an immediately following
                 * \uDC00-\uDFFF; otherwise it is lone and the next escape is
                 * decoded on its own. */
                lo = -1;
                if (end - p > 6 && p[1] == '\\' && p[2] == 'u') {
                    const uint8_t *ignore;

                    lo = hex4(p + 3, end, &ignore);
                }
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                else {
                    cp = 0xFFFD;
                }
            }
            else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            k = utf8_put(u8, (unsigned long)cp);
            break;
        default:
            *bad = p;
            return SCRUB_EJSON;
        }
        rc = scrub_buf_append(&j->dec, u8, k);
        if (rc != 0) {
            return rc;
        }
        p++;
        run = p;
        p = scan_plain(p, end);
    }
    *dec = j->dec.data != NULL ? j->dec.data : start;
    *dec_len = j->dec.len;
    *pp = p + 1;
    return 0;
}

/*
 * Parse the string whose opening quote is at *pp. On success *pp is one past the
 * closing quote and *dec / *dec_len hold the decoded text (in place when the
 * string has no escape, else in j->dec). On SCRUB_EJSON *bad is the offending
 * byte. May also return SCRUB_ENOMEM.
 */
static inline int json_string(scrub_json_t *j, const uint8_t **pp, const uint8_t *end,
                              const uint8_t **dec, size_t *dec_len, const uint8_t **bad)
{
    const uint8_t *start = *pp + 1;
    const uint8_t *p = scan_plain(start, end);

    if (p < end && *p == '"') {
        *dec = start;
        *dec_len = (size_t)(p - start);
        *pp = p + 1;
        return 0;
    }
    return json_string_slow(j, start, p, pp, end, dec, dec_len, bad);
}

/* ---- numbers and literals ------------------------------------------------ */

/* Validate the number at p (first byte is '-' or a digit). Returns one past it, or
 * NULL with *bad at the offending byte. */
static const uint8_t *json_number(const uint8_t *p, const uint8_t *end, const uint8_t **bad)
{
    if (*p == '-') {
        p++;
    }
    if (p < end && *p == '0') {
        p++;
    }
    else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    else {
        *bad = p;
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end || *p < '0' || *p > '9') {
            *bad = p;
            return NULL;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || *p < '0' || *p > '9') {
            *bad = p;
            return NULL;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }
    return p;
}

/* Match the literal lit (len bytes) at p. Returns one past it, or NULL with *bad. */
static const uint8_t *json_literal(const uint8_t *p, const uint8_t *end, const char *lit,
                                   size_t len, const uint8_t **bad)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (p + i == end || p[i] != (uint8_t)lit[i]) {
            *bad = p + i;
            return NULL;
        }
    }
    return p + len;
}

/* ---- the walk ------------------------------------------------------------ */

static int push(scrub_json_t *j, int is_obj)
{
    struct json_frame *f;
    unsigned ncap;

    if (j->depth >= j->max_depth) {
        return SCRUB_EDEPTH;
    }
    if (j->depth == j->stack_cap) {
        ncap = j->stack_cap == 0 ? 16 : j->stack_cap * 2;
        if (ncap > j->max_depth || ncap < j->stack_cap) {
            ncap = j->max_depth;
        }
        f = realloc(j->stack, (size_t)ncap * sizeof(*f));
        if (f == NULL) {
            return SCRUB_ENOMEM;
        }
        j->stack = f;
        j->stack_cap = ncap;
    }
    f = &j->stack[j->depth++];
    f->is_obj = (uint8_t)is_obj;
    f->base_comp = (uint8_t)j->has_comp;
    f->path_base = j->path.len;
    f->key_off = j->path.len;
    return 0;
}

static void pop(scrub_json_t *j)
{
    struct json_frame *f = &j->stack[--j->depth];

    j->path.len = f->path_base;
    j->has_comp = f->base_comp;
}

static inline const uint8_t *path_ptr(const scrub_json_t *j)
{
    return j->path.data != NULL ? j->path.data : (const uint8_t *)"";
}

/*
 * Parse the object key at *pp (after whitespace), extend the path, report it,
 * and consume the ':' and following whitespace.
 */
static int json_key(scrub_json_t *j, const uint8_t **pp, const uint8_t *end,
                    scrub_json_cb cb, void *ud, const uint8_t *in, const uint8_t **bad)
{
    struct json_frame *f = &j->stack[j->depth - 1];
    const uint8_t *p = *pp;
    const uint8_t *dec;
    size_t dec_len;
    scrub_json_tok_t tok;
    int rc;

    if (p == end || *p != '"') {
        *bad = p;
        return SCRUB_EJSON;
    }
    rc = json_string(j, &p, end, &dec, &dec_len, bad);
    if (rc != 0) {
        return rc;
    }
    /* Replace the previous key of this object by this one: '.' + key. */
    j->path.len = f->path_base;
    if (dec_len + 1 > j->path.cap - j->path.len) {
        rc = scrub_buf_reserve(&j->path, dec_len + 1);
        if (rc != 0) {
            return rc;
        }
    }
    if (f->base_comp) {
        j->path.data[j->path.len++] = '.';
    }
    f->key_off = j->path.len;
    if (dec_len != 0) {
        memcpy(j->path.data + j->path.len, dec, dec_len);
        j->path.len += dec_len;
    }
    j->has_comp = 1;
    if (cb != NULL) {
        tok.raw_start = (size_t)(*pp - in);
        tok.raw_end = (size_t)(p - in);
        tok.dec = path_ptr(j) + f->key_off;
        tok.dec_len = dec_len;
        tok.is_key = 1;
        tok.key = NULL;
        tok.key_len = 0;
        tok.path = path_ptr(j);
        tok.path_len = j->path.len;
        tok.depth = j->depth;
        rc = cb(ud, &tok);
        if (rc != 0) {
            return rc;
        }
    }
    p = skip_ws(p, end);
    if (p == end || *p != ':') {
        *bad = p;
        return SCRUB_EJSON;
    }
    *pp = skip_ws(p + 1, end);
    return 0;
}

/* Parse and report the string value at *pp. */
static int json_value_string(scrub_json_t *j, const uint8_t **pp, const uint8_t *end,
                             scrub_json_cb cb, void *ud, const uint8_t *in,
                             const uint8_t **bad)
{
    const uint8_t *p = *pp;
    scrub_json_tok_t tok;
    const struct json_frame *f;
    int rc;

    rc = json_string(j, &p, end, &tok.dec, &tok.dec_len, bad);
    if (rc != 0) {
        return rc;
    }
    if (cb != NULL) {
        tok.raw_start = (size_t)(*pp - in);
        tok.raw_end = (size_t)(p - in);
        tok.is_key = 0;
        tok.key = NULL;
        tok.key_len = 0;
        if (j->depth > 0) {
            f = &j->stack[j->depth - 1];
            if (f->is_obj) {
                tok.key = path_ptr(j) + f->key_off;
                tok.key_len = j->path.len - f->key_off;
            }
        }
        tok.path = path_ptr(j);
        tok.path_len = j->path.len;
        tok.depth = j->depth;
        rc = cb(ud, &tok);
        if (rc != 0) {
            return rc;
        }
    }
    *pp = p;
    return 0;
}

int scrub_json_walk(scrub_json_t *j, const uint8_t *in, size_t n, scrub_json_cb cb,
                    void *ud, size_t *err_off)
{
    const uint8_t *end = in + n;
    const uint8_t *p = in;
    const uint8_t *bad = in;
    const uint8_t *q;
    struct json_frame *f;
    int rc;

    j->depth = 0;
    j->has_comp = 0;
    scrub_buf_reset(&j->path);

    for (;;) {
        /* Expect a value at p (whitespace allowed). */
        p = skip_ws(p, end);
        if (p == end) {
            bad = p;
            rc = SCRUB_EJSON;
            goto fail;
        }
        switch (*p) {
        case '"':
            rc = json_value_string(j, &p, end, cb, ud, in, &bad);
            if (rc != 0) {
                goto fail;
            }
            break;
        case '{':
            rc = push(j, 1);
            if (rc != 0) {
                bad = p;
                goto fail;
            }
            p = skip_ws(p + 1, end);
            if (p < end && *p == '}') {
                p++;
                pop(j);
                break;
            }
            rc = json_key(j, &p, end, cb, ud, in, &bad);
            if (rc != 0) {
                goto fail;
            }
            continue;
        case '[':
            rc = push(j, 0);
            if (rc != 0) {
                bad = p;
                goto fail;
            }
            p = skip_ws(p + 1, end);
            if (p < end && *p == ']') {
                p++;
                pop(j);
                break;
            }
            continue;
        case 't':
            q = json_literal(p, end, "true", 4, &bad);
            goto scalar;
        case 'f':
            q = json_literal(p, end, "false", 5, &bad);
            goto scalar;
        case 'n':
            q = json_literal(p, end, "null", 4, &bad);
            goto scalar;
        default:
            if (*p == '-' || (*p >= '0' && *p <= '9')) {
                q = json_number(p, end, &bad);
                goto scalar;
            }
            bad = p;
            rc = SCRUB_EJSON;
            goto fail;
        scalar:
            if (q == NULL) {
                rc = SCRUB_EJSON;
                goto fail;
            }
            p = q;
            break;
        }

        /* After a value: close containers until a ',' asks for the next value. */
        for (;;) {
            p = skip_ws(p, end);
            if (j->depth == 0) {
                if (p != end) {
                    bad = p;
                    rc = SCRUB_EJSON;
                    goto fail;
                }
                return 0;
            }
            if (p == end) {
                bad = p;
                rc = SCRUB_EJSON;
                goto fail;
            }
            f = &j->stack[j->depth - 1];
            if (*p == ',') {
                p = skip_ws(p + 1, end);
                if (f->is_obj) {
                    rc = json_key(j, &p, end, cb, ud, in, &bad);
                    if (rc != 0) {
                        goto fail;
                    }
                }
                break;
            }
            if (*p == (f->is_obj ? '}' : ']')) {
                p++;
                pop(j);
                continue;
            }
            bad = p;
            rc = SCRUB_EJSON;
            goto fail;
        }
    }

fail:
    if (err_off != NULL && (rc == SCRUB_EJSON || rc == SCRUB_EDEPTH)) {
        *err_off = (size_t)(bad - in);
    }
    return rc;
}

/* ---- escaping ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence starting at s[0] (>= 0x80), or 0 if invalid. */
static size_t utf8_valid_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    uint8_t lo = 0x80;
    uint8_t hi = 0xBF;
    size_t len;
    size_t i;

    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) {
            lo = 0xA0;
        }
        else if (c == 0xED) {
            hi = 0x9F;
        }
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) {
            lo = 0x90;
        }
        else if (c == 0xF4) {
            hi = 0x8F;
        }
    }
    else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

int scrub_json_escape(scrub_buf_t *out, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    static const uint8_t repl[3] = {0xEF, 0xBF, 0xBD};
    size_t old_len = out->len;
    size_t i = 0;
    size_t run;
    size_t k;
    uint8_t e[6];
    const uint8_t *ep;
    size_t elen;
    uint8_t c;
    int rc;

    while (i < n) {
        run = i;
        while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') {
            i++;
        }
        rc = scrub_buf_append(out, s + run, i - run);
        if (rc != 0) {
            goto fail;
        }
        if (i == n) {
            break;
        }
        c = s[i];
        ep = e;
        elen = 2;
        e[0] = '\\';
        if (c >= 0x80) {
            k = utf8_valid_len(s + i, n - i);
            if (k == 0) {
                ep = repl;
                elen = 3;
                k = 1;
            }
            else if (k == 3 && c == 0xE2 && s[i + 1] == 0x80
                     && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
                memcpy(e, "\\u202", 5);
                e[5] = s[i + 2] == 0xA8 ? '8' : '9';
                elen = 6;
            }
            else {
                ep = s + i;
                elen = k;
            }
            i += k;
        }
        else {
            switch (c) {
            case '"':
            case '\\':
                e[1] = c;
                break;
            case '\b':
                e[1] = 'b';
                break;
            case '\f':
                e[1] = 'f';
                break;
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
                memcpy(e, "\\u00", 4);
                e[4] = (uint8_t)hex[c >> 4];
                e[5] = (uint8_t)hex[c & 0xF];
                elen = 6;
                break;
            }
            i++;
        }
        rc = scrub_buf_append(out, ep, elen);
        if (rc != 0) {
            goto fail;
        }
    }
    return 0;

fail:
    out->len = old_len;
    return rc;
}

/* ---- format sniffing ----------------------------------------------------- */

int scrub_json_looks_like(const uint8_t *in, size_t n)
{
    const uint8_t *p = skip_ws(in, in + n);

    return p < in + n && (*p == '{' || *p == '[');
}
