/* SPDX-License-Identifier: MIT */
#include "rest_amd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "amd_summary.h"
#include "amd_summary_store.h"
#include "corpus_export.h"
#include "export_sink.h"
#include "form.h"
#include "labels.h"
#include "render.h"
#include "sid.h"
#include "twilio_errors.h"

static void respond_text(amdi_response *out, int status, char *text, size_t len, const char *type)
{
    out->status = status;
    out->content_type = type;
    out->body = text;
    out->body_len = len;
}

static void respond_json(amdi_response *out, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "out of memory");
    else
        respond_text(out, 200, s, strlen(s), "application/json; charset=utf-8");
}

static void store_error(amdi_response *out, int rc, const char *what)
{
    if (rc == AMD_ENOTFOUND)
        amdi_response_error(out, 404, AMDI_TWERR_NOT_FOUND, what);
    else if (rc == AMD_ESTATE) /* amdi_store_keeps_analysis(): not on PostgreSQL */
        amdi_response_error(out, 501, AMDI_TWERR_INTERNAL,
                      "AMD summaries and labels are kept only by the SQLite store (one process), not on PostgreSQL");
    else
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, amd_strerror(rc));
}

static void do_summary(amdi_api *api, const char *account, const char *sid, amdi_response *out)
{
    uint8_t *blob;
    size_t len;
    int rc = amdi_summary_get(api->store, account, sid, &blob, &len);
    if (rc) {
        store_error(out, rc, "No AMD summary for this call (no AMD, or not decided yet)");
        return;
    }
    amdi_buf b;
    amdi_buf_init(&b);
    rc = amdi_summary_json(blob, len, &b);
    free(blob);
    if (rc) {
        amdi_buf_free(&b);
        amdi_response_error(out, 500, AMDI_TWERR_INTERNAL, "the stored AMD summary is damaged");
        return;
    }
    size_t n = b.len;
    respond_text(out, 200, amdi_buf_take(&b), n, "application/json; charset=utf-8");
}

static json_t *label_json(const amdi_label_rec *r)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:I}", "call_sid", r->call_sid, "label", amdi_label_name(r->label),
                     "answered_by_enable", amdi_label_enable(r->label), "answered_by_detect_end",
                     amdi_label_detect_end(r->label), "greeting_end_ms",
                     r->greeting_end_ms < 0 ? json_null() : json_integer(r->greeting_end_ms), "updated_ms",
                     (json_int_t)r->updated_ms);
}

static void do_label(amdi_api *api, const char *account, const char *sid, const char *method, const char *body,
                     size_t len, amdi_response *out)
{
    amdi_label_rec r;
    memset(&r, 0, sizeof r);
    int rc;
    if (!strcmp(method, "GET")) {
        rc = amdi_labels_get(api->store, account, sid, &r);
    } else if (!strcmp(method, "POST")) {
        char err[200];
        snprintf(r.call_sid, sizeof r.call_sid, "%s", sid);
        rc = amdi_label_from_form(body, len, &r, err, sizeof err);
        if (rc) {
            amdi_response_error(out, 400, AMDI_TWERR_INVALID_PARAMETER, err);
            return;
        }
        rc = amdi_labels_put(api->store, account, &r);
    } else if (!strcmp(method, "DELETE")) {
        rc = amdi_labels_delete(api->store, account, sid);
        if (!rc) {
            out->status = 204;
            return;
        }
    } else {
        amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        return;
    }
    if (rc)
        store_error(out, rc, "No label for this call");
    else
        respond_json(out, label_json(&r));
}

static void add_label(void *user, const amdi_label_rec *r)
{
    json_array_append_new(user, label_json(r));
}

static void do_labels(amdi_api *api, const char *account, amdi_response *out)
{
    json_t *a = json_array();
    long n = amdi_labels_list(api->store, account, add_label, a);
    if (n < 0) {
        json_decref(a);
        store_error(out, (int)n, "");
        return;
    }
    respond_json(out, json_pack("{s:o}", "labels", a));
}

/* Cause, confidence, decision time and label of the calls named by repeated CallSid. */
static void do_results(amdi_api *api, const char *account, const char *query, amdi_response *out)
{
    amdi_form f;
    amdi_form_init(&f);
    if (amdi_form_parse(&f, query ? query : "", query ? strlen(query) : 0, 101) || f.n > 100) {
        amdi_form_free(&f);
        amdi_response_error(out, 400, AMDI_TWERR_INVALID_PARAMETER, "CallSid: at most 100 call SIDs");
        return;
    }
    json_t *res = json_object();
    for (size_t i = 0; i < f.n; i++) {
        const char *sid = f.items[i].val;
        if (strcmp(f.items[i].key, "CallSid") || !amdi_sid_valid(sid, "CA"))
            continue;
        json_t *o = json_object();
        uint8_t *blob;
        size_t len;
        amdi_summary_view v;
        if (!amdi_summary_get(api->store, account, sid, &blob, &len)) {
            if (!amdi_summary_decode(blob, len, &v)) {
                json_object_set_new(o, "cause", json_string(amd_cause_name(v.cause)));
                json_object_set_new(o, "confidence", json_real(v.confidence));
                json_object_set_new(o, "decision_ms", json_integer(v.decision_ms));
                amdi_summary_view_free(&v);
            }
            free(blob);
        }
        amdi_label_rec r;
        if (!amdi_labels_get(api->store, account, sid, &r))
            json_object_set_new(o, "label", json_string(amdi_label_name(r.label)));
        json_object_set_new(res, sid, o);
    }
    amdi_form_free(&f);
    respond_json(out, json_pack("{s:o}", "results", res));
}

static void do_corpus(amdi_api *api, const char *account, amdi_response *out)
{
    amdi_buf b;
    amdi_buf_init(&b);
    char err[300] = "";
    amdi_export_stats st;
    int rc = amdi_corpus_export(api->store, account, amdi_export_tar_put, &b, &st, err, sizeof err);
    if (!rc)
        rc = amdi_export_tar_end(&b);
    if (rc) {
        amdi_buf_free(&b);
        amdi_response_error(out, rc == AMD_ELIMIT ? 413 : 500, AMDI_TWERR_INTERNAL,
                      rc == AMD_ELIMIT ? "the corpus is too big for one download" : err);
        return;
    }
    size_t n = b.len;
    respond_text(out, 200, amdi_buf_take(&b), n, "application/x-tar");
}

int amdi_rest_amd(amdi_api *api, const char *account, const char *method, const char *p, const char *query,
                  const char *body, size_t body_len, amdi_response *out)
{
    int is_get = !strcmp(method, "GET");
    if (!strcmp(p, "/AmdResults.json") || !strcmp(p, "/Labels.json") || !strcmp(p, "/AmdCorpus.tar")) {
        if (!is_get)
            amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        else if (p[1] == 'A' && p[4] == 'R')
            do_results(api, account, query, out);
        else if (p[1] == 'L')
            do_labels(api, account, out);
        else
            do_corpus(api, account, out);
        return 1;
    }
    if (strncmp(p, "/Calls/", 7) || strlen(p) < 7 + 34)
        return 0;
    char sid[35];
    snprintf(sid, sizeof sid, "%.34s", p + 7);
    const char *rest = p + 7 + 34;
    if (!amdi_sid_valid(sid, "CA"))
        return 0;
    if (!strcmp(rest, "/AmdSummary.json")) {
        if (is_get)
            do_summary(api, account, sid, out);
        else
            amdi_response_error(out, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
        return 1;
    }
    if (!strcmp(rest, "/Label.json")) {
        do_label(api, account, sid, method, body, body_len, out);
        return 1;
    }
    return 0;
}
