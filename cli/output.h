/* SPDX-License-Identifier: MIT */
/* Result rows for `amd classify`: an aligned table for people, JSON lines and CSV for
 * programs. JSON keys and CSV columns are the documented names (amd classify --help), in that order, then extras. */
#ifndef AMD_CLI_OUTPUT_H
#define AMD_CLI_OUTPUT_H

#include <stdio.h>

#include "amd/detector.h"
#include "feed.h"

typedef enum cli_format { CLI_FMT_AUTO = 0, CLI_FMT_TABLE, CLI_FMT_JSON, CLI_FMT_CSV } cli_format;

/* "table", "json", "csv". 0 or -1. */
int cli_format_parse(const char *s, cli_format *out);

typedef struct cli_output {
    FILE *out;
    cli_format fmt;
    int file_width;      /* table: width of the file column */
    int with_expected;   /* add `expected` and `correct` (--manifest) */
} cli_output;

void cli_output_header(const cli_output *o);
/* One classified file. @p expected: the manifest's truth for the mode (NULL without one). */
void cli_output_row(const cli_output *o, const char *file, const cli_outcome *r,
                    const amd_config *cfg, const char *expected);

/* JSON string literal with escapes, to @p out. */
void cli_json_string(FILE *out, const char *s);
/* CSV field, quoted when needed. */
void cli_csv_field(FILE *out, const char *s);

#endif
