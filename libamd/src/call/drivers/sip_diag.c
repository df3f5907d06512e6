/* SPDX-License-Identifier: MIT */
/* The SIP driver's diagnostics: libre's own debug output and the SIP messages no listener
 * took, into the driver's logger (a library writes nothing to stderr). */
#include "sip_internal.h"

#include <stdio.h>
#include <string.h>

#define DEBUG_MODULE "amd-sip"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

/* Diagnostics from the SIP stack (libre's debug output, messages nobody handled): they carry
 * bytes from the network, so they go through the logger at debug level, made printable,
 * truncated, and at most LOG_BURST lines per LOG_WINDOW_MS (then one line saying how many
 * were dropped). */
#define LOG_BURST 20
#define LOG_WINDOW_MS 10000

void amdi_sip_diag_log(sipdrv *d, const char *text, size_t len)
{
    if (!d || !d->log_fn || d->log_level < AMD_LOG_DEBUG)
        return;
    char line[300];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < sizeof line; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || ch == '\r') {
            if (i + 1 < len)
                line[n++] = ' ';
        } else {
            line[n++] = ch >= ' ' && ch < 0x7f ? (char)ch : '?';
        }
    }
    if (n + 4 >= sizeof line)
        memcpy(line + n, "...", 3), n += 3;
    line[n] = 0;
    pthread_mutex_lock(&d->log_mu);
    uint64_t now = tmr_jiffies();
    unsigned dropped = 0;
    if (now - d->log_window_ms >= LOG_WINDOW_MS) {
        dropped = d->log_suppressed;
        d->log_window_ms = now;
        d->log_in_window = 0;
        d->log_suppressed = 0;
    }
    int pass = d->log_in_window < LOG_BURST;
    if (pass)
        d->log_in_window++;
    else
        d->log_suppressed++;
    pthread_mutex_unlock(&d->log_mu);
    if (dropped) {
        char m[96];
        snprintf(m, sizeof m, "sip: %u diagnostic line(s) dropped by the rate limit", dropped);
        d->log_fn(d->log_user, AMD_LOG_DEBUG, m);
    }
    if (pass)
        d->log_fn(d->log_user, AMD_LOG_DEBUG, line);
}

static void dbg_to_log(int level, const char *p, size_t len, void *arg)
{
    (void)level; /* a library does not write to stderr: into the logger instead */
    amdi_sip_diag_log(arg, p, len);
}

/* A request no listener took (libre would print it to stderr and answer it): answer as
 * RFC 3261 sections 8.2.1 and 9.2 say — 481 to a CANCEL that matches nothing, 501 to a method we do
 * not implement, nothing to an ACK — and log it through the logger. */
bool amdi_sip_stray_request(const struct sip_msg *msg, void *arg)
{
    sipdrv *d = arg;
    char m[300];
    int n = re_snprintf(m, sizeof m, "sip: unhandled request from %J: %r %r", &msg->src, &msg->met, &msg->ruri);
    amdi_sip_diag_log(d, m, n > 0 ? (size_t)n : 0);
    if (!pl_strcmp(&msg->met, "CANCEL"))
        (void)sip_reply(d->sip, msg, 481, "Transaction Does Not Exist");
    else if (pl_strcmp(&msg->met, "ACK"))
        (void)sip_reply(d->sip, msg, 501, "Not Implemented");
    return true;
}

/* A response no listener took: one that matches no client transaction (libre's
 * response_handler in src/sip/ctrans.c declines it) and is not a 2xx to INVITE (libre's
 * session socket, response_handler in src/sipsess/listen.c, takes every one of those to re-send
 * the ACK, RFC 3261 §13.2.2.4). Dropped as RFC 3261 §18.1.2 says, logged through the logger. */
bool amdi_sip_stray_response(const struct sip_msg *msg, void *arg)
{
    sipdrv *d = arg;
    char m[300];
    int n = re_snprintf(m, sizeof m, "sip: unhandled response from %J: %u %r (%r)", &msg->src, msg->scode,
                        &msg->reason, &msg->cseq.met);
    amdi_sip_diag_log(d, m, n > 0 ? (size_t)n : 0);
    return true;
}

void amdi_sip_diag_attach(sipdrv *d)
{
    pthread_mutex_init(&d->log_mu, NULL);
    dbg_init(DBG_WARNING, DBG_NONE);
    dbg_handler_set(dbg_to_log, d);
}

void amdi_sip_diag_detach(sipdrv *d)
{
    dbg_handler_set(NULL, NULL);
    pthread_mutex_destroy(&d->log_mu);
}
