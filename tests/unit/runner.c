/* SPDX-License-Identifier: MIT */
/* One runner for every Check suite: `check_runner NAME` runs one suite, no argument runs all. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

int main(int argc, char **argv)
{
    SRunner *sr = NULL;
    for (size_t i = 0; amd_suites[i].name; i++) {
        if (argc > 1 && strcmp(argv[1], amd_suites[i].name) != 0)
            continue;
        if (!sr)
            sr = srunner_create(amd_suites[i].make());
        else
            srunner_add_suite(sr, amd_suites[i].make());
    }
    if (!sr) {
        fprintf(stderr, "check_runner: no suite named '%s'\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
