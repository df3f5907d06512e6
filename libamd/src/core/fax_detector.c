/* SPDX-License-Identifier: MIT */
/*
 * Fax and modem tone detector.
 *
 * What it does
 *   Decides that a fax machine or modem answered, from any of:
 *   - CED / ANS: 2100 Hz +-15 Hz (ITU-T T.30 CED, V.25 ANS), 2.6..4 s long.
 *     Confirmed after FAX_CED_CONFIRM_MS of steady 2100 Hz. This is longer
 *     than the longest beep the beep detector reports as a 2100 Hz beep
 *     (1.25 s), so a short 2100 Hz voicemail beep is never called fax.
 *   - ANSam (V.8): 2100 Hz amplitude-modulated at 15 Hz +-0.1 Hz with a depth
 *     of 20 % +-1 %; ANS / ANSam with phase reversals every 450 +-25 ms
 *     (V.25 / V.8). Same confirmation time; reported as AMDI_TONE_FAX_ANSAM
 *     when the 15 Hz modulation depth is >= FAX_AM_DEPTH (and twice that at
 *     10 and 20 Hz, which a codec's amplitude wobble is not) or two reversals
 *     450 ms apart were seen, else as AMDI_TONE_FAX_CED.
 *   - CNG: 1100 Hz +-38 Hz, 0.5 s on / 3 s off, +-15 % (T.30 §5.2). One burst
 *     of FAX_CNG_MIN_MS..FAX_CNG_MAX_MS with quiet around it: nothing within
 *     7 dB of the burst in the 2 s before it (the call's start or the
 *     previous pause) and nothing louder than 6 dB under it for
 *     FAX_CNG_QUIET_MS after it. The calling tone's long silence is its
 *     signature; the same 1100 Hz tone right after a greeting is a
 *     voicemail beep (beep_detector.c applies the same rule).
 *   - V.21 channel 2 (T.30 / V.21): FSK at 300 bit/s, mark (1) 1650 Hz,
 *     space (0) 1850 Hz, +-6 Hz (we accept much more); the T.30 preamble is
 *     1 s of HDLC flags 0x7E. Confirmed once FAX_V21_FLAGS flags are counted
 *     (+1 per flag, -1 per corrupted one; ~0.27 s on a clean line). Many fax
 *     machines answer with V.21 only (no CED).
 *   Measured limits (check_fax.c): CED / ANSam / PR and CNG from -45 dBFS at
 *   10 dB SNR (G.711, and GSM 06.10, where ANSam vs plain CED is not told
 *   apart reliably); V.21 at 10 dB SNR linear, 20 dB through G.711, 30 dB
 *   through GSM 06.10 (at 20 dB about 2 preambles in 3).
 *   Each confirmation ends in one event naming what was heard; after it the
 *   detector stops (a call has one answer).
 *
 * How it works
 *   CED and CNG come from the per-frame strongest spectral peak
 *   (tone_analysis.c): frequency within the tolerance plus a margin for the
 *   estimator, main lobe >= half the in-band power (CED at 10 dB SNR ~0.9).
 *   The 15 Hz AM depth is one DFT bin of the hop-RMS envelope (100 Hz
 *   sample rate, so 15 Hz is 3 cycles per 20 frames); 10 ms averaging costs
 *   only 4 % of the depth; the same is measured at 10 and 20 Hz as a
 *   reference. Phase reversals are found on the raw hop samples:
 *   a hop holds exactly 21 cycles of 2100 Hz, so one 80-entry correlation
 *   table gives a phase per hop with a continuous reference; a steady tone
 *   advances by a constant step (its frequency offset), a reversal adds pi.
 *   V.21 is demodulated only while the 1562..1937 Hz band holds most of the
 *   power (the gate): the hop is mixed down by 1750 Hz (a 32-entry table;
 *   1750 Hz is 7 cycles per 32 samples), low-passed by two boxcars (16 and
 *   8 samples: the 3400 Hz image is 42 dB down, +-100 Hz passes), and the
 *   sign of Im(z[n] z*[n-2]) is the bit. Run lengths of equal bits, after a
 *   FAX_V21_GLITCH-sample glitch filter, give bit counts at 26.67 samples per bit; a flag
 *   is a run of about six 1s after a run of about two 0s, the two together
 *   8 bits long (the sum survives codecs that move the bit edges).
 *   Cost: a few comparisons per frame, plus 160 multiply-adds per hop while
 *   a 2100 Hz candidate runs and ~20 flops per sample while V.21 is gated.
 */
#include "fax_detector.h"

#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define FAX_MIN_DBFS (-55.f)
#define FAX_CED_HZ 2100.f
#define FAX_CED_FRAME_TOL 25.f   /* per-frame gate (spec +-15 Hz, plus estimator noise) */
#define FAX_CED_TOL 18.f         /* mean frequency accept limit (spec +-15 Hz, plus margin) */
#define FAX_PURITY 0.5f          /* main lobe / in-band power */
#define FAX_CED_BRIDGE 6         /* frames: a phase reversal smears ~3 frames of the 32 ms window */
#define FAX_CED_CONFIRM_MS 1300  /* > the 1.25 s up to which the beep detector reports 2100 Hz beeps */
#define FAX_CED_GOOD_FRAC 0.7f
#define FAX_AM_DEPTH 0.10f       /* ANSam depth is 0.20; plain CED measures < 0.03 (GSM: < 0.1) */
#define FAX_AM_PEAK 2.0f         /* ... and the 15 Hz depth >= 2x the 10 and 20 Hz ones */
#define FAX_REV_RAD 2.5f         /* phase jump counted as a reversal (pi nominal; GSM 06.10 makes smaller jumps) */
#define FAX_REV_MIN 40           /* 450 +-25 ms between reversals, in frames, with a hop of slack */
#define FAX_REV_MAX 50
#define FAX_CNG_HZ 1100.f
#define FAX_CNG_FRAME_TOL 45.f   /* T.30: +-38 Hz, plus estimator margin */
#define FAX_CNG_MIN_MS 380       /* 0.5 s -15 % = 425 ms, minus edge measurement */
#define FAX_CNG_MAX_MS 700       /* 0.5 s +15 % = 575 ms, plus margin */
#define FAX_CNG_QUIET_MS 1000    /* silence after the burst that confirms it (3 s nominal) */
#define FAX_CNG_PRE_FRAMES 200   /* and 2 s before it with nothing within 7 dB of the burst */
#define FAX_V21_LO_BIN 50        /* 1562 Hz */
#define FAX_V21_HI_BIN 62        /* 1937 Hz */
#define FAX_V21_BAND 0.6f        /* band power / in-band power to run the demodulator */
#define FAX_V21_MIN_DBFS (-50.f)
#define FAX_V21_FLAGS 8          /* consecutive HDLC flags (8 x 26.7 ms) */
#define FAX_V21_GLITCH 10         /* samples a new bit value must hold */
#define FAX_V21_SPB (8000.f / 300.f) /* samples per bit */

/* Tables live in the state (no globals; ~1 KiB): see fax_detector.h. */
static void make_tables(amdi_fax *x)
{
    float *ced_cos = x->ced_cos, *ced_sin = x->ced_sin, *mix_cos = x->mix_cos, *mix_sin = x->mix_sin;
    float *am_cos = x->am_cos, *am_sin = x->am_sin;
    for (int n = 0; n < AMDI_HOP; n++) {
        ced_cos[n] = (float)cos(2.0 * M_PI * 2100.0 * n / AMDI_RATE);
        ced_sin[n] = (float)sin(2.0 * M_PI * 2100.0 * n / AMDI_RATE);
    }
    for (int n = 0; n < 32; n++) {
        mix_cos[n] = (float)cos(2.0 * M_PI * 7.0 * n / 32.0);
        mix_sin[n] = (float)sin(2.0 * M_PI * 7.0 * n / 32.0);
    }
    for (int n = 0; n < 20; n++) {
        am_cos[n] = (float)cos(2.0 * M_PI * n / 20.0);
        am_sin[n] = (float)sin(2.0 * M_PI * n / 20.0);
    }
}

void amdi_fax_init(amdi_fax *x)
{
    memset(x, 0, sizeof *x);
    make_tables(x);
    amdi_activity_init(&x->act);
    x->rev_last = -1;
}

void amdi_fax_reset(amdi_fax *x) { amdi_fax_init(x); }

static float wrap(float p)
{
    while (p > (float)M_PI)
        p -= 2.f * (float)M_PI;
    while (p < -(float)M_PI)
        p += 2.f * (float)M_PI;
    return p;
}

static void ced_track_phase(amdi_fax *x, const amdi_frame *f)
{
    float i = 0.f, q = 0.f;
    for (int n = 0; n < AMDI_HOP; n++) {
        i += f->hop[n] * x->ced_cos[n];
        q += f->hop[n] * x->ced_sin[n];
    }
    float ph = atan2f(q, i);
    if (x->ph_n >= 2) {
        float r = wrap(ph - x->ph_prev2 - 2.f * x->ph_w);
        if (fabsf(r) > FAX_REV_RAD && (x->rev_last < 0 || f->index - x->rev_last >= FAX_REV_MIN - 5)) {
            int64_t gap = x->rev_last < 0 ? 0 : f->index - x->rev_last;
            if (gap >= FAX_REV_MIN && gap <= FAX_REV_MAX)
                x->rev_spaced++;
            x->rev_last = f->index;
        } else {
            float d = wrap(ph - x->ph_prev);
            if (fabsf(wrap(d - x->ph_w)) < 0.5f)
                x->ph_w = wrap(x->ph_w + 0.2f * wrap(d - x->ph_w));
        }
    } else if (x->ph_n == 1) {
        x->ph_w = wrap(ph - x->ph_prev);
    }
    x->ph_prev2 = x->ph_prev;
    x->ph_prev = ph;
    x->ph_n++;
}

static int ced_frame(amdi_fax *x, const amdi_tone_analysis *a, amdi_tone_event *ev)
{
    const amdi_frame *f = a->f;
    int good = f->level_db >= FAX_MIN_DBFS && a->p1.bin && fabsf(a->p1.hz - FAX_CED_HZ) <= FAX_CED_FRAME_TOL &&
               a->p1.power >= FAX_PURITY * a->total;
    if (good) {
        if (!x->ced_on) {
            x->ced_on = 1;
            x->ced_first = f->index;
            x->ced_good = 0;
            x->ced_fsum = 0.0;
            x->ced_fn = 0;
            memset(x->am_re, 0, sizeof x->am_re);
            memset(x->am_im, 0, sizeof x->am_im);
            x->am_sum = 0.0;
            x->am_n = 0;
            x->ph_n = 0;
            x->rev_last = -1;
            x->rev_spaced = 0;
        }
        x->ced_last = f->index;
        x->ced_good++;
        x->ced_fsum += a->p1.hz;
        x->ced_fn++;
    } else if (x->ced_on && f->index - x->ced_last > FAX_CED_BRIDGE) {
        x->ced_on = 0;
    }
    if (!x->ced_on)
        return 0;
    int64_t k = f->index - x->ced_first;
    if (k >= 3) { /* skip the onset frames */
        float e = sqrtf(f->energy);
        int j = (int)(f->index % 20);
        for (int m = 0; m < 3; m++) { /* 10, 15, 20 Hz: 2, 3, 4 cycles per 20 frames */
            int jm = (j * (m + 2)) % 20;
            x->am_re[m] += e * x->am_cos[jm];
            x->am_im[m] += e * x->am_sin[jm];
        }
        x->am_sum += e;
        x->am_n++;
    }
    ced_track_phase(x, f);
    int64_t span = k + 1;
    if (span * AMDI_HOP_MS < FAX_CED_CONFIRM_MS)
        return 0;
    float mean = (float)(x->ced_fsum / x->ced_fn);
    if ((float)x->ced_good < FAX_CED_GOOD_FRAC * (float)span || fabsf(mean - FAX_CED_HZ) > FAX_CED_TOL) {
        return 0;
    }
    float depth[3] = {0.f, 0.f, 0.f};
    for (int m = 0; m < 3 && x->am_sum > 0; m++)
        depth[m] = (float)(2.0 * sqrt(x->am_re[m] * x->am_re[m] + x->am_im[m] * x->am_im[m]) / x->am_sum);
    /* 15 Hz must stand out from 10 and 20 Hz: a codec's (GSM's) amplitude wobble is broadband */
    int am = depth[1] >= FAX_AM_DEPTH && depth[1] >= FAX_AM_PEAK * fmaxf(depth[0], depth[2]);
    ev->kind = (am || x->rev_spaced >= 1) ? AMDI_TONE_FAX_ANSAM : AMDI_TONE_FAX_CED;
    ev->start_ms = x->ced_first * AMDI_HOP_MS;
    ev->end_ms = f->end_ms;
    ev->hz = mean;
    return 1;
}

static int cng_frame(amdi_fax *x, const amdi_tone_analysis *a, amdi_tone_event *ev)
{
    const amdi_frame *f = a->f;
    int good = f->level_db >= FAX_MIN_DBFS && a->p1.bin && fabsf(a->p1.hz - FAX_CNG_HZ) <= FAX_CNG_FRAME_TOL &&
               a->p1.power >= FAX_PURITY * a->total;
    if (x->cng_wait && f->end_ms > x->cng_burst_end + 40) {
        if (good || f->energy > 0.25f * x->cng_level) {
            x->cng_wait = 0;
        } else if (f->end_ms >= x->cng_burst_end + FAX_CNG_QUIET_MS) {
            ev->kind = AMDI_TONE_FAX_CNG;
            ev->start_ms = x->cng_burst_start;
            ev->end_ms = f->end_ms;
            ev->hz = FAX_CNG_HZ;
            x->cng_wait = 0;
            return 1;
        }
    }
    if (good) {
        if (!x->cng_on) {
            x->cng_on = 1;
            x->cng_first = x->cng_last_loud = f->index;
            x->cng_good = 0;
            x->cng_e = 0.0;
            x->cng_ne = 0;
        }
        x->cng_last = f->index;
        x->cng_good++;
    }
    if (!x->cng_on) {
        amdi_activity_add(&x->act, f->index, f->energy);
        return 0;
    }
    float ref = x->cng_ne ? (float)(x->cng_e / x->cng_ne) : f->energy;
    if (f->energy >= 0.3f * ref && (good || f->index - x->cng_last <= 3)) {
        x->cng_last_loud = f->index;
        if (f->index > x->cng_first) {
            x->cng_e += f->energy;
            x->cng_ne++;
        }
    }
    if (!good && f->index - x->cng_last > 3) {
        x->cng_on = 0;
        int64_t st = x->cng_first * AMDI_HOP_MS, en = (x->cng_last_loud + 1) * AMDI_HOP_MS;
        int64_t span = x->cng_last - x->cng_first + 1;
        float level = x->cng_ne > 0 ? (float)(x->cng_e / x->cng_ne) : 0.f;
        float pre = amdi_activity_max(&x->act, x->cng_first - FAX_CNG_PRE_FRAMES, x->cng_first - 10);
        if (en - st >= FAX_CNG_MIN_MS && en - st <= FAX_CNG_MAX_MS && x->cng_ne > 0 &&
            (float)x->cng_good >= 0.8f * (float)span && pre < 0.2f * level) {
            x->cng_wait = 1;
            x->cng_burst_start = st;
            x->cng_burst_end = en;
            x->cng_level = (float)(x->cng_e / x->cng_ne);
        }
    }
    return 0;
}

static void v21_restart(amdi_fax *x)
{
    memset(x->lp1_re, 0, sizeof x->lp1_re);
    memset(x->lp1_im, 0, sizeof x->lp1_im);
    memset(x->lp2_re, 0, sizeof x->lp2_re);
    memset(x->lp2_im, 0, sizeof x->lp2_im);
    memset(x->z_re, 0, sizeof x->z_re);
    memset(x->z_im, 0, sizeof x->z_im);
    x->acc1_re = x->acc1_im = x->acc2_re = x->acc2_im = 0.f;
    x->v21_n = 0;
    x->cur_bit = 0;
    x->pend = 0;
    x->run = 0;
    x->zero_len = 0;
    x->flags = 0;
}

/*
 * A run of `len` samples of bit value `bit` ended. Between flags the line carries six 1s and two 0s
 * (01111110, sent LSB first, back to back). Codecs and noise move the bit edges (GSM 06.10 shortens
 * the 0s to ~1.6 bits and lengthens the 1s), but a whole flag period, 1s plus the 0s before them,
 * stays 8 bits: that sum is what is checked.
 */
static void v21_run(amdi_fax *x, int bit, int len, int64_t end_ms)
{
    if (!bit) {
        x->zero_len = len;
        return;
    }
    float ones = (float)len / FAX_V21_SPB, zeros = (float)x->zero_len / FAX_V21_SPB, period = ones + zeros;
    if (ones >= 5.0f && ones <= 7.5f && zeros >= 0.7f && zeros <= 3.0f && period >= 7.4f && period <= 8.6f) {
        if (x->flags == 0)
            x->flag_start_ms = end_ms - (int64_t)((float)(len + x->zero_len) / 8.f);
        x->flags++;
    } else {
        x->flags = x->flags > 1 ? x->flags - 1 : 0; /* a bit error costs a flag, not the run */
    }
    x->zero_len = 0;
}

static void v21_demod(amdi_fax *x, const amdi_frame *f)
{
    const int64_t t0 = f->end_ms - AMDI_HOP_MS;
    for (int n = 0; n < AMDI_HOP; n++) {
        int m = (int)(x->v21_n & 31);
        float zr = f->hop[n] * x->mix_cos[m], zi = -f->hop[n] * x->mix_sin[m];
        int i1 = (int)(x->v21_n & (AMDI_FAX_LP - 1));
        x->acc1_re += zr - x->lp1_re[i1];
        x->acc1_im += zi - x->lp1_im[i1];
        x->lp1_re[i1] = zr;
        x->lp1_im[i1] = zi;
        int i2 = (int)(x->v21_n & (AMDI_FAX_LP / 2 - 1));
        x->acc2_re += x->acc1_re - x->lp2_re[i2];
        x->acc2_im += x->acc1_im - x->lp2_im[i2];
        x->lp2_re[i2] = x->acc1_re;
        x->lp2_im[i2] = x->acc1_im;
        int d = (int)((x->v21_n - 2) & 3);
        float disc = x->acc2_im * x->z_re[d] - x->acc2_re * x->z_im[d];
        x->z_re[x->v21_n & 3] = x->acc2_re;
        x->z_im[x->v21_n & 3] = x->acc2_im;
        x->v21_n++;
        if (x->v21_n < AMDI_FAX_LP + AMDI_FAX_LP / 2 + 2)
            continue; /* filters filling */
        int bit = disc < 0.f; /* below 1750 Hz: mark, 1 */
        x->run++;
        if (bit != x->cur_bit) {
            if (++x->pend >= FAX_V21_GLITCH) {
                v21_run(x, x->cur_bit, x->run - FAX_V21_GLITCH, t0 + (n * 1000) / AMDI_RATE);
                x->cur_bit = bit;
                x->run = FAX_V21_GLITCH;
                x->pend = 0;
            }
        } else {
            x->pend = 0;
        }
    }
}

static int v21_frame(amdi_fax *x, const amdi_tone_analysis *a, amdi_tone_event *ev)
{
    const amdi_frame *f = a->f;
    float band = 0.f;
    for (int k = FAX_V21_LO_BIN; k <= FAX_V21_HI_BIN; k++)
        band += f->power[k];
    int gate = f->level_db >= FAX_V21_MIN_DBFS && a->total > 0.f && band >= FAX_V21_BAND * a->total;
    if (gate) {
        if (x->v21_gate == 0)
            v21_restart(x);
        x->v21_gate++;
        x->v21_miss = 0;
    } else if (x->v21_gate > 0 && ++x->v21_miss > 3) {
        x->v21_gate = 0;
        x->flags = 0;
    }
    if (x->v21_gate == 0)
        return 0;
    v21_demod(x, f);
    if (x->flags >= FAX_V21_FLAGS) {
        ev->kind = AMDI_TONE_FAX_V21;
        ev->start_ms = x->flag_start_ms < 0 ? 0 : x->flag_start_ms;
        ev->end_ms = f->end_ms;
        ev->hz = 1750.f; /* channel centre: mark 1650, space 1850 */
        return 1;
    }
    return 0;
}

int amdi_fax_frame(amdi_fax *x, const amdi_tone_analysis *a, amdi_tone_event *ev)
{
    x->active = 0;
    x->active_hz = 0.f;
    x->active_kind = NULL;
    x->pending = 0;
    if (x->done)
        return 0;
    int out = ced_frame(x, a, ev);
    if (!out)
        out = cng_frame(x, a, ev);
    if (!out)
        out = v21_frame(x, a, ev);
    if (out) {
        x->done = 1;
        x->pending = 0;
        return 1;
    }
    /* A fax tone may be about to be confirmed (amdi_tones_pending). */
    x->pending = (x->ced_on && x->ced_good >= 4) || (x->cng_on && x->cng_good >= 4) || x->cng_wait ||
                 (x->v21_gate >= 3 && x->flags >= 1);
    /* For the VAD: a candidate from its 4th tone frame (V.21: its 2nd flag); speech formants pass
       the per-frame tests for a frame or two, rarely for four. */
    if (x->ced_on && x->ced_last == a->f->index && x->ced_good >= 4) {
        x->active = 1;
        x->active_hz = FAX_CED_HZ;
        x->active_kind = "ced";
    } else if (x->cng_on && x->cng_last == a->f->index && x->cng_good >= 4) {
        x->active = 1;
        x->active_hz = FAX_CNG_HZ;
        x->active_kind = "cng";
    } else if (x->v21_gate >= 3 && x->v21_miss == 0 && x->flags >= 2) {
        x->active = 1;
        x->active_hz = 1750.f;
        x->active_kind = "v21";
    }
    return 0;
}
