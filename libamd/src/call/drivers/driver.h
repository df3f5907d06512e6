/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The carrier driver interface: how the call server
 * places a call leg and how the far end's progress and audio come back. Three drivers
 * implement it: `sim` (a simulated carrier over a dial plan, sim.c), `host` (the embedding
 * application's media through C calls, host_driver.c, amd/host.h) and `sip` (SIP and RTP
 * through libre, sip_driver.c). All of its functions are called on the media clock's thread. */
#ifndef AMDI_DRIVER_H
#define AMDI_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "amd/call.h"

typedef struct amdi_leg amdi_leg; /* driver-private per-call state */
struct amdi_call_rec;               /* store.h */

/* What the driver reports about a leg, in order, from inside advance(). */
typedef struct amdi_leg_sink {
    void (*ringing)(void *ctx);
    void (*answered)(void *ctx, int sample_rate);
    /* The far end refused: @p status AMD_CALL_BUSY, AMD_CALL_NO_ANSWER or AMD_CALL_FAILED, with
     * the SIP response code (RFC 3261 section 21) that said so. The leg is over. */
    void (*refused)(void *ctx, amd_call_status status, int sip_code);
    /* 20 ms of far-end audio (sample_rate / 50 floats in [-1, 1]). */
    void (*audio)(void *ctx, const float *pcm, size_t n);
    /* The far end hung up after answering. */
    void (*remote_hangup)(void *ctx);
    /* Optional (NULL: feed silence through audio): @p n samples of far-end audio that were
     * lost (a jitter-buffer gap), in place of an audio() call for that stretch. */
    void (*lost)(void *ctx, size_t n);
    /* Optional: the far end pressed @p key (0-9 * # A-D), received as an RFC 4733
     * telephone-event; once per key press, after the audio that came before it. */
    void (*digit)(void *ctx, char key);
} amdi_leg_sink;

/* What to dial: everything a driver may need to place one call leg. */
typedef struct amdi_dial_request {
    const char *call_sid;  /* the server's call SID (CA...) */
    const char *to, *from; /* as given to the Calls resource */
    const char *auth_user; /* SipAuthUsername / SipAuthPassword (RFC 3261 digest credentials); */
    const char *auth_pass; /* NULL when the call has none */
    int64_t now_ms;        /* engine time of the dial */
} amdi_dial_request;

typedef struct amdi_driver_ops {
    const char *name;
    /* Start placing the call @p req describes (its strings are borrowed for the call only).
     * 0 and *out, or an AMD_E* code. */
    int (*dial)(void *drv, const amdi_dial_request *req, amdi_leg **out);
    /* Advance the leg to @p now_ms (called every 20 ms of engine time). */
    void (*advance)(void *drv, amdi_leg *leg, int64_t now_ms, const amdi_leg_sink *sink, void *ctx);
    /* Hang up / cancel from our side and free the leg. */
    void (*release)(void *drv, amdi_leg *leg);
    void (*destroy)(void *drv);
    /* Optional: told of every status change (@p amd 0; @p status is the callback's status, e.g.
     * "initiated", while rec->status is the resource's) after the transition is queued for the
     * store, and of the AMD result (@p amd 1), of any call, also one that never had a leg. */
    void (*observe)(void *drv, const struct amdi_call_rec *rec, const char *status, int amd);
    /* Optional: play the call's SendDigits (0-9 * # A-D; w = 0.5 s, W = 1 s pause) to the far
     * end; called once, right after the leg reported answered. */
    void (*send_digits)(void *drv, amdi_leg *leg, const char *digits);
    /* Optional: our side's audio, what the far end hears. Called once per media tick (every
     * 20 ms of engine time) for every answered leg, before advance(), with the next frame of
     * the call's outbound media path: @p n == AMDI_DRIVER_OUT_FRAME samples at
     * AMDI_DRIVER_OUT_RATE, floats in [-1, 1] (silence when nothing plays, so a driver can send
     * every frame it gets). @p digit is the DTMF key (0-9 A-D * #) whose in-band tone this
     * frame carries, or 0: a driver that can signal keys out of band sends them as RFC 4733
     * telephone-events while the key lasts (start when it appears, end when it goes back to
     * 0), in place of the tone. Must not block; @p pcm is borrowed for the call only. A driver
     * without it drops our side's audio (the sim driver: the engine's recording carries it). */
    void (*send_audio)(void *drv, amdi_leg *leg, const float *pcm, size_t n, char digit);
} amdi_driver_ops;

/* The outbound frame format of send_audio: 8 kHz (ITU-T G.711), 20 ms. */
#define AMDI_DRIVER_OUT_RATE 8000
#define AMDI_DRIVER_OUT_FRAME 160

typedef struct amdi_driver {
    const amdi_driver_ops *ops;
    void *state;
} amdi_driver;

/* Create an amd_server (server.h) over @p drv instead of the simulated carrier; the server
 * owns the driver from here on, also when this fails. NULL: the sim driver over
 * cfg->dialplan_path (what amd_server_create does). Defined in server.c. */
struct amd_server;
struct amd_server_config;
int amdi_server_create_with(const struct amd_server_config *cfg, const amdi_driver *drv, struct amd_server **out,
                            char *err, size_t errlen);

#endif
