/* SPDX-License-Identifier: MIT */
/**
 * @file host.h
 * The host driver: a call server that links the amdcall library places
 * calls in its own telephony stack, while amd_server keeps the call model, the store, the
 * webhooks, the Twilio-compatible REST API and runs answering-machine detection on the audio
 * the host feeds. Part of the amdcall library.
 *
 * Flow of one outbound call:
 *  1. A call is created (REST `POST .../Calls.json` or amd_call_create()). When it leaves its
 *     CPS queue the server calls amd_host_callbacks.dial with a new ::amd_host_call handle and
 *     the call's SID, To and From. The host starts placing the call in its own stack.
 *  2. The host reports progress on the handle, from any thread: amd_host_call_ringing(),
 *     amd_host_call_answered() (with the far end's sample rate), or amd_host_call_busy() /
 *     amd_host_call_failed(); after answer it feeds far-end audio with amd_host_call_feed_s16()
 *     / _float() / _ulaw() in chunks of any size, and amd_host_call_hangup() when the far end
 *     hangs up. The server's media clock consumes the audio in 20 ms frames, so feeding faster
 *     than real time is allowed (it is buffered, up to #AMD_HOST_MAX_BUFFER_MS).
 *  3. The server reports every status change and the AMD result through
 *     amd_host_callbacks.event, at the moments the REST status callbacks are queued (those go
 *     out only after the change is committed; this callback comes right before the commit).
 *  4. When the server is done with the leg (our side hangs up: TwiML `<Hangup/>`, `Timeout`,
 *     `TimeLimit`, an update with `Status=completed|canceled`, or after the far end hung up or
 *     refused) it calls amd_host_callbacks.hangup. The host hangs the call up in its stack if it
 *     is still up, and then calls amd_host_call_release() exactly once, from any thread.
 *
 * Inbound calls are not modelled (the Calls API only places calls).
 *
 * Threading: the callbacks run on the server's engine thread; they must return promptly and
 * must not call amd_call_*() or amd_server_*() (those wait for the engine thread). The
 * amd_host_call_*() functions may be called from any thread, also from inside the callbacks.
 * One handle must not be fed from two threads at once.
 */
#ifndef AMD_HOST_H
#define AMD_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "amd/error.h"
#include "amd/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Far-end audio buffered per call at most (ms); a feed past it returns AMD_ELIMIT. Two minutes
 *  covers the longest AMD window (MachineDetectionTimeout ≤ 60 s) fed all at once. */
#define AMD_HOST_MAX_BUFFER_MS 120000

/** One call leg placed by the host; opaque. Valid from the dial callback until
 *  amd_host_call_release(). */
typedef struct amd_host_call amd_host_call;

/** What amd_host_callbacks.event reports. */
typedef enum amd_host_event_kind {
    AMD_HOST_EVENT_STATUS = 0, /**< the call's status changed (already queued for the store, in
                                    order; the REST API shows it once that tick's batch commits) */
    AMD_HOST_EVENT_AMD = 1     /**< the detector decided; answered_by is set */
} amd_host_event_kind;

/** A status change or AMD result. Strings are valid during the callback only. */
typedef struct amd_host_event {
    amd_host_event_kind kind;
    const char *call_sid;        /**< "CA" + 32 hex digits */
    const char *status;          /**< wire name: "initiated", "ringing", "in-progress", "completed", "busy", ... */
    const char *answered_by;     /**< "human", "machine_start", ...; "" while unknown */
    long long amd_duration_ms;   /**< MachineDetectionDuration (ms); 0 before the AMD result */
    long long duration_s;        /**< call duration (s) once final; 0 before */
    int final;                   /**< nonzero for completed, busy, failed, no-answer, canceled */
} amd_host_event;

/** The host's side. Every pointer but @c user is required. */
typedef struct amd_host_callbacks {
    /**
     * Place a call to @p to from @p from (E.164 or client:/sip: as given on create) for the
     * server call @p call_sid. Return 0 to accept (then report progress on @p call) or a
     * negative AMD_E* code to fail the call at once (status failed); on failure the handle is
     * gone (no hangup callback, no release).
     */
    int (*dial)(void *user, amd_host_call *call, const char *call_sid, const char *to, const char *from);
    /** The server is done with @p call (see step 4); release it with amd_host_call_release(). */
    void (*hangup)(void *user, amd_host_call *call);
    /** A status change or AMD result of any call of this server (also calls never dialed, e.g. canceled in the queue). */
    void (*event)(void *user, const amd_host_event *ev);
    void *user;
} amd_host_callbacks;

/**
 * Create a server whose calls are placed by the host (instead of the simulated carrier of
 * amd_server_create()); @p cfg as for amd_server_create() (dialplan_path and the sip_* fields
 * are ignored).
 * @p cb is copied. Then amd_server_start() as usual; the REST API, amd_call_*() and the
 * webhooks work unchanged.
 * @return 0; AMD_EINVAL (NULL or missing callback, bad config field: message in @p err),
 *         AMD_EIO, AMD_ESTATE, AMD_ENOMEM as amd_server_create().
 */
int amd_server_create_host(const amd_server_config *cfg, const amd_host_callbacks *cb, amd_server **out, char *err,
                           size_t errlen);

/** The SID of the server call this leg belongs to (static for the handle's life). */
const char *amd_host_call_sid(const amd_host_call *call);
/** Attach / read one pointer of the host's own (e.g. its channel). */
void amd_host_call_set_user(amd_host_call *call, void *user);
void *amd_host_call_user(const amd_host_call *call);

/** The far end is ringing. 0; AMD_ESTATE after answer / refusal / release by the server. */
int amd_host_call_ringing(amd_host_call *call);
/** The far end answered; its audio will arrive at @p sample_rate Hz (8000..48000).
 *  0; AMD_EINVAL (rate); AMD_ESTATE if already answered / refused or released. */
int amd_host_call_answered(amd_host_call *call, int sample_rate);
/** The far end is busy (SIP 486). The leg is over for the server. 0 or AMD_ESTATE. */
int amd_host_call_busy(amd_host_call *call);
/** The call could not be placed; @p sip_code (e.g. 404, 503; 0 = 503) goes into the logs. 0 or AMD_ESTATE. */
int amd_host_call_failed(amd_host_call *call, int sip_code);
/** The far end hung up after answering; audio already fed is still heard first. 0 or AMD_ESTATE. */
int amd_host_call_hangup(amd_host_call *call);

/**
 * Far-end audio after amd_host_call_answered(), mono at the answered rate, any number of
 * samples (0 is a no-op). s16: native-endian linear PCM; float: [-1, 1] (NaN / Inf are
 * rejected with AMD_EINVAL and nothing is queued); µ-law: G.711 bytes.
 * @return 0; AMD_EINVAL (NULL with @p n > 0, bad float); AMD_ESTATE (not answered, hung up
 *         or released); AMD_ELIMIT (more than #AMD_HOST_MAX_BUFFER_MS waiting); AMD_ENOMEM.
 */
int amd_host_call_feed_s16(amd_host_call *call, const int16_t *pcm, size_t n);
int amd_host_call_feed_float(amd_host_call *call, const float *pcm, size_t n);
int amd_host_call_feed_ulaw(amd_host_call *call, const uint8_t *ulaw, size_t n);

/** The host is done with the handle (after the hangup callback, or earlier: the server then
 *  treats it as a far-end hang-up). Exactly once per handle. NULL is a no-op. */
void amd_host_call_release(amd_host_call *call);

#ifdef __cplusplus
}
#endif
#endif /* AMD_HOST_H */
