/* SPDX-License-Identifier: MIT */
/* The audio bridge of <Dial> (https://www.twilio.com/docs/voice/twiml/dial): each far end
 * hears the other. Every 20 ms frame of one leg's far-end audio is converted to the outbound
 * path's format (8 kHz, outbound.h) and injected into the other leg's next outbound frame.
 * Legs are serviced one after the other within a tick, so a frame reaches the other far end in
 * the same tick or the next one: the bridge itself adds at most 20 ms; the driver's own
 * queueing (SIP: the RTP send queue and jitter buffer) comes on top. */
#include "calls_internal.h"

#include "amd/error.h"

struct amdi_bridge {
    char sid[2][35];
};

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

live *amdi_bridge_peer(amdi_calls *e, const live *c)
{
    amdi_bridge *br = c->bridge;
    live *p = amdi_calls_find(e, br->sid[strcmp(br->sid[0], c->rec.sid) ? 0 : 1]);
    return p && p->bridge == br && p->fsm.phase == AMDI_CS_ANSWERED ? p : NULL;
}

void amdi_bridge_close(amdi_calls *e, live *c)
{
    amdi_bridge *br = c->bridge;
    if (!br)
        return;
    live *peer = amdi_calls_find(e, br->sid[strcmp(br->sid[0], c->rec.sid) ? 0 : 1]);
    if (peer && peer->bridge == br)
        peer->bridge = NULL;
    c->bridge = NULL;
    free(br);
}

void amdi_bridge_resample(const float *src, size_t ns, float *dst, size_t nd)
{
    if (ns == nd) {
        memcpy(dst, src, nd * sizeof *dst);
        return;
    }
    for (size_t i = 0; i < nd; i++) { /* linear interpolation over the frame */
        double x = (double)i * (double)ns / (double)nd;
        size_t k = (size_t)x;
        double f = x - (double)k;
        float a = src[k < ns ? k : ns - 1], z = src[k + 1 < ns ? k + 1 : ns - 1];
        dst[i] = (float)(a + (z - a) * f);
    }
}

void amdi_bridge_forward(amdi_calls *e, live *c, const float *pcm, size_t n)
{
    live *p = amdi_bridge_peer(e, c);
    if (!p || !n)
        return;
    float f[AMDI_MEDIA_FRAME];
    amdi_bridge_resample(pcm, n, f, AMDI_MEDIA_FRAME);
    amdi_outbound_inject(p, f);
}
