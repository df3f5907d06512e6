/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Destination policy for every outgoing request of the call server (webhooks, TwiML fetches,
 * status / recording / AMD callbacks, and anything fetched later such as <Play> audio).
 *
 * By default a request may not connect to an address that is loopback, private (RFC 1918,
 * RFC 4193 unique local), shared / carrier-grade NAT (RFC 6598), link-local (RFC 3927 incl.
 * cloud metadata at 169.254.169.254, RFC 4291 fe80::/10), unspecified, "this network",
 * multicast or reserved (RFC 6890 special-purpose registry). IPv4-mapped IPv6 addresses
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2) and the NAT64 well-known prefix (64:ff9b::/96, RFC 6052)
 * are judged by the IPv4 address they carry. An allow list of CIDR ranges (the operator's
 * `--webhook-allow`) opens ranges again, e.g. 127.0.0.0/8 for local development.
 *
 * The check is made on the socket address actually connected to (after name resolution, on
 * every redirect hop), so a name that resolves to an internal address is refused too. */
#ifndef AMDI_NET_POLICY_H
#define AMDI_NET_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define AMDI_NET_POLICY_MAX_RANGES 256
#define AMDI_NET_POLICY_MAX_TEXT 8192

typedef struct amdi_net_range {
    int v6;            /* 0: IPv4 (addr[0..3]); 1: IPv6 */
    uint8_t addr[16];  /* network address, host bits cleared */
    int prefix;        /* 0..32 / 0..128 */
} amdi_net_range;

typedef struct amdi_net_policy {
    amdi_net_range *allow;
    size_t n_allow;
    int refuse_all; /* refuse every address (nothing leaves the machine: tests, fuzzers) */
} amdi_net_policy;

/* Parse a comma-separated CIDR list ("127.0.0.0/8, ::1/128"; a bare address is a host range;
 * host bits below the prefix are ignored). NULL or "" is the empty list. 0, or AMD_EINVAL /
 * AMD_ELIMIT with the offending item named in @p err, or AMD_ENOMEM. */
int amdi_net_policy_parse(const char *list, amdi_net_policy *out, char *err, size_t errlen);
void amdi_net_policy_free(amdi_net_policy *p);

/* 0 if @p sa may be connected to under @p p (NULL = the defaults alone); else 1 (refused)
 * with the reason (e.g. "127.0.0.1 is loopback") in @p why. Families other than IPv4 and
 * IPv6 (e.g. Unix sockets) are refused. */
int amdi_net_policy_check(const amdi_net_policy *p, const struct sockaddr *sa, size_t salen, char *why,
                          size_t whylen);

#endif
