/* SPDX-License-Identifier: MIT */
/* DTMF generation (dtmf_gen.h). */
#include "media/dtmf_gen.h"

#include <math.h>

#include "amd/error.h"
#include "media/pcm.h"

#define TWO_PI 6.283185307179586
#define MS(x) ((size_t)(x) * AMDI_MEDIA_RATE / 1000)
/* -7 and -5 dBm0 as peak amplitudes (0 dBm0 is 3.17 dB below a full-scale sine, G.711) */
#define AMP_LOW 0.3105f  /* 10^((-7 - 3.17) / 20) */
#define AMP_HIGH 0.3908f /* 10^((-5 - 3.17) / 20) */

static const char KEYS[4][4] = {{'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};
static const float LOW[4] = {697, 770, 852, 941};
static const float HIGH[4] = {1209, 1336, 1477, 1633};

int amdi_dtmf_freqs(char c, float *low_hz, float *high_hz)
{
    if (c >= 'a' && c <= 'd')
        c = (char)(c - 'a' + 'A');
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < 4; k++)
            if (KEYS[r][k] == c) {
                *low_hz = LOW[r];
                *high_hz = HIGH[k];
                return 1;
            }
    return 0;
}

/* Samples one character of a digit string lasts. */
static size_t char_samples(char c)
{
    if (c == 'w')
        return MS(AMDI_DTMF_SHORT_PAUSE_MS);
    if (c == 'W')
        return MS(AMDI_DTMF_LONG_PAUSE_MS);
    return MS(AMDI_DTMF_TONE_MS + AMDI_DTMF_GAP_MS);
}

int amdi_dtmf_validate(const char *digits, size_t *bad_pos)
{
    if (!digits || !digits[0]) {
        if (bad_pos)
            *bad_pos = 0;
        return AMD_EINVAL;
    }
    for (size_t i = 0; digits[i]; i++) {
        float lo, hi;
        if (digits[i] != 'w' && digits[i] != 'W' && !amdi_dtmf_freqs(digits[i], &lo, &hi)) {
            if (bad_pos)
                *bad_pos = i;
            return AMD_EINVAL;
        }
    }
    return 0;
}

size_t amdi_dtmf_samples(const char *digits)
{
    size_t n = 0;
    for (size_t i = 0; digits[i]; i++)
        n += char_samples(digits[i]);
    return n;
}

void amdi_dtmf_render(const char *digits, size_t pos, float *out, size_t n)
{
    size_t start = 0; /* first sample of digits[i] */
    size_t i = 0;
    size_t w = 0;
    while (w < n && digits[i]) {
        size_t len = char_samples(digits[i]);
        if (pos + w >= start + len) {
            start += len;
            i++;
            continue;
        }
        float lo = 0, hi = 0;
        const int tone = amdi_dtmf_freqs(digits[i], &lo, &hi);
        for (; w < n && pos + w < start + len; w++) {
            size_t k = pos + w - start; /* sample within this character */
            float v = 0;
            if (tone && k < MS(AMDI_DTMF_TONE_MS)) {
                const double t = (double)k / AMDI_MEDIA_RATE;
                v = AMP_LOW * (float)sin(TWO_PI * lo * t) + AMP_HIGH * (float)sin(TWO_PI * hi * t);
            }
            out[w] = v;
        }
    }
    for (; w < n; w++)
        out[w] = 0;
}

char amdi_dtmf_key_at(const char *digits, size_t pos)
{
    size_t start = 0;
    for (size_t i = 0; digits[i]; i++) {
        size_t len = char_samples(digits[i]);
        if (pos < start + len) {
            float lo, hi;
            if (pos - start >= MS(AMDI_DTMF_TONE_MS) || !amdi_dtmf_freqs(digits[i], &lo, &hi))
                return 0;
            return digits[i] >= 'a' && digits[i] <= 'd' ? (char)(digits[i] - 'a' + 'A') : digits[i];
        }
        start += len;
    }
    return 0;
}
