/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * <Say voice="…" language="…"> → an espeak-ng voice: the one table that maps Twilio's voice
 * names and language tags to what we can synthesize (table and rules in tts_voices.c).
 * Twilio's defaults (TW/voice/twiml/say): voice `man`, language `en-US`. */
#ifndef AMDI_MEDIA_TTS_VOICES_H
#define AMDI_MEDIA_TTS_VOICES_H

#include "twilio_errors.h"

/* Twilio's <Say> warnings for an unknown voice or language (values in twilio_errors.h). */
#define AMDI_TWILIO_SAY_BAD_VOICE AMDI_TWERR_SAY_BAD_VOICE
#define AMDI_TWILIO_SAY_BAD_LANGUAGE AMDI_TWERR_SAY_BAD_LANGUAGE

typedef struct amdi_tts_voice {
    char espeak[40];      /* for espeak_SetVoiceByName, e.g. "en-us+f3" */
    char language[16];    /* the Twilio language tag spoken, e.g. "en-US" */
    int female;
    int voice_warning;    /* AMDI_TWILIO_SAY_BAD_VOICE when @p voice was not recognised, else 0 */
    int language_warning; /* AMDI_TWILIO_SAY_BAD_LANGUAGE when @p language is unsupported, else 0 */
} amdi_tts_voice;

/* Resolve a <Say>'s @p voice and @p language attributes (NULL or "" = absent). Never fails:
 * an unknown voice falls back to `man`, an unsupported language to en-US, each with its
 * warning set. Returns the first warning code (voice first) or 0. */
int amdi_tts_voice_resolve(const char *voice, const char *language, amdi_tts_voice *out);

#endif
