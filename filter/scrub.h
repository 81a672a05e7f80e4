/* scrub.h: the public API of libscrub, the only header front ends include. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_H
#define SCRUB_H

/*
 * Ownership rule: arguments are borrowed unless a comment says "takes
 * ownership"; every object returned by a *_new or *_load function is owned
 * by the caller and released with the matching *_destroy or *_unref, which
 * accept NULL. Fallible functions return 0 or a negative SCRUB_E* code and
 * fill a caller-supplied errstr (never with log content).
 *
 * Threads: a scrub_ruleset is immutable and may be shared by any number of
 * threads; a scrub_worker or scrub_stream is used by one thread at a time.
 */

#include <stddef.h>
#include <stdint.h>

#define SCRUB_VERSION "0.1.0"

/* ---- error codes ------------------------------------------------------- */

#define SCRUB_OK 0
#define SCRUB_EINVAL (-1)     /* bad argument */
#define SCRUB_ENOMEM (-2)     /* allocation failed */
#define SCRUB_ETOOBIG (-3)    /* a size limit was reached */
#define SCRUB_ECONFIG (-4)    /* configuration error (syntax, schema, unknown key) */
#define SCRUB_EREGEX (-5)     /* a pattern did not compile */
#define SCRUB_EIO (-6)        /* an I/O error in a sink or source */
#define SCRUB_ELIMIT (-7)     /* a match/depth/heap limit or work budget was hit */
#define SCRUB_EJSON (-8)      /* malformed JSON */
#define SCRUB_EDEPTH (-9)     /* nesting deeper than allowed */
#define SCRUB_EPIPE (-10)     /* the reader of the clean output went away */
#define SCRUB_EBUDGET (-11)   /* a decode or evaluation budget was exhausted */

/* A static description of an error code. Never NULL. */
const char *scrub_strerror(int code);

/* ---- actions and verdicts ----------------------------------------------- */

/* Ordered by strength: a larger value wins when findings overlap. Among the
 * rewriting actions the one that reveals least wins (redact > hash > mask). */
typedef enum scrub_action {
    SCRUB_ACT_NONE = 0,
    SCRUB_ACT_TAG,        /* record passes unchanged, the finding is reported */
    SCRUB_ACT_DEFANG,     /* lookups in the span are made inert */
    SCRUB_ACT_MASK,       /* the secret's middle is replaced by mask chars */
    SCRUB_ACT_HASH,       /* the secret is replaced by a keyed HMAC */
    SCRUB_ACT_REDACT,     /* the secret is replaced by the rule's template */
    SCRUB_ACT_DROP,       /* the record is discarded (counted) */
    SCRUB_ACT_QUARANTINE  /* the record is held back whole */
} scrub_action_t;

/* Name of an action ("redact", ...). Never NULL. */
const char *scrub_action_name(scrub_action_t a);

/* Where a record ends up; in = clean + quarantined + dropped. */
typedef enum scrub_verdict {
    SCRUB_V_CLEAN = 0,     /* forwarded byte-identical */
    SCRUB_V_TAGGED,        /* forwarded byte-identical, findings reported */
    SCRUB_V_REDACTED,      /* forwarded with replacements */
    SCRUB_V_QUARANTINED,   /* held back whole */
    SCRUB_V_DROPPED        /* discarded */
} scrub_verdict_t;

/* Why a record failed closed (0 when it did not). */
typedef enum scrub_failure {
    SCRUB_FAIL_NONE = 0,
    SCRUB_FAIL_OVERSIZE,   /* record longer than max_record */
    SCRUB_FAIL_LIMIT,      /* a PCRE2 limit was hit */
    SCRUB_FAIL_BUDGET,     /* a decode/evaluation budget was exhausted */
    SCRUB_FAIL_DEPTH,      /* structured record nested too deeply */
    SCRUB_FAIL_NOMEM,      /* allocation failure during the scan */
    SCRUB_FAIL_INTERNAL    /* any other scan error */
} scrub_failure_t;

const char *scrub_failure_name(scrub_failure_t f);

/* ---- rule sets ---------------------------------------------------------- */

typedef struct scrub_ruleset scrub_ruleset_t;

/* Options for loading a rule set; zero-initialise, then set what you need. */
typedef struct scrub_load_opts {
    const char *hash_key;        /* overrides the config's HMAC key, or NULL */
    size_t max_record;           /* overrides limits.max_record when non-zero */
    const char *format;          /* overrides `format:` (raw, json, logfmt, auto) when non-NULL */
    void (*warn)(void *ctx, const char *msg); /* receives load warnings, or NULL */
    void *warn_ctx;              /* passed to warn */
} scrub_load_opts_t;

/*
 * Load a YAML config (with its includes), compile every rule and build the
 * prefilter. On success *out holds a rule set with one reference owned by the
 * caller. On failure returns SCRUB_ECONFIG, SCRUB_EREGEX or SCRUB_ENOMEM and
 * errstr reads "file:line:col: rule 'id': message".
 */
int scrub_ruleset_load(const char *path, const scrub_load_opts_t *opts,
                       scrub_ruleset_t **out, char *errstr, size_t errstr_size);

/* Take another reference. Thread-safe. Returns rs. */
scrub_ruleset_t *scrub_ruleset_ref(scrub_ruleset_t *rs);

/* Drop a reference; the last one frees the set. Thread-safe; accepts NULL. */
void scrub_ruleset_unref(scrub_ruleset_t *rs);

/* Number of rules. */
size_t scrub_ruleset_count(const scrub_ruleset_t *rs);

/* Read-only view of one rule, valid while the rule set lives. */
typedef struct scrub_rule_info {
    const char *id;            /* unique rule id */
    const char *description;   /* may be "" */
    const char *pattern;       /* PCRE2 source, or "" for detector rules */
    const char *detector;      /* built-in detector name, or NULL */
    const char *severity;      /* "low" .. "critical" */
    scrub_action_t action;     /* what a finding does */
    size_t nkeywords;          /* number of prefilter keywords */
    const char *const *keywords; /* lower-cased keywords */
    int jit;                   /* 1 when JIT-compiled */
} scrub_rule_info_t;

/* Fill *info for rule i (0 <= i < count). Returns 0 or SCRUB_EINVAL. */
int scrub_ruleset_rule(const scrub_ruleset_t *rs, size_t i, scrub_rule_info_t *info);

/* Configured maximum record size in bytes. */
size_t scrub_ruleset_max_record(const scrub_ruleset_t *rs);

/* Sink paths named in the config ("" when unset); for front ends. */
const char *scrub_ruleset_quarantine_path(const scrub_ruleset_t *rs);
const char *scrub_ruleset_audit_path(const scrub_ruleset_t *rs);

/*
 * Check every rule's examples: each `match` example must produce a finding of
 * that rule, each `no_match` example must not; and for a rule tried only near
 * its keywords (scrub_lead.h), every match of its regex in a `match` example
 * must start that near a keyword. Writes one line per failure to
 * report(ctx, line) (the line names the rule and the example index, and
 * contains the example text, which is test data, not log data). Returns the
 * number of failures, or a negative error code.
 */
int scrub_ruleset_test_examples(const scrub_ruleset_t *rs,
                                void (*report)(void *ctx, const char *line),
                                void *ctx, size_t *nchecked);

/*
 * Try every regex rule on generated hostile inputs (about 4 KB) with a small
 * match limit and call warn(ctx, message) for each rule that hits it (it may
 * backtrack catastrophically). Returns the number of such rules, or
 * SCRUB_ENOMEM. Used by --check; takes about a millisecond per rule.
 */
int scrub_ruleset_lint(const scrub_ruleset_t *rs, void (*warn)(void *ctx, const char *msg),
                       void *ctx);

/* ---- workers: per-thread scanning state --------------------------------- */

typedef struct scrub_worker scrub_worker_t;

/* One finding in a record. Offsets are bytes in the original record. */
typedef struct scrub_finding {
    uint32_t rule;           /* rule index in the rule set */
    scrub_action_t action;   /* the rule's action */
    size_t start;            /* first byte of the secret */
    size_t end;              /* one past the last byte */
} scrub_finding_t;

/* The result of scanning one record; owned by the worker, valid until the
 * next scan on the same worker. */
typedef struct scrub_result {
    scrub_verdict_t verdict;       /* where the record goes */
    scrub_failure_t failure;       /* set when the record failed closed */
    int failed_rule;               /* rule index that failed, or -1 */
    int fallback;                  /* 1: a record that claimed to be JSON was scanned raw */
    size_t in_len;                 /* bytes scanned */
    const uint8_t *out;            /* bytes to forward (the input itself when
                                      nothing was rewritten) */
    size_t out_len;                /* length of out */
    size_t nfindings;              /* findings kept after validation/allow */
    const scrub_finding_t *findings; /* sorted by start */
} scrub_result_t;

/* Create a worker bound to a rule set (takes a reference). NULL on ENOMEM. */
scrub_worker_t *scrub_worker_new(scrub_ruleset_t *rs);

/* Release a worker and its rule set reference. Accepts NULL. */
void scrub_worker_destroy(scrub_worker_t *w);

/* The rule set the worker uses (borrowed). */
scrub_ruleset_t *scrub_worker_ruleset(const scrub_worker_t *w);

/*
 * Scan one record (no framing: the bytes are the record, a trailing newline
 * included if the caller framed it so). Runs the prefilter, the candidate
 * rules, validators and allow lists, and builds the rewritten bytes.
 * Never fails: scan problems fail closed and show in res->failure.
 */
void scrub_worker_scan(scrub_worker_t *w, const uint8_t *rec, size_t len,
                       scrub_result_t *res);

/*
 * Scan one string field of a structured record (a JSON or msgpack map value).
 * path is the dotted key path ("request.headers.authorization", may be empty),
 * used by key-based rules (`keys:` in the config), which redact the whole value
 * whatever it holds; the regex rules then run on the value. The result's out
 * is the value to store back (not re-escaped: the caller escapes it for its
 * format). Never fails; problems fail closed through res->failure.
 */
void scrub_worker_scan_field(scrub_worker_t *w, const uint8_t *path, size_t path_len,
                             const uint8_t *val, size_t len, scrub_result_t *res);

/* ---- settings for front ends ------------------------------------------- */

/*
 * Scalar settings of the front-end sections of the config (input:, output:,
 * quarantine:, audit:), addressed by dotted path; sequence items are numbered
 * from 0 ("input.kafka.topics.0"). Returns the value or NULL when absent.
 */
const char *scrub_ruleset_setting(const scrub_ruleset_t *rs, const char *path);

/* Call fn for every scalar setting whose path starts with prefix (e.g.
 * "input.kafka.properties."), in file order, with the YAML position
 * "file:line:col" for error messages. Stops and returns fn's non-zero value. */
int scrub_ruleset_settings(const scrub_ruleset_t *rs, const char *prefix,
                           int (*fn)(void *ctx, const char *path, const char *value,
                                     const char *where),
                           void *ctx);

/* ---- statistics --------------------------------------------------------- */

typedef struct scrub_counts {
    uint64_t records_in;     /* records seen */
    uint64_t clean;          /* forwarded (includes redacted and tagged) */
    uint64_t redacted;       /* forwarded with replacements */
    uint64_t tagged;         /* forwarded unchanged with findings */
    uint64_t quarantined;    /* held back (includes failed closed) */
    uint64_t dropped;        /* discarded */
    uint64_t failed_closed;  /* could not be fully scanned */
    uint64_t findings;       /* findings kept */
    uint64_t format_fallback;/* JSON-looking records that did not parse, scanned raw */
    uint64_t bytes_in;       /* input bytes */
    uint64_t bytes_out;      /* clean output bytes */
} scrub_counts_t;

typedef struct scrub_stats scrub_stats_t;

/* A zeroed stats block sized for rs. NULL on ENOMEM. */
scrub_stats_t *scrub_stats_new(const scrub_ruleset_t *rs);
void scrub_stats_destroy(scrub_stats_t *st);
/* Add src into dst; per-rule counts match by rule id when the sets differ. */
void scrub_stats_merge(scrub_stats_t *dst, const scrub_stats_t *src);
/* Zero every counter (the block stays bound to its rule set). */
void scrub_stats_clear(scrub_stats_t *st);
/* Re-index per-rule counts for a new rule set (hot reload), by rule id; counts of
 * rules that are gone are dropped. 0 or SCRUB_ENOMEM (then unchanged). */
int scrub_stats_rebind(scrub_stats_t *st, const scrub_ruleset_t *rs);
const scrub_counts_t *scrub_stats_counts(const scrub_stats_t *st);
/* Findings per rule index. */
uint64_t scrub_stats_rule_findings(const scrub_stats_t *st, size_t rule);
/* Record one scan result (verdict, findings) into the counters. */
void scrub_stats_add(scrub_stats_t *st, const scrub_result_t *res, size_t in_len);
/* Count records forwarded unchanged in bulk (no scan result). */
void scrub_stats_add_clean(scrub_stats_t *st, uint64_t records, uint64_t bytes);
/* JSON summary {"records_in":...,"rules":{"id":n,...}} into a malloc'ed,
 * NUL-terminated string owned by the caller; NULL on ENOMEM. Rule ids come
 * from the rule set the counters are bound to (rs is ignored; kept for
 * compatibility). */
char *scrub_stats_json(const scrub_stats_t *st, const scrub_ruleset_t *rs);

/* ---- streams: framing + routing ----------------------------------------- */

/* Where a record came from; passed to sinks with each record. */
typedef struct scrub_origin {
    const char *name;      /* input name ("-" for stdin, a path, topic/partition) */
    uint64_t record;       /* 1-based record number within the input */
    uint64_t offset;       /* byte offset of the record within the input */
    int part;              /* SCRUB_PART_*: oversized records reach the quarantine in pieces */
    const scrub_ruleset_t *rs; /* the rule set that scanned the record: finding rule
                              indexes refer to it (it can change with a hot reload) */
} scrub_origin_t;

#define SCRUB_PART_WHOLE 0   /* the call carries the whole record */
#define SCRUB_PART_FIRST 1   /* first piece of an oversized record */
#define SCRUB_PART_MIDDLE 2  /* a further piece */
#define SCRUB_PART_LAST 3    /* the final piece (may be empty) */

/*
 * Sink callbacks. Each returns 0 on success or a negative SCRUB_E* code,
 * which stops the stream (the feed/finish call returns it).
 *  clean:      bytes for the clean output, possibly spanning many records;
 *              p points into the caller's buffer or the stream's scratch and
 *              is only valid during the call.
 *  quarantine: one record held back (may be NULL: quarantined records are
 *              then replaced by a marker line in the clean output). A record
 *              longer than max_record arrives in pieces (o->part), so memory
 *              stays bounded; res->failure is SCRUB_FAIL_OVERSIZE for them.
 *  audit:      one call per kept finding (may be NULL).
 */
typedef struct scrub_sink_ops {
    int (*clean)(void *ctx, const uint8_t *p, size_t n);
    int (*quarantine)(void *ctx, const scrub_origin_t *o, const scrub_result_t *res,
                      const uint8_t *rec, size_t len);
    int (*audit)(void *ctx, const scrub_origin_t *o, const scrub_finding_t *f,
                 const uint8_t *rec, size_t len);
    void *ctx;
    /* optional: push buffered output out. The thread pool's writer calls it
     * when it has caught up with the input, so a slow pipe is not held back. */
    int (*flush)(void *ctx);
    /* optional: clean bytes that stay valid until the next flush call, so the
     * sink may keep a reference instead of copying them. A stream uses it for
     * spans of the caller's buffer only: whoever feeds a stream with it set
     * calls flush before reusing a buffer it fed; the pool's writer calls
     * flush before it reuses a block. NULL: clean is used. */
    int (*clean_ref)(void *ctx, const uint8_t *p, size_t n);
} scrub_sink_ops_t;

typedef struct scrub_stream scrub_stream_t;

/*
 * A newline-framing stream over a worker (borrowed; must outlive the stream).
 * Records are newline-terminated; CRLF and a final record without newline are
 * preserved; records longer than max_record fail closed without being held
 * in memory whole. Output order equals input order.
 */
scrub_stream_t *scrub_stream_new(scrub_worker_t *w, const scrub_sink_ops_t *ops,
                                 scrub_stats_t *stats, const char *origin_name);
void scrub_stream_destroy(scrub_stream_t *s);

/* Feed bytes. Returns 0 or the first sink error (then the stream is dead). */
int scrub_stream_feed(scrub_stream_t *s, const uint8_t *p, size_t n);

/* Flush a final record without newline. Returns 0 or a sink error. */
int scrub_stream_finish(scrub_stream_t *s);

/* Start a new input (resets record numbering; must be called between records,
 * i.e. after finish). */
void scrub_stream_set_origin(scrub_stream_t *s, const char *origin_name);

/* Switch to another worker (hot reload: a new rule set) between feeds; an
 * unfinished line stays and is scanned by the new worker. w is borrowed. */
void scrub_stream_set_worker(scrub_stream_t *s, scrub_worker_t *w);

/* Records started so far in the current input (after set_origin: from 0). */
uint64_t scrub_stream_records(const scrub_stream_t *s);

/* Nonzero while a multi-line block is open: a private key's BEGIN line was
 * seen and the lines after it are redacted as its body until its END line (or
 * a line that cannot be body). A restart that resumed after this point would
 * not know the block, so a checkpoint must not be taken now. */
int scrub_stream_in_block(const scrub_stream_t *s);

/* Nonzero while inside an oversized record: more than max_record bytes of it
 * went to the quarantine and its newline has not come yet. Every byte fed up
 * to and including that newline goes to the quarantine too, however late it
 * comes; only scrub_stream_finish ends the record earlier. No byte of it is
 * held in the stream. */
int scrub_stream_in_oversize(const scrub_stream_t *s);

/*
 * Close the quarantine entry of the oversized record in progress without
 * ending the record: the sink gets an empty LAST piece, so its output is
 * whole (a caller that shares one quarantine file between streams, or
 * checkpoints it, needs that), and the stream stays inside the record. The
 * record's next bytes open a new entry: a FIRST piece with the same record
 * number and the input offset of those bytes. The record is still counted
 * once, when it ends. Does nothing when not inside one, when the entry is
 * already closed, or without a quarantine sink (the marker line is written
 * when the record ends). Returns 0 or a sink error (then the stream is dead).
 */
int scrub_stream_pause_oversize(scrub_stream_t *s);

/*
 * Start inside an oversized record whose earlier bytes an earlier run already
 * quarantined (a restart from a checkpoint taken inside it): the bytes fed up
 * to the next newline continue it, as after scrub_stream_pause_oversize. The
 * record gets the next record number; its count covers only the bytes fed
 * here. Call before the first feed (after new or set_origin).
 */
void scrub_stream_enter_oversize(scrub_stream_t *s);

/* ---- worker pool: parallel scanning, ordered output ----------------------------------- */

typedef struct scrub_pool scrub_pool_t;

/*
 * A pool of nthreads scanning threads and one writer thread. The caller reads
 * input into the pool's buffers; records are scanned in parallel and the sink
 * callbacks run on the writer thread only, in input order, with the same
 * calls a scrub_stream makes. Memory is bounded by 2 * nthreads + 2 blocks of
 * max(1 MiB, 2 * max_record). stats (borrowed) receives the counts at
 * scrub_pool_merge_stats. NULL on ENOMEM or thread creation failure.
 */
scrub_pool_t *scrub_pool_new(scrub_ruleset_t *rs, unsigned nthreads, const scrub_sink_ops_t *ops,
                             scrub_stats_t *stats);
/* Stop the threads and free everything; call after scrub_pool_finish. Accepts NULL. */
void scrub_pool_destroy(scrub_pool_t *pl);
/* Start a new input: numbering restarts; only between finish and the next buffer call. */
void scrub_pool_set_origin(scrub_pool_t *pl, const char *name);
/* Where to read next and how many bytes fit (waits for a free block). */
uint8_t *scrub_pool_buffer(scrub_pool_t *pl, size_t *cap);
/* n bytes were read into the buffer. Returns 0 or the first sink error (sticky). */
int scrub_pool_commit(scrub_pool_t *pl, size_t n);
/*
 * Instead of buffer/commit for a whole input: hand the workers the caller's
 * own bytes p[0, n) (a mapped file), without a copy. Takes whole lines from
 * the front (at most one block), sets *took to how many bytes it took (call
 * again from there) and returns 0 or the first sink error (sticky). Pass all the rest of the input each time (n below a
 * block only at its end) with final = 1 when it runs to the end of the
 * input. The bytes must stay readable until the block is written: those more
 * than scrub_pool_lent_bound() before the start of the latest lend are done
 * with, all of them after scrub_pool_finish. Not mixed with buffer/commit
 * within one input.
 */
int scrub_pool_lend(scrub_pool_t *pl, const uint8_t *p, size_t n, int final, size_t *took);
size_t scrub_pool_lent_bound(const scrub_pool_t *pl);
/* End of the current input: flush a final line and wait until all is written.
 * Returns 0 or the first sink error. */
int scrub_pool_finish(scrub_pool_t *pl);
/* Scan blocks submitted from now on with rs (hot reload). Takes a reference. */
void scrub_pool_set_ruleset(scrub_pool_t *pl, scrub_ruleset_t *rs);
/* Add the threads' counters to the caller's stats (after finish). */
void scrub_pool_merge_stats(scrub_pool_t *pl);

/* ---- worker pool, record mode: whole records, one result callback --------------------- */

/* One record for scrub_pool_records. The bytes are borrowed until the record's
 * callback has returned; newlines are data (no framing). */
typedef struct scrub_record {
    const uint8_t *data;     /* record bytes; NULL allowed when len is 0 */
    size_t len;              /* bytes */
    void *tag;               /* the caller's handle, passed back to the callback */
} scrub_record_t;

/*
 * The result of one record, on the pool's writer thread, in submission order.
 * res (with res->out and res->findings) is valid during the call only;
 * res->out is rec itself when nothing was rewritten. Returns 0, or a negative
 * SCRUB_E* code that stops all further callbacks (sticky: scrub_pool_records
 * and scrub_pool_finish return it; records not called back keep their tags).
 */
typedef int (*scrub_record_fn)(void *ctx, void *tag, const uint8_t *rec, size_t len,
                               const scrub_result_t *res);

/*
 * A pool for whole records (Kafka messages) rather than a byte stream: the
 * same scanning threads and writer thread, each record scanned as by
 * scrub_worker_scan, fn(ctx, ...) called for every record on the writer
 * thread, in submission order. A result that cannot be kept (no memory) fails
 * closed (quarantined, SCRUB_FAIL_NOMEM). The pool counts nothing (fn sees
 * every result; scrub_pool_merge_stats does nothing). Feed it with
 * scrub_pool_records only; scrub_pool_finish waits for every callback.
 * NULL on ENOMEM or thread creation failure.
 */
scrub_pool_t *scrub_pool_new_records(scrub_ruleset_t *rs, unsigned nthreads, scrub_record_fn fn,
                                     void *ctx);

/*
 * Queue n records (the descriptors are copied) and hand them to the scanning
 * threads at once, up to 256 records per block; waits while every block is
 * busy. Call from one thread. Returns 0, or the first callback error (then
 * nothing more is queued).
 */
int scrub_pool_records(scrub_pool_t *pl, const scrub_record_t *recs, size_t n);

/* ---- helpers for sinks --------------------------------------------------- */

/* Keyed fingerprint (HMAC-SHA256, hex, `hexlen` chars) of bytes, with the
 * rule set's key. out must hold hexlen + 1 bytes. */
void scrub_ruleset_fingerprint(const scrub_ruleset_t *rs, const uint8_t *p, size_t n,
                               char *out, size_t hexlen);

/* Rule id by index. */
const char *scrub_ruleset_rule_id(const scrub_ruleset_t *rs, size_t i);

/* Library versions as "libscrub X, PCRE2 Y (JIT yes|no), libyaml Z". */
const char *scrub_versions(void);

#endif
