/* SPDX-License-Identifier: MIT */
/* libamdcall: the wire representations of Twilio's Call resource (API 2010-04-01), from one
 * field table: the JSON object with its 26 fields (numbers as strings, RFC 2822 dates, relative
 * uri), CSV rows; and the error body. */
#ifndef AMDI_RENDER_H
#define AMDI_RENDER_H

#include "store.h"
#include "strbuf.h"
#include "twilio_errors.h"

/* "(415) 867-5309" for a NANP number (+1 and 10 digits); otherwise the number as given. */
void amdi_format_number(const char *num, char *out, size_t outlen);
/* The call object as compact JSON, its fields in wire order, appended to @p b. The one
 * writer of the Call resource: fetch, create, update and list pages use it, and the XML form
 * is derived from it; strings escaped as jansson's json_dumps escapes them. */
void amdi_call_json_write(amdi_buf *b, const amdi_call_rec *r);
/* The same as a new string (caller frees); NULL when out of memory. */
char *amdi_call_json_text(const amdi_call_rec *r);
/* The call object's field names in wire order: amdi_call_field_name(0 .. count - 1). */
size_t amdi_call_field_count(void);
const char *amdi_call_field_name(size_t i);
/* CSV: header row (RFC 4180) and one row per call; subresource_uris is left out. */
void amdi_call_csv_header(amdi_buf *b);
void amdi_call_csv_row(amdi_buf *b, const amdi_call_rec *r);
/* {"code":..,"message":..,"more_info":..,"status":..} */
char *amdi_error_json(int http, int code, const char *message);

#endif
