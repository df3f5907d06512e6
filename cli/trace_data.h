/* SPDX-License-Identifier: MIT */
/* What `amd trace` records about one call: every 10 ms analysis frame from the
 * detector's frame callback plus a min/max waveform envelope per 10 ms, and the
 * summaries drawn from them (speech segments, tone spans, state changes). */
#ifndef AMD_CLI_TRACE_DATA_H
#define AMD_CLI_TRACE_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"
#include "feed.h"

typedef struct cli_trace_frame {
    int64_t time_ms;
    float level_db, noise_floor_db, speech_prob, tone_hz;
    int speech;
    const char *tone_kind; /* static storage in the library, or NULL */
    const char *state;     /* static storage in the library */
} cli_trace_frame;

typedef struct cli_trace {
    cli_trace_frame *frames;
    size_t nframes, cap_frames;
    float *env_min, *env_max;   /* per 10 ms of input */
    size_t nenv, cap_env;
    size_t bucket_fill;         /* samples in the current envelope bucket */
    int oom;
} cli_trace;

void cli_trace_init(cli_trace *t);
void cli_trace_free(cli_trace *t);
/* Hooks that fill @p t during cli_feed_file. */
void cli_trace_hooks(cli_trace *t, cli_feed_hooks *h);

/* Tone-tracker spans shorter than this are flicker on voiced speech, not tones worth
 * naming (the shortest beep, beep_min_ms, lasts 80 ms by default). */
#define CLI_TRACE_TONE_MIN_MS 60

/* A span [start_ms, end_ms) with a label (e.g. a speech segment, a beep). */
typedef struct cli_span {
    int64_t start_ms, end_ms;
    const char *kind;
    float hz;
} cli_span;

/* Runs of VAD speech frames. Returns count; *out malloc'd. */
size_t cli_trace_speech_spans(const cli_trace *t, cli_span **out);
/* Runs of frames with a tone_kind. */
size_t cli_trace_tone_spans(const cli_trace *t, cli_span **out);
/* Runs of equal state names (kind = state). */
size_t cli_trace_state_spans(const cli_trace *t, cli_span **out);

/* Write the picture (see trace_svg.c). 0 or -1. */
int cli_trace_svg(const char *path, const char *title, const cli_trace *t, const cli_outcome *r,
                  const amd_config *cfg);

#endif
