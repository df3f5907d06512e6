/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The store writer: the call server's changes (call rows,
 * events, recordings, metadata) are committed on a thread of their own, in batches, and the
 * webhooks about a batch are handed to the webhook sender only after that batch committed
 * (commit, then send). A refused commit (a full disk) holds everything in memory, in order,
 * and retries until it commits.
 *
 * Threading: amdi_writer_push / new_op / wait / failing / views may be called from any thread;
 * the writer thread is the only one that touches the store. */
#ifndef AMDI_WRITER_H
#define AMDI_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "store.h"
#include "webhook.h"

/* A webhook waiting for the batch that stored its transition to commit. */
typedef struct out_hook {
    amdi_hook_tag tag;
    char *url, *method;
    char token[65];
    amdi_form form;
    struct out_hook *next;
} out_hook;

/* One store operation. A W_COMMIT ends a batch: the writer commits the transaction and only
 * then sends the batch's webhooks. */
enum { W_CALL, W_EVENT, W_REC, W_META, W_SUMMARY, W_COMMIT, W_CALL_NEW /* insert a call (s1: its create form) */,
       W_DISCARD /* forget everything queued before it, webhooks included (amdi_writer_discard) */ };
typedef struct wop {
    int kind;
    union {
        amdi_call_rec call;
        amdi_recording_rec recording;
    } u;
    char *s1, *s2, *s3; /* event: call sid, request, response; recording: path; meta: key;
                         * summary: call sid, blob (amd_summary.h) */
    int64_t v;          /* event time / meta value / summary blob length */
    out_hook *hooks;    /* W_COMMIT */
    int *done;          /* W_COMMIT: set when committed (see amdi_writer_wait) */
    struct wop *next;
} wop;

typedef struct amdi_writer amdi_writer;

/* Start the writer thread over @p store (borrowed). Webhooks of committed batches go to
 * @p hooks (borrowed; NULL: dropped). 0, or AMD_ENOMEM. */
int amdi_writer_create(amdi_store *store, amdi_hooks *hooks, const amdi_logger *log, amdi_writer **out);
/* Stop the thread after it committed everything queued (retrying a failing store for a while;
 * see writer.c), then stop sending webhooks. The writer stays usable through amdi_writer_finish. */
void amdi_writer_stop(amdi_writer *w);
/* After amdi_writer_stop: commit what was queued since, on the calling thread (no webhooks). */
void amdi_writer_finish(amdi_writer *w);
void amdi_writer_destroy(amdi_writer *w);

/* A new operation of @p kind (NULL, logged, when out of memory) and its hand-off to the queue. */
wop *amdi_writer_new_op(amdi_writer *w, int kind);
void amdi_writer_push(amdi_writer *w, wop *o);
void amdi_writer_hook_free(out_hook *o);
/* Wait until the batch whose W_COMMIT carries @p done committed, or the store is failing (the
 * batch then stays held and commits later: the flag is forgotten). */
void amdi_writer_wait(amdi_writer *w, int *done);

/* Forget every change and webhook queued or held so far, uncommitted (the calls they are about
 * were taken over by another process: store_cluster.h). */
void amdi_writer_discard(amdi_writer *w);
/* How many discards were carried out so far (each before anything queued after it is written). */
long amdi_writer_discards(amdi_writer *w);
/* Batches the store refused because this process no longer holds its lease (store.h,
 * amdi_store_fence); each was dropped whole, webhooks included. */
long amdi_writer_fenced(amdi_writer *w);

/* Nonzero while the store refuses changes (@p why, may be NULL, gets the reason). */
int amdi_writer_failing(amdi_writer *w, char *why, size_t n);
/* Someone else's write failed: the store is failing for @p why. */
void amdi_writer_store_error(amdi_writer *w, const char *why);
/* Overlay @p r with the newest queued or held change of that call / recording, if any (a
 * call's seq is kept). 1 when replaced. */
int amdi_writer_call_view(amdi_writer *w, amdi_call_rec *r);
int amdi_writer_recording_view(amdi_writer *w, amdi_recording_rec *r);
/* The longest commit so far, in microseconds. */
int64_t amdi_writer_commit_max_us(amdi_writer *w);

#endif
