/* run-unit: runs every UT_TEST; UT_FILTER=substring selects tests by name. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "ut.h"

#include <stdlib.h>

int ut_failed;
int ut_checks;

#define UT_ENTRY(name) void ut_test_##name(void);
#include "registry.h"
#undef UT_ENTRY

struct ut_case {
    const char *name;  /* test name as declared */
    void (*fn)(void);  /* the test body */
};

static const struct ut_case ut_cases[] = {
#define UT_ENTRY(name) {#name, ut_test_##name},
#include "registry.h"
#undef UT_ENTRY
    {NULL, NULL}};

int main(void)
{
    const char *filter = getenv("UT_FILTER");
    int passed = 0;
    int failed = 0;
    const struct ut_case *c;

    for (c = ut_cases; c->name != NULL; c++) {
        int before = ut_failed;
        if (filter != NULL && strstr(c->name, filter) == NULL) {
            continue;
        }
        c->fn();
        if (ut_failed == before) {
            passed++;
        }
        else {
            failed++;
            fprintf(stderr, "test %s: FAILED\n", c->name);
        }
    }
    printf("unit: %d checks\n", ut_checks);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
