/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * TwiML: a small, bounded XML parser and the verb program the call engine executes.
 * Supported verbs: <Say>, <Play>, <Pause>, <Hangup>, <Reject>, <Redirect> (their audio is
 * played by twiml_exec.c on the call's outbound path, outbound.h); the nested
 * <Say>/<Play>/<Pause> of <Gather> run in place (no digits ever arrive from the simulated far
 * end). Other Twilio verbs (<Dial>, <Record>, ...) are recognised and skipped with a warning.
 * Anything else is a schema error. */
#ifndef AMDI_TWIML_H
#define AMDI_TWIML_H

#include <stddef.h>
#include <stdint.h>

#include "twilio_errors.h"

/* Twilio's documented limits: TwiML documents up to 64 KB; nesting is shallow. */
#define AMDI_TWIML_MAX_BYTES (64 * 1024)
#define AMDI_TWIML_MAX_DEPTH 16
#define AMDI_TWIML_MAX_VERBS 1024

/* Twilio error codes for TwiML problems: names kept for the engine, values in twilio_errors.h. */
#define AMDI_ERR_DOCUMENT_PARSE AMDI_TWERR_DOCUMENT_PARSE
#define AMDI_ERR_SCHEMA AMDI_TWERR_SCHEMA

typedef enum amdi_verb_kind {
    AMDI_TW_SAY,
    AMDI_TW_PLAY,
    AMDI_TW_PAUSE,
    AMDI_TW_HANGUP,
    AMDI_TW_REJECT,
    AMDI_TW_REDIRECT,
    AMDI_TW_SKIPPED /* a real Twilio verb this shim does not execute */
} amdi_verb_kind;

typedef struct amdi_verb {
    amdi_verb_kind kind;
    char name[16];  /* element name as written */
    int loop;       /* Say/Play: 1 default; 0 = Twilio's "repeat until hangup" */
    int length_s;   /* Pause: default 1 */
    char *text;     /* Say text, Play URL, Redirect URL (entity-decoded, trimmed); may be "" */
    char *method;   /* Redirect method ("GET"/"POST"), default POST */
    char *reason;   /* Reject reason ("rejected" default, or "busy") */
    char *digits;   /* Play digits attribute, or NULL */
    char *voice, *language; /* Say voice / language attributes as written, or NULL */
} amdi_verb;

typedef struct amdi_twiml {
    amdi_verb *v;
    size_t n;
} amdi_twiml;

/* Parse a TwiML document. Returns 0; AMD_EFORMAT for malformed XML (Twilio 12100) or
 * AMD_EINVAL for valid XML that is not valid TwiML (12200); AMD_ELIMIT beyond the limits
 * above; AMD_ENOMEM. The reason is written to @p err. */
int amdi_twiml_parse(const char *xml, size_t len, amdi_twiml **out, char *err, size_t errlen);
void amdi_twiml_free(amdi_twiml *t);

/* Estimated playing time of one Say/Play/Pause verb (all loops), ms: what the executor waits
 * when a verb cannot play on the call's outbound path (no player for the call). Say: ~65 ms per
 * character (a typical TTS rate of ~15 characters/s), at least 500 ms. Play: 2 s per loop, or
 * 500 ms per digit for `digits`. loop=0 counts as 1000 loops. */
int64_t amdi_verb_duration_ms(const amdi_verb *v);

#endif
