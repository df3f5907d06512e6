/* SPDX-License-Identifier: MIT */
/*
 * End-of-greeting beep detector (SPEC §4.3, issue 3).
 *
 * What it does
 *   Finds the tone a voicemail system plays when the greeting is over: a
 *   steady single tone or dual tone between cfg->beep_min_hz and
 *   cfg->beep_max_hz (default 300..2500 Hz, +-1 % for the estimator) lasting
 *   cfg->beep_min_ms (default 80 ms) up to BEEP_MAX_MS, and reports it once it
 *   has ended: start, end (hop resolution, 10 ms) and frequency (the stronger
 *   tone of a dual tone; mean of per-frame interpolated estimates, within
 *   ~1-2 Hz). Measured limits (check_beep.c): -45..0 dBFS, 10 dB SNR on a
 *   linear or G.711 line; through GSM 06.10 beeps up to 1.5 kHz at 15 dB SNR
 *   and up to 2 kHz at 20 dB most of the time (GSM's RPE coding distorts
 *   higher tones; above 2 kHz about half are found).
 *
 * How it works
 *   1. Tone frames. tone_analysis.c has found the two strongest spectral
 *      peaks. A frame is a tone frame when the hop level is above
 *      BEEP_MIN_DBFS and
 *      - single tone: the strongest peak's main lobe holds >= BEEP_PURITY of
 *        the in-band power (a sinusoid at 10 dB SNR: ~0.9; speech and music,
 *        with their energy spread over harmonics, rarely); nothing at f/2
 *        (f would not be a fundamental) nor at both f - f/k and f + f/k
 *        (k = 2..6: f would be the k-th harmonic of a voice, whose neighbours
 *        are rarely 17 dB down), each against the power half way to it so
 *        coloured noise does not count. An overtone at 2f (or a second peak
 *        at m * f) is allowed, as cheap machines make square-ish beeps, but
 *        marks the frame "rich" (step 3);
 *      - dual tone: a second peak within 10 dB (BEEP_DUAL_MIN), in range,
 *        both together >= BEEP_PURITY and not in an integer ratio.
 *   2. Segments. Consecutive tone frames at the same frequencies (within
 *      max(12 Hz, 2 %)) form a segment; up to BEEP_BRIDGE_FRAMES weak frames
 *      inside are bridged (codec glitches, a phase reversal), and up to
 *      BEEP_HOLD_MAX_FRAMES frames where a louder music / babble note spoils
 *      the tone frame but the segment's tone(s) still hold BEEP_HOLD_PURITY
 *      of the power are held (a segment ending held is judged as ending at
 *      its last tone frame, with what followed that frame as its edge). Its start and
 *      end are measured on the raw 10 ms hop energies (the 32 ms window
 *      smears them by up to 3 hops).
 *   3. A closed segment is a beep (part) if it passes every reject rule (the rule_*
 *      functions, tried in the order of beep_rules[] on statistics computed once per
 *      segment; the first that fires names the reason, amdi_beep_reason, which
 *      bench/tone_eval counts), i.e.
 *      - it lasts beep_min_ms (less one hop) .. BEEP_MAX_MS, with tone frames
 *        in >= BEEP_GOOD_FRAC of it; near beep_min_ms the duration is measured
 *        to a fraction of a hop (fine_duration_ms: edge hops by their energy);
 *      - its pitch is steady: spread <= max(BEEP_STD_HZ, BEEP_STD_REL f),
 *        drift (least-squares trend over the segment) <= max(BEEP_DRIFT_HZ,
 *        BEEP_DRIFT_REL f); under 500 Hz and 150 ms the spread must stay
 *        within 1 Hz (voices' fundamentals live there). Beeps are crystal or
 *        table generated; singing has vibrato (+-1..3 %, 5..7 Hz), voices
 *        jitter by ~0.5 % and glide by 100..500 Hz/s;
 *      - its lobe has the shape of one sinusoid (amdi_tone_shape_error <=
 *        BEEP_SHAPE_MAX): unresolved pairs (ringback 440+480, dial 350+440,
 *        UK 400+450) are wider;
 *      - its level is steady: coefficient of variation of its 20 ms (two-hop)
 *        energies <= BEEP_ENV_CV plus what two beating tones cause
 *        (beat_cv()); 20 ms because GSM 06.10 wobbles the level inside its
 *        20 ms frames; long tones from BEEP_HIGH_HZ may wobble more (GSM);
 *      - it is not a voice's harmonic: not in half its frames with a second
 *        peak that is a sibling harmonic (BEEP_PARTNER_*); a dual tone whose
 *        tones are harmonics of one f0 must be steadier (BEEP_HARM_*) and
 *        last 150 ms, unless that f0's other harmonics hold nothing
 *        (other_harmonics(): a voice has them, two generated tones do not);
 *      - if "rich" (overtones in BEEP_RICH_FRAC of its frames, or harmonic
 *        power beyond the inter-harmonic power, BEEP_HARM_EXCESS): it must
 *        also last 100 ms, hold its pitch within max(1.5 Hz, 0.2 %) and its
 *        level within 20 %, start and stop sharply (full level one hop after
 *        its start and before its end; quieter hops on both sides) - what a
 *        generated beep does and a sung or spoken vowel does not;
 *      - it starts and stops: the two hops on either side are 3 dB quieter,
 *        unless they are not tonal (babble, noise, clicks), or the hops before
 *        it are a steady tone of another pitch it follows at once (a tone
 *        sequence: the first tones, rejected only for what followed them, are
 *        held and chained to the last one). A voice holding a
 *        pure-looking pitch (espeak's fundamental can hold > 90 % of the
 *        power for 80 ms) glides in from and on to other voiced sounds;
 *      - it is not a known non-beep: call-progress pairs (350+440 dial,
 *        440+480 ringback, 480+620 busy / reorder, 400+450 UK) and 425 Hz
 *        +-1.5 % (ITU Europe call progress; a lone one of 150 ms or more right
 *        after speech is a beep), DTMF pairs (Q.23 rows x columns
 *        +-2 %: senders keep +-1.8 %; a wider net catches ordinary dual
 *        beeps) unless longer than BEEP_DTMF_BEEP_MS, after speech and with no
 *        other digit within BEEP_DTMF_ALONE_MS (a keypad run cancels it), fax CNG (1100 +-45 Hz, 350..650 ms: T.30's 0.5 s +-15 %)
 *        after 2 s with nothing within 7 dB (a CNG burst follows the call's
 *        start or its own 3 s pause; a voicemail beep follows the greeting,
 *        so an 1100 Hz beep after speech is still a beep), and 2100 +-25 Hz
 *        lasting >= 1 s (CED / ANS, fax_detector.c confirms it at 1.3 s).
 *   4. Report. A beep is held for BEEP_CHAIN_GAP_MS: a second beep part
 *      starting within that gap (double beeps, two-tone beeps) is chained to
 *      it, and the event comes BEEP_CHAIN_GAP_MS after the last part ended,
 *      inside the +500 ms in which a voicemail drop counts as on time
 *      (corpus.md) and never before the beep ended. Start is the first
 *      part's start, end the last part's end, frequency the longest part's.
 *      Steady tones (or chains) longer than BEEP_MAX_MS (2.5 s) are not
 *      beeps: continuous or long cadenced tones are call progress, modem
 *      tones or music; 1.2 s is the longest beep in the corpus, so the
 *      margin is double.
 *   The VAD's "tone active" (amdi_tones_active) is set from a candidate's
 *   third frame if it looks like a beep so far (steady, no voice harmonics,
 *   no glide-in, peak >= 80 % of the power).
 *
 * Measured with `tone_eval bench/corpus-out/manifest.csv` (bench/tone_eval.c,
 * 1,200-file corpus, 2026-12-07): 96.2 % of beeps reported on time, none
 * early, no false beep in 3.7 h of greetings / live answers (was 91.7 %, 0.8 %,
 * 0.5 per hour on 2026-11-29); 0 per hour on the synthetic speech, singing and
 * music of check_beep.c.
 */
#include "beep_detector.h"

#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

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
#define BEEP_PR_GAP_MS 60         /* [fit] 2100 Hz pieces this close are an answer tone with reversals */
#define BEEP_CHAIN_WAIT_MS 1500   /* [fit] longest wait for a chained tone in progress ... */
#define BEEP_FOLLOW_FRAMES 8      /* [fit] ... that still looks like a beep after 8 tone frames */
#define BEEP_SEQ_GAP_MS 30        /* [fit] a tone starting this soon after a steady tone of another pitch
                                     ended continues a tone sequence (its "before" edge is that tone) */

static float track_tol(float hz)
{
    float t = BEEP_TRACK_TOL_REL * hz;
    return t > BEEP_TRACK_TOL_HZ ? t : BEEP_TRACK_TOL_HZ;
}

static int near(float f, float ref) { return fabsf(f - ref) <= track_tol(ref); }

static int near_hz(float f, float ref, float tol) { return fabsf(f - ref) <= tol; }

/* The configured range, widened by the estimator's margin (1 %) so a 300 or 2500 Hz beep is in. */
static int in_range(const amdi_beep *b, float hz) { return hz >= 0.99f * b->min_hz && hz <= 1.01f * b->max_hz; }

void amdi_beep_init(amdi_beep *b, const amd_config *cfg)
{
    memset(b, 0, sizeof *b);
    amdi_activity_init(&b->act);
    b->last_active = -1;
    b->min_hz = (float)cfg->beep_min_hz;
    b->max_hz = (float)cfg->beep_max_hz;
    b->min_ms = cfg->beep_min_ms;
}

void amdi_beep_reset(amdi_beep *b)
{
    float lo = b->min_hz, hi = b->max_hz;
    int ms = b->min_ms;
    memset(b, 0, sizeof *b);
    amdi_activity_init(&b->act);
    b->last_active = -1;
    b->min_hz = lo;
    b->max_hz = hi;
    b->min_ms = ms;
}

/*
 * Power at the harmonics 2f, 3f, ... of f (up to 3.9 kHz) minus the power half way between
 * them: what a voice or an instrument has and a generated tone in noise does not. Lobes that
 * would hit `other` (the second tone of a dual tone, 0 = none) are skipped.
 */
static float harm_excess(const float *p, float f, float other)
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
static int harmonic_siblings(float f, float g, int kmin)
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
static float common_f0(float lo, float hi)
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
static float other_harmonics(const float *p, float f0, float lo, float hi, float pair_power)
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

/* A dual frame whose tones share an f0: add what is at that f0's other harmonics. */
static void seg_add_sib(amdi_beep_seg *s, const float *power, float f1, float f2, float pair_power)
{
    float lo = fminf(f1, f2), hi = fmaxf(f1, f2), f0 = common_f0(lo, hi);
    if (f0 > 0.f) {
        s->sib += other_harmonics(power, f0, lo, hi, pair_power);
        s->n_sib++;
    }
}

/* 0: not a tone frame; 1: single tone f1; 2: dual tone f1 (stronger), f2. */
static int classify(const amdi_beep *b, const amdi_tone_analysis *a, float *f1, float *f2,
                    float *pw1, float *pw2, float *hx, int *partner, int *rich)
{
    *rich = 0;
    if (a->f->level_db < BEEP_MIN_DBFS || a->p1.bin == 0 || !in_range(b, a->p1.hz))
        return 0;
    const float *p = a->f->power;
    *f1 = a->p1.hz;
    *pw1 = a->p1.power;
    if (a->p2.bin && a->p2.power >= BEEP_DUAL_MIN * a->p1.power) {
        if (!in_range(b, a->p2.hz) || a->p1.power + a->p2.power < BEEP_PURITY * a->total)
            return 0;
        float lo = fminf(a->p1.hz, a->p2.hz), hi = fmaxf(a->p1.hz, a->p2.hz);
        float r = hi / lo, n = rintf(r);
        if (n >= 2.f && fabsf(r - n) < 0.03f * n)
            return 0; /* harmonic pair: voice or instrument */
        *f2 = a->p2.hz;
        *pw2 = a->p2.power;
        *hx = (harm_excess(p, *f1, *f2) + harm_excess(p, *f2, *f1)) / (a->p1.power + a->p2.power);
        /* harmonic dual tones get the stricter steadiness test (rule_harmonic_dual); here the flag only
           keeps them from counting as a tone for the VAD */
        *partner = harmonic_siblings(*f1, *f2, 1) || harmonic_siblings(*f2, *f1, 1);
        return 2;
    }
    if (a->p1.power < BEEP_PURITY * a->total)
        return 0;
    /* 2f and f/2 against the power half way to them: coloured noise (pink, hum) is not a harmonic.
       Overtones (2f) are allowed, as cheap machines make square-ish beeps, but flag the frame: such
       a tone must pass the stricter tests a voice's fundamental fails. A subharmonic (f/2) means f
       is not the fundamental at all. */
    float hmax = BEEP_HARM_MAX * a->p1.power, f = a->p1.hz;
    if (amdi_tone_power_at(p, 2.f * f) - amdi_tone_power_at(p, 1.5f * f) > hmax)
        *rich = 1;
    if (f >= 240.f && amdi_tone_power_at(p, 0.5f * f) - amdi_tone_power_at(p, 0.75f * f) > hmax)
        return 0;
    /* f as the k-th harmonic of a voice (k = 2..6, f0 >= 125 Hz so the lobes are resolved): its
       neighbours f - f0 and f + f0 are harmonics too; around a generated tone there is only noise. */
    for (int k = 2; k <= 6; k++) {
        float f0 = f / (float)k;
        if (f0 < 4.f * AMDI_BIN_HZ)
            break;
        if (fminf(amdi_tone_power_at(p, f - f0), amdi_tone_power_at(p, f + f0)) > hmax)
            return 0;
    }
    *f2 = 0.f;
    *pw2 = 0.f;
    *hx = harm_excess(p, *f1, 0.f) / a->p1.power;
    if (a->p2.bin && a->p2.power >= BEEP_PARTNER_MIN * a->p1.power) {
        float m = rintf(a->p2.hz / f);
        if (m >= 2.f && fabsf(a->p2.hz - m * f) <= BEEP_PARTNER_TOL_HZ + 0.01f * a->p2.hz)
            *rich = 1; /* an overtone of f */
        else
            *partner = harmonic_siblings(f, a->p2.hz, 2); /* f is a higher harmonic of a voice */
    }
    return 1;
}

static void seg_open(amdi_beep *b, int64_t idx)
{
    amdi_beep_seg *s = &b->seg;
    memset(s, 0, sizeof *s);
    s->on = 1;
    s->first = s->last = idx;
    s->start_frame = idx;
    s->last_loud = idx;
    s->last_held = idx;
}

/* Add a tone frame whose frequencies are already matched to slots a (fa) and b (fb, 0 = none). */
static void seg_add(amdi_beep_seg *s, int64_t idx, float fa, float pwa, float fb, float pwb)
{
    s->last = idx;
    s->n_good++;
    s->pwa += pwa;
    if (fb > 0.f) {
        s->pwb += pwb;
        s->dual = 1;
    }
    if (s->n_good > BEEP_ONSET_FRAMES) {
        double t = (double)(idx - s->first);
        s->sta += t;
        s->st2a += t * t;
        s->stfa += t * fa;
        s->sa += fa;
        s->sa2 += (double)fa * fa;
        s->na++;
        s->fa = (float)(s->sa / s->na);
        if (fb > 0.f) {
            s->sb += fb;
            s->sb2 += (double)fb * fb;
            s->nb++;
            s->fb = (float)(s->sb / s->nb);
        }
    } else {
        s->fa = fa;
        if (fb > 0.f)
            s->fb = fb;
    }
}

/* Match a tone frame to the open segment; fills the slot values. */
static int seg_match(const amdi_beep_seg *s, int kind, float f1, float pw1, float f2, float pw2,
                     float *fa, float *pwa, float *fb, float *pwb)
{
    *fb = 0.f;
    *pwb = 0.f;
    if (kind == 1) {
        if (near(f1, s->fa)) {
            *fa = f1;
            *pwa = pw1;
            return 1;
        }
        if (s->dual && near(f1, s->fb)) {
            /* only the second tone is visible: keep slot a's statistics clean */
            *fa = s->fa;
            *pwa = 0.f;
            *fb = f1;
            *pwb = pw1;
            return 1;
        }
        return 0;
    }
    if (!s->dual && s->n_good >= BEEP_SINGLE_FRAMES) {
        /* An established single tone does not turn into a dual tone. A weaker second pitch is a
           bed under the tone (the frame counts for the tone); one nearly as strong is the next
           tone of a sequence overlapping it in the window: the frame does not match, so its pull
           on the tone's estimate stays out of the pitch statistics and the segment closes. */
        if (pw2 >= BEEP_SEQ_P2 * pw1 || !near(f1, s->fa))
            return 0;
        *fa = f1;
        *pwa = pw1;
        return 1;
    }
    if (near(f1, s->fa) && (!s->dual || near(f2, s->fb))) {
        *fa = f1, *pwa = pw1, *fb = f2, *pwb = pw2;
        return 1;
    }
    if (near(f2, s->fa) && (!s->dual || near(f1, s->fb))) {
        *fa = f2, *pwa = pw2, *fb = f1, *pwb = pw1;
        return 1;
    }
    return 0;
}

/* A DTMF pair (Q.23 rows x columns +-2 %), lo < hi. */
static int is_dtmf_pair(float lo, float hi)
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

/* Known tones that are not beeps; 2 = a DTMF pair, 3 = 425 Hz (call progress unless alone after speech). [std] The call-progress pairs and 425 Hz are
   the tone plans of ITU-T E.180 Supplement 2 (North America, UK, Europe); CNG 1100 Hz and CED
   2100 Hz are ITU-T T.30 / V.25; the tolerances around them are [fit]. */
static int is_known_non_beep(float fa, float fb, int dual, int64_t dur_ms, int after_activity)
{
    if (dual) {
        static const float cpt[][2] = {{350.f, 440.f}, {440.f, 480.f}, {480.f, 620.f}, {400.f, 450.f}};
        float lo = fminf(fa, fb), hi = fmaxf(fa, fb);
        for (size_t i = 0; i < sizeof cpt / sizeof cpt[0]; i++)
            if (near_hz(lo, cpt[i][0], 15.f) && near_hz(hi, cpt[i][1], 15.f))
                return 1;
        if (is_dtmf_pair(lo, hi))
            return 2;
        return 0;
    }
    if (near_hz(fa, 425.f, 6.f)) /* 425 Hz +-1.5 %: a 417 Hz beep is still a beep */
        return 3;
    if (near_hz(fa, 1100.f, 45.f) && dur_ms >= BEEP_CNG_MIN_MS && dur_ms <= BEEP_CNG_MAX_MS && !after_activity)
        return 1;
    if (near_hz(fa, 2100.f, 25.f) && dur_ms >= 1000)
        return 1;
    return 0;
}

/*
 * Hop-energy coefficient of variation that two steady tones cause by beating: the 10 ms hop mean of
 * their product term, 2 a b cos(2 pi df t), keeps |sinc(df * 10 ms)| of it (a tone pair 141 Hz
 * apart wobbles by +-20 % from hop to hop, one 660 Hz apart by < 5 %).
 */
static float beat_cv(float fa, float fb, double pa, double pb)
{
    if (fb <= 0.f || pa <= 0 || pb <= 0)
        return 0.f;
    double x = M_PI * fabs(fa - fb) * AMDI_HOP_MS / 1000.0;
    double sinc = x > 1e-6 ? fabs(sin(x) / x) : 1.0;
    return (float)(2.0 * sqrt(pa * pb) / (pa + pb) * sinc / sqrt(2.0));
}

static float spread(double s, double s2, int n)
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
static float ring_e(const amdi_beep *b, int64_t now, int64_t j)
{
    if (j < 0)
        return 0.f; /* before the call: silence */
    if (j > now || now - j > AMDI_BEEP_RING - 1)
        return -1.f;
    return b->hop_e[j & (AMDI_BEEP_RING - 1)];
}

/* A voiced-looking (tonal) neighbour: a voice gliding or stepping into (or out of) the "tone". */
static int voiced(float purity) { return purity >= BEEP_EDGE_TONAL; }

/* Purity (strongest peak / in-band power) of frame j if the ring still holds it, else 0. */
static float ring_p(const amdi_beep *b, int64_t now, int64_t j)
{
    if (j < 0 || j > now || now - j > AMDI_BEEP_RING - 1)
        return 0.f;
    return b->hop_p[j & (AMDI_BEEP_RING - 1)];
}

/* Statistics of a closed segment, computed once for all the rules below. */
typedef struct seg_stats {
    int ended_held;           /* the segment ended in held frames */
    int64_t start_ms, end_ms; /* as reported (end: last loud hop, or last tone frame if it ended held) */
    int64_t dur, span;        /* ms; tone + bridged frames */
    float ma, mb;             /* mean frequency of tone a, of tone b (0: single tone) */
    float sd_a, sd_b;         /* their spread (Hz) */
    float drift;              /* least-squares trend of tone a over the segment (Hz) */
    int dual;                 /* tone b in at least half of tone a's frames */
    float shape, harm;        /* mean lobe-shape error, mean harmonic excess (0 when no frames) */
    int partner;              /* half the frames had a harmonic-sibling second peak */
    int rich;                 /* overtones: a square-ish beep or a voice */
    float level, cv;          /* mean loud-hop energy and its coefficient of variation */
    float cv20;               /* the same over 20 ms (two-hop) energies */
    float beat;               /* level wobble two beating tones cause (beat_cv) */
    float pre;                /* loudest activity in the 2 s before the start */
    float sib;                /* mean other_harmonics() of the dual frames (1: not measured) */
} seg_stats;

static void seg_stats_compute(const amdi_beep *b, const amdi_beep_seg *s, seg_stats *t)
{
    memset(t, 0, sizeof *t);
    t->ended_held = s->last_held > s->last;
    int64_t last_loud = t->ended_held && s->last_loud > s->last ? s->last : s->last_loud;
    t->start_ms = s->start_frame * AMDI_HOP_MS;
    t->end_ms = (last_loud + 1) * AMDI_HOP_MS;
    t->dur = t->end_ms - t->start_ms;
    t->span = s->last - s->first + 1;
    t->ma = s->na ? (float)(s->sa / s->na) : 0.f;
    t->sd_a = spread(s->sa, s->sa2, s->na);
    t->sd_b = spread(s->sb, s->sb2, s->nb);
    double n = s->na, den = n * s->st2a - s->sta * s->sta;
    double slope = den > 0 ? (n * s->stfa - s->sta * s->sa) / den : 0.0;
    t->drift = (float)fabs(slope * (double)(s->last - s->first));
    t->dual = s->nb >= 2 && s->nb * 2 >= s->na;
    t->mb = t->dual ? (float)(s->sb / s->nb) : 0.f;
    if (s->nshape > 0) {
        t->shape = (float)(s->shape / s->nshape);
        t->harm = (float)(s->harm / s->nshape);
        t->partner = (float)s->n_partner >= BEEP_PARTNER_FRAC * (float)s->nshape;
        t->rich = (float)s->n_rich >= BEEP_RICH_FRAC * (float)s->nshape || t->harm > BEEP_HARM_EXCESS;
    }
    double m = s->ne ? s->se / s->ne : 0, v = s->ne ? s->se2 / s->ne - m * m : 0;
    t->level = (float)m;
    t->cv = m > 0 && v > 0 ? (float)(sqrt(v) / m) : 0.f;
    double mp = s->np >= 2 ? s->sp / s->np : m, vp = s->np >= 2 ? s->sp2 / s->np - mp * mp : v;
    t->cv20 = m <= 0 ? INFINITY : (vp > 0 && mp > 0 ? (float)(sqrt(vp) / mp) : 0.f);
    t->beat = beat_cv(t->ma, t->mb, s->pwa, s->pwb);
    t->sib = s->n_sib ? (float)(s->sib / s->n_sib) : 1.f;
    t->pre = amdi_activity_max(&b->act, s->start_frame - BEEP_PRE_FRAMES, s->start_frame - 10);
}

/* What every rule sees. */
typedef struct beep_ctx {
    const amdi_beep *b;
    const amdi_beep_seg *s;
    const seg_stats *t;
    int64_t now; /* the frame the segment closed on (for the hop rings) */
} beep_ctx;

/* A tone of D ms gives ~D/10 tone frames; the window's smear adds ~2, speech just before takes up to 3. */
static amdi_beep_reason rule_frames(const beep_ctx *c)
{
    return c->s->na < 3 || c->s->n_good < c->b->min_ms / AMDI_HOP_MS - 2 ? AMDI_BEEP_REJ_FRAMES : AMDI_BEEP_OK;
}

/*
 * Duration to a fraction of a hop, for tones near beep_min_ms: a hop the tone covers for a fraction x
 * of its 10 ms holds ~x of a full hop's energy, so the edge hops (the first and last loud ones and
 * the quieter ones just outside) count by their energy over the level of the full hops inside
 * (the hops after the start and before the end). -1 when the hops are no longer known.
 */
static float fine_duration_ms(const beep_ctx *c)
{
    const amdi_beep_seg *s = c->s;
    int64_t last = c->t->end_ms / AMDI_HOP_MS - 1; /* last loud hop as reported */
    float e_last = ring_e(c->b, c->now, last), e_after = ring_e(c->b, c->now, last + 1);
    float full = 0.5f * (s->att_e + s->dec_e);
    if (last - s->start_frame < 3 || e_last < 0.f || e_after < 0.f || full <= 0.f)
        return -1.f;
    float edge = fminf(s->start_e / full, 1.f) + fminf(s->pre_e1 / full, 1.f) + fminf(e_last / full, 1.f) +
                 fminf(e_after / full, 1.f);
    return (float)((last - s->start_frame - 1) * AMDI_HOP_MS) + edge * (float)AMDI_HOP_MS;
}

static amdi_beep_reason rule_duration(const beep_ctx *c)
{
    if (c->t->dur < c->b->min_ms - BEEP_DUR_SLACK_MS || c->t->dur > BEEP_MAX_MS)
        return AMDI_BEEP_REJ_DURATION;
    if (c->t->dur < c->b->min_ms + 2 * AMDI_HOP_MS) {
        float fine = fine_duration_ms(c);
        if (fine >= 0.f && fine < (float)(c->b->min_ms - BEEP_FINE_SLACK_MS))
            return AMDI_BEEP_REJ_DURATION;
    }
    return AMDI_BEEP_OK;
}

static amdi_beep_reason rule_gaps(const beep_ctx *c)
{
    const amdi_beep_seg *s = c->s;
    return (float)(s->n_good + s->n_held) < BEEP_GOOD_FRAC * (float)c->t->span ? AMDI_BEEP_REJ_GAPS : AMDI_BEEP_OK;
}

/* Beeps are crystal or table generated; singing has vibrato, voices jitter and glide. */
static amdi_beep_reason rule_pitch_spread(const beep_ctx *c)
{
    const seg_stats *t = c->t;
    if (t->sd_a > fmaxf(BEEP_STD_HZ, BEEP_STD_REL * t->ma))
        return AMDI_BEEP_REJ_PITCH_SPREAD;
    if (t->dual && t->sd_b > fmaxf(BEEP_STD_HZ, BEEP_STD_REL * t->mb))
        return AMDI_BEEP_REJ_PITCH_SPREAD;
    return AMDI_BEEP_OK;
}

/* Under 500 Hz and 150 ms (where voices' fundamentals live) the pitch must hold within 1 Hz. */
static amdi_beep_reason rule_low_short(const beep_ctx *c)
{
    const seg_stats *t = c->t;
    return t->ma < BEEP_LOW_HZ && t->dur < BEEP_LOW_SHORT_MS && t->sd_a > BEEP_LOW_STD_HZ ? AMDI_BEEP_REJ_LOW_SHORT
                                                                                          : AMDI_BEEP_OK;
}

static amdi_beep_reason rule_drift(const beep_ctx *c)
{
    return c->t->drift > fmaxf(BEEP_DRIFT_HZ, BEEP_DRIFT_REL * c->t->ma) ? AMDI_BEEP_REJ_DRIFT : AMDI_BEEP_OK;
}

/* A single "tone" whose second peak is a sibling harmonic in half its frames: one harmonic of a voice. */
static amdi_beep_reason rule_voice_harmonic(const beep_ctx *c)
{
    return !c->t->dual && c->t->partner ? AMDI_BEEP_REJ_VOICE_HARMONIC : AMDI_BEEP_OK;
}

/* Unresolved pairs (ringback 440+480, dial 350+440, UK 400+450) have a wider lobe than one sinusoid. */
static amdi_beep_reason rule_lobe_shape(const beep_ctx *c)
{
    return c->s->nshape > 0 && c->t->shape > BEEP_SHAPE_MAX ? AMDI_BEEP_REJ_LOBE_SHAPE : AMDI_BEEP_OK;
}

/* A tone with overtones: a square-ish beep, or a voice whose fundamental dominates. Beeps are
   generated: rock-steady pitch and level, clean edges; a voice is not all of these. */
static amdi_beep_reason rule_rich(const beep_ctx *c)
{
    const amdi_beep *b = c->b;
    const amdi_beep_seg *s = c->s;
    const seg_stats *t = c->t;
    if (!t->rich)
        return AMDI_BEEP_OK;
    float m = t->level;
    float post = fmaxf(ring_e(b, c->now, s->last_loud + 1), ring_e(b, c->now, s->last_loud + 2));
    if (t->ended_held)
        post = fmaxf(post, fmaxf(s->post_e1, s->post_e2));
    float edge = fmaxf(fmaxf(s->pre_e1, s->pre_e2), post);
    float tol = fmaxf(BEEP_RICH_STD_HZ, BEEP_RICH_STD_REL * t->ma);
    /* sharp edges: the hop after the start and the one before the end are at full level (a
       generated beep ramps in a few ms; a sung note swells over 30..100 ms) */
    int soft = s->att_e < BEEP_RICH_ATTACK * m || s->dec_e < BEEP_RICH_ATTACK * m;
    DBG("   RICH dur=%lld sd=%.2f drift=%.2f cv=%.3f edge=%.2f shape=%.3f rich=%d/%d harm=%.3f\n",
        (long long)t->dur, t->sd_a, t->drift, t->cv, m > 0 ? edge / m : 0, t->shape, s->n_rich, s->nshape, t->harm);
    if (soft || t->dur < BEEP_RICH_MIN_MS || t->sd_a > tol || t->drift > tol || t->cv > BEEP_RICH_ENV_CV ||
        edge > BEEP_RICH_EDGE * m || t->shape > BEEP_RICH_SHAPE)
        return AMDI_BEEP_REJ_RICH;
    return AMDI_BEEP_OK;
}

/* Level steady over 20 ms energies (GSM 06.10 wobbles inside its 20 ms frames), beyond beating. */
static amdi_beep_reason rule_level(const beep_ctx *c)
{
    if (c->s->ne < 2)
        return AMDI_BEEP_OK;
    /* GSM 06.10 codes tones above ~1.4 kHz badly: their 20 ms level swings by 10..20 dB (CV up to
       ~0.7). Up there voices' fundamentals never are, and a tone that long is rarely one harmonic. */
    float lim = BEEP_ENV_CV;
    if (c->t->ma >= BEEP_HIGH_HZ && c->t->dur >= BEEP_HIGH_MIN_MS)
        lim = BEEP_HIGH_ENV_CV;
    return c->t->cv20 > lim + c->t->beat ? AMDI_BEEP_REJ_LEVEL : AMDI_BEEP_OK;
}

/* Two harmonics of a voice (e.g. 3 x 139 and 4 x 139 Hz under one formant) pass the per-frame
   checks; a generated dual tone in that relation must then be steadier and longer. */
static amdi_beep_reason rule_harmonic_dual(const beep_ctx *c)
{
    const seg_stats *t = c->t;
    if (!t->dual)
        return AMDI_BEEP_OK;
    float lo = fminf(t->ma, t->mb), d = fabsf(t->ma - t->mb), q = lo / d;
    int adjacent = d >= 60.f && q <= 12.f && fabsf(q - rintf(q)) <= BEEP_HARM_TOL;
    if (!adjacent && !t->partner)
        return AMDI_BEEP_OK;
    DBG("   SIB %.4f n=%d cv20=%.3f beat=%.3f\n", t->sib, c->s->n_sib, t->cv20, t->beat);
    /* nothing at the other harmonics of their f0, over enough frames, and a level that holds
       (slow AGC moves it, a plucked note decays): two generated tones, judged by the general rules */
    if (fabsf(t->sib) <= BEEP_SIB_MAX && c->s->n_sib >= BEEP_SIB_FRAMES && t->cv20 <= BEEP_SIB_ENV_CV + t->beat)
        return AMDI_BEEP_OK;
    if (t->sd_a > BEEP_HARM_STD_HZ || t->sd_b > BEEP_HARM_STD_HZ || t->cv > BEEP_HARM_ENV_CV + t->beat ||
        t->dur < BEEP_HARM_MIN_MS)
        return AMDI_BEEP_REJ_HARMONIC_DUAL;
    return AMDI_BEEP_OK;
}

/* Call progress, 425 Hz, fax CNG / CED; a DTMF pair is a beep only if longer than a keyed digit
   and alone after speech (seg_close() drops a pending DTMF-pair beep when another digit follows). */
static amdi_beep_reason rule_known_tone(const beep_ctx *c)
{
    const seg_stats *t = c->t;
    int after_activity = t->pre >= BEEP_PRE_LEVEL * t->level;
    int known = is_known_non_beep(t->ma, t->mb, t->dual, t->dur, after_activity);
    if (known == 1)
        return AMDI_BEEP_REJ_KNOWN_TONE;
    /* 425 Hz call progress (busy, ringback, congestion) is cadenced and comes before an answer; a
       lone 425 Hz tone of 150 ms or more (shorter ones there may be a voice's fundamental) right
       after speech, with no other 425 Hz tone in the last 5 s, is a beep */
    if (known == 3 && (!after_activity || t->dur < BEEP_LOW_SHORT_MS ||
                       (c->b->last_425_ms > 0 && t->start_ms - c->b->last_425_ms < BEEP_CPT_ALONE_MS)))
        return AMDI_BEEP_REJ_KNOWN_TONE;
    if (known == 2 && (t->dur < BEEP_DTMF_BEEP_MS || !after_activity ||
                       (c->b->last_dtmf_ms > 0 && t->start_ms - c->b->last_dtmf_ms < BEEP_DTMF_ALONE_MS)))
        return AMDI_BEEP_REJ_DTMF;
    return AMDI_BEEP_OK;
}

/* A beep starts and stops: the hops around it are quieter, or at least not tonal (a beep over
   babble or noise). A voice holding a pure-looking pitch for 80 ms (espeak's fundamental can
   hold > 90 % of the power) glides in from and on to other voiced sounds at full level. */
/* The previous steady tone ran straight on into this one (a two- or three-tone beep's next pitch). */
static int follows_run_on(const amdi_beep *b, const seg_stats *t)
{
    return b->run_on && t->start_ms - b->run_end_ms <= BEEP_SEQ_GAP_MS && !near(t->ma, b->run_hz) &&
           !(t->dual && near(t->mb, b->run_hz));
}

/* Voiced sound at full level just before the start / just after the end; the tail of a steady
   tone this one follows at once does not count as "before". */
static void edge_flags(const beep_ctx *c, int *before, int *after)
{
    const amdi_beep *b = c->b;
    const amdi_beep_seg *s = c->s;
    float lim = BEEP_EDGE_MAX * c->t->level;
    *before = ((s->pre_e1 > lim && voiced(s->pre_p1)) || (s->pre_e2 > lim && voiced(s->pre_p2))) &&
              !follows_run_on(b, c->t);
    *after = c->t->ended_held &&
             ((s->post_e1 > lim && voiced(s->post_p1)) || (s->post_e2 > lim && voiced(s->post_p2)));
    for (int64_t j = s->last_loud + 1; j <= s->last_loud + 2; j++)
        *after |= ring_e(b, c->now, j) > lim && voiced(ring_p(b, c->now, j));
    DBG("   EDGES lim=%.0f pre=%.0f/%.2f %.0f/%.2f post=%.0f/%.2f %.0f/%.2f held=%d last_loud=%lld ring=%.0f/%.2f %.0f/%.2f\n", lim,
        s->pre_e1, s->pre_p1, s->pre_e2, s->pre_p2, s->post_e1, s->post_p1, s->post_e2, s->post_p2, c->t->ended_held,
        (long long)s->last_loud, ring_e(b, c->now, s->last_loud + 1), ring_p(b, c->now, s->last_loud + 1),
        ring_e(b, c->now, s->last_loud + 2), ring_p(b, c->now, s->last_loud + 2));
}

static amdi_beep_reason rule_edges(const beep_ctx *c)
{
    int before, after;
    edge_flags(c, &before, &after);
    return before || after ? AMDI_BEEP_REJ_EDGES : AMDI_BEEP_OK;
}

/* The reject rules, in the order they are tried; the first that fires names the reason. */
static amdi_beep_reason (*const beep_rules[])(const beep_ctx *) = {
    rule_frames, rule_duration, rule_gaps, rule_pitch_spread, rule_low_short, rule_drift,
    rule_voice_harmonic, rule_lobe_shape, rule_rich, rule_level, rule_harmonic_dual,
    rule_known_tone, rule_edges,
};

const char *amdi_beep_reason_name(amdi_beep_reason r)
{
    static const char *const n[AMDI_BEEP_REASONS] = {
        "ok", "frames", "duration", "gaps", "pitch-spread", "low-short", "drift", "voice-harmonic",
        "lobe-shape", "rich", "level", "harmonic-dual", "known-tone", "dtmf", "edges",
    };
    return (unsigned)r < AMDI_BEEP_REASONS ? n[r] : "?";
}

/* Judge a closed segment: AMDI_BEEP_OK (a beep part, with its start / end / frequency) or the
   reason it is not one. */
static amdi_beep_reason seg_judge(const amdi_beep *b, const amdi_beep_seg *s, int64_t now, int64_t *start_ms,
                                  int64_t *end_ms, float *hz, int *run_on, int *follows)
{
    seg_stats t;
    seg_stats_compute(b, s, &t);
    DBG("seg %lld..%lld good=%d na=%d nb=%d fa=%.1f sd=%.2f fb=%.1f sdb=%.2f drift=%.2f cv=%.3f shape=%.3f harm=%.3f\n",
        (long long)s->first * 10, (long long)s->last * 10, s->n_good, s->na, s->nb, t.ma, t.sd_a, t.mb, t.sd_b,
        t.drift, t.cv, t.shape, t.harm);
    beep_ctx c = {b, s, &t, now};
    *start_ms = t.start_ms;
    *end_ms = t.end_ms;
    *hz = (t.dual && s->pwb > s->pwa) ? t.mb : t.ma;
    *follows = follows_run_on(b, &t);
    *run_on = 0;
    for (size_t i = 0; i < sizeof beep_rules / sizeof beep_rules[0]; i++) {
        amdi_beep_reason r = beep_rules[i](&c);
        if (r != AMDI_BEEP_OK) {
            DBG("   reject: %s\n", amdi_beep_reason_name(r));
            if (r == AMDI_BEEP_REJ_EDGES) {
                int before, after;
                edge_flags(&c, &before, &after);
                *run_on = !before && after;
            }
            return r;
        }
    }
    DBG("   VALID\n");
    return AMDI_BEEP_OK;
}

static int emit(amdi_beep *b, amdi_tone_event *ev)
{
    b->pending = 0;
    if (b->p_end_ms - b->p_start_ms > BEEP_MAX_MS)
        return 0;
    DBG("EMIT %lld-%lld %.1f\n", (long long)b->p_start_ms, (long long)b->p_end_ms, b->p_hz);
    ev->kind = AMDI_TONE_BEEP;
    ev->start_ms = b->p_start_ms;
    ev->end_ms = b->p_end_ms;
    ev->hz = b->p_hz;
    return 1;
}

/* Close the open segment; a valid one joins (or starts) the pending chain. */
static int seg_close(amdi_beep *b, int64_t now, amdi_tone_event *ev)
{
    int64_t st, en;
    float hz = 0.f;
    int out = 0;
    b->seg.on = 0;
    float lo = fminf(b->seg.fa, b->seg.fb), hi = fmaxf(b->seg.fa, b->seg.fb);
    int dtmf = b->seg.dual && lo > 0.f && b->seg.n_good >= 3 && is_dtmf_pair(lo, hi);
    int run_on = 0, follows = 0;
    amdi_beep_reason why = seg_judge(b, &b->seg, now, &st, &en, &hz, &run_on, &follows);
    int valid = why == AMDI_BEEP_OK;
    if (b->seg.nb * 2 < b->seg.na && b->seg.n_good >= 3 && near_hz(b->seg.fa, 425.f, 6.f))
        b->last_425_ms = (b->seg.last + 1) * AMDI_HOP_MS; /* for the cadence of 425 Hz call progress */
    int64_t run_start = b->run_start_ms;
    int64_t run_ms = b->run_end_ms - b->run_start_ms;
    float run_hz = b->run_hz;
    b->run_on = 0;
    if (run_on) {
        /* a steady tone that ran on into another pitch: held for the next tone (a run of several
           tones keeps the first one's start) */
        b->run_on = 1;
        b->run_start_ms = follows ? run_start : st;
        b->run_end_ms = en;
        b->run_hz = hz;
    }
    if (!valid) {
        b->reject_reason = why;
        b->reject_start_ms = b->seg.start_frame * AMDI_HOP_MS;
        b->reject_end_ms = (b->seg.last + 1) * AMDI_HOP_MS;
        b->n_rejects++;
    }
    if (dtmf) {
        /* another digit after a pending DTMF-pair beep: a keypad run, not a beep */
        if (b->pending && b->p_dtmf && b->seg.first * AMDI_HOP_MS - b->p_end_ms < BEEP_DTMF_ALONE_MS)
            b->pending = 0;
        b->last_dtmf_ms = (b->seg.last + 1) * AMDI_HOP_MS;
        if (valid && b->pending)
            valid = 0; /* a digit chained to a beep: neither is trusted alone */
    }
    if (!valid) {
        /* A 2100 Hz "beep" that carries straight on as more 2100 Hz tone (within a phase
           reversal's gap) is a piece of an ANS / ANSam answer tone with reversals: not a beep. */
        if (b->pending && near_hz(b->p_hz, 2100.f, 25.f) && near_hz(b->seg.fa, 2100.f, 25.f) &&
            b->seg.first * AMDI_HOP_MS - b->p_end_ms <= BEEP_PR_GAP_MS)
            b->pending = 0;
        return 0;
    }
    if (follows) {
        /* the last pitch of a tone sequence: the beep runs from the first pitch's start, and the
           longest pitch names its frequency */
        st = run_start;
        if (run_ms > en - b->seg.start_frame * AMDI_HOP_MS && !b->pending)
            hz = run_hz;
    }
    if (b->pending && st - b->p_end_ms <= BEEP_CHAIN_GAP_MS) {
        b->p_end_ms = en;
        if (en - st > b->p_best_ms) {
            b->p_best_ms = en - st;
            b->p_hz = hz;
        }
        return 0;
    }
    if (b->pending)
        out = emit(b, ev);
    b->pending = 1;
    b->p_dtmf = dtmf;
    b->p_start_ms = st;
    b->p_end_ms = en;
    b->p_best_ms = en - st;
    b->p_hz = hz;
    return out;
}

/* A frame concealing lost audio (the spectrum heard before a gap, repeated: frame.h) carries the
 * segment on, but its pitch, lobe shape and harmonics are copies that prove nothing: they stay
 * out of the statistics, so a gap cannot make a voice look steadier than it was. */
static int seg_add_concealed(amdi_beep_seg *s, int64_t idx)
{
    s->last = idx;
    s->n_good++;
    return 1;
}

/* The open segment's tone(s) still there, steady, under a louder bed that spoils the tone frame. */
static int held(const amdi_beep_seg *s, const amdi_tone_analysis *a)
{
    if (s->n_good < BEEP_HOLD_MIN_GOOD || a->f->level_db < BEEP_MIN_DBFS || a->p1.bin == 0 || a->total <= 0.f)
        return 0;
    int dual = s->dual && s->fb > 0.f;
    if (!near(a->p1.hz, s->fa) && !(dual && near(a->p1.hz, s->fb)))
        return 0;
    const float *p = a->f->power;
    float pw = amdi_tone_power_at(p, s->fa) + (dual ? amdi_tone_power_at(p, s->fb) : 0.f);
    return pw >= BEEP_HOLD_PURITY * a->total;
}

int amdi_beep_frame(amdi_beep *b, const amdi_tone_analysis *a, amdi_tone_event *ev)
{
    const amdi_frame *f = a->f;
    const int64_t idx = f->index;
    amdi_beep_seg *s = &b->seg;
    int out = 0;
    float f1 = 0.f, f2 = 0.f, pw1 = 0.f, pw2 = 0.f;

    b->hop_e[idx & (AMDI_BEEP_RING - 1)] = f->energy;
    b->hop_p[idx & (AMDI_BEEP_RING - 1)] = a->total > 0.f ? a->p1.power / a->total : 0.f;
    if (!s->on)
        amdi_activity_add(&b->act, idx, f->energy);
    float hx = 0.f;
    int partner = 0, rich = 0;
    int kind = classify(b, a, &f1, &f2, &pw1, &pw2, &hx, &partner, &rich);
    DBG("F %lld k=%d p1=%.1f/%.3f p2=%.1f/%.3f lv=%.1f\n", (long long)idx * 10, kind, a->p1.hz,
        a->total > 0.f ? a->p1.power / a->total : 0.f, a->p2.hz, a->total > 0.f ? a->p2.power / a->total : 0.f,
        f->level_db);
    int good = 0, hold = 0;
    float fa = 0.f, fb = 0.f, pwa = 0.f, pwb = 0.f;
    if (s->on) {
        if (kind && f->concealed && seg_match(s, kind, f1, pw1, f2, pw2, &fa, &pwa, &fb, &pwb)) {
            good = seg_add_concealed(s, idx);
        } else if (kind && seg_match(s, kind, f1, pw1, f2, pw2, &fa, &pwa, &fb, &pwb)) {
            seg_add(s, idx, fa, pwa, fb, pwb);
            good = 1;
            s->shape += amdi_tone_shape_error(f->power, &a->p1);
            s->harm += hx;
            s->n_partner += partner;
            if (kind == 2 && fb > 0.f)
                seg_add_sib(s, f->power, f1, f2, pw1 + pw2);
            s->n_rich += rich;
            s->nshape++;
        } else if (idx - s->last <= BEEP_HOLD_MAX_FRAMES && held(s, a)) {
            s->last_held = idx;
            s->n_held++;
            hold = 1;
        } else if (kind || idx - (s->last > s->last_held ? s->last : s->last_held) > BEEP_BRIDGE_FRAMES) {
            out = seg_close(b, idx, ev);
        }
    }
    if (!s->on && kind && !good && !f->concealed) {
        seg_open(b, idx);
        seg_add(s, idx, f1, pw1, kind == 2 ? f2 : 0.f, pw2);
        good = 1;
    }

    if (s->on && !good) {
        /* what followed the last tone frame: the "after" edge of a segment that ends held */
        if (idx == s->last + 1) {
            s->post_e1 = f->energy;
            s->post_p1 = b->hop_p[idx & (AMDI_BEEP_RING - 1)];
        } else if (idx == s->last + 2) {
            s->post_e2 = f->energy;
            s->post_p2 = b->hop_p[idx & (AMDI_BEEP_RING - 1)];
        }
    }
    if (s->on) {
        float e = f->energy;
        if (s->n_good == 3 && good) {
            /* Refine the start on the raw hop energies (the window smears it by up to 3 hops). */
            float thr = BEEP_LOUD_FRAC * e;
            int64_t j = s->first;
            if (b->hop_e[j & (AMDI_BEEP_RING - 1)] >= thr) {
                while (j - 1 >= s->first - 3 && j - 1 > idx - AMDI_BEEP_RING && b->hop_e[(j - 1) & (AMDI_BEEP_RING - 1)] >= thr)
                    j--;
            } else {
                while (j < idx && b->hop_e[j & (AMDI_BEEP_RING - 1)] < thr)
                    j++;
            }
            s->start_frame = j;
            s->pre_e1 = j - 1 >= 0 && idx - (j - 1) <= AMDI_BEEP_RING - 1 ? b->hop_e[(j - 1) & (AMDI_BEEP_RING - 1)] : 0.f;
            s->pre_e2 = j - 2 >= 0 && idx - (j - 2) <= AMDI_BEEP_RING - 1 ? b->hop_e[(j - 2) & (AMDI_BEEP_RING - 1)] : 0.f;
            s->pre_p1 = ring_p(b, idx, j - 1);
            s->pre_p2 = ring_p(b, idx, j - 2);
            s->att_e = j + 1 <= idx ? b->hop_e[(j + 1) & (AMDI_BEEP_RING - 1)] : e;
            s->start_e = b->hop_e[j & (AMDI_BEEP_RING - 1)];
        }
        if (s->n_good < 2) {
            s->last_loud = idx;
        } else {
            float ref = s->ne ? (float)(s->se / s->ne) : e;
            if (e >= BEEP_LOUD_FRAC * ref) {
                s->dec_e = b->hop_e[(idx - 1) & (AMDI_BEEP_RING - 1)]; /* the hop before the (so far) last loud one */
                s->last_loud = idx;
                s->se += e;
                s->se2 += (double)e * e;
                s->ne++;
                /* 20 ms (two-hop) energies for the steadiness test: GSM 06.10 codes 20 ms frames and
                   most of its level wobble is inside them */
                if (s->pair_open && s->pair_idx == idx - 1) {
                    double pe = 0.5 * ((double)s->pair_e + e);
                    s->sp += pe;
                    s->sp2 += pe * pe;
                    s->np++;
                    s->pair_open = 0;
                } else {
                    s->pair_open = 1;
                    s->pair_idx = idx;
                    s->pair_e = e;
                }
            }
        }
    }

    /* The pending beep is reported once its trailing gap has passed with nothing chained to it. */
    if (b->pending && !out && f->end_ms >= b->p_end_ms + BEEP_CHAIN_GAP_MS) {
        /* a tone in progress that could be the beep's next part: it started within the chain gap
           and, once it has had BEEP_FOLLOW_FRAMES tone frames, is a beep candidate for the VAD (a
           music or voice note with sibling harmonics never is) or at the beep's own pitch (a double
           beep, or more of an answer tone that cancels it) */
        int follow = s->on && s->n_good >= 3 && s->start_frame * AMDI_HOP_MS - b->p_end_ms <= BEEP_CHAIN_GAP_MS &&
                     (s->n_good < BEEP_FOLLOW_FRAMES || b->candidate || near(s->fa, b->p_hz));
        /* a SIT's first or second tone taken for a beep: the SIT, confirmed on its third tone,
           mutes the beep (tones.c) */
        if ((!follow && !b->defer) || f->end_ms >= b->p_end_ms + BEEP_CHAIN_WAIT_MS)
            out = emit(b, ev);
    }

    /* For the VAD: a tone from its third frame on, if it looks like a beep so far (steady pitch,
       no harmonics, quieter before it); speech glides through such frames without all of these. */
    b->active = 0;
    /* a dual tone counts with both its tones; one whose tones are harmonics of a common f0 (2000 +
       2500 Hz) only once it has held for 100 ms with both tones steady, which voices do not */
    float held_pw = kind == 2 ? pw1 + pw2 : a->p1.power;
    int dual_ok = kind == 2 && s->nb >= 8 && spread(s->sa, s->sa2, s->na) <= BEEP_HARM_STD_HZ &&
                  spread(s->sb, s->sb2, s->nb) <= BEEP_HARM_STD_HZ;
    if (s->on && good && (!partner || dual_ok) && held_pw >= BEEP_ACTIVE_PURITY * a->total &&
        (s->n_good >= 6 || (s->n_good >= 3 && hx <= BEEP_HARM_EXCESS && !rich))) {
        float e = f->energy, tol = fmaxf(BEEP_STD_HZ, BEEP_STD_REL * s->fa);
        float fnow = kind == 1 || near(f1, s->fa) ? f1 : f2;
        int glide = (s->pre_e1 > BEEP_EDGE_MAX * e && voiced(s->pre_p1)) ||
                    (s->pre_e2 > BEEP_EDGE_MAX * e && voiced(s->pre_p2));
        b->active = !glide && fabsf(fnow - s->fa) <= tol;
    }
    DBG("A %lld act=%d good=%d partner=%d dual_ok=%d held=%.2f hx=%.3f rich=%d ng=%d sda=%.2f sdb=%.2f\n", (long long)idx * 10, b->active, good,
        partner, dual_ok, a->total > 0.f ? held_pw / a->total : 0.f, hx, rich, s->n_good, spread(s->sa, s->sa2, s->na),
        spread(s->sb, s->sb2, s->nb));
    b->active_hz = b->active ? s->fa : 0.f;
    /* A beep-like tone that just stopped stays a candidate until its segment is judged
       (amdi_tones_beep_pending). */
    if (b->active)
        b->last_active = idx;
    else if ((hold || good) && s->on && b->last_active >= s->first && idx - b->last_active <= BEEP_BRIDGE_FRAMES + 1)
        b->last_active = idx; /* a beep-like tone going on under a louder bed stays a candidate */
    b->candidate = s->on && b->last_active >= 0 && idx - b->last_active <= BEEP_BRIDGE_FRAMES + 1 &&
                   b->last_active >= s->first;
    return out;
}
