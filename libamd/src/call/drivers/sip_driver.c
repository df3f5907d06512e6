/* SPDX-License-Identifier: MIT */
/* The `sip` carrier driver: SIP UAC + RTP over libre 1.1.0 (Debian libre-dev).
 *
 * Threading (the design in one place):
 *  - libre keeps one event loop per process (re_main over a global fd / timer table). The
 *    driver runs it on its own thread ("amd-sip"), started at create. Every libre object is
 *    created, used and freed on that thread only: SIP responses, incoming BYE, RTP packets,
 *    the 20 ms RTP send timer and the engine's commands all run there.
 *  - The engine thread calls the driver ops (driver.h). They never call libre: dial() allocates
 *    the leg, fills in what to dial and posts a command on a libre mqueue (a pipe the loop
 *    polls); send_digits() and release() post commands too, destroy() posts "stop" and joins.
 *    The loop runs the commands in order. (An earlier version took libre's loop lock from the
 *    engine thread with re_thread_enter(); under 1,000 calls the loop thread re-takes that
 *    unfair mutex after every epoll_wait, and the engine thread starved for seconds.)
 *  - advance() runs on the engine thread. What the loop thread learns about a leg (ringing,
 *    answered, refused with a SIP code, far-end BYE) and the audio it receives go into the
 *    leg's `sh` part under the leg's own mutex; advance() copies the events out and drains
 *    20 ms frames from the leg's jitter buffer (sip_jb.h) at the engine's media clock.
 *  - Leg lifetime: the engine owns a leg from dial() to release(); after release() it never
 *    touches it again and the loop thread frees it when it runs the release command, after
 *    hanging up. libre calls none of our handlers for a session after mem_deref() (it swaps in
 *    its own), and the RTP socket is closed in the same step, so no callback outlives the leg.
 *  - release() runs libre's hang-up: mem_deref() of an established session sends BYE, of a
 *    session that had a provisional response CANCEL (RFC 3261 §9.1); libre keeps the
 *    transaction alive on its own.
 *
 * Media: AMD starts at answer (200 OK), not at early media (183 Session Progress), as on
 * Twilio, whose detection starts when the call is answered. The
 * far end's PCMU / PCMA is decoded to float and placed by RTP timestamp (sip_jb.h). Our side:
 * the engine hands every answered leg one 20 ms frame per media tick (send_audio); the frames
 * wait in a short per-leg queue (OUT_QUEUE) and the loop's 20 ms RTP timer sends one per
 * packet, encoded to the law the far end chose (ITU-T G.711). With nothing queued (before
 * the first frame, or the engine running late) a frame of G.711 silence goes out instead, so
 * NATs / SBCs see symmetric media throughout. Keys go out as RFC 4733 telephone-events in
 * place of the audio when the far end accepted telephone-event: SendDigits, and the keys of
 * <Play digits> (send_audio's digit), else as the in-band tones the frames carry.
 *
 * Files: this one has the driver's life cycle, the loop thread and the engine-side ops;
 * sip_dialog.c the SIP dialog of a leg (INVITE, SDP, hang-up); sip_rtp_recv.c / sip_rtp_send.c
 * the far end's and our side's audio; sip_telev.c RFC 4733 events; sip_stats.c the counters;
 * sip_diag.c libre's diagnostics; sip_internal.h what they share. */
#include "sip_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "amd/error.h"

static pthread_mutex_t g_once_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_in_use; /* libre's loop is per process: one SIP driver at a time */

static void release_process_slot(void)
{
    pthread_mutex_lock(&g_once_mu);
    g_in_use = 0;
    pthread_mutex_unlock(&g_once_mu);
}

/* ------------------------------------------------------------------ the loop thread */

static void exit_h(void *arg)
{
    (void)arg;
    re_cancel();
}

static void stop_h(void *arg)
{
    (void)arg;
    re_cancel(); /* BYEs still unanswered after the grace period: stop anyway */
}

static void *loop_thread(void *arg)
{
    sipdrv *d = arg;
    (void)prctl(PR_SET_NAME, "amd-sip", 0, 0, 0); /* shows in top -H / the SIP bench */
    if (d->media_priority > 0) {
        /* RTP arrives every 20 ms per call: on a busy machine this thread must get a core as
         * promptly as the media clock does (bench/RESULTS.md "SIP calls") */
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        sp.sched_priority = d->media_priority;
        int rc = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
        if (rc && d->log_fn) {
            char m[160];
            snprintf(m, sizeof m, "sip: cannot raise the SIP thread to SCHED_RR %d: %s", d->media_priority,
                     strerror(rc));
            d->log_fn(d->log_user, AMD_LOG_WARN, m);
        }
    }
    (void)re_main(NULL);
    return NULL;
}

static void cmd_dial(amdi_leg *l)
{
    int err = amdi_sip_leg_connect(l->d, l);
    if (err) {
        amdi_sip_leg_drop_media(l);
        amdi_sip_leg_set_refused(l, err == EINVAL ? 400 : 503); /* a bad URI, or no ports / memory */
    }
}

/* Released by the engine: hang up now, or once our queued audio (and a key's event end) went
 * out, for at most RELEASE_DRAIN_MS (amdi_sip_tick frees it then). */
static void cmd_release(sipdrv *d, amdi_leg *l)
{
    pthread_mutex_lock(&l->mu);
    int tail = l->sh.out_count > 0;
    pthread_mutex_unlock(&l->mu);
    if (l->in_media && sa_isset(&l->raddr, SA_ALL) && (tail || l->play_code >= 0)) {
        l->releasing = 1;
        l->release_by = tmr_jiffies() + RELEASE_DRAIN_MS;
        if (!tail) /* the engine no longer queues: only this thread changes out_count now */
            amdi_sip_telev_end_play_digit(l);
        return;
    }
    amdi_sip_leg_free(d, l);
}

static void cmd_stop(sipdrv *d)
{
    for (struct le *le = list_head(&d->media), *n; le; le = n) {
        n = le->next;
        amdi_leg *r = le->data;
        if (r->releasing)
            amdi_sip_leg_free(d, r); /* no more draining: hang up now */
    }
    d->sock = mem_deref(d->sock); /* no more sessions; pending BYE / CANCEL transactions run on */
    /* exit_h stops the loop once every transaction is done; 2 s at most (BYE
     * retransmissions beyond that would only delay shutdown). */
    tmr_start(&d->stop_tmr, 2000, stop_h, d);
    sip_close(d->sip, false);
}

static void on_command(int id, void *data, void *arg)
{
    sipdrv *d = arg;
    amdi_leg *l = data;
    switch (id) {
    case CMD_DIAL:
        cmd_dial(l);
        break;
    case CMD_DIGITS:
        amdi_sip_telev_start_digits(l, l->req_digits);
        break;
    case CMD_RELEASE:
        cmd_release(d, l);
        break;
    case CMD_STOP:
        cmd_stop(d);
        break;
    }
}

/* ------------------------------------------------------------------ driver ops (engine thread) */

static int sip_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    sipdrv *d = drv;
    const char *to = req->to, *from = req->from, *user = req->auth_user, *pass = req->auth_pass;
    amdi_leg *l = calloc(1, sizeof *l);
    if (!l)
        return AMD_ENOMEM;
    l->d = d;
    l->tx_pt = PT_PCMU;
    l->te_pt = -1;
    l->play_code = -1;
    pthread_mutex_init(&l->mu, NULL);
    amdi_sipjb_init(&l->sh.jb, JB_DELAY_SAMPLES);
    char uri[600];
    int routable = 1;
    if (!strncasecmp(to, "sip:", 4))
        snprintf(uri, sizeof uri, "%s", to);
    else if (d->trunk[0])
        snprintf(uri, sizeof uri, "sip:%s@%s", to, d->trunk);
    else
        routable = 0;
    pthread_mutex_lock(&d->stats_mu);
    d->stats.legs++;
    pthread_mutex_unlock(&d->stats_mu);
    if (!routable) {
        amdi_sip_leg_set_refused(l, 404); /* like an unroutable number on the simulated carrier */
        *out = l;
        return 0;
    }
    snprintf(l->req_uri, sizeof l->req_uri, "%s", uri);
    snprintf(l->req_from, sizeof l->req_from, "%s", from ? from : "");
    l->req_auth = user && *user;
    snprintf(l->req_user, sizeof l->req_user, "%s", l->req_auth ? user : "");
    snprintf(l->req_pass, sizeof l->req_pass, "%s", l->req_auth && pass ? pass : "");
    if (mqueue_push(d->mq, CMD_DIAL, l))
        amdi_sip_leg_set_refused(l, 503);
    *out = l;
    return 0;
}

static void sip_advance(void *drv, amdi_leg *l, int64_t now, const amdi_leg_sink *k, void *ctx)
{
    (void)drv;
    if (l->done)
        return;
    pthread_mutex_lock(&l->mu);
    int ringing = l->sh.ringing, answered = l->sh.answered, hangup = l->sh.hangup, code = l->sh.refused_code;
    amd_call_status status = l->sh.refused_status;
    pthread_mutex_unlock(&l->mu);
    if (code && !l->answered_sent) {
        l->done = 1;
        k->refused(ctx, status, code);
        return;
    }
    if ((ringing || answered) && !l->ringing_sent) {
        l->ringing_sent = 1;
        k->ringing(ctx);
        return; /* one transition per media tick, as the engine expects */
    }
    if (answered && !l->answered_sent) {
        l->answered_sent = 1;
        l->t_answer = now;
        l->frames_out = 0;
        k->answered(ctx, 8000);
        return;
    }
    if (!l->answered_sent)
        return;
    amdi_sip_telev_report_keys(l, k, ctx);
    amdi_sip_recv_frames(l, now, k, ctx);
    if (hangup) {
        amdi_sip_recv_flush(l, k, ctx);
        l->done = 1;
        k->remote_hangup(ctx);
    }
}

static void sip_send_digits(void *drv, amdi_leg *l, const char *digits)
{
    sipdrv *d = drv;
    snprintf(l->req_digits, sizeof l->req_digits, "%s", digits); /* Twilio allows 32 digits */
    (void)mqueue_push(d->mq, CMD_DIGITS, l);
}

static void sip_release(void *drv, amdi_leg *l)
{
    sipdrv *d = drv;
    if (!l->req_uri[0] || mqueue_push(d->mq, CMD_RELEASE, l)) {
        /* never handed to the loop (unroutable), or the queue failed: nothing of libre's to undo */
        pthread_mutex_destroy(&l->mu);
        free(l);
    }
}

static void drv_free(sipdrv *d)
{
    /* the loop has stopped (or never ran): libre objects may be freed from this thread */
    d->mq = mem_deref(d->mq);
    d->stray_req = mem_deref(d->stray_req);
    d->stray_resp = mem_deref(d->stray_resp);
    d->sock = mem_deref(d->sock);
    d->sip = mem_deref(d->sip);
    d->dnsc = mem_deref(d->dnsc);
    pthread_mutex_destroy(&d->stats_mu);
    amdi_sip_diag_detach(d);
    free(d);
    libre_close();
    release_process_slot();
}

static void sip_destroy(void *drv)
{
    sipdrv *d = drv;
    if (d->thread_started) {
        if (!mqueue_push(d->mq, CMD_STOP, NULL))
            pthread_join(d->th, NULL);
        else
            pthread_detach(d->th); /* cannot happen short of ENOMEM; leak rather than hang */
        tmr_cancel(&d->tick);
        tmr_cancel(&d->stop_tmr);
        sip_close(d->sip, true);
    }
    amdi_sip_stats_log_summary(d);
    drv_free(d);
}

static const amdi_driver_ops k_sip_ops = {
    .name = "sip",
    .dial = sip_dial,
    .advance = sip_advance,
    .release = sip_release,
    .destroy = sip_destroy,
    .send_digits = sip_send_digits,
    .send_audio = amdi_sip_send_audio,
};

/* "IP:PORT" with a numeric IP (never a hostname: the driver does no DNS lookups). */
static int parse_hostport(const char *s, struct sa *out, uint16_t def_port)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    if (!sa_decode(out, buf, strlen(buf)))
        return 0;
    return sa_set_str(out, buf, def_port);
}

/* Where phone numbers go: "sip:[user@]IP[:PORT][;params]" kept as "IP[:PORT][;params]". */
static int parse_trunk(sipdrv *d, const char *trunk, char *err, size_t errlen)
{
    const char *t = trunk;
    if (strncasecmp(t, "sip:", 4)) {
        snprintf(err, errlen, "sip: --sip-trunk: expected sip:IP[:PORT], got '%s'", trunk);
        return AMD_EINVAL;
    }
    t += 4;
    const char *at = strchr(t, '@');
    if (at)
        t = at + 1;
    struct sa ta;
    char hp[128];
    size_t hl = strcspn(t, ";?>");
    if (hl >= sizeof hp || hl == 0) {
        snprintf(err, errlen, "sip: --sip-trunk: bad URI '%s'", trunk);
        return AMD_EINVAL;
    }
    memcpy(hp, t, hl);
    hp[hl] = 0;
    if (parse_hostport(hp, &ta, 5060)) {
        snprintf(err, errlen, "sip: --sip-trunk: the host must be a numeric IP (no DNS), got '%s'", trunk);
        return AMD_EINVAL;
    }
    snprintf(d->trunk, sizeof d->trunk, "%s", t);
    size_t tl = strcspn(d->trunk, ">");
    d->trunk[tl] = 0;
    return 0;
}

/* The addresses, credentials and ports of @p cfg into @p d. 0 or AMD_EINVAL. */
static int apply_config(sipdrv *d, const amdi_sip_config *cfg, char *err, size_t errlen)
{
    if (parse_hostport(cfg->listen, &d->laddr, 5060) || !sa_isset(&d->laddr, SA_ADDR)) {
        snprintf(err, errlen, "sip: --sip-listen: expected a numeric IP:PORT, got '%s'", cfg->listen);
        return AMD_EINVAL;
    }
    if (sa_port(&d->laddr) == 0)
        sa_set_port(&d->laddr, 5060);
    (void)re_snprintf(d->host, sizeof d->host, "%J", &d->laddr);
    if (cfg->trunk && *cfg->trunk && parse_trunk(d, cfg->trunk, err, errlen))
        return AMD_EINVAL;
    d->media_priority = cfg->media_priority;
    if (cfg->auth_user)
        snprintf(d->user, sizeof d->user, "%s", cfg->auth_user);
    if (cfg->auth_pass)
        snprintf(d->pass, sizeof d->pass, "%s", cfg->auth_pass);
    d->rtp_min = (uint16_t)(cfg->rtp_port_min > 0 ? cfg->rtp_port_min : 20000);
    d->rtp_max = (uint16_t)(cfg->rtp_port_max > cfg->rtp_port_min ? cfg->rtp_port_max : 39999);
    return 0;
}

/* The SIP stack on our UDP address, its listeners and the command queue. 0 or AMD_EIO. */
static int start_stack(sipdrv *d, char *err, size_t errlen)
{
    if (dnsc_alloc(&d->dnsc, NULL, NULL, 0) || /* no servers: a hostname can never leave the box */
        sip_alloc(&d->sip, d->dnsc, 4096, 4096, 4096, "libamd", exit_h, d)) {
        snprintf(err, errlen, "sip: cannot start the SIP stack");
        return AMD_EIO;
    }
    if (sip_transp_add(d->sip, SIP_TRANSP_UDP, &d->laddr)) {
        snprintf(err, errlen, "sip: cannot bind UDP %s", d->host);
        return AMD_EIO;
    }
    if (sipsess_listen(&d->sock, d->sip, 1024, amdi_sip_decline_inbound, d)) {
        snprintf(err, errlen, "sip: cannot create the session socket");
        return AMD_EIO;
    }
    /* registered last, so they see only what the session socket did not take */
    if (sip_listen(&d->stray_req, d->sip, true, amdi_sip_stray_request, d) ||
        sip_listen(&d->stray_resp, d->sip, false, amdi_sip_stray_response, d)) {
        snprintf(err, errlen, "sip: cannot create the SIP listeners");
        return AMD_EIO;
    }
    if (mqueue_alloc(&d->mq, on_command, d)) {
        snprintf(err, errlen, "sip: cannot create the command queue");
        return AMD_EIO;
    }
    return 0;
}

int amdi_sip_driver_create(const amdi_sip_config *cfg, amdi_driver *out, char *err, size_t errlen)
{
    if (!cfg || !cfg->listen || !out) {
        snprintf(err, errlen, "sip: a listen address is required");
        return AMD_EINVAL;
    }
    pthread_mutex_lock(&g_once_mu);
    if (g_in_use) {
        pthread_mutex_unlock(&g_once_mu);
        snprintf(err, errlen, "sip: only one SIP driver per process (libre has one event loop)");
        return AMD_ESTATE;
    }
    g_in_use = 1;
    pthread_mutex_unlock(&g_once_mu);
    sipdrv *d = calloc(1, sizeof *d);
    if (!d) {
        release_process_slot();
        return AMD_ENOMEM;
    }
    pthread_mutex_init(&d->stats_mu, NULL);
    list_init(&d->media);
    tmr_init(&d->tick);
    tmr_init(&d->stop_tmr);
    if (libre_init()) {
        snprintf(err, errlen, "sip: libre_init failed");
        free(d);
        release_process_slot();
        return AMD_EIO;
    }
    d->log_fn = cfg->log_fn;
    d->log_user = cfg->log_user;
    d->log_level = cfg->log_level;
    amdi_sip_diag_attach(d);
    /* libre's fd table defaults to 1024 entries; a thousand calls need one RTP socket each */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur > 1024)
        (void)fd_setsize(rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur);
    int rc = apply_config(d, cfg, err, errlen);
    if (!rc)
        rc = start_stack(d, err, errlen);
    if (rc)
        goto fail;
    tmr_start(&d->tick, FRAME_MS, amdi_sip_tick, d);
    if (pthread_create(&d->th, NULL, loop_thread, d)) {
        snprintf(err, errlen, "sip: cannot start the SIP thread");
        rc = AMD_EIO;
        goto fail;
    }
    d->thread_started = 1;
    out->ops = &k_sip_ops;
    out->state = d;
    return 0;
fail:
    tmr_cancel(&d->tick);
    drv_free(d);
    return rc;
}
