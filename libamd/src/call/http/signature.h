/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * X-Twilio-Signature (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
 * base64(HMAC-SHA1(auth token, URL + sorted name+value pairs)). Also the SHA-1 / HMAC / base64 primitives it needs, so that amdcall
 * does not depend on a crypto library for one hash. */
#ifndef AMDI_SIGNATURE_H
#define AMDI_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "form.h"

void amdi_sha1(const void *data, size_t len, uint8_t out[20]);
void amdi_hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[20]);
/* Standard alphabet with '=' padding. @p out needs 4*ceil(n/3)+1 bytes. Returns length. */
size_t amdi_base64_encode(const uint8_t *in, size_t n, char *out);
/* Decode standard base64 (padding optional). Returns decoded length or -1 on bad input or
 * when it would not fit in @p outcap (no NUL added). */
long amdi_base64_decode(const char *in, size_t n, uint8_t *out, size_t outcap);

/* Signature of a request to @p url carrying @p params (NULL or empty for GET: the
 * parameters are then already in the URL). Pairs are sorted by name (strcmp on the decoded
 * names); repeated names contribute each distinct value in sorted order (twilio-node's rule;
 * identical to python's for single-valued forms). @p out needs 29 bytes. 0 or AMD_ENOMEM. */
int amdi_twilio_signature(const char *token, const char *url, const amdi_form *params, char out[29]);

#endif
