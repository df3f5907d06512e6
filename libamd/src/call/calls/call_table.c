/* SPDX-License-Identifier: MIT */
/* Live calls: creation, lookup by SID, the end of a call and the one place calls are freed
 * (the ownership rule in calls_internal.h). */
#include "calls_internal.h"

#include "amd_summary.h"

#include <stdio.h>

#include "amd/error.h"

static unsigned hash_sid(const char *sid)
{
    unsigned h = 2166136261u;
    for (const char *c = sid; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h % HASH_BUCKETS;
}

void amdi_calls_hash_add(amdi_calls *e, live *c)
{
    unsigned h = hash_sid(c->rec.sid);
    c->hnext = e->hash[h];
    e->hash[h] = c;
}

live *amdi_calls_find(amdi_calls *e, const char *sid)
{
    for (live *c = e->hash[hash_sid(sid)]; c; c = c->hnext)
        if (!strcmp(c->rec.sid, sid))
            return c;
    return NULL;
}

static void hash_remove(amdi_calls *e, live *c)
{
    live **pp = &e->hash[hash_sid(c->rec.sid)];
    while (*pp && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = c->hnext;
}

void amdi_calls_live_free(live *c)
{
    if (!c)
        return;
    amdi_create_params_free(&c->p);
    amd_detector_destroy(c->det);
    amdi_summary_free(c->sum);
    free(c->pend);
    amdi_record_free(c);
    amdi_listen_close(&c->listen);
    free(c->lpend);
    amdi_recording_close(c->recw, NULL, NULL, 0);
    amdi_player_destroy(c->out);
    amdi_twiml_free(c->doc);
    free(c->dialing); /* only left by a shutdown that ended nothing (see dial_verb.c) */
    free(c->url);
    free(c->method);
    free(c->fallback_url);
    free(c->fallback_method);
    free(c->status_cb);
    free(c->status_cb_method);
    free(c->twiml);
    free(c->doc_url);
    free(c->doc_method);
    free(c->play_url);
    free(c);
}

static void detach(amdi_calls *e, live *c)
{
    if (c->fsm.phase >= AMDI_CS_INITIATED && c->fsm.phase != AMDI_CS_DONE) {
        if (c->prev)
            c->prev->next = c->next;
        else
            e->active = c->next;
        if (c->next)
            c->next->prev = c->prev;
        e->nactive--;
    }
    hash_remove(e, c);
    e->nlive--;
}

/* Final state @p st: settle AMD, store, send `completed`; the leg is released and the call
 * freed by amdi_calls_reap(). */
static void end_call(amdi_calls *e, live *c, amd_call_status st)
{
    const char *status = amd_call_status_name(st);
    if (c->work_idx >= 0) { /* leaving mid-tick: feed what it heard, then forget the slot */
        e->work[c->work_idx] = NULL;
        c->work_idx = -1;
        if (c->det && c->pend_n)
            amd_detector_process_float(c->det, c->pend, c->pend_n);
        c->pend_n = 0;
        c->lpend_n = 0; /* the last 20 ms before the hang-up: no key can still matter */
    }
    if (c->det && c->fsm.phase == AMDI_CS_ANSWERED) {
        amd_detector_finish(c->det);
        amdi_calls_amd_decision(e, c, 1);
    }
    /* the leg is released by amdi_calls_reap(): the driver may be inside advance() for it right now */
    if (c->fsm.phase == AMDI_CS_QUEUED)
        amdi_calls_unqueue(e, c);
    detach(e, c);
    c->fsm.phase = AMDI_CS_DONE;
    c->fsm.status = st;
    amdi_calls_sync_status(c);
    c->rec.end_time = e->now;
    amdi_record_hangup(e, c); /* a <Record> that was running: stored, its action still requested */
    int recorded = 0;
    if (c->recw) {
        int rate = amdi_recording_rate(c->recw);
        int64_t frames = 0;
        char err[200] = "";
        int rrc = amdi_recording_close(c->recw, &frames, err, sizeof err);
        c->recw = NULL;
        /* the duration is what the file holds: on a failure, only the audio written before it */
        c->rec_duration_s = rate > 0 ? (frames + rate / 2) / rate : 0;
        if (rrc)
            amdi_calls_recording_failed(e, c, err);
        amdi_calls_recording_row(e, c, c->rec_failed ? "failed" : "completed", c->rec_duration_s,
                      c->rec_failed ? REC_ERR_NOT_STORED : 0);
        recorded = 1;
    }
    if (c->rec.answer_time >= 0) {
        /* whole seconds, rounded to nearest (the last 20 ms frame must not add a second) */
        c->rec.duration_s = (e->now - c->rec.answer_time + 500) / 1000;
    } else {
        c->rec.duration_s = -1; /* no duration: never answered (busy / failed / no-answer / canceled) */
    }
    amdi_calls_transition(e, c, AMDI_EV_COMPLETED, status);
    if (recorded)
        amdi_calls_recording_callback(e, c, 2, c->rec_failed ? "failed" : "completed", c->rec_duration_s,
                           c->rec_failed ? REC_ERR_NOT_STORED : 0);
    else if (c->p.record && !c->rec_failed)
        amdi_calls_recording_callback(e, c, 4, "absent", 0, 0); /* never answered: nothing was recorded */
    amdi_calls_log(e, AMD_LOG_INFO, "call %s: %s", c->rec.sid, status);
    amdi_calls_dial_call_ended(e, c); /* its <Dial>, its bridge, its parent's dial */
    c->dnext = e->dead; /* freed by amdi_calls_reap(), once every callback of this tick has returned */
    e->dead = c;
}

void amdi_calls_sync_status(live *c)
{
    c->rec.status = c->fsm.status;
}

int amdi_calls_input(amdi_calls *e, live *c, amdi_call_input in, amdi_call_effects *out)
{
    amdi_call_effects fx;
    amdi_call_step(&c->fsm, in, e->now, &fx);
    if (out)
        *out = fx;
    if (!fx.applies)
        return 0;
    if (fx.ended) {
        end_call(e, c, fx.status);
        return 1;
    }
    amdi_call_fsm_apply(&c->fsm, &fx, e->now);
    amdi_calls_sync_status(c);
    if (fx.callback)
        amdi_calls_transition(e, c, fx.callback, fx.cb_status);
    return 0;
}

/* The single point where calls are freed (the ownership rule in calls_internal.h). */
void amdi_calls_reap(amdi_calls *e)
{
    live *c = e->dead;
    e->dead = NULL;
    while (c) {
        live *n = c->dnext;
        if (c->leg) /* hang up / cancel from our side */
            e->cfg.driver.ops->release(e->cfg.driver.state, c->leg);
        c->leg = NULL;
        amdi_calls_live_free(c);
        c = n;
    }
}

void amdi_calls_fail(amdi_calls *e, live *c, int code, const char *msg)
{
    c->rec.error_code = code;
    snprintf(c->rec.error_message, sizeof c->rec.error_message, "%s", msg);
    amdi_calls_event_error(e, c->rec.sid, code, msg);
}

live *amdi_calls_live_new(amdi_calls *e, const amdi_call_rec *rec, amdi_create_params *p, acct *a)
{
    live *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->rec = *rec;
    c->p = *p;
    memset(p, 0, sizeof *p);
    c->a = a;
    amdi_call_fsm_init(&c->fsm, c->p.timeout_s, c->p.time_limit_s);
    c->work_idx = -1;
    c->url = xstrdup(c->p.url);
    c->method = xstrdup(c->p.method);
    c->fallback_url = xstrdup(c->p.fallback_url);
    c->fallback_method = xstrdup(c->p.fallback_method);
    c->status_cb = xstrdup(c->p.status_callback);
    c->status_cb_method = xstrdup(c->p.status_callback_method);
    c->twiml = xstrdup(c->p.twiml);
    (void)e;
    return c;
}

static int sid_is_live(void *user, const char *sid)
{
    return amdi_calls_find(user, sid) != NULL;
}

long amdi_calls_drop_all(amdi_calls *e)
{
    amdi_calls_reap(e); /* calls that ended this tick: their end is not stored either (see below) */
    size_t hooks = amdi_hooks_drop(e->hooks, sid_is_live, e);
    for (out_hook *o = e->out_head, *n; o; o = n) { /* the open batch's webhooks */
        n = o->next;
        amdi_writer_hook_free(o);
        hooks++;
    }
    e->out_head = e->out_tail = NULL;
    for (unsigned i = 0; i < HASH_BUCKETS; i++) /* bridges first: closing one looks its peer up */
        for (live *c = e->hash[i]; c; c = c->hnext)
            amdi_bridge_close(e, c);
    long n = 0;
    for (unsigned i = 0; i < HASH_BUCKETS; i++) {
        for (live *c = e->hash[i], *nx; c; c = nx) {
            nx = c->hnext;
            if (c->work_idx >= 0)
                e->work[c->work_idx] = NULL;
            amdi_recording_abandon(c->recw);
            c->recw = NULL;
            amdi_record_abandon(c);
            amdi_calls_dial_forget(c);
            if (c->leg) /* the far end hears the hang-up the close-out already reported */
                e->cfg.driver.ops->release(e->cfg.driver.state, c->leg);
            c->leg = NULL;
            amdi_calls_live_free(c);
            n++;
        }
        e->hash[i] = NULL;
    }
    for (size_t i = 0; i < e->naccts; i++) {
        e->accts[i].qhead = e->accts[i].qtail = NULL;
        e->accts[i].qlen = 0;
    }
    e->active = NULL;
    e->nactive = e->nlive = e->nqueued = 0;
    atomic_fetch_add(&e->change_gen, 1);
    amdi_calls_log(e, AMD_LOG_WARN, "dropped %ld call(s) and %zu queued webhook(s) another process closed out", n,
                   hooks);
    return n;
}
