/* SPDX-License-Identifier: MIT */
/**
 * @file log.h
 * Logging through a user callback. The libraries never print.
 */
#ifndef AMD_LOG_H
#define AMD_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum amd_log_level {
    AMD_LOG_ERROR = 0,
    AMD_LOG_WARN = 1,
    AMD_LOG_INFO = 2,
    AMD_LOG_DEBUG = 3
} amd_log_level;

/**
 * Log sink. @p msg is a NUL-terminated line without trailing newline, valid
 * only during the call. Called on the thread that made the library call that
 * logs; must not call back into the same object.
 */
typedef void (*amd_log_fn)(void *user, amd_log_level level, const char *msg);

/** Name of a level ("error", "warn", "info", "debug"); "?" if out of range. */
const char *amd_log_level_name(amd_log_level level);

#ifdef __cplusplus
}
#endif
#endif /* AMD_LOG_H */
