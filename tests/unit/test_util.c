/* SPDX-License-Identifier: MIT */
#include "test_util.h"

#include <stdlib.h>

#include "audio_file.h"

#include <math.h>
#include <stdio.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void tu_rng_seed(tu_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15ull; }

uint32_t tu_rng_u32(tu_rng *r)
{
    uint64_t x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->s = x;
    return (uint32_t)(x >> 32);
}

double tu_rng_uniform(tu_rng *r) { return tu_rng_u32(r) / 4294967296.0; }

double tu_rng_gauss(tu_rng *r)
{
    double u1 = tu_rng_uniform(r), u2 = tu_rng_uniform(r);
    if (u1 < 1e-12)
        u1 = 1e-12;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void tu_add_sine(float *buf, size_t n, int rate, double hz, double amp, double phase)
{
    for (size_t i = 0; i < n; i++)
        buf[i] += (float)(amp * sin(2.0 * M_PI * hz * (double)i / rate + phase));
}

void tu_add_noise(float *buf, size_t n, double rms, tu_rng *r)
{
    for (size_t i = 0; i < n; i++)
        buf[i] += (float)(rms * tu_rng_gauss(r));
}

/* Two-pole resonator. */
typedef struct { double a1, a2, g, y1, y2; } reson;

static void reson_set(reson *f, double hz, double bw, int rate)
{
    double rr = exp(-M_PI * bw / rate);
    f->a1 = 2.0 * rr * cos(2.0 * M_PI * hz / rate);
    f->a2 = -rr * rr;
    f->g = 1.0 - rr;
}

static double reson_run(reson *f, double x)
{
    double y = f->g * x + f->a1 * f->y1 + f->a2 * f->y2;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

void tu_make_speechlike(float *buf, size_t n, int rate, double f0, double rms, tu_rng *r)
{
    static const double vowels[][3] = {
        {730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240}, {530, 1840, 2480}, {570, 840, 2410}};
    reson f[3] = {{0}};
    double phase = 0.0, out_rms = 0.0;
    size_t syl_len = (size_t)(rate * (0.15 + 0.1 * tu_rng_uniform(r)));
    size_t syl_pos = 0;
    int v = (int)(tu_rng_u32(r) % 5);
    float *start = buf;
    for (size_t i = 0; i < n; i++)
        buf[i] = 0.f;
    for (size_t i = 0; i < n; i++) {
        if (syl_pos == 0) {
            v = (v + 1 + (int)(tu_rng_u32(r) % 4)) % 5;
            for (int k = 0; k < 3; k++)
                reson_set(&f[k], vowels[v][k] * (0.9 + 0.2 * tu_rng_uniform(r)), 80 + 40 * k, rate);
        }
        double t = (double)i / rate;
        double pitch = f0 * (1.0 + 0.08 * sin(2 * M_PI * 3.0 * t) + 0.01 * tu_rng_gauss(r));
        phase += pitch / rate;
        double src = 0.0;
        if (phase >= 1.0) {
            phase -= 1.0;
            src = 1.0;
        }
        src += 0.02 * tu_rng_gauss(r); /* aspiration */
        double env = sin(M_PI * (double)syl_pos / (double)syl_len);
        double y = 0.0;
        for (int k = 0; k < 3; k++)
            y += reson_run(&f[k], src) / (k + 1);
        start[i] += (float)(y * env);
        out_rms += (y * env) * (y * env);
        if (++syl_pos >= syl_len) {
            syl_pos = 0;
            syl_len = (size_t)(rate * (0.12 + 0.15 * tu_rng_uniform(r)));
        }
    }
    /* scale what we added to the requested RMS */
    out_rms = sqrt(out_rms / (n ? n : 1));
    if (out_rms > 0) {
        double k = rms / out_rms;
        for (size_t i = 0; i < n; i++)
            start[i] = (float)(start[i] * k);
    }
}

void tu_to_s16(const float *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        if (x > 32767.f)
            x = 32767.f;
        if (x < -32768.f)
            x = -32768.f;
        out[i] = (int16_t)lrintf(x);
    }
}

const char *tu_source_path(const char *rel)
{
    static char buf[4096];
#ifdef AMD_SOURCE_DIR
    snprintf(buf, sizeof buf, "%s/%s", AMD_SOURCE_DIR, rel);
#else
    snprintf(buf, sizeof buf, "%s", rel);
#endif
    return buf;
}

int16_t *tu_read_audio_s16(const char *path, size_t *n, int *rate, char *err, size_t errlen)
{
    amdi_audio_file *f = NULL;
    if (amdi_audio_file_open(path, NULL, &f, err, errlen) != 0)
        return NULL;
    const amdi_audio_info *info = amdi_audio_file_info(f);
    size_t cap = info->frames > 0 ? (size_t)info->frames : 8000, len = 0;
    int16_t *out = malloc(cap * sizeof *out);
    float buf[4096];
    long got = 0;
    while (out && (got = amdi_audio_file_read(f, buf, 4096, err, errlen)) > 0) {
        if (len + (size_t)got > cap) {
            int16_t *p = realloc(out, (cap = 2 * (len + (size_t)got)) * sizeof *out);
            if (!p)
                free(out);
            out = p;
            if (!out)
                break;
        }
        for (long i = 0; i < got; i++)
            buf[i] *= 32768.f; /* the reader's [-1, 1] back to the s16 scale: exact for PCM / G.711 */
        tu_to_s16(buf, out + len, (size_t)got);
        len += (size_t)got;
    }
    if (out && got < 0) {
        free(out);
        out = NULL;
    }
    *n = len;
    *rate = info->sample_rate;
    amdi_audio_file_close(f);
    return out;
}
