/* SPDX-License-Identifier: MIT */
/*
 * Framing and spectral analysis. Internal.
 *
 * Keeps the newest AMDI_WIN samples, and per hop builds an amdi_frame: hop
 * energy / level / mean |x|, the Hann-windowed power spectrum from a 256-point
 * FFTW r2c transform, and on request the normalised autocorrelation computed
 * as the inverse (c2r) FFT of that power spectrum (Wiener-Khinchin), which is
 * several times cheaper than a time-domain autocorrelation over the pitch
 * lags.
 *
 * FFTW plans are made once in amdi_analysis_init() with FFTW_ESTIMATE under
 * one process-wide mutex (FFTW's planner is not thread-safe); executing a
 * plan is thread-safe, and nothing is planned or allocated per frame. Buffers
 * live in caller memory (amdi_analysis_buf_size(), SIMD-aligned).
 */
#ifndef AMDI_ANALYSIS_H
#define AMDI_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* Pitch lag range for the autocorrelation (samples at 8 kHz): 400 Hz .. 80 Hz. */
#define AMDI_LAG_MIN 20
#define AMDI_LAG_MAX 100

/*
 * Per-detector state is only what must persist between hops (the sample ring
 * and this hop's power spectrum): the FFT work arrays live on the stack of the
 * hop and the window / lag tables are shared read-only (analysis_tables.h), so
 * many live detectors (10,000 in bench/RESULTS.md) touch less memory per hop.
 * The plans are executed on those arrays with FFTW's new-array interface (same
 * 64-byte alignment as the planning arrays, out of place).
 */
typedef struct amdi_analysis {
    void *plan_fwd, *plan_inv; /* fftwf_plan */
    float *ring;               /* AMDI_WIN newest samples, oldest first */
    float *power;              /* AMDI_BINS */
    int64_t index;             /* next frame index */
    amdi_frame frame;          /* the frame being built */
} amdi_analysis;

/* Bytes of buffer memory amdi_analysis_init needs (64-byte aligned base). */
size_t amdi_analysis_buf_size(void);
/* Set up using buf (amdi_analysis_buf_size() bytes, 64-byte aligned). 0 or AMD_ENOMEM. */
int amdi_analysis_init(amdi_analysis *a, void *buf);
/* Destroy the plans (under the same lock). */
void amdi_analysis_free(amdi_analysis *a);
void amdi_analysis_reset(amdi_analysis *a);
/* Push one hop (AMDI_HOP samples) and compute the frame. The result stays valid until the next call. */
const amdi_frame *amdi_analysis_hop(amdi_analysis *a, const float *hop);
/*
 * Normalised autocorrelation peak of the current frame over the pitch lags:
 * returns max_k r(k) / (r(0) w(k)) in [0,1] (w: the window's own
 * autocorrelation) and the lag in *lag (may be NULL). Costs one c2r FFT.
 */
float amdi_analysis_harmonicity(amdi_analysis *a, int *lag);

#endif /* AMDI_ANALYSIS_H */
