/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <string.h>
#include <strings.h>

int cli_format_parse(const char *s, cli_format *out)
{
    if (!strcasecmp(s, "table"))
        *out = CLI_FMT_TABLE;
    else if (!strcasecmp(s, "json") || !strcasecmp(s, "jsonl"))
        *out = CLI_FMT_JSON;
    else if (!strcasecmp(s, "csv"))
        *out = CLI_FMT_CSV;
    else
        return -1;
    return 0;
}

void cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void cli_csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* The documented columns (amd classify --help, README), then the extras. */
static const char *const columns[] = {
    "file", "answered_by", "machine_detection_duration_ms", "cause", "confidence",
    "speech_onset_ms", "greeting_end_ms", "beep_start_ms", "beep_end_ms", "beep_hz",
    "machine_known_ms", "engine", "mode", "duration_ms", "sample_rate", "format"};
#define NCOLS (sizeof columns / sizeof columns[0])

void cli_output_header(const cli_output *o)
{
    if (o->fmt == CLI_FMT_CSV) {
        for (size_t k = 0; k < NCOLS; k++)
            fprintf(o->out, "%s%s", k ? "," : "", columns[k]);
        if (o->with_expected)
            fputs(",expected,correct", o->out);
        fputc('\n', o->out);
    } else if (o->fmt == CLI_FMT_TABLE) {
        fprintf(o->out, "%-*s  %-19s %7s  %-16s %4s %7s %7s  %-21s", o->file_width, "FILE",
                "ANSWERED_BY", "MS", "CAUSE", "CONF", "ONSET", "GR_END", "BEEP");
        if (o->with_expected)
            fputs("  EXPECTED", o->out);
        fputc('\n', o->out);
    }
}

/* A time in ms, or "null" (JSON) / "" (CSV) / "-" (table) when not applicable. */
static void put_ms(const cli_output *o, int64_t v, int width)
{
    if (v >= 0) {
        if (o->fmt == CLI_FMT_TABLE)
            fprintf(o->out, "%*lld", width, (long long)v);
        else
            fprintf(o->out, "%lld", (long long)v);
    } else if (o->fmt == CLI_FMT_JSON) {
        fputs("null", o->out);
    } else if (o->fmt == CLI_FMT_TABLE) {
        fprintf(o->out, "%*s", width, "-");
    }
}

void cli_output_row(const cli_output *o, const char *file, const cli_outcome *r,
                    const amd_config *cfg, const char *expected)
{
    const amd_result *res = &r->result;
    const char *ab = amd_answered_by_name(res->answered_by);
    const char *cause = amd_cause_name(res->cause);
    const char *engine = amd_engine_name(cfg->engine);
    const char *mode = amd_mode_name(cfg->mode);
    int has_beep = res->beep_start_ms >= 0;
    int correct = expected && *expected && strcmp(expected, ab) == 0;
    FILE *out = o->out;

    if (o->fmt == CLI_FMT_TABLE) {
        char beep[40] = "-";
        if (has_beep)
            snprintf(beep, sizeof beep, "%lld-%lld@%.0fHz", (long long)res->beep_start_ms,
                     (long long)res->beep_end_ms, (double)res->beep_hz);
        fprintf(out, "%-*s  %-19s %7lld  %-16s %4.2f ", o->file_width, file, ab,
                (long long)res->decision_ms, cause, (double)res->confidence);
        put_ms(o, res->speech_onset_ms, 7);
        fputc(' ', out);
        put_ms(o, res->greeting_end_ms, 7);
        fprintf(out, "  %-21s", beep);
        if (o->with_expected)
            fprintf(out, "  %s %s", expected && *expected ? expected : "-",
                    !(expected && *expected) ? "" : correct ? "ok" : "MISS");
        fputc('\n', out);
        return;
    }
    if (o->fmt == CLI_FMT_CSV) {
        cli_csv_field(out, file);
        fprintf(out, ",%s,%lld,%s,%.3f,", ab, (long long)res->decision_ms, cause,
                (double)res->confidence);
        put_ms(o, res->speech_onset_ms, 0);
        fputc(',', out);
        put_ms(o, res->greeting_end_ms, 0);
        fputc(',', out);
        put_ms(o, res->beep_start_ms, 0);
        fputc(',', out);
        put_ms(o, res->beep_end_ms, 0);
        fputc(',', out);
        if (has_beep)
            fprintf(out, "%.1f", (double)res->beep_hz);
        fputc(',', out);
        put_ms(o, res->machine_known_ms, 0);
        fprintf(out, ",%s,%s,%lld,%d,", engine, mode, (long long)r->duration_ms, r->sample_rate);
        cli_csv_field(out, r->format);
        if (o->with_expected)
            fprintf(out, ",%s,%s", expected ? expected : "",
                    expected && *expected ? (correct ? "true" : "false") : "");
        fputc('\n', out);
        return;
    }
    fputs("{\"file\":", out);
    cli_json_string(out, file);
    fprintf(out, ",\"answered_by\":\"%s\",\"machine_detection_duration_ms\":%lld,\"cause\":\"%s\","
                 "\"confidence\":%.3f,\"speech_onset_ms\":",
            ab, (long long)res->decision_ms, cause, (double)res->confidence);
    put_ms(o, res->speech_onset_ms, 0);
    fputs(",\"greeting_end_ms\":", out);
    put_ms(o, res->greeting_end_ms, 0);
    fputs(",\"beep_start_ms\":", out);
    put_ms(o, res->beep_start_ms, 0);
    fputs(",\"beep_end_ms\":", out);
    put_ms(o, res->beep_end_ms, 0);
    fputs(",\"beep_hz\":", out);
    if (has_beep)
        fprintf(out, "%.1f", (double)res->beep_hz);
    else
        fputs("null", out);
    fputs(",\"machine_known_ms\":", out);
    put_ms(o, res->machine_known_ms, 0);
    fprintf(out, ",\"engine\":\"%s\",\"mode\":\"%s\",\"duration_ms\":%lld,\"sample_rate\":%d,"
                 "\"format\":",
            engine, mode, (long long)r->duration_ms, r->sample_rate);
    cli_json_string(out, r->format);
    if (o->with_expected) {
        fputs(",\"expected\":", out);
        if (expected && *expected)
            fprintf(out, "\"%s\",\"correct\":%s", expected, correct ? "true" : "false");
        else
            fputs("null,\"correct\":null", out);
    }
    fputs("}\n", out);
}
