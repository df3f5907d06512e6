/* SPDX-License-Identifier: MIT */
/*
 * The word-counting engine: Asterisk AMD() semantics (app_amd.c) on the
 * the word-engine parameters of amd/params.h. Asterisk -> libamd:
 *   initialSilence      -> silence_timeout_ms      (-> unknown, silence-timeout: Twilio's meaning)
 *   greeting            -> speech_threshold_ms     (voice in the greeting -> machine, long-greeting)
 *   afterGreetingSilence-> speech_end_threshold_ms (-> human, speech-end)
 *   totalAnalysisTime   -> timeout_ms              (-> unknown, timeout; detector.c)
 *   minimumWordLength   -> min_word_length_ms      (shorter voice is not a word)
 *   maximumWordLength   -> max_word_length_ms      (-> machine, long-word)
 *   betweenWordsSilence -> words_silence_ms        (silence that separates words)
 *   maximumNumberOfWords-> max_num_of_words        (more words -> machine, max-words)
 *   silenceThreshold    -> silence_threshold       (mean |sample| s16; quieter hops are silence)
 * A hop is voice when the VAD calls it speech AND its mean |sample| reaches
 * silence_threshold (0 disables the level gate): Asterisk's silence detector
 * is that level test alone, which line noise above 256 defeats; the VAD keeps
 * noise and tones out while the threshold keeps its documented meaning.
 */
#include <string.h>

#include "engine.h"

typedef struct words_state {
    amd_config cfg;
    int in_initial_silence, in_greeting, in_word;
    int64_t silence_ms, consec_voice_ms, voice_ms;
    int words;
} words_state;

static size_t words_size(const amd_config *cfg)
{
    (void)cfg;
    return sizeof(words_state);
}

static void words_reset(void *st)
{
    words_state *s = st;
    s->in_initial_silence = 1;
    s->in_greeting = 0;
    s->in_word = 0;
    s->silence_ms = s->consec_voice_ms = s->voice_ms = 0;
    s->words = 0;
}

static int words_init(void *st, const amd_config *cfg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    words_state *s = st;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    words_reset(s);
    return 0;
}

static int words_frame(void *st, const amdi_evidence *ev, amdi_engine_decision *out)
{
    words_state *s = st;
    const amd_config *c = &s->cfg;
    int voice = ev->speech_raw && ev->mean_abs >= (float)c->silence_threshold;
    if (!voice) {
        s->silence_ms += AMDI_HOP_MS;
        s->consec_voice_ms = 0;
        if (s->silence_ms >= c->words_silence_ms)
            s->in_word = 0;
        if (s->in_initial_silence && s->silence_ms >= c->silence_timeout_ms) {
            out->answered_by = AMD_ANSWERED_UNKNOWN;
            out->cause = AMD_CAUSE_SILENCE_TIMEOUT;
            out->confidence = 0.9f;
            return 1;
        }
        if (s->in_greeting && s->silence_ms >= c->speech_end_threshold_ms) {
            out->answered_by = AMD_ANSWERED_HUMAN;
            out->cause = AMD_CAUSE_SPEECH_END;
            /* few words and little voice: surely human */
            float u = (float)s->voice_ms / (float)c->speech_threshold_ms;
            float w = (float)s->words / (float)(c->max_num_of_words + 1);
            out->confidence = amdi_clamp01(0.9f - 0.2f * u - 0.2f * w);
            return 1;
        }
        return 0;
    }
    s->consec_voice_ms += AMDI_HOP_MS;
    s->voice_ms += AMDI_HOP_MS;
    if (s->consec_voice_ms >= c->min_word_length_ms && !s->in_word) {
        s->words++;
        s->in_word = 1;
    }
    if (s->consec_voice_ms >= c->max_word_length_ms) {
        out->answered_by = AMD_ANSWERED_MACHINE_START;
        out->cause = AMD_CAUSE_LONG_WORD;
        out->confidence = 0.8f;
        return 1;
    }
    if (s->words > c->max_num_of_words) {
        out->answered_by = AMD_ANSWERED_MACHINE_START;
        out->cause = AMD_CAUSE_MAX_WORDS;
        out->confidence = 0.75f;
        return 1;
    }
    if (s->in_greeting && s->voice_ms >= c->speech_threshold_ms) {
        out->answered_by = AMD_ANSWERED_MACHINE_START;
        out->cause = AMD_CAUSE_LONG_GREETING;
        out->confidence = 0.8f;
        return 1;
    }
    if (s->voice_ms >= c->min_word_length_ms) {
        s->in_initial_silence = 0;
        s->in_greeting = 1;
    }
    s->silence_ms = 0;
    return 0;
}

static int words_finish(void *st, const amdi_evidence *ev, int at_timeout, amdi_engine_decision *out)
{
    words_state *s = st;
    (void)ev;
    if (at_timeout || !s->in_greeting)
        return 0;
    out->answered_by = AMD_ANSWERED_HUMAN;
    out->cause = AMD_CAUSE_HANGUP;
    out->confidence = 0.6f;
    return 1;
}

static const char *words_state_name(const void *st)
{
    const words_state *s = st;
    if (s->in_initial_silence)
        return "initial-silence";
    return s->in_word ? "word" : "between-words";
}

const amdi_engine_vt amdi_engine_words = {
    "words", words_size, words_init, words_reset, words_frame, words_finish, words_state_name,
};
