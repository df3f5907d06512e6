/* SPDX-License-Identifier: MIT */
#include "amd/version.h"

const char *amd_version_string(void) { return AMD_VERSION_STRING; }

int amd_version_number(void) { return AMD_VERSION_NUMBER; }
