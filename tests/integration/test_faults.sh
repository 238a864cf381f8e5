#!/usr/bin/env bash
#
# test_faults.sh — the crashes that make duplicates possible, forced at the exact moment
# instead of hoped for in a kill loop. The test copies of the node binaries
# ($ACC_BUILD/tests/bin, built by `make test`; common/acc_fault.h) end the process with
# exit status 99 at a named fault point when ACC_FAULT names it; production binaries have
# no such behaviour.
#
#   (1) intake.submit.committed: a client's report is committed and the node dies before
#       answering. The client gets no answer; its retry (same id) after the restart is
#       answered already_present and the report is stored once.
#   (2) intake.deliver.committed: the police node commits a measure envelope from the lead
#       and dies before the ack. The lead's link sends the envelope again after the police
#       restart; the police answers DUPLICATE and holds the measure once (one envelope, one
#       measure), and the lead's link counts it acked.
#   (3) reporting.apply.committed: reporting's write transaction for a batch of intake
#       events (timeline entries and the stream cursor) commits and the node dies before
#       anything else happens. After the restart each report has exactly one timeline
#       entry, the statistics count each once, and reporting's cursor equals intake's head:
#       the batch counts as applied once, its cursor committed with its effects.
#   (4) assignment.apply.committed: the same for assignment consuming verification's
#       decision: one measure and one Measure event after the restart.
#
# Every scenario first checks that the fault really fired (exit status 99 and the line
# the fault point writes to the node's log), so a fault point that moved or vanished
# fails the test instead of letting it pass vacuously.

source "$(dirname "$0")/lib.sh"
plan 54 # every check below runs on a passing run; a changed path fails

FAULT_BIN=$ACC_BUILD/tests/bin
STORE_PY=$ACC_ROOT/tests/tools/acc_store.py
for tool in python3 mdb_dump; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed (scripts/deps.sh)"; done_testing; }
done
[ -x "$FAULT_BIN/accord-node" ] || { fail "fault-point binaries built ($FAULT_BIN: make test)"; done_testing; }

# start_faulty DIR POINT — start DIR's node from the fault-point binary with ACC_FAULT=POINT.
start_faulty() {
    ACC_FAULT=$2 NODE_BIN=$FAULT_BIN/accord-node node_start "$1"
}

# died_at DIR POINT — wait (hang guard: 10 min) for DIR's node to exit by itself; succeeds
# when it exited 99 and its log says it stopped at POINT.
died_at() {
    local pid rc
    pid=$(node_pid "$1")
    wait_until 600 eval "! kill -0 $pid" || { echo "# node $pid still running"; return 1; }
    wait "$pid"
    rc=$?
    rm -f "$1/node.pid"
    echo "# node $pid exited with status $rc"
    [ "$rc" -eq 99 ] && grep -q "acc_fault: exiting at $2 " "$1/node.log"
}

summary() { python3 "$STORE_PY" summary "$1/data"; }

# caught_up DIR — every stream cursor in DIR equals its producer's head.
caught_up() {
    summary "$1" | jq -e '. as $r | [.cursors | to_entries[] | .value | to_entries[] |
                                      select(.value != $r.heads[.key])] | length == 0'
}

# --- (1) a client's retry after the answer was lost ------------------------------------------

N1=$T_TMP/n1
check "(1) node init" node_init "$N1"
check "(1) start with ACC_FAULT=intake.submit.committed" start_faulty "$N1" intake.submit.committed
ID=0192f0a0-0000-7000-8000-00000000f001
submit1() {
    ctl "$N1" report submit --id "$ID" --url "http://fault-one.example/pay" --category scam \
        --description "lost answer" --json
}
run submit1
check_rc "(1) the submission gets no answer: exit 1" 1
check "(1) the node died at intake.submit.committed (exit 99)" died_at "$N1" intake.submit.committed
check "(1) restart without the fault" node_start "$N1"
run submit1
check_rc "(1) retry with the same id: exit 0" 0
check_eq "(1) retry answered already_present" already_present "$(jget "$OUT" .outcome)"
S=$(summary "$N1")
check_eq "(1) the report is stored once (intake events with its id)" 1 \
    "$(jget "$S" "[.reports[] | select(.[0] == \"$ID\")] | length")"
check_eq "(1) status: one report, one case" "1 1" "$(node_counts "$N1")"
CASE=$(jget "$OUT" .case_number)
check_eq "(1) case show lists it once" "$ID" \
    "$(jget "$(ctl "$N1" case show "$CASE" --json)" '[.reports_list[].id] | join(" ")')"
nodes_stop_checked "$N1"

# --- (2) a peer envelope whose ack was lost ---------------------------------------------------

LEAD=$T_TMP/lead
POLICE=$T_TMP/police
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

check "(2) init lead" init_node "$LEAD" stttt-hn
check "(2) init police" init_node "$POLICE" ca-hn
check "(2) lead: peer add ca-hn" ctl "$LEAD" peer add --agency ca-hn --role coordinating \
    --endpoint "tcp://127.0.0.1:$(port "$POLICE")" --public-key "$(key "$POLICE")"
check "(2) police: peer add stttt-hn" ctl "$POLICE" peer add --agency stttt-hn --role lead \
    --endpoint "tcp://127.0.0.1:$(port "$LEAD")" --public-key "$(key "$LEAD")"
check "(2) start police with ACC_FAULT=intake.deliver.committed" \
    start_faulty "$POLICE" intake.deliver.committed
check "(2) start lead" node_start "$LEAD"
check "(2) route scam -> request-removal by ca-hn" ctl "$LEAD" route add --category scam \
    --action request-removal --to ca-hn --deadline 24h
run ctl "$LEAD" report submit --url "http://fault-two.example/" --category scam --json
check_rc "(2) lead: report submitted" 0
LCASE=$(jget "$OUT" .case_number)
# (4) rides along on the lead: once every consumer has applied the report, the lead is
# restarted with a fault point in assignment, so the next thing assignment applies, the
# decision, kills it right after its write (the measure) commits.
check "(4) lead: every stream cursor caught up with the report" wait_until 600 caught_up "$LEAD"
node_stop "$LEAD"
check_eq "(4) lead: clean stop before the fault run" 0 "$?"
check "(4) lead: restart with ACC_FAULT=assignment.apply.committed" \
    start_faulty "$LEAD" assignment.apply.committed
# The node may die before verification's answer leaves (assignment applies the decision
# concurrently): the decision's effects are checked in the stores below, not the exit code.
run ctl "$LEAD" verify decide "$LCASE" --verdict violating --category scam \
    --basis "Nghị định 15/2020/NĐ-CP, Điều 100" --reasons "kiểm thử lỗi" --by "Kiểm thử"
echo "# verify decide: exit $RC"
check "(4) the lead died at assignment.apply.committed (exit 99)" \
    died_at "$LEAD" assignment.apply.committed
check "(4) lead: restart without the fault" node_start "$LEAD"
# The lead's link now delivers the measure; the police commits it and dies before the ack.
check "(2) the police died at intake.deliver.committed (exit 99)" \
    died_at "$POLICE" intake.deliver.committed
# While the police is down: the envelope is in its store (committed before the death) and
# the lead has no ack for it. So the ack the lead gets later can only answer the resent
# envelope, after the restart: the duplicate path is what the checks below exercise.
check_eq "(2) police store while down: the envelope was committed" 1 \
    "$(jget "$(summary "$POLICE")" '[.envelopes[] | select(.[0] == "stttt-hn")] | length')"
check_eq "(2) lead: the envelope is not acked while the police is down" "1 0" \
    "$(jget "$(ctl "$LEAD" notice list --json)" '.peers[] | select(.agency == "ca-hn") | "\(.enqueued) \(.acked)"')"
check "(2) police: restart without the fault" node_start "$POLICE"
link_acked() {
    ctl "$LEAD" notice list --json |
        jq -e '.peers[] | select(.agency == "ca-hn") | .acked == 1 and .enqueued == 1'
}
check "(2) lead: the link to ca-hn is acknowledged after the resend" wait_until 600 link_acked
check "(2)(4) lead: every stream cursor caught up" wait_until 600 caught_up "$LEAD"
check "(2) police: every stream cursor caught up" wait_until 600 caught_up "$POLICE"

LS=$(summary "$LEAD")
PS=$(summary "$POLICE")
check_eq "(4) lead: one decision" 1 "$(jget "$LS" '.decisions | length')"
check_eq "(4) lead: one measure, one Measure event (applied once)" "1 1" \
    "$(jget "$LS" '"\(.measures | length) \(.measure_events | length)"')"
check_eq "(4) lead: assignment's cursor on verification equals verification's head (1)" "1 1" \
    "$(jget "$LS" '"\(.heads.verification) \(.cursors.assignment.verification)"')"
check_eq "(2) lead: link ca-hn (enqueued acked parked)" "1 1 0" \
    "$(jget "$LS" '.link["ca-hn"] | "\(.enqueued) \(.acked) \(.parked)"')"
MID=$(jget "$LS" '.measures[0][0]')
check_eq "(2) police intake: one envelope from stttt-hn, sequence 1, the lead's measure" \
    "1 1 $MID" \
    "$(jget "$PS" '[.envelopes[] | select(.[0] == "stttt-hn")] | "\(length) \(.[0][1]) \(.[0][3])"')"
check_eq "(2) police intake: fed_in from stttt-hn" 1 "$(jget "$PS" '.fed_in["stttt-hn"] // 0')"
check_eq "(2) police assignment: the measure once (table, events)" "1 1" \
    "$(jget "$PS" '"\(.measures | length) \(.measure_events | length)"')"
check_eq "(2) police: measure list --mine holds it once" "$MID" \
    "$(jget "$(ctl "$POLICE" measure list --mine --json)" '[.[].id] | join(" ")')"
nodes_stop_checked "$LEAD" "$POLICE"

# --- (3) a consumer killed right after its write transaction --------------------------------

N3=$T_TMP/n3
check "(3) node init" node_init "$N3"
check "(3) start with ACC_FAULT=reporting.apply.committed" \
    start_faulty "$N3" reporting.apply.committed
for i in 1 2 3 4 5; do
    printf '{"id":"0192f0a0-0000-7000-8000-00000000f3%02d","url":"http://fault-three-%d.example/","category":"scam"}\n' \
        "$i" "$i"
done >"$T_TMP/five.jsonl"
# Intake answers before reporting applies (a stream consumer), so the import normally
# succeeds; if the node dies first the import is repeated after the restart.
run ctl "$N3" report import "$T_TMP/five.jsonl"
echo "# import before the fault: exit $RC"
check "(3) the node died at reporting.apply.committed (exit 99)" \
    died_at "$N3" reporting.apply.committed
check "(3) restart without the fault" node_start "$N3"
run ctl "$N3" report import "$T_TMP/five.jsonl"
check_rc "(3) import again: exit 0" 0
check_match "(3) import again: all five already present" '^already present: 5$' "$OUT"
check "(3) every stream cursor caught up" wait_until 600 caught_up "$N3"
S=$(summary "$N3")
check_eq "(3) intake emitted five reports" 5 "$(jget "$S" '.reports | length')"
timeline_reports() {
    local c
    for c in $(jget "$(ctl "$N3" case list --json)" '.[].number'); do
        ctl "$N3" case show "$c" --json |
            jq -r '[.reports_list[].id] as $r | [.timeline[] | select(.kind == "report")] |
                   "\($r | join(",")) \(length)"'
    done | sort
}
EXPECT=$(for i in 1 2 3 4 5; do printf '0192f0a0-0000-7000-8000-00000000f3%02d 1\n' "$i"; done)
check_eq "(3) reporting: each report has exactly one timeline entry" "$EXPECT" "$(timeline_reports)"
# Reporting applies idempotently (a second application of the same events would not show in
# the timeline), so the cursor is the witness that the batch counts as applied, once: it
# was committed in the same transaction as the timeline entries.
check_eq "(3) reporting's cursor on intake equals intake's head (5)" "5 5" \
    "$(jget "$S" '"\(.heads.intake) \(.cursors.reporting.intake)"')"
check_eq "(3) stats: five scam cases from five reports" "5 5" \
    "$(jget "$(ctl "$N3" stats --json)" '"\(.by_category.scam) \(.by_source.import)"')"
nodes_stop_checked "$N3"

check_eq "no sanitizer report in any node log" "" \
    "$(grep -rhE 'Sanitizer|runtime error:' --include='*.log' "$T_TMP" | head -5)"
done_testing
