/* SPDX-License-Identifier: MIT */
/* A call server's smallest use of an installed libamd: 3 s of a 1 kHz-free silence → unknown
 * at the silence timeout. Built by test_install_consumer.sh with pkg-config and find_package. */
#include <amd/amd.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.silence_timeout_ms = 2000;
    amd_detector *det = NULL;
    char err[256];
    if (amd_detector_create(&cfg, &det, err, sizeof err) != 0) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    static const int16_t zeros[160];
    for (int i = 0; i < 300 && amd_detector_process_s16(det, zeros, 160) == 0; i++)
        ;
    amd_result r;
    int decided = amd_detector_result(det, &r);
    amd_detector_destroy(det);
    /* the headers and the library agree on the version and on the result's size */
    if (amd_version_number() != AMD_VERSION_NUMBER || r.struct_size != sizeof r) {
        fprintf(stderr, "headers %s vs library %s, struct_size %zu vs %zu\n", AMD_VERSION_STRING,
                amd_version_string(), r.struct_size, sizeof r);
        return 1;
    }
    printf("%s %s %lld\n", amd_version_string(), amd_answered_by_name(r.answered_by),
           (long long)r.decision_ms);
    return decided == 1 && strcmp(amd_answered_by_name(r.answered_by), "unknown") == 0 ? 0 : 1;
}
