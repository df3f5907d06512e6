/* SPDX-License-Identifier: MIT */
/* The <Play> audio cache (media/cache.h): one fetch per URL however many calls ask, least
 * recently used audio evicted first under the size cap, a playing call's buffer surviving its
 * eviction, failures remembered briefly with Twilio's code, and safe use from many threads. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "media/cache.h"
#include "media/player.h"

Suite *call_media_cache_suite(void);

static amdi_pcm *pcm_of(size_t n, float v)
{
    float *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        s[i] = v;
    return amdi_pcm_create(s, n);
}

/* A 16-bit mono 8 kHz WAV of @p n samples of value @p v (RIFF/WAVE, PCM format 1). */
static unsigned char *wav_of(size_t n, short v, size_t *len)
{
    *len = 44 + 2 * n;
    unsigned char *b = calloc(1, *len);
    unsigned data = (unsigned)(2 * n);
    memcpy(b, "RIFF", 4);
    unsigned riff = 36 + data;
    memcpy(b + 4, &riff, 4);
    memcpy(b + 8, "WAVEfmt ", 8);
    unsigned fmtlen = 16, rate = 8000, brate = 16000;
    unsigned short fmt = 1, ch = 1, align = 2, bits = 16;
    memcpy(b + 16, &fmtlen, 4);
    memcpy(b + 20, &fmt, 2);
    memcpy(b + 22, &ch, 2);
    memcpy(b + 24, &rate, 4);
    memcpy(b + 28, &brate, 4);
    memcpy(b + 32, &align, 2);
    memcpy(b + 34, &bits, 2);
    memcpy(b + 36, "data", 4);
    memcpy(b + 40, &data, 4);
    for (size_t i = 0; i < n; i++)
        memcpy(b + 44 + 2 * i, &v, 2);
    return b;
}

START_TEST(one_fetch_then_hits)
{
    amdi_audio_cache *c;
    ck_assert_int_eq(amdi_audio_cache_create(1 << 20, &c), 0);
    amdi_pcm *p;
    int code;
    const char *u = "http://app.example/a.wav";
    ck_assert_int_eq(amdi_audio_cache_get(c, u, 0, &p, &code), AMDI_CACHE_FETCH);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(amdi_audio_cache_get(c, u, 10, &p, &code), AMDI_CACHE_PENDING);
    size_t len;
    unsigned char *w = wav_of(800, 16384, &len);
    ck_assert_int_eq(amdi_audio_cache_put_bytes(c, u, w, len, "audio/wav", 20, 0, NULL, 0), 0);
    free(w);
    ck_assert_int_eq(amdi_audio_cache_get(c, u, 30, &p, &code), AMDI_CACHE_HIT);
    ck_assert_uint_eq(p->n, 800);
    ck_assert_float_eq_tol(p->samples[400], 0.5f, 1e-4);
    amdi_pcm *q;
    ck_assert_int_eq(amdi_audio_cache_get(c, u, 40, &q, &code), AMDI_CACHE_HIT);
    ck_assert_ptr_eq(p, q); /* one buffer shared */
    amdi_pcm_unref(p);
    amdi_pcm_unref(q);
    amdi_cache_stats st;
    amdi_audio_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.hits, 2);
    ck_assert_uint_eq(st.entries, 1);
    ck_assert_uint_eq(st.bytes, 800 * sizeof(float) + sizeof(amdi_pcm));
    amdi_audio_cache_destroy(c);
}
END_TEST

START_TEST(lru_eviction_and_playing_buffer_survives)
{
    amdi_pcm *a = pcm_of(1000, 0.1f), *b = pcm_of(1000, 0.2f), *d = pcm_of(1000, 0.3f);
    const size_t one = amdi_pcm_bytes(a);
    amdi_audio_cache *c;
    ck_assert_int_eq(amdi_audio_cache_create(2 * one + 10, &c), 0);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:a", a, 0, 0), 0);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:b", b, 1, 0), 0);
    amdi_pcm *playing;
    int code;
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:a", 2, &playing, &code), AMDI_CACHE_HIT); /* a is now MRU */
    amdi_pcm_unref(a);
    amdi_pcm_unref(b);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:d", d, 3, 0), 0); /* evicts b */
    amdi_pcm *p;
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:b", 4, &p, &code), AMDI_CACHE_FETCH);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:a", 5, &p, &code), AMDI_CACHE_HIT);
    amdi_pcm_unref(p);
    amdi_cache_stats st;
    amdi_audio_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.evictions, 1);
    ck_assert_uint_le(st.bytes, 2 * one + 10);
    /* now push a out too while a call still plays it */
    amdi_pcm *e1 = pcm_of(1000, 0.4f), *e2 = pcm_of(1000, 0.5f);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:e1", e1, 6, 0), 0);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:e2", e2, 7, 0), 0);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:a", 8, &p, &code), AMDI_CACHE_FETCH);
    for (size_t i = 0; i < playing->n; i++) /* ASan would catch a freed buffer */
        ck_assert_float_eq(playing->samples[i], 0.1f);
    amdi_pcm_unref(playing);
    amdi_pcm_unref(d);
    amdi_pcm_unref(e1);
    amdi_pcm_unref(e2);
    amdi_audio_cache_destroy(c);
}
END_TEST

START_TEST(failures_expiry_and_stale_fetches)
{
    amdi_audio_cache *c;
    ck_assert_int_eq(amdi_audio_cache_create(1 << 20, &c), 0);
    amdi_pcm *p;
    int code;
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:x", 0, &p, &code), AMDI_CACHE_FETCH);
    ck_assert_int_eq(amdi_audio_cache_put_error(c, "u:x", 11200, 100), 0);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:x", 200, &p, &code), AMDI_CACHE_FAILED);
    ck_assert_int_eq(code, 11200);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:x", 100 + AMDI_CACHE_FAIL_TTL_MS, &p, &code), AMDI_CACHE_FETCH);
    /* undecodable body: 13420 for everyone asking */
    char err[128];
    static const char page[] = "<html>oops</html>";
    ck_assert_int_eq(amdi_audio_cache_put_bytes(c, "u:x", page, sizeof page - 1, "text/html", 0, 0, err, sizeof err),
                     AMD_EFORMAT);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:x", 1, &p, &code), AMDI_CACHE_FAILED);
    ck_assert_int_eq(code, 13420);
    /* max-age */
    amdi_pcm *a = pcm_of(10, 0);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:y", a, 1000, 500), 0);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:y", 1499, &p, &code), AMDI_CACHE_HIT);
    amdi_pcm_unref(p);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:y", 1500, &p, &code), AMDI_CACHE_FETCH);
    /* a fetch that never completes is handed out again after the pending TTL */
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:z", 0, &p, &code), AMDI_CACHE_FETCH);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:z", AMDI_CACHE_PENDING_TTL_MS - 1, &p, &code), AMDI_CACHE_PENDING);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:z", AMDI_CACHE_PENDING_TTL_MS, &p, &code), AMDI_CACHE_FETCH);
    /* bad arguments */
    ck_assert_int_eq(amdi_audio_cache_get(c, "", 0, &p, &code), AMD_EINVAL);
    ck_assert_int_eq(amdi_audio_cache_get(c, NULL, 0, &p, &code), AMD_EINVAL);
    ck_assert_int_eq(amdi_audio_cache_put_error(c, "u:x", 0, 0), AMD_EINVAL);
    ck_assert_int_eq(amdi_audio_cache_put_pcm(c, "u:x", NULL, 0, 0), AMD_EINVAL);
    char *huge = malloc(AMDI_CACHE_MAX_URL + 2);
    memset(huge, 'a', AMDI_CACHE_MAX_URL + 1);
    huge[AMDI_CACHE_MAX_URL + 1] = '\0';
    ck_assert_int_eq(amdi_audio_cache_get(c, huge, 0, &p, &code), AMD_EINVAL);
    free(huge);
    amdi_audio_cache *bad = NULL;
    ck_assert_int_eq(amdi_audio_cache_create(0, &bad), AMD_EINVAL);
    amdi_pcm_unref(a);
    amdi_audio_cache_destroy(c);
}
END_TEST

static amdi_audio_cache *shared;
static void *worker(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg;
    for (int i = 0; i < 4000; i++) {
        char url[32];
        snprintf(url, sizeof url, "u:%d", rand_r(&seed) % 24);
        amdi_pcm *p;
        int code;
        int rc = amdi_audio_cache_get(shared, url, i, &p, &code);
        if (rc == AMDI_CACHE_FETCH) {
            amdi_pcm *n = pcm_of(100 + (size_t)(rand_r(&seed) % 400), 0.25f);
            amdi_audio_cache_put_pcm(shared, url, n, i, 0);
            amdi_pcm_unref(n);
        } else if (rc == AMDI_CACHE_HIT) {
            ck_assert_float_eq(p->samples[p->n - 1], 0.25f);
            amdi_pcm_unref(p);
        }
    }
    return NULL;
}

START_TEST(many_threads)
{
    const size_t cap = 10 * (sizeof(amdi_pcm) + 500 * sizeof(float));
    ck_assert_int_eq(amdi_audio_cache_create(cap, &shared), 0);
    pthread_t th[4];
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, (void *)(i + 1)), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    amdi_cache_stats st;
    amdi_audio_cache_get_stats(shared, &st);
    ck_assert_uint_le(st.bytes, cap);
    ck_assert_uint_gt(st.evictions, 0);
    ck_assert_uint_gt(st.hits, 0);
    amdi_audio_cache_destroy(shared);
}
END_TEST

/* The <Play> path end to end: a fetched WAV completes into the cache, a call gets a hit and
 * its player sends exactly that audio, looped, from the first frame on. */
START_TEST(cached_audio_plays_through_player)
{
    amdi_audio_cache *c;
    ck_assert_int_eq(amdi_audio_cache_create(1 << 20, &c), 0);
    size_t len;
    unsigned char *w = wav_of(1000, 8192, &len);
    amdi_pcm *p;
    int code;
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:beep", 0, &p, &code), AMDI_CACHE_FETCH);
    ck_assert_int_eq(amdi_audio_cache_put_bytes(c, "u:beep", w, len, "audio/x-wav", 0, 0, NULL, 0), 0);
    free(w);
    ck_assert_int_eq(amdi_audio_cache_get(c, "u:beep", 1, &p, &code), AMDI_CACHE_HIT);
    amdi_player *pl;
    ck_assert_int_eq(amdi_player_create(4, &pl), 0);
    ck_assert_int_eq(amdi_player_add_pcm(pl, p, 2, NULL), 0);
    amdi_pcm_unref(p);
    amdi_audio_cache_destroy(c); /* the player's reference keeps the audio */
    float out[AMDI_MEDIA_FRAME];
    size_t heard = 0;
    amdi_player_done d;
    for (int f = 0; f < 20 && !amdi_player_poll(pl, &d); f++) {
        amdi_player_frame(pl, out);
        for (int i = 0; i < AMDI_MEDIA_FRAME; i++)
            heard += out[i] > 0.24f && out[i] < 0.26f;
    }
    ck_assert_uint_eq(heard, 2000);
    ck_assert_uint_eq(d.samples, 2000);
    amdi_player_destroy(pl);
}
END_TEST

Suite *call_media_cache_suite(void)
{
    Suite *s = suite_create("call_media_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, one_fetch_then_hits);
    tcase_add_test(tc, lru_eviction_and_playing_buffer_survives);
    tcase_add_test(tc, failures_expiry_and_stale_fetches);
    tcase_add_test(tc, many_threads);
    tcase_add_test(tc, cached_audio_plays_through_player);
    suite_add_tcase(s, tc);
    return s;
}
