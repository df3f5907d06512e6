/* SPDX-License-Identifier: MIT */
/* The call server's log helper (log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void amdi_logf(const amdi_logger *lg, amd_log_level lv, const char *fmt, ...)
{
    if (!lg->fn || lv > lg->level)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->fn(lg->user, lv, msg);
}
