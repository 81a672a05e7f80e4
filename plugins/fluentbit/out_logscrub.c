/* out_logscrub: Fluent Bit output plugin (proxy ABI) that scrubs records with libscrub. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Loaded with `fluent-bit -e out_logscrub.so` (or a plugins file) and used as
 * `[OUTPUT] Name logscrub`. An output cannot hand records back to the
 * pipeline, so the plugin forwards them itself:
 *
 *   chunk (msgpack) --fb_chunk--> records --scrub_worker_scan_field per value-->
 *       clean       JSON lines {"date":S.N,"tag":"t"[,"metadata":{..}],...body}
 *       quarantine  JSON lines {"date":..,"tag":..,"logscrub":{reason},"metadata":..,
 *                               "record":{original body}}
 *       dropped     counted only
 *       audit       one JSON line per finding: rule id, action, origin, offsets, never the secret
 *
 * Properties ([OUTPUT] keys, read with api->output_get_property; Fluent Bit
 * does not validate them, so a misspelled key is silently ignored):
 *   config      logscrub YAML (required)
 *   format      format of forwarded records: json_lines (the only one so far)
 *   clean       "stdout" (default) or a file path
 *   quarantine  file path; default: the config's quarantine path; without
 *               one, quarantined records become a marker line in the clean
 *               output (their content is not kept)
 *   audit       file path; default: the config's audit path, else no audit
 *   keys        comma list of key paths whose values are redacted whole, on
 *               top of the config's key rules (see keys_match())
 *   fail_mode   retry (default) | error: flush result when a sink fails
 *   fsync       off (default) | on: fsync(2) sink files before FLB_OK
 *
 * Delivery: FLB_OK only when every record of the chunk is in its sink
 * (write(2) complete, plus fsync when enabled). A sink failure returns
 * FLB_RETRY (or FLB_ERROR with fail_mode error): Fluent Bit then redelivers
 * the whole chunk, so records already written to another sink by the failed
 * attempt appear twice (at-least-once). A partial write to a regular file is
 * rolled back with ftruncate() so no torn line remains. A chunk that cannot
 * be split into records is written (base64) to quarantine and the flush
 * returns FLB_ERROR, the only case that does.
 *
 * Globals: none. Per-instance state hangs off the proxy context's
 * remote_context (fluent-bit-proxy-abi.md section 2.3). Flushes of one
 * instance may run concurrently (Workers N): each flush takes a slot (a
 * scrub_worker, a chunk decoder and output buffers) from a mutex-protected
 * pool, and every sink has a mutex so the lines of one chunk stay together.
 *
 * Stack: the flush runs on a 24-64 KiB coroutine stack. Everything sizeable
 * lives in the slot (heap); the value walk recurses at most 32 levels
 * (msgpack-c's nesting limit), with small frames.
 *
 * Record contents are never logged; log lines carry counts, rule ids,
 * offsets and file names only.
 */

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scrub.h"
#include "scrub_buf.h"

#include "fbp_abi.h"
#include "fb_chunk.h"
#include "fb_json.h"
#include "fb_sink.h"

#define LS_NAME "logscrub"
#define LS_DESC "logscrub: redact secrets, quarantine Log4Shell payloads, forward JSON lines"
#define LS_LOG_PREFIX "[out_logscrub] "
#define LS_KEYS_RULE "plugin.keys"   /* audit rule id of the `keys` property */

/* ---- types ------------------------------------------------------------------ */

typedef struct ls_slot {
    struct ls_slot *next;      /* free-list link */
    scrub_worker_t *w;         /* per-thread scan state */
    fb_chunk_t *dec;           /* chunk decoder (msgpack zone) */
    scrub_buf_t clean;         /* clean lines of the current chunk */
    scrub_buf_t quar;          /* quarantine lines of the current chunk */
    scrub_buf_t audit;         /* audit lines of the current chunk */
    scrub_buf_t path;          /* dotted key path of the value being scanned */
    scrub_buf_t num;           /* text of a number being scanned */
} ls_slot_t;

/* Outcome of one record while it is being walked. */
typedef struct ls_rec_state {
    const fb_rec_t *rec;       /* the record */
    const char *tag;           /* chunk tag */
    uint64_t chunk;            /* chunk sequence number (audit origin) */
    uint64_t recno;            /* 1-based record number in the chunk */
    scrub_verdict_t verdict;   /* strongest verdict so far */
    int rule;                  /* rule index behind a quarantine/drop, or -1 */
    scrub_failure_t failure;   /* failure behind a quarantine/drop */
    unsigned taint;            /* > 0 inside a key that had findings: no path in audit */
} ls_rec_state_t;

typedef struct ls_ctx {
    struct fbp_api *api;       /* Fluent Bit's API table (borrowed) */
    void *o_ins;               /* Fluent Bit's instance (borrowed, for log checks) */
    scrub_ruleset_t *rs;       /* shared, immutable rule set; one reference */
    fb_sink_t clean;           /* clean sink (always set) */
    fb_sink_t quar;            /* quarantine sink, fd -1 when none */
    fb_sink_t audit;           /* audit sink, fd -1 when none */
    int fail_rc;               /* FBP_RETRY or FBP_ERROR on sink failure */
    int do_fsync;              /* fsync sink files before FLB_OK */
    char **keys;               /* `keys` property (matched case-insensitively); owned */
    size_t nkeys;              /* number of keys */
    int pool_ok;               /* pool_lock initialised */
    pthread_mutex_t pool_lock; /* guards pool, nchunks and the totals */
    ls_slot_t *pool;           /* idle slots */
    uint64_t nchunks;          /* chunks seen (audit origin numbering) */
    uint64_t t_in, t_clean, t_quar, t_drop, t_retry; /* totals for the exit summary */
} ls_ctx_t;

/* ---- logging ---------------------------------------------------------------- */

/* Log through Fluent Bit (>= 2.0.0 API table); falls back to stderr when the
 * table lacks log_print. Never pass record contents. */
static void ls_log(const struct fbp_api *api, void *o_ins, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void ls_log(const struct fbp_api *api, void *o_ins, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (api != NULL && api->output_log_check != NULL && o_ins != NULL &&
        !api->output_log_check(o_ins, level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (api != NULL && api->log_print != NULL) {
        api->log_print(level, NULL, 0, LS_LOG_PREFIX "%s", msg);
    }
    else {
        fprintf(stderr, LS_LOG_PREFIX "%s\n", msg);
    }
}

#define LOG(ctx, lvl, ...) ls_log((ctx)->api, (ctx)->o_ins, (lvl), __VA_ARGS__)

/* ---- slots ------------------------------------------------------------------ */

static void slot_destroy(ls_slot_t *sl)
{
    if (sl == NULL) {
        return;
    }
    scrub_worker_destroy(sl->w);
    fb_chunk_destroy(sl->dec);
    scrub_buf_free(&sl->clean);
    scrub_buf_free(&sl->quar);
    scrub_buf_free(&sl->audit);
    scrub_buf_free(&sl->path);
    scrub_buf_free(&sl->num);
    free(sl);
}

/* Take an idle slot or make one. NULL on allocation failure. Thread-safe. */
static ls_slot_t *slot_get(ls_ctx_t *ctx)
{
    ls_slot_t *sl;

    pthread_mutex_lock(&ctx->pool_lock);
    sl = ctx->pool;
    if (sl != NULL) {
        ctx->pool = sl->next;
    }
    pthread_mutex_unlock(&ctx->pool_lock);
    if (sl != NULL) {
        return sl;
    }
    sl = calloc(1, sizeof(*sl));
    if (sl == NULL) {
        return NULL;
    }
    scrub_buf_init(&sl->clean, 0);
    scrub_buf_init(&sl->quar, 0);
    scrub_buf_init(&sl->audit, 0);
    scrub_buf_init(&sl->path, 0);
    scrub_buf_init(&sl->num, 0);
    sl->w = scrub_worker_new(ctx->rs);
    sl->dec = fb_chunk_new();
    if (sl->w == NULL || sl->dec == NULL) {
        slot_destroy(sl);
        return NULL;
    }
    return sl;
}

/* Return a slot to the pool; large buffers are released so that one huge
 * chunk does not pin its memory for the life of the instance. */
static void slot_put(ls_ctx_t *ctx, ls_slot_t *sl)
{
    scrub_buf_t *bufs[] = { &sl->clean, &sl->quar, &sl->audit };
    size_t i;

    for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
        if (bufs[i]->cap > ((size_t)4 << 20)) {
            scrub_buf_free(bufs[i]);
        }
        scrub_buf_reset(bufs[i]);
    }
    pthread_mutex_lock(&ctx->pool_lock);
    sl->next = ctx->pool;
    ctx->pool = sl;
    pthread_mutex_unlock(&ctx->pool_lock);
}

/* ---- scanning ---------------------------------------------------------------- */

/* 1 when the dotted path (case-insensitively) equals a `keys` entry or ends
 * with "." + entry. */
static int keys_match(const ls_ctx_t *ctx, const uint8_t *path, size_t n)
{
    size_t i;
    size_t kl;

    for (i = 0; i < ctx->nkeys; i++) {
        kl = strlen(ctx->keys[i]);
        if (kl > n) {
            continue;
        }
        if (strncasecmp((const char *)path + (n - kl), ctx->keys[i], kl) == 0 &&
            (kl == n || path[n - kl - 1] == '.')) {
            return 1;
        }
    }
    return 0;
}

/* Strength of a verdict: quarantine > drop > redact > tag > clean (DESIGN.md),
 * which is not the enum's order. */
static int verdict_rank(scrub_verdict_t v)
{
    switch (v) {
    case SCRUB_V_QUARANTINED: return 4;
    case SCRUB_V_DROPPED: return 3;
    case SCRUB_V_REDACTED: return 2;
    case SCRUB_V_TAGGED: return 1;
    default: return 0;
    }
}

static void rec_verdict(ls_rec_state_t *st, scrub_verdict_t v, int rule, scrub_failure_t f)
{
    if (verdict_rank(v) > verdict_rank(st->verdict)) {
        st->verdict = v;
        if (v == SCRUB_V_QUARANTINED || v == SCRUB_V_DROPPED) {
            st->rule = rule;
            st->failure = f;
        }
    }
}

/* Audit line for one finding (or a fail-closed event when f is NULL). Holds
 * the rule id, action, origin and offsets inside the value; never the value. */
static int audit_line(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st,
                      const char *rule_id, const char *action, size_t start, size_t end,
                      const char *failure)
{
    scrub_buf_t *b = &sl->audit;
    int rc;

    if (ctx->audit.fd < 0) {
        return 0;
    }
    rc = scrub_buf_puts(b, "{\"date\":");
    rc = rc ? rc : fb_json_time(b, st->rec->sec, st->rec->nsec);
    rc = rc ? rc : scrub_buf_puts(b, ",\"tag\":");
    rc = rc ? rc : fb_json_cstr(b, st->tag);
    rc = rc ? rc : scrub_buf_printf(b, ",\"origin\":{\"chunk\":%" PRIu64 ",\"record\":%" PRIu64
                                    ",\"offset\":%zu},\"path\":", st->chunk, st->recno,
                                    st->rec->off);
    if (rc == 0 && st->taint == 0) {
        rc = fb_json_str(b, sl->path.data, sl->path.len);
    }
    else if (rc == 0) {
        rc = scrub_buf_puts(b, "null");
    }
    rc = rc ? rc : scrub_buf_puts(b, ",\"rule\":");
    rc = rc ? rc : (rule_id != NULL ? fb_json_cstr(b, rule_id) : scrub_buf_puts(b, "null"));
    rc = rc ? rc : scrub_buf_puts(b, ",\"action\":");
    rc = rc ? rc : fb_json_cstr(b, action);
    if (failure != NULL) {
        rc = rc ? rc : scrub_buf_puts(b, ",\"failure\":");
        rc = rc ? rc : fb_json_cstr(b, failure);
    }
    else {
        rc = rc ? rc : scrub_buf_printf(b, ",\"start\":%zu,\"end\":%zu", start, end);
    }
    rc = rc ? rc : scrub_buf_puts(b, "}\n");
    return rc;
}

/*
 * Scan one scalar's text (p, n) at the current path and append its JSON form
 * to sl->clean: the original when nothing was rewritten, res.out otherwise.
 * `as_number` keeps an unchanged number unquoted. Updates the record state.
 */
static int scan_text(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st, const uint8_t *p,
                     size_t n, int as_number, int *had_findings)
{
    scrub_result_t res;
    size_t i;
    int rc = 0;

    memset(&res, 0, sizeof(res));
    scrub_worker_scan_field(sl->w, sl->path.data, sl->path.len, p, n, &res);

    for (i = 0; rc == 0 && i < res.nfindings; i++) {
        const scrub_finding_t *f = &res.findings[i];

        rc = audit_line(ctx, sl, st, scrub_ruleset_rule_id(ctx->rs, f->rule),
                        scrub_action_name(f->action), f->start, f->end, NULL);
    }
    if (res.nfindings > 0) {
        *had_findings = 1;
    }
    if (res.failure != SCRUB_FAIL_NONE) {
        /* fail closed whatever the verdict says */
        *had_findings = 1;
        rc = rc ? rc : audit_line(ctx, sl, st,
                                  res.failed_rule >= 0
                                      ? scrub_ruleset_rule_id(ctx->rs, (size_t)res.failed_rule)
                                      : NULL,
                                  scrub_action_name(SCRUB_ACT_QUARANTINE), 0, 0,
                                  scrub_failure_name(res.failure));
        rec_verdict(st, res.verdict == SCRUB_V_DROPPED ? SCRUB_V_DROPPED : SCRUB_V_QUARANTINED,
                    res.failed_rule, res.failure);
        return rc;
    }
    if (res.verdict == SCRUB_V_QUARANTINED || res.verdict == SCRUB_V_DROPPED) {
        int rule = -1;

        for (i = 0; i < res.nfindings; i++) {
            if ((res.verdict == SCRUB_V_QUARANTINED &&
                 res.findings[i].action == SCRUB_ACT_QUARANTINE) ||
                (res.verdict == SCRUB_V_DROPPED && res.findings[i].action == SCRUB_ACT_DROP)) {
                rule = (int)res.findings[i].rule;
                break;
            }
        }
        rec_verdict(st, res.verdict, rule, SCRUB_FAIL_NONE);
        return rc;
    }
    rec_verdict(st, res.verdict, -1, SCRUB_FAIL_NONE);
    if (rc != 0) {
        return rc;
    }
    if (res.verdict == SCRUB_V_REDACTED) {
        return fb_json_str(&sl->clean, res.out, res.out_len);
    }
    if (as_number) {
        return scrub_buf_append(&sl->clean, p, n);
    }
    return fb_json_str(&sl->clean, p, n);
}

static int scan_value(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st, const msgpack_object *o);

/* Scan a map: keys (content rules only: scanned with an empty path) and
 * values (with their dotted path). */
static int scan_map(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st, const msgpack_object *o)
{
    const uint8_t *kp;
    size_t kn;
    size_t base = sl->path.len;
    uint32_t i;
    int rc;
    int key_findings;
    scrub_buf_t tmp;

    rc = scrub_buf_putc(&sl->clean, '{');
    for (i = 0; rc == 0 && i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;

        if (st->verdict == SCRUB_V_QUARANTINED) {
            break;   /* the record is held back whole: no need to go on */
        }
        if (i > 0) {
            rc = scrub_buf_putc(&sl->clean, ',');
        }
        scrub_buf_init(&tmp, 0);
        if (rc == 0 && !fb_json_scalar_bytes(k, &kp, &kn)) {
            rc = fb_json_raw(&tmp, k);
            kp = tmp.data;
            kn = tmp.len;
        }
        /* the key itself, scanned with an empty path so key rules do not fire */
        key_findings = 0;
        if (rc == 0) {
            size_t saved = sl->path.len;

            sl->path.len = 0;
            rc = scan_text(ctx, sl, st, kp != NULL ? kp : (const uint8_t *)"", kn, 0,
                           &key_findings);
            sl->path.len = saved;
        }
        if (rc == 0) {
            rc = scrub_buf_putc(&sl->clean, ':');
        }
        /* path for the value: parent + "." + raw key */
        if (rc == 0 && base > 0) {
            rc = scrub_buf_putc(&sl->path, '.');
        }
        if (rc == 0) {
            rc = scrub_buf_append(&sl->path, kp, kn);
        }
        scrub_buf_free(&tmp);
        if (rc == 0) {
            st->taint += key_findings ? 1 : 0;
            rc = scan_value(ctx, sl, st, &o->via.map.ptr[i].val);
            st->taint -= key_findings ? 1 : 0;
        }
        sl->path.len = base;
    }
    return rc != 0 ? rc : scrub_buf_putc(&sl->clean, '}');
}

/* Scan and emit one value of the record. Strings, binaries and ext data are
 * scanned as text; integers and floats are scanned as their decimal text
 * (so key rules and card/number rules apply to them) and stay numbers when
 * unchanged; nil and booleans are copied. */
static int scan_value(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st, const msgpack_object *o)
{
    const uint8_t *p;
    size_t n;
    uint32_t i;
    int rc = 0;
    int findings = 0;

    if (ctx->nkeys > 0 && keys_match(ctx, sl->path.data, sl->path.len)) {
        /* `keys` property: the whole value, whatever it holds */
        rec_verdict(st, SCRUB_V_REDACTED, -1, SCRUB_FAIL_NONE);
        rc = audit_line(ctx, sl, st, LS_KEYS_RULE, "redact", 0, 0, NULL);
        return rc ? rc : fb_json_cstr(&sl->clean, "[REDACTED:" LS_KEYS_RULE "]");
    }
    if (fb_json_scalar_bytes(o, &p, &n)) {
        return scan_text(ctx, sl, st, p != NULL ? p : (const uint8_t *)"", n, 0, &findings);
    }
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
    case MSGPACK_OBJECT_BOOLEAN:
        return fb_json_raw(&sl->clean, o);
    case MSGPACK_OBJECT_ARRAY:
        rc = scrub_buf_putc(&sl->clean, '[');
        for (i = 0; rc == 0 && i < o->via.array.size; i++) {
            if (st->verdict == SCRUB_V_QUARANTINED) {
                break;
            }
            if (i > 0) {
                rc = scrub_buf_putc(&sl->clean, ',');
            }
            if (rc == 0) {
                rc = scan_value(ctx, sl, st, &o->via.array.ptr[i]);
            }
        }
        return rc != 0 ? rc : scrub_buf_putc(&sl->clean, ']');
    case MSGPACK_OBJECT_MAP:
        return scan_map(ctx, sl, st, o);
    default:
        scrub_buf_reset(&sl->num);
        rc = fb_json_number(&sl->num, o);
        if (rc != 0) {
            return rc;
        }
        if (sl->num.len == 4 && memcmp(sl->num.data, "null", 4) == 0) {
            return scrub_buf_puts(&sl->clean, "null");
        }
        return scan_text(ctx, sl, st, sl->num.data, sl->num.len, 1, &findings);
    }
}

/* ---- records ------------------------------------------------------------------ */

/* Quarantine (or clean-output marker) line for a record held back whole. */
static int quarantine_record(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st)
{
    scrub_buf_t *b = ctx->quar.fd >= 0 ? &sl->quar : &sl->clean;
    const char *rule = st->rule >= 0 ? scrub_ruleset_rule_id(ctx->rs, (size_t)st->rule) : NULL;
    int rc;

    rc = scrub_buf_puts(b, "{\"date\":");
    rc = rc ? rc : fb_json_time(b, st->rec->sec, st->rec->nsec);
    rc = rc ? rc : scrub_buf_puts(b, ",\"tag\":");
    rc = rc ? rc : fb_json_cstr(b, st->tag);
    rc = rc ? rc : scrub_buf_puts(b, ",\"logscrub\":{\"verdict\":\"quarantined\",\"rule\":");
    rc = rc ? rc : (rule != NULL ? fb_json_cstr(b, rule) : scrub_buf_puts(b, "null"));
    rc = rc ? rc : scrub_buf_puts(b, ",\"failure\":");
    rc = rc ? rc : fb_json_cstr(b, scrub_failure_name(st->failure));
    rc = rc ? rc : scrub_buf_putc(b, '}');
    if (ctx->quar.fd >= 0) {
        /* the original record, for review */
        if (st->rec->meta != NULL && st->rec->meta->via.map.size > 0) {
            rc = rc ? rc : scrub_buf_puts(b, ",\"metadata\":");
            rc = rc ? rc : fb_json_raw(b, st->rec->meta);
        }
        rc = rc ? rc : scrub_buf_puts(b, ",\"record\":");
        rc = rc ? rc : fb_json_raw(b, st->rec->body);
    }
    return rc ? rc : scrub_buf_puts(b, "}\n");
}

/* A framed record that is not a log record, or the undecodable rest of a
 * chunk: kept as base64 msgpack in quarantine (a marker in the clean output
 * when there is no quarantine sink). `why` is a static string. */
static int quarantine_raw(ls_ctx_t *ctx, ls_slot_t *sl, const char *tag, uint64_t chunk,
                          const char *reason, const char *why, const uint8_t *p, size_t off,
                          size_t n)
{
    scrub_buf_t *b = ctx->quar.fd >= 0 ? &sl->quar : &sl->clean;
    int rc;

    rc = scrub_buf_puts(b, "{\"tag\":");
    rc = rc ? rc : fb_json_cstr(b, tag);
    rc = rc ? rc : scrub_buf_puts(b, ",\"logscrub\":{\"verdict\":\"quarantined\",\"reason\":");
    rc = rc ? rc : fb_json_cstr(b, reason);
    rc = rc ? rc : scrub_buf_puts(b, ",\"detail\":");
    rc = rc ? rc : fb_json_cstr(b, why);
    rc = rc ? rc : scrub_buf_printf(b, ",\"chunk\":%" PRIu64 ",\"offset\":%zu,\"length\":%zu}",
                                    chunk, off, n);
    if (ctx->quar.fd >= 0) {
        rc = rc ? rc : scrub_buf_puts(b, ",\"msgpack_base64\":");
        rc = rc ? rc : fb_json_base64(b, p + off, n);
    }
    return rc ? rc : scrub_buf_puts(b, "}\n");
}

/* Scan one log record; its clean line, quarantine line or nothing (drop) is
 * appended to the slot's buffers. *verdict receives the record's road. */
static int process_record(ls_ctx_t *ctx, ls_slot_t *sl, ls_rec_state_t *st,
                          scrub_verdict_t *verdict)
{
    size_t mark_clean = sl->clean.len;
    int rc;

    *verdict = SCRUB_V_CLEAN;
    scrub_buf_reset(&sl->path);
    rc = scrub_buf_puts(&sl->clean, "{\"date\":");
    rc = rc ? rc : fb_json_time(&sl->clean, st->rec->sec, st->rec->nsec);
    rc = rc ? rc : scrub_buf_puts(&sl->clean, ",\"tag\":");
    rc = rc ? rc : fb_json_cstr(&sl->clean, st->tag);
    if (rc == 0 && st->rec->meta != NULL && st->rec->meta->via.map.size > 0) {
        /* metadata is scanned like the body, under its own key paths */
        rc = scrub_buf_puts(&sl->clean, ",\"metadata\":");
        rc = rc ? rc : scan_map(ctx, sl, st, st->rec->meta);
        scrub_buf_reset(&sl->path);
    }
    /* body keys are spliced into the top-level object */
    if (rc == 0 && st->rec->body->via.map.size > 0 && st->verdict != SCRUB_V_QUARANTINED) {
        size_t open = sl->clean.len;

        rc = scan_map(ctx, sl, st, st->rec->body);
        if (rc == 0) {
            /* turn the map's '{' into ',' and keep its closing '}' */
            sl->clean.data[open] = ',';
        }
    }
    else if (rc == 0) {
        rc = scrub_buf_putc(&sl->clean, '}');
    }
    rc = rc ? rc : scrub_buf_putc(&sl->clean, '\n');
    if (rc != 0) {
        /* out of memory while building the line: never forward a partial
         * scan; the whole chunk is retried */
        sl->clean.len = mark_clean;
        return rc;
    }
    if (st->verdict == SCRUB_V_QUARANTINED || st->verdict == SCRUB_V_DROPPED) {
        sl->clean.len = mark_clean;
        if (st->verdict == SCRUB_V_QUARANTINED) {
            rc = quarantine_record(ctx, sl, st);
        }
    }
    *verdict = st->verdict;
    return rc;
}

/* ---- entry points --------------------------------------------------------------- */

FBP_EXPORT int FLBPluginRegister(void *def)
{
    struct fbp_def_v1 *d = def;

    /* offsets 0..31 only: the block is 32 bytes before Fluent Bit 4.2.3 */
    d->kind = FBP_TYPE_OUTPUT;
    d->proxy = FBP_PROXY_GOLANG;
    d->flags = 0;
    d->name = (char *)LS_NAME;
    d->description = (char *)LS_DESC;
    return 0;
}

FBP_EXPORT void FLBPluginUnregister(void *def)
{
    /* name and description are string literals: nothing to free */
    (void)def;
}

static void ctx_destroy(ls_ctx_t *ctx)
{
    ls_slot_t *sl;
    size_t i;

    if (ctx == NULL) {
        return;
    }
    while ((sl = ctx->pool) != NULL) {
        ctx->pool = sl->next;
        slot_destroy(sl);
    }
    if (ctx->pool_ok) {
        pthread_mutex_destroy(&ctx->pool_lock);
    }
    fb_sink_close(&ctx->clean);
    fb_sink_close(&ctx->quar);
    fb_sink_close(&ctx->audit);
    for (i = 0; i < ctx->nkeys; i++) {
        free(ctx->keys[i]);
    }
    free(ctx->keys);
    scrub_ruleset_unref(ctx->rs);
    free(ctx);
}

/* Parse the `keys` property: comma-separated, blanks trimmed, empty items
 * ignored. Returns 0 or -1 (ENOMEM). */
static int parse_keys(ls_ctx_t *ctx, const char *list)
{
    const char *p = list;
    const char *e;
    size_t n;
    char **nk;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        e = p;
        while (*e != '\0' && *e != ',') {
            e++;
        }
        n = (size_t)(e - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }
        if (n > 0) {
            nk = realloc(ctx->keys, (ctx->nkeys + 1) * sizeof(*nk));
            if (nk == NULL) {
                return -1;
            }
            ctx->keys = nk;
            ctx->keys[ctx->nkeys] = strndup(p, n);
            if (ctx->keys[ctx->nkeys] == NULL) {
                return -1;
            }
            ctx->nkeys++;
        }
        p = e;
    }
    return 0;
}

static void load_warn(void *c, const char *msg)
{
    ls_ctx_t *ctx = c;

    LOG(ctx, FBP_LOG_WARN, "%s", msg);
}

static const char *prop(const struct fbp_out_plugin *pl, const char *key)
{
    const char *v = pl->api->output_get_property(key, pl->o_ins);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

FBP_EXPORT int FLBPluginInit(void *plugin)
{
    struct fbp_out_plugin *pl = plugin;
    ls_ctx_t *ctx;
    scrub_load_opts_t opts;
    char err[512];
    const char *v;

    if (pl == NULL || pl->api == NULL || pl->api->output_get_property == NULL ||
        pl->context == NULL) {
        return FBP_ERROR;
    }
    ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        ls_log(pl->api, pl->o_ins, FBP_LOG_ERROR, "out of memory");
        return FBP_ERROR;
    }
    /* copy what flushes need: the init block is reused for the next instance */
    ctx->api = pl->api;
    ctx->o_ins = pl->o_ins;
    ctx->fail_rc = FBP_RETRY;
    fb_sink_init(&ctx->clean);
    fb_sink_init(&ctx->quar);
    fb_sink_init(&ctx->audit);
    if (pthread_mutex_init(&ctx->pool_lock, NULL) != 0) {
        goto fail_msg_oom;
    }
    ctx->pool_ok = 1;

    v = prop(pl, "config");
    if (v == NULL) {
        LOG(ctx, FBP_LOG_ERROR, "property 'config' (path of the logscrub YAML) is required");
        goto fail;
    }
    memset(&opts, 0, sizeof(opts));
    opts.warn = load_warn;
    opts.warn_ctx = ctx;
    err[0] = '\0';
    if (scrub_ruleset_load(v, &opts, &ctx->rs, err, sizeof(err)) != 0) {
        LOG(ctx, FBP_LOG_ERROR, "cannot load '%s': %s", v, err);
        goto fail;
    }

    v = prop(pl, "format");
    if (v != NULL && strcasecmp(v, "json_lines") != 0) {
        LOG(ctx, FBP_LOG_ERROR, "format '%s' is not supported (supported: json_lines)", v);
        goto fail;
    }
    v = prop(pl, "fail_mode");
    if (v != NULL && strcasecmp(v, "retry") != 0 && strcasecmp(v, "error") != 0) {
        LOG(ctx, FBP_LOG_ERROR, "fail_mode '%s' is invalid (retry|error)", v);
        goto fail;
    }
    ctx->fail_rc = v != NULL && strcasecmp(v, "error") == 0 ? FBP_ERROR : FBP_RETRY;
    v = prop(pl, "fsync");
    if (v != NULL && strcasecmp(v, "on") != 0 && strcasecmp(v, "off") != 0 &&
        strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0) {
        LOG(ctx, FBP_LOG_ERROR, "fsync '%s' is invalid (on|off)", v);
        goto fail;
    }
    ctx->do_fsync = v != NULL && (strcasecmp(v, "on") == 0 || strcasecmp(v, "true") == 0);
    v = prop(pl, "keys");
    if (v != NULL && parse_keys(ctx, v) != 0) {
        goto fail_msg_oom;
    }

    v = prop(pl, "clean");
    if (fb_sink_open(&ctx->clean, v != NULL ? v : "stdout", 1, 0, err, sizeof(err)) != 0) {
        LOG(ctx, FBP_LOG_ERROR, "clean sink: %s", err);
        goto fail;
    }
    v = prop(pl, "quarantine");
    if (v == NULL && scrub_ruleset_quarantine_path(ctx->rs) != NULL &&
        scrub_ruleset_quarantine_path(ctx->rs)[0] != '\0') {
        v = scrub_ruleset_quarantine_path(ctx->rs);
    }
    if (v != NULL && fb_sink_open(&ctx->quar, v, 0, 1, err, sizeof(err)) != 0) {
        LOG(ctx, FBP_LOG_ERROR, "quarantine sink: %s", err);
        goto fail;
    }
    if (v == NULL) {
        LOG(ctx, FBP_LOG_WARN, "no quarantine sink: quarantined records are replaced by a "
            "marker line in the clean output and their content is not kept");
    }
    v = prop(pl, "audit");
    if (v == NULL && scrub_ruleset_audit_path(ctx->rs) != NULL &&
        scrub_ruleset_audit_path(ctx->rs)[0] != '\0') {
        v = scrub_ruleset_audit_path(ctx->rs);
    }
    if (v != NULL && fb_sink_open(&ctx->audit, v, 0, 1, err, sizeof(err)) != 0) {
        LOG(ctx, FBP_LOG_ERROR, "audit sink: %s", err);
        goto fail;
    }

    LOG(ctx, FBP_LOG_INFO, "%zu rules loaded; clean=%s quarantine=%s audit=%s fail_mode=%s",
        scrub_ruleset_count(ctx->rs), ctx->clean.name,
        ctx->quar.name != NULL ? ctx->quar.name : "(none)",
        ctx->audit.name != NULL ? ctx->audit.name : "(none)",
        ctx->fail_rc == FBP_RETRY ? "retry" : "error");
    pl->context->remote_context = ctx;
    return FBP_OK;

fail_msg_oom:
    LOG(ctx, FBP_LOG_ERROR, "out of memory");
fail:
    ctx_destroy(ctx);
    return FBP_ERROR;
}

FBP_EXPORT int FLBPluginFlushCtx(void *rctx, const void *data, size_t len, char *tag)
{
    ls_ctx_t *ctx = rctx;
    ls_slot_t *sl;
    fb_rec_t rec;
    ls_rec_state_t st;
    scrub_verdict_t verdict;
    uint64_t chunk;
    uint64_t n_in = 0, n_clean = 0, n_quar = 0, n_drop = 0, n_marker = 0;
    const char *t = tag != NULL ? tag : "";
    int undecodable = 0;
    int rc = 0;
    int r;
    int werr = 0;
    const char *failed_sink = NULL;
    int ret;

    if (ctx == NULL) {
        return FBP_ERROR;
    }
    sl = slot_get(ctx);
    if (sl == NULL) {
        LOG(ctx, FBP_LOG_ERROR, "out of memory; chunk will be retried");
        return FBP_RETRY;
    }
    pthread_mutex_lock(&ctx->pool_lock);
    chunk = ++ctx->nchunks;
    pthread_mutex_unlock(&ctx->pool_lock);

    fb_chunk_reset(sl->dec, data, len);
    while (rc == 0) {
        r = fb_chunk_next(sl->dec, &rec);
        if (r == FB_CHUNK_END) {
            break;
        }
        if (r == FB_CHUNK_EFRAME) {
            size_t off = fb_chunk_offset(sl->dec);

            undecodable = 1;
            rc = quarantine_raw(ctx, sl, t, chunk, "undecodable",
                                "chunk is not a sequence of msgpack objects", data, off,
                                len - off);
            LOG(ctx, FBP_LOG_ERROR, "chunk %" PRIu64 " (tag '%s'): undecodable from byte %zu "
                "of %zu; %zu bytes quarantined", chunk, t, off, len, len - off);
            break;
        }
        if (rec.kind == FB_REC_GROUP_START || rec.kind == FB_REC_GROUP_END) {
            n_marker++;
            continue;
        }
        n_in++;
        if (rec.kind == FB_REC_INVALID) {
            n_quar++;
            rc = quarantine_raw(ctx, sl, t, chunk, "invalid_record", rec.why, data, rec.off,
                                rec.len);
            continue;
        }
        memset(&st, 0, sizeof(st));
        st.rec = &rec;
        st.tag = t;
        st.chunk = chunk;
        st.recno = n_in;
        st.rule = -1;
        rc = process_record(ctx, sl, &st, &verdict);
        if (verdict == SCRUB_V_QUARANTINED) {
            n_quar++;
        }
        else if (verdict == SCRUB_V_DROPPED) {
            n_drop++;
        }
        else {
            n_clean++;
        }
    }
    if (rc != 0) {
        LOG(ctx, FBP_LOG_ERROR, "chunk %" PRIu64 ": %s while building output; chunk will be "
            "retried", chunk, scrub_strerror(rc));
        slot_put(ctx, sl);
        return FBP_RETRY;
    }

    /* quarantine and audit first: a record is never forwarded before the
     * evidence of its findings is stored */
    if ((werr = fb_sink_write(&ctx->quar, sl->quar.data, sl->quar.len, ctx->do_fsync)) != 0) {
        failed_sink = "quarantine";
    }
    else if ((werr = fb_sink_write(&ctx->audit, sl->audit.data, sl->audit.len,
                                ctx->do_fsync)) != 0) {
        failed_sink = "audit";
    }
    else if ((werr = fb_sink_write(&ctx->clean, sl->clean.data, sl->clean.len,
                                ctx->do_fsync)) != 0) {
        failed_sink = "clean";
    }
    slot_put(ctx, sl);

    if (failed_sink != NULL) {
        ret = ctx->fail_rc;
    }
    else if (undecodable) {
        ret = FBP_ERROR;
    }
    else {
        ret = FBP_OK;
    }
    pthread_mutex_lock(&ctx->pool_lock);
    if (ret == FBP_RETRY) {
        ctx->t_retry++;
    }
    else {
        ctx->t_in += n_in;
        ctx->t_clean += n_clean;
        ctx->t_quar += n_quar;
        ctx->t_drop += n_drop;
    }
    pthread_mutex_unlock(&ctx->pool_lock);

    if (failed_sink != NULL) {
        LOG(ctx, FBP_LOG_ERROR, "chunk %" PRIu64 ": %s sink '%s': %s; %s", chunk, failed_sink,
            failed_sink[0] == 'q' ? ctx->quar.name
                                  : (failed_sink[0] == 'a' ? ctx->audit.name : ctx->clean.name),
            strerror(werr),
            ret == FBP_RETRY ? "chunk will be retried (records already written to other "
                               "sinks will appear again)" : "chunk dropped (fail_mode error)");
    }
    LOG(ctx, FBP_LOG_DEBUG, "chunk %" PRIu64 " tag '%s': in=%" PRIu64 " clean=%" PRIu64
        " quarantined=%" PRIu64 " dropped=%" PRIu64 " markers=%" PRIu64 " result=%d",
        chunk, t, n_in, n_clean, n_quar, n_drop, n_marker, ret);
    return ret;
}

FBP_EXPORT int FLBPluginExitCtx(void *rctx)
{
    ls_ctx_t *ctx = rctx;

    if (ctx == NULL) {
        return FBP_OK;
    }
    LOG(ctx, FBP_LOG_INFO, "exit: chunks=%" PRIu64 " in=%" PRIu64 " clean=%" PRIu64
        " quarantined=%" PRIu64 " dropped=%" PRIu64 " retried_chunks=%" PRIu64,
        ctx->nchunks, ctx->t_in, ctx->t_clean, ctx->t_quar, ctx->t_drop, ctx->t_retry);
    ctx_destroy(ctx);
    return FBP_OK;
}
