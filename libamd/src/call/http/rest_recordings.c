/* SPDX-License-Identifier: MIT */
/* The Recording resource of the Calls API (Twilio: https://www.twilio.com/docs/voice/api/recording):
 * list pages (of a call or of the account), one recording as JSON or its WAV media, and
 * DELETE (the row and its file). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amd/error.h"
#include "form.h"
#include "render.h"
#include "rest_internal.h"
#include "sid.h"
#include "timefmt.h"

static json_t *date_json(int64_t ms)
{
    if (ms < 0)
        return json_null();
    char b[40];
    amdi_time_rfc2822(ms, b, sizeof b);
    return json_string(b);
}

static json_t *recording_json(const amdi_recording_rec *r)
{
    json_t *o = json_object();
    char buf[200];
    json_object_set_new(o, "account_sid", json_string(r->account_sid));
    json_object_set_new(o, "api_version", json_string("2010-04-01"));
    json_object_set_new(o, "call_sid", json_string(r->call_sid));
    json_object_set_new(o, "conference_sid", json_null());
    json_object_set_new(o, "date_created", date_json(r->date_created));
    json_object_set_new(o, "date_updated", date_json(r->date_updated));
    json_object_set_new(o, "start_time", date_json(r->start_time));
    if (r->duration_s >= 0) {
        snprintf(buf, sizeof buf, "%lld", (long long)r->duration_s);
        json_object_set_new(o, "duration", json_string(buf));
    } else {
        json_object_set_new(o, "duration", json_null());
    }
    json_object_set_new(o, "sid", json_string(r->sid));
    json_object_set_new(o, "price", json_null());
    json_object_set_new(o, "price_unit", json_string("USD"));
    json_object_set_new(o, "status", json_string(r->status));
    json_object_set_new(o, "channels", json_integer(r->channels));
    json_object_set_new(o, "source", json_string("OutboundAPI"));
    json_object_set_new(o, "error_code", r->error_code ? json_integer(r->error_code) : json_null());
    json_object_set_new(o, "track", json_string(r->track));
    snprintf(buf, sizeof buf, API_PREFIX "%s/Recordings/%s.json", r->account_sid, r->sid);
    json_object_set_new(o, "uri", json_string(buf));
    json_object_set_new(o, "encryption_details", json_null());
    json_t *sub = json_object();
    snprintf(buf, sizeof buf, API_PREFIX "%s/Recordings/%s/AddOnResults.json", r->account_sid, r->sid);
    json_object_set_new(sub, "add_on_results", json_string(buf));
    snprintf(buf, sizeof buf, API_PREFIX "%s/Recordings/%s/Transcriptions.json", r->account_sid, r->sid);
    json_object_set_new(sub, "transcriptions", json_string(buf));
    json_object_set_new(o, "subresource_uris", sub);
    return o;
}

/* Recordings list (of a call or of the account): page Page (from 0) of PageSize (default 50,
 * max 1000), newest first, with next / previous page URIs (Twilio's list envelope:
 * https://www.twilio.com/docs/usage/twilios-response#pagination). */
#define RECORDING_PAGE_MAX 100000 /* Page beyond this is absurd: 400 rather than a huge OFFSET scan */
void amdi_rest_recordings_list(amdi_api *api, const char *account, const char *call_sid, const char *uri,
                               const char *query, amdi_response *out)
{
    amdi_form f;
    long size = 50, page = 0;
    if (amdi_form_parse(&f, query ? query : "", query ? strlen(query) : 0, AMDI_FORM_MAX_ITEMS) == 0) {
        const char *ps = amdi_form_get(&f, "PageSize"), *pg = amdi_form_get(&f, "Page");
        char *end = NULL;
        if (ps) {
            size = strtol(ps, &end, 10);
            if (!*ps || *end || size < 1 || size > 1000) {
                amdi_form_free(&f);
                amdi_response_error(out, 400, AMDI_TWERR_INVALID_PARAMETER, "PageSize must be an integer from 1 to 1000");
                return;
            }
        }
        if (pg) {
            page = strtol(pg, &end, 10);
            if (!*pg || *end || page < 0 || page > RECORDING_PAGE_MAX) {
                amdi_form_free(&f);
                amdi_response_error(out, 400, AMDI_TWERR_INVALID_PARAMETER, "Page must be an integer from 0 to 100000");
                return;
            }
        }
        amdi_form_free(&f);
    }
    amdi_recording_rec *v = malloc((size_t)(size + 1) * sizeof *v); /* one extra: is there a next page? */
    long n = v ? amdi_store_recordings_at(api->store, account, call_sid, (int64_t)page * size, v, (size_t)size + 1)
               : AMD_ENOMEM;
    if (n < 0) {
        free(v);
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: listing recordings failed");
        return;
    }
    int has_next = n > size;
    if (has_next)
        n = size;
    json_t *arr = json_array();
    for (long i = 0; i < n; i++) {
        amdi_calls_recording_view(api->engine, &v[i]); /* a change not stored yet */
        json_array_append_new(arr, recording_json(&v[i]));
    }
    free(v);
    char buf[300];
    json_t *o = json_object();
    json_object_set_new(o, "recordings", arr);
    json_object_set_new(o, "end", json_integer(n ? page * size + n - 1 : 0));
    snprintf(buf, sizeof buf, "%s?PageSize=%ld&Page=0", uri, size);
    json_object_set_new(o, "first_page_uri", json_string(buf));
    snprintf(buf, sizeof buf, "%s?PageSize=%ld&Page=%ld", uri, size, page + 1);
    json_object_set_new(o, "next_page_uri", has_next ? json_string(buf) : json_null());
    json_object_set_new(o, "page", json_integer(page));
    json_object_set_new(o, "page_size", json_integer(size));
    snprintf(buf, sizeof buf, "%s?PageSize=%ld&Page=%ld", uri, size, page - 1);
    json_object_set_new(o, "previous_page_uri", page > 0 ? json_string(buf) : json_null());
    json_object_set_new(o, "start", json_integer(page * size));
    snprintf(buf, sizeof buf, "%s?PageSize=%ld&Page=%ld", uri, size, page);
    json_object_set_new(o, "uri", json_string(buf));
    amdi_rest_respond_json(out, 200, o);
}

/* DELETE a recording: the row and its media file; 204. */
static void recording_delete(amdi_api *api, const char *account, const char *sid, const char *path,
                             amdi_response *out)
{
    char file[4096] = "";
    int rc = amdi_store_recording_delete(api->store, account, sid, file, sizeof file);
    if (rc == AMD_ENOTFOUND) {
        amdi_rest_not_found(out, path);
    } else if (rc == AMD_ESTATE) {
        amdi_response_error(out, 400, AMDI_TWERR_INVALID_PARAMETER, "The recording is in progress: it can be deleted once it has completed");
    } else if (rc) {
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: deleting the recording failed");
    } else {
        if (file[0])
            unlink(file); /* a missing file (never written) is fine */
        out->status = 204;
    }
}

/* One recording: /Recordings/{Sid}[.json|.wav], or under its call (@p call_sid not NULL:
 * /Calls/{CallSid}/Recordings/{Sid}, which must be that call's). */
void amdi_rest_recording(amdi_api *api, const char *account, const char *call_sid, const char *rest,
                         const char *path, int del, amdi_response *out)
{
    char sid[35];
    snprintf(sid, sizeof sid, "%.34s", rest);
    const char *ext = rest + (strlen(rest) >= 34 ? 34 : strlen(rest));
    if (!amdi_sid_valid(sid, "RE") || (*ext && strcmp(ext, ".json") && strcmp(ext, ".wav"))) {
        amdi_rest_not_found(out, path);
        return;
    }
    if (call_sid) {
        amdi_recording_rec own;
        if (amdi_store_recording_get(api->store, account, sid, &own, NULL, 0) || strcmp(own.call_sid, call_sid)) {
            amdi_rest_not_found(out, path);
            return;
        }
    }
    if (del) {
        if (!strcmp(ext, ".wav"))
            amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        else
            recording_delete(api, account, sid, path, out);
        return;
    }
    amdi_recording_rec r;
    char file[4096];
    int rc = amdi_store_recording_get(api->store, account, sid, &r, file, sizeof file);
    if (!rc)
        amdi_calls_recording_view(api->engine, &r); /* memory is ahead of a failing store */
    if (rc) {
        amdi_rest_not_found(out, path);
        return;
    }
    if (!strcmp(ext, ".json")) {
        amdi_rest_respond_json(out, 200, recording_json(&r));
        return;
    }
    if (strcmp(r.status, "completed")) {
        amdi_response_error(out, 404, AMDI_TWERR_NOT_FOUND, "The recording media is not available (recording not completed)");
        return;
    }
    out->status = 200;
    out->file_path = strdup(file);
    if (!out->file_path)
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error");
}

