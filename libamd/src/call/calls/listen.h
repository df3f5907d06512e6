/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * What the call server hears while a <Gather> or <Record> runs: the far end's keys, from
 * RFC 4733 telephone-events (a driver reports them) and from in-band DTMF in its audio (the
 * core library's ITU-T Q.24 receiver, selected through the detector's event mask), and, for
 * <Record>, when it speaks (the detector's VAD, per 10 ms hop).
 *
 * One listener per call, on the media clock's thread; it exists only while such a verb runs. */
#ifndef AMDI_LISTEN_H
#define AMDI_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"

#define AMDI_LISTEN_KEYS 64

typedef struct amdi_listen {
    amd_detector *det;           /* in-band DTMF (+ VAD when speech is wanted); NULL: none */
    char keys[AMDI_LISTEN_KEYS]; /* keys heard and not taken yet, oldest first */
    size_t nkeys;
    int64_t base_ms;         /* engine time of audio time 0 of det */
    int64_t first_speech_ms; /* engine times of the first and last hop the VAD called speech; -1 */
    int64_t last_speech_ms;
    char last_key;           /* the latest key and where it came from, to drop the same key */
    int64_t last_key_ms;     /* heard both in-band and as an RFC 4733 event */
    int last_key_rfc4733;
} amdi_listen;

/* Start listening on audio at @p rate Hz from engine time @p now_ms; @p speech: also run the
 * VAD per hop. 0, or an AMD_E* code (then keys still arrive from RFC 4733 events). */
int amdi_listen_open(amdi_listen *l, int rate, int speech, int64_t now_ms);
void amdi_listen_close(amdi_listen *l);
/* Far-end audio (float, [-1, 1]) and lost stretches, in order. */
void amdi_listen_audio(amdi_listen *l, const float *pcm, size_t n);
void amdi_listen_lost(amdi_listen *l, size_t n);
/* A key from an RFC 4733 telephone-event (0-9 * # A-D). */
void amdi_listen_key(amdi_listen *l, char key, int64_t now_ms);
/* Take the oldest key heard: 1 and *key, or 0. */
int amdi_listen_take(amdi_listen *l, char *key);

#endif
