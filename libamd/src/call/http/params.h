/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). Create / update / list parameters of the Calls
 * resource (https://www.twilio.com/docs/voice/api/call-resource): parsing,
 * validation with Twilio's error codes, and the values the engine runs with. */
#ifndef AMDI_PARAMS_H
#define AMDI_PARAMS_H

#include <stdint.h>

#include "addresses.h"
#include "amd/detector.h"
#include "form.h"
#include "twilio_errors.h"

/* An API error: HTTP status, Twilio code (amdi_twerr), message (https://www.twilio.com/docs/api/errors). */
typedef struct amdi_api_error {
    int http;
    int code;
    char message[320];
} amdi_api_error;

void amdi_api_error_set(amdi_api_error *e, int http, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* StatusCallbackEvent bits (enum call_enum_event). */
enum {
    AMDI_EV_INITIATED = 1,
    AMDI_EV_RINGING = 2,
    AMDI_EV_ANSWERED = 4,
    AMDI_EV_COMPLETED = 8
};

/* Inline Twiml limit: Twilio's documented 4,000 characters for the Twiml parameter. */
#define AMDI_TWIML_INLINE_MAX 4000
/* Default TimeLimit: 4 hours (Twilio's documented default and maximum are 14400 s). */
#define AMDI_DEFAULT_TIME_LIMIT_S 14400

/* Parsed create parameters. String fields point into @p form (owned) or at literals. */
typedef struct amdi_create_params {
    amdi_form form; /* the original pairs; persisted form-encoded, re-parsed on restart */
    const char *to, *from;
    const char *url, *twiml, *method;
    const char *fallback_url, *fallback_method;
    const char *status_callback, *status_callback_method;
    unsigned status_events; /* AMDI_EV_* */
    const char *send_digits;
    int timeout_s;
    int record;
    const char *recording_channels, *recording_track, *trim;
    const char *recording_status_callback, *recording_status_callback_method;
    unsigned recording_events; /* 1 in-progress, 2 completed, 4 absent */
    int machine_detection; /* 0: AMD off (not requested, or SendDigits given) */
    amd_config amd;        /* detector configuration from MachineDetection* (ms) */
    int async_amd;
    const char *async_amd_status_callback, *async_amd_status_callback_method;
    int time_limit_s;
    const char *caller_id;
    const char *sip_auth_username, *sip_auth_password; /* SIP driver digest credentials (may be NULL) */
} amdi_create_params;

/* Validate a create form (takes ownership of @p form's contents on success AND failure).
 * Returns 0 or -1 with @p e filled (HTTP 400 + Twilio code). */
int amdi_create_params_parse(amdi_create_params *p, amdi_form *form, amdi_api_error *e);
void amdi_create_params_free(amdi_create_params *p);

/* Update parameters (POST to a call). Borrow from the form, which must outlive this. */
typedef struct amdi_update_params {
    const char *url, *method, *twiml;
    const char *status; /* "canceled" / "completed" or NULL */
    const char *fallback_url, *fallback_method;
    const char *status_callback, *status_callback_method;
    int time_limit_s; /* -1 when absent */
} amdi_update_params;

int amdi_update_params_parse(amdi_update_params *u, const amdi_form *form, amdi_api_error *e);

/* Case-insensitive Twilio booleans ("true"/"True"/"false"...). 0/1, or -1 when invalid. */
int amdi_parse_bool(const char *s);

/* List filters and paging (Read multiple Call resources, and Twilio's paging:
 * https://www.twilio.com/docs/usage/twilios-response#pagination). */
typedef struct amdi_list_query {
    const char *to, *from, *parent_call_sid, *status;
    int64_t start_lo, start_hi; /* start_time in [lo, hi); INT64_MIN / INT64_MAX when open */
    int64_t end_lo, end_hi;
    int page_size; /* clamped to 1..1000, default 50 */
    int page;      /* >= 0 */
    int has_token;
    int token_before; /* PB (previous page) rather than PA (next page) */
    int64_t token_seq;
    amdi_form canon; /* the filters as they go back into *_uri fields (encoded order kept) */
} amdi_list_query;

/* Parse a list query. Returns 0 or -1 with @p e (21481 for a bad PageToken, 20001-style 400
 * for bad filter values). @p q->canon must be freed with amdi_form_free. */
int amdi_list_query_parse(amdi_list_query *q, const amdi_form *query, amdi_api_error *e);
/* Opaque paging tokens: "PA" / "PB" + 16 hex digits of the store sequence number. */
void amdi_page_token(char out[19], int before, int64_t seq);
int amdi_page_token_parse(const char *s, int *before, int64_t *seq);

#endif
