/* SPDX-License-Identifier: MIT */
/*
 * Our side's audio (libamd/src/call/media): what <Say>, <Play> and <Play digits> cost.
 *
 *   media_bench [--requests N] [--concurrent K]
 *
 * Prints:
 *  - <Say>: time to first frame (from amdi_tts_say until the stream holds 20 ms) for N
 *    sentences one after another (p50 / p95 / max), and for K requests queued at once (the
 *    worker serves them round robin: the latency of the last one is what a burst of calls
 *    sees); synthesis CPU per second of speech (process CPU minus this polling thread's).
 *  - <Play>: decode + resample cost of a 30 s 44.1 kHz stereo WAV; the player's per-frame
 *    CPU for decoded audio and for DTMF digits.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sndfile.h>

#include "media/decode.h"
#include "media/player.h"
#include "media/tts.h"

static double now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *const SENTENCES[] = {
    "Hello, this is a reminder about your appointment tomorrow at ten in the morning.",
    "Please press one to confirm, or two to speak with someone from our office.",
    "We are calling about your recent order, which has now been shipped.",
    "Thank you for your patience. Goodbye.",
};

/* Drain @p s, polling every 0.2 ms; returns the samples and sets *ttff (s after @p t0). */
static size_t drain(amdi_stream *s, double t0, double *ttff)
{
    static float buf[8000];
    size_t total = 0;
    *ttff = -1;
    struct timespec nap = {0, 200000};
    while (!amdi_stream_drained(s)) {
        if (*ttff < 0 && amdi_stream_available(s) >= AMDI_MEDIA_FRAME)
            *ttff = now_s(CLOCK_MONOTONIC) - t0;
        size_t k = amdi_stream_read(s, buf, 8000);
        total += k;
        if (k == 0)
            nanosleep(&nap, NULL);
    }
    return total;
}

static void bench_say(int requests, int concurrent)
{
    amdi_tts *t;
    char err[200];
    if (amdi_tts_create(&t, err, sizeof err) != 0) {
        fprintf(stderr, "tts: %s\n", err);
        exit(1);
    }
    amdi_tts_voice v;
    amdi_tts_voice_resolve("woman", "en-US", &v);
    double *lat = calloc((size_t)requests, sizeof *lat);
    size_t samples = 0;
    double cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), me0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < requests; i++) {
        amdi_stream *s;
        double t0 = now_s(CLOCK_MONOTONIC);
        amdi_tts_say(t, SENTENCES[i % 4], &v, 0, &s);
        samples += drain(s, t0, &lat[i]);
        amdi_stream_unref(s);
    }
    double cpu = (now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) - (now_s(CLOCK_THREAD_CPUTIME_ID) - me0);
    qsort(lat, (size_t)requests, sizeof *lat, cmp);
    double speech = (double)samples / AMDI_MEDIA_RATE;
    printf("say: %d sentences, %.1f s of speech, synthesis CPU %.1f ms per second of speech (%.0fx real time)\n",
           requests, speech, 1000 * cpu / speech, speech / cpu);
    printf("say: time to first frame, one at a time: p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
           1000 * lat[requests / 2], 1000 * lat[requests * 95 / 100], 1000 * lat[requests - 1]);
    /* a burst: K calls start a <Say> at the same moment */
    amdi_stream **ss = calloc((size_t)concurrent, sizeof *ss);
    double t0 = now_s(CLOCK_MONOTONIC), worst = 0;
    for (int i = 0; i < concurrent; i++)
        amdi_tts_say(t, SENTENCES[i % 4], &v, 0, &ss[i]);
    /* poll every stream for its first frame (each call's media tick would) */
    int waiting = concurrent;
    char *seen = calloc((size_t)concurrent, 1);
    struct timespec nap = {0, 200000};
    while (waiting > 0) {
        for (int i = 0; i < concurrent; i++)
            if (!seen[i] && (amdi_stream_available(ss[i]) >= AMDI_MEDIA_FRAME || amdi_stream_drained(ss[i]))) {
                seen[i] = 1;
                waiting--;
                worst = now_s(CLOCK_MONOTONIC) - t0;
            }
        nanosleep(&nap, NULL);
    }
    for (int i = 0; i < concurrent; i++) {
        double l;
        drain(ss[i], t0, &l);
        amdi_stream_unref(ss[i]);
    }
    free(seen);
    printf("say: %d requests at once: last first frame after %.1f ms\n", concurrent, 1000 * worst);
    free(ss);
    free(lat);
    amdi_tts_destroy(t);
}

static void bench_play(void)
{
    /* 30 s of a 44.1 kHz stereo 16-bit WAV, in memory */
    const int rate = 44100, secs = 30;
    FILE *f = tmpfile();
    SF_INFO info = {.samplerate = rate, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open_fd(fileno(f), SFM_WRITE, &info, 0);
    float fr[2 * 4410];
    for (int b = 0; b < secs * 10; b++) {
        for (int i = 0; i < 4410; i++)
            fr[2 * i] = fr[2 * i + 1] = 0.3f * sinf((float)(b * 4410 + i) * 0.0627f);
        sf_writef_float(sf, fr, 4410);
    }
    sf_close(sf);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    unsigned char *bytes = malloc((size_t)len);
    fseek(f, 0, SEEK_SET);
    if (fread(bytes, 1, (size_t)len, f) != (size_t)len)
        exit(1);
    fclose(f);
    amdi_pcm *pcm;
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    if (amdi_audio_decode(bytes, (size_t)len, "audio/wav", NULL, &pcm, NULL, 0) != 0)
        exit(1);
    double dc = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("play: decode + resample of %d s 44.1 kHz stereo WAV (%.1f MB): %.1f ms CPU (%.2f ms per second of audio)\n",
           secs, (double)len / 1e6, 1000 * dc, 1000 * dc / secs);
    amdi_player *p;
    amdi_player_create(16, &p);
    float out[AMDI_MEDIA_FRAME];
    const int frames = 500000;
    amdi_player_add_pcm(p, pcm, 0, NULL);
    c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < frames; i++)
        amdi_player_frame(p, out);
    double pc = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    amdi_player_stop(p);
    while (amdi_player_poll(p, NULL))
        ;
    amdi_player_add_digits(p, "0123456789*#ABCD", NULL);
    c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < frames; i++) {
        amdi_player_frame(p, out);
        if (amdi_player_poll(p, NULL))
            amdi_player_add_digits(p, "0123456789*#ABCD", NULL);
    }
    double gc = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("play: player frame CPU: decoded audio %.0f ns, DTMF digits %.0f ns per 20 ms frame "
           "(%.4f%% / %.4f%% of one core per call)\n",
           1e9 * pc / frames, 1e9 * gc / frames, 100 * pc / frames / 0.02, 100 * gc / frames / 0.02);
    amdi_player_destroy(p);
    amdi_pcm_unref(pcm);
    free(bytes);
}

int main(int argc, char **argv)
{
    int requests = 40, concurrent = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--requests"))
            requests = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--concurrent"))
            concurrent = atoi(argv[i + 1]);
    }
    if (requests < 1 || concurrent < 1) {
        fprintf(stderr, "usage: media_bench [--requests N] [--concurrent K]\n");
        return 2;
    }
    printf("command: media_bench --requests %d --concurrent %d\n", requests, concurrent);
    bench_say(requests, concurrent);
    bench_play();
    return 0;
}
