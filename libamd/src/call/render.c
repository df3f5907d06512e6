/* SPDX-License-Identifier: MIT */
#include "render.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

const char *const amdi_call_fields[] = {
    "sid", "date_created", "date_updated", "parent_call_sid", "account_sid", "to", "to_formatted", "from",
    "from_formatted", "phone_number_sid", "status", "start_time", "end_time", "duration", "price",
    "price_unit", "direction", "answered_by", "api_version", "forwarded_from", "group_sid", "caller_name",
    "queue_time", "trunk_sid", "uri", "subresource_uris", NULL};

void amdi_format_number(const char *num, char *out, size_t outlen)
{
    size_t n = strlen(num);
    int nanp = n == 12 && num[0] == '+' && num[1] == '1';
    for (size_t i = 1; nanp && i < n; i++)
        nanp = isdigit((unsigned char)num[i]);
    if (nanp)
        snprintf(out, outlen, "(%.3s) %.3s-%.4s", num + 2, num + 5, num + 8);
    else
        snprintf(out, outlen, "%s", num);
}

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

json_t *amdi_call_json(const amdi_call_rec *r)
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
    json_object_set_new(o, "status", json_string(r->status));
    json_object_set_new(o, "start_time", date_or_null(r->start_time));
    json_object_set_new(o, "end_time", date_or_null(r->end_time));
    json_object_set_new(o, "duration", num_or_null(r->duration_s));
    json_object_set_new(o, "price", json_null()); /* the simulated carrier charges nothing */
    json_object_set_new(o, "price_unit", json_string("USD"));
    json_object_set_new(o, "direction", json_string("outbound-api"));
    json_object_set_new(o, "answered_by", str_or_null(r->answered_by));
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

/* A JSON string as jansson's dump writes it without flags: '"', '\\' and control characters
 * escaped (\b \f \n \r \t, else \u00XX), everything else (UTF-8, '/') as is. */
static void jstr(amdi_buf *b, const char *s)
{
    amdi_buf_putc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        amdi_buf_append(b, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': amdi_buf_puts(b, "\\\""); break;
        case '\\': amdi_buf_puts(b, "\\\\"); break;
        case '\b': amdi_buf_puts(b, "\\b"); break;
        case '\f': amdi_buf_puts(b, "\\f"); break;
        case '\n': amdi_buf_puts(b, "\\n"); break;
        case '\r': amdi_buf_puts(b, "\\r"); break;
        case '\t': amdi_buf_puts(b, "\\t"); break;
        default: amdi_buf_printf(b, "\\u%04X", c); break;
        }
    }
    amdi_buf_append(b, run, (size_t)(s - run));
    amdi_buf_putc(b, '"');
}

static void jkey(amdi_buf *b, const char *k, int first)
{
    if (!first)
        amdi_buf_putc(b, ',');
    amdi_buf_putc(b, '"');
    amdi_buf_puts(b, k);
    amdi_buf_puts(b, "\":");
}

static void jdate(amdi_buf *b, const char *k, int64_t ms)
{
    jkey(b, k, 0);
    if (ms < 0) {
        amdi_buf_puts(b, "null");
        return;
    }
    char d[40];
    amdi_time_rfc2822(ms, d, sizeof d);
    jstr(b, d);
}

static void jnum(amdi_buf *b, const char *k, int64_t v)
{
    jkey(b, k, 0);
    if (v < 0) {
        amdi_buf_puts(b, "null");
        return;
    }
    char d[24], *p = d + sizeof d;
    *--p = 0;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    amdi_buf_putc(b, '"');
    amdi_buf_puts(b, p);
    amdi_buf_putc(b, '"');
}

static void jopt(amdi_buf *b, const char *k, const char *v)
{
    jkey(b, k, 0);
    if (v && *v)
        jstr(b, v);
    else
        amdi_buf_puts(b, "null");
}

void amdi_call_json_write(amdi_buf *b, const amdi_call_rec *r)
{
    char tf[AMDI_ADDR_MAX + 16], ff[AMDI_ADDR_MAX + 16], base[128];
    amdi_format_number(r->to, tf, sizeof tf);
    amdi_format_number(r->from, ff, sizeof ff);
    snprintf(base, sizeof base, "/2010-04-01/Accounts/%s/Calls/%s", r->account_sid, r->sid);
    amdi_buf_putc(b, '{');
    jkey(b, "sid", 1);
    jstr(b, r->sid);
    jdate(b, "date_created", r->date_created);
    jdate(b, "date_updated", r->date_updated);
    jopt(b, "parent_call_sid", r->parent_call_sid);
    jkey(b, "account_sid", 0);
    jstr(b, r->account_sid);
    jkey(b, "to", 0);
    jstr(b, r->to);
    jkey(b, "to_formatted", 0);
    jstr(b, tf);
    jkey(b, "from", 0);
    jstr(b, r->from);
    jkey(b, "from_formatted", 0);
    jstr(b, ff);
    amdi_buf_puts(b, ",\"phone_number_sid\":null");
    jkey(b, "status", 0);
    jstr(b, r->status);
    jdate(b, "start_time", r->start_time);
    jdate(b, "end_time", r->end_time);
    jnum(b, "duration", r->duration_s);
    amdi_buf_puts(b, ",\"price\":null,\"price_unit\":\"USD\",\"direction\":\"outbound-api\"");
    jopt(b, "answered_by", r->answered_by);
    amdi_buf_puts(b, ",\"api_version\":\"2010-04-01\",\"forwarded_from\":null,\"group_sid\":null,"
                     "\"caller_name\":null");
    jnum(b, "queue_time", r->queue_time_ms < 0 ? 0 : r->queue_time_ms);
    amdi_buf_puts(b, ",\"trunk_sid\":null");
    /* plain appends, no printf: formatting dominated the profile of a 50-call list page */
    jkey(b, "uri", 0);
    amdi_buf_putc(b, '"');
    amdi_buf_puts(b, base);
    amdi_buf_puts(b, ".json\",\"subresource_uris\":{");
    static const char *const subs[][2] = {
        {"feedback", "Feedback"}, {"user_defined_messages", "UserDefinedMessages"},
        {"notifications", "Notifications"}, {"recordings", "Recordings"}, {"streams", "Streams"},
        {"payments", "Payments"}, {"user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"},
        {"siprec", "Siprec"}, {"events", "Events"}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        amdi_buf_puts(b, i ? ",\"" : "\"");
        amdi_buf_puts(b, subs[i][0]);
        amdi_buf_puts(b, "\":\"");
        amdi_buf_puts(b, base);
        amdi_buf_putc(b, '/');
        amdi_buf_puts(b, subs[i][1]);
        amdi_buf_puts(b, ".json\"");
    }
    amdi_buf_puts(b, ",\"feedback_summaries\":\"/2010-04-01/Accounts/");
    amdi_buf_puts(b, r->account_sid);
    amdi_buf_puts(b, "/Calls/FeedbackSummary.json\",\"transcriptions\":\"");
    amdi_buf_puts(b, base);
    amdi_buf_puts(b, "/Transcriptions.json\"}}");
}

static void csv_cell(amdi_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        amdi_buf_puts(b, s);
        return;
    }
    amdi_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            amdi_buf_putc(b, '"');
        amdi_buf_putc(b, *s);
    }
    amdi_buf_putc(b, '"');
}

void amdi_call_csv_header(amdi_buf *b)
{
    for (int i = 0; amdi_call_fields[i]; i++) {
        if (!strcmp(amdi_call_fields[i], "subresource_uris"))
            continue;
        if (i)
            amdi_buf_putc(b, ',');
        amdi_buf_puts(b, amdi_call_fields[i]);
    }
    amdi_buf_puts(b, "\r\n");
}

void amdi_call_csv_row(amdi_buf *b, const amdi_call_rec *r)
{
    json_t *o = amdi_call_json(r);
    for (int i = 0; amdi_call_fields[i]; i++) {
        if (!strcmp(amdi_call_fields[i], "subresource_uris"))
            continue;
        if (i)
            amdi_buf_putc(b, ',');
        const char *v = json_string_value(json_object_get(o, amdi_call_fields[i]));
        csv_cell(b, v ? v : "");
    }
    amdi_buf_puts(b, "\r\n");
    json_decref(o);
}

char *amdi_error_json(int http, int code, const char *message)
{
    char more[80];
    amdi_twerr_more_info(code, more, sizeof more);
    json_t *o = json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", message ? message : "", "more_info",
                          more, "status", http);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}
