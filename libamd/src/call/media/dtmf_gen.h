/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * DTMF generator for <Play digits> (and any string of keys our side sends in-band).
 *
 * Frequencies: ITU-T Q.23 (low group 697 770 852 941 Hz, high group 1209 1336 1477 1633 Hz).
 * Timing: every key is a 100 ms tone followed by a 100 ms pause, comfortably above the
 * ITU-T Q.24 minimums a receiver must accept (40 ms tone, 40 ms pause); Twilio does not
 * document its tone length. `w` is a 500 ms pause and `W` a 1 s pause (Twilio's <Play digits>).
 * Levels: low group -7 dBm0, high group -5 dBm0 (2 dB positive twist, within Q.24's limits),
 * with 0 dBm0 = a sine of peak 10^(-3.17/20) of full scale (ITU-T G.711 µ-law). */
#ifndef AMDI_MEDIA_DTMF_GEN_H
#define AMDI_MEDIA_DTMF_GEN_H

#include <stddef.h>

#define AMDI_DTMF_TONE_MS 100
#define AMDI_DTMF_GAP_MS 100
#define AMDI_DTMF_SHORT_PAUSE_MS 500 /* 'w' */
#define AMDI_DTMF_LONG_PAUSE_MS 1000 /* 'W' */

/* 0 when @p digits holds only 0-9 A-D a-d * # w W and at least one character; else AMD_EINVAL
 * with the offending position in *bad_pos (when not NULL). The caller reports Twilio's 13430. */
int amdi_dtmf_validate(const char *digits, size_t *bad_pos);
/* Low and high frequency (Hz) of key @p c (0-9 A-D a-d * #); 0 when @p c is not a key. */
int amdi_dtmf_freqs(char c, float *low_hz, float *high_hz);
/* Samples at 8 kHz that @p digits lasts (tones, gaps and pauses). */
size_t amdi_dtmf_samples(const char *digits);
/* The key whose tone sounds at sample @p pos of @p digits (upper case), or 0 in a gap, a
 * pause or past the end: what a driver needs to send the digit as an RFC 4733 event. */
char amdi_dtmf_key_at(const char *digits, size_t pos);
/* Write samples [@p pos, @p pos + @p n) of the signal for @p digits into @p out; past the
 * end it writes silence. Deterministic and stateless, so a player resumes anywhere. */
void amdi_dtmf_render(const char *digits, size_t pos, float *out, size_t n);

#endif
