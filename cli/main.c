/* SPDX-License-Identifier: MIT */
/* The `amd` program: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "amd/amd.h"
#include "commands.h"

static void usage(FILE *out)
{
    fputs("Usage: amd COMMAND [options] ...\n"
          "Answering-machine detection for telephone audio (libamd).\n\n"
          "Commands:\n"
          "  classify   label recorded calls: human, machine_start / machine_end_*, fax, unknown\n"
          "  trace      show why: the 10 ms frame timeline (CSV) and an SVG picture of a call\n"
          "  bench      score the detector (or another engine's answers) on a labeled corpus\n"
#ifdef AMD_HAVE_CALL
          "  serve      run the Twilio-compatible call API (REST server)\n\n"
#else
          "  serve      (not in this build: configured with -DAMD_BUILD_CALL=OFF)\n\n"
#endif
          "  amd COMMAND --help   options of a command\n"
          "  amd --version        version of the program and the library\n\n"
          "Exit status: 0 success, 1 some inputs failed, 2 usage error.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        if (!strcmp(cmd, "help") && argc > 2) {
            static char help[] = "--help";
            static char *sub[4];
            sub[0] = argv[0];
            sub[1] = argv[2];
            sub[2] = help;
            sub[3] = NULL;
            argc = 3;
            argv = sub;
            cmd = argv[1];
        } else {
            usage(stdout);
            return 0;
        }
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("amd %s (libamd %s)\n", AMD_VERSION_STRING, amd_version_string());
        return 0;
    }
    if (!strcmp(cmd, "classify"))
        return amd_cli_classify(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace"))
        return amd_cli_trace(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return amd_cli_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve")) {
#ifdef AMD_HAVE_CALL
        return amd_cli_serve(argc - 1, argv + 1);
#else
        fprintf(stderr, "amd serve: not available: this amd was built without the call server "
                        "(configured with -DAMD_BUILD_CALL=OFF)\n");
        return 2;
#endif
    }
    fprintf(stderr, "amd: unknown command '%s' (see amd --help)\n", cmd);
    return 2;
}
