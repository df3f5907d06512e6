/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the simulated carrier's dial plan parser (src/call/drivers/dialplan.h), "digits"
 * included: the JSON text as an operator's file would hold it. Inputs naming an "audio" file
 * are skipped (the parser would open that path; the audio reader has its own harness).
 *
 * Checked beyond the sanitizers: 0 or AMD_EFORMAT / AMD_ENOMEM with a message; on success
 * every route has a pattern, an outcome in range, ring and post-dial delays in 0..3600000 ms,
 * at most AMDI_ROUTE_MAX_DIGITS "digits" entries, each at 0..3600000 ms with 1..32 keys that
 * the DTMF generator accepts; amdi_dialplan_match never fails on the routes' own patterns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "dialplan.h"
#include "media/dtmf_gen.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_dialplan: contract broken: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *json = malloc(size + 1);
    CHECK(json != NULL);
    memcpy(json, data, size);
    json[size] = 0;
    if (strstr(json, "audio")) {
        free(json);
        return 0;
    }
    amdi_dialplan *d = (amdi_dialplan *)json;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = amdi_dialplan_parse(json, NULL, &d, err, sizeof err);
    free(json);
    if (rc) {
        CHECK(memchr(err, '\0', sizeof err) != NULL);
        CHECK(rc == AMD_EFORMAT || rc == AMD_ENOMEM);
        CHECK(err[0] != '\0');
        return 0;
    }
    CHECK(d != NULL);
    for (size_t i = 0; i < d->n; i++) {
        const amdi_route *r = &d->routes[i];
        CHECK(r->to != NULL);
        CHECK(r->outcome >= AMDI_OUT_ANSWER && r->outcome <= AMDI_OUT_FAILED);
        CHECK(r->ring_ms >= 0 && r->ring_ms <= 3600000 && r->pdd_ms >= 0 && r->pdd_ms <= 3600000);
        CHECK(r->ndigits <= AMDI_ROUTE_MAX_DIGITS);
        for (size_t k = 0; k < r->ndigits; k++) {
            CHECK(r->digits[k].at_ms >= 0 && r->digits[k].at_ms <= 3600000);
            size_t n = strlen(r->digits[k].keys);
            CHECK(n >= 1 && n <= 32 && amdi_dtmf_validate(r->digits[k].keys, NULL) == 0);
            CHECK(amdi_dtmf_samples(r->digits[k].keys) > 0);
        }
        if (!r->prefix)
            CHECK(amdi_dialplan_match(d, r->to) != NULL);
    }
    amdi_dialplan_free(d);
    return 0;
}
