/* fb_sink: append-only output files (and stdout) for clean, quarantine and audit lines. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FB_SINK_H
#define FB_SINK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A sink is shared by every flush of one plugin instance; its mutex keeps
 * the lines of one chunk together. */
typedef struct fb_sink {
    char *name;                /* "stdout" or the path (for messages); owned */
    int fd;                    /* -1 when the sink is not configured */
    int owned;                 /* 1 when the plugin opened fd and closes it */
    int regular;               /* regular file: partial writes are rolled back */
    int lock_ok;               /* lock initialised */
    pthread_mutex_t lock;      /* one writer at a time: a chunk's lines stay together */
} fb_sink_t;

/* An unconfigured sink (fd -1). Never fails. */
void fb_sink_init(fb_sink_t *s);

/*
 * Open a sink. "stdout" (only when allow_stdout) uses fd 1. A path is opened
 * with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW, mode 0600: a symlink
 * as the last component is refused (ELOOP). When private_only, an existing
 * regular file must belong to the effective user and have no group/other
 * permission bits. Regular files, FIFOs and character devices are accepted.
 * A spec starting with "kafka:" is refused (not supported yet).
 * Returns 0, or -1 with errstr filled (the sink must still be closed).
 */
int fb_sink_open(fb_sink_t *s, const char *spec, int allow_stdout, int private_only,
                 char *errstr, size_t errlen);

/* Close an opened, half-opened or unconfigured sink; it is unconfigured afterwards. */
void fb_sink_close(fb_sink_t *s);

/*
 * Write all of p[0..n) under the sink's mutex, then fsync when do_fsync
 * (EINVAL/EROFS from fsync, e.g. on a pipe, are ignored). On failure a
 * regular file is truncated back to its length before the call, so no
 * partial line stays behind (assumes no other process appends to it).
 * Returns 0 or an errno value; an unconfigured sink accepts everything.
 * Thread-safe.
 */
int fb_sink_write(fb_sink_t *s, const uint8_t *p, size_t n, int do_fsync);

#endif
