/* SPDX-License-Identifier: MIT */
/* The TwiML executor: fetching a call's instructions (Url, <Redirect>, FallbackUrl) and
 * running their verbs on the media clock. */
#include "calls_internal.h"

#include <stdio.h>
#include <strings.h>

#include "amd/error.h"
#include "strbuf.h"

/* Resolve @p ref against @p base (absolute refs as they are; "/x" against the origin;
 * otherwise against the base's directory). Caller frees. */
char *amdi_url_resolve(const char *base, const char *ref)
{
    if (!ref)
        return NULL;
    if (!strncasecmp(ref, "http://", 7) || !strncasecmp(ref, "https://", 8) || !base)
        return strdup(ref);
    amdi_buf b;
    amdi_buf_init(&b);
    const char *scheme_end = strstr(base, "://");
    const char *host = scheme_end ? scheme_end + 3 : base;
    const char *path = strchr(host, '/');
    if (ref[0] == '/') {
        amdi_buf_append(&b, base, path ? (size_t)(path - base) : strlen(base));
        amdi_buf_puts(&b, ref);
    } else {
        size_t keep = strlen(base);
        const char *q = strpbrk(host, "?#");
        if (q)
            keep = (size_t)(q - base);
        if (path && path < base + keep) {
            const char *last = base + keep;
            while (last > path && last[-1] != '/')
                last--;
            amdi_buf_append(&b, base, (size_t)(last - base));
        } else {
            amdi_buf_append(&b, base, keep);
            amdi_buf_putc(&b, '/');
        }
        amdi_buf_puts(&b, ref);
    }
    return amdi_buf_take(&b);
}

void amdi_calls_fetch_url(amdi_calls *e, live *c, int kind, const char *url, const char *method, const amdi_form *extra)
{
    if (++c->fetches > MAX_TWIML_FETCHES) {
        char msg[160];
        snprintf(msg, sizeof msg, "more than %d TwiML documents fetched on this call (a <Redirect> loop?); call ended",
                 MAX_TWIML_FETCHES);
        amdi_calls_fail(e, c, ERR_TOO_MANY_REDIRECTS, msg);
        amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
        return;
    }
    amdi_form f;
    amdi_form_init(&f);
    amdi_calls_base_params(e, c, &f, "in-progress");
    for (size_t i = 0; extra && i < extra->n; i++)
        amdi_form_add(&f, extra->items[i].key, extra->items[i].val);
    c->gen++;
    c->fetching = 1;
    set_str(&c->doc_url, url);
    amdi_calls_send_hook(e, c, kind, url, method, &f);
    amdi_form_free(&f);
}

/* TwiML failed (fetch error or invalid document): Fallback once, else end with the error. */
void amdi_calls_instructions_failed(amdi_calls *e, live *c, int kind, int code, const char *msg, const char *failed_url)
{
    amdi_calls_fail(e, c, code, msg);
    if (kind != K_FALLBACK && c->fallback_url) {
        amdi_form ex;
        amdi_form_init(&ex);
        char num[16];
        snprintf(num, sizeof num, "%d", code);
        amdi_form_add(&ex, "ErrorCode", num);
        if (failed_url)
            amdi_form_add(&ex, "ErrorUrl", failed_url);
        amdi_calls_fetch_url(e, c, K_FALLBACK, c->fallback_url, c->fallback_method, &ex);
        amdi_form_free(&ex);
        return;
    }
    amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
}

void amdi_calls_load_doc(amdi_calls *e, live *c, int kind, const char *xml, size_t len, const char *src_url)
{
    amdi_twiml *t = NULL;
    char err[200];
    int rc = amdi_twiml_parse(xml, len, &t, err, sizeof err);
    if (rc) {
        int code = rc == AMD_EINVAL ? AMDI_ERR_SCHEMA : AMDI_ERR_DOCUMENT_PARSE;
        char msg[260];
        snprintf(msg, sizeof msg, "invalid TwiML: %s", err);
        amdi_calls_instructions_failed(e, c, kind, code, msg, src_url);
        return;
    }
    amdi_twiml_free(c->doc);
    c->doc = t;
    c->pc = 0;
    c->in_verb = 0;
}

/* Start (or restart, on update) the call's instructions: inline Twiml or the Url. */
void amdi_calls_start_instructions(amdi_calls *e, live *c, const amdi_form *extra)
{
    amdi_calls_dial_abort(e, c); /* a redirect ends a <Dial> in progress, without its action */
    c->started = 1;
    c->gen++; /* any response still in flight is now stale */
    c->fetching = 0;
    amdi_twiml_free(c->doc);
    c->doc = NULL;
    if (c->twiml) {
        amdi_calls_load_doc(e, c, K_URL, c->twiml, strlen(c->twiml), NULL);
        return;
    }
    amdi_calls_fetch_url(e, c, K_URL, c->url, c->method, extra);
}

void amdi_calls_run_twiml(amdi_calls *e, live *c)
{
    for (int guard = 0; guard < AMDI_TWIML_MAX_VERBS + 2; guard++) {
        if (c->fsm.phase != AMDI_CS_ANSWERED || !c->doc || c->fetching || c->dialing)
            return;
        if (c->in_verb) {
            if (e->now < c->verb_until)
                return;
            c->in_verb = 0;
            c->pc++;
            continue;
        }
        if (c->pc >= c->doc->n && c->dial_child) { /* the whisper is over: bridge the child */
            amdi_calls_dial_child_ready(e, c);
            return;
        }
        if (c->pc >= c->doc->n) { /* instructions ran out: the call completes */
            amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
            return;
        }
        const amdi_verb *v = &c->doc->v[c->pc];
        switch (v->kind) {
        case AMDI_TW_SAY:
        case AMDI_TW_PLAY:
        case AMDI_TW_PAUSE:
            c->in_verb = 1;
            c->verb_until = e->now + amdi_verb_duration_ms(v);
            break;
        case AMDI_TW_HANGUP:
        case AMDI_TW_REJECT:
            amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
            return;
        case AMDI_TW_REDIRECT: {
            char *u = amdi_url_resolve(c->doc_url ? c->doc_url : c->url, v->text);
            char *m = xstrdup(v->method);
            if (!u || !m) {
                free(u);
                free(m);
                amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_BROKEN, NULL);
                return;
            }
            amdi_twiml_free(c->doc);
            c->doc = NULL;
            amdi_calls_fetch_url(e, c, K_URL, u, m, NULL);
            free(u);
            free(m);
            return;
        }
        case AMDI_TW_DIAL:
            if (c->dial_child) { /* Twilio 13201: <Dial> is not allowed in whisper TwiML */
                amdi_calls_fail(e, c, AMDI_TWERR_DIAL_IN_WHISPER, "<Dial> is not allowed in a <Number url> whisper");
                amdi_calls_input(e, c, AMDI_CI_INSTRUCTIONS_END, NULL);
                return;
            }
            amdi_calls_dial_begin(e, c, v);
            return;
        case AMDI_TW_SKIPPED: {
            char msg[80];
            snprintf(msg, sizeof msg, "<%s> is not supported by this server; skipped", v->name);
            amdi_calls_event_error(e, c->rec.sid, AMDI_ERR_SCHEMA, msg);
            c->pc++;
            break;
        }
        }
    }
}
