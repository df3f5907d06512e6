/* SPDX-License-Identifier: MIT */
/* SpeexDSP resampling to 8 kHz (resample.h). */
#include "media/resample.h"

#include <stdlib.h>
#include <string.h>

#include <speex/speex_resampler.h>

#include "amd/error.h"
#include "media/pcm.h"

struct amdi_resampler {
    SpeexResamplerState *st; /* NULL when the input is already 8 kHz */
    int in_rate;
};

int amdi_resampler_create(int in_rate, amdi_resampler **out)
{
    if (!out || in_rate < 1000 || in_rate > 384000)
        return AMD_EINVAL;
    *out = NULL;
    amdi_resampler *r = calloc(1, sizeof *r);
    if (!r)
        return AMD_ENOMEM;
    r->in_rate = in_rate;
    if (in_rate != AMDI_MEDIA_RATE) {
        int err = 0;
        r->st = speex_resampler_init(1, (spx_uint32_t)in_rate, AMDI_MEDIA_RATE, AMDI_RESAMPLE_QUALITY, &err);
        if (!r->st) {
            free(r);
            return err == RESAMPLER_ERR_ALLOC_FAILED ? AMD_ENOMEM : AMD_EINVAL;
        }
        speex_resampler_skip_zeros(r->st);
    }
    *out = r;
    return 0;
}

void amdi_resampler_destroy(amdi_resampler *r)
{
    if (!r)
        return;
    if (r->st)
        speex_resampler_destroy(r->st);
    free(r);
}

size_t amdi_resampler_out_max(const amdi_resampler *r, size_t n)
{
    return n * AMDI_MEDIA_RATE / (size_t)r->in_rate + 2;
}

size_t amdi_resampler_process(amdi_resampler *r, const float *in, size_t n, float *out)
{
    if (!r->st) {
        memcpy(out, in, n * sizeof *in);
        return n;
    }
    size_t cap = amdi_resampler_out_max(r, n), w = 0;
    while (n > 0) {
        spx_uint32_t in_len = n > 1u << 20 ? 1u << 20 : (spx_uint32_t)n;
        spx_uint32_t out_len = (spx_uint32_t)(cap - w);
        speex_resampler_process_float(r->st, 0, in, &in_len, out + w, &out_len);
        in += in_len;
        n -= in_len;
        w += out_len;
        if (in_len == 0 && out_len == 0)
            break; /* no room left: cannot happen with out_max, but never spin */
    }
    return w;
}

size_t amdi_resampler_flush_max(const amdi_resampler *r)
{
    if (!r->st)
        return 0;
    size_t lat = (size_t)speex_resampler_get_input_latency(r->st);
    return amdi_resampler_out_max(r, lat) + (lat / 256 + 1) * 2; /* flush feeds 256 at a time */
}

size_t amdi_resampler_flush(amdi_resampler *r, float *out)
{
    if (!r->st)
        return 0;
    size_t lat = (size_t)speex_resampler_get_input_latency(r->st);
    float zeros[256] = {0};
    size_t w = 0;
    while (lat > 0) {
        size_t k = lat < 256 ? lat : 256;
        w += amdi_resampler_process(r, zeros, k, out + w);
        lat -= k;
    }
    return w;
}
