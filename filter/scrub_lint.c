/* scrub_lint: find rules that can backtrack catastrophically, by trying generated inputs. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_ruleset_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * For every regex rule, a handful of hostile subjects (about 4 KB each) are
 * built from its keywords and its first match example: long runs of one
 * character class, alternating classes, repeated separators, a tail that
 * almost matches. Each is matched once with a small match limit; a rule that
 * hits the limit is reported. It is a heuristic (a warning, not an error):
 * it catches nested quantifiers and long lazy gaps, the shapes that made
 * gitleaks' kubernetes rule take minutes on one line.
 */

#define LINT_LEN 4096
#define LINT_MATCH_LIMIT 2000000

static const char *const fills[] = {"a", "A1", " ", "-a", "=", "%41", "a.", "\\n", "/", "0", NULL};

/* decoy + prefix + fill repeated up to LINT_LEN + a closing byte that does not
 * match much. The decoy holds every character of the pattern's source, so
 * PCRE2's "required character" shortcut cannot reject the subject at once and
 * the backtracking, if any, really happens. */
static size_t build(uint8_t *buf, const char *decoy, const char *prefix, size_t plen,
                    const char *fill, char close)
{
    size_t n = strlen(decoy), fl = strlen(fill);

    memcpy(buf, decoy, n);
    if (plen > 256) {
        plen = 256;
    }
    memcpy(buf + n, prefix, plen);
    n += plen;
    while (n + fl < LINT_LEN - 1) {
        memcpy(buf + n, fill, fl);
        n += fl;
    }
    buf[n++] = (uint8_t)close;
    return n;
}

/* 1 when the rule's regex hits the limit on any generated subject. */
static int rule_backtracks(const scrub_rule_t *r, pcre2_match_data *md, pcre2_match_context *mc,
                           uint8_t *buf)
{
    size_t k, f, i, nd = 0;
    const char *ex = r->spec->ex_match.n > 0 ? r->spec->ex_match.v[0].s : "";
    const char *src = r->spec->regex.s;
    char decoy[130];
    int seen[256] = {0};

    for (i = 0; src[i] != '\0' && nd < 127; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch > 0x20 && ch < 0x7f && !seen[ch]) {
            seen[ch] = 1;
            decoy[nd++] = (char)ch;
        }
    }
    decoy[nd++] = ' ';
    decoy[nd] = '\0';

    for (k = 0; k <= r->nkeywords; k++) {
        const char *pre = k < r->nkeywords ? r->keywords[k] : ex;
        for (f = 0; fills[f] != NULL; f++) {
            int d;
            /* with the decoy (beats the required-character shortcut) and without
             * (anchored patterns only backtrack from the subject's start) */
            for (d = 0; d < 2; d++) {
                size_t n = build(buf, d ? decoy : "", pre, strlen(pre), fills[f], '\x01');
                int rc = pcre2_match(r->re, buf, n, 0, 0, md, mc);
                if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
                    return 1;
                }
            }
        }
        if (k == r->nkeywords) {
            break;
        }
    }
    return 0;
}

int scrub_ruleset_lint(const scrub_ruleset_t *rs, void (*warn)(void *ctx, const char *msg),
                       void *ctx)
{
    pcre2_match_data *md = pcre2_match_data_create(rs->max_ovector, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    uint8_t *buf = malloc(LINT_LEN + 512);
    size_t i;
    int n = 0;

    if (md == NULL || mc == NULL || buf == NULL) {
        pcre2_match_data_free(md);
        pcre2_match_context_free(mc);
        free(buf);
        return SCRUB_ENOMEM;
    }
    pcre2_set_match_limit(mc, LINT_MATCH_LIMIT);
    pcre2_set_depth_limit(mc, LINT_MATCH_LIMIT);
    for (i = 0; i < rs->ntext; i++) {
        const scrub_rule_t *r = &rs->rules[i];
        char msg[512];
        if (r->re == NULL || !rule_backtracks(r, md, mc, buf)) {
            continue;
        }
        snprintf(msg, sizeof(msg), "%s: rule '%s': the regex hit a match limit of %d on a "
                 "generated %d-byte input: it may backtrack catastrophically (records that "
                 "trigger it fail closed)", r->spec->regex.where, r->spec->id, LINT_MATCH_LIMIT,
                 LINT_LEN);
        if (warn != NULL) {
            warn(ctx, msg);
        }
        n++;
    }
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    free(buf);
    return n;
}
