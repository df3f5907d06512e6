/* SPDX-License-Identifier: MIT */
/* The one store interface, the same checks for every store behind it: SQLite always, and
 * PostgreSQL when AMD_TEST_PG_URI names a database (tests/integration/test_pg_store.py starts a
 * throwaway one and runs this suite against it). Also the versioned schema (a newer one is
 * refused), the SQL dialect translation and the redaction of database names for messages. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "store.h"
#include "store_cluster.h"
#include "store_impl.h"

Suite *call_store_iface_suite(void);

static char g_db[512];
static char g_acct[35];
static int g_pg;

/* Each test: a fresh SQLite file, or the PostgreSQL database with a fresh account (calls of
 * other runs stay invisible: every query is per account or per SID). */
static void setup_sqlite(void)
{
    g_pg = 0;
    snprintf(g_db, sizeof g_db, "/tmp/amd-check-iface-%d.db", (int)getpid());
    unlink(g_db);
}

static void setup_pg(void)
{
    g_pg = 1;
    const char *u = getenv("AMD_TEST_PG_URI");
    snprintf(g_db, sizeof g_db, "%s", u ? u : "");
}

static void teardown(void)
{
    if (!g_pg) {
        char p[600];
        unlink(g_db);
        snprintf(p, sizeof p, "%s-wal", g_db);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", g_db);
        unlink(p);
    }
}

static amdi_store *open_db(void)
{
    amdi_store *s = NULL;
    char err[400] = "";
    ck_assert_msg(amdi_store_open(g_db, 1, &s, err, sizeof err) == 0, "%s", err);
    static unsigned n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(g_acct, sizeof g_acct, "AC%08x%08x%08x%08x", (unsigned)getpid(), (unsigned)ts.tv_sec,
             (unsigned)ts.tv_nsec, ++n);
    return s;
}

/* Skip the PostgreSQL run of a test without a database to run it on. */
#define NEED_DB()                                                                          \
    do {                                                                                   \
        if (g_pg && !g_db[0]) {                                                            \
            printf("SKIP %s on PostgreSQL: AMD_TEST_PG_URI not set\n", __func__);          \
            return;                                                                        \
        }                                                                                  \
    } while (0)

static void make(amdi_call_rec *r, int i, const char *status)
{
    amdi_call_rec_init(r);
    snprintf(r->sid, sizeof r->sid, "CA%.16s%08x%08x", g_acct + 2 + 16, (unsigned)i, (unsigned)getpid());
    snprintf(r->account_sid, sizeof r->account_sid, "%s", g_acct);
    snprintf(r->to, sizeof r->to, "+1555123%04d", i % 3);
    snprintf(r->from, sizeof r->from, "+15005550006");
    ck_assert_int_eq(amd_call_status_parse(status, &r->status), 0);
    r->date_created = r->date_updated = 1700000000000LL + i * 1000;
}

START_TEST(round_trip_nulls_and_update)
{
    NEED_DB();
    amdi_store *s = open_db();
    amdi_call_rec r, g;
    make(&r, 1, "queued");
    ck_assert_int_eq(amdi_store_call_insert(s, &r, "To=%2B15551230001&Url=http%3A%2F%2Fx"), 0);
    ck_assert_int_gt(r.seq, 0);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &g), 0);
    ck_assert_int_eq(g.seq, r.seq);
    ck_assert_int_eq(g.status, AMD_CALL_QUEUED);
    ck_assert_int_eq(g.answered_by, AMD_ANSWERED_NONE);
    ck_assert_int_eq(g.start_time, -1);
    ck_assert_int_eq(g.duration_s, -1);
    ck_assert_str_eq(g.parent_call_sid, "");
    ck_assert_int_eq(g.error_code, 0);
    ck_assert_int_eq(amdi_store_call_get(s, "AC00000000000000000000000000000099", r.sid, &g), AMD_ENOTFOUND);
    char *params = NULL;
    ck_assert_int_eq(amdi_store_call_params(s, r.sid, &params), 0);
    ck_assert_str_eq(params, "To=%2B15551230001&Url=http%3A%2F%2Fx");
    free(params);
    r.status = AMD_CALL_COMPLETED;
    r.answered_by = AMD_ANSWERED_MACHINE_END_BEEP;
    r.start_time = 1700000001000LL;
    r.end_time = 1700000009000LL;
    r.duration_s = 8;
    r.cb_seq = 4;
    r.error_code = 11200;
    snprintf(r.error_message, sizeof r.error_message, "fetch failed: it's \"quoted\"");
    ck_assert_int_eq(amdi_store_call_update(s, &r), 0);
    ck_assert_int_eq(amdi_store_call_get(s, NULL, r.sid, &g), 0);
    ck_assert_int_eq(g.status, AMD_CALL_COMPLETED);
    ck_assert_int_eq(g.answered_by, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_eq(g.end_time, 1700000009000LL);
    ck_assert_int_eq(g.duration_s, 8);
    ck_assert_int_eq(g.cb_seq, 4);
    ck_assert_int_eq(g.error_code, 11200);
    ck_assert_str_eq(g.error_message, "fetch failed: it's \"quoted\"");
    ck_assert_int_eq(amdi_store_call_delete(s, g_acct, r.sid), 0);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &g), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_store_call_delete(s, g_acct, r.sid), AMD_ENOTFOUND);
    amdi_store_close(s);
}
END_TEST

START_TEST(list_filters_and_paging)
{
    NEED_DB();
    amdi_store *s = open_db();
    amdi_call_rec r;
    int64_t seq[10];
    for (int i = 0; i < 10; i++) {
        make(&r, 100 + i, i % 2 ? "completed" : "busy");
        r.start_time = 1700000000000LL + i * 1000;
        ck_assert_int_eq(amdi_store_call_insert(s, &r, ""), 0);
        seq[i] = r.seq;
    }
    amdi_list_query q;
    memset(&q, 0, sizeof q);
    q.start_lo = q.end_lo = INT64_MIN;
    q.start_hi = q.end_hi = INT64_MAX;
    q.page_size = 4;
    amdi_call_rec rows[11];
    long n = amdi_store_call_list(s, g_acct, &q, rows, 5);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(rows[0].seq, seq[9]); /* newest first */
    ck_assert_int_eq(rows[3].seq, seq[6]);
    /* the next page after the 4th row, by token */
    q.has_token = 1;
    q.token_seq = rows[3].seq;
    n = amdi_store_call_list(s, g_acct, &q, rows, 5);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(rows[0].seq, seq[5]);
    /* the previous page before that row: back to newest-first order */
    q.token_before = 1;
    q.token_seq = seq[5];
    n = amdi_store_call_list(s, g_acct, &q, rows, 4);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(rows[0].seq, seq[9]);
    ck_assert_int_eq(rows[3].seq, seq[6]);
    /* filters: status and a start_time range */
    memset(&q, 0, sizeof q);
    q.start_lo = 1700000002000LL;
    q.start_hi = 1700000006000LL;
    q.end_lo = INT64_MIN;
    q.end_hi = INT64_MAX;
    q.status = "completed";
    q.page_size = 50;
    n = amdi_store_call_list(s, g_acct, &q, rows, 11);
    ck_assert_int_eq(n, 2); /* i = 3, 5 */
    ck_assert_int_eq(rows[0].seq, seq[5]);
    ck_assert_int_eq(rows[1].seq, seq[3]);
    /* page numbers */
    memset(&q, 0, sizeof q);
    q.start_lo = q.end_lo = INT64_MIN;
    q.start_hi = q.end_hi = INT64_MAX;
    q.page_size = 3;
    q.page = 3;
    n = amdi_store_call_list(s, g_acct, &q, rows, 4);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(rows[0].seq, seq[0]);
    /* another account sees nothing */
    n = amdi_store_call_list(s, "AC00000000000000000000000000000099", &q, rows, 4);
    ck_assert_int_eq(n, 0);
    amdi_store_close(s);
}
END_TEST

static long g_events;
static int64_t g_first_t, g_last_t;

static void count_event(void *user, int64_t seq, int64_t t, const char *req, const char *resp)
{
    (void)user;
    (void)seq;
    (void)resp;
    if (!g_events++)
        g_first_t = t;
    g_last_t = t;
    ck_assert_ptr_nonnull(req);
}

START_TEST(events_keep_first_and_last)
{
    NEED_DB();
    amdi_store *s = open_db();
    amdi_call_rec r;
    make(&r, 7, "in-progress");
    ck_assert_int_eq(amdi_store_call_insert(s, &r, ""), 0);
    int total = AMDI_EVENTS_KEEP_FIRST + AMDI_EVENTS_KEEP_LAST + 5;
    for (int i = 0; i < total; i++)
        ck_assert_int_eq(amdi_store_event_add(s, r.sid, i, "{\"method\":\"POST\"}", NULL), 0);
    ck_assert_int_eq(amdi_store_events_dropped(s, r.sid), 5);
    g_events = 0;
    long n = amdi_store_events(s, r.sid, 0, 1000, count_event, NULL);
    ck_assert_int_eq(n, AMDI_EVENTS_KEEP_FIRST + AMDI_EVENTS_KEEP_LAST);
    ck_assert_int_eq(g_first_t, 0);
    ck_assert_int_eq(g_last_t, total - 1);
    amdi_store_close(s);
}
END_TEST

START_TEST(recordings_accounts_meta_and_transactions)
{
    NEED_DB();
    amdi_store *s = open_db();
    amdi_recording_rec rec, g;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.sid, sizeof rec.sid, "RE%.32s", g_acct + 2);
    snprintf(rec.account_sid, sizeof rec.account_sid, "%s", g_acct);
    snprintf(rec.call_sid, sizeof rec.call_sid, "CA%.32s", g_acct + 2);
    snprintf(rec.status, sizeof rec.status, "in-progress");
    snprintf(rec.track, sizeof rec.track, "both");
    rec.channels = 1;
    rec.date_created = rec.date_updated = rec.start_time = 1700000000000LL;
    rec.duration_s = -1;
    ck_assert_int_eq(amdi_store_recording_put(s, &rec, "/tmp/x.wav"), 0);
    char path[64];
    ck_assert_int_eq(amdi_store_recording_delete(s, g_acct, rec.sid, path, sizeof path), AMD_ESTATE);
    snprintf(rec.status, sizeof rec.status, "completed");
    rec.duration_s = 12;
    ck_assert_int_eq(amdi_store_recording_put(s, &rec, "/tmp/x.wav"), 0); /* upsert */
    ck_assert_int_eq(amdi_store_recording_get(s, g_acct, rec.sid, &g, path, sizeof path), 0);
    ck_assert_str_eq(g.status, "completed");
    ck_assert_int_eq(g.duration_s, 12);
    ck_assert_str_eq(path, "/tmp/x.wav");
    amdi_recording_rec list[4];
    ck_assert_int_eq(amdi_store_recordings(s, g_acct, rec.call_sid, list, 4), 1);
    ck_assert_int_eq(amdi_store_recording_delete(s, g_acct, rec.sid, path, sizeof path), 0);
    ck_assert_int_eq(amdi_store_recordings(s, g_acct, NULL, list, 4), 0);

    char tok[65];
    ck_assert_int_eq(amdi_store_account_put(s, g_acct, "tok-1"), 0);
    ck_assert_int_eq(amdi_store_account_put(s, g_acct, "tok-2"), 0);
    ck_assert_int_eq(amdi_store_account_token(s, g_acct, tok, sizeof tok), 0);
    ck_assert_str_eq(tok, "tok-2");
    ck_assert_int_eq(amdi_store_account_token(s, "AC00000000000000000000000000000099", tok, sizeof tok),
                     AMD_ENOTFOUND);
    int64_t v = 0;
    ck_assert_int_eq(amdi_store_meta_get(s, "schema_version", &v), 0);
    ck_assert_int_eq(v, AMDI_SCHEMA_VERSION);

    /* a rolled-back transaction leaves nothing; a committed one everything */
    amdi_call_rec r, c;
    make(&r, 9, "queued");
    ck_assert_int_eq(amdi_store_begin(s), 0);
    ck_assert_int_eq(amdi_store_call_insert(s, &r, ""), 0);
    amdi_store_rollback(s);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &c), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_store_begin(s), 0);
    ck_assert_int_eq(amdi_store_call_insert(s, &r, ""), 0);
    ck_assert_int_eq(amdi_store_commit(s), 0);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &c), 0);
    /* a failed statement inside a transaction: the commit reports it, nothing of it stays */
    amdi_call_rec r2;
    make(&r2, 10, "queued");
    ck_assert_int_eq(amdi_store_begin(s), 0);
    ck_assert_int_eq(amdi_store_call_insert(s, &r2, ""), 0);
    ck_assert_int_ne(amdi_store_call_insert(s, &r, ""), 0); /* duplicate SID */
    if (amdi_store_commit(s) == 0)
        ck_assert_msg(!g_pg, "PostgreSQL committed a transaction whose statement failed");
    if (g_pg)
        ck_assert_int_eq(amdi_store_call_get(s, g_acct, r2.sid, &c), AMD_ENOTFOUND);
    amdi_store_close(s);
}
END_TEST

/* The PostgreSQL-only operations: the shared CPS queue hands each call out once, one slot per
 * gap; a dead instance's live calls move to the adopter once. */
static long g_adopted;
static void on_adopt(void *user, const amdi_call_rec *r, int64_t hb)
{
    (void)user;
    if (strcmp(r->account_sid, g_acct))
        return; /* an instance left by another run on the same database */
    ck_assert_int_eq(hb, 1000);
    g_adopted++;
}

static char *edit_form(void *user, const char *form)
{
    (void)user, (void)form;
    return strdup("Url=https%3A%2F%2Fexample.com%2Fnew");
}

START_TEST(cluster_claim_and_adopt)
{
    if (!g_pg || !g_db[0]) {
        printf("SKIP cluster_claim_and_adopt: PostgreSQL only (AMD_TEST_PG_URI)\n");
        return;
    }
    amdi_store *s = open_db();
    const amdi_cluster_ops *cl = amdi_store_cluster(s);
    ck_assert_ptr_nonnull(cl);
    amdi_call_rec r;
    for (int i = 0; i < 5; i++) {
        make(&r, 200 + i, "queued");
        ck_assert_int_eq(amdi_store_call_insert(s, &r, ""), 0);
    }
    ck_assert_int_eq(cl->queued(s, g_acct), 5);
    amdi_claim got[8];
    char me[40], dead[40];
    snprintf(me, sizeof me, "me-%s", g_acct + 20);
    snprintf(dead, sizeof dead, "dead-%s", g_acct + 20);
    /* at t = 10 s with a 100 ms gap: one slot due, then none until t + 100 ms */
    ck_assert_int_eq(cl->claim(s, g_acct, dead, 10000, 100000, got, 8), 1);
    ck_assert_int_eq(got[0].slot_ms, 10000);
    ck_assert_int_eq(cl->claim(s, g_acct, me, 10050, 100000, got, 8), 0);
    /* at 10.1 s the next slot is due, and only that one */
    long n = cl->claim(s, g_acct, me, 10100, 100000, got, 8);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(got[0].slot_ms, 10100);
    ck_assert_int_eq(cl->queued(s, g_acct), 3);
    /* a connection writing for `me` cannot overwrite a call `dead` owns */
    int64_t ep_me = 0, ep_dead = 0;
    ck_assert_int_eq(cl->beat(s, me, 10000, 1, &ep_me), 0);
    cl->as_instance(s, me, ep_me);
    amdi_call_rec c0, g;
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, got[0].sid, &c0), 0); /* claimed by me */
    make(&r, 200, "queued");
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &r), 0); /* claimed by dead */
    r.status = AMD_CALL_COMPLETED;
    ck_assert_int_eq(amdi_store_call_update(s, &r), 0);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &g), 0);
    ck_assert_int_eq(g.status, AMD_CALL_QUEUED);
    c0.status = AMD_CALL_RINGING;
    ck_assert_int_eq(amdi_store_call_update(s, &c0), 0);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, c0.sid, &g), 0);
    ck_assert_int_eq(g.status, AMD_CALL_RINGING);
    /* only the owner marks a claimed call dialing */
    const char *dsid[] = {r.sid};
    int ok[1];
    ck_assert_int_eq(cl->mark_dialing(s, me, ep_me, dsid, 1, 10000, ok), 0);
    ck_assert_int_eq(ok[0], 0);
    ck_assert_int_eq(cl->beat(s, dead, 1000, 1, &ep_dead), 0);
    ck_assert_int_eq(cl->mark_dialing(s, dead, ep_dead + 1, dsid, 1, 10000, ok), 0); /* not its lease */
    ck_assert_int_eq(cl->mark_dialing(s, dead, ep_dead, dsid, 1, 10000, ok), 1);
    ck_assert_int_eq(ok[0], 1);
    /* a call dead claimed but never dialed */
    ck_assert_int_eq(cl->claim(s, g_acct, dead, 10200, 100000, got, 8), 1);
    amdi_claim undialed = got[0];
    ck_assert_int_eq(cl->queued(s, g_acct), 2);
    /* a dead instance's call being dialed moves once; the one never dialed goes back to the queue */
    g_adopted = 0;
    ck_assert_int_ge(cl->adopt(s, me, 10000, 3000, 0, 1LL << 40, on_adopt, NULL), 1);
    ck_assert_int_ge(g_adopted, 1);
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, undialed.sid, &g), 0);
    ck_assert_int_eq(g.status, AMD_CALL_QUEUED);
    ck_assert_int_eq(g.start_time, -1);
    ck_assert_int_eq(cl->queued(s, g_acct), 3);
    g_adopted = 0;
    ck_assert_int_eq(cl->adopt(s, me, 10000, 3000, 0, 1LL << 40, on_adopt, NULL), 0);
    ck_assert_int_eq(cl->beat(s, dead, 11000, 0, &ep_dead), AMD_ESTATE); /* fenced: declared dead */
    /* its writes are refused: a batch under its lost lease, events and recordings of its old calls */
    cl->as_instance(s, dead, ep_dead);
    ck_assert_int_eq(amdi_store_begin(s), 0);
    ck_assert_int_eq(amdi_store_fence(s), AMD_ESTATE);
    amdi_store_rollback(s);
    ck_assert_int_eq(amdi_store_event_add(s, r.sid, 5, "{\"a\":1}", NULL), 0);
    ck_assert_int_eq(amdi_store_events(s, r.sid, 0, 10, count_event, NULL), 0);
    amdi_recording_rec rr;
    memset(&rr, 0, sizeof rr);
    snprintf(rr.sid, sizeof rr.sid, "RE%.32s", r.sid + 2);
    snprintf(rr.account_sid, sizeof rr.account_sid, "%s", g_acct);
    snprintf(rr.call_sid, sizeof rr.call_sid, "%s", r.sid);
    snprintf(rr.status, sizeof rr.status, "completed");
    rr.date_created = rr.date_updated = rr.start_time = 1;
    ck_assert_int_eq(amdi_store_recording_put(s, &rr, "/x.wav"), 0);
    amdi_recording_rec rg;
    ck_assert_int_eq(amdi_store_recording_get(s, g_acct, rr.sid, &rg, NULL, 0), AMD_ENOTFOUND);
    /* the owner's are written, under its current lease only */
    cl->as_instance(s, me, ep_me);
    ck_assert_int_eq(amdi_store_begin(s), 0);
    ck_assert_int_eq(amdi_store_fence(s), 0);
    ck_assert_int_eq(amdi_store_commit(s), 0);
    ck_assert_int_eq(amdi_store_event_add(s, r.sid, 5, "{\"a\":1}", NULL), 0);
    ck_assert_int_eq(amdi_store_events(s, r.sid, 0, 10, count_event, NULL), 1);
    int64_t ep2 = 0;
    ck_assert_int_eq(cl->beat(s, me, 12000, 1, &ep2), 0); /* joined again: a new epoch */
    ck_assert_int_eq(ep2, ep_me + 1);
    ck_assert_int_eq(amdi_store_begin(s), 0);
    ck_assert_int_eq(amdi_store_fence(s), AMD_ESTATE);
    amdi_store_rollback(s);
    cl->as_instance(s, me, ep2);
    /* a queued call's create form changes while it waits, not once claimed */
    ck_assert_int_eq(cl->update_queued(s, undialed.sid, 12000, edit_form, NULL), 0);
    char *params = NULL;
    ck_assert_int_eq(amdi_store_call_params(s, undialed.sid, &params), 0);
    ck_assert_str_eq(params, "Url=https%3A%2F%2Fexample.com%2Fnew");
    free(params);
    ck_assert_int_eq(cl->update_queued(s, c0.sid, 12000, edit_form, NULL), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_store_call_update(s, &r), 0);           /* mine now: the update applies */
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, r.sid, &g), 0);
    ck_assert_int_eq(g.status, AMD_CALL_COMPLETED);
    /* a queued call taken (to cancel it) is no longer in the queue */
    make(&r, 200 + 4, "queued");
    ck_assert_int_eq(cl->take_queued(s, r.sid, me), 0);
    ck_assert_int_eq(cl->take_queued(s, r.sid, me), AMD_ENOTFOUND);
    ck_assert_int_eq(cl->queued(s, g_acct), 2);
    /* a clean stop: a claim marked dialing but handed back (never dialed) is queued again, one
     * marked and dialed is not */
    ck_assert_int_eq(cl->claim(s, g_acct, me, 20000, 100000, got, 8), 1);
    ck_assert_int_eq(cl->claim(s, g_acct, me, 20100, 100000, got + 1, 7), 1);
    const char *both[] = {got[0].sid, got[1].sid};
    int ok2[2];
    ck_assert_int_eq(cl->mark_dialing(s, me, ep2, both, 2, 20000, ok2), 2);
    ck_assert_int_eq(cl->queued(s, g_acct), 0);
    ck_assert_int_eq(cl->leave(s, me, 20200, both, 1), 0);
    ck_assert_int_eq(cl->queued(s, g_acct), 2); /* got[0], and the call taken above (never marked) */
    ck_assert_int_eq(amdi_store_call_get(s, g_acct, got[0].sid, &g), 0);
    ck_assert_int_eq(g.start_time, -1);
    char owner[64] = "x";
    ck_assert_int_eq(cl->owner(s, got[0].sid, owner, sizeof owner), 0);
    ck_assert_str_eq(owner, "");
    ck_assert_int_eq(cl->owner(s, got[1].sid, owner, sizeof owner), 0);
    ck_assert_str_eq(owner, me);
    amdi_store_close(s);
}
END_TEST

START_TEST(newer_schema_refused)
{
    setup_sqlite();
    amdi_store *s;
    char err[400] = "";
    ck_assert_int_eq(amdi_store_open(g_db, 1, &s, err, sizeof err), 0);
    ck_assert_int_eq(amdi_store_meta_set(s, "schema_version", AMDI_SCHEMA_VERSION + 1), 0);
    amdi_store_close(s);
    ck_assert_int_eq(amdi_store_open(g_db, 1, &s, err, sizeof err), AMD_EVERSION);
    ck_assert_msg(strstr(err, "newer than this amd serve") != NULL, "%s", err);
    teardown();
}
END_TEST

START_TEST(dialect_and_redaction)
{
    char *q = amdi_sql_dialect("postgresql", "CREATE TABLE t(seq INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER,"
                                             " b INTEGERS, c_INTEGER INTEGER NOT NULL);");
    ck_assert_str_eq(q, "CREATE TABLE t(seq BIGSERIAL PRIMARY KEY, a BIGINT, b INTEGERS, c_INTEGER BIGINT NOT NULL);");
    free(q);
    q = amdi_sql_dialect("sqlite", "a INTEGER");
    ck_assert_str_eq(q, "a INTEGER");
    free(q);
    char out[128];
    amdi_db_redact("postgresql://amd:s3cret@db.example:5432/calls?sslmode=require&password=x&a=b", out, sizeof out);
    ck_assert_str_eq(out, "postgresql://amd:***@db.example:5432/calls?sslmode=require&password=***&a=b");
    amdi_db_redact("postgres://u:p@ss@h/d", out, sizeof out);
    ck_assert_str_eq(out, "postgres://u:***@h/d");
    amdi_db_redact("postgresql:///d?host=/tmp/x", out, sizeof out);
    ck_assert_str_eq(out, "postgresql:///d?host=/tmp/x");
    amdi_db_redact("/var/lib/amd/calls.db", out, sizeof out);
    ck_assert_str_eq(out, "/var/lib/amd/calls.db");
    amdi_db_redact("postgresql://user:verylongpassword@host/db", out, 20);
    ck_assert_int_eq(strlen(out), 19);
    ck_assert_ptr_null(strstr(out, "verylong"));
    ck_assert(amdi_store_is_pg("postgresql://x") && amdi_store_is_pg("postgres://x"));
    ck_assert(!amdi_store_is_pg("postgresql.db") && !amdi_store_is_pg(""));
    /* a PostgreSQL that cannot be reached: an I/O error whose message hides the password */
    amdi_store *s;
    char err[400] = "";
    ck_assert_int_eq(amdi_store_open("postgresql://amd:hunter2@/x?host=/nonexistent-amd-dir&connect_timeout=2", 1, &s,
                                     err, sizeof err),
                     AMD_EIO);
    ck_assert_ptr_null(strstr(err, "hunter2"));
    ck_assert_ptr_nonnull(strstr(err, "cannot connect"));
}
END_TEST

static void add_conformance(TCase *tc)
{
    tcase_add_test(tc, round_trip_nulls_and_update);
    tcase_add_test(tc, list_filters_and_paging);
    tcase_add_test(tc, events_keep_first_and_last);
    tcase_add_test(tc, recordings_accounts_meta_and_transactions);
    tcase_add_test(tc, cluster_claim_and_adopt);
}

Suite *call_store_iface_suite(void)
{
    Suite *s = suite_create("call_store_iface");
    TCase *lite = tcase_create("sqlite");
    tcase_add_checked_fixture(lite, setup_sqlite, teardown);
    add_conformance(lite);
    tcase_add_test(lite, newer_schema_refused);
    tcase_add_test(lite, dialect_and_redaction);
    suite_add_tcase(s, lite);
    TCase *pg = tcase_create("postgresql");
    tcase_add_checked_fixture(pg, setup_pg, teardown);
    tcase_set_timeout(pg, 30);
    add_conformance(pg);
    suite_add_tcase(s, pg);
    return s;
}
