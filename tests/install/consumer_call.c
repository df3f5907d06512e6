/* SPDX-License-Identifier: MIT */
/* The smallest use of an installed amdcall: a call server on a free port with a database in
 * argv[1], started and stopped. Prints "amdcall <libamd version> port>0 accounts=N".
 * Built by test_install_consumer.sh with pkg-config (libamdcall) and find_package(amd COMPONENTS call). */
#include <amd/amd.h>
#include <amd/server.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer_call DB\n");
        return 2;
    }
    amd_server_config cfg;
    amd_server_config_init(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = argv[1];
    cfg.log_level = AMD_LOG_ERROR;
    amd_server *srv = NULL;
    char err[256] = "";
    if (amd_server_create(&cfg, &srv, err, sizeof err) != 0 || amd_server_start(srv, err, sizeof err) != 0) {
        fprintf(stderr, "server: %s\n", err);
        amd_server_destroy(srv);
        return 1;
    }
    int port = amd_server_port(srv);
    size_t accounts = amd_server_account_count(srv);
    amd_server_destroy(srv);
    printf("amdcall %s port>0=%d accounts=%zu\n", amd_version_string(), port > 0, accounts);
    return port > 0 && accounts >= 1 ? 0 : 1;
}
