/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * <Play> audio: the bytes a fetch returned → 8 kHz mono float PCM for the player.
 *
 * Containers and codecs are libsndfile's, read from memory through its virtual I/O: WAV (PCM,
 * float, µ-law, A-law, GSM 6.10, IMA ADPCM), AIFF / AIFC, AU, CAF, FLAC, Ogg Vorbis / Opus and,
 * when the installed libsndfile has it (Debian 12's 1.2.0 does: amdi_decode_mp3_supported), MP3.
 * Headerless G.711 and L16, which libsndfile cannot recognise, are taken from the Content-Type
 * (`audio/basic`, `audio/ulaw`, `audio/x-mulaw`, `audio/pcmu` → µ-law; `audio/alaw`,
 * `audio/x-alaw`, `audio/pcma` → A-law; `audio/l16` → big-endian s16, RFC 3551 §4.5.11), at the
 * type's `rate=` (default 8000 Hz) and `channels=` (default 1). Channels are averaged to mono
 * and the rate is converted with SpeexDSP (resample.h).
 *
 * Bad input is refused, never guessed at: a Content-Type that is not audio (text/html from an
 * error page, say: Twilio requires the header to match the bytes), bytes no decoder recognises,
 * absurd headers (rate outside 1000..384000 Hz, 0 or > 64 channels), NaN / Inf samples, more
 * than max_input_bytes of input or more than max_seconds of audio. Twilio reports all of these
 * on <Play> as warning 13420 and skips the verb (amdi_decode_twilio_code).
 *
 * Threading: reentrant; run it on a worker, never on the media tick (it allocates and may take
 * tens of milliseconds per minute of compressed audio). */
#ifndef AMDI_MEDIA_DECODE_H
#define AMDI_MEDIA_DECODE_H

#include <stddef.h>

#include "media/pcm.h"
#include "twilio_errors.h"

/* Defaults: 64 MiB of input; 40 minutes of audio, the length Twilio says a <Play> file should
 * stay under (TW/voice/twiml/play: longer files may drop the call); 40 min at 8 kHz float is
 * 77 MB of output. */
#define AMDI_DECODE_MAX_INPUT ((size_t)64 << 20)
#define AMDI_DECODE_MAX_SECONDS 2400.0

typedef struct amdi_decode_opts {
    size_t max_input_bytes; /* 0 = AMDI_DECODE_MAX_INPUT */
    double max_seconds;     /* 0 = AMDI_DECODE_MAX_SECONDS */
} amdi_decode_opts;

/* Twilio's <Play> warning for a decode failure: 13420 for every error code, 0 for 0. */
#define AMDI_TWILIO_PLAY_BAD_AUDIO AMDI_TWERR_PLAY_BAD_AUDIO

/* Decode @p len bytes at @p data, served with @p content_type (NULL or "" = unknown: sniff
 * only). @p opts NULL = defaults. 0 and *out (one reference, 8 kHz mono), or AMD_EINVAL
 * (arguments), AMD_EFORMAT (not audio / undecodable / bad header / non-finite samples),
 * AMD_ELIMIT (too large or too long), AMD_ENOMEM; @p err gets a one-line reason. */
int amdi_audio_decode(const void *data, size_t len, const char *content_type, const amdi_decode_opts *opts,
                      amdi_pcm **out, char *err, size_t errlen);
int amdi_decode_twilio_code(int rc);
/* 1 when the linked libsndfile decodes MP3 (MPEG-1/2 layer III). */
int amdi_decode_mp3_supported(void);

#endif
