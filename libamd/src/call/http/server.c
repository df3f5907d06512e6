/* SPDX-License-Identifier: MIT */
/* amd_server (server.h): the call server's life cycle: the config taken in, its database
 * locked and opened, its accounts, the engine with its carrier driver (simulated, host or
 * SIP), then destroyed in reverse. Its HTTP face is in server_listen.c / server_routes.c. */
#define _GNU_SOURCE /* F_OFD_SETLK: a database lock owned by the server object, not the process */
#include "server_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sid.h"
#include "sim.h"
#include "sip_driver.h"
#include "store_cluster.h"

void amdi_server_log(amd_server *s, amd_log_level lv, const char *msg)
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

/* The SIP driver of a config with sip_listen (real calls run on real time only). */
static int create_sip_driver(const amd_server_config *cfg, amdi_driver *drv, char *err, size_t errlen)
{
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
    return amdi_sip_driver_create(&sc, drv, err, errlen);
}

int amd_server_create(const amd_server_config *cfg, amd_server **out, char *err, size_t errlen)
{
    amd_server_config own;
    if (out && !amdi_server_config_take(cfg, &own, err, errlen) && own.sip_listen && *own.sip_listen) {
        amdi_driver drv;
        int rc = create_sip_driver(&own, &drv, err, errlen);
        if (rc)
            return rc;
        return amdi_server_create_with(&own, &drv, out, err, errlen);
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


/* The server object with its own copies of the config's strings and the defaults filled in;
 * it owns @p policy from here on (freed with it, or at once when out of memory: NULL). */
static amd_server *server_alloc(const amd_server_config *cfg, amdi_net_policy *policy)
{
    amd_server *s = calloc(1, sizeof *s);
    if (!s) {
        amdi_net_policy_free(policy);
        return NULL;
    }
    s->policy = *policy;
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
    if (!s->cfg.max_body_bytes)
        s->cfg.max_body_bytes = 64 * 1024;
    if (s->cfg.http_threads <= 0)
        s->cfg.http_threads = 2;
    s->listen = strdup(cfg->listen ? cfg->listen : "127.0.0.1:8080");
    s->db_path = strdup(cfg->db_path ? cfg->db_path : "amd-serve.db");
    s->public_url = cfg->public_url ? strdup(cfg->public_url) : NULL;
    amdi_db_redact(s->db_path, s->db_shown, sizeof s->db_shown);
    amdi_server_set_instance(s, cfg);
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
        return NULL;
    }
    return s;
}

/* The accounts of the config stored, all of the database's read; a first one made (and
 * reported by amd_server_new_account) when there is none. */
static int load_accounts(amd_server *s, const amd_server_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (amdi_store_account_put(s->api_store, cfg->accounts[i].sid, cfg->accounts[i].token)) {
            snprintf(err, errlen, "database %s: cannot store account", s->db_shown);
            return AMD_EIO;
        }
    amdi_store_accounts(s->api_store, collect_account, s);
    if (!s->naccounts) {
        if (amdi_sid_new("AC", s->new_sid) || amdi_token_new(s->new_token) ||
            amdi_store_account_put(s->api_store, s->new_sid, s->new_token)) {
            snprintf(err, errlen, "cannot create the first account");
            return AMD_EIO;
        }
        s->created_account = 1;
        collect_account(s, s->new_sid, s->new_token);
    }
    return s->naccounts ? 0 : AMD_ENOMEM;
}

/* Lock, then the dial plan (a bad plan must not leave a half-initialised database behind),
 * then the stores and the accounts. */
static int open_database(amd_server *s, const amd_server_config *cfg, char *err, size_t errlen)
{
    int rc;
    if ((rc = lock_db(s, err, errlen)))
        return rc;
    if ((rc = amdi_dialplan_load(cfg->dialplan_path, &s->plan, err, errlen)))
        return rc;
    if ((rc = amdi_store_open(s->db_path, 1, &s->api_store, err, errlen)) ||
        (rc = amdi_store_open(s->db_path, 0, &s->eng_store, err, errlen)) ||
        (amdi_store_is_pg(s->db_path) && (rc = amdi_store_open(s->db_path, 0, &s->cl_store, err, errlen))))
        return rc;
    return load_accounts(s, cfg, err, errlen);
}

/* The call engine on @p drv (*taken set once it owns it), else on the simulated carrier. */
static int create_engine(amd_server *s, const amd_server_config *cfg, const amdi_driver *drv, int *taken, char *err,
                         size_t errlen)
{
    amdi_calls_config ec;
    memset(&ec, 0, sizeof ec);
    ec.store = s->eng_store;
    int rc;
    if (drv) {
        ec.driver = *drv;
        *taken = 1;
    } else if ((rc = amdi_sim_driver_create(s->plan, &ec.driver))) {
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
        return rc;
    }
    for (size_t i = 0; i < s->naccounts; i++)
        amdi_calls_add_account(s->engine, s->accounts[i].sid, s->accounts[i].token);
    return 0;
}

static int create_impl(const amd_server_config *cfg, const amdi_driver *drv, int *taken, amd_server **out, char *err,
                       size_t errlen)
{
    if (!out)
        return AMD_EINVAL;
    *out = NULL;
    amd_server_config own; /* the caller's layout (its version and size) as this library's */
    int rc = amdi_server_config_take(cfg, &own, err, errlen);
    if (rc)
        return rc;
    cfg = &own;
    rc = amdi_server_check_config(cfg, err, errlen);
    if (rc)
        return rc;
    amdi_net_policy policy;
    char perr[200] = "";
    int prc = amdi_net_policy_parse(cfg->webhook_allow, &policy, perr, sizeof perr);
    if (prc) {
        snprintf(err, errlen, "webhook_allow: %s", perr[0] ? perr : amd_strerror(prc));
        return prc;
    }
    amd_server *s = server_alloc(cfg, &policy);
    if (!s)
        return AMD_ENOMEM;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((rc = open_database(s, cfg, err, errlen)) || (rc = create_engine(s, cfg, drv, taken, err, errlen)) ||
        (rc = copy_api_keys(s, cfg, err, errlen))) {
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

void amd_server_destroy(amd_server *s)
{
    if (!s)
        return;
    amdi_server_reaper_stop(s);
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
