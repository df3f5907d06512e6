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
/* ... and only once the flag has held 80 ms (the shortest beep, amd/params.h beep_min_ms): shorter
 * candidates are mostly steady vowels, and a real tone's first hops are caught by TONE_RATIO. */
#define TONE_ASSIST_FRAMES 8
/* A generated tone (beep, SIT, fax CED/CNG, dial tone) holds its frequency to a small fraction
 * of a bin for as long as it lasts; a sustained vowel's harmonics glide with the pitch (vibrato,
 * intonation: a few % of f0 within 100 ms, multiplied by the harmonic number). The main peak's position to a fraction of a bin (parabolic fit of the
 * log spectrum around it) is tracked over GLIDE_LAG hops: a peak that moved GLIDE_MIN bins in a
 * smooth path is a voice, not a tone. */
#define GLIDE_LAG 4
#define GLIDE_MIN 0.15f  /* bins (4.7 Hz) in GLIDE_LAG hops: a tone drifts < 0.06 (a dual tone's beat) */
#define GLIDE_STEP 0.3f  /* a larger hop-to-hop jump is no glide: the merged lobe of two close tones
                          * beating (440 + 480 Hz ringback jumps 0.7 bin) or noise */
#define GLIDE_HOLD 0.03f /* the glide is over when the peak held within this for GLIDE_HIST hops */

/*
 * Frame classifier: a small neural network (vad_model.h; 12 standardised
 * features -> tanh hidden units -> logistic output), the embedded
 * models/vad.amdv. Features: 0 mean positive band SNR (dB), 1 hop SNR
 * over the floor (dB), 2 harmonicity, 3 level over the background level (dB),
 * 4 level modulation depth over ~200 ms (dB), 5 spectral change vs 40 ms ago,
 * 6 peakiness, 7 hinge min(feature 3 - 6, 0), 8 best band SNR (dB), and context:
 * 9 level modulation over ~1 s (syllabic rhythm: deep for one talker, shallow
 * for a crowd or a music bed), 10 mean spectral change and 11 mean
 * harmonicity over ~250 ms.
 * Fitted by bench/vad_train.py (with bench/vad_frames), which writes the model
 * file, on the 10 ms frame labels of a corpus made by
 * `bench/corpus/build_corpus.py --count 240 --seed 777` (train+dev splits; not
 * testdata/), plus copies of its clean-line files with white or pink noise
 * added at 3..18 dB SNR, so low-SNR lines are represented.
 * 335k training frames; held-out test split: raw frame F1 0.960.
 */

void amdi_vad_init(amdi_vad *v)
{
    memset(v, 0, sizeof *v);
    v->model = amdi_vad_model_default();
    amdi_noise_floor_init(&v->nf);
    v->prev_peak = v->prev_peak2 = -10;
    v->ctx_steps = 1;
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

/* Largest of p[a..b) (-1 for an empty range; powers are >= 0). */
static float range_max(const float *p, int a, int b)
{
    float m = -1.f;
    int k = a;
#if defined(__SSE__)
    if (b - a >= 8) {
        __m128 m0 = _mm_loadu_ps(p + k), m1 = _mm_loadu_ps(p + k + 4);
        for (k += 8; k + 8 <= b; k += 8) {
            m0 = _mm_max_ps(m0, _mm_loadu_ps(p + k));
            m1 = _mm_max_ps(m1, _mm_loadu_ps(p + k + 4));
        }
        m0 = _mm_max_ps(m0, m1);
        m0 = _mm_max_ps(m0, _mm_movehl_ps(m0, m0));
        m0 = _mm_max_ss(m0, _mm_shuffle_ps(m0, m0, 1));
        m = _mm_cvtss_f32(m0);
    }
#endif
    for (; k < b; k++)
        m = p[k] > m ? p[k] : m;
    return m;
}

/* First k in [a, b) with p[k] == m (m taken from the same range). */
static int first_of(const float *p, int a, int b, float m)
{
    int k = a;
    while (k < b - 1 && p[k] != m)
        k++;
    return k;
}

/*
 * Share of voice-band energy in the two strongest +-2-bin peaks; main peak bin
 * in *k1. Peaks must be local maxima inside the band (a spectrum that merely
 * rises towards the band edge, like voiced speech below 300 Hz, is no tone).
 */
static float peakiness(const float *p, int *k1, int *k2)
{
    float tot = 1e-20f + sum4(p, TONE_LO_BIN - 2, TONE_HI_BIN + 2);
    /* two arg-max scans (first index of the largest value) rather than a local-maximum search:
       the maximum by SIMD, then the first bin holding it (one well-predicted exit) */
    int b1 = first_of(p, TONE_LO_BIN + 1, TONE_HI_BIN, range_max(p, TONE_LO_BIN + 1, TONE_HI_BIN));
    *k1 = -10;
    *k2 = -10;
    if (p[b1] < p[b1 - 1] || p[b1] < p[b1 + 1])
        return 0.f; /* the maximum sits on the band edge: a slope, not a peak */
    int b2 = -1;
    {
        /* the runner-up: the same outside b1's +-2-bin lobe */
        int lo_end = b1 - 2 > TONE_LO_BIN + 1 ? b1 - 2 : TONE_LO_BIN + 1;
        int hi_beg = b1 + 3 < TONE_HI_BIN ? b1 + 3 : TONE_HI_BIN;
        float m_lo = range_max(p, TONE_LO_BIN + 1, lo_end), m_hi = range_max(p, hi_beg, TONE_HI_BIN);
        if (lo_end > TONE_LO_BIN + 1 && m_lo >= m_hi)
            b2 = first_of(p, TONE_LO_BIN + 1, lo_end, m_lo);
        else if (hi_beg < TONE_HI_BIN)
            b2 = first_of(p, hi_beg, TONE_HI_BIN, m_hi);
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

/* Main-peak position to a fraction of a bin: vertex of the parabola through the log powers at
 * k - 1, k, k + 1 (for a Hann window within ~0.05 bin; only its movement matters here). */
static float peak_position(const float *p, int k)
{
    float lm = db10(p[k - 1]), l0 = db10(p[k]), lp = db10(p[k + 1]);
    float den = lm - 2.f * l0 + lp;
    return (float)k + (den < 0.f ? 0.5f * (lm - lp) / den : 0.f);
}

/*
 * Glide check for a peaky hop (main peak in k1, peakiness pk): returns 1 while the main peak
 * moves like a voice's harmonic (see GLIDE_MIN). The position history restarts whenever the
 * spectrum is not peaky, the peak jumped, or it moved by more than GLIDE_STEP in one hop.
 */
static int track_glide(amdi_vad *v, const float *power, int k1, float pk)
{
    if (pk < TONE_RATIO || k1 < TONE_LO_BIN) {
        v->glide_n = 0;
        v->gliding = 0;
        return 0;
    }
    float pos = peak_position(power, k1);
    if (v->glide_n > 0) {
        float step = pos - v->glide_pos[(v->glide_n - 1) % AMDI_VAD_GLIDE_HIST];
        if (step > GLIDE_STEP || step < -GLIDE_STEP) {
            v->glide_n = 0;
            v->gliding = 0;
        }
    }
    v->glide_pos[v->glide_n % AMDI_VAD_GLIDE_HIST] = pos;
    v->glide_n++;
    if (v->glide_n >= 2 * AMDI_VAD_GLIDE_HIST)
        v->glide_n -= AMDI_VAD_GLIDE_HIST; /* same ring slots; no overflow on an endless tone */
    if (v->glide_n > GLIDE_LAG) {
        /* moved GLIDE_MIN, one way in every hop: the estimate's noise on a quiet tone (and a
         * tone's first hop, whose window is partly empty) goes back and forth */
        int n = v->glide_n - 1, up = 0, down = 0;
        for (int i = 0; i < GLIDE_LAG; i++) {
            float st = v->glide_pos[(n - i) % AMDI_VAD_GLIDE_HIST] - v->glide_pos[(n - i - 1) % AMDI_VAD_GLIDE_HIST];
            up += st > 0.f;
            down += st < 0.f;
        }
        float d = pos - v->glide_pos[(n - GLIDE_LAG) % AMDI_VAD_GLIDE_HIST];
        if ((d >= GLIDE_MIN && up == GLIDE_LAG) || (d <= -GLIDE_MIN && down == GLIDE_LAG))
            v->gliding = 1;
    }
    if (v->gliding && v->glide_n >= AMDI_VAD_GLIDE_HIST) {
        float lo = pos, hi = pos;
        for (int i = 0; i < AMDI_VAD_GLIDE_HIST; i++) {
            float q = v->glide_pos[i];
            lo = q < lo ? q : lo;
            hi = q > hi ? q : hi;
        }
        if (hi - lo < GLIDE_HOLD)
            v->gliding = 0; /* it came to rest: steady again */
    }
    return v->gliding;
}

/*
 * Modulation depth: running variance of the level over ~200 ms and ~1 s. After lost
 * hops (packet loss) the update runs once per hop of audio time, with this hop's
 * level standing in for the lost ones: the averages keep their time constants in
 * audio time instead of remembering the audio before a gap 1 + lost hops too long.
 */
static void track_level(amdi_vad *v, const amdi_frame *f)
{
    float l = f->level_db < -90.f ? -90.f : f->level_db;
    if (v->seen == 0)
        v->lvl_mean = l; /* start from the first hop, not from 0 dBFS */
    if (v->seen == 0)
        v->lt_mean = l;
    for (int i = 0; i < v->ctx_steps; i++) {
        float d = l - v->lvl_mean;
        v->lvl_mean += 0.1f * d;
        v->lvl_var = 0.9f * (v->lvl_var + 0.1f * d * d);
        float d2 = l - v->lt_mean;
        v->lt_mean += 0.02f * d2;
        v->lt_var = 0.98f * (v->lt_var + 0.02f * d2 * d2);
    }
}

/* x's running average with rate a, updated @p steps times with the same value (audio time). */
static float ema_steps(float x, float avg, float a, int steps)
{
    for (int i = 0; i < steps; i++)
        avg += a * (x - avg);
    return avg;
}

/* spectral change against AMDI_VAD_LAG frames ago: 1 - cosine similarity of magnitudes.
 * Sustained notes (music, tones) barely change; speech moves its formants and pitch. */
static float spectral_change(amdi_vad *v, const amdi_frame *f)
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
    float neutral = v->model ? v->model->mean[5] : 0.f;
    float change = v->seen < AMDI_VAD_LAG ? neutral : 1.f - dot / sqrtf(n1 * n2);
    v->lt_change = ema_steps(change, v->lt_change, 0.04f, v->ctx_steps);
    return change;
}

/* Smoothing: onset confirmation and hangover. @p peaky: this hop's spectrum looked like a tone. */
static void smooth(amdi_vad *v, const amdi_frame *f, int peaky, amdi_vad_out *o)
{
    /* a peaky hop (a tone's first, before it proved steady) may be speech but cannot help
     * confirm an onset: three of them would start "speech" at every beep */
    unsigned cur = (unsigned)(o->raw && !peaky);
    if (v->lost_hops > 0) {
        /* lost hops between two raw speech hops were speech (amdi_vad_lost) */
        int g = v->lost_hops < 4 ? v->lost_hops : 4;
        if ((v->hist & 1u) && cur)
            v->hist = ((v->hist << g) | ((1u << g) - 1u)) & 0xFu;
        v->lost_hops = 0;
    }
    v->hist = ((v->hist << 1) | cur) & 0xFu;
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
    /* a gliding peak is a voice's harmonic, however peaky: none of the tone vetoes below */
    int glide = track_glide(v, f->power, k1, pk);
    int peaky = pk >= TONE_RATIO && !glide;
    o->tonal = v->stable >= TONE_FRAMES && !glide;
    o->tonal_hz = o->tonal ? (float)k1 * AMDI_BIN_HZ : 0.f;

    track_level(v, f);
    float change = spectral_change(v, f);

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
    else if (glide)
        v->tone_tail = 0; /* the "tone" that just ended was this voice's harmonic */
    else if (v->tone_tail > 0)
        v->tone_tail--;
    int peaky_veto = peaky && v->stable >= 1;
    /* (no model: only a damaged build; check_vad proves the embedded one parses) */
    if (v->model && have_floor && f->level_db > AMDI_VAD_GATE_DB && !peaky_veto && !o->tonal && !tone_veto &&
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
        v->lt_harm = ema_steps(h, v->lt_harm, 0.04f, v->ctx_steps);
        x[9] = sqrtf(v->lt_var);
        x[10] = v->lt_change;
        x[11] = v->lt_harm;
        for (int i = 0; i < AMDI_VAD_NFEAT; i++)
            o->feat[i] = x[i];
        prob = amdi_vad_model_predict(v->model, x);
    }
    o->prob = prob;
    /* The context features (modulation, background) decay over ~200 ms after a sound ends;
     * a hop must also carry energy of its own above the floor to count. */
    o->raw = prob >= 0.5f && snr_hop >= AMDI_VAD_MIN_SNR;

    smooth(v, f, peaky, o);
    v->seen++;
    v->ctx_steps = 1;
}

void amdi_vad_lost(amdi_vad *v)
{
    v->lost_hops++;
    v->ctx_steps++; /* at most 1 + AMD_LOST_HOLD_MS / hop: the caller stops at the hold */
}

void amdi_vad_gap(amdi_vad *v, amdi_vad_out *o)
{
    v->lost_hops = 0;
    o->onset = 0;
    o->offset = v->in_speech;
    v->in_speech = 0;
    v->hist = 0;
    v->hang = 0;
    o->raw = 0;
    o->speech = 0;
    o->prob = 0.f;
}
