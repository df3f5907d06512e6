/* SPDX-License-Identifier: MIT */
/* G.711 µ-law / A-law against the ITU-T G.711 reference values and bounds. */
#include <check.h>
#include <stdlib.h>

#include "amd/detector.h"

/* Reference decodes from G.711 tables 2a/2b (16-bit scale: µ-law x4, A-law x8). */
START_TEST(test_ulaw_reference_values)
{
    ck_assert_int_eq(amd_ulaw_decode(0x00), -32124);
    ck_assert_int_eq(amd_ulaw_decode(0x80), 32124);
    ck_assert_int_eq(amd_ulaw_decode(0xFF), 0);
    ck_assert_int_eq(amd_ulaw_decode(0x7F), 0);
    ck_assert_int_eq(amd_ulaw_decode(0xFE), 8);
    ck_assert_int_eq(amd_ulaw_decode(0x7E), -8);
    ck_assert_int_eq(amd_ulaw_decode(0xEF), 132);
    ck_assert_int_eq(amd_ulaw_decode(0xF0), 120);
    ck_assert_int_eq(amd_ulaw_encode(0), 0xFF);
    ck_assert_int_eq(amd_ulaw_encode(32767), 0x80);
    ck_assert_int_eq(amd_ulaw_encode(-32768), 0x00);
    ck_assert_int_eq(amd_ulaw_encode(-1), 0x7F);
}
END_TEST

START_TEST(test_alaw_reference_values)
{
    ck_assert_int_eq(amd_alaw_decode(0xD5), 8);
    ck_assert_int_eq(amd_alaw_decode(0x55), -8);
    ck_assert_int_eq(amd_alaw_decode(0xAA), 32256);
    ck_assert_int_eq(amd_alaw_decode(0x2A), -32256);
    ck_assert_int_eq(amd_alaw_decode(0xD4), 24);
    ck_assert_int_eq(amd_alaw_decode(0xC5), 264);
    ck_assert_int_eq(amd_alaw_encode(0), 0xD5);
    ck_assert_int_eq(amd_alaw_encode(-1), 0x55);
    ck_assert_int_eq(amd_alaw_encode(32767), 0xAA);
    ck_assert_int_eq(amd_alaw_encode(-32768), 0x2A);
}
END_TEST

/* Every code survives decode -> encode (µ-law's negative zero 0x7F encodes as +0, 0xFF). */
START_TEST(test_round_trip_every_code)
{
    for (int c = 0; c < 256; c++) {
        uint8_t u = amd_ulaw_encode(amd_ulaw_decode((uint8_t)c));
        ck_assert_msg(u == c || (c == 0x7F && u == 0xFF), "ulaw code %02x -> %02x", c, u);
        ck_assert_msg(amd_alaw_encode(amd_alaw_decode((uint8_t)c)) == c, "alaw code %02x", c);
    }
}
END_TEST

/* Quantisation error of every 16-bit input is within half a step of its segment. */
START_TEST(test_quantisation_error_bounds)
{
    for (int x = -32768; x <= 32767; x++) {
        int du = amd_ulaw_decode(amd_ulaw_encode((int16_t)x));
        int da = amd_alaw_decode(amd_alaw_encode((int16_t)x));
        int ax = abs(x);
        /* µ-law step on the 16-bit scale is 8 << seg; clipping at 32635 */
        if (ax <= 32635) {
            int seg = 0;
            for (int y = (ax + 0x84) >> 8; y; y >>= 1)
                seg++;
            ck_assert_msg(abs(du - x) <= (4 << seg), "ulaw x=%d -> %d", x, du);
        } else {
            ck_assert_int_eq(abs(du), 32124);
        }
        /* A-law step is 16 in segments 0/1, 16 << (seg-1) above; max error half of it + 1 LSB of the 13-bit scale */
        int seg = 0;
        int m = ax >> 3;
        while (seg < 8 && m > ((0x20 << seg) - 1))
            seg++;
        int half = seg < 2 ? 8 : (8 << (seg - 1));
        if (seg < 8)
            ck_assert_msg(abs(da - x) <= half + 8, "alaw x=%d -> %d", x, da);
        /* sign is preserved */
        if (x > 8)
            ck_assert(du > 0 && da > 0);
        if (x < -8)
            ck_assert(du < 0 && da < 0);
    }
}
END_TEST

/* Encoding is monotonic: larger input never decodes smaller. */
START_TEST(test_monotonic)
{
    int pu = -40000, pa = -40000;
    for (int x = -32768; x <= 32767; x++) {
        int du = amd_ulaw_decode(amd_ulaw_encode((int16_t)x));
        int da = amd_alaw_decode(amd_alaw_encode((int16_t)x));
        ck_assert_int_ge(du, pu);
        ck_assert_int_ge(da, pa);
        pu = du;
        pa = da;
    }
}
END_TEST

Suite *g711_suite(void);

Suite *g711_suite(void)
{
    Suite *s = suite_create("g711");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_ulaw_reference_values);
    tcase_add_test(tc, test_alaw_reference_values);
    tcase_add_test(tc, test_round_trip_every_code);
    tcase_add_test(tc, test_quantisation_error_bounds);
    tcase_add_test(tc, test_monotonic);
    suite_add_tcase(s, tc);
    return s;
}
