#!/usr/bin/env bash
# bench/run.sh — accord's intake benchmark (see bench/README.md), run by `make bench`.
#
# Generates the workload once, then, for BENCH_ROUNDS rounds, replays it at full load to
# the baseline (bench/baseline), to a fresh accord node and to PostgreSQL; then once at a
# paced 5,000 reports/s to a fresh node (and the baseline). Prints a table of the median
# figures and writes them, with every single run, to $BUILD/bench.json.
#
# Environment: BUILD (build directory, default build), BENCH_ROUNDS (default 3),
# BENCH_BATCH / BENCH_WINDOW (client request size and requests in flight, 250 / 8),
# BENCH_PG_CONNS (PostgreSQL connections, default = BENCH_WINDOW), BENCH_PG_MODE (rows|cte),
# BENCH_PERF=1 (record `perf` of the node in round 1 into $BUILD/bench-perf-intake.data),
# BENCH_KEEP=1 (keep the temporary directory).
#
# Figures are printed, never judged: the script exits 0 unless something broke (a
# program failed, or a target answered with outcomes the workload does not expect).
set -u
set -o pipefail

BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BIN=$ROOT/$BUILD/bin
BB=$ROOT/$BUILD/bench
ROUNDS=${BENCH_ROUNDS:-3}
BATCH=${BENCH_BATCH:-250}
WINDOW=${BENCH_WINDOW:-8}
PG_CONNS=${BENCH_PG_CONNS:-$WINDOW}
PG_MODE=${BENCH_PG_MODE:-rows}
COUNT=200000
PACED_RATE=5000
PACED_BATCH=50
PACED_SECONDS=10
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export LANG=C.UTF-8 LC_ALL=C.UTF-8

TMP=$(mktemp -d "${TMPDIR:-/tmp}/accord-bench.XXXXXX") || exit 1
PIDS=()
PGDATA_DIR=
BROKEN=0

say() { printf 'bench: %s\n' "$*" >&2; }
broke() { say "FAILED: $*"; BROKEN=1; }

# stop PID — end a server this script started, and forget it (so that cleanup never
# signals a recycled pid).
stop() {
    local p=$1 keep=() q
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    for q in "${PIDS[@]}"; do
        [ "$q" = "$p" ] || keep+=("$q")
    done
    PIDS=("${keep[@]}")
}

# shellcheck disable=SC2317  # called through the trap
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    if [ -n "$PGDATA_DIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        say "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: as root, run it as the 'postgres' user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A free block of $1 consecutive TCP ports on loopback.
free_ports() {
    local n=$1 base p used tries=0
    while [ $tries -lt 200 ]; do
        tries=$((tries + 1))
        base=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        used=0
        for ((p = base; p < base + n; p++)); do
            if ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then
                used=1
                break
            fi
        done
        [ $used = 0 ] && { echo "$base"; return 0; }
    done
    return 1
}

# jget FILE KEY — a value from the flat JSON object in FILE.
jget() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$1" | head -n 1; }

# median of the arguments (numbers)
median() {
    [ $# = 0 ] && { echo null; return; }
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.2f\n", a / b }'; }

# Wait until the ipc socket or tcp port of a starting server answers.
wait_port() {
    local port=$1 _
    for _ in $(seq 1 100); do
        ss -Hltn "( sport = :$port )" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

for f in "$BB/loadgen" "$BB/baseline" "$BB/pg" "$BIN/accord-node" "$BIN/accordctl"; do
    [ -x "$f" ] || { say "missing $f: run 'make bench'"; exit 1; }
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    say "the machine is busy (load average $LOAD_START on $(nproc) CPUs): figures will be noisy"
fi

# --- the workload ----------------------------------------------------------------------
STREAM=$TMP/stream.bin
"$BB/loadgen" gen --out "$STREAM" --count $COUNT --dup-pct 30 --attach-pct 20 --seed 20240601 ||
    { say "cannot generate the workload"; exit 1; }

# --- targets ----------------------------------------------------------------------------
# run_baseline NAME LOADGEN-ARGS... — a fresh baseline store, one loadgen run.
run_baseline() {
    local name=$1 port
    shift
    port=$(free_ports 1) || { broke "no free port"; return 1; }
    "$BB/baseline" --endpoint "tcp://127.0.0.1:$port" --dir "$TMP/$name.lmdb" 2>"$TMP/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    wait_port "$port" || { broke "baseline did not start (see $TMP/$name.log)"; stop "$pid"; return 1; }
    "$BB/loadgen" run --endpoint "tcp://127.0.0.1:$port" --stream "$STREAM" --expect ids \
        --label "$name" "$@" >"$TMP/$name.json" 2>>"$TMP/$name.log" ||
        broke "$name: $(tail -n 1 "$TMP/$name.log")"
    stop "$pid"
    rm -rf "$TMP/$name.lmdb"
}

# run_node NAME LOADGEN-ARGS... — a fresh node (accordctl init), one loadgen run; the
# node's peak RSS goes into NAME.rss (kB).
run_node() {
    local name=$1 port dir=$TMP/$1.node
    shift
    port=$(free_ports 5) || { broke "no free ports"; return 1; }
    "$BIN/accordctl" init "$dir" --agency bench --port-base "$port" >"$TMP/$name.log" 2>&1 ||
        { broke "accordctl init failed (see $TMP/$name.log)"; return 1; }
    "$BIN/accord-node" -c "$dir/node.cfg" >>"$TMP/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_port "$port" || { broke "node did not start (see $TMP/$name.log)"; stop "$pid"; return 1; }
    local perf_pid=
    if [ "${BENCH_PERF:-0}" = 1 ] && [ "$name" = intake-1 ] && command -v perf >/dev/null; then
        perf record -F 999 --call-graph dwarf,16384 -p "$pid" \
            -o "$ROOT/$BUILD/bench-perf-intake.data" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.3
    fi
    "$BB/loadgen" run --endpoint "tcp://127.0.0.1:$port" --stream "$STREAM" --expect cases \
        --label "$name" "$@" >"$TMP/$name.json" 2>>"$TMP/$name.log" ||
        broke "$name: $(tail -n 1 "$TMP/$name.log")"
    [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid"; }
    sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" >"$TMP/$name.rss" 2>/dev/null
    stop "$pid"
    rm -rf "$dir"
}

PG_PORT=
start_pg() {
    [ -x "$PGBIN/initdb" ] || { say "no PostgreSQL in $PGBIN: postgres figures skipped"; return 1; }
    PG_PORT=$(free_ports 1) || { broke "no free port for postgres"; return 1; }
    local d=$TMP/pg
    mkdir -p "$d"
    if [ "$(id -u)" = 0 ]; then
        chmod 711 "$TMP"
        chown postgres: "$d" || { broke "cannot hand $d to the postgres user"; return 1; }
    fi
    as_pg "$PGBIN/initdb" -D "$d/data" -A trust -U postgres -E UTF8 --no-sync >"$d/initdb.log" 2>&1 ||
        { broke "initdb failed (see $d/initdb.log)"; return 1; }
    PGDATA_DIR=$d/data
    # Defaults everywhere (fsync on, full_page_writes on) except what the benchmark names.
    as_pg "$PGBIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 -o \
        "-p $PG_PORT -k $d -c listen_addresses=127.0.0.1 -c synchronous_commit=on" \
        start >/dev/null 2>&1 || { broke "postgres did not start (see $d/server.log)"; return 1; }
}

run_pg() {
    local name=$1
    shift
    "$BB/pg" --conninfo "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres" \
        --stream "$STREAM" --batch "$BATCH" --mode "$PG_MODE" --label "$name" "$@" >"$TMP/$name.json" \
        2>"$TMP/$name.log" || broke "$name: $(tail -n 1 "$TMP/$name.log")"
}

HAVE_PG=0
start_pg && HAVE_PG=1

# --- full load, interleaved rounds (the machine's noise falls on every target alike) ----
for r in $(seq 1 "$ROUNDS"); do
    say "round $r of $ROUNDS: baseline, intake$([ $HAVE_PG = 1 ] && echo ', postgres')"
    run_baseline "baseline-$r" --batch "$BATCH" --window "$WINDOW"
    run_node "intake-$r" --batch "$BATCH" --window "$WINDOW"
    [ $HAVE_PG = 1 ] && run_pg "postgres-$r" --conns "$PG_CONNS"
done
[ $HAVE_PG = 1 ] && { say "postgres, one connection"; run_pg pg1conn --conns 1; }

# --- paced: 5,000 reports/s for 10 s, open loop (the window only caps runaway) ----------
say "paced: $PACED_RATE reports/s for ${PACED_SECONDS}s to a fresh node, then the baseline"
run_node intake-paced --batch $PACED_BATCH --window 1000 --rate $PACED_RATE --duration $PACED_SECONDS
run_baseline baseline-paced --batch $PACED_BATCH --window 1000 --rate $PACED_RATE \
    --duration $PACED_SECONDS

# --- figures ---------------------------------------------------------------------------
col() { # col PREFIX KEY — the KEY of every round's run
    local f
    for f in "$TMP/$1"-[0-9]*.json; do
        [ -s "$f" ] && jget "$f" "$2"
    done
}
med() { # med PREFIX KEY — the median over the rounds
    local v
    mapfile -t v < <(col "$1" "$2")
    median "${v[@]}"
}
one() { [ -s "$TMP/$1.json" ] && jget "$TMP/$1.json" "$2" || echo null; }
num() { [ -n "$1" ] && echo "$1" || echo null; }

intake_rps=$(med intake reports_per_s)
intake_p50=$(med intake ack_p50_ms)
intake_p99=$(med intake ack_p99_ms)
intake_p99_5k=$(num "$(one intake-paced ack_p99_ms)")
intake_p50_5k=$(num "$(one intake-paced ack_p50_ms)")
intake_rate_5k=$(num "$(one intake-paced reports_per_s)")
base_rps=$(med baseline reports_per_s)
base_p50=$(med baseline ack_p50_ms)
base_p99=$(med baseline ack_p99_ms)
base_p99_5k=$(num "$(one baseline-paced ack_p99_ms)")
pg_rps=null pg_1=null pg_p99=null
if [ $HAVE_PG = 1 ]; then
    pg_rps=$(med postgres reports_per_s)
    pg_p99=$(med postgres txn_p99_ms)
    pg_1=$(num "$(one pg1conn reports_per_s)")
fi
rss_kb=$(cat "$TMP"/intake-[0-9]*.rss 2>/dev/null | sort -n | tail -n 1)
rss_mb=$([ -n "$rss_kb" ] && awk -v k="$rss_kb" 'BEGIN { printf "%.1f\n", k / 1024 }' || echo null)
vs_base=$(ratio "$intake_rps" "$base_rps")
vs_pg=$(ratio "$intake_rps" "$pg_rps")
vs_pg1=$(ratio "$intake_rps" "$pg_1")

{
    printf '{\n'
    printf '  "intake_reports_per_s": %s,\n' "$intake_rps"
    printf '  "intake_ack_p50_ms": %s,\n' "$intake_p50"
    printf '  "intake_ack_p99_ms": %s,\n' "$intake_p99"
    printf '  "intake_ack_p99_ms_at_5k": %s,\n' "$intake_p99_5k"
    printf '  "baseline_reports_per_s": %s,\n' "$base_rps"
    printf '  "intake_vs_baseline": %s,\n' "$vs_base"
    printf '  "postgres_reports_per_s": %s,\n' "$pg_rps"
    printf '  "intake_vs_postgres": %s,\n' "$vs_pg"
    printf '  "node_peak_rss_mb": %s,\n' "$rss_mb"
    printf '  "extra": {"intake_ack_p50_ms_at_5k": %s, "intake_reports_per_s_at_5k": %s,' \
        "$intake_p50_5k" "$intake_rate_5k"
    printf ' "baseline_ack_p50_ms": %s, "baseline_ack_p99_ms": %s, "baseline_ack_p99_ms_at_5k": %s,' \
        "$base_p50" "$base_p99" "$base_p99_5k"
    printf ' "postgres_txn_p99_ms": %s, "postgres_1conn_reports_per_s": %s, "intake_vs_postgres_1conn": %s},\n' \
        "$pg_p99" "$pg_1" "$vs_pg1"
    printf '  "config": {"messages": %s, "duplicates_pct": 30, "attach_pct_of_unique": 20,' "$COUNT"
    printf ' "seed": 20240601, "batch": %s, "window": %s, "rounds": %s, "postgres_conns": %s,' \
        "$BATCH" "$WINDOW" "$ROUNDS" "$PG_CONNS"
    printf ' "postgres_mode": "%s", "paced_rate": %s, "paced_batch": %s, "paced_seconds": %s,' \
        "$PG_MODE" "$PACED_RATE" "$PACED_BATCH" "$PACED_SECONDS"
    printf ' "cpus": %s, "load_avg_at_start": "%s", "load_avg_at_end": "%s"},\n' "$(nproc)" \
        "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '  "runs": [\n'
    first=1
    for f in "$TMP"/*.json; do
        [ -s "$f" ] || continue
        [ $first = 1 ] || printf ',\n'
        first=0
        printf '    %s' "$(cat "$f")"
    done
    printf '\n  ]\n}\n'
} >"$ROOT/$BUILD/bench.json.tmp" && mv "$ROOT/$BUILD/bench.json.tmp" "$ROOT/$BUILD/bench.json"

row() { printf '%-28s %-10s %s\n' "$1" "$2" "${3:-}"; }
echo
row metric value target
row intake_reports_per_s "$intake_rps"
row intake_ack_p50_ms "$intake_p50"
row intake_ack_p99_ms "$intake_p99"
row intake_ack_p99_ms_at_5k "$intake_p99_5k"
row baseline_reports_per_s "$base_rps"
row intake_vs_baseline "$vs_base" ">= 0.5"
row postgres_reports_per_s "$pg_rps"
row intake_vs_postgres "$vs_pg" ">= 2"
row node_peak_rss_mb "$rss_mb"
echo
echo "also: baseline ack p50/p99 ${base_p50}/${base_p99} ms, at 5k/s p99 ${base_p99_5k} ms;" \
    "intake at 5k/s p50 ${intake_p50_5k} ms (achieved ${intake_rate_5k}/s);" \
    "postgres 1 connection ${pg_1}/s (intake x${vs_pg1})"
echo "medians of $ROUNDS rounds; $COUNT messages, batch $BATCH, window $WINDOW," \
    "postgres $PG_CONNS connections ($PG_MODE)"
echo "load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg);" \
    "paced sends fell behind schedule by up to $(one intake-paced send_behind_max_ms) ms (intake run)"
echo "figures and every run: $BUILD/bench.json"
[ $BROKEN = 0 ] || { say "something broke: see the messages above"; exit 1; }
exit 0
