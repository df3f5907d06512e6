/* SPDX-License-Identifier: MIT */
/* The call server: the media clock's tick thread and the API (calls.h).
 *
 * Lifecycle (Twilio's call statuses, https://www.twilio.com/docs/voice/api/call-resource#call-status-values):
 * queued -> initiated (leaves the CPS queue; the resource still says "queued", the only status
 * of the wire enum before ringing) -> ringing -> in-progress | busy | no-answer (after Timeout)
 * | failed | canceled; in-progress -> completed. The transitions are call_state.c's. */
#include "calls_internal.h"

#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "timefmt.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t amdi_calls_now(amdi_calls *e)
{
    return e->wall0 + (int64_t)((double)(amdi_mono_us() - e->mono0_us) * e->cfg.clock_speed / 1000.0);
}

static void service_call(amdi_calls *e, live *c)
{
    if (c->fsm.phase == AMDI_CS_ANSWERED)
        amdi_outbound_tick(e, c); /* our side's next 20 ms first: the recording pairs it with the far end's */
    if (amdi_calls_advance_leg(e, c) || c->fsm.phase == AMDI_CS_DONE) /* ended inside the driver's reports */
        return;
    amdi_call_effects fx; /* Timeout, TimeLimit */
    if (!amdi_calls_input(e, c, AMDI_CI_CLOCK, &fx) && fx.run_instructions)
        amdi_calls_run_twiml(e, c);
}

/* ------------------------------------------------------------------ inbox */

static void on_hook_done(void *user, const amdi_hook_tag *tag, const amdi_hook_result *r)
{
    amdi_calls *e = user;
    if (tag->kind == K_MEDIA) { /* <Play> audio: to the decoder, not the inbox */
        amdi_play_media_fetched(e, tag, r);
        return;
    }
    inbox_item *it = calloc(1, sizeof *it);
    if (!it)
        return;
    it->tag = *tag;
    it->transport_ok = r->transport_ok;
    it->http_status = r->http_status;
    it->body = xstrdup(r->body);
    it->content_type = xstrdup(r->content_type);
    it->method = xstrdup(r->method);
    it->url = xstrdup(r->url);
    it->request_body = xstrdup(r->request_body);
    snprintf(it->error, sizeof it->error, "%s", r->error);
    it->too_many_redirects = r->too_many_redirects;
    it->duration_ms = r->duration_ms;
    pthread_mutex_lock(&e->inbox_mu);
    if (e->inbox_tail)
        e->inbox_tail->next = it;
    else
        e->inbox_head = it;
    e->inbox_tail = it;
    pthread_mutex_unlock(&e->inbox_mu);
}

static void inbox_free(inbox_item *it)
{
    free(it->body);
    free(it->content_type);
    free(it->method);
    free(it->url);
    free(it->request_body);
    free(it);
}

/* Twilio parses a reply as TwiML when its Content-Type is text/xml, application/xml or
 * text/html, and text/plain when it is valid TwiML (https://www.twilio.com/docs/voice/twiml,
 * "MIME types"; it would speak invalid plain text, this server reports 12100 instead); a
 * missing or any other type is 12300. Parameters (charset) do not matter. */
static int twiml_content_type(const char *ct)
{
    static const char *const ok[] = {"text/xml", "application/xml", "text/html", "text/plain"};
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (n == strlen(ok[i]) && !strncasecmp(ct, ok[i], n))
            return 1;
    return 0;
}

static void handle_result(amdi_calls *e, inbox_item *it)
{
    if (!it->method || !it->url)
        return;
    amdi_calls_event_hook(e, it);
    if (it->tag.kind != K_URL && it->tag.kind != K_FALLBACK)
        return;
    live *c = amdi_calls_find(e, it->tag.call_sid);
    if (!c || c->fsm.phase != AMDI_CS_ANSWERED || it->tag.gen != c->gen || !c->fetching)
        return; /* stale: the call ended or was redirected meanwhile */
    c->fetching = 0;
    if (!it->transport_ok || it->http_status < 200 || it->http_status > 299) {
        char msg[260];
        if (!it->transport_ok)
            snprintf(msg, sizeof msg, "HTTP retrieval failure: %s", it->error);
        else
            snprintf(msg, sizeof msg, "HTTP retrieval failure: status %ld", it->http_status);
        /* Twilio: 11215 when a fetch follows too many HTTP redirects, else 11200 */
        amdi_calls_instructions_failed(e, c, it->tag.kind, it->too_many_redirects ? ERR_TOO_MANY_REDIRECTS : AMDI_TWERR_HTTP_RETRIEVAL,
                                       msg, it->url);
        return;
    }
    if (!twiml_content_type(it->content_type)) {
        char msg[200];
        snprintf(msg, sizeof msg, "Invalid Content-Type \"%.80s\": TwiML must come as text/xml, application/xml, "
                 "text/html or text/plain", it->content_type ? it->content_type : "(none)");
        amdi_calls_instructions_failed(e, c, it->tag.kind, AMDI_TWERR_CONTENT_TYPE, msg, it->url);
        return;
    }
    amdi_calls_load_doc(e, c, it->tag.kind, it->body ? it->body : "", it->body ? strlen(it->body) : 0, it->url);
}

static void drain_inbox(amdi_calls *e)
{
    pthread_mutex_lock(&e->inbox_mu);
    inbox_item *it = e->inbox_head;
    e->inbox_head = e->inbox_tail = NULL;
    pthread_mutex_unlock(&e->inbox_mu);
    while (it) {
        inbox_item *n = it->next;
        handle_result(e, it);
        inbox_free(it);
        it = n;
    }
}

/* ------------------------------------------------------------------ thread */

static void tick(amdi_calls *e)
{
    amdi_calls_tx_begin(e);
    drain_inbox(e);
    amdi_calls_service_queues(e);
    amdi_cluster_drain(e); /* calls the shared queue gave this process; a dead one's calls */
    for (live *c = e->active, *n; c; c = n) {
        n = c->next;
        service_call(e, c);
    }
    amdi_calls_run_detectors(e);
    amdi_calls_reap(e);
    if (e->now - e->last_heartbeat >= HEARTBEAT_MS) {
        wop *o = amdi_writer_new_op(e->w, W_META);
        if (o && (o->s1 = strdup("heartbeat"))) {
            o->v = e->now;
            amdi_writer_push(e->w, o);
        } else {
            free(o);
        }
        e->last_heartbeat = e->now;
    }
    amdi_calls_tx_end(e);
}

static void *run(void *arg)
{
    amdi_calls *e = arg;
    int64_t start_us = amdi_mono_us();
    int64_t n = 0;
    double tick_us = TICK_MS * 1000.0 / e->cfg.clock_speed;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        if (e->stop) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        /* engine time advances exactly one frame per tick, from where the clock stood at start */
        e->now = e->wall0 + (int64_t)((double)(start_us - e->mono0_us) * e->cfg.clock_speed / 1000.0) +
                 n * TICK_MS;
        int64_t due = start_us + (int64_t)(n * tick_us);
        int64_t late = amdi_mono_us() - due;
        if (late > e->max_late_us)
            e->max_late_us = late;
        if (late > TICK_MS * 1000)
            e->late_ticks++;
        int64_t lb = late < 0 ? 0 : late / 1000;
        e->late_hist[lb < AMDI_LATE_BUCKETS - 1 ? lb : AMDI_LATE_BUCKETS - 1]++;
        int64_t w0 = amdi_mono_us();
        tick(e);
        int64_t w = amdi_mono_us() - w0;
        e->work_total_us += w;
        if (w > e->work_max_us)
            e->work_max_us = w;
        e->ticks++;
        pthread_mutex_unlock(&e->mu);
        n++;
        int64_t next = start_us + (int64_t)(n * tick_us);
        int64_t wait = next - amdi_mono_us();
        if (wait > 0) {
            struct timespec ts = {wait / 1000000, (wait % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ API */

int amdi_calls_create(const amdi_calls_config *cfg, amdi_calls **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg || !cfg->store || !cfg->driver.ops || cfg->clock_speed <= 0 || cfg->clock_speed > 10000 ||
        cfg->cps <= 0) {
        snprintf(err, errlen, "engine: invalid configuration (clock speed 0..10000, cps > 0)");
        return AMD_EINVAL;
    }
    amdi_calls *e = calloc(1, sizeof *e);
    if (!e)
        return AMD_ENOMEM;
    e->cfg = *cfg;
    e->log = (amdi_logger){cfg->log_fn, cfg->log_user, cfg->log_level};
    e->hash = calloc(HASH_BUCKETS, sizeof *e->hash);
    if (!e->hash) {
        free(e);
        return AMD_ENOMEM;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->inbox_mu, NULL);
    e->public_url = cfg->public_url ? strdup(cfg->public_url) : NULL;
    e->recordings_dir = cfg->recordings_dir ? strdup(cfg->recordings_dir) : NULL;
    e->cfg.public_url = e->cfg.recordings_dir = NULL; /* borrowed strings are not kept */
    e->wall0 = wall_ms();
    e->mono0_us = amdi_mono_us();
    e->now = e->wall0;
    int rc = amdi_play_media_create(e, cfg->play_cache_bytes, err, errlen);
    if (rc) {
        free(e->hash);
        free(e);
        return rc;
    }
    amdi_hooks_config hc;
    memset(&hc, 0, sizeof hc);
    hc.timeout_ms = cfg->webhook_timeout_ms > 0 ? cfg->webhook_timeout_ms : 15000;
    hc.done = on_hook_done;
    hc.policy = cfg->net_policy;
    hc.max_inflight_per_account = cfg->webhook_inflight_per_account;
    hc.user = e;
    rc = amdi_hooks_create(&hc, &e->hooks);
    if (rc) {
        snprintf(err, errlen, "engine: webhook thread: %s", amd_strerror(rc));
        amdi_play_media_destroy(e);
        free(e->hash);
        free(e);
        return rc;
    }
    if (amdi_writer_create(cfg->store, e->hooks, &e->log, &e->w)) {
        snprintf(err, errlen, "engine: cannot start the store writer thread");
        amdi_hooks_destroy(e->hooks);
        amdi_play_media_destroy(e);
        free(e->hash);
        free(e);
        return AMD_ENOMEM;
    }
    *out = e;
    return 0;
}

int amdi_calls_set_public_url(amdi_calls *e, const char *url)
{
    char *u = url ? strdup(url) : NULL;
    if (url && !u)
        return AMD_ENOMEM;
    pthread_mutex_lock(&e->mu);
    free(e->public_url);
    e->public_url = u;
    pthread_mutex_unlock(&e->mu);
    return 0;
}

int amdi_calls_add_account(amdi_calls *e, const char *sid, const char *token)
{
    pthread_mutex_lock(&e->mu);
    acct *a = amdi_calls_find_acct(e, sid);
    if (!a) {
        if (e->naccts == e->cap_accts) {
            /* Accounts are only added at start-up, before any call references them. */
            size_t cap = e->cap_accts ? e->cap_accts * 2 : 8;
            acct *na = realloc(e->accts, cap * sizeof *na);
            if (!na) {
                pthread_mutex_unlock(&e->mu);
                return AMD_ENOMEM;
            }
            for (size_t i = 0; i < e->naccts; i++) /* re-point queued calls at the moved accounts */
                for (live *c = na[i].qhead; c; c = c->qnext)
                    c->a = &na[i];
            e->accts = na;
            e->cap_accts = cap;
        }
        a = &e->accts[e->naccts++];
        memset(a, 0, sizeof *a);
        snprintf(a->sid, sizeof a->sid, "%s", sid);
        a->cps = e->cfg.cps;
    }
    snprintf(a->token, sizeof a->token, "%s", token);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

int amdi_calls_submit(amdi_calls *e, const amdi_call_rec *rec, amdi_create_params *p)
{
    if (e->cl) { /* stored queued: it waits in the shared queue until a process claims it */
        amdi_create_params_free(p);
        return amdi_calls_find_acct(e, rec->account_sid) ? 0 : AMD_ENOTFOUND;
    }
    pthread_mutex_lock(&e->mu);
    acct *a = amdi_calls_find_acct(e, rec->account_sid);
    live *c = a ? amdi_calls_live_new(e, rec, p, a) : NULL;
    if (!c) {
        pthread_mutex_unlock(&e->mu);
        amdi_create_params_free(p);
        return a ? AMD_ENOMEM : AMD_ENOTFOUND;
    }
    amdi_calls_enqueue(e, c);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

long amdi_calls_queued(amdi_calls *e, const char *account)
{
    if (e->cl)
        return amdi_cluster_queued(e, account);
    pthread_mutex_lock(&e->mu);
    acct *a = amdi_calls_find_acct(e, account);
    long n = a ? a->qlen : 0;
    pthread_mutex_unlock(&e->mu);
    return n;
}

int amdi_calls_is_live(amdi_calls *e, const char *sid)
{
    pthread_mutex_lock(&e->mu);
    int r = amdi_calls_find(e, sid) != NULL;
    pthread_mutex_unlock(&e->mu);
    return r;
}

/* A call of @p account waiting in the shared queue becomes this process's, queued here, so that
 * the update that follows cancels it like any queued call. */
static void take_queued(amdi_calls *e, const char *account, const char *sid)
{
    amdi_call_rec r;
    if (amdi_store_call_get(e->cfg.store, account, sid, &r) || r.status != AMD_CALL_QUEUED || r.start_time >= 0 ||
        amdi_cluster_take_queued(e, sid))
        return;
    pthread_mutex_lock(&e->mu);
    e->now = amdi_calls_now(e) > e->now ? amdi_calls_now(e) : e->now;
    amdi_calls_tx_begin(e);
    amdi_calls_close_out(e, &r, -1, 1, NULL); /* never dialed and young: queued again, here */
    amdi_calls_tx_end(e);
    pthread_mutex_unlock(&e->mu);
}

int amdi_calls_update(amdi_calls *e, const char *account, const char *sid, const amdi_update_params *u,
                       amdi_call_rec *out, amdi_api_error *err)
{
    int frc;
    if (e->cl && !amdi_calls_is_live(e, sid) && amdi_cluster_forward(e, account, sid, u, &frc, err)) {
        if (frc) /* the owner refused it (or did not answer) */
            return frc;
        int rc = amdi_store_call_get(e->cfg.store, account, sid, out);
        return rc;
    }
    if (e->cl && !u->status && !amdi_calls_is_live(e, sid) && (u->url || u->twiml || u->time_limit_s >= 0 ||
                                                                u->fallback_url || u->fallback_method ||
                                                                u->status_callback || u->status_callback_method)) {
        /* still in the shared queue: the change waits in its row for whichever process dials it */
        int rc = amdi_store_call_get(e->cfg.store, account, sid, out);
        if (rc)
            return rc;
        if (out->status == AMD_CALL_QUEUED && out->start_time < 0 && !amdi_cluster_update_queued(e, sid, u))
            return amdi_store_call_get(e->cfg.store, account, sid, out);
        if (amdi_cluster_forward(e, account, sid, u, &frc, err)) /* claimed meanwhile: to its owner */
            return frc ? frc : amdi_store_call_get(e->cfg.store, account, sid, out);
    }
    if (e->cl && u->status && !amdi_calls_is_live(e, sid)) /* still in the shared queue: cancel it here */
        take_queued(e, account, sid);
    pthread_mutex_lock(&e->mu);
    live *c = amdi_calls_find(e, sid);
    if (!c || strcmp(c->rec.account_sid, account)) {
        pthread_mutex_unlock(&e->mu);
        if (c)
            return AMD_ENOTFOUND;
        int rc = amdi_store_call_get(e->cfg.store, account, sid, out);
        if (rc)
            return rc;
        amdi_calls_call_view(e, out); /* ended in memory, not stored yet: answer from memory */
        if (u->status || u->url || u->twiml || u->time_limit_s >= 0 || u->fallback_url || u->status_callback) {
            amdi_api_error_set(err, 400, AMDI_TWERR_CALL_STATE_INVALID,
                               "Call is not in-progress. Cannot redirect or change a call that has ended (status %s)",
                               amd_call_status_name(out->status));
            return -1;
        }
        return 0;
    }
    e->now = amdi_calls_now(e) > e->now ? amdi_calls_now(e) : e->now;
    amdi_calls_tx_begin(e);
    if (u->fallback_url)
        set_str(&c->fallback_url, u->fallback_url);
    if (u->fallback_method)
        set_str(&c->fallback_method, u->fallback_method);
    if (u->status_callback)
        set_str(&c->status_cb, u->status_callback);
    if (u->status_callback_method)
        set_str(&c->status_cb_method, u->status_callback_method);
    if (u->time_limit_s >= 0)
        c->fsm.time_limit_ms = (int64_t)u->time_limit_s * 1000;
    if (u->url || u->twiml) {
        set_str(&c->url, u->url);
        set_str(&c->twiml, u->twiml);
        if (u->url)
            set_str(&c->method, u->method ? u->method : "POST");
        if (c->fsm.phase == AMDI_CS_ANSWERED && !c->amd_wait)
            amdi_calls_start_instructions(e, c, NULL); /* redirect the live call now */
    }
    if (u->status) /* canceled on an answered call has no effect (Twilio: completed hangs up) */
        amdi_calls_input(e, c, !strcmp(u->status, "completed") ? AMDI_CI_HANGUP_REQUEST : AMDI_CI_CANCEL_REQUEST,
                         NULL);
    amdi_calls_reap(e); /* c may be freed now: report from the store once the change is committed */
    int committed = 0;
    amdi_calls_tx_end_flag(e, &committed);
    pthread_mutex_unlock(&e->mu);
    amdi_writer_wait(e->w, &committed);
    int rc = amdi_store_call_get(e->cfg.store, account, sid, out);
    if (!rc)
        amdi_calls_call_view(e, out); /* a failing store holds the change: memory is the truth */
    return rc;
}

int amdi_calls_store_failing(amdi_calls *e, char *why, size_t n)
{
    return amdi_writer_failing(e->w, why, n);
}

void amdi_calls_store_error(amdi_calls *e, const char *why)
{
    amdi_writer_store_error(e->w, why);
}

int amdi_calls_call_view(amdi_calls *e, amdi_call_rec *r)
{
    return amdi_writer_call_view(e->w, r);
}

int amdi_calls_recording_view(amdi_calls *e, amdi_recording_rec *r)
{
    return amdi_writer_recording_view(e->w, r);
}

void amdi_calls_stats_get(amdi_calls *e, amdi_calls_stats *st)
{
    pthread_mutex_lock(&e->mu);
    st->live = e->nlive;
    st->queued = e->nqueued;
    st->active = e->nactive;
    st->ticks = e->ticks;
    st->late_ticks = e->late_ticks;
    st->max_lateness_us = e->max_late_us;
    st->tick_work_us_total = e->work_total_us;
    st->tick_work_us_max = e->work_max_us;
    st->commit_us_max = amdi_writer_commit_max_us(e->w);
    memcpy(st->late_hist, e->late_hist, sizeof st->late_hist);
    pthread_mutex_unlock(&e->mu);
    st->webhooks_pending = amdi_hooks_pending(e->hooks);
}

int amdi_calls_start(amdi_calls *e)
{
    pthread_mutex_lock(&e->mu);
    e->now = amdi_calls_now(e);
    amdi_calls_tx_begin(e);
    if (!e->cfg.cluster_store)
        amdi_calls_recover(e); /* on a shared database: the cluster takes over this instance's last run */
    int committed = 0;
    amdi_calls_tx_end_flag(e, &committed);
    e->last_heartbeat = e->now - HEARTBEAT_MS; /* the first tick stores one */
    pthread_mutex_unlock(&e->mu);
    amdi_writer_wait(e->w, &committed);
    int n = e->cfg.media_threads;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
    }
    amdi_calls_media_start(e, n);
    char err[200];
    if (amdi_cluster_start(e, err, sizeof err)) {
        amdi_calls_log(e, AMD_LOG_ERROR, "%s", err);
        return AMD_EIO;
    }
    if (pthread_create(&e->thr, NULL, run, e))
        return AMD_ENOMEM;
    e->running = 1;
    if (e->cfg.media_priority > 0) {
        /* SCHED_RR: a media thread waits for no ordinary process (measured: 1,000 AMD calls on
         * a 2-core machine at load average 9 had 26 % of ticks > 20 ms late at normal
         * priority, none at RR 10; bench/RESULTS.md "Call server load") */
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        sp.sched_priority = e->cfg.media_priority;
        int rc = pthread_setschedparam(e->thr, SCHED_RR, &sp);
        for (int i = 0; !rc && i < e->nworkers; i++)
            rc = pthread_setschedparam(e->workers[i], SCHED_RR, &sp);
        if (rc)
            amdi_calls_log(e, AMD_LOG_WARN, "media threads keep normal priority: SCHED_RR %d refused (%s)",
                 e->cfg.media_priority, strerror(rc));
    }
    return 0;
}

void amdi_calls_destroy(amdi_calls *e)
{
    if (!e)
        return;
    if (e->running) {
        pthread_mutex_lock(&e->mu);
        e->stop = 1;
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->thr, NULL);
        amdi_cluster_stop(e);
        amdi_calls_media_stop(e);
        /* A clean stop ends the calls in progress now, truthfully and with their callbacks,
         * rather than leaving them to the next start's crash recovery. Queued calls stay
         * queued: they are dialed after the next start. */
        pthread_mutex_lock(&e->mu);
        e->now = amdi_calls_now(e) > e->now ? amdi_calls_now(e) : e->now;
        amdi_calls_tx_begin(e);
        drain_inbox(e);
        long ended = 0;
        for (live *c = e->active, *n; c; c = n) {
            n = c->next;
            int answered = c->fsm.phase == AMDI_CS_ANSWERED;
            amdi_calls_fail(e, c, 0, answered ? "server shut down during the call"
                                        : "server shut down while the call was being placed");
            c->rec.error_code = 0;
            amdi_calls_input(e, c, AMDI_CI_SHUTDOWN, NULL); /* answered: completed; else failed */
            ended++;
        }
        amdi_calls_reap(e);
        int committed = 0;
        amdi_calls_tx_end_flag(e, &committed);
        pthread_mutex_unlock(&e->mu);
        amdi_writer_wait(e->w, &committed);
        amdi_cluster_leave(e);
        /* let their webhooks go out, for at most 2 s */
        for (int i = 0; ended && i < 200 && amdi_hooks_pending(e->hooks) > 0; i++) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    free(e->workers);
    free(e->work);
    /* let the writer finish what the last tick queued (its webhooks still go out) */
    amdi_writer_stop(e->w);
    amdi_hooks_destroy(e->hooks);
    e->hooks = NULL;
    /* store the events of requests that finished, on this thread now */
    drain_inbox(e);
    amdi_calls_tx_end(e);
    amdi_writer_finish(e->w); /* the writer has stopped: this thread is the writer now */
    amdi_calls_reap(e);
    for (unsigned i = 0; i < HASH_BUCKETS; i++)
        for (live *c = e->hash[i], *n; c; c = n) {
            n = c->hnext;
            if (c->leg)
                e->cfg.driver.ops->release(e->cfg.driver.state, c->leg);
            amdi_calls_live_free(c);
        }
    if (e->cfg.driver.ops && e->cfg.driver.ops->destroy)
        e->cfg.driver.ops->destroy(e->cfg.driver.state);
    amdi_play_media_destroy(e); /* after the webhook thread: no fetch completes any more */
    free(e->hash);
    free(e->accts);
    free(e->public_url);
    free(e->recordings_dir);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->inbox_mu);
    amdi_writer_destroy(e->w);
    free(e);
}
