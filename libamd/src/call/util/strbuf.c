/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"

void amdi_buf_init(amdi_buf *b)
{
    memset(b, 0, sizeof *b);
}

void amdi_buf_free(amdi_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int reserve(amdi_buf *b, size_t extra)
{
    if (b->oom)
        return AMD_ENOMEM;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->oom = 1;
            return AMD_ENOMEM;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return AMD_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int amdi_buf_append(amdi_buf *b, const char *s, size_t n)
{
    if (reserve(b, n))
        return AMD_ENOMEM;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

int amdi_buf_puts(amdi_buf *b, const char *s)
{
    return amdi_buf_append(b, s, strlen(s));
}

int amdi_buf_putc(amdi_buf *b, char c)
{
    return amdi_buf_append(b, &c, 1);
}

int amdi_buf_printf(amdi_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    int rc;
    if (n < 0) {
        rc = AMD_EINVAL;
    } else if ((size_t)n < sizeof tmp) {
        rc = amdi_buf_append(b, tmp, (size_t)n);
    } else if ((rc = reserve(b, (size_t)n)) == 0) {
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return rc;
}

char *amdi_buf_take(amdi_buf *b)
{
    if (b->oom) {
        amdi_buf_free(b);
        return NULL;
    }
    if (!b->p) {
        /* nothing was ever appended: hand out "" (reserve() leaves new memory unwritten; the
         * TwiML parser's empty attribute values were read as unterminated strings, found by
         * fuzz_twiml) */
        if (reserve(b, 0))
            return NULL;
        b->p[0] = '\0';
    }
    char *p = b->p;
    memset(b, 0, sizeof *b);
    return p;
}
