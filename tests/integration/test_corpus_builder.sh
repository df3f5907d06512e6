#!/bin/bash
# SPDX-License-Identifier: MIT
# The committed testdata/ is exactly what testdata/make_testdata.sh makes (same
# seed -> byte-identical manifest, segments and audio), covers every scenario
# scenario family within the size limits, and its truth agrees with
# its own audio (bench/corpus/check_corpus.py).
set -u
src=${AMD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in espeak-ng sox; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -d /usr/share/asterisk/sounds/en_US_f_Allison ] || { echo "SKIP: asterisk-core-sounds-en-wav missing"; exit 77; }
/usr/bin/python3 -c 'import numpy' 2>/dev/null || { echo "SKIP: python3-numpy missing"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# 1. Regenerate with a cold cache and 1 worker (the committed copy used 2): identical.
/usr/bin/python3 "$src/bench/corpus/build_corpus.py" --profile testdata --seed 1 --out "$tmp/td" \
  --jobs 1 --cache "$tmp/cache" >/dev/null || { echo "FAIL: builder exited non-zero"; exit 1; }
if ! diff -q "$src/testdata/manifest.csv" "$tmp/td/manifest.csv" >/dev/null; then
  echo "FAIL: regenerated manifest differs from testdata/manifest.csv:"
  diff "$src/testdata/manifest.csv" "$tmp/td/manifest.csv" | head -10
  fail=1
fi
if ! diff -rq "$src/testdata/segments" "$tmp/td/segments" >/dev/null; then
  echo "FAIL: regenerated segments differ"; diff -rq "$src/testdata/segments" "$tmp/td/segments" | head -5; fail=1
fi
for f in "$tmp"/td/*.wav; do
  cmp -s "$f" "$src/testdata/$(basename "$f")" || { echo "FAIL: audio differs: $(basename "$f")"; fail=1; }
done

# 2. Coverage and size of the committed slice.
/usr/bin/python3 - "$src/testdata" <<'PY' || fail=1
import csv, os, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(d, "manifest.csv"))))
need = {"human_short", "human_long", "human_noise", "human_babble", "human_music", "machine_beep",
        "machine_silence", "machine_noend_long", "machine_noend_noisy", "fax_ced", "fax_ansam",
        "fax_cng", "fax_v21", "sit", "silence", "noise"}
have = {r["scenario"] for r in rows}
ok = True
if need - have:
    print("FAIL: scenario families missing from testdata:", sorted(need - have)); ok = False
labels = {(r["answered_by_enable"], r["answered_by_detect_end"]) for r in rows}
for pair in [("human", "human"), ("machine_start", "machine_end_beep"), ("machine_start", "machine_end_silence"),
             ("machine_start", "machine_end_other"), ("fax", "fax"), ("unknown", "unknown")]:
    if pair not in labels:
        print("FAIL: no file with truth", pair); ok = False
beeps = {r["beep"].split(":")[0] for r in rows if r["answered_by_detect_end"] == "machine_end_beep"}
if beeps != {"single", "dual", "double"}:
    print("FAIL: beep kinds", beeps); ok = False
if not 30 <= len(rows) <= 60:
    print("FAIL: %d files (want 30-60)" % len(rows)); ok = False
size = sum(os.path.getsize(os.path.join(d, r["file"])) for r in rows)
if size > 8 * 1024 * 1024:
    print("FAIL: testdata audio %.1f MB > 8 MB" % (size / 1048576)); ok = False
sys.exit(0 if ok else 1)
PY

# 3. Truth agrees with the audio.
/usr/bin/python3 "$src/bench/corpus/check_corpus.py" "$src/testdata/manifest.csv" || fail=1

[ $fail = 0 ] && echo "PASS: testdata reproducible, complete and consistent"
exit $fail
