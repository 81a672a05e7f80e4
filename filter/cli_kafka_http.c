/* cli_kafka_http.c: /healthz and /metrics for the Kafka sidecar, served by libmicrohttpd. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifdef WITH_KAFKA

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "cli_kafka.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t; /* handlers returned int before 0.9.71 */
#else
typedef enum MHD_Result MHD_Result_t;
#endif

/*
 * The server thread only copies what the sidecar thread published: the
 * sidecar builds the whole metrics page, so nothing Kafka-related is touched
 * from here and the lock is held for a memcpy at most.
 */
struct cli_kafka_http {
    struct MHD_Daemon *daemon;  /* libmicrohttpd server */
    pthread_mutex_t lock;       /* guards text, len and ready */
    char *text;                 /* /metrics body, malloc'ed */
    size_t len;                 /* its length */
    int ready;                  /* /healthz: 1 = 200, 0 = 503 */
};

static MHD_Result_t reply(struct MHD_Connection *conn, unsigned status, const char *type,
                          const char *body, size_t len)
{
    struct MHD_Response *resp;
    MHD_Result_t rc;

    resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static MHD_Result_t handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_data_size, void **con_cls)
{
    cli_kafka_http_t *h = cls;
    MHD_Result_t rc;

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return reply(conn, 405, "text/plain", "method not allowed\n", 19);
    }
    if (strcmp(url, "/healthz") == 0) {
        int ready;

        pthread_mutex_lock(&h->lock);
        ready = h->ready;
        pthread_mutex_unlock(&h->lock);
        return ready ? reply(conn, 200, "text/plain", "ok\n", 3)
                     : reply(conn, 503, "text/plain", "not ready\n", 10);
    }
    if (strcmp(url, "/metrics") == 0) {
        pthread_mutex_lock(&h->lock);
        rc = reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
                   h->text ? h->text : "", h->text ? h->len : 0);
        pthread_mutex_unlock(&h->lock);
        return rc;
    }
    return reply(conn, 404, "text/plain", "not found\n", 10);
}

/* Parse "a.b.c.d:port" or "[v6]:port" into ss; 0 or -1. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, int *v6)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    char *end;
    long port;

    if (!colon || (size_t)(colon - addr) >= sizeof(host)) {
        return -1;
    }
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port < 0 || port > 65535) {
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    if (addr[0] == '[' && colon > addr + 1 && colon[-1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2), addr + 1);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

        snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *v6 = 0;
        return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
    }
}

cli_kafka_http_t *cli_kafka_http_start(const char *addr, char *errstr, size_t errstr_size)
{
    cli_kafka_http_t *h;
    struct sockaddr_storage ss;
    int v6 = 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    uint16_t port;

    if (parse_addr(addr, &ss, &v6) != 0) {
        snprintf(errstr, errstr_size, "--http %s: expected IPV4:PORT or [IPV6]:PORT", addr);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    if (v6) {
        flags |= MHD_USE_IPv6;
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    else {
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    h->daemon = MHD_start_daemon(flags, port, NULL, NULL, handle, h,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(errstr, errstr_size, "--http %s: cannot listen (address in use?)", addr);
        cli_kafka_http_stop(h);
        return NULL;
    }
    return h;
}

void cli_kafka_http_publish(cli_kafka_http_t *h, char *text, size_t len, int ready)
{
    char *old = NULL;

    if (!h) {
        free(text);
        return;
    }
    pthread_mutex_lock(&h->lock);
    if (text) {
        old = h->text;
        h->text = text;
        h->len = len;
    }
    h->ready = ready;
    pthread_mutex_unlock(&h->lock);
    free(old);
}

void cli_kafka_http_stop(cli_kafka_http_t *h)
{
    if (!h) {
        return;
    }
    if (h->daemon) {
        MHD_stop_daemon(h->daemon);
    }
    pthread_mutex_destroy(&h->lock);
    free(h->text);
    free(h);
}

#else
/* Built without Kafka: nothing here (keeps the translation unit non-empty). */
typedef int cli_kafka_http_unused_t;
#endif /* WITH_KAFKA */
