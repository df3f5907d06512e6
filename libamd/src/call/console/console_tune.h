/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The console's tuning run: export an account's labeled calls (corpus_export.h) to a private
 * temporary folder and score them with the `amd bench` program itself, once with the default
 * parameters and once with a sweep of one parameter (`--sweep PARAM=A:B:STEP`), so the console
 * shows exactly the numbers `amd bench` gives on the same export. */
#ifndef AMDI_CONSOLE_TUNE_H
#define AMDI_CONSOLE_TUNE_H

#include <stddef.h>

#include "store.h"
#include "strbuf.h"

/* Sweepable parameters (amd bench flag names) and the most sweep points run at once. */
#define AMDI_TUNE_MAX_POINTS 25

/* The tuning request form: Param (one of the sweepable flag names), From, To, Step (integers
 * in the parameter's range, From <= To, Step > 0, at most AMDI_TUNE_MAX_POINTS points).
 * Writes the sweep spec "param=a:b:step" into @p spec. 0, or AMD_EINVAL with the reason. */
int amdi_tune_parse(const char *body, size_t len, char *spec, size_t speclen, char *err, size_t errlen);

/* Run it: JSON {"labeled":N,"exported":N,"skipped":N,"current":<amd bench JSON>,
 * "sweep":<amd bench --sweep JSON>} appended to @p out. 0, or an AMD_E* code with the reason. */
int amdi_tune_run(amdi_store *s, const char *account, const char *program, const char *spec, amdi_buf *out,
                  char *err, size_t errlen);

#endif
