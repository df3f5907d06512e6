/* SPDX-License-Identifier: MIT */
#include "csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Manifests of a million rows are ~100 MB; beyond this a CSV is not one of ours. */
#define CLI_CSV_MAX_BYTES ((long)1 << 30)

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_put(buf *b, char c)
{
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = c;
    return 0;
}

static int row_push(cli_csv_row *r, size_t *cap, const char *s, size_t len)
{
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        char **f = realloc(r->f, nc * sizeof *f);
        if (!f)
            return -1;
        r->f = f;
        *cap = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = 0;
    r->f[r->n++] = copy;
    return 0;
}

static int table_push(cli_csv *t, size_t *cap, cli_csv_row *r)
{
    if (t->nrows == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        cli_csv_row *rows = realloc(t->rows, nc * sizeof *rows);
        if (!rows)
            return -1;
        t->rows = rows;
        *cap = nc;
    }
    t->rows[t->nrows++] = *r;
    return 0;
}

static void row_free(cli_csv_row *r)
{
    for (size_t k = 0; k < r->n; k++)
        free(r->f[k]);
    free(r->f);
    r->f = NULL;
    r->n = 0;
}

int cli_csv_load(const char *path, cli_csv *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    buf field = {0};
    cli_csv_row row = {0};
    size_t row_cap = 0, tab_cap = 0, line = 1;
    int in_quotes = 0, field_started = 0, rc = 0;
    long bytes = 0;
    row.line = 1;
    for (;;) {
        int c = fgetc(fp);
        if (c != EOF && ++bytes > CLI_CSV_MAX_BYTES) {
            snprintf(err, errlen, "%s: larger than %ld MiB", path, CLI_CSV_MAX_BYTES >> 20);
            rc = -1;
            break;
        }
        if (c == 0) {
            snprintf(err, errlen, "%s:%zu: binary data (NUL byte), not a CSV file", path, line);
            rc = -1;
            break;
        }
        if (in_quotes) {
            if (c == EOF) {
                snprintf(err, errlen, "%s:%zu: unterminated quoted field", path, row.line);
                rc = -1;
                break;
            }
            if (c == '"') {
                int d = fgetc(fp);
                if (d == '"') {
                    if (buf_put(&field, '"'))
                        goto oom;
                    continue;
                }
                in_quotes = 0;
                if (d != EOF)
                    ungetc(d, fp);
                continue;
            }
            if (c == '\n')
                line++;
            if (buf_put(&field, (char)c))
                goto oom;
            continue;
        }
        if (c == '"' && field.n == 0 && !field_started) {
            in_quotes = 1;
            field_started = 1;
            continue;
        }
        if (c == ',' ) {
            if (row_push(&row, &row_cap, field.p ? field.p : "", field.n))
                goto oom;
            field.n = 0;
            field_started = 0;
            continue;
        }
        if (c == '\r')
            continue;
        if (c == '\n' || c == EOF) {
            int blank = row.n == 0 && field.n == 0 && !field_started;
            if (!blank) {
                if (row_push(&row, &row_cap, field.p ? field.p : "", field.n))
                    goto oom;
                if (table_push(out, &tab_cap, &row))
                    goto oom;
                memset(&row, 0, sizeof row);
                row_cap = 0;
            }
            field.n = 0;
            field_started = 0;
            if (c == EOF)
                break;
            line++;
            row.line = line;
            continue;
        }
        if (buf_put(&field, (char)c))
            goto oom;
        field_started = 1;
    }
    fclose(fp);
    free(field.p);
    row_free(&row);
    if (rc)
        cli_csv_free(out);
    return rc;
oom:
    fclose(fp);
    free(field.p);
    row_free(&row);
    cli_csv_free(out);
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
}

void cli_csv_free(cli_csv *t)
{
    for (size_t k = 0; k < t->nrows; k++)
        row_free(&t->rows[k]);
    free(t->rows);
    t->rows = NULL;
    t->nrows = 0;
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
