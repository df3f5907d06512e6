/* SPDX-License-Identifier: MIT */
/* Placeholder until the call-control shim's `amd serve` lands (it replaces this file). */
#include <stdio.h>

#include "commands.h"

int amd_cli_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "amd serve: not available in this build\n");
    return 2;
}
