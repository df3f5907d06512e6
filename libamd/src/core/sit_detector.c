/* SPDX-License-Identifier: MIT */
/*
 * Special information tone detector.
 *
 * What it does
 *   Recognises the three rising tones that precede a carrier intercept
 *   message ("the number you have dialed ..."), in both forms:
 *   - North American (Telcordia GR-1162 / ANSI T1.401): segment 1 is
 *     913.8 Hz or 985.2 Hz, segment 2 is 1370.6 Hz or 1428.5 Hz, segment 3
 *     is 1776.7 Hz; segments 1 and 2 last 274 ms (short) or 380 ms (long),
 *     segment 3 always 380 ms; no gaps. The frequency / length combination
 *     encodes the cause (no circuit, vacant code, intercept, reorder ...);
 *     all of them mean "no person and no voicemail here".
 *   - ITU-T E.180 / Q.35: 950, 1400, 1800 Hz +-50 Hz, each 330 +-70 ms, with
 *     gaps of up to 30 ms.
 *   One AMDI_TONE_SIT event once the third tone has lasted SIT_CONFIRM_MS.
 *
 * How it works
 *   From the per-frame strongest spectral peak (tone_analysis.c): frames
 *   whose peak holds >= SIT_PURITY of the in-band power form segments of
 *   steady frequency (a jump of more than SIT_JUMP_HZ starts a new segment,
 *   as the NA tones follow each other without a gap; up to SIT_BRIDGE frames
 *   of weak frames are bridged, for the ITU gaps and the 32 ms window's
 *   transition frames; the same tone resuming within SIT_GAP_FRAMES of its
   end continues its segment, as packet loss zeroes 20..40 ms of it). The last two segments are kept; when the current
 *   segment is in the third band and has lasted SIT_CONFIRM_MS, the previous
 *   two must be in the first and second bands, each SIT_MIN_MS..SIT_MAX_MS
 *   long, with gaps of at most SIT_GAP_FRAMES between them.
 *   Band limits cover both forms plus the estimator margin:
 *   900..1000 Hz, 1350..1460 Hz, 1740..1860 Hz.
 *   Durations as measured on tone frames run ~20..30 ms shorter than the
 *   segments (window transition frames are not pure), hence 200..460 ms.
 */
#include "sit_detector.h"

#include <math.h>
#include <string.h>

#define SIT_MIN_DBFS (-55.f)
#define SIT_PURITY 0.6f
#define SIT_JUMP_HZ 40.f
#define SIT_BRIDGE 3
#define SIT_GAP_FRAMES 8
#define SIT_MIN_MS 200
#define SIT_MAX_MS 460
#define SIT_CONFIRM_MS 200

static const float sit_band[3][2] = {{890.f, 1010.f}, {1340.f, 1460.f}, {1740.f, 1860.f}};

void amdi_sit_init(amdi_sit *s) { memset(s, 0, sizeof *s); }

void amdi_sit_reset(amdi_sit *s) { memset(s, 0, sizeof *s); }

static int in_band(float hz, int b) { return hz >= sit_band[b][0] && hz <= sit_band[b][1]; }

static int64_t seg_ms(const amdi_sit_seg *g) { return (g->last - g->first + 1) * AMDI_HOP_MS; }

static void push(amdi_sit *s)
{
    if (s->n < 3)
        return; /* too short to be a SIT segment; keeps the history clean */
    s->hist[0] = s->hist[1];
    s->hist[1] = s->cur;
    if (s->nhist < 2)
        s->nhist++;
}

int amdi_sit_frame(amdi_sit *s, const amdi_tone_analysis *a, amdi_tone_event *ev)
{
    const amdi_frame *f = a->f;
    s->active = 0;
    s->active_hz = 0.f;
    s->pending = 0;
    if (s->done)
        return 0;
    int good = f->level_db >= SIT_MIN_DBFS && a->p1.bin && a->p1.power >= SIT_PURITY * a->total &&
               a->p1.hz >= sit_band[0][0] && a->p1.hz <= sit_band[2][1];
    if (s->on) {
        if (good && fabsf(a->p1.hz - s->cur.hz) <= SIT_JUMP_HZ) {
            s->cur.last = f->index;
            s->fsum += a->p1.hz;
            s->n++;
            s->cur.hz = (float)(s->fsum / s->n);
        } else if (good || f->index - s->cur.last > SIT_BRIDGE) {
            push(s);
            s->on = 0;
        }
    }
    if (!s->on && good) {
        s->on = 1;
        const amdi_sit_seg *h = s->nhist >= 1 ? &s->hist[1] : NULL;
        if (h && fabsf(a->p1.hz - h->hz) <= SIT_JUMP_HZ && f->index - h->last <= SIT_GAP_FRAMES) {
            /* The same tone resuming after a hole (packet loss zeroes 20..40 ms): one segment. */
            s->cur = *h;
            s->cur.last = f->index;
            s->n = (int)(h->last - h->first + 1) + 1;
            s->fsum = (double)h->hz * (s->n - 1) + a->p1.hz;
            s->cur.hz = (float)(s->fsum / s->n);
            s->hist[1] = s->hist[0];
            s->nhist--;
        } else {
            s->cur.hz = a->p1.hz;
            s->cur.first = s->cur.last = f->index;
            s->fsum = a->p1.hz;
            s->n = 1;
        }
    }
    /* A SIT may be forming (amdi_tones_pending): the gap right after a first- or second-band tone
       of SIT length; during the tones themselves s->active (below) says so. */
    const amdi_sit_seg *last = s->nhist >= 1 ? &s->hist[1] : NULL;
    s->pending = last && f->index - last->last <= SIT_GAP_FRAMES && seg_ms(last) >= SIT_MIN_MS &&
                 (in_band(last->hz, 0) || in_band(last->hz, 1));
    if (!s->on || s->cur.last != f->index)
        return 0;
    /* For the VAD: a steady first-band tone from its 8th frame, or the next tone of a SIT sequence
       from its 3rd (speech harmonics cross these bands briefly, not in order). */
    const amdi_sit_seg *prev = s->nhist >= 1 ? &s->hist[1] : NULL;
    int prev_ok = prev && s->cur.first - prev->last <= SIT_GAP_FRAMES && seg_ms(prev) >= SIT_MIN_MS;
    if ((in_band(s->cur.hz, 0) && s->n >= 8) ||
        (s->n >= 3 && prev_ok && ((in_band(s->cur.hz, 1) && in_band(prev->hz, 0)) ||
                                  (in_band(s->cur.hz, 2) && in_band(prev->hz, 1))))) {
        s->active = 1;
        s->active_hz = s->cur.hz;
        s->pending = 1;
    }
    if (!in_band(s->cur.hz, 2) || seg_ms(&s->cur) < SIT_CONFIRM_MS || s->nhist < 2)
        return 0;
    const amdi_sit_seg *g1 = &s->hist[0], *g2 = &s->hist[1];
    if (!in_band(g1->hz, 0) || !in_band(g2->hz, 1))
        return 0;
    if (seg_ms(g1) < SIT_MIN_MS || seg_ms(g1) > SIT_MAX_MS || seg_ms(g2) < SIT_MIN_MS || seg_ms(g2) > SIT_MAX_MS)
        return 0;
    if (g2->first - g1->last > SIT_GAP_FRAMES || s->cur.first - g2->last > SIT_GAP_FRAMES)
        return 0;
    ev->kind = AMDI_TONE_SIT;
    ev->start_ms = g1->first * AMDI_HOP_MS;
    ev->end_ms = f->end_ms;
    ev->hz = g1->hz;
    s->done = 1;
    s->pending = 0;
    return 1;
}
