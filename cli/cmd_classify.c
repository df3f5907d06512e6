/* SPDX-License-Identifier: MIT */
/* `amd classify`: label recorded calls (SPEC §5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "feed.h"
#include "manifest.h"
#include "options.h"
#include "output.h"
#include "parallel.h"
#include "progress.h"

/* A progress bar appears from this many files on (fewer finish before it would help). */
#define CLASSIFY_PROGRESS_MIN 8

static void usage(FILE *out)
{
    fputs("Usage: amd classify [options] FILE...\n"
          "       amd classify [options] --manifest MANIFEST.csv\n"
          "Classify recorded calls: who answered (human, machine, fax, unknown) and, in\n"
          "DetectMessageEnd mode, when the greeting ended. FILE may be any format libsndfile\n"
          "reads (WAV incl. u-law/A-law/GSM, AU, FLAC, OGG...), headerless with --raw, or - for\n"
          "stdin. Multi-channel audio is down-mixed unless --channel N is given.\n\n"
          "Output:\n"
          "  --format table|json|csv   table on a terminal, JSON lines otherwise. JSON keys / CSV\n"
          "                            columns: file, answered_by, machine_detection_duration_ms,\n"
          "                            cause, confidence, speech_onset_ms, greeting_end_ms,\n"
          "                            beep_start_ms, beep_end_ms, beep_hz (null / empty when not\n"
          "                            applicable), machine_known_ms, engine, mode, duration_ms,\n"
          "                            sample_rate, format\n"
          "  --manifest FILE           classify every file of a corpus manifest (corpus.md), add\n"
          "                            expected / correct columns and end with an accuracy line\n"
          "  --split NAME              with --manifest: only rows whose split column is NAME\n",
          out);
    cli_common_help(out, 1, 1);
    fputs("\nExit status: 0 all files classified, 1 some files failed (each named on stderr\n"
          "with the reason), 2 usage error.\n"
          "Example: amd classify --machine-detection DetectMessageEnd --format json call*.wav\n",
          out);
}

typedef struct classify_ctx {
    cli_common *common;
    size_t n;
    const char **paths;      /* what to open */
    const char **names;      /* what to print */
    const char **expected;   /* manifest truth per file or NULL */
    cli_outcome *outcomes;
    cli_output output;
    cli_progress *progress;
    size_t failed, scored, correct;
    int stdout_tty;
} classify_ctx;

static void run_one(void *vctx, size_t i)
{
    classify_ctx *c = vctx;
    cli_feed_file(c->paths[i], &c->common->input, &c->common->cfg, NULL, &c->outcomes[i]);
}

static void emit_one(void *vctx, size_t i)
{
    classify_ctx *c = vctx;
    const cli_outcome *r = &c->outcomes[i];
    const char *exp = c->expected ? c->expected[i] : NULL;
    if (!r->ok) {
        cli_progress_clear(c->progress);
        fprintf(stderr, "amd classify: %s: %s\n", c->names[i], r->error);
        c->failed++;
        if (exp && *exp)
            c->scored++; /* a file that cannot be classified is a wrong answer, as in bench */
    } else {
        if (c->stdout_tty) /* the bar and the rows share the terminal */
            cli_progress_clear(c->progress);
        cli_output_row(&c->output, c->names[i], r, &c->common->cfg, exp);
        if (exp && *exp) {
            c->scored++;
            if (strcmp(exp, amd_answered_by_name(r->result.answered_by)) == 0)
                c->correct++;
        }
    }
    fflush(c->output.out);
    cli_progress_step(c->progress, c->names[i]);
}

int amd_cli_classify(int argc, char **argv)
{
    cli_common common;
    cli_common_init(&common);
    cli_format fmt = CLI_FMT_AUTO;
    const char *manifest_path = NULL, *split = NULL;
    char err[320];
    int rc = 2, only_files = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t nfiles = 0;
    cli_manifest man = {0};
    classify_ctx ctx = {0};
    if (!files) {
        fprintf(stderr, "amd classify: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            files[nfiles++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_files = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = 0;
            goto out;
        }
        if (!strncmp(a, "--format", 8) && (a[8] == 0 || a[8] == '=')) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || cli_format_parse(v, &fmt)) {
                fprintf(stderr, "amd classify: --format: expected table, json or csv\n");
                goto out;
            }
            continue;
        }
        if (!strncmp(a, "--manifest", 10) && (a[10] == 0 || a[10] == '=')) {
            manifest_path = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
            if (!manifest_path) {
                fprintf(stderr, "amd classify: --manifest needs a file\n");
                goto out;
            }
            continue;
        }
        if (!strncmp(a, "--split", 7) && (a[7] == 0 || a[7] == '=')) {
            split = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!split) {
                fprintf(stderr, "amd classify: --split needs a name\n");
                goto out;
            }
            continue;
        }
        int r = cli_common_parse(&common, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "amd classify: %s\n", err);
            goto out;
        }
        if (r == 0) {
            fprintf(stderr, "amd classify: unknown option '%s' (see amd classify --help)\n", a);
            goto out;
        }
    }
    if (cli_common_finish(&common, err, sizeof err)) {
        fprintf(stderr, "amd classify: %s\n", err);
        goto out;
    }
    if (manifest_path && nfiles) {
        fprintf(stderr, "amd classify: give either FILEs or --manifest, not both\n");
        goto out;
    }
    if (split && !manifest_path) {
        fprintf(stderr, "amd classify: --split needs --manifest\n");
        goto out;
    }
    if (!manifest_path && nfiles == 0) {
        fprintf(stderr, "amd classify: no input files (see amd classify --help)\n");
        goto out;
    }
    if (manifest_path) {
        if (cli_manifest_load(manifest_path, &man, err, sizeof err)) {
            fprintf(stderr, "amd classify: %s\n", err);
            goto out;
        }
        if (split && cli_manifest_filter_split(&man, split, err, sizeof err)) {
            fprintf(stderr, "amd classify: %s\n", err);
            goto out;
        }
        if (man.n == 0) {
            fprintf(stderr, "amd classify: %s lists no files\n", manifest_path);
            goto out;
        }
    }

    size_t n = manifest_path ? man.n : nfiles;
    ctx.common = &common;
    ctx.n = n;
    ctx.paths = calloc(n, sizeof *ctx.paths);
    ctx.names = calloc(n, sizeof *ctx.names);
    ctx.expected = manifest_path ? calloc(n, sizeof *ctx.expected) : NULL;
    ctx.outcomes = calloc(n, sizeof *ctx.outcomes);
    if (!ctx.paths || !ctx.names || !ctx.outcomes || (manifest_path && !ctx.expected)) {
        fprintf(stderr, "amd classify: out of memory\n");
        rc = 1;
        goto out;
    }
    int width = 4;
    for (size_t k = 0; k < n; k++) {
        if (manifest_path) {
            ctx.paths[k] = man.rows[k].path;
            ctx.names[k] = man.rows[k].file;
            amd_answered_by t = common.cfg.mode == AMD_MODE_DETECT_MESSAGE_END
                                    ? man.rows[k].detect_end
                                    : man.rows[k].enable;
            ctx.expected[k] = amd_answered_by_name(t);
        } else {
            ctx.paths[k] = files[k];
            ctx.names[k] = files[k];
        }
        int w = (int)strlen(ctx.names[k]);
        if (w > width)
            width = w;
    }
    if (width > 48)
        width = 48;
    if (fmt == CLI_FMT_AUTO)
        fmt = isatty(STDOUT_FILENO) ? CLI_FMT_TABLE : CLI_FMT_JSON;
    ctx.output.out = stdout;
    ctx.output.fmt = fmt;
    ctx.output.file_width = width;
    ctx.output.with_expected = manifest_path != NULL;
    cli_output_header(&ctx.output);
    ctx.stdout_tty = isatty(STDOUT_FILENO);
    ctx.progress = cli_progress_start(n, CLASSIFY_PROGRESS_MIN, "classify");
    /* stdin can be read only once, and only on one thread */
    int jobs = common.jobs;
    for (size_t k = 0; k < n; k++)
        if (strcmp(ctx.paths[k], "-") == 0)
            jobs = 1;
    cli_parallel_run(n, jobs, run_one, emit_one, &ctx);
    cli_progress_end(ctx.progress);
    if (cli_interrupted()) {
        fprintf(stderr, "amd classify: interrupted\n");
        rc = 1;
        goto out;
    }
    if (manifest_path) {
        FILE *sum = fmt == CLI_FMT_TABLE ? stdout : stderr;
        fprintf(sum, "%saccuracy (%s, engine %s): %zu/%zu correct = %.1f%%", fmt == CLI_FMT_TABLE ? "\n" : "",
                amd_mode_name(common.cfg.mode), amd_engine_name(common.cfg.engine), ctx.correct,
                ctx.scored, ctx.scored ? 100.0 * (double)ctx.correct / (double)ctx.scored : 0.0);
        if (ctx.failed)
            fprintf(sum, "; %zu file%s failed (counted as wrong)", ctx.failed,
                    ctx.failed == 1 ? "" : "s");
        fputc('\n', sum);
    }
    rc = ctx.failed ? 1 : 0;
out:
    free(ctx.paths);
    free(ctx.names);
    free(ctx.expected);
    free(ctx.outcomes);
    cli_manifest_free(&man);
    free(files);
    cli_common_free(&common);
    return rc;
}
