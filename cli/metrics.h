/* SPDX-License-Identifier: MIT */
/* The corpus metrics, with the definitions written beside each below, shared by every
 * report (`amd bench` on the detector, on --predictions from another engine, --sweep).
 *
 * Percentiles use the nearest-rank method: the p-th percentile of n sorted values is
 * the value at 1-based rank ceil(p/100 * n). */
#ifndef AMD_CLI_METRICS_H
#define AMD_CLI_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"

/* Classes are amd_answered_by values; index 0 (AMD_ANSWERED_NONE) holds files with no
 * answer (the file failed, or a predictions file did not list it). */
#define CLI_NCLASS 8

/* One file of one mode. */
typedef struct cli_eval_item {
    amd_answered_by truth;        /* this mode's expected value; NONE: not scored */
    amd_answered_by truth_enable; /* answered_by_enable (rate definitions); NONE if empty */
    amd_answered_by pred;         /* the answer; NONE if none */
    int64_t decision_ms;          /* machine_detection_duration_ms; -1 if none */
    int64_t beep_end_ms;          /* manifest; -1 if empty */
    int64_t greeting_end_ms;      /* manifest; -1 if empty */
} cli_eval_item;

typedef struct cli_pct {
    int n;
    double p50, p90, p95; /* NAN when n == 0 */
} cli_pct;

typedef struct cli_mode_metrics {
    int scored;                          /* files with an expected value */
    int correct;                         /* ... whose answer equals it */
    int missing;                         /* scored files with no answer */
    int confusion[CLI_NCLASS][CLI_NCLASS]; /* [truth][answer], scored files */
    double precision[CLI_NCLASS], recall[CLI_NCLASS]; /* NAN when undefined */
    int human_n, human_as_machine;       /* answered_by_enable = human; answered any machine_* */
    int machine_n, machine_as_human;     /* answered_by_enable = machine_start; answered human */
    cli_pct latency[CLI_NCLASS];         /* decision_ms by true class */
    cli_pct latency_all;
    /* In-time human rate: of humans (answered_by_enable) with greeting_end_ms, those answered
     * human within CLI_IN_TIME_MS of the end of their greeting; human_after_end is
     * decision_ms - greeting_end_ms over those answered human (p50 / p95 reported). */
    int intime_n, intime_human;
    cli_pct human_after_end;
    /* DetectMessageEnd only */
    int beep_n, beep_on_time, beep_early; /* files with beep_end_ms */
    cli_pct beep_err;                     /* decision_ms - beep_end_ms */
    cli_pct silence_err;                  /* machine_end_silence files: decision_ms - greeting_end_ms */
    int early_end_n, early_end;           /* truth machine_end_beep / _silence with greeting_end_ms;
                                           * answered machine_end_* before greeting_end_ms */
} cli_mode_metrics;

/* Beep alignment window: on time when 0 <= decision - beep_end <= 500 ms. */
#define CLI_BEEP_ON_TIME_MS 500
/* In-time human window: answered human by greeting_end_ms + 1500 ms (the 2 s
 * abandonment rule of the FTC Telemarketing Sales Rule and 47 CFR 64.1200(a)(7), less
 * ~0.5 s to bridge the call). */
#define CLI_IN_TIME_MS 1500

/*
 * Compute the metrics of one mode. @p detect_end enables beep alignment and silence end.
 * When an item's truth_enable is empty it is derived from its truth (human -> human,
 * machine_* -> machine_start) so the two error rates exist for DetectMessageEnd-only
 * manifests too. Returns 0 or -1 (out of memory).
 */
int cli_metrics_compute(const cli_eval_item *items, size_t n, int detect_end, cli_mode_metrics *out);

/* Nearest-rank percentile of @p v (sorted in place); NAN for n == 0. */
double cli_percentile(double *v, size_t n, double p);

/* Accuracy as a fraction, NAN when nothing was scored. */
double cli_metrics_accuracy(const cli_mode_metrics *m);
double cli_rate(int num, int den);

/* VAD frame counts at 10 ms against segments/ (a frame is speech when its midpoint lies in a segment). */
typedef struct cli_vad_counts {
    long long tp, fp, fn, tn;
    int files;
} cli_vad_counts;

/* Precision, recall and F1 (NAN when undefined). */
void cli_vad_scores(const cli_vad_counts *c, double *precision, double *recall, double *f1);

#endif
