/* SPDX-License-Identifier: MIT */
/* `amd bench` scoring: one set of answers against the manifest's truth, into the report's
 * metrics for each mode and each scenario (the metric definitions live in metrics.c). */
#include "bench_score.h"

#include <stdlib.h>
#include <string.h>

static void fill_item(cli_eval_item *it, const cli_manifest_row *row, int detect_end,
                      amd_answered_by pred, int64_t ms)
{
    it->truth = detect_end ? row->detect_end : row->enable;
    it->truth_enable = row->enable;
    it->pred = pred;
    it->decision_ms = pred == AMD_ANSWERED_NONE ? -1 : ms;
    it->beep_end_ms = row->beep_end_ms;
    it->greeting_end_ms = row->greeting_end_ms;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cli_bench_build_report(const cli_manifest *man, const cli_answer *en, const cli_answer *de, cli_bench_report *r)
{
    size_t n = man->n;
    cli_eval_item *items = calloc(n ? n : 1, sizeof *items);
    const char **names = calloc(n ? n : 1, sizeof *names);
    const char **scen = calloc(n ? n : 1, sizeof *scen); /* each row's scenario */
    cli_manifest_row *row = malloc(sizeof *row);
    if (!items || !names || !scen || !row) {
        free(items);
        free(names);
        free(scen);
        free(row);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        cli_manifest_row_at(man, i, row);
        scen[i] = row->scenario; /* points into the manifest */
    }
    for (int mode = 0; mode < 2; mode++) {
        const cli_answer *a = mode ? de : en;
        if (!a)
            continue;
        for (size_t i = 0; i < n; i++) {
            cli_manifest_row_at(man, i, row);
            fill_item(&items[i], row, mode, a[i].ab, a[i].ms);
        }
        cli_metrics_compute(items, n, mode, mode ? &r->de : &r->enable);
    }
    r->has_enable = en != NULL;
    r->has_de = de != NULL;
    /* scenarios, sorted by name */
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        names[ns++] = scen[i];
    qsort(names, ns, sizeof *names, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < ns; i++)
        if (u == 0 || strcmp(names[u - 1], names[i]))
            names[u++] = names[i];
    int any_named = u > 1 || (u == 1 && names[0][0]);
    r->nscenarios = 0;
    r->scenarios = any_named ? calloc(u, sizeof *r->scenarios) : NULL;
    if (any_named && r->scenarios) {
        for (size_t s = 0; s < u; s++) {
            cli_scenario_row *sr = &r->scenarios[r->nscenarios++];
            sr->name = names[s];
            for (int mode = 0; mode < 2; mode++) {
                const cli_answer *a = mode ? de : en;
                if (!a)
                    continue;
                size_t m = 0;
                for (size_t i = 0; i < n; i++) {
                    if (strcmp(scen[i], names[s]) != 0)
                        continue;
                    cli_manifest_row_at(man, i, row);
                    fill_item(&items[m++], row, mode, a[i].ab, a[i].ms);
                }
                sr->files = (int)m;
                cli_metrics_compute(items, m, mode, mode ? &sr->de : &sr->enable);
            }
        }
    }
    free(items);
    free(names);
    free(scen);
    free(row);
    return 0;
}

