/* test_pool: the worker pool's record mode (scrub_pool_new_records / scrub_pool_records). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "ut.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the callback saw, per record, in call order. */
typedef struct seen {
    size_t n;              /* callbacks so far */
    size_t fail_at;        /* return SCRUB_EIO from this call on (SIZE_MAX: never) */
    size_t *order;         /* tag (record index) of each call */
    scrub_verdict_t *verdict;
    size_t *nfindings;
    uint8_t **out;         /* copies of res->out (NULL when res->out was NULL) */
    size_t *out_len;
    int same_bytes_ok;     /* every call passed the submitted bytes back */
    const uint8_t **want_rec; /* submitted data per index */
} seen_t;

static int on_record(void *ctx, void *tag, const uint8_t *rec, size_t len,
                     const scrub_result_t *res)
{
    seen_t *s = ctx;
    size_t i = (size_t)(uintptr_t)tag;

    if (s->n >= s->fail_at) {
        return SCRUB_EIO;
    }
    if (rec != s->want_rec[i]) {
        s->same_bytes_ok = 0;
    }
    s->order[s->n] = i;
    s->verdict[i] = res->verdict;
    s->nfindings[i] = res->nfindings;
    s->out_len[i] = res->out_len;
    s->out[i] = NULL;
    if (res->out != NULL) {
        s->out[i] = malloc(res->out_len + 1);
        memcpy(s->out[i], res->out, res->out_len);
    }
    (void)len;
    s->n++;
    return 0;
}

static scrub_ruleset_t *pool_rules(void)
{
    char err[512];
    scrub_ruleset_t *rs = NULL;
    char path[] = "/tmp/logscrub-ut-rpool-XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");

    fputs("format: raw\nlimits:\n  max_record: 300\nrules:\n"
          "  - id: tok\n    regex: 'tok_([a-z0-9]{6,})'\n    keywords: [tok_]\n    secret_group: 1\n"
          "  - id: q\n    regex: 'QQQ'\n    keywords: [qqq]\n    action: quarantine\n"
          "  - id: d\n    regex: 'DROPME'\n    keywords: [dropme]\n    action: drop\n",
          fp);
    fclose(fp);
    UT_CHECK(scrub_ruleset_load(path, NULL, &rs, err, sizeof(err)) == 0);
    remove(path);
    return rs;
}

/* Property: every record is called back once, in submission order, with the
 * result scrub_worker_scan gives for it alone (newlines are data), whatever the
 * thread count and the size of the submitted batches. */
UT_TEST(pool_records_match_scan)
{
    scrub_ruleset_t *rs = pool_rules();
    scrub_worker_t *w;
    unsigned seed = 4242;
    int round;

    if (rs == NULL) {
        return;
    }
    w = scrub_worker_new(rs);
    for (round = 0; round < 12; round++) {
        size_t nrec = 1 + (size_t)(rand_r(&seed) % 3000), i, pos;
        scrub_record_t *recs = calloc(nrec, sizeof(*recs));
        uint8_t **bytes = calloc(nrec, sizeof(*bytes));
        seen_t s;
        scrub_pool_t *pl;
        int ok = 1;

        memset(&s, 0, sizeof(s));
        s.fail_at = (size_t)-1;
        s.same_bytes_ok = 1;
        s.order = calloc(nrec, sizeof(*s.order));
        s.verdict = calloc(nrec, sizeof(*s.verdict));
        s.nfindings = calloc(nrec, sizeof(*s.nfindings));
        s.out = calloc(nrec, sizeof(*s.out));
        s.out_len = calloc(nrec, sizeof(*s.out_len));
        s.want_rec = calloc(nrec, sizeof(*s.want_rec));
        for (i = 0; i < nrec; i++) {
            unsigned r = (unsigned)rand_r(&seed) % 100;
            size_t len = r < 3 ? 301 + (size_t)(rand_r(&seed) % 500) : (size_t)(rand_r(&seed) % 120);
            size_t k;

            bytes[i] = malloc(len + 1);
            for (k = 0; k < len; k++) {
                bytes[i][k] = (uint8_t)(k % 37 == 36 ? '\n' : 'a' + rand_r(&seed) % 26);
            }
            if (r >= 3 && r < 20 && len > 20) {
                memcpy(bytes[i] + 3, r < 12 ? "tok_abc123" : r < 16 ? "QQQ" : "DROPME",
                       r < 12 ? 10 : r < 16 ? 3 : 6);
            }
            recs[i].data = r == 99 ? NULL : bytes[i];
            recs[i].len = r == 99 ? 0 : len;
            recs[i].tag = (void *)(uintptr_t)i;
            s.want_rec[i] = recs[i].data;
        }
        pl = scrub_pool_new_records(rs, 1 + (unsigned)(round % 3), on_record, &s);
        UT_CHECK(pl != NULL);
        if (pl == NULL) {
            break;
        }
        for (pos = 0; pos < nrec;) {
            size_t k = 1 + (size_t)(rand_r(&seed) % (round % 2 ? 1200 : 40));

            k = k > nrec - pos ? nrec - pos : k;
            UT_CHECK(scrub_pool_records(pl, recs + pos, k) == 0);
            pos += k;
        }
        UT_CHECK(scrub_pool_finish(pl) == 0);
        scrub_pool_destroy(pl);
        UT_CHECK_INT(s.n, nrec);
        UT_CHECK(s.same_bytes_ok);
        for (i = 0; i < nrec && i < s.n; i++) {
            scrub_result_t res;

            if (s.order[i] != i) {
                ok = 0;
                continue;
            }
            scrub_worker_scan(w, recs[i].data ? recs[i].data : (const uint8_t *)"", recs[i].len,
                              &res);
            if (s.verdict[i] != res.verdict || s.nfindings[i] != res.nfindings ||
                s.out_len[i] != res.out_len ||
                (recs[i].data == NULL) != (s.out[i] == NULL) ||
                (s.out[i] != NULL && memcmp(s.out[i], res.out, res.out_len) != 0)) {
                ok = 0;
            }
        }
        UT_CHECK(ok);
        for (i = 0; i < nrec; i++) {
            free(bytes[i]);
            free(s.out[i]);
        }
        free(bytes);
        free(recs);
        free(s.order);
        free(s.verdict);
        free(s.nfindings);
        free(s.out);
        free(s.out_len);
        free(s.want_rec);
    }
    scrub_worker_destroy(w);
    scrub_ruleset_unref(rs);
}

/* A callback error is sticky: nothing is called back after it, and both
 * scrub_pool_records and scrub_pool_finish report it. */
UT_TEST(pool_records_callback_error)
{
    scrub_ruleset_t *rs = pool_rules();
    enum { N = 2000 };
    static scrub_record_t recs[N];
    static const uint8_t *want[N];
    static size_t order[N], nf[N], olen[N];
    static scrub_verdict_t verdict[N];
    static uint8_t *out[N];
    seen_t s;
    scrub_pool_t *pl;
    size_t i;
    int rc = 0;

    if (rs == NULL) {
        return;
    }
    memset(&s, 0, sizeof(s));
    s.fail_at = 700;
    s.same_bytes_ok = 1;
    s.order = order;
    s.verdict = verdict;
    s.nfindings = nf;
    s.out = out;
    s.out_len = olen;
    s.want_rec = want;
    for (i = 0; i < N; i++) {
        recs[i].data = (const uint8_t *)"plain record";
        recs[i].len = 12;
        recs[i].tag = (void *)(uintptr_t)i;
        want[i] = recs[i].data;
    }
    pl = scrub_pool_new_records(rs, 2, on_record, &s);
    UT_CHECK(pl != NULL);
    if (pl != NULL) {
        for (i = 0; i < N; i += 100) {
            int r = scrub_pool_records(pl, recs + i, 100);

            rc = rc ? rc : r;
        }
        UT_CHECK_INT(scrub_pool_finish(pl), SCRUB_EIO);
        scrub_pool_destroy(pl);
    }
    UT_CHECK(rc == 0 || rc == SCRUB_EIO);
    UT_CHECK_INT(s.n, 700);
    for (i = 0; i < s.n; i++) {
        free(out[i]);
    }
    scrub_ruleset_unref(rs);
}
