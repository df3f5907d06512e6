/* SPDX-License-Identifier: MIT */
/* `amd bench --predictions FILE`: another engine's answers to score instead of running the
 * detector. */
#ifndef AMD_CLI_BENCH_PREDICTIONS_H
#define AMD_CLI_BENCH_PREDICTIONS_H

#include <stddef.h>

#include "bench_score.h"
#include "manifest.h"

/* Reads @p path, a CSV with a header row naming file, answered_by (a Twilio AnsweredBy value)
 * and duration_ms (or machine_detection_duration_ms), into @p out: one answer per manifest
 * row, matched by path, else by file name; rows without an answer stay AMD_ANSWERED_NONE.
 * Answers for files not in the manifest, and manifest files without one, are counted on
 * stderr. *any_end: 1 when some answer is machine_end_* (DetectMessageEnd). 0, or -1 with a
 * message in @p err naming the file and line. */
int cli_predictions_load(const char *path, const cli_manifest *man, cli_answer *out, int *any_end, char *err,
                         size_t errlen);

#endif
