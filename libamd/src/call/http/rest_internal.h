/* SPDX-License-Identifier: MIT */
/* Part of libamdcall: what the files of the REST resource (rest.h) share. Internal. */
#ifndef AMDI_REST_INTERNAL_H
#define AMDI_REST_INTERNAL_H

#include <jansson.h>

#include "rest.h"

#define API_PREFIX "/2010-04-01/Accounts/"

/* @p out becomes @p status with @p o as compact JSON; takes @p o. */
void amdi_rest_respond_json(amdi_response *out, int status, json_t *o);
/* 404 with Twilio's 20404 naming @p path (made printable). */
void amdi_rest_not_found(amdi_response *out, const char *path);

/* rest_recordings.c: GET .../Recordings.json of a call (@p call_sid) or of the account (NULL);
 * @p uri is the request path the page URIs repeat, @p query the raw query (Page, PageSize). */
void amdi_rest_recordings_list(amdi_api *api, const char *account, const char *call_sid, const char *uri,
                               const char *query, amdi_response *out);
/* GET / DELETE (@p del) one recording: @p rest is "{Sid}[.json|.wav]"; under a call when
 * @p call_sid is set (then it must be that call's). */
void amdi_rest_recording(amdi_api *api, const char *account, const char *call_sid, const char *rest,
                         const char *path, int del, amdi_response *out);

#endif
