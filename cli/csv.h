/* SPDX-License-Identifier: MIT */
/* A small RFC 4180 CSV reader (quoted fields, "" escapes, CRLF) for manifests,
 * segment files and prediction files. */
#ifndef AMD_CLI_CSV_H
#define AMD_CLI_CSV_H

#include <stddef.h>

typedef struct cli_csv_row {
    size_t n;
    char **f;   /* fields, NUL-terminated, owned by the table */
    size_t line; /* 1-based line number where the row starts */
} cli_csv_row;

typedef struct cli_csv {
    size_t nrows;
    cli_csv_row *rows;
    char *text;  /* every field, NUL-terminated, back to back (rows' f point here) */
    char **ptrs; /* every row's field pointers, back to back */
} cli_csv;

/* Limits: a cell longer than a path (4096 bytes) or a row of more than 1024 fields is not one
 * of our CSVs; they are refused naming the line, so memory stays within a small multiple of
 * the file (the fields' bytes, one pointer per field, one row record per row). */
#define CLI_CSV_MAX_CELL 4096
#define CLI_CSV_MAX_FIELDS 1024

/* Read a whole CSV file (blank lines and rows of only empty fields skipped). 0, or -1 with
 * the reason in err. */
int cli_csv_load(const char *path, cli_csv *out, char *err, size_t errlen);
void cli_csv_free(cli_csv *t);
/* Column index of @p name in row 0 (the header), trimmed and case-insensitive; -1 if absent. */
int cli_csv_column(const cli_csv *t, const char *name);
/* Field @p col of @p row, or "" when the row is short or col < 0. */
const char *cli_csv_get(const cli_csv_row *row, int col);

#endif
