/* SPDX-License-Identifier: MIT */
/* amdi_calls_drop_all (call_table.c): a process the others declared dead forgets its calls
 * without a word. A recorded parent call bridged to its <Dial> child (a dial recording too) and
 * a call still in the CPS queue are dropped at once: every driver leg is released, nothing is
 * left on the live lists, the recording files are left as they were (not finished, not
 * removed), and the engine runs on (a new call is placed and dropped again). Under the ASan
 * build a double free of the shared bridge or a leaked leg / recording is a failure. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "calls_internal.h"
#include "form.h"
#include "params.h"
#include "sid.h"
#include "store.h"

Suite *call_drop_suite(void);

#define AC "AC0123456789abcdef0123456789abcdef"

struct amdi_leg {
    int step;
};

static int g_legs; /* legs dialed and not released */

static int d_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    (void)drv;
    (void)req;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return AMD_ENOMEM;
    g_legs++;
    return 0;
}

/* Answer at once, then a quiet 20 ms frame every tick: the call stays up. */
static void d_advance(void *drv, amdi_leg *leg, int64_t now_ms, const amdi_leg_sink *sink, void *ctx)
{
    (void)drv;
    (void)now_ms;
    static float quiet[160];
    if (!leg->step++) {
        sink->ringing(ctx);
        sink->answered(ctx, 8000);
    }
    sink->audio(ctx, quiet, 160);
}

static void d_release(void *drv, amdi_leg *leg)
{
    (void)drv;
    g_legs--;
    free(leg);
}

static const amdi_driver_ops k_ops = {.name = "drop", .dial = d_dial, .advance = d_advance, .release = d_release};

static char g_dir[64];

static void submit(amdi_calls *e, amdi_store *st, const char *body, char sid[35])
{
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, body, strlen(body), AMDI_FORM_MAX_ITEMS), 0);
    amdi_create_params p;
    amdi_api_error ae;
    ck_assert_msg(amdi_create_params_parse(&p, &f, &ae) == 0, "%s", ae.message);
    amdi_call_rec r;
    amdi_call_rec_init(&r);
    ck_assert_int_eq(amdi_sid_new("CA", r.sid), 0);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", AC);
    snprintf(r.to, sizeof r.to, "%s", p.to);
    snprintf(r.from, sizeof r.from, "%s", p.from);
    r.status = AMD_CALL_QUEUED;
    r.date_created = r.date_updated = amdi_calls_now(e);
    ck_assert_int_eq(amdi_store_call_insert(st, &r, body), 0);
    ck_assert_int_eq(amdi_calls_submit(e, &r, &p), 0);
    amdi_form_free(&f);
    memcpy(sid, r.sid, 35);
}

static int bridged(amdi_calls *e, const char *sid)
{
    pthread_mutex_lock(&e->mu);
    live *c = amdi_calls_find(e, sid);
    int b = c && c->bridge && c->recw;
    pthread_mutex_unlock(&e->mu);
    return b;
}

static long files_in(const char *dir)
{
    DIR *d = opendir(dir);
    long n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += strstr(de->d_name, ".wav") != NULL;
    if (d)
        closedir(d);
    return n;
}

START_TEST(drop_all_releases_everything_silently)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-drop-%d", (int)getpid());
    char cmd[256], db[128], recs[128], err[256] = "";
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/rec", g_dir, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(db, sizeof db, "%s/e.db", g_dir);
    snprintf(recs, sizeof recs, "%s/rec", g_dir);
    amdi_store *st;
    ck_assert_int_eq(amdi_store_open(db, 0, &st, err, sizeof err), 0);
    ck_assert_int_eq(amdi_store_account_put(st, AC, "tok"), 0);
    amdi_calls_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.driver.ops = &k_ops;
    cfg.clock_speed = 1;
    cfg.cps = 0.2; /* the second call waits 5 s in the queue */
    cfg.media_threads = 1;
    cfg.recordings_dir = recs;
    amdi_calls *e = NULL;
    ck_assert_msg(amdi_calls_create(&cfg, &e, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(amdi_calls_add_account(e, AC, "tok"), 0);
    ck_assert_int_eq(amdi_calls_start(e), 0);
    char parent[35], queued[35];
    submit(e, st,
           "To=%2B15551230001&From=%2B15005550006&Record=true&Twiml=%3CResponse%3E%3CDial+record%3D%22record-from-"
           "answer%22%3E%3CNumber%3E%2B15551230002%3C%2FNumber%3E%3C%2FDial%3E%3C%2FResponse%3E",
           parent);
    submit(e, st, "To=%2B15551230003&From=%2B15005550006&Twiml=%3CResponse%3E%3CPause+length%3D%2260%22%2F%3E%3C%2FResponse%3E",
           queued);
    for (int i = 0; i < 300 && !bridged(e, parent); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(bridged(e, parent), "the parent was not bridged to its <Dial> child");
    long files = files_in(recs);
    ck_assert_int_ge(files, 2); /* the call's recording and the dial's */
    pthread_mutex_lock(&e->mu);
    ck_assert_int_eq(e->nlive, 3);
    ck_assert_int_eq(g_legs, 2);
    ck_assert_int_eq(amdi_calls_drop_all(e), 3);
    ck_assert_int_eq(g_legs, 0);
    ck_assert_int_eq(e->nlive, 0);
    ck_assert_int_eq(e->nactive, 0);
    ck_assert_int_eq(e->nqueued, 0);
    ck_assert_ptr_null(e->active);
    ck_assert_ptr_null(amdi_calls_find(e, parent));
    ck_assert_ptr_null(amdi_calls_find(e, queued));
    pthread_mutex_unlock(&e->mu);
    ck_assert_int_eq(files_in(recs), files); /* left as they were, not removed */
    /* the engine runs on */
    char again[35];
    submit(e, st, "To=%2B15551230001&From=%2B15005550006&Twiml=%3CResponse%3E%3CPause+length%3D%2260%22%2F%3E%3C%2FResponse%3E",
           again);
    for (int i = 0; i < 800 && g_legs == 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(g_legs, 1);
    pthread_mutex_lock(&e->mu);
    ck_assert_int_eq(amdi_calls_drop_all(e), 1);
    pthread_mutex_unlock(&e->mu);
    ck_assert_int_eq(g_legs, 0);
    amdi_calls_destroy(e);
    amdi_store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd)) {
    }
}
END_TEST

Suite *call_drop_suite(void)
{
    Suite *s = suite_create("call_drop");
    TCase *tc = tcase_create("drop");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, drop_all_releases_everything_silently);
    suite_add_tcase(s, tc);
    return s;
}
