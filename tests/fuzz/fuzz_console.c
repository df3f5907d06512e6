/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the console's parsers (src/call/console/, src/call/analysis/): the Cookie header
 * parser, the label form, the tuning form and the stored per-call AMD frame summary decoder.
 *
 * Input: byte 0 picks the parser (low two bits: 0 cookie, 1 label form, 2 tuning form,
 * 3 summary blob); the rest is the raw header / body / blob, NUL bytes and all (a cookie
 * header stops at the first NUL, as a C string does).
 *
 * Checked beyond the sanitizers:
 *  - cookies: a found value fits the output, holds no ';' and appears in the header;
 *  - label form: acceptance gives a known label and a greeting end of -1 or within the limit,
 *    and a rejection always carries a reason;
 *  - tuning form: an accepted sweep spec names a parameter and has at most the point limit;
 *  - summary: a blob that decodes has frames and states within the caps, state indexes that
 *    a JSON rendering accepts, and packing a builder again never fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "amd_summary.h"
#include "console_session.h"
#include "console_tune.h"
#include "labels.h"
#include "strbuf.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_console: contract broken: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void fuzz_cookie(const char *s)
{
    char out[AMDI_SESSION_ID_LEN + 1];
    if (amdi_cookie_find(s, AMDI_SESSION_COOKIE, out, sizeof out) == 0) {
        CHECK(strlen(out) < sizeof out);
        CHECK(!strchr(out, ';'));
        CHECK(strstr(s, out) != NULL);
    }
    char tiny[2];
    if (amdi_cookie_find(s, "a", tiny, sizeof tiny) == 0)
        CHECK(strlen(tiny) <= 1);
}

static void fuzz_label(const char *d, size_t n)
{
    amdi_label_rec r;
    memset(&r, 0, sizeof r);
    char err[200] = "";
    int rc = amdi_label_from_form(d, n, &r, err, sizeof err);
    if (rc == 0) {
        CHECK(amdi_label_name(r.label) != NULL);
        CHECK(r.greeting_end_ms == -1 || (r.greeting_end_ms >= 0 && r.greeting_end_ms <= AMDI_LABEL_MAX_GREETING_END_MS));
    } else {
        CHECK(rc == AMD_EINVAL || rc == AMD_EFORMAT);
        CHECK(err[0] != 0);
    }
}

static void fuzz_tune(const char *d, size_t n)
{
    char spec[96] = "", err[300] = "";
    int rc = amdi_tune_parse(d, n, spec, sizeof spec, err, sizeof err);
    if (rc == 0) {
        long a, b, st;
        char name[64];
        CHECK(sscanf(spec, "%63[a-z-]=%ld:%ld:%ld", name, &a, &b, &st) == 4);
        CHECK(a <= b && st > 0 && (b - a) / st + 1 <= AMDI_TUNE_MAX_POINTS);
    } else {
        CHECK(err[0] != 0);
    }
}

static void fuzz_summary(const uint8_t *d, size_t n)
{
    amdi_summary_view v;
    int rc = amdi_summary_decode(d, n, &v);
    CHECK(rc == 0 || rc == AMD_EFORMAT || rc == AMD_ENOMEM);
    if (rc)
        return;
    CHECK(v.n_frames <= AMDI_SUMMARY_MAX_FRAMES);
    for (size_t i = 0; i < v.n_states; i++)
        CHECK(strlen(v.state_name[i]) < 32);
    amdi_summary_view_free(&v);
    amdi_buf b;
    amdi_buf_init(&b);
    rc = amdi_summary_json(d, n, &b);
    CHECK(rc == 0 || rc == AMD_ENOMEM);
    amdi_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int which = data[0] & 3;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, d, n);
    s[n] = 0;
    switch (which) {
    case 0:
        fuzz_cookie(s);
        break;
    case 1:
        fuzz_label(s, n);
        break;
    case 2:
        fuzz_tune(s, n);
        break;
    default:
        fuzz_summary(d, n);
        break;
    }
    free(s);
    return 0;
}
