/* SPDX-License-Identifier: MIT */
/*
 * The Twilio timing engine: decisions and their timing on
 * constructed signals, through the whole detector, plus the engine's rules
 * driven directly with hand-made evidence.
 */
#include <check.h>
#include <string.h>

#include "detect_util.h"
#include "engine.h"

Suite *timing_suite(void);

#define NOISE 30.0   /* line noise rms (s16): -61 dBFS */
#define VOICE 3000.0 /* speech rms: -21 dBFS */

/* 600 ms burst then silence -> human at onset + 600 + speech-end threshold, within one frame. */
START_TEST(test_short_burst_is_human_at_speech_end)
{
    du_call c = du_new(8000, 8000, NOISE, 1);
    du_speech(&c, 1000, 600, 140, VOICE, 2);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_SPEECH_END);
    ck_assert_msg(llabs(r.speech_onset_ms - 1000) <= 10, "onset %lld", (long long)r.speech_onset_ms);
    /* the burst as heard ends with its last syllable above -20 dB of the burst level */
    int64_t end = du_active_end_ms(&c, 1000, 1600, VOICE / 10);
    ck_assert_int_ge(end, 1500);
    int64_t want = end + cfg.speech_end_threshold_ms;
    ck_assert_msg(llabs(r.decision_ms - want) <= 10, "decision at %lld ms, want %lld +-10", (long long)r.decision_ms,
                  (long long)want);
    ck_assert(r.confidence > 0.5f && r.confidence <= 1.f);
    du_free(&c);
}
END_TEST

/* The same with a non-default speech-end threshold: the decision moves with it. */
START_TEST(test_speech_end_threshold_moves_decision)
{
    du_call c = du_new(8000, 8000, NOISE, 3);
    du_speech(&c, 500, 600, 130, VOICE, 4);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    cfg.speech_end_threshold_ms = 2000;
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    int64_t end = du_active_end_ms(&c, 500, 1100, VOICE / 10);
    ck_assert_int_ge(end, 1000);
    ck_assert_msg(llabs(r.decision_ms - (end + 2000)) <= 10, "decision at %lld, burst end %lld", (long long)r.decision_ms,
                  (long long)end);
    du_free(&c);
}
END_TEST

/* 4 s of continuous speech -> machine_start at onset + speech threshold. */
START_TEST(test_long_speech_is_machine_at_threshold)
{
    du_call c = du_new(8000, 8000, NOISE, 5);
    du_speech(&c, 700, 4000, 120, VOICE, 6);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(r.cause, AMD_CAUSE_SPEECH_THRESHOLD);
    int64_t want = 700 + cfg.speech_threshold_ms;
    ck_assert_msg(llabs(r.decision_ms - want) <= 10, "decision at %lld, want %lld", (long long)r.decision_ms,
                  (long long)want);
    du_free(&c);
}
END_TEST

/* The speech threshold parameter moves the machine decision. */
START_TEST(test_speech_threshold_parameter)
{
    du_call c = du_new(8000, 6000, NOISE, 7);
    du_speech(&c, 500, 1800, 150, VOICE, 8);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    /* 1.8 s is under the 2.4 s default: human */
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    /* ... and over a 1.5 s threshold: machine at onset + 1500 */
    cfg.speech_threshold_ms = 1500;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_START);
    ck_assert_msg(llabs(r.speech_onset_ms - 500) <= 30, "onset %lld", (long long)r.speech_onset_ms);
    ck_assert_msg(llabs(r.decision_ms - (r.speech_onset_ms + 1500)) <= 10, "decision at %lld, onset %lld",
                  (long long)r.decision_ms, (long long)r.speech_onset_ms);
    du_free(&c);
}
END_TEST

/* Only line noise -> unknown at exactly the silence timeout. */
START_TEST(test_silence_is_unknown_at_silence_timeout)
{
    du_call c = du_new(8000, 12000, NOISE, 9);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_SILENCE_TIMEOUT);
    ck_assert_int_eq(r.decision_ms, cfg.silence_timeout_ms);
    ck_assert_int_eq(r.speech_onset_ms, -1);
    cfg.silence_timeout_ms = 2000;
    du_run(&cfg, &c, 0, &r, NULL);
    ck_assert_int_eq(r.decision_ms, 2000);
    /* digital silence too */
    du_call z = du_new(8000, 6000, 0, 0);
    cfg.silence_timeout_ms = 5000;
    du_run(&cfg, &z, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.decision_ms, 5000);
    du_free(&c);
    du_free(&z);
}
END_TEST

/* 2 s burst, 800 ms pause, 2 s burst: one utterance (the pause is under the speech-end
 * threshold) that passes the speech threshold when speech resumes -> machine. */
START_TEST(test_two_bursts_with_short_pause_is_machine)
{
    du_call c = du_new(8000, 8000, NOISE, 10);
    du_speech(&c, 500, 2000, 200, VOICE, 11);
    du_speech(&c, 3300, 2000, 200, VOICE, 12);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(r.cause, AMD_CAUSE_SPEECH_THRESHOLD);
    /* not before speech resumes (a decision in the pause could be a human's "hello ... hello?");
     * the pause does not count as speech: 2 s + 0.4 s of the second phrase */
    ck_assert_int_ge(r.decision_ms, 3300 + 300);
    ck_assert_int_le(r.decision_ms, 3300 + 400 + 150);
    du_free(&c);
}
END_TEST

/* The same bursts with a 1.5 s pause: the first utterance closes -> human. */
START_TEST(test_two_bursts_with_long_pause_is_human)
{
    du_call c = du_new(8000, 8000, NOISE, 13);
    du_speech(&c, 500, 2000, 200, VOICE, 14);
    du_speech(&c, 4000, 2000, 200, VOICE, 15);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    int64_t end = du_active_end_ms(&c, 500, 2500, VOICE / 10);
    ck_assert_int_ge(end, 2300);
    ck_assert_msg(llabs(r.decision_ms - (end + 1200)) <= 10, "decision at %lld, burst end %lld", (long long)r.decision_ms,
                  (long long)end);
    du_free(&c);
}
END_TEST

/* Speech that never ends under a short timeout... the timeout gives unknown when nothing decided. */
START_TEST(test_timeout_is_unknown)
{
    /* speech bursts of 1.2 s separated by 1 s pauses: each utterance is under the
     * threshold, and no pause reaches a 1.5 s speech-end threshold */
    du_call c = du_new(8000, 12000, NOISE, 16);
    for (int k = 0; k < 6; k++)
        du_speech(&c, 300 + k * 2000, 1000, 160, VOICE, 17 + k);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    cfg.speech_threshold_ms = 6000;
    cfg.speech_end_threshold_ms = 1500;
    cfg.timeout_ms = 3000;
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_TIMEOUT);
    ck_assert_int_eq(r.decision_ms, 3000);
    du_free(&c);
}
END_TEST

/* Hang-up after a short "hello" before the speech-end silence: finish() says human. */
START_TEST(test_hangup_after_short_utterance_is_human)
{
    du_call c = du_new(8000, 1500, NOISE, 30);
    du_speech(&c, 300, 500, 150, VOICE, 31);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result r;
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_HANGUP);
    ck_assert_int_eq(r.decision_ms, 1500);
    /* nothing heard before hang-up: unknown */
    du_call z = du_new(8000, 1000, NOISE, 32);
    du_run(&cfg, &z, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_HANGUP);
    du_free(&c);
    du_free(&z);
}
END_TEST

/* ---- the engine's rules on hand-made evidence (exact) ---- */

static amdi_evidence ev_at(int64_t t, int64_t onset, int64_t utt_start, int64_t last_end, int raw)
{
    amdi_evidence e;
    memset(&e, 0, sizeof e);
    e.t_ms = t;
    e.speech_onset_ms = onset;
    e.utt_start_ms = utt_start;
    e.last_speech_end_ms = last_end;
    e.speech_raw = raw;
    e.in_speech = raw;
    e.silence_ms = onset >= 0 ? t - last_end : t;
    e.utt_speech_ms = last_end > utt_start ? last_end - utt_start : 0;
    e.utt_active_ms = e.utt_speech_ms; /* continuous speech */
    return e;
}

START_TEST(test_engine_rules_exact)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    const amdi_engine_vt *vt = &amdi_engine_timing;
    unsigned char mem[512] __attribute__((aligned(16)));
    ck_assert_uint_le(vt->state_size(&cfg), sizeof mem);
    memset(mem, 0, sizeof mem);
    ck_assert_int_eq(vt->init(mem, &cfg, NULL, 0), 0);
    amdi_engine_decision d;
    /* silence: undecided at 4990, unknown at 5000 */
    amdi_evidence e = ev_at(4990, -1, -1, -1, 0);
    ck_assert_int_eq(vt->frame(mem, &e, &d), 0);
    ck_assert_str_eq(vt->state_name(mem), "wait-speech");
    e = ev_at(5000, -1, -1, -1, 0);
    ck_assert_int_eq(vt->frame(mem, &e, &d), 1);
    ck_assert_int_eq(d.answered_by, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(d.cause, AMD_CAUSE_SILENCE_TIMEOUT);
    /* speech from 1000: machine exactly when 2400 ms of it is reached */
    vt->reset(mem);
    e = ev_at(3390, 1000, 1000, 3390, 1);
    ck_assert_int_eq(vt->frame(mem, &e, &d), 0);
    e = ev_at(3400, 1000, 1000, 3400, 1);
    ck_assert_int_eq(vt->frame(mem, &e, &d), 1);
    ck_assert_int_eq(d.answered_by, AMD_ANSWERED_MACHINE_START);
    ck_assert(d.confidence >= 0.f && d.confidence <= 1.f);
    /* a 600 ms utterance: human exactly speech_end_threshold after its end */
    vt->reset(mem);
    e = ev_at(2790, 1000, 1000, 1600, 0);
    ck_assert_int_eq(vt->frame(mem, &e, &d), 0);
    e = ev_at(2800, 1000, 1000, 1600, 0);
    ck_assert_int_eq(vt->frame(mem, &e, &d), 1);
    ck_assert_int_eq(d.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(d.cause, AMD_CAUSE_SPEECH_END);
    /* speech activity, not span: 3 s from onset with only 2 s of it active is no machine yet */
    vt->reset(mem);
    e = ev_at(4000, 1000, 1000, 4000, 1);
    e.utt_active_ms = 2000;
    ck_assert_int_eq(vt->frame(mem, &e, &d), 0);
    e.utt_active_ms = 2400;
    ck_assert_int_eq(vt->frame(mem, &e, &d), 1);
    ck_assert_int_eq(d.answered_by, AMD_ANSWERED_MACHINE_START);
    /* timeout: the engine leaves it to the detector (unknown) */
    vt->reset(mem);
    e = ev_at(30000, 1000, 29000, 29990, 1);
    ck_assert_int_eq(vt->finish(mem, &e, 1, &d), 0);
}
END_TEST

Suite *timing_suite(void)
{
    Suite *s = suite_create("timing");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_short_burst_is_human_at_speech_end);
    tcase_add_test(tc, test_speech_end_threshold_moves_decision);
    tcase_add_test(tc, test_long_speech_is_machine_at_threshold);
    tcase_add_test(tc, test_speech_threshold_parameter);
    tcase_add_test(tc, test_silence_is_unknown_at_silence_timeout);
    tcase_add_test(tc, test_two_bursts_with_short_pause_is_machine);
    tcase_add_test(tc, test_two_bursts_with_long_pause_is_human);
    tcase_add_test(tc, test_timeout_is_unknown);
    tcase_add_test(tc, test_hangup_after_short_utterance_is_human);
    tcase_add_test(tc, test_engine_rules_exact);
    suite_add_tcase(s, tc);
    return s;
}
