/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The outbound media path: our side of an answered call, what the far end hears.
 *
 * Every answered call owns one player (media/player.h) from answer until it is freed: the
 * TwiML executor (and any other part of the engine, on the tick thread) queues sources on
 * it - decoded audio, silence, DTMF keys, a synthesis stream - and the media tick pulls
 * exactly one 20 ms frame (AMDI_MEDIA_FRAME samples at AMDI_MEDIA_RATE, 8 kHz) per call per
 * tick. Pulling never blocks, allocates or frees; fetching, decoding and synthesis happen
 * on workers ahead of need (a stream not filled yet plays silence).
 *
 * Per tick (service_call in calls.c), for an answered call:
 *   1. amdi_outbound_tick: the next frame (the player's, plus anything injected for this
 *      tick) goes to the driver's send_audio (driver.h; SIP encodes it to the negotiated
 *      G.711 law and sends it as RTP) and is kept for the recording;
 *   2. advance(): the far-end audio the driver reports is written to the call's recording
 *      together with that frame (amdi_outbound_record): channel 1 of a dual recording,
 *      RecordingTrack=outbound or both of a mono one;
 *   3. the executor polls the player (amdi_player_poll) for finished sources.
 * So a source queued in tick T is heard from tick T + 1 (20 ms later).
 *
 * Ownership: the player is c->out (NULL before answer); it is destroyed with the call
 * (amdi_calls_live_free), which cancels any stream still being synthesized.
 * Threading: the tick thread only (under the engine mutex), like the rest of a call. */
#ifndef AMDI_OUTBOUND_H
#define AMDI_OUTBOUND_H

#include <stddef.h>

#include "media/player.h"

struct live;
struct amdi_calls;

/* Sources one call may have queued, playing or finished-unpolled at once. */
#define AMDI_OUTBOUND_QUEUE 64

/* Create the call's player at answer. 0, or AMD_ENOMEM (the call then stays silent: every
 * function below accepts a call without one). Calling it again keeps the existing player. */
int amdi_outbound_open(struct live *c);
/* Media tick: pull the call's next 20 ms frame and hand it to the driver. */
void amdi_outbound_tick(struct amdi_calls *e, struct live *c);
/* Add @p pcm (AMDI_MEDIA_FRAME samples, 8 kHz) to the frame of the NEXT tick, on top of
 * whatever the player plays (summed and clipped to [-1, 1]); several injections add up. For
 * audio produced on the tick thread itself, e.g. another leg's far end (a bridge). */
void amdi_outbound_inject(struct live *c, const float *pcm);
/* End everything queued or playing now (update / <Redirect> / hang-up): the next frame is
 * silence; the sources' completions are still reported by amdi_player_poll as STOPPED. */
void amdi_outbound_stop(struct live *c);
/* Write @p n samples of far-end audio at the recording's rate to the call's recording (if
 * any), paired with this tick's outbound frame (converted to that rate); the samples beyond
 * the first 20 ms of a tick pair with silence. A failed write marks the recording failed. */
void amdi_outbound_record(struct amdi_calls *e, struct live *c, const float *inbound, size_t n);

#endif
