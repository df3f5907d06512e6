/* SPDX-License-Identifier: MIT */
/* What the call server tells about a call, in order: its changes to the store writer, then
 * the status and recording callbacks and the Events list entries about them (sent only once
 * the batch holding the change committed; see writer.h). */
#include "calls_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <strings.h>

#include "amd/error.h"
#include "timefmt.h"

void amdi_calls_persist(amdi_calls *e, live *c)
{
    c->rec.date_updated = e->now;
    atomic_fetch_add(&e->change_gen, 1);
    wop *o = amdi_writer_new_op(e->w, W_CALL);
    if (!o)
        return;
    o->u.call = c->rec;
    amdi_writer_push(e->w, o);
}

static void store_event(amdi_calls *e, const char *sid, int64_t t, char *req, char *resp)
{
    wop *o = amdi_writer_new_op(e->w, W_EVENT);
    if (!o || !(o->s1 = strdup(sid))) {
        free(o);
        free(req);
        free(resp);
        return;
    }
    o->s2 = req;
    o->s3 = resp;
    o->v = t;
    amdi_writer_push(e->w, o);
}

static json_t *form_to_json(const char *encoded)
{
    json_t *o = json_object();
    amdi_form f;
    if (encoded && amdi_form_parse(&f, encoded, strlen(encoded), AMDI_FORM_MAX_ITEMS) == 0) {
        for (size_t i = 0; i < f.n; i++)
            json_object_set_new(o, f.items[i].key, json_string(f.items[i].val));
        amdi_form_free(&f);
    }
    return o;
}

/* An error or warning about the call: its Events entry (and Notification) names the request
 * it concerns, the TwiML document in effect (none yet: the call's Url, or none for Twiml). */
void amdi_calls_event_error(amdi_calls *e, const char *sid, int code, const char *msg)
{
    json_t *resp = json_pack("{s:i, s:s}", "error_code", code, "error", msg ? msg : "");
    const live *c = amdi_calls_find(e, sid);
    const char *url = c ? (c->doc_url ? c->doc_url : c->url) : NULL;
    const char *method = c && url ? (c->doc_url && c->doc_method ? c->doc_method : c->method) : NULL;
    json_t *req = json_pack("{s:o, s:o, s:{}}", "method", method ? json_string(method) : json_null(), "url",
                            url ? json_string(url) : json_null(), "parameters");
    if (e->cl) /* several processes: which one the event happened on */
        json_object_set_new(resp, "instance", json_string(e->cfg.instance ? e->cfg.instance : ""));
    store_event(e, sid, e->now, json_dumps(req, JSON_COMPACT), json_dumps(resp, JSON_COMPACT));
    json_decref(req);
    json_decref(resp);
}

void amdi_calls_event_hook(amdi_calls *e, const inbox_item *it)
{
    json_t *params;
    if (it->request_body) {
        params = form_to_json(it->request_body);
    } else {
        const char *q = strchr(it->url, '?');
        params = form_to_json(q ? q + 1 : NULL);
    }
    json_t *req = json_pack("{s:s, s:s, s:o}", "method", it->method, "url", it->url, "parameters", params);
    if (e->cl) /* several processes: which one sent the request */
        json_object_set_new(req, "instance", json_string(e->cfg.instance ? e->cfg.instance : ""));
    json_t *resp = json_object();
    json_object_set_new(resp, "request_duration", json_integer(it->duration_ms));
    json_object_set_new(resp, "response_code", it->transport_ok ? json_integer(it->http_status) : json_null());
    json_object_set_new(resp, "content_type", it->content_type ? json_string(it->content_type) : json_null());
    /* keep at most 4 KiB of a response body in the Events list, and only valid UTF-8 */
    json_t *body = json_null();
    if (it->body) {
        size_t n = strlen(it->body);
        body = json_stringn(it->body, n > EVENT_BODY_MAX ? EVENT_BODY_MAX : n);
        if (!body) /* cut inside a character, or binary */
            body = json_string(n > EVENT_BODY_MAX ? "(response body not UTF-8 text or cut; first 4 KiB not shown)"
                                                 : "(response body is not UTF-8 text)");
    }
    json_object_set_new(resp, "response_body", body ? body : json_null());
    json_object_set_new(resp, "error", it->transport_ok ? json_null() : json_string(it->error));
    store_event(e, it->tag.call_sid, it->tag.t_ms, json_dumps(req, JSON_COMPACT), json_dumps(resp, JSON_COMPACT));
    json_decref(req);
    json_decref(resp);
}

void amdi_calls_base_params(amdi_calls *e, live *c, amdi_form *f, const char *call_status)
{
    (void)e;
    amdi_form_add(f, "CallSid", c->rec.sid);
    amdi_form_add(f, "AccountSid", c->rec.account_sid);
    amdi_form_add(f, "From", c->rec.from);
    amdi_form_add(f, "To", c->rec.to);
    amdi_form_add(f, "Caller", c->rec.from);
    amdi_form_add(f, "Called", c->rec.to);
    amdi_form_add(f, "CallStatus", call_status);
    amdi_form_add(f, "ApiVersion", "2010-04-01");
    /* a leg placed by <Dial> is outbound-dial, one created through the API outbound-api */
    amdi_form_add(f, "Direction", c->rec.parent_call_sid[0] ? "outbound-dial" : "outbound-api");
    if (c->rec.parent_call_sid[0])
        amdi_form_add(f, "ParentCallSid", c->rec.parent_call_sid);
}

/* Queue a webhook. It leaves only after the current transaction commits (tx_end), so every
 * transition is on disk before any request about it is sent. */
void amdi_calls_send_hook(amdi_calls *e, live *c, int kind, const char *url, const char *method, const amdi_form *f)
{
    out_hook *o = calloc(1, sizeof *o);
    if (!o)
        return;
    snprintf(o->tag.call_sid, sizeof o->tag.call_sid, "%s", c->rec.sid);
    snprintf(o->tag.account, sizeof o->tag.account, "%s", c->rec.account_sid);
    o->tag.kind = kind;
    /* lanes: TwiML fetches (and their fallback), status / recording callbacks, the AMD result */
    o->tag.lane = kind == K_FALLBACK ? K_URL : kind;
    o->tag.gen = c->gen;
    o->tag.t_ms = e->now;
    o->url = xstrdup(url);
    o->method = xstrdup(method);
    snprintf(o->token, sizeof o->token, "%s", c->a->token);
    amdi_form_init(&o->form);
    for (size_t i = 0; f && i < f->n; i++)
        amdi_form_add(&o->form, f->items[i].key, f->items[i].val);
    if (!o->url) {
        amdi_writer_hook_free(o);
        return;
    }
    if (e->out_tail)
        e->out_tail->next = o;
    else
        e->out_head = o;
    e->out_tail = o;
}

void amdi_calls_tx_begin(amdi_calls *e)
{
    e->in_tx = 1; /* the writer opens the transaction when the first operation arrives */
}

/* End a batch: the writer commits everything queued so far, then sends its webhooks.
 * With @p done, *done becomes 1 once that commit happened (see wait_committed). */
void amdi_calls_tx_end_flag(amdi_calls *e, int *done)
{
    wop *o = amdi_writer_new_op(e->w, W_COMMIT);
    e->in_tx = 0;
    if (!o) {
        if (done)
            *done = 1;
        return;
    }
    o->hooks = e->out_head;
    o->done = done;
    e->out_head = e->out_tail = NULL;
    amdi_writer_push(e->w, o);
}

void amdi_calls_tx_end(amdi_calls *e)
{
    amdi_calls_tx_end_flag(e, NULL);
}

void amdi_calls_recording_url(amdi_calls *e, const live *c, const char *rsid, char *out, size_t n)
{
    snprintf(out, n, "%s/2010-04-01/Accounts/%s/Recordings/%s", e->public_url ? e->public_url : "",
             c->rec.account_sid, rsid);
}

static void recording_url(amdi_calls *e, const live *c, char *out, size_t n)
{
    amdi_calls_recording_url(e, c, c->rec_sid, out, n);
}

void amdi_calls_recording_row(amdi_calls *e, live *c, const char *status, int64_t dur, int error_code)
{
    amdi_recording_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.sid, sizeof r.sid, "%s", c->rec_sid);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", c->rec.account_sid);
    snprintf(r.call_sid, sizeof r.call_sid, "%s", c->rec.sid);
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(r.track, sizeof r.track, "%s", c->p.recording_track);
    r.channels = !strcmp(c->p.recording_channels, "dual") ? 2 : 1;
    r.date_created = c->rec_start;
    r.date_updated = e->now;
    r.start_time = c->rec_start;
    r.duration_s = dur;
    r.error_code = error_code;
    amdi_calls_recording_put(e, &r);
}

void amdi_calls_recording_put(amdi_calls *e, const amdi_recording_rec *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wav", e->recordings_dir ? e->recordings_dir : ".", r->sid);
    wop *o = amdi_writer_new_op(e->w, W_REC);
    if (!o || !(o->s1 = strdup(path))) {
        free(o);
        return;
    }
    o->u.recording = *r;
    amdi_writer_push(e->w, o);
}

/* Store the transition, then send the status callback for @p ev if it was asked for. */
/* SipResponseCode of the final status callback: the far end's own refusal when there was
 * one, else the code of a SIP call that ended so (RFC 3261 section 21: 486 Busy Here,
 * 487 Request Terminated, 503 Service Unavailable / 500 Server Internal Error, 200 OK). */
static int sip_response_code(const live *c)
{
    amd_call_status st = c->rec.status;
    if (c->sip_code > 0 && st != AMD_CALL_COMPLETED && st != AMD_CALL_CANCELED)
        return c->sip_code;
    switch (st) {
    case AMD_CALL_BUSY:
        return 486;
    case AMD_CALL_NO_ANSWER:
    case AMD_CALL_CANCELED:
        return 487;
    case AMD_CALL_FAILED:
        return c->rec.error_code == 0 ? 503 : 500;
    default:
        return 200;
    }
}

void amdi_calls_transition(amdi_calls *e, live *c, unsigned ev, const char *cb_status)
{
    int send = ev && c->status_cb && (c->p.status_events & ev);
    int seq = 0;
    if (send)
        seq = c->rec.cb_seq++;
    amdi_calls_persist(e, c);
    if (e->cfg.driver.ops->observe)
        e->cfg.driver.ops->observe(e->cfg.driver.state, &c->rec, cb_status, 0);
    if (!send)
        return;
    amdi_form f;
    amdi_form_init(&f);
    amdi_calls_base_params(e, c, &f, cb_status);
    char ts[40], num[32];
    amdi_time_rfc2822(e->now, ts, sizeof ts);
    amdi_form_add(&f, "Timestamp", ts);
    amdi_form_add(&f, "CallbackSource", "call-progress-events");
    snprintf(num, sizeof num, "%d", seq);
    amdi_form_add(&f, "SequenceNumber", num);
    if (ev == AMDI_EV_COMPLETED) {
        snprintf(num, sizeof num, "%lld", (long long)(c->rec.duration_s > 0 ? c->rec.duration_s : 0));
        amdi_form_add(&f, "CallDuration", num);
        amdi_form_add(&f, "Duration", c->rec.duration_s > 0 ? "1" : "0");
        snprintf(num, sizeof num, "%d", sip_response_code(c));
        amdi_form_add(&f, "SipResponseCode", num);
    }
    if (c->rec.answered_by != AMD_ANSWERED_NONE)
        amdi_form_add(&f, "AnsweredBy", amd_answered_by_name(c->rec.answered_by));
    if (ev == AMDI_EV_COMPLETED && c->rec_sid[0] && c->rec_duration_s >= 0 && !c->rec_failed) {
        char url[512];
        recording_url(e, c, url, sizeof url);
        amdi_form_add(&f, "RecordingUrl", url);
        amdi_form_add(&f, "RecordingSid", c->rec_sid);
        snprintf(num, sizeof num, "%lld", (long long)c->rec_duration_s);
        amdi_form_add(&f, "RecordingDuration", num);
    }
    amdi_calls_send_hook(e, c, K_STATUS, c->status_cb, c->status_cb_method, &f);
    amdi_form_free(&f);
}

void amdi_calls_recording_callback(amdi_calls *e, live *c, unsigned ev, const char *status, int64_t dur, int code)
{
    if (!c->p.recording_status_callback || !(c->p.recording_events & ev))
        return;
    amdi_form f;
    amdi_form_init(&f);
    char url[512], num[32], ts[40];
    recording_url(e, c, url, sizeof url);
    amdi_form_add(&f, "AccountSid", c->rec.account_sid);
    amdi_form_add(&f, "CallSid", c->rec.sid);
    amdi_form_add(&f, "RecordingSid", c->rec_sid);
    amdi_form_add(&f, "RecordingUrl", url);
    amdi_form_add(&f, "RecordingStatus", status);
    snprintf(num, sizeof num, "%lld", (long long)(dur < 0 ? 0 : dur));
    amdi_form_add(&f, "RecordingDuration", num);
    amdi_form_add(&f, "RecordingChannels", !strcmp(c->p.recording_channels, "dual") ? "2" : "1");
    amdi_time_rfc2822(c->rec_start, ts, sizeof ts);
    amdi_form_add(&f, "RecordingStartTime", ts);
    amdi_form_add(&f, "RecordingSource", "OutboundAPI");
    amdi_form_add(&f, "RecordingTrack", c->p.recording_track);
    snprintf(num, sizeof num, "%d", code);
    amdi_form_add(&f, "ErrorCode", num);
    amdi_calls_send_hook(e, c, K_STATUS, c->p.recording_status_callback, c->p.recording_status_callback_method, &f);
    amdi_form_free(&f);
}

/* A recording write failed: say why once (log and the call's Events); the recording stops
 * and ends `failed` with the audio written so far (see end_call). */
void amdi_calls_recording_failed(amdi_calls *e, live *c, const char *why)
{
    if (c->rec_failed)
        return;
    c->rec_failed = 1;
    amdi_calls_log(e, AMD_LOG_ERROR, "call %s: recording %s failed: %s", c->rec.sid, c->rec_sid, why);
    char msg[260];
    snprintf(msg, sizeof msg, "recording %s could not be stored whole: %s", c->rec_sid, why);
    amdi_calls_event_error(e, c->rec.sid, REC_ERR_NOT_STORED, msg);
}

uint64_t amdi_calls_change_gen(amdi_calls *e)
{
    return (uint64_t)atomic_load(&e->change_gen);
}
