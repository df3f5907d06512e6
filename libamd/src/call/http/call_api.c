/* SPDX-License-Identifier: MIT */
/* The C API of call.h: call status names, and calls created, fetched and updated through the
 * same REST handler as the HTTP face (so both answer alike), as the given account. */
#include "amd/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"
#include "sid.h"

static const char *const k_status[] = {"queued", "ringing", "in-progress", "completed",
                                       "busy", "failed", "no-answer", "canceled"};

const char *amd_call_status_name(amd_call_status st)
{
    return (unsigned)st < 8 ? k_status[st] : "?";
}

int amd_call_status_parse(const char *name, amd_call_status *out)
{
    for (int i = 0; name && out && i < 8; i++)
        if (!strcmp(name, k_status[i])) {
            *out = (amd_call_status)i;
            return 0;
        }
    return AMD_EINVAL;
}

int amd_call_status_is_final(amd_call_status st)
{
    return st >= AMD_CALL_COMPLETED && st <= AMD_CALL_CANCELED;
}

static int c_api(amd_server *s, const char *method, const char *account, const char *sid, const char *form,
                 int *http, char **json)
{
    if (!s || !account || !json || !amdi_sid_valid(account, "AC") || (sid && !amdi_sid_valid(sid, "CA")))
        return AMD_EINVAL;
    *json = NULL;
    int known = 0;
    for (size_t i = 0; i < s->naccounts; i++)
        known |= !strcmp(s->accounts[i].sid, account);
    if (!known)
        return AMD_ENOTFOUND;
    char path[128];
    if (sid)
        snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Calls/%s.json", account, sid);
    else
        snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Calls.json", account);
    amdi_response r;
    amdi_api_handle(&s->api, method, path, NULL, form, form ? strlen(form) : 0, NULL, account, &r);
    if (http)
        *http = r.status;
    *json = r.body;
    if (r.status >= 200 && r.status < 300)
        return 0;
    if (r.status == 404)
        return AMD_ENOTFOUND;
    if (r.status >= 500)
        return AMD_EIO;
    return AMD_EINVAL;
}

int amd_call_create(amd_server *s, const char *account, const char *form, int *http, char **json)
{
    return c_api(s, "POST", account, NULL, form ? form : "", http, json);
}

int amd_call_fetch(amd_server *s, const char *account, const char *sid, char **json)
{
    return sid ? c_api(s, "GET", account, sid, NULL, NULL, json) : AMD_EINVAL;
}

int amd_call_update(amd_server *s, const char *account, const char *sid, const char *form, int *http, char **json)
{
    return sid ? c_api(s, "POST", account, sid, form ? form : "", http, json) : AMD_EINVAL;
}

void amd_call_free(char *p)
{
    free(p);
}
