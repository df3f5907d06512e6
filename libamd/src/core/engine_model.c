/* SPDX-License-Identifier: MIT */
/*
 * The model engine (AMD_ENGINE_MODEL): a trained classifier over streaming
 * features (model_features.h) that decides as soon as it is confident, with
 * the timing rules (engine_timing.c, run alongside on the same evidence) as
 * the fallback and the outer bound.
 *
 * How it decides, frame by frame (policy parameters come from the model file,
 * tuned on the dev split by models/train.py; model.h lists them):
 *   - P = P(machine | features so far) is evaluated every EVAL_EVERY (10) frames
 *     and on every frame where a decision could be taken.
 *   - Early machine: after at least MIN_MACHINE_MS since the first onset,
 *     P >= P_MACHINE -> machine_start, cause `model`.
 *   - Early human: once an utterance has been followed by HUMAN_GAP_MS of
 *     silence (shorter than the speech-end threshold), P <= P_HUMAN -> human,
 *     cause `model`. This is what saves long live answers ("hello, this is
 *     ... speaking") from the speech threshold: the pause between phrases is
 *     enough when the rest of the evidence says "live".
 *   - Otherwise the timing rules decide, with their bounds kept:
 *     no first utterance runs past speech_threshold_ms undecided, and silence
 *     since answer for silence_timeout_ms is unknown. At the speech-threshold
 *     bound the answer is machine_start unless P <= BOUND_P_HUMAN: the
 *     classifier is sure the "utterance" is background babble or music behind
 *     a live answer (the VAD's speech flag stays on through it), and then it
 *     is human, cause `model`, at the same moment. BOUND_P_HUMAN < 0 gives
 *     the strict Twilio rule.
 *   - One exception to following the rules: when they say human (speech-end)
 *     but P >= VETO_P (a greeting pausing between sentences), the engine
 *     keeps listening for up to VETO_EXTRA_MS more: more speech that keeps
 *     P >= VETO_P -> machine (cause `model`); otherwise the rules' human, as
 *     soon as P drops under VETO_P in the pause (so a shorter speech-end
 *     threshold never answers human later than a longer one).
 *
 * Cost: the features' per-frame update, plus one forward pass (<= 32 x 27
 * multiply-adds and tanh) every 100 ms and on the frames where a rule could fire.
 */
#include <string.h>

#include "engine.h"
#include "model.h"
#include "model_features.h"

#define EVAL_EVERY 10 /* frames between routine evaluations: 100 ms, under 10 % of any threshold */

typedef struct model_engine {
    const amd_model *model;
    amd_config cfg;
    amdi_features feat;
    float x[AMDI_FEAT_COUNT];
    float p;                      /* last P(machine) */
    int64_t frames;
    int timing_done;              /* the timing engine has decided (its verdict in timing_dec) */
    amdi_engine_decision timing_dec;
    int vetoed;                   /* holding back the timing rules' human */
    int64_t veto_deadline_ms;
    const char *state;
    size_t timing_off;            /* offset of the timing engine's state in this block */
} model_engine;

static size_t align16(size_t n) { return (n + 15u) & ~(size_t)15u; }

static void *timing_state(model_engine *m) { return (char *)m + m->timing_off; }

static size_t me_state_size(const amd_config *cfg)
{
    return align16(sizeof(model_engine)) + amdi_engine_timing.state_size(cfg);
}

static int me_init(void *state, const amd_config *cfg, char *err, size_t errlen)
{
    model_engine *m = state;
    const amd_model *model = cfg->model ? cfg->model : amd_model_default();
    if (!model) {
        if (err && errlen)
            strncpy(err, "engine model: no model loaded (cfg->model is NULL and the build embeds none)",
                    errlen - 1), err[errlen - 1] = '\0';
        return AMD_EINVAL;
    }
    if (model->n_features != AMDI_FEAT_COUNT || model->feature_version != AMDI_FEAT_VERSION) {
        if (err && errlen)
            strncpy(err, "engine model: model was trained on another feature version", errlen - 1),
                err[errlen - 1] = '\0';
        return AMD_EINVAL;
    }
    m->model = model;
    m->cfg = *cfg;
    m->timing_off = align16(sizeof(model_engine));
    int rc = amdi_engine_timing.init(timing_state(m), cfg, err, errlen);
    if (rc)
        return rc;
    amdi_features_reset(&m->feat);
    m->state = "wait-speech";
    return 0;
}

static void me_reset(void *state)
{
    model_engine *m = state;
    amdi_engine_timing.reset(timing_state(m));
    amdi_features_reset(&m->feat);
    memset(m->x, 0, sizeof m->x);
    m->p = 0.f;
    m->frames = 0;
    m->timing_done = 0;
    memset(&m->timing_dec, 0, sizeof m->timing_dec);
    m->vetoed = 0;
    m->veto_deadline_ms = 0;
    m->state = "wait-speech";
}

static float evaluate(model_engine *m)
{
    amdi_features_get(&m->feat, m->x);
    m->p = amdi_model_predict(m->model, m->x);
    return m->p;
}

static int decide(amdi_engine_decision *out, amd_answered_by a, amd_cause c, float conf)
{
    out->answered_by = a;
    out->cause = c;
    out->confidence = amdi_clamp01(conf);
    return 1;
}

static int me_frame(void *state, const amdi_evidence *ev, amdi_engine_decision *out)
{
    model_engine *m = state;
    const float *pp = m->model->params;
    float utt = (float)ev->utt_active_ms; /* what the speech-threshold bound counts */
    amdi_feat_input in = {ev->frame, ev->speech, ev->speech_prob, ev->noise_db, ev->tone_active, utt,
                          ev->n_utterances, ev->spliced};
    if (!ev->lost)
        amdi_features_frame(&m->feat, &in);
    else /* a lost hop has no audio to describe: only time passes (and a burst goes on) */
        amdi_features_lost(&m->feat, ev->speech && !ev->tone_active);
    int64_t k = m->frames++;

    if (m->model->tap) { /* feature dump for training: observe only */
        amdi_features_get(&m->feat, m->x);
        m->model->tap(m->model->tap_user, ev, m->x);
        return 0;
    }

    if (m->vetoed) {
        m->state = "veto-wait";
        if (ev->speech) {
            /* more speech after the pause: a greeting going on - if the classifier, now
             * seeing it, still holds its view; otherwise the rules' human stands */
            float p = evaluate(m);
            if (p >= pp[AMDI_MP_VETO_P])
                return decide(out, AMD_ANSWERED_MACHINE_START, AMD_CAUSE_MODEL, p);
            return decide(out, m->timing_dec.answered_by, m->timing_dec.cause, m->timing_dec.confidence);
        }
        /* the pause going on: release the rules' human as soon as the classifier no longer
           holds its view, so a shorter speech-end threshold never answers human later than a
           longer one (whose rule fires later in the same pause) */
        if (ev->t_ms >= m->veto_deadline_ms || evaluate(m) < pp[AMDI_MP_VETO_P])
            return decide(out, m->timing_dec.answered_by, m->timing_dec.cause, m->timing_dec.confidence);
        return 0;
    }

    amdi_engine_decision td;
    int tdone = amdi_engine_timing.frame(timing_state(m), ev, &td);
    int heard = ev->speech_onset_ms >= 0;
    m->state = !heard ? "wait-speech" : (ev->in_speech ? "in-speech" : "pause");

    if (tdone) {
        if (td.answered_by == AMD_ANSWERED_HUMAN && heard) {
            float p = evaluate(m);
            if (p >= pp[AMDI_MP_VETO_P]) {
                m->vetoed = 1;
                m->timing_dec = td;
                m->veto_deadline_ms = ev->t_ms + (int64_t)pp[AMDI_MP_VETO_EXTRA_MS];
                m->state = "veto-wait";
                return 0;
            }
        }
        if (td.answered_by == AMD_ANSWERED_MACHINE_START && td.cause == AMD_CAUSE_SPEECH_THRESHOLD) {
            float p = evaluate(m);
            if (p <= pp[AMDI_MP_BOUND_P_HUMAN])
                return decide(out, AMD_ANSWERED_HUMAN, AMD_CAUSE_MODEL, 1.f - p);
        }
        *out = td; /* the rules' own bounds: speech threshold, silence timeout */
        return 1;
    }
    if (!heard)
        return 0;

    int64_t gap = (int64_t)pp[AMDI_MP_HUMAN_GAP_MS];
    int at_pause = !ev->speech && ev->silence_ms >= gap;
    int since_onset_ok = ev->t_ms - ev->speech_onset_ms >= (int64_t)pp[AMDI_MP_MIN_MACHINE_MS];
    /* evaluate on the routine cadence, and on the exact frame a pause reaches the gap */
    int due = (k % EVAL_EVERY) == 0 || (at_pause && ev->silence_ms < gap + AMDI_HOP_MS);
    if (!due || (!at_pause && !since_onset_ok))
        return 0;
    float p = evaluate(m);
    if (since_onset_ok && p >= pp[AMDI_MP_P_MACHINE])
        return decide(out, AMD_ANSWERED_MACHINE_START, AMD_CAUSE_MODEL, p);
    if (at_pause && p <= pp[AMDI_MP_P_HUMAN])
        return decide(out, AMD_ANSWERED_HUMAN, AMD_CAUSE_MODEL, 1.f - p);
    return 0;
}

static int me_finish(void *state, const amdi_evidence *ev, int at_timeout, amdi_engine_decision *out)
{
    model_engine *m = state;
    if (m->model->tap)
        return 0;
    if (m->vetoed) {
        *out = m->timing_dec;
        return 1;
    }
    return amdi_engine_timing.finish(timing_state(m), ev, at_timeout, out);
}

static const char *me_state_name(const void *state)
{
    const model_engine *m = state;
    return m->state ? m->state : "wait-speech";
}

const amdi_engine_vt amdi_engine_model = {
    "model", me_state_size, me_init, me_reset, me_frame, me_finish, me_state_name,
};
