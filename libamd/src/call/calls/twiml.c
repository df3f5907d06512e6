/* SPDX-License-Identifier: MIT */
#include "twiml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "strbuf.h"

/* ---- a minimal XML tree: elements, attributes, text; no DTDs, no namespaces ---- */

typedef struct xattr {
    char *name, *value;
} xattr;

typedef struct xnode {
    char *name;
    xattr *attrs;
    size_t nattrs;
    amdi_buf text;
    struct xnode **kids;
    size_t nkids;
} xnode;

typedef struct parser {
    const char *p, *end;
    char *err;
    size_t errlen;
    int rc;
    size_t nodes;
} parser;

static void xfree(xnode *n)
{
    if (!n)
        return;
    free(n->name);
    for (size_t i = 0; i < n->nattrs; i++) {
        free(n->attrs[i].name);
        free(n->attrs[i].value);
    }
    free(n->attrs);
    amdi_buf_free(&n->text);
    for (size_t i = 0; i < n->nkids; i++)
        xfree(n->kids[i]);
    free(n->kids);
    free(n);
}

static void fail(parser *ps, int rc, const char *fmt, ...)
{
    if (ps->rc)
        return;
    ps->rc = rc;
    if (ps->err && ps->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errlen, fmt, ap);
        va_end(ap);
    }
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && isspace((unsigned char)*ps->p))
        ps->p++;
}

static int starts(parser *ps, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

/* Skip "<?...?>", "<!--...-->" and "<!DOCTYPE ...>" (no internal subsets). 1 if skipped. */
static int skip_misc(parser *ps)
{
    const char *close = NULL;
    if (starts(ps, "<?"))
        close = "?>";
    else if (starts(ps, "<!--"))
        close = "-->";
    else if (starts(ps, "<!DOCTYPE"))
        close = ">";
    else
        return 0;
    size_t cl = strlen(close);
    for (const char *q = ps->p + 2; q + cl <= ps->end; q++) {
        if (memcmp(q, close, cl) == 0) {
            ps->p = q + cl;
            return 1;
        }
        if (*close == '>' && *q == '[') {
            fail(ps, AMD_EFORMAT, "DOCTYPE internal subsets are not allowed");
            return 0;
        }
    }
    fail(ps, AMD_EFORMAT, "unterminated %s", close[0] == '?' ? "processing instruction" : "comment");
    return 0;
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static char *read_name(parser *ps)
{
    const char *s = ps->p;
    if (s >= ps->end || !(isalpha((unsigned char)*s) || *s == '_')) {
        fail(ps, AMD_EFORMAT, "expected a name at offset %ld", (long)(ps->end - ps->p));
        return NULL;
    }
    while (ps->p < ps->end && is_name_char((unsigned char)*ps->p))
        ps->p++;
    char *n = strndup(s, (size_t)(ps->p - s));
    if (!n)
        fail(ps, AMD_ENOMEM, "out of memory");
    return n;
}

/* Append [s, e) to @p b decoding the five predefined entities and character references. */
static void decode_text(parser *ps, amdi_buf *b, const char *s, const char *e)
{
    while (s < e) {
        if (*s != '&') {
            const char *amp = memchr(s, '&', (size_t)(e - s));
            const char *stop = amp ? amp : e;
            amdi_buf_append(b, s, (size_t)(stop - s));
            s = stop;
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(e - s));
        if (!semi || semi - s > 10) {
            fail(ps, AMD_EFORMAT, "bad entity reference");
            return;
        }
        size_t n = (size_t)(semi - s - 1);
        const char *ent = s + 1;
        if (n == 2 && !memcmp(ent, "lt", 2))
            amdi_buf_putc(b, '<');
        else if (n == 2 && !memcmp(ent, "gt", 2))
            amdi_buf_putc(b, '>');
        else if (n == 3 && !memcmp(ent, "amp", 3))
            amdi_buf_putc(b, '&');
        else if (n == 4 && !memcmp(ent, "quot", 4))
            amdi_buf_putc(b, '"');
        else if (n == 4 && !memcmp(ent, "apos", 4))
            amdi_buf_putc(b, '\'');
        else if (n >= 2 && ent[0] == '#') {
            char tmp[12];
            memcpy(tmp, ent + 1, n - 1);
            tmp[n - 1] = 0;
            char *endp;
            unsigned long cp = (tmp[0] == 'x' || tmp[0] == 'X') ? strtoul(tmp + 1, &endp, 16)
                                                                : strtoul(tmp, &endp, 10);
            if (*endp || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                fail(ps, AMD_EFORMAT, "bad character reference");
                return;
            }
            char u[4];
            size_t ul;
            if (cp < 0x80) {
                u[0] = (char)cp;
                ul = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | (cp >> 6));
                u[1] = (char)(0x80 | (cp & 63));
                ul = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | (cp >> 12));
                u[1] = (char)(0x80 | ((cp >> 6) & 63));
                u[2] = (char)(0x80 | (cp & 63));
                ul = 3;
            } else {
                u[0] = (char)(0xF0 | (cp >> 18));
                u[1] = (char)(0x80 | ((cp >> 12) & 63));
                u[2] = (char)(0x80 | ((cp >> 6) & 63));
                u[3] = (char)(0x80 | (cp & 63));
                ul = 4;
            }
            amdi_buf_append(b, u, ul);
        } else {
            fail(ps, AMD_EFORMAT, "unknown entity &%.*s;", (int)n, ent);
            return;
        }
        s = semi + 1;
    }
}

/* One attribute (name="value") of element @p n, at its name. 0, or -1 (ps->rc says why). */
static int parse_attr(parser *ps, xnode *n)
{
    char *an = read_name(ps);
    if (!an)
        return -1;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '=') {
        free(an);
        fail(ps, AMD_EFORMAT, "attribute without value in <%s>", n->name);
        return -1;
    }
    ps->p++;
    skip_ws(ps);
    if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'')) {
        free(an);
        fail(ps, AMD_EFORMAT, "unquoted attribute value in <%s>", n->name);
        return -1;
    }
    char q = *ps->p++;
    const char *vs = ps->p;
    while (ps->p < ps->end && *ps->p != q) {
        if (*ps->p == '<') {
            free(an);
            fail(ps, AMD_EFORMAT, "'<' in attribute value");
            return -1;
        }
        ps->p++;
    }
    if (ps->p >= ps->end) {
        free(an);
        fail(ps, AMD_EFORMAT, "unterminated attribute value");
        return -1;
    }
    amdi_buf v;
    amdi_buf_init(&v);
    decode_text(ps, &v, vs, ps->p);
    ps->p++;
    xattr *na = realloc(n->attrs, (n->nattrs + 1) * sizeof *na);
    char *vv = amdi_buf_take(&v);
    if (!na || !vv || ps->rc) {
        if (na)
            n->attrs = na;
        free(an);
        free(vv);
        fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    n->attrs = na;
    n->attrs[n->nattrs].name = an;
    n->attrs[n->nattrs].value = vv;
    n->nattrs++;
    return 0;
}

static xnode *parse_element(parser *ps, int depth)
{
    if (depth > AMDI_TWIML_MAX_DEPTH) {
        fail(ps, AMD_ELIMIT, "elements nested deeper than %d", AMDI_TWIML_MAX_DEPTH);
        return NULL;
    }
    if (++ps->nodes > 4 * AMDI_TWIML_MAX_VERBS) {
        fail(ps, AMD_ELIMIT, "too many elements");
        return NULL;
    }
    /* at '<' */
    ps->p++;
    xnode *n = calloc(1, sizeof *n);
    if (!n) {
        fail(ps, AMD_ENOMEM, "out of memory");
        return NULL;
    }
    if (!(n->name = read_name(ps)))
        goto bad;
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end) {
            fail(ps, AMD_EFORMAT, "unterminated <%s>", n->name);
            goto bad;
        }
        if (*ps->p == '/') {
            if (ps->p + 1 >= ps->end || ps->p[1] != '>') {
                fail(ps, AMD_EFORMAT, "bad empty-element tag <%s/", n->name);
                goto bad;
            }
            ps->p += 2;
            return n;
        }
        if (*ps->p == '>') {
            ps->p++;
            break;
        }
        if (parse_attr(ps, n))
            goto bad;
    }
    /* content */
    for (;;) {
        if (ps->p >= ps->end) {
            fail(ps, AMD_EFORMAT, "missing </%s>", n->name);
            goto bad;
        }
        if (*ps->p != '<') {
            const char *s = ps->p;
            while (ps->p < ps->end && *ps->p != '<')
                ps->p++;
            decode_text(ps, &n->text, s, ps->p);
            if (ps->rc)
                goto bad;
            continue;
        }
        if (starts(ps, "<![CDATA[")) {
            const char *s = ps->p + 9;
            const char *e = s;
            while (e + 3 <= ps->end && memcmp(e, "]]>", 3) != 0)
                e++;
            if (e + 3 > ps->end) {
                fail(ps, AMD_EFORMAT, "unterminated CDATA");
                goto bad;
            }
            amdi_buf_append(&n->text, s, (size_t)(e - s));
            ps->p = e + 3;
            continue;
        }
        if (starts(ps, "<!--") || starts(ps, "<?")) {
            if (!skip_misc(ps))
                goto bad;
            continue;
        }
        if (starts(ps, "</")) {
            ps->p += 2;
            size_t nl = strlen(n->name);
            if ((size_t)(ps->end - ps->p) < nl || memcmp(ps->p, n->name, nl) != 0 ||
                (ps->p + nl < ps->end && is_name_char((unsigned char)ps->p[nl]))) {
                fail(ps, AMD_EFORMAT, "mismatched end tag for <%s>", n->name);
                goto bad;
            }
            ps->p += nl;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != '>') {
                fail(ps, AMD_EFORMAT, "bad end tag </%s", n->name);
                goto bad;
            }
            ps->p++;
            return n;
        }
        xnode *k = parse_element(ps, depth + 1);
        if (!k)
            goto bad;
        xnode **nk = realloc(n->kids, (n->nkids + 1) * sizeof *nk);
        if (!nk) {
            xfree(k);
            fail(ps, AMD_ENOMEM, "out of memory");
            goto bad;
        }
        n->kids = nk;
        n->kids[n->nkids++] = k;
    }
bad:
    xfree(n);
    return NULL;
}

static const char *attr(const xnode *n, const char *name)
{
    for (size_t i = 0; i < n->nattrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    return NULL;
}

static char *trimmed(const amdi_buf *b)
{
    const char *s = b->p ? b->p : "";
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static int int_attr(parser *ps, const xnode *n, const char *name, int def, int lo, int hi, int *out)
{
    const char *v = attr(n, name);
    if (!v) {
        *out = def;
        return 0;
    }
    char *e;
    long x = strtol(v, &e, 10);
    if (e == v || *e || x < lo || x > hi) {
        fail(ps, AMD_EINVAL, "<%s %s=\"%s\">: expected an integer %d..%d", n->name, name, v, lo, hi);
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
    const char *s = attr(n, name);
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
    const char *s = attr(n, name);
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
    const char *m = attr(n, name);
    if (m && strcasecmp(m, "GET") && strcasecmp(m, "POST"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<%s %s=\"%.40s\">: expected GET or POST; POST used", n->name, name, m);
    return strdup(m && !strcasecmp(m, "GET") ? "GET" : "POST");
}

/* <Gather>'s own attributes (https://www.twilio.com/docs/voice/twiml/gather). Speech input is
 * not recognised: input="speech" gathers DTMF and says so. */
static int gather_attrs(amdi_verb *v, const xnode *n)
{
    v->kind = AMDI_TW_GATHER;
    const char *in = attr(n, "input");
    if (in && strcmp(in, "dtmf"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<Gather input=\"%.40s\">: speech recognition is not supported; DTMF collected", in);
    const char *a = attr(n, "action");
    v->action = a ? strdup(a) : NULL;
    v->method = method_attr(v, n, "method");
    v->timeout_s = int_attr_warn(v, n, "timeout", 5, 0, 3600, AMDI_TWERR_GATHER_TIMEOUT);
    const char *fk = attr(n, "finishOnKey");
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
static int record_attrs(amdi_verb *v, const xnode *n)
{
    v->kind = AMDI_TW_RECORD;
    const char *a = attr(n, "action");
    v->action = a ? strdup(a) : NULL;
    v->method = method_attr(v, n, "method");
    v->timeout_s = int_attr_warn(v, n, "timeout", 5, 0, 3600, AMDI_TWERR_RECORD_TIMEOUT);
    v->max_length_s = int_attr_warn(v, n, "maxLength", 3600, 2, 14400, AMDI_TWERR_RECORD_MAX_LENGTH);
    const char *fk = attr(n, "finishOnKey");
    snprintf(v->finish_on_key, sizeof v->finish_on_key, "1234567890*#");
    if (fk && strlen(fk) < sizeof v->finish_on_key && strspn(fk, "0123456789#*") == strlen(fk))
        snprintf(v->finish_on_key, sizeof v->finish_on_key, "%s", fk);
    else if (fk)
        verb_warn(v, AMDI_TWERR_RECORD_FINISH_KEY, "<Record finishOnKey=\"%.40s\">: expected keys of 0-9 # *", fk);
    v->play_beep = bool_attr_warn(v, n, "playBeep", 1, AMDI_ERR_SCHEMA);
    const char *tr = attr(n, "trim");
    v->trim = !tr || strcmp(tr, "do-not-trim");
    if (tr && strcmp(tr, "trim-silence") && strcmp(tr, "do-not-trim"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<Record trim=\"%.40s\">: expected trim-silence or do-not-trim", tr);
    if (bool_attr_warn(v, n, "transcribe", 0, AMDI_ERR_SCHEMA) || attr(n, "transcribeCallback"))
        verb_warn(v, AMDI_ERR_SCHEMA, "<Record transcribe>: transcription is not supported; recorded without");
    const char *cb = attr(n, "recordingStatusCallback");
    v->rs_callback = cb && *cb ? strdup(cb) : NULL;
    v->rs_method = method_attr(v, n, "recordingStatusCallbackMethod");
    v->rs_events = 2;
    const char *ev = attr(n, "recordingStatusCallbackEvent");
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

/* ---- <Dial> (https://www.twilio.com/docs/voice/twiml/dial, .../number, .../sip) ---- */

static int dial_bool_attr(parser *ps, const xnode *n, const char *name, int *out)
{
    const char *v = attr(n, name);
    *out = 0;
    if (!v)
        return 0;
    if (!strcasecmp(v, "true") || !strcasecmp(v, "false")) {
        *out = !strcasecmp(v, "true");
        return 0;
    }
    fail(ps, AMD_EINVAL, "<%s %s=\"%s\">: expected true or false", n->name, name, v);
    return -1;
}

static int dial_method_attr(parser *ps, const xnode *n, const char *name, char **out)
{
    const char *m = attr(n, name);
    if (m && strcasecmp(m, "GET") && strcasecmp(m, "POST")) {
        fail(ps, AMD_EINVAL, "<%s %s=\"%s\">: expected GET or POST", n->name, name, m);
        return -1;
    }
    *out = strdup(m && !strcasecmp(m, "GET") ? "GET" : "POST");
    if (!*out)
        fail(ps, AMD_ENOMEM, "out of memory");
    return *out ? 0 : -1;
}

static int dup_attr(parser *ps, const xnode *n, const char *name, char **out)
{
    const char *v = attr(n, name);
    *out = NULL;
    if (!v || !*v)
        return 0;
    if (!(*out = strdup(v)))
        fail(ps, AMD_ENOMEM, "out of memory");
    return *out ? 0 : -1;
}

/* Twilio's ringTone values (https://www.twilio.com/docs/voice/twiml/dial#ringtone). */
static const char *const k_ring_tones[] = {"at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee",
                                           "es", "fi", "fr", "gr", "hu", "il", "in", "it", "lt", "jp", "mx", "my",
                                           "nl", "no", "nz", "ph", "pl", "pt", "ru", "se", "sg", "th", "uk", "us",
                                           "us-old", "tw", "ve", "za", NULL};

static int dial_record_attrs(parser *ps, const xnode *n, amdi_dial *d)
{
    const char *r = attr(n, "record");
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
        fail(ps, AMD_EINVAL, "<Dial record=\"%s\">: expected do-not-record, record-from-answer, record-from-ringing, "
                             "record-from-answer-dual or record-from-ringing-dual", r);
        return -1;
    }
    const char *tr = attr(n, "recordingTrack");
    if (tr && strcmp(tr, "inbound") && strcmp(tr, "outbound") && strcmp(tr, "both")) {
        fail(ps, AMD_EINVAL, "<Dial recordingTrack=\"%s\">: expected inbound, outbound or both", tr);
        return -1;
    }
    const char *tm = attr(n, "trim");
    if (tm && strcmp(tm, "trim-silence") && strcmp(tm, "do-not-trim")) {
        fail(ps, AMD_EINVAL, "<Dial trim=\"%s\">: expected trim-silence or do-not-trim", tm);
        return -1;
    }
    d->recording_track = strdup(tr ? tr : "both");
    d->trim = strdup(tm ? tm : "do-not-trim");
    if (!d->recording_track || !d->trim || dup_attr(ps, n, "recordingStatusCallback", &d->rec_cb) ||
        dial_method_attr(ps, n, "recordingStatusCallbackMethod", &d->rec_cb_method)) {
        fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    const char *ev = attr(n, "recordingStatusCallbackEvent");
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
                fail(ps, AMD_EINVAL, "<Dial recordingStatusCallbackEvent=\"%s\">: expected in-progress, completed, absent", ev);
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
        fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    dn->kv = kv;
    kv[dn->nkv * 2] = strdup(k);
    kv[dn->nkv * 2 + 1] = strdup(v);
    dn->nkv++;
    if (!kv[dn->nkv * 2 - 2] || !kv[dn->nkv * 2 - 1]) {
        fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* One <Number> / <Sip> (or the bare number, @p n NULL with @p text). */
static int dial_noun(parser *ps, amdi_dial *d, const xnode *n, const char *text)
{
    if (d->n >= AMDI_DIAL_MAX_NOUNS) {
        fail(ps, AMD_EINVAL, "<Dial> rings at most %d numbers at once", AMDI_DIAL_MAX_NOUNS);
        return -1;
    }
    amdi_dial_noun *dn = &d->nouns[d->n++];
    dn->sip = n && !strcmp(n->name, "Sip");
    dn->target = n ? trimmed(&n->text) : strdup(text);
    if (!dn->target) {
        fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    if (!*dn->target) {
        fail(ps, AMD_EINVAL, "<%s> needs a %s", n ? n->name : "Dial", dn->sip ? "SIP URI" : "number");
        return -1;
    }
    if (dn->sip && strncasecmp(dn->target, "sip:", 4)) {
        fail(ps, AMD_EINVAL, "<Sip>%.80s</Sip>: expected a sip: URI", dn->target);
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

static int parse_dial(parser *ps, const xnode *n, amdi_verb *v)
{
    amdi_dial *d = calloc(1, sizeof *d);
    if (!d) {
        fail(ps, AMD_ENOMEM, "out of memory");
        return -1;
    }
    v->kind = AMDI_TW_DIAL;
    v->dial = d;
    if (int_attr(ps, n, "timeout", 30, 1, 600, &d->timeout_s) ||
        int_attr(ps, n, "timeLimit", 14400, 1, 86400, &d->time_limit_s) || dup_attr(ps, n, "action", &d->action) ||
        dial_method_attr(ps, n, "method", &d->method) || dup_attr(ps, n, "callerId", &d->caller_id) ||
        dial_bool_attr(ps, n, "hangupOnStar", &d->hangup_on_star) ||
        dial_bool_attr(ps, n, "answerOnBridge", &d->answer_on_bridge) || dial_record_attrs(ps, n, d))
        return -1;
    const char *rt = attr(n, "ringTone");
    if (rt) {
        int ok = 0;
        for (int i = 0; k_ring_tones[i]; i++)
            ok |= !strcmp(rt, k_ring_tones[i]);
        if (!ok) {
            fail(ps, AMD_EINVAL, "<Dial ringTone=\"%.20s\">: not one of Twilio's ringTone country codes", rt);
            return -1;
        }
        snprintf(d->ring_tone, sizeof d->ring_tone, "%s", rt);
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const char *kn = n->kids[i]->name;
        if (strcmp(kn, "Number") && strcmp(kn, "Sip")) {
            fail(ps, AMD_EINVAL, "<Dial><%s> is not supported by this server (<Number>, <Sip> or a number)", kn);
            return -1;
        }
        if (dial_noun(ps, d, n->kids[i], NULL))
            return -1;
    }
    if (!n->nkids) {
        char *t = trimmed(&n->text);
        int rc = t ? dial_noun(ps, d, NULL, t) : (fail(ps, AMD_ENOMEM, "out of memory"), -1);
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
        fail(ps, AMD_ELIMIT, "more than %d verbs", AMDI_TWIML_MAX_VERBS);
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
        if (gather_attrs(&v, n)) {
            verb_free(&v);
            fail(ps, AMD_ENOMEM, "out of memory");
            return -1;
        }
        t->v[t->n++] = v;
        for (size_t i = 0; i < n->nkids; i++) {
            const char *kn = n->kids[i]->name;
            if (strcmp(kn, "Say") && strcmp(kn, "Play") && strcmp(kn, "Pause")) {
                fail(ps, AMD_EINVAL, "<%s> is not allowed inside <Gather>", kn);
                return -1;
            }
            if (add_verb(ps, t, n->kids[i], 1))
                return -1;
        }
        t->v[at].n_nested = t->n - at - 1;
        return 0;
    }
    if (!strcmp(nm, "Record") && !in_gather) {
        if (record_attrs(&v, n)) {
            verb_free(&v);
            fail(ps, AMD_ENOMEM, "out of memory");
            return -1;
        }
    } else if (!strcmp(nm, "Say") || !strcmp(nm, "Play")) {
        v.kind = nm[0] == 'S' ? AMDI_TW_SAY : AMDI_TW_PLAY;
        if (int_attr(ps, n, "loop", 1, 0, 1000, &v.loop))
            return -1;
        v.text = trimmed(&n->text);
        if (v.kind == AMDI_TW_SAY) { /* resolved when spoken (media/tts_voices.h): warnings, never errors */
            if (attr(n, "voice"))
                v.voice = strdup(attr(n, "voice"));
            if (attr(n, "language"))
                v.language = strdup(attr(n, "language"));
        }
        /* checked when played: Twilio warns (13430) and skips the verb, the call goes on */
        if (v.kind == AMDI_TW_PLAY && attr(n, "digits"))
            v.digits = strdup(attr(n, "digits"));
    } else if (!strcmp(nm, "Pause")) {
        v.kind = AMDI_TW_PAUSE;
        /* Twilio caps a single Pause; 1..600 s keeps test calls bounded too. */
        if (int_attr(ps, n, "length", 1, 0, 600, &v.length_s))
            return -1;
    } else if (!strcmp(nm, "Hangup")) {
        v.kind = AMDI_TW_HANGUP;
    } else if (!strcmp(nm, "Reject")) {
        v.kind = AMDI_TW_REJECT;
        const char *r = attr(n, "reason");
        if (r && strcmp(r, "rejected") && strcmp(r, "busy")) {
            fail(ps, AMD_EINVAL, "<Reject reason=\"%s\">: expected rejected or busy", r);
            return -1;
        }
        v.reason = strdup(r ? r : "rejected");
    } else if (!strcmp(nm, "Redirect")) {
        v.kind = AMDI_TW_REDIRECT;
        const char *m = attr(n, "method");
        if (m && strcasecmp(m, "GET") && strcasecmp(m, "POST")) {
            fail(ps, AMD_EINVAL, "<Redirect method=\"%s\">: expected GET or POST", m);
            return -1;
        }
        v.method = strdup(m && !strcasecmp(m, "GET") ? "GET" : "POST");
        v.text = trimmed(&n->text);
        if (v.text && !*v.text) {
            free(v.text);
            free(v.method);
            fail(ps, AMD_EINVAL, "<Redirect> needs a URL");
            return -1;
        }
    } else if (!strcmp(nm, "Dial") && !in_gather) {
        if (parse_dial(ps, n, &v)) {
            amdi_dial_free(v.dial);
            return -1;
        }
    } else {
        int known = 0;
        for (int i = 0; k_skipped[i]; i++)
            known |= !strcmp(nm, k_skipped[i]);
        if (!known || in_gather) {
            fail(ps, AMD_EINVAL, "<%s> is not a TwiML verb", nm);
            return -1;
        }
        v.kind = AMDI_TW_SKIPPED;
    }
    if ((v.kind == AMDI_TW_SAY || v.kind == AMDI_TW_PLAY || v.kind == AMDI_TW_REDIRECT) && !v.text) {
        fail(ps, AMD_ENOMEM, "out of memory");
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
        fail(&ps, AMD_ELIMIT, "TwiML document larger than %d bytes", AMDI_TWIML_MAX_BYTES);
        return ps.rc;
    }
    if (memchr(xml, 0, len)) {
        fail(&ps, AMD_EFORMAT, "NUL byte in document");
        return ps.rc;
    }
    if (len >= 3 && (unsigned char)xml[0] == 0xEF && (unsigned char)xml[1] == 0xBB &&
        (unsigned char)xml[2] == 0xBF)
        ps.p += 3;
    for (;;) {
        skip_ws(&ps);
        if (!skip_misc(&ps))
            break;
    }
    if (ps.rc)
        return ps.rc;
    if (ps.p >= ps.end || *ps.p != '<') {
        fail(&ps, AMD_EFORMAT, len ? "document does not start with an element" : "empty document");
        return ps.rc;
    }
    xnode *root = parse_element(&ps, 0);
    if (!root)
        return ps.rc ? ps.rc : AMD_EFORMAT;
    for (;;) {
        skip_ws(&ps);
        if (ps.p >= ps.end || !skip_misc(&ps))
            break;
    }
    if (!ps.rc && ps.p < ps.end)
        fail(&ps, AMD_EFORMAT, "content after the root element");
    if (!ps.rc && strcmp(root->name, "Response") != 0)
        fail(&ps, AMD_EINVAL, "root element is <%s>, expected <Response>", root->name);
    amdi_twiml *t = NULL;
    if (!ps.rc) {
        t = calloc(1, sizeof *t);
        if (t)
            t->v = calloc(AMDI_TWIML_MAX_VERBS, sizeof *t->v);
        if (!t || !t->v)
            fail(&ps, AMD_ENOMEM, "out of memory");
        for (size_t i = 0; !ps.rc && i < root->nkids; i++)
            add_verb(&ps, t, root->kids[i], 0);
    }
    xfree(root);
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
