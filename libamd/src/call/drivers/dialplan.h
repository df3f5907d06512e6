/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The simulated carrier's dial plan (sim.c), a JSON file:
 *   {"routes": [{"to": "+15551230001", "audio": "path.wav", "ring_ms": 2000,
 *                "outcome": "answer", "hangup": "after-audio"}]}
 * `to` is an exact number or a prefix ending in '*'; first match wins. `outcome` is answer,
 * busy, no-answer, failed or agent (answers and loops its audio until hung up: a call-centre
 * agent for <Dial> tests and demos); `hangup` after-audio or never. Relative audio paths resolve
 * against the dial plan's folder. Extra keys: `pdd_ms` (post-dial delay before ringing,
 * default 200); `digits`, keys the far end presses as in-band DTMF mixed into its audio at an
 * audio time (ms since answer): [{"at_ms": 4000, "keys": "1#"}] (keys 0-9 A-D * #, w / W
 * pauses; tones as media/dtmf_gen.h makes them). Audio is decoded once at load and shared read-only by every call. */
#ifndef AMDI_DIALPLAN_H
#define AMDI_DIALPLAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum amdi_outcome { AMDI_OUT_ANSWER, AMDI_OUT_BUSY, AMDI_OUT_NO_ANSWER, AMDI_OUT_FAILED, AMDI_OUT_AGENT } amdi_outcome;

typedef struct amdi_audio {
    char *path;
    float *pcm;
    size_t n;
    int rate;
} amdi_audio;

#define AMDI_ROUTE_MAX_DIGITS 16 /* "digits" entries of one route */

typedef struct amdi_route_digits {
    int64_t at_ms;
    char keys[33]; /* as Twilio's SendDigits: up to 32 */
} amdi_route_digits;

typedef struct amdi_route {
    char *to;        /* pattern */
    int prefix;      /* pattern ended with '*' */
    const amdi_audio *audio; /* NULL: silence */
    int ring_ms, pdd_ms;
    amdi_outcome outcome;
    int hangup_after_audio;
    amdi_route_digits digits[AMDI_ROUTE_MAX_DIGITS];
    size_t ndigits;
    int loop_audio; /* agent: the audio starts over when it ends, until we hang up */
} amdi_route;

typedef struct amdi_dialplan {
    amdi_route *routes;
    size_t n;
    amdi_audio *audio;
    size_t naudio;
} amdi_dialplan;

/* Load from a file (NULL: an empty plan). Errors name the route and key. */
int amdi_dialplan_load(const char *path, amdi_dialplan **out, char *err, size_t errlen);
/* Parse JSON text; relative audio paths resolve against @p base_dir. */
int amdi_dialplan_parse(const char *json, const char *base_dir, amdi_dialplan **out, char *err, size_t errlen);
void amdi_dialplan_free(amdi_dialplan *d);
/* First route matching @p to, or NULL. */
const amdi_route *amdi_dialplan_match(const amdi_dialplan *d, const char *to);

#endif
