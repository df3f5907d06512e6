/* SPDX-License-Identifier: MIT */
/* The PostgreSQL store's cluster operations: each process's lease and epoch (heartbeat, fence,
 * leave), the shared CPS queue (claim, dialing mark, updates of queued calls), take-over of a
 * dead process's calls, and forwarded updates over LISTEN / NOTIFY
 * (https://www.postgresql.org/docs/15/sql-notify.html). */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "amd/error.h"
#include "store_pg_internal.h"
#include "strbuf.h"

static int pg_beat(amdi_store *b, const char *instance, int64_t now_ms, int start, int64_t *epoch)
{
    pg_store *s = S(b);
    char nb[24], eb[24];
    snprintf(nb, sizeof nb, "%lld", (long long)now_ms);
    snprintf(eb, sizeof eb, "%lld", (long long)*epoch);
    const char *v[] = {instance, nb, eb};
    pthread_mutex_lock(&s->mu);
    PGresult *r = start ? amdi_pg_run(s,
                                      "INSERT INTO instances(name, heartbeat, state, epoch) VALUES($1, $2, 'running', 1)"
                                      " ON CONFLICT(name) DO UPDATE SET heartbeat=excluded.heartbeat, state='running',"
                                      " epoch=instances.epoch + 1 RETURNING epoch",
                                      2, v)
                        : amdi_pg_run(s, "UPDATE instances SET heartbeat=$2 WHERE name=$1 AND state='running' AND epoch=$3",
                                      3, v);
    pthread_mutex_unlock(&s->mu);
    int rc = !r ? AMD_EIO : start ? (PQntuples(r) ? 0 : AMD_EIO) : strcmp(PQcmdTuples(r), "0") ? 0 : AMD_ESTATE;
    if (!rc && start)
        *epoch = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

/* FOR KEY SHARE: the lease row stays locked until the commit; a process taking calls over locks
 * it FOR UPDATE SKIP LOCKED (pg_adopt), so it waits for this batch rather than racing it. */
static int pg_fence(amdi_store *b)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    if (!s->instance[0] || (s->in_tx && s->fence_rc != AMD_EIO)) { /* checked with BEGIN */
        int rc = s->instance[0] ? s->fence_rc : 0;
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    char eb[24];
    snprintf(eb, sizeof eb, "%lld", (long long)s->epoch);
    const char *v[] = {s->instance, eb};
    PGresult *r = amdi_pg_run(s, "SELECT 1 FROM instances WHERE name=$1 AND state='running' AND epoch=$2 FOR KEY SHARE", 2, v);
    int rc = !r ? AMD_EIO : PQntuples(r) ? 0 : AMD_ESTATE;
    PQclear(r);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* A text[] literal of @p sids into @p arr (call SIDs are letters and digits). 0 or AMD_ENOMEM. */
static int sid_array(amdi_buf *arr, const char *const *sids, size_t n)
{
    amdi_buf_init(arr);
    amdi_buf_putc(arr, '{');
    for (size_t i = 0; i < n; i++)
        amdi_buf_printf(arr, "%s%s", i ? "," : "", sids[i]);
    amdi_buf_putc(arr, '}');
    if (!arr->oom)
        return 0;
    amdi_buf_free(arr);
    return AMD_ENOMEM;
}

static int pg_leave(amdi_store *b, const char *instance, int64_t now_ms, const char *const *undialed, size_t n)
{
    pg_store *s = S(b);
    char nb[24];
    amdi_buf arr;
    if (sid_array(&arr, undialed, n))
        return AMD_ENOMEM;
    snprintf(nb, sizeof nb, "%lld", (long long)now_ms);
    const char *v[] = {instance, nb, arr.p};
    pthread_mutex_lock(&s->mu);
    int rc = amdi_pg_run0(s,
                          "WITH back AS (UPDATE calls SET owner=NULL, start_time=NULL, dialing=NULL WHERE owner=$1"
                          " AND status='queued' AND answer_time IS NULL AND (dialing IS NULL OR sid = ANY($3::text[]))"
                          " RETURNING sid)"
                          " UPDATE instances SET heartbeat=$2, state='stopped' WHERE name=$1 AND state='running'",
                          3, v);
    pthread_mutex_unlock(&s->mu);
    amdi_buf_free(&arr);
    return rc;
}

static long pg_claim(amdi_store *b, const char *account, const char *instance, int64_t now_ms, int64_t gap_us,
                     amdi_claim *out, size_t cap)
{
    pg_store *s = S(b);
    char nb[24], gb[24], mb[24];
    snprintf(nb, sizeof nb, "%lld", (long long)now_ms);
    snprintf(gb, sizeof gb, "%lld", (long long)gap_us);
    snprintf(mb, sizeof mb, "%zu", cap);
    const char *v[] = {account, instance, nb, gb, mb};
    PGresult *r = amdi_pg_run_locked(s, "SELECT call_sid, slot_ms FROM amd_claim($1, $2, $3, $4, $5)", 5, v);
    if (!r)
        return AMD_EIO;
    long n = PQntuples(r) < (int)cap ? PQntuples(r) : (long)cap;
    for (long i = 0; i < n; i++) {
        snprintf(out[i].sid, sizeof out[i].sid, "%s", PQgetvalue(r, (int)i, 0));
        out[i].slot_ms = strtoll(PQgetvalue(r, (int)i, 1), NULL, 10);
    }
    PQclear(r);
    return n;
}

/* One transaction: mark the expired instances dead (a row only one adopter can lock), move their
 * live calls to @p instance. The rows go to fn after the commit. */
static long pg_adopt(amdi_store *b, const char *instance, int64_t now_ms, int64_t lease_ms, int self,
                     int64_t horizon_ms, amdi_adopt_fn fn, void *user)
{
    pg_store *s = S(b);
    char tb[24], hb[24];
    snprintf(tb, sizeof tb, "%lld", (long long)(now_ms - lease_ms));
    snprintf(hb, sizeof hb, "%lld", (long long)(now_ms - horizon_ms));
    const char *v[] = {instance, tb, self ? "1" : "0", hb};
    amdi_buf sql;
    amdi_buf_init(&sql);
    /* own earlier run: whatever its state (declared dead already, calls it claimed afterwards
     * are still its). A call claimed but not marked dialing was never dialed: it goes back to
     * the queue (the 201 promised it; dialing it later is still dialing it once). */
    amdi_buf_printf(&sql,
                    "WITH dead AS (UPDATE instances SET state='dead' WHERE name IN (SELECT name FROM instances"
                    " WHERE (state='running' AND heartbeat < $2) OR ($3 = '1' AND name = $1)"
                    " FOR UPDATE SKIP LOCKED) RETURNING name, heartbeat),"
                    " back AS (UPDATE calls SET owner=NULL, start_time=NULL FROM dead WHERE calls.owner=dead.name AND"
                    " calls.status='queued' AND calls.dialing IS NULL AND COALESCE(calls.date_created, 0) >= $4"
                    " RETURNING calls.sid),"
                    " moved AS (UPDATE calls SET owner=$1 FROM dead WHERE calls.owner=dead.name AND"
                    " calls.status IN ('queued','ringing','in-progress') AND NOT (calls.status='queued' AND"
                    " calls.dialing IS NULL AND COALESCE(calls.date_created, 0) >= $4)"
                    " RETURNING calls.*, dead.heartbeat AS hb)"
                    " SELECT %s, hb FROM moved ORDER BY seq",
                    s->call_cols);
    if (sql.oom) {
        amdi_buf_free(&sql);
        return AMD_ENOMEM;
    }
    PGresult *r = amdi_pg_run_locked(s, sql.p, 4, v);
    amdi_buf_free(&sql);
    if (!r)
        return AMD_EIO;
    long n = PQntuples(r);
    amdi_call_rec rec;
    for (int i = 0; i < n; i++) {
        amdi_pg_read_call(r, i, &rec);
        fn(user, &rec, strtoll(PQgetvalue(r, i, (int)amdi_n_call_cols), NULL, 10));
    }
    PQclear(r);
    return n;
}

static int pg_owner(amdi_store *b, const char *sid, char *owner, size_t n)
{
    pg_store *s = S(b);
    const char *v[] = {sid};
    PGresult *r = amdi_pg_run_locked(s, "SELECT owner FROM calls WHERE sid=$1", 1, v);
    int rc = amdi_pg_row_rc(r);
    if (!rc)
        snprintf(owner, n, "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

static int pg_take_queued(amdi_store *b, const char *sid, const char *instance)
{
    pg_store *s = S(b);
    const char *v[] = {sid, instance};
    pthread_mutex_lock(&s->mu);
    PGresult *r = amdi_pg_run(s,
                              "UPDATE calls SET owner=$2 WHERE sid=$1 AND owner IS NULL AND status='queued'"
                              " AND start_time IS NULL",
                              2, v);
    pthread_mutex_unlock(&s->mu);
    int rc = !r ? AMD_EIO : strcmp(PQcmdTuples(r), "0") ? 0 : AMD_ENOTFOUND;
    PQclear(r);
    return rc;
}

static void pg_as_instance(amdi_store *b, const char *instance, int64_t epoch)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    snprintf(s->instance, sizeof s->instance, "%s", instance);
    s->epoch = epoch;
    pthread_mutex_unlock(&s->mu);
}

static long pg_mark_dialing(amdi_store *b, const char *instance, int64_t epoch, const char *const *sids, size_t n,
                            int64_t now_ms, int *ok)
{
    pg_store *s = S(b);
    amdi_buf arr;
    for (size_t i = 0; i < n; i++)
        ok[i] = 0;
    if (sid_array(&arr, sids, n))
        return AMD_ENOMEM;
    char nb[24], eb[24];
    snprintf(nb, sizeof nb, "%lld", (long long)now_ms);
    snprintf(eb, sizeof eb, "%lld", (long long)epoch);
    const char *v[] = {arr.p, instance, nb, eb};
    pthread_mutex_lock(&s->mu);
    /* a process declared dead may have claimed calls before it learnt it: it must not dial them */
    PGresult *r = amdi_pg_run(s,
                              "UPDATE calls SET dialing=$3 WHERE sid = ANY($1::text[]) AND owner=$2 AND status='queued'"
                              " AND EXISTS (SELECT 1 FROM instances WHERE name=$2 AND state='running' AND epoch=$4)"
                              " RETURNING sid",
                              4, v);
    pthread_mutex_unlock(&s->mu);
    amdi_buf_free(&arr);
    if (!r)
        return AMD_EIO;
    long m = PQntuples(r);
    for (long k = 0; k < m; k++)
        for (size_t i = 0; i < n; i++)
            if (!strcmp(sids[i], PQgetvalue(r, (int)k, 0)))
                ok[i] = 1;
    PQclear(r);
    return m;
}

static int pg_update_queued(amdi_store *b, const char *sid, int64_t now_ms, char *(*edit)(void *user, const char *form),
                            void *user)
{
    pg_store *s = S(b);
    const char *v[3] = {sid};
    char nb[24];
    snprintf(nb, sizeof nb, "%lld", (long long)now_ms);
    pthread_mutex_lock(&s->mu);
    int rc = amdi_pg_run0(s, "BEGIN", 0, NULL);
    PGresult *r = rc ? NULL
                     : amdi_pg_run(s,
                                   "SELECT params FROM calls WHERE sid=$1 AND owner IS NULL AND status='queued'"
                                   " AND start_time IS NULL FOR UPDATE",
                                   1, v);
    rc = rc ? rc : amdi_pg_row_rc(r);
    char *form = rc ? NULL : edit(user, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!rc && !form)
        rc = AMD_ENOMEM;
    v[1] = form;
    v[2] = nb;
    rc = rc ? rc : amdi_pg_run0(s, "UPDATE calls SET params=$2, date_updated=$3 WHERE sid=$1", 3, v);
    free(form);
    if (PQtransactionStatus(s->c) != PQTRANS_IDLE) {
        r = amdi_pg_run(s, rc ? "ROLLBACK" : "COMMIT", 0, NULL);
        if (!rc && (!r || strcmp(PQcmdStatus(r), "COMMIT")))
            rc = AMD_EIO;
        PQclear(r);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int pg_open_peer(amdi_store *b, amdi_store **out, char *err, size_t errlen)
{
    return amdi_store_pg_open(S(b)->conninfo, 0, out, err, errlen);
}

static long pg_queued(amdi_store *b, const char *account)
{
    pg_store *s = S(b);
    const char *v[] = {account};
    PGresult *r = amdi_pg_run_locked(s,
                                     "SELECT count(*) FROM calls WHERE account_sid=$1 AND status='queued'"
                                     " AND start_time IS NULL AND owner IS NULL",
                                     1, v);
    long n = r ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : AMD_EIO;
    PQclear(r);
    return n;
}

static int pg_notify(amdi_store *b, const char *payload)
{
    pg_store *s = S(b);
    const char *v[] = {AMDI_CLUSTER_CHANNEL, payload};
    pthread_mutex_lock(&s->mu);
    int rc = amdi_pg_run0(s, "SELECT pg_notify($1, $2)", 2, v);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int pg_listen(amdi_store *b)
{
    pg_store *s = S(b);
    int rc = amdi_pg_run0_locked(s, "LISTEN " AMDI_CLUSTER_CHANNEL, 0, NULL);
    return rc;
}

static int pg_wait(amdi_store *b, int timeout_ms, amdi_notify_fn fn, void *user)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    int sock = PQsocket(s->c);
    pthread_mutex_unlock(&s->mu);
    if (sock < 0)
        return AMD_EIO;
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(sock, &rd);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (select(sock + 1, &rd, NULL, NULL, &tv) < 0)
        return 0;
    pthread_mutex_lock(&s->mu);
    int rc = PQconsumeInput(s->c) ? 0 : AMD_EIO;
    PGnotify *n;
    while ((n = PQnotifies(s->c))) {
        pthread_mutex_unlock(&s->mu);
        fn(user, n->extra);
        PQfreemem(n);
        pthread_mutex_lock(&s->mu);
    }
    if (rc) {
        amdi_pg_keep_error(s, NULL);
        amdi_pg_reset(s);
        if (PQstatus(s->c) == CONNECTION_OK)
            amdi_pg_run0(s, "LISTEN " AMDI_CLUSTER_CHANNEL, 0, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

const amdi_cluster_ops amdi_pg_cluster_ops = {
    .beat = pg_beat,
    .fence = pg_fence,
    .mark_dialing = pg_mark_dialing,
    .update_queued = pg_update_queued,
    .open_peer = pg_open_peer,
    .leave = pg_leave,
    .claim = pg_claim,
    .adopt = pg_adopt,
    .owner = pg_owner,
    .take_queued = pg_take_queued,
    .queued = pg_queued,
    .as_instance = pg_as_instance,
    .notify = pg_notify,
    .listen = pg_listen,
    .wait = pg_wait,
};
