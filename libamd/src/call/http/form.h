/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * application/x-www-form-urlencoded bodies and URL query strings: parsing (percent-decoding of
 * keys and values, '+' as space, repeated keys kept in order), lookup and encoding. */
#ifndef AMDI_FORM_H
#define AMDI_FORM_H

#include <stddef.h>

#include "strbuf.h"

typedef struct amdi_kv {
    char *key;
    char *val;
} amdi_kv;

typedef struct amdi_form {
    amdi_kv *items;
    size_t n, cap;
} amdi_form;

/* Maximum pairs accepted in one body or query (bounds work per request). */
#define AMDI_FORM_MAX_ITEMS 256

void amdi_form_init(amdi_form *f);
void amdi_form_free(amdi_form *f);
/* Parse @p len bytes. Rejects bad percent escapes, encoded NUL bytes and more than
 * @p max_items pairs. Returns 0, AMD_EFORMAT, AMD_ELIMIT or AMD_ENOMEM; on error @p f is
 * left empty. An empty string is a valid empty form. */
int amdi_form_parse(amdi_form *f, const char *data, size_t len, size_t max_items);
int amdi_form_add(amdi_form *f, const char *key, const char *val);
/* First value of @p key (exact, case-sensitive like Twilio's PascalCase names) or NULL. */
const char *amdi_form_get(const amdi_form *f, const char *key);
size_t amdi_form_count(const amdi_form *f, const char *key);
/* Remove every pair named @p key. */
void amdi_form_remove(amdi_form *f, const char *key);
/* Percent-encode @p s like python requests' urlencode (unreserved kept, space -> '+'). */
int amdi_url_encode(amdi_buf *b, const char *s);
/* Encode every pair as key=value&... into @p b. */
int amdi_form_encode(const amdi_form *f, amdi_buf *b);

#endif
