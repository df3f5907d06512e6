/* SPDX-License-Identifier: MIT */
/* The `amd trace --svg` picture: one call on a shared time axis in seconds.
 *   1. waveform envelope (min/max per pixel column), speech segments shaded green,
 *      tones (beep / fax / SIT) shaded orange with their frequency;
 *   2. frame level and the adaptive noise floor in dBFS;
 *   3. VAD speech probability and decision;
 *   4. the decision logic's state as a strip;
 * with markers for the first speech onset, the provisional machine event, the greeting
 * end, the beep and the decision (labelled with answered_by and cause). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "trace_data.h"

enum {
    W = 1200,
    H = 640,
    X0 = 70,       /* left edge of the plots */
    PW = 1100,     /* plot width */
    WAVE_Y = 80,
    WAVE_H = 160,
    LVL_Y = 265,
    LVL_H = 160,
    VAD_Y = 450,
    VAD_H = 60,
    ST_Y = 530,
    ST_H = 26,
    AXIS_Y = 574
};
/* dBFS range of the level panel: telephone audio lives between the codec's idle noise
 * (~ -80 dBFS for G.711) and full scale. */
#define DB_MIN (-90.0)
#define DB_MAX 0.0

static double tx(double ms, double total_ms)
{
    return X0 + PW * (ms / total_ms);
}

static double ydb(double db)
{
    if (db < DB_MIN || !isfinite(db))
        db = DB_MIN;
    if (db > DB_MAX)
        db = DB_MAX;
    return LVL_Y + LVL_H * (DB_MAX - db) / (DB_MAX - DB_MIN);
}

static const char *state_color(const char *name)
{
    static const char *pal[] = {"#dbe9f6", "#fde2c4", "#d9f0d3", "#eadcf2", "#f8d7da", "#fff3bf",
                                "#d0ebea", "#e9ecef"};
    unsigned h = 5381;
    for (const char *p = name; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return pal[h % (sizeof pal / sizeof pal[0])];
}

static void vmarker(FILE *f, double x, int y0, int y1, const char *color, const char *dash,
                    double width)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s/>\n",
            x, y0, x, y1, color, width, dash ? " stroke-dasharray=\"" : "", dash ? dash : "",
            dash ? "\"" : "");
}

/* Title, panel frames with their labels, the time grid and axis. */
static void draw_frame(FILE *f, const char *title, const cli_outcome *r, const amd_config *cfg, double total)
{
    const amd_result *res = &r->result;
    /* title */
    cli_svg_text(f, X0, 24, "start", 17, "#111", "%s", title);
    cli_svg_text(f, X0, 46, "start", 13, "#333",
                 "%s at %.2f s (cause %s, confidence %.2f)  \xc2\xb7  engine %s, %s  \xc2\xb7  %s, %d Hz, %.2f s",
                 amd_answered_by_name(res->answered_by), (double)res->decision_ms / 1000.0,
                 amd_cause_name(res->cause), (double)res->confidence, amd_engine_name(cfg->engine),
                 amd_mode_name(cfg->mode), r->format, r->sample_rate, (double)r->duration_ms / 1000.0);

    /* panel frames and labels */
    const struct {
        int y, h;
        const char *label;
    } panels[] = {{WAVE_Y, WAVE_H, "waveform"},
                  {LVL_Y, LVL_H, "level / noise floor (dBFS)"},
                  {VAD_Y, VAD_H, "speech probability"},
                  {ST_Y, ST_H, "state"}};
    for (size_t k = 0; k < 4; k++) {
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#bbb\"/>\n",
                X0, panels[k].y, PW, panels[k].h);
        cli_svg_text(f, X0 + 4, panels[k].y - 4, "start", 11, "#555", "%s", panels[k].label);
    }

    /* time grid and axis */
    double step = cli_svg_nice_step(total / 1000.0, 12);
    for (double s = 0; s * 1000.0 <= total + 1e-6; s += step) {
        double x = tx(s * 1000.0, total);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/>\n", x,
                WAVE_Y, x, ST_Y + ST_H);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#666\"/>\n", x,
                ST_Y + ST_H, x, ST_Y + ST_H + 5);
        cli_svg_text(f, x, AXIS_Y, "middle", 11, "#333", step < 1 ? "%.1f" : "%.0f", s);
    }
    cli_svg_text(f, X0 + PW / 2.0, AXIS_Y + 18, "middle", 12, "#333", "time since answer (s)");
}

/* Speech segments (VAD) and tones, shaded across the signal panels. */
static void draw_spans(FILE *f, const cli_trace *t, double total)
{
    /* speech segments (VAD) shaded across the signal panels */
    cli_span *sp = NULL;
    size_t nsp = cli_trace_speech_spans(t, &sp);
    for (size_t k = 0; k < nsp; k++) {
        double x0 = tx((double)sp[k].start_ms, total), x1 = tx((double)sp[k].end_ms, total);
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#2f9e44\" fill-opacity=\"0.13\"/>\n",
                x0, WAVE_Y, x1 - x0 < 0.5 ? 0.5 : x1 - x0, VAD_Y + VAD_H - WAVE_Y);
    }
    free(sp);

    /* tones: candidates shorter than CLI_TRACE_TONE_MIN_MS are flicker of the tone
     * tracker on voiced speech, drawn as faint ticks; longer ones are shaded and labelled
     * (a label is skipped when it would overprint the previous one) */
    cli_span *tn = NULL;
    size_t ntn = cli_trace_tone_spans(t, &tn);
    double label_end = -1e9;
    for (size_t k = 0; k < ntn; k++) {
        double x0 = tx((double)tn[k].start_ms, total), x1 = tx((double)tn[k].end_ms, total);
        if (tn[k].end_ms - tn[k].start_ms < CLI_TRACE_TONE_MIN_MS) {
            fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\" fill=\"#f08c00\" fill-opacity=\"0.5\"/>\n",
                    x0, WAVE_Y + WAVE_H - 8, x1 - x0 < 1 ? 1 : x1 - x0);
            continue;
        }
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f08c00\" fill-opacity=\"0.28\"/>\n",
                x0, WAVE_Y, x1 - x0 < 1 ? 1 : x1 - x0, LVL_Y + LVL_H - WAVE_Y);
        if (x0 < label_end)
            continue;
        char label[48];
        if (tn[k].hz > 0)
            snprintf(label, sizeof label, "%s %.0f Hz", tn[k].kind, (double)tn[k].hz);
        else
            snprintf(label, sizeof label, "%s", tn[k].kind);
        cli_svg_text(f, x0 + 2, WAVE_Y + 12, "start", 11, "#b35900", "%s", label);
        label_end = x0 + 2 + 6.5 * (double)strlen(label) + 6;
    }
    free(tn);
}

static void draw_waveform(FILE *f, const cli_trace *t, double total)
{
    /* waveform envelope, min/max per pixel column, scaled to the peak */
    if (t->nenv) {
        double peak = 0;
        for (size_t i = 0; i < t->nenv; i++) {
            if (fabs(t->env_min[i]) > peak)
                peak = fabs(t->env_min[i]);
            if (fabs(t->env_max[i]) > peak)
                peak = fabs(t->env_max[i]);
        }
        double scale = peak > 1e-6 ? 1.0 / peak : 1.0;
        double mid = WAVE_Y + WAVE_H / 2.0, half = WAVE_H / 2.0 - 6;
        double env_ms = (double)t->nenv * 10.0;
        int cols = (int)(PW * env_ms / total);
        if (cols > PW)
            cols = PW;
        if (cols < 1)
            cols = 1;
        fputs("<path fill=\"#1c7ed6\" fill-opacity=\"0.85\" stroke=\"#1864ab\" stroke-width=\"0.4\" d=\"", f);
        double *mx = malloc(sizeof(double) * (size_t)cols * 2);
        if (mx) {
            double *mn = mx + cols;
            for (int c = 0; c < cols; c++) {
                size_t a = (size_t)((double)c * (double)t->nenv / cols);
                size_t b = (size_t)((double)(c + 1) * (double)t->nenv / cols);
                if (b <= a)
                    b = a + 1;
                if (b > t->nenv)
                    b = t->nenv;
                double lo = 0, hi = 0;
                for (size_t i = a; i < b; i++) {
                    if (t->env_min[i] < lo)
                        lo = t->env_min[i];
                    if (t->env_max[i] > hi)
                        hi = t->env_max[i];
                }
                mx[c] = mid - hi * scale * half;
                mn[c] = mid - lo * scale * half;
                if (mn[c] - mx[c] < 0.6) { /* keep silence visible as a hairline */
                    mx[c] -= 0.3;
                    mn[c] += 0.3;
                }
            }
            double pxw = (double)PW * env_ms / total / cols;
            for (int c = 0; c < cols; c++)
                fprintf(f, "%s%.1f %.1f", c ? " L" : "M", X0 + c * pxw, mx[c]);
            for (int c = cols - 1; c >= 0; c--)
                fprintf(f, " L%.1f %.1f", X0 + c * pxw, mn[c]);
            fputs(" Z", f);
            free(mx);
        }
        fputs("\"/>\n", f);
        cli_svg_text(f, X0 + PW - 4, WAVE_Y + WAVE_H - 6, "end", 10, "#555",
                     "scaled to peak %.1f dBFS", peak > 1e-9 ? 20 * log10(peak) : -180.0);
    }
}

/* Level, noise floor and speech probability; the part after the decision greyed out. */
static void draw_level(FILE *f, const cli_trace *t, double total)
{
    /* level and noise floor */
    for (int db = (int)DB_MIN + 10; db <= (int)DB_MAX; db += 20) {
        double y = ydb(db);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", X0, y,
                X0 + PW, y);
        cli_svg_text(f, X0 - 6, y + 4, "end", 10, "#555", "%d", db);
    }
    if (t->nframes) {
        fputs("<polyline fill=\"none\" stroke=\"#1864ab\" stroke-width=\"1\" points=\"", f);
        for (size_t i = 0; i < t->nframes; i++)
            fprintf(f, "%.1f,%.1f ", tx((double)t->frames[i].time_ms - 5, total),
                    ydb(t->frames[i].level_db));
        fputs("\"/>\n<polyline fill=\"none\" stroke=\"#495057\" stroke-width=\"1.6\" stroke-dasharray=\"5 3\" points=\"", f);
        for (size_t i = 0; i < t->nframes; i++)
            fprintf(f, "%.1f,%.1f ", tx((double)t->frames[i].time_ms - 5, total),
                    ydb(t->frames[i].noise_floor_db));
        fputs("\"/>\n", f);
        /* speech probability, with the VAD decision as a filled band */
        fputs("<polyline fill=\"none\" stroke=\"#2b8a3e\" stroke-width=\"1\" points=\"", f);
        for (size_t i = 0; i < t->nframes; i++) {
            double p = t->frames[i].speech_prob;
            if (!(p >= 0))
                p = 0;
            if (p > 1)
                p = 1;
            fprintf(f, "%.1f,%.1f ", tx((double)t->frames[i].time_ms - 5, total),
                    VAD_Y + VAD_H - p * (VAD_H - 4) - 2);
        }
        fputs("\"/>\n", f);
        double last = (double)t->frames[t->nframes - 1].time_ms;
        if (last < total - 50) {
            double x = tx(last, total);
            fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#adb5bd\" fill-opacity=\"0.25\"/>\n",
                    x, LVL_Y, X0 + PW - x, ST_Y + ST_H - LVL_Y);
            cli_svg_text(f, (x + X0 + PW) / 2, LVL_Y + LVL_H / 2.0, "middle", 11, "#666",
                         "no analysis after the decision");
        }
    }
    cli_svg_text(f, X0 - 6, VAD_Y + 10, "end", 10, "#555", "1");
    cli_svg_text(f, X0 - 6, VAD_Y + VAD_H, "end", 10, "#555", "0");
}

static void draw_states(FILE *f, const cli_trace *t, double total)
{
    /* state strip */
    cli_span *st = NULL;
    size_t nst = cli_trace_state_spans(t, &st);
    for (size_t k = 0; k < nst; k++) {
        double x0 = tx((double)st[k].start_ms, total), x1 = tx((double)st[k].end_ms, total);
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.5\"/>\n",
                x0, ST_Y, x1 - x0, ST_H, state_color(st[k].kind));
        if (x1 - x0 > 7.0 * (double)strlen(st[k].kind))
            cli_svg_text(f, (x0 + x1) / 2, ST_Y + 17, "middle", 11, "#222", "%s", st[k].kind);
    }
    free(st);
}

/* Onset, provisional machine event, greeting end, beep and decision. */
static void draw_markers(FILE *f, const amd_result *res, double total)
{
    /* event markers */
    int top = WAVE_Y - 18, bot = ST_Y + ST_H;
    if (res->speech_onset_ms >= 0) {
        double x = tx((double)res->speech_onset_ms, total);
        vmarker(f, x, WAVE_Y, bot, "#2b8a3e", "4 3", 1.3);
        cli_svg_text(f, x + 3, WAVE_Y + WAVE_H - 6, "start", 10, "#2b8a3e", "onset");
    }
    if (res->machine_known_ms >= 0) {
        double x = tx((double)res->machine_known_ms, total);
        vmarker(f, x, WAVE_Y, bot, "#7048e8", "4 3", 1.3);
        cli_svg_text(f, x + 3, LVL_Y + 12, "start", 10, "#7048e8", "machine known");
    }
    if (res->greeting_end_ms >= 0) {
        double x = tx((double)res->greeting_end_ms, total);
        vmarker(f, x, WAVE_Y, bot, "#9c36b5", "2 2", 1.3);
        cli_svg_text(f, x + 3, LVL_Y + 26, "start", 10, "#9c36b5", "greeting end");
    }
    if (res->beep_start_ms >= 0) {
        double x0 = tx((double)res->beep_start_ms, total), x1 = tx((double)res->beep_end_ms, total);
        vmarker(f, x0, WAVE_Y, LVL_Y + LVL_H, "#e8590c", NULL, 1);
        vmarker(f, x1, WAVE_Y, LVL_Y + LVL_H, "#e8590c", NULL, 1);
        cli_svg_text(f, x1 + 3, LVL_Y + 40, "start", 10, "#e8590c", "beep %.0f Hz",
                     (double)res->beep_hz);
    }
    if (res->answered_by != AMD_ANSWERED_NONE) {
        double x = tx((double)res->decision_ms, total);
        vmarker(f, x, top + 4, bot, "#e03131", NULL, 2.2);
        fprintf(f, "<path d=\"M%.1f %d l-6 -9 h12 z\" fill=\"#e03131\"/>\n", x, top + 4);
        int right = x > X0 + PW * 0.8;
        cli_svg_text(f, right ? x - 8 : x + 8, top + 2, right ? "end" : "start", 13, "#c92a2a",
                     "%s  %.2f s (%s)", amd_answered_by_name(res->answered_by),
                     (double)res->decision_ms / 1000.0, amd_cause_name(res->cause));
    }
}

static void draw_legend(FILE *f)
{
    /* legend */
    int ly = H - 22, lx = X0;
    const struct {
        const char *color, *label;
        int box;
    } legend[] = {{"#1c7ed6", "waveform", 1},       {"#2f9e44", "speech (VAD)", 1},
                  {"#f08c00", "tone", 1},           {"#1864ab", "level", 0},
                  {"#495057", "noise floor", 0},    {"#2b8a3e", "speech prob.", 0},
                  {"#e03131", "decision", 0}};
    for (size_t k = 0; k < sizeof legend / sizeof legend[0]; k++) {
        if (legend[k].box)
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\" fill-opacity=\"0.6\"/>\n",
                    lx, ly - 9, legend[k].color);
        else
            fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                    lx, ly - 4, lx + 14, ly - 4, legend[k].color);
        cli_svg_text(f, lx + 18, ly, "start", 11, "#333", "%s", legend[k].label);
        lx += 30 + 7 * (int)strlen(legend[k].label);
    }
}

int cli_trace_svg(const char *path, const char *title, const cli_trace *t, const cli_outcome *r,
                  const amd_config *cfg)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const amd_result *res = &r->result;
    double total = (double)r->duration_ms;
    if (t->nframes && (double)t->frames[t->nframes - 1].time_ms > total)
        total = (double)t->frames[t->nframes - 1].time_ms;
    if ((double)res->decision_ms > total)
        total = (double)res->decision_ms;
    if (total < 100)
        total = 100;

    cli_svg_begin(f, W, H);
    draw_frame(f, title, r, cfg, total);
    draw_spans(f, t, total);
    draw_waveform(f, t, total);
    draw_level(f, t, total);
    draw_states(f, t, total);
    draw_markers(f, res, total);
    draw_legend(f);
    cli_svg_end(f);
    int bad = ferror(f);
    if (fclose(f) || bad)
        return -1;
    return 0;
}
