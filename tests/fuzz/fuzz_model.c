/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the model-file parsers: the decision model's, amd_model_load_memory (format in
 * src/core/model.h), and, when control bit 6 is set, the VAD model's, amdi_vad_model_parse
 * (src/core/vad_model.h); both go through the container of src/core/model_file.h.
 *
 * The first input byte is a control byte, the rest is the file. A CRC-32 over the payload would
 * stop a blind fuzzer at the checksum, so the control bits let it ask for the header to be made
 * consistent before parsing: bit 0 writes the magic and the supported versions, bit 1 the
 * payload length, bit 2 the payload's CRC. With all three set the fuzzer works on the payload
 * (sizes, description, weights); with none it works on the header checks.
 *
 * Checked beyond the sanitizers: the error codes and message are the documented ones; an
 * accepted file serialises back to exactly the same bytes (the format is canonical, so parser
 * and serialiser agree field by field); and a detector using the accepted model on a few
 * seconds of speech-like audio gives a decision with a confidence in [0, 1] — extreme but finite
 * weights must not turn into NaN.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/detector.h"
#include "amd/error.h"
#include "amd/model.h"
#include "model.h"
#include "model_features.h"
#include "vad_model.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_model: contract broken: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Models bigger than this are refused by the parser's payload limit anyway. */
#define MAX_FILE (AMDI_MODEL_HEADER_LEN + (1u << 16))

static uint8_t file_buf[MAX_FILE];
static uint8_t ser_buf[MAX_FILE];
static int16_t audio[8000];

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ~3 s at 8 kHz: a 1.2 s voiced burst, silence, a short burst, silence — enough frames for
 * the model engine to compute features and ask the model. */
static void run_detector(const amd_model *m, int engine, int mode)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.model = m;
    cfg.engine = (amd_engine)engine;
    cfg.mode = (amd_mode)mode;
    cfg.timeout_ms = 3000;
    amd_detector *d = NULL;
    char err[200];
    int rc = amd_detector_create(&cfg, &d, err, sizeof err);
    CHECK(rc == 0 && d != NULL);
    for (int block = 0; block < 5; block++) {
        int voiced = block == 0 || block == 2;
        for (int i = 0; i < 8000; i++) {
            double t = (double)i / 8000.0;
            double s = 0;
            if (voiced && (block == 0 || i < 3200))
                for (int k = 1; k <= 5; k++)
                    s += sin(2 * M_PI * 140.0 * k * t) / k;
            audio[i] = (int16_t)(s * 6000.0 + ((i * 7919) % 61) - 30);
        }
        rc = amd_detector_process_s16(d, audio, 8000);
        CHECK(rc == 0 || rc == 1);
        if (rc == 1)
            break;
    }
    CHECK(amd_detector_finish(d) == 1);
    amd_result r;
    CHECK(amd_detector_result(d, &r) == 1);
    CHECK(r.confidence >= 0.f && r.confidence <= 1.f);
    CHECK(r.answered_by != AMD_ANSWERED_NONE);
    amd_detector_destroy(d);
}

/* The VAD model parser: documented errors; an accepted model serialises back byte for byte
 * and its forward pass stays a probability (not NaN) on feature vectors of the ranges the VAD
 * computes and beyond. */
static void fuzz_vad(size_t len, uint8_t ctl)
{
    if (len >= AMDI_FILE_HEADER_LEN) {
        if (ctl & 1) {
            memcpy(file_buf, AMDI_VAD_MODEL_MAGIC, AMDI_FILE_MAGIC_LEN);
            put_le(file_buf + 8, AMDI_VAD_MODEL_FORMAT_VERSION, 2);
            put_le(file_buf + 10, AMDI_VAD_FEAT_VERSION, 2);
        }
        if (ctl & 2)
            put_le(file_buf + 12, (uint32_t)(len - AMDI_FILE_HEADER_LEN), 4);
        if (ctl & 4)
            put_le(file_buf + 16, amdi_crc32(file_buf + AMDI_FILE_HEADER_LEN, len - AMDI_FILE_HEADER_LEN), 4);
    }
    static amdi_vad_model m;
    char err[256];
    memset(err, 'x', sizeof err);
    uint8_t *exact = malloc(len ? len : 1);
    CHECK(exact != NULL);
    memcpy(exact, file_buf, len);
    int rc = amdi_vad_model_parse(exact, len, &m, err, sizeof err);
    free(exact);
    if (rc != 0) {
        CHECK(memchr(err, '\0', sizeof err) != NULL);
        CHECK(rc == AMD_EFORMAT || rc == AMD_EVERSION || rc == AMD_ECHECKSUM);
        CHECK(strncmp(err, "VAD model: ", 11) == 0);
        return;
    }
    CHECK(strlen(m.description) < AMDI_VAD_DESC_MAX);
    long n = amdi_vad_model_serialise(&m, ser_buf, sizeof ser_buf);
    CHECK(n == (long)len);
    CHECK(memcmp(ser_buf, file_buf, len) == 0);
    static const float probes[] = {0.f, 1.f, -15.f, 40.f, 1e4f, -1e4f};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        float x[AMDI_VAD_NFEAT];
        for (int i = 0; i < AMDI_VAD_NFEAT; i++)
            x[i] = probes[(k + (size_t)i) % (sizeof probes / sizeof probes[0])];
        float p = amdi_vad_model_predict(&m, x);
        CHECK(p >= 0.f && p <= 1.f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > MAX_FILE)
        return 0;
    uint8_t ctl = data[0];
    size_t len = size - 1;
    memcpy(file_buf, data + 1, len);
    if (ctl & 0x40) {
        fuzz_vad(len, ctl);
        return 0;
    }
    if (len >= AMDI_MODEL_HEADER_LEN) {
        if (ctl & 1) {
            memcpy(file_buf, AMDI_MODEL_MAGIC, AMDI_MODEL_MAGIC_LEN);
            put_le(file_buf + 8, AMDI_MODEL_FORMAT_VERSION, 2);
            put_le(file_buf + 10, AMDI_FEAT_VERSION, 2);
        }
        if (ctl & 2)
            put_le(file_buf + 12, (uint32_t)(len - AMDI_MODEL_HEADER_LEN), 4);
        if (ctl & 4)
            put_le(file_buf + 16,
                   amdi_crc32(file_buf + AMDI_MODEL_HEADER_LEN, len - AMDI_MODEL_HEADER_LEN), 4);
    }

    amd_model *m = (amd_model *)file_buf; /* must be overwritten */
    char err[256];
    memset(err, 'x', sizeof err);
    /* the loader copies: hand it a buffer of exactly len bytes so ASan sees any over-read */
    uint8_t *exact = malloc(len ? len : 1);
    CHECK(exact != NULL);
    memcpy(exact, file_buf, len);
    int rc = amd_model_load_memory(exact, len, &m, err, sizeof err);
    free(exact);
    if (rc != 0) {
        CHECK(memchr(err, '\0', sizeof err) != NULL); /* (left alone on success) */
        CHECK(rc == AMD_EFORMAT || rc == AMD_EVERSION || rc == AMD_ECHECKSUM || rc == AMD_ENOMEM);
        CHECK(err[0] != '\0');
        CHECK(amd_strerror(rc) != NULL);
        return 0;
    }
    CHECK(m != NULL && m != (amd_model *)file_buf);
    const char *desc = amd_model_description(m);
    CHECK(desc != NULL && strlen(desc) < AMDI_MODEL_DESC_MAX);

    /* canonical format: what was accepted serialises back byte for byte */
    long n = amdi_model_serialise(m, ser_buf, sizeof ser_buf);
    CHECK(n == (long)len);
    CHECK(memcmp(ser_buf, file_buf, len) == 0);

    run_detector(m, AMD_ENGINE_MODEL, (ctl >> 3) & 1);
    if (ctl & 0x10)
        run_detector(m, AMD_ENGINE_DEFAULT, (ctl >> 5) & 1);
    amd_model_free(m);
    return 0;
}
