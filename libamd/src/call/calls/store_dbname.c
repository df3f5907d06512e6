/* SPDX-License-Identifier: MIT */
/* A database name fit for logs and error messages: a PostgreSQL connection URI
 * (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING, RFC 3986) loses its
 * password, both the one in the user information ("user:secret@host") and a "password="
 * query parameter. Anything else (an SQLite path) is shown as it is. */
#include <stdio.h>
#include <string.h>

#include "store_cluster.h"

static void put(char *out, size_t n, size_t *o, const char *s, size_t len)
{
    for (size_t i = 0; i < len && *o + 1 < n; i++)
        out[(*o)++] = s[i];
    if (n)
        out[*o < n ? *o : n - 1] = 0;
}

void amdi_db_redact(const char *name, char *out, size_t n)
{
    if (!n)
        return;
    out[0] = 0;
    if (!name)
        return;
    if (!amdi_store_is_pg(name)) {
        snprintf(out, n, "%s", name);
        return;
    }
    size_t o = 0;
    const char *auth = strstr(name, "://") + 3;
    put(out, n, &o, name, (size_t)(auth - name));
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i; /* the last '@' ends the user information */
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        put(out, n, &o, auth, (size_t)(colon - auth) + 1);
        put(out, n, &o, "***", 3);
        put(out, n, &o, at, alen - (size_t)(at - auth));
    } else {
        put(out, n, &o, auth, alen);
    }
    const char *rest = auth + alen;
    /* the query: every password=... value hidden */
    while (*rest) {
        int start = rest[0] == '?' || rest[0] == '&';
        put(out, n, &o, rest, 1);
        rest++;
        if (start && !strncmp(rest, "password=", 9)) {
            put(out, n, &o, "password=***", 12);
            rest += 9 + strcspn(rest + 9, "&#");
        }
    }
}
