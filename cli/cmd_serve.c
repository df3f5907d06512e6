/* SPDX-License-Identifier: MIT */
/* `amd serve`: the Twilio-compatible Calls API over the simulated carrier. A thin face over
 * amd_server (libamd/include/amd/server.h): flags and AMD_* environment variables in, a
 * banner and log lines out; SIGINT / SIGTERM only set a flag. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "amd/server.h"
#include "commands.h"
#include "options.h"

static volatile sig_atomic_t g_stop;
static const char *g_instance; /* --instance: in every log line */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void log_line(void *user, amd_log_level level, const char *msg)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld amd serve%s%s [%s] %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, g_instance ? " " : "", g_instance ? g_instance : "", amd_log_level_name(level), msg);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: amd serve [options]\n"
            "\n"
            "Run the Twilio-compatible Calls REST API (POST/GET /2010-04-01/Accounts/{AC}/Calls.json,\n"
            "Calls/{CA}.json, Calls.csv, Calls/{CA}/Events.json, Calls/{CA}/Recordings.json, Recordings/{RE})\n"
            "with answering machine detection,\n"
            "over the simulated carrier. Point a Twilio helper library at http://ADDR:PORT.\n"
            "\n"
            "options (environment variable in brackets; flags win):\n"
            "  --listen ADDR:PORT     where to listen [AMD_LISTEN] (default 127.0.0.1:8080; port 0 = any)\n"
            "  --db PATH|URI          SQLite database file [AMD_DB] (default amd-serve.db), or a PostgreSQL\n"
            "                         connection URI postgresql://USER@HOST/DB (several amd serve processes\n"
            "                         on one database: README \"Running several processes\")\n"
            "  --instance NAME        this process's unique name among several on one PostgreSQL database,\n"
            "                         shown in logs, events and /health (default HOSTNAME-PID) [AMD_INSTANCE]\n"
            "  --dialplan FILE        simulated carrier dial plan, JSON [AMD_DIALPLAN]\n"
            "                         (e.g. testdata/dialplan.json; without one every number fails)\n"
            "  --account SID:TOKEN    an account (repeatable) [AMD_ACCOUNTS, comma-separated];\n"
            "                         with none stored, the first start creates one and prints it\n"
            "  --cps N                calls per second per account (default 1) [AMD_CPS]\n"
            "  --clock-speed X        simulated time runs X times faster (default 1) [AMD_CLOCK_SPEED]\n"
            "  --public-url URL       this server's external base URL [AMD_PUBLIC_URL]\n"
            "  --recordings DIR       recordings folder [AMD_RECORDINGS]\n"
            "  --sip-listen IP:PORT   place calls over SIP/RTP from this UDP address instead of the\n"
            "                         simulated carrier (numeric IP; e.g. 127.0.0.1:5090) [AMD_SIP_LISTEN]\n"
            "  --sip-trunk URI        send phone numbers to this trunk / PBX, e.g. sip:192.0.2.10:5060\n"
            "                         (To=sip:... URIs are dialed directly) [AMD_SIP_TRUNK]\n"
            "  --sip-auth USER:PASS   digest credentials for challenges (per call: SipAuthUsername /\n"
            "                         SipAuthPassword) [AMD_SIP_AUTH]\n"
            "  --webhook-timeout MS   total time per webhook request (default 15000) [AMD_WEBHOOK_TIMEOUT]\n"
            "  --webhook-allow CIDR[,CIDR...]\n"
            "                         let webhooks and TwiML fetches connect to these ranges although\n"
            "                         they are loopback / private / link-local (refused by default),\n"
            "                         e.g. 127.0.0.0/8 for local development [AMD_WEBHOOK_ALLOW]\n"
            "  --webhook-inflight-per-account N\n"
            "                         webhook requests one account may have in flight; accounts take\n"
            "                         turns for the 256 slots (default 64, 1..256)\n"
            "                         [AMD_WEBHOOK_INFLIGHT_PER_ACCOUNT]\n"
            "  --media-priority N     run the media clock and detectors with real-time priority N\n"
            "                         (SCHED_RR 1..99, needs root / CAP_SYS_NICE) so other load cannot\n"
            "                         make audio frames late; 0 = normal (default) [AMD_MEDIA_PRIORITY]\n"
            "  --api-key SK:SECRET:AC an API key (repeatable) that authenticates as account AC: HTTP Basic\n"
            "                         with the key SID as user, as Client(key, secret, account) sends it;\n"
            "                         webhooks stay signed with the account's token [AMD_API_KEYS, comma-separated]\n"
            "  --max-connections-per-ip N  open HTTP connections one client address may hold (default 64,\n"
            "                         at most 500; the server holds 1000 in all) [AMD_MAX_CONNECTIONS_PER_IP]\n"
            "  --request-timeout S    a request's headers and body must arrive within S seconds; idle\n"
            "                         keep-alive connections close after S too (default 10) [AMD_REQUEST_TIMEOUT]\n"
            "  --max-queued N         calls one account may have waiting in its CPS queue; more get\n"
            "                         429 (Twilio error 20429) (default 50000) [AMD_MAX_QUEUED]\n"
            "  --log-level LEVEL      error, warn, info or debug (default info) [AMD_LOG_LEVEL]\n"
            "  --console-port N       serve the browser console at http://ADDR:N/console/ on the --listen\n"
            "                         address (0 = any free port; off by default). Sign in with an\n"
            "                         account SID and token or an API key. Keep it on loopback or behind\n"
            "                         an https proxy (with an https --public-url the cookie is Secure)\n"
            "                         [AMD_CONSOLE_PORT]\n"
            "  -h, --help             this text\n"
            "\n"
            "GET /health (the process serves HTTP) and GET /ready (it also reaches its database) answer\n"
            "200 or 503 without credentials, for load balancers (examples/haproxy.cfg).\n"
            "SIGINT / SIGTERM stop the server; SIGHUP is ignored.\n"
            "Calls that were live when a previous run died are closed out on start: never-dialed\n"
            "calls are queued again; calls being placed end 'failed'; answered calls end\n"
            "'completed' at the last moment the server was known to be running them.\n");
}

#define MAX_ACCOUNTS 64

#define MAX_KEYS 64

typedef struct serve_opts {
    amd_server_config cfg;
    amd_server_account acc[MAX_ACCOUNTS];
    char *acc_buf[MAX_ACCOUNTS];
    size_t nacc;
    amd_server_api_key key[MAX_KEYS];
    char *key_buf[MAX_KEYS];
    size_t nkey;
    long console_port;            /* --console-port; -1: no console */
    char console_listen[160];
    char self_exe[4096];          /* this program, for the console's `amd bench` runs */
} serve_opts;

/* --api-key SK...:SECRET:AC... (the secret may itself contain ':'). */
static int add_api_key(serve_opts *o, const char *spec, char *err, size_t errlen)
{
    if (o->nkey >= MAX_KEYS) {
        snprintf(err, errlen, "--api-key: at most %d keys", MAX_KEYS);
        return -1;
    }
    char *s = strdup(spec);
    char *c1 = s ? strchr(s, ':') : NULL;
    char *c2 = s ? strrchr(s, ':') : NULL;
    if (!c1 || c1 == c2) {
        free(s);
        snprintf(err, errlen, "--api-key: expected SK...:SECRET:AC... (key SID, secret, account SID)");
        return -1;
    }
    *c1 = 0;
    *c2 = 0;
    o->key_buf[o->nkey] = s;
    o->key[o->nkey].sid = s;
    o->key[o->nkey].secret = c1 + 1;
    o->key[o->nkey].account = c2 + 1;
    o->nkey++;
    return 0;
}

static int add_account(serve_opts *o, const char *spec, char *err, size_t errlen)
{
    if (o->nacc >= MAX_ACCOUNTS) {
        snprintf(err, errlen, "--account: at most %d accounts", MAX_ACCOUNTS);
        return -1;
    }
    char *s = strdup(spec);
    char *colon = s ? strchr(s, ':') : NULL;
    if (!colon) {
        free(s);
        snprintf(err, errlen, "--account: expected SID:TOKEN, got '%s'", spec);
        return -1;
    }
    *colon = 0;
    o->acc_buf[o->nacc] = s;
    o->acc[o->nacc].sid = s;
    o->acc[o->nacc].token = colon + 1;
    o->nacc++;
    return 0;
}

static int parse_level(const char *s, amd_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(s, names[i])) {
            *out = (amd_log_level)i;
            return 0;
        }
    return -1;
}

/* One setting from a flag or an environment variable. 0 ok, -1 bad value. */
static int apply(serve_opts *o, const char *name, const char *v, char *err, size_t errlen)
{
    amd_server_config *c = &o->cfg;
    double d;
    long l;
    if (!strcmp(name, "listen"))
        c->listen = v;
    else if (!strcmp(name, "db"))
        c->db_path = v;
    else if (!strcmp(name, "instance")) {
        c->instance = v; /* checked by amd_server_create */
        g_instance = v;
    }
    else if (!strcmp(name, "dialplan"))
        c->dialplan_path = v;
    else if (!strcmp(name, "public-url"))
        c->public_url = v;
    else if (!strcmp(name, "recordings"))
        c->recordings_dir = v;
    else if (!strcmp(name, "sip-listen"))
        c->sip_listen = v;
    else if (!strcmp(name, "sip-trunk"))
        c->sip_trunk = v;
    else if (!strcmp(name, "sip-auth"))
        c->sip_auth = v;
    else if (!strcmp(name, "account"))
        return add_account(o, v, err, errlen);
    else if (!strcmp(name, "api-key"))
        return add_api_key(o, v, err, errlen);
    else if (!strcmp(name, "max-connections-per-ip")) {
        if (cli_parse_int(v, &l) || l < 1 || l > 500) {
            snprintf(err, errlen, "--max-connections-per-ip: expected 1..500, got '%s'", v);
            return -1;
        }
        c->max_connections_per_ip = (int)l;
    } else if (!strcmp(name, "request-timeout")) {
        if (cli_parse_int(v, &l) || l < 1 || l > 3600) {
            snprintf(err, errlen, "--request-timeout: expected seconds 1..3600, got '%s'", v);
            return -1;
        }
        c->request_timeout_s = (int)l;
    } else if (!strcmp(name, "max-queued")) {
        if (cli_parse_int(v, &l) || l < 1 || l > 100000000) {
            snprintf(err, errlen, "--max-queued: expected 1..100000000 calls, got '%s'", v);
            return -1;
        }
        c->max_queued_per_account = l;
    }
    else if (!strcmp(name, "cps")) {
        if (cli_parse_double(v, &d) || !(d > 0 && d <= 10000)) {
            snprintf(err, errlen, "--cps: expected a number in (0, 10000], got '%s'", v);
            return -1;
        }
        c->cps = d;
    } else if (!strcmp(name, "clock-speed")) {
        if (cli_parse_double(v, &d) || !(d > 0 && d <= 10000)) {
            snprintf(err, errlen, "--clock-speed: expected a number in (0, 10000], got '%s'", v);
            return -1;
        }
        c->clock_speed = d;
    } else if (!strcmp(name, "webhook-timeout")) {
        if (cli_parse_int(v, &l) || l < 100 || l > 600000) {
            snprintf(err, errlen, "--webhook-timeout: expected milliseconds 100..600000, got '%s'", v);
            return -1;
        }
        c->webhook_timeout_ms = (int)l;
    } else if (!strcmp(name, "webhook-allow")) {
        c->webhook_allow = v; /* checked by amd_server_create */
    } else if (!strcmp(name, "webhook-inflight-per-account")) {
        if (cli_parse_int(v, &l) || l < 1 || l > 256) {
            snprintf(err, errlen, "--webhook-inflight-per-account: expected 1..256, got '%s'", v);
            return -1;
        }
        c->webhook_inflight_per_account = (int)l;
    } else if (!strcmp(name, "media-priority")) {
        if (cli_parse_int(v, &l) || l < 0 || l > 99) {
            snprintf(err, errlen, "--media-priority: expected 0..99, got '%s'", v);
            return -1;
        }
        c->media_priority = (int)l;
    } else if (!strcmp(name, "console-port")) {
        if (cli_parse_int(v, &l) || l < 0 || l > 65535) {
            snprintf(err, errlen, "--console-port: expected a TCP port 0..65535, got '%s'", v);
            return -1;
        }
        o->console_port = l;
    } else if (!strcmp(name, "log-level")) {
        if (parse_level(v, &c->log_level)) {
            snprintf(err, errlen, "--log-level: expected error, warn, info or debug, got '%s'", v);
            return -1;
        }
    } else {
        snprintf(err, errlen, "unknown option --%s", name);
        return -1;
    }
    return 0;
}

/* AMD_* environment variables first, then flags over them. 0 to go on, 1 when --help was
 * printed, -1 on an error (already reported). */
static int load_env(serve_opts *o, char *err, size_t errlen)
{
    static const char *const env[][2] = {{"AMD_LISTEN", "listen"},          {"AMD_DB", "db"},
                                         {"AMD_INSTANCE", "instance"},
                                         {"AMD_DIALPLAN", "dialplan"},      {"AMD_CPS", "cps"},
                                         {"AMD_CLOCK_SPEED", "clock-speed"}, {"AMD_PUBLIC_URL", "public-url"},
                                         {"AMD_RECORDINGS", "recordings"},  {"AMD_LOG_LEVEL", "log-level"},
                                         {"AMD_SIP_LISTEN", "sip-listen"},  {"AMD_SIP_TRUNK", "sip-trunk"},
                                         {"AMD_SIP_AUTH", "sip-auth"},
                                         {"AMD_WEBHOOK_TIMEOUT", "webhook-timeout"},
                                         {"AMD_WEBHOOK_ALLOW", "webhook-allow"},
                                         {"AMD_WEBHOOK_INFLIGHT_PER_ACCOUNT", "webhook-inflight-per-account"},
                                         {"AMD_MEDIA_PRIORITY", "media-priority"},
                                         {"AMD_MAX_CONNECTIONS_PER_IP", "max-connections-per-ip"},
                                         {"AMD_REQUEST_TIMEOUT", "request-timeout"},
                                         {"AMD_MAX_QUEUED", "max-queued"},
                                         {"AMD_CONSOLE_PORT", "console-port"}};
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
        const char *v = getenv(env[i][0]);
        if (v && *v && apply(o, env[i][1], v, err, errlen)) {
            fprintf(stderr, "amd serve: %s (from %s)\n", err, env[i][0]);
            return -1;
        }
    }
    return 0;
}

static int load_flags(serve_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (strncmp(a, "--", 2)) {
            fprintf(stderr, "amd serve: unexpected argument '%s' (see amd serve --help)\n", a);
            return -1;
        }
        char name[64];
        const char *val;
        const char *eq = strchr(a + 2, '=');
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a + 2);
            if (i + 1 >= argc) {
                fprintf(stderr, "amd serve: --%s needs a value\n", name);
                return -1;
            }
            val = argv[++i];
        }
        if (apply(o, name, val, err, errlen)) {
            fprintf(stderr, "amd serve: %s\n", err);
            return -1;
        }
    }
    return 0;
}

/* A comma-separated list from @p var through @p add, unless flags already gave some (@p have). */
static int load_env_list(serve_opts *o, const char *var, size_t have,
                         int (*add)(serve_opts *, const char *, char *, size_t), char *err, size_t errlen)
{
    const char *v = getenv(var);
    if (have || !v || !*v)
        return 0;
    char *copy = strdup(v), *save = NULL;
    if (!copy) {
        fprintf(stderr, "amd serve: out of memory\n");
        return -1;
    }
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save))
        if (add(o, t, err, errlen)) {
            fprintf(stderr, "amd serve: %s (from %s)\n", err, var);
            rc = -1;
        }
    free(copy);
    return rc;
}

/* The options: 0 to run, 1 after --help, -1 on an error (reported). */
static int load_options(serve_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    int r = load_env(o, err, errlen);
    if (!r)
        r = load_flags(o, argc, argv, err, errlen);
    /* accounts and API keys given as flags replace AMD_ACCOUNTS / AMD_API_KEYS */
    if (!r)
        r = load_env_list(o, "AMD_ACCOUNTS", o->nacc, add_account, err, errlen);
    if (!r)
        r = load_env_list(o, "AMD_API_KEYS", o->nkey, add_api_key, err, errlen);
    o->cfg.accounts = o->acc;
    o->cfg.n_accounts = o->nacc;
    o->cfg.api_keys = o->key;
    o->cfg.n_api_keys = o->nkey;
    return r;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* SIGHUP (terminal closed, or a log-rotation habit) is ignored: the log goes to stderr,
     * which belongs to whoever started us, so there is no file to reopen, and live calls must
     * not end because a terminal went away. Stop with SIGINT or SIGTERM. */
    signal(SIGHUP, SIG_IGN);
}

static void print_banner(const serve_opts *o, amd_server *srv)
{
    char sid[35], token[65];
    const char *listen = o->cfg.listen ? o->cfg.listen : "127.0.0.1:8080";
    const char *colon = strrchr(listen, ':');
    printf("amd serve: listening on http://%.*s:%d\n", colon ? (int)(colon - listen) : 0, listen,
           amd_server_port(srv));
    if (amd_server_new_account(srv, sid, token)) {
        printf("amd serve: created account %s with auth token %s\n", sid, token);
        printf("amd serve: (the token is printed only now; it is stored in the database)\n");
    }
    for (size_t i = 0; i < amd_server_account_count(srv); i++)
        printf("amd serve: account %s\n", amd_server_account_sid(srv, i));
    if (amd_server_console_port(srv))
        printf("amd serve: console at http://%.*s:%d/console/\n", colon ? (int)(colon - listen) : 0, listen,
               amd_server_console_port(srv));
    if (o->cfg.sip_listen)
        printf("amd serve: SIP driver on udp %s%s%s\n", o->cfg.sip_listen, o->cfg.sip_trunk ? ", trunk " : "",
               o->cfg.sip_trunk ? o->cfg.sip_trunk : "");
    else if (!o->cfg.dialplan_path)
        printf("amd serve: no --dialplan: every number fails as unroutable (try --dialplan testdata/dialplan.json)\n");
    fflush(stdout);
}

static void print_stop_stats(amd_server *srv)
{
    amd_server_stats st;
    if (amd_server_stats_get(srv, &st) == 0)
        fprintf(stderr,
                "amd serve: stopping; %ld call(s) live (answered: completed now; queued: dialed after the next start); "
                "media clock: %lld ticks, "
                "%lld started > 20 ms late, worst %.1f ms late; tick work mean %.2f ms, worst %.1f ms; worst commit %.1f ms\n",
                st.calls_live, st.ticks, st.late_ticks, st.max_lateness_us / 1000.0, st.tick_work_us_avg / 1000.0,
                st.tick_work_us_max / 1000.0, st.commit_us_max / 1000.0);
}

/* Create, start and run the server until SIGINT / SIGTERM: the exit status. */
static void console_config(serve_opts *o)
{
    if (o->console_port < 0)
        return;
    const char *listen = o->cfg.listen ? o->cfg.listen : "127.0.0.1:8080";
    const char *colon = strrchr(listen, ':');
    snprintf(o->console_listen, sizeof o->console_listen, "%.*s:%ld", colon ? (int)(colon - listen) : 0, listen,
             o->console_port);
    o->cfg.console_listen = o->console_listen;
    ssize_t n = readlink("/proc/self/exe", o->self_exe, sizeof o->self_exe - 1);
    if (n > 0) {
        o->self_exe[n] = 0;
        o->cfg.console_bench_program = o->self_exe;
    }
}

static int run_server(serve_opts *o, char *err, size_t errlen)
{
    amd_server *srv = NULL;
    console_config(o);
    int r = amd_server_create(&o->cfg, &srv, err, errlen);
    if (r) {
        fprintf(stderr, "amd serve: %s\n", err[0] ? err : amd_strerror(r));
        return r == AMD_EINVAL ? 2 : 1;
    }
    install_signals();
    r = amd_server_start(srv, err, errlen);
    if (r) {
        fprintf(stderr, "amd serve: %s\n", err[0] ? err : amd_strerror(r));
        amd_server_destroy(srv);
        return 1;
    }
    print_banner(o, srv);
    while (!g_stop) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    print_stop_stats(srv);
    amd_server_destroy(srv);
    return 0;
}

int amd_cli_serve(int argc, char **argv)
{
    serve_opts o;
    memset(&o, 0, sizeof o);
    o.console_port = -1;
    amd_server_config_init(&o.cfg);
    o.cfg.log_fn = log_line;
    char err[512] = "";
    int r = load_options(&o, argc, argv, err, sizeof err);
    int rc = r > 0 ? 0 : r < 0 ? 2 : run_server(&o, err, sizeof err);
    for (size_t i = 0; i < o.nacc; i++)
        free(o.acc_buf[i]);
    for (size_t i = 0; i < o.nkey; i++)
        free(o.key_buf[i]);
    return rc;
}
