/* SPDX-License-Identifier: MIT */
/* Options shared by `amd classify`, `amd trace` and `amd bench`: every detector
 * parameter of the library's table (amd/params.h) as a flag (Twilio names in kebab case), the input flags
 * (--raw, --rate, --channel), --model and -j. One parser, so the three commands
 * accept exactly the same spellings and report the same errors. */
#ifndef AMD_CLI_OPTIONS_H
#define AMD_CLI_OPTIONS_H

#include <stdio.h>

#include "audio_file.h"
#include "amd/detector.h"

typedef struct cli_common {
    amd_config cfg;            /* detector parameters; sample_rate is set per file */
    amdi_audio_open_opts input; /* --raw / --rate / --channel */
    int jobs;                  /* -j N; 0 = not given */
    amd_model *model;          /* --model FILE (owned), or NULL for the built-in one */
    int mode_given;            /* --machine-detection was given */
} cli_common;

/* Defaults: amd_config_init, no raw input, down-mix, jobs 0. */
void cli_common_init(cli_common *c);
/* Free what parsing loaded (the model). */
void cli_common_free(cli_common *c);

/*
 * Try to parse argv[*i] (and its value) as a common option. Accepts "--name value" and
 * "--name=value". On success advances *i past what it consumed.
 * @return 1 consumed, 0 not a common option, -1 bad value (message in err).
 */
int cli_common_parse(cli_common *c, int argc, char **argv, int *i, char *err, size_t errlen);

/* After all flags: check the config with the library's validation and the input flags.
 * @return 0 or -1 with the message in err. */
int cli_common_finish(cli_common *c, char *err, size_t errlen);

/* Help text for the common flags (for each command's --help). */
void cli_common_help(FILE *out, int with_input, int with_jobs);

/*
 * Find a parameter by its flag name (without "--", e.g. "speech-threshold") and set it
 * to @p value in @p cfg (used by `bench --sweep`). Returns 0 or -1 if not a numeric
 * detector parameter.
 */
int cli_param_set(amd_config *cfg, const char *name, double value);
/* Nonzero if @p name is a numeric parameter cli_param_set knows. */
int cli_param_known(const char *name);

/* Strict number parsing: the whole string must be a number. 0 or -1. */
int cli_parse_int(const char *s, long *out);
int cli_parse_double(const char *s, double *out);

#endif
