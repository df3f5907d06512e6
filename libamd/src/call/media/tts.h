/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). <Say> speech synthesis with espeak-ng, streamed into the player.
 *
 * espeak-ng keeps global state, so one worker thread owns it and serves every call from a
 * request queue. amdi_tts_say queues the text and returns at once with a stream (stream.h)
 * the worker fills: espeak-ng synthesizes at 22050 Hz in ~20 ms pieces, each resampled to
 * 8 kHz (resample.h) and published immediately, so the first frame can go out long before the
 * sentence is done. Requests are served a piece at a time: a new request's first clause goes
 * ahead of requests already speaking (they have audio buffered), then round robin one sentence
 * (at most AMDI_TTS_PIECE_BYTES) at a time, so a long text or a burst of calls does not hold
 * up another call's first audio.
 * A cancelled stream (player stop, hang-up) is dropped at the next piece or sooner.
 *
 * <Say loop>: create the request with @p retain and give the player the loop count
 * (amdi_player_add_stream); the speech is synthesized once and replayed.
 *
 * Threading: amdi_tts_say may be called from any thread. One amdi_tts per process at a time
 * (espeak-ng's global state): a second create fails with AMD_ESTATE. */
#ifndef AMDI_MEDIA_TTS_H
#define AMDI_MEDIA_TTS_H

#include <stddef.h>

#include "media/stream.h"
#include "media/tts_voices.h"

/* Twilio's limit for the basic voices' text (TW/api/errors/13521), in bytes. */
#define AMDI_TTS_MAX_TEXT 4096
/* The largest piece synthesized before the worker turns to the next request; a request's
 * first piece is one clause of at most AMDI_TTS_FIRST_PIECE_BYTES. */
#define AMDI_TTS_PIECE_BYTES 400
#define AMDI_TTS_FIRST_PIECE_BYTES 120
/* Twilio's <Say> warnings: empty text, text too long (TW/api/errors/13520, /13521). */
#define AMDI_TWILIO_SAY_EMPTY AMDI_TWERR_SAY_EMPTY
#define AMDI_TWILIO_SAY_TOO_LONG AMDI_TWERR_SAY_TOO_LONG

typedef struct amdi_tts amdi_tts;

/* Initialise espeak-ng (its data from the Debian package's default path) and start the worker.
 * 0 and *out, AMD_ESTATE (one exists already), AMD_EIO (espeak-ng failed to initialise),
 * AMD_ENOMEM. */
int amdi_tts_create(amdi_tts **out, char *err, size_t errlen);
/* Stop the worker (requests not yet done are finished short). espeak-ng itself stays
 * initialised for the process (see tts.c), ready for the next amdi_tts. */
void amdi_tts_destroy(amdi_tts *t);

/* Twilio's warning for @p text as <Say> content: 0, AMDI_TWILIO_SAY_EMPTY (nothing but
 * white space) or AMDI_TWILIO_SAY_TOO_LONG. */
int amdi_tts_check_text(const char *text);
/* Queue @p text (UTF-8, copied) in @p voice; *out gets a stream with a reference for the
 * caller (the worker holds its own until it finished). @p retain: keep the samples for replay
 * (loop). 0, AMD_EINVAL (empty or NULL text / voice), AMD_ELIMIT (longer than
 * AMDI_TTS_MAX_TEXT), AMD_ENOMEM. */
int amdi_tts_say(amdi_tts *t, const char *text, const amdi_tts_voice *voice, int retain, amdi_stream **out);
/* espeak-ng's output rate (Hz), for information. */
int amdi_tts_native_rate(const amdi_tts *t);

#endif
