/* SPDX-License-Identifier: MIT */
/* The bench metrics (cli/metrics.c) on constructed answers: the definitions a user
 * compares engines by — nearest-rank percentiles, which files each rate counts, the beep
 * window edges — and the shared option parser's flag spellings and units. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "metrics.h"
#include "options.h"

Suite *cli_metrics_suite(void);

START_TEST(nearest_rank_percentiles)
{
    double v[] = {50, 10, 40, 20, 30};
    ck_assert_double_eq(cli_percentile(v, 5, 50), 30); /* rank ceil(2.5) = 3 */
    ck_assert_double_eq(cli_percentile(v, 5, 90), 50); /* rank ceil(4.5) = 5 */
    ck_assert_double_eq(cli_percentile(v, 5, 20), 10); /* rank 1: exact ranks are not rounded up */
    double w[] = {7};
    ck_assert_double_eq(cli_percentile(w, 1, 90), 7);
    ck_assert(isnan(cli_percentile(w, 0, 50)));
    double ten[10];
    for (int i = 0; i < 10; i++)
        ten[i] = 100 * (10 - i);
    ck_assert_double_eq(cli_percentile(ten, 10, 90), 900); /* rank 9 of 100..1000 */
}
END_TEST

static cli_eval_item item(amd_answered_by truth, amd_answered_by pred, int64_t ms)
{
    cli_eval_item it = {truth, AMD_ANSWERED_NONE, pred, ms, -1, -1};
    return it;
}

START_TEST(rates_use_the_enable_truth)
{
    /* DetectMessageEnd items without answered_by_enable: human stays human, machine_end_*
     * counts as machine_start for the two error rates. */
    cli_eval_item it[] = {
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_MACHINE_END_SILENCE, 3000),
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_HUMAN, 1500),
        item(AMD_ANSWERED_MACHINE_END_BEEP, AMD_ANSWERED_HUMAN, 1800),
        item(AMD_ANSWERED_MACHINE_END_OTHER, AMD_ANSWERED_MACHINE_END_OTHER, 30000),
        item(AMD_ANSWERED_FAX, AMD_ANSWERED_UNKNOWN, 5000),
        item(AMD_ANSWERED_UNKNOWN, AMD_ANSWERED_NONE, -1), /* failed file */
    };
    cli_mode_metrics m;
    ck_assert_int_eq(cli_metrics_compute(it, 6, 1, &m), 0);
    ck_assert_int_eq(m.scored, 6);
    ck_assert_int_eq(m.correct, 2);
    ck_assert_int_eq(m.missing, 1);
    ck_assert_int_eq(m.human_n, 2);
    ck_assert_int_eq(m.human_as_machine, 1);
    ck_assert_int_eq(m.machine_n, 2);
    ck_assert_int_eq(m.machine_as_human, 1);
    ck_assert_int_eq(m.confusion[AMD_ANSWERED_UNKNOWN][AMD_ANSWERED_NONE], 1);
    ck_assert_int_eq(m.latency_all.n, 5); /* the failed file has no latency */
    ck_assert_double_eq(m.recall[AMD_ANSWERED_HUMAN], 0.5);
    ck_assert_double_eq(m.precision[AMD_ANSWERED_HUMAN], 0.5);
    ck_assert(isnan(m.precision[AMD_ANSWERED_FAX])); /* never answered fax */
    ck_assert_double_eq(m.recall[AMD_ANSWERED_FAX], 0);
    /* unscored files (no truth for the mode) are not in accuracy */
    cli_eval_item none = item(AMD_ANSWERED_NONE, AMD_ANSWERED_HUMAN, 100);
    ck_assert_int_eq(cli_metrics_compute(&none, 1, 0, &m), 0);
    ck_assert_int_eq(m.scored, 0);
    ck_assert(isnan(cli_metrics_accuracy(&m)));
}
END_TEST

START_TEST(beep_window_edges)
{
    /* errors -1, 0, 500, 501 ms around a beep ending at 4000 ms */
    int64_t dec[] = {3999, 4000, 4500, 4501};
    cli_eval_item it[4];
    for (int i = 0; i < 4; i++) {
        it[i] = item(AMD_ANSWERED_MACHINE_END_BEEP, AMD_ANSWERED_MACHINE_END_BEEP, dec[i]);
        it[i].beep_end_ms = 4000;
    }
    cli_mode_metrics m;
    ck_assert_int_eq(cli_metrics_compute(it, 4, 1, &m), 0);
    ck_assert_int_eq(m.beep_n, 4);
    ck_assert_int_eq(m.beep_early, 1);
    ck_assert_int_eq(m.beep_on_time, 2); /* [0, +500] inclusive */
    ck_assert_double_eq(m.beep_err.p50, 0);
    ck_assert_double_eq(m.beep_err.p90, 501);
    /* Enable mode reports no beep alignment */
    ck_assert_int_eq(cli_metrics_compute(it, 4, 0, &m), 0);
    ck_assert_int_eq(m.beep_n, 0);
}
END_TEST

/* The hand-scored fixture tests/integration/data/bench_small (manifest.csv with
 * pred_enable.csv / pred_detect_end.csv), its human and greeting-ending rows. */
START_TEST(in_time_human_and_early_end)
{
    cli_eval_item en[] = {
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_HUMAN, 1500),         /* h1, greeting end 700 */
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_MACHINE_START, 2600), /* h2, 600 */
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_HUMAN, 2000),         /* h3, 600 */
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_HUMAN, 900),          /* no greeting_end_ms: not counted */
    };
    int64_t ge[] = {700, 600, 600, -1};
    for (int i = 0; i < 4; i++)
        en[i].greeting_end_ms = ge[i];
    cli_mode_metrics m;
    ck_assert_int_eq(cli_metrics_compute(en, 4, 0, &m), 0);
    ck_assert_int_eq(m.intime_n, 3);
    ck_assert_int_eq(m.intime_human, 2);
    ck_assert_int_eq(m.human_after_end.n, 2);
    ck_assert_double_eq(m.human_after_end.p50, 800);
    ck_assert_double_eq(m.human_after_end.p95, 1400);
    ck_assert_int_eq(m.early_end_n, 0); /* DetectMessageEnd only */

    /* the window edge: exactly greeting end + 1500 is in time, one ms more is not */
    en[0].decision_ms = 700 + CLI_IN_TIME_MS;
    en[2].decision_ms = 600 + CLI_IN_TIME_MS + 1;
    ck_assert_int_eq(cli_metrics_compute(en, 4, 0, &m), 0);
    ck_assert_int_eq(m.intime_human, 1);

    cli_eval_item de[] = {
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_HUMAN, 1500),                           /* h1 */
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_HUMAN, 2200),                           /* h2: +1600 */
        item(AMD_ANSWERED_HUMAN, AMD_ANSWERED_MACHINE_END_SILENCE, 7000),             /* h3 */
        item(AMD_ANSWERED_MACHINE_END_BEEP, AMD_ANSWERED_MACHINE_END_BEEP, 5700),     /* m1, 5000 */
        item(AMD_ANSWERED_MACHINE_END_BEEP, AMD_ANSWERED_MACHINE_END_BEEP, 4000),     /* m2, 4000: edge */
        item(AMD_ANSWERED_MACHINE_END_SILENCE, AMD_ANSWERED_MACHINE_END_SILENCE, 7300), /* m3, 7400 */
        item(AMD_ANSWERED_MACHINE_END_BEEP, AMD_ANSWERED_MACHINE_END_SILENCE, 4500),  /* m4, 3000 */
        item(AMD_ANSWERED_MACHINE_END_OTHER, AMD_ANSWERED_MACHINE_END_OTHER, 30000),  /* m5: not counted */
    };
    int64_t dge[] = {700, 600, 600, 5000, 4000, 7400, 3000, 100};
    for (int i = 0; i < 8; i++)
        de[i].greeting_end_ms = dge[i];
    ck_assert_int_eq(cli_metrics_compute(de, 8, 1, &m), 0);
    ck_assert_int_eq(m.intime_n, 3);
    ck_assert_int_eq(m.intime_human, 1);
    ck_assert_double_eq(m.human_after_end.p50, 800);
    ck_assert_double_eq(m.human_after_end.p95, 1600);
    ck_assert_int_eq(m.early_end_n, 4);
    ck_assert_int_eq(m.early_end, 1);
    ck_assert_double_eq(m.silence_err.p50, -100);
}
END_TEST

START_TEST(vad_scores)
{
    cli_vad_counts c = {.tp = 80, .fp = 20, .fn = 20, .tn = 880, .files = 1};
    double p, r, f1;
    cli_vad_scores(&c, &p, &r, &f1);
    ck_assert_double_eq_tol(p, 0.8, 1e-12);
    ck_assert_double_eq_tol(r, 0.8, 1e-12);
    ck_assert_double_eq_tol(f1, 0.8, 1e-12);
    cli_vad_counts z = {.tn = 100};
    cli_vad_scores(&z, &p, &r, &f1);
    ck_assert(isnan(p) && isnan(r) && isnan(f1));
}
END_TEST

START_TEST(shared_flags_and_units)
{
    cli_common c;
    cli_common_init(&c);
    char *argv[] = {"x", "--timeout", "12", "--speech-threshold=3000", "--engine", "Lumenvox",
                    "--machine-detection", "detectmessageend", "-j3", "--no-fax", "--raw", "alaw",
                    "--rate", "16000", "--channel=2", "file.wav"};
    int argc = (int)(sizeof argv / sizeof argv[0]);
    char err[300];
    int i;
    for (i = 1; i < argc - 1; i++)
        ck_assert_msg(cli_common_parse(&c, argc, argv, &i, err, sizeof err) == 1, "%s: %s", argv[i], err);
    ck_assert_int_eq(cli_common_parse(&c, argc, argv, &i, err, sizeof err), 0); /* a file */
    ck_assert_int_eq(c.cfg.timeout_ms, 12000); /* Twilio gives the timeout in seconds */
    ck_assert_int_eq(c.cfg.speech_threshold_ms, 3000);
    ck_assert_int_eq(c.cfg.engine, AMD_ENGINE_WORDS);
    ck_assert_int_eq(c.cfg.mode, AMD_MODE_DETECT_MESSAGE_END);
    ck_assert_int_eq(c.jobs, 3);
    ck_assert_int_eq(c.cfg.detect_fax, 0);
    ck_assert_int_eq(c.input.raw, AMDI_RAW_ALAW);
    ck_assert_int_eq(c.input.raw_rate, 16000);
    ck_assert_int_eq(c.input.channel, 2);
    ck_assert_int_eq(cli_common_finish(&c, err, sizeof err), 0);
    cli_common_free(&c);

    /* out of range: the library's message names the field */
    cli_common_init(&c);
    char *bad[] = {"x", "--speech-end-threshold", "200"};
    i = 1;
    ck_assert_int_eq(cli_common_parse(&c, 3, bad, &i, err, sizeof err), 1);
    ck_assert_int_eq(cli_common_finish(&c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "speech_end_threshold"));
    cli_common_free(&c);
    /* not numbers, missing values */
    cli_common_init(&c);
    char *nan_arg[] = {"x", "--timeout", "nan"};
    i = 1;
    ck_assert_int_eq(cli_common_parse(&c, 3, nan_arg, &i, err, sizeof err), -1);
    char *frac[] = {"x", "--max-num-of-words", "2.5"};
    i = 1;
    ck_assert_int_eq(cli_common_parse(&c, 3, frac, &i, err, sizeof err), -1);
    char *novalue[] = {"x", "--words-silence"};
    i = 1;
    ck_assert_int_eq(cli_common_parse(&c, 2, novalue, &i, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    ck_assert(cli_param_known("speech-threshold") && !cli_param_known("colour"));
    amd_config cfg;
    amd_config_init(&cfg);
    ck_assert_int_eq(cli_param_set(&cfg, "timeout", 7), 0);
    ck_assert_int_eq(cfg.timeout_ms, 7000);
    cli_common_free(&c);
}
END_TEST

Suite *cli_metrics_suite(void)
{
    Suite *s = suite_create("cli_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, nearest_rank_percentiles);
    tcase_add_test(tc, rates_use_the_enable_truth);
    tcase_add_test(tc, beep_window_edges);
    tcase_add_test(tc, in_time_human_and_early_end);
    tcase_add_test(tc, vad_scores);
    tcase_add_test(tc, shared_flags_and_units);
    suite_add_tcase(s, tc);
    return s;
}
