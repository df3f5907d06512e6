/* SPDX-License-Identifier: MIT */
/*
 * The beep detector's judgement of a closed tone segment: its statistics,
 * computed once, and the reject rules as a table of named predicates, each
 * returning the reason it rejects (bench/tone_eval counts them). The per-frame
 * tracking that opens, extends and closes segments is beep_detector.c.
 */
#include "beep_internal.h"

#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

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
    if (near_hz(fa, 2100.f, 25.f) && dur_ms >= BEEP_CED_MIN_MS)
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

/* Two steady tones closer than the 32 ms window resolves (30..60 Hz apart, e.g. 1000 + 1040 Hz), in
   the segment's demodulated hops (amdi_beep.z_*: one complex value per 10 ms, the tone's pitch mixed
   to 0 Hz): a Hann-windowed 100-point DFT of up to 640 ms of them resolves 1 Hz steps over +-50 Hz.
   Two tones are two main lobes within 10 dB that hold BEEP_CLOSE_CONC of the power; a voice's
   jitter, vibrato and glides spread it. 1 with *lo_hz / *hi_hz (stronger first in *f1). */
static int close_pair(const amdi_beep *b, const amdi_beep_seg *s, int64_t now, float *f1, float *f2)
{
    if (s->z_first < 0)
        return 0;
    int64_t start = s->z_first > now - AMDI_BEEP_ZN + 1 ? s->z_first : now - AMDI_BEEP_ZN + 1;
    int n = (int)(s->last - start + 1);
    if (n < BEEP_CLOSE_MIN_HOPS)
        return 0;
    float p[100], tot = 0.f, wr[AMDI_BEEP_ZN], wi[AMDI_BEEP_ZN];
    /* Hann window: a rotator for its cosine */
    float hc = 1.f, hs = 0.f, hdc = cosf(2.f * (float)M_PI / (float)n), hds = sinf(2.f * (float)M_PI / (float)n);
    for (int k = 0; k < n; k++) {
        int64_t j = (start + k) & (AMDI_BEEP_ZN - 1);
        float hw = 0.5f - 0.5f * hc, t = hc * hdc - hs * hds;
        hs = hc * hds + hs * hdc;
        hc = t;
        wr[k] = hw * b->z_re[j];
        wi[k] = hw * b->z_im[j];
    }
    for (int d = -50; d < 50; d++) {
        /* Z(d) = sum_k w_k z_k exp(-j 2 pi d k / 100), k = 0..n-1, by a rotator */
        double w = -2.0 * M_PI * d / 100.0;
        float cr = 1.f, ci = 0.f, dr = (float)cos(w), di = (float)sin(w), re = 0.f, im = 0.f;
        for (int k = 0; k < n; k++) {
            float zr = wr[k], zi = wi[k];
            re += zr * cr - zi * ci;
            im += zr * ci + zi * cr;
            float t = cr * dr - ci * di;
            ci = cr * di + ci * dr;
            cr = t;
        }
        p[d + 50] = re * re + im * im;
        tot += p[d + 50];
    }
    if (tot <= 0.f)
        return 0;
    int half = (int)ceilf(200.f / (float)n); /* Hann main lobe: +-2 bins of the n-point DFT (bin 100/n Hz) */
    int sep = half * 2 > (int)BEEP_CLOSE_MIN_HZ ? half * 2 : (int)BEEP_CLOSE_MIN_HZ;
    int i1 = 0, i2 = -1;
    for (int i = 1; i < 100; i++)
        if (p[i] > p[i1])
            i1 = i;
    for (int i = 0; i < 100; i++) {
        int dist = abs(i - i1) < 50 ? abs(i - i1) : 100 - abs(i - i1);
        int l = (i + 99) % 100, r = (i + 1) % 100;
        if (dist >= sep && p[i] >= p[l] && p[i] >= p[r] && (i2 < 0 || p[i] > p[i2]))
            i2 = i;
    }
    DBG("   CLOSE? n=%d i1=%d i2=%d p2/p1=%.3f\n", n, i1 - 50, i2 - 50, i2 >= 0 ? p[i2] / p[i1] : 0.f);
    if (i2 < 0 || p[i2] < BEEP_CLOSE_P2 * p[i1])
        return 0;
    float in = 0.f;
    for (int i = 0; i < 100; i++) {
        int d1 = abs(i - i1) < 50 ? abs(i - i1) : 100 - abs(i - i1);
        int d2 = abs(i - i2) < 50 ? abs(i - i2) : 100 - abs(i - i2);
        if (d1 <= half || d2 <= half)
            in += p[i];
    }
    DBG("   CLOSE n=%d d1=%d d2=%d p2/p1=%.3f conc=%.3f\n", n, i1 - 50, i2 - 50, p[i2] / p[i1], in / tot);
    if (in < BEEP_CLOSE_CONC * tot)
        return 0;
    /* parabolic refinement of each peak on the 1 Hz grid */
    float hz[2];
    int pk[2] = {i1, i2};
    for (int m = 0; m < 2; m++) {
        float a = p[(pk[m] + 99) % 100], c = p[pk[m]], e = p[(pk[m] + 1) % 100], den = a - 2.f * c + e;
        float off = den < 0.f ? 0.5f * (a - e) / den : 0.f;
        hz[m] = s->z_fc + (float)(pk[m] - 50) + off;
    }
    *f1 = hz[0];
    *f2 = hz[1];
    return 1;
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
    int close;                /* two tones closer than the window resolves (close_pair()): ma, mb */
} seg_stats;

static void seg_stats_compute(const amdi_beep *b, const amdi_beep_seg *s, int64_t now, seg_stats *t)
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
    /* a single tone with a wide lobe, an unsteady pitch or frames that straddle it: two close tones? */
    if (!t->dual && (s->n_straddle > 0 || t->shape > BEEP_SHAPE_MAX || t->sd_a > fmaxf(BEEP_STD_HZ, BEEP_STD_REL * t->ma))) {
        float f1, f2;
        if (close_pair(b, s, now, &f1, &f2)) {
            t->close = 1;
            t->dual = 1;
            if (s->ext_start < s->start_frame) {
                t->start_ms = s->ext_start * AMDI_HOP_MS;
                t->dur = t->end_ms - t->start_ms;
            }
            t->ma = f1;
            t->mb = f2;
            t->sd_a = t->sd_b = 0.f;
            t->drift = 0.f;
        }
    }
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
    if (c->t->close)
        return AMDI_BEEP_OK; /* two close tones: the wide lobe is theirs */
    return c->s->nshape > 0 && c->t->shape > BEEP_SHAPE_MAX ? AMDI_BEEP_REJ_LOBE_SHAPE : AMDI_BEEP_OK;
}

/* A tone with overtones: a square-ish beep, or a voice whose fundamental dominates. Beeps are
   generated: rock-steady pitch and level, clean edges; a voice is not all of these. */
static amdi_beep_reason rule_rich(const beep_ctx *c)
{
    const amdi_beep *b = c->b;
    const amdi_beep_seg *s = c->s;
    const seg_stats *t = c->t;
    if (!t->rich || t->close)
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

/* A tone in the voice range that swells in and fades out (both edges soft): a sustained or sung
   vowel, steady enough in pitch to pass the other rules. Generated beeps ramp in a few ms; through
   GSM 06.10 one edge may smear, rarely both, and that above this range. */
static amdi_beep_reason rule_swell(const beep_ctx *c)
{
    const seg_stats *t = c->t;
    if (t->ma >= BEEP_SWELL_HZ || t->level <= 0.f || t->close) /* a close pair's beat moves its hop levels */
        return AMDI_BEEP_OK;
    return c->s->att_e < BEEP_SWELL_ATTACK * t->level && c->s->dec_e < BEEP_SWELL_DECAY * t->level
               ? AMDI_BEEP_REJ_SWELL
               : AMDI_BEEP_OK;
}

/* A tone in the voice range that fades out (one hop before its end well under its level) with a
   pitch that wanders a little: a sustained or sung vowel whose quick attack passed rule_swell. */
static amdi_beep_reason rule_fade(const beep_ctx *c)
{
    const seg_stats *t = c->t;
    if (t->ma >= BEEP_SWELL_HZ || t->level <= 0.f || t->close)
        return AMDI_BEEP_OK;
    if (ring_e(c->b, c->now, c->s->last_loud + 1) > BEEP_EDGE_MAX * t->level)
        return AMDI_BEEP_OK; /* it runs on into the next tone of a sequence: that is no fade */
    return c->s->dec_e < BEEP_FADE_DECAY * t->level && t->sd_a > BEEP_FADE_STD_HZ ? AMDI_BEEP_REJ_FADE : AMDI_BEEP_OK;
}

/* Level steady over 20 ms energies (GSM 06.10 wobbles inside its 20 ms frames), beyond beating. */
static amdi_beep_reason rule_level(const beep_ctx *c)
{
    if (c->s->ne < 2 || c->t->close) /* a close pair beats by up to 100 % at 30..60 Hz: close_pair() judged it */
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
    if (c->t->close) /* from the onset close_pair()'s segment missed (seg_stats_compute) */
        *before = (s->ext_pre_e1 > lim && voiced(s->ext_pre_p1)) || (s->ext_pre_e2 > lim && voiced(s->ext_pre_p2));
    else
        *before = (s->pre_e1 > lim && voiced(s->pre_p1)) || (s->pre_e2 > lim && voiced(s->pre_p2));
    *before = *before && !follows_run_on(b, c->t);
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
    rule_voice_harmonic, rule_lobe_shape, rule_rich, rule_swell, rule_fade, rule_level, rule_harmonic_dual,
    rule_known_tone, rule_edges,
};

const char *amdi_beep_reason_name(amdi_beep_reason r)
{
    static const char *const n[AMDI_BEEP_REASONS] = {
        "ok", "frames", "duration", "gaps", "pitch-spread", "low-short", "drift", "voice-harmonic",
        "lobe-shape", "rich", "level", "harmonic-dual", "known-tone", "dtmf", "edges", "swell",
        "fade",
    };
    return (unsigned)r < AMDI_BEEP_REASONS ? n[r] : "?";
}

/* Judge a closed segment: AMDI_BEEP_OK (a beep part, with its start / end / frequency) or the
   reason it is not one. */
amdi_beep_reason amdi_beep_seg_judge(const amdi_beep *b, const amdi_beep_seg *s, int64_t now, int64_t *start_ms,
                                     int64_t *end_ms, float *hz, int *run_on, int *follows)
{
    seg_stats t;
    seg_stats_compute(b, s, now, &t);
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
    DBG("   VALID at=%lld att=%.2f dec=%.2f st=%.2f pre=%.2f/%.2f dur=%lld f=%.1f sd=%.2f cv20=%.2f rich=%d\n", (long long)t.start_ms, t.level > 0 ? s->att_e / t.level : 0,
        t.level > 0 ? s->dec_e / t.level : 0, t.level > 0 ? s->start_e / t.level : 0, t.level > 0 ? s->pre_e1 / t.level : 0,
        t.level > 0 ? s->pre_e2 / t.level : 0, (long long)t.dur, t.ma, t.sd_a, t.cv20, t.rich);
    return AMDI_BEEP_OK;
}
