/* SPDX-License-Identifier: MIT */
/* Minimum-statistics noise floor (see noise_floor.h). */
#include "noise_floor.h"

#include <float.h>
#include <math.h>
#include <string.h>

const int amdi_nf_band_edges[AMDI_NF_BANDS + 1] = {4, 8, 16, 24, 32, 48, 64, 88, 112};

/*
 * Smoothing of each channel before taking minima: alpha 0.8 per 10 ms is a
 * ~50 ms time constant, short enough to see inter-word pauses, long enough to
 * cut the frame-to-frame fluctuation of noise (which would bias the minimum low).
 */
#define NF_ALPHA 0.5f
/*
 * Bias: the minimum over 1.6 s of the smoothed power of stationary Gaussian
 * noise sits below its mean, by ~1.5 dB for the 80-sample hop energy and
 * 2-4 dB for the narrower bands (fewer degrees of freedom). Measured on white
 * and pink noise with this framing; the factors put the floor at the mean.
 */
/* 10^(0.05/10): at most +0.05 dB per 10 ms frame (5 dB/s). */
#define NF_RISE 1.0115795f

static const float nf_bias[AMDI_NF_CH] = {1.4f, 2.5f, 2.2f, 2.0f, 2.0f, 1.8f, 1.8f, 1.7f, 1.7f};

void amdi_noise_floor_init(amdi_noise_floor *nf)
{
    memset(nf, 0, sizeof *nf);
    for (int c = 0; c < AMDI_NF_CH; c++) {
        nf->cur_min[c] = FLT_MAX;
        for (int s = 0; s < AMDI_NF_SUB; s++)
            nf->sub_min[s][c] = FLT_MAX;
        nf->sub_min_all[c] = FLT_MAX;
    }
}

void amdi_noise_floor_channels(const amdi_frame *f, float *out)
{
    out[0] = f->energy;
    const float *p = f->power;
    for (int b = 0; b < AMDI_NF_BANDS; b++) {
        /* four partial sums: the bands are up to 24 bins, and one chain is latency-bound */
        float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
        for (int k = amdi_nf_band_edges[b]; k < amdi_nf_band_edges[b + 1]; k += 4) {
            s0 += p[k];
            s1 += p[k + 1];
            s2 += p[k + 2];
            s3 += p[k + 3];
        }
        out[b + 1] = (s0 + s1) + (s2 + s3);
    }
}

void amdi_noise_floor_update(amdi_noise_floor *nf, const float *x)
{
    if (!nf->started) {
        for (int c = 0; c < AMDI_NF_CH; c++)
            nf->smooth[c] = x[c];
        nf->started = 1;
        nf->bg_db = 10.f * log10f(x[0] + 1e-3f);
    }
    for (int c = 0; c < AMDI_NF_CH; c++) {
        float s = NF_ALPHA * nf->smooth[c] + (1.f - NF_ALPHA) * x[c];
        nf->smooth[c] = s;
        if (s < nf->cur_min[c])
            nf->cur_min[c] = s;
    }
    {
        float lx = 10.f * log10f(nf->smooth[0] + 1e-3f);
        if (lx > nf->bg_db)
            nf->bg_db += AMDI_BG_UP;
        else
            nf->bg_db -= (nf->bg_db - lx) < AMDI_BG_DOWN ? (nf->bg_db - lx) : AMDI_BG_DOWN;
    }
    if (++nf->sub_pos >= AMDI_NF_SUBLEN) {
        /* close the sub-window: it replaces the oldest */
        nf->sub_pos = 0;
        for (int c = 0; c < AMDI_NF_CH; c++) {
            nf->sub_min[nf->sub_idx][c] = nf->cur_min[c];
            nf->cur_min[c] = FLT_MAX;
        }
        nf->sub_idx = (nf->sub_idx + 1) % AMDI_NF_SUB;
        if (nf->n_sub < AMDI_NF_SUB)
            nf->n_sub++;
        /* the minimum over the completed sub-windows changes only here (every 200 ms) */
        for (int c = 0; c < AMDI_NF_CH; c++) {
            float m = FLT_MAX;
            for (int s = 0; s < AMDI_NF_SUB; s++)
                if (nf->sub_min[s][c] < m)
                    m = nf->sub_min[s][c];
            nf->sub_min_all[c] = m;
        }
    }
    for (int c = 0; c < AMDI_NF_CH; c++) {
        float m = nf->cur_min[c];
        if (nf->sub_min_all[c] < m)
            m = nf->sub_min_all[c];
        if (m == FLT_MAX)
            m = nf->smooth[c];
        m *= nf_bias[c];
        /* Rise at most NF_RISE per frame: a minimum over 1.6 s climbs into a long stretch of
         * speech without pauses (music-bed greetings, fast talkers); line noise seldom jumps. */
        if (nf->n_frames > AMDI_NF_SUBLEN && m > nf->floor[c] * NF_RISE)
            m = nf->floor[c] * NF_RISE;
        nf->floor[c] = m;
    }
    nf->n_frames++;
}
