#!/usr/bin/env bash
#
# test_bad_input.sh — hostile and mistaken input through the public interfaces: accordctl
# arguments, import files and node configuration. Every bad input must give exit code 2
# and a message naming what is wrong, store nothing (status counts unchanged) and leave
# the node running. Import files mixing good and bad lines store the good ones and name
# the bad lines. Without a node accordctl exits 1 with a clear message.

source "$(dirname "$0")/lib.sh"
plan 170 # every check below runs on a passing run; a changed path fails

N=$T_TMP/n1
check "node init" node_init "$N"
check "node start" node_start "$N" || { done_testing; }

# Something to attach to, so that "nothing stored" also covers attaching.
run ctl "$N" report submit --url 'http://existing.example/' --category scam
check_rc "setup: one report stored" 0

# expect_bad NAME ERE CMD... — CMD exits 2 and its stderr matches ERE (for commands that
# read, or that accordctl refuses before asking the node: nothing to store, so no check
# that "nothing was stored" is printed for them: it could not fail).
expect_bad() {
    local name=$1 re=$2
    shift 2
    run "$@"
    check_rc "$name: exit 2" 2
    check_match "$name: message" "$re" "$ERR"
}

# expect_bad_write NAME ERE CMD... — as expect_bad for a command that would store
# something if it were accepted; then one more check: the node still answers, with the
# same report and case counts as before.
expect_bad_write() {
    local name=$1 before after
    before=$(node_counts "$N")
    expect_bad "$@"
    after=$(node_counts "$N")
    if [[ "$before" =~ ^[0-9]+\ [0-9]+$ ]] && [ "$before" = "$after" ] && node_alive "$N"; then
        pass "$name: nothing stored, node still up"
    else
        fail "$name: nothing stored, node still up"
        diag "counts before: '$before', after: '$after' (empty: the node did not answer)"
        tail -n 20 "$N/node.log" | sed 's/^/# /'
    fi
}

# --- report submit ------------------------------------------------------------------------

expect_bad_write "unknown category" \
    "category: unknown category 'nope'; valid: .*scam.*phishing-malware.*other" \
    ctl "$N" report submit --url 'http://existing.example/' --category nope
expect_bad_write "url without host" "url: .*host" \
    ctl "$N" report submit --url 'http://' --category scam
expect_bad_write "url with a non-numeric port" "url: host contains invalid character ':'" \
    ctl "$N" report submit --url 'http://host:port/' --category scam
expect_bad_write "url with an unclosed ipv6 literal" "url: .*'\\['" \
    ctl "$N" report submit --url 'http://[::1/x' --category scam
expect_bad_write "url with a scheme that has no host" "url: .*'javascript' has no host" \
    ctl "$N" report submit --url 'javascript:alert(1)' --category scam
LONG_URL="http://long.example/$(head -c 8200 /dev/zero | tr '\0' a)"
expect_bad_write "url over 8 KiB" "url: longer than 8192 bytes" \
    ctl "$N" report submit --url "$LONG_URL" --category scam
LONG_DESC=$(head -c 33000 /dev/zero | tr '\0' d)
expect_bad_write "description over 32 KiB" "description: longer than 32768 bytes" \
    ctl "$N" report submit --url 'http://existing.example/' --category scam --description "$LONG_DESC"
LONG_TEXT=$(head -c 33000 /dev/zero | tr '\0' t)
expect_bad_write "text over 32 KiB" "text: longer than 32768 bytes" \
    ctl "$N" report submit --text "$LONG_TEXT" --category scam
expect_bad_write "missing url and text" "report submit --url URL" \
    ctl "$N" report submit --category scam
expect_bad_write "missing category" "--category" \
    ctl "$N" report submit --url 'http://existing.example/'
expect_bad_write "text of only white space" "text: .*empty" \
    ctl "$N" report submit --text $'  \t\n ' --category scam
expect_bad_write "malformed --id" "id: 'not-a-uuid' is not a UUID" \
    ctl "$N" report submit --url 'http://existing.example/' --category scam --id not-a-uuid
expect_bad_write "--id one digit short" "id: .* is not a UUID" \
    ctl "$N" report submit --url 'http://existing.example/' --category scam \
    --id 0192d9a0-0000-7000-8000-00000000000
expect_bad_write "invalid utf-8 in description" "description: .*utf-8" \
    ctl "$N" report submit --url 'http://existing.example/' --category scam --description $'bad \xff'
expect_bad_write "invalid utf-8 in text" "text: .*utf-8" \
    ctl "$N" report submit --text $'bad \xc3\x28' --category scam
expect_bad_write "option without its value" "'--url' needs a value" \
    ctl "$N" report submit --category scam --url

# --- report import: bad lines are named, good lines are stored -----------------------------

# import_mixed NAME FILE GOOD LINE_ERE — import FILE holding GOOD good records; expect exit
# 2, stderr matching LINE_ERE, exactly GOOD new reports, node up; then the same import
# again stores nothing more and still exits 2.
import_mixed() {
    local name=$1 file=$2 good=$3 re=$4 r0 r1 c1
    read -r r0 _ <<<"$(node_counts "$N")"
    run ctl "$N" report import "$file"
    check_rc "$name: exit 2" 2
    check_match "$name: names the bad line" "$re" "$ERR"
    read -r r1 c1 <<<"$(node_counts "$N")"
    check_eq "$name: the good lines are imported" "$good" "$((r1 - r0))"
    check_match "$name: summary counts the rejects" '^rejected: [1-9]' "$OUT"
    run ctl "$N" report import "$file"
    check_rc "$name: again: exit 2" 2
    check_eq "$name: again: nothing new, node still up" "$r1 $c1" "$(node_counts "$N")"
    check_match "$name: again: good lines already present" "already present: $good" "$OUT"
}

printf '%s\n' \
    '{"url":"http://jsonl-utf8.example/1","category":"scam","observed_at":"2025-05-01T00:00:00Z"}' \
    "{\"url\":\"http://jsonl-utf8.example/$(printf '\xff\xfe')\",\"category\":\"scam\"}" \
    '{"text":"ok line three","category":"other"}' >"$T_TMP/utf8.jsonl"
import_mixed "jsonl invalid utf-8" "$T_TMP/utf8.jsonl" 2 'line 2: .*(utf|UTF|byte)'

printf 'url,text,category,description\n%s\n%s\n%s\n' \
    'http://csv-utf8.example/1,,scam,fine' \
    "http://csv-utf8.example/2,,scam,bad $(printf '\xc0\xaf') bytes" \
    ',some text,other,' >"$T_TMP/utf8.csv"
import_mixed "csv invalid utf-8" "$T_TMP/utf8.csv" 2 'line 3: .*utf-8'

printf 'url,category\n%s\n%s\n%s\n%s\n' \
    'http://csv-cols.example/1,scam' \
    'http://csv-cols.example/2,scam,surplus' \
    'http://csv-cols.example/3' \
    'http://csv-cols.example/4,scam' >"$T_TMP/cols.csv"
import_mixed "csv wrong column count" "$T_TMP/cols.csv" 2 'line 3: .*columns.*'
check_match "csv wrong column count: both bad lines named" 'line 4: ' "$ERR"

printf '%s\n%s\n%s' \
    '{"url":"http://trunc.example/1","category":"scam"}' \
    '{"url":"http://trunc.example/2","category":"scam"}' \
    '{"url":"http://trunc.example/3","categ' >"$T_TMP/trunc.jsonl"
import_mixed "jsonl truncated last line" "$T_TMP/trunc.jsonl" 2 'line 3: .*json'

printf '%s\n%s\n' \
    '{"url":"http://unknown-key.example/1","category":"scam","colour":"red"}' \
    '{"url":"http://unknown-key.example/2","category":"scam"}' >"$T_TMP/key.jsonl"
import_mixed "jsonl unknown key" "$T_TMP/key.jsonl" 1 "line 1: .*colour.*unknown key|line 1: .*unknown key 'colour'"

printf '%s\n%s\n%s\n' \
    '{"url":"http://intake-rej.example/1","category":"scam"}' \
    '{"url":"http://intake-rej.example/2","category":"not-a-category"}' \
    '{"url":"http://intake-rej.example/3","category":"scam","observed_at":"yesterday"}' >"$T_TMP/rej.jsonl"
import_mixed "jsonl bad category and timestamp" "$T_TMP/rej.jsonl" 1 "line 2: category: unknown category"
check_match "jsonl bad timestamp: names line 3 and the field" 'line 3: observed_at' "$ERR"

printf '%s\n%s\n' \
    '{"url":"http://no-content.example/1","category":"scam"}' \
    '{"description":"neither url nor text","category":"scam"}' >"$T_TMP/empty.jsonl"
import_mixed "jsonl record without url or text" "$T_TMP/empty.jsonl" 1 "line 2: .*url or a text"

printf 'url,colour\nhttp://x.example/,red\n' >"$T_TMP/header.csv"
expect_bad_write "csv unknown header column" "line 1.*colour|colour.*line 1" \
    ctl "$N" report import "$T_TMP/header.csv"
expect_bad "import of a missing file" "nonexistent.jsonl" \
    ctl "$N" report import "$T_TMP/nonexistent.jsonl"
expect_bad "import with unknown format" "--format" \
    ctl "$N" report import "$T_TMP/key.jsonl" --format xml
expect_bad "import without a file" "report import" \
    ctl "$N" report import

# --- lookups and usage ---------------------------------------------------------------------

expect_bad "case show of another agency's number" "no case 'nonexistent/2026/000001'" \
    ctl "$N" case show nonexistent/2026/000001
expect_bad "case show of a number not issued" "no case 'stttt-hn/2026/999999'" \
    ctl "$N" case show stttt-hn/2026/999999
expect_bad "case list unknown status" "status: unknown status" \
    ctl "$N" case list --status bogus
expect_bad "case list unknown category" "category: unknown category 'bogus'" \
    ctl "$N" case list --category bogus
expect_bad "case list --limit 0" "--limit" ctl "$N" case list --limit 0
expect_bad "case list --limit abc" "--limit" ctl "$N" case list --limit abc
expect_bad "unknown command" "unknown command 'frobnicate'" ctl "$N" frobnicate
expect_bad "unknown option" "unknown option '--frob'" ctl "$N" --frob status
expect_bad "unknown subcommand option" "unexpected argument '--frob'" ctl "$N" case list --frob
expect_bad "unknown report subcommand" "usage: accordctl report" ctl "$N" report delete
expect_bad "no command" "usage" "$CTL" -c "$N/node.cfg"
expect_bad "url canonical without url" "usage" "$CTL" url canonical

# --- configuration errors --------------------------------------------------------------------

# bad_config NAME FILE ERE — accord-node refuses FILE (exit 2, stderr matching ERE; a
# 10 min hang guard); accordctl refuses it too (exit 2).
bad_config() {
    local name=$1 file=$2 re=$3
    run timeout 600 "$NODE_BIN" -c "$file"
    check_rc "$name: accord-node exits 2" 2
    check_match "$name: accord-node names file:line" "$re" "$ERR"
    run "$CTL" -c "$file" status
    check_rc "$name: accordctl exits 2" 2
    check_match "$name: accordctl names file:line" "$re" "$ERR"
}

CFG=$N/node.cfg
cp "$CFG" "$T_TMP/unknown.cfg"
echo 'bogus_key = 1;' >>"$T_TMP/unknown.cfg"
bad_config "config unknown key" "$T_TMP/unknown.cfg" \
    "unknown.cfg:$(wc -l <"$T_TMP/unknown.cfg"): .*bogus_key"

sed 's/batch_max = [0-9]*;/batch_max = 1000000000;/' "$CFG" >"$T_TMP/range.cfg"
bad_config "config integer out of range" "$T_TMP/range.cfg" \
    "range.cfg:$(grep -n 'batch_max =' "$T_TMP/range.cfg" | cut -d: -f1): .*batch_max"

sed 's/url_max_bytes = [0-9]*;/url_max_bytes = 3000000000;/' "$CFG" >"$T_TMP/wrap.cfg"
bad_config "config integer beyond 32 bits" "$T_TMP/wrap.cfg" \
    "wrap.cfg:$(grep -n 'url_max_bytes =' "$T_TMP/wrap.cfg" | cut -d: -f1): .*url_max_bytes"

sed '20a this is = = not libconfig' "$CFG" >"$T_TMP/syntax.cfg"
bad_config "config syntax error" "$T_TMP/syntax.cfg" "syntax.cfg:21"

sed 's/^agency = .*$/agency = "Bad Agency!";/' "$CFG" >"$T_TMP/agency.cfg"
bad_config "config invalid agency" "$T_TMP/agency.cfg" \
    "agency.cfg:$(grep -n '^agency =' "$T_TMP/agency.cfg" | cut -d: -f1): .*agency"

run timeout 600 "$NODE_BIN" -c "$T_TMP/nonexistent.cfg"
check_rc "missing config file: accord-node exits 2" 2
check_match "missing config file: names it" "nonexistent.cfg" "$ERR"
run "$CTL" status
check_rc "status without -c: exit 2" 2
check_match "status without -c: says -c is needed" "-c CONFIG" "$ERR"

# --- no node running -------------------------------------------------------------------------

check "node still up after all bad input" ctl "$N" status
FINAL=$(node_counts "$N")
check_match "counts before the stop" '^[0-9]+ [0-9]+$' "$FINAL"
node_stop "$N"
check_eq "clean stop after bad input" 0 "$?"

run ctl "$N" status
check_rc "no node: status exits 1" 1
check_match "no node: clear message" "does not answer: is it running" "$ERR"
run env ACCORDCTL_TIMEOUT_MS=1500 "$CTL" -c "$N/node.cfg" report submit --url 'http://x.example/' --category scam
check_rc "no node: submit exits 1" 1
check_match "no node: submit message" "does not answer" "$ERR"
run env ACCORDCTL_TIMEOUT_MS=1500 "$CTL" -c "$N/node.cfg" case list --json
check_rc "no node: case list exits 1" 1

check "restart" node_start "$N"
check_eq "nothing stored by the attempts without a node" "$FINAL" "$(node_counts "$N")"
nodes_stop_checked "$N"
done_testing
