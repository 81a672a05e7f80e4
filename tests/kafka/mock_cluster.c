/* mock_cluster.c: run librdkafka's in-process mock cluster as a test helper process. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage: mock_cluster [-n brokers] topic[:partitions] ...
 *
 * Prints the bootstrap address on stdout (one line), then serves until SIGTERM
 * or SIGINT. Commands read from stdin, one per line (stdin EOF is not a stop):
 *
 *   topic NAME PARTITIONS            create a topic
 *   error APIKEY COUNT ERRCODE       fail the next COUNT requests of ApiKey
 *                                    (e.g. 0 = Produce, 1 = Fetch) with ERRCODE
 *   down BROKERID / up BROKERID      take a broker down / bring it back
 *   rtt BROKERID MS                  set a broker's round-trip time
 *
 * Every command is answered with "ok" or "error: ..." on stdout.
 * The mock API is experimental; this helper is pinned to librdkafka 2.0.x.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t run = 1;

static void stop(int sig)
{
    (void)sig;
    run = 0;
}

/* Execute one command line; writes the answer to stdout. */
static void command(rd_kafka_mock_cluster_t *mc, char *line)
{
    char name[256];
    int a, b, c;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (sscanf(line, "topic %255s %d", name, &a) == 2) {
        err = rd_kafka_mock_topic_create(mc, name, a, 1);
    }
    else if (sscanf(line, "error %d %d %d", &a, &b, &c) == 3) {
        rd_kafka_resp_err_t *errs = calloc((size_t)b, sizeof(*errs));
        int i;

        for (i = 0; i < b; i++) {
            errs[i] = (rd_kafka_resp_err_t)c;
        }
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)b, errs);
        free(errs);
    }
    else if (sscanf(line, "down %d", &a) == 1) {
        err = rd_kafka_mock_broker_set_down(mc, a);
    }
    else if (sscanf(line, "up %d", &a) == 1) {
        err = rd_kafka_mock_broker_set_up(mc, a);
    }
    else if (sscanf(line, "rtt %d %d", &a, &b) == 2) {
        err = rd_kafka_mock_broker_set_rtt(mc, a, b);
    }
    else {
        printf("error: unknown command\n");
        fflush(stdout);
        return;
    }
    if (err) {
        printf("error: %s\n", rd_kafka_err2str(err));
    }
    else {
        printf("ok\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
    char errstr[512];
    char line[512];
    size_t used = 0;
    int nbrokers = 1;
    int i = 1;
    int stdin_open = 1;
    struct sigaction sa;

    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        nbrokers = atoi(argv[2]);
        i = 3;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mock_cluster: %s\n", errstr);
        return 2;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mock_cluster: %s\n", errstr);
        return 2;
    }
    conf = NULL;
    mc = rd_kafka_mock_cluster_new(rk, nbrokers);
    if (!mc) {
        fprintf(stderr, "mock_cluster: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 2;
    }
    for (; i < argc; i++) {
        char *colon = strchr(argv[i], ':');
        int parts = colon ? atoi(colon + 1) : 1;
        rd_kafka_resp_err_t err;

        if (colon) {
            *colon = '\0';
        }
        err = rd_kafka_mock_topic_create(mc, argv[i], parts, 1);
        if (err) {
            fprintf(stderr, "mock_cluster: topic %s: %s\n", argv[i], rd_kafka_err2str(err));
        }
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);

    while (run) {
        struct pollfd pfd = { .fd = 0, .events = POLLIN };
        ssize_t r;
        char *nl;

        if (!stdin_open) {
            poll(NULL, 0, 200);
            continue;
        }
        if (poll(&pfd, 1, 200) <= 0) {
            continue;
        }
        r = read(0, line + used, sizeof(line) - 1 - used);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            stdin_open = 0;
            continue;
        }
        used += (size_t)r;
        line[used] = '\0';
        while ((nl = strchr(line, '\n')) != NULL) {
            size_t n = (size_t)(nl - line) + 1;

            *nl = '\0';
            command(mc, line);
            memmove(line, line + n, used - n + 1);
            used -= n;
        }
        if (used == sizeof(line) - 1) {
            used = 0; /* an over-long line: discard */
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
