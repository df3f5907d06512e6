/* SPDX-License-Identifier: MIT */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd/error.h"
#include "store_cols.h"
#include "strbuf.h"

typedef struct sq_store {
    amdi_store base;
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *ins, *upd, *get, *get_any;
    char *call_cols, *rec_cols; /* select lists, in column-table order */
    char last_err[200]; /* why the last write failed (SQLite's message), for the caller's log */
} sq_store;

#define k_call_cols amdi_call_cols
#define N_CALL_COLS amdi_n_call_cols
#define k_rec_cols amdi_rec_cols
#define N_REC_COLS amdi_n_rec_cols

static void copy_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *st, amdi_call_rec *r)
{
    amdi_call_rec_init(r);
    amdi_cols_read(st, k_call_cols, N_CALL_COLS, r);
}

static void bind_textn(sqlite3_stmt *st, int i, const char *s)
{
    if (!s || !*s)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* The database holds auth tokens in plain text: the file and its WAL and shared-memory
 * companions are created 0600 by us, whatever the umask, before SQLite opens them (SQLite's
 * unix VFS then gives any -wal / -shm it creates later the database file's mode), and an
 * existing database with wider permissions is narrowed. */
static int private_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open database file %s: %s", path, strerror(errno));
        return AMD_EIO;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) || ((st.st_mode & 0777) != 0600 && fchmod(fd, 0600))) {
        snprintf(err, errlen, "cannot make database file %s private (mode 0600): %s", path, strerror(errno));
        rc = AMD_EIO;
    }
    close(fd);
    return rc;
}

static int private_files(const char *path, char *err, size_t errlen)
{
    if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5) || !*path)
        return 0;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    size_t n = strlen(path) + 8;
    char *p = malloc(n);
    if (!p)
        return AMD_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix && !rc; i++) {
        snprintf(p, n, "%s%s", path, suffix[i]);
        rc = private_file(p, err, errlen);
    }
    free(p);
    return rc;
}

/* The select lists of both tables, from their columns. 0 or AMD_ENOMEM. */
static int prepare_lists(sq_store *s)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_cols_list(&b, k_call_cols, N_CALL_COLS);
    s->call_cols = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    amdi_cols_list(&b, k_rec_cols, N_REC_COLS);
    amdi_buf_puts(&b, ", path");
    s->rec_cols = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    return s->call_cols && s->rec_cols ? 0 : AMD_ENOMEM;
}

static int prepare(sq_store *s, amdi_buf *b, sqlite3_stmt **st)
{
    int rc = b->oom || sqlite3_prepare_v2(s->db, b->p, -1, st, NULL) != SQLITE_OK ? AMD_EIO : 0;
    amdi_buf_free(b);
    return rc;
}

/* The call statements run on every transition, prepared once: insert, update, get. */
static int prepare_calls(sq_store *s)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_cols_insert(&b, "calls", k_call_cols, N_CALL_COLS, "params");
    if (prepare(s, &b, &s->ins))
        return AMD_EIO;
    amdi_buf_puts(&b, "UPDATE calls SET ");
    amdi_cols_changes(&b, k_call_cols, N_CALL_COLS, 0);
    amdi_buf_puts(&b, " WHERE sid=:sid");
    if (prepare(s, &b, &s->upd))
        return AMD_EIO;
    amdi_buf_printf(&b, "SELECT %s FROM calls WHERE sid=?1 AND account_sid=?2", s->call_cols);
    if (prepare(s, &b, &s->get))
        return AMD_EIO;
    amdi_buf_printf(&b, "SELECT %s FROM calls WHERE sid=?1", s->call_cols);
    return prepare(s, &b, &s->get_any);
}

static const amdi_store_ops k_sqlite_ops;
static void sq_close(amdi_store *base_);

int amdi_store_sqlite_open(const char *path, int durable, amdi_store **out, char *err, size_t errlen)
{
    *out = NULL;
    int prc = private_files(path, err, errlen);
    if (prc)
        return prc;
    sq_store *s = calloc(1, sizeof *s);
    if (!s)
        return AMD_ENOMEM;
    s->base.ops = &k_sqlite_ops;
    pthread_mutex_init(&s->mu, NULL);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "no memory");
        sq_close(&s->base);
        return AMD_EIO;
    }
    sqlite3_busy_timeout(s->db, 10000);
    char *msg = NULL;
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;",
             durable ? "FULL" : "NORMAL");
    if (prepare_lists(s)) {
        sq_close(&s->base);
        return AMD_ENOMEM;
    }
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "database %s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        sq_close(&s->base);
        return AMD_EIO;
    }
    char merr[300] = "";
    int mrc = amdi_store_migrate(&s->base, merr, sizeof merr);
    if (mrc) {
        snprintf(err, errlen, "database %s: %s", path, merr);
        sq_close(&s->base);
        return mrc;
    }
    if (prepare_calls(s)) {
        snprintf(err, errlen, "database %s: %s", path, sqlite3_errmsg(s->db));
        sq_close(&s->base);
        return AMD_EIO;
    }
    *out = &s->base;
    return 0;
}

static int sq_exec(amdi_store *base_, const char *sql)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK ? 0 : AMD_EIO;
    if (rc)
        snprintf(s->last_err, sizeof s->last_err, "%s", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* BEGIN IMMEDIATE takes the write lock at once: a second server migrating the same file waits
 * (busy_timeout) and then finds the schema current. */
static int sq_begin_migration(amdi_store *base_)
{
    return sq_exec(base_, "BEGIN IMMEDIATE");
}

static void sq_close(amdi_store *base_)
{
    sq_store *s = (sq_store *)base_;
    if (!s)
        return;
    sqlite3_finalize(s->ins);
    sqlite3_finalize(s->upd);
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->get_any);
    sqlite3_close(s->db);
    free(s->call_cols);
    free(s->rec_cols);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* A write failed: keep SQLite's reason (e.g. "database or disk is full") for the caller's log,
 * before a rollback or the next statement replaces it. Called with s->mu held. */
static int write_failed(sq_store *s)
{
    snprintf(s->last_err, sizeof s->last_err, "%s", sqlite3_errmsg(s->db));
    return AMD_EIO;
}

static void sq_last_error(amdi_store *base_, char *buf, size_t n)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    snprintf(buf, n, "%s", s->last_err[0] ? s->last_err : "unknown error");
    pthread_mutex_unlock(&s->mu);
}

/* One value for a statement's parameter: text (NULL binds NULL), text that binds NULL when empty,
 * or an integer. The i-th value of a list goes to parameter ?i+1. */
typedef struct sq_arg {
    enum { SQ_TEXT, SQ_TEXTN, SQ_INT } kind;
    const char *text;
    int64_t num;
} sq_arg;

#define A_TEXT(v) {SQ_TEXT, (v), 0}
#define A_TEXTN(v) {SQ_TEXTN, (v), 0}
#define A_INT(v) {SQ_INT, NULL, (v)}
/* The count and the array of a literal argument list, for the helpers below. */
#define ARGS(...) (int)(sizeof((const sq_arg[]){__VA_ARGS__}) / sizeof(sq_arg)), (const sq_arg[]){__VA_ARGS__}

/* Whether a failed step keeps SQLite's reason for last_error (writes) or only reports AMD_EIO. */
enum { SQ_PLAIN = 0, SQ_KEEP_REASON = 1 };

/* Prepares sql and binds the n values of a (a bind outside the statement's parameters is a
 * no-op, as SQLite reports it with SQLITE_RANGE). 0, or AMD_EIO with *st NULL when SQLite cannot
 * prepare it. Caller holds s->mu and finalizes *st (sqlite3_finalize(NULL) is harmless). */
static int prep(sq_store *s, const char *sql, sqlite3_stmt **st, int n, const sq_arg *a)
{
    *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return AMD_EIO;
    for (int i = 0; i < n; i++) {
        if (a[i].kind == SQ_INT)
            sqlite3_bind_int64(*st, i + 1, a[i].num);
        else if (a[i].kind == SQ_TEXTN)
            bind_textn(*st, i + 1, a[i].text);
        else
            sqlite3_bind_text(*st, i + 1, a[i].text, -1, SQLITE_TRANSIENT);
    }
    return 0;
}

/* prep() of "SELECT <cols> <rest>", cols being one of the select lists built at open. */
static int prep_select(sq_store *s, const char *cols, const char *rest, sqlite3_stmt **st, int n, const sq_arg *a)
{
    amdi_buf sql;
    amdi_buf_init(&sql);
    amdi_buf_printf(&sql, "SELECT %s %s", cols, rest);
    *st = NULL;
    int rc = sql.oom ? AMD_EIO : prep(s, sql.p, st, n, a);
    amdi_buf_free(&sql);
    return rc;
}

/* Steps a query expected to return one row: 0 with the row ready to read, AMD_ENOTFOUND when it
 * returned none, AMD_EIO when it failed. */
static int step_row(sqlite3_stmt *st)
{
    int x = sqlite3_step(st);
    return x == SQLITE_ROW ? 0 : x == SQLITE_DONE ? AMD_ENOTFOUND : AMD_EIO;
}

/* A statement whose rows are not wanted, prepared, bound, run and finalized: 0 or AMD_EIO (with
 * SQLite's reason kept for last_error when keep is SQ_KEEP_REASON). Caller holds s->mu. */
static int run0(sq_store *s, int keep, const char *sql, int n, const sq_arg *a)
{
    sqlite3_stmt *st;
    int rc = prep(s, sql, &st, n, a);
    if (!rc && sqlite3_step(st) != SQLITE_DONE)
        rc = keep == SQ_KEEP_REASON ? write_failed(s) : AMD_EIO;
    sqlite3_finalize(st);
    return rc;
}

/* run0() with s->mu taken and released around it. */
static int run0_locked(sq_store *s, int keep, const char *sql, int n, const sq_arg *a)
{
    pthread_mutex_lock(&s->mu);
    int rc = run0(s, keep, sql, n, a);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Steps one of the statements prepared at open, then makes it ready for its next use. */
static int step_prepared(sq_store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : write_failed(s);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int sq_account_put(amdi_store *base_, const char *sid, const char *token)
{
    return run0_locked((sq_store *)base_, SQ_PLAIN,
                       "INSERT INTO accounts(sid, token) VALUES(?1, ?2)"
                       " ON CONFLICT(sid) DO UPDATE SET token=excluded.token",
                       ARGS(A_TEXT(sid), A_TEXT(token)));
}

static int sq_account_token(amdi_store *base_, const char *sid, char *tok, size_t toklen)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT token FROM accounts WHERE sid=?1", &st, ARGS(A_TEXT(sid)));
    if (!rc && !(rc = step_row(st)))
        copy_text(st, 0, tok, toklen);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_accounts(amdi_store *base_, amdi_account_fn fn, void *user)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT sid, token FROM accounts ORDER BY rowid", &st, 0, NULL);
    if (!rc) {
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            fn(user, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
        rc = r == SQLITE_DONE ? 0 : AMD_EIO;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_call_insert(amdi_store *base_, amdi_call_rec *r, const char *params)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    amdi_cols_bind(s->ins, k_call_cols, N_CALL_COLS, r);
    sqlite3_bind_text(s->ins, sqlite3_bind_parameter_index(s->ins, ":params"), params ? params : "", -1,
                      SQLITE_TRANSIENT);
    int rc = step_prepared(s, s->ins);
    if (!rc)
        r->seq = sqlite3_last_insert_rowid(s->db);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_call_update(amdi_store *base_, const amdi_call_rec *r)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    amdi_cols_bind(s->upd, k_call_cols, N_CALL_COLS, r);
    int rc = step_prepared(s, s->upd);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_call_get(amdi_store *base_, const char *account, const char *sid, amdi_call_rec *r)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = account ? s->get : s->get_any;
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_TRANSIENT);
    if (account)
        sqlite3_bind_text(st, 2, account, -1, SQLITE_TRANSIENT);
    int rc = step_row(st);
    if (!rc)
        read_row(st, r);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_call_params(amdi_store *base_, const char *sid, char **params)
{
    sq_store *s = (sq_store *)base_;
    *params = NULL;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT params FROM calls WHERE sid=?1", &st, ARGS(A_TEXT(sid)));
    if (!rc && !(rc = step_row(st))) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *params = strdup(t ? t : "");
        rc = *params ? 0 : AMD_ENOMEM;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_with_sqlite(amdi_store *base_, amdi_store_db_fn fn, void *user)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    int rc = fn(user, s->db);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_call_delete(amdi_store *base_, const char *account, const char *sid)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    int rc = AMD_EIO;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
        rc = run0(s, SQ_PLAIN, "DELETE FROM calls WHERE sid=?1 AND account_sid=?2",
                  ARGS(A_TEXT(sid), A_TEXT(account)));
        if (!rc && sqlite3_changes(s->db) == 0)
            rc = AMD_ENOTFOUND;
        /* the call's companion rows go with it: events, dropped-event count, AMD frame summary, label */
        static const char *const k_companions[] = {"DELETE FROM events WHERE call_sid=?1",
                                                   "DELETE FROM events_dropped WHERE call_sid=?1",
                                                   "DELETE FROM amd_summary WHERE call_sid=?1",
                                                   "DELETE FROM labels WHERE call_sid=?1"};
        for (size_t i = 0; !rc && i < sizeof k_companions / sizeof k_companions[0]; i++)
            rc = run0(s, SQ_PLAIN, k_companions[i], ARGS(A_TEXT(sid)));
        sqlite3_exec(s->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static long sq_call_list(amdi_store *base_, const char *account, const amdi_list_query *q, amdi_call_rec *rows,
                          size_t cap)
{
    sq_store *s = (sq_store *)base_;
    amdi_buf sql;
    amdi_buf_init(&sql);
    amdi_buf_printf(&sql, "SELECT %s FROM calls WHERE account_sid=?1", s->call_cols);
    if (q->to)
        amdi_buf_puts(&sql, " AND to_addr=?2");
    if (q->from)
        amdi_buf_puts(&sql, " AND from_addr=?3");
    if (q->parent_call_sid)
        amdi_buf_puts(&sql, " AND parent_call_sid=?4");
    if (q->status)
        amdi_buf_puts(&sql, " AND status=?5");
    if (q->start_lo != INT64_MIN)
        amdi_buf_puts(&sql, " AND start_time>=?6");
    if (q->start_hi != INT64_MAX)
        amdi_buf_puts(&sql, " AND start_time<?7");
    if (q->end_lo != INT64_MIN)
        amdi_buf_puts(&sql, " AND end_time>=?8");
    if (q->end_hi != INT64_MAX)
        amdi_buf_puts(&sql, " AND end_time<?9");
    int before = q->has_token && q->token_before;
    if (q->has_token)
        amdi_buf_puts(&sql, before ? " AND seq>?10" : " AND seq<?10");
    amdi_buf_printf(&sql, " ORDER BY seq %s LIMIT ?11", before ? "ASC" : "DESC");
    if (!q->has_token)
        amdi_buf_puts(&sql, " OFFSET ?12");
    if (sql.oom)
        return AMD_ENOMEM;
    long n = 0;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    /* an absent filter binds NULL to a parameter the statement does not use */
    if (prep(s, sql.p, &st,
             ARGS(A_TEXT(account), A_TEXT(q->to), A_TEXT(q->from), A_TEXT(q->parent_call_sid), A_TEXT(q->status),
                  A_INT(q->start_lo), A_INT(q->start_hi), A_INT(q->end_lo), A_INT(q->end_hi), A_INT(q->token_seq),
                  A_INT((sqlite3_int64)cap), A_INT((sqlite3_int64)q->page * q->page_size)))) {
        pthread_mutex_unlock(&s->mu);
        amdi_buf_free(&sql);
        return AMD_EIO;
    }
    while ((size_t)n < cap && sqlite3_step(st) == SQLITE_ROW)
        read_row(st, &rows[n++]);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    amdi_buf_free(&sql);
    if (before) { /* fetched oldest-first: restore newest-first order */
        for (long i = 0; i < n / 2; i++) {
            amdi_call_rec t = rows[i];
            rows[i] = rows[n - 1 - i];
            rows[n - 1 - i] = t;
        }
    }
    return n;
}

static int sq_calls_live(amdi_store *base_, amdi_call_fn fn, void *user)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep_select(s, s->call_cols, "FROM calls WHERE status IN ('queued','ringing','in-progress') ORDER BY seq",
                         &st, 0, NULL);
    if (!rc) {
        int x;
        amdi_call_rec r;
        while ((x = sqlite3_step(st)) == SQLITE_ROW) {
            read_row(st, &r);
            fn(user, &r);
        }
        rc = x == SQLITE_DONE ? 0 : AMD_EIO;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Keep a call's first AMDI_EVENTS_KEEP_FIRST and last AMDI_EVENTS_KEEP_LAST events: drop the
 * oldest one after the first ones, and count it. Caller holds s->mu. */
static int trim_events(sq_store *s, const char *call_sid)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    if (prep(s, "SELECT COUNT(*) FROM events WHERE call_sid=?1", &st, ARGS(A_TEXT(call_sid))))
        return AMD_EIO;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    int64_t over = n - (AMDI_EVENTS_KEEP_FIRST + AMDI_EVENTS_KEEP_LAST);
    if (over <= 0)
        return 0;
    int rc = run0(s, SQ_KEEP_REASON,
                  "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE call_sid=?1"
                  " ORDER BY seq LIMIT ?2 OFFSET ?3)",
                  ARGS(A_TEXT(call_sid), A_INT(over), A_INT(AMDI_EVENTS_KEEP_FIRST)));
    if (rc)
        return rc;
    return run0(s, SQ_KEEP_REASON,
                "INSERT INTO events_dropped(call_sid, n) VALUES(?1, ?2)"
                " ON CONFLICT(call_sid) DO UPDATE SET n = n + excluded.n",
                ARGS(A_TEXT(call_sid), A_INT(over)));
}

static int sq_event_add(amdi_store *base_, const char *call_sid, int64_t t_ms, const char *req, const char *resp)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    int rc = run0(s, SQ_KEEP_REASON, "INSERT INTO events(call_sid, t, request, response) VALUES(?1,?2,?3,?4)",
                  ARGS(A_TEXT(call_sid), A_INT(t_ms), A_TEXTN(req), A_TEXTN(resp)));
    if (!rc)
        rc = trim_events(s, call_sid);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static long sq_events_dropped(amdi_store *base_, const char *call_sid)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    long n = AMD_EIO;
    if (!prep(s, "SELECT n FROM events_dropped WHERE call_sid=?1", &st, ARGS(A_TEXT(call_sid))))
        n = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static long sq_events(amdi_store *base_, const char *call_sid, int64_t after_seq, int limit, amdi_event_fn fn,
                       void *user)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    long n = AMD_EIO;
    if (!prep(s,
              "SELECT seq, t, request, response FROM events WHERE call_sid=?1 AND seq>?2"
              " ORDER BY seq LIMIT ?3",
              &st, ARGS(A_TEXT(call_sid), A_INT(after_seq), A_INT(limit)))) {
        n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            fn(user, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
               (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3));
            n++;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int sq_meta_set(amdi_store *base_, const char *key, int64_t v)
{
    return run0_locked((sq_store *)base_, SQ_KEEP_REASON,
                       "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                       " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                       ARGS(A_TEXT(key), A_INT(v)));
}

static int sq_meta_get(amdi_store *base_, const char *key, int64_t *v)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT value FROM meta WHERE key=?1", &st, ARGS(A_TEXT(key)));
    if (!rc && !(rc = step_row(st)))
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_recording_put(amdi_store *base_, const amdi_recording_rec *r, const char *path)
{
    sq_store *s = (sq_store *)base_;
    amdi_buf sql;
    amdi_buf_init(&sql);
    amdi_cols_insert(&sql, "recordings", k_rec_cols, N_REC_COLS, "path");
    amdi_buf_puts(&sql, " ON CONFLICT(sid) DO UPDATE SET ");
    amdi_cols_changes(&sql, k_rec_cols, N_REC_COLS, 1);
    if (sql.oom)
        return AMD_ENOMEM;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep(s, sql.p, &st, 0, NULL);
    if (!rc) {
        amdi_cols_bind(st, k_rec_cols, N_REC_COLS, r);
        bind_textn(st, sqlite3_bind_parameter_index(st, ":path"), path);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : write_failed(s);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    amdi_buf_free(&sql);
    return rc;
}

/* Column N_REC_COLS of a recordings row is its path. */
static void read_recording(sqlite3_stmt *st, amdi_recording_rec *r)
{
    memset(r, 0, sizeof *r);
    amdi_cols_read(st, k_rec_cols, N_REC_COLS, r);
}

static int sq_recording_delete(amdi_store *base_, const char *account, const char *sid)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    int rc = run0(s, SQ_PLAIN, "DELETE FROM recordings WHERE sid=?1 AND account_sid=?2",
                  ARGS(A_TEXT(sid), A_TEXT(account)));
    if (!rc && !sqlite3_changes(s->db))
        rc = AMD_ENOTFOUND;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static long sq_recordings_at(amdi_store *base_, const char *account, const char *call_sid, int64_t offset,
                              amdi_recording_rec *out, size_t cap)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    long n = AMD_EIO;
    const char *rest = call_sid
                           ? "FROM recordings WHERE account_sid=?1 AND call_sid=?2 ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
                           : "FROM recordings WHERE account_sid=?1 ORDER BY seq DESC LIMIT ?3 OFFSET ?4";
    if (!prep_select(s, s->rec_cols, rest, &st,
                     ARGS(A_TEXT(account), A_TEXT(call_sid), A_INT((sqlite3_int64)cap),
                          A_INT((sqlite3_int64)offset)))) {
        n = 0;
        while ((size_t)n < cap && sqlite3_step(st) == SQLITE_ROW)
            read_recording(st, &out[n++]);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int sq_recording_get(amdi_store *base_, const char *account, const char *sid, amdi_recording_rec *r,
                             char *path, size_t pathlen)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep_select(s, s->rec_cols, "FROM recordings WHERE sid=?1 AND account_sid=?2", &st,
                         ARGS(A_TEXT(sid), A_TEXT(account)));
    if (!rc && !(rc = step_row(st))) {
        read_recording(st, r);
        if (path)
            copy_text(st, (int)N_REC_COLS, path, pathlen);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_recordings_open(amdi_store *base_, amdi_recording_fn fn, void *user)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = prep_select(s, s->rec_cols, "FROM recordings WHERE status='in-progress' ORDER BY seq", &st, 0, NULL);
    if (!rc) {
        int x;
        amdi_recording_rec r;
        while ((x = sqlite3_step(st)) == SQLITE_ROW) {
            read_recording(st, &r);
            const unsigned char *p = sqlite3_column_text(st, (int)N_REC_COLS);
            fn(user, &r, p ? (const char *)p : "");
        }
        rc = x == SQLITE_DONE ? 0 : AMD_EIO;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_begin(amdi_store *base_)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : write_failed(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int sq_commit(amdi_store *base_)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_BUSY) { /* another connection holds the lock past busy_timeout: keep trying */
        for (int i = 0; i < 100 && rc == SQLITE_BUSY; i++)
            rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        write_failed(s);
        if (!sqlite3_get_autocommit(s->db)) /* SQLite may have rolled back already (SQLITE_FULL) */
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    return rc == SQLITE_OK ? 0 : AMD_EIO;
}

static void sq_rollback(amdi_store *base_)
{
    sq_store *s = (sq_store *)base_;
    pthread_mutex_lock(&s->mu);
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->mu);
}

static const amdi_store_ops k_sqlite_ops = {
    .dialect = "sqlite",
    .close = sq_close,
    .exec = sq_exec,
    .begin_migration = sq_begin_migration,
    .account_put = sq_account_put,
    .account_token = sq_account_token,
    .accounts = sq_accounts,
    .call_insert = sq_call_insert,
    .call_update = sq_call_update,
    .call_get = sq_call_get,
    .call_params = sq_call_params,
    .call_delete = sq_call_delete,
    .call_list = sq_call_list,
    .calls_live = sq_calls_live,
    .events_dropped = sq_events_dropped,
    .event_add = sq_event_add,
    .events = sq_events,
    .recording_put = sq_recording_put,
    .recordings_at = sq_recordings_at,
    .recording_delete = sq_recording_delete,
    .recording_get = sq_recording_get,
    .recordings_open = sq_recordings_open,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .last_error = sq_last_error,
    .meta_set = sq_meta_set,
    .meta_get = sq_meta_get,
    .with_sqlite = sq_with_sqlite,
    .cluster = NULL,
};
