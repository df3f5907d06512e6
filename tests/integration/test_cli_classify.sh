#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `amd classify` help / version, every detector parameter flag with library validation
# (exit 2), output formats with the exact keys, -j order, stdin, raw G.711, stereo and
# --channel, --manifest with its accuracy line.
set -u
: "${AMD_BIN:?}" "${AMD_SOURCE_DIR:?}"
[ -x "$AMD_BIN" ] || { echo "skip: $AMD_BIN not built"; exit 77; }
TD="$AMD_SOURCE_DIR/testdata"
[ -f "$TD/manifest.csv" ] || { echo "skip: testdata/ not present"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
expect_rc() { # expect_rc WANT NAME CMD...
    local want=$1 name=$2; shift 2
    "$@" >"$T/o" 2>"$T/e"; local rc=$?
    [ $rc -eq "$want" ]; check "$name -> $want (got $rc)" $?
}

# files of several families from the manifest
mapfile -t FILES < <(/usr/bin/python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
seen = {}
for r in rows:
    seen.setdefault(r["answered_by_enable"], r["file"])
print("\n".join(sys.argv[2] + "/" + f for f in list(seen.values())[:4]))' "$TD/manifest.csv" "$TD")
F1=${FILES[0]}

# --- help and version ---
expect_rc 0 "amd --help" "$AMD_BIN" --help
grep -q classify "$T/o" && grep -q bench "$T/o" && grep -q trace "$T/o"; check "amd --help lists the commands" $?
expect_rc 0 "amd --version" "$AMD_BIN" --version
grep -Eq '^amd [0-9]+\.[0-9]+\.[0-9]+' "$T/o"; check "version printed" $?
expect_rc 2 "amd (no command)" "$AMD_BIN"
expect_rc 2 "amd frobnicate" "$AMD_BIN" frobnicate
expect_rc 0 "amd classify --help" "$AMD_BIN" classify --help
for flag in --machine-detection --timeout --speech-threshold --speech-end-threshold --silence-timeout \
            --engine --min-word-length --max-word-length --words-silence --max-num-of-words \
            --silence-threshold --beep-min-ms --beep-min-hz --beep-max-hz --beep-grace-ms \
            --detect-fax --detect-sit --raw --rate --channel --format --manifest -j; do
    grep -q -- "$flag" "$T/o"; check "classify --help documents $flag" $?
done
expect_rc 0 "amd help trace" "$AMD_BIN" help trace
expect_rc 0 "amd trace --help" "$AMD_BIN" trace --help
expect_rc 0 "amd bench --help" "$AMD_BIN" bench --help

# --- parameters: accepted in range, exit 2 with the library's message outside ---
expect_rc 0 "all parameters in range" "$AMD_BIN" classify --format json --machine-detection DetectMessageEnd \
    --timeout 20 --speech-threshold 2000 --speech-end-threshold 1000 --silence-timeout 4000 --engine words \
    --min-word-length 120 --max-word-length 4000 --words-silence 60 --max-num-of-words 4 \
    --silence-threshold 300 --beep-min-ms 90 --beep-min-hz 350 --beep-max-hz 2400 --beep-grace-ms 1000 \
    --detect-fax 1 --detect-sit 0 "$F1"
grep -q '"mode":"DetectMessageEnd"' "$T/o" && grep -q '"engine":"words"' "$T/o"; check "mode and engine reach the detector" $?
expect_rc 0 "--engine Lumenvox (alias)" "$AMD_BIN" classify --format json --engine Lumenvox "$F1"
expect_rc 0 "--opt=value spelling" "$AMD_BIN" classify --format=json --speech-threshold=3000 "$F1"
while read -r flag value field; do
    expect_rc 2 "$flag $value" "$AMD_BIN" classify "$flag" "$value" "$F1"
    grep -q "$field" "$T/e"; check "$flag $value names $field" $?
done <<'EOF2'
--timeout 2 timeout
--timeout 60 timeout
--speech-threshold 999 speech_threshold
--speech-threshold 6001 speech_threshold
--speech-end-threshold 499 speech_end_threshold
--silence-timeout 10001 silence_timeout
--min-word-length 5 min_word_length
--max-word-length 20001 max_word_length
--words-silence 5001 words_silence
--max-num-of-words 0 max_num_of_words
--max-num-of-words 101 max_num_of_words
--silence-threshold 40000 silence_threshold
--beep-min-hz 100 beep_min_hz
--machine-detection Sometimes DetectMessageEnd
--engine crystal-ball engine
--speech-threshold abc number
--timeout 3.5x number
EOF2
expect_rc 2 "unknown option" "$AMD_BIN" classify --frobnicate "$F1"
expect_rc 2 "no files" "$AMD_BIN" classify
expect_rc 2 "bad --format" "$AMD_BIN" classify --format yaml "$F1"
expect_rc 2 "--raw without --rate" "$AMD_BIN" classify --raw ulaw "$F1"
expect_rc 2 "--raw nonsense" "$AMD_BIN" classify --raw mp3 --rate 8000 "$F1"
expect_rc 2 "-j 0" "$AMD_BIN" classify -j 0 "$F1"
expect_rc 2 "--speech-threshold without a value" "$AMD_BIN" classify "$F1" --speech-threshold

# --- output formats ---
expect_rc 0 "JSON lines" "$AMD_BIN" classify --format json "${FILES[@]}"
/usr/bin/python3 - "$T/o" "${#FILES[@]}" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == int(sys.argv[2]), lines
want = ["file", "answered_by", "machine_detection_duration_ms", "cause", "confidence",
        "speech_onset_ms", "greeting_end_ms", "beep_start_ms", "beep_end_ms", "beep_hz"]
for l in lines:
    o = json.loads(l)
    assert list(o)[:10] == want, list(o)
    assert o["answered_by"] in ("human", "machine_start", "fax", "unknown"), o
    assert isinstance(o["machine_detection_duration_ms"], int) and o["machine_detection_duration_ms"] >= 0
    assert 0 <= o["confidence"] <= 1
    for k in ("speech_onset_ms", "greeting_end_ms", "beep_start_ms", "beep_end_ms"):
        assert o[k] is None or (isinstance(o[k], int) and o[k] >= 0), (k, o)
    assert (o["beep_hz"] is None) == (o["beep_start_ms"] is None), o
    for k in ("machine_known_ms", "engine", "mode", "duration_ms"):
        assert k in o, k
print("JSON keys ok")
PY
check "JSON keys and values" $?
"$AMD_BIN" classify "${FILES[@]}" >"$T/auto" 2>/dev/null
cmp -s "$T/auto" "$T/o"; check "JSON lines are the default when stdout is not a terminal" $?
expect_rc 0 "CSV" "$AMD_BIN" classify --format csv "${FILES[@]}"
head -1 "$T/o" | grep -q '^file,answered_by,machine_detection_duration_ms,cause,confidence,speech_onset_ms,greeting_end_ms,beep_start_ms,beep_end_ms,beep_hz,'; check "CSV header" $?
[ "$(wc -l <"$T/o")" -eq $((${#FILES[@]} + 1)) ]; check "CSV has one row per file" $?
/usr/bin/python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if not r["beep_start_ms"]: assert r["beep_hz"] == "", r
' "$T/o"; check "CSV leaves n/a cells empty" $?
expect_rc 0 "table" "$AMD_BIN" classify --format table "${FILES[@]}"
head -1 "$T/o" | grep -q "ANSWERED_BY"; check "table header" $?

# -j N keeps input order and changes nothing
mapfile -t ALL < <(tail -n +2 "$TD/manifest.csv" | cut -d, -f1 | head -24 | sed "s|^|$TD/|")
"$AMD_BIN" classify --format csv -j 1 "${ALL[@]}" >"$T/j1" 2>/dev/null
"$AMD_BIN" classify --format csv -j 4 "${ALL[@]}" >"$T/j4" 2>/dev/null
cmp -s "$T/j1" "$T/j4"; check "-j 4 output identical to -j 1 (order and results)" $?
cut -d, -f1 "$T/j4" | tail -n +2 >"$T/order"; printf '%s\n' "${ALL[@]}" >"$T/want"
cmp -s "$T/order" "$T/want"; check "output in input order" $?

# stdin, raw G.711 and s16, stereo
"$AMD_BIN" classify --format csv "$F1" | tail -1 | cut -d, -f2- >"$T/ref"
"$AMD_BIN" classify --format csv - <"$F1" | tail -1 | cut -d, -f2- >"$T/stdin"
cmp -s "$T/ref" "$T/stdin"; check "stdin gives the same answer" $?
if command -v sox >/dev/null; then
    sox "$F1" -t raw -e u-law -b 8 -c 1 "$T/f.ul" 2>/dev/null
    sox "$F1" -t raw -e a-law -b 8 -c 1 "$T/f.al" 2>/dev/null
    sox "$F1" -t raw -e signed -b 16 -L -c 1 "$T/f.s16" 2>/dev/null
    rate=$(soxi -r "$F1")
    for enc in ulaw:f.ul alaw:f.al s16:f.s16; do
        "$AMD_BIN" classify --format json --raw "${enc%%:*}" --rate "$rate" "$T/${enc#*:}" >"$T/r" 2>"$T/e"
        rc=$?; [ $rc -eq 0 ] && grep -q "\"answered_by\":\"$(cut -d, -f1 "$T/ref")\"" "$T/r"
        check "raw ${enc%%:*} classifies like the file (rc $rc)" $?
    done
    "$AMD_BIN" classify --format json --raw ulaw --rate "$rate" - <"$T/f.ul" >/dev/null 2>&1; check "raw ulaw on stdin" $?
    # stereo: the call on channel 2, silence on channel 1
    sox -n -r "$rate" -c 1 "$T/sil.wav" trim 0 "$(soxi -D "$F1")" 2>/dev/null
    sox -M "$T/sil.wav" "$F1" "$T/stereo.wav" 2>/dev/null
    "$AMD_BIN" classify --format csv --channel 2 "$T/stereo.wav" | tail -1 | cut -d, -f2-4 >"$T/ch2"
    cut -d, -f1-3 "$T/ref" >"$T/ref3"
    cmp -s "$T/ch2" "$T/ref3"; check "--channel 2 picks the call" $?
    "$AMD_BIN" classify --format json --channel 1 "$T/stereo.wav" >"$T/ch1" 2>/dev/null
    grep -q '"answered_by":"unknown"' "$T/ch1"; check "--channel 1 (silence) is unknown" $?
    expect_rc 0 "stereo down-mix" "$AMD_BIN" classify --format json "$T/stereo.wav"
    expect_rc 1 "--channel 3 of a stereo file" "$AMD_BIN" classify --channel 3 "$T/stereo.wav"
    grep -q "channel 3 requested but the file has 2 channels" "$T/e"; check "--channel 3 reason" $?
else
    echo "sox missing: raw / stereo checks skipped"
fi

# --manifest: expected column and accuracy line
expect_rc 0 "--manifest (table)" "$AMD_BIN" classify --format table --manifest "$TD/manifest.csv"
grep -q "EXPECTED" "$T/o" && grep -Eq '^accuracy \(Enable, engine [a-z]+\): [0-9]+/[0-9]+ correct = [0-9.]+%' "$T/o"
check "table has EXPECTED and the accuracy line" $?
n=$(($(grep -c . "$TD/manifest.csv") - 1))
[ "$(grep -c -E ' (ok|MISS)$' "$T/o")" -eq "$n" ]; check "one scored row per manifest file ($n)" $?
expect_rc 0 "--manifest (json)" "$AMD_BIN" classify --format json --machine-detection DetectMessageEnd --manifest "$TD/manifest.csv"
/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l); assert "expected" in o and "correct" in o, o
' "$T/o"; check "JSON rows carry expected / correct" $?
grep -q "accuracy (DetectMessageEnd" "$T/e"; check "accuracy line on stderr for JSON" $?
expect_rc 2 "--manifest plus files" "$AMD_BIN" classify --manifest "$TD/manifest.csv" "$F1"
expect_rc 2 "--manifest missing" "$AMD_BIN" classify --manifest "$T/none.csv"
exit $fail
