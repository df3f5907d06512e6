/* SPDX-License-Identifier: MIT */
/* libamdcall: the Calls REST resource, independent of the HTTP server: authenticate, route, validate,
 * act, render. The libmicrohttpd layer (server.c) and the C API (call.h) are thin faces
 * over amdi_api_handle. Thread-safe: any number of threads may call it at once. */
#ifndef AMDI_REST_H
#define AMDI_REST_H

#include <stddef.h>

#include "calls.h"
#include "store.h"

typedef struct amdi_api_account {
    char sid[35];
    char token[65];
} amdi_api_account;

/* An API key: HTTP Basic with the key SID as user and its secret acts as @p account. */
typedef struct amdi_api_key {
    char sid[35];
    char secret[65];
    char account[35];
} amdi_api_key;

typedef struct amdi_api {
    amdi_store *store;  /* the API's (durable) connection */
    amdi_calls *engine;
    const amdi_api_account *accounts; /* read-only after start */
    size_t naccounts;
    const amdi_api_key *keys; /* read-only after start */
    size_t nkeys;
    long max_queued; /* per account: creates beyond it get 429 / 20429; 0 = no limit */
} amdi_api;

typedef struct amdi_response {
    int status;
    char *body;               /* malloc'd; may be NULL for 204 */
    size_t body_len;
    const char *content_type; /* static */
    int www_authenticate;     /* add WWW-Authenticate: Basic realm="Twilio API" */
    char *file_path;          /* malloc'd: send this file (audio/x-wav) instead of body */
} amdi_response;

/* Handle one request. @p path is the raw (still percent-encoded) path, @p query the raw query
 * string without '?' (or NULL), @p auth the Authorization header (or NULL). When @p auth is
 * NULL and @p as_account is set, the request acts as that account (C API callers). */
void amdi_api_handle(amdi_api *api, const char *method, const char *path, const char *query, const char *body,
                     size_t body_len, const char *auth, const char *as_account, amdi_response *out);
void amdi_response_free(amdi_response *r);
/* @p out becomes HTTP status @p http with Twilio's JSON error body (code, message, more_info). */
void amdi_response_error(amdi_response *out, int http, int code, const char *msg);
/* The account that @p user / @p pass (an account SID and its auth token, or an API key SID
 * and its secret) authenticate as, or NULL. Constant time over every credential. */
const char *amdi_api_check(const amdi_api *api, const char *user, const char *pass);

#endif
