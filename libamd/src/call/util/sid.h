/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). Twilio-style identifiers (two-letter prefix + 32
 * lower-case hex, https://www.twilio.com/docs/glossary/what-is-a-sid) and
 * secrets from the kernel's CSPRNG; constant-time comparison for credentials. */
#ifndef AMDI_SID_H
#define AMDI_SID_H

#include <stddef.h>

#define AMDI_SID_LEN 34

/* Write prefix + 32 random hex digits + NUL into @p out (>= 35 bytes). 0 or AMD_EIO. */
int amdi_sid_new(const char prefix[2], char *out);
/* Nonzero when @p s is prefix + exactly 32 hex digits (either case). */
int amdi_sid_valid(const char *s, const char prefix[2]);
/* 32 random hex digits (an auth token) into @p out (>= 33 bytes). 0 or AMD_EIO. */
int amdi_token_new(char *out);
/* Compare two NUL-terminated secrets in time that depends only on @p b's length. 1 = equal. */
int amdi_secret_equal(const char *a, const char *b);

#endif
