/* test_lead: unit and property tests for scrub_lead (match starts vs keywords). */
/* SPDX-License-Identifier: Apache-2.0 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "scrub_lead.h"
#include "ut.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct lead_case {
    const char *pat;
    const char *kw;   /* comma-separated, folded */
    long want;        /* lead */
    long lag;
} lead_case_t;

/* Split "a,b,c" into v (pointers into buf). */
static size_t split_kw(const char *s, char *buf, size_t cap, const char **v, size_t vcap)
{
    size_t n = 0;
    char *p = buf;

    snprintf(buf, cap, "%s", s);
    while (n < vcap) {
        char *comma = strchr(p, ',');
        v[n++] = p;
        if (comma == NULL) {
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static long lead_of(const char *pat, const char *kws, long *lag)
{
    char buf[512];
    const char *v[32];
    size_t n = split_kw(kws, buf, sizeof(buf), v, 32);

    return scrub_lead(pat, 1, v, n, lag);
}

static const lead_case_t CASES[] = {
    /* the keyword is where the match starts */
    {"secret=\\S+", "secret", 0, 0},
    {"(?i:secret)=\\S+", "secret", 0, 0},
    {"(?i)SeCrEt=\\S+", "secret", 0, 0},
    {"\\bsecret\\s*=", "secret", 0, 0},
    {"(?<![A-Za-z])secret=", "secret", 0, 0},
    {"(?:(?<![A-Za-z0-9_])|(?<=%[0-9A-Fa-f]{2}))(ghp_[A-Za-z0-9]{36})", "ghp_", 0, 0},
    /* before the keyword: a bounded prefix */
    {"proxy-authorization|authorization", "authorization", 6, 0},
    {"[a-z][a-z0-9+.-]{1,30}://", "://", 31, 0},
    {"x?y?secret", "secret", 2, 0},
    {"(?:ab|abcd)token", "token", 4, 0},
    {"[0-9a-f]{32}-us[0-9]{1,2}", "-us0,-us1,-us2,-us3,-us4,-us5,-us6,-us7,-us8,-us9", 32, 0},
    /* small classes and optional parts spell keywords one way each */
    {"api[_.-]?key=", "api_key,api.key,api-key,apikey", 0, 0},
    {"(?i:id[_-]?token)", "id_token,id-token,idtoken", 0, 0},
    {"\\Qa.b\\E=", "a.b", 0, 0},
    {"\\x41\\x{42}C", "abc", 0, 0},
    /* every alternative needs a keyword */
    {"secret|password", "secret,password", 0, 0},
    {"auth(?:orization|[_-]?header)", "authorization,auth_header,auth-header", -1, 0},
    {"auth(?:orization|[_-]?header)", "authorization,auth_header,auth-header,authheader", 0, 0},
    {"api[_.-]?key=", "api_key,apikey", -1, 0},
    /* keywords that need not be there, or not within a bound */
    {"(?:secret)?=\\S+", "secret", -1, 0},
    {"\\w+secret", "secret", -1, 0},
    {".*secret", "secret", -1, 0},
    {"(?=.*secret)token", "secret", -1, 0},
    {"(?<!secret)=\\S+", "secret", -1, 0},
    /* a keyword partly or wholly in a lookbehind: it starts before the match */
    {"(?<=secret)=\\S+", "secret", 0, 6},
    {"pass(?:word|(?<=[_.-]pass))=", "password,_pass,.pass,-pass", 0, 1},
    {"pass(?:word|(?<=[_.]pass))=", "password,_pass", -1, 0},
    {"(?<=auth[_.-]|api[_.-])token", "auth_token,auth.token,auth-token,api_token,api.token,api-token", 0, 5},
    {"(?<=%[0-9A-F]{2})secret", "secret", 0, 0},
    {"x(?<=yx)secret", "secret", 1, 0},
    /* a keyword done inside a lookbehind: its whole length still places it
     * (found by fuzz_lead: the rest of the body was skipped, lag 1) */
    {"(?<=auth[_.-])token", "a", 0, 5},
    /* bytes no keyword holds are gaps: no alternatives for them */
    {"(?:(?<![a-z])|(?<=%[0-9A-F]{2})|(?<=\\\\[nrt]))xox[pe](?:-[0-9]{10,13}){3}-", "xoxp-,xoxe-", 0, 0},
    {"[s]ecret", "secret", 0, 0},
    {"[sz]ecret", "secret", -1, 0},
    /* constructs the reader does not take */
    {"\\Gsecret", "secret", -1, 0},
    {"x\\Ksecret", "secret", -1, 0},
    {"(a)\\1secret", "secret", -1, 0},
    {"(?x) secret", "secret", -1, 0},
    {"(*UTF)secret", "secret", -1, 0},
    {"(?(?=a)secret|token)", "secret,token", -1, 0},
    {"secret", "", -1, 0},
    /* after the keyword nothing is read, but the rest is stepped over as
     * PCRE2 parses it (found by fuzz_lead: "[:" with no ":]" before the ']'
     * is a plain member, so the empty alternatives after it count) */
    {"secret(?(?=a)x|y)", "secret", 0, 0},
    {"secret[s[:=|]|", "secret", -1, 0},
    {"secret[[:alpha:]]|x", "secret", -1, 0},
    {"secret(?#(x)|a", "secret", -1, 0},
    {"secret[\\Q]|\\E]y", "secret", 0, 0},
    {"secret(?x) # ( )", "secret", -1, 0},
    {"token[^\\n]{0,80}?(?<![0-9])([0-9]{6})", "token", 0, 0},
    /* non-ASCII text before a keyword: UTF-8 characters of 1 to 4 bytes */
    {"\xc3\xa9secret", "secret", 2, 0},
    {"[^a]secret", "secret", 4, 0},
    {".secret", "secret", 4, 0},
};

UT_TEST(lead_cases)
{
    size_t i;

    for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        long lag = -1, got = lead_of(CASES[i].pat, CASES[i].kw, &lag);
        if (got != CASES[i].want || lag != CASES[i].lag) {
            fprintf(stderr, "  case %zu: %s [%s]: got %ld/%ld want %ld/%ld\n", i, CASES[i].pat,
                    CASES[i].kw, got, lag, CASES[i].want, CASES[i].lag);
        }
        UT_CHECK_INT(got, CASES[i].want);
        UT_CHECK_INT(lag, CASES[i].lag);
    }
}

UT_TEST(lead_non_utf_bytes)
{
    const char *kw[] = {"secret"};
    long lag;

    /* without UTF, [^a] and . are one byte */
    UT_CHECK_INT(scrub_lead("[^a]secret", 0, kw, 1, &lag), 1);
    UT_CHECK_INT(scrub_lead(".secret", 0, kw, 1, &lag), 1);
    UT_CHECK_INT(scrub_lead("\xc3\xa9secret", 0, kw, 1, &lag), 2);
    UT_CHECK_INT(lag, 0);
}

static uint64_t rnd(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

/* 1 when a folded keyword of kw starts at s[at]. */
static int kw_starts(const char *s, size_t n, size_t at, const char *const *kw, size_t nkw)
{
    size_t k, j;

    for (k = 0; k < nkw; k++) {
        size_t m = strlen(kw[k]);
        for (j = 0; j < m && at + j < n; j++) {
            char c = s[at + j];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != kw[k][j]) {
                break;
            }
        }
        if (j == m) {
            return 1;
        }
    }
    return 0;
}

/*
 * Property: for every pattern above with a lead K >= 0, every match that
 * PCRE2 finds in random texts made of keyword pieces, the pattern's own
 * characters and noise has a keyword starting within K bytes of its start.
 */
UT_TEST(lead_property_random_texts)
{
    static const char *const pieces[] = {
        "secret", "SECRET", "token", "password", "authorization", "proxy-", "auth_header",
        "api", "_", ".", "-", "key", "=", ":", "//", "://", "https", "x", "y", "ab", "abcd",
        "-us", "7", "0123456789abcdef", "\xc3\xa9", " ", "id", "ghp_", "%2F", "\"", "A", "B",
        "C", "a.b", "\n", "pass", "word", "_pass", "auth.", "api-", "yx", "%2F", "%41",
    };
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    size_t i, checked = 0;

    UT_CHECK(md != NULL);
    for (i = 0; md != NULL && i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char buf[512];
        const char *kw[32];
        size_t nkw = split_kw(CASES[i].kw, buf, sizeof(buf), kw, 32);
        long lead = CASES[i].want, lag = CASES[i].lag;
        int err, round;
        PCRE2_SIZE eo;
        pcre2_code *re;
        if (lead < 0) {
            continue;
        }
        re = pcre2_compile((PCRE2_SPTR)CASES[i].pat, PCRE2_ZERO_TERMINATED,
                           PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &eo, NULL);
        UT_CHECK(re != NULL);
        for (round = 0; re != NULL && round < 400; round++) {
            char text[400];
            size_t n = 0, off = 0;
            while (n < 300) {
                const char *p = pieces[rnd(&st) % (sizeof(pieces) / sizeof(pieces[0]))];
                memcpy(text + n, p, strlen(p));
                n += strlen(p);
            }
            while (off <= n && pcre2_match(re, (PCRE2_SPTR)text, n, off, 0, md, NULL) >= 0) {
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                size_t s = ov[0], d, ok = 0;
                for (d = 0; d <= (size_t)(lead + lag) && !ok; d++) {
                    ok = s + d >= (size_t)lag && kw_starts(text, n, s + d - lag, kw, nkw);
                }
                if (!ok) {
                    fprintf(stderr, "  %s: match at %zu has no keyword from -%ld to %ld\n",
                            CASES[i].pat, s, lag, lead);
                }
                UT_CHECK(ok);
                checked++;
                off = ov[1] > s ? ov[1] : s + 1;
                while (off < n && ((unsigned char)text[off] & 0xc0) == 0x80) {
                    off++;
                }
            }
        }
        pcre2_code_free(re);
    }
    pcre2_match_data_free(md);
    UT_CHECK(checked > 1000);
}

typedef struct gap_case {
    const char *pat;
    const char *kw;
    const char *want;   /* the spelling reported, or NULL for none */
} gap_case_t;

/* scrub_lead_gap reports a beginning only when it is sure no keyword can be
 * spelled there: not for keywords that a left-out part could complete. */
UT_TEST(lead_gap_reports)
{
    static const gap_case_t cases[] = {
        {"auth(?:orization|[_-]?header)=", "authorization,auth_header,auth-header", "authheader"},
        {"api[_.-]?key=", "api_key,apikey", "api?key"},
        {"(?<=auth[_.]|api_)token", "auth_token,api_token", "auth?token"},
        {"secret|password", "secret,password", NULL},
        {"(?:ab|abcd)token", "token", NULL},
        {"EAA[B-Z][a-z0-9]{20}", "eaab,eaac,eaad,eaae,eaaf,eaag,eaah,eaai,eaaj,eaak,eaal,eaam,eaan,"
                                 "eaao,eaap,eaaq,eaar,eaas,eaat,eaau,eaav,eaaw,eaax,eaay,eaaz", NULL},
        {"(?:facebook|fb)[\\w.-]{0,20}secret=", "facebook,fb_", NULL},
        {"(?=.*secret)x", "secret", NULL},
        {"\\Gsecret", "secret", NULL},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[512], gap[64];
        const char *v[32];
        size_t n = split_kw(cases[i].kw, buf, sizeof(buf), v, 32);
        int got = scrub_lead_gap(cases[i].pat, 1, v, n, gap, sizeof(gap));
        if (got != (cases[i].want != NULL) || (got && strcmp(gap, cases[i].want) != 0)) {
            fprintf(stderr, "  gap case %zu: %s: got %d '%s'\n", i, cases[i].pat, got, gap);
        }
        UT_CHECK_INT(got, cases[i].want != NULL);
        if (got && cases[i].want != NULL) {
            UT_CHECK(strcmp(gap, cases[i].want) == 0);
        }
    }
}
