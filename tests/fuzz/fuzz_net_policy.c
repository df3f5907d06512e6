/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the outgoing-request destination policy (src/call/calls/net_policy.h): the CIDR allow-list
 * parser (`--webhook-allow`) and the address check made before every connection.
 *
 * Input: byte 0 flags (bit 0: the address is IPv6, else IPv4; bit 1: check against the parsed
 * list, else against the defaults alone; bit 2: give a sockaddr length one byte short), bytes
 * 1..16 the address, the rest the allow list text (NULs and all; cut at the first NUL).
 *
 * Checked beyond the sanitizers:
 *  - parse: 0 / AMD_EINVAL / AMD_ELIMIT / AMD_ENOMEM only; on error an empty policy and a
 *    printable message; on success at most AMDI_NET_POLICY_MAX_RANGES ranges, prefixes in
 *    range, host bits cleared, and parsing is deterministic;
 *  - check: 0 or 1; a refusal has a printable reason; an address inside an allowed range is
 *    allowed; an IPv4 address and its IPv4-mapped IPv6 form get the same verdict; a truncated
 *    sockaddr is refused; the defaults never allow 127.0.0.1 and always allow 8.8.8.8.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "net_policy.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_net_policy: contract broken: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void printable(const char *s, size_t cap)
{
    CHECK(memchr(s, '\0', cap) != NULL);
    for (; *s; s++)
        CHECK((unsigned char)*s >= ' ' && (unsigned char)*s < 0x7f);
}

static int check4(const amdi_net_policy *p, const uint8_t a[4], size_t cut, char *why, size_t n)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    memcpy(&s.sin_addr, a, 4);
    return amdi_net_policy_check(p, (struct sockaddr *)&s, sizeof s - cut, why, n);
}

static int check6(const amdi_net_policy *p, const uint8_t a[16], size_t cut, char *why, size_t n)
{
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof s);
    s.sin6_family = AF_INET6;
    memcpy(&s.sin6_addr, a, 16);
    return amdi_net_policy_check(p, (struct sockaddr *)&s, sizeof s - cut, why, n);
}

static int contains(const amdi_net_range *r, int v6, const uint8_t *a)
{
    if (r->v6 != v6)
        return 0;
    for (int bit = 0; bit < r->prefix; bit++) {
        int m = 0x80 >> (bit % 8);
        if ((a[bit / 8] & m) != (r->addr[bit / 8] & m))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 17)
        return 0;
    uint8_t flags = data[0];
    uint8_t addr[16];
    memcpy(addr, data + 1, 16);
    size_t tn = size - 17;
    char *text = malloc(tn + 1);
    CHECK(text != NULL);
    memcpy(text, data + 17, tn);
    text[tn] = '\0';

    amdi_net_policy p, q;
    char err[200] = "", err2[200] = "", why[160];
    int rc = amdi_net_policy_parse(text, &p, err, sizeof err);
    CHECK(rc == 0 || rc == AMD_EINVAL || rc == AMD_ELIMIT || rc == AMD_ENOMEM);
    int rc2 = amdi_net_policy_parse(text, &q, err2, sizeof err2);
    CHECK(rc2 == rc);
    if (rc) {
        CHECK(p.n_allow == 0 && p.allow == NULL);
        if (rc != AMD_ENOMEM) {
            CHECK(err[0] != '\0');
            printable(err, sizeof err);
        }
    } else {
        CHECK(p.n_allow <= AMDI_NET_POLICY_MAX_RANGES);
        CHECK(q.n_allow == p.n_allow);
        for (size_t i = 0; i < p.n_allow; i++) {
            const amdi_net_range *r = &p.allow[i];
            CHECK(r->prefix >= 0 && r->prefix <= (r->v6 ? 128 : 32));
            for (int bit = r->prefix; bit < (r->v6 ? 128 : 32); bit++)
                CHECK(!(r->addr[bit / 8] & (0x80 >> (bit % 8))));
            CHECK(!memcmp(r, &q.allow[i], sizeof *r));
        }
    }
    amdi_net_policy_free(&q);

    const amdi_net_policy *pol = (flags & 2) && rc == 0 ? &p : NULL;
    size_t cut = (flags & 4) ? 1 : 0;
    int v6 = flags & 1;
    why[0] = 0;
    int v = v6 ? check6(pol, addr, cut, why, sizeof why) : check4(pol, addr, cut, why, sizeof why);
    CHECK(v == 0 || v == 1);
    if (cut)
        CHECK(v == 1);
    if (v) {
        CHECK(why[0] != '\0');
        printable(why, sizeof why);
    }
    if (!cut) {
        /* an address inside an allowed range is allowed (IPv4-mapped IPv6 and the NAT64
         * well-known prefix 64:ff9b::/96, RFC 6052, are judged as the IPv4 they carry) */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
        int as_v4 = !v6 || !memcmp(addr, mapped, 12) || !memcmp(addr, nat64, 12);
        const uint8_t *a4 = v6 ? addr + 12 : addr;
        for (size_t i = 0; pol && i < pol->n_allow; i++)
            if (as_v4 ? contains(&pol->allow[i], 0, a4) : contains(&pol->allow[i], 1, addr))
                CHECK(v == 0);
        /* IPv4 and its mapped form agree */
        uint8_t m[16];
        memcpy(m, mapped, 12);
        memcpy(m + 12, addr, 4);
        CHECK(check4(pol, addr, 0, why, sizeof why) == check6(pol, m, 0, why, sizeof why));
    }
    static const uint8_t lo[4] = {127, 0, 0, 1}, pub[4] = {8, 8, 8, 8};
    CHECK(check4(NULL, lo, 0, why, sizeof why) == 1);
    CHECK(check4(NULL, pub, 0, why, sizeof why) == 0);
    amdi_net_policy_free(&p);
    free(text);
    return 0;
}
