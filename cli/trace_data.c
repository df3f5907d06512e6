/* SPDX-License-Identifier: MIT */
#include "trace_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cli_trace_init(cli_trace *t)
{
    memset(t, 0, sizeof *t);
}

void cli_trace_free(cli_trace *t)
{
    free(t->frames);
    free(t->env_min);
    free(t->env_max);
    memset(t, 0, sizeof *t);
}

static void on_frame(void *user, const amd_frame_info *fi)
{
    cli_trace *t = user;
    if (t->oom)
        return;
    if (t->nframes == t->cap_frames) {
        size_t cap = t->cap_frames ? t->cap_frames * 2 : 1024;
        cli_trace_frame *f = realloc(t->frames, cap * sizeof *f);
        if (!f) {
            t->oom = 1;
            return;
        }
        t->frames = f;
        t->cap_frames = cap;
    }
    cli_trace_frame *f = &t->frames[t->nframes++];
    f->time_ms = fi->time_ms;
    f->level_db = fi->level_db;
    f->noise_floor_db = fi->noise_floor_db;
    f->speech_prob = fi->speech_prob;
    f->tone_hz = fi->tone_hz;
    f->speech = fi->speech;
    f->tone_kind = fi->tone_kind;
    f->state = fi->state ? fi->state : "";
}

static void on_samples(void *user, const float *x, size_t n, int rate)
{
    cli_trace *t = user;
    size_t bucket = (size_t)(rate / 100); /* 10 ms, like the analysis frames */
    if (bucket == 0)
        bucket = 1;
    for (size_t i = 0; i < n && !t->oom; i++) {
        if (t->bucket_fill == 0) {
            if (t->nenv == t->cap_env) {
                size_t cap = t->cap_env ? t->cap_env * 2 : 1024;
                float *a = realloc(t->env_min, cap * sizeof *a);
                if (!a) {
                    t->oom = 1;
                    return;
                }
                t->env_min = a;
                float *b = realloc(t->env_max, cap * sizeof *b);
                if (!b) {
                    t->oom = 1;
                    return;
                }
                t->env_max = b;
                t->cap_env = cap;
            }
            t->env_min[t->nenv] = x[i];
            t->env_max[t->nenv] = x[i];
            t->nenv++;
        }
        float *mn = &t->env_min[t->nenv - 1], *mx = &t->env_max[t->nenv - 1];
        if (x[i] < *mn)
            *mn = x[i];
        if (x[i] > *mx)
            *mx = x[i];
        if (++t->bucket_fill == bucket)
            t->bucket_fill = 0;
    }
}

void cli_trace_hooks(cli_trace *t, cli_feed_hooks *h)
{
    memset(h, 0, sizeof *h);
    h->frame_fn = on_frame;
    h->frame_user = t;
    h->samples_fn = on_samples;
    h->samples_user = t;
}

/* Generic run finder: key(frame) returns a label or NULL for "not in a span". */
static size_t spans(const cli_trace *t, const char *(*key)(const cli_trace_frame *), cli_span **out)
{
    *out = NULL;
    size_t n = 0, cap = 0;
    cli_span *s = NULL;
    const char *cur = NULL;
    for (size_t i = 0; i <= t->nframes; i++) {
        const char *k = i < t->nframes ? key(&t->frames[i]) : NULL;
        int same = cur && k && strcmp(cur, k) == 0;
        if (cur && !same) {
            s[n - 1].end_ms = t->frames[i - 1].time_ms;
            cur = NULL;
        }
        if (k && !same) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                cli_span *p = realloc(s, nc * sizeof *p);
                if (!p)
                    break;
                s = p;
                cap = nc;
            }
            /* a frame's time_ms is the END of its 10 ms hop */
            s[n].start_ms = t->frames[i].time_ms - 10;
            s[n].end_ms = t->frames[i].time_ms;
            s[n].kind = k;
            s[n].hz = 0;
            n++;
            cur = k;
        }
        if (k && cur && t->frames[i].tone_hz > 0)
            s[n - 1].hz = t->frames[i].tone_hz;
    }
    *out = s;
    return n;
}

static const char *key_speech(const cli_trace_frame *f)
{
    return f->speech ? "speech" : NULL;
}

static const char *key_tone(const cli_trace_frame *f)
{
    return f->tone_kind;
}

static const char *key_state(const cli_trace_frame *f)
{
    return f->state && *f->state ? f->state : "?";
}

size_t cli_trace_speech_spans(const cli_trace *t, cli_span **out)
{
    return spans(t, key_speech, out);
}

size_t cli_trace_tone_spans(const cli_trace *t, cli_span **out)
{
    return spans(t, key_tone, out);
}

size_t cli_trace_state_spans(const cli_trace *t, cli_span **out)
{
    return spans(t, key_state, out);
}
