/* SPDX-License-Identifier: MIT */
/*
 * VAD and noise floor: speech-like bursts found, stationary noise of any
 * colour and level not, steady tones (beeps, dial tone, ringback, fax) never
 * speech, speech still found at low SNR, the floor following the line noise.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "analysis_tables.h"
#include "detect_util.h"
#include "input.h"
#include "vad.h"

Suite *vad_suite(void);

#define VPI 3.14159265358979323846

typedef struct vrun {
    amdi_analysis an;
    amdi_vad vad;
    void *mem;
    int n;
    unsigned char speech[4000];
    unsigned char raw[4000];
    float noise_db[4000];
    int tonal_frames;
} vrun;

static int on_hop(void *user, const float *hop)
{
    vrun *v = user;
    const amdi_frame *f = amdi_analysis_hop(&v->an, hop);
    amdi_vad_out o;
    amdi_vad_frame(&v->vad, &v->an, f, 0, &o);
    ck_assert(o.prob >= 0.f && o.prob <= 1.f);
    if (v->n < 4000) {
        v->speech[v->n] = (unsigned char)o.speech;
        v->raw[v->n] = (unsigned char)o.raw;
        v->noise_db[v->n] = o.noise_db;
    }
    v->tonal_frames += o.tonal;
    v->n++;
    return 0;
}

static vrun *run_vad(const du_call *c)
{
    vrun *v = calloc(1, sizeof *v);
    ck_assert_int_eq(posix_memalign(&v->mem, 64, amdi_analysis_buf_size()), 0);
    ck_assert_int_eq(amdi_analysis_init(&v->an, v->mem), 0);
    amdi_vad_init(&v->vad);
    amdi_input in;
    ck_assert_int_eq(amdi_input_init(&in, c->rate), 0);
    int16_t *s = malloc(c->n * sizeof(int16_t));
    tu_to_s16(c->x, s, c->n);
    amdi_input_push(&in, AMDI_FMT_S16, s, c->n, on_hop, v);
    amdi_input_free(&in);
    free(s);
    return v;
}

static void free_vad(vrun *v)
{
    amdi_analysis_free(&v->an);
    free(v->mem);
    free(v);
}

/* fraction of frames [a_ms, b_ms) with speech */
static double frac(const vrun *v, const unsigned char *which, int a_ms, int b_ms)
{
    int n = 0, k = 0;
    for (int i = a_ms / 10; i < b_ms / 10 && i < v->n; i++, k++)
        n += which[i];
    return k ? (double)n / k : 0.0;
}

/* Bursts at several levels and pitches over quiet line noise: found, and nothing outside them. */
START_TEST(test_bursts_found)
{
    double levels[] = {300, 1000, 3000, 10000}; /* -41 .. -10 dBFS */
    double f0s[] = {100, 130, 210, 120};
    for (int k = 0; k < 4; k++) {
        du_call c = du_new(8000, 6000, 20, 100 + k);
        du_speech(&c, 1000, 1500, f0s[k], levels[k], 200 + k);
        du_speech(&c, 3500, 1000, f0s[k], levels[k], 300 + k);
        vrun *v = run_vad(&c);
        double in1 = frac(v, v->speech, 1050, 2450), in2 = frac(v, v->speech, 3550, 4450);
        double out = frac(v, v->speech, 200, 950) + frac(v, v->speech, 2700, 3400) + frac(v, v->speech, 4700, 6000);
        ck_assert_msg(in1 > 0.9 && in2 > 0.9, "level %.0f: recall %.2f %.2f", levels[k], in1, in2);
        ck_assert_msg(out < 0.01, "level %.0f: false speech %.3f", levels[k], out);
        free_vad(v);
        du_free(&c);
    }
}
END_TEST

/* Stationary noise (white, and low-passed 'pink-ish') from -70 to -20 dBFS is never speech. */
START_TEST(test_stationary_noise_not_speech)
{
    double rms[] = {10, 100, 1000, 3000};
    for (int k = 0; k < 4; k++) {
        for (int colour = 0; colour < 2; colour++) {
            du_call c = du_new(8000, 6000, rms[k], 400 + k);
            if (colour) { /* one-pole low-pass: a brown/pink-like tilt */
                float y = 0;
                for (size_t i = 0; i < c.n; i++) {
                    y = 0.9f * y + 0.1f * c.x[i];
                    c.x[i] = y * 3.f;
                }
            }
            vrun *v = run_vad(&c);
            double fp = frac(v, v->speech, 300, 6000);
            ck_assert_msg(fp < 0.02, "noise rms %.0f colour %d: %.3f speech", rms[k], colour, fp);
            free_vad(v);
            du_free(&c);
        }
    }
}
END_TEST

/* Steady tones are never speech: beeps, dial tone, ringback, busy, fax CED/CNG, SIT. */
START_TEST(test_tones_never_speech)
{
    static const double tones[][2] = {{1000, 0}, {440, 0},   {2100, 0},   {1100, 0},  {350, 440},
                                      {440, 480}, {480, 620}, {425, 0},   {1400, 0},  {913.8, 0},
                                      {1776.7, 0}, {2500, 0}, {300, 0},   {850, 1400}};
    for (size_t k = 0; k < sizeof tones / sizeof tones[0]; k++) {
        du_call c = du_new(8000, 4000, 20, 500 + k);
        du_tone(&c, 1000, 2000, tones[k][0], tones[k][1], 8000);
        vrun *v = run_vad(&c);
        double sp = frac(v, v->speech, 0, 4000);
        ck_assert_msg(sp == 0.0, "tone %.0f+%.0f Hz: %.3f speech", tones[k][0], tones[k][1], sp);
        ck_assert_msg(v->tonal_frames > 150, "tone %.0f Hz: tonal in %d frames", tones[k][0], v->tonal_frames);
        free_vad(v);
        du_free(&c);
    }
    /* also through µ-law and at low level in noise */
    du_call c = du_new(8000, 4000, 30, 600);
    du_tone(&c, 500, 3000, 1004, 0, 300);
    for (size_t i = 0; i < c.n; i++)
        c.x[i] = amd_ulaw_decode(amd_ulaw_encode((int16_t)lrintf(c.x[i])));
    vrun *v = run_vad(&c);
    ck_assert_msg(frac(v, v->speech, 0, 4000) == 0.0, "quiet µ-law tone counted as speech");
    free_vad(v);
    du_free(&c);
}
END_TEST

/*
 * A sung syllable: f0 with 5.5 Hz vibrato of +-3 %, a 3 Hz swell, its harmonic at form_hz
 * (a first formant) holding > 90 % of the voice-band energy as a steady tone would.
 */
static void add_sung_vowel(du_call *c, double start_ms, double len_ms, double f0, double form_hz, double amp)
{
    size_t s = du_ms(c, start_ms), n = du_ms(c, len_ms);
    double ph = 0.0;
    for (size_t i = 0; i < n && s + i < c->n; i++) {
        double t = (double)i / c->rate;
        double f = f0 * (1.0 + 0.03 * sin(2.0 * VPI * 5.5 * t + VPI / 2.0));
        ph += 2.0 * VPI * f / c->rate;
        double x = 0.0;
        for (int h = 1; h * f0 < 3600.0; h++) {
            double g = exp(-pow((h * f0 - form_hz) / 90.0, 2.0)) + 0.02 / h;
            x += g * sin(h * ph);
        }
        double env = (0.55 + 0.45 * sin(2.0 * VPI * 3.0 * t)) * (i < 80 ? i / 80.0 : 1.0) *
                     (n - i < 80 ? (n - i) / 80.0 : 1.0);
        c->x[s + i] += (float)(amp * env * x);
    }
}

/* The tone veto tells a steady tone from a gliding harmonic: the sung vowel above is speech, while
 * tones that hold their frequency never are - single and dual (ringback's 440 + 480 Hz beat), the
 * SIT sequence (ITU-T E.180 / Q.35: 913.8, 1370.6, 1776.7 Hz), fax CED (ITU-T T.30: 2100 Hz) and
 * ANSam (ITU-T V.8: 2100 Hz, 15 Hz amplitude modulation), CNG (1100 Hz), a quiet beep in noise. */
START_TEST(test_glide_veto)
{
    for (int k = 0; k < 3; k++) {
        /* three sung syllables of 500 ms, the pitch stepping between them */
        static const double f0[] = {150, 120, 210}, form[] = {450, 360, 630}, step[] = {1.0, 1.12, 0.94};
        du_call c = du_new(8000, 4000, 20, 900 + k);
        for (int j = 0; j < 3; j++)
            add_sung_vowel(&c, 1000 + 650 * j, 500, f0[k] * step[j], form[k] * step[j], 3000);
        vrun *v = run_vad(&c);
        double in = 0.0;
        for (int j = 0; j < 3; j++)
            in += frac(v, v->speech, 1050 + 650 * j, 1450 + 650 * j) / 3.0;
        double out = frac(v, v->speech, 0, 950) + frac(v, v->speech, 2950, 4000); /* after the hangover */
        ck_assert_msg(in > 0.7, "sung vowel f0 %.0f: only %.2f speech", f0[k], in);
        ck_assert_msg(out == 0.0, "sung vowel f0 %.0f: speech outside it %.3f", f0[k], out);
        free_vad(v);
        du_free(&c);
    }
    for (int k = 0; k < 6; k++) {
        du_call c = du_new(8000, 4000, k == 5 ? 60 : 20, 950 + k);
        size_t s = du_ms(&c, 1000), n = du_ms(&c, 2000);
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / 8000.0, x;
            switch (k) {
            case 0: x = 6000 * (sin(2 * VPI * 440 * t) + sin(2 * VPI * 480 * t)); break; /* ringback */
            case 1: /* SIT: 274, 274, 380 ms segments */
                x = 8000 * sin(2 * VPI * (t < 0.274 ? 913.8 : t < 0.548 ? 1370.6 : t < 0.928 ? 1776.7 : 913.8) * t);
                break;
            case 2: x = 8000 * sin(2 * VPI * 2100 * t); break; /* CED */
            case 3: x = 8000 * (1.0 + 0.2 * sin(2 * VPI * 15 * t)) * sin(2 * VPI * 2100 * t); break; /* ANSam */
            case 4: x = t < 0.5 ? 8000 * sin(2 * VPI * 1100 * t) : 0.0; break; /* CNG */
            default: /* a quiet beep with harmonics, ~20 dB over the noise */
                x = 400 * (sin(2 * VPI * 1400 * t) + 0.3 * sin(2 * VPI * 2800 * t));
                break;
            }
            c.x[s + i] += (float)x;
        }
        vrun *v = run_vad(&c);
        ck_assert_msg(frac(v, v->speech, 0, 4000) == 0.0, "tone case %d: %.3f speech", k, frac(v, v->speech, 0, 4000));
        free_vad(v);
        du_free(&c);
    }
}
END_TEST

/* Speech at ~10 dB SNR in white noise is still found (most of it), noise-only parts not. */
START_TEST(test_speech_in_noise)
{
    du_call c = du_new(8000, 8000, 600, 700); /* -35 dBFS noise */
    du_speech(&c, 3000, 2000, 130, 1900, 701); /* ~10 dB over it */
    vrun *v = run_vad(&c);
    double in = frac(v, v->speech, 3100, 4900), out = frac(v, v->speech, 300, 2900) + frac(v, v->speech, 5300, 8000);
    ck_assert_msg(in > 0.6, "recall at 10 dB SNR %.2f", in);
    ck_assert_msg(out < 0.05, "false speech in noise %.3f", out);
    free_vad(v);
    du_free(&c);
}
END_TEST

/* The floor follows the line noise: within 3 dB of it, also after a 20 dB step up (it may rise
 * 5 dB/s: within 5 s) and down (at once). */
START_TEST(test_noise_floor_tracks)
{
    du_call c = du_new(8000, 20000, 100, 800); /* -50.3 dBFS */
    tu_rng r;
    tu_rng_seed(&r, 801);
    tu_add_noise(c.x + 8000 * 6, 8000 * 8, 1000, &r); /* 6..14 s: ~-30.3 dBFS */
    vrun *v = run_vad(&c);
    double want1 = 20 * log10(100 / 32768.0), want2 = 20 * log10(sqrt(100.0 * 100 + 1000.0 * 1000) / 32768.0);
    ck_assert_msg(fabs(v->noise_db[500] - want1) < 3.0, "floor %.1f want %.1f", v->noise_db[500], want1);
    ck_assert_msg(fabs(v->noise_db[1200] - want2) < 3.0, "after step up: floor %.1f want %.1f", v->noise_db[1200],
                  want2);
    ck_assert_msg(fabs(v->noise_db[1450] - want1) < 3.0, "after step down: floor %.1f want %.1f", v->noise_db[1450],
                  want1);
    free_vad(v);
    du_free(&c);
}
END_TEST

/* Same input twice: the same decisions. */
START_TEST(test_deterministic)
{
    du_call c = du_new(8000, 4000, 50, 900);
    du_speech(&c, 700, 1800, 140, 2500, 901);
    vrun *a = run_vad(&c), *b = run_vad(&c);
    ck_assert_int_eq(a->n, b->n);
    ck_assert(memcmp(a->speech, b->speech, (size_t)a->n) == 0);
    ck_assert(memcmp(a->noise_db, b->noise_db, sizeof(float) * (size_t)a->n) == 0);
    free_vad(a);
    free_vad(b);
    du_free(&c);
}
END_TEST

/* The shared window / lag tables are exactly what the analysis computed per detector before
 * (so sharing them changed no decision): the same double arithmetic, rounded to float. */
START_TEST(test_analysis_tables_exact)
{
    float h[AMDI_WIN];
    for (int i = 0; i < AMDI_WIN; i++) {
        h[i] = (float)(0.5 - 0.5 * cos(2.0 * 3.14159265358979323846 * i / AMDI_WIN));
        ck_assert_msg(h[i] == amdi_hann[i], "hann[%d] %.9g != %.9g", i, (double)amdi_hann[i], (double)h[i]);
    }
    double w0 = 0;
    for (int i = 0; i < AMDI_WIN; i++)
        w0 += (double)h[i] * h[i];
    for (int k = 0; k <= AMDI_LAG_MAX; k++) {
        double wk = 0;
        for (int i = 0; i < AMDI_WIN; i++)
            wk += (double)h[i] * h[(i + k) % AMDI_WIN];
        float want = wk > 0 ? (float)(w0 / wk) : 0.f;
        ck_assert_msg(want == amdi_lagnorm[k], "lagnorm[%d] %.9g != %.9g", k, (double)amdi_lagnorm[k], (double)want);
    }
}
END_TEST

Suite *vad_suite(void)
{
    Suite *s = suite_create("vad");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bursts_found);
    tcase_add_test(tc, test_stationary_noise_not_speech);
    tcase_add_test(tc, test_tones_never_speech);
    tcase_add_test(tc, test_glide_veto);
    tcase_add_test(tc, test_speech_in_noise);
    tcase_add_test(tc, test_noise_floor_tracks);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_analysis_tables_exact);
    suite_add_tcase(s, tc);
    return s;
}
