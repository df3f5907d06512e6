/* SPDX-License-Identifier: MIT */
/* The call object's wire JSON: the direct writer used for list pages (amdi_call_json_write)
 * gives byte for byte what jansson gives for amdi_call_json (the fetch path), for ordinary
 * calls, calls with every nullable field null, and addresses that need escaping. */
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

static void same(const amdi_call_rec *r)
{
    json_t *o = amdi_call_json(r);
    char *want = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_call_json_write(&b, r);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(b.p);
    ck_assert_str_eq(b.p, want);
    ck_assert_uint_eq(b.len, strlen(want));
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

START_TEST(writer_matches_jansson)
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
    tcase_add_test(t, writer_matches_jansson);
    tcase_add_test(t, dates_match_gmtime);
    suite_add_tcase(s, t);
    return s;
}
