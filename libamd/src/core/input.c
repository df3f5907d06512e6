/* SPDX-License-Identifier: MIT */
/* Input adaptation: conversion, resampling to 8 kHz, DC removal, hop assembly (see input.h). */
#include "input.h"

#include <math.h>
#include <string.h>

#include <speex/speex_resampler.h>

#include "amd/detector.h"

/*
 * SpeexDSP quality 1: a short filter (16 taps at the base rate) whose stop
 * band still puts aliases of 4..24 kHz content > 40 dB down (check_input
 * asserts it for a 6 kHz tone from 44.1 kHz), which is all the analysis needs:
 * it looks at 125..3500 Hz and at levels, not at hi-fi. Quality 3 (the VoIP
 * setting) cost 2.5x more at 44.1 kHz input (23 vs 9 us per 10 ms hop).
 */
#define AMDI_RESAMPLE_QUALITY 1
/* One-pole DC blocker y = x - x1 + R*y1: R = 0.995 puts the corner near 6 Hz at 8 kHz,
 * far below the 300 Hz telephone band edge (G.712) so no voice energy is touched. */
#define AMDI_DC_R 0.995f
/* Conversion block: stack buffers of this many input samples. */
#define AMDI_BLOCK 256

int amdi_input_init(amdi_input *in, int rate)
{
    memset(in, 0, sizeof *in);
    if (rate < 8000 || rate > 48000)
        return AMD_EINVAL;
    in->rate = rate;
    if (rate != AMDI_RATE) {
        int err = 0;
        SpeexResamplerState *rs =
            speex_resampler_init(1, (spx_uint32_t)rate, AMDI_RATE, AMDI_RESAMPLE_QUALITY, &err);
        if (!rs || err != RESAMPLER_ERR_SUCCESS) {
            if (rs)
                speex_resampler_destroy(rs);
            return AMD_ENOMEM;
        }
        speex_resampler_skip_zeros(rs);
        in->rs = (struct SpeexResamplerState_ *)rs;
    }
    return 0;
}

void amdi_input_free(amdi_input *in)
{
    if (in && in->rs) {
        speex_resampler_destroy((SpeexResamplerState *)in->rs);
        in->rs = NULL;
    }
}

void amdi_input_reset(amdi_input *in)
{
    if (in->rs) {
        speex_resampler_reset_mem((SpeexResamplerState *)in->rs);
        speex_resampler_skip_zeros((SpeexResamplerState *)in->rs);
    }
    in->samples_in = 0;
    in->dc_x1 = in->dc_y1 = 0.f;
    in->fill = 0;
    in->lost_num = 0;
    in->lost_resid = 0;
    memset(in->hop, 0, sizeof in->hop);
}

int64_t amdi_input_lost(amdi_input *in, size_t n)
{
    in->samples_in += (int64_t)n;
    int64_t num = in->lost_num + (int64_t)n * AMDI_RATE; /* n <= one hour: no overflow */
    int64_t g = num / in->rate;
    in->lost_num = num % in->rate;
    int64_t r = (int64_t)in->lost_resid + g;
    in->lost_resid = (int)(r % AMDI_HOP);
    return r / AMDI_HOP;
}

int amdi_input_has_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 1;
    return 0;
}

/* DC-block 8 kHz samples and collect hops. */
static int emit(amdi_input *in, const float *x, size_t n, amdi_hop_fn fn, void *user)
{
    float x1 = in->dc_x1, y1 = in->dc_y1;
    for (size_t i = 0; i < n; i++) {
        float y = x[i] - x1 + AMDI_DC_R * y1;
        x1 = x[i];
        y1 = y;
        in->hop[in->fill++] = y;
        if (in->fill == AMDI_HOP) {
            in->fill = 0;
            in->dc_x1 = x1;
            in->dc_y1 = y1;
            if (fn(user, in->hop))
                return 1;
        }
    }
    in->dc_x1 = x1;
    in->dc_y1 = y1;
    return 0;
}

static void convert(amdi_sample_fmt fmt, const void *data, size_t off, size_t n, float *out)
{
    switch (fmt) {
    case AMDI_FMT_S16: {
        const int16_t *s = (const int16_t *)data + off;
        for (size_t i = 0; i < n; i++)
            out[i] = (float)s[i];
        break;
    }
    case AMDI_FMT_FLOAT: {
        const float *s = (const float *)data + off;
        for (size_t i = 0; i < n; i++) {
            float v = s[i];
            v = v > 1.f ? 1.f : (v < -1.f ? -1.f : v); /* clipped beyond [-1, 1] (detector.h) */
            out[i] = v * 32768.f;
        }
        break;
    }
    case AMDI_FMT_ULAW: {
        const uint8_t *s = (const uint8_t *)data + off;
        for (size_t i = 0; i < n; i++)
            out[i] = (float)amd_ulaw_decode(s[i]);
        break;
    }
    case AMDI_FMT_ALAW: {
        const uint8_t *s = (const uint8_t *)data + off;
        for (size_t i = 0; i < n; i++)
            out[i] = (float)amd_alaw_decode(s[i]);
        break;
    }
    }
}

int amdi_input_push(amdi_input *in, amdi_sample_fmt fmt, const void *data, size_t n, amdi_hop_fn fn,
                    void *user)
{
    float buf[AMDI_BLOCK];
    float out[AMDI_BLOCK];
    size_t off = 0;
    /* all n samples are consumed (time base of amd_detector_time_ms), also those dropped
     * when the callback asks to stop mid-chunk */
    in->samples_in += (int64_t)n;
    while (off < n) {
        size_t m = n - off < AMDI_BLOCK ? n - off : AMDI_BLOCK;
        convert(fmt, data, off, m, buf);
        off += m;
        if (!in->rs) {
            if (emit(in, buf, m, fn, user))
                return 1;
            continue;
        }
        /* Resample: loop until this block's input is consumed. Output <= input (downsampling
         * or equal rate never reaches here; upsampling is impossible since rate >= 8000). */
        size_t done = 0;
        while (done < m) {
            spx_uint32_t ilen = (spx_uint32_t)(m - done), olen = AMDI_BLOCK;
            speex_resampler_process_float((SpeexResamplerState *)in->rs, 0, buf + done, &ilen, out,
                                          &olen);
            done += ilen;
            if (olen && emit(in, out, olen, fn, user))
                return 1;
            if (ilen == 0 && olen == 0)
                break; /* cannot happen with a valid resampler; avoid spinning */
        }
    }
    return 0;
}

int amdi_input_flush(amdi_input *in, amdi_hop_fn fn, void *user)
{
    if (in->fill == 0)
        return 0;
    float zeros[AMDI_HOP] = {0};
    return emit(in, zeros, (size_t)(AMDI_HOP - in->fill), fn, user);
}

size_t amdi_input_extra_memory(const amdi_input *in)
{
    if (!in->rs)
        return 0;
    /*
     * An estimate of what speex_resampler_init() allocated, following its sizing
     * rules for quality 1 (base filter 16 taps, oversampling 4): the filter grows by
     * the decimation ratio; the sinc table is either filter x den_rate (direct) or
     * filter x 8 + 8 (interpolated), whichever is smaller; plus the history buffer.
     */
    spx_uint32_t num = 0, den = 0;
    speex_resampler_get_ratio((SpeexResamplerState *)in->rs, &num, &den);
    size_t flen = den ? (16u * (size_t)num + den - 1) / den : 16u;
    flen = (flen + 7u) & ~(size_t)7u;
    size_t direct = flen * den, interp = flen * 4u + 8u;
    size_t table = direct < interp ? direct : interp;
    size_t hist = flen - 1 + 160;
    return sizeof(float) * (table + hist) + 128; /* + the state struct */
}
