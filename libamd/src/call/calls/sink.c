/* SPDX-License-Identifier: MIT */
/* The driver's reports about a leg (driver.h): ringing, answer, refusal, far-end audio and
 * hang-up; far-end audio to the call's detector, in parallel on the media worker pool, and
 * the AMD decision acted on. */
#include "calls_internal.h"

#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "amd/error.h"
#include "amd_summary.h"
#include "sid.h"

/* The decision's frame summary goes to the store with the call's next batch (the picture of
 * why the console shows). Out of memory only loses the picture, never the decision. */
static void store_summary(amdi_calls *e, live *c, const amd_result *r)
{
    if (!c->sum)
        return;
    uint8_t *blob = NULL;
    size_t len = 0;
    int rc = amdi_summary_pack(c->sum, r, &blob, &len);
    amdi_summary_free(c->sum);
    c->sum = NULL;
    if (rc)
        return;
    wop *o = amdi_writer_new_op(e->w, W_SUMMARY);
    if (!o || !(o->s1 = strdup(c->rec.sid))) {
        free(o);
        free(blob);
        return;
    }
    o->s2 = (char *)blob;
    o->v = (int64_t)len;
    amdi_writer_push(e->w, o);
}

void amdi_calls_amd_decision(amdi_calls *e, live *c, int ending)
{
    if (!c->det)
        return;
    amd_result r;
    if (amd_detector_result(c->det, &r) != 1)
        return;
    amd_detector_destroy(c->det);
    c->det = NULL;
    store_summary(e, c, &r);
    c->rec.answered_by = r.answered_by != AMD_ANSWERED_NONE ? r.answered_by : AMD_ANSWERED_UNKNOWN;
    const char *ab = amd_answered_by_name(c->rec.answered_by);
    c->rec.amd_duration_ms = r.decision_ms < 0 ? 0 : r.decision_ms;
    amdi_calls_persist(e, c); /* stored before anyone hears about it */
    if (e->cfg.driver.ops->observe)
        e->cfg.driver.ops->observe(e->cfg.driver.state, &c->rec, amd_call_status_name(c->rec.status), 1);
    amdi_calls_log(e, AMD_LOG_INFO, "call %s: AnsweredBy=%s after %lld ms (%s)", c->rec.sid, ab,
         (long long)c->rec.amd_duration_ms, amd_cause_name(r.cause));
    char dur[32];
    snprintf(dur, sizeof dur, "%lld", (long long)c->rec.amd_duration_ms);
    if (c->p.async_amd) {
        if (!c->p.async_amd_status_callback) {
            amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_AMD_NO_CALLBACK, "No AMD status callback URL provided");
            return;
        }
        char *u = amdi_url_resolve(c->url, c->p.async_amd_status_callback);
        amdi_form f;
        amdi_form_init(&f);
        amdi_form_add(&f, "CallSid", c->rec.sid);
        amdi_form_add(&f, "AccountSid", c->rec.account_sid);
        amdi_form_add(&f, "AnsweredBy", ab);
        amdi_form_add(&f, "MachineDetectionDuration", dur);
        if (u && (!strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8)))
            amdi_calls_send_hook(e, c, K_AMD, u, c->p.async_amd_status_callback_method, &f);
        else
            amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_URL_INVALID,
                                   "AsyncAmdStatusCallback cannot be resolved to an absolute URL");
        amdi_form_free(&f);
        free(u);
    } else if (c->amd_wait) {
        c->amd_wait = 0;
        if (ending)
            return; /* the far end is gone: nothing left to instruct */
        amdi_form ex;
        amdi_form_init(&ex);
        amdi_form_add(&ex, "AnsweredBy", ab);
        amdi_form_add(&ex, "MachineDetectionDuration", dur);
        amdi_calls_start_instructions(e, c, &ex);
        amdi_form_free(&ex);
    }
}

static void sink_ringing(void *ctx);
static void sink_answered(void *ctx, int rate);
static void sink_refused(void *ctx, amd_call_status status, int sip);
static void sink_audio(void *ctx, const float *pcm, size_t n);
static void sink_lost(void *ctx, size_t n);
static void sink_hangup(void *ctx);
static void sink_digit(void *ctx, char key);

typedef struct sink_ctx {
    amdi_calls *e;
    live *c;
    int gone; /* the call ended inside the callback: stop touching it */
} sink_ctx;

static const amdi_leg_sink k_sink = {sink_ringing, sink_answered, sink_refused, sink_audio, sink_hangup,
                                     sink_lost, sink_digit};

static void sink_ringing(void *ctx)
{
    sink_ctx *s = ctx;
    amdi_calls_input(s->e, s->c, AMDI_CI_RINGING, NULL);
}

/* Record=true: open the call's recording (or say why not) as it is answered. */
static void start_recording(amdi_calls *e, live *c, int rate)
{
    char err[300] = "";
    int rc = AMD_ESTATE;
    if (e->recordings_dir && !amdi_sid_new("RE", c->rec_sid))
        rc = amdi_recording_open(e->recordings_dir, c->rec_sid, rate, !strcmp(c->p.recording_channels, "dual"),
                                 c->p.recording_track, &c->recw, err, sizeof err);
    if (rc && c->rec_sid[0] && e->recordings_dir) {
        /* the file could not be created (a full disk, permissions): a failed recording of
         * nothing, stored and announced as such; no file is left behind */
        c->rec_start = e->now;
        c->rec_duration_s = 0;
        amdi_calls_recording_failed(e, c, err[0] ? err : amd_strerror(rc));
        amdi_calls_recording_row(e, c, "failed", 0, REC_ERR_NOT_STORED);
        amdi_calls_recording_callback(e, c, 2, "failed", 0, REC_ERR_NOT_STORED);
    } else if (rc) {
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: cannot record: %s", c->rec.sid,
                       err[0] ? err : "no recordings folder");
        amdi_calls_event_error(e, c->rec.sid, REC_ERR_NOT_STORED,
                               err[0] ? err : "recording unavailable: no recordings folder");
        c->rec_sid[0] = 0;
    } else {
        c->rec_start = e->now;
        c->rec_duration_s = -1;
        amdi_calls_recording_row(e, c, "in-progress", -1, 0);
        amdi_calls_recording_callback(e, c, 1, "in-progress", 0, 0);
    }
}

static void sink_answered(void *ctx, int rate)
{
    sink_ctx *s = ctx;
    amdi_calls *e = s->e;
    live *c = s->c;
    amdi_call_effects fx;
    amdi_call_step(&c->fsm, AMDI_CI_ANSWERED, e->now, &fx);
    if (!fx.applies)
        return;
    amdi_call_fsm_apply(&c->fsm, &fx, e->now);
    c->rec.answer_time = e->now;
    c->rate = rate;
    amdi_calls_sync_status(c);
    if (c->p.machine_detection) {
        amd_config cfg = c->p.amd;
        cfg.sample_rate = rate;
        char err[200] = "";
        int rc = amd_detector_create(&cfg, &c->det, err, sizeof err);
        if (rc) {
            /* Cannot detect: say so on the call rather than guess. */
            amdi_calls_log(e, AMD_LOG_ERROR, "call %s: detector not created: %s", c->rec.sid,
                           err[0] ? err : amd_strerror(rc));
            c->rec.answered_by = AMD_ANSWERED_UNKNOWN;
            amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_AMD_PARAMS_INVALID, err[0] ? err : amd_strerror(rc));
            c->det = NULL;
        } else if (amdi_store_keeps_analysis(e->cfg.store) && (c->sum = amdi_summary_new()) != NULL) {
            amd_detector_set_frame_callback(c->det, amdi_summary_frame, c->sum);
        }
    }
    if (amdi_outbound_open(c))
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: no memory for our side's audio; the far end hears silence",
                       c->rec.sid);
    amdi_calls_transition(e, c, fx.callback, fx.cb_status);
    if (c->dial_child && amdi_calls_dial_child_answered(e, c)) { /* another child answered first */
        s->gone = 1;
        return;
    }
    if (c->p.send_digits && *c->p.send_digits && c->leg && e->cfg.driver.ops->send_digits)
        e->cfg.driver.ops->send_digits(e->cfg.driver.state, c->leg, c->p.send_digits);
    if (c->p.record)
        start_recording(e, c, rate);
    if (c->det && !c->p.async_amd) {
        c->amd_wait = 1; /* sync AMD: the callee hears silence until the decision */
        return;
    }
    if (!c->det && c->p.machine_detection && !c->p.async_amd) {
        amdi_form ex;
        amdi_form_init(&ex);
        amdi_form_add(&ex, "AnsweredBy", "unknown");
        amdi_form_add(&ex, "MachineDetectionDuration", "0");
        amdi_calls_start_instructions(e, c, &ex);
        amdi_form_free(&ex);
        return;
    }
    amdi_calls_start_instructions(e, c, NULL);
}

static void sink_refused(void *ctx, amd_call_status status, int sip)
{
    sink_ctx *s = ctx;
    if (s->c->fsm.phase == AMDI_CS_DONE)
        return;
    s->c->sip_code = sip;
    if (status == AMD_CALL_FAILED && sip == 404)
        amdi_calls_fail(s->e, s->c, AMDI_TWERR_TO_UNREACHABLE, "'To' number cannot be routed by the dial plan");
    amdi_call_input in = status == AMD_CALL_BUSY        ? AMDI_CI_BUSY
                         : status == AMD_CALL_NO_ANSWER ? AMDI_CI_NO_ANSWER
                                                        : AMDI_CI_REFUSED;
    amdi_calls_input(s->e, s->c, in, NULL);
    s->gone = 1;
}

static void detector_result(amdi_calls *e, live *c, int rc)
{
    if (rc == 1) {
        amdi_calls_amd_decision(e, c, 0);
    } else if (rc < 0) {
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: detector rejected audio: %s", c->rec.sid, amd_strerror(rc));
        amd_detector_finish(c->det);
        amdi_calls_amd_decision(e, c, 0);
    }
}

/* Put the call on this tick's work list for the parallel detector pass. 0, or -1 when the
 * list cannot grow (the caller then does the work now). */
static int queue_work(amdi_calls *e, live *c)
{
    if (c->work_idx >= 0)
        return 0;
    if (e->nwork == e->cap_work) {
        size_t cap = e->cap_work ? e->cap_work * 2 : 1024;
        live **w = realloc(e->work, cap * sizeof *w);
        if (!w)
            return -1;
        e->work = w;
        e->cap_work = cap;
    }
    c->work_idx = (long)e->nwork;
    e->work[e->nwork++] = c;
    return 0;
}

/* Far-end audio for the <Gather> / <Record> listener (listen.h): queued for the tick's
 * parallel detector pass, like the AMD detector's; its keys are taken on the next tick. */
static void listen_audio(amdi_calls *e, live *c, const float *pcm, size_t n)
{
    if (c->lpend_n + n > c->lpend_cap) {
        size_t cap = c->lpend_cap ? c->lpend_cap : 4 * n;
        while (cap < c->lpend_n + n)
            cap *= 2;
        float *p = realloc(c->lpend, cap * sizeof *p);
        if (!p) { /* cannot defer: listen now, in order */
            amdi_listen_audio(&c->listen, c->lpend, c->lpend_n);
            c->lpend_n = 0;
            amdi_listen_audio(&c->listen, pcm, n);
            return;
        }
        c->lpend = p;
        c->lpend_cap = cap;
    }
    memcpy(c->lpend + c->lpend_n, pcm, n * sizeof *pcm);
    c->lpend_n += n;
    if (queue_work(e, c)) {
        amdi_listen_audio(&c->listen, c->lpend, c->lpend_n);
        c->lpend_n = 0;
    }
}

static void sink_audio(void *ctx, const float *pcm, size_t n)
{
    sink_ctx *s = ctx;
    amdi_calls *e = s->e;
    live *c = s->c;
    if (c->fsm.phase == AMDI_CS_DONE) /* ended earlier in this tick (e.g. by its own AMD decision) */
        return;
    amdi_outbound_record(e, c, pcm, n);
    if (c->record)
        amdi_record_audio(e, c, pcm, n);
    if (c->listening)
        listen_audio(e, c, pcm, n);
    if (c->bridge) /* bridged by <Dial>: the other far end hears this one */
        amdi_bridge_forward(e, c, pcm, n);
    if (c->dialing || (c->dial_child && c->bridge))
        amdi_calls_dial_audio(e, c, pcm, n);
    if (!c->det)
        return;
    if (c->pend_n + n > c->pend_cap) {
        /* catching up several frames at once: feed what is queued now, in order */
        size_t cap = c->pend_cap ? c->pend_cap : 8 * n;
        while (cap < n)
            cap *= 2;
        if (!c->pend) {
            c->pend = malloc(cap * sizeof *c->pend);
            c->pend_cap = c->pend ? cap : 0;
        }
        if (c->pend_n) {
            int rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
            c->pend_n = 0;
            detector_result(e, c, rc);
            if (!c->det || c->fsm.phase == AMDI_CS_DONE)
                return;
        }
        if (n > c->pend_cap) {
            detector_result(e, c, amd_detector_process_float(c->det, pcm, n));
            return;
        }
    }
    memcpy(c->pend + c->pend_n, pcm, n * sizeof *pcm);
    c->pend_n += n;
    if (queue_work(e, c)) { /* no room to defer: run it now */
        int rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
        c->pend_n = 0;
        detector_result(e, c, rc);
    }
}

/* Far-end audio lost in transport: the recording keeps its timing with silence, the detector
 * is told of the gap (after the audio queued before it, in order). */
static void sink_lost(void *ctx, size_t n)
{
    sink_ctx *s = ctx;
    amdi_calls *e = s->e;
    live *c = s->c;
    amdi_outbound_record(e, c, NULL, n);
    static const float zeros[960];
    for (size_t off = 0; c->record && off < n; off += 960)
        amdi_record_audio(e, c, zeros, n - off < 960 ? n - off : 960);
    if (c->listening) {
        amdi_listen_audio(&c->listen, c->lpend, c->lpend_n); /* what came before the gap first */
        c->lpend_n = 0;
        amdi_listen_lost(&c->listen, n);
    }
    if (!c->det)
        return;
    if (c->pend_n) {
        int rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
        c->pend_n = 0;
        detector_result(e, c, rc);
        if (!c->det)
            return;
    }
    detector_result(e, c, amd_detector_process_lost(c->det, n));
}

/* The detector pass of a tick: every call's queued audio, on all media threads at once.
 * Detectors are independent (amd.h), and each is touched by exactly one thread here. */
static void work_items(amdi_calls *e)
{
    size_t i;
    while ((i = atomic_fetch_add(&e->wnext, 1)) < e->nwork) {
        live *c = e->work[i];
        if (c && c->det && c->pend_n) {
            c->det_rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
            c->pend_n = 0;
        }
        if (c && c->lpend_n) {
            if (c->listening)
                amdi_listen_audio(&c->listen, c->lpend, c->lpend_n);
            c->lpend_n = 0;
        }
    }
}

int amdi_calls_advance_leg(amdi_calls *e, live *c)
{
    sink_ctx s = {e, c, 0};
    if (c->leg)
        e->cfg.driver.ops->advance(e->cfg.driver.state, c->leg, e->now, &k_sink, &s);
    return s.gone;
}

static void *media_worker(void *arg)
{
    amdi_calls *e = arg;
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&e->wmu);
        while (e->wgen == seen && !e->wstop)
            pthread_cond_wait(&e->wcv, &e->wmu);
        if (e->wstop) {
            pthread_mutex_unlock(&e->wmu);
            return NULL;
        }
        seen = e->wgen;
        pthread_mutex_unlock(&e->wmu);
        work_items(e);
        pthread_mutex_lock(&e->wmu);
        e->wfinished++;
        pthread_cond_signal(&e->wdone);
        pthread_mutex_unlock(&e->wmu);
    }
}

/* Below this many calls the hand-off costs more than it saves. */
#define PARALLEL_MIN_CALLS 32

void amdi_calls_run_detectors(amdi_calls *e)
{
    if (!e->nwork)
        return;
    for (size_t i = 0; i < e->nwork; i++)
        if (e->work[i])
            e->work[i]->det_rc = 0;
    atomic_store(&e->wnext, 0);
    if (e->nworkers && e->nwork >= PARALLEL_MIN_CALLS) {
        pthread_mutex_lock(&e->wmu);
        e->wfinished = 0;
        e->wgen++;
        pthread_cond_broadcast(&e->wcv);
        pthread_mutex_unlock(&e->wmu);
        work_items(e);
        pthread_mutex_lock(&e->wmu);
        while (e->wfinished < e->nworkers)
            pthread_cond_wait(&e->wdone, &e->wmu);
        pthread_mutex_unlock(&e->wmu);
    } else {
        work_items(e);
    }
    /* decisions are acted on serially, in the order the audio arrived */
    for (size_t i = 0; i < e->nwork; i++) {
        live *c = e->work[i];
        if (!c)
            continue;
        c->work_idx = -1;
        if (c->det && c->fsm.phase != AMDI_CS_DONE)
            detector_result(e, c, c->det_rc);
    }
    e->nwork = 0;
}

/* A key the far end sent as an RFC 4733 telephone-event: heard only while a <Gather> or a
 * <Record> listens (Twilio drops keys pressed outside them). */
/* A far-end key press (RFC 4733): a <Gather> / <Record> listening, <Dial hangupOnStar>, or
 * passed to the bridged leg (dial_verb.c). */
static void sink_digit(void *ctx, char key)
{
    sink_ctx *s = ctx;
    if (s->c->fsm.phase != AMDI_CS_DONE && s->c->listening)
        amdi_listen_key(&s->c->listen, key, s->e->now);
    if (s->c->fsm.phase == AMDI_CS_ANSWERED)
        amdi_calls_dial_digit(s->e, s->c, key);
}

static void sink_hangup(void *ctx)
{
    sink_ctx *s = ctx;
    amdi_calls_input(s->e, s->c, AMDI_CI_REMOTE_HANGUP, NULL);
    s->gone = 1;
}

void amdi_calls_media_start(amdi_calls *e, int n)
{
    pthread_mutex_init(&e->wmu, NULL);
    pthread_cond_init(&e->wcv, NULL);
    pthread_cond_init(&e->wdone, NULL);
    e->workers = n > 1 ? calloc((size_t)(n - 1), sizeof *e->workers) : NULL;
    for (int i = 0; e->workers && i < n - 1; i++) {
        if (pthread_create(&e->workers[i], NULL, media_worker, e))
            break;
        e->nworkers++;
    }
}

void amdi_calls_media_stop(amdi_calls *e)
{
    pthread_mutex_lock(&e->wmu);
    e->wstop = 1;
    pthread_cond_broadcast(&e->wcv);
    pthread_mutex_unlock(&e->wmu);
    for (int i = 0; i < e->nworkers; i++)
        pthread_join(e->workers[i], NULL);
    pthread_mutex_destroy(&e->wmu);
    pthread_cond_destroy(&e->wcv);
    pthread_cond_destroy(&e->wdone);
}
