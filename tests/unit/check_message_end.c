/* SPDX-License-Identifier: MIT */
/*
 * DetectMessageEnd (Twilio's MachineDetection=DetectMessageEnd): constructed greetings ending in a
 * beep, in silence, with long pauses inside, never ending; the provisional
 * machine event; humans, silence and hang-ups. Never an end while the
 * greeting is still speaking.
 */
#include <check.h>
#include <string.h>

#include "detect_util.h"

Suite *message_end_suite(void);

#define NOISE 30.0
#define VOICE 3000.0

static amd_config dme(void) { return du_cfg(AMD_MODE_DETECT_MESSAGE_END, AMD_ENGINE_TIMING); }

/* 3 s greeting, 0.8 s pause, 400 ms 1 kHz beep -> machine_end_beep at the beep's end. */
START_TEST(test_greeting_then_beep)
{
    du_call c = du_new(8000, 9000, NOISE, 1);
    du_speech(&c, 500, 3000, 130, VOICE, 2);
    du_tone(&c, 4300, 400, 1000, 0, 9000);
    amd_config cfg = dme();
    amd_result r;
    du_events ev;
    du_run(&cfg, &c, 160, &r, &ev);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_eq(r.cause, AMD_CAUSE_BEEP);
    /* on time as `amd bench` scores it: within [0, +500] ms of the beep's end (the tone
     * detector waits a little after a beep to tell it from a double beep) */
    ck_assert_msg(r.decision_ms >= 4700 && r.decision_ms <= 4700 + 500, "decision at %lld", (long long)r.decision_ms);
    ck_assert_msg(llabs(r.beep_start_ms - 4300) <= 40 && llabs(r.beep_end_ms - 4700) <= 40, "beep %lld..%lld",
                  (long long)r.beep_start_ms, (long long)r.beep_end_ms);
    ck_assert_msg(r.beep_hz > 950 && r.beep_hz < 1050, "beep %.0f Hz", (double)r.beep_hz);
    ck_assert_msg(r.greeting_end_ms >= 3300 && r.greeting_end_ms <= 3550, "greeting end %lld",
                  (long long)r.greeting_end_ms);
    /* the provisional event came first, once, when the machine became known */
    ck_assert_int_eq(ev.n_provisional, 1);
    ck_assert_int_eq(ev.n_decision, 1);
    ck_assert_int_eq(ev.provisional.answered_by, AMD_ANSWERED_MACHINE_START);
    ck_assert_msg(llabs(r.machine_known_ms - (500 + cfg.speech_threshold_ms)) <= 30, "known at %lld",
                  (long long)r.machine_known_ms);
    ck_assert_int_eq(ev.provisional.decision_ms, r.machine_known_ms);
    ck_assert_int_lt(r.machine_known_ms, r.decision_ms);
    du_free(&c);
}
END_TEST

/* Greeting then silence, no beep -> machine_end_silence after speech-end threshold + grace. */
START_TEST(test_greeting_then_silence)
{
    du_call c = du_new(8000, 10000, NOISE, 3);
    du_speech(&c, 400, 3500, 120, VOICE, 4);
    amd_config cfg = dme();
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_SILENCE);
    ck_assert_int_eq(r.cause, AMD_CAUSE_GREETING_SILENCE);
    int64_t end = du_active_end_ms(&c, 400, 3900, VOICE / 10);
    ck_assert_msg(llabs(r.greeting_end_ms - end) <= 30, "greeting end %lld, burst end %lld",
                  (long long)r.greeting_end_ms, (long long)end);
    int64_t want = r.greeting_end_ms + cfg.speech_end_threshold_ms + cfg.beep_grace_ms;
    ck_assert_msg(llabs(r.decision_ms - want) <= 10, "decision %lld want %lld", (long long)r.decision_ms,
                  (long long)want);
    /* the grace window is a parameter */
    cfg.beep_grace_ms = 0;
    amd_result r0;
    du_run(&cfg, &c, 0, &r0, NULL);
    du_assert_answer(r0, AMD_ANSWERED_MACHINE_END_SILENCE);
    ck_assert_int_eq(r0.decision_ms, r.decision_ms - 1500);
    du_free(&c);
}
END_TEST

/* Long pauses inside the greeting (up to 2.5 s) do not end it; the end comes only after its last word. */
START_TEST(test_long_pauses_inside_greeting)
{
    du_call c = du_new(8000, 16000, NOISE, 5);
    du_speech(&c, 300, 3000, 140, VOICE, 6);  /* "Hi, you've reached ..." */
    du_speech(&c, 5000, 1500, 140, VOICE, 7); /* 1.7 s pause, then "... please leave ..." */
    du_speech(&c, 9000, 2000, 140, VOICE, 8); /* 2.5 s pause, then "... after the tone" */
    du_tone(&c, 11800, 500, 850, 0, 8000);
    amd_config cfg = dme();
    amd_result r;
    du_run(&cfg, &c, 80, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_ge(r.decision_ms, 12300);
    ck_assert_int_ge(r.greeting_end_ms, 10800);
    du_free(&c);
}
END_TEST

/* A greeting that never ends -> machine_end_other at the timeout, never an end mid-greeting. */
START_TEST(test_greeting_never_ends)
{
    du_call c = du_new(8000, 12000, NOISE, 9);
    for (int k = 0; k < 6; k++)
        du_speech(&c, 200 + k * 1900, 1700, 125, VOICE, 10 + k);
    amd_config cfg = dme();
    cfg.timeout_ms = 10000;
    amd_result r;
    du_events ev;
    du_run(&cfg, &c, 0, &r, &ev);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_OTHER);
    ck_assert_int_eq(r.cause, AMD_CAUSE_TIMEOUT);
    ck_assert_int_eq(r.decision_ms, 10000);
    ck_assert_int_eq(ev.n_provisional, 1);
    du_free(&c);
}
END_TEST

/* Hang-up during the greeting: machine_end_other (never "silence"); after a long-enough silence: silence. */
START_TEST(test_hangup)
{
    du_call c = du_new(8000, 4000, NOISE, 20);
    du_speech(&c, 300, 3700, 130, VOICE, 21);
    amd_config cfg = dme();
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_OTHER);
    ck_assert_int_eq(r.cause, AMD_CAUSE_HANGUP);
    du_call s = du_new(8000, 5000, NOISE, 22);
    du_speech(&s, 300, 2800, 130, VOICE, 23);
    du_run(&cfg, &s, 0, &r, NULL); /* 1.9 s of silence before the end of audio */
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_SILENCE);
    du_free(&c);
    du_free(&s);
}
END_TEST

/* Humans, silence and fax-free lines are reported at once, as in Enable mode. */
START_TEST(test_non_machines_at_once)
{
    amd_config cfg = dme(), en = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r, re;
    du_events ev;
    du_call h = du_new(8000, 5000, NOISE, 30);
    du_speech(&h, 600, 600, 160, VOICE, 31);
    du_run(&cfg, &h, 0, &r, &ev);
    du_run(&en, &h, 0, &re, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(r.decision_ms, re.decision_ms);
    ck_assert_int_eq(ev.n_provisional, 0);
    ck_assert_int_eq(r.machine_known_ms, -1);
    du_call z = du_new(8000, 7000, NOISE, 32);
    du_run(&cfg, &z, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.decision_ms, cfg.silence_timeout_ms);
    du_free(&h);
    du_free(&z);
}
END_TEST

/* A short "leave a message" then a beep: the beep proves the machine before any human verdict. */
START_TEST(test_short_greeting_then_beep)
{
    du_call c = du_new(8000, 5000, NOISE, 40);
    du_speech(&c, 300, 1400, 150, VOICE, 41);
    du_tone(&c, 2100, 300, 1400, 0, 9000);
    amd_config cfg = dme();
    amd_result r;
    du_events ev;
    du_run(&cfg, &c, 0, &r, &ev);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_ge(r.decision_ms, 2400);
    ck_assert_int_eq(ev.n_provisional, 1);
    /* Enable: machine_start, cause beep */
    amd_config en = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    du_run(&en, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(r.cause, AMD_CAUSE_BEEP);
    du_free(&c);
}
END_TEST

/*
 * A double beep whose gap holds quieter speech (a babble bed the VAD takes for speech): the beep
 * must not count as "heard over speech" for what plays between its tones, only for what plays
 * under them (the chain's parts).
 */
START_TEST(test_double_beep_speech_in_gap)
{
    for (int k = 0; k < 3; k++) {
        du_call c = du_new(8000, 9000, NOISE, 80 + (uint64_t)k);
        du_speech(&c, 500, 3000, 130, VOICE, 81 + (uint64_t)k);
        double t = 4300 + 20 * k;
        du_tone(&c, t, 160, 2000, 0, 9000);
        du_speech(&c, t + 180, 180, 170, VOICE / 8, 90 + (uint64_t)k); /* gap: 200 ms, speech in it */
        du_tone(&c, t + 360, 160, 2000, 0, 9000);
        amd_config cfg = dme();
        amd_result r;
        du_run(&cfg, &c, 160, &r, NULL);
        du_assert_answer(r, AMD_ANSWERED_MACHINE_END_BEEP);
        ck_assert_msg(llabs(r.beep_start_ms - (int64_t)t) <= 40 && llabs(r.beep_end_ms - (int64_t)(t + 520)) <= 40,
                      "beep %lld..%lld", (long long)r.beep_start_ms, (long long)r.beep_end_ms);
        ck_assert_msg(r.decision_ms >= (int64_t)(t + 520) && r.decision_ms <= (int64_t)(t + 520) + 500,
                      "decision at %lld", (long long)r.decision_ms);
        du_free(&c);
    }
}
END_TEST

/*
 * A 1.0 s greeting, a gap, then a 500 ms beep. The timing rule would say "human" 1.2 s after
 * the greeting's last word, while the beep plays (or waits out its chain gap before it is
 * reported). The verdict is held while a tone is pending: the beep decides the call, at its
 * end plus the report delay, in both modes.
 */
static void short_greeting_beep(double gap_ms, uint64_t seed)
{
    const double g0 = 500, glen = 1000, beep_len = 500;
    du_call c = du_new(8000, 6000, NOISE, seed);
    du_speech_ex(&c, g0, glen, 150, VOICE, seed + 1, 1);
    double b0 = g0 + glen + gap_ms, b1 = b0 + beep_len;
    du_tone(&c, b0, beep_len, 1000, 0, 9000);
    amd_config cfg = dme();
    amd_result r;
    du_events ev;
    du_run(&cfg, &c, 160, &r, &ev);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_eq(r.cause, AMD_CAUSE_BEEP);
    ck_assert_msg(r.decision_ms >= (int64_t)b1 && r.decision_ms <= (int64_t)b1 + 500,
                  "gap %.0f: decision at %lld, beep end %.0f", gap_ms, (long long)r.decision_ms, b1);
    ck_assert_msg(llabs(r.beep_end_ms - (int64_t)b1) <= 40, "beep end %lld", (long long)r.beep_end_ms);
    ck_assert_int_eq(ev.n_decision, 1);
    ck_assert_int_eq(ev.n_provisional, 1);
    amd_config en = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    du_run(&en, &c, 160, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(r.cause, AMD_CAUSE_BEEP);
    ck_assert_msg(r.decision_ms >= (int64_t)b1 && r.decision_ms <= (int64_t)b1 + 500, "Enable: decision at %lld",
                  (long long)r.decision_ms);
    du_free(&c);
}

START_TEST(test_short_greeting_gap300_beep) { short_greeting_beep(300, 50); }
END_TEST

/* the beep plays across the 1.2 s speech-end mark */
START_TEST(test_short_greeting_gap900_beep) { short_greeting_beep(900, 60); }
END_TEST

/* the beep ends just before the mark: its chain gap (beep pending, not yet reported) spans it */
START_TEST(test_short_greeting_gap600_beep) { short_greeting_beep(600, 70); }
END_TEST

/* The same short greeting with no tone after it: "human" exactly when it was before the hold
 * existed (speech end + speech_end_threshold_ms, within a frame), in both modes. */
START_TEST(test_short_hello_no_tone_not_delayed)
{
    du_call c = du_new(8000, 6000, NOISE, 80);
    du_speech_ex(&c, 500, 1000, 150, VOICE, 81, 1);
    int64_t end = du_active_end_ms(&c, 500, 1500, VOICE / 10);
    amd_mode modes[2] = {AMD_MODE_ENABLE, AMD_MODE_DETECT_MESSAGE_END};
    for (int i = 0; i < 2; i++) {
        amd_config cfg = du_cfg(modes[i], AMD_ENGINE_TIMING);
        amd_result r;
        du_run(&cfg, &c, 160, &r, NULL);
        du_assert_answer(r, AMD_ANSWERED_HUMAN);
        int64_t want = end + cfg.speech_end_threshold_ms;
        ck_assert_msg(llabs(r.decision_ms - want) <= 10, "mode %d: decision at %lld, want %lld", i,
                      (long long)r.decision_ms, (long long)want);
    }
    du_free(&c);
}
END_TEST

/* A short "hello?" then a fax answer tone (CED) starting 0.9 s later: fax, not human. */
START_TEST(test_short_hello_then_ced_is_fax)
{
    du_call c = du_new(8000, 7000, NOISE, 90);
    du_speech_ex(&c, 500, 600, 150, VOICE, 91, 1);
    du_tone(&c, 2000, 4000, 2100, 0, 6000);
    amd_mode modes[2] = {AMD_MODE_ENABLE, AMD_MODE_DETECT_MESSAGE_END};
    for (int i = 0; i < 2; i++) {
        amd_config cfg = du_cfg(modes[i], AMD_ENGINE_TIMING);
        amd_result r;
        du_run(&cfg, &c, 160, &r, NULL);
        du_assert_answer(r, AMD_ANSWERED_FAX);
    }
    du_free(&c);
}
END_TEST

Suite *message_end_suite(void)
{
    Suite *s = suite_create("message_end");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_greeting_then_beep);
    tcase_add_test(tc, test_greeting_then_silence);
    tcase_add_test(tc, test_long_pauses_inside_greeting);
    tcase_add_test(tc, test_greeting_never_ends);
    tcase_add_test(tc, test_hangup);
    tcase_add_test(tc, test_non_machines_at_once);
    tcase_add_test(tc, test_short_greeting_then_beep);
    tcase_add_test(tc, test_short_greeting_gap300_beep);
    tcase_add_test(tc, test_short_greeting_gap600_beep);
    tcase_add_test(tc, test_short_greeting_gap900_beep);
    tcase_add_test(tc, test_short_hello_no_tone_not_delayed);
    tcase_add_test(tc, test_short_hello_then_ced_is_fax);
    tcase_add_test(tc, test_double_beep_speech_in_gap);
    suite_add_tcase(s, tc);
    return s;
}
