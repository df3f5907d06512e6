/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The call server's insides, shared by its parts:
 *
 *   calls.c       the media clock's tick thread and the API (calls.h)
 *   call_table.c  live calls: creation, lookup by SID, ending, and reap() (ownership below)
 *   call_state.c  the call state machine: pure transitions (call_state.h)
 *   callbacks.c   what the server tells: stored changes, status / recording callbacks, events
 *   dialing.c     per-account CPS queues and placing calls through the driver
 *   sink.c        the driver's reports (driver.h), far-end audio to the detectors on the
 *                 media worker pool, the AMD decision
 *   twiml_exec.c  the TwiML executor: fetching, Fallback, running the verbs
 *   recovery.c    closing out calls a previous process left live
 *   writer.c      the store writer (writer.h)
 *
 * Ownership of a call (struct live): the server owns it from amdi_calls_submit() until it is
 * freed, and it is freed at ONE point only: amdi_calls_reap(), which runs when the work that may
 * hold a pointer to it is over (the end of a tick, of an update, of recovery, of shutdown).
 * Ending a call (amdi_calls_input, when the state machine says it ended) only marks it
 * AMDI_CS_DONE, takes it off the hash, queue, active and work lists and puts it on the dead list, so every callback still on the stack of that
 * tick (the driver's sink, the detector pass, TwiML execution) may keep reading it; each of
 * them checks AMDI_CS_DONE before acting on it. Its driver leg is released in reap() too, since the
 * driver may be inside advance() for that very leg when the call ends. Nothing outside the
 * tick thread (under e->mu) ever holds a pointer to a call. */
#ifndef AMDI_CALLS_INTERNAL_H
#define AMDI_CALLS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "amd/detector.h"
#include "call_state.h"
#include "calls.h"
#include "log.h"
#include "recording.h"
#include "twilio_errors.h"
#include "twiml.h"
#include "webhook.h"
#include "writer.h"

#define TICK_MS 20          /* the media clock: one 20 ms audio frame per call per tick */
#define HASH_BUCKETS 65536  /* call lookup by SID */
#define QUEUE_HORIZON_MS (24LL * 3600 * 1000) /* Twilio queues up to 24 h of calls */
#define HEARTBEAT_MS 1000
#define EVENT_BODY_MAX 4096 /* bytes of a webhook response kept in the Events list */
/* A recording that could not be stored whole (disk full, I/O error). Twilio publishes no code
 * for a storage failure of its own (16101/16102 are "absent", 16105 an encryption failure);
 * this server uses 16104 for every "recording could not be made" case. */
#define REC_ERR_NOT_STORED AMDI_TWERR_RECORDING_NOT_STORED
/* TwiML documents one call may fetch (Url, <Redirect>, FallbackUrl, REST redirects): a
 * <Redirect> loop otherwise runs until TimeLimit (up to 24 h). Beyond it the call ends with
 * Twilio's error for too many redirects. */
#define MAX_TWIML_FETCHES 100
#define ERR_TOO_MANY_REDIRECTS AMDI_TWERR_HTTP_TOO_MANY_REDIRECTS

enum { K_URL = 1, K_FALLBACK, K_STATUS, K_AMD };

typedef struct acct {
    char sid[35];
    char token[65];
    double cps;
    double next_slot; /* engine ms; fractional so that e.g. 150 CPS is not rounded to 1/7 ms */
    struct live *qhead, *qtail;
    long qlen;
} acct;

typedef struct live {
    amdi_call_rec rec;
    amdi_create_params p;
    acct *a;
    amdi_call_fsm fsm; /* where the call is in its life (call_state.h) */
    amdi_leg *leg;
    /* AMD */
    amd_detector *det;
    struct amdi_summary *sum; /* the decision's frame summary while the detector runs (amd_summary.h) */
    float *pend;        /* far-end audio of this tick waiting for the parallel detector pass */
    size_t pend_n, pend_cap;
    long work_idx;      /* slot in the tick's work list, -1 when not queued */
    int det_rc;
    int amd_wait; /* sync AMD: instructions start after the decision */
    /* instructions */
    char *url, *method, *fallback_url, *fallback_method, *status_cb, *status_cb_method, *twiml;
    amdi_twiml *doc;
    char *doc_url;
    size_t pc;
    int in_verb;
    int64_t verb_until;
    int fetching;
    int fetches; /* TwiML fetches so far (MAX_TWIML_FETCHES) */
    unsigned gen;
    int started; /* instructions started at least once */
    int sip_code; /* the driver's SIP code of a refusal (SipResponseCode); 0: from the status */
    /* recording */
    amdi_recording *recw;
    char rec_sid[35];
    int64_t rec_start, rec_duration_s;
    int rec_failed; /* a write failed: the recording ends `failed` */
    struct live *next, *prev; /* active list */
    struct live *hnext;       /* hash chain */
    struct live *qnext;       /* CPS queue */
    struct live *dnext;       /* dead list: ended, freed by reap() */
} live;

typedef struct inbox_item {
    amdi_hook_tag tag;
    int transport_ok;
    long http_status;
    char *body, *content_type, *method, *url, *request_body;
    char error[160];
    int too_many_redirects;
    int64_t duration_ms;
    struct inbox_item *next;
} inbox_item;

struct amdi_calls {
    amdi_calls_config cfg;
    amdi_hooks *hooks;
    pthread_t thr;
    int running;
    pthread_mutex_t mu;
    int stop;
    int64_t wall0, mono0_us;
    int64_t now; /* engine time of the current tick */
    int64_t ticks, late_ticks, max_late_us;
    int64_t late_hist[AMDI_LATE_BUCKETS];
    int64_t work_total_us, work_max_us;
    acct *accts;
    size_t naccts, cap_accts;
    live **hash;
    live *active;
    live *dead; /* ended calls waiting for reap() */
    long nlive, nactive, nqueued;
    pthread_mutex_t inbox_mu;
    inbox_item *inbox_head, *inbox_tail;
    int64_t last_heartbeat;
    char *public_url;
    char *recordings_dir;
    amdi_logger log;
    int in_tx;
    out_hook *out_head, *out_tail; /* webhooks of the open batch (see amdi_calls_send_hook) */
    amdi_writer *w; /* the store writer: transitions are committed off the media clock's thread */
    /* media workers: the detector pass of a tick runs on these plus the engine thread */
    live **work;
    size_t nwork, cap_work;
    pthread_t *workers;
    int nworkers;
    pthread_mutex_t wmu;
    pthread_cond_t wcv, wdone;
    unsigned wgen;
    int wfinished, wstop;
    atomic_size_t wnext;
    atomic_uint_fast64_t change_gen; /* amdi_calls_change_gen */
};

static inline char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static inline void set_str(char **dst, const char *s)
{
    char *n = xstrdup(s);
    free(*dst);
    *dst = n;
}

#define amdi_calls_log(e, ...) amdi_logf(&(e)->log, __VA_ARGS__)

/* call_table.c */
live *amdi_calls_live_new(amdi_calls *e, const amdi_call_rec *rec, amdi_create_params *p, acct *a);
void amdi_calls_live_free(live *c);
live *amdi_calls_find(amdi_calls *e, const char *sid);
void amdi_calls_hash_add(amdi_calls *e, live *c);
/* Feed @p in to the call's state machine and perform its effects: the status change and its
 * callback, or the end of the call (settle AMD, close the recording, store the final status,
 * send `completed`; the call is freed by amdi_calls_reap()). Returns 1 when the call ended.
 * @p fx (may be NULL) receives the effects, for the caller's own part (e.g. run_instructions). */
int amdi_calls_input(amdi_calls *e, live *c, amdi_call_input in, amdi_call_effects *fx);
/* The resource status string of the record, from the state machine's. */
void amdi_calls_sync_status(live *c);
/* The single point where calls are freed (see the ownership rule above). */
void amdi_calls_reap(amdi_calls *e);
void amdi_calls_fail(amdi_calls *e, live *c, int code, const char *msg);

/* callbacks.c */
void amdi_calls_persist(amdi_calls *e, live *c);
void amdi_calls_event_error(amdi_calls *e, const char *sid, int code, const char *msg);
void amdi_calls_event_hook(amdi_calls *e, const inbox_item *it);
void amdi_calls_base_params(amdi_calls *e, live *c, amdi_form *f, const char *call_status);
void amdi_calls_send_hook(amdi_calls *e, live *c, int kind, const char *url, const char *method, const amdi_form *f);
void amdi_calls_tx_begin(amdi_calls *e);
void amdi_calls_tx_end_flag(amdi_calls *e, int *done);
void amdi_calls_tx_end(amdi_calls *e);
void amdi_calls_transition(amdi_calls *e, live *c, unsigned ev, const char *cb_status);
void amdi_calls_recording_row(amdi_calls *e, live *c, const char *status, int64_t dur, int error_code);
/* RecordingStatusCallback for one of its events (bit 1 in-progress, 2 completed, 4 absent). */
void amdi_calls_recording_callback(amdi_calls *e, live *c, unsigned ev, const char *status, int64_t dur, int code);
void amdi_calls_recording_failed(amdi_calls *e, live *c, const char *why);

/* dialing.c */
acct *amdi_calls_find_acct(amdi_calls *e, const char *sid);
void amdi_calls_enqueue(amdi_calls *e, live *c);
void amdi_calls_unqueue(amdi_calls *e, live *c);
void amdi_calls_activate(amdi_calls *e, live *c);
void amdi_calls_service_queues(amdi_calls *e);

/* sink.c */
/* Advance the call's leg to e->now; nonzero when the call ended inside the driver's reports. */
int amdi_calls_advance_leg(amdi_calls *e, live *c);
void amdi_calls_run_detectors(amdi_calls *e);
void amdi_calls_amd_decision(amdi_calls *e, live *c, int ending);
/* The media worker pool: @p n threads in all, the tick thread included. */
void amdi_calls_media_start(amdi_calls *e, int n);
void amdi_calls_media_stop(amdi_calls *e);

/* twiml_exec.c */
char *amdi_url_resolve(const char *base, const char *ref);
void amdi_calls_start_instructions(amdi_calls *e, live *c, const amdi_form *extra);
void amdi_calls_run_twiml(amdi_calls *e, live *c);
void amdi_calls_instructions_failed(amdi_calls *e, live *c, int kind, int code, const char *msg, const char *failed_url);
void amdi_calls_load_doc(amdi_calls *e, live *c, int kind, const char *xml, size_t len, const char *src_url);

/* recovery.c */
void amdi_calls_recover(amdi_calls *e);

#endif
