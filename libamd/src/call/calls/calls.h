/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The call server's core: per-account CPS queues, the
 * call state machine, the media clock that feeds far-end audio to each call's libamd detector,
 * TwiML execution and the webhooks about all of it. Its parts are listed in calls_internal.h.
 *
 * Threading: one thread runs the media clock (a 20 ms tick of engine time, which
 * --clock-speed makes pass faster than real time); API threads call in through the functions
 * below. The call table is guarded by one mutex (held by a whole tick, or by an API call); the
 * store writer, the media worker pool and the webhook inbox each have their own lock, and
 * webhook results come back through that inbox so the webhook thread never waits for a tick.
 * Ordering: every transition is committed to the store before any webhook about it is sent.
 * Ownership: a call belongs to the call server; ending it only marks it ended, and it is freed
 * at one point only, after every callback of that tick (or update) has returned
 * (amdi_calls_reap(), call_table.c). */
#ifndef AMDI_CALLS_H
#define AMDI_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "amd/log.h"
#include "driver.h"
#include "params.h"
#include "store.h"

typedef struct amdi_calls amdi_calls;

typedef struct amdi_calls_config {
    amdi_store *store;       /* borrowed; the engine's own connection */
    amdi_driver driver;      /* owned: destroyed with the engine */
    double clock_speed;      /* engine time runs this many times faster than real time */
    double cps;              /* default calls per second per account */
    int webhook_timeout_ms;  /* per request total; default 15000 */
    int media_threads;       /* threads running detectors each tick; 0 = one per online CPU (max 8) */
    const char *public_url;  /* base of recording URLs (may be NULL; see amdi_calls_set_public_url) */
    const char *recordings_dir; /* where Record=true writes WAV files (NULL: recording unavailable) */
    amd_log_fn log_fn;
    void *log_user;
    amd_log_level log_level;
    int media_priority;      /* 1..99: SCHED_RR for the media-clock and detector threads; 0: normal */
    const struct amdi_net_policy *net_policy; /* borrowed: where outgoing requests may connect */
    int webhook_inflight_per_account;         /* 0: the webhook default */
    size_t play_cache_bytes;                  /* <Play> audio cache cap; 0: 256 MiB */
    /* Several processes on one database (store_cluster.h): a connection of the cluster thread
     * (borrowed; NULL: this is the only process) and this process's unique instance name. */
    amdi_store *cluster_store;
    const char *instance;
} amdi_calls_config;

int amdi_calls_create(const amdi_calls_config *cfg, amdi_calls **out, char *err, size_t errlen);
/* Close out calls left live by a previous process (recovery.c), then start the thread. */
int amdi_calls_start(amdi_calls *e);
/* Stop the threads. Calls in progress end now (answered: completed; still being placed:
 * failed) and their callbacks get up to 2 s to go out; queued calls stay queued for the
 * next start. */
void amdi_calls_destroy(amdi_calls *e);

/* Engine clock: UTC ms, wall time at start plus elapsed real time times clock_speed. */
int64_t amdi_calls_now(amdi_calls *e);

/* The external base URL (e.g. "http://127.0.0.1:8080") used in RecordingUrl. */
int amdi_calls_set_public_url(amdi_calls *e, const char *url);

int amdi_calls_add_account(amdi_calls *e, const char *sid, const char *token);

/* Accept a created call: @p rec already stored as queued; takes @p p (ownership). */
int amdi_calls_submit(amdi_calls *e, const amdi_call_rec *rec, amdi_create_params *p);

/* Apply an update to a call of @p account. On success @p out holds the call after the change.
 * Returns 0, AMD_ENOTFOUND, or -1 with @p err (e.g. 21220 for a finished call). */
int amdi_calls_update(amdi_calls *e, const char *account, const char *sid, const amdi_update_params *u,
                       amdi_call_rec *out, amdi_api_error *err);

/* Calls of @p account waiting in its CPS queue (0 for an unknown account). */
long amdi_calls_queued(amdi_calls *e, const char *account);
/* Store health. A change the store refuses (a full disk) is held in memory and retried in
 * order until it commits. store_failing: nonzero while that is so (@p why, may be NULL, gets
 * the reason); new calls should then be refused. store_error: the API's own write failed. */
int amdi_calls_store_failing(amdi_calls *e, char *why, size_t n);
void amdi_calls_store_error(amdi_calls *e, const char *why);
/* Overlay @p r (a row read from the store) with the engine's newer change of that call that is
 * not committed yet, if any (seq is kept). Returns 1 when @p r was replaced. */
int amdi_calls_call_view(amdi_calls *e, amdi_call_rec *r);
/* The same for a recording row. */
int amdi_calls_recording_view(amdi_calls *e, amdi_recording_rec *r);

/* Nonzero while the call is queued or in progress. */
int amdi_calls_is_live(amdi_calls *e, const char *sid);

/* Counters for diagnostics and load tests. */
#define AMDI_LATE_BUCKETS 201
typedef struct amdi_calls_stats {
    long live, queued, active;
    int64_t ticks, late_ticks; /* ticks that started more than 20 ms of real time late */
    int64_t max_lateness_us;
    int64_t tick_work_us_total, tick_work_us_max; /* real time spent inside ticks */
    int64_t commit_us_max;                        /* worst group commit */
    int64_t late_hist[AMDI_LATE_BUCKETS];         /* tick start lateness: [i, i+1) ms; last: >= 200 ms */
    size_t webhooks_pending;
} amdi_calls_stats;
void amdi_calls_stats_get(amdi_calls *e, amdi_calls_stats *st);
/* A counter that grows whenever a call record changes (for live views: Server-Sent Events). */
uint64_t amdi_calls_change_gen(amdi_calls *e);

#endif
