/* SPDX-License-Identifier: MIT */
#include "bench_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "svg.h"

static const char *class_name(int k)
{
    return k == 0 ? "(no answer)" : amd_answered_by_name((amd_answered_by)k);
}

/* "88.9 % (40/45)" or "-" */
static void md_rate(FILE *f, int num, int den)
{
    if (den > 0)
        fprintf(f, "%.1f %% (%d/%d)", 100.0 * num / den, num, den);
    else
        fputs("-", f);
}

static void md_num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs("-", f);
}

static void md_pct(FILE *f, const cli_pct *p)
{
    md_num(f, p->p50, "%.0f");
    fputs(" / ", f);
    md_num(f, p->p90, "%.0f");
}

static void md_p50_p95(FILE *f, const cli_pct *p)
{
    md_num(f, p->p50, "%.0f");
    fputs(" / ", f);
    md_num(f, p->p95, "%.0f");
}

static void md_mode_detail(FILE *f, const char *title, const cli_mode_metrics *m)
{
    int used[CLI_NCLASS] = {0};
    for (int t = 0; t < CLI_NCLASS; t++)
        for (int p = 0; p < CLI_NCLASS; p++)
            if (m->confusion[t][p]) {
                used[t] = 1;
                used[p] = 1;
            }
    fprintf(f, "\n## %s: confusion matrix (rows: expected, columns: answered)\n\n| expected \\ answered |", title);
    for (int k = 1; k <= CLI_NCLASS; k++) {
        int c = k % CLI_NCLASS; /* "(no answer)" last */
        if (used[c])
            fprintf(f, " %s |", class_name(c));
    }
    fputs("\n|---|", f);
    for (int k = 0; k < CLI_NCLASS; k++)
        if (used[k])
            fputs("---:|", f);
    fputc('\n', f);
    for (int t = 1; t < CLI_NCLASS; t++) {
        if (!used[t])
            continue;
        int row = 0;
        for (int p = 0; p < CLI_NCLASS; p++)
            row += m->confusion[t][p];
        if (!row)
            continue;
        fprintf(f, "| %s |", class_name(t));
        for (int k = 1; k <= CLI_NCLASS; k++) {
            int c = k % CLI_NCLASS;
            if (!used[c])
                continue;
            if (c == t)
                fprintf(f, " **%d** |", m->confusion[t][c]);
            else
                fprintf(f, " %d |", m->confusion[t][c]);
        }
        fputc('\n', f);
    }
    fprintf(f, "\n## %s: per class\n\n| class | files | precision | recall | latency p50 / p90 (ms) |\n|---|---:|---:|---:|---:|\n",
            title);
    for (int k = 1; k < CLI_NCLASS; k++) {
        if (!used[k])
            continue;
        int row = 0;
        for (int p = 0; p < CLI_NCLASS; p++)
            row += m->confusion[k][p];
        fprintf(f, "| %s | %d | ", class_name(k), row);
        md_num(f, m->precision[k], "%.3f");
        fputs(" | ", f);
        md_num(f, m->recall[k], "%.3f");
        fputs(" | ", f);
        md_pct(f, &m->latency[k]);
        fputs(" |\n", f);
    }
}

void cli_report_md(FILE *f, const cli_bench_report *r)
{
    fprintf(f, "# amd bench: %s\n\n", r->manifest);
    fprintf(f, "%d files, split %s, engine %s, answers from %s", r->files, r->split ? r->split : "all",
            r->engine, r->source);
    if (r->seconds > 0)
        fprintf(f, "; %.1f s of audio in %.2f s wall time", r->audio_seconds, r->seconds);
    fputs(".\n", f);
    if (r->failed)
        fprintf(f, "\n**%d file%s failed** (named on stderr); they count as wrong answers.\n", r->failed,
                r->failed == 1 ? "" : "s");

    fputs("\n## Summary\n\n| metric |", f);
    if (r->has_enable)
        fputs(" Enable |", f);
    if (r->has_de)
        fputs(" DetectMessageEnd |", f);
    fputs("\n|---|", f);
    if (r->has_enable)
        fputs("---:|", f);
    if (r->has_de)
        fputs("---:|", f);
    fputc('\n', f);
    const cli_mode_metrics *ms[2] = {r->has_enable ? &r->enable : NULL, r->has_de ? &r->de : NULL};
    static const char *rows[] = {"accuracy", "human-as-machine rate", "machine-as-human rate",
                                 "decision latency p50 / p90 (ms)", "files without an answer",
                                 "in-time human rate (human by greeting end + 1500 ms)",
                                 "human decision after greeting end p50 / p95 (ms)"};
    for (int row = 0; row < 7; row++) {
        fprintf(f, "| %s |", rows[row]);
        for (int k = 0; k < 2; k++) {
            const cli_mode_metrics *m = ms[k];
            if (!m)
                continue;
            fputc(' ', f);
            switch (row) {
            case 0: md_rate(f, m->correct, m->scored); break;
            case 1: md_rate(f, m->human_as_machine, m->human_n); break;
            case 2: md_rate(f, m->machine_as_human, m->machine_n); break;
            case 3: md_pct(f, &m->latency_all); break;
            case 4: fprintf(f, "%d", m->missing); break;
            case 5: md_rate(f, m->intime_human, m->intime_n); break;
            default: md_p50_p95(f, &m->human_after_end);
            }
            fputs(" |", f);
        }
        fputc('\n', f);
    }
    if (r->has_de) {
        const cli_mode_metrics *m = &r->de;
        fprintf(f, "\n**Beep alignment** (DetectMessageEnd, %d files with beep_end_ms; error = decision - beep end): on time [0, +%d ms] ",
                m->beep_n, CLI_BEEP_ON_TIME_MS);
        md_rate(f, m->beep_on_time, m->beep_n);
        fputs(", early ", f);
        md_rate(f, m->beep_early, m->beep_n);
        fputs(", error p50 / p90 ", f);
        md_pct(f, &m->beep_err);
        fputs(" ms.\n", f);
        fprintf(f, "\n**Silence end** (%d machine_end_silence files; error = decision - greeting end): p50 / p90 ",
                m->silence_err.n);
        md_pct(f, &m->silence_err);
        fputs(" ms.\n", f);
        fputs("\n**Early end** (machine_end_beep / machine_end_silence files answered machine_end_* before the greeting ends): ", f);
        md_rate(f, m->early_end, m->early_end_n);
        fputs(".\n", f);
    }
    if (r->has_vad) {
        double p, rc, f1;
        cli_vad_scores(&r->vad, &p, &rc, &f1);
        fprintf(f, "\n**VAD** (10 ms frames against segments/, %d files, %lld frames, every frame of each file: the analysis runs on after the decision): precision ",
                r->vad.files, r->vad.tp + r->vad.fp + r->vad.fn + r->vad.tn);
        md_num(f, p, "%.3f");
        fputs(", recall ", f);
        md_num(f, rc, "%.3f");
        fputs(", F1 ", f);
        md_num(f, f1, "%.3f");
        fputs(".\n", f);
    }
    if (r->has_enable)
        md_mode_detail(f, "Enable", &r->enable);
    if (r->has_de)
        md_mode_detail(f, "DetectMessageEnd", &r->de);

    if (r->nscenarios) {
        fputs("\n## Per scenario\n\n| scenario | files |", f);
        if (r->has_enable)
            fputs(" Enable accuracy | human-as-machine | machine-as-human | Enable latency p50 / p90 (ms) | in-time human |", f);
        if (r->has_de)
            fputs(" DetectMessageEnd accuracy | beep on time | beep early |", f);
        fputs("\n|---|---:|", f);
        if (r->has_enable)
            fputs("---:|---:|---:|---:|---:|", f);
        if (r->has_de)
            fputs("---:|---:|---:|", f);
        fputc('\n', f);
        for (size_t k = 0; k < r->nscenarios; k++) {
            const cli_scenario_row *s = &r->scenarios[k];
            fprintf(f, "| %s | %d |", s->name[0] ? s->name : "(none)", s->files);
            if (r->has_enable) {
                fputc(' ', f);
                md_rate(f, s->enable.correct, s->enable.scored);
                fputs(" | ", f);
                md_rate(f, s->enable.human_as_machine, s->enable.human_n);
                fputs(" | ", f);
                md_rate(f, s->enable.machine_as_human, s->enable.machine_n);
                fputs(" | ", f);
                md_pct(f, &s->enable.latency_all);
                fputs(" | ", f);
                md_rate(f, s->enable.intime_human, s->enable.intime_n);
                fputs(" |", f);
            }
            if (r->has_de) {
                fputc(' ', f);
                md_rate(f, s->de.correct, s->de.scored);
                fputs(" | ", f);
                md_rate(f, s->de.beep_on_time, s->de.beep_n);
                fputs(" | ", f);
                md_rate(f, s->de.beep_early, s->de.beep_n);
                fputs(" |", f);
            }
            fputc('\n', f);
        }
    }
}

/* ---- JSON ---- */

static void js_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void js_pct(FILE *f, const char *key, const cli_pct *p)
{
    fprintf(f, "\"%s\":{\"n\":%d,\"p50\":", key, p->n);
    js_num(f, p->p50);
    fputs(",\"p90\":", f);
    js_num(f, p->p90);
    fputs(",\"p95\":", f);
    js_num(f, p->p95);
    fputc('}', f);
}

static void js_rate(FILE *f, const char *key, int num, int den)
{
    fprintf(f, "\"%s\":{\"count\":%d,\"of\":%d,\"rate\":", key, num, den);
    js_num(f, cli_rate(num, den));
    fputc('}', f);
}

static void js_mode(FILE *f, const cli_mode_metrics *m, int detect_end, int detail)
{
    fputc('{', f);
    js_rate(f, "accuracy", m->correct, m->scored);
    fputc(',', f);
    js_rate(f, "human_as_machine", m->human_as_machine, m->human_n);
    fputc(',', f);
    js_rate(f, "machine_as_human", m->machine_as_human, m->machine_n);
    fprintf(f, ",\"no_answer\":%d,", m->missing);
    js_pct(f, "latency_ms", &m->latency_all);
    fputc(',', f);
    js_rate(f, "in_time_human", m->intime_human, m->intime_n);
    fputc(',', f);
    js_pct(f, "human_after_greeting_end_ms", &m->human_after_end);
    if (detail) {
        fputs(",\"latency_ms_by_class\":{", f);
        int first = 1;
        for (int k = 1; k < CLI_NCLASS; k++) {
            if (!m->latency[k].n)
                continue;
            fprintf(f, "%s", first ? "" : ",");
            first = 0;
            char key[40];
            snprintf(key, sizeof key, "%s", class_name(k));
            js_pct(f, key, &m->latency[k]);
        }
        fputs("},\"confusion\":{", f);
        first = 1;
        for (int t = 0; t < CLI_NCLASS; t++) {
            int row = 0;
            for (int p = 0; p < CLI_NCLASS; p++)
                row += m->confusion[t][p];
            if (!row)
                continue;
            fprintf(f, "%s\"%s\":{", first ? "" : ",", t ? class_name(t) : "none");
            first = 0;
            int f2 = 1;
            for (int p = 0; p < CLI_NCLASS; p++) {
                if (!m->confusion[t][p])
                    continue;
                fprintf(f, "%s\"%s\":%d", f2 ? "" : ",", p ? class_name(p) : "none", m->confusion[t][p]);
                f2 = 0;
            }
            fputc('}', f);
        }
        fputs("},\"per_class\":{", f);
        first = 1;
        for (int k = 1; k < CLI_NCLASS; k++) {
            int row = 0, col = 0;
            for (int p = 0; p < CLI_NCLASS; p++) {
                row += m->confusion[k][p];
                col += m->confusion[p][k];
            }
            if (!row && !col)
                continue;
            fprintf(f, "%s\"%s\":{\"files\":%d,\"precision\":", first ? "" : ",", class_name(k), row);
            first = 0;
            js_num(f, m->precision[k]);
            fputs(",\"recall\":", f);
            js_num(f, m->recall[k]);
            fputc('}', f);
        }
        fputc('}', f);
    }
    if (detect_end) {
        fputs(",\"beep_alignment\":{", f);
        fprintf(f, "\"files\":%d,", m->beep_n);
        js_rate(f, "on_time", m->beep_on_time, m->beep_n);
        fputc(',', f);
        js_rate(f, "early", m->beep_early, m->beep_n);
        fputc(',', f);
        js_pct(f, "error_ms", &m->beep_err);
        fputs("},", f);
        js_pct(f, "silence_end_error_ms", &m->silence_err);
        fputc(',', f);
        js_rate(f, "early_end", m->early_end, m->early_end_n);
    }
    fputc('}', f);
}

void cli_report_json(FILE *f, const cli_bench_report *r)
{
    fputs("{\"manifest\":", f);
    cli_json_string(f, r->manifest);
    fputs(",\"split\":", f);
    if (r->split)
        cli_json_string(f, r->split);
    else
        fputs("null", f);
    fputs(",\"engine\":", f);
    cli_json_string(f, r->engine);
    fputs(",\"source\":", f);
    cli_json_string(f, r->source);
    fprintf(f, ",\"files\":%d,\"failed\":%d", r->files, r->failed);
    if (r->seconds > 0)
        fprintf(f, ",\"wall_seconds\":%.3f,\"audio_seconds\":%.3f", r->seconds, r->audio_seconds);
    if (r->has_enable) {
        fputs(",\"enable\":", f);
        js_mode(f, &r->enable, 0, 1);
    }
    if (r->has_de) {
        fputs(",\"detect_message_end\":", f);
        js_mode(f, &r->de, 1, 1);
    }
    if (r->has_vad) {
        double p, rc, f1;
        cli_vad_scores(&r->vad, &p, &rc, &f1);
        fprintf(f, ",\"vad\":{\"files\":%d,\"tp\":%lld,\"fp\":%lld,\"fn\":%lld,\"tn\":%lld,\"precision\":",
                r->vad.files, r->vad.tp, r->vad.fp, r->vad.fn, r->vad.tn);
        js_num(f, p);
        fputs(",\"recall\":", f);
        js_num(f, rc);
        fputs(",\"f1\":", f);
        js_num(f, f1);
        fputc('}', f);
    }
    fputs(",\"scenarios\":[", f);
    for (size_t k = 0; k < r->nscenarios; k++) {
        const cli_scenario_row *s = &r->scenarios[k];
        fprintf(f, "%s{\"scenario\":", k ? "," : "");
        cli_json_string(f, s->name);
        fprintf(f, ",\"files\":%d", s->files);
        if (r->has_enable) {
            fputs(",\"enable\":", f);
            js_mode(f, &s->enable, 0, 0);
        }
        if (r->has_de) {
            fputs(",\"detect_message_end\":", f);
            js_mode(f, &s->de, 1, 0);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* ---- sweeps ---- */

void cli_sweep_md(FILE *f, const char *param, const cli_sweep_point *p, size_t n)
{
    fprintf(f, "# amd bench --sweep %s\n\n| %s | Enable accuracy | human-as-machine | machine-as-human | Enable latency p50 / p90 (ms) | in-time human | human after greeting end p50 / p95 (ms) | DetectMessageEnd accuracy | beep on time | beep early | early end |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            param, param);
    for (size_t k = 0; k < n; k++) {
        fprintf(f, "| %g |", p[k].value);
        const cli_mode_metrics *e = p[k].has_enable ? &p[k].enable : NULL;
        const cli_mode_metrics *d = p[k].has_de ? &p[k].de : NULL;
        const cli_mode_metrics *any = e ? e : d;
        fputc(' ', f);
        if (e)
            md_rate(f, e->correct, e->scored);
        else
            fputc('-', f);
        fputs(" | ", f);
        md_rate(f, any->human_as_machine, any->human_n);
        fputs(" | ", f);
        md_rate(f, any->machine_as_human, any->machine_n);
        fputs(" | ", f);
        md_pct(f, &any->latency_all);
        fputs(" | ", f);
        md_rate(f, any->intime_human, any->intime_n);
        fputs(" | ", f);
        md_p50_p95(f, &any->human_after_end);
        fputs(" | ", f);
        if (d) {
            md_rate(f, d->correct, d->scored);
            fputs(" | ", f);
            md_rate(f, d->beep_on_time, d->beep_n);
            fputs(" | ", f);
            md_rate(f, d->beep_early, d->beep_n);
            fputs(" | ", f);
            md_rate(f, d->early_end, d->early_end_n);
        } else {
            fputs("- | - | - | -", f);
        }
        fputs(" |\n", f);
    }
}

void cli_sweep_json(FILE *f, const char *param, const cli_sweep_point *p, size_t n)
{
    fputs("{\"param\":", f);
    cli_json_string(f, param);
    fputs(",\"points\":[", f);
    for (size_t k = 0; k < n; k++) {
        fprintf(f, "%s{\"value\":%g", k ? "," : "", p[k].value);
        if (p[k].has_enable) {
            fputs(",\"enable\":", f);
            js_mode(f, &p[k].enable, 0, 0);
        }
        if (p[k].has_de) {
            fputs(",\"detect_message_end\":", f);
            js_mode(f, &p[k].de, 1, 0);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* One small chart: frame, axes with ticks, and its title. Maps data to pixels. */
typedef struct chart {
    double x, y, w, h;     /* pixel box */
    double x0, x1, y0, y1; /* data range */
} chart;

static double cx(const chart *c, double v)
{
    return c->x + c->w * (v - c->x0) / (c->x1 - c->x0);
}

static double cy(const chart *c, double v)
{
    return c->y + c->h - c->h * (v - c->y0) / (c->y1 - c->y0);
}

static void chart_axes(FILE *f, const chart *c, const char *title, const char *xl, const char *yl,
                       int xpercent, int ypercent)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#bbb\"/>\n",
            c->x, c->y, c->w, c->h);
    cli_svg_text(f, c->x + c->w / 2, c->y - 10, "middle", 14, "#111", "%s", title);
    double xs = cli_svg_nice_step(c->x1 - c->x0, 6), ys = cli_svg_nice_step(c->y1 - c->y0, 6);
    for (double v = ceil(c->x0 / xs - 1e-9) * xs; v <= c->x1 + 1e-9; v += xs) {
        double px = cx(c, v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", px, c->y,
                px, c->y + c->h);
        double lv = fabs(v) < xs * 1e-6 ? 0.0 : v; /* no "-0" */
        cli_svg_text(f, px, c->y + c->h + 15, "middle", 10, "#444", xpercent ? "%.0f%%" : "%g",
                     xpercent ? lv * 100 : lv);
    }
    for (double v = ceil(c->y0 / ys - 1e-9) * ys; v <= c->y1 + 1e-9; v += ys) {
        double py = cy(c, v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", c->x, py,
                c->x + c->w, py);
        double lv = fabs(v) < ys * 1e-6 ? 0.0 : v;
        cli_svg_text(f, c->x - 5, py + 4, "end", 10, "#444", ypercent ? "%.0f%%" : "%g",
                     ypercent ? lv * 100 : lv);
    }
    cli_svg_text(f, c->x + c->w / 2, c->y + c->h + 32, "middle", 11, "#333", "%s", xl);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\" transform=\"rotate(-90 %.1f %.1f)\">",
            c->x - 42, c->y + c->h / 2, c->x - 42, c->y + c->h / 2);
    cli_svg_escape(f, yl);
    fputs("</text>\n", f);
}

static void series(FILE *f, const chart *c, const double *xs, const double *ys, size_t n,
                   const char *color, const char *dash)
{
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"", color,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    for (size_t k = 0; k < n; k++)
        if (isfinite(xs[k]) && isfinite(ys[k]))
            fprintf(f, "%.1f,%.1f ", cx(c, xs[k]), cy(c, ys[k]));
    fputs("\"/>\n", f);
    for (size_t k = 0; k < n; k++)
        if (isfinite(xs[k]) && isfinite(ys[k]))
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", cx(c, xs[k]),
                    cy(c, ys[k]), color);
}

static void range_of(const double *v, size_t n, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < n; k++)
        if (isfinite(v[k])) {
            if (v[k] < *lo)
                *lo = v[k];
            if (v[k] > *hi)
                *hi = v[k];
        }
    if (!isfinite(*lo)) {
        *lo = 0;
        *hi = 1;
    }
    if (*hi - *lo < 1e-9) {
        *lo -= 0.5;
        *hi += 0.5;
    }
}

int cli_sweep_svg(const char *path, const char *param, const cli_sweep_point *p, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    double *v = calloc(n * 7 + 1, sizeof *v);
    if (!v) {
        fclose(f);
        return -1;
    }
    double *hm = v + n, *mh = v + 2 * n, *acc_e = v + 3 * n, *acc_d = v + 4 * n, *l50 = v + 5 * n,
           *l90 = v + 6 * n;
    for (size_t k = 0; k < n; k++) {
        const cli_mode_metrics *any = p[k].has_enable ? &p[k].enable : &p[k].de;
        v[k] = p[k].value;
        hm[k] = cli_rate(any->human_as_machine, any->human_n);
        mh[k] = cli_rate(any->machine_as_human, any->machine_n);
        acc_e[k] = p[k].has_enable ? cli_metrics_accuracy(&p[k].enable) : NAN;
        acc_d[k] = p[k].has_de ? cli_metrics_accuracy(&p[k].de) : NAN;
        l50[k] = any->latency_all.p50 / 1000.0;
        l90[k] = any->latency_all.p90 / 1000.0;
    }
    const int W = 1260, H = 450;
    cli_svg_begin(f, W, H);
    cli_svg_text(f, 20, 24, "start", 17, "#111", "amd bench --sweep %s (%zu values)", param, n);

    /* 1: the trade-off of the two costly errors, each point labelled with its value */
    double lo, hi;
    chart c1 = {70, 85, 330, 300, 0, 0, 0, 0};
    range_of(mh, n, &lo, &hi);
    c1.x0 = 0;
    c1.x1 = hi > 0 ? hi * 1.1 : 0.1;
    range_of(hm, n, &lo, &hi);
    c1.y0 = 0;
    c1.y1 = hi > 0 ? hi * 1.1 : 0.1;
    chart_axes(f, &c1, "trade-off (lower left is better)", "machine-as-human rate",
               "human-as-machine rate", 1, 1);
    series(f, &c1, mh, hm, n, "#1c7ed6", NULL);
    /* label each distinct point once, with the value range that lands on it */
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(mh[k]) || !isfinite(hm[k]))
            continue;
        int seen = 0;
        size_t last = k;
        for (size_t j = 0; j < n; j++)
            if (mh[j] == mh[k] && hm[j] == hm[k]) {
                if (j < k)
                    seen = 1;
                last = j;
            }
        if (seen)
            continue;
        if (last != k)
            cli_svg_text(f, cx(&c1, mh[k]) + 5, cy(&c1, hm[k]) - 5, "start", 10, "#1864ab",
                         "%g\xe2\x80\x93%g", v[k], v[last]);
        else
            cli_svg_text(f, cx(&c1, mh[k]) + 5, cy(&c1, hm[k]) - 5, "start", 10, "#1864ab", "%g", v[k]);
    }

    /* 2: accuracy against the value */
    chart c2 = {490, 85, 330, 300, 0, 0, 0, 0};
    range_of(v, n, &c2.x0, &c2.x1);
    double a_lo, a_hi, b_lo, b_hi;
    range_of(acc_e, n, &a_lo, &a_hi);
    range_of(acc_d, n, &b_lo, &b_hi);
    c2.y0 = fmin(a_lo, b_lo);
    c2.y1 = 1.0;
    c2.y0 = c2.y0 > 0.1 ? floor(c2.y0 * 10 - 0.5) / 10 : 0;
    chart_axes(f, &c2, "accuracy", param, "accuracy", 0, 1);
    series(f, &c2, v, acc_e, n, "#2b8a3e", NULL);
    series(f, &c2, v, acc_d, n, "#9c36b5", "6 3");
    /* legend above the chart, beside the title, where it never covers a point */
    cli_svg_text(f, c2.x, c2.y - 26, "start", 11, "#2b8a3e", "\xe2\x80\x94 Enable");
    cli_svg_text(f, c2.x + c2.w, c2.y - 26, "end", 11, "#9c36b5", "- - DetectMessageEnd");

    /* 3: decision latency against the value */
    chart c3 = {910, 85, 330, 300, 0, 0, 0, 0};
    range_of(v, n, &c3.x0, &c3.x1);
    range_of(l90, n, &lo, &hi);
    c3.y0 = 0;
    c3.y1 = hi > 0 ? hi * 1.1 : 1;
    chart_axes(f, &c3, "decision latency", param, "seconds since answer", 0, 0);
    series(f, &c3, v, l50, n, "#e8590c", NULL);
    series(f, &c3, v, l90, n, "#e8590c", "6 3");
    cli_svg_text(f, c3.x + c3.w / 2, c3.y - 26, "middle", 11, "#e8590c", "p50 (solid), p90 (dashed)");
    cli_svg_end(f);
    free(v);
    int bad = ferror(f);
    return (fclose(f) || bad) ? -1 : 0;
}
