/* SPDX-License-Identifier: MIT */
/* `amd bench`: score the detector, or another engine's answers, on a labeled corpus
 * (manifest format: bench/README.md). The metric definitions live in metrics.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amd/version.h"
#include "bench_predictions.h"
#include "bench_report.h"
#include "bench_score.h"
#include "bench_vad.h"
#include "commands.h"
#include "csv.h"
#include "feed.h"
#include "manifest.h"
#include "metrics.h"
#include "options.h"
#include "output.h"
#include "parallel.h"
#include "progress.h"

/* A sweep of more points than this is a typo in the step, not a plan. */
#define BENCH_MAX_SWEEP 200
#define BENCH_PROGRESS_MIN 8

static void usage(FILE *out)
{
    fputs("Usage: amd bench MANIFEST.csv [options]\n"
          "Score the detector against a labeled corpus (manifest format: bench/README.md):\n"
          "confusion matrix, per-class precision / recall, Enable and DetectMessageEnd accuracy,\n"
          "human-as-machine and machine-as-human rates, decision latency p50 / p90 per true\n"
          "class, in-time human rate (answered human by greeting_end_ms + 1500 ms) with\n"
          "decision - greeting end p50 / p95, beep alignment (on-time / early rate, error\n"
          "p50 / p90), silence-end error, early end rate (machine_end_* before greeting end),\n"
          "a per-scenario breakdown and, when segments/ exists, VAD frame precision / recall / F1\n"
          "at 10 ms. Percentiles are nearest-rank.\n\n"
          "  --mode enable|detect-end|both   which MachineDetection modes to run (default both)\n"
          "  --split NAME              only manifest rows whose split column is NAME\n"
          "                            (train, dev, test)\n"
          "  --format md|json          report format (default md)\n"
          "  --predictions FILE        score another engine's answers instead of running the\n"
          "                            detector: CSV with header file,answered_by,duration_ms;\n"
          "                            the mode is inferred (any machine_end_* answer means\n"
          "                            DetectMessageEnd) unless --mode says\n"
          "  --sweep PARAM=A:B:STEP    run the corpus for each value of a numeric parameter (flag\n"
          "                            name, e.g. speech-threshold=1600:3200:400) and print a\n"
          "                            trade-off table; the SVG plot goes to --svg OUT\n"
          "                            (default amd-sweep-PARAM.svg)\n"
          "  --svg OUT                 where the sweep plot goes\n"
          "  --no-vad                  skip VAD scoring against segments/\n",
          out);
    cli_common_help(out, 0, 1);
    fputs("\nExit status: 0 scored, 1 some files failed (named on stderr; they count as wrong),\n"
          "2 usage error or unreadable manifest / predictions.\n"
          "Example: amd bench testdata/manifest.csv --engine timing --mode both -j 4\n",
          out);
}

/* What one file (at one sweep point) leaves behind: kept small, because a sweep holds
 * points x files of them; the failure text lives only until it is printed. */
typedef struct bench_file {
    amd_answered_by en_ab, de_ab; /* NONE when the run failed or did not happen */
    int64_t en_ms, de_ms;         /* decision times */
    int64_t duration_ms;          /* audio read */
    int has_vad;
    cli_vad_counts vad;
    char *message;                /* failure / VAD warning for stderr (malloc'd), or NULL */
} bench_file;

static void keep_outcome(const cli_outcome *o, amd_answered_by *ab, int64_t *ms, int64_t *dur)
{
    *ab = o->ok ? o->result.answered_by : AMD_ANSWERED_NONE;
    *ms = o->ok ? o->result.decision_ms : -1;
    if (o->ok)
        *dur = o->duration_ms;
}

static void set_message(bench_file *bf, const char *prefix, const char *text)
{
    if (bf->message)
        return; /* the first problem is the one to report */
    size_t n = strlen(prefix) + strlen(text) + 1;
    bf->message = malloc(n);
    if (bf->message)
        snprintf(bf->message, n, "%s%s", prefix, text);
}

typedef struct bench_ctx {
    const cli_manifest *man;
    const cli_common *common;
    amd_config *cfgs;  /* one per sweep point (1 without a sweep) */
    int run_en, run_de, want_vad;
    bench_file *files; /* npoints x man->n */
    cli_progress *progress;
    int failed;
} bench_ctx;

static void bench_job(void *vctx, size_t j)
{
    bench_ctx *c = vctx;
    size_t point = j / c->man->n, i = j % c->man->n;
    cli_manifest_row rowbuf, *row = &rowbuf;
    cli_manifest_row_at(c->man, i, row);
    bench_file *bf = &c->files[j];
    amd_config cfg = c->cfgs[point];
    cli_outcome o;
    bf->en_ab = bf->de_ab = AMD_ANSWERED_NONE;
    bf->en_ms = bf->de_ms = -1;
    /*
     * VAD scoring taps the frames of the scored run (DetectMessageEnd when it runs, else
     * Enable): with a frame callback set, the detector analyses to the end of the file
     * after its decision (detector.h), so every frame of the file is scored. The VAD does
     * not depend on the mode or thresholds.
     */
    cli_segment *seg = NULL;
    long nseg = -1;
    cli_vad_tap tap = {0};
    cli_feed_hooks hooks = {0};
    if (c->want_vad) {
        char err[200] = "";
        nseg = cli_manifest_segments(c->man, row, &seg, err, sizeof err);
        if (nseg == -2)
            set_message(bf, "VAD not scored: ", err);
        hooks.frame_fn = cli_vad_tap_frame;
        hooks.frame_user = &tap;
    }
    const cli_feed_hooks *h_en = nseg >= 0 && !c->run_de ? &hooks : NULL;
    const cli_feed_hooks *h_de = nseg >= 0 && c->run_de ? &hooks : NULL;
    int tapped_ok = 0;
    if (c->run_en) {
        cfg.mode = AMD_MODE_ENABLE;
        cli_feed_file(row->path, &c->common->input, &cfg, h_en, &o);
        keep_outcome(&o, &bf->en_ab, &bf->en_ms, &bf->duration_ms);
        if (!o.ok)
            set_message(bf, "", o.error);
        else if (h_en)
            tapped_ok = 1;
    }
    if (c->run_de) {
        cfg.mode = AMD_MODE_DETECT_MESSAGE_END;
        cli_feed_file(row->path, &c->common->input, &cfg, h_de, &o);
        keep_outcome(&o, &bf->de_ab, &bf->de_ms, &bf->duration_ms);
        if (!o.ok)
            set_message(bf, "", o.error);
        else if (h_de)
            tapped_ok = 1;
    }
    if (tapped_ok && !tap.oom) {
        cli_vad_tap_score(&tap, seg, nseg, &bf->vad);
        bf->has_vad = 1;
    } else if (tap.oom) {
        set_message(bf, "VAD not scored: ", "out of memory");
    }
    free(seg);
    free(tap.t);
    free(tap.s);
}

static void bench_done(void *vctx, size_t j)
{
    bench_ctx *c = vctx;
    bench_file *bf = &c->files[j];
    cli_manifest_row rowbuf, *row = &rowbuf;
    cli_manifest_row_at(c->man, j % c->man->n, row);
    int failed = (c->run_en && bf->en_ab == AMD_ANSWERED_NONE) ||
                 (c->run_de && bf->de_ab == AMD_ANSWERED_NONE);
    if (failed)
        c->failed++;
    if (bf->message || failed) {
        cli_progress_clear(c->progress);
        fprintf(stderr, "amd bench: %s: %s\n", row->file, bf->message ? bf->message : "failed");
    }
    free(bf->message);
    bf->message = NULL;
    cli_progress_step(c->progress, row->file);
}

static int parse_mode_sel(const char *v, int *en, int *de)
{
    if (!strcasecmp(v, "enable")) {
        *en = 1;
        *de = 0;
    } else if (!strcasecmp(v, "detect-end") || !strcasecmp(v, "detectmessageend") ||
               !strcasecmp(v, "detect_end")) {
        *en = 0;
        *de = 1;
    } else if (!strcasecmp(v, "both")) {
        *en = *de = 1;
    } else {
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the command line asked for. */
typedef struct bench_opts {
    const char *manifest_path, *split, *pred_path, *sweep, *svg_path;
    int fmt_json, mode_set, run_en, run_de, want_vad;
    double values[BENCH_MAX_SWEEP]; /* the sweep points */
    size_t nvalues;
    char sweep_param[64];
} bench_opts;

/* One of bench's own value options (index into own[] of parse_args) with its value. */
static int apply_own_option(bench_opts *o, int which, const char *v)
{
    switch (which) {
    case 0:
        if (parse_mode_sel(v, &o->run_en, &o->run_de)) {
            fprintf(stderr, "amd bench: --mode: '%s' is not enable, detect-end or both\n", v);
            return -1;
        }
        o->mode_set = 1;
        break;
    case 1: o->split = v; break;
    case 2:
        if (!strcasecmp(v, "json"))
            o->fmt_json = 1;
        else if (!strcasecmp(v, "md") || !strcasecmp(v, "markdown"))
            o->fmt_json = 0;
        else {
            fprintf(stderr, "amd bench: --format: '%s' is not md or json\n", v);
            return -1;
        }
        break;
    case 3: o->pred_path = v; break;
    case 4: o->sweep = v; break;
    default: o->svg_path = v;
    }
    return 0;
}

/* --sweep PARAM=A:B:STEP into o->sweep_param and o->values. */
static int parse_sweep(bench_opts *o)
{
    const char *sweep = o->sweep;
    const char *eq = strchr(sweep, '=');
    double lo, hi, step;
    char spec[128];
    if (!eq || (size_t)(eq - sweep) >= sizeof o->sweep_param || strlen(eq + 1) >= sizeof spec) {
        fprintf(stderr, "amd bench: --sweep: expected PARAM=A:B:STEP, e.g. speech-threshold=1600:3200:400\n");
        return -1;
    }
    memcpy(o->sweep_param, sweep, (size_t)(eq - sweep));
    o->sweep_param[eq - sweep] = 0;
    if (!cli_param_known(o->sweep_param)) {
        fprintf(stderr, "amd bench: --sweep: '%s' is not a numeric detector parameter (e.g. timeout, speech-threshold, speech-end-threshold, silence-timeout, max-num-of-words)\n",
                o->sweep_param);
        return -1;
    }
    snprintf(spec, sizeof spec, "%s", eq + 1);
    char *b = strchr(spec, ':'), *s = b ? strchr(b + 1, ':') : NULL;
    if (!b || !s) {
        fprintf(stderr, "amd bench: --sweep: expected PARAM=A:B:STEP\n");
        return -1;
    }
    *b++ = 0;
    *s++ = 0;
    if (cli_parse_double(spec, &lo) || cli_parse_double(b, &hi) || cli_parse_double(s, &step) ||
        !(step > 0) || hi < lo) {
        fprintf(stderr, "amd bench: --sweep: A:B:STEP must be numbers with A <= B and STEP > 0\n");
        return -1;
    }
    for (double x = lo; x <= hi + step * 1e-6; x = lo + step * (double)o->nvalues) {
        if (o->nvalues == BENCH_MAX_SWEEP) {
            fprintf(stderr, "amd bench: --sweep: more than %d values\n", BENCH_MAX_SWEEP);
            return -1;
        }
        o->values[o->nvalues++] = x;
    }
    return 0;
}

/* The option combinations that make sense, then the sweep. */
static int check_opts(bench_opts *o, cli_common *common)
{
    char err[320];
    if (cli_common_finish(common, err, sizeof err)) {
        fprintf(stderr, "amd bench: %s\n", err);
        return -1;
    }
    if (!o->manifest_path) {
        fprintf(stderr, "amd bench: no MANIFEST given (see amd bench --help)\n");
        return -1;
    }
    if (!o->mode_set && common->mode_given) {
        o->run_en = common->cfg.mode == AMD_MODE_ENABLE;
        o->run_de = !o->run_en;
        o->mode_set = 1;
    }
    if (o->pred_path && o->sweep) {
        fprintf(stderr, "amd bench: --predictions and --sweep do not combine\n");
        return -1;
    }
    if (o->svg_path && !o->sweep) {
        fprintf(stderr, "amd bench: --svg is the plot of --sweep\n");
        return -1;
    }
    return o->sweep ? parse_sweep(o) : 0;
}

/* Parse the command line: 0 to go on, 1 when help was printed, -1 on a usage error
 * (already reported). */
static int parse_args(int argc, char **argv, cli_common *common, bench_opts *o)
{
    static const char *const own[] = {"--mode", "--split", "--format", "--predictions", "--sweep", "--svg"};
    char err[320];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (o->manifest_path) {
                fprintf(stderr, "amd bench: one MANIFEST at a time ('%s' and '%s')\n", o->manifest_path, a);
                return -1;
            }
            o->manifest_path = a;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--no-vad")) {
            o->want_vad = 0;
            continue;
        }
        int which = -1;
        size_t len = 0;
        for (int k = 0; k < 6; k++) {
            len = strlen(own[k]);
            if (!strncmp(a, own[k], len) && (a[len] == 0 || a[len] == '=')) {
                which = k;
                break;
            }
        }
        if (which >= 0) {
            const char *v = a[len] == '=' ? a + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !*v) {
                fprintf(stderr, "amd bench: %s needs a value\n", own[which]);
                return -1;
            }
            if (apply_own_option(o, which, v))
                return -1;
            continue;
        }
        int r = cli_common_parse(common, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "amd bench: %s\n", err);
            return -1;
        }
        if (r == 0) {
            fprintf(stderr, "amd bench: unknown option '%s' (see amd bench --help)\n", a);
            return -1;
        }
    }
    return check_opts(o, common);
}

static void print_report(const bench_opts *o, const cli_bench_report *rep)
{
    if (o->fmt_json)
        cli_report_json(stdout, rep);
    else
        cli_report_md(stdout, rep);
}

/* Score another engine's answers (--predictions): the exit status. */
static int score_predictions(const bench_opts *o, const cli_manifest *man, cli_bench_report *rep)
{
    char err[320];
    int rc = 2;
    cli_answer *en = calloc(man->n, sizeof *en);
    if (!en) {
        fprintf(stderr, "amd bench: out of memory\n");
        return 1;
    }
    int any_end = 0;
    if (cli_predictions_load(o->pred_path, man, en, &any_end, err, sizeof err)) {
        fprintf(stderr, "amd bench: %s\n", err);
        goto out;
    }
    int de_mode = o->mode_set ? (o->run_de && !o->run_en) : any_end;
    if (o->mode_set && o->run_en && o->run_de) {
        fprintf(stderr, "amd bench: --predictions holds one mode: use --mode enable or detect-end\n");
        goto out;
    }
    rep->source = o->pred_path;
    rep->engine = "external";
    if (cli_bench_build_report(man, de_mode ? NULL : en, de_mode ? en : NULL, rep)) {
        fprintf(stderr, "amd bench: out of memory\n");
        rc = 1;
        goto out;
    }
    print_report(o, rep);
    rc = 0;
out:
    free(en);
    return rc;
}

/* One configuration per sweep point (just common->cfg without a sweep), each validated. */
static int make_configs(const bench_opts *o, const cli_common *common, amd_config *cfgs,
                        size_t npoints)
{
    for (size_t p = 0; p < npoints; p++) {
        cfgs[p] = common->cfg;
        if (o->sweep) {
            cli_param_set(&cfgs[p], o->sweep_param, o->values[p]);
            amd_config probe = cfgs[p];
            probe.sample_rate = 8000;
            char verr[200] = "";
            if (amd_config_validate(&probe, verr, sizeof verr)) {
                fprintf(stderr, "amd bench: --sweep %s=%g: %s\n", o->sweep_param, o->values[p], verr);
                return -1;
            }
        }
    }
    return 0;
}

/* The VAD counts of all files that were scored (no sweep: one point). */
static void sum_vad(const bench_ctx *ctx, size_t nfiles, cli_bench_report *rep)
{
    for (size_t i = 0; i < nfiles; i++)
        if (ctx->files[i].has_vad) {
            const cli_vad_counts *v = &ctx->files[i].vad;
            rep->has_vad = 1;
            rep->vad.tp += v->tp;
            rep->vad.fp += v->fp;
            rep->vad.fn += v->fn;
            rep->vad.tn += v->tn;
            rep->vad.files++;
        }
}

/* Turn the per-file results into the report (no sweep) or one sweep point each: 0, or -1
 * when out of memory. en / de: scratch of man->n answers. */
static int collect_points(const bench_opts *o, const bench_ctx *ctx, size_t npoints,
                          double wall, cli_answer *en, cli_answer *de, cli_bench_report *rep,
                          cli_sweep_point *points)
{
    const cli_manifest *man = ctx->man;
    for (size_t p = 0; p < npoints; p++) {
        double audio = 0;
        for (size_t i = 0; i < man->n; i++) {
            const bench_file *bf = &ctx->files[p * man->n + i];
            en[i].ab = bf->en_ab;
            en[i].ms = bf->en_ms;
            de[i].ab = bf->de_ab;
            de[i].ms = bf->de_ms;
            audio += (double)bf->duration_ms / 1000.0;
        }
        if (!o->sweep) {
            rep->seconds = wall;
            rep->audio_seconds = audio * (o->run_en + o->run_de);
            rep->failed = ctx->failed;
            sum_vad(ctx, man->n, rep);
            if (cli_bench_build_report(man, o->run_en ? en : NULL, o->run_de ? de : NULL, rep))
                return -1;
        } else {
            cli_bench_report tmp = {0};
            if (cli_bench_build_report(man, o->run_en ? en : NULL, o->run_de ? de : NULL, &tmp))
                return -1;
            free(tmp.scenarios);
            points[p].value = o->values[p];
            points[p].has_enable = o->run_en;
            points[p].has_de = o->run_de;
            points[p].enable = tmp.enable;
            points[p].de = tmp.de;
        }
    }
    return 0;
}

/* Print the sweep table and write its plot: 0, or 1 when the plot cannot be written. */
static int report_sweep(const bench_opts *o, const cli_sweep_point *points, size_t npoints)
{
    if (o->fmt_json)
        cli_sweep_json(stdout, o->sweep_param, points, npoints);
    else
        cli_sweep_md(stdout, o->sweep_param, points, npoints);
    char defsvg[128];
    snprintf(defsvg, sizeof defsvg, "amd-sweep-%s.svg", o->sweep_param);
    const char *outsvg = o->svg_path ? o->svg_path : defsvg;
    if (cli_sweep_svg(outsvg, o->sweep_param, points, npoints)) {
        fprintf(stderr, "amd bench: cannot write %s\n", outsvg);
        return 1;
    }
    fprintf(stderr, "amd bench: plot written to %s\n", outsvg);
    return 0;
}

/* Run the detector on every file (at every sweep point) and report: the exit status. */
static int run_corpus(const bench_opts *o, const cli_common *common, const cli_manifest *man,
                      cli_bench_report *rep)
{
    int rc = 2;
    size_t npoints = o->sweep ? o->nvalues : 1;
    amd_config cfgs[BENCH_MAX_SWEEP];
    bench_ctx ctx = {0};
    cli_answer *en = NULL, *de = NULL;
    cli_sweep_point *points = NULL;
    if (make_configs(o, common, cfgs, npoints))
        goto out;
    ctx.man = man;
    ctx.common = common;
    ctx.cfgs = cfgs;
    ctx.run_en = o->run_en;
    ctx.run_de = o->run_de;
    ctx.want_vad = o->want_vad && !o->sweep;
    ctx.files = calloc(npoints * man->n, sizeof *ctx.files);
    en = calloc(man->n, sizeof *en);
    de = calloc(man->n, sizeof *de);
    points = o->sweep ? calloc(npoints, sizeof *points) : NULL;
    rc = 1;
    if (!ctx.files || !en || !de || (o->sweep && !points)) {
        fprintf(stderr, "amd bench: out of memory\n");
        goto out;
    }
    ctx.progress = cli_progress_start(npoints * man->n, BENCH_PROGRESS_MIN, "bench");
    double t0 = now_s();
    cli_parallel_run(npoints * man->n, common->jobs, bench_job, bench_done, &ctx);
    double wall = now_s() - t0;
    cli_progress_end(ctx.progress);
    if (cli_interrupted()) {
        fprintf(stderr, "amd bench: interrupted\n");
        goto out;
    }
    if (collect_points(o, &ctx, npoints, wall, en, de, rep, points)) {
        fprintf(stderr, "amd bench: out of memory\n");
        goto out;
    }
    if (o->sweep) {
        if (report_sweep(o, points, npoints))
            goto out;
    } else {
        print_report(o, rep);
    }
    rc = ctx.failed ? 1 : 0;
out:
    free(points);
    free(ctx.files);
    free(en);
    free(de);
    return rc;
}

int amd_cli_bench(int argc, char **argv)
{
    cli_common common;
    cli_common_init(&common);
    bench_opts o = {.run_en = 1, .run_de = 1, .want_vad = 1};
    char err[320];
    int rc = 2;
    cli_manifest man = {0};
    cli_bench_report rep = {0};

    int pr = parse_args(argc, argv, &common, &o);
    if (pr) {
        rc = pr > 0 ? 0 : 2;
        goto out;
    }
    if (cli_manifest_load(o.manifest_path, &man, err, sizeof err)) {
        fprintf(stderr, "amd bench: %s\n", err);
        goto out;
    }
    if (o.split && cli_manifest_filter_split(&man, o.split, err, sizeof err)) {
        fprintf(stderr, "amd bench: %s\n", err);
        goto out;
    }
    if (man.n == 0) {
        fprintf(stderr, "amd bench: no files to score in %s%s%s\n", o.manifest_path,
                o.split ? " with split " : "", o.split ? o.split : "");
        goto out;
    }

    rep.manifest = o.manifest_path;
    rep.split = o.split;
    rep.engine = amd_engine_name(common.cfg.engine);
    rep.files = (int)man.n;
    rep.seconds = -1;
    char source[300];
    snprintf(source, sizeof source, "amd %s", amd_version_string());
    rep.source = source;

    if (o.pred_path)
        rc = score_predictions(&o, &man, &rep);
    else
        rc = run_corpus(&o, &common, &man, &rep);
out:
    free(rep.scenarios);
    cli_manifest_free(&man);
    cli_common_free(&common);
    return rc;
}
