/* SPDX-License-Identifier: MIT */
/* Per-account CPS queues and placing calls through the carrier driver. */
#include "calls_internal.h"

#include <stdio.h>

#include "amd/error.h"

acct *amdi_calls_find_acct(amdi_calls *e, const char *sid)
{
    for (size_t i = 0; i < e->naccts; i++)
        if (!strcmp(e->accts[i].sid, sid))
            return &e->accts[i];
    return NULL;
}

void amdi_calls_unqueue(amdi_calls *e, live *c)
{
    acct *a = c->a;
    live **pp = &a->qhead, *prev = NULL;
    while (*pp && *pp != c) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (!*pp)
        return;
    *pp = c->qnext;
    if (a->qtail == c)
        a->qtail = prev;
    a->qlen--;
    e->nqueued--;
}

void amdi_calls_activate(amdi_calls *e, live *c)
{
    c->next = e->active;
    c->prev = NULL;
    if (e->active)
        e->active->prev = c;
    e->active = c;
    e->nactive++;
}

void amdi_calls_dial_now(amdi_calls *e, live *c)
{
    amdi_call_effects fx;
    amdi_call_step(&c->fsm, AMDI_CI_DIAL, e->now, &fx);
    amdi_call_fsm_apply(&c->fsm, &fx, e->now); /* initiated: on the active list from here */
    if (c->rec.start_time < 0) /* a call from the shared queue starts at its claimed slot */
        c->rec.start_time = e->now;
    c->rec.queue_time_ms = c->rec.start_time - c->rec.date_created > 0 ? c->rec.start_time - c->rec.date_created : 0;
    amdi_calls_activate(e, c);
    const amdi_driver_ops *ops = e->cfg.driver.ops;
    amdi_dial_request req = {.call_sid = c->rec.sid,
                             .to = c->rec.to,
                             .from = c->rec.from,
                             .auth_user = c->p.sip_auth_username,
                             .auth_pass = c->p.sip_auth_password,
                             .now_ms = e->now};
    int rc = ops->dial(e->cfg.driver.state, &req, &c->leg);
    amdi_calls_transition(e, c, fx.callback, fx.cb_status);
    if (rc) {
        amdi_calls_fail(e, c, AMDI_TWERR_TO_UNREACHABLE, "the carrier driver could not place the call");
        amdi_calls_input(e, c, AMDI_CI_DIAL_FAILED, NULL);
    }
}

void amdi_calls_service_queues(amdi_calls *e)
{
    for (size_t i = 0; i < e->naccts; i++) {
        acct *a = &e->accts[i];
        double gap = 1000.0 / (a->cps > 0 ? a->cps : 1);
        while (a->qhead && e->now >= a->next_slot) {
            live *c = a->qhead;
            a->qhead = c->qnext;
            if (!a->qhead)
                a->qtail = NULL;
            c->qnext = NULL;
            a->qlen--;
            e->nqueued--;
            /* Keep the schedule while the backlog lasts: the queue is looked at once a tick, so
             * every slot of the last tick is still due (with a gap shorter than a tick, several
             * fall in one; measuring staleness by the gap instead capped any CPS at one call
             * per 20 ms tick = 50/s). A queue idle for longer earns no burst credit. */
            double stale = gap > TICK_MS ? gap : TICK_MS;
            double base = a->next_slot >= (double)e->now - stale ? a->next_slot : (double)e->now;
            a->next_slot = base + gap;
            amdi_calls_dial_now(e, c);
        }
    }
}

void amdi_calls_enqueue(amdi_calls *e, live *c)
{
    amdi_calls_hash_add(e, c);
    acct *a = c->a;
    if (a->qtail)
        a->qtail->qnext = c;
    else
        a->qhead = c;
    a->qtail = c;
    a->qlen++;
    e->nqueued++;
    e->nlive++;
}

void amdi_calls_dial_claimed(amdi_calls *e, live *c)
{
    amdi_calls_hash_add(e, c);
    e->nlive++;
    amdi_calls_dial_now(e, c);
}
