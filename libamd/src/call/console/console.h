/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The browser console (`amd serve --console-port`): its own HTTP listener serving the
 * embedded page (console_assets.h), sign-in sessions (console_session.h), a live-update
 * stream (Server-Sent Events, https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * and the account's API (rest.h, rest_amd.h) under /console/api/ for the signed-in account,
 * plus the tuning run (console_tune.h). A thin face: it renders what the libraries hold.
 *
 * Security: Content-Security-Policy without inline scripts or any remote origin; the
 * session cookie is HttpOnly, SameSite=Strict, Path=/console/ and Secure when the server's
 * public URL is https; every change needs the session's CSRF token in X-CSRF-Token and a
 * same-origin Origin / Sec-Fetch-Site (https://fetch.spec.whatwg.org/#http-origin); failed
 * sign-ins are slowed down. */
#ifndef AMDI_CONSOLE_H
#define AMDI_CONSOLE_H

#include <stddef.h>
#include <sys/socket.h>

#include "calls.h"
#include "log.h"
#include "rest.h"

typedef struct amdi_console_config {
    amdi_api *api;             /* borrowed: outlives the console */
    amdi_calls *engine;        /* borrowed */
    const struct sockaddr *addr;
    socklen_t addrlen;
    int secure_cookie;         /* add Secure to the cookie (the console is reached over https) */
    size_t max_body_bytes;
    const char *bench_program; /* the `amd` program the tuning page runs `amd bench` with; NULL: off */
    const amdi_logger *log;
} amdi_console_config;

typedef struct amdi_console amdi_console;

/* Listen and serve. 0, or AMD_EIO / AMD_ENOMEM with the reason in @p err. */
int amdi_console_start(const amdi_console_config *cfg, amdi_console **out, char *err, size_t errlen);
int amdi_console_port(const amdi_console *c);
/* Close every live stream and stop listening. NULL is a no-op. */
void amdi_console_stop(amdi_console *c);

#endif
