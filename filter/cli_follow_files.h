/* cli_follow_files: follow mode's followed files: discovery, identity, rotation, reading. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_FOLLOW_FILES_H
#define CLI_FOLLOW_FILES_H

#include "cli.h"
#include "cli_follow_state.h"
#include "cli_out.h"

#include <stdint.h>
#include <sys/stat.h>

#define CLI_FOLLOW_READ (1024 * 1024)       /* one pread */
#define CLI_FOLLOW_ROUND (8 * 1024 * 1024)  /* per file and round, then the others get a turn */
#define CLI_FOLLOW_WBUF (256 * 1024)        /* clean output staging */
#define CLI_FOLLOW_OVERSIZE_WAIT_MS 1000    /* wait this long for the newline of an oversized
                                               record before pausing its quarantine entry at
                                               the end of data (the record stays open) */
#define CLI_FOLLOW_DRAIN_MS 2000            /* a rotated-away or deleted file stays open this
                                               long after its last new byte (and >= 10 polls) */

/* ---- types (shared by cli_follow.c and cli_follow_files.c) --------------------------------- */

/* Per-file sink shim: quarantine/audit offsets count from the start of the file even
 * when the stream started at a checkpoint offset. */
typedef struct cli_fsink {
    const scrub_sink_ops_t *inner;  /* the shared sinks (borrowed) */
    uint64_t base;                  /* file offset of the stream's first byte */
} cli_fsink_t;

typedef struct cli_ffile {
    char *name;                 /* origin name: the path it was first opened at (owned) */
    char *path;                 /* path it was last seen at (owned) */
    int fd;                     /* read-only fd, kept across rename and unlink */
    uint64_t dev;               /* identity */
    uint64_t ino;
    uint64_t off;               /* next byte to read */
    uint64_t committed;         /* end of the last complete record fed to the stream */
    uint64_t fp;                /* cli_fp_hash of the first fp_len bytes */
    uint32_t fp_len;            /* grows with the file up to CLI_FP_MAX */
    scrub_stream_t *s;          /* framing + routing for this file */
    cli_fsink_t sink;               /* the stream's sink shim */
    scrub_sink_ops_t ops;       /* the shim's callbacks (ctx = &sink) */
    int seen;                   /* matched by the current scan */
    int orphan;                 /* no longer at any followed path: drain, then drop */
    int read_err;               /* a read error was reported (once per file) */
    uint64_t last_data_ms;      /* when bytes last arrived (drain timer) */
    uint64_t pend_since_ms;     /* when the current partial line began waiting, 0 = none */
} cli_ffile_t;

typedef struct cli_follower {
    const cli_follow_opts_t *fo;    /* options (borrowed) */
    scrub_ruleset_t **rs;           /* current rule set (the caller's reference) */
    cli_reload_ctx_t *reload;       /* SIGHUP context */
    scrub_worker_t *w;              /* the one worker all streams share */
    scrub_stats_t *stats;           /* counters */
    cli_writer_t out;               /* clean output */
    int out_owned;                  /* -o FILE: recorded and truncated back on restart */
    cli_sinks_t sk;                 /* quarantine + audit (+ clean) sinks */
    scrub_sink_ops_t ops;           /* the shared sink callbacks */
    cli_ffile_t **files;                /* followed files, oldest first */
    size_t nfiles;
    size_t cap;
    cli_fstate_t saved;             /* checkpoint found at start (matched by new files) */
    cli_fstate_t cp;                /* scratch for writing checkpoints */
    int lock_fd;                    /* flock on STATE.lock, or -1 */
    uint8_t *buf;                   /* read buffer */
    int first_scan;                 /* the scan at startup is running */
    int dirty;                      /* state changed since the last checkpoint */
    uint64_t last_scan_ms;          /* when the globs were last expanded */
    uint64_t drain_ms;              /* orphan grace period */
    unsigned long commits;          /* checkpoints written */
    unsigned long held;             /* checkpoints put off: a key block was open */
    struct stat own[4];             /* our own outputs and lock file: never followed */
    size_t nown;
} cli_follower_t;

/* ---- cli_follow_files.c ------------------------------------------------------------- */

/* Monotonic milliseconds. */
uint64_t cli_follow_now_ms(void);

/*
 * Expand every FILE/GLOB: start following new files (at their checkpoint
 * offset, see cli_follow.c), mark files no longer at any matched path as
 * orphans (read to EOF, dropped after drain_ms idle). Skips logscrub's own
 * files. Returns 0 or SCRUB_ENOMEM.
 */
int cli_follow_scan(cli_follower_t *fl);

/*
 * Read what is new in f (after checking for truncation in place) and feed it
 * to f's stream; advances f->committed to the end of the last complete
 * record. Never leaves an oversized record's quarantine entry open: when
 * bytes of one came and its newline has not, it waits up to
 * CLI_FOLLOW_OVERSIZE_WAIT_MS for the newline, then pauses the entry
 * (scrub_stream_pause_oversize). The record stays open: its later bytes up
 * to the newline, however late, are quarantined as further entries of it.
 * Returns the bytes read (>= 0) or a negative SCRUB_E* sink error (then
 * everything must stop).
 */
int64_t cli_follow_read(cli_follower_t *fl, cli_ffile_t *f, uint64_t now);

/* Drop orphans idle for drain_ms, flushing their partial line. 0 or a sink error. */
int cli_follow_drop_idle(cli_follower_t *fl, uint64_t now);

/* Scan the partial line waiting in f's stream as a record, or end the oversized
 * record in progress (counted, its last entry closed); committed = off. For
 * the end of a file's data: rotation, truncation, deletion, exit without
 * --state. 0 or a sink error. */
int cli_follow_flush_partial(cli_ffile_t *f);

/* Close and free one file. Accepts NULL and half-built files. */
void cli_follow_file_free(cli_ffile_t *f);

/* Remember fd's file (an output or the lock) so no glob ever follows it. */
void cli_follow_note_own(cli_follower_t *fl, int fd);

#endif
