/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the handling of database names (src/call/calls/store_dbname.c, store.c): which store a
 * name selects (amdi_store_is_pg) and its redaction for messages (amdi_db_redact), which must
 * hide the password of a PostgreSQL connection URI whatever the URI looks like.
 *
 * Input: byte 0 picks the output size (1..256), the rest is the name (cut at the first NUL).
 *
 * Checked beyond the sanitizers:
 *  - the output is NUL-terminated within its size, and no longer than the input plus what the
 *    "***" markers add;
 *  - a name that is not a PostgreSQL URI comes back unchanged (when it fits);
 *  - a password planted in the user information or a password= parameter never appears in
 *    the output: the harness appends ":" + a marker + "@h/d" style variants and checks;
 *  - deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_cluster.h"

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_db_name: contract broken: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

#define MARK "Zq9SECRETzQ"

static void one(const char *name, size_t cap)
{
    char out[257], again[257];
    memset(out, 'x', sizeof out);
    amdi_db_redact(name, out, cap);
    CHECK(memchr(out, '\0', cap) != NULL);
    amdi_db_redact(name, again, cap);
    CHECK(!strcmp(out, again));
    if (!amdi_store_is_pg(name) && strlen(name) < cap)
        CHECK(!strcmp(out, name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = (size_t)data[0] + 1;
    if (cap > 256)
        cap = 256;
    char *name = malloc(size);
    if (!name)
        return 0;
    memcpy(name, data + 1, size - 1);
    name[size - 1] = 0;
    one(name, cap);
    /* plant a password: user information and a query parameter of a URI built around the input */
    size_t n = strlen(name);
    char *uri = strstr(name, MARK) ? NULL : malloc(n + 128); /* the marker must come from the harness only */
    if (uri) {
        /* the input as host/path: any '@', '/', '?' it holds come after the planted password */
        snprintf(uri, n + 128, "postgresql://user:" MARK "@%s", name);
        char out[1024];
        if (!strchr(name, '@')) {
            amdi_db_redact(uri, out, sizeof out);
            CHECK(strstr(out, MARK) == NULL);
        }
        snprintf(uri, n + 128, "postgresql://h/d?%s&password=" MARK, strpbrk(name, "#") ? "" : name);
        amdi_db_redact(uri, out, sizeof out);
        CHECK(strstr(out, MARK) == NULL);
        one(uri, cap);
        free(uri);
    }
    free(name);
    return 0;
}
