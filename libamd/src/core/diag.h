/* SPDX-License-Identifier: MIT */
/*
 * The core's error-message and log helpers, written once: every parser and
 * constructor fills its caller's (err, errlen) through amdi_seterr, and logs
 * through amdi_log to the config's amd_log_fn. Internal.
 */
#ifndef AMDI_DIAG_H
#define AMDI_DIAG_H

#include <stddef.h>

#include "amd/detector.h"

/* printf-style message into err[0..errlen) when err is not NULL and errlen > 0. */
void amdi_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A log line to cfg->log_fn if it is set and @p level is within cfg->log_level (256 bytes at most). */
void amdi_log(const amd_config *cfg, amd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* AMDI_DIAG_H */
