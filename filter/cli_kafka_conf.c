/* cli_kafka_conf.c: Kafka settings from the command line and the config, -F and -X handling. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifdef WITH_KAFKA

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli_kafka.h"

/* ==== config sections ==================================================== */

/* State for walking one config section with scrub_ruleset_settings. */
typedef struct section_walk {
    cli_kafka_conf_t *kc;         /* settings being filled */
    const char *prefix;           /* "input.kafka." etc. */
    rd_kafka_conf_t *props_conf;  /* props_setting: where properties go, or NULL */
    const char **topics;          /* input.kafka.topics.N collected here */
    size_t ntopics;               /* number collected */
    char *errstr;                 /* caller's error buffer */
    size_t errstr_size;           /* its size */
} section_walk_t;

/* Parse a positive integer setting; -1 when malformed. */
static long parse_positive(const char *v)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n <= 0) {
        return -1;
    }
    return n;
}

/* Apply one librdkafka property; errstr gets "where: name: reason". */
static int conf_apply(rd_kafka_conf_t *conf, const char *name, const char *value,
                      const char *where, char *errstr, size_t errstr_size)
{
    char err[512];

    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "%s: %s", where, err);
        return SCRUB_ECONFIG;
    }
    return 0;
}

/* One setting of input.kafka / output.kafka / quarantine.kafka. */
static int section_setting(void *ctx, const char *path, const char *value, const char *where)
{
    section_walk_t *w = ctx;
    cli_kafka_conf_t *kc = w->kc;
    const char *key = path + strlen(w->prefix);
    int input = strcmp(w->prefix, "input.kafka.") == 0;
    int output = strcmp(w->prefix, "output.kafka.") == 0;
    long n;

    if (strncmp(key, "properties.", 11) == 0 && (input || output)) {
        return 0; /* applied by props_setting once the defaults are in place */
    }
    if (input && strcmp(key, "brokers") == 0) {
        kc->brokers = kc->brokers ? kc->brokers : value;
    }
    else if (input && strcmp(key, "group") == 0) {
        kc->group = kc->group ? kc->group : value;
    }
    else if (input && strncmp(key, "topics.", 7) == 0) {
        const char **t = realloc(w->topics, (w->ntopics + 1) * sizeof(*t));

        if (!t) {
            return SCRUB_ENOMEM;
        }
        w->topics = t;
        w->topics[w->ntopics++] = value;
    }
    else if (input && strcmp(key, "delivery") == 0) {
        if (strcmp(value, "exactly-once") == 0) {
            kc->delivery = CLI_KAFKA_EXACTLY_ONCE;
        }
        else if (strcmp(value, "at-least-once") == 0) {
            kc->delivery = CLI_KAFKA_AT_LEAST_ONCE;
        }
        else {
            snprintf(w->errstr, w->errstr_size, "%s: input.kafka.delivery must be at-least-once "
                     "or exactly-once", where);
            return SCRUB_ECONFIG;
        }
    }
    else if (input && strcmp(key, "transactional_id") == 0) {
        kc->transactional_id = value;
    }
    else if (input && (strcmp(key, "max_in_flight") == 0 ||
                       strcmp(key, "transaction_interval_ms") == 0 ||
                       strcmp(key, "flush_timeout_ms") == 0)) {
        n = parse_positive(value);
        if (n < 0 || n > 100000000) {
            snprintf(w->errstr, w->errstr_size, "%s: %s%s must be a positive integer", where,
                     w->prefix, key);
            return SCRUB_ECONFIG;
        }
        if (key[0] == 'm') {
            kc->max_in_flight = (size_t)n;
        }
        else if (key[0] == 't') {
            kc->txn_interval_ms = (int)n;
        }
        else {
            kc->flush_timeout_ms = (int)n;
        }
    }
    else if (output && strcmp(key, "brokers") == 0) {
        kc->out_brokers = value;
    }
    else if (output && strcmp(key, "topic") == 0) {
        kc->out_topic = kc->out_topic ? kc->out_topic : value;
    }
    else if (output && strcmp(key, "on_error") == 0) {
        if (strcmp(value, "quarantine") == 0) {
            kc->on_error = CLI_KAFKA_ON_ERROR_QUARANTINE;
        }
        else if (strcmp(value, "stop") == 0) {
            kc->on_error = CLI_KAFKA_ON_ERROR_STOP;
        }
        else {
            snprintf(w->errstr, w->errstr_size, "%s: output.kafka.on_error must be quarantine "
                     "or stop", where);
            return SCRUB_ECONFIG;
        }
    }
    else if (output && strcmp(key, "partitioning") == 0) {
        if (strcmp(value, "key") == 0 || strcmp(value, "input") == 0) {
            kc->partition_by_input = value[0] == 'i';
        }
        else {
            snprintf(w->errstr, w->errstr_size, "%s: output.kafka.partitioning must be key or "
                     "input", where);
            return SCRUB_ECONFIG;
        }
    }
    else if (!input && !output && strcmp(key, "topic") == 0) {
        kc->quar_topic = kc->quar_topic ? kc->quar_topic : value;
    }
    else {
        snprintf(w->errstr, w->errstr_size, "%s: unknown key '%s'", where, path);
        return SCRUB_ECONFIG;
    }
    return 0;
}

/* One setting under input.kafka.properties. / output.kafka.properties. */
static int props_setting(void *ctx, const char *path, const char *value, const char *where)
{
    section_walk_t *w = ctx;

    if (!w->props_conf) {
        return 0; /* a handle this role does not create */
    }
    return conf_apply(w->props_conf, path + strlen(w->prefix), value, where, w->errstr,
                      w->errstr_size);
}

/* Reject a scalar where a mapping is expected (e.g. "input: {kafka: yes}"). */
static int section_scalar(void *ctx, const char *path, const char *value, const char *where)
{
    section_walk_t *w = ctx;
    size_t n = strlen(w->prefix) - 1; /* without the final dot */

    (void)value;
    if (strlen(path) == n) {
        snprintf(w->errstr, w->errstr_size, "%s: '%s' must be a mapping", where, path);
        return SCRUB_ECONFIG;
    }
    return 0;
}

/* Walk one section; the scalar check uses the prefix without its dot. */
static int walk_section(section_walk_t *w, const scrub_ruleset_t *rs)
{
    char bare[64];
    int rc;

    snprintf(bare, sizeof(bare), "%.*s", (int)strlen(w->prefix) - 1, w->prefix);
    rc = scrub_ruleset_settings(rs, bare, section_scalar, w);
    if (rc == 0) {
        rc = scrub_ruleset_settings(rs, w->prefix, section_setting, w);
    }
    return rc;
}

/* Any setting at all: used by cli_kafka_conf_has_input. */
static int any_setting(void *ctx, const char *path, const char *value, const char *where)
{
    (void)ctx;
    (void)path;
    (void)value;
    (void)where;
    return 1;
}

int cli_kafka_conf_has_input(const scrub_ruleset_t *rs)
{
    return rs && scrub_ruleset_settings(rs, "input.kafka.", any_setting, NULL) != 0;
}

/* ==== -F file and -X ===================================================== */

/* Apply a kcat-style properties file (key=value lines, # comments) to each
 * non-NULL conf. Errors read "path:line: message". */
static int apply_props_file(const char *path, rd_kafka_conf_t *a, rd_kafka_conf_t *b,
                            char *errstr, size_t errstr_size)
{
    FILE *fp;
    char line[4096], where[512];
    int lineno = 0, rc = 0;

    if (strcmp(path, "none") == 0) {
        return 0;
    }
    fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return SCRUB_ECONFIG;
    }
    while (rc == 0 && fgets(line, sizeof(line), fp)) {
        char *s = line, *e, *eq;

        lineno++;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
            *--e = '\0';
        }
        if (*s == '\0' || *s == '#') {
            continue;
        }
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        eq = strchr(s, '=');
        if (!eq || eq == s) {
            snprintf(errstr, errstr_size, "%s: expected key=value", where);
            rc = SCRUB_ECONFIG;
            break;
        }
        *eq = '\0';
        if (a) {
            rc = conf_apply(a, s, eq + 1, where, errstr, errstr_size);
        }
        if (rc == 0 && b) {
            rc = conf_apply(b, s, eq + 1, where, errstr, errstr_size);
        }
    }
    fclose(fp);
    return rc;
}

/* Apply the -X key=value options to each non-NULL conf. */
static int apply_x(const cli_kafka_opts_t *ko, rd_kafka_conf_t *a, rd_kafka_conf_t *b,
                   char *errstr, size_t errstr_size)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < ko->nprops; i++) {
        const char *eq = strchr(ko->props[i], '=');
        char name[256];

        if (!eq || eq == ko->props[i] || (size_t)(eq - ko->props[i]) >= sizeof(name)) {
            snprintf(errstr, errstr_size, "-X %s: expected key=value", ko->props[i]);
            return SCRUB_ECONFIG;
        }
        snprintf(name, sizeof(name), "%.*s", (int)(eq - ko->props[i]), ko->props[i]);
        if (a) {
            rc = conf_apply(a, name, eq + 1, "-X", errstr, errstr_size);
        }
        if (rc == 0 && b) {
            rc = conf_apply(b, name, eq + 1, "-X", errstr, errstr_size);
        }
    }
    return rc;
}

/* ==== logging ============================================================ */

void cli_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* -X and -F go to both handles; each handle warns about the other's
     * properties. Those warnings say nothing useful here. */
    if (strcmp(fac, "CONFWARN") == 0 &&
        (strstr(buf, "is a consumer property and will be ignored by this producer") ||
         strstr(buf, "is a producer property and will be ignored by this consumer"))) {
        return;
    }
    fprintf(stderr, "logscrub: kafka: %s%s: %s\n", level <= LOG_ERR ? "error: " : "", fac, buf);
}

/* ==== building the configurations ======================================= */

/* Set a default; errors here are programming errors, reported all the same. */
static int set_default(rd_kafka_conf_t *conf, const char *name, const char *value,
                       char *errstr, size_t errstr_size)
{
    return conf_apply(conf, name, value, "default", errstr, errstr_size);
}

/* Strip "kafka:" from a --output / --quarantine spec; NULL when it is not one. */
static const char *kafka_spec_topic(const char *spec)
{
    if (spec && strncmp(spec, "kafka:", 6) == 0 && spec[6] != '\0') {
        return spec + 6;
    }
    return NULL;
}

static int conf_defaults(cli_kafka_conf_t *kc, rd_kafka_conf_t *conf, int consumer,
                         char *errstr, size_t errstr_size)
{
    const char *level = kc->verbose < 0 ? "3" : kc->verbose == 0 ? "4" : kc->verbose == 1 ? "6" : "7";
    const char *brokers = consumer ? kc->brokers : (kc->out_brokers ? kc->out_brokers : kc->brokers);
    int rc;

    rd_kafka_conf_set_log_cb(conf, cli_kafka_log_cb);
    rc = set_default(conf, "client.id", "logscrub", errstr, errstr_size);
    if (rc == 0) {
        rc = set_default(conf, "log_level", level, errstr, errstr_size);
    }
    if (rc == 0 && brokers) {
        rc = set_default(conf, "bootstrap.servers", brokers, errstr, errstr_size);
    }
    if (rc != 0) {
        return rc;
    }
    if (consumer) {
        rc = set_default(conf, "group.id", kc->group, errstr, errstr_size);
        if (rc == 0) {
            rc = set_default(conf, "enable.auto.offset.store", "false", errstr, errstr_size);
        }
        if (rc == 0) {
            rc = set_default(conf, "enable.auto.commit",
                             kc->delivery == CLI_KAFKA_EXACTLY_ONCE ? "false" : "true",
                             errstr, errstr_size);
        }
        if (rc == 0) {
            rc = set_default(conf, "auto.offset.reset", "earliest", errstr, errstr_size);
        }
        if (rc == 0) {
            /* A short interval keeps the replay after a crash small. */
            rc = set_default(conf, "auto.commit.interval.ms", "1000", errstr, errstr_size);
        }
        if (rc == 0) {
            /* librdkafka 2.0.2 compares this per-partition threshold with the
             * length of the whole consumer queue (every partition's queue is
             * forwarded to it). Once it is reached, fetching stops and resumes
             * only when the broker thread next wakes up, up to 1 s after the
             * queue drained: at the default 100000 the output stalled for
             * about 0.5 s every 100k records whenever consuming outpaced
             * producing. queued.max.messages.kbytes (64 MB by default) still
             * bounds the prefetched messages. */
            rc = set_default(conf, "queued.min.messages", "1000000", errstr, errstr_size);
        }
        if (rc == 0 && kc->http) {
            rc = set_default(conf, "statistics.interval.ms", "1000", errstr, errstr_size);
        }
        return rc;
    }
    rc = set_default(conf, "enable.idempotence", "true", errstr, errstr_size);
    if (rc == 0) {
        rc = set_default(conf, "linger.ms", "5", errstr, errstr_size);
    }
    if (rc == 0 && kc->delivery == CLI_KAFKA_EXACTLY_ONCE) {
        if (!kc->transactional_id) {
            char host[128] = "localhost";

            gethostname(host, sizeof(host) - 1);
            host[sizeof(host) - 1] = '\0';
            snprintf(kc->txn_id_buf, sizeof(kc->txn_id_buf), "logscrub-%s-%s", kc->group, host);
            kc->transactional_id = kc->txn_id_buf;
        }
        rc = set_default(conf, "transactional.id", kc->transactional_id, errstr, errstr_size);
    }
    return rc;
}

/* A property the sidecar's guarantees depend on must keep its value. */
static int check_managed(rd_kafka_conf_t *conf, const char *name, const char *want,
                         char *errstr, size_t errstr_size)
{
    char val[64];
    size_t n = sizeof(val);

    if (rd_kafka_conf_get(conf, name, val, &n) == RD_KAFKA_CONF_OK && strcmp(val, want) != 0) {
        snprintf(errstr, errstr_size, "%s=%s is not allowed: logscrub manages it (%s) so that "
                 "offsets never pass undelivered records", name, val, want);
        return SCRUB_ECONFIG;
    }
    return 0;
}

int cli_kafka_conf_load(cli_kafka_conf_t *kc, const cli_kafka_opts_t *ko,
                        const scrub_ruleset_t *rs, int role, char *errstr, size_t errstr_size)
{
    section_walk_t w;
    static const char *const prefixes[] = { "input.kafka.", "output.kafka.", "quarantine.kafka." };
    int sidecar = role == CLI_KAFKA_CONF_SIDECAR;
    size_t i;
    int rc = 0;

    kc->brokers = ko->brokers;
    kc->group = ko->group;
    kc->http = ko->http;
    kc->verbose = ko->verbose;
    kc->max_in_flight = 50000;
    kc->txn_interval_ms = 200;
    kc->flush_timeout_ms = 30000;
    kc->out_topic = kafka_spec_topic(ko->output);
    kc->quar_topic = kafka_spec_topic(ko->quarantine);
    if (sidecar && ko->output && !kc->out_topic) {
        snprintf(errstr, errstr_size, "--output %s: the Kafka sidecar writes to a topic "
                 "(--output kafka:TOPIC)", ko->output);
        return SCRUB_ECONFIG;
    }
    if (sidecar && ko->quarantine && !kc->quar_topic) {
        snprintf(errstr, errstr_size, "--quarantine %s: the Kafka sidecar quarantines to a topic "
                 "(--quarantine kafka:TOPIC)", ko->quarantine);
        return SCRUB_ECONFIG;
    }
    kc->producer = rd_kafka_conf_new();
    if (sidecar) {
        kc->consumer = rd_kafka_conf_new();
    }

    /* First pass over the config: plain settings only (properties need the
     * defaults in place first so that they can override them). */
    for (i = 0; rc == 0 && rs && i < 3; i++) {
        memset(&w, 0, sizeof(w));
        w.kc = kc;
        w.prefix = prefixes[i];
        w.errstr = errstr;
        w.errstr_size = errstr_size;
        rc = walk_section(&w, rs);
        if (rc == 0 && i == 0 && w.ntopics > 0 && ko->ntopics == 0) {
            kc->topics = w.topics;
            kc->ntopics = w.ntopics;
            w.topics = NULL;
        }
        free(w.topics);
    }
    if (rc == 0 && ko->ntopics > 0) {
        kc->topics = malloc(ko->ntopics * sizeof(*kc->topics));
        if (!kc->topics) {
            return SCRUB_ENOMEM;
        }
        memcpy(kc->topics, ko->topics, ko->ntopics * sizeof(*kc->topics));
        kc->ntopics = ko->ntopics;
    }
    if (rc != 0) {
        return rc;
    }
    if (sidecar) {
        const char *missing = !kc->brokers ? "brokers (-b or input.kafka.brokers)"
                              : !kc->group ? "a consumer group (-G or input.kafka.group)"
                              : kc->ntopics == 0 ? "input topics (-G GROUP TOPIC... or "
                                                   "input.kafka.topics)"
                              : !kc->out_topic ? "an output topic (--output kafka:TOPIC or "
                                                 "output.kafka.topic)"
                              : !kc->quar_topic ? "a quarantine topic (--quarantine kafka:TOPIC "
                                                  "or quarantine.kafka.topic)"
                                                : NULL;
        if (missing) {
            snprintf(errstr, errstr_size, "the Kafka sidecar needs %s", missing);
            return SCRUB_ECONFIG;
        }
        rc = conf_defaults(kc, kc->consumer, 1, errstr, errstr_size);
    }
    else if (!kc->brokers && !kc->out_brokers) {
        snprintf(errstr, errstr_size, "a Kafka sink needs brokers (-b or output.kafka.brokers)");
        return SCRUB_ECONFIG;
    }
    if (rc == 0) {
        rc = conf_defaults(kc, kc->producer, 0, errstr, errstr_size);
    }

    /* Second pass: properties, in file order, then -F, then -X. */
    for (i = 0; rc == 0 && rs && i < 2; i++) {
        memset(&w, 0, sizeof(w));
        w.kc = kc;
        w.prefix = i == 0 ? "input.kafka.properties." : "output.kafka.properties.";
        w.errstr = errstr;
        w.errstr_size = errstr_size;
        w.props_conf = i == 0 ? kc->consumer : kc->producer;
        rc = scrub_ruleset_settings(rs, w.prefix, props_setting, &w);
    }
    if (rc == 0 && ko->props_file) {
        rc = apply_props_file(ko->props_file, kc->consumer, kc->producer, errstr, errstr_size);
    }
    if (rc == 0) {
        rc = apply_x(ko, kc->consumer, kc->producer, errstr, errstr_size);
    }
    if (rc == 0 && kc->consumer) {
        rc = check_managed(kc->consumer, "enable.auto.offset.store", "false", errstr,
                           errstr_size);
        if (rc == 0 && kc->delivery == CLI_KAFKA_EXACTLY_ONCE) {
            rc = check_managed(kc->consumer, "enable.auto.commit", "false", errstr, errstr_size);
        }
    }
    return rc;
}

void cli_kafka_conf_destroy(cli_kafka_conf_t *kc)
{
    if (!kc) {
        return;
    }
    if (kc->consumer) {
        rd_kafka_conf_destroy(kc->consumer);
        kc->consumer = NULL;
    }
    if (kc->producer) {
        rd_kafka_conf_destroy(kc->producer);
        kc->producer = NULL;
    }
    free(kc->topics);
    kc->topics = NULL;
    kc->ntopics = 0;
}

#else
/* Built without Kafka: nothing here (keeps the translation unit non-empty). */
typedef int cli_kafka_conf_unused_t;
#endif /* WITH_KAFKA */
