/* SPDX-License-Identifier: MIT */
/* The outbound frame player (player.h).
 *
 * The sources live in a ring of slots allocated at create: [head, cur) finished and waiting
 * for amdi_player_poll, cur the one playing, (cur, tail) queued. Counters only grow; the slot
 * of counter k is k % capacity. */
#include "media/player.h"

#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "media/dtmf_gen.h"

#define MAX_CAPACITY 4096

typedef enum { SRC_PCM, SRC_SILENCE, SRC_DIGITS, SRC_STREAM } src_kind;

typedef struct slot {
    src_kind kind;
    uint32_t id;
    unsigned loop;   /* 0 = until stopped */
    unsigned played; /* completed passes */
    size_t pos;      /* sample position within the current pass */
    size_t len;      /* samples per pass (silence, digits) */
    uint64_t out;    /* samples that went out */
    amdi_play_end end;
    amdi_pcm *pcm;
    amdi_stream *stream;
    char *digits;
} slot;

struct amdi_player {
    slot *slots;
    size_t cap;
    uint64_t head, cur, tail;
    uint32_t next_id;
    char frame_digit; /* key sounding in the last frame */
    amdi_player_stats st;
};

int amdi_player_create(size_t capacity, amdi_player **out)
{
    if (!out)
        return AMD_EINVAL;
    *out = NULL;
    if (capacity < 1 || capacity > MAX_CAPACITY)
        return AMD_EINVAL;
    amdi_player *p = calloc(1, sizeof *p);
    if (!p)
        return AMD_ENOMEM;
    p->slots = calloc(capacity, sizeof *p->slots);
    if (!p->slots) {
        free(p);
        return AMD_ENOMEM;
    }
    p->cap = capacity;
    p->next_id = 1;
    *out = p;
    return 0;
}

static void release(slot *s)
{
    amdi_pcm_unref(s->pcm);
    amdi_stream_unref(s->stream);
    free(s->digits);
    memset(s, 0, sizeof *s);
}

void amdi_player_destroy(amdi_player *p)
{
    if (!p)
        return;
    amdi_player_stop(p);
    for (uint64_t k = p->head; k < p->tail; k++)
        release(&p->slots[k % p->cap]);
    free(p->slots);
    free(p);
}

/* Claim the next slot, or NULL when the ring is full. */
static slot *push(amdi_player *p, src_kind kind, unsigned loop, uint32_t *id)
{
    if (p->tail - p->head >= p->cap)
        return NULL;
    slot *s = &p->slots[p->tail % p->cap];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->loop = loop;
    s->id = p->next_id++;
    if (p->next_id == 0)
        p->next_id = 1;
    if (id)
        *id = s->id;
    p->tail++;
    return s;
}

int amdi_player_add_pcm(amdi_player *p, amdi_pcm *pcm, unsigned loop, uint32_t *id)
{
    if (!p || !pcm)
        return AMD_EINVAL;
    slot *s = push(p, SRC_PCM, loop, id);
    if (!s)
        return AMD_ELIMIT;
    s->pcm = amdi_pcm_ref(pcm);
    s->len = pcm->n;
    return 0;
}

int amdi_player_add_silence(amdi_player *p, uint32_t ms, uint32_t *id)
{
    if (!p)
        return AMD_EINVAL;
    slot *s = push(p, SRC_SILENCE, 1, id);
    if (!s)
        return AMD_ELIMIT;
    s->len = (size_t)ms * (AMDI_MEDIA_RATE / 1000);
    return 0;
}

int amdi_player_add_digits(amdi_player *p, const char *digits, uint32_t *id)
{
    if (!p || amdi_dtmf_validate(digits, NULL) != 0)
        return AMD_EINVAL;
    char *copy = strdup(digits);
    if (!copy)
        return AMD_ENOMEM;
    slot *s = push(p, SRC_DIGITS, 1, id);
    if (!s) {
        free(copy);
        return AMD_ELIMIT;
    }
    s->digits = copy;
    s->len = amdi_dtmf_samples(copy);
    return 0;
}

int amdi_player_add_stream(amdi_player *p, amdi_stream *st, unsigned loop, uint32_t *id)
{
    if (!p || !st)
        return AMD_EINVAL;
    /* a replay needs the samples kept: rewind refuses unretained streams */
    if (loop != 1 && !amdi_stream_retained(st))
        return AMD_EINVAL;
    slot *s = push(p, SRC_STREAM, loop, id);
    if (!s)
        return AMD_ELIMIT;
    s->stream = amdi_stream_ref(st);
    return 0;
}

/* One pass ended: 1 when the source is done, 0 when it starts its next loop. */
static int pass_ended(slot *s)
{
    s->played++;
    if (s->loop != 0 && s->played >= s->loop)
        return 1;
    if (s->kind == SRC_STREAM && amdi_stream_rewind(s->stream) != 0)
        return 1; /* not retained: nothing to replay */
    s->pos = 0;
    return 0;
}

/* Render up to @p n samples of @p s into @p out. Returns the samples written; *done is set
 * when the source ended (also when it ends exactly at the frame's end, so the executor hears
 * of it in the same tick), *short_read when a stream had nothing more yet. */
static size_t render(slot *s, float *out, size_t n, int *done, int *short_read, char *digit)
{
    size_t w = 0;
    *done = 0;
    *short_read = 0;
    for (;;) {
        size_t k = 0;
        if (s->kind == SRC_STREAM) {
            if (w < n)
                k = amdi_stream_read(s->stream, out + w, n - w);
            if (k == 0) {
                if (!amdi_stream_drained(s->stream)) {
                    *short_read = w < n;
                    break;
                }
                if (s->pos == 0 || pass_ended(s)) { /* an empty stream is done at once */
                    *done = 1;
                    break;
                }
                continue;
            }
        } else {
            if (s->pos >= s->len) {
                if (s->len == 0 || pass_ended(s)) {
                    *done = 1;
                    break;
                }
                continue;
            }
            if (w == n)
                break;
            k = s->len - s->pos < n - w ? s->len - s->pos : n - w;
            if (s->kind == SRC_PCM)
                memcpy(out + w, s->pcm->samples + s->pos, k * sizeof *out);
            else if (s->kind == SRC_DIGITS) {
                amdi_dtmf_render(s->digits, s->pos, out + w, k);
                char key = amdi_dtmf_key_at(s->digits, s->pos);
                *digit = key ? key : amdi_dtmf_key_at(s->digits, s->pos + k - 1);
            }
            else
                memset(out + w, 0, k * sizeof *out);
        }
        s->pos += k;
        s->out += k;
        w += k;
    }
    return w;
}

int amdi_player_frame(amdi_player *p, float out[AMDI_MEDIA_FRAME])
{
    size_t w = 0;
    int busy = 0;
    p->st.frames++;
    p->frame_digit = 0;
    while (w < AMDI_MEDIA_FRAME && p->cur < p->tail) {
        slot *s = &p->slots[p->cur % p->cap];
        int done, short_read;
        busy = 1;
        w += render(s, out + w, AMDI_MEDIA_FRAME - w, &done, &short_read, &p->frame_digit);
        if (done) {
            s->end = AMDI_PLAY_DONE;
            p->cur++;
            continue;
        }
        if (short_read) {
            if (s->out == 0 && s->played == 0)
                p->st.wait_frames++;
            else
                p->st.underruns++;
            break;
        }
    }
    if (w < AMDI_MEDIA_FRAME)
        memset(out + w, 0, (AMDI_MEDIA_FRAME - w) * sizeof *out);
    if (busy)
        p->st.busy_frames++;
    return busy;
}

int amdi_player_poll(amdi_player *p, amdi_player_done *done)
{
    if (!p || p->head == p->cur)
        return 0;
    slot *s = &p->slots[p->head % p->cap];
    if (done) {
        done->id = s->id;
        done->end = s->end;
        done->samples = s->out;
    }
    release(s);
    p->head++;
    return 1;
}

void amdi_player_stop(amdi_player *p)
{
    if (!p)
        return;
    for (; p->cur < p->tail; p->cur++) {
        slot *s = &p->slots[p->cur % p->cap];
        s->end = AMDI_PLAY_STOPPED;
        if (s->stream)
            amdi_stream_cancel(s->stream);
    }
}

char amdi_player_frame_digit(const amdi_player *p)
{
    return p ? p->frame_digit : 0;
}

size_t amdi_player_pending(const amdi_player *p)
{
    return p ? (size_t)(p->tail - p->cur) : 0;
}

void amdi_player_get_stats(const amdi_player *p, amdi_player_stats *st)
{
    *st = p->st;
}
