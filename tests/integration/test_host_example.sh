#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The host driver (amd/host.h) through examples/host_call_server: a call placed with
# amd_call_create() is dialed by the embedding program, which answers and feeds a testdata WAV
# as the far end (s16, float and u-law, odd chunk sizes, fast and real time). The AMD result it
# receives through the event callback, and the answered_by of the stored call, must equal
# `amd classify` on the same file; the status callbacks come in lifecycle order.
set -u
: "${AMD_BIN:?}" "${AMD_SOURCE_DIR:?}" "${AMD_BINARY_DIR:?}"
EX="$AMD_BINARY_DIR/examples/host_call_server"
[ -x "$EX" ] && [ -x "$AMD_BIN" ] || { echo "skip: host_call_server or amd not built"; exit 77; }
TD="$AMD_SOURCE_DIR/testdata"
[ -f "$TD/manifest.csv" ] || { echo "skip: testdata/ not present"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
check() { if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=$((fail+1)); else echo "ok: $1"; pass=$((pass+1)); fi; }

# one file per scenario family, copied so classify and the example read the same bytes
mapfile -t FILES < <(/usr/bin/python3 -c '
import csv, sys
seen = {}
for r in sorted(csv.DictReader(open(sys.argv[1])), key=lambda r: r["file"]):
    fam = r["scenario"].split("_")[0]
    seen.setdefault(fam, r["file"])
print("\n".join(seen.values()))' "$TD/manifest.csv")
[ ${#FILES[@]} -ge 3 ] || { echo "skip: too few testdata files"; exit 77; }

run() { # run NAME FILE MODE EXAMPLE-ARGS...
    local name=$1 f=$2 mode=$3; shift 3
    local want wdur
    want=$("$AMD_BIN" classify --format csv --machine-detection "$mode" "$f" | awk -F, 'NR==2{print $2" "$3}')
    wdur=${want#* }; want=${want%% *}
    "$EX" --mode "$mode" --db "$T/h.db" "$@" "$f" >"$T/out" 2>"$T/err"
    local rc=$?
    rm -f "$T"/h.db*
    check "$name: example exits 0 with the call completed (rc $rc)" $rc
    local got gdur
    got=$(sed -n 's/^amd .* AnsweredBy=\([^ ]*\) .*/\1/p' "$T/out")
    gdur=$(sed -n 's/^amd .*MachineDetectionDuration=\([0-9]*\)$/\1/p' "$T/out")
    [ "$got" = "$want" ]; check "$name: AnsweredBy=$got equals amd classify ($want)" $?
    [ "$gdur" = "$wdur" ]; check "$name: MachineDetectionDuration=$gdur equals amd classify ($wdur)" $?
    grep -q "^call .*\"answered_by\":\"$want\"" "$T/out"; check "$name: the stored call says answered_by=$want" $?
    local order
    order=$(sed -n 's/^event [^ ]* status=\([^ ]*\).*/\1/p' "$T/out" | tr '\n' ' ')
    [ "$order" = "initiated ringing in-progress completed " ]
    check "$name: status events in lifecycle order ($order)" $?
    grep -q "^dial CA[0-9a-f]\{32\} to=+15551230001 from=+15005550006" "$T/out"
    check "$name: dial callback has the call's SID, To and From" $?
}

i=0
fmts=(s16 float ulaw)
chunks=(137 160 1 4096)
for rel in "${FILES[@]}"; do
    cp "$TD/$rel" "$T/$(basename "$rel")"
    f="$T/$(basename "$rel")"
    fmt=${fmts[$((i % 3))]}; ch=${chunks[$((i % 4))]}
    run "$(basename "$rel") Enable $fmt/$ch fast" "$f" Enable --fast --format "$fmt" --chunk "$ch"
    i=$((i+1))
done
# DetectMessageEnd (waits for the greeting's end and the beep)
for rel in "${FILES[@]}"; do case "$rel" in *machine*) f="$T/$(basename "$rel")"; break;; esac; done
run "$(basename "$f") DetectMessageEnd s16 fast" "$f" DetectMessageEnd --fast
# real-time pacing, as a media stack delivers RTP
f="$T/$(basename "${FILES[0]}")"
run "$(basename "$f") Enable s16/160 real time" "$f" Enable --chunk 160

# a call created over REST (what a Twilio client does) reaches the host the same way
f="$T/$(basename "${FILES[0]}")"
want=$("$AMD_BIN" classify --format csv --machine-detection Enable "$f" | awk -F, 'NR==2{print $2}')
"$EX" --serve --fast --db "$T/s.db" "$f" >"$T/sout" 2>"$T/serr" &
pid=$!
for _ in $(seq 50); do grep -q '^listening' "$T/sout" && break; sleep 0.1; done
port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$T/sout")
code=$(curl -s -o "$T/created" -w '%{http_code}' -u AC00000000000000000000000000000001:example-token \
    --data-urlencode To=+15551230009 --data-urlencode From=+15005550006 -d MachineDetection=Enable \
    --data-urlencode 'Twiml=<Response><Pause length="60"/></Response>' \
    "http://127.0.0.1:$port/2010-04-01/Accounts/AC00000000000000000000000000000001/Calls.json")
[ "$code" = 201 ]; check "REST create on the embedding server -> 201 ($code)" $?
for _ in $(seq 200); do grep -q 'status=completed' "$T/sout" && break; sleep 0.1; done
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
grep -q "^dial CA.* to=+15551230009" "$T/sout"; check "REST-created call dialed by the host" $?
got=$(sed -n 's/^amd .* AnsweredBy=\([^ ]*\) .*/\1/p' "$T/sout")
[ "$got" = "$want" ]; check "REST-created call: AnsweredBy=$got equals amd classify ($want)" $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
