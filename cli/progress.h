/* SPDX-License-Identifier: MIT */
/* A progress bar on stderr, only when stderr is a terminal and the job is long enough to
 * need one (progress on a terminal, quiet in pipes). Not thread-safe:
 * call it from one thread at a time (cli_parallel_run's done callback is). */
#ifndef AMD_CLI_PROGRESS_H
#define AMD_CLI_PROGRESS_H

#include <stddef.h>

typedef struct cli_progress cli_progress;

/* NULL (and every other call a no-op) unless stderr is a tty and total >= min_items. */
cli_progress *cli_progress_start(size_t total, size_t min_items, const char *label);
/* One more item done; @p name is shown beside the bar. */
void cli_progress_step(cli_progress *p, const char *name);
/* Erase the bar so a message can be printed on stderr; the next step redraws it. */
void cli_progress_clear(cli_progress *p);
/* Erase the bar and free it. */
void cli_progress_end(cli_progress *p);

#endif
