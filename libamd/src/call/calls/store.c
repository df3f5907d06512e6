/* SPDX-License-Identifier: MIT */
/* The one store interface (store.h): picks the store from the database name and forwards each
 * operation to it (store_impl.h). */
#include <stdio.h>
#include <string.h>

#include "amd/error.h"
#include "store_cluster.h"
#include "store_impl.h"

void amdi_call_rec_init(amdi_call_rec *r)
{
    memset(r, 0, sizeof *r);
    r->date_created = r->date_updated = r->start_time = r->end_time = r->answer_time = -1;
    r->duration_s = r->queue_time_ms = r->amd_duration_ms = -1;
}

int amdi_store_is_pg(const char *name)
{
    /* libpq's connection URIs (postgresql:// and postgres://, RFC 3986) */
    return name && (!strncmp(name, "postgresql://", 13) || !strncmp(name, "postgres://", 11));
}

int amdi_store_open(const char *path, int durable, amdi_store **out, char *err, size_t errlen)
{
    if (amdi_store_is_pg(path))
        return amdi_store_pg_open(path, durable, out, err, errlen);
    return amdi_store_sqlite_open(path, durable, out, err, errlen);
}

void amdi_store_close(amdi_store *s)
{
    if (s)
        s->ops->close(s);
}

const char *amdi_store_dialect(const amdi_store *s)
{
    return s->ops->dialect;
}

const struct amdi_cluster_ops *amdi_store_cluster(const amdi_store *s)
{
    return s ? s->ops->cluster : NULL;
}

int amdi_store_account_put(amdi_store *s, const char *sid, const char *token)
{
    return s->ops->account_put(s, sid, token);
}

int amdi_store_account_token(amdi_store *s, const char *sid, char *tok, size_t toklen)
{
    return s->ops->account_token(s, sid, tok, toklen);
}

int amdi_store_accounts(amdi_store *s, amdi_account_fn fn, void *user)
{
    return s->ops->accounts(s, fn, user);
}

int amdi_store_call_insert(amdi_store *s, amdi_call_rec *r, const char *params)
{
    return s->ops->call_insert(s, r, params);
}

int amdi_store_call_update(amdi_store *s, const amdi_call_rec *r)
{
    return s->ops->call_update(s, r);
}

int amdi_store_call_get(amdi_store *s, const char *account, const char *sid, amdi_call_rec *r)
{
    return s->ops->call_get(s, account, sid, r);
}

int amdi_store_call_params(amdi_store *s, const char *sid, char **params)
{
    return s->ops->call_params(s, sid, params);
}

int amdi_store_call_delete(amdi_store *s, const char *account, const char *sid)
{
    return s->ops->call_delete(s, account, sid);
}

long amdi_store_call_list(amdi_store *s, const char *account, const amdi_list_query *q, amdi_call_rec *rows,
                          size_t cap)
{
    return s->ops->call_list(s, account, q, rows, cap);
}

int amdi_store_calls_live(amdi_store *s, amdi_call_fn fn, void *user)
{
    return s->ops->calls_live(s, fn, user);
}

long amdi_store_events_dropped(amdi_store *s, const char *call_sid)
{
    return s->ops->events_dropped(s, call_sid);
}

int amdi_store_event_add(amdi_store *s, const char *call_sid, int64_t t_ms, const char *req, const char *resp)
{
    return s->ops->event_add(s, call_sid, t_ms, req, resp);
}

long amdi_store_events(amdi_store *s, const char *call_sid, int64_t after_seq, int limit, amdi_event_fn fn,
                       void *user)
{
    return s->ops->events(s, call_sid, after_seq, limit, fn, user);
}

int amdi_store_recording_put(amdi_store *s, const amdi_recording_rec *r, const char *path)
{
    return s->ops->recording_put(s, r, path);
}

long amdi_store_recordings(amdi_store *s, const char *account, const char *call_sid, amdi_recording_rec *out,
                           size_t cap)
{
    return s->ops->recordings_at(s, account, call_sid, 0, out, cap);
}

long amdi_store_recordings_at(amdi_store *s, const char *account, const char *call_sid, int64_t offset,
                              amdi_recording_rec *out, size_t cap)
{
    return s->ops->recordings_at(s, account, call_sid, offset, out, cap);
}

int amdi_store_recording_delete(amdi_store *s, const char *account, const char *sid, char *path, size_t pathlen)
{
    amdi_recording_rec r;
    int rc = s->ops->recording_get(s, account, sid, &r, path, pathlen);
    if (rc)
        return rc;
    /* the engine still writes an in-progress one and would store it again when it ends */
    if (!strcmp(r.status, "in-progress"))
        return AMD_ESTATE;
    return s->ops->recording_delete(s, account, sid);
}

int amdi_store_recording_get(amdi_store *s, const char *account, const char *sid, amdi_recording_rec *r,
                             char *path, size_t pathlen)
{
    return s->ops->recording_get(s, account, sid, r, path, pathlen);
}

int amdi_store_recordings_open(amdi_store *s, amdi_recording_fn fn, void *user)
{
    return s->ops->recordings_open(s, fn, user);
}

int amdi_store_begin(amdi_store *s)
{
    return s->ops->begin(s);
}

int amdi_store_commit(amdi_store *s)
{
    return s->ops->commit(s);
}

void amdi_store_rollback(amdi_store *s)
{
    s->ops->rollback(s);
}

void amdi_store_last_error(amdi_store *s, char *buf, size_t n)
{
    s->ops->last_error(s, buf, n);
}

int amdi_store_meta_set(amdi_store *s, const char *key, int64_t v)
{
    return s->ops->meta_set(s, key, v);
}

int amdi_store_meta_get(amdi_store *s, const char *key, int64_t *v)
{
    return s->ops->meta_get(s, key, v);
}

int amdi_store_with_db(amdi_store *s, amdi_store_db_fn fn, void *user)
{
    return s->ops->with_sqlite ? s->ops->with_sqlite(s, fn, user) : AMD_ESTATE;
}

int amdi_store_keeps_analysis(amdi_store *s)
{
    return s->ops->with_sqlite != NULL;
}

int amdi_store_fence(amdi_store *s)
{
    const struct amdi_cluster_ops *cl = s->ops->cluster;
    return cl ? cl->fence(s) : 0;
}
