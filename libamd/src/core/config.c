/* SPDX-License-Identifier: MIT */
/*
 * Detector configuration: defaults and validation driven by the parameter
 * table (params.c), naming the bad field, and the name <-> enum tables for
 * engines, modes, AnsweredBy values and causes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "amd/detector.h"
#include "amd/params.h"
#include "diag.h"

void amd_config_init(amd_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg); /* model, log_fn, log_user: NULL */
    cfg->version = AMD_CONFIG_VERSION;
    size_t n;
    const amd_param *p = amd_params(&n);
    for (size_t k = 0; k < n; k++)
        amd_param_set(cfg, &p[k], p[k].def);
    cfg->log_level = AMD_LOG_WARN;
}

static int range_err(char *err, size_t errlen, const char *field, long v, long lo, long hi)
{
    amdi_seterr(err, errlen, "%s: %ld out of range %ld..%ld", field, v, lo, hi);
    return AMD_EINVAL;
}

/* One row of the parameter table: its range, and the parameter it must exceed. */
static int check_param(const amd_config *cfg, const amd_param *p, char *err, size_t errlen)
{
    if (p->kind == AMD_PARAM_BOOL)
        return 0; /* any int: zero or nonzero */
    int v = amd_param_get(cfg, p);
    if (v < p->min || v > p->max)
        return range_err(err, errlen, p->field, v, p->min, p->max);
    const amd_param *lo = p->above ? amd_param_by_field(p->above) : NULL;
    if (lo && v <= amd_param_get(cfg, lo)) {
        amdi_seterr(err, errlen, "%s: %d must be greater than %s (%d)", p->field, v, lo->field,
                    amd_param_get(cfg, lo));
        return AMD_EINVAL;
    }
    return 0;
}

int amd_config_validate(const amd_config *cfg, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!cfg) {
        amdi_seterr(err, errlen, "config: NULL");
        return AMD_EINVAL;
    }
    if (cfg->version != AMD_CONFIG_VERSION) {
        amdi_seterr(err, errlen, "version: %u unsupported (expected %u; call amd_config_init)",
                    cfg->version, (unsigned)AMD_CONFIG_VERSION);
        return AMD_EVERSION;
    }
    size_t n;
    const amd_param *p = amd_params(&n);
    for (size_t k = 0; k < n; k++) {
        int rc = check_param(cfg, &p[k], err, errlen);
        if (rc)
            return rc;
    }
    if ((int)cfg->log_level < (int)AMD_LOG_ERROR || (int)cfg->log_level > (int)AMD_LOG_DEBUG)
        return range_err(err, errlen, "log_level", (long)cfg->log_level, AMD_LOG_ERROR, AMD_LOG_DEBUG);
    return 0;
}

const char *amd_engine_name(amd_engine engine)
{
    switch (engine) {
    case AMD_ENGINE_DEFAULT: return "default";
    case AMD_ENGINE_TIMING: return "timing";
    case AMD_ENGINE_WORDS: return "words";
    case AMD_ENGINE_MODEL: return "model";
    }
    return "?";
}

int amd_engine_parse(const char *name, amd_engine *out)
{
    static const struct { const char *n; amd_engine e; } tab[] = {
        {"default", AMD_ENGINE_DEFAULT}, {"timing", AMD_ENGINE_TIMING}, {"words", AMD_ENGINE_WORDS},
        {"lumenvox", AMD_ENGINE_WORDS},  {"model", AMD_ENGINE_MODEL}};
    if (!name || !out)
        return AMD_EINVAL;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcasecmp(name, tab[i].n) == 0) {
            *out = tab[i].e;
            return 0;
        }
    return AMD_EINVAL;
}

const char *amd_mode_name(amd_mode mode)
{
    switch (mode) {
    case AMD_MODE_ENABLE: return "Enable";
    case AMD_MODE_DETECT_MESSAGE_END: return "DetectMessageEnd";
    }
    return "?";
}

int amd_mode_parse(const char *name, amd_mode *out)
{
    if (!name || !out)
        return AMD_EINVAL;
    if (strcasecmp(name, "Enable") == 0) {
        *out = AMD_MODE_ENABLE;
        return 0;
    }
    if (strcasecmp(name, "DetectMessageEnd") == 0) {
        *out = AMD_MODE_DETECT_MESSAGE_END;
        return 0;
    }
    return AMD_EINVAL;
}

static const char *const answered_names[] = {
    [AMD_ANSWERED_NONE] = "",
    [AMD_ANSWERED_HUMAN] = "human",
    [AMD_ANSWERED_MACHINE_START] = "machine_start",
    [AMD_ANSWERED_MACHINE_END_BEEP] = "machine_end_beep",
    [AMD_ANSWERED_MACHINE_END_SILENCE] = "machine_end_silence",
    [AMD_ANSWERED_MACHINE_END_OTHER] = "machine_end_other",
    [AMD_ANSWERED_FAX] = "fax",
    [AMD_ANSWERED_UNKNOWN] = "unknown",
};

const char *amd_answered_by_name(amd_answered_by a)
{
    if ((int)a < 0 || (size_t)a >= sizeof answered_names / sizeof answered_names[0])
        return NULL; /* not an amd_answered_by: distinct from "" (not decided yet) */
    return answered_names[a];
}

int amd_answered_by_parse(const char *name, amd_answered_by *out)
{
    if (!name || !out || !name[0])
        return AMD_EINVAL;
    for (size_t i = 1; i < sizeof answered_names / sizeof answered_names[0]; i++)
        if (strcmp(name, answered_names[i]) == 0) {
            *out = (amd_answered_by)i;
            return 0;
        }
    return AMD_EINVAL;
}

int amd_answered_by_is_machine(amd_answered_by a)
{
    return a == AMD_ANSWERED_MACHINE_START || a == AMD_ANSWERED_MACHINE_END_BEEP ||
           a == AMD_ANSWERED_MACHINE_END_SILENCE || a == AMD_ANSWERED_MACHINE_END_OTHER;
}

const char *amd_cause_name(amd_cause c)
{
    static const char *const names[AMD_CAUSE_COUNT_] = {
        [AMD_CAUSE_NONE] = "none",
        [AMD_CAUSE_SPEECH_END] = "speech-end",
        [AMD_CAUSE_SPEECH_THRESHOLD] = "speech-threshold",
        [AMD_CAUSE_SILENCE_TIMEOUT] = "silence-timeout",
        [AMD_CAUSE_TIMEOUT] = "timeout",
        [AMD_CAUSE_MAX_WORDS] = "max-words",
        [AMD_CAUSE_LONG_WORD] = "long-word",
        [AMD_CAUSE_LONG_GREETING] = "long-greeting",
        [AMD_CAUSE_MODEL] = "model",
        [AMD_CAUSE_BEEP] = "beep",
        [AMD_CAUSE_GREETING_SILENCE] = "greeting-silence",
        [AMD_CAUSE_FAX_CED] = "fax-ced",
        [AMD_CAUSE_FAX_ANSAM] = "fax-ansam",
        [AMD_CAUSE_FAX_CNG] = "fax-cng",
        [AMD_CAUSE_FAX_V21] = "fax-v21",
        [AMD_CAUSE_SIT] = "sit",
        [AMD_CAUSE_HANGUP] = "hangup",
    };
    if ((int)c < 0 || (int)c >= (int)AMD_CAUSE_COUNT_ || !names[c])
        return "none";
    return names[c];
}
