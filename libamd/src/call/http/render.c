/* SPDX-License-Identifier: MIT */
#include "render.h"

#include <ctype.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

/* How a field of the Call resource gets its value (Twilio's Call resource, API 2010-04-01). */
typedef enum field_kind {
    F_TEXT,      /* a char[] of the record, "" included */
    F_TEXT_OPT,  /* a char[] of the record; "" is null */
    F_DATE,      /* int64 ms of the record as an RFC 2822 date; negative is null */
    F_COUNT,     /* int64 of the record as a decimal string; negative is null */
    F_COUNT0,    /* the same, negative is "0" */
    F_FORMATTED, /* a number of the record as amdi_format_number writes it */
    F_STATUS,    /* the record's amd_call_status by its wire name */
    F_ANSWERED,  /* the record's amd_answered_by by its wire name; none is null */
    F_CONST,     /* a fixed value; NULL is null */
    F_DIRECTION, /* outbound-dial for a leg with a parent (<Dial>), outbound-api otherwise */
    F_URI,       /* the call's own relative URI */
    F_SUBRES     /* the subresource URIs (JSON and XML only) */
} field_kind;

#define REC(field) offsetof(amdi_call_rec, field)
#define FIELD(name, kind, off) {name, "\"" name "\":", kind, off, NULL, NULL}
/* constants are plain literals: their JSON needs no escaping */
#define CONST(name, value) {name, "\"" name "\":", F_CONST, 0, value, "\"" value "\""}
#define CONST_NULL(name) {name, "\"" name "\":", F_CONST, 0, NULL, "null"}

static const struct call_field {
    const char *name;
    const char *key; /* "\"name\":" */
    field_kind kind;
    size_t off;           /* field of amdi_call_rec */
    const char *constant; /* F_CONST: the value, NULL for null */
    const char *json;     /* F_CONST: the value as JSON */
} k_fields[] = {
    FIELD("sid", F_TEXT, REC(sid)),
    FIELD("date_created", F_DATE, REC(date_created)),
    FIELD("date_updated", F_DATE, REC(date_updated)),
    FIELD("parent_call_sid", F_TEXT_OPT, REC(parent_call_sid)),
    FIELD("account_sid", F_TEXT, REC(account_sid)),
    FIELD("to", F_TEXT, REC(to)),
    FIELD("to_formatted", F_FORMATTED, REC(to)),
    FIELD("from", F_TEXT, REC(from)),
    FIELD("from_formatted", F_FORMATTED, REC(from)),
    CONST_NULL("phone_number_sid"),
    FIELD("status", F_STATUS, REC(status)),
    FIELD("start_time", F_DATE, REC(start_time)),
    FIELD("end_time", F_DATE, REC(end_time)),
    FIELD("duration", F_COUNT, REC(duration_s)),
    CONST_NULL("price"), /* the simulated carrier charges nothing */
    CONST("price_unit", "USD"),
    FIELD("direction", F_DIRECTION, REC(parent_call_sid)),
    FIELD("answered_by", F_ANSWERED, REC(answered_by)),
    CONST("api_version", "2010-04-01"),
    CONST_NULL("forwarded_from"),
    CONST_NULL("group_sid"),
    CONST_NULL("caller_name"),
    FIELD("queue_time", F_COUNT0, REC(queue_time_ms)),
    CONST_NULL("trunk_sid"),
    FIELD("uri", F_URI, 0),
    FIELD("subresource_uris", F_SUBRES, 0),
};
#define N_FIELDS (sizeof k_fields / sizeof k_fields[0])

/* The subresources under a call's URI, in wire order; feedback_summaries is the account's. */
static const char *const k_subs[][2] = {
    {"feedback", "Feedback"}, {"user_defined_messages", "UserDefinedMessages"},
    {"notifications", "Notifications"}, {"recordings", "Recordings"}, {"streams", "Streams"},
    {"payments", "Payments"}, {"user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"},
    {"siprec", "Siprec"}, {"events", "Events"}};

size_t amdi_call_field_count(void)
{
    return N_FIELDS;
}

const char *amdi_call_field_name(size_t i)
{
    return i < N_FIELDS ? k_fields[i].name : NULL;
}

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

/* "/2010-04-01/Accounts/<account>/Calls/<sid>" without printf (it dominated the profile of a
 * 50-call list page). */
static void call_base(const amdi_call_rec *r, char *out, size_t cap)
{
    static const char a[] = "/2010-04-01/Accounts/", c[] = "/Calls/";
    size_t la = strlen(r->account_sid), ls = strlen(r->sid), n = 0;
    if (sizeof a - 1 + la + sizeof c - 1 + ls >= cap) {
        snprintf(out, cap, "%s%s%s%s", a, r->account_sid, c, r->sid);
        return;
    }
    memcpy(out + n, a, sizeof a - 1), n += sizeof a - 1;
    memcpy(out + n, r->account_sid, la), n += la;
    memcpy(out + n, c, sizeof c - 1), n += sizeof c - 1;
    memcpy(out + n, r->sid, ls), n += ls;
    out[n] = 0;
}

/* The text of field @p f of @p r, NULL for null. @p tmp (>= 300 bytes) holds computed values;
 * @p base is the call's URI without ".json". F_SUBRES has no text. */
static const char *field_text(const struct call_field *f, const amdi_call_rec *r, const char *base, char *tmp,
                              size_t cap)
{
    const char *p = (const char *)r + f->off;
    int64_t v;
    switch (f->kind) {
    case F_TEXT: return p;
    case F_TEXT_OPT: return *p ? p : NULL;
    case F_CONST: return f->constant;
    case F_DIRECTION: return *p ? "outbound-dial" : "outbound-api";
    case F_STATUS: return amd_call_status_name(r->status);
    case F_ANSWERED: {
        const char *a = amd_answered_by_name(r->answered_by);
        return a && *a ? a : NULL;
    }
    case F_FORMATTED: amdi_format_number(p, tmp, cap); return tmp;
    case F_URI: {
        size_t n = strlen(base);
        if (n + 6 > cap)
            return base;
        memcpy(tmp, base, n);
        memcpy(tmp + n, ".json", 6);
        return tmp;
    }
    case F_SUBRES: return NULL;
    case F_DATE:
        memcpy(&v, p, sizeof v);
        if (v < 0)
            return NULL;
        amdi_time_rfc2822(v, tmp, cap);
        return tmp;
    case F_COUNT:
    case F_COUNT0: {
        memcpy(&v, p, sizeof v);
        if (v < 0 && f->kind == F_COUNT)
            return NULL;
        if (v < 0)
            v = 0;
        char *d = tmp + 24;
        *--d = 0;
        do
            *--d = (char)('0' + v % 10);
        while ((v /= 10) > 0);
        return d;
    }
    }
    return NULL;
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

static void subresources_json(amdi_buf *b, const amdi_call_rec *r, const char *base)
{
    amdi_buf_putc(b, '{');
    for (size_t i = 0; i < sizeof k_subs / sizeof k_subs[0]; i++) {
        amdi_buf_puts(b, i ? ",\"" : "\"");
        amdi_buf_puts(b, k_subs[i][0]);
        amdi_buf_puts(b, "\":\"");
        amdi_buf_puts(b, base);
        amdi_buf_putc(b, '/');
        amdi_buf_puts(b, k_subs[i][1]);
        amdi_buf_puts(b, ".json\"");
    }
    amdi_buf_puts(b, ",\"feedback_summaries\":\"/2010-04-01/Accounts/");
    amdi_buf_puts(b, r->account_sid);
    amdi_buf_puts(b, "/Calls/FeedbackSummary.json\",\"transcriptions\":\"");
    amdi_buf_puts(b, base);
    amdi_buf_puts(b, "/Transcriptions.json\"}");
}

void amdi_call_json_write(amdi_buf *b, const amdi_call_rec *r)
{
    char base[128], tmp[AMDI_ADDR_MAX + 64];
    call_base(r, base, sizeof base);
    amdi_buf_putc(b, '{');
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct call_field *f = &k_fields[i];
        if (i)
            amdi_buf_putc(b, ',');
        amdi_buf_puts(b, f->key);
        if (f->kind == F_CONST) {
            amdi_buf_puts(b, f->json);
            continue;
        }
        if (f->kind == F_SUBRES) {
            subresources_json(b, r, base);
            continue;
        }
        const char *v = field_text(f, r, base, tmp, sizeof tmp);
        if (v)
            jstr(b, v);
        else
            amdi_buf_puts(b, "null");
    }
    amdi_buf_putc(b, '}');
}

char *amdi_call_json_text(const amdi_call_rec *r)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_call_json_write(&b, r);
    return amdi_buf_take(&b);
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
    int first = 1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (k_fields[i].kind == F_SUBRES)
            continue;
        if (!first)
            amdi_buf_putc(b, ',');
        amdi_buf_puts(b, k_fields[i].name);
        first = 0;
    }
    amdi_buf_puts(b, "\r\n");
}

void amdi_call_csv_row(amdi_buf *b, const amdi_call_rec *r)
{
    char base[128], tmp[AMDI_ADDR_MAX + 64];
    call_base(r, base, sizeof base);
    int first = 1;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (k_fields[i].kind == F_SUBRES)
            continue;
        if (!first)
            amdi_buf_putc(b, ',');
        const char *v = field_text(&k_fields[i], r, base, tmp, sizeof tmp);
        csv_cell(b, v ? v : "");
        first = 0;
    }
    amdi_buf_puts(b, "\r\n");
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
