/* cli_kafka_wm.c: per-partition contiguous offset watermark (see cli_kafka_wm.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "cli_kafka_wm.h"

#define WM_INITIAL_SLOTS 256

/* One tracked message. */
typedef struct wm_slot {
    int64_t offset;             /* message offset */
    int done;                   /* 1 once acknowledged */
} wm_slot_t;

struct cli_kafka_wm {
    wm_slot_t *slots;           /* ring, indexed by ticket % nslots */
    size_t nslots;              /* ring size (power of two) */
    size_t capacity;            /* maximum in flight */
    int64_t head;               /* oldest ticket not yet behind the commit point */
    int64_t tail;               /* next ticket to issue */
    int64_t last_offset;        /* last tracked offset, -1 after reset */
    int64_t commit;             /* commit offset, -1 when none */
};

cli_kafka_wm_t *cli_kafka_wm_new(size_t capacity)
{
    cli_kafka_wm_t *wm;

    if (capacity == 0) {
        return NULL;
    }
    wm = calloc(1, sizeof(*wm));
    if (!wm) {
        return NULL;
    }
    wm->slots = calloc(WM_INITIAL_SLOTS, sizeof(*wm->slots));
    if (!wm->slots) {
        cli_kafka_wm_destroy(wm);
        return NULL;
    }
    wm->nslots = WM_INITIAL_SLOTS;
    wm->capacity = capacity;
    wm->last_offset = -1;
    wm->commit = -1;
    return wm;
}

void cli_kafka_wm_destroy(cli_kafka_wm_t *wm)
{
    if (!wm) {
        return;
    }
    free(wm->slots);
    free(wm);
}

/* Double the ring, keeping tickets head..tail at ticket % nslots. */
static int wm_grow(cli_kafka_wm_t *wm)
{
    size_t n = wm->nslots * 2;
    wm_slot_t *s = calloc(n, sizeof(*s));
    int64_t t;

    if (!s) {
        return -1;
    }
    for (t = wm->head; t < wm->tail; t++) {
        s[(uint64_t)t % n] = wm->slots[(uint64_t)t % wm->nslots];
    }
    free(wm->slots);
    wm->slots = s;
    wm->nslots = n;
    return 0;
}

int64_t cli_kafka_wm_track(cli_kafka_wm_t *wm, int64_t offset)
{
    size_t used = (size_t)(wm->tail - wm->head);
    wm_slot_t *slot;

    if (offset <= wm->last_offset) {
        return -2;
    }
    if (used >= wm->capacity) {
        return -1;
    }
    if (used == wm->nslots && wm_grow(wm) != 0) {
        return -1;
    }
    slot = &wm->slots[(uint64_t)wm->tail % wm->nslots];
    slot->offset = offset;
    slot->done = 0;
    wm->last_offset = offset;
    return wm->tail++;
}

int cli_kafka_wm_done(cli_kafka_wm_t *wm, int64_t ticket)
{
    wm_slot_t *slot;
    int advanced = 0;

    if (ticket < wm->head || ticket >= wm->tail) {
        return -1;
    }
    slot = &wm->slots[(uint64_t)ticket % wm->nslots];
    if (slot->done) {
        return -1;
    }
    slot->done = 1;
    while (wm->head < wm->tail) {
        slot = &wm->slots[(uint64_t)wm->head % wm->nslots];
        if (!slot->done) {
            break;
        }
        wm->commit = slot->offset + 1;
        wm->head++;
        advanced = 1;
    }
    return advanced;
}

int64_t cli_kafka_wm_commit_offset(const cli_kafka_wm_t *wm)
{
    return wm->commit;
}

size_t cli_kafka_wm_inflight(const cli_kafka_wm_t *wm)
{
    return (size_t)(wm->tail - wm->head);
}

int64_t cli_kafka_wm_oldest(const cli_kafka_wm_t *wm)
{
    if (wm->head == wm->tail) {
        return -1;
    }
    return wm->slots[(uint64_t)wm->head % wm->nslots].offset;
}

void cli_kafka_wm_reset(cli_kafka_wm_t *wm)
{
    /* Tickets keep increasing, so every outstanding one is now < head. */
    wm->head = wm->tail;
    wm->last_offset = -1;
    wm->commit = -1;
}
