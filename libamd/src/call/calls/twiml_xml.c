/* SPDX-License-Identifier: MIT */
/* TwiML's XML layer: a minimal, bounded XML tree (elements, attributes, text; no DTDs, no
 * namespaces) read from a TwiML document (https://www.twilio.com/docs/voice/twiml). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "strbuf.h"
#include "twiml_internal.h"

void amdi_twx_free(xnode *n)
{
    if (!n)
        return;
    free(n->name);
    for (size_t i = 0; i < n->nattrs; i++) {
        free(n->attrs[i].name);
        free(n->attrs[i].value);
    }
    free(n->attrs);
    amdi_buf_free(&n->text);
    for (size_t i = 0; i < n->nkids; i++)
        amdi_twx_free(n->kids[i]);
    free(n->kids);
    free(n);
}

void amdi_twx_fail(parser *ps, int rc, const char *fmt, ...)
{
    if (ps->rc)
        return;
    ps->rc = rc;
    if (ps->err && ps->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errlen, fmt, ap);
        va_end(ap);
    }
}

void amdi_twx_skip_ws(parser *ps)
{
    while (ps->p < ps->end && isspace((unsigned char)*ps->p))
        ps->p++;
}

static int starts(parser *ps, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

/* Skip "<?...?>", "<!--...-->" and "<!DOCTYPE ...>" (no internal subsets). 1 if skipped. */
int amdi_twx_skip_misc(parser *ps)
{
    const char *close = NULL;
    if (starts(ps, "<?"))
        close = "?>";
    else if (starts(ps, "<!--"))
        close = "-->";
    else if (starts(ps, "<!DOCTYPE"))
        close = ">";
    else
        return 0;
    size_t cl = strlen(close);
    for (const char *q = ps->p + 2; q + cl <= ps->end; q++) {
        if (memcmp(q, close, cl) == 0) {
            ps->p = q + cl;
            return 1;
        }
        if (*close == '>' && *q == '[') {
            amdi_twx_fail(ps, AMD_EFORMAT, "DOCTYPE internal subsets are not allowed");
            return 0;
        }
    }
    amdi_twx_fail(ps, AMD_EFORMAT, "unterminated %s", close[0] == '?' ? "processing instruction" : "comment");
    return 0;
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static char *read_name(parser *ps)
{
    const char *s = ps->p;
    if (s >= ps->end || !(isalpha((unsigned char)*s) || *s == '_')) {
        amdi_twx_fail(ps, AMD_EFORMAT, "expected a name at offset %ld", (long)(ps->end - ps->p));
        return NULL;
    }
    while (ps->p < ps->end && is_name_char((unsigned char)*ps->p))
        ps->p++;
    char *n = strndup(s, (size_t)(ps->p - s));
    if (!n)
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
    return n;
}

/* Append [s, e) to @p b decoding the five predefined entities and character references. */
static void decode_text(parser *ps, amdi_buf *b, const char *s, const char *e)
{
    while (s < e) {
        if (*s != '&') {
            const char *amp = memchr(s, '&', (size_t)(e - s));
            const char *stop = amp ? amp : e;
            amdi_buf_append(b, s, (size_t)(stop - s));
            s = stop;
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(e - s));
        if (!semi || semi - s > 10) {
            amdi_twx_fail(ps, AMD_EFORMAT, "bad entity reference");
            return;
        }
        size_t n = (size_t)(semi - s - 1);
        const char *ent = s + 1;
        if (n == 2 && !memcmp(ent, "lt", 2))
            amdi_buf_putc(b, '<');
        else if (n == 2 && !memcmp(ent, "gt", 2))
            amdi_buf_putc(b, '>');
        else if (n == 3 && !memcmp(ent, "amp", 3))
            amdi_buf_putc(b, '&');
        else if (n == 4 && !memcmp(ent, "quot", 4))
            amdi_buf_putc(b, '"');
        else if (n == 4 && !memcmp(ent, "apos", 4))
            amdi_buf_putc(b, '\'');
        else if (n >= 2 && ent[0] == '#') {
            char tmp[12];
            memcpy(tmp, ent + 1, n - 1);
            tmp[n - 1] = 0;
            char *endp;
            unsigned long cp = (tmp[0] == 'x' || tmp[0] == 'X') ? strtoul(tmp + 1, &endp, 16)
                                                                : strtoul(tmp, &endp, 10);
            if (*endp || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                amdi_twx_fail(ps, AMD_EFORMAT, "bad character reference");
                return;
            }
            char u[4];
            size_t ul;
            if (cp < 0x80) {
                u[0] = (char)cp;
                ul = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 63));
                ul = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 63));
                u[2] = (char)(0x80 | (cp & 63));
                ul = 3;
            } else {
                u[0] = (char)(0xF0 | (cp >> 18));
                u[1] = (char)(0x80 | ((cp >> 12) & 63));
                u[2] = (char)(0x80 | ((cp >> 6) & 63));
                u[3] = (char)(0x80 | (cp & 63));
                ul = 4;
            }
            amdi_buf_append(b, u, ul);
        } else {
            amdi_twx_fail(ps, AMD_EFORMAT, "unknown entity &%.*s;", (int)n, ent);
            return;
        }
        s = semi + 1;
    }
}

/* One attribute (name="value") of element @p n, at its name. 0, or -1 (ps->rc says why). */
static int parse_attr(parser *ps, xnode *n)
{
    char *an = read_name(ps);
    if (!an)
        return -1;
    amdi_twx_skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '=') {
        free(an);
        amdi_twx_fail(ps, AMD_EFORMAT, "attribute without value in <%s>", n->name);
        return -1;
    }
    ps->p++;
    amdi_twx_skip_ws(ps);
    if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'')) {
        free(an);
        amdi_twx_fail(ps, AMD_EFORMAT, "unquoted attribute value in <%s>", n->name);
        return -1;
    }
    char q = *ps->p++;
    const char *vs = ps->p;
    while (ps->p < ps->end && *ps->p != q) {
        if (*ps->p == '<') {
            free(an);
            amdi_twx_fail(ps, AMD_EFORMAT, "'<' in attribute value");
            return -1;
        }
        ps->p++;
    }
    if (ps->p >= ps->end) {
        free(an);
        amdi_twx_fail(ps, AMD_EFORMAT, "unterminated attribute value");
        return -1;
    }
    amdi_buf v;
    amdi_buf_init(&v);
    decode_text(ps, &v, vs, ps->p);
    ps->p++;
    xattr *na = realloc(n->attrs, (n->nattrs + 1) * sizeof *na);
    char *vv = amdi_buf_take(&v);
    if (!na || !vv || ps->rc) {
        if (na)
            n->attrs = na;
        free(an);
        free(vv);
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    n->attrs = na;
    n->attrs[n->nattrs].name = an;
    n->attrs[n->nattrs].value = vv;
    n->nattrs++;
    return 0;
}

xnode *amdi_twx_parse_element(parser *ps, int depth)
{
    if (depth > AMDI_TWIML_MAX_DEPTH) {
        amdi_twx_fail(ps, AMD_ELIMIT, "elements nested deeper than %d", AMDI_TWIML_MAX_DEPTH);
        return NULL;
    }
    if (++ps->nodes > 4 * AMDI_TWIML_MAX_VERBS) {
        amdi_twx_fail(ps, AMD_ELIMIT, "too many elements");
        return NULL;
    }
    /* at '<' */
    ps->p++;
    xnode *n = calloc(1, sizeof *n);
    if (!n) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(n->name = read_name(ps)))
        goto bad;
    for (;;) {
        amdi_twx_skip_ws(ps);
        if (ps->p >= ps->end) {
            amdi_twx_fail(ps, AMD_EFORMAT, "unterminated <%s>", n->name);
            goto bad;
        }
        if (*ps->p == '/') {
            if (ps->p + 1 >= ps->end || ps->p[1] != '>') {
                amdi_twx_fail(ps, AMD_EFORMAT, "bad empty-element tag <%s/", n->name);
                goto bad;
            }
            ps->p += 2;
            return n;
        }
        if (*ps->p == '>') {
            ps->p++;
            break;
        }
        if (parse_attr(ps, n))
            goto bad;
    }
    /* content */
    for (;;) {
        if (ps->p >= ps->end) {
            amdi_twx_fail(ps, AMD_EFORMAT, "missing </%s>", n->name);
            goto bad;
        }
        if (*ps->p != '<') {
            const char *s = ps->p;
            while (ps->p < ps->end && *ps->p != '<')
                ps->p++;
            decode_text(ps, &n->text, s, ps->p);
            if (ps->rc)
                goto bad;
            continue;
        }
        if (starts(ps, "<![CDATA[")) {
            const char *s = ps->p + 9;
            const char *e = s;
            while (e + 3 <= ps->end && memcmp(e, "]]>", 3) != 0)
                e++;
            if (e + 3 > ps->end) {
                amdi_twx_fail(ps, AMD_EFORMAT, "unterminated CDATA");
                goto bad;
            }
            amdi_buf_append(&n->text, s, (size_t)(e - s));
            ps->p = e + 3;
            continue;
        }
        if (starts(ps, "<!--") || starts(ps, "<?")) {
            if (!amdi_twx_skip_misc(ps))
                goto bad;
            continue;
        }
        if (starts(ps, "</")) {
            ps->p += 2;
            size_t nl = strlen(n->name);
            if ((size_t)(ps->end - ps->p) < nl || memcmp(ps->p, n->name, nl) != 0 ||
                (ps->p + nl < ps->end && is_name_char((unsigned char)ps->p[nl]))) {
                amdi_twx_fail(ps, AMD_EFORMAT, "mismatched end tag for <%s>", n->name);
                goto bad;
            }
            ps->p += nl;
            amdi_twx_skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != '>') {
                amdi_twx_fail(ps, AMD_EFORMAT, "bad end tag </%s", n->name);
                goto bad;
            }
            ps->p++;
            return n;
        }
        xnode *k = amdi_twx_parse_element(ps, depth + 1);
        if (!k)
            goto bad;
        xnode **nk = realloc(n->kids, (n->nkids + 1) * sizeof *nk);
        if (!nk) {
            amdi_twx_free(k);
            amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
            goto bad;
        }
        n->kids = nk;
        n->kids[n->nkids++] = k;
    }
bad:
    amdi_twx_free(n);
    return NULL;
}
