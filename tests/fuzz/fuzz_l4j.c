/* fuzz_l4j: libFuzzer target for scrub_l4j_scan, checking spans and prefilter soundness. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "scrub_l4j.h"

#include <stdlib.h>

/*
 * The first input byte selects options (bit 0: paranoid, bit 1: a tiny
 * depth limit); the rest is the record. Aborts when a span is out of range,
 * unsorted or overlapping, or when scan hits (or fails closed) on a record
 * that scrub_l4j_maybe would have skipped.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scrub_l4j_opts_t o = {0, 0, 0};
    scrub_l4j_hit_t h[8];
    scrub_l4j_t *l;
    size_t i;
    int rc;

    if (size == 0) {
        return 0;
    }
    o.paranoid = data[0] & 1;
    o.max_depth = (data[0] & 2) ? 3 : 0;
    l = scrub_l4j_new(&o);
    if (l == NULL) {
        return 0;
    }
    rc = scrub_l4j_scan(l, data + 1, size - 1, h, 8);
    if (rc > 8 || (rc < 0 && rc != SCRUB_EBUDGET && rc != SCRUB_ENOMEM)) {
        abort();
    }
    for (i = 0; rc > 0 && i < (size_t)rc; i++) {
        if (h[i].start >= h[i].end || h[i].end > size - 1 ||
            (i > 0 && h[i].start < h[i - 1].end)) {
            abort();
        }
    }
    if ((rc > 0 || rc == SCRUB_EBUDGET) && !scrub_l4j_maybe(data + 1, size - 1)) {
        abort();
    }
    scrub_l4j_destroy(l);
    return 0;
}
