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
 *   gather.c      the <Gather> verb; record_verb.c the <Record> verb; listen.c the keys and
 *                 speech they hear
 *   dial_verb.c   <Dial>: child calls, the first answer wins, the action request
 *   bridge.c      the audio bridge between a call and its answered <Dial> child
 *   outbound.c    our side's audio: the per-call player, one frame per tick (outbound.h)
 *   play_media.c  what <Play> / <Say> share: the audio cache, its fetch and decode worker, TTS
 *   recovery.c    closing out calls a previous process left live
 *   cluster.c     several processes on one database: leases, the shared CPS queue, taking
 *                 over a dead process's calls, updates forwarded to a call's owner
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
#include "media/cache.h"
#include "media/tts.h"
#include "call_state.h"
#include "calls.h"
#include "listen.h"
#include "log.h"
#include "outbound.h"
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

enum { K_URL = 1, K_FALLBACK, K_STATUS, K_AMD, K_MEDIA /* <Play> audio (play_media.c) */ };

/* The <Play> audio cache's default cap: 256 MiB of decoded 8 kHz float audio (~2.3 hours). */
#define AMDI_PLAY_CACHE_DEFAULT ((size_t)256 << 20)

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
    char *doc_url, *doc_method; /* the running document's URL and the method it was fetched with */
    char *play_url; /* <Play> waiting for its audio (fetch / decode); NULL otherwise */
    size_t pc;
    int in_verb;
    int64_t verb_until;
    int fetching;
    int fetches; /* TwiML fetches so far (MAX_TWIML_FETCHES) */
    unsigned gen;
    int started; /* instructions started at least once */
    int sip_code; /* the driver's SIP code of a refusal (SipResponseCode); 0: from the status */
    /* <Gather> / <Record>: what the far end keys and says while one runs */
    int rate; /* the leg's audio rate, from its answer */
    int listening;
    amdi_listen listen;
    float *lpend; /* far-end audio of this tick waiting for the listener (the detector pass) */
    size_t lpend_n, lpend_cap;
    int gathering;      /* a <Gather> runs: its verb is doc->v[gather_pc] */
    size_t gather_pc;
    int gather_waiting; /* its prompts are over (or cut short): keys until gather_until */
    int64_t gather_until;
    char gather_digits[AMDI_LISTEN_KEYS + 1];
    size_t ngather;
    struct record_run *record; /* a <Record> runs (record_verb.c) */
    /* recording */
    amdi_recording *recw;
    char rec_sid[35];
    int64_t rec_start, rec_duration_s;
    int rec_failed; /* a write failed: the recording ends `failed` */
    /* our side's audio (outbound.h) */
    amdi_player *out;                   /* NULL before answer */
    float out_frame[AMDI_MEDIA_FRAME];  /* this tick's frame */
    float out_next[AMDI_MEDIA_FRAME];   /* injected for the next tick */
    int out_injected;
    size_t out_rec_used; /* samples (recording rate) of this tick's frame already recorded */
    uint32_t play_id;    /* the executor's source for the verb playing; 0: none */
    struct live *next, *prev; /* active list */
    struct live *hnext;       /* hash chain */
    struct live *qnext;       /* CPS queue */
    struct live *dnext;       /* dead list: ended, freed by reap() */
    /* <Dial> (dial_verb.c, bridge.c) */
    struct amdi_dialing *dialing; /* the parent's <Dial> in progress, NULL otherwise */
    struct amdi_bridge *bridge;   /* set on both legs while they are bridged */
    int dial_child;               /* a <Dial> child leg: its instructions are the whisper only */
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
    struct amdi_play_media *media; /* play_media.c */
    struct amdi_cluster *cl; /* NULL: the only process on its database */
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
/* The other processes declared this one dead and closed its calls out (store_cluster.h): forget
 * every call without a word (no store write, callback or webhook; legs released, recording
 * files left as the close-out made them) and drop the webhooks still queued for them. The
 * number of calls dropped. Under e->mu, in the tick, where reap() may run. */
long amdi_calls_drop_all(amdi_calls *e);

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
/* Store (insert or replace) a recording row; its media is recordings_dir/<sid>.wav. */
void amdi_calls_recording_put(amdi_calls *e, const amdi_recording_rec *r);
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

/* gather.c: run the <Gather> at c->pc; then, each tick while c->gathering, step it: 0 while
 * its prompts play (the executor runs them), 1 while it waits for keys, 2 when it ended with
 * a request to its action (the document is over). On a fall-through it returns 0 with c->pc
 * on the next verb. */
void amdi_gather_start(amdi_calls *e, live *c);
int amdi_gather_step(amdi_calls *e, live *c);
/* record_verb.c: start the <Record> at c->pc (0 on success, the executor then waits); step it
 * each tick (1 while recording, 0 when it ended); feed it the far end's audio; end it at
 * hang-up (its action is still requested, Digits=hangup). */
int amdi_record_start(amdi_calls *e, live *c);
int amdi_record_step(amdi_calls *e, live *c);
void amdi_record_audio(amdi_calls *e, live *c, const float *pcm, size_t n);
void amdi_record_hangup(amdi_calls *e, live *c);
void amdi_record_free(live *c);
/* Drop the <Record> file without finishing it (the call was taken over: amdi_calls_drop_all). */
void amdi_record_abandon(live *c);
/* The document is replaced (a REST update): a running <Gather> ends without a request, a
 * running <Record> is stored without its action being requested. */
void amdi_calls_input_verbs_abort(amdi_calls *e, live *c);
/* twiml_exec.c: request @p action (resolved against the running document; NULL = the document
 * itself) with @p extra parameters; the reply replaces the document. 0, or -1 when there is no
 * URL to request (an 11100 warning was logged). */
int amdi_calls_request_action(amdi_calls *e, live *c, const char *action, const char *method, const amdi_form *extra);
/* Cut what our side is playing now (a <Gather> prompt a key barged in on). */
void amdi_calls_cut_prompt(live *c);
/* Report a verb's attribute warning (amdi_verb.warn) on the call. */
void amdi_calls_verb_warning(amdi_calls *e, live *c, const amdi_verb *v);
/* The REST address of recording @p rsid of the call (RecordingUrl). */
void amdi_calls_recording_url(amdi_calls *e, const live *c, const char *rsid, char *out, size_t n);
/* dialing.c: place a call now, not through its account's CPS queue (<Dial> children). */
void amdi_calls_dial_now(amdi_calls *e, live *c);

/* twiml_exec.c: fetch @p url as the call's next document (standard parameters + @p extra). */
void amdi_calls_fetch_url(amdi_calls *e, live *c, int kind, const char *url, const char *method,
                          const amdi_form *extra);

/* dial_verb.c */
/* Run <Dial> @p v on call @p c: place its children; @p c waits in the verb until the dial ends. */
void amdi_calls_dial_begin(amdi_calls *e, live *c, const amdi_verb *v);
/* A child answered: 0 when it goes on (the winner), 1 when it was hung up (another won). */
int amdi_calls_dial_child_answered(amdi_calls *e, live *child);
/* A child's whisper (or its AMD wait) is over: bridge it to its parent. */
void amdi_calls_dial_child_ready(amdi_calls *e, live *child);
/* Call @p c ends (from the call table, before it is reaped): its dial, children, bridge. */
void amdi_calls_dial_call_ended(amdi_calls *e, live *c);
/* Forget the parent's dial without a word: its children go with it (amdi_calls_drop_all). */
void amdi_calls_dial_forget(live *c);
/* Far end of @p c pressed @p key: hangupOnStar on a parent, else to the bridged leg. */
void amdi_calls_dial_digit(amdi_calls *e, live *c, char key);
/* Every tick of a parent in <Dial>: the ringback (ringTone) while nobody answered. */
void amdi_calls_dial_tick(amdi_calls *e, live *c);
/* The parent's instructions are replaced (REST update): its dial ends without `action`. */
void amdi_calls_dial_abort(amdi_calls *e, live *c);
/* Far-end audio of @p c this tick (a dialing parent or its bridged child): the dial recording. */
void amdi_calls_dial_audio(amdi_calls *e, live *c, const float *pcm, size_t n);

/* bridge.c */
typedef struct amdi_bridge amdi_bridge;
/* Bridge calls @p a and @p b (both answered); sets a->bridge and b->bridge. 0 or AMD_ENOMEM. */
int amdi_bridge_open(live *a, live *b);
/* Unbridge: clears the bridge pointer of @p c and of its peer (found by SID), frees it. */
void amdi_bridge_close(amdi_calls *e, live *c);
/* @p c's far end said @p pcm (@p n samples, 20 ms at its rate): the peer's far end hears it. */
void amdi_bridge_forward(amdi_calls *e, live *c, const float *pcm, size_t n);
/* The answered leg @p c is bridged to, or NULL. */
live *amdi_bridge_peer(amdi_calls *e, const live *c);
/* One 20 ms frame from @p ns to @p nd samples (linear interpolation). */
void amdi_bridge_resample(const float *src, size_t ns, float *dst, size_t nd);

/* play_media.c */
typedef struct amdi_play_media amdi_play_media;
int amdi_play_media_create(amdi_calls *e, size_t cache_bytes, char *err, size_t errlen);
void amdi_play_media_destroy(amdi_calls *e);
/* The <Play> audio of @p url for call @p c (tick thread): an amdi_cache_state. On
 * AMDI_CACHE_HIT *pcm holds a reference; AMDI_CACHE_PENDING: ask again next tick (a fetch
 * was started if none was under way); AMDI_CACHE_FAILED: *code is Twilio's code for it;
 * AMD_EINVAL: the URL is unusable as a cache key (empty, too long). */
int amdi_play_media_lookup(amdi_calls *e, live *c, const char *url, amdi_pcm **pcm, int *code);
/* The webhook thread's completion of a K_MEDIA request. */
void amdi_play_media_fetched(amdi_calls *e, const amdi_hook_tag *tag, const amdi_hook_result *r);
/* The speech synthesizer, or NULL when espeak-ng could not be started. */
amdi_tts *amdi_play_media_tts(amdi_calls *e);
void amdi_play_media_stats(amdi_calls *e, amdi_cache_stats *st);

/* recovery.c */
void amdi_calls_recover(amdi_calls *e);
/* Close out one call a dead process left live (the rules at the top of recovery.c); @p hb is
 * the last moment that process was known running; @p requeue: a never-dialed call is queued
 * again (one process) rather than ended; @p params: its create form when the caller has it
 * (NULL: read from the store). */
void amdi_calls_close_out(amdi_calls *e, amdi_call_rec *r, int64_t hb, int requeue, const char *params);
void amdi_calls_close_out_recordings(amdi_calls *e, const amdi_call_rec *only, size_t n_only);

/* dialing.c: place a call the shared queue gave this process (start_time already its slot) */
void amdi_calls_dial_claimed(amdi_calls *e, live *c);

/* cluster.c (all no-ops without a cluster) */
int amdi_cluster_start(amdi_calls *e, char *err, size_t errlen);
/* Under e->mu, in the tick: dial the claimed calls, close out the adopted ones. */
void amdi_cluster_drain(amdi_calls *e);
/* An update of a call this process does not run: 1 when its owner (another process) handled
 * it (then @p rc holds the result: 0, or -1 with @p err), 0 when no one runs it. */
int amdi_cluster_forward(amdi_calls *e, const char *account, const char *sid, const amdi_update_params *u, int *rc,
                         amdi_api_error *err);
/* Stop the cluster thread (no more claims, take-overs or forwarded updates). */
void amdi_cluster_stop(amdi_calls *e);
/* A clean stop, after the live calls ended: leave the cluster; calls claimed but not dialed go
 * back to the shared queue, so the others dial them at once. */
void amdi_cluster_leave(amdi_calls *e);
/* Take a call still waiting in the shared queue for this process (to cancel it): 0, or
 * AMD_ENOTFOUND when it is not waiting there. */
int amdi_cluster_take_queued(amdi_calls *e, const char *sid);
/* Change a call still waiting in the shared queue: its stored create form takes the update's
 * values, so whichever process dials it runs them. 0, or AMD_ENOTFOUND when it is not waiting
 * there (claimed meanwhile: forward the update to its owner). */
int amdi_cluster_update_queued(amdi_calls *e, const char *sid, const amdi_update_params *u);
/* Calls of @p account in the shared queue (the whole cluster's). */
long amdi_cluster_queued(amdi_calls *e, const char *account);

#endif
