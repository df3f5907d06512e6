/* SPDX-License-Identifier: MIT */
/* The <Gather> verb (https://www.twilio.com/docs/voice/twiml/gather), DTMF input: its nested
 * <Say>/<Play>/<Pause> play while keys are already taken; the first key cuts them short
 * (barge-in); collection ends at finishOnKey, at numDigits, or `timeout` seconds after the
 * prompts or the last key. Keys come from RFC 4733 telephone-events and in-band DTMF
 * (listen.c). With input, or with actionOnEmptyResult="true", the action is requested with
 * Digits (the finishing key not included) and its reply replaces the document; otherwise the
 * verb after the <Gather> runs. */
#include "calls_internal.h"

#include <stdio.h>

#include "amd/error.h"

void amdi_gather_start(amdi_calls *e, live *c)
{
    const amdi_verb *v = &c->doc->v[c->pc];
    amdi_calls_verb_warning(e, c, v);
    if (!c->listening) {
        c->lpend_n = 0; /* audio queued for a listener before this one */
        int rc = amdi_listen_open(&c->listen, c->rate > 0 ? c->rate : 8000, 0, e->now);
        if (rc)
            amdi_calls_log(e, AMD_LOG_ERROR, "call %s: no in-band DTMF receiver for <Gather>: %s", c->rec.sid,
                           amd_strerror(rc));
        c->listening = 1;
    }
    c->gathering = 1;
    c->gather_pc = c->pc;
    c->ngather = 0;
    c->gather_digits[0] = 0;
    c->gather_waiting = 0;
    c->pc++; /* into the prompts, if any */
}

static void stop_listening(live *c)
{
    if (c->listening && !c->record) {
        amdi_listen_close(&c->listen);
        c->listening = 0;
    }
}

/* Collection is over: request the action, or fall through to the verb after the prompts. */
static int finish(amdi_calls *e, live *c, const char *finished_on)
{
    const amdi_verb *v = &c->doc->v[c->gather_pc];
    size_t after = c->gather_pc + 1 + v->n_nested;
    c->gathering = 0;
    if (c->pc < after)
        amdi_calls_cut_prompt(c);
    stop_listening(c);
    amdi_calls_log(e, AMD_LOG_DEBUG, "call %s: <Gather> ended with Digits=\"%s\"", c->rec.sid, c->gather_digits);
    if (c->ngather || v->action_on_empty) {
        amdi_form ex;
        amdi_form_init(&ex);
        amdi_form_add(&ex, "Digits", c->gather_digits);
        /* seen in Twilio's real requests, not in its documentation table */
        amdi_form_add(&ex, "FinishedOnKey", finished_on);
        char *action = xstrdup(v->action), *method = xstrdup(v->method);
        int rc = amdi_calls_request_action(e, c, action, method, &ex);
        free(action);
        free(method);
        amdi_form_free(&ex);
        if (!rc)
            return 2;
    }
    c->pc = after;
    return 0;
}

int amdi_gather_step(amdi_calls *e, live *c)
{
    const amdi_verb *v = &c->doc->v[c->gather_pc];
    size_t after = c->gather_pc + 1 + v->n_nested;
    char key;
    while (amdi_listen_take(&c->listen, &key)) {
        if (!c->gather_waiting) { /* barge-in: the first key cuts the prompts at once */
            c->gather_waiting = 1;
            if (c->pc < after)
                amdi_calls_cut_prompt(c);
            c->pc = after;
        }
        c->gather_until = e->now + (int64_t)v->timeout_s * 1000;
        if (v->finish_on_key[0] && key == v->finish_on_key[0]) {
            char fk[2] = {key, 0};
            return finish(e, c, fk); /* with no digits before it: no input */
        }
        if (c->ngather < AMDI_LISTEN_KEYS) {
            c->gather_digits[c->ngather++] = key;
            c->gather_digits[c->ngather] = 0;
        }
        if (v->num_digits && c->ngather >= (size_t)v->num_digits)
            return finish(e, c, "");
    }
    if (!c->gather_waiting) {
        if (c->pc < after)
            return 0; /* the prompts play on */
        c->gather_waiting = 1;
        c->gather_until = e->now + (int64_t)v->timeout_s * 1000;
    }
    if (e->now < c->gather_until)
        return 1;
    return finish(e, c, "");
}
