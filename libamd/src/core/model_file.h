/* SPDX-License-Identifier: MIT */
/*
 * The container of every trained model the library embeds or loads (the decision
 * model, model.h, and the VAD frame classifier, vad_model.h): one bounds-checked
 * header check and little-endian reader / writer shared by both parsers. Internal.
 *
 * File layout (integers and floats little-endian, floats IEEE-754 binary32):
 *
 *   offset size  field
 *   0      8     magic, per kind (ends "\r\n\x1a\n": line-ending / text-mode damage shows as bad magic)
 *   8      2     format version of the kind's payload
 *   10     2     feature version: which input vector the weights expect
 *   12     4     payload length in bytes (<= the kind's limit)
 *   16     4     CRC-32 (IEEE 802.3, as zlib's crc32) of the payload
 *   20     ...   payload, laid out by the kind; it must be consumed exactly.
 */
#ifndef AMDI_MODEL_FILE_H
#define AMDI_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#define AMDI_FILE_MAGIC_LEN 8
#define AMDI_FILE_HEADER_LEN 20

/* What a kind of model file must say in its header. */
typedef struct amdi_file_kind {
    const char *what;          /* message prefix and noun: "model", "VAD model" */
    const char *magic;         /* AMDI_FILE_MAGIC_LEN bytes */
    unsigned format_version;
    unsigned feature_version;
    uint32_t max_payload;
} amdi_file_kind;

/* Bounded little-endian reader over [p, p + len). */
typedef struct amdi_rd {
    const uint8_t *p;
    size_t len, off;
} amdi_rd;

/* 0, or -1 when fewer bytes remain. */
int amdi_rd_u16(amdi_rd *r, unsigned *v);
int amdi_rd_u32(amdi_rd *r, uint32_t *v);
/* n floats, each finite: 0, -1 short, -2 NaN / infinite. */
int amdi_rd_f32s(amdi_rd *r, float *out, size_t n);

/*
 * Check data[0..len) against @p kind: length, magic, versions, payload length (no
 * trailing bytes) and CRC. On success *payload reads the payload. Returns 0 or
 * AMD_EINVAL / AMD_EFORMAT / AMD_EVERSION / AMD_ECHECKSUM with "<what>: ..." in err.
 */
int amdi_file_open(const uint8_t *data, size_t len, const amdi_file_kind *kind, amdi_rd *payload, char *err,
                   size_t errlen);

/* Writer: bytes past cap are counted, not written (p NULL, cap 0 asks the size). */
typedef struct amdi_wr {
    uint8_t *p;
    size_t cap, off;
} amdi_wr;

void amdi_wr_u8s(amdi_wr *w, const void *src, size_t n);
void amdi_wr_u16(amdi_wr *w, unsigned v);
void amdi_wr_f32s(amdi_wr *w, const float *v, size_t n);
/* Start a file: the payload follows the header. */
void amdi_file_begin(amdi_wr *w, uint8_t *out, size_t cap);
/* Write the header for the payload written so far (when it all fitted); returns the total size. */
long amdi_file_seal(amdi_wr *w, const amdi_file_kind *kind, unsigned format_version, unsigned feature_version);

/* CRC-32 (IEEE, reflected, as zlib) of data[0..len). */
uint32_t amdi_crc32(const uint8_t *data, size_t len);

#endif /* AMDI_MODEL_FILE_H */
