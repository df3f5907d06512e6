/* SPDX-License-Identifier: MIT */
#include "amd/log.h"

const char *amd_log_level_name(amd_log_level level)
{
    switch (level) {
    case AMD_LOG_ERROR: return "error";
    case AMD_LOG_WARN: return "warn";
    case AMD_LOG_INFO: return "info";
    case AMD_LOG_DEBUG: return "debug";
    default: return "?";
    }
}
