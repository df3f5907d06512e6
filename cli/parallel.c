/* SPDX-License-Identifier: MIT */
#include "parallel.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* Set by the signal handler only: a handler just sets a flag (only async-signal-safe work, POSIX signal-safety(7)). */
static volatile sig_atomic_t g_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

int cli_interrupted(void)
{
    return g_interrupted != 0;
}

int cli_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

typedef struct pool {
    pthread_mutex_t lock;
    size_t n, next_job, next_done;
    unsigned char *finished;
    cli_job_fn job;
    cli_done_fn done;
    void *ctx;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->next_job >= p->n || g_interrupted) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        size_t i = p->next_job++;
        pthread_mutex_unlock(&p->lock);

        p->job(p->ctx, i);

        pthread_mutex_lock(&p->lock);
        p->finished[i] = 1;
        while (p->next_done < p->n && p->finished[p->next_done]) {
            if (p->done)
                p->done(p->ctx, p->next_done);
            p->next_done++;
        }
        pthread_mutex_unlock(&p->lock);
    }
}

int cli_parallel_run(size_t n, int jobs, cli_job_fn job, cli_done_fn done, void *ctx)
{
    if (n == 0)
        return 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    pool p = {.n = n, .job = job, .done = done, .ctx = ctx};
    pthread_mutex_init(&p.lock, NULL);
    p.finished = calloc(n, 1);
    int rc = 0;
    if (jobs <= 0)
        jobs = cli_cpu_count();
    if ((size_t)jobs > n)
        jobs = (int)n;
    pthread_t *th = p.finished && jobs > 1 ? calloc((size_t)jobs, sizeof *th) : NULL;
    int started = 0;
    if (th) {
        for (; started < jobs; started++)
            if (pthread_create(&th[started], NULL, worker, &p))
                break;
        if (started == 0)
            rc = -1;
    }
    if (!p.finished) {
        /* no memory for bookkeeping: run sequentially, still in order */
        for (size_t i = 0; i < n && !g_interrupted; i++) {
            job(ctx, i);
            if (done)
                done(ctx, i);
        }
        rc = -1;
    } else if (started == 0) {
        worker(&p);
    }
    for (int k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    free(th);
    free(p.finished);
    pthread_mutex_destroy(&p.lock);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}
