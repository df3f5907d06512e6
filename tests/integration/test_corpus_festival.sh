#!/bin/bash
# SPDX-License-Identifier: MIT
# build_corpus.py --voices festival: every festival voice reads every text of
# its language (the builder stops on a text a voice cannot read), files of a
# split use only that split's voices, the test split's languages (Catalan,
# Telugu) occur nowhere else, and the truth agrees with the audio
# (bench/corpus/check_corpus.py).
set -u
src=${AMD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for t in espeak-ng sox festival; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
for d in catalan/upc_ca_ona_hts finnish/suo_fi_lj_diphone finnish/hy_fi_mv_diphone \
         hindi/hindi_NSK_diphone marathi/marathi_NSK_diphone telugu/telugu_NSK_diphone; do
  [ -d /usr/share/festival/voices/$d ] || { echo "SKIP: festival voice $d missing"; exit 77; }
done
/usr/bin/python3 -c 'import numpy' 2>/dev/null || { echo "SKIP: python3-numpy missing"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$src/bench/corpus/build_corpus.py" --voices festival --count 40 --seed 3 \
  --out "$tmp/f" --jobs 2 --cache "$tmp/cache" >"$tmp/log" 2>&1 \
  || { echo "FAIL: builder exited non-zero"; tail -5 "$tmp/log"; exit 1; }

fail=0
/usr/bin/python3 - "$tmp/f" "$src/bench/corpus" <<'PY' || fail=1
import csv, os, sys
d = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import voices
rows = list(csv.DictReader(open(os.path.join(d, "manifest.csv"))))
ok = True
langs = {}
spoken = [r for r in rows if r["voice"]]
if len(spoken) < 20:
    print("FAIL: only %d files with speech" % len(spoken)); ok = False
for r in spoken:
    kind, key, name = r["voice"].split(":")
    if kind != "festival" or name not in voices.FESTIVAL_VOICES:
        print("FAIL: %s: not a festival voice: %s" % (r["file"], r["voice"])); ok = False; continue
    want_key, want_split = voices.FESTIVAL_VOICES[name][:2]
    if r["split"] != want_split or key != want_key or r["lang"] != want_key:
        print("FAIL: %s: voice %s in split %s lang %s" % (r["file"], name, r["split"], r["lang"])); ok = False
    langs.setdefault(r["lang"], set()).add(r["split"])
for lang, splits in langs.items():
    if "test" in splits and splits != {"test"}:
        print("FAIL: test language %s also in %s" % (lang, sorted(splits))); ok = False
if not any(r["split"] == "test" for r in spoken):
    print("FAIL: no test file with speech"); ok = False
sys.exit(0 if ok else 1)
PY
/usr/bin/python3 "$src/bench/corpus/check_corpus.py" "$tmp/f/manifest.csv" || fail=1
[ $fail = 0 ] && echo "PASS: festival corpus split by voice and language, truth consistent"
exit $fail
