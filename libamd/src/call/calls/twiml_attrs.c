/* SPDX-License-Identifier: MIT */
/* TwiML attribute rules: typed attribute readers, Twilio's warn-and-default handling, and the
 * attributes of <Gather> and <Record>. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "strbuf.h"
#include "twiml_internal.h"

const char *amdi_tw_attr(const xnode *n, const char *name)
{
    for (size_t i = 0; i < n->nattrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    return NULL;
}

char *amdi_tw_trimmed(const amdi_buf *b)
{
    const char *s = b->p ? b->p : "";
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

int amdi_tw_int_attr(parser *ps, const xnode *n, const char *name, int def, int lo, int hi, int *out)
{
    const char *v = amdi_tw_attr(n, name);
    if (!v) {
        *out = def;
        return 0;
    }
    char *e;
    long x = strtol(v, &e, 10);
    if (e == v || *e || x < lo || x > hi) {
        amdi_twx_fail(ps, AMD_EINVAL, "<%s %s=\"%s\">: expected an integer %d..%d", n->name, name, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

/* Remember the first attribute warning of a verb (Twilio runs the verb with the default). */
static void verb_warn(amdi_verb *v, int code, const char *fmt, ...)
{
    if (v->warn_code)
        return;
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    v->warn = strdup(buf);
    v->warn_code = v->warn ? code : 0;
}

/* An integer attribute in lo..hi; anything else keeps @p def and warns with @p code. */
static int int_attr_warn(amdi_verb *v, const xnode *n, const char *name, int def, int lo, int hi, int code)
{
    const char *s = amdi_tw_attr(n, name);
    if (!s)
        return def;
    char *e;
    long x = strtol(s, &e, 10);
    if (e == s || *e || x < lo || x > hi) {
        verb_warn(v, code, "<%s %s=\"%.40s\">: expected an integer %d..%d; %d used", n->name, name, s, lo, hi, def);
        return def;
    }
    return (int)x;
}

static int bool_attr_warn(amdi_verb *v, const xnode *n, const char *name, int def, int code)
{
    const char *s = amdi_tw_attr(n, name);
    if (!s)
        return def;
    if (!strcasecmp(s, "true"))
        return 1;
    if (!strcasecmp(s, "false"))
        return 0;
    verb_warn(v, code, "<%s %s=\"%.40s\">: expected true or false", n->name, name, s);
    return def;
}

static char *method_attr(amdi_verb *v, const xnode *n, const char *name)
{
    const char *m = amdi_tw_attr(n, name);
    if (m && strcasecmp(m, "GET") && strcasecmp(m, "POST"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<%s %s=\"%.40s\">: expected GET or POST; POST used", n->name, name, m);
    return strdup(m && !strcasecmp(m, "GET") ? "GET" : "POST");
}

/* <Gather>'s own attributes (https://www.twilio.com/docs/voice/twiml/gather). Speech input is
 * not recognised: input="speech" gathers DTMF and says so. */
int amdi_tw_gather_attrs(amdi_verb *v, const xnode *n)
{
    v->kind = AMDI_TW_GATHER;
    const char *in = amdi_tw_attr(n, "input");
    if (in && strcmp(in, "dtmf"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<Gather input=\"%.40s\">: speech recognition is not supported; DTMF collected", in);
    const char *a = amdi_tw_attr(n, "action");
    v->action = a ? strdup(a) : NULL;
    v->method = method_attr(v, n, "method");
    v->timeout_s = int_attr_warn(v, n, "timeout", 5, 0, 3600, AMDI_TWERR_GATHER_TIMEOUT);
    const char *fk = amdi_tw_attr(n, "finishOnKey");
    snprintf(v->finish_on_key, sizeof v->finish_on_key, "#");
    if (fk && (!*fk || (strlen(fk) == 1 && strchr("0123456789#*", fk[0]))))
        snprintf(v->finish_on_key, sizeof v->finish_on_key, "%s", fk);
    else if (fk)
        verb_warn(v, AMDI_TWERR_GATHER_FINISH_KEY, "<Gather finishOnKey=\"%.40s\">: expected one of 0-9 # * or empty; # used", fk);
    v->num_digits = int_attr_warn(v, n, "numDigits", 0, 1, 1000, AMDI_TWERR_GATHER_NUM_DIGITS);
    v->action_on_empty = bool_attr_warn(v, n, "actionOnEmptyResult", 0, AMDI_TWERR_GATHER_EMPTY_RESULT);
    return v->method ? 0 : -1;
}

/* <Record>'s attributes (https://www.twilio.com/docs/voice/twiml/record). */
int amdi_tw_record_attrs(amdi_verb *v, const xnode *n)
{
    v->kind = AMDI_TW_RECORD;
    const char *a = amdi_tw_attr(n, "action");
    v->action = a ? strdup(a) : NULL;
    v->method = method_attr(v, n, "method");
    v->timeout_s = int_attr_warn(v, n, "timeout", 5, 0, 3600, AMDI_TWERR_RECORD_TIMEOUT);
    v->max_length_s = int_attr_warn(v, n, "maxLength", 3600, 2, 14400, AMDI_TWERR_RECORD_MAX_LENGTH);
    const char *fk = amdi_tw_attr(n, "finishOnKey");
    snprintf(v->finish_on_key, sizeof v->finish_on_key, "1234567890*#");
    if (fk && strlen(fk) < sizeof v->finish_on_key && strspn(fk, "0123456789#*") == strlen(fk))
        snprintf(v->finish_on_key, sizeof v->finish_on_key, "%s", fk);
    else if (fk)
        verb_warn(v, AMDI_TWERR_RECORD_FINISH_KEY, "<Record finishOnKey=\"%.40s\">: expected keys of 0-9 # *", fk);
    v->play_beep = bool_attr_warn(v, n, "playBeep", 1, AMDI_ERR_SCHEMA);
    const char *tr = amdi_tw_attr(n, "trim");
    v->trim = !tr || strcmp(tr, "do-not-trim");
    if (tr && strcmp(tr, "trim-silence") && strcmp(tr, "do-not-trim"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<Record trim=\"%.40s\">: expected trim-silence or do-not-trim", tr);
    if (bool_attr_warn(v, n, "transcribe", 0, AMDI_ERR_SCHEMA) || amdi_tw_attr(n, "transcribeCallback"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<Record transcribe>: transcription is not supported; recorded without");
    const char *cb = amdi_tw_attr(n, "recordingStatusCallback");
    v->rs_callback = cb && *cb ? strdup(cb) : NULL;
    v->rs_method = method_attr(v, n, "recordingStatusCallbackMethod");
    v->rs_events = 2;
    const char *ev = amdi_tw_attr(n, "recordingStatusCallbackEvent");
    if (ev) {
        unsigned m = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", ev);
        for (char *sv, *t = strtok_r(buf, " ,", &sv); t; t = strtok_r(NULL, " ,", &sv))
            m |= !strcmp(t, "in-progress") ? 1u : !strcmp(t, "completed") ? 2u : !strcmp(t, "absent") ? 4u : 8u;
        if (m & 8u || !m)
            verb_warn(v, AMDI_TWERR_RECORD_CB_EVENT, "<Record recordingStatusCallbackEvent=\"%.40s\">: expected in-progress completed absent", ev);
        else
            v->rs_events = m;
    }
    return v->method && v->rs_method ? 0 : -1;
}
