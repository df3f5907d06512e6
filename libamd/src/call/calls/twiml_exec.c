/* SPDX-License-Identifier: MIT */
/* The TwiML executor: fetching a call's instructions (Url, <Redirect>, FallbackUrl) and
 * running their verbs on the media clock. */
#include "calls_internal.h"

#include <stdio.h>
#include <strings.h>

#include "amd/error.h"
#include "media/dtmf_gen.h"
#include "media/tts_voices.h"
#include "strbuf.h"

/* Resolve @p ref against @p base (absolute refs as they are; "/x" against the origin;
 * otherwise against the base's directory). Caller frees. */
char *amdi_url_resolve(const char *base, const char *ref)
{
    if (!ref)
        return NULL;
    if (!strncasecmp(ref, "http://", 7) || !strncasecmp(ref, "https://", 8) || !base)
        return strdup(ref);
    amdi_buf b;
    amdi_buf_init(&b);
    const char *scheme_end = strstr(base, "://");
    const char *host = scheme_end ? scheme_end + 3 : base;
    const char *path = strchr(host, '/');
    if (ref[0] == '/') {
        amdi_buf_append(&b, base, path ? (size_t)(path - base) : strlen(base));
        amdi_buf_puts(&b, ref);
    } else {
        size_t keep = strlen(base);
        const char *q = strpbrk(host, "?#");
        if (q)
            keep = (size_t)(q - base);
        if (path && path < base + keep) {
            const char *last = base + keep;
            while (last > path && last[-1] != '/')
                last--;
            amdi_buf_append(&b, base, (size_t)(last - base));
        } else {
            amdi_buf_append(&b, base, keep);
            amdi_buf_putc(&b, '/');
        }
        amdi_buf_puts(&b, ref);
    }
    return amdi_buf_take(&b);
}

static void fetch_url_as(amdi_calls *e, live *c, int kind, const char *url, const char *method, const amdi_form *extra,
                         const char *call_status)
{
    if (++c->fetches > MAX_TWIML_FETCHES) {
        char msg[160];
        snprintf(msg, sizeof msg, "more than %d TwiML documents fetched on this call (a <Redirect> loop?); call ended",
                 MAX_TWIML_FETCHES);
        amdi_calls_fail(e, c, ERR_TOO_MANY_REDIRECTS, msg);
        amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
        return;
    }
    amdi_form f;
    amdi_form_init(&f);
    amdi_calls_base_params(e, c, &f, call_status);
    for (size_t i = 0; extra && i < extra->n; i++)
        amdi_form_add(&f, extra->items[i].key, extra->items[i].val);
    c->gen++;
    c->fetching = 1;
    set_str(&c->doc_url, url);
    set_str(&c->doc_method, method);
    amdi_calls_send_hook(e, c, kind, url, method, &f);
    amdi_form_free(&f);
}

static void fetch_url(amdi_calls *e, live *c, int kind, const char *url, const char *method, const amdi_form *extra)
{
    fetch_url_as(e, c, kind, url, method, extra, "in-progress");
}

int amdi_calls_request_action(amdi_calls *e, live *c, const char *action, const char *method, const amdi_form *extra)
{
    /* Twilio: a relative action resolves against the running document; without one, the
     * document itself is requested again; inline Twiml has no URL to resolve against */
    char *u = action ? amdi_url_resolve(c->doc_url, action) : xstrdup(c->doc_url);
    if (!u || (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))) {
        char msg[200];
        snprintf(msg, sizeof msg, "action URL \"%.80s\" is not absolute and the document has no URL to resolve it "
                 "against (inline Twiml); nothing requested", action ? action : "");
        amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_HTTP_URL_INVALID, msg);
        free(u);
        return -1;
    }
    char *m = xstrdup(method ? method : "POST");
    amdi_twiml_free(c->doc);
    c->doc = NULL;
    fetch_url_as(e, c, K_URL, u, m ? m : "POST", extra, c->fsm.phase == AMDI_CS_ANSWERED ? "in-progress" : "completed");
    free(u);
    free(m);
    return 0;
}

void amdi_calls_verb_warning(amdi_calls *e, live *c, const amdi_verb *v)
{
    if (v->warn_code)
        amdi_calls_event_error(e, c->rec.sid, v->warn_code, v->warn);
}

/* TwiML failed (fetch error or invalid document): Fallback once, else end with the error. */
void amdi_calls_instructions_failed(amdi_calls *e, live *c, int kind, int code, const char *msg, const char *failed_url)
{
    amdi_calls_fail(e, c, code, msg);
    if (kind != K_FALLBACK && c->fallback_url) {
        amdi_form ex;
        amdi_form_init(&ex);
        char num[16];
        snprintf(num, sizeof num, "%d", code);
        amdi_form_add(&ex, "ErrorCode", num);
        if (failed_url)
            amdi_form_add(&ex, "ErrorUrl", failed_url);
        fetch_url(e, c, K_FALLBACK, c->fallback_url, c->fallback_method, &ex);
        amdi_form_free(&ex);
        return;
    }
    amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
}

void amdi_calls_load_doc(amdi_calls *e, live *c, int kind, const char *xml, size_t len, const char *src_url)
{
    amdi_twiml *t = NULL;
    char err[200];
    int rc = amdi_twiml_parse(xml, len, &t, err, sizeof err);
    if (rc) {
        int code = rc == AMD_EINVAL ? AMDI_ERR_SCHEMA : AMDI_ERR_DOCUMENT_PARSE;
        char msg[260];
        snprintf(msg, sizeof msg, "invalid TwiML: %s", err);
        amdi_calls_instructions_failed(e, c, kind, code, msg, src_url);
        return;
    }
    amdi_twiml_free(c->doc);
    c->doc = t;
    c->pc = 0;
    c->in_verb = 0;
}

/* Start (or restart, on update) the call's instructions: inline Twiml or the Url. */
void amdi_calls_start_instructions(amdi_calls *e, live *c, const amdi_form *extra)
{
    amdi_outbound_stop(c); /* new instructions cut what our side was playing */
    c->play_id = 0;
    free(c->play_url);
    c->play_url = NULL;
    c->started = 1;
    c->gen++; /* any response still in flight is now stale */
    amdi_calls_input_verbs_abort(e, c);
    c->fetching = 0;
    amdi_twiml_free(c->doc);
    c->doc = NULL;
    if (c->twiml) {
        amdi_calls_load_doc(e, c, K_URL, c->twiml, strlen(c->twiml), NULL);
        return;
    }
    fetch_url(e, c, K_URL, c->url, c->method, extra);
}

void amdi_calls_cut_prompt(live *c)
{
    amdi_outbound_stop(c);
    c->play_id = 0;
    free(c->play_url);
    c->play_url = NULL;
    c->in_verb = 0;
}

/* Take the player's finished sources; 1 when the verb's own source (c->play_id) is among
 * them. Sources of verbs cut by an update or <Redirect> finish as stopped and are dropped. */
static int verb_audio_done(live *c)
{
    int done = 0;
    amdi_player_done d;
    while (c->out && amdi_player_poll(c->out, &d))
        if (c->play_id && d.id == c->play_id) {
            c->play_id = 0;
            done = 1;
        }
    return done;
}

/* Start an audio verb on the call's outbound path: 1 when it now plays (c->play_id set), 0
 * when it was skipped (with its warning) or has nothing to play. */
static int start_audio_verb(amdi_calls *e, live *c, const amdi_verb *v)
{
    int rc = AMD_ENOMEM;
    uint32_t id = 0;
    if (!c->out)
        return 0;
    if (v->kind == AMDI_TW_PAUSE) {
        if (v->length_s <= 0)
            return 0;
        rc = amdi_player_add_silence(c->out, (uint32_t)v->length_s * 1000u, &id);
    } else if (v->kind == AMDI_TW_PLAY && v->digits) {
        size_t bad = 0;
        if (amdi_dtmf_validate(v->digits, &bad)) {
            char msg[120];
            snprintf(msg, sizeof msg, "<Play digits>: invalid digit at position %zu; skipped", bad + 1);
            amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_PLAY_BAD_DIGITS, msg);
            return 0;
        }
        rc = amdi_player_add_digits(c->out, v->digits, &id);
    }
    if (rc) {
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: <%s> not played: %s", c->rec.sid, v->name, amd_strerror(rc));
        return 0;
    }
    c->play_id = id;
    return 1;
}

/* <Play> of a URL: ask the cache (play_media.c) for its audio. 1 when the verb is settled
 * (playing: in_verb 2; or skipped with Twilio's warning: in_verb 0 and pc moved on), 0 while
 * the audio is still being fetched or decoded (in_verb 3, asked again next tick). */
static int play_poll(amdi_calls *e, live *c, const amdi_verb *v)
{
    amdi_pcm *pcm = NULL;
    int code = 0;
    int st = amdi_play_media_lookup(e, c, c->play_url, &pcm, &code);
    if (st == AMDI_CACHE_PENDING)
        return 0;
    uint32_t id = 0;
    int rc = st == AMDI_CACHE_HIT ? amdi_player_add_pcm(c->out, pcm, (unsigned)v->loop, &id) : 0;
    amdi_pcm_unref(pcm);
    if (st == AMDI_CACHE_HIT && !rc) {
        c->in_verb = 2;
        c->play_id = id;
    } else {
        char msg[300];
        if (st == AMDI_CACHE_FAILED)
            snprintf(msg, sizeof msg, "<Play> %.200s: %s; skipped", c->play_url,
                     code == AMDI_TWERR_PLAY_BAD_AUDIO ? "not playable audio (Content-Type or content)"
                                                      : "the audio could not be fetched");
        else
            snprintf(msg, sizeof msg, "<Play>: %s; skipped", rc ? amd_strerror(rc) : "unusable URL");
        amdi_calls_event_error(e, c->rec.sid, st == AMDI_CACHE_FAILED ? code : AMDI_TWERR_HTTP_URL_INVALID, msg);
        c->in_verb = 0;
        c->pc++;
    }
    free(c->play_url);
    c->play_url = NULL;
    return 1;
}

/* Start <Play> of the verb's URL (resolved against the document's); 0 when it was skipped. */
static int start_play(amdi_calls *e, live *c, const amdi_verb *v)
{
    char *u = amdi_url_resolve(c->doc_url ? c->doc_url : c->url, v->text);
    if (!u || (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))) {
        char msg[300];
        snprintf(msg, sizeof msg, "<Play>: '%.200s' is not an absolute http(s) URL; skipped", v->text ? v->text : "");
        amdi_calls_event_error(e, c->rec.sid, AMDI_TWERR_HTTP_URL_INVALID, msg);
        free(u);
        return 0;
    }
    free(c->play_url);
    c->play_url = u;
    c->in_verb = 3;
    return 1;
}

/* Start <Say>: its voice and language resolved (unknown ones warn and fall back), the text
 * queued for synthesis and its stream on the player. 1 when it plays, 0 when skipped (with its
 * warning), 2 when it cannot be spoken here (no synthesizer or player): the caller then waits
 * the text's estimated speaking time in silence, so the call's timing stays. */
static int start_say(amdi_calls *e, live *c, const amdi_verb *v)
{
    amdi_tts *t = amdi_play_media_tts(e);
    int w = amdi_tts_check_text(v->text);
    if (w) {
        amdi_calls_event_error(e, c->rec.sid, w,
                               w == AMDI_TWILIO_SAY_EMPTY ? "<Say>: no text to say; skipped"
                                                          : "<Say>: text longer than 4096 bytes; skipped");
        return 0;
    }
    amdi_tts_voice voice;
    amdi_tts_voice_resolve(v->voice, v->language, &voice);
    char msg[200];
    if (voice.voice_warning) {
        snprintf(msg, sizeof msg, "<Say voice=\"%.60s\">: unknown voice; the default voice speaks", v->voice);
        amdi_calls_event_error(e, c->rec.sid, voice.voice_warning, msg);
    }
    if (voice.language_warning) {
        snprintf(msg, sizeof msg, "<Say language=\"%.40s\">: unsupported language; spoken in %s", v->language,
                 voice.language);
        amdi_calls_event_error(e, c->rec.sid, voice.language_warning, msg);
    }
    if (!t || !c->out) {
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: <Say> silent: %s", c->rec.sid,
                       t ? "no player" : "speech synthesis is unavailable");
        return 2;
    }
    amdi_stream *st = NULL;
    uint32_t id = 0;
    int rc = amdi_tts_say(t, v->text, &voice, v->loop != 1, &st);
    if (!rc) {
        rc = amdi_player_add_stream(c->out, st, (unsigned)v->loop, &id);
        if (rc)
            amdi_stream_cancel(st); /* the worker stops synthesizing it */
        amdi_stream_unref(st);
    }
    if (rc) {
        amdi_calls_log(e, AMD_LOG_ERROR, "call %s: <Say> skipped: %s", c->rec.sid, amd_strerror(rc));
        return 0;
    }
    c->play_id = id;
    return 1;
}

void amdi_calls_run_twiml(amdi_calls *e, live *c)
{
    for (int guard = 0; guard < AMDI_TWIML_MAX_VERBS + 2; guard++) {
        int audio_done = verb_audio_done(c); /* also while fetching: stopped sources are taken */
        if (c->fsm.phase != AMDI_CS_ANSWERED || !c->doc || c->fetching)
            return;
        if (c->gathering && amdi_gather_step(e, c))
            return;
        if (c->record) {
            if (amdi_record_step(e, c))
                return;
            continue;
        }
        if (c->in_verb == 3) { /* <Play> waiting for its audio */
            if (!play_poll(e, c, &c->doc->v[c->pc]))
                return;
            continue;
        }
        if (c->in_verb) {
            if (c->in_verb == 2 ? !audio_done : e->now < c->verb_until)
                return;
            c->in_verb = 0;
            c->pc++;
            continue;
        }
        if (c->pc >= c->doc->n) { /* instructions ran out: the call completes */
            amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
            return;
        }
        const amdi_verb *v = &c->doc->v[c->pc];
        switch (v->kind) {
        case AMDI_TW_PAUSE:
            if (start_audio_verb(e, c, v)) {
                c->in_verb = 2; /* ends when the player says its source finished */
            } else {
                c->in_verb = 1;
                c->verb_until = e->now + amdi_verb_duration_ms(v);
            }
            break;
        case AMDI_TW_PLAY:
            /* digits="…" plays the keys; Twilio ignores the URL then */
            if (v->digits ? start_audio_verb(e, c, v) : c->out ? start_play(e, c, v) : 0)
                c->in_verb = c->in_verb == 3 ? 3 : 2;
            else
                c->pc++;
            break;
        case AMDI_TW_SAY: {
            int r = start_say(e, c, v);
            if (r == 2) {
                c->in_verb = 1;
                c->verb_until = e->now + amdi_verb_duration_ms(v);
            } else if (r) {
                c->in_verb = 2;
            } else {
                c->pc++;
            }
            break;
        }
        case AMDI_TW_GATHER:
            amdi_gather_start(e, c);
            break;
        case AMDI_TW_RECORD:
            if (amdi_record_start(e, c))
                c->pc++;
            break;
        case AMDI_TW_HANGUP:
        case AMDI_TW_REJECT:
            amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
            return;
        case AMDI_TW_REDIRECT: {
            char *u = amdi_url_resolve(c->doc_url ? c->doc_url : c->url, v->text);
            char *m = xstrdup(v->method);
            if (!u || !m) {
                free(u);
                free(m);
                amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_BROKEN, NULL);
                return;
            }
            amdi_twiml_free(c->doc);
            c->doc = NULL;
            fetch_url(e, c, K_URL, u, m, NULL);
            free(u);
            free(m);
            return;
        }
        case AMDI_TW_SKIPPED: {
            char msg[80];
            snprintf(msg, sizeof msg, "<%s> is not supported by this server; skipped", v->name);
            amdi_calls_event_error(e, c->rec.sid, AMDI_ERR_SCHEMA, msg);
            c->pc++;
            break;
        }
        }
    }
}
