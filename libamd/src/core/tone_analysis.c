/* SPDX-License-Identifier: MIT */
/* Spectral peak picking for the tone detectors; see tone_analysis.h. */
#include "tone_analysis.h"

#include <math.h>

float amdi_tone_interp_hz(const float *power, int k)
{
    float b = sqrtf(power[k]);
    float a = sqrtf(power[k - 1]);
    float c = sqrtf(power[k + 1]);
    float d = 0.f;
    /* Hann magnitude-ratio estimator (see header): exact for a lone sinusoid. */
    if (c >= a) {
        if (b + c > 0.f)
            d = (2.f * c - b) / (b + c);
    } else {
        d = -(2.f * a - b) / (b + a);
    }
    if (d > 1.f)
        d = 1.f;
    if (d < -1.f)
        d = -1.f;
    return ((float)k + d) * AMDI_BIN_HZ;
}

static float lobe(const float *p, int k)
{
    return p[k - 2] + p[k - 1] + p[k] + p[k + 1] + p[k + 2];
}

float amdi_tone_power_at(const float *power, float hz)
{
    int k = (int)lrintf(hz / AMDI_BIN_HZ);
    if (k < 2 || k > AMDI_BINS - 3)
        return 0.f;
    return lobe(power, k);
}

void amdi_tone_analyse(amdi_tone_analysis *a, const amdi_frame *f)
{
    const float *p = f->power;
    float total = 0.f, best = -1.f;
    int k1 = 0;
    for (int k = AMDI_TA_LO_BIN; k <= AMDI_TA_HI_BIN; k++) {
        total += p[k];
        if (p[k] > best) {
            best = p[k];
            k1 = k;
        }
    }
    a->f = f;
    a->total = total;
    a->p1.bin = 0;
    a->p1.hz = 0.f;
    a->p1.power = 0.f;
    a->p2 = a->p1;
    if (total <= 0.f)
        return;
    a->p1.bin = k1;
    a->p1.hz = amdi_tone_interp_hz(p, k1);
    a->p1.power = lobe(p, k1);

    /* Second peak: a local maximum resolved from the first (>= 4 bins away). */
    float best2 = -1.f;
    int k2 = 0;
    for (int k = AMDI_TA_LO_BIN; k <= AMDI_TA_HI_BIN; k++) {
        if (k >= k1 - 3 && k <= k1 + 3)
            continue;
        if (p[k] > best2 && p[k] >= p[k - 1] && p[k] >= p[k + 1]) {
            best2 = p[k];
            k2 = k;
        }
    }
    if (k2) {
        float pw = 0.f;
        for (int j = k2 - 2; j <= k2 + 2; j++)
            if (j < k1 - 2 || j > k1 + 2)
                pw += p[j];
        a->p2.bin = k2;
        a->p2.hz = amdi_tone_interp_hz(p, k2);
        a->p2.power = pw;
    }
}
