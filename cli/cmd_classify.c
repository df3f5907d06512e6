/* SPDX-License-Identifier: MIT */
/* `amd classify`: label recorded calls. */
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
          "  --manifest FILE           classify every file of a corpus manifest (bench/README.md), add\n"
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
    char **owned;            /* the paths resolved from a manifest (freed at the end) */
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

/* What the command line asked for. */
typedef struct classify_args {
    cli_common common;
    cli_format fmt;
    const char *manifest_path, *split;
    const char **files; /* argc + 1 slots */
    size_t nfiles;
} classify_args;

/* Value of "--name=V" / "--name V" if argv[*i] is that option (*i advanced past it);
 * NULL with *is = 0 when it is another option, NULL with *is = 1 when the value is missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *is)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    *is = !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
    if (!*is)
        return NULL;
    return a[n] == '=' ? a + n + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
}

/* Parse the command line into @p ca. Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(classify_args *ca, int argc, char **argv)
{
    char err[320];
    int only_files = 0, is;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            ca->files[ca->nfiles++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_files = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if ((v = opt_value(argc, argv, &i, "--format", &is)) || is) {
            if (!v || cli_format_parse(v, &ca->fmt)) {
                fprintf(stderr, "amd classify: --format: expected table, json or csv\n");
                return 2;
            }
            continue;
        }
        if ((v = opt_value(argc, argv, &i, "--manifest", &is)) || is) {
            if (!(ca->manifest_path = v)) {
                fprintf(stderr, "amd classify: --manifest needs a file\n");
                return 2;
            }
            continue;
        }
        if ((v = opt_value(argc, argv, &i, "--split", &is)) || is) {
            if (!(ca->split = v)) {
                fprintf(stderr, "amd classify: --split needs a name\n");
                return 2;
            }
            continue;
        }
        int r = cli_common_parse(&ca->common, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "amd classify: %s\n", err);
            return 2;
        }
        if (r == 0) {
            fprintf(stderr, "amd classify: unknown option '%s' (see amd classify --help)\n", a);
            return 2;
        }
    }
    if (cli_common_finish(&ca->common, err, sizeof err)) {
        fprintf(stderr, "amd classify: %s\n", err);
        return 2;
    }
    const char *bad = NULL;
    if (ca->manifest_path && ca->nfiles)
        bad = "give either FILEs or --manifest, not both";
    else if (ca->split && !ca->manifest_path)
        bad = "--split needs --manifest";
    else if (!ca->manifest_path && ca->nfiles == 0)
        bad = "no input files (see amd classify --help)";
    if (bad) {
        fprintf(stderr, "amd classify: %s\n", bad);
        return 2;
    }
    return -1;
}

/* Load (and filter) the manifest. 0 or -1 with the message printed. */
static int load_manifest(const classify_args *ca, cli_manifest *man)
{
    char err[320];
    if (cli_manifest_load(ca->manifest_path, man, err, sizeof err) ||
        (ca->split && cli_manifest_filter_split(man, ca->split, err, sizeof err))) {
        fprintf(stderr, "amd classify: %s\n", err);
        return -1;
    }
    if (man->n == 0) {
        fprintf(stderr, "amd classify: %s lists no files\n", ca->manifest_path);
        return -1;
    }
    return 0;
}

/* What to open, what to print and what to expect for each input; the file column's width. */
static int fill_inputs(classify_ctx *ctx, const classify_args *ca, const cli_manifest *man)
{
    size_t n = ctx->n;
    ctx->paths = calloc(n, sizeof *ctx->paths);
    ctx->names = calloc(n, sizeof *ctx->names);
    ctx->expected = ca->manifest_path ? calloc(n, sizeof *ctx->expected) : NULL;
    ctx->outcomes = calloc(n, sizeof *ctx->outcomes);
    ctx->owned = ca->manifest_path ? calloc(n, sizeof *ctx->owned) : NULL;
    cli_manifest_row *row = ca->manifest_path ? malloc(sizeof *row) : NULL;
    if (!ctx->paths || !ctx->names || !ctx->outcomes ||
        (ca->manifest_path && (!ctx->expected || !ctx->owned || !row))) {
        free(row);
        return -1;
    }
    int width = 4;
    for (size_t k = 0; k < n; k++) {
        if (ca->manifest_path) {
            cli_manifest_row_at(man, k, row);
            ctx->paths[k] = ctx->owned[k] = strdup(row->path);
            if (!ctx->paths[k]) {
                free(row);
                return -1;
            }
            ctx->names[k] = row->file; /* points into the manifest */
            amd_answered_by t = ca->common.cfg.mode == AMD_MODE_DETECT_MESSAGE_END ? row->detect_end
                                                                                    : row->enable;
            ctx->expected[k] = amd_answered_by_name(t);
        } else {
            ctx->paths[k] = ca->files[k];
            ctx->names[k] = ca->files[k];
        }
        int w = (int)strlen(ctx->names[k]);
        if (w > width)
            width = w;
    }
    free(row);
    ctx->output.file_width = width > 48 ? 48 : width;
    return 0;
}

/* The accuracy line after a manifest run. */
static void print_accuracy(const classify_ctx *ctx, const amd_config *cfg, cli_format fmt)
{
    FILE *sum = fmt == CLI_FMT_TABLE ? stdout : stderr;
    fprintf(sum, "%saccuracy (%s, engine %s): %zu/%zu correct = %.1f%%", fmt == CLI_FMT_TABLE ? "\n" : "",
            amd_mode_name(cfg->mode), amd_engine_name(cfg->engine), ctx->correct, ctx->scored,
            ctx->scored ? 100.0 * (double)ctx->correct / (double)ctx->scored : 0.0);
    if (ctx->failed)
        fprintf(sum, "; %zu file%s failed (counted as wrong)", ctx->failed, ctx->failed == 1 ? "" : "s");
    fputc('\n', sum);
}

int amd_cli_classify(int argc, char **argv)
{
    classify_args ca = {.fmt = CLI_FMT_AUTO};
    cli_common_init(&ca.common);
    int rc = 2;
    ca.files = calloc((size_t)argc + 1, sizeof *ca.files);
    cli_manifest man = {0};
    classify_ctx ctx = {0};
    if (!ca.files) {
        fprintf(stderr, "amd classify: out of memory\n");
        return 1;
    }
    if ((rc = parse_args(&ca, argc, argv)) >= 0)
        goto out;
    rc = 2;
    if (ca.manifest_path && load_manifest(&ca, &man))
        goto out;

    ctx.common = &ca.common;
    ctx.n = ca.manifest_path ? man.n : ca.nfiles;
    if (fill_inputs(&ctx, &ca, &man)) {
        fprintf(stderr, "amd classify: out of memory\n");
        rc = 1;
        goto out;
    }
    cli_format fmt = ca.fmt;
    if (fmt == CLI_FMT_AUTO)
        fmt = isatty(STDOUT_FILENO) ? CLI_FMT_TABLE : CLI_FMT_JSON;
    ctx.output.out = stdout;
    ctx.output.fmt = fmt;
    ctx.output.with_expected = ca.manifest_path != NULL;
    cli_output_header(&ctx.output);
    ctx.stdout_tty = isatty(STDOUT_FILENO);
    ctx.progress = cli_progress_start(ctx.n, CLASSIFY_PROGRESS_MIN, "classify");
    /* stdin can be read only once, and only on one thread */
    int jobs = ca.common.jobs;
    for (size_t k = 0; k < ctx.n; k++)
        if (strcmp(ctx.paths[k], "-") == 0)
            jobs = 1;
    cli_parallel_run(ctx.n, jobs, run_one, emit_one, &ctx);
    cli_progress_end(ctx.progress);
    if (cli_interrupted()) {
        fprintf(stderr, "amd classify: interrupted\n");
        rc = 1;
        goto out;
    }
    if (ca.manifest_path)
        print_accuracy(&ctx, &ca.common.cfg, fmt);
    rc = ctx.failed ? 1 : 0;
out:
    for (size_t k = 0; ctx.owned && k < ctx.n; k++)
        free(ctx.owned[k]);
    free(ctx.owned);
    free(ctx.paths);
    free(ctx.names);
    free(ctx.expected);
    free(ctx.outcomes);
    cli_manifest_free(&man);
    free(ca.files);
    cli_common_free(&ca.common);
    return rc;
}
