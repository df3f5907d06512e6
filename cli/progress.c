/* SPDX-License-Identifier: MIT */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Redraw at most every 100 ms: fast enough to look alive, cheap on slow terminals. */
#define CLI_PROGRESS_REDRAW_NS 100000000LL
#define CLI_PROGRESS_BAR 30

struct cli_progress {
    size_t total, done;
    const char *label;
    long long start_ns, last_ns;
    int drawn;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

cli_progress *cli_progress_start(size_t total, size_t min_items, const char *label)
{
    if (total < min_items || !isatty(STDERR_FILENO))
        return NULL;
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->total = total;
    p->label = label;
    p->start_ns = now_ns();
    return p;
}

static void draw(cli_progress *p, const char *name)
{
    char bar[CLI_PROGRESS_BAR + 1];
    size_t fill = p->total ? p->done * CLI_PROGRESS_BAR / p->total : 0;
    for (size_t k = 0; k < CLI_PROGRESS_BAR; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[CLI_PROGRESS_BAR] = 0;
    double el = (double)(now_ns() - p->start_ns) / 1e9;
    double eta = p->done ? el * (double)(p->total - p->done) / (double)p->done : 0;
    const char *base = name ? strrchr(name, '/') : NULL;
    base = base ? base + 1 : (name ? name : "");
    fprintf(stderr, "\r\033[K%s [%s] %zu/%zu  %.0fs elapsed, ~%.0fs left  %.30s", p->label, bar,
            p->done, p->total, el, eta, base);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_step(cli_progress *p, const char *name)
{
    if (!p)
        return;
    p->done++;
    long long t = now_ns();
    if (p->done == p->total || t - p->last_ns >= CLI_PROGRESS_REDRAW_NS || !p->drawn) {
        p->last_ns = t;
        draw(p, name);
    }
}

void cli_progress_clear(cli_progress *p)
{
    if (p && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
    }
}

void cli_progress_end(cli_progress *p)
{
    if (!p)
        return;
    cli_progress_clear(p);
    free(p);
}
