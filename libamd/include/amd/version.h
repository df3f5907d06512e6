/* SPDX-License-Identifier: MIT */
/**
 * @file version.h
 * Library version, at compile time and at run time (part of libamd).
 *
 * The compile-time macros describe the headers a program was built with; the
 * functions describe the library it runs with. A program that needs a feature
 * added in a later release can test both:
 *
 *     #if AMD_VERSION_NUMBER >= AMD_VERSION_ENCODE(0, 2, 0)
 *         ... use it, and check amd_version_number() >= the same at run time ...
 *     #endif
 *
 * The shared library's soname (libamd.so.N) changes only with an incompatible
 * ABI change; within one soname, structs only grow at the end (see the
 * struct_size member of amd_result and amd_frame_info in detector.h).
 */
#ifndef AMD_VERSION_H
#define AMD_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define AMD_VERSION_MAJOR 0
#define AMD_VERSION_MINOR 2
#define AMD_VERSION_PATCH 0

/** One number for a version: MAJOR*10000 + MINOR*100 + PATCH (each part 0..99). */
#define AMD_VERSION_ENCODE(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
/** The headers' version as one number, e.g. 200 for 0.2.0; compare with AMD_VERSION_ENCODE. */
#define AMD_VERSION_NUMBER AMD_VERSION_ENCODE(AMD_VERSION_MAJOR, AMD_VERSION_MINOR, AMD_VERSION_PATCH)

#define AMD_VERSION_STR_(x) #x
#define AMD_VERSION_STR(x) AMD_VERSION_STR_(x)
/** The headers' version as "MAJOR.MINOR.PATCH". */
#define AMD_VERSION_STRING \
    AMD_VERSION_STR(AMD_VERSION_MAJOR) "." AMD_VERSION_STR(AMD_VERSION_MINOR) "." AMD_VERSION_STR(AMD_VERSION_PATCH)

/** Version of the linked library as "MAJOR.MINOR.PATCH". Static storage, thread-safe. */
const char *amd_version_string(void);

/** Version of the linked library as AMD_VERSION_NUMBER encodes it. Thread-safe. */
int amd_version_number(void);

#ifdef __cplusplus
}
#endif
#endif /* AMD_VERSION_H */
