/* SPDX-License-Identifier: MIT */
/* The <Record> verb (https://www.twilio.com/docs/voice/twiml/record): the far end's audio into
 * a mono WAV recording of the call (listed under it and fetchable like a Record=true one),
 * ended by a finishOnKey key, by `timeout` seconds of silence (the detector's VAD), by
 * maxLength, or by hang-up. trim="trim-silence" cuts the silence before the first and after
 * the last speech. Then the recordingStatusCallback and the action request with RecordingUrl,
 * RecordingSid, RecordingDuration and Digits (the key, "hangup", or empty). */
#include "calls_internal.h"

#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd/error.h"
#include "media/pcm.h"
#include "outbound.h"
#include "sid.h"
#include "timefmt.h"

/* Speech kept around the trimmed part: the VAD confirms speech a little after it starts and
 * its hangover ends it a little after it stops. */
#define TRIM_PAD_MS 250
/* playBeep: Twilio does not document its beep; ours is 500 ms of 1 kHz at -10 dBFS, and the
 * recording starts when it ends (the next 20 ms frame after it). */
#define BEEP_MS 500
#define BEEP_HZ 1000.0
#define BEEP_AMP 0.316f
#define TWO_PI 6.283185307179586

/* Queue the beep on our side; returns how long it lasts (ms), 0 when it could not be played. */
static int play_beep(live *c)
{
    if (!c->out)
        return 0;
    size_t n = (size_t)AMDI_MEDIA_RATE * BEEP_MS / 1000;
    float *x = malloc(n * sizeof *x);
    if (!x)
        return 0;
    for (size_t i = 0; i < n; i++) {
        float ramp = i < 80 ? (float)i / 80.f : n - i < 80 ? (float)(n - i) / 80.f : 1.f; /* 10 ms edges */
        x[i] = BEEP_AMP * ramp * (float)sin(TWO_PI * BEEP_HZ * (double)i / AMDI_MEDIA_RATE);
    }
    amdi_pcm *p = amdi_pcm_create(x, n);
    int ok = p && !amdi_player_add_pcm(c->out, p, 1, NULL);
    amdi_pcm_unref(p);
    return ok ? BEEP_MS + 20 : 0;
}

struct record_run {
    amdi_recording *w;
    amdi_recording_rec r;
    char *action, *method, *rs_callback, *rs_method;
    unsigned rs_events;
    char finish_on_key[16];
    int timeout_s, max_length_s, trim;
};

void amdi_record_abandon(live *c)
{
    if (c->record) {
        amdi_recording_abandon(c->record->w);
        c->record->w = NULL;
    }
}

void amdi_record_free(live *c)
{
    struct record_run *rr = c->record;
    if (!rr)
        return;
    amdi_recording_close(rr->w, NULL, NULL, 0);
    free(rr->action);
    free(rr->method);
    free(rr->rs_callback);
    free(rr->rs_method);
    free(rr);
    c->record = NULL;
}

static void status_callback(amdi_calls *e, live *c, unsigned ev, const char *status)
{
    struct record_run *rr = c->record;
    if (!rr->rs_callback || !(rr->rs_events & ev))
        return;
    char *u = amdi_url_resolve(c->doc_url, rr->rs_callback);
    if (!u || (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))) {
        amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_HTTP_URL_INVALID,
                               "<Record recordingStatusCallback> cannot be resolved to an absolute URL");
        free(u);
        return;
    }
    amdi_form f;
    amdi_form_init(&f);
    char url[512], num[32], ts[40];
    amdi_calls_recording_url(e, c, rr->r.sid, url, sizeof url);
    amdi_form_add(&f, "AccountSid", c->rec.account_sid);
    amdi_form_add(&f, "CallSid", c->rec.sid);
    amdi_form_add(&f, "RecordingSid", rr->r.sid);
    amdi_form_add(&f, "RecordingUrl", url);
    amdi_form_add(&f, "RecordingStatus", status);
    snprintf(num, sizeof num, "%lld", (long long)(rr->r.duration_s < 0 ? 0 : rr->r.duration_s));
    amdi_form_add(&f, "RecordingDuration", num);
    amdi_form_add(&f, "RecordingChannels", "1");
    amdi_time_rfc2822(rr->r.start_time, ts, sizeof ts);
    amdi_form_add(&f, "RecordingStartTime", ts);
    amdi_form_add(&f, "RecordingSource", "RecordVerb");
    amdi_form_add(&f, "RecordingTrack", "inbound");
    snprintf(num, sizeof num, "%d", rr->r.error_code);
    amdi_form_add(&f, "ErrorCode", num);
    amdi_calls_send_hook(e, c, K_STATUS, u, rr->rs_method, &f);
    amdi_form_free(&f);
    free(u);
}

int amdi_record_start(amdi_calls *e, live *c)
{
    const amdi_verb *v = &c->doc->v[c->pc];
    amdi_calls_verb_warning(e, c, v);
    struct record_run *rr = calloc(1, sizeof *rr);
    char err[300] = "";
    int rc = AMD_ENOMEM;
    if (rr && !e->recordings_dir) {
        snprintf(err, sizeof err, "no recordings folder configured");
        rc = AMD_ESTATE;
    } else if (rr && !amdi_sid_new("RE", rr->r.sid)) {
        rc = amdi_recording_open(e->recordings_dir, rr->r.sid, c->rate > 0 ? c->rate : 8000, 0, "inbound", &rr->w,
                                 err, sizeof err);
    }
    if (rc) {
        char msg[360];
        snprintf(msg, sizeof msg, "<Record> skipped: %s", err[0] ? err : amd_strerror(rc));
        amdi_calls_event_error(e, c->rec.sid, REC_ERR_NOT_STORED, msg);
        free(rr);
        return -1;
    }
    rr->action = xstrdup(v->action);
    rr->method = xstrdup(v->method);
    rr->rs_callback = xstrdup(v->rs_callback);
    rr->rs_method = xstrdup(v->rs_method);
    rr->rs_events = v->rs_events;
    memcpy(rr->finish_on_key, v->finish_on_key, sizeof rr->finish_on_key);
    rr->timeout_s = v->timeout_s;
    rr->max_length_s = v->max_length_s;
    rr->trim = v->trim;
    snprintf(rr->r.account_sid, sizeof rr->r.account_sid, "%s", c->rec.account_sid);
    snprintf(rr->r.call_sid, sizeof rr->r.call_sid, "%s", c->rec.sid);
    snprintf(rr->r.status, sizeof rr->r.status, "in-progress");
    snprintf(rr->r.track, sizeof rr->r.track, "inbound");
    rr->r.channels = 1;
    rr->r.date_created = rr->r.date_updated = e->now;
    rr->r.start_time = e->now + (v->play_beep ? play_beep(c) : 0);
    rr->r.duration_s = -1;
    c->record = rr;
    if (c->listening) /* a <Gather> listener: this verb needs the VAD too */
        amdi_listen_close(&c->listen);
    c->lpend_n = 0; /* audio queued for a listener before this one */
    rc = amdi_listen_open(&c->listen, c->rate > 0 ? c->rate : 8000, 1, e->now);
    if (rc)
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: <Record> without VAD / in-band keys: %s", c->rec.sid,
                       amd_strerror(rc));
    c->listening = 1;
    amdi_calls_recording_put(e, &rr->r);
    status_callback(e, c, 1, "in-progress");
    return 0;
}

void amdi_record_audio(amdi_calls *e, live *c, const float *pcm, size_t n)
{
    struct record_run *rr = c->record;
    if (!rr || !rr->w || rr->r.error_code || e->now < rr->r.start_time) /* the beep still sounds */
        return;
    if (amdi_recording_write(rr->w, pcm, NULL, n) == AMD_EIO) {
        rr->r.error_code = REC_ERR_NOT_STORED;
        char msg[300];
        snprintf(msg, sizeof msg, "<Record> %s could not be stored whole: %s", rr->r.sid, amdi_recording_error(rr->w));
        amdi_calls_event_error(e, c->rec.sid, REC_ERR_NOT_STORED, msg);
    }
}

/* Keep frames [from, to) of the WAV at @p path (rewritten through a 0600 temporary file).
 * 0, or -1 with the file left as it was. */
static int trim_file(const char *path, int64_t from, int64_t to)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.trim", path);
    SF_INFO in = {0};
    SNDFILE *r = sf_open(path, SFM_READ, &in);
    if (!r)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    SF_INFO out = in;
    SNDFILE *w = fd >= 0 ? sf_open_fd(fd, SFM_WRITE, &out, SF_TRUE) : NULL;
    int ok = w && sf_seek(r, from, SEEK_SET) == from;
    short buf[1024];
    for (int64_t left = to - from; ok && left > 0;) {
        sf_count_t want = left < 1024 ? (sf_count_t)left : 1024;
        sf_count_t got = sf_readf_short(r, buf, want);
        ok = got > 0 && sf_writef_short(w, buf, got) == got;
        left -= got;
    }
    sf_close(r);
    if (w)
        ok = !sf_close(w) && ok;
    else if (fd >= 0)
        close(fd);
    if (ok && !rename(tmp, path))
        return 0;
    unlink(tmp);
    return -1;
}

/* The recording is over: store it, tell the callback, request the action. */
static int end_record(amdi_calls *e, live *c, const char *digits, int request)
{
    struct record_run *rr = c->record;
    int rate = amdi_recording_rate(rr->w);
    int64_t frames = 0;
    char err[200] = "";
    int rc = amdi_recording_close(rr->w, &frames, err, sizeof err);
    rr->w = NULL;
    if (rc && !rr->r.error_code) {
        rr->r.error_code = REC_ERR_NOT_STORED;
        amdi_calls_event_error(e, c->rec.sid, REC_ERR_NOT_STORED, err);
    }
    int64_t pre_trim_s = rate > 0 ? (frames + rate / 2) / rate : 0;
    const amdi_listen *l = &c->listen;
    if (!rc && rr->trim && frames > 0 && l->first_speech_ms >= 0) {
        /* VAD hop times are engine times; the recording began at start_time */
        int64_t from = (l->first_speech_ms - 2 * TRIM_PAD_MS - rr->r.start_time) * rate / 1000;
        int64_t to = (l->last_speech_ms + TRIM_PAD_MS - rr->r.start_time) * rate / 1000;
        from = from < 0 ? 0 : from;
        to = to > frames ? frames : to;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wav", e->recordings_dir, rr->r.sid);
        if (to > from && (from > 0 || to < frames) && !trim_file(path, from, to))
            frames = to - from;
    }
    rr->r.duration_s = rate > 0 ? (frames + rate / 2) / rate : 0;
    snprintf(rr->r.status, sizeof rr->r.status, "%s", rr->r.error_code ? "failed" : "completed");
    rr->r.date_updated = e->now;
    amdi_calls_recording_put(e, &rr->r);
    status_callback(e, c, 2, rr->r.status);
    amdi_listen_close(&c->listen);
    c->listening = 0;
    amdi_form ex;
    amdi_form_init(&ex);
    char url[512], num[32];
    amdi_calls_recording_url(e, c, rr->r.sid, url, sizeof url);
    amdi_form_add(&ex, "RecordingUrl", url);
    amdi_form_add(&ex, "RecordingSid", rr->r.sid);
    snprintf(num, sizeof num, "%lld", (long long)pre_trim_s); /* Twilio: the length before trimming */
    amdi_form_add(&ex, "RecordingDuration", num);
    amdi_form_add(&ex, "Digits", digits);
    char *action = rr->action, *method = rr->method;
    rr->action = rr->method = NULL;
    amdi_record_free(c);
    rc = request ? amdi_calls_request_action(e, c, action, method, &ex) : 0;
    free(action);
    free(method);
    amdi_form_free(&ex);
    return rc;
}

int amdi_record_step(amdi_calls *e, live *c)
{
    struct record_run *rr = c->record;
    char key;
    int rc = 1;
    while (amdi_listen_take(&c->listen, &key)) {
        if (strchr(rr->finish_on_key, key)) {
            char d[2] = {key, 0};
            rc = end_record(e, c, d, 1);
            break;
        }
    }
    if (rc == 1) {
        int64_t ran = e->now - rr->r.start_time;
        int64_t heard = c->listen.last_speech_ms > rr->r.start_time ? c->listen.last_speech_ms : rr->r.start_time;
        if (ran >= (int64_t)rr->max_length_s * 1000 ||
            (rr->timeout_s > 0 && e->now - heard >= (int64_t)rr->timeout_s * 1000))
            rc = end_record(e, c, "", 1);
        else
            return 1;
    }
    if (rc) /* no action URL to request: the next verb runs */
        c->pc++;
    return 0;
}

void amdi_record_hangup(amdi_calls *e, live *c)
{
    if (c->record)
        (void)end_record(e, c, "hangup", 1);
}

void amdi_calls_input_verbs_abort(amdi_calls *e, live *c)
{
    c->gathering = 0;
    if (c->record)
        (void)end_record(e, c, "", 0);
    if (c->listening) {
        amdi_listen_close(&c->listen);
        c->listening = 0;
    }
}
