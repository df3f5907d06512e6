/* SPDX-License-Identifier: MIT */
/**
 * @file server.h
 * `amd serve` as a library: a Twilio-compatible Calls REST API
 * (https://www.twilio.com/docs/voice/api/call-resource) with
 * answering-machine-detection callbacks, over a carrier driver (the built-in simulated
 * carrier by default). Part of the amdcall library.
 *
 * Lifecycle: amd_server_config_init() -> set fields -> amd_server_create() (opens the
 * database, loads the dial plan, sets up accounts) -> amd_server_start() (starts the HTTP
 * server, the media-clock thread and the webhook thread) -> ... -> amd_server_destroy().
 *
 * Threading: the server runs its own threads (HTTP workers, one engine thread for the media
 * clock, one webhook thread). The functions here and in call.h may be called from any thread.
 * Logging goes through the config's log callback, from any of those threads.
 */
#ifndef AMD_SERVER_H
#define AMD_SERVER_H

#include <stddef.h>

#include "amd/error.h"
#include "amd/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Layout of amd_server_config. 2 added struct_size; 1 is the 0.2 layout (no struct_size),
 * still accepted from programs built against 0.2 headers.
 *
 * ABI growth: amd_server_config is allocated by the caller and read by the library. New
 * fields are only ever appended, and amd_server_config_init() records the caller's
 * sizeof in struct_size. A program built against older headers (smaller struct) keeps
 * working with a newer library: the fields it does not have take their defaults. A program
 * built against newer headers works with an older library as long as it leaves the fields
 * that library does not know at their defaults (zero); otherwise amd_server_create() fails
 * with AMD_EVERSION, naming the size, instead of ignoring a setting.
 */
#define AMD_SERVER_CONFIG_VERSION 2

/** One account: `AC` + 32 hex digits and its auth token (any 1..64 printable characters). */
typedef struct amd_server_account {
    const char *sid;
    const char *token;
} amd_server_account;

/** An API key (Twilio's API Keys resource): `SK` + 32 hex digits and its secret (1..64
 *  printable characters), authenticating as account @p account (HTTP Basic with the key SID
 *  as user name, as Twilio's helper libraries send `Client(key_sid, key_secret, account_sid)`).
 *  Webhooks stay signed with the account's auth token. */
typedef struct amd_server_api_key {
    const char *sid;
    const char *secret;
    const char *account;
} amd_server_api_key;

/** Server configuration; strings are copied by amd_server_create(). */
typedef struct amd_server_config {
    unsigned version;              /**< AMD_SERVER_CONFIG_VERSION (set by amd_server_config_init) */
    size_t struct_size;            /**< sizeof the caller's struct (set by amd_server_config_init) */
    const char *listen;            /**< "ADDR:PORT" or "[v6]:PORT"; default "127.0.0.1:8080"; port 0 = any free port */
    const char *db_path;           /**< SQLite database file; default "amd-serve.db"; or a PostgreSQL connection
                                        URI "postgresql://..." shared by several servers (README "Running several
                                        processes") */
    const char *dialplan_path;     /**< simulated carrier dial plan (JSON; README "amd serve"); NULL = no routes */
    const amd_server_account *accounts; /**< accounts to add or update; may be NULL */
    size_t n_accounts;
    double cps;                    /**< calls per second per account; default 1 (Twilio's default) */
    double clock_speed;            /**< simulated time runs this many times faster; default 1, max 10000 */
    const char *public_url;        /**< external base URL of this server (recording URLs); NULL: from listen */
    const char *recordings_dir;    /**< where recordings would be written; NULL: none */
    size_t max_body_bytes;         /**< request body limit; default 65536 */
    int webhook_timeout_ms;        /**< total time allowed per webhook request; default 15000 */
    int http_threads;              /**< HTTP worker threads; default 2 */
    amd_log_fn log_fn;             /**< optional log sink */
    void *log_user;
    amd_log_level log_level;       /**< default AMD_LOG_INFO */
    /* SIP driver: set sip_listen to place calls over SIP/RTP instead of the simulated
     * carrier (then clock_speed must be 1 and dialplan_path is ignored). */
    const char *sip_listen;        /**< our SIP UDP address, numeric "IP:PORT", e.g. "127.0.0.1:5090"; NULL: sim */
    const char *sip_trunk;         /**< "sip:IP[:PORT]" that phone-number `To`s are sent to; NULL: only sip: `To`s */
    const char *sip_auth;          /**< default digest credentials "user:password"; NULL: none */
    /** 1..99: run the media clock and the detector threads with SCHED_RR at this priority, as
     *  telephony servers run their media threads, so other load on the machine cannot make
     *  audio frames late (needs root or CAP_SYS_NICE; if refused, a warning is logged and they
     *  run normally). 0 (default): normal scheduling. */
    int media_priority;
    /* Abuse limits (0 = default). */
    int max_connections_per_ip;    /**< open HTTP connections per client address; default 64, max 1000 */
    int request_timeout_s;         /**< a request's headers and body must arrive within this; default 10 */
    long max_queued_per_account;   /**< calls waiting in one account's CPS queue; beyond: 429 / 20429; default 50000 */
    const amd_server_api_key *api_keys; /**< API keys; may be NULL */
    size_t n_api_keys;
    /** Outgoing requests (webhooks, TwiML fetches, callbacks) may not connect to loopback,
     *  private, shared (CGNAT), link-local, unspecified, multicast or reserved addresses,
     *  checked on the address actually connected to. This comma-separated CIDR list
     *  ("127.0.0.0/8,::1/128") opens ranges again (local development). NULL/"": none. */
    const char *webhook_allow;
    /** Most webhook requests one account may have in flight at once (the rest wait their turn;
     *  accounts are served round-robin, so one account's slow webhooks cannot hold up another's).
     *  Default (and 0) 64; 1..256 (the server-wide limit). */
    int webhook_inflight_per_account;
    /** This process's name among several on one PostgreSQL database (1..63 of A-Z a-z 0-9 . _ -;
     *  unique; the same name after a restart takes over that run's calls at once). Shown in
     *  logs, events and /health. NULL: "<hostname>-<pid>". */
    const char *instance;
    /** The browser console (README "The console"): "ADDR:PORT" it listens on, port 0 = any
     *  free port; NULL (default): no console. Keep it on loopback, or behind an https reverse
     *  proxy (then set public_url to the https URL: the session cookie becomes Secure). */
    const char *console_listen;
    /** Path of the `amd` program the console's tuning page runs `amd bench` with; NULL: the
     *  tuning page is off (embedders without the CLI). */
    const char *console_bench_program;
} amd_server_config;

typedef struct amd_server amd_server;

/**
 * Fill the first @p size bytes of @p cfg (the caller's sizeof) with the defaults above and set
 * version and struct_size; fields beyond this library's struct are zeroed. Call it through the
 * amd_server_config_init() macro, which passes sizeof *cfg.
 */
void amd_server_config_init_sized(amd_server_config *cfg, size_t size);
/** Fill @p cfg with the defaults above (a macro: records sizeof *cfg in struct_size). */
#define amd_server_config_init(cfg) amd_server_config_init_sized((cfg), sizeof *(cfg))

/**
 * Create a server (not yet listening). Opens / creates the database, adds the configured
 * accounts; when the database then holds no account at all, creates one (see
 * amd_server_new_account()).
 * @return 0; AMD_EINVAL (bad field, message in @p err), AMD_EIO, AMD_EFORMAT (dial plan),
 *         AMD_EVERSION (a config not made by amd_server_config_init(), or with fields set that
 *         this library does not know), AMD_ENOMEM.
 */
int amd_server_create(const amd_server_config *cfg, amd_server **out, char *err, size_t errlen);

/**
 * If amd_server_create() had to create the first account, copy its SID (35 bytes incl. NUL)
 * and token (65 bytes) and return 1; otherwise return 0.
 */
int amd_server_new_account(const amd_server *srv, char *sid, char *token);

/** Number of accounts and the SID of account @p i (static until destroy), for start-up banners. */
size_t amd_server_account_count(const amd_server *srv);
const char *amd_server_account_sid(const amd_server *srv, size_t i);

/**
 * Close out calls left live by a previous process, start the engine and webhook threads and
 * listen. @return 0, AMD_EIO (cannot listen; message in @p err), AMD_ESTATE if started.
 */
int amd_server_start(amd_server *srv, char *err, size_t errlen);

/** The TCP port being listened on (after start), or 0. */
int amd_server_port(const amd_server *srv);
/** The console's TCP port (after start), or 0 when there is no console. */
int amd_server_console_port(const amd_server *srv);

#define AMD_SERVER_LATENESS_BUCKETS 201

/** Counters of a running server (for diagnostics and load tests). */
typedef struct amd_server_stats {
    long calls_live;             /**< calls queued or in progress */
    long calls_queued;           /**< waiting in CPS queues */
    long calls_active;           /**< dialing, ringing or answered */
    long long ticks;             /**< 20 ms media-clock ticks run */
    long long late_ticks;        /**< ticks that started more than 20 ms of real time late */
    long long max_lateness_us;   /**< worst tick start lateness, microseconds of real time */
    long long tick_work_us_avg;  /**< mean real time spent processing one tick, microseconds */
    long long tick_work_us_max;  /**< worst tick processing time */
    long long commit_us_max;     /**< worst store commit of a tick's transitions */
    size_t webhooks_pending;     /**< webhook requests queued or in flight */
    /** Histogram of tick start lateness (every answered call's 20 ms frame of that tick is as
     *  late): bucket i counts ticks [i, i+1) ms late, the last one those >= 200 ms. */
    long long lateness_ms_hist[AMD_SERVER_LATENESS_BUCKETS];
} amd_server_stats;

/** Fill @p out. 0 or AMD_EINVAL. */
int amd_server_stats_get(amd_server *srv, amd_server_stats *out);

/** Stop listening, stop the threads, close the database. NULL is a no-op. */
void amd_server_destroy(amd_server *srv);

#ifdef __cplusplus
}
#endif
#endif /* AMD_SERVER_H */
