/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the CLI's corpus-manifest reader (`amd bench` / `amd classify --manifest`: cli/csv.c,
 * cli/manifest.c: every entry point rejects bad input clearly). The CLI is
 * not a library, so this harness compiles those sources itself.
 *
 * Input: manifest CSV, then optionally a NUL byte and the contents of segments/a.wav.csv (the
 * true speech segments of a row whose file is "a.wav"). Both are written to a private folder
 * (in /dev/shm when it exists) and read back through the real file API.
 *
 * Checked beyond the sanitizers: a rejection carries a message (short: echoed cells are
 * truncated); accepted tables keep the cell and field limits and hold no all-empty row; an accepted manifest has a
 * file and a resolved path on every row, expected values that are AnsweredBy values, times
 * that are -1 or >= 0; segments end no earlier than they start, or are rejected.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "manifest.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_manifest: contract broken: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char dir[128], mpath[192], spath[224];

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(p, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/fuzz_manifest.%ld", base, (long)getpid());
        char seg[160];
        snprintf(seg, sizeof seg, "%s/segments", dir);
        mkdir(dir, 0700);
        mkdir(seg, 0700);
        snprintf(mpath, sizeof mpath, "%s/manifest.csv", dir);
        snprintf(spath, sizeof spath, "%s/a.wav.csv", seg);
    }
    const uint8_t *z = memchr(data, 0, size);
    size_t mlen = z ? (size_t)(z - data) : size;
    write_file(mpath, data, mlen);
    if (z)
        write_file(spath, z + 1, size - mlen - 1);
    else
        unlink(spath);

    char err[256];
    cli_csv t;
    memset(err, 0, sizeof err);
    if (cli_csv_load(mpath, &t, err, sizeof err) == 0) {
        size_t last = 0;
        static cli_csv_row row;
        for (size_t i = 0; i < t.nrows; i++) {
            cli_csv_row_at(&t, i, &row);
            CHECK(row.n >= 1 && row.line > last);
            last = row.line;
            CHECK(row.n <= CLI_CSV_MAX_FIELDS);
            int nonempty = 0;
            for (size_t j = 0; j < row.n; j++) {
                CHECK(row.f[j] != NULL);
                CHECK(strlen(row.f[j]) <= CLI_CSV_MAX_CELL);
                nonempty |= row.f[j][0] != 0;
            }
            CHECK(nonempty); /* rows of only empty fields are skipped */
            CHECK(cli_csv_get(&row, -1)[0] == '\0');
            CHECK(cli_csv_get(&row, (int)row.n + 3)[0] == '\0');
        }
        (void)cli_csv_column(&t, "file");
        cli_csv_free(&t);
    } else {
        CHECK(err[0] != '\0');
    }

    cli_manifest m;
    memset(err, 0, sizeof err);
    if (cli_manifest_load(mpath, &m, err, sizeof err) != 0) {
        CHECK(err[0] != '\0');
        return 0;
    }
    for (size_t i = 0; i < m.n; i++) {
        static cli_manifest_row rowbuf;
        const cli_manifest_row *r = &rowbuf;
        cli_manifest_row_at(&m, i, &rowbuf);
        CHECK(r->file && r->path && r->label && r->scenario && r->split);
        CHECK(r->enable >= AMD_ANSWERED_NONE && r->enable <= AMD_ANSWERED_UNKNOWN);
        CHECK(r->detect_end >= AMD_ANSWERED_NONE && r->detect_end <= AMD_ANSWERED_UNKNOWN);
        CHECK(r->speech_onset_ms >= -1 && r->greeting_end_ms >= -1 && r->beep_start_ms >= -1 &&
              r->beep_end_ms >= -1);
        if (i < 4) {
            cli_segment *seg = NULL;
            long ns = cli_manifest_segments(&m, r, &seg, err, sizeof err);
            CHECK(ns >= -2);
            for (long k = 0; k < ns; k++)
                CHECK(seg[k].end_ms >= seg[k].start_ms);
            free(seg);
        }
    }
    if (m.has_split)
        CHECK(cli_manifest_filter_split(&m, "test", err, sizeof err) == 0);
    cli_manifest_free(&m);
    return 0;
}
