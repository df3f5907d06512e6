/* SPDX-License-Identifier: MIT */
/*
 * Header-only helpers for the detector suites (check_detector, check_timing,
 * check_words, check_message_end, check_vad): build constructed calls and run
 * a detector over them in chunks. Static functions: each suite gets its own copy.
 */
#ifndef AMD_DETECT_UTIL_H
#define AMD_DETECT_UTIL_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "amd/detector.h"
#include "test_util.h"

/* A constructed call: float samples on the s16 scale at `rate`. */
typedef struct du_call {
    float *x;
    size_t n;
    int rate;
} du_call;

static inline size_t du_ms(const du_call *c, double ms) { return (size_t)(ms * c->rate / 1000.0 + 0.5); }

/* Allocate `dur_ms` of line noise at rms `noise_rms` (0: digital silence). */
static inline du_call du_new(int rate, double dur_ms, double noise_rms, uint64_t seed)
{
    du_call c;
    c.rate = rate;
    c.n = (size_t)(dur_ms * rate / 1000.0);
    c.x = calloc(c.n ? c.n : 1, sizeof(float));
    ck_assert_ptr_nonnull(c.x);
    if (noise_rms > 0) {
        tu_rng r;
        tu_rng_seed(&r, seed);
        tu_add_noise(c.x, c.n, noise_rms, &r);
    }
    return c;
}

static inline void du_free(du_call *c)
{
    free(c->x);
    c->x = NULL;
}

/*
 * Add a speech-like burst [start_ms, start_ms + len_ms) of RMS `rms`, 10 ms raised-cosine edges.
 * flat: level the syllable envelope (10 ms blocks brought to within 6 dB of `rms`) so the burst
 * starts and ends crisply at the stated times — for tests of decision timing.
 */
static inline void du_speech_ex(du_call *c, double start_ms, double len_ms, double f0, double rms, uint64_t seed,
                                int flat)
{
    size_t s = du_ms(c, start_ms), n = du_ms(c, len_ms);
    if (s >= c->n)
        return;
    if (s + n > c->n)
        n = c->n - s;
    float *b = malloc(n * sizeof(float));
    ck_assert_ptr_nonnull(b);
    tu_rng r;
    tu_rng_seed(&r, seed);
    tu_make_speechlike(b, n, c->rate, f0, rms, &r);
    /* telephone band: high-pass ~100 Hz (the generator's pulse train carries DC, which a
     * real line never passes and whose decay after the burst would blur the burst's end) */
    {
        double a = exp(-2.0 * 3.14159265358979 * 100.0 / c->rate), x1 = 0, y1 = 0;
        for (size_t i = 0; i < n; i++) {
            double y = a * (y1 + b[i] - x1);
            x1 = b[i];
            y1 = y;
            b[i] = (float)y;
        }
    }
    if (flat) {
        size_t blk = du_ms(c, 10);
        for (size_t s0 = 0; s0 < n; s0 += blk) {
            size_t m = n - s0 < blk ? n - s0 : blk;
            double e = 0;
            for (size_t i = 0; i < m; i++)
                e += (double)b[s0 + i] * b[s0 + i];
            e = sqrt(e / (double)m);
            double g = e > 0 && e < rms / 2 ? (rms / 2) / e : 1.0;
            if (g > 30)
                g = 30;
            for (size_t i = 0; i < m; i++)
                b[s0 + i] = (float)(b[s0 + i] * g);
        }
    }
    size_t edge = du_ms(c, 10);
    for (size_t i = 0; i < n; i++) {
        double g = 1.0;
        if (i < edge)
            g = 0.5 - 0.5 * cos(3.14159265358979 * (double)i / (double)edge);
        else if (i + edge > n)
            g = 0.5 - 0.5 * cos(3.14159265358979 * (double)(n - i) / (double)edge);
        c->x[s + i] += (float)(b[i] * g);
    }
    free(b);
}

static inline void du_speech(du_call *c, double start_ms, double len_ms, double f0, double rms, uint64_t seed)
{
    du_speech_ex(c, start_ms, len_ms, f0, rms, seed, 0);
}

/*
 * End (ms) of the last 10 ms block in [from_ms, to_ms) whose RMS reaches `rms`:
 * where a constructed burst really ends (its last syllable may fade out early).
 */
static inline int64_t du_active_end_ms(const du_call *c, double from_ms, double to_ms, double rms)
{
    int64_t end = -1;
    size_t blk = du_ms(c, 10);
    for (size_t s = du_ms(c, from_ms); s + blk <= du_ms(c, to_ms) && s + blk <= c->n; s += blk) {
        double e = 0;
        for (size_t i = 0; i < blk; i++)
            e += (double)c->x[s + i] * c->x[s + i];
        if (sqrt(e / (double)blk) >= rms)
            end = (int64_t)((s + blk) * 1000 / (size_t)c->rate);
    }
    return end;
}

/*
 * The same call at another rate: windowed-sinc interpolation of the 8 kHz
 * original (Hann window, 24 taps each side, cutoff 3.8 kHz), so tests can
 * compare decisions on identical audio at 16 and 44.1 kHz.
 */
static inline du_call du_resample(const du_call *c, int rate)
{
    du_call o;
    o.rate = rate;
    o.n = (size_t)((double)c->n * rate / c->rate);
    o.x = calloc(o.n ? o.n : 1, sizeof(float));
    ck_assert_ptr_nonnull(o.x);
    const double fc = 3800.0 / c->rate; /* cutoff in cycles per input sample */
    const int half = 24;
    for (size_t j = 0; j < o.n; j++) {
        double t = (double)j * c->rate / rate; /* position in input samples */
        long i0 = (long)floor(t);
        double acc = 0;
        for (long i = i0 - half + 1; i <= i0 + half; i++) {
            if (i < 0 || (size_t)i >= c->n)
                continue;
            double d = t - (double)i;
            double sinc = fabs(d) < 1e-9 ? 2 * fc : sin(2 * 3.14159265358979 * fc * d) / (3.14159265358979 * d);
            double w = 0.5 + 0.5 * cos(3.14159265358979 * d / half);
            acc += c->x[i] * sinc * w;
        }
        o.x[j] = (float)acc;
    }
    return o;
}

/* Add a tone (one or two frequencies, hz2 = 0 for one) of peak amplitude amp per component. */
static inline void du_tone(du_call *c, double start_ms, double len_ms, double hz1, double hz2, double amp)
{
    size_t s = du_ms(c, start_ms), n = du_ms(c, len_ms);
    if (s >= c->n)
        return;
    if (s + n > c->n)
        n = c->n - s;
    tu_add_sine(c->x + s, n, c->rate, hz1, amp, 0.0);
    if (hz2 > 0)
        tu_add_sine(c->x + s, n, c->rate, hz2, amp, 0.0);
}

/* Event log filled by du_run's callbacks. */
typedef struct du_events {
    int n_decision, n_provisional, n_frames;
    amd_result decision, provisional;
    int64_t last_frame_ms;
    int frames_monotonic;
} du_events;

static inline void du_on_event(void *user, amd_event ev, const amd_result *r)
{
    du_events *e = user;
    if (ev == AMD_EVENT_DECISION) {
        e->n_decision++;
        e->decision = *r;
    } else if (ev == AMD_EVENT_MACHINE_PROVISIONAL) {
        e->n_provisional++;
        e->provisional = *r;
    }
}

static inline void du_on_frame(void *user, const amd_frame_info *fi)
{
    du_events *e = user;
    if (fi->time_ms != e->last_frame_ms + 10)
        e->frames_monotonic = 0;
    e->last_frame_ms = fi->time_ms;
    e->n_frames++;
}

/*
 * Run a detector over the call, fed as s16 in chunks of `chunk` samples (0: all
 * at once), then finish. Fills *res (and *ev if non-NULL). Asserts success.
 */
static inline void du_run_fmt(const amd_config *cfg_in, const du_call *c, size_t chunk, int fmt, amd_result *res,
                              du_events *ev)
{
    amd_config cfg = *cfg_in;
    cfg.sample_rate = c->rate;
    amd_detector *d = NULL;
    char err[256];
    int rc = amd_detector_create(&cfg, &d, err, sizeof err);
    ck_assert_msg(rc == 0, "create: %s", err);
    du_events local;
    du_events *e = ev ? ev : &local;
    memset(e, 0, sizeof *e);
    e->frames_monotonic = 1;
    amd_detector_set_event_callback(d, du_on_event, e);
    amd_detector_set_frame_callback(d, du_on_frame, e);
    int16_t *s = malloc((c->n ? c->n : 1) * sizeof(int16_t));
    uint8_t *g = malloc(c->n ? c->n : 1);
    float *fl = malloc((c->n ? c->n : 1) * sizeof(float));
    ck_assert(s && g && fl);
    tu_to_s16(c->x, s, c->n);
    for (size_t i = 0; i < c->n; i++) {
        g[i] = fmt == 2 ? amd_ulaw_encode(s[i]) : amd_alaw_encode(s[i]);
        fl[i] = (float)s[i] / 32768.f;
    }
    size_t step = chunk ? chunk : (c->n ? c->n : 1);
    for (size_t off = 0; off < c->n; off += step) {
        size_t m = c->n - off < step ? c->n - off : step;
        switch (fmt) {
        case 0: rc = amd_detector_process_s16(d, s + off, m); break;
        case 1: rc = amd_detector_process_float(d, fl + off, m); break;
        case 2: rc = amd_detector_process_ulaw(d, g + off, m); break;
        default: rc = amd_detector_process_alaw(d, g + off, m); break;
        }
        ck_assert_int_ge(rc, 0);
    }
    ck_assert_int_eq(amd_detector_finish(d), 1);
    ck_assert_int_eq(amd_detector_result(d, res), 1);
    amd_detector_destroy(d);
    free(s);
    free(g);
    free(fl);
}

static inline void du_run(const amd_config *cfg, const du_call *c, size_t chunk, amd_result *res, du_events *ev)
{
    du_run_fmt(cfg, c, chunk, 0, res, ev);
}

static inline amd_config du_cfg(amd_mode mode, amd_engine engine)
{
    amd_config c;
    amd_config_init(&c);
    c.mode = mode;
    c.engine = engine;
    return c;
}

#define du_assert_answer(res, want)                                                                     \
    ck_assert_msg((res).answered_by == (want), "answered_by %s (cause %s at %lld ms), want %s",         \
                  amd_answered_by_name((res).answered_by), amd_cause_name((res).cause),                  \
                  (long long)(res).decision_ms, amd_answered_by_name(want))

#endif /* AMD_DETECT_UTIL_H */
