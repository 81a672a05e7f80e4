/* cli_map: a regular input file read through mmap, window by window. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_MAP_H
#define CLI_MAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reading a regular file through a mapping saves the kernel's copy into a
 * read buffer: the scanner reads the page cache itself. Pages are released
 * (MADV_DONTNEED) once the caller has moved two windows past them, so the
 * resident set stays at a few windows whatever the file size.
 *
 * A file truncated while mapped makes the next access raise SIGBUS: the
 * process then stops with an error (exit status 3) and nothing further
 * reaches any output, as with any fatal read error (fail closed).
 */
#include <signal.h>

typedef struct cli_map {
    const uint8_t *base;  /* the mapping, or NULL */
    struct sigaction old; /* SIGBUS disposition before the mapping (restored at close) */
    size_t len;           /* file size when mapped */
    size_t pos;           /* bytes handed out */
    size_t released;      /* bytes before this offset were released */
} cli_map_t;

/* Map fd when it is a non-empty regular file. Returns 0, or -1 when read()
 * should serve instead (not regular, empty, or mmap refused). */
int cli_map_open(cli_map_t *m, int fd);

/* The next window of at most max bytes (*p set), 0 at the end. The previous
 * window stays valid until the call after this one. */
size_t cli_map_next(cli_map_t *m, const uint8_t **p, size_t max);

/* Release what is still held (from p) up to offset `upto` of the file. */
void cli_map_release(cli_map_t *m, size_t upto);

/* Unmap and restore the SIGBUS disposition; accepts a map that was never opened. */
void cli_map_close(cli_map_t *m);

#endif
