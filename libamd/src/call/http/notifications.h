/* SPDX-License-Identifier: MIT */
/* libamdcall: a call's Notifications (https://www.twilio.com/docs/voice/api/notification-resource,
 * `…/Calls/{CA}/Notifications.json` and `…/Notifications/{NO}.json`): the TwiML warnings and
 * errors of the call (12100, 12200, 12300, the <Gather>/<Record>/<Play>/<Say> codes, fetch
 * failures), read from the call's Events entries that carry an error_code, so each fact is
 * stored once. A notification's sid is derived from its event (NO + 32 hex digits). */
#ifndef AMDI_NOTIFICATIONS_H
#define AMDI_NOTIFICATIONS_H

#include <jansson.h>

#include "store.h"

/* The list resource of call @p call_sid of @p account (PageSize / Page from @p query; every
 * notification is on the pages, oldest first), or, with @p one_sid, that notification alone
 * (NULL when the call has none of that sid). NULL also for a store error. */
json_t *amdi_notifications_json(amdi_store *st, const char *account, const char *call_sid, const char *query,
                                const char *one_sid);

#endif
