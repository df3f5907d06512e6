/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The <Play> audio cache: decoded audio by URL, shared by every call, with a total size cap.
 *
 * Flow: the executor asks amdi_audio_cache_get for a URL when a <Play> starts (and again on
 * later ticks while it waits). The first asker gets AMDI_CACHE_FETCH and starts a fetch with
 * the webhook HTTP client on a worker; everyone else gets AMDI_CACHE_PENDING meanwhile. The
 * worker completes the fetch by handing the body and its Content-Type to
 * amdi_audio_cache_put_bytes (which decodes, decode.h, on the calling thread, outside the
 * lock) or its failure to amdi_audio_cache_put_error. Then get answers AMDI_CACHE_HIT with a
 * reference to the 8 kHz buffer, or AMDI_CACHE_FAILED with Twilio's warning code.
 *
 * Size: ready entries count amdi_pcm_bytes; inserting evicts the least recently used ones
 * until the total fits max_bytes (an entry bigger than the whole cap is kept alone until the
 * next insert). Eviction only drops the cache's reference: a call playing the audio keeps it.
 * Expiry: an entry can carry a lifetime (HTTP Cache-Control max-age, from the fetcher); failures
 * are remembered for AMDI_CACHE_FAIL_TTL_MS so a broken URL is not refetched by every call at
 * once; a fetch not completed within AMDI_CACHE_PENDING_TTL_MS (longer than Twilio's 15 s
 * whole-response timeout) is handed out again.
 *
 * Threading: every function is thread-safe (one mutex, held only for table updates). */
#ifndef AMDI_MEDIA_CACHE_H
#define AMDI_MEDIA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "media/pcm.h"

#define AMDI_CACHE_FAIL_TTL_MS 10000
#define AMDI_CACHE_PENDING_TTL_MS 30000
#define AMDI_CACHE_MAX_URL 8192

typedef struct amdi_audio_cache amdi_audio_cache;

typedef enum {
    AMDI_CACHE_HIT = 0,     /* *pcm holds a new reference */
    AMDI_CACHE_FETCH = 1,   /* the caller must fetch the URL and complete it with a put */
    AMDI_CACHE_PENDING = 2, /* another caller's fetch is under way: ask again later */
    AMDI_CACHE_FAILED = 3   /* fetching or decoding failed: *twilio_code says why */
} amdi_cache_state;

typedef struct amdi_cache_stats {
    uint64_t hits, misses, evictions;
    size_t entries; /* ready ones */
    size_t bytes;   /* of ready entries */
} amdi_cache_stats;

/* A cache holding at most @p max_bytes of decoded audio (> 0). 0, AMD_EINVAL or AMD_ENOMEM. */
int amdi_audio_cache_create(size_t max_bytes, amdi_audio_cache **out);
/* Free the cache (buffers still playing stay alive through their references). */
void amdi_audio_cache_destroy(amdi_audio_cache *c);

/* Look @p url up at time @p now_ms (any monotonic ms clock, the same for every call).
 * Returns an amdi_cache_state, or AMD_EINVAL (NULL / empty / over AMDI_CACHE_MAX_URL bytes),
 * AMD_ENOMEM. @p pcm is set on a hit (else NULL); @p twilio_code on failure (else 0). */
int amdi_audio_cache_get(amdi_audio_cache *c, const char *url, int64_t now_ms, amdi_pcm **pcm, int *twilio_code);
/* Complete a fetch: decode @p len bytes served as @p content_type (decode.h) and store them
 * for @p max_age_ms (0 = until evicted). Returns the decoder's result; on failure the URL is
 * marked failed with 13420 and @p err says why. */
int amdi_audio_cache_put_bytes(amdi_audio_cache *c, const char *url, const void *data, size_t len,
                               const char *content_type, int64_t now_ms, int64_t max_age_ms, char *err,
                               size_t errlen);
/* Store already decoded audio (takes a new reference on @p pcm). 0 or AMD_EINVAL / AMD_ENOMEM. */
int amdi_audio_cache_put_pcm(amdi_audio_cache *c, const char *url, amdi_pcm *pcm, int64_t now_ms,
                             int64_t max_age_ms);
/* Complete a fetch that failed, with Twilio's code for it (11200 HTTP error, 11205 timeout,
 * 11100 bad URL, ...). 0 or AMD_EINVAL / AMD_ENOMEM. */
int amdi_audio_cache_put_error(amdi_audio_cache *c, const char *url, int twilio_code, int64_t now_ms);
void amdi_audio_cache_get_stats(amdi_audio_cache *c, amdi_cache_stats *st);

#endif
