/* SPDX-License-Identifier: MIT */
/*
 * The tone aggregate (tones.c) and the shared spectral analysis
 * (tone_analysis.c): memory contract, reset, the "tone active" flag and its
 * kinds, frequency interpolation accuracy, lobe-shape and activity helpers.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "tone_analysis.h"
#include "tone_gen.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define INTERP_TOL_CLEAN_HZ 0.5 /* exact sinusoid, anywhere between two bins */
#define INTERP_TOL_NOISY_HZ 3.0 /* per frame, 10 dB SNR */

Suite *tones_suite(void);

START_TEST(test_memory_contract)
{
    size_t sz = amdi_tones_size();
    ck_assert_uint_eq(sz % 16, 0);
    ck_assert_msg(sz <= 8192, "tone state %zu bytes: too much of the 32 KiB detector budget", sz);
    amd_config cfg;
    amd_config_init(&cfg);
    ck_assert_ptr_null(amdi_tones_init(NULL, &cfg));
    void *mem = aligned_alloc(16, sz);
    ck_assert_ptr_null(amdi_tones_init(mem, NULL));
    amdi_tones *t = amdi_tones_init(mem, &cfg);
    ck_assert_ptr_eq(t, mem);
    float hz = -1;
    const char *kind = "x";
    ck_assert_int_eq(amdi_tones_active(t, &hz, &kind), 0);
    ck_assert(hz == 0.f && kind == NULL);
    ck_assert_int_eq(amdi_tones_active(t, NULL, NULL), 0);
    free(mem);
}
END_TEST

/* Run a signal, reset, run it again: identical events (no state survives reset). */
START_TEST(test_reset)
{
    size_t n = TG_MS(9000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 5);
    tg_tone(b, n, 500, 300, 1000, -20);
    double hz[3] = {950, 1400, 1800}, ms[3] = {330, 330, 330};
    tg_sit(b, n, 1500, hz, ms, 0, -20);
    tg_ans(b, n, 4000, 3000, -20, 0.2, 450);

    amd_config cfg;
    amd_config_init(&cfg);
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    void *mem = aligned_alloc(16, amdi_tones_size());
    ck_assert_int_eq(amdi_analysis_init(&an, abuf), 0);
    amdi_tones *t = amdi_tones_init(mem, &cfg);
    amdi_tone_event first[16], second[16];
    int n1 = 0, n2 = 0;
    for (int pass = 0; pass < 2; pass++) {
        amdi_analysis_reset(&an);
        if (pass)
            amdi_tones_reset(t);
        for (size_t p = 0; p + AMDI_HOP <= n; p += AMDI_HOP) {
            const amdi_frame *f = amdi_analysis_hop(&an, b + p);
            amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
            int k = amdi_tones_frame(t, f, ev);
            ck_assert(k >= 0 && k <= AMDI_TONES_MAX_EVENTS);
            for (int i = 0; i < k; i++) {
                if (pass == 0 && n1 < 16)
                    first[n1++] = ev[i];
                if (pass == 1 && n2 < 16)
                    second[n2++] = ev[i];
            }
        }
    }
    ck_assert_int_eq(n1, 3); /* the beep, the SIT, the ANSam/PR (beeps stop after SIT) */
    ck_assert_int_eq(first[0].kind, AMDI_TONE_BEEP);
    ck_assert_int_eq(first[1].kind, AMDI_TONE_SIT);
    ck_assert_int_eq(first[2].kind, AMDI_TONE_FAX_ANSAM);
    ck_assert_int_eq(n1, n2);
    ck_assert_mem_eq(first, second, sizeof(amdi_tone_event) * (size_t)n1);
    amdi_analysis_free(&an);
    free(abuf);
    free(mem);
    free(b);
}
END_TEST

/* The kind strings of amdi_tones_active while each tone plays. */
START_TEST(test_active_kinds)
{
    size_t n = TG_MS(4000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 6);
    struct {
        const char *kind;
        int which;
    } cases[] = {{"beep", 0}, {"ced", 1}, {"cng", 2}, {"v21", 3}, {"sit", 4}};
    amd_config cfg;
    amd_config_init(&cfg);
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    void *mem = aligned_alloc(16, amdi_tones_size());
    ck_assert_int_eq(amdi_analysis_init(&an, abuf), 0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memset(b, 0, n * sizeof *b);
        double hz3[3] = {913.8, 1370.6, 1776.7}, ms3[3] = {380, 380, 380};
        switch (cases[c].which) {
        case 0: tg_tone(b, n, 1000, 400, 1234, -20); break;
        case 1: tg_ans(b, n, 1000, 3000, -20, 0, 0); break;
        case 2: tg_tone(b, n, 1000, 500, 1100, -20); break;
        case 3: tg_v21_flags(b, n, 1000, 30, 0, -20, &r); break;
        case 4: tg_sit(b, n, 1000, hz3, ms3, 0, -20); break;
        }
        amdi_analysis_reset(&an);
        amdi_tones *t = amdi_tones_init(mem, &cfg);
        int seen = 0;
        int64_t first_ms = -1;
        for (size_t p = 0; p + AMDI_HOP <= n; p += AMDI_HOP) {
            const amdi_frame *f = amdi_analysis_hop(&an, b + p);
            amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
            amdi_tones_frame(t, f, ev);
            float hz;
            const char *kind;
            if (amdi_tones_active(t, &hz, &kind)) {
                ck_assert_ptr_nonnull(kind);
                ck_assert(hz > 300.f && hz < 2500.f);
                if (strcmp(kind, cases[c].kind) == 0) {
                    seen++;
                    if (first_ms < 0)
                        first_ms = f->end_ms;
                }
            }
        }
        ck_assert_msg(seen >= 10, "%s: active %d frames", cases[c].kind, seen);
        ck_assert_msg(first_ms >= 1000 && first_ms <= 1000 + 80, "%s: active from %lld", cases[c].kind,
                      (long long)first_ms);
    }
    amdi_analysis_free(&an);
    free(abuf);
    free(mem);
    free(b);
}
END_TEST

/* amdi_tones_beep_pending: set from the beep's third frame until its event, clear otherwise. */
START_TEST(test_beep_pending)
{
    size_t n = TG_MS(4000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 12);
    tu_make_speechlike(b, TG_MS(1500), TG_RATE, 140, 3000, &r);
    tg_tone(b, n, 2000, 300, 1000, -20);
    amd_config cfg;
    amd_config_init(&cfg);
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    void *mem = aligned_alloc(16, amdi_tones_size());
    ck_assert_int_eq(amdi_analysis_init(&an, abuf), 0);
    amdi_tones *t = amdi_tones_init(mem, &cfg);
    int64_t first = -1, last = -1, event_at = -1;
    int speech_pending = 0;
    for (size_t p = 0; p + AMDI_HOP <= n; p += AMDI_HOP) {
        const amdi_frame *f = amdi_analysis_hop(&an, b + p);
        amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
        int k = amdi_tones_frame(t, f, ev);
        if (k > 0 && ev[0].kind == AMDI_TONE_BEEP)
            event_at = f->end_ms;
        if (amdi_tones_beep_pending(t)) {
            if (f->end_ms <= 1500)
                speech_pending++;
            if (first < 0 && f->end_ms > 1500)
                first = f->end_ms;
            last = f->end_ms;
        }
    }
    ck_assert_msg(speech_pending <= 3, "pending on %d speech frames", speech_pending);
    ck_assert_msg(first >= 2000 && first <= 2040, "pending from %lld", (long long)first);
    ck_assert_msg(event_at > 2300 && last == event_at - AMDI_HOP_MS, "pending until %lld, event at %lld",
                  (long long)last, (long long)event_at);
    amdi_analysis_free(&an);
    free(abuf);
    free(mem);
    free(b);
}
END_TEST

/* amdi_tones_pending: set while a SIT forms and while CED runs, before their events; clear in silence. */
START_TEST(test_tones_pending)
{
    size_t n = TG_MS(6000);
    float *b = calloc(n, sizeof *b);
    double hz[3] = {913.8, 1370.6, 1776.7}, ms[3] = {380, 380, 380};
    tg_sit(b, n, 500, hz, ms, 0, -20);
    tg_ans(b, n, 2500, 3000, -20, 0, 0);
    amd_config cfg;
    amd_config_init(&cfg);
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    void *mem = aligned_alloc(16, amdi_tones_size());
    ck_assert_int_eq(amdi_analysis_init(&an, abuf), 0);
    amdi_tones *t = amdi_tones_init(mem, &cfg);
    int64_t sit_at = -1, ced_at = -1;
    int pend_sit_gap = 0, n_sit_gap = 0, pend_ced = 0, pend_silence = 0;
    for (size_t p = 0; p + AMDI_HOP <= n; p += AMDI_HOP) {
        const amdi_frame *f = amdi_analysis_hop(&an, b + p);
        amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
        int k = amdi_tones_frame(t, f, ev);
        for (int i = 0; i < k; i++) {
            if (ev[i].kind == AMDI_TONE_SIT)
                sit_at = f->end_ms;
            if (ev[i].kind == AMDI_TONE_FAX_CED)
                ced_at = f->end_ms;
        }
        int pend = amdi_tones_pending(t);
        if (f->end_ms > 900 && sit_at < 0) {
            pend_sit_gap += pend; /* second and third tone of the SIT, before the event */
            n_sit_gap++;
        }
        if (f->end_ms > 2600 && f->end_ms < 3700)
            pend_ced += pend;
        if ((f->end_ms > 100 && f->end_ms < 450) || (f->end_ms > 2000 && f->end_ms < 2450))
            pend_silence += pend;
    }
    ck_assert(sit_at > 1400 && ced_at > 3700);
    ck_assert_msg(pend_sit_gap >= n_sit_gap - 2, "pending %d of %d frames while the SIT formed", pend_sit_gap,
                  n_sit_gap);
    ck_assert_msg(pend_ced >= 100, "pending %d of 109 frames while CED ran", pend_ced);
    ck_assert_msg(pend_silence == 0, "pending on %d silent frames", pend_silence);
    amdi_analysis_free(&an);
    free(abuf);
    free(mem);
    free(b);
}
END_TEST

START_TEST(test_interpolation_accuracy)
{
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    ck_assert_int_eq(amdi_analysis_init(&an, abuf), 0);
    float hop[AMDI_HOP];
    tu_rng r;
    tu_rng_seed(&r, 0x1A7);
    double worst_clean = 0, sum_noisy = 0;
    int n_noisy = 0;
    for (double hz = 300; hz <= 3400; hz += 31.25 / 7.3) {
        for (int noisy = 0; noisy < 2; noisy++) {
            amdi_analysis_reset(&an);
            const amdi_frame *f = NULL;
            for (int h = 0; h < 4; h++) {
                memset(hop, 0, sizeof hop);
                for (int i = 0; i < AMDI_HOP; i++)
                    hop[i] = (float)(8000.0 * sin(2 * M_PI * hz * (h * AMDI_HOP + i) / AMDI_RATE + 0.3));
                if (noisy)
                    tu_add_noise(hop, AMDI_HOP, 8000.0 / sqrt(2.0) / sqrt(10.0), &r);
                f = amdi_analysis_hop(&an, hop);
            }
            amdi_tone_analysis a;
            amdi_tone_analyse(&a, f);
            double err = fabs(a.p1.hz - hz);
            if (noisy) {
                sum_noisy += err;
                n_noisy++;
                ck_assert_msg(err <= 3 * INTERP_TOL_NOISY_HZ, "%.2f Hz at 10 dB SNR read as %.2f", hz, a.p1.hz);
            } else {
                if (err > worst_clean)
                    worst_clean = err;
                ck_assert(a.p1.power > 0.99f * a.total);
                ck_assert(amdi_tone_shape_error(f->power, &a.p1) < 0.01f);
            }
        }
    }
    ck_assert_msg(worst_clean <= INTERP_TOL_CLEAN_HZ, "clean worst %.3f Hz", worst_clean);
    ck_assert_msg(sum_noisy / n_noisy <= INTERP_TOL_NOISY_HZ / 3, "noisy mean %.3f Hz", sum_noisy / n_noisy);
    amdi_analysis_free(&an);
    free(abuf);
}
END_TEST

START_TEST(test_shape_error_separates_unresolved_pairs)
{
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    ck_assert_int_eq(amdi_analysis_init(&an, abuf), 0);
    static const double pairs[][2] = {{440, 480}, {400, 450}, {350, 440}};
    size_t n = TG_MS(1000);
    float *b = calloc(n, sizeof *b);
    for (int i = 0; i < 3; i++) {
        memset(b, 0, n * sizeof *b);
        tg_tone(b, n, 0, 1000, pairs[i][0], -20);
        tg_tone(b, n, 0.4, 1000, pairs[i][1], -20);
        amdi_analysis_reset(&an);
        double sum = 0;
        int k = 0;
        for (size_t p = 0; p + AMDI_HOP <= n; p += AMDI_HOP) {
            const amdi_frame *f = amdi_analysis_hop(&an, b + p);
            amdi_tone_analysis a;
            amdi_tone_analyse(&a, f);
            if (f->index >= 4) {
                sum += amdi_tone_shape_error(f->power, &a.p1);
                k++;
            }
        }
        ck_assert_msg(sum / k >= 0.18, "%.0f+%.0f: mean shape error %.3f", pairs[i][0], pairs[i][1], sum / k);
    }
    free(b);
    amdi_analysis_free(&an);
    free(abuf);
}
END_TEST

START_TEST(test_activity)
{
    amdi_activity act;
    amdi_activity_init(&act);
    ck_assert(amdi_activity_max(&act, 0, 1000) == 0.f);
    for (int64_t i = 0; i < 500; i++)
        amdi_activity_add(&act, i, (float)i);
    /* only the last 2.4 s are kept */
    ck_assert(amdi_activity_max(&act, 0, 100) == 0.f);
    ck_assert(amdi_activity_max(&act, 400, 409) == 409.f);
    ck_assert(amdi_activity_max(&act, 300, 499) == 499.f);
    ck_assert(amdi_activity_max(&act, -50, -1) == 0.f);
}
END_TEST

Suite *tones_suite(void)
{
    Suite *s = suite_create("tones");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_memory_contract);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_active_kinds);
    tcase_add_test(tc, test_beep_pending);
    tcase_add_test(tc, test_tones_pending);
    tcase_add_test(tc, test_interpolation_accuracy);
    tcase_add_test(tc, test_shape_error_separates_unresolved_pairs);
    tcase_add_test(tc, test_activity);
    suite_add_tcase(s, tc);
    return s;
}
