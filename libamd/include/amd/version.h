/* SPDX-License-Identifier: MIT */
/**
 * @file version.h
 * Library version, at compile time and at run time.
 */
#ifndef AMD_VERSION_H
#define AMD_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define AMD_VERSION_MAJOR 0
#define AMD_VERSION_MINOR 1
#define AMD_VERSION_PATCH 0
#define AMD_VERSION_STRING "0.1.0"

/** Version of the linked library as "MAJOR.MINOR.PATCH". Static storage, thread-safe. */
const char *amd_version_string(void);

/** Version of the linked library as MAJOR*10000 + MINOR*100 + PATCH. Thread-safe. */
int amd_version_number(void);

#ifdef __cplusplus
}
#endif
#endif /* AMD_VERSION_H */
