#!/usr/bin/env bash
#
# test_cli.sh — the operator's path end to end: one real accord-node on loopback, driven
# through accordctl. Covers submit and case numbering, URL and text deduplication into
# cases, JSONL and CSV import (and re-import being a no-op), case list/show and their JSON,
# status, url canonical without a node, Vietnamese/English output, and a restart (clean
# and kill -9) keeping data and numbering.

source "$(dirname "$0")/lib.sh"
plan 121 # every check below runs on a passing run; a changed path fails

N=$T_TMP/n1
NUM_RE='^stttt-hn/20[0-9][0-9]/[0-9]{6}$'

check "node init" node_init "$N"
check "node start" node_start "$N" || { done_testing; }

# case_field NUMBER FILTER — jq FILTER over `case show NUMBER --json`.
case_field() {
    jget "$(ctl "$N" case show "$1" --json 2>/dev/null)" "$2"
}

# seq_of NUMBER — the 6-digit sequence of a case number, as a decimal integer.
seq_of() {
    echo $((10#${1##*/}))
}

# --- submit and URL deduplication ---------------------------------------------------------

run ctl "$N" report submit --url 'HTTP://Example.COM:80/a/../b/?utm_source=x#f' --category scam
check_rc "submit: exit 0" 0
check_match "submit: prints the case number" "$NUM_RE" "$OUT"
check_match "submit: says a case was opened" "opened a new case" "$ERR"
C1=$OUT

run ctl "$N" report submit --url 'http://example.com/b/' --category scam
check_eq "equivalent url (canonical form) attaches to the same case" "$C1" "$OUT"
check_match "attach: says attached" "attached to an existing case" "$ERR"
run ctl "$N" report submit --url 'http://example.com/b/?fbclid=abc123&utm_medium=email' --category scam
check_eq "tracking-parameter variant attaches to the same case" "$C1" "$OUT"
check_eq "case show: 3 reports on the case" 3 "$(case_field "$C1" .reports)"
check_eq "case show: 3 reports listed" 3 "$(case_field "$C1" '.reports_list | length')"
check_eq "case show: content key is the canonical url" "http://example.com/b/" \
    "$(case_field "$C1" .content_key)"
check_eq "case show: original url of the first report kept" \
    'HTTP://Example.COM:80/a/../b/?utm_source=x#f' "$(case_field "$C1" '.reports_list[0].url')"
check_eq "case show: only the first report opened the case" "true,false,false" \
    "$(case_field "$C1" '[.reports_list[].opened_case] | map(tostring) | join(",")')"

# An IDN host in Unicode and in punycode, plus a tracking variant: one case.
run ctl "$N" report submit --url 'http://bücher.example/x' --category phishing-malware
C2=$OUT
check_match "idn url: case number" "$NUM_RE" "$C2"
check_ne "idn url: a different url opens a new case" "$C1" "$C2"
check_eq "new case gets the next number" $(($(seq_of "$C1") + 1)) "$(seq_of "$C2")"
run ctl "$N" report submit --url 'http://xn--bcher-kva.example/x' --category phishing-malware
check_eq "idn: punycode form attaches to the unicode form's case" "$C2" "$OUT"
run ctl "$N" report submit --url 'http://BÜCHER.example/x?utm_campaign=spring' --category phishing-malware
check_eq "idn: upper-case unicode host with tracking parameter attaches" "$C2" "$OUT"
check_eq "idn case: 3 reports" 3 "$(case_field "$C2" .reports)"
check_eq "idn case: content key in punycode" "http://xn--bcher-kva.example/x" \
    "$(case_field "$C2" .content_key)"

run ctl "$N" report submit --url 'http://example.com/c/' --category scam
C3=$OUT
check_ne "different path: new case" "$C1" "$C3"
check_eq "different path: next number" $(($(seq_of "$C2") + 1)) "$(seq_of "$C3")"

# --json output, and the same --id twice is stored once.
ID1=0192d9a0-1111-7000-8000-000000000001
run ctl "$N" report submit --url 'http://example.com/c/' --category scam --id "$ID1" --json
check_rc "submit --json: exit 0" 0
check_eq "submit --json: report id echoed" "$ID1" "$(jget "$OUT" .report_id)"
check_eq "submit --json: case number" "$C3" "$(jget "$OUT" .case_number)"
check_eq "submit --json: outcome attached" "attached" "$(jget "$OUT" .outcome)"
run ctl "$N" report submit --url 'http://example.com/c/' --category scam --id "$ID1" --json
check_eq "same --id again: already_present" "already_present" "$(jget "$OUT" .outcome)"
check_eq "same --id again: not counted twice" 2 "$(case_field "$C3" .reports)"

# --- text-only reports --------------------------------------------------------------------

run ctl "$N" report submit --text 'Chuyển khoản   ngay để nhận quà' --category scam
T1=$OUT
check_match "text report: case number" "$NUM_RE" "$T1"
run ctl "$N" report submit --text $'  Chuyển khoản\tngay\n để nhận quà  ' --category scam
check_eq "text report: different white space, same case" "$T1" "$OUT"
run ctl "$N" report submit --text 'Chuyển khoản ngay để nhận quà' --category scam
check_eq "text report: single spaces, same case" "$T1" "$OUT"
check_eq "text case: 3 reports" 3 "$(case_field "$T1" .reports)"
check_match "text case: content key is sha256" '^sha256:[0-9a-f]{64}$' "$(case_field "$T1" .content_key)"
check_eq "text case: url is null" "null" "$(case_field "$T1" .url)"
run ctl "$N" report submit --text 'Chuyển khoản ngay để nhận thưởng' --category scam
check_ne "text report: different text, new case" "$T1" "$OUT"
T2=$OUT

# --- import: JSONL and CSV with every field -------------------------------------------------

read -r REP0 CASES0 <<<"$(node_counts "$N")"

# Line 2 is an equivalent form of case C3's url; line 4 is text-only; line 3 has no id.
cat >"$T_TMP/in.jsonl" <<'EOF'
{"id":"0192d9a0-2222-7000-8000-000000000001","url":"http://import.example/one","text":"quà tặng","category":"gambling","description":"first record","source":"feed-a","observed_at":"2025-06-01T10:00:00+07:00"}
{"id":"0192d9a0-2222-7000-8000-000000000002","url":"HTTP://EXAMPLE.com/c/?utm_source=feed","text":"","category":"scam","description":"second","source":"feed-a","observed_at":"2025-06-02T00:00:00Z"}
{"url":"http://import.example/two","category":"gambling","description":"no id","source":"feed-a","observed_at":"2025-06-03T12:30:45.250Z"}

{"id":"0192d9a0-2222-7000-8000-000000000004","text":"Nhận  quà miễn phí","category":"other","source":"feed-a","observed_at":"2025-06-04T00:00:00Z"}
EOF
run ctl "$N" report import "$T_TMP/in.jsonl"
check_rc "import jsonl: exit 0" 0
check_match "import jsonl: records read 4" '^records read: 4$' "$OUT"
check_match "import jsonl: new cases 3" 'new cases: 3' "$OUT"
check_match "import jsonl: attached 1" 'attached to existing cases: 1' "$OUT"
check_match "import jsonl: already present 0" 'already present: 0' "$OUT"
check_match "import jsonl: rejected 0" 'rejected: 0' "$OUT"
check_eq "import jsonl: status counts" "$((REP0 + 4)) $((CASES0 + 3))" "$(node_counts "$N")"
check_eq "import jsonl: equivalent url attached to the existing case" 3 "$(case_field "$C3" .reports)"
check_eq "import jsonl: imported report's fields kept" \
    "0192d9a0-2222-7000-8000-000000000002|second|feed-a|2025-06-02T00:00:00.000Z" \
    "$(case_field "$C3" '.reports_list[2] | "\(.id)|\(.description)|\(.source)|\(.observed_at)"')"

# Find the case of import.example/one through the list and check time-zone conversion.
IMP1=$(jget "$(ctl "$N" case list --json)" '.[] | select(.content_key == "http://import.example/one") | .number')
check_match "import jsonl: case for the new url" "$NUM_RE" "$IMP1"
check_eq "import jsonl: observed_at +07:00 converted to UTC" "2025-06-01T03:00:00.000Z" \
    "$(case_field "$IMP1" '.reports_list[0].observed_at')"
check_eq "import jsonl: category and text kept" "gambling|quà tặng" \
    "$(case_field "$IMP1" '.reports_list[0] | "\(.category)|\(.text)"')"

read -r REP1 CASES1 <<<"$(node_counts "$N")"
cat >"$T_TMP/in.csv" <<'EOF'
id,url,text,category,description,source,observed_at
0192d9a0-3333-7000-8000-000000000001,http://csv.example/a,,scam,"a description, with a comma and ""quotes""",feed-b,2025-07-01T08:00:00Z
,,"Trúng thưởng  xe máy",privacy,,feed-b,2025-07-02T08:00:00.5+07:00
0192d9a0-3333-7000-8000-000000000003,http://CSV.example:80/a#frag,,scam,third,feed-b,2025-07-03T08:00:00Z
EOF
run ctl "$N" report import "$T_TMP/in.csv"
check_rc "import csv: exit 0" 0
check_match "import csv: records read 3" 'records read: 3' "$OUT"
check_match "import csv: new cases 2" 'new cases: 2' "$OUT"
check_match "import csv: attached 1" 'attached to existing cases: 1' "$OUT"
check_match "import csv: rejected 0" 'rejected: 0' "$OUT"
check_eq "import csv: status counts" "$((REP1 + 3)) $((CASES1 + 2))" "$(node_counts "$N")"
CSV1=$(jget "$(ctl "$N" case list --json)" '.[] | select(.content_key == "http://csv.example/a") | .number')
check_eq "import csv: quoted field with comma and quotes" \
    'a description, with a comma and "quotes"|feed-b|2025-07-01T08:00:00.000Z' \
    "$(case_field "$CSV1" '.reports_list[0] | "\(.description)|\(.source)|\(.observed_at)"')"
check_eq "import csv: 2 reports on the csv url case" 2 "$(case_field "$CSV1" .reports)"

# Importing the same files again creates nothing (ids given or derived from content).
read -r REP2 CASES2 <<<"$(node_counts "$N")"
run ctl "$N" report import "$T_TMP/in.jsonl"
check_rc "re-import jsonl: exit 0" 0
check_match "re-import jsonl: already present 4" 'already present: 4' "$OUT"
check_match "re-import jsonl: new cases 0" 'new cases: 0' "$OUT"
check_match "re-import jsonl: attached 0" 'attached to existing cases: 0' "$OUT"
run ctl "$N" report import "$T_TMP/in.csv"
check_rc "re-import csv: exit 0" 0
check_match "re-import csv: already present 3" 'already present: 3' "$OUT"
check_eq "re-import: counts unchanged" "$REP2 $CASES2" "$(node_counts "$N")"
# --format overrides the extension.
cp "$T_TMP/in.csv" "$T_TMP/in.data"
run ctl "$N" report import "$T_TMP/in.data" --format csv
check_match "import --format csv on another extension: already present 3" 'already present: 3' "$OUT"

# --- case list / show ---------------------------------------------------------------------

run ctl "$N" case list --json
check_rc "case list --json: exit 0" 0
LIST=$OUT
check_eq "case list --json: one entry per case" "$CASES2" "$(jget "$LIST" length)"
# Required fields; later versions may add more.
check_eq "case list --json: fields" \
    "category,content_key,first_reported,last_reported,number,reports,status,url" \
    "$(jget "$LIST" '.[0] | keys - (keys - ["category","content_key","first_reported","last_reported","number","reports","status","url"]) | join(",")')"
check_eq "case list --json: every entry has every field" "true" \
    "$(jget "$LIST" 'all(.[]; has("number") and has("status") and has("category") and has("content_key") and has("url") and has("reports") and has("first_reported") and has("last_reported"))')"
check_eq "case list --json: numbers in order, no gaps" "true" \
    "$(jget "$LIST" '[.[].number | split("/")[2] | tonumber] as $n | $n == [range($n[0]; $n[0] + ($n | length))]')"
check_eq "case list --json: report counts add up to status" "$REP2" "$(jget "$LIST" '[.[].reports] | add')"
check_match "case list --json: timestamps are RFC 3339 UTC" \
    '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' "$(jget "$LIST" '.[0].first_reported')"

run ctl "$N" case list --status open --json
check_eq "case list --status open: all cases (all are open)" "$CASES2" "$(jget "$OUT" length)"
run ctl "$N" case list --status closed --json
check_eq "case list --status closed: none" 0 "$(jget "$OUT" length)"
run ctl "$N" case list --category gambling --json
check_eq "case list --category gambling: the two gambling cases" 2 "$(jget "$OUT" length)"
check_eq "case list --category gambling: only gambling" "true" "$(jget "$OUT" 'all(.[]; .category == "gambling")')"
run ctl "$N" case list --category phishing-malware --status open --json
check_eq "case list --category + --status" "$C2" "$(jget "$OUT" '[.[].number] | join(",")')"
run ctl "$N" case list --limit 2 --json
check_eq "case list --limit 2: two cases" 2 "$(jget "$OUT" length)"
check_eq "case list --limit 2: the first two" "$C1,$C2" "$(jget "$OUT" '[.[].number] | join(",")')"
run ctl "$N" case list
check_rc "case list (text): exit 0" 0
check_match "case list (text): header" '^NUMBER +STATUS +CATEGORY +REPORTS' "$OUT"
check_match "case list (text): a row" "^$C1 +open +scam +3 " "$OUT"
check_match "case list (text): total" "cases: $CASES2\$" "$OUT"

run ctl "$N" case show "$C1" --json
check_rc "case show --json: exit 0" 0
REPORT_FIELDS='["category","confidence","description","id","observed_at","opened_case","received_at","seq","source","source_record_id","text","url"]'
check_eq "case show --json: report fields" "$(jget "$REPORT_FIELDS" 'join(",")')" \
    "$(jget "$OUT" ".reports_list[0] | keys - (keys - $REPORT_FIELDS) | join(\",\")")"
check_eq "case show --json: number and reports_omitted" "$C1|0" "$(jget "$OUT" '"\(.number)|\(.reports_omitted)"')"
check_eq "case show --json: report ids are distinct UUIDs" 3 \
    "$(jget "$OUT" '[.reports_list[].id | select(test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))] | unique | length')"
run ctl "$N" case show "$C1"
check_rc "case show (text): exit 0" 0
check_match "case show (text): header line" "^case $C1\$" "$OUT"
check_match "case show (text): report count" 'reports +3' "$OUT"

# --- status and url canonical ---------------------------------------------------------------

run ctl "$N" status
check_rc "status: exit 0" 0
check_match "status: node up with agency" "^node up: $AGENCY" "$OUT"
check_match "status: counts" "reports: $REP2, cases: $CASES2" "$OUT"
run ctl "$N" status --json
check_eq "status --json: agency" "$AGENCY" "$(jget "$OUT" .agency)"

# No -c and no node needed.
run "$CTL" url canonical 'HTTP://Example.COM:80/a/../b/?utm_source=x#f'
check_rc "url canonical: exit 0 without a node" 0
check_eq "url canonical: result" "http://example.com/b/" "$OUT"
run "$CTL" url canonical 'https://Bücher.Example/p?b=2&utm_term=x'
check_eq "url canonical: idn to punycode, tracking parameter removed" \
    "https://xn--bcher-kva.example/p?b=2" "$OUT"
run "$CTL" url canonical 'http://'
check_rc "url canonical: bad url exits 2" 2

# --- language ---------------------------------------------------------------------------------

run env -u LC_ALL -u LC_MESSAGES LANG=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" case list
check_rc "vi: case list exit 0" 0
check_match "vi: case list header in Vietnamese" 'SỐ HỒ SƠ' "$OUT"
check_match "vi: case list total in Vietnamese" "số hồ sơ: $CASES2" "$OUT"
run env -u LC_ALL -u LC_MESSAGES LANG=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" status
check_match "vi: status in Vietnamese" 'nút đang chạy' "$OUT"
run env -u LC_ALL -u LC_MESSAGES LANG=vi_VN.UTF-8 "$CTL" frobnicate
check_match "vi: error message in Vietnamese" 'lệnh không hợp lệ' "$ERR"
run env LC_ALL=vi_VN.UTF-8 LANG=C.UTF-8 "$CTL" -c "$N/node.cfg" case list
check_match "vi: LC_ALL takes precedence over LANG" 'SỐ HỒ SƠ' "$OUT"
run env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 "$CTL" -c "$N/node.cfg" case list
check_match "en: case list header in English" '^NUMBER' "$OUT"
if printf '%s' "$OUT" | grep -q 'SỐ HỒ SƠ'; then fail "en: no Vietnamese header"; else pass "en: no Vietnamese header"; fi

# --- restart keeps everything and the numbering ------------------------------------------------

BEFORE=$(ctl "$N" case list --json)
LAST=$(jget "$BEFORE" '.[-1].number')
COUNTS=$(node_counts "$N")
node_stop "$N"
check_eq "clean stop: node exits 0 on SIGTERM" 0 "$?"
check "restart after clean stop" node_start "$N"
check_eq "restart: status counts unchanged" "$COUNTS" "$(node_counts "$N")"
check_eq "restart: case list unchanged" "$BEFORE" "$(ctl "$N" case list --json)"
run ctl "$N" report submit --url 'http://example.com/b/?utm_content=again' --category scam
check_eq "restart: equivalent url still finds its case" "$C1" "$OUT"
run ctl "$N" report submit --url 'http://after-restart.example/' --category scam
R1=$OUT
check_eq "restart: next new case continues the numbering" $(($(seq_of "$LAST") + 1)) "$(seq_of "$R1")"
run ctl "$N" report submit --text 'Chuyển khoản ngay để nhận thưởng' --category scam
check_eq "restart: text case still found" "$T2" "$OUT"

# A crash (kill -9) right after a confirmed submit must not lose it nor reuse its number.
run ctl "$N" report submit --url 'http://before-crash.example/' --category scam
R2=$OUT
check_eq "before crash: next number" $(($(seq_of "$R1") + 1)) "$(seq_of "$R2")"
COUNTS=$(node_counts "$N")
node_kill9 "$N"
check "restart after kill -9" node_start "$N"
check_eq "after kill -9: status counts unchanged" "$COUNTS" "$(node_counts "$N")"
check_eq "after kill -9: confirmed case present" 1 "$(case_field "$R2" .reports)"
run ctl "$N" report submit --url 'http://after-crash.example/' --category scam
check_eq "after kill -9: numbering continues, no reuse" $(($(seq_of "$R2") + 1)) "$(seq_of "$OUT")"
check_eq "after kill -9: all numbers distinct" \
    "$(jget "$(ctl "$N" case list --json)" 'length')" \
    "$(jget "$(ctl "$N" case list --json)" '[.[].number] | unique | length')"

# What a reporter wrote is shown to operators, but never as terminal control sequences.
ESC=$'\e'
run ctl "$N" report submit --url 'http://escape.example/' --category scam \
    --description "before${ESC}[2J${ESC}]0;owned${ESC}\\after"
ECASE=$OUT
run ctl "$N" case show "$ECASE"
check_rc "case show with control characters in a description: exit 0" 0
check "case show prints no escape character" bash -c '! grep -q $'"'"'\e'"'"' <<<"$1"' _ "$OUT"
check_match "case show still prints the rest of the description" "before.*after" "$OUT"

node_stop "$N"
check_eq "final stop: exit 0" 0 "$?"
done_testing
