/* SPDX-License-Identifier: MIT */
/* TwiML parsing: the verbs the engine runs, their attributes and simulated durations, and
 * the two failure classes Twilio distinguishes (12100 malformed XML, 12200 invalid TwiML). */
#include <check.h>
#include <string.h>

#include "amd/error.h"
#include "twiml.h"

Suite *call_twiml_suite(void);

static char err[200]; /* the reason of the last parse */

static int parse(const char *x, amdi_twiml **t)
{
    return amdi_twiml_parse(x, strlen(x), t, err, sizeof err);
}

START_TEST(verbs)
{
    amdi_twiml *t;
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment -->\n"
                      "<Response>\n  <Say voice=\"alice\" loop=\"2\">Hello &amp; welcome &#x41;&#66;</Say>\n"
                      "  <Play digits=\"12w#\"/>\n  <Play>https://x.com/a.mp3</Play>\n  <Pause length=\"3\"/>\n"
                      "  <Gather><Say>press</Say><Pause/></Gather>\n  <Dial>+15551230001</Dial>\n"
                      "  <Redirect method=\"get\">/next?a=1&amp;b=2</Redirect>\n  <Reject reason=\"busy\"/>\n"
                      "  <Hangup/>\n</Response>\n";
    ck_assert_int_eq(parse(doc, &t), 0);
    ck_assert_uint_eq(t->n, 11);
    ck_assert_int_eq(t->v[0].kind, AMDI_TW_SAY);
    ck_assert_str_eq(t->v[0].text, "Hello & welcome AB");
    ck_assert_int_eq(t->v[0].loop, 2);
    ck_assert_int_eq(t->v[1].kind, AMDI_TW_PLAY);
    ck_assert_str_eq(t->v[1].digits, "12w#");
    ck_assert_int_eq(amdi_verb_duration_ms(&t->v[1]), 2000);
    ck_assert_str_eq(t->v[2].text, "https://x.com/a.mp3");
    ck_assert_int_eq(t->v[3].kind, AMDI_TW_PAUSE);
    ck_assert_int_eq(amdi_verb_duration_ms(&t->v[3]), 3000);
    ck_assert_int_eq(t->v[4].kind, AMDI_TW_GATHER); /* its prompts follow it */
    ck_assert_uint_eq(t->v[4].n_nested, 2);
    ck_assert_int_eq(t->v[5].kind, AMDI_TW_SAY);
    ck_assert_int_eq(t->v[5].in_gather, 1);
    ck_assert_int_eq(t->v[6].kind, AMDI_TW_PAUSE);
    ck_assert_int_eq(amdi_verb_duration_ms(&t->v[6]), 1000); /* default length 1 s */
    ck_assert_int_eq(t->v[7].kind, AMDI_TW_DIAL); /* a bare number: one noun */
    ck_assert_uint_eq(t->v[7].dial->n, 1);
    ck_assert_str_eq(t->v[7].dial->nouns[0].target, "+15551230001");
    ck_assert_int_eq(t->v[7].dial->timeout_s, 30);
    ck_assert_int_eq(t->v[8].kind, AMDI_TW_REDIRECT);
    ck_assert_str_eq(t->v[8].text, "/next?a=1&b=2");
    ck_assert_str_eq(t->v[8].method, "GET");
    ck_assert_int_eq(t->v[9].kind, AMDI_TW_REJECT);
    ck_assert_str_eq(t->v[9].reason, "busy");
    ck_assert_int_eq(t->v[10].kind, AMDI_TW_HANGUP);
    amdi_twiml_free(t);
}
END_TEST

/* <Gather>: Twilio's defaults, and its attributes as written. */
START_TEST(gather_attributes)
{
    amdi_twiml *t;
    ck_assert_int_eq(parse("<Response><Gather/><Gather action=\"/g\" method=\"GET\" timeout=\"2\" finishOnKey=\"\" "
                           "numDigits=\"4\" actionOnEmptyResult=\"true\"><Play>u</Play></Gather></Response>",
                           &t),
                     0);
    ck_assert_uint_eq(t->n, 3);
    const amdi_verb *g = &t->v[0];
    ck_assert_int_eq(g->kind, AMDI_TW_GATHER);
    ck_assert_ptr_null(g->action);
    ck_assert_str_eq(g->method, "POST");
    ck_assert_int_eq(g->timeout_s, 5);
    ck_assert_str_eq(g->finish_on_key, "#");
    ck_assert_int_eq(g->num_digits, 0);
    ck_assert_int_eq(g->action_on_empty, 0);
    ck_assert_uint_eq(g->n_nested, 0);
    ck_assert_int_eq(g->warn_code, 0);
    g = &t->v[1];
    ck_assert_str_eq(g->action, "/g");
    ck_assert_str_eq(g->method, "GET");
    ck_assert_int_eq(g->timeout_s, 2);
    ck_assert_str_eq(g->finish_on_key, "");
    ck_assert_int_eq(g->num_digits, 4);
    ck_assert_int_eq(g->action_on_empty, 1);
    ck_assert_uint_eq(g->n_nested, 1);
    ck_assert_int_eq(t->v[2].kind, AMDI_TW_PLAY);
    amdi_twiml_free(t);
}
END_TEST

/* Bad <Gather>/<Record> attribute values are Twilio's warnings: the verb runs with the default. */
START_TEST(input_verb_warnings)
{
    static const struct {
        const char *doc;
        int code;
    } cases[] = {
        {"<Response><Gather finishOnKey=\"12\"/></Response>", 13310},
        {"<Response><Gather finishOnKey=\"x\"/></Response>", 13310},
        {"<Response><Gather timeout=\"soon\"/></Response>", 13313},
        {"<Response><Gather numDigits=\"0\"/></Response>", 13314},
        {"<Response><Gather actionOnEmptyResult=\"yes\"/></Response>", 13338},
        {"<Response><Gather input=\"speech\"/></Response>", 12200},
        {"<Response><Record timeout=\"-3\"/></Response>", 13611},
        {"<Response><Record maxLength=\"0\"/></Response>", 13612},
        {"<Response><Record finishOnKey=\"1x\"/></Response>", 13613},
        {"<Response><Record recordingStatusCallbackEvent=\"done\"/></Response>", 13621},
        {"<Response><Record transcribe=\"true\"/></Response>", 12200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        amdi_twiml *t;
        ck_assert_int_eq(parse(cases[i].doc, &t), 0);
        ck_assert_msg(t->v[0].warn_code == cases[i].code, "case %zu: %d", i, t->v[0].warn_code);
        ck_assert_ptr_nonnull(t->v[0].warn);
        amdi_twiml_free(t);
    }
    amdi_twiml *t;
    ck_assert_int_eq(parse("<Response><Gather finishOnKey=\"x\" timeout=\"soon\"/></Response>", &t), 0);
    ck_assert_str_eq(t->v[0].finish_on_key, "#"); /* defaults kept */
    ck_assert_int_eq(t->v[0].timeout_s, 5);
    amdi_twiml_free(t);
}
END_TEST

START_TEST(record_attributes)
{
    amdi_twiml *t;
    ck_assert_int_eq(parse("<Response><Record/><Record action=\"https://a/r\" timeout=\"0\" maxLength=\"30\" "
                           "finishOnKey=\"*#\" playBeep=\"false\" trim=\"do-not-trim\" "
                           "recordingStatusCallback=\"/rs\" recordingStatusCallbackMethod=\"GET\" "
                           "recordingStatusCallbackEvent=\"in-progress completed\"/></Response>",
                           &t),
                     0);
    const amdi_verb *r = &t->v[0];
    ck_assert_int_eq(r->kind, AMDI_TW_RECORD);
    ck_assert_int_eq(r->timeout_s, 5);
    ck_assert_int_eq(r->max_length_s, 3600);
    ck_assert_str_eq(r->finish_on_key, "1234567890*#");
    ck_assert_int_eq(r->play_beep, 1);
    ck_assert_int_eq(r->trim, 1);
    ck_assert_ptr_null(r->rs_callback);
    ck_assert_uint_eq(r->rs_events, 2);
    r = &t->v[1];
    ck_assert_str_eq(r->action, "https://a/r");
    ck_assert_int_eq(r->timeout_s, 0);
    ck_assert_int_eq(r->max_length_s, 30);
    ck_assert_str_eq(r->finish_on_key, "*#");
    ck_assert_int_eq(r->play_beep, 0);
    ck_assert_int_eq(r->trim, 0);
    ck_assert_str_eq(r->rs_callback, "/rs");
    ck_assert_str_eq(r->rs_method, "GET");
    ck_assert_uint_eq(r->rs_events, 3);
    amdi_twiml_free(t);
}
END_TEST

START_TEST(dial_nouns_and_attributes)
{
    amdi_twiml *t;
    const char *doc = "<Response><Dial action=\"/done\" method=\"GET\" timeout=\"12\" timeLimit=\"60\" "
                      "callerId=\"+15550001111\" record=\"record-from-ringing-dual\" hangupOnStar=\"true\" "
                      "answerOnBridge=\"false\" ringTone=\"uk\" recordingStatusCallbackEvent=\"in-progress completed\">"
                      "<Number sendDigits=\"1w2\" url=\"/whisper\" statusCallback=\"https://x.com/s\" "
                      "statusCallbackEvent=\"initiated answered\" machineDetection=\"Enable\" "
                      "amdStatusCallback=\"https://x.com/amd\" byoc=\"BY00\"> +15551230001 </Number>"
                      "<Sip username=\"u\" password=\"p\">sip:agent@10.0.0.1</Sip></Dial></Response>";
    ck_assert_int_eq(parse(doc, &t), 0);
    ck_assert_uint_eq(t->n, 1);
    const amdi_dial *d = t->v[0].dial;
    ck_assert_int_eq(t->v[0].kind, AMDI_TW_DIAL);
    ck_assert_str_eq(d->action, "/done");
    ck_assert_str_eq(d->method, "GET");
    ck_assert_int_eq(d->timeout_s, 12);
    ck_assert_int_eq(d->time_limit_s, 60);
    ck_assert_str_eq(d->caller_id, "+15550001111");
    ck_assert_int_eq(d->record, AMDI_DIAL_REC_RINGING);
    ck_assert_int_eq(d->record_dual, 1);
    ck_assert_int_eq(d->hangup_on_star, 1);
    ck_assert_int_eq(d->answer_on_bridge, 0);
    ck_assert_str_eq(d->ring_tone, "uk");
    ck_assert_uint_eq(d->rec_events, 3);
    ck_assert_uint_eq(d->n, 2);
    ck_assert_str_eq(d->nouns[0].target, "+15551230001"); /* trimmed */
    ck_assert_int_eq(d->nouns[0].sip, 0);
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[0], "SendDigits"), "1w2");
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[0], "Url"), "/whisper");
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[0], "StatusCallbackEvent"), "initiated answered");
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[0], "MachineDetection"), "Enable");
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[0], "AsyncAmdStatusCallback"), "https://x.com/amd");
    ck_assert_ptr_null(amdi_dial_noun_get(&d->nouns[0], "byoc")); /* not a create parameter */
    ck_assert_int_eq(d->nouns[1].sip, 1);
    ck_assert_str_eq(d->nouns[1].target, "sip:agent@10.0.0.1");
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[1], "SipAuthUsername"), "u");
    ck_assert_str_eq(amdi_dial_noun_get(&d->nouns[1], "SipAuthPassword"), "p");
    amdi_twiml_free(t);
    /* defaults */
    ck_assert_int_eq(parse("<Response><Dial><Number>+15551230001</Number></Dial></Response>", &t), 0);
    d = t->v[0].dial;
    ck_assert_ptr_null(d->action);
    ck_assert_str_eq(d->method, "POST");
    ck_assert_int_eq(d->time_limit_s, 14400);
    ck_assert_int_eq(d->record, AMDI_DIAL_REC_NONE);
    ck_assert_str_eq(d->ring_tone, "");
    amdi_twiml_free(t);
    /* refused: each with a reason naming it */
    static const char *const bad[] = {
        "<Response><Dial timeout=\"0\">+1555</Dial></Response>",
        "<Response><Dial timeout=\"x\">+1555</Dial></Response>",
        "<Response><Dial record=\"sometimes\">+1555</Dial></Response>",
        "<Response><Dial ringTone=\"xx\">+1555</Dial></Response>",
        "<Response><Dial method=\"PUT\">+1555</Dial></Response>",
        "<Response><Dial hangupOnStar=\"yes\">+1555</Dial></Response>",
        "<Response><Dial></Dial></Response>",
        "<Response><Dial><Number> </Number></Dial></Response>",
        "<Response><Dial><Sip>tel:+1555</Sip></Dial></Response>",
        "<Response><Dial><Conference>room</Conference></Dial></Response>",
        "<Response><Dial recordingStatusCallbackEvent=\"done\">+1555</Dial></Response>",
        "<Response><Gather><Dial>+1555</Dial></Gather></Response>",
        "<Response><Dial><Number>1</Number><Number>2</Number><Number>3</Number><Number>4</Number><Number>5</Number>"
        "<Number>6</Number><Number>7</Number><Number>8</Number><Number>9</Number><Number>10</Number>"
        "<Number>11</Number></Dial></Response>",
        NULL};
    for (int i = 0; bad[i]; i++) {
        t = NULL;
        ck_assert_msg(parse(bad[i], &t) == AMD_EINVAL, "accepted: %s", bad[i]);
        ck_assert_ptr_null(t);
        ck_assert(err[0]);
    }
}
END_TEST

START_TEST(empty_response_and_cdata)
{
    amdi_twiml *t;
    ck_assert_int_eq(parse("<Response/>", &t), 0);
    ck_assert_uint_eq(t->n, 0);
    amdi_twiml_free(t);
    ck_assert_int_eq(parse("\xEF\xBB\xBF<Response><Say><![CDATA[a <b> c]]></Say></Response>", &t), 0);
    ck_assert_str_eq(t->v[0].text, "a <b> c");
    ck_assert_int_eq(amdi_verb_duration_ms(&t->v[0]), 500); /* short texts still take 0.5 s */
    amdi_twiml_free(t);
    ck_assert_int_eq(parse("<Response><Say loop='0'>x</Say></Response>", &t), 0);
    ck_assert_int_eq(amdi_verb_duration_ms(&t->v[0]), 1000 * 500); /* loop=0: "until hang-up" */
    amdi_twiml_free(t);
}
END_TEST

START_TEST(malformed_xml_is_12100)
{
    static const char *const bad[] = {
        "", "   ", "hello", "<Response>", "<Response><Say>x</Response>", "<Response></Respons>",
        "<Response a=1/>", "<Response a=\"1/>", "<Response>&bogus;</Response>", "<Response>&#0;</Response>",
        "<Response/><Response/>", "<Response><!-- unterminated </Response>", "<Response><Say>&#xD800;</Say></Response>",
        "<!DOCTYPE x [<!ENTITY a 'b'>]><Response/>", "<Response><Say><![CDATA[x</Say></Response>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        amdi_twiml *t = (amdi_twiml *)1;
        int rc = parse(bad[i], &t);
        ck_assert_msg(rc == AMD_EFORMAT, "case %zu: rc %d", i, rc);
        ck_assert_ptr_null(t);
    }
}
END_TEST

START_TEST(invalid_twiml_is_12200)
{
    static const char *const bad[] = {
        "<Html/>", "<Response><Dance/></Response>", "<Response><Pause length=\"x\"/></Response>",
        "<Response><Pause length=\"-1\"/></Response>", "<Response><Say loop=\"5000\">a</Say></Response>",
        "<Response><Redirect/></Response>", "<Response><Redirect method=\"PUT\">/x</Redirect></Response>",
        "<Response><Reject reason=\"angry\"/></Response>", "<Response><Gather><Hangup/></Gather></Response>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        amdi_twiml *t;
        int rc = parse(bad[i], &t);
        ck_assert_msg(rc == AMD_EINVAL, "case %zu: rc %d", i, rc);
    }
    /* a bad key in <Play digits> is Twilio's warning 13430 when the verb plays, not a
     * document error: the digits are kept as written */
    amdi_twiml *t;
    ck_assert_int_eq(parse("<Response><Play digits=\"12x\"/></Response>", &t), 0);
    ck_assert_str_eq(t->v[0].digits, "12x");
    amdi_twiml_free(t);
}
END_TEST

START_TEST(limits)
{
    /* nesting deeper than the limit */
    char deep[2048] = "<Response>";
    for (int i = 0; i < 40; i++)
        strcat(deep, "<a>");
    amdi_twiml *t;
    ck_assert_int_eq(parse(deep, &t), AMD_ELIMIT);
    /* more than 64 KiB */
    static char big[AMDI_TWIML_MAX_BYTES + 64];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    memcpy(big, "<Response/>", 11);
    ck_assert_int_eq(parse(big, &t), AMD_ELIMIT);
    /* embedded NUL */
    ck_assert_int_eq(amdi_twiml_parse("<Response/>\0", 12, &t, NULL, 0), AMD_EFORMAT);
    ck_assert_int_eq(amdi_twiml_parse(NULL, 0, &t, NULL, 0), AMD_EINVAL);
}
END_TEST

Suite *call_twiml_suite(void)
{
    Suite *s = suite_create("call_twiml");
    TCase *t = tcase_create("twiml");
    tcase_add_test(t, verbs);
    tcase_add_test(t, gather_attributes);
    tcase_add_test(t, input_verb_warnings);
    tcase_add_test(t, record_attributes);
    tcase_add_test(t, empty_response_and_cdata);
    tcase_add_test(t, dial_nouns_and_attributes);
    tcase_add_test(t, malformed_xml_is_12100);
    tcase_add_test(t, invalid_twiml_is_12200);
    tcase_add_test(t, limits);
    suite_add_tcase(s, t);
    return s;
}
