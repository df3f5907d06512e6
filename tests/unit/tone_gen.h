/* SPDX-License-Identifier: MIT */
/*
 * Test-only tone signals and a harness that runs the tone detectors
 * (amdi_tones_*) on a signal through the real analysis path (analysis.c).
 *
 * Levels: dBFS of a sine's peak against full scale (0 dBFS = a full-scale
 * sine, peak 32767, which frame.h's RMS level calls -3 dB).
 */
#ifndef AMD_TONE_GEN_H
#define AMD_TONE_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"
#include "test_util.h"
#include "tones.h"

#define TG_RATE 8000
#define TG_MS(ms) ((size_t)(ms) * (TG_RATE / 1000))

/* Peak amplitude (s16 scale) of a sine at dbfs. */
double tg_amp(double dbfs);
/* Add a sine burst at [start_ms, start_ms + dur_ms) with 2 ms raised-cosine edges. */
void tg_tone(float *buf, size_t n, double start_ms, double dur_ms, double hz, double dbfs);
/* Add white noise whose RMS is snr_db under that of a sine at dbfs. */
void tg_noise_snr(float *buf, size_t n, double dbfs, double snr_db, tu_rng *r);

/* Fax / modem signals, each added at start_ms; return the end in ms. */
/* 2100 Hz answer tone: am = 0.2 for ANSam (15 Hz), pr_ms = 450 for phase reversals (0: none). */
double tg_ans(float *buf, size_t n, double start_ms, double dur_ms, double dbfs, double am, double pr_ms);
/* V.21 channel 2 FSK (mark 1650, space 1850 Hz, 300 bit/s, phase continuous) of nflags HDLC flags
   followed by nrandom random bits. */
double tg_v21_flags(float *buf, size_t n, double start_ms, int nflags, int nrandom, double dbfs, tu_rng *r);
/* CNG: 1100 Hz, 0.5 s on / 3 s off, `bursts` times. */
double tg_cng(float *buf, size_t n, double start_ms, int bursts, double dbfs);
/* SIT: three segments (frequencies and lengths), gap_ms between them. */
double tg_sit(float *buf, size_t n, double start_ms, const double hz[3], const double ms[3], double gap_ms,
              double dbfs);

/*
 * The same fax signals from libspandsp (Steve Underwood's reference implementation:
 * modem_connect_tones_tx, fsk_tx + hdlc_tx), when the build found it (AMD_HAVE_SPANDSP).
 * tone: 1 CNG, 2 ANS, 3 ANS with phase reversals, 4 ANSam, 5 ANSam with phase reversals
 * (spandsp's MODEM_CONNECT_TONES_* numbering). Return the end in ms, or -1 without spandsp.
 */
double tg_spandsp_connect_tone(float *buf, size_t n, double start_ms, double dur_ms, int tone);
double tg_spandsp_v21_flags(float *buf, size_t n, double start_ms, int nflags);

/* Sung vowel: harmonic series on f0 with vibrato (depth fraction, rate Hz) and jitter, formant shaped. */
void tg_sung(float *buf, size_t n, double start_ms, double dur_ms, double f0, double vib_depth, double vib_hz,
             double dbfs, tu_rng *r);
/* Music-like signal: chords and a melody of harmonic notes with plucked / sustained envelopes. */
void tg_music(float *buf, size_t n, double dbfs, tu_rng *r);

/* Codec round trips in place (s16 clipping included). */
void tg_ulaw(float *buf, size_t n);
void tg_alaw(float *buf, size_t n);
/* GSM 06.10 through libsndfile (WAV/GSM610 in memory). Returns 0 or -1. */
int tg_gsm(float *buf, size_t n);

/* What the tone detectors said about a signal. */
#define TG_MAX_EVENTS 64
typedef struct tg_result {
    int n;
    amdi_tone_event ev[TG_MAX_EVENTS];
    int n_beep;               /* events of kind AMDI_TONE_BEEP */
    int n_reject;             /* tone segments the beep detector rejected, and ... */
    int last_reject;          /* ... the rule (amdi_beep_reason) of the last one */
    int64_t first_active_ms;  /* first frame with amdi_tones_active, -1 none */
    int64_t active_frames;
    int64_t decided_ms[TG_MAX_EVENTS]; /* frame end at which each event was returned */
} tg_result;

/* Run amdi_tones over buf with cfg (NULL: defaults). Returns 0 or -1. */
int tg_run(const float *buf, size_t n, const amd_config *cfg, tg_result *res);
/* The first event of a kind, or NULL. */
const amdi_tone_event *tg_find(const tg_result *res, amdi_tone_kind kind, int64_t *decided_ms);

#endif
