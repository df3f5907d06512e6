/* SPDX-License-Identifier: MIT */
/* The audio bridge of <Dial> (https://www.twilio.com/docs/voice/twiml/dial): each far end
 * hears the other. Every 20 ms frame one leg's far-end audio is put into the other leg's
 * queue, converted to that leg's sample rate, and taken out as what that leg's far end hears
 * in the same or the next tick of the media clock (the legs are serviced one after the other),
 * so the bridge adds at most one frame (20 ms) of delay. The queue holds at most two frames:
 * a leg that falls behind loses its oldest audio rather than growing the delay. */
#include "calls_internal.h"

#include "amd/error.h"

#define BR_FRAME_MAX 960 /* 20 ms at 48 kHz */
#define BR_QUEUE (2 * BR_FRAME_MAX)

struct amdi_bridge {
    char sid[2][35];
    int rate[2];           /* each leg's far-end sample rate, once its audio arrived (0 before) */
    float q[2][BR_QUEUE];  /* q[i]: what leg i's far end is to hear, at rate[i] */
    size_t qn[2];
    float out[2][BR_FRAME_MAX];
};

static int side(const amdi_bridge *b, const live *c)
{
    return strcmp(b->sid[0], c->rec.sid) ? 1 : 0;
}

int amdi_bridge_open(live *a, live *b)
{
    amdi_bridge *br = calloc(1, sizeof *br);
    if (!br)
        return AMD_ENOMEM;
    memcpy(br->sid[0], a->rec.sid, sizeof br->sid[0]);
    memcpy(br->sid[1], b->rec.sid, sizeof br->sid[1]);
    a->bridge = b->bridge = br;
    return 0;
}

void amdi_bridge_close(amdi_calls *e, live *c)
{
    amdi_bridge *br = c->bridge;
    if (!br)
        return;
    live *peer = amdi_calls_find(e, br->sid[1 - side(br, c)]);
    if (peer && peer->bridge == br)
        peer->bridge = NULL;
    c->bridge = NULL;
    free(br);
}

const float *amdi_bridge_take(amdi_bridge *b, const live *c, size_t n)
{
    int s = side(b, c);
    if (n > BR_FRAME_MAX || b->qn[s] < n)
        return NULL; /* nothing (yet) from the other leg: silence */
    memcpy(b->out[s], b->q[s], n * sizeof(float));
    b->qn[s] -= n;
    memmove(b->q[s], b->q[s] + n, b->qn[s] * sizeof(float));
    return b->out[s];
}

void amdi_bridge_put(amdi_bridge *b, const live *c, const float *pcm, size_t n)
{
    int s = side(b, c), o = 1 - s;
    if (!n || n > BR_FRAME_MAX)
        return;
    b->rate[s] = (int)n * (1000 / TICK_MS);
    if (!b->rate[o])
        return; /* the other leg's rate is not known before its first frame */
    size_t m = (size_t)b->rate[o] / (1000 / TICK_MS);
    if (b->qn[o] + m > BR_QUEUE) { /* the other leg fell behind: drop its oldest audio */
        size_t drop = b->qn[o] + m - BR_QUEUE;
        b->qn[o] -= drop;
        memmove(b->q[o], b->q[o] + drop, b->qn[o] * sizeof(float));
    }
    float *dst = b->q[o] + b->qn[o];
    if (m == n) {
        memcpy(dst, pcm, n * sizeof(float));
    } else { /* a different rate: linear interpolation over the frame */
        for (size_t i = 0; i < m; i++) {
            double x = (double)i * (double)n / (double)m;
            size_t k = (size_t)x;
            double f = x - (double)k;
            float a = pcm[k], z = k + 1 < n ? pcm[k + 1] : pcm[k];
            dst[i] = (float)(a + (z - a) * f);
        }
    }
    b->qn[o] += m;
}
