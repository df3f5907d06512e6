/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Dates on the wire: RFC 2822 for call fields and callbacks, ISO-8601 / dates for list filters.
 * All times are UTC milliseconds since the Unix epoch (int64). */
#ifndef AMDI_TIMEFMT_H
#define AMDI_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "Tue, 31 Aug 2010 20:36:28 +0000": RFC 2822 section 3.3, as the Call resource's dates are
 * written (https://www.twilio.com/docs/voice/api/call-resource). @p out needs >= 32 bytes. */
void amdi_time_rfc2822(int64_t ms, char *out, size_t outlen);

/* Parse a list-filter value: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)",
 * "YYYY-MM-DD HH:MM:SS[.fff]" (UTC), or an RFC 2822 date.
 * @p has_time is set to 0 for a bare date. Returns 0 or AMD_EINVAL. */
int amdi_time_parse(const char *s, int64_t *ms, int *has_time);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back. */
/* CLOCK_MONOTONIC in microseconds (for intervals; never a date). */
int64_t amdi_mono_us(void);

int64_t amdi_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
