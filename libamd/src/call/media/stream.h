/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * A stream of 8 kHz mono float audio written by one producer thread (a speech-synthesis
 * worker) ahead of need and read by one consumer (the player on the media tick).
 *
 * How it works: a singly linked list of fixed-size chunks. The producer appends samples,
 * allocating chunks as needed, and publishes each write with a release store; the consumer
 * reads with acquire loads and never allocates, frees or blocks. Chunks the consumer has
 * passed are freed by the producer on its next write (or with the stream), unless the stream
 * was created with @p retain, which keeps every sample so the consumer can replay it (<Say loop>).
 *
 * Threading: exactly one producer and one consumer; the reference count, the finish and
 * cancel flags are atomic. Memory held is what is written and not yet read (plus everything
 * when retained). */
#ifndef AMDI_MEDIA_STREAM_H
#define AMDI_MEDIA_STREAM_H

#include <stddef.h>

typedef struct amdi_stream amdi_stream;

/* A stream with one reference, or NULL when out of memory. */
amdi_stream *amdi_stream_create(int retain);
amdi_stream *amdi_stream_ref(amdi_stream *s);
/* 1 when created with @p retain (replayable). */
int amdi_stream_retained(const amdi_stream *s);
/* Drop a reference; the last frees every chunk. NULL is ignored. */
void amdi_stream_unref(amdi_stream *s);

/* Producer: append @p n samples. 0, or AMD_ENOMEM (nothing written past the failure). */
int amdi_stream_write(amdi_stream *s, const float *pcm, size_t n);
/* Producer: no more samples will come (also after a failure: the consumer then ends). */
void amdi_stream_finish(amdi_stream *s);
/* Either side: 1 once the consumer cancelled (the producer should stop). */
int amdi_stream_cancelled(const amdi_stream *s);

/* Consumer: copy up to @p n samples into @p out; returns how many (0 when none is ready). */
size_t amdi_stream_read(amdi_stream *s, float *out, size_t n);
/* Consumer: 1 when the producer finished and every sample has been read. */
int amdi_stream_drained(amdi_stream *s);
/* Consumer: samples written and not yet read (a snapshot). */
size_t amdi_stream_available(amdi_stream *s);
/* Consumer: start reading again from the first sample (only for a retained stream that is
 * finished; else AMD_ESTATE). */
int amdi_stream_rewind(amdi_stream *s);
/* Consumer: tell the producer to stop; reading goes on returning what was written. */
void amdi_stream_cancel(amdi_stream *s);

#endif
