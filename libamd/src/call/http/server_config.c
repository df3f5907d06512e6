/* SPDX-License-Identifier: MIT */
/* amd_server's config (server.h): the defaults, and the checks that need nothing but the
 * config, each naming the field it refuses. */
#include "server_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sid.h"
#include "webhook.h"

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
void amdi_server_set_instance(amd_server *s, const amd_server_config *cfg)
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
int amdi_server_check_config(const amd_server_config *cfg, char *err, size_t errlen)
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
