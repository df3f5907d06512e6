/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The caller-supplied error buffer (`char *err, size_t
 * errlen`) the call library's functions fill in instead of keeping a global error state. */
#ifndef AMDI_ERRBUF_H
#define AMDI_ERRBUF_H

#include <stddef.h>

/* printf into @p err (truncated to @p errlen, always terminated); nothing when @p err is NULL
 * or @p errlen 0. */
void amdi_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
