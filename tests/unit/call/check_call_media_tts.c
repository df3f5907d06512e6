/* SPDX-License-Identifier: MIT */
/* <Say> synthesis (media/tts.h, media/tts_voices.h): Twilio's voice and language values map
 * per the documented table with the right warnings, and the worker streams speech-like 8 kHz
 * audio of plausible length, serves calls round robin, and stops when the call stops. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd/error.h"
#include "media/pcm.h"
#include "media/player.h"
#include "media/tts.h"

Suite *call_media_tts_suite(void);

static void resolves(const char *voice, const char *lang, const char *espeak, const char *tag, int code)
{
    amdi_tts_voice v;
    int rc = amdi_tts_voice_resolve(voice, lang, &v);
    ck_assert_msg(rc == code, "voice %s language %s: warning %d, want %d", voice, lang, rc, code);
    ck_assert_str_eq(v.espeak, espeak);
    ck_assert_str_eq(v.language, tag);
}

START_TEST(voice_and_language_table)
{
    resolves(NULL, NULL, "en-us+m3", "en-US", 0);
    resolves("man", "", "en-us+m3", "en-US", 0);
    resolves("woman", "en-GB", "en-gb+f3", "en-GB", 0);
    resolves("alice", "es-ES", "es+f3", "es-ES", 0);
    resolves("Polly.Amy", NULL, "en-gb+f3", "en-GB", 0);
    resolves("Polly.Matthew-Neural", NULL, "en-us+m3", "en-US", 0);
    resolves("Polly.Joanna-Generative", NULL, "en-us+f3", "en-US", 0);
    resolves("Polly.Hans", NULL, "de+m3", "de-DE", 0);
    resolves("Polly.Celine", NULL, "fr-fr+f3", "fr-FR", 0);
    resolves("Polly.Amy", "fr-FR", "fr-fr+f3", "fr-FR", 0); /* the attribute wins */
    resolves("Google.it-IT-Standard-A", NULL, "it+m3", "it-IT", 0);
    resolves("Google.pt-BR-Wavenet-B", NULL, "pt-br+m3", "pt-BR", 0);
    resolves("de", "de-DE", "de+m3", "de-DE", AMDI_TWILIO_SAY_BAD_VOICE);
    resolves("Polly.Nobody", NULL, "en-us+m3", "en-US", AMDI_TWILIO_SAY_BAD_VOICE);
    resolves("Polly.Amy-Turbo", NULL, "en-us+m3", "en-US", AMDI_TWILIO_SAY_BAD_VOICE);
    resolves("Google.xx-XX-Standard-A", NULL, "en-us+m3", "en-US", AMDI_TWILIO_SAY_BAD_VOICE);
    resolves("woman", "xx-YY", "en-us+f3", "en-US", AMDI_TWILIO_SAY_BAD_LANGUAGE);
    resolves("man", "EN-gb", "en-gb+m3", "en-GB", 0); /* tags are case-insensitive */
    amdi_tts_voice v;
    ck_assert_int_eq(amdi_tts_voice_resolve("robot", "zz-ZZ", &v), AMDI_TWILIO_SAY_BAD_VOICE);
    ck_assert_int_eq(v.language_warning, AMDI_TWILIO_SAY_BAD_LANGUAGE);
}
END_TEST

START_TEST(text_limits)
{
    ck_assert_int_eq(amdi_tts_check_text("Hello"), 0);
    ck_assert_int_eq(amdi_tts_check_text(""), AMDI_TWILIO_SAY_EMPTY);
    ck_assert_int_eq(amdi_tts_check_text(" \n\t "), AMDI_TWILIO_SAY_EMPTY);
    ck_assert_int_eq(amdi_tts_check_text(NULL), AMDI_TWILIO_SAY_EMPTY);
    char *big = malloc(AMDI_TTS_MAX_TEXT + 2);
    memset(big, 'a', AMDI_TTS_MAX_TEXT + 1);
    big[AMDI_TTS_MAX_TEXT + 1] = '\0';
    ck_assert_int_eq(amdi_tts_check_text(big), AMDI_TWILIO_SAY_TOO_LONG);
    big[AMDI_TTS_MAX_TEXT] = '\0';
    ck_assert_int_eq(amdi_tts_check_text(big), 0);
    free(big);
}
END_TEST

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Read the whole stream (waiting for the worker, at most ~20 s) into a malloc'ed buffer. */
static float *drain(amdi_stream *s, size_t *n)
{
    size_t cap = 8000, len = 0;
    float *b = malloc(cap * sizeof *b);
    for (int waited = 0; !amdi_stream_drained(s) && waited < 20000;) {
        if (len + 4000 > cap) {
            cap *= 2;
            b = realloc(b, cap * sizeof *b);
        }
        size_t k = amdi_stream_read(s, b + len, 4000);
        len += k;
        if (k == 0) {
            sleep_ms(5);
            waited += 5;
        }
    }
    *n = len;
    return b;
}

/* Speech, not a tone or noise: level varies by syllable (frame levels spread > 6 dB), has
 * pauses and sound, and the loud frames are voiced (an autocorrelation peak at a 80..400 Hz
 * pitch lag). */
static void assert_speech_like(const float *x, size_t n)
{
    const int F = 160;
    int frames = (int)(n / F), active = 0, voiced = 0;
    double sum = 0, sum2 = 0;
    for (int f = 0; f < frames; f++) {
        const float *p = x + f * F;
        double e = 1e-10;
        for (int i = 0; i < F; i++)
            e += (double)p[i] * p[i];
        double db = 10 * log10(e / F);
        sum += db;
        sum2 += db * db;
        if (db < -35 || f + 2 >= frames)
            continue;
        active++;
        const float *w = p; /* 2 frames = 40 ms window for pitch */
        double best = 0, r0 = 0;
        for (int i = 0; i < 2 * F; i++)
            r0 += (double)w[i] * w[i];
        for (int lag = 20; lag <= 100; lag++) {
            double r = 0;
            for (int i = 0; i + lag < 2 * F; i++)
                r += (double)w[i] * w[i + lag];
            if (r / r0 > best)
                best = r / r0;
        }
        if (best > 0.4)
            voiced++;
    }
    double mean = sum / frames, sd = sqrt(sum2 / frames - mean * mean);
    ck_assert_msg(sd > 6, "frame levels spread only %.1f dB: not speech-like", sd);
    ck_assert_msg(active > frames / 3 && active < frames * 97 / 100, "%d of %d frames active", active, frames);
    ck_assert_msg(voiced > active / 3, "only %d of %d active frames voiced", voiced, active);
    float peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fmaxf(peak, fabsf(x[i]));
    ck_assert(peak > 0.05f && peak <= 1.0f);
}

START_TEST(speech_of_plausible_length)
{
    amdi_tts *t;
    char err[128];
    ck_assert_int_eq(amdi_tts_create(&t, err, sizeof err), 0);
    amdi_tts *t2 = (amdi_tts *)1;
    ck_assert_int_eq(amdi_tts_create(&t2, err, sizeof err), AMD_ESTATE); /* espeak-ng: one per process */
    ck_assert_ptr_null(t2);
    amdi_tts_voice v;
    amdi_tts_voice_resolve("woman", "en-US", &v);
    amdi_stream *s1, *s2;
    /* 12 words: at espeak-ng's 175 words per minute about 4 s */
    const char *one = "Hello, this is a test of the speech synthesizer on a telephone call.";
    ck_assert_int_eq(amdi_tts_say(t, one, &v, 0, &s1), 0);
    size_t n1, n2;
    float *a = drain(s1, &n1);
    ck_assert_msg(n1 > 2.0 * 8000 && n1 < 7.0 * 8000, "%zu samples for 12 words", n1);
    assert_speech_like(a, n1);
    /* twice the text, about twice the audio */
    char two[256];
    snprintf(two, sizeof two, "%s %s", one, one);
    ck_assert_int_eq(amdi_tts_say(t, two, &v, 0, &s2), 0);
    float *b = drain(s2, &n2);
    double ratio = (double)n2 / (double)n1;
    ck_assert_msg(ratio > 1.6 && ratio < 2.4, "twice the text gave %.2fx the audio", ratio);
    free(a);
    free(b);
    amdi_stream_unref(s1);
    amdi_stream_unref(s2);
    /* another language: German text in a German voice */
    amdi_tts_voice_resolve("Polly.Hans", NULL, &v);
    ck_assert_int_eq(amdi_tts_say(t, "Guten Tag, hier spricht der Anrufbeantworter.", &v, 0, &s1), 0);
    a = drain(s1, &n1);
    ck_assert(n1 > 1.0 * 8000);
    assert_speech_like(a, n1);
    free(a);
    amdi_stream_unref(s1);
    /* bad requests */
    ck_assert_int_eq(amdi_tts_say(t, "  ", &v, 0, &s1), AMD_EINVAL);
    ck_assert_ptr_null(s1);
    ck_assert_int_eq(amdi_tts_say(t, "x", NULL, 0, &s1), AMD_EINVAL);
    amdi_tts_destroy(t);
    /* and it can be created again once destroyed */
    ck_assert_int_eq(amdi_tts_create(&t, err, sizeof err), 0);
    amdi_tts_destroy(t);
}
END_TEST

START_TEST(round_robin_and_cancel)
{
    amdi_tts *t;
    ck_assert_int_eq(amdi_tts_create(&t, NULL, 0), 0);
    amdi_tts_voice v;
    amdi_tts_voice_resolve(NULL, NULL, &v);
    /* a long text (many pieces), then a short one from another call */
    char long_text[3000] = "";
    while (strlen(long_text) < 2800)
        strcat(long_text, "This sentence is one of many in a long announcement. ");
    amdi_stream *l, *s;
    ck_assert_int_eq(amdi_tts_say(t, long_text, &v, 0, &l), 0);
    ck_assert_int_eq(amdi_tts_say(t, "Short.", &v, 0, &s), 0);
    size_t n;
    float *b = drain(s, &n);
    ck_assert(n > 0);
    free(b);
    ck_assert_msg(!amdi_stream_drained(l), "the short request waited for the whole long one");
    /* cancel the long one (the caller hung up): the worker finishes it early */
    amdi_stream_cancel(l);
    b = drain(l, &n);
    ck_assert(amdi_stream_drained(l));
    ck_assert_msg(n < 60 * 8000, "%zu samples after cancel: synthesis did not stop", n);
    free(b);
    amdi_stream_unref(l);
    amdi_stream_unref(s);
    /* destroying with work queued finishes the streams (no player waits for ever) */
    ck_assert_int_eq(amdi_tts_say(t, long_text, &v, 1, &l), 0);
    amdi_tts_destroy(t);
    ck_assert(amdi_stream_available(l) > 0 || amdi_stream_drained(l));
    b = drain(l, &n);
    ck_assert(amdi_stream_drained(l));
    free(b);
    amdi_stream_unref(l);
}
END_TEST

/* The <Say loop="2"> path end to end, paced like a media tick (20 ms a frame): the player
 * gets speech from the worker's stream within a few frames, twice, with no underrun. */
START_TEST(say_through_player_in_real_time)
{
    amdi_tts *t;
    ck_assert_int_eq(amdi_tts_create(&t, NULL, 0), 0);
    amdi_tts_voice v;
    amdi_tts_voice_resolve("Polly.Joanna", NULL, &v);
    amdi_stream *s;
    ck_assert_int_eq(amdi_tts_say(t, "Your code is four two seven.", &v, 1, &s), 0);
    amdi_player *pl;
    ck_assert_int_eq(amdi_player_create(4, &pl), 0);
    ck_assert_int_eq(amdi_player_add_stream(pl, s, 2, NULL), 0);
    amdi_stream_unref(s);
    float out[AMDI_MEDIA_FRAME];
    amdi_player_done d;
    int first = -1, f;
    for (f = 0; f < 1000 && !amdi_player_poll(pl, &d); f++) {
        amdi_player_frame(pl, out);
        for (int i = 0; first < 0 && i < AMDI_MEDIA_FRAME; i++)
            if (out[i] != 0.0f)
                first = f;
        sleep_ms(20);
    }
    ck_assert_msg(f < 1000, "the <Say> never finished");
    ck_assert_int_eq(d.end, AMDI_PLAY_DONE);
    ck_assert_msg(d.samples > 2 * 8000 && d.samples < 8 * 8000, "%llu samples for two passes",
                  (unsigned long long)d.samples);
    amdi_player_stats st;
    amdi_player_get_stats(pl, &st);
    ck_assert_uint_eq(st.underruns, 0); /* synthesis runs far ahead of real time */
    ck_assert_int_ge(first, 0);
    amdi_player_destroy(pl);
    amdi_tts_destroy(t);
}
END_TEST

Suite *call_media_tts_suite(void)
{
    Suite *s = suite_create("call_media_tts");
    TCase *tc = tcase_create("tts");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, voice_and_language_table);
    tcase_add_test(tc, text_limits);
    tcase_add_test(tc, speech_of_plausible_length);
    tcase_add_test(tc, round_robin_and_cancel);
    tcase_add_test(tc, say_through_player_in_real_time);
    suite_add_tcase(s, tc);
    return s;
}
