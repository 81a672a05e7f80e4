/* cli_out: the CLI's sinks: buffered clean output, quarantine and audit files. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli_out.h"
#include "cli.h"
#include "scrub_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- writer ------------------------------------------------------------------ */

int cli_writer_init(cli_writer_t *w, int fd, int owns_fd, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
    w->owns_fd = owns_fd;
    w->cap = cap;
    w->buf = malloc(cap);
    return w->buf ? 0 : SCRUB_ENOMEM;
}

/* writev all pieces, resuming after partial writes. */
static int writev_all(cli_writer_t *w, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t k = writev(w->fd, iov, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            w->saved_errno = errno;
            w->err = errno == EPIPE ? SCRUB_EPIPE : SCRUB_EIO;
            return w->err;
        }
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

static int write_all(cli_writer_t *w, const uint8_t *p, size_t n)
{
    struct iovec iov;

    iov.iov_base = (void *)(uintptr_t)p;
    iov.iov_len = n;
    return writev_all(w, &iov, n > 0);
}

/* List the staged bytes not yet listed as a piece. */
static void close_piece(cli_writer_t *w)
{
    if (w->len > w->mark) {
        w->iov_base[w->niov] = w->buf + w->mark;
        w->iov_len[w->niov] = w->len - w->mark;
        w->niov++;
        w->mark = w->len;
    }
}

int cli_writer_flush(cli_writer_t *w)
{
    struct iovec iov[CLI_WRITER_IOV];
    size_t i;
    int rc;

    if (w->err != 0) {
        return w->err;
    }
    if (w->niov == 0) {
        rc = write_all(w, w->buf, w->len);
    }
    else {
        close_piece(w);
        for (i = 0; i < w->niov; i++) {
            iov[i].iov_base = (void *)(uintptr_t)w->iov_base[i];
            iov[i].iov_len = w->iov_len[i];
        }
        rc = writev_all(w, iov, (int)w->niov);
    }
    w->len = 0;
    w->mark = 0;
    w->niov = 0;
    return rc;
}

/* Below this a span is cheaper to copy than to list. */
#define CLI_REF_MIN 2048

int cli_writer_ref(cli_writer_t *w, const void *p, size_t n)
{
    if (n < CLI_REF_MIN) {
        return cli_writer_write(w, p, n);
    }
    if (w->err != 0) {
        return w->err;
    }
    close_piece(w);
    w->iov_base[w->niov] = p;
    w->iov_len[w->niov] = n;
    w->niov++;
    /* room for one more ref and the staged tail */
    return w->niov + 2 > CLI_WRITER_IOV ? cli_writer_flush(w) : 0;
}

int cli_writer_write(cli_writer_t *w, const void *p, size_t n)
{
    if (w->err != 0) {
        return w->err;
    }
    if (w->len + n <= w->cap) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        return 0;
    }
    if (cli_writer_flush(w) != 0) {
        return w->err;
    }
    if (n >= w->cap / 2) {
        return write_all(w, p, n); /* a large span goes straight through, no copy */
    }
    memcpy(w->buf, p, n);
    w->len = n;
    return 0;
}

int cli_writer_close(cli_writer_t *w)
{
    int rc = 0;

    if (w->buf != NULL) {
        rc = cli_writer_flush(w);
    }
    if (w->owns_fd && w->fd >= 0) {
        if (close(w->fd) != 0 && rc == 0) {
            w->saved_errno = errno;
            rc = w->err = SCRUB_EIO;
        }
        w->fd = -1;
    }
    free(w->buf);
    w->buf = NULL;
    return rc;
}

int cli_open_private(const char *path, int truncate, char *msg, size_t msg_size)
{
    struct stat st;
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND);
    int fd;

    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            snprintf(msg, msg_size, "%s: refusing to write through a symbolic link", path);
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(msg, msg_size, "%s: not a regular file", path);
            return -1;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
            snprintf(msg, msg_size, "%s: refusing a group- or world-writable file", path);
            return -1;
        }
    }
    fd = open(path, flags, 0600);
    if (fd < 0) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* The umask can only have removed bits; make the mode exactly 0600 for new files. */
    if (fstat(fd, &st) != 0 || (fchmod(fd, st.st_mode & 0600) != 0)) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- JSON helpers (envelopes only; never used for clean output) --------------- */

static int utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        }
        else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        }
        else {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

/* Escape valid UTF-8 as JSON string content. */
static int json_str(scrub_buf_t *b, const uint8_t *s, size_t n)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && rc == 0; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            rc = scrub_buf_putc(b, '\\');
            rc = rc ? rc : scrub_buf_putc(b, c);
        }
        else if (c == '\n') {
            rc = scrub_buf_puts(b, "\\n");
        }
        else if (c == '\r') {
            rc = scrub_buf_puts(b, "\\r");
        }
        else if (c == '\t') {
            rc = scrub_buf_puts(b, "\\t");
        }
        else if (c < 0x20 || c == 0x7f) {
            rc = scrub_buf_printf(b, "\\u%04x", c);
        }
        else {
            rc = scrub_buf_putc(b, c);
        }
    }
    return rc;
}

static int b64_chunk(scrub_buf_t *b, const uint8_t *s, size_t n, int final)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    int rc = 0;

    for (; i + 3 <= n && rc == 0; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
        rc = scrub_buf_append(b, q, 4);
    }
    if (final && rc == 0 && i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
                     '='};
        rc = scrub_buf_append(b, q, 4);
    }
    return rc;
}

static void iso_time(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static int envelope_head(cli_sinks_t *s, scrub_buf_t *b, const scrub_origin_t *o,
                         const scrub_result_t *res)
{
    const scrub_ruleset_t *rs = o->rs ? o->rs : s->rs;
    char t[64];
    size_t i;
    int rc;

    iso_time(t, sizeof(t));
    rc = scrub_buf_printf(b, "{\"time\":\"%s\",\"origin\":\"", t);
    rc = rc ? rc : json_str(b, (const uint8_t *)o->name, strlen(o->name));
    rc = rc ? rc : scrub_buf_printf(b, ":%llu\",\"offset\":%llu,\"reason\":\"%s\",\"rules\":[",
                                    (unsigned long long)o->record,
                                    (unsigned long long)o->offset,
                                    res->failure ? scrub_failure_name(res->failure) : "match");
    for (i = 0; rc == 0 && i < res->nfindings; i++) {
        size_t k;
        for (k = 0; k < i && res->findings[k].rule != res->findings[i].rule; k++) {
        }
        if (k < i) {
            continue; /* each rule once */
        }
        rc = scrub_buf_printf(b, "%s\"%s\"", i ? "," : "",
                              scrub_ruleset_rule_id(rs, res->findings[i].rule));
    }
    if (rc == 0 && res->failed_rule >= 0) {
        rc = scrub_buf_printf(b, "],\"failed_rule\":\"%s\"",
                              scrub_ruleset_rule_id(rs, (size_t)res->failed_rule));
    }
    else if (rc == 0) {
        rc = scrub_buf_putc(b, ']');
    }
    return rc;
}

/* One quarantine line: the original record, as "record" when it is valid
 * UTF-8, else base64 in "record_b64". Oversized records arrive in pieces and
 * are always written as base64, continued across calls. */
static int on_quarantine(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                         const uint8_t *rec, size_t len)
{
    cli_sinks_t *s = ctx;
    scrub_buf_t b;
    int rc = 0;

    if (s->kquar != NULL) {
        /* a Kafka quarantine topic gets the original bytes (pieces for oversized records) */
        return cli_kafka_sink_write(s->kquar, rec, len);
    }
    scrub_buf_init(&b, 0);
    if (o->part == SCRUB_PART_WHOLE) {
        rc = envelope_head(s, &b, o, res);
        if (rc == 0 && utf8_valid(rec, len)) {
            rc = scrub_buf_puts(&b, ",\"record\":\"");
            rc = rc ? rc : json_str(&b, rec, len);
        }
        else if (rc == 0) {
            rc = scrub_buf_puts(&b, ",\"record_b64\":\"");
            rc = rc ? rc : b64_chunk(&b, rec, len, 1);
        }
        rc = rc ? rc : scrub_buf_puts(&b, "\"}\n");
    }
    else {
        size_t i = 0;
        if (o->part == SCRUB_PART_FIRST) {
            s->b64_n = 0;
            rc = envelope_head(s, &b, o, res);
            rc = rc ? rc : scrub_buf_puts(&b, ",\"record_b64\":\"");
        }
        /* Complete the carried group, then whole groups, then carry the rest. */
        while (rc == 0 && s->b64_n > 0 && s->b64_n < 3 && i < len) {
            s->b64_carry[s->b64_n++] = rec[i++];
        }
        if (rc == 0 && s->b64_n == 3) {
            rc = b64_chunk(&b, s->b64_carry, 3, 0);
            s->b64_n = 0;
        }
        if (rc == 0 && i < len) {
            size_t whole = (len - i) / 3 * 3;
            rc = b64_chunk(&b, rec + i, whole, 0);
            i += whole;
            memcpy(s->b64_carry, rec + i, len - i);
            s->b64_n = len - i;
        }
        if (rc == 0 && o->part == SCRUB_PART_LAST) {
            rc = b64_chunk(&b, s->b64_carry, s->b64_n, 1);
            s->b64_n = 0;
            rc = rc ? rc : scrub_buf_puts(&b, "\"}\n");
        }
    }
    if (rc == 0) {
        rc = cli_writer_write(&s->quarantine, b.data, b.len);
    }
    if (rc == 0 && (o->part == SCRUB_PART_WHOLE || o->part == SCRUB_PART_LAST)) {
        rc = cli_writer_flush(&s->quarantine);
    }
    scrub_buf_free(&b);
    return rc;
}

/* One audit line per finding: rule, action, offsets and a keyed fingerprint. */
static int on_audit(void *ctx, const scrub_origin_t *o, const scrub_finding_t *f,
                    const uint8_t *rec, size_t len)
{
    cli_sinks_t *s = ctx;
    char t[64];
    char fp[17];
    scrub_buf_t b;
    int rc;

    const scrub_ruleset_t *rs = o->rs ? o->rs : s->rs;

    (void)len;
    iso_time(t, sizeof(t));
    scrub_ruleset_fingerprint(rs, rec + f->start, f->end - f->start, fp, 16);
    scrub_buf_init(&b, 0);
    rc = scrub_buf_printf(&b, "{\"time\":\"%s\",\"origin\":\"", t);
    rc = rc ? rc : json_str(&b, (const uint8_t *)o->name, strlen(o->name));
    rc = rc ? rc : scrub_buf_printf(&b, ":%llu\",\"offset\":%llu,\"rule\":\"%s\",\"action\":\"%s\","
                                    "\"start\":%zu,\"end\":%zu,\"fingerprint\":\"%s\"}\n",
                                    (unsigned long long)o->record, (unsigned long long)o->offset,
                                    scrub_ruleset_rule_id(rs, f->rule),
                                    scrub_action_name(f->action), f->start, f->end, fp);
    rc = rc ? rc : cli_writer_write(&s->audit, b.data, b.len);
    scrub_buf_free(&b);
    return rc;
}

static int on_clean(void *ctx, const uint8_t *p, size_t n)
{
    cli_sinks_t *s = ctx;

    if (s->kclean != NULL) {
        return cli_kafka_sink_write(s->kclean, p, n);
    }
    return cli_writer_write(s->clean, p, n);
}

static int on_clean_ref(void *ctx, const uint8_t *p, size_t n)
{
    cli_sinks_t *s = ctx;

    if (s->kclean != NULL) {
        return cli_kafka_sink_write(s->kclean, p, n);
    }
    return cli_writer_ref(s->clean, p, n);
}

static int on_flush(void *ctx)
{
    cli_sinks_t *s = ctx;

    return s->kclean != NULL ? 0 : cli_writer_flush(s->clean);
}

void cli_sinks_ops(cli_sinks_t *s, scrub_sink_ops_t *ops)
{
    ops->flush = on_flush;
    ops->clean = on_clean;
    ops->clean_ref = on_clean_ref;
    ops->quarantine = s->have_quarantine ? on_quarantine : NULL;
    ops->audit = s->have_audit ? on_audit : NULL;
    ops->ctx = s;
}
