/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The SIP driver's receive side: a small reorder / jitter buffer that
 * places RTP payload by RTP timestamp and plays it out on the engine's 20 ms media clock.
 *
 * Placement: sample index = idx_base + (ts - ts_base). The first packet (and the first after
 * an SSRC change, or after a timestamp jump of more than the buffer) re-bases so that it
 * plays out `delay` samples after the current play position; packets that arrive out of
 * order within the buffer land in their slot; a packet whose slot was already played is late
 * and dropped. Missing samples play out as silence (counted as lost). If the far end's clock
 * runs fast the buffer is trimmed back to `delay`; if it runs slow (or it paused sending, or a
 * burst arrived late) the newest packet re-bases to play at once. Not thread-safe: the SIP driver guards it with the leg mutex. */
#ifndef AMDI_SIP_JB_H
#define AMDI_SIP_JB_H

#include <stddef.h>
#include <stdint.h>

/* 1 s at 8 kHz: G.711 is 8 kHz (RFC 3551 §4.5.14); jumps beyond it re-base. */
#define AMDI_SIPJB_CAP 8000
/* The buffer may hold up to delay + 600 ms before the oldest audio is dropped: a stall of the
 * engine thread (the media clock catches up afterwards) must not lose audio, while a far-end
 * clock 100 ppm fast only gains 600 ms in 100 minutes. Measured: 1,000 calls on a loaded
 * 2-core machine saw media-clock stalls up to ~0.8 s (bench/RESULTS.md "SIP calls"). */
#define AMDI_SIPJB_TRIM_SLACK 4800

typedef struct amdi_sipjb {
    float buf[AMDI_SIPJB_CAP];
    uint8_t have[AMDI_SIPJB_CAP];
    int started;
    uint32_t ssrc, ts_base;
    int64_t idx_base;
    int64_t cursor; /* next sample index to play */
    int64_t hi;     /* one past the highest sample index written */
    int64_t from;   /* first sample index of the current source: before it is the delay, not loss */
    int delay;      /* samples between arrival of the newest packet and its playout */
    /* counters */
    int64_t packets, late, rebases, lost_samples, played_samples, trimmed_samples;
} amdi_sipjb;

void amdi_sipjb_init(amdi_sipjb *jb, int delay_samples);
/* One packet's decoded samples at RTP timestamp @p ts of source @p ssrc. */
void amdi_sipjb_put(amdi_sipjb *jb, uint32_t ssrc, uint32_t ts, const float *pcm, size_t n);
/* The next @p n samples (silence where nothing arrived). Returns how many of them were lost:
 * missing inside what arrived (counted in lost_samples). */
size_t amdi_sipjb_get(amdi_sipjb *jb, float *out, size_t n);
/* Samples written but not yet played (0 before the first packet). */
int64_t amdi_sipjb_pending(const amdi_sipjb *jb);

#endif
