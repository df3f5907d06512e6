/* SPDX-License-Identifier: MIT */
/* The table of Twilio error codes: every code has a title and its public page, codes are
 * unique and sorted, and an error body carries the code's more_info address. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "twilio_errors.h"

Suite *call_twilio_errors_suite(void);

START_TEST(every_code_has_a_title)
{
    ck_assert_uint_gt(amdi_twerr_count(), 30);
    for (size_t i = 0; i < amdi_twerr_count(); i++) {
        int c = amdi_twerr_code_at(i);
        ck_assert_msg(c >= 10000 && c < 100000, "code %d", c);
        const char *t = amdi_twerr_title(c);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_gt(strlen(t), 3);
        if (i)
            ck_assert_msg(amdi_twerr_code_at(i - 1) < c, "codes unsorted or repeated at %d", c);
    }
    ck_assert_int_eq(amdi_twerr_code_at(amdi_twerr_count()), 0);
    ck_assert_ptr_null(amdi_twerr_title(99999));
    ck_assert_ptr_null(amdi_twerr_title(0));
    ck_assert_str_eq(amdi_twerr_title(AMDI_TWERR_URL_INVALID), "Invalid URL");
    ck_assert_int_eq(AMDI_TWERR_URL_INVALID, 21205);
    ck_assert_int_eq(AMDI_TWERR_PAGE_TOKEN_INVALID, 21481);
}
END_TEST

START_TEST(more_info_and_error_body)
{
    char b[80];
    amdi_twerr_more_info(AMDI_TWERR_NOT_FOUND, b, sizeof b);
    ck_assert_str_eq(b, "https://www.twilio.com/docs/errors/20404");
    char *s = amdi_error_json(404, AMDI_TWERR_NOT_FOUND, "The requested resource was not found");
    ck_assert_str_eq(s, "{\"code\":20404,\"message\":\"The requested resource was not found\","
                        "\"more_info\":\"https://www.twilio.com/docs/errors/20404\",\"status\":404}");
    free(s);
}
END_TEST

Suite *call_twilio_errors_suite(void)
{
    Suite *s = suite_create("call_twilio_errors");
    TCase *t = tcase_create("twilio_errors");
    tcase_add_test(t, every_code_has_a_title);
    tcase_add_test(t, more_info_and_error_body);
    suite_add_tcase(s, t);
    return s;
}
