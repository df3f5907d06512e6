/* SPDX-License-Identifier: MIT */
/* The core's error-message and log helpers (diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

void amdi_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void amdi_log(const amd_config *cfg, amd_log_level level, const char *fmt, ...)
{
    if (!cfg->log_fn || level > cfg->log_level)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cfg->log_fn(cfg->log_user, level, buf);
}
