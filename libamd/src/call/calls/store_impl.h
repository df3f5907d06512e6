/* SPDX-License-Identifier: MIT */
/* libamdcall, store internals: the one store interface (store.h) and what each store behind it
 * provides. store.c picks the implementation from the database name (a PostgreSQL URL or
 * key=value connection string selects store_pg.c, anything else is an SQLite file,
 * store_sqlite.c), applies the versioned migrations (store_schema.c) and forwards every call
 * through the table below; nothing else in the server knows which store it has. */
#ifndef AMDI_STORE_IMPL_H
#define AMDI_STORE_IMPL_H

#include "store.h"

typedef struct amdi_store_ops {
    const char *dialect; /* "sqlite" or "postgresql" */
    void (*close)(amdi_store *s);
    /* Run @p sql (one or more statements, no parameters, no rows wanted). 0 or AMD_EIO. */
    int (*exec)(amdi_store *s, const char *sql);
    /* Begin the migration transaction, holding the lock that serialises migrating servers. */
    int (*begin_migration)(amdi_store *s);
    int (*account_put)(amdi_store *s, const char *sid, const char *token);
    int (*account_token)(amdi_store *s, const char *sid, char *tok, size_t toklen);
    int (*accounts)(amdi_store *s, amdi_account_fn fn, void *user);
    int (*call_insert)(amdi_store *s, amdi_call_rec *r, const char *params);
    int (*call_update)(amdi_store *s, const amdi_call_rec *r);
    int (*call_get)(amdi_store *s, const char *account, const char *sid, amdi_call_rec *r);
    int (*call_params)(amdi_store *s, const char *sid, char **params);
    int (*call_delete)(amdi_store *s, const char *account, const char *sid);
    long (*call_list)(amdi_store *s, const char *account, const amdi_list_query *q, amdi_call_rec *rows, size_t cap);
    int (*calls_live)(amdi_store *s, amdi_call_fn fn, void *user);
    long (*events_dropped)(amdi_store *s, const char *call_sid);
    int (*event_add)(amdi_store *s, const char *call_sid, int64_t t_ms, const char *req, const char *resp);
    long (*events)(amdi_store *s, const char *call_sid, int64_t after_seq, int limit, amdi_event_fn fn, void *user);
    int (*recording_put)(amdi_store *s, const amdi_recording_rec *r, const char *path);
    long (*recordings_at)(amdi_store *s, const char *account, const char *call_sid, int64_t offset,
                          amdi_recording_rec *out, size_t cap);
    int (*recording_delete)(amdi_store *s, const char *account, const char *sid);
    int (*recording_get)(amdi_store *s, const char *account, const char *sid, amdi_recording_rec *r, char *path,
                         size_t pathlen);
    int (*recordings_open)(amdi_store *s, amdi_recording_fn fn, void *user);
    int (*begin)(amdi_store *s);
    int (*commit)(amdi_store *s);
    void (*rollback)(amdi_store *s);
    void (*last_error)(amdi_store *s, char *buf, size_t n);
    int (*meta_set)(amdi_store *s, const char *key, int64_t v);
    int (*meta_get)(amdi_store *s, const char *key, int64_t *v);
    /* Run @p fn on the store's SQLite connection, locked (amdi_store_with_db: the console's AMD
     * frame summaries and labels); NULL in a store that keeps no such tables (PostgreSQL). */
    int (*with_sqlite)(amdi_store *s, amdi_store_db_fn fn, void *user);
    /* Shared-database operations (store_cluster.h); NULL in a store only one process uses. */
    const struct amdi_cluster_ops *cluster;
} amdi_store_ops;

/* Every store begins with this. */
struct amdi_store {
    const amdi_store_ops *ops;
};

int amdi_store_sqlite_open(const char *path, int durable, amdi_store **out, char *err, size_t errlen);
int amdi_store_pg_open(const char *conninfo, int durable, amdi_store **out, char *err, size_t errlen);

/* Versioned schema (store_schema.c): bring the database to AMDI_SCHEMA_VERSION, or refuse one
 * written by a newer server. 0, AMD_EIO or AMD_EVERSION with @p err. */
#define AMDI_SCHEMA_VERSION 4
int amdi_store_migrate(amdi_store *s, char *err, size_t errlen);
/* @p sql (written for SQLite) in @p dialect's words; caller frees. NULL when out of memory. */
char *amdi_sql_dialect(const char *dialect, const char *sql);

/* The column tables of the calls and recordings tables, shared by every store. */
#include "store_cols.h"
extern const amdi_store_col amdi_call_cols[];
extern const size_t amdi_n_call_cols;
extern const amdi_store_col amdi_rec_cols[];
extern const size_t amdi_n_rec_cols;

#endif
