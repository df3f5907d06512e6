/* SPDX-License-Identifier: MIT */
/* Voice activity detection (see vad.h for what and how). */
#include "vad.h"

#include <math.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* Minimum hop SNR over the noise floor for a speech hop (dB). */
#define AMDI_VAD_MIN_SNR 4.f
/* Band SNRs are capped so one very loud band cannot outvote the others. */
#define BAND_SNR_CAP 25.f
/* The tone check looks at 281..3500 Hz, the voice band where beeps, SIT, fax and call-progress tones live. */
#define TONE_LO_BIN 9 /* 281 Hz: beeps start at 300, dial tone at 350 */
#define TONE_HI_BIN 112
/* A Hann main lobe is +-2 bins: a pure tone puts > 99 % of its energy there. Voiced speech
 * spreads over many harmonics; even a single strong low harmonic rarely tops 75 %. */
#define TONE_RATIO 0.90f
#define TONE_FRAMES 2 /* peak held for 2 more frames: 30 ms of a steady frequency */
/* Peakiness above which amdi_tones_active() vetoes speech (a tone in noise or through GSM). */
#define TONE_ASSIST_RATIO 0.5f
/* ... and only once the flag has held 80 ms (the shortest beep, SPEC §4.3): shorter
 * candidates are mostly steady vowels, and a real tone's first hops are caught by TONE_RATIO. */
#define TONE_ASSIST_FRAMES 8

/*
 * Frame classifier: a small neural network (9 standardised features -> 8 tanh
 * units -> logistic output). Features: 0 mean positive band SNR (dB), 1 hop SNR
 * over the floor (dB), 2 harmonicity, 3 level over the background level (dB),
 * 4 level modulation depth (dB), 5 spectral change vs 40 ms ago, 6 peakiness,
 * 7 hinge min(feature 3 - 6, 0), 8 best band SNR (dB).
 * Fitted by bench/vad_train.py (with bench/vad_frames) on the 10 ms frame labels
 * of a corpus made by `bench/corpus/build_corpus.py --count 240 --seed 777`
 * (train+dev splits; not testdata/), plus copies of its clean-line files with
 * white or pink noise added at 3..18 dB SNR, so low-SNR lines are represented.
 * 337k training frames; held-out test split: raw frame F1 0.937.
 */
#define VAD_HIDDEN 8
static const float vad_mu[AMDI_VAD_NFEAT] = {7.6801f, 9.1444f, 0.45863f, 5.4042f, 4.6802f, 0.24338f, 0.43023f, -4.1644f, 15.002f};
static const float vad_sd[AMDI_VAD_NFEAT] = {8.0596f, 13.334f, 0.24894f, 9.3101f, 4.5819f, 0.14146f, 0.23123f, 3.5809f, 13.824f};
static const float vad_w1[AMDI_VAD_NFEAT][VAD_HIDDEN] = {
    {-0.047572f, 0.35882f, 0.42231f, 0.75064f, 0.31805f, 0.2561f, -0.081582f, 1.2606f},
    {0.31508f, -0.56672f, 3.2882f, 0.55155f, 0.49344f, 0.6581f, -1.0282f, -2.0074f},
    {0.11466f, -0.14241f, -0.048405f, 0.20977f, 0.21924f, 0.29669f, 1.2396f, -0.051312f},
    {-1.7226f, 0.20194f, -1.4916f, -0.4902f, 0.41914f, -0.92367f, 1.0522f, 0.79256f},
    {0.028823f, 2.7567f, 0.47985f, 0.44841f, -0.11515f, -1.7735f, -1.0263f, 0.011024f},
    {-0.21344f, -0.16789f, 0.067822f, 0.095039f, -0.82312f, -0.012346f, -0.0080065f, -0.59404f},
    {0.60543f, -0.36952f, -0.015076f, -0.16693f, 0.42123f, -0.085743f, 0.40606f, -0.71834f},
    {-0.48604f, 0.74202f, -0.6227f, 0.19982f, 0.10955f, 0.85361f, 0.15605f, -0.035956f},
    {-0.038086f, -0.22486f, 0.30079f, -0.14176f, -2.2054f, -0.0063753f, 0.004339f, -2.0019f},
};
static const float vad_b1[VAD_HIDDEN] = {0.82498f, 1.8721f, 0.3882f, -1.4278f, -1.675f, -0.77606f, -1.7548f, -1.526f};
static const float vad_w2[VAD_HIDDEN] = {-1.2102f, 2.9045f, -2.6919f, 1.6806f, -1.9495f, -2.5248f, 1.6151f, -2.0091f};
static const float vad_b2 = -2.3189f;

void amdi_vad_init(amdi_vad *v)
{
    memset(v, 0, sizeof *v);
    amdi_noise_floor_init(&v->nf);
    v->prev_peak = v->prev_peak2 = -10;
}

/*
 * 10 log10(x) to ~0.02 dB from the float's exponent and a quadratic in its
 * mantissa: a dozen levels per frame, where libm's log10f would cost more than
 * the FFT. Deterministic (bit operations), x clamped at 1e-20.
 */
static float db10(float x)
{
    union {
        float f;
        uint32_t u;
    } v = {x > 1e-20f ? x : 1e-20f};
    float e = (float)(int)((v.u >> 23) & 255u) - 128.f;
    v.u = (v.u & 0x007FFFFFu) | 0x3F800000u; /* mantissa in [1, 2) */
    float m = v.f;
    float l2 = e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
    return 3.0102999566f * l2;
}

/* Sum of p[a..b) with four accumulators (a latency-bound chain would cost 4x). */
static float sum4(const float *p, int a, int b)
{
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int k = a;
    for (; k + 4 <= b; k += 4) {
        s0 += p[k];
        s1 += p[k + 1];
        s2 += p[k + 2];
        s3 += p[k + 3];
    }
    for (; k < b; k++)
        s0 += p[k];
    return (s0 + s1) + (s2 + s3);
}

/*
 * Share of voice-band energy in the two strongest +-2-bin peaks; main peak bin
 * in *k1. Peaks must be local maxima inside the band (a spectrum that merely
 * rises towards the band edge, like voiced speech below 300 Hz, is no tone).
 */
static float peakiness(const float *p, int *k1, int *k2)
{
    float tot = 1e-20f + sum4(p, TONE_LO_BIN - 2, TONE_HI_BIN + 2);
    /* two plain arg-max scans (cheap, well predicted) rather than a local-maximum search */
    int b1 = TONE_LO_BIN + 1;
    for (int k = TONE_LO_BIN + 2; k < TONE_HI_BIN; k++)
        if (p[k] > p[b1])
            b1 = k;
    *k1 = -10;
    *k2 = -10;
    if (p[b1] < p[b1 - 1] || p[b1] < p[b1 + 1])
        return 0.f; /* the maximum sits on the band edge: a slope, not a peak */
    int b2 = -1;
    for (int k = TONE_LO_BIN + 1; k < TONE_HI_BIN; k++) {
        if (k >= b1 - 2 && k <= b1 + 2)
            continue;
        if (b2 < 0 || p[k] > p[b2])
            b2 = k;
    }
    /* the runner-up counts only as a peak of its own (not the skirt of b1's lobe) */
    if (b2 >= 0 && (p[b2] < p[b2 - 1] || p[b2] < p[b2 + 1]))
        b2 = -1;
    float s = p[b1 - 2] + p[b1 - 1] + p[b1] + p[b1 + 1] + p[b1 + 2];
    if (b2 >= 0)
        for (int k = b2 - 2; k <= b2 + 2; k++)
            if (k < b1 - 2 || k > b1 + 2)
                s += p[k];
    *k1 = b1;
    *k2 = b2 >= 0 ? b2 : -10;
    s /= tot;
    return s > 1.f ? 1.f : s;
}

void amdi_vad_frame(amdi_vad *v, amdi_analysis *a, const amdi_frame *f, int tone_active,
                    amdi_vad_out *o)
{
    float ch[AMDI_NF_CH];
    memset(o, 0, sizeof *o);
    amdi_noise_floor_channels(f, ch);

    /* SNRs against the floor as it stood before this frame */
    int have_floor = v->nf.started;
    float snr_hop = 0.f, band = 0.f, rel = 0.f, bmax = 0.f;
    if (have_floor) {
        float l0 = db10(ch[0]);
        snr_hop = l0 - db10(v->nf.floor[0]);
        rel = l0 - v->nf.bg_db;
        /* band 1 (125-250 Hz) is skipped: hum and handling noise more than voice */
        for (int b = 2; b < AMDI_NF_CH; b++) {
            float s = db10((ch[b] + 1e-20f) / (v->nf.floor[b] + 1e-20f));
            band += s < 0.f ? 0.f : (s > BAND_SNR_CAP ? BAND_SNR_CAP : s);
            if (s > bmax)
                bmax = s;
        }
        band /= (float)(AMDI_NF_BANDS - 1);
    }
    o->rel_db = rel;
    amdi_noise_floor_update(&v->nf, ch);
    o->noise_db = db10(v->nf.floor[0] / (32768.f * 32768.f));
    if (o->noise_db < -100.f)
        o->noise_db = -100.f;
    o->snr_db = f->level_db - o->noise_db;
    o->bg_db = v->nf.bg_db - 90.309f; /* s16 power dB -> dBFS (10 log10 32768^2) */
    o->band_snr = band;

    /* steady-tone check */
    int k1 = -10, k2 = -10;
    float pk = f->level_db > AMDI_VAD_GATE_DB ? peakiness(f->power, &k1, &k2) : 0.f;
    /* steady: the main peak sits on one of the previous frame's two peaks (the two halves of
     * a dual tone of equal level take turns being the stronger) */
    if (pk >= TONE_RATIO && ((k1 >= v->prev_peak - 1 && k1 <= v->prev_peak + 1) ||
                             (k1 >= v->prev_peak2 - 1 && k1 <= v->prev_peak2 + 1)))
        v->stable++;
    else
        v->stable = 0;
    v->prev_peak = pk >= TONE_RATIO ? k1 : -10;
    v->prev_peak2 = pk >= TONE_RATIO ? k2 : -10;
    o->tonal = v->stable >= TONE_FRAMES;
    o->tonal_hz = o->tonal ? (float)k1 * AMDI_BIN_HZ : 0.f;

    /* modulation depth: running variance of the level over ~200 ms */
    {
        float l = f->level_db < -90.f ? -90.f : f->level_db;
        if (f->index == 0)
            v->lvl_mean = l; /* start from the first hop, not from 0 dBFS */
        float d = l - v->lvl_mean;
        v->lvl_mean += 0.1f * d;
        v->lvl_var = 0.9f * (v->lvl_var + 0.1f * d * d);
    }
    /* spectral change against AMDI_VAD_LAG frames ago: 1 - cosine similarity of magnitudes.
     * Sustained notes (music, tones) barely change; speech moves its formants and pitch. */
    float change = 0.f;
    {
        float *old = v->spec[v->spec_pos];
        float mag[AMDI_VAD_SPEC_HI - AMDI_VAD_SPEC_LO];
        const float *pw = f->power + AMDI_VAD_SPEC_LO;
        int nb = AMDI_VAD_SPEC_HI - AMDI_VAD_SPEC_LO, k = 0;
#if defined(__SSE__)
        for (; k + 4 <= nb; k += 4)
            _mm_storeu_ps(mag + k, _mm_sqrt_ps(_mm_loadu_ps(pw + k)));
#endif
        for (; k < nb; k++)
            mag[k] = sqrtf(pw[k]);
        float d[4] = {0.f, 0.f, 0.f, 0.f}, a1[4] = {0.f, 0.f, 0.f, 0.f}, a2[4] = {0.f, 0.f, 0.f, 0.f};
        for (k = 0; k + 4 <= nb; k += 4)
            for (int j = 0; j < 4; j++) {
                d[j] += mag[k + j] * old[k + j];
                a1[j] += mag[k + j] * mag[k + j];
                a2[j] += old[k + j] * old[k + j];
            }
        for (; k < nb; k++) {
            d[0] += mag[k] * old[k];
            a1[0] += mag[k] * mag[k];
            a2[0] += old[k] * old[k];
        }
        memcpy(old, mag, sizeof mag);
        float dot = (d[0] + d[1]) + (d[2] + d[3]);
        float n1 = 1e-9f + (a1[0] + a1[1]) + (a1[2] + a1[3]);
        float n2 = 1e-9f + (a2[0] + a2[1]) + (a2[2] + a2[3]);
        v->spec_pos = (v->spec_pos + 1) % AMDI_VAD_LAG;
        /* until the history has filled, compare with nothing: neutral (the feature's mean) */
        change = f->index < AMDI_VAD_LAG ? vad_mu[5] : 1.f - dot / sqrtf(n1 * n2);
    }

    float prob = 0.f;
    /* A peaky frame whose peak held since the previous hop is vetoed before the tone has proven
     * steady (TONE_FRAMES): a beep's first hops must not confirm a speech onset (they would
     * end the greeting late), while a single peaky hop of a vowel still counts. */
    /* The tone detectors' flag covers their unconfirmed candidates too, which voiced speech
     * raises now and then; it vetoes a frame only when the spectrum is also tone-like. */
    v->tone_run = tone_active ? v->tone_run + 1 : 0;
    int tone_veto = v->tone_run >= TONE_ASSIST_FRAMES && pk >= TONE_ASSIST_RATIO;
    /* The window still holds a tone that just ended (its abrupt end looks broadband): not speech. */
    if (o->tonal)
        v->tone_tail = AMDI_WIN / AMDI_HOP;
    else if (v->tone_tail > 0)
        v->tone_tail--;
    int peaky_veto = pk >= TONE_RATIO && v->stable >= 1;
    if (have_floor && f->level_db > AMDI_VAD_GATE_DB && !peaky_veto && !o->tonal && !tone_veto &&
        !(v->tone_tail > 0 && !o->tonal)) {
        float h = amdi_analysis_harmonicity(a, NULL);
        o->harm = h;
        float x[AMDI_VAD_NFEAT];
        x[0] = band;
        x[1] = snr_hop < -10.f ? -10.f : (snr_hop > 40.f ? 40.f : snr_hop);
        x[2] = h;
        x[3] = rel < -15.f ? -15.f : (rel > 25.f ? 25.f : rel);
        x[4] = sqrtf(v->lvl_var);
        x[5] = change;
        x[6] = pk;
        x[7] = x[3] < 6.f ? x[3] - 6.f : 0.f; /* hinge: below the background + 6 dB */
        x[8] = bmax > 40.f ? 40.f : bmax;     /* the best band: a formant standing out of broadband noise */
        float zs[AMDI_VAD_NFEAT];
        for (int i = 0; i < AMDI_VAD_NFEAT; i++) {
            zs[i] = (x[i] - vad_mu[i]) / vad_sd[i];
            o->feat[i] = x[i];
        }
        float z = vad_b2;
        for (int j = 0; j < VAD_HIDDEN; j++) {
            float u = vad_b1[j];
            for (int i = 0; i < AMDI_VAD_NFEAT; i++)
                u += zs[i] * vad_w1[i][j];
            z += vad_w2[j] * tanhf(u);
        }
        prob = 1.f / (1.f + expf(-z));
    }
    o->prob = prob;
    /* The context features (modulation, background) decay over ~200 ms after a sound ends;
     * a hop must also carry energy of its own above the floor to count. */
    o->raw = prob >= 0.5f && snr_hop >= AMDI_VAD_MIN_SNR;

    /* smoothing: onset confirmation and hangover */
    /* a peaky hop (a tone's first, before it proved steady) may be speech but cannot help
     * confirm an onset: three of them would start "speech" at every beep */
    v->hist = ((v->hist << 1) | (unsigned)(o->raw && pk < TONE_RATIO)) & 0xFu;
    if (!v->in_speech) {
        unsigned h4 = v->hist;
        int cnt = (int)(h4 & 1u) + (int)((h4 >> 1) & 1u) + (int)((h4 >> 2) & 1u) + (int)((h4 >> 3) & 1u);
        if (cnt >= 3 && (v->hist & 1u)) {
            v->in_speech = 1;
            v->hang = 0;
            int oldest = 0; /* hops back to the first raw one in the window */
            for (int i = 3; i >= 0; i--)
                if ((h4 >> i) & 1u) {
                    oldest = i;
                    break;
                }
            o->onset = 1;
            o->onset_ms = f->end_ms - (int64_t)(oldest + 1) * AMDI_HOP_MS;
        }
    } else {
        if (o->raw) {
            v->hang = 0;
        } else if (++v->hang * AMDI_HOP_MS >= AMDI_VAD_HANG_MS) {
            v->in_speech = 0;
            o->offset = 1;
            v->hist = 0;
        }
    }
    o->speech = v->in_speech;
}
