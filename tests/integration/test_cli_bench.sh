#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `amd bench`: the manifest metrics (bench/README.md) on a hand-scored fixture (data/bench_small, no audio
# needed with --predictions), then a real run, --split, --mode and --sweep on testdata/.
set -u
: "${AMD_BIN:?}" "${AMD_SOURCE_DIR:?}"
[ -x "$AMD_BIN" ] || { echo "skip: $AMD_BIN not built"; exit 77; }
D="$AMD_SOURCE_DIR/tests/integration/data/bench_small"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail=0
check() { # check NAME CONDITION-EXIT-STATUS
    if [ "$2" -ne 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi
}

# --- Enable answers scored against hand-computed figures ---
"$AMD_BIN" bench "$D/manifest.csv" --predictions "$D/pred_enable.csv" --format json >"$T/en.json" 2>"$T/en.err"
check "bench --predictions (Enable) exits 0" $?
grep -q "1 answer for files not in the manifest" "$T/en.err"; check "unmatched prediction reported" $?
grep -q "no answer for 1 manifest file" "$T/en.err"; check "missing prediction reported" $?
/usr/bin/python3 - "$T/en.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert "detect_message_end" not in r, "Enable answers must not be scored as DetectMessageEnd"
e = r["enable"]
def eq(path, got, want):
    if abs(got - want) > 1e-4 if isinstance(want, float) else got != want:
        sys.exit(f"{path}: got {got!r}, want {want!r}")
# 7 of 10 right: h1 h3 m1 m3 m4 f1 u1 (m5 has no answer, u1 matched by base name)
eq("accuracy", (e["accuracy"]["count"], e["accuracy"]["of"]), (7, 10))
eq("accuracy rate", e["accuracy"]["rate"], 0.7)
# humans h1 h2 h3: h2 answered machine_start
eq("human_as_machine", (e["human_as_machine"]["count"], e["human_as_machine"]["of"]), (1, 3))
# machine_start m1..m5: m2 answered human (m5 has no answer: not "human")
eq("machine_as_human", (e["machine_as_human"]["count"], e["machine_as_human"]["of"]), (1, 5))
eq("no_answer", e["no_answer"], 1)
# nearest rank: human [1500 2000 2600] -> p50 rank 2, p90 rank 3
eq("latency human", (e["latency_ms_by_class"]["human"]["p50"], e["latency_ms_by_class"]["human"]["p90"]), (2000, 2600))
# machine_start answered [1800 2400 2500 3000] -> p50 rank 2 = 2400, p90 rank 4 = 3000
eq("latency machine_start", (e["latency_ms_by_class"]["machine_start"]["p50"], e["latency_ms_by_class"]["machine_start"]["p90"]), (2400, 3000))
# all 9 answers: p50 rank 5 = 2400, p90 rank 9 = 5000
eq("latency all", (e["latency_ms"]["n"], e["latency_ms"]["p50"], e["latency_ms"]["p90"]), (9, 2400, 5000))
eq("confusion human", e["confusion"]["human"], {"human": 2, "machine_start": 1})
eq("confusion machine_start", e["confusion"]["machine_start"], {"none": 1, "human": 1, "machine_start": 3})
pc = e["per_class"]
eq("precision human", pc["human"]["precision"], 2 / 3)
eq("recall human", pc["human"]["recall"], 2 / 3)
eq("precision machine_start", pc["machine_start"]["precision"], 0.75)
eq("recall machine_start", pc["machine_start"]["recall"], 0.6)
sc = {s["scenario"]: s for s in r["scenarios"]}
eq("scenarios", sorted(sc), ["fx", "hl", "hs", "mb", "mo", "ms", "un"])
eq("scenario hs", (sc["hs"]["files"], sc["hs"]["enable"]["accuracy"]["count"], sc["hs"]["enable"]["human_as_machine"]["count"]), (2, 1, 1))
eq("scenario mb", (sc["mb"]["files"], sc["mb"]["enable"]["accuracy"]["count"], sc["mb"]["enable"]["machine_as_human"]["count"]), (3, 2, 1))
# in-time human: h1 human at 1500, greeting end 700 (+800, in time); h2 machine_start (not);
# h3 human at 2000, greeting end 600 (+1400, in time) -> 2/3; after-end [800 1400]:
# p50 rank 1 = 800, p95 rank ceil(1.9) = 2 = 1400
eq("in_time_human", (e["in_time_human"]["count"], e["in_time_human"]["of"]), (2, 3))
eq("after greeting end", (e["human_after_greeting_end_ms"]["n"], e["human_after_greeting_end_ms"]["p50"],
                          e["human_after_greeting_end_ms"]["p95"]), (2, 800, 1400))
assert "early_end" not in e, "early end is a DetectMessageEnd metric"
print("Enable metrics match the hand-computed figures")
PY
check "Enable metrics" $?

# --- DetectMessageEnd answers (mode inferred from machine_end_* answers) ---
"$AMD_BIN" bench "$D/manifest.csv" --predictions "$D/pred_detect_end.csv" --format json >"$T/de.json"
check "bench --predictions (DetectMessageEnd) exits 0" $?
/usr/bin/python3 - "$T/de.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert "enable" not in r, "machine_end_* answers mean DetectMessageEnd"
d = r["detect_message_end"]
def eq(path, got, want):
    if abs(got - want) > 1e-4 if isinstance(want, float) else got != want:
        sys.exit(f"{path}: got {got!r}, want {want!r}")
# right: h1 h2 m1 m2 m3 f1 u1 m5 (h3 -> silence, m4 beep -> silence)
eq("accuracy", (d["accuracy"]["count"], d["accuracy"]["of"]), (8, 10))
# answered_by_enable = human: h1 h2 h3; h3 answered machine_end_silence
eq("human_as_machine", (d["human_as_machine"]["count"], d["human_as_machine"]["of"]), (1, 3))
eq("machine_as_human", (d["machine_as_human"]["count"], d["machine_as_human"]["of"]), (0, 5))
b = d["beep_alignment"]
# beep_end files m1 (+100: on time), m2 (-300: early), m4 (+1000: late)
eq("beep files", b["files"], 3)
eq("beep on time", (b["on_time"]["count"], b["on_time"]["of"]), (1, 3))
eq("beep early", (b["early"]["count"], b["early"]["of"]), (1, 3))
eq("beep error", (b["error_ms"]["p50"], b["error_ms"]["p90"]), (100, 1000))
# machine_end_silence truth: m3, 7300 - 7400
eq("silence end", (d["silence_end_error_ms"]["n"], d["silence_end_error_ms"]["p50"]), (1, -100))
# early end: m1 (beep at 5700 > 5000), m2 (beep at 4000 = greeting end: not before it),
# m3 (silence at 7300 < 7400: early), m4 (silence at 4500 > 3000) -> 1/4
eq("early end", (d["early_end"]["count"], d["early_end"]["of"]), (1, 4))
# in-time human: h1 human +800 (in time), h2 human at 2200, greeting end 600 (+1600: late),
# h3 machine_end_silence -> 1/3; after-end [800 1600]
eq("in_time_human", (d["in_time_human"]["count"], d["in_time_human"]["of"]), (1, 3))
eq("after greeting end", (d["human_after_greeting_end_ms"]["p50"], d["human_after_greeting_end_ms"]["p95"]), (800, 1600))
pc = d["per_class"]
eq("precision machine_end_silence", pc["machine_end_silence"]["precision"], 1 / 3)
eq("recall machine_end_silence", pc["machine_end_silence"]["recall"], 1.0)
eq("precision machine_end_beep", pc["machine_end_beep"]["precision"], 1.0)
eq("recall machine_end_beep", pc["machine_end_beep"]["recall"], 2 / 3)
eq("latency human", (d["latency_ms_by_class"]["human"]["p50"], d["latency_ms_by_class"]["human"]["p90"]), (2200, 7000))
print("DetectMessageEnd metrics match the hand-computed figures")
PY
check "DetectMessageEnd metrics" $?

# --split keeps the test rows h1 h2 m1 m2 f1 u1 m5: right h1 m1 f1 u1 = 4/7
"$AMD_BIN" bench "$D/manifest.csv" --predictions "$D/pred_enable.csv" --split test --format json 2>/dev/null >"$T/split.json"
/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["enable"]["accuracy"]; sys.exit(0 if (a["count"],a["of"])==(4,7) else f"split accuracy {a}")' "$T/split.json"
check "--split test scores 4/7" $?

# Markdown report names every section
"$AMD_BIN" bench "$D/manifest.csv" --predictions "$D/pred_detect_end.csv" >"$T/de.md"
for s in "## Summary" "Beep alignment" "Silence end" "Early end" "in-time human rate" "33.3 % (1/3)" "confusion matrix" "per class" "## Per scenario" "80.0 % (8/10)"; do
    grep -q "$s" "$T/de.md"; check "markdown has '$s'" $?
done

# usage errors -> 2
"$AMD_BIN" bench >/dev/null 2>&1; [ $? -eq 2 ]; check "no manifest -> 2" $?
"$AMD_BIN" bench "$D/manifest.csv" --mode sideways >/dev/null 2>&1; [ $? -eq 2 ]; check "bad --mode -> 2" $?
"$AMD_BIN" bench "$D/manifest.csv" --predictions "$D/pred_enable.csv" --mode both >/dev/null 2>&1; [ $? -eq 2 ]; check "--predictions with --mode both -> 2" $?
"$AMD_BIN" bench "$T/nope.csv" >/dev/null 2>&1; [ $? -eq 2 ]; check "missing manifest -> 2" $?
printf 'file,answered_by,duration_ms\nh1.wav,robot,10\n' >"$T/badpred.csv"
"$AMD_BIN" bench "$D/manifest.csv" --predictions "$T/badpred.csv" 2>"$T/err" >/dev/null; [ $? -eq 2 ] && grep -q "robot" "$T/err"; check "bad answered_by in predictions -> 2 naming it" $?
"$AMD_BIN" bench "$D/manifest.csv" --split nosuch --predictions "$D/pred_enable.csv" >/dev/null 2>&1; [ $? -eq 2 ]; check "empty split -> 2" $?
"$AMD_BIN" bench --help | grep -q -- "--sweep"; check "bench --help documents --sweep" $?

# --- real runs on testdata/ ---
M="$AMD_SOURCE_DIR/testdata/manifest.csv"
if [ ! -f "$M" ]; then echo "testdata/ not present: real-run checks skipped"; exit $fail; fi
"$AMD_BIN" bench "$M" -j 2 --format json >"$T/td.json"
rc=$?; [ $rc -le 1 ]; check "bench testdata exits 0/1 (got $rc)" $?
/usr/bin/python3 - "$T/td.json" "$M" <<'PY'
import csv, json, sys
r = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert r["files"] == len(rows), (r["files"], len(rows))
for k in ("enable", "detect_message_end"):
    a = r[k]["accuracy"]
    assert a["of"] == sum(1 for x in rows if x["answered_by_" + ("enable" if k == "enable" else "detect_end")]), a
    assert 0 <= a["count"] <= a["of"]
assert "beep_alignment" in r["detect_message_end"]
assert "vad" in r and r["vad"]["files"] > 0 and r["vad"]["f1"] is not None, r.get("vad")
print("testdata: Enable %.3f, DetectMessageEnd %.3f, VAD F1 %.3f" % (
    r["enable"]["accuracy"]["rate"], r["detect_message_end"]["accuracy"]["rate"], r["vad"]["f1"]))
PY
check "bench testdata JSON is complete" $?

# classify and bench share the feeding code: identical Enable accuracy
"$AMD_BIN" classify --format csv --manifest "$M" -j 2 >/dev/null 2>"$T/cls.err"
acc=$(grep -o '[0-9]*/[0-9]* correct' "$T/cls.err" | head -1)
b=$(/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["enable"]["accuracy"]; print("%d/%d correct" % (a["count"], a["of"]))' "$T/td.json")
[ "$acc" = "$b" ]; check "classify --manifest and bench agree ($acc vs $b)" $?

"$AMD_BIN" bench "$M" --mode enable --format md >"$T/en.md"
grep -q "DetectMessageEnd" "$T/en.md"; [ $? -ne 0 ]; check "--mode enable scores Enable only" $?

"$AMD_BIN" bench "$M" --mode enable --sweep speech-threshold=2000:3000:500 --svg "$T/sweep.svg" >"$T/sweep.md" 2>/dev/null
check "sweep runs" $?
[ "$(grep -c '^| [0-9]' "$T/sweep.md")" -eq 3 ]; check "sweep table has 3 points" $?
grep -q "in-time human" "$T/sweep.md"; check "sweep table has the in-time human rate" $?
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/sweep.svg"; check "sweep SVG is well-formed XML" $?
"$AMD_BIN" bench "$M" --sweep speech-threshold=500:1000:500 >/dev/null 2>"$T/err"; [ $? -eq 2 ] && grep -q speech_threshold "$T/err"; check "sweep outside the range -> 2 naming the field" $?
"$AMD_BIN" bench "$M" --sweep colour=1:2:1 >/dev/null 2>&1; [ $? -eq 2 ]; check "sweep of an unknown parameter -> 2" $?
exit $fail
