#!/usr/bin/env bash
#
# test_ops.sh — the operator commands of the services behind intake, through accordctl:
# verify decide (verification), route add, measure list|update (assignment), notice list
# (notification), stats and the timeline of case show (reporting).
#
# First, with the node initialised but not started: every argument mistake exits 2 and
# names the option (so it was caught before anything was sent: a command that got past
# its checks would exit 1, "not running"), and every command whose service does not run
# exits 1 at once with "the <service> service is not running".
#
# Then with the node running: a service the node runs is driven for real (decide, rules,
# measures, updates, notices, statistics, the timeline); one it does not run yet must fail
# as above, and case show must still print the intake part. Which services the node runs
# is read from services/node/main.c (the list the binary is built from); OPS_SERVICES
# ("verification assignment ...") overrides that for a node binary built from another list.

source "$(dirname "$0")/lib.sh"

# Messages in English unless a check asks for Vietnamese.
export LC_ALL=C.UTF-8 LANG=C.UTF-8
unset LC_MESSAGES

N=$T_TMP/n1
ALL_SERVICES="verification assignment notification reporting"
NUM_RE='^stttt-hn/20[0-9][0-9]/[0-9]{6}$'
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z$'
BASIS='Nghị định 15/2020/NĐ-CP, Điều 101'
REASONS='The page imitates a bank login form and collects card numbers.'

if [ -n "${OPS_SERVICES+x}" ]; then
    RUNNING=" $OPS_SERVICES "
else
    RUNNING=" "
    for s in $ALL_SERVICES; do
        grep -Eq "^[^/]*&${s}_service\b" "$ACC_ROOT/services/node/main.c" && RUNNING+="$s "
    done
fi
runs() { [[ "$RUNNING" == *" $1 "* ]]; }
diag "services the node runs: ${RUNNING# }"

ME=$(id -un 2>/dev/null) || ME=${USER:-}

# no_control NAME TEXT — TEXT holds no ESC or BEL byte (nothing that could drive a terminal).
no_control() {
    if printf '%s' "$2" | grep -q $'[\x1b\x07]'; then
        fail "$1"
        diag "found ESC or BEL in: $(printf '%s' "$2" | od -c | head -5)"
    else
        pass "$1"
    fi
}


# bad_input NAME OPTION CMD... — CMD exits 2 and its stderr names OPTION.
bad_input() {
    local name=$1 opt=$2
    shift 2
    run "$@"
    check_rc "$name: exit 2" 2
    check_match "$name: names $opt" "(^|[^a-z-])$(printf '%s' "$opt" | sed 's/[.]/\\./g')([^a-z-]|$)" "$ERR"
}

# not_running NAME SERVICE CMD... — CMD exits 1 saying that SERVICE is not running, without
# waiting for an answer: accordctl's answer timeout is set to 10 min and the command is
# stopped after 5 (exit 124), so a command that waited for the missing service fails
# here on its exit code, with no stopwatch involved.
not_running() {
    local name=$1 svc=$2
    shift 2
    local cmd=("$@")
    [ "$1" = ctl ] && cmd=("$CTL" -c "$2/node.cfg" "${@:3}") # timeout needs a program
    ACCORDCTL_TIMEOUT_MS=600000 run timeout 300 "${cmd[@]}"
    check_rc "$name: exit 1 (at once: not after waiting for an answer)" 1
    check_match "$name: says the $svc service is not running" \
        "the $svc service is not running" "$ERR"
}

check "node init" node_init "$N" || done_testing

# A command with all its arguments right, per service.
DECIDE_OK=(verify decide stttt-hn/2026/000001 --verdict violating --category scam
    --basis "$BASIS" --reasons "$REASONS")
ROUTE_OK=(route add --category scam --action request-removal --to stttt-hn --deadline 24h)

# --- argument checks: no node needed ---------------------------------------------------------

bad_input "decide without a number" NUMBER ctl "$N" verify decide --verdict violating \
    --category scam --basis "$BASIS" --reasons "$REASONS"
bad_input "decide --verdict maybe" --verdict ctl "$N" verify decide C --verdict maybe \
    --category scam --basis "$BASIS" --reasons "$REASONS"
bad_input "decide --verdict Violating (case matters)" --verdict ctl "$N" verify decide C \
    --verdict Violating --category scam --basis "$BASIS" --reasons "$REASONS"
bad_input "decide without --verdict" --verdict ctl "$N" verify decide C --category scam \
    --basis "$BASIS" --reasons "$REASONS"
bad_input "decide --verdict without a value" --verdict ctl "$N" verify decide C --verdict
bad_input "decide without --category" --category ctl "$N" verify decide C \
    --verdict violating --basis "$BASIS" --reasons "$REASONS"
bad_input "decide without --basis" --basis ctl "$N" verify decide C --verdict violating \
    --category scam --reasons "$REASONS"
bad_input "decide with a blank --basis" --basis ctl "$N" verify decide C --verdict violating \
    --category scam --basis "   " --reasons "$REASONS"
bad_input "decide with --basis of no-break spaces" --basis ctl "$N" verify decide C \
    --verdict violating --category scam --basis $'\u00a0\u3000\u00a0' --reasons "$REASONS"
bad_input "decide with --basis not UTF-8" --basis ctl "$N" verify decide C \
    --verdict violating --category scam --basis $'Lu\xe2t' --reasons "$REASONS"
bad_input "decide with an empty --reasons" --reasons ctl "$N" verify decide C \
    --verdict not-violating --category scam --basis "$BASIS" --reasons ""
bad_input "decide with a blank --reasons" --reasons ctl "$N" verify decide C \
    --verdict inconclusive --category scam --basis "$BASIS" --reasons $' \t\n '
bad_input "decide with a blank --by" --by ctl "$N" "${DECIDE_OK[@]}" --by "  "
bad_input "decide with an unknown option" --frob ctl "$N" "${DECIDE_OK[@]}" --frob
bad_input "verify without decide" decide ctl "$N" verify judge

bad_input "route add --deadline 3x" --deadline ctl "$N" route add --category scam \
    --action request-removal --to stttt-hn --deadline 3x
for d in 0h 0m 24 h 1h30m -1h 1.5h " 1h" 1H 30s 99999999999999999999w ""; do
    bad_input "route add --deadline '$d'" --deadline ctl "$N" route add --category scam \
        --action request-removal --to stttt-hn --deadline "$d"
done
bad_input "route add without --deadline" --deadline ctl "$N" route add --category scam \
    --action request-removal --to stttt-hn
bad_input "route add without --to" --to ctl "$N" route add --category scam \
    --action request-removal --deadline 24h
bad_input "route add without --action" --action ctl "$N" route add --category scam \
    --to stttt-hn --deadline 24h
bad_input "route add without --category" --category ctl "$N" route add \
    --action request-removal --to stttt-hn --deadline 24h
bad_input "route add with a stray argument" extra ctl "$N" "${ROUTE_OK[@]}" extra

bad_input "measure update without an id" ID ctl "$N" measure update --status done --result x
bad_input "measure update --status finished" --status ctl "$N" measure update \
    0192d9a0-1111-7000-8000-000000000001 --status finished --result x
bad_input "measure update without --status" --status ctl "$N" measure update \
    0192d9a0-1111-7000-8000-000000000001 --result x
bad_input "measure update done without --result" --result ctl "$N" measure update \
    0192d9a0-1111-7000-8000-000000000001 --status done
bad_input "measure update failed with a blank --result" --result ctl "$N" measure update \
    0192d9a0-1111-7000-8000-000000000001 --status failed --result "  "
bad_input "measure list --case without a value" --case ctl "$N" measure list --case
bad_input "measure list with an unknown option" --all ctl "$N" measure list --all
bad_input "notice list with an unknown option" --peers ctl "$N" notice list --peers
bad_input "stats with an unknown option" --period ctl "$N" stats --period
run ctl "$N" measure
check_rc "measure without a subcommand: exit 2" 2
check_match "measure without a subcommand: shows the usage" 'measure list\|update' "$ERR"

run env -u LC_ALL LANG=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" route add --category scam \
    --action request-removal --to stttt-hn --deadline 3x
check_rc "vi: bad --deadline: exit 2" 2
check_match "vi: bad --deadline explained in Vietnamese" '^accordctl: --deadline: .*không phải thời hạn' "$ERR"

# --- every service not running (the node is not started) ----------------------------------

not_running "verify decide, no node" verification ctl "$N" "${DECIDE_OK[@]}"
not_running "route add, no node" assignment ctl "$N" "${ROUTE_OK[@]}"
not_running "measure list, no node" assignment ctl "$N" measure list
not_running "measure update, no node" assignment ctl "$N" measure update \
    0192d9a0-1111-7000-8000-000000000001 --status accepted
not_running "notice list, no node" notification ctl "$N" notice list --json
not_running "stats, no node" reporting ctl "$N" stats
check_eq "stats, no node: nothing on stdout" "" "$OUT"
run env -u LC_ALL LANG=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" stats
check_rc "vi: stats, no node: exit 1" 1
check_match "vi: says the reporting service is not running" 'dịch vụ reporting chưa chạy' "$ERR"

# --- the node runs ------------------------------------------------------------------------------

check "node start" node_start "$N" || done_testing

# The services start beside intake; give those the node runs a moment to take their lock.
for s in $ALL_SERVICES; do
    runs "$s" || continue
    for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
        [ -S "$N/data/$s.sock" ] && break
        sleep 0.1
    done
done

run ctl "$N" report submit --url 'http://example.org/ops/one' --category scam
C1=$OUT
check_match "report 1: case number" "$NUM_RE" "$C1"
run ctl "$N" report submit --url 'http://example.org/ops/two' --category scam
C2=$OUT
check_match "report 2: case number" "$NUM_RE" "$C2"

# decide_when_known CASE ARGS... — verify decide CASE ARGS, retried while verification has not
# yet applied the report that opened CASE (it answers "no case" until then), up to 5 s.
decide_when_known() {
    local c=$1 i
    shift
    for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
        run ctl "$N" verify decide "$c" "$@"
        [ "$RC" -eq 2 ] && [[ "$ERR" == *"no case"* ]] || return 0
        sleep 0.1
    done
}

DECIDED=0
SCAM_CASES=2
if runs verification; then
    decide_when_known "$C1" --verdict violating --category scam --basis "$BASIS" \
        --reasons "$REASONS" --json
    check_rc "decide: exit 0" 0
    check_eq "decide --json: case_number" "$C1" "$(jget "$OUT" .case_number)"
    check_eq "decide --json: verdict" violating "$(jget "$OUT" .verdict)"
    check_eq "decide --json: category" scam "$(jget "$OUT" .category)"
    check_eq "decide --json: legal_basis" "$BASIS" "$(jget "$OUT" .legal_basis)"
    check_eq "decide --json: reasons" "$REASONS" "$(jget "$OUT" .reasons)"
    check_eq "decide --json: decided_by defaults to the system user" "$ME" "$(jget "$OUT" .decided_by)"
    check_eq "decide --json: not automated" false "$(jget "$OUT" .automated)"
    check_match "decide --json: decided_at is RFC 3339" "$TIME_RE" "$(jget "$OUT" .decided_at)"
    DECIDED=1

    decide_when_known "$C2" --verdict violating --category scam --basis "$BASIS" \
        --reasons $'Phishing page.\x1b[2J\x1b]0;owned\x07' --by 'Nguyễn Văn A'
    check_rc "decide (text): exit 0" 0
    check_match "decide (text): shows the verdict" 'verdict +violating' "$OUT"
    check_match "decide (text): shows the legal basis" "legal basis +$BASIS" "$OUT"
    check_match "decide (text): shows who decided (--by)" 'decided by +Nguyễn Văn A' "$OUT"
    no_control "decide (text): no escape sequence from the reasons reaches the terminal" "$OUT"
    check_match "decide (text): the reasons are shown, control characters blanked" \
        'reasons +Phishing page\. \[2J \]0;owned' "$OUT"

    run ctl "$N" verify decide stttt-hn/2001/999999 --verdict violating --category scam \
        --basis "$BASIS" --reasons "$REASONS"
    check_rc "decide an unknown case: exit 2" 2
    check_match "decide an unknown case: names case_number" 'case_number' "$ERR"
    run ctl "$N" verify decide "$C1" --verdict violating --category no-such-category \
        --basis "$BASIS" --reasons "$REASONS"
    check_rc "decide with an unknown category: exit 2" 2
    check_match "decide with an unknown category: names category" '^accordctl: category: ' "$ERR"
else
    not_running "verify decide, node without verification" verification ctl "$N" \
        verify decide "$C1" --verdict violating --category scam --basis "$BASIS" --reasons "$REASONS"
fi

MID=
MEASURE_DONE=0
if runs assignment; then
    run ctl "$N" "${ROUTE_OK[@]}"
    check_rc "route add: exit 0" 0
    check_match "route add: prints the rule id" "$UUID_RE" "$OUT"
    check_match "route add: says what was added on stderr" 'request-removal' "$ERR"
    run ctl "$N" route add --category scam --action refer-police --to stttt-hn --deadline 3d --json
    check_rc "route add --json: exit 0" 0
    check_match "route add --json: id" "$UUID_RE" "$(jget "$OUT" .id)"
    check_eq "route add --json: 3d is 259200 s" 259200 "$(jget "$OUT" .deadline_s)"
    check_eq "route add --json: owner" stttt-hn "$(jget "$OUT" .owner)"
    check_eq "route add --json: action" refer-police "$(jget "$OUT" .action)"
    run ctl "$N" route add --category scam --action request-removal --to no-such-agency --deadline 1w
    check_rc "route add to an unknown agency: exit 2" 2
    check_match "route add to an unknown agency: names the owner field" 'owner_agency' "$ERR"
    run ctl "$N" route add --category scam --action block-account --to stttt-hn --deadline 400d
    check_rc "route add with a deadline beyond the node's range: exit 2" 2
    check_match "route add beyond range: names the deadline field" 'deadline' "$ERR"

    run ctl "$N" measure list --json
    check_rc "measure list --json: exit 0" 0
    check_eq "measure list --json: an array" array "$(jget "$OUT" type)"
    run ctl "$N" measure update 0192d9a0-1111-7000-8000-000000000001 --status done --result x
    check_rc "measure update of an unknown id: exit 2" 2
    check_match "measure update of an unknown id: names measure_id" 'measure_id' "$ERR"

    if [ "$DECIDED" -eq 1 ]; then
        # A case decided after the rules: two measures (request-removal, refer-police),
        # which reach assignment through verification's stream.
        run ctl "$N" report submit --url 'http://example.org/ops/three' --category scam
        C3=$OUT
        SCAM_CASES=3
        check_match "report 3: case number" "$NUM_RE" "$C3"
        decide_when_known "$C3" --verdict violating --category scam --basis "$BASIS" \
            --reasons "$REASONS"
        check_rc "decide the third case: exit 0" 0
        for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
            run ctl "$N" measure list --case "$C3" --json
            [ "$(jget "$OUT" length)" = 2 ] && break
            sleep 0.1
        done
        check_eq "measures: two on the case decided after the rules (one per rule)" 2 \
            "$(jget "$OUT" length)"
        M=$(jget "$OUT" '.[] | select(.action == "request-removal")')
        MID=$(jget "$M" .id)
        check_match "measure: id" "$UUID_RE" "$MID"
        check_eq "measure: case" "$C3" "$(jget "$M" .case)"
        check_eq "measure: owner" stttt-hn "$(jget "$M" .owner)"
        check_eq "measure: lead" stttt-hn "$(jget "$M" .lead)"
        check_eq "measure: status assigned" assigned "$(jget "$M" .status)"
        check_eq "measure: legal basis of the verdict" "$BASIS" "$(jget "$M" .legal_basis)"
        check_eq "measure: reasons of the verdict" "$REASONS" "$(jget "$M" .reasons)"
        check_eq "measure: no result yet" null "$(jget "$M" .result)"
        DL=$(jget "$M" .deadline)
        check_match "measure: deadline is RFC 3339" "$TIME_RE" "$DL"
        CR=$(jget "$M" .created)
        check_eq "measure: deadline 24h after creation" 86400 \
            $(($(date -d "$DL" +%s) - $(date -d "$CR" +%s)))
        run ctl "$N" measure list --case "$C1" --json
        check_eq "measures: none on a case decided before the rules" 0 "$(jget "$OUT" length)"
        run ctl "$N" measure list --mine --json
        check_eq "measure list --mine: our agency owns both" 2 \
            "$(jget "$OUT" "[.[] | select(.case == \"$C3\")] | length")"
        run ctl "$N" measure list
        check_rc "measure list (text): exit 0" 0
        check_match "measure list (text): a row for the measure" "^$MID +$C3 +request-removal +stttt-hn +assigned " "$OUT"

        run ctl "$N" measure update "$MID" --status accepted
        check_rc "measure update accepted (no result needed): exit 0" 0
        check_match "measure update (text): status accepted" 'status +accepted' "$OUT"
        check_match "measure update (text): by the system user" "updated by +$ME" "$OUT"
        run ctl "$N" measure update "$MID" --status done --result 'Nền tảng đã gỡ bỏ nội dung' \
            --by 'Trần Thị B' --json
        check_rc "measure update done: exit 0" 0
        check_eq "measure update --json: status done" done "$(jget "$OUT" .status)"
        check_eq "measure update --json: result" 'Nền tảng đã gỡ bỏ nội dung' "$(jget "$OUT" .result)"
        check_eq "measure update --json: updated_by" 'Trần Thị B' "$(jget "$OUT" .updated_by)"
        run ctl "$N" measure list --case "$C3" --json
        check_eq "measure list: the update is stored" done \
            "$(jget "$OUT" ".[] | select(.id == \"$MID\") | .status")"
        # The other measure done too: the case's measures are all carried out.
        M2=$(jget "$OUT" '.[] | select(.action == "refer-police") | .id')
        run ctl "$N" measure update "$M2" --status done --result 'Đã chuyển hồ sơ cho công an'
        check_rc "measure update the second measure: exit 0" 0
        MEASURE_DONE=1
        EN=$(ctl "$N" measure list --json 2>/dev/null)
        VI=$(env -u LC_ALL LANG=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" measure list --json 2>/dev/null)
        check_eq "measure list --json: the same in Vietnamese and English" "$EN" "$VI"
        run env -u LC_ALL LANG=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" measure list
        check_match "vi: measure list headings in Vietnamese" 'BIỆN PHÁP' "$OUT"
    fi
else
    not_running "route add, node without assignment" assignment ctl "$N" "${ROUTE_OK[@]}"
    not_running "measure list, node without assignment" assignment ctl "$N" measure list --json
    not_running "measure update, node without assignment" assignment ctl "$N" measure update \
        0192d9a0-1111-7000-8000-000000000001 --status done --result x
fi

if runs notification; then
    run ctl "$N" notice list --json
    check_rc "notice list --json: exit 0" 0
    check_eq "notice list --json: notices is an array" array "$(jget "$OUT" '.notices | type')"
    check_eq "notice list --json: peers is an array" array "$(jget "$OUT" '.peers | type')"
    if [ -n "$MID" ]; then
        # The removal request of the measure on C3 goes out as a notice.
        for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
            run ctl "$N" notice list --json
            [ -n "$(jget "$OUT" ".notices[] | select(.case == \"$C3\") | .id")" ] && break
            sleep 0.1
        done
        NT=$(jget "$OUT" "[.notices[] | select(.case == \"$C3\")][0]")
        check_match "notice: for the measured case, with a status" '^(queued|delivered|parked)$' \
            "$(jget "$NT" .status)"
        check_match "notice: a destination" '^(peer|spool):.' "$(jget "$NT" .destination)"
        check_match "notice: created is RFC 3339" "$TIME_RE" "$(jget "$NT" .created)"
        check_eq "notice: has the error field" true "$(jget "$NT" 'has("error")')"
    fi
    run ctl "$N" notice list
    check_rc "notice list (text): exit 0" 0
    check_match "notice list (text): notices table" 'DESTINATION' "$OUT"
    check_match "notice list (text): peer links table" 'LAST ERROR' "$OUT"
else
    not_running "notice list, node without notification" notification ctl "$N" notice list
fi

if runs reporting; then
    # Reporting follows the other services' streams: wait until every report is counted.
    for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
        run ctl "$N" stats --json
        [ "$(jget "$OUT" '.by_category.scam // 0')" -ge "$SCAM_CASES" ] 2>/dev/null && break
        sleep 0.1
    done
    check_rc "stats --json: exit 0" 0
    check_eq "stats: cases by category" "$SCAM_CASES" "$(jget "$OUT" .by_category.scam)"
    check_eq "stats: reports by source" "$SCAM_CASES" "$(jget "$OUT" .by_source.officer)"
    check_eq "stats: by_status is an object" object "$(jget "$OUT" '.by_status | type')"
    check_eq "stats: rejected_by_agency is an object" object "$(jget "$OUT" '.rejected_by_agency | type')"
    if [ "$DECIDED" -eq 1 ]; then
        for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
            run ctl "$N" stats --json
            [ "$(jget "$OUT" '.median_report_to_verdict_ms | type')" = number ] && break
            sleep 0.1
        done
        check_eq "stats: median report->verdict in ms" number \
            "$(jget "$OUT" '.median_report_to_verdict_ms | type')"
    else
        check_eq "stats: no verdict, no median (null)" null "$(jget "$OUT" .median_report_to_verdict_ms)"
    fi
    if [ "$MEASURE_DONE" -eq 1 ]; then
        for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
            run ctl "$N" stats --json
            [ "$(jget "$OUT" '.median_verdict_to_done_ms | type')" = number ] && break
            sleep 0.1
        done
        check_eq "stats: median verdict->done in ms" number \
            "$(jget "$OUT" '.median_verdict_to_done_ms | type')"
        check_eq "stats: measures by owner" 2 "$(jget "$OUT" '.by_owner["stttt-hn"]')"
    else
        check_eq "stats: no measure done, no median (null)" null "$(jget "$OUT" .median_verdict_to_done_ms)"
    fi
    run ctl "$N" stats
    check_rc "stats (text): exit 0" 0
    check_match "stats (text): counts by category" "^  scam +$SCAM_CASES\$" "$OUT"
    check_match "stats (text): median report -> verdict" 'report -> verdict +([0-9]+ ms|[0-9]+s|[0-9]+m [0-9]+s|-)$' "$OUT"

    # case show: the intake part plus the timeline.
    for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
        run ctl "$N" case show "$C1" --json
        [ "$(jget "$OUT" '[.timeline[]? | select(.kind == "report")] | length')" = 1 ] && break
        sleep 0.1
    done
    check_rc "case show --json: exit 0" 0
    check_eq "case show --json: the intake part" "$C1" "$(jget "$OUT" .number)"
    check_eq "case show --json: its report" 1 "$(jget "$OUT" '.reports_list | length')"
    E=$(jget "$OUT" '[.timeline[] | select(.kind == "report")][0]')
    check_eq "timeline: the report entry is intake's" intake "$(jget "$E" .service)"
    check_match "timeline: at is RFC 3339" "$TIME_RE" "$(jget "$E" .at)"
    check_eq "timeline: the event is an object (parsed back)" object "$(jget "$E" '.event | type')"
    check_eq "timeline: text present" string "$(jget "$E" '.text | type')"
    if [ "$DECIDED" -eq 1 ]; then
        for ((i = 0; i < 6000; i++)); do # hang guard, not a time limit
            run ctl "$N" case show "$C1" --json
            [ -n "$(jget "$OUT" '.timeline[] | select(.kind == "verdict") | .kind')" ] && break
            sleep 0.1
        done
        V=$(jget "$OUT" '[.timeline[] | select(.kind == "verdict")][0]')
        check_eq "timeline: the verdict entry is verification's" verification "$(jget "$V" .service)"
        check_eq "timeline: the verdict's event carries its legal basis" "$BASIS" \
            "$(jget "$V" .event.legal_basis)"
    fi
    run ctl "$N" case show "$C1"
    check_rc "case show (text): exit 0" 0
    check_match "case show (text): the intake part" "^case $C1" "$OUT"
    check_match "case show (text): a timeline line 'time  service  kind  text'" \
        '^  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z  intake +report +report ' "$OUT"
    check_eq "case show (text): nothing on stderr" "" "$ERR"
else
    not_running "stats, node without reporting" reporting ctl "$N" stats --json
    run ctl "$N" case show "$C1"
    check_rc "case show without reporting: exit 0" 0
    check_match "case show without reporting: the intake part" "^case $C1" "$OUT"
    check_match "case show without reporting: says why there is no timeline" \
        'reporting service is not running' "$ERR"
    check_eq "case show without reporting: in one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    run ctl "$N" case show "$C1" --json
    check_rc "case show --json without reporting: exit 0" 0
    check_eq "case show --json without reporting: the intake part" "$C1" "$(jget "$OUT" .number)"
    check_eq "case show --json without reporting: timeline null" null "$(jget "$OUT" .timeline)"
fi

# --- stopped: lock files left behind, nobody holds them -----------------------------------------

check "node stop" node_stop "$N"
not_running "stats after the node stopped" reporting ctl "$N" stats
not_running "verify decide after the node stopped" verification ctl "$N" "${DECIDE_OK[@]}"
run ctl "$N" route add --category scam --action request-removal --to stttt-hn --deadline 0h
check_rc "bad --deadline after the node stopped: still 2 (checked first)" 2

done_testing
