#!/bin/sh
# SPDX-License-Identifier: MIT
# Record the embedded default model's Enable-mode decisions on testdata/ as the golden file
# that tests/unit/check_model.c (test_golden_testdata) compares against.
#   models/make_expected.sh BUILD_DIR      (BUILD_DIR holds bench/dump_features, built with the model)
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/models/testdata_expected.csv"
echo "file,truth,answered_by,decision_ms" > "$out"
"$build/bench/dump_features" eval "$root/testdata/manifest.csv" --engine model --per-file 2>/dev/null |
  grep -v '^{' | awk -F, '{print $1","$3","$4","$5}' >> "$out"
echo "wrote $out ($(($(wc -l < "$out") - 1)) files)"
