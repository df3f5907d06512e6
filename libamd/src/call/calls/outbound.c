/* SPDX-License-Identifier: MIT */
/* The outbound media path of a call (outbound.h): one player per answered call, one frame
 * pulled per media tick, handed to the driver and paired with the far end's audio in the
 * recording. */
#include "calls_internal.h"

#include "amd/error.h"

int amdi_outbound_open(live *c)
{
    if (c->out)
        return 0;
    return amdi_player_create(AMDI_OUTBOUND_QUEUE, &c->out);
}

void amdi_outbound_tick(amdi_calls *e, live *c)
{
    float *f = c->out_frame;
    if (!c->out || !amdi_player_frame(c->out, f))
        memset(f, 0, sizeof c->out_frame);
    char digit = c->out ? amdi_player_frame_digit(c->out) : 0;
    if (c->out_injected) {
        for (size_t i = 0; i < AMDI_MEDIA_FRAME; i++) {
            float v = f[i] + c->out_next[i];
            f[i] = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
        }
        memset(c->out_next, 0, sizeof c->out_next);
        c->out_injected = 0;
    }
    c->out_rec_used = 0;
    if (c->leg && e->cfg.driver.ops->send_audio)
        e->cfg.driver.ops->send_audio(e->cfg.driver.state, c->leg, f, AMDI_MEDIA_FRAME, digit);
}

void amdi_outbound_inject(live *c, const float *pcm)
{
    for (size_t i = 0; i < AMDI_MEDIA_FRAME; i++)
        c->out_next[i] += pcm[i];
    c->out_injected = 1;
}

void amdi_outbound_stop(live *c)
{
    if (c->out)
        amdi_player_stop(c->out);
}

/* Samples [@p from, @p from + @p n) of this tick's frame at @p rate (linear interpolation
 * from 8 kHz; exact copy at 8 kHz). */
static void frame_at_rate(const live *c, int rate, size_t from, size_t n, float *out)
{
    if (rate == AMDI_MEDIA_RATE) {
        memcpy(out, c->out_frame + from, n * sizeof *out);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        double x = (double)(from + j) * AMDI_MEDIA_RATE / rate;
        size_t i = (size_t)x;
        double fr = x - (double)i;
        float a = i < AMDI_MEDIA_FRAME ? c->out_frame[i] : 0.0f;
        float b = i + 1 < AMDI_MEDIA_FRAME ? c->out_frame[i + 1] : a;
        out[j] = (float)(a + (b - a) * fr);
    }
}

#define REC_CHUNK 960 /* 20 ms at 48 kHz, the highest rate a leg reports */

void amdi_outbound_record(amdi_calls *e, live *c, const float *inbound, size_t n)
{
    if (!c->recw)
        return;
    int rate = amdi_recording_rate(c->recw);
    size_t per_frame = (size_t)rate / (1000 / TICK_MS);
    float ours[REC_CHUNK];
    for (size_t off = 0; off < n;) {
        size_t k = n - off < REC_CHUNK ? n - off : REC_CHUNK;
        const float *o = NULL;
        if (c->out_rec_used < per_frame) {
            if (k > per_frame - c->out_rec_used)
                k = per_frame - c->out_rec_used;
            frame_at_rate(c, rate, c->out_rec_used, k, ours);
            c->out_rec_used += k;
            o = ours;
        }
        static const float zeros[REC_CHUNK];
        const float *in = inbound ? inbound + off : zeros; /* NULL: far-end audio lost */
        int rc = amdi_recording_write(c->recw, in, o, k);
        if (rc == AMD_EIO)
            amdi_calls_recording_failed(e, c, amdi_recording_error(c->recw));
        if (rc)
            return;
        off += k;
    }
}
