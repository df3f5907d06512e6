/* SPDX-License-Identifier: MIT */
/* amd_server's request routing: the request target checked before libmicrohttpd parses it,
 * the body read within max_body_bytes, /health and /ready for a load balancer, and everything
 * else to the REST API (rest.h). */
#include "server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "render.h"
#include "strbuf.h"

/* Per-request state, created by the URI-log callback so that the raw (still encoded) URI
 * is available: MHD would otherwise hand us a decoded path and decoded arguments. */
typedef struct req {
    char *uri;
    amdi_buf body;
    int too_big;
    size_t discarded; /* body bytes thrown away after too_big */
    int seen;
} req;

void *amdi_server_on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    amd_server *s = cls;
    if (!uri)
        uri = "/";
    size_t n = strlen(uri), amps = 0;
    for (const char *c = uri; *c; c++)
        amps += *c == '&';
    if (n > AMDI_MAX_URI) {
        char msg[96];
        snprintf(msg, sizeof msg, "The request URI is %zu bytes long; the limit is %d", n, AMDI_MAX_URI);
        amdi_server_refuse_early(con, 414, "URI Too Long", msg);
        amdi_server_log(s, AMD_LOG_DEBUG, "refused a request URI over the length limit (414)");
        return NULL;
    }
    if (amps >= AMDI_FORM_MAX_ITEMS) {
        char msg[96];
        snprintf(msg, sizeof msg, "The query has more than %d parameters", AMDI_FORM_MAX_ITEMS);
        amdi_server_refuse_early(con, 414, "URI Too Long", msg);
        amdi_server_log(s, AMD_LOG_DEBUG, "refused a query with too many parameters (414)");
        return NULL;
    }
    req *r = calloc(1, sizeof *r);
    if (r)
        r->uri = strdup(uri);
    return r;
}

void amdi_server_on_done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    req *r = *con_cls;
    amdi_server_conn_wait(cls, con, 1); /* keep-alive: the next request's deadline starts now */
    if (!r)
        return;
    free(r->uri);
    amdi_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* For a load balancer, without credentials (they tell nothing about any account): /health,
 * 200 while the process serves HTTP; /ready, 200 when it also reaches its database and the
 * store takes changes (else 503: send new requests elsewhere). */
static amdi_response *health(amd_server *s, int ready, amdi_response *ar)
{
    int ok = 1;
    char why[200] = "";
    if (ready) {
        int64_t v;
        if (!s->started) {
            ok = 0;
            snprintf(why, sizeof why, "starting");
        } else if (amdi_store_meta_get(s->api_store, "schema_version", &v) == AMD_EIO) {
            ok = 0;
            amdi_store_last_error(s->api_store, why, sizeof why);
        } else if (amdi_calls_store_failing(s->engine, why, sizeof why)) {
            ok = 0;
        }
    }
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_buf_printf(&b, "{\"status\": \"%s\", \"instance\": \"%s\"", ok ? "ok" : "unavailable", s->instance);
    if (!ok) {
        amdi_buf_puts(&b, ", \"reason\": \"");
        for (const char *p = why; *p; p++) /* JSON string: no quotes, backslashes or controls */
            amdi_buf_putc(&b, *p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ? ' ' : *p);
        amdi_buf_puts(&b, "\"");
    }
    amdi_buf_puts(&b, "}\n");
    ar->status = ok ? 200 : 503;
    ar->content_type = "application/json; charset=utf-8";
    ar->body = b.oom ? NULL : amdi_buf_take(&b);
    amdi_buf_free(&b);
    ar->body_len = ar->body ? strlen(ar->body) : 0;
    return ar;
}

enum MHD_Result amdi_server_on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                       const char *version, const char *upload, size_t *upload_size,
                                       void **con_cls)
{
    amd_server *s = cls;
    (void)url;
    (void)version;
    req *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->seen) {
        r->seen = 1;
        /* a declared body over the limit is refused before it is read (bodies are
         * bounded: max_body_bytes), instead of waiting for gigabytes that will be thrown away */
        const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!cl || strtoull(cl, NULL, 10) <= s->cfg.max_body_bytes)
            return MHD_YES;
        r->too_big = 1;
    } else if (*upload_size) {
        /* past the limit (chunked, no length): discard to the end, then 413 (MHD cannot answer
         * mid-upload); a sender that goes on past 16 times the limit is cut off */
        if (r->body.len + *upload_size > s->cfg.max_body_bytes) {
            r->too_big = 1;
            r->discarded += *upload_size;
            if (r->discarded > 16 * s->cfg.max_body_bytes)
                return MHD_NO;
        } else {
            amdi_buf_append(&r->body, upload, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    amdi_server_conn_wait(s, con, 0); /* the whole request is in: the deadline no longer applies */
    amdi_response ar;
    memset(&ar, 0, sizeof ar);
    if (r->too_big || r->body.oom) {
        char msg[96];
        snprintf(msg, sizeof msg, "Request body larger than %zu bytes", s->cfg.max_body_bytes);
        amdi_response_error(&ar, 413, AMDI_TWERR_CALLS, msg);
        return amdi_server_send_response(con, &ar);
    }
    char *q = strchr(r->uri, '?');
    if (q)
        *q++ = 0;
    if (!strcmp(method, "GET") && (!strcmp(r->uri, "/health") || !strcmp(r->uri, "/ready")))
        return amdi_server_send_response(con, health(s, !strcmp(r->uri, "/ready"), &ar));
    const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    /* No credentials at all: answer 401 without touching anything else. */
    amdi_api_handle(&s->api, method, r->uri, q, r->body.p, r->body.len, auth ? auth : "", NULL, &ar);
    return amdi_server_send_response(con, &ar);
}
