/* SPDX-License-Identifier: MIT */
/*
 * Adaptive noise floor by minimum statistics (R. Martin, "Noise power
 * spectral density estimation based on optimal smoothing and minimum
 * statistics", IEEE TSAP 2001, simplified). Internal.
 *
 * How it works: each channel (the hop energy and AMDI_NF_BANDS spectral
 * bands) is smoothed over ~50 ms, and the noise floor is the minimum of that
 * smoothed power over the last ~1.6 s (8 sub-windows of 200 ms), times a
 * bias factor that corrects the minimum of a fluctuating power back to its
 * mean. Speech has pauses (between words, in plosive closures) far more often
 * than every 1.6 s, so the floor stays at the noise under running speech, and
 * it follows a rise in line noise within ~1.6 s and a fall at once. Until
 * the first window fills, the floor is the minimum seen so far.
 */
#ifndef AMDI_NOISE_FLOOR_H
#define AMDI_NOISE_FLOOR_H

#include <stdint.h>

#include "frame.h"

#define AMDI_NF_BANDS 8           /* spectral bands, see amdi_nf_band_edges */
#define AMDI_NF_CH (AMDI_NF_BANDS + 1) /* channel 0 = hop energy */
#define AMDI_NF_SUB 8             /* sub-windows */
#define AMDI_NF_SUBLEN 20         /* frames per sub-window (200 ms) */

/* Band edges in FFT bins (31.25 Hz): 125-250-500-750-1000-1500-2000-2750-3500 Hz. */
extern const int amdi_nf_band_edges[AMDI_NF_BANDS + 1];

typedef struct amdi_noise_floor {
    float smooth[AMDI_NF_CH];                 /* smoothed power */
    float cur_min[AMDI_NF_CH];                /* min in the running sub-window */
    float sub_min[AMDI_NF_SUB][AMDI_NF_CH];   /* minima of the last completed sub-windows */
    float sub_min_all[AMDI_NF_CH];            /* min over sub_min (changes only when a sub-window closes) */
    float floor[AMDI_NF_CH];                  /* current estimate (bias-corrected) */
    float bg_db;                              /* background level (quantile tracker), dBFS-ish (10log10 of s16 power) */
    int sub_pos, sub_idx, n_sub, started;
    int64_t n_frames;
} amdi_noise_floor;

void amdi_noise_floor_init(amdi_noise_floor *nf);
/*
 * Besides the minimum, a background level bg_db tracks a low quantile of the
 * smoothed hop level: up by AMDI_BG_UP dB per frame when above it, down by up
 * to AMDI_BG_DOWN when below (equilibrium near the 25th percentile). Unlike
 * the minimum it rises to the level of a continuous background (babble, music
 * on hold) heard from the start, so a foreground voice is judged against it.
 */
#define AMDI_BG_UP 0.04f
#define AMDI_BG_DOWN 0.12f

/* Update with this frame's channel powers x[AMDI_NF_CH]; the floors are in nf->floor. */
void amdi_noise_floor_update(amdi_noise_floor *nf, const float *x);
/* Band powers of a frame: out[0] = hop energy, out[1..] = band sums of the power spectrum. */
void amdi_noise_floor_channels(const amdi_frame *f, float *out);

#endif /* AMDI_NOISE_FLOOR_H */
