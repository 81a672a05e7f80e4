/* cli_follow_state: the follow-mode checkpoint file (per-file offsets, owned output sizes). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli_follow_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The checkpoint is a small text file, rewritten whole at every commit:
 *
 *   logscrub-follow-state 1
 *   out clean DEV INO SIZE          (one line per owned output: clean, quarantine, audit)
 *   file DEV INO OFFSET FPLEN FPHEX PATH
 *   over DEV INO OFFSET FPLEN FPHEX PATH   (OFFSET is inside an oversized record)
 *   end
 *
 * Numbers are decimal except FPHEX (16 hex digits). PATH is the rest of the
 * line with '%', controls, spaces and non-ASCII bytes written as %XX, so any
 * path round-trips. "end" proves the file is complete (the rename already
 * guarantees it; the check costs nothing). It never holds log content.
 * An "over" line is a "file" line whose OFFSET falls inside an oversized
 * record: the bytes up to its newline are the rest of that record and go to
 * the quarantine. An older logscrub refuses such a checkpoint as malformed
 * rather than read that rest as a clean record.
 */

#define STATE_MAGIC "logscrub-follow-state 1"

static const char *const out_names[CLI_OUT_N] = {"clean", "quarantine", "audit"};

uint64_t cli_fp_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- entries ---------------------------------------------------------------- */

int cli_fstate_add(cli_fstate_t *st, uint64_t dev, uint64_t ino, uint64_t offset, int in_over,
                   uint32_t fp_len, uint64_t fp, const char *path)
{
    cli_fstate_file_t *f;

    if (st->nfiles == st->cap) {
        size_t ncap = st->cap ? st->cap * 2 : 16;
        cli_fstate_file_t *n = realloc(st->files, ncap * sizeof(*n));
        if (n == NULL) {
            return -1;
        }
        st->files = n;
        st->cap = ncap;
    }
    f = &st->files[st->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    if (f->path == NULL) {
        return -1;
    }
    f->dev = dev;
    f->ino = ino;
    f->offset = offset;
    f->in_over = in_over;
    f->fp_len = fp_len;
    f->fp = fp;
    st->nfiles++;
    return 0;
}

void cli_fstate_reset(cli_fstate_t *st)
{
    size_t i;

    for (i = 0; i < st->nfiles; i++) {
        free(st->files[i].path);
    }
    st->nfiles = 0;
    memset(st->out, 0, sizeof(st->out));
}

void cli_fstate_clear(cli_fstate_t *st)
{
    cli_fstate_reset(st);
    free(st->files);
    memset(st, 0, sizeof(*st));
}

/* ---- path escaping -------------------------------------------------------------- */

static void put_path(FILE *fp, const char *path)
{
    const unsigned char *p = (const unsigned char *)path;

    for (; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
            fprintf(fp, "%%%02X", *p);
        }
        else {
            fputc(*p, fp);
        }
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode PATH in place; -1 on a malformed escape or an empty path. */
static int unescape_path(char *s)
{
    char *w = s;
    const char *r = s;

    while (*r != '\0') {
        if (*r == '%') {
            int hi = hexval((unsigned char)r[1]);
            int lo = hi < 0 ? -1 : hexval((unsigned char)r[2]);
            if (lo < 0 || (hi == 0 && lo == 0)) {
                return -1;
            }
            *w++ = (char)(hi << 4 | lo);
            r += 3;
        }
        else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return w == s ? -1 : 0;
}

/* ---- load ------------------------------------------------------------------------ */

static int parse_line(cli_fstate_t *st, char *line)
{
    uint64_t dev, ino, off, fp;
    unsigned fplen;
    int pos = 0, in_over;
    char name[16];
    size_t k;

    if (sscanf(line, "out %15s %" SCNu64 " %" SCNu64 " %" SCNu64 "%n", name, &dev, &ino, &off,
               &pos) == 4 && line[pos] == '\0') {
        for (k = 0; k < CLI_OUT_N; k++) {
            if (strcmp(name, out_names[k]) == 0) {
                st->out[k].have = 1;
                st->out[k].dev = dev;
                st->out[k].ino = ino;
                st->out[k].size = off;
                return 0;
            }
        }
        return -1;
    }
    in_over = strncmp(line, "over ", 5) == 0;
    if ((in_over || strncmp(line, "file ", 5) == 0) &&
        sscanf(line + 5, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %u %" SCNx64 " %n", &dev, &ino,
               &off, &fplen, &fp, &pos) == 5 && pos > 0 && fplen <= CLI_FP_MAX) {
        if (unescape_path(line + 5 + pos) != 0) {
            return -1;
        }
        return cli_fstate_add(st, dev, ino, off, in_over, fplen, fp, line + 5 + pos);
    }
    return -1;
}

int cli_fstate_load(const char *path, cli_fstate_t *st, int *found, char *msg, size_t msg_size)
{
    struct stat sb;
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    int fd, ended = 0, rc = 0;

    *found = 0;
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(sb.st_mode)) {
        snprintf(msg, msg_size, "%s: refusing a state file that is a symbolic link", path);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(msg, msg_size, "%s: state file is not a regular file", path);
        return -1;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(msg, msg_size, "%s: refusing a group- or world-writable state file", path);
        return -1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (fp = fdopen(fd, "r")) == NULL) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    while (rc == 0 && (n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        if (ended) {
            rc = -1;
        }
        else if (lineno == 1) {
            rc = strcmp(line, STATE_MAGIC) == 0 ? 0 : -1;
        }
        else if (strcmp(line, "end") == 0) {
            ended = 1;
        }
        else {
            rc = parse_line(st, line);
        }
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(msg, msg_size, "%s: read error: %s", path, strerror(errno));
        rc = -2;
    }
    else if (rc == 0 && !ended) {
        lineno++;
        rc = -1;
    }
    if (rc == -1) {
        snprintf(msg, msg_size, "%s:%u: malformed state file (delete it to start over)", path,
                 lineno);
    }
    free(line);
    fclose(fp);
    if (rc != 0) {
        cli_fstate_clear(st);
        return -1;
    }
    *found = 1;
    return 0;
}

/* ---- save ------------------------------------------------------------------------ */

static int sync_parent(const char *path)
{
    char tmp[PATH_MAX];
    int fd, rc;

    if (strlen(path) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(tmp, path);
    fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    return rc;
}

int cli_fstate_save(const char *path, const cli_fstate_t *st, int sync_dir, char *msg,
                    size_t msg_size)
{
    char tmp[PATH_MAX];
    FILE *fp;
    size_t i;
    int fd, err = 0;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        snprintf(msg, msg_size, "%s: path too long", path);
        return -1;
    }
    /* A stale temporary (a crash mid-save) is ours to remove; O_EXCL then refuses any
     * file or link someone slipped in between the unlink and the open. */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        snprintf(msg, msg_size, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || (fp = fdopen(fd, "w")) == NULL) {
        snprintf(msg, msg_size, "%s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -1;
    }
    fprintf(fp, "%s\n", STATE_MAGIC);
    for (i = 0; i < CLI_OUT_N; i++) {
        if (st->out[i].have) {
            fprintf(fp, "out %s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", out_names[i],
                    st->out[i].dev, st->out[i].ino, st->out[i].size);
        }
    }
    for (i = 0; i < st->nfiles; i++) {
        const cli_fstate_file_t *f = &st->files[i];
        fprintf(fp, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %016" PRIx64 " ",
                f->in_over ? "over" : "file", f->dev, f->ino, f->offset, (unsigned)f->fp_len,
                f->fp);
        put_path(fp, f->path);
        fputc('\n', fp);
    }
    fputs("end\n", fp);
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0) {
        err = errno ? errno : EIO;
    }
    if (fclose(fp) != 0 && err == 0) {
        err = errno;
    }
    if (err == 0 && rename(tmp, path) != 0) {
        err = errno;
    }
    if (err != 0) {
        snprintf(msg, msg_size, "%s: cannot write checkpoint: %s", path, strerror(err));
        unlink(tmp);
        return -1;
    }
    if (sync_dir && sync_parent(path) != 0) {
        snprintf(msg, msg_size, "%s: cannot sync the directory: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- lock ------------------------------------------------------------------------ */

int cli_fstate_lock(const char *path, char *msg, size_t msg_size)
{
    char lk[PATH_MAX];
    struct stat sb;
    int fd;

    if (snprintf(lk, sizeof(lk), "%s.lock", path) >= (int)sizeof(lk)) {
        snprintf(msg, msg_size, "%s: path too long", path);
        return -1;
    }
    fd = open(lk, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(msg, msg_size, "%s: %s", lk, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(msg, msg_size, "%s: not a regular file", lk);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(msg, msg_size, "%s: %s", lk,
                 errno == EWOULDBLOCK ? "another logscrub --follow holds this state file"
                                      : strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
