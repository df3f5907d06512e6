/* SPDX-License-Identifier: MIT */
/* The PostgreSQL store (libpq, https://www.postgresql.org/docs/15/libpq.html): the same
 * operations and schema as the SQLite store, for several servers on one database. Values travel
 * as text parameters ($1, $2, ...) and text results, converted by the shared column tables.
 *
 * Durability: a connection opened durable commits with synchronous_commit=on (on disk before the
 * API answers); the engine's connection uses synchronous_commit=off, which loses nothing when a
 * server process dies (the database server has the commit) and at most the last moments of
 * transitions if PostgreSQL itself crashes, as WAL synchronous=NORMAL does for SQLite.
 * Each amdi_store is one connection guarded by its own mutex. A broken connection is reset
 * before the next statement outside a transaction (the writer retries refused batches). */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "store_pg_internal.h"
#include "strbuf.h"

/* The statements of every transition and fetch, prepared once per connection. */
enum { P_INS, P_UPD, P_GET, P_GET_ANY, P_N };
static const char *const k_prep_name[P_N] = {"amd_ins", "amd_upd", "amd_get", "amd_get_any"};


void amdi_pg_keep_error(pg_store *s, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(s->c);
    snprintf(s->last_err, sizeof s->last_err, "%s", m && *m ? m : "PostgreSQL error");
    size_t l = strlen(s->last_err);
    while (l && (s->last_err[l - 1] == '\n' || s->last_err[l - 1] == ' '))
        s->last_err[--l] = 0;
}

static char *prep_sql(pg_store *s, int i, char *buf, size_t n)
{
    if (i == P_INS)
        return s->ins_sql;
    if (i == P_UPD)
        return s->upd_sql;
    snprintf(buf, n, "SELECT %s FROM calls WHERE sid=$1%s", s->call_cols, i == P_GET ? " AND account_sid=$2" : "");
    return buf;
}

/* The session's settings; again after every reconnect (a new session starts without them).
 * 0 or AMD_EIO. Caller holds mu. */
static int session_setup(pg_store *s)
{
    static const char *const sql[] = {
        "SET client_min_messages = warning",
        /* a process stopped inside a transaction (SIGSTOP, a lost network) must not hold its lease
         * lock (pg_fence) past the lease: the server ends such a session after 2 s */
        "SET idle_in_transaction_session_timeout = 2000",
    };
    PGresult *r = PQexec(s->c, s->durable ? "SET synchronous_commit = on" : "SET synchronous_commit = off");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    for (size_t i = 0; ok && i < sizeof sql / sizeof sql[0]; i++) {
        PQclear(r);
        r = PQexec(s->c, sql[i]);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    }
    if (!ok)
        amdi_pg_keep_error(s, r);
    PQclear(r);
    return ok ? 0 : AMD_EIO;
}

void amdi_pg_reset(pg_store *s)
{
    PQreset(s->c);
    s->prepared = 0;
    if (PQstatus(s->c) == CONNECTION_OK)
        session_setup(s);
}

/* Prepare the hot statements if this connection has not. 0 or AMD_EIO. Caller holds mu. */
static int prepare_all(pg_store *s)
{
    if (s->prepared)
        return 0;
    for (int i = 0; i < P_N; i++) {
        char buf[768];
        PGresult *r = PQprepare(s->c, k_prep_name[i], prep_sql(s, i, buf, sizeof buf), 0, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            amdi_pg_keep_error(s, r);
        PQclear(r);
        if (!ok)
            return AMD_EIO;
    }
    s->prepared = 1;
    return 0;
}

/* A prepared statement (prepare_all) with text parameters; NULL (error kept) unless it
 * succeeded. Caller holds mu. */
static PGresult *run_prepared(pg_store *s, int which, int n, const char *const *v)
{
    if (!s->in_tx && PQstatus(s->c) != CONNECTION_OK)
        amdi_pg_reset(s);
    if (prepare_all(s))
        return NULL;
    PGresult *r = PQexecPrepared(s->c, k_prep_name[which], n, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        amdi_pg_keep_error(s, r);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* One statement with text parameters; NULL (error kept) unless it succeeded. Caller holds mu. */
PGresult *amdi_pg_run(pg_store *s, const char *sql, int n, const char *const *v)
{
    if (!s->in_tx && PQstatus(s->c) != CONNECTION_OK)
        amdi_pg_reset(s);
    PGresult *r = PQexecParams(s->c, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        amdi_pg_keep_error(s, r);
        PQclear(r);
        return NULL;
    }
    return r;
}

/* A statement whose rows are not wanted: 0 or AMD_EIO. Caller holds mu. */
int amdi_pg_run0(pg_store *s, const char *sql, int n, const char *const *v)
{
    PGresult *r = amdi_pg_run(s, sql, n, v);
    PQclear(r);
    return r ? 0 : AMD_EIO;
}

/* amdi_pg_run() with mu taken and released around it. */
PGresult *amdi_pg_run_locked(pg_store *s, const char *sql, int n, const char *const *v)
{
    pthread_mutex_lock(&s->mu);
    PGresult *r = amdi_pg_run(s, sql, n, v);
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* amdi_pg_run0() with mu taken and released around it. */
int amdi_pg_run0_locked(pg_store *s, const char *sql, int n, const char *const *v)
{
    pthread_mutex_lock(&s->mu);
    int rc = amdi_pg_run0(s, sql, n, v);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* A result expected to hold one row: 0, AMD_ENOTFOUND (no row) or AMD_EIO (no result). */
int amdi_pg_row_rc(const PGresult *r)
{
    return !r ? AMD_EIO : PQntuples(r) ? 0 : AMD_ENOTFOUND;
}

void amdi_pg_read_call(const PGresult *r, int row, amdi_call_rec *rec)
{
    amdi_call_rec_init(rec);
    for (size_t i = 0; i < amdi_n_call_cols; i++)
        amdi_cols_set_text(&amdi_call_cols[i], rec,
                           PQgetisnull(r, row, (int)i) ? NULL : PQgetvalue(r, row, (int)i));
}

static void read_recording(const PGresult *r, int row, amdi_recording_rec *rec)
{
    memset(rec, 0, sizeof *rec);
    for (size_t i = 0; i < amdi_n_rec_cols; i++)
        amdi_cols_set_text(&amdi_rec_cols[i], rec, PQgetisnull(r, row, (int)i) ? NULL : PQgetvalue(r, row, (int)i));
}

/* The select lists and the insert / update of a call, from the column tables. */
static int build_sql(pg_store *s)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_cols_list(&b, amdi_call_cols, amdi_n_call_cols);
    s->call_cols = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    amdi_cols_list(&b, amdi_rec_cols, amdi_n_rec_cols);
    amdi_buf_puts(&b, ", path");
    s->rec_cols = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    /* INSERT INTO calls(<every column but seq>, params) VALUES($1, ...) RETURNING seq */
    amdi_buf_puts(&b, "INSERT INTO calls(");
    int k = 0;
    for (size_t i = 0; i < amdi_n_call_cols; i++)
        if (amdi_call_cols[i].kind != AMDI_COL_ROWID)
            amdi_buf_printf(&b, "%s%s", k++ ? ", " : "", amdi_call_cols[i].name);
    amdi_buf_puts(&b, ", params) VALUES(");
    for (int i = 1; i <= k + 1; i++)
        amdi_buf_printf(&b, "%s$%d", i > 1 ? ", " : "", i);
    amdi_buf_puts(&b, ") RETURNING seq");
    s->ins_sql = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    /* UPDATE calls SET <changing columns> = $1, ... WHERE sid = $n */
    amdi_buf_puts(&b, "UPDATE calls SET ");
    k = 0;
    for (size_t i = 0; i < amdi_n_call_cols; i++)
        if (amdi_call_cols[i].flags & AMDI_COL_CHANGES) {
            amdi_buf_printf(&b, "%s%s=$%d", k ? ", " : "", amdi_call_cols[i].name, k + 1);
            k++;
        }
    /* a process the others declared dead must not overwrite what the one that took its calls
     * over stored: an update applies to a call owned by this instance or by none */
    amdi_buf_printf(&b, " WHERE sid=$%d AND ($%d = '' OR owner IS NULL OR owner = $%d)", k + 1, k + 2, k + 2);
    s->upd_sql = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    return s->call_cols && s->rec_cols && s->ins_sql && s->upd_sql ? 0 : AMD_ENOMEM;
}

static void pg_close(amdi_store *b)
{
    pg_store *s = S(b);
    if (!s)
        return;
    if (s->c)
        PQfinish(s->c);
    free(s->call_cols);
    free(s->rec_cols);
    free(s->ins_sql);
    free(s->upd_sql);
    free(s->conninfo);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const amdi_store_ops k_pg_ops;

int amdi_store_pg_open(const char *conninfo, int durable, amdi_store **out, char *err, size_t errlen)
{
    *out = NULL;
    char shown[256];
    amdi_db_redact(conninfo, shown, sizeof shown);
    pg_store *s = calloc(1, sizeof *s);
    if (!s)
        return AMD_ENOMEM;
    s->base.ops = &k_pg_ops;
    pthread_mutex_init(&s->mu, NULL);
    s->conninfo = strdup(conninfo);
    /* the URI's own settings win over these defaults (later keywords would override). A lost
     * network must not hang a statement for the kernel's TCP timeouts (minutes): keepalives and
     * tcp_user_timeout end it within seconds, like a lease (https://www.postgresql.org/docs/15/
     * libpq-connect.html#LIBPQ-PARAMKEYWORDS) */
    const char *const keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                                "keepalives_count", "tcp_user_timeout", "dbname", NULL};
    const char *const vals[] = {"5", "amd-serve", "2", "1", "3", "5000", conninfo, NULL};
    s->c = s->conninfo ? PQconnectdbParams(keys, vals, 1) : NULL;
    if (!s->c || PQstatus(s->c) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to database %s: %s", shown, s->c ? PQerrorMessage(s->c) : "no memory");
        size_t l = strlen(err);
        while (l && err[l - 1] == '\n')
            err[--l] = 0;
        pg_close(&s->base);
        return AMD_EIO;
    }
    if (build_sql(s)) {
        pg_close(&s->base);
        return AMD_ENOMEM;
    }
    pthread_mutex_lock(&s->mu);
    s->durable = durable;
    int rc = session_setup(s);
    pthread_mutex_unlock(&s->mu);
    char merr[300] = "";
    if (rc) {
        snprintf(err, errlen, "database %s: %s", shown, s->last_err);
        pg_close(&s->base);
        return AMD_EIO;
    }
    rc = amdi_store_migrate(&s->base, merr, sizeof merr);
    if (rc) {
        snprintf(err, errlen, "database %s: %s", shown, merr);
        pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}

static int pg_exec(amdi_store *b, const char *sql)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    /* several statements: the simple query protocol */
    PGresult *r = PQexec(s->c, sql);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : AMD_EIO;
    if (rc)
        amdi_pg_keep_error(s, r);
    PQclear(r);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* For a connection writing for an instance, the lease check (pg_fence) travels with BEGIN in one
 * round trip: every batch of the store writer makes it. Caller holds mu. */
static int begin_fenced(pg_store *s)
{
    if (PQstatus(s->c) != CONNECTION_OK)
        amdi_pg_reset(s);
    char *name = PQescapeLiteral(s->c, s->instance, strlen(s->instance));
    if (!name) {
        amdi_pg_keep_error(s, NULL);
        return AMD_EIO;
    }
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN; SELECT 1 FROM instances WHERE name=%s AND state='running' AND epoch=%lld FOR KEY SHARE", name,
             (long long)s->epoch);
    PQfreemem(name);
    PGresult *r = PQexec(s->c, sql);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : AMD_EIO;
    if (rc)
        amdi_pg_keep_error(s, r);
    else
        s->fence_rc = PQntuples(r) ? 0 : AMD_ESTATE;
    PQclear(r);
    return rc;
}

static int pg_begin(amdi_store *b)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    s->fence_rc = AMD_EIO; /* unchecked */
    int rc = s->instance[0] ? begin_fenced(s) : amdi_pg_run0(s, "BEGIN", 0, NULL);
    if (rc && PQtransactionStatus(s->c) != PQTRANS_IDLE) /* BEGIN went through, the check failed */
        PQclear(PQexec(s->c, "ROLLBACK"));
    s->in_tx = !rc;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Servers starting together take turns: the first migrates, the others then find it done. */
static int pg_begin_migration(amdi_store *b)
{
    int rc = pg_begin(b);
    if (!rc) {
        pg_store *s = S(b);
        pthread_mutex_lock(&s->mu);
        rc = amdi_pg_run0(s, "SELECT pg_advisory_xact_lock(7270001)", 0, NULL);
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

static int pg_commit(amdi_store *b)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    PGresult *r = amdi_pg_run(s, "COMMIT", 0, NULL);
    /* COMMIT of a transaction a failed statement aborted answers "ROLLBACK" */
    int rc = r && !strcmp(PQcmdStatus(r), "COMMIT") ? 0 : AMD_EIO;
    if (r && rc)
        snprintf(s->last_err, sizeof s->last_err, "transaction rolled back: a statement in it failed");
    PQclear(r);
    if (rc && PQtransactionStatus(s->c) != PQTRANS_IDLE)
        PQclear(PQexec(s->c, "ROLLBACK"));
    s->in_tx = 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void pg_rollback(amdi_store *b)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    if (PQtransactionStatus(s->c) != PQTRANS_IDLE)
        PQclear(PQexec(s->c, "ROLLBACK"));
    s->in_tx = 0;
    pthread_mutex_unlock(&s->mu);
}

static void pg_last_error(amdi_store *b, char *buf, size_t n)
{
    pg_store *s = S(b);
    pthread_mutex_lock(&s->mu);
    snprintf(buf, n, "%s", s->last_err[0] ? s->last_err : "unknown error");
    pthread_mutex_unlock(&s->mu);
}

static int pg_account_put(amdi_store *b, const char *sid, const char *token)
{
    pg_store *s = S(b);
    const char *v[] = {sid, token};
    int rc = amdi_pg_run0_locked(s,
                                 "INSERT INTO accounts(sid, token) VALUES($1, $2) ON CONFLICT(sid) DO UPDATE SET"
                                 " token=excluded.token",
                                 2, v);
    return rc;
}

static int pg_account_token(amdi_store *b, const char *sid, char *tok, size_t toklen)
{
    pg_store *s = S(b);
    const char *v[] = {sid};
    pthread_mutex_lock(&s->mu);
    PGresult *r = amdi_pg_run(s, "SELECT token FROM accounts WHERE sid=$1", 1, v);
    int rc = amdi_pg_row_rc(r);
    if (!rc)
        snprintf(tok, toklen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int pg_accounts(amdi_store *b, amdi_account_fn fn, void *user)
{
    pg_store *s = S(b);
    PGresult *r = amdi_pg_run_locked(s, "SELECT sid, token FROM accounts ORDER BY sid", 0, NULL);
    if (!r)
        return AMD_EIO;
    for (int i = 0; i < PQntuples(r); i++)
        fn(user, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    return 0;
}

static int pg_call_insert(amdi_store *b, amdi_call_rec *rec, const char *params)
{
    pg_store *s = S(b);
    char bufs[32][24];
    const char *v[33];
    int k = 0;
    for (size_t i = 0; i < amdi_n_call_cols && k < 32; i++)
        if (amdi_call_cols[i].kind != AMDI_COL_ROWID) {
            v[k] = amdi_cols_text(&amdi_call_cols[i], rec, bufs[k], sizeof bufs[k]);
            k++;
        }
    v[k++] = params ? params : "";
    pthread_mutex_lock(&s->mu);
    PGresult *r = run_prepared(s, P_INS, k, v);
    if (r && PQntuples(r))
        rec->seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    pthread_mutex_unlock(&s->mu);
    return r ? 0 : AMD_EIO;
}

static int pg_call_update(amdi_store *b, const amdi_call_rec *rec)
{
    pg_store *s = S(b);
    char bufs[32][24];
    const char *v[34];
    int k = 0;
    for (size_t i = 0; i < amdi_n_call_cols && k < 32; i++)
        if (amdi_call_cols[i].flags & AMDI_COL_CHANGES) {
            v[k] = amdi_cols_text(&amdi_call_cols[i], rec, bufs[k], sizeof bufs[k]);
            k++;
        }
    v[k++] = rec->sid;
    v[k++] = s->instance;
    pthread_mutex_lock(&s->mu);
    PGresult *r = run_prepared(s, P_UPD, k, v);
    int rc = r ? 0 : AMD_EIO;
    PQclear(r);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int pg_call_get(amdi_store *b, const char *account, const char *sid, amdi_call_rec *rec)
{
    pg_store *s = S(b);
    const char *v[] = {sid, account};
    pthread_mutex_lock(&s->mu);
    PGresult *r = run_prepared(s, account ? P_GET : P_GET_ANY, account ? 2 : 1, v);
    pthread_mutex_unlock(&s->mu);
    int rc = amdi_pg_row_rc(r);
    if (!rc)
        amdi_pg_read_call(r, 0, rec);
    PQclear(r);
    return rc;
}

static int pg_call_params(amdi_store *b, const char *sid, char **params)
{
    pg_store *s = S(b);
    *params = NULL;
    const char *v[] = {sid};
    PGresult *r = amdi_pg_run_locked(s, "SELECT params FROM calls WHERE sid=$1", 1, v);
    int rc = amdi_pg_row_rc(r);
    if (!rc) {
        *params = strdup(PQgetvalue(r, 0, 0));
        rc = *params ? 0 : AMD_ENOMEM;
    }
    PQclear(r);
    return rc;
}

static int pg_call_delete(amdi_store *b, const char *account, const char *sid)
{
    pg_store *s = S(b);
    const char *v[] = {sid, account};
    pthread_mutex_lock(&s->mu);
    int rc = amdi_pg_run0(s, "BEGIN", 0, NULL);
    if (!rc) {
        PGresult *r = amdi_pg_run(s, "DELETE FROM calls WHERE sid=$1 AND account_sid=$2", 2, v);
        rc = !r ? AMD_EIO : strcmp(PQcmdTuples(r), "0") ? 0 : AMD_ENOTFOUND;
        PQclear(r);
        rc = rc ? rc : amdi_pg_run0(s, "DELETE FROM events WHERE call_sid=$1", 1, v);
        rc = rc ? rc : amdi_pg_run0(s, "DELETE FROM events_dropped WHERE call_sid=$1", 1, v);
        PQclear(PQexec(s->c, rc ? "ROLLBACK" : "COMMIT"));
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static long pg_call_list(amdi_store *b, const char *account, const amdi_list_query *q, amdi_call_rec *rows,
                         size_t cap)
{
    pg_store *s = S(b);
    amdi_buf sql;
    amdi_buf_init(&sql);
    const char *v[MAXP];
    char nb[5][24];
    int n = 0;
    v[n++] = account;
    amdi_buf_printf(&sql, "SELECT %s FROM calls WHERE account_sid=$1", s->call_cols);
#define TEXTF(cond, col, val)                             \
    if (cond) {                                           \
        v[n++] = (val);                                   \
        amdi_buf_printf(&sql, " AND %s$%d", (col), n);    \
    }
#define NUMF(cond, col, val, i)                                  \
    if (cond) {                                                  \
        snprintf(nb[i], sizeof nb[i], "%lld", (long long)(val)); \
        v[n++] = nb[i];                                          \
        amdi_buf_printf(&sql, " AND %s$%d", (col), n);           \
    }
    TEXTF(q->to, "to_addr=", q->to)
    TEXTF(q->from, "from_addr=", q->from)
    TEXTF(q->parent_call_sid, "parent_call_sid=", q->parent_call_sid)
    TEXTF(q->status, "status=", q->status)
    NUMF(q->start_lo != INT64_MIN, "start_time>=", q->start_lo, 0)
    NUMF(q->start_hi != INT64_MAX, "start_time<", q->start_hi, 1)
    NUMF(q->end_lo != INT64_MIN, "end_time>=", q->end_lo, 2)
    NUMF(q->end_hi != INT64_MAX, "end_time<", q->end_hi, 3)
    int before = q->has_token && q->token_before;
    NUMF(q->has_token, before ? "seq>" : "seq<", q->token_seq, 4)
#undef TEXTF
#undef NUMF
    amdi_buf_printf(&sql, " ORDER BY seq %s LIMIT %zu", before ? "ASC" : "DESC", cap);
    if (!q->has_token)
        amdi_buf_printf(&sql, " OFFSET %lld", (long long)q->page * q->page_size);
    if (sql.oom) {
        amdi_buf_free(&sql);
        return AMD_ENOMEM;
    }
    PGresult *r = amdi_pg_run_locked(s, sql.p, n, v);
    amdi_buf_free(&sql);
    if (!r)
        return AMD_EIO;
    long m = PQntuples(r) < (int)cap ? PQntuples(r) : (long)cap;
    for (long i = 0; i < m; i++)
        amdi_pg_read_call(r, (int)(before ? m - 1 - i : i), &rows[i]); /* newest first */
    PQclear(r);
    return m;
}

static int pg_calls_live(amdi_store *b, amdi_call_fn fn, void *user)
{
    pg_store *s = S(b);
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s FROM calls WHERE status IN ('queued','ringing','in-progress') ORDER BY seq",
             s->call_cols);
    PGresult *r = amdi_pg_run_locked(s, sql, 0, NULL);
    if (!r)
        return AMD_EIO;
    amdi_call_rec rec;
    for (int i = 0; i < PQntuples(r); i++) {
        amdi_pg_read_call(r, i, &rec);
        fn(user, &rec);
    }
    PQclear(r);
    return 0;
}

/* Keep a call's first and last events (store.h); the oldest one past the first ones goes, and
 * is counted. Caller holds mu. */
static int trim_events(pg_store *s, const char *call_sid)
{
    const char *v[3] = {call_sid};
    PGresult *r = amdi_pg_run(s, "SELECT COUNT(*) FROM events WHERE call_sid=$1", 1, v);
    if (!r)
        return AMD_EIO;
    long long over = strtoll(PQgetvalue(r, 0, 0), NULL, 10) - (AMDI_EVENTS_KEEP_FIRST + AMDI_EVENTS_KEEP_LAST);
    PQclear(r);
    if (over <= 0)
        return 0;
    char nb[24], kb[24];
    snprintf(nb, sizeof nb, "%lld", over);
    snprintf(kb, sizeof kb, "%d", AMDI_EVENTS_KEEP_FIRST);
    v[1] = nb;
    v[2] = kb;
    int rc = amdi_pg_run0(s,
                          "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE call_sid=$1"
                          " ORDER BY seq LIMIT $2 OFFSET $3)",
                          3, v);
    return rc ? rc
              : amdi_pg_run0(s,
                             "INSERT INTO events_dropped(call_sid, n) VALUES($1, $2)"
                             " ON CONFLICT(call_sid) DO UPDATE SET n = events_dropped.n + excluded.n",
                             2, v);
}

static int pg_event_add(amdi_store *b, const char *call_sid, int64_t t_ms, const char *req, const char *resp)
{
    pg_store *s = S(b);
    char tb[24];
    snprintf(tb, sizeof tb, "%lld", (long long)t_ms);
    pthread_mutex_lock(&s->mu);
    const char *v[] = {call_sid, tb, req && *req ? req : NULL, resp && *resp ? resp : NULL, s->instance};
    /* not about a call another process took over from this one (store_cluster.h) */
    PGresult *r = amdi_pg_run(s,
                              "INSERT INTO events(call_sid, t, request, response) SELECT $1::text, $2::bigint, $3::text, $4::text"
                              " WHERE $5::text = '' OR NOT EXISTS (SELECT 1 FROM calls WHERE sid = $1::text"
                              " AND owner IS NOT NULL AND owner <> $5::text)",
                              5, v);
    int rc = r ? 0 : AMD_EIO;
    if (r && strcmp(PQcmdTuples(r), "0"))
        rc = trim_events(s, call_sid);
    PQclear(r);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static long pg_events_dropped(amdi_store *b, const char *call_sid)
{
    pg_store *s = S(b);
    const char *v[] = {call_sid};
    PGresult *r = amdi_pg_run_locked(s, "SELECT n FROM events_dropped WHERE call_sid=$1", 1, v);
    long n = !r ? AMD_EIO : PQntuples(r) ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return n;
}

static long pg_events(amdi_store *b, const char *call_sid, int64_t after_seq, int limit, amdi_event_fn fn,
                      void *user)
{
    pg_store *s = S(b);
    char ab[24], lb[24];
    snprintf(ab, sizeof ab, "%lld", (long long)after_seq);
    snprintf(lb, sizeof lb, "%d", limit);
    const char *v[] = {call_sid, ab, lb};
    PGresult *r = amdi_pg_run_locked(s,
                                     "SELECT seq, t, request, response FROM events WHERE call_sid=$1 AND seq>$2 ORDER BY seq"
                                     " LIMIT $3",
                                     3, v);
    if (!r)
        return AMD_EIO;
    long n = PQntuples(r);
    for (int i = 0; i < n; i++)
        fn(user, strtoll(PQgetvalue(r, i, 0), NULL, 10), strtoll(PQgetvalue(r, i, 1), NULL, 10),
           PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2), PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
    PQclear(r);
    return n;
}

static int pg_meta_set(amdi_store *b, const char *key, int64_t v64)
{
    pg_store *s = S(b);
    char vb[24];
    snprintf(vb, sizeof vb, "%lld", (long long)v64);
    const char *v[] = {key, vb};
    int rc = amdi_pg_run0_locked(s,
                                 "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET"
                                 " value=excluded.value",
                                 2, v);
    return rc;
}

static int pg_meta_get(amdi_store *b, const char *key, int64_t *out)
{
    pg_store *s = S(b);
    const char *v[] = {key};
    PGresult *r = amdi_pg_run_locked(s, "SELECT value FROM meta WHERE key=$1", 1, v);
    int rc = amdi_pg_row_rc(r);
    if (!rc)
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return rc;
}

/* 1 when call @p sid belongs to another instance than the one this connection writes for (taken
 * over from it: store_cluster.h), 0, or -1 on an error. Caller holds mu. */
static int taken_over(pg_store *s, const char *sid)
{
    if (!s->instance[0])
        return 0;
    const char *v[] = {sid, s->instance};
    PGresult *r = amdi_pg_run(s, "SELECT 1 FROM calls WHERE sid=$1 AND owner IS NOT NULL AND owner <> $2", 2, v);
    int n = r ? PQntuples(r) > 0 : -1;
    PQclear(r);
    return n;
}

static int pg_recording_put(amdi_store *b, const amdi_recording_rec *rec, const char *path)
{
    pg_store *s = S(b);
    amdi_buf sql;
    amdi_buf_init(&sql);
    char bufs[16][24];
    const char *v[17];
    int k = 0;
    amdi_buf_puts(&sql, "INSERT INTO recordings(");
    for (size_t i = 0; i < amdi_n_rec_cols && k < 16; i++) {
        amdi_buf_printf(&sql, "%s, ", amdi_rec_cols[i].name);
        v[k] = amdi_cols_text(&amdi_rec_cols[i], rec, bufs[k], sizeof bufs[k]);
        k++;
    }
    v[k++] = path && *path ? path : NULL;
    amdi_buf_puts(&sql, "path) VALUES(");
    for (int i = 1; i <= k; i++)
        amdi_buf_printf(&sql, "%s$%d", i > 1 ? ", " : "", i);
    amdi_buf_puts(&sql, ") ON CONFLICT(sid) DO UPDATE SET ");
    amdi_cols_changes(&sql, amdi_rec_cols, amdi_n_rec_cols, 1);
    if (sql.oom) {
        amdi_buf_free(&sql);
        return AMD_ENOMEM;
    }
    pthread_mutex_lock(&s->mu);
    int rc = taken_over(s, rec->call_sid);
    rc = rc < 0 ? AMD_EIO : rc ? 0 : amdi_pg_run0(s, sql.p, k, v);
    pthread_mutex_unlock(&s->mu);
    amdi_buf_free(&sql);
    return rc;
}

static int pg_recording_delete(amdi_store *b, const char *account, const char *sid)
{
    pg_store *s = S(b);
    const char *v[] = {sid, account};
    PGresult *r = amdi_pg_run_locked(s, "DELETE FROM recordings WHERE sid=$1 AND account_sid=$2", 2, v);
    int rc = !r ? AMD_EIO : strcmp(PQcmdTuples(r), "0") ? 0 : AMD_ENOTFOUND;
    PQclear(r);
    return rc;
}

static long pg_recordings_at(amdi_store *b, const char *account, const char *call_sid, int64_t offset,
                             amdi_recording_rec *out, size_t cap)
{
    pg_store *s = S(b);
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s FROM recordings WHERE account_sid=$1%s ORDER BY seq DESC LIMIT %zu OFFSET %lld",
             s->rec_cols, call_sid ? " AND call_sid=$2" : "", cap, (long long)offset);
    const char *v[] = {account, call_sid};
    PGresult *r = amdi_pg_run_locked(s, sql, call_sid ? 2 : 1, v);
    if (!r)
        return AMD_EIO;
    long n = PQntuples(r) < (int)cap ? PQntuples(r) : (long)cap;
    for (long i = 0; i < n; i++)
        read_recording(r, (int)i, &out[i]);
    PQclear(r);
    return n;
}

static int pg_recording_get(amdi_store *b, const char *account, const char *sid, amdi_recording_rec *rec, char *path,
                            size_t pathlen)
{
    pg_store *s = S(b);
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s FROM recordings WHERE sid=$1 AND account_sid=$2", s->rec_cols);
    const char *v[] = {sid, account};
    PGresult *r = amdi_pg_run_locked(s, sql, 2, v);
    int rc = amdi_pg_row_rc(r);
    if (!rc) {
        read_recording(r, 0, rec);
        if (path)
            snprintf(path, pathlen, "%s", PQgetvalue(r, 0, (int)amdi_n_rec_cols));
    }
    PQclear(r);
    return rc;
}

static int pg_recordings_open(amdi_store *b, amdi_recording_fn fn, void *user)
{
    pg_store *s = S(b);
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s FROM recordings WHERE status='in-progress' ORDER BY seq", s->rec_cols);
    PGresult *r = amdi_pg_run_locked(s, sql, 0, NULL);
    if (!r)
        return AMD_EIO;
    amdi_recording_rec rec;
    for (int i = 0; i < PQntuples(r); i++) {
        read_recording(r, i, &rec);
        fn(user, &rec, PQgetvalue(r, i, (int)amdi_n_rec_cols));
    }
    PQclear(r);
    return 0;
}

static const amdi_store_ops k_pg_ops = {
    .dialect = "postgresql",
    .close = pg_close,
    .exec = pg_exec,
    .begin_migration = pg_begin_migration,
    .account_put = pg_account_put,
    .account_token = pg_account_token,
    .accounts = pg_accounts,
    .call_insert = pg_call_insert,
    .call_update = pg_call_update,
    .call_get = pg_call_get,
    .call_params = pg_call_params,
    .call_delete = pg_call_delete,
    .call_list = pg_call_list,
    .calls_live = pg_calls_live,
    .events_dropped = pg_events_dropped,
    .event_add = pg_event_add,
    .events = pg_events,
    .recording_put = pg_recording_put,
    .recordings_at = pg_recordings_at,
    .recording_delete = pg_recording_delete,
    .recording_get = pg_recording_get,
    .recordings_open = pg_recordings_open,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .last_error = pg_last_error,
    .meta_set = pg_meta_set,
    .meta_get = pg_meta_get,
    .cluster = &amdi_pg_cluster_ops,
};
