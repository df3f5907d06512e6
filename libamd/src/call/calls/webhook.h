/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). Outgoing webhooks: a libcurl multi loop on its own thread.
 *
 * Requests are form-encoded (POST) or carry their parameters in the query (GET), and are
 * signed with X-Twilio-Signature. Each request has a hard total timeout, so a slow or dead
 * target costs one transfer slot for at most that long and never blocks the caller: sending
 * only queues. Requests of one call and lane (e.g. its status callbacks) go out one at a
 * time in the order queued, so status callbacks arrive in SequenceNumber order; other lanes
 * (TwiML fetches, the AMD result) and other calls run in parallel up to the in-flight limit.
 * Every connection goes through the destination policy (net_policy.h): the address curl is
 * about to connect to - after DNS, on every redirect hop (at most 10, as Twilio) - is checked,
 * and a refused one fails the request like an unreachable host, with the reason as its error;
 * proxies from the environment are not used, so the address checked is the destination. */
#ifndef AMDI_WEBHOOK_H
#define AMDI_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "amd/log.h"
#include "form.h"

typedef struct amdi_hooks amdi_hooks;

/* What a request is for; passed back untouched. */
typedef struct amdi_hook_tag {
    char call_sid[35];
    char account[35]; /* whose request: accounts take turns for transfer slots */
    int kind;      /* engine-defined */
    unsigned gen;  /* engine-defined generation (stale-response detection) */
    int64_t t_ms;  /* engine time when queued */
    int lane;      /* requests of one call and lane go out one at a time, in order */
    size_t max_response; /* bytes kept of this request's response; 0: the client's max_response */
} amdi_hook_tag;

typedef struct amdi_hook_result {
    int transport_ok;   /* a response arrived */
    long http_status;   /* 0 without a response */
    const char *body;   /* response body, NUL-terminated (may be ""), valid during the callback */
    size_t body_len;
    const char *content_type; /* or NULL */
    char error[160];    /* transport error text when !transport_ok */
    int too_many_redirects; /* failed after following the most redirects allowed (10) */
    int64_t duration_ms;
    const char *method; /* "GET"/"POST" */
    const char *url;    /* the URL requested (with the query for GET) */
    const char *request_body; /* POST body or NULL */
    /* the response's freshness lifetime from Cache-Control (RFC 9111 §5.2.2): max-age in ms,
     * 0 for no-cache / no-store, -1 when it says neither */
    int64_t max_age_ms;
} amdi_hook_result;

/* Called on the webhook thread when a request finished (or failed). Must not block long. */
typedef void (*amdi_hook_done_fn)(void *user, const amdi_hook_tag *tag, const amdi_hook_result *res);

#define AMDI_HOOKS_MAX_INFLIGHT 256

typedef struct amdi_hooks_config {
    int max_inflight;     /* concurrent transfers; default (and at most) AMDI_HOOKS_MAX_INFLIGHT */
    int max_inflight_per_account; /* concurrent transfers of one account; default 64 */
    int timeout_ms;       /* total per request; Twilio's webhook timeout is 15 s */
    int connect_timeout_ms;
    size_t max_response;  /* bytes kept from a response; default 64 KiB (Twilio's TwiML limit) */
    amdi_hook_done_fn done;
    void *user;
    amd_log_fn log_fn;
    void *log_user;
    /* destination policy checked on every address connected to (borrowed; must outlive the
     * hooks; NULL: the default refusals alone, net_policy.h) */
    const struct amdi_net_policy *policy;
} amdi_hooks_config;

int amdi_hooks_create(const amdi_hooks_config *cfg, amdi_hooks **out);
/* Stop the thread; queued and in-flight requests are abandoned without callbacks. */
void amdi_hooks_destroy(amdi_hooks *h);

/* Queue a signed request. @p params are copied. 0, AMD_ENOMEM, AMD_ELIMIT (queue full). */
int amdi_hooks_send(amdi_hooks *h, const amdi_hook_tag *tag, const char *url, const char *method,
                    const amdi_form *params, const char *auth_token);
/* Forget the requests still queued (not started) of every call for which @p drop returns
 * nonzero; in-flight ones finish. The number dropped. */
typedef int (*amdi_hooks_drop_fn)(void *user, const char *call_sid);
size_t amdi_hooks_drop(amdi_hooks *h, amdi_hooks_drop_fn drop, void *user);
/* Requests queued or in flight. */
size_t amdi_hooks_pending(amdi_hooks *h);

#endif
