/* SPDX-License-Identifier: MIT */
/* libamdcall: what several `amd serve` processes sharing one PostgreSQL database need from the
 * store, beyond store.h (amdi_store_cluster() returns NULL for a single-process store).
 *
 * Instances: each process has a name and a lease, its row in `instances` with a heartbeat it
 * renews every second. A call being placed or in progress is owned by one instance (calls.owner)
 * and runs there. A process whose heartbeat is older than the lease is dead: another process
 * marks it so (once: the row is locked) and takes its live calls over, to close them out.
 * The CPS queue is shared: queued calls have no owner until a process claims them, one slot at
 * a time per account across the cluster (amd_claim, store_schema.c). Notifications
 * (LISTEN/NOTIFY on one channel) carry updates to the owner of a call and its answer back. */
#ifndef AMDI_STORE_CLUSTER_H
#define AMDI_STORE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define AMDI_CLUSTER_CHANNEL "amd_cluster"

typedef struct amdi_claim {
    char sid[35];
    int64_t slot_ms; /* the CPS slot the call was given: its start_time */
} amdi_claim;

/* A call taken over from a dead instance; @p heartbeat is that instance's last one. */
typedef void (*amdi_adopt_fn)(void *user, const amdi_call_rec *r, int64_t heartbeat);
typedef void (*amdi_notify_fn)(void *user, const char *payload);

typedef struct amdi_cluster_ops {
    /* Renew @p instance's lease at @p now_ms. @p start: (re)join as running, with a new *@p epoch
     * (each join has its own: a batch of the old one can never pass amdi_store_fence); otherwise
     * renew the lease of *@p epoch. 0; AMD_ESTATE when the instance was declared dead meanwhile
     * (its calls belong to others now); AMD_EIO. */
    int (*beat)(amdi_store *s, const char *instance, int64_t now_ms, int start, int64_t *epoch);
    /* amdi_store_fence: the lease of the instance and epoch given by as_instance. */
    int (*fence)(amdi_store *s);
    /* A clean stop: the instance leaves (state 'stopped'). The calls it claimed and never dialed go
     * back to the shared queue: those never marked (mark_dialing) and @p undialed (marked, then
     * not dialed after all). */
    int (*leave)(amdi_store *s, const char *instance, int64_t now_ms, const char *const *undialed, size_t n);
    /* Claim up to @p cap due calls of @p account's shared queue for @p instance, one every
     * @p gap_us across the cluster. Count or a negative error. */
    long (*claim)(amdi_store *s, const char *account, const char *instance, int64_t now_ms, int64_t gap_us,
                  amdi_claim *out, size_t cap);
    /* Take over the live calls of every instance whose lease expired at @p now_ms (heartbeat
     * older than @p lease_ms), and with @p self also those of @p instance's own earlier run; each
     * goes to @p fn after the commit. A call claimed but never dialed (mark_dialing) goes back to
     * the shared queue instead, unless it was created more than @p horizon_ms ago. Count of the
     * calls taken over, or a negative error. */
    long (*adopt)(amdi_store *s, const char *instance, int64_t now_ms, int64_t lease_ms, int self,
                  int64_t horizon_ms, amdi_adopt_fn fn, void *user);
    /* Before the claimed calls @p sids go to be dialed: mark those @p instance still owns, while it
     * holds its lease at @p epoch, as being dialed (from then on a take-over ends them rather than
     * queueing them again); ok[i] = 1 for each, which alone may be dialed. Count marked, or a
     * negative error (dial none). */
    long (*mark_dialing)(amdi_store *s, const char *instance, int64_t epoch, const char *const *sids, size_t n,
                         int64_t now_ms, int *ok);
    /* Change the create form of a call still waiting in the shared queue: @p edit gets the stored
     * form and returns the new one (malloc'd; NULL: out of memory), with the row locked so that no
     * process claims the call meanwhile. 0, AMD_ENOTFOUND when it no longer waits, AMD_ENOMEM,
     * AMD_EIO. */
    int (*update_queued)(amdi_store *s, const char *sid, int64_t now_ms, char *(*edit)(void *user, const char *form),
                         void *user);
    /* A second connection to the same database (a thread of its own: the forwarded updates). */
    int (*open_peer)(amdi_store *s, amdi_store **out, char *err, size_t errlen);
    /* The owner of call @p sid into @p owner ("" while queued); 0, AMD_ENOTFOUND, AMD_EIO. */
    int (*owner)(amdi_store *s, const char *sid, char *owner, size_t n);
    /* Take a call still waiting in the shared queue for @p instance (to cancel or change it).
     * 0, AMD_ENOTFOUND when it is no longer waiting (claimed or ended), AMD_EIO. */
    int (*take_queued)(amdi_store *s, const char *sid, const char *instance);
    /* This connection writes for @p instance: its call updates apply only to calls that
     * instance owns (or no one does), so a process declared dead cannot overwrite the close-out
     * of the process that took its calls over. */
    void (*as_instance)(amdi_store *s, const char *instance, int64_t epoch);
    /* Calls of @p account waiting in the shared queue (count or a negative error). */
    long (*queued)(amdi_store *s, const char *account);
    int (*notify)(amdi_store *s, const char *payload);
    int (*listen)(amdi_store *s);
    /* Wait up to @p timeout_ms for notifications; each goes to @p fn. 0 or AMD_EIO. */
    int (*wait)(amdi_store *s, int timeout_ms, amdi_notify_fn fn, void *user);
} amdi_cluster_ops;

/* A database name for logs: the password of a connection URI replaced by "***". */
void amdi_db_redact(const char *name, char *out, size_t n);

#endif
