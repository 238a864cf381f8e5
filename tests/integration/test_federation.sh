#!/usr/bin/env bash
# test_federation.sh — one report across three real nodes on loopback: the provincial
# department (stttt-hn, lead), the provincial police (ca-hn, coordinating) and the ministry
# (bo-tttt, parent). A citizen reports at the police node through its HTTP form, with
# contact details; the police node forwards the report (never the contact) to the lead; the
# lead decides it violating; its routing rule assigns a removal measure to the police; the
# measure arrives at the police node, which writes one removal request to its spool and
# reports the measure done; the lead sees the update. Checked at every step through the
# public interfaces (accordctl --json, HTTP) and, for the contact details, in the stores'
# bytes on disk.
. "$(dirname "$0")/lib.sh"
plan 76 # every check below runs on a passing run; a changed path fails

command -v curl >/dev/null 2>&1 || {
    echo "not ok - curl is installed"
    exit 1
}

LEAD=$T_TMP/lead
POLICE=$T_TMP/police
MINISTRY=$T_TMP/ministry

STORE_PY=$ACC_ROOT/tests/tools/acc_store.py
for tool in python3 mdb_dump; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed (scripts/deps.sh)"; done_testing; }
done

# caught_up DIR — every stream cursor of DIR's services equals its producer's head: every
# event produced so far has been applied (and nothing more will come from them).
caught_up() {
    python3 "$STORE_PY" summary "$1/data" | jq -e '. as $r | [.cursors | to_entries[] |
        .value | to_entries[] | select(.value != $r.heads[.key])] | length == 0'
}

# init_node DIR AGENCY NAME — a node directory on free loopback ports (not overlapping the
# ones already chosen); prints its port base.
declare -a BASES=()
init_node() {
    local base b try clash
    for ((try = 0; try < 20; try++)); do
        base=$(free_port_base) || return 1
        clash=0
        for b in "${BASES[@]}"; do [ "$b" = "$base" ] && clash=1; done
        [ "$clash" -eq 0 ] && break
    done
    BASES+=("$base")
    "$CTL" init "$1" --agency "$2" --name "$3" --port-base "$base" >"$T_TMP/.init.out" 2>&1 || {
        cat "$T_TMP/.init.out" >&2
        return 1
    }
    echo "$base"
}

LBASE=$(init_node "$LEAD" stttt-hn "Sở Thông tin và Truyền thông") || { echo "not ok - init lead"; exit 1; }
BASES+=("$LBASE")
PBASE=$(init_node "$POLICE" ca-hn "Công an tỉnh") || { echo "not ok - init police"; exit 1; }
BASES+=("$PBASE")
MBASE=$(init_node "$MINISTRY" bo-tttt "Bộ Thông tin và Truyền thông") || { echo "not ok - init ministry"; exit 1; }
KL=$(ctl "$LEAD" key show | tail -n 1)
KP=$(ctl "$POLICE" key show | tail -n 1)
KM=$(ctl "$MINISTRY" key show | tail -n 1)

ok_peers=1
ctl "$LEAD" peer add --agency ca-hn --role coordinating --endpoint "tcp://127.0.0.1:$PBASE" \
    --public-key "$KP" --name "Công an tỉnh" >/dev/null 2>&1 || ok_peers=0
ctl "$LEAD" peer add --agency bo-tttt --role parent --endpoint "tcp://127.0.0.1:$MBASE" \
    --public-key "$KM" --name "Bộ TT&TT" >/dev/null 2>&1 || ok_peers=0
ctl "$POLICE" peer add --agency stttt-hn --role lead --endpoint "tcp://127.0.0.1:$LBASE" \
    --public-key "$KL" --name "Sở TT&TT" >/dev/null 2>&1 || ok_peers=0
ctl "$MINISTRY" peer add --agency stttt-hn --role child --endpoint "tcp://127.0.0.1:$LBASE" \
    --public-key "$KL" --name "Sở TT&TT" >/dev/null 2>&1 || ok_peers=0
check_eq "three nodes registered each other as peers" 1 "$ok_peers"

for d in "$LEAD" "$POLICE" "$MINISTRY"; do
    node_start "$d" || { echo "not ok - start $(basename "$d")"; exit 1; }
done
pass "three nodes running"

run ctl "$LEAD" route add --category scam --action request-removal --to ca-hn --deadline 24h
check_rc "lead: routing rule scam -> ca-hn request-removal" 0

# --- a citizen reports at the police node, with contact details ---------------------------
# Unique per run, so that a match on disk can only come from this submission.
TAG=$(printf '%05d%05d' "$RANDOM" "$RANDOM")
PHONE=09$TAG
EMAIL=reporter.$TAG@example.vn
NAME="Người Báo Tin $TAG"
URL="https://vietcombank-xacthuc-$TAG.online/dang-nhap?utm_source=sms"
KEY_PREFIX="https://vietcombank-xacthuc-$TAG.online/"
CODE=$(curl -sS -o "$T_TMP/form.html" -w '%{http_code}' -X POST "http://127.0.0.1:$((PBASE + 8))/report" \
    --data-urlencode "url=$URL" --data-urlencode "category=scam" \
    --data-urlencode "description=Trang giả mạo ngân hàng" --data-urlencode "name=$NAME" \
    --data-urlencode "email=$EMAIL" --data-urlencode "phone=$PHONE" --data-urlencode "lang=vi" \
    2>"$T_TMP/curl.err")
check_eq "police: citizen form accepted the report (HTTP 200)" 200 "$CODE" ||
    diag "$(head -c 1500 "$T_TMP/form.html")" "$(cat "$T_TMP/curl.err")"

PCL=$(ctl "$POLICE" case list --json 2>/dev/null)
PCASE=$(jget "$PCL" '.[0].number')
PKEY=$(jget "$PCL" '.[0].content_key')
check_match "police: the report opened a police case" '^ca-hn/[0-9]{4}/[0-9]+$' "$PCASE"
PSHOW=$(ctl "$POLICE" case show "$PCASE" --json 2>/dev/null)
PREPORT=$(jget "$PSHOW" '.reports_list[0].id')
check_eq "police: the report is from a citizen" citizen "$(jget "$PSHOW" '.reports_list[0].source')"
check_eq "police: the report has contact details here" true \
    "$(jget "$PSHOW" '.reports_list[0].has_contact')"

# --- it reaches the lead ------------------------------------------------------------------
lead_case() {
    local j
    j=$(ctl "$LEAD" case list --json 2>/dev/null) || return 1
    printf '%s' "$j" | jq -e -r --arg k "$PKEY" '[.[] | select(.content_key == $k)][0].number // empty'
}
wait_until 600 lead_case
LCASE=$(lead_case)
check_match "lead: a case with the police case's content key" '^stttt-hn/[0-9]{4}/[0-9]+$' "$LCASE"
check_match "lead: the content key is the canonical URL" "^$KEY_PREFIX" "$PKEY"
LSHOW=$(ctl "$LEAD" case show "$LCASE" --json 2>/dev/null)
check_eq "lead: the case lists one report" 1 "$(jget "$LSHOW" '.reports_list | length')"
check_eq "lead: it is the police node's report (same id)" "$PREPORT" \
    "$(jget "$LSHOW" '.reports_list[0].id')"
check_eq "lead: the report's source is kept" citizen "$(jget "$LSHOW" '.reports_list[0].source')"
check_eq "lead: no contact details came with it" false \
    "$(jget "$LSHOW" '.reports_list[0].has_contact')"
check_eq "lead: the timeline's report entry says via_agency ca-hn" ca-hn \
    "$(jget "$LSHOW" '[.timeline[] | select(.kind == "report")][0].event.via_agency')"

# --- the lead decides ----------------------------------------------------------------------
BASIS="Nghị định 15/2020/NĐ-CP, Điều 100"
REASONS="Trang giả mạo giao diện ngân hàng để chiếm đoạt thông tin đăng nhập"
BY="Nguyễn Văn A"
run ctl "$LEAD" verify decide "$LCASE" --verdict violating --category scam --basis "$BASIS" \
    --reasons "$REASONS" --by "$BY"
check_rc "lead: verify decide violating" 0

# --- the measure arrives at the police node --------------------------------------------------
police_measure() {
    local j
    j=$(ctl "$POLICE" measure list --mine --json 2>/dev/null) || return 1
    printf '%s' "$j" | jq -e -c --arg c "$LCASE" '[.[] | select(.case == $c)][0] // empty'
}
wait_until 600 police_measure
PM=$(police_measure)
MID=$(jget "$PM" '.id')
check_match "police: the measure for the lead's case arrived" '^[0-9a-f-]{36}$' "$MID"
check_eq "police: owner ca-hn" ca-hn "$(jget "$PM" '.owner')"
check_eq "police: lead stttt-hn" stttt-hn "$(jget "$PM" '.lead')"
check_eq "police: action request-removal" request-removal "$(jget "$PM" '.action')"
check_eq "police: legal basis carried" "$BASIS" "$(jget "$PM" '.legal_basis')"
check_eq "police: reasons carried" "$REASONS" "$(jget "$PM" '.reasons')"
check_eq "police: status assigned" assigned "$(jget "$PM" '.status')"

# One removal request for the measure in the police node's spool (notification.spool_dir,
# default data/spool).
SPOOL=$POLICE/data/spool
spool_written() { [ -n "$(find "$SPOOL" -maxdepth 1 -name '*.json' 2>/dev/null)" ]; }
check "police: a removal request was written to the spool" wait_until 600 spool_written
# A duplicate could only come from events not applied yet: count once every service of
# the police node has applied everything produced so far.
check "police: every stream cursor caught up before counting the spool" wait_until 600 caught_up "$POLICE"
mapfile -t SPOOLED < <(find "$SPOOL" -maxdepth 1 -type f -name '*.json' | sort)
check_eq "police: exactly one file in the spool" 1 "${#SPOOLED[@]}"
if [ "${#SPOOLED[@]}" -ge 1 ]; then
    SJ=$(cat "${SPOOLED[0]}")
    check_eq "police: spool file is a removal request" removal-request "$(jget "$SJ" '.kind')"
    check_eq "police: spool file is for the measure" "$MID" "$(jget "$SJ" '.measure_id')"
    check_eq "police: spool file names the lead's case" "$LCASE" "$(jget "$SJ" '.case_number')"
    check_eq "police: spool file carries the legal basis" "$BASIS" "$(jget "$SJ" '.legal_basis')"
    check_eq "police: spool file carries the reasons" "$REASONS" "$(jget "$SJ" '.reasons')"
    check_eq "police: spool file issued by ca-hn" ca-hn "$(jget "$SJ" '.issued_by.agency')"
fi
check_eq "police: no other removal request for the measure anywhere in the spool" 1 \
    "$(grep -l -r -- "$MID" "$SPOOL" 2>/dev/null | wc -l)"

# --- the police carry it out ---------------------------------------------------------------
RESULT="Đã yêu cầu nhà cung cấp gỡ bỏ; trang đã ngừng hoạt động"
run ctl "$POLICE" measure update "$MID" --status "done" --result "$RESULT" --by "Trần Thị B"
check_rc "police: measure update done" 0

lead_done() {
    local j
    j=$(ctl "$LEAD" measure list --json 2>/dev/null) || return 1
    printf '%s' "$j" | jq -e --arg m "$MID" 'any(.[]; .id == $m and .status == "done")' >/dev/null
}
wait_until 600 lead_done
LM=$(ctl "$LEAD" measure list --json 2>/dev/null | jq -c --arg m "$MID" '[.[] | select(.id == $m)][0]')
check_eq "lead: measure status done" "done" "$(jget "$LM" '.status')"
check_eq "lead: measure result from the police" "$RESULT" "$(jget "$LM" '.result')"
check_eq "lead: measure updated by" "Trần Thị B" "$(jget "$LM" '.updated_by')"

# --- the lead's timeline -------------------------------------------------------------------
timeline_has_update() {
    ctl "$LEAD" case show "$LCASE" --json 2>/dev/null |
        jq -e '[.timeline[] | select(.kind == "measure-update")] | length > 0' >/dev/null
}
wait_until 600 timeline_has_update
TLJ=$(ctl "$LEAD" case show "$LCASE" --json 2>/dev/null)
kind_first() { jget "$TLJ" "[.timeline[].kind] | index(\"$1\") // -1"; }
IR=$(kind_first report) IV=$(kind_first verdict) IM=$(kind_first measure)
IU=$(kind_first measure-update) IN=$(kind_first notice)
check "timeline: report, verdict, measure, measure-update, notice all present" \
    test "$IR" -ge 0 -a "$IV" -ge 0 -a "$IM" -ge 0 -a "$IU" -ge 0 -a "$IN" -ge 0
check "timeline: report before verdict before measure before measure-update" \
    test "$IR" -lt "$IV" -a "$IV" -lt "$IM" -a "$IM" -lt "$IU"
check "timeline: the measure's notice comes after the measure" test "$IN" -gt "$IM"
# shellcheck disable=SC2016 # $a is a jq variable
check_eq "timeline: entries in time order" true \
    "$(jget "$TLJ" '[.timeline[].at] as $a | $a == ($a | sort)')"
V=$(jget "$TLJ" '[.timeline[] | select(.kind == "verdict")][0].event')
check_eq "timeline: verdict violating" violating "$(jget "$V" '.verdict')"
check_eq "timeline: verdict basis" "$BASIS" "$(jget "$V" '.legal_basis')"
check_eq "timeline: verdict reasons" "$REASONS" "$(jget "$V" '.reasons')"
check_eq "timeline: verdict decided_by" "$BY" "$(jget "$V" '.decided_by')"
M=$(jget "$TLJ" '[.timeline[] | select(.kind == "measure")][0].event')
check_eq "timeline: measure id" "$MID" "$(jget "$M" '.measure_id')"
check_eq "timeline: measure owner" ca-hn "$(jget "$M" '.owner_agency')"
check_eq "timeline: measure basis" "$BASIS" "$(jget "$M" '.legal_basis')"
U=$(jget "$TLJ" '[.timeline[] | select(.kind == "measure-update")][0].event')
check_eq "timeline: measure-update status done" "done" "$(jget "$U" '.status')"
check_eq "timeline: measure-update result" "$RESULT" "$(jget "$U" '.result')"
check_eq "timeline: measure-update by the owner" ca-hn "$(jget "$U" '.owner_agency')"
check_eq "timeline: the notice sent the measure to the police" "peer:ca-hn" \
    "$(jget "$TLJ" '[.timeline[] | select(.kind == "notice")][0].event.destination')"

# --- the lead's statistics -------------------------------------------------------------------
stats_done() {
    ctl "$LEAD" stats --json 2>/dev/null | jq -e '.median_verdict_to_done_ms >= 0' >/dev/null
}
wait_until 600 stats_done
SJ=$(ctl "$LEAD" stats --json 2>/dev/null)
check_eq "stats: one case of category scam" 1 "$(jget "$SJ" '.by_category.scam // 0')"
check_eq "stats: one report from citizens" 1 "$(jget "$SJ" '.by_source.citizen // 0')"
check_eq "stats: one measure owned by ca-hn" 1 "$(jget "$SJ" '.by_owner["ca-hn"] // 0')"
check_eq "stats: one case in all statuses" 1 "$(jget "$SJ" '[.by_status[]] | add // 0')"
# Measured, not merely present: a number above zero (the verdict came after the report,
# the measure was done after the verdict, each at least a command apart).
check_eq "stats: report-to-verdict time measured (a number > 0)" true \
    "$(jget "$SJ" '(.median_report_to_verdict_ms | type) == "number" and .median_report_to_verdict_ms > 0')"
check_eq "stats: verdict-to-done time measured (a number > 0)" true \
    "$(jget "$SJ" '(.median_verdict_to_done_ms | type) == "number" and .median_verdict_to_done_ms > 0')"
check_eq "stats: nothing refused from any peer" 0 "$(jget "$SJ" '[.rejected_by_agency[]] | add // 0')"

# --- the parent is not sent individual reports ------------------------------------------------
# Absence proved at the sender: once the lead has applied everything (its notification
# service decides what goes to which peer), nothing was ever queued for the ministry, so
# nothing can still be on its way; and the ministry holds no case.
check "lead: every stream cursor caught up" wait_until 600 caught_up "$LEAD"
check_eq "lead: nothing ever queued for the ministry (link bo-tttt enqueued)" 0 \
    "$(jget "$(ctl "$LEAD" notice list --json 2>/dev/null)" '.peers[] | select(.agency == "bo-tttt") | .enqueued')"
check_eq "ministry: no case (individual reports go to the lead only)" "0" \
    "$(jget "$(ctl "$MINISTRY" status --json 2>/dev/null)" '.cases')"

# --- contact details stay on the police node -------------------------------------------------
# LMDB files are binary: grep -a. Count matching lines over every file of the data dir.
count_in() { grep -r -a -c -F -- "$2" "$1" 2>/dev/null | awk -F: '{s += $NF} END {print s + 0}'; }
check_eq "lead store: the phone number appears nowhere" 0 "$(count_in "$LEAD/data" "$PHONE")"
check_eq "lead store: the email appears nowhere" 0 "$(count_in "$LEAD/data" "$EMAIL")"
check_eq "lead store: the reporter's name appears nowhere" 0 "$(count_in "$LEAD/data" "$NAME")"
check_eq "lead log: neither phone nor email" 0 \
    "$(($(count_in "$LEAD/node.log" "$PHONE") + $(count_in "$LEAD/node.log" "$EMAIL")))"
# Positive control: the same grep finds the forwarded report itself on the lead.
check_ne "lead store: the forwarded report's URL is found by the same grep" 0 \
    "$(count_in "$LEAD/data/intake" "vietcombank-xacthuc-$TAG")"
check_ne "police intake store: the contacts table has the phone number" 0 \
    "$(count_in "$POLICE/data/intake" "$PHONE")"
check_ne "police intake store: the contacts table has the email" 0 \
    "$(count_in "$POLICE/data/intake" "$EMAIL")"
# On the police node, only intake keeps them (not the link queue that carried the report).
OTHER=0
for d in "$POLICE"/data/*/; do
    [ "$(basename "$d")" = intake ] && continue
    OTHER=$((OTHER + $(count_in "$d" "$PHONE") + $(count_in "$d" "$EMAIL")))
done
check_eq "police: no other store (notification's link queue, spool, ...) holds them" 0 "$OTHER"
check_eq "ministry store: neither phone nor email" 0 \
    "$(($(count_in "$MINISTRY/data" "$PHONE") + $(count_in "$MINISTRY/data" "$EMAIL")))"

for d in "$LEAD" "$POLICE" "$MINISTRY"; do
    check "$(basename "$d") node still running" node_alive "$d"
done
# A clean exit (status 0) also means no sanitizer report at shutdown in SANITIZE builds.
for d in "$LEAD" "$POLICE" "$MINISTRY"; do
    check "$(basename "$d") node stops cleanly" node_stop "$d"
done
done_testing
