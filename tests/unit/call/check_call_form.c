/* SPDX-License-Identifier: MIT */
/* Form / query parsing: what python twilio and curl send must decode exactly, and malformed
 * input must be refused rather than guessed. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "form.h"

Suite *call_form_suite(void);

static int parse(amdi_form *f, const char *s)
{
    return amdi_form_parse(f, s, strlen(s), AMDI_FORM_MAX_ITEMS);
}

START_TEST(python_create_body)
{
    /* the body python3-twilio 7.7.1 sends */
    const char *body = "To=%2B15005550006&From=%2B15005550006&Url=http%3A%2F%2Fexample.com%2Ftwiml"
                       "&StatusCallbackEvent=initiated&StatusCallbackEvent=answered&StatusCallbackEvent=completed"
                       "&Record=True&MachineDetection=DetectMessageEnd&AsyncAmd=true";
    amdi_form f;
    ck_assert_int_eq(parse(&f, body), 0);
    ck_assert_str_eq(amdi_form_get(&f, "To"), "+15005550006");
    ck_assert_str_eq(amdi_form_get(&f, "Url"), "http://example.com/twiml");
    ck_assert_uint_eq(amdi_form_count(&f, "StatusCallbackEvent"), 3);
    ck_assert_str_eq(amdi_form_get(&f, "StatusCallbackEvent"), "initiated");
    ck_assert_ptr_null(amdi_form_get(&f, "to")); /* names are case-sensitive */
    amdi_form_free(&f);
}
END_TEST

START_TEST(filter_keys_are_decoded)
{
    amdi_form f;
    ck_assert_int_eq(parse(&f, "StartTime%3E=2024-01-02T03%3A04%3A05Z&EndTime<=2024-01-01&PageSize=2"), 0);
    ck_assert_str_eq(amdi_form_get(&f, "StartTime>"), "2024-01-02T03:04:05Z");
    ck_assert_str_eq(amdi_form_get(&f, "EndTime<"), "2024-01-01");
    amdi_form_free(&f);
}
END_TEST

START_TEST(plus_space_empty_and_bare)
{
    amdi_form f;
    ck_assert_int_eq(parse(&f, "Twiml=%3CSay%3Ehello+world%3C%2FSay%3E&Empty=&Bare&&Trailing=1&"), 0);
    ck_assert_str_eq(amdi_form_get(&f, "Twiml"), "<Say>hello world</Say>");
    ck_assert_str_eq(amdi_form_get(&f, "Empty"), "");
    ck_assert_str_eq(amdi_form_get(&f, "Bare"), "");
    ck_assert_str_eq(amdi_form_get(&f, "Trailing"), "1");
    ck_assert_uint_eq(f.n, 4);
    amdi_form_free(&f);
    ck_assert_int_eq(parse(&f, ""), 0);
    ck_assert_uint_eq(f.n, 0);
    amdi_form_free(&f);
}
END_TEST

START_TEST(malformed_is_refused)
{
    static const char *const bad[] = {"To=%2", "To=%", "To=%zz", "A=%00", "%G1=x", "To=ab%2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        amdi_form f;
        ck_assert_msg(parse(&f, bad[i]) == AMD_EFORMAT, "accepted %s", bad[i]);
        ck_assert_uint_eq(f.n, 0);
    }
    /* an embedded raw NUL in the bytes */
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, "A=b\0c", 5, AMDI_FORM_MAX_ITEMS), AMD_EFORMAT);
}
END_TEST

START_TEST(item_limit)
{
    char *s = malloc(300 * 4 + 1);
    s[0] = 0;
    for (int i = 0; i < 300; i++)
        strcat(s, "a=1&");
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, s, strlen(s), 256), AMD_ELIMIT);
    ck_assert_int_eq(amdi_form_parse(&f, s, 4 * 256, 256), 0);
    ck_assert_uint_eq(f.n, 256);
    amdi_form_free(&f);
    free(s);
}
END_TEST

START_TEST(encode_round_trip)
{
    amdi_form f;
    amdi_form_init(&f);
    amdi_form_add(&f, "To", "+1 555/x?&=é");
    amdi_form_add(&f, "A", "");
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_form_encode(&f, &b);
    ck_assert_str_eq(b.p, "To=%2B1+555%2Fx%3F%26%3D%C3%A9&A=");
    amdi_form g;
    ck_assert_int_eq(amdi_form_parse(&g, b.p, b.len, 10), 0);
    ck_assert_str_eq(amdi_form_get(&g, "To"), "+1 555/x?&=é");
    amdi_form_remove(&g, "To");
    ck_assert_ptr_null(amdi_form_get(&g, "To"));
    ck_assert_uint_eq(g.n, 1);
    amdi_form_free(&g);
    amdi_form_free(&f);
    amdi_buf_free(&b);
}
END_TEST

Suite *call_form_suite(void)
{
    Suite *s = suite_create("call_form");
    TCase *t = tcase_create("form");
    tcase_add_test(t, python_create_body);
    tcase_add_test(t, filter_keys_are_decoded);
    tcase_add_test(t, plus_space_empty_and_bare);
    tcase_add_test(t, malformed_is_refused);
    tcase_add_test(t, item_limit);
    tcase_add_test(t, encode_round_trip);
    suite_add_tcase(s, t);
    return s;
}
