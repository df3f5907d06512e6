/* SPDX-License-Identifier: MIT */
/*
 * Voice activity detection for telephone audio. Internal.
 *
 * What does it do
 *   Per 10 ms frame: a speech likelihood, a raw per-hop decision, and a
 *   smoothed decision (onset confirmation + hangover) with hop-accurate speech
 *   edges. Steady tones (beeps, fax, ringback, dial tone, SIT) are never speech.
 *
 * How it works
 *   - An adaptive noise floor (noise_floor.h, minimum statistics) on the hop
 *     energy and 8 spectral bands from 125 to 3500 Hz; no fixed level
 *     threshold except an absolute gate far below telephone speech levels.
 *   - Evidence: the mean positive band SNR over the voice bands (speech
 *     lifts several formant bands at once; stationary line noise of any
 *     colour lifts none), the broadband hop SNR, and harmonicity (the
 *     normalised autocorrelation peak at 80..400 Hz pitch lags, from the
 *     inverse FFT of the power spectrum) which separates voiced speech from
 *     noise bursts and codec hiss. A logistic combination gives the likelihood.
 *   - Tone rejection: a frame whose voice-band energy sits in one or two
 *     narrow spectral peaks (>= 90 %) at a frequency that holds for three
 *     frames is a tone, as is any frame where amdi_tones_active() says so -
 *     unless the main peak glides: its position to a fraction of a bin moved
 *     one way by 0.15 bin or more over 40 ms, as a voice's harmonic does with
 *     vibrato and intonation (a sustained vowel can be as peaky as a tone).
 *   - Smoothing: speech starts when 3 of the last 4 hops are raw speech (its
 *     onset is the first of them) and ends after AMDI_VAD_HANG_MS without one.
 */
#ifndef AMDI_VAD_H
#define AMDI_VAD_H

#include <stdint.h>

#include "analysis.h"
#include "frame.h"
#include "noise_floor.h"
#include "vad_model.h"

/* Hangover after the last raw speech hop (ms): bridges the gaps inside and
 * between words (typically 30-150 ms) so segments match human labelling. */
#define AMDI_VAD_HANG_MS 100
/* Absolute gate: hops below this level (dBFS) are never speech. Telephone speech is
 * -10..-40 dBFS (ITU-T P.56 active level ~ -26 dBov nominal); -62 is 20+ dB below the quietest. */
#define AMDI_VAD_GATE_DB (-62.f)

/* Magnitude spectra kept for the spectral-change feature (frames back). */
#define AMDI_VAD_LAG 4
#define AMDI_VAD_SPEC_LO 9
#define AMDI_VAD_SPEC_HI 112
/* Main-peak positions kept for the glide check (hops back; vad.c). */
#define AMDI_VAD_GLIDE_HIST 8

typedef struct amdi_vad_out {
    float prob;         /* speech likelihood 0..1 (0 for tones) */
    int raw;            /* this hop is speech */
    int speech;         /* smoothed decision */
    int tonal;          /* steady tone found by the VAD's own check */
    float tonal_hz;     /* its main frequency */
    float noise_db;     /* noise floor of the hop energy, dBFS */
    float snr_db;       /* hop level over that floor */
    float harm;         /* harmonicity 0..1 (0 when not computed) */
    float band_snr;     /* mean positive band SNR, dB */
    float rel_db;       /* hop level over the background level (noise_floor.h bg_db), dB */
    float bg_db;        /* that background level, dBFS */
    float feat[AMDI_VAD_NFEAT]; /* the classifier's inputs (see vad.c), for diagnostics and training */
    int onset;          /* speech started on this frame (confirmed) */
    int64_t onset_ms;   /* start of the first hop of that speech, when onset */
    int offset;         /* speech ended on this frame (hangover ran out) */
} amdi_vad_out;

typedef struct amdi_vad {
    const amdi_vad_model *model; /* the frame classifier: the embedded default */
    amdi_noise_floor nf;
    int prev_peak, prev_peak2; /* the two strongest voice-band peaks of the previous frame */
    int stable;         /* frames the peak held while the spectrum was peaky */
    float glide_pos[AMDI_VAD_GLIDE_HIST]; /* main-peak positions (bins) of the current peaky run */
    int glide_n;        /* hops in that run */
    int gliding;        /* the run's peak moves like a voice's harmonic, not a tone */
    unsigned hist;      /* raw decisions, bit 0 = newest */
    int in_speech;
    int hang;           /* hops since the last raw speech hop */
    int tone_run;       /* consecutive frames with amdi_tones_active() */
    int tone_tail;      /* frames left while the window still holds a tone that just ended */
    float lvl_mean, lvl_var; /* running mean / variance of the hop level (modulation depth) */
    float lt_mean, lt_var, lt_change, lt_harm; /* ~1 s / 250 ms context */
    int spec_pos;
    float spec[AMDI_VAD_LAG][AMDI_VAD_SPEC_HI - AMDI_VAD_SPEC_LO]; /* recent magnitude spectra */
    int64_t seen;       /* frames analysed (not the frame index: lost hops advance that, see detector.c) */
    int lost_hops;      /* hops lost since the last analysed one (amdi_vad_lost) */
    int ctx_steps;      /* context updates the next analysed hop makes: 1 + the hops lost before it */
} amdi_vad;

void amdi_vad_init(amdi_vad *v);
/*
 * Run one frame. tone_active: amdi_tones_active() for this frame. The
 * analysis object is used for the autocorrelation (only when the frame is
 * above the floor, to save the inverse FFT on silence).
 */
void amdi_vad_frame(amdi_vad *v, amdi_analysis *a, const amdi_frame *f, int tone_active,
                    amdi_vad_out *out);

/*
 * The audio was lost for longer than AMD_LOST_HOLD_MS (packet loss): end any
 * speech run (out->offset set if one was in progress) so that speech after
 * the gap must be confirmed anew. Levels and the noise floor are untouched.
 */
void amdi_vad_gap(amdi_vad *v, amdi_vad_out *out);

/*
 * One hop was lost (packet loss), within AMD_LOST_HOLD_MS: nothing is analysed.
 * When the hops on both sides of the gap are raw speech, the next frame takes
 * the lost ones for raw speech too (a gap inside a word is bridged: an onset
 * whose confirming hops were lost is still confirmed); otherwise they count
 * toward neither side (the onset and hangover counts skip them).
 */
void amdi_vad_lost(amdi_vad *v);
/* (Also: the running context - level mean / variance, spectral change, harmonicity - runs on in
 * audio time: the next analysed hop stands in for the lost ones in those averages.) */

#endif /* AMDI_VAD_H */
