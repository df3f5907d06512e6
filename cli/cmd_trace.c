/* SPDX-License-Identifier: MIT */
/* `amd trace`: why the detector decided what it did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "feed.h"
#include "options.h"
#include "trace_data.h"

static void usage(FILE *out)
{
    fputs("Usage: amd trace [options] FILE [--svg OUT.svg] [--csv OUT.csv]\n"
          "Run one call through the detector and show why it decided what it did: a summary\n"
          "on stdout (decision, speech segments, tones, state changes), the 10 ms frame\n"
          "timeline as CSV (time_ms, level_db, noise_floor_db, speech_prob, speech, tone_hz,\n"
          "tone_kind, state) and an SVG picture (waveform envelope, speech segments, level and\n"
          "noise floor, tones, states, decision marker; time axis in seconds).\n\n"
          "  --svg OUT                 write the picture to OUT\n"
          "  --csv OUT                 write the frame timeline to OUT ('-': stdout, the summary\n"
          "                            then goes to stderr)\n",
          out);
    cli_common_help(out, 1, 0);
    fputs("\nExit status: 0 traced, 1 the file could not be read, 2 usage error.\n"
          "Example: amd trace --machine-detection DetectMessageEnd --svg call.svg call.wav\n",
          out);
}

static int write_csv(FILE *f, const cli_trace *t)
{
    fputs("time_ms,level_db,noise_floor_db,speech_prob,speech,tone_hz,tone_kind,state\n", f);
    for (size_t i = 0; i < t->nframes; i++) {
        const cli_trace_frame *fr = &t->frames[i];
        fprintf(f, "%lld,%.2f,%.2f,%.3f,%d,%.1f,%s,%s\n", (long long)fr->time_ms,
                (double)fr->level_db, (double)fr->noise_floor_db, (double)fr->speech_prob, fr->speech,
                (double)fr->tone_hz, fr->tone_kind ? fr->tone_kind : "", fr->state ? fr->state : "");
    }
    return ferror(f) ? -1 : 0;
}

static void print_ms(FILE *f, const char *label, int64_t v)
{
    if (v >= 0)
        fprintf(f, "  %-18s %.3f s\n", label, (double)v / 1000.0);
    else
        fprintf(f, "  %-18s -\n", label);
}

static void summary(FILE *f, const char *file, const cli_trace *t, const cli_outcome *r,
                    const amd_config *cfg)
{
    const amd_result *res = &r->result;
    fprintf(f, "%s: %s, %d Hz, %d channel%s, %.3f s\n", file, r->format, r->sample_rate, r->channels,
            r->channels == 1 ? "" : "s", (double)r->duration_ms / 1000.0);
    fprintf(f, "engine %s, %s\n", amd_engine_name(cfg->engine), amd_mode_name(cfg->mode));
    fprintf(f, "decision: %s at %.3f s (cause %s, confidence %.2f)\n",
            amd_answered_by_name(res->answered_by), (double)res->decision_ms / 1000.0,
            amd_cause_name(res->cause), (double)res->confidence);
    print_ms(f, "speech onset", res->speech_onset_ms);
    print_ms(f, "machine known", res->machine_known_ms);
    print_ms(f, "greeting end", res->greeting_end_ms);
    if (res->beep_start_ms >= 0)
        fprintf(f, "  %-18s %.3f-%.3f s, %.0f Hz\n", "beep", (double)res->beep_start_ms / 1000.0,
                (double)res->beep_end_ms / 1000.0, (double)res->beep_hz);
    else
        fprintf(f, "  %-18s -\n", "beep");

    cli_span *s = NULL;
    size_t n = cli_trace_speech_spans(t, &s);
    int64_t speech_ms = 0;
    for (size_t k = 0; k < n; k++)
        speech_ms += s[k].end_ms - s[k].start_ms;
    fprintf(f, "speech segments (VAD): %zu, %.2f s of speech\n", n, (double)speech_ms / 1000.0);
    for (size_t k = 0; k < n; k++)
        fprintf(f, "  %7.3f - %7.3f s  (%4lld ms)\n", (double)s[k].start_ms / 1000.0,
                (double)s[k].end_ms / 1000.0, (long long)(s[k].end_ms - s[k].start_ms));
    free(s);
    n = cli_trace_tone_spans(t, &s);
    size_t shown = 0;
    for (size_t k = 0; k < n; k++)
        shown += s[k].end_ms - s[k].start_ms >= CLI_TRACE_TONE_MIN_MS;
    fprintf(f, "tones: %zu", shown);
    if (n > shown)
        fprintf(f, " (and %zu tone-tracker candidates under %d ms, in the CSV)", n - shown,
                CLI_TRACE_TONE_MIN_MS);
    fputc('\n', f);
    for (size_t k = 0; k < n; k++)
        if (s[k].end_ms - s[k].start_ms >= CLI_TRACE_TONE_MIN_MS)
            fprintf(f, "  %7.3f - %7.3f s  %-5s %.0f Hz\n", (double)s[k].start_ms / 1000.0,
                    (double)s[k].end_ms / 1000.0, s[k].kind, (double)s[k].hz);
    free(s);
    n = cli_trace_state_spans(t, &s);
    fprintf(f, "states:\n");
    for (size_t k = 0; k < n; k++)
        fprintf(f, "  %7.3f s  %s\n", (double)s[k].start_ms / 1000.0, s[k].kind);
    free(s);
    fprintf(f, "frames: %zu x 10 ms analysed", t->nframes);
    if (t->nframes && t->frames[t->nframes - 1].time_ms + 10 < r->duration_ms)
        fprintf(f, " (analysis stopped after the decision at %.3f s)",
                (double)t->frames[t->nframes - 1].time_ms / 1000.0);
    fputc('\n', f);
}

int amd_cli_trace(int argc, char **argv)
{
    cli_common common;
    cli_common_init(&common);
    const char *file = NULL, *svg = NULL, *csv = NULL;
    char err[320];
    int rc = 2, only_files = 0;
    cli_trace t;
    cli_trace_init(&t);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            if (file) {
                fprintf(stderr, "amd trace: one FILE at a time ('%s' and '%s')\n", file, a);
                goto out;
            }
            file = a;
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
        const char **dst = !strncmp(a, "--svg", 5) && (a[5] == 0 || a[5] == '=')   ? &svg
                           : !strncmp(a, "--csv", 5) && (a[5] == 0 || a[5] == '=') ? &csv
                                                                                    : NULL;
        if (dst) {
            *dst = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!*dst || !**dst) {
                fprintf(stderr, "amd trace: %.5s needs a file name\n", a);
                goto out;
            }
            continue;
        }
        if (!strcmp(a, "-j") || !strncmp(a, "--jobs", 6)) {
            fprintf(stderr, "amd trace: -j does not apply (one file)\n");
            goto out;
        }
        int r = cli_common_parse(&common, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "amd trace: %s\n", err);
            goto out;
        }
        if (r == 0) {
            fprintf(stderr, "amd trace: unknown option '%s' (see amd trace --help)\n", a);
            goto out;
        }
    }
    if (cli_common_finish(&common, err, sizeof err)) {
        fprintf(stderr, "amd trace: %s\n", err);
        goto out;
    }
    if (!file) {
        fprintf(stderr, "amd trace: no input file (see amd trace --help)\n");
        goto out;
    }
    cli_feed_hooks hooks;
    cli_trace_hooks(&t, &hooks);
    cli_outcome r;
    cli_feed_file(file, &common.input, &common.cfg, &hooks, &r);
    rc = 1;
    if (!r.ok) {
        fprintf(stderr, "amd trace: %s: %s\n", file, r.error);
        goto out;
    }
    if (t.oom) {
        fprintf(stderr, "amd trace: %s: out of memory recording the timeline\n", file);
        goto out;
    }
    FILE *sumf = stdout;
    if (csv) {
        int to_stdout = strcmp(csv, "-") == 0;
        FILE *f = to_stdout ? stdout : fopen(csv, "w");
        if (!f || write_csv(f, &t) || (!to_stdout && fclose(f))) {
            fprintf(stderr, "amd trace: cannot write %s\n", csv);
            goto out;
        }
        if (to_stdout)
            sumf = stderr;
    }
    if (svg) {
        const char *base = strrchr(file, '/');
        if (cli_trace_svg(svg, base ? base + 1 : file, &t, &r, &common.cfg)) {
            fprintf(stderr, "amd trace: cannot write %s\n", svg);
            goto out;
        }
    }
    summary(sumf, file, &t, &r, &common.cfg);
    if (csv && strcmp(csv, "-"))
        fprintf(sumf, "timeline: %s\n", csv);
    if (svg)
        fprintf(sumf, "picture: %s\n", svg);
    rc = 0;
out:
    cli_trace_free(&t);
    cli_common_free(&common);
    return rc;
}
