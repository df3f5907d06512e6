/* SPDX-License-Identifier: MIT */
/* Console sessions: cookie parsing (RFC 6265 section 5.4 pairs, quoted values, look-alike
 * names), session ids and CSRF tokens that are random and distinct, expiry and sign-out, and
 * the tuning form's limits. */
#include <check.h>
#include <string.h>

#include "amd/error.h"
#include "console_session.h"
#include "console_tune.h"

Suite *call_console_session_suite(void);

START_TEST(cookie_parsing)
{
    char v[65];
    ck_assert_int_eq(amdi_cookie_find("a=1; amd_console=abc; b=2", "amd_console", v, sizeof v), 0);
    ck_assert_str_eq(v, "abc");
    ck_assert_int_eq(amdi_cookie_find("amd_console=\"q\"", "amd_console", v, sizeof v), 0);
    ck_assert_str_eq(v, "q");
    ck_assert_int_eq(amdi_cookie_find("xamd_console=1; amd_consolex=2", "amd_console", v, sizeof v), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_cookie_find("amd_console", "amd_console", v, sizeof v), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_cookie_find(NULL, "amd_console", v, sizeof v), AMD_ENOTFOUND);
    char small[4];
    ck_assert_int_eq(amdi_cookie_find("amd_console=toolong", "amd_console", small, sizeof small), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_cookie_find("amd_console=;x=1", "amd_console", v, sizeof v), 0);
    ck_assert_str_eq(v, "");
}
END_TEST

START_TEST(sessions)
{
    amdi_sessions *s = amdi_sessions_new();
    char id1[AMDI_SESSION_ID_LEN + 1], id2[AMDI_SESSION_ID_LEN + 1];
    amdi_session_info i1, i2, got;
    ck_assert_int_eq(amdi_session_open(s, "AC00000000000000000000000000000001", 1000, id1, &i1), 0);
    ck_assert_int_eq(amdi_session_open(s, "AC00000000000000000000000000000002", 1000, id2, &i2), 0);
    ck_assert_uint_eq(strlen(id1), AMDI_SESSION_ID_LEN);
    ck_assert_str_ne(id1, id2);
    ck_assert_str_ne(i1.csrf, i2.csrf);
    ck_assert_str_ne(id1, i1.csrf);
    ck_assert_int_eq(amdi_session_find(s, id2, 2000, &got), 0);
    ck_assert_str_eq(got.account, "AC00000000000000000000000000000002");
    ck_assert_str_eq(got.csrf, i2.csrf);
    char wrong[AMDI_SESSION_ID_LEN + 1];
    memcpy(wrong, id1, sizeof wrong);
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(amdi_session_find(s, wrong, 2000, &got), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_session_find(s, "short", 2000, &got), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_session_find(s, id1, 1000 + AMDI_SESSION_TTL_MS, &got), AMD_ENOTFOUND); /* expired */
    amdi_session_close(s, id2);
    ck_assert_int_eq(amdi_session_find(s, id2, 2000, &got), AMD_ENOTFOUND);
    amdi_sessions_free(s);
}
END_TEST

START_TEST(tune_form)
{
    char spec[96], err[300];
    const char *ok = "Param=speech-threshold&From=1600&To=3200&Step=400";
    ck_assert_int_eq(amdi_tune_parse(ok, strlen(ok), spec, sizeof spec, err, sizeof err), 0);
    ck_assert_str_eq(spec, "speech-threshold=1600:3200:400");
    static const char *const bad[] = {
        "Param=speech-threshold&From=900&To=3200&Step=400",  /* below the Twilio range */
        "Param=speech-threshold&From=1600&To=1000&Step=400", /* From > To */
        "Param=speech-threshold&From=1000&To=6000&Step=1",   /* too many points */
        "Param=speech-threshold&From=1000&To=6000&Step=0",
        "Param=engine&From=1&To=2&Step=1",
        "Param=timeout&From=3&To=x&Step=1",
        "Param=timeout&From=3&To=9999999999&Step=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        ck_assert_int_eq(amdi_tune_parse(bad[i], strlen(bad[i]), spec, sizeof spec, err, sizeof err), AMD_EINVAL);
        ck_assert_msg(err[0], "no reason for %s", bad[i]);
    }
}
END_TEST

Suite *call_console_session_suite(void)
{
    Suite *s = suite_create("call_console_session");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, cookie_parsing);
    tcase_add_test(tc, sessions);
    tcase_add_test(tc, tune_form);
    suite_add_tcase(s, tc);
    return s;
}
