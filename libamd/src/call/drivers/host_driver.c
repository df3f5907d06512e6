/* SPDX-License-Identifier: MIT */
/* The host driver (host.h): legs are placed by the embedding call server through callbacks,
 * and its reports (ringing, answer, refusal, far-end audio, hang-up) arrive from its own
 * threads. Each leg keeps them under a mutex; the engine thread picks them up in advance(),
 * every 20 ms of engine time, in the order a call goes through them, so the engine sees the
 * same sequence of sink calls as from the simulated carrier.
 *
 * Lifetime: a leg is reference counted: one reference for the engine (dropped in release),
 * one for the host (dropped by amd_host_call_release), and one more while advance() runs,
 * because a sink call may end the call and release the leg under advance's feet. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/call.h"
#include "amd/detector.h"
#include "amd/host.h"
#include "driver.h"
#include "store.h"

/* 20 ms frames: the engine's media clock (calls.c TICK_MS). */
#define FRAME_MS 20
#define MAX_RATE 48000
#define MAX_FRAME (MAX_RATE / (1000 / FRAME_MS))
/* At most this much buffered audio goes to the detector per tick: a host that feeds a whole
 * file at once is consumed at 50x real time instead of stalling one tick for all of it,
 * which would make every other call's frames late (each tick has 20 ms). */
#define MAX_FRAMES_PER_TICK 50

typedef struct host {
    amd_host_callbacks cb;
    float work[MAX_FRAMES_PER_TICK * MAX_FRAME]; /* engine thread only */
} host;

struct amdi_leg {
    pthread_mutex_t mu;
    int refs;
    host *h;
    char sid[35];
    void *user;
    /* reported by the host (under mu) */
    int ringing, rate, refused, refuse_sip, far_hangup, host_released;
    amd_call_status refuse_status;
    float *in;
    size_t in_off, in_n, in_cap, in_max;
    /* engine side (engine thread only) */
    int rep_ringing, rep_answered, over, engine_released, hangup_sent;
};

static void unref(amdi_leg *l)
{
    pthread_mutex_lock(&l->mu);
    int n = --l->refs;
    pthread_mutex_unlock(&l->mu);
    if (n)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l->in);
    free(l);
}

static int host_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    host *h = drv;
    *out = NULL;
    amdi_leg *l = calloc(1, sizeof *l);
    if (!l)
        return AMD_ENOMEM;
    if (pthread_mutex_init(&l->mu, NULL)) {
        free(l);
        return AMD_ENOMEM;
    }
    l->refs = 2; /* engine + host */
    l->h = h;
    snprintf(l->sid, sizeof l->sid, "%s", req->call_sid ? req->call_sid : "");
    int rc = h->cb.dial(h->cb.user, (amd_host_call *)l, l->sid, req->to, req->from ? req->from : "");
    if (rc) {
        pthread_mutex_destroy(&l->mu);
        free(l->in);
        free(l);
        return rc < 0 ? rc : AMD_EIO;
    }
    *out = l;
    return 0;
}

static void host_advance(void *drv, amdi_leg *l, int64_t now, const amdi_leg_sink *k, void *ctx)
{
    host *h = drv;
    (void)now;
    if (l->over)
        return;
    pthread_mutex_lock(&l->mu);
    l->refs++;
    int ringing = l->ringing, rate = l->rate, refused = l->refused, sip = l->refuse_sip;
    int gone = l->far_hangup || l->host_released;
    amd_call_status status = l->refuse_status;
    size_t take = 0, fn = rate > 0 ? (size_t)rate / (1000 / FRAME_MS) : 0;
    int drained = 1;
    if (rate > 0 && !refused) {
        size_t avail = l->in_n - l->in_off, cap = MAX_FRAMES_PER_TICK * fn;
        take = gone ? avail : avail / fn * fn; /* a partial last frame only once the far end is gone */
        if (take > cap)
            take = cap;
        memcpy(h->work, l->in + l->in_off, take * sizeof(float));
        l->in_off += take;
        if (l->in_off == l->in_n)
            l->in_off = l->in_n = 0;
        drained = l->in_n == 0;
    }
    pthread_mutex_unlock(&l->mu);

    if (!l->rep_ringing && (ringing || rate > 0)) {
        l->rep_ringing = 1;
        k->ringing(ctx);
        if (l->engine_released)
            goto out;
    }
    if (refused && !l->rep_answered) {
        l->over = 1;
        k->refused(ctx, status, sip);
        goto out;
    }
    if (rate > 0 && !l->rep_answered) {
        l->rep_answered = 1;
        k->answered(ctx, rate);
        if (l->engine_released)
            goto out;
    }
    if (l->rep_answered) {
        for (size_t off = 0; off < take; off += fn) {
            size_t n = take - off < fn ? take - off : fn;
            if (n < fn) /* pad the last partial frame: the engine's frames are whole */
                memset(h->work + off + n, 0, (fn - n) * sizeof(float));
            k->audio(ctx, h->work + off, fn);
            if (l->engine_released)
                goto out;
        }
        if (gone && drained) {
            l->over = 1;
            k->remote_hangup(ctx);
        }
    } else if (gone) {
        /* the host gave up (or the far end went away) before answering */
        l->over = 1;
        k->refused(ctx, AMD_CALL_FAILED, 487);
    }
out:
    unref(l);
}

static void host_release(void *drv, amdi_leg *l)
{
    host *h = drv;
    pthread_mutex_lock(&l->mu);
    l->engine_released = 1;
    int tell = !l->host_released && !l->hangup_sent;
    l->hangup_sent = 1;
    pthread_mutex_unlock(&l->mu);
    if (tell)
        h->cb.hangup(h->cb.user, (amd_host_call *)l);
    unref(l);
}

static void host_observe(void *drv, const struct amdi_call_rec *rec, const char *status, int amd)
{
    host *h = drv;
    if (!h->cb.event)
        return;
    amd_host_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = amd ? AMD_HOST_EVENT_AMD : AMD_HOST_EVENT_STATUS;
    ev.call_sid = rec->sid;
    ev.status = status ? status : amd_call_status_name(rec->status);
    ev.answered_by = amd_answered_by_name(rec->answered_by);
    ev.amd_duration_ms = rec->answered_by != AMD_ANSWERED_NONE ? rec->amd_duration_ms : 0;
    amd_call_status st;
    ev.final = !amd_call_status_parse(ev.status, &st) && amd_call_status_is_final(st);
    ev.duration_s = ev.final && rec->duration_s > 0 ? rec->duration_s : 0;
    h->cb.event(h->cb.user, &ev);
}

static void host_destroy(void *drv)
{
    free(drv);
}

static const amdi_driver_ops k_host_ops = {.name = "host",
                                           .dial = host_dial,
                                           .advance = host_advance,
                                           .release = host_release,
                                           .destroy = host_destroy,
                                           .observe = host_observe};

int amd_server_create_host(const amd_server_config *cfg, const amd_host_callbacks *cb, amd_server **out, char *err,
                           size_t errlen)
{
    if (out)
        *out = NULL;
    if (!cb || !cb->dial || !cb->hangup || !cb->event) {
        if (err && errlen)
            snprintf(err, errlen, "host callbacks: dial, hangup and event are required");
        return AMD_EINVAL;
    }
    host *h = calloc(1, sizeof *h);
    if (!h)
        return AMD_ENOMEM;
    h->cb = *cb;
    amdi_driver d = {&k_host_ops, h};
    return amdi_server_create_with(cfg, &d, out, err, errlen);
}

/* ------------------------------------------------------------------ the host's side */

const char *amd_host_call_sid(const amd_host_call *call)
{
    return call ? ((const amdi_leg *)call)->sid : "";
}

void amd_host_call_set_user(amd_host_call *call, void *user)
{
    if (call)
        ((amdi_leg *)call)->user = user;
}

void *amd_host_call_user(const amd_host_call *call)
{
    return call ? ((const amdi_leg *)call)->user : NULL;
}

/* Progress reports may come only before the call is over, and answer only once. */
static int report(amd_host_call *call, int what, int arg)
{
    amdi_leg *l = (amdi_leg *)call;
    if (!l)
        return AMD_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    if (l->engine_released || l->host_released || l->refused || l->far_hangup) {
        rc = AMD_ESTATE;
    } else if (what == 0) { /* ringing */
        if (l->rate)
            rc = AMD_ESTATE;
        else
            l->ringing = 1;
    } else if (what == 1) { /* answered */
        if (l->rate) {
            rc = AMD_ESTATE;
        } else {
            size_t cap = (size_t)arg; /* one second to start with; grows on demand */
            l->in = malloc(cap * sizeof *l->in);
            if (!l->in) {
                rc = AMD_ENOMEM;
            } else {
                l->in_cap = cap;
                l->in_max = (size_t)arg * (AMD_HOST_MAX_BUFFER_MS / 1000);
                l->rate = arg;
            }
        }
    } else if (what == 2 || what == 3) { /* busy / failed */
        if (l->rate) {
            rc = AMD_ESTATE;
        } else {
            l->refused = 1;
            l->refuse_sip = what == 2 ? 486 : (arg ? arg : 503);
            l->refuse_status = what == 2 ? AMD_CALL_BUSY : AMD_CALL_FAILED;
        }
    } else { /* far-end hang-up */
        if (!l->rate)
            rc = AMD_ESTATE;
        else
            l->far_hangup = 1;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int amd_host_call_ringing(amd_host_call *call)
{
    return report(call, 0, 0);
}

int amd_host_call_answered(amd_host_call *call, int sample_rate)
{
    /* the detector's range (detector.h: 8..48 kHz) */
    if (sample_rate < 8000 || sample_rate > MAX_RATE)
        return AMD_EINVAL;
    return report(call, 1, sample_rate);
}

int amd_host_call_busy(amd_host_call *call)
{
    return report(call, 2, 0);
}

int amd_host_call_failed(amd_host_call *call, int sip_code)
{
    return report(call, 3, sip_code);
}

int amd_host_call_hangup(amd_host_call *call)
{
    return report(call, 4, 0);
}

/* Room for @p n more samples at the end of the buffer (under mu). */
static int room(amdi_leg *l, size_t n)
{
    if (l->in_n + n <= l->in_cap)
        return 0;
    if (l->in_off) { /* move the unread part to the front first */
        memmove(l->in, l->in + l->in_off, (l->in_n - l->in_off) * sizeof *l->in);
        l->in_n -= l->in_off;
        l->in_off = 0;
        if (l->in_n + n <= l->in_cap)
            return 0;
    }
    if (l->in_n + n > l->in_max)
        return AMD_ELIMIT;
    size_t cap = l->in_cap * 2;
    while (cap < l->in_n + n)
        cap *= 2;
    if (cap > l->in_max)
        cap = l->in_max;
    float *p = realloc(l->in, cap * sizeof *p);
    if (!p)
        return AMD_ENOMEM;
    l->in = p;
    l->in_cap = cap;
    return 0;
}

enum { F_S16, F_FLOAT, F_ULAW };

static int feed(amd_host_call *call, const void *pcm, size_t n, int fmt)
{
    amdi_leg *l = (amdi_leg *)call;
    if (!l || (!pcm && n))
        return AMD_EINVAL;
    if (!n)
        return 0;
    if (fmt == F_FLOAT) {
        const float *f = pcm;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(f[i]))
                return AMD_EINVAL;
    }
    pthread_mutex_lock(&l->mu);
    int rc = 0;
    if (!l->rate || l->far_hangup || l->host_released || l->engine_released)
        rc = AMD_ESTATE;
    else
        rc = room(l, n);
    if (!rc) {
        float *d = l->in + l->in_n;
        if (fmt == F_S16) {
            const int16_t *s = pcm;
            for (size_t i = 0; i < n; i++)
                d[i] = s[i] * (1.0f / 32768.0f);
        } else if (fmt == F_ULAW) {
            const uint8_t *u = pcm;
            for (size_t i = 0; i < n; i++)
                d[i] = amd_ulaw_decode(u[i]) * (1.0f / 32768.0f);
        } else {
            const float *f = pcm;
            for (size_t i = 0; i < n; i++)
                d[i] = f[i] > 1.0f ? 1.0f : f[i] < -1.0f ? -1.0f : f[i];
        }
        l->in_n += n;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int amd_host_call_feed_s16(amd_host_call *call, const int16_t *pcm, size_t n)
{
    return feed(call, pcm, n, F_S16);
}

int amd_host_call_feed_float(amd_host_call *call, const float *pcm, size_t n)
{
    return feed(call, pcm, n, F_FLOAT);
}

int amd_host_call_feed_ulaw(amd_host_call *call, const uint8_t *ulaw, size_t n)
{
    return feed(call, ulaw, n, F_ULAW);
}

void amd_host_call_release(amd_host_call *call)
{
    amdi_leg *l = (amdi_leg *)call;
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->host_released = 1;
    pthread_mutex_unlock(&l->mu);
    unref(l);
}
