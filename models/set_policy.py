#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rewrite the decision-policy numbers of a model file (libamd/src/core/model.h), keeping its
weights, and recompute the payload CRC-32. Policy indices are amdi_model_param:
0 P_MACHINE, 1 P_HUMAN, 2 HUMAN_GAP_MS, 3 MIN_MACHINE_MS, 4 VETO_P, 5 VETO_EXTRA_MS,
6 BOUND_P_HUMAN, 7 reserved.

    models/set_policy.py IN.amdm OUT.amdm [INDEX=VALUE ...]   (no pairs: print the policy)
"""
import struct
import sys
import zlib

HEADER = 20


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    data = bytearray(open(argv[0], "rb").read())
    if data[:8] != b"AMDM\r\n\x1a\n" or len(data) < HEADER + 8:
        sys.exit("%s: not a model file" % argv[0])
    pay = data[HEADER:]
    if struct.unpack_from("<I", data, 16)[0] != zlib.crc32(bytes(pay)) & 0xFFFFFFFF:
        sys.exit("%s: checksum mismatch" % argv[0])
    _nf, _nh, npar, dlen = struct.unpack_from("<4H", pay, 0)
    off = 8 + dlen
    pol = list(struct.unpack_from("<%df" % npar, pay, off))
    for a in argv[2:]:
        k, v = a.split("=")
        if not 0 <= int(k) < npar:
            sys.exit("policy index %s out of range 0..%d" % (k, npar - 1))
        pol[int(k)] = float(v)
    print("policy:", " ".join("%g" % x for x in pol))
    struct.pack_into("<%df" % npar, pay, off, *pol)
    data[HEADER:] = pay
    struct.pack_into("<I", data, 16, zlib.crc32(bytes(pay)) & 0xFFFFFFFF)
    open(argv[1], "wb").write(bytes(data))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
