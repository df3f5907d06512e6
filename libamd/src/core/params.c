/* SPDX-License-Identifier: MIT */
/*
 * The detector parameters (amd/params.h): names, Twilio names, flags, ranges,
 * defaults and help, written once. Twilio's defaults and ranges for
 * MachineDetectionTimeout, ...SpeechThreshold, ...SpeechEndThreshold and
 * ...SilenceTimeout are those of
 * https://www.twilio.com/docs/voice/answering-machine-detection ; the words
 * engine's follow Asterisk's AMD() application (app_amd.c, amd.conf); the
 * tone parameters are this library's own.
 */
#include <string.h>

#include "amd/params.h"

/* amd_param_get / _set read every row, the enums included, as an int. */
_Static_assert(sizeof(amd_mode) == sizeof(int) && sizeof(amd_engine) == sizeof(int), "enums are int-sized");

#define ROW(fld, tw, fl, ar, kd, sc, lo, hi, df, ab, hlp)                                              \
    {#fld, tw, fl, ar, kd, sc, lo, hi, df, ab, offsetof(amd_config, fld), hlp}

/* Validation order: amd_config_validate reports the first bad row. */
static const amd_param table[] = {
    ROW(sample_rate, NULL, NULL, "HZ", AMD_PARAM_INT, 1, 8000, 48000, 8000, NULL, "input sample rate, Hz"),
    ROW(mode, "MachineDetection", "machine-detection", "MODE", AMD_PARAM_ENUM, 1, AMD_MODE_ENABLE,
        AMD_MODE_DETECT_MESSAGE_END, AMD_MODE_ENABLE, NULL, "Enable or DetectMessageEnd (default Enable)"),
    ROW(timeout_ms, "MachineDetectionTimeout", "timeout", "S", AMD_PARAM_INT, 1000, 3000, 59000, 30000, NULL,
        "no decision after S seconds -> unknown"),
    ROW(speech_threshold_ms, "MachineDetectionSpeechThreshold", "speech-threshold", "MS", AMD_PARAM_INT, 1, 1000,
        6000, 2400, NULL, "first utterance longer -> machine"),
    ROW(speech_end_threshold_ms, "MachineDetectionSpeechEndThreshold", "speech-end-threshold", "MS", AMD_PARAM_INT,
        1, 500, 5000, 1200, NULL, "silence closing an utterance / greeting"),
    ROW(silence_timeout_ms, "MachineDetectionSilenceTimeout", "silence-timeout", "MS", AMD_PARAM_INT, 1, 2000,
        10000, 5000, NULL, "only silence this long -> unknown"),
    ROW(engine, "MachineDetectionEngine", "engine", "NAME", AMD_PARAM_ENUM, 1, AMD_ENGINE_DEFAULT, AMD_ENGINE_MODEL,
        AMD_ENGINE_DEFAULT, NULL, "default, timing, words (alias Lumenvox), model (default: the best measured)"),
    ROW(min_word_length_ms, "MachineDetectionMinWordLength", "min-word-length", "MS", AMD_PARAM_INT, 1, 10, 5000,
        100, NULL, "words engine, shorter bursts are not words"),
    ROW(max_word_length_ms, "MachineDetectionMaxWordLength", "max-word-length", "MS", AMD_PARAM_INT, 1, 100, 20000,
        5000, NULL, "words engine, a longer word -> machine"),
    ROW(words_silence_ms, "MachineDetectionWordsSilence", "words-silence", "MS", AMD_PARAM_INT, 1, 10, 5000, 50,
        NULL, "words engine, silence separating two words"),
    ROW(max_num_of_words, "MachineDetectionMaxNumOfWords", "max-num-of-words", "N", AMD_PARAM_INT, 1, 1, 100, 5,
        NULL, "words engine, more words -> machine"),
    ROW(silence_threshold, "MachineDetectionSilenceThreshold", "silence-threshold", "N", AMD_PARAM_INT, 1, 0, 32767,
        256, NULL, "words engine, mean |sample| (s16 scale) below which a frame is silence"),
    ROW(beep_min_ms, NULL, "beep-min-ms", "MS", AMD_PARAM_INT, 1, 40, 1000, 80, NULL,
        "shortest end-of-greeting beep"),
    ROW(beep_min_hz, NULL, "beep-min-hz", "HZ", AMD_PARAM_INT, 1, 200, 3000, 300, NULL, "lowest beep frequency"),
    ROW(beep_max_hz, NULL, "beep-max-hz", "HZ", AMD_PARAM_INT, 1, 200, 3500, 2500, "beep_min_hz",
        "highest beep frequency, above the lowest"),
    ROW(beep_grace_ms, NULL, "beep-grace-ms", "MS", AMD_PARAM_INT, 1, 0, 5000, 1500, NULL,
        "DetectMessageEnd: extra wait for a late beep before machine_end_silence"),
    ROW(detect_fax, NULL, "detect-fax", "0|1", AMD_PARAM_BOOL, 1, 0, 1, 1, NULL,
        "fax / modem tones end in `fax`"),
    ROW(detect_sit, NULL, "detect-sit", "0|1", AMD_PARAM_BOOL, 1, 0, 1, 1, NULL,
        "special information tones end in a machine"),
};
#undef ROW
#define NROWS (sizeof table / sizeof table[0])

const amd_param *amd_params(size_t *n)
{
    if (n)
        *n = NROWS;
    return table;
}

const amd_param *amd_param_by_field(const char *field)
{
    for (size_t k = 0; field && k < NROWS; k++)
        if (strcmp(table[k].field, field) == 0)
            return &table[k];
    return NULL;
}

const amd_param *amd_param_by_flag(const char *flag)
{
    for (size_t k = 0; flag && k < NROWS; k++)
        if (table[k].flag && strcmp(table[k].flag, flag) == 0)
            return &table[k];
    return NULL;
}

int amd_param_get(const amd_config *cfg, const amd_param *p)
{
    int v;
    memcpy(&v, (const char *)cfg + p->offset, sizeof v);
    return v;
}

void amd_param_set(amd_config *cfg, const amd_param *p, int value)
{
    memcpy((char *)cfg + p->offset, &value, sizeof value);
}
