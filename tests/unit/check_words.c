/* SPDX-License-Identifier: MIT */
/*
 * The word-counting engine (Asterisk AMD() semantics on the amd/params.h
 * parameters): rules on hand-made evidence, exact to the frame, and the
 * engine through the whole detector on constructed calls.
 */
#include <check.h>
#include <string.h>

#include "detect_util.h"
#include "engine.h"

Suite *words_suite(void);

typedef struct wrun {
    amd_config cfg;
    unsigned char mem[512] __attribute__((aligned(16)));
    int64_t t;
    amdi_engine_decision d;
    int decided;
} wrun;

static void w_init(wrun *w, const amd_config *cfg)
{
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    ck_assert_uint_le(amdi_engine_words.state_size(cfg), sizeof w->mem);
    ck_assert_int_eq(amdi_engine_words.init(w->mem, cfg, NULL, 0), 0);
}

/* Feed `ms` of voice (1) or silence (0) at level mean_abs; stops at a decision. */
static void w_feed(wrun *w, int voice, int ms, float mean_abs)
{
    for (int i = 0; i < ms / 10 && !w->decided; i++) {
        amdi_evidence e;
        memset(&e, 0, sizeof e);
        w->t += 10;
        e.t_ms = w->t;
        e.speech_raw = voice;
        e.speech = voice;
        e.mean_abs = mean_abs;
        memset(&w->d, 0, sizeof w->d);
        w->decided = amdi_engine_words.frame(w->mem, &e, &w->d);
    }
}

START_TEST(test_initial_silence_is_unknown)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    wrun w;
    w_init(&w, &cfg);
    ck_assert_str_eq(amdi_engine_words.state_name(w.mem), "initial-silence");
    w_feed(&w, 0, 4990, 0);
    ck_assert(!w.decided);
    w_feed(&w, 0, 10, 0);
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.answered_by, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(w.d.cause, AMD_CAUSE_SILENCE_TIMEOUT);
    ck_assert_int_eq(w.t, 5000);
}
END_TEST

START_TEST(test_short_greeting_then_silence_is_human)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    wrun w;
    w_init(&w, &cfg);
    w_feed(&w, 0, 500, 0);
    w_feed(&w, 1, 400, 1000); /* "hello" */
    ck_assert_str_eq(amdi_engine_words.state_name(w.mem), "word");
    w_feed(&w, 0, 1190, 0);
    ck_assert(!w.decided);
    w_feed(&w, 0, 10, 0);
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(w.d.cause, AMD_CAUSE_SPEECH_END);
    ck_assert_int_eq(w.t, 500 + 400 + 1200);
    ck_assert(w.d.confidence > 0.5f && w.d.confidence <= 1.f);
}
END_TEST

/* More words than max_num_of_words -> machine on the word that exceeds it. */
START_TEST(test_max_words_is_machine)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    cfg.max_num_of_words = 3;
    wrun w;
    w_init(&w, &cfg);
    for (int k = 0; k < 3; k++) {
        w_feed(&w, 1, 200, 1000);
        w_feed(&w, 0, 100, 0);
    }
    ck_assert(!w.decided); /* 3 words: not more than 3 */
    w_feed(&w, 1, 90, 1000);
    ck_assert(!w.decided); /* the 4th is not a word until min_word_length (100 ms) */
    w_feed(&w, 1, 10, 1000);
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.answered_by, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(w.d.cause, AMD_CAUSE_MAX_WORDS);
    ck_assert_int_eq(w.t, 3 * 300 + 100);
}
END_TEST

/* Pauses shorter than words_silence do not split a word. */
START_TEST(test_words_silence_joins)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    cfg.max_num_of_words = 2;
    cfg.words_silence_ms = 100;
    wrun w;
    w_init(&w, &cfg);
    for (int k = 0; k < 8; k++) { /* one word with 90 ms gaps */
        w_feed(&w, 1, 150, 1000);
        w_feed(&w, 0, 90, 0);
    }
    ck_assert(!w.decided);
    /* with 50 ms words_silence the same is 8 words -> machine */
    cfg.words_silence_ms = 50;
    w_init(&w, &cfg);
    for (int k = 0; k < 8 && !w.decided; k++) {
        w_feed(&w, 1, 150, 1000);
        w_feed(&w, 0, 90, 0);
    }
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.cause, AMD_CAUSE_MAX_WORDS);
}
END_TEST

START_TEST(test_long_word_and_long_greeting)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    cfg.max_word_length_ms = 1500;
    cfg.speech_threshold_ms = 6000;
    wrun w;
    w_init(&w, &cfg);
    w_feed(&w, 1, 1490, 1000);
    ck_assert(!w.decided);
    w_feed(&w, 1, 10, 1000);
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.answered_by, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(w.d.cause, AMD_CAUSE_LONG_WORD);
    /* total voice in the greeting reaching speech_threshold -> long-greeting */
    cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    cfg.max_num_of_words = 100;
    cfg.speech_threshold_ms = 1000;
    w_init(&w, &cfg);
    for (int k = 0; k < 10 && !w.decided; k++) {
        w_feed(&w, 1, 300, 1000);
        w_feed(&w, 0, 200, 0);
    }
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.cause, AMD_CAUSE_LONG_GREETING);
    ck_assert_int_eq(w.t, 3 * 500 + 100); /* 1000 ms of voice reached 100 ms into the 4th word */
}
END_TEST

/* silence_threshold: voice quieter than it is silence (Asterisk's level test); 0 disables it. */
START_TEST(test_silence_threshold)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    cfg.silence_threshold = 500;
    wrun w;
    w_init(&w, &cfg);
    w_feed(&w, 1, 5000, 300); /* VAD speech but mean |x| 300 < 500 */
    ck_assert(w.decided);
    ck_assert_int_eq(w.d.answered_by, AMD_ANSWERED_UNKNOWN);
    cfg.silence_threshold = 0;
    w_init(&w, &cfg);
    w_feed(&w, 1, 400, 300);
    ck_assert_str_eq(amdi_engine_words.state_name(w.mem), "word");
}
END_TEST

/* Through the detector: "hello" -> human; a long greeting -> machine; "Lumenvox" is the same engine. */
START_TEST(test_detector_words_engine)
{
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_WORDS);
    amd_result r;
    du_call c = du_new(8000, 6000, 30, 40);
    du_speech(&c, 800, 500, 150, 3000, 41);
    du_run(&cfg, &c, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_SPEECH_END);
    du_call m = du_new(8000, 10000, 30, 42);
    du_speech(&m, 500, 6000, 120, 3000, 43);
    du_run(&cfg, &m, 0, &r, NULL);
    du_assert_answer(r, AMD_ANSWERED_MACHINE_START);
    ck_assert(r.cause == AMD_CAUSE_LONG_GREETING || r.cause == AMD_CAUSE_MAX_WORDS ||
              r.cause == AMD_CAUSE_LONG_WORD);
    /* voice is counted hop by hop, so the decision comes once 2.4 s of it were heard: after
     * onset + 2.4 s by the unvoiced gaps, well before the 6 s greeting ends */
    ck_assert_int_ge(r.decision_ms, 500 + cfg.speech_threshold_ms);
    ck_assert_int_le(r.decision_ms, 500 + cfg.speech_threshold_ms + 1000);
    amd_engine e;
    ck_assert_int_eq(amd_engine_parse("Lumenvox", &e), 0);
    cfg.engine = e;
    amd_result r2;
    du_run(&cfg, &m, 0, &r2, NULL);
    ck_assert_int_eq(r2.answered_by, r.answered_by);
    ck_assert_int_eq(r2.decision_ms, r.decision_ms);
    du_free(&c);
    du_free(&m);
}
END_TEST

Suite *words_suite(void)
{
    Suite *s = suite_create("words");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_initial_silence_is_unknown);
    tcase_add_test(tc, test_short_greeting_then_silence_is_human);
    tcase_add_test(tc, test_max_words_is_machine);
    tcase_add_test(tc, test_words_silence_joins);
    tcase_add_test(tc, test_long_word_and_long_greeting);
    tcase_add_test(tc, test_silence_threshold);
    tcase_add_test(tc, test_detector_words_engine);
    suite_add_tcase(s, tc);
    return s;
}
