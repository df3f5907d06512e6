/* SPDX-License-Identifier: MIT */
/*
 * Spectral peak picking shared by the tone detectors (beep, fax, SIT). Internal.
 *
 * What it does
 *   Once per 10 ms frame, finds in the 256-point Hann power spectrum the
 *   strongest spectral peak and the strongest peak resolved from it (at least
 *   4 bins = 125 Hz away), with their interpolated frequencies and main-lobe
 *   powers, and the in-band total they are compared with ("purity"). The
 *   detectors then only look at a handful of numbers per frame, which keeps
 *   all tone detection well under a microsecond per hop.
 *
 * How it works
 *   A Hann window's main lobe is +-2 bins wide (31.25 Hz bins), so a steady
 *   sinusoid puts > 99 % of its windowed energy into the 5 bins around its
 *   peak bin: that sum is the tone's power. The in-band total spans bins
 *   3..126 (94..3938 Hz): below is DC / hum, above the telephone band edge.
 *   Frequency: for a (periodic) Hann window the magnitudes of the peak bin b
 *   and its larger neighbour c satisfy c/b = (1+d)/(2-d) for a tone d bins
 *   off the peak bin, so d = (2c-b)/(b+c) exactly for a lone sinusoid; with
 *   noise and the 15 Hz ANSam sidebands the error stays within ~1-2 Hz at
 *   10 dB SNR (see check_tones.c), where the parabolic fit is biased by up
 *   to ~0.06 bin (2 Hz) even without noise.
 */
#ifndef AMDI_TONE_ANALYSIS_H
#define AMDI_TONE_ANALYSIS_H

#include "frame.h"

#define AMDI_TA_LO_BIN 3   /* lowest bin of the in-band total (94 Hz) */
#define AMDI_TA_HI_BIN 126 /* highest bin of the in-band total (3938 Hz) */

typedef struct amdi_tone_peak {
    int bin;     /* peak bin, 0 = no peak */
    float hz;    /* interpolated frequency, Hz */
    float power; /* main-lobe power (sum of the 5 bins around the peak) */
} amdi_tone_peak;

typedef struct amdi_tone_analysis {
    const amdi_frame *f;
    float total;       /* power summed over bins AMDI_TA_LO_BIN..AMDI_TA_HI_BIN */
    amdi_tone_peak p1; /* strongest peak */
    amdi_tone_peak p2; /* strongest local maximum >= 4 bins from p1 (power excludes p1's bins) */
} amdi_tone_analysis;

/* Analyse one frame (f->power must hold AMDI_BINS values). */
void amdi_tone_analyse(amdi_tone_analysis *a, const amdi_frame *f);
/* Main-lobe power (5 bins) around the bin nearest hz; 0 outside the spectrum. */
float amdi_tone_power_at(const float *power, float hz);
/* Interpolated frequency of the peak at bin k (1 <= k <= AMDI_BINS-2). */
float amdi_tone_interp_hz(const float *power, int k);

#endif /* AMDI_TONE_ANALYSIS_H */
