/* cli_follow: follow mode (tail -F): appended data, rotation, new files, checkpoints, reload. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli_follow_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * How it works (file tracking lives in cli_follow_files.c, the checkpoint
 * file format in cli_follow_state.c). Every poll interval the FILE/GLOB
 * arguments are expanded again and each match is stat'ed. A followed file
 * is identified by dev/inode plus a fingerprint of its first bytes (up to
 * CLI_FP_MAX), never by its path, so:
 *
 *  - rename rotation: the path now names a new inode, which is followed from
 *    offset 0; the old inode keeps its fd and is read to EOF, and dropped
 *    once it has been idle for CLI_FOLLOW_DRAIN_MS (a writer that has not
 *    reopened yet may still append to it). If the glob also matches the rotated name
 *    (`app.log*`) the old file simply stays followed under its new name.
 *  - copytruncate: same inode, but smaller than the read offset or with a
 *    different head: reading restarts at 0. Lines written after the last read
 *    and before the truncate exist only in the copy; copytruncate loses them
 *    by construction, as it does for every reader.
 *  - deleted files are read to EOF through the open fd, then dropped.
 *
 * Each file has its own scrub_stream (its own partial-line carry, origin =
 * the path it was first seen at); all streams share one worker and one set
 * of sinks. A file's *committed* offset is the end of the last complete
 * record handed to its stream: bytes after the last newline wait in the
 * stream's carry, and only --flush-timeout turns them into a record early.
 * A line longer than max_record is an oversized record: its bytes go to the
 * quarantine as they come, and the stream stays inside it until its newline,
 * however late (at the end of each round its quarantine entry is paused, so
 * the shared quarantine file holds whole lines; later bytes open further
 * entries with the same record number). Only the end of the file's data
 * (rotation, truncation, deletion, exit without --state) ends it earlier.
 *
 * Checkpoint protocol (commit): after a round of reads, flush the clean,
 * quarantine and audit writers, fsync them with --fsync, then write the
 * state file atomically with every file's committed offset and the sizes of
 * the files logscrub owns (-o, quarantine, audit). Any write error stops
 * everything before the checkpoint moves (exit 3). On restart the owned
 * files are truncated back to the recorded sizes and every file resumes at
 * its committed offset, so the records after the last checkpoint are
 * written exactly once again. Inside an oversized record the checkpoint
 * holds the read offset marked as inside it, and the restart quarantines
 * the rest of the line (see commit). On stdout nothing can be taken back: the
 * records written after the last checkpoint are repeated.
 *
 * Start position of a file not in the checkpoint: with --state, offset 0
 * (nothing is skipped: the file is new since the last checkpoint). Without
 * --state, files present at startup are read from the end of their last
 * complete line, like `tail -F -n 0` (there is no checkpoint, so reading
 * from the start would repeat the whole file at every restart); files that
 * appear later are read from offset 0. At startup, a checkpointed file that
 * no argument matches any more (rotated by rename while logscrub was down)
 * is looked up by inode in the directory it was last seen in, and its rest
 * is read.
 *
 * Known limits, by design:
 *  - a writer that keeps appending to a rotated-away file (outside the
 *    globs) longer than the drain period after its last write loses those
 *    lines; a rotated file that was also compressed or moved to another
 *    directory while logscrub was down is not found again;
 *  - copytruncate loses the lines written between logscrub's last read and
 *    the truncate (see above);
 *  - --flush-timeout turns a slow line (of at most max_record bytes so far)
 *    into two records: the rest of the line is then scanned as a record of
 *    its own;
 *  - entries of the checkpoint whose file is not found at startup are
 *    dropped at the first new checkpoint;
 *  - the stream's multi-line state (an open PEM private-key block) is not
 *    part of the checkpoint; quarantine/audit record numbers count from the
 *    resume point (their byte offsets are absolute);
 *  - quarantine and audit files are truncated back to the checkpoint on
 *    restart like -o FILE: they must not be shared with another writer.
 */

/* ---- messages ----------------------------------------------------------------------------- */

/* Name the sink that failed (never any record content). */
static void report_sink_error(cli_follower_t *fl, int rc)
{
    if (fl->out.err != 0) {
        fprintf(stderr, "logscrub: output: write error: %s\n", strerror(fl->out.saved_errno));
    }
    else if (fl->sk.have_quarantine && fl->sk.quarantine.err != 0) {
        fprintf(stderr, "logscrub: quarantine: write error: %s\n",
                strerror(fl->sk.quarantine.saved_errno));
    }
    else if (fl->sk.have_audit && fl->sk.audit.err != 0) {
        fprintf(stderr, "logscrub: audit: write error: %s\n", strerror(fl->sk.audit.saved_errno));
    }
    else {
        fprintf(stderr, "logscrub: follow: %s\n", scrub_strerror(rc));
    }
    fprintf(stderr, "logscrub: stopping; the checkpoint stays at the last durable record\n");
}

/* ---- checkpoints ----------------------------------------------------------------------- */

static int record_out(cli_fstate_out_t *o, int fd)
{
    struct stat sb;

    if (fstat(fd, &sb) != 0) {
        return -1;
    }
    o->have = 1;
    o->dev = (uint64_t)sb.st_dev;
    o->ino = (uint64_t)sb.st_ino;
    o->size = (uint64_t)sb.st_size;
    return 0;
}

static int sync_fd(int fd, const char *what)
{
    struct stat sb;

    if (fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        return 0; /* a pipe or terminal: nothing to make durable */
    }
    if (fsync(fd) != 0) {
        fprintf(stderr, "logscrub: %s: fsync: %s\n", what, strerror(errno));
        fprintf(stderr, "logscrub: stopping; the checkpoint stays at the last durable record\n");
        return -1;
    }
    return 0;
}

/*
 * Make everything written so far durable, then move the checkpoint. Returns 0,
 * or -1 after a message when any step failed: then the checkpoint did not move.
 */
static int commit(cli_follower_t *fl)
{
    char msg[PATH_MAX + 256];
    size_t i;
    int rc;

    rc = cli_writer_flush(&fl->out);
    if (rc == 0 && fl->sk.have_quarantine) {
        rc = cli_writer_flush(&fl->sk.quarantine);
    }
    if (rc == 0 && fl->sk.have_audit) {
        rc = cli_writer_flush(&fl->sk.audit);
    }
    if (rc != 0) {
        report_sink_error(fl, rc);
        return -1;
    }
    if (fl->fo->fsync &&
        (sync_fd(fl->out.fd, "output") != 0 ||
         (fl->sk.have_quarantine && sync_fd(fl->sk.quarantine.fd, "quarantine") != 0) ||
         (fl->sk.have_audit && sync_fd(fl->sk.audit.fd, "audit") != 0))) {
        return -1;
    }
    fl->dirty = 0;
    if (fl->fo->state == NULL) {
        return 0;
    }
    /* Never inside a private-key block: a restart from there would pass the rest of
     * the key as clean lines. The checkpoint waits (at most the block's bounded
     * length) and the next round tries again. */
    for (i = 0; i < fl->nfiles; i++) {
        if (scrub_stream_in_block(fl->files[i]->s)) {
            fl->dirty = 1;
            fl->held++;
            return 0;
        }
    }
    cli_fstate_reset(&fl->cp);
    rc = 0;
    if (fl->out_owned) {
        rc |= record_out(&fl->cp.out[CLI_OUT_CLEAN], fl->out.fd);
    }
    if (fl->sk.have_quarantine) {
        rc |= record_out(&fl->cp.out[CLI_OUT_QUARANTINE], fl->sk.quarantine.fd);
    }
    if (fl->sk.have_audit) {
        rc |= record_out(&fl->cp.out[CLI_OUT_AUDIT], fl->sk.audit.fd);
    }
    for (i = 0; i < fl->nfiles && rc == 0; i++) {
        cli_ffile_t *f = fl->files[i];
        /* Inside an oversized record, every byte read is in the (flushed) quarantine and
         * its entry is closed (cli_follow_read pauses it), so the checkpoint takes the
         * read offset and marks it as inside the record. A restart then continues the
         * record: its rest up to the newline goes to the quarantine, never to the clean
         * output. (Staying at the record's start instead would repeat its first part
         * and hold every checkpoint for as long as the writer takes to end the line.) */
        int in_over = scrub_stream_in_oversize(f->s);
        rc = cli_fstate_add(&fl->cp, f->dev, f->ino, in_over ? f->off : f->committed, in_over,
                            f->fp_len, f->fp, f->path);
    }
    if (rc != 0) {
        fprintf(stderr, "logscrub: %s: cannot build the checkpoint: %s\n", fl->fo->state,
                strerror(errno));
        return -1;
    }
    if (cli_fstate_save(fl->fo->state, &fl->cp, fl->fo->fsync, msg, sizeof(msg)) != 0) {
        fprintf(stderr, "logscrub: %s\n", msg);
        return -1;
    }
    fl->commits++;
    return 0;
}

/* ---- outputs ------------------------------------------------------------------------------ */

/* Cut an owned output back to its size at the checkpoint (the records after it are
 * about to be written again). A file that is not the recorded one is left alone. */
static int truncate_back(cli_follower_t *fl, int fd, const cli_fstate_out_t *o, const char *what)
{
    struct stat sb;

    if (!o->have || fstat(fd, &sb) != 0) {
        return 0;
    }
    if ((uint64_t)sb.st_dev != o->dev || (uint64_t)sb.st_ino != o->ino) {
        if (fl->fo->verbose >= 0) {
            fprintf(stderr, "logscrub: %s: not the file of the checkpoint; appending\n", what);
        }
        return 0;
    }
    if ((uint64_t)sb.st_size < o->size) {
        if (fl->fo->verbose >= 0) {
            fprintf(stderr, "logscrub: %s: shorter than at the checkpoint; appending\n", what);
        }
        return 0;
    }
    if ((uint64_t)sb.st_size > o->size) {
        if (ftruncate(fd, (off_t)o->size) != 0) {
            fprintf(stderr, "logscrub: %s: cannot truncate to the checkpoint: %s\n", what,
                    strerror(errno));
            return -1;
        }
        if (fl->fo->verbose > 0) {
            fprintf(stderr, "logscrub: %s: %llu bytes after the checkpoint removed\n", what,
                    (unsigned long long)((uint64_t)sb.st_size - o->size));
        }
    }
    return 0;
}

static int open_private_sink(const char *path, cli_writer_t *w, int *have, const char *what)
{
    char msg[PATH_MAX + 128];
    int fd;

    if (path == NULL) {
        return 0;
    }
    fd = cli_open_private(path, 0, msg, sizeof(msg));
    if (fd < 0) {
        fprintf(stderr, "logscrub: %s: %s\n", what, msg);
        return -1;
    }
    if (cli_writer_init(w, fd, 1, 64 * 1024) != 0) {
        close(fd);
        fprintf(stderr, "logscrub: out of memory\n");
        return -1;
    }
    *have = 1;
    return 0;
}

static int open_outputs(cli_follower_t *fl)
{
    const cli_follow_opts_t *fo = fl->fo;
    int fd = STDOUT_FILENO;

    if (fo->output != NULL && strcmp(fo->output, "-") != 0) {
        if (strncmp(fo->output, "kafka:", 6) == 0) {
            fprintf(stderr, "logscrub: --follow writes to stdout or a file, not to Kafka\n");
            return -1;
        }
        /* Never O_TRUNC: a restart continues the file (cut back to the checkpoint). */
        fd = open(fo->output, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "logscrub: %s: %s\n", fo->output, strerror(errno));
            return -1;
        }
        fl->out_owned = 1;
    }
    if (cli_writer_init(&fl->out, fd, fd != STDOUT_FILENO, CLI_FOLLOW_WBUF) != 0) {
        if (fd != STDOUT_FILENO) {
            close(fd);
        }
        fprintf(stderr, "logscrub: out of memory\n");
        return -1;
    }
    fl->sk.clean = &fl->out;
    if (open_private_sink(fo->quarantine, &fl->sk.quarantine, &fl->sk.have_quarantine,
                          "quarantine") != 0 ||
        open_private_sink(fo->audit, &fl->sk.audit, &fl->sk.have_audit, "audit") != 0) {
        return -1;
    }
    if ((fl->out_owned &&
         truncate_back(fl, fl->out.fd, &fl->saved.out[CLI_OUT_CLEAN], fo->output) != 0) ||
        (fl->sk.have_quarantine && truncate_back(fl, fl->sk.quarantine.fd,
                                                 &fl->saved.out[CLI_OUT_QUARANTINE],
                                                 fo->quarantine) != 0) ||
        (fl->sk.have_audit &&
         truncate_back(fl, fl->sk.audit.fd, &fl->saved.out[CLI_OUT_AUDIT], fo->audit) != 0)) {
        return -1;
    }
    cli_sinks_ops(&fl->sk, &fl->ops);
    cli_follow_note_own(fl, fl->out.fd);
    cli_follow_note_own(fl, fl->sk.have_quarantine ? fl->sk.quarantine.fd : -1);
    cli_follow_note_own(fl, fl->sk.have_audit ? fl->sk.audit.fd : -1);
    cli_follow_note_own(fl, fl->lock_fd);
    return 0;
}

/* Close the sinks; quiet after a failure already reported. Returns 0 or -1. */
static int close_outputs(cli_follower_t *fl, int quiet)
{
    int rc = 0;

    if (fl->sk.have_quarantine && cli_writer_close(&fl->sk.quarantine) != 0) {
        if (!quiet) {
            fprintf(stderr, "logscrub: quarantine: %s\n", strerror(fl->sk.quarantine.saved_errno));
        }
        rc = -1;
    }
    if (fl->sk.have_audit && cli_writer_close(&fl->sk.audit) != 0) {
        if (!quiet) {
            fprintf(stderr, "logscrub: audit: %s\n", strerror(fl->sk.audit.saved_errno));
        }
        rc = -1;
    }
    if (fl->out.buf != NULL && cli_writer_close(&fl->out) != 0) {
        if (!quiet) {
            fprintf(stderr, "logscrub: output: %s\n", strerror(fl->out.saved_errno));
        }
        rc = -1;
    }
    return rc;
}

/* ---- reload -------------------------------------------------------------------------------- */

/* SIGHUP between rounds: a complete new rule set replaces the old one on every stream;
 * an invalid config (reported by cli_reload_take) keeps the old rules. */
static void maybe_reload(cli_follower_t *fl)
{
    scrub_ruleset_t *nrs = cli_reload_take(fl->reload);
    scrub_worker_t *nw;
    size_t i;

    if (nrs == NULL) {
        return;
    }
    nw = scrub_worker_new(nrs);
    if (nw == NULL || scrub_stats_rebind(fl->stats, nrs) != 0) {
        fl->reload->ok--;
        fl->reload->failed++;
        fprintf(stderr, "logscrub: reload failed, keeping the previous rules: out of memory\n");
        scrub_worker_destroy(nw);
        scrub_ruleset_unref(nrs);
        return;
    }
    for (i = 0; i < fl->nfiles; i++) {
        scrub_stream_set_worker(fl->files[i]->s, nw);
    }
    scrub_worker_destroy(fl->w);
    fl->w = nw;
    fl->sk.rs = nrs;
    scrub_ruleset_unref(*fl->rs);
    *fl->rs = nrs;
    if (fl->fo->verbose > 0) {
        fprintf(stderr, "logscrub: reloaded %s: %zu rules\n", fl->reload->cfg,
                scrub_ruleset_count(nrs));
    }
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void sleep_ms(unsigned ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    (void)nanosleep(&ts, NULL); /* a signal cuts it short, which is what we want */
}

static int setup(cli_follower_t *fl)
{
    const cli_follow_opts_t *fo = fl->fo;
    char msg[PATH_MAX + 256];
    int found = 0;

    fl->lock_fd = -1;
    fl->drain_ms = (uint64_t)fo->poll_ms * 10u;
    if (fl->drain_ms < CLI_FOLLOW_DRAIN_MS) {
        fl->drain_ms = CLI_FOLLOW_DRAIN_MS;
    }
    fl->buf = malloc(CLI_FOLLOW_READ);
    fl->w = scrub_worker_new(*fl->rs);
    fl->stats = scrub_stats_new(*fl->rs);
    fl->sk.rs = *fl->rs;
    fl->sk.quarantine.fd = -1;
    fl->sk.audit.fd = -1;
    if (fl->buf == NULL || fl->w == NULL || fl->stats == NULL) {
        fprintf(stderr, "logscrub: out of memory\n");
        return -1;
    }
    if (fo->state != NULL) {
        fl->lock_fd = cli_fstate_lock(fo->state, msg, sizeof(msg));
        if (fl->lock_fd < 0 || cli_fstate_load(fo->state, &fl->saved, &found, msg,
                                               sizeof(msg)) != 0) {
            fprintf(stderr, "logscrub: %s\n", msg);
            return -1;
        }
        if (fo->verbose > 0) {
            fprintf(stderr, "logscrub: %s: %s\n", fo->state,
                    found ? "resuming from the checkpoint" : "no checkpoint yet");
        }
    }
    return open_outputs(fl);
}

static void teardown(cli_follower_t *fl)
{
    size_t i;

    for (i = 0; i < fl->nfiles; i++) {
        cli_follow_file_free(fl->files[i]);
    }
    free(fl->files);
    scrub_worker_destroy(fl->w);
    scrub_stats_destroy(fl->stats);
    cli_fstate_clear(&fl->saved);
    cli_fstate_clear(&fl->cp);
    free(fl->buf);
    if (fl->lock_fd >= 0) {
        close(fl->lock_fd);
    }
}

/* Rounds until a signal or an error: reload, scan when due, read every file, commit.
 * Returns 0 or -1 after a message (a sink or checkpoint failure). */
static int loop(cli_follower_t *fl)
{
    const cli_follow_opts_t *fo = fl->fo;
    int rc;

    fl->first_scan = 1;
    rc = cli_follow_scan(fl);
    fl->first_scan = 0;
    if (rc != 0) {
        report_sink_error(fl, rc);
        return -1;
    }
    /* The first checkpoint records where everything starts, before any byte is read,
     * so a crash in the first round still truncates the outputs back. */
    if (commit(fl) != 0) {
        return -1;
    }
    while (!cli_stop_requested) {
        uint64_t now;
        int64_t got = 0;
        size_t i;
        maybe_reload(fl);
        now = cli_follow_now_ms();
        if (now - fl->last_scan_ms >= fo->poll_ms) {
            rc = cli_follow_scan(fl);
            if (rc != 0) {
                report_sink_error(fl, rc);
                return -1;
            }
        }
        for (i = 0; i < fl->nfiles && !cli_stop_requested; i++) {
            int64_t k = cli_follow_read(fl, fl->files[i], now);
            if (k < 0) {
                report_sink_error(fl, (int)k);
                return -1;
            }
            got += k;
        }
        rc = cli_follow_drop_idle(fl, now);
        if (rc != 0) {
            report_sink_error(fl, rc);
            return -1;
        }
        if (fl->dirty && commit(fl) != 0) {
            return -1;
        }
        if (got == 0 && !cli_stop_requested) {
            sleep_ms(fo->poll_ms);
        }
    }
    /* Stop: with a checkpoint, partial lines stay unread (a restart completes them);
     * without one they are flushed, as the pipe filter does at end of input. */
    if (fo->state == NULL) {
        size_t i;
        for (i = 0; i < fl->nfiles; i++) {
            rc = cli_follow_flush_partial(fl->files[i]);
            if (rc != 0) {
                report_sink_error(fl, rc);
                return -1;
            }
        }
    }
    return commit(fl);
}

int cli_follow_run(const cli_follow_opts_t *fo, scrub_ruleset_t **rs, cli_reload_ctx_t *reload)
{
    cli_follower_t fl;
    int exit_code = CLI_EXIT_OK;

    memset(&fl, 0, sizeof(fl));
    fl.fo = fo;
    fl.rs = rs;
    fl.reload = reload;
    if (fo->poll_ms == 0) {
        fprintf(stderr, "logscrub: --poll must be at least 1 ms\n");
        return CLI_EXIT_USAGE;
    }
    if (setup(&fl) != 0) {
        exit_code = CLI_EXIT_IO;
    }
    else if (loop(&fl) != 0) {
        exit_code = CLI_EXIT_IO;
    }
    if (close_outputs(&fl, exit_code != CLI_EXIT_OK) != 0) {
        exit_code = CLI_EXIT_IO;
    }
    if (fl.stats != NULL) {
        const scrub_counts_t *c = scrub_stats_counts(fl.stats);
        if (fo->stats) {
            char *json = scrub_stats_json(fl.stats, *rs);
            if (json != NULL) {
                fprintf(stderr, "%s\n", json);
                free(json);
            }
        }
        if (exit_code == CLI_EXIT_OK &&
            (c->failed_closed > 0 || (fo->fail_on_find && c->findings > 0))) {
            exit_code = CLI_EXIT_FOUND;
        }
    }
    if (fo->verbose > 0) {
        fprintf(stderr, "logscrub: follow: %lu checkpoints (%lu put off in a key block), "
                "%u reloads, %u refused\n", fl.commits, fl.held, reload->ok, reload->failed);
    }
    teardown(&fl);
    return exit_code;
}
