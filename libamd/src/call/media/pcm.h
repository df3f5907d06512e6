/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Decoded outbound audio shared by reference: an immutable buffer of 8 kHz mono float samples
 * in [-1, 1]. The audio cache (cache.h) and every player that plays it (player.h) each hold a
 * reference, so a call keeps its buffer even after the cache evicted it.
 * Threading: amdi_pcm_ref / amdi_pcm_unref are atomic and may be called from any thread; the
 * samples never change after amdi_pcm_create returned. */
#ifndef AMDI_MEDIA_PCM_H
#define AMDI_MEDIA_PCM_H

#include <stddef.h>

/* The outbound media format of every call: 8 kHz (G.711, ITU-T G.711 §2), 20 ms frames. */
#define AMDI_MEDIA_RATE 8000
#define AMDI_MEDIA_FRAME 160

typedef struct amdi_pcm {
    const float *samples; /* n samples at AMDI_MEDIA_RATE */
    size_t n;
    /* private */
    float *owned_;
    long refs_; /* atomic */
} amdi_pcm;

/* Take ownership of @p samples (malloc'ed, @p n samples; may be NULL when n == 0) and return a
 * buffer with one reference, or NULL (the samples are freed) when memory runs out. */
amdi_pcm *amdi_pcm_create(float *samples, size_t n);
/* Add a reference; returns @p p. */
amdi_pcm *amdi_pcm_ref(amdi_pcm *p);
/* Drop a reference; the last one frees the buffer. NULL is ignored. */
void amdi_pcm_unref(amdi_pcm *p);
/* Bytes the buffer occupies (for cache accounting). */
size_t amdi_pcm_bytes(const amdi_pcm *p);

#endif
