/* SPDX-License-Identifier: MIT */
/* TwiML documents: the verb table that turns a parsed <Response> into the verb program. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "strbuf.h"
#include "twiml_internal.h"

static const char *const k_skipped[] = {"Enqueue", "Leave", "Sms", "Message",
                                        "Start", "Stop", "Connect", "Pay", "Prompt", "Refer",
                                        "Echo", "Queue", NULL};

static void verb_free(amdi_verb *v)
{
    free(v->text);
    free(v->method);
    free(v->reason);
    free(v->digits);
    free(v->action);
    free(v->rs_callback);
    free(v->rs_method);
    free(v->warn);
    free(v->voice);
    free(v->language);
    amdi_dial_free(v->dial);
}

static int add_verb(parser *ps, amdi_twiml *t, const xnode *n, int in_gather)
{
    if (t->n >= AMDI_TWIML_MAX_VERBS) {
        amdi_twx_fail(ps, AMD_ELIMIT, "more than %d verbs", AMDI_TWIML_MAX_VERBS);
        return -1;
    }
    amdi_verb v;
    memset(&v, 0, sizeof v);
    snprintf(v.name, sizeof v.name, "%s", n->name);
    v.loop = 1;
    v.length_s = 1;
    const char *nm = n->name;
    v.in_gather = in_gather;
    if (!strcmp(nm, "Gather") && !in_gather) {
        size_t at = t->n;
        if (amdi_tw_gather_attrs(&v, n)) {
            verb_free(&v);
            amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
            return -1;
        }
        t->v[t->n++] = v;
        for (size_t i = 0; i < n->nkids; i++) {
            const char *kn = n->kids[i]->name;
            if (strcmp(kn, "Say") && strcmp(kn, "Play") && strcmp(kn, "Pause")) {
                amdi_twx_fail(ps, AMD_EINVAL, "<%s> is not allowed inside <Gather>", kn);
                return -1;
            }
            if (add_verb(ps, t, n->kids[i], 1))
                return -1;
        }
        t->v[at].n_nested = t->n - at - 1;
        return 0;
    }
    if (!strcmp(nm, "Record") && !in_gather) {
        if (amdi_tw_record_attrs(&v, n)) {
            verb_free(&v);
            amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
            return -1;
        }
    } else if (!strcmp(nm, "Say") || !strcmp(nm, "Play")) {
        v.kind = nm[0] == 'S' ? AMDI_TW_SAY : AMDI_TW_PLAY;
        if (amdi_tw_int_attr(ps, n, "loop", 1, 0, 1000, &v.loop))
            return -1;
        v.text = amdi_tw_trimmed(&n->text);
        if (v.kind == AMDI_TW_SAY) { /* resolved when spoken (media/tts_voices.h): warnings, never errors */
            if (amdi_tw_attr(n, "voice"))
                v.voice = strdup(amdi_tw_attr(n, "voice"));
            if (amdi_tw_attr(n, "language"))
                v.language = strdup(amdi_tw_attr(n, "language"));
        }
        /* checked when played: Twilio warns (13430) and skips the verb, the call goes on */
        if (v.kind == AMDI_TW_PLAY && amdi_tw_attr(n, "digits"))
            v.digits = strdup(amdi_tw_attr(n, "digits"));
    } else if (!strcmp(nm, "Pause")) {
        v.kind = AMDI_TW_PAUSE;
        /* Twilio caps a single Pause; 1..600 s keeps test calls bounded too. */
        if (amdi_tw_int_attr(ps, n, "length", 1, 0, 600, &v.length_s))
            return -1;
    } else if (!strcmp(nm, "Hangup")) {
        v.kind = AMDI_TW_HANGUP;
    } else if (!strcmp(nm, "Reject")) {
        v.kind = AMDI_TW_REJECT;
        const char *r = amdi_tw_attr(n, "reason");
        if (r && strcmp(r, "rejected") && strcmp(r, "busy")) {
            amdi_twx_fail(ps, AMD_EINVAL, "<Reject reason=\"%s\">: expected rejected or busy", r);
            return -1;
        }
        v.reason = strdup(r ? r : "rejected");
    } else if (!strcmp(nm, "Redirect")) {
        v.kind = AMDI_TW_REDIRECT;
        const char *m = amdi_tw_attr(n, "method");
        if (m && strcasecmp(m, "GET") && strcasecmp(m, "POST")) {
            amdi_twx_fail(ps, AMD_EINVAL, "<Redirect method=\"%s\">: expected GET or POST", m);
            return -1;
        }
        v.method = strdup(m && !strcasecmp(m, "GET") ? "GET" : "POST");
        v.text = amdi_tw_trimmed(&n->text);
        if (v.text && !*v.text) {
            free(v.text);
            free(v.method);
            amdi_twx_fail(ps, AMD_EINVAL, "<Redirect> needs a URL");
            return -1;
        }
    } else if (!strcmp(nm, "Dial") && !in_gather) {
        if (amdi_tw_parse_dial(ps, n, &v)) {
            amdi_dial_free(v.dial);
            return -1;
        }
    } else {
        int known = 0;
        for (int i = 0; k_skipped[i]; i++)
            known |= !strcmp(nm, k_skipped[i]);
        if (!known || in_gather) {
            amdi_twx_fail(ps, AMD_EINVAL, "<%s> is not a TwiML verb", nm);
            return -1;
        }
        v.kind = AMDI_TW_SKIPPED;
    }
    if ((v.kind == AMDI_TW_SAY || v.kind == AMDI_TW_PLAY || v.kind == AMDI_TW_REDIRECT) && !v.text) {
        amdi_twx_fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    t->v[t->n++] = v;
    return 0;
}

void amdi_twiml_free(amdi_twiml *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        verb_free(&t->v[i]);
    free(t->v);
    free(t);
}

int amdi_twiml_parse(const char *xml, size_t len, amdi_twiml **out, char *err, size_t errlen)
{
    if (!xml || !out)
        return AMD_EINVAL;
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    parser ps = {xml, xml + len, err, errlen, 0, 0};
    if (len > AMDI_TWIML_MAX_BYTES) {
        amdi_twx_fail(&ps, AMD_ELIMIT, "TwiML document larger than %d bytes", AMDI_TWIML_MAX_BYTES);
        return ps.rc;
    }
    if (memchr(xml, 0, len)) {
        amdi_twx_fail(&ps, AMD_EFORMAT, "NUL byte in document");
        return ps.rc;
    }
    if (len >= 3 && (unsigned char)xml[0] == 0xEF && (unsigned char)xml[1] == 0xBB &&
        (unsigned char)xml[2] == 0xBF)
        ps.p += 3;
    for (;;) {
        amdi_twx_skip_ws(&ps);
        if (!amdi_twx_skip_misc(&ps))
            break;
    }
    if (ps.rc)
        return ps.rc;
    if (ps.p >= ps.end || *ps.p != '<') {
        amdi_twx_fail(&ps, AMD_EFORMAT, len ? "document does not start with an element" : "empty document");
        return ps.rc;
    }
    xnode *root = amdi_twx_parse_element(&ps, 0);
    if (!root)
        return ps.rc ? ps.rc : AMD_EFORMAT;
    for (;;) {
        amdi_twx_skip_ws(&ps);
        if (ps.p >= ps.end || !amdi_twx_skip_misc(&ps))
            break;
    }
    if (!ps.rc && ps.p < ps.end)
        amdi_twx_fail(&ps, AMD_EFORMAT, "content after the root element");
    if (!ps.rc && strcmp(root->name, "Response") != 0)
        amdi_twx_fail(&ps, AMD_EINVAL, "root element is <%s>, expected <Response>", root->name);
    amdi_twiml *t = NULL;
    if (!ps.rc) {
        t = calloc(1, sizeof *t);
        if (t)
            t->v = calloc(AMDI_TWIML_MAX_VERBS, sizeof *t->v);
        if (!t || !t->v)
            amdi_twx_fail(&ps, AMD_ENOMEM, "out of memory");
        for (size_t i = 0; !ps.rc && i < root->nkids; i++)
            add_verb(&ps, t, root->kids[i], 0);
    }
    amdi_twx_free(root);
    if (ps.rc) {
        amdi_twiml_free(t);
        return ps.rc;
    }
    *out = t;
    return 0;
}

int64_t amdi_verb_duration_ms(const amdi_verb *v)
{
    int64_t loops = v->loop == 0 ? 1000 : v->loop;
    switch (v->kind) {
    case AMDI_TW_SAY: {
        int64_t ms = (int64_t)strlen(v->text ? v->text : "") * 65;
        return loops * (ms < 500 ? 500 : ms);
    }
    case AMDI_TW_PLAY:
        if (v->digits) {
            int64_t ms = 0;
            for (const char *c = v->digits; *c; c++)
                ms += *c == 'W' ? 1000 : 500; /* Twilio: w = 0.5 s pause, W = 1 s */
            return loops * ms;
        }
        return loops * 2000;
    case AMDI_TW_PAUSE:
        return (int64_t)v->length_s * 1000;
    default:
        return 0;
    }
}
