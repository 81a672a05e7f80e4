/* cli_kafka.h: internal declarations shared by the Kafka front-end files (cli_kafka*.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_KAFKA_H
#define CLI_KAFKA_H

#ifdef WITH_KAFKA

#include <librdkafka/rdkafka.h>

#include "cli_kafka_lib.h"

#include "cli.h"

/* Delivery guarantee of the sidecar. */
typedef enum cli_kafka_delivery {
    CLI_KAFKA_AT_LEAST_ONCE = 0,  /* offsets stored after the output is acknowledged */
    CLI_KAFKA_EXACTLY_ONCE        /* transactions + send_offsets_to_transaction */
} cli_kafka_delivery_t;

/* What a permanent produce error does to the record. */
typedef enum cli_kafka_on_error {
    CLI_KAFKA_ON_ERROR_QUARANTINE = 0, /* the original goes to the quarantine topic */
    CLI_KAFKA_ON_ERROR_STOP            /* the sidecar stops without committing it */
} cli_kafka_on_error_t;

/* Settings merged from the command line and the config (the command line wins).
 * Strings are borrowed from the options and the rule set, which outlive it. */
typedef struct cli_kafka_conf {
    const char *brokers;          /* input bootstrap servers */
    const char *out_brokers;      /* output bootstrap servers (default: brokers) */
    const char *group;            /* consumer group */
    const char **topics;          /* input topics (array owned, strings borrowed) */
    size_t ntopics;               /* number of input topics */
    const char *out_topic;        /* clean output topic */
    const char *quar_topic;       /* quarantine topic */
    const char *transactional_id; /* exactly-once: producer transactional.id, or NULL */
    const char *http;             /* --http ADDR:PORT, or NULL */
    cli_kafka_delivery_t delivery;/* at-least-once (default) or exactly-once */
    cli_kafka_on_error_t on_error;/* permanent produce error policy */
    int partition_by_input;       /* 1: output partition = input partition */
    size_t max_in_flight;         /* consumed, unacknowledged records before pausing */
    int txn_interval_ms;          /* exactly-once: commit a transaction this often */
    int flush_timeout_ms;         /* shutdown / revoke flush bound */
    int verbose;                  /* -v minus -q */
    char txn_id_buf[256];         /* storage for a default transactional.id */
    rd_kafka_conf_t *consumer;    /* consumer configuration, owned until rd_kafka_new */
    rd_kafka_conf_t *producer;    /* producer configuration, owned until rd_kafka_new */
} cli_kafka_conf_t;

/* ---- cli_kafka_conf.c ---------------------------------------------------- */

/* Which handles cli_kafka_conf_load prepares. */
#define CLI_KAFKA_CONF_SIDECAR 1  /* consumer + producer, input topics required */
#define CLI_KAFKA_CONF_SINK 2     /* producer only */

/*
 * Merge the options and the config sections input.kafka, output.kafka and
 * quarantine.kafka into kc (zeroed by the caller) and build the librdkafka
 * configurations: defaults, then the config's properties, then -F, then -X.
 * Unknown keys in those sections are errors ("file:line:col: ..."). Returns 0
 * or SCRUB_ECONFIG / SCRUB_ENOMEM with errstr filled; on failure kc must
 * still be released with cli_kafka_conf_destroy.
 */
int cli_kafka_conf_load(cli_kafka_conf_t *kc, const cli_kafka_opts_t *ko,
                        const scrub_ruleset_t *rs, int role, char *errstr, size_t errstr_size);

/* Release what cli_kafka_conf_load allocated (configurations not yet handed
 * to rd_kafka_new). Accepts a zeroed or half-loaded kc. */
void cli_kafka_conf_destroy(cli_kafka_conf_t *kc);

/* 1 when the config has any input.kafka setting. */
int cli_kafka_conf_has_input(const scrub_ruleset_t *rs);

/* librdkafka log callback: "logscrub: kafka: <fac>: <msg>" on stderr, dropping
 * the warnings about -X properties that apply to the other handle type. */
void cli_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/* ---- cli_kafka_http.c ---------------------------------------------------- */

typedef struct cli_kafka_http cli_kafka_http_t;

/*
 * Serve GET /healthz and GET /metrics on addr ("host:port", numeric host) from
 * a libmicrohttpd thread. The page contents come from cli_kafka_http_publish.
 * Returns NULL with errstr filled on failure.
 */
cli_kafka_http_t *cli_kafka_http_start(const char *addr, char *errstr, size_t errstr_size);

/* Replace the /metrics text (takes ownership of the malloc'ed text, may be
 * NULL to keep the old one) and the /healthz state (ready: 200, else 503).
 * Thread-safe against the server thread. */
void cli_kafka_http_publish(cli_kafka_http_t *h, char *text, size_t len, int ready);

/* Stop the server and free it. Accepts NULL. */
void cli_kafka_http_stop(cli_kafka_http_t *h);

#endif /* WITH_KAFKA */

#endif
