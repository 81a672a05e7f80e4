/* test_wm.c: unit tests for the Kafka sidecar's contiguous offset watermark. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "ut.h"
#include "cli_kafka_wm.h"

int ut_failed;
int ut_checks;

/* In-order completion moves the commit point one message at a time. */
static void test_in_order(void)
{
    cli_kafka_wm_t *wm = cli_kafka_wm_new(8);
    int64_t t0, t1;

    UT_CHECK(wm != NULL);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), -1);
    t0 = cli_kafka_wm_track(wm, 10);
    t1 = cli_kafka_wm_track(wm, 11);
    UT_CHECK_INT(cli_kafka_wm_inflight(wm), 2);
    UT_CHECK_INT(cli_kafka_wm_oldest(wm), 10);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t0), 1);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), 11);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t1), 1);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), 12);
    UT_CHECK_INT(cli_kafka_wm_inflight(wm), 0);
    UT_CHECK_INT(cli_kafka_wm_oldest(wm), -1);
    cli_kafka_wm_destroy(wm);
}

/* A later message acknowledged first must not move the commit point. */
static void test_out_of_order(void)
{
    cli_kafka_wm_t *wm = cli_kafka_wm_new(8);
    int64_t t[4];
    int i;

    for (i = 0; i < 4; i++) {
        t[i] = cli_kafka_wm_track(wm, 100 + 2 * i); /* gaps: 100,102,104,106 */
    }
    UT_CHECK_INT(cli_kafka_wm_done(wm, t[2]), 0);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t[1]), 0);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), -1);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t[0]), 1);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), 105);
    UT_CHECK_INT(cli_kafka_wm_oldest(wm), 106);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t[3]), 1);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), 107);
    cli_kafka_wm_destroy(wm);
}

/* Double completion, unknown tickets and non-increasing offsets are refused. */
static void test_misuse(void)
{
    cli_kafka_wm_t *wm = cli_kafka_wm_new(2);
    int64_t t0;

    UT_CHECK(cli_kafka_wm_new(0) == NULL);
    t0 = cli_kafka_wm_track(wm, 5);
    UT_CHECK_INT(cli_kafka_wm_track(wm, 5), -2);
    UT_CHECK_INT(cli_kafka_wm_track(wm, 4), -2);
    UT_CHECK(cli_kafka_wm_track(wm, 6) >= 0);
    UT_CHECK_INT(cli_kafka_wm_track(wm, 7), -1); /* full */
    UT_CHECK_INT(cli_kafka_wm_done(wm, 99), -1);
    UT_CHECK_INT(cli_kafka_wm_done(wm, -1), -1);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t0), 1);
    UT_CHECK_INT(cli_kafka_wm_done(wm, t0), -1);
    UT_CHECK(cli_kafka_wm_track(wm, 7) >= 0);    /* room again */
    cli_kafka_wm_destroy(wm);
    cli_kafka_wm_destroy(NULL);
}

/* After a reset (revoke), old tickets are stale and cannot move the commit. */
static void test_reset(void)
{
    cli_kafka_wm_t *wm = cli_kafka_wm_new(4);
    int64_t old, fresh;

    old = cli_kafka_wm_track(wm, 50);
    cli_kafka_wm_reset(wm);
    UT_CHECK_INT(cli_kafka_wm_inflight(wm), 0);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), -1);
    fresh = cli_kafka_wm_track(wm, 40);          /* rewound: lower offset ok */
    UT_CHECK(fresh > old);
    UT_CHECK_INT(cli_kafka_wm_done(wm, old), -1);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), -1);
    UT_CHECK_INT(cli_kafka_wm_done(wm, fresh), 1);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), 41);
    cli_kafka_wm_destroy(wm);
}

/* Growth past the initial ring and a random completion order against a model. */
static void test_random(void)
{
    enum { N = 5000 };
    cli_kafka_wm_t *wm = cli_kafka_wm_new(N);
    int64_t *tickets = malloc(N * sizeof(*tickets));
    int *perm = malloc(N * sizeof(*perm));
    char *done = calloc(N, 1);
    int i, j, tmp, bad = 0;

    srand(12345);
    for (i = 0; i < N; i++) {
        tickets[i] = cli_kafka_wm_track(wm, 1000 + i);
        perm[i] = i;
    }
    UT_CHECK_INT(cli_kafka_wm_inflight(wm), N);
    for (i = N - 1; i > 0; i--) {
        j = rand() % (i + 1);
        tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    for (i = 0; i < N; i++) {
        int k = perm[i];
        int64_t expect = -1;

        cli_kafka_wm_done(wm, tickets[k]);
        done[k] = 1;
        for (j = 0; j < N && done[j]; j++) {
            expect = 1000 + j + 1;
        }
        if (cli_kafka_wm_commit_offset(wm) != expect) {
            bad++;
        }
    }
    UT_CHECK_INT(bad, 0);
    UT_CHECK_INT(cli_kafka_wm_commit_offset(wm), 1000 + N);
    UT_CHECK_INT(cli_kafka_wm_inflight(wm), 0);
    free(tickets);
    free(perm);
    free(done);
    cli_kafka_wm_destroy(wm);
}

int main(void)
{
    test_in_order();
    test_out_of_order();
    test_misuse();
    test_reset();
    test_random();
    printf("test_wm: %d checks, %d failed\n", ut_checks, ut_failed);
    return ut_failed ? 1 : 0;
}
