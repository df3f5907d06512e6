/* SPDX-License-Identifier: MIT */
#include "dialplan.h"

#include "params.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_file.h"
#include "amd/error.h"
#include "media/dtmf_gen.h"

/* Longest far-end recording loaded (10 minutes at 48 kHz) so a bad path cannot eat memory. */
#define MAX_AUDIO_SAMPLES (48000L * 600)

void amdi_dialplan_free(amdi_dialplan *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->routes[i].to);
    for (size_t i = 0; i < d->naudio; i++) {
        free(d->audio[i].path);
        free(d->audio[i].pcm);
    }
    free(d->routes);
    free(d->audio);
    free(d);
}

static int load_audio(amdi_audio *a, const char *path, char *err, size_t errlen)
{
    amdi_audio_file *f;
    char e[256] = "";
    int rc = amdi_audio_file_open(path, NULL, &f, e, sizeof e);
    if (rc) {
        snprintf(err, errlen, "audio %s: %s", path, e[0] ? e : amd_strerror(rc));
        return rc;
    }
    a->rate = amdi_audio_file_info(f)->sample_rate;
    size_t cap = 8000, n = 0;
    float *pcm = malloc(cap * sizeof *pcm);
    for (;;) {
        if (!pcm) {
            amdi_audio_file_close(f);
            return AMD_ENOMEM;
        }
        if (n == cap) {
            if (cap >= (size_t)MAX_AUDIO_SAMPLES) {
                free(pcm);
                amdi_audio_file_close(f);
                snprintf(err, errlen, "audio %s: longer than 10 minutes", path);
                return AMD_ELIMIT;
            }
            float *p = realloc(pcm, cap * 2 * sizeof *pcm);
            if (!p) {
                free(pcm);
                pcm = NULL;
                continue;
            }
            pcm = p;
            cap *= 2;
        }
        long got = amdi_audio_file_read(f, pcm + n, cap - n, e, sizeof e);
        if (got < 0) {
            free(pcm);
            amdi_audio_file_close(f);
            snprintf(err, errlen, "audio %s: %s", path, e[0] ? e : amd_strerror((int)got));
            return (int)got;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    amdi_audio_file_close(f);
    if (a->rate < 8000 || a->rate > 48000) {
        free(pcm);
        snprintf(err, errlen, "audio %s: sample rate %d Hz outside 8000..48000", path, a->rate);
        return AMD_EFORMAT;
    }
    a->pcm = pcm;
    a->n = n;
    return 0;
}

/* Names the first key of @p o that is not in @p known (a typo would otherwise be ignored). */
/* "digits": [{"at_ms": 4000, "keys": "1#"}, ...] */
static int parse_digits(amdi_route *rt, json_t *a, const char *where, char *err, size_t errlen)
{
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > AMDI_ROUTE_MAX_DIGITS) {
        snprintf(err, errlen, "%s: \"digits\" must be an array of at most %d {\"at_ms\", \"keys\"} objects", where,
                 AMDI_ROUTE_MAX_DIGITS);
        return AMD_EFORMAT;
    }
    for (size_t k = 0; k < json_array_size(a); k++) {
        json_t *o = json_array_get(a, k), *at = json_object_get(o, "at_ms"), *keys = json_object_get(o, "keys");
        const char *ks = json_string_value(keys);
        if (!json_is_object(o) || json_object_size(o) != 2 || !json_is_integer(at) || json_integer_value(at) < 0 ||
            json_integer_value(at) > 3600000 || !ks || strlen(ks) > 32 || amdi_dtmf_validate(ks, NULL)) {
            snprintf(err, errlen,
                     "%s: \"digits\" entry %zu must be {\"at_ms\": 0..3600000, \"keys\": up to 32 of 0-9 A-D * # w W}",
                     where, k);
            return AMD_EFORMAT;
        }
        rt->digits[k].at_ms = json_integer_value(at);
        snprintf(rt->digits[k].keys, sizeof rt->digits[k].keys, "%s", ks);
        rt->ndigits = k + 1;
    }
    return 0;
}

static int unknown_key(json_t *o, const char *const *known, const char *where, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (size_t i = 0; known[i]; i++)
            ok |= !strcmp(k, known[i]);
        if (!ok) {
            char list[200] = "";
            for (size_t i = 0; known[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", known[i]);
            snprintf(err, errlen, "%s: unknown key \"%.60s\" (known: %s)", where, k, list);
            return -1;
        }
    }
    return 0;
}

/* A route's "outcome" and "hangup" (an agent answers and talks until hung up). */
static int parse_outcome(amdi_route *rt, json_t *r, const char *where, char *err, size_t errlen)
{
    json_t *oc = json_object_get(r, "outcome");
    if (oc) {
        const char *s = json_string_value(oc);
        static const char *const names[] = {"answer", "busy", "no-answer", "failed", "agent"};
        int found = -1;
        for (int k = 0; s && k < 5; k++)
            if (!strcmp(s, names[k]))
                found = k;
        if (found < 0) {
            snprintf(err, errlen, "%s: \"outcome\" must be answer, busy, no-answer, failed or agent", where);
            return AMD_EFORMAT;
        }
        if (found == AMDI_OUT_AGENT) {
            rt->outcome = AMDI_OUT_ANSWER;
            rt->loop_audio = 1;
            rt->hangup_after_audio = 0;
        } else {
            rt->outcome = (amdi_outcome)found;
        }
    }
    json_t *hu = json_object_get(r, "hangup");
    if (!hu)
        return 0;
    if (rt->loop_audio) {
        snprintf(err, errlen, "%s: an agent talks until hung up (no \"hangup\")", where);
        return AMD_EFORMAT;
    }
    const char *s = json_string_value(hu);
    if (s && !strcmp(s, "never"))
        rt->hangup_after_audio = 0;
    else if (!s || strcmp(s, "after-audio")) {
        snprintf(err, errlen, "%s: \"hangup\" must be after-audio or never", where);
        return AMD_EFORMAT;
    }
    return 0;
}

int amdi_dialplan_parse(const char *json, const char *base_dir, amdi_dialplan **out, char *err, size_t errlen)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "dial plan: JSON error at line %d: %s", je.line, je.text);
        return AMD_EFORMAT;
    }
    json_t *routes = json_object_get(root, "routes");
    static const char *const top_keys[] = {"routes", "comment", NULL};
    if (json_is_object(root) && unknown_key(root, top_keys, "dial plan", err, errlen)) {
        json_decref(root);
        return AMD_EFORMAT;
    }
    if (!json_is_array(routes)) {
        json_decref(root);
        snprintf(err, errlen, "dial plan: expected {\"routes\": [...]}");
        return AMD_EFORMAT;
    }
    amdi_dialplan *d = calloc(1, sizeof *d);
    size_t nr = json_array_size(routes);
    if (!d || (nr && (!(d->routes = calloc(nr, sizeof *d->routes)) || !(d->audio = calloc(nr, sizeof *d->audio))))) {
        json_decref(root);
        amdi_dialplan_free(d);
        return AMD_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < nr && !rc; i++) {
        json_t *r = json_array_get(routes, i);
        amdi_route *rt = &d->routes[i];
        json_t *to = json_object_get(r, "to");
        if (!json_is_object(r) || !json_is_string(to) || !json_string_length(to)) {
            snprintf(err, errlen, "dial plan: route %zu needs a \"to\" string", i);
            rc = AMD_EFORMAT;
            break;
        }
        char where[300];
        snprintf(where, sizeof where, "dial plan: route %zu (%.200s)", i, json_string_value(to));
        static const char *const route_keys[] = {"to",     "audio",  "ring_ms", "pdd_ms", "outcome",
                                                 "hangup", "family", "comment", "digits", NULL};
        if (unknown_key(r, route_keys, where, err, errlen)) {
            rc = AMD_EFORMAT;
            break;
        }
        rt->to = strdup(json_string_value(to));
        if (!rt->to) {
            rc = AMD_ENOMEM;
            break;
        }
        d->n++;
        size_t tl = strlen(rt->to);
        if (rt->to[tl - 1] == '*') {
            rt->prefix = 1;
            rt->to[tl - 1] = 0;
        } else if (!amdi_addr_valid(rt->to)) {
            /* the same rule as a create's To: a name no create can reach is a mistake */
            snprintf(err, errlen,
                     "%s: \"to\" is not a number a call can be created to (E.164 +digits, sip:user@host, "
                     "client:name, sim:HS...; or a prefix ending in '*')",
                     where);
            rc = AMD_EFORMAT;
            break;
        }
        rt->ring_ms = 2000;
        rt->pdd_ms = 200;
        rt->outcome = AMDI_OUT_ANSWER;
        rt->hangup_after_audio = 1;
        const char *ik[2] = {"ring_ms", "pdd_ms"};
        int *iv[2] = {&rt->ring_ms, &rt->pdd_ms};
        for (int k = 0; k < 2; k++) {
            json_t *v = json_object_get(r, ik[k]);
            if (!v)
                continue;
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3600000) {
                snprintf(err, errlen, "dial plan: route %zu (%s): \"%s\" must be an integer 0..3600000", i,
                         json_string_value(to), ik[k]);
                rc = AMD_EFORMAT;
            } else {
                *iv[k] = (int)json_integer_value(v);
            }
        }
        if (!rc)
            rc = parse_outcome(rt, r, where, err, errlen);
        if (!rc)
            rc = parse_digits(rt, json_object_get(r, "digits"), where, err, errlen);
        json_t *au = json_object_get(r, "audio");
        if (!rc && au && !json_is_null(au)) {
            const char *s = json_string_value(au);
            if (!s || !*s) {
                snprintf(err, errlen, "dial plan: route %zu (%s): \"audio\" must be a path", i, json_string_value(to));
                rc = AMD_EFORMAT;
                break;
            }
            char path[4096];
            if (s[0] == '/' || !base_dir || !*base_dir)
                snprintf(path, sizeof path, "%s", s);
            else
                snprintf(path, sizeof path, "%s/%s", base_dir, s);
            const amdi_audio *found = NULL;
            for (size_t k = 0; k < d->naudio; k++)
                if (!strcmp(d->audio[k].path, path))
                    found = &d->audio[k];
            if (!found) {
                amdi_audio *a = &d->audio[d->naudio];
                if (!(a->path = strdup(path))) {
                    rc = AMD_ENOMEM;
                    break;
                }
                d->naudio++;
                if ((rc = load_audio(a, path, err, errlen)))
                    break;
                found = a;
            }
            rt->audio = found;
        }
    }
    json_decref(root);
    if (rc) {
        amdi_dialplan_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int amdi_dialplan_load(const char *path, amdi_dialplan **out, char *err, size_t errlen)
{
    if (!path)
        return amdi_dialplan_parse("{\"routes\": []}", NULL, out, err, errlen);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "dial plan %s: cannot open", path);
        return AMD_ENOTFOUND;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap >= (1u << 24)) { /* 16 MiB of JSON is not a dial plan */
            free(buf);
            fclose(f);
            snprintf(err, errlen, "dial plan %s: larger than 16 MiB", path);
            return AMD_ELIMIT;
        }
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (!buf)
        return AMD_ENOMEM;
    buf[n] = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    int rc = amdi_dialplan_parse(buf, dir, out, err, errlen);
    free(buf);
    return rc;
}

const amdi_route *amdi_dialplan_match(const amdi_dialplan *d, const char *to)
{
    for (size_t i = 0; d && i < d->n; i++) {
        const amdi_route *r = &d->routes[i];
        if (r->prefix ? !strncmp(to, r->to, strlen(r->to)) : !strcmp(to, r->to))
            return r;
    }
    return NULL;
}
