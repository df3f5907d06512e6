/* SPDX-License-Identifier: MIT */
/**
 * @file call.h
 * The Calls resource as C calls on a running amd_server (amdcall library): the same
 * validation, state machine, store and webhooks as the REST API, without HTTP. Parameters
 * are given exactly as on the wire, as an application/x-www-form-urlencoded string
 * (e.g. "To=%2B15551230001&From=%2B15005550006&Url=https%3A%2F%2Fexample.com%2Ftwiml&MachineDetection=Enable").
 * Results are the JSON documents the REST API returns (Twilio's Call resource,
 * https://www.twilio.com/docs/voice/api/call-resource).
 *
 * Threading: any thread. Memory: strings returned through @p json are malloc'd; release
 * them with amd_call_free().
 */
#ifndef AMD_CALL_H
#define AMD_CALL_H

#include <stddef.h>

#include "amd/error.h"
#include "amd/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Call statuses of the wire enum (https://www.twilio.com/docs/voice/api/call-resource#call-status-values). */
typedef enum amd_call_status {
    AMD_CALL_QUEUED = 0,
    AMD_CALL_RINGING,
    AMD_CALL_IN_PROGRESS,
    AMD_CALL_COMPLETED,
    AMD_CALL_BUSY,
    AMD_CALL_FAILED,
    AMD_CALL_NO_ANSWER,
    AMD_CALL_CANCELED
} amd_call_status;

/** Wire name ("queued", "in-progress", ...); "?" when out of range. */
const char *amd_call_status_name(amd_call_status s);
/** Parse a wire name. 0 or AMD_EINVAL. */
int amd_call_status_parse(const char *name, amd_call_status *out);
/** Nonzero for completed, busy, failed, no-answer and canceled. */
int amd_call_status_is_final(amd_call_status s);

/**
 * Create a call for @p account_sid. @p form holds the create parameters.
 * @param http_status receives 201 on success or the HTTP status of the error (may be NULL).
 * @param json receives the call object, or the error object {code,message,more_info,status}.
 * @return 0 on success, AMD_EINVAL for a validation error (details in *json), AMD_ENOMEM,
 *         AMD_EIO.
 */
int amd_call_create(amd_server *srv, const char *account_sid, const char *form, int *http_status, char **json);
/** Fetch a call. 0, AMD_ENOTFOUND (error object in *json), AMD_EIO. */
int amd_call_fetch(amd_server *srv, const char *account_sid, const char *call_sid, char **json);
/** Update a call (Url, Twiml, Status=canceled|completed, ... as form). 0, AMD_EINVAL, AMD_ENOTFOUND. */
int amd_call_update(amd_server *srv, const char *account_sid, const char *call_sid, const char *form,
                    int *http_status, char **json);
/** Free a string returned by this API. NULL is a no-op. */
void amd_call_free(char *s);

#ifdef __cplusplus
}
#endif
#endif /* AMD_CALL_H */
