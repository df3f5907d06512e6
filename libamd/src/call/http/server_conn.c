/* SPDX-License-Identifier: MIT */
/* amd_server's open connections and the whole-request deadline: libmicrohttpd's connection
 * limits (global and per address) cap how many there are; this list and its reaper thread
 * cap how long one may take to send a request. */
#include "server_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

/* One open TCP connection. A request (its headers and its body) must arrive within
 * request_timeout_s of the moment the connection opened or the previous response was sent:
 * libmicrohttpd's own timeout is an idle timeout, which a client sending one byte now and
 * then never hits (the "slowloris" attack). */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    int receiving;     /* waiting for (more of) a request */
    int64_t start_ms;  /* when that wait began (monotonic) */
} conn;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static conn *conn_of(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The connection is waiting for a request (again): the deadline starts now. */
void amdi_server_conn_wait(amd_server *s, struct MHD_Connection *con, int receiving)
{
    conn *c = conn_of(con);
    if (!c)
        return;
    pthread_mutex_lock(&s->conn_mu);
    c->receiving = receiving;
    c->start_ms = mono_ms();
    pthread_mutex_unlock(&s->conn_mu);
}

/* libmicrohttpd reports a connection's start before its first byte is read and its end
 * before it closes the socket, so while an entry is in the list (under conn_mu) its fd is
 * that connection's. */
void amdi_server_on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                               enum MHD_ConnectionNotificationCode code)
{
    amd_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *c = calloc(1, sizeof *c);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = c;
        if (!c)
            return;
        c->fd = ci ? ci->connect_fd : -1;
        c->receiving = 1;
        c->start_ms = mono_ms();
        pthread_mutex_lock(&s->conn_mu);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        pthread_mutex_unlock(&s->conn_mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn *c = *socket_context;
        pthread_mutex_lock(&s->conn_mu);
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&s->conn_mu);
        free(c);
        *socket_context = NULL;
    }
}

/* Every 250 ms: a connection that has been receiving one request for longer than the request
 * timeout is shut down (libmicrohttpd then sees the end of the stream and closes it). */
static void *reaper_main(void *arg)
{
    amd_server *s = arg;
    int64_t limit = (int64_t)s->cfg.request_timeout_s * 1000;
    pthread_mutex_lock(&s->conn_mu);
    while (!s->reaper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->reaper_cv, &s->conn_mu, &ts);
        int64_t now = mono_ms();
        long n = 0;
        for (conn *c = s->conns; c; c = c->next)
            if (c->receiving && c->fd >= 0 && now - c->start_ms > limit) {
                shutdown(c->fd, SHUT_RDWR);
                c->receiving = 0;
                n++;
            }
        if (n) {
            char msg[128];
            snprintf(msg, sizeof msg, "closed %ld connection(s) that did not send a whole request within %d s", n,
                     s->cfg.request_timeout_s);
            pthread_mutex_unlock(&s->conn_mu);
            amdi_server_log(s, AMD_LOG_DEBUG, msg);
            pthread_mutex_lock(&s->conn_mu);
        }
    }
    pthread_mutex_unlock(&s->conn_mu);
    return NULL;
}

int amdi_server_reaper_start(amd_server *s)
{
    s->reaper_stop = 0;
    int rc = pthread_create(&s->reaper, NULL, reaper_main, s);
    s->reaper_on = !rc;
    return rc;
}

void amdi_server_reaper_stop(amd_server *s)
{
    if (!s->reaper_on)
        return;
    pthread_mutex_lock(&s->conn_mu);
    s->reaper_stop = 1;
    pthread_cond_signal(&s->reaper_cv);
    pthread_mutex_unlock(&s->conn_mu);
    pthread_join(s->reaper, NULL);
    s->reaper_on = 0;
}
