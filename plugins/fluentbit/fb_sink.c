/* fb_sink: append-only output files (and stdout) for clean, quarantine and audit lines. */
/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb_sink.h"

void fb_sink_init(fb_sink_t *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
}

/* See fb_sink.h. */
int fb_sink_open(fb_sink_t *s, const char *spec, int allow_stdout, int private_only,
                 char *errstr, size_t errlen)
{
    struct stat st;
    int fd;

    s->name = strdup(spec);
    if (s->name == NULL) {
        snprintf(errstr, errlen, "out of memory");
        return -1;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        snprintf(errstr, errlen, "cannot create a mutex");
        return -1;
    }
    s->lock_ok = 1;
    if (strncasecmp(spec, "kafka:", 6) == 0) {
        /* TODO(kafka sinks): planned, needs the sidecar's producer (WITH_KAFKA). */
        snprintf(errstr, errlen, "'%s': Kafka sinks are not supported yet (planned)", spec);
        return -1;
    }
    if (allow_stdout && strcmp(spec, "stdout") == 0) {
        s->fd = STDOUT_FILENO;
        return 0;
    }
    if (spec[0] == '\0') {
        snprintf(errstr, errlen, "empty path");
        return -1;
    }
    fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(errstr, errlen, "%s: %s%s", spec, strerror(errno),
                 errno == ELOOP ? " (symbolic links are refused)" : "");
        return -1;
    }
    s->fd = fd;
    s->owned = 1;
    if (fstat(fd, &st) != 0) {
        snprintf(errstr, errlen, "%s: %s", spec, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
        snprintf(errstr, errlen, "%s: not a regular file, FIFO or character device", spec);
        return -1;
    }
    s->regular = S_ISREG(st.st_mode);
    if (private_only && s->regular &&
        (st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
        snprintf(errstr, errlen, "%s: must be owned by this user with mode 0600 (is %03o)",
                 spec, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

void fb_sink_close(fb_sink_t *s)
{
    if (s->owned && s->fd >= 0) {
        close(s->fd);
    }
    if (s->lock_ok) {
        pthread_mutex_destroy(&s->lock);
    }
    free(s->name);
    fb_sink_init(s);
}

/* See fb_sink.h. */
int fb_sink_write(fb_sink_t *s, const uint8_t *p, size_t n, int do_fsync)
{
    off_t start = -1;
    size_t done = 0;
    ssize_t k;
    int err = 0;

    if (n == 0 || s->fd < 0) {
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    if (s->regular) {
        start = lseek(s->fd, 0, SEEK_END);
    }
    while (done < n) {
        k = write(s->fd, p + done, n - done);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            err = errno;
            break;
        }
        if (k == 0) {
            err = EIO;
            break;
        }
        done += (size_t)k;
    }
    if (err == 0 && do_fsync && fsync(s->fd) != 0 && errno != EINVAL && errno != EROFS) {
        err = errno;
    }
    if (err != 0 && start >= 0 && done > 0) {
        if (ftruncate(s->fd, start) != 0) {
            /* nothing more to do: the retry writes the chunk again */
        }
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}
