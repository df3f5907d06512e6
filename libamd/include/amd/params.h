/* SPDX-License-Identifier: MIT */
/**
 * @file params.h
 * The detector parameters as one table: for every tunable field of struct
 * amd_config its name, Twilio's API parameter, the `amd` command-line flag,
 * unit and scale, valid range, default and a line of help.
 *
 * The table is the only place these facts are written: amd_config_init()
 * takes the defaults from it, amd_config_validate() the ranges, the call
 * server's REST parser the Twilio names and wire units, and the CLI its flags
 * and help text. Twilio's parameters are documented at
 * https://www.twilio.com/docs/voice/answering-machine-detection
 */
#ifndef AMD_PARAMS_H
#define AMD_PARAMS_H

#include <stddef.h>

#include "amd/detector.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What kind of value a parameter holds. */
typedef enum amd_param_kind {
    AMD_PARAM_INT = 0, /**< an integer in [min, max] */
    AMD_PARAM_BOOL,    /**< zero / nonzero; any int is valid (min, max are 0, 1 for help texts) */
    AMD_PARAM_ENUM     /**< an enum (amd_mode, amd_engine) stored as int; given by name on the wire */
} amd_param_kind;

/** One detector parameter. */
typedef struct amd_param {
    const char *field;  /**< amd_config member, as validation messages name it ("speech_threshold_ms") */
    const char *twilio; /**< Twilio API parameter ("MachineDetectionSpeechThreshold"); NULL: none */
    const char *flag;   /**< command-line flag without "--" ("speech-threshold"); NULL: none */
    const char *arg;    /**< the flag's value in help texts ("MS", "S", "HZ", "N", "0|1") */
    amd_param_kind kind;
    int scale;          /**< config units per wire / flag unit: 1000 for seconds, else 1 */
    int min, max;       /**< valid range in config units, inclusive */
    int def;            /**< default in config units */
    const char *above;  /**< field this one must be greater than (beep_max_hz: beep_min_hz); NULL: none */
    size_t offset;      /**< offsetof(amd_config, member); the member is int-sized */
    const char *help;   /**< one line for help texts, without range and default */
} amd_param;

/** The table, in validation order; @p n (if not NULL) receives its length. */
const amd_param *amd_params(size_t *n);
/** Row of the amd_config member @p field ("timeout_ms"), or NULL. */
const amd_param *amd_param_by_field(const char *field);
/** Row of the command-line flag @p flag without "--" ("timeout"), or NULL. */
const amd_param *amd_param_by_flag(const char *flag);

/** Value of @p p in @p cfg (config units). */
int amd_param_get(const amd_config *cfg, const amd_param *p);
/** Set @p p in @p cfg to @p value (config units; not validated: see amd_config_validate). */
void amd_param_set(amd_config *cfg, const amd_param *p, int value);

#ifdef __cplusplus
}
#endif
#endif /* AMD_PARAMS_H */
