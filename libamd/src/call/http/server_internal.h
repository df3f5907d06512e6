/* SPDX-License-Identifier: MIT */
/* Part of libamdcall: what the files of amd_server (server.h) share. server.c creates and
 * destroys it; server_config.c checks its config; server_listen.c starts the HTTP daemon;
 * server_conn.c keeps the connection list and the request deadline; server_routes.c routes
 * each request; server_respond.c sends the answers. Internal: nothing here is exported. */
#ifndef AMDI_SERVER_INTERNAL_H
#define AMDI_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>

#include "amd/server.h"
#include "console.h"
#include "dialplan.h"
#include "calls.h"
#include "net_policy.h"
#include "rest.h"
#include "store.h"

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


/* Log @p msg through the configured logger when @p lv passes its level. */
void amdi_server_log(amd_server *s, amd_log_level lv, const char *msg);

/* server_config.c */
/* @p cfg as this library's full struct in @p own: a layout-1 (0.2) struct or a shorter
 * layout-2 one gets the defaults for what it lacks. 0, or AMD_EVERSION with a message. */
int amdi_server_config_take(const amd_server_config *cfg, amd_server_config *own, char *err, size_t errlen);
void(amd_server_config_init)(amd_server_config *cfg); /* the 0.2 symbol (layout 1) */
int amdi_server_check_config(const amd_server_config *cfg, char *err, size_t errlen);
void amdi_server_set_instance(amd_server *s, const amd_server_config *cfg);

/* server_conn.c: the open connections and the whole-request deadline. */
void amdi_server_on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                               enum MHD_ConnectionNotificationCode code); /* MHD_OPTION_NOTIFY_CONNECTION */
void amdi_server_conn_wait(amd_server *s, struct MHD_Connection *con, int receiving);
int amdi_server_reaper_start(amd_server *s); /* 0 or an errno */
void amdi_server_reaper_stop(amd_server *s);

/* server_routes.c: the libmicrohttpd callbacks of one request. */
void *amdi_server_on_uri(void *cls, const char *uri, struct MHD_Connection *con);
void amdi_server_on_done(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe);
enum MHD_Result amdi_server_on_request(void *cls, struct MHD_Connection *con, const char *url, const char *method,
                                       const char *version, const char *upload, size_t *upload_size,
                                       void **con_cls);

/* server_respond.c */
enum MHD_Result amdi_server_send_response(struct MHD_Connection *con, amdi_response *ar);
void amdi_server_refuse_early(struct MHD_Connection *con, int status, const char *reason, const char *msg);

#endif
