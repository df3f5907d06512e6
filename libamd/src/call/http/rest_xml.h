/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The 2010 API answers in XML when the path has no
 * extension (Twilio's 2010-04-01 API: https://www.twilio.com/docs/usage/twilios-response):
 * <TwilioResponse> with PascalCase elements, lists as <Calls page=".." ...><Call>..</Call>,
 * errors as <RestException>. Built from the JSON representation, so both always agree. */
#ifndef AMDI_REST_XML_H
#define AMDI_REST_XML_H

#include "rest.h"

/* Replaces a JSON body of @p out (content type application/json) by its XML representation;
 * leaves any other body, or one it cannot convert (out of memory), as it is. */
void amdi_response_to_xml(amdi_response *out);

#endif
