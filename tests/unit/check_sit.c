/* SPDX-License-Identifier: MIT */
/*
 * Special information tone detector (sit_detector.c) through the tone
 * aggregate: every North American segment combination (913.8 / 985.2,
 * 1370.6 / 1428.5, 1776.7 Hz; 274 / 380 ms), the ITU form (950 / 1400 /
 * 1800 Hz, 330 ms, gaps up to 30 ms), levels, noise and codecs, and tone
 * sequences that are not SIT.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tone_gen.h"

#define SIT_DECIDE_AFTER_THIRD_MS 300 /* decided within 300 ms of the third tone's start */
#define ITU_TOL_HZ 50.0               /* E.180: +-50 Hz */

Suite *sit_suite(void);

static float *sig_new(double ms, size_t *n)
{
    *n = TG_MS(ms);
    float *b = calloc(*n, sizeof *b);
    ck_assert_ptr_nonnull(b);
    return b;
}

static void expect_sit(const float *b, size_t n, const amd_config *cfg, double third_start, const char *what)
{
    tg_result r;
    ck_assert_int_eq(tg_run(b, n, cfg, &r), 0);
    int64_t at = -1;
    const amdi_tone_event *e = tg_find(&r, AMDI_TONE_SIT, &at);
    ck_assert_msg(e != NULL, "%s: no SIT", what);
    ck_assert_msg(at >= (int64_t)third_start && at <= (int64_t)third_start + SIT_DECIDE_AFTER_THIRD_MS,
                  "%s: decided at %lld, third tone at %.0f", what, (long long)at, third_start);
    ck_assert_msg(r.n_beep == 0, "%s: %d beeps as well", what, r.n_beep);
}

static int n_sit(const float *b, size_t n, const amd_config *cfg)
{
    tg_result r;
    ck_assert_int_eq(tg_run(b, n, cfg, &r), 0);
    return tg_find(&r, AMDI_TONE_SIT, NULL) != NULL;
}

START_TEST(test_north_american_combinations)
{
    size_t n;
    float *b = sig_new(3000, &n);
    static const double f1[] = {913.8, 985.2}, f2[] = {1370.6, 1428.5}, len[] = {274, 380};
    for (int i = 0; i < 16; i++) {
        double hz[3] = {f1[i & 1], f2[(i >> 1) & 1], 1776.7};
        double ms[3] = {len[(i >> 2) & 1], len[(i >> 3) & 1], 380};
        memset(b, 0, n * sizeof *b);
        tg_sit(b, n, 300.4, hz, ms, 0, -20);
        char what[96];
        snprintf(what, sizeof what, "NA SIT %.1f/%.1f %0.f/%0.f ms", hz[0], hz[1], ms[0], ms[1]);
        expect_sit(b, n, NULL, 300.4 + ms[0] + ms[1], what);
    }
    free(b);
}
END_TEST

START_TEST(test_itu_form)
{
    size_t n;
    float *b = sig_new(3000, &n);
    for (double d = -ITU_TOL_HZ; d <= ITU_TOL_HZ; d += 25) {
        for (double gap = 0; gap <= 30; gap += 15) {
            double hz[3] = {950 + d, 1400 + d, 1800 + d}, ms[3] = {330, 330, 330};
            memset(b, 0, n * sizeof *b);
            tg_sit(b, n, 500.2, hz, ms, gap, -20);
            char what[64];
            snprintf(what, sizeof what, "ITU SIT %+.0f Hz gap %.0f ms", d, gap);
            expect_sit(b, n, NULL, 500.2 + 660 + 2 * gap, what);
        }
    }
    free(b);
}
END_TEST

START_TEST(test_levels_noise_codecs)
{
    size_t n;
    float *b = sig_new(3000, &n);
    tu_rng r;
    tu_rng_seed(&r, 0x517);
    double hz[3] = {985.2, 1370.6, 1776.7}, ms[3] = {380, 274, 380};
    for (double db = -45; db <= 0; db += 15) {
        for (int codec = 0; codec < 4; codec++) {
            memset(b, 0, n * sizeof *b);
            tg_sit(b, n, 400, hz, ms, 0, db);
            tg_noise_snr(b, n, db, codec == 3 ? 20 : 10, &r);
            if (codec == 1)
                tg_ulaw(b, n);
            if (codec == 2)
                tg_alaw(b, n);
            if (codec == 3)
                ck_assert_int_eq(tg_gsm(b, n), 0);
            char what[64];
            snprintf(what, sizeof what, "SIT %.0f dBFS codec %d (seed 0x517)", db, codec);
            expect_sit(b, n, NULL, 400 + 654, what);
        }
    }
    free(b);
}
END_TEST

/* SIT followed by the intercept announcement: one SIT, no beep, nothing else. */
START_TEST(test_sit_then_announcement)
{
    size_t n;
    float *b = sig_new(8000, &n);
    tu_rng r;
    tu_rng_seed(&r, 3);
    double hz[3] = {913.8, 1370.6, 1776.7}, ms[3] = {274, 274, 380};
    double t = tg_sit(b, n, 200, hz, ms, 0, -18);
    tu_make_speechlike(b + TG_MS(t + 300), n - TG_MS(t + 300), TG_RATE, 180, 3000, &r);
    tg_result res;
    ck_assert_int_eq(tg_run(b, n, NULL, &res), 0);
    ck_assert_int_eq(res.n, 1);
    ck_assert_int_eq(res.ev[0].kind, AMDI_TONE_SIT);
    free(b);
}
END_TEST

/* Packet loss cutting a SIT's tones apart (corpus sit_00023: IO SIT with 4 % of 20 ms packets
   zeroed, one 20 ms packet near the end of the first tone): the first tone's part before the
   hole, standing alone, looks like a beep; the SIT must still win and no beep be reported. Holes
   of one and two 20 ms packets ending 20..100 ms before the first tone's end. */
START_TEST(test_sit_cut_by_loss)
{
    size_t n;
    float *b = sig_new(3000, &n);
    static const double f1[] = {913.8, 985.2};
    int bad = 0;
    for (int k = 0; k < 2; k++)
        for (double hole = 20; hole <= 40; hole += 20)
            for (double at = -100 - hole; at <= -20 - hole; at += 10) {
                double hz[3] = {f1[k], 1428.5, 1776.7}, ms[3] = {274, 274, 380};
                memset(b, 0, n * sizeof *b);
                tg_sit(b, n, 1000.3, hz, ms, 0, -30);
                size_t i0 = TG_MS(1000.3 + 274 + at), i1 = TG_MS(1000.3 + 274 + at + hole);
                for (size_t i = i0; i < i1 && i < n; i++)
                    b[i] = 0.f;
                tg_result r;
                ck_assert_int_eq(tg_run(b, n, NULL, &r), 0);
                if (!tg_find(&r, AMDI_TONE_SIT, NULL) || r.n_beep != 0) {
                    fprintf(stderr, "sit cut by loss: %.1f Hz hole %.0f ms at %+.0f ms: sit %d, %d beeps\n", f1[k],
                            hole, at, tg_find(&r, AMDI_TONE_SIT, NULL) != NULL, r.n_beep);
                    bad++;
                }
            }
    ck_assert_msg(bad == 0, "%d SITs cut by loss lost to a beep", bad);
    free(b);
}
END_TEST

START_TEST(test_not_sit)
{
    size_t n;
    float *b = sig_new(3000, &n);
    double ms[3] = {330, 330, 330};
    /* falling order */
    double down[3] = {1776.7, 1370.6, 913.8};
    tg_sit(b, n, 300, down, ms, 0, -20);
    ck_assert_msg(!n_sit(b, n, NULL), "falling triplet");
    /* two tones only */
    memset(b, 0, n * sizeof *b);
    tg_tone(b, n, 300, 330, 950, -20);
    tg_tone(b, n, 630, 330, 1400, -20);
    ck_assert_msg(!n_sit(b, n, NULL), "two tones");
    /* segments too short (120 ms) and too long (700 ms) */
    static const double bad_ms[] = {120, 700};
    for (int i = 0; i < 2; i++) {
        double hz[3] = {950, 1400, 1800}, m3[3] = {bad_ms[i], bad_ms[i], bad_ms[i]};
        memset(b, 0, n * sizeof *b);
        tg_sit(b, n, 300, hz, m3, 0, -20);
        ck_assert_msg(!n_sit(b, n, NULL), "segments of %.0f ms", bad_ms[i]);
    }
    /* wrong middle frequency (1200 Hz) */
    double mid[3] = {950, 1200, 1800};
    memset(b, 0, n * sizeof *b);
    tg_sit(b, n, 300, mid, ms, 0, -20);
    ck_assert_msg(!n_sit(b, n, NULL), "950/1200/1800");
    /* long gaps (300 ms) between the tones */
    double hz[3] = {950, 1400, 1800};
    memset(b, 0, n * sizeof *b);
    tg_sit(b, n, 300, hz, ms, 300, -20);
    ck_assert_msg(!n_sit(b, n, NULL), "300 ms gaps");
    /* detect_sit = 0 */
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.detect_sit = 0;
    memset(b, 0, n * sizeof *b);
    tg_sit(b, n, 300, hz, ms, 0, -20);
    ck_assert_msg(!n_sit(b, n, &cfg), "detect_sit = 0");
    free(b);
}
END_TEST

Suite *sit_suite(void)
{
    Suite *s = suite_create("sit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_north_american_combinations);
    tcase_add_test(tc, test_itu_form);
    tcase_add_test(tc, test_levels_noise_codecs);
    tcase_add_test(tc, test_sit_then_announcement);
    tcase_add_test(tc, test_not_sit);
    tcase_add_test(tc, test_sit_cut_by_loss);
    suite_add_tcase(s, tc);
    return s;
}
