/* SPDX-License-Identifier: MIT */
/*
 * The streaming detector: input -> analysis -> tones -> VAD -> utterance
 * bookkeeping -> engine / DetectMessageEnd -> result. Every
 * decision is made on the frame that completes its evidence, inside the
 * process call that delivered that frame's last sample.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beep_detector.h"
#include "detector_internal.h"
#include "diag.h"

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

static void dlog(const amd_config *cfg, amd_log_level lvl, const char *fmt, ...)
{
    if (!cfg->log_fn || lvl > cfg->log_level)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cfg->log_fn(cfg->log_user, lvl, buf);
}

static void result_clear(amd_result *r)
{
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    r->answered_by = AMD_ANSWERED_NONE;
    r->cause = AMD_CAUSE_NONE;
    r->decision_ms = r->machine_known_ms = r->speech_onset_ms = r->greeting_end_ms = -1;
    r->beep_start_ms = r->beep_end_ms = -1;
    r->beep_hz = 0.f;
}

static void evidence_clear(amdi_evidence *e)
{
    memset(e, 0, sizeof *e);
    e->speech_onset_ms = e->utt_start_ms = e->last_speech_end_ms = -1;
}

static void state_reset(amd_detector *d)
{
    amdi_input_reset(&d->in);
    amdi_analysis_reset(&d->an);
    amdi_vad_init(&d->vad);
    amdi_tones_reset(d->tones);
    d->eng->reset(d->eng_state);
    amdi_msgend_reset(&d->me);
    evidence_clear(&d->ev);
    d->have_frame = 0;
    memset(&d->vo, 0, sizeof d->vo);
    memset(d->raw_hist, 0, sizeof d->raw_hist);
    d->raw_hist_frames = 0;
    result_clear(&d->res);
    d->decided = d->machine_known = d->finished = 0;
    d->held = d->msgend_held = 0;
    d->held_since_ms = 0;
    d->lost_run_ms = 0;
    d->gap_cut = 0;
    d->gap_tone = 0;
    d->splice_left = 0;
    d->beep_active = 0;
    d->in_callback = 0;
    amdi_dtmf_reset(&d->dtmf);
}

int amd_detector_create(const amd_config *cfg, amd_detector **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out) {
        amdi_seterr(err, errlen, "out: NULL");
        return AMD_EINVAL;
    }
    *out = NULL;
    int rc = amd_config_validate(cfg, err, errlen);
    if (rc)
        return rc;
    const amdi_engine_vt *eng = amdi_engine_for(cfg->engine);
    if (!eng) {
        amdi_seterr(err, errlen, "engine model: no model loaded (this build has no model engine)");
        return AMD_EINVAL;
    }
    size_t eng_size = eng->state_size(cfg);
    size_t off_an = ALIGN64(sizeof(amd_detector));
    size_t off_tones = off_an + ALIGN64(amdi_analysis_buf_size());
    size_t off_eng = off_tones + ALIGN64(amdi_tones_size());
    size_t total = off_eng + ALIGN64(eng_size);

    void *mem = NULL;
    if (posix_memalign(&mem, 64, total) != 0 || !mem) {
        amdi_seterr(err, errlen, "out of memory");
        return AMD_ENOMEM;
    }
    memset(mem, 0, total);
    amd_detector *d = mem;
    d->cfg = *cfg;
    d->eng = eng;
    d->eng_state = (char *)mem + off_eng;

    rc = amdi_input_init(&d->in, cfg->sample_rate);
    if (rc) {
        amdi_seterr(err, errlen, "sample_rate: resampler could not be created");
        free(mem);
        return rc;
    }
    rc = amdi_analysis_init(&d->an, (char *)mem + off_an);
    if (rc) {
        amdi_seterr(err, errlen, "FFT plan could not be created");
        amdi_input_free(&d->in);
        free(mem);
        return rc;
    }
    d->tones = amdi_tones_init((char *)mem + off_tones, cfg);
    if (!d->tones) {
        amdi_seterr(err, errlen, "tone detectors could not be initialised");
        amdi_analysis_free(&d->an);
        amdi_input_free(&d->in);
        free(mem);
        return AMD_EINTERNAL;
    }
    rc = eng->init(d->eng_state, cfg, err, errlen);
    if (rc) {
        amdi_analysis_free(&d->an);
        amdi_input_free(&d->in);
        free(mem);
        return rc;
    }
    d->mem_bytes = total + amdi_input_extra_memory(&d->in);
    d->ev_mask = AMD_EVENT_MASK_DEFAULT;
    state_reset(d);
    dlog(cfg, AMD_LOG_DEBUG, "detector created: engine %s, mode %s, %d Hz, %zu bytes", eng->name,
         amd_mode_name(cfg->mode), cfg->sample_rate, d->mem_bytes);
    *out = d;
    return 0;
}

void amd_detector_destroy(amd_detector *d)
{
    if (!d)
        return;
    amdi_analysis_free(&d->an);
    amdi_input_free(&d->in);
    free(d);
}

int amd_detector_set_event_callback(amd_detector *d, amd_event_fn fn, void *user)
{
    if (!d)
        return AMD_EINVAL;
    d->ev_fn = fn;
    d->ev_user = fn ? user : NULL;
    return 0;
}

int amd_detector_set_frame_callback(amd_detector *d, amd_frame_fn fn, void *user)
{
    if (!d)
        return AMD_EINVAL;
    d->fr_fn = fn;
    d->fr_user = fn ? user : NULL;
    return 0;
}

/*
 * The analysis goes on after the final decision while a frame callback is set
 * or a signal event is selected (detector.h).
 */
static int keeps_running(const amd_detector *d)
{
    return d->fr_fn != NULL || (d->ev_fn && (d->ev_mask & AMD_EVENT_MASK_SIGNALS));
}

/* Deliver @p ev if selected; @p info (may be NULL for the decision events) is what
 * amd_detector_event_info() reports during the call. */
static void deliver(amd_detector *d, amd_event ev, const amd_result *r, const amd_event_info *info)
{
    if (!d->ev_fn || !(d->ev_mask & AMD_EVENT_BIT(ev)))
        return;
    if (info) {
        d->ev_info = *info;
    } else {
        memset(&d->ev_info, 0, sizeof d->ev_info);
        d->ev_info.time_ms = d->ev_info.detected_ms = r->decision_ms;
        d->ev_info.end_ms = -1;
        d->ev_info.cause = r->cause;
    }
    d->ev_info.event = ev;
    d->in_callback = 1;
    d->ev_fn(d->ev_user, ev, r);
    d->in_callback = 0;
}

/* A signal event with the result so far (as amd_detector_result gives it). */
static void signal_event(amd_detector *d, amd_event ev, int64_t time_ms, int64_t end_ms, float hz, float hz2,
                         char digit, amd_cause cause)
{
    if (!d->ev_fn || !(d->ev_mask & AMD_EVENT_BIT(ev)))
        return;
    amd_event_info info;
    memset(&info, 0, sizeof info);
    info.time_ms = time_ms;
    info.end_ms = end_ms;
    info.detected_ms = d->ev.t_ms;
    info.hz = hz;
    info.hz2 = hz2;
    info.digit = digit;
    info.cause = cause;
    amd_result r = d->res;
    if (!d->decided)
        r.speech_onset_ms = d->ev.speech_onset_ms;
    deliver(d, ev, &r, &info);
}

int amd_detector_set_event_mask(amd_detector *d, unsigned mask)
{
    if (!d)
        return AMD_EINVAL;
    unsigned all = AMD_EVENT_MASK_DEFAULT | AMD_EVENT_MASK_SIGNALS;
    if (mask & ~all)
        return AMD_EINVAL;
    if ((mask & AMD_EVENT_BIT(AMD_EVENT_DTMF)) && !(d->ev_mask & AMD_EVENT_BIT(AMD_EVENT_DTMF)))
        amdi_dtmf_reset(&d->dtmf);
    d->ev_mask = mask;
    return 0;
}

int amd_detector_event_info(const amd_detector *d, amd_event_info *out)
{
    if (!d || !out)
        return AMD_EINVAL;
    if (!d->in_callback) {
        memset(out, 0, sizeof *out);
        out->time_ms = out->end_ms = out->detected_ms = -1;
        return 0;
    }
    *out = d->ev_info;
    return 1;
}

/* ---- decisions ---- */

static void fill_common(amd_detector *d, int64_t t_ms)
{
    d->res.decision_ms = t_ms;
    d->res.speech_onset_ms = d->ev.speech_onset_ms;
}

static void final_decision(amd_detector *d, int64_t t_ms)
{
    fill_common(d, t_ms);
    if (d->res.answered_by == AMD_ANSWERED_UNKNOWN || d->res.answered_by == AMD_ANSWERED_FAX ||
        d->res.answered_by == AMD_ANSWERED_HUMAN)
        d->res.greeting_end_ms = -1;
    d->decided = 1;
    dlog(&d->cfg, AMD_LOG_INFO, "decision %s (%s, %.2f) at %lld ms",
         amd_answered_by_name(d->res.answered_by), amd_cause_name(d->res.cause),
         (double)d->res.confidence, (long long)t_ms);
    deliver(d, AMD_EVENT_DECISION, &d->res, NULL);
}

static void decide(amd_detector *d, amd_answered_by a, amd_cause c, float conf, int64_t t_ms)
{
    d->res.answered_by = a;
    d->res.cause = c;
    d->res.confidence = amdi_clamp01(conf);
    final_decision(d, t_ms);
}

/* DetectMessageEnd: the machine is known; raise the provisional event. */
static void provisional(amd_detector *d, amd_cause c, float conf)
{
    d->machine_known = 1;
    d->res.machine_known_ms = d->ev.t_ms;
    d->res.speech_onset_ms = d->ev.speech_onset_ms;
    amdi_msgend_start(&d->me, &d->ev);
    dlog(&d->cfg, AMD_LOG_INFO, "machine known (%s) at %lld ms", amd_cause_name(c), (long long)d->ev.t_ms);
    if (d->ev_fn) {
        amd_result r = d->res;
        r.answered_by = AMD_ANSWERED_MACHINE_START;
        r.cause = c;
        r.confidence = amdi_clamp01(conf);
        r.decision_ms = d->ev.t_ms;
        deliver(d, AMD_EVENT_MACHINE_PROVISIONAL, &r, NULL);
    }
}

static amd_cause fax_cause(amdi_tone_kind k)
{
    switch (k) {
    case AMDI_TONE_FAX_CED: return AMD_CAUSE_FAX_CED;
    case AMDI_TONE_FAX_ANSAM: return AMD_CAUSE_FAX_ANSAM;
    case AMDI_TONE_FAX_CNG: return AMD_CAUSE_FAX_CNG;
    case AMDI_TONE_FAX_V21: return AMD_CAUSE_FAX_V21;
    default: return AMD_CAUSE_NONE;
    }
}

/*
 * Fraction of the frames inside [start_ms, end_ms) that the VAD called speech.
 * A beep heard over voiced speech is a sung or sustained vowel, not the end of
 * a greeting: ending on it would start the message over the greeting.
 */
static float speech_overlap(const amd_detector *d, int64_t start_ms, int64_t end_ms)
{
    int64_t f0 = start_ms / AMDI_HOP_MS, f1 = end_ms / AMDI_HOP_MS; /* frame k ends at (k+1)*10 */
    int64_t oldest = d->raw_hist_frames - AMDI_RAW_HIST;
    if (f0 < oldest)
        f0 = oldest;
    if (f0 < 0)
        f0 = 0;
    if (f1 > d->raw_hist_frames)
        f1 = d->raw_hist_frames;
    if (f1 <= f0)
        return 0.f;
    int n = 0;
    for (int64_t k = f0; k < f1; k++)
        n += (d->raw_hist[(k % AMDI_RAW_HIST) / 8] >> (k % 8)) & 1;
    return (float)n / (float)(f1 - f0);
}

/* The same over a beep's tones only: a chain's gaps (a double beep over babble) do not count. */
static float beep_speech_overlap(const amd_detector *d, const amdi_tone_event *e)
{
    if (e->n_parts <= 1)
        return speech_overlap(d, e->start_ms, e->end_ms);
    float n = 0.f, len = 0.f;
    for (int i = 0; i < e->n_parts; i++) {
        float l = (float)(e->part_end_ms[i] - e->part_start_ms[i]);
        n += l * speech_overlap(d, e->part_start_ms[i], e->part_end_ms[i]);
        len += l;
    }
    return len > 0.f ? n / len : 0.f;
}

/* A beep must not overlap VAD speech by more than this fraction (see speech_overlap). */
#define AMDI_BEEP_MAX_SPEECH 0.25f

/* Fax, SIT and a beep before any decision: the same in every engine. Returns 1 if decided. */
static int tone_rules(amd_detector *d)
{
    const amdi_evidence *ev = &d->ev;
    int dme = d->cfg.mode == AMD_MODE_DETECT_MESSAGE_END;
    for (int i = 0; i < ev->n_tone_events; i++) {
        const amdi_tone_event *e = &ev->tone_events[i];
        amd_cause fc = fax_cause(e->kind);
        if (fc != AMD_CAUSE_NONE && d->cfg.detect_fax) {
            decide(d, AMD_ANSWERED_FAX, fc, 0.95f, ev->t_ms);
            return 1;
        }
        if (e->kind == AMDI_TONE_SIT && d->cfg.detect_sit) {
            if (dme) {
                if (!d->machine_known)
                    provisional(d, AMD_CAUSE_SIT, 0.9f);
                /* a carrier intercept has no message to leave: the greeting is over */
                decide(d, AMD_ANSWERED_MACHINE_END_OTHER, AMD_CAUSE_SIT, 0.9f, ev->t_ms);
            } else {
                decide(d, AMD_ANSWERED_MACHINE_START, AMD_CAUSE_SIT, 0.9f, ev->t_ms);
            }
            return 1;
        }
        if (e->kind == AMDI_TONE_BEEP && !d->machine_known) {
            d->res.beep_start_ms = e->start_ms;
            d->res.beep_end_ms = e->end_ms;
            d->res.beep_hz = e->hz;
            d->res.greeting_end_ms = ev->speech_onset_ms >= 0 && ev->last_speech_end_ms <= e->start_ms
                                         ? ev->last_speech_end_ms
                                         : -1;
            if (dme) {
                provisional(d, AMD_CAUSE_BEEP, 0.9f);
                decide(d, AMD_ANSWERED_MACHINE_END_BEEP, AMD_CAUSE_BEEP, 0.9f, ev->t_ms);
            } else {
                decide(d, AMD_ANSWERED_MACHINE_START, AMD_CAUSE_BEEP, 0.9f, ev->t_ms);
            }
            return 1;
        }
    }
    return 0;
}

/*
 * Tone hold. The timing rule says "human" speech_end_threshold_ms after a short
 * utterance; a short greeting ("please leave a message") is often followed by
 * its beep just then, and the beep event only arrives on the beep's trailing
 * edge plus its chain gap (~350 ms, tones.h). Deciding "human" there answers a
 * voicemail as a live call, and in DetectMessageEnd a silence end there starts
 * the message over the beep. A fax or SIT that starts right after a short
 * utterance is the same case. So while amdi_tones_pending() (a beep playing or
 * waiting to be reported, a fax candidate, a SIT forming) a human / unknown
 * verdict and the greeting-silence end are held; a tone event decides the call
 * instead, or the verdict is released on the first frame the flag clears
 * (decision_ms = that frame). When no tone is pending nothing changes.
 * Bounded: a pending flag cannot hold a verdict longer than AMDI_TONE_HOLD_MS
 * (an answering-machine beep lasts up to ~1.2 s, plus its gap; a CED / CNG is
 * confirmed within ~2.5 s of its start), and never past the timeout.
 */
#define AMDI_TONE_HOLD_MS 3000

/* Nonzero if a verdict first held at d->held_since_ms may stay held on the frame ending at t_ms. */
static int tone_pending(const amd_detector *d)
{
    /* e.tone_active adds the VAD's own steady-tone check: a dual-tone beep with two equal
       components is not "active" for the beep detector's purity test until it ends */
    return amdi_tones_pending(d->tones) || d->ev.tone_active;
}

static int may_hold(const amd_detector *d, int64_t t_ms)
{
    return tone_pending(d) && t_ms < (int64_t)d->cfg.timeout_ms && t_ms - d->held_since_ms < AMDI_TONE_HOLD_MS;
}

/* ---- the per-frame pipeline ---- */

static void bookkeeping(amd_detector *d, const amdi_frame *f, const amdi_vad_out *vo)
{
    amdi_evidence *e = &d->ev;
    int64_t t = f->end_ms;
    if (vo->onset) {
        if (e->speech_onset_ms < 0)
            e->speech_onset_ms = vo->onset_ms;
        if (e->utt_start_ms < 0 ||
            vo->onset_ms - e->last_speech_end_ms >= (int64_t)d->cfg.speech_end_threshold_ms) {
            e->utt_start_ms = vo->onset_ms;
            e->utt_speech_ms = 0;
            e->utt_active_ms = 0;
            e->n_utterances++;
        }
        e->n_runs++;
        e->in_speech = 1;
        /* the confirming hops were speech */
        e->utt_speech_ms += t - vo->onset_ms - AMDI_HOP_MS;
        e->utt_active_ms += t - vo->onset_ms - AMDI_HOP_MS;
        e->total_speech_ms += t - vo->onset_ms - AMDI_HOP_MS;
    }
    if (e->in_speech && vo->raw) {
        e->last_speech_end_ms = t;
        e->utt_speech_ms += AMDI_HOP_MS;
        e->total_speech_ms += AMDI_HOP_MS;
    }
    if (vo->speech && e->utt_start_ms >= 0)
        e->utt_active_ms += AMDI_HOP_MS;
    if (vo->offset)
        e->in_speech = 0;
    e->silence_ms = e->speech_onset_ms >= 0 ? t - e->last_speech_end_ms : t;
}

static void emit_frame_info(amd_detector *d, const char *state)
{
    amd_frame_info fi;
    fi.struct_size = sizeof fi;
    fi.time_ms = d->ev.t_ms;
    fi.level_db = d->ev.level_db;
    fi.noise_floor_db = d->ev.noise_db;
    fi.speech_prob = d->ev.speech_prob;
    fi.speech = d->ev.speech;
    fi.tone_hz = d->ev.tone_hz;
    fi.tone_kind = d->ev.tone_kind;
    fi.state = state;
    d->fr_fn(d->fr_user, &fi);
}

static const char *state_name(const amd_detector *d)
{
    if (d->decided)
        return amd_answered_by_name(d->res.answered_by);
    if (d->machine_known)
        return amdi_msgend_state(&d->me, &d->ev);
    return d->eng->state_name(d->eng_state);
}

static int after_frame(amd_detector *d, int was_decided);
static int held_hop(amd_detector *d, int64_t t, int was_decided);

static amd_cause fax_cause(amdi_tone_kind k);

/* The signal events of one heard hop (only called while one is selected). */
static void signal_events(amd_detector *d, const amdi_frame *f, const amdi_vad_out *vo, int tact,
                          const char *tkind, float thz)
{
    if (vo->onset)
        signal_event(d, AMD_EVENT_SPEECH_ONSET, vo->onset_ms, -1, 0.f, 0.f, 0, AMD_CAUSE_NONE);
    int beep = tact && tkind && !strcmp(tkind, "beep");
    if (beep && !d->beep_active) /* marked active within its first 20..40 ms (tones.c) */
        signal_event(d, AMD_EVENT_BEEP_START, f->end_ms - AMDI_HOP_MS, -1, thz, 0.f, 0, AMD_CAUSE_NONE);
    d->beep_active = beep;
    for (int i = 0; i < d->ev.n_tone_events; i++) {
        const amdi_tone_event *t = &d->tev[i];
        if (t->kind == AMDI_TONE_BEEP)
            signal_event(d, AMD_EVENT_BEEP_END, t->start_ms, t->end_ms, t->hz, 0.f, 0, AMD_CAUSE_BEEP);
        else if (t->kind == AMDI_TONE_SIT)
            signal_event(d, AMD_EVENT_SIT, t->start_ms, t->end_ms, t->hz, 0.f, 0, AMD_CAUSE_SIT);
        else if (fax_cause(t->kind) != AMD_CAUSE_NONE)
            signal_event(d, AMD_EVENT_FAX_TONE, t->start_ms, t->end_ms, t->hz, 0.f, 0, fax_cause(t->kind));
    }
    if (d->ev_mask & AMD_EVENT_BIT(AMD_EVENT_DTMF)) {
        amdi_dtmf_digit dg;
        if (amdi_dtmf_frame(&d->dtmf, f, &dg))
            signal_event(d, AMD_EVENT_DTMF, dg.start_ms, -1, dg.low_hz, dg.high_hz, dg.digit, AMD_CAUSE_NONE);
    }
}

/*
 * Packet-loss concealment for the tone detectors. The first hops heard after a
 * gap are analysed in a window that still holds audio from before it: a steady
 * tone spliced to itself with a phase jump, whose spectrum splatters (the tone
 * frames the beep detector needs fail, its segment is cut at the gap or its
 * pitch statistics drift). While a tone was playing when the gap began and the
 * new hop's energy says it still plays (within 3 dB), the tone detectors see
 * the spectrum heard before the gap again, at the new hop's energy and time;
 * the time-domain hop, the level and the VAD are the real ones. Lossless audio
 * never gets here (splice_left is only set after a lost hop).
 */
static const amdi_frame *splice_tone_frame(amd_detector *d, const amdi_frame *f, amdi_frame *out, float *power)
{
    if (d->splice_left <= 0)
        return f;
    d->splice_left--;
    float ge = d->gap_frame.energy;
    if (!d->gap_tone || !(f->energy >= 0.5f * ge && f->energy <= 2.f * ge))
        return f;
    float g = ge > 0.f ? f->energy / ge : 1.f;
    for (int k = 0; k < AMDI_BINS; k++)
        power[k] = d->gap_power[k] * g;
    *out = *f;
    out->power = power;
    out->concealed = 1;
    return out;
}

/*
 * A steady tone's first hops, before the tone detectors flag it (amdi_tones_active
 * comes on at its 3rd..4th tone frame): the beep detector tracks a segment that
 * the last heard hop continued, with at least two tone frames.
 */
static int tone_starting(const amd_detector *d, const amdi_frame *f)
{
    const amdi_beep_seg *s = &amdi_tones_beep(d->tones)->seg;
    return s->on && s->last == f->index && s->n_good >= 2;
}

/* The first hop of a gap: keep what was heard last (its spectrum is overwritten by the next hop). */
static void gap_begin(amd_detector *d)
{
    if (d->splice_left > 0 && d->gap_tone)
        return; /* the last hop heard was itself spliced: the frame before the previous gap stays */
    const amdi_frame *f = d->ev.frame;
    d->gap_frame = *f;
    memcpy(d->gap_power, f->power, sizeof d->gap_power);
    d->gap_frame.power = d->gap_power;
    d->gap_tone = d->ev.tone_active || tone_starting(d, f);
}

/*
 * One hop. Returns 1 when the final decision is made (stop consuming) - unless a
 * frame callback is set: then the signal path (analysis, tones, VAD, evidence)
 * keeps running to the end of the audio so a trace or a VAD score covers the
 * whole call, while the decision, its result and its events stay as they were
 * (no rule, engine or message-end logic runs after the decision).
 */
static int on_hop(void *user, const float *hop)
{
    amd_detector *d = user;
    int was_decided = d->decided;
    const amdi_frame *f = amdi_analysis_hop(&d->an, hop);
    if (d->lost_run_ms > 0)
        d->splice_left = AMDI_WIN / AMDI_HOP; /* hops whose window holds audio from before the gap */
    d->lost_run_ms = 0;
    d->gap_cut = 0;
    int spliced_hop = d->splice_left > 0;
    amdi_frame spliced;
    float spliced_power[AMDI_BINS];
    int n_ev = amdi_tones_frame(d->tones, splice_tone_frame(d, f, &spliced, spliced_power), d->tev);
    float thz = 0.f;
    const char *tkind = NULL;
    int tact = amdi_tones_active(d->tones, &thz, &tkind);

    amdi_vad_out *vo = &d->vo;
    amdi_vad_frame(&d->vad, &d->an, f, tact, vo);

    amdi_evidence *e = &d->ev;
    e->frame = f;
    e->t_ms = f->end_ms;
    e->level_db = f->level_db;
    e->noise_db = vo->noise_db;
    e->background_db = vo->bg_db;
    e->snr_db = vo->snr_db;
    e->mean_abs = f->mean_abs;
    e->speech_prob = vo->prob;
    e->speech_raw = vo->raw;
    e->speech = vo->speech;
    e->tone_active = tact || vo->tonal;
    e->tone_hz = tact ? thz : vo->tonal_hz;
    /* the VAD's own steady-tone check gives a frequency but no kind (detector.h lists the kinds) */
    e->tone_kind = tact ? tkind : NULL;
    e->tone_events = d->tev;
    e->n_tone_events = n_ev < 0 ? 0 : (n_ev > AMDI_TONES_MAX_EVENTS ? AMDI_TONES_MAX_EVENTS : n_ev);
    e->lost = 0;
    e->spliced = spliced_hop;
    bookkeeping(d, f, vo);
    d->have_frame = 1;
    {
        int64_t k = f->index;
        uint8_t *byte = &d->raw_hist[(k % AMDI_RAW_HIST) / 8];
        uint8_t bit = (uint8_t)(1u << (k % 8));
        *byte = vo->raw ? (uint8_t)(*byte | bit) : (uint8_t)(*byte & ~bit);
        d->raw_hist_frames = k + 1;
    }
    /* drop beeps heard over speech (see speech_overlap) before any rule sees them */
    {
        int m = 0;
        for (int i = 0; i < e->n_tone_events; i++) {
            if (d->tev[i].kind == AMDI_TONE_BEEP &&
                beep_speech_overlap(d, &d->tev[i]) > AMDI_BEEP_MAX_SPEECH) {
                dlog(&d->cfg, AMD_LOG_DEBUG, "beep %lld..%lld ms ignored: over speech",
                     (long long)d->tev[i].start_ms, (long long)d->tev[i].end_ms);
                continue;
            }
            d->tev[m++] = d->tev[i];
        }
        e->n_tone_events = m;
    }
    if (d->ev_fn && (d->ev_mask & AMD_EVENT_MASK_SIGNALS))
        signal_events(d, f, vo, tact, tkind, thz);
    return after_frame(d, was_decided);
}

/*
 * A lost hop: the evidence of the last heard hop is held - speech for up to
 * AMD_LOST_HOLD_MS of loss, then the speech run is ended and the rest is silence
 * at the noise floor; a steady tone is held for the tone detectors likewise.
 */
static int held_hop(amd_detector *d, int64_t t, int was_decided)
{
    amdi_evidence *e = &d->ev;
    e->t_ms = t;
    e->lost = 1;
    e->spliced = 0;
    e->n_tone_events = 0;
    amdi_vad_out *vo = &d->vo;
    vo->onset = vo->offset = 0;
    if (d->lost_run_ms <= AMD_LOST_HOLD_MS)
        amdi_vad_lost(&d->vad);
    if (d->lost_run_ms > AMD_LOST_HOLD_MS) {
        if (!d->gap_cut) {
            amdi_vad_gap(&d->vad, vo); /* first hop past the hold: end the speech run */
            d->gap_cut = 1;
        }
        e->speech_raw = e->speech = 0;
        e->speech_prob = 0.f;
        e->level_db = e->noise_db;
        e->snr_db = 0.f;
        e->mean_abs = 0.f;
        e->tone_active = 0;
        e->tone_hz = 0.f;
        e->tone_kind = NULL;
    }
    /* held: vo->raw / vo->speech as on the last heard hop (or cleared above) */
    amdi_frame held = *e->frame;
    held.index = t / AMDI_HOP_MS - 1;
    held.end_ms = t;
    if (e->tone_active || (d->gap_tone && !d->gap_cut)) {
        /* a steady tone (beep, fax, SIT) was playing, or starting: the tone detectors see it go
         * on through the gap (the last heard frame again), so a lost packet does not cut a beep
         * in two, nor a fax CNG tone's first hops off (the rest, then a shorter tone after
         * "activity", would pass for a beep) */
        amdi_frame tf = d->gap_frame;
        tf.index = held.index;
        tf.end_ms = held.end_ms;
        tf.concealed = 1;
        int n_ev = amdi_tones_frame(d->tones, &tf, d->tev);
        e->n_tone_events = n_ev < 0 ? 0 : (n_ev > AMDI_TONES_MAX_EVENTS ? AMDI_TONES_MAX_EVENTS : n_ev);
    }
    bookkeeping(d, &held, vo);
    {
        int64_t k = held.index;
        uint8_t *byte = &d->raw_hist[(k % AMDI_RAW_HIST) / 8];
        uint8_t bit = (uint8_t)(1u << (k % 8));
        *byte = vo->raw ? (uint8_t)(*byte | bit) : (uint8_t)(*byte & ~bit);
        d->raw_hist_frames = k + 1;
    }
    return after_frame(d, was_decided);
}

/* A lost hop (amd_detector_process_lost): the clock advances, nothing is analysed. */
static int on_lost_hop(amd_detector *d)
{
    int was_decided = d->decided;
    int64_t t = amdi_analysis_skip(&d->an);
    d->lost_run_ms += AMDI_HOP_MS;
    if (d->lost_run_ms == AMDI_HOP_MS && d->have_frame)
        gap_begin(d);
    if (!d->have_frame) {
        /* nothing heard yet: only the clock runs (the timeout still applies) */
        if (!was_decided && t >= d->cfg.timeout_ms) {
            d->ev.t_ms = t;
            decide(d, AMD_ANSWERED_UNKNOWN, AMD_CAUSE_TIMEOUT, 0.5f, t);
        }
        return d->decided && !keeps_running(d);
    }
    return held_hop(d, t, was_decided);
}

/* The decision logic of one hop (heard or lost), after its evidence is complete. */
static int after_frame(amd_detector *d, int was_decided)
{
    amdi_evidence *e = &d->ev;

    const char *state = NULL;
    if (was_decided) {
        if (d->fr_fn)
            emit_frame_info(d, state_name(d));
        return keeps_running(d) ? 0 : 1;
    }
    if (!tone_rules(d)) {
        amdi_engine_decision dec;
        if (!d->machine_known && d->held) {
            /* an engine verdict held for a pending tone (see AMDI_TONE_HOLD_MS); the engine is
             * not called again after its verdict (engine.h) */
            state = "hold-tone";
            if (!may_hold(d, e->t_ms)) {
                d->held = 0;
                decide(d, d->held_dec.answered_by, d->held_dec.cause, d->held_dec.confidence, e->t_ms);
            }
        } else if (!d->machine_known) {
            state = d->eng->state_name(d->eng_state);
            memset(&dec, 0, sizeof dec);
            if (d->eng->frame(d->eng_state, e, &dec)) {
                if (dec.answered_by == AMD_ANSWERED_MACHINE_START &&
                    d->cfg.mode == AMD_MODE_DETECT_MESSAGE_END) {
                    provisional(d, dec.cause, dec.confidence);
                } else if (dec.answered_by != AMD_ANSWERED_MACHINE_START &&
                           tone_pending(d) && e->t_ms < (int64_t)d->cfg.timeout_ms) {
                    d->held = 1;
                    d->held_dec = dec;
                    d->held_since_ms = e->t_ms;
                    state = "hold-tone";
                    dlog(&d->cfg, AMD_LOG_DEBUG, "%s held at %lld ms: a tone is pending",
                         amd_answered_by_name(dec.answered_by), (long long)e->t_ms);
                } else {
                    decide(d, dec.answered_by, dec.cause, dec.confidence, e->t_ms);
                }
            }
        }
        if (!d->decided && d->machine_known) {
            amd_result before = d->res;
            if (amdi_msgend_frame(&d->me, &d->cfg, e, &d->res)) {
                int hold = 0;
                if (d->res.answered_by == AMD_ANSWERED_MACHINE_END_SILENCE) {
                    if (!d->msgend_held)
                        d->held_since_ms = e->t_ms;
                    /* a beep (or fax / SIT) may be about to end the greeting instead */
                    hold = may_hold(d, e->t_ms);
                }
                d->msgend_held = hold;
                if (hold)
                    d->res = before;
                else
                    final_decision(d, e->t_ms);
            } else {
                d->msgend_held = 0;
            }
        }
        if (!d->decided && e->t_ms >= d->cfg.timeout_ms) {
            if (d->machine_known) {
                decide(d, AMD_ANSWERED_MACHINE_END_OTHER, AMD_CAUSE_TIMEOUT, 0.6f, e->t_ms);
            } else {
                memset(&dec, 0, sizeof dec);
                if (d->eng->finish(d->eng_state, e, 1, &dec) && dec.answered_by != AMD_ANSWERED_UNKNOWN) {
                    if (dec.answered_by == AMD_ANSWERED_MACHINE_START &&
                        d->cfg.mode == AMD_MODE_DETECT_MESSAGE_END) {
                        provisional(d, dec.cause, dec.confidence);
                        decide(d, AMD_ANSWERED_MACHINE_END_OTHER, AMD_CAUSE_TIMEOUT, 0.5f, e->t_ms);
                    } else {
                        decide(d, dec.answered_by, dec.cause, dec.confidence, e->t_ms);
                    }
                } else {
                    decide(d, AMD_ANSWERED_UNKNOWN, AMD_CAUSE_TIMEOUT, 0.5f, e->t_ms);
                }
            }
        }
    }
    if (d->fr_fn)
        emit_frame_info(d, d->decided ? state_name(d)
                                      : (e->lost ? "lost" : (state && !d->machine_known ? state : state_name(d))));
    return d->decided && !keeps_running(d);
}

static int process(amd_detector *d, amdi_sample_fmt fmt, const void *data, size_t n)
{
    if (!d || (!data && n > 0))
        return AMD_EINVAL;
    if (d->finished)
        return AMD_ESTATE;
    if (d->decided && !keeps_running(d)) {
        d->in.samples_in += (int64_t)n; /* ignored cheaply (detector.h) */
        return 1;
    }
    if (n == 0)
        return d->decided;
    if (amdi_input_push(&d->in, fmt, data, n, on_hop, d))
        return 1;
    return d->decided;
}

int amd_detector_process_s16(amd_detector *d, const int16_t *s, size_t n)
{
    return process(d, AMDI_FMT_S16, s, n);
}

int amd_detector_process_float(amd_detector *d, const float *s, size_t n)
{
    if (d && s && amdi_input_has_nonfinite(s, n))
        return AMD_EINVAL; /* whole chunk rejected, state unchanged (detector.h) */
    return process(d, AMDI_FMT_FLOAT, s, n);
}

int amd_detector_process_ulaw(amd_detector *d, const uint8_t *b, size_t n)
{
    return process(d, AMDI_FMT_ULAW, b, n);
}

int amd_detector_process_alaw(amd_detector *d, const uint8_t *b, size_t n)
{
    return process(d, AMDI_FMT_ALAW, b, n);
}

/* One hour of samples at the input rate: the most one amd_detector_process_lost call takes. */
#define AMDI_LOST_MAX_S 3600

int amd_detector_process_lost(amd_detector *d, size_t n)
{
    if (!d || n > (size_t)d->cfg.sample_rate * AMDI_LOST_MAX_S)
        return AMD_EINVAL;
    if (d->finished)
        return AMD_ESTATE;
    int64_t hops = amdi_input_lost(&d->in, n);
    if (d->decided && !keeps_running(d))
        return 1;
    for (; hops > 0; hops--)
        if (on_lost_hop(d))
            return 1;
    return d->decided;
}

int amd_detector_finish(amd_detector *d)
{
    if (!d)
        return AMD_EINVAL;
    if (d->finished)
        return 1;
    if (!d->decided || keeps_running(d))
        amdi_input_flush(&d->in, on_hop, d);
    d->finished = 1;
    if (d->decided)
        return 1;
    int64_t t = amd_detector_time_ms(d);
    if (d->have_frame && d->ev.t_ms > t)
        t = d->ev.t_ms;
    const amdi_evidence *ev = d->have_frame ? &d->ev : NULL;
    if (d->machine_known) {
        amdi_msgend_finish(&d->me, &d->cfg, ev, &d->res);
        final_decision(d, t);
        return 1;
    }
    if (d->held) {
        /* the audio ended while a verdict waited for a tone that never came */
        d->held = 0;
        decide(d, d->held_dec.answered_by, d->held_dec.cause, d->held_dec.confidence, t);
        return 1;
    }
    amdi_engine_decision dec;
    memset(&dec, 0, sizeof dec);
    if (d->eng->finish(d->eng_state, ev, 0, &dec) && dec.answered_by != AMD_ANSWERED_UNKNOWN) {
        if (dec.answered_by == AMD_ANSWERED_MACHINE_START && d->cfg.mode == AMD_MODE_DETECT_MESSAGE_END) {
            provisional(d, dec.cause, dec.confidence);
            amdi_msgend_finish(&d->me, &d->cfg, ev, &d->res);
            final_decision(d, t);
        } else {
            decide(d, dec.answered_by, dec.cause, dec.confidence, t);
        }
    } else {
        decide(d, AMD_ANSWERED_UNKNOWN, AMD_CAUSE_HANGUP, 0.5f, t);
    }
    return 1;
}

int amd_detector_reset(amd_detector *d)
{
    if (!d)
        return AMD_EINVAL;
    state_reset(d);
    return 0;
}

/* The first release's amd_result ended with beep_hz: no caller's struct is smaller. */
#define AMDI_RESULT_MIN_SIZE (offsetof(amd_result, beep_hz) + sizeof(float))

int amd_detector_result_sized(const amd_detector *d, amd_result *out, size_t out_size)
{
    if (!out || out_size < AMDI_RESULT_MIN_SIZE)
        return AMD_EINVAL;
    amd_result r;
    int rc;
    if (!d) {
        result_clear(&r);
        rc = AMD_EINVAL;
    } else {
        r = d->res;
        if (!d->decided)
            r.speech_onset_ms = d->ev.speech_onset_ms;
        rc = d->decided ? 1 : 0;
    }
    /* Fields are only appended: the caller's struct is a prefix of ours, or ours of theirs. */
    r.struct_size = out_size < sizeof r ? out_size : sizeof r;
    memcpy(out, &r, r.struct_size);
    return rc;
}

int64_t amd_detector_time_ms(const amd_detector *d)
{
    if (!d)
        return 0;
    return d->in.samples_in * 1000 / d->in.rate;
}

size_t amd_detector_memory(const amd_detector *d) { return d ? d->mem_bytes : 0; }
