/* SPDX-License-Identifier: MIT */
/**
 * @file model.h
 * Trained decision models for AMD_ENGINE_MODEL.
 *
 * A model is loaded once and shared read-only by any number of detectors on
 * any number of threads; it must outlive every detector that uses it. The
 * file format is versioned little-endian with magic, format version, feature
 * version and checksum (see models/MODEL_CARD.md); one bounds-checked parser
 * reads both files and the embedded default model.
 */
#ifndef AMD_MODEL_H
#define AMD_MODEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque, immutable model. */
typedef struct amd_model amd_model;

/**
 * Parse a model from memory (the bytes are copied).
 * @return 0; AMD_EFORMAT (bad magic, truncated, bounds), AMD_EVERSION
 *         (format / feature version unsupported), AMD_ECHECKSUM, AMD_ENOMEM,
 *         AMD_EINVAL (NULL arguments). A message is written to @p err.
 */
int amd_model_load_memory(const void *data, size_t len, amd_model **out, char *err, size_t errlen);

/** Read and parse a model file. As above, plus AMD_EIO / AMD_ENOTFOUND. */
int amd_model_load_file(const char *path, amd_model **out, char *err, size_t errlen);

/** The built-in default model (static storage; never free it). NULL if the build has none. */
const amd_model *amd_model_default(void);

/** Free a model loaded by amd_model_load_*. NULL and the default model are no-ops. */
void amd_model_free(amd_model *model);

/** Short description ("name version, N features, trained on ..."), static in the model. */
const char *amd_model_description(const amd_model *model);

#ifdef __cplusplus
}
#endif
#endif /* AMD_MODEL_H */
