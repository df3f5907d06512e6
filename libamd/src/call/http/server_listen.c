/* SPDX-License-Identifier: MIT */
/* amd_server_start: the listen address, the libmicrohttpd daemon with its connection limits
 * and callbacks, the browser console's listener, then the engine (listening first: a server
 * that cannot bind must not touch the calls in the database). */
#include "server_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    amd_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    amdi_server_log(s, AMD_LOG_DEBUG, msg);
}

/* "ADDR:PORT" or "[IPv6]:PORT" with a numeric address ("localhost" is 127.0.0.1). */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    const char *colon = strrchr(spec, ':');
    if (!colon)
        return -1;
    char host[128];
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == 0 || port < 0 || port > 65535)
        return -1;
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        *len = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return -1;
    *len = sizeof *a;
    return 0;
}

static int start_console(amd_server *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_listen(s->console_listen, &ss, &sl)) {
        snprintf(err, errlen, "console: '%s' is not ADDR:PORT", s->console_listen);
        return AMD_EINVAL;
    }
    s->console_log.fn = s->cfg.log_fn;
    s->console_log.user = s->cfg.log_user;
    s->console_log.level = s->cfg.log_level;
    amdi_console_config cc = {
        .api = &s->api,
        .engine = s->engine,
        .addr = (struct sockaddr *)&ss,
        .addrlen = sl,
        .secure_cookie = s->public_url && !strncasecmp(s->public_url, "https://", 8),
        .max_body_bytes = s->cfg.max_body_bytes,
        .bench_program = s->console_bench,
        .log = &s->console_log,
    };
    return amdi_console_start(&cc, &s->console, err, errlen);
}

int amd_server_console_port(const amd_server *s)
{
    return s ? amdi_console_port(s->console) : 0;
}

int amd_server_start(amd_server *s, char *err, size_t errlen)
{
    if (!s)
        return AMD_EINVAL;
    if (s->started)
        return AMD_ESTATE;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_listen(s->listen, &ss, &sl)) {
        snprintf(err, errlen, "listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", s->listen);
        return AMD_EINVAL;
    }
    int crc = s->console_listen ? start_console(s, err, errlen) : 0;
    if (crc)
        return crc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, amdi_server_on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_URI_LOG_CALLBACK, amdi_server_on_uri, s,
                              MHD_OPTION_NOTIFY_COMPLETED, amdi_server_on_done, s,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.http_threads,
                              MHD_OPTION_NOTIFY_CONNECTION, amdi_server_on_connection, s,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)AMDI_MAX_CONNECTIONS,
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections_per_ip,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.request_timeout_s,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                              MHD_OPTION_END);
    if (!s->mhd) {
        amdi_console_stop(s->console);
        s->console = NULL;
        snprintf(err, errlen, "cannot listen on %s (address in use or not available)", s->listen);
        return AMD_EIO;
    }
    if (amdi_server_reaper_start(s)) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
        snprintf(err, errlen, "cannot start the request-deadline thread");
        return AMD_ENOMEM;
    }
    /* Listening first: a server that cannot bind must not touch the calls in the database.
     * Recovery then runs; calls created meanwhile are already in the engine and kept. */
    int rc = amdi_calls_start(s->engine);
    if (rc) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
        snprintf(err, errlen, "engine: %s", amd_strerror(rc));
        return rc;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    if (!s->public_url) {
        /* RecordingUrl needs an absolute base: this server as a client on this host reaches it */
        char base[200], host[128];
        const char *colon = strrchr(s->listen, ':');
        snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - s->listen) : 0, s->listen);
        if (!strcmp(host, "0.0.0.0") || !host[0])
            snprintf(host, sizeof host, "127.0.0.1");
        snprintf(base, sizeof base, "http://%s:%d", host, s->port);
        amdi_calls_set_public_url(s->engine, base);
    }
    s->started = 1;
    return 0;
}

int amd_server_port(const amd_server *s)
{
    return s ? s->port : 0;
}
