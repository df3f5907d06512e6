/* SPDX-License-Identifier: MIT */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "options.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char *join_path(const char *dir, const char *file)
{
    if (file[0] == '/' || !dir[0])
        return dup_str(file);
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, file);
    return p;
}

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

int cli_manifest_load(const char *path, cli_manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    cli_csv t;
    if (cli_csv_load(path, &t, err, errlen))
        return -1;
    int rc = -1;
    int c_file = cli_csv_column(&t, "file");
    if (t.nrows == 0 || c_file < 0) {
        snprintf(err, errlen, "%s: not a corpus manifest (no header row with a `file` column)", path);
        goto out;
    }
    int c_en = cli_csv_column(&t, "answered_by_enable");
    int c_de = cli_csv_column(&t, "answered_by_detect_end");
    int c_label = cli_csv_column(&t, "label");
    int c_scen = cli_csv_column(&t, "scenario");
    int c_split = cli_csv_column(&t, "split");
    int c_on = cli_csv_column(&t, "speech_onset_ms");
    int c_ge = cli_csv_column(&t, "greeting_end_ms");
    int c_bs = cli_csv_column(&t, "beep_start_ms");
    int c_be = cli_csv_column(&t, "beep_end_ms");
    m->has_split = c_split >= 0;

    const char *slash = strrchr(path, '/');
    m->dir = slash ? malloc((size_t)(slash - path) + 2) : dup_str("");
    if (!m->dir)
        goto oom;
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (n == 0) {
            strcpy(m->dir, "/");
        } else {
            memcpy(m->dir, path, n);
            m->dir[n] = 0;
        }
    }
    m->rows = calloc(t.nrows, sizeof *m->rows);
    if (!m->rows)
        goto oom;
    for (size_t k = 1; k < t.nrows; k++) {
        const cli_csv_row *r = &t.rows[k];
        const char *file = cli_csv_get(r, c_file);
        if (!*file) {
            snprintf(err, errlen, "%s:%zu: empty `file` cell", path, r->line);
            goto out;
        }
        cli_manifest_row *row = &m->rows[m->n];
        memset(row, 0, sizeof *row);
        m->n++;
        row->file = dup_str(file);
        row->path = join_path(m->dir, file);
        row->label = dup_str(cli_csv_get(r, c_label));
        row->scenario = dup_str(cli_csv_get(r, c_scen));
        row->split = dup_str(cli_csv_get(r, c_split));
        if (!row->file || !row->path || !row->label || !row->scenario || !row->split)
            goto oom;
        if (parse_label(cli_csv_get(r, c_en), &row->enable)) {
            snprintf(err, errlen, "%s:%zu: answered_by_enable '%.100s' is not a Twilio AnsweredBy value",
                     path, r->line, cli_csv_get(r, c_en));
            goto out;
        }
        if (parse_label(cli_csv_get(r, c_de), &row->detect_end)) {
            snprintf(err, errlen,
                     "%s:%zu: answered_by_detect_end '%.100s' is not a Twilio AnsweredBy value", path,
                     r->line, cli_csv_get(r, c_de));
            goto out;
        }
        struct {
            int col;
            int64_t *dst;
            const char *name;
        } nums[] = {{c_on, &row->speech_onset_ms, "speech_onset_ms"},
                    {c_ge, &row->greeting_end_ms, "greeting_end_ms"},
                    {c_bs, &row->beep_start_ms, "beep_start_ms"},
                    {c_be, &row->beep_end_ms, "beep_end_ms"}};
        for (size_t q = 0; q < sizeof nums / sizeof nums[0]; q++) {
            if (parse_ms(cli_csv_get(r, nums[q].col), nums[q].dst)) {
                snprintf(err, errlen, "%s:%zu: %s '%.100s' is not a time in ms", path, r->line,
                         nums[q].name, cli_csv_get(r, nums[q].col));
                goto out;
            }
        }
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
out:
    cli_csv_free(&t);
    if (rc)
        cli_manifest_free(m);
    return rc;
}

static void row_free(cli_manifest_row *r)
{
    free(r->file);
    free(r->path);
    free(r->label);
    free(r->scenario);
    free(r->split);
}

void cli_manifest_free(cli_manifest *m)
{
    for (size_t k = 0; k < m->n; k++)
        row_free(&m->rows[k]);
    free(m->rows);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

int cli_manifest_filter_split(cli_manifest *m, const char *split, char *err, size_t errlen)
{
    if (!m->has_split) {
        snprintf(err, errlen, "--split %s: the manifest has no `split` column", split);
        return -1;
    }
    size_t w = 0;
    for (size_t k = 0; k < m->n; k++) {
        if (strcmp(m->rows[k].split, split) == 0)
            m->rows[w++] = m->rows[k];
        else
            row_free(&m->rows[k]);
    }
    m->n = w;
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
    long n = 0;
    if (!s) {
        cli_csv_free(&t);
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    for (size_t k = 0; k < t.nrows; k++) {
        const cli_csv_row *r = &t.rows[k];
        double a, b;
        if (cli_parse_double(cli_csv_get(r, 0), &a) || cli_parse_double(cli_csv_get(r, 1), &b)) {
            if (k == 0)
                continue; /* header row */
            snprintf(err, errlen, "%s:%zu: not a start_ms,end_ms pair", path, r->line);
            free(s);
            cli_csv_free(&t);
            return -2;
        }
        /* the same bounds as the manifest's own times (parse_ms): beyond them the cast to
         * int64 ms below overflows (found by fuzz_manifest with 1e200) */
        if (a < 0 || b > 1e12) {
            snprintf(err, errlen, "%s:%zu: segment times must be within 0..1e12 ms", path, r->line);
            free(s);
            cli_csv_free(&t);
            return -2;
        }
        if (b < a) {
            snprintf(err, errlen, "%s:%zu: segment ends before it starts", path, r->line);
            free(s);
            cli_csv_free(&t);
            return -2;
        }
        s[n].start_ms = (int64_t)(a + 0.5);
        s[n].end_ms = (int64_t)(b + 0.5);
        n++;
    }
    cli_csv_free(&t);
    *out = s;
    return n;
}
