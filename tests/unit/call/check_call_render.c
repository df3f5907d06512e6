/* SPDX-License-Identifier: MIT */
/* The call object's wire JSON: the one writer (amdi_call_json_write, from the field table)
 * gives byte for byte what jansson gives for the object built field by field below (the
 * reference the fetch path used to render with), for ordinary calls, calls with every nullable
 * field null, and addresses that need escaping; the CSV row carries the same values. */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "store.h"
#include "timefmt.h"
#include <time.h>

Suite *call_render_suite(void);


/* The Call resource built with jansson, field by field (the reference). */
static json_t *date_or_null(int64_t ms)
{
    if (ms < 0)
        return json_null();
    char b[40];
    amdi_time_rfc2822(ms, b, sizeof b);
    return json_string(b);
}
static json_t *num_or_null(int64_t v)
{
    if (v < 0)
        return json_null();
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    return json_string(b);
}
static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}
static json_t *reference_json(const amdi_call_rec *r)
{
    json_t *o = json_object();
    char tf[AMDI_ADDR_MAX + 16], ff[AMDI_ADDR_MAX + 16], base[128];
    amdi_format_number(r->to, tf, sizeof tf);
    amdi_format_number(r->from, ff, sizeof ff);
    snprintf(base, sizeof base, "/2010-04-01/Accounts/%s/Calls/%s", r->account_sid, r->sid);
    json_object_set_new(o, "sid", json_string(r->sid));
    json_object_set_new(o, "date_created", date_or_null(r->date_created));
    json_object_set_new(o, "date_updated", date_or_null(r->date_updated));
    json_object_set_new(o, "parent_call_sid", str_or_null(r->parent_call_sid));
    json_object_set_new(o, "account_sid", json_string(r->account_sid));
    json_object_set_new(o, "to", json_string(r->to));
    json_object_set_new(o, "to_formatted", json_string(tf));
    json_object_set_new(o, "from", json_string(r->from));
    json_object_set_new(o, "from_formatted", json_string(ff));
    json_object_set_new(o, "phone_number_sid", json_null());
    json_object_set_new(o, "status", json_string(amd_call_status_name(r->status)));
    json_object_set_new(o, "start_time", date_or_null(r->start_time));
    json_object_set_new(o, "end_time", date_or_null(r->end_time));
    json_object_set_new(o, "duration", num_or_null(r->duration_s));
    json_object_set_new(o, "price", json_null()); /* the simulated carrier charges nothing */
    json_object_set_new(o, "price_unit", json_string("USD"));
    json_object_set_new(o, "direction", json_string(r->parent_call_sid[0] ? "outbound-dial" : "outbound-api"));
    json_object_set_new(o, "answered_by", str_or_null(amd_answered_by_name(r->answered_by)));
    json_object_set_new(o, "api_version", json_string("2010-04-01"));
    json_object_set_new(o, "forwarded_from", json_null());
    json_object_set_new(o, "group_sid", json_null());
    json_object_set_new(o, "caller_name", json_null());
    json_object_set_new(o, "queue_time", num_or_null(r->queue_time_ms < 0 ? 0 : r->queue_time_ms));
    json_object_set_new(o, "trunk_sid", json_null());
    char uri[160];
    snprintf(uri, sizeof uri, "%s.json", base);
    json_object_set_new(o, "uri", json_string(uri));
    json_t *sub = json_object();
    static const char *const subs[][2] = {
        {"feedback", "Feedback"}, {"user_defined_messages", "UserDefinedMessages"},
        {"notifications", "Notifications"}, {"recordings", "Recordings"}, {"streams", "Streams"},
        {"payments", "Payments"}, {"user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"},
        {"siprec", "Siprec"}, {"events", "Events"}, {"feedback_summaries", "FeedbackSummaries"},
        {"transcriptions", "Transcriptions"}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (!strcmp(subs[i][0], "feedback_summaries"))
            snprintf(uri, sizeof uri, "/2010-04-01/Accounts/%s/Calls/FeedbackSummary.json", r->account_sid);
        else
            snprintf(uri, sizeof uri, "%s/%s.json", base, subs[i][1]);
        json_object_set_new(sub, subs[i][0], json_string(uri));
    }
    json_object_set_new(o, "subresource_uris", sub);
    return o;
}

static void same(const amdi_call_rec *r)
{
    json_t *o = reference_json(r);
    char *want = json_dumps(o, JSON_COMPACT);
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_call_json_write(&b, r);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(b.p);
    ck_assert_str_eq(b.p, want);
    ck_assert_uint_eq(b.len, strlen(want));
    char *text = amdi_call_json_text(r);
    ck_assert_str_eq(text, want);
    free(text);
    /* the field list and the CSV row: the same names in order, the same string values */
    ck_assert_uint_eq(amdi_call_field_count(), json_object_size(o));
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(o, k, v) ck_assert_str_eq(amdi_call_field_name(i++), k);
    amdi_buf csv;
    amdi_buf_init(&csv);
    amdi_call_csv_row(&csv, r);
    amdi_buf want_csv;
    amdi_buf_init(&want_csv);
    for (i = 0; i + 1 < amdi_call_field_count(); i++) {
        const char *s = json_string_value(json_object_get(o, amdi_call_field_name(i)));
        if (i)
            amdi_buf_putc(&want_csv, ',');
        if (s && strpbrk(s, ",\"\r\n")) {
            amdi_buf_putc(&want_csv, '"');
            for (; *s; s++) {
                if (*s == '"')
                    amdi_buf_putc(&want_csv, '"');
                amdi_buf_putc(&want_csv, *s);
            }
            amdi_buf_putc(&want_csv, '"');
        } else {
            amdi_buf_puts(&want_csv, s ? s : "");
        }
    }
    amdi_buf_puts(&want_csv, "\r\n");
    ck_assert_str_eq(csv.p, want_csv.p);
    amdi_buf_free(&csv);
    amdi_buf_free(&want_csv);
    json_decref(o);
    free(want);
    amdi_buf_free(&b);
}

static void base(amdi_call_rec *r)
{
    amdi_call_rec_init(r);
    snprintf(r->sid, sizeof r->sid, "CA0123456789abcdef0123456789abcdef");
    snprintf(r->account_sid, sizeof r->account_sid, "AC0123456789abcdef0123456789abcdef");
    snprintf(r->to, sizeof r->to, "+15551230001");
    snprintf(r->from, sizeof r->from, "+15005550006");
    r->status = AMD_CALL_COMPLETED;
    r->date_created = 1764393600000LL;
    r->date_updated = 1764393612345LL;
}

START_TEST(writer_matches_reference)
{
    amdi_call_rec r;
    base(&r);
    same(&r); /* fresh: start/end/duration null */
    r.start_time = 1764393601000LL;
    r.end_time = 1764393630000LL;
    r.duration_s = 29;
    r.queue_time_ms = 1234;
    r.answered_by = AMD_ANSWERED_MACHINE_END_BEEP;
    snprintf(r.parent_call_sid, sizeof r.parent_call_sid, "CAffffffffffffffffffffffffffffffff");
    same(&r);
    r.queue_time_ms = -5; /* rendered as "0" */
    r.duration_s = 0;
    same(&r);
    /* addresses that are not numbers: quotes, backslash, control characters, UTF-8, slash */
    snprintf(r.to, sizeof r.to, "client:al\"ice\\x/y\t\x01\x1f\xc3\xa9");
    snprintf(r.from, sizeof r.from, "sip:bob@example.com;transport=tcp\n\r\b\f");
    same(&r);
}
END_TEST

START_TEST(csv_header)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_call_csv_header(&b);
    ck_assert_str_eq(b.p, "sid,date_created,date_updated,parent_call_sid,account_sid,to,to_formatted,from,"
                          "from_formatted,phone_number_sid,status,start_time,end_time,duration,price,price_unit,"
                          "direction,answered_by,api_version,forwarded_from,group_sid,caller_name,queue_time,"
                          "trunk_sid,uri\r\n");
    amdi_buf_free(&b);
    amdi_call_rec r;
    base(&r);
    amdi_buf_init(&b);
    amdi_call_csv_row(&b, &r);
    ck_assert_str_eq(b.p, "CA0123456789abcdef0123456789abcdef,\"Sat, 29 Nov 2025 05:20:00 +0000\","
                          "\"Sat, 29 Nov 2025 05:20:12 +0000\",,AC0123456789abcdef0123456789abcdef,+15551230001,"
                          "(555) 123-0001,+15005550006,(500) 555-0006,,completed,,,,,USD,outbound-api,,2010-04-01,"
                          ",,,0,,/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls/"
                          "CA0123456789abcdef0123456789abcdef.json\r\n");
    amdi_buf_free(&b);
}
END_TEST

/* The dates in those objects: RFC 2822 in UTC, as gmtime + strftime in the C locale give them,
 * over 1970..9999 (the hand-formatted fast path) and at the edges of days and years. */
START_TEST(dates_match_gmtime)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ms = i < 4 ? (int64_t[]){0, 86399999, 951782400000LL, 253402300799999LL}[i]
                           : (int64_t)(x % 253402300800000ULL);
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        char want[64], got[64];
        snprintf(want, sizeof want, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
                 mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        amdi_time_rfc2822(ms, got, sizeof got);
        ck_assert_msg(!strcmp(got, want), "%lld ms: %s, want %s", (long long)ms, got, want);
    }
}
END_TEST

Suite *call_render_suite(void)
{
    Suite *s = suite_create("call_render");
    TCase *t = tcase_create("json");
    tcase_add_test(t, writer_matches_reference);
    tcase_add_test(t, csv_header);
    tcase_add_test(t, dates_match_gmtime);
    suite_add_tcase(s, t);
    return s;
}
