/* cli_follow_files: follow mode's followed files: discovery, identity, rotation, reading. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli_follow_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t cli_follow_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- sink shim -------------------------------------------------------------------------- */

static int fs_clean(void *ctx, const uint8_t *p, size_t n)
{
    cli_fsink_t *fs = ctx;

    return fs->inner->clean(fs->inner->ctx, p, n);
}

static int fs_quarantine(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                         const uint8_t *rec, size_t len)
{
    cli_fsink_t *fs = ctx;
    scrub_origin_t o2 = *o;

    o2.offset += fs->base;
    return fs->inner->quarantine(fs->inner->ctx, &o2, res, rec, len);
}

static int fs_audit(void *ctx, const scrub_origin_t *o, const scrub_finding_t *f,
                    const uint8_t *rec, size_t len)
{
    cli_fsink_t *fs = ctx;
    scrub_origin_t o2 = *o;

    o2.offset += fs->base;
    return fs->inner->audit(fs->inner->ctx, &o2, f, rec, len);
}

/* ---- files ----------------------------------------------------------------------------- */

void cli_follow_file_free(cli_ffile_t *f)
{
    if (f == NULL) {
        return;
    }
    scrub_stream_destroy(f->s);
    if (f->fd >= 0) {
        close(f->fd);
    }
    free(f->name);
    free(f->path);
    free(f);
}

/* Fingerprint of the first min(size, CLI_FP_MAX) bytes (or exactly want bytes when
 * want > 0). Returns 0, or -1 when fewer than want bytes could be read. */
static int head_fp(int fd, uint32_t want, uint64_t *fp, uint32_t *fp_len)
{
    uint8_t head[CLI_FP_MAX];
    size_t got = 0;

    while (got < (want ? want : CLI_FP_MAX)) {
        ssize_t k = pread(fd, head + got, (want ? want : CLI_FP_MAX) - got, (off_t)got);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            break;
        }
        got += (size_t)k;
    }
    if (want > 0 && got < want) {
        return -1;
    }
    *fp = cli_fp_hash(head, got);
    *fp_len = (uint32_t)got;
    return 0;
}

/* 1 when the file's first e_len bytes hash to e_fp. */
static int head_matches(int fd, uint32_t e_len, uint64_t e_fp)
{
    uint64_t fp;
    uint32_t len;

    return head_fp(fd, e_len, &fp, &len) == 0 && len == e_len && fp == e_fp;
}

/* Offset just past the last newline before size (looking back at most 64 KiB), or size. */
static uint64_t last_line_end(int fd, uint64_t size, uint8_t *buf)
{
    size_t n = size > 65536 ? 65536 : (size_t)size;
    ssize_t k;
    const uint8_t *nl;

    if (n == 0) {
        return size;
    }
    k = pread(fd, buf, n, (off_t)(size - n));
    if (k != (ssize_t)n) {
        return size;
    }
    nl = memrchr(buf, '\n', n);
    return nl ? size - n + (uint64_t)(nl - buf) + 1 : size;
}

/* Where a newly seen file starts: its checkpoint entry (by dev/inode, else by path, the
 * head fingerprint matching either way), else 0 or, without --state at startup, its end.
 * *in_over: the start is inside an oversized record (the entry says so). */
static uint64_t start_offset(cli_follower_t *fl, const char *path, int fd,
                             const struct stat *sb, int *in_over)
{
    cli_fstate_file_t *e = NULL;
    size_t i;

    *in_over = 0;
    for (i = 0; i < fl->saved.nfiles && e == NULL; i++) {
        cli_fstate_file_t *c = &fl->saved.files[i];
        if (!c->used && c->dev == (uint64_t)sb->st_dev && c->ino == (uint64_t)sb->st_ino &&
            head_matches(fd, c->fp_len, c->fp)) {
            e = c;
        }
    }
    for (i = 0; i < fl->saved.nfiles && e == NULL; i++) {
        cli_fstate_file_t *c = &fl->saved.files[i];
        if (!c->used && strcmp(c->path, path) == 0 && head_matches(fd, c->fp_len, c->fp)) {
            e = c;
        }
    }
    if (e != NULL) {
        e->used = 1;
        if (e->offset > (uint64_t)sb->st_size) {
            if (fl->fo->verbose >= 0) {
                fprintf(stderr, "logscrub: %s: shorter than at the checkpoint (truncated?); "
                                "reading from the start\n", path);
            }
            return 0;
        }
        *in_over = e->in_over;
        return e->offset;
    }
    if (fl->fo->state == NULL && fl->first_scan) {
        return last_line_end(fd, (uint64_t)sb->st_size, fl->buf);
    }
    return 0;
}

static int add_file(cli_follower_t *fl, const char *path, int fd, const struct stat *sb)
{
    cli_ffile_t *f = calloc(1, sizeof(*f));
    int in_over;

    if (f == NULL) {
        close(fd);
        return -1;
    }
    f->fd = fd;
    f->name = strdup(path);
    f->path = strdup(path);
    if (f->name == NULL || f->path == NULL) {
        cli_follow_file_free(f);
        return -1;
    }
    if (fl->nfiles == fl->cap) {
        size_t ncap = fl->cap ? fl->cap * 2 : 16;
        cli_ffile_t **n = realloc(fl->files, ncap * sizeof(*n));
        if (n == NULL) {
            cli_follow_file_free(f);
            return -1;
        }
        fl->files = n;
        fl->cap = ncap;
    }
    f->dev = (uint64_t)sb->st_dev;
    f->ino = (uint64_t)sb->st_ino;
    f->off = start_offset(fl, path, fd, sb, &in_over);
    f->committed = f->off;
    (void)head_fp(fd, 0, &f->fp, &f->fp_len);
    f->sink.inner = &fl->ops;
    f->sink.base = f->off;
    f->ops.clean = fs_clean;
    f->ops.quarantine = fl->ops.quarantine ? fs_quarantine : NULL;
    f->ops.audit = fl->ops.audit ? fs_audit : NULL;
    f->ops.ctx = &f->sink;
    f->s = scrub_stream_new(fl->w, &f->ops, fl->stats, f->name);
    if (f->s == NULL) {
        cli_follow_file_free(f);
        return -1;
    }
    if (in_over) {
        /* The checkpoint was taken inside an oversized record: its rest up to the
         * newline is quarantined, never scanned as a record of its own. */
        scrub_stream_enter_oversize(f->s);
    }
    f->seen = 1;
    f->last_data_ms = cli_follow_now_ms();
    fl->files[fl->nfiles++] = f;
    fl->dirty = 1;
    if (fl->fo->verbose > 0) {
        fprintf(stderr, "logscrub: following %s from offset %llu\n", path,
                (unsigned long long)f->off);
    }
    return 0;
}

/* Feed the partial line waiting in the stream as a record of its own, or end the
 * oversized record in progress (its bytes are all in the quarantine already). */
int cli_follow_flush_partial(cli_ffile_t *f)
{
    int rc;

    if (f->off == f->committed && !scrub_stream_in_oversize(f->s)) {
        return 0;
    }
    rc = scrub_stream_finish(f->s);
    f->committed = f->off;
    f->pend_since_ms = 0;
    return rc;
}

/* Same inode, new content (copytruncate): start over at offset 0. */
static int restart_file(cli_follower_t *fl, cli_ffile_t *f)
{
    int rc = cli_follow_flush_partial(f);

    if (fl->fo->verbose > 0) {
        fprintf(stderr, "logscrub: %s: truncated, reading from the start\n", f->path);
    }
    scrub_stream_set_origin(f->s, f->name);
    f->off = f->committed = 0;
    f->sink.base = 0;
    (void)head_fp(f->fd, 0, &f->fp, &f->fp_len);
    fl->dirty = 1;
    return rc;
}

/* A followed file was truncated or rewritten in place when it is now shorter than what
 * was read, or its head no longer hashes to the fingerprint. */
static int check_truncated(cli_follower_t *fl, cli_ffile_t *f)
{
    struct stat sb;

    if (fstat(f->fd, &sb) != 0) {
        return 0;
    }
    if ((uint64_t)sb.st_size < f->off ||
        (f->fp_len > 0 && !head_matches(f->fd, f->fp_len, f->fp))) {
        return restart_file(fl, f);
    }
    return 0;
}

static cli_ffile_t *find_file(cli_follower_t *fl, const struct stat *sb)
{
    size_t i;

    for (i = 0; i < fl->nfiles; i++) {
        cli_ffile_t *f = fl->files[i];
        if (f->dev == (uint64_t)sb->st_dev && f->ino == (uint64_t)sb->st_ino) {
            return f;
        }
    }
    return NULL;
}

/* 1 for logscrub's own files (outputs, checkpoint, lock), which a broad glob may match:
 * following them would feed the output back into itself. */
static int is_own(const cli_follower_t *fl, const char *path, const struct stat *sb)
{
    const char *st = fl->fo->state;
    size_t i, n;

    for (i = 0; i < fl->nown; i++) {
        if (fl->own[i].st_dev == sb->st_dev && fl->own[i].st_ino == sb->st_ino) {
            return 1;
        }
    }
    if (st == NULL) {
        return 0;
    }
    n = strlen(st);
    return strncmp(path, st, n) == 0 && (path[n] == '\0' || strcmp(path + n, ".tmp") == 0);
}

void cli_follow_note_own(cli_follower_t *fl, int fd)
{
    if (fd >= 0 && fl->nown < sizeof(fl->own) / sizeof(fl->own[0]) &&
        fstat(fd, &fl->own[fl->nown]) == 0 && S_ISREG(fl->own[fl->nown].st_mode)) {
        fl->nown++;
    }
}

/* 1 when path still names f (a file reachable under two names keeps the first one, so
 * the checkpoint does not change at every scan). */
static int names_file(const char *path, const cli_ffile_t *f)
{
    struct stat sb;

    return stat(path, &sb) == 0 && (uint64_t)sb.st_dev == f->dev && (uint64_t)sb.st_ino == f->ino;
}

/* One path found by the scan: mark its file seen, or start following it. */
static int scan_path(cli_follower_t *fl, const char *path)
{
    struct stat sb;
    cli_ffile_t *f;
    int fd;

    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || is_own(fl, path, &sb)) {
        return 0;
    }
    f = find_file(fl, &sb);
    if (f != NULL) {
        if (f->orphan && fl->fo->verbose > 0) {
            fprintf(stderr, "logscrub: %s: followed again as %s\n", f->path, path);
        }
        f->seen = 1;
        f->orphan = 0;
        if (strcmp(f->path, path) != 0 && !names_file(f->path, f)) {
            char *p = strdup(path);
            if (p != NULL) {
                free(f->path);
                f->path = p;
                fl->dirty = 1;
            }
        }
        return 0;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT && fl->fo->verbose >= 0) {
            fprintf(stderr, "logscrub: %s: %s\n", path, strerror(errno));
        }
        return 0;
    }
    /* The path may have changed between stat and open: trust the fd. */
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || find_file(fl, &sb) != NULL) {
        close(fd);
        return 0;
    }
    if (add_file(fl, path, fd, &sb) != 0) {
        fprintf(stderr, "logscrub: %s: out of memory\n", path);
        return -1;
    }
    return 0;
}

/* Expand every FILE/GLOB, pick up new files, notice rotated-away and deleted ones.
 * Returns 0 or SCRUB_ENOMEM. */
/* Follow dir/name if it is checkpoint entry e's file (same dev/inode and head) with
 * unread bytes. It is not at any followed path, so it drains and is dropped. */
static int rescue_one(cli_follower_t *fl, const cli_fstate_file_t *e, const char *dir,
                      const char *name)
{
    char path[PATH_MAX];
    struct stat sb;
    int fd;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
        return 0;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return 0;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_dev != e->dev ||
        (uint64_t)sb.st_ino != e->ino || (uint64_t)sb.st_size <= e->offset ||
        !head_matches(fd, e->fp_len, e->fp) || is_own(fl, path, &sb)) {
        close(fd);
        return 0;
    }
    if (fl->fo->verbose > 0) {
        fprintf(stderr, "logscrub: %s: rotated away since the checkpoint; reading the rest of it\n",
                path);
    }
    if (add_file(fl, path, fd, &sb) != 0) {
        return -1;
    }
    fl->files[fl->nfiles - 1]->seen = 0; /* not at a followed path: drain it */
    return 0;
}

/*
 * At startup, a checkpointed file that no FILE/GLOB matches any more was most likely
 * rotated by rename while logscrub was down (app.log -> app.log.1 with a glob of
 * just app.log). Look for its inode in the directory it was last seen in, so the
 * bytes after its committed offset are still delivered.
 */
static int rescue_rotated(cli_follower_t *fl)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < fl->saved.nfiles && rc == 0; i++) {
        const cli_fstate_file_t *e = &fl->saved.files[i];
        char dir[PATH_MAX];
        const char *dn;
        struct dirent *de;
        DIR *d;
        if (e->used || strlen(e->path) >= sizeof(dir)) {
            continue;
        }
        strcpy(dir, e->path);
        dn = dirname(dir); /* may return a static "." instead of editing dir */
        d = opendir(dn);
        if (d == NULL) {
            continue;
        }
        while (rc == 0 && !e->used && (de = readdir(d)) != NULL) {
            struct stat sb;
            if (fstatat(dirfd(d), de->d_name, &sb, 0) == 0 && (uint64_t)sb.st_ino == e->ino &&
                (uint64_t)sb.st_dev == e->dev) {
                rc = rescue_one(fl, e, dn, de->d_name);
            }
        }
        closedir(d);
    }
    return rc;
}

int cli_follow_scan(cli_follower_t *fl)
{
    size_t i, j;
    int rc = 0;

    for (i = 0; i < fl->nfiles; i++) {
        fl->files[i]->seen = 0;
    }
    for (i = 0; i < fl->fo->npaths && rc == 0; i++) {
        const char *pat = fl->fo->paths[i];
        glob_t g;
        int gr;
        rc = scan_path(fl, pat); /* a literal name with [ or * in it still works */
        memset(&g, 0, sizeof(g));
        gr = glob(pat, GLOB_NOSORT, NULL, &g);
        if (gr == 0) {
            for (j = 0; j < g.gl_pathc && rc == 0; j++) {
                if (strcmp(g.gl_pathv[j], pat) != 0) {
                    rc = scan_path(fl, g.gl_pathv[j]);
                }
            }
        }
        else if (gr == GLOB_NOSPACE) {
            fprintf(stderr, "logscrub: %s: out of memory expanding the pattern\n", pat);
        }
        globfree(&g);
    }
    if (rc == 0 && fl->first_scan) {
        rc = rescue_rotated(fl);
    }
    if (rc != 0) {
        return SCRUB_ENOMEM;
    }
    for (i = 0; i < fl->nfiles; i++) {
        cli_ffile_t *f = fl->files[i];
        if (!f->seen && !f->orphan) {
            f->orphan = 1;
            f->last_data_ms = cli_follow_now_ms();
            if (fl->fo->verbose > 0) {
                fprintf(stderr, "logscrub: %s: rotated away or deleted; reading it to the end\n",
                        f->path);
            }
        }
    }
    fl->last_scan_ms = cli_follow_now_ms();
    return rc;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Read and feed everything available (at most CLI_FOLLOW_ROUND bytes, unless inside an
 * oversized record). Adds to *total, sets *moved when the committed offset moved.
 * Returns 0 or a sink error. */
static int read_avail(cli_follower_t *fl, cli_ffile_t *f, int64_t *total, int *moved)
{
    int64_t got = 0;
    int rc;

    for (;;) {
        const uint8_t *nl;
        ssize_t k;
        /* Inside an oversized record, read on: its bytes go straight to the quarantine,
         * and each break costs its entry a pause (cli_follow_read). */
        if (got >= CLI_FOLLOW_ROUND && !scrub_stream_in_oversize(f->s)) {
            break;
        }
        k = pread(f->fd, fl->buf, CLI_FOLLOW_READ, (off_t)f->off);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (!f->read_err && fl->fo->verbose >= 0) {
                fprintf(stderr, "logscrub: %s: read error: %s\n", f->path, strerror(errno));
            }
            f->read_err = 1;
            break;
        }
        if (k == 0) {
            break;
        }
        /* Truncated and rewritten between the check and the read? Then these bytes are
         * from the middle of the new content: drop them and start over at 0. */
        if (f->fp_len > 0 && !head_matches(f->fd, f->fp_len, f->fp)) {
            rc = restart_file(fl, f);
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        f->read_err = 0;
        rc = scrub_stream_feed(f->s, fl->buf, (size_t)k);
        if (rc != 0) {
            return rc;
        }
        nl = memrchr(fl->buf, '\n', (size_t)k);
        f->off += (uint64_t)k;
        if (nl != NULL) {
            f->committed = f->off - (uint64_t)k + (uint64_t)(nl - fl->buf) + 1;
            fl->dirty = 1;
            *moved = 1;
        }
        got += k;
    }
    *total += got;
    return 0;
}

static void nap_ms(unsigned ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    (void)nanosleep(&ts, NULL);
}

/* End of f's round inside an oversized record. The quarantine entry is closed, so the
 * shared quarantine file holds whole lines for the other files' records and at the
 * checkpoint, which records the offset as inside the record (cli_follow.c, commit).
 * The record itself stays open until its newline. 0 or a sink error. */
static int pause_oversize(cli_follower_t *fl, cli_ffile_t *f, int64_t total)
{
    f->pend_since_ms = 0;
    if (total > 0) {
        fl->dirty = 1; /* the checkpoint's offset moves with the quarantined bytes */
    }
    return scrub_stream_pause_oversize(f->s);
}

int64_t cli_follow_read(cli_follower_t *fl, cli_ffile_t *f, uint64_t now)
{
    size_t maxrec = scrub_ruleset_max_record(*fl->rs);
    int64_t total = 0;
    uint64_t deadline = now + CLI_FOLLOW_OVERSIZE_WAIT_MS;
    int rc, moved = 0;

    rc = check_truncated(fl, f);
    rc = rc ? rc : read_avail(fl, f, &total, &moved);
    /* Bytes of an oversized record came in this round and its newline has not: the writer
     * is most likely still writing that line, so wait a little for the newline (this file
     * only: the shared quarantine is in the middle of its entry) before pausing the entry.
     * A round without new bytes does not wait: the entry is closed already. */
    while (rc == 0 && total > 0 && scrub_stream_in_oversize(f->s) && !cli_stop_requested &&
           cli_follow_now_ms() < deadline) {
        nap_ms(10);
        rc = read_avail(fl, f, &total, &moved);
    }
    if (rc != 0) {
        return rc;
    }
    if (total > 0) {
        f->last_data_ms = now;
        if (f->fp_len < CLI_FP_MAX) {
            (void)head_fp(f->fd, 0, &f->fp, &f->fp_len);
            fl->dirty = 1;
        }
    }
    if (scrub_stream_in_oversize(f->s)) {
        rc = pause_oversize(fl, f, total);
        return rc ? rc : total;
    }
    if (f->off == f->committed) {
        f->pend_since_ms = 0;
        return total;
    }
    /* A partial line is waiting (a new one when a newline arrived in this round), at
     * most max_record + 2 bytes: a longer one is an oversized record (above). One over
     * max_record is already too long to scan, so --flush-timeout never splits it: it
     * waits for its newline, which makes it an oversized record or, after a '\r', one
     * of exactly max_record. */
    if (moved || (total > 0 && f->pend_since_ms == 0)) {
        f->pend_since_ms = now;
    }
    if (fl->fo->flush_timeout_ms > 0 && f->pend_since_ms != 0 &&
        f->off - f->committed <= maxrec && now - f->pend_since_ms >= fl->fo->flush_timeout_ms) {
        fl->dirty = 1;
        rc = cli_follow_flush_partial(f);
        if (rc != 0) {
            return rc;
        }
    }
    return total;
}

/* Drop orphans that have been idle for the drain period (their partial line, if any,
 * becomes a record: nothing else will ever complete it). */
int cli_follow_drop_idle(cli_follower_t *fl, uint64_t now)
{
    size_t i = 0;
    int rc;

    while (i < fl->nfiles) {
        cli_ffile_t *f = fl->files[i];
        /* last_data_ms may be later than the round's `now` (set by the scan). */
        if (!f->orphan || now < f->last_data_ms + fl->drain_ms) {
            i++;
            continue;
        }
        rc = cli_follow_flush_partial(f);
        if (rc != 0) {
            return rc;
        }
        if (fl->fo->verbose > 0) {
            fprintf(stderr, "logscrub: %s: done (rotated away or deleted)\n", f->path);
        }
        cli_follow_file_free(f);
        memmove(&fl->files[i], &fl->files[i + 1], (fl->nfiles - i - 1) * sizeof(*fl->files));
        fl->nfiles--;
        fl->dirty = 1;
    }
    return 0;
}
