/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The call state machine, as pure transitions on one
 * call: given where the call is and what happened, what it becomes and what the server must
 * do about it. No threads, clock, store or driver here: the caller passes engine time in and
 * performs the effects (call_table.c, dialing.c, sink.c, calls.c).
 *
 * Lifecycle (Twilio's call statuses,
 * https://www.twilio.com/docs/voice/api/call-resource#call-status-values):
 *
 *   queued --dial--> initiated --ringing--> ringing --answered--> answered --...--> done
 *
 * "initiated" is a status callback only: the resource says "queued" until the call rings.
 * A call ends (done) as busy / failed / no-answer (after Timeout) / canceled before it is
 * answered, and completed after (hang-up by either side, TimeLimit, the instructions ran out,
 * a clean shutdown). Done is final: every input is then ignored. */
#ifndef AMDI_CALL_STATE_H
#define AMDI_CALL_STATE_H

#include <stdint.h>

#include "amd/call.h"

typedef enum amdi_call_phase {
    AMDI_CS_QUEUED,    /* in its account's CPS queue */
    AMDI_CS_INITIATED, /* the driver is placing it */
    AMDI_CS_RINGING,
    AMDI_CS_ANSWERED,
    AMDI_CS_DONE
} amdi_call_phase;

typedef enum amdi_call_input {
    AMDI_CI_DIAL,             /* it left the CPS queue: the driver is asked to place it */
    AMDI_CI_DIAL_FAILED,      /* the driver could not place it */
    AMDI_CI_RINGING,          /* the driver: the far end rings */
    AMDI_CI_ANSWERED,         /* the driver: the far end answered */
    AMDI_CI_BUSY,             /* the driver: refused as busy */
    AMDI_CI_NO_ANSWER,        /* the driver: refused as not answered (e.g. SIP 408, 480, 487) */
    AMDI_CI_REFUSED,          /* the driver: refused otherwise (failed) */
    AMDI_CI_REMOTE_HANGUP,    /* the driver: the far end hung up after answering */
    AMDI_CI_CLOCK,            /* a tick: Timeout and TimeLimit are checked against now */
    AMDI_CI_INSTRUCTIONS_END, /* TwiML ran out, <Hangup>, <Reject>, or failed for good */
    AMDI_CI_INSTRUCTIONS_BROKEN, /* the instructions cannot go on (e.g. out of memory) */
    AMDI_CI_HANGUP_REQUEST,   /* the API: Status=completed */
    AMDI_CI_CANCEL_REQUEST,   /* the API: Status=canceled (no effect once answered) */
    AMDI_CI_SHUTDOWN,         /* a clean stop of the server (queued calls stay queued) */
    AMDI_CI_LOST              /* found live after the process that ran it died */
} amdi_call_input;

typedef struct amdi_call_fsm {
    amdi_call_phase phase;
    amd_call_status status; /* the resource status */
    int64_t t_dial, t_answer; /* engine ms; valid from initiated / answered on */
    int64_t timeout_ms;       /* Timeout: ringing longer than this is no-answer */
    int64_t time_limit_ms;    /* TimeLimit: an answered call longer than this completes */
} amdi_call_fsm;

typedef struct amdi_call_effects {
    int applies;              /* 0: the input means nothing in this phase; nothing changes */
    amdi_call_phase phase;    /* the phase after the input */
    amd_call_status status;   /* the resource status after the input */
    unsigned callback;        /* AMDI_EV_* (params.h) of the status callback due, 0: none */
    const char *cb_status;    /* its CallStatus ("initiated", "ringing", ...) */
    int ended;                /* the call is over with `status`: settle, store, announce, reap */
    int start_media;          /* answered: set up detection and recording, start the instructions */
    int run_instructions;     /* answered and within TimeLimit: run the TwiML this tick */
} amdi_call_effects;

/* A queued call with Timeout @p timeout_s and TimeLimit @p time_limit_s. */
void amdi_call_fsm_init(amdi_call_fsm *f, int timeout_s, int time_limit_s);
/* What @p in at engine time @p now_ms does to @p f. Pure: @p f is not changed. */
void amdi_call_step(const amdi_call_fsm *f, amdi_call_input in, int64_t now_ms, amdi_call_effects *fx);
/* Take the transition: @p f becomes what @p fx says (t_dial / t_answer set on dial / answer). */
void amdi_call_fsm_apply(amdi_call_fsm *f, const amdi_call_effects *fx, int64_t now_ms);

#endif
