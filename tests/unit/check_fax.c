/* SPDX-License-Identifier: MIT */
/*
 * Fax / modem tone detector (fax_detector.c) through the tone aggregate:
 * CED / ANS, ANSam, phase reversals, CNG cadence, V.21 preamble flags, from a
 * generator that follows the recommendations (tone_gen.c: V.25 ANS, V.8
 * ANSam 15 Hz / 20 %, 450 ms reversals, T.30 CNG, V.21 ch. 2 phase-continuous
 * FSK with HDLC flags sent LSB first), swept against named limits.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tone_gen.h"

#define CED_ACCEPT_TOL_HZ 15.0  /* T.30 / V.25: 2100 +-15 Hz */
#define CED_REJECT_TOL_HZ 40.0  /* a tone 40 Hz off is not an answer tone */
#define CNG_ACCEPT_TOL_HZ 38.0  /* T.30: 1100 +-38 Hz */
#define CNG_REJECT_TOL_HZ 80.0
#define LEVEL_MIN_DBFS (-45.0)
#define DECIDE_MAX_MS 3000      /* each fax tone decided within 3 s of its start */
#define SHORT_2100_MS 500       /* a 2100 Hz "beep" this short is never fax */

Suite *fax_suite(void);

static float *sig_new(double ms, size_t *n)
{
    *n = TG_MS(ms);
    float *b = calloc(*n, sizeof *b);
    ck_assert_ptr_nonnull(b);
    return b;
}

/* The first fax event (any kind), or NULL; *at = frame end when it was returned. */
static const amdi_tone_event *first_fax(const tg_result *r, int64_t *at)
{
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].kind >= AMDI_TONE_FAX_CED && r->ev[i].kind <= AMDI_TONE_FAX_V21) {
            *at = r->decided_ms[i];
            return &r->ev[i];
        }
    return NULL;
}

/* kind AMDI_TONE_NONE: any fax kind (through GSM 06.10 the codec's own amplitude and phase
   wobble make ANSam / reversals and plain CED indistinguishable; it is fax either way). */
static void expect_fax(const float *b, size_t n, const amd_config *cfg, amdi_tone_kind kind, double start,
                       const char *what)
{
    tg_result r;
    ck_assert_int_eq(tg_run(b, n, cfg, &r), 0);
    int64_t at = -1;
    const amdi_tone_event *e = first_fax(&r, &at);
    ck_assert_msg(e != NULL, "%s: no fax event", what);
    ck_assert_msg(kind == AMDI_TONE_NONE || e->kind == kind, "%s: kind %d, want %d", what, (int)e->kind, (int)kind);
    ck_assert_msg(at >= (int64_t)start && at <= (int64_t)start + DECIDE_MAX_MS, "%s: decided at %lld (start %.0f)",
                  what, (long long)at, start);
    ck_assert_msg(r.n_beep == 0, "%s: also %d beeps", what, r.n_beep);
}

static void expect_no_fax(const float *b, size_t n, const amd_config *cfg, const char *what)
{
    tg_result r;
    ck_assert_int_eq(tg_run(b, n, cfg, &r), 0);
    int64_t at;
    const amdi_tone_event *e = first_fax(&r, &at);
    ck_assert_msg(e == NULL, "%s: fax event kind %d at %lld", what, e ? (int)e->kind : 0, (long long)at);
}

START_TEST(test_ced_frequency_sweep)
{
    size_t n;
    float *b = sig_new(5000, &n);
    for (double d = -CED_ACCEPT_TOL_HZ; d <= CED_ACCEPT_TOL_HZ; d += 5) {
        memset(b, 0, n * sizeof *b);
        tg_tone(b, n, 700.3, 3000, 2100 + d, -20);
        char what[64];
        snprintf(what, sizeof what, "CED %+.0f Hz", d);
        expect_fax(b, n, NULL, AMDI_TONE_FAX_CED, 700.3, what);
    }
    for (int sgn = -1; sgn <= 1; sgn += 2) {
        memset(b, 0, n * sizeof *b);
        tg_tone(b, n, 700, 3000, 2100 + sgn * CED_REJECT_TOL_HZ, -20);
        expect_no_fax(b, n, NULL, "2100 Hz +-40 Hz");
    }
    free(b);
}
END_TEST

START_TEST(test_ced_levels_snr_codecs)
{
    size_t n;
    float *b = sig_new(5000, &n);
    tu_rng r;
    tu_rng_seed(&r, 0xCED);
    for (double db = LEVEL_MIN_DBFS; db <= 0; db += 9) {
        memset(b, 0, n * sizeof *b);
        tg_ans(b, n, 500, 3300, db, 0.0, 0);
        char what[64];
        snprintf(what, sizeof what, "CED %.0f dBFS", db);
        expect_fax(b, n, NULL, AMDI_TONE_FAX_CED, 500, what);
    }
    for (int codec = 0; codec < 4; codec++) {
        memset(b, 0, n * sizeof *b);
        tg_ans(b, n, 500, 3300, -25, 0.0, 0);
        tg_noise_snr(b, n, -25, 10, &r);
        if (codec == 1)
            tg_ulaw(b, n);
        if (codec == 2)
            tg_alaw(b, n);
        if (codec == 3)
            ck_assert_int_eq(tg_gsm(b, n), 0);
        char what[64];
        snprintf(what, sizeof what, "CED SNR 10 dB, codec %d (seed 0xCED)", codec);
        expect_fax(b, n, NULL, codec == 3 ? AMDI_TONE_NONE : AMDI_TONE_FAX_CED, 500, what);
    }
    free(b);
}
END_TEST

START_TEST(test_ansam_and_reversals)
{
    size_t n;
    float *b = sig_new(6000, &n);
    tu_rng r;
    tu_rng_seed(&r, 8);
    /* V.8 ANSam (15 Hz AM, 20 %), V.25 ANS with 450 ms phase reversals, and both */
    static const double am[] = {0.2, 0.0, 0.2, 0.16, 0.24};
    static const double pr[] = {0, 450, 450, 0, 0};
    for (int i = 0; i < 5; i++) {
        for (int gsm = 0; gsm < 2; gsm++) {
            memset(b, 0, n * sizeof *b);
            tg_ans(b, n, 800.7, 3300, -20, am[i], pr[i]);
            tg_noise_snr(b, n, -20, 20, &r);
            if (gsm)
                ck_assert_int_eq(tg_gsm(b, n), 0);
            char what[64];
            snprintf(what, sizeof what, "ANS am %.2f pr %.0f%s", am[i], pr[i], gsm ? " GSM" : "");
            expect_fax(b, n, NULL, gsm ? AMDI_TONE_NONE : AMDI_TONE_FAX_ANSAM, 800.7, what);
        }
    }
    free(b);
}
END_TEST

/* A 2100 Hz tone that stopped before an answer tone's shortest (V.25: 2.6 s) and before the fax
   detector confirms one (1.3 s) is a beep, not fax: 1.0 and 1.2 s too. */
START_TEST(test_short_2100_is_not_fax)
{
    size_t n;
    float *b = sig_new(4000, &n);
    static const double ms[] = {150, 300, SHORT_2100_MS, 1000, 1200};
    for (int i = 0; i < 5; i++) {
        memset(b, 0, n * sizeof *b);
        tg_tone(b, n, 1000, ms[i], 2100, -20);
        expect_no_fax(b, n, NULL, "short 2100 Hz tone");
        tg_result r;
        ck_assert_int_eq(tg_run(b, n, NULL, &r), 0);
        ck_assert_msg(r.n_beep == 1, "%.0f ms 2100 Hz tone: %d beeps", ms[i], r.n_beep);
    }
    free(b);
}
END_TEST

START_TEST(test_cng)
{
    size_t n;
    float *b = sig_new(8000, &n);
    tu_rng r;
    tu_rng_seed(&r, 1100);
    for (double d = -CNG_ACCEPT_TOL_HZ; d <= CNG_ACCEPT_TOL_HZ; d += 19) {
        memset(b, 0, n * sizeof *b);
        for (int k = 0; k < 2; k++)
            tg_tone(b, n, 300.4 + 3500 * k, 500, 1100 + d, -22);
        tg_noise_snr(b, n, -22, 15, &r);
        char what[64];
        snprintf(what, sizeof what, "CNG %+.0f Hz", d);
        expect_fax(b, n, NULL, AMDI_TONE_FAX_CNG, 300.4, what);
    }
    /* cadence limits: 0.5 s +-15 % accepted, 250 ms and 1 s bursts are not CNG */
    static const double on_ok[] = {430, 570}, on_bad[] = {250, 1000};
    for (int i = 0; i < 2; i++) {
        memset(b, 0, n * sizeof *b);
        tg_tone(b, n, 300, on_ok[i], 1100, -20);
        tg_tone(b, n, 3800, on_ok[i], 1100, -20);
        expect_fax(b, n, NULL, AMDI_TONE_FAX_CNG, 300, "CNG burst within +-15 %");
        memset(b, 0, n * sizeof *b);
        tg_tone(b, n, 300, on_bad[i], 1100, -20);
        tg_tone(b, n, 3800, on_bad[i], 1100, -20);
        expect_no_fax(b, n, NULL, "1100 Hz burst of the wrong length");
    }
    memset(b, 0, n * sizeof *b);
    tg_tone(b, n, 300, 500, 1100 + CNG_REJECT_TOL_HZ, -20);
    expect_no_fax(b, n, NULL, "1180 Hz");
    /* an 1100 Hz beep right after a greeting is a beep, not CNG */
    memset(b, 0, n * sizeof *b);
    tu_make_speechlike(b, TG_MS(3000), TG_RATE, 140, 3000, &r);
    tg_tone(b, n, 3300, 500, 1100, -18);
    expect_no_fax(b, n, NULL, "1100 Hz beep after speech");
    free(b);
}
END_TEST

START_TEST(test_v21_flags)
{
    size_t n;
    float *b = sig_new(4000, &n);
    tu_rng r;
    tu_rng_seed(&r, 21);
    for (double db = LEVEL_MIN_DBFS + 5; db <= 0; db += 10) {
        for (int codec = 0; codec < 4; codec++) {
            memset(b, 0, n * sizeof *b);
            tg_v21_flags(b, n, 400.2, 38, 200, db, &r); /* T.30 preamble: 1 s of flags, then a frame */
            /* named limits: 10 dB SNR on a linear line, 20 dB through G.711, 30 dB through GSM 06.10
               (FSK edges smear in GSM's 20 ms frames; at 20 dB about 2 in 3 preambles are found) */
            tg_noise_snr(b, n, db, codec == 0 ? 10 : codec == 3 ? 30 : 20, &r);
            if (codec == 1)
                tg_ulaw(b, n);
            if (codec == 2)
                tg_alaw(b, n);
            if (codec == 3)
                ck_assert_int_eq(tg_gsm(b, n), 0);
            char what[64];
            snprintf(what, sizeof what, "V.21 flags %.0f dBFS codec %d (seed 21)", db, codec);
            expect_fax(b, n, NULL, AMDI_TONE_FAX_V21, 400.2, what);
            /* flags are recognised within half a second */
            tg_result res;
            ck_assert_int_eq(tg_run(b, n, NULL, &res), 0);
            int64_t at;
            ck_assert_msg(first_fax(&res, &at) && (codec == 3 || at <= 400 + 500), "%s: late", what);
        }
    }
    /* random V.21 data without flags is modem audio but not a fax preamble */
    memset(b, 0, n * sizeof *b);
    tg_v21_flags(b, n, 400, 0, 900, -20, &r);
    expect_no_fax(b, n, NULL, "V.21 random data");
    free(b);
}
END_TEST

/* The answering fax: CED, 75 ms of silence, V.21 flags (T.30 Figure 5). */
START_TEST(test_answering_fax_sequence)
{
    size_t n;
    float *b = sig_new(8000, &n);
    tu_rng r;
    tu_rng_seed(&r, 30);
    double t = tg_ans(b, n, 600, 3000, -18, 0.0, 0);
    tg_v21_flags(b, n, t + 75, 38, 300, -18, &r);
    expect_fax(b, n, NULL, AMDI_TONE_FAX_CED, 600, "CED then V.21");
    memset(b, 0, n * sizeof *b);
    t = tg_ans(b, n, 600, 3300, -18, 0.2, 450);
    tg_v21_flags(b, n, t + 75, 38, 300, -18, &r);
    expect_fax(b, n, NULL, AMDI_TONE_FAX_ANSAM, 600, "ANSam/PR then V.21");
    free(b);
}
END_TEST

START_TEST(test_no_fax_on_voice_music_and_when_disabled)
{
    size_t n;
    float *b = sig_new(60000, &n);
    tu_rng r;
    tu_rng_seed(&r, 0xFA);
    tu_make_speechlike(b, n, TG_RATE, 130, 3000, &r);
    expect_no_fax(b, n, NULL, "a minute of speech-like audio");
    memset(b, 0, n * sizeof *b);
    tg_music(b, n, -15, &r);
    expect_no_fax(b, n, NULL, "a minute of music");
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.detect_fax = 0;
    memset(b, 0, n * sizeof *b);
    tg_ans(b, n, 500, 3000, -20, 0.2, 450);
    tg_cng(b, n, 5000, 3, -20);
    tg_v21_flags(b, n, 20000, 40, 0, -20, &r);
    expect_no_fax(b, n, &cfg, "fax tones with detect_fax = 0");
    free(b);
}
END_TEST

#ifdef AMD_HAVE_SPANDSP
/* The same verdicts on libspandsp's own generators (an independent implementation of the recs). */
START_TEST(test_spandsp_generated)
{
    size_t n;
    float *b = sig_new(6000, &n);
    tu_rng r;
    tu_rng_seed(&r, 0x5DA);
    static const struct {
        int tone;
        amdi_tone_kind kind;
        const char *name;
    } t[] = {{2, AMDI_TONE_FAX_CED, "ANS"},
             {3, AMDI_TONE_FAX_ANSAM, "ANS/PR"},
             {4, AMDI_TONE_FAX_ANSAM, "ANSam"},
             {5, AMDI_TONE_FAX_ANSAM, "ANSam/PR"}};
    for (int i = 0; i < 4; i++) {
        for (int noisy = 0; noisy < 2; noisy++) {
            memset(b, 0, n * sizeof *b);
            ck_assert(tg_spandsp_connect_tone(b, n, 700.3, 3300, t[i].tone) > 0);
            if (noisy)
                tg_noise_snr(b, n, -18, 15, &r); /* spandsp sends at about -13 dBm0 */
            char what[64];
            snprintf(what, sizeof what, "spandsp %s%s", t[i].name, noisy ? " SNR ~15 dB" : "");
            expect_fax(b, n, NULL, t[i].kind, 700.3, what);
        }
    }
    memset(b, 0, n * sizeof *b);
    ck_assert(tg_spandsp_connect_tone(b, n, 300, 5000, 1) > 0); /* CNG, its own cadence */
    expect_fax(b, n, NULL, AMDI_TONE_FAX_CNG, 300, "spandsp CNG");
    memset(b, 0, n * sizeof *b);
    ck_assert(tg_spandsp_v21_flags(b, n, 400.7, 38) > 0);
    expect_fax(b, n, NULL, AMDI_TONE_FAX_V21, 400.7, "spandsp V.21 preamble");
    memset(b, 0, n * sizeof *b);
    double e = tg_spandsp_connect_tone(b, n, 500, 3000, 2);
    ck_assert(tg_spandsp_v21_flags(b, n, e + 75, 38) > 0);
    expect_fax(b, n, NULL, AMDI_TONE_FAX_CED, 500, "spandsp CED then V.21");
    free(b);
}
END_TEST
#endif

Suite *fax_suite(void)
{
    Suite *s = suite_create("fax");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ced_frequency_sweep);
    tcase_add_test(tc, test_ced_levels_snr_codecs);
    tcase_add_test(tc, test_ansam_and_reversals);
    tcase_add_test(tc, test_short_2100_is_not_fax);
    tcase_add_test(tc, test_cng);
    tcase_add_test(tc, test_v21_flags);
    tcase_add_test(tc, test_answering_fax_sequence);
    tcase_add_test(tc, test_no_fax_on_voice_music_and_when_disabled);
#ifdef AMD_HAVE_SPANDSP
    tcase_add_test(tc, test_spandsp_generated);
#endif
    suite_add_tcase(s, tc);
    return s;
}
