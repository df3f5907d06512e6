/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The outbound frame player: what our side of a call says. A queue of sources played one
 * after another, gaplessly, 20 ms (AMDI_MEDIA_FRAME samples at 8 kHz, float in [-1, 1], the
 * format of the carrier drivers' frames) per amdi_player_frame call.
 *
 * Sources: decoded audio (<Play>, with loop), silence (<Pause>), DTMF keys (<Play digits>,
 * dtmf_gen.h) and a stream another thread fills (<Say>, stream.h). When the queue is empty the
 * frame is silence. A stream that has not produced enough yet yields silence for the missing
 * part: before its first sample that is a wait (counted in wait_frames), afterwards an
 * underrun (counted in underruns).
 *
 * The per-frame path never blocks, allocates or frees: a finished source stays in its slot
 * until amdi_player_poll hands its completion to the caller (the TwiML executor, which then
 * advances to the next verb) and releases its resources there.
 *
 * Threading: one thread (the media tick / executor) uses a player; only streams are shared
 * with their producers. */
#ifndef AMDI_MEDIA_PLAYER_H
#define AMDI_MEDIA_PLAYER_H

#include <stddef.h>
#include <stdint.h>

#include "media/pcm.h"
#include "media/stream.h"

typedef struct amdi_player amdi_player;

typedef enum {
    AMDI_PLAY_DONE = 0,   /* played to its end (every loop) */
    AMDI_PLAY_STOPPED = 1 /* cut by amdi_player_stop (barge-in, hang-up, <Gather> key) */
} amdi_play_end;

/* A finished source, as amdi_player_poll reports it. */
typedef struct amdi_player_done {
    uint32_t id;        /* as returned by the amdi_player_add_* call */
    amdi_play_end end;
    uint64_t samples;   /* samples of this source that went out (8 kHz) */
} amdi_player_done;

typedef struct amdi_player_stats {
    uint64_t frames;      /* amdi_player_frame calls */
    uint64_t busy_frames; /* frames in which a source was playing */
    uint64_t underruns;   /* frames a started stream could not fill */
    uint64_t wait_frames; /* frames a stream produced nothing yet (synthesis latency) */
} amdi_player_stats;

/* A player with room for @p capacity sources (queued, playing, or finished and not yet
 * polled; 1..4096). 0 and *out, AMD_EINVAL or AMD_ENOMEM. All memory is allocated here. */
int amdi_player_create(size_t capacity, amdi_player **out);
/* Stop everything (streams are cancelled), release every source, free. NULL is ignored. */
void amdi_player_destroy(amdi_player *p);

/* Queue sources. Each returns 0 and the source's id in *id (when not NULL), AMD_ELIMIT when
 * the queue is full, AMD_EINVAL for bad arguments; on failure nothing is queued and no
 * reference is taken. @p loop: times to play, 0 = until stopped (Twilio's loop="0"). */
/* Takes its own reference on @p pcm (the caller keeps its own). */
int amdi_player_add_pcm(amdi_player *p, amdi_pcm *pcm, unsigned loop, uint32_t *id);
int amdi_player_add_silence(amdi_player *p, uint32_t ms, uint32_t *id);
/* @p digits as amdi_dtmf_validate accepts (else AMD_EINVAL: Twilio's 13430); copied. */
int amdi_player_add_digits(amdi_player *p, const char *digits, uint32_t *id);
/* Takes its own reference on @p s. @p loop other than 1 needs a retained stream (replayed
 * from its start once finished), else AMD_EINVAL. */
int amdi_player_add_stream(amdi_player *p, amdi_stream *s, unsigned loop, uint32_t *id);

/* Fill @p out with the next 20 ms. Returns 1 when a source was playing, 0 when idle. */
int amdi_player_frame(amdi_player *p, float out[AMDI_MEDIA_FRAME]);
/* The DTMF key (0-9 A-D * #) whose tone sounded in the last frame, or 0: a SIP driver sends
 * it as RFC 4733 telephone-events (event start when it appears, end when it goes back to 0)
 * alongside or instead of the in-band tone. */
char amdi_player_frame_digit(const amdi_player *p);
/* Take the oldest finished source: 1 and *done, or 0 when none finished. */
int amdi_player_poll(amdi_player *p, amdi_player_done *done);
/* End every queued and playing source now (AMDI_PLAY_STOPPED); the next frame is silence.
 * Streams are cancelled so their producers stop. */
void amdi_player_stop(amdi_player *p);
/* Sources queued or playing (not counting finished ones waiting for poll). */
size_t amdi_player_pending(const amdi_player *p);
void amdi_player_get_stats(const amdi_player *p, amdi_player_stats *st);

#endif
