#!/usr/bin/env bash
# Builds the libFuzzer targets (make fuzz) and runs each over its seed corpus, then for a
# short bounded mutation run. A crash, leak, sanitizer report or abort() in a target's own
# invariants fails the test. Prints TAP lines and, at the end, the plan "1..N" that
# tests/run.sh checks (a run that stops early has none).
set -u
ROOT=${ACC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${ACC_BUILD:-$ROOT/build}
cd "$ROOT"
SECONDS_PER_TARGET=${FUZZ_SECONDS:-8}
if ! BUILD=$BUILD tests/fuzz/build.sh >"$BUILD/fuzz-build.log" 2>&1; then
    echo "not ok - fuzz targets build"
    sed 's/^/# /' "$BUILD/fuzz-build.log" | tail -20
    echo "1..1"
    exit 1
fi
echo "ok - fuzz targets build"
n=1
bad=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    log=$BUILD/$name.log
    # -runs over the seeds first (every seed must pass), then mutate for a few seconds.
    if "$bin" -runs=0 "$work" >"$log" 2>&1 &&
        "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 "$work" >>"$log" 2>&1; then
        echo "ok - $name: seeds and $(grep -o 'Done [0-9]* runs' "$log" | tail -1)"
    else
        echo "not ok - $name"
        bad=1
        grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$log" | head -10 | sed 's/^/# /'
    fi
    rm -rf "$work"
    n=$((n + 1))
done
[ "$n" -gt 1 ] || { echo "not ok - fuzz targets were built"; n=$((n + 1)); bad=1; }
echo "1..$n"
exit "$bad"
