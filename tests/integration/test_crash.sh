#!/usr/bin/env bash
#
# test_crash.sh — a node killed with SIGKILL in the middle of a large import loses nothing
# it confirmed and duplicates nothing when the operator simply runs the same import again.
#
# A generated JSONL file of 100,000 lines: 70,000 distinct content keys (68,000 URLs,
# 2,000 texts), ~30% of the URL records are repeats of an earlier URL in another but
# equivalent spelling (case, port, dot segments, tracking parameters, fragment, percent
# escapes, trailing dot, IDN in Unicode or punycode), text repeats differ in white space,
# 1,000 lines are exact copies of other lines, half of the records carry an id and half
# do not (accordctl derives one from the content). So by construction the file holds
# 99,000 distinct reports and 70,000 distinct cases.
#
# The import that gets interrupted runs through tests/tools/ack_import, which imports as
# `accordctl report import` does and logs every acknowledgement it receives (client side).
# Round A: import, kill -9 the node while the import is in flight (once a random number
# of records has been acknowledged), restart, and check, before anything is imported
# again, that every acknowledged record is stored, once. Then the operator's remedy:
# `accordctl report import` of the same file to completion, and every record of the file
# is stored exactly once. Round B: the same with two crashes.
#
# The reference for "every record of the file" is not the generator's arithmetic: an
# uninterrupted import into a fresh node first gives the ids as the client derives them
# (distinct ids counted from its acknowledgement log) and the cases it opened.

source "$(dirname "$0")/lib.sh"

ACK_IMPORT=$ACC_BUILD/tools/ack_import
STORE_PY=$ACC_ROOT/tests/tools/acc_store.py

LINES=100000
REPORTS=99000 # distinct records: LINES minus the exact copies
CASES=70000   # distinct content keys
SEED=${CRASH_SEED:-$RANDOM}
echo "# seed $SEED (set CRASH_SEED to repeat)"
RANDOM=$SEED

for tool in python3 mdb_dump; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed (scripts/deps.sh)"; done_testing; }
done
[ -x "$ACK_IMPORT" ] || { fail "ack_import built ($ACK_IMPORT)"; done_testing; }

# --- the input file -----------------------------------------------------------------------

cat >"$T_TMP/gen.py" <<'EOF'
# gen.py OUT SEED SAMPLE_OUT — writes the import file and a sample of (spelling, expected
# canonical URL) pairs; prints "lines distinct_records distinct_keys".
import json, random, sys

out, seed, sample_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
U_URL, R_URL, U_TXT, R_TXT, COPIES = 68000, 28000, 2000, 1000, 1000
CATS = ["scam", "phishing-malware", "gambling", "impersonation"]

def host(j, unicode_form):
    # 499 hosts, every tenth URL on an internationalised host
    h = j % 499
    if j % 10 == 0:
        label = "bücher%d" % h
        return label if unicode_form else label.encode("idna").decode()
    return "s%d" % h

def canonical(j):
    return "http://%s.example/p/%d" % (host(j, False), j)

def variant(j, i):
    """An equivalent spelling of canonical(j); i makes query and fragment unique."""
    hst = host(j, rnd.random() < 0.5) + ".example"
    scheme, path, port, query, frag = "http", "/p/%d" % j, "", "", ""
    for op in rnd.sample(range(8), rnd.randint(1, 3)):
        if op == 0:
            scheme, hst = "HTTP", hst.upper()
        elif op == 1:
            port = ":80"
        elif op == 2:
            path = "/p/x/../%d" % j
        elif op == 3:
            path = "/p/./%d" % j
        elif op == 4:
            query = "?utm_source=feed%d&fbclid=f%d" % (i, i)
        elif op == 5:
            frag = "#s%d" % i
        elif op == 6:
            path = "/%%70/%d" % j
        elif op == 7:
            hst = hst + "."
    return "%s://%s%s%s%s%s" % (scheme, hst, port, path, query, frag)

WORDS = ["chuyển", "khoản", "ngay", "nhận", "quà", "trúng", "thưởng", "xe", "máy", "vay", "tiền"]

def text(t):
    return "tin số %d %s %s" % (t, WORDS[t % 11], WORDS[(t * 7) % 11])

def text_variant(t):
    ws = [" ", "  ", "\t", "\n", " \u00a0"]
    return rnd.choice(ws) + text(t).replace(" ", rnd.choice(ws)) + rnd.choice(ws)

recs = []
for j in range(U_URL):  # first sighting of each URL, 30% already in a variant spelling
    recs.append({"url": variant(j, j) if rnd.random() < 0.3 else canonical(j), "_j": j})
for k in range(R_URL):  # repeats in equivalent spellings
    j = rnd.randrange(U_URL)
    recs.append({"url": variant(j, U_URL + k), "_j": j})
for t in range(U_TXT):
    recs.append({"text": text(t), "_j": t})
for k in range(R_TXT):
    t = rnd.randrange(U_TXT)
    recs.append({"text": text_variant(t), "_j": t})
rnd.shuffle(recs)

lines, noid = [], []
for n, r in enumerate(recs):
    j = r.pop("_j")
    r["category"] = CATS[j % 4]
    r["description"] = "record %d" % n  # every record distinct
    r["source"] = "crash-test"
    if n % 3 == 0:
        r["observed_at"] = "2025-%02d-%02dT%02d:%02d:00+07:00" % (n % 12 + 1, n % 28 + 1, n % 24, n % 60)
    if n % 2 == 0:
        r["id"] = "0192d9a0-%04x-7%03x-8%03x-%012x" % (n >> 16 & 0xffff, n >> 4 & 0xfff, n & 0xfff, n)
    else:
        noid.append(n)
    lines.append(json.dumps(r, ensure_ascii=False))
# Exact copies of records without an id: same content, hence the same derived id.
for copy in [lines[i] for i in rnd.sample(noid, COPIES)]:
    lines.insert(rnd.randrange(len(lines) + 1), copy)
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
with open(sample_out, "w", encoding="utf-8") as f:
    for j in rnd.sample(range(U_URL), 100):
        for _ in range(2):
            f.write("%s\t%s\n" % (variant(j, 10**7 + j), canonical(j)))
print(len(lines), len(lines) - COPIES, U_URL + U_TXT)
EOF

FILE=$T_TMP/reports.jsonl
run python3 "$T_TMP/gen.py" "$FILE" "$SEED" "$T_TMP/sample.tsv"
check_rc "generate $LINES records" 0
check_eq "generator: lines, distinct records, distinct keys" "$LINES $REPORTS $CASES" "$OUT"

# The construction relies on these spellings being equivalent: check a sample.
bad=0
while IFS=$'\t' read -r spelling want; do
    got=$("$CTL" url canonical "$spelling" 2>&1)
    if [ "$got" != "$want" ]; then
        bad=$((bad + 1))
        [ "$bad" -le 5 ] && diag "url canonical '$spelling' = '$got', expected '$want'"
    fi
done <"$T_TMP/sample.tsv"
check_eq "generator: sampled spellings canonicalise as constructed" 0 "$bad"

# --- helpers --------------------------------------------------------------------------------

# stored_ids DIR — the report ids in DIR's intake store, one per line, sorted (with
# repeats, if any were stored twice).
stored_ids() {
    python3 "$STORE_PY" summary "$1/data" | jq -r '.reports[][0]' | sort
}

# consistent DIR LABEL — the node answers, and its counts agree with its case list: one
# entry per case, distinct numbers and content keys, report counts summing to the status
# count. Fails (rather than comparing empty with empty) when the node does not answer.
consistent() {
    local dir=$1 label=$2 r c facts
    read -r r c <<<"$(node_counts "$dir")"
    if ! check_match "$label: status answers with counts" '^[0-9]+ [0-9]+$' "${r:-} ${c:-}"; then
        return 1
    fi
    facts=$(ctl "$dir" case list --json | jq -r '
        [length, ([.[].number] | unique | length), ([.[].content_key] | unique | length),
         ([.[].reports] | add // 0),
         (([.[].number | split("/")[2] | tonumber] | max // 0) - length)] | map(tostring) | join(" ")')
    local n un uk sum gaps
    read -r n un uk sum gaps <<<"$facts"
    check_eq "$label: case list length == status cases" "$c" "${n:-}"
    check_eq "$label: case numbers distinct" "$c" "${un:-}"
    check_eq "$label: content keys distinct" "$c" "${uk:-}"
    check_eq "$label: case report counts sum to status reports" "$r" "${sum:-}"
    [ "${gaps:-0}" = 0 ] || diag "$label: $gaps case numbers skipped (allowed, never reused)"
}

# acked_kept DIR LABEL ACKLOG — right after a restart, before anything is imported again:
# every id the client logged as acknowledged is stored, no id is stored twice, and nothing
# is stored that the file does not hold.
acked_kept() {
    local dir=$1 label=$2 log=$3
    grep '^ack ' "$log" | cut -d' ' -f2 | sort -u >"$T_TMP/acked"
    stored_ids "$dir" >"$T_TMP/stored"
    echo "# $label: $(wc -l <"$T_TMP/acked") records acknowledged before the kill," \
        "$(wc -l <"$T_TMP/stored") stored after the restart"
    check "$label: the client logged acknowledgements before the kill" test -s "$T_TMP/acked"
    check_eq "$label: every acknowledged record is stored after the restart" "" \
        "$(comm -23 "$T_TMP/acked" "$T_TMP/stored" | head -5)"
    check_eq "$label: no report id stored twice" "" "$(uniq -d "$T_TMP/stored" | head -5)"
    check_eq "$label: nothing stored that the file does not hold" "" \
        "$(comm -13 "$ALL_IDS" "$T_TMP/stored" | head -5)"
}

# crash_import DIR LABEL — import FILE with ack_import in the background; once it has
# logged a random number of acknowledgements (at most half the file, so the import is
# still in flight), kill -9 the node, stop the import, restart the node and check the
# acknowledgements. Sets CRASH_HIT=1 when the import was still running at the kill.
crash_import() {
    local dir=$1 label=$2 want ipid log=$T_TMP/acks.$RANDOM
    want=$((1 + (RANDOM * 32768 + RANDOM) % (REPORTS / 2)))
    # The client waits as long as it takes for each answer (10 min: a hang guard); after the
    # kill the test stops it (its log is flushed after every answer).
    "$ACK_IMPORT" "ipc://$dir/data/intake.sock" "$FILE" "$log" 600000 \
        >"$T_TMP/crash.out" 2>"$T_TMP/crash.err" &
    ipid=$!
    T_EXTRA_PIDS="${T_EXTRA_PIDS:-} $ipid"
    acks_reached() { [ "$(grep -c '^ack ' "$log" 2>/dev/null)" -ge "$want" ]; }
    # Wait for the acknowledgements, or for the import to end (it finished, or failed).
    wait_until 1800 eval 'acks_reached || ! kill -0 '"$ipid"
    CRASH_HIT=0
    kill -0 "$ipid" 2>/dev/null && CRASH_HIT=1
    node_kill9 "$dir"
    kill -TERM "$ipid" 2>/dev/null
    wait "$ipid"
    echo "# $label: node killed after $(grep -c '^ack ' "$log") acknowledgements (aimed at >= $want)"
    check "$label: restart after kill -9" node_start "$dir"
    acked_kept "$dir" "$label" "$log"
}

# finish_import DIR LABEL — the operator runs the import again to completion after the
# crashes; everything in the file is present exactly once.
finish_import() {
    local dir=$1 label=$2 r0 c0
    read -r r0 c0 <<<"$(node_counts "$dir")"
    echo "# $label: before the final import: $r0 reports, $c0 cases stored"
    run ctl "$dir" report import "$FILE"
    check_rc "$label: import again: exit 0" 0
    check_match "$label: import again: all records read" "^records read: $LINES\$" "$OUT"
    check_match "$label: import again: nothing rejected" '^rejected: 0$' "$OUT"
    # What was stored before is recognised (plus the exact copies inside the file).
    check_match "$label: import again: stored records already present" \
        "^already present: $((r0 + LINES - REPORTS))\$" "$OUT"
    check_match "$label: import again: only the missing cases opened" \
        "^new cases: $((CASES - c0))\$" "$OUT"
    check_eq "$label: status: every report exactly once, one case per key" \
        "$REPORTS $CASES" "$(node_counts "$dir")"
    check_eq "$label: the stored ids are exactly the file's" "$(sha256sum <"$ALL_IDS")" \
        "$(stored_ids "$dir" | sha256sum)"
    consistent "$dir" "$label: final"
}

# --- reference: an uninterrupted import into a fresh node -----------------------------------

CAL=$T_TMP/cal
node_init "$CAL" && node_start "$CAL" || { fail "reference node starts"; done_testing; }
run "$ACK_IMPORT" "ipc://$CAL/data/intake.sock" "$FILE" "$T_TMP/ref.acks" 600000
check_rc "uninterrupted import (ack_import): exit 0" 0
ALL_IDS=$T_TMP/all.ids
grep '^ack ' "$T_TMP/ref.acks" | cut -d' ' -f2 | sort -u >"$ALL_IDS"
check_eq "uninterrupted import: every line acknowledged" "$LINES" "$(grep -c '^ack ' "$T_TMP/ref.acks")"
check_eq "uninterrupted import: distinct ids the client derived" "$REPORTS" "$(wc -l <"$ALL_IDS")"
check_eq "uninterrupted import: cases opened (new_case answers)" "$CASES" \
    "$(grep -c '^ack .* new_case$' "$T_TMP/ref.acks")"
check_eq "uninterrupted import: the stored ids are the acknowledged ones" \
    "$(sha256sum <"$ALL_IDS")" "$(stored_ids "$CAL" | sha256sum)"
check_eq "uninterrupted import: status" "$REPORTS $CASES" "$(node_counts "$CAL")"
consistent "$CAL" "uninterrupted import"
node_stop "$CAL"
check_eq "reference node: clean stop" 0 "$?"
rm -rf "$CAL"

# --- rounds -----------------------------------------------------------------------------------

# round DIR LABEL CRASHES — fresh node, CRASHES crashes during imports, then completion.
# A kill that found the import already finished (the test script was starved while the
# import ran) is tried again with a fresh node, at most three times.
round() {
    local dir=$1 label=$2 crashes=$3 attempt k hits
    for ((attempt = 1; attempt <= 3; attempt++)); do
        rm -rf "$dir"
        node_init "$dir" && node_start "$dir" || { fail "$label: node starts"; return; }
        hits=0
        for ((k = 1; k <= crashes; k++)); do
            crash_import "$dir" "$label crash $k"
            hits=$((hits + CRASH_HIT))
            consistent "$dir" "$label after crash $k"
        done
        [ "$hits" -eq "$crashes" ] && break
        echo "# $label: an import finished before its kill; trying again (attempt $attempt)"
        node_stop "$dir"
    done
    check_eq "$label: every kill landed while the import was in flight" "$crashes" "$hits"
    finish_import "$dir" "$label"
    node_stop "$dir"
    check_eq "$label: clean stop" 0 "$?"
    rm -rf "$dir"
}

round "$T_TMP/a" "round A" 1
round "$T_TMP/b" "round B" 2

done_testing
