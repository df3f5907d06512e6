/* SPDX-License-Identifier: MIT */
/* Cache-Control directives (cache_control.h), RFC 9111 §5.2 and §1.2.2 (delta-seconds). */
#include "cache_control.h"

#include <ctype.h>
#include <strings.h>

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int64_t amdi_cache_control_max_age_ms(const char *v, size_t len)
{
    if (!v)
        return -1;
    int64_t age = -1;
    int uncached = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (is_ows(v[i]) || v[i] == ','))
            i++;
        size_t name = i;
        while (i < len && v[i] != '=' && v[i] != ',' && !is_ows(v[i]))
            i++;
        size_t nlen = i - name;
        while (i < len && is_ows(v[i]))
            i++;
        size_t val = i, vlen = 0;
        int has_val = 0, quoted = 0;
        if (i < len && v[i] == '=') {
            has_val = 1;
            i++;
            while (i < len && is_ows(v[i]))
                i++;
            if (i < len && v[i] == '"') { /* quoted-string, with quoted-pairs */
                quoted = 1;
                val = ++i;
                while (i < len && v[i] != '"')
                    i += v[i] == '\\' && i + 1 < len ? 2 : 1;
                vlen = (i < len ? i : len) - val;
                if (i < len)
                    i++;
            } else {
                val = i;
                while (i < len && v[i] != ',' && !is_ows(v[i]))
                    i++;
                vlen = i - val;
            }
        }
        while (i < len && v[i] != ',') /* anything else up to the next directive is ignored */
            i++;
        if ((nlen == 8 && !strncasecmp(v + name, "no-store", 8)) || (nlen == 8 && !strncasecmp(v + name, "no-cache", 8))) {
            uncached = 1;
        } else if (nlen == 7 && !strncasecmp(v + name, "max-age", 7)) {
            int64_t s = 0;
            int ok = has_val && vlen > 0;
            for (size_t k = 0; ok && k < vlen; k++) {
                if (!isdigit((unsigned char)v[val + k])) {
                    ok = 0;
                    break;
                }
                if (s < AMDI_CACHE_CONTROL_MAX_MS / 1000)
                    s = s * 10 + (v[val + k] - '0');
            }
            (void)quoted; /* max-age="N" is tolerated like max-age=N */
            int64_t ms = ok ? (s >= AMDI_CACHE_CONTROL_MAX_MS / 1000 ? AMDI_CACHE_CONTROL_MAX_MS : s * 1000) : 0;
            if (age < 0 || ms < age)
                age = ms; /* several max-age: the shortest */
        }
    }
    return uncached ? 0 : age;
}
