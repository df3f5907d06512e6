/* SPDX-License-Identifier: MIT */
/*
 * The beep detector's thresholds and the small helpers its two halves share:
 * beep_detector.c (per-frame tracking of tone segments) and beep_rules.c (the
 * statistics of a closed segment and the named reject rules that judge it).
 * Internal to libamd.
 */
#ifndef AMDI_BEEP_INTERNAL_H
#define AMDI_BEEP_INTERNAL_H

#include "beep_detector.h"

#include <math.h>
#include <stdint.h>


/* Every threshold is marked [std: ...] when it comes from a standard (the tone plans and
 * tolerances of ITU-T recommendations) or [fit] when it was chosen by measurement on the
 * project's corpus and the synthetic signals of check_beep.c (tone_eval and the unit tests
 * re-measure them); the reject rules that use them are the rule_* functions below. */
#define BEEP_MIN_DBFS (-55.f)     /* [fit] hop level floor: -45 dBFS tones at 10 dB SNR pass */
#define BEEP_PURITY 0.70f         /* [fit] tone main lobe(s) / in-band power */
#define BEEP_DUAL_MIN 0.10f       /* [fit] second tone within 10 dB -> dual tone */
#define BEEP_HARM_MAX 0.02f       /* [fit] power at 2f or f/2 below -17 dB of the tone */
#define BEEP_HARM_EXCESS 0.01f    /* [fit] mean power at the tone's harmonics beyond the power between
                                     them, over the tone's power (tone in white noise or through GSM: <= 0.001;
                                     a voice or an instrument whose fundamental dominates: >= 0.1) */
#define BEEP_ACTIVE_PURITY 0.8f   /* [fit] "tone active" for the VAD: the strongest peak holds 80 % */
#define BEEP_LOW_HZ 500.f         /* [fit] a tone under 500 Hz (where voices' fundamentals are) ... */
#define BEEP_LOW_SHORT_MS 150     /* [fit] ... and shorter than 150 ms ... */
#define BEEP_LOW_STD_HZ 1.0f      /* [fit] ... must hold its pitch within 1 Hz */
#define BEEP_RICH_FRAC 0.3f       /* [fit] tone frames with an overtone (2f within 17 dB) that make a "rich" tone */
#define BEEP_RICH_MIN_MS 100      /* [fit] which must last 100 ms, */
#define BEEP_RICH_STD_HZ 1.5f     /* [fit] hold its pitch within max(1.5 Hz, 0.2 %) (spread and drift), */
#define BEEP_RICH_STD_REL 0.002f /* [fit] */
#define BEEP_RICH_ENV_CV 0.2f     /* [fit] its level within 20 %, */
#define BEEP_RICH_EDGE 0.35f      /* [fit] start and stop: 4.5 dB quieter hops on both sides, */
#define BEEP_RICH_SHAPE 0.05f     /* [fit] keep a clean lobe, */
#define BEEP_RICH_ATTACK 0.8f     /* [fit] and be at >= 80 % of its level one hop after its start and before its end */
#define BEEP_SWELL_HZ 1000.f      /* [fit] under 1 kHz (sung and sustained vowels' strongest partials) a tone ... */
#define BEEP_SWELL_ATTACK 0.6f    /* [fit] ... under 60 % of its level one hop after its start ... */
#define BEEP_SWELL_DECAY 0.9f     /* [fit] ... and under 90 % one hop before its end swells in and fades out:
                                     a voice (onsets of 30..120 ms); a generated beep ramps in a few ms */
#define BEEP_FADE_DECAY 0.55f     /* [fit] under 1 kHz a tone below 55 % of its level one hop before its end ... */
#define BEEP_FADE_STD_HZ 0.4f     /* [fit] ... whose pitch wanders by more than 0.4 Hz fades out like a voice
                                     (a vowel's release takes 30..120 ms; generated beeps stop in a few ms and,
                                     table or crystal made, hold their pitch within ~0.3 Hz when they fade) */
#define BEEP_PARTNER_MIN 0.02f    /* [fit] a second peak >= -17 dB under the tone ... */
#define BEEP_PARTNER_TOL_HZ 5.f   /* [fit] ... within 5 Hz of a harmonic of f/k (k <= 6, f/k >= 80 Hz) ... */
#define BEEP_PARTNER_FRAC 0.5f    /* [fit] ... in half the frames: the "tone" is one harmonic of a voice */
#define BEEP_CNG_MIN_MS 350       /* [std: ITU-T T.30] 1100 +-45 Hz tones of CNG length (0.5 s +-15 %, edges +-50 ms) ... */
#define BEEP_CNG_MAX_MS 650 /* [std: ITU-T T.30] */
#define BEEP_PRE_FRAMES 200       /* [fit] ... after 2 s without anything within ... */
#define BEEP_PRE_LEVEL 0.2f       /* [fit] ... 7 dB of the tone are fax CNG, not beeps */
#define BEEP_EDGE_MAX 0.5f        /* [fit] hops just before the start and after the end: < -3 dB of the tone, */
#define BEEP_EDGE_TONAL 0.15f     /* [fit]   unless they are not tonal themselves (babble, noise, clicks) */
#define BEEP_TRACK_TOL_HZ 12.f    /* [fit] frame-to-segment frequency match: max(12 Hz, 2 %) */
#define BEEP_TRACK_TOL_REL 0.02f /* [fit] */
#define BEEP_BRIDGE_FRAMES 3      /* [fit] weak frames bridged inside a segment */
#define BEEP_SINGLE_FRAMES 5      /* [fit] a segment that has been a single tone for 5 frames stays one; */
#define BEEP_SEQ_P2 0.5f          /* [fit]   a second pitch within 3 dB of it is the next tone of a sequence */
#define BEEP_HOLD_MIN_GOOD 5      /* [fit] an established segment (5 tone frames) ... */
#define BEEP_HOLD_PURITY 0.45f    /* [fit] ... whose tone(s) still hold 45 % of the in-band power, the
                                     strongest peak being one of them, is held through a music or
                                     babble bed's louder note (a 2000+2500 Hz beep under music:
                                     each tone ~0.3 of the power for 50 ms) ... */
#define BEEP_HOLD_MAX_FRAMES 8    /* [fit] ... for up to 80 ms after the last tone frame; a segment that
                                     ends held is judged as ending at its last tone frame */
#define BEEP_GLITCH_FRAMES 2       /* [fit] an established segment (BEEP_HOLD_MIN_GOOD tone frames) bridges up to 2
                                     tone frames whose pitch is off by at most ... */
#define BEEP_GLITCH_TOL 2.5f       /* [fit] ... 2.5 x the tracking tolerance (a repeated or lost packet, a
                                     codec frame boundary pulls the estimate; a sequence's next tone is a
                                     step away) */
#define BEEP_STRADDLE_HZ 140.f    /* [fit] an established single tone's frame whose two peaks, at most this far
                                     apart, lie either side of it (midpoint within the tracking tolerance):
                                     two tones closer than the window resolves, at the null of their beat */
#define BEEP_CLOSE_MIN_HOPS 16    /* [fit] close-pair analysis on >= 160 ms of demodulated hops ... */
#define BEEP_CLOSE_MIN_HZ 20.f    /* [fit] ... finds two tones >= 20 Hz apart ... */
#define BEEP_CLOSE_P2 0.1f        /* [fit] ... within 10 dB of each other (BEEP_DUAL_MIN) ... */
#define BEEP_CLOSE_CONC 0.85f     /* [fit] ... holding 85 % of the baseband power in their two main lobes
                                     (two steady tones at 10 dB SNR: > 0.95; a voice's jitter, vibrato and
                                     glides spread it) */
#define BEEP_CLOSE_BACK 10        /* [fit] a close pair's onset, split by its beat into short runs before the
                                     segment, is looked for up to 10 hops before its start: ... */
#define BEEP_CLOSE_BACK_PURITY 0.5f /* [fit] ... loud hops whose strongest peak holds half the power */
#define BEEP_ONSET_FRAMES 2       /* [fit] first tone frames left out of the frequency statistics */
#define BEEP_STD_HZ 2.5f          /* [fit] frequency spread limit: max(2.5 Hz, 0.6 %); GSM 06.10 at 15 dB SNR */
#define BEEP_STD_REL 0.006f       /* [fit]   jitters a 2 kHz tone by ~0.4 %, vibrato is 0.7..2 % */
#define BEEP_DRIFT_HZ 3.0f        /* [fit] frequency trend over the segment: max(3 Hz, 0.5 %); intonation */
#define BEEP_DRIFT_REL 0.005f     /* [fit]   glides are 100..500 Hz/s, i.e. >= 10 Hz over a 100 ms "tone" */
#define BEEP_DTMF_TOL 0.02f       /* [std: ITU-T Q.23 / Q.24 frequency tolerance] DTMF pair match (Q.23 senders: +-1.8 %) */
#define BEEP_DTMF_BEEP_MS 150     /* [fit] a DTMF-pair tone this long (keyed digits: 40..100 ms), after */
#define BEEP_DTMF_ALONE_MS 2000   /* [fit]   speech and with no other digit within 2 s, is a beep */
#define BEEP_CPT_ALONE_MS 5000    /* [std: ITU-T E.180 Supplement 2] 425 Hz cadences repeat within 5 s
                                     (ringback 1 s on / 4 s off; busy and congestion faster) */
#define BEEP_ENV_CV 0.50f         /* [fit] coefficient of variation of 20 ms energies (GSM 06.10 at 20 dB SNR: < 0.4) */
#define BEEP_HIGH_HZ 1300.f       /* [fit] a tone from 1.3 kHz ... */
#define BEEP_HIGH_MIN_MS 150      /* [fit] ... lasting 150 ms may wobble more (GSM 06.10): */
#define BEEP_HIGH_ENV_CV 0.75f    /* [fit] 20 ms level CV up to 0.75 */
#define BEEP_SHAPE_MAX 0.15f      /* [fit] mean main-lobe shape error (lone tone <= 0.13 through GSM at
                                     20 dB SNR; unresolved pairs 440+480, 400+450, 350+440 >= 0.22) */
#define BEEP_HARM_STD_HZ 2.0f     /* [fit] the same for a dual tone whose two tones are harmonics of */
#define BEEP_HARM_ENV_CV 0.15f    /* [fit]   their difference frequency (adjacent voice harmonics) */
#define BEEP_HARM_TOL 0.05f       /* [fit] ... within this fraction of a harmonic number */
#define BEEP_HARM_MIN_MS 150      /* [fit] ... and such a dual tone (or one whose tones are harmonics of a
                                     common f0 >= 80 Hz) must last 150 ms: voices pass for < 100 ms */
#define BEEP_SIB_MAX 0.01f        /* [fit] ... unless their f0's other harmonics differ from the power between them by < 1 % of theirs */
#define BEEP_SIB_FRAMES 6         /* [fit]   measured on >= 6 dual frames, */
#define BEEP_SIB_ENV_CV 0.35f     /* [fit]   and a level CV <= 0.35 (a slow AGC: ~0.27; a plucked note >= 0.5) */
#define BEEP_LOUD_FRAC 0.30f      /* [fit] a hop belongs to the tone if its energy >= 30 % of the tone's */
#define BEEP_GOOD_FRAC 0.80f      /* [fit] tone frames / segment frames (noise and codecs spoil a few) */
#define BEEP_DUR_SLACK_MS 10      /* [fit] edge measurement at hop resolution */
#define BEEP_FINE_SLACK_MS 5      /* [fit] the same measured to a fraction of a hop (fine_duration_ms):
                                     an 80 ms beep with 2 ms ramps measures ~78 ms, a 70 ms one ~68 */
#define BEEP_MAX_MS 2500          /* [fit] longest beep (or chain of beeps) reported */
#define BEEP_CHAIN_GAP_MS 350     /* [fit] gap that chains two tones into one beep; also the report delay */
#define BEEP_CED_MIN_MS 1250     /* [std: ITU-T V.25 / T.30: an answer tone lasts 2.6..4 s] a 2100 Hz tone this
                                     long is left to the fax detector (which confirms a CED at 1.3 s); one
                                     that stopped sooner is no answer tone */
#define BEEP_PR_GAP_MS 60         /* [fit] 2100 Hz pieces this close are an answer tone with reversals */
#define BEEP_CHAIN_WAIT_MS 1500   /* [fit] longest wait for a chained tone in progress ... */
#define BEEP_FOLLOW_FRAMES 8      /* [fit] ... that still looks like a beep after 8 tone frames */
#define BEEP_SEQ_GAP_MS 30        /* [fit] a tone starting this soon after a steady tone of another pitch
                                     ended continues a tone sequence (its "before" edge is that tone) */

static inline float track_tol(float hz)
{
    float t = BEEP_TRACK_TOL_REL * hz;
    return t > BEEP_TRACK_TOL_HZ ? t : BEEP_TRACK_TOL_HZ;
}

/* A segment that is (so far) a single tone: no second tone, or one seen only in its onset frames or
   a minority of its frames. */
static inline int single_tone(const amdi_beep_seg *s) { return !s->dual || 2 * s->nb < s->na; }

static inline int near(float f, float ref) { return fabsf(f - ref) <= track_tol(ref); }

static inline int near_hz(float f, float ref, float tol) { return fabsf(f - ref) <= tol; }

/* The configured range, widened by the estimator's margin (1 %) so a 300 or 2500 Hz beep is in. */
static inline int in_range(const amdi_beep *b, float hz) { return hz >= 0.99f * b->min_hz && hz <= 1.01f * b->max_hz; }

/*
 * Power at the harmonics 2f, 3f, ... of f (up to 3.9 kHz) minus the power half way between
 * them: what a voice or an instrument has and a generated tone in noise does not. Lobes that
 * would hit `other` (the second tone of a dual tone, 0 = none) are skipped.
 */
static inline float harm_excess(const float *p, float f, float other)
{
    float ex = 0.f;
    for (int k = 2; k * f <= 3900.f; k++) {
        float h = (float)k * f, m = ((float)k - 0.5f) * f;
        if (other > 0.f && (fabsf(h - other) < 4.f * AMDI_BIN_HZ || fabsf(m - other) < 4.f * AMDI_BIN_HZ))
            continue;
        ex += amdi_tone_power_at(p, h) - amdi_tone_power_at(p, m);
    }
    return ex;
}

/* f and g both harmonics of one fundamental >= 80 Hz, f being its k-th harmonic, kmin <= k <= 6. */
static inline int harmonic_siblings(float f, float g, int kmin)
{
    for (int k = kmin; k <= 6; k++) {
        float f0 = f / (float)k;
        if (f0 < 80.f)
            break;
        float m = rintf(g / f0);
        if (m >= 1.f && m != (float)k && fabsf(g - m * f0) <= BEEP_PARTNER_TOL_HZ)
            return 1;
    }
    return 0;
}

/* The fundamental >= 80 Hz of which lo < hi are both harmonics (their difference if they are
   adjacent ones), 0 if none. */
static inline float common_f0(float lo, float hi)
{
    float d = hi - lo, q = lo / d;
    if (d >= 60.f && q <= 12.f && fabsf(q - rintf(q)) <= BEEP_HARM_TOL)
        return d;
    for (int k = 1; k <= 6; k++) {
        float f0 = lo / (float)k, m = rintf(hi / f0);
        if (f0 < 80.f)
            break;
        if (m > (float)k && fabsf(hi - m * f0) <= BEEP_PARTNER_TOL_HZ)
            return f0;
    }
    return 0.f;
}

/*
 * Power at the other harmonics of f0 (beyond the power half way between them) over the pair's
 * power: a voice whose two harmonics hold most of the power still has its other harmonics; two
 * generated tones that happen to be harmonics of one f0 have only noise there.
 */
static inline float other_harmonics(const float *p, float f0, float lo, float hi, float pair_power)
{
    float ex = 0.f, keep = 3.f * AMDI_BIN_HZ;
    for (int m = 1; (float)m * f0 <= 3900.f; m++) {
        float h = (float)m * f0, mid = h - 0.5f * f0;
        if (fabsf(h - lo) < keep || fabsf(h - hi) < keep || fabsf(mid - lo) < keep || fabsf(mid - hi) < keep)
            continue;
        ex += amdi_tone_power_at(p, h) - amdi_tone_power_at(p, mid);
    }
    return pair_power > 0.f ? ex / pair_power : 1.f;
}

/* A DTMF pair (Q.23 rows x columns +-2 %), lo < hi. */
static inline int is_dtmf_pair(float lo, float hi)
{
    static const float row[] = {697.f, 770.f, 852.f, 941.f};
    static const float col[] = {1209.f, 1336.f, 1477.f, 1633.f};
    int r = 0, c = 0;
    for (int i = 0; i < 4; i++) {
        r |= near_hz(lo, row[i], BEEP_DTMF_TOL * row[i]);
        c |= near_hz(hi, col[i], BEEP_DTMF_TOL * col[i]);
    }
    return r && c;
}

static inline float spread(double s, double s2, int n)
{
    if (n < 2)
        return 0.f;
    double m = s / n, v = s2 / n - m * m;
    return v > 0 ? (float)sqrt(v) : 0.f;
}

/* Evaluate a closed segment. 1 = a beep part, with its start/end/frequency. */
#ifdef AMDI_BEEP_DEBUG
#include <stdio.h>
#define DBG(...) fprintf(stderr, __VA_ARGS__)
#else
#define DBG(...) ((void)0)
#endif

/* Hop energy of frame j if the ring still holds it (now - 7 <= j <= now), else -1. */
static inline float ring_e(const amdi_beep *b, int64_t now, int64_t j)
{
    if (j < 0)
        return 0.f; /* before the call: silence */
    if (j > now || now - j > AMDI_BEEP_RING - 1)
        return -1.f;
    return b->hop_e[j & (AMDI_BEEP_RING - 1)];
}

/* A voiced-looking (tonal) neighbour: a voice gliding or stepping into (or out of) the "tone". */
static inline int voiced(float purity) { return purity >= BEEP_EDGE_TONAL; }

/* Purity (strongest peak / in-band power) of frame j if the ring still holds it, else 0. */
static inline float ring_p(const amdi_beep *b, int64_t now, int64_t j)
{
    if (j < 0 || j > now || now - j > AMDI_BEEP_RING - 1)
        return 0.f;
    return b->hop_p[j & (AMDI_BEEP_RING - 1)];
}

/* Judge a closed segment (beep_rules.c): AMDI_BEEP_OK (a beep part, with its start / end /
 * frequency) or the reason it is not one; *run_on / *follows as seg_close needs them. */
amdi_beep_reason amdi_beep_seg_judge(const amdi_beep *b, const amdi_beep_seg *s, int64_t now, int64_t *start_ms,
                                     int64_t *end_ms, float *hz, int *run_on, int *follows);

#endif /* AMDI_BEEP_INTERNAL_H */
