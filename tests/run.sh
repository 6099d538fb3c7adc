#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole suite against one build tree (the sanitizer build by default): Check unit tests,
# then integration tests that drive the real fngate binary. Ends with one line counting
# everything: "N passed, N failed".
set -u
build="${1:-build/asan}"
cd "$(dirname "$0")/.."
export FNGATE_BUILD="$build"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

passed=0
failed=0
for t in "$build"/test_*; do
  [ -x "$t" ] || continue
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
  passed=$((passed + checks - bad))
  failed=$((failed + bad))
done
echo "unit: $passed passed, $failed failed"

it_out=$(mktemp)
/usr/bin/python3 tests/integration/run.py 2>&1 | tee "$it_out"
it=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$it_out" | tail -n 1)
rm -f "$it_out"
if [ -z "$it" ]; then
  echo "integration runner did not finish"
  failed=$((failed + 1))
else
  passed=$((passed + $(echo "$it" | sed -E 's/integration: ([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$it" | sed -E 's/.* ([0-9]+) failed/\1/')))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
