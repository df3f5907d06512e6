/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * A growable, always NUL-terminated byte buffer for building responses and requests. */
#ifndef AMDI_STRBUF_H
#define AMDI_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct amdi_buf {
    char *p;    /* NUL-terminated; NULL until the first append */
    size_t len; /* bytes before the NUL */
    size_t cap;
    int oom;    /* set when an allocation failed; later appends are ignored */
} amdi_buf;

void amdi_buf_init(amdi_buf *b);
void amdi_buf_free(amdi_buf *b);
/* Append; on allocation failure b->oom is set and the call returns AMD_ENOMEM. */
int amdi_buf_append(amdi_buf *b, const char *s, size_t n);
int amdi_buf_puts(amdi_buf *b, const char *s);
int amdi_buf_putc(amdi_buf *b, char c);
int amdi_buf_printf(amdi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the string to the caller (free() it); the buffer is left empty. Never NULL unless oom. */
char *amdi_buf_take(amdi_buf *b);

#endif
