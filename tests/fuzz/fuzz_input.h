/* SPDX-License-Identifier: MIT */
/*
 * A cursor over the fuzzer's input for the harnesses: take small integers and byte runs from
 * the front; once the input is used up every read returns zero, so any input is a valid
 * program for a harness (libFuzzer then only has to learn which bytes matter).
 */
#ifndef AMD_FUZZ_INPUT_H
#define AMD_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fz_in {
    const uint8_t *p;
    size_t len, off;
} fz_in;

static inline size_t fz_left(const fz_in *in) { return in->len - in->off; }

static inline uint8_t fz_u8(fz_in *in)
{
    return in->off < in->len ? in->p[in->off++] : 0;
}

static inline uint16_t fz_u16(fz_in *in)
{
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(fz_in *in)
{
    uint32_t lo = fz_u16(in);
    return lo | (uint32_t)fz_u16(in) << 16;
}

/* An integer in [lo, hi] (inclusive; hi >= lo). */
static inline int fz_range(fz_in *in, int lo, int hi)
{
    uint32_t span = (uint32_t)((int64_t)hi - lo + 1);
    uint32_t v = span <= 256 ? fz_u8(in) : span <= 65536 ? fz_u16(in) : fz_u32(in);
    return (int)((int64_t)lo + (int64_t)(span ? v % span : v));
}

/* Up to @p max bytes from the input (fewer at its end); returns the count taken. */
static inline size_t fz_bytes(fz_in *in, const uint8_t **out, size_t max)
{
    size_t n = fz_left(in) < max ? fz_left(in) : max;
    *out = in->p + in->off;
    in->off += n;
    return n;
}

#endif /* AMD_FUZZ_INPUT_H */
