#!/usr/bin/env bash
#
# test_kill_loop.sh — 50 crashes (SIGKILL) of a lead node under continuous load lose
# nothing acknowledged and duplicate nothing, in any service or across the federation link.
#
# A lead (stttt-hn) verifies feed-x reports automatically (verification.auto) and routes
# scam sites to the police (ca-hn, running all along): every case gets one automated
# violating decision and one measure, delivered to the police node. Two load generators
# submit feed-x reports at the lead without pause: one `report submit --id UUID` at a time,
# the other `report import` of small JSONL files whose records carry ids; about a fifth of
# the reports repeat an earlier URL (they attach to its case). A submission that fails (the
# node is down) is retried with the same ids until it is acknowledged (exit 0); every id
# acknowledged is recorded.
#
# Meanwhile the lead is killed with SIGKILL 50 times at random moments 0.2–1.5 s apart and
# restarted each time: first (KILL_NODE kills) the whole accord-node process, then, with
# the lead run as five processes accord-intake, accord-verification, accord-assignment,
# accord-notification and accord-reporting on the same config (streams over TCP with
# CURVE), one random service process at a time. Then the load stops, the nodes settle
# (waited for with a hang guard only, no time limit) and:
#   - every acknowledged report id is stored exactly once (lead intake store, status and
#     the reports lists of `case show --json` of every case); nothing stored that no
#     generator sent;
#   - every case has exactly one automated decision (verification's log; reporting's
#     timeline shows at most one verdict);
#   - every case has one measure, once, on the lead and once on the police node (same ids;
#     police intake: one envelope per link sequence, fed_in == the lead's link enqueued);
#   - the lead's link to ca-hn: acked == enqueued, nothing parked;
#   - every stream cursor of every service on both nodes equals its producer's head.
# Store facts come from tests/tools/acc_store.py (mdb_dump from lmdb-utils).
#
# Environment: KILLS (default 50), KILL_NODE (whole-node kills first, default KILLS/2),
# KILL_SEED (repeat a run).

source "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-50}
KILL_NODE=${KILL_NODE:-$((KILLS / 2))}
SEED=${KILL_SEED:-$RANDOM}
echo "# seed $SEED (set KILL_SEED to repeat)"
RANDOM=$SEED
STORE_PY=$ACC_ROOT/tests/tools/acc_store.py
SERVICES=(intake verification assignment notification reporting)

for tool in python3 mdb_dump; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed (scripts/deps.sh)"; done_testing; }
done
for s in "${SERVICES[@]}"; do
    [ -x "$ACC_BIN/accord-$s" ] || { fail "accord-$s is built"; done_testing; }
done

LEAD=$T_TMP/lead
POLICE=$T_TMP/police

# --- the two nodes -----------------------------------------------------------------------

USED_BASES=" "
init_node() {
    local dir=$1 agency=$2 base try
    for ((try = 0; try < 20; try++)); do
        base=$(free_port_base) || return 1
        [[ "$USED_BASES" == *" $base "* ]] || break
    done
    USED_BASES="$USED_BASES$base "
    echo "$base" >"$dir.port"
    "$CTL" init "$dir" --agency "$agency" --port-base "$base" >/dev/null
}
port() { cat "$1.port"; }
key() { ctl "$1" key show | tail -n 1; }

check "init lead" init_node "$LEAD" stttt-hn
check "init police" init_node "$POLICE" ca-hn
check "lead: peer add ca-hn" ctl "$LEAD" peer add --agency ca-hn --role coordinating \
    --endpoint "tcp://127.0.0.1:$(port "$POLICE")" --public-key "$(key "$POLICE")"
check "police: peer add stttt-hn" ctl "$POLICE" peer add --agency stttt-hn --role lead \
    --endpoint "tcp://127.0.0.1:$(port "$LEAD")" --public-key "$(key "$LEAD")"

# Automated verification of feed-x at the lead; answers large enough for a few thousand
# measures in one list on both nodes (the default 1 MiB would shorten them).
python3 - "$LEAD/node.cfg" "$POLICE/node.cfg" <<'EOF'
import sys
for i, path in enumerate(sys.argv[1:]):
    s = open(path, encoding="utf-8").read()
    s = s.replace("message_max_bytes = 1048576;", "message_max_bytes = 16777216;", 1)
    if i == 0:
        s = s.replace("verification = {\n", """verification = {
    auto = { enabled = true; sources = [ "feed-x" ]; min_confidence = 50;
             legal_basis = "Nghị định 15/2020/NĐ-CP, Điều 100";
             reasons = "feed-x: trang lừa đảo đã được xác minh"; };
""", 1)
        s += '\nsources = ( { name = "feed-x"; trust = "high"; confidence = 90; } );\n'
    open(path, "w", encoding="utf-8").write(s)
EOF
check "lead: config check" ctl "$LEAD" config check
check "police: config check" ctl "$POLICE" config check
check "start police" node_start "$POLICE" || done_testing
check "start lead" node_start "$LEAD" || done_testing
check "route scam -> request-removal by ca-hn" ctl "$LEAD" route add --category scam \
    --action request-removal --to ca-hn --deadline 24h

# --- load generators ---------------------------------------------------------------------

# loadgen.py MODE CTL CFG OUT STOP SEED — submit feed-x reports at the node of CFG until the
# file STOP exists. MODE "single": `report submit --id`; MODE "batch": `report import` of
# 10-record JSONL files with ids. A failed submission is retried with the same ids and
# content until acknowledged (exit 0), at most 60 s after STOP appears. OUT gets lines
# "try ID", "ack ID", "retried TRIES OUTPUT" (acknowledged after failures) and
# "bad ID RC MESSAGE" (an exit code other than 0 or 1), flushed.
cat >"$T_TMP/loadgen.py" <<'EOF'
import json, os, random, subprocess, sys, time, uuid

mode, ctl, cfg, out, stop, seed = sys.argv[1:7]
rnd = random.Random(int(seed))
env = dict(os.environ, ACCORDCTL_TIMEOUT_MS="2000")
urls = []
log = open(out, "a")
n = 0


def note(*words):
    log.write(" ".join(words) + "\n")
    log.flush()


def record():
    global n
    n += 1
    if urls and rnd.random() < 0.2:
        url = rnd.choice(urls)  # another report of a known site: attaches to its case
    else:
        url = "https://%s-%d-%d.example/dang-nhap?n=%d" % (mode, int(seed), n, n)
        urls.append(url)
    return {"id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "url": url,
            "category": "scam", "source": "feed-x", "description": "%s %d" % (mode, n)}


def submit(recs, path):
    if mode == "single":
        r = recs[0]
        cmd = [ctl, "-c", cfg, "report", "submit", "--id", r["id"], "--url", r["url"],
               "--category", r["category"], "--source", r["source"],
               "--description", r["description"]]
    else:
        cmd = [ctl, "-c", cfg, "report", "import", path]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode == 0 and mode == "batch" and "\nrejected: 0\n" not in "\n" + p.stdout:
        return 3, p.stdout.replace("\n", "; ")
    return p.returncode, (p.stdout + p.stderr).strip().replace("\n", "; ")


path = out + ".batch.jsonl"
while not os.path.exists(stop):
    recs = [record() for _ in range(1 if mode == "single" else 10)]
    if mode == "batch":
        with open(path, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in recs))
    for r in recs:
        note("try", r["id"])
    # A steady load, not a flood: a few thousand reports over the run.
    time.sleep(0.02 if mode == "single" else 0.15)
    tries = 0
    while True:
        tries += 1
        rc, msg = submit(recs, path)
        if rc == 0:
            for r in recs:
                note("ack", r["id"])
            if tries > 1:
                # What the node says on the retry: stored before the crash or not.
                note("retried", str(tries), msg[:200])
            break
        if rc != 1:
            for r in recs:
                note("bad", r["id"], str(rc), msg[:300])
            break
        if os.path.exists(stop) and time.time() - os.path.getmtime(stop) > 60:
            break
        time.sleep(0.05)
log.close()
EOF

STOP=$T_TMP/stop
python3 "$T_TMP/loadgen.py" single "$CTL" "$LEAD/node.cfg" "$T_TMP/gen-single.log" "$STOP" \
    $((SEED * 2 + 1)) 2>"$T_TMP/gen-single.err" &
GEN1=$!
python3 "$T_TMP/loadgen.py" batch "$CTL" "$LEAD/node.cfg" "$T_TMP/gen-batch.log" "$STOP" \
    $((SEED * 2 + 2)) 2>"$T_TMP/gen-batch.err" &
GEN2=$!
T_EXTRA_PIDS="${T_EXTRA_PIDS:-} $GEN1 $GEN2"

# --- the kill loop -----------------------------------------------------------------------

# pause — 0.2 .. 1.5 s, random.
pause() {
    local ms=$((200 + RANDOM % 1301))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}
# start_bg PIDFILE LOG CMD... — start CMD in the background (output appended to LOG, pid in
# PIDFILE); the exit trap stops it.
start_bg() {
    local file=$1 log=$2
    shift 2
    "$@" >>"$log" 2>&1 &
    echo $! >"$file"
    T_NODE_PIDS+=($!)
}
# kill9 PIDFILE — SIGKILL and reap; returns 1 when the process had already exited (it
# died by itself: a finding), after reporting its exit status.
SELF_EXITS=0
kill9() {
    local pid rc
    pid=$(cat "$1")
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        rc=$?
        SELF_EXITS=$((SELF_EXITS + 1))
        echo "# process $pid ($1) had exited by itself with status $rc before its kill"
        return 1
    fi
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
acked_so_far() { cat "$T_TMP"/gen-*.log 2>/dev/null | grep -c '^ack '; }

t_loop=$(date +%s)
# Phase 1: the whole node.
for ((k = 1; k <= KILL_NODE; k++)); do
    pause
    kill9 "$LEAD/node.pid"
    start_bg "$LEAD/node.pid" "$LEAD/node.log" "$NODE_BIN" -c "$LEAD/node.cfg"
done
echo "# phase 1: $KILL_NODE kills of accord-node; $(acked_so_far) reports acknowledged so far"

# Phase 2: the lead as five processes, one killed at a time.
SPLIT=0
if [ "$KILL_NODE" -lt "$KILLS" ]; then
    node_start_wait() {
        local i
        for ((i = 0; i < 100; i++)); do
            ACCORDCTL_TIMEOUT_MS=300 ctl "$LEAD" status >/dev/null 2>&1 && return 0
            sleep 0.1
        done
        return 1
    }
    check "lead (one process) answers before the switch" node_start_wait
    node_stop "$LEAD"
    check_eq "lead (one process): clean stop before the switch" 0 "$?"
    for s in "${SERVICES[@]}"; do
        start_bg "$LEAD/$s.pid" "$LEAD/$s.log" "$ACC_BIN/accord-$s" -c "$LEAD/node.cfg"
    done
    # Separate processes work when a new report reaches the police node as a measure.
    split_works() {
        local id i
        id=$(ctl "$LEAD" report submit --url "https://split-check.example/" --category scam \
            --source feed-x) || return 1
        for ((i = 0; i < 100; i++)); do
            ctl "$POLICE" measure list --mine --json | jq -e --arg c "$id" \
                'any(.[]; .case == $c)' >/dev/null 2>&1 && return 0
            sleep 0.1
        done
        return 1
    }
    check "lead as five processes: intake answers" node_start_wait
    if check "lead as five processes: a report becomes a measure at the police node" split_works; then
        SPLIT=1
        for ((k = KILL_NODE + 1; k <= KILLS; k++)); do
            pause
            s=${SERVICES[RANDOM % 5]}
            kill9 "$LEAD/$s.pid"
            start_bg "$LEAD/$s.pid" "$LEAD/$s.log" "$ACC_BIN/accord-$s" -c "$LEAD/node.cfg"
            KILLED="${KILLED:-} $s"
        done
        echo "# phase 2: killed in turn:$KILLED"
    else
        for s in "${SERVICES[@]}"; do
            diag "--- $s log" "$(tail -n 15 "$LEAD/$s.log")"
            kill -TERM "$(cat "$LEAD/$s.pid")" 2>/dev/null
        done
        for s in "${SERVICES[@]}"; do wait "$(cat "$LEAD/$s.pid")" 2>/dev/null; done
        echo "# separate processes do not work: the remaining kills are whole-node kills"
        start_bg "$LEAD/node.pid" "$LEAD/node.log" "$NODE_BIN" -c "$LEAD/node.cfg"
        for ((k = KILL_NODE + 1; k <= KILLS; k++)); do
            pause
            kill9 "$LEAD/node.pid"
            start_bg "$LEAD/node.pid" "$LEAD/node.log" "$NODE_BIN" -c "$LEAD/node.cfg"
        done
    fi
fi
echo "# $KILLS kills in $(($(date +%s) - t_loop)) s; $(acked_so_far) reports acknowledged"
check_eq "no lead process exited by itself during the kill loop" 0 "$SELF_EXITS"
if [ "$SPLIT" -eq 1 ]; then
    dead=""
    for s in "${SERVICES[@]}"; do kill -0 "$(cat "$LEAD/$s.pid")" 2>/dev/null || dead="$dead $s"; done
    check_eq "every lead service process runs after the loop" "" "$dead"
else
    check "the lead runs after the loop" kill -0 "$(cat "$LEAD/node.pid")"
fi

touch "$STOP"
wait "$GEN1"
wait "$GEN2"
check_eq "load generators: nothing but exit 0 or 1 from accordctl" "" \
    "$(grep -h '^bad ' "$T_TMP"/gen-*.log | head -5)"
[ -s "$T_TMP/gen-single.err" ] && diag "single generator stderr:" "$(head -c 1500 "$T_TMP/gen-single.err")"
[ -s "$T_TMP/gen-batch.err" ] && diag "batch generator stderr:" "$(head -c 1500 "$T_TMP/gen-batch.err")"
grep -h '^ack ' "$T_TMP"/gen-*.log | cut -d' ' -f2 | sort >"$T_TMP/acked"
grep -h '^try ' "$T_TMP"/gen-*.log | cut -d' ' -f2 | sort -u >"$T_TMP/tried"
ACKED=$(sort -u "$T_TMP/acked" | wc -l)
echo "# $ACKED report ids acknowledged, $(wc -l <"$T_TMP/tried") sent"
# Submissions retried after a crash whose reports the node had stored before it died (the
# acknowledgement was lost): the cases where a duplicate could have been made.
echo "# retried submissions: $(grep -c '^retried ' "$T_TMP/gen-single.log") single" \
    "($(grep '^retried ' "$T_TMP/gen-single.log" | grep -c 'already stored') had been stored)," \
    "$(grep -c '^retried ' "$T_TMP/gen-batch.log") batches" \
    "($(grep '^retried ' "$T_TMP/gen-batch.log" | grep -vc 'already present: 0;') had records stored)"
check_eq "every acknowledgement is for a distinct id" "$ACKED" "$(wc -l <"$T_TMP/acked")"
check_eq "every id sent was acknowledged in the end" "$(wc -l <"$T_TMP/tried")" "$ACKED"
check "single generator acknowledged reports" grep -q '^ack ' "$T_TMP/gen-single.log"
check "batch generator acknowledged reports" grep -q '^ack ' "$T_TMP/gen-batch.log"

# --- settle --------------------------------------------------------------------------------

# caught_up DIR — every cursor of every service in DIR equals its producer's head (the
# summary is kept in DIR.summary).
caught_up() {
    python3 "$STORE_PY" summary "$1/data" >"$1.summary.tmp" || return 1
    mv "$1.summary.tmp" "$1.summary"
    jq -e '. as $r | [.cursors | to_entries[] | .value | to_entries[] |
                      select(.value != $r.heads[.key])] | length == 0' "$1.summary" >/dev/null
}
# lagging DIR — "service.input=cursor/head ..." for every cursor behind its producer.
lagging() {
    jq -r '. as $r | [.cursors | to_entries[] | .key as $s | .value | to_entries[] |
                      select(.value != $r.heads[.key]) |
                      "\($s).\(.key)=\(.value)/\($r.heads[.key])"] | join(" ")' "$1.summary"
}
settled() {
    local a=1 b=1 c=1 d=1 state
    caught_up "$LEAD" || a=0
    caught_up "$POLICE" || b=0
    jq -e '.link["ca-hn"] as $l | $l.acked == $l.enqueued and $l.parked == 0' \
        "$LEAD.summary" >/dev/null || c=0
    [ "$(jq '.measures | length' "$POLICE.summary")" = "$(jq '.measures | length' "$LEAD.summary")" ] || d=0
    # Progress, when it changes, to see what takes time.
    state="lead: $(lagging "$LEAD") | police: $(lagging "$POLICE") | link $(jq -c '.link["ca-hn"]' "$LEAD.summary")"
    [ "$state" != "${LAST_STATE:-}" ] && echo "# settle +$(($(date +%s) - t0)) s: $state"
    LAST_STATE=$state
    [ $((a & b & c & d)) -eq 1 ]
}
# The summaries are read table by table, not in one transaction: settled only when two
# polls in a row find everything caught up with the same heads.
t0=$(date +%s)
ok=0
prev=""
for ((i = 0; i < 2400; i++)); do # 20 min: a hang guard
    if settled; then
        cur="$(jq -c .heads "$LEAD.summary") $(jq -c .heads "$POLICE.summary")"
        [ "$cur" = "$prev" ] && { ok=1; break; }
        prev=$cur
    else
        prev=""
    fi
    sleep 0.5
done
check_eq "both nodes settle (cursors at heads, link acked, measures delivered)" 1 "$ok"
echo "# settled in $(($(date +%s) - t0)) s"
diag "lead heads $(jq -c .heads "$LEAD.summary")" "lead cursors $(jq -c .cursors "$LEAD.summary")" \
    "police heads $(jq -c .heads "$POLICE.summary")" "police cursors $(jq -c .cursors "$POLICE.summary")" \
    "lead link $(jq -c .link "$LEAD.summary")"

# --- checks --------------------------------------------------------------------------------

L=$LEAD.summary
PS=$POLICE.summary
jq -r '.reports[][0]' "$L" | sort >"$T_TMP/stored"
STORED=$(wc -l <"$T_TMP/stored")
CASES=$(jq '[.reports[][1]] | unique | length' "$L")
echo "# lead: $STORED reports in $CASES cases"
check_eq "lead: no report id stored twice" "$STORED" "$(sort -u "$T_TMP/stored" | wc -l)"
check_eq "lead: every acknowledged id is stored" "" \
    "$(comm -23 <(sort -u "$T_TMP/acked") "$T_TMP/stored" | head -5)"
# Nothing stored that no generator sent, but the one report of the split check.
check_eq "lead: stored ids no generator sent (the split check's: $SPLIT)" "$SPLIT" \
    "$(comm -13 "$T_TMP/tried" "$T_TMP/stored" | wc -l)"
check_eq "lead: status --json reports and cases" "$STORED $CASES" "$(node_counts "$LEAD")"

# Every case's reports list (case show --json), and its timeline's verdicts.
cat >"$T_TMP/cases.py" <<'EOF'
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
ctl, cfg = sys.argv[1], sys.argv[2]
cases = json.loads(subprocess.run([ctl, "-c", cfg, "case", "list", "--json"], check=True,
                                  capture_output=True, text=True).stdout)
def show(c):
    p = subprocess.run([ctl, "-c", cfg, "case", "show", c["number"], "--json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return c["number"], None
    return c["number"], json.loads(p.stdout)
ids, problems = [], []
with ThreadPoolExecutor(4) as ex:
    for number, d in ex.map(show, cases):
        if d is None:
            problems.append("case show %s failed" % number)
            continue
        if d.get("reports_omitted"):
            problems.append("%s: %d reports omitted" % (number, d["reports_omitted"]))
        ids += [r["id"] for r in d["reports_list"]]
        if len(d["reports_list"]) != d["reports"]:
            problems.append("%s: %d reports listed, count %d" % (number, len(d["reports_list"]), d["reports"]))
        verdicts = [e for e in d.get("timeline", []) if e.get("kind") == "verdict"]
        if len(verdicts) > 1:
            problems.append("%s: %d verdicts in the timeline" % (number, len(verdicts)))
        if len([e for e in verdicts if e["event"].get("automated")]) != 1:
            problems.append("%s: %d automated verdicts in the timeline" % (number, len(verdicts)))
print(json.dumps({"cases": len(cases), "ids": ids, "problems": problems}))
EOF
t0=$(date +%s)
python3 "$T_TMP/cases.py" "$CTL" "$LEAD/node.cfg" >"$T_TMP/cases.json" 2>"$T_TMP/cases.err"
echo "# case show of $CASES cases: $(($(date +%s) - t0)) s"
check_eq "case list --json: one entry per case" "$CASES" "$(jq .cases "$T_TMP/cases.json")"
check_eq "case show --json: reports lists hold every stored id once" \
    "$(sort -u "$T_TMP/stored" | sha256sum)" "$(jq -r '.ids[]' "$T_TMP/cases.json" | sort | sha256sum)"
check_eq "case show --json: reports lists hold no id twice" "$STORED" "$(jq '.ids | length' "$T_TMP/cases.json")"
check_eq "case show --json: counts match, one automated verdict per timeline" "" \
    "$(jq -r '.problems[:10][]' "$T_TMP/cases.json"; head -c 500 "$T_TMP/cases.err")"

check_eq "lead: one automated violating decision per case (decisions, cases decided)" \
    "$CASES $CASES" \
    "$(jq -r '"\([.decisions[] | select(.[1] == 1 and .[2])] | length) \([.decisions[][0]] | unique | length)"' "$L")"
check_eq "lead: no case with more than one decision" "" \
    "$(jq -r '[.decisions[][0]] | group_by(.) | map(select(length > 1) | .[0]) | .[:5][]' "$L")"
check_eq "lead: one measure per case (table, distinct cases, Measure events)" "$CASES $CASES $CASES" \
    "$(jq -r '"\(.measures | length) \([.measures[][1]] | unique | length) \(.measure_events | length)"' "$L")"
check_eq "lead: notices to ca-hn, one per measure" "$CASES $CASES" \
    "$(jq -r '[.notices[] | select(.[0] == "peer:ca-hn")] | "\(length) \([.[][2]] | unique | length)"' "$L")"
check_eq "lead: link ca-hn (enqueued acked parked)" "$CASES $CASES 0" \
    "$(jq -r '.link["ca-hn"] | "\(.enqueued) \(.acked) \(.parked)"' "$L")"

check_eq "police: the lead's measures, each once (table, events, distinct events)" \
    "$CASES $CASES $CASES" \
    "$(jq -r '"\(.measures | length) \(.measure_events | length) \([.measure_events[][0]] | unique | length)"' "$PS")"
check_eq "police: the same measure ids as the lead" \
    "$(jq -r '.measures[][0]' "$L" | sort | sha256sum)" "$(jq -r '.measures[][0]' "$PS" | sort | sha256sum)"
check_eq "police intake: envelopes from stttt-hn (count, distinct sequences, distinct measures, fed_in)" \
    "$CASES $CASES $CASES $CASES" \
    "$(jq -r '[.envelopes[] | select(.[0] == "stttt-hn")] as $e |
              "\($e | length) \([$e[][1]] | unique | length) \([$e[][3]] | unique | length) \(.fed_in["stttt-hn"] // 0)"' "$PS")"
PM=$(ctl "$POLICE" measure list --mine --json)
check_eq "police: measure list --mine (count, distinct ids)" "$CASES $CASES" \
    "$(jget "$PM" '"\(length) \([.[].id] | unique | length)"')"
LM=$(ctl "$LEAD" measure list --json)
check_eq "lead: measure list (count, distinct ids, distinct cases)" "$CASES $CASES $CASES" \
    "$(jget "$LM" '"\(length) \([.[].id] | unique | length) \([.[].case] | unique | length)"')"

# --- stop ------------------------------------------------------------------------------------

if [ "$SPLIT" -eq 1 ]; then
    for s in "${SERVICES[@]}"; do kill -TERM "$(cat "$LEAD/$s.pid")" 2>/dev/null; done
    for s in "${SERVICES[@]}"; do
        wait "$(cat "$LEAD/$s.pid")"
        check_eq "lead accord-$s: clean stop" 0 "$?"
    done
else
    node_stop "$LEAD"
    check_eq "lead: clean stop" 0 "$?"
fi
node_stop "$POLICE"
check_eq "police: clean stop" 0 "$?"
check_eq "no sanitizer report in any node log" "" \
    "$(grep -rhE 'Sanitizer|runtime error:' --include='*.log' "$T_TMP" | head -5)"
check_eq "no process of this test left running" "" "$(pgrep -af -- "$T_TMP" | head -5)"
if [ "$T_FAIL" -ne 0 ]; then
    for f in "$LEAD"/*.log "$POLICE/node.log"; do
        diag "--- $f: errors and warnings" "$(grep -E 'ERROR|WARN' "$f" | tail -n 15)"
    done
fi

done_testing
