/* cli_map: a regular input file read through mmap, window by window. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli_map.h"
#include "cli.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A mapped file shrank under us: stop at once (async-signal-safe only). */
static void on_sigbus(int sig)
{
    static const char msg[] = "logscrub: an input file was truncated while being read "
                              "(SIGBUS); stopping, nothing further is forwarded\n";
    (void)sig;
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(CLI_EXIT_IO);
}

int cli_map_open(cli_map_t *m, int fd)
{
    struct stat st;
    struct sigaction sa;
    void *p;

    memset(m, 0, sizeof(*m));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uintmax_t)st.st_size > SIZE_MAX) {
        return -1;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        return -1;
    }
    (void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGBUS, &sa, &m->old);
    m->base = p;
    m->len = (size_t)st.st_size;
    return 0;
}

void cli_map_release(cli_map_t *m, size_t upto)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t from = m->released, to = upto > m->len ? m->len : upto;

    to -= to % page; /* whole pages only; the mapping starts page-aligned */
    if (m->base != NULL && to > from) {
        /* a private read-only mapping: dropped pages come back from the page cache if touched */
        (void)madvise((void *)(uintptr_t)(m->base + from), to - from, MADV_DONTNEED);
        m->released = to;
    }
}

size_t cli_map_next(cli_map_t *m, const uint8_t **p, size_t max)
{
    size_t k = m->len - m->pos < max ? m->len - m->pos : max;

    /* everything before the previous window is done with */
    cli_map_release(m, m->pos > max ? m->pos - max : 0);
    *p = m->base + m->pos;
    m->pos += k;
    return k;
}

void cli_map_close(cli_map_t *m)
{
    if (m->base != NULL) {
        munmap((void *)(uintptr_t)m->base, m->len);
        (void)sigaction(SIGBUS, &m->old, NULL);
    }
    memset(m, 0, sizeof(*m));
}
