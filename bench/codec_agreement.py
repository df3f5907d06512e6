#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
Same answer for the s16, µ-law and A-law versions of a file?

For every row of a corpus manifest (optionally one split), sox writes the audio as 8 kHz mono
WAV in three encodings (16-bit linear, G.711 µ-law, G.711 A-law; no dither), `amd classify` answers each
set in Enable and in DetectMessageEnd mode, and the script reports the share of files whose
three answers agree (both modes must agree), per mode and together, and lists the files that
differ with the three answers and decision times.

    /usr/bin/python3 bench/codec_agreement.py --amd build/cli/amd \\
        --manifest /work/corpus/e/main/manifest-test.csv --work /tmp/codec [--split test]

Needs sox (Debian package sox). The converted files are cached in --work.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

ENCODINGS = {"s16": ["-e", "signed-integer", "-b", "16"], "ulaw": ["-e", "u-law"], "alaw": ["-e", "a-law"]}
MODES = ["Enable", "DetectMessageEnd"]


def convert(src, dst, enc):
    if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp.wav"
    subprocess.run(["sox", "-V1", src, "-D", "-r", "8000", "-c", "1"] + ENCODINGS[enc] + [tmp], check=True)
    os.replace(tmp, dst)


def classify(amd, files, mode):
    """answered_by and decision time per file (JSON lines from amd classify)."""
    out = {}
    # amd classify takes the files as arguments; chunk to stay under the argument limit
    for i in range(0, len(files), 200):
        chunk = files[i:i + 200]
        res = subprocess.run([amd, "classify", "--format", "json", "--machine-detection", mode] + chunk,
                             capture_output=True, text=True)
        if res.returncode not in (0, 1) and not res.stdout:
            sys.exit(f"amd classify failed: {res.stderr.strip()}")
        for line in res.stdout.splitlines():
            r = json.loads(line)
            out[r["file"]] = (r.get("answered_by"), r.get("machine_detection_duration_ms"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--amd", required=True, help="the amd CLI")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--work", required=True, help="directory for the converted files")
    ap.add_argument("--split", help="only rows of this split")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args()

    base = os.path.dirname(os.path.abspath(a.manifest))
    rows = [r for r in csv.DictReader(open(a.manifest, newline="")) if not a.split or r.get("split") == a.split]
    if not rows:
        sys.exit("no rows")
    paths = {enc: [] for enc in ENCODINGS}
    for r in rows:
        src = os.path.join(base, r["file"])
        for enc in ENCODINGS:
            dst = os.path.join(a.work, enc, os.path.splitext(r["file"])[0] + ".wav")
            convert(src, dst, enc)
            paths[enc].append(dst)

    answers = {}  # (mode, enc) -> list of (answered_by, ms), in row order
    for mode in MODES:
        for enc in ENCODINGS:
            got = classify(a.amd, paths[enc], mode)
            answers[(mode, enc)] = [got.get(p, (None, None)) for p in paths[enc]]

    summary = {"manifest": a.manifest, "split": a.split, "files": len(rows)}
    all_agree = 0
    differ = []
    for i, r in enumerate(rows):
        ok_all = True
        for mode in MODES:
            ans = [answers[(mode, enc)][i][0] for enc in ENCODINGS]
            if len(set(ans)) != 1:
                ok_all = False
                differ.append((r["file"], mode, [answers[(mode, enc)][i] for enc in ENCODINGS]))
        all_agree += ok_all
    for mode in MODES:
        n = sum(1 for i in range(len(rows))
                if len({answers[(mode, enc)][i][0] for enc in ENCODINGS}) == 1)
        summary[mode] = {"agree": n, "of": len(rows), "rate": round(n / len(rows), 4)}
    summary["both"] = {"agree": all_agree, "of": len(rows), "rate": round(all_agree / len(rows), 4)}
    summary["differ"] = [{"file": f, "mode": m, "s16_ulaw_alaw": v} for f, m, v in differ]
    if a.json:
        print(json.dumps(summary, indent=1))
        return
    print(f"{a.manifest} ({a.split or 'all'}): {len(rows)} files")
    for mode in MODES + ["both"]:
        s = summary[mode]
        print(f"  {mode:17s} same answer for s16 / u-law / A-law: {s['agree']}/{s['of']} ({100 * s['rate']:.1f} %)")
    for f, m, v in differ:
        print(f"  differs: {f} {m}: " + ", ".join(f"{e}={x[0]}@{x[1]}" for e, x in zip(ENCODINGS, v)))


if __name__ == "__main__":
    main()
