#!/usr/bin/env bash
# Runs every test: the cmocka unit binaries in $BUILD/tests, then the integration scripts
# in tests/integration (each prints TAP-like "ok - NAME" / "not ok - NAME" lines).
# Ends with one line "N passed, N failed" and exits non-zero when anything failed.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ACC_ROOT=$ROOT
export ACC_BIN=$ROOT/$BUILD/bin
export ACC_BUILD=$ROOT/$BUILD
export LANG=C.UTF-8 LC_ALL=C.UTF-8
ONLY=${TEST:-}
passed=0
failed=0
skipped=0
failures=()
logdir=$ROOT/$BUILD/test-logs
mkdir -p "$logdir"

for t in "$ROOT/$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && continue
    log=$logdir/$name.log
    ( cd "$ROOT" && timeout 600 "$t" ) >"$log" 2>&1
    rc=$?
    total=$(sed -n 's/^\[==========\] Running \([0-9]*\) test(s)\./\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    skip=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s)\./\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    bad=$((total - ok - skip))
    skipped=$((skipped + skip))
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$bad" -ne 0 ]; then
        failures+=("$name (see $log)")
        echo "FAIL $name: $ok passed, $bad failed"
        grep -E '^\[  (FAILED|ERROR) |ERROR|Sanitizer|runtime error' "$log" | head -20 | sed 's/^/    /'
    else
        echo "ok   $name: $ok passed"
    fi
done

for s in "$ROOT"/tests/integration/test_*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh)
    [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && continue
    log=$logdir/$name.log
    timeout 1800 bash "$s" >"$log" 2>&1
    rc=$?
    ok=$(grep -c '^ok - ' "$log")
    bad=$(grep -c '^not ok - ' "$log")
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "not ok - $name exited $rc" >>"$log"; fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$bad" -ne 0 ]; then
        failures+=("$name (see $log)")
        echo "FAIL $name: $ok passed, $bad failed"
        grep -E '^not ok|^#' "$log" | head -30 | sed 's/^/    /'
    else
        echo "ok   $name: $ok passed"
    fi
done

if [ ${#failures[@]} -gt 0 ]; then
    echo "failed suites:"
    printf '  %s\n' "${failures[@]}"
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
