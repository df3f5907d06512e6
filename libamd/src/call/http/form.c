/* SPDX-License-Identifier: MIT */
#include "form.h"

#include <stdlib.h>
#include <string.h>

#include "amd/error.h"

void amdi_form_init(amdi_form *f)
{
    memset(f, 0, sizeof *f);
}

void amdi_form_free(amdi_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].key);
        free(f->items[i].val);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode [s, s+n) into a new string; NULL with *rc set on failure. */
static char *decode(const char *s, size_t n, int *rc)
{
    char *out = malloc(n + 1);
    if (!out) {
        *rc = AMD_ENOMEM;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            out[o++] = ' ';
        } else if (c == '%') {
            int h, l;
            /* A '%' needs two hex digits after it; %00 would truncate a C string. */
            if (i + 2 >= n || (h = hexval((unsigned char)s[i + 1])) < 0 ||
                (l = hexval((unsigned char)s[i + 2])) < 0 || (h == 0 && l == 0)) {
                free(out);
                *rc = AMD_EFORMAT;
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == 0) {
            free(out);
            *rc = AMD_EFORMAT;
            return NULL;
        } else {
            out[o++] = c;
        }
    }
    out[o] = 0;
    return out;
}

static int push(amdi_form *f, char *k, char *v)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        amdi_kv *it = realloc(f->items, cap * sizeof *it);
        if (!it)
            return AMD_ENOMEM;
        f->items = it;
        f->cap = cap;
    }
    f->items[f->n].key = k;
    f->items[f->n].val = v;
    f->n++;
    return 0;
}

int amdi_form_add(amdi_form *f, const char *key, const char *val)
{
    char *k = strdup(key), *v = strdup(val ? val : "");
    if (!k || !v || push(f, k, v)) {
        free(k);
        free(v);
        return AMD_ENOMEM;
    }
    return 0;
}

int amdi_form_parse(amdi_form *f, const char *data, size_t len, size_t max_items)
{
    amdi_form_init(f);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && data[j] != '&')
            j++;
        if (j > i) {
            if (f->n >= max_items) {
                amdi_form_free(f);
                return AMD_ELIMIT;
            }
            const char *eq = memchr(data + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (data + i)) : j - i;
            int rc = 0;
            char *k = decode(data + i, klen, &rc);
            char *v = k ? (eq ? decode(eq + 1, (size_t)(data + j - eq - 1), &rc) : strdup("")) : NULL;
            if (k && !v && !rc)
                rc = AMD_ENOMEM;
            if (rc || push(f, k, v)) {
                free(k);
                free(v);
                amdi_form_free(f);
                return rc ? rc : AMD_ENOMEM;
            }
        }
        i = j + 1;
    }
    return 0;
}

const char *amdi_form_get(const amdi_form *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->items[i].key, key) == 0)
            return f->items[i].val;
    return NULL;
}

size_t amdi_form_count(const amdi_form *f, const char *key)
{
    size_t c = 0;
    for (size_t i = 0; i < f->n; i++)
        c += strcmp(f->items[i].key, key) == 0;
    return c;
}

void amdi_form_remove(amdi_form *f, const char *key)
{
    size_t o = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->items[i].key, key) == 0) {
            free(f->items[i].key);
            free(f->items[i].val);
        } else {
            f->items[o++] = f->items[i];
        }
    }
    f->n = o;
}

int amdi_url_encode(amdi_buf *b, const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~') {
            amdi_buf_putc(b, (char)c);
        } else if (c == ' ') {
            amdi_buf_putc(b, '+');
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            amdi_buf_append(b, e, 3);
        }
    }
    return b->oom ? AMD_ENOMEM : 0;
}

int amdi_form_encode(const amdi_form *f, amdi_buf *b)
{
    for (size_t i = 0; i < f->n; i++) {
        if (i)
            amdi_buf_putc(b, '&');
        amdi_url_encode(b, f->items[i].key);
        amdi_buf_putc(b, '=');
        amdi_url_encode(b, f->items[i].val);
    }
    return b->oom ? AMD_ENOMEM : 0;
}
