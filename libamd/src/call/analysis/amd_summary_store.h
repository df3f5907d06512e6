/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Where the per-call AMD frame summaries (amd_summary.h) live: a table beside the calls, one
 * row per call with AMD, written once at the decision and deleted with the call. */
#ifndef AMDI_AMD_SUMMARY_STORE_H
#define AMDI_AMD_SUMMARY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

extern const char amdi_summary_store_schema[];

/* Insert or replace the summary of @p call_sid. 0 or AMD_EIO. */
int amdi_summary_put(amdi_store *s, const char *call_sid, const uint8_t *blob, size_t len);
/* The summary of @p call_sid of @p account (malloc'd into @p blob). 0, AMD_ENOTFOUND, AMD_EIO,
 * AMD_ENOMEM. */
int amdi_summary_get(amdi_store *s, const char *account, const char *call_sid, uint8_t **blob, size_t *len);

#endif
