/* SPDX-License-Identifier: MIT */
/* The model-file container (model_file.h): header check, bounded reader, writer, CRC-32. */
#include "model_file.h"

#include <math.h>
#include <string.h>

#include "amd/error.h"
#include "diag.h"

uint32_t amdi_crc32(const uint8_t *data, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= data[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* ---- reader ---- */

int amdi_rd_u16(amdi_rd *r, unsigned *v)
{
    if (r->len - r->off < 2)
        return -1;
    *v = (unsigned)r->p[r->off] | ((unsigned)r->p[r->off + 1] << 8);
    r->off += 2;
    return 0;
}

int amdi_rd_u32(amdi_rd *r, uint32_t *v)
{
    if (r->len - r->off < 4)
        return -1;
    const uint8_t *q = r->p + r->off;
    *v = (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24);
    r->off += 4;
    return 0;
}

int amdi_rd_f32s(amdi_rd *r, float *out, size_t n)
{
    if ((r->len - r->off) / 4 < n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t u = 0;
        amdi_rd_u32(r, &u);
        float f;
        memcpy(&f, &u, sizeof f);
        if (!isfinite(f))
            return -2;
        out[i] = f;
    }
    return 0;
}

int amdi_file_open(const uint8_t *data, size_t len, const amdi_file_kind *k, amdi_rd *payload, char *err,
                   size_t errlen)
{
    const char *w = k->what;
    if (!data) {
        amdi_seterr(err, errlen, "%s: NULL argument", w);
        return AMD_EINVAL;
    }
    if (len < AMDI_FILE_HEADER_LEN) {
        amdi_seterr(err, errlen, "%s: truncated header (%zu of %d bytes)", w, len, AMDI_FILE_HEADER_LEN);
        return AMD_EFORMAT;
    }
    if (memcmp(data, k->magic, AMDI_FILE_MAGIC_LEN) != 0) {
        amdi_seterr(err, errlen, "%s: bad magic (not an amd %s file)", w, w);
        return AMD_EFORMAT;
    }
    amdi_rd h = {data, len, AMDI_FILE_MAGIC_LEN};
    unsigned fmt, fver;
    uint32_t plen, crc;
    amdi_rd_u16(&h, &fmt);
    amdi_rd_u16(&h, &fver);
    amdi_rd_u32(&h, &plen);
    amdi_rd_u32(&h, &crc);
    if (fmt != k->format_version) {
        amdi_seterr(err, errlen, "%s: format version %u unsupported (this library reads %u)", w, fmt,
                    k->format_version);
        return AMD_EVERSION;
    }
    if (fver != k->feature_version) {
        amdi_seterr(err, errlen, "%s: trained on feature version %u, this library computes version %u", w, fver,
                    k->feature_version);
        return AMD_EVERSION;
    }
    if (plen > k->max_payload) {
        amdi_seterr(err, errlen, "%s: absurd payload length %lu (limit %lu)", w, (unsigned long)plen,
                    (unsigned long)k->max_payload);
        return AMD_EFORMAT;
    }
    if (len - AMDI_FILE_HEADER_LEN < plen) {
        amdi_seterr(err, errlen, "%s: truncated (payload %lu bytes, %zu present)", w, (unsigned long)plen,
                    len - AMDI_FILE_HEADER_LEN);
        return AMD_EFORMAT;
    }
    if (len - AMDI_FILE_HEADER_LEN > plen) {
        amdi_seterr(err, errlen, "%s: %zu trailing bytes after the payload", w, len - AMDI_FILE_HEADER_LEN - plen);
        return AMD_EFORMAT;
    }
    const uint8_t *pay = data + AMDI_FILE_HEADER_LEN;
    uint32_t got = amdi_crc32(pay, plen);
    if (got != crc) {
        amdi_seterr(err, errlen, "%s: checksum mismatch (file says %08lx, payload has %08lx)", w,
                    (unsigned long)crc, (unsigned long)got);
        return AMD_ECHECKSUM;
    }
    payload->p = pay;
    payload->len = plen;
    payload->off = 0;
    return 0;
}

/* ---- writer ---- */

void amdi_wr_u8s(amdi_wr *w, const void *src, size_t n)
{
    if (w->p && w->off + n <= w->cap)
        memcpy(w->p + w->off, src, n);
    w->off += n;
}

void amdi_wr_u16(amdi_wr *w, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v & 255u), (uint8_t)((v >> 8) & 255u)};
    amdi_wr_u8s(w, b, 2);
}

static void wr_u32(amdi_wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    amdi_wr_u8s(w, b, 4);
}

void amdi_wr_f32s(amdi_wr *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], sizeof u);
        wr_u32(w, u);
    }
}

void amdi_file_begin(amdi_wr *w, uint8_t *out, size_t cap)
{
    w->p = out;
    w->cap = cap;
    w->off = AMDI_FILE_HEADER_LEN;
}

long amdi_file_seal(amdi_wr *w, const amdi_file_kind *kind, unsigned format_version, unsigned feature_version)
{
    size_t total = w->off;
    if (w->p && total <= w->cap) {
        size_t plen = total - AMDI_FILE_HEADER_LEN;
        amdi_wr h = {w->p, w->cap, 0};
        amdi_wr_u8s(&h, kind->magic, AMDI_FILE_MAGIC_LEN);
        amdi_wr_u16(&h, format_version);
        amdi_wr_u16(&h, feature_version);
        wr_u32(&h, (uint32_t)plen);
        wr_u32(&h, amdi_crc32(w->p + AMDI_FILE_HEADER_LEN, plen));
    }
    return (long)total;
}
