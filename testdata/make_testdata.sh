#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates the committed testdata/ slice of the corpus: every scenario family
# of shared/corpus.md, 8 kHz, fixed seed (same seed -> byte-identical files).
# Needs: espeak-ng, sox, asterisk-core-sounds-en-wav, python3-numpy (make setup).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/../bench/corpus/build_corpus.py" \
  --profile testdata --seed 1 --out "$here" --clean "$@"
