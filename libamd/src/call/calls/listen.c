/* SPDX-License-Identifier: MIT */
#include "listen.h"

#include <string.h>

#include "amd/error.h"

/* The same key reported by both sources (a far end that sends RFC 4733 events and leaves the
 * tone in its audio too) within this time is one key press. ITU-T Q.24 asks a receiver to
 * accept digits 40 ms + 40 ms apart, but no one presses the same key twice within 250 ms. */
#define SAME_KEY_MS 250

static void push_key(amdi_listen *l, char key, int64_t t, int rfc4733)
{
    if (key == l->last_key && rfc4733 != l->last_key_rfc4733 && t - l->last_key_ms < SAME_KEY_MS)
        return;
    l->last_key = key;
    l->last_key_ms = t;
    l->last_key_rfc4733 = rfc4733;
    if (l->nkeys < AMDI_LISTEN_KEYS)
        l->keys[l->nkeys++] = key;
}

static void on_event(void *user, amd_event ev, const amd_result *r)
{
    amdi_listen *l = user;
    (void)r;
    amd_event_info info;
    if (ev != AMD_EVENT_DTMF || amd_detector_event_info(l->det, &info) != 1 || !info.digit)
        return;
    push_key(l, info.digit, l->base_ms + info.time_ms, 0);
}

static void on_frame(void *user, const amd_frame_info *fi)
{
    amdi_listen *l = user;
    if (!fi->speech)
        return;
    int64_t t = l->base_ms + fi->time_ms;
    if (l->first_speech_ms < 0)
        l->first_speech_ms = t;
    l->last_speech_ms = t;
}

int amdi_listen_open(amdi_listen *l, int rate, int speech, int64_t now_ms)
{
    memset(l, 0, sizeof *l);
    l->base_ms = now_ms;
    l->first_speech_ms = l->last_speech_ms = -1;
    l->last_key_ms = -1000000;
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.sample_rate = rate;
    int rc = amd_detector_create(&cfg, &l->det, NULL, 0);
    if (!rc)
        rc = amd_detector_set_event_callback(l->det, on_event, l);
    if (!rc)
        rc = amd_detector_set_event_mask(l->det, AMD_EVENT_BIT(AMD_EVENT_DTMF));
    if (!rc && speech)
        rc = amd_detector_set_frame_callback(l->det, on_frame, l);
    if (rc) {
        amd_detector_destroy(l->det);
        l->det = NULL;
    }
    return rc;
}

void amdi_listen_close(amdi_listen *l)
{
    amd_detector_destroy(l->det);
    l->det = NULL;
    l->nkeys = 0;
}

void amdi_listen_audio(amdi_listen *l, const float *pcm, size_t n)
{
    if (l->det) /* NaN / Inf from a driver: that chunk is rejected, listening goes on */
        (void)amd_detector_process_float(l->det, pcm, n);
}

void amdi_listen_lost(amdi_listen *l, size_t n)
{
    if (l->det)
        (void)amd_detector_process_lost(l->det, n);
}

void amdi_listen_key(amdi_listen *l, char key, int64_t now_ms)
{
    if (key && strchr("0123456789*#ABCD", key))
        push_key(l, key, now_ms, 1);
}

int amdi_listen_take(amdi_listen *l, char *key)
{
    if (!l->nkeys)
        return 0;
    *key = l->keys[0];
    memmove(l->keys, l->keys + 1, --l->nkeys);
    return 1;
}
