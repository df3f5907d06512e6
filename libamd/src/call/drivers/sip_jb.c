/* SPDX-License-Identifier: MIT */
#include "sip_jb.h"

#include <string.h>

#define TRIM_SLACK AMDI_SIPJB_TRIM_SLACK

void amdi_sipjb_init(amdi_sipjb *jb, int delay_samples)
{
    memset(jb, 0, sizeof *jb);
    if (delay_samples < 0)
        delay_samples = 0;
    if (delay_samples > AMDI_SIPJB_CAP / 2)
        delay_samples = AMDI_SIPJB_CAP / 2;
    jb->delay = delay_samples;
}

static void rebase_at(amdi_sipjb *jb, uint32_t ssrc, uint32_t ts, int64_t idx)
{
    if (jb->started)
        jb->rebases++;
    jb->started = 1;
    jb->ssrc = ssrc;
    jb->ts_base = ts;
    jb->idx_base = idx;
    jb->from = idx;
}

/* A new source (or a clock restart) plays `delay` after now, not over the old source's audio. */
static void rebase(amdi_sipjb *jb, uint32_t ssrc, uint32_t ts)
{
    int64_t idx = jb->cursor + jb->delay;
    if (jb->started && jb->hi > idx && jb->hi - jb->cursor < AMDI_SIPJB_CAP / 2)
        idx = jb->hi;
    rebase_at(jb, ssrc, ts, idx);
}

void amdi_sipjb_put(amdi_sipjb *jb, uint32_t ssrc, uint32_t ts, const float *pcm, size_t n)
{
    if (n == 0 || n > AMDI_SIPJB_CAP / 2)
        return;
    jb->packets++;
    if (!jb->started || ssrc != jb->ssrc)
        rebase(jb, ssrc, ts);
    int64_t idx = jb->idx_base + (int32_t)(ts - jb->ts_base);
    int64_t end = idx + (int64_t)n;
    if (end > jb->cursor + AMDI_SIPJB_CAP || idx < jb->cursor - AMDI_SIPJB_CAP) {
        /* a timestamp jump beyond the buffer: the source restarted its clock */
        rebase(jb, ssrc, ts);
        idx = jb->idx_base;
        end = idx + (int64_t)n;
    } else if (end <= jb->cursor) {
        if (idx >= jb->hi - (int64_t)n) {
            /* the newest packet, yet already due: the far end paused, its clock runs slow or
             * a burst came late. Play it now rather than drop every packet from here on; not
             * `delay` from now, or every late burst would ratchet the buffer up a full delay. */
            rebase_at(jb, ssrc, ts, jb->cursor);
            idx = jb->idx_base;
            end = idx + (int64_t)n;
        } else {
            jb->late++;
            return;
        }
    }
    for (int64_t i = idx < jb->cursor ? jb->cursor : idx; i < end; i++) {
        size_t k = (size_t)(i % AMDI_SIPJB_CAP);
        jb->buf[k] = pcm[i - idx];
        jb->have[k] = 1;
    }
    if (end > jb->hi)
        jb->hi = end;
    if (jb->hi - jb->cursor > jb->delay + TRIM_SLACK) {
        /* far end faster than our clock: drop the oldest audio back to the nominal delay */
        int64_t to = jb->hi - jb->delay;
        for (int64_t i = jb->cursor; i < to; i++) {
            size_t k = (size_t)(i % AMDI_SIPJB_CAP);
            jb->have[k] = 0;
            jb->buf[k] = 0;
        }
        jb->trimmed_samples += to - jb->cursor;
        jb->cursor = to;
    }
}

size_t amdi_sipjb_get(amdi_sipjb *jb, float *out, size_t n)
{
    size_t lost = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t c = jb->cursor + (int64_t)i;
        size_t k = (size_t)(c % AMDI_SIPJB_CAP);
        if (jb->have[k]) {
            out[i] = jb->buf[k];
            jb->have[k] = 0;
            jb->buf[k] = 0;
        } else {
            out[i] = 0;
            if (jb->started && c >= jb->from && c < jb->hi) {
                jb->lost_samples++; /* a gap inside what arrived */
                lost++;
            }
        }
    }
    jb->cursor += (int64_t)n;
    if (jb->started)
        jb->played_samples += (int64_t)n;
    return lost;
}

int64_t amdi_sipjb_pending(const amdi_sipjb *jb)
{
    return jb->started && jb->hi > jb->cursor ? jb->hi - jb->cursor : 0;
}
