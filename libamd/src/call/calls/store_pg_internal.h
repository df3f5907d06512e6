/* SPDX-License-Identifier: MIT */
/* What the PostgreSQL store's files share: the connection record and the statement helpers
 * (store_pg.c) used by the cluster operations (store_pg_cluster.c). Internal to libamdcall. */
#ifndef AMDI_STORE_PG_INTERNAL_H
#define AMDI_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>

#include "store_cluster.h"
#include "store_impl.h"

typedef struct pg_store {
    amdi_store base;
    PGconn *c;
    pthread_mutex_t mu;
    char *call_cols, *rec_cols;
    char *ins_sql, *upd_sql;
    int in_tx;
    int prepared; /* the statements below are prepared on this connection (a reset loses them) */
    char instance[64]; /* set (cluster as_instance): call updates apply only to calls it owns */
    int64_t epoch;     /* ... and batches only while that instance holds this lease (pg_fence) */
    int fence_rc;      /* the lease check made with BEGIN (begin_fenced) */
    int durable;       /* synchronous_commit on (session_setup) */
    char *conninfo;    /* for open_peer */
    char last_err[240];
} pg_store;

#define S(b) ((pg_store *)(b))
#define MAXP 16

/* Keeps the server's message of a failed result for last_error. */
void amdi_pg_keep_error(pg_store *s, const PGresult *r);
/* Resets a broken connection (session settings and prepared statements again). */
void amdi_pg_reset(pg_store *s);
/* Runs one statement with text parameters; the caller holds s->mu. */
PGresult *amdi_pg_run(pg_store *s, const char *sql, int n, const char *const *v);
/* The same, for statements without rows: 0 or AMD_EIO. */
int amdi_pg_run0(pg_store *s, const char *sql, int n, const char *const *v);
/* amdi_pg_run / amdi_pg_run0 under s->mu. */
PGresult *amdi_pg_run_locked(pg_store *s, const char *sql, int n, const char *const *v);
int amdi_pg_run0_locked(pg_store *s, const char *sql, int n, const char *const *v);
/* A one-row result: 0, AMD_ENOTFOUND or AMD_EIO. */
int amdi_pg_row_rc(const PGresult *r);
/* Row @p row of a calls select into @p rec. */
void amdi_pg_read_call(const PGresult *r, int row, amdi_call_rec *rec);

/* Leases, the shared queue, take-over and forwarded updates (store_pg_cluster.c). */
extern const amdi_cluster_ops amdi_pg_cluster_ops;

#endif
