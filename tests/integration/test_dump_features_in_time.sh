#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/dump_features eval (the model trainer's scorer) and `amd bench` compute the in-time human
# rate (answered human by greeting_end_ms + 1.5 s, bench/README.md) and the p50 / p95 of
# decision - greeting end the same way: two implementations, one definition, on testdata/.
set -u
: "${AMD_BIN:?}" "${AMD_SOURCE_DIR:?}" "${AMD_BINARY_DIR:?}"
DF="$AMD_BINARY_DIR/bench/dump_features"
[ -x "$AMD_BIN" ] || { echo "skip: $AMD_BIN not built"; exit 77; }
[ -x "$DF" ] || { echo "skip: $DF not built (AMD_BUILD_BENCH=OFF)"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
M="$AMD_SOURCE_DIR/testdata/manifest.csv"
fail=0
for engine in timing model; do
    "$DF" eval "$M" --engine "$engine" 2>/dev/null | tail -n 1 >"$T/df.json" || { echo "FAIL: dump_features eval"; exit 1; }
    "$AMD_BIN" bench "$M" --engine "$engine" --mode enable --no-vad --format json >"$T/b.json" 2>/dev/null ||
        { echo "FAIL: amd bench"; exit 1; }
    /usr/bin/python3 - "$T/df.json" "$T/b.json" "$engine" <<'PY' || fail=1
import json, sys
df = json.load(open(sys.argv[1]))
e = json.load(open(sys.argv[2]))["enable"]
it = e["in_time_human"]
assert it["of"] > 5, "testdata has live answers with greeting_end_ms"
want = it["count"] / it["of"]
assert abs(df["in_time_human"] - want) < 1e-3, (sys.argv[3], df["in_time_human"], want)
h = e["human_after_greeting_end_ms"]
assert (df["after_end_p50"], df["after_end_p95"]) == (h["p50"], h["p95"]), (sys.argv[3], df, h)
print("ok: %s engine: in time %d/%d, p50 / p95 %s / %s ms in both" % (sys.argv[3], it["count"], it["of"], h["p50"], h["p95"]))
PY
done
exit $fail
