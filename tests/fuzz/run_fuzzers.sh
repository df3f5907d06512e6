#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every libFuzzer harness for a bounded time (the `fuzz-run` target; `make fuzz`; CI).
#   run_fuzzers.sh BINDIR SRCDIR HARNESS...
# Environment: FUZZ_SECONDS per harness (default 30), FUZZ_ARGS extra libFuzzer flags.
# New inputs go to BINDIR/corpus-work/<harness> (the committed seeds in SRCDIR/corpus/<harness>
# are only read); crashes, leaks and timeouts to BINDIR/fuzz-artifacts/<harness>/. Prints one
# summary line per harness (executions, coverage) and exits 1 if any harness found a problem.
set -u
bindir=$1 srcdir=$2
shift 2
secs=${FUZZ_SECONDS:-30}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
# leaks inside third-party decoders we cannot free are listed, with their upstream reports, in lsan.supp
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$srcdir/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for h in "$@"; do
  seeds=$srcdir/corpus/$h
  work=$bindir/corpus-work/$h
  art=$bindir/fuzz-artifacts/$h
  mkdir -p "$work" "$art"
  dict=()
  [ -f "$srcdir/$h.dict" ] && dict=(-dict="$srcdir/$h.dict")
  log=$bindir/fuzz-$h.log
  echo "== $h: ${secs}s (seeds: corpus/$h, log: $log)"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB is a leak or a blow-up.
  "$bindir/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" ${FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    status=1
    echo "!! $h FAILED (exit $rc); the report:"
    grep -E -A40 '^==[0-9]+==ERROR|runtime error|^SUMMARY|ALARM|Test unit written' "$log" | head -80
    summary+=("$h: FAILED exit $rc, ${execs:-?} executions, ${cov:-?}; artifacts in $art")
  else
    summary+=("$h: ok, ${execs:-?} executions in ${secs}s, ${cov:-?}")
  fi
done
echo "== fuzz summary"
printf '  %s\n' "${summary[@]}"
exit $status
