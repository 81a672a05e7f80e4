/* scrub_stream: newline framing over a worker; whole-buffer prefilter, zero-copy clean spans. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_scan.h"
#include "scrub_buf.h"
#include "scrub_bytes.h"

#include <stdlib.h>
#include <string.h>

/*
 * Hot path: feed() runs the keyword automaton over every complete line of
 * the caller's buffer in one pass. Lines without a keyword hit are never
 * looked at again: runs of them are handed to the clean sink as one span of
 * the caller's own bytes. Only lines with a hit are framed and scanned, and
 * a scanned line that comes out clean or tagged just extends the span.
 * Bytes of an unfinished line are copied into `carry` (bounded by
 * max_record); a longer line goes to the quarantine in pieces.
 */


struct scrub_stream {
    scrub_worker_t *w;            /* borrowed worker */
    const scrub_ruleset_t *rs;    /* the worker's rule set */
    scrub_sink_ops_t ops;         /* sinks */
    scrub_stats_t *stats;         /* borrowed counters, may be NULL */
    const char *name;             /* origin name (borrowed) */
    uint64_t recno;               /* records started so far in this input */
    uint64_t offset;              /* input offset of the next unframed byte */
    size_t max_record;            /* longest record scanned whole */
    scrub_buf_t carry;            /* unfinished line */
    int overflow;                 /* 1 while discarding an oversized record to quarantine */
    uint8_t over_term[2];         /* line terminator seen at the end of its last piece */
    size_t over_term_len;
    uint64_t overflow_len;        /* bytes of it so far */
    int over_open;                /* its quarantine entry is open (a FIRST piece went out);
                                     0 after scrub_stream_pause_oversize */
    uint64_t over_at;             /* input offset of the open entry's first byte */
    int dead;                     /* first sink error, sticky */
    scrub_buf_t marker;           /* scratch for marker lines */
    scrub_count_fn count_nl;      /* newline counter for this CPU */
    int json_marker;              /* quarantine markers are JSON objects */
    int pem_rule;                 /* rule that saw a private key's BEGIN line, or -1 */
    unsigned pem_left;            /* body lines still accepted in the PEM state */
    scrub_span_t *spans;          /* candidate lines of the current buffer */
    uint64_t *span_bits;          /* their candidate rules: spans_cap * nwords words */
    size_t span_words;            /* nwords the array was sized for */
    size_t spans_cap;
};

scrub_stream_t *scrub_stream_new(scrub_worker_t *w, const scrub_sink_ops_t *ops,
                                 scrub_stats_t *stats, const char *origin_name)
{
    scrub_stream_t *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return NULL;
    }
    s->w = w;
    s->rs = scrub_worker_ruleset(w);
    s->ops = *ops;
    s->stats = stats;
    s->name = origin_name ? origin_name : "-";
    s->max_record = scrub_ruleset_max_record(s->rs);
    s->count_nl = scrub_bytes_newline_counter();
    s->json_marker = s->rs->format == SCRUB_FMT_JSON || s->rs->format == SCRUB_FMT_AUTO;
    s->pem_rule = -1;
    s->spans_cap = 4096;
    s->spans = malloc(s->spans_cap * sizeof(*s->spans));
    s->span_words = s->rs->nwords;
    s->span_bits = malloc(s->spans_cap * s->span_words * sizeof(*s->span_bits));
    if (s->spans == NULL || s->span_bits == NULL) {
        free(s->spans);
        free(s->span_bits);
        free(s);
        return NULL;
    }
    scrub_buf_init(&s->carry, s->max_record + 2);
    scrub_buf_init(&s->marker, 0);
    return s;
}

void scrub_stream_destroy(scrub_stream_t *s)
{
    if (s == NULL) {
        return;
    }
    scrub_buf_free(&s->carry);
    scrub_buf_free(&s->marker);
    free(s->spans);
    free(s->span_bits);
    free(s);
}

void scrub_stream_set_worker(scrub_stream_t *s, scrub_worker_t *w)
{
    const scrub_ruleset_t *nrs = scrub_worker_ruleset(w);

    if (nrs->nwords > s->span_words) {
        uint64_t *nb = realloc(s->span_bits, s->spans_cap * nrs->nwords * sizeof(*nb));
        if (nb == NULL) {
            s->dead = SCRUB_ENOMEM; /* fail loudly rather than scan with stale sizes */
            return;
        }
        s->span_bits = nb;
        s->span_words = nrs->nwords;
    }
    s->w = w;
    s->rs = scrub_worker_ruleset(w);
    s->max_record = scrub_ruleset_max_record(s->rs);
    s->carry.max = s->max_record + 2 > s->carry.len ? s->max_record + 2 : s->carry.len;
    s->json_marker = s->rs->format == SCRUB_FMT_JSON || s->rs->format == SCRUB_FMT_AUTO;
}

uint64_t scrub_stream_records(const scrub_stream_t *s)
{
    return s->recno;
}

int scrub_stream_in_block(const scrub_stream_t *s)
{
    return s->pem_left > 0;
}

int scrub_stream_in_oversize(const scrub_stream_t *s)
{
    return s->overflow;
}

void scrub_stream_set_origin(scrub_stream_t *s, const char *origin_name)
{
    s->name = origin_name ? origin_name : "-";
    s->recno = 0;
    s->offset = 0;
    s->pem_left = 0; /* a key block does not continue into another input */
}

/* ---- helpers ---------------------------------------------------------------- */

#define count_newlines(p, n) (s->count_nl((p), (n)))

/* Length of the record without its "\n" or "\r\n" terminator. */
static size_t content_len(const uint8_t *rec, size_t len)
{
    if (len > 0 && rec[len - 1] == '\n') {
        len--;
        if (len > 0 && rec[len - 1] == '\r') {
            len--;
        }
    }
    return len;
}

static int emit_clean(scrub_stream_t *s, const uint8_t *p, size_t n)
{
    int rc;

    if (n == 0 || s->dead) {
        return s->dead;
    }
    rc = s->ops.clean(s->ops.ctx, p, n);
    if (rc != 0) {
        s->dead = rc;
    }
    return rc;
}

/* The marker that replaces a quarantined record when no quarantine sink exists. */
static int emit_marker(scrub_stream_t *s, const scrub_result_t *res, const uint8_t *term,
                       size_t tlen)
{
    const char *why = res->failure != SCRUB_FAIL_NONE ? scrub_failure_name(res->failure) : NULL;
    size_t i;
    int rc;

    scrub_buf_reset(&s->marker);
    /* JSON pipelines get a JSON marker so every output line still parses. */
    rc = scrub_buf_puts(&s->marker, s->json_marker ? "{\"logscrub_quarantined\":\"" : "[QUARANTINED:");
    if (why != NULL) {
        rc = rc ? rc : scrub_buf_puts(&s->marker, why);
    }
    else {
        for (i = 0; rc == 0 && i < res->nfindings; i++) {
            if (res->findings[i].action == SCRUB_ACT_QUARANTINE) {
                rc = scrub_buf_puts(&s->marker, scrub_ruleset_rule_id(s->rs,
                                                                      res->findings[i].rule));
                break;
            }
        }
    }
    rc = rc ? rc : scrub_buf_puts(&s->marker, s->json_marker ? "\"}" : "]");
    rc = rc ? rc : scrub_buf_append(&s->marker, term, tlen);
    if (rc != 0) {
        s->dead = rc;
        return rc;
    }
    return emit_clean(s, s->marker.data, s->marker.len);
}

static int emit_quarantine(scrub_stream_t *s, const scrub_origin_t *o,
                           const scrub_result_t *res, const uint8_t *rec, size_t len)
{
    int rc;

    if (s->ops.quarantine == NULL) {
        size_t c = content_len(rec, len);
        if (o->part == SCRUB_PART_WHOLE) {
            return emit_marker(s, res, rec + c, len - c);
        }
        /* pieces: the terminator may have come with an earlier piece */
        if (len > 0) {
            s->over_term_len = len - c;
            memcpy(s->over_term, rec + c, len - c);
        }
        if (o->part == SCRUB_PART_LAST) {
            return emit_marker(s, res, s->over_term, s->over_term_len);
        }
        return 0;
    }
    rc = s->ops.quarantine(s->ops.ctx, o, res, rec, len);
    if (rc != 0) {
        s->dead = rc;
    }
    return rc;
}

static int emit_audit(scrub_stream_t *s, const scrub_origin_t *o, const scrub_result_t *res,
                      const uint8_t *rec, size_t len)
{
    size_t i;
    int rc;

    if (s->ops.audit == NULL || res->failure != SCRUB_FAIL_NONE) {
        return 0;
    }
    for (i = 0; i < res->nfindings; i++) {
        rc = s->ops.audit(s->ops.ctx, o, &res->findings[i], rec, len);
        if (rc != 0) {
            s->dead = rc;
            return rc;
        }
    }
    return 0;
}

/* Position state of one process_lines call over a buffer p. */
typedef struct span_state {
    const uint8_t *p;     /* the buffer */
    size_t emitted;       /* p[0, emitted) handed to a sink or disposed of */
    size_t counted;       /* p[0, counted) counted into recno/offset/stats */
    int borrowed;         /* p is the caller's buffer (not the carry): clean_ref may keep it */
} span_state_t;

/* Hand the pending clean bytes p[emitted, upto) to the clean sink. */
static int flush_span(scrub_stream_t *s, span_state_t *st, size_t upto)
{
    const uint8_t *p = st->p + st->emitted;
    size_t n = upto - st->emitted;
    int rc;

    st->emitted = upto;
    if (!st->borrowed || s->ops.clean_ref == NULL || n == 0 || s->dead) {
        return emit_clean(s, p, n);
    }
    rc = s->ops.clean_ref(s->ops.ctx, p, n);
    if (rc != 0) {
        s->dead = rc;
    }
    return rc;
}

/* The result and origin of one piece of the oversized record in progress; the
 * origin's offset is that of the open quarantine entry's first byte. */
static void oversize_result(scrub_stream_t *s, scrub_result_t *res, scrub_origin_t *o, int part,
                            const uint8_t *p, size_t n)
{
    memset(res, 0, sizeof(*res));
    res->verdict = SCRUB_V_QUARANTINED;
    res->failure = SCRUB_FAIL_OVERSIZE;
    res->failed_rule = -1;
    res->out = p;
    res->out_len = n;
    o->name = s->name;
    o->record = s->recno;
    o->offset = s->over_at;
    o->part = part;
    o->rs = s->rs;
}

/* Open a new quarantine entry for the oversized record in progress (its entry was
 * closed by a pause) with the n > 0 bytes p: a FIRST piece at their offset. */
static int oversize_reopen(scrub_stream_t *s, const uint8_t *p, size_t n)
{
    scrub_result_t res;
    scrub_origin_t o;

    s->over_at = s->offset;
    s->over_open = 1;
    oversize_result(s, &res, &o, SCRUB_PART_FIRST, p, n);
    s->overflow_len += n;
    s->offset += n;
    return emit_quarantine(s, &o, &res, p, n);
}

/*
 * Start, continue or end an oversized record (pieces go to the quarantine). When
 * its quarantine entry was closed by scrub_stream_pause_oversize, the next bytes
 * open a new entry (oversize_reopen), and an empty LAST on a closed entry writes
 * nothing. The record is counted once, at its LAST piece.
 */
static int oversize_piece(scrub_stream_t *s, int part, const uint8_t *p, size_t n)
{
    scrub_result_t res;
    scrub_origin_t o;
    int rc;

    if (part == SCRUB_PART_FIRST) {
        s->recno++;
        s->overflow = 1;
        s->overflow_len = 0;
        s->over_term_len = 0;
        s->over_open = 1;
        s->over_at = s->offset;
    }
    else if (!s->over_open && n > 0) {
        rc = oversize_reopen(s, p, n);
        if (rc != 0 || part == SCRUB_PART_MIDDLE) {
            return rc;
        }
        n = 0; /* the bytes went with the FIRST piece: an empty LAST closes the entry */
    }
    oversize_result(s, &res, &o, part, p, n);
    s->overflow_len += n;
    s->offset += n;
    if (part == SCRUB_PART_LAST) {
        s->overflow = 0;
        if (s->stats != NULL) {
            res.out_len = 0;
            scrub_stats_add(s->stats, &res, (size_t)s->overflow_len);
        }
        if (!s->over_open) {
            return 0; /* closed by a pause, and no byte came since */
        }
    }
    return emit_quarantine(s, &o, &res, p, n);
}

int scrub_stream_pause_oversize(scrub_stream_t *s)
{
    scrub_result_t res;
    scrub_origin_t o;
    int rc;

    if (s->dead) {
        return s->dead;
    }
    if (!s->overflow || !s->over_open || s->ops.quarantine == NULL) {
        return 0; /* without a quarantine sink the marker line is written at the end */
    }
    oversize_result(s, &res, &o, SCRUB_PART_LAST, (const uint8_t *)"", 0);
    rc = emit_quarantine(s, &o, &res, (const uint8_t *)"", 0);
    s->over_open = 0;
    return rc;
}

void scrub_stream_enter_oversize(scrub_stream_t *s)
{
    s->recno++;
    s->overflow = 1;
    s->overflow_len = 0;
    s->over_term_len = 0;
    /* with a quarantine sink the first bytes open an entry; the marker needs none */
    s->over_open = s->ops.quarantine == NULL;
    s->over_at = s->offset;
}

/* A whole line [ls, le) longer than max_record: flush, then quarantine it. */
static int oversize_line(scrub_stream_t *s, span_state_t *st, size_t ls, size_t le)
{
    int rc = flush_span(s, st, ls);

    rc = rc ? rc : oversize_piece(s, SCRUB_PART_FIRST, st->p + ls, le - ls);
    rc = rc ? rc : oversize_piece(s, SCRUB_PART_LAST, st->p + le, 0);
    st->emitted = le;
    st->counted = le;
    return rc;
}

/* Count the unscanned lines p[counted, upto) as clean records. They were
 * never framed one by one, so look for oversized lines only when the run is
 * long enough to hold one. */
static void count_plain(scrub_stream_t *s, span_state_t *st, size_t upto)
{
    const uint8_t *p = st->p;
    size_t n = upto - st->counted;
    uint64_t lines;

    if (n == 0) {
        return;
    }
    lines = count_newlines(p + st->counted, n);
    if (p[upto - 1] != '\n') {
        lines++; /* a final record without newline */
    }
    s->recno += lines;
    s->offset += n;
    if (s->stats != NULL) {
        scrub_stats_add_clean(s->stats, lines, n);
    }
    st->counted = upto;
}

static int count_clean(scrub_stream_t *s, span_state_t *st, size_t upto)
{
    const uint8_t *p = st->p;
    size_t pos;
    int rc;

    if (upto - st->counted <= s->max_record) {
        count_plain(s, st, upto); /* too short to hold an oversized record */
        return 0;
    }
    /* Long enough to hold one: look at every line's length. */
    for (pos = st->counted; pos < upto;) {
        const uint8_t *nl = memchr(p + pos, '\n', upto - pos);
        size_t end = nl ? (size_t)(nl - p) + 1 : upto;
        if (content_len(p + pos, end - pos) > s->max_record) {
            count_plain(s, st, pos);
            rc = oversize_line(s, st, pos, end);
            if (rc != 0) {
                return rc;
            }
        }
        pos = end;
    }
    count_plain(s, st, upto);
    return 0;
}

/* Number the next whole record (len bytes) and describe where it came from. */
static void begin_record(scrub_stream_t *s, scrub_origin_t *o, size_t len)
{
    s->recno++;
    o->name = s->name;
    o->record = s->recno;
    o->offset = s->offset;
    o->part = SCRUB_PART_WHOLE;
    o->rs = s->rs;
    s->offset += len;
}

/* ---- multi-line private keys ---------------------------------------------------
 * A BEGIN ... PRIVATE KEY line without its END starts a bounded state: the
 * following lines that look like a key body (base64, armour headers, blank)
 * and the END line are redacted whole, although no keyword selects them.
 */

#define PEM_MAX_LINES 512

static const uint8_t *find_mem(const uint8_t *p, size_t n, const char *lit)
{
    return memmem(p, n, lit, strlen(lit));
}

/*
 * The rule whose finding starts at the record's last unterminated private-key
 * BEGIN marker, or -1: of the findings (not dropped) that start at a
 * "-----BEGIN ", the last one, when "PRIVATE KEY" follows it and "-----END"
 * does not. The last, not the record's first marker: a certificate or a
 * complete key before it on the same line must not hide the key whose body
 * follows. Records without such a finding are never searched.
 */
static int pem_begin_rule(const scrub_result_t *res, const uint8_t *rec, size_t c)
{
    static const char begin[] = "-----BEGIN ";
    const size_t blen = sizeof(begin) - 1;
    size_t i, at = 0;
    int rule = -1;

    for (i = 0; i < res->nfindings; i++) {
        const scrub_finding_t *f = &res->findings[i];
        if ((rule < 0 || f->start > at) && f->action < SCRUB_ACT_DROP && f->start <= c &&
            c - f->start >= blen && memcmp(rec + f->start, begin, blen) == 0) {
            at = f->start;
            rule = (int)f->rule;
        }
    }
    if (rule < 0 || find_mem(rec + at, c - at, "PRIVATE KEY") == NULL ||
        find_mem(rec + at, c - at, "-----END") != NULL) {
        return -1;
    }
    return rule;
}

/* 0: not part of a key body; 1: a body line; 2: the END line. */
static int pem_line_kind(const uint8_t *p, size_t c)
{
    static const char *const headers[] = {"Proc-Type:", "DEK-Info:", "Comment:", "Version:",
                                          "Hash:", NULL};
    size_t i;

    if (find_mem(p, c, "-----END") != NULL) {
        return 2;
    }
    for (i = 0; headers[i] != NULL; i++) {
        size_t k = strlen(headers[i]);
        if (c >= k && memcmp(p, headers[i], k) == 0) {
            return 1;
        }
    }
    if (c > 128) {
        return 0;
    }
    for (i = 0; i < c; i++) {
        uint8_t ch = p[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/' || ch == '=' || ch == ' ' || ch == '\t')) {
            return 0;
        }
    }
    return 1;
}

/* Redact one key-body line [ls, le) whole: the replacement keeps the line terminator. */
static int pem_redact_line(scrub_stream_t *s, span_state_t *st, size_t ls, size_t le)
{
    const uint8_t *rec = st->p + ls;
    size_t len = le - ls, c = content_len(rec, len);
    scrub_finding_t f;
    scrub_result_t res;
    scrub_origin_t o;
    int rc;

    memset(&res, 0, sizeof(res));
    f.rule = (uint32_t)s->pem_rule;
    f.action = SCRUB_ACT_REDACT;
    f.start = 0;
    f.end = c;
    res.verdict = SCRUB_V_REDACTED;
    res.failed_rule = -1;
    res.in_len = c;
    res.nfindings = c > 0 ? 1 : 0;
    res.findings = &f;
    begin_record(s, &o, len);
    st->counted = le;
    scrub_buf_reset(&s->marker);
    rc = c == 0 ? 0 : scrub_buf_printf(&s->marker, "[REDACTED:%s]",
                                       scrub_ruleset_rule_id(s->rs, (size_t)s->pem_rule));
    res.out = s->marker.data;
    res.out_len = s->marker.len;
    if (s->stats != NULL) {
        if (c == 0) {
            res.verdict = SCRUB_V_CLEAN;
        }
        scrub_stats_add(s->stats, &res, len);
    }
    rc = rc ? rc : emit_audit(s, &o, &res, rec, c);
    rc = rc ? rc : flush_span(s, st, ls);
    st->emitted = le;
    rc = rc ? rc : emit_clean(s, s->marker.data, s->marker.len);
    return rc ? rc : emit_clean(s, rec + c, len - c);
}

/* Continue the PEM state from line start pos; *pos moves past the lines taken. */
static int pem_follow(scrub_stream_t *s, span_state_t *st, size_t n, size_t *pos)
{
    int rc;

    while (s->pem_left > 0 && *pos < n) {
        const uint8_t *nl = memchr(st->p + *pos, '\n', n - *pos);
        size_t le = nl ? (size_t)(nl - st->p) + 1 : n;
        size_t c = content_len(st->p + *pos, le - *pos);
        int kind = c > s->max_record ? 0 : pem_line_kind(st->p + *pos, c);
        if (kind == 0) {
            s->pem_left = 0;
            break;
        }
        rc = count_clean(s, st, *pos);
        rc = rc ? rc : pem_redact_line(s, st, *pos, le);
        if (rc != 0) {
            return rc;
        }
        *pos = le;
        s->pem_left = kind == 2 ? 0 : s->pem_left - 1;
    }
    return 0;
}

/* Scan the framed record [ls, le) and route it; sp: its candidate rules and
 * keyword places from the buffer pass, or NULL. */
static int scan_line(scrub_stream_t *s, span_state_t *st, size_t ls, size_t le,
                     const scrub_span_t *sp)
{
    const uint8_t *rec = st->p + ls;
    size_t len = le - ls;
    size_t c = content_len(rec, len);
    scrub_result_t res;
    scrub_origin_t o;
    int rc;

    if (c > s->max_record) {
        return oversize_line(s, st, ls, le);
    }
    begin_record(s, &o, len);
    st->counted = le;
    if (sp != NULL && sp->bits != NULL && sp->npos != SCRUB_POS_UNKNOWN) {
        scrub_scan_at(s->w, rec, c, sp->bits, sp->pos, sp->npos, &res);
    }
    else {
        scrub_scan_with(s->w, rec, c, sp != NULL ? sp->bits : NULL, &res);
    }
    if (s->stats != NULL) {
        scrub_stats_add(s->stats, &res, len);
    }
    if (res.failure == SCRUB_FAIL_NONE && (s->pem_rule = pem_begin_rule(&res, rec, c)) >= 0) {
        s->pem_left = PEM_MAX_LINES;
    }
    rc = emit_audit(s, &o, &res, rec, c);
    if (rc != 0 || res.verdict == SCRUB_V_CLEAN || res.verdict == SCRUB_V_TAGGED) {
        return rc; /* unchanged: the bytes stay in the pending span */
    }
    rc = flush_span(s, st, ls);
    st->emitted = le;
    if (rc != 0) {
        return rc;
    }
    switch (res.verdict) {
    case SCRUB_V_REDACTED:
        rc = emit_clean(s, res.out, res.out_len);
        return rc ? rc : emit_clean(s, rec + c, len - c);
    case SCRUB_V_QUARANTINED:
        return emit_quarantine(s, &o, &res, rec, len);
    default:
        return 0; /* dropped */
    }
}

/*
 * The lines of p[pos, n) that hold a keyword, into s->spans (offsets in p):
 * the first spans_cap of them, so a full array means more may follow its
 * last line. One prefilter pass lists them; when the engine cannot answer,
 * line by line with scrub_prefilter_find (its conservative answers only add
 * lines).
 */
static size_t candidate_lines(scrub_stream_t *s, scrub_pf_scratch_t *sc, const uint8_t *p,
                              size_t pos, size_t n)
{
    const scrub_prefilter_t *pf = s->rs->pf;
    size_t i, k = scrub_prefilter_lines(pf, sc, p + pos, n - pos, s->spans, s->spans_cap,
                                        s->span_bits, s->rs->nwords, s->rs->always);

    if (k != (size_t)-1) {
        for (i = 0; i < k; i++) {
            s->spans[i].start += pos;
            s->spans[i].end += pos;
        }
        return k;
    }
    k = 0;
    while (pos < n && k < s->spans_cap) {
        size_t hit = scrub_prefilter_find(pf, sc, p, pos, n);
        const uint8_t *nl;
        if (hit >= n) {
            break;
        }
        nl = hit > pos ? memrchr(p + pos, '\n', hit - pos) : NULL;
        s->spans[k].start = nl ? (size_t)(nl - p) + 1 : pos;
        nl = memchr(p + hit, '\n', n - hit);
        s->spans[k].end = nl ? (size_t)(nl - p) + 1 : n;
        s->spans[k].bits = NULL;
        s->spans[k].npos = SCRUB_POS_UNKNOWN;
        pos = s->spans[k].end;
        k++;
    }
    return k;
}

/* Every line of p[0, n) is a candidate: a rule without keywords. */
static int process_all_lines(scrub_stream_t *s, span_state_t *st, size_t n)
{
    size_t pos = 0;
    int rc;

    while (pos < n) {
        const uint8_t *nl = memchr(st->p + pos, '\n', n - pos);
        size_t le = nl ? (size_t)(nl - st->p) + 1 : n;
        rc = scan_line(s, st, pos, le, NULL);
        if (rc == 0 && s->pem_left > 0) {
            rc = pem_follow(s, st, n, &le);
        }
        if (rc != 0) {
            return rc;
        }
        pos = le;
    }
    return flush_span(s, st, n);
}

/*
 * Process the records of p[0, n): every line ends with '\n' except, when the
 * caller is finishing, possibly the last one. The lines between candidates
 * are counted clean in runs and stay in the pending span (no copy).
 */
static int process_lines(scrub_stream_t *s, const uint8_t *p, size_t n, int borrowed)
{
    scrub_pf_scratch_t *sc = scrub_scan_pf_scratch(s->w);
    span_state_t st = {p, 0, 0, borrowed};
    size_t pos = 0, i, k;
    int rc;

    if (s->rs->has_always) {
        return process_all_lines(s, &st, n);
    }
    /* A private key begun in an earlier buffer continues here. */
    rc = pem_follow(s, &st, n, &pos);
    do {
        k = rc == 0 && pos < n ? candidate_lines(s, sc, p, pos, n) : 0;
        for (i = 0; rc == 0 && i < k; i++) {
            if (s->spans[i].start < st.counted) {
                continue; /* taken by the PEM state */
            }
            rc = count_clean(s, &st, s->spans[i].start);
            rc = rc ? rc : scan_line(s, &st, s->spans[i].start, s->spans[i].end, &s->spans[i]);
            if (rc == 0 && s->pem_left > 0) {
                size_t next = s->spans[i].end;
                rc = pem_follow(s, &st, n, &next);
            }
        }
        pos = st.counted; /* after the last line taken (and any key body after it) */
    } while (k == s->spans_cap);
    if (rc != 0) {
        return rc;
    }
    rc = count_clean(s, &st, n);
    return rc ? rc : flush_span(s, &st, n);
}

int scrub_stream_feed(scrub_stream_t *s, const uint8_t *p, size_t n)
{
    const uint8_t *nl;
    size_t i = 0, last;
    int rc;

    if (s->dead) {
        return s->dead;
    }
    if (s->overflow) {
        /* Inside an oversized record: pieces go to the quarantine until its newline. */
        nl = memchr(p, '\n', n);
        if (nl == NULL) {
            return oversize_piece(s, SCRUB_PART_MIDDLE, p, n);
        }
        i = (size_t)(nl - p) + 1;
        rc = oversize_piece(s, SCRUB_PART_LAST, p, i);
        if (rc != 0) {
            return rc;
        }
    }
    if (s->carry.len > 0 && i < n) {
        /* Complete the unfinished line from the previous feed. */
        nl = memchr(p + i, '\n', n - i);
        if (nl == NULL) {
            if (s->carry.len + (n - i) > s->max_record + 2) {
                rc = oversize_piece(s, SCRUB_PART_FIRST, s->carry.data, s->carry.len);
                scrub_buf_reset(&s->carry);
                return rc ? rc : oversize_piece(s, SCRUB_PART_MIDDLE, p + i, n - i);
            }
            return scrub_buf_append(&s->carry, p + i, n - i);
        }
        last = (size_t)(nl - p) + 1;
        if (s->carry.len + (last - i) > s->max_record + 2) {
            rc = oversize_piece(s, SCRUB_PART_FIRST, s->carry.data, s->carry.len);
            scrub_buf_reset(&s->carry);
            rc = rc ? rc : oversize_piece(s, SCRUB_PART_LAST, p + i, last - i);
        }
        else {
            rc = scrub_buf_append(&s->carry, p + i, last - i);
            rc = rc ? rc : process_lines(s, s->carry.data, s->carry.len, 0);
            scrub_buf_reset(&s->carry);
        }
        if (rc != 0) {
            return rc;
        }
        i = last;
    }
    if (i >= n) {
        return s->dead;
    }
    nl = memrchr(p + i, '\n', n - i);
    last = nl ? (size_t)(nl - p) + 1 : i;
    if (last > i) {
        rc = process_lines(s, p + i, last - i, 1);
        if (rc != 0) {
            return rc;
        }
    }
    if (last < n) {
        if (n - last > s->max_record + 2) {
            return oversize_piece(s, SCRUB_PART_FIRST, p + last, n - last);
        }
        return scrub_buf_append(&s->carry, p + last, n - last);
    }
    return 0;
}

int scrub_stream_finish(scrub_stream_t *s)
{
    int rc;

    if (s->dead) {
        return s->dead;
    }
    if (s->overflow) {
        return oversize_piece(s, SCRUB_PART_LAST, (const uint8_t *)"", 0);
    }
    if (s->carry.len > 0) {
        rc = process_lines(s, s->carry.data, s->carry.len, 0);
        scrub_buf_reset(&s->carry);
        return rc;
    }
    return 0;
}
