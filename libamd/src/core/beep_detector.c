/* SPDX-License-Identifier: MIT */
/*
 * End-of-greeting beep detector.
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
 *      inside are bridged (codec glitches, a phase reversal), as are up to
 *      BEEP_GLITCH_FRAMES tone frames whose estimate a repeated packet or a codec
 *      frame pulls up to BEEP_GLITCH_TOL tracking tolerances off, and up to
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
 *        UK 400+450) are wider - unless it is two steady tones closer than
 *        the 32 ms window resolves (30..60 Hz apart). Once a single-tone
 *        segment is established, each hop is mixed down from its pitch and
 *        summed (demod_hop: one complex value per 10 ms, kept for 640 ms); a
 *        Hann-windowed DFT of those values at 1 Hz steps over +-50 Hz
 *        (close_pair() in beep_rules.c) resolves the pair: two main lobes within
 *        10 dB holding BEEP_CLOSE_CONC of the power are a dual tone (then
 *        judged by the dual-tone rules, the known call-progress pairs among
 *        them), which a voice's jitter, vibrato and glides never are. Frames
 *        at the pair's beat null, whose window shows two lobes either side of
 *        the tone, are kept in the segment (straddles()), and its start is
 *        looked for over the loud pure hops its beat cut off before it;
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
 *      - under BEEP_SWELL_HZ it does not both swell in and fade out (below
 *        60 % of its level one hop after its start and 90 % one hop before
 *        its end): a sustained or sung vowel, nearly a pure tone, that holds
 *        its pitch well enough for the rules above (rule_swell); nor
 *        fade out alone (under 55 % one hop before its end) with a pitch
 *        wandering by more than 0.4 Hz: a vowel's release after a quick
 *        attack (rule_fade);
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
 *        after speech, with no steady 425 Hz tone in the 5 s before, is a beep), DTMF pairs (Q.23 rows x columns
 *        +-2 %: senders keep +-1.8 %; a wider net catches ordinary dual
 *        beeps) unless longer than BEEP_DTMF_BEEP_MS, after speech and with no
 *        other digit within BEEP_DTMF_ALONE_MS (a keypad run cancels it), fax CNG (1100 +-45 Hz, 350..650 ms: T.30's 0.5 s +-15 %)
 *        after 2 s with nothing within 7 dB (a CNG burst follows the call's
 *        start or its own 3 s pause; a voicemail beep follows the greeting,
 *        so an 1100 Hz beep after speech is still a beep), and 2100 +-25 Hz
 *        lasting >= BEEP_CED_MIN_MS (CED / ANS: fax_detector.c confirms it at 1.3 s;
 *        one that stopped sooner is no answer tone, V.25 asks 2.6 s).
 *   4. Report. A beep is held for BEEP_CHAIN_GAP_MS: a second beep part
 *      starting within that gap (double beeps, two-tone beeps) is chained to
 *      it, and the event comes BEEP_CHAIN_GAP_MS after the last part ended,
 *      inside the +500 ms in which a voicemail drop counts as on time
 *      and never before the beep ended. Start is the first
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
#include "beep_internal.h"

#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif


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
    s->z_first = -1;
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
    if (f1 >= BEEP_HIGH_HZ && near(f1, s->fa) && pw2 < BEEP_SEQ_P2 * pw1) {
        /* A high tone with a weaker second peak elsewhere than the segment's second tone: a codec's
           artefact beside it (GSM 06.10 puts -10 dB images next to tones above ~1.3 kHz in some
           20 ms frames), which must not cut a steady tone into short runs. The frame counts for the
           tone alone; whether the segment is a dual tone is decided by its majority of frames.
           (Lower down, where voices are, such a frame still closes the segment.) */
        *fa = f1, *pwa = pw1;
        return 1;
    }
    return 0;
}



static int emit(amdi_beep *b, amdi_tone_event *ev)
{
    b->pending = 0;
    if (b->p_end_ms - b->p_start_ms > BEEP_MAX_MS)
        return 0;
    DBG("EMIT %lld-%lld %.1f\n", (long long)b->p_start_ms, (long long)b->p_end_ms, b->p_hz);
    memset(ev, 0, sizeof *ev);
    ev->kind = AMDI_TONE_BEEP;
    ev->start_ms = b->p_start_ms;
    ev->end_ms = b->p_end_ms;
    ev->hz = b->p_hz;
    ev->n_parts = b->p_parts;
    for (int i = 0; i < b->p_parts; i++) {
        ev->part_start_ms[i] = b->p_part_start[i];
        ev->part_end_ms[i] = b->p_part_end[i];
    }
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
    amdi_beep_reason why = amdi_beep_seg_judge(b, &b->seg, now, &st, &en, &hz, &run_on, &follows);
    int valid = why == AMDI_BEEP_OK;
    /* for the cadence of 425 Hz call progress: a steady 425 Hz tone (one that passed the rules
       before the known-tone rule); a voice's harmonic crossing 425 Hz in the greeting is not one */
    int steady = valid || why == AMDI_BEEP_REJ_KNOWN_TONE || why == AMDI_BEEP_REJ_EDGES;
    if (steady && b->seg.nb * 2 < b->seg.na && b->seg.n_good >= 3 && near_hz(b->seg.fa, 425.f, 6.f))
        b->last_425_ms = (b->seg.last + 1) * AMDI_HOP_MS;
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
        if (b->p_parts < AMDI_TONE_MAX_PARTS) {
            b->p_part_start[b->p_parts] = st;
            b->p_part_end[b->p_parts++] = en;
        } else {
            b->p_part_end[AMDI_TONE_MAX_PARTS - 1] = en;
        }
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
    b->p_parts = 1;
    b->p_part_start[0] = st;
    b->p_part_end[0] = en;
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

/* A tone frame of an established segment whose estimate is pulled a little off the tone (a repeated
 * or lost packet, a GSM 06.10 frame boundary, an estimate flipping between adjacent bins): bridged
 * like a weak frame instead of cutting the tone in two, and kept out of the statistics. */
static int glitch(const amdi_beep_seg *s, int kind, float f1, float f2, int64_t idx)
{
    if (s->n_good < BEEP_HOLD_MIN_GOOD || idx - s->last > BEEP_GLITCH_FRAMES)
        return 0;
    int hit = fabsf(f1 - s->fa) <= BEEP_GLITCH_TOL * track_tol(s->fa);
    if (s->dual)
        hit |= fabsf(f1 - s->fb) <= BEEP_GLITCH_TOL * track_tol(s->fb) ||
               (kind == 2 && fabsf(f2 - s->fa) <= BEEP_GLITCH_TOL * track_tol(s->fa));
    return hit;
}

/* A frame of an established single tone whose two peaks lie either side of it: two tones closer
 * than the 32 ms window resolves, seen at the null of their beat, where the window holds two lobes
 * instead of one. Part of the segment, out of its statistics; close_pair() (beep_rules.c) judges it. */
static int straddles(const amdi_beep_seg *s, int kind, float f1, float f2)
{
    return kind == 2 && single_tone(s) && s->n_good >= BEEP_SINGLE_FRAMES && fabsf(f1 - f2) <= BEEP_STRADDLE_HZ &&
           fminf(f1, f2) < s->fa && fmaxf(f1, f2) > s->fa && near(0.5f * (f1 + f2), s->fa);
}

/* Mix the hop down from the established tone's pitch and sum it: one baseband value per hop, kept for
 * close_pair(). The oscillator's phase runs on absolute sample time, so hops join up. */
static void demod_hop(amdi_beep *b, const amdi_frame *f)
{
    amdi_beep_seg *s = &b->seg;
    if (s->z_first < 0) {
        s->z_first = f->index;
        s->z_fc = s->fa;
    }
    double w = 2.0 * M_PI * (double)s->z_fc / AMDI_RATE;
    double ph0 = fmod(w * (double)(f->index * AMDI_HOP), 2.0 * M_PI);
    float cr = (float)cos(ph0), ci = (float)-sin(ph0), dr = (float)cos(w), di = (float)-sin(w);
    float re = 0.f, im = 0.f;
    for (int n = 0; n < AMDI_HOP; n++) {
        re += f->hop[n] * cr;
        im += f->hop[n] * ci;
        float t = cr * dr - ci * di;
        ci = cr * di + ci * dr;
        cr = t;
    }
    b->z_re[f->index & (AMDI_BEEP_ZN - 1)] = re;
    b->z_im[f->index & (AMDI_BEEP_ZN - 1)] = im;
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

/* Refine a segment's start on the raw hop energies once it has three tone frames (the
   analysis window smears the start by up to 3 hops), and note the edges before it. */
static void seg_refine_start(amdi_beep *b, amdi_beep_seg *s, int64_t idx, float e)
{
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
    /* a close pair's onset: its beat cut the first hops into short runs of their own */
    int64_t x = j;
    while (x - 1 >= 0 && idx - (x - 1) <= AMDI_BEEP_RING - 1 && j - (x - 1) <= BEEP_CLOSE_BACK &&
           b->hop_e[(x - 1) & (AMDI_BEEP_RING - 1)] >= thr &&
           b->hop_p[(x - 1) & (AMDI_BEEP_RING - 1)] >= BEEP_CLOSE_BACK_PURITY)
        x--;
    s->ext_start = x;
    s->ext_pre_e1 = ring_e(b, idx, x - 1) > 0.f ? ring_e(b, idx, x - 1) : 0.f;
    s->ext_pre_e2 = ring_e(b, idx, x - 2) > 0.f ? ring_e(b, idx, x - 2) : 0.f;
    s->ext_pre_p1 = ring_p(b, idx, x - 1);
    s->ext_pre_p2 = ring_p(b, idx, x - 2);
    s->att_e = j + 1 <= idx ? b->hop_e[(j + 1) & (AMDI_BEEP_RING - 1)] : e;
    s->start_e = b->hop_e[j & (AMDI_BEEP_RING - 1)];
}

/* Track the level of a segment's loud frames (mean, spread, and 20 ms pair energies). */
static void seg_track_level(amdi_beep *b, amdi_beep_seg *s, int64_t idx, float e)
{
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
        } else if (straddles(s, kind, f1, f2)) {
            good = seg_add_concealed(s, idx); /* part of the tone; its two lobes prove nothing alone */
            s->n_straddle++;
        } else if (idx - s->last <= BEEP_HOLD_MAX_FRAMES && held(s, a)) {
            s->last_held = idx;
            s->n_held++;
            hold = 1;
        } else if (kind && glitch(s, kind, f1, f2, idx)) {
            /* bridged: neither a tone frame of the segment nor the end of it */
        } else if (kind || idx - (s->last > s->last_held ? s->last : s->last_held) > BEEP_BRIDGE_FRAMES) {
            out = seg_close(b, idx, ev);
        }
    }
    if (!s->on && kind && !good && !f->concealed) {
        seg_open(b, idx);
        seg_add(s, idx, f1, pw1, kind == 2 ? f2 : 0.f, pw2);
        good = 1;
    }

    if (s->on && single_tone(s) && s->n_good >= BEEP_SINGLE_FRAMES) {
        if (f->hop && !f->concealed) {
            demod_hop(b, f);
        } else if (s->z_first >= 0) {
            b->z_re[idx & (AMDI_BEEP_ZN - 1)] = 0.f; /* a concealed hop: nothing heard */
            b->z_im[idx & (AMDI_BEEP_ZN - 1)] = 0.f;
        }
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
        if (s->n_good == 3 && good)
            seg_refine_start(b, s, idx, f->energy);
        seg_track_level(b, s, idx, f->energy);
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
