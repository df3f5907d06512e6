/* SPDX-License-Identifier: MIT */
/* Crash recovery, run by amdi_calls_start before the tick thread starts: a heartbeat (engine
 * time) is stored every second; calls the store still holds as live are closed out truthfully:
 *   - queued and never dialed: queued again (the 201 promised the call), unless older than
 *     24 h (Twilio's queue horizon) -> failed;
 *   - dialed but not answered: failed, end_time = last heartbeat;
 *   - in progress: completed, end_time = last heartbeat (the last moment the server is known
 *     to have been running the call), duration from answer to that moment;
 *   - a recording still open: failed (16104), its file repaired to the frames it holds;
 * each with error_message saying so, and the completed status callback if one was asked for. */
#include "calls_internal.h"

#include <stdio.h>

#include "amd/error.h"
#include "form.h"

typedef struct rec_list {
    amdi_call_rec *v;
    size_t n, cap;
} rec_list;

static void collect(void *user, const amdi_call_rec *r)
{
    rec_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        amdi_call_rec *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *r;
}

typedef struct open_rec {
    amdi_recording_rec r;
    char path[4096];
} open_rec;

typedef struct open_rec_list {
    open_rec *v;
    size_t n, cap;
} open_rec_list;

static void collect_recording(void *user, const amdi_recording_rec *r, const char *path)
{
    open_rec_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        open_rec *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n].r = *r;
    snprintf(l->v[l->n].path, sizeof l->v[l->n].path, "%s", path);
    l->n++;
}

/* Recordings a dead process left in progress were not written whole: each ends `failed`
 * (16104) with its file made a valid WAV of the whole frames it holds, and that duration. */
static int sid_in(const char *sid, const amdi_call_rec *calls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(calls[i].sid, sid))
            return 1;
    return 0;
}

/* @p only (may be NULL: every one): the calls whose open recordings are closed (on a shared
 * database, only those of the dead process's calls). */
void amdi_calls_close_out_recordings(amdi_calls *e, const amdi_call_rec *only, size_t n_only)
{
    open_rec_list l = {0};
    amdi_store_recordings_open(e->cfg.store, collect_recording, &l);
    size_t closed = 0;
    for (size_t i = 0; i < l.n; i++) {
        amdi_recording_rec *r = &l.v[i].r;
        if (only && !sid_in(r->call_sid, only, n_only))
            continue;
        closed++;
        int64_t frames = 0;
        int rate = 0;
        if (amdi_recording_repair(l.v[i].path, &frames, &rate))
            amdi_calls_log(e, AMD_LOG_WARN,
                           "recording %s: the file left by the previous run could not be repaired; removed",
                 r->sid);
        snprintf(r->status, sizeof r->status, "failed");
        r->duration_s = rate > 0 ? (frames + rate / 2) / rate : 0;
        r->error_code = REC_ERR_NOT_STORED;
        r->date_updated = e->now;
        if (amdi_store_recording_put(e->cfg.store, r, l.v[i].path))
            amdi_calls_log(e, AMD_LOG_ERROR, "recording %s: cannot store its end after a restart", r->sid);
    }
    if (closed)
        amdi_calls_log(e, AMD_LOG_WARN, "%zu recording(s) left in progress by a dead process ended failed", closed);
    free(l.v);
}

void amdi_calls_close_out(amdi_calls *e, amdi_call_rec *r, int64_t hb, int requeue, const char *params)
{
    int64_t now = e->now;
    if (amdi_calls_find(e, r->sid))
        return; /* created through the API after listening began: already queued */
    char *enc = params ? strdup(params) : NULL;
    amdi_create_params p;
    memset(&p, 0, sizeof p);
    amdi_api_error ae;
    acct *a = amdi_calls_find_acct(e, r->account_sid);
    int ok = 0;
    if (a && (enc || amdi_store_call_params(e->cfg.store, r->sid, &enc) == 0)) {
        amdi_form f;
        if (amdi_form_parse(&f, enc, strlen(enc), AMDI_FORM_MAX_ITEMS) == 0)
            ok = amdi_create_params_parse(&p, &f, &ae) == 0;
    }
    free(enc);
    if (!ok) {
        /* Unknown account or unreadable parameters: close without callbacks. */
        r->status = AMD_CALL_FAILED;
        r->end_time = hb > 0 ? hb : now;
        snprintf(r->error_message, sizeof r->error_message, "server restarted; call could not be resumed");
        r->date_updated = now;
        amdi_store_call_update(e->cfg.store, r);
        return;
    }
    live *c = amdi_calls_live_new(e, r, &p, a);
    if (!c) {
        amdi_create_params_free(&p);
        return;
    }
    if (requeue && r->start_time < 0 && r->status == AMD_CALL_QUEUED && now - r->date_created < QUEUE_HORIZON_MS) {
        amdi_calls_enqueue(e, c); /* never dialed: the 201 promised this call, so place it now */
        amdi_calls_log(e, AMD_LOG_INFO, "call %s: queued again after restart", r->sid);
        return;
    }
    /* Make it live again, where the dead process left it, and let the state machine end it
     * (answered: completed; else failed). No detector, leg or recording is left to settle. */
    int answered = r->status == AMD_CALL_IN_PROGRESS;
    amdi_calls_hash_add(e, c);
    e->nlive++;
    c->fsm.phase = answered ? AMDI_CS_ANSWERED : AMDI_CS_INITIATED;
    amdi_calls_activate(e, c);
    int64_t saved = e->now;
    int64_t end = hb > 0 && hb >= r->date_updated ? hb : (r->date_updated > 0 ? r->date_updated : now);
    e->now = end;
    if (answered) {
        amdi_calls_fail(e, c, 0, "server stopped during the call; end_time is the last moment it was known running");
    } else if (r->start_time < 0) {
        amdi_calls_fail(e, c, 0, requeue ? "expired in the CPS queue (older than 24 h at restart)"
                                         : "server stopped before the call was placed");
    } else {
        amdi_calls_fail(e, c, 0, "server stopped while the call was being placed");
    }
    c->rec.error_code = 0;
    c->p.record = 0; /* its recording (if any) was marked failed above; no "absent" callback */
    amdi_calls_input(e, c, AMDI_CI_LOST, NULL);
    e->now = saved;
}

void amdi_calls_recover(amdi_calls *e)
{
    int64_t hb = -1;
    amdi_store_meta_get(e->cfg.store, "heartbeat", &hb);
    rec_list l = {0};
    amdi_store_calls_live(e->cfg.store, collect, &l);
    amdi_calls_close_out_recordings(e, NULL, 0);
    for (size_t i = 0; i < l.n; i++)
        amdi_calls_close_out(e, &l.v[i], hb, 1, NULL);
    amdi_calls_reap(e);
    if (l.n)
        amdi_calls_log(e, AMD_LOG_WARN, "closed out or re-queued %zu call(s) left live by the previous run", l.n);
    free(l.v);
}
