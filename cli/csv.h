/* SPDX-License-Identifier: MIT */
/* A small RFC 4180 CSV reader (quoted fields, "" escapes, CRLF) for manifests,
 * segment files and prediction files. */
#ifndef AMD_CLI_CSV_H
#define AMD_CLI_CSV_H

#include <stddef.h>

/* Limits: a cell longer than a path (4096 bytes) or a row of more than 1024 fields is not one
 * of our CSVs; they are refused naming the line. */
#define CLI_CSV_MAX_CELL 4096
#define CLI_CSV_MAX_FIELDS 1024

/* One row, materialised from the table by cli_csv_row_at: the field pointers point into the
 * table (valid until it is freed), the array lives here. */
typedef struct cli_csv_row {
    size_t n;
    const char *f[CLI_CSV_MAX_FIELDS]; /* fields, NUL-terminated */
    size_t line;                       /* 1-based line number where the row starts */
} cli_csv_row;

/* The rows are stored compactly so that memory stays a small multiple of the file whatever
 * its shape: back to back, each a one-byte header (its field count; longer form for wide rows
 * or rows after blank lines) followed by its fields, NUL-terminated. An index of every 16th
 * row's offset and line gives random access. A 1-byte row ("x\n") costs 3 bytes + 1 of index. */
typedef struct cli_csv {
    size_t nrows;
    unsigned char *data; /* the rows */
    size_t len;          /* bytes in data */
    size_t *index;       /* per 16 rows: offset in data, line of that row */
} cli_csv;

/* Read a whole CSV file (blank lines and rows of only empty fields skipped). 0, or -1 with
 * the reason in err. */
int cli_csv_load(const char *path, cli_csv *out, char *err, size_t errlen);
void cli_csv_free(cli_csv *t);
/* Row @p k (< t->nrows) into @p row. */
void cli_csv_row_at(const cli_csv *t, size_t k, cli_csv_row *row);
/* Keep only the rows for which @p keep returns non-zero (they keep their line numbers).
 * 0, or -1 when out of memory (the table unchanged). */
int cli_csv_keep(cli_csv *t, int (*keep)(const cli_csv_row *row, size_t k, void *ctx), void *ctx);
/* Column index of @p name in row 0 (the header), trimmed and case-insensitive; -1 if absent. */
int cli_csv_column(const cli_csv *t, const char *name);
/* Field @p col of @p row, or "" when the row is short or col < 0. */
const char *cli_csv_get(const cli_csv_row *row, int col);

#endif
