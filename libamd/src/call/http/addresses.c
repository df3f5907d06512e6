/* SPDX-License-Identifier: MIT */
/* The addresses a request may name (addresses.h): phone numbers, SIP URIs, Client and Super
 * SIM identities for To / From, and absolute http(s) URLs for webhooks and public_url. */
#include "addresses.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sid.h"

int amdi_is_phone(const char *s)
{
    const char *p = s + (*s == '+');
    size_t n = strlen(p);
    if (n < 2 || n > 15 || p[0] == '0')
        return 0;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

int amdi_url_valid(const char *s, int no_underscore)
{
    const char *h;
    if (!strncasecmp(s, "http://", 7))
        h = s + 7;
    else if (!strncasecmp(s, "https://", 8))
        h = s + 8;
    else
        return 0;
    if (strlen(s) > 2048)
        return 0;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return 0;
    const char *at = NULL;
    const char *e = h;
    while (*e && *e != '/' && *e != '?' && *e != '#') {
        if (*e == '@')
            at = e;
        e++;
    }
    if (at)
        h = at + 1;
    if (e == h)
        return 0;
    const char *hend = e;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(e - h));
        if (!rb)
            return 0;
        hend = rb + 1;
    } else {
        const char *colon = memchr(h, ':', (size_t)(e - h));
        if (colon) {
            hend = colon;
            if (colon + 1 == e)
                return 0;
            for (const char *c = colon + 1; c < e; c++)
                if (!isdigit((unsigned char)*c))
                    return 0;
        }
        for (const char *c = h; c < hend; c++) {
            if (*c == '_' && no_underscore)
                return 0;
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
                return 0;
        }
    }
    return hend > h;
}

/* The host of a SIP URI (RFC 3261 §25.1 hostport): a name of letters, digits, '-' and '.',
 * an IPv4 address, or an IPv6 reference in brackets; then an optional :port. */
static int sip_hostport_ok(const char *h, size_t n)
{
    size_t i = 0;
    if (n && h[0] == '[') {
        while (i < n && h[i] != ']')
            if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.' && h[i] != '[')
                return 0;
            else
                i++;
        if (i >= n || i < 3)
            return 0;
        i++;
    } else {
        size_t start = i;
        while (i < n && (isalnum((unsigned char)h[i]) || h[i] == '-' || h[i] == '.'))
            i++;
        if (i == start || h[start] == '.' || h[start] == '-')
            return 0;
    }
    if (i == n)
        return 1;
    if (h[i] != ':' || i + 1 == n || n - i - 1 > 5)
        return 0;
    for (i++; i < n; i++)
        if (!isdigit((unsigned char)h[i]))
            return 0;
    return 1;
}

/* sip:[user[:password]@]hostport[;params][?headers] (RFC 3261 §19.1.1); the user part holds
 * unreserved / escaped characters and the usual punctuation, never spaces or controls. */
static int sip_uri_ok(const char *s)
{
    const char *p = s + 4;
    const char *end = p + strcspn(p, ";?");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        if (at == p)
            return 0;
        for (const char *c = p; c < at; c++)
            if (!isalnum((unsigned char)*c) && !strchr("-_.!~*'()%&=+$,;?/:", *c))
                return 0;
        p = at + 1;
    }
    if (!sip_hostport_ok(p, (size_t)(end - p)))
        return 0;
    for (const char *c = end; *c; c++)
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || *c == '<' || *c == '>' || *c == '"')
            return 0;
    return 1;
}

int amdi_addr_valid(const char *s)
{
    if (!s || !*s || strlen(s) > AMDI_ADDR_MAX)
        return 0;
    if (amdi_is_phone(s))
        return 1;
    if (!strncasecmp(s, "sip:", 4))
        return sip_uri_ok(s);
    if (!strncasecmp(s, "client:", 7)) { /* a Client identity: letters, digits, _ - . @ + */
        if (!s[7])
            return 0;
        for (const char *c = s + 7; *c; c++)
            if (!isalnum((unsigned char)*c) && !strchr("_-.@+", *c))
                return 0;
        return 1;
    }
    if (!strncasecmp(s, "sim:", 4)) /* a Super SIM: sim: + its SID (HS + 32 hex digits) */
        return amdi_sid_valid(s + 4, "HS");
    return 0;
}

