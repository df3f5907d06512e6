/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The addresses a request may name: `To` / `From`
 * (phone numbers, SIP URIs of RFC 3261, Client and Super SIM identities) and absolute http(s)
 * URLs (webhooks, public_url). */
#ifndef AMDI_ADDRESSES_H
#define AMDI_ADDRESSES_H

/* Longest To / From accepted (SIP URIs included). */
#define AMDI_ADDR_MAX 255

/* Absolute http(s) URL with a host; @p no_underscore rejects '_' in the host (StatusCallback). */
int amdi_url_valid(const char *s, int no_underscore);
/* E.164-ish phone number: optional '+', 2..15 digits. */
int amdi_is_phone(const char *s);
/* The one rule for `To` / `From` (and the dial plan's exact `to` names): a phone number as
 * amdi_is_phone, a sip: URI with a host, client:identity or sim:HS... (Super SIM). */
int amdi_addr_valid(const char *s);

#endif
