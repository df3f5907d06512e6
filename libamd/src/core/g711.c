/* SPDX-License-Identifier: MIT */
/*
 * ITU-T G.711 µ-law and A-law companding (Recommendation G.711, 11/1988,
 * tables 1a/1b and 2a/2b). Linear values are on the 16-bit scale: µ-law
 * covers ±32124 in 14-bit steps of 4, A-law ±32256 in 13-bit steps of 8.
 *
 * The segment arithmetic below is the classic bit-exact formulation: decode is
 * the table midpoint of each code, encode picks the code whose interval
 * contains the input, so decode(encode(decode(c))) == decode(c) for every
 * code c. Both are pure functions of their argument and thread-safe.
 */
#include "amd/detector.h"

#include "g711.h"

/* µ-law: bias of 33 on the 14-bit scale (0x84 = 132 on the 16-bit scale), clip at 8159 (32635). */
#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

int16_t amd_ulaw_decode(uint8_t u)
{
    unsigned v = (unsigned)(~u) & 0xFFu;
    int t = (int)(((v & 0x0Fu) << 3) + ULAW_BIAS);
    t <<= (v & 0x70u) >> 4;
    return (int16_t)((v & 0x80u) ? (ULAW_BIAS - t) : (t - ULAW_BIAS));
}

uint8_t amd_ulaw_encode(int16_t s)
{
    int x = s;
    unsigned sign = 0;
    if (x < 0) {
        x = -x;
        sign = 0x80;
    }
    if (x > ULAW_CLIP)
        x = ULAW_CLIP;
    x += ULAW_BIAS;
    /* segment = position of the highest set bit above bit 7 (0..7) */
    unsigned seg = 0;
    for (int y = x >> 8; y; y >>= 1)
        seg++;
    unsigned mant = ((unsigned)x >> (seg + 3)) & 0x0Fu;
    return (uint8_t)(~(sign | (seg << 4) | mant) & 0xFFu);
}

int16_t amd_alaw_decode(uint8_t a)
{
    unsigned v = (unsigned)a ^ 0x55u;
    int t = (int)((v & 0x0Fu) << 4);
    unsigned seg = (v & 0x70u) >> 4;
    if (seg == 0) {
        t += 8;
    } else {
        t += 0x108;
        t <<= seg - 1;
    }
    return (int16_t)((v & 0x80u) ? t : -t);
}

uint8_t amd_alaw_encode(int16_t s)
{
    int x = s >> 3; /* 13-bit magnitude scale; arithmetic shift keeps the sign */
    unsigned mask;
    if (x >= 0) {
        mask = 0xD5; /* sign bit set, even bits inverted */
    } else {
        mask = 0x55;
        x = -x - 1;
    }
    /* segment ends on the 13-bit scale: 0x1F, 0x3F, 0x7F, ... 0xFFF */
    unsigned seg = 0;
    while (seg < 8 && x > ((0x20 << seg) - 1))
        seg++;
    if (seg >= 8)
        return (uint8_t)(0x7F ^ mask);
    unsigned aval = seg << 4;
    if (seg < 2)
        aval |= ((unsigned)x >> 1) & 0x0Fu;
    else
        aval |= ((unsigned)x >> seg) & 0x0Fu;
    return (uint8_t)(aval ^ mask);
}

void amdi_g711_tables(int16_t ulaw[256], int16_t alaw[256])
{
    for (int i = 0; i < 256; i++) {
        ulaw[i] = amd_ulaw_decode((uint8_t)i);
        alaw[i] = amd_alaw_decode((uint8_t)i);
    }
}
