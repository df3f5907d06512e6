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
#define AMDI_TA_HI_BIN 126 /* highest bin of the in-band total (3938 Hz); 124 bins = 4 x 31 */
#define AMDI_TA_P2_MIN 0.35f /* the second peak is searched only when the first holds this much */

typedef struct amdi_tone_peak {
    int bin;     /* peak bin, 0 = no peak */
    float hz;    /* interpolated frequency, Hz */
    float power; /* main-lobe power (sum of the 5 bins around the peak) */
} amdi_tone_peak;

typedef struct amdi_tone_analysis {
    const amdi_frame *f;
    float total;       /* power summed over bins AMDI_TA_LO_BIN..AMDI_TA_HI_BIN */
    amdi_tone_peak p1; /* strongest peak */
    amdi_tone_peak p2; /* strongest local maximum >= 4 bins from p1 (power excludes p1's bins);
                          bin 0 (none) unless p1 holds AMDI_TA_P2_MIN of the in-band power */
} amdi_tone_analysis;

/* Analyse one frame (f->power must hold AMDI_BINS values). */
void amdi_tone_analyse(amdi_tone_analysis *a, const amdi_frame *f);
/* Main-lobe power (5 bins) around the bin nearest hz; 0 outside the spectrum. */
float amdi_tone_power_at(const float *power, float hz);
/* Interpolated frequency of the peak at bin k (1 <= k <= AMDI_BINS-2). */
float amdi_tone_interp_hz(const float *power, int k);

/*
 * How far the 5 bins around peak p differ from the main lobe of one
 * Hann-windowed sinusoid at p->hz: sum |P - A W^2| / sum P with the best
 * amplitude A (W: Hann kernel |sin(pi d)| / (pi |x| |1 - x^2|) at offset x).
 * ~0 for a lone steady tone, ~0.1 at 10 dB SNR; two tones closer than the
 * lobe (ringback 440+480, 400+450), fast vibrato or AM widen it (>= 0.3).
 */
float amdi_tone_shape_error(const float *power, const amdi_tone_peak *p);

/*
 * Recent activity: the loudest hop energy in each 100 ms block of the last
 * 2.4 s, fed by a detector with the frames outside its tone candidates. Tells
 * a 1100 Hz voicemail beep right after a greeting from a fax calling tone
 * (which follows silence: the call's start or its own 3 s pause).
 */
#define AMDI_ACT_BLOCKS 24
typedef struct amdi_activity {
    float e[AMDI_ACT_BLOCKS];
    int64_t blk[AMDI_ACT_BLOCKS]; /* block number (frame index / 10) held by each slot, -1 empty */
} amdi_activity;

void amdi_activity_init(amdi_activity *a);
void amdi_activity_add(amdi_activity *a, int64_t frame_index, float energy);
/* Loudest hop energy recorded for frames from..to (inclusive, clipped to the kept history). */
float amdi_activity_max(const amdi_activity *a, int64_t from, int64_t to);

#endif /* AMDI_TONE_ANALYSIS_H */
