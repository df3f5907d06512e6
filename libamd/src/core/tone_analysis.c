/* SPDX-License-Identifier: MIT */
/* Spectral peak picking for the tone detectors; see tone_analysis.h. */
#include "tone_analysis.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

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

/* Hann kernel magnitude at x bins from the tone, given s = |sin(pi x)|. */
static float hann_w(float x, float s)
{
    float ax = fabsf(x);
    if (ax < 1e-3f)
        return 1.f;
    if (fabsf(ax - 1.f) < 1e-3f)
        return 0.5f;
    return s / ((float)M_PI * ax * fabsf(1.f - x * x));
}

float amdi_tone_shape_error(const float *power, const amdi_tone_peak *p)
{
    if (p->bin < 2 || p->bin > AMDI_BINS - 3)
        return 1.f;
    float d = p->hz / AMDI_BIN_HZ - (float)p->bin; /* tone offset from the peak bin, |d| <= 1 */
    float s = fabsf(sinf((float)M_PI * d));
    float w2[5], num = 0.f, den = 0.f, sum = 0.f;
    for (int j = -2; j <= 2; j++) {
        float w = hann_w(d - (float)j, s);
        w2[j + 2] = w * w;
        num += power[p->bin + j] * w2[j + 2];
        den += w2[j + 2] * w2[j + 2];
        sum += power[p->bin + j];
    }
    if (den <= 0.f || sum <= 0.f)
        return 1.f;
    float a2 = num / den, err = 0.f;
    for (int j = -2; j <= 2; j++)
        err += fabsf(power[p->bin + j] - a2 * w2[j + 2]);
    return err / sum;
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

void amdi_activity_init(amdi_activity *a)
{
    for (int i = 0; i < AMDI_ACT_BLOCKS; i++) {
        a->e[i] = 0.f;
        a->blk[i] = -1;
    }
}

void amdi_activity_add(amdi_activity *a, int64_t frame_index, float energy)
{
    int64_t b = frame_index / 10;
    int i = (int)(b % AMDI_ACT_BLOCKS);
    if (a->blk[i] != b) {
        a->blk[i] = b;
        a->e[i] = energy;
    } else if (energy > a->e[i]) {
        a->e[i] = energy;
    }
}

float amdi_activity_max(const amdi_activity *a, int64_t from, int64_t to)
{
    float m = 0.f;
    if (from < 0)
        from = 0;
    for (int64_t b = from / 10; b <= to / 10; b++) {
        if (b < 0)
            continue;
        int i = (int)(b % AMDI_ACT_BLOCKS);
        if (a->blk[i] == b && a->e[i] > m)
            m = a->e[i];
    }
    return m;
}
