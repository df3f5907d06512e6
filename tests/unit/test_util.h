/* SPDX-License-Identifier: MIT */
/* Shared helpers for the Check suites: a seeded RNG and signal generators. */
#ifndef AMD_TEST_UTIL_H
#define AMD_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Deterministic xorshift RNG. The seed is printed by the failing test's message. */
typedef struct tu_rng { uint64_t s; } tu_rng;
void tu_rng_seed(tu_rng *r, uint64_t seed);
uint32_t tu_rng_u32(tu_rng *r);
double tu_rng_uniform(tu_rng *r);  /* [0,1) */
double tu_rng_gauss(tu_rng *r);    /* N(0,1) */

/* Add a sine of amplitude amp (s16 scale) and frequency hz to buf[0..n) at rate. */
void tu_add_sine(float *buf, size_t n, int rate, double hz, double amp, double phase);
/* Add white Gaussian noise of RMS rms. */
void tu_add_noise(float *buf, size_t n, double rms, tu_rng *r);
/*
 * Add a speech-like burst: a glottal pulse train (pitch f0 with jitter, vibrato)
 * through moving vowel formants, syllable-rate envelope. Overwrites buf[0..n) with RMS rms.
 */
void tu_make_speechlike(float *buf, size_t n, int rate, double f0, double rms, tu_rng *r);
/* Convert float (s16 scale) to s16 with clipping. */
void tu_to_s16(const float *in, int16_t *out, size_t n);
/*
 * Read a recording (any format the amdaudio reader takes; channels down-mixed) as s16 samples:
 * malloc'd, *n samples at *rate Hz. NULL (message in err) if it cannot be read.
 */
int16_t *tu_read_audio_s16(const char *path, size_t *n, int *rate, char *err, size_t errlen);
/* Path of a file under the source tree (static buffer, not thread-safe). */
const char *tu_source_path(const char *rel);

#endif
