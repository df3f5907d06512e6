/* SPDX-License-Identifier: MIT */
/* The call engine's ownership rule (calls.c, reap()): a call ended inside a driver callback stays
 * readable until every callback of that tick has returned. A scripted driver answers and
 * feeds audio from inside advance(); the calls end there (invalid inline TwiML on answer; a
 * synchronous AMD decision inside the audio sink), and the driver and the engine keep using
 * them afterwards. Under the ASan build a premature free is a heap-use-after-free. Also: inline
 * `Twiml` is refused at create with Twilio's code and a message naming the problem. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "calls.h"
#include "form.h"
#include "params.h"
#include "sid.h"
#include "store.h"

Suite *call_engine_suite(void);

#define AC "AC0123456789abcdef0123456789abcdef"

struct amdi_leg {
    int64_t t0;
    int step;
};

static int g_tone;

static int s_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    (void)drv;
    *out = calloc(1, sizeof **out);
    (*out)->t0 = req->now_ms;
    return *out ? 0 : AMD_ENOMEM;
}

/* Answer at once, then in the same call: one 20 ms frame and then 4 s of audio in one piece
 * (a catch-up that makes the engine run the detector inside the sink), then another frame. */
static void s_advance(void *drv, amdi_leg *leg, int64_t now_ms, const amdi_leg_sink *sink, void *ctx)
{
    (void)drv;
    (void)now_ms;
    if (leg->step++)
        return;
    sink->ringing(ctx);
    sink->answered(ctx, 8000);
    enum { N = 8000 * 4 };
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = g_tone ? 0.3f * (float)sin(2.0 * 3.14159265358979 * 2100.0 * i / 8000.0) : 0.0f;
    sink->audio(ctx, x, 160);
    sink->audio(ctx, x, N);
    sink->audio(ctx, x, 160);
    sink->remote_hangup(ctx);
    leg->step++; /* the leg, too, must outlive the callbacks of this advance() */
}

static void s_release(void *drv, amdi_leg *leg)
{
    (void)drv;
    free(leg);
}

static void s_destroy(void *drv)
{
    (void)drv;
}

static const amdi_driver_ops k_ops = {.name = "script", .dial = s_dial, .advance = s_advance,
                                      .release = s_release, .destroy = s_destroy};

static char g_dir[64];

static amdi_calls *start(amdi_store **st)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-engine-%d", (int)getpid());
    char cmd[256], db[128], err[256] = "";
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", g_dir, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(db, sizeof db, "%s/e.db", g_dir);
    ck_assert_int_eq(amdi_store_open(db, 0, st, err, sizeof err), 0);
    ck_assert_int_eq(amdi_store_account_put(*st, AC, "tok"), 0);
    amdi_calls_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = *st;
    cfg.driver.ops = &k_ops;
    cfg.clock_speed = 1;
    cfg.cps = 100;
    cfg.media_threads = 1;
    amdi_calls *e = NULL;
    ck_assert_msg(amdi_calls_create(&cfg, &e, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(amdi_calls_add_account(e, AC, "tok"), 0);
    ck_assert_int_eq(amdi_calls_start(e), 0);
    return e;
}

/* Submit a call built from @p body, with its inline TwiML then replaced by @p raw_twiml (as
 * if validation had let it through: the engine must be safe on its own). */
static void submit(amdi_calls *e, amdi_store *st, const char *body, const char *raw_twiml, char sid[35])
{
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, body, strlen(body), AMDI_FORM_MAX_ITEMS), 0);
    amdi_create_params p;
    amdi_api_error ae;
    ck_assert_int_eq(amdi_create_params_parse(&p, &f, &ae), 0);
    if (raw_twiml)
        p.twiml = raw_twiml;
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
    memcpy(sid, r.sid, 35);
}

static void wait_ended(amdi_calls *e, const char *sid)
{
    for (int i = 0; i < 500 && amdi_calls_is_live(e, sid); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(amdi_calls_is_live(e, sid), 0);
}

static void finish(amdi_calls *e, amdi_store *st, const char *sid, const char *status, int code)
{
    amdi_calls_destroy(e);
    amdi_call_rec r;
    ck_assert_int_eq(amdi_store_call_get(st, AC, sid, &r), 0);
    ck_assert_str_eq(amd_call_status_name(r.status), status);
    ck_assert_int_eq(r.error_code, code);
    amdi_store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd)) {
    }
}

/* The answer callback runs the inline TwiML, which fails and ends the call; the driver then
 * still feeds audio and reports a hang-up, and the engine reads the call after advance(). */
START_TEST(ended_on_answer_by_invalid_twiml)
{
    g_tone = 0;
    amdi_store *st;
    amdi_calls *e = start(&st);
    char sid[35];
    submit(e, st, "To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%2F%3E", "<Response><Foo/></Response>",
           sid);
    wait_ended(e, sid);
    finish(e, st, sid, "completed", 12200);
}
END_TEST

/* Synchronous AMD: the 4 s piece fed inside the sink is detected there (`fax`), the decision
 * starts the inline TwiML, which fails and ends the call - while the sink is still running. */
START_TEST(ended_by_amd_decision_inside_sink)
{
    g_tone = 1;
    amdi_store *st;
    amdi_calls *e = start(&st);
    char sid[35];
    submit(e, st, "To=%2B15550000001&From=%2B15005550006&MachineDetection=Enable&Twiml=%3CResponse%2F%3E",
           "<Response><Foo/></Response>", sid);
    wait_ended(e, sid);
    finish(e, st, sid, "completed", 12200);
}
END_TEST

static int create_error(const char *body, char *msg, size_t n)
{
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, body, strlen(body), AMDI_FORM_MAX_ITEMS), 0);
    amdi_create_params p;
    amdi_api_error ae;
    memset(&ae, 0, sizeof ae);
    if (amdi_create_params_parse(&p, &f, &ae) == 0) {
        amdi_create_params_free(&p);
        return 0;
    }
    ck_assert_int_eq(ae.http, 400);
    snprintf(msg, n, "%.*s", (int)(n > 0 ? n - 1 : 0), ae.message); /* a message may be cut */
    return ae.code;
}

START_TEST(inline_twiml_validated_at_create)
{
    char msg[256];
    ck_assert_int_eq(create_error("To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%3E%3CFoo%2F%3E%3C%2FResponse%3E",
                                  msg, sizeof msg),
                     12200);
    ck_assert_ptr_nonnull(strstr(msg, "Foo"));
    ck_assert_int_eq(create_error("To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%3E%3CSay%3E", msg, sizeof msg),
                     12100);
    ck_assert_ptr_nonnull(strstr(msg, "Twiml"));
    ck_assert_int_eq(create_error("To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%3E%3CHangup%2F%3E%3C%2FResponse%3E",
                                  msg, sizeof msg),
                     0);
    /* update: the same rule */
    const char *ub = "Twiml=%3CFoo%2F%3E";
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, ub, strlen(ub), AMDI_FORM_MAX_ITEMS), 0);
    amdi_update_params u;
    amdi_api_error ae;
    memset(&ae, 0, sizeof ae);
    ck_assert_int_eq(amdi_update_params_parse(&u, &f, &ae), -1);
    ck_assert_int_eq(ae.http, 400);
    ck_assert(ae.code == 12200 || ae.code == 12100);
    amdi_form_free(&f);
}
END_TEST

Suite *call_engine_suite(void)
{
    Suite *s = suite_create("call_engine");
    TCase *tc = tcase_create("ownership");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ended_on_answer_by_invalid_twiml);
    tcase_add_test(tc, ended_by_amd_decision_inside_sink);
    tcase_add_test(tc, inline_twiml_validated_at_create);
    suite_add_tcase(s, tc);
    return s;
}
