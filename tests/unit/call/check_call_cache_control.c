/* SPDX-License-Identifier: MIT */
/* Cache-Control freshness for the <Play> audio cache (cache_control.h, RFC 9111 §5.2). */
#include <check.h>
#include <string.h>

#include "cache_control.h"

Suite *call_cache_control_suite(void);

static int64_t age(const char *v)
{
    return amdi_cache_control_max_age_ms(v, strlen(v));
}

START_TEST(directives)
{
    ck_assert_int_eq(age(""), -1);
    ck_assert_int_eq(age("public"), -1);
    ck_assert_int_eq(age("max-age=60"), 60000);
    ck_assert_int_eq(age(" public , MAX-AGE=3600 "), 3600000);
    ck_assert_int_eq(age("max-age=\"30\""), 30000);
    ck_assert_int_eq(age("s-maxage=99"), -1);
    ck_assert_int_eq(age("max-age=60, no-cache"), 0);
    ck_assert_int_eq(age("no-store"), 0);
    ck_assert_int_eq(age("private, no-cache=\"Set-Cookie\""), 0);
    ck_assert_int_eq(age("max-age=abc"), 0);  /* malformed: stale at once (RFC 9111 §4.2.1) */
    ck_assert_int_eq(age("max-age="), 0);
    ck_assert_int_eq(age("max-age=600, max-age=60"), 60000);
    ck_assert_int_eq(age("max-age=99999999999999999999999"), AMDI_CACHE_CONTROL_MAX_MS);
    ck_assert_int_eq(age("x=\"a,max-age=5\", max-age=7"), 7000); /* a comma inside quotes */
    ck_assert_int_eq(amdi_cache_control_max_age_ms("max-age=12", 9), 1000); /* length, not NUL */
    ck_assert_int_eq(amdi_cache_control_max_age_ms(NULL, 4), -1);
}
END_TEST

Suite *call_cache_control_suite(void)
{
    Suite *s = suite_create("call_cache_control");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, directives);
    suite_add_tcase(s, tc);
    return s;
}
