/* SPDX-License-Identifier: MIT */
/* The store writer (writer.h) on its own, without the call server: a batch is stored and
 * reported committed; a batch the disk refuses (RLIMIT_FSIZE stands in for a full disk) is held
 * in memory, in order, the writer says the store is failing and why, the views show the held
 * change over the stored row, and the same batch commits by itself once there is room. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "store.h"
#include "writer.h"

Suite *call_writer_suite(void);

#define AC "AC00000000000000000000000000000007"
#define SID "CA00000000000000000000000000000007"

static char g_path[256];

static void setup(void)
{
    snprintf(g_path, sizeof g_path, "/tmp/amd-check-writer-%d.db", (int)getpid());
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
    amdi_store *s = NULL;
    char err[200] = "";
    ck_assert_msg(amdi_store_open(g_path, 1, &s, err, sizeof err) == 0, "%s", err);
    return s;
}

static void insert_queued(amdi_store *s)
{
    amdi_call_rec r;
    amdi_call_rec_init(&r);
    snprintf(r.sid, sizeof r.sid, SID);
    snprintf(r.account_sid, sizeof r.account_sid, AC);
    r.status = AMD_CALL_QUEUED;
    r.date_created = r.date_updated = 1700000000000LL;
    ck_assert_int_eq(amdi_store_account_put(s, AC, "tok"), 0);
    ck_assert_int_eq(amdi_store_call_insert(s, &r, "To=x"), 0);
}

/* Queue one batch: the call completed, @p nevents events with big bodies, then the batch end. */
static void push_batch(amdi_writer *w, int nevents, int *done)
{
    wop *o = amdi_writer_new_op(w, W_CALL);
    ck_assert_ptr_nonnull(o);
    amdi_call_rec_init(&o->u.call);
    snprintf(o->u.call.sid, sizeof o->u.call.sid, SID);
    snprintf(o->u.call.account_sid, sizeof o->u.call.account_sid, AC);
    o->u.call.status = AMD_CALL_COMPLETED;
    o->u.call.answered_by = AMD_ANSWERED_MACHINE_END_BEEP;
    o->u.call.end_time = 1700000099000LL;
    amdi_writer_push(w, o);
    for (int i = 0; i < nevents; i++) {
        o = amdi_writer_new_op(w, W_EVENT);
        ck_assert_ptr_nonnull(o);
        o->s1 = strdup(SID);
        o->s2 = malloc(2000);
        ck_assert(o->s1 && o->s2);
        memset(o->s2, 'x', 1999);
        o->s2[1999] = 0;
        o->v = 1700000000000LL + i;
        amdi_writer_push(w, o);
    }
    o = amdi_writer_new_op(w, W_COMMIT);
    ck_assert_ptr_nonnull(o);
    o->done = done;
    amdi_writer_push(w, o);
}

static amd_call_status stored_status(amdi_store *reader)
{
    amdi_call_rec g;
    ck_assert_int_eq(amdi_store_call_get(reader, AC, SID, &g), 0);
    return g.status;
}

static void count_event(void *user, int64_t seq, int64_t t, const char *req, const char *resp)
{
    (void)seq, (void)t, (void)req, (void)resp;
    (*(int *)user)++;
}

static const amdi_logger k_quiet = {NULL, NULL, AMD_LOG_ERROR};

START_TEST(batch_commits_then_reports)
{
    amdi_store *st = open_store(), *reader = open_store();
    insert_queued(st);
    amdi_writer *w = NULL;
    ck_assert_int_eq(amdi_writer_create(st, NULL, &k_quiet, &w), 0);
    int done = 0;
    push_batch(w, 3, &done);
    amdi_writer_wait(w, &done);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(amdi_writer_failing(w, NULL, 0), 0);
    ck_assert_int_eq(stored_status(reader), AMD_CALL_COMPLETED); /* stored before done was set */
    int n = 0;
    amdi_store_events(reader, SID, 0, 100, count_event, &n);
    ck_assert_int_eq(n, 3);
    amdi_call_rec v;
    amdi_call_rec_init(&v);
    snprintf(v.sid, sizeof v.sid, SID);
    ck_assert_int_eq(amdi_writer_call_view(w, &v), 0); /* nothing held: the row is the truth */
    amdi_writer_destroy(w);
    amdi_store_close(reader);
    amdi_store_close(st);
}
END_TEST

static void file_limit(rlim_t bytes)
{
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = bytes;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(refused_batch_is_held_and_retried)
{
    signal(SIGXFSZ, SIG_IGN);
    amdi_store *st = open_store(), *reader = open_store();
    insert_queued(st);
    struct stat sb;
    char p[300];
    snprintf(p, sizeof p, "%s-wal", g_path);
    long cap = stat(p, &sb) ? 0 : (long)sb.st_size;
    if (!stat(g_path, &sb) && sb.st_size > cap)
        cap = (long)sb.st_size;
    amdi_writer *w = NULL;
    ck_assert_int_eq(amdi_writer_create(st, NULL, &k_quiet, &w), 0);
    file_limit((rlim_t)cap); /* no file may grow: every commit is refused */
    int done = 0;
    push_batch(w, 20, &done);
    amdi_writer_wait(w, &done); /* returns once the store is failing; the batch stays held */
    ck_assert_int_eq(done, 0);
    char why[200] = "";
    ck_assert_int_eq(amdi_writer_failing(w, why, sizeof why), 1);
    ck_assert_msg(why[0], "no reason given");
    ck_assert_int_eq(stored_status(reader), AMD_CALL_QUEUED); /* nothing of it stayed */
    amdi_call_rec v;
    amdi_call_rec_init(&v);
    snprintf(v.sid, sizeof v.sid, SID);
    v.seq = 42;
    ck_assert_int_eq(amdi_writer_call_view(w, &v), 1); /* memory is the truth meanwhile */
    ck_assert_int_eq(v.status, AMD_CALL_COMPLETED);
    ck_assert_int_eq(v.answered_by, AMD_ANSWERED_MACHINE_END_BEEP);
    ck_assert_int_eq(v.seq, 42);
    /* a second batch joins the held one, in order */
    int done2 = 0;
    push_batch(w, 1, &done2);
    file_limit(RLIM_INFINITY); /* room again: the writer retries on its own */
    for (int i = 0; i < 1000 && amdi_writer_failing(w, NULL, 0); i++)
        sleep_ms(10);
    ck_assert_int_eq(amdi_writer_failing(w, NULL, 0), 0);
    amdi_writer_wait(w, &done2);
    ck_assert_int_eq(done2, 1);
    ck_assert_int_eq(done, 0); /* the first waiter gave up: its flag was forgotten, not written */
    ck_assert_int_eq(stored_status(reader), AMD_CALL_COMPLETED);
    int n = 0;
    amdi_store_events(reader, SID, 0, 100, count_event, &n);
    ck_assert_int_eq(n, 21); /* every change of both batches, none lost */
    amdi_writer_destroy(w);
    amdi_store_close(reader);
    amdi_store_close(st);
}
END_TEST

Suite *call_writer_suite(void)
{
    Suite *s = suite_create("call_writer");
    TCase *t = tcase_create("writer");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, batch_commits_then_reports);
    tcase_add_test(t, refused_batch_is_held_and_retried);
    suite_add_tcase(s, t);
    return s;
}
