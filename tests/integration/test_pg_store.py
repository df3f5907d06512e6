#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The store interface's Check suite (tests/unit/call/check_call_store_iface.c) against a
throwaway PostgreSQL (pg_harness.py): the same checks the SQLite store passes in the unit run,
plus the shared-database operations (claims, take-over, leases)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_harness  # noqa: E402

runner = os.path.join(os.environ.get("AMD_BINARY_DIR", "build"), "tests", "check_runner")
if not os.access(runner, os.X_OK):
    print("SKIP: %s is not built" % runner)
    sys.exit(77)
pg = pg_harness.Postgres()
env = dict(os.environ, AMD_TEST_PG_URI=pg.uri, CK_RUN_CASE="postgresql")
r = subprocess.run([runner, "call_store_iface"], env=env, capture_output=True, text=True)
print(r.stdout + r.stderr)
ok = r.returncode == 0 and "SKIP" not in r.stdout and "100%" in (r.stdout + r.stderr)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
