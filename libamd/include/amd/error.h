/* SPDX-License-Identifier: MIT */
/**
 * @file error.h
 * Error codes shared by every libamd entry point.
 *
 * Functions return 0 (or a non-negative count) on success and one of the
 * negative AMD_E* codes on failure. There is no global error state; where a
 * function can say more than a code, it takes a caller-supplied message
 * buffer (`char *err, size_t errlen`, either may be NULL/0).
 */
#ifndef AMD_ERROR_H
#define AMD_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    AMD_OK = 0,
    AMD_EINVAL = -1,    /**< an argument or configuration field is invalid */
    AMD_ENOMEM = -2,    /**< an allocation failed */
    AMD_ESTATE = -3,    /**< the object is not in a state that allows this call */
    AMD_EFORMAT = -4,   /**< malformed input data (e.g. a corrupt model file) */
    AMD_EVERSION = -5,  /**< unsupported format or struct version */
    AMD_ECHECKSUM = -6, /**< a checksum did not match */
    AMD_EIO = -7,       /**< an I/O operation failed */
    AMD_ENOTFOUND = -8, /**< the named thing does not exist */
    AMD_ELIMIT = -9,    /**< a size or count limit was exceeded */
    AMD_EINTERNAL = -10 /**< an internal invariant failed (a bug: please report) */
};

/** Human-readable text for an AMD_* code (static storage, never NULL, thread-safe). */
const char *amd_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* AMD_ERROR_H */
