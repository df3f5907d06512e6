/* SPDX-License-Identifier: MIT */
/*
 * The core's error-message helper, written once: every parser and validator
 * fills its caller's (err, errlen) through amdi_seterr. Internal.
 */
#ifndef AMDI_DIAG_H
#define AMDI_DIAG_H

#include <stddef.h>

/* printf-style message into err[0..errlen) when err is not NULL and errlen > 0. */
void amdi_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* AMDI_DIAG_H */
