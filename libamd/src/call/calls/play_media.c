/* SPDX-License-Identifier: MIT */
/* What <Play> and <Say> need besides the call's player (outbound.h), shared by every call:
 *
 *  - the <Play> audio cache (media/cache.h): decoded 8 kHz audio by URL, LRU under a byte cap;
 *  - fetching: the first call that misses a URL fetches it with the webhook HTTP client (its
 *    timeouts, redirect limit and destination policy, webhook.h) as a GET without the standard
 *    parameters (Twilio fetches <Play> media that way); the response comes back on the webhook
 *    thread, which only queues it;
 *  - decoding: one worker thread decodes queued responses (media/decode.h: libsndfile, SpeexDSP)
 *    into the cache, so neither the webhook thread nor the media tick ever decodes;
 *  - speech: the espeak-ng worker (media/tts.h) for <Say>.
 * The executor polls the cache on the media tick (amdi_play_media_lookup) until the URL is
 * ready or failed; every call waiting for the same URL shares the one fetch. */
#include "calls_internal.h"

#include <stdio.h>
#include <strings.h>

#include "amd/error.h"
#include "media/cache.h"
#include "media/decode.h"
#include "timefmt.h"

#define PLAY_MIN_AGE_MS 10000

typedef struct decode_job {
    char *url, *content_type;
    void *body;
    size_t len;
    int64_t max_age_ms;
    struct decode_job *next;
} decode_job;

struct amdi_play_media {
    amdi_audio_cache *cache;
    amdi_tts *tts;
    pthread_t thr;
    int thr_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    decode_job *head, *tail;
    amdi_logger *log;
};

static int64_t mono_ms(void)
{
    return amdi_mono_us() / 1000;
}

static void job_free(decode_job *j)
{
    free(j->url);
    free(j->content_type);
    free(j->body);
    free(j);
}

static void *decode_worker(void *arg)
{
    amdi_play_media *m = arg;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        while (!m->head && !m->stop)
            pthread_cond_wait(&m->cv, &m->mu);
        decode_job *j = m->head;
        if (!j) { /* stopping with nothing left */
            pthread_mutex_unlock(&m->mu);
            return NULL;
        }
        m->head = j->next;
        if (!m->head)
            m->tail = NULL;
        int stop = m->stop;
        pthread_mutex_unlock(&m->mu);
        if (stop) {
            amdi_audio_cache_put_error(m->cache, j->url, AMDI_TWERR_PLAY_BAD_AUDIO, mono_ms());
        } else {
            char err[200] = "";
            int rc = amdi_audio_cache_put_bytes(m->cache, j->url, j->body, j->len, j->content_type, mono_ms(),
                                                j->max_age_ms, err, sizeof err);
            if (rc)
                amdi_logf(m->log, AMD_LOG_WARN, "<Play> %s: not playable: %s", j->url, err);
        }
        job_free(j);
    }
}

int amdi_play_media_create(amdi_calls *e, size_t cache_bytes, char *err, size_t errlen)
{
    amdi_play_media *m = calloc(1, sizeof *m);
    if (!m)
        return AMD_ENOMEM;
    m->log = &e->log;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    int rc = amdi_audio_cache_create(cache_bytes ? cache_bytes : AMDI_PLAY_CACHE_DEFAULT, &m->cache);
    if (!rc && pthread_create(&m->thr, NULL, decode_worker, m))
        rc = AMD_ENOMEM;
    m->thr_started = !rc;
    if (rc) {
        snprintf(err, errlen, "engine: <Play> cache / decoder: %s", amd_strerror(rc));
        e->media = m;
        amdi_play_media_destroy(e);
        return rc;
    }
    char terr[200] = "";
    if (amdi_tts_create(&m->tts, terr, sizeof terr)) /* <Say> then warns and stays silent */
        amdi_logf(&e->log, AMD_LOG_ERROR, "speech synthesis unavailable, <Say> will be skipped: %s", terr);
    e->media = m;
    return 0;
}

void amdi_play_media_destroy(amdi_calls *e)
{
    amdi_play_media *m = e->media;
    if (!m)
        return;
    if (m->thr_started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thr, NULL);
    }
    for (decode_job *j = m->head, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    amdi_tts_destroy(m->tts);
    amdi_audio_cache_destroy(m->cache);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
    e->media = NULL;
}

amdi_tts *amdi_play_media_tts(amdi_calls *e)
{
    return e->media ? e->media->tts : NULL;
}

int amdi_play_media_lookup(amdi_calls *e, live *c, const char *url, amdi_pcm **pcm, int *code)
{
    *pcm = NULL;
    *code = 0;
    amdi_play_media *m = e->media;
    if (!m)
        return AMD_ESTATE;
    int st = amdi_audio_cache_get(m->cache, url, mono_ms(), pcm, code);
    if (st != AMDI_CACHE_FETCH)
        return st;
    amdi_hook_tag tag;
    memset(&tag, 0, sizeof tag);
    snprintf(tag.call_sid, sizeof tag.call_sid, "%s", c->rec.sid);
    snprintf(tag.account, sizeof tag.account, "%s", c->rec.account_sid);
    tag.kind = K_MEDIA;
    tag.lane = K_MEDIA;
    tag.t_ms = e->now;
    tag.max_response = AMDI_DECODE_MAX_INPUT;
    int rc = amdi_hooks_send(e->hooks, &tag, url, "GET", NULL, c->a->token);
    if (rc) {
        amdi_audio_cache_put_error(m->cache, url, AMDI_TWERR_HTTP_RETRIEVAL, mono_ms());
        *code = AMDI_TWERR_HTTP_RETRIEVAL;
        return AMDI_CACHE_FAILED;
    }
    return AMDI_CACHE_PENDING;
}

/* Webhook thread: a <Play> fetch finished. Failures complete the cache entry at once; a body
 * goes to the decode worker. Never blocks on the engine. */
void amdi_play_media_fetched(amdi_calls *e, const amdi_hook_tag *tag, const amdi_hook_result *r)
{
    (void)tag;
    amdi_play_media *m = e->media;
    if (!m || !r->url)
        return;
    if (!r->transport_ok || r->http_status < 200 || r->http_status > 299) {
        /* Twilio: 11215 past the redirect limit, else an HTTP retrieval failure (11200) */
        int code = r->too_many_redirects ? AMDI_TWERR_HTTP_TOO_MANY_REDIRECTS : AMDI_TWERR_HTTP_RETRIEVAL;
        amdi_logf(&e->log, AMD_LOG_WARN, "<Play> %s: fetch failed: %s", r->url,
                  r->transport_ok ? "HTTP error status" : r->error);
        amdi_audio_cache_put_error(m->cache, r->url, code, mono_ms());
        return;
    }
    decode_job *j = calloc(1, sizeof *j);
    if (j) {
        j->url = strdup(r->url);
        j->content_type = xstrdup(r->content_type);
        j->body = malloc(r->body_len ? r->body_len : 1);
        j->len = r->body_len;
        /* no Cache-Control: kept until evicted; no-cache / a short max-age: kept long enough
         * for the calls waiting on this fetch to take it (they poll every tick) */
        j->max_age_ms = r->max_age_ms < 0 ? 0 : r->max_age_ms < PLAY_MIN_AGE_MS ? PLAY_MIN_AGE_MS : r->max_age_ms;
    }
    if (!j || !j->url || !j->body || (r->content_type && !j->content_type)) {
        if (j)
            job_free(j);
        amdi_audio_cache_put_error(m->cache, r->url, AMDI_TWERR_HTTP_RETRIEVAL, mono_ms());
        return;
    }
    memcpy(j->body, r->body, r->body_len);
    pthread_mutex_lock(&m->mu);
    if (m->tail)
        m->tail->next = j;
    else
        m->head = j;
    m->tail = j;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

void amdi_play_media_stats(amdi_calls *e, amdi_cache_stats *st)
{
    memset(st, 0, sizeof *st);
    if (e->media)
        amdi_audio_cache_get_stats(e->media->cache, st);
}
