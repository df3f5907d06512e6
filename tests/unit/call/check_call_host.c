/* SPDX-License-Identifier: MIT */
/* The host driver (amd/host.h) end to end through amd_call_*: the host is told to dial with
 * the call's SID / To / From, its ringing, answer, busy, failure and hang-up reports move the
 * stored call through the same lifecycle as the simulated carrier, fed audio is detected
 * (a CED fax tone fed as float in odd chunks is `fax`), the server's own hang-ups reach the
 * host, and every misuse is refused with the documented error. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/call.h"
#include "amd/host.h"
#include "amd/server.h"
#include "test_util.h"

Suite *call_host_suite(void);

#define AC "AC0123456789abcdef0123456789abcdef"
#define TWIML_LONG "Twiml=%3CResponse%3E%3CPause%20length%3D%2230%22%2F%3E%3C%2FResponse%3E"
#define TWIML_HANGUP "Twiml=%3CResponse%3E%3CHangup%2F%3E%3C%2FResponse%3E"

static char g_dir[64];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static amd_host_call *g_call;        /* the last leg dialed */
static char g_dial[3][64];           /* its SID, To, From */
static int g_dial_rc;                /* what the dial callback answers */
static int g_hangups;                /* hangup callbacks */
static char g_final[16], g_amd[24];  /* last final status, last AMD result */
static int g_events;

static int on_dial(void *user, amd_host_call *call, const char *sid, const char *to, const char *from)
{
    ck_assert_ptr_eq(user, (void *)&g_mu);
    pthread_mutex_lock(&g_mu);
    snprintf(g_dial[0], 64, "%s", sid);
    snprintf(g_dial[1], 64, "%s", to);
    snprintf(g_dial[2], 64, "%s", from);
    if (!g_dial_rc)
        g_call = call;
    int rc = g_dial_rc;
    pthread_mutex_unlock(&g_mu);
    return rc;
}

static void on_hangup(void *user, amd_host_call *call)
{
    (void)user;
    (void)call;
    pthread_mutex_lock(&g_mu);
    g_hangups++;
    pthread_mutex_unlock(&g_mu);
}

static void on_event(void *user, const amd_host_event *ev)
{
    (void)user;
    pthread_mutex_lock(&g_mu);
    g_events++;
    if (ev->kind == AMD_HOST_EVENT_AMD)
        snprintf(g_amd, sizeof g_amd, "%s", ev->answered_by);
    else if (ev->final)
        snprintf(g_final, sizeof g_final, "%s", ev->status);
    pthread_mutex_unlock(&g_mu);
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-host-%d", (int)getpid());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", g_dir, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    pthread_mutex_lock(&g_mu);
    g_call = NULL;
    g_dial_rc = 0;
    g_hangups = g_events = 0;
    g_final[0] = g_amd[0] = 0;
    memset(g_dial, 0, sizeof g_dial);
    pthread_mutex_unlock(&g_mu);
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd)) {
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static amd_server *start(void)
{
    static char db[256];
    snprintf(db, sizeof db, "%s/calls.db", g_dir);
    amd_server_account acc = {AC, "tok"};
    amd_server_config cfg;
    amd_server_config_init(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = db;
    cfg.accounts = &acc;
    cfg.n_accounts = 1;
    cfg.cps = 100;
    amd_host_callbacks cb = {on_dial, on_hangup, on_event, &g_mu};
    amd_server *s = NULL;
    char err[256] = "";
    int rc = amd_server_create_host(&cfg, &cb, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "create: %s", err);
    ck_assert_int_eq(amd_server_start(s, err, sizeof err), 0);
    return s;
}

static void create(amd_server *s, const char *extra, char sid[35])
{
    char form[512];
    snprintf(form, sizeof form, "To=%%2B15550000001&From=%%2B15005550006&%s", extra);
    int http = 0;
    char *js = NULL;
    int rc = amd_call_create(s, AC, form, &http, &js);
    ck_assert_msg(rc == 0 && http == 201, "create -> %d %d %s", rc, http, js ? js : "");
    json_t *o = json_loads(js, 0, NULL);
    snprintf(sid, 35, "%s", json_string_value(json_object_get(o, "sid")));
    json_decref(o);
    amd_call_free(js);
}

static amd_host_call *wait_dial(void)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&g_mu);
        amd_host_call *c = g_call;
        pthread_mutex_unlock(&g_mu);
        if (c)
            return c;
        sleep_ms(10);
    }
    ck_abort_msg("the host was never asked to dial");
    return NULL;
}

static void wait_final(const char *want)
{
    char got[16] = "";
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&g_mu);
        memcpy(got, g_final, sizeof got);
        pthread_mutex_unlock(&g_mu);
        if (got[0])
            break;
        sleep_ms(10);
    }
    ck_assert_str_eq(got, want);
}

static char *stored(amd_server *s, const char *sid, const char *key)
{
    static char v[64];
    char *js = NULL;
    ck_assert_int_eq(amd_call_fetch(s, AC, sid, &js), 0);
    json_t *o = json_loads(js, 0, NULL);
    const char *x = json_string_value(json_object_get(o, key));
    snprintf(v, sizeof v, "%s", x ? x : "");
    json_decref(o);
    amd_call_free(js);
    return v;
}

START_TEST(bad_arguments)
{
    amd_server_config cfg;
    amd_server_config_init(&cfg);
    amd_server *s = (amd_server *)1;
    char err[128] = "";
    ck_assert_int_eq(amd_server_create_host(&cfg, NULL, &s, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "dial"));
    amd_host_callbacks cb = {on_dial, NULL, on_event, NULL};
    ck_assert_int_eq(amd_server_create_host(&cfg, &cb, &s, err, sizeof err), AMD_EINVAL);
    /* a bad config field is reported as by amd_server_create, and the driver is not leaked */
    amd_host_callbacks ok = {on_dial, on_hangup, on_event, NULL};
    cfg.cps = -1;
    ck_assert_int_eq(amd_server_create_host(&cfg, &ok, &s, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "cps"));
    cfg.cps = 1;
    cfg.media_priority = 100; /* SCHED_RR priorities are 1..99 */
    ck_assert_int_eq(amd_server_create_host(&cfg, &ok, &s, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "media_priority"));
    /* NULL handles */
    ck_assert_int_eq(amd_host_call_ringing(NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_answered(NULL, 8000), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_busy(NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_hangup(NULL), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_feed_s16(NULL, NULL, 0), AMD_EINVAL);
    ck_assert_str_eq(amd_host_call_sid(NULL), "");
    amd_host_call_release(NULL);
}
END_TEST

START_TEST(answer_feed_detect)
{
    amd_server *s = start();
    char sid[35];
    create(s, "MachineDetection=Enable&" TWIML_LONG, sid);
    amd_host_call *c = wait_dial();
    pthread_mutex_lock(&g_mu);
    ck_assert_str_eq(g_dial[0], sid);
    ck_assert_str_eq(g_dial[1], "+15550000001");
    ck_assert_str_eq(g_dial[2], "+15005550006");
    pthread_mutex_unlock(&g_mu);
    ck_assert_str_eq(amd_host_call_sid(c), sid);
    int tag = 7;
    amd_host_call_set_user(c, &tag);
    ck_assert_ptr_eq(amd_host_call_user(c), &tag);

    int16_t s16[10] = {0};
    ck_assert_int_eq(amd_host_call_feed_s16(c, s16, 10), AMD_ESTATE); /* not answered yet */
    ck_assert_int_eq(amd_host_call_hangup(c), AMD_ESTATE);            /* hang-up before answer: use failed */
    ck_assert_int_eq(amd_host_call_ringing(c), 0);
    for (int i = 0; i < 500 && strcmp(stored(s, sid, "status"), "ringing"); i++)
        sleep_ms(10); /* picked up at the next 20 ms tick, then committed */
    ck_assert_str_eq(stored(s, sid, "status"), "ringing");
    ck_assert_int_eq(amd_host_call_answered(c, 7999), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_answered(c, 48001), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_answered(c, 16000), 0);
    ck_assert_int_eq(amd_host_call_answered(c, 16000), AMD_ESTATE);
    ck_assert_int_eq(amd_host_call_busy(c), AMD_ESTATE);
    ck_assert_int_eq(amd_host_call_ringing(c), AMD_ESTATE);

    /* CED (ITU-T T.30: 2100 Hz, 2.6..4 s) then silence, at 16 kHz, fed as float in odd chunks */
    enum { RATE = 16000, N = RATE * 5 };
    static float x[N];
    memset(x, 0, sizeof x);
    tu_add_sine(x, RATE * 3, RATE, 2100.0, 0.3, 0.0);
    float bad[3] = {0.0f, NAN, 0.0f};
    ck_assert_int_eq(amd_host_call_feed_float(c, bad, 3), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_feed_float(c, NULL, 5), AMD_EINVAL);
    ck_assert_int_eq(amd_host_call_feed_float(c, x, 0), 0);
    for (size_t off = 0; off < N; off += 333)
        ck_assert_int_eq(amd_host_call_feed_float(c, x + off, N - off < 333 ? N - off : 333), 0);
    /* more than AMD_HOST_MAX_BUFFER_MS in one go is refused, nothing queued */
    size_t big = (size_t)RATE * (AMD_HOST_MAX_BUFFER_MS / 1000 + 1);
    uint8_t *u = calloc(big, 1);
    ck_assert_int_eq(amd_host_call_feed_ulaw(c, u, big), AMD_ELIMIT);
    free(u);
    ck_assert_int_eq(amd_host_call_hangup(c), 0);
    ck_assert_int_eq(amd_host_call_feed_s16(c, s16, 10), AMD_ESTATE); /* after hang-up */
    wait_final("completed");
    for (int i = 0; i < 200; i++) { /* the leg is released after the tick that ended the call */
        pthread_mutex_lock(&g_mu);
        int h = g_hangups;
        pthread_mutex_unlock(&g_mu);
        if (h)
            break;
        sleep_ms(10);
    }
    pthread_mutex_lock(&g_mu);
    ck_assert_str_eq(g_amd, "fax");
    ck_assert_int_eq(g_hangups, 1); /* the server tells the host it is done with the leg */
    pthread_mutex_unlock(&g_mu);
    for (int i = 0; i < 200 && strcmp(stored(s, sid, "status"), "completed"); i++)
        sleep_ms(10); /* the event comes just before the commit (host.h) */
    ck_assert_str_eq(stored(s, sid, "answered_by"), "fax");
    ck_assert_str_eq(stored(s, sid, "status"), "completed");
    ck_assert_int_eq(amd_host_call_ringing(c), AMD_ESTATE);
    amd_host_call_release(c);
    amd_server_destroy(s);
}
END_TEST

START_TEST(busy_and_failed)
{
    amd_server *s = start();
    char sid[35];
    create(s, TWIML_LONG, sid);
    amd_host_call *c = wait_dial();
    ck_assert_int_eq(amd_host_call_busy(c), 0);
    ck_assert_int_eq(amd_host_call_answered(c, 8000), AMD_ESTATE);
    wait_final("busy");
    for (int i = 0; i < 200 && strcmp(stored(s, sid, "status"), "busy"); i++)
        sleep_ms(10); /* the event comes just before the commit (host.h) */
    ck_assert_str_eq(stored(s, sid, "status"), "busy");
    amd_host_call_release(c);

    pthread_mutex_lock(&g_mu);
    g_call = NULL;
    g_final[0] = 0;
    pthread_mutex_unlock(&g_mu);
    create(s, TWIML_LONG, sid);
    c = wait_dial();
    ck_assert_int_eq(amd_host_call_ringing(c), 0);
    ck_assert_int_eq(amd_host_call_failed(c, 404), 0);
    wait_final("failed");
    amd_host_call_release(c);

    /* the host refuses to dial at all: failed, with no handle to release */
    pthread_mutex_lock(&g_mu);
    g_call = NULL;
    g_final[0] = 0;
    g_dial_rc = AMD_EIO;
    g_hangups = 0;
    pthread_mutex_unlock(&g_mu);
    create(s, TWIML_LONG, sid);
    wait_final("failed");
    pthread_mutex_lock(&g_mu);
    ck_assert_int_eq(g_hangups, 0);
    pthread_mutex_unlock(&g_mu);
    amd_server_destroy(s);
}
END_TEST

START_TEST(server_hangs_up)
{
    amd_server *s = start();
    char sid[35];
    /* TwiML <Hangup/> right after answer: the host is told, its later reports are refused */
    create(s, TWIML_HANGUP, sid);
    amd_host_call *c = wait_dial();
    ck_assert_int_eq(amd_host_call_answered(c, 8000), 0);
    wait_final("completed");
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&g_mu);
        int h = g_hangups;
        pthread_mutex_unlock(&g_mu);
        if (h)
            break;
        sleep_ms(10);
    }
    pthread_mutex_lock(&g_mu);
    ck_assert_int_eq(g_hangups, 1);
    pthread_mutex_unlock(&g_mu);
    int16_t z[160] = {0};
    ck_assert_int_eq(amd_host_call_feed_s16(c, z, 160), AMD_ESTATE);
    ck_assert_int_eq(amd_host_call_hangup(c), AMD_ESTATE);
    amd_host_call_release(c);

    /* canceled while ringing through the API */
    pthread_mutex_lock(&g_mu);
    g_call = NULL;
    g_final[0] = 0;
    g_hangups = 0;
    pthread_mutex_unlock(&g_mu);
    create(s, TWIML_LONG, sid);
    c = wait_dial();
    ck_assert_int_eq(amd_host_call_ringing(c), 0);
    sleep_ms(100);
    int http = 0;
    char *js = NULL;
    ck_assert_int_eq(amd_call_update(s, AC, sid, "Status=canceled", &http, &js), 0);
    amd_call_free(js);
    wait_final("canceled");
    pthread_mutex_lock(&g_mu);
    ck_assert_int_eq(g_hangups, 1);
    pthread_mutex_unlock(&g_mu);
    amd_host_call_release(c);

    /* the host drops the handle first: a far-end hang-up for the server */
    pthread_mutex_lock(&g_mu);
    g_call = NULL;
    g_final[0] = 0;
    g_hangups = 0;
    pthread_mutex_unlock(&g_mu);
    create(s, TWIML_LONG, sid);
    c = wait_dial();
    ck_assert_int_eq(amd_host_call_answered(c, 8000), 0);
    amd_host_call_release(c);
    wait_final("completed");
    pthread_mutex_lock(&g_mu);
    ck_assert_int_eq(g_hangups, 0);
    pthread_mutex_unlock(&g_mu);
    amd_server_destroy(s);
}
END_TEST

/* CPS above 50 (one call per 20 ms tick): the queue dials several calls per tick, so the
 * dial-out rate is the CPS asked for (Twilio: calls over the CPS are queued and
 * dialed at that rate). 300 calls at 150 CPS: 2 s. */
static int64_t g_dial_times[400];
static int g_ndials;

static int count_dial(void *user, amd_host_call *call, const char *sid, const char *to, const char *from)
{
    (void)user;
    (void)sid;
    (void)to;
    (void)from;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&g_mu);
    if (g_ndials < 400)
        g_dial_times[g_ndials++] = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    pthread_mutex_unlock(&g_mu);
    return amd_host_call_busy(call);
}

static void release_on_hangup(void *user, amd_host_call *call)
{
    (void)user;
    amd_host_call_release(call);
}

START_TEST(cps_above_fifty)
{
    static char db[256];
    /* tmpfs: 300 durable creates must be quicker than their dial-out for a queue to form */
    snprintf(db, sizeof db, "/dev/shm/amd-check-host-cps-%d.db", (int)getpid());
    const char *sfx[] = {"", "-wal", "-shm", ".lock"};
    amd_server_account acc = {AC, "tok"};
    amd_server_config cfg;
    amd_server_config_init(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = db;
    cfg.accounts = &acc;
    cfg.n_accounts = 1;
    cfg.cps = 150;
    cfg.clock_speed = 1; /* engine lag on a busy machine is then as short as possible in engine ms */
    g_ndials = 0;
    amd_host_callbacks cb = {count_dial, release_on_hangup, on_event, NULL};
    amd_server *s = NULL;
    char err[256] = "";
    ck_assert_int_eq(amd_server_create_host(&cfg, &cb, &s, err, sizeof err), 0);
    ck_assert_int_eq(amd_server_start(s, err, sizeof err), 0);
    /* rate in engine time, which the CPS schedule runs on and which lags wall time on a busy
     * machine: dial time = date_created (engine clock = wall-based, so start + creation offset)
     * + queue_time (measured by the engine's own ticks) */
    static char sids[300][35];
    static int64_t created_us[300];
    struct timespec ts;
    for (int i = 0; i < 300; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        created_us[i] = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        create(s, TWIML_LONG, sids[i]);
    }
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&g_mu);
        int n = g_ndials;
        pthread_mutex_unlock(&g_mu);
        if (n >= 300)
            break;
        sleep_ms(10);
    }
    double dial_ms[2];
    int idx[2] = {50, 299};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 500 && strcmp(stored(s, sids[idx[k]], "status"), "busy"); i++)
            sleep_ms(10); /* the dial callback comes before the commit of its queue_time */
        const char *qt = stored(s, sids[idx[k]], "queue_time");
        dial_ms[k] = (created_us[idx[k]] - created_us[0]) / 1000.0 + atof(qt);
    }
    amd_server_destroy(s);
    for (int i = 0; i < 4; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", db, sfx[i]);
        unlink(p);
    }
    ck_assert_int_eq(g_ndials, 300);
    /* calls 50..299 were all waiting: their spacing is the CPS */
    double rate = 249.0 / ((dial_ms[1] - dial_ms[0]) / 1000.0);
    ck_assert_msg(rate > 140 && rate < 160, "dial-out rate %.1f calls/s of engine time, want 150", rate);
}
END_TEST

Suite *call_host_suite(void)
{
    Suite *s = suite_create("call_host");
    TCase *t = tcase_create("host");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, bad_arguments);
    tcase_add_test(t, answer_feed_detect);
    tcase_add_test(t, busy_and_failed);
    tcase_add_test(t, server_hangs_up);
    tcase_add_test(t, cps_above_fifty);
    suite_add_tcase(s, t);
    return s;
}
