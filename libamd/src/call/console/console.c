/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"
#include "console_assets.h"
#include "console_session.h"
#include "console_tune.h"
#include "form.h"
#include "render.h"
#include "sid.h"
#include "strbuf.h"
#include "twilio_errors.h"

/* No inline script or style, nothing from any other origin (CSP Level 3, W3C). */
#define CSP                                                                                                  \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "          \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
#define CONSOLE_MAX_CONNECTIONS 64
#define CONSOLE_PER_IP 32
#define SSE_KEEPALIVE_MS 15000
#define SSE_POLL_MS 200
#define LOGIN_FAIL_DELAY_US 300000 /* slows down guessing: one connection, one try per 0.3 s */

struct amdi_console {
    amdi_console_config cfg;
    char *bench_program;
    amdi_logger log;
    struct MHD_Daemon *mhd;
    amdi_sessions *sessions;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    pthread_mutex_t tune_mu; /* one tuning run at a time */
    int port;
};

typedef struct creq {
    char *uri; /* raw request target */
    amdi_buf body;
    int too_big, seen;
} creq;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void common_headers(struct MHD_Response *r, int cacheable)
{
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "Cache-Control", cacheable ? "no-cache" : "no-store");
}

static enum MHD_Result send_buf(struct MHD_Connection *con, unsigned status, const char *type, char *body,
                                size_t len, const char *cookie)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body ? body : (void *)"",
                                                             body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    common_headers(r, 0);
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (cookie)
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    enum MHD_Result rc = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *con, unsigned status, int code, const char *msg)
{
    char *b = amdi_error_json((int)status, code, msg);
    return send_buf(con, status, "application/json; charset=utf-8", b, b ? strlen(b) : 0, NULL);
}

static const char *asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && !strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (dot && !strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    if (dot && !strcmp(dot, ".svg"))
        return "image/svg+xml";
    return "text/html; charset=utf-8";
}

static enum MHD_Result send_asset(struct MHD_Connection *con, const char *name)
{
    for (const amdi_asset *a = amdi_console_assets; a->name; a++) {
        if (strcmp(a->name, name))
            continue;
        struct MHD_Response *r =
            MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
        if (!r)
            return MHD_NO;
        common_headers(r, 1);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, asset_type(name));
        enum MHD_Result rc = MHD_queue_response(con, 200, r);
        MHD_destroy_response(r);
        return rc;
    }
    return send_error(con, 404, AMDI_TWERR_NOT_FOUND, "No such console page");
}

/* A change must come from the console's own pages: the browser's Origin (sent on every
 * cross-origin request and every POST) must name this host, and Sec-Fetch-Site, when sent,
 * must say same-origin. */
static int same_origin(struct MHD_Connection *con)
{
    const char *site = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin"))
        return 0;
    const char *origin = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return 1; /* non-browser clients (and old browsers on same-origin GETs) send none */
    const char *host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return 0;
    const char *o = strstr(origin, "://");
    return o && !strcasecmp(o + 3, host);
}

static int session_of(amdi_console *c, struct MHD_Connection *con, char *id, amdi_session_info *info)
{
    const char *ck = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
    if (amdi_cookie_find(ck, AMDI_SESSION_COOKIE, id, AMDI_SESSION_ID_LEN + 1))
        return AMD_ENOTFOUND;
    return amdi_session_find(c->sessions, id, now_ms(), info);
}

static int csrf_ok(struct MHD_Connection *con, const amdi_session_info *info)
{
    const char *t = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-CSRF-Token");
    return t && strlen(t) == AMDI_SESSION_ID_LEN && amdi_secret_equal(t, info->csrf);
}

static char *session_json(const amdi_session_info *info, int tuning)
{
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_buf_printf(&b, "{\"account_sid\":\"%s\",\"csrf_token\":\"%s\",\"tuning\":%s}", info->account, info->csrf,
                    tuning ? "true" : "false");
    return amdi_buf_take(&b);
}

static void cookie_header(amdi_console *c, const char *id, int clear, char *out, size_t n)
{
    snprintf(out, n, "%s=%s; Path=/console/; HttpOnly; SameSite=Strict%s%s", AMDI_SESSION_COOKIE, clear ? "" : id,
             c->cfg.secure_cookie ? "; Secure" : "", clear ? "; Max-Age=0" : "");
}

static enum MHD_Result do_login(amdi_console *c, struct MHD_Connection *con, creq *r)
{
    amdi_form f;
    amdi_form_init(&f);
    if (amdi_form_parse(&f, r->body.p ? r->body.p : "", r->body.len, 8)) {
        amdi_form_free(&f);
        return send_error(con, 400, AMDI_TWERR_INVALID_PARAMETER, "the sign-in form is not valid form data");
    }
    const char *user = amdi_form_get(&f, "Sid"), *pass = amdi_form_get(&f, "Token");
    const char *acct = user && pass ? amdi_api_check(c->cfg.api, user, pass) : NULL;
    char account[35] = "";
    if (acct)
        snprintf(account, sizeof account, "%s", acct);
    amdi_form_free(&f);
    if (!acct) {
        struct timespec d = {0, LOGIN_FAIL_DELAY_US * 1000L};
        nanosleep(&d, NULL);
        amdi_logf(&c->log, AMD_LOG_WARN, "console: refused sign-in");
        return send_error(con, 401, AMDI_TWERR_AUTHENTICATE,
                          "Sign-in refused: use an account SID and its auth token, or an API key SID and its secret");
    }
    char id[AMDI_SESSION_ID_LEN + 1], cookie[200];
    amdi_session_info info;
    if (amdi_session_open(c->sessions, account, now_ms(), id, &info))
        return send_error(con, 500, AMDI_TWERR_INTERNAL, "cannot open a session");
    cookie_header(c, id, 0, cookie, sizeof cookie);
    char *b = session_json(&info, c->bench_program != NULL);
    return send_buf(con, 200, "application/json; charset=utf-8", b, b ? strlen(b) : 0, cookie);
}

/* ------------------------------------------------------------------ live updates (SSE) */

typedef struct sse {
    amdi_console *c;
    char id[AMDI_SESSION_ID_LEN + 1];
    uint64_t last;
    int64_t last_send;
    int started;
} sse;

/* Called on the connection's own thread (one thread per console connection): waits for the
 * next change, so an idle stream costs a sleeping thread, not traffic. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse *s = cls;
    amdi_console *c = s->c;
    if (max < 64)
        return 0;
    if (!s->started) {
        s->started = 1;
        s->last = amdi_calls_change_gen(c->cfg.engine);
        s->last_send = now_ms();
        return snprintf(buf, max, "retry: 2000\nevent: calls\ndata: %llu\n\n", (unsigned long long)s->last);
    }
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int stop = c->stop;
        if (!stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += SSE_POLL_MS * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&c->cv, &c->mu, &ts);
            stop = c->stop;
        }
        pthread_mutex_unlock(&c->mu);
        if (stop)
            return MHD_CONTENT_READER_END_OF_STREAM;
        uint64_t g = amdi_calls_change_gen(c->cfg.engine);
        int64_t now = now_ms();
        if (g != s->last) {
            s->last = g;
            s->last_send = now;
            return snprintf(buf, max, "event: calls\ndata: %llu\n\n", (unsigned long long)g);
        }
        if (now - s->last_send >= SSE_KEEPALIVE_MS) {
            amdi_session_info info;
            if (amdi_session_find(c->sessions, s->id, now, &info))
                return MHD_CONTENT_READER_END_OF_STREAM; /* signed out or expired */
            s->last_send = now;
            return snprintf(buf, max, ": keep-alive\n\n");
        }
    }
}

static enum MHD_Result do_events(amdi_console *c, struct MHD_Connection *con, const char *id)
{
    sse *s = calloc(1, sizeof *s);
    if (!s)
        return MHD_NO;
    s->c = c;
    snprintf(s->id, sizeof s->id, "%s", id);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, sse_read, s, free);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    common_headers(r, 0);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    enum MHD_Result rc = MHD_queue_response(con, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* ------------------------------------------------------------------ the account's API */

static enum MHD_Result send_api(struct MHD_Connection *con, amdi_response *ar)
{
    if (ar->file_path) {
        int fd = open(ar->file_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        amdi_response_free(ar);
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            struct MHD_Response *fr = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
            if (fr) {
                common_headers(fr, 0);
                MHD_add_response_header(fr, MHD_HTTP_HEADER_CONTENT_TYPE, "audio/wav");
                enum MHD_Result rc = MHD_queue_response(con, 200, fr);
                MHD_destroy_response(fr);
                return rc;
            }
        }
        if (fd >= 0)
            close(fd);
        return send_error(con, 404, AMDI_TWERR_NOT_FOUND, "The recording media is not available");
    }
    char *body = ar->body;
    ar->body = NULL;
    enum MHD_Result rc = send_buf(con, (unsigned)(ar->status ? ar->status : 500), ar->content_type, body,
                                  ar->body_len, NULL);
    amdi_response_free(ar);
    return rc;
}

static enum MHD_Result do_api(amdi_console *c, struct MHD_Connection *con, const char *method, const char *rest,
                              const char *query, creq *r, const amdi_session_info *info)
{
    char path[600];
    if (snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/%s", info->account, rest) >= (int)sizeof path)
        return send_error(con, 414, AMDI_TWERR_NOT_FOUND, "path too long");
    amdi_response ar;
    amdi_api_handle(c->cfg.api, method, path, query, r->body.p, r->body.len, NULL, info->account, &ar);
    return send_api(con, &ar);
}

static enum MHD_Result do_tune(amdi_console *c, struct MHD_Connection *con, creq *r, const amdi_session_info *info)
{
    if (!c->bench_program)
        return send_error(con, 501, AMDI_TWERR_INTERNAL, "tuning is not available in this server");
    char spec[96], err[300] = "";
    if (amdi_tune_parse(r->body.p, r->body.len, spec, sizeof spec, err, sizeof err))
        return send_error(con, 400, AMDI_TWERR_INVALID_PARAMETER, err);
    if (pthread_mutex_trylock(&c->tune_mu))
        return send_error(con, 429, AMDI_TWERR_TOO_MANY_REQUESTS, "a tuning run is in progress; try again");
    amdi_buf out;
    amdi_buf_init(&out);
    int rc = amdi_tune_run(c->cfg.api->store, info->account, c->bench_program, spec, &out, err, sizeof err);
    pthread_mutex_unlock(&c->tune_mu);
    if (rc) {
        amdi_buf_free(&out);
        return send_error(con, rc == AMD_ENOTFOUND ? 409 : 500, AMDI_TWERR_INTERNAL, err);
    }
    size_t n = out.len;
    return send_buf(con, 200, "application/json; charset=utf-8", amdi_buf_take(&out), n, NULL);
}

/* ------------------------------------------------------------------ routing */

static enum MHD_Result route(amdi_console *c, struct MHD_Connection *con, const char *method, creq *r)
{
    char *q = strchr(r->uri, '?');
    if (q)
        *q++ = 0;
    const char *p = r->uri;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(p, "/") || !strcmp(p, "/console")) {
        struct MHD_Response *rr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        common_headers(rr, 0);
        MHD_add_response_header(rr, MHD_HTTP_HEADER_LOCATION, "/console/");
        enum MHD_Result rc = MHD_queue_response(con, 302, rr);
        MHD_destroy_response(rr);
        return rc;
    }
    if (strncmp(p, "/console/", 9))
        return send_error(con, 404, AMDI_TWERR_NOT_FOUND, "The console lives at /console/");
    p += 9;
    if (get && (!*p || !strcmp(p, "index.html")))
        return send_asset(con, "index.html");
    if (get && !strncmp(p, "assets/", 7))
        return send_asset(con, p + 7);
    /* every change: from our own pages only */
    if (!get && !same_origin(con))
        return send_error(con, 403, AMDI_TWERR_AUTHENTICATE, "Cross-site request refused");
    if (!strcmp(p, "session") && !strcmp(method, "POST"))
        return do_login(c, con, r);
    char id[AMDI_SESSION_ID_LEN + 1];
    amdi_session_info info;
    if (session_of(c, con, id, &info))
        return send_error(con, 401, AMDI_TWERR_AUTHENTICATE, "Not signed in");
    if (!get && !csrf_ok(con, &info))
        return send_error(con, 403, AMDI_TWERR_AUTHENTICATE, "Missing or wrong CSRF token");
    if (!strcmp(p, "session")) {
        if (get) {
            char *b = session_json(&info, c->bench_program != NULL);
            return send_buf(con, 200, "application/json; charset=utf-8", b, b ? strlen(b) : 0, NULL);
        }
        if (!strcmp(method, "DELETE")) {
            char cookie[200];
            amdi_session_close(c->sessions, id);
            cookie_header(c, id, 1, cookie, sizeof cookie);
            return send_buf(con, 204, NULL, NULL, 0, cookie);
        }
        return send_error(con, 405, AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed");
    }
    if (!strcmp(p, "events") && get)
        return do_events(c, con, id);
    if (!strcmp(p, "tune") && !strcmp(method, "POST"))
        return do_tune(c, con, r, &info);
    if (!strncmp(p, "api/", 4))
        return do_api(c, con, method, p + 4, q, r, &info);
    return send_error(con, 404, AMDI_TWERR_NOT_FOUND, "No such console resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    amdi_console *c = cls;
    (void)url;
    (void)version;
    creq *r = *con_cls;
    if (!r)
        return MHD_NO;
    if (!r->seen) {
        r->seen = 1;
        const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > c->cfg.max_body_bytes)
            r->too_big = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->too_big || r->body.len + *upload_size > c->cfg.max_body_bytes)
            r->too_big = 1;
        else
            amdi_buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big || r->body.oom)
        return send_error(con, 413, AMDI_TWERR_CALLS, "Request body too large");
    return route(c, con, method, r);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    creq *r = calloc(1, sizeof *r);
    if (r && !(r->uri = strdup(uri && strlen(uri) < 8192 ? uri : "/"))) {
        free(r);
        r = NULL;
    }
    if (r)
        amdi_buf_init(&r->body);
    return r;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)con;
    (void)t;
    creq *r = *con_cls;
    if (!r)
        return;
    free(r->uri);
    amdi_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

int amdi_console_start(const amdi_console_config *cfg, amdi_console **out, char *err, size_t errlen)
{
    *out = NULL;
    amdi_console *c = calloc(1, sizeof *c);
    if (!c || !(c->sessions = amdi_sessions_new())) {
        free(c);
        return AMD_ENOMEM;
    }
    c->cfg = *cfg;
    if (cfg->log)
        c->log = *cfg->log;
    if (!c->cfg.max_body_bytes)
        c->cfg.max_body_bytes = 64 * 1024;
    c->bench_program = cfg->bench_program ? strdup(cfg->bench_program) : NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_mutex_init(&c->tune_mu, NULL);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (cfg->addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    c->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, c, MHD_OPTION_SOCK_ADDR, cfg->addr,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, c, MHD_OPTION_NOTIFY_COMPLETED, on_done, c,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONSOLE_MAX_CONNECTIONS,
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONSOLE_PER_IP,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!c->mhd) {
        snprintf(err, errlen, "console: cannot listen (address in use or not available)");
        amdi_console_stop(c);
        return AMD_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(c->mhd, MHD_DAEMON_INFO_BIND_PORT);
    c->port = di ? di->port : 0;
    *out = c;
    return 0;
}

int amdi_console_port(const amdi_console *c)
{
    return c ? c->port : 0;
}

void amdi_console_stop(amdi_console *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->mhd)
        MHD_stop_daemon(c->mhd);
    amdi_sessions_free(c->sessions);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->tune_mu);
    free(c->bench_program);
    free(c);
}
