/* scrub_rewrite: findings -> output bytes (redact, mask, hash, defang). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_rewrite.h"
#include "scrub_sha256.h"

#include <string.h>

/* Expand a template: {id}, {hash}, {len}, {severity}; other text is copied. */
static int expand(const scrub_ruleset_t *rs, const scrub_rule_t *r, const char *tpl,
                  const uint8_t *s, size_t n, scrub_buf_t *out)
{
    const char *p = tpl;
    int rc = 0;

    while (*p != '\0' && rc == 0) {
        if (*p == '{') {
            if (strncmp(p, "{id}", 4) == 0) {
                rc = scrub_buf_puts(out, scrub_rule_id(r));
                p += 4;
                continue;
            }
            if (strncmp(p, "{hash}", 6) == 0) {
                char hex[65];
                scrub_ruleset_fingerprint(rs, s, n, hex, rs->cfg->hash_length);
                rc = scrub_buf_puts(out, hex);
                p += 6;
                continue;
            }
            if (strncmp(p, "{len}", 5) == 0) {
                rc = scrub_buf_printf(out, "%zu", n);
                p += 5;
                continue;
            }
            if (strncmp(p, "{severity}", 10) == 0) {
                rc = scrub_buf_puts(out, r->severity);
                p += 10;
                continue;
            }
        }
        rc = scrub_buf_putc(out, (uint8_t)*p++);
    }
    return rc;
}

/* Number of UTF-8 characters in s (invalid bytes count as one each). */
static size_t utf8_chars(const uint8_t *s, size_t n)
{
    size_t i, c = 0;

    for (i = 0; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            c++;
        }
    }
    return c;
}

/* Byte offset of character number k (k <= chars). */
static size_t utf8_offset(const uint8_t *s, size_t n, size_t k)
{
    size_t i, c = 0;

    for (i = 0; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            if (c == k) {
                return i;
            }
            c++;
        }
    }
    return n;
}

/* Keep keep_start and keep_end characters, one mask char per hidden character.
 * A secret too short to hide anything is masked whole. */
static int mask(const scrub_rule_t *r, const uint8_t *s, size_t n, scrub_buf_t *out)
{
    size_t chars = utf8_chars(s, n);
    size_t ks = r->mask.keep_start, ke = r->mask.keep_end, i;
    size_t a, b;
    int rc;

    if (ks + ke >= chars || chars - ks - ke < 4) {
        ks = 0;
        ke = 0;
    }
    a = utf8_offset(s, n, ks);
    b = utf8_offset(s, n, chars - ke);
    rc = scrub_buf_append(out, s, a);
    for (i = ks; rc == 0 && i < chars - ke; i++) {
        rc = scrub_buf_putc(out, (uint8_t)r->mask.ch);
    }
    if (rc == 0) {
        rc = scrub_buf_append(out, s + b, n - b);
    }
    return rc;
}

/* Make lookups inert: a space goes between every "$" (or %24, \u0024) and the
 * "{" (or %7b, \u007b) that follows it, so neither log4j nor a shell evaluates it. */
static int defang(const uint8_t *s, size_t n, scrub_buf_t *out)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        rc = scrub_buf_putc(out, s[i]);
        if (rc != 0) {
            break;
        }
        if (i + 1 < n && (s[i + 1] == '{' ||
                          (i + 3 < n && s[i + 1] == '%' && s[i + 2] == '7' &&
                           (s[i + 3] == 'b' || s[i + 3] == 'B')))) {
            int dollar = s[i] == '$' ||
                         (i >= 2 && s[i - 2] == '%' && s[i - 1] == '2' && s[i] == '4');
            if (dollar) {
                rc = scrub_buf_putc(out, ' ');
            }
        }
    }
    return rc;
}

int scrub_rewrite_span(const scrub_ruleset_t *rs, const scrub_rule_t *r, const uint8_t *s,
                       size_t n, scrub_buf_t *out)
{
    switch (r->action) {
    case SCRUB_ACT_MASK:
        return mask(r, s, n, out);
    case SCRUB_ACT_HASH:
        return expand(rs, r, r->replacement ? r->replacement : rs->hash_replacement, s, n, out);
    case SCRUB_ACT_DEFANG:
        return defang(s, n, out);
    case SCRUB_ACT_TAG:
    case SCRUB_ACT_NONE:
        return scrub_buf_append(out, s, n);
    default:
        return expand(rs, r, r->replacement ? r->replacement : rs->def_replacement, s, n, out);
    }
}

int scrub_rewrite_raw(const scrub_ruleset_t *rs, const scrub_finding_t *f, size_t nf,
                      const uint8_t *rec, size_t len, scrub_buf_t *out)
{
    size_t pos = 0, i = 0;
    int rc;

    while (i < nf) {
        size_t start, end;
        const scrub_finding_t *win;
        if (f[i].action == SCRUB_ACT_TAG || f[i].action == SCRUB_ACT_NONE) {
            i++;
            continue;
        }
        /* Merge every rewriting finding that overlaps [start, end). */
        start = f[i].start;
        end = f[i].end;
        win = &f[i];
        for (i++; i < nf && f[i].start < end; i++) {
            if (f[i].action == SCRUB_ACT_TAG || f[i].action == SCRUB_ACT_NONE) {
                continue;
            }
            if (f[i].end > end) {
                end = f[i].end;
            }
            if (f[i].action > win->action) {
                win = &f[i];
            }
        }
        if (start < pos) {
            start = pos; /* cannot happen with sorted, merged spans; kept for safety */
        }
        rc = scrub_buf_append(out, rec + pos, start - pos);
        if (rc == 0) {
            rc = scrub_rewrite_span(rs, &rs->rules[win->rule], rec + start, end - start, out);
        }
        if (rc != 0) {
            return rc;
        }
        pos = end;
    }
    return scrub_buf_append(out, rec + pos, len - pos);
}
