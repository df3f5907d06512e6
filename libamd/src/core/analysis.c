/* SPDX-License-Identifier: MIT */
/* Framing, Hann window, FFTW power spectrum and autocorrelation (see analysis.h). */
#include "analysis.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include <fftw3.h>

#include "amd/error.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/*
 * The one process-wide lock around FFTW's planner (STYLE.md: "FFTW planning
 * is not thread-safe: guard it with one lock"). It is the library's only
 * static mutable object and holds no call state.
 */
static pthread_mutex_t amdi_fftw_lock = PTHREAD_MUTEX_INITIALIZER;

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

size_t amdi_analysis_buf_size(void)
{
    return ALIGN64(sizeof(float) * AMDI_WIN) * 4 + ALIGN64(sizeof(float) * 2 * AMDI_BINS) * 2 +
           ALIGN64(sizeof(float) * AMDI_BINS);
}

int amdi_analysis_init(amdi_analysis *a, void *buf)
{
    memset(a, 0, sizeof *a);
    char *p = buf;
    a->hann = (float *)p;
    p += ALIGN64(sizeof(float) * AMDI_WIN);
    a->ring = (float *)p;
    p += ALIGN64(sizeof(float) * AMDI_WIN);
    a->fft_in = (float *)p;
    p += ALIGN64(sizeof(float) * AMDI_WIN);
    a->ac_out = (float *)p;
    p += ALIGN64(sizeof(float) * AMDI_WIN);
    a->fft_out = (float *)p;
    p += ALIGN64(sizeof(float) * 2 * AMDI_BINS);
    a->ac_in = (float *)p;
    p += ALIGN64(sizeof(float) * 2 * AMDI_BINS);
    a->power = (float *)p;

    /* Periodic Hann: exact overlap-add at 50 %; its power-sum normalises the spectrum below. */
    for (int i = 0; i < AMDI_WIN; i++)
        a->hann[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / AMDI_WIN));
    /* Autocorrelation of the window itself, for the unbiased normalisation of r(k). */
    double w0 = 0;
    for (int i = 0; i < AMDI_WIN; i++)
        w0 += (double)a->hann[i] * a->hann[i];
    for (int k = 0; k <= AMDI_LAG_MAX; k++) {
        double wk = 0;
        for (int i = 0; i < AMDI_WIN; i++) /* circular, as the FFT computes it */
            wk += (double)a->hann[i] * a->hann[(i + k) % AMDI_WIN];
        a->lagnorm[k] = wk > 0 ? (float)(w0 / wk) : 0.f;
    }

    pthread_mutex_lock(&amdi_fftw_lock);
    fftwf_plan f = fftwf_plan_dft_r2c_1d(AMDI_WIN, a->fft_in, (fftwf_complex *)a->fft_out, FFTW_ESTIMATE);
    fftwf_plan b = fftwf_plan_dft_c2r_1d(AMDI_WIN, (fftwf_complex *)a->ac_in, a->ac_out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&amdi_fftw_lock);
    a->plan_fwd = f;
    a->plan_inv = b;
    if (!f || !b) {
        amdi_analysis_free(a);
        return AMD_ENOMEM;
    }
    amdi_analysis_reset(a);
    return 0;
}

void amdi_analysis_free(amdi_analysis *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&amdi_fftw_lock);
    if (a->plan_fwd)
        fftwf_destroy_plan((fftwf_plan)a->plan_fwd);
    if (a->plan_inv)
        fftwf_destroy_plan((fftwf_plan)a->plan_inv);
    pthread_mutex_unlock(&amdi_fftw_lock);
    a->plan_fwd = a->plan_inv = NULL;
}

void amdi_analysis_reset(amdi_analysis *a)
{
    memset(a->ring, 0, sizeof(float) * AMDI_WIN);
    memset(a->power, 0, sizeof(float) * AMDI_BINS);
    a->index = 0;
    memset(&a->frame, 0, sizeof a->frame);
}

const amdi_frame *amdi_analysis_hop(amdi_analysis *a, const float *hop)
{
    /* slide the window by one hop */
    memmove(a->ring, a->ring + AMDI_HOP, sizeof(float) * (AMDI_WIN - AMDI_HOP));
    memcpy(a->ring + (AMDI_WIN - AMDI_HOP), hop, sizeof(float) * AMDI_HOP);

    const float *h = a->ring + (AMDI_WIN - AMDI_HOP);
    float e4[4] = {0.f, 0.f, 0.f, 0.f}, m4[4] = {0.f, 0.f, 0.f, 0.f};
    for (int i = 0; i < AMDI_HOP; i += 4) /* four partial sums: short dependency chains */
        for (int j = 0; j < 4; j++) {
            e4[j] += h[i + j] * h[i + j];
            m4[j] += fabsf(h[i + j]);
        }
    float e = ((e4[0] + e4[1]) + (e4[2] + e4[3])) / AMDI_HOP;
    float ma = ((m4[0] + m4[1]) + (m4[2] + m4[3])) / AMDI_HOP;

    for (int i = 0; i < AMDI_WIN; i++)
        a->fft_in[i] = a->ring[i] * a->hann[i];
    fftwf_execute((fftwf_plan)a->plan_fwd);
    const float *X = a->fft_out;
    for (int k = 0; k < AMDI_BINS; k++)
        a->power[k] = X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1];

    amdi_frame *f = &a->frame;
    f->index = a->index;
    f->end_ms = (a->index + 1) * AMDI_HOP_MS;
    a->index++;
    f->hop = h;
    f->win = a->ring;
    f->power = a->power;
    f->energy = e;
    /* dBFS of the mean square against a full-scale square wave (32768^2); floor -100 dB */
    f->level_db = e > 1.07e-1f ? 10.f * log10f(e / (32768.f * 32768.f)) : -100.f;
    f->mean_abs = ma;
    return f;
}

float amdi_analysis_harmonicity(amdi_analysis *a, int *lag)
{
    float *c = a->ac_in;
    for (int k = 0; k < AMDI_BINS; k++) {
        c[2 * k] = a->power[k];
        c[2 * k + 1] = 0.f;
    }
    /* drop DC and the lowest bins (< 94 Hz: hum, not voice) so they do not fake periodicity */
    c[0] = c[2] = c[4] = 0.f;
    fftwf_execute((fftwf_plan)a->plan_inv);
    const float *r = a->ac_out;
    float r0 = r[0];
    float best = 0.f;
    int bl = 0;
    if (r0 <= 0.f) {
        if (lag)
            *lag = 0;
        return 0.f;
    }
    for (int k = AMDI_LAG_MIN; k <= AMDI_LAG_MAX; k++) {
        /* local maxima only: the peak at the pitch period, not the slope towards it */
        if (r[k] < r[k - 1] || r[k] < r[k + 1])
            continue;
        float v = r[k] * a->lagnorm[k];
        if (v > best) {
            best = v;
            bl = k;
        }
    }
    if (lag)
        *lag = bl;
    best /= r0;
    return best > 1.f ? 1.f : (best < 0.f ? 0.f : best);
}
