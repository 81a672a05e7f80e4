/* cli_kafka_sc.h: the Kafka sidecar's state and the functions its files share. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_KAFKA_SC_H
#define CLI_KAFKA_SC_H

#ifdef WITH_KAFKA

#include <pthread.h>
#include <stdatomic.h>

#include "cli_kafka.h"
#include "cli_kafka_wm.h"

/*
 * Threads (see cli_kafka.c): only the main thread touches partitions,
 * watermarks, counters and the flight list; a flight is handed main -> pool
 * -> writer -> librdkafka -> done list -> main, one thread at a time.
 */

/* One input partition seen since start; never freed before the end, so
 * delivery reports for a revoked partition can still point at it. */
typedef struct kpart {
    char *topic;               /* topic name (owned) */
    int32_t partition;         /* partition number */
    cli_kafka_wm_t *wm;        /* offsets consumed and not yet settled */
    int assigned;              /* 1 while assigned to us */
    int dirty;                 /* commit offset moved since the last store */
    int64_t stored;            /* last offset stored, -1 when none */
    int64_t position;          /* last consumed offset + 1, -1 when unknown */
} kpart_t;

typedef enum kdest {
    KDEST_OUTPUT = 0,          /* the clean output topic */
    KDEST_QUARANTINE           /* the quarantine topic */
} kdest_t;

/* What happened to a flight, for the main thread (kflight.outcome). */
typedef enum koutcome {
    KOUT_DELIVERED = 0,        /* delivery report; err says how it went */
    KOUT_REFUSED,              /* producev refused it (err); nothing was queued */
    KOUT_DROPPED               /* dropped by the rules: nothing to produce */
} koutcome_t;

/* A consumed record whose output is not yet acknowledged. */
typedef struct kflight {
    kpart_t *part;             /* input partition */
    int64_t ticket;            /* watermark ticket, -1 with exactly-once */
    rd_kafka_message_t *in;    /* the consumed message (owned; its value may be the output);
                                  NULL once delivered */
    kdest_t dest;              /* where it is being produced */
    const char *reason;        /* quarantine reason (static string) */
    char *rules;               /* "id,id" of the rules that fired, or NULL */
    koutcome_t outcome;        /* set before the flight joins the done list */
    rd_kafka_resp_err_t err;   /* delivery or producev error */
    struct kflight *done;      /* done list link */
    struct kflight *retry;     /* retry list link */
    struct kflight *prev;      /* all-flights list links */
    struct kflight *next;
} kflight_t;

typedef struct sidecar {
    cli_kafka_conf_t kc;       /* merged settings */
    scrub_ruleset_t *rs;       /* rule set (borrowed) */
    scrub_worker_t *worker;    /* scanning state for re-produced records (main thread) */
    scrub_pool_t *pool;        /* scanning threads + the writer thread that produces */
    unsigned nthreads;         /* its scanning threads */
    scrub_stats_t *stats;      /* counters per verdict and rule (the writer adds, under stats_mu) */
    pthread_mutex_t stats_mu;  /* guards stats */
    pthread_mutex_t done_mu;   /* guards the done list */
    int mutexes;               /* both mutexes initialised */
    kflight_t *done_head;      /* flights with an outcome, appended by any thread */
    kflight_t *done_tail;
    unsigned writer_n;         /* writer: records since it last served the producer */
    rd_kafka_t *consumer;      /* group consumer */
    rd_kafka_queue_t *cq;      /* its consumer queue (batch consumption) */
    rd_kafka_t *producer;      /* output + quarantine producer */
    kpart_t **parts;           /* every partition seen */
    size_t nparts;
    size_t parts_cap;
    kpart_t *last_part;        /* lookup cache */
    kpart_t **dirty;           /* partitions whose commit offset moved (parts_cap long) */
    size_t ndirty;
    kflight_t *flights;        /* every live flight (for cleanup) */
    kflight_t *retry_head;     /* flights to produce again */
    kflight_t *retry_tail;
    size_t inflight;           /* live flights */
    int paused;                /* consumption paused for backpressure */
    int joined;                /* an assignment was received (readiness) */
    atomic_int connected;      /* a broker is up (from statistics; error_cb on any thread) */
    atomic_int fatal;          /* stop: a fatal Kafka error (error_cb, dr_cb: any thread) */
    int stop_error;            /* stop: a record could not be delivered (on_error: stop) */
    int txn_open;              /* exactly-once: a transaction is open */
    int txn_abort;             /* exactly-once: the open transaction must abort */
    double txn_started;        /* when it was begun */
    uint64_t n_in;             /* records consumed */
    uint64_t n_out;            /* records acknowledged on the output topic */
    uint64_t n_quar;           /* records acknowledged on the quarantine topic */
    uint64_t n_drop;           /* records dropped by rules */
    uint64_t n_retry;          /* produce retries */
    uint64_t n_undelivered;    /* records given up (purged, permanent errors) */
    uint64_t n_aborts;         /* aborted transactions */
    uint64_t n_rerouted;       /* records sent to quarantine after a produce error */
    cli_kafka_http_t *http;    /* /healthz + /metrics, or NULL */
    double next_publish;       /* when to rebuild the metrics page */
} sidecar_t;

/* ---- cli_kafka.c ----------------------------------------------------------- */

/* Monotonic time in seconds. */
double cli_kafka_now(void);

/* "logscrub: kafka: ..." on stderr when level <= the verbosity (-1: always). Any thread. */
void cli_kafka_log(const sidecar_t *sc, int level, const char *fmt, ...);

/* Wait until the pool's writer has produced (or refused) every record handed
 * to it; a pool failure is fatal. Main thread. */
void cli_kafka_pool_sync(sidecar_t *sc);

/* Act on every flight of the done list (main thread). */
void cli_kafka_process_done(sidecar_t *sc);

/* Serve the producer for up to timeout_ms, then cli_kafka_process_done. */
void cli_kafka_serve_producer(sidecar_t *sc, int timeout_ms);

/* ---- cli_kafka_txn.c: exactly-once (main thread) ----------------------------- */

/* Begin a transaction unless one is open; a failure is fatal. */
void cli_kafka_txn_begin(sidecar_t *sc);

/* Abort the open transaction after the pool has produced everything; with
 * rewind the consumer goes back to the committed offsets. */
void cli_kafka_txn_abort(sidecar_t *sc, int rewind);

/* Commit the open transaction with the positions of the records handled; an
 * abortable error aborts (rewinding when rewind is set). 0 when committed. */
int cli_kafka_txn_commit(sidecar_t *sc, int rewind);

/* ---- cli_kafka_metrics.c --------------------------------------------------- */

/* Rebuild the /metrics page and the /healthz state from sc (main thread). */
void cli_kafka_metrics_publish(sidecar_t *sc);

#endif /* WITH_KAFKA */

#endif
