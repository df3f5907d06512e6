/* SPDX-License-Identifier: MIT */
/* URL-keyed decoded-audio cache with LRU eviction (cache.h).
 * A chained hash table (FNV-1a) finds an entry; ready entries also sit on a doubly linked
 * list, most recently used first, from whose tail eviction takes. */
#include "media/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "media/decode.h"

#define NBUCKETS 1024

typedef enum { E_PENDING, E_READY, E_FAILED } e_state;

typedef struct entry {
    struct entry *hnext;          /* hash chain */
    struct entry *prev, *next;    /* LRU list (ready entries only) */
    e_state state;
    char *url;
    amdi_pcm *pcm;
    size_t bytes;
    int code;
    int64_t since_ms;             /* when it became pending / failed / ready */
    int64_t expires_ms;           /* 0 = never */
} entry;

struct amdi_audio_cache {
    pthread_mutex_t mu;
    entry *buckets[NBUCKETS];
    entry *mru, *lru;
    size_t max_bytes;
    amdi_cache_stats st;
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

int amdi_audio_cache_create(size_t max_bytes, amdi_audio_cache **out)
{
    if (!out || max_bytes == 0)
        return AMD_EINVAL;
    amdi_audio_cache *c = calloc(1, sizeof *c);
    if (!c)
        return AMD_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    c->max_bytes = max_bytes;
    *out = c;
    return 0;
}

static void free_entry(entry *e)
{
    amdi_pcm_unref(e->pcm);
    free(e->url);
    free(e);
}

void amdi_audio_cache_destroy(amdi_audio_cache *c)
{
    if (!c)
        return;
    for (size_t b = 0; b < NBUCKETS; b++)
        for (entry *e = c->buckets[b]; e;) {
            entry *n = e->hnext;
            free_entry(e);
            e = n;
        }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int url_ok(const char *url)
{
    return url && url[0] && strlen(url) <= AMDI_CACHE_MAX_URL;
}

static entry *find(amdi_audio_cache *c, const char *url)
{
    for (entry *e = c->buckets[hash(url)]; e; e = e->hnext)
        if (!strcmp(e->url, url))
            return e;
    return NULL;
}

static void lru_unlink(amdi_audio_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->mru = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->lru = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(amdi_audio_cache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->mru;
    if (c->mru)
        c->mru->prev = e;
    c->mru = e;
    if (!c->lru)
        c->lru = e;
}

/* Drop @p e from the ready set: its audio reference goes, the entry becomes @p state. */
static void unready(amdi_audio_cache *c, entry *e)
{
    if (e->state != E_READY)
        return;
    lru_unlink(c, e);
    c->st.bytes -= e->bytes;
    c->st.entries--;
    amdi_pcm_unref(e->pcm);
    e->pcm = NULL;
    e->bytes = 0;
}

static void remove_entry(amdi_audio_cache *c, entry *e)
{
    unready(c, e);
    entry **pp = &c->buckets[hash(e->url)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    free_entry(e);
}

/* The entry for @p url, created (pending) when missing; NULL when out of memory. */
static entry *find_or_add(amdi_audio_cache *c, const char *url, int64_t now_ms)
{
    entry *e = find(c, url);
    if (e)
        return e;
    e = calloc(1, sizeof *e);
    if (!e || !(e->url = strdup(url))) {
        free(e);
        return NULL;
    }
    e->state = E_PENDING;
    e->since_ms = now_ms;
    uint32_t h = hash(url);
    e->hnext = c->buckets[h];
    c->buckets[h] = e;
    return e;
}

int amdi_audio_cache_get(amdi_audio_cache *c, const char *url, int64_t now_ms, amdi_pcm **pcm, int *twilio_code)
{
    if (pcm)
        *pcm = NULL;
    if (twilio_code)
        *twilio_code = 0;
    if (!c || !url_ok(url) || !pcm)
        return AMD_EINVAL;
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, url);
    int rc;
    if (e && ((e->state == E_READY && e->expires_ms && now_ms >= e->expires_ms) ||
              (e->state == E_FAILED && now_ms - e->since_ms >= AMDI_CACHE_FAIL_TTL_MS))) {
        remove_entry(c, e); /* stale: fetch again */
        e = NULL;
    }
    if (e && e->state == E_READY) {
        *pcm = amdi_pcm_ref(e->pcm);
        lru_unlink(c, e);
        lru_push_front(c, e);
        c->st.hits++;
        rc = AMDI_CACHE_HIT;
    } else if (e && e->state == E_FAILED) {
        if (twilio_code)
            *twilio_code = e->code;
        rc = AMDI_CACHE_FAILED;
    } else if (e && now_ms - e->since_ms < AMDI_CACHE_PENDING_TTL_MS) {
        rc = AMDI_CACHE_PENDING;
    } else if (e) {
        e->since_ms = now_ms; /* the earlier fetch never completed: this caller retries */
        rc = AMDI_CACHE_FETCH;
    } else {
        c->st.misses++;
        rc = find_or_add(c, url, now_ms) ? AMDI_CACHE_FETCH : AMD_ENOMEM;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int amdi_audio_cache_put_pcm(amdi_audio_cache *c, const char *url, amdi_pcm *pcm, int64_t now_ms,
                             int64_t max_age_ms)
{
    if (!c || !url_ok(url) || !pcm || max_age_ms < 0)
        return AMD_EINVAL;
    size_t bytes = amdi_pcm_bytes(pcm);
    pthread_mutex_lock(&c->mu);
    entry *e = find_or_add(c, url, now_ms);
    if (!e) {
        pthread_mutex_unlock(&c->mu);
        return AMD_ENOMEM;
    }
    unready(c, e);
    /* make room: least recently used first */
    while (c->lru && c->st.bytes + bytes > c->max_bytes) {
        entry *v = c->lru;
        c->st.evictions++;
        remove_entry(c, v);
    }
    e->state = E_READY;
    e->pcm = amdi_pcm_ref(pcm);
    e->bytes = bytes;
    e->code = 0;
    e->since_ms = now_ms;
    e->expires_ms = max_age_ms ? now_ms + max_age_ms : 0;
    lru_push_front(c, e);
    c->st.bytes += bytes;
    c->st.entries++;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int amdi_audio_cache_put_error(amdi_audio_cache *c, const char *url, int twilio_code, int64_t now_ms)
{
    if (!c || !url_ok(url) || twilio_code <= 0)
        return AMD_EINVAL;
    pthread_mutex_lock(&c->mu);
    entry *e = find_or_add(c, url, now_ms);
    if (e) {
        unready(c, e);
        e->state = E_FAILED;
        e->code = twilio_code;
        e->since_ms = now_ms;
    }
    pthread_mutex_unlock(&c->mu);
    return e ? 0 : AMD_ENOMEM;
}

int amdi_audio_cache_put_bytes(amdi_audio_cache *c, const char *url, const void *data, size_t len,
                               const char *content_type, int64_t now_ms, int64_t max_age_ms, char *err,
                               size_t errlen)
{
    if (!c || !url_ok(url) || max_age_ms < 0)
        return AMD_EINVAL;
    amdi_pcm *pcm = NULL;
    int rc = amdi_audio_decode(data, len, content_type, NULL, &pcm, err, errlen);
    if (rc != 0) {
        int prc = amdi_audio_cache_put_error(c, url, amdi_decode_twilio_code(rc), now_ms);
        return prc ? prc : rc;
    }
    rc = amdi_audio_cache_put_pcm(c, url, pcm, now_ms, max_age_ms);
    amdi_pcm_unref(pcm);
    return rc;
}

void amdi_audio_cache_get_stats(amdi_audio_cache *c, amdi_cache_stats *st)
{
    pthread_mutex_lock(&c->mu);
    *st = c->st;
    pthread_mutex_unlock(&c->mu);
}
