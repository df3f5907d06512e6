/* SPDX-License-Identifier: MIT */
/*
 * The VAD's frame classifier (vad.c) as a model file: in-memory form, parser,
 * serialiser and the embedded default (models/vad.amdv, embedded at build time by
 * cmake/embed_model.cmake and parsed like any file). Trained by bench/vad_train.py,
 * which writes the file. Internal.
 *
 * File format: the container of model_file.h (magic AMDI_VAD_MODEL_MAGIC, format
 * version AMDI_VAD_MODEL_FORMAT_VERSION, feature version AMDI_VAD_FEAT_VERSION: the
 * AMDI_VAD_NFEAT features computed by vad.c), with this payload:
 *     u16 n_features (must equal AMDI_VAD_NFEAT)
 *     u16 n_hidden   (1..AMDI_VAD_MAX_HIDDEN)
 *     u16 desc_len   (< AMDI_VAD_DESC_MAX), then desc_len bytes of description (no control characters)
 *     f32 mean[n_features], f32 sd[n_features]                z = (x - mean) / sd
 *     f32 w1[n_hidden][n_features], f32 b1[n_hidden], f32 w2[n_hidden], f32 b2
 *                                              logit = w2.tanh(W1 z + b1) + b2
 *   The payload must be consumed exactly; every float must be finite, every weight and mean
 *   within +-AMDI_VAD_MAX_WEIGHT, every sd within AMDI_VAD_MIN_SD..AMDI_VAD_MAX_WEIGHT.
 * The output is P(speech) = 1 / (1 + exp(-logit)).
 */
#ifndef AMDI_VAD_MODEL_H
#define AMDI_VAD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define AMDI_VAD_MODEL_MAGIC "AMDV\r\n\x1a\n"
#define AMDI_VAD_MODEL_FORMAT_VERSION 1
#define AMDI_VAD_FEAT_VERSION 1
#define AMDI_VAD_NFEAT 12
#define AMDI_VAD_MAX_HIDDEN 32
#define AMDI_VAD_DESC_MAX 160
#define AMDI_VAD_MAX_PAYLOAD 65536u
/* Bounds on every weight and mean (|w| <= this) and standard deviation (AMDI_VAD_MIN_SD..this). */
#define AMDI_VAD_MAX_WEIGHT 10000.f
#define AMDI_VAD_MIN_SD 1e-6f

typedef struct amdi_vad_model {
    int n_hidden;
    char description[AMDI_VAD_DESC_MAX];
    float mean[AMDI_VAD_NFEAT];
    float sd[AMDI_VAD_NFEAT];
    float w1[AMDI_VAD_MAX_HIDDEN][AMDI_VAD_NFEAT];
    float b1[AMDI_VAD_MAX_HIDDEN];
    float w2[AMDI_VAD_MAX_HIDDEN];
    float b2;
} amdi_vad_model;

/* Validate data[0..len) and fill @p m. 0 or AMD_EINVAL / AMD_EFORMAT / AMD_EVERSION / AMD_ECHECKSUM
 * with "VAD model: ..." in err. */
int amdi_vad_model_parse(const uint8_t *data, size_t len, amdi_vad_model *m, char *err, size_t errlen);

/* Serialise (out NULL, cap 0 asks the size). Returns the size, or AMD_EINVAL for bad sizes. */
long amdi_vad_model_serialise(const amdi_vad_model *m, uint8_t *out, size_t cap);

/* The embedded model, parsed once; NULL if the build's copy does not parse (see vad_model.c). */
const amdi_vad_model *amdi_vad_model_default(void);

/* P(speech) for the AMDI_VAD_NFEAT features @p x. */
float amdi_vad_model_predict(const amdi_vad_model *m, const float *x);

#endif /* AMDI_VAD_MODEL_H */
