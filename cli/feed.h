/* SPDX-License-Identifier: MIT */
/* Running one audio file through a detector: the one place where classify, trace and
 * bench read files and feed libamd, so all three see exactly the same decisions. */
#ifndef AMD_CLI_FEED_H
#define AMD_CLI_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "audio_file.h"
#include "amd/detector.h"

/* Optional taps into the run. */
typedef struct cli_feed_hooks {
    amd_frame_fn frame_fn; /* per 10 ms analysis frame (amd_detector_set_frame_callback) */
    void *frame_user;
    /* every block of mono samples read, at the file's rate (for waveform envelopes) */
    void (*samples_fn)(void *user, const float *x, size_t n, int sample_rate);
    void *samples_user;
} cli_feed_hooks;

typedef struct cli_outcome {
    int ok;                 /* 1: classified; 0: failed, see error */
    char error[256];        /* why it failed */
    amd_result result;      /* valid when ok */
    int sample_rate;        /* of the file */
    int channels;
    int64_t duration_ms;    /* audio length actually read */
    char format[48];        /* e.g. "WAV U-Law", "raw ulaw" */
} cli_outcome;

/*
 * Classify @p path with @p cfg (its sample_rate is replaced by the file's). Reads the
 * whole file, so corrupt data anywhere in it is reported; calls amd_detector_finish at
 * the end of the audio. Never aborts on bad input: failures land in out->error.
 */
void cli_feed_file(const char *path, const amdi_audio_open_opts *input, const amd_config *cfg,
                   const cli_feed_hooks *hooks, cli_outcome *out);

#endif
