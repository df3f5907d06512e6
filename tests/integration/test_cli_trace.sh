#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `amd trace`: summary, the 10 ms frame timeline as CSV, and a well-formed SVG picture
# carrying the decision; the decision equals classify's (shared feeding code).
set -u
: "${AMD_BIN:?}" "${AMD_SOURCE_DIR:?}"
[ -x "$AMD_BIN" ] || { echo "skip: $AMD_BIN not built"; exit 77; }
TD="$AMD_SOURCE_DIR/testdata"
[ -f "$TD/manifest.csv" ] || { echo "skip: testdata/ not present"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

F=$(/usr/bin/python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r.get("beep_end_ms")]
print(rows[0]["file"] if rows else "")' "$TD/manifest.csv")
[ -n "$F" ] || F=$(tail -n +2 "$TD/manifest.csv" | head -1 | cut -d, -f1)
F="$TD/$F"

for mode in Enable DetectMessageEnd; do
    "$AMD_BIN" trace --machine-detection $mode --svg "$T/$mode.svg" --csv "$T/$mode.csv" "$F" >"$T/$mode.txt" 2>"$T/err"
    check "trace $mode exits 0" $?
    cat "$T/$mode.txt"
    want=$("$AMD_BIN" classify --format csv --machine-detection $mode "$F" | tail -1 | cut -d, -f2,3)
    got=$(sed -n 's/^decision: \([a-z_]*\) at \([0-9.]*\) s.*/\1,\2/p' "$T/$mode.txt" |
          awk -F, '{ printf "%s,%d\n", $1, $2 * 1000 + 0.5 }')
    [ "$want" = "$got" ]; check "trace decision equals classify ($want vs $got)" $?
    for s in "decision:" "speech onset" "speech segments (VAD)" "tones:" "states:" "frames:"; do
        grep -q "$s" "$T/$mode.txt"; check "summary has '$s'" $?
    done
    /usr/bin/python3 - "$T/$mode.csv" "$T/$mode.svg" "$want" <<'PY'
import csv, sys, xml.etree.ElementTree as ET
rows = list(csv.DictReader(open(sys.argv[1])))
assert list(rows[0]) == ["time_ms", "level_db", "noise_floor_db", "speech_prob", "speech",
                         "tone_hz", "tone_kind", "state"], list(rows[0])
t = [int(r["time_ms"]) for r in rows]
assert t[0] == 10 and all(b - a == 10 for a, b in zip(t, t[1:])), "frames every 10 ms"
assert all(0 <= float(r["speech_prob"]) <= 1 and r["speech"] in ("0", "1") for r in rows)
assert all(r["state"] for r in rows)
svg = ET.parse(sys.argv[2]).getroot()
texts = " ".join("".join(e.itertext()) for e in svg.iter() if e.tag.endswith("text"))
label = sys.argv[3].split(",")[0]
assert label in texts, "decision label missing from the picture"
assert "time since answer (s)" in texts
paths = [e for e in svg.iter() if e.tag.endswith("path") or e.tag.endswith("polyline")]
assert len(paths) >= 3, "waveform, level and noise floor drawn"
print("timeline %d frames, picture ok" % len(rows))
PY
    check "$mode: CSV timeline and SVG picture" $?
done
"$AMD_BIN" trace --csv - "$F" >"$T/stdout.csv" 2>"$T/summary"
head -1 "$T/stdout.csv" | grep -q '^time_ms,'; check "--csv - writes the timeline to stdout" $?
grep -q "decision:" "$T/summary"; check "... and the summary to stderr" $?
"$AMD_BIN" trace >/dev/null 2>&1; [ $? -eq 2 ]; check "trace without a file -> 2" $?
"$AMD_BIN" trace "$F" "$F" >/dev/null 2>&1; [ $? -eq 2 ]; check "trace with two files -> 2" $?
"$AMD_BIN" trace --speech-threshold 10 "$F" >/dev/null 2>&1; [ $? -eq 2 ]; check "trace bad parameter -> 2" $?
"$AMD_BIN" trace "$T/missing.wav" >/dev/null 2>&1; [ $? -eq 1 ]; check "trace missing file -> 1" $?
"$AMD_BIN" trace --svg /nonexistent-dir/x.svg "$F" >/dev/null 2>&1; [ $? -eq 1 ]; check "unwritable SVG -> 1" $?
exit $fail
