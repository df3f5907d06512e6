/* SPDX-License-Identifier: MIT */
/* The store writer (writer.h).
 *
 * Operations leave the queue for the writer's held list and are removed from it only once
 * committed. When the store refuses a transaction (a full disk, an I/O error) nothing is lost:
 * the transaction is rolled back, everything stays held in order, and the same changes are
 * tried again (backoff RETRY_FIRST_MS doubling to RETRY_MAX_MS) together with whatever
 * arrived meanwhile, until they commit. Each change carries the engine time of its event, so
 * what is finally stored says when things happened, not when the disk had room again.
 * Webhooks about held changes wait with them (nothing is announced before it is stored).
 * While the store fails, new calls are refused (amdi_writer_failing) and the API reads
 * held changes over the stored rows (amdi_writer_call_view), so it agrees with memory. */
#include "writer.h"

#include "amd_summary_store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd/error.h"
#include "timefmt.h"

#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 2000
#define STOP_GRACE_MS 10000 /* at shutdown, how long a failing store gets before held changes are lost */

struct amdi_writer {
    amdi_store *store;
    amdi_hooks *hooks; /* NULL once stopped: webhooks of later commits are dropped */
    amdi_logger log;
    pthread_t thr;
    int writer_running, wq_stop;
    pthread_mutex_t wq_mu;
    pthread_cond_t wq_cv, wq_done_cv;
    wop *wq_head, *wq_tail;
    /* taken from the queue, not yet committed (under wq_mu; changed by the writer only) */
    wop *held_head, *held_tail;
    /* committed, webhooks being handed to the HTTP client, done flags not yet set (under wq_mu):
     * a waiter that gives up must find its flag here too */
    wop *sending_head;
    size_t held_n; /* changes (not batch ends) held */
    int store_failing;
    int64_t fail_since_us;
    char store_err[200];
    _Atomic int64_t commit_max_atomic;
    atomic_long fenced; /* batches dropped: this process lost its lease (amdi_writer_fenced) */
    atomic_long discards; /* W_DISCARD carried out (amdi_writer_discards) */
};

void amdi_writer_push(amdi_writer *w, wop *o)
{
    pthread_mutex_lock(&w->wq_mu);
    if (w->wq_tail)
        w->wq_tail->next = o;
    else
        w->wq_head = o;
    w->wq_tail = o;
    pthread_cond_signal(&w->wq_cv);
    pthread_mutex_unlock(&w->wq_mu);
}

wop *amdi_writer_new_op(amdi_writer *w, int kind)
{
    wop *o = calloc(1, sizeof *o);
    if (!o)
        amdi_logf(&w->log, AMD_LOG_ERROR, "out of memory: a store operation was lost");
    else
        o->kind = kind;
    return o;
}

void amdi_writer_hook_free(out_hook *o)
{
    free(o->url);
    free(o->method);
    amdi_form_free(&o->form);
    free(o);
}

/* Wait until the batch of @p done committed, or the store is failing (the batch then stays held
 * and commits later: the flag is forgotten, since the caller's frame will be gone). */
void amdi_writer_wait(amdi_writer *w, int *done)
{
    pthread_mutex_lock(&w->wq_mu);
    while (!*done && w->writer_running && !w->store_failing)
        pthread_cond_wait(&w->wq_done_cv, &w->wq_mu);
    if (!*done) {
        for (wop *o = w->held_head; o; o = o->next)
            if (o->done == done)
                o->done = NULL;
        for (wop *o = w->wq_head; o; o = o->next)
            if (o->done == done)
                o->done = NULL;
        for (wop *o = w->sending_head; o; o = o->next)
            if (o->done == done)
                o->done = NULL;
    }
    pthread_mutex_unlock(&w->wq_mu);
}

static void op_free(wop *o)
{
    free(o->s1);
    free(o->s2);
    free(o->s3);
    free(o);
}

static void send_hooks(amdi_writer *w, out_hook *o)
{
    while (o) {
        out_hook *n = o->next;
        if (w->hooks) {
            int rc = amdi_hooks_send(w->hooks, &o->tag, o->url, o->method, &o->form, o->token);
            if (rc)
                amdi_logf(&w->log, AMD_LOG_WARN, "call %s: webhook to %s not queued: %s", o->tag.call_sid, o->url,
                     amd_strerror(rc));
        }
        amdi_writer_hook_free(o);
        o = n;
    }
}

/* Record a change of the store's health; the log says why once per change, not per call. */
static void store_health(amdi_writer *w, int failing, const char *why, size_t n)
{
    pthread_mutex_lock(&w->wq_mu);
    int was = w->store_failing;
    double secs = 0;
    if (failing && !was) {
        w->store_failing = 1;
        w->fail_since_us = amdi_mono_us();
        snprintf(w->store_err, sizeof w->store_err, "%s", why ? why : "unknown error");
    } else if (!failing && was) {
        w->store_failing = 0;
        secs = (double)(amdi_mono_us() - w->fail_since_us) / 1e6;
    }
    pthread_cond_broadcast(&w->wq_done_cv); /* waiters stop waiting for a failing store */
    pthread_mutex_unlock(&w->wq_mu);
    if (failing && !was)
        amdi_logf(&w->log, AMD_LOG_ERROR,
             "store: cannot write the database (%s); holding %zu change(s) in memory and retrying until they"
             " commit; new calls get 503 until then",
             why ? why : "unknown error", n);
    else if (!failing && was)
        amdi_logf(&w->log, AMD_LOG_WARN,
                  "store: database writable again after %.1f s; %zu held change(s) committed in order",
             secs, n);
}

int amdi_writer_failing(amdi_writer *w, char *why, size_t n)
{
    pthread_mutex_lock(&w->wq_mu);
    int f = w->store_failing;
    if (f && why)
        snprintf(why, n, "%s", w->store_err);
    pthread_mutex_unlock(&w->wq_mu);
    return f;
}

void amdi_writer_store_error(amdi_writer *w, const char *why)
{
    pthread_mutex_lock(&w->wq_mu);
    size_t n = w->held_n;
    pthread_mutex_unlock(&w->wq_mu);
    store_health(w, 1, why, n);
}

int amdi_writer_call_view(amdi_writer *w, amdi_call_rec *r)
{
    const wop *last = NULL;
    pthread_mutex_lock(&w->wq_mu);
    for (const wop *o = w->held_head; o; o = o->next)
        if ((o->kind == W_CALL || o->kind == W_CALL_NEW) && !strcmp(o->u.call.sid, r->sid))
            last = o;
    for (const wop *o = w->wq_head; o; o = o->next)
        if ((o->kind == W_CALL || o->kind == W_CALL_NEW) && !strcmp(o->u.call.sid, r->sid))
            last = o;
    if (last) {
        int64_t seq = r->seq;
        *r = last->u.call;
        r->seq = seq;
    }
    pthread_mutex_unlock(&w->wq_mu);
    return last != NULL;
}

int amdi_writer_recording_view(amdi_writer *w, amdi_recording_rec *r)
{
    const wop *last = NULL;
    pthread_mutex_lock(&w->wq_mu);
    for (const wop *o = w->held_head; o; o = o->next)
        if (o->kind == W_REC && !strcmp(o->u.recording.sid, r->sid))
            last = o;
    for (const wop *o = w->wq_head; o; o = o->next)
        if (o->kind == W_REC && !strcmp(o->u.recording.sid, r->sid))
            last = o;
    if (last)
        *r = last->u.recording;
    pthread_mutex_unlock(&w->wq_mu);
    return last != NULL;
}

/* A batch end that carries nothing (no webhooks, nobody waiting). */
static int bare_commit(const wop *o)
{
    return o && o->kind == W_COMMIT && !o->hooks && !o->done;
}

/* Drop held metadata of @p key (a newer value is coming), and a bare batch end that only
 * closed it. wq_mu held. */
static void drop_held_meta(amdi_writer *w, const char *key)
{
    for (wop **pp = &w->held_head, *prev = NULL; *pp;) {
        wop *h = *pp;
        if (h->kind != W_META || strcmp(h->s1, key)) {
            prev = h;
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        w->held_n--;
        op_free(h);
        if (bare_commit(*pp) && (!prev || prev->kind == W_COMMIT)) {
            wop *c = *pp;
            *pp = c->next;
            op_free(c);
        }
        if (!*pp)
            w->held_tail = prev;
    }
}

/* Move the queue to the held list (wq_mu held). Held changes commit together, so a long
 * outage must not pile up what carries nothing: a newer metadata value (the heartbeat)
 * replaces the held one, and a bare batch end right after another batch end is dropped. */
static void take_queue(amdi_writer *w)
{
    wop *o = w->wq_head;
    w->wq_head = w->wq_tail = NULL;
    while (o) {
        wop *n = o->next;
        o->next = NULL;
        if (o->kind == W_META)
            drop_held_meta(w, o->s1);
        if (bare_commit(o) && w->held_tail && w->held_tail->kind == W_COMMIT) {
            op_free(o);
            o = n;
            continue;
        }
        if (o->kind != W_COMMIT && o->kind != W_DISCARD)
            w->held_n++;
        if (w->held_tail)
            w->held_tail->next = o;
        else
            w->held_head = o;
        w->held_tail = o;
        o = n;
    }
}

/* Apply the held operations up to @p last in one transaction. 1 when it committed, 0 when
 * there was nothing to write, AMD_EIO when the store refused (rolled back). */
static int apply_held(amdi_writer *w, wop *last)
{
    amdi_store *st = w->store;
    int any = 0, fenced = amdi_store_cluster(st) != NULL;
    for (wop *o = w->held_head; o && !any; o = o == last ? NULL : o->next)
        any = o->kind != W_COMMIT || (fenced && o->hooks); /* on a shared database, webhooks alone are
                                                             * checked against the lease too */
    if (!any)
        return 0;
    if (amdi_store_begin(st))
        return AMD_EIO;
    /* on a shared database, the batch is written (and its webhooks sent) only while this process
     * holds its lease: a process the others declared dead says nothing more */
    int rc = amdi_store_fence(st);
    if (rc == AMD_ESTATE) {
        amdi_store_rollback(st);
        return AMD_ESTATE;
    }
    for (wop *o = w->held_head; o && !rc; o = o == last ? NULL : o->next) {
        switch (o->kind) {
        case W_CALL:
            rc = amdi_store_call_update(st, &o->u.call);
            break;
        case W_CALL_NEW: {
            amdi_call_rec r = o->u.call;
            rc = amdi_store_call_insert(st, &r, o->s1);
            break;
        }
        case W_EVENT:
            rc = amdi_store_event_add(st, o->s1, o->v, o->s2, o->s3);
            break;
        case W_REC:
            rc = amdi_store_recording_put(st, &o->u.recording, o->s1);
            break;
        case W_META:
            rc = amdi_store_meta_set(st, o->s1, o->v);
            break;
        case W_SUMMARY:
            rc = amdi_summary_put(st, o->s1, (const uint8_t *)o->s2, (size_t)o->v);
            break;
        }
    }
    if (rc) { /* stop at the first refusal: SQLite may have rolled back on its own already */
        amdi_store_rollback(st);
        return AMD_EIO;
    }
    int64_t t0 = amdi_mono_us();
    rc = amdi_store_commit(st);
    int64_t dt = amdi_mono_us() - t0;
    if (dt > atomic_load(&w->commit_max_atomic))
        atomic_store(&w->commit_max_atomic, dt);
    return rc ? rc : 1;
}

/* Unlink the held operations up to @p last and return them (wq_mu held). */
static wop *detach_held(amdi_writer *w, wop *last)
{
    wop *head = w->held_head;
    w->held_head = last->next;
    if (!w->held_head)
        w->held_tail = NULL;
    last->next = NULL;
    return head;
}

/* Forget the held operations up to @p last, uncommitted: their webhooks are not sent, waiters
 * are released. The number of changes forgotten. */
static size_t drop_held(amdi_writer *w, wop *last)
{
    size_t n = 0;
    pthread_mutex_lock(&w->wq_mu);
    wop *head = detach_held(w, last);
    for (wop *o = head; o; o = o->next) {
        n += o->kind != W_COMMIT && o->kind != W_DISCARD;
        if (o->kind == W_DISCARD)
            atomic_fetch_add(&w->discards, 1);
        if (o->done)
            *o->done = 1;
    }
    w->held_n -= n;
    pthread_cond_broadcast(&w->wq_done_cv);
    pthread_mutex_unlock(&w->wq_mu);
    for (wop *o = head, *nx; o; o = nx) {
        nx = o->next;
        for (out_hook *h = o->hooks, *hn; h; h = hn) {
            hn = h->next;
            amdi_writer_hook_free(h);
        }
        op_free(o);
    }
    return n;
}

void amdi_writer_discard(amdi_writer *w)
{
    wop *o = amdi_writer_new_op(w, W_DISCARD);
    if (!o) { /* what was queued stays; counted so that no one waits for it */
        atomic_fetch_add(&w->discards, 1);
        return;
    }
    amdi_writer_push(w, o);
}

long amdi_writer_discards(amdi_writer *w)
{
    return atomic_load(&w->discards);
}

long amdi_writer_fenced(amdi_writer *w)
{
    return atomic_load(&w->fenced);
}

/* Commit every complete batch held (with @p all, everything held), in order, then release
 * their webhooks. 0 when done (or nothing to do); AMD_EIO when the store refused (all stays). */
static int writer_flush(amdi_writer *w, int all)
{
    wop *last = NULL; /* only this thread changes the held list, so it reads it unlocked */
    for (wop *o = w->held_head; o; o = o->next)
        if (o->kind == W_DISCARD)
            last = o;
    if (last) {
        drop_held(w, last);
        last = NULL;
    }
    for (wop *o = w->held_head; o; o = o->next)
        if (o->kind == W_COMMIT || (all && !o->next))
            last = o;
    if (!last)
        return 0;
    int wrote = apply_held(w, last);
    if (wrote == AMD_ESTATE) {
        size_t n = drop_held(w, last);
        if (atomic_fetch_add(&w->fenced, 1) == 0)
            amdi_logf(&w->log, AMD_LOG_ERROR,
                      "store: this process no longer holds its lease on the shared database (the others declared it"
                      " dead and took its calls over): %zu change(s) and their webhooks dropped", n);
        return 0;
    }
    if (wrote < 0) {
        char why[200];
        amdi_store_last_error(w->store, why, sizeof why);
        amdi_writer_store_error(w, why);
        return AMD_EIO;
    }
    size_t n = 0;
    pthread_mutex_lock(&w->wq_mu);
    wop *head = detach_held(w, last);
    for (wop *o = head; o; o = o->next)
        n += o->kind != W_COMMIT;
    w->held_n -= n;
    w->sending_head = head;
    pthread_mutex_unlock(&w->wq_mu);
    if (wrote) /* only a real commit shows the store writable again */
        store_health(w, 0, NULL, n);
    for (wop *o = head; o; o = o->next)
        if (o->kind == W_COMMIT) {
            send_hooks(w, o->hooks);
            o->hooks = NULL;
        }
    /* A batch counts as committed for amdi_writer_wait only once its webhooks are queued with
     * the HTTP client: a clean stop waits for the commit, then for the pending webhooks to go out. */
    pthread_mutex_lock(&w->wq_mu);
    for (wop *o = head; o; o = o->next)
        if (o->kind == W_COMMIT && o->done)
            *o->done = 1;
    w->sending_head = NULL;
    pthread_cond_broadcast(&w->wq_done_cv);
    pthread_mutex_unlock(&w->wq_mu);
    for (wop *o = head, *nx; o; o = nx) {
        nx = o->next;
        op_free(o);
    }
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Shutdown: commit everything held, retrying for up to STOP_GRACE_MS; what still cannot be
 * stored then is lost, and the log says how much (the next start closes those calls out). */
static void writer_drain(amdi_writer *w)
{
    int64_t deadline = amdi_mono_us() + (int64_t)STOP_GRACE_MS * 1000;
    int ms = RETRY_FIRST_MS;
    while (writer_flush(w, 1)) {
        if (amdi_mono_us() >= deadline)
            break;
        sleep_ms(ms);
        ms = ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : ms * 2;
    }
    pthread_mutex_lock(&w->wq_mu);
    wop *head = w->held_head;
    size_t n = w->held_n;
    w->held_head = w->held_tail = NULL;
    w->held_n = 0;
    for (wop *o = head; o; o = o->next)
        if (o->kind == W_COMMIT && o->done)
            *o->done = 1;
    pthread_cond_broadcast(&w->wq_done_cv);
    pthread_mutex_unlock(&w->wq_mu);
    size_t hooks = 0;
    for (wop *o = head, *nx; o; o = nx) {
        nx = o->next;
        for (out_hook *h = o->hooks, *hn; h; h = hn) {
            hn = h->next;
            amdi_writer_hook_free(h);
            hooks++;
        }
        op_free(o);
    }
    if (head) {
        char why[200];
        amdi_store_last_error(w->store, why, sizeof why);
        amdi_logf(&w->log, AMD_LOG_ERROR,
             "store: %zu change(s) and %zu webhook(s) lost at shutdown: the database still cannot be written (%s);"
             " the next start closes their calls out from the last stored heartbeat",
             n, hooks, why);
    }
}

static void *writer_run(void *arg)
{
    amdi_writer *w = arg;
    int backoff = 0;
    for (;;) {
        pthread_mutex_lock(&w->wq_mu);
        if (backoff) { /* a refused store: wait out the backoff (new changes join the held ones) */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += backoff / 1000;
            ts.tv_nsec += (long)(backoff % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            while (!w->wq_stop && pthread_cond_timedwait(&w->wq_cv, &w->wq_mu, &ts) == 0)
                ;
        } else {
            while (!w->wq_head && !w->wq_stop)
                pthread_cond_wait(&w->wq_cv, &w->wq_mu);
        }
        take_queue(w);
        int stop = w->wq_stop;
        pthread_mutex_unlock(&w->wq_mu);
        if (stop) {
            writer_drain(w);
            return NULL;
        }
        if (writer_flush(w, 0))
            backoff = backoff ? (backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2) : RETRY_FIRST_MS;
        else
            backoff = 0;
    }
}

int amdi_writer_create(amdi_store *store, amdi_hooks *hooks, const amdi_logger *log, amdi_writer **out)
{
    *out = NULL;
    amdi_writer *w = calloc(1, sizeof *w);
    if (!w)
        return AMD_ENOMEM;
    w->store = store;
    w->hooks = hooks;
    w->log = *log;
    pthread_mutex_init(&w->wq_mu, NULL);
    pthread_cond_init(&w->wq_cv, NULL);
    pthread_cond_init(&w->wq_done_cv, NULL);
    atomic_init(&w->commit_max_atomic, 0);
    if (pthread_create(&w->thr, NULL, writer_run, w)) {
        amdi_writer_destroy(w);
        return AMD_ENOMEM;
    }
    w->writer_running = 1;
    *out = w;
    return 0;
}

void amdi_writer_stop(amdi_writer *w)
{
    pthread_mutex_lock(&w->wq_mu);
    w->wq_stop = 1;
    pthread_cond_broadcast(&w->wq_cv);
    pthread_mutex_unlock(&w->wq_mu);
    if (w->writer_running)
        pthread_join(w->thr, NULL);
    w->writer_running = 0;
    w->hooks = NULL;
}

void amdi_writer_finish(amdi_writer *w)
{
    pthread_mutex_lock(&w->wq_mu);
    take_queue(w); /* the writer has stopped: this thread is the writer now */
    pthread_mutex_unlock(&w->wq_mu);
    writer_drain(w);
}

void amdi_writer_destroy(amdi_writer *w)
{
    if (!w)
        return;
    amdi_writer_stop(w);
    amdi_writer_finish(w);
    pthread_mutex_destroy(&w->wq_mu);
    pthread_cond_destroy(&w->wq_cv);
    pthread_cond_destroy(&w->wq_done_cv);
    free(w);
}

int64_t amdi_writer_commit_max_us(amdi_writer *w)
{
    return atomic_load(&w->commit_max_atomic);
}
