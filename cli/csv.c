/* SPDX-License-Identifier: MIT */
#include "csv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Manifests of a million rows are ~100 MB; beyond this a CSV is not one of ours. */
#define CLI_CSV_MAX_BYTES ((long)1 << 30)

/* A growing array of bytes or pointers; offsets (not pointers) are kept while loading, since
 * the arrays move as they grow. */
typedef struct arr {
    char *p;
    size_t n, cap; /* in bytes */
} arr;

static int arr_put(arr *a, const void *src, size_t len)
{
    if (a->n + len > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->n + len)
            cap *= 2;
        char *p = realloc(a->p, cap);
        if (!p)
            return -1;
        a->p = p;
        a->cap = cap;
    }
    memcpy(a->p + a->n, src, len);
    a->n += len;
    return 0;
}

typedef struct loader {
    arr text, offs, rows; /* field bytes; field offsets into text (size_t); cli_csv_row records */
    size_t row_first;     /* index in offs of this row's first field */
    size_t row_n;         /* fields in this row so far */
    size_t field_start;   /* offset in text of the field being read */
    int row_nonempty;     /* some field of this row has a byte */
} loader;

/* End the field being read (its bytes are text[field_start..]). */
static int end_field(loader *L)
{
    char nul = 0;
    size_t off = L->field_start;
    if (L->text.n > off)
        L->row_nonempty = 1;
    if (arr_put(&L->text, &nul, 1) || arr_put(&L->offs, &off, sizeof off))
        return -1;
    L->row_n++;
    L->field_start = L->text.n;
    return 0;
}

/* End the row; rows of only empty fields are dropped like blank lines. */
static int end_row(loader *L, size_t line)
{
    if (!L->row_nonempty) {
        L->offs.n = L->row_first * sizeof(size_t);
        L->text.n = L->field_start = L->text.n - L->row_n; /* the NULs of the empty fields */
    } else {
        cli_csv_row r = {.n = L->row_n, .f = (char **)(uintptr_t)L->row_first, .line = line};
        if (arr_put(&L->rows, &r, sizeof r))
            return -1;
    }
    L->row_first = L->offs.n / sizeof(size_t);
    L->row_n = 0;
    L->row_nonempty = 0;
    return 0;
}

/* Turn the offsets into the pointers of the public structure, in place. */
static void finish_table(loader *L, cli_csv *out)
{
    size_t nf = L->offs.n / sizeof(size_t);
    size_t *offs = (size_t *)(void *)L->offs.p;
    char **ptrs = (char **)(void *)L->offs.p; /* same size: rewritten front to back */
    for (size_t k = 0; k < nf; k++)
        ptrs[k] = L->text.p + offs[k];
    out->text = L->text.p;
    out->ptrs = ptrs;
    out->rows = (cli_csv_row *)(void *)L->rows.p;
    out->nrows = L->rows.n / sizeof(cli_csv_row);
    for (size_t k = 0; k < out->nrows; k++)
        out->rows[k].f = ptrs + (uintptr_t)out->rows[k].f;
}

int cli_csv_load(const char *path, cli_csv *out, char *err, size_t errlen)
{
    _Static_assert(sizeof(size_t) == sizeof(char *), "offsets are rewritten into pointers in place");
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%.200s: %s", path, strerror(errno));
        return -1;
    }
    loader L;
    memset(&L, 0, sizeof L);
    size_t line = 1, row_line = 1;
    int in_quotes = 0, field_started = 0, rc = 0;
    long bytes = 0;
    for (;;) {
        int c = getc(fp);
        if (c != EOF && ++bytes > CLI_CSV_MAX_BYTES) {
            snprintf(err, errlen, "%.200s: larger than %ld MiB", path, CLI_CSV_MAX_BYTES >> 20);
            rc = -1;
            break;
        }
        if (c == 0) {
            snprintf(err, errlen, "%.200s:%zu: binary data (NUL byte), not a CSV file", path, line);
            rc = -1;
            break;
        }
        int literal = 0; /* c is a byte of the field */
        if (in_quotes) {
            if (c == EOF) {
                snprintf(err, errlen, "%.200s:%zu: unterminated quoted field", path, row_line);
                rc = -1;
                break;
            }
            if (c == '"') {
                int d = getc(fp);
                if (d != '"') {
                    in_quotes = 0;
                    if (d != EOF)
                        ungetc(d, fp);
                    continue;
                }
            } else if (c == '\n') {
                line++;
            }
            literal = 1;
        } else if (c == '"' && L.text.n == L.field_start && !field_started) {
            in_quotes = 1;
            field_started = 1;
            continue;
        } else if (c == ',') {
            if (L.row_n + 1 >= CLI_CSV_MAX_FIELDS) {
                snprintf(err, errlen, "%.200s:%zu: more than %d fields in a row", path, row_line, CLI_CSV_MAX_FIELDS);
                rc = -1;
                break;
            }
            if (end_field(&L))
                goto oom;
            field_started = 0;
            continue;
        } else if (c == '\r') {
            continue;
        } else if (c == '\n' || c == EOF) {
            int blank = L.row_n == 0 && L.text.n == L.field_start && !field_started;
            if (!blank && (end_field(&L) || end_row(&L, row_line)))
                goto oom;
            field_started = 0;
            if (c == EOF)
                break;
            line++;
            row_line = line;
            continue;
        } else {
            literal = 1;
            field_started = 1;
        }
        if (literal) {
            if (L.text.n - L.field_start >= CLI_CSV_MAX_CELL) {
                snprintf(err, errlen, "%.200s:%zu: a field longer than %d bytes", path, row_line, CLI_CSV_MAX_CELL);
                rc = -1;
                break;
            }
            char ch = (char)c;
            if (arr_put(&L.text, &ch, 1))
                goto oom;
        }
    }
    fclose(fp);
    if (rc) {
        free(L.text.p);
        free(L.offs.p);
        free(L.rows.p);
        return rc;
    }
    finish_table(&L, out);
    return 0;
oom:
    fclose(fp);
    free(L.text.p);
    free(L.offs.p);
    free(L.rows.p);
    snprintf(err, errlen, "%.200s: out of memory", path);
    return -1;
}

void cli_csv_free(cli_csv *t)
{
    free(t->rows);
    free(t->ptrs);
    free(t->text);
    memset(t, 0, sizeof *t);
}

int cli_csv_column(const cli_csv *t, const char *name)
{
    if (t->nrows == 0)
        return -1;
    const cli_csv_row *h = &t->rows[0];
    for (size_t k = 0; k < h->n; k++) {
        const char *s = h->f[k];
        /* a UTF-8 byte-order mark on the first header cell */
        if (k == 0 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF)
            s += 3;
        while (*s == ' ')
            s++;
        size_t len = strlen(s);
        while (len && s[len - 1] == ' ')
            len--;
        if (len == strlen(name) && strncasecmp(s, name, len) == 0)
            return (int)k;
    }
    return -1;
}

const char *cli_csv_get(const cli_csv_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->n)
        return "";
    return row->f[col];
}
