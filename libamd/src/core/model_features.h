/* SPDX-License-Identifier: MIT */
/*
 * Streaming feature extraction for the model engine (engine_model.c). Internal.
 *
 * Fed one analysis frame at a time (10 ms hops, frame.h) together with the
 * VAD's decision, the adaptive noise floor and the tone detectors' "steady tone
 * present" flag, it keeps O(1) running statistics of everything heard since
 * answer and can write the feature vector at any frame in O(AMDI_FEAT_COUNT).
 * No allocation: the state lives in the engine's memory.
 *
 * The feature set is versioned (AMDI_FEAT_VERSION): a model file names the
 * version it was trained on and the parser refuses any other one. Change the
 * meaning, order or count of a feature -> bump the version and retrain.
 *
 * Definitions used below:
 *   speech frame  a frame the VAD calls speech (after its hangover) and no steady tone is present
 *   burst         a run of speech frames; pauses shorter than AMDI_FEAT_BURST_GAP_MS join bursts
 *                 (the gaps between words of one phrase), longer ones separate them
 *   onset         the first speech frame since answer
 *   voiced frame  a speech frame whose spectrum shows a harmonic comb; f0 is estimated on every
 *                 4th speech frame (a 25 Hz contour), so the f0 features use those frames
 */
#ifndef AMDI_FEATURES_H
#define AMDI_FEATURES_H

#include <stdint.h>

#include "frame.h"

#define AMDI_FEAT_VERSION 1
#define AMDI_FEAT_BURST_GAP_MS 200 /* a pause under 200 ms is the gap between words, not phrases */
#define AMDI_FEAT_BANDS 16

/* Feature indices (the order of the vector). Units in brackets. */
typedef enum amdi_feat_id {
    /* Timing of speech activity since answer. */
    AMDI_F_TIME = 0,       /* [s] audio time since answer */
    AMDI_F_ONSET,          /* [s] initial silence: time of the first speech onset (= time while none) */
    AMDI_F_FIRST_BURST,    /* [s] length of the first burst (running while it lasts) */
    AMDI_F_CUR_BURST,      /* [s] length of the current burst, or of the last one during a pause */
    AMDI_F_BURSTS,         /* [count] bursts so far */
    AMDI_F_SPEECH,         /* [s] total speech */
    AMDI_F_SPEECH_RATIO,   /* [0..1] speech frames / frames since onset (0 before onset) */
    AMDI_F_LONGEST_BURST,  /* [s] longest burst so far */
    AMDI_F_SILENCE,        /* [s] time since the last speech frame (time since answer before onset) */
    AMDI_F_IN_SPEECH,      /* [0/1] the current frame is speech */
    AMDI_F_MEAN_PAUSE,     /* [s] mean length of the pauses between bursts (0 if none) */
    AMDI_F_BURST_RATE,     /* [1/s] bursts per second since onset */
    AMDI_F_UTT_LEN,        /* [s] speech activity of the current (or last) utterance in the timing
                              rules' sense (engine.h utt_active_ms: VAD on-time; pauses under the
                              speech-end threshold join it): how close the speech-threshold bound is */
    AMDI_F_UTTS,           /* [count] utterances so far (timing rules' sense) */
    /* Level, noise floor and continuity. */
    AMDI_F_SNR,            /* [dB] mean (frame level - noise floor) over speech frames */
    AMDI_F_NOISE_DB,       /* [dBFS] current adaptive noise floor */
    AMDI_F_LEVEL_STD,      /* [dB] standard deviation of the frame level over speech frames:
                              recorded, compressed prompts hold a steadier level than live talkers */
    AMDI_F_PAUSE_STD,      /* [dB] standard deviation of the level over non-speech frames:
                              live rooms breathe and rustle, digital gaps are flat */
    AMDI_F_DIGITAL_SIL,    /* [0..1] fraction of non-speech frames below -80 dBFS (digital silence:
                              gaps inserted by a voicemail system rather than an open microphone) */
    AMDI_F_SPEECH_PROB,    /* [0..1] mean VAD speech probability over speech frames */
    /* Spectrum and prosody (over speech frames). */
    AMDI_F_FLATNESS,       /* [0..1] mean spectral flatness (geometric / arithmetic mean of 16 band
                              energies 125-3600 Hz) */
    AMDI_F_FLUX,           /* [log2 units] mean absolute change of the 16 log2 band energies between
                              consecutive speech frames (articulation rate) */
    AMDI_F_CENTROID,       /* [kHz] mean spectral centroid */
    AMDI_F_HF_RATIO,       /* [0..1] mean share of energy above 2 kHz (codec / band limiting) */
    AMDI_F_VOICED_RATIO,   /* [0..1] voiced share of the speech frames whose f0 was estimated */
    AMDI_F_F0_MEAN,        /* [100 Hz] mean f0 estimate over voiced frames */
    AMDI_F_F0_STD,         /* [semitones] standard deviation of f0 over voiced frames (intonation range) */
    AMDI_F_F0_MOVE,        /* [semitones] mean |f0 change| between consecutive f0 estimates (40 ms
                              apart) that are both voiced */
    /* Tones. */
    AMDI_F_TONE,           /* [s] time a steady tone (beep / fax / SIT candidate) was present */
    AMDI_FEAT_COUNT
} amdi_feat_id;

/* One frame of evidence from the signal path. */
typedef struct amdi_feat_input {
    const amdi_frame *frame;
    int speech;           /* VAD decision after hangover, 0/1 */
    float speech_prob;    /* VAD likelihood 0..1 */
    float noise_floor_db; /* adaptive noise floor, dBFS */
    int tone;             /* a steady tone is present (amdi_tones_active) */
    float utt_len_ms;     /* current utterance's speech activity (engine.h utt_active_ms), 0 if none */
    int n_utterances;     /* utterances started so far */
    int spliced;          /* the window spans a lost packet (engine.h amdi_evidence.spliced): a
                             speech frame counts in the timing, not in the spectral averages */
} amdi_feat_input;

/* Running state. Plain data: memset to 0 == amdi_features_reset. */
typedef struct amdi_features {
    int64_t frames;        /* frames seen */
    int64_t onset_frame;   /* first speech frame, -1 none */
    int64_t last_speech;   /* last speech frame, -1 none */
    int64_t burst_start;   /* first frame of the current / last burst, -1 none */
    int in_burst;          /* a burst is open (speech, or a pause still under the burst gap) */
    int bursts;
    int64_t first_burst_frames;   /* -1 while the first burst is open */
    int64_t longest_burst_frames;
    int64_t last_burst_frames;
    int64_t speech_frames;
    int64_t lost_speech_frames;   /* lost hops inside speech (amdi_features_lost): time, no audio */
    int64_t pauses;               /* closed pauses between bursts */
    int64_t pause_frames;
    int64_t tone_frames;
    int64_t nonspeech_frames;
    int64_t digital_frames;
    double snr_sum;
    double lvl_sum, lvl_sq;       /* speech frames */
    double plvl_sum, plvl_sq;     /* non-speech frames */
    double prob_sum;
    double flat_sum, flux_sum, cent_sum, hf_sum;
    int64_t flux_n;
    float prev_band[AMDI_FEAT_BANDS];
    int prev_band_ok;
    int64_t voiced;
    int64_t f0_evals;             /* speech frames whose f0 was estimated (every F0_EVERY-th) */
    double f0_sum, st_sum, st_sq, move_sum;
    int64_t move_n;
    float prev_st;               /* f0 of the previous voiced frame in semitones; */
    int64_t prev_voiced_frame;   /* its frame index, -1 none */
    float noise_db;
    float utt_len_ms;
    int n_utterances;
} amdi_features;

void amdi_features_reset(amdi_features *s);
/* Account one frame. */
void amdi_features_frame(amdi_features *s, const amdi_feat_input *in);
/*
 * Account one lost hop (packet loss): the clock advances, and a burst in progress
 * (@p speech: the speech decision held through the gap) goes on through it, so
 * durations stay in audio time; nothing is learnt about the audio (levels,
 * spectra, pitch), and the hop is neither a speech nor a pause frame of the
 * averages. Without loss the features are exactly those of amdi_features_frame.
 */
void amdi_features_lost(amdi_features *s, int speech);
/* Write the AMDI_FEAT_COUNT features as of the last frame. */
void amdi_features_get(const amdi_features *s, float *out);
/* Short stable name of a feature ("time", "onset", ...), for dumps and the model card. */
const char *amdi_feature_name(int id);

/* f0 estimate of one power spectrum (harmonic comb), Hz; 0 if unvoiced. Exposed for tests. */
float amdi_features_f0(const float *power);

#endif /* AMDI_FEATURES_H */
