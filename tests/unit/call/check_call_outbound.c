/* SPDX-License-Identifier: MIT */
/* The outbound media path (outbound.h): what the TwiML executor plays reaches the driver as
 * one 20 ms frame per media tick (send_audio) and the recording as our side's channel.
 * A scripted driver answers at once, sends a steady far-end tone and keeps every frame the
 * engine hands it, with the key each one carries. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "calls.h"
#include "form.h"
#include "params.h"
#include "sid.h"
#include "store.h"

Suite *call_outbound_suite(void);

#define AC "AC0123456789abcdef0123456789abcdef"
#define MAXF 4000
#define FAR_HZ 440.0

struct amdi_leg {
    int64_t t_answer;
    int64_t sent;
    int answered;
};

static float g_out[MAXF][AMDI_DRIVER_OUT_FRAME];
static char g_digit[MAXF];
static int g_nout;
static int g_bad_n;

static int s_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    (void)drv;
    (void)req;
    *out = calloc(1, sizeof **out);
    return *out ? 0 : AMD_ENOMEM;
}

static void s_advance(void *drv, amdi_leg *leg, int64_t now_ms, const amdi_leg_sink *sink, void *ctx)
{
    (void)drv;
    if (!leg->answered) {
        leg->answered = 1;
        leg->t_answer = now_ms;
        sink->ringing(ctx);
        sink->answered(ctx, 8000);
        return;
    }
    float x[160];
    while (leg->sent < (now_ms - leg->t_answer) / 20) {
        for (int i = 0; i < 160; i++)
            x[i] = 0.2f * (float)sin(2.0 * 3.14159265358979323846 * FAR_HZ * (double)(leg->sent * 160 + i) / 8000.0);
        leg->sent++;
        sink->audio(ctx, x, 160);
    }
}

static void s_send_audio(void *drv, amdi_leg *leg, const float *pcm, size_t n, char digit)
{
    (void)drv;
    (void)leg;
    if (n != AMDI_DRIVER_OUT_FRAME) {
        g_bad_n++;
        return;
    }
    if (g_nout < MAXF) {
        memcpy(g_out[g_nout], pcm, n * sizeof *pcm);
        g_digit[g_nout] = digit;
        g_nout++;
    }
}

static void s_release(void *drv, amdi_leg *leg)
{
    (void)drv;
    free(leg);
}

static void s_destroy(void *drv)
{
    (void)drv;
}

static const amdi_driver_ops k_ops = {.name = "script-out", .dial = s_dial, .advance = s_advance,
                                      .release = s_release, .destroy = s_destroy, .send_audio = s_send_audio};

static char g_dir[96], g_recdir[128];

static amdi_calls *start(amdi_store **st)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-outbound-%d", (int)getpid());
    snprintf(g_recdir, sizeof g_recdir, "%s/rec", g_dir);
    char cmd[256], db[160], err[256] = "";
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", g_dir, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(db, sizeof db, "%s/e.db", g_dir);
    ck_assert_int_eq(amdi_store_open(db, 0, st, err, sizeof err), 0);
    ck_assert_int_eq(amdi_store_account_put(*st, AC, "tok"), 0);
    amdi_calls_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *st;
    cfg.driver.ops = &k_ops;
    cfg.clock_speed = 4; /* engine time: every figure below is in frames, not wall time */
    cfg.cps = 100;
    cfg.media_threads = 1;
    cfg.recordings_dir = g_recdir;
    amdi_calls *e = NULL;
    ck_assert_msg(amdi_calls_create(&cfg, &e, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(amdi_calls_add_account(e, AC, "tok"), 0);
    ck_assert_int_eq(amdi_calls_start(e), 0);
    g_nout = 0;
    g_bad_n = 0;
    return e;
}

static void run_call(amdi_calls *e, amdi_store *st, const char *body)
{
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, body, strlen(body), AMDI_FORM_MAX_ITEMS), 0);
    amdi_create_params p;
    amdi_api_error ae;
    ck_assert_int_eq(amdi_create_params_parse(&p, &f, &ae), 0);
    amdi_call_rec r;
    amdi_call_rec_init(&r);
    ck_assert_int_eq(amdi_sid_new("CA", r.sid), 0);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", AC);
    snprintf(r.to, sizeof r.to, "%s", p.to);
    snprintf(r.from, sizeof r.from, "%s", p.from);
    r.status = AMD_CALL_QUEUED;
    r.date_created = r.date_updated = amdi_calls_now(e);
    ck_assert_int_eq(amdi_store_call_insert(st, &r, body), 0);
    ck_assert_int_eq(amdi_calls_submit(e, &r, &p), 0);
    amdi_form_free(&f);
    for (int i = 0; i < 1000 && amdi_calls_is_live(e, r.sid); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(amdi_calls_is_live(e, r.sid), 0);
}

static void finish(amdi_calls *e, amdi_store *st)
{
    amdi_calls_destroy(e);
    amdi_store_close(st);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd)) {
    }
}

/* Power of @p hz in @p x (Goertzel), normalised so a full-scale sine gives ~0.25. */
static double tone_power(const float *x, size_t n, double hz)
{
    double w = 2.0 * 3.14159265358979323846 * hz / 8000.0, c = 2.0 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double p = s1 * s1 + s2 * s2 - c * s1 * s2;
    return p / ((double)n * (double)n);
}

static double peak(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

static int first_digit(char k)
{
    for (int i = 0; i < g_nout; i++)
        if (g_digit[i] == k)
            return i;
    return -1;
}

/* <Pause> is 1 s of silence, then the keys of <Play digits> sound where dtmf_gen.h says:
 * 100 ms tone, 100 ms gap, `w` 500 ms. Every frame is 160 samples; the tone frames carry
 * their key and both Q.23 frequencies of it. */
START_TEST(pause_then_digits_reach_the_driver)
{
    amdi_store *st;
    amdi_calls *e = start(&st);
    run_call(e, st,
             "To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%3E%3CPause%20length%3D%221%22%2F%3E"
             "%3CPlay%20digits%3D%221w5%22%2F%3E%3C%2FResponse%3E");
    ck_assert_int_eq(g_bad_n, 0);
    int one = first_digit('1'), five = first_digit('5');
    ck_assert_msg(one >= 49 && one <= 52, "key 1 at frame %d, expected after the 1 s pause", one);
    ck_assert_int_eq(five - one, 5 + 5 + 25);
    for (int i = 0; i < one - 1; i++)
        ck_assert_msg(peak(g_out[i], 160) < 1e-6, "frame %d of the pause is not silent", i);
    for (int i = one; i < one + 5; i++) {
        ck_assert_int_eq(g_digit[i], '1');
        ck_assert(tone_power(g_out[i], 160, 697) > 0.002 && tone_power(g_out[i], 160, 1209) > 0.002);
        ck_assert(tone_power(g_out[i], 160, 1633) < tone_power(g_out[i], 160, 1209) / 20);
    }
    ck_assert(tone_power(g_out[five + 1], 160, 770) > 0.002 && tone_power(g_out[five + 1], 160, 1336) > 0.002);
    ck_assert_int_eq(g_digit[one + 6], 0);
    ck_assert(peak(g_out[one + 7], 160) < 1e-6);
    /* the call ends with the instructions, shortly after the last key */
    ck_assert_msg(g_nout < five + 15, "%d frames after key 5 at %d", g_nout, five);
    finish(e, st);
}
END_TEST

/* A key outside 0-9 A-D * # w W: Twilio's warning 13430, the verb is skipped and the next one
 * runs; the call goes on (it is not a document error). */
START_TEST(bad_digits_skip_the_verb)
{
    amdi_store *st;
    amdi_calls *e = start(&st);
    run_call(e, st,
             "To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%3E%3CPlay%20digits%3D%221x%22%2F%3E"
             "%3CPlay%20digits%3D%229%22%2F%3E%3C%2FResponse%3E");
    ck_assert_int_eq(first_digit('1'), -1);
    int nine = first_digit('9');
    ck_assert_msg(nine >= 0 && nine <= 3, "key 9 at frame %d", nine);
    finish(e, st);
}
END_TEST

/* Read a 16-bit PCM WAV (the recordings' format): samples interleaved, channel count. */
static int16_t *read_wav(const char *path, int *channels, size_t *frames)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char buf[4 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert(len > 44 && !memcmp(buf, "RIFF", 4) && !memcmp(buf + 8, "WAVE", 4));
    size_t pos = 12;
    int ch = 0;
    while (pos + 8 <= len) {
        uint32_t sz = buf[pos + 4] | buf[pos + 5] << 8 | buf[pos + 6] << 16 | (uint32_t)buf[pos + 7] << 24;
        if (!memcmp(buf + pos, "fmt ", 4))
            ch = buf[pos + 10] | buf[pos + 11] << 8;
        if (!memcmp(buf + pos, "data", 4)) {
            size_t n = sz < len - pos - 8 ? sz : len - pos - 8;
            int16_t *s = malloc(n);
            memcpy(s, buf + pos + 8, n);
            *channels = ch;
            *frames = n / 2 / (size_t)ch;
            return s;
        }
        pos += 8 + sz + (sz & 1);
    }
    ck_abort_msg("no data chunk in %s", path);
    return NULL;
}

static void only_recording(char *path, size_t n)
{
    DIR *d = opendir(g_recdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".wav")) {
            snprintf(path, n, "%s/%s", g_recdir, de->d_name);
            found++;
        }
    closedir(d);
    ck_assert_int_eq(found, 1);
}

/* Record=true, RecordingChannels=dual: channel 1 holds what the driver was handed (our side,
 * the key tones at the same frames), channel 2 the far end's tone. */
START_TEST(dual_recording_carries_our_side)
{
    amdi_store *st;
    amdi_calls *e = start(&st);
    run_call(e, st,
             "To=%2B15550000001&From=%2B15005550006&Record=true&RecordingChannels=dual"
             "&Twiml=%3CResponse%3E%3CPause%20length%3D%221%22%2F%3E%3CPlay%20digits%3D%22%23%22%2F%3E%3C%2FResponse%3E");
    int key = first_digit('#');
    ck_assert_int_ge(key, 49);
    char path[512];
    only_recording(path, sizeof path);
    int ch;
    size_t frames;
    int16_t *s = read_wav(path, &ch, &frames);
    ck_assert_int_eq(ch, 2);
    ck_assert(frames >= (size_t)(key + 5) * 160);
    /* the recording's frame k pairs far-end frame k with our frame k: compare sample by sample */
    float ours[160], far[160];
    int matched = 0;
    for (int k = 0; k < g_nout && (size_t)(k + 1) * 160 <= frames; k++) {
        for (int i = 0; i < 160; i++) {
            ours[i] = s[((size_t)k * 160 + (size_t)i) * 2] / 32768.0f;
            far[i] = s[((size_t)k * 160 + (size_t)i) * 2 + 1] / 32768.0f;
        }
        double err = 0;
        for (int i = 0; i < 160; i++)
            err = fmax(err, fabs(ours[i] - g_out[k][i]));
        ck_assert_msg(err < 2.0 / 32768, "frame %d: our channel differs from the driver's frame by %g", k, err);
        ck_assert(tone_power(far, 160, FAR_HZ) > 0.005);
        matched++;
    }
    ck_assert_int_ge(matched, key + 5);
    free(s);
    finish(e, st);
}
END_TEST

/* RecordingTrack=outbound (mono): only our side - silence during the pause, then the key;
 * the far end's steady tone is not in it. */
START_TEST(outbound_track_is_our_side_only)
{
    amdi_store *st;
    amdi_calls *e = start(&st);
    run_call(e, st,
             "To=%2B15550000001&From=%2B15005550006&Record=true&RecordingTrack=outbound"
             "&Twiml=%3CResponse%3E%3CPause%20length%3D%221%22%2F%3E%3CPlay%20digits%3D%220%22%2F%3E%3C%2FResponse%3E");
    int key = first_digit('0');
    ck_assert_int_ge(key, 49);
    char path[512];
    only_recording(path, sizeof path);
    int ch;
    size_t frames;
    int16_t *s = read_wav(path, &ch, &frames);
    ck_assert_int_eq(ch, 1);
    ck_assert(frames >= (size_t)(key + 5) * 160);
    float x[160];
    for (int i = 0; i < 160; i++)
        x[i] = s[(size_t)10 * 160 + (size_t)i] / 32768.0f;
    ck_assert_msg(peak(x, 160) < 1e-3, "the pause holds the far end's audio");
    for (int i = 0; i < 160; i++)
        x[i] = s[(size_t)(key + 1) * 160 + (size_t)i] / 32768.0f;
    ck_assert(tone_power(x, 160, 941) > 0.002 && tone_power(x, 160, 1336) > 0.002);
    ck_assert(tone_power(x, 160, FAR_HZ) < 0.0005);
    free(s);
    finish(e, st);
}
END_TEST

Suite *call_outbound_suite(void)
{
    Suite *s = suite_create("call_outbound");
    TCase *tc = tcase_create("outbound");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pause_then_digits_reach_the_driver);
    tcase_add_test(tc, bad_digits_skip_the_verb);
    tcase_add_test(tc, dual_recording_carries_our_side);
    tcase_add_test(tc, outbound_track_is_our_side_only);
    suite_add_tcase(s, tc);
    return s;
}
