/* SPDX-License-Identifier: MIT */
/* Keys a call hears (listen.c): the simulated far end's dial-plan "digits" mixed in-band into
 * its audio (at 8 kHz and at 16 kHz) come out of the DTMF receiver as the same keys at the
 * same audio times; a key heard both in-band and as an RFC 4733 event counts once; bad
 * "digits" entries are refused with the route named; the VAD marks speech for <Record>. */
#include <check.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amd/error.h"
#include "dialplan.h"
#include "listen.h"
#include "media/dtmf_gen.h"
#include "sim.h"
#include "test_util.h"

Suite *call_listen_suite(void);

typedef struct heard {
    amdi_listen l;
    int answered;
    int64_t now;
    char keys[64];
    int64_t at[64];
    size_t n;
} heard;

static void s_ring(void *ctx)
{
    (void)ctx;
}
static void s_answered(void *ctx, int rate)
{
    heard *h = ctx;
    h->answered = rate;
    ck_assert_int_eq(amdi_listen_open(&h->l, rate, 0, h->now), 0);
}
static void s_refused(void *ctx, amd_call_status st, int sip)
{
    (void)ctx;
    (void)st;
    (void)sip;
    ck_abort_msg("refused");
}
static void s_audio(void *ctx, const float *pcm, size_t n)
{
    heard *h = ctx;
    amdi_listen_audio(&h->l, pcm, n);
    char k;
    while (amdi_listen_take(&h->l, &k) && h->n < 64) {
        h->keys[h->n] = k;
        h->at[h->n++] = h->l.last_key_ms;
    }
}
static void s_hangup(void *ctx)
{
    (void)ctx;
}
static const amdi_leg_sink k_sink = {s_ring, s_answered, s_refused, s_audio, s_hangup, NULL, NULL};

/* Dial a route whose far end presses keys, run 5 s of its call, return what was heard. */
static void run_route(const char *audio, heard *h)
{
    char json[600];
    snprintf(json, sizeof json,
             "{\"routes\": [{\"to\": \"+15550000001\", %s%s%s \"ring_ms\": 0, \"hangup\": \"never\", \"digits\": "
             "[{\"at_ms\": 500, \"keys\": \"159#\"}, {\"at_ms\": 3000, \"keys\": \"*D0\"}]}]}",
             audio ? "\"audio\": \"" : "", audio ? audio : "", audio ? "\"," : "");
    amdi_dialplan *plan;
    char err[300];
    ck_assert_msg(amdi_dialplan_parse(json, NULL, &plan, err, sizeof err) == 0, "%s", err);
    amdi_driver drv;
    ck_assert_int_eq(amdi_sim_driver_create(plan, &drv), 0);
    amdi_dial_request req = {.call_sid = "CA0", .to = "+15550000001", .from = "+15005550006", .now_ms = 0};
    amdi_leg *leg;
    ck_assert_int_eq(drv.ops->dial(drv.state, &req, &leg), 0);
    memset(h, 0, sizeof *h);
    int64_t answer = -1;
    for (h->now = 0; h->now <= 6000; h->now += 20) {
        drv.ops->advance(drv.state, leg, h->now, &k_sink, h);
        if (h->answered && answer < 0)
            answer = h->now;
    }
    for (size_t i = 0; i < h->n; i++)
        h->at[i] -= answer; /* as audio time since answer */
    amdi_listen_close(&h->l);
    drv.ops->release(drv.state, leg);
    drv.ops->destroy(drv.state);
    amdi_dialplan_free(plan);
}

static void check_keys(const heard *h)
{
    ck_assert_msg(h->n == 7 && !memcmp(h->keys, "159#*D0", 7), "heard %.*s", (int)h->n, h->keys);
    /* each key: 100 ms tone + 100 ms gap from its entry's at_ms (dtmf_gen.h) */
    static const int64_t want[] = {500, 700, 900, 1100, 3000, 3200, 3400};
    for (size_t i = 0; i < 7; i++)
        ck_assert_msg(llabs(h->at[i] - want[i]) <= 25, "key %zu at %lld ms, want %lld", i, (long long)h->at[i],
                      (long long)want[i]);
}

START_TEST(sim_digits_8k)
{
    heard h;
    run_route(NULL, &h);
    ck_assert_int_eq(h.answered, 8000);
    check_keys(&h);
}
END_TEST

/* A 16 kHz far end (speech-level noise under the keys): the keys are interpolated to its rate. */
START_TEST(sim_digits_16k_over_noise)
{
    char path[] = "/tmp/check_listen_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE);
    ck_assert_ptr_nonnull(sf);
    static float x[16000 * 6];
    unsigned seed = 7;
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
        seed = seed * 1103515245u + 12345u;
        x[i] = 0.01f * ((float)(seed >> 16 & 0x7fff) / 16384.f - 1.f); /* about -45 dBFS white noise */
    }
    sf_writef_float(sf, x, (sf_count_t)(sizeof x / sizeof x[0]));
    sf_close(sf);
    heard h;
    run_route(path, &h);
    unlink(path);
    ck_assert_int_eq(h.answered, 16000);
    check_keys(&h);
}
END_TEST

/* The same key in-band and as an RFC 4733 event within 250 ms is one key press. */
START_TEST(both_sources_count_once)
{
    amdi_listen l;
    ck_assert_int_eq(amdi_listen_open(&l, 8000, 0, 1000), 0);
    float tone[1600];
    amdi_dtmf_render("5", 0, tone, 1600);
    amdi_listen_key(&l, '5', 1000);
    for (size_t off = 0; off < 1600; off += 160)
        amdi_listen_audio(&l, tone + off, 160);
    amdi_listen_key(&l, 'x', 1300); /* not a key: ignored */
    amdi_listen_key(&l, '#', 1400);
    char k[4] = {0};
    size_t n = 0;
    while (n < 3 && amdi_listen_take(&l, &k[n]))
        n++;
    ck_assert_str_eq(k, "5#");
    ck_assert_int_eq(amdi_listen_take(&l, &k[0]), 0);
    amdi_listen_close(&l);
}
END_TEST

/* With speech wanted, the VAD marks the first and last speech hops (engine time): on a live
 * answer of the test data whose speech runs from 790 to 1120 ms (manifest.csv). */
START_TEST(speech_times)
{
    size_t n;
    int rate;
    char err[200];
    int16_t *x = tu_read_audio_s16(tu_source_path("testdata/human_short_00003.wav"), &n, &rate, err, sizeof err);
    ck_assert_msg(x != NULL, "%s", err);
    amdi_listen l;
    ck_assert_int_eq(amdi_listen_open(&l, rate, 1, 10000), 0);
    float f[160];
    for (size_t off = 0; off + 160 <= n; off += 160) {
        for (int i = 0; i < 160; i++)
            f[i] = (float)x[off + (size_t)i] / 32768.f;
        amdi_listen_audio(&l, f, 160);
    }
    free(x);
    ck_assert_msg(l.first_speech_ms >= 10000 + 690 && l.first_speech_ms <= 10000 + 1200, "first %lld",
                  (long long)l.first_speech_ms);
    ck_assert_msg(l.last_speech_ms >= 10000 + 1020 && l.last_speech_ms <= 10000 + 1900, "last %lld",
                  (long long)l.last_speech_ms);
    amdi_listen_close(&l);
}
END_TEST

START_TEST(bad_digits_entries)
{
    static const char *const bad[] = {
        "\"digits\": {\"at_ms\": 1, \"keys\": \"1\"}",
        "\"digits\": [{\"at_ms\": -1, \"keys\": \"1\"}]",
        "\"digits\": [{\"at_ms\": 1, \"keys\": \"1x\"}]",
        "\"digits\": [{\"at_ms\": 1, \"keys\": \"\"}]",
        "\"digits\": [{\"at_ms\": 1, \"keys\": \"123456789012345678901234567890123\"}]",
        "\"digits\": [{\"at_ms\": 1, \"keys\": \"1\", \"extra\": 2}]",
        "\"digits\": [{\"at_ms\": \"1\", \"keys\": \"1\"}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char json[400], err[300] = "";
        snprintf(json, sizeof json, "{\"routes\": [{\"to\": \"+15550000001\", %s}]}", bad[i]);
        amdi_dialplan *plan = NULL;
        ck_assert_msg(amdi_dialplan_parse(json, NULL, &plan, err, sizeof err) == AMD_EFORMAT, "case %zu", i);
        ck_assert_msg(strstr(err, "+15550000001") && strstr(err, "digits"), "case %zu: %s", i, err);
    }
}
END_TEST

Suite *call_listen_suite(void)
{
    Suite *s = suite_create("call_listen");
    TCase *t = tcase_create("listen");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, sim_digits_8k);
    tcase_add_test(t, sim_digits_16k_over_noise);
    tcase_add_test(t, both_sources_count_once);
    tcase_add_test(t, speech_times);
    tcase_add_test(t, bad_digits_entries);
    suite_add_tcase(s, t);
    return s;
}
