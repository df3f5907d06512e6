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

/* A growing array of bytes. */
typedef struct arr {
    unsigned char *p;
    size_t n, cap; /* in bytes */
} arr;

static int arr_put(arr *a, const void *src, size_t len)
{
    if (a->n + len > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->n + len)
            cap *= 2;
        unsigned char *p = realloc(a->p, cap);
        if (!p)
            return -1;
        a->p = p;
        a->cap = cap;
    }
    memcpy(a->p + a->n, src, len);
    a->n += len;
    return 0;
}

/* Every CLI_CSV_STRIDE-th row is in the index; reaching another row decodes at most that many. */
#define CLI_CSV_STRIDE 16
#define LONG_HEADER 0x80 /* then the field count and the line step as LEB128 varints */

static int put_varint(arr *a, size_t v)
{
    unsigned char b[10];
    size_t n = 0;
    do {
        b[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return arr_put(a, b, n);
}

static size_t get_varint(const unsigned char *d, size_t *p)
{
    size_t v = 0;
    unsigned shift = 0;
    unsigned char b;
    do {
        b = d[(*p)++];
        v |= (size_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    return v;
}

/* The table being written: rows, index, and the line of the last row (for the steps). */
typedef struct writer {
    arr data, index;
    size_t nrows, prev_line;
} writer;

/* Append a row of @p n fields starting at @p line; @p bytes are its fields, NUL-terminated. */
static int append_row(writer *w, size_t n, size_t line, const void *bytes, size_t len)
{
    if (w->nrows % CLI_CSV_STRIDE == 0) {
        size_t e[2] = {w->data.n, line};
        if (arr_put(&w->index, e, sizeof e))
            return -1;
    }
    size_t step = line - w->prev_line;
    unsigned char h = (unsigned char)n;
    if (n < LONG_HEADER && step == 1) {
        if (arr_put(&w->data, &h, 1))
            return -1;
    } else {
        h = LONG_HEADER;
        if (arr_put(&w->data, &h, 1) || put_varint(&w->data, n) || put_varint(&w->data, step))
            return -1;
    }
    if (arr_put(&w->data, bytes, len))
        return -1;
    w->nrows++;
    w->prev_line = line;
    return 0;
}

static void writer_free(writer *w)
{
    free(w->data.p);
    free(w->index.p);
}

static void writer_finish(writer *w, cli_csv *out)
{
    out->data = w->data.p;
    out->len = w->data.n;
    out->index = (size_t *)(void *)w->index.p;
    out->nrows = w->nrows;
}

/* Decode the row at *p (*line: the previous row's line), moving both past it. */
static void decode_row(const cli_csv *t, size_t *p, size_t *line, cli_csv_row *row)
{
    const unsigned char *d = t->data;
    size_t n = d[(*p)++], step = 1;
    if (n == LONG_HEADER) {
        n = get_varint(d, p);
        step = get_varint(d, p);
    }
    *line += step;
    row->line = *line;
    row->n = n;
    for (size_t k = 0; k < n; k++) {
        row->f[k] = (const char *)d + *p;
        *p += strlen(row->f[k]) + 1;
    }
}

void cli_csv_row_at(const cli_csv *t, size_t k, cli_csv_row *row)
{
    size_t i = k / CLI_CSV_STRIDE;
    size_t p = t->index[2 * i], line = 0;
    decode_row(t, &p, &line, row);
    line = row->line = t->index[2 * i + 1];
    for (size_t j = i * CLI_CSV_STRIDE; j < k; j++)
        decode_row(t, &p, &line, row);
}

int cli_csv_keep(cli_csv *t, int (*keep)(const cli_csv_row *row, size_t k, void *ctx), void *ctx)
{
    cli_csv_row *row = malloc(sizeof *row);
    writer w;
    memset(&w, 0, sizeof w);
    if (!row)
        return -1;
    size_t p = 0, line = 0;
    for (size_t k = 0; k < t->nrows; k++) {
        decode_row(t, &p, &line, row);
        if (!keep(row, k, ctx))
            continue;
        const unsigned char *first = (const unsigned char *)row->f[0]; /* stored rows have n >= 1 */
        if (append_row(&w, row->n, row->line, first, (size_t)(t->data + p - first))) {
            writer_free(&w);
            free(row);
            return -1;
        }
    }
    free(row);
    cli_csv_free(t);
    writer_finish(&w, t);
    return 0;
}

/* The row being read: its fields' bytes, NUL-terminated, before they join the table. */
typedef struct loader {
    writer w;
    arr row;            /* this row's fields */
    size_t row_n;       /* fields in this row so far */
    size_t field_start; /* offset in row of the field being read */
    int row_nonempty;   /* some field of this row has a byte */
} loader;

/* End the field being read (its bytes are row[field_start..]). */
static int end_field(loader *L)
{
    char nul = 0;
    if (L->row.n > L->field_start)
        L->row_nonempty = 1;
    if (arr_put(&L->row, &nul, 1))
        return -1;
    L->row_n++;
    L->field_start = L->row.n;
    return 0;
}

/* End the row; rows of only empty fields are dropped like blank lines. */
static int end_row(loader *L, size_t line)
{
    if (L->row_nonempty && append_row(&L->w, L->row_n, line, L->row.p, L->row.n))
        return -1;
    L->row.n = L->field_start = 0;
    L->row_n = 0;
    L->row_nonempty = 0;
    return 0;
}

int cli_csv_load(const char *path, cli_csv *out, char *err, size_t errlen)
{
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
        } else if (c == '"' && L.row.n == L.field_start && !field_started) {
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
            int blank = L.row_n == 0 && L.row.n == L.field_start && !field_started;
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
            if (L.row.n - L.field_start >= CLI_CSV_MAX_CELL) {
                snprintf(err, errlen, "%.200s:%zu: a field longer than %d bytes", path, row_line, CLI_CSV_MAX_CELL);
                rc = -1;
                break;
            }
            char ch = (char)c;
            if (arr_put(&L.row, &ch, 1))
                goto oom;
        }
    }
    fclose(fp);
    free(L.row.p);
    if (rc) {
        writer_free(&L.w);
        return rc;
    }
    writer_finish(&L.w, out);
    return 0;
oom:
    fclose(fp);
    free(L.row.p);
    writer_free(&L.w);
    snprintf(err, errlen, "%.200s: out of memory", path);
    return -1;
}

void cli_csv_free(cli_csv *t)
{
    free(t->data);
    free(t->index);
    memset(t, 0, sizeof *t);
}

int cli_csv_column(const cli_csv *t, const char *name)
{
    if (t->nrows == 0)
        return -1;
    cli_csv_row *h = malloc(sizeof *h);
    if (!h)
        return -1;
    cli_csv_row_at(t, 0, h);
    int col = -1;
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
        if (len == strlen(name) && strncasecmp(s, name, len) == 0) {
            col = (int)k;
            break;
        }
    }
    free(h);
    return col;
}

const char *cli_csv_get(const cli_csv_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->n)
        return "";
    return row->f[col];
}
