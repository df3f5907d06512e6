/* SPDX-License-Identifier: MIT */
#include "sid.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "amd/error.h"

static int fill_random(unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return AMD_EIO;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int hex32(char *out)
{
    static const char hx[] = "0123456789abcdef";
    unsigned char r[16];
    if (fill_random(r, sizeof r))
        return AMD_EIO;
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hx[r[i] >> 4];
        out[2 * i + 1] = hx[r[i] & 15];
    }
    out[32] = 0;
    return 0;
}

int amdi_sid_new(const char prefix[2], char *out)
{
    out[0] = prefix[0];
    out[1] = prefix[1];
    return hex32(out + 2);
}

int amdi_token_new(char *out)
{
    return hex32(out);
}

int amdi_sid_valid(const char *s, const char prefix[2])
{
    if (!s || s[0] != prefix[0] || s[1] != prefix[1])
        return 0;
    for (int i = 2; i < AMDI_SID_LEN; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return s[AMDI_SID_LEN] == 0;
}

int amdi_secret_equal(const char *a, const char *b)
{
    /* Walk all of b (the stored secret) whatever a holds, so the time taken
     * reveals neither a matching prefix nor a's length. */
    size_t la = strlen(a), lb = strlen(b);
    volatile unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < lb; i++) {
        unsigned char ca = i < la ? (unsigned char)a[i] : 0;
        diff |= (unsigned char)(ca ^ (unsigned char)b[i]);
    }
    return diff == 0;
}
