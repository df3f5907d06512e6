/* SPDX-License-Identifier: MIT */
/* Create / update / list parameter validation with Twilio's error codes (twilio-calls.md
 * §2-§4, §10, §14), the AMD ranges of SPEC §4.1 and the paging tokens. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "params.h"

Suite *call_params_suite(void);

/* Parse a create body; returns the Twilio error code, 0 on success (p then valid). */
static int create(const char *body, amdi_create_params *p)
{
    amdi_form f;
    ck_assert_int_eq(amdi_form_parse(&f, body, strlen(body), AMDI_FORM_MAX_ITEMS), 0);
    amdi_api_error e;
    memset(&e, 0, sizeof e);
    if (amdi_create_params_parse(p, &f, &e)) {
        ck_assert_int_eq(e.http, 400);
        ck_assert_msg(e.message[0], "error without a message");
        return e.code;
    }
    return 0;
}

static int create_code(const char *body)
{
    amdi_create_params p;
    int c = create(body, &p);
    if (!c)
        amdi_create_params_free(&p);
    return c;
}

/* Check's assertion macros use the expression text as a printf format, so bodies with
 * percent escapes are only ever passed as arguments. */
static void expect(const char *body, int code)
{
    int got = create_code(body);
    ck_assert_msg(got == code, "%s: expected %d, got %d", body, code, got);
}

#define OK "To=%2B15551230001&From=%2B15005550006&Url=http%3A%2F%2Fexample.com%2Ft"

START_TEST(defaults)
{
    amdi_create_params p;
    {
        int rc_ = create(OK, &p);
        ck_assert_int_eq(rc_, 0);
    }
    ck_assert_str_eq(p.to, "+15551230001");
    ck_assert_str_eq(p.method, "POST");
    ck_assert_int_eq(p.timeout_s, 60);
    ck_assert_uint_eq(p.status_events, AMDI_EV_COMPLETED); /* only completed by default */
    ck_assert_int_eq(p.machine_detection, 0);
    ck_assert_int_eq(p.amd.timeout_ms, 30000);
    ck_assert_int_eq(p.amd.speech_threshold_ms, 2400);
    ck_assert_int_eq(p.amd.speech_end_threshold_ms, 1200);
    ck_assert_int_eq(p.amd.silence_timeout_ms, 5000);
    ck_assert_int_eq(p.time_limit_s, AMDI_DEFAULT_TIME_LIMIT_S);
    ck_assert_int_eq(p.record, 0);
    amdi_create_params_free(&p);
}
END_TEST

START_TEST(amd_parameters)
{
    amdi_create_params p;
    int rc = create(OK "&MachineDetection=detectmessageend&MachineDetectionTimeout=45"
                       "&MachineDetectionSpeechThreshold=3000&MachineDetectionSpeechEndThreshold=900"
                       "&MachineDetectionSilenceTimeout=7000&AsyncAmd=True"
                       "&AsyncAmdStatusCallback=%2Famd&MachineDetectionEngine=Lumenvox",
                    &p);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(p.machine_detection, 1);
    ck_assert_int_eq(p.amd.mode, AMD_MODE_DETECT_MESSAGE_END);
    ck_assert_int_eq(p.amd.timeout_ms, 45000); /* seconds on the wire, ms in the detector */
    ck_assert_int_eq(p.amd.speech_threshold_ms, 3000);
    ck_assert_int_eq(p.amd.speech_end_threshold_ms, 900);
    ck_assert_int_eq(p.amd.silence_timeout_ms, 7000);
    ck_assert_int_eq(p.amd.engine, AMD_ENGINE_WORDS);
    ck_assert_int_eq(p.async_amd, 1);
    ck_assert_str_eq(p.async_amd_status_callback, "/amd");
    amdi_create_params_free(&p);
    /* SendDigits silently disables AMD */
    rc = create(OK "&MachineDetection=Enable&SendDigits=12w3", &p);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(p.machine_detection, 0);
    amdi_create_params_free(&p);
}
END_TEST

START_TEST(amd_ranges)
{
    /* every bound of SPEC §4.1: just inside accepted, just outside refused with 21263 */
    static const struct {
        const char *name;
        int lo, hi;
    } r[] = {{"MachineDetectionTimeout", 3, 59},
             {"MachineDetectionSpeechThreshold", 1000, 6000},
             {"MachineDetectionSpeechEndThreshold", 500, 5000},
             {"MachineDetectionSilenceTimeout", 2000, 10000},
             {"MachineDetectionMinWordLength", 10, 5000},
             {"MachineDetectionMaxWordLength", 100, 20000},
             {"MachineDetectionWordsSilence", 10, 5000},
             {"MachineDetectionMaxNumOfWords", 1, 100},
             {"MachineDetectionSilenceThreshold", 0, 32767}};
    char body[256];
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        snprintf(body, sizeof body, "%s&MachineDetection=Enable&%s=%d", OK, r[i].name, r[i].lo);
        ck_assert_msg(create_code(body) == 0, "%s=%d refused", r[i].name, r[i].lo);
        snprintf(body, sizeof body, "%s&MachineDetection=Enable&%s=%d", OK, r[i].name, r[i].hi);
        ck_assert_msg(create_code(body) == 0, "%s=%d refused", r[i].name, r[i].hi);
        snprintf(body, sizeof body, "%s&MachineDetection=Enable&%s=%d", OK, r[i].name, r[i].lo - 1);
        ck_assert_msg(create_code(body) == 21263, "%s=%d accepted", r[i].name, r[i].lo - 1);
        snprintf(body, sizeof body, "%s&MachineDetection=Enable&%s=%d", OK, r[i].name, r[i].hi + 1);
        ck_assert_msg(create_code(body) == 21263, "%s=%d accepted", r[i].name, r[i].hi + 1);
        snprintf(body, sizeof body, "%s&MachineDetection=Enable&%s=12abc", OK, r[i].name);
        ck_assert_msg(create_code(body) == 21263, "%s=12abc accepted", r[i].name);
    }
    expect(OK "&MachineDetection=Maybe", 21263);
    expect(OK "&AsyncAmd=yes", 21263);
    expect(OK "&MachineDetectionEngine=crystal-ball", 21263);
}
END_TEST

START_TEST(error_codes)
{
    expect("From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 21201);
    expect("To=%2B15551230001&Url=http%3A%2F%2Fx.com%2F", 21213);
    expect("To=%2B15551230001&From=%2B15005550006", 21200);
    expect("To=%2B15551230001&From=%2B15005550006&Url=ftp%3A%2F%2Fx", 21205);
    expect("To=%2B15551230001&From=%2B15005550006&Url=http%3A%2F%2F", 21205);
    expect(OK "&Method=PATCH", 21209);
    expect(OK "&StatusCallbackMethod=PUT", 21209);
    expect(OK "&FallbackMethod=x", 21209);
    expect(OK "&SendDigits=12E", 21206);
    expect(OK "&SendDigits=123456789012345678901234567890123", 21206);
    expect(OK "&Timeout=0", 21208);
    expect(OK "&Timeout=ten", 21208);
    expect(OK "&IfMachine=Explode", 21207);
    expect(OK "&ApplicationSid=AP0123456789abcdef0123456789abcdef", 21218);
    expect(OK "&StatusCallback=http%3A%2F%2Fmy_host.example.com%2F", 21205);
    expect(OK "&StatusCallbackEvent=initiated&StatusCallbackEvent=bogus", 21200);
    expect(OK "&Record=maybe", 21200);
    expect(OK "&RecordingChannels=quad", 21200);
    expect(OK "&TimeLimit=0", 21200);
    expect("To=abc&From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 21211);
    expect("To=%2B15551230001&From=%2B15005550001&Url=http%3A%2F%2Fx.com%2F", 21212);
    expect("To=%2B15551230001&From=sip%3Abob%40x.com&Url=http%3A%2F%2Fx.com%2F", 21212);
    /* Twilio's magic test numbers (twilio-calls.md §14) */
    expect("To=%2B15005550001&From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 21217);
    expect("To=%2B15005550002&From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 21214);
    expect("To=%2B15005550003&From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 21215);
    expect("To=%2B15005550004&From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 21216);
    expect("To=%2B15005550006&From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", 0);
}
END_TEST

START_TEST(lists_booleans_and_twiml)
{
    amdi_create_params p;
    int rc = create("To=client%3Aalice&From=%2B15005550006&Twiml=%3CResponse%2F%3E"
                    "&StatusCallbackEvent=initiated+ringing&StatusCallbackEvent=answered"
                    "&Record=TRUE&RecordingStatusCallbackEvent=in-progress+completed&Timeout=900",
                    &p);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(p.status_events, AMDI_EV_INITIATED | AMDI_EV_RINGING | AMDI_EV_ANSWERED);
    ck_assert_int_eq(p.record, 1);
    ck_assert_uint_eq(p.recording_events, 3);
    ck_assert_int_eq(p.timeout_s, 600); /* capped at Twilio's maximum */
    ck_assert_str_eq(p.twiml, "<Response/>");
    amdi_create_params_free(&p);
    /* Url wins over Twiml on create */
    rc = create(OK "&Twiml=%3CResponse%2F%3E", &p);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_null(p.twiml);
    amdi_create_params_free(&p);
    /* the 4000-character Twiml limit */
    static char body[9000];
    /* <Response><Say>xx...</Say></Response> of exactly 4000 characters (decoded), then 4001 */
    strcpy(body, "To=%2B15551230001&From=%2B15005550006&Twiml=%3CResponse%3E%3CSay%3E");
    size_t n = strlen(body), text = 4000 - strlen("<Response><Say></Say></Response>");
    memset(body + n, 'x', text);
    strcpy(body + n + text, "%3C%2FSay%3E%3C%2FResponse%3E");
    expect(body, 0);
    memmove(body + n + 1, body + n, strlen(body + n) + 1);
    expect(body, 21200);
    ck_assert_int_eq(amdi_parse_bool("fAlSe"), 0);
    ck_assert_int_eq(amdi_parse_bool("1"), -1);
}
END_TEST

START_TEST(update_params)
{
    amdi_form f;
    amdi_update_params u;
    amdi_api_error e;
    const char *b1 = "Status=Completed&TimeLimit=600&Url=https%3A%2F%2Fx.com%2Fy&Method=get";
    amdi_form_parse(&f, b1, strlen(b1), 64);
    ck_assert_int_eq(amdi_update_params_parse(&u, &f, &e), 0);
    ck_assert_str_eq(u.status, "completed");
    ck_assert_int_eq(u.time_limit_s, 600);
    ck_assert_str_eq(u.method, "GET");
    amdi_form_free(&f);
    const char *bad[] = {"Status=ringing", "Url=http%3A%2F%2Fx.com&Twiml=%3CResponse%2F%3E", "Method=PUT",
                         "TimeLimit=-1", "Url=nope"};
    const int codes[] = {21200, 21200, 21209, 21200, 21205};
    for (int i = 0; i < 5; i++) {
        amdi_form_parse(&f, bad[i], strlen(bad[i]), 64);
        ck_assert_msg(amdi_update_params_parse(&u, &f, &e) == -1 && e.code == codes[i], "%s", bad[i]);
        amdi_form_free(&f);
    }
}
END_TEST

START_TEST(page_tokens)
{
    char t[19];
    int before;
    int64_t seq;
    amdi_page_token(t, 0, 12345);
    ck_assert_str_eq(t, "PA0000000000003039");
    ck_assert_int_eq(amdi_page_token_parse(t, &before, &seq), 0);
    ck_assert_int_eq(before, 0);
    ck_assert_int_eq(seq, 12345);
    amdi_page_token(t, 1, 1);
    ck_assert_int_eq(amdi_page_token_parse(t, &before, &seq), 0);
    ck_assert_int_eq(before, 1);
    const char *bad[] = {"", "PA", "PC0000000000003039", "PA000000000000303", "PA00000000000030390",
                         "PAzz00000000003039", "PA000000000000303G", "PAffffffffffffffff",
                         "PACAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(amdi_page_token_parse(bad[i], &before, &seq) == -1, "accepted %s", bad[i]);
}
END_TEST

static int list(const char *q, amdi_list_query *out)
{
    amdi_form f;
    amdi_form_parse(&f, q, strlen(q), 64);
    amdi_api_error e;
    int rc = amdi_list_query_parse(out, &f, &e);
    amdi_form_free(&f);
    if (rc)
        return e.code;
    amdi_form_free(&out->canon);
    return 0;
}

START_TEST(list_query)
{
    amdi_list_query q;
    {
        int rc_ = list("", &q);
        ck_assert_int_eq(rc_, 0);
    }
    ck_assert_int_eq(q.page_size, 50);
    {
        int rc_ = list("PageSize=5000", &q);
        ck_assert_int_eq(rc_, 0);
    }
    ck_assert_int_eq(q.page_size, 1000); /* clamped */
    {
        int rc_ = list("PageSize=0", &q);
        ck_assert_int_eq(rc_, 21200);
    }
    {
        int rc_ = list("PageToken=PAnothex", &q);
        ck_assert_int_eq(rc_, 21481);
    }
    {
        int rc_ = list("Status=sleeping", &q);
        ck_assert_int_eq(rc_, 21200);
    }
    {
        int rc_ = list("StartTime=yesterday", &q);
        ck_assert_int_eq(rc_, 21200);
    }
    /* StartTime (on that date), StartTime< (before, exclusive), StartTime> (on or after) */
    {
        int rc_ = list("StartTime=2024-01-02", &q);
        ck_assert_int_eq(rc_, 0);
    }
    ck_assert_int_eq(q.start_lo, 1704153600000LL);
    ck_assert_int_eq(q.start_hi, 1704153600000LL + 86400000);
    {
        int rc_ = list("StartTime%3E=2024-01-02T03%3A04%3A05Z&StartTime%3C=2024-01-03", &q);
        ck_assert_int_eq(rc_, 0);
    }
    ck_assert_int_eq(q.start_lo, 1704153600000LL + (3 * 3600 + 4 * 60 + 5) * 1000LL);
    ck_assert_int_eq(q.start_hi, 1704240000000LL);
    {
        int rc_ = list("EndTime<=2024-01-02", &q);
        ck_assert_int_eq(rc_, 0);
    } /* "EndTime<" "=" value */
    ck_assert_int_eq(q.end_hi, 1704153600000LL);
    ck_assert(q.end_lo == INT64_MIN);
}
END_TEST

START_TEST(urls)
{
    ck_assert(amdi_url_valid("https://example.com", 0));
    ck_assert(amdi_url_valid("http://127.0.0.1:8080/x?y=1#z", 0));
    ck_assert(amdi_url_valid("http://user:pw@host/x", 0));
    ck_assert(amdi_url_valid("http://[::1]:99/x", 0));
    ck_assert(amdi_url_valid("http://a_b.com/", 0));
    ck_assert(!amdi_url_valid("http://a_b.com/", 1));
    ck_assert(!amdi_url_valid("http://", 0));
    ck_assert(!amdi_url_valid("http://host:/x", 0));
    ck_assert(!amdi_url_valid("http://host:80a/x", 0));
    ck_assert(!amdi_url_valid("http://ho st/", 0));
    ck_assert(!amdi_url_valid("javascript:alert(1)", 0));
    ck_assert(!amdi_url_valid("/relative", 0));
    ck_assert(amdi_is_phone("+15551230001"));
    ck_assert(amdi_is_phone("15551230001"));
    ck_assert(!amdi_is_phone("+0555"));
    ck_assert(!amdi_is_phone("+1234567890123456"));
    ck_assert(!amdi_is_phone("+1555-123"));
}
END_TEST

/* One rule for every shape of To (and From): E.164, sip: URIs with a host, client:, sim:. */
START_TEST(to_shapes)
{
    static const char *const good[] = {"+15551230001", "15551230001", "sip:alice@127.0.0.1",
                                       "sip:alice@example.com:5060;transport=udp", "sip:[::1]:5060",
                                       "sip:example.com", "client:alice_1", "sim:HS0123456789abcdef0123456789abcdef"};
    static const char *const bad[] = {"",           "+",          "+1 555",          "sip:",           "sip:@h",
                                      "sip:a@",     "sip:a b@h",  "sip:a@h:",        "sip:a@h:123456", "sip:a@.h",
                                      "sip:a@h<x>", "client:",    "client:a b",      "sim:",           "sim:HS12",
                                      "tel:+1555",  "hello",      "+15551230001\n", "sip:a@[zz]"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ck_assert_msg(amdi_addr_valid(good[i]), "should be valid: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!amdi_addr_valid(bad[i]), "should be invalid: %s", bad[i]);
    expect("To=sip%3Aa%40&From=%2B15005550006&Url=http%3A%2F%2Fexample.com%2Ft", 21211);
    expect("To=client%3Aa%20b&From=%2B15005550006&Url=http%3A%2F%2Fexample.com%2Ft", 21211);
    expect("To=sip%3Aa%40h&From=%2B15005550006&Url=http%3A%2F%2Fexample.com%2Ft", 0);
}
END_TEST

/* A relative AsyncAmdStatusCallback needs a Url to resolve against. */
START_TEST(relative_callbacks)
{
    expect(OK "&MachineDetection=Enable&AsyncAmd=true&AsyncAmdStatusCallback=%2Famd", 0);
    expect(OK "&MachineDetection=Enable&AsyncAmd=true&AsyncAmdStatusCallback=amd%3Fx%3D1", 0);
    expect(OK "&MachineDetection=Enable&AsyncAmd=true&AsyncAmdStatusCallback=ftp%3A%2F%2Fx%2F", 21205);
    expect(OK "&MachineDetection=Enable&AsyncAmd=true&AsyncAmdStatusCallback=%2F%2Fevil.example%2F", 21205);
    expect("To=%2B15551230001&From=%2B15005550006&Twiml=%3CResponse%2F%3E&MachineDetection=Enable&AsyncAmd=true"
           "&AsyncAmdStatusCallback=%2Famd",
           21205);
    expect("To=%2B15551230001&From=%2B15005550006&Twiml=%3CResponse%2F%3E&MachineDetection=Enable&AsyncAmd=true"
           "&AsyncAmdStatusCallback=https%3A%2F%2Fexample.com%2Famd",
           0);
}
END_TEST

Suite *call_params_suite(void)
{
    Suite *s = suite_create("call_params");
    TCase *t = tcase_create("params");
    tcase_add_test(t, defaults);
    tcase_add_test(t, amd_parameters);
    tcase_add_test(t, amd_ranges);
    tcase_add_test(t, error_codes);
    tcase_add_test(t, lists_booleans_and_twiml);
    tcase_add_test(t, update_params);
    tcase_add_test(t, page_tokens);
    tcase_add_test(t, list_query);
    tcase_add_test(t, urls);
    tcase_add_test(t, to_shapes);
    tcase_add_test(t, relative_callbacks);
    suite_add_tcase(s, t);
    return s;
}
