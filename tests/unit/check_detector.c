/* SPDX-License-Identifier: MIT */
/*
 * The detector API: every invalid argument, chunk-size and rate invariance of
 * decisions, determinism, reset, callbacks, input formats, memory and time.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "amd/version.h"
#include "detect_util.h"

Suite *detector_suite(void);

static void same_result(const amd_result *a, const amd_result *b, const char *what)
{
    ck_assert_msg(a->answered_by == b->answered_by && a->cause == b->cause && a->decision_ms == b->decision_ms &&
                      a->speech_onset_ms == b->speech_onset_ms && a->greeting_end_ms == b->greeting_end_ms &&
                      a->machine_known_ms == b->machine_known_ms && a->beep_end_ms == b->beep_end_ms &&
                      a->confidence == b->confidence,
                  "%s: %s/%s@%lld vs %s/%s@%lld", what, amd_answered_by_name(a->answered_by), amd_cause_name(a->cause),
                  (long long)a->decision_ms, amd_answered_by_name(b->answered_by), amd_cause_name(b->cause),
                  (long long)b->decision_ms);
}

/* Calls covering each decision: human, machine, silence, machine with a beep (DetectMessageEnd). */
static du_call make_call(int kind, int rate)
{
    du_call c;
    switch (kind) {
    case 0: /* hello + silence */
        c = du_new(rate, 5000, 30, 1);
        du_speech(&c, 700, 700, 150, 3000, 2);
        break;
    case 1: /* long greeting */
        c = du_new(rate, 6000, 30, 3);
        du_speech(&c, 400, 4000, 120, 3000, 4);
        break;
    case 2: /* line noise only */
        c = du_new(rate, 7000, 60, 5);
        break;
    default: /* greeting, pause, beep */
        c = du_new(rate, 9000, 30, 6);
        du_speech(&c, 500, 3000, 130, 3000, 7);
        du_tone(&c, 4500, 400, 1000, 0, 9000);
        break;
    }
    return c;
}

/* Decisions identical whether fed 1, 7, 80, 160 samples at a time or whole, at 8, 16 and 44.1 kHz. */
START_TEST(test_chunk_invariance)
{
    int rates[] = {8000, 16000, 44100};
    size_t chunks[] = {1, 7, 80, 160, 0};
    for (int kind = 0; kind < 4; kind++) {
        amd_result ref8;
        du_call c8 = make_call(kind, 8000);
        for (int ri = 0; ri < 3; ri++) {
            du_call c = ri == 0 ? make_call(kind, 8000) : du_resample(&c8, rates[ri]);
            amd_config cfg = du_cfg(kind == 3 ? AMD_MODE_DETECT_MESSAGE_END : AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
            amd_result whole, r;
            du_run(&cfg, &c, 0, &whole, NULL);
            for (int ci = 0; ci < 4; ci++) {
                du_run(&cfg, &c, chunks[ci], &r, NULL);
                char what[64];
                snprintf(what, sizeof what, "kind %d rate %d chunk %zu", kind, rates[ri], chunks[ci]);
                same_result(&whole, &r, what);
            }
            if (ri == 0) {
                ref8 = whole;
            } else {
                /* another rate: the same answer, at about the same time */
                ck_assert_msg(whole.answered_by == ref8.answered_by, "kind %d: %s at %d Hz, %s at 8 kHz", kind,
                              amd_answered_by_name(whole.answered_by), rates[ri], amd_answered_by_name(ref8.answered_by));
                ck_assert_int_eq(whole.cause, ref8.cause);
                ck_assert_msg(llabs(whole.decision_ms - ref8.decision_ms) <= 30, "kind %d rate %d: %lld vs %lld ms",
                              kind, rates[ri], (long long)whole.decision_ms, (long long)ref8.decision_ms);
            }
            du_free(&c);
        }
        du_free(&c8);
    }
}
END_TEST

/* s16, float, µ-law and A-law of one call give the same answer. */
START_TEST(test_formats)
{
    for (int kind = 0; kind < 3; kind++) {
        du_call c = make_call(kind, 8000);
        amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
        amd_result r[4];
        for (int fmt = 0; fmt < 4; fmt++)
            du_run_fmt(&cfg, &c, 160, fmt, &r[fmt], NULL);
        same_result(&r[0], &r[1], "float");
        for (int fmt = 2; fmt < 4; fmt++) {
            ck_assert_int_eq(r[fmt].answered_by, r[0].answered_by);
            ck_assert(llabs(r[fmt].decision_ms - r[0].decision_ms) <= 30);
        }
        du_free(&c);
    }
}
END_TEST

/* Same input twice, and after reset: the same result; events once; frames every 10 ms. */
START_TEST(test_determinism_reset_callbacks)
{
    du_call c = make_call(0, 8000);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_result a, b;
    du_events ev;
    du_run(&cfg, &c, 333, &a, &ev);
    du_run(&cfg, &c, 333, &b, NULL);
    same_result(&a, &b, "second run");
    ck_assert_int_eq(ev.n_decision, 1);
    ck_assert_int_eq(ev.n_provisional, 0);
    same_result(&a, &ev.decision, "callback vs poll");
    ck_assert(ev.frames_monotonic);
    /* with a frame callback the analysis runs on to the end of the audio (detector.h) */
    ck_assert_int_eq(ev.last_frame_ms, (int64_t)(c.n / 80) * 10);
    ck_assert_int_lt(a.decision_ms, ev.last_frame_ms);

    /* reset: one detector, two calls */
    amd_detector *d;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    int16_t *s = malloc(c.n * sizeof(int16_t));
    tu_to_s16(c.x, s, c.n);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(amd_detector_process_s16(d, s, c.n), 1);
        amd_detector_result(d, &b);
        same_result(&a, &b, "after reset");
        ck_assert_int_eq(amd_detector_reset(d), 0);
        amd_detector_result(d, &b);
        ck_assert_int_eq(b.answered_by, AMD_ANSWERED_NONE);
        ck_assert_int_eq(amd_detector_time_ms(d), 0);
    }
    amd_detector_destroy(d);
    free(s);
    du_free(&c);
}
END_TEST

static void bad_frame(void *u, const amd_frame_info *fi)
{
    (void)u;
    ck_assert(fi->state != NULL);
    ck_assert(fi->speech_prob >= 0.f && fi->speech_prob <= 1.f);
    ck_assert(fi->level_db >= -100.f && fi->level_db <= 1.f);
}

/* Every invalid argument -> AMD_EINVAL (or AMD_ESTATE after finish), never a crash. */
START_TEST(test_invalid_arguments)
{
    amd_config cfg;
    amd_config_init(&cfg);
    amd_detector *d = (amd_detector *)0x1;
    char err[200];
    ck_assert_int_eq(amd_detector_create(NULL, &d, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(amd_detector_create(&cfg, NULL, err, sizeof err), AMD_EINVAL);
    cfg.speech_threshold_ms = 700;
    d = (amd_detector *)0x1;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_msg(strstr(err, "speech_threshold_ms") != NULL, "%s", err);
    amd_config_init(&cfg);
    cfg.version = 99;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, err, sizeof err), AMD_EVERSION);
    amd_config_init(&cfg);
    cfg.sample_rate = 7000;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), AMD_EINVAL);
    /* the model engine: works when a model is available, else a clear AMD_EINVAL */
    amd_config_init(&cfg);
    cfg.engine = AMD_ENGINE_MODEL;
    int rc = amd_detector_create(&cfg, &d, err, sizeof err);
    if (rc == 0)
        amd_detector_destroy(d);
    else
        ck_assert_msg(rc == AMD_EINVAL && strlen(err) > 0, "model engine: rc %d '%s'", rc, err);

    /* NULL detector everywhere */
    int16_t s[16] = {0};
    float f[16] = {0};
    uint8_t g[16] = {0xff};
    amd_result r;
    ck_assert_int_eq(amd_detector_process_s16(NULL, s, 16), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_float(NULL, f, 16), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_ulaw(NULL, g, 16), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_alaw(NULL, g, 16), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_finish(NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_reset(NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_result(NULL, &r), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_set_event_callback(NULL, NULL, NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_set_frame_callback(NULL, NULL, NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_time_ms(NULL), 0);
    ck_assert_uint_eq(amd_detector_memory(NULL), 0);
    amd_detector_destroy(NULL);

    amd_config_init(&cfg);
    ck_assert_int_eq(amd_detector_create(&cfg, &d, err, sizeof err), 0);
    ck_assert_int_eq(amd_detector_set_frame_callback(d, bad_frame, NULL), 0);
    /* NULL samples with n > 0; n == 0 with NULL is fine */
    ck_assert_int_eq(amd_detector_process_s16(d, NULL, 5), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_float(d, NULL, 5), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_ulaw(d, NULL, 5), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_alaw(d, NULL, 5), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_process_s16(d, NULL, 0), 0);
    ck_assert_int_eq(amd_detector_result_sized(d, NULL, sizeof r), AMD_EINVAL);
    /* NaN / Inf float chunk: rejected whole, state unchanged */
    ck_assert_int_eq(amd_detector_process_float(d, f, 16), 0);
    int64_t t = amd_detector_time_ms(d);
    f[3] = NAN;
    ck_assert_int_eq(amd_detector_process_float(d, f, 16), AMD_EINVAL);
    f[3] = INFINITY;
    ck_assert_int_eq(amd_detector_process_float(d, f, 16), AMD_EINVAL);
    ck_assert_int_eq(amd_detector_time_ms(d), t);
    ck_assert_int_eq(amd_detector_result(d, &r), 0);
    ck_assert_int_eq(r.answered_by, AMD_ANSWERED_NONE);
    ck_assert_int_eq(r.decision_ms, -1);
    /* after finish: process refused, result kept, finish again fine */
    ck_assert_int_eq(amd_detector_finish(d), 1);
    ck_assert_int_eq(amd_detector_process_s16(d, s, 16), AMD_ESTATE);
    ck_assert_int_eq(amd_detector_finish(d), 1);
    ck_assert_int_eq(amd_detector_result(d, &r), 1);
    ck_assert_int_eq(r.answered_by, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.cause, AMD_CAUSE_HANGUP);
    amd_detector_destroy(d);
}
END_TEST

/* Memory: one detector stays under the 32 KiB budget (README, bench/RESULTS.md), at every rate. */
START_TEST(test_memory_budget)
{
    int rates[] = {8000, 16000, 44100, 48000};
    for (int i = 0; i < 4; i++) {
        amd_config cfg;
        amd_config_init(&cfg);
        cfg.sample_rate = rates[i];
        for (int e = AMD_ENGINE_TIMING; e <= AMD_ENGINE_WORDS; e++) {
            cfg.engine = (amd_engine)e;
            amd_detector *d;
            ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
            size_t m = amd_detector_memory(d);
            ck_assert_msg(m > 1000 && m <= 32 * 1024, "%d Hz: %zu bytes", rates[i], m);
            amd_detector_destroy(d);
        }
    }
}
END_TEST

/* Audio time follows the samples fed at any rate; samples after the decision are accepted. */
START_TEST(test_time_and_after_decision)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.silence_timeout_ms = 2000;
    amd_detector *d;
    int16_t z[1600] = {0};
    /* at 16 kHz the clock counts input samples */
    cfg.sample_rate = 16000;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    ck_assert_int_eq(amd_detector_process_s16(d, z, 1600), 0);
    ck_assert_int_eq(amd_detector_process_s16(d, z, 7), 0);
    ck_assert_int_eq(amd_detector_time_ms(d), 100);
    amd_detector_destroy(d);
    /* at 8 kHz the decision comes in the very call that completes the 2000th ms */
    cfg.sample_rate = 8000;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    for (int k = 0; k < 19; k++)
        ck_assert_int_eq(amd_detector_process_s16(d, z, 800), 0);
    ck_assert_int_eq(amd_detector_time_ms(d), 1900);
    ck_assert_int_eq(amd_detector_process_s16(d, z, 799), 0);
    ck_assert_int_eq(amd_detector_process_s16(d, z, 1), 1); /* 2000 ms: silence timeout */
    amd_result r;
    ck_assert_int_eq(amd_detector_result(d, &r), 1);
    ck_assert_int_eq(r.answered_by, AMD_ANSWERED_UNKNOWN);
    ck_assert_int_eq(r.decision_ms, 2000);
    ck_assert_int_eq(amd_detector_process_s16(d, z, 800), 1);
    ck_assert_int_eq(amd_detector_time_ms(d), 2100);
    ck_assert_int_eq(amd_detector_result(d, &r), 1);
    ck_assert_int_eq(r.decision_ms, 2000); /* never changes */
    amd_detector_destroy(d);
}
END_TEST

/* ABI growth (detector.h): the library fills min(caller's, its own) bytes of amd_result and
 * says how many in struct_size; callbacks get structs that carry their size. */
typedef struct older_result { /* what a program built against a shorter amd_result holds */
    size_t struct_size;
    amd_answered_by answered_by;
    amd_cause cause;
} older_result;

typedef struct newer_result { /* a program built against a longer one */
    amd_result r;
    int64_t field_from_the_future;
} newer_result;

static void abi_frame(void *u, const amd_frame_info *fi)
{
    size_t *seen = u;
    *seen = fi->struct_size;
    ck_assert(AMD_STRUCT_HAS(fi, amd_frame_info, state));
}

static void abi_event(void *u, amd_event ev, const amd_result *res)
{
    size_t *seen = u;
    *seen = res->struct_size;
    ck_assert(AMD_STRUCT_HAS(res, amd_result, beep_hz));
}

START_TEST(test_result_struct_size)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.silence_timeout_ms = 2000;
    amd_detector *d;
    ck_assert_int_eq(amd_detector_create(&cfg, &d, NULL, 0), 0);
    size_t frame_size = 0, event_size = 0;
    amd_detector_set_frame_callback(d, abi_frame, &frame_size);
    amd_detector_set_event_callback(d, abi_event, &event_size);
    int16_t z[800] = {0};
    for (int k = 0; k < 25; k++)
        amd_detector_process_s16(d, z, 800);
    ck_assert_uint_eq(frame_size, sizeof(amd_frame_info));
    ck_assert_uint_eq(event_size, sizeof(amd_result));

    amd_result r;
    memset(&r, 0xA5, sizeof r);
    ck_assert_int_eq(amd_detector_result(d, &r), 1);
    ck_assert_uint_eq(r.struct_size, sizeof r);
    ck_assert_int_eq(r.answered_by, AMD_ANSWERED_UNKNOWN);
    ck_assert(AMD_STRUCT_HAS(&r, amd_result, beep_hz));

    /* a longer caller struct: ours is filled, theirs beyond it untouched, struct_size says so */
    newer_result nr;
    memset(&nr, 0xA5, sizeof nr);
    ck_assert_int_eq(amd_detector_result_sized(d, &nr.r, sizeof nr), 1);
    ck_assert_uint_eq(nr.r.struct_size, sizeof(amd_result));
    ck_assert_int_eq(nr.r.answered_by, r.answered_by);
    ck_assert_int_eq(nr.r.cause, r.cause);
    ck_assert_int_eq(nr.r.decision_ms, r.decision_ms);
    ck_assert(nr.r.beep_hz == r.beep_hz);
    ck_assert(!(nr.r.struct_size >= offsetof(newer_result, field_from_the_future) + sizeof(int64_t)));
    int64_t pattern;
    memset(&pattern, 0xA5, sizeof pattern);
    ck_assert(nr.field_from_the_future == pattern);

    /* a caller struct shorter than the first release's: refused, nothing written */
    unsigned char small[sizeof(older_result) + 8];
    memset(small, 0xA5, sizeof small);
    ck_assert_int_eq(amd_detector_result_sized(d, (amd_result *)(void *)small, sizeof(older_result)),
                     AMD_EINVAL);
    for (size_t i = 0; i < sizeof small; i++)
        ck_assert_uint_eq(small[i], 0xA5);
    amd_detector_destroy(d);

    /* compile-time version macros agree with the library */
    ck_assert_int_eq(AMD_VERSION_NUMBER, amd_version_number());
    ck_assert_str_eq(AMD_VERSION_STRING, amd_version_string());
    ck_assert_int_eq(AMD_VERSION_ENCODE(1, 2, 3), 10203);
}
END_TEST

/* Many detectors side by side do not disturb each other (no shared state). */
START_TEST(test_independent_detectors)
{
    du_call h = make_call(0, 8000), m = make_call(1, 8000);
    int16_t *sh = malloc(h.n * 2), *sm = malloc(m.n * 2);
    tu_to_s16(h.x, sh, h.n);
    tu_to_s16(m.x, sm, m.n);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    amd_detector *d[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(amd_detector_create(&cfg, &d[i], NULL, 0), 0);
    size_t n = h.n < m.n ? h.n : m.n;
    for (size_t off = 0; off < n; off += 80)
        for (int i = 0; i < 8; i++)
            amd_detector_process_s16(d[i], (i % 2 ? sm : sh) + off, n - off < 80 ? n - off : 80);
    for (int i = 0; i < 8; i++) {
        amd_detector_finish(d[i]);
        amd_result r;
        amd_detector_result(d[i], &r);
        du_assert_answer(r, i % 2 ? AMD_ANSWERED_MACHINE_START : AMD_ANSWERED_HUMAN);
        amd_detector_destroy(d[i]);
    }
    free(sh);
    free(sm);
    du_free(&h);
    du_free(&m);
}
END_TEST

/* Logging goes to the callback, at or below the configured level only. */
static int n_logs, n_debug;
static void log_sink(void *u, amd_log_level lvl, const char *msg)
{
    (void)u;
    ck_assert(msg && msg[0]);
    n_logs++;
    n_debug += lvl == AMD_LOG_DEBUG;
}

START_TEST(test_logging)
{
    du_call c = make_call(0, 8000);
    amd_config cfg = du_cfg(AMD_MODE_ENABLE, AMD_ENGINE_TIMING);
    cfg.log_fn = log_sink;
    cfg.log_level = AMD_LOG_INFO;
    amd_result r;
    n_logs = n_debug = 0;
    du_run(&cfg, &c, 0, &r, NULL);
    ck_assert_int_ge(n_logs, 1); /* the decision is logged at info */
    ck_assert_int_eq(n_debug, 0);
    cfg.log_level = AMD_LOG_ERROR;
    n_logs = 0;
    du_run(&cfg, &c, 0, &r, NULL);
    ck_assert_int_eq(n_logs, 0);
    du_free(&c);
}
END_TEST

/* Issue: traces and the VAD score must cover the whole call. With a frame callback the analysis
 * runs on after the decision to the end of the audio, and the decision is the same as without. */
static void run_plain(const amd_config *cfg_in, const du_call *c, size_t chunk, amd_result *res)
{
    amd_config cfg = *cfg_in;
    cfg.sample_rate = c->rate;
    amd_detector *d = NULL;
    char err[256];
    ck_assert_int_eq(amd_detector_create(&cfg, &d, err, sizeof err), 0);
    int16_t *s = malloc(c->n * sizeof(int16_t));
    ck_assert_ptr_nonnull(s);
    tu_to_s16(c->x, s, c->n);
    for (size_t off = 0; off < c->n; off += chunk)
        ck_assert_int_ge(amd_detector_process_s16(d, s + off, c->n - off < chunk ? c->n - off : chunk), 0);
    ck_assert_int_eq(amd_detector_finish(d), 1);
    ck_assert_int_eq(amd_detector_result(d, res), 1);
    amd_detector_destroy(d);
    free(s);
}

START_TEST(test_frames_after_decision)
{
    du_call c = du_new(8000, 12000, 30.0, 11);
    du_speech(&c, 500, 600, 140, 3000.0, 12);      /* a "hello" -> human at ~2.3 s */
    du_speech(&c, 6000, 3000, 140, 3000.0, 13);    /* more talk long after the decision */
    amd_mode modes[2] = {AMD_MODE_ENABLE, AMD_MODE_DETECT_MESSAGE_END};
    for (int m = 0; m < 2; m++) {
        amd_config cfg = du_cfg(modes[m], AMD_ENGINE_TIMING);
        amd_result traced, plain;
        du_events ev;
        du_run(&cfg, &c, 160, &traced, &ev);
        run_plain(&cfg, &c, 160, &plain);
        ck_assert_int_eq(traced.answered_by, AMD_ANSWERED_HUMAN);
        ck_assert_int_eq(traced.answered_by, plain.answered_by);
        ck_assert_int_eq(traced.cause, plain.cause);
        ck_assert_int_eq(traced.decision_ms, plain.decision_ms);
        ck_assert_int_eq(traced.speech_onset_ms, plain.speech_onset_ms);
        ck_assert(traced.confidence == plain.confidence);
        ck_assert_int_lt(traced.decision_ms, 3000);
        ck_assert_int_eq(ev.n_decision, 1);
        /* every 10 ms of the 12 s file, in order, to its end */
        ck_assert_int_eq(ev.n_frames, 1200);
        ck_assert(ev.frames_monotonic);
        ck_assert_int_eq(ev.last_frame_ms, 12000);
    }
    du_free(&c);
}
END_TEST

Suite *detector_suite(void)
{
    Suite *s = suite_create("detector");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_chunk_invariance);
    tcase_add_test(tc, test_frames_after_decision);
    tcase_add_test(tc, test_formats);
    tcase_add_test(tc, test_determinism_reset_callbacks);
    tcase_add_test(tc, test_invalid_arguments);
    tcase_add_test(tc, test_memory_budget);
    tcase_add_test(tc, test_time_and_after_decision);
    tcase_add_test(tc, test_independent_detectors);
    tcase_add_test(tc, test_result_struct_size);
    tcase_add_test(tc, test_logging);
    suite_add_tcase(s, tc);
    return s;
}
