/* SPDX-License-Identifier: MIT */
/* Corpus manifests (the format bench/corpus/build_corpus.py writes, bench/README.md): a CSV with a header row; paths relative to
 * the manifest's folder; optional segments/<file name>.csv with true speech segments. */
#ifndef AMD_CLI_MANIFEST_H
#define AMD_CLI_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"

#include "csv.h"

/* Room for the manifest's folder, a slash and a file cell; longer is refused at load. */
#define CLI_MANIFEST_PATH_MAX (2 * CLI_CSV_MAX_CELL + 2)

/* One row, materialised by cli_manifest_row_at: the strings point into the manifest (valid
 * until it is freed), the resolved path lives here. */
typedef struct cli_manifest_row {
    const char *file;                    /* as written in the manifest */
    char path[CLI_MANIFEST_PATH_MAX];    /* resolved against the manifest's folder */
    amd_answered_by enable;              /* answered_by_enable, AMD_ANSWERED_NONE if empty */
    amd_answered_by detect_end;          /* answered_by_detect_end, NONE if empty */
    const char *label, *scenario, *split; /* "" when absent */
    int64_t speech_onset_ms, greeting_end_ms, beep_start_ms, beep_end_ms; /* -1 when empty */
} cli_manifest_row;

/* The rows stay in the compact CSV table they were read into (header first, every row
 * checked at load), so a manifest costs a small multiple of its file whatever its shape. */
typedef struct cli_manifest {
    size_t n;           /* rows (files), not counting the header */
    cli_csv table;      /* the header, then row k of the manifest is table row k + 1 */
    char *dir;          /* the manifest's folder */
    int has_split;      /* the manifest has a split column */
    int col[10];        /* column of each known field (-1 when absent), see manifest.c */
} cli_manifest;

/* Load and check a manifest: the `file` column must exist and every expected value must be
 * a valid Twilio AnsweredBy for its column. 0 or -1 (reason, with line, in err). */
int cli_manifest_load(const char *path, cli_manifest *m, char *err, size_t errlen);
void cli_manifest_free(cli_manifest *m);
/* Row @p i (< m->n) of a loaded manifest into @p row. */
void cli_manifest_row_at(const cli_manifest *m, size_t i, cli_manifest_row *row);

/* Keep only rows whose split equals @p split. -1 if the manifest has no split column. */
int cli_manifest_filter_split(cli_manifest *m, const char *split, char *err, size_t errlen);

typedef struct cli_segment {
    int64_t start_ms, end_ms;
} cli_segment;

/* Load the true speech segments of @p row: segments/<file name>.csv beside the manifest.
 * @return number of segments (>= 0), -1 when the file has no segments file, -2 on a
 * malformed file (reason in err). *out is malloc'd (free it). */
long cli_manifest_segments(const cli_manifest *m, const cli_manifest_row *row, cli_segment **out,
                           char *err, size_t errlen);

#endif
