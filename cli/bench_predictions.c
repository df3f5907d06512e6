/* SPDX-License-Identifier: MIT */
/* `amd bench --predictions`: another engine's answers, read from a CSV and matched to the
 * manifest's rows. */
#include "bench_predictions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "options.h"

int cli_predictions_load(const char *path, const cli_manifest *man, cli_answer *out, int *any_end, char *err,
                         size_t errlen)
{
    cli_csv t;
    if (cli_csv_load(path, &t, err, errlen))
        return -1;
    int cf = cli_csv_column(&t, "file"), ca = cli_csv_column(&t, "answered_by"),
        cd = cli_csv_column(&t, "duration_ms");
    if (cd < 0)
        cd = cli_csv_column(&t, "machine_detection_duration_ms");
    if (cf < 0 || ca < 0 || cd < 0) {
        snprintf(err, errlen, "%s: needs a header row with file, answered_by, duration_ms", path);
        cli_csv_free(&t);
        return -1;
    }
    for (size_t i = 0; i < man->n; i++) {
        out[i].ab = AMD_ANSWERED_NONE;
        out[i].ms = -1;
    }
    unsigned char *taken = calloc(man->n ? man->n : 1, 1);
    const char **files = calloc(man->n ? man->n : 1, sizeof *files); /* each row's file cell */
    cli_manifest_row *mrow = malloc(sizeof *mrow);
    cli_csv_row *row = malloc(sizeof *row);
    if (!taken || !files || !mrow || !row) {
        free(taken);
        free(files);
        free(mrow);
        free(row);
        cli_csv_free(&t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < man->n; i++) {
        cli_manifest_row_at(man, i, mrow);
        files[i] = mrow->file; /* points into the manifest */
    }
    int rc = 0, unmatched = 0;
    *any_end = 0;
    for (size_t k = 1; k < t.nrows; k++) {
        cli_csv_row_at(&t, k, row);
        const char *file = cli_csv_get(row, cf), *ab = cli_csv_get(row, ca), *d = cli_csv_get(row, cd);
        amd_answered_by a;
        double ms;
        if (amd_answered_by_parse(ab, &a)) {
            snprintf(err, errlen, "%s:%zu: answered_by '%s' is not a Twilio AnsweredBy value", path,
                     row->line, ab);
            rc = -1;
            break;
        }
        if (cli_parse_double(d, &ms) || ms < 0) {
            snprintf(err, errlen, "%s:%zu: duration_ms '%s' is not a time in ms", path, row->line, d);
            rc = -1;
            break;
        }
        if (a >= AMD_ANSWERED_MACHINE_END_BEEP && a <= AMD_ANSWERED_MACHINE_END_OTHER)
            *any_end = 1;
        const char *fb = strrchr(file, '/');
        fb = fb ? fb + 1 : file;
        size_t hit = man->n;
        for (size_t i = 0; i < man->n && hit == man->n; i++)
            if (!taken[i] && strcmp(files[i], file) == 0)
                hit = i;
        for (size_t i = 0; i < man->n && hit == man->n; i++) {
            const char *mb = strrchr(files[i], '/');
            mb = mb ? mb + 1 : files[i];
            if (!taken[i] && strcmp(mb, fb) == 0)
                hit = i;
        }
        if (hit == man->n) {
            unmatched++;
            continue;
        }
        taken[hit] = 1;
        out[hit].ab = a;
        out[hit].ms = (int64_t)llround(ms);
    }
    if (!rc) {
        size_t missing = 0;
        for (size_t i = 0; i < man->n; i++)
            missing += !taken[i];
        if (unmatched)
            fprintf(stderr, "amd bench: %s: %d answer%s for files not in the manifest (ignored)\n",
                    path, unmatched, unmatched == 1 ? "" : "s");
        if (missing)
            fprintf(stderr, "amd bench: %s: no answer for %zu manifest file%s (scored as wrong)\n",
                    path, missing, missing == 1 ? "" : "s");
    }
    free(taken);
    free(files);
    free(mrow);
    free(row);
    cli_csv_free(&t);
    return rc;
}

