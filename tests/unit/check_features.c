/* SPDX-License-Identifier: MIT */
/* Model features (model_features.c) on constructed frame sequences and signals. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "model_features.h"
#include "test_util.h"

Suite *features_suite(void);

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* A synthetic frame sequence: each frame's hop is a sine or noise at a chosen level,
 * its power spectrum computed by a plain DFT of the Hann-windowed window. */
typedef struct fx {
    float buf[AMDI_WIN + AMDI_HOP * 4];
    float win[AMDI_WIN];
    float power[AMDI_BINS];
    amdi_frame f;
    amdi_features s;
    int64_t k;
    int spliced; /* the next frames' windows span a lost packet (amdi_feat_input.spliced) */
} fx;

static void fx_init(fx *x)
{
    memset(x, 0, sizeof *x);
    amdi_features_reset(&x->s);
}

static void spectrum(const float *w, float *power)
{
    for (int b = 0; b < AMDI_BINS; b++) {
        double re = 0, im = 0;
        for (int i = 0; i < AMDI_WIN; i++) {
            double h = 0.5 - 0.5 * cos(2 * M_PI * i / AMDI_WIN);
            re += h * w[i] * cos(2 * M_PI * b * i / AMDI_WIN);
            im -= h * w[i] * sin(2 * M_PI * b * i / AMDI_WIN);
        }
        power[b] = (float)(re * re + im * im);
    }
}

/* Push one frame whose window holds @p sig (AMDI_WIN samples) with VAD flags given. */
static void fx_push(fx *x, const float *sig, int speech, int tone, float noise_db)
{
    memcpy(x->win, sig, sizeof x->win);
    double e = 0;
    for (int i = AMDI_WIN - AMDI_HOP; i < AMDI_WIN; i++)
        e += (double)sig[i] * sig[i];
    e /= AMDI_HOP;
    spectrum(x->win, x->power);
    x->f.index = x->k;
    x->f.end_ms = (x->k + 1) * AMDI_HOP_MS;
    x->f.hop = x->win + AMDI_WIN - AMDI_HOP;
    x->f.win = x->win;
    x->f.power = x->power;
    x->f.energy = (float)e;
    x->f.level_db = e > 0 ? (float)(10 * log10(e / (32768.0 * 32768.0))) : -100.f;
    if (x->f.level_db < -100.f)
        x->f.level_db = -100.f;
    amdi_feat_input in = {&x->f, speech, speech ? 0.9f : 0.05f, noise_db, tone, 0.f, 0, x->spliced};
    amdi_features_frame(&x->s, &in);
    x->k++;
}

/* n frames of speech (a harmonic-rich vowel) or silence (quiet noise, or digital zeros) */
static void fx_run(fx *x, int frames, int speech, tu_rng *r)
{
    float sig[AMDI_WIN];
    for (int j = 0; j < frames; j++) {
        memset(sig, 0, sizeof sig);
        if (speech) {
            for (int h = 1; h <= 15; h++)
                tu_add_sine(sig, AMDI_WIN, AMDI_RATE, 150.0 * h, 3000.0 / h, 0.3 * h);
            tu_add_noise(sig, AMDI_WIN, 30.0, r);
        } else {
            tu_add_noise(sig, AMDI_WIN, 30.0, r);
        }
        fx_push(x, sig, speech, 0, -50.f);
    }
}

/* Packet loss: 500 ms silence, 600 ms speech with 2 x 20 ms lost inside, 1 s silence with
 * 40 ms lost. Durations are audio time - the same as without loss; the averages come from
 * the heard hops only. */
START_TEST(test_lost_hops_keep_audio_time)
{
    fx a, b;
    tu_rng ra, rb;
    tu_rng_seed(&ra, 21);
    tu_rng_seed(&rb, 21);
    fx_init(&a);
    fx_init(&b);
    fx_run(&a, 50, 0, &ra);
    fx_run(&b, 50, 0, &rb);
    fx_run(&a, 60, 1, &ra);
    fx_run(&b, 20, 1, &rb);
    for (int i = 0; i < 2; i++, b.k++)
        amdi_features_lost(&b.s, 1);
    fx_run(&b, 20, 1, &rb);
    for (int i = 0; i < 2; i++, b.k++)
        amdi_features_lost(&b.s, 1);
    fx_run(&b, 16, 1, &rb);
    float oa[AMDI_FEAT_COUNT], ob[AMDI_FEAT_COUNT];
    amdi_features_get(&a.s, oa);
    amdi_features_get(&b.s, ob);
    for (int f = AMDI_F_TIME; f <= AMDI_F_SPEECH; f++)
        ck_assert_msg(fabsf(oa[f] - ob[f]) < 1e-4f, "in speech: %s %.3f vs %.3f", amdi_feature_name(f),
                      (double)oa[f], (double)ob[f]);
    ck_assert_float_eq_tol(ob[AMDI_F_LONGEST_BURST], 0.6f, 1e-4f);
    ck_assert_float_eq_tol(ob[AMDI_F_SPEECH_RATIO], oa[AMDI_F_SPEECH_RATIO], 1e-4f);
    ck_assert_float_eq(ob[AMDI_F_IN_SPEECH], 1.f);
    fx_run(&a, 100, 0, &ra);
    fx_run(&b, 30, 0, &rb);
    for (int i = 0; i < 4; i++, b.k++)
        amdi_features_lost(&b.s, 0);
    fx_run(&b, 66, 0, &rb);
    amdi_features_get(&a.s, oa);
    amdi_features_get(&b.s, ob);
    ck_assert_float_eq_tol(ob[AMDI_F_TIME], 2.1f, 1e-4f);
    ck_assert_float_eq_tol(ob[AMDI_F_SILENCE], oa[AMDI_F_SILENCE], 1e-4f);
    ck_assert_float_eq_tol(ob[AMDI_F_CUR_BURST], oa[AMDI_F_CUR_BURST], 1e-4f);
    ck_assert_float_eq(ob[AMDI_F_BURSTS], oa[AMDI_F_BURSTS]);
    ck_assert_float_eq(ob[AMDI_F_IN_SPEECH], 0.f);
}
END_TEST

START_TEST(test_silence_only)
{
    fx x;
    tu_rng r;
    tu_rng_seed(&r, 11);
    fx_init(&x);
    fx_run(&x, 300, 0, &r);
    float o[AMDI_FEAT_COUNT];
    amdi_features_get(&x.s, o);
    ck_assert_float_eq_tol(o[AMDI_F_TIME], 3.0f, 1e-4f);
    ck_assert_float_eq_tol(o[AMDI_F_ONSET], 3.0f, 1e-4f);  /* no onset: initial silence is all of it */
    ck_assert_float_eq_tol(o[AMDI_F_SILENCE], 3.0f, 1e-4f);
    ck_assert_float_eq(o[AMDI_F_BURSTS], 0.f);
    ck_assert_float_eq(o[AMDI_F_SPEECH], 0.f);
    ck_assert_float_eq(o[AMDI_F_IN_SPEECH], 0.f);
    ck_assert_float_eq(o[AMDI_F_DIGITAL_SIL], 0.f); /* -50 dBFS noise is an open line, not digital */
    for (int i = 0; i < AMDI_FEAT_COUNT; i++)
        ck_assert_msg(isfinite(o[i]), "feature %s not finite", amdi_feature_name(i));
}
END_TEST

/* 500 ms silence, 600 ms speech, 300 ms pause, 400 ms speech, 150 ms gap, 200 ms speech, 1 s silence */
START_TEST(test_timing_pattern)
{
    fx x;
    tu_rng r;
    tu_rng_seed(&r, 12);
    fx_init(&x);
    fx_run(&x, 50, 0, &r);
    fx_run(&x, 60, 1, &r);
    float o[AMDI_FEAT_COUNT];
    amdi_features_get(&x.s, o);
    ck_assert_float_eq_tol(o[AMDI_F_ONSET], 0.5f, 1e-4f);
    ck_assert_float_eq_tol(o[AMDI_F_FIRST_BURST], 0.6f, 1e-4f); /* running while the burst lasts */
    ck_assert_float_eq(o[AMDI_F_IN_SPEECH], 1.f);
    fx_run(&x, 30, 0, &r);
    fx_run(&x, 40, 1, &r);
    fx_run(&x, 15, 0, &r); /* under the 200 ms burst gap: same burst */
    fx_run(&x, 20, 1, &r);
    fx_run(&x, 100, 0, &r);
    amdi_features_get(&x.s, o);
    ck_assert_float_eq(o[AMDI_F_BURSTS], 2.f);
    ck_assert_float_eq_tol(o[AMDI_F_FIRST_BURST], 0.6f, 1e-4f);
    ck_assert_float_eq_tol(o[AMDI_F_LONGEST_BURST], 0.75f, 1e-4f); /* 400 + 150 + 200 ms */
    ck_assert_float_eq_tol(o[AMDI_F_CUR_BURST], 0.75f, 1e-4f);
    ck_assert_float_eq_tol(o[AMDI_F_MEAN_PAUSE], 0.3f, 1e-4f);
    ck_assert_float_eq_tol(o[AMDI_F_SPEECH], 1.2f, 1e-4f);
    ck_assert_float_eq_tol(o[AMDI_F_SILENCE], 1.0f, 1e-4f);
    ck_assert_float_eq(o[AMDI_F_IN_SPEECH], 0.f);
    ck_assert_float_eq_tol(o[AMDI_F_SPEECH_RATIO], 1.2f / 2.65f, 1e-3f);
    ck_assert_float_gt(o[AMDI_F_SNR], 20.f);
    ck_assert_float_gt(o[AMDI_F_VOICED_RATIO], 0.9f); /* a 150 Hz harmonic vowel is voiced */
    ck_assert_float_eq_tol(o[AMDI_F_F0_MEAN], 1.5f, 0.1f);
    ck_assert_float_lt(o[AMDI_F_F0_STD], 1.0f); /* a monotone: well under a semitone */
}
END_TEST

/* Tone frames are never speech; they are counted on their own. */
/* Packet loss: 3 speech hops whose window spans a gap (here a loud broadband splice) count as
 * speech time like any speech hop, but their spectrum stays out of the averages: the spectral
 * features are those of the vowel heard around them, not pulled toward noise. */
START_TEST(test_spliced_hops_timing_only)
{
    fx a, b;
    tu_rng ra, rb, rn;
    tu_rng_seed(&ra, 33);
    tu_rng_seed(&rb, 33);
    tu_rng_seed(&rn, 34);
    fx_init(&a);
    fx_init(&b);
    fx_run(&a, 30, 0, &ra);
    fx_run(&b, 30, 0, &rb);
    fx_run(&a, 40, 1, &ra);
    fx_run(&b, 20, 1, &rb);
    float click[AMDI_WIN];
    b.spliced = 1;
    for (int j = 0; j < 3; j++) {
        memset(click, 0, sizeof click);
        tu_add_noise(click, AMDI_WIN, 3000.0, &rn);
        fx_push(&b, click, 1, 0, -50.f);
    }
    b.spliced = 0;
    fx_run(&b, 17, 1, &rb);
    float oa[AMDI_FEAT_COUNT], ob[AMDI_FEAT_COUNT];
    amdi_features_get(&a.s, oa);
    amdi_features_get(&b.s, ob);
    for (int f = AMDI_F_TIME; f <= AMDI_F_SPEECH; f++)
        ck_assert_msg(fabsf(oa[f] - ob[f]) < 1e-4f, "timing: %s %.3f vs %.3f", amdi_feature_name(f),
                      (double)oa[f], (double)ob[f]);
    ck_assert_float_eq_tol(ob[AMDI_F_LONGEST_BURST], 0.4f, 1e-4f);
    int spectral[] = {AMDI_F_FLATNESS, AMDI_F_CENTROID, AMDI_F_HF_RATIO, AMDI_F_FLUX};
    for (int i = 0; i < 4; i++) {
        int f = spectral[i];
        ck_assert_msg(fabsf(oa[f] - ob[f]) <= 0.05f * fabsf(oa[f]) + 1e-3f, "spectrum: %s %.3f vs %.3f",
                      amdi_feature_name(f), (double)oa[f], (double)ob[f]);
    }
}
END_TEST

START_TEST(test_tone_not_speech)
{
    fx x;
    fx_init(&x);
    float sig[AMDI_WIN] = {0};
    tu_add_sine(sig, AMDI_WIN, AMDI_RATE, 1000.0, 8000.0, 0.0);
    for (int j = 0; j < 50; j++)
        fx_push(&x, sig, 1, 1, -60.f);
    float o[AMDI_FEAT_COUNT];
    amdi_features_get(&x.s, o);
    ck_assert_float_eq(o[AMDI_F_BURSTS], 0.f);
    ck_assert_float_eq(o[AMDI_F_SPEECH], 0.f);
    ck_assert_float_eq_tol(o[AMDI_F_TONE], 0.5f, 1e-4f);
}
END_TEST

/* Digital silence (exact zeros) between phrases versus an open line. */
START_TEST(test_digital_silence)
{
    fx x;
    tu_rng r;
    tu_rng_seed(&r, 13);
    fx_init(&x);
    float zero[AMDI_WIN] = {0};
    fx_run(&x, 30, 1, &r);
    for (int j = 0; j < 70; j++)
        fx_push(&x, zero, 0, 0, -100.f);
    float o[AMDI_FEAT_COUNT];
    amdi_features_get(&x.s, o);
    ck_assert_float_eq_tol(o[AMDI_F_DIGITAL_SIL], 1.f, 1e-6f);
    ck_assert_float_lt(o[AMDI_F_PAUSE_STD], 0.01f);
}
END_TEST

/* f0 from the harmonic comb: swept over the adult voice range, within 8 %. */
START_TEST(test_f0_sweep)
{
    float sig[AMDI_WIN], power[AMDI_BINS];
    for (double f0 = 100.0; f0 <= 300.0; f0 += 25.0) {
        memset(sig, 0, sizeof sig);
        for (int h = 1; f0 * h < 3400.0; h++)
            tu_add_sine(sig, AMDI_WIN, AMDI_RATE, f0 * h, 4000.0 / h, 0.7 * h);
        spectrum(sig, power);
        float est = amdi_features_f0(power);
        ck_assert_msg(fabs(est - f0) <= 0.08 * f0, "f0 %.0f Hz estimated %.1f Hz", f0, est);
    }
    /* white noise has no comb: unvoiced in nearly every frame */
    tu_rng r;
    tu_rng_seed(&r, 14);
    int voiced = 0;
    for (int j = 0; j < 50; j++) {
        memset(sig, 0, sizeof sig);
        tu_add_noise(sig, AMDI_WIN, 2000.0, &r);
        spectrum(sig, power);
        voiced += amdi_features_f0(power) > 0.f;
    }
    ck_assert_msg(voiced <= 5, "white noise voiced in %d of 50 frames", voiced);
}
END_TEST

/* Same input twice -> same features; reset forgets everything. */
START_TEST(test_determinism_reset)
{
    static fx a, b;
    tu_rng r1, r2;
    tu_rng_seed(&r1, 15);
    tu_rng_seed(&r2, 15);
    fx_init(&a);
    fx_init(&b);
    fx_run(&a, 40, 0, &r1);
    fx_run(&a, 80, 1, &r1);
    fx_run(&b, 40, 0, &r2);
    fx_run(&b, 80, 1, &r2);
    float oa[AMDI_FEAT_COUNT], ob[AMDI_FEAT_COUNT];
    amdi_features_get(&a.s, oa);
    amdi_features_get(&b.s, ob);
    ck_assert_mem_eq(oa, ob, sizeof oa);
    amdi_features_reset(&a.s);
    amdi_features_get(&a.s, oa);
    ck_assert_float_eq(oa[AMDI_F_TIME], 0.f);
    ck_assert_float_eq(oa[AMDI_F_BURSTS], 0.f);
    for (int i = 0; i < AMDI_FEAT_COUNT; i++)
        ck_assert_str_ne(amdi_feature_name(i), "?");
}
END_TEST

Suite *features_suite(void)
{
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_silence_only);
    tcase_add_test(tc, test_timing_pattern);
    tcase_add_test(tc, test_lost_hops_keep_audio_time);
    tcase_add_test(tc, test_spliced_hops_timing_only);
    tcase_add_test(tc, test_tone_not_speech);
    tcase_add_test(tc, test_digital_silence);
    tcase_add_test(tc, test_f0_sweep);
    tcase_add_test(tc, test_determinism_reset);
    suite_add_tcase(s, tc);
    return s;
}
