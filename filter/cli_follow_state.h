/* cli_follow_state: the follow-mode checkpoint file (per-file offsets, owned output sizes). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_FOLLOW_STATE_H
#define CLI_FOLLOW_STATE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes at the head of a file that identify it besides dev/inode. */
#define CLI_FP_MAX 256

/* One followed file in a checkpoint. */
typedef struct cli_fstate_file {
    uint64_t dev;       /* st_dev */
    uint64_t ino;       /* st_ino */
    uint64_t offset;    /* committed offset: end of the last record made durable, or
                           with in_over, the end of the bytes quarantined so far */
    int in_over;        /* offset is inside an oversized record: its bytes before offset
                           are in the quarantine, the rest up to its newline must follow */
    uint32_t fp_len;    /* bytes covered by fp (0..CLI_FP_MAX) */
    uint64_t fp;        /* cli_fp_hash of the first fp_len bytes */
    char *path;         /* path the file was last seen at (owned) */
    int used;           /* load side: already matched to an open file */
} cli_fstate_file_t;

/* An output file owned by logscrub, truncated back to `size` on restart. */
typedef struct cli_fstate_out {
    int have;           /* 1 when recorded */
    uint64_t dev;       /* identity, so a replaced file is never truncated */
    uint64_t ino;
    uint64_t size;      /* bytes made durable at the checkpoint */
} cli_fstate_out_t;

#define CLI_OUT_CLEAN 0
#define CLI_OUT_QUARANTINE 1
#define CLI_OUT_AUDIT 2
#define CLI_OUT_N 3

/* The whole checkpoint. Zero-initialise; release with cli_fstate_clear. */
typedef struct cli_fstate {
    cli_fstate_out_t out[CLI_OUT_N];  /* clean (-o), quarantine, audit */
    cli_fstate_file_t *files;         /* followed files */
    size_t nfiles;
    size_t cap;
} cli_fstate_t;

/* ---- cli_follow_state.c ------------------------------------------------------------ */

/* 64-bit FNV-1a over n bytes: the head fingerprint of a file. */
uint64_t cli_fp_hash(const uint8_t *p, size_t n);

/*
 * Read the checkpoint at path into *st (which must be zeroed or cleared).
 * A missing file is not an error: *st stays empty and *found is 0.
 * Refuses (returns -1, msg filled) a symlink, a non-regular file, a group-
 * or world-writable file, and a file that does not parse. No log content is
 * ever in a checkpoint, so messages only name the path and line number.
 */
int cli_fstate_load(const char *path, cli_fstate_t *st, int *found, char *msg, size_t msg_size);

/*
 * Write *st to path atomically: PATH.tmp is created 0600 (O_EXCL, O_NOFOLLOW,
 * whatever the umask), written, fsync'ed, and renamed over path; with
 * sync_dir the directory is fsync'ed too, so the rename itself is durable.
 * On failure returns -1 with msg filled and the previous checkpoint intact.
 */
int cli_fstate_save(const char *path, const cli_fstate_t *st, int sync_dir, char *msg,
                    size_t msg_size);

/* Append a file entry (path copied). 0 or -1 on ENOMEM. */
int cli_fstate_add(cli_fstate_t *st, uint64_t dev, uint64_t ino, uint64_t offset, int in_over,
                   uint32_t fp_len, uint64_t fp, const char *path);

/* Drop every file entry (keeps the array for reuse) and the output records. */
void cli_fstate_reset(cli_fstate_t *st);

/* Free everything; *st is left empty and reusable. Accepts a zeroed st. */
void cli_fstate_clear(cli_fstate_t *st);

/*
 * Take the exclusive lock PATH.lock (created 0600) so two processes never
 * share one checkpoint. Returns the lock fd (kept open for the process'
 * lifetime; the kernel drops the lock when the process dies, kill -9
 * included) or -1 with msg filled.
 */
int cli_fstate_lock(const char *path, char *msg, size_t msg_size);

#endif
