/* SPDX-License-Identifier: MIT */
/* The outgoing-request destination policy: CIDR allow lists parse (and bad ones are refused
 * naming the item), the default refusals cover every special-purpose range in IPv4 and IPv6
 * (also as IPv4-mapped and NAT64 addresses), public addresses pass, and an allow list opens
 * exactly its ranges. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "amd/error.h"
#include "net_policy.h"

Suite *call_net_policy_suite(void);

/* 0 allowed, 1 refused, for a textual address under @p p. */
static int verdict(const amdi_net_policy *p, const char *addr, char *why, size_t n)
{
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        return amdi_net_policy_check(p, (struct sockaddr *)&a4, sizeof a4, why, n);
    }
    ck_assert_msg(inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1, "bad test address %s", addr);
    a6.sin6_family = AF_INET6;
    return amdi_net_policy_check(p, (struct sockaddr *)&a6, sizeof a6, why, n);
}

START_TEST(default_refusals)
{
    static const char *const refused[] = {
        "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
        "100.127.255.255", "169.254.169.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250",
        "255.255.255.255", "240.0.0.1", "198.18.0.1", "192.0.0.8", "::", "::1", "fc00::1", "fd12:3456::1",
        "fe80::1", "febf::1", "ff02::1", "fec0::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe"};
    static const char *const allowed[] = {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.0", "100.63.255.255",
                                          "100.128.0.0", "169.253.255.255", "192.169.0.1", "11.0.0.1",
                                          "223.255.255.255", "2001:4860:4860::8888", "2606:4700::1111",
                                          "::ffff:8.8.8.8", "64:ff9b::808:808", "fbff::1", "fe7f::1"};
    char why[160];
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        why[0] = 0;
        ck_assert_msg(verdict(NULL, refused[i], why, sizeof why) == 1, "%s should be refused", refused[i]);
        ck_assert_msg(strstr(why, " is "), "reason for %s: '%s'", refused[i], why);
    }
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        ck_assert_msg(verdict(NULL, allowed[i], why, sizeof why) == 0, "%s should be allowed: %s", allowed[i], why);
    verdict(NULL, "127.0.0.1", why, sizeof why);
    ck_assert_str_eq(why, "127.0.0.1 is loopback");
    verdict(NULL, "::ffff:169.254.169.254", why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "169.254.169.254 is link-local"));
    /* not IP at all */
    struct sockaddr un = {.sa_family = AF_UNIX};
    ck_assert_int_eq(amdi_net_policy_check(NULL, &un, sizeof un, why, sizeof why), 1);
    ck_assert_int_eq(amdi_net_policy_check(NULL, NULL, 0, why, sizeof why), 1);
    /* a truncated sockaddr is not read past its length */
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    ck_assert_int_eq(amdi_net_policy_check(NULL, (struct sockaddr *)&a4, 4, why, sizeof why), 1);
}
END_TEST

START_TEST(allow_lists)
{
    amdi_net_policy p;
    char err[200], why[160];
    ck_assert_int_eq(amdi_net_policy_parse(" 127.0.0.0/8 , ::1,10.1.2.3/16,::ffff:192.168.0.0/112", &p, err, sizeof err),
                     0);
    ck_assert_int_eq(p.n_allow, 4);
    ck_assert_int_eq(verdict(&p, "127.3.4.5", why, sizeof why), 0);
    ck_assert_int_eq(verdict(&p, "::ffff:127.0.0.1", why, sizeof why), 0); /* mapped: judged as IPv4 */
    ck_assert_int_eq(verdict(&p, "::1", why, sizeof why), 0);
    ck_assert_int_eq(verdict(&p, "10.1.200.1", why, sizeof why), 0);       /* host bits of 10.1.2.3/16 ignored */
    ck_assert_int_eq(verdict(&p, "10.2.0.1", why, sizeof why), 1);
    ck_assert_int_eq(verdict(&p, "192.168.7.7", why, sizeof why), 0);      /* mapped range = 192.168.0.0/16 */
    ck_assert_int_eq(verdict(&p, "169.254.169.254", why, sizeof why), 1);
    ck_assert_int_eq(verdict(&p, "8.8.8.8", why, sizeof why), 0);
    amdi_net_policy_free(&p);
    amdi_net_policy_free(&p); /* idempotent */
    ck_assert_int_eq(amdi_net_policy_parse(NULL, &p, err, sizeof err), 0);
    ck_assert_int_eq(p.n_allow, 0);
    ck_assert_int_eq(amdi_net_policy_parse("  ", &p, err, sizeof err), 0);
    ck_assert_int_eq(p.n_allow, 0);
    ck_assert_int_eq(amdi_net_policy_parse("0.0.0.0/0", &p, err, sizeof err), 0);
    ck_assert_int_eq(verdict(&p, "127.0.0.1", why, sizeof why), 0);
    ck_assert_int_eq(verdict(&p, "::1", why, sizeof why), 1); /* IPv4 ranges do not open IPv6 */
    amdi_net_policy_free(&p);

    static const char *const bad[] = {"127.0.0.0/33", "::1/129", "localhost", "10.0.0.0/", "10.0.0.0/-1",
                                      "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,::1", "10.0.0/8", "1.2.3.4/8x",
                                      "1.2.3.4 5.6.7.8", "/8", "10.0.0.0/0008"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        ck_assert_msg(amdi_net_policy_parse(bad[i], &p, err, sizeof err) == AMD_EINVAL, "'%s' accepted", bad[i]);
        ck_assert_msg(err[0], "no message for '%s'", bad[i]);
        ck_assert_int_eq(p.n_allow, 0);
        ck_assert_ptr_null(p.allow);
    }
    ck_assert_int_eq(amdi_net_policy_parse("1.2.3.4/8x", &p, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'1.2.3.4/8x'"));
    ck_assert_int_eq(amdi_net_policy_parse("10.0.0.0/8,,::1", &p, err, sizeof err), AMD_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    /* limits */
    static char big[AMDI_NET_POLICY_MAX_TEXT + 2];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_int_eq(amdi_net_policy_parse(big, &p, err, sizeof err), AMD_ELIMIT);
    char many[AMDI_NET_POLICY_MAX_TEXT];
    many[0] = 0;
    for (int i = 0; i <= AMDI_NET_POLICY_MAX_RANGES; i++)
        strcat(many, i ? ",1.2.3.4" : "1.2.3.4");
    ck_assert_int_eq(amdi_net_policy_parse(many, &p, err, sizeof err), AMD_ELIMIT);
    ck_assert_ptr_null(p.allow);
}
END_TEST

Suite *call_net_policy_suite(void)
{
    Suite *s = suite_create("call_net_policy");
    TCase *t = tcase_create("policy");
    tcase_add_test(t, default_refusals);
    tcase_add_test(t, allow_lists);
    suite_add_tcase(s, t);
    return s;
}
