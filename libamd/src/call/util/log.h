/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The call server's log helper, written once: a log
 * callback with its threshold, and printf-style messages through it. */
#ifndef AMDI_CALL_LOG_H
#define AMDI_CALL_LOG_H

#include "amd/log.h"

typedef struct amdi_logger {
    amd_log_fn fn; /* NULL: nothing is logged */
    void *user;
    amd_log_level level; /* messages above this level are dropped */
} amdi_logger;

void amdi_logf(const amdi_logger *lg, amd_log_level lv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
