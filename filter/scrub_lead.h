/* scrub_lead: how far a rule's matches start before one of its keywords. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_LEAD_H
#define SCRUB_LEAD_H

#include <stddef.h>

/*
 * Read the leading part of PCRE2 pattern `pat` (compiled with PCRE2_UTF when
 * utf is set, no other options) and find K >= 0 and L >= 0 such that every
 * match of it spells one of the keywords kw[0, nkw) (folded to lower case,
 * matched ASCII case-insensitively, as the prefilter does) starting between
 * L bytes before the match start (a keyword partly in a lookbehind) and K
 * bytes after it. Then, in a text whose keyword occurrences start at h1, ...,
 * hm, every match starts in one of the windows [hi - K, hi + L]: the scan
 * need not try other starts. Returns K and sets *lag to L; returns -1 (and
 * sets *lag to 0) when the pattern does not show this within the bounds of
 * this reader (alternatives, elements, constructs it does not know): the rule
 * is then matched over the whole text.
 *
 * Case-insensitive letters are read as their two ASCII cases; the
 * non-ASCII case variants PCRE2 also accepts in UTF mode (U+017F for s,
 * U+212A for k) do not spell a keyword here, as they do not for the
 * prefilter.
 */
long scrub_lead(const char *pat, int utf, const char *const *kw, size_t nkw, long *lag);

/*
 * When the same reading shows a match that can begin with a name holding
 * none of the keywords (a keyword gap: the prefilter then skips records that
 * hold only that spelling, unless a keyword follows later in the match),
 * write that beginning to buf (folded; '?' for a byte that spells no
 * keyword) and return 1; else 0. For --check and load warnings.
 */
int scrub_lead_gap(const char *pat, int utf, const char *const *kw, size_t nkw, char *buf,
                   size_t cap);

#endif
