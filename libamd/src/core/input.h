/* SPDX-License-Identifier: MIT */
/*
 * Input adaptation: s16 / float / µ-law / A-law at 8..48 kHz in
 * chunks of any size -> 8 kHz float on the s16 scale, DC removed, cut into
 * 10 ms hops. Internal.
 *
 * How it works: samples are converted in small stack blocks, resampled with
 * the SpeexDSP resampler when the input rate is not AMDI_RATE (its leading
 * filter delay skipped, so times stay aligned to the input), high-passed by a
 * one-pole DC blocker and collected into a hop buffer; every completed hop is
 * handed to a callback. Every step is a sequential filter, so the hops (and
 * everything after them) do not depend on how the input was chunked.
 */
#ifndef AMDI_INPUT_H
#define AMDI_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

typedef enum amdi_sample_fmt { AMDI_FMT_S16, AMDI_FMT_FLOAT, AMDI_FMT_ULAW, AMDI_FMT_ALAW } amdi_sample_fmt;

/* Called once per completed hop (AMDI_HOP samples). Return nonzero to stop consuming this chunk. */
typedef int (*amdi_hop_fn)(void *user, const float *hop);

typedef struct amdi_input {
    struct SpeexResamplerState_ *rs; /* NULL when the input rate is AMDI_RATE */
    int rate;
    int64_t samples_in; /* input samples consumed since answer */
    float dc_x1, dc_y1; /* DC blocker state */
    int fill;           /* samples in hop[] */
    float hop[AMDI_HOP];
} amdi_input;

/* Set up for an input rate of 8000..48000 Hz. 0, AMD_EINVAL or AMD_ENOMEM (resampler). */
int amdi_input_init(amdi_input *in, int rate);
/* Free the resampler. Safe on a zeroed or already-freed struct. */
void amdi_input_free(amdi_input *in);
/* Forget all audio (state right after init). */
void amdi_input_reset(amdi_input *in);
/* Nonzero if any float sample is NaN or infinite. */
int amdi_input_has_nonfinite(const float *x, size_t n);
/*
 * Consume n samples of fmt (data points to int16_t, float, or uint8_t).
 * Returns 1 if the callback asked to stop (remaining samples are dropped), else 0.
 */
int amdi_input_push(amdi_input *in, amdi_sample_fmt fmt, const void *data, size_t n, amdi_hop_fn fn,
                    void *user);
/* Pad a partial hop with zeros and emit it (end of audio). Returns the callback's value or 0. */
int amdi_input_flush(amdi_input *in, amdi_hop_fn fn, void *user);
/* Bytes the SpeexDSP resampler allocated (an estimate; 0 at 8 kHz). */
size_t amdi_input_extra_memory(const amdi_input *in);

#endif /* AMDI_INPUT_H */
