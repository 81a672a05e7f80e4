/* cli_out: the CLI's sinks: buffered clean output, quarantine and audit files. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_OUT_H
#define CLI_OUT_H

#include "scrub.h"

#include <stddef.h>
#include <stdint.h>

#define CLI_WRITER_IOV 256 /* gathered pieces per writev */

/* Buffered writer on a file descriptor, with every write checked. Besides
 * copies into its buffer it gathers references to the caller's bytes
 * (cli_writer_ref) and writes both, in order, with one writev. */
typedef struct cli_writer {
    int fd;            /* destination (not owned unless owns_fd) */
    int owns_fd;       /* close fd on cli_writer_close */
    uint8_t *buf;      /* staging buffer */
    size_t len;        /* bytes staged */
    size_t cap;        /* buffer size */
    int err;           /* first error (SCRUB_EIO or SCRUB_EPIPE), sticky */
    int saved_errno;   /* errno of the first error */
    const uint8_t *iov_base[CLI_WRITER_IOV]; /* pending pieces, in order */
    size_t iov_len[CLI_WRITER_IOV];
    size_t niov;       /* pieces pending; buf[0, mark) is among them */
    size_t mark;       /* staged bytes already listed as a piece */
} cli_writer_t;

/* Initialise a writer on fd with a cap-byte buffer. 0 or SCRUB_ENOMEM. */
int cli_writer_init(cli_writer_t *w, int fd, int owns_fd, size_t cap);
/* Append bytes; large spans are written straight through. 0 or the sticky error. */
int cli_writer_write(cli_writer_t *w, const void *p, size_t n);
/* Write p[0, n) by reference: p must stay valid until the next flush (small
 * spans are copied instead). 0 or the sticky error. */
int cli_writer_ref(cli_writer_t *w, const void *p, size_t n);
/* Write out what is staged and referenced. 0 or the sticky error. */
int cli_writer_flush(cli_writer_t *w);
/* Flush, close the fd if owned, free the buffer. Returns the sticky error or 0. */
int cli_writer_close(cli_writer_t *w);

/*
 * Open (create or append) a private file: created 0600 whatever the umask,
 * O_NOFOLLOW, refused when it exists and is a symlink, not a regular file,
 * or group/world-writable. Returns the fd, or -1 with msg filled.
 */
int cli_open_private(const char *path, int truncate, char *msg, size_t msg_size);

/* State for the quarantine and audit JSON-lines sinks. */
typedef struct cli_sinks {
    const scrub_ruleset_t *rs;  /* for rule ids and fingerprints */
    cli_writer_t *clean;        /* clean output */
    cli_writer_t quarantine;    /* quarantine file (fd -1 when unset) */
    cli_writer_t audit;         /* audit file (fd -1 when unset) */
    int have_quarantine;        /* quarantine file open */
    int have_audit;             /* audit file open */
    struct cli_kafka_sink *kclean; /* clean records to Kafka (-o kafka:TOPIC), or NULL */
    struct cli_kafka_sink *kquar;  /* quarantined records to Kafka, or NULL */
    uint8_t b64_carry[3];       /* base64 leftovers between pieces of an oversized record */
    size_t b64_n;
} cli_sinks_t;

/* Fill ops with the callbacks for s (quarantine/audit NULL when not open). */
void cli_sinks_ops(cli_sinks_t *s, scrub_sink_ops_t *ops);

#endif
