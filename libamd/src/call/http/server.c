/* SPDX-License-Identifier: MIT */
/* amd_server: the libmicrohttpd face of the Calls API, and the C API of call.h. */
#define _GNU_SOURCE /* F_OFD_SETLK: a database lock owned by the server object, not the process */
#include "amd/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amd/call.h"
#include "dialplan.h"
#include "calls.h"
#include "console.h"
#include "net_policy.h"
#include "params.h"
#include "render.h"
#include "rest.h"
#include "sid.h"
#include "sim.h"
#include "sip_driver.h"
#include "store.h"
#include "store_cluster.h"
#include "strbuf.h"
#include "webhook.h"

struct amd_server {
    amd_server_config cfg;
    char *listen, *db_path, *public_url, *recordings_dir;
    amdi_store *api_store, *eng_store;
    amdi_store *cl_store; /* PostgreSQL: the cluster thread's connection; NULL with SQLite */
    char instance[64];
    char db_shown[256];   /* the database name for messages (no password) */
    amdi_dialplan *plan;
    amdi_calls *engine;
    amdi_api api;
    amdi_api_account *accounts;
    size_t naccounts, cap_accounts;
    char new_sid[35], new_token[65];
    int created_account;
    struct MHD_Daemon *mhd;
    int port;
    int started;
    int lock_fd; /* holds a write lock on <db>.lock: one server per database */
    amdi_net_policy policy; /* where outgoing requests may connect (outlives the engine) */
    amdi_api_key *keys;
    size_t nkeys;
    /* open connections, for the whole-request deadline (see the reaper below) */
    pthread_mutex_t conn_mu;
    struct conn *conns;
    pthread_t reaper;
    int reaper_on, reaper_stop;
    pthread_cond_t reaper_cv;
    amdi_console *console;
    char *console_listen, *console_bench;
    amdi_logger console_log;
};

/* One open TCP connection. A request (its headers and its body) must arrive within
 * request_timeout_s of the moment the connection opened or the previous response was sent:
 * libmicrohttpd's own timeout is an idle timeout, which a client sending one byte now and
 * then never hits (the "slowloris" attack). */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    int receiving;     /* waiting for (more of) a request */
    int64_t start_ms;  /* when that wait began (monotonic) */
} conn;

/* Per-request state, created by the URI-log callback so that the raw (still encoded) URI
 * is available: MHD would otherwise hand us a decoded path and decoded arguments. */
typedef struct req {
    char *uri;
    amdi_buf body;
    int too_big;
    size_t discarded; /* body bytes thrown away after too_big */
    int seen;
} req;

/* HTTP limits. The global cap is 1,000 connections (below the usual 1,024 descriptors a
 * process gets, minus the database and webhook sockets); one address gets at most 64 of them
 * by default, so a single client cannot fill it. */
#define AMDI_MAX_CONNECTIONS 1000
#define AMDI_DEFAULT_CONN_PER_IP 64
#define AMDI_DEFAULT_REQUEST_TIMEOUT_S 10
#define AMDI_DEFAULT_MAX_QUEUED 50000L
/* Longest request target (path + query) served; RFC 9112 §3 recommends supporting at least
 * 8,000 octets. */
#define AMDI_MAX_URI 8192

void amd_server_config_init(amd_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = AMD_SERVER_CONFIG_VERSION;
    cfg->listen = "127.0.0.1:8080";
    cfg->db_path = "amd-serve.db";
    cfg->cps = 1;
    cfg->clock_speed = 1;
    cfg->max_body_bytes = 64 * 1024;
    cfg->webhook_timeout_ms = 15000;
    cfg->http_threads = 2;
    cfg->log_level = AMD_LOG_INFO;
    cfg->max_connections_per_ip = AMDI_DEFAULT_CONN_PER_IP;
    cfg->request_timeout_s = AMDI_DEFAULT_REQUEST_TIMEOUT_S;
    cfg->max_queued_per_account = AMDI_DEFAULT_MAX_QUEUED;
    cfg->webhook_inflight_per_account = 64;
}

static void slog(amd_server *s, amd_log_level lv, const char *msg)
{
    if (s->cfg.log_fn && lv <= s->cfg.log_level)
        s->cfg.log_fn(s->cfg.log_user, lv, msg);
}

static void collect_account(void *user, const char *sid, const char *token)
{
    amd_server *s = user;
    if (s->naccounts == s->cap_accounts) {
        size_t cap = s->cap_accounts ? s->cap_accounts * 2 : 8;
        amdi_api_account *na = realloc(s->accounts, cap * sizeof *na);
        if (!na)
            return;
        s->accounts = na;
        s->cap_accounts = cap;
    }
    snprintf(s->accounts[s->naccounts].sid, 35, "%s", sid);
    snprintf(s->accounts[s->naccounts].token, 65, "%s", token);
    s->naccounts++;
}

static int token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 1 || n > 64)
        return 0;
    for (; *t; t++)
        if ((unsigned char)*t <= ' ' || (unsigned char)*t >= 0x7f)
            return 0;
    return 1;
}

int amd_server_create(const amd_server_config *cfg, amd_server **out, char *err, size_t errlen)
{
    if (cfg && cfg->version == AMD_SERVER_CONFIG_VERSION && cfg->sip_listen && *cfg->sip_listen) {
        /* the SIP driver: real calls run on real time only */
        if (cfg->clock_speed != 1) {
            snprintf(err, errlen, "clock_speed: must be 1 with the SIP driver (real calls run in real time)");
            return AMD_EINVAL;
        }
        amdi_sip_config sc;
        memset(&sc, 0, sizeof sc);
        sc.listen = cfg->sip_listen;
        sc.trunk = cfg->sip_trunk;
        sc.log_fn = cfg->log_fn;
        sc.log_user = cfg->log_user;
        sc.log_level = cfg->log_level;
        sc.media_priority = cfg->media_priority;
        char user[128] = "", pass[128] = "";
        if (cfg->sip_auth && *cfg->sip_auth) {
            const char *colon = strchr(cfg->sip_auth, ':');
            size_t ul = colon ? (size_t)(colon - cfg->sip_auth) : 0;
            if (!colon || ul == 0 || ul >= sizeof user || strlen(colon + 1) >= sizeof pass) {
                snprintf(err, errlen, "sip_auth: expected user:password");
                return AMD_EINVAL;
            }
            memcpy(user, cfg->sip_auth, ul);
            snprintf(pass, sizeof pass, "%s", colon + 1);
            sc.auth_user = user;
            sc.auth_pass = pass;
        }
        amdi_driver drv;
        int rc = amdi_sip_driver_create(&sc, &drv, err, errlen);
        if (rc)
            return rc;
        return amdi_server_create_with(cfg, &drv, out, err, errlen);
    }
    return amdi_server_create_with(cfg, NULL, out, err, errlen);
}

/* Frees a driver handed to amdi_server_create_with when the server cannot take it. */
static int drop_driver(const amdi_driver *drv, int rc)
{
    if (drv && drv->ops && drv->ops->destroy)
        drv->ops->destroy(drv->state);
    return rc;
}

static int create_impl(const amd_server_config *cfg, const amdi_driver *drv, int *taken, amd_server **out, char *err,
                       size_t errlen);

int amdi_server_create_with(const amd_server_config *cfg, const amdi_driver *drv, amd_server **out, char *err,
                            size_t errlen)
{
    int taken = 0;
    int rc = create_impl(cfg, drv, &taken, out, err, errlen);
    return rc && !taken ? drop_driver(drv, rc) : rc;
}

/* An instance name: it names the process in logs, events and the cluster's tables. */
static int instance_ok(const char *n)
{
    size_t l = strlen(n);
    if (l < 1 || l > 63)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') || *n == '.' ||
              *n == '_' || *n == '-'))
            return 0;
    return 1;
}

/* The configured name, else "<host>-<pid>" (unique on a host; a restart is a new instance,
 * whose predecessor the others take over when its lease expires). */
static void set_instance(amd_server *s, const amd_server_config *cfg)
{
    if (cfg->instance) {
        snprintf(s->instance, sizeof s->instance, "%s", cfg->instance);
        return;
    }
    char host[48] = "amd";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = 0;
    for (char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
            *p = '-';
    snprintf(s->instance, sizeof s->instance, "%s-%d", host, (int)getpid());
}

/* Field checks that need nothing but the config. */
static int check_config(const amd_server_config *cfg, char *err, size_t errlen)
{
    if (cfg->db_path && amdi_store_is_pg(cfg->db_path) && cfg->clock_speed != 1) {
        /* the processes of a cluster share CPS slots and leases in wall-clock time */
        snprintf(err, errlen, "clock_speed: must be 1 with a PostgreSQL database (several servers share one clock)");
        return AMD_EINVAL;
    }
    if (cfg->instance && !instance_ok(cfg->instance)) {
        snprintf(err, errlen, "instance: expected 1..63 characters of A-Z a-z 0-9 . _ -, got '%s'", cfg->instance);
        return AMD_EINVAL;
    }
    if (!(cfg->cps > 0 && cfg->cps <= 10000)) {
        snprintf(err, errlen, "cps: %g out of range (0, 10000]", cfg->cps);
        return AMD_EINVAL;
    }
    if (cfg->media_priority < 0 || cfg->media_priority > 99) {
        snprintf(err, errlen, "media_priority: %d out of range 0..99", cfg->media_priority);
        return AMD_EINVAL;
    }
    if (!(cfg->clock_speed > 0 && cfg->clock_speed <= 10000)) {
        snprintf(err, errlen, "clock_speed: %g out of range (0, 10000]", cfg->clock_speed);
        return AMD_EINVAL;
    }
    if (cfg->webhook_inflight_per_account < 0 || cfg->webhook_inflight_per_account > AMDI_HOOKS_MAX_INFLIGHT) {
        snprintf(err, errlen, "webhook_inflight_per_account: %d out of range 1..%d (0: default)",
                 cfg->webhook_inflight_per_account, AMDI_HOOKS_MAX_INFLIGHT);
        return AMD_EINVAL;
    }
    for (size_t i = 0; i < cfg->n_accounts; i++) {
        if (!amdi_sid_valid(cfg->accounts[i].sid, "AC") || !cfg->accounts[i].token || !token_ok(cfg->accounts[i].token)) {
            snprintf(err, errlen, "account %zu: expected SID AC + 32 hex digits and a token of 1..64 printable characters",
                     i + 1);
            return AMD_EINVAL;
        }
    }
    if (cfg->max_connections_per_ip < 0 || cfg->max_connections_per_ip > AMDI_MAX_CONNECTIONS / 2) {
        snprintf(err, errlen, "max_connections_per_ip: %d out of range 1..%d (half the global cap of %d)",
                 cfg->max_connections_per_ip, AMDI_MAX_CONNECTIONS / 2, AMDI_MAX_CONNECTIONS);
        return AMD_EINVAL;
    }
    if (cfg->request_timeout_s < 0 || cfg->request_timeout_s > 3600) {
        snprintf(err, errlen, "request_timeout_s: %d out of range 1..3600", cfg->request_timeout_s);
        return AMD_EINVAL;
    }
    if (cfg->max_queued_per_account < 0) {
        snprintf(err, errlen, "max_queued_per_account: %ld must not be negative", cfg->max_queued_per_account);
        return AMD_EINVAL;
    }
    if (cfg->public_url && !amdi_url_valid(cfg->public_url, 0)) {
        snprintf(err, errlen, "public_url: '%.200s' is not an absolute http:// or https:// URL", cfg->public_url);
        return AMD_EINVAL;
    }
    for (size_t i = 0; i < cfg->n_api_keys; i++) {
        const amd_server_api_key *k = &cfg->api_keys[i];
        if (!k->sid || !amdi_sid_valid(k->sid, "SK") || !k->secret || !token_ok(k->secret) || !k->account ||
            !amdi_sid_valid(k->account, "AC")) {
            snprintf(err, errlen,
                     "API key %zu: expected SK + 32 hex digits, a secret of 1..64 printable characters and an "
                     "account SID AC + 32 hex digits",
                     i + 1);
            return AMD_EINVAL;
        }
    }
    return 0;
}

/* The API keys, each bound to an account of this server. */
static int copy_api_keys(amd_server *s, const amd_server_config *cfg, char *err, size_t errlen)
{
    if (cfg->n_api_keys && !(s->keys = calloc(cfg->n_api_keys, sizeof *s->keys))) {
        return AMD_ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_api_keys; i++) {
        int known = 0;
        for (size_t k = 0; k < s->naccounts; k++)
            known |= !strcmp(s->accounts[k].sid, cfg->api_keys[i].account);
        if (!known) {
            snprintf(err, errlen, "API key %s: account %s is not an account of this server", cfg->api_keys[i].sid,
                     cfg->api_keys[i].account);
            return AMD_EINVAL;
        }
        snprintf(s->keys[i].sid, sizeof s->keys[i].sid, "%s", cfg->api_keys[i].sid);
        snprintf(s->keys[i].secret, sizeof s->keys[i].secret, "%s", cfg->api_keys[i].secret);
        snprintf(s->keys[i].account, sizeof s->keys[i].account, "%s", cfg->api_keys[i].account);
    }
    return 0;
}

/* One server per database: a second one would close out the first one's live calls. */
static int lock_db(amd_server *s, char *err, size_t errlen)
{
    s->lock_fd = -1;
    if (strcmp(s->db_path, ":memory:") && !amdi_store_is_pg(s->db_path)) { /* PostgreSQL: many servers */
        size_t ln = strlen(s->db_path) + 8;
        char *lp = malloc(ln);
        if (lp) {
            snprintf(lp, ln, "%s.lock", s->db_path);
            s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (s->lock_fd >= 0)
                (void)fchmod(s->lock_fd, 0600); /* whatever the umask; holds nothing secret, but private */
            free(lp);
        }
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
        int lock_cmd = F_OFD_SETLK; /* also refuses a second server inside this process */
#else
        int lock_cmd = F_SETLK;
#endif
        if (s->lock_fd < 0) {
            int en = errno;
            snprintf(err, errlen, "database %s: cannot create %s.lock: %s%s", s->db_path, s->db_path, strerror(en),
                     en == ENOENT ? " (the folder does not exist)" : "");
            return AMD_EIO;
        }
        if (fcntl(s->lock_fd, lock_cmd, &fl) == -1) {
            snprintf(err, errlen, "database %s is in use by another amd serve", s->db_path);
            return AMD_ESTATE;
        }
    }
    return 0;
}

static int create_impl(const amd_server_config *cfg, const amdi_driver *drv, int *taken, amd_server **out, char *err,
                       size_t errlen)
{
    if (!out)
        return AMD_EINVAL;
    *out = NULL;
    if (!cfg || cfg->version != AMD_SERVER_CONFIG_VERSION) {
        snprintf(err, errlen, "server config: unknown version");
        return AMD_EVERSION;
    }
    int rc = check_config(cfg, err, errlen);
    if (rc)
        return rc;
    amdi_net_policy policy;
    char perr[200] = "";
    int prc = amdi_net_policy_parse(cfg->webhook_allow, &policy, perr, sizeof perr);
    if (prc) {
        snprintf(err, errlen, "webhook_allow: %s", perr[0] ? perr : amd_strerror(prc));
        return prc;
    }
    amd_server *s = calloc(1, sizeof *s);
    if (!s) {
        amdi_net_policy_free(&policy);
        return AMD_ENOMEM;
    }
    s->policy = policy;
    s->lock_fd = -1;
    pthread_mutex_init(&s->conn_mu, NULL);
    pthread_cond_init(&s->reaper_cv, NULL);
    s->cfg = *cfg;
    if (s->cfg.max_connections_per_ip == 0)
        s->cfg.max_connections_per_ip = AMDI_DEFAULT_CONN_PER_IP;
    if (s->cfg.request_timeout_s == 0)
        s->cfg.request_timeout_s = AMDI_DEFAULT_REQUEST_TIMEOUT_S;
    if (s->cfg.max_queued_per_account == 0)
        s->cfg.max_queued_per_account = AMDI_DEFAULT_MAX_QUEUED;
    s->listen = strdup(cfg->listen ? cfg->listen : "127.0.0.1:8080");
    s->db_path = strdup(cfg->db_path ? cfg->db_path : "amd-serve.db");
    s->public_url = cfg->public_url ? strdup(cfg->public_url) : NULL;
    amdi_db_redact(s->db_path, s->db_shown, sizeof s->db_shown);
    set_instance(s, cfg);
    if (cfg->recordings_dir) {
        s->recordings_dir = strdup(cfg->recordings_dir);
    } else if (s->db_path && amdi_store_is_pg(s->db_path)) {
        s->recordings_dir = strdup("amd-serve-recordings"); /* several servers: give them a shared one */
    } else { /* default: a folder beside the database */
        size_t n = strlen(s->db_path ? s->db_path : "") + 16;
        s->recordings_dir = malloc(n);
        if (s->recordings_dir)
            snprintf(s->recordings_dir, n, "%s-recordings", s->db_path ? s->db_path : "amd-serve.db");
    }
    s->console_listen = cfg->console_listen ? strdup(cfg->console_listen) : NULL;
    s->console_bench = cfg->console_bench_program ? strdup(cfg->console_bench_program) : NULL;
    if (!s->listen || !s->db_path || (cfg->public_url && !s->public_url) || !s->recordings_dir ||
        (cfg->console_listen && !s->console_listen) || (cfg->console_bench_program && !s->console_bench)) {
        amd_server_destroy(s);
        return AMD_ENOMEM;
    }
    if (!s->cfg.max_body_bytes)
        s->cfg.max_body_bytes = 64 * 1024;
    if (s->cfg.http_threads <= 0)
        s->cfg.http_threads = 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((rc = lock_db(s, err, errlen))) {
        amd_server_destroy(s);
        return rc;
    }
    /* the dial plan first: a bad plan must not leave a half-initialised database behind */
    if ((rc = amdi_dialplan_load(cfg->dialplan_path, &s->plan, err, errlen))) {
        amd_server_destroy(s);
        return rc;
    }
    if ((rc = amdi_store_open(s->db_path, 1, &s->api_store, err, errlen)) ||
        (rc = amdi_store_open(s->db_path, 0, &s->eng_store, err, errlen)) ||
        (amdi_store_is_pg(s->db_path) && (rc = amdi_store_open(s->db_path, 0, &s->cl_store, err, errlen)))) {
        amd_server_destroy(s);
        return rc;
    }
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (amdi_store_account_put(s->api_store, cfg->accounts[i].sid, cfg->accounts[i].token)) {
            snprintf(err, errlen, "database %s: cannot store account", s->db_shown);
            amd_server_destroy(s);
            return AMD_EIO;
        }
    amdi_store_accounts(s->api_store, collect_account, s);
    if (!s->naccounts) {
        if (amdi_sid_new("AC", s->new_sid) || amdi_token_new(s->new_token) ||
            amdi_store_account_put(s->api_store, s->new_sid, s->new_token)) {
            snprintf(err, errlen, "cannot create the first account");
            amd_server_destroy(s);
            return AMD_EIO;
        }
        s->created_account = 1;
        collect_account(s, s->new_sid, s->new_token);
    }
    if (!s->naccounts) {
        amd_server_destroy(s);
        return AMD_ENOMEM;
    }
    amdi_calls_config ec;
    memset(&ec, 0, sizeof ec);
    ec.store = s->eng_store;
    if (drv) {
        ec.driver = *drv;
        *taken = 1;
    } else if ((rc = amdi_sim_driver_create(s->plan, &ec.driver))) {
        amd_server_destroy(s);
        return rc;
    }
    ec.clock_speed = cfg->clock_speed;
    ec.cps = cfg->cps;
    ec.webhook_timeout_ms = cfg->webhook_timeout_ms;
    ec.net_policy = &s->policy;
    ec.webhook_inflight_per_account = cfg->webhook_inflight_per_account;
    ec.public_url = s->public_url;
    ec.recordings_dir = s->recordings_dir;
    ec.log_fn = cfg->log_fn;
    ec.log_user = cfg->log_user;
    ec.log_level = cfg->log_level;
    ec.media_priority = cfg->media_priority;
    ec.cluster_store = s->cl_store;
    ec.instance = s->instance;
    if ((rc = amdi_calls_create(&ec, &s->engine, err, errlen))) {
        ec.driver.ops->destroy(ec.driver.state);
        amd_server_destroy(s);
        return rc;
    }
    for (size_t i = 0; i < s->naccounts; i++)
        amdi_calls_add_account(s->engine, s->accounts[i].sid, s->accounts[i].token);
    if ((rc = copy_api_keys(s, cfg, err, errlen))) {
        amd_server_destroy(s);
        return rc;
    }
    s->nkeys = cfg->n_api_keys;
    s->api.keys = s->keys;
    s->api.nkeys = s->nkeys;
    s->api.max_queued = s->cfg.max_queued_per_account;
    s->api.store = s->api_store;
    s->api.engine = s->engine;
    s->api.accounts = s->accounts;
    s->api.naccounts = s->naccounts;
    *out = s;
    return 0;
}

int amd_server_new_account(const amd_server *s, char *sid, char *token)
{
    if (!s || !s->created_account)
        return 0;
    if (sid)
        memcpy(sid, s->new_sid, 35);
    if (token)
        memcpy(token, s->new_token, 33);
    return 1;
}

size_t amd_server_account_count(const amd_server *s)
{
    return s ? s->naccounts : 0;
}

const char *amd_server_account_sid(const amd_server *s, size_t i)
{
    return s && i < s->naccounts ? s->accounts[i].sid : NULL;
}

/* ------------------------------------------------------------------ HTTP */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static conn *conn_of(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The connection is waiting for a request (again): the deadline starts now. */
static void conn_wait(amd_server *s, struct MHD_Connection *con, int receiving)
{
    conn *c = conn_of(con);
    if (!c)
        return;
    pthread_mutex_lock(&s->conn_mu);
    c->receiving = receiving;
    c->start_ms = mono_ms();
    pthread_mutex_unlock(&s->conn_mu);
}

/* libmicrohttpd reports a connection's start before its first byte is read and its end
 * before it closes the socket, so while an entry is in the list (under conn_mu) its fd is
 * that connection's. */
static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    amd_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *c = calloc(1, sizeof *c);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = c;
        if (!c)
            return;
        c->fd = ci ? ci->connect_fd : -1;
        c->receiving = 1;
        c->start_ms = mono_ms();
        pthread_mutex_lock(&s->conn_mu);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        pthread_mutex_unlock(&s->conn_mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn *c = *socket_context;
        pthread_mutex_lock(&s->conn_mu);
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&s->conn_mu);
        free(c);
        *socket_context = NULL;
    }
}

/* Every 250 ms: a connection that has been receiving one request for longer than the request
 * timeout is shut down (libmicrohttpd then sees the end of the stream and closes it). */
static void *reaper_main(void *arg)
{
    amd_server *s = arg;
    int64_t limit = (int64_t)s->cfg.request_timeout_s * 1000;
    pthread_mutex_lock(&s->conn_mu);
    while (!s->reaper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->reaper_cv, &s->conn_mu, &ts);
        int64_t now = mono_ms();
        long n = 0;
        for (conn *c = s->conns; c; c = c->next)
            if (c->receiving && c->fd >= 0 && now - c->start_ms > limit) {
                shutdown(c->fd, SHUT_RDWR);
                c->receiving = 0;
                n++;
            }
        if (n) {
            char msg[128];
            snprintf(msg, sizeof msg, "closed %ld connection(s) that did not send a whole request within %d s", n,
                     s->cfg.request_timeout_s);
            pthread_mutex_unlock(&s->conn_mu);
            slog(s, AMD_LOG_DEBUG, msg);
            pthread_mutex_lock(&s->conn_mu);
        }
    }
    pthread_mutex_unlock(&s->conn_mu);
    return NULL;
}

/* Answer @p status with a Twilio error body straight on the socket and end the stream. For
 * request targets libmicrohttpd 0.9.75 cannot hold: it splits the query into per-connection
 * header records first, runs out of its memory pool and then closes without an answer only
 * at the idle timeout. Called before that parsing, from the connection's own thread. */
static void refuse_early(struct MHD_Connection *con, int status, const char *reason, const char *msg)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    char *body = amdi_error_json(status, AMDI_TWERR_CALLS, msg);
    if (!ci || !body) {
        free(body);
        return;
    }
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, reason, strlen(body));
    /* both fit in the socket's send buffer of a fresh connection: no partial writes to finish */
    if (send(ci->connect_fd, head, (size_t)hl, MSG_NOSIGNAL | MSG_DONTWAIT) == hl)
        send(ci->connect_fd, body, strlen(body), MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_RDWR);
    free(body);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
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
        refuse_early(con, 414, "URI Too Long", msg);
        slog(s, AMD_LOG_DEBUG, "refused a request URI over the length limit (414)");
        return NULL;
    }
    if (amps >= AMDI_FORM_MAX_ITEMS) {
        char msg[96];
        snprintf(msg, sizeof msg, "The query has more than %d parameters", AMDI_FORM_MAX_ITEMS);
        refuse_early(con, 414, "URI Too Long", msg);
        slog(s, AMD_LOG_DEBUG, "refused a query with too many parameters (414)");
        return NULL;
    }
    req *r = calloc(1, sizeof *r);
    if (r)
        r->uri = strdup(uri);
    return r;
}

static void on_done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    req *r = *con_cls;
    conn_wait(cls, con, 1); /* keep-alive: the next request's deadline starts now */
    if (!r)
        return;
    free(r->uri);
    amdi_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

static enum MHD_Result send_resp(struct MHD_Connection *con, amdi_response *ar)
{
    if (ar->file_path) {
        int fd = open(ar->file_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            struct MHD_Response *fr = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
            if (fr) {
                amdi_response_free(ar);
                MHD_add_response_header(fr, MHD_HTTP_HEADER_CONTENT_TYPE, "audio/x-wav");
                enum MHD_Result rc = MHD_queue_response(con, 200, fr);
                MHD_destroy_response(fr);
                return rc;
            }
        }
        if (fd >= 0)
            close(fd);
        amdi_response_free(ar);
        ar->status = 404;
        ar->content_type = "application/json; charset=utf-8";
        ar->body = amdi_error_json(404, AMDI_TWERR_NOT_FOUND, "The recording media is not available");
        ar->body_len = ar->body ? strlen(ar->body) : 0;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(ar->body_len, ar->body ? ar->body : (void *)"",
                                                                ar->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        amdi_response_free(ar);
        return MHD_NO;
    }
    ar->body = NULL; /* MHD owns it now */
    if (ar->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ar->content_type);
    if (ar->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"Twilio API\"");
    enum MHD_Result rc = MHD_queue_response(con, (unsigned)ar->status, resp);
    MHD_destroy_response(resp);
    return rc;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
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
    conn_wait(s, con, 0); /* the whole request is in: the deadline no longer applies */
    amdi_response ar;
    memset(&ar, 0, sizeof ar);
    if (r->too_big || r->body.oom) {
        char msg[96];
        snprintf(msg, sizeof msg, "Request body larger than %zu bytes", s->cfg.max_body_bytes);
        ar.status = 413;
        ar.content_type = "application/json; charset=utf-8";
        ar.body = amdi_error_json(413, AMDI_TWERR_CALLS, msg);
        ar.body_len = ar.body ? strlen(ar.body) : 0;
        return send_resp(con, &ar);
    }
    char *q = strchr(r->uri, '?');
    if (q)
        *q++ = 0;
    if (!strcmp(method, "GET") && (!strcmp(r->uri, "/health") || !strcmp(r->uri, "/ready")))
        return send_resp(con, health(s, !strcmp(r->uri, "/ready"), &ar));
    const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    /* No credentials at all: answer 401 without touching anything else. */
    amdi_api_handle(&s->api, method, r->uri, q, r->body.p, r->body.len, auth ? auth : "", NULL, &ar);
    return send_resp(con, &ar);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    amd_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    slog(s, AMD_LOG_DEBUG, msg);
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    const char *colon = strrchr(spec, ':');
    if (!colon)
        return -1;
    char host[128];
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == 0 || port < 0 || port > 65535)
        return -1;
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        *len = sizeof *a;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return -1;
    *len = sizeof *a;
    return 0;
}

static int start_console(amd_server *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_listen(s->console_listen, &ss, &sl)) {
        snprintf(err, errlen, "console: '%s' is not ADDR:PORT", s->console_listen);
        return AMD_EINVAL;
    }
    s->console_log.fn = s->cfg.log_fn;
    s->console_log.user = s->cfg.log_user;
    s->console_log.level = s->cfg.log_level;
    amdi_console_config cc = {
        .api = &s->api,
        .engine = s->engine,
        .addr = (struct sockaddr *)&ss,
        .addrlen = sl,
        .secure_cookie = s->public_url && !strncasecmp(s->public_url, "https://", 8),
        .max_body_bytes = s->cfg.max_body_bytes,
        .bench_program = s->console_bench,
        .log = &s->console_log,
    };
    return amdi_console_start(&cc, &s->console, err, errlen);
}

int amd_server_console_port(const amd_server *s)
{
    return s ? amdi_console_port(s->console) : 0;
}

int amd_server_start(amd_server *s, char *err, size_t errlen)
{
    if (!s)
        return AMD_EINVAL;
    if (s->started)
        return AMD_ESTATE;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_listen(s->listen, &ss, &sl)) {
        snprintf(err, errlen, "listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", s->listen);
        return AMD_EINVAL;
    }
    int crc = s->console_listen ? start_console(s, err, errlen) : 0;
    if (crc)
        return crc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.http_threads,
                              MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)AMDI_MAX_CONNECTIONS,
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections_per_ip,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.request_timeout_s,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                              MHD_OPTION_END);
    if (!s->mhd) {
        amdi_console_stop(s->console);
        s->console = NULL;
        snprintf(err, errlen, "cannot listen on %s (address in use or not available)", s->listen);
        return AMD_EIO;
    }
    s->reaper_stop = 0;
    if (pthread_create(&s->reaper, NULL, reaper_main, s)) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
        snprintf(err, errlen, "cannot start the request-deadline thread");
        return AMD_ENOMEM;
    }
    s->reaper_on = 1;
    /* Listening first: a server that cannot bind must not touch the calls in the database.
     * Recovery then runs; calls created meanwhile are already in the engine and kept. */
    int rc = amdi_calls_start(s->engine);
    if (rc) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
        snprintf(err, errlen, "engine: %s", amd_strerror(rc));
        return rc;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    if (!s->public_url) {
        /* RecordingUrl needs an absolute base: this server as a client on this host reaches it */
        char base[200], host[128];
        const char *colon = strrchr(s->listen, ':');
        snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - s->listen) : 0, s->listen);
        if (!strcmp(host, "0.0.0.0") || !host[0])
            snprintf(host, sizeof host, "127.0.0.1");
        snprintf(base, sizeof base, "http://%s:%d", host, s->port);
        amdi_calls_set_public_url(s->engine, base);
    }
    s->started = 1;
    return 0;
}

int amd_server_stats_get(amd_server *s, amd_server_stats *out)
{
    if (!s || !out)
        return AMD_EINVAL;
    amdi_calls_stats st;
    amdi_calls_stats_get(s->engine, &st);
    out->calls_live = st.live;
    out->calls_queued = st.queued;
    out->calls_active = st.active;
    out->ticks = st.ticks;
    out->late_ticks = st.late_ticks;
    out->max_lateness_us = st.max_lateness_us;
    out->tick_work_us_avg = st.ticks ? st.tick_work_us_total / st.ticks : 0;
    out->tick_work_us_max = st.tick_work_us_max;
    out->commit_us_max = st.commit_us_max;
    out->webhooks_pending = st.webhooks_pending;
    for (int i = 0; i < AMD_SERVER_LATENESS_BUCKETS && i < AMDI_LATE_BUCKETS; i++)
        out->lateness_ms_hist[i] = st.late_hist[i];
    return 0;
}

int amd_server_port(const amd_server *s)
{
    return s ? s->port : 0;
}

void amd_server_destroy(amd_server *s)
{
    if (!s)
        return;
    if (s->reaper_on) {
        pthread_mutex_lock(&s->conn_mu);
        s->reaper_stop = 1;
        pthread_cond_signal(&s->reaper_cv);
        pthread_mutex_unlock(&s->conn_mu);
        pthread_join(s->reaper, NULL);
    }
    amdi_console_stop(s->console); /* its streams watch the engine: first */
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    amdi_calls_destroy(s->engine);
    amdi_net_policy_free(&s->policy);
    amdi_dialplan_free(s->plan);
    amdi_store_close(s->api_store);
    amdi_store_close(s->eng_store);
    amdi_store_close(s->cl_store);
    free(s->accounts);
    free(s->listen);
    free(s->db_path);
    free(s->public_url);
    free(s->recordings_dir);
    free(s->console_listen);
    free(s->console_bench);
    free(s->keys);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the lock */
    pthread_mutex_destroy(&s->conn_mu);
    pthread_cond_destroy(&s->reaper_cv);
    free(s);
}

/* ------------------------------------------------------------------ call.h */

static const char *const k_status[] = {"queued", "ringing", "in-progress", "completed",
                                       "busy", "failed", "no-answer", "canceled"};

const char *amd_call_status_name(amd_call_status st)
{
    return (unsigned)st < 8 ? k_status[st] : "?";
}

int amd_call_status_parse(const char *name, amd_call_status *out)
{
    for (int i = 0; name && out && i < 8; i++)
        if (!strcmp(name, k_status[i])) {
            *out = (amd_call_status)i;
            return 0;
        }
    return AMD_EINVAL;
}

int amd_call_status_is_final(amd_call_status st)
{
    return st >= AMD_CALL_COMPLETED && st <= AMD_CALL_CANCELED;
}

static int c_api(amd_server *s, const char *method, const char *account, const char *sid, const char *form,
                 int *http, char **json)
{
    if (!s || !account || !json || !amdi_sid_valid(account, "AC") || (sid && !amdi_sid_valid(sid, "CA")))
        return AMD_EINVAL;
    *json = NULL;
    int known = 0;
    for (size_t i = 0; i < s->naccounts; i++)
        known |= !strcmp(s->accounts[i].sid, account);
    if (!known)
        return AMD_ENOTFOUND;
    char path[128];
    if (sid)
        snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Calls/%s.json", account, sid);
    else
        snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Calls.json", account);
    amdi_response r;
    amdi_api_handle(&s->api, method, path, NULL, form, form ? strlen(form) : 0, NULL, account, &r);
    if (http)
        *http = r.status;
    *json = r.body;
    if (r.status >= 200 && r.status < 300)
        return 0;
    if (r.status == 404)
        return AMD_ENOTFOUND;
    if (r.status >= 500)
        return AMD_EIO;
    return AMD_EINVAL;
}

int amd_call_create(amd_server *s, const char *account, const char *form, int *http, char **json)
{
    return c_api(s, "POST", account, NULL, form ? form : "", http, json);
}

int amd_call_fetch(amd_server *s, const char *account, const char *sid, char **json)
{
    return sid ? c_api(s, "GET", account, sid, NULL, NULL, json) : AMD_EINVAL;
}

int amd_call_update(amd_server *s, const char *account, const char *sid, const char *form, int *http, char **json)
{
    return sid ? c_api(s, "POST", account, sid, form ? form : "", http, json) : AMD_EINVAL;
}

void amd_call_free(char *p)
{
    free(p);
}
