/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The project's own resources beside Twilio's Calls API (not part of Twilio's API; same
 * authentication, same error shape), under /2010-04-01/Accounts/{AccountSid}:
 *   GET              /Calls/{CallSid}/AmdSummary.json  the AMD decision and its per-frame picture
 *   GET|POST|DELETE  /Calls/{CallSid}/Label.json       the operator's label (form: Label,
 *                                                      GreetingEndMs)
 *   GET              /AmdResults.json?CallSid=..(rep.) cause, confidence, decision time and label
 *                                                      of up to 100 calls (a list page)
 *   GET              /Labels.json                      every label of the account
 *   GET              /AmdCorpus.tar                    the labeled calls as a corpus (tar) */
#ifndef AMDI_REST_AMD_H
#define AMDI_REST_AMD_H

#include "rest.h"

/* Handle @p p (the path after /Accounts/{AC}) when it is one of the resources above:
 * 1 (response in @p out), or 0 when it is not. */
int amdi_rest_amd(amdi_api *api, const char *account, const char *method, const char *p, const char *query,
                  const char *body, size_t body_len, amdi_response *out);

#endif
