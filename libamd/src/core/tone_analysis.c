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
    /* Four partial sums and maxima: no loop-carried dependency on one accumulator (a float sum is
       not reassociated by the compiler), ~4x faster than the plain loop. 124 bins = 4 x 31. */
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    float m0 = -1.f, m1 = -1.f, m2 = -1.f, m3 = -1.f;
    for (int k = AMDI_TA_LO_BIN; k <= AMDI_TA_HI_BIN; k += 4) {
        s0 += p[k];
        s1 += p[k + 1];
        s2 += p[k + 2];
        s3 += p[k + 3];
        m0 = p[k] > m0 ? p[k] : m0;
        m1 = p[k + 1] > m1 ? p[k + 1] : m1;
        m2 = p[k + 2] > m2 ? p[k + 2] : m2;
        m3 = p[k + 3] > m3 ? p[k + 3] : m3;
    }
    float total = (s0 + s1) + (s2 + s3);
    float best = fmaxf(fmaxf(m0, m1), fmaxf(m2, m3));
    int k1 = AMDI_TA_LO_BIN;
    while (k1 < AMDI_TA_HI_BIN && p[k1] != best)
        k1++;
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
    /* No detector looks at the second peak unless the first holds AMDI_TA_P2_MIN of the power (a
       dual tone needs both together >= 0.7 of it, a partner check the first >= 0.7). */
    if (a->p1.power < AMDI_TA_P2_MIN * total)
        return;

    /* Second peak: the strongest bin resolved from the first (>= 4 bins away). Branch-free maxima
       over the two ranges, then one scan for the index. (Away from a strong first peak its Hann
       skirt is > 31 dB down, so this is a true local maximum whenever its power matters.) */
    int lo_end = k1 - 4, hi_beg = k1 + 4;
    float best2 = -1.f;
    for (int k = AMDI_TA_LO_BIN; k <= lo_end; k++)
        best2 = p[k] > best2 ? p[k] : best2;
    for (int k = hi_beg; k <= AMDI_TA_HI_BIN; k++)
        best2 = p[k] > best2 ? p[k] : best2;
    int k2 = 0;
    if (best2 >= 0.f) {
        for (int k = AMDI_TA_LO_BIN; k <= AMDI_TA_HI_BIN && !k2; k++)
            if ((k <= lo_end || k >= hi_beg) && p[k] == best2)
                k2 = k;
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
