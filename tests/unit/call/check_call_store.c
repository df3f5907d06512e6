/* SPDX-License-Identifier: MIT */
/* The SQLite store: what is written comes back (nulls included), list paging in both
 * directions with filters, account isolation, delete, events, and durability across
 * reopening the file. */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd/error.h"
#include "notifications.h"
#include "store.h"

Suite *call_store_suite(void);

static char g_path[256];

static void setup(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/amd-check-store-%d.db", (int)getpid());
    unlink(g_path);
}

static void teardown(void)
{
    char p[300];
    unlink(g_path);
    snprintf(p, sizeof p, "%s-wal", g_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", g_path);
    unlink(p);
}

static amdi_store *open_store(void)
{
    amdi_store *s;
    char err[200];
    ck_assert_int_eq(amdi_store_open(g_path, 1, &s, err, sizeof err), 0);
    return s;
}

#define AC1 "AC00000000000000000000000000000001"
#define AC2 "AC00000000000000000000000000000002"

static void make(amdi_call_rec *r, const char *acct, int i, const char *status)
{
    amdi_call_rec_init(r);
    snprintf(r->sid, sizeof r->sid, "CA%032d", i);
    snprintf(r->account_sid, sizeof r->account_sid, "%s", acct);
    snprintf(r->to, sizeof r->to, "+1555123%04d", i % 3);
    snprintf(r->from, sizeof r->from, "+15005550006");
    ck_assert_int_eq(amd_call_status_parse(status, &r->status), 0);
    r->date_created = r->date_updated = 1700000000000LL + i * 1000;
}

START_TEST(round_trip_and_nulls)
{
    amdi_store *s = open_store();
    amdi_call_rec r, g;
    make(&r, AC1, 1, "queued");
    ck_assert_int_eq(amdi_store_call_insert(s, &r, "To=%2B1&From=%2B2"), 0);
    ck_assert_int_gt(r.seq, 0);
    ck_assert_int_eq(amdi_store_call_get(s, AC1, r.sid, &g), 0);
    ck_assert_str_eq(amd_call_status_name(g.status), "queued");
    ck_assert_int_eq(g.start_time, -1);
    ck_assert_int_eq(g.duration_s, -1);
    ck_assert_str_eq(amd_answered_by_name(g.answered_by), "");
    r.start_time = 1700000001000LL;
    r.answer_time = 1700000003000LL;
    r.end_time = 1700000010000LL;
    r.duration_s = 7;
    r.queue_time_ms = 0;
    r.status = AMD_CALL_COMPLETED;
    r.answered_by = AMD_ANSWERED_MACHINE_END_BEEP;
    r.amd_duration_ms = 4321;
    r.cb_seq = 4;
    ck_assert_int_eq(amdi_store_call_update(s, &r), 0);
    ck_assert_int_eq(amdi_store_call_get(s, NULL, r.sid, &g), 0);
    ck_assert_str_eq(amd_answered_by_name(g.answered_by), "machine_end_beep");
    ck_assert_int_eq(g.duration_s, 7);
    ck_assert_int_eq(g.queue_time_ms, 0);
    ck_assert_int_eq(g.answer_time, 1700000003000LL);
    ck_assert_int_eq(g.cb_seq, 4);
    char *params;
    ck_assert_int_eq(amdi_store_call_params(s, r.sid, &params), 0);
    ck_assert_str_eq(params, "To=%2B1&From=%2B2");
    free(params);
    /* the other account cannot see it */
    ck_assert_int_eq(amdi_store_call_get(s, AC2, r.sid, &g), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_store_call_delete(s, AC2, r.sid), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_store_call_delete(s, AC1, r.sid), 0);
    ck_assert_int_eq(amdi_store_call_get(s, AC1, r.sid, &g), AMD_ENOTFOUND);
    amdi_store_close(s);
}
END_TEST

START_TEST(paging_both_ways_with_filters)
{
    amdi_store *s = open_store();
    amdi_call_rec r;
    for (int i = 0; i < 25; i++) {
        make(&r, i % 5 == 4 ? AC2 : AC1, i, i % 2 ? "busy" : "completed");
        r.start_time = r.date_created;
        ck_assert_int_eq(amdi_store_call_insert(s, &r, ""), 0);
    }
    amdi_list_query q;
    memset(&q, 0, sizeof q);
    q.start_lo = q.end_lo = INT64_MIN;
    q.start_hi = q.end_hi = INT64_MAX;
    q.page_size = 7;
    amdi_call_rec rows[8];
    long n = amdi_store_call_list(s, AC1, &q, rows, 8);
    ck_assert_int_eq(n, 8); /* 7 + 1 "there is more" */
    ck_assert_str_eq(rows[0].sid, "CA00000000000000000000000000000023"); /* newest first; 24 is AC2's */
    /* next page after the 7th */
    q.has_token = 1;
    q.token_seq = rows[6].seq;
    int64_t first_of_page2;
    n = amdi_store_call_list(s, AC1, &q, rows, 8);
    ck_assert_int_eq(n, 8);
    first_of_page2 = rows[0].seq;
    /* previous page from there: the same first 7, newest first, plus one "more" row */
    q.token_before = 1;
    q.token_seq = first_of_page2;
    n = amdi_store_call_list(s, AC1, &q, rows, 8);
    ck_assert_int_eq(n, 7);
    ck_assert_str_eq(rows[0].sid, "CA00000000000000000000000000000023");
    /* all of AC1: 20 calls */
    q.has_token = 0;
    q.token_before = 0;
    q.page_size = 100;
    amdi_call_rec all[101];
    ck_assert_int_eq(amdi_store_call_list(s, AC1, &q, all, 101), 20);
    ck_assert_int_eq(amdi_store_call_list(s, AC2, &q, all, 101), 5);
    /* filters */
    q.status = "busy";
    ck_assert_int_eq(amdi_store_call_list(s, AC1, &q, all, 101), 10);
    q.to = "+15551230000";
    long nb = amdi_store_call_list(s, AC1, &q, all, 101);
    for (long i = 0; i < nb; i++)
        ck_assert_str_eq(all[i].to, "+15551230000");
    q.status = NULL;
    q.to = NULL;
    q.start_lo = 1700000010000LL;
    q.start_hi = 1700000015000LL; /* calls 10..14, minus AC2's 14 */
    ck_assert_int_eq(amdi_store_call_list(s, AC1, &q, all, 101), 4);
    /* offset paging (Page without token) */
    q.start_lo = INT64_MIN;
    q.start_hi = INT64_MAX;
    q.page_size = 7;
    q.page = 2;
    ck_assert_int_eq(amdi_store_call_list(s, AC1, &q, all, 8), 6);
    amdi_store_close(s);
}
END_TEST

static void count_live(void *user, const amdi_call_rec *r)
{
    (void)r;
    (*(int *)user)++;
}

static void count_ev(void *user, int64_t seq, int64_t t, const char *req, const char *resp)
{
    (void)seq;
    (void)t;
    (void)req;
    ck_assert_ptr_nonnull(resp);
    (*(int *)user)++;
}

static void count_acct(void *user, const char *sid, const char *token)
{
    (void)sid;
    ck_assert_str_eq(token, "tok2");
    (*(int *)user)++;
}

START_TEST(durable_across_reopen)
{
    amdi_store *s = open_store();
    ck_assert_int_eq(amdi_store_account_put(s, AC1, "tok"), 0);
    ck_assert_int_eq(amdi_store_account_put(s, AC1, "tok2"), 0); /* update, not duplicate */
    amdi_call_rec r;
    make(&r, AC1, 7, "in-progress");
    amdi_store_call_insert(s, &r, "x=1");
    make(&r, AC1, 8, "completed");
    amdi_store_call_insert(s, &r, "x=1");
    amdi_store_event_add(s, r.sid, 5, "{\"a\":1}", "{\"b\":2}");
    amdi_store_event_add(s, r.sid, 6, NULL, "{\"error_code\":12100}");
    amdi_store_meta_set(s, "heartbeat", 123456);
    amdi_store_close(s); /* no explicit checkpoint: WAL must be enough */
    s = open_store();
    char tok[65];
    ck_assert_int_eq(amdi_store_account_token(s, AC1, tok, sizeof tok), 0);
    ck_assert_str_eq(tok, "tok2");
    ck_assert_int_eq(amdi_store_account_token(s, AC2, tok, sizeof tok), AMD_ENOTFOUND);
    int na = 0;
    amdi_store_accounts(s, count_acct, &na);
    ck_assert_int_eq(na, 1);
    int live = 0;
    ck_assert_int_eq(amdi_store_calls_live(s, count_live, &live), 0);
    ck_assert_int_eq(live, 1);
    int ev = 0;
    ck_assert_int_eq(amdi_store_events(s, r.sid, 0, 10, count_ev, &ev), 2);
    ck_assert_int_eq(ev, 2);
    int64_t hb;
    ck_assert_int_eq(amdi_store_meta_get(s, "heartbeat", &hb), 0);
    ck_assert_int_eq(hb, 123456);
    ck_assert_int_eq(amdi_store_meta_get(s, "nothing", &hb), AMD_ENOTFOUND);
    amdi_store_close(s);
}
END_TEST

START_TEST(open_errors)
{
    amdi_store *s = (amdi_store *)1;
    char err[200] = "";
    ck_assert_int_eq(amdi_store_open("/nonexistent-dir/x/y.db", 1, &s, err, sizeof err), AMD_EIO);
    ck_assert_ptr_null(s);
    ck_assert(strstr(err, "/nonexistent-dir/x/y.db") != NULL);
    /* a file that is not a database */
    FILE *f = fopen(g_path, "wb");
    fputs("this is not sqlite, just text that is long enough to be a header........", f);
    fclose(f);
    ck_assert_int_eq(amdi_store_open(g_path, 1, &s, err, sizeof err), AMD_EIO);
}
END_TEST

/* The database holds auth tokens: it and its -wal / -shm are 0600 even with umask 000. */
START_TEST(private_files_whatever_the_umask)
{
    umask(0);
    amdi_store *s = open_store();
    ck_assert_int_eq(amdi_store_account_put(s, AC1, "secret"), 0);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[300];
        struct stat st;
        snprintf(p, sizeof p, "%s%s", g_path, suffix[i]);
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_msg((st.st_mode & 0777) == 0600, "%s is %o", p, st.st_mode & 0777);
    }
    amdi_store_close(s);
    /* an older, world-readable database is narrowed when opened */
    ck_assert_int_eq(chmod(g_path, 0644), 0);
    s = open_store();
    struct stat st;
    ck_assert_int_eq(stat(g_path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    amdi_store_close(s);
}
END_TEST

static void file_limit(rlim_t bytes)
{
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = bytes;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void count_event(void *user, int64_t seq, int64_t t, const char *req, const char *resp)
{
    (void)seq, (void)t, (void)req, (void)resp;
    (*(int *)user)++;
}

/* A transaction the disk refuses (RLIMIT_FSIZE stands in for a full disk) fails as a whole,
 * says why, leaves nothing behind, and the same transaction commits once there is room. */
START_TEST(refused_transaction_then_retry)
{
    signal(SIGXFSZ, SIG_IGN);
    amdi_store *s = open_store();
    amdi_call_rec r;
    make(&r, AC1, 1, "in-progress");
    ck_assert_int_eq(amdi_store_call_insert(s, &r, "To=x"), 0);
    char p[300];
    struct stat st;
    snprintf(p, sizeof p, "%s-wal", g_path);
    long cap = stat(p, &st) ? 0 : (long)st.st_size;
    if (!stat(g_path, &st) && st.st_size > cap)
        cap = (long)st.st_size;
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    r.status = AMD_CALL_COMPLETED;
    r.end_time = 1700000099000LL;
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt == 0)
            file_limit((rlim_t)cap); /* no file may grow */
        rc = amdi_store_begin(s);
        rc = rc ? rc : amdi_store_call_update(s, &r);
        for (int i = 0; i < 20 && !rc; i++)
            rc = amdi_store_event_add(s, r.sid, 1700000000000LL + i, big, NULL);
        if (rc)
            amdi_store_rollback(s);
        else
            rc = amdi_store_commit(s);
        file_limit(RLIM_INFINITY);
        if (attempt == 0) {
            ck_assert_int_eq(rc, AMD_EIO);
            char why[200];
            amdi_store_last_error(s, why, sizeof why);
            ck_assert_msg(strcmp(why, "unknown error") && why[0], "reason: %s", why);
            amdi_call_rec g;
            ck_assert_int_eq(amdi_store_call_get(s, AC1, r.sid, &g), 0);
            ck_assert_str_eq(amd_call_status_name(g.status), "in-progress"); /* nothing of it stayed */
            int n = 0;
            amdi_store_events(s, r.sid, 0, 100, count_event, &n);
            ck_assert_int_eq(n, 0);
        }
    }
    ck_assert_int_eq(rc, 0);
    amdi_call_rec g;
    ck_assert_int_eq(amdi_store_call_get(s, AC1, r.sid, &g), 0);
    ck_assert_str_eq(amd_call_status_name(g.status), "completed");
    ck_assert_int_eq(g.end_time, 1700000099000LL);
    int n = 0;
    amdi_store_events(s, r.sid, 0, 100, count_event, &n);
    ck_assert_int_eq(n, 20);
    amdi_store_close(s);
}
END_TEST

/* A call keeps its first and last events; those between are dropped and counted. */
static void ev_seen(void *user, int64_t seq, int64_t t_ms, const char *req, const char *resp)
{
    (void)seq;
    (void)req;
    (void)resp;
    int64_t *ts = user;
    ts[ts[0]++ + 1] = t_ms;
}

START_TEST(events_capped_first_and_last_kept)
{
    amdi_store *s = open_store();
    const char *sid = "CA00000000000000000000000000000077";
    int total = AMDI_EVENTS_KEEP_FIRST + AMDI_EVENTS_KEEP_LAST + 50;
    ck_assert_int_eq(amdi_store_begin(s), 0);
    for (int i = 0; i < total; i++)
        ck_assert_int_eq(amdi_store_event_add(s, sid, i, "{}", "{}"), 0);
    ck_assert_int_eq(amdi_store_commit(s), 0);
    ck_assert_int_eq(amdi_store_event_add(s, "CA00000000000000000000000000000078", 5, NULL, NULL), 0);
    static int64_t ts[1 + 1000];
    ts[0] = 0;
    long n = amdi_store_events(s, sid, 0, 1000, ev_seen, ts);
    ck_assert_int_eq(n, AMDI_EVENTS_KEEP_FIRST + AMDI_EVENTS_KEEP_LAST);
    ck_assert_int_eq(ts[1], 0);                                      /* the first */
    ck_assert_int_eq(ts[AMDI_EVENTS_KEEP_FIRST], AMDI_EVENTS_KEEP_FIRST - 1);
    ck_assert_int_eq(ts[AMDI_EVENTS_KEEP_FIRST + 1], AMDI_EVENTS_KEEP_FIRST + 50); /* then the last ones */
    ck_assert_int_eq(ts[n], total - 1);
    ck_assert_int_eq(amdi_store_events_dropped(s, sid), 50);
    ck_assert_int_eq(amdi_store_events_dropped(s, "CA00000000000000000000000000000078"), 0);
    amdi_store_close(s);
}
END_TEST

/* A call's Notifications come from its error events only, with Twilio's fields, also for an
 * error whose request has no URL (inline Twiml; this once leaked the "" put in its place). */
START_TEST(notifications_from_error_events)
{
    amdi_store *s = open_store();
    amdi_call_rec r;
    make(&r, AC1, 1, "completed");
    amdi_store_call_insert(s, &r, "x=1");
    amdi_store_event_add(s, r.sid, 1000, "{\"method\":\"POST\",\"url\":\"http://h/t\",\"parameters\":{\"A\":\"1\"}}",
                         "{\"response_code\":200}");
    amdi_store_event_add(s, r.sid, 2000, "{\"method\":\"POST\",\"url\":\"http://h/t\",\"parameters\":{}}",
                         "{\"error_code\":12300,\"error\":\"Invalid Content-Type\"}");
    amdi_store_event_add(s, r.sid, 3000, "{\"method\":null,\"url\":null,\"parameters\":{}}",
                         "{\"error_code\":13310,\"error\":\"bad finishOnKey\"}");
    amdi_store_event_add(s, r.sid, 4000, NULL, "{\"error_code\":12100}");
    json_t *o = amdi_notifications_json(s, AC1, r.sid, "PageSize=2", NULL);
    ck_assert_ptr_nonnull(o);
    json_t *a = json_object_get(o, "notifications");
    ck_assert_uint_eq(json_array_size(a), 2);
    json_t *n0 = json_array_get(a, 0), *n1 = json_array_get(a, 1);
    ck_assert_str_eq(json_string_value(json_object_get(n0, "error_code")), "12300");
    ck_assert_str_eq(json_string_value(json_object_get(n0, "log")), "0");
    ck_assert_str_eq(json_string_value(json_object_get(n0, "request_url")), "http://h/t");
    ck_assert_str_eq(json_string_value(json_object_get(n0, "more_info")), "https://www.twilio.com/docs/errors/12300");
    ck_assert_str_eq(json_string_value(json_object_get(n1, "log")), "1");
    ck_assert_str_eq(json_string_value(json_object_get(n1, "request_url")), "");
    ck_assert(json_is_null(json_object_get(n1, "request_method")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(o, "next_page_uri")));
    char sid[40];
    snprintf(sid, sizeof sid, "%s", json_string_value(json_object_get(n1, "sid")));
    ck_assert_int_eq((int)strlen(sid), 34);
    ck_assert(!strncmp(sid, "NO", 2));
    json_decref(o);
    o = amdi_notifications_json(s, AC1, r.sid, "PageSize=2&Page=1", NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(o, "notifications")), 1);
    ck_assert(json_is_null(json_object_get(o, "next_page_uri")));
    json_decref(o);
    o = amdi_notifications_json(s, AC1, r.sid, NULL, sid);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "error_code")), "13310");
    ck_assert_ptr_nonnull(json_object_get(o, "request_variables"));
    json_decref(o);
    ck_assert_ptr_null(amdi_notifications_json(s, AC1, r.sid, NULL, "NO00000000000000000000000000000000"));
    amdi_store_close(s);
}
END_TEST

Suite *call_store_suite(void)
{
    Suite *s = suite_create("call_store");
    TCase *t = tcase_create("store");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, round_trip_and_nulls);
    tcase_add_test(t, paging_both_ways_with_filters);
    tcase_add_test(t, durable_across_reopen);
    tcase_add_test(t, open_errors);
    tcase_add_test(t, private_files_whatever_the_umask);
    tcase_add_test(t, refused_transaction_then_retry);
    tcase_add_test(t, events_capped_first_and_last_kept);
    tcase_add_test(t, notifications_from_error_events);
    suite_add_tcase(s, t);
    return s;
}
