/* SPDX-License-Identifier: MIT */
/* Several `amd serve` processes on one PostgreSQL database (store_cluster.h).
 *
 * A cluster thread, with a database connection of its own, every few milliseconds:
 *   - renews this process's lease (once a second);
 *   - takes over the live calls of processes whose lease expired (every half second), which the
 *     tick then closes out as a restart would (recovery.c): answered calls completed at the dead
 *     process's last heartbeat, calls being placed failed, each with its completed callback,
 *     SequenceNumber continuing from the stored one;
 *   - claims the due calls of each account's shared CPS queue (one slot per 1/CPS s across the
 *     cluster, amd_claim in store_schema.c) and marks them dialing (mark_dialing), which the tick
 *     then dials: the tick itself never waits for the database;
 * A listener thread, with a connection of its own so that claims and heartbeats never delay it,
 * takes the updates other processes forward to the calls this one runs, applies them
 * (amdi_calls_update) and answers (PostgreSQL LISTEN/NOTIFY, a round trip of milliseconds).
 * The tick (calls.c) collects the claimed and adopted calls under e->mu (amdi_cluster_drain).
 * Engine time is wall time here: a cluster runs with clock speed 1.
 *
 * Fencing (a process declared dead while it still runs: paused, or cut off from the database,
 * longer than the lease). The others closed its calls out, so whatever it still says about them
 * would contradict them. Every batch of the store writer first checks, in its transaction, that
 * this process holds its lease (amdi_store_fence): a refused batch is dropped whole, webhooks
 * included; call, event and recording rows of calls another process owns are not written either
 * (store_pg.c). When this thread learns it was fenced (its heartbeat, or the writer), the tick
 * forgets every call without a word (amdi_calls_drop_all), the writer forgets what it still
 * holds, and the process joins again with a new lease (a new epoch: nothing of the old one can
 * pass the check any more) and serves as a fresh process. A claimed call is marked dialing in
 * the database before the tick gets it (mark_dialing, owner and lease checked), so a fenced
 * process never gets one that was taken from it, and a take-over knows which claimed calls were
 * never dialed (queued again). One marked but not dialed yet may be taken over (ended) once this
 * process's heartbeat is a lease old: the tick dials it only while the last heartbeat that got
 * through is younger than that by a beat (dial_until), and otherwise holds it until the next
 * heartbeat, or drops it with the rest when fenced. */
#include "calls_internal.h"

#include <stdio.h>
#include <time.h>

#include "amd/error.h"
#include "form.h"
#include "store_cluster.h"

#define LEASE_MS 3000       /* a heartbeat older than this: the process is dead */
#define BEAT_MS 1000
#define ADOPT_EVERY_MS 500  /* so a dead process's calls are taken within LEASE_MS + 0.5 s + a beat */
#define POLL_MS 5           /* the queue is looked at this often: a slot is dialed within a tick */
#define FORWARD_WAIT_MS 2000
#define CLAIM_MAX 64

enum { CL_CLAIM, CL_ADOPT };

typedef struct cl_item {
    int kind;
    amdi_call_rec rec;
    char *params; /* its create form, read here so that the tick never waits for the database */
    int64_t hb; /* CL_ADOPT: the dead owner's last heartbeat */
    struct cl_item *next;
} cl_item;

typedef struct pending {
    unsigned id;
    int done, rc;
    amdi_api_error err;
    struct pending *next;
} pending;

struct amdi_cluster {
    amdi_calls *e;
    amdi_store *st;
    const amdi_cluster_ops *ops;
    char instance[64];
    pthread_t thr;
    int running;
    atomic_int stop;
    pthread_mutex_t mu; /* items, pending */
    pthread_cond_t cv;
    cl_item *head, *tail;
    pending *pend;
    unsigned next_id;
    int fenced; /* declared dead by the others: claims nothing more until it joined again */
    int64_t epoch; /* of this process's lease (store_cluster.h beat); the cluster thread's */
    cl_item *unmarked; /* claimed, not marked dialing yet (this thread's) */
    int64_t mark_retry_at; /* after a failed mark_dialing, the next try (engine ms) */
    atomic_llong dial_until; /* the tick dials claimed calls before this (engine ms; see the top) */
    long writer_fenced; /* amdi_writer_fenced() last seen */
    long discard_want; /* the writer's discard this thread waits for before joining again */
    int64_t join_tried; /* when it last tried to join again (once a beat) */
    atomic_int drop_req; /* to the tick: forget every call (amdi_calls_drop_all) */
    amdi_store *lst; /* the listener's connection */
    pthread_t lthr;
    int lrunning;
};

static void push(struct amdi_cluster *cl, cl_item *it)
{
    pthread_mutex_lock(&cl->mu);
    if (cl->tail)
        cl->tail->next = it;
    else
        cl->head = it;
    cl->tail = it;
    pthread_mutex_unlock(&cl->mu);
}

static void on_adopt(void *user, const amdi_call_rec *r, int64_t hb)
{
    struct amdi_cluster *cl = user;
    cl_item *it = calloc(1, sizeof *it);
    if (!it)
        return; /* stays owned by this process: the next restart of it closes the call out */
    it->kind = CL_ADOPT;
    it->rec = *r;
    it->hb = hb;
    amdi_store_call_params(cl->st, r->sid, &it->params); /* NULL: the tick reads it */
    push(cl, it);
}

/* ------------------------------------------------------------------ forwarded updates */

static void form_put(amdi_form *f, const char *k, const char *v)
{
    if (v)
        amdi_form_add(f, k, v);
}

/* @p f encoded (malloc'd; NULL when out of memory), and freed. */
static char *form_take(amdi_form *f)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_form_encode(f, &b);
    amdi_form_free(f);
    if (b.oom) {
        amdi_buf_free(&b);
        return NULL;
    }
    return b.p ? amdi_buf_take(&b) : strdup("");
}

/* The update as the form a client would have posted (Twilio's parameter names). */
static char *encode_update(const amdi_update_params *u)
{
    amdi_form f;
    amdi_form_init(&f);
    form_put(&f, "Url", u->url);
    form_put(&f, "Method", u->method);
    form_put(&f, "Twiml", u->twiml);
    form_put(&f, "Status", u->status);
    form_put(&f, "FallbackUrl", u->fallback_url);
    form_put(&f, "FallbackMethod", u->fallback_method);
    form_put(&f, "StatusCallback", u->status_callback);
    form_put(&f, "StatusCallbackMethod", u->status_callback_method);
    char tl[16];
    if (u->time_limit_s >= 0) {
        snprintf(tl, sizeof tl, "%d", u->time_limit_s);
        amdi_form_add(&f, "TimeLimit", tl);
    }
    return form_take(&f);
}

/* Split @p s at tabs into at most @p n fields (the last keeps the rest). */
static int split(char *s, char **f, int n)
{
    int k = 0;
    while (k < n) {
        f[k++] = s;
        if (k == n)
            break;
        char *t = strchr(s, '\t');
        if (!t)
            break;
        *t = 0;
        s = t + 1;
    }
    return k;
}

/* "U <target> <origin> <id> <account> <sid> <form>": apply it here and answer
 * "R <origin> <id> <rc> <http> <code> <message>". */
static void apply_forwarded(struct amdi_cluster *cl, char **f)
{
    amdi_form form;
    amdi_update_params u;
    amdi_api_error err;
    memset(&err, 0, sizeof err);
    int rc;
    if (amdi_form_parse(&form, f[6], strlen(f[6]), AMDI_FORM_MAX_ITEMS)) {
        rc = AMD_EINVAL;
    } else {
        if (amdi_update_params_parse(&u, &form, &err)) {
            rc = -1;
        } else {
            amdi_call_rec out;
            rc = amdi_calls_update(cl->e, f[4], f[5], &u, &out, &err);
        }
        amdi_form_free(&form);
    }
    char msg[512];
    snprintf(msg, sizeof msg, "R\t%s\t%s\t%d\t%d\t%d\t%s", f[2], f[3], rc, err.http, err.code, err.message);
    if (cl->ops->notify(cl->lst, msg))
        amdi_calls_log(cl->e, AMD_LOG_WARN, "cluster: cannot answer a forwarded update of %s", f[5]);
}

static void on_notify(void *user, const char *payload)
{
    struct amdi_cluster *cl = user;
    char *p = strdup(payload ? payload : "");
    char *f[7];
    if (!p)
        return;
    if (p[0] == 'U' && split(p, f, 7) == 7 && !strcmp(f[1], cl->instance)) {
        apply_forwarded(cl, f);
    } else if (p[0] == 'R' && split(p, f, 7) == 7 && !strcmp(f[1], cl->instance)) {
        unsigned id = (unsigned)strtoul(f[2], NULL, 10);
        pthread_mutex_lock(&cl->mu);
        for (pending *q = cl->pend; q; q = q->next)
            if (q->id == id) {
                q->rc = atoi(f[3]);
                q->err.http = atoi(f[4]);
                q->err.code = atoi(f[5]);
                snprintf(q->err.message, sizeof q->err.message, "%s", f[6]);
                q->done = 1;
                pthread_cond_broadcast(&cl->cv);
            }
        pthread_mutex_unlock(&cl->mu);
    }
    free(p);
}

int amdi_cluster_forward(amdi_calls *e, const char *account, const char *sid, const amdi_update_params *u, int *rc,
                         amdi_api_error *err)
{
    struct amdi_cluster *cl = e->cl;
    char owner[64] = "";
    if (!cl || cl->ops->owner(cl->st, sid, owner, sizeof owner) || !owner[0] || !strcmp(owner, cl->instance))
        return 0;
    char *form = encode_update(u);
    if (!form)
        return 0;
    pending q;
    memset(&q, 0, sizeof q);
    pthread_mutex_lock(&cl->mu);
    q.id = ++cl->next_id;
    q.next = cl->pend;
    cl->pend = &q;
    pthread_mutex_unlock(&cl->mu);
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_buf_printf(&b, "U\t%s\t%s\t%u\t%s\t%s\t%s", owner, cl->instance, q.id, account, sid, form);
    free(form);
    /* NOTIFY payloads are limited to 8000 bytes (https://www.postgresql.org/docs/15/sql-notify.html) */
    size_t b_len = b.len;
    int sent = !b.oom && b.len < 8000 && !cl->ops->notify(cl->lst, b.p);
    amdi_buf_free(&b);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += FORWARD_WAIT_MS / 1000;
    pthread_mutex_lock(&cl->mu);
    while (sent && !q.done && pthread_cond_timedwait(&cl->cv, &cl->mu, &dl) == 0)
        ;
    for (pending **pp = &cl->pend; *pp; pp = &(*pp)->next)
        if (*pp == &q) {
            *pp = q.next;
            break;
        }
    pthread_mutex_unlock(&cl->mu);
    if (!sent && b_len >= 8000) {
        amdi_api_error_set(err, 413, AMDI_TWERR_INTERNAL,
                           "This update of call %s is too large to pass to the server running the call (%zu bytes "
                           "encoded, at most 7999)", sid, b_len);
        *rc = -1;
        return 1;
    }
    if (!q.done) {
        amdi_api_error_set(err, 503, AMDI_TWERR_INTERNAL,
                           "The process running call %s (%s) did not answer; try again", sid, owner);
        *rc = -1;
        return 1;
    }
    if (q.rc == AMD_ENOTFOUND)
        return 0; /* it ended meanwhile */
    *rc = q.rc;
    if (q.rc)
        *err = q.err;
    return 1;
}

/* ------------------------------------------------------------------ the thread */

static int64_t now_ms(struct amdi_cluster *cl)
{
    return amdi_calls_now(cl->e);
}

static void items_free(cl_item *it)
{
    for (cl_item *n; it; it = n) {
        n = it->next;
        free(it->params);
        free(it);
    }
}

/* Mark the claimed calls waiting in cl->unmarked dialing (store_cluster.h mark_dialing) and hand
 * them to the tick; drop those this process may no longer dial (taken from it meanwhile: the
 * take-over of this process, or its own next join, queued them again). When the mark fails they
 * wait for a later try, a beat later. */
static void mark_claimed(struct amdi_cluster *cl, int64_t now)
{
    size_t n = 0;
    for (cl_item *i = cl->unmarked; i; i = i->next)
        n++;
    if (!n || now < cl->mark_retry_at)
        return;
    const char **sids = calloc(n, sizeof *sids);
    int *ok = calloc(n, sizeof *ok);
    size_t k = 0;
    for (cl_item *i = cl->unmarked; sids && i; i = i->next)
        sids[k++] = i->rec.sid;
    long m = sids && ok ? cl->ops->mark_dialing(cl->st, cl->instance, cl->epoch, sids, n, now, ok) : AMD_ENOMEM;
    free(sids);
    if (m < 0) {
        amdi_calls_log(cl->e, AMD_LOG_ERROR, "cluster: cannot mark %zu claimed call(s) dialing (%s); retrying in %d ms",
                       n, amd_strerror((int)m), BEAT_MS);
        cl->mark_retry_at = now + BEAT_MS;
        free(ok);
        return;
    }
    k = 0;
    for (cl_item *i = cl->unmarked, *nx; i; i = nx) {
        nx = i->next;
        i->next = NULL;
        if (ok[k++]) {
            push(cl, i);
            continue;
        }
        amdi_calls_log(cl->e, AMD_LOG_WARN, "cluster: call %s was taken from instance %s before it was dialed",
                       i->rec.sid, cl->instance);
        items_free(i);
    }
    cl->unmarked = NULL;
    free(ok);
}

static void claim_all(struct amdi_cluster *cl)
{
    amdi_calls *e = cl->e;
    cl_item **tail = &cl->unmarked;
    while (*tail)
        tail = &(*tail)->next;
    amdi_claim got[CLAIM_MAX];
    for (size_t i = 0; i < e->naccts; i++) { /* accounts are only added before start */
        const acct *a = &e->accts[i];
        int64_t gap_us = (int64_t)(1e6 / (a->cps > 0 ? a->cps : 1));
        long n = cl->ops->claim(cl->st, a->sid, cl->instance, now_ms(cl), gap_us, got, CLAIM_MAX);
        for (long k = 0; k < n; k++) {
            cl_item *it = calloc(1, sizeof *it);
            if (!it || amdi_store_call_get(cl->st, NULL, got[k].sid, &it->rec) ||
                amdi_store_call_params(cl->st, got[k].sid, &it->params)) {
                /* owned here with its slot: if it cannot be read now, a restart closes it out */
                amdi_calls_log(e, AMD_LOG_ERROR, "cluster: call %s claimed but unreadable", got[k].sid);
                if (it)
                    free(it->params);
                free(it);
                continue;
            }
            it->kind = CL_CLAIM;
            it->rec.start_time = got[k].slot_ms;
            *tail = it;
            tail = &it->next;
        }
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Updates forwarded to this process (their own connection: see the top). */
static void *listen_run(void *arg)
{
    struct amdi_cluster *cl = arg;
    while (!atomic_load(&cl->stop))
        if (cl->ops->wait(cl->lst, 50, on_notify, cl))
            sleep_ms(100); /* the database is unreachable (store_pg.c wait reconnects): do not spin */
    return NULL;
}

/* Join (again): this instance's own earlier run is over whatever its lease said (its calls
 * closed out, its claimed calls queued again), then a new lease with a new epoch, which the
 * engine's writes carry from now on. 0 or an error. */
static int join(struct amdi_cluster *cl, int64_t now)
{
    if (cl->ops->adopt(cl->st, cl->instance, now, LEASE_MS, 1, QUEUE_HORIZON_MS, on_adopt, cl) < 0 ||
        cl->ops->beat(cl->st, cl->instance, now, 1, &cl->epoch))
        return AMD_EIO;
    cl->ops->as_instance(cl->e->cfg.store, cl->instance, cl->epoch);
    atomic_store(&cl->dial_until, now + LEASE_MS - BEAT_MS);
    return 0;
}

/* Declared dead while still running: see "Fencing" at the top. */
static void fenced(struct amdi_cluster *cl)
{
    amdi_calls_log(cl->e, AMD_LOG_ERROR,
                   "cluster: instance %s was declared dead by the other processes (no heartbeat for %d ms: paused or "
                   "cut off from the database); they closed its calls out, so it drops them without a word and joins "
                   "again with a new lease",
                   cl->instance, LEASE_MS);
    cl->fenced = 1;
    atomic_store(&cl->dial_until, 0); /* before drop_req: a tick that misses the one sees the other */
    items_free(cl->unmarked); /* the next join queues them again */
    cl->unmarked = NULL;
    cl->discard_want = amdi_writer_discards(cl->e->w) + 1;
    cl->join_tried = 0;
    atomic_store(&cl->drop_req, 1);
}

/* Fenced: once the tick dropped the calls and the writer what it held, join again. */
static void rejoin(struct amdi_cluster *cl, int64_t now)
{
    if (atomic_load(&cl->drop_req) || amdi_writer_discards(cl->e->w) < cl->discard_want ||
        now - cl->join_tried < BEAT_MS)
        return;
    cl->join_tried = now;
    if (join(cl, now)) {
        amdi_calls_log(cl->e, AMD_LOG_WARN, "cluster: instance %s cannot join again yet; retrying", cl->instance);
        return;
    }
    cl->writer_fenced = amdi_writer_fenced(cl->e->w);
    cl->fenced = 0;
    amdi_calls_log(cl->e, AMD_LOG_WARN, "cluster: instance %s joined again with a new lease (epoch %lld)",
                   cl->instance, (long long)cl->epoch);
}

static void *run(void *arg)
{
    struct amdi_cluster *cl = arg;
    int64_t last_beat = now_ms(cl), last_adopt = 0;
    /* Since when this process's own heartbeats have been getting through. After the database
     * was unreachable every process's heartbeat is old at once: judging the others then would
     * declare healthy processes dead, so a process takes over others only after a whole lease
     * of its own beats (by then the others have beaten again too). */
    int64_t healthy_since = last_beat;
    while (!atomic_load(&cl->stop)) {
        sleep_ms(POLL_MS);
        int64_t now = now_ms(cl);
        if (cl->fenced) {
            rejoin(cl, now);
            if (cl->fenced) {
                continue;
            }
            last_beat = healthy_since = now;
        }
        long wf = amdi_writer_fenced(cl->e->w); /* the writer saw it first: check now */
        if (now - last_beat >= BEAT_MS || wf != cl->writer_fenced) {
            cl->writer_fenced = wf;
            int rc = cl->ops->beat(cl->st, cl->instance, now, 0, &cl->epoch);
            if (rc == AMD_ESTATE) {
                fenced(cl);
                continue;
            }
            if (rc)
                healthy_since = -1;
            else
                atomic_store(&cl->dial_until, now + LEASE_MS - BEAT_MS);
            if (!rc && healthy_since < 0)
                healthy_since = now;
            last_beat = now;
        }
        if (now - last_adopt >= ADOPT_EVERY_MS && healthy_since >= 0 && now - healthy_since >= LEASE_MS) {
            long n = cl->ops->adopt(cl->st, cl->instance, now, LEASE_MS, 0, QUEUE_HORIZON_MS, on_adopt, cl);
            if (n > 0)
                amdi_calls_log(cl->e, AMD_LOG_WARN, "cluster: took over %ld live call(s) of a dead process", n);
            last_adopt = now;
        }
        claim_all(cl);
        mark_claimed(cl, now_ms(cl));
    }
    return NULL;
}

int amdi_cluster_start(amdi_calls *e, char *err, size_t errlen)
{
    amdi_store *st = e->cfg.cluster_store;
    if (!st)
        return 0;
    struct amdi_cluster *cl = calloc(1, sizeof *cl);
    if (!cl)
        return AMD_ENOMEM;
    cl->e = e;
    cl->st = st;
    cl->ops = amdi_store_cluster(st);
    snprintf(cl->instance, sizeof cl->instance, "%s", e->cfg.instance ? e->cfg.instance : "amd");
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cv, NULL);
    e->cl = cl;
    char why[300] = "";
    if (cl->ops->open_peer(st, &cl->lst, why, sizeof why) || cl->ops->listen(cl->lst)) {
        snprintf(err, errlen, "cluster: instance %s cannot listen for forwarded updates: %s", cl->instance, why);
        return AMD_EIO;
    }
    /* this instance's own earlier run (a restart under the same name) is over, whatever its lease */
    if (join(cl, now_ms(cl))) {
        snprintf(err, errlen, "cluster: cannot join as instance %s", cl->instance);
        return AMD_EIO;
    }
    cl->writer_fenced = amdi_writer_fenced(e->w);
    if (pthread_create(&cl->thr, NULL, run, cl))
        return AMD_ENOMEM;
    cl->running = 1;
    if (pthread_create(&cl->lthr, NULL, listen_run, cl))
        return AMD_ENOMEM;
    cl->lrunning = 1;
    return 0;
}

/* The claimed calls of @p it the tick may not dial yet (see dial_until at the top) go back to
 * the list for a later tick. Returns the rest. */
static cl_item *hold_claimed(struct amdi_cluster *cl, cl_item *it)
{
    if (amdi_calls_now(cl->e) < atomic_load(&cl->dial_until))
        return it;
    cl_item *keep = NULL, **tail = &keep;
    for (cl_item *i = it, *nx; i; i = nx) {
        nx = i->next;
        i->next = NULL;
        if (i->kind == CL_CLAIM) {
            push(cl, i);
            continue;
        }
        *tail = i;
        tail = &i->next;
    }
    return keep;
}

void amdi_cluster_drain(amdi_calls *e)
{
    struct amdi_cluster *cl = e->cl;
    if (!cl)
        return;
    pthread_mutex_lock(&cl->mu);
    cl_item *it = cl->head;
    cl->head = cl->tail = NULL;
    pthread_mutex_unlock(&cl->mu);
    if (atomic_load(&cl->drop_req)) { /* fenced: see the top */
        items_free(it); /* the next join takes back what is still this instance's */
        amdi_calls_drop_all(e);
        amdi_writer_discard(e->w);
        atomic_store(&cl->drop_req, 0);
        return;
    }
    it = hold_claimed(cl, it);
    size_t adopted = 0;
    amdi_call_rec *only = NULL;
    size_t cap = 0;
    for (cl_item *i = it; i; i = i->next)
        if (i->kind == CL_ADOPT) {
            if (adopted == cap) {
                size_t nc = cap ? cap * 2 : 16;
                amdi_call_rec *no = realloc(only, nc * sizeof *no);
                if (!no)
                    break;
                only = no;
                cap = nc;
            }
            only[adopted++] = i->rec;
        }
    if (adopted)
        amdi_calls_close_out_recordings(e, only, adopted);
    free(only);
    while (it) {
        cl_item *n = it->next;
        if (it->kind == CL_ADOPT) {
            amdi_calls_close_out(e, &it->rec, it->hb, 0, it->params);
        } else {
            acct *a = amdi_calls_find_acct(e, it->rec.account_sid);
            amdi_form f;
            amdi_create_params p;
            amdi_api_error ae;
            memset(&p, 0, sizeof p);
            int ok = a && it->params && !amdi_form_parse(&f, it->params, strlen(it->params), AMDI_FORM_MAX_ITEMS) &&
                     !amdi_create_params_parse(&p, &f, &ae);
            live *c = ok ? amdi_calls_live_new(e, &it->rec, &p, a) : NULL;
            if (c) {
                amdi_calls_dial_claimed(e, c);
            } else {
                if (ok)
                    amdi_create_params_free(&p);
                /* cannot be run here: close it out truthfully (failed, with its callback if possible) */
                amdi_calls_close_out(e, &it->rec, e->now, 0, it->params);
            }
        }
        free(it->params);
        free(it);
        it = n;
    }
}

void amdi_cluster_stop(amdi_calls *e)
{
    struct amdi_cluster *cl = e->cl;
    if (!cl)
        return;
    atomic_store(&cl->stop, 1);
    if (cl->running)
        pthread_join(cl->thr, NULL);
    if (cl->lrunning)
        pthread_join(cl->lthr, NULL);
    cl->running = cl->lrunning = 0;
}

void amdi_cluster_leave(amdi_calls *e)
{
    struct amdi_cluster *cl = e->cl;
    if (!cl)
        return;
    amdi_cluster_stop(e);
    /* calls claimed but not dialed go back to the shared queue (leave() releases them) */
    size_t n = 0, k = 0;
    for (cl_item *i = cl->head; i; i = i->next)
        n += i->kind == CL_CLAIM;
    const char **sids = calloc(n ? n : 1, sizeof *sids);
    for (cl_item *i = cl->head; sids && i; i = i->next)
        if (i->kind == CL_CLAIM)
            sids[k++] = i->rec.sid;
    if (cl->ops->leave(cl->st, cl->instance, now_ms(cl), sids, k))
        amdi_calls_log(e, AMD_LOG_WARN, "cluster: instance %s could not leave cleanly; the next start of it or a "
                                        "take-over closes its calls out", cl->instance);
    free(sids);
    items_free(cl->head);
    items_free(cl->unmarked);
    amdi_store_close(cl->lst);
    pthread_mutex_destroy(&cl->mu);
    pthread_cond_destroy(&cl->cv);
    free(cl);
    e->cl = NULL;
}

/* Replace @p key's value in @p f (@p v NULL: remove it). */
static void form_set(amdi_form *f, const char *key, const char *v)
{
    amdi_form_remove(f, key);
    if (v)
        amdi_form_add(f, key, v);
}

/* The stored create form with the update's values in it: what a queued call runs once dialed,
 * the same as an update of a call queued in this process (amdi_calls_update). */
static char *edit_queued(void *user, const char *stored)
{
    const amdi_update_params *u = user;
    amdi_form f;
    if (amdi_form_parse(&f, stored, strlen(stored), AMDI_FORM_MAX_ITEMS))
        return NULL;
    if (u->url || u->twiml) { /* Url and Twiml replace each other */
        form_set(&f, "Url", u->url);
        form_set(&f, "Method", u->url ? (u->method ? u->method : "POST") : NULL);
        form_set(&f, "Twiml", u->twiml);
    }
    if (u->fallback_url)
        form_set(&f, "FallbackUrl", u->fallback_url);
    if (u->fallback_method)
        form_set(&f, "FallbackMethod", u->fallback_method);
    if (u->status_callback)
        form_set(&f, "StatusCallback", u->status_callback);
    if (u->status_callback_method)
        form_set(&f, "StatusCallbackMethod", u->status_callback_method);
    if (u->time_limit_s >= 0) {
        char tl[16];
        snprintf(tl, sizeof tl, "%d", u->time_limit_s);
        form_set(&f, "TimeLimit", tl);
    }
    return form_take(&f);
}

int amdi_cluster_update_queued(amdi_calls *e, const char *sid, const amdi_update_params *u)
{
    struct amdi_cluster *cl = e->cl;
    return cl ? cl->ops->update_queued(cl->st, sid, amdi_calls_now(e), edit_queued, (void *)u) : AMD_ENOTFOUND;
}

int amdi_cluster_take_queued(amdi_calls *e, const char *sid)
{
    struct amdi_cluster *cl = e->cl;
    return cl ? cl->ops->take_queued(cl->st, sid, cl->instance) : AMD_ENOTFOUND;
}

long amdi_cluster_queued(amdi_calls *e, const char *account)
{
    struct amdi_cluster *cl = e->cl;
    long n = cl->ops->queued(cl->st, account);
    return n < 0 ? 0 : n;
}
