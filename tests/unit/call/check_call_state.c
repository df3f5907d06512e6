/* SPDX-License-Identifier: MIT */
/* The call state machine (call_state.h) as pure transitions: every phase against every input,
 * the Timeout / TimeLimit boundaries, and that a step never changes the call it looks at. No
 * threads, clock or store. Then the ownership rule at the call table (calls_internal.h): a call
 * the state machine ends stays readable until amdi_calls_reap(), which alone releases its leg
 * and frees it (a hand-built call server without its tick thread; its writer over a temporary
 * store). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amd/error.h"
#include "call_state.h"
#include "calls_internal.h"
#include "params.h"

Suite *call_state_suite(void);

#define NIN (AMDI_CI_LOST + 1)
#define NPH (AMDI_CS_DONE + 1)

/* Expected outcome of one input in one phase. ignore: nothing changes. */
typedef struct expect {
    int applies;
    amdi_call_phase phase;
    amd_call_status status;
    unsigned callback;
    const char *cb_status;
    int ended, start_media;
} expect;

#define IGN {0, 0, 0, 0, NULL, 0, 0}
#define END(st, name) {1, AMDI_CS_DONE, st, AMDI_EV_COMPLETED, name, 1, 0}

/* Inputs other than CLOCK (whose outcome depends on time; tested below). */
static const expect k_table[NPH][NIN] = {
    [AMDI_CS_QUEUED] =
        {
            [AMDI_CI_DIAL] = {1, AMDI_CS_INITIATED, AMD_CALL_QUEUED, AMDI_EV_INITIATED, "initiated", 0, 0},
            [AMDI_CI_DIAL_FAILED] = IGN,
            [AMDI_CI_RINGING] = IGN,
            [AMDI_CI_ANSWERED] = IGN,
            [AMDI_CI_BUSY] = IGN,
            [AMDI_CI_NO_ANSWER] = IGN,
            [AMDI_CI_REFUSED] = IGN,
            [AMDI_CI_REMOTE_HANGUP] = IGN,
            [AMDI_CI_INSTRUCTIONS_END] = IGN,
            [AMDI_CI_INSTRUCTIONS_BROKEN] = IGN,
            [AMDI_CI_HANGUP_REQUEST] = END(AMD_CALL_CANCELED, "canceled"),
            [AMDI_CI_CANCEL_REQUEST] = END(AMD_CALL_CANCELED, "canceled"),
            [AMDI_CI_SHUTDOWN] = IGN, /* queued calls stay queued for the next start */
            [AMDI_CI_LOST] = END(AMD_CALL_FAILED, "failed"),
        },
    [AMDI_CS_INITIATED] =
        {
            [AMDI_CI_DIAL] = IGN,
            [AMDI_CI_DIAL_FAILED] = END(AMD_CALL_FAILED, "failed"),
            [AMDI_CI_RINGING] = {1, AMDI_CS_RINGING, AMD_CALL_RINGING, AMDI_EV_RINGING, "ringing", 0, 0},
            [AMDI_CI_ANSWERED] = {1, AMDI_CS_ANSWERED, AMD_CALL_IN_PROGRESS, AMDI_EV_ANSWERED, "in-progress", 0, 1},
            [AMDI_CI_BUSY] = END(AMD_CALL_BUSY, "busy"),
            [AMDI_CI_NO_ANSWER] = END(AMD_CALL_NO_ANSWER, "no-answer"),
            [AMDI_CI_REFUSED] = END(AMD_CALL_FAILED, "failed"),
            [AMDI_CI_REMOTE_HANGUP] = END(AMD_CALL_COMPLETED, "completed"),
            [AMDI_CI_INSTRUCTIONS_END] = IGN,
            [AMDI_CI_INSTRUCTIONS_BROKEN] = IGN,
            [AMDI_CI_HANGUP_REQUEST] = END(AMD_CALL_CANCELED, "canceled"),
            [AMDI_CI_CANCEL_REQUEST] = END(AMD_CALL_CANCELED, "canceled"),
            [AMDI_CI_SHUTDOWN] = END(AMD_CALL_FAILED, "failed"),
            [AMDI_CI_LOST] = END(AMD_CALL_FAILED, "failed"),
        },
    [AMDI_CS_ANSWERED] =
        {
            [AMDI_CI_DIAL] = IGN,
            [AMDI_CI_DIAL_FAILED] = IGN,
            [AMDI_CI_RINGING] = IGN,
            [AMDI_CI_ANSWERED] = IGN,
            [AMDI_CI_BUSY] = END(AMD_CALL_BUSY, "busy"),
            [AMDI_CI_NO_ANSWER] = END(AMD_CALL_NO_ANSWER, "no-answer"),
            [AMDI_CI_REFUSED] = END(AMD_CALL_FAILED, "failed"),
            [AMDI_CI_REMOTE_HANGUP] = END(AMD_CALL_COMPLETED, "completed"),
            [AMDI_CI_INSTRUCTIONS_END] = END(AMD_CALL_COMPLETED, "completed"),
            [AMDI_CI_INSTRUCTIONS_BROKEN] = END(AMD_CALL_FAILED, "failed"),
            [AMDI_CI_HANGUP_REQUEST] = END(AMD_CALL_COMPLETED, "completed"),
            [AMDI_CI_CANCEL_REQUEST] = IGN, /* Twilio: canceled does not hang up an answered call */
            [AMDI_CI_SHUTDOWN] = END(AMD_CALL_COMPLETED, "completed"),
            [AMDI_CI_LOST] = END(AMD_CALL_COMPLETED, "completed"),
        },
};

static amdi_call_fsm in_phase(amdi_call_phase ph)
{
    amdi_call_fsm f;
    amdi_call_fsm_init(&f, 60, 14400);
    static const amd_call_status st[NPH] = {AMD_CALL_QUEUED, AMD_CALL_QUEUED, AMD_CALL_RINGING,
                                            AMD_CALL_IN_PROGRESS, AMD_CALL_COMPLETED};
    f.phase = ph;
    f.status = st[ph];
    f.t_dial = 1000;
    f.t_answer = 5000;
    return f;
}

static void check_one(amdi_call_phase ph, amdi_call_input in, const expect *x)
{
    amdi_call_fsm f = in_phase(ph), before = f;
    amdi_call_effects fx;
    amdi_call_step(&f, in, 6000, &fx);
    ck_assert_msg(!memcmp(&f, &before, sizeof f), "step changed the call (phase %d input %d)", ph, in);
    ck_assert_msg(fx.applies == x->applies, "phase %d input %d: applies %d", ph, in, fx.applies);
    if (!x->applies) { /* nothing changes, nothing to do */
        ck_assert_int_eq(fx.phase, ph);
        ck_assert_int_eq(fx.status, before.status);
        ck_assert(!fx.callback && !fx.ended && !fx.start_media && !fx.run_instructions);
        return;
    }
    ck_assert_msg(fx.phase == x->phase, "phase %d input %d: -> %d", ph, in, fx.phase);
    ck_assert_int_eq(fx.status, x->status);
    ck_assert_uint_eq(fx.callback, x->callback);
    ck_assert_str_eq(fx.cb_status, x->cb_status);
    ck_assert_int_eq(fx.ended, x->ended);
    ck_assert_int_eq(fx.start_media, x->start_media);
    ck_assert_int_eq(fx.run_instructions, 0);
}

START_TEST(every_input_in_every_phase)
{
    for (int ph = AMDI_CS_QUEUED; ph <= AMDI_CS_ANSWERED; ph++) {
        for (int in = 0; in < NIN; in++) {
            if (in == AMDI_CI_CLOCK || ph == AMDI_CS_RINGING)
                continue;
            /* ringing answers to the same inputs as initiated (both are "being placed") */
            check_one((amdi_call_phase)ph, (amdi_call_input)in, &k_table[ph][in]);
            if (ph == AMDI_CS_INITIATED)
                check_one(AMDI_CS_RINGING, (amdi_call_input)in, &k_table[ph][in]);
        }
    }
}
END_TEST

START_TEST(done_is_final)
{
    /* An ended call may still be on the stack of the tick that ended it (a driver callback, the
     * detector pass): whatever it is fed then must do nothing, so it ends exactly once. */
    for (int in = 0; in < NIN; in++)
        check_one(AMDI_CS_DONE, (amdi_call_input)in, &(expect)IGN);
    amdi_call_fsm f = in_phase(AMDI_CS_ANSWERED);
    amdi_call_effects fx;
    amdi_call_step(&f, AMDI_CI_REMOTE_HANGUP, 6000, &fx);
    amdi_call_fsm_apply(&f, &fx, 6000);
    ck_assert_int_eq(f.phase, AMDI_CS_DONE);
    ck_assert_int_eq(f.status, AMD_CALL_COMPLETED);
    amdi_call_step(&f, AMDI_CI_CLOCK, 1000000000, &fx);
    ck_assert_int_eq(fx.applies, 0);
}
END_TEST

START_TEST(timeout_while_placing)
{
    for (int ph = AMDI_CS_INITIATED; ph <= AMDI_CS_RINGING; ph++) {
        amdi_call_fsm f = in_phase((amdi_call_phase)ph); /* dialed at 1000, Timeout 60 s */
        amdi_call_effects fx;
        amdi_call_step(&f, AMDI_CI_CLOCK, 1000 + 59999, &fx);
        ck_assert_int_eq(fx.applies, 0);
        amdi_call_step(&f, AMDI_CI_CLOCK, 1000 + 60000, &fx);
        ck_assert(fx.applies && fx.ended);
        ck_assert_int_eq(fx.status, AMD_CALL_NO_ANSWER);
        ck_assert_str_eq(fx.cb_status, "no-answer");
        ck_assert_uint_eq(fx.callback, AMDI_EV_COMPLETED);
    }
    /* the clock means nothing to a queued call (the CPS queue dials it) */
    amdi_call_fsm q = in_phase(AMDI_CS_QUEUED);
    amdi_call_effects fx;
    amdi_call_step(&q, AMDI_CI_CLOCK, INT64_C(1) << 50, &fx);
    ck_assert_int_eq(fx.applies, 0);
}
END_TEST

START_TEST(time_limit_when_answered)
{
    amdi_call_fsm f = in_phase(AMDI_CS_ANSWERED); /* answered at 5000, TimeLimit 14400 s */
    amdi_call_effects fx;
    amdi_call_step(&f, AMDI_CI_CLOCK, 5000 + 14400LL * 1000 - 1, &fx);
    ck_assert(fx.applies && fx.run_instructions && !fx.ended && !fx.callback);
    ck_assert_int_eq(fx.phase, AMDI_CS_ANSWERED);
    amdi_call_step(&f, AMDI_CI_CLOCK, 5000 + 14400LL * 1000, &fx);
    ck_assert(fx.applies && fx.ended && !fx.run_instructions);
    ck_assert_int_eq(fx.status, AMD_CALL_COMPLETED);
    /* an update's TimeLimit counts from the answer too */
    f.time_limit_ms = 2000;
    amdi_call_step(&f, AMDI_CI_CLOCK, 7000, &fx);
    ck_assert(fx.ended);
}
END_TEST

START_TEST(a_whole_call_through_apply)
{
    amdi_call_fsm f;
    amdi_call_fsm_init(&f, 30, 600);
    ck_assert_int_eq(f.phase, AMDI_CS_QUEUED);
    ck_assert_int_eq(f.status, AMD_CALL_QUEUED);
    ck_assert_int_eq(f.timeout_ms, 30000);
    ck_assert_int_eq(f.time_limit_ms, 600000);
    static const struct {
        amdi_call_input in;
        int64_t t;
        amdi_call_phase ph;
        amd_call_status st;
    } seq[] = {
        {AMDI_CI_DIAL, 100, AMDI_CS_INITIATED, AMD_CALL_QUEUED},
        {AMDI_CI_RINGING, 900, AMDI_CS_RINGING, AMD_CALL_RINGING},
        {AMDI_CI_ANSWERED, 4000, AMDI_CS_ANSWERED, AMD_CALL_IN_PROGRESS},
        {AMDI_CI_CLOCK, 9000, AMDI_CS_ANSWERED, AMD_CALL_IN_PROGRESS},
        {AMDI_CI_INSTRUCTIONS_END, 12000, AMDI_CS_DONE, AMD_CALL_COMPLETED},
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        amdi_call_effects fx;
        amdi_call_step(&f, seq[i].in, seq[i].t, &fx);
        ck_assert_int_eq(fx.applies, 1);
        amdi_call_fsm_apply(&f, &fx, seq[i].t);
        ck_assert_int_eq(f.phase, seq[i].ph);
        ck_assert_int_eq(f.status, seq[i].st);
    }
    ck_assert_int_eq(f.t_dial, 100);   /* the dial time is the Timeout's origin */
    ck_assert_int_eq(f.t_answer, 4000); /* the answer time is the TimeLimit's */
    /* an ignored input changes nothing, also through apply */
    amdi_call_fsm g = f;
    amdi_call_effects fx;
    amdi_call_step(&g, AMDI_CI_ANSWERED, 99999, &fx);
    amdi_call_fsm_apply(&g, &fx, 99999);
    ck_assert(!memcmp(&f, &g, sizeof f));
}
END_TEST

/* ---- the ownership rule at the call table ---- */

static int g_released;

static void o_release(void *drv, amdi_leg *leg)
{
    (void)drv;
    g_released++;
    free(leg);
}

static const amdi_driver_ops k_own_ops = {.name = "own", .release = o_release};

START_TEST(ended_call_lives_until_reap)
{
    char dir[64], db[96], cmd[160], err[256] = "";
    snprintf(dir, sizeof dir, "/tmp/amd-check-state-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(db, sizeof db, "%s/s.db", dir);
    amdi_store *st = NULL;
    ck_assert_msg(amdi_store_open(db, 0, &st, err, sizeof err) == 0, "%s", err);

    /* a call server without its tick thread: this test is the tick */
    amdi_calls *e = calloc(1, sizeof *e);
    ck_assert_ptr_nonnull(e);
    e->cfg.store = st;
    e->cfg.driver.ops = &k_own_ops;
    e->hash = calloc(HASH_BUCKETS, sizeof *e->hash);
    ck_assert_ptr_nonnull(e->hash);
    ck_assert_int_eq(amdi_writer_create(st, NULL, &e->log, &e->w), 0);
    acct a;
    memset(&a, 0, sizeof a);
    snprintf(a.sid, sizeof a.sid, "AC00000000000000000000000000000001");

    amdi_call_rec r;
    amdi_call_rec_init(&r);
    snprintf(r.sid, sizeof r.sid, "CA00000000000000000000000000000001");
    snprintf(r.account_sid, sizeof r.account_sid, "%s", a.sid);
    r.status = AMD_CALL_QUEUED;
    ck_assert_int_eq(amdi_store_account_put(st, a.sid, "tok"), 0);
    ck_assert_int_eq(amdi_store_call_insert(st, &r, ""), 0);
    amdi_create_params p;
    memset(&p, 0, sizeof p);
    p.timeout_s = 60;
    p.time_limit_s = 14400;
    live *c = amdi_calls_live_new(e, &r, &p, &a);
    ck_assert_ptr_nonnull(c);
    amdi_calls_hash_add(e, c);
    e->nlive++;
    amdi_calls_activate(e, c);
    c->fsm.phase = AMDI_CS_ANSWERED; /* as if dialed and answered */
    c->fsm.t_answer = e->now = 1000;
    c->rec.answer_time = 1000;
    c->leg = malloc(16);
    ck_assert_ptr_nonnull(c->leg);

    amdi_calls_tx_begin(e);
    e->now = 3000;
    ck_assert_int_eq(amdi_calls_input(e, c, AMDI_CI_REMOTE_HANGUP, NULL), 1);
    /* ended, not freed: off the table, on the dead list, its leg still held (the driver may be
     * inside advance() for it); reading it is still safe (ASan would say otherwise) */
    ck_assert_ptr_null(amdi_calls_find(e, r.sid));
    ck_assert_ptr_eq(e->dead, c);
    ck_assert_int_eq(c->fsm.phase, AMDI_CS_DONE);
    ck_assert_int_eq(c->rec.status, AMD_CALL_COMPLETED);
    ck_assert_int_eq(c->rec.duration_s, 2);
    ck_assert_int_eq(g_released, 0);
    ck_assert_int_eq(e->nlive, 0);
    ck_assert_int_eq(e->nactive, 0);
    /* whatever else the tick feeds it now does nothing, and it does not end twice */
    ck_assert_int_eq(amdi_calls_input(e, c, AMDI_CI_HANGUP_REQUEST, NULL), 0);
    ck_assert_int_eq(amdi_calls_input(e, c, AMDI_CI_CLOCK, NULL), 0);
    ck_assert_ptr_eq(e->dead, c);
    ck_assert_ptr_null(c->dnext);
    /* the end of the tick: the one place it is freed, its leg released once */
    amdi_calls_reap(e);
    ck_assert_ptr_null(e->dead);
    ck_assert_int_eq(g_released, 1);
    amdi_calls_reap(e);
    ck_assert_int_eq(g_released, 1);
    int done = 0;
    amdi_calls_tx_end_flag(e, &done);
    amdi_writer_wait(e->w, &done);
    ck_assert_int_eq(done, 1);

    amdi_call_rec back; /* committed before the batch's end was reported */
    ck_assert_int_eq(amdi_store_call_get(st, a.sid, r.sid, &back), 0);
    ck_assert_str_eq(amd_call_status_name(back.status), "completed");
    ck_assert_int_eq(back.end_time, 3000);
    amdi_writer_destroy(e->w);
    free(e->hash);
    free(e);
    amdi_store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *call_state_suite(void)
{
    Suite *s = suite_create("call_state");
    TCase *t = tcase_create("fsm");
    tcase_add_test(t, every_input_in_every_phase);
    tcase_add_test(t, done_is_final);
    tcase_add_test(t, timeout_while_placing);
    tcase_add_test(t, time_limit_when_answered);
    tcase_add_test(t, a_whole_call_through_apply);
    suite_add_tcase(s, t);
    TCase *o = tcase_create("ownership");
    tcase_add_test(o, ended_call_lives_until_reap);
    suite_add_tcase(s, o);
    return s;
}
