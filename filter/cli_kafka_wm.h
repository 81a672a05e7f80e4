/* cli_kafka_wm.h: per-partition contiguous offset watermark for at-least-once commits. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_KAFKA_WM_H
#define CLI_KAFKA_WM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A watermark tracks the messages of one partition that were consumed but
 * whose output is not yet acknowledged. Messages are tracked in consumption
 * order (strictly increasing offsets, gaps allowed); each gets a ticket.
 * When a ticket is marked done, the commit point moves past every message of
 * the contiguous done prefix, never past a message still in flight, so a
 * later message delivered first cannot make the commit skip an earlier one.
 *
 * Tickets are increasing 64-bit numbers that are never reused, so a ticket
 * from before a reset (a revoked partition) is recognised as stale.
 * Not thread-safe: one thread owns a watermark.
 */
typedef struct cli_kafka_wm cli_kafka_wm_t;

/* A watermark holding at most `capacity` in-flight messages (>= 1).
 * NULL on ENOMEM. Owned by the caller; release with cli_kafka_wm_destroy. */
cli_kafka_wm_t *cli_kafka_wm_new(size_t capacity);

/* Release a watermark. Accepts NULL. */
void cli_kafka_wm_destroy(cli_kafka_wm_t *wm);

/*
 * Track a consumed message at `offset`. Returns its ticket (>= 0), -1 when
 * `capacity` messages are already in flight or on ENOMEM, -2 when offset is not
 * greater than the last tracked offset. On failure nothing changes.
 */
int64_t cli_kafka_wm_track(cli_kafka_wm_t *wm, int64_t offset);

/*
 * Mark a ticket done (its output was acknowledged or it needs none).
 * Returns 1 when the commit offset advanced, 0 when it did not, -1 when the
 * ticket is unknown (stale after a reset, already done, or never issued).
 */
int cli_kafka_wm_done(cli_kafka_wm_t *wm, int64_t ticket);

/* The offset to commit: one past the last message of the contiguous done
 * prefix, or -1 when no message has completed since creation or reset. */
int64_t cli_kafka_wm_commit_offset(const cli_kafka_wm_t *wm);

/* Number of tracked messages not yet behind the commit point. */
size_t cli_kafka_wm_inflight(const cli_kafka_wm_t *wm);

/* Offset of the oldest message still in flight, or -1 when none. */
int64_t cli_kafka_wm_oldest(const cli_kafka_wm_t *wm);

/* Forget every tracked message and the commit point (partition revoked or
 * rewound). Outstanding tickets become stale. */
void cli_kafka_wm_reset(cli_kafka_wm_t *wm);

#endif
