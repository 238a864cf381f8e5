#!/usr/bin/env bash
# Runs every test: the cmocka unit binaries in $BUILD/tests, then the integration scripts
# in tests/integration. Ends with one line "N passed, N failed, N skipped" and exits
# non-zero when anything failed.
#
# Unit binaries: the totals come from cmocka's summary lines ("[  PASSED  ] N test(s).",
# "[  SKIPPED ] N test(s), listed below:", "[  FAILED  ] N test(s), listed below:"); a test
# neither passed nor skipped is a failure, and so is a binary that exits non-zero.
#
# Integration scripts print TAP lines (tests/integration/lib.sh):
#   ok - NAME                 a check passed
#   ok - NAME # SKIP REASON   a check that could not run here (counted as skipped)
#   not ok - NAME             a check failed
#   1..N                      the plan: how many checks the script ran in all, printed once
#   1..0 # SKIP REASON        the whole script could not run here (one skip)
# A script without exactly one plan line, whose plan differs from the checks it printed,
# or that exits non-zero, has failed: a script that stops early (even with exit 0) is
# caught because it never prints its plan.
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

# sum_of SED_EXPR LOG — the sum of the numbers SED_EXPR extracts from LOG's lines.
sum_of() {
    sed -n "$1" "$2" | awk '{s += $1} END {print s + 0}'
}

for t in "$ROOT/$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && continue
    log=$logdir/$name.log
    ( cd "$ROOT" && timeout 600 "$t" ) >"$log" 2>&1
    rc=$?
    total=$(sum_of 's/^\[==========\] Running \([0-9]*\) test(s)\..*/\1/p' "$log")
    ok=$(sum_of 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log")
    skip=$(sum_of 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$log")
    bad=$((total - ok - skip))
    if [ "$rc" -ne 0 ] && [ "$bad" -le 0 ]; then bad=1; fi
    if [ "$total" -eq 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi # ran nothing: not a pass
    passed=$((passed + ok))
    failed=$((failed + bad))
    skipped=$((skipped + skip))
    if [ "$bad" -ne 0 ]; then
        failures+=("$name (see $log)")
        echo "FAIL $name: $ok passed, $bad failed, $skip skipped (exit $rc)"
        grep -E '^\[  (FAILED|ERROR) |ERROR|Sanitizer|runtime error' "$log" | head -20 | sed 's/^/    /'
    else
        echo "ok   $name: $ok passed, $skip skipped"
    fi
    [ "$skip" -gt 0 ] && grep -E '^\[  SKIPPED \] [^0-9]' "$log" | sort -u | sed 's/^/    /'
done

for s in "$ROOT"/tests/integration/test_*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh)
    [ -n "$ONLY" ] && [[ "$name" != *"$ONLY"* ]] && continue
    log=$logdir/$name.log
    timeout 1800 bash "$s" >"$log" 2>&1
    rc=$?
    ok=$(grep -E '^ok - ' "$log" | grep -cEv ' # SKIP( |$)')
    skip=$(grep -E '^ok - ' "$log" | grep -cE ' # SKIP( |$)')
    bad=$(grep -c '^not ok - ' "$log")
    plans=$(grep -cE '^1\.\.[0-9]+' "$log")
    plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -1)
    why=""
    if [ "$plans" -ne 1 ]; then
        why="$plans plan lines (expected one 1..N: the script stopped early or printed two)"
    elif [ "$plan" -eq 0 ] && grep -qE '^1\.\.0 # SKIP' "$log" && [ $((ok + skip + bad)) -eq 0 ]; then
        skip=1 # the whole script skipped, with its reason on the plan line
    elif [ "$plan" -ne $((ok + skip + bad)) ]; then
        why="plan 1..$plan but $((ok + skip + bad)) checks printed"
    fi
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        echo "not ok - $name: $why" >>"$log"
    fi
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1
        echo "not ok - $name exited $rc" >>"$log"
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
    skipped=$((skipped + skip))
    if [ "$bad" -ne 0 ]; then
        failures+=("$name (see $log)")
        echo "FAIL $name: $ok passed, $bad failed, $skip skipped"
        grep -E '^not ok|^#' "$log" | head -30 | sed 's/^/    /'
    else
        echo "ok   $name: $ok passed, $skip skipped"
    fi
    [ "$skip" -gt 0 ] && grep -E '^ok - .* # SKIP|^1\.\.0 # SKIP' "$log" | sed 's/^/    /'
done

if [ ${#failures[@]} -gt 0 ]; then
    echo "failed suites:"
    printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
