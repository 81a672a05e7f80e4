/* scrub_ruleset: compile a parsed config into an immutable, shareable rule set. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_ruleset_int.h"
#include "scrub_l4j.h"
#include "scrub_lead.h"
#include "scrub_sha256.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <yaml.h>

/* ---- small helpers ------------------------------------------------------- */

static void warnf(const scrub_load_opts_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warnf(const scrub_load_opts_t *o, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (o == NULL || o->warn == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    o->warn(o->warn_ctx, msg);
}

#define UTF_OPTS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)

/* Compile one pattern (not yet JIT-compiled: see jit_all); on error write
 * "where: rule 'id': <what>: PCRE2 message at offset N". */
static pcre2_code *compile_pattern(const char *pat, uint32_t opts, const char *where,
                                   const char *id, const char *what, char *errstr,
                                   size_t errstr_size)
{
    PCRE2_SIZE erroff;
    int errcode;
    pcre2_code *re;

    re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff, NULL);
    if (re == NULL) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(errcode, buf, sizeof(buf));
        if (id != NULL) {
            snprintf(errstr, errstr_size, "%s: rule '%s': %s: %s at offset %zu", where, id,
                     what, (const char *)buf, (size_t)erroff);
        }
        else {
            snprintf(errstr, errstr_size, "%s: %s: %s at offset %zu", where, what,
                     (const char *)buf, (size_t)erroff);
        }
        return NULL;
    }
    return re;
}

/*
 * Allow lists are checked for every finding, and one pcre2_match call costs
 * more than most allow patterns do, so a list is matched as at most two
 * patterns: the alternation of its anchored members and that of the others
 * (PCRE2 tries an anchored alternation at the start only). "Any member
 * matches" is what an alternation of non-capturing groups answers, provided
 * no member depends on group numbers or on verbs and comments that reach past
 * its own group; such a member stays on its own.
 */
static int mergeable(const char *pat, const pcre2_code *re)
{
    static const char *const bad[] = {"(*", "#", "\\g", "\\k", "(?R", "(?&", "(?P", "(?+",
                                      "(?(", NULL};
    uint32_t backref = 1;
    size_t i;

    if (pcre2_pattern_info(re, PCRE2_INFO_BACKREFMAX, &backref) != 0 || backref != 0 ||
        strchr(pat, '\n') != NULL) {
        return 0;
    }
    for (i = 0; bad[i] != NULL; i++) {
        if (strstr(pat, bad[i]) != NULL) {
            return 0;
        }
    }
    for (i = 0; pat[i] != '\0'; i++) {
        /* subroutine calls by number: (?1), (?-1) */
        if (pat[i] == '(' && pat[i + 1] == '?' &&
            ((pat[i + 2] >= '0' && pat[i + 2] <= '9') ||
             (pat[i + 2] == '-' && pat[i + 3] >= '0' && pat[i + 3] <= '9'))) {
            return 0;
        }
    }
    return 1;
}

static int is_anchored(const pcre2_code *re)
{
    uint32_t all = 0;

    return pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &all) == 0 && (all & PCRE2_ANCHORED);
}

/* The alternation of the members of class `anch` (see mergeable), or NULL
 * when fewer than two are there or it does not compile. */
static pcre2_code *merge_class(const scrub_cstr_list_t *l, pcre2_code **re, int anch)
{
    size_t i, len = 1, n = 0;
    char *pat, *w;
    pcre2_code *m = NULL;
    char err[8];

    for (i = 0; i < l->n; i++) {
        if (mergeable(l->v[i].s, re[i]) && is_anchored(re[i]) == anch) {
            len += strlen(l->v[i].s) + 5;
            n++;
        }
    }
    if (n < 2 || (pat = malloc(len)) == NULL) {
        return NULL;
    }
    w = pat;
    for (i = 0; i < l->n; i++) {
        if (mergeable(l->v[i].s, re[i]) && is_anchored(re[i]) == anch) {
            w += sprintf(w, "%s(?:%s)", w == pat ? "" : "|", l->v[i].s);
        }
    }
    m = compile_pattern(pat, UTF_OPTS, "", NULL, "", err, sizeof(err));
    free(pat);
    return m;
}

/* Replace the mergeable members of re[0, *n) by their alternations. */
static void merge_list(const scrub_cstr_list_t *l, pcre2_code **re, size_t *n)
{
    pcre2_code *m[2];
    size_t i, k = 0;
    int anch;

    for (anch = 0; anch < 2; anch++) {
        m[anch] = merge_class(l, re, anch);
    }
    for (i = 0; i < *n; i++) {
        anch = is_anchored(re[i]);
        if (m[anch] != NULL && mergeable(l->v[i].s, re[i])) {
            pcre2_code_free(re[i]);
        }
        else {
            re[k++] = re[i];
        }
    }
    for (anch = 0; anch < 2; anch++) {
        if (m[anch] != NULL) {
            re[k++] = m[anch];
        }
    }
    *n = k;
}

static int compile_list(const scrub_cstr_list_t *l, const char *id, pcre2_code ***out,
                        size_t *nout, char *errstr, size_t errstr_size)
{
    size_t i;

    if (l->n == 0) {
        return 0;
    }
    *out = calloc(l->n, sizeof(**out));
    if (*out == NULL) {
        return SCRUB_ENOMEM;
    }
    for (i = 0; i < l->n; i++) {
        (*out)[i] = compile_pattern(l->v[i].s, UTF_OPTS, l->v[i].where, id, "allow pattern", errstr,
                                    errstr_size);
        if ((*out)[i] == NULL) {
            return SCRUB_EREGEX;
        }
        (*nout)++;
    }
    merge_list(l, *out, nout);
    return 0;
}

static char *fold_dup(const char *s)
{
    size_t n = strlen(s), i;
    char *d = malloc(n + 1);

    if (d == NULL) {
        return NULL;
    }
    for (i = 0; i <= n; i++) {
        d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    }
    return d;
}

static int add_keyword(scrub_rule_t *r, const char *kw)
{
    char **nk = realloc(r->keywords, (r->nkeywords + 1) * sizeof(*nk));

    if (nk == NULL) {
        return SCRUB_ENOMEM;
    }
    r->keywords = nk;
    r->keywords[r->nkeywords] = fold_dup(kw);
    if (r->keywords[r->nkeywords] == NULL) {
        return SCRUB_ENOMEM;
    }
    r->nkeywords++;
    return 0;
}

/* ---- one rule -------------------------------------------------------------- */

static int resolve_group(scrub_rule_t *r, char *errstr, size_t errstr_size)
{
    const scrub_rule_spec_t *sp = r->spec;
    uint32_t ncap = 0;
    char *end;
    long v;

    if (sp->secret_group == NULL || r->re == NULL) {
        r->group = 0;
        return 0;
    }
    pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
    v = strtol(sp->secret_group, &end, 10);
    if (*sp->secret_group != '\0' && *end == '\0') {
        if (v < 0 || (uint32_t)v > ncap) {
            snprintf(errstr, errstr_size, "%s: rule '%s': secret_group %ld does not exist (the "
                     "regex has %u capture groups)", sp->secret_group_where, sp->id, v, ncap);
            return SCRUB_ECONFIG;
        }
        r->group = (uint32_t)v;
        return 0;
    }
    v = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR)sp->secret_group);
    if (v < 0) {
        snprintf(errstr, errstr_size, "%s: rule '%s': secret_group '%s' is not a named group "
                 "of the regex", sp->secret_group_where, sp->id, sp->secret_group);
        return SCRUB_ECONFIG;
    }
    r->group = (uint32_t)v;
    return 0;
}

/* The default entropy validator already rejects placeholders: a not-placeholder
 * next to it would only run the same checks again, so it is left out. */
static void drop_implied_validators(scrub_rule_t *r)
{
    size_t i, k = 0;
    int entropy = 0;

    for (i = 0; i < r->nvalidators; i++) {
        entropy |= r->validators[i].kind == SCRUB_VAL_ENTROPY && !r->validators[i].has_arg;
    }
    for (i = 0; i < r->nvalidators; i++) {
        if (!(entropy && r->validators[i].kind == SCRUB_VAL_NOT_PLACEHOLDER)) {
            r->validators[k++] = r->validators[i];
        }
    }
    r->nvalidators = k;
}

static int compile_rule(scrub_ruleset_t *rs, const scrub_rule_spec_t *sp, scrub_rule_t *r,
                        const scrub_load_opts_t *o, char *errstr, size_t errstr_size)
{
    const scrub_config_t *c = rs->cfg;
    size_t i;
    int rc;

    r->spec = sp;
    r->action = sp->action != SCRUB_ACT_NONE ? sp->action : c->def_action;
    r->severity = sp->severity ? sp->severity : (c->def_severity ? c->def_severity : "medium");
    r->mask = sp->has_mask ? sp->mask : c->def_mask;
    r->replacement = sp->replacement;
    if (sp->detector != NULL) {
        if (strcmp(sp->detector, "log4shell") != 0) {
            snprintf(errstr, errstr_size, "%s: rule '%s': unknown detector '%s' (expected "
                     "log4shell)", sp->where, sp->id, sp->detector);
            return SCRUB_ECONFIG;
        }
        r->detector = SCRUB_DET_LOG4SHELL;
    }
    if (sp->regex.s != NULL) {
        /* the offset limit bounds the starts tried (see scrub_lead.h) */
        r->re = compile_pattern(sp->regex.s,
                                (sp->utf ? UTF_OPTS : 0) | PCRE2_USE_OFFSET_LIMIT,
                                sp->regex.where, sp->id, "regex", errstr, errstr_size);
        if (r->re == NULL) {
            return SCRUB_EREGEX;
        }
        if (pcre2_pattern_info(r->re, PCRE2_INFO_MINLENGTH, &r->minlen) != 0) {
            r->minlen = 0;
        }
    }
    rc = resolve_group(r, errstr, errstr_size);
    if (rc != 0) {
        return rc;
    }
    rc = compile_list(&sp->allow, sp->id, &r->allow, &r->nallow, errstr, errstr_size);
    if (rc != 0) {
        return rc;
    }
    if (sp->validate.n > 0) {
        r->validators = calloc(sp->validate.n, sizeof(*r->validators));
        if (r->validators == NULL) {
            return SCRUB_ENOMEM;
        }
        for (i = 0; i < sp->validate.n; i++) {
            char msg[256];
            if (scrub_validator_parse(sp->validate.v[i].s, &r->validators[i], msg,
                                      sizeof(msg)) != 0) {
                snprintf(errstr, errstr_size, "%s: rule '%s': %s", sp->validate.v[i].where,
                         sp->id, msg);
                return SCRUB_ECONFIG;
            }
            r->nvalidators++;
        }
        drop_implied_validators(r);
    }
    for (i = 0; i < sp->keywords.n; i++) {
        const char *kw = sp->keywords.v[i].s;
        if (kw[0] == '\0' || strchr(kw, '\n') != NULL) {
            snprintf(errstr, errstr_size, "%s: rule '%s': a keyword must be non-empty and "
                     "must not contain a newline", sp->keywords.v[i].where, sp->id);
            return SCRUB_ECONFIG;
        }
        if (strlen(kw) < 3) {
            warnf(o, "%s: rule '%s': keyword '%s' is shorter than 3 characters and will select "
                  "the rule on many records", sp->keywords.v[i].where, sp->id, kw);
        }
        rc = add_keyword(r, kw);
        if (rc != 0) {
            return rc;
        }
    }
    if (r->nkeywords == 0 && r->detector == SCRUB_DET_LOG4SHELL) {
        const char *const *kw;
        for (kw = scrub_l4j_keywords(); *kw != NULL; kw++) {
            rc = add_keyword(r, *kw);
            if (rc != 0) {
                return rc;
            }
        }
    }
    if (r->nkeywords == 0) {
        warnf(o, "%s: rule '%s': no keywords: the rule runs on every record", sp->where, sp->id);
    }
    if (r->action == SCRUB_ACT_HASH && rs->hash_key_random) {
        warnf(o, "%s: rule '%s': action hash without hash.key or hash.key_env: hashes are not "
              "stable across runs", sp->where, sp->id);
    }
    return 0;
}

static void rule_free(scrub_rule_t *r)
{
    size_t i;

    free(r->key_id);
    free(r->key_name);
    pcre2_code_free(r->key_re);
    pcre2_code_free(r->re);
    for (i = 0; i < r->nallow; i++) {
        pcre2_code_free(r->allow[i]);
    }
    free(r->allow);
    free(r->validators);
    for (i = 0; i < r->nkeywords; i++) {
        free(r->keywords[i]);
    }
    free(r->keywords);
}

/* ---- the set ----------------------------------------------------------------- */

static int is_disabled(const scrub_config_t *c, const char *id)
{
    size_t i;

    for (i = 0; i < c->disable.n; i++) {
        if (strcmp(c->disable.v[i].s, id) == 0) {
            return 1;
        }
    }
    return 0;
}

static int setup_hash_key(scrub_ruleset_t *rs, const scrub_load_opts_t *o)
{
    const char *key = (o && o->hash_key) ? o->hash_key : rs->cfg->hash_key;

    if (key != NULL && key[0] != '\0') {
        /* Keys longer than a block are hashed first, as HMAC does. */
        size_t n = strlen(key);
        if (n > sizeof(rs->hash_key)) {
            scrub_sha256_t c;
            scrub_sha256_init(&c);
            scrub_sha256_update(&c, key, n);
            scrub_sha256_final(&c, rs->hash_key);
            rs->hash_key_len = 32;
        }
        else {
            memcpy(rs->hash_key, key, n);
            rs->hash_key_len = n;
        }
        return 0;
    }
    if (getrandom(rs->hash_key, 32, 0) != 32) {
        return SCRUB_EIO;
    }
    rs->hash_key_len = 32;
    rs->hash_key_random = 1;
    return 0;
}

/* ---- key-based rules ------------------------------------------------------- */

static const char *const default_keys[] = {
    "password", "passwd",       "secret",        "token",         "api_key",
    "apikey",   "access_token", "refresh_token", "id_token",      "client_secret",
    "authorization", "cookie",  "set-cookie",    "private_key",   "x-api-key",
    "session",  NULL};

/* Append one key rule for `name` (a key name, a dotted path, or /regex/). */
static int add_key_rule(scrub_ruleset_t *rs, const char *name, const char *where, char *errstr,
                        size_t errstr_size)
{
    scrub_rule_t *r = &rs->rules[rs->nrules];
    size_t n = strlen(name), i;

    memset(r, 0, sizeof(*r));
    r->detector = SCRUB_DET_KEY;
    r->action = SCRUB_ACT_REDACT;
    r->severity = "high";
    r->mask = rs->cfg->def_mask;
    if (n >= 2 && name[0] == '/' && name[n - 1] == '/') {
        char *pat = malloc(n);
        if (pat == NULL) {
            return SCRUB_ENOMEM;
        }
        snprintf(pat, n - 1, "%s", name + 1);
        r->key_re = compile_pattern(pat, UTF_OPTS, where, NULL, "keys regex", errstr, errstr_size);
        free(pat);
        if (r->key_re == NULL) {
            return SCRUB_EREGEX;
        }
        rs->keys_need_walk = 1;
    }
    r->key_name = fold_dup(name);
    r->key_is_path = r->key_re == NULL && strchr(name, '.') != NULL;
    r->key_len = r->key_name != NULL ? strlen(r->key_name) : 0;
    r->key_id = malloc(n + 32);
    if (r->key_name == NULL || r->key_id == NULL) {
        rule_free(r);
        return SCRUB_ENOMEM;
    }
    /* ids stay plain identifiers: other bytes become '_'; patterns are numbered */
    memcpy(r->key_id, "key.", 4);
    if (r->key_re != NULL) {
        snprintf(r->key_id + 4, n + 28, "re%zu", ++rs->nkey_re);
        rs->nrules++;
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = name[i];
        r->key_id[4 + i] = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                                   c) != NULL && c != '\0') ? c : '_';
    }
    r->key_id[4 + n] = '\0';
    if (r->key_is_path) {
        rs->path_lens |= 1ULL << (r->key_len < 63 ? r->key_len : 63);
    }
    else {
        rs->key_lens |= 1ULL << (r->key_len < 63 ? r->key_len : 63);
    }
    rs->nrules++;
    return 0;
}

static int build_key_rules(scrub_ruleset_t *rs, char *errstr, size_t errstr_size)
{
    const scrub_config_t *c = rs->cfg;
    size_t i;
    int rc = 0;

    if (c->keys_default) {
        for (i = 0; rc == 0 && default_keys[i] != NULL; i++) {
            rc = add_key_rule(rs, default_keys[i], "built-in", errstr, errstr_size);
        }
    }
    else {
        for (i = 0; rc == 0 && i < c->keys.n; i++) {
            rc = add_key_rule(rs, c->keys.v[i].s, c->keys.v[i].where, errstr, errstr_size);
        }
    }
    for (i = 0; rc == 0 && i < c->keys_exempt.n; i++) {
        const char *e = c->keys_exempt.v[i].s;
        size_t n = strlen(e);
        if (n >= 2 && e[0] == '/' && e[n - 1] == '/') {
            char pat[512];
            pcre2_code **nr = realloc(rs->key_exempt_re,
                                      (rs->nkey_exempt_re + 1) * sizeof(*nr));
            if (nr == NULL) {
                return SCRUB_ENOMEM;
            }
            rs->key_exempt_re = nr;
            snprintf(pat, sizeof(pat), "%.*s", (int)(n - 2), e + 1);
            nr[rs->nkey_exempt_re] = compile_pattern(pat, UTF_OPTS, c->keys_exempt.v[i].where, NULL,
                                                     "keys_exempt regex", errstr, errstr_size);
            if (nr[rs->nkey_exempt_re] == NULL) {
                return SCRUB_EREGEX;
            }
            rs->nkey_exempt_re++;
        }
    }
    return rc;
}

/*
 * Base64-wrapped secrets: the base64 text of a marker word is fixed apart
 * from its first and last characters, for each of the three alignments. Those
 * fixed middles become keywords of the b64 trigger, so a record is decoded
 * only when it may hold an encoded secret (scrub_scan.c, base64 view).
 */
static const char *const b64_markers[] = {"password", "passwd", "secret", "token", "Bearer",
                                          "api_key", "apikey", "ghp_", "gho_", "github_pat_",
                                          "AKIA", "ASIA", "xoxb-", "xoxp-", "sk_live_",
                                          "glpat-", "PRIVATE KEY", "AIza", "eyJhbGci", NULL};

static int add_b64_triggers(scrub_ruleset_t *rs)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t m, a;
    int rc;

    for (m = 0; b64_markers[m] != NULL; m++) {
        const char *w = b64_markers[m];
        size_t n = strlen(w);
        for (a = 0; a < 3; a++) {
            /* encode a zero bytes + w; keep the characters that depend on w only */
            uint8_t in[64];
            char out[96];
            size_t len = a + n, i, k = 0, first, last;
            memset(in, 0, sizeof(in));
            memcpy(in + a, w, n);
            for (i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
                out[k++] = tab[v >> 18];
                out[k++] = tab[(v >> 12) & 63];
                out[k++] = tab[(v >> 6) & 63];
                out[k++] = tab[v & 63];
            }
            first = (8 * a + 5) / 6;          /* first char whose bits all come from w */
            last = (8 * (a + n)) / 6;         /* one past the last such char */
            if (last <= first + 3) {
                continue;
            }
            rc = scrub_prefilter_add(rs->pf, out + first, last - first, rs->b64_bit);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

static int build_prefilter(scrub_ruleset_t *rs);

/* JIT-compile one pattern. A failure is not an error: the interpreter takes
 * over (pcre2grep does the same). Returns 1 when compiled. */
static int jit_one(pcre2_code *re)
{
    return re != NULL && pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
}

/* Load-time work shared by two threads: the next rule whose lead is to be read. */
typedef struct load_jobs {
    scrub_ruleset_t *rs;
    size_t next_lead;    /* taken with an atomic fetch-add */
} load_jobs_t;

/* Read how far the text rules' matches start before their keywords (r->lead,
 * r->lag; scrub_lead.h), taking rules one at a time from jobs, so that the
 * two load threads share the work. */
static void lead_rules(load_jobs_t *jobs)
{
    scrub_ruleset_t *rs = jobs->rs;
    size_t i;

    while ((i = __atomic_fetch_add(&jobs->next_lead, 1, __ATOMIC_RELAXED)) < rs->nrules) {
        scrub_rule_t *r = &rs->rules[i];
        r->lead = -1;
        r->lag = 0;
        if (i < rs->ntext && r->re != NULL && r->detector == SCRUB_DET_REGEX) {
            r->lead = scrub_lead(r->spec->regex.s, r->spec->utf,
                                 (const char *const *)r->keywords, r->nkeywords, &r->lag);
        }
    }
}

/*
 * JIT-compile every final pattern of rs (merged allow lists once, not their
 * members), then help with the leads. A thread entry: at load it runs beside
 * build_prefilter, which reads other fields of the same rules (keywords,
 * detector, key names) and writes only the rule set's prefilter fields, never
 * a pattern or r->jit; each r->lead is written by the one thread that took it.
 */
static void *jit_all(void *arg)
{
    load_jobs_t *jobs = arg;
    scrub_ruleset_t *rs = jobs->rs;
    size_t i, k;

    for (i = 0; i < rs->nrules; i++) {
        scrub_rule_t *r = &rs->rules[i];
        r->jit = jit_one(r->re);
        (void)jit_one(r->key_re);
        for (k = 0; k < r->nallow; k++) {
            (void)jit_one(r->allow[k]);
        }
    }
    for (k = 0; k < rs->nallow; k++) {
        (void)jit_one(rs->allow[k]);
    }
    for (k = 0; k < rs->nkey_exempt_re; k++) {
        (void)jit_one(rs->key_exempt_re[k]);
    }
    lead_rules(jobs);
    return NULL;
}

/* A regex that accepts a name none of the rule's keywords hold: such records
 * are skipped by the prefilter (only rules the lead reader could not bound
 * are read again). */
static void warn_keyword_gap(const scrub_rule_t *r, const scrub_load_opts_t *o)
{
    char gap[48];

    if (r->re == NULL || r->detector != SCRUB_DET_REGEX || r->lead >= 0 || r->nkeywords == 0 ||
        !scrub_lead_gap(r->spec->regex.s, r->spec->utf, (const char *const *)r->keywords,
                        r->nkeywords, gap, sizeof(gap))) {
        return;
    }
    warnf(o, "%s: rule '%s': the regex accepts matches beginning '%s' ('?': a byte no keyword "
          "holds there), which hold none of its keywords: records with only that spelling are "
          "not scanned by this rule; add a keyword that every spelling holds",
          r->spec->regex.where, r->spec->id, gap);
}

/* The prefilter (Vectorscan's compile, the longest step of a load), the JIT
 * compilation of the patterns and the leads, on two threads when one can be
 * started (the leads go to whichever thread is free first). */
static int build_prefilter_and_jit(scrub_ruleset_t *rs, const scrub_load_opts_t *o)
{
    load_jobs_t jobs = {rs, 0};
    pthread_t t;
    int threaded = pthread_create(&t, NULL, jit_all, &jobs) == 0;
    int rc;
    size_t i;

    if (!threaded) {
        jit_all(&jobs);
    }
    rc = build_prefilter(rs);
    if (threaded) {
        lead_rules(&jobs);
        pthread_join(t, NULL);
    }
    for (i = 0; i < rs->ntext; i++) {
        const scrub_rule_t *r = &rs->rules[i];
        if (r->re != NULL && !r->jit) {
            warnf(o, "%s: rule '%s': JIT compilation failed, using the interpreter",
                  r->spec->regex.where, r->spec->id);
        }
        warn_keyword_gap(r, o);
    }
    return rc;
}

static int build_prefilter(scrub_ruleset_t *rs)
{
    size_t i, k;
    int rc;

    /* Escape introducers that can hide a keyword: records holding one are
     * decoded and scanned again (scrub_scan.c, decoded views). */
    static const char *const decode_triggers[] = {"\\u", "\\x", "\\/", "%2", "%3", "%4", "%5",
                                                  "%6", "%7", "&#", NULL};

    rs->pf = scrub_prefilter_new();
    if (rs->pf != NULL && getenv("LOGSCRUB_PREFILTER") != NULL &&
        strcmp(getenv("LOGSCRUB_PREFILTER"), "dfa") == 0) {
        scrub_prefilter_set_engine(rs->pf, SCRUB_PF_DFA); /* debugging / equivalence tests */
    }
    rs->decode_bit = (uint32_t)rs->nrules;
    rs->key_bit = (uint32_t)rs->nrules + 1;
    rs->b64_bit = (uint32_t)rs->nrules + 2;
    rs->nwords = (rs->nrules + 3 + 63) / 64;
    rs->always = calloc(rs->nwords, sizeof(*rs->always));
    if (rs->pf == NULL || rs->always == NULL) {
        return SCRUB_ENOMEM;
    }
    for (i = 0; decode_triggers[i] != NULL; i++) {
        rc = scrub_prefilter_add(rs->pf, decode_triggers[i], strlen(decode_triggers[i]),
                                 rs->decode_bit);
        if (rc != 0) {
            return rc;
        }
    }
    rc = add_b64_triggers(rs);
    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < rs->nrules; i++) {
        scrub_rule_t *r = &rs->rules[i];
        if (r->detector == SCRUB_DET_KEY) {
            /* Key names select structured records only; raw records have no keys. */
            if (rs->format != SCRUB_FMT_RAW && r->key_re == NULL) {
                const char *last = strrchr(r->key_name, '.');
                const char *kw = last ? last + 1 : r->key_name;
                if (kw[0] != '\0') {
                    rc = scrub_prefilter_add(rs->pf, kw, strlen(kw), rs->key_bit);
                    if (rc != 0) {
                        return rc;
                    }
                }
            }
            continue;
        }
        if (r->nkeywords == 0) {
            rs->always[i >> 6] |= 1ULL << (i & 63);
            rs->has_always = 1;
        }
        for (k = 0; k < r->nkeywords; k++) {
            rc = scrub_prefilter_add(rs->pf, r->keywords[k], strlen(r->keywords[k]),
                                     (uint32_t)i);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return scrub_prefilter_build(rs->pf);
}

static scrub_format_t parse_format(const char *f)
{
    if (f == NULL || strcmp(f, "raw") == 0) {
        return SCRUB_FMT_RAW;
    }
    if (strcmp(f, "json") == 0) {
        return SCRUB_FMT_JSON;
    }
    if (strcmp(f, "logfmt") == 0) {
        return SCRUB_FMT_LOGFMT;
    }
    if (strcmp(f, "auto") == 0) {
        return SCRUB_FMT_AUTO;
    }
    return (scrub_format_t)-1;
}

int scrub_ruleset_load(const char *path, const scrub_load_opts_t *o, scrub_ruleset_t **out,
                       char *errstr, size_t errstr_size)
{
    scrub_ruleset_t *rs;
    scrub_config_t *cfg = NULL;
    size_t i;
    int rc;

    *out = NULL;
    rc = scrub_config_load(path, &cfg, errstr, errstr_size);
    if (rc != 0) {
        return rc;
    }
    rs = calloc(1, sizeof(*rs));
    if (rs == NULL) {
        scrub_config_destroy(cfg);
        return SCRUB_ENOMEM;
    }
    rs->refs = 1;
    rs->cfg = cfg;
    if (o != NULL && o->max_record != 0) {
        cfg->limits.max_record = o->max_record;
    }
    rs->format = parse_format(o && o->format ? o->format : cfg->format);
    if ((int)rs->format < 0) {
        snprintf(errstr, errstr_size, "unknown format '%s' (expected raw, json, logfmt or auto)",
                 o->format);
        rc = SCRUB_ECONFIG;
        goto fail;
    }
    rs->def_replacement = cfg->def_replacement ? cfg->def_replacement : "[REDACTED:{id}]";
    rs->hash_replacement = cfg->hash_replacement ? cfg->hash_replacement : "[HASH:{hash}]";
    rc = setup_hash_key(rs, o);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "%s: cannot get random bytes for the HMAC key", path);
        goto fail;
    }
    for (i = 0; i < cfg->disable.n; i++) {
        size_t k;
        for (k = 0; k < cfg->nrules && strcmp(cfg->rules[k].id, cfg->disable.v[i].s) != 0; k++) {
        }
        if (k == cfg->nrules) {
            warnf(o, "%s: disable: no rule '%s'", cfg->disable.v[i].where, cfg->disable.v[i].s);
        }
    }
    rs->rules = calloc(cfg->nrules + cfg->keys.n + 32, sizeof(*rs->rules));
    if (rs->rules == NULL) {
        rc = SCRUB_ENOMEM;
        goto fail;
    }
    rs->max_ovector = 1;
    for (i = 0; i < cfg->nrules; i++) {
        scrub_rule_t *r;
        uint32_t ncap = 0;
        if (is_disabled(cfg, cfg->rules[i].id)) {
            continue;
        }
        r = &rs->rules[rs->nrules++];
        rc = compile_rule(rs, &cfg->rules[i], r, o, errstr, errstr_size);
        if (rc != 0) {
            goto fail;
        }
        if (r->re != NULL) {
            pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
        }
        if (ncap + 1 > rs->max_ovector) {
            rs->max_ovector = ncap + 1;
        }
    }
    rs->ntext = rs->nrules;
    rc = compile_list(&cfg->allow, NULL, &rs->allow, &rs->nallow, errstr, errstr_size);
    rc = rc ? rc : build_key_rules(rs, errstr, errstr_size);
    if (rc != 0) {
        goto fail;
    }
    rc = build_prefilter_and_jit(rs, o);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "%s: cannot build the keyword prefilter: %s", path,
                 scrub_strerror(rc));
        goto fail;
    }
    *out = rs;
    return 0;
fail:
    if (rc == SCRUB_ENOMEM && errstr_size > 0) {
        snprintf(errstr, errstr_size, "%s: out of memory", path);
    }
    scrub_ruleset_unref(rs);
    return rc;
}

scrub_ruleset_t *scrub_ruleset_ref(scrub_ruleset_t *rs)
{
    __atomic_add_fetch(&rs->refs, 1, __ATOMIC_RELAXED);
    return rs;
}

void scrub_ruleset_unref(scrub_ruleset_t *rs)
{
    size_t i;

    if (rs == NULL || __atomic_sub_fetch(&rs->refs, 1, __ATOMIC_ACQ_REL) != 0) {
        return;
    }
    for (i = 0; i < rs->nrules; i++) {
        rule_free(&rs->rules[i]);
    }
    free(rs->rules);
    for (i = 0; i < rs->nallow; i++) {
        pcre2_code_free(rs->allow[i]);
    }
    free(rs->allow);
    for (i = 0; i < rs->nkey_exempt_re; i++) {
        pcre2_code_free(rs->key_exempt_re[i]);
    }
    free(rs->key_exempt_re);
    free(rs->always);
    scrub_prefilter_destroy(rs->pf);
    scrub_config_destroy(rs->cfg);
    free(rs);
}

size_t scrub_ruleset_count(const scrub_ruleset_t *rs)
{
    return rs->nrules;
}

int scrub_ruleset_rule(const scrub_ruleset_t *rs, size_t i, scrub_rule_info_t *info)
{
    const scrub_rule_t *r;

    if (i >= rs->nrules) {
        return SCRUB_EINVAL;
    }
    r = &rs->rules[i];
    if (r->detector == SCRUB_DET_KEY) {
        memset(info, 0, sizeof(*info));
        info->id = r->key_id;
        info->description = "key-based rule";
        info->pattern = "";
        info->detector = "key";
        info->severity = r->severity;
        info->action = r->action;
        return 0;
    }
    info->id = r->spec->id;
    info->description = r->spec->description;
    info->pattern = r->spec->regex.s ? r->spec->regex.s : "";
    info->detector = r->spec->detector;
    info->severity = r->severity;
    info->action = r->action;
    info->nkeywords = r->nkeywords;
    info->keywords = (const char *const *)r->keywords;
    info->jit = r->jit;
    return 0;
}

const char *scrub_ruleset_rule_id(const scrub_ruleset_t *rs, size_t i)
{
    if (i >= rs->nrules) {
        return "?";
    }
    return rs->rules[i].detector == SCRUB_DET_KEY ? rs->rules[i].key_id : rs->rules[i].spec->id;
}

size_t scrub_ruleset_max_record(const scrub_ruleset_t *rs)
{
    return rs->cfg->limits.max_record;
}

const char *scrub_ruleset_quarantine_path(const scrub_ruleset_t *rs)
{
    return rs->cfg->quarantine_path ? rs->cfg->quarantine_path : "";
}

const char *scrub_ruleset_audit_path(const scrub_ruleset_t *rs)
{
    return rs->cfg->audit_path ? rs->cfg->audit_path : "";
}

const char *scrub_ruleset_setting(const scrub_ruleset_t *rs, const char *path)
{
    size_t i;

    for (i = 0; i < rs->cfg->nsettings; i++) {
        if (strcmp(rs->cfg->settings[i].path, path) == 0) {
            return rs->cfg->settings[i].value;
        }
    }
    return NULL;
}

int scrub_ruleset_settings(const scrub_ruleset_t *rs, const char *prefix,
                           int (*fn)(void *ctx, const char *path, const char *value,
                                     const char *where),
                           void *ctx)
{
    size_t i, n = strlen(prefix);
    int rc;

    for (i = 0; i < rs->cfg->nsettings; i++) {
        const scrub_setting_t *s = &rs->cfg->settings[i];
        if (strncmp(s->path, prefix, n) == 0) {
            rc = fn(ctx, s->path, s->value, s->where);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

void scrub_ruleset_fingerprint(const scrub_ruleset_t *rs, const uint8_t *p, size_t n, char *out,
                               size_t hexlen)
{
    uint8_t d[32];

    scrub_hmac_sha256(rs->hash_key, rs->hash_key_len, p, n, d);
    scrub_hex(d, hexlen, out);
}

const char *scrub_versions(void)
{
    static char buf[160];
    char pver[64] = "";
    uint32_t jit = 0;

    /* Written once per call with the same content; safe to call from any thread
     * in practice because the bytes written never differ. */
    pcre2_config(PCRE2_CONFIG_VERSION, pver);
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
    snprintf(buf, sizeof(buf), "libscrub %s, PCRE2 %s (JIT %s), libyaml %s", SCRUB_VERSION,
             pver, jit ? "yes" : "no", yaml_get_version_string());
    return buf;
}
