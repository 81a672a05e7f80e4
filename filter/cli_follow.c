/* cli_follow: follow mode (tail -F): appended data, rotation, new files, checkpoints, reload. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"
#include "cli_follow_state.h"
#include "cli_out.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * How it works. Every poll interval the FILE/GLOB arguments are expanded
 * again and each match is stat'ed. A followed file is identified by
 * dev/inode plus a fingerprint of its first bytes (up to CLI_FP_MAX), never
 * by its path, so:
 *
 *  - rename rotation: the path now names a new inode, which is followed from
 *    offset 0; the old inode keeps its fd and is read to EOF, and dropped
 *    once it has been idle for DRAIN_MS (a writer that has not reopened yet
 *    may still append to it). If the glob also matches the rotated name
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
 * stream's carry, and only --flush-timeout (or the end of an oversized
 * record's available bytes) turns them into a record early.
 *
 * Checkpoint protocol (commit): after a round of reads, flush the clean,
 * quarantine and audit writers, fsync them with --fsync, then write the
 * state file atomically with every file's committed offset and the sizes of
 * the files logscrub owns (-o, quarantine, audit). Any write error stops
 * everything before the checkpoint moves (exit 3). On restart the owned
 * files are truncated back to the recorded sizes and every file resumes at
 * its committed offset, so the records after the last checkpoint are
 * written exactly once again. On stdout nothing can be taken back: the
 * records written after the last checkpoint are repeated.
 *
 * Start position of a file not in the checkpoint: with --state, offset 0
 * (nothing is skipped: the file is new since the last checkpoint). Without
 * --state, files present at startup are read from the end of their last
 * complete line, like `tail -F -n 0` (there is no checkpoint, so reading
 * from the start would repeat the whole file at every restart); files that
 * appear later are read from offset 0.
 */

#define READ_SIZE (1024 * 1024)         /* one pread */
#define ROUND_BYTES (8 * 1024 * 1024)   /* per file and round, then others get a turn */
#define WRITE_BUF (256 * 1024)          /* clean output staging */
#define DRAIN_MIN_MS 2000               /* a rotated-away or deleted file stays open this long
                                           after its last new byte (at least 10 polls) */

/* ---- types --------------------------------------------------------------------------- */

/* Per-file sink shim: quarantine/audit offsets count from the start of the file even
 * when the stream started at a checkpoint offset. */
typedef struct fsink {
    const scrub_sink_ops_t *inner;  /* the shared sinks (borrowed) */
    uint64_t base;                  /* file offset of the stream's first byte */
} fsink_t;

typedef struct ffile {
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
    fsink_t sink;               /* the stream's sink shim */
    scrub_sink_ops_t ops;       /* the shim's callbacks (ctx = &sink) */
    int seen;                   /* matched by the current scan */
    int orphan;                 /* no longer at any followed path: drain, then drop */
    int read_err;               /* a read error was reported (once per file) */
    uint64_t last_data_ms;      /* when bytes last arrived (drain timer) */
    uint64_t pend_since_ms;     /* when the current partial line began waiting, 0 = none */
} ffile_t;

typedef struct follower {
    const cli_follow_opts_t *fo;    /* options (borrowed) */
    scrub_ruleset_t **rs;           /* current rule set (the caller's reference) */
    cli_reload_ctx_t *reload;       /* SIGHUP context */
    scrub_worker_t *w;              /* the one worker all streams share */
    scrub_stats_t *stats;           /* counters */
    cli_writer_t out;               /* clean output */
    int out_owned;                  /* -o FILE: recorded and truncated back on restart */
    cli_sinks_t sk;                 /* quarantine + audit (+ clean) sinks */
    scrub_sink_ops_t ops;           /* the shared sink callbacks */
    ffile_t **files;                /* followed files, oldest first */
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
} follower_t;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- sink shim -------------------------------------------------------------------------- */

static int fs_clean(void *ctx, const uint8_t *p, size_t n)
{
    fsink_t *fs = ctx;

    return fs->inner->clean(fs->inner->ctx, p, n);
}

static int fs_quarantine(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                         const uint8_t *rec, size_t len)
{
    fsink_t *fs = ctx;
    scrub_origin_t o2 = *o;

    o2.offset += fs->base;
    return fs->inner->quarantine(fs->inner->ctx, &o2, res, rec, len);
}

static int fs_audit(void *ctx, const scrub_origin_t *o, const scrub_finding_t *f,
                    const uint8_t *rec, size_t len)
{
    fsink_t *fs = ctx;
    scrub_origin_t o2 = *o;

    o2.offset += fs->base;
    return fs->inner->audit(fs->inner->ctx, &o2, f, rec, len);
}

/* ---- messages ----------------------------------------------------------------------------- */

/* Name the sink that failed (never any record content). */
static void report_sink_error(follower_t *fl, int rc)
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

/* ---- files ----------------------------------------------------------------------------- */

static void file_free(ffile_t *f)
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
 * head fingerprint matching either way), else 0 or, without --state at startup, its end. */
static uint64_t start_offset(follower_t *fl, const char *path, int fd, const struct stat *sb)
{
    cli_fstate_file_t *e = NULL;
    size_t i;

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
        return e->offset;
    }
    if (fl->fo->state == NULL && fl->first_scan) {
        return last_line_end(fd, (uint64_t)sb->st_size, fl->buf);
    }
    return 0;
}

static int add_file(follower_t *fl, const char *path, int fd, const struct stat *sb)
{
    ffile_t *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        close(fd);
        return -1;
    }
    f->fd = fd;
    f->name = strdup(path);
    f->path = strdup(path);
    if (f->name == NULL || f->path == NULL) {
        file_free(f);
        return -1;
    }
    if (fl->nfiles == fl->cap) {
        size_t ncap = fl->cap ? fl->cap * 2 : 16;
        ffile_t **n = realloc(fl->files, ncap * sizeof(*n));
        if (n == NULL) {
            file_free(f);
            return -1;
        }
        fl->files = n;
        fl->cap = ncap;
    }
    f->dev = (uint64_t)sb->st_dev;
    f->ino = (uint64_t)sb->st_ino;
    f->off = start_offset(fl, path, fd, sb);
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
        file_free(f);
        return -1;
    }
    f->seen = 1;
    f->last_data_ms = now_ms();
    fl->files[fl->nfiles++] = f;
    fl->dirty = 1;
    if (fl->fo->verbose > 0) {
        fprintf(stderr, "logscrub: following %s from offset %llu\n", path,
                (unsigned long long)f->off);
    }
    return 0;
}

/* Feed the partial line waiting in the stream as a record of its own. */
static int flush_partial(ffile_t *f)
{
    int rc;

    if (f->off == f->committed) {
        return 0;
    }
    rc = scrub_stream_finish(f->s);
    f->committed = f->off;
    f->pend_since_ms = 0;
    return rc;
}

/* Same inode, new content (copytruncate): start over at offset 0. */
static int restart_file(follower_t *fl, ffile_t *f)
{
    int rc = flush_partial(f);

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
static int check_truncated(follower_t *fl, ffile_t *f)
{
    struct stat sb;

    if (fstat(f->fd, &sb) != 0) {
        return 0;
    }
    if ((uint64_t)sb.st_size < f->off || (f->fp_len > 0 && !head_matches(f->fd, f->fp_len, f->fp))) {
        return restart_file(fl, f);
    }
    return 0;
}

static ffile_t *find_file(follower_t *fl, const struct stat *sb)
{
    size_t i;

    for (i = 0; i < fl->nfiles; i++) {
        if (fl->files[i]->dev == (uint64_t)sb->st_dev && fl->files[i]->ino == (uint64_t)sb->st_ino) {
            return fl->files[i];
        }
    }
    return NULL;
}

/* One path found by the scan: mark its file seen, or start following it. */
static int scan_path(follower_t *fl, const char *path)
{
    struct stat sb;
    ffile_t *f;
    int fd;

    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        return 0;
    }
    f = find_file(fl, &sb);
    if (f != NULL) {
        if (f->orphan && fl->fo->verbose > 0) {
            fprintf(stderr, "logscrub: %s: followed again as %s\n", f->path, path);
        }
        f->seen = 1;
        f->orphan = 0;
        if (strcmp(f->path, path) != 0) {
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
static int scan(follower_t *fl)
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
    if (rc != 0) {
        return SCRUB_ENOMEM;
    }
    for (i = 0; i < fl->nfiles; i++) {
        ffile_t *f = fl->files[i];
        if (!f->seen && !f->orphan) {
            f->orphan = 1;
            f->last_data_ms = now_ms();
            if (fl->fo->verbose > 0) {
                fprintf(stderr, "logscrub: %s: rotated away or deleted; reading it to the end\n",
                        f->path);
            }
        }
    }
    fl->last_scan_ms = now_ms();
    return rc;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Read what is new in f and feed it. Returns bytes read (>= 0) or a negative sink error. */
static int64_t read_file(follower_t *fl, ffile_t *f, uint64_t now)
{
    size_t maxrec = scrub_ruleset_max_record(*fl->rs);
    int64_t total = 0;
    int rc, moved = 0;

    rc = check_truncated(fl, f);
    if (rc != 0) {
        return rc;
    }
    for (;;) {
        const uint8_t *nl;
        ssize_t k;
        /* Never leave a file inside an oversized record: its pieces are going to the
         * shared quarantine file and must not interleave with another file's records. */
        if (total >= ROUND_BYTES && f->off - f->committed <= maxrec) {
            break;
        }
        k = pread(f->fd, fl->buf, READ_SIZE, (off_t)f->off);
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
            moved = 1;
        }
        total += k;
    }
    if (total > 0) {
        f->last_data_ms = now;
        if (f->fp_len < CLI_FP_MAX) {
            (void)head_fp(f->fd, 0, &f->fp, &f->fp_len);
            fl->dirty = 1;
        }
    }
    if (f->off == f->committed) {
        f->pend_since_ms = 0;
        return total;
    }
    /* A partial line is waiting (a new one when a newline arrived in this round). */
    if (moved || (total > 0 && f->pend_since_ms == 0)) {
        f->pend_since_ms = now;
    }
    if (f->off - f->committed > maxrec ||
        (fl->fo->flush_timeout_ms > 0 && f->pend_since_ms != 0 &&
         now - f->pend_since_ms >= fl->fo->flush_timeout_ms)) {
        fl->dirty = 1;
        rc = flush_partial(f);
        if (rc != 0) {
            return rc;
        }
    }
    return total;
}

/* Drop orphans that have been idle for the drain period (their partial line, if any,
 * becomes a record: nothing else will ever complete it). */
static int drop_idle(follower_t *fl, uint64_t now)
{
    size_t i = 0;
    int rc;

    while (i < fl->nfiles) {
        ffile_t *f = fl->files[i];
        if (!f->orphan || now - f->last_data_ms < fl->drain_ms) {
            i++;
            continue;
        }
        rc = flush_partial(f);
        if (rc != 0) {
            return rc;
        }
        if (fl->fo->verbose > 0) {
            fprintf(stderr, "logscrub: %s: done (rotated away or deleted)\n", f->path);
        }
        file_free(f);
        memmove(&fl->files[i], &fl->files[i + 1], (fl->nfiles - i - 1) * sizeof(*fl->files));
        fl->nfiles--;
        fl->dirty = 1;
    }
    return 0;
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
static int commit(follower_t *fl)
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
    if (fl->fo->fsync && (sync_fd(fl->out.fd, "output") != 0 ||
                          (fl->sk.have_quarantine && sync_fd(fl->sk.quarantine.fd, "quarantine") != 0) ||
                          (fl->sk.have_audit && sync_fd(fl->sk.audit.fd, "audit") != 0))) {
        return -1;
    }
    fl->dirty = 0;
    if (fl->fo->state == NULL) {
        return 0;
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
        ffile_t *f = fl->files[i];
        rc = cli_fstate_add(&fl->cp, f->dev, f->ino, f->committed, f->fp_len, f->fp, f->path);
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
static int truncate_back(follower_t *fl, int fd, const cli_fstate_out_t *o, const char *what)
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

static int open_outputs(follower_t *fl)
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
    if (cli_writer_init(&fl->out, fd, fd != STDOUT_FILENO, WRITE_BUF) != 0) {
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
    return 0;
}

static int close_outputs(follower_t *fl)
{
    int rc = 0;

    if (fl->sk.have_quarantine && cli_writer_close(&fl->sk.quarantine) != 0) {
        fprintf(stderr, "logscrub: quarantine: %s\n", strerror(fl->sk.quarantine.saved_errno));
        rc = -1;
    }
    if (fl->sk.have_audit && cli_writer_close(&fl->sk.audit) != 0) {
        fprintf(stderr, "logscrub: audit: %s\n", strerror(fl->sk.audit.saved_errno));
        rc = -1;
    }
    if (fl->out.buf != NULL && cli_writer_close(&fl->out) != 0) {
        fprintf(stderr, "logscrub: output: %s\n", strerror(fl->out.saved_errno));
        rc = -1;
    }
    return rc;
}

/* ---- reload -------------------------------------------------------------------------------- */

/* SIGHUP between rounds: a complete new rule set replaces the old one on every stream;
 * an invalid config (reported by cli_reload_take) keeps the old rules. */
static void maybe_reload(follower_t *fl)
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

static int setup(follower_t *fl)
{
    const cli_follow_opts_t *fo = fl->fo;
    char msg[PATH_MAX + 256];
    int found = 0;

    fl->lock_fd = -1;
    fl->drain_ms = fo->poll_ms * 10u > DRAIN_MIN_MS ? fo->poll_ms * 10u : DRAIN_MIN_MS;
    fl->buf = malloc(READ_SIZE);
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

static void teardown(follower_t *fl)
{
    size_t i;

    for (i = 0; i < fl->nfiles; i++) {
        file_free(fl->files[i]);
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
static int loop(follower_t *fl)
{
    const cli_follow_opts_t *fo = fl->fo;
    int rc;

    fl->first_scan = 1;
    rc = scan(fl);
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
        now = now_ms();
        if (now - fl->last_scan_ms >= fo->poll_ms) {
            rc = scan(fl);
            if (rc != 0) {
                report_sink_error(fl, rc);
                return -1;
            }
        }
        for (i = 0; i < fl->nfiles && !cli_stop_requested; i++) {
            int64_t k = read_file(fl, fl->files[i], now);
            if (k < 0) {
                report_sink_error(fl, (int)k);
                return -1;
            }
            got += k;
        }
        rc = drop_idle(fl, now);
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
            rc = flush_partial(fl->files[i]);
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
    follower_t fl;
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
    if (close_outputs(&fl) != 0) {
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
        fprintf(stderr, "logscrub: follow: %lu checkpoints, %u reloads, %u refused\n",
                fl.commits, reload->ok, reload->failed);
    }
    teardown(&fl);
    return exit_code;
}
