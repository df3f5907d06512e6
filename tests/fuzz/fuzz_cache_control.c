/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the Cache-Control parser (src/call/util/cache_control.h) that sets how long a fetched
 * <Play> file stays in the audio cache. Input: the header value, any bytes (NULs included).
 *
 * Checked beyond the sanitizers: the result is -1, 0 or a whole number of seconds in ms up to
 * AMDI_CACHE_CONTROL_MAX_MS; it is deterministic; it never reads past the given length (the
 * input is parsed from an exact-size heap copy); any input without quoted strings followed by
 * ",no-store" yields 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_control.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "contract broken: %s\n", #cond);                                       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = malloc(size ? size : 1);
    if (!v)
        return 0;
    memcpy(v, data, size);
    int64_t a = amdi_cache_control_max_age_ms(v, size);
    CHECK(a == -1 || (a >= 0 && a <= AMDI_CACHE_CONTROL_MAX_MS && (a % 1000 == 0 || a == AMDI_CACHE_CONTROL_MAX_MS)));
    CHECK(amdi_cache_control_max_age_ms(v, size) == a);
    free(v);
    /* appending a directive of its own: no-store always wins */
    int quoting = 0; /* no quoted strings in the input: nothing can swallow the directive */
    for (size_t i = 0; i < size; i++)
        quoting |= data[i] == '"';
    if (!quoting) {
        char *w = malloc(size + 10);
        if (!w)
            return 0;
        memcpy(w, data, size);
        memcpy(w + size, ",no-store", 9);
        CHECK(amdi_cache_control_max_age_ms(w, size + 9) == 0);
        free(w);
    }
    return 0;
}
