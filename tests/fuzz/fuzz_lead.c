/* fuzz_lead: libFuzzer target for scrub_lead, checking that its bound holds for real matches. */
/* SPDX-License-Identifier: Apache-2.0 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "scrub_lead.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KW 16

/* 1 when one of kw starts at s[at] (ASCII case-insensitively, as the prefilter). */
static int kw_at(const uint8_t *s, size_t n, size_t at, char kw[][64], size_t nkw)
{
    size_t k, j;

    for (k = 0; k < nkw; k++) {
        for (j = 0; kw[k][j] != '\0' && at + j < n; j++) {
            uint8_t c = s[at + j];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)kw[k][j]) {
                break;
            }
        }
        if (kw[k][j] == '\0') {
            return 1;
        }
    }
    return 0;
}

/*
 * Input: a flags byte (bit 0: UTF mode), then the pattern up to the first
 * newline, the comma-separated keywords (folded here) up to the second, and
 * the subject. When scrub_lead gives a lead K and lag L, every match PCRE2
 * finds in the subject (global iteration) must have a keyword starting in
 * [start - L, start + K]; else abort. Subjects holding U+017F or U+212A are
 * skipped: in UTF mode PCRE2 folds them to s and k, the prefilter does not
 * (scrub_lead.h).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char pat[512], kwbuf[256], kw[MAX_KW][64];
    const char *kwp[MAX_KW];
    const uint8_t *subj, *nl1, *nl2;
    size_t plen, klen, n, nkw = 0, off = 0, i;
    int utf, err, rounds = 0;
    long lead, lag;
    PCRE2_SIZE eo;
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mc;

    if (size < 2) {
        return 0;
    }
    utf = data[0] & 1;
    nl1 = memchr(data + 1, '\n', size - 1);
    nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - data)) : NULL;
    if (nl2 == NULL) {
        return 0;
    }
    plen = (size_t)(nl1 - (data + 1));
    klen = (size_t)(nl2 - (nl1 + 1));
    if (plen == 0 || plen >= sizeof(pat) || klen >= sizeof(kwbuf) ||
        memchr(data + 1, '\0', plen) != NULL) {
        return 0;
    }
    memcpy(pat, data + 1, plen);
    pat[plen] = '\0';
    memcpy(kwbuf, nl1 + 1, klen);
    kwbuf[klen] = '\0';
    for (char *sv = NULL, *t = strtok_r(kwbuf, ",", &sv); t != NULL && nkw < MAX_KW;
         t = strtok_r(NULL, ",", &sv)) {
        size_t m = strlen(t);
        if (m == 0 || m >= sizeof(kw[0])) {
            continue;
        }
        for (i = 0; i <= m; i++) {
            kw[nkw][i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
        }
        kwp[nkw] = kw[nkw];
        nkw++;
    }
    subj = nl2 + 1;
    n = size - (size_t)(subj - data);
    if (nkw == 0) {
        return 0;
    }
    for (i = 0; i + 1 < n; i++) {
        if ((subj[i] == 0xc5 && subj[i + 1] == 0xbf) ||
            (i + 2 < n && subj[i] == 0xe2 && subj[i + 1] == 0x84 && subj[i + 2] == 0xaa)) {
            return 0;
        }
    }
    re = pcre2_compile((PCRE2_SPTR)pat, plen, utf ? (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF) : 0,
                       &err, &eo, NULL);
    if (re == NULL) {
        return 0;
    }
    lead = scrub_lead(pat, utf, kwp, nkw, &lag);
    md = pcre2_match_data_create_from_pattern(re, NULL);
    mc = pcre2_match_context_create(NULL);
    if (lead >= 0 && md != NULL && mc != NULL) {
        pcre2_set_match_limit(mc, 100000);
        pcre2_set_depth_limit(mc, 1000);
        while (off <= n && rounds++ < 256 &&
               pcre2_match(re, subj, n, off, 0, md, mc) >= 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t s = ov[0], d;
            int ok = 0;
            if (ov[0] > ov[1]) {
                break; /* \K moved the start past the end: not a case the bound speaks of */
            }
            for (d = 0; d <= (size_t)(lead + lag) && !ok; d++) {
                ok = s + d >= (size_t)lag && kw_at(subj, n, s + d - (size_t)lag, kw, nkw);
            }
            if (!ok) {
                abort();
            }
            off = ov[1] > s ? ov[1] : s + 1;
            while (utf && off < n && (subj[off] & 0xc0) == 0x80) {
                off++;
            }
        }
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return 0;
}
