/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * TwiML: a small, bounded XML parser and the verb program the call engine executes.
 * Supported verbs: <Say>, <Play>, <Pause>, <Hangup>, <Reject>, <Redirect> (their audio is
 * played by twiml_exec.c on the call's outbound path, outbound.h), <Gather> (its nested
 * <Say>/<Play>/<Pause> follow it in the program, n_nested of them), <Record> and <Dial> (with
 * a bare number, <Number> and <Sip> nouns; run by dial_verb.c). Other Twilio verbs
 * (<Enqueue>, ...) are recognised and skipped with a warning. Anything else is a schema
 * error. An attribute value Twilio answers with a warning (13310, 13313, ...) keeps the
 * attribute's default and the warning rides on the verb (warn_code, warn), reported when the
 * verb runs. */
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
    AMDI_TW_GATHER,
    AMDI_TW_RECORD,
    AMDI_TW_DIAL,
    AMDI_TW_SKIPPED /* a real Twilio verb this shim does not execute */
} amdi_verb_kind;

/* <Dial> (https://www.twilio.com/docs/voice/twiml/dial): its attributes, and one noun per party
 * to ring. A noun's attributes are kept as the Calls resource's create parameters of its child
 * call (statusCallback -> StatusCallback, machineDetection -> MachineDetection, url -> Url,
 * sendDigits -> SendDigits, <Sip username/password> -> SipAuthUsername/SipAuthPassword,
 * amdStatusCallback -> AsyncAmdStatusCallback ...), so the child is validated and stored as
 * any call is. */
#define AMDI_DIAL_MAX_NOUNS 10 /* Twilio: up to 10 numbers ring at once */
enum {
    AMDI_DIAL_REC_NONE = 0,
    AMDI_DIAL_REC_ANSWER = 1,  /* record-from-answer[-dual] */
    AMDI_DIAL_REC_RINGING = 2, /* record-from-ringing[-dual] */
};
typedef struct amdi_dial_noun {
    int sip;      /* <Sip> rather than <Number> / a bare number */
    char *target; /* the number or SIP URI (trimmed) */
    char **kv;    /* create-parameter name, value, name, value, ... (2 * nkv strings) */
    size_t nkv;
} amdi_dial_noun;
typedef struct amdi_dial {
    char *action, *method;  /* action URL (NULL: none) and GET / POST */
    int timeout_s;          /* ring time, default 30 */
    int time_limit_s;       /* default 14400 */
    char *caller_id;        /* NULL: the parent's own caller ID */
    int record;             /* AMDI_DIAL_REC_* */
    int record_dual;        /* the -dual variants: channel 1 parent, channel 2 child */
    char *recording_track;  /* inbound, outbound, both */
    char *trim;
    char *rec_cb, *rec_cb_method; /* recordingStatusCallback / Method */
    unsigned rec_events;    /* 1 in-progress, 2 completed, 4 absent */
    int hangup_on_star, answer_on_bridge;
    char ring_tone[8];      /* "" = the carrier's ringback */
    amdi_dial_noun nouns[AMDI_DIAL_MAX_NOUNS];
    size_t n;
} amdi_dial;

typedef struct amdi_verb {
    amdi_verb_kind kind;
    char name[16];  /* element name as written */
    int loop;       /* Say/Play: 1 default; 0 = Twilio's "repeat until hangup" */
    int length_s;   /* Pause: default 1 */
    char *text;     /* Say text, Play URL, Redirect URL (entity-decoded, trimmed); may be "" */
    char *method;   /* Redirect method ("GET"/"POST"), default POST */
    char *reason;   /* Reject reason ("rejected" default, or "busy") */
    char *digits;   /* Play digits attribute, or NULL */
    /* <Gather> and <Record> (https://www.twilio.com/docs/voice/twiml/gather, /record) */
    size_t n_nested;       /* Gather: how many nested Say/Play/Pause verbs follow it */
    int in_gather;         /* Say/Play/Pause: nested in the <Gather> before it */
    char *action;          /* action URL as written, NULL: the current document's URL */
    int timeout_s;         /* Gather 5 (wait for a key); Record 5 (silence that ends it, 0 = none) */
    char finish_on_key[16]; /* Gather "#" ("" = none); Record "1234567890*#" */
    int num_digits;        /* Gather: 0 = no limit */
    int action_on_empty;   /* Gather actionOnEmptyResult */
    int max_length_s;      /* Record: 3600 */
    int play_beep;         /* Record: 1 */
    int trim;              /* Record: 1 = trim-silence */
    char *rs_callback;     /* Record recordingStatusCallback, NULL none */
    char *rs_method;       /* its method, "POST" default */
    unsigned rs_events;    /* 1 in-progress, 2 completed, 4 absent; default completed */
    int warn_code;         /* a Twilio warning about this verb's attributes, 0 none */
    char *warn;            /* its message */
    amdi_dial *dial; /* Dial */
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
void amdi_dial_free(amdi_dial *d);
/* The value of create parameter @p name of noun @p n, or NULL. */
const char *amdi_dial_noun_get(const amdi_dial_noun *n, const char *name);

/* Estimated playing time of one Say/Play/Pause verb (all loops), ms: what the executor waits
 * when a verb cannot play on the call's outbound path (no player for the call). Say: ~65 ms per
 * character (a typical TTS rate of ~15 characters/s), at least 500 ms. Play: 2 s per loop, or
 * 500 ms per digit for `digits`. loop=0 counts as 1000 loops. */
int64_t amdi_verb_duration_ms(const amdi_verb *v);

#endif
