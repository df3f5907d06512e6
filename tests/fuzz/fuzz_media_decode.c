/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the <Play> audio decoder (media/decode.h): the bytes an application's URL returns, with
 * the Content-Type it claims, through libsndfile's container / codec parsers and the resampler.
 *
 * Input: byte 0 picks the Content-Type (a list of real and hostile ones, including the
 * headerless G.711 / L16 types with rate and channel parameters), the rest is the body.
 *
 * Checked beyond the sanitizers: failures are the documented codes with a message and no
 * buffer; a decoded buffer is within the duration cap and every sample is finite and in
 * [-1, 1]; decoding the same bytes twice gives the same samples (determinism).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "media/decode.h"

#define CHECK(cond)                                                                                  \
    do {                                                                                             \
        if (!(cond)) {                                                                               \
            fprintf(stderr, "fuzz_media_decode: contract broken: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                                 \
        }                                                                                            \
    } while (0)

static const char *const TYPES[] = {
    NULL, "", "audio/wav", "audio/mpeg", "audio/x-wav", "audio/ogg", "audio/flac", "application/octet-stream",
    "audio/ulaw", "audio/x-mulaw;rate=16000", "audio/alaw; rate=8000; channels=2", "audio/L16;rate=44100",
    "audio/l16;rate=0", "audio/pcmu;rate=999999999999", "audio/basic", "text/html", "text/xml; charset=utf-8",
    "audio/l16;channels=-1", "audio/aiff", "AUDIO/WAV ; x=1",
};

/* A minute of audio reaches every code path and keeps one execution short. */
#define MAX_SECONDS 60.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *ct = TYPES[data[0] % (sizeof TYPES / sizeof TYPES[0])];
    const amdi_decode_opts o = {.max_input_bytes = 1 << 20, .max_seconds = MAX_SECONDS};
    amdi_pcm *p = (amdi_pcm *)&o; /* must be overwritten */
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = amdi_audio_decode(data + 1, size - 1, ct, &o, &p, err, sizeof err);
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    if (rc != 0) {
        CHECK(rc == AMD_EFORMAT || rc == AMD_ELIMIT || rc == AMD_ENOMEM);
        CHECK(p == NULL && err[0] != '\0');
        CHECK(amdi_decode_twilio_code(rc) == 13420);
        return 0;
    }
    CHECK(p != NULL);
    CHECK(p->n <= (size_t)(MAX_SECONDS * AMDI_MEDIA_RATE) + 1);
    for (size_t i = 0; i < p->n; i++)
        CHECK(isfinite(p->samples[i]) && p->samples[i] >= -1.0f && p->samples[i] <= 1.0f);
    amdi_pcm *q = NULL;
    CHECK(amdi_audio_decode(data + 1, size - 1, ct, &o, &q, err, sizeof err) == 0);
    CHECK(q->n == p->n && (p->n == 0 || memcmp(q->samples, p->samples, p->n * sizeof(float)) == 0));
    amdi_pcm_unref(q);
    amdi_pcm_unref(p);
    return 0;
}
