/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Streaming conversion of mono float audio from any rate to the 8 kHz of a call, over the
 * SpeexDSP resampler. Used for decoded <Play> files (decode.h) and synthesized speech (tts.h).
 * The resampler's leading delay is skipped (speex_resampler_skip_zeros) and amdi_resampler_flush
 * pushes out the tail, so input and output line up sample for sample in time.
 * Threading: one thread per resampler. */
#ifndef AMDI_MEDIA_RESAMPLE_H
#define AMDI_MEDIA_RESAMPLE_H

#include <stddef.h>

typedef struct amdi_resampler amdi_resampler;

/* SpeexDSP quality 0..10; 5 is its "desktop" default, ample for telephone audio. */
#define AMDI_RESAMPLE_QUALITY 5

/* From @p in_rate Hz (1000..384000) to AMDI_MEDIA_RATE. 0 and *out, AMD_EINVAL or AMD_ENOMEM. */
int amdi_resampler_create(int in_rate, amdi_resampler **out);
void amdi_resampler_destroy(amdi_resampler *r);
/* Output samples @p n input samples can produce at most (size @p out for this). */
size_t amdi_resampler_out_max(const amdi_resampler *r, size_t n);
/* Resample @p n samples into @p out (room for amdi_resampler_out_max(n)); returns the count. */
size_t amdi_resampler_process(amdi_resampler *r, const float *in, size_t n, float *out);
/* End of input: write the samples still inside the filter into @p out (room for
 * amdi_resampler_flush_max); returns the count. */
size_t amdi_resampler_flush(amdi_resampler *r, float *out);
size_t amdi_resampler_flush_max(const amdi_resampler *r);

#endif
