/* SPDX-License-Identifier: MIT */
/* X-Twilio-Signature against the worked examples of Twilio's webhook security docs (computed there with
 * hmac and with twilio's RequestValidator), plus the primitives' standard test vectors. */
#include <check.h>
#include <string.h>

#include "signature.h"

Suite *call_signature_suite(void);

static void add(amdi_form *f, const char *k, const char *v)
{
    amdi_form_add(f, k, v);
}

START_TEST(worked_example_1)
{
    amdi_form f;
    amdi_form_init(&f);
    /* inserted out of order: the signature sorts by name */
    add(&f, "To", "+18005551212");
    add(&f, "CallSid", "CA1234567890ABCDE");
    add(&f, "From", "+12349013030");
    add(&f, "Digits", "1234");
    add(&f, "Caller", "+12349013030");
    char sig[29];
    ck_assert_int_eq(amdi_twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &f, sig), 0);
    ck_assert_str_eq(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    amdi_form_free(&f);
}
END_TEST

START_TEST(worked_example_2_amd_callback)
{
    amdi_form f;
    amdi_form_init(&f);
    add(&f, "CallSid", "CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    add(&f, "AccountSid", "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    add(&f, "AnsweredBy", "machine_end_beep");
    add(&f, "MachineDetectionDuration", "4321");
    char sig[29];
    amdi_twilio_signature("12345", "https://example.com/amd-callback?campaign=7", &f, sig);
    ck_assert_str_eq(sig, "QilMm2/t6pcYwIErf5Cg+YCaMr8=");
    amdi_form_free(&f);
}
END_TEST

START_TEST(worked_example_3_get)
{
    char sig[29];
    amdi_twilio_signature("12345", "https://example.com/status?CallSid=CA123&CallStatus=completed", NULL, sig);
    ck_assert_str_eq(sig, "z8BxAPT8ybrMa+3Zv0Ky4JvizJs=");
}
END_TEST

START_TEST(worked_example_4_repeated_key)
{
    amdi_form f;
    amdi_form_init(&f);
    add(&f, "StatusCallbackEvent", "ringing");
    add(&f, "A", "1");
    add(&f, "StatusCallbackEvent", "answered");
    add(&f, "StatusCallbackEvent", "answered"); /* node de-duplicates */
    char sig[29];
    amdi_twilio_signature("12345", "https://example.com/x", &f, sig);
    ck_assert_str_eq(sig, "5JDpWTFWsE8ZANx1ohCITwB5HCI=");
    amdi_form_free(&f);
}
END_TEST

START_TEST(sha1_hmac_base64_vectors)
{
    uint8_t h[20];
    char b[64];
    amdi_sha1("abc", 3, h);
    amdi_base64_encode(h, 20, b);
    ck_assert_str_eq(b, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="); /* FIPS 180 "abc" */
    /* RFC 2202 test case 2 */
    amdi_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, h);
    static const uint8_t want[20] = {0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
                                     0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79};
    ck_assert_mem_eq(h, want, 20);
    /* a key longer than the block is hashed first (RFC 2202 case 6) */
    uint8_t key[80];
    memset(key, 0xaa, sizeof key);
    amdi_hmac_sha1(key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, h);
    amdi_base64_encode(h, 20, b);
    ck_assert_str_eq(b, "qkrl4VJy0A6VcFY3zoo7Ve1AIRI=");
    /* padding variants and decode */
    amdi_base64_encode((const uint8_t *)"a", 1, b);
    ck_assert_str_eq(b, "YQ==");
    uint8_t out[16];
    ck_assert_int_eq(amdi_base64_decode("QUM6dG9rZW4=", 12, out, sizeof out), 8);
    ck_assert_mem_eq(out, "AC:token", 8);
    ck_assert_int_eq(amdi_base64_decode("QUM6*G9rZW4=", 12, out, sizeof out), -1);
    ck_assert_int_eq(amdi_base64_decode("QUM6dG9rZW4=", 12, out, 4), -1);
}
END_TEST

Suite *call_signature_suite(void)
{
    Suite *s = suite_create("call_signature");
    TCase *t = tcase_create("signature");
    tcase_add_test(t, worked_example_1);
    tcase_add_test(t, worked_example_2_amd_callback);
    tcase_add_test(t, worked_example_3_get);
    tcase_add_test(t, worked_example_4_repeated_key);
    tcase_add_test(t, sha1_hmac_base64_vectors);
    suite_add_tcase(s, t);
    return s;
}
