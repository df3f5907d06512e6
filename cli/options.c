/* SPDX-License-Identifier: MIT */
/* The shared option parser (see options.h). The detector parameters' flags, units and
 * help come from the library's table (amd/params.h). Ranges are not checked here:
 * amd_config_validate checks them against the same table, and its message (naming the
 * field and range) is what the user sees. */
#include "options.h"

#include "amd/params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A numeric detector parameter given by flag (the core's table, amd/params.h): its row, or NULL
 * for unknown flags and the enums (--machine-detection, --engine), which take names. */
static const amd_param *find_param(const char *name)
{
    const amd_param *p = amd_param_by_flag(name);
    return p && p->kind != AMD_PARAM_ENUM ? p : NULL;
}

int cli_parse_int(const char *s, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

void cli_common_init(cli_common *c)
{
    memset(c, 0, sizeof *c);
    amd_config_init(&c->cfg);
}

void cli_common_free(cli_common *c)
{
    if (c->model) {
        amd_model_free(c->model);
        c->model = NULL;
        c->cfg.model = NULL;
    }
}

int cli_param_known(const char *name)
{
    return find_param(name) != NULL;
}

int cli_param_set(amd_config *cfg, const char *name, double value)
{
    const amd_param *p = find_param(name);
    if (!p)
        return -1;
    double v = value * p->scale;
    if (!(v > -2e9 && v < 2e9))
        return -1;
    amd_param_set(cfg, p, (int)lround(v));
    return 0;
}

/* Split "--name=value" / "--name value". Returns the value or NULL (message set). */
static const char *take_value(int argc, char **argv, int *i, const char *flag, const char *eq,
                              char *err, size_t errlen)
{
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value", flag);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int cli_common_parse(cli_common *c, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "-j") == 0 || strncmp(arg, "-j", 2) == 0 || strncmp(arg, "--jobs", 6) == 0) {
        const char *v;
        if (strncmp(arg, "--jobs", 6) == 0) {
            if (arg[6] != 0 && arg[6] != '=')
                return 0;
            v = take_value(argc, argv, i, "--jobs", arg[6] == '=' ? arg + 6 : NULL, err, errlen);
        } else if (arg[2]) {
            v = arg + 2; /* -j4 */
        } else {
            v = take_value(argc, argv, i, "-j", NULL, err, errlen);
        }
        if (!v)
            return -1;
        long n;
        if (cli_parse_int(v, &n) || n < 1 || n > 256) {
            snprintf(err, errlen, "-j: '%s' is not a worker count in 1..256", v);
            return -1;
        }
        c->jobs = (int)n;
        return 1;
    }
    if (strncmp(arg, "--", 2) != 0)
        return 0;
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    char key[64];
    if (nlen == 0 || nlen >= sizeof key)
        return 0;
    memcpy(key, name, nlen);
    key[nlen] = 0;

    if (strcmp(key, "no-fax") == 0 || strcmp(key, "no-sit") == 0) {
        if (eq) {
            snprintf(err, errlen, "--%s takes no value", key);
            return -1;
        }
        if (key[3] == 'f')
            c->cfg.detect_fax = 0;
        else
            c->cfg.detect_sit = 0;
        return 1;
    }

    const amd_param *p = find_param(key);
    int is_known = p || amd_param_by_flag(key) ||
                   !strcmp(key, "raw") || !strcmp(key, "rate") || !strcmp(key, "channel") ||
                   !strcmp(key, "model");
    if (!is_known)
        return 0;
    char flag[72];
    snprintf(flag, sizeof flag, "--%s", key);
    const char *v = take_value(argc, argv, i, flag, eq, err, errlen);
    if (!v)
        return -1;

    if (p) {
        double d;
        if (cli_parse_double(v, &d)) {
            snprintf(err, errlen, "%s: '%s' is not a number", flag, v);
            return -1;
        }
        if (p->scale == 1 && d != floor(d)) {
            snprintf(err, errlen, "%s: '%s' must be a whole number", flag, v);
            return -1;
        }
        if (cli_param_set(&c->cfg, key, d)) {
            snprintf(err, errlen, "%s: '%s' is out of any sensible range", flag, v);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, amd_param_by_field("mode")->flag) == 0) {
        if (amd_mode_parse(v, &c->cfg.mode)) {
            snprintf(err, errlen, "%s: '%s' is not Enable or DetectMessageEnd", flag, v);
            return -1;
        }
        c->mode_given = 1;
        return 1;
    }
    if (strcmp(key, amd_param_by_field("engine")->flag) == 0) {
        if (amd_engine_parse(v, &c->cfg.engine)) {
            snprintf(err, errlen, "%s: unknown engine '%s' (default, timing, words|Lumenvox, model)",
                     flag, v);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "raw") == 0) {
        if (!strcasecmp(v, "ulaw") || !strcasecmp(v, "mulaw") || !strcasecmp(v, "u-law"))
            c->input.raw = AMDI_RAW_ULAW;
        else if (!strcasecmp(v, "alaw") || !strcasecmp(v, "a-law"))
            c->input.raw = AMDI_RAW_ALAW;
        else if (!strcasecmp(v, "s16") || !strcasecmp(v, "s16le") || !strcasecmp(v, "pcm"))
            c->input.raw = AMDI_RAW_S16;
        else {
            snprintf(err, errlen, "--raw: '%s' is not ulaw, alaw or s16", v);
            return -1;
        }
        return 1;
    }
    long n;
    if (strcmp(key, "rate") == 0) {
        if (cli_parse_int(v, &n) || n < 1000 || n > 384000) {
            snprintf(err, errlen, "--rate: '%s' is not a sample rate in Hz (1000..384000)", v);
            return -1;
        }
        c->input.raw_rate = (int)n;
        return 1;
    }
    if (strcmp(key, "channel") == 0) {
        if (cli_parse_int(v, &n) || n < 1 || n > 64) {
            snprintf(err, errlen, "--channel: '%s' is not a channel number (1..64)", v);
            return -1;
        }
        c->input.channel = (int)n;
        return 1;
    }
    /* --model FILE */
    if (c->model)
        amd_model_free(c->model);
    c->model = NULL;
    char merr[200];
    int rc = amd_model_load_file(v, &c->model, merr, sizeof merr);
    if (rc) {
        snprintf(err, errlen, "--model %s: %s", v, merr[0] ? merr : amd_strerror(rc));
        c->model = NULL;
        return -1;
    }
    c->cfg.model = c->model;
    return 1;
}

int cli_common_finish(cli_common *c, char *err, size_t errlen)
{
    if (c->input.raw != AMDI_RAW_NONE && c->input.raw_rate == 0) {
        snprintf(err, errlen, "--raw needs --rate N (the sample rate in Hz)");
        return -1;
    }
    if (c->input.raw == AMDI_RAW_NONE && c->input.raw_rate != 0) {
        snprintf(err, errlen, "--rate only applies to headerless input (with --raw)");
        return -1;
    }
    amd_config probe = c->cfg;
    probe.sample_rate = 8000; /* the real rate comes from each file */
    char verr[200] = "";
    int rc = amd_config_validate(&probe, verr, sizeof verr);
    if (rc) {
        snprintf(err, errlen, "invalid parameter: %s", verr[0] ? verr : amd_strerror(rc));
        return -1;
    }
    /* Some configurations validate but cannot run (e.g. the model engine in a build without
     * a model): find out once here rather than failing every file the same way. */
    amd_detector *det = NULL;
    rc = amd_detector_create(&probe, &det, verr, sizeof verr);
    amd_detector_destroy(det);
    if (rc) {
        snprintf(err, errlen, "%s", verr[0] ? verr : amd_strerror(rc));
        return -1;
    }
    return 0;
}

/* "  --flag ARG   help text" with the help wrapped to 79 columns under its own column. */
static void help_line(FILE *out, const char *lhs, const char *text)
{
    enum { COL = 28, WIDTH = 79 };
    int n = fprintf(out, "  %s", lhs);
    if (n >= COL) {
        fputc('\n', out);
        n = 0;
    }
    fprintf(out, "%*s", COL - n, "");
    int col = COL;
    const char *p = text;
    while (*p) {
        const char *sp = strchr(p, ' ');
        int wl = sp ? (int)(sp - p) : (int)strlen(p);
        if (col > COL && col + 1 + wl > WIDTH) {
            fprintf(out, "\n%*s", COL, "");
            col = COL;
        } else if (col > COL) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, (size_t)wl, out);
        col += wl;
        p += wl;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

/* One parameter's help: "Twilio name: help (range, default)" in the flag's units. */
static void param_help(FILE *out, const amd_param *p)
{
    char lhs[48], text[256];
    snprintf(lhs, sizeof lhs, "--%s %s", p->flag, p->arg);
    int n = snprintf(text, sizeof text, "%s%s%s", p->twilio ? p->twilio : "", p->twilio ? ": " : "", p->help);
    if (n > 0 && (size_t)n < sizeof text && p->kind == AMD_PARAM_INT)
        snprintf(text + n, sizeof text - (size_t)n, " (%d..%d, default %d)", p->min / p->scale,
                 p->max / p->scale, p->def / p->scale);
    else if (n > 0 && (size_t)n < sizeof text && p->kind == AMD_PARAM_BOOL)
        snprintf(text + n, sizeof text - (size_t)n, " (default %d)", p->def);
    help_line(out, lhs, text);
}

void cli_common_help(FILE *out, int with_input, int with_jobs)
{
    fputs("\nDetector parameters (Twilio's names, ranges and defaults):\n", out);
    size_t n;
    const amd_param *t = amd_params(&n);
    for (int names = 1; names >= 0; names--) /* the ones given by name first */
        for (size_t k = 0; k < n; k++)
            if (t[k].flag && (t[k].kind == AMD_PARAM_ENUM) == names)
                param_help(out, &t[k]);
    help_line(out, "--no-fax, --no-sit", "same as --detect-fax 0 / --detect-sit 0");
    help_line(out, "--model FILE", "model file for the model engine (default: the built-in one)");
    if (with_input) {
        fputs("\nInput:\n", out);
        help_line(out, "--raw ulaw|alaw|s16", "headerless input (s16 little-endian); needs --rate");
        help_line(out, "--rate N", "sample rate of headerless input, Hz");
        help_line(out, "--channel N", "use channel N (1-based) instead of the down-mix");
    }
    if (with_jobs) {
        fputs("\nRunning:\n", out);
        help_line(out, "-j, --jobs N", "worker threads (default: one per CPU); output stays in input order");
    }
}
