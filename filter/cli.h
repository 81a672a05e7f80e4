/* cli.h: declarations shared by the files of the logscrub command-line front end. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_H
#define CLI_H

#include "scrub.h"

/* Named exit codes (documented in README and logscrub.1). */
#define CLI_EXIT_OK 0       /* everything forwarded or handled */
#define CLI_EXIT_FOUND 1    /* findings with --fail-on-find, or records failed closed/undelivered */
#define CLI_EXIT_USAGE 2    /* usage or configuration error */
#define CLI_EXIT_IO 3       /* I/O or runtime error */

#include <signal.h>

/* Signal flags, set by main.c's handlers (the only global mutable state). */
extern volatile sig_atomic_t cli_stop_requested;    /* SIGINT / SIGTERM */
extern volatile sig_atomic_t cli_reload_requested;  /* SIGHUP */

/* Follow mode options (tail -F), collected by main.c. */
typedef struct cli_follow_opts {
    char **paths;               /* files or glob patterns */
    size_t npaths;
    const char *state;          /* --state FILE: checkpoint file, or NULL */
    const char *output;         /* -o FILE owned by logscrub (truncated back to the checkpoint
                                   on restart), or NULL for stdout */
    const char *quarantine;     /* quarantine file (CLI or config), or NULL */
    const char *audit;          /* audit file (CLI or config), or NULL */
    int fsync;                  /* --fsync: fsync outputs before each checkpoint */
    unsigned flush_timeout_ms;  /* --flush-timeout MS: a partial last line is scanned after
                                   this long without a newline (0 = wait for the newline) */
    unsigned poll_ms;           /* --poll MS: how often files are checked (default 200) */
    int verbose;                /* -v minus -q */
    int stats;                  /* --stats */
    int fail_on_find;           /* --fail-on-find */
} cli_follow_opts_t;

/* What a hot reload needs (main.c fills it). */
typedef struct cli_reload_ctx {
    const char *cfg;            /* config path */
    scrub_load_opts_t lo;       /* load options */
    unsigned ok;                /* reloads applied */
    unsigned failed;            /* reloads refused (the old rules kept running) */
} cli_reload_ctx_t;

/* main.c: when SIGHUP arrived, load and compile the config again. Returns a new
 * rule set (caller owns the reference) to swap in between records, or NULL when
 * there was no request or the new config is invalid (message on stderr, old
 * rules keep running, r->failed counts it). */
scrub_ruleset_t *cli_reload_take(cli_reload_ctx_t *r);

/* ---- cli_follow.c ----------------------------------------------------------- */

/* Follow files until SIGINT/SIGTERM. *rs is the current rule set (replaced on
 * reload; the caller unrefs whatever is there at the end). Returns CLI_EXIT_*. */
int cli_follow_run(const cli_follow_opts_t *fo, scrub_ruleset_t **rs, cli_reload_ctx_t *reload);

/* Kafka options collected by main.c from the command line (kcat style). */
typedef struct cli_kafka_opts {
    const char *brokers;      /* -b host:port,...; or input.kafka.brokers */
    const char *group;        /* -G group */
    const char **topics;      /* input topics (positional args after -G) */
    size_t ntopics;
    const char **props;       /* -X key=value, in order */
    size_t nprops;
    const char *props_file;   /* -F file of key=value lines, or NULL */
    const char *output;       /* --output SPEC: "kafka:TOPIC", "-" or a path; NULL = config/stdout */
    const char *quarantine;   /* --quarantine SPEC ("kafka:TOPIC" or a path), or NULL */
    const char *http;         /* --http ADDR:PORT for /healthz and /metrics, or NULL */
    int list_props;           /* -X list was given */
    int exactly_once;         /* --exactly-once: transactions (also input.kafka.delivery) */
    int verbose;              /* -v count minus -q count */
    int stats;                /* --stats: JSON summary to stderr at exit */
    unsigned threads;         /* --threads: scanning threads, 0 = number of cores */
} cli_kafka_opts_t;

/* ---- cli_kafka.c (built WITH_KAFKA=1) ------------------------------------ */

/* What --version says of Kafka support: "no", or "yes (librdkafka 2.0.2)",
 * or, when the libraries cannot be loaded, "built in but unavailable (<reason>)". */
void cli_kafka_describe(char *buf, size_t size);

/* 1 when the options or the config ask for a Kafka consumer source. */
int cli_kafka_wanted(const cli_kafka_opts_t *ko, const scrub_ruleset_t *rs);

/* Run the consumer sidecar until a signal or a fatal error. Returns a CLI_EXIT_* code. */
int cli_kafka_run(const cli_kafka_opts_t *ko, scrub_ruleset_t *rs);

/* A Kafka producer used as the clean or quarantine sink of the pipe filter
 * (stdin/file in -> Kafka out). One message per record, newline stripped. */
typedef struct cli_kafka_sink cli_kafka_sink_t;
cli_kafka_sink_t *cli_kafka_sink_new(const cli_kafka_opts_t *ko, const scrub_ruleset_t *rs,
                                     const char *topic, char *errstr, size_t errstr_size);
/* Queue bytes holding zero or more whole records (split on '\n'). 0 or SCRUB_EIO. */
int cli_kafka_sink_write(cli_kafka_sink_t *k, const uint8_t *p, size_t n);
/* Flush and destroy; returns 0 when every message was delivered, else SCRUB_EIO. Accepts NULL. */
int cli_kafka_sink_close(cli_kafka_sink_t *k);

#endif
