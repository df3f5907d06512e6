/* SPDX-License-Identifier: MIT */
/* The call object's wire JSON: the direct writer used for list pages (amdi_call_json_write)
 * gives byte for byte what jansson gives for amdi_call_json (the fetch path), for ordinary
 * calls, calls with every nullable field null, and addresses that need escaping. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "store.h"

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
    snprintf(r->status, sizeof r->status, "completed");
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
    snprintf(r.answered_by, sizeof r.answered_by, "machine_end_beep");
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

Suite *call_render_suite(void)
{
    Suite *s = suite_create("call_render");
    TCase *t = tcase_create("json");
    tcase_add_test(t, writer_matches_jansson);
    suite_add_tcase(s, t);
    return s;
}
