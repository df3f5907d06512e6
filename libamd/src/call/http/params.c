/* SPDX-License-Identifier: MIT */
#include "params.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "amd/params.h"
#include "sid.h"
#include "timefmt.h"
#include "twiml.h"

void amdi_api_error_set(amdi_api_error *e, int http, int code, const char *fmt, ...)
{
    e->http = http;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    /* Messages echo client input: keep them printable ASCII so they are always valid JSON text. */
    for (char *c = e->message; *c; c++)
        if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
            *c = '?';
}

int amdi_parse_bool(const char *s)
{
    if (!strcasecmp(s, "true"))
        return 1;
    if (!strcasecmp(s, "false"))
        return 0;
    return -1;
}

static int valid_addr(const char *s)
{
    return amdi_addr_valid(s);
}

/* A relative reference (RFC 3986 §4.2) that resolves against an http(s) base: no scheme, no
 * network-path "//", printable ASCII without spaces. */
static int relative_ref_ok(const char *r)
{
    if (!strncmp(r, "//", 2))
        return 0;
    if (memchr(r, ':', strcspn(r, "/?#")))
        return 0;
    for (; *r; r++)
        if ((unsigned char)*r <= ' ' || (unsigned char)*r >= 0x7f)
            return 0;
    return 1;
}

/* Strictly parse a decimal integer in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    char *e;
    long v = strtol(s, &e, 10);
    if (*e || v < lo || v > hi || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

static int method_ok(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "POST");
}

/* A method parameter: GET or POST (case-insensitive on input; canonical upper-case out). */
static int get_method(const amdi_form *f, const char *name, const char **out, amdi_api_error *e)
{
    const char *v = amdi_form_get(f, name);
    *out = "POST";
    if (!v || !*v)
        return 0;
    if (!strcasecmp(v, "GET"))
        *out = "GET";
    else if (!strcasecmp(v, "POST"))
        *out = "POST";
    else {
        amdi_api_error_set(e, 400, AMDI_TWERR_METHOD_INVALID, "Invalid %s: '%s'. Allowed values: GET, POST", name, v);
        return -1;
    }
    (void)method_ok;
    return 0;
}

static const char *get_nonempty(const amdi_form *f, const char *name)
{
    const char *v = amdi_form_get(f, name);
    return v && *v ? v : NULL;
}

/* Collect a multi-valued parameter given as repeated fields and/or space-separated values
 * (twilio-python repeats the field; Twilio's docs say "separate with a space"). */
static int get_events(const amdi_form *f, const char *name, const char *const *names, unsigned *mask,
                      amdi_api_error *e)
{
    *mask = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->items[i].key, name))
            continue;
        const char *s = f->items[i].val;
        while (*s) {
            while (*s == ' ' || *s == ',')
                s++;
            size_t n = strcspn(s, " ,");
            if (!n)
                break;
            int found = 0;
            for (int k = 0; names[k]; k++)
                if (strlen(names[k]) == n && !strncasecmp(s, names[k], n)) {
                    *mask |= 1u << k;
                    found = 1;
                }
            if (!found) {
                amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Invalid %s value '%.*s'", name, (int)(n > 40 ? 40 : n), s);
                return -1;
            }
            s += n;
        }
    }
    return 0;
}

static int amd_range(const amdi_form *f, const char *name, long lo, long hi, int *out, amdi_api_error *e)
{
    const char *v = amdi_form_get(f, name);
    if (!v || !*v)
        return 0;
    long x;
    if (parse_int(v, lo, hi, &x)) {
        /* Twilio's AMD docs do not say what an out-of-range value does: we reject with 400 and
         * 21263 "Invalid Answering Machine Detection Parameters", naming the range. */
        amdi_api_error_set(e, 400, AMDI_TWERR_AMD_PARAMS_INVALID, "Invalid %s '%s': must be an integer %ld..%ld", name, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int enum_param(const amdi_form *f, const char *name, const char *const *allowed, const char *def,
                      const char **out, amdi_api_error *e)
{
    const char *v = get_nonempty(f, name);
    *out = def;
    if (!v)
        return 0;
    for (int i = 0; allowed[i]; i++)
        if (!strcasecmp(v, allowed[i])) {
            *out = allowed[i];
            return 0;
        }
    amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Invalid %s '%s'", name, v);
    return -1;
}

void amdi_create_params_free(amdi_create_params *p)
{
    amdi_form_free(&p->form);
    memset(p, 0, sizeof *p);
}

/* Inline `Twiml` is parsed when it arrives, so a document the call could never run is refused
 * with the REST request (HTTP 400) instead of failing the call later. The code is the one
 * Twilio reports for such a document (twilio.com/docs/api/errors): 12100 "Document parse
 * failure" for malformed XML, 12200 "Schema validation warning" for XML that is not TwiML. */
static int check_inline_twiml(const char *twiml, amdi_api_error *e)
{
    if (strlen(twiml) > AMDI_TWIML_INLINE_MAX) {
        amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Twiml is %zu characters; the limit is %d", strlen(twiml),
                           AMDI_TWIML_INLINE_MAX);
        return -1;
    }
    amdi_twiml *t = NULL;
    char err[200] = "";
    int rc = amdi_twiml_parse(twiml, strlen(twiml), &t, err, sizeof err);
    amdi_twiml_free(t);
    if (rc == 0)
        return 0;
    if (rc == AMD_ENOMEM) {
        amdi_api_error_set(e, 503, AMDI_TWERR_INTERNAL, "Out of memory while parsing Twiml");
        return -1;
    }
    amdi_api_error_set(e, 400, rc == AMD_EINVAL ? AMDI_TWERR_SCHEMA : AMDI_TWERR_DOCUMENT_PARSE, "Twiml is not valid TwiML: %s",
                       err[0] ? err : amd_strerror(rc));
    return -1;
}

/* To and From, and Twilio's magic test numbers
 * (https://www.twilio.com/docs/iam/test-credentials). */
static int parse_addresses(amdi_create_params *p, const amdi_form *f, amdi_api_error *e)
{
    p->to = get_nonempty(f, "To");
    p->from = get_nonempty(f, "From");
    p->sip_auth_username = get_nonempty(f, "SipAuthUsername");
    p->sip_auth_password = get_nonempty(f, "SipAuthPassword");
    if (!p->to) {
        amdi_api_error_set(e, 400, AMDI_TWERR_TO_MISSING, "No 'To' number is specified");
        return -1;
    }
    if (!p->from) {
        amdi_api_error_set(e, 400, AMDI_TWERR_FROM_MISSING, "No 'From' number is specified");
        return -1;
    }
    if (!strcmp(p->from, "+15005550001") || !valid_addr(p->from) ||
        (amdi_is_phone(p->to) && !amdi_is_phone(p->from) && strncasecmp(p->from, "client:", 7))) {
        amdi_api_error_set(e, 400, AMDI_TWERR_FROM_INVALID, "The 'From' phone number %s is not a valid phone number", p->from);
        return -1;
    }
    if (!strcmp(p->to, "+15005550001") || !valid_addr(p->to)) {
        amdi_api_error_set(e, 400, strcmp(p->to, "+15005550001") ? AMDI_TWERR_TO_INVALID : AMDI_TWERR_NUMBER_NOT_VALID,
                           "The 'To' number %s is not a valid phone number", p->to);
        return -1;
    }
    if (!strcmp(p->to, "+15005550002")) {
        amdi_api_error_set(e, 400, AMDI_TWERR_TO_UNREACHABLE, "'To' phone number cannot be reached");
        return -1;
    }
    if (!strcmp(p->to, "+15005550003")) {
        amdi_api_error_set(e, 400, AMDI_TWERR_GEO_PERMISSION, "Account not authorized to call %s. Perhaps you need to enable "
                                          "some international permissions", p->to);
        return -1;
    }
    if (!strcmp(p->to, "+15005550004")) {
        amdi_api_error_set(e, 400, AMDI_TWERR_BLOCKED, "Call blocked by Twilio blocklist");
        return -1;
    }
    return 0;
}

/* Where the call's instructions come from (Url, Twiml, ApplicationSid), the methods, the fallback
 * and status callbacks. */
static int parse_instructions(amdi_create_params *p, const amdi_form *f, amdi_api_error *e)
{
    p->url = get_nonempty(f, "Url");
    p->twiml = get_nonempty(f, "Twiml");
    const char *app = get_nonempty(f, "ApplicationSid");
    if (app) {
        /* This server has no Applications resource, so no ApplicationSid can be valid. */
        amdi_api_error_set(e, 400, AMDI_TWERR_APPLICATION_SID_INVALID, "Invalid ApplicationSid '%s'", app);
        return -1;
    }
    if (!p->url && !p->twiml) {
        amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Either Url, Twiml or ApplicationSid must be provided");
        return -1;
    }
    if (p->url) {
        if (!amdi_url_valid(p->url, 0)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "Url is not a valid URL: %.200s", p->url);
            return -1;
        }
        p->twiml = NULL;
    } else if (check_inline_twiml(p->twiml, e)) {
        return -1;
    }
    if (get_method(f, "Method", &p->method, e) || get_method(f, "FallbackMethod", &p->fallback_method, e) ||
        get_method(f, "StatusCallbackMethod", &p->status_callback_method, e) ||
        get_method(f, "RecordingStatusCallbackMethod", &p->recording_status_callback_method, e) ||
        get_method(f, "AsyncAmdStatusCallbackMethod", &p->async_amd_status_callback_method, e))
        return -1;
    p->fallback_url = get_nonempty(f, "FallbackUrl");
    if (p->fallback_url && !amdi_url_valid(p->fallback_url, 0)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "FallbackUrl is not a valid URL: %.200s", p->fallback_url);
        return -1;
    }
    p->status_callback = get_nonempty(f, "StatusCallback");
    if (p->status_callback && !amdi_url_valid(p->status_callback, 1)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID,
                           "StatusCallback is not a valid URL (absolute http(s), no '_' in the host): %.200s",
                           p->status_callback);
        return -1;
    }
    static const char *const evn[] = {"initiated", "ringing", "answered", "completed", NULL};
    if (get_events(f, "StatusCallbackEvent", evn, &p->status_events, e))
        return -1;
    if (!p->status_events)
        p->status_events = AMDI_EV_COMPLETED; /* Twilio: only completed when none given */
    return 0;
}

/* SendDigits, ring timeout, time limit, recording, IfMachine, Byoc, CallerId. */
static int parse_call_options(amdi_create_params *p, const amdi_form *f, amdi_api_error *e)
{
    p->send_digits = get_nonempty(f, "SendDigits");
    if (p->send_digits) {
        size_t nd = 0;
        for (const char *c = p->send_digits; *c; c++) {
            if (!strchr("0123456789ABCD*#wW", *c)) {
                amdi_api_error_set(e, 400, AMDI_TWERR_SEND_DIGITS_INVALID, "SendDigits may contain only 0-9, A-D, *, #, w and W");
                return -1;
            }
            nd++;
        }
        if (nd > 32) {
            amdi_api_error_set(e, 400, AMDI_TWERR_SEND_DIGITS_INVALID, "SendDigits is limited to 32 digits");
            return -1;
        }
    }
    long x;
    p->timeout_s = 60;
    const char *tv = get_nonempty(f, "Timeout");
    if (tv) {
        if (parse_int(tv, 1, 1000000, &x)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_TIMEOUT_INVALID, "Timeout must be a positive whole integer, got '%.40s'", tv);
            return -1;
        }
        /* Twilio's maximum ring time is 600 s; larger values are capped, not refused. */
        p->timeout_s = x > 600 ? 600 : (int)x;
    }
    p->time_limit_s = AMDI_DEFAULT_TIME_LIMIT_S;
    const char *tl = get_nonempty(f, "TimeLimit");
    if (tl) {
        if (parse_int(tl, 1, 86400, &x)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "TimeLimit must be an integer 1..86400 seconds, got '%.40s'", tl);
            return -1;
        }
        p->time_limit_s = (int)x;
    }
    const char *rec = get_nonempty(f, "Record");
    if (rec && (p->record = amdi_parse_bool(rec)) < 0) {
        amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Record must be true or false, got '%.40s'", rec);
        return -1;
    }
    static const char *const chans[] = {"mono", "dual", NULL};
    static const char *const tracks[] = {"inbound", "outbound", "both", NULL};
    static const char *const trims[] = {"trim-silence", "do-not-trim", NULL};
    static const char *const revn[] = {"in-progress", "completed", "absent", NULL};
    if (enum_param(f, "RecordingChannels", chans, "mono", &p->recording_channels, e) ||
        enum_param(f, "RecordingTrack", tracks, "both", &p->recording_track, e) ||
        enum_param(f, "Trim", trims, "trim-silence", &p->trim, e) ||
        get_events(f, "RecordingStatusCallbackEvent", revn, &p->recording_events, e))
        return -1;
    if (!p->recording_events)
        p->recording_events = 2;
    p->recording_status_callback = get_nonempty(f, "RecordingStatusCallback");
    if (p->recording_status_callback && !amdi_url_valid(p->recording_status_callback, 0)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "RecordingStatusCallback is not a valid URL");
        return -1;
    }
    const char *ifm = get_nonempty(f, "IfMachine");
    if (ifm && strcasecmp(ifm, "Continue") && strcasecmp(ifm, "Hangup") && strcasecmp(ifm, "False")) {
        amdi_api_error_set(e, 400, AMDI_TWERR_IF_MACHINE_INVALID, "Invalid IfMachine '%.40s': Continue, Hangup or False", ifm);
        return -1;
    }
    const char *byoc = get_nonempty(f, "Byoc");
    if (byoc && (strlen(byoc) != 34 || strncmp(byoc, "BY", 2))) {
        amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Invalid Byoc '%.40s'", byoc);
        return -1;
    }
    p->caller_id = get_nonempty(f, "CallerId");
    return 0;
}

/* Answering machine detection (https://www.twilio.com/docs/voice/answering-machine-detection):
 * MachineDetection, the numeric parameters of the core's table (amd/params.h) that have a
 * Twilio name, in its wire units, MachineDetectionEngine, AsyncAmd. */
static int parse_amd(amdi_create_params *p, const amdi_form *f, amdi_api_error *e)
{
    amd_config_init(&p->amd);
    const char *mode_name = amd_param_by_field("mode")->twilio;
    const char *md = get_nonempty(f, mode_name);
    if (md) {
        if (amd_mode_parse(md, &p->amd.mode)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_AMD_PARAMS_INVALID, "Invalid %s '%.40s': must be Enable or DetectMessageEnd", mode_name,
                               md);
            return -1;
        }
        p->machine_detection = 1;
    }
    size_t n;
    const amd_param *t = amd_params(&n);
    for (size_t k = 0; k < n; k++) {
        if (t[k].kind != AMD_PARAM_INT || !t[k].twilio)
            continue;
        int v = amd_param_get(&p->amd, &t[k]) / t[k].scale; /* config units -> wire units */
        if (amd_range(f, t[k].twilio, t[k].min / t[k].scale, t[k].max / t[k].scale, &v, e))
            return -1;
        amd_param_set(&p->amd, &t[k], v * t[k].scale);
    }
    const char *engine_name = amd_param_by_field("engine")->twilio;
    const char *eng = get_nonempty(f, engine_name);
    if (eng && amd_engine_parse(eng, &p->amd.engine)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_AMD_PARAMS_INVALID, "Invalid %s '%.40s'", engine_name, eng);
        return -1;
    }
    const char *as = get_nonempty(f, "AsyncAmd");
    if (as && (p->async_amd = amdi_parse_bool(as)) < 0) {
        amdi_api_error_set(e, 400, AMDI_TWERR_AMD_PARAMS_INVALID, "AsyncAmd must be true or false, got '%.40s'", as);
        return -1;
    }
    p->async_amd_status_callback = get_nonempty(f, "AsyncAmdStatusCallback");
    if (p->async_amd_status_callback && strlen(p->async_amd_status_callback) > 2048) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "AsyncAmdStatusCallback is too long");
        return -1;
    }
    /* A relative AsyncAmdStatusCallback resolves against Url (RFC 3986 §5); with inline Twiml
     * there is nothing to resolve it against, so it could never be called. */
    if (p->async_amd_status_callback && !amdi_url_valid(p->async_amd_status_callback, 0) &&
        (!p->url || !relative_ref_ok(p->async_amd_status_callback))) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID,
                           "AsyncAmdStatusCallback is not an absolute http(s) URL%s: %.200s",
                           p->url ? "" : " and there is no Url to resolve it against", p->async_amd_status_callback);
        return -1;
    }
    return 0;
}

int amdi_create_params_parse(amdi_create_params *p, amdi_form *form, amdi_api_error *e)
{
    memset(p, 0, sizeof *p);
    p->form = *form;
    amdi_form_init(form);
    const amdi_form *f = &p->form;
    if (parse_addresses(p, f, e) || parse_instructions(p, f, e) || parse_call_options(p, f, e) ||
        parse_amd(p, f, e)) {
        amdi_create_params_free(p);
        return -1;
    }
    /* SendDigits silently disables AMD (Twilio's Call resource: SendDigits and MachineDetection). */
    if (p->send_digits)
        p->machine_detection = 0;
    return 0;
}

int amdi_update_params_parse(amdi_update_params *u, const amdi_form *f, amdi_api_error *e)
{
    memset(u, 0, sizeof *u);
    u->time_limit_s = -1;
    u->url = get_nonempty(f, "Url");
    u->twiml = get_nonempty(f, "Twiml");
    if (u->url && u->twiml) {
        amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Url and Twiml are mutually exclusive");
        return -1;
    }
    if (u->url && !amdi_url_valid(u->url, 0)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "Url is not a valid URL: %.200s", u->url);
        return -1;
    }
    if (u->twiml && check_inline_twiml(u->twiml, e))
        return -1;
    if (get_method(f, "Method", &u->method, e) || get_method(f, "FallbackMethod", &u->fallback_method, e) ||
        get_method(f, "StatusCallbackMethod", &u->status_callback_method, e))
        return -1;
    if (!get_nonempty(f, "Method"))
        u->method = NULL;
    if (!get_nonempty(f, "FallbackMethod"))
        u->fallback_method = NULL;
    if (!get_nonempty(f, "StatusCallbackMethod"))
        u->status_callback_method = NULL;
    u->status = get_nonempty(f, "Status");
    if (u->status) {
        if (!strcasecmp(u->status, "canceled"))
            u->status = "canceled";
        else if (!strcasecmp(u->status, "completed"))
            u->status = "completed";
        else {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Invalid Status '%.40s': must be canceled or completed", u->status);
            return -1;
        }
    }
    u->fallback_url = get_nonempty(f, "FallbackUrl");
    if (u->fallback_url && !amdi_url_valid(u->fallback_url, 0)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "FallbackUrl is not a valid URL");
        return -1;
    }
    u->status_callback = get_nonempty(f, "StatusCallback");
    if (u->status_callback && !amdi_url_valid(u->status_callback, 1)) {
        amdi_api_error_set(e, 400, AMDI_TWERR_URL_INVALID, "StatusCallback is not a valid URL (absolute http(s), no '_' in the host)");
        return -1;
    }
    const char *tl = get_nonempty(f, "TimeLimit");
    if (tl) {
        long x;
        if (parse_int(tl, 1, 86400, &x)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "TimeLimit must be an integer 1..86400 seconds");
            return -1;
        }
        u->time_limit_s = (int)x;
    }
    return 0;
}

void amdi_page_token(char out[19], int before, int64_t seq)
{
    snprintf(out, 19, "P%c%016llx", before ? 'B' : 'A', (unsigned long long)seq);
}

int amdi_page_token_parse(const char *s, int *before, int64_t *seq)
{
    if (strlen(s) != 18 || s[0] != 'P' || (s[1] != 'A' && s[1] != 'B'))
        return -1;
    unsigned long long v = 0;
    for (int i = 2; i < 18; i++) {
        int c = (unsigned char)s[i];
        int d = isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    if (v > (unsigned long long)INT64_MAX)
        return -1;
    *before = s[1] == 'B';
    *seq = (int64_t)v;
    return 0;
}

static int date_filter(const amdi_form *f, const char *base, int64_t *lo, int64_t *hi, amdi_list_query *q,
                       amdi_api_error *e)
{
    char k[32];
    static const char *const suf[3] = {"", "<", ">"};
    for (int i = 0; i < 3; i++) {
        snprintf(k, sizeof k, "%s%s", base, suf[i]);
        const char *v = get_nonempty(f, k);
        if (!v)
            continue;
        int64_t t;
        int has_time;
        if (amdi_time_parse(v, &t, &has_time)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Invalid %s '%.60s': use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", k, v);
            return -1;
        }
        if (i == 0) {
            /* "on that UTC date": the whole day containing t */
            int64_t day = (t >= 0 ? t / 86400000 : (t - 86399999) / 86400000) * 86400000;
            if (day > *lo)
                *lo = day;
            if (day + 86400000 < *hi)
                *hi = day + 86400000;
        } else if (i == 1) {
            if (t < *hi)
                *hi = t; /* before: exclusive */
        } else {
            if (t > *lo)
                *lo = t; /* on or after: inclusive */
        }
        amdi_form_add(&q->canon, k, v);
    }
    return 0;
}

int amdi_list_query_parse(amdi_list_query *q, const amdi_form *f, amdi_api_error *e)
{
    memset(q, 0, sizeof *q);
    amdi_form_init(&q->canon);
    q->start_lo = q->end_lo = INT64_MIN;
    q->start_hi = q->end_hi = INT64_MAX;
    q->page_size = 50;
    static const char *const str_filters[] = {"To", "From", "ParentCallSid", "Status", NULL};
    const char **dst[] = {&q->to, &q->from, &q->parent_call_sid, &q->status};
    for (int i = 0; str_filters[i]; i++) {
        const char *v = get_nonempty(f, str_filters[i]);
        *dst[i] = v;
        if (v)
            amdi_form_add(&q->canon, str_filters[i], v);
    }
    if (q->status) {
        static const char *const st[] = {"queued", "ringing", "in-progress", "completed", "busy",
                                         "failed", "no-answer", "canceled", "initiated", NULL};
        int ok = 0;
        for (int i = 0; st[i]; i++)
            ok |= !strcmp(st[i], q->status);
        if (!ok) {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Invalid Status filter '%.40s'", q->status);
            goto fail;
        }
    }
    if (date_filter(f, "StartTime", &q->start_lo, &q->start_hi, q, e) ||
        date_filter(f, "EndTime", &q->end_lo, &q->end_hi, q, e))
        goto fail;
    long x;
    const char *ps = get_nonempty(f, "PageSize");
    if (ps) {
        if (parse_int(ps, 1, LONG_MAX, &x)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "PageSize must be a positive integer, got '%.40s'", ps);
            goto fail;
        }
        q->page_size = x > 1000 ? 1000 : (int)x; /* clamp to Twilio's maximum PageSize */
    }
    const char *pg = get_nonempty(f, "Page");
    if (pg) {
        if (parse_int(pg, 0, 1000000000, &x)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_CALLS, "Page must be a non-negative integer");
            goto fail;
        }
        q->page = (int)x;
    }
    const char *tok = amdi_form_get(f, "PageToken");
    if (tok) {
        if (amdi_page_token_parse(tok, &q->token_before, &q->token_seq)) {
            amdi_api_error_set(e, 400, AMDI_TWERR_PAGE_TOKEN_INVALID, "Invalid PageToken");
            goto fail;
        }
        q->has_token = 1;
    }
    return 0;
fail:
    amdi_form_free(&q->canon);
    return -1;
}
