/* main: the logscrub command line: options, inputs, sinks, signals and exit codes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"
#include "cli_map.h"
#include "cli_out.h"
#include "scrub.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef LOGSCRUB_PATTERNS_DIR
#define LOGSCRUB_PATTERNS_DIR "/usr/local/share/logscrub/patterns"
#endif

#define READ_SIZE (1024 * 1024)
#define WRITE_BUF (256 * 1024)

volatile sig_atomic_t cli_stop_requested;
volatile sig_atomic_t cli_reload_requested;
#define stop_requested cli_stop_requested
#define reload_requested cli_reload_requested

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

scrub_ruleset_t *cli_reload_take(cli_reload_ctx_t *r)
{
    scrub_ruleset_t *nrs = NULL;
    char err[1024];

    if (!reload_requested || r == NULL) {
        return NULL;
    }
    reload_requested = 0;
    if (scrub_ruleset_load(r->cfg, &r->lo, &nrs, err, sizeof(err)) != 0) {
        r->failed++;
        fprintf(stderr, "logscrub: reload failed, keeping the previous rules: %s\n", err);
        return NULL;
    }
    r->ok++;
    return nrs;
}

/* ---- options -------------------------------------------------------------------- */

enum {
    OPT_CHECK = 256,
    OPT_LIST,
    OPT_TEST,
    OPT_STATS,
    OPT_QUARANTINE,
    OPT_AUDIT,
    OPT_FAIL,
    OPT_MAXREC,
    OPT_HTTP,
    OPT_HASHKEY,
    OPT_FORMAT,
    OPT_THREADS,
    OPT_FOLLOW,
    OPT_STATE,
    OPT_FSYNC,
    OPT_FLUSH_TIMEOUT,
    OPT_POLL,
    OPT_EXACTLY_ONCE
};

/* One table drives getopt_long and --help (after pcre2grep's optionlist). */
static const struct cli_option {
    int val;               /* short option char or OPT_* */
    const char *lng;       /* long name, or NULL */
    int arg;               /* no_argument / required_argument */
    const char *argname;   /* shown in --help */
    const char *help;      /* one line */
} options[] = {
    {'c', "config", required_argument, "FILE", "config file (default: $LOGSCRUB_CONFIG, "
                                               "~/.config/logscrub/config.yaml, bundled rules)"},
    {'o', "output", required_argument, "FILE|kafka:TOPIC", "write clean records here (default: "
                                                           "stdout)"},
    {OPT_QUARANTINE, "quarantine", required_argument, "FILE",
     "append quarantined records here (0600, JSON lines)"},
    {OPT_AUDIT, "audit", required_argument, "FILE", "append one audit line per finding (0600)"},
    {OPT_CHECK, "check", no_argument, NULL, "load and compile the config, print rule count and "
                                            "warnings, exit"},
    {OPT_LIST, "list-rules", no_argument, NULL, "print id, action, keywords, pattern (tab "
                                                "separated), exit"},
    {OPT_TEST, "test-rules", no_argument, NULL, "check every rule's match/no_match examples, "
                                                "exit"},
    {OPT_STATS, "stats", no_argument, NULL, "print a JSON summary to stderr at exit"},
    {OPT_FAIL, "fail-on-find", no_argument, NULL, "exit 1 if anything was found"},
    {OPT_MAXREC, "max-record", required_argument, "BYTES", "longest record scanned; longer ones "
                                                           "fail closed"},
    {OPT_FORMAT, "format", required_argument, "raw|json|logfmt|auto",
     "record format (default: the config's, else raw)"},
    {OPT_THREADS, "threads", required_argument, "N",
     "scanning threads (default: number of cores; pipe filter: 1 = no threads)"},
    {OPT_FOLLOW, "follow", no_argument, NULL,
     "follow the FILE/GLOB arguments like tail -F (rotation, new files)"},
    {OPT_STATE, "state", required_argument, "FILE", "follow: checkpoint file (resume without "
                                                    "loss after a restart)"},
    {OPT_FSYNC, "fsync", no_argument, NULL, "follow: fsync outputs before each checkpoint"},
    {OPT_FLUSH_TIMEOUT, "flush-timeout", required_argument, "MS",
     "follow: scan a partial last line after MS without a newline"},
    {OPT_POLL, "poll", required_argument, "MS", "follow: file check interval (default 200)"},
    {OPT_HASHKEY, "hash-key-env", required_argument, "VAR", "read the HMAC key from this "
                                                            "environment variable"},
    {'b', "brokers", required_argument, "HOSTS", "Kafka bootstrap brokers (sidecar mode)"},
    {'G', "group", required_argument, "GROUP", "Kafka consumer group; the remaining arguments "
                                               "are topics"},
    {'X', NULL, required_argument, "KEY=VALUE", "librdkafka property (repeatable; -X list)"},
    {'F', NULL, required_argument, "FILE", "librdkafka properties file"},
    {OPT_HTTP, "http", required_argument, "ADDR:PORT", "serve /healthz and /metrics (sidecar)"},
    {OPT_EXACTLY_ONCE, "exactly-once", no_argument, NULL,
     "sidecar: transactional produce + offsets (default at-least-once)"},
    {'q', "quiet", no_argument, NULL, "fewer messages (warnings off)"},
    {'v', "verbose", no_argument, NULL, "more messages"},
    {'V', "version", no_argument, NULL, "print version and library versions"},
    {'h', "help", no_argument, NULL, "this help"},
};

#define NOPTS (sizeof(options) / sizeof(options[0]))

typedef struct cli_conf {
    const char *config;        /* config path */
    const char *output;        /* -o */
    const char *quarantine;    /* --quarantine */
    const char *audit;         /* --audit */
    const char *hash_key_env;  /* --hash-key-env */
    const char *format;        /* --format */
    unsigned threads;          /* --threads, 0 = number of cores */
    int follow;                /* --follow */
    const char *state;         /* --state */
    int fsync;                 /* --fsync */
    unsigned flush_timeout_ms; /* --flush-timeout */
    unsigned poll_ms;          /* --poll */
    int check, list, test, stats, fail_on_find;
    size_t max_record;         /* --max-record, 0 = config */
    int verbose;               /* -v minus -q */
    cli_kafka_opts_t kafka;    /* sidecar options */
    char **inputs;             /* positional inputs */
    int ninputs;
} cli_conf_t;

static void usage(FILE *fp)
{
    size_t i;

    fprintf(fp, "usage: logscrub [OPTIONS] [FILE...]\n"
                "Redact secrets and Log4Shell payloads from log records read from FILEs or "
                "stdin.\n\n");
    for (i = 0; i < NOPTS; i++) {
        char left[64];
        const struct cli_option *o = &options[i];
        if (o->val < 256 && o->lng != NULL) {
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->lng, o->argname ? " " : "",
                     o->argname ? o->argname : "");
        }
        else if (o->val < 256) {
            snprintf(left, sizeof(left), "-%c %s", o->val, o->argname ? o->argname : "");
        }
        else {
            snprintf(left, sizeof(left), "    --%s%s%s", o->lng, o->argname ? " " : "",
                     o->argname ? o->argname : "");
        }
        fprintf(fp, "  %-32s %s\n", left, o->help);
    }
    fprintf(fp, "\nExit status: 0 ok; 1 findings with --fail-on-find, or records failed closed "
                "or undelivered;\n2 usage or configuration error; 3 I/O or runtime error.\n");
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (*s == '\0' || *s == '-' || errno != 0) {
        return -1;
    }
    if (*end == 'K' || *end == 'k') {
        v <<= 10;
        end++;
    }
    else if (*end == 'M' || *end == 'm') {
        v <<= 20;
        end++;
    }
    else if (*end == 'G' || *end == 'g') {
        v <<= 30;
        end++;
    }
    if (*end != '\0' || v < 64) {
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int add_prop(cli_kafka_opts_t *k, const char *p)
{
    const char **np = realloc(k->props, (k->nprops + 1) * sizeof(*np));

    if (np == NULL) {
        return -1;
    }
    k->props = np;
    k->props[k->nprops++] = p;
    return 0;
}

static int parse_args(int argc, char **argv, cli_conf_t *c)
{
    struct option lopts[NOPTS + 1];
    char shorts[NOPTS * 2 + 2];
    size_t i, ns = 0, nl = 0;
    int ch;

    memset(lopts, 0, sizeof(lopts));
    shorts[ns++] = '+'; /* stop at the first non-option only after -G topics */
    ns = 0;
    for (i = 0; i < NOPTS; i++) {
        if (options[i].lng != NULL) {
            lopts[nl].name = options[i].lng;
            lopts[nl].has_arg = options[i].arg;
            lopts[nl].val = options[i].val;
            nl++;
        }
        if (options[i].val < 256) {
            shorts[ns++] = (char)options[i].val;
            if (options[i].arg == required_argument) {
                shorts[ns++] = ':';
            }
        }
    }
    shorts[ns] = '\0';
    while ((ch = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            c->config = optarg;
            break;
        case 'o':
            c->output = optarg;
            break;
        case OPT_QUARANTINE:
            c->quarantine = optarg;
            break;
        case OPT_AUDIT:
            c->audit = optarg;
            break;
        case OPT_CHECK:
            c->check = 1;
            break;
        case OPT_LIST:
            c->list = 1;
            break;
        case OPT_TEST:
            c->test = 1;
            break;
        case OPT_STATS:
            c->stats = 1;
            break;
        case OPT_FAIL:
            c->fail_on_find = 1;
            break;
        case OPT_MAXREC:
            if (parse_size(optarg, &c->max_record) != 0) {
                fprintf(stderr, "logscrub: --max-record: expected a size of at least 64 bytes "
                                "(suffix K, M or G allowed)\n");
                return -1;
            }
            break;
        case OPT_HASHKEY:
            c->hash_key_env = optarg;
            break;
        case OPT_THREADS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 256) {
                fprintf(stderr, "logscrub: --threads: expected a number from 1 to 256\n");
                return -1;
            }
            c->threads = (unsigned)v;
            break;
        }
        case OPT_FOLLOW:
            c->follow = 1;
            break;
        case OPT_STATE:
            c->state = optarg;
            break;
        case OPT_FSYNC:
            c->fsync = 1;
            break;
        case OPT_FLUSH_TIMEOUT:
        case OPT_POLL: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 0 || v > 3600000) {
                fprintf(stderr, "logscrub: --%s: expected milliseconds\n",
                        ch == OPT_POLL ? "poll" : "flush-timeout");
                return -1;
            }
            if (ch == OPT_POLL) {
                c->poll_ms = (unsigned)v;
            }
            else {
                c->flush_timeout_ms = (unsigned)v;
            }
            break;
        }
        case OPT_FORMAT:
            if (strcmp(optarg, "raw") != 0 && strcmp(optarg, "json") != 0 &&
                strcmp(optarg, "logfmt") != 0 && strcmp(optarg, "auto") != 0) {
                fprintf(stderr, "logscrub: --format: expected raw, json, logfmt or auto\n");
                return -1;
            }
            c->format = optarg;
            break;
        case 'b':
            c->kafka.brokers = optarg;
            break;
        case 'G':
            c->kafka.group = optarg;
            break;
        case 'X':
            if (strcmp(optarg, "list") == 0) {
                c->kafka.list_props = 1;
            }
            else if (strchr(optarg, '=') == NULL) {
                fprintf(stderr, "logscrub: -X expects KEY=VALUE or 'list'\n");
                return -1;
            }
            else if (add_prop(&c->kafka, optarg) != 0) {
                return -1;
            }
            break;
        case 'F':
            c->kafka.props_file = optarg;
            break;
        case OPT_HTTP:
            c->kafka.http = optarg;
            break;
        case OPT_EXACTLY_ONCE:
            c->kafka.exactly_once = 1;
            break;
        case 'q':
            c->verbose--;
            break;
        case 'v':
            c->verbose++;
            break;
        case 'V': {
            char kafka[400];
            cli_kafka_describe(kafka, sizeof(kafka));
            printf("logscrub %s (%s)\nfeatures: prefilter %s, kafka %s, threads\n", SCRUB_VERSION,
                   scrub_versions(),
#ifdef WITH_VECTORSCAN
                   "vectorscan",
#else
                   "dfa",
#endif
                   kafka);
            exit(CLI_EXIT_OK);
        }
        case 'h':
            usage(stdout);
            exit(CLI_EXIT_OK);
        default:
            fprintf(stderr, "Try 'logscrub --help'.\n");
            return -1;
        }
    }
    c->inputs = argv + optind;
    c->ninputs = argc - optind;
    return 0;
}

/* ---- config lookup ---------------------------------------------------------------- */

static int readable(const char *p)
{
    return access(p, R_OK) == 0;
}

/* -c > $LOGSCRUB_CONFIG > ~/.config/logscrub/config.yaml > the bundled default pack
 * (next to the binary in a build tree, else the installed patterns directory). */
static const char *find_config(const cli_conf_t *c, char *buf, size_t n)
{
    const char *env = getenv("LOGSCRUB_CONFIG");
    const char *home = getenv("HOME");
    char exe[PATH_MAX - 64]; /* leaves room for "/patterns/default.yaml" in buf */
    ssize_t k;

    if (c->config != NULL) {
        return c->config;
    }
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    if (home != NULL) {
        snprintf(buf, n, "%s/.config/logscrub/config.yaml", home);
        if (readable(buf)) {
            return buf;
        }
    }
    k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (k > 0) {
        char *slash;
        exe[k] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(buf, n, "%s/patterns/default.yaml", exe);
            if (readable(buf)) {
                return buf;
            }
        }
    }
    snprintf(buf, n, "%s/default.yaml", LOGSCRUB_PATTERNS_DIR);
    return buf;
}

static void warn_cb(void *ctx, const char *msg)
{
    const cli_conf_t *c = ctx;

    if (c->verbose >= 0) {
        fprintf(stderr, "logscrub: warning: %s\n", msg);
    }
}

/* ---- modes without input ------------------------------------------------------------ */

static int do_list(const scrub_ruleset_t *rs)
{
    size_t i, k;

    for (i = 0; i < scrub_ruleset_count(rs); i++) {
        scrub_rule_info_t ri;
        scrub_ruleset_rule(rs, i, &ri);
        printf("%s\t%s\t", ri.id, scrub_action_name(ri.action));
        for (k = 0; k < ri.nkeywords; k++) {
            printf("%s%s", k ? "," : "", ri.keywords[k]);
        }
        printf("\t%s\n", ri.detector && ri.pattern[0] == '\0' ? ri.detector : ri.pattern);
    }
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_IO;
}

static void report_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

static int do_test_rules(const scrub_ruleset_t *rs)
{
    size_t checked = 0;
    int failures = scrub_ruleset_test_examples(rs, report_line, NULL, &checked);

    if (failures < 0) {
        fprintf(stderr, "logscrub: --test-rules: %s\n", scrub_strerror(failures));
        return CLI_EXIT_IO;
    }
    printf("%zu rules, %zu examples checked\n", scrub_ruleset_count(rs), checked);
    printf("%zu passed, %d failed\n", checked - (size_t)failures, failures);
    return failures == 0 ? CLI_EXIT_OK : CLI_EXIT_FOUND;
}

/* ---- progress (terminal only) ----------------------------------------------------------- */

typedef struct progress {
    int on;                  /* stderr is a TTY and the input a regular file */
    uint64_t bytes;          /* input bytes read */
    struct timespec start;   /* run start */
    struct timespec last;    /* last update */
} progress_t;

static double secs_since(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* bytes: input read so far; the counters of a threaded run arrive at the end only. */
static void progress_update(progress_t *p, const scrub_stats_t *st, uint64_t bytes, int final)
{
    const scrub_counts_t *c = scrub_stats_counts(st);
    double el;

    if (!p->on || (!final && secs_since(&p->last) < 0.25)) {
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &p->last);
    el = secs_since(&p->start);
    fprintf(stderr, "\r%.1f MB  %.0f MB/s  %llu records  %llu findings%s", (double)bytes / 1e6,
            el > 0 ? (double)bytes / 1e6 / el : 0.0, (unsigned long long)c->records_in,
            (unsigned long long)c->findings, final ? "\n" : "   ");
}

static void summary_table(const scrub_stats_t *st, const scrub_ruleset_t *rs)
{
    size_t i;
    int any = 0;

    for (i = 0; i < scrub_ruleset_count(rs); i++) {
        uint64_t n = scrub_stats_rule_findings(st, i);
        if (n == 0) {
            continue;
        }
        if (!any) {
            fprintf(stderr, "%-40s %10s\n", "rule", "findings");
            any = 1;
        }
        fprintf(stderr, "%-40s %10llu\n", scrub_ruleset_rule_id(rs, i), (unsigned long long)n);
    }
}

/* ---- hot reload ------------------------------------------------------------------------------ */

/* The pipe filter's view of a reload: what it currently runs. */
typedef struct reloader {
    cli_reload_ctx_t ctx;       /* config path, options, counters */
    scrub_ruleset_t **rs;       /* current rule set (the caller's reference) */
    scrub_worker_t **w;         /* serial path: current worker */
    scrub_stream_t *s;          /* serial path: the stream */
    scrub_pool_t *pool;         /* threaded path, or NULL */
    scrub_stats_t *st;          /* counters */
    int verbose;                /* -v count */
} reloader_t;

/*
 * SIGHUP: load and compile the config again; only a complete new rule set
 * replaces the old one, between two feeds, so no record is scanned by a
 * half-loaded set. An invalid config keeps the old rules running.
 */
static void maybe_reload(reloader_t *r)
{
    scrub_ruleset_t *nrs = r ? cli_reload_take(&r->ctx) : NULL;

    if (nrs == NULL) {
        return;
    }
    if (r->pool != NULL) {
        scrub_pool_set_ruleset(r->pool, nrs);
    }
    if (r->w != NULL && r->s != NULL) {
        scrub_worker_t *nw = scrub_worker_new(nrs);
        if (nw == NULL) {
            r->ctx.failed++;
            fprintf(stderr, "logscrub: reload failed, keeping the previous rules: out of memory\n");
            scrub_ruleset_unref(nrs);
            return;
        }
        scrub_stream_set_worker(r->s, nw);
        scrub_worker_destroy(*r->w);
        *r->w = nw;
        if (r->pool == NULL) {
            (void)scrub_stats_rebind(r->st, nrs);
        }
    }
    scrub_ruleset_unref(*r->rs);
    *r->rs = nrs;
    if (r->verbose > 0) {
        fprintf(stderr, "logscrub: reloaded %s: %zu rules\n", r->ctx.cfg, scrub_ruleset_count(nrs));
    }
}

/* ---- the pipe filter -------------------------------------------------------------------- */

static void raise_pipe_size(int fd)
{
    struct stat st;

    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
        (void)fcntl(fd, F_SETPIPE_SZ, 1024 * 1024); /* best effort; may be refused */
    }
}

/* Feed one input through the stream. Returns 0, a sink error, or SCRUB_EIO for a read error.
 * A regular file is read through a mapping (no copy into buf), anything else with read(). */
static int run_input(scrub_stream_t *s, int fd, const char *name, uint8_t *buf,
                     progress_t *prog, const scrub_stats_t *st, reloader_t *rl,
                     const scrub_sink_ops_t *ops)
{
    cli_map_t m;
    int mapped = cli_map_open(&m, fd) == 0;
    int rc = 0;

    scrub_stream_set_origin(s, name);
    raise_pipe_size(fd);
    while (!stop_requested && rc == 0) {
        const uint8_t *p = buf;
        ssize_t k;
        maybe_reload(rl);
        k = mapped ? (ssize_t)cli_map_next(&m, &p, READ_SIZE) : read(fd, buf, READ_SIZE);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "logscrub: %s: read error: %s\n", name, strerror(errno));
            rc = scrub_stream_finish(s);
            rc = rc ? rc : SCRUB_EIO;
            break;
        }
        if (k == 0) {
            rc = scrub_stream_finish(s);
            break;
        }
        rc = scrub_stream_feed(s, p, (size_t)k);
        if (rc == 0 && ops->flush != NULL && ((size_t)k < READ_SIZE || ops->clean_ref != NULL)) {
            /* a short read: the input is idle for now, so do not hold output back;
             * and the sink may hold references into p, which the next read reuses */
            rc = ops->flush(ops->ctx);
        }
        prog->bytes += (uint64_t)k;
        progress_update(prog, st, prog->bytes, 0);
    }
    if (stop_requested && rc == 0) {
        rc = scrub_stream_finish(s);
    }
    cli_map_close(&m);
    return rc;
}

/* A mapped input lent to the pool block by block; pages the pool is done with are released. */
static int lend_mapped(scrub_pool_t *pl, cli_map_t *m, progress_t *prog,
                       const scrub_stats_t *st, reloader_t *rl)
{
    size_t off = 0, bound = scrub_pool_lent_bound(pl);
    int rc = 0, frc;

    while (off < m->len && !stop_requested && rc == 0) {
        size_t k = 0;
        maybe_reload(rl);
        rc = scrub_pool_lend(pl, m->base + off, m->len - off, 1, &k);
        cli_map_release(m, off > bound ? off - bound : 0);
        off += k;
        prog->bytes += (uint64_t)k;
        progress_update(prog, st, prog->bytes, 0);
    }
    frc = scrub_pool_finish(pl); /* always: the workers may still read the mapping */
    return rc ? rc : frc;
}

/* The same with the thread pool: a regular file is lent to it mapped, anything
 * else is read straight into the pool's blocks. */
static int run_input_pool(scrub_pool_t *pl, int fd, const char *name, progress_t *prog,
                          const scrub_stats_t *st, reloader_t *rl)
{
    cli_map_t m;
    int rc = 0;

    scrub_pool_set_origin(pl, name);
    if (cli_map_open(&m, fd) == 0) {
        rc = lend_mapped(pl, &m, prog, st, rl);
        cli_map_close(&m);
        return rc;
    }
    raise_pipe_size(fd);
    while (!stop_requested) {
        size_t cap;
        uint8_t *p;
        ssize_t k;
        maybe_reload(rl);
        p = scrub_pool_buffer(pl, &cap);
        k = read(fd, p, cap > READ_SIZE ? READ_SIZE : cap);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "logscrub: %s: read error: %s\n", name, strerror(errno));
            rc = scrub_pool_finish(pl);
            return rc ? rc : SCRUB_EIO;
        }
        if (k == 0) {
            break;
        }
        rc = scrub_pool_commit(pl, (size_t)k);
        if (rc != 0) {
            scrub_pool_finish(pl);
            return rc;
        }
        prog->bytes += (uint64_t)k;
        progress_update(prog, st, prog->bytes, 0);
    }
    return scrub_pool_finish(pl);
}

static int open_sinks(const cli_conf_t *c, const scrub_ruleset_t *rs, cli_sinks_t *sk)
{
    const char *q = c->quarantine ? c->quarantine : scrub_ruleset_quarantine_path(rs);
    const char *a = c->audit ? c->audit : scrub_ruleset_audit_path(rs);
    char msg[PATH_MAX + 128];
    int fd;

    if (c->output != NULL && strncmp(c->output, "kafka:", 6) == 0) {
        sk->kclean = cli_kafka_sink_new(&c->kafka, rs, c->output + 6, msg, sizeof(msg));
        if (sk->kclean == NULL) {
            fprintf(stderr, "logscrub: output: %s\n", msg);
            return -1;
        }
    }
    if (strncmp(q, "kafka:", 6) == 0) {
        sk->kquar = cli_kafka_sink_new(&c->kafka, rs, q + 6, msg, sizeof(msg));
        if (sk->kquar == NULL) {
            fprintf(stderr, "logscrub: quarantine: %s\n", msg);
            return -1;
        }
        sk->have_quarantine = 1;
        q = "";
    }
    if (q[0] != '\0') {
        fd = cli_open_private(q, 0, msg, sizeof(msg));
        if (fd < 0 || cli_writer_init(&sk->quarantine, fd, 1, 64 * 1024) != 0) {
            fprintf(stderr, "logscrub: quarantine: %s\n", fd < 0 ? msg : "out of memory");
            return -1;
        }
        sk->have_quarantine = 1;
    }
    if (a[0] != '\0') {
        fd = cli_open_private(a, 0, msg, sizeof(msg));
        if (fd < 0 || cli_writer_init(&sk->audit, fd, 1, 64 * 1024) != 0) {
            fprintf(stderr, "logscrub: audit: %s\n", fd < 0 ? msg : "out of memory");
            return -1;
        }
        sk->have_audit = 1;
    }
    return 0;
}

static int close_sinks(cli_sinks_t *sk)
{
    int rc = 0, r;

    if (sk->kclean != NULL && cli_kafka_sink_close(sk->kclean) != 0) {
        fprintf(stderr, "logscrub: output: some records were not delivered to Kafka\n");
        rc = SCRUB_EIO;
    }
    if (sk->kquar != NULL && cli_kafka_sink_close(sk->kquar) != 0) {
        fprintf(stderr, "logscrub: quarantine: some records were not delivered to Kafka\n");
        rc = SCRUB_EIO;
    }
    sk->kclean = NULL;
    sk->kquar = NULL;

    if (sk->have_quarantine && sk->quarantine.buf != NULL) {
        r = cli_writer_close(&sk->quarantine);
        if (r != 0) {
            fprintf(stderr, "logscrub: quarantine: write error: %s\n",
                    strerror(sk->quarantine.saved_errno));
            rc = r;
        }
    }
    if (sk->have_audit) {
        r = cli_writer_close(&sk->audit);
        if (r != 0) {
            fprintf(stderr, "logscrub: audit: write error: %s\n", strerror(sk->audit.saved_errno));
            rc = r;
        }
    }
    return rc;
}

static int open_output(const cli_conf_t *c, cli_writer_t *out)
{
    int fd = STDOUT_FILENO;

    if (c->output != NULL && strncmp(c->output, "kafka:", 6) == 0) {
        fd = -1; /* records go to Kafka (cli_sinks_t.kclean); nothing to open here */
    }
    else if (c->output != NULL && strcmp(c->output, "-") != 0) {
        fd = open(c->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "logscrub: %s: %s\n", c->output, strerror(errno));
            return -1;
        }
    }
    else {
        raise_pipe_size(fd);
    }
    if (cli_writer_init(out, fd, fd >= 0 && fd != STDOUT_FILENO, WRITE_BUF) != 0) {
        fprintf(stderr, "logscrub: out of memory\n");
        return -1;
    }
    return 0;
}

static int input_is_regular(const cli_conf_t *c)
{
    struct stat st;

    if (c->ninputs == 0) {
        return fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    }
    return stat(c->inputs[0], &st) == 0 && S_ISREG(st.st_mode);
}

/* Process every input; returns a CLI_EXIT_* code. */
static int run_filter(const cli_conf_t *c, scrub_ruleset_t **rsp, const char *cfg,
                      const scrub_load_opts_t *lo)
{
    scrub_ruleset_t *rs = *rsp;
    reloader_t rl;
    cli_writer_t out;
    cli_sinks_t sk;
    scrub_sink_ops_t ops;
    scrub_worker_t *w = NULL;
    scrub_stats_t *st = NULL;
    scrub_stream_t *s = NULL;
    scrub_pool_t *pool = NULL;
    uint8_t *buf = NULL;
    unsigned nthreads = c->threads ? c->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    progress_t prog;
    int rc = 0, i, exit_code = CLI_EXIT_OK, input_failed = 0;

    memset(&sk, 0, sizeof(sk));
    memset(&prog, 0, sizeof(prog));
    sk.rs = rs;
    if (open_output(c, &out) != 0) {
        return CLI_EXIT_IO;
    }
    sk.clean = &out;
    if (open_sinks(c, rs, &sk) != 0) {
        close_sinks(&sk);
        cli_writer_close(&out);
        return CLI_EXIT_IO;
    }
    cli_sinks_ops(&sk, &ops);
    w = scrub_worker_new(rs);
    st = scrub_stats_new(rs);
    buf = malloc(READ_SIZE);
    s = w && st ? scrub_stream_new(w, &ops, st, "-") : NULL;
    if (nthreads > 1 && s != NULL) {
        pool = scrub_pool_new(rs, nthreads, &ops, st);
        if (pool == NULL) {
            fprintf(stderr, "logscrub: cannot start %u threads; scanning on one\n", nthreads);
        }
    }
    if (s == NULL || buf == NULL) {
        fprintf(stderr, "logscrub: out of memory\n");
        exit_code = CLI_EXIT_IO;
        goto done;
    }
    memset(&rl, 0, sizeof(rl));
    rl.ctx.cfg = cfg;
    rl.ctx.lo = *lo;
    rl.verbose = c->verbose;
    rl.rs = rsp;
    rl.w = &w;
    rl.s = s;
    rl.pool = pool;
    rl.st = st;
    sk.rs = rs;
    prog.on = isatty(STDERR_FILENO) && input_is_regular(c) && c->verbose >= 0;
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    prog.last = prog.start;
    if (c->ninputs == 0) {
        rc = pool ? run_input_pool(pool, STDIN_FILENO, "-", &prog, st, &rl)
                  : run_input(s, STDIN_FILENO, "-", buf, &prog, st, &rl, &ops);
    }
    for (i = 0; i < c->ninputs && rc == 0 && !stop_requested; i++) {
        const char *name = c->inputs[i];
        int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "logscrub: %s: %s\n", name, strerror(errno));
            input_failed = 1;
            continue;
        }
        rc = pool ? run_input_pool(pool, fd, name, &prog, st, &rl)
                  : run_input(s, fd, name, buf, &prog, st, &rl, &ops);
        if (fd != STDIN_FILENO) {
            close(fd);
        }
    }
    if (rc == SCRUB_EPIPE) {
        exit_code = CLI_EXIT_IO; /* the reader went away: quiet, but not success */
    }
    else if (rc == 0) {
        rc = cli_writer_flush(&out);
    }
    if (rc != 0 && rc != SCRUB_EPIPE && out.err && out.saved_errno == EFAULT) {
        /* write() read a mapped input page that is gone (cli_map.h) */
        fprintf(stderr, "logscrub: an input file was truncated while being read; stopping\n");
    }
    else if (rc != 0 && rc != SCRUB_EPIPE) {
        fprintf(stderr, "logscrub: %s: %s\n", c->output ? c->output : "output",
                out.err ? strerror(out.saved_errno) : scrub_strerror(rc));
        exit_code = CLI_EXIT_IO;
    }
done:
    if (pool != NULL) {
        scrub_pool_merge_stats(pool);
        scrub_pool_destroy(pool);
    }
    if (close_sinks(&sk) != 0) {
        exit_code = CLI_EXIT_IO;
    }
    if (cli_writer_close(&out) != 0 && exit_code == CLI_EXIT_OK) {
        fprintf(stderr, "logscrub: output: %s\n", strerror(out.saved_errno));
        exit_code = CLI_EXIT_IO;
    }
    if (st != NULL) {
        const scrub_counts_t *cnt = scrub_stats_counts(st);
        if (prog.on) {
            progress_update(&prog, st, prog.bytes, 1);
            summary_table(st, *rsp);
        }
        if (c->stats) {
            char *json = scrub_stats_json(st, *rsp);
            if (json != NULL) {
                fprintf(stderr, "%s\n", json);
                free(json);
            }
        }
        if (exit_code == CLI_EXIT_OK && (cnt->failed_closed > 0 ||
                                         (c->fail_on_find && cnt->findings > 0))) {
            exit_code = CLI_EXIT_FOUND;
        }
    }
    if (exit_code == CLI_EXIT_OK && input_failed) {
        exit_code = CLI_EXIT_IO;
    }
    scrub_stream_destroy(s);
    scrub_stats_destroy(st);
    scrub_worker_destroy(w);
    free(buf);
    return exit_code;
}

/* --follow: hand over to cli_follow.c. */
static int run_follow(const cli_conf_t *c, scrub_ruleset_t **rsp, const char *cfg,
                      const scrub_load_opts_t *lo)
{
    cli_follow_opts_t fo;
    cli_reload_ctx_t rl;
    const char *q = scrub_ruleset_quarantine_path(*rsp);
    const char *a = scrub_ruleset_audit_path(*rsp);

    if (c->ninputs == 0) {
        fprintf(stderr, "logscrub: --follow needs at least one FILE or GLOB\n");
        return CLI_EXIT_USAGE;
    }
    memset(&fo, 0, sizeof(fo));
    fo.paths = c->inputs;
    fo.npaths = (size_t)c->ninputs;
    fo.state = c->state;
    fo.output = c->output;
    fo.quarantine = c->quarantine ? c->quarantine : (q[0] ? q : NULL);
    fo.audit = c->audit ? c->audit : (a[0] ? a : NULL);
    fo.fsync = c->fsync;
    fo.flush_timeout_ms = c->flush_timeout_ms;
    fo.poll_ms = c->poll_ms ? c->poll_ms : 200;
    fo.verbose = c->verbose;
    fo.stats = c->stats;
    fo.fail_on_find = c->fail_on_find;
    memset(&rl, 0, sizeof(rl));
    rl.cfg = cfg;
    rl.lo = *lo;
    return cli_follow_run(&fo, rsp, &rl);
}

int main(int argc, char **argv)
{
    cli_conf_t c;
    scrub_load_opts_t lo;
    scrub_ruleset_t *rs = NULL;
    char path[PATH_MAX];
    char err[1024];
    const char *cfg;
    struct sigaction sa;
    int rc;

    memset(&c, 0, sizeof(c));
    if (parse_args(argc, argv, &c) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (c.kafka.list_props) {
        return cli_kafka_run(&c.kafka, NULL); /* -X list: librdkafka's properties */
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    cfg = find_config(&c, path, sizeof(path));
    memset(&lo, 0, sizeof(lo));
    lo.max_record = c.max_record;
    lo.format = c.format;
    lo.warn = warn_cb;
    lo.warn_ctx = &c;
    if (c.hash_key_env != NULL) {
        lo.hash_key = getenv(c.hash_key_env);
        if (lo.hash_key == NULL || lo.hash_key[0] == '\0') {
            fprintf(stderr, "logscrub: --hash-key-env: %s is not set\n", c.hash_key_env);
            return CLI_EXIT_USAGE;
        }
    }
    rc = scrub_ruleset_load(cfg, &lo, &rs, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "logscrub: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    c.kafka.verbose = c.verbose;
    c.kafka.stats = c.stats;
    c.kafka.threads = c.threads;
    c.kafka.output = c.output;
    c.kafka.quarantine = c.quarantine;
    if (c.kafka.group != NULL) {
        /* kcat style: -G GROUP TOPIC... : the positional arguments are topics */
        c.kafka.topics = (const char **)c.inputs;
        c.kafka.ntopics = (size_t)c.ninputs;
    }
    if (!c.check && !c.list && !c.test && cli_kafka_wanted(&c.kafka, rs)) {
        rc = cli_kafka_run(&c.kafka, rs);
    }
    else if (c.check) {
        int slow = scrub_ruleset_lint(rs, warn_cb, &c);
        size_t i, nkeys = 0;
        for (i = 0; i < scrub_ruleset_count(rs); i++) {
            scrub_rule_info_t ri;
            scrub_ruleset_rule(rs, i, &ri);
            nkeys += ri.detector != NULL && strcmp(ri.detector, "key") == 0;
        }
        printf("%s: %zu rules OK (and %zu key-based rules)", cfg, scrub_ruleset_count(rs) - nkeys,
               nkeys);
        if (slow > 0) {
            printf(", %d may backtrack catastrophically (see the warnings)", slow);
        }
        printf("\n");
        rc = CLI_EXIT_OK;
    }
    else if (c.list) {
        rc = do_list(rs);
    }
    else if (c.test) {
        rc = do_test_rules(rs);
    }
    else {
        struct sigaction hup;
        memset(&hup, 0, sizeof(hup));
        hup.sa_handler = on_hup;
        sigaction(SIGHUP, &hup, NULL);
        rc = c.follow ? run_follow(&c, &rs, cfg, &lo) : run_filter(&c, &rs, cfg, &lo);
    }
    scrub_ruleset_unref(rs);
    free(c.kafka.props);
    if (fclose(stdout) != 0 && rc == CLI_EXIT_OK) {
        rc = CLI_EXIT_IO;
    }
    return rc;
}
