/* SPDX-License-Identifier: MIT */
/* Writing `amd bench` reports (Markdown for people, JSON for programs). */
#ifndef AMD_CLI_BENCH_REPORT_H
#define AMD_CLI_BENCH_REPORT_H

#include <stdio.h>

#include "metrics.h"

typedef struct cli_scenario_row {
    const char *name;
    int files;
    int has_enable, has_de;
    cli_mode_metrics enable, de;
} cli_scenario_row;

typedef struct cli_bench_report {
    const char *manifest, *split, *engine, *source; /* source: "amd <version>" or predictions file */
    int files, failed;
    int has_enable, has_de;
    cli_mode_metrics enable, de;
    cli_scenario_row *scenarios;
    size_t nscenarios;
    int has_vad;
    cli_vad_counts vad;
    double seconds;       /* wall time of the run, < 0 if not applicable */
    double audio_seconds; /* audio processed */
} cli_bench_report;

void cli_report_md(FILE *f, const cli_bench_report *r);
void cli_report_json(FILE *f, const cli_bench_report *r);

/* One point of a parameter sweep. */
typedef struct cli_sweep_point {
    double value;
    int has_enable, has_de;
    cli_mode_metrics enable, de;
} cli_sweep_point;

void cli_sweep_md(FILE *f, const char *param, const cli_sweep_point *p, size_t n);
void cli_sweep_json(FILE *f, const char *param, const cli_sweep_point *p, size_t n);
/* Trade-off plot: human-as-machine vs machine-as-human rate, accuracy and latency vs value. */
int cli_sweep_svg(const char *path, const char *param, const cli_sweep_point *p, size_t n);

#endif
