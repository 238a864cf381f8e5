#!/usr/bin/env bash
# bench/run.sh — accord's benchmarks (see bench/README.md), run by `make bench`.
#
# Intake: generates the workload once, then, for BENCH_ROUNDS rounds, replays it at full
# load to the baseline (bench/baseline), to a fresh accord node and to PostgreSQL; then once
# at a paced 5,000 reports/s to a fresh node (and the baseline).
# Feeds: `accordctl feed import` of a generated 100,000-record file in each of jsonl, stix,
# misp and urlhaus (bench/feedgen), and HTTP ingest by 4 clients (bench/httpload).
# Federation: two nodes on loopback, the lead as five processes: reports submitted at the
# lead until their measures are at the owner (full speed, and paced at 2,000/s), then the
# catch-up of a stopped owner (bench/pipeline).
# Prints a table of the figures and writes them, with every single run, to $BUILD/bench.json.
#
# Environment: BUILD (build directory, default build), BENCH_ROUNDS (default 3),
# BENCH_BATCH / BENCH_WINDOW (client request size and requests in flight, 250 / 8),
# BENCH_PG_CONNS (PostgreSQL connections, default = BENCH_WINDOW), BENCH_PG_MODE (rows|cte),
# BENCH_FEED_COUNT (records per feed file, 100000), BENCH_FEED_ROUNDS (3; also the HTTP
# rounds), BENCH_HTTP_COUNT (100000),
# BENCH_PIPE_ROUNDS (3), BENCH_PIPE_COUNT (5000), BENCH_CATCHUP_REPORTS (25000, × 4 rules),
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
# issue "feeds"
FEED_COUNT=${BENCH_FEED_COUNT:-100000}
FEED_ROUNDS=${BENCH_FEED_ROUNDS:-3}
FEED_FORMATS=(jsonl stix misp urlhaus)
HTTP_COUNT=${BENCH_HTTP_COUNT:-100000}
HTTP_BATCH=100
HTTP_CLIENTS=4
# issue "federation"
PIPE_ROUNDS=${BENCH_PIPE_ROUNDS:-3}
PIPE_COUNT=${BENCH_PIPE_COUNT:-5000}
PIPE_RATE=2000
PIPE_PACED_SECONDS=5
PIPE_POLL_MS=50
CATCHUP_REPORTS=${BENCH_CATCHUP_REPORTS:-25000}
CATCHUP_RULES=4
CATCHUP_ACTIONS=(block-domain block-account refer-police warn-platform)
CATCHUP_POLL_MS=100
LEAD_SERVICES=(intake verification assignment notification reporting)
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

# Wait until the ipc socket file of a starting server exists.
wait_sock() {
    local _
    for _ in $(seq 1 100); do
        [ -S "$1" ] && return 0
        sleep 0.05
    done
    return 1
}

# Wait until the tcp port of a starting server listens.
wait_port() {
    local port=$1 _
    for _ in $(seq 1 100); do
        ss -Hltn "( sport = :$port )" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

for f in "$BB/loadgen" "$BB/baseline" "$BB/pg" "$BB/feedgen" "$BB/httpload" "$BB/pipeline" \
    "$BIN/accord-node" "$BIN/accordctl" "${LEAD_SERVICES[@]/#/$BIN/accord-}"; do
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
    local name=$1 sock=$TMP/$1.sock
    shift
    "$BB/baseline" --endpoint "ipc://$sock" --dir "$TMP/$name.lmdb" 2>"$TMP/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    wait_sock "$sock" || { broke "baseline did not start (see $TMP/$name.log)"; stop "$pid"; return 1; }
    "$BB/loadgen" run --endpoint "ipc://$sock" --stream "$STREAM" --expect ids \
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
    port=$(free_ports 15) || { broke "no free ports"; return 1; }
    "$BIN/accordctl" init "$dir" --agency bench --port-base "$port" >"$TMP/$name.log" 2>&1 ||
        { broke "accordctl init failed (see $TMP/$name.log)"; return 1; }
    "$BIN/accord-node" -c "$dir/node.cfg" >>"$TMP/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_sock "$dir/data/intake.sock" || { broke "node did not start (see $TMP/$name.log)"; stop "$pid"; return 1; }
    local perf_pid=
    if [ "${BENCH_PERF:-0}" = 1 ] && [ "$name" = intake-1 ] && command -v perf >/dev/null; then
        perf record -F 999 --call-graph dwarf,16384 -p "$pid" \
            -o "$ROOT/$BUILD/bench-perf-intake.data" >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.3
    fi
    "$BB/loadgen" run --endpoint "ipc://$dir/data/intake.sock" --stream "$STREAM" --expect cases \
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

# --- feeds: `accordctl feed import` of 100,000 records per format, each to a fresh node ---
# (issue "feeds"). The files are generated here from a seed (bench/feedgen); the clock is
# the wall time of the accordctl process, from its start to its summary.
FEED_TAGS='feed_tags = ( { tag = "phishing"; category = "phishing-malware"; },
    { tag = "malware_download"; category = "phishing-malware"; },
    { tag = "malicious-activity"; category = "scam"; } );'

# fresh_node NAME — a fresh single node in $TMP/NAME.node (accordctl init), extra config
# lines from stdin appended; prints the port base. The caller starts it (start_node).
fresh_node() {
    local name=$1 port dir=$TMP/$1.node
    port=$(free_ports 15) || { broke "no free ports"; return 1; }
    "$BIN/accordctl" init "$dir" --agency bench --port-base "$port" >"$TMP/$name.log" 2>&1 ||
        { broke "accordctl init failed (see $TMP/$name.log)"; return 1; }
    cat >>"$dir/node.cfg"
    echo "$port"
}

# start_node NAME — accord-node on $TMP/NAME.node; sets NODE_PID.
NODE_PID=
start_node() {
    local name=$1 dir=$TMP/$1.node
    "$BIN/accord-node" -c "$dir/node.cfg" >>"$TMP/$name.log" 2>&1 &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    wait_sock "$dir/data/intake.sock" ||
        { broke "node did not start (see $TMP/$name.log)"; stop "$NODE_PID"; return 1; }
}

HTTP_TOKEN=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)

vmhwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

# run_feed FORMAT ROUND — import $TMP/feed.FORMAT into a fresh node, write
# feed-FORMAT-ROUND.json.
run_feed() {
    local fmt=$1 name=feed-$1-$2 file=$TMP/feed.$1 t0 t1 rc
    fresh_node "$name" <<<"$FEED_TAGS" >/dev/null || return 1
    start_node "$name" || return 1
    t0=$(date +%s%N)
    "$BIN/accordctl" -c "$TMP/$name.node/node.cfg" feed import "$file" --format "$fmt" \
        --source "bench-$fmt" --category scam >"$TMP/$name.out" 2>>"$TMP/$name.log"
    rc=$?
    t1=$(date +%s%N)
    local rss
    rss=$(vmhwm "$NODE_PID")
    stop "$NODE_PID"
    [ $rc = 0 ] || broke "feed import $fmt exited $rc (see $TMP/$name.log)"
    local f=$TMP/$name.out
    local rec new att pres skip rej
    rec=$(sed -n 's/^records read: //p' "$f")
    new=$(sed -n 's/^new cases: //p' "$f")
    att=$(sed -n 's/^attached to existing cases: //p' "$f")
    pres=$(sed -n 's/^already present: //p' "$f")
    skip=$(sed -n 's/^skipped: //p' "$f")
    rej=$(sed -n 's/^rejected: //p' "$f")
    if [ "${rec:-0}" != "$FEED_COUNT" ] || [ "${rej:-1}" != 0 ]; then
        broke "feed import $fmt: ${rec:-no} records read, ${rej:-?} rejected (expected $FEED_COUNT, 0)"
    fi
    awk -v name="$name" -v fmt="$fmt" -v t0="$t0" -v t1="$t1" -v rec="${rec:-0}" -v new="${new:-0}" \
        -v att="${att:-0}" -v pres="${pres:-0}" -v skip="${skip:-0}" -v rej="${rej:-0}" \
        -v bytes="$(stat -c %s "$file")" -v rss="${rss:-0}" 'BEGIN {
        s = (t1 - t0) / 1e9
        printf "{\"label\":\"%s\",\"format\":\"%s\",\"file_bytes\":%d,\"records\":%d,", name, fmt, bytes, rec
        printf "\"new_case\":%d,\"attached\":%d,\"already_present\":%d,\"skipped\":%d,", new, att, pres, skip
        printf "\"rejected\":%d,\"elapsed_s\":%.3f,\"records_per_s\":%.0f,\"node_peak_rss_kb\":%d}\n", rej, s, (s > 0 ? rec / s : 0), rss
    }' >"$TMP/$name.json"
    rm -rf "$TMP/$name.node"
}

# run_http NAME — HTTP ingest into a fresh node: 4 clients posting batches of 100 to
# POST /v1/reports with the bearer token of the configured source "bench".
run_http() {
    local name=$1 port
    port=$(fresh_node "$name" <<<"sources = ( { name = \"bench\"; token = \"$HTTP_TOKEN\"; trust = \"high\"; rate_per_minute = 0; } );") ||
        { broke "cannot set up the node for $name (see $TMP/$name.log)"; return 1; }
    start_node "$name" || return 1
    wait_port $((port + 8)) || { broke "no HTTP on port $((port + 8)) (see $TMP/$name.log)"; stop "$NODE_PID"; return 1; }
    "$BB/httpload" --url "http://127.0.0.1:$((port + 8))/v1/reports" --token "$HTTP_TOKEN" \
        --count "$HTTP_COUNT" --batch "$HTTP_BATCH" --clients "$HTTP_CLIENTS" --label "$name" \
        >"$TMP/$name.json" 2>>"$TMP/$name.log" || broke "$name: $(tail -n 1 "$TMP/$name.log")"
    vmhwm "$NODE_PID" >"$TMP/$name.rss"
    stop "$NODE_PID"
    rm -rf "$TMP/$name.node"
}

say "feeds: generating $FEED_COUNT records in each of ${FEED_FORMATS[*]}"
for fmt in "${FEED_FORMATS[@]}"; do
    "$BB/feedgen" --format "$fmt" --count "$FEED_COUNT" --out "$TMP/feed.$fmt" 2>>"$TMP/feedgen.log" ||
        broke "feedgen $fmt failed (see $TMP/feedgen.log)"
done
for r in $(seq 1 "$FEED_ROUNDS"); do
    say "feeds round $r of $FEED_ROUNDS: accordctl feed import of each file into a fresh node;" \
        "HTTP ingest ($HTTP_COUNT reports, $HTTP_CLIENTS clients x $HTTP_BATCH)"
    for fmt in "${FEED_FORMATS[@]}"; do
        [ -s "$TMP/feed.$fmt" ] && run_feed "$fmt" "$r"
    done
    run_http "http-$r"
done
rm -f "$TMP"/feed.*

# --- federation (issue "federation") -------------------------------------------------------
# A pair of fresh nodes on loopback: the lead (bench-lead) runs as five processes
# (accord-intake, -verification, -assignment, -notification, -reporting: TCP mode, streams
# between them over CURVE), the owner (bench-owner) as one accord-node; peers registered
# both ways as scripts/demo.sh does. The lead verifies reports of source "bench"
# automatically (verification.auto) and routes scam cases to the owner.
FED_LEAD_MODE=processes
declare -A FED_PID=()

# fed_init NAME — create NAME's two nodes; sets FED_DIR.
FED_DIR=
fed_init() {
    local name=$1 port kl ko
    FED_DIR=$TMP/$name
    mkdir -p "$FED_DIR"
    port=$(free_ports 35) || { broke "no free ports"; return 1; }
    "$BIN/accordctl" init "$FED_DIR/lead" --agency bench-lead --port-base "$port" >>"$FED_DIR/setup.log" 2>&1 &&
        "$BIN/accordctl" init "$FED_DIR/owner" --agency bench-owner --port-base $((port + 20)) \
            >>"$FED_DIR/setup.log" 2>&1 || { broke "accordctl init failed (see $FED_DIR/setup.log)"; return 1; }
    local n
    for n in lead owner; do
        # The owner lists all its measures in one answer: let the answer be large.
        sed -i 's/^\([[:space:]]*message_max_bytes = \)1048576;/\167108864;/' "$FED_DIR/$n/node.cfg"
        printf 'sources = ( { name = "bench"; token = "%s"; trust = "high"; confidence = 95; rate_per_minute = 0; } );\n' \
            "$HTTP_TOKEN" >>"$FED_DIR/$n/node.cfg"
    done
    sed -i 's|^verification = {|verification = {\n    auto = { enabled = true; sources = [ "bench" ]; min_confidence = 90; legal_basis = "Nghị định 15/2020/NĐ-CP, Điều 100 (bench)"; reasons = "Nguồn tin cậy cao, xác minh tự động (bench)"; };|' \
        "$FED_DIR/lead/node.cfg"
    kl=$("$BIN/accordctl" -c "$FED_DIR/lead/node.cfg" key show | tail -n 1)
    ko=$("$BIN/accordctl" -c "$FED_DIR/owner/node.cfg" key show | tail -n 1)
    "$BIN/accordctl" -c "$FED_DIR/lead/node.cfg" peer add --agency bench-owner --role coordinating \
        --endpoint "tcp://127.0.0.1:$((port + 20))" --public-key "$ko" >>"$FED_DIR/setup.log" 2>&1 &&
        "$BIN/accordctl" -c "$FED_DIR/owner/node.cfg" peer add --agency bench-lead --role lead \
            --endpoint "tcp://127.0.0.1:$port" --public-key "$kl" >>"$FED_DIR/setup.log" 2>&1 &&
        "$BIN/accordctl" -c "$FED_DIR/lead/node.cfg" config check >>"$FED_DIR/setup.log" 2>&1 ||
        { broke "federation setup failed (see $FED_DIR/setup.log)"; return 1; }
}

# fed_start_lead — the lead as five processes; if that does not come up, as one accord-node
# (FED_LEAD_MODE=node: per-service memory is then not available).
fed_start_lead() {
    local s ok=1
    if [ "$FED_LEAD_MODE" = processes ]; then
        for s in "${LEAD_SERVICES[@]}"; do
            "$BIN/accord-$s" -c "$FED_DIR/lead/node.cfg" >>"$FED_DIR/lead-$s.log" 2>&1 &
            FED_PID[$s]=$!
            PIDS+=("${FED_PID[$s]}")
        done
        for s in "${LEAD_SERVICES[@]}"; do
            wait_sock "$FED_DIR/lead/data/$s.sock" && kill -0 "${FED_PID[$s]}" 2>/dev/null || ok=0
        done
        [ $ok = 1 ] && return 0
        say "the lead's services did not start as separate processes: running accord-node instead"
        for s in "${LEAD_SERVICES[@]}"; do stop "${FED_PID[$s]}"; unset "FED_PID[$s]"; done
        FED_LEAD_MODE=node
    fi
    "$BIN/accord-node" -c "$FED_DIR/lead/node.cfg" >>"$FED_DIR/lead-node.log" 2>&1 &
    FED_PID[node]=$!
    PIDS+=("${FED_PID[node]}")
    wait_sock "$FED_DIR/lead/data/notification.sock" || { broke "the lead did not start (see $FED_DIR)"; return 1; }
}

fed_start_owner() {
    "$BIN/accord-node" -c "$FED_DIR/owner/node.cfg" >>"$FED_DIR/owner.log" 2>&1 &
    FED_PID[owner]=$!
    PIDS+=("${FED_PID[owner]}")
    wait_sock "$FED_DIR/owner/data/assignment.sock" || { broke "the owner did not start (see $FED_DIR)"; return 1; }
}

# fed_routes ACTION... — one routing rule per action: scam cases → the owner.
fed_routes() {
    local a
    for a in "$@"; do
        "$BIN/accordctl" -c "$FED_DIR/lead/node.cfg" route add --category scam --action "$a" \
            --to bench-owner --deadline 24h >>"$FED_DIR/setup.log" 2>&1 ||
            { broke "route add failed (see $FED_DIR/setup.log)"; return 1; }
    done
}

# fed_stop NAME — peak RSS of every process into NAME.rss-SERVICE (kB), stop them all.
fed_stop() {
    local name=$1 s
    for s in "${!FED_PID[@]}"; do
        vmhwm "${FED_PID[$s]}" >"$TMP/$name.rss-$s"
        stop "${FED_PID[$s]}"
    done
    FED_PID=()
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$FED_DIR"
}

# fed_up NAME ACTION... — a fresh pair, both running, with these routing rules.
fed_up() {
    local name=$1
    shift
    fed_init "$name" && fed_start_lead && fed_start_owner && fed_routes "$@"
}

LEAD_IPC() { echo "ipc://$FED_DIR/lead/data/$1.sock"; }

# End to end at full speed: N reports, one measure each; PIPE_ROUNDS fresh pairs.
for r in $(seq 1 "$PIPE_ROUNDS"); do
    say "pipeline round $r of $PIPE_ROUNDS: $PIPE_COUNT reports, lead → owner, until $PIPE_COUNT measures at the owner"
    if fed_up "pipeline-$r" block-domain; then
        "$BB/pipeline" run --intake "$(LEAD_IPC intake)" --owner "ipc://$FED_DIR/owner/data/assignment.sock" \
            --count "$PIPE_COUNT" --batch "$BATCH" --window "$WINDOW" --poll-ms "$PIPE_POLL_MS" \
            --tag "r$r" --timeout 240 --label "pipeline-$r" >"$TMP/pipeline-$r.json" 2>>"$FED_DIR/pipeline.log" ||
            broke "pipeline-$r: $(tail -n 1 "$FED_DIR/pipeline.log")"
    fi
    fed_stop "pipeline-$r"
done

# Paced: PIPE_RATE reports/s (a request of 20 every 10 ms) for PIPE_PACED_SECONDS.
say "pipeline paced: $PIPE_RATE reports/s for ${PIPE_PACED_SECONDS}s, latency submit → measure at the owner"
if fed_up pipeline-paced block-domain; then
    "$BB/pipeline" run --intake "$(LEAD_IPC intake)" --owner "ipc://$FED_DIR/owner/data/assignment.sock" \
        --count $((PIPE_RATE * PIPE_PACED_SECONDS)) --rate "$PIPE_RATE" --batch 20 --window 1000 \
        --poll-ms "$PIPE_POLL_MS" --tag paced --timeout 240 --label pipeline-paced \
        >"$TMP/pipeline-paced.json" 2>>"$FED_DIR/pipeline.log" ||
        broke "pipeline-paced: $(tail -n 1 "$FED_DIR/pipeline.log")"
fi
fed_stop pipeline-paced

# Catch-up: the owner stops; CATCHUP_REPORTS reports with CATCHUP_RULES rules queue
# CATCHUP_REPORTS × CATCHUP_RULES envelopes for it at the lead; the owner starts; the clock
# runs from its start until the lead's link shows everything enqueued acknowledged.
CATCHUP_N=$((CATCHUP_REPORTS * CATCHUP_RULES))
say "federation catch-up: $CATCHUP_N envelopes queued for a stopped owner ($CATCHUP_REPORTS reports × $CATCHUP_RULES rules)"
if fed_up catchup "${CATCHUP_ACTIONS[@]:0:$CATCHUP_RULES}"; then
    stop "${FED_PID[owner]}"
    unset 'FED_PID[owner]'
    t0=$(date +%s%N)
    "$BB/pipeline" submit --intake "$(LEAD_IPC intake)" --count "$CATCHUP_REPORTS" --tag cu \
        --label catchup-submit >"$TMP/catchup-submit.json" 2>>"$FED_DIR/pipeline.log" &&
        "$BB/pipeline" link --notification "$(LEAD_IPC notification)" --peer bench-owner \
            --until-enqueued "$CATCHUP_N" --t0-ms $((t0 / 1000000)) --poll-ms 200 --timeout 300 \
            --label catchup-enqueue >"$TMP/catchup-enqueue.json" 2>>"$FED_DIR/pipeline.log" ||
        broke "catch-up: $(tail -n 1 "$FED_DIR/pipeline.log")"
    t0=$(date +%s%3N)
    fed_start_owner &&
        "$BB/pipeline" link --notification "$(LEAD_IPC notification)" --peer bench-owner \
            --until-enqueued "$CATCHUP_N" --until-acked --t0-ms "$t0" --poll-ms "$CATCHUP_POLL_MS" \
            --timeout 300 --label catchup >"$TMP/catchup.json" 2>>"$FED_DIR/pipeline.log" ||
        broke "catch-up: $(tail -n 1 "$FED_DIR/pipeline.log")"
fi
fed_stop catchup

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

# issue "feeds"
declare -A feed_rps=()
for fmt in "${FEED_FORMATS[@]}"; do
    feed_rps[$fmt]=$(med "feed-$fmt" records_per_s)
done
http_rps=$(med http reports_per_s)
http_p50=$(med http req_p50_ms)
http_p99=$(med http req_p99_ms)
# issue "federation"
pipe_cps=$(med pipeline cases_per_s)
pipe_elapsed=$(med pipeline elapsed_s)
pipe_cps_hi=$(med pipeline cases_per_s_hi)
pipe_poll=$(med pipeline poll_p50_ms)
pipe_p50=$(num "$(one pipeline-paced lat_p50_ms)")
pipe_p90=$(num "$(one pipeline-paced lat_p90_ms)")
pipe_p99=$(num "$(one pipeline-paced lat_p99_ms)")
pipe_max=$(num "$(one pipeline-paced lat_max_ms)")
pipe_lo_p50=$(num "$(one pipeline-paced lat_lo_p50_ms)")
pipe_lo_p99=$(num "$(one pipeline-paced lat_lo_p99_ms)")
pipe_rate=$(num "$(one pipeline-paced submitted_per_s)")
pipe_paced_poll=$(num "$(one pipeline-paced poll_p50_ms)")
pipe_paced_poll_max=$(num "$(one pipeline-paced poll_max_ms)")
pipe_behind=$(num "$(one pipeline-paced send_behind_max_ms)")
cu_ps=$(num "$(one catchup per_s)")
cu_s=$(num "$(one catchup elapsed_s)")
cu_first=$(num "$(one catchup first_ack_s)")
cu_enq_s=$(num "$(one catchup-enqueue elapsed_s)")
cu_n=null
[ -s "$TMP/catchup.json" ] && cu_n=$(( $(one catchup acked) - $(one catchup acked_at_start) ))
# Peak RSS (VmHWM) of each process of the lead over the pipeline runs, and of the owner.
peak_mb() { # peak_mb SUFFIX — the largest NAME.rss-SUFFIX of the pipeline runs, in MB
    local kb
    kb=$(cat "$TMP"/pipeline-*.rss-"$1" 2>/dev/null | sort -n | tail -n 1)
    [ -n "$kb" ] && awk -v k="$kb" 'BEGIN { printf "%.1f\n", k / 1024 }' || echo null
}
declare -A rss_svc=()
for sv in "${LEAD_SERVICES[@]}" node owner; do
    rss_svc[$sv]=$(peak_mb "$sv")
done
cu_rss_owner=$(awk '{ printf "%.1f\n", $1 / 1024 }' "$TMP/catchup.rss-owner" 2>/dev/null)
cu_rss_owner=$(num "$cu_rss_owner")
cu_rss_notif=$(awk '{ printf "%.1f\n", $1 / 1024 }' "$TMP/catchup.rss-notification" 2>/dev/null)
cu_rss_notif=$(num "$cu_rss_notif")

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
    for fmt in "${FEED_FORMATS[@]}"; do
        printf '  "feed_import_per_s_%s": %s,\n' "$fmt" "${feed_rps[$fmt]}"
    done
    printf '  "http_ingest_per_s": %s,\n' "$http_rps"
    printf '  "pipeline_cases_per_s": %s,\n' "$pipe_cps"
    printf '  "pipeline_p50_ms": %s,\n' "$pipe_p50"
    printf '  "pipeline_p99_ms": %s,\n' "$pipe_p99"
    printf '  "federation_catchup_per_s": %s,\n' "$cu_ps"
    printf '  "peak_rss_mb": {"lead_mode": "%s"' "$FED_LEAD_MODE"
    for sv in "${LEAD_SERVICES[@]}" node owner; do
        [ "${rss_svc[$sv]}" = null ] || printf ', "%s": %s' "$( [ "$sv" = owner ] && echo owner_node || echo "$sv")" "${rss_svc[$sv]}"
    done
    printf '},\n'
    printf '  "feeds": {"records_per_file": %s, "http_req_p50_ms": %s, "http_req_p99_ms": %s},\n' \
        "$FEED_COUNT" "$http_p50" "$http_p99"
    printf '  "federation": {"pipeline_reports": %s, "pipeline_rounds": %s, "pipeline_elapsed_s": %s,' \
        "$PIPE_COUNT" "$PIPE_ROUNDS" "$pipe_elapsed"
    printf ' "pipeline_cases_per_s_upper_bound": %s, "pipeline_poll_ms_p50": %s,' "$pipe_cps_hi" "$pipe_poll"
    printf ' "paced_rate": %s, "paced_achieved_per_s": %s,' "$PIPE_RATE" "$pipe_rate"
    printf ' "paced_seconds": %s, "paced_p90_ms": %s, "paced_max_ms": %s, "paced_poll_ms_p50": %s,' \
        "$PIPE_PACED_SECONDS" "$pipe_p90" "$pipe_max" "$pipe_paced_poll"
    printf ' "paced_p50_ms_lower_bound": %s, "paced_p99_ms_lower_bound": %s,' "$pipe_lo_p50" "$pipe_lo_p99"
    printf ' "paced_poll_ms_max": %s, "paced_send_behind_max_ms": %s, "poll_interval_ms": %s,' \
        "$pipe_paced_poll_max" "$pipe_behind" "$PIPE_POLL_MS"
    printf ' "catchup_envelopes": %s, "catchup_reports": %s, "catchup_rules": %s, "catchup_s": %s,' \
        "$cu_n" "$CATCHUP_REPORTS" "$CATCHUP_RULES" "$cu_s"
    printf ' "catchup_first_ack_s": %s, "catchup_queueing_s": %s, "catchup_owner_peak_rss_mb": %s,' \
        "$cu_first" "$cu_enq_s" "$cu_rss_owner"
    printf ' "catchup_lead_notification_peak_rss_mb": %s},\n' "$cu_rss_notif"
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
    printf ' "feed_records": %s, "feed_seed": 20240603, "feed_rounds": %s, "http_reports": %s,' \
        "$FEED_COUNT" "$FEED_ROUNDS" "$HTTP_COUNT"
    printf ' "http_batch": %s,' "$HTTP_BATCH"
    printf ' "http_clients": %s, "pipeline_reports": %s, "pipeline_rounds": %s,' \
        "$HTTP_CLIENTS" "$PIPE_COUNT" "$PIPE_ROUNDS"
    printf ' "pipeline_paced_rate": %s, "pipeline_paced_seconds": %s, "pipeline_poll_ms": %s,' \
        "$PIPE_RATE" "$PIPE_PACED_SECONDS" "$PIPE_POLL_MS"
    printf ' "catchup_reports": %s, "catchup_rules": %s,' "$CATCHUP_REPORTS" "$CATCHUP_RULES"
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
for fmt in "${FEED_FORMATS[@]}"; do
    row "feed_import_per_s_$fmt" "${feed_rps[$fmt]}"
done
row http_ingest_per_s "$http_rps"
row pipeline_cases_per_s "$pipe_cps"
row pipeline_p50_ms "$pipe_p50"
row pipeline_p99_ms "$pipe_p99"
row federation_catchup_per_s "$cu_ps"
if [ "$FED_LEAD_MODE" = processes ]; then
    for sv in "${LEAD_SERVICES[@]}"; do
        row "peak_rss_mb_$sv" "${rss_svc[$sv]}"
    done
else
    row peak_rss_mb_lead_node "${rss_svc[node]}" "(one process: per-service figures not available)"
fi
row peak_rss_mb_owner_node "${rss_svc[owner]}"
echo
echo "also: baseline ack p50/p99 ${base_p50}/${base_p99} ms, at 5k/s p99 ${base_p99_5k} ms;" \
    "intake at 5k/s p50 ${intake_p50_5k} ms (achieved ${intake_rate_5k}/s);" \
    "postgres 1 connection ${pg_1}/s (intake x${vs_pg1})"
echo "also: feeds $FEED_COUNT records per file, fresh node each, medians of $FEED_ROUNDS rounds; http $HTTP_COUNT reports," \
    "$HTTP_CLIENTS clients x $HTTP_BATCH, request p50/p99 ${http_p50}/${http_p99} ms"
echo "also: pipeline $PIPE_COUNT reports, median of $PIPE_ROUNDS rounds (${pipe_elapsed} s; at most" \
    "${pipe_cps_hi}/s if the last measure came just after the previous poll; owner's list answered in" \
    "${pipe_poll} ms); paced ${pipe_rate}/s for ${PIPE_PACED_SECONDS}s: p90 ${pipe_p90}, max ${pipe_max} ms," \
    "lower bounds p50/p99 ${pipe_lo_p50}/${pipe_lo_p99} ms (polls every $PIPE_POLL_MS ms, answered in" \
    "${pipe_paced_poll} ms, at most ${pipe_paced_poll_max} ms)"
echo "also: catch-up of $cu_n envelopes in ${cu_s} s (first ack ${cu_first} s after the owner's" \
    "start; the lead queued them in ${cu_enq_s} s); lead ran as $FED_LEAD_MODE"
echo "medians of $ROUNDS rounds; $COUNT messages, batch $BATCH, window $WINDOW," \
    "postgres $PG_CONNS connections ($PG_MODE)"
echo "load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg);" \
    "paced sends fell behind schedule by up to $(one intake-paced send_behind_max_ms) ms (intake run)"
echo "figures and every run: $BUILD/bench.json"
[ $BROKEN = 0 ] || { say "something broke: see the messages above"; exit 1; }
exit 0
