/* SPDX-License-Identifier: MIT */
/* `amd bench` VAD scoring: the detector's speech flag of every 10 ms frame, recorded through
 * the frame hook, against the manifest's true speech segments (segments/<file>.csv). */
#ifndef AMD_CLI_BENCH_VAD_H
#define AMD_CLI_BENCH_VAD_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"
#include "manifest.h"
#include "metrics.h"

/* The frames of one run; zero-initialise, free t and s after use. */
typedef struct cli_vad_tap {
    int64_t *t;       /* frame end times (ms) */
    unsigned char *s; /* VAD speech flag */
    size_t n, cap;
    int oom;          /* a frame could not be kept: the tap is incomplete */
} cli_vad_tap;

/* A frame hook (amd_frame_fn) with the tap as its user pointer. */
void cli_vad_tap_frame(void *user, const amd_frame_info *fi);
/* Adds the tap's frames to @p c; sorts @p seg by start. */
void cli_vad_tap_score(const cli_vad_tap *v, cli_segment *seg, long nseg, cli_vad_counts *c);

#endif
