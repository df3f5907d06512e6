/* SPDX-License-Identifier: MIT */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "media/dtmf_gen.h"

/* 20 ms frames: the packetisation interval of G.711 RTP, the media clock of the engine. */
#define FRAME_MS 20
#define MAX_FRAME 960 /* 48 kHz * 20 ms */

typedef enum { PH_DIALING, PH_RINGING, PH_ANSWERED, PH_DONE } phase;

struct amdi_leg {
    const amdi_route *route; /* NULL: unroutable */
    int64_t t_dial, t_ring, t_answer;
    int64_t frames_sent;
    size_t pos;
    phase ph;
};

typedef struct sim {
    const amdi_dialplan *plan;
    float silence[MAX_FRAME];
    float frame[MAX_FRAME];
} sim;

static int sim_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    sim *s = drv;
    amdi_leg *l = calloc(1, sizeof *l);
    if (!l)
        return AMD_ENOMEM;
    l->route = amdi_dialplan_match(s->plan, req->to);
    l->t_dial = req->now_ms;
    l->ph = PH_DIALING;
    *out = l;
    return 0;
}

/* Mix the route's "digits" that sound in this frame (samples [first, first + fn) since answer
 * at @p rate) into @p frame: the keys' 8 kHz signal (dtmf_gen.h), linearly interpolated to
 * the route's rate. */
static void mix_digits(const amdi_route *r, int64_t first, size_t fn, int rate, float *frame)
{
    float tone[MAX_FRAME / 6 + 4]; /* the 8 kHz stretch one frame spans at >= 8 kHz, +2 */
    for (size_t k = 0; k < r->ndigits; k++) {
        const amdi_route_digits *d = &r->digits[k];
        double p0 = ((double)first - (double)d->at_ms * rate / 1000.0) * 8000.0 / rate; /* 8 kHz position */
        double step = 8000.0 / rate;
        double p1 = p0 + step * (double)fn;
        if (p1 <= 0 || p0 >= (double)amdi_dtmf_samples(d->keys))
            continue;
        int64_t base = (int64_t)(p0 < 0 ? 0 : p0);
        size_t span = (size_t)(p1 - (double)base) + 2;
        if (span > sizeof tone / sizeof tone[0])
            span = sizeof tone / sizeof tone[0];
        amdi_dtmf_render(d->keys, (size_t)base, tone, span);
        for (size_t j = 0; j < fn; j++) {
            double p = p0 + step * (double)j - (double)base;
            if (p < 0)
                continue;
            size_t i = (size_t)p;
            if (i + 1 >= span)
                break;
            float f = (float)(p - (double)i);
            frame[j] += tone[i] + f * (tone[i + 1] - tone[i]);
        }
    }
}

static void sim_advance(void *drv, amdi_leg *l, int64_t now, const amdi_leg_sink *k, void *ctx)
{
    sim *s = drv;
    const amdi_route *r = l->route;
    if (l->ph == PH_DIALING) {
        int pdd = r ? r->pdd_ms : 200;
        if (now - l->t_dial < pdd)
            return;
        if (!r) {
            l->ph = PH_DONE;
            k->refused(ctx, AMD_CALL_FAILED, 404);
            return;
        }
        if (r->outcome == AMDI_OUT_BUSY) {
            l->ph = PH_DONE;
            k->refused(ctx, AMD_CALL_BUSY, 486);
            return;
        }
        if (r->outcome == AMDI_OUT_FAILED) {
            l->ph = PH_DONE;
            k->refused(ctx, AMD_CALL_FAILED, 503);
            return;
        }
        l->ph = PH_RINGING;
        l->t_ring = now;
        k->ringing(ctx);
        return;
    }
    if (l->ph == PH_RINGING) {
        /* no-answer rings until the engine's Timeout hangs up */
        if (r->outcome != AMDI_OUT_ANSWER || now - l->t_ring < r->ring_ms)
            return;
        l->ph = PH_ANSWERED;
        l->t_answer = now;
        k->answered(ctx, r->audio ? r->audio->rate : 8000);
        return;
    }
    if (l->ph != PH_ANSWERED)
        return;
    const amdi_audio *a = r->audio;
    int rate = a ? a->rate : 8000;
    size_t fn = (size_t)rate / (1000 / FRAME_MS);
    int64_t due = (now - l->t_answer) / FRAME_MS;
    while (l->frames_sent < due && l->ph == PH_ANSWERED) {
        int64_t first = l->frames_sent * (int64_t)fn;
        l->frames_sent++;
        if (a && l->pos < a->n) {
            size_t take = a->n - l->pos < fn ? a->n - l->pos : fn;
            memcpy(s->frame, a->pcm + l->pos, take * sizeof(float));
            if (take < fn)
                memset(s->frame + take, 0, (fn - take) * sizeof(float));
            l->pos += take;
            mix_digits(r, first, fn, rate, s->frame);
            k->audio(ctx, s->frame, fn);
        } else if (a && a->n && r->loop_audio) { /* an agent: from the top again */
            l->pos = 0;
            l->frames_sent--;
        } else {
            if (r->hangup_after_audio) {
                l->ph = PH_DONE;
                k->remote_hangup(ctx);
                return;
            }
            if (r->ndigits) {
                memset(s->frame, 0, fn * sizeof(float));
                mix_digits(r, first, fn, rate, s->frame);
                k->audio(ctx, s->frame, fn);
            } else {
                k->audio(ctx, s->silence, fn);
            }
        }
    }
}

static void sim_release(void *drv, amdi_leg *l)
{
    (void)drv;
    free(l);
}

static void sim_destroy(void *drv)
{
    free(drv);
}

static const amdi_driver_ops k_sim_ops = {
    .name = "sim", .dial = sim_dial, .advance = sim_advance, .release = sim_release, .destroy = sim_destroy};

int amdi_sim_driver_create(const amdi_dialplan *plan, amdi_driver *out)
{
    sim *s = calloc(1, sizeof *s);
    if (!s)
        return AMD_ENOMEM;
    s->plan = plan;
    out->ops = &k_sim_ops;
    out->state = s;
    return 0;
}
