/* SPDX-License-Identifier: MIT */
/* Running N independent jobs on worker threads, delivering results in input order. */
#ifndef AMD_CLI_PARALLEL_H
#define AMD_CLI_PARALLEL_H

#include <stddef.h>

/* Runs on a worker thread; jobs must be independent. */
typedef void (*cli_job_fn)(void *ctx, size_t i);
/* Called once per job, strictly in order 0, 1, 2, ..., never concurrently. */
typedef void (*cli_done_fn)(void *ctx, size_t i);

/* Number of online CPUs (at least 1). */
int cli_cpu_count(void);

/* Run jobs 0..n-1 on @p jobs threads (<= 0: one per CPU). Returns 0, or -1 if threads could
 * not be started (then everything ran on the calling thread, still correct). */
int cli_parallel_run(size_t n, int jobs, cli_job_fn job, cli_done_fn done, void *ctx);

/* Nonzero once SIGINT/SIGTERM arrived during a run: no new jobs are started. */
int cli_interrupted(void);

#endif
