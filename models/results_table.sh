#!/bin/sh
# SPDX-License-Identifier: MIT
# The side-by-side table of models/MODEL_CARD.md: every engine in Enable mode on one split of a
# corpus, through `amd bench` (the project's scorer, shared/corpus.md metrics).
#   models/results_table.sh AMD_BINARY MANIFEST [SPLIT] [extra amd bench options...]
set -eu
amd=$1; manifest=$2; split=${3:-test}
shift 2; [ $# -gt 0 ] && shift
echo "| engine | Enable accuracy | human-as-machine | machine-as-human | human p50 / p90 (ms) | machine p50 / p90 (ms) | fax p50 / p90 (ms) | unknown p50 / p90 (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for e in timing words model default; do
  "$amd" bench "$manifest" --split "$split" --engine "$e" --mode enable --no-vad --format json "$@" 2>/dev/null |
  /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); e = d["enable"]; L = e["latency_ms_by_class"]
f = lambda k: "%d / %d" % (L[k]["p50"], L[k]["p90"]) if k in L else "-"
r = lambda k: "%.1f %% (%d/%d)" % (100 * e[k]["rate"], e[k]["count"], e[k]["of"])
print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (sys.argv[1], r("accuracy"), r("human_as_machine"),
      r("machine_as_human"), f("human"), f("machine_start"), f("fax"), f("unknown")))' "$e"
done
