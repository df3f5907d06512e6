/* SPDX-License-Identifier: MIT */
/* Dates on the wire: RFC 2822 for call fields (Twilio's Call resource; python parses them with
 * email.utils.parsedate) and the list-filter forms of §4. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "timefmt.h"

Suite *call_timefmt_suite(void);

START_TEST(rfc2822_examples)
{
    char b[40];
    amdi_time_rfc2822(1283286988000LL, b, sizeof b); /* the example of Twilio's Call resource docs */
    ck_assert_str_eq(b, "Tue, 31 Aug 2010 20:36:28 +0000");
    amdi_time_rfc2822(0, b, sizeof b);
    ck_assert_str_eq(b, "Thu, 01 Jan 1970 00:00:00 +0000");
    amdi_time_rfc2822(951782400000LL, b, sizeof b); /* leap day of a /400 year */
    ck_assert_str_eq(b, "Tue, 29 Feb 2000 00:00:00 +0000");
    amdi_time_rfc2822(4102444799999LL, b, sizeof b);
    ck_assert_str_eq(b, "Thu, 31 Dec 2099 23:59:59 +0000");
}
END_TEST

START_TEST(round_trip_every_day)
{
    /* format -> parse is the identity on whole seconds across 60 years, weekday included */
    for (int64_t d = 0; d < 366 * 60; d += 1) {
        int64_t ms = d * 86400000LL + (d * 7919 % 86400) * 1000;
        char b[40];
        amdi_time_rfc2822(ms, b, sizeof b);
        int64_t back;
        int has_time;
        ck_assert_int_eq(amdi_time_parse(b, &back, &has_time), 0);
        ck_assert_int_eq(back, ms);
        ck_assert_int_eq(has_time, 1);
    }
}
END_TEST

START_TEST(filter_forms)
{
    int64_t t;
    int ht;
    ck_assert_int_eq(amdi_time_parse("2024-01-02", &t, &ht), 0);
    ck_assert_int_eq(t, 1704153600000LL);
    ck_assert_int_eq(ht, 0);
    ck_assert_int_eq(amdi_time_parse("2024-01-02T03:04:05Z", &t, &ht), 0);
    ck_assert_int_eq(t, 1704153600000LL + 11045000);
    ck_assert_int_eq(ht, 1);
    ck_assert_int_eq(amdi_time_parse("2024-01-02T05:04:05+02:00", &t, &ht), 0);
    ck_assert_int_eq(t, 1704153600000LL + 11045000);
    ck_assert_int_eq(amdi_time_parse("2019-06-11 22:05:25.000", &t, &ht), 0);
    ck_assert_int_eq(amdi_time_parse("2019-06-11 22:05:25.5", &t, &ht), 0);
    ck_assert_int_eq(t % 1000, 500);
    ck_assert_int_eq(amdi_time_parse("Tue, 11 Jun 2019 22:05:25 -0700", &t, &ht), 0);
    int64_t u;
    ck_assert_int_eq(amdi_time_parse("2019-06-12T05:05:25Z", &u, &ht), 0);
    ck_assert_int_eq(t, u);
    static const char *const bad[] = {"", "2024", "2024-13-01", "2023-02-29", "2024-01-32", "2024-01-02T25:00:00Z",
                                      "2024-01-02X", "yesterday", "2024-01-02T03:04:05Q", "1969-12-31",
                                      "Tue, 31 Foo 2010 20:36:28 +0000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(amdi_time_parse(bad[i], &t, &ht) != 0, "accepted '%s'", bad[i]);
    ck_assert_int_eq(amdi_time_parse("2024-02-29", &t, &ht), 0);
}
END_TEST

Suite *call_timefmt_suite(void)
{
    Suite *s = suite_create("call_timefmt");
    TCase *t = tcase_create("timefmt");
    tcase_add_test(t, rfc2822_examples);
    tcase_add_test(t, round_trip_every_day);
    tcase_add_test(t, filter_forms);
    suite_add_tcase(s, t);
    return s;
}
