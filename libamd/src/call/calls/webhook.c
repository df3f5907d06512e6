/* SPDX-License-Identifier: MIT */
#include "webhook.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amd/error.h"
#include "cache_control.h"
#include "net_policy.h"
#include "signature.h"
#include "strbuf.h"

/* Upper bound on queued requests so that a dead target cannot grow memory without limit. */
#define MAX_QUEUED 200000

typedef struct job {
    amdi_hook_tag tag;
    char *url;
    char *body; /* POST body or NULL */
    int post;
    char sig[29];
    CURL *easy;
    struct curl_slist *hdrs;
    amdi_buf resp;
    int too_big;
    char refused[160]; /* why the destination policy refused an address ("" if it did not) */
    const amdi_net_policy *policy;
    size_t max;
    int64_t max_age_ms; /* Cache-Control of the response (amdi_hook_result) */
    int64_t t0;
    struct acct_q *q;
    struct job *next;
} job;

/* One account's waiting requests, in the order queued, and how many it has in flight. */
typedef struct acct_q {
    char account[35];
    job *head, *tail;
    int inflight;
} acct_q;

struct amdi_hooks {
    amdi_hooks_config cfg;
    pthread_t thr;
    pthread_mutex_t mu;
    CURLM *multi;
    int stop;
    acct_q **qs; /* every account that ever sent; served round-robin from qs[rr] */
    size_t nq, rr;
    size_t queued;
    job **inflight;
    int ninflight;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_free(job *j)
{
    if (!j)
        return;
    if (j->easy)
        curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->hdrs);
    amdi_buf_free(&j->resp);
    free(j->url);
    free(j->body);
    free(j);
}

static size_t on_write(char *p, size_t sz, size_t n, void *user)
{
    job *j = user;
    (void)sz;
    if (j->resp.len + n > j->max) {
        j->too_big = 1;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    amdi_buf_append(&j->resp, p, n);
    return n;
}

/* Cache-Control of the final response (cache_control.h). */
static size_t on_header(char *p, size_t sz, size_t n, void *user)
{
    job *j = user;
    size_t len = sz * n;
    if (len > 5 && !strncasecmp(p, "HTTP/", 5)) {
        j->max_age_ms = -1; /* a new response (after a redirect): forget the previous one's */
        return len;
    }
    static const char name[] = "cache-control:";
    if (len >= sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
        size_t k = len - (sizeof name - 1);
        while (k && (p[sizeof name - 1 + k - 1] == '\r' || p[sizeof name - 1 + k - 1] == '\n'))
            k--;
        int64_t a = amdi_cache_control_max_age_ms(p + sizeof name - 1, k);
        if (a >= 0 && (j->max_age_ms < 0 || a < j->max_age_ms))
            j->max_age_ms = a; /* several Cache-Control lines: the strictest */
    }
    return len;
}

/* Every socket curl opens for a request: check the address it is for, before connect(). */
static curl_socket_t open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
    job *j = user;
    (void)purpose;
    char why[120];
    if (amdi_net_policy_check(j->policy, &a->addr, a->addrlen, why, sizeof why)) {
        snprintf(j->refused, sizeof j->refused, "destination refused by policy: %s", why);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static int start_job(amdi_hooks *h, job *j)
{
    j->easy = curl_easy_init();
    if (!j->easy)
        return AMD_ENOMEM;
    CURL *e = j->easy;
    char hdr[64];
    snprintf(hdr, sizeof hdr, "X-Twilio-Signature: %s", j->sig);
    j->hdrs = curl_slist_append(j->hdrs, hdr);
    j->hdrs = curl_slist_append(j->hdrs, "User-Agent: TwilioProxy/1.1");
    j->hdrs = curl_slist_append(j->hdrs, "Accept: */*");
    j->hdrs = curl_slist_append(j->hdrs, "Expect:");
    if (j->post)
        j->hdrs = curl_slist_append(j->hdrs, "Content-Type: application/x-www-form-urlencoded; charset=UTF-8");
    curl_easy_setopt(e, CURLOPT_URL, j->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->cfg.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)h->cfg.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L); /* Twilio follows at most 10 (its 11215 beyond) */
    j->policy = h->cfg.policy;
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* no proxy from the environment: check the destination */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    j->max_age_ms = -1;
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    if (j->post) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body ? j->body : "");
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    j->t0 = mono_ms();
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
        return AMD_EINTERNAL;
    return 0;
}

static int lane_busy(amdi_hooks *h, const amdi_hook_tag *t)
{
    for (int i = 0; i < h->ninflight; i++)
        if (h->inflight[i]->tag.lane == t->lane && !strcmp(h->inflight[i]->tag.call_sid, t->call_sid))
            return 1;
    return 0;
}


static void finish(amdi_hooks *h, job *j, CURLcode code)
{
    amdi_hook_result r;
    memset(&r, 0, sizeof r);
    long st = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &st);
    char *ct = NULL;
    curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct);
    r.transport_ok = code == CURLE_OK;
    r.http_status = r.transport_ok ? st : 0;
    r.body = j->resp.p ? j->resp.p : "";
    r.body_len = j->resp.len;
    r.content_type = ct;
    if (!r.transport_ok)
        snprintf(r.error, sizeof r.error, "%s",
                 j->too_big ? "response body too large" : j->refused[0] && code == CURLE_COULDNT_CONNECT ? j->refused
                                                                                : curl_easy_strerror(code));
    r.too_many_redirects = code == CURLE_TOO_MANY_REDIRECTS;
    r.duration_ms = mono_ms() - j->t0;
    r.method = j->post ? "POST" : "GET";
    r.url = j->url;
    r.request_body = j->body;
    r.max_age_ms = j->max_age_ms;
    if (h->cfg.done)
        h->cfg.done(h->cfg.user, &j->tag, &r);
}

/* Start the first request of @p q that may start (its call's lane idle), if the account is
 * under its in-flight cap. Scans a bounded stretch so one busy call cannot make every round
 * O(queue). FIFO per lane holds without more bookkeeping: a request is only ever skipped
 * because its lane is in flight, and then every later request of that lane is skipped too.
 * Called and returns with h->mu held (drops it around a failed start's callback). */
static int start_from(amdi_hooks *h, acct_q *q)
{
    if (q->inflight >= h->cfg.max_inflight_per_account)
        return 0;
    job *prev = NULL, *j = q->head;
    for (int scanned = 0; j && scanned < 4 * h->cfg.max_inflight_per_account; scanned++) {
        if (lane_busy(h, &j->tag)) {
            prev = j;
            j = j->next;
            continue;
        }
        if (prev)
            prev->next = j->next;
        else
            q->head = j->next;
        if (q->tail == j)
            q->tail = prev;
        h->queued--;
        j->next = NULL;
        if (start_job(h, j)) {
            pthread_mutex_unlock(&h->mu);
            finish(h, j, CURLE_FAILED_INIT);
            job_free(j);
            pthread_mutex_lock(&h->mu);
            return 1;
        }
        h->inflight[h->ninflight++] = j;
        q->inflight++;
        return 1;
    }
    return 0;
}

/* Fill free transfer slots one request per account per round, round-robin across accounts,
 * so that an account with many slow or dead webhooks holds at most its cap of slots and
 * every other account's requests still start at once. */
static void schedule(amdi_hooks *h)
{
    int progress = 1;
    while (progress && h->ninflight < h->cfg.max_inflight && h->queued) {
        progress = 0;
        for (size_t k = 0; k < h->nq && h->ninflight < h->cfg.max_inflight; k++)
            progress |= start_from(h, h->qs[(h->rr + k) % h->nq]);
        if (h->nq)
            h->rr = (h->rr + 1) % h->nq;
    }
}

static void *run(void *arg)
{
    amdi_hooks *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        if (h->stop) {
            pthread_mutex_unlock(&h->mu);
            break;
        }
        schedule(h);
        pthread_mutex_unlock(&h->mu);

        int running = 0;
        curl_multi_perform(h->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            job *dj = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&dj);
            CURLcode code = m->data.result;
            curl_multi_remove_handle(h->multi, m->easy_handle);
            pthread_mutex_lock(&h->mu);
            for (int i = 0; i < h->ninflight; i++)
                if (h->inflight[i] == dj) {
                    h->inflight[i] = h->inflight[--h->ninflight];
                    dj->q->inflight--;
                    break;
                }
            pthread_mutex_unlock(&h->mu);
            finish(h, dj, code);
            job_free(dj);
        }
        curl_multi_poll(h->multi, NULL, 0, 100, NULL);
    }
    return NULL;
}

int amdi_hooks_create(const amdi_hooks_config *cfg, amdi_hooks **out)
{
    *out = NULL;
    amdi_hooks *h = calloc(1, sizeof *h);
    if (!h)
        return AMD_ENOMEM;
    h->cfg = *cfg;
    if (h->cfg.max_inflight <= 0 || h->cfg.max_inflight > AMDI_HOOKS_MAX_INFLIGHT)
        h->cfg.max_inflight = AMDI_HOOKS_MAX_INFLIGHT;
    if (h->cfg.max_inflight_per_account <= 0)
        h->cfg.max_inflight_per_account = 64;
    if (h->cfg.max_inflight_per_account > h->cfg.max_inflight)
        h->cfg.max_inflight_per_account = h->cfg.max_inflight;
    if (h->cfg.timeout_ms <= 0)
        h->cfg.timeout_ms = 15000;
    if (h->cfg.max_response == 0)
        h->cfg.max_response = 64 * 1024;
    if (h->cfg.connect_timeout_ms <= 0)
        h->cfg.connect_timeout_ms = 5000;
    h->inflight = calloc((size_t)h->cfg.max_inflight, sizeof *h->inflight);
    h->multi = curl_multi_init();
    if (!h->inflight || !h->multi) {
        free(h->inflight);
        if (h->multi)
            curl_multi_cleanup(h->multi);
        free(h);
        return AMD_ENOMEM;
    }
    pthread_mutex_init(&h->mu, NULL);
    if (pthread_create(&h->thr, NULL, run, h)) {
        curl_multi_cleanup(h->multi);
        pthread_mutex_destroy(&h->mu);
        free(h->inflight);
        free(h);
        return AMD_ENOMEM;
    }
    *out = h;
    return 0;
}

void amdi_hooks_destroy(amdi_hooks *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_mutex_unlock(&h->mu);
    curl_multi_wakeup(h->multi);
    pthread_join(h->thr, NULL);
    for (int i = 0; i < h->ninflight; i++) {
        curl_multi_remove_handle(h->multi, h->inflight[i]->easy);
        job_free(h->inflight[i]);
    }
    for (size_t i = 0; i < h->nq; i++) {
        for (job *j = h->qs[i]->head; j;) {
            job *n = j->next;
            job_free(j);
            j = n;
        }
        free(h->qs[i]);
    }
    free(h->qs);
    curl_multi_cleanup(h->multi);
    pthread_mutex_destroy(&h->mu);
    free(h->inflight);
    free(h);
}

int amdi_hooks_send(amdi_hooks *h, const amdi_hook_tag *tag, const char *url, const char *method,
                    const amdi_form *params, const char *auth_token)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return AMD_ENOMEM;
    j->tag = *tag;
    j->max = tag->max_response ? tag->max_response : h->cfg.max_response;
    j->post = !method || strcmp(method, "GET") != 0;
    amdi_buf u, b;
    amdi_buf_init(&u);
    amdi_buf_init(&b);
    amdi_buf_puts(&u, url);
    if (params && params->n)
        amdi_form_encode(params, &b);
    int rc = 0;
    if (j->post) {
        j->body = amdi_buf_take(&b);
        j->url = amdi_buf_take(&u);
        if (!j->body || !j->url || amdi_twilio_signature(auth_token, j->url, params, j->sig))
            rc = AMD_ENOMEM;
    } else {
        /* GET: parameters go into the query, and the signature covers the whole URL. */
        if (b.len) {
            const char *hash = strchr(url, '#');
            if (hash) { /* a fragment never goes on the wire */
                u.len = (size_t)(hash - url);
                u.p[u.len] = 0;
            }
            char sep = '?';
            if (strchr(u.p, '?'))
                sep = (u.p[u.len - 1] == '?' || u.p[u.len - 1] == '&') ? 0 : '&';
            if (sep)
                amdi_buf_putc(&u, sep);
            amdi_buf_append(&u, b.p, b.len);
        }
        amdi_buf_free(&b);
        j->url = amdi_buf_take(&u);
        if (!j->url || amdi_twilio_signature(auth_token, j->url, NULL, j->sig))
            rc = AMD_ENOMEM;
    }
    if (rc) {
        job_free(j);
        return rc;
    }
    pthread_mutex_lock(&h->mu);
    if (h->queued >= MAX_QUEUED) {
        pthread_mutex_unlock(&h->mu);
        job_free(j);
        return AMD_ELIMIT;
    }
    acct_q *q = NULL;
    for (size_t i = 0; i < h->nq && !q; i++)
        if (!strcmp(h->qs[i]->account, tag->account))
            q = h->qs[i];
    if (!q) {
        acct_q **nqs = realloc(h->qs, (h->nq + 1) * sizeof *nqs);
        q = nqs ? calloc(1, sizeof *q) : NULL;
        if (nqs)
            h->qs = nqs;
        if (!q) {
            pthread_mutex_unlock(&h->mu);
            job_free(j);
            return AMD_ENOMEM;
        }
        snprintf(q->account, sizeof q->account, "%s", tag->account);
        h->qs[h->nq++] = q;
    }
    j->q = q;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    h->queued++;
    pthread_mutex_unlock(&h->mu);
    curl_multi_wakeup(h->multi);
    return 0;
}

size_t amdi_hooks_drop(amdi_hooks *h, amdi_hooks_drop_fn drop, void *user)
{
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->nq; i++) {
        acct_q *q = h->qs[i];
        job *prev = NULL;
        for (job *j = q->head, *nx; j; j = nx) {
            nx = j->next;
            if (!drop(user, j->tag.call_sid)) {
                prev = j;
                continue;
            }
            if (prev)
                prev->next = nx;
            else
                q->head = nx;
            if (q->tail == j)
                q->tail = prev;
            h->queued--;
            job_free(j);
            n++;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return n;
}

size_t amdi_hooks_pending(amdi_hooks *h)
{
    pthread_mutex_lock(&h->mu);
    size_t n = h->queued + (size_t)h->ninflight;
    pthread_mutex_unlock(&h->mu);
    return n;
}
