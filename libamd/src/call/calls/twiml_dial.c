/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "strbuf.h"
#include "twiml_internal.h"

/* ---- <Dial> (https://www.twilio.com/docs/voice/twiml/dial, .../number, .../sip) ---- */

static int dial_bool_attr(parser *ps, const xnode *n, const char *name, int *out)
{
    const char *v = amdi_tw_attr(n, name);
    *out = 0;
    if (!v)
        return 0;
    if (!strcasecmp(v, "true") || !strcasecmp(v, "false")) {
        *out = !strcasecmp(v, "true");
        return 0;
    }
    amdi_twx_fail(ps, AMD_EINVAL, "<%s %s=\"%s\">: expected true or false", n->name, name, v);
    return -1;
}

static int dial_method_attr(parser *ps, const xnode *n, const char *name, char **out)
{
    const char *m = amdi_tw_attr(n, name);
    if (m && strcasecmp(m, "GET") && strcasecmp(m, "POST")) {
        amdi_twx_fail(ps, AMD_EINVAL, "<%s %s=\"%s\">: expected GET or POST", n->name, name, m);
        return -1;
    }
    *out = strdup(m && !strcasecmp(m, "GET") ? "GET" : "POST");
    if (!*out)
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
    return *out ? 0 : -1;
}

static int dup_attr(parser *ps, const xnode *n, const char *name, char **out)
{
    const char *v = amdi_tw_attr(n, name);
    *out = NULL;
    if (!v || !*v)
        return 0;
    if (!(*out = strdup(v)))
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
    return *out ? 0 : -1;
}

/* Twilio's ringTone values (https://www.twilio.com/docs/voice/twiml/dial#ringtone). */
static const char *const k_ring_tones[] = {"at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee",
                                           "es", "fi", "fr", "gr", "hu", "il", "in", "it", "lt", "jp", "mx", "my",
                                           "nl", "no", "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "uk", "us",
                                           "us-old", "tw", "ve", "za", NULL};

static int dial_record_attrs(parser *ps, const xnode *n, amdi_dial *d)
{
    const char *r = amdi_tw_attr(n, "record");
    static const struct {
        const char *name;
        int mode, dual;
    } k_rec[] = {{"do-not-record", AMDI_DIAL_REC_NONE, 0},          {"false", AMDI_DIAL_REC_NONE, 0},
                 {"record-from-answer", AMDI_DIAL_REC_ANSWER, 0},    {"true", AMDI_DIAL_REC_ANSWER, 0},
                 {"record-from-ringing", AMDI_DIAL_REC_RINGING, 0},  {"record-from-answer-dual", AMDI_DIAL_REC_ANSWER, 1},
                 {"record-from-ringing-dual", AMDI_DIAL_REC_RINGING, 1}};
    int ok = !r;
    for (size_t i = 0; r && i < sizeof k_rec / sizeof *k_rec; i++)
        if (!strcmp(r, k_rec[i].name)) {
            d->record = k_rec[i].mode;
            d->record_dual = k_rec[i].dual;
            ok = 1;
        }
    if (!ok) {
        amdi_twx_fail(ps, AMD_EINVAL, "<Dial record=\"%s\">: expected do-not-record, record-from-answer, record-from-ringing, "
                             "record-from-answer-dual or record-from-ringing-dual", r);
        return -1;
    }
    const char *tr = amdi_tw_attr(n, "recordingTrack");
    if (tr && strcmp(tr, "inbound") && strcmp(tr, "outbound") && strcmp(tr, "both")) {
        amdi_twx_fail(ps, AMD_EINVAL, "<Dial recordingTrack=\"%s\">: expected inbound, outbound or both", tr);
        return -1;
    }
    const char *tm = amdi_tw_attr(n, "trim");
    if (tm && strcmp(tm, "trim-silence") && strcmp(tm, "do-not-trim")) {
        amdi_twx_fail(ps, AMD_EINVAL, "<Dial trim=\"%s\">: expected trim-silence or do-not-trim", tm);
        return -1;
    }
    d->recording_track = strdup(tr ? tr : "both");
    d->trim = strdup(tm ? tm : "do-not-trim");
    if (!d->recording_track || !d->trim || dup_attr(ps, n, "recordingStatusCallback", &d->rec_cb) ||
        dial_method_attr(ps, n, "recordingStatusCallbackMethod", &d->rec_cb_method)) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    const char *ev = amdi_tw_attr(n, "recordingStatusCallbackEvent");
    d->rec_events = 2; /* completed */
    if (ev) {
        d->rec_events = 0;
        static const char *const names[] = {"in-progress", "completed", "absent", NULL};
        for (const char *s = ev; *s;) {
            while (*s == ' ' || *s == ',')
                s++;
            size_t k = strcspn(s, " ,"), i;
            if (!k)
                break;
            for (i = 0; names[i] && (strlen(names[i]) != k || strncmp(s, names[i], k)); i++)
                ;
            if (!names[i]) {
                amdi_twx_fail(ps, AMD_EINVAL, "<Dial recordingStatusCallbackEvent=\"%s\">: expected in-progress, completed, absent", ev);
                return -1;
            }
            d->rec_events |= 1u << i;
            s += k;
        }
    }
    return 0;
}

static int noun_put(parser *ps, amdi_dial_noun *dn, const char *k, const char *v)
{
    char **kv = realloc(dn->kv, (dn->nkv + 1) * 2 * sizeof *kv);
    if (!kv) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    dn->kv = kv;
    kv[dn->nkv * 2] = strdup(k);
    kv[dn->nkv * 2 + 1] = strdup(v);
    dn->nkv++;
    if (!kv[dn->nkv * 2 - 2] || !kv[dn->nkv * 2 - 1]) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* One <Number> / <Sip> (or the bare number, @p n NULL with @p text). */
static int dial_noun(parser *ps, amdi_dial *d, const xnode *n, const char *text)
{
    if (d->n >= AMDI_DIAL_MAX_NOUNS) {
        amdi_twx_fail(ps, AMD_EINVAL, "<Dial> rings at most %d numbers at once", AMDI_DIAL_MAX_NOUNS);
        return -1;
    }
    amdi_dial_noun *dn = &d->nouns[d->n++];
    dn->sip = n && !strcmp(n->name, "Sip");
    dn->target = n ? amdi_tw_trimmed(&n->text) : strdup(text);
    if (!dn->target) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    if (!*dn->target) {
        amdi_twx_fail(ps, AMD_EINVAL, "<%s> needs a %s", n ? n->name : "Dial", dn->sip ? "SIP URI" : "number");
        return -1;
    }
    if (dn->sip && strncasecmp(dn->target, "sip:", 4)) {
        amdi_twx_fail(ps, AMD_EINVAL, "<Sip>%.80s</Sip>: expected a sip: URI", dn->target);
        return -1;
    }
    if (!n)
        return 0;
    /* noun attribute -> the child call's create parameter */
    static const char *const k_map[][2] = {
        {"sendDigits", "SendDigits"}, {"url", "Url"}, {"method", "Method"},
        {"statusCallback", "StatusCallback"}, {"statusCallbackMethod", "StatusCallbackMethod"},
        {"statusCallbackEvent", "StatusCallbackEvent"}, {"machineDetection", "MachineDetection"},
        {"machineDetectionTimeout", "MachineDetectionTimeout"},
        {"machineDetectionSpeechThreshold", "MachineDetectionSpeechThreshold"},
        {"machineDetectionSpeechEndThreshold", "MachineDetectionSpeechEndThreshold"},
        {"machineDetectionSilenceTimeout", "MachineDetectionSilenceTimeout"},
        {"amdStatusCallback", "AsyncAmdStatusCallback"}, {"amdStatusCallbackMethod", "AsyncAmdStatusCallbackMethod"},
        {"username", "SipAuthUsername"}, {"password", "SipAuthPassword"}};
    for (size_t i = 0; i < n->nattrs; i++)
        for (size_t k = 0; k < sizeof k_map / sizeof *k_map; k++)
            if (!strcmp(n->attrs[i].name, k_map[k][0]) && noun_put(ps, dn, k_map[k][1], n->attrs[i].value))
                return -1;
    return 0;
}

int amdi_tw_parse_dial(parser *ps, const xnode *n, amdi_verb *v)
{
    amdi_dial *d = calloc(1, sizeof *d);
    if (!d) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    v->kind = AMDI_TW_DIAL;
    v->dial = d;
    if (amdi_tw_int_attr(ps, n, "timeout", 30, 1, 600, &d->timeout_s) ||
        amdi_tw_int_attr(ps, n, "timeLimit", 14400, 1, 86400, &d->time_limit_s) ||
        dup_attr(ps, n, "action", &d->action) ||
        dial_method_attr(ps, n, "method", &d->method) || dup_attr(ps, n, "callerId", &d->caller_id) ||
        dial_bool_attr(ps, n, "hangupOnStar", &d->hangup_on_star) ||
        dial_bool_attr(ps, n, "answerOnBridge", &d->answer_on_bridge) || dial_record_attrs(ps, n, d))
        return -1;
    const char *rt = amdi_tw_attr(n, "ringTone");
    if (rt) {
        int ok = 0;
        for (int i = 0; k_ring_tones[i]; i++)
            ok |= !strcmp(rt, k_ring_tones[i]);
        if (!ok) {
            amdi_twx_fail(ps, AMD_EINVAL, "<Dial ringTone=\"%.20s\">: not one of Twilio's ringTone country codes", rt);
            return -1;
        }
        snprintf(d->ring_tone, sizeof d->ring_tone, "%s", rt);
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const char *kn = n->kids[i]->name;
        if (strcmp(kn, "Number") && strcmp(kn, "Sip")) {
            amdi_twx_fail(ps, AMD_EINVAL,
                          "<Dial><%s> is not supported by this server (<Number>, <Sip> or a number)", kn);
            return -1;
        }
        if (dial_noun(ps, d, n->kids[i], NULL))
            return -1;
    }
    if (!n->nkids) {
        char *t = amdi_tw_trimmed(&n->text);
        int rc = t ? dial_noun(ps, d, NULL, t) : (amdi_twx_fail(ps, AMD_ENOMEM, "out of memory"), -1);
        free(t);
        if (rc)
            return -1;
    }
    return 0;
}

void amdi_dial_free(amdi_dial *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->nouns[i].target);
        for (size_t k = 0; k < d->nouns[i].nkv * 2; k++)
            free(d->nouns[i].kv[k]);
        free(d->nouns[i].kv);
    }
    free(d->action);
    free(d->method);
    free(d->caller_id);
    free(d->recording_track);
    free(d->trim);
    free(d->rec_cb);
    free(d->rec_cb_method);
    free(d);
}

const char *amdi_dial_noun_get(const amdi_dial_noun *n, const char *name)
{
    for (size_t i = 0; i < n->nkv; i++)
        if (!strcmp(n->kv[2 * i], name))
            return n->kv[2 * i + 1];
    return NULL;
}
