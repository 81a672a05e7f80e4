/* ut.h: a tiny unit-test harness; every failed check is counted. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef UT_H
#define UT_H

#include <stdio.h>
#include <string.h>

extern int ut_failed;   /* checks failed so far (all tests) */
extern int ut_checks;   /* checks run so far */

/* Declare a test: UT_TEST(name) { ... } ; the runner finds it by grep. */
#define UT_TEST(name) void ut_test_##name(void)

#define UT_CHECK(cond)                                                        \
    do {                                                                      \
        ut_checks++;                                                          \
        if (!(cond)) {                                                        \
            ut_failed++;                                                      \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                     \
    } while (0)

#define UT_CHECK_INT(a, b)                                                    \
    do {                                                                      \
        long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);             \
        ut_checks++;                                                          \
        if (ut_a_ != ut_b_) {                                                 \
            ut_failed++;                                                      \
            fprintf(stderr, "  FAIL %s:%d: %s == %lld, expected %lld\n",      \
                    __FILE__, __LINE__, #a, ut_a_, ut_b_);                    \
        }                                                                     \
    } while (0)

/* Compare a byte span with a C string literal. */
#define UT_CHECK_MEM(p, n, s)                                                 \
    do {                                                                      \
        size_t ut_n_ = (n);                                                   \
        ut_checks++;                                                          \
        if (ut_n_ != strlen(s) || memcmp((p), (s), ut_n_) != 0) {             \
            ut_failed++;                                                      \
            fprintf(stderr, "  FAIL %s:%d: %s != \"%s\" (got %zu bytes: %.*s)\n", \
                    __FILE__, __LINE__, #p, (s), ut_n_, (int)(ut_n_ > 200 ? 200 : ut_n_), (const char *)(p)); \
        }                                                                     \
    } while (0)

#endif
