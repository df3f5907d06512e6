/* SPDX-License-Identifier: MIT */
/*
 * Fax and modem tone detector: CED / ANS, ANSam and phase-reversed answer
 * tones, CNG with its cadence, V.21 channel-2 HDLC preamble flags. Internal;
 * run by tones.c. See fax_detector.c for the specifications and tolerances.
 */
#ifndef AMDI_FAX_DETECTOR_H
#define AMDI_FAX_DETECTOR_H

#include <stdint.h>

#include "tone_analysis.h"
#include "tones.h"

#define AMDI_FAX_LP 16 /* V.21 demodulator low-pass length (samples) */

typedef struct amdi_fax {
    /* cos / sin of 2100 Hz over one hop (21 whole cycles, so the phase reference is
       continuous from hop to hop), of 1750 Hz over 32 samples (7 cycles), and of
       5 Hz over 20 frames at 100 Hz (multiples give 10, 15, 20 Hz). Filled at init. */
    float ced_cos[AMDI_HOP], ced_sin[AMDI_HOP], mix_cos[32], mix_sin[32], am_cos[20], am_sin[20];

    int done; /* a fax tone has been reported: nothing more to do this call */

    /* 2100 Hz answer tone */
    int ced_on;
    int64_t ced_first, ced_last;
    int ced_good;
    double ced_fsum;
    int ced_fn;
    double am_re[3], am_im[3], am_sum; /* 10, 15, 20 Hz components of the hop envelope */
    int am_n;
    float ph_prev, ph_prev2, ph_w; /* hop phases at 2100 Hz, mean phase advance per hop */
    int ph_n;
    int64_t rev_last; /* frame of the last phase reversal, -1 none */
    int rev_spaced;   /* reversals found ~450 ms after the previous one */

    /* 1100 Hz calling tone */
    amdi_activity act; /* hop energies outside CNG candidates */
    int cng_on;
    int64_t cng_first, cng_last, cng_last_loud;
    int cng_good;
    double cng_e;
    int cng_ne;
    int cng_wait; /* a burst of the right length ended; watching the silence after it */
    int64_t cng_burst_start, cng_burst_end;
    float cng_level; /* mean hop energy of the burst */

    /* V.21 channel 2 */
    int v21_gate;     /* consecutive frames with the band energy in 1650..1850 */
    int v21_miss;
    int64_t v21_n;    /* sample counter inside the gated stretch (mixer phase) */
    float lp1_re[AMDI_FAX_LP], lp1_im[AMDI_FAX_LP];
    float lp2_re[AMDI_FAX_LP / 2], lp2_im[AMDI_FAX_LP / 2];
    float acc1_re, acc1_im, acc2_re, acc2_im;
    float z_re[4], z_im[4]; /* last filtered samples, for the discriminator delay */
    int cur_bit, pend, run;
    int zero_len;     /* samples of the last run of 0s */
    int flags;        /* consecutive HDLC flags */
    int64_t flag_start_ms;

    int pending; /* a candidate that may still be confirmed */

    /* trace */
    int active;
    float active_hz;
    const char *active_kind;
} amdi_fax;

void amdi_fax_init(amdi_fax *x);
void amdi_fax_reset(amdi_fax *x);
/* One frame. Returns 1 and fills *ev when a fax / modem tone is confirmed, else 0. */
int amdi_fax_frame(amdi_fax *x, const amdi_tone_analysis *a, amdi_tone_event *ev);

#endif /* AMDI_FAX_DETECTOR_H */
