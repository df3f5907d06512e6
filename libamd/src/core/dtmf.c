/* SPDX-License-Identifier: MIT */
/* In-band DTMF receiver, ITU-T Q.23 / Q.24 (see dtmf.h). */
#include "dtmf.h"

#include "analysis_tables.h"

#include <math.h>
#include <string.h>

#define PI_D 3.14159265358979323846

/* ITU-T Q.23 frequencies and the key layout (rows: low group, columns: high group). */
static const float k_low[4] = {697.f, 770.f, 852.f, 941.f};
static const float k_high[4] = {1209.f, 1336.f, 1477.f, 1633.f};
static const char k_keys[16] = {'1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'};

/* dBm0 of a tone = its mean square in dB against a full-scale square wave (32768^2) + 6.2:
 * a full-scale G.711 sine is +3.17 dBm0 (ITU-T G.711), i.e. -3.01 dB on that scale. */
#define DBM0_OFFSET 6.2f

void amdi_dtmf_reset(amdi_dtmf *d)
{
    memset(d, 0, sizeof *d);
    d->cand = -1;
    d->armed = 1;
    d->pause_run = AMDI_DTMF_PAUSE;
}

/* Goertzel power |X(f)|^2 over x[0..n). */
static float goertzel_power(const float *x, int n, float hz)
{
    float c = 2.f * cosf((float)(2.0 * PI_D) * hz / (float)AMDI_RATE);
    float s1 = 0.f, s2 = 0.f;
    for (int i = 0; i < n; i++) {
        float s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    float p = s1 * s1 + s2 * s2 - c * s1 * s2;
    return p > 0.f ? p : 0.f;
}

/* Complex DFT sum over x[from..to) at hz with the phase reference at x[0]. */
static void dft_at(const float *x, int from, int to, double hz, double *re, double *im)
{
    double w = 2.0 * PI_D * hz / AMDI_RATE;
    double cr = cos(w * from), ci = -sin(w * from), dr = cos(w), di = -sin(w);
    double ar = 0.0, ai = 0.0;
    for (int n = from; n < to; n++) {
        ar += x[n] * cr;
        ai += x[n] * ci;
        double t = cr * dr - ci * di;
        ci = cr * di + ci * dr;
        cr = t;
    }
    *re = ar;
    *im = ai;
}

/*
 * The tone near nominal frequency f0 in x[0..AMDI_DTMF_N): its frequency from the phase
 * advance between the two halves, and its mean-square power measured there.
 * Returns 0 when its offset exceeds the tolerance.
 */
static int measure_tone(const float *x, float f0, float *hz, float *pow_ms)
{
    const int h = AMDI_DTMF_N / 2;
    double r1, i1, r2, i2;
    dft_at(x, 0, h, f0, &r1, &i1);
    dft_at(x, h, AMDI_DTMF_N, f0, &r2, &i2);
    /* X2 * conj(X1) = |.| e^{j 2 pi df h / fs} for a tone at f0 + df */
    double ph = atan2(i2 * r1 - r2 * i1, r2 * r1 + i2 * i1);
    double df = ph * AMDI_RATE / (2.0 * PI_D * h);
    if (fabs(df) > AMDI_DTMF_FREQ_TOL * f0)
        return 0;
    double re, im;
    dft_at(x, 0, AMDI_DTMF_N, f0 + df, &re, &im);
    /* a sine of amplitude A gives |X| = A N / 2 and mean square A^2 / 2 */
    *pow_ms = (float)(2.0 * (re * re + im * im) / ((double)AMDI_DTMF_N * AMDI_DTMF_N));
    *hz = (float)(f0 + df);
    return 1;
}

static int strongest(const float *x, const float *freqs, float *p_best)
{
    int best = 0;
    *p_best = -1.f;
    for (int k = 0; k < 4; k++) {
        float p = goertzel_power(x, AMDI_DTMF_N, freqs[k]);
        if (p > *p_best) {
            *p_best = p;
            best = k;
        }
    }
    return best;
}

/*
 * Second harmonic of a tone at hz against the tone itself, both from the Hann-windowed
 * AMDI_WIN samples ending with the block: the window's sidelobes keep the other DTMF tone
 * out (2 x 770 Hz lies 63 Hz from 1477 Hz, 2 x 852 Hz 71 Hz from 1633 Hz; a plain 20 ms
 * block would leak it in at -14 dB).
 */
static float harmonic_ratio(const float *win, float hz)
{
    float xw[AMDI_WIN];
    for (int i = 0; i < AMDI_WIN; i++)
        xw[i] = win[i] * amdi_hann[i];
    float p1 = goertzel_power(xw, AMDI_WIN, hz);
    return p1 > 0.f ? goertzel_power(xw, AMDI_WIN, 2.f * hz) / p1 : 1.f;
}

int amdi_dtmf_block(const float *win, float *low_hz, float *high_hz)
{
    const float *x = win + (AMDI_WIN - AMDI_DTMF_N);
    const int n = AMDI_DTMF_N;
    float e = 0.f;
    for (int i = 0; i < n; i++)
        e += x[i] * x[i];
    e /= (float)n;
    const float full = 32768.f * 32768.f;
    const float min_pow = full * powf(10.f, (AMDI_DTMF_MIN_DBM0 - DBM0_OFFSET) / 10.f);
    if (e < 2.f * min_pow)
        return -1;
    float pr, pc;
    int r = strongest(x, k_low, &pr);
    int c = strongest(x, k_high, &pc);
    float hz_l, hz_h, pl, ph;
    if (!measure_tone(x, k_low[r], &hz_l, &pl) || !measure_tone(x, k_high[c], &hz_h, &ph))
        return -1;
    if (pl < min_pow || ph < min_pow)
        return -1;
    /* twist */
    if (ph > pl * powf(10.f, AMDI_DTMF_TWIST_HIGH_DB / 10.f) || pl > ph * powf(10.f, AMDI_DTMF_TWIST_LOW_DB / 10.f))
        return -1;
    /* the pair carries (nearly) all the energy */
    if (pl + ph < AMDI_DTMF_PURITY * e)
        return -1;
    /* no second harmonics */
    const float hlim = powf(10.f, -AMDI_DTMF_HARM_DB / 10.f);
    if (harmonic_ratio(win, hz_l) > hlim || harmonic_ratio(win, hz_h) > hlim)
        return -1;
    if (low_hz)
        *low_hz = hz_l;
    if (high_hz)
        *high_hz = hz_h;
    return r * 4 + c;
}

int amdi_dtmf_frame(amdi_dtmf *d, const amdi_frame *f, amdi_dtmf_digit *out)
{
    float lo = 0.f, hi = 0.f;
    int k = amdi_dtmf_block(f->win, &lo, &hi);
    if (k < 0) {
        d->cand = -1;
        d->cand_run = 0;
        if (++d->pause_run >= AMDI_DTMF_PAUSE)
            d->armed = 1;
        return 0;
    }
    d->pause_run = 0;
    if (k != d->cand) {
        d->cand = k;
        d->cand_run = 0;
        /* the block ending here is >= 85 % tone: the tone began about one block earlier */
        d->cand_start_ms = f->end_ms - (int64_t)(AMDI_DTMF_N * 1000 / AMDI_RATE);
    }
    d->cand_run++;
    if (d->armed && d->cand_run >= AMDI_DTMF_CONFIRM) {
        d->armed = 0;
        out->digit = k_keys[k];
        out->start_ms = d->cand_start_ms < 0 ? 0 : d->cand_start_ms;
        out->low_hz = lo;
        out->high_hz = hi;
        return 1;
    }
    return 0;
}
