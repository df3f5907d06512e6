/* SPDX-License-Identifier: MIT */
#include "amd/error.h"

const char *amd_strerror(int err)
{
    switch (err) {
    case AMD_OK: return "success";
    case AMD_EINVAL: return "invalid argument";
    case AMD_ENOMEM: return "out of memory";
    case AMD_ESTATE: return "operation not allowed in this state";
    case AMD_EFORMAT: return "malformed data";
    case AMD_EVERSION: return "unsupported version";
    case AMD_ECHECKSUM: return "checksum mismatch";
    case AMD_EIO: return "input/output error";
    case AMD_ENOTFOUND: return "not found";
    case AMD_ELIMIT: return "limit exceeded";
    case AMD_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}
