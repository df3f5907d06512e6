/* SPDX-License-Identifier: MIT */
/* The CLI's CSV reader and manifest loader (cli/csv.c, cli/manifest.c): what a user's
 * corpus manifest may look like (quotes, CRLF, BOM, blank lines, odd column order) and
 * the errors that name the bad line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "manifest.h"

Suite *cli_csv_suite(void);

static char dir[] = "/tmp/amd-check-cli-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void setup(void)
{
    strcpy(dir, "/tmp/amd-check-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Row k of a table / manifest, materialised into a buffer that the next call reuses. */
static const cli_csv_row *row_of(const cli_csv *t, size_t k)
{
    static cli_csv_row r;
    cli_csv_row_at(t, k, &r);
    return &r;
}

static const cli_manifest_row *mrow(const cli_manifest *m, size_t i)
{
    static cli_manifest_row r;
    cli_manifest_row_at(m, i, &r);
    return &r;
}

static int keep_odd(const cli_csv_row *row, size_t k, void *ctx)
{
    (void)row;
    (void)ctx;
    return k % 2;
}

/* Rows are stored compactly with an index of every 16th: every row reads back, in any order,
 * with its line (blank lines and embedded newlines between rows) and its width (a row of
 * 300 fields needs the long row header); cli_csv_keep keeps fields and lines. */
START_TEST(many_rows_read_back_in_any_order)
{
    enum { N = 100 };
    char *text = malloc(64 * 1024), *w = text;
    size_t line = 1, lines[N];
    for (int k = 0; k < N; k++) {
        lines[k] = line;
        if (k == 37) {
            for (int q = 0; q < 300; q++)
                w += sprintf(w, "c%d,", q);
            w += sprintf(w, "end\n");
            line++;
        } else if (k % 5 == 0) {
            w += sprintf(w, "\"r%d\nsecond\",x\n\n\n", k); /* 2 lines of row, 2 blank */
            line += 4;
        } else {
            w += sprintf(w, "r%d,y%d\n", k, k);
            line++;
        }
    }
    const char *p = write_file("many.csv", text);
    free(text);
    cli_csv t;
    char err[200], want[32];
    ck_assert_int_eq(cli_csv_load(p, &t, err, sizeof err), 0);
    ck_assert_uint_eq(t.nrows, N);
    for (int pass = 0; pass < 2; pass++) {
        for (int q = 0; q < N; q++) {
            int k = pass ? N - 1 - q : (q * 37) % N;
            const cli_csv_row *r = row_of(&t, (size_t)k);
            ck_assert_uint_eq(r->line, lines[k]);
            if (k == 37) {
                ck_assert_uint_eq(r->n, 301);
                ck_assert_str_eq(r->f[299], "c299");
                continue;
            }
            snprintf(want, sizeof want, k % 5 == 0 ? "r%d\nsecond" : "r%d", k);
            ck_assert_str_eq(r->f[0], want);
            ck_assert_uint_eq(r->n, 2);
        }
    }
    ck_assert_int_eq(cli_csv_keep(&t, keep_odd, NULL), 0);
    ck_assert_uint_eq(t.nrows, N / 2);
    for (size_t q = 0; q < N / 2; q++) {
        const cli_csv_row *r = row_of(&t, q);
        ck_assert_uint_eq(r->line, lines[2 * q + 1]);
        ck_assert_uint_eq(r->n, 2 * q + 1 == 37 ? 301 : 2);
    }
    cli_csv_free(&t);
}
END_TEST

START_TEST(quoted_fields_crlf_and_blank_lines)
{
    const char *p = write_file("a.csv", "\xEF\xBB\xBF" "file , label\r\n"
                                        "\"a,b.wav\",\"say \"\"hi\"\"\"\r\n\r\n"
                                        "\"multi\nline\",x\r\n"
                                        "last,\n");
    cli_csv t;
    char err[200];
    ck_assert_int_eq(cli_csv_load(p, &t, err, sizeof err), 0);
    ck_assert_uint_eq(t.nrows, 4);
    ck_assert_int_eq(cli_csv_column(&t, "FILE"), 0); /* BOM, spaces and case ignored */
    ck_assert_int_eq(cli_csv_column(&t, "label"), 1);
    ck_assert_int_eq(cli_csv_column(&t, "absent"), -1);
    ck_assert_str_eq(cli_csv_get(row_of(&t, 1), 0), "a,b.wav");
    ck_assert_str_eq(cli_csv_get(row_of(&t, 1), 1), "say \"hi\"");
    ck_assert_str_eq(cli_csv_get(row_of(&t, 2), 0), "multi\nline");
    ck_assert_uint_eq(row_of(&t, 3)->line, 6); /* line numbers count the embedded newline */
    ck_assert_str_eq(cli_csv_get(row_of(&t, 3), 1), "");
    ck_assert_str_eq(cli_csv_get(row_of(&t, 3), 9), ""); /* short rows read as empty */
    cli_csv_free(&t);
}
END_TEST

START_TEST(broken_csv_is_reported)
{
    cli_csv t;
    char err[200];
    const char *p = write_file("b.csv", "file\n\"never closed\n");
    ck_assert_int_eq(cli_csv_load(p, &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unterminated"));
    p = write_file("c.csv", "file\nabc\0def\n");
    FILE *f = fopen(p, "wb");
    fwrite("file\nab\0c\n", 1, 10, f);
    fclose(f);
    ck_assert_int_eq(cli_csv_load(p, &t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    snprintf(err, sizeof err, "%s/missing.csv", dir);
    ck_assert_int_eq(cli_csv_load(err, &t, err, sizeof err), -1);
}
END_TEST

START_TEST(manifest_columns_in_any_order)
{
    const char *p = write_file("m.csv",
        "scenario,beep_end_ms,file,answered_by_detect_end,answered_by_enable,split,greeting_end_ms\n"
        "mb,4300,sub/m1.wav,machine_end_beep,machine_start,test,4000\n"
        "hs,,h1.wav,human,human,train,\n");
    cli_manifest m;
    char err[200];
    ck_assert_msg(cli_manifest_load(p, &m, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_str_eq(mrow(&m, 0)->file, "sub/m1.wav");
    char want[600];
    snprintf(want, sizeof want, "%s/sub/m1.wav", dir); /* relative to the manifest's folder */
    ck_assert_str_eq(mrow(&m, 0)->path, want);
    ck_assert_int_eq(mrow(&m, 0)->enable, AMD_ANSWERED_MACHINE_START);
    ck_assert_int_eq(mrow(&m, 0)->detect_end, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_eq(mrow(&m, 0)->beep_end_ms, 4300);
    ck_assert_int_eq(mrow(&m, 0)->beep_start_ms, -1); /* absent column */
    ck_assert_int_eq(mrow(&m, 1)->beep_end_ms, -1);   /* empty cell */
    ck_assert_int_eq(mrow(&m, 1)->greeting_end_ms, -1);
    ck_assert_str_eq(mrow(&m, 1)->scenario, "hs");
    ck_assert_int_eq(cli_manifest_filter_split(&m, "test", err, sizeof err), 0);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_str_eq(mrow(&m, 0)->file, "sub/m1.wav");
    cli_manifest_free(&m);
}
END_TEST

START_TEST(manifest_errors_name_the_line)
{
    cli_manifest m;
    char err[300];
    const char *p = write_file("e1.csv", "file,answered_by_enable\nx.wav,robot\n");
    ck_assert_int_eq(cli_manifest_load(p, &m, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":2:"));
    ck_assert_ptr_nonnull(strstr(err, "robot"));
    p = write_file("e2.csv", "file,beep_end_ms\nx.wav,soon\n");
    ck_assert_int_eq(cli_manifest_load(p, &m, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "beep_end_ms"));
    p = write_file("e3.csv", "path,label\nx.wav,human\n");
    ck_assert_int_eq(cli_manifest_load(p, &m, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "`file`"));
    p = write_file("e4.csv", "file,label\nx.wav,human\n");
    ck_assert_int_eq(cli_manifest_load(p, &m, err, sizeof err), 0);
    ck_assert_int_eq(cli_manifest_filter_split(&m, "test", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "split"));
    cli_manifest_free(&m);
}
END_TEST

START_TEST(segments_beside_the_manifest)
{
    char manifest[512];
    snprintf(manifest, sizeof manifest, "%s", write_file("s.csv", "file\nsub/a.wav\nb.wav\nc.wav\n"));
    const char *p = manifest;
    char path[600];
    snprintf(path, sizeof path, "%s/segments", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    write_file("segments/a.wav.csv", "start_ms,end_ms\n100,400\n900,1250.5\n");
    write_file("segments/b.wav.csv", "start_ms,end_ms\n500,100\n");
    cli_manifest m;
    char err[300];
    ck_assert_int_eq(cli_manifest_load(p, &m, err, sizeof err), 0);
    cli_segment *s = NULL;
    ck_assert_int_eq(cli_manifest_segments(&m, mrow(&m, 0), &s, err, sizeof err), 2);
    ck_assert_int_eq(s[0].start_ms, 100);
    ck_assert_int_eq(s[1].end_ms, 1251);
    free(s);
    ck_assert_int_eq(cli_manifest_segments(&m, mrow(&m, 1), &s, err, sizeof err), -2);
    ck_assert_ptr_nonnull(strstr(err, "ends before it starts"));
    ck_assert_int_eq(cli_manifest_segments(&m, mrow(&m, 2), &s, err, sizeof err), -1);
    cli_manifest_free(&m);
}
END_TEST

Suite *cli_csv_suite(void)
{
    Suite *s = suite_create("cli_csv");
    TCase *tc = tcase_create("csv");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, quoted_fields_crlf_and_blank_lines);
    tcase_add_test(tc, many_rows_read_back_in_any_order);
    tcase_add_test(tc, broken_csv_is_reported);
    tcase_add_test(tc, manifest_columns_in_any_order);
    tcase_add_test(tc, manifest_errors_name_the_line);
    tcase_add_test(tc, segments_beside_the_manifest);
    suite_add_tcase(s, tc);
    return s;
}
