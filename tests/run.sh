#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole suite against one build tree (the sanitizer build by default): Check unit tests,
# then integration tests that drive the real fngate binary. Ends with one line counting
# everything: "N passed, N failed, N skipped".
#
# A unit binary counts its Check tests; it also fails as a whole when it exits non-zero,
# prints no Check summary, or prints a sanitizer report. FNGATE_TESTS=substring runs only
# the integration tests whose name contains it (and no unit binary unless it matches too).
set -u
build="${1:-build/asan}"
cd "$(dirname "$0")/.."
export FNGATE_BUILD="$build"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
only="${FNGATE_TESTS:-}"

passed=0
failed=0
skipped=0
units=0
for t in "$build"/test_*; do
  [ -x "$t" ] || continue
  [ -z "$only" ] || [[ "$(basename "$t")" == *"$only"* ]] || continue
  units=$((units + 1))
  out=$("$t" 2>&1)
  rc=$?
  echo "$out"
  # Check's summary: "100%: Checks: 32, Failures: 0, Errors: 0"
  summary=$(echo "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
  if [ -z "$summary" ]; then
    echo "FAIL $t: no Check summary (exit $rc)"
    failed=$((failed + 1))
    continue
  fi
  checks=$(echo "$summary" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
  bad=$(echo "$summary" | sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/')
  bad=$((bad))
  if echo "$out" | grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:'; then
    echo "FAIL $t: sanitizer report"
    bad=$((bad + 1))
  fi
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
    echo "FAIL $t: exit status $rc with every check passed"
    bad=1
  fi
  passed=$((passed + checks - (bad > checks ? checks : bad)))
  failed=$((failed + bad))
done
if [ -z "$only" ] && [ "$units" -eq 0 ]; then
  echo "FAIL: no unit test binary in $build (is Check installed?)"
  failed=$((failed + 1))
fi
echo "unit: $passed passed, $failed failed"

it_out=$(mktemp)
/usr/bin/python3 tests/integration/run.py 2>&1 | tee "$it_out"
it=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$it_out" | tail -n 1)
rm -f "$it_out"
if [ -z "$it" ]; then
  echo "integration runner did not finish"
  failed=$((failed + 1))
else
  read -r ip if is <<<"$(echo "$it" | sed -E 's/integration: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')"
  passed=$((passed + ip))
  failed=$((failed + if))
  skipped=$((skipped + is))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
