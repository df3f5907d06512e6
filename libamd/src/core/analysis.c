/* SPDX-License-Identifier: MIT */
/* Framing, Hann window, FFTW power spectrum and autocorrelation (see analysis.h). */
#include "analysis.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include <fftw3.h>

#include "amd/error.h"
#include "analysis_tables.h"

/*
 * The one process-wide lock around FFTW's planner (FFTW's manual,
 * "Thread safety": only fftw_execute is thread-safe, planning must be serialised). It is the library's only
 * static mutable object and holds no call state.
 */
static pthread_mutex_t amdi_fftw_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * One pair of plans for the whole process, guarded by that lock and counted:
 * every detector runs the same 256-point transforms, a plan is read-only once
 * made and FFTW's new-array execute is thread-safe, so 10,000 live detectors
 * share one plan in cache instead of 10,000 scattered plan structures (~5 KB of
 * RSS each; bench/RESULTS.md). Made by the first detector, destroyed with the last.
 * Like the lock, this holds no call state.
 */
static fftwf_plan amdi_plan_fwd, amdi_plan_inv;
static long amdi_plan_users;

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

size_t amdi_analysis_buf_size(void)
{
    return ALIGN64(sizeof(float) * AMDI_WIN) + ALIGN64(sizeof(float) * AMDI_BINS);
}

int amdi_analysis_init(amdi_analysis *a, void *buf)
{
    memset(a, 0, sizeof *a);
    char *p = buf;
    a->ring = (float *)p;
    p += ALIGN64(sizeof(float) * AMDI_WIN);
    a->power = (float *)p;

    /* The plans are made on 64-byte aligned arrays like the stack arrays they run on (the
     * planner with FFTW_ESTIMATE does not touch them). */
    _Alignas(64) float in[AMDI_WIN];
    _Alignas(64) float out[2 * AMDI_BINS];
    pthread_mutex_lock(&amdi_fftw_lock);
    if (!amdi_plan_users) {
        amdi_plan_fwd = fftwf_plan_dft_r2c_1d(AMDI_WIN, in, (fftwf_complex *)out, FFTW_ESTIMATE);
        amdi_plan_inv = fftwf_plan_dft_c2r_1d(AMDI_WIN, (fftwf_complex *)out, in, FFTW_ESTIMATE);
        if (!amdi_plan_fwd || !amdi_plan_inv) {
            if (amdi_plan_fwd)
                fftwf_destroy_plan(amdi_plan_fwd);
            if (amdi_plan_inv)
                fftwf_destroy_plan(amdi_plan_inv);
            amdi_plan_fwd = amdi_plan_inv = NULL;
            pthread_mutex_unlock(&amdi_fftw_lock);
            return AMD_ENOMEM;
        }
    }
    amdi_plan_users++;
    a->plan_fwd = amdi_plan_fwd;
    a->plan_inv = amdi_plan_inv;
    pthread_mutex_unlock(&amdi_fftw_lock);
    amdi_analysis_reset(a);
    return 0;
}

void amdi_analysis_free(amdi_analysis *a)
{
    if (!a || !a->plan_fwd)
        return;
    pthread_mutex_lock(&amdi_fftw_lock);
    if (--amdi_plan_users == 0) {
        fftwf_destroy_plan(amdi_plan_fwd);
        fftwf_destroy_plan(amdi_plan_inv);
        amdi_plan_fwd = amdi_plan_inv = NULL;
    }
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

    _Alignas(64) float in[AMDI_WIN];
    _Alignas(64) float X[2 * AMDI_BINS];
    for (int i = 0; i < AMDI_WIN; i++)
        in[i] = a->ring[i] * amdi_hann[i];
    fftwf_execute_dft_r2c((fftwf_plan)a->plan_fwd, in, (fftwf_complex *)X);
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
    _Alignas(64) float c[2 * AMDI_BINS];
    _Alignas(64) float r[AMDI_WIN];
    for (int k = 0; k < AMDI_BINS; k++) {
        c[2 * k] = a->power[k];
        c[2 * k + 1] = 0.f;
    }
    /* drop DC and the lowest bins (< 94 Hz: hum, not voice) so they do not fake periodicity */
    c[0] = c[2] = c[4] = 0.f;
    fftwf_execute_dft_c2r((fftwf_plan)a->plan_inv, (fftwf_complex *)c, r);
    float r0 = r[0];
    float best = 0.f;
    int bl = 0;
    if (r0 <= 0.f) {
        if (lag)
            *lag = 0;
        return 0.f;
    }
    /* local maxima only: the peak at the pitch period, not the slope towards it. Branch-free
     * (a masked product per lag, then the largest), the first lag holding it as the lag. */
    _Alignas(64) float v[AMDI_LAG_MAX + 1];
    for (int k = AMDI_LAG_MIN; k <= AMDI_LAG_MAX; k++) {
        int peak = (r[k] >= r[k - 1]) & (r[k] >= r[k + 1]);
        v[k] = peak ? r[k] * amdi_lagnorm[k] : 0.f;
    }
    for (int k = AMDI_LAG_MIN; k <= AMDI_LAG_MAX; k++)
        best = v[k] > best ? v[k] : best;
    if (lag && best > 0.f)
        for (bl = AMDI_LAG_MIN; v[bl] != best; bl++)
            ;
    if (lag)
        *lag = bl;
    best /= r0;
    return best > 1.f ? 1.f : (best < 0.f ? 0.f : best);
}
