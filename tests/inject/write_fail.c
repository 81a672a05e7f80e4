/* write_fail: LD_PRELOAD shim that makes writes to one fd or file fail or come up short. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * After jq's src/inject_errors.c. Build: cc -shared -fPIC -o write_fail.so write_fail.c -ldl
 * Use:   LD_PRELOAD=./write_fail.so INJECT_FD=1 INJECT_AFTER=4096 INJECT_ERRNO=ENOSPC cmd
 *
 * The target is chosen by
 *   INJECT_FD=N        writes to file descriptor N, and/or
 *   INJECT_PATH=PREFIX writes to any fd whose /proc/self/fd/N link starts with PREFIX
 *                      (e.g. the quarantine file, opened by the program itself).
 * What happens to the target's writes (write, writev, pwrite, and fsync/fdatasync):
 *   INJECT_AFTER=N     the first N bytes go through, then writes fail (default 0);
 *                      a write that straddles N is cut short at N first, as a full disk does
 *   INJECT_ERRNO=E     the error: ENOSPC (default), EPIPE, EIO, EDQUOT, EFBIG, or a number
 *   INJECT_SHORT=K     no failure; every write transfers at most K bytes (K >= 1), so
 *                      callers must loop; INJECT_SHORT=half transfers half (at least 1)
 *   INJECT_EINTR=1     every other call on the target first fails with EINTR
 *   INJECT_SYNC=1      fsync/fdatasync on the target fail with the error as well
 * Without INJECT_FD and INJECT_PATH the shim passes everything through. It never
 * looks at the bytes written, and it prints nothing.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*sync_fn)(int);

/* dlsym returns an object pointer; POSIX allows this conversion, ISO C only through memcpy. */
static void lookup(const char *name, void *fn_ptr)
{
    void *sym = dlsym(RTLD_NEXT, name);

    memcpy(fn_ptr, &sym, sizeof(sym));
}

/* Configuration read once from the environment, and the running byte count. */
static struct {
    int ready;            /* configuration read */
    int fd;               /* INJECT_FD, or -1 */
    const char *path;     /* INJECT_PATH, or NULL */
    size_t after;         /* INJECT_AFTER */
    int err;              /* INJECT_ERRNO */
    size_t shrt;          /* INJECT_SHORT bytes, 0 = off, SIZE_MAX = half */
    int eintr;            /* INJECT_EINTR */
    int sync;             /* INJECT_SYNC */
    size_t written;       /* bytes let through to the target so far */
    unsigned long calls;  /* calls on the target (for INJECT_EINTR) */
} cfg;

static int parse_errno(const char *s)
{
    static const struct {
        const char *name;
        int value;
    } names[] = {
        {"ENOSPC", ENOSPC}, {"EPIPE", EPIPE}, {"EIO", EIO},
        {"EDQUOT", EDQUOT}, {"EFBIG", EFBIG}, {"EAGAIN", EAGAIN},
    };
    size_t i;

    if (s == NULL || *s == '\0') {
        return ENOSPC;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            return names[i].value;
        }
    }
    return atoi(s) > 0 ? atoi(s) : ENOSPC;
}

static void configure(void)
{
    const char *v;

    if (cfg.ready) {
        return;
    }
    v = getenv("INJECT_FD");
    cfg.fd = v != NULL && *v != '\0' ? atoi(v) : -1;
    v = getenv("INJECT_PATH");
    cfg.path = v != NULL && *v != '\0' ? v : NULL;
    v = getenv("INJECT_AFTER");
    cfg.after = v != NULL ? (size_t)strtoull(v, NULL, 10) : 0;
    cfg.err = parse_errno(getenv("INJECT_ERRNO"));
    v = getenv("INJECT_SHORT");
    if (v != NULL && strcmp(v, "half") == 0) {
        cfg.shrt = SIZE_MAX;
    }
    else if (v != NULL) {
        cfg.shrt = (size_t)strtoull(v, NULL, 10);
    }
    v = getenv("INJECT_EINTR");
    cfg.eintr = v != NULL && strcmp(v, "1") == 0;
    v = getenv("INJECT_SYNC");
    cfg.sync = v != NULL && strcmp(v, "1") == 0;
    cfg.ready = 1;
}

/* Is fd the target? The path is resolved on every call, since fds are reused. */
static int targeted(int fd)
{
    char link[64];
    char dst[PATH_MAX];
    ssize_t k;

    configure();
    if (cfg.fd >= 0 && fd == cfg.fd) {
        return 1;
    }
    if (cfg.path == NULL || fd < 0) {
        return 0;
    }
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    k = readlink(link, dst, sizeof(dst) - 1);
    if (k <= 0) {
        return 0;
    }
    dst[k] = '\0';
    return strncmp(dst, cfg.path, strlen(cfg.path)) == 0;
}

/*
 * How many of n bytes the target may take now: 0 with errno set means fail.
 * Returns (size_t)-1 when the call should fail.
 */
static size_t allowance(size_t n)
{
    size_t room;

    cfg.calls++;
    if (cfg.eintr && (cfg.calls & 1)) {
        errno = EINTR;
        return (size_t)-1;
    }
    if (n == 0) {
        return 0;
    }
    if (cfg.shrt != 0) {
        size_t k = cfg.shrt == SIZE_MAX ? (n + 1) / 2 : cfg.shrt;
        return k < n ? k : n;
    }
    if (cfg.written >= cfg.after) {
        errno = cfg.err;
        return (size_t)-1;
    }
    room = cfg.after - cfg.written;
    return room < n ? room : n;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    static write_fn real;
    size_t k;
    ssize_t r;

    if (real == NULL) {
        lookup("write", &real);
    }
    if (!targeted(fd)) {
        return real(fd, buf, n);
    }
    k = allowance(n);
    if (k == (size_t)-1) {
        return -1;
    }
    r = real(fd, buf, k);
    if (r > 0) {
        cfg.written += (size_t)r;
    }
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static pwrite_fn real;
    size_t k;
    ssize_t r;

    if (real == NULL) {
        lookup("pwrite", &real);
    }
    if (!targeted(fd)) {
        return real(fd, buf, n, off);
    }
    k = allowance(n);
    if (k == (size_t)-1) {
        return -1;
    }
    r = real(fd, buf, k, off);
    if (r > 0) {
        cfg.written += (size_t)r;
    }
    return r;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    static writev_fn real;
    struct iovec cut[64];
    size_t total = 0, k, left;
    int i, m = 0;
    ssize_t r;

    if (real == NULL) {
        lookup("writev", &real);
    }
    if (!targeted(fd)) {
        return real(fd, iov, iovcnt);
    }
    for (i = 0; i < iovcnt; i++) {
        total += iov[i].iov_len;
    }
    k = allowance(total);
    if (k == (size_t)-1) {
        return -1;
    }
    /* Keep the first k bytes of the vector (at most 64 entries: a short write is legal). */
    for (i = 0, left = k; i < iovcnt && m < 64 && left > 0; i++) {
        cut[m] = iov[i];
        if (cut[m].iov_len > left) {
            cut[m].iov_len = left;
        }
        left -= cut[m].iov_len;
        m++;
    }
    r = real(fd, cut, m);
    if (r > 0) {
        cfg.written += (size_t)r;
    }
    return r;
}

static int sync_common(const char *name, int fd)
{
    sync_fn real;

    lookup(name, &real);

    if (targeted(fd) && cfg.sync) {
        errno = cfg.err;
        return -1;
    }
    return real(fd);
}

int fsync(int fd)
{
    return sync_common("fsync", fd);
}

int fdatasync(int fd)
{
    return sync_common("fdatasync", fd);
}
