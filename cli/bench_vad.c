/* SPDX-License-Identifier: MIT */
/* `amd bench` VAD scoring: the detector's per-frame speech flag (amd_frame_info) against the
 * corpus's true speech segments, frame by frame. */
#include "bench_vad.h"

#include <stdlib.h>

void cli_vad_tap_frame(void *user, const amd_frame_info *fi)
{
    cli_vad_tap *v = user;
    if (v->oom)
        return;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 2048;
        int64_t *t = realloc(v->t, cap * sizeof *t);
        if (!t) {
            v->oom = 1;
            return;
        }
        v->t = t;
        unsigned char *s = realloc(v->s, cap);
        if (!s) {
            v->oom = 1;
            return;
        }
        v->s = s;
        v->cap = cap;
    }
    v->t[v->n] = fi->time_ms;
    v->s[v->n] = fi->speech ? 1 : 0;
    v->n++;
}

static int cmp_seg(const void *a, const void *b)
{
    const cli_segment *x = a, *y = b;
    return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* VAD truth: a 10 ms frame is truly speech when its midpoint lies in a segment. */
void cli_vad_tap_score(const cli_vad_tap *v, cli_segment *seg, long nseg, cli_vad_counts *c)
{
    qsort(seg, (size_t)nseg, sizeof *seg, cmp_seg);
    long j = 0;
    for (size_t i = 0; i < v->n; i++) {
        double mid = (double)v->t[i] - 5.0;
        while (j < nseg && (double)seg[j].end_ms <= mid)
            j++;
        int truth = 0;
        for (long q = j; q < nseg && (double)seg[q].start_ms <= mid; q++)
            if (mid < (double)seg[q].end_ms) {
                truth = 1;
                break;
            }
        if (v->s[i] && truth)
            c->tp++;
        else if (v->s[i])
            c->fp++;
        else if (truth)
            c->fn++;
        else
            c->tn++;
    }
}

