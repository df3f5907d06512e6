/* SPDX-License-Identifier: MIT */
/* Input adaptation: formats, resampling to 8 kHz, DC removal, hop assembly, chunk invariance. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "amd/detector.h"
#include "input.h"
#include "test_util.h"

Suite *input_suite(void);

#define MAXHOPS 2000
typedef struct sink {
    int hops;
    float data[MAXHOPS * AMDI_HOP];
    int stop_after;
} sink;

static int collect(void *user, const float *hop)
{
    sink *s = user;
    if (s->hops < MAXHOPS)
        memcpy(s->data + (size_t)s->hops * AMDI_HOP, hop, sizeof(float) * AMDI_HOP);
    s->hops++;
    return s->stop_after && s->hops >= s->stop_after;
}

static void feed(int rate, int fmt, const void *data, size_t n, size_t chunk, sink *out)
{
    amdi_input in;
    ck_assert_int_eq(amdi_input_init(&in, rate), 0);
    memset(out, 0, sizeof *out);
    size_t esz = fmt == AMDI_FMT_S16 ? 2 : fmt == AMDI_FMT_FLOAT ? 4 : 1;
    for (size_t off = 0; off < n; off += chunk) {
        size_t m = n - off < chunk ? n - off : chunk;
        amdi_input_push(&in, (amdi_sample_fmt)fmt, (const char *)data + off * esz, m, collect, out);
    }
    amdi_input_free(&in);
}

static sink A, B;

/* The hops do not depend on the chunking, at 8, 16 and 44.1 kHz. */
START_TEST(test_chunk_invariance)
{
    int rates[] = {8000, 16000, 44100};
    size_t chunks[] = {1, 7, 80, 160, 1000};
    tu_rng r;
    for (int ri = 0; ri < 3; ri++) {
        int rate = rates[ri];
        size_t n = (size_t)rate; /* 1 s */
        float *x = calloc(n, sizeof(float));
        int16_t *s = malloc(n * sizeof(int16_t));
        tu_rng_seed(&r, 42);
        tu_make_speechlike(x, n, rate, 150, 3000, &r);
        tu_to_s16(x, s, n);
        feed(rate, AMDI_FMT_S16, s, n, n, &A);
        ck_assert_int_ge(A.hops, 95);
        ck_assert_int_le(A.hops, 100);
        for (int ci = 0; ci < 5; ci++) {
            feed(rate, AMDI_FMT_S16, s, n, chunks[ci], &B);
            ck_assert_int_eq(A.hops, B.hops);
            ck_assert_msg(memcmp(A.data, B.data, sizeof(float) * AMDI_HOP * (size_t)A.hops) == 0,
                          "rate %d chunk %zu differs", rate, chunks[ci]);
        }
        free(x);
        free(s);
    }
}
END_TEST

/* A 1 kHz sine at 16 and 44.1 kHz comes out as 1 kHz at 8 kHz (zero crossings), same level. */
START_TEST(test_resampling_keeps_frequency_and_level)
{
    int rates[] = {8000, 11025, 16000, 22050, 32000, 44100, 48000};
    for (int ri = 0; ri < 7; ri++) {
        int rate = rates[ri];
        size_t n = (size_t)rate;
        float *x = calloc(n, sizeof(float));
        tu_add_sine(x, n, rate, 1000.0, 10000.0, 0.3);
        for (size_t i = 0; i < n; i++)
            x[i] /= 32768.f;
        feed(rate, AMDI_FMT_FLOAT, x, n, 333, &A);
        /* skip the first 100 ms (DC blocker settling) */
        int zc = 0;
        double e = 0;
        size_t from = 10 * AMDI_HOP, to = (size_t)A.hops * AMDI_HOP;
        for (size_t i = from + 1; i < to; i++) {
            if ((A.data[i - 1] < 0) != (A.data[i] < 0))
                zc++;
            e += (double)A.data[i] * A.data[i];
        }
        double secs = (double)(to - from) / 8000.0;
        double hz = zc / 2.0 / secs;
        double rms = sqrt(e / (double)(to - from));
        ck_assert_msg(fabs(hz - 1000.0) < 5.0, "rate %d: %.1f Hz", rate, hz);
        ck_assert_msg(fabs(20 * log10(rms / (10000.0 / sqrt(2.0)))) < 0.5, "rate %d: level off by %.2f dB", rate,
                      20 * log10(rms / (10000.0 / sqrt(2.0))));
        free(x);
    }
}
END_TEST

/* A 3.5 kHz tone at 44.1 kHz is in band; a 6 kHz tone is removed (no alias at 2 kHz). */
START_TEST(test_resampling_rejects_out_of_band)
{
    size_t n = 44100;
    float *x = calloc(n, sizeof(float));
    tu_add_sine(x, n, 44100, 6000.0, 10000.0, 0.0);
    for (size_t i = 0; i < n; i++)
        x[i] /= 32768.f;
    feed(44100, AMDI_FMT_FLOAT, x, n, n, &A);
    double e = 0;
    for (size_t i = 10 * AMDI_HOP; i < (size_t)A.hops * AMDI_HOP; i++)
        e += (double)A.data[i] * A.data[i];
    double rms = sqrt(e / (double)((size_t)A.hops * AMDI_HOP - 10 * AMDI_HOP));
    ck_assert_msg(20 * log10(rms / 7071.0) < -40.0, "6 kHz leaks at %.1f dB", 20 * log10(rms / 7071.0));
    free(x);
}
END_TEST

/* DC is removed: a constant offset decays to nothing within 0.5 s, a tone on it survives. */
START_TEST(test_dc_removal)
{
    size_t n = 8000;
    int16_t *s = malloc(n * sizeof(int16_t));
    float *x = calloc(n, sizeof(float));
    tu_add_sine(x, n, 8000, 500.0, 3000.0, 0.0);
    for (size_t i = 0; i < n; i++)
        s[i] = (int16_t)lrintf(x[i] + 5000.f);
    feed(8000, AMDI_FMT_S16, s, n, 80, &A);
    double mean = 0;
    for (size_t i = 50 * AMDI_HOP; i < 100 * AMDI_HOP; i++)
        mean += A.data[i];
    mean /= 50.0 * AMDI_HOP;
    ck_assert_msg(fabs(mean) < 20.0, "DC left: %.1f", mean);
    free(s);
    free(x);
}
END_TEST

/* µ-law, A-law, float and s16 of the same signal give the same hops (within G.711 precision). */
START_TEST(test_formats_agree)
{
    size_t n = 8000;
    float *x = calloc(n, sizeof(float));
    int16_t *s = malloc(n * sizeof(int16_t));
    uint8_t *u = malloc(n), *a = malloc(n);
    float *fl = malloc(n * sizeof(float));
    tu_rng r;
    tu_rng_seed(&r, 7);
    tu_make_speechlike(x, n, 8000, 120, 4000, &r);
    tu_to_s16(x, s, n);
    for (size_t i = 0; i < n; i++) {
        u[i] = amd_ulaw_encode(s[i]);
        a[i] = amd_alaw_encode(s[i]);
        fl[i] = s[i] / 32768.f;
    }
    feed(8000, AMDI_FMT_S16, s, n, n, &A);
    feed(8000, AMDI_FMT_FLOAT, fl, n, 13, &B);
    for (size_t i = 0; i < (size_t)A.hops * AMDI_HOP; i++)
        ck_assert(fabsf(A.data[i] - B.data[i]) < 0.01f);
    int fmts[2] = {AMDI_FMT_ULAW, AMDI_FMT_ALAW};
    const uint8_t *g[2] = {u, a};
    for (int k = 0; k < 2; k++) {
        feed(8000, fmts[k], g[k], n, 160, &B);
        ck_assert_int_eq(A.hops, B.hops);
        double e = 0, d = 0;
        for (size_t i = 0; i < (size_t)A.hops * AMDI_HOP; i++) {
            e += (double)A.data[i] * A.data[i];
            d += (double)(A.data[i] - B.data[i]) * (A.data[i] - B.data[i]);
        }
        /* G.711 SNR is ~35-38 dB on speech */
        ck_assert_msg(10 * log10(e / d) > 30.0, "fmt %d SNR %.1f dB", fmts[k], 10 * log10(e / d));
    }
    free(x);
    free(s);
    free(u);
    free(a);
    free(fl);
}
END_TEST

/* Float input beyond [-1, 1] is clipped; NaN/Inf are found. */
START_TEST(test_float_clip_and_nonfinite)
{
    float f[AMDI_HOP];
    for (int i = 0; i < AMDI_HOP; i++)
        f[i] = (i % 2) ? 5.f : -5.f;
    feed(8000, AMDI_FMT_FLOAT, f, AMDI_HOP, AMDI_HOP, &A);
    ck_assert_int_eq(A.hops, 1);
    for (int i = 0; i < AMDI_HOP; i++)
        ck_assert(fabsf(A.data[i]) <= 2 * 32768.f); /* DC blocker output of a clipped square wave */
    ck_assert_int_eq(amdi_input_has_nonfinite(f, AMDI_HOP), 0);
    f[17] = NAN;
    ck_assert_int_eq(amdi_input_has_nonfinite(f, AMDI_HOP), 1);
    f[17] = INFINITY;
    ck_assert_int_eq(amdi_input_has_nonfinite(f, AMDI_HOP), 1);
    f[17] = -INFINITY;
    ck_assert_int_eq(amdi_input_has_nonfinite(f, AMDI_HOP), 1);
    ck_assert_int_eq(amdi_input_has_nonfinite(f, 0), 0);
}
END_TEST

/* The callback can stop consumption; flush pads a partial hop; bad rates are refused. */
START_TEST(test_stop_flush_and_rates)
{
    amdi_input in;
    int16_t s[1000] = {0};
    memset(&A, 0, sizeof A);
    A.stop_after = 3;
    ck_assert_int_eq(amdi_input_init(&in, 8000), 0);
    ck_assert_int_eq(amdi_input_push(&in, AMDI_FMT_S16, s, 1000, collect, &A), 1);
    ck_assert_int_eq(A.hops, 3);
    amdi_input_reset(&in);
    memset(&A, 0, sizeof A);
    ck_assert_int_eq(amdi_input_push(&in, AMDI_FMT_S16, s, 100, collect, &A), 0);
    ck_assert_int_eq(A.hops, 1);
    amdi_input_flush(&in, collect, &A);
    ck_assert_int_eq(A.hops, 2);
    amdi_input_flush(&in, collect, &A); /* nothing pending: no hop */
    ck_assert_int_eq(A.hops, 2);
    ck_assert_int_eq(in.samples_in, 100);
    amdi_input_free(&in);
    amdi_input_free(&in); /* twice is safe */
    ck_assert_int_eq(amdi_input_init(&in, 7999), AMD_EINVAL);
    ck_assert_int_eq(amdi_input_init(&in, 48001), AMD_EINVAL);
    ck_assert_int_eq(amdi_input_init(&in, 48000), 0);
    ck_assert_uint_gt(amdi_input_extra_memory(&in), 0);
    amdi_input_free(&in);
}
END_TEST

Suite *input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_chunk_invariance);
    tcase_add_test(tc, test_resampling_keeps_frequency_and_level);
    tcase_add_test(tc, test_resampling_rejects_out_of_band);
    tcase_add_test(tc, test_dc_removal);
    tcase_add_test(tc, test_formats_agree);
    tcase_add_test(tc, test_float_clip_and_nonfinite);
    tcase_add_test(tc, test_stop_flush_and_rates);
    suite_add_tcase(s, tc);
    return s;
}
