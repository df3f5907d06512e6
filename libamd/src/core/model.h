/* SPDX-License-Identifier: MIT */
/*
 * Trained decision model: in-memory form, file format, parser and serialiser.
 * Internal; the public face is amd/model.h.
 *
 * File format: the container of model_file.h (magic AMDI_MODEL_MAGIC, format
 * version AMDI_MODEL_FORMAT_VERSION, feature version AMDI_FEAT_VERSION of
 * model_features.h: the engine refuses a model trained on another feature vector;
 * payload <= AMDI_MODEL_MAX_PAYLOAD, CRC-32), with this
 *   20     ...   payload:
 *     u16 n_features (must equal AMDI_FEAT_COUNT of that feature version)
 *     u16 n_hidden   (0 = logistic regression; else one tanh hidden layer, <= AMDI_MODEL_MAX_HIDDEN)
 *     u16 n_params   (must equal AMDI_MODEL_NPARAMS for this format version)
 *     u16 desc_len   (< AMDI_MODEL_DESC_MAX), then desc_len bytes of UTF-8 description
 *     f32 params[n_params]                 decision policy, see amdi_model_param
 *     f32 mean[n_features], f32 scale[n_features]   z = (x - mean) * scale
 *     n_hidden == 0: f32 w[n_features], f32 b        logit = w.z + b
 *     n_hidden  > 0: f32 w1[n_hidden][n_features], f32 b1[n_hidden],
 *                    f32 w2[n_hidden], f32 b2          logit = w2.tanh(W1 z + b1) + b2
 *   The payload must be consumed exactly; every float must be finite.
 *
 * The output is P(machine) = 1 / (1 + exp(-logit)).
 */
#ifndef AMDI_MODEL_H
#define AMDI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "amd/model.h"
#include "model_file.h"

#define AMDI_MODEL_MAGIC "AMDM\r\n\x1a\n"
#define AMDI_MODEL_MAGIC_LEN AMDI_FILE_MAGIC_LEN
#define AMDI_MODEL_HEADER_LEN AMDI_FILE_HEADER_LEN
#define AMDI_MODEL_FORMAT_VERSION 1
#define AMDI_MODEL_MAX_FEATURES 64
#define AMDI_MODEL_MAX_HIDDEN 32
#define AMDI_MODEL_DESC_MAX 160
#define AMDI_MODEL_MAX_PAYLOAD (1u << 20) /* far above any valid model: reject absurd sizes early */

/* Decision-policy parameters stored in the model (tuned on the dev split by models/train.py). */
typedef enum amdi_model_param {
    AMDI_MP_P_MACHINE = 0,   /* early machine_start when P(machine) >= this */
    AMDI_MP_P_HUMAN,         /* early human when P(machine) <= this at a human check point */
    AMDI_MP_HUMAN_GAP_MS,    /* silence after an utterance before the first human check */
    AMDI_MP_MIN_MACHINE_MS,  /* speech since the first onset before an early machine call */
    AMDI_MP_VETO_P,          /* timing rules' speech-end "human": keep listening if P(machine) >= this */
    AMDI_MP_VETO_EXTRA_MS,   /* ... but at most this much longer; then human after all */
    AMDI_MP_BOUND_P_HUMAN,   /* at the speech-threshold bound: human if P(machine) <= this (the "speech" was
                                background babble / music behind a live answer); < 0: strict Twilio bound */
    AMDI_MP_RESERVED7,
    AMDI_MODEL_NPARAMS
} amdi_model_param;

/* Training hook (bench/dump_features.c): called by the model engine on every frame with the
 * feature vector; while set, the engine itself never decides. Never set on shared models. */
struct amdi_evidence;
typedef void (*amdi_model_tap_fn)(void *user, const struct amdi_evidence *ev, const float *features);

struct amd_model {
    amdi_model_tap_fn tap;  /* NULL except in the feature dump tool */
    void *tap_user;
    unsigned format_version;
    unsigned feature_version;
    int n_features;
    int n_hidden;
    int is_default; /* static storage of amd_model_default(): amd_model_free ignores it */
    char description[AMDI_MODEL_DESC_MAX];
    float params[AMDI_MODEL_NPARAMS];
    float mean[AMDI_MODEL_MAX_FEATURES];
    float scale[AMDI_MODEL_MAX_FEATURES];
    float w1[AMDI_MODEL_MAX_HIDDEN][AMDI_MODEL_MAX_FEATURES]; /* n_hidden == 0: row 0 is w */
    float b1[AMDI_MODEL_MAX_HIDDEN];                          /* n_hidden == 0: b1[0] is b */
    float w2[AMDI_MODEL_MAX_HIDDEN];
    float b2;
};

/*
 * The one parser: validates @p data[0..len) and fills @p m (caller memory).
 * Returns 0 or AMD_EFORMAT / AMD_EVERSION / AMD_ECHECKSUM with a message in err.
 */
int amdi_model_parse(const uint8_t *data, size_t len, amd_model *m, char *err, size_t errlen);

/*
 * The serialiser (field by field, little-endian). Writes at most @p cap bytes to @p out
 * (out may be NULL with cap 0 to ask the size). Returns the full size, or AMD_EINVAL
 * for a model whose sizes are out of bounds.
 */
long amdi_model_serialise(const amd_model *m, uint8_t *out, size_t cap);

/* P(machine) for a feature vector of m->n_features values. Pure, allocation-free. */
float amdi_model_predict(const amd_model *m, const float *x);

#endif /* AMDI_MODEL_H */
