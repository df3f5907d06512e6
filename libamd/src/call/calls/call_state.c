/* SPDX-License-Identifier: MIT */
/* The call state machine (call_state.h). */
#include "call_state.h"

#include <string.h>

#include "params.h"

void amdi_call_fsm_init(amdi_call_fsm *f, int timeout_s, int time_limit_s)
{
    memset(f, 0, sizeof *f);
    f->phase = AMDI_CS_QUEUED;
    f->status = AMD_CALL_QUEUED;
    f->timeout_ms = (int64_t)timeout_s * 1000;
    f->time_limit_ms = (int64_t)time_limit_s * 1000;
}

static void end_with(amdi_call_effects *fx, amd_call_status st)
{
    fx->applies = 1;
    fx->phase = AMDI_CS_DONE;
    fx->status = st;
    fx->ended = 1;
    fx->callback = AMDI_EV_COMPLETED;
    fx->cb_status = amd_call_status_name(st);
}

static void move_to(amdi_call_effects *fx, amdi_call_phase ph, amd_call_status st, unsigned ev, const char *cb)
{
    fx->applies = 1;
    fx->phase = ph;
    fx->status = st;
    fx->callback = ev;
    fx->cb_status = cb;
}

/* Placing the call: initiated or ringing. */
static void step_placing(const amdi_call_fsm *f, amdi_call_input in, int64_t now, amdi_call_effects *fx)
{
    switch (in) {
    case AMDI_CI_DIAL_FAILED:
    case AMDI_CI_REFUSED:
    case AMDI_CI_SHUTDOWN:
    case AMDI_CI_LOST:
        end_with(fx, AMD_CALL_FAILED);
        break;
    case AMDI_CI_RINGING:
        move_to(fx, AMDI_CS_RINGING, AMD_CALL_RINGING, AMDI_EV_RINGING, "ringing");
        break;
    case AMDI_CI_ANSWERED:
        move_to(fx, AMDI_CS_ANSWERED, AMD_CALL_IN_PROGRESS, AMDI_EV_ANSWERED, "in-progress");
        fx->start_media = 1;
        break;
    case AMDI_CI_BUSY:
        end_with(fx, AMD_CALL_BUSY);
        break;
    case AMDI_CI_NO_ANSWER:
        end_with(fx, AMD_CALL_NO_ANSWER);
        break;
    case AMDI_CI_CLOCK:
        if (now - f->t_dial >= f->timeout_ms)
            end_with(fx, AMD_CALL_NO_ANSWER);
        break;
    case AMDI_CI_HANGUP_REQUEST:
    case AMDI_CI_CANCEL_REQUEST:
        end_with(fx, AMD_CALL_CANCELED);
        break;
    case AMDI_CI_REMOTE_HANGUP: /* a driver that hangs up without answering: over all the same */
        end_with(fx, AMD_CALL_COMPLETED);
        break;
    default: /* dial, instructions: not yet */
        break;
    }
}

static void step_answered(const amdi_call_fsm *f, amdi_call_input in, int64_t now, amdi_call_effects *fx)
{
    switch (in) {
    case AMDI_CI_REMOTE_HANGUP:
    case AMDI_CI_INSTRUCTIONS_END:
    case AMDI_CI_HANGUP_REQUEST:
    case AMDI_CI_SHUTDOWN:
    case AMDI_CI_LOST:
        end_with(fx, AMD_CALL_COMPLETED);
        break;
    case AMDI_CI_INSTRUCTIONS_BROKEN:
        end_with(fx, AMD_CALL_FAILED);
        break;
    case AMDI_CI_BUSY: /* a driver's refusal after the answer: the status it gave */
        end_with(fx, AMD_CALL_BUSY);
        break;
    case AMDI_CI_NO_ANSWER:
        end_with(fx, AMD_CALL_NO_ANSWER);
        break;
    case AMDI_CI_REFUSED:
        end_with(fx, AMD_CALL_FAILED);
        break;
    case AMDI_CI_CLOCK:
        if (now - f->t_answer >= f->time_limit_ms) {
            end_with(fx, AMD_CALL_COMPLETED);
        } else {
            fx->applies = 1;
            fx->run_instructions = 1;
        }
        break;
    default: /* dial, ringing, answered again; cancel has no effect on an answered call (Twilio:
              * Status=completed hangs up) */
        break;
    }
}

void amdi_call_step(const amdi_call_fsm *f, amdi_call_input in, int64_t now_ms, amdi_call_effects *fx)
{
    memset(fx, 0, sizeof *fx);
    fx->phase = f->phase;
    fx->status = f->status;
    switch (f->phase) {
    case AMDI_CS_QUEUED:
        if (in == AMDI_CI_DIAL) /* the resource stays queued until it rings */
            move_to(fx, AMDI_CS_INITIATED, AMD_CALL_QUEUED, AMDI_EV_INITIATED, "initiated");
        else if (in == AMDI_CI_HANGUP_REQUEST || in == AMDI_CI_CANCEL_REQUEST)
            end_with(fx, AMD_CALL_CANCELED);
        else if (in == AMDI_CI_LOST) /* expired in the queue */
            end_with(fx, AMD_CALL_FAILED);
        break;
    case AMDI_CS_INITIATED:
    case AMDI_CS_RINGING:
        step_placing(f, in, now_ms, fx);
        break;
    case AMDI_CS_ANSWERED:
        step_answered(f, in, now_ms, fx);
        break;
    case AMDI_CS_DONE:
        break;
    }
}

void amdi_call_fsm_apply(amdi_call_fsm *f, const amdi_call_effects *fx, int64_t now_ms)
{
    if (!fx->applies)
        return;
    if (f->phase == AMDI_CS_QUEUED && fx->phase == AMDI_CS_INITIATED)
        f->t_dial = now_ms;
    if (fx->phase == AMDI_CS_ANSWERED && f->phase != AMDI_CS_ANSWERED)
        f->t_answer = now_ms;
    f->phase = fx->phase;
    f->status = fx->status;
}
