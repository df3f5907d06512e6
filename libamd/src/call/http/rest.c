/* SPDX-License-Identifier: MIT */
#include "rest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "form.h"
#include "notifications.h"
#include "params.h"
#include "render.h"
#include "rest_amd.h"
#include "rest_internal.h"
#include "rest_xml.h"
#include "sid.h"
#include "signature.h"
#include "strbuf.h"
#include "timefmt.h"

#include <unistd.h>

void amdi_rest_respond_json(amdi_response *out, int status, json_t *o)
{
    out->status = status;
    out->content_type = "application/json; charset=utf-8";
    out->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    out->body_len = out->body ? strlen(out->body) : 0;
    json_decref(o);
}

/* A call resource: the JSON written from the call's field table (render.h). */
static void respond_call(amdi_response *out, int status, const amdi_call_rec *r)
{
    out->status = status;
    out->content_type = "application/json; charset=utf-8";
    out->body = amdi_call_json_text(r);
    out->body_len = out->body ? strlen(out->body) : 0;
}

void amdi_response_error(amdi_response *out, int http, int code, const char *msg)
{
    out->status = http;
    out->content_type = "application/json; charset=utf-8";
    out->body = amdi_error_json(http, code, msg);
    out->body_len = out->body ? strlen(out->body) : 0;
}

static void respond_api_error(amdi_response *out, const amdi_api_error *e)
{
    amdi_response_error(out, e->http, e->code, e->message);
}

void amdi_response_free(amdi_response *r)
{
    free(r->body);
    r->body = NULL;
    free(r->file_path);
    r->file_path = NULL;
}

/* HTTP Basic: constant-time comparison against every account's token, so neither a wrong
 * SID nor a wrong token is faster to find out (no timing side channel). */
static const char *authenticate(const amdi_api *api, const char *auth)
{
    if (!auth || strncasecmp(auth, "Basic ", 6))
        return NULL;
    const char *b = auth + 6;
    while (*b == ' ')
        b++;
    uint8_t dec[256];
    long n = amdi_base64_decode(b, strlen(b), dec, sizeof dec - 1);
    if (n <= 0)
        return NULL;
    dec[n] = 0;
    if (memchr(dec, 0, (size_t)n))
        return NULL;
    char *colon = strchr((char *)dec, ':');
    if (!colon)
        return NULL;
    *colon = 0;
    return amdi_api_check(api, (const char *)dec, colon + 1);
}

const char *amdi_api_check(const amdi_api *api, const char *user, const char *pass)
{
    const char *hit = NULL;
    for (size_t i = 0; i < api->naccounts; i++) {
        int sid_ok = amdi_secret_equal(user, api->accounts[i].sid);
        int tok_ok = amdi_secret_equal(pass, api->accounts[i].token);
        if (sid_ok & tok_ok)
            hit = api->accounts[i].sid;
    }
    /* API keys (Twilio: "authenticate with an API key SID as the username and its secret as
     * the password"); the request then acts as the key's account. */
    for (size_t i = 0; i < api->nkeys; i++) {
        int sid_ok = amdi_secret_equal(user, api->keys[i].sid);
        int sec_ok = amdi_secret_equal(pass, api->keys[i].secret);
        if (sid_ok & sec_ok)
            hit = api->keys[i].account;
    }
    return hit;
}

void amdi_rest_not_found(amdi_response *out, const char *path)
{
    char msg[300];
    snprintf(msg, sizeof msg, "The requested resource %.250s was not found", path);
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
            *c = '?';
    amdi_response_error(out, 404, AMDI_TWERR_NOT_FOUND, msg);
}

/* ---------------------------------------------------------------- create */

/* 503 with Twilio's 20503 "Service unavailable" while the database cannot be written (e.g. a
 * full disk): a call that cannot be stored is not accepted. */
static void store_unavailable(amdi_response *out, const char *why)
{
    char msg[400];
    snprintf(msg, sizeof msg,
             "Service unavailable: the call database cannot be written (%.200s). New calls are refused until it"
             " can; calls already accepted go on and are stored when it recovers. Retry with backoff.",
             why);
    amdi_response_error(out, 503, AMDI_TWERR_UNAVAILABLE, msg);
}

static void do_create(amdi_api *api, const char *account, const char *body, size_t len, amdi_response *out)
{
    amdi_form f;
    int rc = amdi_form_parse(&f, body ? body : "", len, AMDI_FORM_MAX_ITEMS);
    if (rc) {
        amdi_response_error(out, 400, AMDI_TWERR_CALLS, rc == AMD_ELIMIT ? "Too many form parameters" : "Malformed form body");
        return;
    }
    amdi_create_params p;
    amdi_api_error e;
    if (amdi_create_params_parse(&p, &f, &e)) {
        respond_api_error(out, &e);
        return;
    }
    char why[200];
    if (amdi_calls_store_failing(api->engine, why, sizeof why)) {
        amdi_create_params_free(&p);
        store_unavailable(out, why);
        return;
    }
    /* A bounded queue per account (Twilio answers an over-full queue with 429 / 20429). Checked
     * before storing; concurrent creates may pass it together, so the queue can exceed the cap
     * by at most the number of HTTP worker threads minus one. */
    if (api->max_queued > 0 && amdi_calls_queued(api->engine, account) >= api->max_queued) {
        amdi_create_params_free(&p);
        char msg[160];
        snprintf(msg, sizeof msg, "Too Many Requests: %ld calls are already queued for this account", api->max_queued);
        amdi_response_error(out, 429, AMDI_TWERR_TOO_MANY_REQUESTS, msg);
        return;
    }
    amdi_call_rec r;
    amdi_call_rec_init(&r);
    if (amdi_sid_new("CA", r.sid)) {
        amdi_create_params_free(&p);
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: no randomness");
        return;
    }
    snprintf(r.account_sid, sizeof r.account_sid, "%s", account);
    snprintf(r.to, sizeof r.to, "%s", p.to);
    snprintf(r.from, sizeof r.from, "%s", p.from);
    r.status = AMD_CALL_QUEUED;
    r.date_created = r.date_updated = amdi_calls_now(api->engine);
    amdi_buf enc;
    amdi_buf_init(&enc);
    amdi_form_encode(&p.form, &enc);
    rc = enc.oom ? AMD_ENOMEM : amdi_store_call_insert(api->store, &r, enc.p ? enc.p : "");
    amdi_buf_free(&enc);
    if (rc == AMD_ENOMEM) {
        amdi_create_params_free(&p);
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: the call could not be stored");
        return;
    }
    if (rc) {
        amdi_create_params_free(&p);
        amdi_store_last_error(api->store, why, sizeof why);
        amdi_calls_store_error(api->engine, why); /* logged once, with the engine's own failures */
        store_unavailable(out, why);
        return;
    }
    /* Stored durably before the 201: an acknowledged call survives a crash. */
    if (amdi_calls_submit(api->engine, &r, &p)) {
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: the call could not be queued");
        return;
    }
    respond_call(out, 201, &r);
}

/* ---------------------------------------------------------------- list */

static void page_uri(amdi_buf *b, const char *account, const char *ext, const amdi_list_query *q, int page,
                     const char *token)
{
    amdi_buf_printf(b, API_PREFIX "%s/Calls.%s?", account, ext);
    if (q->canon.n) {
        amdi_form_encode(&q->canon, b);
        amdi_buf_putc(b, '&');
    }
    amdi_buf_printf(b, "PageSize=%d&Page=%d", q->page_size, page);
    if (token)
        amdi_buf_printf(b, "&PageToken=%s", token);
}

static json_t *uri_json(const char *account, const char *ext, const amdi_list_query *q, int page, const char *token)
{
    amdi_buf b;
    amdi_buf_init(&b);
    page_uri(&b, account, ext, q, page, token);
    json_t *s = b.p ? json_string(b.p) : json_null();
    amdi_buf_free(&b);
    return s;
}

static void do_list(amdi_api *api, const char *account, const char *query, int csv, amdi_response *out)
{
    amdi_form f;
    int rc = amdi_form_parse(&f, query ? query : "", query ? strlen(query) : 0, AMDI_FORM_MAX_ITEMS);
    if (rc) {
        amdi_response_error(out, 400, AMDI_TWERR_CALLS, "Malformed query string");
        return;
    }
    amdi_list_query q;
    amdi_api_error e;
    rc = amdi_list_query_parse(&q, &f, &e);
    const char *given_token = amdi_form_get(&f, "PageToken");
    char this_token[32] = "";
    if (given_token)
        snprintf(this_token, sizeof this_token, "%s", given_token);
    if (rc) {
        amdi_form_free(&f);
        respond_api_error(out, &e);
        return;
    }
    /* q's filter strings point into f: keep it until the page is rendered */
    size_t cap = (size_t)q.page_size + 1;
    amdi_call_rec *rows = malloc(cap * sizeof *rows);
    long n = rows ? amdi_store_call_list(api->store, account, &q, rows, cap) : AMD_ENOMEM;
    for (long i = 0; i < n; i++) /* changes the engine holds but has not stored yet */
        amdi_calls_call_view(api->engine, &rows[i]);
    if (n < 0) {
        free(rows);
        amdi_form_free(&f);
        amdi_form_free(&q.canon);
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: listing failed");
        return;
    }
    amdi_call_rec *first = rows;
    int has_next, has_prev;
    if (q.has_token && q.token_before) {
        has_prev = n > q.page_size;
        if (has_prev) { /* the extra row is the newest: it belongs to the page before */
            first = rows + 1;
            n--;
        }
        has_next = 1;
    } else {
        has_next = n > q.page_size;
        if (has_next)
            n--;
        has_prev = q.page > 0 && n > 0;
    }
    if (csv) {
        amdi_buf b;
        amdi_buf_init(&b);
        amdi_call_csv_header(&b);
        for (long i = 0; i < n; i++)
            amdi_call_csv_row(&b, &first[i]);
        out->status = 200;
        out->content_type = "text/csv; charset=utf-8";
        out->body_len = b.len;
        out->body = amdi_buf_take(&b);
    } else {
        /* the page envelope through jansson, the calls written directly (render.h) */
        json_t *o = json_object();
        json_object_set_new(o, "end", json_integer(n ? (json_int_t)q.page * q.page_size + n - 1 : 0));
        json_object_set_new(o, "first_page_uri", uri_json(account, "json", &q, 0, NULL));
        char tok[19];
        if (has_next && n) {
            amdi_page_token(tok, 0, first[n - 1].seq);
            json_object_set_new(o, "next_page_uri", uri_json(account, "json", &q, q.page + 1, tok));
        } else {
            json_object_set_new(o, "next_page_uri", json_null());
        }
        json_object_set_new(o, "page", json_integer(q.page));
        json_object_set_new(o, "page_size", json_integer(q.page_size));
        if (has_prev && n) {
            amdi_page_token(tok, 1, first[0].seq);
            json_object_set_new(o, "previous_page_uri", uri_json(account, "json", &q, q.page > 0 ? q.page - 1 : 0, tok));
        } else {
            json_object_set_new(o, "previous_page_uri", json_null());
        }
        json_object_set_new(o, "start", json_integer((json_int_t)q.page * q.page_size));
        json_object_set_new(o, "uri", uri_json(account, "json", &q, q.page, this_token[0] ? this_token : NULL));
        char *env = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        amdi_buf b;
        amdi_buf_init(&b);
        amdi_buf_puts(&b, "{\"calls\":[");
        for (long i = 0; i < n; i++) {
            if (i)
                amdi_buf_putc(&b, ',');
            amdi_call_json_write(&b, &first[i]);
        }
        amdi_buf_puts(&b, "],");
        if (env && env[0] == '{')
            amdi_buf_puts(&b, env + 1);
        free(env);
        if (!env || b.oom) {
            amdi_buf_free(&b);
            amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: out of memory");
        } else {
            out->status = 200;
            out->content_type = "application/json; charset=utf-8";
            out->body_len = b.len;
            out->body = amdi_buf_take(&b);
        }
    }
    free(rows);
    amdi_form_free(&f);
    amdi_form_free(&q.canon);
}

/* ---------------------------------------------------------------- one call */

static void do_fetch(amdi_api *api, const char *account, const char *sid, const char *path, amdi_response *out)
{
    amdi_call_rec r;
    int rc = amdi_store_call_get(api->store, account, sid, &r);
    if (!rc)
        amdi_calls_call_view(api->engine, &r); /* memory is ahead of a failing store */
    if (rc == AMD_ENOTFOUND)
        amdi_rest_not_found(out, path);
    else if (rc)
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: fetch failed");
    else
        respond_call(out, 200, &r);
}

static void do_update(amdi_api *api, const char *account, const char *sid, const char *path, const char *body,
                      size_t len, amdi_response *out)
{
    amdi_form f;
    int rc = amdi_form_parse(&f, body ? body : "", len, AMDI_FORM_MAX_ITEMS);
    if (rc) {
        amdi_response_error(out, 400, AMDI_TWERR_CALLS, "Malformed form body");
        return;
    }
    amdi_update_params u;
    amdi_api_error e;
    if (amdi_update_params_parse(&u, &f, &e)) {
        amdi_form_free(&f);
        respond_api_error(out, &e);
        return;
    }
    amdi_call_rec r;
    rc = amdi_calls_update(api->engine, account, sid, &u, &r, &e);
    amdi_form_free(&f);
    if (rc == AMD_ENOTFOUND)
        amdi_rest_not_found(out, path);
    else if (rc == -1)
        respond_api_error(out, &e);
    else if (rc)
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: update failed");
    else
        respond_call(out, 200, &r);
}

static void do_delete(amdi_api *api, const char *account, const char *sid, const char *path, amdi_response *out)
{
    amdi_call_rec r;
    int rc = amdi_store_call_get(api->store, account, sid, &r);
    if (rc == AMD_ENOTFOUND) {
        amdi_rest_not_found(out, path);
        return;
    }
    if (!rc && amdi_calls_is_live(api->engine, sid)) {
        /* Only the record of a past call can be deleted (Twilio: "Delete a Call resource"). */
        amdi_response_error(out, 400, AMDI_TWERR_CALL_STATE_INVALID, "Invalid call state: a call that is queued or in progress cannot be deleted");
        return;
    }
    if (!rc && amdi_calls_call_view(api->engine, &r)) {
        char why[200] = "changes pending";
        amdi_calls_store_failing(api->engine, why, sizeof why);
        store_unavailable(out, why); /* its last changes are not stored yet */
        return;
    }
    rc = rc ? rc : amdi_store_call_delete(api->store, account, sid);
    if (rc == AMD_ENOTFOUND) {
        amdi_rest_not_found(out, path);
    } else if (rc) {
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "Internal error: delete failed");
    } else {
        out->status = 204;
        out->content_type = NULL;
        out->body = NULL;
        out->body_len = 0;
    }
}

typedef struct ev_ctx {
    json_t *arr;
    int64_t last;
} ev_ctx;

static void ev_add(void *user, int64_t seq, int64_t t, const char *req, const char *resp)
{
    ev_ctx *c = user;
    (void)t;
    json_t *o = json_object();
    json_t *rq = req ? json_loads(req, 0, NULL) : NULL;
    if (!json_is_object(rq)) { /* an entry without a request (stored by an older version) */
        json_decref(rq);
        rq = json_pack("{s:n, s:n, s:{}}", "method", "url", "parameters");
    }
    json_object_set_new(o, "request", rq);
    json_object_set_new(o, "response", resp ? json_loads(resp, 0, NULL) : json_null());
    if (!json_object_get(o, "response"))
        json_object_set_new(o, "response", json_null());
    json_array_append_new(c->arr, o);
    c->last = seq;
}

/* GET .../Calls/{CA}/Notifications.json and .../Notifications/{NO}.json (notifications.h). */
static void do_notifications(amdi_api *api, const char *account, const char *sid, const char *rest, const char *path,
                             const char *query, amdi_response *out)
{
    amdi_call_rec r;
    char one[40] = "";
    if (rest[14] == '/') {
        const char *ns = rest + 15;
        size_t n = strcspn(ns, ".");
        if (n != 34 || strcmp(ns + n, ".json") || (snprintf(one, sizeof one, "%.34s", ns), !amdi_sid_valid(one, "NO"))) {
            amdi_rest_not_found(out, path);
            return;
        }
    }
    if (amdi_store_call_get(api->store, account, sid, &r)) {
        amdi_rest_not_found(out, path);
        return;
    }
    json_t *o = amdi_notifications_json(api->store, account, sid, query, one[0] ? one : NULL);
    if (!o) {
        if (one[0])
            amdi_rest_not_found(out, path);
        else
            amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "notifications could not be read");
        return;
    }
    amdi_rest_respond_json(out, 200, o);
}

/* GET .../Calls/{CA}/Events.json: the webhook requests and responses of the call, oldest first. */
static void do_events(amdi_api *api, const char *account, const char *sid, const char *path, const char *query,
                      amdi_response *out)
{
    amdi_call_rec r;
    if (amdi_store_call_get(api->store, account, sid, &r)) {
        amdi_rest_not_found(out, path);
        return;
    }
    amdi_form f;
    if (amdi_form_parse(&f, query ? query : "", query ? strlen(query) : 0, AMDI_FORM_MAX_ITEMS)) {
        amdi_response_error(out, 400, AMDI_TWERR_CALLS, "Malformed query string");
        return;
    }
    int size = 50, before = 0;
    int64_t after = 0;
    const char *ps = amdi_form_get(&f, "PageSize");
    if (ps) {
        size = atoi(ps);
        size = size < 1 ? 1 : size > 1000 ? 1000 : size;
    }
    const char *tok = amdi_form_get(&f, "PageToken");
    if (tok && (amdi_page_token_parse(tok, &before, &after) || before)) {
        amdi_form_free(&f);
        amdi_response_error(out, 400, AMDI_TWERR_PAGE_TOKEN_INVALID, "Invalid PageToken");
        return;
    }
    const char *pg = amdi_form_get(&f, "Page");
    int page = pg ? atoi(pg) : 0;
    amdi_form_free(&f);
    ev_ctx c = {json_array(), 0};
    long n = amdi_store_events(api->store, sid, after, size + 1, ev_add, &c);
    int more = n > size;
    if (more)
        json_array_remove(c.arr, json_array_size(c.arr) - 1);
    json_t *o = json_object();
    char base[160], buf[256];
    snprintf(base, sizeof base, API_PREFIX "%s/Calls/%s/Events.json", account, sid);
    json_object_set_new(o, "events", c.arr);
    /* not in Twilio's resource: how many events between the first and the last ones kept
     * were dropped (store.h, AMDI_EVENTS_KEEP_FIRST / _LAST) */
    long dropped = amdi_store_events_dropped(api->store, sid);
    json_object_set_new(o, "events_dropped", json_integer(dropped > 0 ? dropped : 0));
    json_object_set_new(o, "end", json_integer(n > 0 ? (json_int_t)page * size + (more ? size : n) - 1 : 0));
    snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=0", base, size);
    json_object_set_new(o, "first_page_uri", json_string(buf));
    if (more) {
        /* the token is the seq of the last event shown; recompute it from the array */
        char t[19];
        ev_ctx tmp = {json_array(), 0};
        amdi_store_events(api->store, sid, after, size, ev_add, &tmp);
        json_decref(tmp.arr);
        amdi_page_token(t, 0, tmp.last);
        snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=%d&PageToken=%s", base, size, page + 1, t);
        json_object_set_new(o, "next_page_uri", json_string(buf));
    } else {
        json_object_set_new(o, "next_page_uri", json_null());
    }
    json_object_set_new(o, "page", json_integer(page));
    json_object_set_new(o, "page_size", json_integer(size));
    json_object_set_new(o, "previous_page_uri", json_null());
    json_object_set_new(o, "start", json_integer((json_int_t)page * size));
    snprintf(buf, sizeof buf, "%s?PageSize=%d&Page=%d", base, size, page);
    json_object_set_new(o, "uri", json_string(buf));
    amdi_rest_respond_json(out, 200, o);
}

static void handle_json(amdi_api *api, const char *method, const char *path, const char *query, const char *body,
                        size_t body_len, const char *auth, const char *as_account, amdi_response *out);

void amdi_api_handle(amdi_api *api, const char *method, const char *path, const char *query, const char *body,
                     size_t body_len, const char *auth, const char *as_account, amdi_response *out)
{
    /* no extension on the last segment (and not recording media): XML, like Twilio's default */
    const char *last = strrchr(path, '/');
    int xml = !strncmp(path, API_PREFIX, strlen(API_PREFIX)) && last && !strchr(last, '.') &&
              !strstr(path, "/Recordings/") && strlen(path) < 1024;
    if (!xml) {
        handle_json(api, method, path, query, body, body_len, auth, as_account, out);
        return;
    }
    char jpath[1040];
    snprintf(jpath, sizeof jpath, "%s.json", path);
    handle_json(api, method, jpath, query, body, body_len, auth, as_account, out);
    amdi_response_to_xml(out);
}

static void handle_json(amdi_api *api, const char *method, const char *path, const char *query, const char *body,
                        size_t body_len, const char *auth, const char *as_account, amdi_response *out)
{
    memset(out, 0, sizeof *out);
    const char *who = auth ? authenticate(api, auth) : as_account;
    if (!who) {
        amdi_response_error(out, 401, AMDI_TWERR_AUTHENTICATE, "Authenticate");
        out->www_authenticate = 1;
        return;
    }
    /* /2010-04-01/Accounts/{AC}/Calls(.json|.csv|/{CA}.json|/{CA}/Events.json) */
    if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0) {
        amdi_rest_not_found(out, path);
        return;
    }
    const char *p = path + strlen(API_PREFIX);
    char account[35];
    if (strlen(p) < 34 || (snprintf(account, sizeof account, "%.34s", p), !amdi_sid_valid(account, "AC"))) {
        amdi_rest_not_found(out, path);
        return;
    }
    p += 34;
    if (strcmp(account, who) != 0) {
        /* Credentials of one account never reach another account's resources. */
        amdi_response_error(out, 401, AMDI_TWERR_AUTHENTICATE, "Authenticate: credentials do not grant access to this account");
        out->www_authenticate = 1;
        return;
    }
    if (amdi_rest_amd(api, account, method, p, query, body, body_len, out))
        return;
    int is_get = !strcmp(method, "GET"), is_post = !strcmp(method, "POST"), is_del = !strcmp(method, "DELETE");
    if (!strcmp(p, "/Calls.json") || !strcmp(p, "/Calls.csv")) {
        int csv = p[7] == 'c';
        if (is_get)
            do_list(api, account, query, csv, out);
        else if (is_post && !csv)
            do_create(api, account, body, body_len, out);
        else
            amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        return;
    }
    if (!strncmp(p, "/Calls/", 7) && strlen(p) >= 7 + 34) {
        char sid[35];
        snprintf(sid, sizeof sid, "%.34s", p + 7);
        const char *rest = p + 7 + 34;
        if (!amdi_sid_valid(sid, "CA")) {
            amdi_rest_not_found(out, path);
            return;
        }
        if (!strcmp(rest, ".json")) {
            if (is_get)
                do_fetch(api, account, sid, path, out);
            else if (is_post)
                do_update(api, account, sid, path, body, body_len, out);
            else if (is_del)
                do_delete(api, account, sid, path, out);
            else
                amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
            return;
        }
        if (!strcmp(rest, "/Recordings.json")) {
            amdi_call_rec cr;
            if (!is_get)
                amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
            else if (amdi_store_call_get(api->store, account, sid, &cr))
                amdi_rest_not_found(out, path);
            else
                amdi_rest_recordings_list(api, account, sid, path, query, out);
            return;
        }
        if (!strncmp(rest, "/Recordings/", 12)) {
            if (is_get || is_del)
                amdi_rest_recording(api, account, sid, rest + 12, path, is_del, out);
            else
                amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
            return;
        }
        if (!strcmp(rest, "/Notifications.json") || !strncmp(rest, "/Notifications/", 15)) {
            if (is_get)
                do_notifications(api, account, sid, rest, path, query, out);
            else
                amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
            return;
        }
        if (!strcmp(rest, "/Events.json")) {
            if (is_get)
                do_events(api, account, sid, path, query, out);
            else
                amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
            return;
        }
    }
    if (!strcmp(p, "/Recordings.json")) {
        if (is_get)
            amdi_rest_recordings_list(api, account, NULL, path, query, out);
        else
            amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        return;
    }
    if (!strncmp(p, "/Recordings/", 12)) {
        if (is_get || is_del)
            amdi_rest_recording(api, account, NULL, p + 12, path, is_del, out);
        else
            amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        return;
    }
    amdi_rest_not_found(out, path);
}
