# shellcheck shell=bash
#
# lib.sh — shared helpers for the integration scripts in tests/integration. Each test_*.sh
# sources this file, starts real accord binaries on loopback in a private temporary
# directory, drives them through accordctl and prints TAP lines that tests/run.sh counts:
#
#   ok - NAME                 a check passed
#   not ok - NAME             a check failed (followed by "# " lines saying why)
#   ok - NAME # SKIP REASON   a check that cannot run here (skip NAME REASON)
#   1..N                      the plan, printed once by done_testing (or up front by
#                             plan N); the runner fails a script whose plan is missing or
#                             differs from the checks it printed, so a script that stops
#                             early, even with exit 0, is a failure
#   1..0 # SKIP REASON        the whole script cannot run here (skip_all REASON)
#
# No check may pass or fail on time: wait for a condition with wait_until, whose cap only
# guards against a hang.
#
# Environment (set by tests/run.sh; defaults let a script run on its own from the repo):
#   ACC_BIN    directory holding accord-node and accordctl (absolute)
#   ACC_ROOT   repository root
#   ACC_BUILD  build directory
#
# On exit (normal, error or signal) every node started through node_start is stopped
# (SIGTERM, then SIGKILL) and the temporary directory is removed, so no process outlives
# the script. Scripts use `set -u` but not `set -e`: a failing check must not end the run.

set -u

ACC_ROOT=${ACC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ACC_BUILD=${ACC_BUILD:-$ACC_ROOT/build}
ACC_BIN=${ACC_BIN:-$ACC_BUILD/bin}
CTL=$ACC_BIN/accordctl
NODE_BIN=$ACC_BIN/accord-node
AGENCY=stttt-hn

T_PASS=0
T_FAIL=0
T_SKIP=0
T_PLAN= # set by plan N
# pids of nodes started by node_start; cleaned up by the exit trap.
declare -a T_NODE_PIDS=()
# Output of the last `run`: stdout, stderr, exit code.
OUT=
ERR=
RC=0

# --- temporary directory and cleanup -------------------------------------------------

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/accord-integ.XXXXXX") || {
    echo "not ok - create a temporary directory"
    exit 1
}

_cleanup() {
    local pid i
    for pid in "${T_NODE_PIDS[@]}"; do
        [ -n "$pid" ] || continue
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null
        # Give it 5 s to shut down cleanly, then force it.
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    # Background helpers a script registered (e.g. an import in flight).
    for pid in ${T_EXTRA_PIDS:-}; do
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ -n "${KEEP_TMP:-}" ]; then
        echo "# kept $T_TMP"
    else
        rm -rf "$T_TMP"
    fi
}
trap _cleanup EXIT
# A signal ends the script through the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites ---------------------------------------------------------------------

_require() {
    local missing=0
    if ! command -v jq >/dev/null 2>&1; then
        echo "not ok - jq is installed (scripts/deps.sh installs it)"
        missing=1
    fi
    if [ ! -x "$CTL" ] || [ ! -x "$NODE_BIN" ]; then
        echo "not ok - binaries built in $ACC_BIN (make BUILD=...)"
        missing=1
    fi
    [ "$missing" -eq 0 ] || exit 1
}
_require

# --- output ----------------------------------------------------------------------------

# diag TEXT... — print each line of TEXT as a "# " comment line.
diag() {
    local line
    printf '%s\n' "$@" | while IFS= read -r line; do
        printf '# %s\n' "$line"
    done
}

# Print the last `run`'s command, exit code and output as diagnostics (on failure).
_diag_last() {
    [ -n "${T_LAST_CMD:-}" ] || return 0
    diag "command: $T_LAST_CMD" "exit code: $RC"
    [ -n "$OUT" ] && diag "stdout:" "$(printf '%s' "$OUT" | head -c 2000)"
    [ -n "$ERR" ] && diag "stderr:" "$(printf '%s' "$ERR" | head -c 2000)"
    return 0
}

pass() {
    T_PASS=$((T_PASS + 1))
    echo "ok - $1"
}

fail() {
    T_FAIL=$((T_FAIL + 1))
    echo "not ok - $1"
}

# --- running commands and checking ------------------------------------------------------

# run CMD... — run CMD, keeping its stdout in $OUT, stderr in $ERR and exit code in $RC.
# Later check_* calls print these when they fail.
run() {
    local o="$T_TMP/.run.out" e="$T_TMP/.run.err"
    T_LAST_CMD=$(printf '%q ' "$@" | head -c 300)
    "$@" >"$o" 2>"$e"
    RC=$?
    OUT=$(cat "$o")
    ERR=$(cat "$e")
    return 0
}

# check NAME CMD... — ok when CMD exits 0; otherwise not ok plus its output as "# " lines.
check() {
    local name=$1
    shift
    local o="$T_TMP/.check.out" rc
    "$@" >"$o" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        pass "$name"
    else
        fail "$name"
        diag "command: $(printf '%q ' "$@" | head -c 300)" "exit code: $rc"
        diag "$(head -c 2000 "$o")"
    fi
    return "$rc"
}

# check_eq NAME EXPECTED ACTUAL — string equality.
check_eq() {
    if [ "$2" == "$3" ]; then
        pass "$1"
        return 0
    fi
    fail "$1"
    diag "expected: $(printf '%s' "$2" | head -c 1000)" "actual:   $(printf '%s' "$3" | head -c 1000)"
    _diag_last
    return 1
}

# check_ne NAME UNEXPECTED ACTUAL — string inequality.
check_ne() {
    if [ "$2" != "$3" ]; then
        pass "$1"
        return 0
    fi
    fail "$1"
    diag "expected anything but: $2"
    _diag_last
    return 1
}

# check_match NAME ERE TEXT — TEXT contains a match for the extended regular expression.
check_match() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then
        pass "$1"
        return 0
    fi
    fail "$1"
    diag "expected a match for: $2" "in: $(printf '%s' "$3" | head -c 1500)"
    _diag_last
    return 1
}

# check_rc NAME EXPECTED — the last `run` exited with EXPECTED.
check_rc() {
    check_eq "$1" "$2" "$RC"
}

# skip NAME REASON — a check that cannot run here: counted as skipped, not passed.
skip() {
    T_SKIP=$((T_SKIP + 1))
    echo "ok - $1 # SKIP $2"
}

# plan N — declare up front that the script runs N checks (printed as "1..N"); done_testing
# then fails the script when a different number ran.
plan() {
    T_PLAN=$1
    echo "1..$1"
}

# skip_all REASON — the whole script cannot run here: prints "1..0 # SKIP REASON" (one
# skip for the runner) and exits 0. Only before any check has been printed.
skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

# done_testing — print the plan (when none was declared) and the totals; exit non-zero when
# anything failed or a declared plan was not met.
done_testing() {
    local ran=$((T_PASS + T_FAIL + T_SKIP))
    if [ -z "$T_PLAN" ]; then
        echo "1..$ran"
    elif [ "$T_PLAN" -ne "$ran" ]; then
        echo "# planned $T_PLAN checks but ran $ran"
        T_FAIL=$((T_FAIL + 1))
    fi
    echo "# $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
    [ "$T_FAIL" -eq 0 ] && exit 0
    exit 1
}

# wait_until CAP_SECONDS CMD... — run CMD (output discarded) every 0.2 s until it succeeds;
# returns 1 when it has not succeeded after CAP_SECONDS. The cap only guards against a hang:
# make it generous (minutes rather than seconds), since a loaded machine (sanitizer builds,
# benchmarks running alongside) may take many times longer than an idle one. Polling counts
# iterations, not the clock, so a stall of the test itself does not use up the cap.
wait_until() {
    local cap=$1 i
    shift
    for ((i = 0; i < cap * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

# nodes_stop_checked DIR... — stop each node and check it exited with status 0 (a crash or,
# in SANITIZE builds, a leak report at shutdown is a non-zero exit).
nodes_stop_checked() {
    local d rc
    for d in "$@"; do
        node_stop "$d"
        rc=$?
        check_eq "$(basename "$d"): node stops cleanly (exit status)" 0 "$rc"
    done
}

# --- JSON --------------------------------------------------------------------------------

# jget JSON FILTER — jq -r FILTER on JSON; prints "" (and fails) when JSON does not parse.
jget() {
    printf '%s' "$1" | jq -r "$2" 2>/dev/null
}

# --- ports ---------------------------------------------------------------------------------

# _port_free PORT — nothing listens on 127.0.0.1:PORT (or any address).
_port_free() {
    if command -v ss >/dev/null 2>&1; then
        ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    else
        # No ss: a connection that succeeds means something listens.
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# free_port_base — print a random base N, a multiple of 20 in 20000..31980 (below the
# ephemeral range, 32768 and up, so the kernel does not hand these ports to clients), with
# N..N+14 all free: a node binds its five request endpoints at N..N+4, HTTP at N+8 and its
# five stream endpoints at N+10..N+14.
free_port_base() {
    local try base p ok
    for ((try = 0; try < 100; try++)); do
        base=$((20000 + RANDOM % 600 * 20)) # below the ephemeral range (32768+)
        ok=1
        for ((p = base; p < base + 15; p++)); do
            _port_free "$p" || { ok=0; break; }
        done
        if [ "$ok" -eq 1 ]; then
            echo "$base"
            return 0
        fi
    done
    return 1
}

# --- nodes ---------------------------------------------------------------------------------

# ctl DIR ARGS... — accordctl against the node in DIR.
ctl() {
    local dir=$1
    shift
    "$CTL" -c "$dir/node.cfg" "$@"
}

# node_init DIR — create a node directory (agency stttt-hn) on free loopback ports.
node_init() {
    local dir=$1 base
    base=$(free_port_base) || { echo "# no free port range found" >&2; return 1; }
    "$CTL" init "$dir" --agency "$AGENCY" --port-base "$base" >"$T_TMP/.init.out" 2>&1 || {
        cat "$T_TMP/.init.out" >&2
        return 1
    }
}

# node_start DIR — start accord-node for DIR in the background (log in DIR/node.log, pid in
# DIR/node.pid) and wait until `accordctl status` answers. Fails when the node exits, or
# does not answer for 120 s (a hang guard, not a speed requirement).
node_start() {
    local dir=$1 pid i
    "$NODE_BIN" -c "$dir/node.cfg" >>"$dir/node.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/node.pid"
    T_NODE_PIDS+=("$pid")
    for ((i = 0; i < 1200; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            echo "# accord-node exited at start ($?); log:" >&2
            tail -n 20 "$dir/node.log" | sed 's/^/#   /' >&2
            return 1
        fi
        ACCORDCTL_TIMEOUT_MS=300 "$CTL" -c "$dir/node.cfg" status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "# accord-node did not answer for 120 s; log:" >&2
    tail -n 20 "$dir/node.log" | sed 's/^/#   /' >&2
    return 1
}

# node_pid DIR — the pid of the node last started for DIR.
node_pid() {
    cat "$1/node.pid" 2>/dev/null
}

# node_alive DIR — the node for DIR is running.
node_alive() {
    local pid
    pid=$(node_pid "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# node_stop DIR — SIGTERM the node and wait for it (up to 120 s, a hang guard; then
# SIGKILL). Returns the node's exit status (0 for a clean shutdown).
node_stop() {
    local pid i rc
    pid=$(node_pid "$1")
    [ -n "$pid" ] || return 1
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "# accord-node $pid ignored SIGTERM for 120 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    rc=$?
    rm -f "$1/node.pid"
    return "$rc"
}

# node_kill9 DIR — SIGKILL the node (a crash) and reap it.
node_kill9() {
    local pid
    pid=$(node_pid "$1")
    [ -n "$pid" ] || return 1
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$1/node.pid"
    return 0
}

# node_counts DIR — print "REPORTS CASES" from `status --json` (nothing when it fails).
node_counts() {
    local j
    j=$(ctl "$1" status --json 2>/dev/null) || return 1
    jget "$j" '"\(.reports) \(.cases)"'
}
