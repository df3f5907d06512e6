/* SPDX-License-Identifier: MIT */
/*
 * The in-band DTMF receiver (dtmf.c) through the detector's AMD_EVENT_DTMF,
 * and the other signal events: all 16 digits, ITU-T Q.24 frequency / twist /
 * level / duration / pause limits, codecs, talk-off on speech-like, sung and
 * music signals, and onset / beep / fax / SIT events with their audio times.
 * Levels: tone_gen's dBFS is peak-referenced; a tone at X dBFS is X + 3.2 dBm0.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/detector.h"
#include "dtmf.h"
#include "test_util.h"
#include "tone_gen.h"

Suite *dtmf_suite(void);

#define DBM0_TO_TG(dbm0) ((dbm0) - 3.2)

static const double k_lo[4] = {697, 770, 852, 941};
static const double k_hi[4] = {1209, 1336, 1477, 1633};
static const char k_keys[] = "123A456B789C*0#D";

typedef struct ev_log {
    amd_detector *det;
    char digits[64];
    int64_t digit_ms[64];
    int n_digits;
    int n_onsets, n_beep_start, n_beep_end, n_fax, n_sit, n_decision;
    amd_event_info beep_end, fax, sit, onset;
    int64_t first_onset_ms;
} ev_log;

static void on_event(void *user, amd_event ev, const amd_result *r)
{
    ev_log *l = user;
    amd_event_info info;
    ck_assert_int_eq(amd_detector_event_info(l->det, &info), 1);
    ck_assert_int_eq(info.event, ev);
    ck_assert_ptr_nonnull(r);
    switch (ev) {
    case AMD_EVENT_DTMF:
        if (l->n_digits < 63) {
            l->digit_ms[l->n_digits] = info.time_ms;
            l->digits[l->n_digits++] = info.digit;
            l->digits[l->n_digits] = '\0';
        }
        break;
    case AMD_EVENT_SPEECH_ONSET:
        if (!l->n_onsets++)
            l->onset = info;
        break;
    case AMD_EVENT_BEEP_START: l->n_beep_start++; break;
    case AMD_EVENT_BEEP_END: l->n_beep_end++; l->beep_end = info; break;
    case AMD_EVENT_FAX_TONE: l->n_fax++; l->fax = info; break;
    case AMD_EVENT_SIT: l->n_sit++; l->sit = info; break;
    case AMD_EVENT_DECISION: l->n_decision++; break;
    default: break;
    }
}

/* Run a detector over buf (8 kHz, s16 scale) with @p mask selected; events into *l. */
static void run(const float *buf, size_t n, unsigned mask, amd_mode mode, ev_log *l, amd_result *res)
{
    memset(l, 0, sizeof *l);
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.mode = mode;
    ck_assert_int_eq(amd_detector_create(&cfg, &l->det, NULL, 0), 0);
    ck_assert_int_eq(amd_detector_set_event_callback(l->det, on_event, l), 0);
    ck_assert_int_eq(amd_detector_set_event_mask(l->det, mask), 0);
    int16_t *s = malloc(n * sizeof *s);
    ck_assert_ptr_nonnull(s);
    tu_to_s16(buf, s, n);
    for (size_t off = 0; off < n; off += 160)
        ck_assert_int_ge(amd_detector_process_s16(l->det, s + off, n - off < 160 ? n - off : 160), 0);
    amd_detector_finish(l->det);
    if (res)
        amd_detector_result(l->det, res);
    amd_detector_destroy(l->det);
    l->det = NULL;
    free(s);
}

static const unsigned k_dtmf = AMD_EVENT_BIT(AMD_EVENT_DTMF);

/* Add digit k (0..15) at [start, start + dur) with per-tone levels and frequency factors. */
static void add_digit(float *buf, size_t n, int k, double start, double dur, double lo_dbm0, double hi_dbm0,
                      double lo_fac, double hi_fac)
{
    tg_tone(buf, n, start, dur, k_lo[k / 4] * lo_fac, DBM0_TO_TG(lo_dbm0));
    tg_tone(buf, n, start, dur, k_hi[k % 4] * hi_fac, DBM0_TO_TG(hi_dbm0));
}

/* Count digits for one tone pair over a noise floor. */
static int digits_for(int k, double dur, double lo_dbm0, double hi_dbm0, double lo_fac, double hi_fac, double start)
{
    size_t n = TG_MS(1000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 11);
    tu_add_noise(b, n, 10.0, &r); /* line noise ~ -70 dBFS */
    add_digit(b, n, k, start, dur, lo_dbm0, hi_dbm0, lo_fac, hi_fac);
    ev_log l;
    run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
    free(b);
    return l.n_digits == 1 && l.digits[0] != k_keys[k] ? -1 : l.n_digits;
}

START_TEST(test_all_sixteen_digits)
{
    size_t n = TG_MS(16 * 120 + 500);
    float *b = calloc(n, sizeof *b);
    for (int k = 0; k < 16; k++)
        add_digit(b, n, k, 200 + 120.0 * k, 60, -10, -10, 1, 1);
    ev_log l;
    run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
    ck_assert_str_eq(l.digits, k_keys);
    for (int k = 0; k < 16; k++)
        ck_assert_msg(llabs(l.digit_ms[k] - (int64_t)(200 + 120 * k)) <= 10, "digit %c at %lld ms, tone at %d",
                      k_keys[k], (long long)l.digit_ms[k], 200 + 120 * k);
    /* and through G.711 µ-law and A-law */
    for (int law = 0; law < 2; law++) {
        float *c = malloc(n * sizeof *c);
        memcpy(c, b, n * sizeof *c);
        if (law)
            tg_alaw(c, n);
        else
            tg_ulaw(c, n);
        run(c, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
        ck_assert_msg(!strcmp(l.digits, k_keys), "law %d: %s", law, l.digits);
        free(c);
    }
    free(b);
}
END_TEST

/* Q.24: operate within +-1.5 %, do not operate beyond +-3.5 % (each group, both signs). */
START_TEST(test_frequency_tolerance)
{
    for (int k = 0; k < 16; k += 5) {
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            double ok = 1.0 + sgn * 0.015, bad = 1.0 + sgn * 0.035;
            ck_assert_msg(digits_for(k, 60, -10, -10, ok, 1, 300) == 1, "digit %c low %+.1f %%", k_keys[k], sgn * 1.5);
            ck_assert_msg(digits_for(k, 60, -10, -10, 1, ok, 300) == 1, "digit %c high %+.1f %%", k_keys[k], sgn * 1.5);
            ck_assert_msg(digits_for(k, 60, -10, -10, bad, 1, 300) == 0, "digit %c low %+.1f %%", k_keys[k], sgn * 3.5);
            ck_assert_msg(digits_for(k, 60, -10, -10, 1, bad, 300) == 0, "digit %c high %+.1f %%", k_keys[k], sgn * 3.5);
        }
    }
}
END_TEST

/* Twist: high group up to 4 dB above the low group, low group up to 8 dB above the high one. */
START_TEST(test_twist)
{
    ck_assert_int_eq(digits_for(5, 60, -12, -9, 1, 1, 300), 1);  /* high +3 dB */
    ck_assert_int_eq(digits_for(5, 60, -12, -6, 1, 1, 300), 0);  /* high +6 dB */
    ck_assert_int_eq(digits_for(5, 60, -5, -12, 1, 1, 300), 1);  /* low +7 dB */
    ck_assert_int_eq(digits_for(5, 60, -2, -12, 1, 1, 300), 0);  /* low +10 dB */
}
END_TEST

/* Level: each tone at -28 dBm0 is a digit, at -38 dBm0 it is not (minimum -32 dBm0). */
START_TEST(test_level)
{
    ck_assert_int_eq(digits_for(9, 60, -28, -28, 1, 1, 300), 1);
    ck_assert_int_eq(digits_for(9, 60, -38, -38, 1, 1, 300), 0);
    ck_assert_int_eq(digits_for(9, 60, -3, -3, 1, 1, 300), 1); /* loud, near full scale */
}
END_TEST

/* Duration: 40 ms always a digit, 20 ms never, whatever the alignment to the 10 ms hops. */
START_TEST(test_duration)
{
    for (int off = 0; off < 10; off += 3) {
        ck_assert_msg(digits_for(2, 40, -10, -10, 1, 1, 300 + off) == 1, "40 ms at +%d ms", off);
        ck_assert_msg(digits_for(2, 20, -10, -10, 1, 1, 300 + off) == 0, "20 ms at +%d ms", off);
    }
}
END_TEST

/* Pause: two digits 40 ms apart are two; a 10 ms dropout inside one digit is not a second one. */
START_TEST(test_pause)
{
    size_t n = TG_MS(1000);
    for (int pause = 10; pause <= 40; pause += 30) {
        float *b = calloc(n, sizeof *b);
        add_digit(b, n, 13, 200, 70, -10, -10, 1, 1);
        add_digit(b, n, 13, 270 + pause, 70, -10, -10, 1, 1);
        ev_log l;
        run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
        ck_assert_msg(l.n_digits == (pause == 40 ? 2 : 1), "pause %d ms: '%s'", pause, l.digits);
        free(b);
    }
}
END_TEST

/* Talk-off: no digit on a minute each of speech-like bursts, sung vowels and music. */
START_TEST(test_talk_off)
{
    size_t n = TG_MS(60000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 3);
    for (int i = 0; i < 40; i++) { /* 40 utterances of 1.2 s, pitch 90..250 Hz */
        size_t len = TG_MS(1200);
        float *u = malloc(len * sizeof *u);
        tu_make_speechlike(u, len, TG_RATE, 90 + 4 * i, 3000, &r);
        memcpy(b + TG_MS(1500 * i), u, len * sizeof *u);
        free(u);
    }
    ev_log l;
    run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
    ck_assert_msg(l.n_digits == 0, "speech-like: '%s'", l.digits);
    memset(b, 0, n * sizeof *b);
    for (int i = 0; i < 30; i++)
        tg_sung(b, n, 2000.0 * i, 1800, 110 + 17 * i, 0.03, 5.5, -12, &r);
    run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
    ck_assert_msg(l.n_digits == 0, "sung: '%s'", l.digits);
    memset(b, 0, n * sizeof *b);
    tg_music(b, n, -12, &r);
    run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
    ck_assert_msg(l.n_digits == 0, "music: '%s'", l.digits);
    tg_gsm(b, n);
    run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
    ck_assert_msg(l.n_digits == 0, "music through GSM: '%s'", l.digits);
    free(b);
}
END_TEST

/* Recorded live answers of testdata/ (speech over a floor, noise, babble, music): no digit on
 * any; the 16 keys at the usual generator levels (-7 / -5 dBm0, 100 ms on, 200 ms apart) laid
 * over the long answer's speech all come through, in order. */
START_TEST(test_talk_off_recorded)
{
    static const char *const files[] = {"testdata/human_short_00003.wav", "testdata/human_long_00007.wav",
                                        "testdata/human_noise_00018.wav", "testdata/human_babble_00023.wav",
                                        "testdata/human_music_00013.wav"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        int rate;
        char err[200];
        int16_t *x = tu_read_audio_s16(tu_source_path(files[f]), &n, &rate, err, sizeof err);
        ck_assert_msg(x != NULL && rate == TG_RATE, "%s: %s", files[f], err);
        size_t total = n + TG_MS(6000);
        float *b = calloc(total, sizeof *b);
        ck_assert_ptr_nonnull(b);
        for (size_t i = 0; i < n; i++)
            b[i] = (float)x[i];
        free(x);
        ev_log l;
        run(b, n, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
        ck_assert_msg(l.n_digits == 0, "%s: '%s'", files[f], l.digits);
        if (f == 1) {
            for (int k = 0; k < 16; k++)
                add_digit(b, total, k, 500.0 + 300.0 * k, 100, -7, -5, 1, 1);
            run(b, total, k_dtmf, AMD_MODE_ENABLE, &l, NULL);
            ck_assert_msg(!strcmp(l.digits, k_keys), "keys over speech: '%s'", l.digits);
        }
        free(b);
    }
}
END_TEST

/* Events are off by default; selected, digits keep coming after the decision. */
START_TEST(test_mask_and_after_decision)
{
    size_t n = TG_MS(12000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 5);
    tu_add_noise(b, n, 10.0, &r);
    tg_noise_snr(b, n, -10, 60, &r);
    {
        size_t len = TG_MS(700);
        float *u = malloc(len * sizeof *u);
        tu_make_speechlike(u, len, TG_RATE, 140, 3000, &r);
        for (size_t i = 0; i < len; i++)
            b[TG_MS(500) + i] += u[i];
        free(u);
    }
    add_digit(b, n, 0, 8000, 80, -10, -10, 1, 1); /* "1" long after the human decision */
    add_digit(b, n, 14, 9000, 80, -10, -10, 1, 1); /* "#" */
    ev_log l;
    amd_result res;
    run(b, n, AMD_EVENT_MASK_DEFAULT, AMD_MODE_ENABLE, &l, &res);
    ck_assert_int_eq(l.n_digits, 0);
    ck_assert_int_eq(l.n_decision, 1);
    ck_assert_int_eq(res.answered_by, AMD_ANSWERED_HUMAN);
    int64_t decided = res.decision_ms;
    run(b, n, AMD_EVENT_MASK_DEFAULT | k_dtmf | AMD_EVENT_BIT(AMD_EVENT_SPEECH_ONSET), AMD_MODE_ENABLE, &l, &res);
    ck_assert_str_eq(l.digits, "1#");
    ck_assert_int_eq(l.n_decision, 1);
    ck_assert_int_eq(res.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(res.decision_ms, decided); /* the decision does not change */
    ck_assert_int_ge(l.n_onsets, 1);
    ck_assert_msg(llabs(l.onset.time_ms - 500) <= 60, "onset at %lld", (long long)l.onset.time_ms);
    ck_assert_int_eq(l.onset.time_ms, res.speech_onset_ms);
    free(b);

    amd_config cfg;
    amd_config_init(&cfg);
    amd_detector *d = NULL;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    ck_assert_int_eq(amd_detector_set_event_mask(d, 1u << 20), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_set_event_mask(NULL, 0), AMD_EINVAL);
    amd_event_info info;
    ck_assert_int_eq(amd_detector_event_info(d, &info), 0); /* not inside a callback */
    ck_assert_int_eq(amd_detector_event_info(d, NULL), AMD_EINVAL);
    amd_detector_destroy(d);
}
END_TEST

/* Beep start / end, fax tone and SIT events carry the tone's audio times. */
START_TEST(test_tone_events)
{
    unsigned all = AMD_EVENT_MASK_DEFAULT | AMD_EVENT_MASK_SIGNALS;
    size_t n = TG_MS(9000);
    float *b = calloc(n, sizeof *b);
    tu_rng r;
    tu_rng_seed(&r, 9);
    tu_add_noise(b, n, 10.0, &r);
    {
        size_t len = TG_MS(3000);
        float *u = malloc(len * sizeof *u);
        tu_make_speechlike(u, len, TG_RATE, 130, 3000, &r);
        for (size_t i = 0; i < len; i++)
            b[TG_MS(500) + i] += u[i];
        free(u);
    }
    tg_tone(b, n, 4500, 400, 1000, -12);
    ev_log l;
    amd_result res;
    run(b, n, all, AMD_MODE_DETECT_MESSAGE_END, &l, &res);
    ck_assert_int_eq(res.answered_by, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_ge(l.n_beep_start, 1);
    ck_assert_int_eq(l.n_beep_end, 1);
    ck_assert_int_eq(l.beep_end.time_ms, res.beep_start_ms);
    ck_assert_int_eq(l.beep_end.end_ms, res.beep_end_ms);
    ck_assert_msg(fabsf(l.beep_end.hz - 1000.f) < 40.f, "beep %.0f Hz", (double)l.beep_end.hz);

    memset(b, 0, n * sizeof *b);
    tg_ans(b, n, 1000, 3500, -12, 0, 0);
    run(b, n, all, AMD_MODE_ENABLE, &l, &res);
    ck_assert_int_eq(res.answered_by, AMD_ANSWERED_FAX);
    ck_assert_int_ge(l.n_fax, 1);
    ck_assert_int_eq(l.fax.cause, res.cause);
    ck_assert_msg(llabs(l.fax.time_ms - 1000) <= 100, "fax tone start %lld", (long long)l.fax.time_ms);

    memset(b, 0, n * sizeof *b);
    const double hz[3] = {913.8, 1370.6, 1776.7}, ms[3] = {274, 274, 380};
    tg_sit(b, n, 800, hz, ms, 0, -14);
    run(b, n, all, AMD_MODE_ENABLE, &l, &res);
    ck_assert_int_eq(res.cause, AMD_CAUSE_SIT);
    ck_assert_int_eq(l.n_sit, 1);
    ck_assert_msg(llabs(l.sit.time_ms - 800) <= 100, "SIT start %lld", (long long)l.sit.time_ms);
    ck_assert_int_eq(l.n_digits, 0); /* SIT tones are single tones: never a digit */
    free(b);
}
END_TEST

Suite *dtmf_suite(void)
{
    Suite *s = suite_create("dtmf");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_all_sixteen_digits);
    tcase_add_test(tc, test_frequency_tolerance);
    tcase_add_test(tc, test_twist);
    tcase_add_test(tc, test_level);
    tcase_add_test(tc, test_duration);
    tcase_add_test(tc, test_pause);
    tcase_add_test(tc, test_talk_off);
    tcase_add_test(tc, test_talk_off_recorded);
    tcase_add_test(tc, test_mask_and_after_decision);
    tcase_add_test(tc, test_tone_events);
    suite_add_tcase(s, tc);
    return s;
}
