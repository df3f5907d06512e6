/* SPDX-License-Identifier: MIT */
/* libamdcall: persistence of accounts, calls and call events: the one store interface. The
 * database name picks the store: a PostgreSQL connection URI (postgresql://... or
 * postgres://...) selects PostgreSQL (several servers may share it; see store_cluster.h),
 * anything else is an SQLite file (WAL mode), the embedded default for one server. Both have
 * the same schema, brought to the binary's version on open (store_schema.c).
 *
 * SQLite:
 * Durability: the API's connection runs with synchronous=FULL, so a call is on disk before
 * its 201 is sent; the engine's connection runs with synchronous=NORMAL, which in WAL mode
 * loses nothing on a process crash (only an OS crash can drop the last transitions).
 * Every transition is committed before any webhook about it is queued.
 * Each amdi_store is one connection guarded by its own mutex; open one per thread role. */
#ifndef AMDI_STORE_H
#define AMDI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "amd/call.h"
#include "amd/detector.h"
#include "params.h"

typedef struct amdi_store amdi_store;

/* A call row. Times are UTC ms since the epoch; -1 = null. */
typedef struct amdi_call_rec {
    int64_t seq; /* insertion order, the paging key (newest first) */
    char sid[35], account_sid[35], parent_call_sid[35];
    char to[AMDI_ADDR_MAX + 1], from[AMDI_ADDR_MAX + 1];
    amd_call_status status;      /* resource status; queued until ringing (a string only in the store and on the wire) */
    amd_answered_by answered_by; /* AMD_ANSWERED_NONE: no AMD result (yet) */
    int64_t date_created, date_updated, start_time, end_time;
    int64_t answer_time; /* internal: when the far end answered (duration base); -1 */
    int64_t duration_s, queue_time_ms, amd_duration_ms;
    int cb_seq; /* next status-callback SequenceNumber */
    int error_code;
    char error_message[160];
} amdi_call_rec;

void amdi_call_rec_init(amdi_call_rec *r);

/* Nonzero when @p name is a PostgreSQL connection URI. */
int amdi_store_is_pg(const char *name);
/* "sqlite" or "postgresql". */
const char *amdi_store_dialect(const amdi_store *s);
/* The shared-database operations of the store, NULL for a single-process store. */
struct amdi_cluster_ops;
const struct amdi_cluster_ops *amdi_store_cluster(const amdi_store *s);

/* Open (creating the schema if needed, migrating an older one; AMD_EVERSION for a newer one). @p durable selects synchronous=FULL. The database
 * file and its -wal / -shm are made 0600 whatever the umask (they hold auth tokens). */
int amdi_store_open(const char *path, int durable, amdi_store **out, char *err, size_t errlen);
void amdi_store_close(amdi_store *s);

/* Accounts. */
int amdi_store_account_put(amdi_store *s, const char *sid, const char *token);
/* Token for @p sid into @p tok (>= 65 bytes). 0, AMD_ENOTFOUND or AMD_EIO. */
int amdi_store_account_token(amdi_store *s, const char *sid, char *tok, size_t toklen);
typedef void (*amdi_account_fn)(void *user, const char *sid, const char *token);
int amdi_store_accounts(amdi_store *s, amdi_account_fn fn, void *user);

/* Calls. insert fills r->seq. @p params is the create form, form-encoded. */
int amdi_store_call_insert(amdi_store *s, amdi_call_rec *r, const char *params);
int amdi_store_call_update(amdi_store *s, const amdi_call_rec *r);
/* Fetch one call of @p account (NULL: any account). 0 or AMD_ENOTFOUND / AMD_EIO. */
int amdi_store_call_get(amdi_store *s, const char *account, const char *sid, amdi_call_rec *r);
/* The create form of a call (caller frees). */
int amdi_store_call_params(amdi_store *s, const char *sid, char **params);
int amdi_store_call_delete(amdi_store *s, const char *account, const char *sid);

/* A list page: rows matching @p q, newest first, starting after/before the token or at
 * page*page_size. @p rows gets up to q->page_size + 1 rows (one extra tells whether a next
 * page exists); returns the count or a negative error. */
long amdi_store_call_list(amdi_store *s, const char *account, const amdi_list_query *q, amdi_call_rec *rows,
                          size_t cap);

typedef void (*amdi_call_fn)(void *user, const amdi_call_rec *r);
/* Calls whose status is not final (restart recovery). */
int amdi_store_calls_live(amdi_store *s, amdi_call_fn fn, void *user);

/* Events (webhook requests and responses, errors) of a call, JSON text each. A call keeps its
 * first AMDI_EVENTS_KEEP_FIRST and its last AMDI_EVENTS_KEEP_LAST events; those in between are
 * dropped as new ones arrive (a <Redirect> loop must not grow the database without bound) and
 * counted: amdi_store_events_dropped(). */
#define AMDI_EVENTS_KEEP_FIRST 100
#define AMDI_EVENTS_KEEP_LAST 100
long amdi_store_events_dropped(amdi_store *s, const char *call_sid);
int amdi_store_event_add(amdi_store *s, const char *call_sid, int64_t t_ms, const char *request_json,
                         const char *response_json);
typedef void (*amdi_event_fn)(void *user, int64_t seq, int64_t t_ms, const char *req, const char *resp);
long amdi_store_events(amdi_store *s, const char *call_sid, int64_t after_seq, int limit, amdi_event_fn fn,
                       void *user);

/* Recordings (Record=true). Times UTC ms; -1 = null. */
typedef struct amdi_recording_rec {
    char sid[35], account_sid[35], call_sid[35];
    char status[16]; /* in-progress, completed, absent, failed */
    char track[12];  /* inbound, outbound, both */
    int channels;
    int64_t date_created, date_updated, start_time, duration_s;
    int error_code;
} amdi_recording_rec;

/* Insert or replace by sid; @p path is where the media lives (not exposed on the wire). */
int amdi_store_recording_put(amdi_store *s, const amdi_recording_rec *r, const char *path);
/* Recordings of @p account (and of @p call_sid when not NULL), newest first; count or error. */
long amdi_store_recordings(amdi_store *s, const char *account, const char *call_sid, amdi_recording_rec *out,
                           size_t cap);
/* The same, skipping the @p offset newest (a list page). */
long amdi_store_recordings_at(amdi_store *s, const char *account, const char *call_sid, int64_t offset,
                              amdi_recording_rec *out, size_t cap);
/* Delete a recording of @p account that is not in progress; @p path receives its media path.
 * 0, AMD_ENOTFOUND, AMD_ESTATE (in progress), AMD_EIO. */
int amdi_store_recording_delete(amdi_store *s, const char *account, const char *sid, char *path, size_t pathlen);
/* One recording; @p path (may be NULL) receives the media path. 0 or AMD_ENOTFOUND / AMD_EIO. */
int amdi_store_recording_get(amdi_store *s, const char *account, const char *sid, amdi_recording_rec *r,
                             char *path, size_t pathlen);

/* Recordings left in-progress by a dead process (@p path: their media file). The callback
 * runs with the store locked: copy, do not call back into the store. */
typedef void (*amdi_recording_fn)(void *user, const amdi_recording_rec *r, const char *path);
int amdi_store_recordings_open(amdi_store *s, amdi_recording_fn fn, void *user);

/* Group commit: statements between begin and commit become one transaction (one WAL append).
 * The engine brackets each media-clock tick with them. 0 or AMD_EIO; a failed commit is
 * rolled back (nothing of the transaction stays). rollback abandons an open transaction
 * (after a statement inside it failed). */
int amdi_store_begin(amdi_store *s);
/* Inside a transaction on a shared database (store_cluster.h): 0 while the process this
 * connection writes for still holds its lease (kept until the commit, so no other process can
 * take its calls over meanwhile), AMD_ESTATE once the others declared it dead, AMD_EIO. Always
 * 0 on a store only one process uses. */
int amdi_store_fence(amdi_store *s);
int amdi_store_commit(amdi_store *s);
void amdi_store_rollback(amdi_store *s);

/* Why the last write on this connection failed, in SQLite's words (e.g. "database or disk is
 * full"): for logs and error messages. */
void amdi_store_last_error(amdi_store *s, char *buf, size_t n);

/* Key/value metadata (e.g. the heartbeat used to close out calls after a crash). */
int amdi_store_meta_set(amdi_store *s, const char *key, int64_t v);
int amdi_store_meta_get(amdi_store *s, const char *key, int64_t *v);

/* The tables of other concepts kept beside a call (the AMD frame summary, labels): run @p fn
 * on this connection with it locked, and return what it returns. Their schemas are created
 * with the store's (and their rows deleted with the call). */
struct sqlite3;
typedef int (*amdi_store_db_fn)(void *user, struct sqlite3 *db);
int amdi_store_with_db(amdi_store *s, amdi_store_db_fn fn, void *user);
/* 1 when the store keeps those tables (SQLite); 0 (PostgreSQL): amdi_store_with_db answers
 * AMD_ESTATE, so the console has no decision pictures or labels there. */
int amdi_store_keeps_analysis(amdi_store *s);

#endif
