/* SPDX-License-Identifier: MIT */
/* The VAD's model file (vad_model.h): the embedded one parses, damage is refused with a message,
 * the format is canonical, and the forward pass is the classifier's formula. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "model_file.h"
#include "vad_model.h"

Suite *vad_model_suite(void);

static uint8_t *serialise(const amdi_vad_model *m, size_t *len)
{
    long n = amdi_vad_model_serialise(m, NULL, 0);
    ck_assert_int_gt(n, AMDI_FILE_HEADER_LEN);
    uint8_t *buf = malloc((size_t)n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(amdi_vad_model_serialise(m, buf, (size_t)n), n);
    *len = (size_t)n;
    return buf;
}

/* Re-seal the CRC after editing the payload, so only the edit is wrong. */
static void reseal(uint8_t *buf, size_t len)
{
    uint32_t c = amdi_crc32(buf + AMDI_FILE_HEADER_LEN, len - AMDI_FILE_HEADER_LEN);
    for (int i = 0; i < 4; i++)
        buf[16 + i] = (uint8_t)(c >> (8 * i));
}

static int parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    static amdi_vad_model m;
    return amdi_vad_model_parse(buf, len, &m, err, errlen);
}

START_TEST(test_embedded_parses_and_round_trips)
{
    const amdi_vad_model *d = amdi_vad_model_default();
    ck_assert_msg(d != NULL, "models/vad.amdv was embedded but does not parse");
    ck_assert_ptr_eq(d, amdi_vad_model_default());
    ck_assert_int_ge(d->n_hidden, 1);
    ck_assert_int_gt((int)strlen(d->description), 0);
    size_t len;
    uint8_t *buf = serialise(d, &len);
    amdi_vad_model back;
    char err[200];
    ck_assert_int_eq(amdi_vad_model_parse(buf, len, &back, err, sizeof err), 0);
    ck_assert(memcmp(&back, d, sizeof back) == 0);
    /* the file in the tree is the canonical form of what was embedded */
    FILE *f = fopen(AMD_SOURCE_DIR "/models/vad.amdv", "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *disk = malloc(len + 1);
    ck_assert_uint_eq(fread(disk, 1, len + 1, f), len);
    fclose(f);
    ck_assert(memcmp(disk, buf, len) == 0);
    free(disk);
    free(buf);
}
END_TEST

/* z = (x - mean) / sd; P = logistic(w2 . tanh(W1 z + b1) + b2) */
START_TEST(test_forward_pass)
{
    static amdi_vad_model m;
    memset(&m, 0, sizeof m);
    m.n_hidden = 1;
    for (int i = 0; i < AMDI_VAD_NFEAT; i++) {
        m.mean[i] = 1.f;
        m.sd[i] = 2.f;
    }
    m.w1[0][0] = 1.f; /* u = (3 - 1) / 2 = 1 */
    m.w2[0] = 2.f;
    m.b2 = -0.5f;
    float x[AMDI_VAD_NFEAT] = {3.f, 5.f};
    double want = 1.0 / (1.0 + exp(-(2.0 * tanh(1.0) - 0.5)));
    ck_assert_double_eq_tol(amdi_vad_model_predict(&m, x), want, 1e-6);
}
END_TEST

START_TEST(test_damage_refused)
{
    const amdi_vad_model *d = amdi_vad_model_default();
    ck_assert_ptr_nonnull(d);
    size_t len;
    uint8_t *good = serialise(d, &len);
    uint8_t *buf = malloc(len);
    char err[200];

    memcpy(buf, good, len);
    buf[0] = 'X';
    ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_EFORMAT);
    ck_assert_str_eq(err, "VAD model: bad magic (not an amd VAD model file)");
    /* a decision model is not a VAD model */
    memcpy(buf, good, len);
    buf[3] = 'M';
    ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_EFORMAT);

    memcpy(buf, good, len);
    buf[8] = 2;
    ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_EVERSION);
    memcpy(buf, good, len);
    buf[10] = 9;
    ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_EVERSION);
    ck_assert_msg(strstr(err, "feature version 9"), "%s", err);

    memcpy(buf, good, len);
    buf[len - 1] ^= 1;
    ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_ECHECKSUM);

    for (size_t cut = 0; cut < len; cut += 7)
        ck_assert_int_ne(parse(good, cut, err, sizeof err), 0);
    ck_assert_int_eq(parse(NULL, len, err, sizeof err), AMD_EINVAL);

    /* payload edits, re-sealed: wrong feature count, hidden units, a zero sd, a NaN, a control char */
    const size_t P = AMDI_FILE_HEADER_LEN;
    size_t dl = strlen(d->description);
    struct {
        size_t off;
        uint8_t val[4];
        int n;
        const char *msg;
    } edits[] = {
        {P + 0, {13, 0}, 2, "13 features"},
        {P + 2, {0, 0}, 2, "0 hidden units"},
        {P + 2, {33, 0}, 2, "33 hidden units"},
        {P + 4, {200, 0}, 2, "description length 200"},
        {P + 6, {7}, 1, "control character"},
        {P + 6 + dl + 4 * AMDI_VAD_NFEAT, {0, 0, 0, 0}, 4, "standard deviation 0 is 0"},
        {P + 6 + dl + 4 * AMDI_VAD_NFEAT, {0, 0, 0x80, 0xbf}, 4, "standard deviation 0 is -1"},
        {P + 6 + dl, {0, 0x50, 0xc3, 0x47}, 4, "a weight is outside"},     /* mean[0] = 1e5 */
        {len - 4, {0, 0x50, 0xc3, 0xc7}, 4, "a weight is outside"},        /* b2 = -1e5 */
        {P + 6 + dl, {0, 0, 0xc0, 0x7f}, 4, "NaN or infinite"},
    };
    for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
        memcpy(buf, good, len);
        memcpy(buf + edits[k].off, edits[k].val, (size_t)edits[k].n);
        reseal(buf, len);
        ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_EFORMAT);
        ck_assert_msg(strstr(err, edits[k].msg), "edit %zu: '%s' lacks '%s'", k, err, edits[k].msg);
    }
    /* hidden units fewer than the floats present: unused bytes */
    memcpy(buf, good, len);
    buf[P + 2] = (uint8_t)(d->n_hidden - 1);
    reseal(buf, len);
    ck_assert_int_eq(parse(buf, len, err, sizeof err), AMD_EFORMAT);
    ck_assert_msg(strstr(err, "unused bytes"), "%s", err);
    free(buf);
    free(good);
}
END_TEST

Suite *vad_model_suite(void)
{
    Suite *s = suite_create("vad_model");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_embedded_parses_and_round_trips);
    tcase_add_test(tc, test_forward_pass);
    tcase_add_test(tc, test_damage_refused);
    suite_add_tcase(s, tc);
    return s;
}
