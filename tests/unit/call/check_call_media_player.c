/* SPDX-License-Identifier: MIT */
/* The outbound frame player (media/player.h), its DTMF generator and its stream source: what
 * the far end hears must be each source in order, the right number of times, gaplessly,
 * digits at the ITU-T Q.23 frequencies, and a slow producer must cost silence, not a stall. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "media/dtmf_gen.h"
#include "media/player.h"

Suite *call_media_player_suite(void);

#define F AMDI_MEDIA_FRAME

static amdi_pcm *ramp(size_t n, float base)
{
    float *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        s[i] = base + (float)i / 10000.0f;
    return amdi_pcm_create(s, n);
}

/* Play @p frames frames into @p out (frames * F samples). */
static void run(amdi_player *p, float *out, int frames)
{
    for (int i = 0; i < frames; i++)
        amdi_player_frame(p, out + (size_t)i * F);
}

/* Goertzel power of @p f Hz over @p n samples, normalised so a unit sine gives ~0.25. */
static double goertzel(const float *x, size_t n, double f)
{
    double c = 2 * cos(2 * 3.141592653589793 * f / AMDI_MEDIA_RATE), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

START_TEST(idle_is_silence)
{
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(8, &p), 0);
    float out[F];
    memset(out, 0x7f, sizeof out);
    ck_assert_int_eq(amdi_player_frame(p, out), 0);
    for (int i = 0; i < F; i++)
        ck_assert(out[i] == 0.0f);
    ck_assert_int_eq(amdi_player_poll(p, NULL), 0);
    amdi_player_destroy(p);
}
END_TEST

START_TEST(bad_arguments)
{
    amdi_player *p = (amdi_player *)1;
    ck_assert_int_eq(amdi_player_create(0, &p), AMD_EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(amdi_player_create(5000, &p), AMD_EINVAL);
    ck_assert_int_eq(amdi_player_create(2, NULL), AMD_EINVAL);
    ck_assert_int_eq(amdi_player_create(2, &p), 0);
    ck_assert_int_eq(amdi_player_add_pcm(p, NULL, 1, NULL), AMD_EINVAL);
    ck_assert_int_eq(amdi_player_add_stream(p, NULL, 1, NULL), AMD_EINVAL);
    ck_assert_int_eq(amdi_player_add_digits(p, "12x", NULL), AMD_EINVAL);
    ck_assert_int_eq(amdi_player_add_digits(p, "", NULL), AMD_EINVAL);
    ck_assert_int_eq(amdi_player_add_digits(p, NULL, NULL), AMD_EINVAL);
    /* a stream that is not retained cannot loop */
    amdi_stream *s = amdi_stream_create(0);
    ck_assert_int_eq(amdi_player_add_stream(p, s, 2, NULL), AMD_EINVAL);
    /* full queue */
    ck_assert_int_eq(amdi_player_add_silence(p, 20, NULL), 0);
    ck_assert_int_eq(amdi_player_add_stream(p, s, 1, NULL), 0);
    ck_assert_int_eq(amdi_player_add_silence(p, 20, NULL), AMD_ELIMIT);
    ck_assert_int_eq(amdi_player_pending(p), 2);
    amdi_stream_unref(s); /* the player holds its own reference */
    amdi_player_destroy(p);
    ck_assert_int_eq(amdi_dtmf_validate("0123456789ABCDabcd*#wW", NULL), 0);
    size_t bad = 99;
    ck_assert_int_eq(amdi_dtmf_validate("12 3", &bad), AMD_EINVAL);
    ck_assert_int_eq(bad, 2);
}
END_TEST

START_TEST(pcm_loop_count_and_gapless_sequence)
{
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(8, &p), 0);
    amdi_pcm *a = ramp(100, 0.1f), *b = ramp(70, -0.5f);
    uint32_t ia, isil, ib;
    ck_assert_int_eq(amdi_player_add_pcm(p, a, 3, &ia), 0);
    ck_assert_int_eq(amdi_player_add_silence(p, 30, &isil), 0); /* 240 samples */
    ck_assert_int_eq(amdi_player_add_pcm(p, b, 1, &ib), 0);
    amdi_pcm_unref(a);
    ck_assert(ia != isil && isil != ib);
    static float out[6 * F];
    run(p, out, 6);
    /* 3 x a, then 240 zeros, then b, then silence: 300 + 240 + 70 = 610 samples */
    for (int i = 0; i < 300; i++)
        ck_assert_float_eq(out[i], a->samples[i % 100]);
    for (int i = 300; i < 540; i++)
        ck_assert_float_eq(out[i], 0.0f);
    for (int i = 540; i < 610; i++)
        ck_assert_float_eq(out[i], b->samples[i - 540]);
    for (int i = 610; i < 6 * F; i++)
        ck_assert_float_eq(out[i], 0.0f);
    amdi_player_done d;
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.id, ia);
    ck_assert_int_eq(d.end, AMDI_PLAY_DONE);
    ck_assert_uint_eq(d.samples, 300);
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.id, isil);
    ck_assert_uint_eq(d.samples, 240);
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.id, ib);
    ck_assert_int_eq(amdi_player_poll(p, &d), 0);
    amdi_pcm_unref(b);
    amdi_player_destroy(p);
}
END_TEST

START_TEST(finish_reported_in_the_frame_it_happens)
{
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(4, &p), 0);
    ck_assert_int_eq(amdi_player_add_silence(p, 1000, NULL), 0); /* 50 frames */
    float out[F];
    for (int i = 0; i < 49; i++) {
        ck_assert_int_eq(amdi_player_frame(p, out), 1);
        ck_assert_int_eq(amdi_player_poll(p, NULL), 0);
    }
    amdi_player_frame(p, out);
    ck_assert_int_eq(amdi_player_poll(p, NULL), 1);
    ck_assert_int_eq(amdi_player_frame(p, out), 0);
    amdi_player_destroy(p);
}
END_TEST

START_TEST(loop_zero_plays_until_stop)
{
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(4, &p), 0);
    amdi_pcm *a = ramp(33, 0.2f);
    uint32_t id;
    ck_assert_int_eq(amdi_player_add_pcm(p, a, 0, &id), 0);
    ck_assert_int_eq(amdi_player_add_silence(p, 100, NULL), 0);
    static float out[500 * F];
    run(p, out, 500);
    for (int i = 0; i < 500 * F; i++)
        ck_assert_float_eq(out[i], a->samples[i % 33]);
    ck_assert_int_eq(amdi_player_poll(p, NULL), 0);
    amdi_player_stop(p);
    amdi_player_done d;
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.id, id);
    ck_assert_int_eq(d.end, AMDI_PLAY_STOPPED);
    ck_assert_uint_eq(d.samples, 500 * F);
    ck_assert_int_eq(amdi_player_poll(p, &d), 1); /* the queued silence is stopped too */
    ck_assert_int_eq(d.end, AMDI_PLAY_STOPPED);
    ck_assert_uint_eq(d.samples, 0);
    ck_assert_int_eq(amdi_player_frame(p, out), 0);
    for (int i = 0; i < F; i++)
        ck_assert_float_eq(out[i], 0.0f);
    /* an empty buffer with loop 0 ends at once instead of spinning */
    amdi_pcm *empty = amdi_pcm_create(NULL, 0);
    ck_assert_int_eq(amdi_player_add_pcm(p, empty, 0, NULL), 0);
    ck_assert_int_eq(amdi_player_frame(p, out), 1);
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_int_eq(d.end, AMDI_PLAY_DONE);
    amdi_pcm_unref(empty);
    amdi_pcm_unref(a);
    amdi_player_destroy(p);
}
END_TEST

static const float LOWF[4] = {697, 770, 852, 941};
static const float HIGHF[4] = {1209, 1336, 1477, 1633};

/* The digit whose two Q.23 frequencies dominate @p x, or 0. */
static char detect(const float *x, size_t n, double *min_ratio)
{
    static const char keys[4][4] = {{'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};
    double lo[4], hi[4];
    int bl = 0, bh = 0;
    for (int k = 0; k < 4; k++) {
        lo[k] = goertzel(x, n, LOWF[k]);
        hi[k] = goertzel(x, n, HIGHF[k]);
        if (lo[k] > lo[bl])
            bl = k;
        if (hi[k] > hi[bh])
            bh = k;
    }
    double second = 0;
    for (int k = 0; k < 4; k++) {
        if (k != bl && lo[k] > second)
            second = lo[k];
        if (k != bh && hi[k] > second)
            second = hi[k];
    }
    double weakest = lo[bl] < hi[bh] ? lo[bl] : hi[bh];
    *min_ratio = weakest / (second + 1e-12);
    return weakest > 0.01 ? keys[bl][bh] : 0;
}

START_TEST(digits_have_q23_energies_and_timing)
{
    const char *str = "159D*w#0W2";
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(4, &p), 0);
    uint32_t id;
    ck_assert_int_eq(amdi_player_add_digits(p, str, &id), 0);
    size_t total = amdi_dtmf_samples(str);
    ck_assert_uint_eq(total, 8 * 1600 + 4000 + 8000); /* 8 keys x 200 ms, w 0.5 s, W 1 s */
    int frames = (int)(total / F) + 2;
    float *out = calloc((size_t)frames * F, sizeof *out);
    run(p, out, frames);
    size_t at = 0;
    for (const char *c = str; *c; c++) {
        if (*c == 'w' || *c == 'W') {
            size_t len = *c == 'w' ? 4000 : 8000;
            for (size_t i = 0; i < len; i++)
                ck_assert_float_eq(out[at + i], 0.0f);
            at += len;
            continue;
        }
        double ratio;
        ck_assert_int_eq(detect(out + at, 800, &ratio), *c);
        ck_assert_msg(ratio > 50, "digit %c: other Q.23 frequencies only %.1fx weaker", *c, ratio);
        /* -7 / -5 dBm0: Goertzel power of a sine of peak A is A^2 / 4 */
        ck_assert_double_eq_tol(goertzel(out + at, 800, LOWF[0]) + goertzel(out + at, 800, LOWF[1]) +
                                    goertzel(out + at, 800, LOWF[2]) + goertzel(out + at, 800, LOWF[3]),
                                0.3105 * 0.3105 / 4, 0.005);
        for (size_t i = 800; i < 1600; i++) /* the 100 ms gap */
            ck_assert_float_eq(out[at + i], 0.0f);
        for (size_t i = 0; i < 800; i++)
            ck_assert(fabsf(out[at + i]) < 0.71f);
        at += 1600;
    }
    amdi_player_done d;
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.id, id);
    ck_assert_uint_eq(d.samples, total);
    free(out);
    /* the key per frame, for RFC 4733 events: "1b" = 5 frames of 1, 5 of gap, 5 of B, 5 of gap */
    ck_assert_int_eq(amdi_player_add_digits(p, "1b", NULL), 0);
    char seq[21] = "";
    float fr[F];
    for (int i = 0; i < 20; i++) {
        amdi_player_frame(p, fr);
        char k = amdi_player_frame_digit(p);
        seq[i] = k ? k : '-';
    }
    ck_assert_str_eq(seq, "11111-----BBBBB-----");
    amdi_player_frame(p, fr);
    ck_assert_int_eq(amdi_player_frame_digit(p), 0);
    amdi_player_destroy(p);
}
END_TEST

START_TEST(stream_waits_underruns_and_ends)
{
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(4, &p), 0);
    amdi_stream *s = amdi_stream_create(0);
    uint32_t id;
    ck_assert_int_eq(amdi_player_add_stream(p, s, 1, &id), 0);
    float out[F], in[400];
    for (int i = 0; i < 400; i++)
        in[i] = (float)(i + 1) / 1000.0f;
    ck_assert_int_eq(amdi_player_frame(p, out), 1); /* nothing yet: a wait, silence */
    ck_assert_float_eq(out[0], 0.0f);
    ck_assert_int_eq(amdi_stream_write(s, in, 240), 0);
    amdi_player_frame(p, out);
    ck_assert_float_eq(out[0], in[0]);
    ck_assert_float_eq(out[F - 1], in[F - 1]);
    amdi_player_frame(p, out); /* 80 left: the rest is silence, an underrun */
    ck_assert_float_eq(out[79], in[239]);
    ck_assert_float_eq(out[80], 0.0f);
    amdi_player_stats st;
    amdi_player_get_stats(p, &st);
    ck_assert_uint_eq(st.wait_frames, 1);
    ck_assert_uint_eq(st.underruns, 1);
    ck_assert_int_eq(amdi_stream_write(s, in + 240, 160), 0);
    amdi_stream_finish(s);
    amdi_player_frame(p, out);
    ck_assert_float_eq(out[0], in[240]);
    amdi_player_done d; /* ended exactly at the frame's end: reported in that frame */
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.samples, 400);
    ck_assert_int_eq(d.end, AMDI_PLAY_DONE);
    amdi_player_get_stats(p, &st);
    ck_assert_uint_eq(st.underruns, 1);
    amdi_stream_unref(s);
    amdi_player_destroy(p);
}
END_TEST

START_TEST(retained_stream_loops_and_stop_cancels)
{
    amdi_player *p;
    ck_assert_int_eq(amdi_player_create(4, &p), 0);
    amdi_stream *s = amdi_stream_create(1);
    float in[5000];
    for (int i = 0; i < 5000; i++)
        in[i] = (float)(i % 997) / 1000.0f;
    ck_assert_int_eq(amdi_stream_write(s, in, 5000), 0); /* spans chunks */
    amdi_stream_finish(s);
    ck_assert_int_eq(amdi_player_add_stream(p, s, 3, NULL), 0);
    static float out[100 * F];
    run(p, out, 100);
    for (int i = 0; i < 15000; i++)
        ck_assert_float_eq(out[i], in[i % 5000]);
    for (int i = 15000; i < 100 * F; i++)
        ck_assert_float_eq(out[i], 0.0f);
    amdi_player_done d;
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_uint_eq(d.samples, 15000);
    /* stop (barge-in) cancels an unfinished stream so its producer stops */
    amdi_stream *t = amdi_stream_create(0);
    ck_assert_int_eq(amdi_player_add_stream(p, t, 1, NULL), 0);
    ck_assert_int_eq(amdi_stream_write(t, in, 1000), 0);
    run(p, out, 2);
    ck_assert_int_eq(amdi_stream_cancelled(t), 0);
    amdi_player_stop(p);
    ck_assert_int_eq(amdi_stream_cancelled(t), 1);
    ck_assert_int_eq(amdi_player_poll(p, &d), 1);
    ck_assert_int_eq(d.end, AMDI_PLAY_STOPPED);
    ck_assert_uint_eq(d.samples, 2 * F);
    amdi_stream_unref(s);
    amdi_stream_unref(t);
    amdi_player_destroy(p);
}
END_TEST

#define PROD_N 80000
static void *producer(void *arg)
{
    amdi_stream *s = arg;
    static float buf[997];
    size_t at = 0;
    unsigned seed = 7;
    while (at < PROD_N) {
        size_t k = (size_t)(rand_r(&seed) % 997) + 1;
        if (k > PROD_N - at)
            k = PROD_N - at;
        for (size_t i = 0; i < k; i++)
            buf[i] = (float)((at + i) % 4093) / 4093.0f;
        amdi_stream_write(s, buf, k);
        at += k;
    }
    amdi_stream_finish(s);
    amdi_stream_unref(s);
    return NULL;
}

START_TEST(stream_across_threads_is_exact)
{
    amdi_stream *s = amdi_stream_create(0);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, producer, amdi_stream_ref(s)), 0);
    size_t got = 0;
    float out[F];
    while (!amdi_stream_drained(s)) {
        size_t k = amdi_stream_read(s, out, F);
        for (size_t i = 0; i < k; i++)
            ck_assert_float_eq(out[i], (float)((got + i) % 4093) / 4093.0f);
        got += k;
    }
    ck_assert_uint_eq(got, PROD_N);
    pthread_join(th, NULL);
    amdi_stream_unref(s);
}
END_TEST

Suite *call_media_player_suite(void)
{
    Suite *s = suite_create("call_media_player");
    TCase *tc = tcase_create("player");
    tcase_add_test(tc, idle_is_silence);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, pcm_loop_count_and_gapless_sequence);
    tcase_add_test(tc, finish_reported_in_the_frame_it_happens);
    tcase_add_test(tc, loop_zero_plays_until_stop);
    tcase_add_test(tc, digits_have_q23_energies_and_timing);
    tcase_add_test(tc, stream_waits_underruns_and_ends);
    tcase_add_test(tc, retained_stream_loops_and_stop_cancels);
    tcase_add_test(tc, stream_across_threads_is_exact);
    suite_add_tcase(s, tc);
    return s;
}
