/* SPDX-License-Identifier: MIT */
#include "net_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"

/* Refused unless allowed: the special-purpose ranges of the IANA registries (RFC 6890) that
 * can reach the server's own host or network. */
typedef struct deny {
    const char *cidr;
    const char *what;
} deny;

static const deny k_deny[] = {
    {"0.0.0.0/8", "unspecified (\"this network\", RFC 1122)"},
    {"10.0.0.0/8", "private (RFC 1918)"},
    {"100.64.0.0/10", "shared address space (carrier-grade NAT, RFC 6598)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local (RFC 3927; cloud metadata services live here)"},
    {"172.16.0.0/12", "private (RFC 1918)"},
    {"192.0.0.0/24", "IETF protocol assignments (RFC 6890)"},
    {"192.168.0.0/16", "private (RFC 1918)"},
    {"198.18.0.0/15", "benchmarking (RFC 2544)"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved (incl. broadcast)"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"fc00::/7", "private (unique local, RFC 4193)"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "site-local (deprecated, RFC 3879)"},
    {"ff00::/8", "multicast"},
};
#define N_DENY (sizeof k_deny / sizeof k_deny[0])

static void mask(amdi_net_range *r)
{
    int bytes = r->v6 ? 16 : 4;
    for (int i = 0; i < bytes; i++) {
        int keep = r->prefix - 8 * i;
        if (keep >= 8)
            continue;
        r->addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

/* IPv4 carried in an IPv6 address we judge as IPv4: ::ffff:0:0/96 (mapped) and 64:ff9b::/96
 * (NAT64 well-known prefix). Returns 1 and the 4 bytes. */
static int embedded_v4(const uint8_t a[16], uint8_t v4[4])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, mapped, 12) && memcmp(a, nat64, 12))
        return 0;
    memcpy(v4, a + 12, 4);
    return 1;
}

/* Parse one item "ADDR[/PREFIX]" of @p len characters (already trimmed). */
static int parse_one(const char *s, size_t len, amdi_net_range *r)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *slash = strchr(buf, '/');
    int prefix = -1;
    if (slash) {
        *slash = 0;
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return -1;
        prefix = 0;
        for (; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return -1;
            prefix = prefix * 10 + (*p - '0');
        }
    }
    memset(r, 0, sizeof *r);
    if (inet_pton(AF_INET, buf, r->addr) == 1) {
        r->v6 = 0;
        if (prefix > 32)
            return -1;
        r->prefix = prefix < 0 ? 32 : prefix;
    } else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
        r->v6 = 1;
        if (prefix > 128)
            return -1;
        r->prefix = prefix < 0 ? 128 : prefix;
        uint8_t v4[4];
        if (r->prefix >= 96 && embedded_v4(r->addr, v4)) { /* judge as the IPv4 range it names */
            memset(r->addr, 0, sizeof r->addr);
            memcpy(r->addr, v4, 4);
            r->v6 = 0;
            r->prefix -= 96;
        }
    } else {
        return -1;
    }
    mask(r);
    return 0;
}

int amdi_net_policy_parse(const char *list, amdi_net_policy *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!list)
        return 0;
    size_t total = strlen(list);
    if (total > AMDI_NET_POLICY_MAX_TEXT) {
        snprintf(err, errlen, "allow list is %zu characters; the limit is %d", total, AMDI_NET_POLICY_MAX_TEXT);
        return AMD_ELIMIT;
    }
    const char *p = list;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return 0;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (out->n_allow == AMDI_NET_POLICY_MAX_RANGES) {
            snprintf(err, errlen, "allow list has more than %d ranges", AMDI_NET_POLICY_MAX_RANGES);
            amdi_net_policy_free(out);
            return AMD_ELIMIT;
        }
        amdi_net_range r;
        if (parse_one(a, (size_t)(b - a), &r)) {
            if (a == b)
                snprintf(err, errlen, "allow list has an empty item (stray comma?)");
            else {
                char shown[81]; /* the item as typed, cut, control bytes shown as '?' */
                size_t n = (size_t)(b - a) < sizeof shown - 1 ? (size_t)(b - a) : sizeof shown - 1;
                for (size_t i = 0; i < n; i++)
                    shown[i] = (unsigned char)a[i] >= ' ' && (unsigned char)a[i] < 0x7f ? a[i] : '?';
                shown[n] = 0;
                snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 CIDR range (e.g. 127.0.0.0/8 or ::1/128)", shown);
            }
            amdi_net_policy_free(out);
            return AMD_EINVAL;
        }
        amdi_net_range *n = realloc(out->allow, (out->n_allow + 1) * sizeof *n);
        if (!n) {
            amdi_net_policy_free(out);
            return AMD_ENOMEM;
        }
        out->allow = n;
        out->allow[out->n_allow++] = r;
        if (!*end)
            break;
        p = end + 1;
    }
    return 0;
}

void amdi_net_policy_free(amdi_net_policy *p)
{
    if (!p)
        return;
    free(p->allow);
    p->allow = NULL;
    p->n_allow = 0;
}

static int in_range(const amdi_net_range *r, int v6, const uint8_t a[16])
{
    if (r->v6 != v6)
        return 0;
    amdi_net_range t;
    t.v6 = v6;
    t.prefix = r->prefix;
    memcpy(t.addr, a, 16);
    mask(&t);
    return !memcmp(t.addr, r->addr, v6 ? 16 : 4);
}

int amdi_net_policy_check(const amdi_net_policy *p, const struct sockaddr *sa, size_t salen, char *why,
                          size_t whylen)
{
    uint8_t a[16] = {0};
    int v6;
    if (!sa) {
        snprintf(why, whylen, "no address");
        return 1;
    }
    if (p && p->refuse_all) {
        snprintf(why, whylen, "every address is refused by this server's configuration");
        return 1;
    }
    if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        v6 = 0;
    } else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        v6 = 1;
        uint8_t v4[4];
        if (embedded_v4(a, v4)) {
            memset(a, 0, sizeof a);
            memcpy(a, v4, 4);
            v6 = 0;
        }
    } else {
        snprintf(why, whylen, "address family %d is not IPv4 or IPv6", (int)sa->sa_family);
        return 1;
    }
    for (size_t i = 0; p && i < p->n_allow; i++)
        if (in_range(&p->allow[i], v6, a))
            return 0;
    for (size_t i = 0; i < N_DENY; i++) {
        amdi_net_range r;
        if (parse_one(k_deny[i].cidr, strlen(k_deny[i].cidr), &r))
            continue; /* cannot happen: the table is constant */
        if (in_range(&r, v6, a)) {
            char txt[INET6_ADDRSTRLEN];
            inet_ntop(v6 ? AF_INET6 : AF_INET, a, txt, sizeof txt);
            snprintf(why, whylen, "%s is %s", txt, k_deny[i].what);
            return 1;
        }
    }
    return 0;
}
