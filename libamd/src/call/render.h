/* SPDX-License-Identifier: MIT */
/* The wire representations of a call (twilio-calls.md §5, §6, §10, §13): the JSON object with
 * its 26 fields (numbers as strings, RFC 2822 dates, relative uri), CSV rows, error bodies. */
#ifndef AMDI_RENDER_H
#define AMDI_RENDER_H

#include "store.h"
#include "strbuf.h"
#include "twilio_errors.h"

struct json_t;

/* "(415) 867-5309" for a NANP number (+1 and 10 digits); otherwise the number as given. */
void amdi_format_number(const char *num, char *out, size_t outlen);
/* New reference to a JSON object of the call. */
struct json_t *amdi_call_json(const amdi_call_rec *r);
/* The same object written straight into @p b as compact JSON, byte for byte what
 * json_dumps(amdi_call_json(r), JSON_COMPACT) gives (check_call_render asserts it), without
 * building ~40 jansson values per call: list pages render 3-4x faster. */
void amdi_call_json_write(amdi_buf *b, const amdi_call_rec *r);
/* Every field name of the call object in wire order (NULL-terminated). */
extern const char *const amdi_call_fields[];
/* CSV: header row (RFC 4180) and one row per call; subresource_uris is left out. */
void amdi_call_csv_header(amdi_buf *b);
void amdi_call_csv_row(amdi_buf *b, const amdi_call_rec *r);
/* {"code":..,"message":..,"more_info":..,"status":..} */
char *amdi_error_json(int http, int code, const char *message);

#endif
