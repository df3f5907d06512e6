/* SPDX-License-Identifier: MIT */
/* <Dial> (https://www.twilio.com/docs/voice/twiml/dial, .../number, .../sip): every noun is a
 * child call with its own SID, ParentCallSid and Direction outbound-dial, placed at once (never
 * through the CPS queue), with the noun's status callbacks and AMD. All ring together; the
 * first to answer wins and the others are canceled. The winner's whisper (<Number url>) runs on
 * it, then it is bridged to the parent (bridge.c). The parent waits in the verb until the dial
 * ends: the winner hangs up or reaches timeLimit, or nobody answers. Then the parent requests
 * `action` with DialCallStatus, DialCallSid, DialCallDuration, DialBridged (and the recording
 * with `record`) and runs what it returns; without `action` it goes on with the next verb.
 * The parent hanging up, or a REST update that redirects it, ends the children. */
#include "calls_internal.h"

#include <math.h>
#include <stdio.h>

#include "amd/error.h"
#include "sid.h"
#include "strbuf.h"
#include "timefmt.h"

typedef struct kid {
    char sid[35];
    amd_call_status status; /* final status once done */
    int done;
    int64_t duration_s;     /* answered: its duration */
} kid;

struct amdi_dialing {
    const amdi_dial *d; /* borrowed from the parent's document, which outlives the dial */
    kid kids[AMDI_DIAL_MAX_NOUNS];
    size_t n, open;     /* children placed / not ended */
    int placing;        /* inside dial_begin: children ending now are counted, not acted on */
    int winner;         /* index of the child that answered first, -1: none yet */
    int bridged;
    int64_t ring_pos;   /* samples of ringback played (ringTone) */
    /* record */
    amdi_recording *recw;
    char rec_sid[35];
    int rec_on;         /* recording wanted from now on (opened at the parent's next frame) */
    size_t rec_n;       /* samples per frame of the recording */
    int child_writes;   /* the bridged child writes the frames (same rate as the parent) */
    int64_t rec_start, rec_dur;
    int rec_failed;
};

static struct amdi_dialing *parent_dialing(amdi_calls *e, live *child, live **parent, int *idx)
{
    live *p = child->rec.parent_call_sid[0] ? amdi_calls_find(e, child->rec.parent_call_sid) : NULL;
    if (!p || !p->dialing || p->fsm.phase == AMDI_CS_DONE)
        return NULL;
    for (size_t i = 0; i < p->dialing->n; i++)
        if (!strcmp(p->dialing->kids[i].sid, child->rec.sid)) {
            *parent = p;
            *idx = (int)i;
            return p->dialing;
        }
    return NULL;
}

/* The child's create form: To, From, Timeout, TimeLimit, whisper Url (or no instructions),
 * and the noun's own parameters. */
static void child_form(live *p, const amdi_dial *d, const amdi_dial_noun *dn, amdi_form *f)
{
    char num[16];
    amdi_form_add(f, "To", dn->target);
    amdi_form_add(f, "From", d->caller_id ? d->caller_id : p->rec.from);
    snprintf(num, sizeof num, "%d", d->timeout_s);
    amdi_form_add(f, "Timeout", num);
    snprintf(num, sizeof num, "%d", d->time_limit_s);
    amdi_form_add(f, "TimeLimit", num);
    const char *w = amdi_dial_noun_get(dn, "Url");
    char *u = w ? amdi_url_resolve(p->doc_url ? p->doc_url : p->url, w) : NULL;
    if (u)
        amdi_form_add(f, "Url", u);
    else
        amdi_form_add(f, "Twiml", "<Response/>"); /* no whisper: bridged as soon as it answers */
    free(u);
    for (size_t i = 0; i < dn->nkv; i++)
        if (strcmp(dn->kv[2 * i], "Url"))
            amdi_form_add(f, dn->kv[2 * i], dn->kv[2 * i + 1]);
    /* amdStatusCallback: the AMD result is posted there and the bridge does not wait for it */
    if (amdi_dial_noun_get(dn, "AsyncAmdStatusCallback") && amdi_dial_noun_get(dn, "MachineDetection"))
        amdi_form_add(f, "AsyncAmd", "true");
}

/* Place the child for noun @p dn. 0, or -1 when it could not even be created (the noun's
 * parameters are invalid: an error on the parent's Events, the child counts as failed). */
static int place_child(amdi_calls *e, live *p, struct amdi_dialing *g, const amdi_dial_noun *dn)
{
    kid *k = &g->kids[g->n];
    amdi_form f;
    amdi_form_init(&f);
    child_form(p, g->d, dn, &f);
    amdi_create_params cp;
    amdi_api_error ae;
    memset(&ae, 0, sizeof ae);
    amdi_call_rec r;
    amdi_call_rec_init(&r);
    if (amdi_create_params_parse(&cp, &f, &ae)) {
        char msg[400];
        snprintf(msg, sizeof msg, "<Dial> %.60s: %.300s", dn->target, ae.message);
        amdi_calls_event_error(e, p->rec.sid, ae.code == AMDI_TWERR_TO_INVALID ? AMDI_TWERR_DIAL_NUMBER_INVALID : ae.code,
                               msg);
        return -1;
    }
    if (amdi_sid_new("CA", r.sid)) {
        amdi_create_params_free(&cp);
        return -1;
    }
    snprintf(r.account_sid, sizeof r.account_sid, "%s", p->rec.account_sid);
    snprintf(r.parent_call_sid, sizeof r.parent_call_sid, "%s", p->rec.sid);
    snprintf(r.to, sizeof r.to, "%s", cp.to);
    snprintf(r.from, sizeof r.from, "%s", cp.from);
    r.status = AMD_CALL_QUEUED;
    r.date_created = r.date_updated = e->now;
    amdi_buf enc;
    amdi_buf_init(&enc);
    amdi_form_encode(&cp.form, &enc);
    wop *o = enc.oom ? NULL : amdi_writer_new_op(e->w, W_CALL_NEW);
    live *c = o ? amdi_calls_live_new(e, &r, &cp, p->a) : NULL;
    if (!c) {
        free(o);
        amdi_buf_free(&enc);
        amdi_create_params_free(&cp);
        return -1;
    }
    o->u.call = r;
    o->s1 = amdi_buf_take(&enc);
    amdi_writer_push(e->w, o); /* inserted before any change of it (the writer keeps order) */
    c->dial_child = 1;
    memcpy(k->sid, r.sid, sizeof k->sid);
    g->n++;
    g->open++;
    amdi_calls_hash_add(e, c);
    e->nlive++;
    amdi_calls_log(e, AMD_LOG_INFO, "call %s: <Dial> child %s to %s", p->rec.sid, c->rec.sid, c->rec.to);
    amdi_calls_dial_now(e, c);
    return 0;
}

static void dial_finish(amdi_calls *e, live *p);

void amdi_calls_dial_begin(amdi_calls *e, live *c, const amdi_verb *v)
{
    struct amdi_dialing *g = calloc(1, sizeof *g);
    if (!g) {
        amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_BROKEN, NULL);
        return;
    }
    g->d = v->dial;
    g->winner = -1;
    g->placing = 1;
    g->rec_on = g->d->record == AMDI_DIAL_REC_RINGING;
    c->dialing = g;
    for (size_t i = 0; i < g->d->n && c->dialing == g; i++)
        place_child(e, c, g, &g->d->nouns[i]); /* a noun that cannot be placed counts as failed */
    if (c->dialing != g) /* the parent ended meanwhile */
        return;
    g->placing = 0;
    if (!g->open) /* nothing rings: every child failed at once (none placed: no DialCallSid) */
        dial_finish(e, c);
}

/* The recording of the dial (record=...): channel 1 the parent, channel 2 the child. */
static void dial_recording_row(amdi_calls *e, live *p, struct amdi_dialing *g, const char *status, int code)
{
    amdi_recording_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.sid, sizeof r.sid, "%s", g->rec_sid);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", p->rec.account_sid);
    snprintf(r.call_sid, sizeof r.call_sid, "%s", p->rec.sid);
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(r.track, sizeof r.track, "%s", g->d->recording_track ? g->d->recording_track : "both");
    r.channels = g->d->record_dual ? 2 : 1;
    r.date_created = r.start_time = g->rec_start;
    r.date_updated = e->now;
    r.duration_s = g->rec_dur;
    r.error_code = code;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wav", e->recordings_dir ? e->recordings_dir : ".", g->rec_sid);
    wop *o = amdi_writer_new_op(e->w, W_REC);
    if (!o || !(o->s1 = strdup(path))) {
        free(o);
        return;
    }
    o->u.recording = r;
    amdi_writer_push(e->w, o);
}

static void dial_recording_url(amdi_calls *e, live *p, struct amdi_dialing *g, char *out, size_t n)
{
    snprintf(out, n, "%s/2010-04-01/Accounts/%s/Recordings/%s", e->public_url ? e->public_url : "",
             p->rec.account_sid, g->rec_sid);
}

/* recordingStatusCallback of <Dial> (RecordingSource DialVerb; CallSid is the parent). */
static void dial_recording_callback(amdi_calls *e, live *p, struct amdi_dialing *g, unsigned ev, const char *status,
                                    int code)
{
    const amdi_dial *d = g->d;
    if (!d->rec_cb || !(d->rec_events & ev))
        return;
    char *u = amdi_url_resolve(p->doc_url ? p->doc_url : p->url, d->rec_cb);
    if (!u || !amdi_url_valid(u, 0)) {
        amdi_calls_event_error(e, p->rec.sid, AMDI_TWERR_URL_INVALID, "<Dial recordingStatusCallback> is not a URL");
        free(u);
        return;
    }
    amdi_form f;
    amdi_form_init(&f);
    char url[512], num[32], ts[40];
    dial_recording_url(e, p, g, url, sizeof url);
    amdi_form_add(&f, "AccountSid", p->rec.account_sid);
    amdi_form_add(&f, "CallSid", p->rec.sid);
    amdi_form_add(&f, "RecordingSid", g->rec_sid);
    amdi_form_add(&f, "RecordingUrl", url);
    amdi_form_add(&f, "RecordingStatus", status);
    snprintf(num, sizeof num, "%lld", (long long)(g->rec_dur < 0 ? 0 : g->rec_dur));
    amdi_form_add(&f, "RecordingDuration", num);
    amdi_form_add(&f, "RecordingChannels", d->record_dual ? "2" : "1");
    amdi_time_rfc2822(g->rec_start, ts, sizeof ts);
    amdi_form_add(&f, "RecordingStartTime", ts);
    amdi_form_add(&f, "RecordingSource", "DialVerb");
    amdi_form_add(&f, "RecordingTrack", d->recording_track ? d->recording_track : "both");
    snprintf(num, sizeof num, "%d", code);
    amdi_form_add(&f, "ErrorCode", num);
    amdi_calls_send_hook(e, p, K_STATUS, u, d->rec_cb_method ? d->rec_cb_method : "POST", &f);
    amdi_form_free(&f);
    free(u);
}

/* The dial's recording: channel 1 the parent's party, channel 2 the child's. Before the bridge
 * the parent's frames are written (the child silent); once bridged, the child's: its far end
 * and what the bridge delivered to it, so the file holds what each party actually heard. */
/* ringTone: the ringback the parent hears while the children ring, by country (ITU-T E.180
 * Supplement 2, "Various tones used in national networks"). Countries not listed get E.180's
 * recommended ringing tone: 425 Hz, 1 s on, 4 s off. */
typedef struct ring_tone {
    const char *cc;
    float f1, f2;          /* Hz (f2 0: a single tone) */
    int cadence_ms[4];     /* on, off, on, off (0: unused) */
} ring_tone;
static const ring_tone k_tones[] = {
    {"us", 440, 480, {2000, 4000, 0, 0}},  {"us-old", 440, 480, {2000, 4000, 0, 0}},
    {"uk", 400, 450, {400, 200, 400, 2000}}, {"au", 400, 450, {400, 200, 400, 2000}},
    {"nz", 400, 450, {400, 200, 400, 2000}}, {"fr", 440, 0, {1500, 3500, 0, 0}},
    {"es", 425, 0, {1500, 3000, 0, 0}},      {"at", 420, 0, {1000, 5000, 0, 0}},
    {"se", 425, 0, {1000, 5000, 0, 0}},      {NULL, 425, 0, {1000, 4000, 0, 0}},
};

/* One 20 ms frame of the parent's ringback into its outbound path, while nobody answered. */
static void ringback(live *p, struct amdi_dialing *g)
{
    const ring_tone *t = k_tones;
    while (t->cc && strcmp(t->cc, g->d->ring_tone))
        t++;
    int period = t->cadence_ms[0] + t->cadence_ms[1] + t->cadence_ms[2] + t->cadence_ms[3];
    float f[AMDI_MEDIA_FRAME];
    for (size_t i = 0; i < AMDI_MEDIA_FRAME; i++, g->ring_pos++) {
        int64_t ms = g->ring_pos * 1000 / AMDI_MEDIA_RATE % period;
        int on = ms < t->cadence_ms[0] ||
                 (ms >= t->cadence_ms[0] + t->cadence_ms[1] && ms < t->cadence_ms[0] + t->cadence_ms[1] + t->cadence_ms[2]);
        double x = (double)g->ring_pos / AMDI_MEDIA_RATE * 6.283185307179586; /* 2 pi t */
        f[i] = on ? (float)(0.1 * sin(x * t->f1) + (t->f2 > 0 ? 0.1 * sin(x * t->f2) : 0.0)) : 0.0f;
    }
    amdi_outbound_inject(p, f);
}

/* RFC 4733 keys pass through the bridge: the key is played on the other leg's outbound path,
 * which sends it as a telephone-event where that far end took them, else as its in-band tone
 * (ITU-T Q.23). hangupOnStar: the parent's `*` hangs the child up instead. */
void amdi_calls_dial_digit(amdi_calls *e, live *c, char key)
{
    struct amdi_dialing *g = c->dialing;
    if (g && key == '*' && g->d->hangup_on_star && g->winner >= 0) {
        live *k = amdi_calls_find(e, g->kids[g->winner].sid);
        if (k && k->fsm.phase != AMDI_CS_DONE) {
            amdi_calls_log(e, AMD_LOG_INFO, "call %s: * pressed: hangupOnStar ends %s", c->rec.sid, k->rec.sid);
            amdi_calls_input(e, k, AMDI_CI_HANGUP_REQUEST, NULL);
        }
        return;
    }
    live *peer = c->bridge ? amdi_bridge_peer(e, c) : NULL;
    if (!peer || !peer->out)
        return;
    /* the peer's executor is idle while bridged: finished key sources are dropped here */
    amdi_player_done done;
    while (amdi_player_poll(peer->out, &done))
        ;
    char ks[2] = {key, 0};
    uint32_t id = 0;
    if (amdi_player_add_digits(peer->out, ks, &id))
        amdi_calls_log(e, AMD_LOG_WARN, "call %s: key %c not passed to %s", c->rec.sid, key, peer->rec.sid);
}

void amdi_calls_dial_tick(amdi_calls *e, live *c)
{
    struct amdi_dialing *g = c->dialing;
    (void)e;
    if (g && g->winner < 0 && g->d->ring_tone[0])
        ringback(c, g);
}

void amdi_calls_dial_audio(amdi_calls *e, live *c, const float *pcm, size_t n)
{
    static const float silence[960];
    float heard[960]; /* what @p c's far end heard this tick: its outbound frame, at its rate */
    live *p = c;
    int i = -1;
    struct amdi_dialing *g = c->dialing ? c->dialing : parent_dialing(e, c, &p, &i);
    if (!g || !g->rec_on || g->rec_failed || n > 960)
        return;
    int parent = p == c;
    if (!parent && (!g->recw || n != g->rec_n || i != g->winner))
        return; /* a child at another rate: the parent's frames are written instead */
    if (!parent)
        g->child_writes = 1;
    else if (g->bridged && g->child_writes)
        return;
    if (!g->recw) {
        char err[300] = "";
        int rc = AMD_ESTATE;
        g->rec_n = n;
        if (e->recordings_dir && !amdi_sid_new("RE", g->rec_sid))
            rc = amdi_recording_open(e->recordings_dir, g->rec_sid, (int)n * (1000 / TICK_MS), g->d->record_dual,
                                     g->d->recording_track, &g->recw, err, sizeof err);
        g->rec_start = e->now;
        g->rec_dur = -1;
        if (rc) {
            g->rec_failed = 1;
            amdi_calls_event_error(e, p->rec.sid, REC_ERR_NOT_STORED,
                                   err[0] ? err : "<Dial record>: recording unavailable (no recordings folder)");
            if (g->rec_sid[0] && e->recordings_dir) {
                g->rec_dur = 0;
                dial_recording_row(e, p, g, "failed", REC_ERR_NOT_STORED);
                dial_recording_callback(e, p, g, 2, "failed", REC_ERR_NOT_STORED);
            } else {
                g->rec_sid[0] = 0;
            }
            return;
        }
        dial_recording_row(e, p, g, "in-progress", 0);
        dial_recording_callback(e, p, g, 1, "in-progress", 0);
    }
    const float *out = NULL;
    if (c->out) {
        amdi_bridge_resample(c->out_frame, AMDI_MEDIA_FRAME, heard, n);
        out = heard;
    }
    /* amdi_recording's channel 1 is "our side" (outbound), channel 2 the far end (inbound) */
    const float *party1 = parent ? pcm : out, *party2 = parent ? out : pcm;
    if (amdi_recording_write(g->recw, party2 ? party2 : silence, party1 ? party1 : silence, n) == AMD_EIO) {
        g->rec_failed = 1;
        amdi_calls_event_error(e, p->rec.sid, REC_ERR_NOT_STORED, amdi_recording_error(g->recw));
    }
}

static void dial_recording_close(amdi_calls *e, live *p, struct amdi_dialing *g)
{
    if (!g->recw)
        return;
    int rate = amdi_recording_rate(g->recw);
    int64_t frames = 0;
    char err[200] = "";
    int rc = amdi_recording_close(g->recw, &frames, err, sizeof err);
    g->recw = NULL;
    g->rec_dur = rate > 0 ? (frames + rate / 2) / rate : 0;
    if (rc)
        g->rec_failed = 1;
    dial_recording_row(e, p, g, g->rec_failed ? "failed" : "completed", g->rec_failed ? REC_ERR_NOT_STORED : 0);
    dial_recording_callback(e, p, g, 2, g->rec_failed ? "failed" : "completed", g->rec_failed ? REC_ERR_NOT_STORED : 0);
}

/* End every child still up: ringing ones are canceled, an answered one hung up. */
static void end_children(amdi_calls *e, struct amdi_dialing *g, int except)
{
    for (size_t i = 0; i < g->n; i++) {
        live *k = (int)i == except || g->kids[i].done ? NULL : amdi_calls_find(e, g->kids[i].sid);
        if (k && k->fsm.phase != AMDI_CS_DONE)
            amdi_calls_input(e, k, k->fsm.phase == AMDI_CS_ANSWERED ? AMDI_CI_HANGUP_REQUEST : AMDI_CI_CANCEL_REQUEST,
                             NULL);
    }
}

/* DialCallStatus of a dial nobody answered: what the children ended with, the most telling
 * first (a no-answer over a busy over a failure; canceled only when all were). */
static int unanswered_status(const struct amdi_dialing *g)
{
    static const amd_call_status order[] = {AMD_CALL_NO_ANSWER, AMD_CALL_BUSY, AMD_CALL_FAILED, AMD_CALL_CANCELED,
                                            AMD_CALL_COMPLETED};
    for (size_t o = 0; o < sizeof order / sizeof *order; o++)
        for (size_t i = 0; i < g->n; i++)
            if (g->kids[i].status == order[o])
                return (int)i;
    return -1;
}

/* The dial is over: the parent requests `action`, or goes on with its next verb. */
static void dial_finish(amdi_calls *e, live *p)
{
    struct amdi_dialing *g = p->dialing;
    p->dialing = NULL;
    end_children(e, g, -1);
    amdi_bridge_close(e, p);
    dial_recording_close(e, p, g);
    const amdi_dial *d = g->d;
    int k = g->winner >= 0 ? g->winner : unanswered_status(g);
    const char *status = g->winner >= 0 ? "completed" : k >= 0 ? amd_call_status_name(g->kids[k].status) : "failed";
    amdi_calls_log(e, AMD_LOG_INFO, "call %s: <Dial> ended: %s%s%s", p->rec.sid, status, k >= 0 ? " " : "",
                   k >= 0 ? g->kids[k].sid : "");
    if (!d->action) {
        p->pc++; /* no action: the next verb (or the end of the document) */
        free(g);
        return;
    }
    char *u = amdi_url_resolve(p->doc_url ? p->doc_url : p->url, d->action);
    char *m = xstrdup(d->method ? d->method : "POST");
    amdi_form ex;
    amdi_form_init(&ex);
    amdi_form_add(&ex, "DialCallStatus", status);
    char num[32], url[512];
    if (k >= 0)
        amdi_form_add(&ex, "DialCallSid", g->kids[k].sid);
    if (g->winner >= 0 && g->kids[k].duration_s >= 0) { /* absent when the child was redirected */
        snprintf(num, sizeof num, "%lld", (long long)g->kids[k].duration_s);
        amdi_form_add(&ex, "DialCallDuration", num);
    }
    amdi_form_add(&ex, "DialBridged", g->bridged ? "true" : "false");
    if (g->rec_sid[0] && !g->rec_failed) {
        dial_recording_url(e, p, g, url, sizeof url);
        amdi_form_add(&ex, "RecordingUrl", url);
        amdi_form_add(&ex, "RecordingSid", g->rec_sid);
        snprintf(num, sizeof num, "%lld", (long long)(g->rec_dur < 0 ? 0 : g->rec_dur));
        amdi_form_add(&ex, "RecordingDuration", num);
    }
    free(g);
    /* the action's TwiML replaces the document (the dial's attributes lived in it) */
    amdi_twiml_free(p->doc);
    p->doc = NULL;
    if (u && m && amdi_url_valid(u, 0))
        amdi_calls_fetch_url(e, p, K_URL, u, m, &ex);
    else if (u && m)
        amdi_calls_instructions_failed(e, p, K_URL, AMDI_TWERR_HTTP_URL_INVALID,
                                       "<Dial action> cannot be resolved to an absolute URL", u);
    else
        amdi_calls_input(e, p, AMDI_CI_INSTRUCTIONS_BROKEN, NULL);
    amdi_form_free(&ex);
    free(u);
    free(m);
}

int amdi_calls_dial_child_answered(amdi_calls *e, live *child)
{
    live *p = NULL;
    int i = -1;
    struct amdi_dialing *g = parent_dialing(e, child, &p, &i);
    if (!g || g->winner >= 0) { /* the parent is gone, or another child won: hang this one up */
        amdi_calls_input(e, child, AMDI_CI_HANGUP_REQUEST, NULL);
        return 1;
    }
    g->winner = i;
    if (g->d->record == AMDI_DIAL_REC_ANSWER)
        g->rec_on = 1;
    end_children(e, g, i); /* the first answer wins: the others are canceled */
    return 0;
}

void amdi_calls_dial_child_ready(amdi_calls *e, live *child)
{
    amdi_twiml_free(child->doc); /* the whisper is over; the child has no instructions left */
    child->doc = NULL;
    live *p = NULL;
    int i = -1;
    struct amdi_dialing *g = parent_dialing(e, child, &p, &i);
    if (child->bridge)
        return;
    if (!g || g->winner != i || p->fsm.phase != AMDI_CS_ANSWERED) {
        amdi_calls_input(e, child, AMDI_CI_HANGUP_REQUEST, NULL);
        return;
    }
    if (amdi_bridge_open(p, child)) {
        amdi_calls_input(e, child, AMDI_CI_INSTRUCTIONS_BROKEN, NULL);
        return;
    }
    g->bridged = 1;
    amdi_calls_log(e, AMD_LOG_INFO, "call %s: bridged to %s", p->rec.sid, child->rec.sid);
}

void amdi_calls_dial_call_ended(amdi_calls *e, live *c)
{
    if (c->dialing && c->fsm.phase == AMDI_CS_DONE) { /* the parent ended: so do its children */
        struct amdi_dialing *g = c->dialing;
        c->dialing = NULL;
        amdi_bridge_close(e, c);
        end_children(e, g, -1);
        dial_recording_close(e, c, g);
        free(g);
        return;
    }
    amdi_bridge_close(e, c);
    live *p = NULL;
    int i = -1;
    struct amdi_dialing *g = c->dial_child ? parent_dialing(e, c, &p, &i) : NULL;
    if (!g || g->kids[i].done)
        return;
    g->kids[i].done = 1;
    g->kids[i].status = c->rec.status;
    g->kids[i].duration_s = c->rec.duration_s;
    g->open--;
    if (g->placing)
        return;
    if (i == g->winner || !g->open)
        dial_finish(e, p);
}

void amdi_calls_dial_abort(amdi_calls *e, live *c)
{
    if (c->dial_child && c->started) {
        /* a REST update redirected the child: it leaves the dial and runs its new TwiML as a
         * call of its own; the parent's dial is over (DialCallDuration absent, as on Twilio) */
        live *p = NULL;
        int i = -1;
        struct amdi_dialing *pg = parent_dialing(e, c, &p, &i);
        c->dial_child = 0;
        amdi_bridge_close(e, c);
        if (pg && !pg->kids[i].done) {
            pg->kids[i].done = 1;
            pg->kids[i].status = AMD_CALL_COMPLETED;
            pg->kids[i].duration_s = -1;
            pg->open--;
            if (i == pg->winner || !pg->open)
                dial_finish(e, p);
        }
        return;
    }
    struct amdi_dialing *g = c->dialing;
    if (!g)
        return;
    c->dialing = NULL;
    amdi_bridge_close(e, c);
    end_children(e, g, -1);
    dial_recording_close(e, c, g);
    free(g);
}

void amdi_calls_dial_forget(live *c)
{
    if (!c->dialing)
        return;
    amdi_recording_abandon(c->dialing->recw);
    free(c->dialing);
    c->dialing = NULL;
}
