/* SPDX-License-Identifier: MIT */
#include "notifications.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "strbuf.h"
#include "timefmt.h"
#include "twilio_errors.h"

#define PREFIX "/2010-04-01/Accounts/"
#define PAGE_MAX 1000

typedef struct collect {
    const char *account, *call_sid, *one_sid;
    json_t *arr;
} collect;

static json_t *date(int64_t ms)
{
    char b[40];
    amdi_time_rfc2822(ms, b, sizeof b);
    return json_string(b);
}

/* NO + 32 hex: FNV-1a of the call sid, then the event's sequence number. */
static void notification_sid(const char *call_sid, int64_t seq, char out[35])
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = call_sid; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(out, 35, "NO%016llx%016llx", (unsigned long long)h, (unsigned long long)seq);
}

static void add(void *user, int64_t seq, int64_t t, const char *req, const char *resp)
{
    collect *c = user;
    json_t *r = resp ? json_loads(resp, 0, NULL) : NULL;
    json_t *code = json_object_get(r, "error_code");
    if (!json_is_integer(code)) {
        json_decref(r);
        return;
    }
    char sid[35], buf[300];
    notification_sid(c->call_sid, seq, sid);
    if (c->one_sid && strcmp(sid, c->one_sid)) {
        json_decref(r);
        return;
    }
    int ec = (int)json_integer_value(code);
    json_t *rq = req ? json_loads(req, 0, NULL) : NULL;
    json_t *o = json_object();
    json_object_set_new(o, "account_sid", json_string(c->account));
    json_object_set_new(o, "api_version", json_string("2010-04-01"));
    json_object_set_new(o, "call_sid", json_string(c->call_sid));
    json_object_set_new(o, "date_created", date(t));
    json_object_set_new(o, "date_updated", date(t));
    snprintf(buf, sizeof buf, "%d", ec);
    json_object_set_new(o, "error_code", json_string(buf));
    /* Twilio: log "0" is an ERROR, "1" a WARNING */
    json_object_set_new(o, "log", json_string(amdi_twerr_is_warning(ec) ? "1" : "0"));
    json_object_set_new(o, "message_date", date(t));
    const char *msg = json_string_value(json_object_get(r, "error"));
    const char *title = amdi_twerr_title(ec);
    json_object_set_new(o, "message_text", json_string(msg && *msg ? msg : title ? title : ""));
    amdi_twerr_more_info(ec, buf, sizeof buf);
    json_object_set_new(o, "more_info", json_string(buf));
    json_t *m = json_object_get(rq, "method"), *u = json_object_get(rq, "url");
    json_object_set_new(o, "request_method", json_is_string(m) ? json_incref(m) : json_null());
    json_object_set_new(o, "request_url", json_is_string(u) ? json_incref(u) : json_string(""));
    json_object_set_new(o, "sid", json_string(sid));
    snprintf(buf, sizeof buf, PREFIX "%s/Calls/%s/Notifications/%s.json", c->account, c->call_sid, sid);
    json_object_set_new(o, "uri", json_string(buf));
    if (c->one_sid) { /* the instance adds what was sent and received */
        json_t *params = json_object_get(rq, "parameters");
        amdi_form pf;
        amdi_form_init(&pf);
        const char *k;
        json_t *v;
        json_object_foreach(params, k, v)
        {
            if (json_is_string(v))
                amdi_form_add(&pf, k, json_string_value(v));
        }
        amdi_buf b;
        amdi_buf_init(&b);
        amdi_form_encode(&pf, &b);
        amdi_form_free(&pf);
        char *vars = amdi_buf_take(&b);
        json_object_set_new(o, "request_variables", json_string(vars ? vars : ""));
        free(vars);
        json_object_set_new(o, "response_body", json_string(""));
        json_object_set_new(o, "response_headers", json_string(""));
    }
    json_array_append_new(c->arr, o);
    json_decref(rq);
    json_decref(r);
}

json_t *amdi_notifications_json(amdi_store *st, const char *account, const char *call_sid, const char *query,
                                const char *one_sid)
{
    collect c = {account, call_sid, one_sid, json_array()};
    /* a call keeps a bounded number of events (store.h): read them all */
    if (amdi_store_events(st, call_sid, 0, 1 << 20, add, &c) < 0) {
        json_decref(c.arr);
        return NULL;
    }
    if (one_sid) {
        json_t *one = json_array_size(c.arr) == 1 ? json_incref(json_array_get(c.arr, 0)) : NULL;
        json_decref(c.arr);
        return one;
    }
    int size = 50, page = 0;
    amdi_form f;
    if (query && !amdi_form_parse(&f, query, strlen(query), AMDI_FORM_MAX_ITEMS)) {
        const char *ps = amdi_form_get(&f, "PageSize"), *pg = amdi_form_get(&f, "Page");
        size = ps ? atoi(ps) : 50;
        page = pg ? atoi(pg) : 0;
        amdi_form_free(&f);
    }
    size = size < 1 ? 1 : size > PAGE_MAX ? PAGE_MAX : size;
    page = page < 0 ? 0 : page > 1000000 ? 1000000 : page;
    size_t total = json_array_size(c.arr), from = (size_t)page * (size_t)size;
    json_t *items = json_array();
    for (size_t i = from; i < total && i < from + (size_t)size; i++)
        json_array_append(items, json_array_get(c.arr, i));
    json_decref(c.arr);
    char base[200], buf[300];
    snprintf(base, sizeof base, PREFIX "%s/Calls/%s/Notifications.json", account, call_sid);
    json_t *o = json_object();
    json_object_set_new(o, "notifications", items);
    snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=%d", base, size, page);
    json_object_set_new(o, "uri", json_string(buf));
    snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=0", base, size);
    json_object_set_new(o, "first_page_uri", json_string(buf));
    json_object_set_new(o, "page", json_integer(page));
    json_object_set_new(o, "page_size", json_integer(size));
    json_object_set_new(o, "start", json_integer((json_int_t)from));
    size_t shown = json_array_size(items);
    json_object_set_new(o, "end", json_integer(shown ? (json_int_t)(from + shown - 1) : (json_int_t)from));
    if (from + (size_t)size < total) {
        snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=%d", base, size, page + 1);
        json_object_set_new(o, "next_page_uri", json_string(buf));
    } else {
        json_object_set_new(o, "next_page_uri", json_null());
    }
    if (page > 0) {
        snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=%d", base, size, page - 1);
        json_object_set_new(o, "previous_page_uri", json_string(buf));
    } else {
        json_object_set_new(o, "previous_page_uri", json_null());
    }
    return o;
}
