/* SPDX-License-Identifier: MIT */
/* The `amd` subcommands. Each takes argv starting at the subcommand name and returns the
 * process exit code: 0 success, 1 some inputs failed, 2 usage error. */
#ifndef AMD_CLI_COMMANDS_H
#define AMD_CLI_COMMANDS_H

int amd_cli_classify(int argc, char **argv);
int amd_cli_trace(int argc, char **argv);
int amd_cli_bench(int argc, char **argv);
int amd_cli_serve(int argc, char **argv);

#endif
