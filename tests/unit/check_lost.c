/* SPDX-License-Identifier: MIT */
/*
 * Audio time and packet loss: amd_detector_time_ms() is the audio consumed
 * whatever the chunking (and rate), and amd_detector_process_lost() conceals
 * gaps - time runs on, no fake onset or fake silence, speech held through a
 * short gap, a long gap after speech ends it, the timeout fires inside a gap.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "detect_util.h"
#include "input.h"
#include "vad.h"

Suite *lost_suite(void);

/* The s16-scale constructed call as floats in [-1, 1] for amd_detector_process_float. */
static void to_unit(du_call *c)
{
    for (size_t i = 0; i < c->n; i++)
        c->x[i] /= 32768.f;
}

/* "hello" then silence: human at ~speech end + 1.2 s, long before the 10 s of audio end. */
static du_call hello_call(int rate)
{
    du_call c8 = du_new(8000, 10000, 30, 1);
    du_speech(&c8, 700, 700, 150, 3000, 2);
    if (rate != 8000) {
        du_call c = du_resample(&c8, rate);
        du_free(&c8);
        c8 = c;
    }
    to_unit(&c8);
    return c8;
}

static amd_detector *make(int rate, amd_engine engine)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.engine = engine;
    amd_detector *d = NULL;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    return d;
}

/* 10 s of audio reads 10,000 ms with 20 ms, 0.5 s or one 10 s call, at 8 kHz and 16 kHz. */
START_TEST(test_time_whatever_the_chunking)
{
    int rates[] = {8000, 16000};
    for (int ri = 0; ri < 2; ri++) {
        du_call c = hello_call(rates[ri]);
        ck_assert_uint_eq(c.n, (size_t)rates[ri] * 10);
        size_t chunks[] = {(size_t)rates[ri] / 50, (size_t)rates[ri] / 2, c.n};
        for (int ci = 0; ci < 3; ci++) {
            amd_detector *d = make(rates[ri], AMD_ENGINE_DEFAULT);
            for (size_t off = 0; off < c.n; off += chunks[ci])
                amd_detector_process_float(d, c.x + off, c.n - off < chunks[ci] ? c.n - off : chunks[ci]);
            amd_result r;
            ck_assert_int_eq(amd_detector_result(d, &r), 1);
            ck_assert_msg(r.decision_ms < 5000, "decided at %lld", (long long)r.decision_ms);
            ck_assert_msg(amd_detector_time_ms(d) == 10000, "%d Hz, chunk %zu: %lld ms", rates[ri], chunks[ci],
                          (long long)amd_detector_time_ms(d));
            amd_detector_destroy(d);
        }
        du_free(&c);
    }
}
END_TEST

/* Feed c in 20 ms packets; packets whose index satisfies lost(i) are reported lost. */
static void run_lossy(amd_detector *d, const du_call *c, int (*lost)(size_t i), int use_api)
{
    size_t pk = (size_t)c->rate / 50;
    static const float zeros[960];
    for (size_t off = 0, i = 0; off < c->n; off += pk, i++) {
        size_t m = c->n - off < pk ? c->n - off : pk;
        if (lost && lost(i))
            ck_assert_int_ge(use_api ? amd_detector_process_lost(d, m) : amd_detector_process_float(d, zeros, m), 0);
        else
            ck_assert_int_ge(amd_detector_process_float(d, c->x + off, m), 0);
    }
}

static int every_20th(size_t i) { return i % 20 == 7; }          /* 5 % */
static int in_hello(size_t i) { return i == 50 || i == 51; }     /* 1000..1040 ms, inside the speech */
static int after_hello(size_t i) { return i >= 75; }             /* everything from 1.5 s on */
static int all_lost(size_t i) { (void)i; return 1; }
static int in_onset(size_t i) { return i == 45; }              /* 900..920 ms: the hello's confirming hops */

/* Time counts lost samples too, at any rate and with odd gap sizes. */
START_TEST(test_time_counts_lost)
{
    int rates[] = {8000, 11025, 44100};
    for (int ri = 0; ri < 3; ri++) {
        amd_detector *d = make(rates[ri], AMD_ENGINE_TIMING);
        amd_detector_set_frame_callback(d, NULL, NULL);
        ck_assert_int_eq(amd_detector_process_lost(d, (size_t)rates[ri] * 3), 0);
        ck_assert_int_eq(amd_detector_time_ms(d), 3000);
        for (int i = 0; i < 7; i++) /* 7 odd gaps of 13 samples */
            amd_detector_process_lost(d, 13);
        ck_assert_int_eq(amd_detector_time_ms(d), (3 * rates[ri] + 91) * 1000LL / rates[ri]);
        amd_detector_destroy(d);
    }
}
END_TEST

/* Line noise with 5 % of its packets lost: still no speech, unknown at the silence timeout -
 * with the gaps filled with digital silence the noise floor would be dragged down. */
START_TEST(test_no_fake_onset)
{
    du_call c = du_new(8000, 8000, 200, 31);
    to_unit(&c);
    for (int engine = AMD_ENGINE_TIMING; engine <= AMD_ENGINE_MODEL; engine++) {
        amd_detector *ref = make(8000, (amd_engine)engine), *d = make(8000, (amd_engine)engine);
        run_lossy(ref, &c, NULL, 1);
        run_lossy(d, &c, every_20th, 1);
        amd_result a, b;
        amd_detector_result(ref, &a);
        amd_detector_result(d, &b);
        ck_assert_int_eq(b.answered_by, a.answered_by);
        ck_assert_int_eq(b.cause, a.cause);
        ck_assert_int_eq(b.decision_ms, a.decision_ms);
        ck_assert_int_eq(b.speech_onset_ms, -1);
        amd_detector_destroy(ref);
        amd_detector_destroy(d);
    }
    du_free(&c);
}
END_TEST

/* A 40 ms gap inside the hello: held as speech - same answer, same times within a hop or two. */
START_TEST(test_gap_in_speech_held)
{
    du_call c = hello_call(8000);
    amd_detector *ref = make(8000, AMD_ENGINE_TIMING), *d = make(8000, AMD_ENGINE_TIMING);
    run_lossy(ref, &c, NULL, 1);
    run_lossy(d, &c, in_hello, 1);
    amd_result a, b;
    amd_detector_result(ref, &a);
    amd_detector_result(d, &b);
    ck_assert_int_eq(a.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(b.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(b.speech_onset_ms, a.speech_onset_ms);
    ck_assert_msg(llabs(b.decision_ms - a.decision_ms) <= 20, "%lld vs %lld", (long long)b.decision_ms,
                  (long long)a.decision_ms);
    amd_detector_destroy(ref);
    amd_detector_destroy(d);
    du_free(&c);
}
END_TEST

/* The packet after the hello's first 20 ms is lost: the hops on both sides of the gap are speech,
 * so the gap is bridged and the onset is confirmed with its time (not from the hops after it). */
START_TEST(test_gap_in_onset_bridged)
{
    du_call c = hello_call(8000);
    amd_detector *ref = make(8000, AMD_ENGINE_TIMING), *d = make(8000, AMD_ENGINE_TIMING);
    run_lossy(ref, &c, NULL, 1);
    run_lossy(d, &c, in_onset, 1);
    amd_result a, b;
    amd_detector_result(ref, &a);
    amd_detector_result(d, &b);
    ck_assert_int_eq(a.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(b.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_msg(llabs(b.speech_onset_ms - a.speech_onset_ms) <= 10, "onset %lld vs %lld",
                  (long long)b.speech_onset_ms, (long long)a.speech_onset_ms);
    ck_assert_msg(llabs(b.decision_ms - a.decision_ms) <= 20, "%lld vs %lld", (long long)b.decision_ms,
                  (long long)a.decision_ms);
    amd_detector_destroy(ref);
    amd_detector_destroy(d);
    du_free(&c);
}
END_TEST

/* The far end stops sending after its hello (silence suppression): a long gap counts as silence
 * past AMD_LOST_HOLD_MS, so the human decision comes inside the gap, on time. */
START_TEST(test_long_gap_after_speech)
{
    du_call c = hello_call(8000);
    amd_detector *ref = make(8000, AMD_ENGINE_TIMING), *d = make(8000, AMD_ENGINE_TIMING);
    run_lossy(ref, &c, NULL, 1);
    run_lossy(d, &c, after_hello, 1);
    amd_result a, b;
    amd_detector_result(ref, &a);
    ck_assert_int_eq(amd_detector_result(d, &b), 1);
    ck_assert_int_eq(b.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_int_eq(b.cause, AMD_CAUSE_SPEECH_END);
    ck_assert_msg(b.decision_ms >= a.decision_ms && b.decision_ms <= a.decision_ms + AMD_LOST_HOLD_MS + 20,
                  "%lld vs %lld", (long long)b.decision_ms, (long long)a.decision_ms);
    amd_detector_destroy(ref);
    amd_detector_destroy(d);
    du_free(&c);
}
END_TEST

/* Nothing ever arrives: the timeout still fires, at its audio time, from inside process_lost. */
START_TEST(test_timeout_in_gap)
{
    du_call c = du_new(8000, 12000, 0, 1);
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.timeout_ms = 10000;
    amd_detector *d = NULL;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    run_lossy(d, &c, all_lost, 1);
    amd_result r;
    ck_assert_int_eq(amd_detector_result(d, &r), 1);
    ck_assert_int_eq(r.answered_by, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_TIMEOUT);
    ck_assert_int_eq(r.decision_ms, 10000);
    ck_assert_int_eq(amd_detector_time_ms(d), 12000);
    amd_detector_destroy(d);
    du_free(&c);
}
END_TEST

/* Same loss pattern, audio fed in 1-, 7- and 160-sample pieces: same result (chunk invariance). */
START_TEST(test_lost_chunk_invariance)
{
    du_call c = hello_call(8000);
    amd_result ref;
    size_t pieces[] = {160, 7, 1};
    for (int pi = 0; pi < 3; pi++) {
        amd_detector *d = make(8000, AMD_ENGINE_DEFAULT);
        for (size_t off = 0, i = 0; off < c.n; off += 160, i++) {
            if (every_20th(i)) {
                amd_detector_process_lost(d, 160);
                continue;
            }
            for (size_t k = 0; k < 160; k += pieces[pi])
                amd_detector_process_float(d, c.x + off + k, 160 - k < pieces[pi] ? 160 - k : pieces[pi]);
        }
        amd_detector_finish(d);
        amd_result r;
        amd_detector_result(d, &r);
        if (pi == 0)
            ref = r;
        ck_assert_int_eq(r.answered_by, ref.answered_by);
        ck_assert_int_eq(r.decision_ms, ref.decision_ms);
        ck_assert_int_eq(r.speech_onset_ms, ref.speech_onset_ms);
        amd_detector_destroy(d);
    }
    du_free(&c);
}
END_TEST

/* Packets gap_a and gap_b lost (20 ms each), or none. */
static size_t g_gap_a, g_gap_b;
static int two_gaps(size_t i) { return i == g_gap_a || i == g_gap_b; }

/* A greeting, then a 400 ms beep at 1030 Hz (not a multiple of 50 Hz: the audio after a
 * 20 ms gap is out of phase with the audio before it, as a real beep's would be) with two
 * 20 ms packets lost inside it (60 ms apart), wherever they fall: still machine_end_beep, the beep's
 * edges and frequency as heard without loss. (The splice of the audio before and after a
 * gap used to spoil the tone frames: the beep was cut at the gap or its pitch drifted, and
 * the greeting ended on silence instead.) */
START_TEST(test_beep_across_gaps)
{
    du_call c = du_new(8000, 9000, 30, 1);
    du_speech(&c, 500, 3000, 130, 3000, 2);
    du_tone(&c, 4300, 400, 1030, 0, 9000);
    to_unit(&c);
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.mode = AMD_MODE_DETECT_MESSAGE_END;
    /* 4340 .. 4640 ms: every place inside the beep once it is known as a tone (a gap in its
     * first 30 ms comes before the tone detectors have a tone to hold: not concealed) */
    for (size_t a = 217; a <= 232; a++) {
        g_gap_a = a;
        g_gap_b = a + 3;
        amd_detector *d = NULL;
        ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
        run_lossy(d, &c, two_gaps, 1);
        amd_detector_finish(d);
        amd_result r;
        amd_detector_result(d, &r);
        ck_assert_msg(r.answered_by == AMD_ANSWERED_MACHINE_END_BEEP, "gaps at %zu ms: %s", a * 20,
                      amd_answered_by_name(r.answered_by));
        ck_assert_msg(llabs(r.beep_start_ms - 4300) <= 40 && llabs(r.beep_end_ms - 4700) <= 40,
                      "gaps at %zu ms: beep %lld..%lld", a * 20, (long long)r.beep_start_ms, (long long)r.beep_end_ms);
        ck_assert_msg(r.beep_hz > 1020 && r.beep_hz < 1040, "gaps at %zu ms: %.1f Hz", a * 20, (double)r.beep_hz);
        amd_detector_destroy(d);
    }
    du_free(&c);
}
END_TEST

/* Fax CNG (ITU-T T.30: 1100 Hz +-38 Hz, 0.5 s on, 3 s off; here 1082 Hz) from the moment of
 * answer, with a 20 ms packet lost after the first tone's first 20 ms but before the tone
 * detectors flag a tone (their 3rd..4th tone frame): the same answer as without loss (fax),
 * never a beep. (The tone's first hops before the gap used to stay outside the concealment:
 * the tone heard after the gap was a new, shorter tone with "activity" - its own start -
 * before it, so not CNG but a beep: machine_start.) */
START_TEST(test_cng_start_gap_not_beep)
{
    amd_config cfg;
    amd_config_init(&cfg);
    for (int start = 900; start < 1000; start += 10) {
        du_call c = du_new(8000, 9000, 30, 3);
        du_tone(&c, start, 500, 1082, 0, 6000);
        du_tone(&c, start + 3500, 500, 1082, 0, 6000);
        to_unit(&c);
        /* a = 0: no loss (two_gaps never matches); then each packet from 20 to 60 ms into the tone */
        size_t first = (size_t)(start + 20 + 19) / 20, last = (size_t)(start + 60) / 20;
        for (size_t a = 0; a <= last; a = a ? a + 1 : first) {
            g_gap_a = g_gap_b = a ? a : (size_t)-1;
            amd_detector *d = NULL;
            ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
            run_lossy(d, &c, two_gaps, 1);
            amd_detector_finish(d);
            amd_result r;
            amd_detector_result(d, &r);
            ck_assert_msg(r.answered_by == AMD_ANSWERED_FAX, "tone at %d ms, gap at %zu ms: %s (%s at %lld ms)", start,
                          a * 20, amd_answered_by_name(r.answered_by), amd_cause_name(r.cause),
                          (long long)r.decision_ms);
            amd_detector_destroy(d);
        }
        du_free(&c);
    }
}
END_TEST

/* Three VADs over one call: `lossy` loses hops GAP_AT, GAP_AT + 1
 * (amdi_vad_lost); `stand_in` hears the hop after the gap three times in their place;
 * `skipped` never hears of the gap. */
#define GAP_AT 120 /* hops: 1200 ms, inside the hello (700..1400 ms) */
typedef struct ctx_run {
    amdi_analysis an;
    void *mem;
    amdi_vad lossy, stand_in, skipped;
    int k;
} ctx_run;

static int ctx_hop(void *user, const float *hop)
{
    ctx_run *r = user;
    const amdi_frame *f = amdi_analysis_hop(&r->an, hop);
    amdi_vad_out o;
    if (r->k == GAP_AT || r->k == GAP_AT + 1) {
        amdi_vad_lost(&r->lossy);
    } else {
        amdi_vad_frame(&r->lossy, &r->an, f, 0, &o);
        amdi_vad_frame(&r->skipped, &r->an, f, 0, &o); /* the gap not reported at all */
        for (int i = 0; i < (r->k == GAP_AT + 2 ? 3 : 1); i++)
            amdi_vad_frame(&r->stand_in, &r->an, f, 0, &o);
    }
    r->k++;
    return r->k > GAP_AT + 2; /* stop on the hop after the gap */
}

/* The VAD's running context (level mean / variance over ~200 ms and ~1 s) runs on through lost
 * hops in audio time: the hop after a gap stands in for the lost ones, exactly as if it had
 * been heard three times; without that, the context would remember the audio before the gap
 * two hops too long (what `skipped` does). */
START_TEST(test_vad_context_audio_time)
{
    du_call c = hello_call(8000);
    ctx_run *r = calloc(1, sizeof *r);
    ck_assert_int_eq(posix_memalign(&r->mem, 64, amdi_analysis_buf_size()), 0);
    ck_assert_int_eq(amdi_analysis_init(&r->an, r->mem), 0);
    amdi_vad_init(&r->lossy);
    amdi_vad_init(&r->stand_in);
    amdi_vad_init(&r->skipped);
    amdi_input in;
    ck_assert_int_eq(amdi_input_init(&in, c.rate), 0);
    amdi_input_push(&in, AMDI_FMT_FLOAT, c.x, c.n, ctx_hop, r);
    amdi_input_free(&in);
    ck_assert_int_eq(r->k, GAP_AT + 3);
    ck_assert(r->lossy.lvl_mean == r->stand_in.lvl_mean && r->lossy.lvl_var == r->stand_in.lvl_var);
    ck_assert(r->lossy.lt_mean == r->stand_in.lt_mean && r->lossy.lt_var == r->stand_in.lt_var);
    ck_assert(r->lossy.lvl_var != r->skipped.lvl_var); /* the test can tell the difference */
    /* and the next hop is an ordinary one again */
    ck_assert_int_eq(r->lossy.ctx_steps, 1);
    amdi_analysis_free(&r->an);
    free(r->mem);
    free(r);
    du_free(&c);
}
END_TEST

/* Trace frames during a gap say "lost" and keep the 10 ms cadence. */
static void on_frame(void *user, const amd_frame_info *fi)
{
    du_events *e = user;
    du_on_frame(user, fi);
    if (!strcmp(fi->state, "lost"))
        e->n_provisional++; /* reused as a counter of lost frames */
}

START_TEST(test_invalid_and_trace)
{
    ck_assert_int_eq(amd_detector_process_lost(NULL, 10), AMD_EINVAL);
    amd_detector *d = make(8000, AMD_ENGINE_TIMING);
    ck_assert_int_eq(amd_detector_process_lost(d, (size_t)8000 * 3600 + 1), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_lost(d, 0), 0);
    du_events ev;
    memset(&ev, 0, sizeof ev);
    ev.frames_monotonic = 1;
    amd_detector_set_frame_callback(d, on_frame, &ev);
    static const int16_t noise[800] = {1, -1, 2, -2};
    amd_detector_process_s16(d, noise, 800);
    amd_detector_process_lost(d, 400);
    amd_detector_process_s16(d, noise, 800);
    ck_assert_int_eq(ev.n_frames, 25);
    ck_assert_int_eq(ev.n_provisional, 5);
    ck_assert(ev.frames_monotonic);
    ck_assert_int_eq(amd_detector_finish(d), 1);
    ck_assert_int_eq(amd_detector_process_lost(d, 160), AMD_ESTATE);
    amd_detector_destroy(d);
}
END_TEST

Suite *lost_suite(void)
{
    Suite *s = suite_create("lost");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_time_whatever_the_chunking);
    tcase_add_test(tc, test_time_counts_lost);
    tcase_add_test(tc, test_no_fake_onset);
    tcase_add_test(tc, test_gap_in_speech_held);
    tcase_add_test(tc, test_gap_in_onset_bridged);
    tcase_add_test(tc, test_long_gap_after_speech);
    tcase_add_test(tc, test_timeout_in_gap);
    tcase_add_test(tc, test_lost_chunk_invariance);
    tcase_add_test(tc, test_invalid_and_trace);
    tcase_add_test(tc, test_beep_across_gaps);
    tcase_add_test(tc, test_cng_start_gap_not_beep);
    tcase_add_test(tc, test_vad_context_audio_time);
    suite_add_tcase(s, tc);
    return s;
}
