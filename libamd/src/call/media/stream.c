/* SPDX-License-Identifier: MIT */
/* Single-producer / single-consumer chunked audio stream (stream.h). */
#include "media/stream.h"

#include <stdlib.h>
#include <string.h>

#include "amd/error.h"

/* 0.25 s at 8 kHz: small enough that the first audio is published quickly, large enough that
 * a minute of speech is 240 allocations. */
#define CHUNK 2000

typedef struct chunk {
    struct chunk *next; /* atomic: set once by the producer */
    size_t fill;        /* atomic: samples published, only grows */
    float s[CHUNK];
} chunk;

struct amdi_stream {
    long refs;        /* atomic */
    int finished;     /* atomic */
    int cancelled;    /* atomic */
    int retain;
    chunk *first;     /* oldest chunk not yet freed (producer's, and the destructor's) */
    chunk *tail;      /* producer: the chunk being filled */
    size_t freed;     /* producer: chunks freed so far */
    chunk *rd;        /* consumer: chunk being read */
    size_t rd_pos;    /* consumer: samples read from rd */
    size_t rd_done;   /* atomic: chunks the consumer has left for good */
    size_t written;   /* atomic: total samples published */
    size_t read;      /* consumer: total samples read since the last rewind */
};

amdi_stream *amdi_stream_create(int retain)
{
    amdi_stream *s = calloc(1, sizeof *s);
    chunk *c = calloc(1, sizeof *c);
    if (!s || !c) {
        free(s);
        free(c);
        return NULL;
    }
    s->refs = 1;
    s->retain = retain != 0;
    s->first = s->tail = s->rd = c;
    return s;
}

amdi_stream *amdi_stream_ref(amdi_stream *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    return s;
}

int amdi_stream_retained(const amdi_stream *s)
{
    return s->retain;
}

void amdi_stream_unref(amdi_stream *s)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (chunk *c = s->first; c;) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(s);
}

/* Producer: free the chunks the consumer has left (never the one it reads, never the tail). */
static void reclaim(amdi_stream *s)
{
    if (s->retain)
        return;
    size_t done = __atomic_load_n(&s->rd_done, __ATOMIC_ACQUIRE);
    while (s->freed < done && s->first != s->tail) {
        chunk *n = s->first->next;
        free(s->first);
        s->first = n;
        s->freed++;
    }
}

int amdi_stream_write(amdi_stream *s, const float *pcm, size_t n)
{
    reclaim(s);
    while (n > 0) {
        chunk *t = s->tail;
        size_t fill = t->fill; /* only the producer writes it */
        if (fill == CHUNK) {
            chunk *c = calloc(1, sizeof *c);
            if (!c)
                return AMD_ENOMEM;
            __atomic_store_n(&t->next, c, __ATOMIC_RELEASE);
            s->tail = c;
            continue;
        }
        size_t k = CHUNK - fill < n ? CHUNK - fill : n;
        memcpy(t->s + fill, pcm, k * sizeof *pcm);
        /* count first: the consumer, seeing the fill, then never has read > written */
        __atomic_add_fetch(&s->written, k, __ATOMIC_RELEASE);
        __atomic_store_n(&t->fill, fill + k, __ATOMIC_RELEASE);
        pcm += k;
        n -= k;
    }
    return 0;
}

void amdi_stream_finish(amdi_stream *s)
{
    __atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
}

int amdi_stream_cancelled(const amdi_stream *s)
{
    return __atomic_load_n(&s->cancelled, __ATOMIC_ACQUIRE);
}

void amdi_stream_cancel(amdi_stream *s)
{
    __atomic_store_n(&s->cancelled, 1, __ATOMIC_RELEASE);
}

size_t amdi_stream_read(amdi_stream *s, float *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        chunk *c = s->rd;
        size_t fill = __atomic_load_n(&c->fill, __ATOMIC_ACQUIRE);
        if (s->rd_pos < fill) {
            size_t k = fill - s->rd_pos < n - got ? fill - s->rd_pos : n - got;
            memcpy(out + got, c->s + s->rd_pos, k * sizeof *out);
            s->rd_pos += k;
            got += k;
            continue;
        }
        chunk *next = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE);
        if (fill < CHUNK || !next)
            break; /* nothing more published yet */
        s->rd = next;
        s->rd_pos = 0;
        if (!s->retain)
            __atomic_add_fetch(&s->rd_done, 1, __ATOMIC_RELEASE);
    }
    s->read += got;
    return got;
}

size_t amdi_stream_available(amdi_stream *s)
{
    return __atomic_load_n(&s->written, __ATOMIC_ACQUIRE) - s->read;
}

int amdi_stream_drained(amdi_stream *s)
{
    /* finished first: a write published before finish is then seen by the count */
    if (!__atomic_load_n(&s->finished, __ATOMIC_ACQUIRE))
        return 0;
    return amdi_stream_available(s) == 0;
}

int amdi_stream_rewind(amdi_stream *s)
{
    if (!s->retain || !__atomic_load_n(&s->finished, __ATOMIC_ACQUIRE))
        return AMD_ESTATE;
    s->rd = s->first;
    s->rd_pos = 0;
    s->read = 0;
    return 0;
}
