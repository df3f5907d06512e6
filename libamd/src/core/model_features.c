/* SPDX-License-Identifier: MIT */
/*
 * Streaming feature extraction (see model_features.h for each feature's meaning).
 *
 * Cost: the timing and level statistics are a handful of additions per frame.
 * Spectral work runs on speech frames only: 16 band sums over bins 4..115
 * (125..3600 Hz, the telephone band), 16 approximate log2s, and, on every
 * 4th speech frame, an f0 estimate from the autocorrelation of the log
 * spectrum across bins (a harmonic comb, ~63 log2s and ~700 multiply-adds).
 * Averaged over a call that is a small fraction of the ~2 us per hop budget of the detector (bench/RESULTS.md)
 * for the whole pipeline.
 */
#include "model_features.h"

#include <math.h>
#include <string.h>

#define BAND_LO_BIN 4    /* 125 Hz: below, hum and DC */
#define BAND_BINS 7      /* 16 bands x 7 bins = bins 4..115, up to 3.6 kHz */
#define HF_BIN 64        /* 2 kHz */
#define DIGITAL_SIL_DB (-80.f) /* far below any open microphone or analogue line (~-70..-50 dBFS) */
#define F0_LO_BIN 2      /* comb analysis over bins 2..64 (62..2000 Hz): where harmonics are strong */
#define F0_HI_BIN 64      /* 2 kHz: the first harmonics carry the comb */
#define F0_MIN_LAG 3     /* harmonic spacing 3..13 bins = 94..406 Hz, the range of adult voices */
#define F0_MAX_LAG 13
#define F0_VOICED_R 0.30f /* normalised comb correlation that counts as voiced (noise gives ~0) */
#define F0_EVERY 4        /* f0 on every 4th speech frame (25 Hz contour): the comb is the costliest
                             feature, and intonation moves far slower than 100 Hz */

static const char *const feat_names[AMDI_FEAT_COUNT] = {
    "time", "onset", "first_burst", "cur_burst", "bursts", "speech", "speech_ratio",
    "longest_burst", "silence", "in_speech", "mean_pause", "burst_rate", "utt_len", "utts",
    "snr", "noise_db", "level_std", "pause_std", "digital_sil", "speech_prob",
    "flatness", "flux", "centroid", "hf_ratio", "voiced_ratio", "f0_mean", "f0_std", "f0_move",
    "tone",
};

const char *amdi_feature_name(int id)
{
    return (id >= 0 && id < AMDI_FEAT_COUNT) ? feat_names[id] : "?";
}

/* log2 to ~0.01 from the float's exponent and a quadratic on the mantissa; x > 0. */
static inline float fast_log2(float x)
{
    union { float f; uint32_t i; } u = {x};
    float e = (float)(int)((u.i >> 23) & 255u) - 128.f;
    u.i = (u.i & 0x007fffffu) | 0x3f800000u;
    float m = u.f;
    return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
}

void amdi_features_reset(amdi_features *s)
{
    memset(s, 0, sizeof *s);
    s->onset_frame = -1;
    s->last_speech = -1;
    s->burst_start = -1;
    s->first_burst_frames = -1;
    s->prev_voiced_frame = -1;
}

float amdi_features_f0(const float *power)
{
    float c[F0_HI_BIN + 1];
    float mean = 0.f;
    for (int k = F0_LO_BIN; k <= F0_HI_BIN; k++) {
        c[k] = fast_log2(power[k] + 1.f);
        mean += c[k];
    }
    mean /= (float)(F0_HI_BIN - F0_LO_BIN + 1);
    float r0 = 0.f;
    for (int k = F0_LO_BIN; k <= F0_HI_BIN; k++) {
        c[k] -= mean;
        r0 += c[k] * c[k];
    }
    if (r0 <= 1e-6f)
        return 0.f;
    float r[F0_MAX_LAG + 2];
    float best = -1.f;
    for (int L = F0_MIN_LAG - 1; L <= F0_MAX_LAG + 1; L++) {
        float acc = 0.f;
        for (int k = F0_LO_BIN; k + L <= F0_HI_BIN; k++)
            acc += c[k] * c[k + L];
        /* normalise by the overlap so long lags are not penalised */
        r[L] = acc / r0 * (float)(F0_HI_BIN - F0_LO_BIN + 1) / (float)(F0_HI_BIN - F0_LO_BIN + 1 - L);
        if (L >= F0_MIN_LAG && L <= F0_MAX_LAG && r[L] > best)
            best = r[L];
    }
    if (best < F0_VOICED_R)
        return 0.f;
    /* The comb also correlates at 2x, 3x the spacing: take the shortest lag that is a local
     * peak within 15 % of the best one (avoids octave-down errors). */
    for (int L = F0_MIN_LAG; L <= F0_MAX_LAG; L++) {
        if (r[L] >= 0.85f * best && r[L] >= r[L - 1] && r[L] >= r[L + 1]) {
            float den = r[L - 1] - 2.f * r[L] + r[L + 1];
            float d = den < -1e-9f ? 0.5f * (r[L - 1] - r[L + 1]) / den : 0.f;
            if (d > 0.5f) d = 0.5f;
            if (d < -0.5f) d = -0.5f;
            return ((float)L + d) * AMDI_BIN_HZ;
        }
    }
    return 0.f;
}

static void close_burst(amdi_features *s)
{
    int64_t len = s->last_speech - s->burst_start + 1;
    s->in_burst = 0;
    s->last_burst_frames = len;
    if (s->first_burst_frames < 0)
        s->first_burst_frames = len;
}

void amdi_features_frame(amdi_features *s, const amdi_feat_input *in)
{
    const amdi_frame *f = in->frame;
    int64_t k = s->frames++;
    int speech = in->speech && !in->tone;
    float lvl = f->level_db;
    s->noise_db = in->noise_floor_db;
    s->utt_len_ms = in->utt_len_ms;
    s->n_utterances = in->n_utterances;
    if (in->tone)
        s->tone_frames++;

    if (!speech) {
        s->nonspeech_frames++;
        s->plvl_sum += lvl;
        s->plvl_sq += (double)lvl * lvl;
        if (lvl < DIGITAL_SIL_DB)
            s->digital_frames++;
        /* a pause reaching the burst gap closes the burst at its last speech frame */
        if (s->in_burst && (k - s->last_speech) * AMDI_HOP_MS >= AMDI_FEAT_BURST_GAP_MS)
            close_burst(s);
        return;
    }

    /* speech frame */
    if (s->onset_frame < 0)
        s->onset_frame = k;
    if (!s->in_burst) {
        if (s->bursts > 0) {
            s->pauses++;
            s->pause_frames += k - s->last_speech - 1;
        }
        s->bursts++;
        s->burst_start = k;
        s->in_burst = 1;
    }
    s->last_speech = k;
    int64_t cur = k - s->burst_start + 1;
    if (cur > s->longest_burst_frames)
        s->longest_burst_frames = cur;
    if (in->spliced) {
        /* speech time, but a spectrum spliced across a gap describes neither side: counted
         * like a lost hop in speech, and no flux against it */
        s->lost_speech_frames++;
        s->prev_band_ok = 0;
        return;
    }
    s->speech_frames++;
    s->snr_sum += lvl - in->noise_floor_db;
    s->lvl_sum += lvl;
    s->lvl_sq += (double)lvl * lvl;
    s->prob_sum += in->speech_prob;

    /* band energies */
    const float *p = f->power;
    float band[AMDI_FEAT_BANDS];
    float tot = 1e-3f, hf = 0.f, cent = 0.f, lsum = 0.f;
    for (int b = 0; b < AMDI_FEAT_BANDS; b++) {
        float e = 0.f;
        int k0 = BAND_LO_BIN + b * BAND_BINS;
        for (int j = k0; j < k0 + BAND_BINS; j++) {
            e += p[j];
            cent += p[j] * (float)j;
            if (j >= HF_BIN)
                hf += p[j];
        }
        tot += e;
        band[b] = fast_log2(e + 1.f);
        lsum += band[b];
    }
    float lmean = lsum / AMDI_FEAT_BANDS;
    /* flatness = geometric / arithmetic mean of band energies, from log2s */
    float flat = exp2f(lmean) / (tot / AMDI_FEAT_BANDS);
    s->flat_sum += flat > 1.f ? 1.f : flat;
    s->cent_sum += cent / tot * AMDI_BIN_HZ / 1000.f;
    s->hf_sum += hf / tot;
    if (s->prev_band_ok && k == s->last_speech) {
        float d = 0.f;
        for (int b = 0; b < AMDI_FEAT_BANDS; b++)
            d += fabsf(band[b] - s->prev_band[b]);
        s->flux_sum += d / AMDI_FEAT_BANDS;
        s->flux_n++;
    }
    memcpy(s->prev_band, band, sizeof band);
    s->prev_band_ok = 1;

    /* the cadence counts lost speech hops too, so a lost packet does not move it onto other
     * frames than those it takes without loss */
    if ((s->speech_frames + s->lost_speech_frames) % F0_EVERY != 1)
        return;
    s->f0_evals++;
    float f0 = amdi_features_f0(p);
    if (f0 > 0.f) {
        float st = 12.f * fast_log2(f0 / 100.f);
        s->voiced++;
        s->f0_sum += f0;
        s->st_sum += st;
        s->st_sq += (double)st * st;
        if (s->prev_voiced_frame == k - F0_EVERY) {
            s->move_sum += fabsf(st - s->prev_st);
            s->move_n++;
        }
        s->prev_st = st;
        s->prev_voiced_frame = k;
    }
}

void amdi_features_lost(amdi_features *s, int speech)
{
    int64_t k = s->frames++;
    s->prev_band_ok = 0; /* no flux across a gap */
    if (speech && s->in_burst) {
        s->last_speech = k;
        s->lost_speech_frames++;
        int64_t cur = k - s->burst_start + 1;
        if (cur > s->longest_burst_frames)
            s->longest_burst_frames = cur;
    } else if (s->in_burst && (k - s->last_speech) * AMDI_HOP_MS >= AMDI_FEAT_BURST_GAP_MS) {
        close_burst(s);
    }
}

static float sd(double sum, double sq, int64_t n)
{
    if (n < 2)
        return 0.f;
    double m = sum / (double)n;
    double v = sq / (double)n - m * m;
    return v > 0 ? (float)sqrt(v) : 0.f;
}

void amdi_features_get(const amdi_features *s, float *o)
{
    const float hop = AMDI_HOP_MS / 1000.f;
    int64_t n = s->frames;
    memset(o, 0, sizeof(float) * AMDI_FEAT_COUNT);
    o[AMDI_F_TIME] = (float)n * hop;
    o[AMDI_F_ONSET] = (float)(s->onset_frame >= 0 ? s->onset_frame : n) * hop;
    int64_t cur = 0;
    if (s->bursts > 0)
        cur = s->in_burst ? s->last_speech - s->burst_start + 1 : s->last_burst_frames;
    o[AMDI_F_FIRST_BURST] = (float)(s->first_burst_frames >= 0 ? s->first_burst_frames : cur) * hop;
    o[AMDI_F_CUR_BURST] = (float)cur * hop;
    o[AMDI_F_BURSTS] = (float)s->bursts;
    o[AMDI_F_SPEECH] = (float)(s->speech_frames + s->lost_speech_frames) * hop;
    if (s->onset_frame >= 0) {
        float since = (float)(n - s->onset_frame);
        o[AMDI_F_SPEECH_RATIO] = (float)(s->speech_frames + s->lost_speech_frames) / since;
        o[AMDI_F_BURST_RATE] = (float)s->bursts / (since * hop);
    }
    o[AMDI_F_UTT_LEN] = s->utt_len_ms / 1000.f;
    o[AMDI_F_UTTS] = (float)s->n_utterances;
    o[AMDI_F_LONGEST_BURST] = (float)s->longest_burst_frames * hop;
    o[AMDI_F_SILENCE] = (float)(s->last_speech >= 0 ? n - 1 - s->last_speech : n) * hop;
    o[AMDI_F_IN_SPEECH] = (s->last_speech >= 0 && s->last_speech == n - 1) ? 1.f : 0.f;
    o[AMDI_F_MEAN_PAUSE] = s->pauses ? (float)s->pause_frames / (float)s->pauses * hop : 0.f;
    int64_t sp = s->speech_frames;
    if (sp > 0) {
        o[AMDI_F_SNR] = (float)(s->snr_sum / (double)sp);
        o[AMDI_F_LEVEL_STD] = sd(s->lvl_sum, s->lvl_sq, sp);
        o[AMDI_F_SPEECH_PROB] = (float)(s->prob_sum / (double)sp);
        o[AMDI_F_FLATNESS] = (float)(s->flat_sum / (double)sp);
        o[AMDI_F_CENTROID] = (float)(s->cent_sum / (double)sp);
        o[AMDI_F_HF_RATIO] = (float)(s->hf_sum / (double)sp);
        o[AMDI_F_VOICED_RATIO] = s->f0_evals ? (float)s->voiced / (float)s->f0_evals : 0.f;
    }
    o[AMDI_F_FLUX] = s->flux_n ? (float)(s->flux_sum / (double)s->flux_n) : 0.f;
    o[AMDI_F_NOISE_DB] = s->noise_db;
    o[AMDI_F_PAUSE_STD] = sd(s->plvl_sum, s->plvl_sq, s->nonspeech_frames);
    o[AMDI_F_DIGITAL_SIL] = s->nonspeech_frames ? (float)s->digital_frames / (float)s->nonspeech_frames : 0.f;
    if (s->voiced > 0) {
        o[AMDI_F_F0_MEAN] = (float)(s->f0_sum / (double)s->voiced) / 100.f;
        o[AMDI_F_F0_STD] = sd(s->st_sum, s->st_sq, s->voiced);
    }
    o[AMDI_F_F0_MOVE] = s->move_n ? (float)(s->move_sum / (double)s->move_n) : 0.f;
    o[AMDI_F_TONE] = (float)s->tone_frames * hop;
}
