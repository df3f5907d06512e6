/* SPDX-License-Identifier: MIT */
/*
 * In-band DTMF receiver (ITU-T Q.23 frequencies, ITU-T Q.24 reception
 * limits). Internal; the detector delivers its digits as AMD_EVENT_DTMF.
 *
 * What does it do
 *   Per 10 ms frame of the 8 kHz analysis signal it decides whether the last
 *   20 ms hold one DTMF digit, and reports each digit once, when it has been
 *   present for two consecutive frames (>= ~37 ms of tone) after a pause.
 *
 * How it works (all on the newest AMDI_DTMF_N = 160 samples, 20 ms)
 *   - Goertzel power at the 4 low-group (697..941 Hz) and 4 high-group
 *     (1209..1633 Hz) frequencies; the strongest of each group is the candidate.
 *   - Frequency: the phase advance of each candidate between the two 10 ms
 *     halves gives its offset from nominal (+-50 Hz unambiguous); offsets
 *     beyond AMDI_DTMF_FREQ_TOL (2.0 %) are rejected - Q.24 asks for operation
 *     within +-1.5 % and non-operation beyond +-3.5 %. The tone power is then
 *     measured at the estimated frequency (no scalloping loss).
 *   - Level: each tone at least AMDI_DTMF_MIN_DBM0 (-32 dBm0).
 *   - Twist: the high-group tone at most 4 dB above the low-group tone, the
 *     low-group tone at most 8 dB above the high one (Q.24's North American
 *     limits, the widest common ones).
 *   - Talk-off guards: the two tones must carry >= 92 % of the 20 ms block's
 *     energy (speech and music spread theirs), and neither may have a second
 *     harmonic within 15 dB of it (voiced speech and instruments do; a DTMF
 *     generator does not), measured over the Hann-windowed 32 ms frame.
 *   - Timing: a block is only valid when the tone covers >= 92 % of it, so a
 *     digit needs two consecutive valid frames: tones of >= 37 ms are always
 *     recognised, of <= 26 ms never (Q.24: operate >= 40 ms). A new digit
 *     needs a pause of four invalid frames first: pauses >= 22 ms always
 *     re-arm, dropouts <= 11 ms never split a digit (Q.24: pause >= 40 ms).
 *     On the project corpus (bench/RESULTS.md) 85 % let two digits through on
 *     GSM-coded synthetic speech; 92 % needs the tones >= ~11 dB above noise.
 *
 * Streaming, allocation-free: the state lives inside the detector.
 */
#ifndef AMDI_DTMF_H
#define AMDI_DTMF_H

#include <stdint.h>

#include "frame.h"

#define AMDI_DTMF_N 160           /* block: 20 ms at 8 kHz */
#define AMDI_DTMF_FREQ_TOL 0.020f /* relative frequency offset accepted */
#define AMDI_DTMF_MIN_DBM0 (-32.f)
#define AMDI_DTMF_TWIST_HIGH_DB 4.f /* high group above low group */
#define AMDI_DTMF_TWIST_LOW_DB 8.f  /* low group above high group */
#define AMDI_DTMF_PURITY 0.92f      /* share of the block energy in the two tones */
#define AMDI_DTMF_HARM_DB 15.f      /* second harmonic at least this far below its tone */
#define AMDI_DTMF_CONFIRM 2         /* consecutive valid frames that make a digit */
#define AMDI_DTMF_PAUSE 4           /* consecutive invalid frames that re-arm */

typedef struct amdi_dtmf_digit {
    char digit;       /* '0'-'9', '*', '#', 'A'-'D' */
    int64_t start_ms; /* audio time the tone started (+-5 ms) */
    float low_hz, high_hz; /* measured frequencies */
} amdi_dtmf_digit;

typedef struct amdi_dtmf {
    int cand;          /* digit index 0..15 valid on the previous frame, -1 none */
    int cand_run;      /* consecutive frames it was valid */
    int64_t cand_start_ms;
    int armed;         /* a new digit may be reported */
    int pause_run;     /* consecutive frames without a valid digit */
} amdi_dtmf;

void amdi_dtmf_reset(amdi_dtmf *d);
/*
 * One frame (f->win holds the newest samples, s16 scale). Returns 1 and fills
 * *out when a digit is recognised on this frame, else 0.
 */
int amdi_dtmf_frame(amdi_dtmf *d, const amdi_frame *f, amdi_dtmf_digit *out);
/*
 * The digit (0..15, -1 none) the newest block of @p win (AMDI_WIN samples,
 * oldest first, as amdi_frame.win) holds by every check but duration, with
 * its measured frequencies.
 */
int amdi_dtmf_block(const float *win, float *low_hz, float *high_hz);

#endif /* AMDI_DTMF_H */
