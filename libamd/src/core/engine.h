/* SPDX-License-Identifier: MIT */
/*
 * Decision engines: the interface between the shared signal path and the
 * logic that decides who answered. Internal.
 *
 * What does it do
 *   Every 10 ms hop, detector.c runs the signal path (input -> analysis ->
 *   tones -> noise floor -> VAD -> utterance bookkeeping), packs the result
 *   into one amdi_evidence and hands it to the selected engine's frame(). The
 *   engine answers "not yet" (0) or a decision: HUMAN, MACHINE_START or
 *   UNKNOWN, with a cause and a confidence.
 *
 * What engines do NOT do (detector.c / message_end.c do it for all engines)
 *   - fax (-> `fax` at once), SIT (-> machine, cause `sit`), a beep heard
 *     before any decision (-> machine, cause `beep`);
 *   - the timeout: detector.c calls finish() at cfg->timeout_ms with
 *     at_timeout = 1; the engine may still say HUMAN/MACHINE_START from what it
 *     saw, or UNKNOWN (cause `timeout`). If finish() returns 0 the detector
 *     says UNKNOWN / timeout;
 *   - DetectMessageEnd: an engine's MACHINE_START becomes the provisional
 *     machine event; message_end.c then follows the greeting to its end
 *     (beep, silence, timeout). HUMAN and UNKNOWN are final in both modes.
 *
 * Memory and life cycle
 *   An engine's state lives inside the detector's single allocation:
 *   state_size(cfg) bytes, 16-byte aligned, zeroed before init(). init() may
 *   fail (e.g. the model engine without a model) with AMD_EINVAL and a
 *   message naming the reason; the detector create then fails with it.
 *   reset() returns to the state right after init(). No engine allocates,
 *   blocks or logs per frame.
 *
 * Adding an engine (as engine_model.c did)
 *   1. define `const amdi_engine_vt amdi_engine_<name> = {...};` in engine_<name>.c;
 *   2. declare it below and add its case to amdi_engine_for().
 */
#ifndef AMDI_ENGINE_H
#define AMDI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"
#include "frame.h"
#include "tones.h"

/*
 * Everything known about one 10 ms frame, plus the utterance bookkeeping that
 * every engine needs. Times are ms of audio since answer; -1 = not yet.
 *
 * Speech here is the VAD's decision (adaptive noise floor, spectral shape,
 * harmonicity, hangover) with steady tones removed: a frame where
 * tone_active is set is never speech.
 */
typedef struct amdi_evidence {
    const amdi_frame *frame; /* the analysis frame (hop, window, power spectrum); see frame.h */
    int64_t t_ms;            /* end of this hop = frame->end_ms; a decision on it has decision_ms = t_ms */

    /* Levels */
    float level_db;          /* hop level, dBFS */
    float noise_db;          /* adaptive noise floor, dBFS */
    float snr_db;            /* level_db - noise_db */
    float mean_abs;          /* mean |sample| of the hop, s16 scale (word engine's SilenceThreshold) */

    /* Voice activity */
    float speech_prob;       /* VAD speech likelihood 0..1 (tones already forced to 0) */
    int speech_raw;          /* this hop alone looks like speech (no smoothing) */
    int speech;              /* VAD decision: onset-confirmed, with hangover; what the trace shows */

    /* Tones (from amdi_tones_active and the VAD's own peaky/stable check) */
    int tone_active;         /* a steady tone is present: never speech */
    float tone_hz;           /* its frequency, 0 if none */
    const char *tone_kind;   /* "beep", "ced", ... or NULL */
    const amdi_tone_event *tone_events; /* events completed on this frame */
    int n_tone_events;

    /*
     * Utterance bookkeeping (detector.c). An utterance is a stretch of speech
     * whose internal pauses are each shorter than cfg->speech_end_threshold_ms.
     * Speech edges are at hop resolution from the raw decision once an onset
     * is confirmed, so "600 ms of speech then silence" gives
     * utt_start_ms .. last_speech_end_ms = 600 ms within one hop.
     */
    int in_speech;               /* inside a speech run (between a confirmed onset and its end) */
    int64_t speech_onset_ms;     /* first confirmed speech onset of the call */
    int64_t utt_start_ms;        /* onset of the current (or last) utterance */
    int64_t last_speech_end_ms;  /* end of the latest speech frame (raw decision, hop resolution) */
    int64_t silence_ms;          /* t_ms - last_speech_end_ms if speech has been heard, else t_ms */
    int64_t utt_speech_ms;       /* speech frames x 10 ms in the current utterance */
    int64_t total_speech_ms;     /* speech frames x 10 ms since answer */
    int n_utterances;            /* utterances started so far (the current one included) */
    int n_runs;                  /* speech runs (VAD on->off segments) started so far */

    /* Added after the first version (append only): */
    float background_db;         /* background level, dBFS: a low quantile of the hop level that
                                    rises to a continuous babble / music bed (noise_floor.h bg_db) */
    int64_t utt_active_ms;       /* hops x 10 ms of the current utterance with the smoothed VAD on
                                    (speech plus gaps under the VAD hangover; longer pauses excluded) */
    int lost;                    /* this hop was lost (amd_detector_process_lost): nothing was analysed;
                                    levels, VAD and tone fields are held from the last heard hop (or
                                    silence after AMD_LOST_HOLD_MS); frame is that hop's */
    int spliced;                 /* heard, but its analysis window still holds audio from before a
                                    gap (the AMDI_WIN / AMDI_HOP hops after one): the level is this
                                    hop's own, the spectrum mixes both sides of the gap */
} amdi_evidence;

/* An engine's verdict. */
typedef struct amdi_engine_decision {
    amd_answered_by answered_by; /* AMD_ANSWERED_HUMAN, _MACHINE_START or _UNKNOWN */
    amd_cause cause;
    float confidence;            /* 0..1 */
} amdi_engine_decision;

typedef struct amdi_engine_vt {
    const char *name; /* "timing", "words", "model" */
    /* Bytes of state for this config (multiple of 16 not required; the detector rounds up). */
    size_t (*state_size)(const amd_config *cfg);
    /* Initialise in zeroed memory. 0, or AMD_EINVAL with a message in err. cfg is valid. */
    int (*init)(void *state, const amd_config *cfg, char *err, size_t errlen);
    /* Back to right after init. */
    void (*reset)(void *state);
    /* One frame. Returns 1 and fills *out when decided, else 0. Not called after a decision. */
    int (*frame)(void *state, const amdi_evidence *ev, amdi_engine_decision *out);
    /*
     * No more audio for this engine: timeout (at_timeout = 1, ev = the frame
     * that reached it) or end of audio / hang-up (at_timeout = 0, ev = the last
     * frame, or NULL if no frame was ever completed). Decide from what was
     * seen by the same rules. Returns 1 with *out filled, or 0 meaning
     * "unknown" (the detector fills cause timeout / hangup).
     */
    int (*finish)(void *state, const amdi_evidence *ev, int at_timeout, amdi_engine_decision *out);
    /* Static name of the current state for traces ("wait-speech", "in-speech", ...). */
    const char *(*state_name)(const void *state);
} amdi_engine_vt;

extern const amdi_engine_vt amdi_engine_timing; /* engine_timing.c: Twilio's three thresholds */
extern const amdi_engine_vt amdi_engine_words;  /* engine_words.c: Asterisk AMD() word counting */
extern const amdi_engine_vt amdi_engine_model;  /* engine_model.c: trained classifier, timing rules as fallback */

/*
 * The engine for cfg->engine, or NULL when it is not available in this build
 * (the detector then fails with AMD_EINVAL). AMD_ENGINE_DEFAULT is the engine
 * that measures best on held-out data (bench/RESULTS.md).
 */
static inline const amdi_engine_vt *amdi_engine_for(amd_engine e)
{
    switch (e) {
    /* the model engine measured best on held-out data (models/MODEL_CARD.md); a build without an
     * embedded model falls back to the timing rules */
    case AMD_ENGINE_DEFAULT: return amd_model_default() ? &amdi_engine_model : &amdi_engine_timing;
    case AMD_ENGINE_TIMING: return &amdi_engine_timing;
    case AMD_ENGINE_WORDS: return &amdi_engine_words;
    case AMD_ENGINE_MODEL: return &amdi_engine_model;
    }
    return NULL;
}

/* Confidence helpers shared by the engines: clamp to [0,1]. */
static inline float amdi_clamp01(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }

#endif /* AMDI_ENGINE_H */
