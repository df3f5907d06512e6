/* SPDX-License-Identifier: MIT */
/* amd_server's config (server.h): the defaults, and the checks that need nothing but the
 * config, each naming the field it refuses. */
#include "server_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sid.h"
#include "webhook.h"

static void fill_defaults(amd_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->version = AMD_SERVER_CONFIG_VERSION;
    cfg->struct_size = sizeof *cfg;
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

/* Layout 1 (the 0.2 releases) had no struct_size: the same fields, in the same order, started
 * right after version. Every layout-2 caller has at least the fields through
 * console_bench_program (the last one when struct_size came); later ones are appended. */
struct config_v1_head {
    unsigned version;
    const char *listen;
};
#define CONFIG_V2_MIN_SIZE (offsetof(amd_server_config, console_bench_program) + sizeof(const char *))
#define CONFIG_V1_TAIL (CONFIG_V2_MIN_SIZE - offsetof(amd_server_config, listen))

void amd_server_config_init_sized(amd_server_config *cfg, size_t size)
{
    if (!cfg)
        return;
    amd_server_config d;
    fill_defaults(&d);
    d.struct_size = size;
    memcpy(cfg, &d, size < sizeof d ? size : sizeof d);
    if (size > sizeof d) /* fields of newer headers: zero, their default */
        memset((unsigned char *)cfg + sizeof d, 0, size - sizeof d);
}

/* The 0.2 function, for programs built against 0.2 headers: fills a layout-1 struct. Newer
 * headers make amd_server_config_init a macro over amd_server_config_init_sized. */
void(amd_server_config_init)(amd_server_config *cfg)
{
    if (!cfg)
        return;
    amd_server_config d;
    fill_defaults(&d);
    unsigned char *p = (unsigned char *)cfg;
    unsigned v1 = 1;
    memset(p, 0, offsetof(struct config_v1_head, listen));
    memcpy(p, &v1, sizeof v1);
    memcpy(p + offsetof(struct config_v1_head, listen), &d.listen, CONFIG_V1_TAIL);
}

int amdi_server_config_take(const amd_server_config *cfg, amd_server_config *own, char *err, size_t errlen)
{
    fill_defaults(own);
    if (!cfg) {
        snprintf(err, errlen, "server config: missing");
        return AMD_EVERSION;
    }
    const unsigned char *p = (const unsigned char *)cfg;
    if (cfg->version == 1) {
        memcpy(&own->listen, p + offsetof(struct config_v1_head, listen), CONFIG_V1_TAIL);
        return 0;
    }
    if (cfg->version != AMD_SERVER_CONFIG_VERSION) {
        snprintf(err, errlen, "server config: unknown version %u (use amd_server_config_init)", cfg->version);
        return AMD_EVERSION;
    }
    if (cfg->struct_size < CONFIG_V2_MIN_SIZE) {
        snprintf(err, errlen, "server config: struct_size %zu is below the smallest layout (%zu); use "
                 "amd_server_config_init", cfg->struct_size, (size_t)CONFIG_V2_MIN_SIZE);
        return AMD_EVERSION;
    }
    size_t n = cfg->struct_size < sizeof *own ? cfg->struct_size : sizeof *own;
    memcpy(&own->listen, p + offsetof(amd_server_config, listen), n - offsetof(amd_server_config, listen));
    for (size_t i = sizeof *own; i < cfg->struct_size; i++)
        if (p[i]) {
            snprintf(err, errlen, "server config: fields past the %zu bytes this amdcall knows are set "
                     "(struct_size %zu: built against newer headers)", sizeof *own, cfg->struct_size);
            return AMD_EVERSION;
        }
    return 0;
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
