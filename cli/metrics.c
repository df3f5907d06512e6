/* SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cli_percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    double r = ceil(p / 100.0 * (double)n - 1e-9); /* 1-based nearest rank */
    size_t k = r < 1 ? 0 : (size_t)r - 1;
    if (k >= n)
        k = n - 1;
    return v[k];
}

double cli_rate(int num, int den)
{
    return den > 0 ? (double)num / (double)den : NAN;
}

double cli_metrics_accuracy(const cli_mode_metrics *m)
{
    return cli_rate(m->correct, m->scored);
}

static void pct(double *v, size_t n, cli_pct *out)
{
    out->n = (int)n;
    out->p50 = cli_percentile(v, n, 50);
    out->p90 = cli_percentile(v, n, 90);
    out->p95 = cli_percentile(v, n, 95);
}

static amd_answered_by enable_truth(const cli_eval_item *it)
{
    if (it->truth_enable != AMD_ANSWERED_NONE)
        return it->truth_enable;
    if (amd_answered_by_is_machine(it->truth))
        return AMD_ANSWERED_MACHINE_START;
    return it->truth;
}

/* In-time human rate and decision - greeting end over humans answered human. */
static void human_timing(const cli_eval_item *items, size_t n, double *buf, cli_mode_metrics *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const cli_eval_item *it = &items[i];
        if (enable_truth(it) != AMD_ANSWERED_HUMAN || it->greeting_end_ms < 0)
            continue;
        out->intime_n++;
        if (it->pred != AMD_ANSWERED_HUMAN || it->decision_ms < 0)
            continue;
        int64_t after = it->decision_ms - it->greeting_end_ms;
        if (after <= CLI_IN_TIME_MS)
            out->intime_human++;
        buf[m++] = (double)after;
    }
    pct(buf, m, &out->human_after_end);
}

/* Early end: a machine_end_* answer before the greeting ended (the message would be
 * played over it). */
static void early_end(const cli_eval_item *items, size_t n, cli_mode_metrics *out)
{
    for (size_t i = 0; i < n; i++) {
        const cli_eval_item *it = &items[i];
        if ((it->truth != AMD_ANSWERED_MACHINE_END_BEEP && it->truth != AMD_ANSWERED_MACHINE_END_SILENCE) ||
            it->greeting_end_ms < 0)
            continue;
        out->early_end_n++;
        int ended = it->pred == AMD_ANSWERED_MACHINE_END_BEEP || it->pred == AMD_ANSWERED_MACHINE_END_SILENCE ||
                    it->pred == AMD_ANSWERED_MACHINE_END_OTHER;
        if (ended && it->decision_ms >= 0 && it->decision_ms < it->greeting_end_ms)
            out->early_end++;
    }
}

int cli_metrics_compute(const cli_eval_item *items, size_t n, int detect_end, cli_mode_metrics *out)
{
    memset(out, 0, sizeof *out);
    double *buf = malloc(sizeof(double) * (n ? n : 1));
    if (!buf)
        return -1;

    for (size_t i = 0; i < n; i++) {
        const cli_eval_item *it = &items[i];
        amd_answered_by te = enable_truth(it);
        if (te == AMD_ANSWERED_HUMAN) {
            out->human_n++;
            if (amd_answered_by_is_machine(it->pred))
                out->human_as_machine++;
        } else if (te == AMD_ANSWERED_MACHINE_START) {
            out->machine_n++;
            if (it->pred == AMD_ANSWERED_HUMAN)
                out->machine_as_human++;
        }
        if (it->truth == AMD_ANSWERED_NONE)
            continue;
        out->scored++;
        if (it->pred == AMD_ANSWERED_NONE)
            out->missing++;
        if (it->pred == it->truth)
            out->correct++;
        if ((unsigned)it->truth < CLI_NCLASS && (unsigned)it->pred < CLI_NCLASS)
            out->confusion[it->truth][it->pred]++;
    }
    for (int k = 0; k < CLI_NCLASS; k++) {
        int row = 0, col = 0;
        for (int j = 0; j < CLI_NCLASS; j++) {
            row += out->confusion[k][j];
            col += out->confusion[j][k];
        }
        out->recall[k] = cli_rate(out->confusion[k][k], row);
        out->precision[k] = cli_rate(out->confusion[k][k], col);
    }
    /* latency per true class, over files with an answer */
    for (int k = 0; k < CLI_NCLASS; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (items[i].truth == (amd_answered_by)k && items[i].truth != AMD_ANSWERED_NONE &&
                items[i].pred != AMD_ANSWERED_NONE && items[i].decision_ms >= 0)
                buf[m++] = (double)items[i].decision_ms;
        pct(buf, m, &out->latency[k]);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].truth != AMD_ANSWERED_NONE && items[i].pred != AMD_ANSWERED_NONE &&
            items[i].decision_ms >= 0)
            buf[m++] = (double)items[i].decision_ms;
    pct(buf, m, &out->latency_all);
    human_timing(items, n, buf, out);

    if (detect_end) {
        /* Beep alignment: every file with beep_end_ms counts in beep_n; a file without an
         * answer is neither on time nor early and has no error value. */
        m = 0;
        for (size_t i = 0; i < n; i++) {
            const cli_eval_item *it = &items[i];
            if (it->beep_end_ms < 0)
                continue;
            out->beep_n++;
            if (it->pred == AMD_ANSWERED_NONE || it->decision_ms < 0)
                continue;
            double e = (double)(it->decision_ms - it->beep_end_ms);
            if (e < 0)
                out->beep_early++;
            else if (e <= CLI_BEEP_ON_TIME_MS)
                out->beep_on_time++;
            buf[m++] = e;
        }
        pct(buf, m, &out->beep_err);
        m = 0;
        for (size_t i = 0; i < n; i++) {
            const cli_eval_item *it = &items[i];
            if (it->truth == AMD_ANSWERED_MACHINE_END_SILENCE && it->greeting_end_ms >= 0 &&
                it->pred != AMD_ANSWERED_NONE && it->decision_ms >= 0)
                buf[m++] = (double)(it->decision_ms - it->greeting_end_ms);
        }
        pct(buf, m, &out->silence_err);
        early_end(items, n, out);
    } else {
        pct(buf, 0, &out->beep_err);
        pct(buf, 0, &out->silence_err);
    }
    free(buf);
    return 0;
}

void cli_vad_scores(const cli_vad_counts *c, double *precision, double *recall, double *f1)
{
    *precision = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : NAN;
    *recall = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : NAN;
    *f1 = (*precision + *recall > 0) ? 2 * *precision * *recall / (*precision + *recall) : NAN;
}
