/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The freshness lifetime an HTTP response gives itself in its Cache-Control header
 * (RFC 9111 §5.2.2): what the <Play> audio cache keeps a fetched file for. */
#ifndef AMDI_CACHE_CONTROL_H
#define AMDI_CACHE_CONTROL_H

#include <stddef.h>
#include <stdint.h>

/* The longest lifetime taken from a response: one year (RFC 9111 §1.2.2 notes that a
 * delta-seconds beyond 2^31 means "as long as you like"; a year is ample for audio files). */
#define AMDI_CACHE_CONTROL_MAX_MS (365LL * 24 * 3600 * 1000)

/* Parse the value of a Cache-Control header (@p len bytes, need not be NUL-terminated):
 * a comma-separated list of directives, names case-insensitive, values a token or a quoted
 * string. Returns 0 when it says no-store or no-cache (in any position; with or without a
 * field-name argument: taken conservatively), else the max-age in ms (delta-seconds; capped
 * at AMDI_CACHE_CONTROL_MAX_MS; a malformed max-age counts as 0, RFC 9111 §4.2.1), else -1
 * (nothing about freshness). Never fails. */
int64_t amdi_cache_control_max_age_ms(const char *value, size_t len);

#endif
