/* SPDX-License-Identifier: MIT */
/* `amd bench` scoring: answers (the detector's, or another engine's) against the manifest. */
#ifndef AMD_CLI_BENCH_SCORE_H
#define AMD_CLI_BENCH_SCORE_H

#include <stdint.h>

#include "amd/detector.h"
#include "bench_report.h"
#include "manifest.h"

/* One answer per manifest row: AMD_ANSWERED_NONE (ms -1) when there is none. */
typedef struct cli_answer {
    amd_answered_by ab;
    int64_t ms; /* decision time */
} cli_answer;

/* The whole report for one set of answers: @p en / @p de have one answer per manifest row,
 * NULL when that mode is not scored. 0, or -1 when out of memory. Fills r->enable / r->de,
 * has_enable / has_de and the scenarios (r->scenarios: the caller frees). */
int cli_bench_build_report(const cli_manifest *man, const cli_answer *en, const cli_answer *de, cli_bench_report *r);

#endif
