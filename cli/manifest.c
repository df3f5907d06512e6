/* SPDX-License-Identifier: MIT */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "options.h"

static int parse_ms(const char *s, int64_t *out)
{
    while (*s == ' ')
        s++;
    if (!*s) {
        *out = -1;
        return 0;
    }
    double d;
    if (cli_parse_double(s, &d) || d < 0 || d > 1e12)
        return -1;
    *out = (int64_t)(d + 0.5);
    return 0;
}

static int parse_label(const char *s, amd_answered_by *out)
{
    if (!*s) {
        *out = AMD_ANSWERED_NONE;
        return 0;
    }
    return amd_answered_by_parse(s, out) == 0 ? 0 : -1;
}

/* The columns a manifest may have, in the order of cli_manifest.col. */
enum { C_FILE, C_ENABLE, C_DETECT_END, C_LABEL, C_SCENARIO, C_SPLIT, C_ONSET, C_GREETING_END,
       C_BEEP_START, C_BEEP_END, C_COUNT };
static const char *const col_names[C_COUNT] = {
    "file",     "answered_by_enable", "answered_by_detect_end", "label",         "scenario",
    "split",    "speech_onset_ms",    "greeting_end_ms",        "beep_start_ms", "beep_end_ms"};

/* Fill @p row from table row @p r, checking every cell: 0, or -1 with the reason (naming
 * @p path and the line) in err. */
static int fill_row(const cli_manifest *m, const cli_csv_row *r, cli_manifest_row *row,
                    const char *path, char *err, size_t errlen)
{
    const int *c = m->col;
    row->file = cli_csv_get(r, c[C_FILE]);
    if (!*row->file) {
        snprintf(err, errlen, "%s:%zu: empty `file` cell", path, r->line);
        return -1;
    }
    int len = row->file[0] == '/' || !m->dir[0]
                  ? snprintf(row->path, sizeof row->path, "%s", row->file)
                  : snprintf(row->path, sizeof row->path, "%s/%s", m->dir, row->file);
    if (len < 0 || (size_t)len >= sizeof row->path) {
        snprintf(err, errlen, "%s:%zu: the file's path is longer than %d bytes", path, r->line,
                 CLI_MANIFEST_PATH_MAX - 1);
        return -1;
    }
    row->label = cli_csv_get(r, c[C_LABEL]);
    row->scenario = cli_csv_get(r, c[C_SCENARIO]);
    row->split = cli_csv_get(r, c[C_SPLIT]);
    struct {
        int col;
        amd_answered_by *dst;
    } labels[] = {{C_ENABLE, &row->enable}, {C_DETECT_END, &row->detect_end}};
    for (size_t q = 0; q < sizeof labels / sizeof labels[0]; q++) {
        const char *s = cli_csv_get(r, c[labels[q].col]);
        if (parse_label(s, labels[q].dst)) {
            snprintf(err, errlen, "%s:%zu: %s '%.100s' is not a Twilio AnsweredBy value", path,
                     r->line, col_names[labels[q].col], s);
            return -1;
        }
    }
    struct {
        int col;
        int64_t *dst;
    } nums[] = {{C_ONSET, &row->speech_onset_ms},
                {C_GREETING_END, &row->greeting_end_ms},
                {C_BEEP_START, &row->beep_start_ms},
                {C_BEEP_END, &row->beep_end_ms}};
    for (size_t q = 0; q < sizeof nums / sizeof nums[0]; q++) {
        const char *s = cli_csv_get(r, c[nums[q].col]);
        if (parse_ms(s, nums[q].dst)) {
            snprintf(err, errlen, "%s:%zu: %s '%.100s' is not a time in ms", path, r->line,
                     col_names[nums[q].col], s);
            return -1;
        }
    }
    return 0;
}

/* The folder of @p path ("" for a bare name, "/" at the root); NULL when out of memory. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

int cli_manifest_load(const char *path, cli_manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (cli_csv_load(path, &m->table, err, errlen))
        return -1;
    for (int q = 0; q < C_COUNT; q++)
        m->col[q] = cli_csv_column(&m->table, col_names[q]);
    if (m->table.nrows == 0 || m->col[C_FILE] < 0) {
        snprintf(err, errlen, "%s: not a corpus manifest (no header row with a `file` column)", path);
        cli_manifest_free(m);
        return -1;
    }
    m->has_split = m->col[C_SPLIT] >= 0;
    m->dir = folder_of(path);
    cli_csv_row *r = malloc(sizeof *r);
    cli_manifest_row *row = malloc(sizeof *row);
    int rc = 0;
    if (!m->dir || !r || !row) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    for (size_t k = 1; rc == 0 && k < m->table.nrows; k++) {
        cli_csv_row_at(&m->table, k, r);
        rc = fill_row(m, r, row, path, err, errlen);
    }
    free(r);
    free(row);
    if (rc)
        cli_manifest_free(m);
    else
        m->n = m->table.nrows - 1;
    return rc;
}

void cli_manifest_row_at(const cli_manifest *m, size_t i, cli_manifest_row *row)
{
    cli_csv_row r;
    char err[1];
    cli_csv_row_at(&m->table, i + 1, &r);
    (void)fill_row(m, &r, row, "", err, sizeof err); /* checked at load: cannot fail */
}

void cli_manifest_free(cli_manifest *m)
{
    cli_csv_free(&m->table);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

typedef struct split_filter {
    int col;
    const char *split;
} split_filter;

static int keep_split(const cli_csv_row *row, size_t k, void *ctx)
{
    const split_filter *f = ctx;
    return k == 0 || strcmp(cli_csv_get(row, f->col), f->split) == 0; /* the header stays */
}

int cli_manifest_filter_split(cli_manifest *m, const char *split, char *err, size_t errlen)
{
    if (!m->has_split) {
        snprintf(err, errlen, "--split %s: the manifest has no `split` column", split);
        return -1;
    }
    split_filter f = {m->col[C_SPLIT], split};
    if (cli_csv_keep(&m->table, keep_split, &f)) {
        snprintf(err, errlen, "--split %s: out of memory", split);
        return -1;
    }
    m->n = m->table.nrows - 1;
    return 0;
}

long cli_manifest_segments(const cli_manifest *m, const cli_manifest_row *row, cli_segment **out,
                           char *err, size_t errlen)
{
    *out = NULL;
    /* segments/<file name>.csv. Accept the base name (what the corpus tools
     * write) and, for manifests whose files live in sub-folders, the relative path. */
    const char *base = strrchr(row->file, '/');
    base = base ? base + 1 : row->file;
    const char *names[2] = {base, row->file};
    char path[4096];
    int found = 0;
    for (int k = 0; k < 2 && !found; k++) {
        snprintf(path, sizeof path, "%s%ssegments/%s.csv", m->dir, m->dir[0] ? "/" : "", names[k]);
        found = access(path, R_OK) == 0;
    }
    if (!found)
        return -1;
    cli_csv t;
    if (cli_csv_load(path, &t, err, errlen))
        return -2;
    cli_segment *s = calloc(t.nrows ? t.nrows : 1, sizeof *s);
    cli_csv_row *r = malloc(sizeof *r);
    long n = 0;
    if (!s || !r) {
        free(s);
        free(r);
        cli_csv_free(&t);
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    for (size_t k = 0; k < t.nrows; k++) {
        cli_csv_row_at(&t, k, r);
        double a, b;
        if (cli_parse_double(cli_csv_get(r, 0), &a) || cli_parse_double(cli_csv_get(r, 1), &b)) {
            if (k == 0)
                continue; /* header row */
            snprintf(err, errlen, "%s:%zu: not a start_ms,end_ms pair", path, r->line);
            free(s);
            free(r);
            cli_csv_free(&t);
            return -2;
        }
        /* the same bounds as the manifest's own times (parse_ms): beyond them the cast to
         * int64 ms below overflows (found by fuzz_manifest with 1e200) */
        if (a < 0 || b > 1e12) {
            snprintf(err, errlen, "%s:%zu: segment times must be within 0..1e12 ms", path, r->line);
            free(s);
            free(r);
            cli_csv_free(&t);
            return -2;
        }
        if (b < a) {
            snprintf(err, errlen, "%s:%zu: segment ends before it starts", path, r->line);
            free(s);
            free(r);
            cli_csv_free(&t);
            return -2;
        }
        s[n].start_ms = (int64_t)(a + 0.5);
        s[n].end_ms = (int64_t)(b + 0.5);
        n++;
    }
    free(r);
    cli_csv_free(&t);
    *out = s;
    return n;
}
