/* SPDX-License-Identifier: MIT */
/*
 * The call engine.
 *
 * Lifecycle (SPEC §6.2): queued -> initiated (leaves the CPS queue; the resource still says
 * "queued", the only status of the wire enum before ringing) -> ringing -> in-progress |
 * busy | no-answer (after Timeout) | failed | canceled; in-progress -> completed.
 *
 * Crash recovery (amdi_engine_start): a heartbeat (engine time) is stored every second.
 * On start, calls the store still holds as live are closed out truthfully:
 *   - queued and never dialed: queued again (the 201 promised the call), unless older than
 *     24 h (Twilio's queue horizon) -> failed;
 *   - dialed but not answered: failed, end_time = last heartbeat;
 *   - in progress: completed, end_time = last heartbeat (the last moment the server is known
 *     to have been running the call), duration from answer to that moment;
 *   - a recording still open: failed (16104), its file repaired to the frames it holds;
 * each with error_message saying so, and the completed status callback if one was asked for.
 *
 * Ownership of a call (struct live): the engine owns it from amdi_engine_submit() until it is
 * freed, and it is freed at ONE point only: reap(), which runs when the work that may hold a
 * pointer to it is over (the end of a tick, of an update, of recovery, of shutdown). Ending a
 * call (end_call) only marks it ST_DONE, takes it off the hash, queue, active and work lists
 * and puts it on the engine's dead list, so every callback still on the stack of that tick
 * (the driver's sink, the detector pass, TwiML execution) may keep reading it; each of them
 * checks ST_DONE before acting on it. Its driver leg is released in reap() too, since the
 * driver may be inside advance() for that very leg when the call ends. Nothing outside the engine thread (under e->mu) ever
 * holds a pointer to a call.
 */
#include "engine.h"

#include "recording.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "amd/detector.h"
#include "amd/error.h"
#include "sid.h"
#include "strbuf.h"
#include "timefmt.h"
#include "twiml.h"
#include "webhook.h"

#define TICK_MS 20          /* the media clock: one 20 ms audio frame per call per tick */
#define HASH_BUCKETS 65536  /* call lookup by SID */
#define QUEUE_HORIZON_MS (24LL * 3600 * 1000) /* Twilio queues up to 24 h of calls */
#define HEARTBEAT_MS 1000
#define EVENT_BODY_MAX 4096 /* bytes of a webhook response kept in the Events list */
/* A recording that could not be stored whole (disk full, I/O error). Twilio publishes no code
 * for a storage failure of its own (16101/16102 are "absent", 16105 an encryption failure);
 * this server uses 16104 for every "recording could not be made" case. */
#define REC_ERR_NOT_STORED 16104
/* TwiML documents one call may fetch (Url, <Redirect>, FallbackUrl, REST redirects): a
 * <Redirect> loop otherwise runs until TimeLimit (up to 24 h). Beyond it the call ends with
 * Twilio's error for too many redirects. */
#define MAX_TWIML_FETCHES 100
#define ERR_TOO_MANY_REDIRECTS 11215

enum { K_URL = 1, K_FALLBACK, K_STATUS, K_AMD };
enum { ST_QUEUED, ST_INITIATED, ST_RINGING, ST_ANSWERED, ST_DONE };

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
    int st;
    int64_t t_dial, t_ring, t_answer;
    amdi_leg *leg;
    /* AMD */
    amd_detector *det;
    float *pend;        /* far-end audio of this tick waiting for the parallel detector pass */
    size_t pend_n, pend_cap;
    long work_idx;      /* slot in the tick's work list, -1 when not queued */
    int det_rc;
    int amd_wait; /* sync AMD: instructions start after the decision */
    /* instructions */
    char *url, *method, *fallback_url, *fallback_method, *status_cb, *status_cb_method, *twiml;
    int time_limit_s;
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

/* A webhook waiting for the transaction that stored its transition to commit. */
typedef struct out_hook {
    amdi_hook_tag tag;
    char *url, *method;
    char token[65];
    amdi_form form;
    struct out_hook *next;
} out_hook;

/* One store operation for the writer thread. A W_COMMIT ends a batch: the writer commits the
 * transaction and only then sends the batch's webhooks. */
enum { W_CALL, W_EVENT, W_REC, W_META, W_COMMIT };
typedef struct wop {
    int kind;
    union {
        amdi_call_rec call;
        amdi_recording_rec recording;
    } u;
    char *s1, *s2, *s3; /* event: call sid, request, response; recording: path; meta: key */
    int64_t v;          /* event time / meta value */
    out_hook *hooks;    /* W_COMMIT */
    int *done;          /* W_COMMIT: set when committed (amdi_engine_update waits for it) */
    struct wop *next;
} wop;

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

struct amdi_engine {
    amdi_engine_config cfg;
    amdi_hooks *hooks;
    pthread_t thr;
    int running;
    pthread_mutex_t mu;
    int stop;
    int64_t wall0, mono0_us;
    int64_t now; /* engine time of the current tick */
    int64_t ticks, late_ticks, max_late_us;
    int64_t late_hist[AMDI_LATE_BUCKETS];
    int64_t work_total_us, work_max_us, commit_max_us;
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
    int in_tx;
    out_hook *out_head, *out_tail;
    /* the store writer: transitions are committed off the media clock's thread */
    pthread_t writer;
    int writer_running, wq_stop;
    pthread_mutex_t wq_mu;
    pthread_cond_t wq_cv, wq_done_cv;
    struct wop *wq_head, *wq_tail;
    /* taken from the queue, not yet committed (under wq_mu; changed by the writer only) */
    struct wop *held_head, *held_tail;
    size_t held_n; /* changes (not batch ends) held */
    int store_failing;
    int64_t fail_since_us;
    char store_err[200];
    _Atomic int64_t commit_max_atomic;
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
};

/* ------------------------------------------------------------------ utilities */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t amdi_engine_now(amdi_engine *e)
{
    return e->wall0 + (int64_t)((double)(mono_us() - e->mono0_us) * e->cfg.clock_speed / 1000.0);
}

static void elog(amdi_engine *e, amd_log_level lv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void elog(amdi_engine *e, amd_log_level lv, const char *fmt, ...)
{
    if (!e->cfg.log_fn || lv > e->cfg.log_level)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->cfg.log_fn(e->cfg.log_user, lv, msg);
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void set_str(char **dst, const char *s)
{
    char *n = xstrdup(s);
    free(*dst);
    *dst = n;
}

static unsigned hash_sid(const char *sid)
{
    unsigned h = 2166136261u;
    for (const char *c = sid; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h % HASH_BUCKETS;
}

static live *find_live(amdi_engine *e, const char *sid)
{
    for (live *c = e->hash[hash_sid(sid)]; c; c = c->hnext)
        if (!strcmp(c->rec.sid, sid))
            return c;
    return NULL;
}

static void hash_remove(amdi_engine *e, live *c)
{
    live **pp = &e->hash[hash_sid(c->rec.sid)];
    while (*pp && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = c->hnext;
}

static acct *find_acct(amdi_engine *e, const char *sid)
{
    for (size_t i = 0; i < e->naccts; i++)
        if (!strcmp(e->accts[i].sid, sid))
            return &e->accts[i];
    return NULL;
}

static void live_free(live *c)
{
    if (!c)
        return;
    amdi_create_params_free(&c->p);
    amd_detector_destroy(c->det);
    free(c->pend);
    amdi_recording_close(c->recw, NULL, NULL, 0);
    amdi_twiml_free(c->doc);
    free(c->url);
    free(c->method);
    free(c->fallback_url);
    free(c->fallback_method);
    free(c->status_cb);
    free(c->status_cb_method);
    free(c->twiml);
    free(c->doc_url);
    free(c);
}

/* Resolve @p ref against @p base (absolute refs as they are; "/x" against the origin;
 * otherwise against the base's directory). Caller frees. */
static char *resolve_url(const char *base, const char *ref)
{
    if (!ref)
        return NULL;
    if (!strncasecmp(ref, "http://", 7) || !strncasecmp(ref, "https://", 8) || !base)
        return strdup(ref);
    amdi_buf b;
    amdi_buf_init(&b);
    const char *scheme_end = strstr(base, "://");
    const char *host = scheme_end ? scheme_end + 3 : base;
    const char *path = strchr(host, '/');
    if (ref[0] == '/') {
        amdi_buf_append(&b, base, path ? (size_t)(path - base) : strlen(base));
        amdi_buf_puts(&b, ref);
    } else {
        size_t keep = strlen(base);
        const char *q = strpbrk(host, "?#");
        if (q)
            keep = (size_t)(q - base);
        if (path && path < base + keep) {
            const char *last = base + keep;
            while (last > path && last[-1] != '/')
                last--;
            amdi_buf_append(&b, base, (size_t)(last - base));
        } else {
            amdi_buf_append(&b, base, keep);
            amdi_buf_putc(&b, '/');
        }
        amdi_buf_puts(&b, ref);
    }
    return amdi_buf_take(&b);
}

/* ------------------------------------------------------------------ store + events */

static void push_op(amdi_engine *e, wop *o)
{
    pthread_mutex_lock(&e->wq_mu);
    if (e->wq_tail)
        e->wq_tail->next = o;
    else
        e->wq_head = o;
    e->wq_tail = o;
    pthread_cond_signal(&e->wq_cv);
    pthread_mutex_unlock(&e->wq_mu);
}

static wop *new_op(amdi_engine *e, int kind)
{
    wop *o = calloc(1, sizeof *o);
    if (!o)
        elog(e, AMD_LOG_ERROR, "out of memory: a store operation was lost");
    else
        o->kind = kind;
    return o;
}

static void persist(amdi_engine *e, live *c)
{
    c->rec.date_updated = e->now;
    wop *o = new_op(e, W_CALL);
    if (!o)
        return;
    o->u.call = c->rec;
    push_op(e, o);
}

static void store_event(amdi_engine *e, const char *sid, int64_t t, char *req, char *resp)
{
    wop *o = new_op(e, W_EVENT);
    if (!o || !(o->s1 = strdup(sid))) {
        free(o);
        free(req);
        free(resp);
        return;
    }
    o->s2 = req;
    o->s3 = resp;
    o->v = t;
    push_op(e, o);
}

static json_t *form_to_json(const char *encoded)
{
    json_t *o = json_object();
    amdi_form f;
    if (encoded && amdi_form_parse(&f, encoded, strlen(encoded), AMDI_FORM_MAX_ITEMS) == 0) {
        for (size_t i = 0; i < f.n; i++)
            json_object_set_new(o, f.items[i].key, json_string(f.items[i].val));
        amdi_form_free(&f);
    }
    return o;
}

static void event_error(amdi_engine *e, const char *sid, int code, const char *msg)
{
    json_t *resp = json_pack("{s:i, s:s}", "error_code", code, "error", msg ? msg : "");
    store_event(e, sid, e->now, NULL, json_dumps(resp, JSON_COMPACT));
    json_decref(resp);
}

static void event_hook(amdi_engine *e, const inbox_item *it)
{
    json_t *params;
    if (it->request_body) {
        params = form_to_json(it->request_body);
    } else {
        const char *q = strchr(it->url, '?');
        params = form_to_json(q ? q + 1 : NULL);
    }
    json_t *req = json_pack("{s:s, s:s, s:o}", "method", it->method, "url", it->url, "parameters", params);
    json_t *resp = json_object();
    json_object_set_new(resp, "request_duration", json_integer(it->duration_ms));
    json_object_set_new(resp, "response_code", it->transport_ok ? json_integer(it->http_status) : json_null());
    json_object_set_new(resp, "content_type", it->content_type ? json_string(it->content_type) : json_null());
    /* keep at most 4 KiB of a response body in the Events list, and only valid UTF-8 */
    json_t *body = json_null();
    if (it->body) {
        size_t n = strlen(it->body);
        body = json_stringn(it->body, n > EVENT_BODY_MAX ? EVENT_BODY_MAX : n);
        if (!body) /* cut inside a character, or binary */
            body = json_string(n > EVENT_BODY_MAX ? "(response body not UTF-8 text or cut; first 4 KiB not shown)"
                                                 : "(response body is not UTF-8 text)");
    }
    json_object_set_new(resp, "response_body", body ? body : json_null());
    json_object_set_new(resp, "error", it->transport_ok ? json_null() : json_string(it->error));
    store_event(e, it->tag.call_sid, it->tag.t_ms, json_dumps(req, JSON_COMPACT), json_dumps(resp, JSON_COMPACT));
    json_decref(req);
    json_decref(resp);
}

/* ------------------------------------------------------------------ webhooks */

static void base_params(amdi_engine *e, live *c, amdi_form *f, const char *call_status)
{
    (void)e;
    amdi_form_add(f, "CallSid", c->rec.sid);
    amdi_form_add(f, "AccountSid", c->rec.account_sid);
    amdi_form_add(f, "From", c->rec.from);
    amdi_form_add(f, "To", c->rec.to);
    amdi_form_add(f, "Caller", c->rec.from);
    amdi_form_add(f, "Called", c->rec.to);
    amdi_form_add(f, "CallStatus", call_status);
    amdi_form_add(f, "ApiVersion", "2010-04-01");
    amdi_form_add(f, "Direction", "outbound-api");
    if (c->rec.parent_call_sid[0])
        amdi_form_add(f, "ParentCallSid", c->rec.parent_call_sid);
}

static void hook_free(out_hook *o)
{
    free(o->url);
    free(o->method);
    amdi_form_free(&o->form);
    free(o);
}

/* Queue a webhook. It leaves only after the current transaction commits (tx_end), so every
 * transition is on disk before any request about it is sent. */
static void send_hook(amdi_engine *e, live *c, int kind, const char *url, const char *method, const amdi_form *f)
{
    out_hook *o = calloc(1, sizeof *o);
    if (!o)
        return;
    snprintf(o->tag.call_sid, sizeof o->tag.call_sid, "%s", c->rec.sid);
    snprintf(o->tag.account, sizeof o->tag.account, "%s", c->rec.account_sid);
    o->tag.kind = kind;
    /* lanes: TwiML fetches (and their fallback), status / recording callbacks, the AMD result */
    o->tag.lane = kind == K_FALLBACK ? K_URL : kind;
    o->tag.gen = c->gen;
    o->tag.t_ms = e->now;
    o->url = xstrdup(url);
    o->method = xstrdup(method);
    snprintf(o->token, sizeof o->token, "%s", c->a->token);
    amdi_form_init(&o->form);
    for (size_t i = 0; f && i < f->n; i++)
        amdi_form_add(&o->form, f->items[i].key, f->items[i].val);
    if (!o->url) {
        hook_free(o);
        return;
    }
    if (e->out_tail)
        e->out_tail->next = o;
    else
        e->out_head = o;
    e->out_tail = o;
}

static void tx_begin(amdi_engine *e)
{
    e->in_tx = 1; /* the writer opens the transaction when the first operation arrives */
}

/* End a batch: the writer commits everything queued so far, then sends its webhooks.
 * With @p done, *done becomes 1 once that commit happened (see wait_committed). */
static void tx_end_flag(amdi_engine *e, int *done)
{
    wop *o = new_op(e, W_COMMIT);
    e->in_tx = 0;
    if (!o) {
        if (done)
            *done = 1;
        return;
    }
    o->hooks = e->out_head;
    o->done = done;
    e->out_head = e->out_tail = NULL;
    push_op(e, o);
}

static void tx_end(amdi_engine *e)
{
    tx_end_flag(e, NULL);
}

/* ------------------------------------------------------------------ store writer
 *
 * Operations leave the queue for the writer's held list and are removed from it only once
 * committed. When the store refuses a transaction (a full disk, an I/O error) nothing is lost:
 * the transaction is rolled back, everything stays held in order, and the same changes are
 * tried again (backoff RETRY_FIRST_MS doubling to RETRY_MAX_MS) together with whatever
 * arrived meanwhile, until they commit. Each change carries the engine time of its event, so
 * what is finally stored says when things happened, not when the disk had room again.
 * Webhooks about held changes wait with them (nothing is announced before it is stored).
 * While the store fails, new calls are refused (amdi_engine_store_failing) and the API reads
 * held changes over the stored rows (amdi_engine_call_view), so it agrees with memory. */
#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 2000
#define STOP_GRACE_MS 10000 /* at shutdown, how long a failing store gets before held changes are lost */

/* Wait until the batch of @p done committed, or the store is failing (the batch then stays held
 * and commits later: the flag is forgotten, since the caller's frame will be gone). */
static void wait_committed(amdi_engine *e, int *done)
{
    pthread_mutex_lock(&e->wq_mu);
    while (!*done && e->writer_running && !e->store_failing)
        pthread_cond_wait(&e->wq_done_cv, &e->wq_mu);
    if (!*done) {
        for (wop *o = e->held_head; o; o = o->next)
            if (o->done == done)
                o->done = NULL;
        for (wop *o = e->wq_head; o; o = o->next)
            if (o->done == done)
                o->done = NULL;
    }
    pthread_mutex_unlock(&e->wq_mu);
}

static void op_free(wop *o)
{
    free(o->s1);
    free(o->s2);
    free(o->s3);
    free(o);
}

static void send_hooks(amdi_engine *e, out_hook *o)
{
    while (o) {
        out_hook *n = o->next;
        if (e->hooks) {
            int rc = amdi_hooks_send(e->hooks, &o->tag, o->url, o->method, &o->form, o->token);
            if (rc)
                elog(e, AMD_LOG_WARN, "call %s: webhook to %s not queued: %s", o->tag.call_sid, o->url,
                     amd_strerror(rc));
        }
        hook_free(o);
        o = n;
    }
}

/* Record a change of the store's health; the log says why once per change, not per call. */
static void store_health(amdi_engine *e, int failing, const char *why, size_t n)
{
    pthread_mutex_lock(&e->wq_mu);
    int was = e->store_failing;
    double secs = 0;
    if (failing && !was) {
        e->store_failing = 1;
        e->fail_since_us = mono_us();
        snprintf(e->store_err, sizeof e->store_err, "%s", why ? why : "unknown error");
    } else if (!failing && was) {
        e->store_failing = 0;
        secs = (double)(mono_us() - e->fail_since_us) / 1e6;
    }
    pthread_cond_broadcast(&e->wq_done_cv); /* waiters stop waiting for a failing store */
    pthread_mutex_unlock(&e->wq_mu);
    if (failing && !was)
        elog(e, AMD_LOG_ERROR,
             "store: cannot write the database (%s); holding %zu change(s) in memory and retrying until they"
             " commit; new calls get 503 until then",
             why ? why : "unknown error", n);
    else if (!failing && was)
        elog(e, AMD_LOG_WARN, "store: database writable again after %.1f s; %zu held change(s) committed in order",
             secs, n);
}

int amdi_engine_store_failing(amdi_engine *e, char *why, size_t n)
{
    pthread_mutex_lock(&e->wq_mu);
    int f = e->store_failing;
    if (f && why)
        snprintf(why, n, "%s", e->store_err);
    pthread_mutex_unlock(&e->wq_mu);
    return f;
}

void amdi_engine_store_error(amdi_engine *e, const char *why)
{
    pthread_mutex_lock(&e->wq_mu);
    size_t n = e->held_n;
    pthread_mutex_unlock(&e->wq_mu);
    store_health(e, 1, why, n);
}

int amdi_engine_call_view(amdi_engine *e, amdi_call_rec *r)
{
    const wop *last = NULL;
    pthread_mutex_lock(&e->wq_mu);
    for (const wop *o = e->held_head; o; o = o->next)
        if (o->kind == W_CALL && !strcmp(o->u.call.sid, r->sid))
            last = o;
    for (const wop *o = e->wq_head; o; o = o->next)
        if (o->kind == W_CALL && !strcmp(o->u.call.sid, r->sid))
            last = o;
    if (last) {
        int64_t seq = r->seq;
        *r = last->u.call;
        r->seq = seq;
    }
    pthread_mutex_unlock(&e->wq_mu);
    return last != NULL;
}

int amdi_engine_recording_view(amdi_engine *e, amdi_recording_rec *r)
{
    const wop *last = NULL;
    pthread_mutex_lock(&e->wq_mu);
    for (const wop *o = e->held_head; o; o = o->next)
        if (o->kind == W_REC && !strcmp(o->u.recording.sid, r->sid))
            last = o;
    for (const wop *o = e->wq_head; o; o = o->next)
        if (o->kind == W_REC && !strcmp(o->u.recording.sid, r->sid))
            last = o;
    if (last)
        *r = last->u.recording;
    pthread_mutex_unlock(&e->wq_mu);
    return last != NULL;
}

/* A batch end that carries nothing (no webhooks, nobody waiting). */
static int bare_commit(const wop *o)
{
    return o && o->kind == W_COMMIT && !o->hooks && !o->done;
}

/* Drop held metadata of @p key (a newer value is coming), and a bare batch end that only
 * closed it. wq_mu held. */
static void drop_held_meta(amdi_engine *e, const char *key)
{
    for (wop **pp = &e->held_head, *prev = NULL; *pp;) {
        wop *h = *pp;
        if (h->kind != W_META || strcmp(h->s1, key)) {
            prev = h;
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        e->held_n--;
        op_free(h);
        if (bare_commit(*pp) && (!prev || prev->kind == W_COMMIT)) {
            wop *c = *pp;
            *pp = c->next;
            op_free(c);
        }
        if (!*pp)
            e->held_tail = prev;
    }
}

/* Move the queue to the held list (wq_mu held). Held changes commit together, so a long
 * outage must not pile up what carries nothing: a newer metadata value (the heartbeat)
 * replaces the held one, and a bare batch end right after another batch end is dropped. */
static void take_queue(amdi_engine *e)
{
    wop *o = e->wq_head;
    e->wq_head = e->wq_tail = NULL;
    while (o) {
        wop *n = o->next;
        o->next = NULL;
        if (o->kind == W_META)
            drop_held_meta(e, o->s1);
        if (bare_commit(o) && e->held_tail && e->held_tail->kind == W_COMMIT) {
            op_free(o);
            o = n;
            continue;
        }
        if (o->kind != W_COMMIT)
            e->held_n++;
        if (e->held_tail)
            e->held_tail->next = o;
        else
            e->held_head = o;
        e->held_tail = o;
        o = n;
    }
}

/* Apply the held operations up to @p last in one transaction. 1 when it committed, 0 when
 * there was nothing to write, AMD_EIO when the store refused (rolled back). */
static int apply_held(amdi_engine *e, wop *last)
{
    amdi_store *st = e->cfg.store;
    int any = 0;
    for (wop *o = e->held_head; o && !any; o = o == last ? NULL : o->next)
        any = o->kind != W_COMMIT;
    if (!any)
        return 0;
    if (amdi_store_begin(st))
        return AMD_EIO;
    int rc = 0;
    for (wop *o = e->held_head; o && !rc; o = o == last ? NULL : o->next) {
        switch (o->kind) {
        case W_CALL:
            rc = amdi_store_call_update(st, &o->u.call);
            break;
        case W_EVENT:
            rc = amdi_store_event_add(st, o->s1, o->v, o->s2, o->s3);
            break;
        case W_REC:
            rc = amdi_store_recording_put(st, &o->u.recording, o->s1);
            break;
        case W_META:
            rc = amdi_store_meta_set(st, o->s1, o->v);
            break;
        }
    }
    if (rc) { /* stop at the first refusal: SQLite may have rolled back on its own already */
        amdi_store_rollback(st);
        return AMD_EIO;
    }
    int64_t t0 = mono_us();
    rc = amdi_store_commit(st);
    int64_t dt = mono_us() - t0;
    if (dt > atomic_load(&e->commit_max_atomic))
        atomic_store(&e->commit_max_atomic, dt);
    return rc ? rc : 1;
}

/* Commit every complete batch held (with @p all, everything held), in order, then release
 * their webhooks. 0 when done (or nothing to do); AMD_EIO when the store refused (all stays). */
static int writer_flush(amdi_engine *e, int all)
{
    wop *last = NULL; /* only this thread changes the held list, so it reads it unlocked */
    for (wop *o = e->held_head; o; o = o->next)
        if (o->kind == W_COMMIT || (all && !o->next))
            last = o;
    if (!last)
        return 0;
    int wrote = apply_held(e, last);
    if (wrote < 0) {
        char why[200];
        amdi_store_last_error(e->cfg.store, why, sizeof why);
        amdi_engine_store_error(e, why);
        return AMD_EIO;
    }
    size_t n = 0;
    pthread_mutex_lock(&e->wq_mu);
    wop *head = e->held_head;
    e->held_head = last->next;
    if (!e->held_head)
        e->held_tail = NULL;
    last->next = NULL;
    for (wop *o = head; o; o = o->next)
        n += o->kind != W_COMMIT;
    e->held_n -= n;
    pthread_mutex_unlock(&e->wq_mu);
    if (wrote) /* only a real commit shows the store writable again */
        store_health(e, 0, NULL, n);
    for (wop *o = head; o; o = o->next)
        if (o->kind == W_COMMIT) {
            send_hooks(e, o->hooks);
            o->hooks = NULL;
        }
    /* A batch counts as committed for wait_committed only once its webhooks are queued with the
     * HTTP client: a clean stop waits for the commit, then for the pending webhooks to go out. */
    pthread_mutex_lock(&e->wq_mu);
    for (wop *o = head; o; o = o->next)
        if (o->kind == W_COMMIT && o->done)
            *o->done = 1;
    pthread_cond_broadcast(&e->wq_done_cv);
    pthread_mutex_unlock(&e->wq_mu);
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
static void writer_drain(amdi_engine *e)
{
    int64_t deadline = mono_us() + (int64_t)STOP_GRACE_MS * 1000;
    int ms = RETRY_FIRST_MS;
    while (writer_flush(e, 1)) {
        if (mono_us() >= deadline)
            break;
        sleep_ms(ms);
        ms = ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : ms * 2;
    }
    pthread_mutex_lock(&e->wq_mu);
    wop *head = e->held_head;
    size_t n = e->held_n;
    e->held_head = e->held_tail = NULL;
    e->held_n = 0;
    for (wop *o = head; o; o = o->next)
        if (o->kind == W_COMMIT && o->done)
            *o->done = 1;
    pthread_cond_broadcast(&e->wq_done_cv);
    pthread_mutex_unlock(&e->wq_mu);
    size_t hooks = 0;
    for (wop *o = head, *nx; o; o = nx) {
        nx = o->next;
        for (out_hook *h = o->hooks, *hn; h; h = hn) {
            hn = h->next;
            hook_free(h);
            hooks++;
        }
        op_free(o);
    }
    if (head) {
        char why[200];
        amdi_store_last_error(e->cfg.store, why, sizeof why);
        elog(e, AMD_LOG_ERROR,
             "store: %zu change(s) and %zu webhook(s) lost at shutdown: the database still cannot be written (%s);"
             " the next start closes their calls out from the last stored heartbeat",
             n, hooks, why);
    }
}

static void *writer_run(void *arg)
{
    amdi_engine *e = arg;
    int backoff = 0;
    for (;;) {
        pthread_mutex_lock(&e->wq_mu);
        if (backoff) { /* a refused store: wait out the backoff (new changes join the held ones) */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += backoff / 1000;
            ts.tv_nsec += (long)(backoff % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            while (!e->wq_stop && pthread_cond_timedwait(&e->wq_cv, &e->wq_mu, &ts) == 0)
                ;
        } else {
            while (!e->wq_head && !e->wq_stop)
                pthread_cond_wait(&e->wq_cv, &e->wq_mu);
        }
        take_queue(e);
        int stop = e->wq_stop;
        pthread_mutex_unlock(&e->wq_mu);
        if (stop) {
            writer_drain(e);
            return NULL;
        }
        if (writer_flush(e, 0))
            backoff = backoff ? (backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2) : RETRY_FIRST_MS;
        else
            backoff = 0;
    }
}

static void recording_url(amdi_engine *e, const live *c, char *out, size_t n)
{
    snprintf(out, n, "%s/2010-04-01/Accounts/%s/Recordings/%s", e->public_url ? e->public_url : "",
             c->rec.account_sid, c->rec_sid);
}

static void recording_row(amdi_engine *e, live *c, const char *status, int64_t dur, int error_code)
{
    amdi_recording_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.sid, sizeof r.sid, "%s", c->rec_sid);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", c->rec.account_sid);
    snprintf(r.call_sid, sizeof r.call_sid, "%s", c->rec.sid);
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(r.track, sizeof r.track, "%s", c->p.recording_track);
    r.channels = !strcmp(c->p.recording_channels, "dual") ? 2 : 1;
    r.date_created = c->rec_start;
    r.date_updated = e->now;
    r.start_time = c->rec_start;
    r.duration_s = dur;
    r.error_code = error_code;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wav", e->recordings_dir ? e->recordings_dir : ".", c->rec_sid);
    wop *o = new_op(e, W_REC);
    if (!o || !(o->s1 = strdup(path))) {
        free(o);
        return;
    }
    o->u.recording = r;
    push_op(e, o);
}

/* RecordingStatusCallback for one of its events (bit 1 in-progress, 2 completed, 4 absent). */
static void recording_callback(amdi_engine *e, live *c, unsigned ev, const char *status, int64_t dur, int code);

/* Store the transition, then send the status callback for @p ev if it was asked for. */
static void transition(amdi_engine *e, live *c, unsigned ev, const char *cb_status)
{
    int send = ev && c->status_cb && (c->p.status_events & ev);
    int seq = 0;
    if (send)
        seq = c->rec.cb_seq++;
    persist(e, c);
    if (e->cfg.driver.ops->observe)
        e->cfg.driver.ops->observe(e->cfg.driver.state, &c->rec, cb_status, 0);
    if (!send)
        return;
    amdi_form f;
    amdi_form_init(&f);
    base_params(e, c, &f, cb_status);
    char ts[40], num[32];
    amdi_time_rfc2822(e->now, ts, sizeof ts);
    amdi_form_add(&f, "Timestamp", ts);
    amdi_form_add(&f, "CallbackSource", "call-progress-events");
    snprintf(num, sizeof num, "%d", seq);
    amdi_form_add(&f, "SequenceNumber", num);
    if (ev == AMDI_EV_COMPLETED) {
        snprintf(num, sizeof num, "%lld", (long long)(c->rec.duration_s > 0 ? c->rec.duration_s : 0));
        amdi_form_add(&f, "CallDuration", num);
        amdi_form_add(&f, "Duration", c->rec.duration_s > 0 ? "1" : "0");
        char sc[16];
        snprintf(sc, sizeof sc, "%d", c->sip_code);
        if (c->sip_code > 0 && strcmp(cb_status, "completed") && strcmp(cb_status, "canceled"))
            amdi_form_add(&f, "SipResponseCode", sc);
        else if (!strcmp(cb_status, "busy"))
            amdi_form_add(&f, "SipResponseCode", "486");
        else if (!strcmp(cb_status, "no-answer") || !strcmp(cb_status, "canceled"))
            amdi_form_add(&f, "SipResponseCode", "487");
        else if (!strcmp(cb_status, "failed"))
            amdi_form_add(&f, "SipResponseCode", c->rec.error_code == 0 ? "503" : "500");
        else
            amdi_form_add(&f, "SipResponseCode", "200");
    }
    if (c->rec.answered_by[0])
        amdi_form_add(&f, "AnsweredBy", c->rec.answered_by);
    if (ev == AMDI_EV_COMPLETED && c->rec_sid[0] && c->rec_duration_s >= 0 && !c->rec_failed) {
        char url[512];
        recording_url(e, c, url, sizeof url);
        amdi_form_add(&f, "RecordingUrl", url);
        amdi_form_add(&f, "RecordingSid", c->rec_sid);
        snprintf(num, sizeof num, "%lld", (long long)c->rec_duration_s);
        amdi_form_add(&f, "RecordingDuration", num);
    }
    send_hook(e, c, K_STATUS, c->status_cb, c->status_cb_method, &f);
    amdi_form_free(&f);
}

static void recording_callback(amdi_engine *e, live *c, unsigned ev, const char *status, int64_t dur, int code)
{
    if (!c->p.recording_status_callback || !(c->p.recording_events & ev))
        return;
    amdi_form f;
    amdi_form_init(&f);
    char url[512], num[32], ts[40];
    recording_url(e, c, url, sizeof url);
    amdi_form_add(&f, "AccountSid", c->rec.account_sid);
    amdi_form_add(&f, "CallSid", c->rec.sid);
    amdi_form_add(&f, "RecordingSid", c->rec_sid);
    amdi_form_add(&f, "RecordingUrl", url);
    amdi_form_add(&f, "RecordingStatus", status);
    snprintf(num, sizeof num, "%lld", (long long)(dur < 0 ? 0 : dur));
    amdi_form_add(&f, "RecordingDuration", num);
    amdi_form_add(&f, "RecordingChannels", !strcmp(c->p.recording_channels, "dual") ? "2" : "1");
    amdi_time_rfc2822(c->rec_start, ts, sizeof ts);
    amdi_form_add(&f, "RecordingStartTime", ts);
    amdi_form_add(&f, "RecordingSource", "OutboundAPI");
    amdi_form_add(&f, "RecordingTrack", c->p.recording_track);
    snprintf(num, sizeof num, "%d", code);
    amdi_form_add(&f, "ErrorCode", num);
    send_hook(e, c, K_STATUS, c->p.recording_status_callback, c->p.recording_status_callback_method, &f);
    amdi_form_free(&f);
}

/* A recording write failed: say why once (log and the call's Events); the recording stops
 * and ends `failed` with the audio written so far (see end_call). */
static void recording_failed(amdi_engine *e, live *c, const char *why)
{
    if (c->rec_failed)
        return;
    c->rec_failed = 1;
    elog(e, AMD_LOG_ERROR, "call %s: recording %s failed: %s", c->rec.sid, c->rec_sid, why);
    char msg[260];
    snprintf(msg, sizeof msg, "recording %s could not be stored whole: %s", c->rec_sid, why);
    event_error(e, c->rec.sid, REC_ERR_NOT_STORED, msg);
}

/* ------------------------------------------------------------------ call end */

static void on_amd_decision(amdi_engine *e, live *c, int ending);

static void detach(amdi_engine *e, live *c)
{
    if (c->st >= ST_INITIATED && c->st != ST_DONE) {
        if (c->prev)
            c->prev->next = c->next;
        else
            e->active = c->next;
        if (c->next)
            c->next->prev = c->prev;
        e->nactive--;
    }
    hash_remove(e, c);
    e->nlive--;
}

static void remove_from_queue(amdi_engine *e, live *c)
{
    acct *a = c->a;
    live **pp = &a->qhead, *prev = NULL;
    while (*pp && *pp != c) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (!*pp)
        return;
    *pp = c->qnext;
    if (a->qtail == c)
        a->qtail = prev;
    a->qlen--;
    e->nqueued--;
}

/* Final state: release the leg, settle AMD, store, send `completed`, free. */
static void end_call(amdi_engine *e, live *c, const char *status)
{
    if (c->st == ST_DONE)
        return;
    if (c->work_idx >= 0) { /* leaving mid-tick: feed what it heard, then forget the slot */
        e->work[c->work_idx] = NULL;
        c->work_idx = -1;
        if (c->det && c->pend_n)
            amd_detector_process_float(c->det, c->pend, c->pend_n);
        c->pend_n = 0;
    }
    if (c->det && c->st == ST_ANSWERED) {
        amd_detector_finish(c->det);
        on_amd_decision(e, c, 1);
    }
    /* the leg is released by reap(): the driver may be inside advance() for it right now */
    if (c->st == ST_QUEUED)
        remove_from_queue(e, c);
    detach(e, c);
    c->st = ST_DONE;
    snprintf(c->rec.status, sizeof c->rec.status, "%s", status);
    c->rec.end_time = e->now;
    int recorded = 0;
    if (c->recw) {
        int rate = amdi_recording_rate(c->recw);
        int64_t frames = 0;
        char err[200] = "";
        int rrc = amdi_recording_close(c->recw, &frames, err, sizeof err);
        c->recw = NULL;
        /* the duration is what the file holds: on a failure, only the audio written before it */
        c->rec_duration_s = rate > 0 ? (frames + rate / 2) / rate : 0;
        if (rrc)
            recording_failed(e, c, err);
        recording_row(e, c, c->rec_failed ? "failed" : "completed", c->rec_duration_s,
                      c->rec_failed ? REC_ERR_NOT_STORED : 0);
        recorded = 1;
    }
    if (c->rec.answer_time >= 0) {
        /* whole seconds, rounded to nearest (the last 20 ms frame must not add a second) */
        c->rec.duration_s = (e->now - c->rec.answer_time + 500) / 1000;
    } else {
        c->rec.duration_s = -1; /* empty for busy / failed / unanswered (twilio-calls.md §5) */
    }
    transition(e, c, AMDI_EV_COMPLETED, status);
    if (recorded)
        recording_callback(e, c, 2, c->rec_failed ? "failed" : "completed", c->rec_duration_s,
                           c->rec_failed ? REC_ERR_NOT_STORED : 0);
    else if (c->p.record && !c->rec_failed)
        recording_callback(e, c, 4, "absent", 0, 0); /* never answered: nothing was recorded */
    elog(e, AMD_LOG_INFO, "call %s: %s", c->rec.sid, status);
    c->dnext = e->dead; /* freed by reap(), once every callback of this tick has returned */
    e->dead = c;
}

/* The single point where calls are freed (see the ownership rule at the top). */
static void reap(amdi_engine *e)
{
    live *c = e->dead;
    e->dead = NULL;
    while (c) {
        live *n = c->dnext;
        if (c->leg) /* hang up / cancel from our side */
            e->cfg.driver.ops->release(e->cfg.driver.state, c->leg);
        c->leg = NULL;
        live_free(c);
        c = n;
    }
}

static void fail_with(amdi_engine *e, live *c, int code, const char *msg)
{
    c->rec.error_code = code;
    snprintf(c->rec.error_message, sizeof c->rec.error_message, "%s", msg);
    event_error(e, c->rec.sid, code, msg);
}


/* ------------------------------------------------------------------ TwiML */

static void fetch_url(amdi_engine *e, live *c, int kind, const char *url, const char *method, const amdi_form *extra)
{
    if (++c->fetches > MAX_TWIML_FETCHES) {
        char msg[160];
        snprintf(msg, sizeof msg, "more than %d TwiML documents fetched on this call (a <Redirect> loop?); call ended",
                 MAX_TWIML_FETCHES);
        fail_with(e, c, ERR_TOO_MANY_REDIRECTS, msg);
        end_call(e, c, "completed");
        return;
    }
    amdi_form f;
    amdi_form_init(&f);
    base_params(e, c, &f, "in-progress");
    for (size_t i = 0; extra && i < extra->n; i++)
        amdi_form_add(&f, extra->items[i].key, extra->items[i].val);
    c->gen++;
    c->fetching = 1;
    set_str(&c->doc_url, url);
    send_hook(e, c, kind, url, method, &f);
    amdi_form_free(&f);
}

/* TwiML failed (fetch error or invalid document): Fallback once, else end with the error. */
static void instructions_failed(amdi_engine *e, live *c, int kind, int code, const char *msg, const char *failed_url)
{
    fail_with(e, c, code, msg);
    if (kind != K_FALLBACK && c->fallback_url) {
        amdi_form ex;
        amdi_form_init(&ex);
        char num[16];
        snprintf(num, sizeof num, "%d", code);
        amdi_form_add(&ex, "ErrorCode", num);
        if (failed_url)
            amdi_form_add(&ex, "ErrorUrl", failed_url);
        fetch_url(e, c, K_FALLBACK, c->fallback_url, c->fallback_method, &ex);
        amdi_form_free(&ex);
        return;
    }
    end_call(e, c, "completed");
}

static void load_doc(amdi_engine *e, live *c, int kind, const char *xml, size_t len, const char *src_url)
{
    amdi_twiml *t = NULL;
    char err[200];
    int rc = amdi_twiml_parse(xml, len, &t, err, sizeof err);
    if (rc) {
        int code = rc == AMD_EINVAL ? AMDI_ERR_SCHEMA : AMDI_ERR_DOCUMENT_PARSE;
        char msg[260];
        snprintf(msg, sizeof msg, "invalid TwiML: %s", err);
        instructions_failed(e, c, kind, code, msg, src_url);
        return;
    }
    amdi_twiml_free(c->doc);
    c->doc = t;
    c->pc = 0;
    c->in_verb = 0;
}

/* Start (or restart, on update) the call's instructions: inline Twiml or the Url. */
static void start_instructions(amdi_engine *e, live *c, const amdi_form *extra)
{
    c->started = 1;
    c->gen++; /* any response still in flight is now stale */
    c->fetching = 0;
    amdi_twiml_free(c->doc);
    c->doc = NULL;
    if (c->twiml) {
        load_doc(e, c, K_URL, c->twiml, strlen(c->twiml), NULL);
        return;
    }
    fetch_url(e, c, K_URL, c->url, c->method, extra);
}

static void run_twiml(amdi_engine *e, live *c)
{
    for (int guard = 0; guard < AMDI_TWIML_MAX_VERBS + 2; guard++) {
        if (c->st != ST_ANSWERED || !c->doc || c->fetching)
            return;
        if (c->in_verb) {
            if (e->now < c->verb_until)
                return;
            c->in_verb = 0;
            c->pc++;
            continue;
        }
        if (c->pc >= c->doc->n) { /* instructions ran out: the call completes */
            end_call(e, c, "completed");
            return;
        }
        const amdi_verb *v = &c->doc->v[c->pc];
        switch (v->kind) {
        case AMDI_TW_SAY:
        case AMDI_TW_PLAY:
        case AMDI_TW_PAUSE:
            c->in_verb = 1;
            c->verb_until = e->now + amdi_verb_duration_ms(v);
            break;
        case AMDI_TW_HANGUP:
        case AMDI_TW_REJECT:
            end_call(e, c, "completed");
            return;
        case AMDI_TW_REDIRECT: {
            char *u = resolve_url(c->doc_url ? c->doc_url : c->url, v->text);
            char *m = xstrdup(v->method);
            if (!u || !m) {
                free(u);
                free(m);
                end_call(e, c, "failed");
                return;
            }
            amdi_twiml_free(c->doc);
            c->doc = NULL;
            fetch_url(e, c, K_URL, u, m, NULL);
            free(u);
            free(m);
            return;
        }
        case AMDI_TW_SKIPPED: {
            char msg[80];
            snprintf(msg, sizeof msg, "<%s> is not supported by this server; skipped", v->name);
            event_error(e, c->rec.sid, AMDI_ERR_SCHEMA, msg);
            c->pc++;
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------ AMD */

static void on_amd_decision(amdi_engine *e, live *c, int ending)
{
    if (!c->det)
        return;
    amd_result r;
    if (amd_detector_result(c->det, &r) != 1)
        return;
    amd_detector_destroy(c->det);
    c->det = NULL;
    const char *ab = amd_answered_by_name(r.answered_by);
    snprintf(c->rec.answered_by, sizeof c->rec.answered_by, "%s", ab && *ab ? ab : "unknown");
    c->rec.amd_duration_ms = r.decision_ms < 0 ? 0 : r.decision_ms;
    persist(e, c); /* stored before anyone hears about it */
    if (e->cfg.driver.ops->observe)
        e->cfg.driver.ops->observe(e->cfg.driver.state, &c->rec, c->rec.status, 1);
    elog(e, AMD_LOG_INFO, "call %s: AnsweredBy=%s after %lld ms (%s)", c->rec.sid, c->rec.answered_by,
         (long long)c->rec.amd_duration_ms, amd_cause_name(r.cause));
    char dur[32];
    snprintf(dur, sizeof dur, "%lld", (long long)c->rec.amd_duration_ms);
    if (c->p.async_amd) {
        if (!c->p.async_amd_status_callback) {
            event_error(e, c->rec.sid, 21262, "No AMD status callback URL provided");
            return;
        }
        char *u = resolve_url(c->url, c->p.async_amd_status_callback);
        amdi_form f;
        amdi_form_init(&f);
        amdi_form_add(&f, "CallSid", c->rec.sid);
        amdi_form_add(&f, "AccountSid", c->rec.account_sid);
        amdi_form_add(&f, "AnsweredBy", c->rec.answered_by);
        amdi_form_add(&f, "MachineDetectionDuration", dur);
        if (u && (!strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8)))
            send_hook(e, c, K_AMD, u, c->p.async_amd_status_callback_method, &f);
        else
            event_error(e, c->rec.sid, 21205, "AsyncAmdStatusCallback cannot be resolved to an absolute URL");
        amdi_form_free(&f);
        free(u);
    } else if (c->amd_wait) {
        c->amd_wait = 0;
        if (ending)
            return; /* the far end is gone: nothing left to instruct */
        amdi_form ex;
        amdi_form_init(&ex);
        amdi_form_add(&ex, "AnsweredBy", c->rec.answered_by);
        amdi_form_add(&ex, "MachineDetectionDuration", dur);
        start_instructions(e, c, &ex);
        amdi_form_free(&ex);
    }
}

/* ------------------------------------------------------------------ driver sink */

static void sink_ringing(void *ctx);
static void sink_answered(void *ctx, int rate);
static void sink_refused(void *ctx, const char *status, int sip);
static void sink_audio(void *ctx, const float *pcm, size_t n);
static void sink_lost(void *ctx, size_t n);
static void sink_hangup(void *ctx);

typedef struct sink_ctx {
    amdi_engine *e;
    live *c;
    int gone; /* the call ended inside the callback: stop touching it */
} sink_ctx;

static const amdi_leg_sink k_sink = {sink_ringing, sink_answered, sink_refused, sink_audio, sink_hangup,
                                     sink_lost};

static void sink_ringing(void *ctx)
{
    sink_ctx *s = ctx;
    live *c = s->c;
    if (c->st == ST_DONE)
        return;
    c->st = ST_RINGING;
    c->t_ring = s->e->now;
    snprintf(c->rec.status, sizeof c->rec.status, "ringing");
    transition(s->e, c, AMDI_EV_RINGING, "ringing");
}

static void sink_answered(void *ctx, int rate)
{
    sink_ctx *s = ctx;
    amdi_engine *e = s->e;
    live *c = s->c;
    if (c->st == ST_DONE)
        return;
    c->st = ST_ANSWERED;
    c->t_answer = e->now;
    c->rec.answer_time = e->now;
    snprintf(c->rec.status, sizeof c->rec.status, "in-progress");
    if (c->p.machine_detection) {
        amd_config cfg = c->p.amd;
        cfg.sample_rate = rate;
        char err[200] = "";
        int rc = amd_detector_create(&cfg, &c->det, err, sizeof err);
        if (rc) {
            /* Cannot detect: say so on the call rather than guess. */
            elog(e, AMD_LOG_ERROR, "call %s: detector not created: %s", c->rec.sid, err[0] ? err : amd_strerror(rc));
            snprintf(c->rec.answered_by, sizeof c->rec.answered_by, "unknown");
            event_error(e, c->rec.sid, 21263, err[0] ? err : amd_strerror(rc));
            c->det = NULL;
        }
    }
    transition(e, c, AMDI_EV_ANSWERED, "in-progress");
    if (c->p.send_digits && *c->p.send_digits && c->leg && e->cfg.driver.ops->send_digits)
        e->cfg.driver.ops->send_digits(e->cfg.driver.state, c->leg, c->p.send_digits);
    if (c->p.record) {
        char err[300] = "";
        int rc = AMD_ESTATE;
        if (e->recordings_dir && !amdi_sid_new("RE", c->rec_sid))
            rc = amdi_recording_open(e->recordings_dir, c->rec_sid, rate, !strcmp(c->p.recording_channels, "dual"),
                                     c->p.recording_track, &c->recw, err, sizeof err);
        if (rc && c->rec_sid[0] && e->recordings_dir) {
            /* the file could not be created (a full disk, permissions): a failed recording of
             * nothing, stored and announced as such; no file is left behind */
            c->rec_start = e->now;
            c->rec_duration_s = 0;
            recording_failed(e, c, err[0] ? err : amd_strerror(rc));
            recording_row(e, c, "failed", 0, REC_ERR_NOT_STORED);
            recording_callback(e, c, 2, "failed", 0, REC_ERR_NOT_STORED);
        } else if (rc) {
            elog(e, AMD_LOG_ERROR, "call %s: cannot record: %s", c->rec.sid, err[0] ? err : "no recordings folder");
            event_error(e, c->rec.sid, REC_ERR_NOT_STORED, err[0] ? err : "recording unavailable: no recordings folder");
            c->rec_sid[0] = 0;
        } else {
            c->rec_start = e->now;
            c->rec_duration_s = -1;
            recording_row(e, c, "in-progress", -1, 0);
            recording_callback(e, c, 1, "in-progress", 0, 0);
        }
    }
    if (c->det && !c->p.async_amd) {
        c->amd_wait = 1; /* sync AMD: the callee hears silence until the decision */
        return;
    }
    if (!c->det && c->p.machine_detection && !c->p.async_amd) {
        amdi_form ex;
        amdi_form_init(&ex);
        amdi_form_add(&ex, "AnsweredBy", "unknown");
        amdi_form_add(&ex, "MachineDetectionDuration", "0");
        start_instructions(e, c, &ex);
        amdi_form_free(&ex);
        return;
    }
    start_instructions(e, c, NULL);
}

static void sink_refused(void *ctx, const char *status, int sip)
{
    sink_ctx *s = ctx;
    if (s->c->st == ST_DONE)
        return;
    s->c->sip_code = sip;
    if (!strcmp(status, "failed") && sip == 404)
        fail_with(s->e, s->c, 21214, "'To' number cannot be routed by the dial plan");
    end_call(s->e, s->c, status);
    s->gone = 1;
}

static void detector_result(amdi_engine *e, live *c, int rc)
{
    if (rc == 1) {
        on_amd_decision(e, c, 0);
    } else if (rc < 0) {
        elog(e, AMD_LOG_ERROR, "call %s: detector rejected audio: %s", c->rec.sid, amd_strerror(rc));
        amd_detector_finish(c->det);
        on_amd_decision(e, c, 0);
    }
}

static void sink_audio(void *ctx, const float *pcm, size_t n)
{
    sink_ctx *s = ctx;
    amdi_engine *e = s->e;
    live *c = s->c;
    if (c->st == ST_DONE) /* ended earlier in this tick (e.g. by its own AMD decision) */
        return;
    if (c->recw && amdi_recording_write(c->recw, pcm, NULL, n) == AMD_EIO)
        recording_failed(e, c, amdi_recording_error(c->recw));
    if (!c->det)
        return;
    if (c->pend_n + n > c->pend_cap) {
        /* catching up several frames at once: feed what is queued now, in order */
        size_t cap = c->pend_cap ? c->pend_cap : 8 * n;
        while (cap < n)
            cap *= 2;
        if (!c->pend) {
            c->pend = malloc(cap * sizeof *c->pend);
            c->pend_cap = c->pend ? cap : 0;
        }
        if (c->pend_n) {
            int rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
            c->pend_n = 0;
            detector_result(e, c, rc);
            if (!c->det || c->st == ST_DONE)
                return;
        }
        if (n > c->pend_cap) {
            detector_result(e, c, amd_detector_process_float(c->det, pcm, n));
            return;
        }
    }
    memcpy(c->pend + c->pend_n, pcm, n * sizeof *pcm);
    c->pend_n += n;
    if (c->work_idx < 0) {
        if (e->nwork == e->cap_work) {
            size_t cap = e->cap_work ? e->cap_work * 2 : 1024;
            live **w = realloc(e->work, cap * sizeof *w);
            if (!w) { /* no room to defer: run it now */
                int rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
                c->pend_n = 0;
                detector_result(e, c, rc);
                return;
            }
            e->work = w;
            e->cap_work = cap;
        }
        c->work_idx = (long)e->nwork;
        e->work[e->nwork++] = c;
    }
}

/* Far-end audio lost in transport: the recording keeps its timing with silence, the detector
 * is told of the gap (after the audio queued before it, in order). */
static void sink_lost(void *ctx, size_t n)
{
    sink_ctx *s = ctx;
    amdi_engine *e = s->e;
    live *c = s->c;
    static const float zeros[960];
    for (size_t off = 0; c->recw && off < n; off += 960)
        amdi_recording_write(c->recw, zeros, NULL, n - off < 960 ? n - off : 960);
    if (!c->det)
        return;
    if (c->pend_n) {
        int rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
        c->pend_n = 0;
        detector_result(e, c, rc);
        if (!c->det)
            return;
    }
    detector_result(e, c, amd_detector_process_lost(c->det, n));
}

/* The detector pass of a tick: every call's queued audio, on all media threads at once.
 * Detectors are independent (amd.h), and each is touched by exactly one thread here. */
static void work_items(amdi_engine *e)
{
    size_t i;
    while ((i = atomic_fetch_add(&e->wnext, 1)) < e->nwork) {
        live *c = e->work[i];
        if (c && c->det && c->pend_n) {
            c->det_rc = amd_detector_process_float(c->det, c->pend, c->pend_n);
            c->pend_n = 0;
        }
    }
}

static void *media_worker(void *arg)
{
    amdi_engine *e = arg;
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&e->wmu);
        while (e->wgen == seen && !e->wstop)
            pthread_cond_wait(&e->wcv, &e->wmu);
        if (e->wstop) {
            pthread_mutex_unlock(&e->wmu);
            return NULL;
        }
        seen = e->wgen;
        pthread_mutex_unlock(&e->wmu);
        work_items(e);
        pthread_mutex_lock(&e->wmu);
        e->wfinished++;
        pthread_cond_signal(&e->wdone);
        pthread_mutex_unlock(&e->wmu);
    }
}

/* Below this many calls the hand-off costs more than it saves. */
#define PARALLEL_MIN_CALLS 32

static void run_detectors(amdi_engine *e)
{
    if (!e->nwork)
        return;
    for (size_t i = 0; i < e->nwork; i++)
        if (e->work[i])
            e->work[i]->det_rc = 0;
    atomic_store(&e->wnext, 0);
    if (e->nworkers && e->nwork >= PARALLEL_MIN_CALLS) {
        pthread_mutex_lock(&e->wmu);
        e->wfinished = 0;
        e->wgen++;
        pthread_cond_broadcast(&e->wcv);
        pthread_mutex_unlock(&e->wmu);
        work_items(e);
        pthread_mutex_lock(&e->wmu);
        while (e->wfinished < e->nworkers)
            pthread_cond_wait(&e->wdone, &e->wmu);
        pthread_mutex_unlock(&e->wmu);
    } else {
        work_items(e);
    }
    /* decisions are acted on serially, in the order the audio arrived */
    for (size_t i = 0; i < e->nwork; i++) {
        live *c = e->work[i];
        if (!c)
            continue;
        c->work_idx = -1;
        if (c->det && c->st != ST_DONE)
            detector_result(e, c, c->det_rc);
    }
    e->nwork = 0;
}

static void sink_hangup(void *ctx)
{
    sink_ctx *s = ctx;
    end_call(s->e, s->c, "completed");
    s->gone = 1;
}

/* ------------------------------------------------------------------ queue and dialing */

static void activate(amdi_engine *e, live *c)
{
    c->next = e->active;
    c->prev = NULL;
    if (e->active)
        e->active->prev = c;
    e->active = c;
    e->nactive++;
}

static void dial(amdi_engine *e, live *c)
{
    c->st = ST_INITIATED;
    c->t_dial = e->now;
    c->rec.start_time = e->now;
    c->rec.queue_time_ms = e->now - c->rec.date_created > 0 ? e->now - c->rec.date_created : 0;
    activate(e, c);
    const amdi_driver_ops *ops = e->cfg.driver.ops;
    int rc = ops->dial_auth && c->p.sip_auth_username
                 ? ops->dial_auth(e->cfg.driver.state, c->rec.to, c->rec.from, c->p.sip_auth_username,
                                  c->p.sip_auth_password, e->now, &c->leg)
             : ops->dial_call ? ops->dial_call(e->cfg.driver.state, c->rec.sid, c->rec.to, c->rec.from, e->now, &c->leg)
                              : ops->dial(e->cfg.driver.state, c->rec.to, c->rec.from, e->now, &c->leg);
    transition(e, c, AMDI_EV_INITIATED, "initiated");
    if (rc) {
        fail_with(e, c, 21214, "the carrier driver could not place the call");
        end_call(e, c, "failed");
    }
}

static void service_queues(amdi_engine *e)
{
    for (size_t i = 0; i < e->naccts; i++) {
        acct *a = &e->accts[i];
        double gap = 1000.0 / (a->cps > 0 ? a->cps : 1);
        while (a->qhead && e->now >= a->next_slot) {
            live *c = a->qhead;
            a->qhead = c->qnext;
            if (!a->qhead)
                a->qtail = NULL;
            c->qnext = NULL;
            a->qlen--;
            e->nqueued--;
            /* Keep the schedule while the backlog lasts: the queue is looked at once a tick, so
             * every slot of the last tick is still due (with a gap shorter than a tick, several
             * fall in one; measuring staleness by the gap instead capped any CPS at one call
             * per 20 ms tick = 50/s). A queue idle for longer earns no burst credit. */
            double stale = gap > TICK_MS ? gap : TICK_MS;
            double base = a->next_slot >= (double)e->now - stale ? a->next_slot : (double)e->now;
            a->next_slot = base + gap;
            dial(e, c);
        }
    }
}

static void service_call(amdi_engine *e, live *c)
{
    sink_ctx s = {e, c, 0};
    if (c->leg)
        e->cfg.driver.ops->advance(e->cfg.driver.state, c->leg, e->now, &k_sink, &s);
    if (s.gone || c->st == ST_DONE) /* ended inside the driver's callbacks */
        return;
    if ((c->st == ST_INITIATED || c->st == ST_RINGING) && e->now - c->t_dial >= (int64_t)c->p.timeout_s * 1000) {
        end_call(e, c, "no-answer");
        return;
    }
    if (c->st == ST_ANSWERED) {
        if (e->now - c->t_answer >= (int64_t)c->time_limit_s * 1000) {
            end_call(e, c, "completed");
            return;
        }
        run_twiml(e, c);
    }
}

/* ------------------------------------------------------------------ inbox */

static void on_hook_done(void *user, const amdi_hook_tag *tag, const amdi_hook_result *r)
{
    amdi_engine *e = user;
    inbox_item *it = calloc(1, sizeof *it);
    if (!it)
        return;
    it->tag = *tag;
    it->transport_ok = r->transport_ok;
    it->http_status = r->http_status;
    it->body = xstrdup(r->body);
    it->content_type = xstrdup(r->content_type);
    it->method = xstrdup(r->method);
    it->url = xstrdup(r->url);
    it->request_body = xstrdup(r->request_body);
    snprintf(it->error, sizeof it->error, "%s", r->error);
    it->too_many_redirects = r->too_many_redirects;
    it->duration_ms = r->duration_ms;
    pthread_mutex_lock(&e->inbox_mu);
    if (e->inbox_tail)
        e->inbox_tail->next = it;
    else
        e->inbox_head = it;
    e->inbox_tail = it;
    pthread_mutex_unlock(&e->inbox_mu);
}

static void inbox_free(inbox_item *it)
{
    free(it->body);
    free(it->content_type);
    free(it->method);
    free(it->url);
    free(it->request_body);
    free(it);
}

static void handle_result(amdi_engine *e, inbox_item *it)
{
    if (!it->method || !it->url)
        return;
    event_hook(e, it);
    if (it->tag.kind != K_URL && it->tag.kind != K_FALLBACK)
        return;
    live *c = find_live(e, it->tag.call_sid);
    if (!c || c->st != ST_ANSWERED || it->tag.gen != c->gen || !c->fetching)
        return; /* stale: the call ended or was redirected meanwhile */
    c->fetching = 0;
    if (!it->transport_ok || it->http_status < 200 || it->http_status > 299) {
        char msg[260];
        if (!it->transport_ok)
            snprintf(msg, sizeof msg, "HTTP retrieval failure: %s", it->error);
        else
            snprintf(msg, sizeof msg, "HTTP retrieval failure: status %ld", it->http_status);
        /* Twilio: 11215 when a fetch follows too many HTTP redirects, else 11200 */
        instructions_failed(e, c, it->tag.kind, it->too_many_redirects ? ERR_TOO_MANY_REDIRECTS : 11200, msg, it->url);
        return;
    }
    load_doc(e, c, it->tag.kind, it->body ? it->body : "", it->body ? strlen(it->body) : 0, it->url);
}

static void drain_inbox(amdi_engine *e)
{
    pthread_mutex_lock(&e->inbox_mu);
    inbox_item *it = e->inbox_head;
    e->inbox_head = e->inbox_tail = NULL;
    pthread_mutex_unlock(&e->inbox_mu);
    while (it) {
        inbox_item *n = it->next;
        handle_result(e, it);
        inbox_free(it);
        it = n;
    }
}

/* ------------------------------------------------------------------ thread */

static void tick(amdi_engine *e)
{
    tx_begin(e);
    drain_inbox(e);
    service_queues(e);
    for (live *c = e->active, *n; c; c = n) {
        n = c->next;
        service_call(e, c);
    }
    run_detectors(e);
    reap(e);
    if (e->now - e->last_heartbeat >= HEARTBEAT_MS) {
        wop *o = new_op(e, W_META);
        if (o && (o->s1 = strdup("heartbeat"))) {
            o->v = e->now;
            push_op(e, o);
        } else {
            free(o);
        }
        e->last_heartbeat = e->now;
    }
    tx_end(e);
}

static void *run(void *arg)
{
    amdi_engine *e = arg;
    int64_t start_us = mono_us();
    int64_t n = 0;
    double tick_us = TICK_MS * 1000.0 / e->cfg.clock_speed;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        if (e->stop) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        /* engine time advances exactly one frame per tick, from where the clock stood at start */
        e->now = e->wall0 + (int64_t)((double)(start_us - e->mono0_us) * e->cfg.clock_speed / 1000.0) +
                 n * TICK_MS;
        int64_t due = start_us + (int64_t)(n * tick_us);
        int64_t late = mono_us() - due;
        if (late > e->max_late_us)
            e->max_late_us = late;
        if (late > TICK_MS * 1000)
            e->late_ticks++;
        int64_t lb = late < 0 ? 0 : late / 1000;
        e->late_hist[lb < AMDI_LATE_BUCKETS - 1 ? lb : AMDI_LATE_BUCKETS - 1]++;
        int64_t w0 = mono_us();
        tick(e);
        int64_t w = mono_us() - w0;
        e->work_total_us += w;
        if (w > e->work_max_us)
            e->work_max_us = w;
        e->ticks++;
        pthread_mutex_unlock(&e->mu);
        n++;
        int64_t next = start_us + (int64_t)(n * tick_us);
        int64_t wait = next - mono_us();
        if (wait > 0) {
            struct timespec ts = {wait / 1000000, (wait % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ API */

int amdi_engine_create(const amdi_engine_config *cfg, amdi_engine **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg || !cfg->store || !cfg->driver.ops || cfg->clock_speed <= 0 || cfg->clock_speed > 10000 ||
        cfg->cps <= 0) {
        snprintf(err, errlen, "engine: invalid configuration (clock speed 0..10000, cps > 0)");
        return AMD_EINVAL;
    }
    amdi_engine *e = calloc(1, sizeof *e);
    if (!e)
        return AMD_ENOMEM;
    e->cfg = *cfg;
    e->hash = calloc(HASH_BUCKETS, sizeof *e->hash);
    if (!e->hash) {
        free(e);
        return AMD_ENOMEM;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->inbox_mu, NULL);
    e->public_url = cfg->public_url ? strdup(cfg->public_url) : NULL;
    e->recordings_dir = cfg->recordings_dir ? strdup(cfg->recordings_dir) : NULL;
    e->cfg.public_url = e->cfg.recordings_dir = NULL; /* borrowed strings are not kept */
    e->wall0 = wall_ms();
    e->mono0_us = mono_us();
    e->now = e->wall0;
    amdi_hooks_config hc;
    memset(&hc, 0, sizeof hc);
    hc.timeout_ms = cfg->webhook_timeout_ms > 0 ? cfg->webhook_timeout_ms : 15000;
    hc.done = on_hook_done;
    hc.policy = cfg->net_policy;
    hc.max_inflight_per_account = cfg->webhook_inflight_per_account;
    hc.user = e;
    int rc = amdi_hooks_create(&hc, &e->hooks);
    if (rc) {
        snprintf(err, errlen, "engine: webhook thread: %s", amd_strerror(rc));
        free(e->hash);
        free(e);
        return rc;
    }
    pthread_mutex_init(&e->wq_mu, NULL);
    pthread_cond_init(&e->wq_cv, NULL);
    pthread_cond_init(&e->wq_done_cv, NULL);
    atomic_init(&e->commit_max_atomic, 0);
    if (pthread_create(&e->writer, NULL, writer_run, e)) {
        snprintf(err, errlen, "engine: cannot start the store writer thread");
        amdi_hooks_destroy(e->hooks);
        free(e->hash);
        free(e);
        return AMD_ENOMEM;
    }
    e->writer_running = 1;
    *out = e;
    return 0;
}

int amdi_engine_set_public_url(amdi_engine *e, const char *url)
{
    char *u = url ? strdup(url) : NULL;
    if (url && !u)
        return AMD_ENOMEM;
    pthread_mutex_lock(&e->mu);
    free(e->public_url);
    e->public_url = u;
    pthread_mutex_unlock(&e->mu);
    return 0;
}

int amdi_engine_add_account(amdi_engine *e, const char *sid, const char *token)
{
    pthread_mutex_lock(&e->mu);
    acct *a = find_acct(e, sid);
    if (!a) {
        if (e->naccts == e->cap_accts) {
            /* Accounts are only added at start-up, before any call references them. */
            size_t cap = e->cap_accts ? e->cap_accts * 2 : 8;
            acct *na = realloc(e->accts, cap * sizeof *na);
            if (!na) {
                pthread_mutex_unlock(&e->mu);
                return AMD_ENOMEM;
            }
            for (size_t i = 0; i < e->naccts; i++) /* re-point queued calls at the moved accounts */
                for (live *c = na[i].qhead; c; c = c->qnext)
                    c->a = &na[i];
            e->accts = na;
            e->cap_accts = cap;
        }
        a = &e->accts[e->naccts++];
        memset(a, 0, sizeof *a);
        snprintf(a->sid, sizeof a->sid, "%s", sid);
        a->cps = e->cfg.cps;
    }
    snprintf(a->token, sizeof a->token, "%s", token);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

static live *live_new(amdi_engine *e, const amdi_call_rec *rec, amdi_create_params *p, acct *a)
{
    live *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->rec = *rec;
    c->p = *p;
    memset(p, 0, sizeof *p);
    c->a = a;
    c->st = ST_QUEUED;
    c->work_idx = -1;
    c->url = xstrdup(c->p.url);
    c->method = xstrdup(c->p.method);
    c->fallback_url = xstrdup(c->p.fallback_url);
    c->fallback_method = xstrdup(c->p.fallback_method);
    c->status_cb = xstrdup(c->p.status_callback);
    c->status_cb_method = xstrdup(c->p.status_callback_method);
    c->twiml = xstrdup(c->p.twiml);
    c->time_limit_s = c->p.time_limit_s;
    (void)e;
    return c;
}

static void enqueue(amdi_engine *e, live *c)
{
    unsigned h = hash_sid(c->rec.sid);
    c->hnext = e->hash[h];
    e->hash[h] = c;
    acct *a = c->a;
    if (a->qtail)
        a->qtail->qnext = c;
    else
        a->qhead = c;
    a->qtail = c;
    a->qlen++;
    e->nqueued++;
    e->nlive++;
}

int amdi_engine_submit(amdi_engine *e, const amdi_call_rec *rec, amdi_create_params *p)
{
    pthread_mutex_lock(&e->mu);
    acct *a = find_acct(e, rec->account_sid);
    live *c = a ? live_new(e, rec, p, a) : NULL;
    if (!c) {
        pthread_mutex_unlock(&e->mu);
        amdi_create_params_free(p);
        return a ? AMD_ENOMEM : AMD_ENOTFOUND;
    }
    enqueue(e, c);
    pthread_mutex_unlock(&e->mu);
    return 0;
}

long amdi_engine_queued(amdi_engine *e, const char *account)
{
    pthread_mutex_lock(&e->mu);
    acct *a = find_acct(e, account);
    long n = a ? a->qlen : 0;
    pthread_mutex_unlock(&e->mu);
    return n;
}

int amdi_engine_is_live(amdi_engine *e, const char *sid)
{
    pthread_mutex_lock(&e->mu);
    int r = find_live(e, sid) != NULL;
    pthread_mutex_unlock(&e->mu);
    return r;
}

int amdi_engine_update(amdi_engine *e, const char *account, const char *sid, const amdi_update_params *u,
                       amdi_call_rec *out, amdi_api_error *err)
{
    pthread_mutex_lock(&e->mu);
    live *c = find_live(e, sid);
    if (!c || strcmp(c->rec.account_sid, account)) {
        pthread_mutex_unlock(&e->mu);
        if (c)
            return AMD_ENOTFOUND;
        int rc = amdi_store_call_get(e->cfg.store, account, sid, out);
        if (rc)
            return rc;
        amdi_engine_call_view(e, out); /* ended in memory, not stored yet: answer from memory */
        if (u->status || u->url || u->twiml || u->time_limit_s >= 0 || u->fallback_url || u->status_callback) {
            amdi_api_error_set(err, 400, 21220,
                               "Call is not in-progress. Cannot redirect or change a call that has ended (status %s)",
                               out->status);
            return -1;
        }
        return 0;
    }
    e->now = amdi_engine_now(e) > e->now ? amdi_engine_now(e) : e->now;
    tx_begin(e);
    if (u->fallback_url)
        set_str(&c->fallback_url, u->fallback_url);
    if (u->fallback_method)
        set_str(&c->fallback_method, u->fallback_method);
    if (u->status_callback)
        set_str(&c->status_cb, u->status_callback);
    if (u->status_callback_method)
        set_str(&c->status_cb_method, u->status_callback_method);
    if (u->time_limit_s >= 0)
        c->time_limit_s = u->time_limit_s;
    if (u->url || u->twiml) {
        set_str(&c->url, u->url);
        set_str(&c->twiml, u->twiml);
        if (u->url)
            set_str(&c->method, u->method ? u->method : "POST");
        if (c->st == ST_ANSWERED && !c->amd_wait)
            start_instructions(e, c, NULL); /* redirect the live call now */
    }
    if (u->status) {
        int answered = c->st == ST_ANSWERED;
        if (!strcmp(u->status, "completed"))
            end_call(e, c, answered ? "completed" : "canceled");
        else if (!answered)
            end_call(e, c, "canceled");
        /* canceled on an answered call has no effect (Twilio: use completed to hang up) */
    }
    reap(e); /* c may be freed now: report from the store once the change is committed */
    int committed = 0;
    tx_end_flag(e, &committed);
    pthread_mutex_unlock(&e->mu);
    wait_committed(e, &committed);
    int rc = amdi_store_call_get(e->cfg.store, account, sid, out);
    if (!rc)
        amdi_engine_call_view(e, out); /* a failing store holds the change: memory is the truth */
    return rc;
}

void amdi_engine_stats_get(amdi_engine *e, amdi_engine_stats *st)
{
    pthread_mutex_lock(&e->mu);
    st->live = e->nlive;
    st->queued = e->nqueued;
    st->active = e->nactive;
    st->ticks = e->ticks;
    st->late_ticks = e->late_ticks;
    st->max_lateness_us = e->max_late_us;
    st->tick_work_us_total = e->work_total_us;
    st->tick_work_us_max = e->work_max_us;
    st->commit_us_max = atomic_load(&e->commit_max_atomic);
    memcpy(st->late_hist, e->late_hist, sizeof st->late_hist);
    pthread_mutex_unlock(&e->mu);
    st->webhooks_pending = amdi_hooks_pending(e->hooks);
}

/* ------------------------------------------------------------------ recovery */

typedef struct rec_list {
    amdi_call_rec *v;
    size_t n, cap;
} rec_list;

static void collect(void *user, const amdi_call_rec *r)
{
    rec_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        amdi_call_rec *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *r;
}

typedef struct open_rec {
    amdi_recording_rec r;
    char path[4096];
} open_rec;

typedef struct open_rec_list {
    open_rec *v;
    size_t n, cap;
} open_rec_list;

static void collect_recording(void *user, const amdi_recording_rec *r, const char *path)
{
    open_rec_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        open_rec *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n].r = *r;
    snprintf(l->v[l->n].path, sizeof l->v[l->n].path, "%s", path);
    l->n++;
}

/* Recordings a dead process left in progress were not written whole: each ends `failed`
 * (16104) with its file made a valid WAV of the whole frames it holds, and that duration. */
static void close_out_recordings(amdi_engine *e)
{
    open_rec_list l = {0};
    amdi_store_recordings_open(e->cfg.store, collect_recording, &l);
    for (size_t i = 0; i < l.n; i++) {
        amdi_recording_rec *r = &l.v[i].r;
        int64_t frames = 0;
        int rate = 0;
        if (amdi_recording_repair(l.v[i].path, &frames, &rate))
            elog(e, AMD_LOG_WARN, "recording %s: the file left by the previous run could not be repaired; removed",
                 r->sid);
        snprintf(r->status, sizeof r->status, "failed");
        r->duration_s = rate > 0 ? (frames + rate / 2) / rate : 0;
        r->error_code = REC_ERR_NOT_STORED;
        r->date_updated = e->now;
        if (amdi_store_recording_put(e->cfg.store, r, l.v[i].path))
            elog(e, AMD_LOG_ERROR, "recording %s: cannot store its end after a restart", r->sid);
    }
    if (l.n)
        elog(e, AMD_LOG_WARN, "%zu recording(s) left in progress by the previous run ended failed", l.n);
    free(l.v);
}

static void recover(amdi_engine *e)
{
    int64_t hb = -1;
    amdi_store_meta_get(e->cfg.store, "heartbeat", &hb);
    rec_list l = {0};
    amdi_store_calls_live(e->cfg.store, collect, &l);
    close_out_recordings(e);
    int64_t now = e->now;
    for (size_t i = 0; i < l.n; i++) {
        amdi_call_rec *r = &l.v[i];
        if (find_live(e, r->sid))
            continue; /* created through the API after listening began: already queued */
        char *enc = NULL;
        amdi_create_params p;
        memset(&p, 0, sizeof p);
        amdi_api_error ae;
        acct *a = find_acct(e, r->account_sid);
        int ok = 0;
        if (a && amdi_store_call_params(e->cfg.store, r->sid, &enc) == 0) {
            amdi_form f;
            if (amdi_form_parse(&f, enc, strlen(enc), AMDI_FORM_MAX_ITEMS) == 0)
                ok = amdi_create_params_parse(&p, &f, &ae) == 0;
        }
        free(enc);
        if (!ok) {
            /* Unknown account or unreadable parameters: close without callbacks. */
            snprintf(r->status, sizeof r->status, "failed");
            r->end_time = hb > 0 ? hb : now;
            snprintf(r->error_message, sizeof r->error_message, "server restarted; call could not be resumed");
            r->date_updated = now;
            amdi_store_call_update(e->cfg.store, r);
            continue;
        }
        live *c = live_new(e, r, &p, a);
        if (!c) {
            amdi_create_params_free(&p);
            continue;
        }
        if (r->start_time < 0 && !strcmp(r->status, "queued") && now - r->date_created < QUEUE_HORIZON_MS) {
            enqueue(e, c); /* never dialed: the 201 promised this call, so place it now */
            elog(e, AMD_LOG_INFO, "call %s: queued again after restart", r->sid);
            continue;
        }
        /* Pretend it is live for end_call's bookkeeping. */
        unsigned h = hash_sid(c->rec.sid);
        c->hnext = e->hash[h];
        e->hash[h] = c;
        e->nlive++;
        c->st = ST_INITIATED;
        activate(e, c);
        int64_t saved = e->now;
        int64_t end = hb > 0 && hb >= r->date_updated ? hb : (r->date_updated > 0 ? r->date_updated : now);
        e->now = end;
        const char *st = "failed";
        if (!strcmp(r->status, "in-progress")) {
            st = "completed";
            fail_with(e, c, 0, "server stopped during the call; end_time is the last moment it was known running");
        } else if (r->start_time < 0) {
            fail_with(e, c, 0, "expired in the CPS queue (older than 24 h at restart)");
        } else {
            fail_with(e, c, 0, "server stopped while the call was being placed");
        }
        c->rec.error_code = 0;
        c->p.record = 0; /* its recording (if any) was marked failed above; no "absent" callback */
        c->st = ST_INITIATED; /* no detector / leg to settle */
        end_call(e, c, st);
        e->now = saved;
    }
    reap(e);
    if (l.n)
        elog(e, AMD_LOG_WARN, "closed out or re-queued %zu call(s) left live by the previous run", l.n);
    free(l.v);
}

int amdi_engine_start(amdi_engine *e)
{
    pthread_mutex_lock(&e->mu);
    e->now = amdi_engine_now(e);
    tx_begin(e);
    recover(e);
    int committed = 0;
    tx_end_flag(e, &committed);
    e->last_heartbeat = e->now - HEARTBEAT_MS; /* the first tick stores one */
    pthread_mutex_unlock(&e->mu);
    wait_committed(e, &committed);
    int n = e->cfg.media_threads;
    if (n <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
    }
    pthread_mutex_init(&e->wmu, NULL);
    pthread_cond_init(&e->wcv, NULL);
    pthread_cond_init(&e->wdone, NULL);
    e->workers = n > 1 ? calloc((size_t)(n - 1), sizeof *e->workers) : NULL;
    for (int i = 0; e->workers && i < n - 1; i++) {
        if (pthread_create(&e->workers[i], NULL, media_worker, e))
            break;
        e->nworkers++;
    }
    if (pthread_create(&e->thr, NULL, run, e))
        return AMD_ENOMEM;
    e->running = 1;
    if (e->cfg.media_priority > 0) {
        /* SCHED_RR: a media thread waits for no ordinary process (measured: 1,000 AMD calls on
         * a 2-core machine at load average 9 had 26 % of ticks > 20 ms late at normal
         * priority, none at RR 10; bench/RESULTS.md "Call server load") */
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        sp.sched_priority = e->cfg.media_priority;
        int rc = pthread_setschedparam(e->thr, SCHED_RR, &sp);
        for (int i = 0; !rc && i < e->nworkers; i++)
            rc = pthread_setschedparam(e->workers[i], SCHED_RR, &sp);
        if (rc)
            elog(e, AMD_LOG_WARN, "media threads keep normal priority: SCHED_RR %d refused (%s)",
                 e->cfg.media_priority, strerror(rc));
    }
    return 0;
}

void amdi_engine_destroy(amdi_engine *e)
{
    if (!e)
        return;
    if (e->running) {
        pthread_mutex_lock(&e->mu);
        e->stop = 1;
        pthread_mutex_unlock(&e->mu);
        pthread_join(e->thr, NULL);
        pthread_mutex_lock(&e->wmu);
        e->wstop = 1;
        pthread_cond_broadcast(&e->wcv);
        pthread_mutex_unlock(&e->wmu);
        for (int i = 0; i < e->nworkers; i++)
            pthread_join(e->workers[i], NULL);
        pthread_mutex_destroy(&e->wmu);
        pthread_cond_destroy(&e->wcv);
        pthread_cond_destroy(&e->wdone);
        /* A clean stop ends the calls in progress now, truthfully and with their callbacks,
         * rather than leaving them to the next start's crash recovery. Queued calls stay
         * queued: they are dialed after the next start. */
        pthread_mutex_lock(&e->mu);
        e->now = amdi_engine_now(e) > e->now ? amdi_engine_now(e) : e->now;
        tx_begin(e);
        drain_inbox(e);
        long ended = 0;
        for (live *c = e->active, *n; c; c = n) {
            n = c->next;
            int answered = c->st == ST_ANSWERED;
            fail_with(e, c, 0, answered ? "server shut down during the call"
                                        : "server shut down while the call was being placed");
            c->rec.error_code = 0;
            end_call(e, c, answered ? "completed" : "failed");
            ended++;
        }
        reap(e);
        int committed = 0;
        tx_end_flag(e, &committed);
        pthread_mutex_unlock(&e->mu);
        wait_committed(e, &committed);
        /* let their webhooks go out, for at most 2 s */
        for (int i = 0; ended && i < 200 && amdi_hooks_pending(e->hooks) > 0; i++) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    free(e->workers);
    free(e->work);
    /* let the writer finish what the last tick queued (its webhooks still go out) */
    pthread_mutex_lock(&e->wq_mu);
    e->wq_stop = 1;
    pthread_cond_broadcast(&e->wq_cv);
    pthread_mutex_unlock(&e->wq_mu);
    if (e->writer_running)
        pthread_join(e->writer, NULL);
    e->writer_running = 0;
    amdi_hooks_destroy(e->hooks);
    e->hooks = NULL;
    /* store the events of requests that finished, on this thread now */
    drain_inbox(e);
    tx_end(e);
    pthread_mutex_lock(&e->wq_mu);
    take_queue(e); /* the writer has stopped: this thread is the writer now */
    pthread_mutex_unlock(&e->wq_mu);
    writer_drain(e);
    reap(e);
    for (unsigned i = 0; i < HASH_BUCKETS; i++)
        for (live *c = e->hash[i], *n; c; c = n) {
            n = c->hnext;
            if (c->leg)
                e->cfg.driver.ops->release(e->cfg.driver.state, c->leg);
            live_free(c);
        }
    if (e->cfg.driver.ops && e->cfg.driver.ops->destroy)
        e->cfg.driver.ops->destroy(e->cfg.driver.state);
    free(e->hash);
    free(e->accts);
    free(e->public_url);
    free(e->recordings_dir);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->inbox_mu);
    pthread_mutex_destroy(&e->wq_mu);
    pthread_cond_destroy(&e->wq_cv);
    pthread_cond_destroy(&e->wq_done_cv);
    free(e);
}
