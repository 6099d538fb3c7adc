#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh BUILD SECONDS [TARGET...]: runs each libFuzzer target of a FG_FUZZ build
# (`make fuzz`) for SECONDS on its seeds, one after the other (never in parallel: the
# machine has two cores and others build on it). Every target built when none is named.
#
# Seeds are read from tests/fuzz/corpus/<target>/ and never written: new inputs go to
# BUILD/corpus/<target>/ (kept between runs, so a later run starts where this one stopped),
# crashes, leaks, timeouts (-timeout) and memory blow-ups (-rss_limit_mb) to
# BUILD/artifacts/<target>/, libFuzzer's output to BUILD/logs/<target>.log. Prints a line
# per target; after a failure, the report's tail and the reproducer's path. Exits 1 when
# any target failed, after running all of them.
set -u
build="${1:?usage: run.sh BUILD SECONDS [TARGET...]}"
secs="${2:?usage: run.sh BUILD SECONDS [TARGET...]}"
shift 2
src="$(cd "$(dirname "$0")" && pwd)"
# Sanitizer reports end the run; UBSan's with a stack.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in "$build"/fuzz_*; do
    [ -x "$b" ] && targets+=("$(basename "$b")")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz_* binaries in $build" >&2
  exit 1
fi

failed=0
start_all=$SECONDS
for t in "${targets[@]}"; do
  bin="$build/$t"
  seeds="$src/corpus/$t"
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  log="$build/logs/$t.log"
  if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
    echo "FAIL $t: no binary $bin or no seeds $seeds"
    failed=1
    continue
  fi
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  start=$SECONDS
  "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  # libFuzzer's last status line: "#123456 DONE cov: 812 ft: 3102 corp: 410/40Kb ..."
  runs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[^ ]+')
  if [ $rc -eq 0 ]; then
    echo "ok   $t: ${runs:-?} runs in $((SECONDS - start)) s, ${cov:-no coverage line}; corpus $corpus"
    continue
  fi
  failed=1
  echo "FAIL $t: exit $rc after $((SECONDS - start)) s; log $log"
  grep -E 'ERROR: |runtime error:|fuzz invariant broken:|SUMMARY: ' "$log" | head -n 5 | sed 's/^/     /'
  # "Test unit written to ./artifacts/crash-<sha1>" names the reproducer.
  unit=$(grep -oE 'Test unit written to .*' "$log" | tail -n 1 | sed 's/^Test unit written to //')
  if [ -n "$unit" ]; then
    echo "     reproducer: $unit"
    echo "     reproduce:  $bin $unit"
  fi
done
echo "fuzz: ${#targets[@]} targets, $secs s each, $((SECONDS - start_all)) s in all: $([ $failed -eq 0 ] && echo passed || echo FAILED)"
exit $failed
